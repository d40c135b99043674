#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The in-kernel watch API, through the sample consumer module
# (kmod/samples/cosi_sample_watch.c): runs in the VM as root with cosi.ko
# loaded, from the top of the repository:
#
#   sh tests/kapi/kwatch.sh build/kmod-$(uname -r)
#
# Changes are made with the kernel's YNL CLI; the sample's counters
# (/sys/module/cosi_sample_watch/parameters/stats) must match exactly.
# Ends by unloading the sample and cosi.ko, then loading cosi.ko again.
# Prints "ok N - what" / "not ok N - what" and a kselftest "# Totals:"
# line; exits 0 only when every check passed.

top=$(pwd)
kdir=${1:-$top/build/kmod-$(uname -r)}
SAMPLE=$kdir/samples/cosi_sample_watch.ko
COSI=$kdir/cosi.ko
P=/sys/module/cosi_sample_watch/parameters
YNL_CLI=$top/build/ksrc/tools/net/ynl/cli.py
YNL_SPEC=$top/build/ynl-tree/Documentation/netlink/specs/cosi.yaml
T=$(mktemp -d /tmp/kwatch.XXXXXX)
TYPE=Kwatch.kapi.cosi.dev
OTHER=Other.kapi.cosi.dev
nspid=
. "$top/tests/lib.sh"
CHECK_OUT=$T/out

on_fail() {
	for f in "$T/out" "$T/stats"; do
		[ -s "$f" ] && sed "s|^|# $(basename "$f"): |" "$f" | head -n 10
	done
}

# ynl OP JSON: one do request (ynl_ns: in the netns of $nspid).
ynl() {
	python3 "$YNL_CLI" --no-schema --spec "$YNL_SPEC" --output-json \
		--do "$1" --json "$2" > "$T/out" 2>&1
}

ynl_ns() {
	nsenter -t "$nspid" -n python3 "$YNL_CLI" --no-schema \
		--spec "$YNL_SPEC" --output-json --do "$1" --json "$2" \
		> "$T/out" 2>&1
}

res() {	# NS TYPE ID MTU [LABELS-JSON]
	l=
	[ -n "$5" ] && l=", \"labels\": {\"label\": $5}"
	printf '{"namespace": "%s", "type": "%s", "id": "%s", "spec": {"field": [{"name": "mtu", "u64": %s}]}%s}' \
		"$1" "$2" "$3" "$4" "$l"
}

key() {	# NS TYPE ID
	printf '{"namespace": "%s", "type": "%s", "id": "%s"}' "$1" "$2" "$3"
}

def() {	# TYPE
	printf '{"type": "%s", "default-namespace": "kw", "sensitivity": "public", "field": [{"name": "mtu", "type": "u64", "required": true}, {"name": "name", "type": "string"}, {"name": "off", "type": "s64"}, {"name": "up", "type": "bool"}, {"name": "mac", "type": "bytes"}, {"name": "tags", "type": "string-list"}]}' "$1"
}

# stats_is DESC key=value...: every given counter has exactly that value.
stats_is() {
	d=$1
	shift
	cat "$P/stats" > "$T/stats" 2>&1
	for kv in "$@"; do
		case " $(cat "$T/stats") " in
		*" $kv "*) ;;
		*) : > "$T/out"; echo "want $kv" > "$T/out"; fail "$d"; return ;;
		esac
	done
	pass "$d"
}

lookup_is() {	# DESC ID EXPECTED-SUBSTRING
	echo "$2" > "$P/lookup"
	cat "$P/lookup" > "$T/stats"
	case "$(cat "$T/stats")" in
	*"$3"*) pass "$1" ;;
	*) echo "want $3" > "$T/out"; fail "$1" ;;
	esac
}

sample_loaded() {
	grep -q '^cosi_sample_watch ' /proc/modules
}

