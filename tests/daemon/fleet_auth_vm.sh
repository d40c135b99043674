#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fleet mode with etcd's authentication and TLS, inside the VM as root
# with cosi.ko loaded, from the top of the repository:
#
#   sh tests/daemon/fleet_auth_vm.sh
#
# One etcd member serving TLS only (a CA and a server certificate made
# here with openssl), auth enabled, simple tokens that expire after 5 s;
# the role layout of examples/fleet/etcd-roles.sh: nodes n1 (group g1) and
# n2, each with its own user, and an operator.  Checks that the nodes and
# cosictl work through TLS and auth (config applied, statuses published,
# get nodes, tokens renewed), and that the roles hold: node n1 cannot
# write n2's status, registration or lease, nor any desired key, nor read
# n2's statuses; the operator cannot write a node's status.  And the
# errors: a wrong password (cosid keeps running and says it in
# FleetSync; cosictl exits 1 in one line), a password file others can
# read, half of the options.  Uses the ASan/UBSan builds unless
# COSID_BUILD.  Prints "ok N - what" / "not ok N - what" and a
# "# Totals:" line.

top=$(pwd)
T=$(mktemp -d /tmp/fleet_auth.XXXXXX)
SS=runtime/SysctlStatuses.cosi.dev
FLEET_SCHEME=https
ETCD_ARGS="--cert-file $T/server.pem --key-file $T/server.key --auth-token simple --auth-token-ttl 5"
ECTL_ARGS="--cacert=$T/ca.pem"
. "$top/tests/daemon/fleet_lib.sh"

need etcd etcdctl openssl

# --- a CA and the server's certificate (the nodes reach it at 10.77.N.1)
(
	cd "$T" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.pem -days 1 -subj /CN=fleet-test-ca &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout server.key -out server.csr -subj /CN=etcd &&
	printf 'subjectAltName=IP:127.0.0.1,IP:10.77.1.1,IP:10.77.2.1,IP:10.77.3.1\nextendedKeyUsage=serverAuth\n' > server.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		-CAcreateserial -days 1 -extfile server.ext -out server.pem
) > "$T/certs.log" 2>&1
check "a CA and a server certificate" test -s "$T/server.pem"

# --- etcd with TLS and auth; the role layout
start_etcd
wait_for 30 "etcd starts (TLS)" healthy
umask 077
for u in root n1 n2 op; do
	head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/$u.pw"
	echo >> "$T/$u.pw"
done
wrong=$T/wrong.pw
echo not-the-password > "$wrong"
umask 022
ectl user add root --interactive=false < "$T/root.pw" > /dev/null 2>&1
check "auth enabled" sh -c "etcdctl --endpoints=https://127.0.0.1:$PORT $ECTL_ARGS auth enable > /dev/null 2>&1"
ECTL_ARGS="$ECTL_ARGS --user=root:$(cat "$T/root.pw")"

export ETCDCTL_ENDPOINTS="https://127.0.0.1:$PORT" ETCDCTL_CACERT="$T/ca.pem"
roles() {
	ETCDCTL_USER="root:$(cat "$T/root.pw")" \
		sh "$top/examples/fleet/etcd-roles.sh" "$@"
}
roles_q() { roles "$@" >> "$T/roles.log" 2>&1; }
check "etcd-roles.sh: node n1" roles_q node n1 n1 "$T/n1.pw"
check "etcd-roles.sh: node n2" roles_q node n2 n2 "$T/n2.pw"
check "etcd-roles.sh: the operator" roles_q operator op "$T/op.pw"
role_n1() {
	etcdctl --user="root:$(cat "$T/root.pw")" role get cosi:default:node:n1 2>/dev/null
}
role_n1 > "$T/role1"
check "etcd-roles.sh again: success, the same role" sh -c \
	"ETCDCTL_USER=root:\$(cat $T/root.pw) sh $top/examples/fleet/etcd-roles.sh node n1 n1 $T/n1.pw > /dev/null 2>&1 &&
	 etcdctl --user=root:\$(cat $T/root.pw) role get cosi:default:node:n1 2>/dev/null | cmp -s - $T/role1"
# refused CODE TEXT CMD...: CMD exits CODE and says TEXT.
refused() {
	_c=$1 _t=$2
	shift 2
	"$@" > "$T/refused" 2>&1
	[ $? = "$_c" ] && grep -q "$_t" "$T/refused"
}
check "etcd-roles.sh refuses a bad node name" \
	refused 2 "bad node name" roles node 'n/1' n9 "$T/n1.pw"
