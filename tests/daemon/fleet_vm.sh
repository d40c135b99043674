#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cosid --etcd end to end, inside the VM as root with cosi.ko loaded, from
# the top of the repository (tests/vm/guest-tests.sh runs it):
#
#   sh tests/daemon/fleet_vm.sh
#
# One etcd member (Debian's /usr/bin/etcd, data on the guest's tmpfs) in
# the root network namespace; three nodes, each a cosid in its own
# network, UTS and mount namespace (its own cosi store, net.* sysctls,
# hostname and /run/cosi) reaching etcd over a veth pair: n1 and n2 in
# group g1, n3 in none.
# Checks precedence (node > group > all), deletes, a bad document,
# FleetSync, etcd stopped and restarted, a compaction while a node is cut
# off (re-list), the registration lease (revoked at a clean stop, taken
# again after a revoke; a second cosid with a live node's name neither
# registers nor publishes until that node stops; a live key deleted by
# hand is put back); publishing: statuses in etcd (n3 only its
# SysctlStatuses and HostnameStatuses, --publish), updated and deleted
# with the config, nothing written by an idle fleet or by a restart that
# changed nothing, a stale key deleted at start.  Uses the ASan/UBSan builds unless COSID_BUILD.
# Prints "ok N - what" / "not ok N - what" and a "# Totals:" line.

top=$(pwd)
T=$(mktemp -d /tmp/fleet_vm.XXXXXX)
# etcd tells quiet watchers its revision every 2 s (10 min by default):
# the nodes take a stream silent for 6 s for dead.
ETCD_ARGS="${ETCD_ARGS:-} --experimental-watch-progress-notify-interval 2s"
NODE_ARGS="--etcd-watch-idle 6"
. "$top/tests/daemon/fleet_lib.sh"

need etcd etcdctl

# --- etcd, the nodes' namespaces and links
start_etcd
wait_for 30 "etcd starts" healthy
node_links 1 2 3
ttl0=$(on 3 cat /proc/sys/net/ipv4/ip_default_ttl)

# The VM's own /run/cosi/hosts (absent unless something left one): no
# node may write it.
root_hosts() { stat -c '%i %s %y' /run/cosi/hosts 2>/dev/null || echo absent; }
root_hosts0=$(root_hosts)

# --- desired state, then the nodes
ectl put "$P/desired/all/$SC/net.core.somaxconn" "$(doc net.core.somaxconn 1001)" > /dev/null
ectl put "$P/desired/groups/g1/$SC/net.core.somaxconn" "$(doc net.core.somaxconn 1002)" > /dev/null
ectl put "$P/desired/nodes/n1/$SC/net.core.somaxconn" "$(doc net.core.somaxconn 1003)" > /dev/null
ectl put "$P/desired/groups/g2/$SC/net.core.somaxconn" "$(doc net.core.somaxconn 1009)" > /dev/null
ectl put "$P/desired/all/$SC/net.ipv4.tcp_fin_timeout" '{"metadata": {not json' > /dev/null
start_node 1 --group g1 --node-label rack=r1 --node-label "zone=eu 1"
start_node 2 --group g1
start_node 3 --publish sysctlstatus --publish hostnamestatus \
	--publish Notes.x.dev --publish-any-owner
check "cosid rejects --etcd without --node" \
	sh -c '! "$0" --etcd http://127.0.0.1:1 2> /dev/null' "$COSID"
check "cosid rejects a --node-label without '=' (exit 2)" \
	sh -c '"$0" --etcd http://127.0.0.1:1 --node n9 --node-label rack 2> /dev/null; [ $? = 2 ]' "$COSID"
check "... and a key given twice (exit 2)" \
	sh -c '"$0" --etcd http://127.0.0.1:1 --node n9 --node-label a=1 --node-label a=2 2> /dev/null; [ $? = 2 ]' "$COSID"
check "cosid rejects a malformed --etcd URL when parsing (exit 2)" \
	sh -c '"$0" --etcd foo://x --node n9 2> /dev/null; [ $? = 2 ]' "$COSID"
wait_for 30 "node n1: the node's entry wins" sysctl_is 1 net.core.somaxconn 1003
wait_for 10 "node n2: the group's entry wins over all's" sysctl_is 2 net.core.somaxconn 1002
wait_for 10 "node n3: all's entry (no group)" sysctl_is 3 net.core.somaxconn 1001
check "n2's SysctlStatus reports the group's value" is 1002 spec 2 sysctlstatus net.core.somaxconn value
check "n2's resource is labelled fleet-source=group:g1" \
	is group:g1 label 2 sysctl net.core.somaxconn cosi.dev/fleet-source
check "n1's is labelled fleet-source=node" \
	is node label 1 sysctl net.core.somaxconn cosi.dev/fleet-source
wait_for 10 "FleetSync: connected" all3 fs_connected true
check "FleetSync: the bad document is counted as skipped" is 1 spec 3 fleetsync n3 skipped
check "FleetSync: one resource applied" is 1 spec 3 fleetsync n3 applied
check "the bad document's key is named in the log" \
	grep -q "$P/desired/all/$SC/net.ipv4.tcp_fin_timeout" "$T/n1.log"
fs_table() {
	on 1 "$CTL" get fleetsync > "$T/table" 2>&1 &&
		grep -q CONNECTED "$T/table" && grep n1 "$T/table" | grep -q true
}
check "cosictl get fleetsync shows the node" fs_table
wait_for 10 "three nodes registered" is 3 node_keys
wait_for 10 "... and live" is 3 live_keys
# A watcher per prefix, all of a node's in one stream: etcd sends a
# node the events of its own prefixes only.
wait_for 10 "etcd serves one watch stream per node" \
	is 3 member_metric 1 etcd_debugging_mvcc_watch_stream_total
