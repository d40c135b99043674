#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The counts of a test log, for the harnesses that add them up (make test,
# tests/vm/suites.sh, tests/vm/guest-tests.sh): prints "PASSED FAILED".
#
# usage: counts.sh [--runner] LOG [EXIT_CODE]
#
# The last count line of LOG is read: the kselftest harness's
# "# Totals: pass:N fail:N ..." or our runners' "N passed, N failed"
# (with --runner only the latter: the log of a runner holds its tests'
# lines too, and one of those must not pass for a runner that died).
# A program that failed (EXIT_CODE not 0) with no failure counted is one
# failure; a log without a count line is one pass if the program exited
# 0, else (or with no EXIT_CODE) one failure: a run that died, a VM
# that timed out.
re='^# Totals: |^[0-9]+ passed, [0-9]+ failed$'
if [ "${1-}" = --runner ]; then
	re='^[0-9]+ passed, [0-9]+ failed$'
	shift
fi
log=$1
rc=${2-}
line=$(grep -E "$re" "$log" 2>/dev/null | tail -n1)
case $line in
'# Totals: '*)
	p=$(echo "$line" | sed -n 's/.* pass:\([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.* fail:\([0-9]*\).*/\1/p')
	;;
?*)
	p=${line%% passed,*}
	f=${line##*passed, }
	f=${f% failed}
	;;
*)
	if [ "$rc" = 0 ]; then
		echo "1 0"
	else
		echo "0 1"
	fi
	exit 0
	;;
esac
p=${p:-0}
f=${f:-1}
[ -n "$rc" ] && [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
echo "$p $f"
