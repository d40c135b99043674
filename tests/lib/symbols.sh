#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libcosi's and libcosi-runtime's public surface stays what their maps
# and headers say:
#  - the dynamic symbols a .so defines are exactly the map's globals,
#    each under the node the map lists it in (one node per release, never
#    changed: a symbol keeps the node it was added in);
#  - the soname is lib<name>.so.<major of the newest node>;
#  - every function the public headers declare (anywhere in them, static
#    inlines aside: one declared outside the visibility pragmas is hidden,
#    so not exported) is in the map, and the reverse;
#  - a C++ program compiles and links against the installed headers and
#    libraries (pkg-config of a staged install) and runs;
#  - `make install-lib` runs ldconfig when it installs into the system.
# Runs on the host, on the libraries cosid links (default
# build/daemon/lib; `make daemon`).
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

# The map's newest node; its globals as sym@@NODE; its globals.
map_node() { grep -oE '^[A-Z_]+_[0-9.]+' "$1" | sort -V | tail -n1; }
map_pairs() {
	gcc -fpreprocessed -dD -E -P - < "$1" 2>/dev/null | awk '
		/^[A-Z_]+_[0-9.]+[ \t]*\{/ { node = $1; sub(/\{.*/, "", node); next }
		/global:/ { g = 1; next }
		/local:/ || /^\}/ { g = 0; next }
		g { gsub(/[ \t;]/, ""); if ($0 != "") print $0 "@@" node }' | sort
}
map_globals() { map_pairs "$1" | sed 's/@@.*//' | sort; }
# Functions the headers declare (comments and preprocessor lines, with
# their continuation lines, dropped; static inline definitions left out).
header_decls() {
	cat "$@" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -v '^#' | gcc -fpreprocessed -dD -E -P - 2>/dev/null |
		awk '/^static inline/ { skip = 1 } skip && /^}/ { skip = 0; next } !skip' |
		tr '\n{}' '   ' | awk 'BEGIN { RS = ";" }
			/\(\*/ || /typedef/ || !/\(/ { next }
			{ sub(/\(.*/, ""); n = split($0, w, /[ \t*]+/); print w[n] }' |
		sort -u
}

echo "TAP version 13"
echo "1..15"
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
	same "$name: exported symbols are the map's globals, each under its node" \
		"$exported" "$(map_pairs "$map")"
	headers=$(echo "$hdrs" | tr ',' '\n' | sed "s|^|$top/|")
	# shellcheck disable=SC2086
	same "$name: the map lists what the public headers declare" \
		"$(map_globals "$map")" "$(header_decls $headers)"
done

# A C++ consumer of the installed headers and libraries.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
if ! make -s -C "$top/lib" OUT="$libdir" PREFIX="$stage" install > "$stage/log" 2>&1; then
	sed 's/^/# /' "$stage/log"
	not_ok "C++: the libraries install into a stage"
else
	cat > "$stage/consumer.cc" <<'EOF'
#include <cosi/cosi.h>
#include <cosi/runtime.h>
#include <cosi/transform.h>
#include <cstdio>

int main()
{
	COSI_OPTS(cosi_transform, t, .name = "consumer");

	/*
	 * A runtime call that fails cleanly: no runtime, nothing to start
	 * (and sz set by COSI_OPTS(), so no ABI complaint on stderr).
	 */
	std::printf("%s %d\n", cosi_field_type_name(COSI_FIELD_TYPE_STRING),
		    cosi_transform_register(NULL, &t, NULL, NULL) < 0);
	return 0;
}
EOF
	pc=$stage/lib/pkgconfig
	# shellcheck disable=SC2046
	if g++ -std=c++17 -Wall -Wextra -Werror -o "$stage/consumer" \
		"$stage/consumer.cc" \
		$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs libcosi-runtime) \
		> "$stage/log" 2>&1; then
		ok "C++: a consumer compiles and links with the installed headers"
	else
		sed 's/^/# /' "$stage/log"
		not_ok "C++: a consumer compiles and links with the installed headers"
	fi
fi
# A C consumer in kernel style: COSI_OPTS() is one declaration, so a
# declaration may follow it under -Wdeclaration-after-statement.
if [ -d "$stage/lib/pkgconfig" ]; then
	cat > "$stage/consumer_c.c" <<'EOF'
#include <cosi/cosi.h>

int main(void)
{
	COSI_OPTS(cosi_req, r, .id = "x");
	const struct cosi_list_req *q = COSI_OPTS_PTR(cosi_list_req, .type = "t");

	return r.sz == sizeof(r) && q->sz == sizeof(*q) ? 0 : 1;
}
EOF
	# shellcheck disable=SC2046
	if gcc -std=gnu99 -Wall -Wextra -Werror -Wdeclaration-after-statement \
		-o "$stage/consumer_c" "$stage/consumer_c.c" \
		$(PKG_CONFIG_PATH=$stage/lib/pkgconfig pkg-config --cflags --libs libcosi) \
		> "$stage/log" 2>&1 && LD_LIBRARY_PATH=$stage/lib "$stage/consumer_c"; then
		ok "C: COSI_OPTS() then a declaration, -Wdeclaration-after-statement"
	else
		sed 's/^/# /' "$stage/log"
		not_ok "C: COSI_OPTS() then a declaration, -Wdeclaration-after-statement"
	fi
else
	not_ok "C: COSI_OPTS() then a declaration, -Wdeclaration-after-statement"
fi
# The .pc Version is the release (VERSION), not the ABI version (map node).
release=$(cat "$top/VERSION")
for name in libcosi libcosi-runtime; do
	same "$name.pc: Version is the release, $release" \
		"$(PKG_CONFIG_PATH=$stage/lib/pkgconfig pkg-config --modversion "$name" 2>&1)" \
		"$release"
done
out=$(LD_LIBRARY_PATH=$stage/lib "$stage/consumer" 2>&1)
same "C++: ... and runs on the installed libraries" "$out" "string 1"

# `make install-lib` into the system refreshes the loader's cache (else
# cosid does not start from /usr/local until ldconfig), not into DESTDIR.
hook="echo LDCONFIG-RAN"
same "install-lib without DESTDIR runs ldconfig" \
	"$(make -s -C "$top" install-lib PREFIX="$stage/sys" LDCONFIG="$hook" 2>&1 | grep -c LDCONFIG-RAN)" 1
same "install-lib with DESTDIR does not" \
	"$(make -s -C "$top" install-lib DESTDIR="$stage/d" LDCONFIG="$hook" 2>&1 | grep -c LDCONFIG-RAN)" 0
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
