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
wait_for 10 "a file writable by others is refused" \
	grep -q "40-dup.yaml: not a regular file of uid 0 writable only by it" "$LOG"
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
stop_cosid TERM
"$COSID" --config-dir "$T/none" > "$T/out" 2> "$T/err"
rc=$?
check "a missing directory: exit 1, one line naming it" \
	sh -c "[ $rc = 1 ] && [ \$(wc -l < '$T/err') = 1 ] &&
	grep -q 'config-dir $T/none: No such file or directory' '$T/err'"
"$COSID" --config-dir "$D" --state-file "$STATE" > "$T/out" 2> "$T/err"
check "--config-dir with --state-file: exit 2" [ $? = 2 ]

totals
