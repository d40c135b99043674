#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cosid --config-dir end to end, inside the VM as root with cosi.ko
# loaded, from the top of the repository (tests/vm/guest-tests.sh runs
# it): a directory of manifests is the desired configuration; edits,
# removed documents and files, bad files and SIGHUP, checked in the
# kernel and in /proc/sys.  Fresh network, UTS and mount namespaces as in
# cosid_e2e.sh; ASan/UBSan builds unless COSID_BUILD=dir.

top=$(pwd)
if [ -z "$COSI_CD_INNER" ]; then
	exec env COSI_CD_INNER=1 unshare --net --uts --mount sh "$0" "$@"
fi
TMP_NAME=cosid_configdir
. "$top/tests/daemon/cosid.sh"

D=$T/cosi.d
mkdir "$D"
ttl_orig=$(cat /proc/sys/net/ipv4/ip_default_ttl)
somax_orig=$(cat /proc/sys/net/core/somaxconn)

start_cd() {
	"$COSID" --config-dir "$D" --hosts-path "$HOSTS" "$@" >> "$LOG" 2>&1 &
	pid=$!
}
exists() { "$CTL" get "$1" "$2" > /dev/null 2>&1; }
absent() { ! exists "$1" "$2"; }
is() {	# is EXPECTED CMD...: CMD prints EXPECTED
	want=$1
	shift
	[ "$("$@")" = "$want" ]
}
# meta TYPE ID KIND KEY: a label or annotation of a resource.
meta() {
	"$CTL" get "$1" "$2" -o json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["metadata"][sys.argv[1]].get(sys.argv[2], ""))' "$3" "$4" 2>/dev/null
}
sysval() {
	"$CTL" get sysctl "$1" -o json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["value"])' 2>/dev/null
}
# lines TEXT: how many lines of the log hold TEXT.
lines() { grep -c -- "$1" "$LOG"; }
# more N TEXT: more than N lines of the log hold TEXT.
more() { [ "$(lines "$2")" -gt "$1" ]; }
phase() {
	"$CTL" get hostsentry "$1" -o json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["phase"])' 2>/dev/null
}
# he ID ADDRESS: a HostsEntry document.
he() { printf 'metadata: {type: hostsentry, id: %s}\nspec: {address: %s, names: [%s]}\n' "$1" "$2" "$1"; }
# put FILE: stdin into $D/FILE as writers should: another name, then rename.
put() { cat > "$D/.$1.tmp" && mv "$D/.$1.tmp" "$D/$1"; }
YNL_CLI=$top/build/ksrc/tools/net/ynl/cli.py
YNL_SPEC=$top/build/ynl-tree/Documentation/netlink/specs/cosi.yaml
# hold OP ID: finalizer-add/-remove "test-hold" on a HostsEntry (YNL CLI).
hold() {
	python3 "$YNL_CLI" --spec "$YNL_SPEC" --do "finalizer-$1" --json \
		"{\"namespace\": \"config\", \"type\": \"HostsEntries.cosi.dev\", \"id\": \"$2\", \"finalizers\": {\"finalizer\": [\"test-hold\"]}}" \
		> "$T/ynl.out" 2>&1
}

printf '%s\n' 'metadata: {type: sysctl, id: net.ipv4.ip_default_ttl}' \
	'spec: {value: "71"}' '---' \
	'metadata: {type: sysctl, id: net.core.somaxconn}' \
	'spec: {value: "1111"}' > "$D/10-net.yaml"
printf '%s\n' 'metadata: {type: hostsentry, id: cd1}' \
	'spec: {address: 10.8.0.1, names: [cd1]}' > "$D/20-hosts.yaml"
echo 'not: a manifest' > "$D/notes.txt"
printf '%s\n' 'metadata: {type: hostsentry, id: hand}' \
	'spec: {address: 10.8.0.9, names: [hand]}' > "$T/hand.yaml"

start_cd
wait_for 60 "cosid --config-dir starts" ready
# (after the start: a fresh store has no types until cosid defines them)
ctl apply -f "$T/hand.yaml"
check "a HostsEntry applied by hand" grep -q 'hand created' "$T/out"
check "the directory was applied before READY: 3 created" \
	grep -q "config-dir $D: 2 files (0 bad): 3 created, 0 updated, 0 unchanged, 0 deleted" "$LOG"
