# SPDX-License-Identifier: GPL-2.0
#
# The peers of the cosi benchmarks (included by bench/Makefile): the
# baseline unix-socket store (bench/baseline), one peer_bench per system
# over a common driver (bench/peers), and cosid_apply_bench.  Run them
# with bench/peers.sh in the VM.
BASE	:= $(TOP)/bench/baseline
PEERS	:= $(TOP)/bench/peers
PEER_CFLAGS := $(CFLAGS) -I$(TOP)/bench -I$(BASE) -I$(PEERS) -pthread
PEER_BINS := $(OUT)/ustore_server $(OUT)/ustore_test \
	     $(OUT)/peer_bench_cosi $(OUT)/peer_bench_ustore \
	     $(OUT)/peer_bench_etcd $(OUT)/cosid_apply_bench $(OUT)/fleet_peer
ETCD_PKGS := libcurl json-c libcrypto libsystemd
# cosi's etcd client, the one cosid and cosictl use.
ETCD_CLIENT := $(wildcard $(TOP)/daemon/common/etcd*.[ch])
# cosid's objects but its main (the plain build's archive: `make daemon`).
COSID_ARCHIVE := $(TOP)/build/daemon/libcosid.a

all: $(PEER_BINS)

$(OUT)/ustore_server: $(BASE)/ustore_server.c $(BASE)/ustore_proto.h
	@mkdir -p $(OUT)
	$(CC) $(PEER_CFLAGS) -o $@ $<

# The self-test (and the client library in it) runs under ASan/UBSan.
$(OUT)/ustore_test: $(TOP)/tests/baseline/ustore_test.c $(BASE)/ustore.c \
		    $(BASE)/ustore.h $(BASE)/ustore_proto.h
	@mkdir -p $(OUT)
	$(CC) $(PEER_CFLAGS) -fsanitize=address,undefined \
		-fno-sanitize-recover=all -o $@ $(filter %.c,$^)

PEER_DEPS := $(PEERS)/driver.c $(PEERS)/driver.h $(TOP)/bench/stats.c \
	     $(TOP)/bench/stats.h

$(OUT)/peer_bench_cosi: $(PEERS)/peer_cosi.c $(PEER_DEPS) $(LIB)
	$(CC) $(PEER_CFLAGS) -o $@ $(filter %.c,$^) $(LIB) \
		$(shell pkg-config --libs $(NL))

$(OUT)/peer_bench_ustore: $(PEERS)/peer_ustore.c $(BASE)/ustore.c \
			  $(BASE)/ustore.h $(PEER_DEPS)
	@mkdir -p $(OUT)
	$(CC) $(PEER_CFLAGS) -o $@ $(filter %.c,$^)

$(OUT)/peer_bench_etcd: $(PEERS)/peer_etcd.c $(ETCD_CLIENT) $(PEER_DEPS)
	@mkdir -p $(OUT)
	$(CC) $(PEER_CFLAGS) -I$(TOP)/daemon \
		$(shell pkg-config --cflags $(ETCD_PKGS)) \
		-o $@ $(filter %.c,$^) $(shell pkg-config --libs $(ETCD_PKGS))

$(OUT)/cosid_apply_bench: $(PEERS)/cosid_apply_bench.c $(PEER_DEPS) $(LIB)
	$(CC) $(PEER_CFLAGS) -o $@ $(filter %.c,$^) $(LIB) \
		$(shell pkg-config --libs $(NL))

# bench/fleet.sh's peer node (FLEET_NODE=peer): cosid's libraries, none
# of its controllers.
$(OUT)/fleet_peer: $(TOP)/bench/fleet_peer.c $(COSID_ARCHIVE) $(LIB)
	@mkdir -p $(OUT)
	$(CC) $(PEER_CFLAGS) -I$(TOP)/daemon \
		$(shell pkg-config --cflags $(ETCD_PKGS)) -o $@ $< \
		$(COSID_ARCHIVE) $(OUT)/lib/libcosi-runtime.a $(LIB) \
		$(shell pkg-config --libs $(ETCD_PKGS) $(NL) libnl-route-3.0 yaml-0.1)

$(COSID_ARCHIVE):
	$(MAKE) -C $(TOP)/daemon $@