check "... a watcher per prefix (n1, n2: all, g1, own; n3: all, own)" \
	is 8 member_metric 1 etcd_debugging_mvcc_watcher_total
reg_ok() {
	ectl get --print-value-only "$P/nodes/n1" | python3 -c '
import json, sys, os
r = json.load(sys.stdin)
sys.exit(0 if r["node"] == "n1" and r["groups"] == ["g1"] and
         r["labels"] == {"rack": "r1", "zone": "eu 1"} and
         r["kernel"] == os.uname().release and r["version"] else 1)'
}
check "the registration names the node, groups, labels, kernel and version" reg_ok
# n1's labels: a node's registration as cosictl --etcd get nodes -o json
# prints it (and again after a restart with other labels, below).
labels_are() {
	"$CTL" --etcd "http://127.0.0.1:$PORT" get nodes --node n1 -o json 2>/dev/null |
		python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d["items"][0] if "items" in d else d[0] if isinstance(d, list) else d
sys.exit(0 if d["labels"] == json.loads(sys.argv[1]) else 1)' "$1"
}
check "cosictl --etcd get nodes -o json shows n1's labels" \
	labels_are '{"rack": "r1", "zone": "eu 1"}'
# cosictl --etcd get nodes reads cosid's registrations (from the root
# netns, without cosi.ko's help for the fleet).
ctl_nodes() {
	"$CTL" --etcd "http://127.0.0.1:$PORT" get nodes > "$T/nodes" 2>&1 &&
		grep -Eq '^n1 +g1 +yes +[0-9]+s ago +[0-9]' "$T/nodes" &&
		grep -Eq '^n2 +g1 +yes ' "$T/nodes" &&
		grep -Eq '^n3 +<none> +yes ' "$T/nodes"
}
check "cosictl --etcd get nodes: n1-n3 live, with their groups" ctl_nodes

# --- publish: the nodes' statuses under /cosi/<c>/status/<node>/
SS=runtime/SysctlStatuses.cosi.dev
LS=network/LinkStatuses.cosi.dev
pub_field() {	# pub_field N KEY FIELD: a spec field of node N's status in etcd
	ectl get --print-value-only "$P/status/n$1/$2" | python3 -c '
import json, sys
print(json.load(sys.stdin)["spec"].get(sys.argv[1], ""))' "$3" 2>/dev/null
}
pub_keys() { ectl get --prefix --keys-only "$P/status/n$1/$2" | grep -c .; }
# same_doc N TYPE ID KEY: etcd's document is cosictl -o json's but for
# version, updated and revision (published only with a real change).
same_doc() {
	on "$1" "$CTL" get "$2" "$3" -o json > "$T/local.json" 2>/dev/null &&
		ectl get --print-value-only "$P/status/n$1/$4" > "$T/pub.json" &&
		python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for d in (a, b):
    for k in ("version", "updated", "revision"):
        d["metadata"].pop(k)
sys.exit(0 if a == b and b["metadata"]["owner"] == "sysctl" else 1)
' "$T/local.json" "$T/pub.json" 2>/dev/null
}
wait_for 10 "n2's SysctlStatus is published with its group's value" \
	is 1002 pub_field 2 "$SS/net.core.somaxconn" value
check "... the document cosictl -o json prints" \
	same_doc 2 sysctlstatus net.core.somaxconn "$SS/net.core.somaxconn"
wait_for 10 "n1's LinkStatus of eth0 is published (default: every status)" \
	is 1500 pub_field 1 "$LS/eth0" mtu
check "n3 publishes what --publish names only (no LinkStatus)" \
	is 0 pub_keys 3 "$LS/"
# Txns start at least 100 ms apart: a link flapping adds at most 10
# revisions a second, and its last state.
pub_version() {	# pub_version N KEY: the puts of node N's status key
	ectl get "$P/status/n$1/$2" -w json | python3 -c '
import json, sys
print(json.load(sys.stdin)["kvs"][0]["version"])' 2>/dev/null
}
ms() { echo $(($(date +%s%N) / 1000000)); }
on 1 ip link add dummy8 type dummy
wait_for 10 "a new link's LinkStatus is published" \
	is down pub_field 1 "$LS/dummy8" operstate
v0=$(pub_version 1 "$LS/dummy8")
t0=$(ms)
for _f in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	on 1 ip link set dummy8 up
	on 1 ip link set dummy8 down
done
on 1 ip link set dummy8 up
wait_for 10 "... its last state after 15 flaps is published" \
	is unknown pub_field 1 "$LS/dummy8" operstate
t1=$(ms)
v1=$(pub_version 1 "$LS/dummy8")
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
check "... in at most 10 revisions a second ($((v1 - v0)) in $((t1 - t0)) ms)" \
	between $((v1 - v0)) 1 $(((t1 - t0) / 100 + 1))
on 1 ip link del dummy8
check "FleetSync and RuntimeStatus are never published" \
	is 0 pub_keys 1 runtime/FleetSyncs
check "... (RuntimeStatus)" is 0 pub_keys 1 runtime/RuntimeStatuses
check "FleetSync counts the published keys" [ "$(spec 1 fleetsync n1 published)" -gt 0 ]
check "cosid refuses --publish fleetsync (it would never settle)" \
	sh -c '! nsenter --net=/run/netns/fleet-n3 "$0" --etcd http://127.0.0.1:1 --node n9 --publish fleetsync 2> "$1" &&
		grep -q "cannot be published" "$1"' "$COSID" "$T/err"
