#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The cosi Python package against cosi.ko (run by python-cosi.sh, with the
package installed; from the repo top, as root, in the VM).

Every operation, the errors with their errno and extack, apply, watches
(bootstrap, live, resume by revision, overflow and resume, history too
short: bootstrap again with synthetic destroyed events), agreement with
the kernel's YNL library on the spec's numbers and on the data, and the
example controller cosi-pyfiles end to end.  Prints TAP and a kselftest
"# Totals:" line; exits non-zero on failure.
"""
import errno
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from pyroute2.netlink import NETLINK_GENERIC

import cosi
from cosi import _nla, _spec, model

TOP = os.getcwd()
YNL_LIB = os.path.join(TOP, 'build/ksrc/tools/net/ynl')
YNL_SPEC = os.path.join(TOP, 'build/ynl-tree/Documentation/netlink/specs/'
                        'cosi.yaml')
CONTROLLER = os.path.join(TOP, 'examples/controllers/python/cosi-pyfiles')
PARAMS = '/sys/module/cosi/parameters'
# Extack messages name the spec field from 6.2 (NL_SET_ERR_MSG_ATTR_FMT);
# on 6.1 they point at its attribute only.
NAMED_EXTACK = tuple(int(x) for x in os.uname().release.split('.')[:2]) \
    >= (6, 2)
NS = 'py'
T = 'PyTest.cosi.dev'
FIELDS = [cosi.Field('name', 'string', True), cosi.Field('n', 'u64'),
          cosi.Field('off', 's64'), cosi.Field('up', 'bool'),
          cosi.Field('raw', 'bytes'), cosi.Field('tags', 'string-list')]


def wait_for(cond, timeout=30.0, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


class Base(unittest.TestCase):
    def setUp(self):
        self.c = cosi.Client()
        self.c.define(cosi.Definition(T, FIELDS, aliases=['pytest'],
                                      default_namespace=NS))
        for r in self.c.list(NS, T):
            if r.finalizers:
                self.c.remove_finalizers(NS, T, r.id, *r.finalizers)
            self.c.destroy(NS, T, r.id)

    def tearDown(self):
        self.c.close()

    def assertKernelError(self, cls, code, fn, *args, **kw):
        with self.assertRaises(cls) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.errno, code)
        self.assertTrue(cm.exception.extack, 'no extack message: %s'
                        % cm.exception)
        return cm.exception


class TestResources(Base):
    def test_create_get_list(self):
        spec = {'name': 'eth0', 'n': 1500, 'off': -3, 'up': True,
                'raw': b'\x00\x01\xff', 'tags': ['a', 'b']}
        r = self.c.create(NS, T, 'a', spec, labels={'app': 'web'},
                          annotations={'note': 'x y'})
        self.assertEqual((r.version, r.phase, r.owner), (1, 'running', ''))
        self.assertEqual(r.spec, spec)
        g = self.c.get(NS, T, 'a')
        self.assertEqual((g.spec, g.labels, g.annotations),
                         (spec, {'app': 'web'}, {'note': 'x y'}))
        self.assertEqual(g.revision, r.revision)
        self.assertIn('net-admin', g.writer_caps)
        self.assertGreater(g.created, 1e18)
        self.c.create(NS, T, 'b', {'name': 'x'}, labels={'app': 'db'})
        self.c.create(NS, T, 'c1', {'name': 'y'})
        self.assertEqual([x.id for x in self.c.list(NS, T)],
                         ['a', 'b', 'c1'])
        self.assertEqual([x.id for x in self.c.list(NS, T,
                                                    labels={'app': 'db'})],
                         ['b'])
        sel = [cosi.Term('app', 'in', ('web', 'db'))]
        self.assertEqual([x.id for x in self.c.list(NS, T, labels=sel)],
                         ['a', 'b'])
        sel = [cosi.Term('app', 'exists', invert=True)]
        self.assertEqual([x.id for x in self.c.list(NS, T, labels=sel)],
                         ['c1'])
        self.assertEqual([x.id for x in self.c.list(NS, T, id_prefix='c')],
                         ['c1'])

    def test_errors(self):
        self.c.create(NS, T, 'a', {'name': 'x'})
        e = self.assertKernelError(cosi.AlreadyExists, errno.EEXIST,
                                   self.c.create, NS, T, 'a', {'name': 'x'})
        self.assertTrue(str(e).startswith('resource-create: File exists: '),
                        str(e))
        self.assertKernelError(cosi.NotFound, errno.ENOENT,
                               self.c.get, NS, T, 'nope')
        self.assertKernelError(cosi.NotFound, errno.ENOENT, self.c.create,
                               NS, 'Undefined.cosi.dev', 'a', {'x': 'y'})
        e = self.assertKernelError(cosi.Conflict, errno.ESTALE,
                                   self.c.update, NS, T, 'a', {'name': 'y'},
                                   expected_version=7)
        e = self.assertKernelError(cosi.CosiError, errno.EINVAL,
                                   self.c.create, NS, T, 'b',
                                   {'name': 'x', 'bogus': 'y'})
        self.assertIn('unknown spec field', e.extack)
        if NAMED_EXTACK:
            self.assertIn(': bogus', e.extack)
        e = self.assertKernelError(cosi.CosiError, errno.EINVAL,
                                   self.c.create, NS, T, 'c', {'n': 1})
        self.assertIn('missing required spec field', e.extack)
        if NAMED_EXTACK:
            self.assertIn(': name', e.extack)
        self.assertEqual(self.c.get(NS, T, 'a').spec, {'name': 'x'})
        self.assertKernelError(cosi.Busy, errno.EBUSY, self.c.undefine, T)

    def test_apply(self):
        res, r = self.c.apply(NS, T, 'a', {'name': 'x', 'n': 1},
                              labels={'k': 'v'})
        self.assertEqual((res, r.version), ('created', 1))
        res, r = self.c.apply(NS, T, 'a', {'name': 'x', 'n': 1},
                              labels={'k': 'v'})
        self.assertEqual((res, r.version), ('unchanged', 1))
        res, r = self.c.apply(NS, T, 'a', {'name': 'x', 'n': 2})
        self.assertEqual((res, r.version, r.labels),
                         ('updated', 2, {'k': 'v'}))
        res, r = self.c.apply(NS, T, 'a', {'name': 'x', 'n': 2}, labels={})
        self.assertEqual((res, r.version, r.labels), ('updated', 3, {}))

    def test_delete_finalizers(self):
        self.c.create(NS, T, 'a', {'name': 'x'})
        r = self.c.add_finalizers(NS, T, 'a', 'f1', 'f2')
        self.assertEqual(sorted(r.finalizers), ['f1', 'f2'])
        self.assertFalse(self.c.delete(NS, T, 'a'))
        r = self.c.get(NS, T, 'a')
        self.assertEqual(r.phase, 'tearing-down')
        self.assertKernelError(cosi.Busy, errno.EBUSY,
                               self.c.destroy, NS, T, 'a')
        self.assertKernelError(cosi.Conflict, errno.ESTALE,
                               self.c.add_finalizers, NS, T, 'a', 'f3')
        with self.assertRaises(cosi.Busy):
            self.c.apply(NS, T, 'a', {'name': 'y'})
        self.c.remove_finalizers(NS, T, 'a', 'f1', 'f2')
        self.assertTrue(self.c.delete(NS, T, 'a'))
        self.assertRaises(cosi.NotFound, self.c.get, NS, T, 'a')

    def test_definitions(self):
        d = self.c.definition('PYTEST')       # by alias, any case
        self.assertEqual((d.type, d.default_namespace), (T, NS))
        self.assertEqual(d.fields, FIELDS)
        self.assertIn(T, [x.type for x in self.c.definitions()])
        self.c.create(NS, T, 'a', {'name': 'x'})
        self.assertEqual(self.c.definition(T).resources, 1)
        tmp = cosi.Definition('PyTmp.cosi.dev', [cosi.Field('x', 'u64')],
                              sensitivity='sensitive',
                              columns=[cosi.Column('X', 'x')])
        got = self.c.define(tmp)
        self.assertEqual((got.sensitivity, got.columns),
                         ('sensitive', tmp.columns))
        self.c.undefine('PyTmp.cosi.dev')
        self.assertRaises(cosi.NotFound, self.c.definition, 'PyTmp.cosi.dev')
        with self.assertRaises(ValueError):
            self.c.define(cosi.Definition('X.y', [cosi.Field('a', 'u65')]))


class TestFamily(unittest.TestCase):
    def test_built_from_sdist(self):
        """python-cosi.sh installed the sdist, built outside the tree from
        the spec it carries; the generated module names that spec."""
        sdist = os.environ['COSI_TEST_SDIST']
        with open(_spec.__file__.replace('.pyc', '.py')) as f:
            f.readline()
            self.assertEqual(f.readline(), '# Generated by gen_spec.py from '
                             '%s/cosi.yaml: do not edit.\n' % sdist)

    def test_import_from_tree(self):
        """The source tree lacks the generated module: importing it from
        there says to install the package, in one line."""
        p = subprocess.run([sys.executable, '-c', 'import sys; '
                            'sys.path.insert(0, sys.argv[1]); import cosi',
                            os.path.join(TOP, 'python')],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stderr.splitlines()[-1],
                         'ImportError: cosi: cosi/_spec.py is generated when '
                         'the package is built: install it (pip install '
                         'python/) rather than import it from the source '
                         'tree')

    def test_version_mismatch(self):
        """A package generated for another version of the family refuses
        to talk to this cosi.ko, with one clear error."""
        script = r'''
from pyroute2.netlink import NETLINK_GENERIC

import cosi
from cosi import _spec
_spec.FAMILY_VERSION += 1
try:
    cosi.Client()
    print('connected')
except cosi.CosiError as e:
    print(e.errno, e)
'''
        p = subprocess.run([sys.executable, '-c', script],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r'^%d family lookup: .*cosi.ko speaks '
                         r'version %d of the family, this package version '
                         r'%d' % (errno.EPROTO, _spec.FAMILY_VERSION,
                                  _spec.FAMILY_VERSION + 1))
        with cosi.Client() as c:
            self.assertTrue(c.definitions() is not None)


class TestOwners(Base):
    def test_claims(self):
        with cosi.Client(owner='py-ctl') as ctl:
            r = ctl.create(NS, T, 'owned', {'name': 'x'})
            self.assertEqual(r.owner, 'py-ctl')
            self.assertKernelError(cosi.OwnerConflict, errno.EACCES,
                                   self.c.update, NS, T, 'owned',
                                   {'name': 'y'})
            self.assertKernelError(cosi.OwnerConflict, errno.EACCES,
                                   self.c.destroy, NS, T, 'owned')
            self.c.create(NS, T, 'user', {'name': 'x'})
            self.assertKernelError(cosi.OwnerConflict, errno.EACCES,
                                   ctl.update, NS, T, 'user', {'name': 'y'})
            e = self.assertKernelError(cosi.Busy, errno.EBUSY,
                                       cosi.Client, owner='py-ctl')
            self.assertEqual(e.op, 'owner-claim')
            self.assertEqual(ctl.apply(NS, T, 'owned', {'name': 'z'})[0],
                             'updated')
        # The claim ended with its socket: a new one takes the name over.
        with cosi.Client(owner='py-ctl') as ctl:
            self.assertTrue(ctl.delete(NS, T, 'owned'))


class TestWatch(Base):
    def collect(self, w, until, timeout=20):
        out = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ev = w.next(timeout=1)
            if ev is None:
                continue
            out.append(ev)
            if until(ev):
                return out
        self.fail('watch: timed out; got %s'
                  % [(e.kind, e.resource and e.resource.id) for e in out])

    def updates_until(self, w, n):
        """The field n of the updated events up to the one where it is n."""
        evs = self.collect(w, lambda e: e.kind == 'updated' and
                           e.resource.spec['n'] == n)
        return [e.resource.spec['n'] for e in evs if e.kind == 'updated']

    def test_bootstrap_live_resume(self):
        self.c.create(NS, T, 'a', {'name': 'x'})
        with self.c.watch(NS, T) as w:
            evs = self.collect(w, lambda e: e.kind == 'bootstrapped')
            self.assertEqual([(e.kind, e.resource and e.resource.id)
                              for e in evs],
                             [('created', 'a'), ('bootstrapped', None)])
            self.c.create(NS, T, 'b', {'name': 'y'})
            self.c.update(NS, T, 'a', {'name': 'x2'})
            self.c.delete(NS, T, 'b')
            evs = self.collect(w, lambda e: e.kind == 'destroyed')
            self.assertEqual([(e.kind, e.resource.id) for e in evs],
                             [('created', 'b'), ('updated', 'a'),
                              ('updated', 'b'), ('destroyed', 'b')])
            self.assertEqual(evs[2].resource.phase, 'tearing-down')
            revs = [e.revision for e in evs]
            self.assertEqual(revs, sorted(revs))
            self.assertEqual(w.revision, revs[-1])
            saved = w.revision
        # Away: the changes made meanwhile, and only those, on resume.
        self.c.update(NS, T, 'a', {'name': 'x3'})
        self.c.create(NS, T, 'c', {'name': 'z'})
        with self.c.watch(NS, T, since=saved) as w:
            evs = self.collect(w, lambda e: e.kind == 'bootstrapped')
            self.assertEqual([(e.kind, e.resource and e.resource.id)
                              for e in evs],
                             [('updated', 'a'), ('created', 'c'),
                              ('bootstrapped', None)])
            self.assertEqual(evs[0].resource.spec, {'name': 'x3'})
        with self.assertRaises(cosi.CosiError) as cm:
            self.c.watch(NS, T, since=saved + 10 ** 9)
        self.assertEqual(cm.exception.errno, errno.ERANGE)

    def test_filtered(self):
        with self.c.watch(NS, T, labels={'sel': 'yes'}) as w:
            self.collect(w, lambda e: e.kind == 'bootstrapped')
            self.c.create(NS, T, 'a', {'name': 'x'}, labels={'sel': 'no'})
            self.c.update(NS, T, 'a', labels={'sel': 'yes'})
            self.c.update(NS, T, 'a', labels={'sel': 'no'})
            evs = self.collect(w, lambda e: e.kind == 'destroyed')
            self.assertEqual([e.kind for e in evs], ['created', 'destroyed'])

    def test_overflow_resumes(self):
        """A watcher that does not read overflows its socket; the Watch
        resumes from its revision and still sees every version, in order."""
        n = 300
        self.c.create(NS, T, 'a', {'name': 'v', 'n': 0})
        with self.c.watch(NS, T, rcvbuf=4096) as w:
            self.collect(w, lambda e: e.kind == 'bootstrapped')
            for i in range(1, n + 1):
                self.c.update(NS, T, 'a', {'name': 'v', 'n': i})
            self.assertEqual(self.updates_until(w, n), list(range(1, n + 1)))
            self.assertGreaterEqual(w.stats['resumes'], 1)
            self.assertEqual(w.stats['bootstraps'], 0)

    def test_forged_event_ignored(self):
        """Another CAP_NET_ADMIN process can send to the watch's port id;
        its datagram (a well-formed live event of the watch) is dropped,
        the kernel's events still arrive."""
        with self.c.watch(NS, T) as w:
            self.collect(w, lambda e: e.kind == 'bootstrapped')
            msg = _nla.message_for('resource')
            msg['cmd'] = _spec.OPS['resource-event']['value']
            msg['version'] = _spec.FAMILY_VERSION
            msg['attrs'] = [
                ['watch-id', w._watch_id],
                ['event', _spec.ENUMS['event-kind']['created']],
                ['namespace', NS], ['type', T], ['id', 'forged'],
                ['version', 1], ['revision', w.revision + 1],
                ['spec', model.encode_spec({'name': 'evil'})]]
            msg['header']['type'] = w._conn.sock.prid
            msg['header']['flags'] = 0
            msg['header']['sequence_number'] = 0
            msg.encode()
            port = w._conn.sock.getsockname()[0]
            with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                               NETLINK_GENERIC) as forger:
                forger.bind((0, 0))
                self.assertEqual(forger.sendto(msg.data, (port, 0)),
                                 len(msg.data))
            self.c.create(NS, T, 'real', {'name': 'x'})
            evs = self.collect(w, lambda e: e.resource is not None and
                               e.resource.id == 'real')
            self.assertEqual([(e.kind, e.resource.id) for e in evs],
                             [('created', 'real')])
            self.assertIsNone(w.next(timeout=0.5))

    def test_backlog_overflow_resumes(self):
        """Live events read while the watch's socket serves a request are
        kept within the backlog bound; past it they are dropped, the
        kernel's watch is stopped and the Watch resumes by revision: every
        version still arrives once, in order."""
        n, backlog = 50, 2048
        self.c.create(NS, T, 'a', {'name': 'v', 'n': 0})
        with self.c.watch(NS, T, backlog=backlog) as w:
            self.collect(w, lambda e: e.kind == 'bootstrapped')
            for i in range(1, n + 1):
                self.c.update(NS, T, 'a', {'name': 'v', 'n': i})
            # A request on the watch's socket reads the queued events.
            w._conn.dump('definition-get', [])
            self.assertTrue(w._conn.overflowed)
            kept = sum(m['header']['length'] for m in w._conn.unsolicited)
            self.assertLessEqual(kept, backlog)
            self.assertLess(len(w._conn.unsolicited), n)
            self.assertEqual(self.updates_until(w, n), list(range(1, n + 1)))
            self.assertEqual(w.stats['resumes'], 1)
            self.assertEqual(w.stats['bootstraps'], 0)
            # The stopped watch sends nothing more: one event per change.
            self.c.update(NS, T, 'a', {'name': 'v', 'n': n + 1})
            evs = self.collect(w, lambda e: e.kind == 'updated')
            # (after the resume's own bootstrapped event)
            self.assertEqual([e.resource.spec['n'] for e in evs
                              if e.kind == 'updated'], [n + 1])
            self.assertIsNone(w.next(timeout=0.5))

    def test_history_too_short(self):
        """Overflow past the history (16 events in a new netns): the Watch
        bootstraps again and reports what vanished meanwhile as destroyed."""
        script = r'''
import sys, cosi
T, NS = sys.argv[1], sys.argv[2]
c = cosi.Client()
c.define(cosi.Definition(T, [cosi.Field('name', 'string', True),
                             cosi.Field('n', 'u64')]))
c.create(NS, T, 'gone', {'name': 'x'})
c.create(NS, T, 'kept', {'name': 'x'})
w = c.watch(NS, T, rcvbuf=4096)
while w.next().kind != 'bootstrapped':
    pass
for i in range(200):
    c.update(NS, T, 'kept', {'name': 'x', 'n': i})
c.destroy(NS, T, 'gone')
for i in range(200, 240):
    c.update(NS, T, 'kept', {'name': 'x', 'n': i})
last = {}
while True:
    ev = w.next(timeout=2)
    if ev is None:
        break
    if ev.resource:
        last[ev.resource.id] = (ev.kind, ev.synthetic,
                                ev.resource.spec.get('n'))
print(sorted(last.items()), dict(w.stats))
'''
        with open(os.path.join(PARAMS, 'history_size')) as f:
            old = f.read().strip()
        with open(os.path.join(PARAMS, 'history_size'), 'w') as f:
            f.write('16')
        try:
            p = subprocess.run(['unshare', '-n', sys.executable, '-c',
                                script, T, NS], capture_output=True,
                               text=True, timeout=300)
        finally:
            with open(os.path.join(PARAMS, 'history_size'), 'w') as f:
                f.write(old)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("[('gone', ('destroyed', True, None)), "
                      "('kept', ('created', False, 239))]", p.stdout)
        self.assertIn("'bootstraps': 1", p.stdout)
        self.assertIn("'vanished': 1", p.stdout)


