# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""The client: every operation of the cosi family, plus apply."""
import errno

from . import model
from ._conn import Connection, DumpInterrupted
from .errors import CosiError, error
from .model import Definition
from .watch import Events, Watch

# Attempts of apply (lost races) and of a list (interrupted dumps).
APPLY_RETRIES = 5
LIST_RETRIES = 5


def _key(namespace, type_, id_):
    return [['namespace', namespace], ['type', type_], ['id', id_]]


class Client:
    """A connection to cosi.ko in the caller's network namespace.

    With ``owner``, the socket claims that owner name (owner-claim): what
    it creates belongs to that controller, and only this socket may change
    or destroy it until it is closed.  Usable as a context manager.
    """

    def __init__(self, owner=None):
        self._conn = Connection()
        self.owner = None
        if owner:
            try:
                self.claim(owner)
            except CosiError:
                self.close()
                raise

    def close(self):
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # Resources.

    def get(self, namespace, type, id):  # pylint: disable=redefined-builtin
        """The resource, or NotFound."""
        return model.decode_resource(
            self._conn.do('resource-get', _key(namespace, type, id)))

    def list(self, namespace, type, labels=None, id_prefix=None):
        """The resources of (namespace, type), sorted by id, optionally
        filtered by label selector and id prefix; a consistent snapshot
        (retried when a change interrupts the dump)."""
        attrs = [['namespace', namespace], ['type', type]]
        if id_prefix:
            attrs.append(['id-prefix', id_prefix])
        if labels:
            attrs += model.encode_selector(labels)
        for _ in range(LIST_RETRIES):
            try:
                return [model.decode_resource(m)
                        for m in self._conn.dump('resource-get', attrs)]
            except DumpInterrupted:
                continue
        raise CosiError(errno.EINTR, 'resource-get',
                        'the list kept changing while it was read')

    def _write_attrs(self, namespace, type, id, spec, labels, annotations):
        attrs = _key(namespace, type, id)
        if labels is not None:
            attrs.append(['labels', model.encode_labels(labels)])
        if annotations is not None:
            attrs.append(['annotations', model.encode_labels(annotations)])
        if spec is not None:
            attrs.append(['spec', model.encode_spec(
                spec, self._field_types(type))])
        return attrs

    def _field_types(self, type):
        try:
            return self.definition(type).field_types()
        except CosiError:
            return None     # the write reports it, with the kernel's words

    def create(self, namespace, type, id, spec=None, labels=None,
               annotations=None):
        """Create a resource (owned by this socket's claim, if any)."""
        return model.decode_resource(self._conn.do(
            'resource-create', self._write_attrs(
                namespace, type, id, spec or {}, labels, annotations)))

    def update(self, namespace, type, id, spec=None, labels=None,
               annotations=None, expected_version=None,
               expected_phase=None):
        """Replace the spec, and the labels and annotations when given;
        Conflict (ESTALE) unless the resource has @expected_version."""
        attrs = self._write_attrs(namespace, type, id, spec, labels,
                                  annotations)
        if expected_version is not None:
            attrs.append(['expected-version', expected_version])
        if expected_phase is not None:
            attrs.append(['expected-phase',
                          model.enum_value('phase', expected_phase)])
        return model.decode_resource(self._conn.do('resource-update', attrs))

    def apply(self, namespace, type, id, spec=None, labels=None,
              annotations=None):
        """Make the resource what is given: create it, update it from the
        version read (retrying lost races), or leave it when it already
        matches.  Labels and annotations given replace the current ones.
        Returns (result, resource), result being "created", "updated" or
        "unchanged"."""
        for _ in range(APPLY_RETRIES):
            try:
                cur = self.get(namespace, type, id)
            except CosiError as e:
                if e.errno != errno.ENOENT:
                    raise
                try:
                    return 'created', self.create(namespace, type, id, spec,
                                                  labels, annotations)
                except CosiError as e2:
                    if e2.errno != errno.EEXIST:
                        raise
                    continue
            if cur.phase == 'tearing-down':
                raise error(errno.EBUSY, 'apply',
                            'the resource is tearing down')
            if self._matches(cur, spec, labels, annotations):
                return 'unchanged', cur
            try:
                return 'updated', self.update(
                    namespace, type, id, spec, labels, annotations,
                    expected_version=cur.version)
            except CosiError as e:
                if e.errno not in (errno.ESTALE, errno.ENOENT):
                    raise
        raise error(errno.ESTALE, 'apply',
                    'the resource kept changing (%d attempts)'
                    % APPLY_RETRIES)

    @staticmethod
    def _matches(cur, spec, labels, annotations):
        def same(a, b):
            return a == b and all(type(a[k]) is type(b[k]) for k in a)
        return ((spec is None or same(dict(spec), cur.spec)) and
                (labels is None or dict(labels) == cur.labels) and
                (annotations is None or dict(annotations) == cur.annotations))

    def teardown(self, namespace, type, id, expected_version=None):
        """Start deleting: phase tearing-down; the returned resource's
        destroy_ready says whether no finalizer holds it."""
        attrs = _key(namespace, type, id)
        if expected_version is not None:
            attrs.append(['expected-version', expected_version])
        return model.decode_resource(self._conn.do('resource-teardown',
                                                   attrs))

    def destroy(self, namespace, type, id, expected_version=None):
        """Remove the resource (Busy while finalizers remain); returns the
        revision of the removal."""
        attrs = _key(namespace, type, id)
        if expected_version is not None:
            attrs.append(['expected-version', expected_version])
        return self._conn.do('resource-destroy', attrs).get_attr('revision')

    def delete(self, namespace, type, id):
        """Tear down, and destroy when no finalizer holds the resource.
        Returns True when it is gone, False when finalizers still hold it
        (their controllers destroy it once they let go)."""
        if not self.teardown(namespace, type, id).destroy_ready:
            return False
        try:
            self.destroy(namespace, type, id)
        except CosiError as e:
            if e.errno == errno.EBUSY:
                return False        # a finalizer came back meanwhile
            if e.errno != errno.ENOENT:
                raise
        return True

    def add_finalizers(self, namespace, type, id, *names,
                       expected_version=None):
        return self._finalizers('finalizer-add', namespace, type, id, names,
                                expected_version)

    def remove_finalizers(self, namespace, type, id, *names,
                          expected_version=None):
        return self._finalizers('finalizer-remove', namespace, type, id,
                                names, expected_version)

    def _finalizers(self, op, namespace, type, id, names, expected_version):
        attrs = _key(namespace, type, id)
        attrs.append(['finalizers', model.encode_strings('finalizer',
                                                         names)])
        if expected_version is not None:
            attrs.append(['expected-version', expected_version])
        return model.decode_resource(self._conn.do(op, attrs))

    # Definitions.

    def definition(self, type):
        """The definition of a type name or alias, or NotFound."""
        return model.decode_definition(
            self._conn.do('definition-get', [['type', type]]))

    def definitions(self):
        return [model.decode_definition(m)
                for m in self._conn.dump('definition-get', [])]

    def define(self, definition: Definition):
        """Create or replace a definition; returns it as the kernel has it."""
        return model.decode_definition(self._conn.do(
            'definition-set', model.encode_definition(definition)))

    def undefine(self, type):
        """Delete a definition (Busy while resources of it exist)."""
        self._conn.do('definition-delete', [['type', type]])

    # Ownership.

    def claim(self, owner):
        """Bind the owner name to this client's socket (Busy when another
        socket holds it)."""
        self._conn.do('owner-claim', [['owner', owner]])
        self.owner = owner

    # Watches.

    def watch(self, namespace, type, id=None, labels=None, since=0,
              rcvbuf=None, backlog=None):
        """A Watch of (namespace, type[, id]) on its own socket: from
        revision @since (the events after it), else from a bootstrap."""
        return Watch(namespace, type, id=id, labels=labels, since=since,
                     rcvbuf=rcvbuf, backlog=backlog)

    def events(self, rcvbuf=None):
        """An Events monitor (the multicast group) on its own socket."""
        return Events(rcvbuf=rcvbuf)
