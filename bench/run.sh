#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# All the benchmarks in one VM boot (run by `make bench`, as root in the
# guest): the machine's context, the kernel-side benchmarks (one program
# per goal, each in its own network namespace), then bench/peers.sh when
# it exists (the userspace peers), then bench/report over all of it.
# Everything goes to stdout: the guest's writes are lost, `make bench`
# keeps the console in build/bench/results.txt.
#
# Sizes come from the environment (pass them with `make bench BENCH_ENV=`):
# GET_N, EVENT_N, BATCH_N, BATCH, DUMP_N, DUMP_RUNS, DUMPW_N, DUMPW_W,
# MEM_N, EVENTS_QUEUED, SCALE_N, FANOUT_ROUNDS, FANOUT_CHANGES.  cosi.ko
# stays loaded for bench/peers.sh.
kver=${1:-$(uname -r)}
top=$(pwd)
B=$top/build/bench
results=/tmp/bench-results.txt
status=0

: > $results
. "$top/bench/context.sh"
bench_context $results

insmod "$top/build/kmod-$kver/cosi.ko" || exit 1

# Goal 5 needs a memory cgroup (cgroup v2) to account the store.
cg=/sys/fs/cgroup
grep -q "^cgroup2 $cg " /proc/mounts || mount -t cgroup2 none $cg || exit 1
echo +memory > $cg/cgroup.subtree_control || exit 1
mkdir -p $cg/bench

# run NAME CMD...: one benchmark (or the peers); its RESULT lines are kept.
run() {
	name=$1
	shift
	echo "=== $name"
	start=$(date +%s)
	"$@" > /tmp/bench.out
	rc=$?
	cat /tmp/bench.out
	grep '^RESULT ' /tmp/bench.out >> $results
	echo "=== $name: exit $rc, $(($(date +%s) - start)) s"
	[ $rc = 0 ] || status=1
}

# bench NAME ENV...: a program of build/bench.
bench() { name=$1; shift; run "$name" env "$@" "$B/$name"; }

bench get_rtt N=${GET_N:-20000}
bench event_latency N=${EVENT_N:-2000}
bench batch_rate N=${BATCH_N:-20000} BATCH=${BATCH:-64}
bench dump_rate N=${DUMP_N:-100000} RUNS=${DUMP_RUNS:-11}
bench dump_writer N=${DUMPW_N:-100000} W=${DUMPW_W:-5000}
bench memory N=${MEM_N:-100000} E=${EVENTS_QUEUED:-10000} CGROUP=$cg/bench
bench watch_scale N=${SCALE_N:-5000}
bench fanout_rate ROUNDS=${FANOUT_ROUNDS:-20} CHANGES=${FANOUT_CHANGES:-100}
bench kfunc_lookup N=${KFUNC_N:-2000}
rmdir $cg/bench 2>/dev/null

# The userspace peers (another part of the work); cosi.ko stays loaded.
[ -f "$top/bench/peers.sh" ] && run peers.sh sh "$top/bench/peers.sh" "$kver"
rmmod cosi

echo "=== report"
python3 "$top/bench/report" $results || status=1
exit $status