class TestEvents(Base):
    def test_multicast(self):
        with self.c.events() as ev:
            self.c.create(NS, T, 'a', {'name': 'x'})
            self.c.update(NS, T, 'a', {'name': 'y'})
            got = []
            while len(got) < 2:
                e = ev.next(timeout=10)
                self.assertIsNotNone(e, 'no multicast event')
                if e.resource.type == T:
                    got.append(e)
            self.assertEqual([(e.kind, e.resource.id, e.resource.spec)
                              for e in got],
                             [('created', 'a', {'name': 'x'}),
                              ('updated', 'a', {'name': 'y'})])
            self.assertIsNone(ev.next(timeout=0.2))

    def test_unprivileged(self):
        """Without CAP_NET_ADMIN: public resources can be read, not
        written, and the events group cannot be joined."""
        self.c.create(NS, T, 'a', {'name': 'x'})
        script = r'''
import cosi, sys
c = cosi.Client()
print('read', c.get(sys.argv[1], sys.argv[2], 'a').spec)
for what, fn in (('write', lambda: c.update(sys.argv[1], sys.argv[2], 'a',
                                            {'name': 'evil'})),
                 ('claim', lambda: c.claim('py-evil')),
                 ('events', cosi.Events)):
    try:
        fn()
        print(what, 'allowed')
    except cosi.PermissionDenied as e:
        print(what, 'refused', e.errno)
'''
        p = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534',
                            '--clear-groups', sys.executable, '-c', script,
                            NS, T], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), [
            "read {'name': 'x'}", 'write refused 1', 'claim refused 1',
            'events refused 1'])
        self.assertEqual(self.c.get(NS, T, 'a').spec, {'name': 'x'})


