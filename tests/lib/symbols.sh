#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libcosi's and libcosi-runtime's public surface stays what their maps
# and headers say: the dynamic symbols a .so defines are exactly the
# map's globals, each under the map's node, the soname is lib<name>.so.
# <major of the node>, and every function the public headers declare
# (between their visibility pragmas, static inlines aside) is in the map
# and the reverse.  Runs on the host, on the libraries cosid links
# (default build/daemon/lib; `make daemon`).
#
#   tests/lib/symbols.sh [LIBDIR]

top=$(cd "$(dirname "$0")/../.." && pwd)
libdir=${1:-$top/build/daemon/lib}
pass=0; fail=0; n=0

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
# $1: test name; $2, $3: the two sorted lists that must be equal.
same() {
	local d
	d=$(diff <(echo "$2") <(echo "$3"))
	if [ -z "$d" ]; then ok "$1"; else echo "$d" | sed 's/^/# /'; not_ok "$1"; fi
}

# The map's node and its globals.
map_node() { grep -oE '^[A-Z_]+_[0-9.]+' "$1" | sort -V | tail -n1; }
map_globals() {
	sed -n '/global:/,/local:/p' "$1" | grep -oE '^[[:space:]]+[a-z_0-9]+;' |
		tr -d ' \t;' | sort
}
# Functions declared in the public region of headers (comments dropped,
# static inline definitions left out).
header_decls() {
	cat "$@" | sed -n '/#pragma GCC visibility push(default)/,/#pragma GCC visibility pop/p' |
		grep -v '^#' | gcc -fpreprocessed -dD -E -P - 2>/dev/null |
		awk '/^static inline/ { skip = 1 } skip && /^}/ { skip = 0; next } !skip' |
		tr '\n{}' '   ' | awk 'BEGIN { RS = ";" }
			/\(\*/ || /typedef/ || !/\(/ { next }
			{ sub(/\(.*/, ""); n = split($0, w, /[ \t*]+/); print w[n] }' |
		sort -u
}

echo "TAP version 13"
echo "1..8"
for lib in libcosi:lib/libcosi.map:lib/cosi.h \
	   libcosi-runtime:lib/runtime/libcosi-runtime.map:lib/runtime/runtime.h,lib/runtime/transform.h; do
	IFS=: read -r name map hdrs <<< "$lib"
	map=$top/$map
	node=$(map_node "$map")
	ver=${node##*_}
	so=$libdir/$name.so.$ver
	if [ ! -f "$so" ]; then
		not_ok "$name: $so exists (make daemon)"; n=$((n + 3)); fail=$((fail + 3))
		continue
	fi
	ok "$name: $so exists"
	soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
	same "$name: soname is $name.so.${ver%%.*}" "$soname" "$name.so.${ver%%.*}"
	exported=$(nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' | sort)
	expect=$(map_globals "$map" | sed "s/\$/@@$node/")
	same "$name: exported symbols are the map's globals, under $node" \
		"$exported" "$expect"
	headers=$(echo "$hdrs" | tr ',' '\n' | sed "s|^|$top/|")
	# shellcheck disable=SC2086
	same "$name: the map lists what the public headers declare" \
		"$(map_globals "$map")" "$(header_decls $headers)"
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
