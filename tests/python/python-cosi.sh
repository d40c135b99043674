#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Python package (python/) against cosi.ko: install it from the tree
# with pip, offline, into a throwaway venv that sees Debian's pyroute2 and
# PyYAML, then run tests/python/test_cosi.py (the client, and the example
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
COSI_SPEC="$top/Documentation/netlink/specs/cosi.yaml" \
	"$tmp/venv/bin/python" -m pip install -q --no-build-isolation \
	--no-index --disable-pip-version-check "$tmp/src"
set +e
"$tmp/venv/bin/python" "$top/tests/python/test_cosi.py"