wait_for 10 "net.ipv4.ip_default_ttl is set from 10-net.yaml" \
	is 71 cat /proc/sys/net/ipv4/ip_default_ttl
wait_for 10 "net.core.somaxconn is set" is 1111 cat /proc/sys/net/core/somaxconn
check "the resource carries cosi.dev/source=config-dir" \
	is config-dir meta sysctl net.ipv4.ip_default_ttl labels cosi.dev/source
check "... and names its file" \
	is 10-net.yaml meta sysctl net.ipv4.ip_default_ttl annotations cosi.dev/config-file
check "no state file is written in this mode" [ ! -e "$STATE" ]

# --- edit a file: the change follows (inotify, debounced)
sed -i 's/"71"/"72"/' "$D/10-net.yaml"
wait_for 10 "an edited value reaches the kernel" is 72 sysval net.ipv4.ip_default_ttl
wait_for 10 "... and /proc/sys" is 72 cat /proc/sys/net/ipv4/ip_default_ttl

# --- remove a document: it is deleted, the sysctl restored
printf '%s\n' 'metadata: {type: sysctl, id: net.ipv4.ip_default_ttl}' \
	'spec: {value: "72"}' > "$D/10-net.yaml"
wait_for 10 "a document removed from its file is deleted" absent sysctl net.core.somaxconn
check "... its sysctl is restored" is "$somax_orig" cat /proc/sys/net/core/somaxconn
check "... the log says so" grep -q "SysctlConfigs.cosi.dev/net.core.somaxconn is gone from 10-net.yaml" "$LOG"
check "what was applied by hand stays" exists hostsentry hand

# --- a bad file: reported in one line, its resources kept
n0=$(lines "reloading")
printf '%s\n' 'metadata: {type: hostsentry, id: cd1}' \
	'spec: {address: 10.8.0.1, names: [cd1]}' '---' \
	'metadata: {type: hostsentry, id: cd2}' \
	'spec: {address: [10.8.0.2], names: [cd2]}' > "$D/20-hosts.yaml"
wait_for 10 "a bad file is reported in one line naming file and document" \
	grep -q "config-dir: $D/20-hosts.yaml: document 2 (HostsEntries.cosi.dev/cd2): .*the file is skipped, its resources kept" "$LOG"
check "... exactly one line for it" is 1 lines "20-hosts.yaml: document 2"
check "... its earlier resource is kept" exists hostsentry cd1
check "... nothing of it is applied" absent hostsentry cd2
printf '%s\n' 'metadata: {type: links, id: lo}' 'spec: {mtu: 1}' > "$D/30-status.yaml"
wait_for 10 "a document of a status type is refused" \
	grep -q "30-status.yaml: document 1 (LinkStatuses.cosi.dev/lo): not a config type" "$LOG"
printf '%s\n' 'metadata: {type: sysctl, id: net.ipv4.ip_default_ttl}' \
	'spec: {value: "99"}' > "$D/40-dup.yaml"
wait_for 10 "a document already in another file is refused, naming it" \
	grep -q "40-dup.yaml: document 1 (SysctlConfigs.cosi.dev/net.ipv4.ip_default_ttl): also in 10-net.yaml" "$LOG"
check "... the first file's value stays" is 72 sysval net.ipv4.ip_default_ttl
chmod 666 "$D/40-dup.yaml"
wait_for 10 "a file writable by others is refused, saying so" \
	grep -q "40-dup.yaml: writable by group or others (mode 0666)" "$LOG"
n1=$(lines "cosi.d: 2 files (1 bad)")
rm -f "$D/30-status.yaml" "$D/40-dup.yaml"
# The removals resync the directory (debounced): let that pass first, or
# it undoes the hand edit below before SIGHUP does.
wait_for 10 "removing the refused files resyncs the directory" \
	sh -c "[ \$(grep -c 'cosi.d: 2 files (1 bad)' '$LOG') -gt $n1 ]"

# --- SIGHUP resyncs: a hand edit of a managed resource is undone
printf '%s\n' 'metadata: {type: sysctl, id: net.ipv4.ip_default_ttl, labels: {cosi.dev/source: config-dir}, annotations: {cosi.dev/config-file: 10-net.yaml}}' \
	'spec: {value: "80"}' > "$T/edit.yaml"