check "cosid refuses an unknown --publish type" \
	sh -c '! nsenter --net=/run/netns/fleet-n3 "$0" --etcd http://127.0.0.1:1 --node n9 --publish nosuchtype 2> /dev/null' "$COSID"
check "cosid refuses an empty --publish name (exit 1)" \
	sh -c 'timeout 10 nsenter --net=/run/netns/fleet-n3 "$0" --etcd http://127.0.0.1:1 --node n9 --publish , 2> "$1"
		[ $? = 1 ] && grep -q "empty type name" "$1"' "$COSID" "$T/err"

# A plugin type: n3 named it (exact name) before it was defined, and
# publishes any owner's; then it is made sensitive while n3 runs.
NT=default/Notes.x.dev
printf 'type: Notes.x.dev\nfields:\n  - {name: text, type: string}\n' > "$T/notes.yaml"
printf 'type: Notes.x.dev\nsensitivity: sensitive\nfields:\n  - {name: text, type: string}\n' > "$T/notes-s.yaml"
note() {	# note N ID TEXT: a Notes.x.dev resource on node N
	printf 'metadata: {type: Notes.x.dev, id: %s}\nspec: {text: %s}\n' "$2" "$3" |
		on "$1" "$CTL" apply -f - > /dev/null
}
on 3 "$CTL" define -f "$T/notes.yaml" > /dev/null
note 3 a hello
wait_for 10 "a type named in --publish before it was defined is published once it is" \
	is hello pub_field 3 "$NT/a" text
on 3 "$CTL" define -f "$T/notes-s.yaml" > /dev/null
note 3 a secret
wait_for 10 "a type made sensitive while cosid runs: its key is deleted from etcd" \
	is 0 pub_keys 3 "$NT/"
check "... and its new spec never reaches etcd" \
	sh -c '! etcdctl --endpoints=http://127.0.0.1:$0 get --prefix /cosi/default/status/ | grep -q secret' "$PORT"
check "cosid refuses --publish of a sensitive type (exit 1)" \
	sh -c 'nsenter --net=/run/netns/fleet-n3 "$0" --etcd http://127.0.0.1:1 --node n9 --publish notes.x.dev 2> "$1"
		[ $? = 1 ] && grep -q "sensitive type" "$1"' "$COSID" "$T/err"
on 3 "$CTL" delete Notes.x.dev a > /dev/null 2>&1
on 3 "$CTL" undefine Notes.x.dev > /dev/null
# A status written by another owner (here cosictl) is not published by
# default (n1).
printf 'metadata: {namespace: runtime, type: sysctlstatus, id: net.fake.key}\nspec: {value: "1"}\n' |
	on 1 "$CTL" apply -f - > /dev/null

# What cosictl get -o json prints applies as a desired document.
on 1 "$CTL" get sysctl net.core.somaxconn -o json > "$T/n1.json"
ectl put "$P/desired/nodes/n3/$SC/net.core.somaxconn" < "$T/n1.json" > /dev/null
wait_for 10 "cosictl -o json output applies (n3 takes n1's document)" \
	sysctl_is 3 net.core.somaxconn 1003
check "... with n3's own source label" \
	is node label 3 sysctl net.core.somaxconn cosi.dev/fleet-source

# --- changes through the watch
ectl put "$P/desired/all/$SC/net.ipv4.ip_default_ttl" "$(doc net.ipv4.ip_default_ttl 77)" > /dev/null
ttl_is() { sysctl_is "$2" net.ipv4.ip_default_ttl "$1"; }
wait_for 10 "a put reaches every node" all3 ttl_is 77
wait_for 10 "... n3's SysctlStatus in etcd says so" \
	is 77 pub_field 3 "$SS/net.ipv4.ip_default_ttl" value
ectl put "$P/desired/all/$SC/net.ipv4.ip_default_ttl" "$(doc net.ipv4.ip_default_ttl 78)" > /dev/null
wait_for 10 "a changed value updates the status key" \
	is 78 pub_field 3 "$SS/net.ipv4.ip_default_ttl" value
ectl del "$P/desired/all/$SC/net.ipv4.ip_default_ttl" > /dev/null
wait_for 10 "a delete in etcd deletes the resource on the nodes" \
	absent 3 sysctl net.ipv4.ip_default_ttl
wait_for 10 "... and its status key in etcd" is 0 pub_keys 3 "$SS/net.ipv4.ip_default_ttl"
wait_for 10 "... and the sysctl controller restores the value" \
	sysctl_is 3 net.ipv4.ip_default_ttl "$ttl0"
ectl del "$P/desired/nodes/n1/$SC/net.core.somaxconn" > /dev/null
wait_for 10 "n1 falls back to its group's entry" sysctl_is 1 net.core.somaxconn 1002

# --- one txn of two keys (cosictl --etcd apply -f of two documents):
# the keys share the txn's revision; each node applies both, and a
# delete of both in one txn deletes both.
printf '%s\n' 'metadata: {type: sysctl, id: net.ipv4.tcp_synack_retries}' \
	'spec: {value: "3"}' --- \
	'metadata: {type: sysctl, id: net.ipv4.tcp_orphan_retries}' \
	'spec: {value: "4"}' > "$T/two.yaml"
fctl() { "$CTL" --etcd "http://127.0.0.1:$PORT" "$@" > /dev/null; }
check "cosictl --etcd apply -f of two documents (one txn)" \
	fctl apply -f "$T/two.yaml" --all-nodes
