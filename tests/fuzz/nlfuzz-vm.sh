#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the VM, cosi.ko loaded: run nlfuzz (tests/fuzz/nlfuzz.c) for
# NLFUZZ_SECS seconds / NLFUZZ_MSGS messages (seed NLFUZZ_SEED, default
# random; printed) in a memory cgroup of its own, then check that
#  - nlfuzz held its assertions (answers, extack messages, cleanup, the
#    store still works);
#  - the unreclaimable slab charged to that cgroup returned to its
#    baseline, within SLAB_SLACK bytes (per-cpu stat batching and the
#    kernel's own deferred frees leave a few KiB; one of the fuzzer's
#    stores kept alive would be hundreds), once the fuzzer and its netns
#    are gone;
#  - cosi.ko, unloaded, reports no live objects (its counter at exit);
# and load cosi.ko again.  Loads cosi.ko first, and unloads it at the end,
# when it is not loaded yet (make fuzz).  Ends with "# Totals: pass:N fail:N" (the
# kselftest form tests/vm/guest-tests.sh counts).
#   nlfuzz-vm.sh KMOD_DIR
kmod=${1:?usage: nlfuzz-vm.sh KMOD_DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${NLFUZZ_SECS:-30}
msgs=${NLFUZZ_MSGS:-200000}
seed=${NLFUZZ_SEED:+-s $NLFUZZ_SEED}
slack=${SLAB_SLACK:-65536}
pass=0
fail=0

check() {
	name=$1
	shift
	if "$@"; then
		echo "ok: $name"
		pass=$((pass + 1))
	else
		echo "FAIL: $name"
		fail=$((fail + 1))
	fi
}

# Unreclaimable slab bytes charged to a cgroup (memory.stat), where
# cosi.ko's objects go (GFP_KERNEL_ACCOUNT); the reclaimable part is the
# dentries and inodes the exec cached.
slab_of() {
	sed -n 's/^slab_unreclaimable \([0-9]*\)$/\1/p' "$1/memory.stat"
}

cg=
if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
	mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
fi
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	cg=/sys/fs/cgroup/nlfuzz.$$
	mkdir "$cg" || cg=
fi
dmesg -c > /dev/null
loaded=1
if [ ! -d /sys/module/cosi ]; then
	loaded=0
	insmod "$kmod/cosi.ko" || { echo "# Totals: pass:0 fail:1"; exit 1; }
fi

if [ -n "$cg" ]; then
	base=$(slab_of "$cg")
	# shellcheck disable=SC2086
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
		"$top/build/fuzz/nlfuzz" -t "$secs" -n "$msgs" $seed
else
	# shellcheck disable=SC2086
	"$top/build/fuzz/nlfuzz" -t "$secs" -n "$msgs" $seed
fi
check "nlfuzz (exit $?)" [ $? = 0 ]

if [ -n "$cg" ]; then
	# Netns teardown and RCU frees are asynchronous: wait for them.
	i=0
	while [ $i -lt 30 ]; do
		now=$(slab_of "$cg")
		[ "$now" -le $((base + slack)) ] && [ $i -ge 3 ] && break
		sleep 1
		i=$((i + 1))
	done
	echo "nlfuzz: cgroup unreclaimable slab: $base bytes before, $now" \
	     "after (${i} s); $(grep '^slab ' "$cg/memory.stat") bytes in all"
	check "cgroup slab back to its baseline (+$slack)" \
		[ "$now" -le $((base + slack)) ]
	rmdir "$cg"
else
	echo "nlfuzz: no memory cgroup: slab not measured"
fi

grep -E '^(kmalloc-cg|kmalloc)-[0-9]+k? ' /proc/slabinfo > /tmp/nlfuzz.slab
check "rmmod cosi" rmmod cosi
# cosi.ko reports objects still live at unload (kmod/main.c).
if dmesg | grep -q 'cosi: .* objects'; then
	echo "nlfuzz: cosi.ko reported unreleased objects at unload"
	check "no live objects at unload" false
else
	check "no live objects at unload" true
fi
if [ "$loaded" = 1 ]; then
	check "insmod cosi" insmod "$kmod/cosi.ko"
fi
echo "# Totals: pass:$pass fail:$fail"
[ "$fail" = 0 ]
