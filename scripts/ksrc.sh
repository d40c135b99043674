#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Extract the kernel-side tools this project builds with (kselftest harness,
# YNL, checkpatch, the netlink spec schemas, extract-vmlinux) from Debian's linux-source-6.12
# tarball into build/ksrc.  Nothing extracted here is committed.
set -euo pipefail
out=${1:-build/ksrc}
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1 || true)
if [ -z "$tarball" ]; then
	echo "ksrc: /usr/src/linux-source-6.12.tar.* missing (apt-get install linux-source-6.12)" >&2
	exit 1
fi
stamp=$out/.stamp
# (A tree from before extract-vmlinux was added is extracted again.)
[ -f "$stamp" ] && [ "$stamp" -nt "$tarball" ] &&
	[ -f "$out/scripts/extract-vmlinux" ] && exit 0
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
tar -xf "$tarball" -C "$out.tmp" --strip-components=1 --wildcards \
	'linux-source-6.12/tools/net/ynl/*' \
	'linux-source-6.12/tools/testing/selftests/kselftest.h' \
	'linux-source-6.12/tools/testing/selftests/kselftest_harness.h' \
	'linux-source-6.12/scripts/checkpatch.pl' \
	'linux-source-6.12/scripts/spelling.txt' \
	'linux-source-6.12/scripts/const_structs.checkpatch' \
	'linux-source-6.12/scripts/extract-vmlinux' \
	'linux-source-6.12/Documentation/netlink/*.yaml'
touch "$out.tmp/MAINTAINERS"
rm -rf "$out"
mv "$out.tmp" "$out"
touch "$stamp"