check "... a user holding another node's role" \
	refused 2 "holds cosi:default:node:n1 already" roles node n3 n1
check "... credentials etcdctl would prompt for" \
	refused 2 "ETCDCTL_PASSWORD" env ETCDCTL_USER=root \
	sh "$top/examples/fleet/etcd-roles.sh" node n3 n3 "$T/n2.pw"
check "node n1's role: desired read, its own status and registration" sh -c \
	"tr -d '\n' < $T/role1 | grep -q 'KV Read:.*desired/.*KV Write:.*nodes/n1.*nodes/n1/live.*status/n1/'"
unset ETCDCTL_ENDPOINTS ETCDCTL_CACERT

# etcd_as USER CMD...: etcdctl as one of the users.
etcd_as() {
	_u=$1
	shift
	etcdctl --endpoints="https://127.0.0.1:$PORT" --cacert="$T/ca.pem" \
		--command-timeout=3s --user="$_u:$(cat "$T/$_u.pw")" "$@"
}
# ctl_as USER|wrong ARGS...: cosictl --etcd with USER's password file.
ctl_as() {
	_u=$1
	_pw=$T/$1.pw
	[ "$_u" = wrong ] && _u=op
	shift
	"$CTL" --etcd "https://127.0.0.1:$PORT" --etcd-ca "$T/ca.pem" \
		--etcd-user "$_u" --etcd-password-file "$_pw" "$@"
}
sysdoc() {	# sysdoc ID VALUE: a manifest of one SysctlConfig
	printf 'metadata: {namespace: config, type: SysctlConfigs.cosi.dev, id: %s}\nspec: {value: "%s"}\n' "$1" "$2"
}
sysdoc net.core.somaxconn 2001 > "$T/all.yaml"
sysdoc net.core.somaxconn 2002 > "$T/n2.yaml"
sysdoc net.core.somaxconn 2003 > "$T/all2.yaml"
# The operator's machine (the root netns) has cosi.ko with a type of its
# own and no cosid: apply --etcd checks against cosid's types anyway.
printf 'type: Others.fleet.cosi.dev\nfields:\n  - {name: x, type: string}\n' > "$T/other.yaml"
check "the operator's machine defines a type of its own" \
	"$CTL" define -f "$T/other.yaml"
check "the operator applies to all nodes (cosictl, TLS, auth)" \
	ctl_as op apply -f "$T/all.yaml" --all-nodes
check "... and to node n2" ctl_as op apply -f "$T/n2.yaml" --node n2

# --- the nodes, each with its own user, over TLS
node_links 1 2 3
nodeargs() { echo "--etcd-ca $T/ca.pem --etcd-user n$1 --etcd-password-file $T/n$1.pw"; }
# shellcheck disable=SC2046
start_node 1 --group g1 $(nodeargs 1)
# n2 runs as examples/fleet/cosid-fleet.conf runs cosid under systemd:
# the drop-in's ExecStart (cosid from this build; its --hosts-path
# /run/cosi/hosts is the node's own, on its private tmpfs: node_exec),
# $COSI_FLEET_ARGS from the EnvironmentFile split into words, %d the
# credentials directory holding the password (mode 0400, as systemd
# makes it).
start_dropin() {
	_n=$1
	mkdir -m 700 "$T/cred$_n"
	cp "$T/n$_n.pw" "$T/cred$_n/etcd-password"
	chmod 400 "$T/cred$_n/etcd-password"
	printf 'COSI_FLEET_ARGS=--etcd https://10.77.%s.1:%s --node n%s --etcd-ca %s --etcd-user n%s\n' \
		"$_n" "$PORT" "$_n" "$T/ca.pem" "$_n" > "$T/fleet$_n.env"
	_args=$(sed -n 's/^COSI_FLEET_ARGS=//p' "$T/fleet$_n.env")
	_cmd=$(sed -n 's/^ExecStart=\(..*\)/\1/p' "$top/examples/fleet/cosid-fleet.conf" |
		sed -e "s|^/usr/sbin/cosid |$COSID |" -e "s|%d|$T/cred$_n|g" \
		    -e "s|\\\$COSI_FLEET_ARGS|$_args|")
	echo "$_cmd" > "$T/dropin$_n.cmd"
	# shellcheck disable=SC2086
	node_exec "$_n" $_cmd >> "$T/n$_n.log" 2>&1 &
	eval "pid$_n=\$!"
}
start_dropin 2
check "the drop-in's command line is cosid's fleet mode with the credential" \
	grep -q "^$COSID --etcd https://10.77.2.1:$PORT --node n2 .*--etcd-password-file $T/cred2/etcd-password " "$T/dropin2.cmd"
