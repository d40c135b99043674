# SPDX-License-Identifier: GPL-2.0
# TAP-style checks for tests/dist: "ok N - what" / "not ok N - what" and,
# from totals, the "# Totals:" line the test runners count.
n=0
fails=0
# Each run's own output file (runs on the host may be concurrent).
check_out=$(mktemp)
trap 'rm -f "$check_out"' EXIT

# check WHAT CMD...: CMD (a program, not a function) must succeed within
# CHECK_SECS (600) seconds: a bound for a hung command, not a timing test
# (dpkg -i with its ldconfig trigger took over 120 s in a guest sharing
# two cores with two others).
check() {
	what=$1
	shift
	n=$((n + 1))
	if timeout "${CHECK_SECS:-600}" "$@" > "$check_out" 2>&1; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		sed 's/^/#   /' "$check_out" | tail -n 20
		fails=$((fails + 1))
	fi
}

totals() {
	echo "# Totals: pass:$((n - fails)) fail:$fails"
	[ "$fails" -eq 0 ]
}
