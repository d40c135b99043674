#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The cosi tracepoints seen by unmodified third-party tools: tracefs lists
# them, perf knows them, and bpftrace counts exactly the changes, requests,
# overflows and resyncs a known cosictl workload makes.  Runs in the VM as
# root with cosi.ko loaded, from the top of the repository:
#
#   tests/vm/run -- sh -c 'insmod build/kmod-$(uname -r)/cosi.ko &&
#                          sh tests/bpf/bpftrace.sh'
#
# The workload runs in its own netns; bpftrace filters on its inode.

top=$(pwd)
CTL=${COSICTL:-$top/build/daemon/cosictl}
T=$(mktemp -d /tmp/cosi_bpftrace.XXXXXX)
. "$top/tests/lib.sh"


events="cosi_resource_change cosi_request cosi_watch_overflow cosi_watch_resync"
echo "TAP version 13"
echo "1..16"

# --- tracefs
tr=/sys/kernel/tracing
[ -d $tr/events ] || mount -t tracefs none $tr 2>/dev/null
for e in $events; do
	check "tracefs: events/cosi/$e/format" \
		grep -q "^name: $e\$" "$tr/events/cosi/$e/format"
done
check "tracefs: cosi_resource_change has the string fields" \
	grep -q '__data_loc char\[\] id;' "$tr/events/cosi/cosi_resource_change/format"

# --- perf (Debian's linux-perf; it lists tracepoints from tracefs)
if perf list 'cosi:*' > "$T/perf.out" 2>&1; then
	check "perf list 'cosi:*': four tracepoints" \
		[ "$(grep -c 'cosi:cosi_[a-z_]* *\[Tracepoint event\]' "$T/perf.out")" -eq 4 ]
else
	skip "perf list: $(head -n1 "$T/perf.out")"
fi

# --- bpftrace
if ! command -v bpftrace > /dev/null; then
	for i in 1 2 3 4 5 6 7 8 9 10; do skip "bpftrace not installed"; done
	totals
	exit
fi

ip netns add cosibt || exit 1
ns_ino=$(stat -L -c %i /run/netns/cosibt)
inns() { ip netns exec cosibt "$@"; }

cat > "$T/count.bt" <<'BT'
tracepoint:cosi:cosi_resource_change /args->netns == $1/
{
	@change[args->kind, args->phase] = count();
	@ids[str(args->id)] = count();
}
tracepoint:cosi:cosi_request /args->netns == $1/
{
	@req[args->cmd, args->dump, args->err] = count();
	@slow = max(args->duration_ns);
}
tracepoint:cosi:cosi_watch_overflow /args->netns == $1/ { @overflow = count(); }
tracepoint:cosi:cosi_watch_resync /args->netns == $1/
{
	@resync[args->bootstrap] = count();
	if (!args->bootstrap) { @replayed = sum(args->replayed); }
}
BEGIN { printf("ready\n"); }
BT
bpftrace "$T/count.bt" "$ns_ino" > "$T/bt.out" 2> "$T/bt.err" &
btpid=$!
i=0
while ! grep -q '^ready' "$T/bt.out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $btpid 2>/dev/null; then
		echo "# bpftrace did not start:"; sed 's/^/# /' "$T/bt.err"
		break
	fi
	sleep 0.2
done

# The workload: 1 definition, 2 creates, 1 update, 1 delete (teardown +
# destroy), one listing, then an overflowed watch that resumes.
cat > "$T/def.yaml" <<'YAML'
type: Bt.cosi.dev
aliases: [bt]
default-namespace: btns
fields:
  - {name: name, type: string, required: true}
  - {name: mtu, type: u64}
  - {name: tags, type: string-list}
