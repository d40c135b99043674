#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kfunc examples of bpf/.  cosi-portfilter (TC program reading
# PortFilters resources with cosi.ko's kfuncs) between two netns over a
# veth pair: a port with an enabled PortFilter drops, others pass, and a
# cosictl change is in force when cosictl returns (no mirror to catch
# up).  cosi-specwatch (tracing program) prints the spec of each change.  Runs in the VM as root
# with cosi.ko loaded, from the top of the repository, after `make bpf
# daemon`.

top=$(pwd)
CTL=${COSICTL:-$top/build/daemon/cosictl}
PF=$top/build/bpf/cosi-portfilter
SW=$top/build/bpf/cosi-specwatch
T=$(mktemp -d /tmp/cosi_pf.XXXXXX)
. "$top/tests/lib.sh"

echo "TAP version 13"
echo "1..9"
if [ ! -x "$PF" ] || [ ! -x "$SW" ] || [ ! -x "$CTL" ]; then
	for i in 1 2 3 4 5 6 7 8 9; do skip "build/bpf or build/daemon not built"; done
	totals
	exit
fi

cleanup() {
	[ -n "${pfpid:-}" ] && kill "$pfpid" 2>/dev/null
	[ -n "${swpid:-}" ] && kill "$swpid" 2>/dev/null
	ip netns del pfsend 2>/dev/null
	ip netns del pfrecv 2>/dev/null
}
trap cleanup EXIT
on_fail() { cat "$T/pf.out" "$T/pf.err" "$T/sw.out" "$T/sw.err" 2>/dev/null; }

ip netns add pfsend && ip netns add pfrecv || exit 1
ip link add pfs type veth peer name pfr || exit 1
ip link set pfs netns pfsend && ip link set pfr netns pfrecv
ip -n pfsend addr add 10.77.0.1/24 dev pfs && ip -n pfsend link set pfs up
ip -n pfrecv addr add 10.77.0.2/24 dev pfr && ip -n pfrecv link set pfr up
ip -n pfrecv link set lo up
recv() { ip netns exec pfrecv "$@"; }

# recv_count PORT: how many of 5 UDP datagrams to PORT arrive in 1 s.
recv_count() {
	recv python3 -c '
import socket, subprocess, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", port))
s.settimeout(0.2)
subprocess.run(["ip", "netns", "exec", "pfsend", "python3", "-c",
    "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
    "[s.sendto(b\"x\",(\"10.77.0.2\",int(sys.argv[1]))) for _ in range(5)]",
    str(port)], check=True)
n = 0
end = time.time() + 1
while time.time() < end:
    try:
        s.recv(16)
        n += 1
    except socket.timeout:
        pass
print(n)
' "$1"
}

# The tracing program looks up in the writer's netns: cosictl's, pfrecv.
# Background programs run without the recv function, so that $! is
# theirs ("ip netns exec" execs them) and the signals reach them.  The
# script kills it: --duration only bounds a failed run (the debug kernel
# under TCG takes over 60 s to reach the delete).
ip netns exec pfrecv "$SW" --duration 600 PortFilters.bpf.cosi.dev enabled note \
	> "$T/sw.out" 2> "$T/sw.err" &
swpid=$!
wait_for 20 "cosi-specwatch attached" grep -q watching "$T/sw.err"

check "define PortFilters and apply port 8080" sh -c \
	"ip netns exec pfrecv $CTL define -f $top/examples/portfilters-definition.yaml &&
	 ip netns exec pfrecv $CTL apply -f $top/examples/portfilters.yaml"

ip netns exec pfrecv "$PF" pfr > "$T/pf.out" 2> "$T/pf.err" &
pfpid=$!
wait_for 20 "cosi-portfilter attached" grep -q attached "$T/pf.out"

check "8080 dropped" test "$(recv_count 8080)" = 0
check "8081 passes" test "$(recv_count 8081)" = 5

# In force when cosictl returns: nothing to wait for.
recv "$CTL" delete portfilter 8080 > /dev/null
check "8080 passes right after cosictl delete" test "$(recv_count 8080)" = 5

check "cosi-specwatch saw the spec, then the delete" sh -c \
	"grep -qx 'default/PortFilters.bpf.cosi.dev/8080 version 1 enabled=true note=no test server here' $T/sw.out &&
	 grep -qx 'default/PortFilters.bpf.cosi.dev/8080 gone' $T/sw.out"
kill "$swpid"
swpid=

kill -INT "$pfpid"
i=0
while kill -0 "$pfpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
pfpid=
check "dropped counted" grep -q '^dropped 5 errors 0$' "$T/pf.out"
# Filter back, program gone: it passes.
recv "$CTL" apply -f "$top/examples/portfilters.yaml" > /dev/null
check "detached: 8080 passes after exit" test "$(recv_count 8080)" = 5
totals
