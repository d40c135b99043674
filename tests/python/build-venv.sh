#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build what tests/python/python-cosi.sh tests, on the host (under TCG a
# pip install costs the guest a minute and more): the package's sdist from
# a copy of python/, built with Debian's python3 from the spec, then that
# sdist installed with pip outside the tree (no COSI_SPEC: the sdist
# carries the spec), offline, into a venv that sees Debian's pyroute2 and
# PyYAML.  Leaves OUT/venv and OUT/sdist-dir (the unpacked sdist's path).
#
# usage: tests/python/build-venv.sh OUT
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
# Debian's interpreter, as in the guest and the python3-cosi package (a
# python3 earlier in PATH, e.g. pyenv's, lacks Debian's modules).
py=/usr/bin/python3
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
# setup.py builds in the source directory: a copy, not the tree.
cp -r "$top/python" "$out/src"
rm -rf "$out/src/build" "$out/src"/*.egg-info
(cd "$out/src" && COSI_SPEC="$top/Documentation/netlink/specs/cosi.yaml" \
	"$py" setup.py -q sdist -d "$out/dist") > "$out/sdist.log" 2>&1 ||
	{ cat "$out/sdist.log"; exit 1; }
tar -xzf "$out"/dist/cosi-*.tar.gz -C "$out"
rm -rf "$out/src"
sdist=$(echo "$out"/cosi-*/)
"$py" -m venv --system-site-packages --without-pip "$out/venv"
env -u COSI_SPEC "$out/venv/bin/python" -m pip install -q \
	--no-build-isolation --no-index --disable-pip-version-check "$sdist"
echo "${sdist%/}" > "$out/sdist-dir"
