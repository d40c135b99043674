# SPDX-License-Identifier: GPL-2.0
# Test targets, included by the top-level Makefile.

VM_RUN := tests/vm/run

.PHONY: tests test demo ynl-tree check daemon bpf

# cosid, cosictl and their tests; plain (build/daemon) and ASan/UBSan
# (build/daemon-asan) builds.
daemon: ksrc
	$(MAKE) -C daemon KSRC=$(KSRC)
	$(MAKE) -C daemon KSRC=$(KSRC) SAN=1

tests: ksrc daemon bpf
	$(MAKE) -C tests/selftests KSRC=$(KSRC) OUT=$(BUILD)/tests
	$(MAKE) -C tests/stress OUT=$(BUILD)/tests

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
check: check-uapi checkpatch

# Build for every target kernel and run the whole suite in a VM for each;
# the last line sums both: "N passed, N failed".
test: check modules-all tests ynl-tree
	@total_p=0; total_f=0; \
	for t in $(BUILD)/tests/bin/cosi_unit_asan \
		 $(BUILD)/daemon-asan/tests/cosictl_host; do \
		echo "=== host: $$(basename $$t) under ASan/UBSan"; \
		$$t 2>&1 | tee $(BUILD)/test-unit.log; \
		rc=$${PIPESTATUS[0]}; \
		line=$$(grep '^# Totals:' $(BUILD)/test-unit.log | tail -n1); \
		p=$$(echo "$$line" | sed -n 's/.* pass:\([0-9]*\).*/\1/p'); \
		f=$$(echo "$$line" | sed -n 's/.* fail:\([0-9]*\).*/\1/p'); \
		p=$${p:-0}; f=$${f:-0}; \
		if [ $$rc -ne 0 ] && [ $$f -eq 0 ]; then f=1; fi; \
		total_p=$$((total_p + p)); total_f=$$((total_f + f)); \
	done; \
	for v in $(TEST_KVERS); do \
		echo "=== kernel $$v"; \
		$(VM_RUN) --kernel $$v -- tests/vm/guest-tests.sh $$v \
			2>&1 | tee $(BUILD)/test-$$v.log; \
		rc=$${PIPESTATUS[0]}; \
		line=$$(grep -E '^[0-9]+ passed, [0-9]+ failed$$' $(BUILD)/test-$$v.log | tail -n1); \
		p=$$(echo "$$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p'); \
		f=$$(echo "$$line" | sed -n 's/.* \([0-9]*\) failed$$/\1/p'); \
		p=$${p:-0}; f=$${f:-0}; \
		if [ $$rc -ne 0 ] && [ $$f -eq 0 ]; then f=1; fi; \
		echo "=== kernel $$v: $$p passed, $$f failed"; \
		total_p=$$((total_p + p)); total_f=$$((total_f + f)); \
	done; \
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

# Benchmarks (not tests: they print figures and ratios).  bench-trace:
# the cost of the tracepoints, against a cosi.ko built without them.
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
