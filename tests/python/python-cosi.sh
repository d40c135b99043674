#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Python package (python/) against cosi.ko: build its sdist from the
# tree, install that with pip outside the tree (no COSI_SPEC: the sdist
# carries the spec), offline, into a throwaway venv that sees Debian's
# pyroute2 and PyYAML, then run tests/python/test_cosi.py (the client, and the example
# controller examples/controllers/python/cosi-pyfiles).  Runs in the VM
# with cosi.ko loaded, from the repo top; prints a "# Totals:" line.
set -e
top=$(pwd)
tmp=$(mktemp -d /tmp/python-cosi.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"	# the unprivileged checks import the package too
# pip builds in the source directory: build a copy, not the shared tree.
cp -r "$top/python" "$tmp/src"
rm -rf "$tmp/src/build" "$tmp/src"/*.egg-info
python3 -m venv --system-site-packages --without-pip "$tmp/venv"
(cd "$tmp/src" && COSI_SPEC="$top/Documentation/netlink/specs/cosi.yaml" \
	python3 setup.py -q sdist -d "$tmp/dist") >"$tmp/sdist.log" 2>&1 ||
	{ cat "$tmp/sdist.log"; exit 1; }
tar -xzf "$tmp"/dist/cosi-*.tar.gz -C "$tmp"
rm -rf "$tmp/src"
sdist=$(echo "$tmp"/cosi-*/)
env -u COSI_SPEC "$tmp/venv/bin/python" -m pip install -q \
	--no-build-isolation --no-index --disable-pip-version-check "$sdist"
export COSI_TEST_SDIST="${sdist%/}"
set +e
"$tmp/venv/bin/python" "$top/tests/python/test_cosi.py"
