# SPDX-License-Identifier: GPL-2.0
# Test targets, included by the top-level Makefile.

VM_RUN := tests/vm/run

.PHONY: tests test demo ynl-tree check daemon bpf fuzz fuzz-build

# cosid, cosictl and their tests; plain (build/daemon) and ASan/UBSan
# (build/daemon-asan) builds.
daemon: ksrc
	$(MAKE) -C daemon KSRC=$(KSRC)
	$(MAKE) -C daemon KSRC=$(KSRC) SAN=1

tests: ksrc daemon bpf fuzz-build
	$(MAKE) -C tests/selftests KSRC=$(KSRC) OUT=$(BUILD)/tests
	$(MAKE) -C tests/stress OUT=$(BUILD)/tests
	$(MAKE) examples
	tests/python/build-venv.sh $(BUILD)/python-test

# nlfuzz (run in the VM) and the libFuzzer harnesses (clang-14, host).
fuzz-build:
	$(MAKE) -C tests/fuzz OUT=$(BUILD)/fuzz

# Fuzzing, bounded: each libFuzzer harness for FUZZ_SECS seconds on the
# host, then nlfuzz in a VM per kernel for NLFUZZ_SECS seconds or
# NLFUZZ_MSGS messages (NLFUZZ_SEED to replay a run).
FUZZ_SECS ?= 60
NLFUZZ_SECS ?= 60
NLFUZZ_MSGS ?= 200000
fuzz: modules-all fuzz-build
	@total_f=0; \
	FUZZ_SECS=$(FUZZ_SECS) tests/fuzz/run-libfuzzer.sh $(BUILD)/fuzz || \
		total_f=$$((total_f + 1)); \
	for v in $(TEST_KVERS); do \
		echo "=== nlfuzz, kernel $$v"; \
		$(VM_RUN) --kernel $$v --timeout $$(( $(NLFUZZ_SECS) * 4 + 600 )) -- \
			env NLFUZZ_SECS=$(NLFUZZ_SECS) NLFUZZ_MSGS=$(NLFUZZ_MSGS) \
			NLFUZZ_SEED=$(NLFUZZ_SEED) \
			sh tests/fuzz/nlfuzz-vm.sh $(BUILD)/kmod-$$v || \
			total_f=$$((total_f + 1)); \
	done; \
	echo "fuzz: $$total_f failed"; \
	[ $$total_f -eq 0 ]

# cosi-top and cosi-follow (libbpf CO-RE), on the 6.12 target's BTF.
bpf: vmlinux-all
	$(MAKE) -C bpf OUT=$(BUILD)/bpf

