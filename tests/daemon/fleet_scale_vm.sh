#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The fleet at scale and under faults, inside the VM as root with cosi.ko
# loaded, from the top of the repository (make test-fleet-scale;
# tests/vm/guest-tests.sh runs it only when TESTS names it):
#
#   FLEET_NODES=8 sh tests/daemon/fleet_scale_vm.sh
#
# A three-member etcd cluster on loopback in the root network namespace
# (fleet_lib.sh, ETCD_MEMBERS=3; data on the guest's tmpfs) and
# FLEET_NODES nodes (default 8), each a cosid (the plain build unless
# COSID_BUILD) in its own network, UTS and mount namespace given the three
# members' URLs; nodes 1..FLEET_NODES/2 are group g1.  Desired config
# through cosictl --etcd apply: a sysctl, a hostname and a hosts entry for
# every node, others for g1, others for node n1.  After the start and
# after each fault, every node must hold exactly its effective config
# (node > group > all): its SysctlStatuses and HostnameStatus, /proc/sys
# in its netns, its hostname and /run/cosi/hosts (in its mount namespace:
# after a restart, the new one), and the statuses it
# published to etcd; from 8 nodes, their watch streams on more than one
# member (each cosid starts at one at random).  Each fault is checked to
# have happened.  The
# faults: (a) the first member killed (-9; it no longer answers, the
# other two do), then a change applied; (b) every member stopped for
# FLEET_OUTAGE s (30; none answers); (c) every node cut off until it
# drops its watch, then a change, etcdctl compact and defrag, and the
# links up (the nodes re-list); (d) cosid killed (-9) on two nodes right
# after a group apply is in etcd (a skip, not a pass, when the g1 node
# had published the change before it died), started again; (e) a node's
# veth down for FLEET_LINKDOWN s (20) while its config changes (the
# change must not reach it meanwhile); (f) a node's lease revoked.  Waits
# poll with generous wall-clock
# limits (FLEET_WAIT s, default 120 + 6 s a node); nothing is timed.
# Prints "ok N - what" / "not ok N - what" and a "# Totals:" line.

top=$(pwd)
T=$(mktemp -d /tmp/fleet_scale.XXXXXX)
COSID_BUILD=${COSID_BUILD:-$top/build/daemon}
ETCD_MEMBERS=3
# Raft's timing for a slow network (etcd's tuning guide): emulated CPUs
# shared with FLEET_NODES daemons miss 100 ms heartbeats, and with the
# defaults (100 ms, 1 s) the members elected leader after leader for
# minutes while 50 nodes started.
ETCD_ARGS="${ETCD_ARGS:-} --heartbeat-interval 500 --election-timeout 5000"
. "$top/tests/daemon/fleet_lib.sh"

N=${FLEET_NODES:-8}
HALF=$((N / 2))
OUTAGE=${FLEET_OUTAGE:-30}
LINKDOWN=${FLEET_LINKDOWN:-20}
WAIT=${FLEET_WAIT:-$((120 + 6 * N))}
case $N in ''|*[!0-9]*) N=0 ;; esac
if [ "$N" -lt 4 ] || [ "$N" -gt 254 ]; then
	echo "fleet_scale_vm.sh: FLEET_NODES: a number from 4 to 254" >&2
	exit 2
fi
echo "# $N nodes, g1 = n1..n$HALF, etcd members: $ETCD_MEMBERS"

need etcd etcdctl

EU=$(etcd_urls 127.0.0.1)
fctl() { "$CTL" --etcd "$EU" "$@" 2>> "$T/ctl.err"; }
nodes() { seq 1 "$N"; }
node_args() { [ "$1" -le "$HALF" ] && echo "--group g1"; }
cosid_pid() { eval "echo \${pid$1:-}"; }

