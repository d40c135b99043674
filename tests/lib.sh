# SPDX-License-Identifier: GPL-2.0
# Shared by the shell tests: TAP-style "ok N - what" / "not ok N - what"
# lines and the kselftest "# Totals:" line that tests/vm/guest-tests.sh
# counts.  Source it, then call check/check_fails/wait_for/skip, and end
# with totals.
#
# A script may define on_fail (called after each failure, to show what
# went wrong, e.g. the files it captured) and set CHECK_OUT to a file that
# check and check_fails send the command's output to.

n=0
failed=0
skipped=0

pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}

fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	if command -v on_fail > /dev/null 2>&1; then
		on_fail
	fi
	return 0
}

skip() {
	n=$((n + 1))
	skipped=$((skipped + 1))
	echo "ok $n # SKIP $1"
}

# run_check CMD...: CMD, its output to $CHECK_OUT when that is set.
run_check() {
	if [ -n "${CHECK_OUT:-}" ]; then
		"$@" > "$CHECK_OUT" 2>&1
	else
		"$@"
	fi
}

# check DESC CMD...: passes when CMD succeeds.
check() {
	_d=$1
	shift
	if run_check "$@"; then pass "$_d"; else fail "$_d"; fi
}

# check_fails DESC CMD...: passes when CMD fails.
check_fails() {
	_d=$1
	shift
	if run_check "$@"; then fail "$_d"; else pass "$_d"; fi
}

# wait_for SECONDS DESC CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	_t=$(($1 * 5))
	_d=$2
	shift 2
	while [ $_t -gt 0 ]; do
		"$@" && { pass "$_d"; return 0; }
		sleep 0.2
		_t=$((_t - 1))
	done
	fail "$_d (timed out)"
	return 1
}

# totals: the kselftest summary line; the status says whether all passed.
totals() {
	echo "# Totals: pass:$((n - failed - skipped)) fail:$failed xfail:0 xpass:0 skip:$skipped error:0"
	[ "$failed" -eq 0 ]
}