wait_for 60 "n1 applies all's value (2001)" sysctl_is 1 net.core.somaxconn 2001
wait_for 20 "n2 applies its own value (2002)" sysctl_is 2 net.core.somaxconn 2002
wait_for 10 "FleetSync: n1 connected" fs_connected true 1
wait_for 10 "FleetSync: n2 connected" fs_connected true 2
dropin_hosts() { node_file 2 /run/cosi/hosts | grep -q '^# Generated by cosid'; }
wait_for 10 "n2 writes the drop-in's --hosts-path /run/cosi/hosts in its mount namespace" \
	dropin_hosts
pub_is() {	# pub_is N VALUE: node N's published SysctlStatus of somaxconn
	etcd_as op get --print-value-only "$P/status/n$1/$SS/net.core.somaxconn" 2>/dev/null |
		grep -q "\"value\": *\"$2\""
}
wait_for 20 "n1 publishes its status (read by the operator)" pub_is 1 2001
wait_for 20 "n2 publishes its status" pub_is 2 2002
ctl_nodes() {
	ctl_as op get nodes > "$T/nodes" 2> "$T/ctl.err" &&
		grep -Eq '^n1 +g1 +yes ' "$T/nodes" && grep -Eq '^n2 +<none> +yes ' "$T/nodes"
}
wait_for 10 "the operator's get nodes: n1 and n2 live" ctl_nodes
ctl_status() {
	ctl_as op get sysctlstatus net.core.somaxconn --all-nodes > "$T/st" 2> "$T/ctl.err" &&
		grep -Eq '^n1 .*2001' "$T/st" && grep -Eq '^n2 .*2002' "$T/st"
}
check "the operator's get TYPE --all-nodes: both nodes' values" ctl_status
# shellcheck disable=SC2154	# pid1: set by start_node
cmdline_ok() {
	tr '\0' ' ' < "/proc/$pid1/cmdline" > "$T/cmdline" &&
		grep -q -- "--etcd-password-file $T/n1.pw" "$T/cmdline" &&
		! grep -q "$(cat "$T/n1.pw")" "$T/cmdline"
}
check "the password is on no command line (its file is)" cmdline_ok