two_is() {
	sysctl_is "$3" net.ipv4.tcp_synack_retries "$1" &&
		sysctl_is "$3" net.ipv4.tcp_orphan_retries "$2"
}
wait_for 10 "... every node applies both (their events share a revision)" \
	all3 two_is 3 4
check "cosictl --etcd delete -f of both (one txn)" \
	fctl delete -f "$T/two.yaml" --all-nodes
two_gone() {
	absent "$1" sysctl net.ipv4.tcp_synack_retries &&
		absent "$1" sysctl net.ipv4.tcp_orphan_retries
}
wait_for 10 "... every node deletes both" all3 two_gone

# --- a document n2's kernel refuses: a local resource (not the fleet's)
printf 'metadata: {type: sysctl, id: net.ipv4.tcp_keepalive_probes}\nspec: {value: "7"}\n' |
	on 2 "$CTL" apply -f - > /dev/null
ectl put "$P/desired/all/$SC/net.ipv4.tcp_keepalive_probes" "$(doc net.ipv4.tcp_keepalive_probes 8)" > /dev/null
wait_for 10 "n2 counts the document its kernel refuses (not owned) in FleetSync refused" \
	is 1 spec 2 fleetsync n2 refused
check "... names its key in last-error" \
	fs_error_has 2 "net.ipv4.tcp_keepalive_probes: refused"
check "... and keeps the local resource's value" sysctl_is 2 net.ipv4.tcp_keepalive_probes 7
wait_for 10 "... the other nodes apply it" sysctl_is 1 net.ipv4.tcp_keepalive_probes 8
ectl put "$P/desired/all/$SC/net.ipv4.tcp_keepalive_intvl" "$(doc net.ipv4.tcp_keepalive_intvl 31)" > /dev/null
wait_for 10 "... a later put still reaches n2 promptly (no backoff)" \
	sysctl_is 2 net.ipv4.tcp_keepalive_intvl 31
check "... n2's applied counts the others only" is 2 spec 2 fleetsync n2 applied
# Its destruction wakes no one: a refused document is tried again (10 s).
on 2 "$CTL" delete sysctl net.ipv4.tcp_keepalive_probes > /dev/null
wait_for 25 "... once the local resource is deleted, n2 applies the fleet's" \
	sysctl_is 2 net.ipv4.tcp_keepalive_probes 8
check "... refused drops to 0" is 0 spec 2 fleetsync n2 refused
no_refusal() {
	_e=$(spec 2 fleetsync n2 last-error) &&
		! printf '%s\n' "$_e" | grep -q refused
}
check "... and last-error no longer names the refusal" no_refusal
ectl del "$P/desired/all/$SC/net.ipv4.tcp_keepalive_probes" > /dev/null
wait_for 10 "... deleting the key deletes n2's resource (the fleet's now)" \
	absent 2 sysctl net.ipv4.tcp_keepalive_probes

# --- 10001 keys of a group put in one txn, then deleted by prefix.
# Group g9's: no node is in it, etcd sends its events to none (under a
# watch of all of desired/, a message over the client's 10000 events
# made every node re-list).  Group g1's: n1's watch message is over
# 10000 events, so it re-lists, and its list is over 10000 keys until
# they are deleted; then it converges.
big_txn() {	# big_txn GROUP: 10001 puts in one txn
	{	# a txn on stdin: no compares, the puts, no failure ops
		echo
		seq 0 10000 | sed "s|.*|put $P/desired/groups/$1/$SC/k& x|"
		printf '\n\n'
	} > "$T/txn"
	etcdctl --endpoints=http://127.0.0.1:$PORT --command-timeout=60s txn \
		< "$T/txn" > "$T/txn.out" 2>&1
}
# etcd answers "waiting for the applied index took too long" when applying
# outlasts its request timeout (a loaded TCG guest), yet applies the txn.
group_keys() { ectl get --prefix --keys-only "$P/desired/groups/$1/" | grep -c .; }
txn_applied() { grep -q OK "$T/txn.out" || [ "$(group_keys "$1")" -ge 10001 ]; }
big_del() {	# big_del GROUP: the 10001 keys deleted by prefix
	etcdctl --endpoints=http://127.0.0.1:$PORT --command-timeout=60s \
		del --prefix "$P/desired/groups/$1/$SC/k" > "$T/del.out" 2>&1
}
r1=$(spec 1 fleetsync n1 resyncs)
big_txn g9
wait_for 30 "etcd takes 10001 puts of group g9 in one txn" txn_applied g9
ectl put "$P/desired/nodes/n1/$SC/net.ipv4.tcp_keepalive_time" "$(doc net.ipv4.tcp_keepalive_time 601)" > /dev/null
wait_for 20 "after 10001 keys of another group, a put for n1 arrives" \
	sysctl_is 1 net.ipv4.tcp_keepalive_time 601
check "... without a re-list (etcd did not send them to n1)" \
	is "$r1" spec 1 fleetsync n1 resyncs
big_del g9
check "etcd deletes the 10001 keys by prefix" grep -qx 10001 "$T/del.out"
big_txn g1
wait_for 30 "etcd takes 10001 puts of group g1 in one txn" txn_applied g1
# n1's list fails (over 10000 keys) until they are gone.
# (Producing that message takes etcd a while in the guest: a stream that
# stays silent longer than --etcd-watch-idle gets twice the time next.)
wait_for 90 "n1, sent a watch message of 10001 events, re-lists" \
	grep -q "watch: etcd watch message with over 10000 events: resyncing" "$T/n1.log"
