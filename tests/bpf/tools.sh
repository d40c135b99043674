#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cosi-top and cosi-follow (bpf/, libbpf CO-RE on cosi.ko's BTF
# tracepoints) against a known cosictl workload in a netns of its own.
# Runs in the VM as root with cosi.ko loaded, from the top of the
# repository, after `make -C bpf`:
#
#   tests/vm/run -- sh -c 'insmod build/kmod-$(uname -r)/cosi.ko &&
#                          sh tests/bpf/tools.sh'

top=$(pwd)
CTL=${COSICTL:-$top/build/daemon/cosictl}
TOP=$top/build/bpf/cosi-top
FOLLOW=$top/build/bpf/cosi-follow
T=$(mktemp -d /tmp/cosi_tools.XXXXXX)
. "$top/tests/lib.sh"

finish() {
	totals
	exit
}

echo "TAP version 13"
echo "1..11"
if [ ! -x "$TOP" ] || [ ! -x "$FOLLOW" ]; then
	for i in 1 2 3 4 5 6 7 8 9 10 11; do skip "build/bpf not built (make -C bpf)"; done
	finish
fi
check "cosi.ko has BTF (/sys/kernel/btf/cosi)" test -r /sys/kernel/btf/cosi

ip netns add cosibpf || exit 1
ino=$(stat -L -c %i /run/netns/cosibpf)
inns() { ip netns exec cosibpf "$@"; }

"$TOP" --json --interval 1 --duration 30 --netns "$ino" > "$T/top.out" 2> "$T/top.err" &
tpid=$!
"$FOLLOW" --duration 30 --netns "$ino" tfns Tf.cosi.dev a > "$T/follow.out" 2> "$T/follow.err" &
fpid=$!
i=0
until grep -q '"event":"start"' "$T/top.out" && grep -q following "$T/follow.err"; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $tpid || ! kill -0 $fpid; then
		sed 's/^/# top: /' "$T/top.err"; sed 's/^/# follow: /' "$T/follow.err"
		break
	fi
	sleep 0.1
done 2> /dev/null
check "cosi-top and cosi-follow loaded and attached (tp_btf)" \
	eval 'grep -q "\"event\":\"start\"" "$T/top.out" && grep -q following "$T/follow.err"'

# The workload: a and b created, a updated, a deleted (teardown, destroy),
# then a watcher with a tiny receive buffer, stopped, overflows on the
# first of 40 creates.
cat > "$T/def.yaml" <<'YAML'
type: Tf.cosi.dev
aliases: [tf]
default-namespace: tfns
fields:
  - {name: name, type: string, required: true}
  - {name: mtu, type: u64}
  - {name: tags, type: string-list}
YAML
printf 'metadata: {type: tf, id: a}\nspec: {name: a}\n---\nmetadata: {type: tf, id: b}\nspec: {name: b}\n' > "$T/m1.yaml"
printf 'metadata: {type: tf, id: a}\nspec: {name: a, mtu: 9000}\n' > "$T/m2.yaml"
inns "$CTL" define -f "$T/def.yaml" > /dev/null
inns "$CTL" apply -f "$T/m1.yaml" > /dev/null
inns "$CTL" apply -f "$T/m2.yaml" > /dev/null
inns "$CTL" delete tf a > /dev/null
i=0
: > "$T/many.yaml"
while [ $i -lt 40 ]; do
	printf -- '---\nmetadata: {type: tf, id: ov%02d}\nspec: {name: ov%02d, tags: [%s]}\n' \
		$i $i "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" >> "$T/many.yaml"
	i=$((i + 1))
done
inns sh -c 'echo $$ > "$1"; exec "$2" watch tf --rcvbuf 2048 --timeout 60' \
	sh "$T/w.pid" "$CTL" > "$T/w.out" 2> "$T/w.err" &
ipid=$!
i=0
until [ -s "$T/w.out" ] || [ $i -gt 300 ]; do i=$((i + 1)); sleep 0.1; done
wpid=$(cat "$T/w.pid")
kill -STOP "$wpid"
inns "$CTL" apply -f "$T/many.yaml" > /dev/null
kill -KILL "$wpid"
wait $ipid
# Outside the netns: not counted.
"$CTL" define -f "$T/def.yaml" > /dev/null
"$CTL" apply -f "$T/m1.yaml" > /dev/null

wait $tpid
trc=$?
wait $fpid
frc=$?
sed 's/^/# /' "$T/follow.out"
grep -v '"event":"interval"' "$T/top.out" | sed 's/^/# /'

check "cosi-top exits 0 after --duration" [ $trc -eq 0 ]
check "cosi-top printed interval lines" \
	[ "$(grep -c '"event":"interval"' "$T/top.out")" -ge 5 ]
summary() {
	grep '"event":"summary"' "$T/top.out" | python3 -c "import json, sys
d = json.loads(sys.stdin.read())
sys.exit(0 if $1 else 1)"
}
check "cosi-top: changes of Tf.cosi.dev: 42 created, 2 updated, 1 destroyed" \
	summary 'd["types"] == {"Tf.cosi.dev": {"created": 42, "updated": 2, "destroyed": 1}}'
check "cosi-top: 42 resource-create requests, no errors, histogram sums up" \
	summary 'd["requests"]["resource-create"]["count"] == 42 and d["requests"]["resource-create"]["errors"] == 0 and sum(b["count"] for b in d["requests"]["resource-create"]["hist"]) == 42'
check "cosi-top: 1 teardown, 1 destroy, 1 watch request" \
	summary 'd["requests"]["resource-teardown"]["count"] == 1 and d["requests"]["resource-destroy"]["count"] == 1 and d["requests"]["watch"]["count"] == 1'
check "cosi-top: 1 overflow, 1 resync (bootstrap)" \
	summary 'd["overflows"] == 1 and d["resyncs"] == 1'
check "cosi-top: the overflow event line" \
	grep -q '^{"event":"overflow","netns":'"$ino"',.*"watch_id":1,"watches":1' "$T/top.out"
check "cosi-follow exits 0 after --duration" [ $frc -eq 0 ]
check "cosi-follow: a's four changes, in order" eval '[ "$(awk "{print \$3, \$6, \$8}" "$T/follow.out" | tr "\n" ";")" = \
	"created 1 running;updated 2 running;updated 3 tearing-down;destroyed 3 tearing-down;" ]'

"$TOP" --interval 1 --duration 1 > "$T/plain.out" 2>&1
sed 's/^/# /' "$T/plain.out"
ip netns del cosibpf
rm -rf "$T"
finish