YAML
printf 'metadata: {type: bt, id: a}\nspec: {name: a}\n---\nmetadata: {type: bt, id: b}\nspec: {name: b}\n' > "$T/m1.yaml"
printf 'metadata: {type: bt, id: a}\nspec: {name: a, mtu: 9000}\n' > "$T/m2.yaml"
inns "$CTL" define -f "$T/def.yaml" > /dev/null
inns "$CTL" apply -f "$T/m1.yaml" > /dev/null
inns "$CTL" apply -f "$T/m2.yaml" > /dev/null
inns "$CTL" delete bt b > /dev/null
inns "$CTL" get bt > /dev/null

# Overflow: a stopped watcher with a tiny receive buffer overflows on the
# first of 40 creates, and its watch stops; it is then killed.  A second
# watch resumes after a's update (a replay of 42 events: b's teardown and
# destroy, the 40 creates).
rev=$(inns "$CTL" get bt a -o json | sed -n 's/.*"revision": *\([0-9]*\).*/\1/p' | head -n1)
i=0
: > "$T/many.yaml"
while [ $i -lt 40 ]; do
	printf -- '---\nmetadata: {type: bt, id: ov%02d}\nspec: {name: ov%02d, tags: [%s]}\n' \
		$i $i "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" >> "$T/many.yaml"
	i=$((i + 1))
done
# (ip netns exec forks: the watcher's own pid is needed for the signals.)
inns sh -c 'echo $$ > "$1"; exec "$2" watch bt --rcvbuf 2048 --timeout 60' \
	sh "$T/w.pid" "$CTL" > "$T/w.out" 2> "$T/w.err" &
ipid=$!
i=0
until [ -s "$T/w.out" ] || [ $i -gt 300 ]; do i=$((i + 1)); sleep 0.1; done
wpid=$(cat "$T/w.pid")
kill -STOP "$wpid"
inns "$CTL" apply -f "$T/many.yaml" > /dev/null
kill -KILL "$wpid"
wait $ipid
inns "$CTL" watch bt --since "$rev" -o json --timeout 0.5 > "$T/w2.out" 2>&1
check "workload: the replay saw the 40 creates" \
	[ "$(grep -c '^{"event":"created"' "$T/w2.out")" -eq 40 ]

kill -INT $btpid
wait $btpid
sed 's/^/# /' "$T/bt.out"

# map KEY: the count bpftrace printed for it
map() { sed -n "s/^$1: \([0-9]*\)$/\1/p" "$T/bt.out"; }
# kinds: 1 created, 2 updated, 3 destroyed; phases 0 running, 1 tearing-down
check "bpftrace: 42 created"		[ "$(map '@change\[1, 0\]')" = 42 ]
check "bpftrace: 1 updated (running)"	[ "$(map '@change\[2, 0\]')" = 1 ]
check "bpftrace: 1 teardown"		[ "$(map '@change\[2, 1\]')" = 1 ]
check "bpftrace: 1 destroyed"		[ "$(map '@change\[3, 1\]')" = 1 ]
check "bpftrace: string field (id a: create, update)" [ "$(map '@ids\[a\]')" = 2 ]
# commands: 2 create, 3 update, 4 destroy, 5 teardown, 8 definition-set, 12 watch
check "bpftrace: 42 resource-create requests, no error" \
	[ "$(map '@req\[2, 0, 0\]')" = 42 ]
check "bpftrace: destroy and teardown requests" \
	eval '[ "$(map "@req\\[4, 0, 0\\]")" = 1 ] && [ "$(map "@req\\[5, 0, 0\\]")" = 1 ]'
check "bpftrace: watch dumps and overflow" \
	eval '[ "$(map "@req\\[12, 1, 0\\]")" = 2 ] && [ "$(map "@overflow")" = 1 ]'
check "bpftrace: resyncs: 1 bootstrap, 1 replay" \
	eval '[ "$(map "@resync\\[1\\]")" = 1 ] && [ "$(map "@resync\\[0\\]")" = 1 ] &&
	      [ "$(map "@replayed")" = 42 ]'

ip netns del cosibt
rm -rf "$T"
totals