r1b=$(spec 1 fleetsync n1 resyncs)
big_del g1
check "etcd deletes g1's 10001 keys by prefix" grep -qx 10001 "$T/del.out"
# The list after the deletes is at their revision (a quiet fleet): the
# watch goes on from the revision after it, not into the same 10001
# events again (a re-list every backoff, for as long as nothing moves).
resyncs_over() { [ "$(spec 1 fleetsync n1 resyncs)" -gt "$1" ]; }
wait_for 60 "... n1 lists them gone" resyncs_over "$r1b"
sleep 3
r1b=$(spec 1 fleetsync n1 resyncs)
sleep 15
check "... then watches on without listing again (15 s, nothing put)" \
	is "$r1b" spec 1 fleetsync n1 resyncs
ectl put "$P/desired/nodes/n1/$SC/net.ipv4.tcp_keepalive_time" "$(doc net.ipv4.tcp_keepalive_time 602)" > /dev/null
wait_for 60 "... and once they are deleted, a put for n1 arrives" \
	sysctl_is 1 net.ipv4.tcp_keepalive_time 602
check "... by a re-list" [ "$(spec 1 fleetsync n1 resyncs)" -gt "$r1" ]
wait_for 20 "... n2 too" sysctl_is 2 net.core.somaxconn 1002

# --- etcd down: nodes keep their config
# n1's statuses vanish from etcd (an operator, a restored snapshot): the
# reconnect after the restart resyncs them, into an etcd that now takes
# at most 4 operations a txn (the default 128 is refused: halved).
ectl del --prefix "$P/status/n1/" > /dev/null
stop_etcd
wait_for 20 "etcd stopped: FleetSync says disconnected" all3 fs_connected false
check "... the nodes keep their config" sysctl_is 2 net.core.somaxconn 1002
check "... and their controllers run (a local apply works)" \
	sh -c 'printf "metadata: {type: sysctl, id: net.ipv4.tcp_syn_retries}\nspec: {value: \"5\"}\n" |
		nsenter --net=/run/netns/fleet-n2 "$0" apply -f - > /dev/null' "$CTL"
