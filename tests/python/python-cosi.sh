#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Python package (python/) against cosi.ko: its sdist, built and
# installed with pip outside the tree by tests/python/build-venv.sh on the
# host (`make tests`), then tests/python/test_cosi.py (the client, and the
# example controller examples/controllers/python/cosi-pyfiles).  Runs in
# the VM with cosi.ko loaded, from the repo top; prints a "# Totals:" line.
top=$(pwd)
venv=$top/build/python-test/venv
if ! [ -x "$venv/bin/python" ] || ! [ -s "$top/build/python-test/sdist-dir" ]; then
	echo "python-cosi: no $venv (make tests builds it)"
	echo "# Totals: pass:0 fail:1"
	exit 1
fi
COSI_TEST_SDIST=$(cat "$top/build/python-test/sdist-dir")
export COSI_TEST_SDIST
exec "$venv/bin/python" "$top/tests/python/test_cosi.py"
