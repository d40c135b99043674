#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Drive every cosi operation with the kernel's own YNL CLI, from the spec
# alone (runs in the VM with cosi.ko loaded, from the repo top).
exec python3 "$(dirname "$0")/ynl_cli_test.py" "$@"
