#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel the test VM boots with `tests/vm/run --kernel
# debug`: Debian's linux-source-6.12 over tinyconfig plus
# tests/vm/debug.config (KASAN, lockdep, PROVE_RCU, kmemleak, ...).
# The tree is cached in build/debug-kernel/<key>, keyed by the fragment
# and the source package version, so only the first build on a machine
# pays (~12 minutes on 2 cores); build/debug-kernel/current points to it.
# Prints the tree's path.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
frag=$top/tests/vm/debug.config
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1 || true)
[ -n "$tarball" ] || { echo "debug-kernel: linux-source-6.12 missing" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { cat "$frag"; echo "$srcver"; } | sha256sum | cut -c1-16)
base=$top/build/debug-kernel
tree=$base/$key
mkdir -p "$base"
# One build at a time per tree: a second caller (another make, or a
# worktree whose build/debug-kernel links here) would rm -rf the tree
# under the first.  It waits, then finds the tree built.
exec 9>"$base/.lock"
flock 9
if [ -f "$tree/.cosi-built" ]; then
	ln -sfn "$key" "$base/current"
	echo "$tree"
	exit 0
fi
rm -rf "$tree"
mkdir -p "$tree"
echo "debug-kernel: extracting $(basename "$tarball") ($srcver)" >&2
tar -xf "$tarball" -C "$tree" --strip-components=1
# Built in place: kbuild records absolute paths.
cd "$tree"
{
	make -s tinyconfig
	scripts/kconfig/merge_config.sh -m .config "$frag" | grep -v "^Value of\|^Previous value\|^New value\|^$" || true
	make -s olddefconfig
} >&2
# A silently dropped option is the usual failure: every =y must hold.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=y' "$frag" | while read -r l; do
	grep -qx "$l" .config || echo "${l%=y}"; done)
if [ -n "$missing" ]; then
	echo "debug-kernel: options not taken: $missing" >&2
	exit 1
fi
grep -q '^CONFIG_SLUB_TINY=y' .config && { echo "debug-kernel: SLUB_TINY on" >&2; exit 1; }
echo "debug-kernel: building $(make -s kernelrelease) (about 12 minutes on 2 cores)" >&2
make -s -j"$(nproc)" bzImage >&2
# Module.symvers (modpost over vmlinux): out-of-tree modules link to it.
make -s -j"$(nproc)" modules >&2
touch .cosi-built
ln -sfn "$key" "$base/current"
echo "$tree"
