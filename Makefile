# SPDX-License-Identifier: GPL-2.0
#
# Top-level build.  `make` builds cosi.ko for the running kernel (or KDIR=);
# `make test` builds for both Debian target kernels and runs the test suite
# in QEMU against each of them.

SHELL	:= /bin/bash

KDIR	?= /lib/modules/$(shell uname -r)/build
BUILD	:= $(CURDIR)/build
KSRC	:= $(BUILD)/ksrc

# Debian's kernels the project targets: 6.12 LTS (primary) and 6.1.
KVER_612 := $(notdir $(lastword $(sort $(wildcard /usr/src/linux-headers-6.12*-amd64))))
KVER_61  := $(notdir $(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64))))
KVER_612 := $(KVER_612:linux-headers-%=%)
KVER_61  := $(KVER_61:linux-headers-%=%)
TEST_KVERS ?= $(KVER_612) $(KVER_61)

.PHONY: all modules install install-daemon clean ksrc uapi check-uapi checkpatch \
	genl check-genl \
	modules-all vmlinux-all tests test userspace

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod/samples \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/kmod/Module.symvers modules

# Installation; the Debian packages install the same files.  Every
# directory can be set (DESTDIR for staging; Debian passes PREFIX=/usr
# LIBDIR=/usr/lib/$(DEB_HOST_MULTIARCH) UNITDIR=/lib/systemd/system):
#   install            the module (modules_install, depmod) + install-userspace
#   install-userspace  install-lib + install-daemon + install-bpf
#   install-lib        libcosi and libcosi-runtime (.so, headers in
#                      INCLUDEDIR/cosi/, the UAPI header, .pc files)
#   install-daemon     cosid, cosictl, the unit, bash completion, docs
#   install-bpf        cosi-top, cosi-follow
# Each builds what it installs if needed (`make userspace` builds all of it).
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
LIBDIR	?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# SYSCONFDIR: install-daemon makes SYSCONFDIR/cosi, cosid's configuration
# directory (empty: the operator writes it), as the cosid package does.
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR	?= $(PREFIX)/share/doc/cosi
INSTALL_DIRS := DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
	INCLUDEDIR=$(INCLUDEDIR) PKGCONFIGDIR=$(PKGCONFIGDIR)

.PHONY: install-userspace install-lib install-bpf daemon-bins bpf-tools
install: modules install-userspace
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod INSTALL_MOD_PATH=$(DESTDIR) \
		modules_install
	$(if $(DESTDIR),,depmod -a)

install-userspace: install-lib install-daemon install-bpf install-man

# The libraries, cosid and cosictl (build/daemon), cosi-top and
# cosi-follow (build/bpf): what `make install-userspace` installs.
userspace: daemon-bins bpf-tools
daemon-bins:
	$(MAKE) -C daemon bins
bpf-tools:
	$(MAKE) -C bpf OUT=$(BUILD)/bpf