class TestYnl(Base):
    """The kernel's YNL library and this package agree on the spec."""

    def setUp(self):
        super().setUp()
        sys.path.insert(0, YNL_LIB)
        try:
            from lib import SpecFamily, YnlFamily  # pylint: disable=E0401
        finally:
            sys.path.remove(YNL_LIB)
        self.spec_family, self.ynl_family = SpecFamily, YnlFamily

    def test_numbers(self):
        y = self.spec_family(YNL_SPEC)
        for op, v in _spec.OPS.items():
            self.assertEqual(y.msgs[op].req_value, v['value'], op)
        for name, attrs in _spec.ATTR_SETS.items():
            self.assertEqual({a['name']: a['value'] for a in attrs},
                             {k: a.value for k, a in
                              y.attr_sets[name].attrs.items()}, name)
        for kind in (_spec.ENUMS, _spec.FLAGS):
            for name, entries in kind.items():
                self.assertEqual(entries, {
                    k: e.user_value() for k, e in
                    y.consts[name].entries.items()}, name)

    def test_data(self):
        self.c.create(NS, T, 'a', {'name': 'x', 'off': -5, 'up': True,
                                   'tags': ['p', 'q']}, labels={'k': 'v'})
        y = self.ynl_family(YNL_SPEC)
        r = y.do('resource-get', {'namespace': NS, 'type': T, 'id': 'a'})
        fields = {f['name']: f for f in r['spec']['field']}
        self.assertEqual((fields['name']['string'], fields['off']['s64'],
                          fields['up']['bool'],
                          fields['tags']['strings']['item']),
                         ('x', -5, 1, ['p', 'q']))
        self.assertEqual(r['labels']['label'], [{'key': 'k', 'value': 'v'}])
        y.do('resource-update', {
            'namespace': NS, 'type': T, 'id': 'a',
            'spec': {'field': [{'name': 'name', 'string': 'by-ynl'},
                               {'name': 'n', 'u64': 9}]}})
        self.assertEqual(self.c.get(NS, T, 'a').spec,
                         {'name': 'by-ynl', 'n': 9})