# --- documents and cosictl --etcd apply/delete
sysctl_doc() {
	printf 'metadata: {namespace: config, type: SysctlConfigs.cosi.dev, id: %s}\nspec: {value: "%s"}\n---\n' "$1" "$2"
}
hostname_doc() {
	printf 'metadata: {namespace: config, type: HostnameConfigs.cosi.dev, id: hostname}\nspec: {hostname: %s}\n---\n' "$1"
}
hosts_doc() {
	printf 'metadata: {namespace: config, type: HostsEntries.cosi.dev, id: %s}\nspec: {address: %s, names: [%s]}\n---\n' "$1" "$2" "$1"
}
# fapply SCOPE...: stdin's documents as the desired config of SCOPE
# (--all-nodes, --group G, --node N) with cosictl --etcd apply, tried
# again (3 times in all, 10 s apart) when it fails: etcd in a TCG guest
# beside 50 starting nodes may be without a leader for a while (cosictl
# then times out, as it must), and applying the same documents again is
# harmless.
fapply() {
	cat > "$T/apply.yaml"
	for _try in 1 2 3; do
		fctl apply -f "$T/apply.yaml" "$@" > /dev/null && return 0
		[ "$_try" = 3 ] && break
		echo "# cosictl --etcd apply $* failed (try $_try): again in 10 s"
		sleep 10
	done
	echo "# cosictl --etcd apply $* failed 3 times"
	return 1
}

# --- the effective config the model says, per node
# S_ALL, S_G1, S_Ni: net.core.somaxconn; H_*: the hostname; TTL:
# net.ipv4.ip_default_ttl (all only).  An empty S_Ni/H_Ni: no node entry.
S_ALL=1001 S_G1=1002 S_N1=1003 TTL=71
H_ALL=fleet-all H_G1=fleet-g1 H_N1=fleet-n1
want() {	# want N s|h: node N's effective somaxconn or hostname
	_k=$(echo "$2" | tr sh SH)
	eval "_v=\${${_k}_N$1:-}"
	[ -n "$_v" ] || { [ "$1" -le "$HALF" ] && eval "_v=\$${_k}_G1"; }
	[ -n "$_v" ] || eval "_v=\$${_k}_ALL"
	echo "$_v"
}
# want_file: "nN somaxconn ttl hostname" a line per node, in $T/want.
want_file() {
	for _i in $(nodes); do
		echo "n$_i $(want "$_i" s) $TTL $(want "$_i" h)"
	done > "$T/want"
}

# etcd_ok: every node published statuses of its effective config (one
# cosictl --etcd get per type for the whole fleet).  Mismatches: $T/conv.
etcd_ok() {
	want_file
	fctl get sysctlstatus --all-nodes -o json > "$T/ss.json" &&
		fctl get hostnamestatus --all-nodes -o json > "$T/hs.json" &&
		python3 - "$T/want" "$T/ss.json" "$T/hs.json" > "$T/conv" 2>&1 <<'EOF'
import json, sys
want = {}
for line in open(sys.argv[1]):
    n, s, t, h = line.split()
    want[n] = {"net.core.somaxconn": s, "net.ipv4.ip_default_ttl": t, "hostname": h}
got = {n: {} for n in want}
for d in json.load(open(sys.argv[2])):
    i = d["metadata"]["id"]
    if d["node"] in got and i in want[d["node"]]:
        got[d["node"]][i] = d["spec"].get("value")
for d in json.load(open(sys.argv[3])):
    if d["node"] in got and d["metadata"]["id"] == "hostname":
        got[d["node"]]["hostname"] = d["spec"].get("hostname")
bad = ["%s %s: %s, want %s" % (n, k, got[n].get(k), v)
       for n in sorted(want) for k, v in want[n].items() if got[n].get(k) != v]
print("\n".join(bad[:10]))
sys.exit(1 if bad else 0)
EOF
}

# node_ok N: node N's own view: its statuses, /proc/sys in its netns, its
# hostname (UTS namespace) and /run/cosi/hosts (mount namespace; a node
# that is down has none, and fails).
node_ok() {
	_s=$(want "$1" s)
	_h=$(want "$1" h)
	_p=$(cosid_pid "$1")
	{
		is "$_s" spec "$1" sysctlstatus net.core.somaxconn value &&
			is "$TTL" spec "$1" sysctlstatus net.ipv4.ip_default_ttl value &&
			is "$_h" spec "$1" hostnamestatus hostname hostname &&
			sysctl_is "$1" net.core.somaxconn "$_s" &&
			sysctl_is "$1" net.ipv4.ip_default_ttl "$TTL" &&
			is "$_h" nsenter -t "$_p" --uts hostname &&
			node_file "$1" /run/cosi/hosts > "$T/hosts" &&
			grep -Eq '^10\.9\.0\.1[[:space:]]+fleet-all' "$T/hosts" &&
			if [ "$1" -le "$HALF" ]; then
				grep -Eq '^10\.9\.0\.2[[:space:]]+g1-gw' "$T/hosts"
			else
				! grep -q g1-gw "$T/hosts"
			fi
	} || { echo "n$1: not as desired (somaxconn $_s, ttl $TTL, hostname $_h)" > "$T/conv"; return 1; }
}
nodes_ok() {
	: > "$T/conv"
	for _i in $(nodes); do node_ok "$_i" || return 1; done
}