# The libraries as cosid links them (build/daemon/lib, `make daemon`).
# Installed into the system (no DESTDIR), the loader's cache is refreshed
# (as depmod for the module): else cosid cannot find libcosi.so.1 in
# /usr/local/lib until somebody runs ldconfig.  LDCONFIG=true skips it.
LDCONFIG ?= ldconfig
# With them, what libcosi-dev ships in its doc directory: plugins.rst and
# the C example controller (DOCDIR/examples/kmod).
install-lib:
	$(MAKE) -C lib OUT=$(BUILD)/daemon/lib $(INSTALL_DIRS) install
	install -D -m 0644 -t $(DESTDIR)$(DOCDIR) Documentation/plugins.rst
	install -D -m 0644 -t $(DESTDIR)$(DOCDIR)/examples/kmod \
		$(wildcard examples/controllers/kmod/*)
	$(if $(DESTDIR),,$(LDCONFIG))

# The example controllers (examples/controllers/), built as outside
# programs: against the libraries installed with PREFIX=build/stage,
# found by pkg-config there.
STAGE	:= $(BUILD)/stage
.PHONY: examples
examples:
	rm -rf $(STAGE)
	$(MAKE) install-lib PREFIX=$(STAGE) LIBDIR=$(STAGE)/lib \
		INCLUDEDIR=$(STAGE)/include PKGCONFIGDIR=$(STAGE)/lib/pkgconfig \
		LDCONFIG=true
	PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig \
		$(MAKE) -C examples/controllers/kmod OUT=$(BUILD)/examples

# Out-of-tree builds per target kernel, in build/<kver>/ (kbuild wants
# the sources next to the objects, so they are mirrored with symlinks);
# the sample consumers of the in-kernel API go to build/<kver>/samples/.
# the sources next to the objects, so they are mirrored with symlinks);
# the sample consumers of the in-kernel API go to build/<kver>/samples/.
#
# Module BTF (CONFIG_DEBUG_INFO_BTF_MODULES): kbuild's modfinal runs
# pahole --btf_base against "vmlinux" in the directory make runs in (the
# kernel build directory), and skips BTF without it.  build/vmlinux-<kver>
# is the running kernel's BTF: Debian's 6.12 headers ship a BTF-only
# vmlinux; otherwise it is extracted from /boot/vmlinuz-<kver> with the
# kernel's extract-vmlinux, and kbuild runs in build/kdir-<kver>, the
# headers' directory mirrored with that vmlinux added.  Debian's 6.1
# kbuild lacks resolve_btfids, which the module's kfunc set (BTF_ID,
# kmod/bpf_kfuncs.c) needs: the 6.12 headers' one (RESOLVE_BTFIDS_HOST,
# the same tool, it reads any kernel's .BTF_ids) is used there.  Without
# them cosi is built without kfuncs (kmod/Kbuild), as DKMS builds it on 6.1.
vmlinux-all: ksrc
	@set -e; for v in $(TEST_KVERS); do \
		h=/usr/src/linux-headers-$$v; o=$(BUILD)/vmlinux-$$v; \
		if [ -f $$h/vmlinux ]; then ln -sfn $$h/vmlinux $$o; \
		elif [ ! -s $$o ] || [ /boot/vmlinuz-$$v -nt $$o ]; then \
			echo "  EXTRACT $$o"; \
			$(KSRC)/scripts/extract-vmlinux /boot/vmlinuz-$$v > $$o.tmp; \
			mv $$o.tmp $$o; \
		fi; \
	done

RESOLVE_BTFIDS_HOST ?= $(firstword $(wildcard \
	/usr/src/linux-headers-$(KVER_612)/tools/bpf/resolve_btfids/resolve_btfids))

# $(call build_kmod,NAME,KERNEL-DIR): cosi.ko and the samples into
# build/kmod-NAME, sources mirrored with symlinks.
define build_kmod
	d=$(BUILD)/kmod-$(1); k=$(2); extra=; mkdir -p $$d/samples; \
	find $$d -maxdepth 1 -xtype l -delete; \
	for f in $(CURDIR)/kmod/*.[ch] $(CURDIR)/kmod/Kbuild; do ln -sf $$f $$d/; done; \
	ln -sfn $(CURDIR)/kmod/include $$d/include; \
	[ -x $$k/tools/bpf/resolve_btfids/resolve_btfids ] || \
		extra=RESOLVE_BTFIDS=$(or $(RESOLVE_BTFIDS_HOST),true); \
	$(MAKE) -C $$k M=$$d COSI_UAPI=$(CURDIR)/uapi modules W=1 $$extra; \
	for f in $(CURDIR)/kmod/samples/*.c $(CURDIR)/kmod/samples/Kbuild; do \
		ln -sf $$f $$d/samples/; done; \
	$(MAKE) -C $$k M=$$d/samples \
		COSI_INC=$(CURDIR)/kmod/include \
		KBUILD_EXTRA_SYMBOLS=$$d/Module.symvers modules W=1 $$extra
endef

modules-all: vmlinux-all
	@set -e; for v in $(TEST_KVERS); do \
		k=/usr/src/linux-headers-$$v; \
		if [ ! -f $$k/vmlinux ]; then \
			kd=$(BUILD)/kdir-$$v; mkdir -p $$kd; \
			for f in $$k/* $$k/.config $$k/.kernelvariables; do ln -sfn $$f $$kd/; done; \
			ln -sfn $(BUILD)/vmlinux-$$v $$kd/vmlinux; k=$$kd; \
		fi; \
		$(call build_kmod,$$v,$$k); \
	done

# The debug kernel (KASAN, lockdep, PROVE_RCU, kmemleak; tests/vm/debug.config)
# built from linux-source-6.12 and cached in build/debug-kernel/ (about 12
# minutes the first time on 2 cores), and cosi.ko built for it in
# build/kmod-debug; `tests/vm/run --kernel debug` boots it.
.PHONY: debug-kernel modules-debug
debug-kernel:
	@scripts/debug-kernel.sh > /dev/null

modules-debug: debug-kernel
	@set -e; $(call build_kmod,debug,$(BUILD)/debug-kernel/current)

# cosid, cosictl (linked without the tree's RUNPATH), the systemd unit
# (its paths rewritten for SBINDIR and DOCDIR), bash completion, docs.
install-daemon: daemon-bins
	install -D -m 0755 $(BUILD)/daemon/inst/cosid $(DESTDIR)$(SBINDIR)/cosid
	install -D -m 0755 $(BUILD)/daemon/inst/cosictl $(DESTDIR)$(BINDIR)/cosictl
	install -D -m 0644 daemon/cosictl/cosictl.bash \
		$(DESTDIR)$(BASHCOMPDIR)/cosictl
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/sbin/cosid|$(SBINDIR)/cosid|' \
	    -e 's|/usr/share/doc/cosi|$(DOCDIR)|' daemon/cosid.service \
		> $(DESTDIR)$(UNITDIR)/cosid.service
	install -d $(DESTDIR)$(SYSCONFDIR)/cosi
	install -D -m 0644 -t $(DESTDIR)$(DOCDIR) \
		Documentation/cosid.rst Documentation/cosictl.rst \
		Documentation/controllers.rst examples/node.yaml

install-bpf: bpf-tools
	install -D -m 0755 -t $(DESTDIR)$(BINDIR) \
		$(BUILD)/bpf/cosi-top $(BUILD)/bpf/cosi-follow
	install -D -m 0644 -t $(DESTDIR)$(DOCDIR) Documentation/tracing.rst

ksrc:
	@scripts/ksrc.sh $(KSRC)

# The UAPI header is generated from the YNL spec; check-uapi fails when the
# committed header does not match the spec.
YNL_TREE := $(BUILD)/ynl-tree
define gen_uapi
	@rm -rf $(YNL_TREE); mkdir -p $(YNL_TREE)/Documentation/netlink/specs
	@touch $(YNL_TREE)/MAINTAINERS
	@cp $(KSRC)/Documentation/netlink/*.yaml $(YNL_TREE)/Documentation/netlink/
	@cp Documentation/netlink/specs/cosi.yaml $(YNL_TREE)/Documentation/netlink/specs/
	@python3 $(KSRC)/tools/net/ynl/ynl-gen-c.py --mode uapi --header \
		--spec $(YNL_TREE)/Documentation/netlink/specs/cosi.yaml -o $(1)
endef

uapi: ksrc
	$(call gen_uapi,$(CURDIR)/uapi/linux/cosi.h)

check-uapi: ksrc
	$(call gen_uapi,$(BUILD)/cosi.h.gen)
	@diff -u uapi/linux/cosi.h $(BUILD)/cosi.h.gen && echo "uapi: header matches spec"

# The module's policies, split-ops table, family and handler prototypes
# (kmod/genl.c, kmod/genl.h) are generated from the spec by ynl-gen-c in
# kernel mode, as the kernel does for its own families, through
# scripts/ynl-gen-kernel.py (two fixes to the 6.12 generator's policies).
# They are committed, so building the module (DKMS included) needs neither
# python nor a kernel tree; check-genl fails when they differ from what
# the spec generates.
define gen_genl
	@mkdir -p $(1)
	@python3 scripts/ynl-gen-kernel.py $(KSRC)/tools/net/ynl/ynl-gen-c.py \
		--mode kernel --source \
		--spec $(YNL_TREE)/Documentation/netlink/specs/cosi.yaml -o $(1)/genl.c
	@python3 scripts/ynl-gen-kernel.py $(KSRC)/tools/net/ynl/ynl-gen-c.py \
		--mode kernel --header \
		--spec $(YNL_TREE)/Documentation/netlink/specs/cosi.yaml -o $(1)/genl.h
endef

genl: ynl-tree
	$(call gen_genl,$(CURDIR)/kmod)

check-genl: ynl-tree
	@rm -rf $(BUILD)/genl-gen
	$(call gen_genl,$(BUILD)/genl-gen)
	@diff -u kmod/genl.c $(BUILD)/genl-gen/genl.c && \
		diff -u kmod/genl.h $(BUILD)/genl-gen/genl.h && \
		echo "genl: kmod/genl.[ch] match spec"

# MACRO_ARG_REUSE: cosi_assign_str() takes a constant field name twice.
# The generated kmod/genl.[ch] are checked by check-genl instead.
checkpatch: ksrc
	@perl $(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse \
		--ignore FILE_PATH_CHANGES,MACRO_ARG_REUSE \
		-f $(filter-out kmod/genl.c kmod/genl.h,$(wildcard kmod/*.c kmod/*.h)) \
		kmod/include/cosi/*.h kmod/samples/*.c && \
		echo "checkpatch: clean"

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean 2>/dev/null
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod/samples clean 2>/dev/null

include dist.mk
-include tests/tests.mk
