# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# What the fleet's VM tests (fleet_vm.sh, fleet_auth_vm.sh,
# fleet_scale_vm.sh) share: etcd in the root netns (one member, or
# ETCD_MEMBERS of them on loopback: member K serves clients on PORT+K-1
# and peers on 23800+K-1, data in $T/etcd, $T/etcd2, ...), nodes as
# cosid in network namespaces fleet-nN reaching it at 10.77.N.1 over
# veth pairs flvN (N up to 254), each also in a UTS and a mount namespace
# of its own (node_exec), and the checks' helpers; it sources
# tests/lib.sh and sets COSID and CTL (the ASan/UBSan builds unless
# COSID_BUILD), PORT, P (/cosi/default), SC (the SysctlConfigs prefix),
# etcd_pid (member 1; member K's is etcd_pidK), pidN (node N's cosid)
# and fleet_nodes (the nodes node_links made).  Set before: top (the
# repository), T (a temporary directory); optional: ETCD_MEMBERS (1),
# FLEET_SCHEME (http, or https with ETCD_ARGS naming the server's
# certificate), ECTL_ARGS (etcdctl's TLS and user options).
# shellcheck disable=SC2154,SC2034	# pidN: set by eval; SC: the scripts
B=${COSID_BUILD:-$top/build/daemon-asan}
COSID=$B/cosid
CTL=$B/cosictl
PORT=23790
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ETCDCTL_API=3
. "$top/tests/lib.sh"

SC=config/SysctlConfigs.cosi.dev
P=/cosi/default
etcd_pid=
fleet_nodes=
ETCD_MEMBERS=${ETCD_MEMBERS:-1}
FLEET_SCHEME=${FLEET_SCHEME:-http}
ETCD_ARGS=${ETCD_ARGS:-}
ECTL_ARGS=${ECTL_ARGS:-}

# The VM runner fails on certain words anywhere on the console (etcd's
# log says WARNING): logs are shown with them masked.
show() {
	sed -e 's/[Ll][Ee][Aa][Kk]/l_ak/g' -e 's/WARNING:/W_RNING:/g' \
		-e "s|^|# $1: |"
}

# on_fail (tests/lib.sh calls it after a failure): the end of the nodes'
# logs, of $T/ctl.err (a cosictl's stderr) and of etcd's log.
on_fail() {
	for _i in $fleet_nodes; do
		[ -s "$T/n$_i.log" ] && tail -n 8 "$T/n$_i.log" | show "n$_i.log"
	done
	[ -s "$T/ctl.err" ] && tail -n 8 "$T/ctl.err" | show ctl.err
	for _k in $(seq 1 "$ETCD_MEMBERS"); do
		_f=$T/etcd$(member_sfx "$_k").log
		[ -s "$_f" ] && tail -n 3 "$_f" | show "$(basename "$_f" .log)"
	done
	return 0
}

# At exit: the nodes and etcd killed, their links and $T removed.
cleanup() {
	for _i in $fleet_nodes; do
		eval "_p=\${pid$_i:-}"
		[ -n "$_p" ] && kill -9 "$_p" 2>/dev/null
	done
	for _k in $(seq 1 "$ETCD_MEMBERS"); do
		eval "_p=\${etcd_pid$(member_sfx "$_k"):-}"
		[ -n "$_p" ] && kill -9 "$_p" 2>/dev/null
	done
	wait 2>/dev/null
	# shellcheck disable=SC2086
	node_links_del $fleet_nodes
	rm -rf "$T"
}
trap cleanup EXIT
# dash runs the EXIT trap on exit only: a signal (a timeout, ^C) too.
trap 'exit 1' INT TERM HUP

# until_ok SECONDS CMD...: CMD every 2 s until it succeeds or SECONDS
# of wall-clock time pass (a TCG guest with many daemons is slow).
until_ok() {
	_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 2
	done
}

# need CMD...: the script is skipped (one SKIP, then exit) without them.
need() {
	for _c in "$@"; do
		command -v "$_c" > /dev/null && continue
		skip "$_c is not installed (Debian's etcd-server, etcd-client, openssl)"
		totals
		exit $?
	done
}

# member_sfx K: what names member K's pid variable, data and log (1: "").
member_sfx() { [ "$1" = 1 ] || echo "$1"; }