class TestController(unittest.TestCase):
    """examples/controllers/python/cosi-pyfiles: config in, file and status
    out; ownership refused both ways; delete through its finalizer."""
    CFG, ST = 'PyFiles.example.org', 'PyFileStatuses.example.org'
    OWNER = 'example.org/pyfiles'

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix='pyfiles.')
        self.c = cosi.Client()
        self.proc = self.start()

    def tearDown(self):
        self.stop(self.proc)
        for r in self.c.list('config', self.CFG):
            self.c.teardown('config', self.CFG, r.id)
            if r.finalizers:
                self.c.remove_finalizers('config', self.CFG, r.id,
                                         *r.finalizers)
            self.c.destroy('config', self.CFG, r.id)
        with cosi.Client(owner=self.OWNER) as ctl:
            for r in ctl.list('runtime', self.ST):
                ctl.destroy('runtime', self.ST, r.id)
        self.c.close()

    def start(self):
        return subprocess.Popen([sys.executable, CONTROLLER, '--root',
                                 self.root], stderr=subprocess.PIPE,
                                text=True)

    @staticmethod
    def stop(proc):
        """Stop it (once); its log."""
        if proc.stderr.closed:
            return ''
        if proc.poll() is None:
            proc.terminate()
        return proc.communicate(timeout=30)[1]

    def status(self, name, version=None):
        def get():
            try:
                st = self.c.get('runtime', self.ST, name)
            except cosi.NotFound:
                return None
            if version is not None and \
                    st.spec.get('config-version', 0) < version:
                return None
            return st
        return wait_for(get, 120)

    def defined(self):
        """The controller defined its types (a loaded TCG guest takes tens
        of seconds to start a Python program)."""
        self.assertTrue(wait_for(lambda: any(
            d.type == self.ST for d in self.c.definitions()), 120),
            'the controller did not define its types')

    def test_end_to_end(self):
        self.defined()
        _, cfg = self.c.apply('config', self.CFG, 'motd',
                              {'content': 'hello\n', 'mode': 0o600})
        st = self.status('motd', cfg.version)
        self.assertIsNotNone(st, 'no status')
        path = os.path.join(self.root, 'motd')
        self.assertEqual(st.owner, self.OWNER)
        self.assertEqual(st.spec['path'], path)
        self.assertEqual(st.spec['error'], '')
        self.assertEqual(st.spec['sha256'],
                         hashlib.sha256(b'hello\n').hexdigest())
        with open(path) as f:
            self.assertEqual(f.read(), 'hello\n')
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        cfg = wait_for(lambda: (lambda r: r if self.OWNER in r.finalizers
                                else None)(self.c.get('config', self.CFG,
                                                      'motd')))
        self.assertIsNotNone(cfg, 'no finalizer on the config')

        # Its outputs are its own: a user cannot overwrite or delete them...
        with self.assertRaises(cosi.OwnerConflict):
            self.c.update('runtime', self.ST, 'motd', {'error': 'forged'})
        with self.assertRaises(cosi.OwnerConflict):
            self.c.destroy('runtime', self.ST, 'motd')
        # ...nor take its name while it runs, and the controller cannot
        # write the users' configs with its claim.
        with self.assertRaises(cosi.Busy):
            cosi.Client(owner=self.OWNER)
        second = subprocess.run([sys.executable, CONTROLLER, '--root',
                                 self.root], capture_output=True, text=True,
                                timeout=120)
        self.assertEqual(second.returncode, 1)
        self.assertRegex(second.stderr, r'^cosi-pyfiles: owner example\.org/pyfiles '
                         r'is taken \(owner-claim: Device or resource busy')
        self.assertEqual(second.stderr.count('\n'), 1, second.stderr)

        # An update reaches the file; a bad name is refused in the status.
        _, cfg = self.c.apply('config', self.CFG, 'motd',
                              {'content': 'bye\n'})
        st = self.status('motd', cfg.version)
        self.assertEqual(st.spec['size'], 4)
        with open(path) as f:
            self.assertEqual(f.read(), 'bye\n')
        _, bad = self.c.apply('config', self.CFG, '.hidden',
                              {'content': 'x'})
        st = self.status('.hidden', bad.version)
        self.assertIn('refused', st.spec['error'])
        self.assertFalse(os.path.exists(os.path.join(self.root, '.hidden')))

        # Restarted: a config deleted while it was away loses its file
        # and status at the bootstrap.
        self.stop(self.proc)
        cur = self.c.get('config', self.CFG, '.hidden')
        self.c.remove_finalizers('config', self.CFG, '.hidden',
                                 *cur.finalizers)
        self.assertTrue(self.c.delete('config', self.CFG, '.hidden'))
        self.proc = self.start()
        self.assertTrue(wait_for(lambda: not any(
            s.id == '.hidden' for s in self.c.list('runtime', self.ST)), 60))

        # Delete: held by the finalizer until the file and status are gone.
        self.assertFalse(self.c.delete('config', self.CFG, 'motd'))
        self.assertTrue(wait_for(lambda: not self.c.get(
            'config', self.CFG, 'motd').finalizers, 60))
        self.assertFalse(os.path.exists(path))
        self.assertRaises(cosi.NotFound, self.c.get, 'runtime', self.ST,
                          'motd')
        self.assertTrue(self.c.delete('config', self.CFG, 'motd'))

    def test_failed_write_retried(self):
        """A status the kernel refuses (spec over max_spec_size) is logged
        and written on a later attempt, once the limit allows it."""
        self.defined()
        self.stop(self.proc)
        _, cfg = self.c.apply('config', self.CFG, 'r', {'content': 'x'})
        param = os.path.join(PARAMS, 'max_spec_size')
        with open(param) as f:
            old = f.read().strip()
        with open(param, 'w') as f:
            f.write('100')      # the config fits, its status does not
        try:
            self.proc = self.start()
            self.assertTrue(wait_for(lambda: os.path.exists(
                os.path.join(self.root, 'r')), 120))
            time.sleep(2)
            self.assertRaises(cosi.NotFound, self.c.get, 'runtime', self.ST,
                              'r')
        finally:
            with open(param, 'w') as f:
                f.write(old)
        st = self.status('r', cfg.version)
        self.assertIsNotNone(st, 'status not written after the limit rose')
        self.assertEqual(st.spec['size'], 1)
        log = self.stop(self.proc)
        self.assertRegex(log, r'cosi-pyfiles: r: resource-create: Argument '
                         r'list too long: .* \(retrying in 5s\)')


class Tap(unittest.TextTestResult):
    """TAP lines next to unittest's own report."""
    n = 0

    def _line(self, test, ok, why=''):
        Tap.n += 1
        print('%s %d %s%s' % ('ok' if ok else 'not ok', Tap.n, test.id(),
                              ' # ' + why if why else ''), flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(test, True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(test, False, 'FAIL')

    def addError(self, test, err):
        super().addError(test, err)
        self._line(test, False, 'ERROR')


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(
        sys.modules[__name__])
    if len(sys.argv) > 1:
        suite = unittest.TestSuite(
            t for s in suite for c in s for t in c
            if any(a in t.id() for a in sys.argv[1:]))
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=0,
                                  resultclass=Tap).run(suite)
    # A test failing and erring in its tearDown too is one failure.
    fails = len({t.id() for t, _ in res.failures + res.errors})
    print('# Totals: pass:%d fail:%d' % (max(res.testsRun - fails, 0),
                                         fails))
    sys.exit(1 if fails else 0)


if __name__ == '__main__':
    main()