# converged WHAT: statuses in etcd, then every node's own view.
converged() {
	_c0=$(date +%s)
	if until_ok "$WAIT" etcd_ok; then
		pass "$1: the statuses in etcd are every node's effective config ($(($(date +%s) - _c0)) s)"
	else
		fail "$1: the statuses in etcd are every node's effective config (timed out)"
	fi
	check "$1: every node's statuses, /proc/sys, hostname and hosts agree" \
		until_ok 60 nodes_ok
}

# on_fail: what did not converge ($T/conv), the end of those nodes' logs
# (three at most), of $T/ctl.err and of etcd's logs.
on_fail() {
	[ -s "$T/conv" ] && show conv < "$T/conv"
	for _i in $(sed -n 's/^n\([0-9]*\)[ :].*/\1/p' "$T/conv" 2>/dev/null | sort -un | head -n 3); do
		tail -n 6 "$T/n$_i.log" | show "n$_i.log"
	done
	[ -s "$T/ctl.err" ] && tail -n 4 "$T/ctl.err" | show ctl.err
	for _k in 1 2 3; do
		_f=$T/etcd$(member_sfx "$_k").log
		[ -s "$_f" ] && tail -n 2 "$_f" | show "m$_k"
	done
	: > "$T/conv"
}

fs_all() {	# fs_all true|false: FleetSync connected on every node
	for _i in $(nodes); do fs_connected "$1" "$_i" || return 1; done
}
resyncs() {	# resyncs: every node's FleetSync resyncs, one line
	for _i in $(nodes); do spec "$_i" fleetsync "n$_i" resyncs; done | tr '\n' ' '
}
# etcd_somaxconn N: node N's SysctlStatus value in etcd.
etcd_somaxconn() {
	ectl get "$P/status/n$1/runtime/SysctlStatuses.cosi.dev/net.core.somaxconn" \
		--print-value-only | python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["value"])' 2>/dev/null
}
# all_live: cosictl --etcd get nodes shows the N nodes live.
all_live() {
	fctl get nodes -o json > "$T/nodes.json" &&
		[ "$(python3 -c 'import json,sys; print(sum(1 for n in json.load(open(sys.argv[1])) if n["live"]))' "$T/nodes.json")" = "$N" ]
}

# --- the cluster, the nodes, the config
start_etcd
wait_for 60 "three etcd members start" healthy
# shellcheck disable=SC2046
node_links $(nodes)
{ sysctl_doc net.core.somaxconn "$S_ALL"; sysctl_doc net.ipv4.ip_default_ttl "$TTL"
  hostname_doc "$H_ALL"; hosts_doc fleet-all 10.9.0.1; } | fapply --all-nodes
check "cosictl --etcd apply --all-nodes (3 endpoints)" [ $? = 0 ]
t_start=$(date +%s)
for i in $(nodes); do
	# shellcheck disable=SC2046
	start_node "$i" $(node_args "$i")
done
{ sysctl_doc net.core.somaxconn "$S_G1"; hostname_doc "$H_G1"; hosts_doc g1-gw 10.9.0.2; } |
	fapply --group g1
check "cosictl --etcd apply --group g1" [ $? = 0 ]
{ sysctl_doc net.core.somaxconn "$S_N1"; hostname_doc "$H_N1"; } | fapply --node n1
check "cosictl --etcd apply --node n1" [ $? = 0 ]
until_ok "$WAIT" all_live
check "$N nodes registered and live" all_live
converged "start"
echo "# start to convergence: $(($(date +%s) - t_start)) s"
check "FleetSync: connected on every node" fs_all true