# member_urls HOST K...: members K's client URLs at HOST, comma-separated;
# etcd_urls HOST: every member's.
member_urls() {
	_h=$1
	shift
	_u=
	for _k in "$@"; do
		_u=${_u:+$_u,}$FLEET_SCHEME://$_h:$((PORT + _k - 1))
	done
	echo "$_u"
}
# shellcheck disable=SC2046
etcd_urls() { member_urls "$1" $(seq 1 "$ETCD_MEMBERS"); }

# member_metric K NAME: the value of etcd's metric NAME on member K.
member_metric() {
	curl -s "$FLEET_SCHEME://127.0.0.1:$((PORT + $1 - 1))/metrics" |
		sed -n "s/^$2 //p"
}

# etcdctl as etcd's administrator ($ECTL_ARGS: e.g. --cacert, --user),
# every member its endpoint.
# shellcheck disable=SC2086
ectl() {
	etcdctl --endpoints="$(etcd_urls 127.0.0.1)" \
		--command-timeout=3s $ECTL_ARGS "$@"
}
# healthy [K...]: the members named (default: all) answer.
# shellcheck disable=SC2086,SC2046
healthy() {
	[ $# -gt 0 ] || set -- $(seq 1 "$ETCD_MEMBERS")
	etcdctl --endpoints="$(member_urls 127.0.0.1 "$@")" \
		--command-timeout=3s $ECTL_ARGS endpoint health > /dev/null 2>&1
}

# start_member K: etcd member K (of ETCD_MEMBERS) in the background.
# shellcheck disable=SC2086
start_member() {
	_s=$(member_sfx "$1")
	_cluster=
	for _k in $(seq 1 "$ETCD_MEMBERS"); do
		_cluster=${_cluster:+$_cluster,}m$_k=http://127.0.0.1:$((23799 + _k))
	done
	etcd --name "m$1" --data-dir "$T/etcd$_s" \
		--listen-client-urls "$FLEET_SCHEME://0.0.0.0:$((PORT + $1 - 1))" \
		--advertise-client-urls "$FLEET_SCHEME://127.0.0.1:$((PORT + $1 - 1))" \
		--listen-peer-urls "http://127.0.0.1:$((23799 + $1))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((23799 + $1))" \
		--initial-cluster "$_cluster" --initial-cluster-state new \
		--max-txn-ops "${ETCD_TXN_OPS:-20000}" $ETCD_ARGS \
		--log-level error >> "$T/etcd$_s.log" 2>&1 &
	eval "etcd_pid$_s=\$!"
}

# stop_member K [SIGNAL]: member K stopped (TERM unless SIGNAL).
stop_member() {
	_s=$(member_sfx "$1")
	eval "_p=\${etcd_pid$_s:-}"
	[ -n "$_p" ] || return 0
	kill -"${2:-TERM}" "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	eval "etcd_pid$_s="
}

# etcd_pids: the running members' process ids, comma-separated.
etcd_pids() {
	for _k in $(seq 1 "$ETCD_MEMBERS"); do
		eval "echo \${etcd_pid$(member_sfx "$_k"):-}"
	done | grep . | paste -sd,
}

# start_etcd, stop_etcd: every member.
start_etcd() {
	for _k in $(seq 1 "$ETCD_MEMBERS"); do start_member "$_k"; done
}
stop_etcd() {
	for _k in $(seq 1 "$ETCD_MEMBERS"); do stop_member "$_k"; done
}

# on N CMD...: CMD in node N's network namespace.  That is all cosictl
# needs (it reaches cosi.ko over generic netlink, which is per netns, as
# is what /proc/sys/net shows its reader); the files a node's cosid
# writes are in its mount namespace: node_file.
on() {
	_n=$1
	shift
	nsenter --net="/run/netns/fleet-n$_n" "$@"
}

# node_exec N CMD... &: CMD as node N, in the background only (it execs,
# and so does every step: $! is CMD's own PID).  Node N is its network
# namespace fleet-nN, a new UTS namespace (its hostname) and a new mount
# namespace (private propagation) with a tmpfs of its own on /run/cosi,
# where cosid's hosts controller writes /run/cosi/hosts by default: no
# other node and not the VM sees it (mkdir leaves /run/cosi in the VM,
# empty).  The mount namespace and its tmpfs go when cosid exits.
# shellcheck disable=SC2016	# expanded by sh -c
NODE_SH='mkdir -p /run/cosi && mount -t tmpfs -o mode=0755,size=4m "cosi-$0" /run/cosi && exec "$@"'
node_exec() {
	_n=$1
	shift
	exec nsenter --net="/run/netns/fleet-n$_n" \
		unshare --uts --mount --propagation private -- \
		sh -c "$NODE_SH" "n$_n" "$@"
}

# start_node N ARGS...: cosid of node N ($NODE_ARGS first), $! is cosid
# itself.
# shellcheck disable=SC2086	# NODE_ARGS: words
start_node() {
	_n=$1
	shift
	node_exec "$_n" "$COSID" --etcd "$(etcd_urls "10.77.$_n.1")" \
		--node "n$_n" ${NODE_ARGS:-} "$@" >> "$T/n$_n.log" 2>&1 &
	eval "pid$_n=\$!"
}

# node_file N PATH: PATH as node N's cosid sees it, through its mount
# namespace.  Fails when the node is not running (stopped, killed: its
# namespace and tmpfs are gone) or has not yet exec'd cosid (the chain
# above may still be in the VM's namespaces): never the VM's own file.
# After a restart it reads the new namespace (pidN is the new cosid).
node_file() {
	eval "_p=\${pid$1:-}"
	[ -n "$_p" ] &&
		[ "$(readlink "/proc/$_p/exe")" = "$(readlink -f "$COSID")" ] &&
		nsenter --mount="/proc/$_p/ns/mnt" cat "$2"
}

# stop_node N SIGNAL: cosid's exit status.
stop_node() {
	eval "_p=\$pid$1"
	kill -"$2" "$_p" 2>/dev/null
	{ wait "$_p"; } 2>/dev/null
	_rc=$?
	eval "pid$1="
	return $_rc
}

# spec N TYPE ID FIELD: a spec field of a resource on node N.
spec() {
	on "$1" "$CTL" get "$2" "$3" -o "jsonpath={.spec.$4}" 2>/dev/null
}

label() {
	on "$1" "$CTL" get "$2" "$3" -o json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["metadata"].get("labels", {}).get(sys.argv[1], ""))
' "$4" 2>/dev/null
}