ctl apply -f "$T/edit.yaml"
wait_for 10 "a hand edit of a managed sysctl reaches /proc/sys" \
	is 80 cat /proc/sys/net/ipv4/ip_default_ttl
sleep 1
kill -HUP "$pid"
wait_for 10 "SIGHUP: cosid reloads the directory" sh -c "[ \$(grep -c reloading '$LOG') -gt $n0 ]"
wait_for 10 "... the files win again" is 72 sysval net.ipv4.ip_default_ttl
wait_for 10 "... and /proc/sys follows" is 72 cat /proc/sys/net/ipv4/ip_default_ttl
check "... the bad file's resource is still kept" exists hostsentry cd1
check "... and the daemon runs on" kill -0 "$pid"

# --- fix the bad file without cd1: now cd1 goes, cd2 comes
printf '%s\n' 'metadata: {type: hostsentry, id: cd2}' \
	'spec: {address: 10.8.0.2, names: [cd2]}' > "$D/20-hosts.yaml"
wait_for 10 "the fixed file applies" exists hostsentry cd2
wait_for 10 "... and what it no longer holds is deleted" absent hostsentry cd1
wait_for 10 "... the hosts file follows" grep -q "^10.8.0.2[[:space:]]*cd2" "$HOSTS"

# --- remove a whole file
rm "$D/10-net.yaml"
wait_for 10 "a removed file's resources are deleted" absent sysctl net.ipv4.ip_default_ttl
check "... its sysctl is restored" is "$ttl_orig" cat /proc/sys/net/ipv4/ip_default_ttl
check "the hand-applied HostsEntry is never pruned" exists hostsentry hand

# --- a restart finds the kernel in step: nothing to change
stop_cosid TERM
check "SIGTERM: clean exit, sanitizers quiet" [ $? = 0 ]
: > "$LOG"
start_cd
wait_for 60 "cosid restarts with the directory" ready
check "... and changes nothing" \
	grep -q "config-dir $D: 1 files (0 bad): 0 created, 0 updated, 1 unchanged, 0 deleted" "$LOG"

# --- a document moved into a file with a typo is not deleted: while
# any file is bad, nothing is
{ he m1 10.8.3.1; echo ---; he m2 10.8.3.2; } | put 50-m.yaml
wait_for 10 "50-m.yaml applies" exists hostsentry m2
{ he m2 10.8.3.2; echo ---; echo 'metadata: {type: hostsentry, id: m3'; } | put 60-m.yaml
he m1 10.8.3.1 | put 50-m.yaml
wait_for 10 "m2 moved into 60-m.yaml, which has a typo: it is reported" \
	grep -q "60-m.yaml: line .*invalid YAML" "$LOG"
wait_for 10 "... one line: nothing is deleted while it is bad" \
	grep -q "config-dir: 1 bad file: nothing is deleted until it is fixed" "$LOG"
sleep 1
check "... m2 is kept" exists hostsentry m2
check "... m1 too" exists hostsentry m1
{ he m2 10.8.3.2; echo ---; he m3 10.8.3.3; } | put 60-m.yaml
wait_for 10 "the typo fixed: m3 applies" exists hostsentry m3
wait_for 10 "... m2 now names 60-m.yaml" \
	is 60-m.yaml meta hostsentry m2 annotations cosi.dev/config-file
check "... and was never deleted" sh -c "! grep -q 'm2 is gone' '$LOG'"

# --- an empty file (caught between open(O_TRUNC) and the write) is bad
: > "$D/50-m.yaml"
wait_for 10 "an empty file is reported" \
	grep -q "50-m.yaml: no documents (write files elsewhere, then rename them into the directory); the file is skipped" "$LOG"
sleep 1
check "... its resource is kept" exists hostsentry m1
rm "$D/50-m.yaml" "$D/60-m.yaml"
wait_for 10 "removed files: their resources are deleted" absent hostsentry m3

# --- a document removed while a finalizer holds it, then put back: the
# failed sync is retried, and it comes back once the old one is gone
he c3 10.8.4.3 | put 70-c.yaml
wait_for 10 "70-c.yaml applies" exists hostsentry c3
check "a finalizer of someone else holds c3 (YNL CLI)" hold add c3
he c4 10.8.4.4 | put 70-c.yaml
wait_for 10 "c3 removed from its file: tearing down" is tearing-down phase c3
he c3 10.8.4.3 | put 70-c.yaml
wait_for 10 "c3 put back while tearing down: reported" \
	grep -q "70-c.yaml: document 1 (HostsEntries.cosi.dev/c3): the resource is tearing down" "$LOG"