# --- what the roles forbid
denied() {	# denied CMD...: fails, and etcd said "permission denied"
	! "$@" > "$T/denied" 2>&1 && grep -q "permission denied" "$T/denied"
}
check "n1 cannot write n2's status" denied etcd_as n1 put "$P/status/n2/$SS/x" '{}'
check "n1 cannot delete n2's statuses" denied etcd_as n1 del --prefix "$P/status/n2/"
check "n1 cannot write n2's registration" denied etcd_as n1 put "$P/nodes/n2" '{}'
check "n1 cannot write n2's live key" denied etcd_as n1 put "$P/nodes/n2/live" ''
check "n1 cannot write a desired key (all)" denied etcd_as n1 put "$P/desired/all/$SC/x" '{}'
check "n1 cannot write its own desired keys" denied etcd_as n1 put "$P/desired/nodes/n1/$SC/x" '{}'
check "n1 cannot read n2's statuses" denied etcd_as n1 get --prefix "$P/status/n2/"
lease2=$(etcd_as op get "$P/nodes/n2/live" -w json 2>/dev/null | python3 -c '
import json, sys
print("%x" % json.load(sys.stdin)["kvs"][0]["lease"])' 2>/dev/null)
check "n2's live key is under a lease" test -n "$lease2"
check "n1 cannot revoke n2's lease" denied etcd_as n1 lease revoke "$lease2"
check "the operator cannot revoke a node's lease" denied etcd_as op lease revoke "$lease2"
check "the operator cannot write a node's status" denied etcd_as op put "$P/status/n1/$SS/x" '{}'
check "n1 can read the desired config" sh -c \
	"etcdctl --endpoints=https://127.0.0.1:$PORT --cacert=$T/ca.pem --user=n1:\$(cat $T/n1.pw) get --prefix $P/desired/ --keys-only 2>/dev/null | grep -q somaxconn"
ctl_denied() {	# ctl_denied USER ARGS...: cosictl exits 1, one line, etcd's reason
	ctl_as "$@" > /dev/null 2> "$T/ctl.err"
	[ $? = 1 ] && [ "$(wc -l < "$T/ctl.err")" = 1 ] &&
		grep -q "permission denied" "$T/ctl.err"
}
sysdoc net.core.somaxconn 2009 > "$T/evil.yaml"
check "cosictl as n1: apply --node n2 refused in one line" \
	ctl_denied n1 apply -f "$T/evil.yaml" --node n2
desired_n2() {
	etcd_as op get --print-value-only "$P/desired/nodes/n2/$SC/net.core.somaxconn" \
		2>/dev/null | grep -q '"2002"'
}
check "... nothing was written (n2's desired value is the operator's)" desired_n2

# --- tokens expire (5 s): the nodes authenticate again
sleep 6
check "the operator applies a new value after the tokens expired" \
	ctl_as op apply -f "$T/all2.yaml" --all-nodes
wait_for 30 "n1 applies it (its watch and token renewed)" sysctl_is 1 net.core.somaxconn 2003
wait_for 20 "... and publishes it" pub_is 1 2003
check "n2 keeps its own value" sysctl_is 2 net.core.somaxconn 2002

# --- bad credentials and options
ctl_bad_pw() {
	ctl_as wrong get nodes > /dev/null 2> "$T/ctl.err"
	[ $? = 1 ] && [ "$(wc -l < "$T/ctl.err")" = 1 ] &&
		grep -q "authentication failed" "$T/ctl.err"
}
check "cosictl with a wrong password: exit 1, one line" ctl_bad_pw
roles_q node n3 n3 "$T/n2.pw"	# n3's password is n2's
start_node 3 --etcd-ca "$T/ca.pem" --etcd-user n3 --etcd-password-file "$wrong"
wait_for 30 "cosid with a wrong password keeps running, FleetSync says why" \
	fs_error_has 3 "authentication failed"
check "... and not connected" fs_connected false 3
check "... stops cleanly" stop_node 3 TERM
cp "$T/n1.pw" "$T/open.pw"
chmod 644 "$T/open.pw"
cosid_open() {
	"$COSID" --etcd "https://127.0.0.1:$PORT" --node n9 --etcd-user n1 \
		--etcd-password-file "$T/open.pw" > /dev/null 2> "$T/ctl.err"
	[ $? = 2 ] && grep -q "chmod 600" "$T/ctl.err"
}
check "cosid refuses a password file others can read" cosid_open
ctl_open() {
	"$CTL" --etcd "https://127.0.0.1:$PORT" --etcd-user n1 \
		--etcd-password-file "$T/open.pw" get nodes > /dev/null 2> "$T/ctl.err"
	[ $? = 2 ] && grep -q "chmod 600" "$T/ctl.err"
}
check "cosictl refuses it too" ctl_open
half() {
	"$@" > /dev/null 2> "$T/ctl.err"
	[ $? = 2 ] && grep -q "go together" "$T/ctl.err"
}
check "cosid: --etcd-user without --etcd-password-file" \
	half "$COSID" --etcd "https://127.0.0.1:$PORT" --node n9 --etcd-user n1
check "cosictl: --etcd-password-file without --etcd-user" \
	half "$CTL" --etcd "https://127.0.0.1:$PORT" --etcd-password-file "$T/n1.pw" get nodes
check "cosictl: a password option without --etcd" \
	refused 2 "needs --etcd" "$CTL" --etcd-user n1 get nodes
check "cosictl: the password over http:// to another machine" \
	refused 2 "in clear" "$CTL" --etcd "http://10.77.1.1:$PORT" \
	--etcd-user n1 --etcd-password-file "$T/n1.pw" get nodes
check "cosid too" refused 2 "in clear" "$COSID" --etcd "http://10.77.1.1:$PORT" \
	--node n9 --etcd-user n1 --etcd-password-file "$T/n1.pw"

"$CTL" undefine Others.fleet.cosi.dev > /dev/null 2>&1

# --- a clean stop revokes the lease (the node's own, with its rights)
check "n1 stops cleanly" stop_node 1 TERM
count1() {	# count1 KEY: how many keys etcd has at KEY
	etcd_as op get "$1" -w json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin).get("count", 0))'
}
check "... its live key is gone at once (lease revoked)" \
	test "$(count1 "$P/nodes/n1/live")" = 0
check "... its registration stays" test "$(count1 "$P/nodes/n1")" = 1
check "n2 stops cleanly" stop_node 2 TERM

totals
