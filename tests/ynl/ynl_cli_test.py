#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Every cosi op through the kernel's YNL library (tools/net/ynl/lib) and
its CLI (tools/net/ynl/cli.py) from the YNL spec, nothing else.

The ops run in one process through the library: under TCG each Python
start costs seconds, and the CLI is a thin wrapper over the same library.
The CLI itself runs a do (checking the spec against the genetlink schema),
a dump and a refused request (exit status and message), and its output must
equal the library's.

Prints TAP and a kselftest "# Totals:" line; exits non-zero on failure.
"""
import json
import os
import subprocess
import sys
import time

TOP = os.getcwd()
YNL_DIR = os.path.join(TOP, 'build/ksrc/tools/net/ynl')
CLI = os.path.join(YNL_DIR, 'cli.py')
SPEC = os.path.join(TOP, 'build/ynl-tree/Documentation/netlink/specs/cosi.yaml')
sys.path.insert(0, YNL_DIR)
from lib import YnlFamily, NlError  # noqa: E402  (the kernel tree's YNL)

results = []
# The spec is checked against the genetlink schema once, by the CLI below.
family = YnlFamily(SPEC, '')


def ynl(*args, req=None, fam=None):
    """Run --do OP or --dump OP through the library, on @fam's socket
    (default: the shared one): (0, reply, '') or (1, None, the error as
    the CLI prints it)."""
    mode, op = args[0], args[1]
    fam = fam or family
    try:
        if mode == '--do':
            return 0, fam.do(op, req or {}), ''
        return 0, fam.dump(op, req or {}), ''
    except NlError as e:
        return 1, None, str(e)


def own_socket(*args, req=None):
    """ynl() on a socket of its own, closed after: an owner claim and a
    watch belong to the socket that made them (as to a CLI process)."""
    fam = YnlFamily(SPEC, '')
    try:
        return ynl(*args, req=req, fam=fam)
    finally:
        fam.sock.close()


def cli(*args, req=None):
    """The CLI itself: (exit status, its JSON output or None, stdout+stderr)."""
    cmd = [sys.executable, CLI, '--spec', SPEC, '--output-json', *args]
    if req is not None:
        cmd += ['--json', json.dumps(req)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    out = p.stdout.strip()
    if p.returncode == 0 and out:
        return 0, json.loads(out), ''
    return p.returncode, None, p.stdout + p.stderr


def check(name, cond, detail=''):
    results.append(bool(cond))
    print(('ok' if cond else 'not ok') + f' {len(results)} {name}')
    if not cond and detail:
        print('# ' + str(detail).replace('\n', '\n# '))


# A compact dump entry's absent attributes and their defaults.
COMPACT_DEFAULTS = {'owner': '', 'phase': 'running', 'labels': None,
                    'annotations': None, 'finalizers': None}


def compact_dump(key):
    """A compact dump is the full dump less namespace, type and defaults.

    Called with eth0 tearing down (a finalizer, labels, annotations) and lo
    bare: both kinds of attribute are seen present and absent.
    """
    rc, full, err = ynl('--dump', 'resource-get', req=key)
    rc2, comp, err2 = ynl('--dump', 'resource-get', req={**key, 'compact': True})
    check('compact dump', rc == 0 and rc2 == 0 and len(full) == len(comp) == 2,
          f'{err} {err2}')
    for f, c in zip(full, comp):
        absent = set(f) - set(c)
        bad = [k for k in absent - {'namespace', 'type'}
               if k not in COMPACT_DEFAULTS or
               f[k] != COMPACT_DEFAULTS[k] and (COMPACT_DEFAULTS[k] is not None
                                                or f[k])]
        check(f'compact dump {f["id"]}: no namespace, type or non-default left out',
              {'namespace', 'type'} <= absent and not bad and
              all(c[k] == f[k] for k in c), f'{f} {c} {bad}')
    bare = {e['id']: e for e in comp}
    check('compact dump: a bare resource carries no defaults',
          not set(COMPACT_DEFAULTS) & set(bare['lo'])
          and 'writer-caps' in bare['lo'], bare['lo'])
    check('compact dump: values not at default are kept',
          bare['eth0']['phase'] == 'tearing-down' and
          bare['eth0']['finalizers']['finalizer'] == ['ctl'] and
          bare['eth0']['labels']['label'][0]['key'] == 'role', bare['eth0'])


def main():
    t = 'Ynl.cli.test'
    key = {'namespace': 'ynl', 'type': t}
    fields = [{'name': 'mtu', 'type': 'u64', 'required': True},
              {'name': 'offset', 'type': 's64'},
              {'name': 'up', 'type': 'bool'},
              {'name': 'name', 'type': 'string'},
              {'name': 'mac', 'type': 'bytes'},
              {'name': 'tags', 'type': 'string-list'}]
    rc, d, err = ynl('--do', 'definition-set', req={
        'type': t, 'alias': ['yct'], 'default-namespace': 'ynl',
        'sensitivity': 'public', 'field': fields,
        'print-column': [{'name': 'MTU', 'field': 'mtu'}]})
    check('definition-set', rc == 0 and d['type'] == t and len(d['field']) == 6, err)
    rc, d, err = ynl('--do', 'definition-get', req={'type': 'YCT'})
    check('definition-get by alias', rc == 0 and d['type'] == t
          and d['print-column'][0]['field'] == 'mtu', err)
    rc, d, err = ynl('--dump', 'definition-get')
    check('definition-get dump', rc == 0 and any(x['type'] == t for x in d), err)

    spec = {'field': [{'name': 'mtu', 'u64': 1500}, {'name': 'offset', 's64': -3},
                      {'name': 'up', 'bool': 1}, {'name': 'name', 'string': 'eth0'},
                      {'name': 'mac', 'bytes': '0a0b0c'},
                      {'name': 'tags', 'strings': {'item': ['a', 'b']}}]}
    rc, c, err = ynl('--do', 'resource-create', req={
        **key, 'id': 'eth0', 'spec': spec,
        'labels': {'label': [{'key': 'role', 'value': 'uplink'}]},
        'annotations': {'label': [{'key': 'note', 'value': 'x'}]}})
    check('resource-create', rc == 0 and c['version'] == 1 and c['phase'] == 'running'
          and len(c['spec']['field']) == 6, err)
    rc, g, err = ynl('--do', 'resource-get', req={**key, 'id': 'eth0'})
    check('resource-get', rc == 0 and g['revision'] == c['revision']
          and g['spec']['field'][1]['s64'] == -3, err)
    ynl('--do', 'resource-create', req={**key, 'id': 'lo', 'spec': {
        'field': [{'name': 'mtu', 'u64': 65536}]}})
    rc, ls, err = ynl('--dump', 'resource-get', req={**key, 'id-prefix': 'et'})
    check('resource-get dump id-prefix', rc == 0 and [x['id'] for x in ls] == ['eth0'], err)
    rc, ls, err = ynl('--dump', 'resource-get', req={**key, 'label-query': [
        {'term': [{'key': 'role', 'op': 'exists', 'invert': True}]}]})
    check('resource-get dump label-query', rc == 0 and [x['id'] for x in ls] == ['lo'], err)

    upd = {**key, 'id': 'eth0', 'expected-version': 1,
           'spec': {'field': [{'name': 'mtu', 'u64': 9000}]}}
    rc, u, err = ynl('--do', 'resource-update', req=upd)
    check('resource-update', rc == 0 and u['version'] == 2
          and u['revision'] > c['revision'], err)
    upd['expected-version'] = 2
    rc, u2, err = ynl('--do', 'resource-update', req=upd)
    check('resource-update no-op', rc == 0 and u2['version'] == 2
          and u2['revision'] == u['revision'], err)
    rc, _, err = ynl('--do', 'resource-update', req={**upd, 'expected-version': 1})
    check('resource-update version conflict', rc != 0 and 'Stale' in err, err)
    rc, a, err = ynl('--do', 'resource-update', req={
        **upd, 'ack-only': True,
        'spec': {'field': [{'name': 'mtu', 'u64': 9001}]}})
    check('resource-update ack-only: version and revision only', rc == 0
          and a == {'version': 3, 'revision': a.get('revision')}
          and a['revision'] > u['revision'], f'{err} {a}')
    rc, _, err = ynl('--do', 'resource-get', req={
        **key, 'id': 'eth0', 'ack-only': True})
    check('resource-get refuses ack-only', rc != 0, err)

    # quiet: nothing on success; the ack YNL asks for (NLM_F_ACK) ends the
    # request.  Through the CLI once: no reply to print, no hang.
    qspec = {'field': [{'name': 'mtu', 'u64': 1}]}
    qkey = {**key, 'id': 'quiet0'}
    rc, q, err = cli('--do', 'resource-create',
                     req={**qkey, 'quiet': True, 'spec': qspec})
    check('cli resource-create quiet: the ack only', rc == 0 and q is None,
          f'{err} {q}')
    rc, g, err = ynl('--do', 'resource-get', req=qkey)
    check('quiet create took effect', rc == 0 and g['version'] == 1, err)
    rc, q, err = ynl('--do', 'resource-update', req={
        **qkey, 'quiet': True, 'spec': {'field': [{'name': 'mtu', 'u64': 2}]}})
    rc2, g2, err2 = ynl('--do', 'resource-get', req=qkey)
    check('resource-update quiet', rc == 0 and q is None and rc2 == 0
          and g2['version'] == 2 and g2['revision'] > g['revision'],
          f'{err} {err2} {q}')
    rc, _, err = ynl('--do', 'resource-create',
                     req={**qkey, 'quiet': True, 'spec': qspec})
    check('quiet create failure answered', rc != 0 and 'exists' in err, err)
    rc, _, err = ynl('--do', 'resource-update', req={
        **qkey, 'quiet': True, 'ack-only': True, 'spec': qspec})
    check('quiet with ack-only refused', rc != 0 and 'quiet' in err, err)
    rc, q, err = ynl('--do', 'resource-destroy', req={**qkey, 'quiet': True})
    rc2, _, err2 = ynl('--do', 'resource-get', req=qkey)
    check('resource-destroy quiet', rc == 0 and q is None and rc2 != 0,
          f'{err} {q}')
    rc, _, err = ynl('--do', 'resource-create', req={**key, 'id': 'bad', 'spec': {
        'field': [{'name': 'mtu', 'string': 'x'}]}})
    # 6.1 has no formatted extack: the offset still names the attribute.
    named = 'mtu' in err or (os.uname().release.startswith('6.1.')
                             and "'bad-attr': '.spec.field" in err)
    check('schema violation names the field', rc != 0 and named, err)

    fin = {**key, 'id': 'eth0', 'finalizers': {'finalizer': ['ctl']}}
    rc, f, err = ynl('--do', 'finalizer-add', req=fin)
    check('finalizer-add', rc == 0 and f['finalizers']['finalizer'] == ['ctl'], err)
    rc, td, err = ynl('--do', 'resource-teardown', req={**key, 'id': 'eth0'})
    check('resource-teardown', rc == 0 and td['phase'] == 'tearing-down'
          and td['destroy-ready'] == 0, err)
    compact_dump(key)
    rc, _, err = ynl('--do', 'resource-destroy', req={**key, 'id': 'eth0'})
    check('resource-destroy refused with finalizers', rc != 0 and 'busy' in err, err)
    rc, f, err = ynl('--do', 'finalizer-remove', req=fin)
    check('finalizer-remove', rc == 0 and not f['finalizers'], err)
    rc, dd, err = ynl('--do', 'resource-destroy', req={**key, 'id': 'eth0'})
    check('resource-destroy', rc == 0 and dd['revision'] > f['revision'], err)

    rc, _, err = own_socket('--do', 'owner-claim', req={'owner': 'ynl-test'})
    check('owner-claim', rc == 0, err)

    rc, ev, err = own_socket('--dump', 'watch', req={**key, 'bootstrap': True})
    check('watch bootstrap', rc == 0 and [e['event'] for e in ev] == ['created', 'bootstrapped']
          and ev[0]['id'] == 'lo', err)
    rc, ev, err = own_socket('--dump', 'watch', req={**key, 'since-revision': c['revision']})
    check('watch resume', rc == 0 and ev[-1]['event'] == 'bootstrapped'
          and 'destroyed' in [e['event'] for e in ev], err)
    rc, _, err = ynl('--do', 'watch-stop', req={'watch-id': 12345})
    check('watch-stop unknown id', rc != 0 and 'No such file' in err, err)

    # A listener on the events group (its own socket) sees a change made
    # through another socket.
    listener = YnlFamily(SPEC, '')
    listener.ntf_subscribe('events')
    rc, u, err = ynl('--do', 'resource-update', req={**key, 'id': 'lo', 'spec': {
        'field': [{'name': 'mtu', 'u64': 1280}]}})
    seen = []
    deadline = time.monotonic() + 30
    while rc == 0 and time.monotonic() < deadline and not seen:
        listener.check_ntf()
        seen = [m for m in listener.async_msg_queue
                if m['name'] == 'resource-event' and m['msg'].get('id') == 'lo'
                and m['msg'].get('event') == 'updated']
        time.sleep(0.1)
    check('subscribe events', seen and seen[0]['msg']['revision'] == u['revision'],
          err or listener.async_msg_queue)

    # The CLI: a do that validates the spec against the schema, a dump, and
    # a refused request, each as the library saw it.
    rc, d, err = cli('--do', 'definition-get', req={'type': t})
    rc2, d2, _ = ynl('--do', 'definition-get', req={'type': t})
    check('cli: definition-get (spec checked against the schema) = library',
          rc == 0 and rc2 == 0 and d == json.loads(json.dumps(d2)), err)
    rc, ls, err = cli('--dump', 'resource-get', req=key)
    rc2, ls2, _ = ynl('--dump', 'resource-get', req=key)
    check('cli: resource-get dump = library', rc == 0 and rc2 == 0
          and [x['id'] for x in ls] == [x['id'] for x in ls2] == ['lo']
          and ls[0]['revision'] == ls2[0]['revision'], err)
    rc, _, err = cli('--do', 'resource-update', req={**key, 'id': 'lo', 'expected-version': 1,
                                                      'spec': {'field': [{'name': 'mtu', 'u64': 1}]}})
    check('cli: a stale update exits 1 with the extack message', rc == 1 and 'Stale' in err, err)

    ynl('--do', 'resource-destroy', req={**key, 'id': 'lo'})
    rc, d, err = ynl('--do', 'definition-delete', req={'type': t})
    check('definition-delete', rc == 0 and d['type'] == t, err)

    passed = sum(results)
    failed = len(results) - passed
    print(f'# Totals: pass:{passed} fail:{failed} xfail:0 xpass:0 skip:0 error:0')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