cleanup() {
	sample_loaded && rmmod cosi_sample_watch
	[ -n "$nspid" ] && kill "$nspid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

if [ ! -f "$SAMPLE" ]; then
	echo "not ok 1 - $SAMPLE is missing"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi

check "definition-set $TYPE" ynl definition-set "$(def $TYPE)"
check "definition-set $OTHER" ynl definition-set "$(def $OTHER)"

# 1. Every change of one (namespace, type).
SHOW=name:string,off:s64,up:bool,mac:bytes,tags:strings,mtu:string,nope:u64
check "insmod sample (namespace kw, type $TYPE)" \
	insmod "$SAMPLE" namespace=kw type=$TYPE field=mtu show=$SHOW
stats_is "no event before any change" created=0 updated=0 destroyed=0
check "create kw/a" ynl resource-create "$(res kw $TYPE a 1500)"
stats_is "created event with id, version, spec field" created=1 updated=0 \
	destroyed=0 last_kind=1 last_id=a last_version=1 last_field=1500
check "update kw/a" ynl resource-update "$(res kw $TYPE a 9000)"
stats_is "updated event" created=1 updated=1 last_kind=2 last_version=2 \
	last_field=9000
check "update kw/a unchanged" ynl resource-update "$(res kw $TYPE a 9000)"
stats_is "no event for a no-op update" created=1 updated=1 destroyed=0
check "create kw2/a (other namespace)" ynl resource-create "$(res kw2 $TYPE a 1)"
check "create kw/o (other type)" ynl resource-create "$(res kw $OTHER o 1)"
check "update kw/o (other type)" ynl resource-update "$(res kw $OTHER o 2)"
stats_is "other namespaces and types unseen" created=1 updated=1 destroyed=0
check "create kw/b" ynl resource-create "$(res kw $TYPE b 1280)"
stats_is "second resource" created=2 last_id=b last_field=1280
lookup_is "lookup helper finds kw/a with its field" a \
	"id=a version=2 phase=running owner=- finalizers=0 mtu=9000 labels="
lookup_is "field getters: unset -ENOENT, other type -EINVAL" a \
	"name=-2 off=-2 up=-2 mac=-2 tags=-2 mtu=-22 nope=-2"
lookup_is "lookup helper: missing id" nope missing
check "teardown kw/a" ynl resource-teardown "$(key kw $TYPE a)"
stats_is "teardown is an update" updated=2 last_id=a last_version=3
lookup_is "lookup sees the phase" a "phase=tearing-down"
check "destroy kw/a" ynl resource-destroy "$(key kw $TYPE a)"
check "destroy kw/b" ynl resource-destroy "$(key kw $TYPE b)"
stats_is "destroyed events" created=2 updated=2 destroyed=2 last_kind=3 \
	last_id=b
stats_is "each callback's lookup saw the committed state" lookup_ok=6 \
	lookup_bad=0
check "create kw/f with every field type" ynl resource-create \
	'{"namespace": "kw", "type": "'$TYPE'", "id": "f", "spec": {"field": [{"name": "mtu", "u64": 18446744073709551615}, {"name": "name", "string": "eth0"}, {"name": "off", "s64": -3}, {"name": "up", "bool": 1}, {"name": "mac", "bytes": "0a0b0c"}, {"name": "tags", "strings": {"item": ["a", "b", "c"]}}]}, "labels": {"label": [{"key": "z", "value": "1"}, {"key": "a", "value": "2"}]}}'
check "finalizer-add kw/f" ynl finalizer-add \
	'{"namespace": "kw", "type": "'$TYPE'", "id": "f", "finalizers": {"finalizer": ["ctl"]}}'
lookup_is "typed field getters, labels in key order, finalizers" f \
	"version=2 phase=running owner=- finalizers=1 mtu=18446744073709551615 labels=a=2,z=1 name=eth0 off=-3 up=1 mac=0a0b0c tags=a|b|c mtu=-22 nope=-2"
stats_is "finalizer-add is an update" created=3 updated=3 last_id=f \
	last_version=2 last_field=18446744073709551615
check "finalizer-remove kw/f" ynl finalizer-remove \
	'{"namespace": "kw", "type": "'$TYPE'", "id": "f", "finalizers": {"finalizer": ["ctl"]}}'
check "destroy kw/f" ynl resource-destroy "$(key kw $TYPE f)"
stats_is "all counted" created=3 updated=4 destroyed=3 lookup_ok=10 \
	lookup_bad=0
check_fails "rmmod cosi refused while the sample uses it" rmmod cosi
check "rmmod sample" rmmod cosi_sample_watch

# 2. id and label filter, bootstrap.
check "create kw/c role=uplink" ynl resource-create \
	"$(res kw $TYPE c 1 '[{"key": "role", "value": "uplink"}]')"
check "create kw/d role=uplink" ynl resource-create \
	"$(res kw $TYPE d 2 '[{"key": "role", "value": "uplink"}]')"
check "create kw/e (no labels)" ynl resource-create "$(res kw $TYPE e 3)"
check "insmod sample (id=c, labels=role=uplink, bootstrap)" \
	insmod "$SAMPLE" namespace=kw type=$TYPE id=c labels=role=uplink \
	bootstrap=1
stats_is "bootstrap reports the one matching resource" created=1 \
	updated=0 destroyed=0 last_id=c last_field=1
check "update kw/d" ynl resource-update \
	"$(res kw $TYPE d 20 '[{"key": "role", "value": "uplink"}]')"
check "update kw/e" ynl resource-update "$(res kw $TYPE e 30)"
stats_is "other ids unseen" created=1 updated=0 destroyed=0
check "update kw/c labels role=down" ynl resource-update \
	"$(res kw $TYPE c 1 '[{"key": "role", "value": "down"}]')"
stats_is "leaving the label filter is a destroyed event" created=1 \
	updated=0 destroyed=1 last_version=2
check "update kw/c spec while not matching" ynl resource-update \
	"$(res kw $TYPE c 5 '[{"key": "role", "value": "down"}]')"
stats_is "no event while not matching" created=1 updated=0 destroyed=1
check "update kw/c labels role=uplink" ynl resource-update \
	"$(res kw $TYPE c 5 '[{"key": "role", "value": "uplink"}]')"
stats_is "entering the label filter is a created event" created=2 \
	destroyed=1 last_version=4 last_field=5
check "update kw/c spec" ynl resource-update \
	"$(res kw $TYPE c 6 '[{"key": "role", "value": "uplink"}]')"
stats_is "updated while matching" created=2 updated=1 last_field=6
lookup_is "lookup shows labels" c "mtu=6 labels=role=uplink"
check "destroy kw/c" ynl resource-destroy "$(key kw $TYPE c)"
stats_is "filtered counts" created=2 updated=1 destroyed=2 lookup_ok=5 \
	lookup_bad=0
check "rmmod sample" rmmod cosi_sample_watch
# One YNL CLI call for the clean-up (each costs seconds under TCG).
python3 "$YNL_CLI" --no-schema --spec "$YNL_SPEC" --output-json \
	--multi resource-destroy "$(key kw $TYPE d)" \
	--multi resource-destroy "$(key kw $TYPE e)" \
	--multi resource-destroy "$(key kw2 $TYPE a)" \
	--multi resource-destroy "$(key kw $OTHER o)" > "$T/out" 2>&1

# 3. Registration errors.
check_fails "an empty label key is refused" insmod "$SAMPLE" namespace=kw \
	type=$TYPE labels==x
check_fails "a bad namespace is refused" insmod "$SAMPLE" namespace=-kw \
	type=$TYPE
old=$(cat /sys/module/cosi/parameters/max_watchers)
echo 0 > /sys/module/cosi/parameters/max_watchers
check_fails "max_watchers applies to kernel watches" insmod "$SAMPLE" \
	namespace=kw type=$TYPE
echo "$old" > /sys/module/cosi/parameters/max_watchers

# 4. A watch on another netns, which then goes away.
unshare -n sleep 600 &
nspid=$!
# Until the child is in its own netns (unshare has run), not a fixed 1 s.
i=0
while [ $i -lt 100 ] &&
	[ "$(readlink /proc/$nspid/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do
	sleep 0.1
	i=$((i + 1))
done
check "definition-set in a new netns" ynl_ns definition-set "$(def $TYPE)"
check "insmod sample (netns of pid $nspid)" insmod "$SAMPLE" namespace=kw \
	type=$TYPE netns_pid=$nspid
check "create kw/n in the netns" ynl_ns resource-create "$(res kw $TYPE n 7)"
check "create kw/n in init_net" ynl resource-create "$(res kw $TYPE n 8)"
stats_is "only the watched netns is seen" created=1 last_id=n last_field=7
lookup_is "lookup in the watched netns" n "mtu=7"
kill "$nspid"
wait "$nspid" 2>/dev/null
nspid=
i=0
while [ $i -lt 100 ] && ! grep -q ' netns_gone=1 ' "$P/stats"; do
	sleep 0.2
	i=$((i + 1))
done
stats_is "netns_gone called when the netns is dismantled" netns_gone=1 \
	created=1 destroyed=0
lookup_is "no lookup after netns_gone" n netns-gone
check "rmmod sample after its netns is gone" rmmod cosi_sample_watch
ynl resource-destroy "$(key kw $TYPE n)"

# 5. Unload order: sample, then cosi; then cosi again for the next tests.
check "insmod sample again" insmod "$SAMPLE" namespace=kw type=$TYPE
check_fails "rmmod cosi refused again" rmmod cosi
check "rmmod sample" rmmod cosi_sample_watch
check "rmmod cosi after the sample" rmmod cosi
check "insmod cosi again" insmod "$COSI"

totals
