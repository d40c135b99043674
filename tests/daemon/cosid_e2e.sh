#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of cosid + cosictl acting on the real OS, inside the VM
# as root with cosi.ko loaded, from the top of the repository:
#
#   tests/vm/run -- sh -c 'insmod build/kmod-$(uname -r)/cosi.ko &&
#                          sh tests/daemon/cosid_e2e.sh'
#
# The script re-executes itself in fresh network, UTS and mount namespaces:
# a fresh cosi store, its own sysctls (net.*), hostname and links.  It uses
# the ASan/UBSan builds (build/daemon-asan) unless COSID_BUILD=dir.
# Prints "ok N - what" / "not ok N - what" and a "# Totals:" line.

top=$(pwd)
if [ -z "$COSI_E2E_INNER" ]; then
	exec env COSI_E2E_INNER=1 unshare --net --uts --mount sh "$0" "$@"
fi
TMP_NAME=cosid_e2e
. "$top/tests/daemon/cosid.sh"

mount -t sysfs sysfs /sys
ip link set lo up

# spec TYPE ID FIELD: print a spec field of a resource (JSON output).
spec() {
	"$CTL" get "$1" "$2" -o json 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin).get("spec", {}).get(sys.argv[1])
print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))
' "$3" 2>/dev/null
}

version() {
	"$CTL" get "$1" "$2" -o json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["version"])'
}

is() {	# is EXPECTED CMD...: CMD prints EXPECTED
	want=$1
	shift
	[ "$("$@")" = "$want" ]
}

