#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fleet mode's figures (`make bench-fleet`, Documentation/benchmarks.rst
# goal 10), as root in the VM from the top of the repository:
#
#   sh bench/fleet.sh KVER
#
# One etcd 3.4 member in the root netns and nodes as in the fleet tests
# (tests/daemon/fleet_lib.sh: a cosid each in its own network, UTS and
# mount namespace, over a veth pair; plain builds), all in group "bench".  For
# each size of FLEET_SIZES (default "1 10 50 200"; nodes are added to the
# running ones, FLEET_BATCH (10) at a time), FLEET_ROUNDS (10) rounds of `cosictl --etcd apply
# --group bench` of a sysctl, each timed until every node's SysctlStatus
# is in etcd (bench/fleet_rounds.py).  Then, with every node up:
# etcd revisions during FLEET_IDLE seconds (60) of an idle fleet, etcd
# keys and watchers per node, cosid's memory per node.
# FLEET_ASLR (0): the guest's kernel.randomize_va_space for the run.
# FLEET_PEER=1: then the same sizes and rounds again with the nodes
# bench/fleet_peer.c instead of cosid (the least a node can do for a
# round: what cosid costs above it is its design's), RESULT lines of
# system "peer"; its nodes take over the namespaces of cosid's, which
# are stopped first.
# Prints RESULT lines, then bench/report's summary.
kver=${1:-$(uname -r)}
top=$(pwd)
T=$(mktemp -d)
COSID_BUILD=${COSID_BUILD:-$top/build/daemon}
SIZES=${FLEET_SIZES:-1 10 50 200}
ROUNDS=${FLEET_ROUNDS:-10}
IDLE=${FLEET_IDLE:-60}
BATCH=${FLEET_BATCH:-10}
KINDS=cosid
[ "${FLEET_PEER:-0}" = 1 ] && KINDS="cosid peer"
PEER=$top/build/bench/fleet_peer
if [ "$KINDS" != cosid ] && [ ! -x "$PEER" ]; then
	echo "bench/fleet.sh: no $PEER (make -C bench $PEER)" >&2
	exit 1
fi
results=$T/results.txt
. "$top/tests/daemon/fleet_lib.sh"

up=0		# nodes 1..up run (fleet_lib.sh's cleanup stops them)
pids=
die() {
	echo "bench/fleet.sh: $*" >&2
	on_fail
	exit 1
}
. "$top/bench/context.sh"
# Address-space randomization off in the guest (a boot of its own): TCG
# keys its translated code by virtual address, so N cosid with their
# binary and libraries at N addresses each need their code translated
# anew, and at 200 the translation cache thrashes (a node's CPU per
# change went from 20 to 130 ms; 13 ms without randomization).  Real
# nodes have their own CPUs and keep randomization.
ASLR=${FLEET_ASLR:-0}
echo "$ASLR" > /proc/sys/kernel/randomize_va_space
bench_context "$results"
echo "CONTEXT randomize_va_space $(cat /proc/sys/kernel/randomize_va_space)" |
	tee -a "$results"

insmod "$top/build/kmod-$kver/cosi.ko" || die "cannot load cosi.ko"
# shellcheck disable=SC3045	# dash has ulimit -n
ulimit -n 65536		# etcd: a few connections per node
start_etcd
until_ok 60 healthy || die "etcd did not start in 60 s"
E=http://127.0.0.1:$PORT

# live: the nodes registered (cosictl --etcd get nodes, LIVE column).
live() { "$CTL" --etcd "$E" get nodes 2>/dev/null | grep -c ' yes '; }
# in_step VALUE: every running node published that value (cosictl
# --etcd wait: a listing of 1200 statuses outlasts etcdctl's 3 s on a
# loaded guest).
in_step() {
	"$CTL" --etcd "$E" wait sysctlstatus net.core.somaxconn --for "value=$1" \
		--group bench --timeout 60s > /dev/null 2>> "$T/ctl.err"
}

# start N: node N as the kind being measured.
start() {
	if [ "$kind" = cosid ]; then
		start_node "$1" --group bench
		return
	fi
	node_exec "$1" "$PEER" "$(etcd_urls "10.77.$1.1")" "n$1" bench \
		>> "$T/n$1.log" 2>&1 &
	eval "pid$1=\$!"
}

