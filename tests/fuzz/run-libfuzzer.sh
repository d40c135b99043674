#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run each libFuzzer harness for FUZZ_SECS seconds (default 10) from its
# seed corpus in tests/fuzz/corpus/<harness>/ (read-only: new inputs go to
# build/fuzz/work/<harness>/), print its figures (runs, execs/s, coverage)
# and "N passed, N failed".  A harness that finds a crash, a sanitizer
# report or a leaking input fails; the input is saved as
# build/fuzz/artifacts/<harness>-crash-* (add it to the corpus once fixed).
#   run-libfuzzer.sh [BUILD_DIR] [HARNESS...]
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build/fuzz}
[ $# -gt 0 ] && shift
harnesses=${*:-fuzz_manifest fuzz_cli fuzz_msg fuzz_etcd}
secs=${FUZZ_SECS:-10}
pass=0
fail=0

for h in $harnesses; do
	work=$out/work/$h
	log=$out/$h.log
	mkdir -p "$work" "$out/artifacts"
	"$out/$h" -max_total_time="$secs" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$out/artifacts/$h-" \
		"$work" "$top/tests/fuzz/corpus/$h" > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
	echo "fuzz: $h: ${runs:-0} runs in ${secs} s, ${rate:-0} execs/s," \
	     "coverage ${cov:-0} edges, ${ft:-0} features (exit $rc)"
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
	else
		grep -E 'ERROR|SUMMARY|contract broken|Test unit written' "$log" |
			head -n 5
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
