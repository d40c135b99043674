# SPDX-License-Identifier: GPL-2.0
#
# Shared by the stress tests (sourced, bash): TAP-style results, cosid's
# start and stop, and the checks every test ends with.  Set before
# sourcing: top (the repository).  Uses the ASan/UBSan builds of cosid and
# cosictl (build/daemon-asan) unless COSID_BUILD=dir.

B=${COSID_BUILD:-$top/build/daemon-asan}
COSID=$B/cosid
CTL=$B/cosictl
VC=$top/build/tests/stress/view_check
T=$(mktemp -d /tmp/cosi_stress.XXXXXX)
STATE=$T/state.yaml
HOSTS=$T/hosts
LOG=$T/cosid.log
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
pid=
. "$top/tests/lib.sh"

# The VM runner fails on a certain word anywhere on the console: logs
# are shown with it masked (the checks themselves look for it).
show() {
	sed -e 's/[Ll][Ee][Aa][Kk]/l_ak/g' -e "s|^|# $1: |"
}

on_fail() {
	for f in "$T/out" "$T/err"; do
		[ -s "$f" ] && head -n 15 "$f" | show "$(basename "$f")"
	done
	[ -s "$LOG" ] && tail -n 15 "$LOG" | show cosid
}

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

ctl() {
	"$CTL" "$@" > "$T/out" 2> "$T/err"
}

start_cosid() {
	"$COSID" --state-file "$STATE" --hosts-path "$HOSTS" "$@" \
		>> "$LOG" 2>&1 &
	pid=$!
}

# ready [N]: cosid logged "ready" at least N times (default 1).
ready() {
	[ "$(grep -c 'cosid: ready' "$LOG")" -ge "${1:-1}" ]
}

# stop_cosid SIGNAL: returns cosid's exit status.
stop_cosid() {
	local rc
	kill -"$1" "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null	# no "Killed" line from bash
	rc=$?
	pid=
	return $rc
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

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	jobs -p | xargs -r kill -9 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
