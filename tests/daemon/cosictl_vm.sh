#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of cosictl against the real module: run inside the VM
# as root with cosi.ko loaded, from the top of the repository:
#
#   tests/vm/run -- sh -c 'insmod build/kmod-$(uname -r)/cosi.ko &&
#                          sh tests/daemon/cosictl_vm.sh'
#
# Prints "ok N - what" / "not ok N - what" per check and a kselftest-style
# "# Totals:" line; exits 0 only when every check passed.
# COSICTL=path overrides build/daemon/cosictl.

top=$(pwd)
CTL=${COSICTL:-$top/build/daemon/cosictl}
YNL_CLI=$top/build/ksrc/tools/net/ynl/cli.py
YNL_SPEC=$top/build/ynl-tree/Documentation/netlink/specs/cosi.yaml
T=$(mktemp -d /tmp/cosictl_vm.XXXXXX)
chmod 755 "$T"
. "$top/tests/lib.sh"

on_fail() {
	for f in "$T/out" "$T/err"; do
		[ -s "$f" ] && sed "s|^|# $(basename "$f"): |" "$f" | head -n 20
	done
}

# ctl ARGS...: run cosictl, keep stdout, stderr and the exit status.
ctl() {
	"$CTL" "$@" > "$T/out" 2> "$T/err"
	rc=$?
}

# As nobody, without capabilities.
ctl_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CTL" "$@" > "$T/out" 2> "$T/err"
	rc=$?
}

# The YNL CLI as another netlink client.  --no-schema: checking the spec
# against its schema (tests/ynl/ynl-cli.sh does) costs about half of each
# call's 10-14 s under TCG.  Several writes go in one call (--multi).
ynl() {
	python3 "$YNL_CLI" --no-schema --spec "$YNL_SPEC" "$@" > "$T/ynl.out" 2>&1
}