# sizes: the rounds of every size of SIZES, nodes of $kind.
sizes() {
for size in $SIZES; do
	i=$((i + 1))
	[ "$size" -gt 250 ] && die "at most 250 nodes (10.77.N.0/24)"
	# Batches of BATCH nodes, each registered before the next starts:
	# 200 cosid starting at once (definitions, range, registration,
	# stale-status sweep and first publish each) kept two emulated CPUs
	# busy long enough for etcd to refuse puts for 120 s.
	while [ $up -lt "$size" ]; do
		up=$((up + 1))
		[ "$kind" = cosid ] && node_links $up
		start $up
		pids="$pids${pids:+,}$(eval echo "\$pid$up")"
		[ $((up % BATCH)) = 0 ] || [ $up = "$size" ] || continue
		until_ok 600 is "$up" live || die "$up nodes did not register in 600 s"
	done
	last=$(((i - 1) * 100 + 10000 - 1))
	until_ok 120 ectl put "$P/desired/groups/bench/$SC/net.core.somaxconn" \
		"$(doc net.core.somaxconn $last)" > /dev/null ||
		die "etcd refused a put for 120 s"
	until_ok 1200 is "$up" live || die "$up nodes did not register in 1200 s"
	until_ok 1200 in_step $last || die "$up nodes did not apply $last in 1200 s"
	echo "# $up nodes up and in step"
	FLEET_KIND=$kind python3 "$top/bench/fleet_rounds.py" "$E" default bench \
		"$(seq -s, -f 'n%g' 1 "$up")" "$ROUNDS" $((last + 1)) "$CTL" \
		"$pids" "$(etcd_pids)" > "$T/rounds.out"
	rc=$?
	tee -a "$results" < "$T/rounds.out"
	[ $rc = 0 ] || die "$size nodes: a round failed"
done
}

kind=cosid
i=0
sizes

# Idle: nothing changes; etcd's revision should not move.
rev() {
	ectl get /x -w json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["header"]["revision"])'
}
r0=$(rev)
sleep "$IDLE"
r1=$(rev)
keys=$(ectl get --prefix "$P/" --keys-only | grep -c .)
rss=0
for p in $(echo "$pids" | tr , ' '); do
	rss=$((rss + $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/"$p"/status)))
done
python3 - "$up" "$IDLE" "$r0" "$r1" "$keys" "$(member_metric 1 etcd_debugging_mvcc_watcher_total)" \
	"$(member_metric 1 etcd_debugging_mvcc_watch_stream_total)" "$rss" <<'EOF' | tee -a "$results"
import sys
n, idle, r0, r1, keys, watchers, streams, rss = map(float, sys.argv[1:])
n = int(n)
print("RESULT 10 cosid idle_revs_node_min_n%d %.3f n" % (n, (r1 - r0) / n / (idle / 60)))
print("RESULT 10 cosid keys_per_node_n%d %.2f n" % (n, keys / n))
print("RESULT 10 cosid watchers_per_node_n%d %.2f n" % (n, watchers / n))
print("RESULT 10 cosid watch_streams_per_node_n%d %.2f n" % (n, streams / n))
print("RESULT 10 cosid rss_per_node_n%d %.0f B" % (n, rss * 1024 / n))
EOF
if [ "$KINDS" != cosid ]; then
	# cosid stopped cleanly (TERM: each revokes its lease, so that its
	# live key goes at once), then the peer nodes in its namespaces.
	for p in $(echo "$pids" | tr , ' '); do kill -TERM "$p"; done
	until_ok 120 is 0 live || die "cosid's nodes still live after 120 s"
	for p in $(echo "$pids" | tr , ' '); do
		kill -9 "$p" 2>/dev/null	# one that did not exit yet
		wait "$p"
	done
	# Their registrations too: wait --group waits for every registered
	# node of the group, and the peer's sizes start at the first again.
	until_ok 120 ectl del --prefix "$P/nodes/" > /dev/null ||
		die "etcd refused a delete for 120 s"
	kind=peer
	up=0
	pids=
	sizes
fi
[ -s "$T/etcd.log" ] && grep -c . "$T/etcd.log" | sed 's/^/# etcd log lines: /'
echo "=== report"
python3 "$top/bench/report" "$results"
