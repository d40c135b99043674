#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The etcd role layout of cosi's fleet mode (Documentation/fleet.rst,
# "Roles"): a role per node that reads the desired config and writes only
# that node's registration and statuses, and an operator role that writes
# the desired config and reads the rest.  Run by etcd's administrator with
# etcdctl (v3 API; the endpoints and the root user as etcdctl takes them,
# e.g. ETCDCTL_ENDPOINTS and ETCDCTL_USER):
#
#   etcd-roles.sh [-c CLUSTER] node NAME [USER [PASSWORD_FILE]]
#   etcd-roles.sh [-c CLUSTER] operator USER [PASSWORD_FILE]
#
# The role is cosi-CLUSTER-node-NAME or cosi-CLUSTER-operator; USER
# (default: the node's name) is created with the password in
# PASSWORD_FILE when it does not exist, and granted the role.  Running it
# again changes nothing.  CLUSTER defaults to "default".
set -eu

usage() {
	echo "usage: $0 [-c CLUSTER] node NAME [USER [PASSWORD_FILE]]" >&2
	echo "       $0 [-c CLUSTER] operator USER [PASSWORD_FILE]" >&2
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

# One key segment, as cosid and cosictl check names.
name_ok() {
	case $1 in
	''|.|..|*[!A-Za-z0-9._-]*) return 1 ;;
	esac
	[ "${#1}" -le 63 ]
}
name_ok "$cluster" || { echo "$0: bad cluster name '$cluster'" >&2; exit 2; }
p=/cosi/$cluster

case $kind in
node)
	node=$2
	user=${3:-$node}
	pwfile=${4:-}
	name_ok "$node" || { echo "$0: bad node name '$node'" >&2; exit 2; }
	role=cosi-$cluster-node-$node
	# read: desired/ (a node applies all/, its groups' and its own; the
	# watch is on the whole prefix); readwrite: its registration (one
	# key, under its lease) and its statuses.  The trailing "/" keeps
	# node n1 out of n10's keys.
	perms="read $p/desired/ --prefix=true
readwrite $p/status/$node/ --prefix=true
readwrite $p/nodes/$node"
	;;
operator)
	user=$2
	pwfile=${3:-}
	role=cosi-$cluster-operator
	perms="readwrite $p/desired/ --prefix=true
read $p/status/ --prefix=true
read $p/nodes/ --prefix=true"
	;;
*)
	usage
	;;
esac

if ! etcdctl role get "$role" >/dev/null 2>&1; then
	etcdctl role add "$role" >/dev/null
fi
echo "$perms" | while read -r perm key prefix; do
	# shellcheck disable=SC2086
	etcdctl role grant-permission "$role" "$perm" "$key" $prefix >/dev/null
done
if ! etcdctl user get "$user" >/dev/null 2>&1; then
	[ -n "$pwfile" ] || { echo "$0: user $user does not exist: give a PASSWORD_FILE" >&2; exit 2; }
	# The password on stdin: never on a command line.
	etcdctl user add "$user" --interactive=false < "$pwfile" >/dev/null
fi
etcdctl user grant-role "$user" "$role" >/dev/null
echo "$user: role $role"