# Each cosid starts at a member picked at random (etcd_opts.first_endpoint)
# and keeps its watch stream there: from 8 nodes, all on one member has a
# chance of 3^(1-N) (1 in 2187 at 8), and is what listing the members in
# one order gave before.
spread=0
streams=
for k in $(seq 1 "$ETCD_MEMBERS"); do
	s=$(member_metric "$k" etcd_debugging_mvcc_watch_stream_total)
	streams="$streams ${s:-?}"
	[ "${s:-0}" -gt 0 ] 2>/dev/null && spread=$((spread + 1))
done
if [ "$N" -ge 8 ]; then
	check "the nodes' watch streams are spread over the members (per member:$streams)" \
		[ "$spread" -ge 2 ]
else
	skip "the nodes' watch streams spread over the members: 8 nodes or more (per member:$streams)"
fi

# --- (a) one member killed: quorum holds
stop_member 1 KILL
check_fails "(a) m1 is down (its endpoint does not answer)" healthy 1
# m1 was the leader: the other two elect one first.
wait_for 15 "(a) m2 and m3 answer (quorum)" healthy 2 3
TTL=72
t0=$(date +%s)
sysctl_doc net.ipv4.ip_default_ttl "$TTL" | fapply --all-nodes
check "(a) member m1 killed: an apply through the other two" [ $? = 0 ]
check "(a) cosictl --etcd wait: every node reports the new value" \
	fctl wait sysctlstatus net.ipv4.ip_default_ttl --for "value=$TTL" \
	--all-nodes --timeout "${WAIT}s"
converged "(a) one member down"
check "(a) every node stays registered" until_ok "$WAIT" all_live
echo "# (a): $(($(date +%s) - t0)) s"
start_member 1
wait_for 60 "(a) m1 rejoins" healthy

# --- (b) every member stopped: nodes keep their config
t0=$(date +%s)
stop_etcd
any_member() { healthy 1 || healthy 2 || healthy 3; }
check_fails "(b) no member answers" any_member
check "(b) etcd stopped: FleetSync says disconnected on every node" \
	until_ok "$WAIT" fs_all false
check "(b) ... every node keeps its config" nodes_ok
_left=$((OUTAGE - ($(date +%s) - t0)))
[ "$_left" -gt 0 ] && sleep "$_left"
start_etcd
wait_for 60 "(b) etcd restarts after ${OUTAGE} s" healthy
check "(b) FleetSync connected again on every node" until_ok "$WAIT" fs_all true
check "(b) every node registered and live again" until_ok "$WAIT" all_live
S_G1=1012
sysctl_doc net.core.somaxconn "$S_G1" | fapply --group g1
converged "(b) after the outage, a group change"
echo "# (b): $(($(date +%s) - t0)) s"

