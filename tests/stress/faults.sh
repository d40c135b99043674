#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault injection: cosid is killed with SIGKILL at random points while
# cosictl applies (and deletes) a manifest, then again while it
# reconciles, round after round.  The manifest is examples/node.yaml's
# kinds made bigger (tests/stress/desired.py: a LinkConfig and a sysctl
# per link, many hosts entries, values that change every round, some
# sysctls and entries deleted every round).  After each round a restarted
# cosid must converge: the OS (sysctls, originals restored, hostname,
# hosts file, link MTUs), the kernel's configs (none lost, none stuck
# tearing down, no finalizer twice), the statuses and the state file.
#
# Inside the VM, as root with cosi.ko loaded, from the top of the repo:
#   tests/vm/run -- sh -c 'insmod build/kmod-$(uname -r)/cosi.ko &&
#                          bash tests/stress/faults.sh'
# Sizes: STRESS_ROUNDS (15), STRESS_FAULT_LINKS (20), STRESS_HOSTS (200),
# STRESS_KILL_MS (the largest random delay before a kill, 2000),
# STRESS_SEED.  Prints TAP-style lines, "# figures: ..." and "# Totals:".

top=$(pwd)
if [ -z "$COSI_STRESS_INNER" ]; then
	exec env COSI_STRESS_INNER=1 unshare --net --uts --mount bash "$0" "$@"
fi
. "$top/tests/stress/lib.sh"

ROUNDS=${STRESS_ROUNDS:-15}
LINKS=${STRESS_FAULT_LINKS:-20}
NHOSTS=${STRESS_HOSTS:-200}
KILL_MS=${STRESS_KILL_MS:-2000}
seed_random
echo "# faults: $ROUNDS rounds, $LINKS links, $NHOSTS hosts entries, kills within ${KILL_MS} ms, seed $seed"

netns_setup "$LINKS"


# sleep_ms N
sleep_ms() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

starts=0
restart() {
	start_cosid
	starts=$((starts + 1))
}

kills=0
kill_after() {	# kill_after MS: SIGKILL cosid after MS ms
	sleep_ms "$1"
	stop_cosid KILL
	kills=$((kills + 1))
}

restart
wait_for 60 "cosid starts" ready || { totals; exit 1; }
total_s=0
worst_s=0
for ((r = 1; r <= ROUNDS; r++)); do
	desired gen "$r"
	# Apply and delete while cosid reconciles; kill it meanwhile.  The
	# deletes wait for cosid's finalizers, across its deaths.
	( "$CTL" apply -f "$T/apply.yaml" > "$T/apply.out" 2>&1 &&
	  "$CTL" delete -f "$T/delete.yaml" --wait 300 --ignore-not-found \
		>> "$T/apply.out" 2>&1 ) &
	writer=$!
	d1=$(rand "$KILL_MS")
	kill_after "$d1"
	# Kill it again while it reconciles what it found.
	restart
	d2=$(rand "$KILL_MS")
	kill_after "$d2"
	restart
	wait $writer
	wrc=$?
	check "round $r: apply, and delete across the kills, succeed" \
		[ $wrc = 0 ]
	start=$SECONDS
	if wait_for 180 "round $r: killed ${d1} ms into apply, ${d2} ms into reconcile; converges" \
		desired check "$r"; then
		total_s=$((total_s + waited))
		[ $waited -gt $worst_s ] && worst_s=$waited
	fi
done

check "cosid is still running" kill -0 "$pid"
check "cosid logged no fatal error and no sanitizer report" log_clean
stop_cosid TERM
check "cosid stops cleanly, sanitizers quiet" [ $? = 0 ]
docs=$(grep -c '^metadata' "$T/apply.yaml")
echo "# figures: rounds=$ROUNDS kills=$kills starts=$starts documents=$docs" \
	"links=$LINKS hosts=$NHOSTS converge_total_s=$total_s converge_worst_s=$worst_s"
totals