out_is() { [ "$(cat "$T/out")" = "$1" ]; }
out_has() { grep -q -- "$1" "$T/out"; }
err_has() { grep -q -- "$1" "$T/err"; }
err_one_line() { [ "$(wc -l < "$T/err")" -eq 1 ] && head -c 9 "$T/err" | grep -q '^cosictl: '; }
rc_is() { [ "$rc" -eq "$1" ]; }
ok_empty_err() { rc_is 0 && [ ! -s "$T/err" ]; }
# py EXPR: evaluate a Python expression over the JSON in $T/out as `d`.
py() { python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($1) else 1)"; }
# Wait (up to 20 s) until a watch printed its table header.
wait_header() {
	i=0
	while ! grep -q NAMESPACE "$1" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
version_of() { "$CTL" get tc "$1" -o 'jsonpath={.metadata.version}'; }

cat > "$T/defs.yaml" <<'YAML'
type: Tests.ctl.cosi.dev
aliases: [tc]
default-namespace: testns
sensitivity: public
fields:
  - {name: name, type: string, required: true}
  - {name: mtu, type: u64}
  - {name: offset, type: s64}
  - {name: up, type: bool}
  - {name: mac, type: bytes}
  - {name: tags, type: string-list}
columns:
  - {name: MTU, field: mtu}
  - {name: TAGS, field: tags}
---
type: Secrets.ctl.cosi.dev
aliases: [sec]
sensitivity: sensitive
fields:
  - {name: key, type: bytes, required: true}
---
type: Testing.other.dev
YAML

cat > "$T/m1.yaml" <<'YAML'
# two resources
metadata:
  type: tc
  id: eth0
  labels: {role: uplink}
  annotations: {note: "first"}
spec:
  name: eth0
  mtu: 1500
  offset: -3
  up: true
  mac: !!binary AAEC/w==
  tags: [a, b]
---
metadata: {type: Tests.ctl.cosi.dev, id: lo, namespace: testns}
spec: {name: lo, mtu: 65536}
YAML

sed 's/mtu: 1500/mtu: 9000/' "$T/m1.yaml" > "$T/m2.yaml"

cat > "$T/bad.yaml" <<'YAML'
metadata: {type: tc, id: new1}
spec: {name: new1}
---
metadata: {type: tc, id: eth0}
spec: {name: eth0, mtu: 1}
---
metadata: {type: tc, id: new2}
spec: {name: new2, mtu: -5}
YAML

# --- definitions
ctl define -f "$T/defs.yaml"
check "define: three definitions created" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev created
Secrets.ctl.cosi.dev created
Testing.other.dev created"'
ctl define -f "$T/defs.yaml"
check "define again: unchanged" eval 'ok_empty_err && [ "$(grep -c " unchanged$" "$T/out")" -eq 3 ]'
ctl get rd
check "get rd: table" eval 'rc_is 0 && out_has "^TYPE  *ALIASES  *DEFAULT-NS  *SENSITIVITY  *FIELDS  *RESOURCES" &&
	out_has "^Tests.ctl.cosi.dev  *tc  *testns  *public  *6  *0" &&
	out_has "^Secrets.ctl.cosi.dev  *sec  *default  *sensitive  *1  *0"'
ctl get rd tc -o json
check "get rd <alias> -o json" eval 'rc_is 0 && py "d[\"type\"] == \"Tests.ctl.cosi.dev\" and len(d[\"fields\"]) == 6 and d[\"columns\"][0][\"field\"] == \"mtu\""'
ctl get rd -o yaml
cp "$T/out" "$T/rd.yaml"
ctl define -f "$T/rd.yaml"
check "get rd -o yaml applies back unchanged" eval 'ok_empty_err && ! out_has " created$" && ! out_has " updated$" && out_has "Tests.ctl.cosi.dev unchanged"'

# --- apply
ctl apply -f "$T/m1.yaml"
check "apply: created" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/eth0 created
Tests.ctl.cosi.dev/lo created"'
ctl apply -f "$T/m1.yaml"
check "apply again: unchanged" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/eth0 unchanged
Tests.ctl.cosi.dev/lo unchanged"'
check "apply again: version still 1" [ "$(version_of eth0)" = 1 ]
ctl apply -f "$T/m2.yaml"
check "apply modified: updated" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/eth0 updated
Tests.ctl.cosi.dev/lo unchanged"'
check "apply modified: version 2" [ "$(version_of eth0)" = 2 ]
ctl apply -f - < "$T/m2.yaml"
check "apply -f - (stdin)" eval 'ok_empty_err && out_has "eth0 unchanged"'

# --- get
ctl get tc
check "get: table with print columns" eval 'rc_is 0 && out_has "^NAMESPACE  *TYPE  *ID  *VERSION  *MTU  *TAGS$" &&
	out_has "^testns  *Tests.ctl.cosi.dev  *eth0  *2  *9000  *a,b$" &&
	out_has "^testns  *Tests.ctl.cosi.dev  *lo  *1  *65536  *<none>$"'
ctl get tc eth0 -o yaml
check "get -o yaml: typed spec" eval 'rc_is 0 && out_has "^---$" && out_has "^metadata:$" &&
	out_has "^  phase: running$" && out_has "^  mtu: 9000$" && out_has "^  offset: -3$" &&
	out_has "^  up: true$" && out_has "^  mac: !!binary AAEC/w==$" && out_has "^  - b$" &&
	out_has "^  created: \"20[0-9-]*T[0-9:.]*Z\"$"'
ctl get tc -o json
check "get -o json: array, typed values" eval 'rc_is 0 && py "len(d) == 2 and d[0][\"spec\"][\"mtu\"] == 9000 and d[0][\"spec\"][\"offset\"] == -3 and d[0][\"spec\"][\"up\"] is True and d[0][\"spec\"][\"tags\"] == [\"a\", \"b\"] and d[0][\"metadata\"][\"labels\"] == {\"role\": \"uplink\"}"'
ctl get tc lo -o json
check "get <id> -o json: one object" eval 'rc_is 0 && py "d[\"metadata\"][\"id\"] == \"lo\" and d[\"metadata\"][\"namespace\"] == \"testns\""'
ctl get tc -o yaml
cp "$T/out" "$T/rt.yaml"
ctl apply -f "$T/rt.yaml"
check "yaml round trip: apply of get -o yaml is unchanged" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/eth0 unchanged
Tests.ctl.cosi.dev/lo unchanged"'
check "yaml round trip: no version bump" [ "$(version_of eth0)" = 2 ]
ctl get tc -l role=uplink
check "get -l role=uplink" eval 'rc_is 0 && out_has " eth0 " && ! out_has " lo "'
ctl get tc -l '!role' -o json
check "get -l !role -o json" eval 'rc_is 0 && py "[r[\"metadata\"][\"id\"] for r in d] == [\"lo\"]"'
ctl get tc -n elsewhere
check "get in an empty namespace" eval 'rc_is 0 && [ ! -s "$T/out" ] && err_has "No resources found"'
ctl get tc nope
check "get of an absent id: one-line error, exit 1" eval 'rc_is 1 && err_one_line && err_has "not found"'
ctl get tc -o wide
check "get -o wide: a column per spec field" eval 'rc_is 0 && out_has "^NAMESPACE  *TYPE  *ID  *VERSION  *MTU  *TAGS  *NAME  *OFFSET  *UP  *MAC$" &&
	out_has "^testns  *Tests.ctl.cosi.dev  *eth0  *2  *9000  *a,b  *eth0  *-3  *true  *AAEC/w==$" &&
	out_has "^testns  *Tests.ctl.cosi.dev  *lo  *1  *65536  *<none>  *lo  *<none>  *<none>  *<none>$"'
ctl get tc -o 'jsonpath={.items[*].metadata.id}'
check "get -o jsonpath: ids of a list" eval 'ok_empty_err && out_is "eth0 lo"'
ctl get tc eth0 -o 'jsonpath={.metadata.namespace}/{.spec.mtu}'
check "get <id> -o jsonpath: fields of one" eval 'ok_empty_err && out_is "testns/9000"'
ctl get tc -o 'jsonpath={range .items[*]}{.metadata.id}={.spec.tags}{"\n"}{end}'
check "get -o jsonpath: range" eval 'ok_empty_err && out_is "eth0=[\"a\",\"b\"]
lo="'
ctl get tc -o 'jsonpath={range .items[*]}'
check "get -o jsonpath: bad template, exit 2" eval 'rc_is 2 && err_one_line && err_has "{range} without {end}"'
ctl get rd tc -o 'jsonpath={.fields[*].name}'
check "get rd -o jsonpath" eval 'ok_empty_err && out_is "name mtu offset up mac tags"'

# --- wait
ctl wait tc eth0 --for spec.mtu=9000 --timeout 5
check "wait: a condition that holds returns at once" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/eth0 condition met"'
ctl wait tc eth0 --for mtu=1 --timeout 1
check "wait: timeout exits 1, one line naming resource and condition" eval 'rc_is 1 && [ ! -s "$T/out" ] && err_one_line &&
	err_has "wait Tests.ctl.cosi.dev/eth0 (namespace testns): timed out after 1s waiting for mtu=1$"'
ctl wait tc eth0 --for colour=red --timeout 1
check "wait: unknown field, one line" eval 'rc_is 1 && err_one_line && err_has "colour: unknown field"'
ctl wait tc nope --for delete --timeout 0
check "wait --for delete of an absent resource" eval 'ok_empty_err'
ctl wait tc nope --for create --timeout 0
check "wait --timeout 0: checks once" eval 'rc_is 1 && err_one_line && err_has "waiting for create"'
printf 'metadata: {type: tc, id: wt}\nspec: {name: wt, mtu: 1}\n' > "$T/wt1.yaml"
printf 'metadata: {type: tc, id: wt}\nspec: {name: wt, mtu: 2}\n' > "$T/wt2.yaml"
"$CTL" wait tc wt --for create --timeout 20 > "$T/wc.out" 2> "$T/wc.err" &
wc_pid=$!
"$CTL" wait tc wt --for mtu=2 --timeout 20 > "$T/wf.out" 2> "$T/wf.err" &
wf_pid=$!
sleep 1
"$CTL" apply -f "$T/wt1.yaml" > /dev/null
wait $wc_pid
wc_rc=$?
cp "$T/wc.out" "$T/out"; cp "$T/wc.err" "$T/err"
check "wait --for create: returns when created" eval '[ $wc_rc -eq 0 ] && out_is "Tests.ctl.cosi.dev/wt condition met"'
sleep 0.5
check "wait --for mtu=2: still waiting after mtu=1" kill -0 $wf_pid
"$CTL" apply -f "$T/wt2.yaml" > /dev/null
wait $wf_pid
wf_rc=$?
cp "$T/wf.out" "$T/out"; cp "$T/wf.err" "$T/err"
check "wait --for FIELD=VALUE: returns on the update" eval '[ $wf_rc -eq 0 ] && out_is "Tests.ctl.cosi.dev/wt condition met"'
"$CTL" wait tc wt --for delete --timeout 20 > "$T/wd.out" 2> "$T/wd.err" &
wd_pid=$!
sleep 0.5
"$CTL" delete tc wt > /dev/null
wait $wd_pid
wd_rc=$?
cp "$T/wd.out" "$T/out"; cp "$T/wd.err" "$T/err"
check "wait --for delete: returns when deleted" eval '[ $wd_rc -eq 0 ] && out_is "Tests.ctl.cosi.dev/wt condition met"'

# --- type resolution
ctl get TESTS.CTL.COSI.DEV eth0
check "type: case-insensitive full name" eval 'rc_is 0 && out_has " eth0 "'
ctl get TC eth0
check "type: alias, any case" eval 'rc_is 0 && out_has " eth0 "'
ctl get tests eth0
check "type: unique prefix of the first component" eval 'rc_is 0 && out_has " eth0 "'
ctl get test
check "type: ambiguous prefix lists candidates" eval 'rc_is 1 && err_one_line && err_has "is ambiguous: " &&
	err_has " Tests.ctl.cosi.dev" && err_has " Testing.other.dev"'
ctl get frobs
check "type: unknown" eval 'rc_is 1 && err_one_line && err_has "unknown type"'

# --- bad manifests write nothing
ctl apply -f "$T/bad.yaml"
check "bad manifest: one-line error naming document and field" eval 'rc_is 1 && [ ! -s "$T/out" ] && err_one_line &&
	err_has "bad.yaml: document 3 (Tests.ctl.cosi.dev/new2): spec.mtu: -5 out of range for u64"'
ctl get tc new1
check "bad manifest: nothing created" rc_is 1
check "bad manifest: nothing updated" [ "$(version_of eth0)" = 2 ]
printf 'metadata: {type: tc, id: x}\nspec: {name: x, colour: red}\n' > "$T/unk.yaml"
ctl apply -f "$T/unk.yaml"
check "unknown spec field rejected" eval 'rc_is 1 && err_one_line && err_has "spec.colour: unknown field"'
printf 'metadata:\n  type: tc\n   id: x\n' > "$T/syntax.yaml"
ctl apply -f "$T/syntax.yaml"
check "invalid YAML: line number" eval 'rc_is 1 && err_one_line && err_has "syntax.yaml: line 3 column"'
ctl apply -f "$T/missing.yaml"
check "missing file" eval 'rc_is 1 && err_one_line && err_has "No such file"'
ctl get tc --bogus
check "unknown option: exit 2" eval 'rc_is 2 && err_one_line'
ctl apply -f "$T/m1.yaml" --count 3
check "option of another command: exit 2" eval 'rc_is 2 && err_one_line'

# --- watch
# apply creates (+), updates (*); delete tears down (*), destroys (-)
"$CTL" watch tc --count 4 --timeout 30 > "$T/w.out" 2> "$T/w.err" &
wpid=$!
wait_header "$T/w.out"
printf 'metadata: {type: tc, id: w1}\nspec: {name: w1}\n' > "$T/w1.yaml"
printf 'metadata: {type: tc, id: w1}\nspec: {name: w1, mtu: 1}\n' > "$T/w1b.yaml"
"$CTL" apply -f "$T/w1.yaml" > /dev/null
"$CTL" apply -f "$T/w1b.yaml" > /dev/null
"$CTL" delete tc w1 > /dev/null
wait $wpid
wrc=$?
cp "$T/w.out" "$T/out"
cp "$T/w.err" "$T/err"
check "watch --count: bootstrap rows, then + * * -" eval '[ $wrc -eq 0 ] && out_has "^    NAMESPACE" &&
	out_has "^    testns  *Tests.ctl.cosi.dev  *eth0 " && out_has "^+   testns  *Tests.ctl.cosi.dev  *w1  *1 " &&
	out_has "^\*   testns  *Tests.ctl.cosi.dev  *w1  *2  *1 " && out_has "^-   testns  *Tests.ctl.cosi.dev  *w1 " &&
	[ "$(grep -c "^[-+*] " "$T/out")" -eq 4 ]'
rev=$("$CTL" get tc eth0 -o 'jsonpath={.metadata.revision}')
ctl watch tc --since "$rev" -o json --timeout 1
check "watch --since -o json: replayed events as JSON lines" eval 'rc_is 0 &&
	python3 -c "import json,sys; ev=[json.loads(l) for l in open(\"$T/out\")]; k=[e[\"event\"] for e in ev]; sys.exit(0 if k[-1] == \"bootstrapped\" and \"created\" in k and \"destroyed\" in k and \"updated\" in k else 1)"'
ctl get tc -w --timeout 0.5 -o yaml
check "get -w -o yaml: event documents and the marker" eval 'rc_is 0 && out_has "^event: created$" && out_has "^event: bootstrapped$"'
# Overflow: a stopped watcher with a tiny receive buffer misses events,
# then resumes from the last revision it saw and loses none.
i=0
: > "$T/many.yaml"
while [ $i -lt 40 ]; do
	printf '%s\nmetadata: {type: tc, id: ov%02d}\nspec: {name: ov%02d, tags: [%s]}\n' \
		--- $i $i "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" >> "$T/many.yaml"
	i=$((i + 1))
done
"$CTL" watch tc -l '!role' --rcvbuf 2048 --count 40 --timeout 60 > "$T/w.out" 2> "$T/w.err" &
wpid=$!
wait_header "$T/w.out"
kill -STOP $wpid
"$CTL" apply -f "$T/many.yaml" > /dev/null
kill -CONT $wpid
wait $wpid
wrc=$?
cp "$T/w.out" "$T/out"
cp "$T/w.err" "$T/err"
check "watch overflow: resumed with a note, every event once" eval '[ $wrc -eq 0 ] && err_has "note: events overflowed" &&
	[ "$(grep "^+ " "$T/out" | awk "{print \$4}" | sort -u | grep -c "^ov")" -eq 40 ] &&
	[ "$(grep -c "^+ " "$T/out")" -eq 40 ]'
"$CTL" delete -f "$T/many.yaml" > /dev/null

# Overflow past the kernel's history (a netns with 16 events of it): the
# watch lists again, and what was deleted meanwhile is printed with "-".
hs=/sys/module/cosi/parameters/history_size
cat > "$T/vanish.sh" <<VANISH
"$CTL" define -f "$T/defs.yaml" > /dev/null || exit 1
printf 'metadata: {type: tc, id: gone1}\nspec: {name: gone1}\n' > "$T/gone.yaml"
"$CTL" apply -f "$T/gone.yaml" > /dev/null || exit 1
"$CTL" watch tc --rcvbuf 2048 --timeout 60 > "$T/v.out" 2> "$T/v.err" &
wpid=\$!
i=0
while ! grep -q NAMESPACE "$T/v.out" 2>/dev/null && [ \$i -lt 200 ]; do
	sleep 0.1
	i=\$((i + 1))
done
kill -STOP \$wpid
# The creations fill the buffer: the deletion's events are lost.
"$CTL" apply -f "$T/many.yaml" > /dev/null
"$CTL" delete tc gone1 > /dev/null
kill -CONT \$wpid
# Until it printed what the check looks for (the note, the 40 creations,
# gone1's "-"), then SIGINT: not a fixed --timeout; 60 s bound it.
i=0
until grep -q 'listed again' "$T/v.err" && grep -q '^-   testns  *Tests.ctl.cosi.dev  *gone1 ' "$T/v.out" &&
	[ "\$(grep '^+ ' "$T/v.out" | awk '{print \$4}' | sort -u | grep -c '^ov')" -eq 40 ] || [ \$i -ge 300 ]; do
	sleep 0.2
	i=\$((i + 1))
done
kill -INT \$wpid
wait \$wpid
VANISH
old_hs=$(cat $hs)
echo 16 > $hs
unshare -n sh "$T/vanish.sh"
vrc=$?
echo "$old_hs" > $hs
cp "$T/v.out" "$T/out"
cp "$T/v.err" "$T/err"
check "watch re-list after the history: vanished resource printed with -" eval '[ $vrc -eq 0 ] &&
	err_has "note: events overflowed and the history no longer reached back; listed again (1 deleted meanwhile)" &&
	out_has "^    testns  *Tests.ctl.cosi.dev  *gone1 " && out_has "^-   testns  *Tests.ctl.cosi.dev  *gone1 " &&
	[ "$(grep "^+ " "$T/out" | awk "{print \$4}" | sort -u | grep -c "^ov")" -eq 40 ]'

"$CTL" watch tc eth0 --timeout 30 > "$T/w2.out" 2>&1 &
wpid=$!
wait_header "$T/w2.out"
kill -INT $wpid
wait $wpid
wrc=$?
check "watch ends cleanly on SIGINT" [ $wrc -eq 0 ]

# --- delete
printf 'metadata: {type: tc, id: d1}\nspec: {name: d1}\n---\nmetadata: {type: tc, id: d2}\nspec: {name: d2}\n' > "$T/d.yaml"
"$CTL" apply -f "$T/d.yaml" > /dev/null
ctl delete tc d1
check "delete <type> <id>" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/d1 deleted"'
ctl get tc d1
check "deleted resource is gone" rc_is 1
ctl delete tc d1
check "delete of an absent resource: not found, exit 1" eval 'rc_is 1 && err_one_line && err_has "not found"'
ctl delete tc d1 --ignore-not-found
check "delete --ignore-not-found" eval 'ok_empty_err && [ ! -s "$T/out" ]'
ctl delete -f "$T/d.yaml" --ignore-not-found
check "delete -f" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/d2 deleted"'

# A finalizer held by someone else (added with the YNL CLI).
"$CTL" apply -f "$T/d.yaml" > /dev/null
fin='{"namespace": "testns", "type": "Tests.ctl.cosi.dev", "id": "d1", "finalizers": {"finalizer": ["ctl-test"]}}'
check "finalizer-add (YNL CLI)" ynl --do finalizer-add --json "$fin"
ctl delete tc d1 --wait 0
check "delete --wait 0: torn down, waiting for finalizers" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/d1 torn down, waiting for finalizers: ctl-test"'
ctl get tc d1 -o yaml
check "torn-down resource: phase tearing-down, finalizer listed" eval 'rc_is 0 && out_has "phase: tearing-down" && out_has "ctl-test"'
ctl apply -f "$T/d.yaml"
check "apply to a tearing-down resource fails" eval 'rc_is 1 && err_one_line && err_has "d1): the resource is tearing down"'
ctl delete tc d1 --wait 1
check "delete --wait 1: times out naming the finalizer" eval 'rc_is 1 && err_one_line && err_has "timed out waiting for finalizers: ctl-test"'
"$CTL" delete tc d1 --wait 300 > "$T/del.out" 2> "$T/del.err" &
dpid=$!
sleep 1
check "finalizer-remove (YNL CLI)" ynl --do finalizer-remove --json "$fin"
wait $dpid
drc=$?
cp "$T/del.out" "$T/out"
cp "$T/del.err" "$T/err"
check "delete waits for the finalizer, then destroys" eval '[ $drc -eq 0 ] && out_is "Tests.ctl.cosi.dev/d1 deleted"'
ctl get tc d1
check "finalized resource is gone" rc_is 1
"$CTL" delete tc d2 > /dev/null

# finalizer remove: for a finalizer whose controller is gone.
"$CTL" apply -f "$T/d.yaml" > /dev/null
check "finalizer-add (YNL CLI), again" ynl --do finalizer-add --json "$fin"
bash "$top/tests/daemon/cosictl_completion.sh" --kernel Tests.ctl.cosi.dev d1 ctl-test > "$T/out" 2> "$T/err"
rc=$?
check "bash completion: commands, types, ids, finalizers" eval 'rc_is 0 && out_has "^# Totals: pass:28 fail:0"'
ctl delete tc d1 --wait 0
ctl finalizer remove tc d1 nope
check "finalizer remove of an absent finalizer: one line, exit 1" eval 'rc_is 1 && err_one_line && err_has "Tests.ctl.cosi.dev/d1: has no finalizer \"nope\""'
ctl finalizer remove tc d1 ctl-test
check "finalizer remove: warns on stderr, one line" eval 'rc_is 0 && out_is "Tests.ctl.cosi.dev/d1 finalizer \"ctl-test\" removed" &&
	[ "$(wc -l < "$T/err")" -eq 1 ] && err_has "^cosictl: warning: Tests.ctl.cosi.dev/d1: removing finalizer \"ctl-test\"; its owner controller will not clean up after it$"'
ctl get tc d1 -o 'jsonpath={.metadata.finalizers}'
check "finalizer removed" eval '{ rc_is 0 && out_is "[]"; } || rc_is 1'
"$CTL" delete tc d1 --ignore-not-found > /dev/null
ctl finalizer remove tc d1 ctl-test
check "finalizer remove of an absent resource" eval 'rc_is 1 && err_one_line && err_has "Tests.ctl.cosi.dev/d1: not found in namespace testns"'
ctl_nobody finalizer remove tc eth0 x
check "nobody: finalizer remove, one line" eval 'rc_is 1 && err_one_line'
"$CTL" delete tc d2 > /dev/null

# delete -f: by metadata only, every document, one line per failure.
printf 'metadata: {type: tc, id: o1}\nspec: {name: o1}\n---\nmetadata: {type: tc, id: o2}\nspec: {name: o2}\n' > "$T/o.yaml"
"$CTL" apply -f "$T/o.yaml" > /dev/null
cat > "$T/old.yaml" <<'YAML'
metadata: {type: tc, id: o1, labels: {gen: old}}
spec: {name: o1, colour: red, mtu: -1}
---
metadata: {type: tc, id: o9}
---
metadata: {type: frobs, id: x}
---
metadata: {type: tc, id: o2}
spec: {retired: field}
YAML
ctl delete -f "$T/old.yaml"
check "delete -f of an old manifest: deletes what it names, reports each failure" eval 'rc_is 1 &&
	out_is "Tests.ctl.cosi.dev/o1 deleted
Tests.ctl.cosi.dev/o2 deleted" && [ "$(wc -l < "$T/err")" -eq 2 ] &&
	err_has "^cosictl: Tests.ctl.cosi.dev/o9: not found in namespace testns$" &&
	err_has "^cosictl: .*old.yaml: document 3 (frobs/x): metadata.type: unknown type"'
ctl delete -f "$T/old.yaml" --ignore-not-found
check "delete -f --ignore-not-found: only the unknown type fails" eval 'rc_is 1 && [ ! -s "$T/out" ] && err_one_line && err_has "document 3"'
ctl delete -f "$T/missing.yaml"
check "delete -f of a missing file names the file" eval 'rc_is 1 && [ "$(cat "$T/err")" = "cosictl: $T/missing.yaml: No such file or directory" ]'
ctl delete tc x --wait 2147484
check "delete --wait beyond 2147483 s: usage error" eval 'rc_is 2 && err_one_line && err_has "0 to 2147483"'

# delete -l and --all
cat > "$T/set.yaml" <<'YAML'
metadata: {type: tc, id: s1, namespace: scratch, labels: {grp: x}}
spec: {name: s1}
---
metadata: {type: tc, id: s2, namespace: scratch, labels: {grp: x}}
spec: {name: s2}
---
metadata: {type: tc, id: s3, namespace: scratch}
spec: {name: s3}
YAML
"$CTL" apply -f "$T/set.yaml" > /dev/null
ctl delete tc -l grp=x -n scratch
check "delete -l: the matching ones" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/s1 deleted
Tests.ctl.cosi.dev/s2 deleted"'
ctl get tc -n scratch -o 'jsonpath={.items[*].metadata.id}'
check "delete -l: the others stay" eval 'rc_is 0 && out_is "s3"'
ctl delete tc -l grp=x -n scratch
check "delete -l with no match: a note, exit 0" eval 'rc_is 0 && [ ! -s "$T/out" ] && err_has "No resources found in namespace scratch"'
ctl delete tc --all -n scratch
check "delete --all" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/s3 deleted"'
ctl get tc -o 'jsonpath={.items[*].metadata.id}'
check "delete --all stays in its namespace" eval 'rc_is 0 && out_is "eth0 lo"'

# --- sensitive types and unprivileged users
printf 'metadata: {type: sec, id: k1}\nspec: {key: c2VjcmV0}\n' > "$T/sec.yaml"
ctl apply -f "$T/sec.yaml"
check "apply of a sensitive resource" eval 'ok_empty_err && out_is "Secrets.ctl.cosi.dev/k1 created"'
ctl get sec k1 -o json
check "root sees the sensitive spec" eval 'rc_is 0 && py "d[\"spec\"][\"key\"] == \"c2VjcmV0\""'
ctl_nobody get tc
check "nobody: get works" eval 'rc_is 0 && out_has " eth0 "'
ctl_nobody apply -f "$T/m2.yaml"
check "nobody: apply with nothing to change succeeds" eval 'rc_is 0 && out_has "unchanged"'
sed 's/mtu: 9000/mtu: 9001/' "$T/m2.yaml" > "$T/m3.yaml"
ctl_nobody apply -f "$T/m3.yaml"
check "nobody: apply fails with a one-line EPERM error" eval 'rc_is 1 && err_one_line && err_has "Operation not permitted"'
check "nobody: nothing changed" [ "$(version_of eth0)" = 2 ]
ctl_nobody get sec
check "nobody: sensitive get does not crash and hides the spec" eval '{ rc_is 0 && ! grep -q c2VjcmV0 "$T/out"; } || { rc_is 1 && err_one_line && err_has "not permitted"; }'
ctl_nobody get sec k1 -o yaml
check "nobody: sensitive get -o yaml has no spec" eval '{ rc_is 0 && ! out_has "^spec:"; } || { rc_is 1 && err_one_line; }'
ctl_nobody delete tc lo
check "nobody: delete refused" eval 'rc_is 1 && err_one_line && err_has "not permitted"'
ctl_nobody define -f "$T/defs.yaml"
check "nobody: define with no change is fine" eval 'rc_is 0'

# --- diff, apply --dry-run, apply --prune
printf '%s\n' 'metadata: {type: tc, id: p1, labels: {set: p}}' \
	'spec: {name: p1, mtu: 1}' '---' \
	'metadata: {type: tc, id: p2, labels: {set: p}}' \
	'spec: {name: p2}' > "$T/p1.yaml"
printf '%s\n' 'metadata: {type: tc, id: p1, labels: {set: p}, annotations: {why: a/b}}' \
	'spec: {name: p1, mtu: 2}' '---' \
	'metadata: {type: tc, id: p3, labels: {set: p}}' \
	'spec: {name: p3}' > "$T/p2.yaml"
ctl diff -f "$T/p1.yaml"
check "diff of new resources: create with + lines, exit 1" eval 'rc_is 1 && [ ! -s "$T/err" ] && out_is "Tests.ctl.cosi.dev/p1: create
+ spec.name: \"p1\"
+ spec.mtu: 1
+ labels.set: \"p\"
+ annotations.cosi.dev/applied-by: \"cosictl\"
Tests.ctl.cosi.dev/p2: create
+ spec.name: \"p2\"
+ labels.set: \"p\"
+ annotations.cosi.dev/applied-by: \"cosictl\""'
ctl apply --dry-run -f "$T/p1.yaml"
check "apply --dry-run: the plan, exit 0" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/p1 created (dry run)
Tests.ctl.cosi.dev/p2 created (dry run)"'
ctl get tc p1
check "diff and the dry run write nothing" rc_is 1
ctl apply -f "$T/p1.yaml"
ctl diff -f "$T/p1.yaml"
check "diff after apply: unchanged, exit 0" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/p1: unchanged
Tests.ctl.cosi.dev/p2: unchanged"'
ctl diff --prune -l set=p -f "$T/p2.yaml"
check "diff --prune: update per field, create, delete (prune); exit 1" eval 'rc_is 1 && [ ! -s "$T/err" ] && out_is "Tests.ctl.cosi.dev/p1: update
- spec.mtu: 1
+ spec.mtu: 2
+ annotations.why: \"a/b\"
Tests.ctl.cosi.dev/p3: create
+ spec.name: \"p3\"
+ labels.set: \"p\"
+ annotations.cosi.dev/applied-by: \"cosictl\"
Tests.ctl.cosi.dev/p2: delete (prune)
- spec.name: \"p2\"
- labels.set: \"p\"
- annotations.cosi.dev/applied-by: \"cosictl\""'
ctl apply --dry-run --prune -l set=p -f "$T/p2.yaml"
check "apply --dry-run --prune: shown, not done" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/p1 updated (dry run)
- spec.mtu: 1
+ spec.mtu: 2
+ annotations.why: \"a/b\"
Tests.ctl.cosi.dev/p3 created (dry run)
Tests.ctl.cosi.dev/p2 pruned (dry run)" &&
	[ "$(version_of p1)" = 1 ] && "$CTL" get tc p2 > /dev/null 2>&1 &&
	! "$CTL" get tc p3 > /dev/null 2>&1'
ctl apply --prune -f "$T/p2.yaml"
check "apply --prune without -l: usage error, exit 2" eval 'rc_is 2 && err_one_line && err_has "apply --prune needs -l SELECTOR"'
ctl apply -l set=p -f "$T/p2.yaml"
check "apply -l without --prune: usage error, exit 2" eval 'rc_is 2 && err_one_line && err_has "give --prune too"'
ctl diff -f "$T/missing.yaml"
check "diff of a missing file: exit 2, one line" eval 'rc_is 2 && err_one_line && err_has "No such file"'
ctl diff -f "$T/bad.yaml"
check "diff of a bad manifest: exit 2, one line" eval 'rc_is 2 && err_one_line && err_has "document 3"'
ctl apply --prune -l set=p -f "$T/p2.yaml"
check "apply --prune: applies, then prunes what the files lack" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/p1 updated
Tests.ctl.cosi.dev/p3 created
Tests.ctl.cosi.dev/p2 pruned"'
check "... p2 is gone" eval '! "$CTL" get tc p2 > /dev/null 2>&1'
check "... resources without the label stay" eval '"$CTL" get tc eth0 > /dev/null && "$CTL" get tc lo > /dev/null'
sed -n '1,2p' "$T/p2.yaml" > "$T/p2a.yaml"
sed -n '4,5p' "$T/p2.yaml" > "$T/p2b.yaml"
ctl apply --prune -l set=p -f "$T/p2a.yaml" -f "$T/p2b.yaml"
check "apply --prune over two files prunes nothing they hold" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/p1 unchanged
Tests.ctl.cosi.dev/p3 unchanged"'
ctl diff --prune -l set=p -f "$T/p2a.yaml"
check "diff --prune of one file: the other's resource would go" eval 'rc_is 1 && out_has "^Tests.ctl.cosi.dev/p3: delete (prune)$"'
ctl delete -f "$T/p2.yaml" --ignore-not-found

# --prune deletes only what cosictl applied (kubectl's last-applied
# rule), of every type of the files' namespaces, never cosid --config-dir's.
printf '%s\n' 'metadata: {type: tc, id: q1, labels: {set: q}}' \
	'spec: {name: q1}' '---' \
	'metadata: {type: testing, id: q2, namespace: testns, labels: {set: q}}' \
	> "$T/q12.yaml"
sed -n '1,2p' "$T/q12.yaml" > "$T/q1.yaml"
ctl apply -f "$T/q12.yaml"
check "apply stamps cosi.dev/applied-by: cosictl" eval 'rc_is 0 &&
	[ "$("$CTL" get testing q2 -n testns -o "jsonpath={.metadata.annotations.cosi\\.dev/applied-by}")" = cosictl ]'
q3='{"namespace": "testns", "type": "Tests.ctl.cosi.dev", "id": "q3", "labels": {"label": [{"key": "set", "value": "q"}]}, "spec": {"field": [{"name": "name", "string": "q3"}]}}'
check "a set=q resource cosictl did not apply (YNL CLI)" ynl --do resource-create --json "$q3"
printf '%s\n' 'metadata: {type: tc, id: q4, labels: {set: q, cosi.dev/source: config-dir}}' \
	'spec: {name: q4}' > "$T/q4.yaml"
"$CTL" apply -f "$T/q4.yaml" > /dev/null
ctl diff --prune -l set=q -f "$T/q1.yaml"
check "diff --prune: the type gone from the files is pruned too" eval 'rc_is 1 && out_is "Tests.ctl.cosi.dev/q1: unchanged
Testing.other.dev/q2: delete (prune)
- labels.set: \"q\"
- annotations.cosi.dev/applied-by: \"cosictl\""'
ctl apply --prune -l set=q -f "$T/q1.yaml"
check "apply --prune: prunes the other type, not the unstamped or config-dir ones" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/q1 unchanged
Testing.other.dev/q2 pruned" &&
	! "$CTL" get testing q2 -n testns > /dev/null 2>&1 &&
	"$CTL" get tc q3 > /dev/null && "$CTL" get tc q4 > /dev/null'
printf '%s\n' 'metadata: {type: tc, id: q5, annotations: {cosi.dev/applied-by: me}}' \
	'spec: {name: q5}' > "$T/q5.yaml"
ctl apply -f "$T/q5.yaml"
check "apply of a document claiming another applier: one line, exit 1" eval 'rc_is 1 && err_one_line && err_has "annotation cosi.dev/applied-by is cosictl.s, not \"me\""'

# delete -l tears every match down first, then waits for those still held
# with one --wait deadline (kubectl); one deleted by another meanwhile is
# no failure.
fin1='{"namespace": "testns", "type": "Tests.ctl.cosi.dev", "id": "q1", "finalizers": {"finalizer": ["ctl-test"]}}'
fin3='{"namespace": "testns", "type": "Tests.ctl.cosi.dev", "id": "q3", "finalizers": {"finalizer": ["ctl-test"]}}'
check "finalizer-add q1 and q3 (YNL CLI)" \
	ynl --multi finalizer-add "$fin1" --multi finalizer-add "$fin3"
phase() { "$CTL" get tc "$1" -o 'jsonpath={.metadata.phase}' 2>/dev/null; }
"$CTL" delete tc -l set=q --wait 300 > "$T/dl.out" 2> "$T/dl.err" &
dpid=$!
i=0
while { [ "$(phase q1)" != tearing-down ] || [ "$(phase q3)" != tearing-down ]; } && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "delete -l: both held matches torn down before any wait ends" \
	sh -c '[ "$1" = tearing-down ] && [ "$2" = tearing-down ]' - "$(phase q1)" "$(phase q3)"
check "another lets q3 go and destroys it (YNL CLI)" ynl --multi finalizer-remove "$fin3" \
	--multi resource-destroy '{"namespace": "testns", "type": "Tests.ctl.cosi.dev", "id": "q3"}'
check "ctl-test lets q1 go (YNL CLI)" ynl --do finalizer-remove --json "$fin1"
wait $dpid
drc=$?
cp "$T/dl.out" "$T/out"
cp "$T/dl.err" "$T/err"
rc=$drc
check "delete -l: the free one at once, the held one once let go, q3 destroyed by another is no failure" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev/q4 deleted
Tests.ctl.cosi.dev/q1 deleted"'
# One deadline for all: two held matches, --wait 5, about 5 s (one each would be 10 s or more;
# the 4 s between leave room for a loaded TCG guest's start-up and listing).
printf '%s\n' 'metadata: {type: tc, id: w1, labels: {set: w}}' 'spec: {name: w1}' '---' \
	'metadata: {type: tc, id: w2, labels: {set: w}}' 'spec: {name: w2}' > "$T/w.yaml"
"$CTL" apply -f "$T/w.yaml" > /dev/null
finw() { echo "{\"namespace\": \"testns\", \"type\": \"Tests.ctl.cosi.dev\", \"id\": \"$1\", \"finalizers\": {\"finalizer\": [\"ctl-test\"]}}"; }
ynl --multi finalizer-add "$(finw w1)" --multi finalizer-add "$(finw w2)"
t0=$(date +%s%N)
ctl delete tc -l set=w --wait 5
t1=$(date +%s%N)
check "delete -l --wait 5 with two held: both time out, one line each, exit 1" eval 'rc_is 1 && [ "$(wc -l < "$T/err")" -eq 2 ] &&
	err_has "Tests.ctl.cosi.dev/w1: timed out waiting for finalizers: ctl-test" &&
	err_has "Tests.ctl.cosi.dev/w2: timed out waiting for finalizers: ctl-test"'
check "... within one --wait, not one each ($(( (t1 - t0) / 1000000 )) ms)" \
	[ $(( (t1 - t0) / 1000000 )) -lt 9000 ]
ynl --multi finalizer-remove "$(finw w1)" --multi finalizer-remove "$(finw w2)"
"$CTL" delete tc -l set=w > /dev/null 2>&1

# --- undefine
ctl undefine tc
check "undefine with resources left: EBUSY" eval 'rc_is 1 && err_one_line && err_has "busy"'
"$CTL" delete tc eth0 > /dev/null
"$CTL" delete tc lo > /dev/null
"$CTL" delete sec k1 > /dev/null
ctl undefine tc
check "undefine" eval 'ok_empty_err && out_is "Tests.ctl.cosi.dev undefined"'
"$CTL" undefine sec > /dev/null
"$CTL" undefine testing > /dev/null
ctl get rd -o json
check "no test definitions left" eval 'rc_is 0 && py "not [x for x in d if x[\"type\"].endswith((\"ctl.cosi.dev\", \"other.dev\"))]"'
ctl version
check "version" eval 'ok_empty_err && out_has "^cosictl "'

rm -rf "$T"
totals
