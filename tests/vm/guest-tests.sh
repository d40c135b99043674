#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the VM: load the module built for this kernel, run every
# test program and script, unload, and print "N passed, N failed".
# TESTS="glob ..." limits which programs run; a "!glob" leaves out what it
# matches (TESTS='!cosictl_vm.sh' is everything else).  The stress tests run at reduced
# sizes unless STRESS_FULL=1 (make stress); STRESS_* variables override.
kver=${1:-$(uname -r)}
top=$(pwd)
pass=0
fail=0

if ! insmod "$top/build/kmod-$kver/cosi.ko"; then
	echo "guest: cannot load build/kmod-$kver/cosi.ko"
	echo "0 passed, 1 failed"
	exit 1
fi

# The module's parameters as loaded.  Each program's parameter changes end
# with it, also when it failed before restoring them (an ASSERT in a
# kselftest fixture can skip its teardown): one failure, not a cascade.
params=/sys/module/cosi/parameters
for f in "$params"/*; do
	[ -w "$f" ] && echo "$(basename "$f") $(cat "$f")"
done > /tmp/cosi-params
params_reset() {
	while read -r p_name p_val; do
		[ "$(cat "$params/$p_name" 2>/dev/null)" = "$p_val" ] ||
			{ echo "$p_val" > "$params/$p_name"; } 2>/dev/null
	done < /tmp/cosi-params
}

# Whether $1 is selected by TESTS: it matches no "!glob" and, when there
# is any plain glob, one of those.
selected() {
	[ -z "$TESTS" ] && return 0
	set -f
	sel_any=0 sel_hit=0
	for pat in $TESTS; do
		case $pat in
		!*)	# shellcheck disable=SC2254
			case $1 in ${pat#!}) set +f; return 1 ;; esac ;;
		*)	sel_any=1
			# shellcheck disable=SC2254
			case $1 in $pat) sel_hit=1 ;; esac ;;
		esac
	done
	set +f
	[ "$sel_any" = 0 ] || [ "$sel_hit" = 1 ]
}

run_one() {
	name=$(basename "$1")
	shift
	selected "$name" || return 0
	log=/tmp/$name.log
	t0=$(date +%s)
	"$@" > "$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	params_reset
	cat "$log"
	# A daemon a test started and did not stop outlives it and can
	# skew the tests after it: name it, stop it, count it as a failure.
	left=$(pgrep -a -x 'cosid|cosictl|cosi-[a-z]*|bpftrace' 2>/dev/null)
	if [ -n "$left" ]; then
		echo "guest: $name left processes running:"
		echo "$left" | sed 's/^/guest:   /'
		pkill -KILL -x 'cosid|cosictl|cosi-[a-z]*|bpftrace'
		[ "$rc" = 0 ] && rc=99
	fi
	counts=$("$top/tests/lib/counts.sh" "$log" "$rc")
	p=${counts% *}
	f=${counts#* }
	echo "guest: $name: $p passed, $f failed (exit $rc, $secs s)"
	pass=$((pass + p))
	fail=$((fail + f))
}

# The debug kernel's KASAN and kmemleak make each write ~10x dearer; its
# run is for lifetime reports: cosi_memory fills stores of 5000, not 10000.
[ "$kver" = debug ] && export COSI_MEMORY_NRES=${COSI_MEMORY_NRES:-5000}
for t in "$top"/build/tests/bin/cosi_*; do
	case $t in *_asan) continue ;; esac	# host-side, sanitized
	[ -x "$t" ] && run_one "$t" "$t"
done
run_one ynl-cli.sh sh "$top/tests/ynl/ynl-cli.sh"

# The Python package, installed from the tree with pip, and its example
# controller.
run_one python-cosi.sh sh "$top/tests/python/python-cosi.sh"

# cosid and cosictl: the runtime and the controllers (ASan/UBSan builds),
# the CLI, and the daemon end to end.
for t in cosi_runtime cosi_controllers; do
	run_one "$t" "$top/build/daemon-asan/tests/$t"
done
run_one cosictl_vm.sh sh "$top/tests/daemon/cosictl_vm.sh"
run_one cosid_e2e.sh sh "$top/tests/daemon/cosid_e2e.sh"
run_one cosid_configdir.sh sh "$top/tests/daemon/cosid_configdir.sh"
run_one apiserver_vm.sh sh "$top/tests/daemon/apiserver_vm.sh"
run_one apiserver_review_vm.sh sh "$top/tests/daemon/apiserver_review_vm.sh"
run_one fleet_vm.sh sh "$top/tests/daemon/fleet_vm.sh"
run_one fleet_auth_vm.sh sh "$top/tests/daemon/fleet_auth_vm.sh"
# The fleet at scale and under faults (make test-fleet-scale): slow, so
# only when TESTS names it.
case " $TESTS " in *" fleet_scale_vm.sh "*)
	run_one fleet_scale_vm.sh sh "$top/tests/daemon/fleet_scale_vm.sh" ;;
esac
# An external controller on the installed libcosi-runtime, beside cosid.
run_one plugin_kmod.sh sh "$top/tests/daemon/plugin_kmod.sh"

# Reliability under churn and SIGKILL (tests/stress); reload.sh below.
# The debug kernel writes 3-4x slower: the churn's slow watcher must be
# slower too, or it keeps up and never overflows (which the test needs).
[ "$kver" = debug ] && export STRESS_SLOW_US=${STRESS_SLOW_US:-100000}
if [ -z "$STRESS_FULL" ]; then
	export STRESS_LINKS=${STRESS_LINKS:-200} STRESS_FLAPS=${STRESS_FLAPS:-3}
	export STRESS_ROUNDS=${STRESS_ROUNDS:-3} STRESS_HOSTS=${STRESS_HOSTS:-40}
	export STRESS_FAULT_LINKS=${STRESS_FAULT_LINKS:-6}
	export STRESS_RELOADS=${STRESS_RELOADS:-1}
fi
run_one stress-churn.sh bash "$top/tests/stress/churn.sh"
run_one stress-faults.sh bash "$top/tests/stress/faults.sh"

# Tracepoints through bpftrace and perf, untouched third-party tools.
run_one bpftrace.sh sh "$top/tests/bpf/bpftrace.sh"
run_one bpf-tools.sh sh "$top/tests/bpf/tools.sh"
run_one bpf-kfunc-examples.sh sh "$top/tests/bpf/kfunc-examples.sh"

# Bad input: nlfuzz for 30 s (root, then uid 65534), then cgroup slab and
# cosi.ko's live-object count at an unload (it loads cosi.ko again).
run_one nlfuzz-vm.sh sh "$top/tests/fuzz/nlfuzz-vm.sh" "$top/build/kmod-$kver"

# The Debian packages: the DKMS-built cosi.ko, the userspace installed
# with dpkg, cosid run as its unit would run it (tests/dist/install.sh;
# it loads the suite's cosi.ko again).  DKMS builds for Debian kernels'
# headers, not for the debug kernel.
[ "$kver" = debug ] ||
	run_one dist-install.sh sh "$top/tests/dist/install.sh" "$kver"

# The in-kernel API through the sample consumer module; ends by unloading
# the sample and cosi.ko and loading cosi.ko again.
run_one kwatch.sh sh "$top/tests/kapi/kwatch.sh" "$top/build/kmod-$kver"

# Unload and reload under cosid and cosictl watches (leaves it loaded).
run_one stress-reload.sh bash "$top/tests/stress/reload.sh" \
	"$top/build/kmod-$kver/cosi.ko"

# Last: unload and reload under a live watch and claim.
run_one unload_live.py python3 "$top/tests/ynl/unload_live.py" \
	"$top/build/kmod-$kver/cosi.ko"

if ! rmmod cosi; then
	echo "guest: rmmod cosi failed"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