# The YNL tools want the spec inside a kernel-like tree.
ynl-tree: ksrc
	@rm -rf $(YNL_TREE); mkdir -p $(YNL_TREE)/Documentation/netlink/specs
	@touch $(YNL_TREE)/MAINTAINERS
	@cp $(KSRC)/Documentation/netlink/*.yaml $(YNL_TREE)/Documentation/netlink/
	@cp Documentation/netlink/specs/cosi.yaml $(YNL_TREE)/Documentation/netlink/specs/

# Static checks that need no VM.
check: check-uapi check-genl checkpatch

# The guest suites: tests/vm/suites.sh runs VM_JOBS VMs at a time and
# prints "N passed, N failed" last; $(call vm_suites,SUITE...) adds those
# counts to total_p/total_f (tests/lib/counts.sh: a run without a count
# is 1 failure).
VM_JOBS ?= 2
VM_TIMEOUT ?= 3600
define vm_suites
	VM_RUN="$(VM_RUN)" VM_JOBS=$(VM_JOBS) tests/vm/suites.sh $(BUILD) $(1) \
		2>&1 | tee $(BUILD)/test-vm.log; \
	rc=$${PIPESTATUS[0]}; \
	set -- $$(tests/lib/counts.sh --runner $(BUILD)/test-vm.log $$rc); \
	total_p=$$((total_p + $$1)); total_f=$$((total_f + $$2))
endef

# What of the suite runs on the debug kernel in `make test` (it runs 3-4x
# slower there): the module selftests, the fuzzer, and (cosi_* matches
# them too) the runtime and controller tests, the module's busiest
# client; `make test-debug` runs all of it.
DEBUG_TESTS ?= cosi_* nlfuzz-vm.sh
DEBUG_TIMEOUT ?= 4500

# The VMs of `make test`, started in this order, two at a time: each
# kernel's suite without VM_DAEMON_TESTS (the other kernels first, then
# the primary: the first of TEST_KVERS), the debug subset, then
# VM_DAEMON_TESTS on the primary in a VM of its own.  The daemon tests
# (cosictl, cosid, the fleet, the Python package, cosi-apiserver with
# kubectl: userspace over the same netlink API that the module
# selftests cover on every kernel) run on the
# other kernels in `make test-daemon-other`: with them, 6.1's VM alone ran
# past an hour here.  Split so, the two slots end together (~58 min of
# VM time on 2 cores).
VM_DAEMON_TESTS ?= cosictl_vm.sh python-cosi.sh fleet_vm.sh fleet_auth_vm.sh \
	cosid_configdir.sh apiserver_vm.sh apiserver_review_vm.sh
VM_PRIMARY = $(firstword $(TEST_KVERS))
VM_OTHERS = $(wordlist 2,$(words $(TEST_KVERS)),$(TEST_KVERS))
VM_NO_DAEMON = $(addprefix !,$(VM_DAEMON_TESTS))
VM_SUITES = $(foreach v,$(VM_OTHERS),'$(v):$(VM_TIMEOUT):$(VM_NO_DAEMON)') \
	'$(VM_PRIMARY):$(VM_TIMEOUT):$(VM_NO_DAEMON)' \
	'debug:$(DEBUG_TIMEOUT):$(DEBUG_TESTS)' \
	'$(VM_PRIMARY):$(VM_TIMEOUT):$(VM_DAEMON_TESTS):$(VM_PRIMARY)-daemon'

# VM_DAEMON_TESTS on the kernels but the primary (6.1), a VM each.
.PHONY: test-daemon-other
test-daemon-other: modules-all tests ynl-tree
	@total_p=0; total_f=0; \
	$(call vm_suites,$(foreach v,$(VM_OTHERS),'$(v):$(VM_TIMEOUT):$(VM_DAEMON_TESTS):$(v)-daemon')); \
	echo "$$total_p passed, $$total_f failed"; \
	[ $$total_f -eq 0 ]

# The fleet at scale (tests/daemon/fleet_scale_vm.sh): a 3-member etcd
# cluster and FLEET_NODES cosid (plain build) through member and fleet
# outages, compaction, kills, a link down and a lease revoke; a VM per
# kernel.  Not in `make test` (slow).  FLEET_NODES, FLEET_OUTAGE,
# FLEET_LINKDOWN and FLEET_WAIT are passed on (see the script).
FLEET_NODES ?= 50
FLEET_SCALE_TIMEOUT ?= 14400
FLEET_VARS = FLEET_NODES=$(FLEET_NODES) $(foreach v,FLEET_OUTAGE FLEET_LINKDOWN FLEET_WAIT,$(if $($(v)),$(v)=$($(v))))
.PHONY: test-fleet-scale
test-fleet-scale: modules-all daemon
	@total_p=0; total_f=0; for v in $(TEST_KVERS); do \
		echo "=== fleet_scale_vm.sh, kernel $$v"; \
		$(VM_RUN) --kernel $$v --mem 4G --timeout $(FLEET_SCALE_TIMEOUT) -- \
			env TESTS=fleet_scale_vm.sh $(FLEET_VARS) \
			sh tests/vm/guest-tests.sh $$v 2>&1 | \
			tee $(BUILD)/test-fleet-scale-$$v.log; \
		rc=$${PIPESTATUS[0]}; \
		set -- $$(tests/lib/counts.sh --runner $(BUILD)/test-fleet-scale-$$v.log $$rc); \
		total_p=$$((total_p + $$1)); total_f=$$((total_f + $$2)); \
	done; \
	echo "$$total_p passed, $$total_f failed"; \
	[ $$total_f -eq 0 ]

# Build for every target kernel, run the host tests, then the VM_SUITES;
# the last line sums them all: "N passed, N failed".
test: check modules-all modules-debug tests ynl-tree fuzz-build lintian
	$(MAKE) -C bench $(BUILD)/bench/ustore_server $(BUILD)/bench/ustore_test
	@total_p=0; total_f=0; \
	for t in $(BUILD)/tests/bin/cosi_unit_asan \
		 $(BUILD)/tests/bin/cosi_rx_host_asan \
		 $(BUILD)/daemon-asan/tests/cosictl_host \
		 tests/daemon/cosictl_completion.sh \
		 $(BUILD)/daemon-asan/tests/cosid_host \
		 $(BUILD)/daemon-asan/tests/abi_host \
		 $(BUILD)/daemon-asan/tests/etcd_host \
		 $(BUILD)/bench/ustore_test \
		 tests/lib/symbols.sh \
		 tests/dist/copyright.py \
		 tests/dist/bpf_build.sh \
		 tests/dist/manpages.sh \
		 tests/dist/dkms.sh; do \
		echo "=== host: $$(basename $$t)"; \
		$$t 2>&1 | tee $(BUILD)/test-unit.log; \
		rc=$${PIPESTATUS[0]}; \
		set -- $$(tests/lib/counts.sh $(BUILD)/test-unit.log $$rc); \
		total_p=$$((total_p + $$1)); total_f=$$((total_f + $$2)); \
	done; \
	echo "=== host: libFuzzer harnesses, 10 s each"; \
	FUZZ_SECS=10 tests/fuzz/run-libfuzzer.sh $(BUILD)/fuzz \
		2>&1 | tee $(BUILD)/test-fuzz.log; \
	rc=$${PIPESTATUS[0]}; \
	set -- $$(tests/lib/counts.sh --runner $(BUILD)/test-fuzz.log $$rc); \
	total_p=$$((total_p + $$1)); total_f=$$((total_f + $$2)); \
	$(call vm_suites,$(VM_SUITES)); \
	echo "$$total_p passed, $$total_f failed"; \
	[ $$total_f -eq 0 ]

# The whole guest suite on the debug kernel (KASAN, lockdep, kmemleak):
# run it before a change to kmod/ is called done.
.PHONY: test-debug
test-debug: modules-debug tests ynl-tree fuzz-build
	@total_p=0; total_f=0; \
	$(call vm_suites,debug:7200); \
	echo "$$total_p passed, $$total_f failed"; \
	[ $$total_f -eq 0 ]

# The stress tests (tests/stress) at full size, in a VM per kernel:
# thousands of links churned under watchers, cosid killed at random
# points, cosi.ko reloaded under live clients.  `make test` runs them at
# reduced sizes.  STRESS_* variables (see the scripts) are passed on.
STRESS_TIMEOUT ?= 5400
STRESS_VARS = $(foreach v,$(filter STRESS_%,$(.VARIABLES)),$(if $(filter environment command,$(firstword $(origin $(v)))),$(v)=$($(v))))
.PHONY: stress
stress: modules-all tests ynl-tree
	@fails=0; for v in $(TEST_KVERS); do \
		echo "=== stress, kernel $$v"; \
		$(VM_RUN) --kernel $$v --mem 4G --timeout $(STRESS_TIMEOUT) -- \
			env STRESS_FULL=1 TESTS='stress-*' $(STRESS_VARS) \
			sh tests/vm/guest-tests.sh $$v 2>&1 | \
			tee $(BUILD)/stress-$$v.log; \
		[ $${PIPESTATUS[0]} = 0 ] || fails=$$((fails + 1)); \
		grep '^# figures:' $(BUILD)/stress-$$v.log; \
	done; \
	[ $$fails = 0 ]

# The main job: boot 6.12, load the module, start cosid, apply the sample
# manifest with cosictl and show what the controllers did to the OS.
demo: modules-all ynl-tree daemon
	$(VM_RUN) --kernel $(KVER_612) -- tests/vm/demo.sh $(KVER_612)

# Benchmarks (not tests: they print figures and ratios).
#
# bench: every benchmark in one boot of the 6.12 VM, without slub_debug
# (bench/run.sh: cosi against in-kernel netlink peers, then bench/peers.sh
# if present); bench/report's summary ends the output.  The console is kept
# in build/bench/results.txt (`bench/report build/bench/results.txt`
# prints the summary again).  Sizes: BENCH_ENV="DUMP_N=20000 ...".
.PHONY: bench
bench: modules-all daemon
	$(MAKE) -C bench
	@set -o pipefail; mkdir -p $(BUILD)/bench; \
	$(VM_RUN) --kernel $(KVER_612) --mem 4G --timeout 3000 --no-slub-debug \
		-- env $(BENCH_ENV) sh bench/run.sh $(KVER_612) 2>&1 | \
		tee $(BUILD)/bench/results.txt

# bench-fleet: fleet mode's figures (bench/fleet.sh): cosictl --etcd apply
# to every node's status in etcd at 1, 10, 50 and 200 nodes, an idle
# fleet's etcd revisions, keys and watchers per node.  One boot of the
# 6.12 VM; the console is kept in build/bench/fleet.txt.  Sizes:
# BENCH_ENV="FLEET_SIZES='1 10' FLEET_ROUNDS=5 FLEET_IDLE=30"; with
# FLEET_PEER=1 the same rounds again with bench/fleet_peer.c as the node.
.PHONY: bench-fleet
bench-fleet: modules-all daemon
	$(MAKE) -C bench $(BUILD)/bench/fleet_peer
	@set -o pipefail; mkdir -p $(BUILD)/bench; \
	$(VM_RUN) --kernel $(KVER_612) --mem 6G --timeout 5400 --no-slub-debug \
		-- env $(BENCH_ENV) sh bench/fleet.sh $(KVER_612) 2>&1 | \
		tee $(BUILD)/bench/fleet.txt

# bench-trace: the cost of the tracepoints, against a cosi.ko built
# without them.
.PHONY: bench-trace
bench-trace: modules-all bpf
	$(MAKE) -C bench
	@set -e; v=$(KVER_612); d=$(BUILD)/bench/kmod-notrace-$$v; \
	mkdir -p $$d; \
	for f in $(CURDIR)/kmod/*.[ch] $(CURDIR)/kmod/Kbuild; do ln -sf $$f $$d/; done; \
	ln -sfn $(CURDIR)/kmod/include $$d/include; \
	$(MAKE) -C /usr/src/linux-headers-$$v M=$$d COSI_UAPI=$(CURDIR)/uapi \
		COSI_NOTRACE=1 modules
	$(VM_RUN) --kernel $(KVER_612) -- sh bench/trace-cost.sh $(KVER_612)
