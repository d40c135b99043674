#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The shipped man pages are man pages: each page a package installs
# (debian/*.install) has its source in Documentation/man/, and each page
# `make man` builds has a NAME line that man-db's lexgrog reads as
# "name - description" (what whatis and apropos index) for its own name,
# the sections SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, FILES and SEE
# ALSO, and formats without a groff warning (lintian's check).  Each
# shipped program has a page.  Runs on the host in seconds (make test).
#
#   tests/dist/manpages.sh
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/dist/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$check_out"' EXIT

check "make man builds the pages" make -s -C "$TOP" man BUILD="$tmp"

# page_ok PAGE: the checks above on the built PAGE (name.section).
page_ok() {
	page=$1 name=${1##*/}
	name=${name%.*}
	out=$(lexgrog "$page") || { echo "lexgrog: $out"; return 1; }
	case $out in
	"$page: \"$name - "?*\") ;;
	*) echo "NAME line is not '$name - description': $out"; return 1 ;;
	esac
	for s in SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES "SEE ALSO"; do
		grep -qx "\.SH \"\?$s\"\?" "$page" || { echo "no $s section"; return 1; }
	done
	warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	[ -z "$warn" ] || { echo "groff: $warn"; return 1; }
}
export -f page_ok

shipped=$(sed -n 's|^usr/share/man/man[0-9]/||p' "$TOP"/debian/*.install | sort)
check "the packages ship man pages" test -n "$shipped"
for m in $shipped; do
	check "$m: source Documentation/man/$m.rst" test -f "$TOP/Documentation/man/$m.rst"
	check "$m: NAME, sections, no groff warning" bash -c 'page_ok "$0"' "$tmp/man/$m"
done
for b in $(sed -n 's|^usr/s\?bin/||p' "$TOP"/debian/*.install); do
	check "$b has a man page" bash -c 'ls "$0"/man/"$1".[1-8]' "$tmp" "$b"
done
totals