# --- (c) compact and defrag while the nodes are cut off
t0=$(date +%s)
r0=$(resyncs)
for i in $(nodes); do ip link set "flv$i" down; done
# The lease's keep-alives fail; after a TTL without one, a node drops its
# watch (it cannot tell a partition from a quiet watch otherwise).
check "(c) every node cut off: FleetSync disconnected" until_ok "$WAIT" fs_all false
H_G1=fleet-g1c
S_N1=
hostname_doc "$H_G1" | fapply --group g1
sysctl_doc net.core.somaxconn 1003 > "$T/del.yaml"
fctl delete -f "$T/del.yaml" --node n1 > /dev/null
check "(c) cosictl --etcd delete --node n1" [ $? = 0 ]
rev=$(ectl get / -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
check "(c) etcdctl compact to the latest revision" \
	sh -c 'etcdctl --endpoints="$0" compact "$1" > /dev/null' "$EU" "$rev"
check "(c) etcdctl defrag (every member)" \
	sh -c 'etcdctl --endpoints="$0" --command-timeout=60s defrag > /dev/null' "$EU"
for i in $(nodes); do ip link set "flv$i" up; done
converged "(c) after compact and defrag"
# shellcheck disable=SC2086
resyncs_grew() {
	set -- $r0
	for _i in $(nodes); do
		[ "$(spec "$_i" fleetsync "n$_i" resyncs)" -gt "$1" ] || return 1
		shift
	done
}
check "(c) every node re-listed (FleetSync resyncs grew)" resyncs_grew
check "(c) every node registered and live again" until_ok "$WAIT" all_live
echo "# (c): $(($(date +%s) - t0)) s"

# --- (d) cosid killed during a group apply: after the change is in etcd
# (cosictl returned), before the node published its status for it.
t0=$(date +%s)
k2=2 k3=$((HALF + 1))	# one node of g1, one not
S_G1=1022
sysctl_doc net.core.somaxconn "$S_G1" > "$T/g1.yaml"
fctl apply -f "$T/g1.yaml" --group g1 > /dev/null
check "(d) cosictl --etcd apply --group g1" [ $? = 0 ]
stop_node "$k2" KILL
stop_node "$k3" KILL
# n$k2 is dead: what it published is final.  Had it published the new
# value already, the kill missed the apply (a skip, not a pass).
_pub=$(etcd_somaxconn "$k2")
_loc=$(spec "$k2" sysctlstatus net.core.somaxconn value)
echo "# (d) n$k2 killed: its status in etcd $_pub, in its store $_loc (new: $S_G1)"
case $_pub in
'') fail "(d) n$k2's status in etcd could not be read" ;;
"$S_G1") skip "(d) the kill landed before n$k2 published the change (it had published)" ;;
*) pass "(d) the kill landed before n$k2 published the change" ;;
esac
# shellcheck disable=SC2046
start_node "$k2" $(node_args "$k2")
# shellcheck disable=SC2046
start_node "$k3" $(node_args "$k3")
converged "(d) n$k2 and n$k3 killed and started again"
check "(d) every node registered and live" until_ok "$WAIT" all_live
echo "# (d): $(($(date +%s) - t0)) s"

# --- (e) a node's link down while its config changes
t0=$(date +%s)
ip link set "flv$N" down
s_old=$(want "$N" s)
eval "S_N$N=1055"
sysctl_doc net.core.somaxconn 1055 | fapply --node "n$N"
check "(e) cosictl --etcd apply --node n$N while its link is down" [ $? = 0 ]
sleep "$LINKDOWN"
check "(e) ... n$N keeps its config meanwhile" \
	sysctl_is "$N" net.ipv4.ip_default_ttl "$TTL"
# The link was down indeed: the change did not reach n$N.
check "(e) ... n$N cut off: still somaxconn $s_old, in its store and in etcd" \
	eval 'is "$s_old" spec "$N" sysctlstatus net.core.somaxconn value &&
		is "$s_old" etcd_somaxconn "$N"'
ip link set "flv$N" up
check "(e) cosictl --etcd wait --node n$N after ${LINKDOWN} s down" \
	fctl wait sysctlstatus net.core.somaxconn --for value=1055 \
	--node "n$N" --timeout "${WAIT}s"
converged "(e) a link down ${LINKDOWN} s"
echo "# (e): $(($(date +%s) - t0)) s"

# --- (f) a lease revoked
t0=$(date +%s)
lease=$(ectl get "$P/nodes/n3/live" -w json | python3 -c 'import json,sys; print("%x" % json.load(sys.stdin)["kvs"][0]["lease"])')
check "(f) etcdctl lease revoke of n3's lease" ectl lease revoke "$lease"
# n3 may register again (a new lease) before this reads: live under the
# revoked lease is the failure.
n3_not_live() {
	fctl get nodes --node n3 -o json > "$T/n3.json" &&
		python3 -c 'import json,sys; sys.exit(1 if [n for n in json.load(open(sys.argv[1])) if n["live"] and "%x" % n["lease"] == sys.argv[2]] else 0)' "$T/n3.json" "$lease"
}
check "(f) cosictl --etcd get nodes: n3 not live under the revoked lease" n3_not_live
check "(f) n3 registers again: every node live" until_ok "$WAIT" all_live
S_ALL=1066
sysctl_doc net.core.somaxconn "$S_ALL" | fapply --all-nodes
converged "(f) after the revoke, a change for all"
echo "# (f): $(($(date +%s) - t0)) s"

# --- a clean stop of every node
stops=0
for i in $(nodes); do stop_node "$i" TERM || stops=$((stops + 1)); done
check "every cosid stops cleanly" [ "$stops" = 0 ]
check "no live key is left (the leases revoked)" is 0 live_keys
stop_etcd
totals