wait_for 10 "... a local sysctl is applied" sysctl_is 2 net.ipv4.tcp_syn_retries 5
# n3 is cut off while etcd comes back, changes and compacts.
r3=$(spec 3 fleetsync n3 resyncs)
on 3 ip link set eth0 down
ETCD_TXN_OPS=4 start_etcd
wait_for 30 "etcd restarts" healthy
ectl put "$P/desired/all/$SC/net.core.somaxconn" "$(doc net.core.somaxconn 1011)" > /dev/null
ectl del "$P/desired/nodes/n3/$SC/net.core.somaxconn" > /dev/null
rev=$(ectl get / -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
ectl compact "$rev" > /dev/null
check "etcd compacted to the latest revision" [ -n "$rev" ]
wait_for 30 "nodes reconnect after the restart" fs_connected true 1
on 3 ip link set eth0 up
wait_for 30 "n3, back after a compaction, converges" sysctl_is 3 net.core.somaxconn 1011
check "... by a re-list (FleetSync resyncs grows)" \
	[ "$(spec 3 fleetsync n3 resyncs)" -gt "$r3" ]
check "... n2's local sysctl was left alone" sysctl_is 2 net.ipv4.tcp_syn_retries 5
wait_for 20 "n1's statuses deleted from etcd are published again after the reconnect" \
	is 1500 pub_field 1 "$LS/eth0" mtu
n1_halved() {
	[ "$(pub_keys 1 "")" -gt 4 ] &&
		grep -q "too many operations in txn request" "$T/n1.log"
}
check "... in txns halved to etcd's --max-txn-ops 4 (more than 4 keys)" n1_halved
wait_for 20 "n3 publishes on after a type it published was undefined" \
	is 1011 pub_field 3 "$SS/net.core.somaxconn" value
check "n2 still holds its group's value" sysctl_is 2 net.core.somaxconn 1002
wait_for 20 "a status changed while etcd was down is published once it is back" \
	is 5 pub_field 2 "$SS/net.ipv4.tcp_syn_retries" value
ectl put "$P/desired/all/$SC/net.ipv4.tcp_fin_timeout" "$(doc net.ipv4.tcp_fin_timeout 33)" > /dev/null
wait_for 10 "the bad document, fixed, is applied" sysctl_is 1 net.ipv4.tcp_fin_timeout 33
wait_for 10 "... FleetSync skipped drops to 0" is 0 spec 1 fleetsync n1 skipped

# --- etcd frozen (SIGSTOP: its connections stay open, nothing comes, not
# even a progress notification): each node takes its silent watch stream
# for dead after --etcd-watch-idle (6 s), well before its lease's 30 s.
kill -STOP "$etcd_pid"
t_stop=$(date +%s)
wait_for 25 "etcd frozen: every node's FleetSync says disconnected" \
	all3 fs_connected false
check "... within 20 s (the idle limit, not the lease's 30 s)" \
	[ $(($(date +%s) - t_stop)) -le 20 ]
check "... n1's log names the silent stream" \
	grep -q "watch: etcd watch: nothing received in 6 s" "$T/n1.log"
kill -CONT "$etcd_pid"
ectl put "$P/desired/all/$SC/net.ipv4.tcp_fin_timeout" "$(doc net.ipv4.tcp_fin_timeout 34)" > /dev/null
fin_is() { sysctl_is "$2" net.ipv4.tcp_fin_timeout "$1"; }
wait_for 30 "etcd thawed: the nodes converge" all3 fin_is 34
wait_for 10 "... FleetSync: connected" all3 fs_connected true

# --- quiet prefixes across a compaction: the progress notifications
# (every 2 s) told each watcher etcd's revision, so after a compaction
# and an etcd restart each resumes after the compacted revision: no
# re-list.
resyncs3() { for _i in 1 2 3; do spec "$_i" fleetsync "n$_i" resyncs; done | tr '\n' ' '; }
rs=$(resyncs3)
rev=$(ectl get / -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
ectl compact "$rev" > /dev/null
check "etcd compacted quiet prefixes to the latest revision" [ -n "$rev" ]
sleep 6		# over 2.2 intervals: a notification to every watcher
stop_etcd
start_etcd
wait_for 30 "etcd restarts" healthy
wait_for 30 "the nodes reconnect" all3 fs_connected true
check "... resuming after the compaction, not re-listing" is "$rs" resyncs3
ectl put "$P/desired/all/$SC/net.ipv4.tcp_fin_timeout" "$(doc net.ipv4.tcp_fin_timeout 35)" > /dev/null
wait_for 30 "... and converge on a later put" all3 fin_is 35

# --- a compaction to exactly a delete's revision while n3 is cut off:
# etcd drops that delete's tombstone, and would take a watch from that
# revision without it; n3 resumes from the revision it last saw, is
# told "compacted" and re-lists.
ectl put "$P/desired/all/$SC/net.ipv4.tcp_retries1" "$(doc net.ipv4.tcp_retries1 5)" > /dev/null
wait_for 10 "a put reaches n3" sysctl_is 3 net.ipv4.tcp_retries1 5
r3=$(spec 3 fleetsync n3 resyncs)
sleep 4		# statuses published; a progress notification to n3
on 3 ip link set eth0 down
# Its stream ended (silent 6 s): a stream that lived on would bring the
# delete from etcd's memory, compaction or not.
wait_for 20 "n3 cut off: FleetSync says disconnected" fs_connected false 3
ectl del "$P/desired/all/$SC/net.ipv4.tcp_retries1" > /dev/null
rev=$(ectl get / -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
ectl compact "$rev" > /dev/null
on 3 ip link set eth0 up
wait_for 40 "n3, back after a compaction to a delete's revision, deletes the resource" \
	absent 3 sysctl net.ipv4.tcp_retries1
check "... by a re-list" [ "$(spec 3 fleetsync n3 resyncs)" -gt "$r3" ]

# --- the node boundary: n1's and n2's cosid write their hosts file at
# the default path, each on the tmpfs of its own mount namespace
HE=config/HostsEntries.cosi.dev
he_doc() {	# he_doc N: a HostsEntry nN-gw at 10.9.0.N
	printf '{"metadata":{"namespace":"config","type":"HostsEntries.cosi.dev","id":"n%s-gw"},"spec":{"address":"10.9.0.%s","names":["n%s-gw"]}}' "$1" "$1" "$1"
}
ectl put "$P/desired/nodes/n1/$HE/n1-gw" "$(he_doc 1)" > /dev/null
ectl put "$P/desired/nodes/n2/$HE/n2-gw" "$(he_doc 2)" > /dev/null
# own_hosts N M: node N's /run/cosi/hosts names nN-gw and not nM-gw.
own_hosts() {
	node_file "$1" /run/cosi/hosts > "$T/hosts" &&
		grep -Eq "^10\.9\.0\.$1 n$1-gw\$" "$T/hosts" &&
		! grep -q "n$2-gw" "$T/hosts"
}
# shellcheck disable=SC2154	# pid1: set by start_node
other_mnt() {
	_m=$(readlink "/proc/$pid1/ns/mnt") &&
		[ "$_m" != "$(readlink /proc/self/ns/mnt)" ]
}
check "n1's cosid is in a mount namespace of its own" other_mnt
wait_for 20 "n1's /run/cosi/hosts (its mount namespace) has its entry, not n2's" \
	own_hosts 1 2
wait_for 10 "n2's has its own, not n1's" own_hosts 2 1
check "the VM's /run/cosi/hosts was written by no node" \
	is "$root_hosts0" root_hosts

# --- publish across a restart: nothing rewritten, a stale key deleted
status_revs() {	# status_revs N: "key mod_revision" of node N's status keys
	ectl get --prefix "$P/status/n$1/" -w json | python3 -c '
import base64, json, sys
for kv in json.load(sys.stdin).get("kvs", []):
    print(base64.b64decode(kv["key"]).decode(), kv["mod_revision"])' | sort
}
pending0() { is 0 spec "$1" fleetsync "n$1" pending; }
wait_for 10 "no status write pending on any node" all3 pending0
check "a status written by cosictl is on n1" \
	on 1 "$CTL" get sysctlstatus net.fake.key
check "a status written by another owner is not published (n1: the default)" \
	is 0 pub_keys 1 "$SS/net.fake.key"
lag0() { is 0 spec "$1" fleetsync "n$1" lag; }
check "FleetSync lag is 0 on every node (other nodes' events included)" all3 lag0
check "FleetSync publish-revision is etcd's revision of a status txn" \
	[ "$(spec 1 fleetsync n1 publish-revision)" -gt 0 ]
status_revs 1 > "$T/revs.before"
stop_node 1 TERM
check "cosid n1 stops cleanly (publishing)" [ $? = 0 ]
check "n1's statuses stay in etcd after a clean stop (not leased)" \
	[ "$(pub_keys 1 "$SS/")" -gt 0 ]
check "... its live key goes (the lease revoked)" is 2 live_keys
check "... its registration stays" is 3 node_keys
ectl put "$P/status/n1/$SS/net.stale.key" '{"metadata":{}}' > /dev/null
start_node 1 --group g1 --node-label rack=r2
wait_for 20 "n1 deletes the stale status key at start" is 0 pub_keys 1 "$SS/net.stale.key"
wait_for 10 "n1 is live again after the restart" is 3 live_keys
check "... its registration has its new labels" labels_are '{"rack": "r2"}'
wait_for 10 "... writes its hosts file again, in its new mount namespace" \
	own_hosts 1 2
status_revs 1 > "$T/revs.after"
check "... and rewrites none of its unchanged statuses" \
	cmp -s "$T/revs.before" "$T/revs.after"
[ -s "$T/revs.before" ] || echo "# no status keys recorded"
rev_now() { ectl get / -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])'; }
wait_for 10 "n1 has nothing left to write" pending0 1
r0=$(rev_now)
sleep 31	# more than 3 keep-alive periods (TTL/3 = 10 s): a live-key check
check "an idle fleet adds no etcd revision in 31 s (keep-alives, live-key checks)" \
	[ "$(rev_now)" = "$r0" ]

# --- one name, two cosid: a second cosid with n1's name (in node 4's
# namespaces) finds n1's live key under another lease: it neither
# registers nor publishes, until n1 stops (its lease revoked) and it takes
# the name over.  Its eth0 is not n1's: what it would publish differs.
node_links 4
status_revs 1 > "$T/revs.dup"
node_exec 4 "$COSID" --etcd "$(etcd_urls 10.77.4.1)" --node n1 --group g1 \
	$NODE_ARGS >> "$T/n4.log" 2>&1 &
pid4=$!
dup_held() {	# dup_held REGISTERED TEXT: node 4's FleetSync (id n1)
	on 4 "$CTL" get fleetsync n1 -o json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)["spec"]
sys.exit(0 if str(s["registered"]).lower() == sys.argv[1] and
         sys.argv[2] in s["last-error"] else 1)' "$1" "$2" 2>/dev/null
}
dup_free() {	# node 4 registered as n1, no "another lease" in last-error
	on 4 "$CTL" get fleetsync n1 -o json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)["spec"]
sys.exit(0 if str(s["registered"]).lower() == "true" and
         "another lease" not in s["last-error"] else 1)' 2>/dev/null
}
wait_for 30 "a second cosid named n1 does not register: n1's live key is another lease's" \
	dup_held false "is live under another lease"
