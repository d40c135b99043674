#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The etcd role layout of cosi's fleet mode (Documentation/fleet.rst,
# "Roles"): a role per node that reads the desired config and writes only
# that node's registration, live key and statuses, and an operator role
# that writes the desired config and reads the rest.  Run by etcd's administrator with
# etcdctl (v3 API), the endpoints and the administrator's credentials in
# etcdctl's environment: ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, and
# ETCDCTL_USER=root with ETCDCTL_PASSWORD (or ETCDCTL_USER=root:PASSWORD,
# or a client certificate: ETCDCTL_CERT, ETCDCTL_KEY):
#
#   etcd-roles.sh [-c CLUSTER] node NAME [USER [PASSWORD_FILE]]
#   etcd-roles.sh [-c CLUSTER] operator USER [PASSWORD_FILE]
#
# The role is cosi:CLUSTER:node:NAME or cosi:CLUSTER:operator (":" is in
# no name, so no two roles can be the same); USER (default: the node's
# name) is created with the password in PASSWORD_FILE when it does not
# exist, and granted the role.  A user that holds another cosi role is
# refused: one user per node and cluster.  Running it again is safe (each
# permission is granted again; the nodes authenticate again).  CLUSTER
# defaults to "default".
set -eu

usage() {
	echo "usage: $0 [-c CLUSTER] node NAME [USER [PASSWORD_FILE]]" >&2
	echo "       $0 [-c CLUSTER] operator USER [PASSWORD_FILE]" >&2
	exit 2
}
die() {
	echo "$0: $*" >&2
	exit 2
}

cluster=default
if [ "${1:-}" = -c ]; then
	[ $# -ge 2 ] || usage
	cluster=$2
	shift 2
fi
[ $# -ge 2 ] || usage
kind=$1
export ETCDCTL_API=3

# etcdctl prompts for a password it lacks on stdin: never here.
case ${ETCDCTL_USER:-} in
*:*) ;;
'') [ -n "${ETCDCTL_CERT:-}" ] ||
	die "no credentials: set ETCDCTL_USER=root and ETCDCTL_PASSWORD (or ETCDCTL_CERT)" ;;
*) [ -n "${ETCDCTL_PASSWORD:-}" ] ||
	die "ETCDCTL_USER without a password: set ETCDCTL_PASSWORD" ;;
esac

# One key segment, as cosid and cosictl check names.
name_ok() {
	case $1 in
	''|.|..|*[!A-Za-z0-9._-]*) return 1 ;;
	esac
	[ "${#1}" -le 63 ]
}
name_ok "$cluster" || die "bad cluster name '$cluster'"
p=/cosi/$cluster

case $kind in
node)
	node=$2
	user=${3:-$node}
	pwfile=${4:-}
	name_ok "$node" || die "bad node name '$node'"
	role=cosi:$cluster:node:$node
	# read: desired/ (a node applies all/, its groups' and its own; the
	# watch is on the whole prefix); readwrite: its registration and its
	# live key (two exact keys, the second under its lease) and its
	# statuses.  The trailing "/" keeps node n1 out of n10's keys.
	perms="read $p/desired/ --prefix=true
readwrite $p/status/$node/ --prefix=true
readwrite $p/nodes/$node
readwrite $p/nodes/$node/live"
	;;
operator)
	user=$2
	pwfile=${3:-}
	role=cosi:$cluster:operator
	perms="readwrite $p/desired/ --prefix=true
read $p/status/ --prefix=true
read $p/nodes/ --prefix=true"
	;;
*)
	usage
	;;
esac
case $user in
''|*:*|*[[:space:]]*) die "bad user name '$user'" ;;
esac

# The password as cosid and cosictl read it (one line, no group or other
# permission bits) and as etcdctl reads it (its first word: so no blanks).
pw_ok() {
	[ -f "$1" ] || die "$1: not a regular file"
	case $(stat -c %a "$1") in
	*00) ;;
	*) die "$1: readable or writable by group or others; chmod 600 it" ;;
	esac
	[ "$(wc -l < "$1")" -le 1 ] || die "$1: more than one line"
	_pw=$(cat "$1")
	[ -n "$_pw" ] || die "$1: empty"
	case $_pw in
	*[[:space:]]*) die "$1: holds blanks (etcdctl would keep only its first word)" ;;
	esac
}

# Checked before anything is written: the user and its password.
if info=$(etcdctl user get "$user" 2>/dev/null < /dev/null); then
	new_user=
	for r in $(echo "$info" | sed -n 's/^Roles: *//p'); do
		case $r in
		"$role") ;;
		cosi:*) die "user $user holds $r already: one user per node and cluster" ;;
		esac
	done
else
	new_user=1
	[ -n "$pwfile" ] || die "user $user does not exist: give a PASSWORD_FILE"
	pw_ok "$pwfile"
fi

if ! etcdctl role get "$role" > /dev/null 2>&1 < /dev/null; then
	etcdctl role add "$role" > /dev/null < /dev/null
fi
# No pipe into the loop: etcdctl's stdin stays /dev/null.
set -f
old_ifs=$IFS
IFS='
'
for line in $perms; do
	IFS=$old_ifs
	# shellcheck disable=SC2086
	etcdctl role grant-permission "$role" $line > /dev/null < /dev/null
done
IFS=$old_ifs
set +f
if [ -n "$new_user" ]; then
	# The password on stdin: never on a command line.
	etcdctl user add "$user" --interactive=false < "$pwfile" > /dev/null
fi
etcdctl user grant-role "$user" "$role" > /dev/null < /dev/null
echo "$user: role $role"
