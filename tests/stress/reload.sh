#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module unload and reload under live clients.  cosid runs with a state
# file and a converged configuration (tests/stress/desired.py), two
# `cosictl watch` follow resources; then cosi.ko is removed:
#  - rmmod succeeds although both hold sockets and watches;
#  - each watch ends within seconds with one line on stderr and exit 1;
#  - cosictl get says in one line that the module is not loaded;
#  - cosid keeps running, says the family went away, and waits;
# and loaded again: cosid starts over by itself (defines the types,
# restores the state file into the fresh store, restarts its watches) and
# the node converges to the same desired state, LinkStatus included.
# Repeated STRESS_RELOADS times (2).  Needs the module's path:
#
#   tests/vm/run -- sh -c 'insmod build/kmod-$(uname -r)/cosi.ko &&
#       bash tests/stress/reload.sh build/kmod-$(uname -r)/cosi.ko'
#
# Leaves cosi.ko loaded.  Prints TAP-style lines and "# Totals:".

top=$(pwd)
KO=${1:-$top/build/kmod-$(uname -r)/cosi.ko}
if [ -z "$COSI_STRESS_INNER" ]; then
	exec env COSI_STRESS_INNER=1 unshare --net --uts --mount bash "$0" "$KO"
fi
. "$top/tests/stress/lib.sh"

RELOADS=${STRESS_RELOADS:-2}
LINKS=${STRESS_FAULT_LINKS:-20}
NHOSTS=${STRESS_HOSTS:-200}
loaded=1

netns_setup "$LINKS"

converged() {
	desired check 1 &&
	[ "$("$CTL" get links -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = \
	  "$(ls /sys/class/net | wc -l)" ]
}

# exited PID: the process is gone (a zombie is not: wait reaps it).
exited() { ! kill -0 "$1" 2>/dev/null; }

both_exited() { exited "$w1" && exited "$w2"; }

# one_line FILE WORDS: FILE is one line and contains WORDS.
one_line() { [ "$(wc -l < "$1")" = 1 ] && grep -q "$2" "$1"; }

# Reload the module whatever happens: the suite goes on after us.
restore_module() { [ $loaded = 1 ] || insmod "$KO"; }
trap 'restore_module; cleanup' EXIT

start_cosid
wait_for 60 "cosid starts" ready || { totals; exit 1; }
desired gen 1
ctl apply -f "$T/apply.yaml"
check "the manifest is applied" [ $? = 0 ]
wait_for 120 "the node converges" converged

for ((k = 1; k <= RELOADS; k++)); do
	"$CTL" watch links -o json > "$T/w1.out" 2> "$T/w1.err" &
	w1=$!
	"$CTL" get hostsentry -w > "$T/w2.out" 2> "$T/w2.err" &
	w2=$!
	wait_for 30 "reload $k: two watches are live" \
		grep -q bootstrapped "$T/w1.out"
	sleep 1
	rmmod cosi
	rc=$?
	[ $rc = 0 ] && loaded=0
	check "reload $k: rmmod with cosid and two watches attached" [ $rc = 0 ]
	wait_for 30 "reload $k: both watches end" both_exited ||
		kill -9 "$w1" "$w2" 2>/dev/null	# hung: fail, not hang
	{ wait "$w1"; } 2>/dev/null
	rc1=$?
	{ wait "$w2"; } 2>/dev/null
	rc2=$?
	sed 's/^/# cosictl watch: /' "$T/w1.err" "$T/w2.err"
	check "reload $k: each exits 1 with one line on stderr" \
		eval '[ $rc1 = 1 ] && [ $rc2 = 1 ] && one_line "$T/w1.err" "went away" && one_line "$T/w2.err" "went away"'
	ctl get links
	rc=$?
	check "reload $k: cosictl get says, in one line, to load the module" \
		eval '[ $rc = 1 ] && one_line "$T/err" "is cosi.ko loaded"'
	wait_for 30 "reload $k: cosid notices and waits for the family" \
		grep -q "waiting for the cosi family" "$LOG"
	check "reload $k: cosid is still running" kill -0 "$pid"
	insmod "$KO"
	rc=$?
	[ $rc = 0 ] && loaded=1
	check "reload $k: insmod" [ $rc = 0 ]
	wait_for 60 "reload $k: cosid starts over" ready $((k + 1))
	check "reload $k: ... restoring the state file into the fresh store" \
		[ "$(grep -c 'restored [1-9][0-9]* resources' "$LOG")" = "$k" ]
	wait_for 120 "reload $k: the node converges again" converged
done

check "cosid logged no fatal error and no sanitizer report" log_clean
stop_cosid TERM
check "cosid stops cleanly, sanitizers quiet" [ $? = 0 ]
grep -E "went away|waiting for|is back|restored" "$LOG" | sed 's/^/# cosid: /'
totals