same_revs() { status_revs 1 | cmp -s "$T/revs.dup" -; }
other_revs() { ! same_revs; }
sleep 2
check "... and publishes nothing under n1's name" same_revs
check "... n1 stays registered" is true spec 1 fleetsync n1 registered
stop_node 1 TERM
check "cosid n1 stops cleanly (its lease revoked)" [ $? = 0 ]
wait_for 30 "then the second takes the name (registered, the error gone)" \
	dup_free
wait_for 20 "... and publishes its own statuses under it" other_revs
stop_node 4 TERM
check "the second cosid stops cleanly" [ $? = 0 ]
start_node 1 --group g1 --node-label rack=r2
wait_for 20 "n1 is live again" is 3 live_keys
wait_for 20 "... and has republished its statuses" pending0 1

# check_within SECONDS DESC CMD...: CMD until it succeeds, SECONDS of
# wall-clock time (wait_for counts polls: slower on a loaded TCG guest).
check_within() {
	_s=$1
	_d=$2
	shift 2
	check "$_d" until_ok "$_s" "$@"
}

# --- one name, two cosid, and n1's lease lost while its connection
# lives: n1's lease requests are dropped (tc: a packet whose HTTP
# request line is "POST /v3/lease/..."), the rest goes through, as when a partition heals and
# n1's watch and publisher are back before its registration (a race when
# all is cut: made an order here).  n1's lease expires, the second cosid
# takes the name; n1, its lease known lost, must publish nothing under
# the name from then on (its statuses would overwrite the second's, which
# never learns of it), and stand down once it can ask etcd.
node_exec 4 "$COSID" --etcd "$(etcd_urls 10.77.4.1)" --node n1 --group g1 \
	$NODE_ARGS >> "$T/n4.log" 2>&1 &
pid4=$!
check_within 30 "a second cosid named n1 again: held" \
	dup_held false "is live under another lease"
lease_drop() {	# lease_drop N on|off: node N's lease requests dropped
	if [ "$2" = on ]; then
		# "POST /v3/lease/...": " /v3" and "/lea" 4 and 8 bytes into
		# the TCP payload, after headers of 20 (IP) and 32 bytes
		# (TCP with timestamps); u32 reads paged data, nbyte does not.
		on "$1" tc qdisc add dev eth0 root handle 1: prio &&
			on "$1" tc filter add dev eth0 parent 1: protocol ip \
				prio 1 u32 match u32 0x202f7633 0xffffffff at 56 \
				match u32 0x2f6c6561 0xffffffff at 60 action drop
	else
		on "$1" tc qdisc del dev eth0 root
	fi
}
check "n1's lease requests dropped (tc)" lease_drop 1 on
check_within 80 "n1's lease expires: the second cosid takes the name" \
	dup_free
check_within 40 "... n1 knows its lease lost (FleetSync registered false)" \
	is false spec 1 fleetsync n1 registered
mac4=$(on 4 "$CTL" get linkstatus eth0 -o 'jsonpath={.spec.mac}' 2>/dev/null)
check_within 20 "... n1's eth0 in etcd is the second's (its mac)" \
	is "$mac4" pub_field 1 "$LS/eth0" mac
