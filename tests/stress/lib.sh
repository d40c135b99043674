# SPDX-License-Identifier: GPL-2.0
#
# Shared by the stress tests (sourced, bash): tests/daemon/cosid.sh
# (cosid's start and stop, TAP-style results) and the checks every test
# ends with.  Set before sourcing: top (the repository).

TMP_NAME=cosi_stress
. "$top/tests/daemon/cosid.sh"
VC=$top/build/tests/stress/view_check

# wait_for SECONDS DESC CMD...: poll CMD every 0.2 s until SECONDS have
# passed, however long CMD takes; sets $waited (s).  (tests/lib.sh's
# counts polls; a slow CMD here must not stretch the deadline.)
wait_for() {
	local end=$((SECONDS + $1)) d=$2 start=$SECONDS
	shift 2
	while :; do
		if "$@"; then
			waited=$((SECONDS - start))
			pass "$d (${waited}s)"
			return 0
		fi
		[ $SECONDS -lt $end ] || break
		sleep 0.2
	done
	waited=$((SECONDS - start))
	fail "$d (timed out after ${waited}s)"
	return 1
}

# No fatal error and no sanitizer report in cosid's log.
log_clean() {
	! grep -Eiq 'fatal|AddressSanitizer|LeakSanitizer|runtime error' "$LOG"
}

# rand MAX: a number in 0..MAX-1 (bash's RANDOM, seeded by STRESS_SEED).
rand() {
	echo $((RANDOM % $1))
}

seed_random() {
	seed=${STRESS_SEED:-$$}
	RANDOM=$seed
}

# netns_setup [N]: sysfs and lo of the fresh netns; dummy links d0..dN.
netns_setup() {
	local i

	mount -t sysfs sysfs /sys
	ip link set lo up
	modprobe dummy 2>/dev/null
	[ -n "$1" ] || return 0
	for ((i = 0; i <= $1; i++)); do
		echo "link add d$i type dummy"
	done > "$T/links.batch"
	ip -batch "$T/links.batch"
}

# desired gen|check ROUND: tests/stress/desired.py on $T, with $LINKS
# links and $NHOSTS hosts entries; check's findings go to $T/out.
desired() {
	if [ "$1" = gen ]; then
		python3 "$top/tests/stress/desired.py" gen "$2" "$LINKS" \
			"$NHOSTS" "$T"
	else
		python3 "$top/tests/stress/desired.py" check "$2" "$LINKS" \
			"$NHOSTS" "$CTL" "$STATE" "$HOSTS" > "$T/out" 2>&1
	fi
}

