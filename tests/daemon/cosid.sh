# SPDX-License-Identifier: GPL-2.0
# Shared by the tests that run cosid (tests/daemon/cosid_e2e.sh and
# tests/stress): its files in a temporary directory, starting, waiting for
# and stopping it, cosictl with its output kept, and what a failed check
# shows.  Sources tests/lib.sh.  Set before sourcing: top (the
# repository), TMP_NAME (the temporary directory's prefix).  Uses the
# ASan/UBSan builds of cosid and cosictl (build/daemon-asan) unless
# COSID_BUILD=dir.

B=${COSID_BUILD:-$top/build/daemon-asan}
COSID=$B/cosid
CTL=$B/cosictl
T=$(mktemp -d "/tmp/$TMP_NAME.XXXXXX")
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

# ctl ARGS...: cosictl, its output in $T/out and $T/err.
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
	kill -"$1" "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null	# no "Killed" line from bash
	_rc=$?
	pid=
	return $_rc
}

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	jobs -p | xargs -r kill -9 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