exists() { "$CTL" get "$1" "$2" > /dev/null 2>&1; }
absent() { ! exists "$1" "$2"; }
count() { "$CTL" get "$1" -o json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

modprobe dummy 2>/dev/null
ip link add d0 type dummy || echo "# cannot create a dummy link"

# --- start, readiness notification, definitions
python3 - "$COSID" "$STATE" "$HOSTS" "$LOG" > "$T/out" 2> "$T/err" <<'EOF'
import os, socket, subprocess, sys
path = "/tmp/cosid-notify.sock"
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(60)
env = dict(os.environ, NOTIFY_SOCKET=path)
log = open(sys.argv[4], "a")
p = subprocess.Popen([sys.argv[1], "--state-file", sys.argv[2],
                      "--hosts-path", sys.argv[3]], env=env,
                     stdout=log, stderr=log)
msg = s.recv(4096).decode()
print(msg)
p.terminate()
sys.exit(0 if "READY=1" in msg and p.wait(30) == 0 else 1)
EOF
check "cosid notifies READY=1 and stops cleanly on SIGTERM" [ $? = 0 ]
rm -f "$STATE"

start_cosid
wait_for 60 "cosid starts" ready
ctl get rd
check "definitions are registered" grep -q "SysctlConfigs.cosi.dev" "$T/out"
wait_for 10 "LinkStatus mirrors lo" exists links lo
check "LinkStatus reports lo's mtu" is 65536 spec links lo mtu

# --- apply a manifest; the OS follows
orig_somaxconn=$(cat /proc/sys/net/core/somaxconn)
ctl apply -f "$top/examples/node.yaml"
check "apply creates every document" [ "$(grep -c ' created$' "$T/out")" = 5 ]
wait_for 10 "net.ipv4.ip_forward is set" is 1 cat /proc/sys/net/ipv4/ip_forward
wait_for 10 "net.core.somaxconn is set" is 1024 cat /proc/sys/net/core/somaxconn
wait_for 10 "SysctlStatus reports value and original" \
	is "1 0" sh -c "echo \$($CTL get sysctlstatus net.ipv4.ip_forward -o json | python3 -c 'import json,sys; s=json.load(sys.stdin)[\"spec\"]; print(s[\"value\"], s[\"original\"])')"
wait_for 10 "hostname is set" is node-1 hostname
check "domainname is set" is example.org cat /proc/sys/kernel/domainname
wait_for 10 "HostnameStatus reports it" is node-1 spec hostnamestatus hostname hostname
wait_for 10 "d0 gets mtu 1400" is 1400 cat /sys/class/net/d0/mtu
wait_for 10 "d0 is up" sh -c 'ip -o link show d0 | grep -q "<.*UP.*>"'
wait_for 10 "LinkStatus follows d0's mtu" is 1400 spec links d0 mtu
wait_for 10 "LinkConfigStatus reports applied" is true spec linkconfigstatus d0 applied
wait_for 10 "hosts file chains the hostname status" \
	grep -q "node-1.example.org" "$HOSTS"
check "hosts file has the static entry" \
	grep -q "^10.0.0.1[[:space:]]*gw gateway.example.org" "$HOSTS"
check "HostsFileStatus counts the entry" is 1 spec hostsfilestatus hosts entries

# --- idempotence
v1=$(version sysctlstatus net.ipv4.ip_forward)
v2=$(version sysctl net.ipv4.ip_forward)
ctl apply -f "$top/examples/node.yaml"
check "re-apply changes nothing" [ "$(grep -c ' unchanged$' "$T/out")" = 5 ]
sleep 1
check "re-apply bumps no version" \
	[ "$(version sysctl net.ipv4.ip_forward)/$(version sysctlstatus net.ipv4.ip_forward)" = "$v2/$v1" ]

# --- bad input loses nothing
cat > "$T/bad.yaml" <<'EOF'
metadata: {type: sysctl, id: net.ipv4.tcp_syncookies}
spec: {value: "0"}
---
metadata: {type: sysctl, id: net.ipv4.conf.all.forwarding}
spec: {value: 1}
EOF
ctl apply -f "$T/bad.yaml"
check "an ill-typed manifest is refused in one line" \
	sh -c "[ \$(wc -l < $T/err) = 1 ] && grep -q 'document 2.*expected string' $T/err"
check "... and nothing of it is written" absent sysctl net.ipv4.tcp_syncookies

# --- live links
ip link add d1 type dummy
wait_for 10 "a new link appears in LinkStatus" exists links d1
ip link del d1
wait_for 10 "a deleted link leaves LinkStatus" absent links d1

# --- delete: the controller restores the original through finalizers
ctl delete sysctl net.core.somaxconn
check "delete waits for the sysctl controller and succeeds" \
	grep -q "deleted" "$T/out"
check "the original value is restored" \
	is "$orig_somaxconn" cat /proc/sys/net/core/somaxconn
check "its status is gone" absent sysctlstatus net.core.somaxconn

# --- privileges: cosid never does for a writer what it could not do itself
core_orig=$(cat /proc/sys/kernel/core_pattern)
ttl_orig=$(cat /proc/sys/net/ipv4/ip_default_ttl)
P=$(mktemp /tmp/cosid_e2e_priv.XXXXXX)
chmod 644 "$P"
cat > "$P" <<'EOF'
metadata: {type: sysctl, id: kernel.core_pattern}
spec: {value: "|/tmp/x %p"}
---
metadata: {type: sysctl, id: net.ipv4.ip_default_ttl}
spec: {value: "65"}
EOF
# uid 65534 holding only CAP_NET_ADMIN (the plain build: no sanitizer
# runtime to trip over the dumpable flag a uid change clears).
setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=+net_admin \
	"$top/build/daemon/cosictl" apply -f "$P" > "$T/out" 2> "$T/err"
check "uid 65534 with CAP_NET_ADMIN writes two SysctlConfigs" \
	[ "$(grep -c ' created$' "$T/out")" = 2 ]
wait_for 10 "... its netns's net.ipv4.ip_default_ttl is applied" \
	is 65 cat /proc/sys/net/ipv4/ip_default_ttl
wait_for 10 "... kernel.core_pattern is refused, the status says CAP_SYS_ADMIN is needed" \
	sh -c "'$CTL' get sysctlstatus kernel.core_pattern -o json | grep -q 'writer needs CAP_SYS_ADMIN'"
check "... and nothing is written to /proc/sys/kernel/core_pattern" \
	is "$core_orig" cat /proc/sys/kernel/core_pattern
ctl delete sysctl kernel.core_pattern
sed -i 's/"|\/tmp\/x %p"/"core.cosi-e2e"/' "$P"
ctl apply -f "$P"
check "root applies kernel.core_pattern" grep -q "core_pattern created" "$T/out"
wait_for 10 "... refused as unsafe without --allow-unsafe-sysctl" \
	sh -c "'$CTL' get sysctlstatus kernel.core_pattern -o json | grep -q 'unsafe sysctl'"
check "... nothing written" is "$core_orig" cat /proc/sys/kernel/core_pattern
stop_cosid TERM
: > "$LOG"
start_cosid --allow-unsafe-sysctl kernel.core_pattern
wait_for 60 "cosid restarts with --allow-unsafe-sysctl kernel.core_pattern" ready
wait_for 30 "... root's kernel.core_pattern is applied" \
	is core.cosi-e2e cat /proc/sys/kernel/core_pattern
ctl delete sysctl kernel.core_pattern
check "... and restored on delete" is "$core_orig" cat /proc/sys/kernel/core_pattern
ctl delete sysctl net.ipv4.ip_default_ttl
check "net.ipv4.ip_default_ttl is restored on delete" \
	is "$ttl_orig" cat /proc/sys/net/ipv4/ip_default_ttl
rm -f "$P"
stop_cosid TERM
: > "$LOG"
start_cosid
wait_for 60 "cosid restarts without the option" ready

# --- the daemon's health as resources: RuntimeStatuses (alias controllers)
# ge TYPE ID FIELD N: a u64 field is at least N.
ge() { [ "$(spec "$1" "$2" "$3")" -ge "$4" ] 2>/dev/null; }
wait_for 10 "a RuntimeStatus per controller" \
	sh -c "'$CTL' get controllers | grep -q ' hosts '"
ctl get controllers
show controllers < "$T/out"
for c in sysctl hostname link-status link-config hosts runtime-status \
	 config-saver; do
	check "... $c is listed" exists controllers "$c"
done
check "... the hosts controller ran, without errors" \
	sh -c "[ \"\$1\" -ge 1 ] && [ \"\$2\" = 0 ]" - \
	"$(spec controllers hosts runs)" "$(spec controllers hosts errors)"
# An idle daemon rewrites no status: versions stay over 3 periods (6 s).
versions() {
	"$CTL" get controllers -o json 2>/dev/null | python3 -c '
import json, sys
print(" ".join("%s=%s" % (r["metadata"]["id"], r["metadata"]["version"])
               for r in json.load(sys.stdin)))'
}
sleep 3
v0=$(versions)
sleep 6
check "... an idle daemon rewrites no RuntimeStatus ($v0)" is "$v0" versions
v0=$(version controllers sysctl)
printf '%s\n' 'metadata: {type: sysctl, id: net.ipv4.ip_default_ttl}' \
	'spec: {value: "65"}' > "$T/ttl.yaml"
ctl apply -f "$T/ttl.yaml"
newer() { [ "$(version controllers sysctl)" -gt "$v0" ] 2>/dev/null; }
wait_for 10 "... a run of sysctl shows in its RuntimeStatus" newer
ctl delete sysctl net.ipv4.ip_default_ttl
stop_cosid TERM
: > "$LOG"
rm -f "$HOSTS"
mkdir "$HOSTS"
start_cosid
wait_for 60 "cosid restarts with its hosts path a directory" ready
wait_for 10 "... RuntimeStatus hosts counts the failed runs" \
	ge controllers hosts errors 2
check "... names the last error" is "Is a directory" \
	spec controllers hosts last-error
check "... and shows the backoff" ge controllers hosts backoff-ms 500
ctl get controllers hosts
show "controllers hosts" < "$T/out"
rmdir "$HOSTS"
wait_for 60 "... the file is written once the path is free" test -f "$HOSTS"
wait_for 10 "... and RuntimeStatus hosts is healthy again" \
	is 0 spec controllers hosts backoff-ms
check "... no last error" is "" spec controllers hosts last-error

# --- unprivileged watchers cannot take the watches cosid needs
# uid 65534 asks for every watch of the netns (4 + 128); it gets its share
# (4) and cosid, started then, gets what it needs of the rest.  Without
# the share it would hold all of them and cosid could not start.
stop_cosid TERM
: > "$LOG"
param=/sys/module/cosi/parameters
unpriv_max=$(cat $param/max_unpriv_watchers)
watch_max=$(cat $param/max_watchers)
echo 4 > $param/max_unpriv_watchers
echo 132 > $param/max_watchers
setpriv --reuid=65534 --regid=65534 --clear-groups \
	python3 "$top/tests/daemon/watch_hog.py" LinkStatuses.cosi.dev 132 \
	> "$T/hog" 2>&1 &
hog=$!
# (6.1 sends no extack for a dump's start: the errno alone.)
wait_for 60 "uid 65534 gets 4 watches of 132 asked, ENOSPC naming its share" \
	grep -Eq "^held 4, refused: No space left on device(: .*without CAP_NET_ADMIN.*)?$" "$T/hog"
start_cosid
wait_for 60 "cosid starts while uid 65534 holds them" ready
check "... uid 65534 still holds them" kill -0 "$hog"
printf '%s\n' 'metadata: {type: sysctl, id: net.ipv4.ip_default_ttl}' \
	'spec: {value: "66"}' > "$T/ttl.yaml"
ctl apply -f "$T/ttl.yaml"
wait_for 10 "... and applies a config" \
	is 66 cat /proc/sys/net/ipv4/ip_default_ttl
ctl delete sysctl net.ipv4.ip_default_ttl
check "... and restores it on delete" \
	is "$ttl_orig" cat /proc/sys/net/ipv4/ip_default_ttl
kill "$hog"
wait "$hog" 2>/dev/null
echo "$unpriv_max" > $param/max_unpriv_watchers
echo "$watch_max" > $param/max_watchers

# --- persistence: the state file follows the config namespace
wait_for 10 "the state file holds the config" grep -q "HostnameConfigs" "$STATE"
check "the state file dropped the deleted config" \
	sh -c "! grep -q somaxconn $STATE"

# --- kill -9 in the middle of a reconcile; a restart loses nothing
stop_cosid TERM
check "SIGTERM: clean exit, sanitizers quiet" [ $? = 0 ]
i=0
: > "$T/many.yaml"
while [ $i -lt 60 ]; do
	printf 'metadata: {type: hostsentry, id: h%02d}\nspec: {address: 10.1.0.%d, names: [h%02d]}\n---\n' \
		$i $i $i >> "$T/many.yaml"
	i=$((i + 1))
done
ctl apply -f "$T/many.yaml"
check "60 more entries applied while cosid is down" \
	[ "$(grep -c ' created$' "$T/out")" = 60 ]
: > "$LOG"
start_cosid --write-rate 10
wait_for 60 "cosid restarts (throttled to 10 writes/s)" ready
sleep 2
held=$("$CTL" get hostsentry -o json | python3 -c '
import json, sys
print(sum("hosts" in r["metadata"].get("finalizers", []) for r in json.load(sys.stdin)))')
stop_cosid KILL
check "killed mid-reconcile (only $held of 61 entries held)" \
	[ "$held" -gt 0 ] && [ "$held" -lt 61 ]
start_cosid
wait_for 60 "cosid starts again" ready
wait_for 60 "every entry reaches the hosts file" \
	is 61 spec hostsfilestatus hosts entries
check "the earlier config is intact" is node-1 spec hostname hostname hostname
check "the kernel kept every config resource" is 61 count hostsentry
check "no finalizer is duplicated" sh -c "$CTL get hostsentry -o json |
	python3 -c 'import json,sys; sys.exit(any(len(r[\"metadata\"][\"finalizers\"]) != 1 for r in json.load(sys.stdin)))'"

# --- a watch overflow is not fatal
stop_cosid TERM
: > "$LOG"
start_cosid --watch-rcvbuf 4096 --write-rate 100000
wait_for 60 "cosid starts with a tiny watch buffer" ready
wait_for 30 "... and settles" is 61 spec hostsfilestatus hosts entries
sed 's/10\.1\.0\./10.2.0./' "$T/many.yaml" > "$T/many2.yaml"
ctl apply -f "$T/many2.yaml"
wait_for 60 "every update reaches the hosts file" \
	grep -q "^10.2.0.59[[:space:]]" "$HOSTS"
check "the input watches overflowed and resumed" grep -q "overflowed" "$LOG"
check "the daemon is still running" kill -0 "$pid"

# --- a resource deleted while cosid is down stays deleted: the state file
# names the store it was saved from, and a file of this very store is not
# restored (the store is the newer truth)
printf '%s\n' 'metadata: {type: hostsentry, id: gone-while-down}' \
	'spec: {address: 10.6.0.1, names: [gone]}' > "$T/gone.yaml"
ctl apply -f "$T/gone.yaml"
wait_for 10 "the state file holds a new entry" grep -q "id: gone-while-down" "$STATE"
head -n 1 "$STATE" > "$T/first"
check "... its first line names the store" \
	grep -Eq '^# cosi-store: [1-9][0-9]*$' "$T/first"
stop_cosid TERM
ctl finalizer remove hostsentry gone-while-down hosts
ctl delete hostsentry gone-while-down
check "the entry is deleted while cosid is down" absent hostsentry gone-while-down
: > "$LOG"
start_cosid
wait_for 60 "cosid starts again" ready
check "... says the file is of this store" \
	grep -q "was saved from this store: the kernel's config is newer, nothing restored" "$LOG"
check "... the entry stays deleted" absent hostsentry gone-while-down
wait_for 10 "... and leaves the state file" \
	sh -c "! grep -q 'id: gone-while-down' '$STATE'"

# --- reboot: a fresh store restores from the state file
stop_cosid TERM
cp "$STATE" "$T/saved.yaml"
unshare --net sh -c "
	'$COSID' --state-file '$STATE' --hosts-path '$T/hosts2' > '$T/log2' 2>&1 &
	p=\$!
	i=0
	while [ \$i -lt 300 ] && ! grep -q 'cosid: ready' '$T/log2'; do sleep 0.2; i=\$((i+1)); done
	'$CTL' get hostnameconfig hostname -o yaml > '$T/out' 2> '$T/err'
	'$CTL' get hostsentry -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' > '$T/count'
	kill \$p; wait \$p
"
check "a fresh netns restores the config from the state file" \
	grep -q "restored 64 resources" "$T/log2"
check "... with its content" grep -q "hostname: node-1" "$T/out"
check "... all 61 hosts entries" is 61 cat "$T/count"


# --- a restore keeps each writer's capabilities: what uid 65534 with only
# CAP_NET_ADMIN wrote does not come back with root's writer-caps
holder=
# fresh_netns: a new netns (an empty store) held by a sleeping process.
fresh_netns() {
	if [ -n "$holder" ]; then
		kill "$holder"
		wait "$holder" 2>/dev/null
	fi
	unshare --net sleep 600 &
	holder=$!
	while [ "$(readlink /proc/$holder/ns/net)" = "$(readlink /proc/$$/ns/net)" ]; do
		sleep 0.1
	done
}
in_ns() { nsenter --target "$holder" --net "$@"; }
# start_in_ns STATE-FILE: cosid in the held netns, logging to $LOG.
# nsenter itself, not in_ns: a function run with & is a subshell, and $!
# would be that subshell, not cosid (stop_cosid would leave cosid running).
# nsenter --net execs cosid without forking, so $! is cosid.
start_in_ns() {
	: > "$LOG"
	nsenter --target "$holder" --net "$COSID" --state-file "$1" \
		--hosts-path "$T/hosts-caps" >> "$LOG" 2>&1 &
	pid=$!
}
# live_caps TYPE ID: the writer-caps cosictl shows, comma-separated.
live_caps() {
	in_ns "$CTL" get "$1" "$2" -o json 2>/dev/null | python3 -c '
import json, sys
print(",".join(json.load(sys.stdin)["metadata"]["writer-caps"]))' 2>/dev/null
}
# saved_caps FILE ID: the writer-caps a state file records for ID.
saved_caps() {
	python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    m = (d or {}).get("metadata", {})
    if m.get("id") == sys.argv[2]:
        print(",".join(m["writer-caps"]) if "writer-caps" in m else "absent")
' "$1" "$2" 2>/dev/null
}
# status_says ID TEXT: the SysctlStatus of ID carries TEXT.
status_says() {
	in_ns "$CTL" get sysctlstatus "$1" -o json 2>/dev/null | grep -q "$2"
}
core_orig=$(cat /proc/sys/kernel/core_pattern)
burst_orig=$(cat /proc/sys/kernel/printk_ratelimit_burst)
burst_new=$((burst_orig + 7))
S2=$T/state-caps.yaml
LOG=$T/cosid-caps.log
P=$(mktemp /tmp/cosid_e2e_caps.XXXXXX)
chmod 644 "$P"
printf '%s\n' 'metadata: {type: sysctl, id: kernel.core_pattern}' \
	'spec: {value: "|/tmp/x %p"}' > "$P"
printf '%s\n' 'metadata: {type: sysctl, id: kernel.printk_ratelimit_burst}' \
	"spec: {value: \"$burst_new\"}" > "$T/root.yaml"

fresh_netns
start_in_ns "$S2"
wait_for 60 "writer-caps: cosid starts in a fresh netns" ready
in_ns setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=+net_admin \
	"$top/build/daemon/cosictl" apply -f "$P" > "$T/out" 2> "$T/err"
check "... uid 65534 with CAP_NET_ADMIN writes kernel.core_pattern" \
	grep -q 'core_pattern created$' "$T/out"
in_ns "$CTL" apply -f "$T/root.yaml" > "$T/out" 2> "$T/err"
check "... root writes kernel.printk_ratelimit_burst" \
	grep -q 'burst created$' "$T/out"
wait_for 10 "... uid 65534's is refused: the status says CAP_SYS_ADMIN is needed" \
	status_says kernel.core_pattern 'writer needs CAP_SYS_ADMIN'
wait_for 10 "... root's is applied" \
	is "$burst_new" cat /proc/sys/kernel/printk_ratelimit_burst
wait_for 10 "... the state file records uid 65534's writer-caps: net-admin" \
	is net-admin saved_caps "$S2" kernel.core_pattern
check "... and root's: net-admin, sys-admin" \
	is net-admin,sys-admin saved_caps "$S2" kernel.printk_ratelimit_burst
stop_cosid TERM
echo "$burst_orig" > /proc/sys/kernel/printk_ratelimit_burst

fresh_netns
start_in_ns "$S2"
wait_for 60 "after a reboot (a fresh netns), cosid restores the state file" ready
check "... both configs" grep -q "restored 2 resources" "$LOG"
check "... uid 65534's through a socket opened without CAP_SYS_ADMIN" \
	grep -q "1 documents of writers without CAP_SYS_ADMIN go through a socket opened without CAP_SYS_ADMIN" "$LOG"
check "... its writer-caps still lack sys-admin" \
	is net-admin live_caps sysctl kernel.core_pattern
wait_for 10 "... the controller still refuses it: CAP_SYS_ADMIN is needed" \
	status_says kernel.core_pattern 'writer needs CAP_SYS_ADMIN'
check "... /proc/sys/kernel/core_pattern is unchanged" \
	is "$core_orig" cat /proc/sys/kernel/core_pattern
check "... root's config restores with sys-admin" \
	is net-admin,sys-admin live_caps sysctl kernel.printk_ratelimit_burst
wait_for 10 "... and is applied again" \
	is "$burst_new" cat /proc/sys/kernel/printk_ratelimit_burst
check "... nothing was rejected" sh -c "! ls '$S2'.rejected-* 2>/dev/null"
stop_cosid TERM
echo "$burst_orig" > /proc/sys/kernel/printk_ratelimit_burst

# An older cosid's file records no writer-caps: a document of a sys-admin
# type (HostsEntries) could only have had a CAP_SYS_ADMIN writer; any
# other is restored as a lesser writer's.
grep -v 'writer-caps:' "$S2" > "$T/state-old.yaml"
printf '%s\n' '---' 'metadata: {type: hostsentry, id: legacy}' \
	'spec: {address: 10.9.0.1, names: [legacy]}' >> "$T/state-old.yaml"
check "an older state file (no writer-caps)" \
	sh -c "! grep -q writer-caps '$T/state-old.yaml'"
fresh_netns
start_in_ns "$T/state-old.yaml"
wait_for 60 "... is restored into a fresh netns" ready
check "... all 3 documents" grep -q "restored 3 resources" "$LOG"
check "... a line names each of the 2 that record no writer-caps" \
	is 2 grep -c "records no writer-caps" "$LOG"
check "... the SysctlConfig among them" \
	grep -q "/kernel.printk_ratelimit_burst records no writer-caps" "$LOG"
check "... the HostsEntry restores with sys-admin" \
	is net-admin,sys-admin live_caps hostsentry legacy
check "... root's old SysctlConfig restores without it" \
	is net-admin live_caps sysctl kernel.printk_ratelimit_burst
wait_for 10 "... and is refused: CAP_SYS_ADMIN is needed" \
	status_says kernel.printk_ratelimit_burst 'writer needs CAP_SYS_ADMIN'
check "... nothing written to /proc/sys/kernel/printk_ratelimit_burst" \
	is "$burst_orig" cat /proc/sys/kernel/printk_ratelimit_burst
stop_cosid TERM
kill "$holder"
wait "$holder" 2>/dev/null
echo "$burst_orig" > /proc/sys/kernel/printk_ratelimit_burst
rm -f "$P"

# --- an apply before cosid starts loses nothing of the state file: the
# restore merges (what the kernel lacks comes from the file, what it holds
# stays) and the saver writes the union
S3=$T/state-merge.yaml
printf '%s\n' 'metadata: {type: hostsentry, id: m1}' \
	'spec: {address: 10.7.0.1, names: [m1]}' '---' \
	'metadata: {type: hostsentry, id: m2}' \
	'spec: {address: 10.7.0.2, names: [m2]}' > "$S3"
printf '%s\n' 'metadata: {type: hostsentry, id: m2}' \
	'spec: {address: 10.7.0.22, names: [m2]}' '---' \
	'metadata: {type: hostsentry, id: m3}' \
	'spec: {address: 10.7.0.3, names: [m3]}' > "$T/early.yaml"
holder=	# the section above stopped it
fresh_netns
# A fresh store has no types: define cosid's, as this netns's cosid did
# (a second cosid here would find its owner claims taken).
"$CTL" get rd -o yaml > "$T/rd.yaml"
in_ns "$CTL" define -f "$T/rd.yaml" > "$T/out" 2> "$T/err"
check "merge: cosid's types defined in a fresh netns" [ $? = 0 ]
in_ns "$CTL" apply -f "$T/early.yaml" > "$T/out" 2> "$T/err"
check "... an apply while cosid is down" \
	[ "$(grep -c ' created$' "$T/out")" = 2 ]
start_in_ns "$S3"
wait_for 60 "... cosid starts with the state file" ready
check "... logs what it restored and what it kept" \
	grep -q "restored 1 resources from $S3, kept 1 as the kernel holds them" "$LOG"
addr() {
	in_ns "$CTL" get hostsentry "$1" -o json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["spec"]["address"])' 2>/dev/null
}
check "... the file's document absent in the kernel is restored" \
	is 10.7.0.1 addr m1
check "... the kernel's newer version of a document is kept" \
	is 10.7.0.22 addr m2
check "... the document applied by hand stays" is 10.7.0.3 addr m3
wait_for 10 "... the state file then holds all three" sh -c "
	grep -q 'id: m1' '$S3' && grep -q 'id: m3' '$S3' &&
	grep -q 10.7.0.22 '$S3' && ! grep -q '10.7.0.2\$' '$S3'"
check "... and nothing was set aside as rejected" \
	sh -c "! ls '$S3'.rejected-* 2>/dev/null"
stop_cosid TERM
kill "$holder"
wait "$holder" 2>/dev/null

totals