check "the finalizer goes (YNL CLI)" hold remove c3
wait_for 20 "... c3 comes back, with no SIGHUP nor edit" is running phase c3
wait_for 10 "... c4, no longer in the file, is deleted" absent hostsentry c4

# --- the directory replaced (renamed over): it is watched again
n2=$(lines "was removed or moved")
cp -a "$D" "$T/cosi.new"
mv "$D" "$T/cosi.old"
mv "$T/cosi.new" "$D"
wait_for 10 "a replaced directory is reported" more "$n2" "was removed or moved"
sleep 1		# past the sync it causes: the next change must be watched
he d9 10.8.5.9 | put 80-d.yaml
wait_for 10 "... a file added to the new one applies" exists hostsentry d9
check "... one line for it" is $((n2 + 1)) lines "was removed or moved"
rm -rf "$T/cosi.old"
# deleted, then made anew: nothing is deleted meanwhile, then it is read
cp -a "$D" "$T/cosi.new"
rm -rf "$D"
wait_for 10 "a deleted directory: nothing changed" \
	grep -q "config-dir: $D: No such file or directory; nothing changed" "$LOG"
check "... its resources are kept" exists hostsentry d9
mv "$T/cosi.new" "$D"
he d10 10.8.5.10 | put 81-d.yaml
wait_for 20 "... made anew: read (retried) and watched again" exists hostsentry d10
rm "$D/81-d.yaml"
wait_for 10 "... changes are seen again" absent hostsentry d10

# --- a hard link into the directory (IN_CREATE only) is seen
sleep 1
he hl 10.8.6.1 > "$T/hl.yaml"
chmod 644 "$T/hl.yaml"
ln "$T/hl.yaml" "$D/82-hl.yaml"
wait_for 10 "a file hard-linked into the directory applies" exists hostsentry hl

# --- a symbolic link is refused, saying so
ln -s "$T/hl.yaml" "$D/83-link.yaml"
wait_for 10 "a symbolic link is refused, saying so" \
	grep -q "83-link.yaml: a symbolic link, not a regular file" "$LOG"
rm "$D/83-link.yaml"

# --- a directory writable by others: nothing is applied or deleted
n3=$(lines "files (0 bad)")
chmod 775 "$D"
wait_for 10 "a group-writable directory is refused, saying so" \
	grep -q "config-dir: $D: writable by group or others (mode 0775); nothing changed" "$LOG"
he f1 10.8.7.1 | put 84-f.yaml
rm "$D/82-hl.yaml"
sleep 1.5
check "... a file added meanwhile is not applied" absent hostsentry f1
check "... a file removed meanwhile deletes nothing" exists hostsentry hl
chmod 755 "$D"
wait_for 20 "... fixed: the directory applies again" exists hostsentry f1
wait_for 10 "... and deletes what it no longer holds" absent hostsentry hl
# What these sections logged (Documentation/cosid.rst quotes it).
grep -E "bad file|removed or moved|nothing changed|tearing down|config-dir: run failed" "$LOG" |
	sort | uniq -c | show cosid
stop_cosid TERM
check "SIGTERM: clean exit, sanitizers quiet" [ $? = 0 ]
# refused DESC DIR TEXT: cosid --config-dir DIR exits 1 with one line.
# (bounded: a cosid that accepts DIR would run on)
refused() {
	timeout 20 "$COSID" --config-dir "$2" > "$T/out" 2> "$T/err"
	rc=$?
	check "$1: exit 1, one line" sh -c "[ $rc = 1 ] &&
		[ \$(wc -l < '$T/err') = 1 ] && grep -q -- '$3' '$T/err'"
}
chmod 777 "$D"
refused "a world-writable directory at start" "$D" \
	"config-dir $D: writable by group or others (mode 0777)"
chmod 755 "$D"
refused "a missing directory" "$T/none" \
	"config-dir $T/none: No such file or directory"
"$COSID" --config-dir "$D" --state-file "$STATE" > "$T/out" 2> "$T/err"
check "--config-dir with --state-file: exit 2" [ $? = 2 ]

totals
