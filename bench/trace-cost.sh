#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What the cosi tracepoints cost, side by side, inside the VM (as root):
#   notrace   cosi.ko built without tracepoints (COSI_NOTRACE=1)
#   off       the normal cosi.ko, nothing attached (static branches)
#   tracefs   the cosi events enabled in tracefs (ring buffer writes)
#   bpf       cosi-top attached (tp_btf programs, ring buffer to userspace)
# Each runs cosi_update_bench once per round, RUNS rounds; the median is
# reported with its ratio to notrace.  Run by `make bench-trace`.
kver=${1:-$(uname -r)}
N=${N:-20000}
RUNS=${RUNS:-7}
top=$(pwd)
B=$top/build/bench/cosi_update_bench
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# once NAME: one benchmark run, appended to /tmp/bench.NAME.
once() { "$B" "$N" >> /tmp/bench.$1 || exit 1; }

# Rounds interleave the configurations, so that drift in the host's speed
# (TCG on a shared machine) hits them all alike.
for c in notrace off tracefs bpf; do : > /tmp/bench.$c; done
r=0
while [ $r -lt "$RUNS" ]; do
	insmod "$top/build/bench/kmod-notrace-$kver/cosi.ko" || exit 1
	once notrace
	rmmod cosi
	insmod "$top/build/kmod-$kver/cosi.ko" || exit 1
	once off
	echo 1 > $T/events/cosi/enable
	once tracefs
	echo 0 > $T/events/cosi/enable
	echo > $T/trace
	"$top/build/bpf/cosi-top" --interval 1 --duration 3600 > /dev/null 2>&1 &
	pid=$!
	sleep 2
	once bpf
	kill $pid
	wait $pid 2>/dev/null
	rmmod cosi
	r=$((r + 1))
done
for c in notrace off tracefs bpf; do
	eval "upd_$c=$(awk '{print $2}' /tmp/bench.$c | median)"
	eval "get_$c=$(awk '{print $4}' /tmp/bench.$c | median)"
done

echo "cosi tracepoint cost: $N updates and $N gets per run, median of $RUNS interleaved rounds, kernel $kver"
printf '%-10s %12s %8s %12s %8s\n' config updates/s ratio gets/s ratio
for c in notrace off tracefs bpf; do
	eval "u=\$upd_$c g=\$get_$c"
	printf '%-10s %12s %8s %12s %8s\n' $c $u \
		"$(awk "BEGIN {printf \"%.3f\", $u / $upd_notrace}")" $g \
		"$(awk "BEGIN {printf \"%.3f\", $g / $get_notrace}")"
done
