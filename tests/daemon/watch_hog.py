#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold as many watches as the kernel grants on one socket, then sleep.

usage: watch_hog.py TYPE N: start up to N watches of TYPE in namespace
"hog" (no resources there, so no events to read), print
"held K, refused: MESSAGE" (or "held K") and keep them until killed.
Built on the kernel's YNL library from the spec alone.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.getcwd(), 'build/ksrc/tools/net/ynl'))
from lib import YnlFamily, NlError  # noqa: E402

SPEC = os.path.join(os.getcwd(),
                    'build/ynl-tree/Documentation/netlink/specs/cosi.yaml')
ynl = YnlFamily(SPEC)
held, why = 0, ''
for _ in range(int(sys.argv[2])):
    try:
        ynl.dump('watch', {'namespace': 'hog', 'type': sys.argv[1]})
        held += 1
    except NlError as e:
        msg = (e.nl_msg.extack or {}).get('msg')
        why = f', refused: {os.strerror(-e.nl_msg.error)}' + (f': {msg}' if msg else '')
        break
print(f'held {held}{why}', flush=True)
signal.pause()
