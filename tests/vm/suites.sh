#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the guest suite (tests/vm/guest-tests.sh) in a VM per kernel,
# VM_JOBS of them at a time, and print their logs in the order given,
# each with its counts and wall time, then the sum: "N passed, N failed".
#
# usage: tests/vm/suites.sh LOGDIR SUITE...
#   SUITE is KERNEL[:TIMEOUT[:TESTS[:NAME]]]: a kernel as tests/vm/run takes
#   it, the VM's timeout in seconds, the TESTS globs (guest-tests.sh), and
#   the run's name (default KERNEL; its log is LOGDIR/test-NAME.log): two
#   VMs of one kernel, each running part of the suite, need two names.
#   Suites start in the order given: longest first makes the shortest run.
#
# Why concurrently: a TCG guest running this suite keeps about one host
# core busy (its tests wait on daemons, timers and each other), so two
# guests on two cores take little longer than one.  Each guest has its
# own overlay on the shared root and its own build/vm/KERNEL directory:
# nothing one writes is seen by another.
#
# VM_RUN (default tests/vm/run) runs one VM; VM_JOBS defaults to 2.
set -u
logdir=$1
shift
vm_run=${VM_RUN:-tests/vm/run}
jobs=${VM_JOBS:-2}
mkdir -p "$logdir"

declare -a names logs
start_suite() {
	local k t tests name
	IFS=: read -r k t tests name <<< "$1"
	local log=$logdir/test-${name:-$k}.log
	(
		s=$(date +%s)
		# shellcheck disable=SC2086
		$vm_run --kernel "$k" ${t:+--timeout "$t"} -- \
			env TESTS="$tests" tests/vm/guest-tests.sh "$k" \
			> "$log" 2>&1
		echo "$? $(($(date +%s) - s))" > "$log.rc"
	) &
	names+=("${name:-$k}")
	logs+=("$log")
}

running=0
for suite in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	start_suite "$suite"
	running=$((running + 1))
done
wait

total_p=0
total_f=0
for i in "${!names[@]}"; do
	log=${logs[$i]}
	echo "=== kernel ${names[$i]}"
	cat "$log"
	read -r rc secs < "$log.rc" 2>/dev/null || { rc=1; secs=?; }
	# A run that failed without a count (the guest died, a timeout) is
	# one failure.
	read -r p f < <("$(dirname "$0")/../lib/counts.sh" --runner "$log" "$rc")
	echo "=== kernel ${names[$i]}: $p passed, $f failed ($secs s)"
	total_p=$((total_p + p))
	total_f=$((total_f + f))
done
echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]