on 1 ip link add dummy7 type dummy
sleep 6
check "... the first publishes nothing under the name it lost (its own dummy7)" \
	is 0 pub_keys 1 "$LS/dummy7"
check "... n1's eth0 in etcd is still the second's" \
	is "$mac4" pub_field 1 "$LS/eth0" mac
check "n1's lease requests through again" lease_drop 1 off
check_within 30 "... the first stands down (another lease holds the name)" \
	fs_error_has 1 "is live under another lease"
check "... n1's eth0 in etcd is still the second's" \
	is "$mac4" pub_field 1 "$LS/eth0" mac
stop_node 4 TERM
check "the second cosid stops cleanly" [ $? = 0 ]
check_within 30 "the first takes the name back" is true spec 1 fleetsync n1 registered
on 1 ip link del dummy7
check_within 20 "... and publishes its own eth0 again" \
	is "$(on 1 "$CTL" get linkstatus eth0 -o 'jsonpath={.spec.mac}')" \
	pub_field 1 "$LS/eth0" mac

# --- a crash restart: n1 killed (no revoke: its lease holds the live
# key for up to 30 s more) and started again at once, as systemd's
# Restart= does.  The new cosid finds its predecessor's lease on the
# live key, which it cannot tell from another cosid's: it registers once
# that lease expired (TTL 30 s, then its next tick), and says why
# meanwhile.  (FleetSync in the store outlives cosid: etcd's live key
# says whether the new one registered.)
live_lease() {
	ectl get "$P/nodes/n1/live" -w json | python3 -c '
import json, sys
print("%x" % json.load(sys.stdin)["kvs"][0]["lease"])' 2>/dev/null
}
lease_other() { _l=$(live_lease) && [ -n "$_l" ] && [ "$_l" != "$1" ]; }
lease0=$(live_lease)
log0=$(wc -l < "$T/n1.log")
stop_node 1 KILL
start_node 1 --group g1 --node-label rack=r2
check_within 15 "n1 killed and started again: held, the log names its predecessor's lease and when it expires" \
	sh -c 'tail -n "+$(($1 + 1))" "$0" | grep -q "live under another lease ($2: .* expires within 30 s)"' \
	"$T/n1.log" "$log0" "$lease0"
check_within 50 "... registers once that lease expired" lease_other "$lease0"
wait_for 20 "... and publishes" pending0 1

# --- a live key deleted by hand: put back (checked every third
# keep-alive, TTL/3 = 10 s apart: within 30 s).
check "n2's live key deleted by hand" is 1 ectl del "$P/nodes/n2/live"
wait_for 45 "... n2 puts it back" is 3 live_keys
check "... under n2's lease, FleetSync registered" \
	is true spec 2 fleetsync n2 registered

# --- the lease
lease=$(ectl get "$P/nodes/n1/live" -w json | python3 -c 'import json,sys; print("%x" % json.load(sys.stdin)["kvs"][0]["lease"])')
ectl lease revoke "$lease" > /dev/null
check "a revoked lease takes the node's live key away" is 2 live_keys
check "... not its registration" is 3 node_keys
# n1 may register again (a new lease) within its keep-alive period before
# this reads: live under the revoked lease is the failure; not live, it
# keeps its groups and version.
n1_gone() {
	"$CTL" --etcd "http://127.0.0.1:$PORT" get nodes --node n1 -o json \
		> "$T/n1.json" 2> "$T/n1.err" &&
		python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
ok = len(v) == 1 and all(
    (n["live"] and "%x" % n["lease"] != sys.argv[2]) or
    (not n["live"] and n["groups"] == ["g1"] and n["version"]) for n in v)
sys.exit(0 if ok else 1)' "$T/n1.json" "$lease"
}
check "... and cosictl --etcd get nodes shows n1 not live, in g1 still" n1_gone
check "cosictl --etcd delete node n2 is refused while n2 is live (one line)" \
	sh -c '! "$1" --etcd "http://127.0.0.1:$2" delete node n2 2> "$3/del.err" &&
	       [ "$(wc -l < "$3/del.err")" = 1 ]' - "$CTL" "$PORT" "$T"
wait_for 20 "n1 registers again under a new lease" is 3 live_keys
stop_node 3 TERM
check "cosid n3 stops cleanly (no sanitizer report)" [ $? = 0 ]
check "a clean stop revokes the lease: n3's live key is gone" is 2 live_keys
n3_down() {
	"$CTL" --etcd "http://127.0.0.1:$PORT" get nodes > "$T/nodes" 2>&1 &&
		grep -Eq '^n3 +<none> +no +- +[0-9]' "$T/nodes" &&
		grep -Eq '^n1 +g1 +yes ' "$T/nodes"
}
check "... get nodes shows n3 not live (its version kept), n1 live" n3_down
check "n3's config stays in its store" sysctl_is 3 net.core.somaxconn 1011
stop_node 1 TERM
check "cosid n1 stops cleanly" [ $? = 0 ]
stop_node 2 TERM
check "cosid n2 stops cleanly" [ $? = 0 ]
check "no live key is left" is 0 live_keys
check "the registrations stay" is 3 node_keys
check "cosictl --etcd delete node n3 retires it (not live)" \
	"$CTL" --etcd "http://127.0.0.1:$PORT" delete node n3
check "... its registration is gone" is 2 node_keys
check "... and its statuses" is "" ectl get --prefix "$P/status/n3/" --keys-only
stop_etcd
totals
