#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unload cosi.ko while a client holds a live watch and an owner claim.

The kernel must free everything (the VM runner fails on any leak or
WARN), the stale socket must not crash anything, and a reloaded module
must serve the same client process again.  Run by tests/vm/guest-tests.sh
last, since it reloads the module.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.getcwd(), 'build/ksrc/tools/net/ynl'))
from lib import YnlFamily, NlError  # noqa: E402

SPEC = os.path.join(os.getcwd(), 'build/ynl-tree/Documentation/netlink/specs/cosi.yaml')
KO = sys.argv[1]
results = []


def check(name, cond, detail=''):
    results.append(bool(cond))
    print(('ok' if cond else 'not ok') + f' {len(results)} {name}')
    if not cond and detail:
        print(f'# {detail}')


key = {'namespace': 'u', 'type': 'Unload.test'}
ynl = YnlFamily(SPEC)
ynl.do('definition-set', {'type': key['type'], 'field': [{'name': 'n', 'type': 'u64'}]})
ynl.do('owner-claim', {'owner': 'unloader'})
ynl.do('resource-create', {**key, 'id': 'a'})
watcher = YnlFamily(SPEC)
ev = watcher.dump('watch', {**key, 'bootstrap': True})
check('watch live before unload', ev[-1]['event'] == 'bootstrapped')

rc = subprocess.run(['rmmod', 'cosi']).returncode
check('rmmod with a live watch and a claim', rc == 0)
try:
    ynl.do('resource-get', {**key, 'id': 'a'})
    check('requests fail cleanly while unloaded', False)
except NlError as e:  # the family is gone: ENOENT
    check('requests fail cleanly while unloaded', e.nl_msg.error == -2, e)

rc = subprocess.run(['insmod', KO]).returncode
check('reload', rc == 0)
# YnlFamily caches family ids per process: talk to the new one from a
# fresh process, as a restarted client would.
cli = [sys.executable, os.path.join(os.getcwd(), 'build/ksrc/tools/net/ynl/cli.py'),
       '--spec', SPEC, '--output-json']
subprocess.run(cli + ['--do', 'definition-set', '--json',
                      json.dumps({'type': key['type']})], check=False)
out = subprocess.run(cli + ['--do', 'resource-create', '--json',
                            json.dumps({**key, 'id': 'b'})],
                     capture_output=True, text=True).stdout
r = json.loads(out) if out.strip() else {}
check('store is fresh after reload', r.get('revision') == 2 and r.get('version') == 1, out)
passed = sum(results)
print(f'# Totals: pass:{passed} fail:{len(results) - passed} xfail:0 xpass:0 skip:0 error:0')
sys.exit(0 if passed == len(results) else 1)