is() {	# is EXPECTED CMD...: CMD prints EXPECTED
	_w=$1
	shift
	[ "$("$@")" = "$_w" ]
}

# sysctl_is N KEY VALUE: /proc/sys in node N's netns.
sysctl_is() { is "$3" on "$1" cat "/proc/sys/$(echo "$2" | tr . /)"; }
absent() { ! on "$1" "$CTL" get "$2" "$3" > /dev/null 2>&1; }
# doc ID VALUE: a SysctlConfigs document.
doc() {
	printf '{"metadata":{"namespace":"config","type":"SysctlConfigs.cosi.dev","id":"%s"},"spec":{"value":"%s"}}' "$1" "$2"
}
all3() {	# all3 CMD-with-N...: CMD for nodes 1 2 3
	for _i in 1 2 3; do "$@" "$_i" || return 1; done
}
fs_connected() { is "$1" spec "$2" fleetsync "n$2" connected; }
# node_keys: the number of registrations (nodes/<node>, persistent);
# live_keys: of live keys (nodes/<node>/live, leased); nothing when etcd
# does not answer (so that "is 0 live_keys" cannot pass on an error).
node_keys() {
	_keys=$(ectl get --prefix "$P/nodes/" --keys-only) || return 1
	printf '%s\n' "$_keys" | grep -c "^$P/nodes/[^/]*\$"
}
live_keys() {
	_keys=$(ectl get --prefix "$P/nodes/" --keys-only) || return 1
	printf '%s\n' "$_keys" | grep -c "^$P/nodes/[^/]*/live\$"
}

fs_error_has() {	# fs_error_has N TEXT: FleetSync's last-error on node N
	on "$1" "$CTL" get fleetsync "n$1" -o json 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if sys.argv[1] in json.load(sys.stdin)["spec"]["last-error"] else 1)
' "$2" 2>/dev/null
}

# node_links N...: node N's namespace and its veth pair; N joins
# fleet_nodes (cleanup removes them).
node_links() {
	for _i in "$@"; do
		fleet_nodes="$fleet_nodes $_i"
		ip netns add "fleet-n$_i"
		ip link add "flv$_i" type veth peer name eth0 netns "fleet-n$_i"
		ip addr add "10.77.$_i.1/24" dev "flv$_i"
		ip link set "flv$_i" up
		on "$_i" ip addr add "10.77.$_i.2/24" dev eth0
		on "$_i" ip link set eth0 up
		on "$_i" ip link set lo up
	done
}

# node_links_del N...: what node_links made.
node_links_del() {
	for _i in "$@"; do
		ip netns del "fleet-n$_i" 2>/dev/null
		ip link del "flv$_i" 2>/dev/null
	done
}
