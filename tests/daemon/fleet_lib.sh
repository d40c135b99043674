# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# What the fleet's VM tests (fleet_vm.sh, fleet_auth_vm.sh) share: one
# etcd member in the root netns, nodes as cosid in network+UTS namespaces
# fleet-nN reaching it at 10.77.N.1 over veth pairs flvN, and the checks'
# helpers; it sources tests/lib.sh and sets COSID and CTL (the ASan/UBSan
# builds unless COSID_BUILD), PORT, P (/cosi/default), SC (the
# SysctlConfigs prefix), etcd_pid and pid1-3.  Set before: top (the
# repository), T (a temporary directory); optional: FLEET_SCHEME (http,
# or https with ETCD_ARGS naming the server's certificate), ECTL_ARGS
# (etcdctl's TLS and user options).
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
pid1='' pid2='' pid3=''
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
	for f in "$T"/n1.log "$T"/n2.log "$T"/n3.log "$T/ctl.err"; do
		[ -s "$f" ] && tail -n 8 "$f" | show "$(basename "$f")"
	done
	[ -s "$T/etcd.log" ] && tail -n 3 "$T/etcd.log" | show etcd
}

# At exit: nodes 1-3 and etcd killed, their links and $T removed.
cleanup() {
	for p in $pid1 $pid2 $pid3 $etcd_pid; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	node_links_del 1 2 3
	rm -rf "$T"
}
trap cleanup EXIT

# need CMD...: the script is skipped (one SKIP, then exit) without them.
need() {
	for _c in "$@"; do
		command -v "$_c" > /dev/null && continue
		skip "$_c is not installed (Debian's etcd-server, etcd-client, openssl)"
		totals
		exit $?
	done
}

# etcdctl as etcd's administrator ($ECTL_ARGS: e.g. --cacert, --user).
# shellcheck disable=SC2086
ectl() {
	etcdctl --endpoints="$FLEET_SCHEME://127.0.0.1:$PORT" \
		--command-timeout=3s $ECTL_ARGS "$@"
}
healthy() { ectl endpoint health > /dev/null 2>&1; }

# shellcheck disable=SC2086
start_etcd() {
	etcd --name m1 --data-dir "$T/etcd" \
		--listen-client-urls "$FLEET_SCHEME://0.0.0.0:$PORT" \
		--advertise-client-urls "$FLEET_SCHEME://127.0.0.1:$PORT" \
		--listen-peer-urls http://127.0.0.1:23800 \
		--initial-advertise-peer-urls http://127.0.0.1:23800 \
		--initial-cluster m1=http://127.0.0.1:23800 \
		--max-txn-ops "${ETCD_TXN_OPS:-20000}" $ETCD_ARGS \
		--log-level error >> "$T/etcd.log" 2>&1 &
	etcd_pid=$!
}

stop_etcd() {
	kill -TERM "$etcd_pid" 2>/dev/null
	wait "$etcd_pid" 2>/dev/null
	etcd_pid=
}

# in N CMD...: CMD in node N's namespaces.
on() {
	_n=$1
	shift
	nsenter --net="/run/netns/fleet-n$_n" "$@"
}

# start_node N ARGS...: cosid of node N, $! is cosid itself.
start_node() {
	_n=$1
	shift
	nsenter --net="/run/netns/fleet-n$_n" unshare --uts -- \
		"$COSID" --etcd "$FLEET_SCHEME://10.77.$_n.1:$PORT" --node "n$_n" \
		--hosts-path "$T/hosts$_n" "$@" >> "$T/n$_n.log" 2>&1 &
	eval "pid$_n=\$!"
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
node_keys() { ectl get --prefix "$P/nodes/" --keys-only | grep -c .; }

fs_error_has() {	# fs_error_has N TEXT: FleetSync's last-error on node N
	on "$1" "$CTL" get fleetsync "n$1" -o json 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if sys.argv[1] in json.load(sys.stdin)["spec"]["last-error"] else 1)
' "$2" 2>/dev/null
}

# node_links N...: node N's namespace and its veth pair.
node_links() {
	for _i in "$@"; do
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
