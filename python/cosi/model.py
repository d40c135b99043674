# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Python objects for resources, definitions, events and label queries,
and their conversion to and from the family's attributes.  Enum names are
the spec's (``'tearing-down'``, ``'sys-admin'``); their numbers come from
the generated _spec."""
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Sequence, Union

from . import _spec

ENUMS = _spec.ENUMS
FLAGS = _spec.FLAGS

# The spec-field attribute carrying a value of each schema field type.
_VALUE_ATTR = {'string': 'string', 'u64': 'u64', 's64': 's64',
               'bool': 'bool', 'bytes': 'bytes', 'string-list': 'strings'}


def enum_value(enum, name):
    try:
        return ENUMS[enum][name]
    except KeyError:
        raise ValueError('%s: not one of %s' %
                         (name, ', '.join(ENUMS[enum]))) from None


def enum_name(enum, value):
    for name, val in ENUMS[enum].items():
        if val == value:
            return name
    return value


def flag_names(flags, value):
    return frozenset(n for n, bit in FLAGS[flags].items() if value & bit)


@dataclass
class Field:
    """One field of a definition's schema."""
    name: str
    type: str = 'string'
    required: bool = False


@dataclass
class Column:
    """A print column: its title and the spec field it shows."""
    name: str
    field: str


@dataclass
class Definition:
    """A resource type: its schema and how it may be read and written."""
    type: str
    fields: List[Field] = field(default_factory=list)
    aliases: List[str] = field(default_factory=list)
    default_namespace: Optional[str] = None
    sensitivity: str = 'public'
    write_access: str = 'net-admin'
    columns: List[Column] = field(default_factory=list)
    revision: int = 0
    resources: int = 0

    def field_types(self):
        return {f.name: f.type for f in self.fields}


@dataclass
class Resource:
    """One version of a resource, as the kernel reported it."""
    namespace: str
    type: str
    id: str
    spec: Dict[str, object] = field(default_factory=dict)
    labels: Dict[str, str] = field(default_factory=dict)
    annotations: Dict[str, str] = field(default_factory=dict)
    version: int = 0
    owner: str = ''
    phase: str = 'running'
    finalizers: List[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    revision: int = 0
    writer_caps: FrozenSet[str] = frozenset()
    destroy_ready: Optional[bool] = None


@dataclass
class Event:
    """A watch event.  ``kind`` is created, updated, destroyed or
    bootstrapped (the watch is caught up to ``revision``; no resource).
    ``synthetic`` marks a destroyed event the client made up for a
    resource that vanished while the watch had to bootstrap again."""
    kind: str
    revision: int
    resource: Optional[Resource] = None
    old_labels: Optional[Dict[str, str]] = None
    synthetic: bool = False


@dataclass
class Term:
    """One label query term (the spec's label-op names ``op``)."""
    key: str
    op: str = 'exists'
    values: Sequence[str] = ()
    invert: bool = False


#: A label selector: {key: value} (all must equal), a list of Terms (ANDed),
#: or a list of such lists (ORed).
Selector = Union[Dict[str, str], Sequence[Term], Sequence[Sequence[Term]]]


# Encoding: Python objects -> pyroute2 attribute lists.

def _nest(attrs):
    return {'attrs': attrs}


def encode_labels(labels):
    return _nest([['label', _nest([['key', k], ['value', v]])]
                  for k, v in labels.items()])


def encode_strings(attr, items):
    return _nest([[attr, s] for s in items])


def _infer_type(value):
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, int):
        return 'u64' if value >= 0 else 's64'
    if isinstance(value, (bytes, bytearray)):
        return 'bytes'
    if isinstance(value, (list, tuple)):
        return 'string-list'
    return 'string'


def encode_spec(spec, field_types=None):
    """A spec dict as the spec nest; each field's value attribute follows
    the schema (@field_types), or the Python type of a field it lacks, for
    the kernel to judge."""
    fields = []
    for name, value in spec.items():
        ftype = (field_types or {}).get(name) or _infer_type(value)
        attr = _VALUE_ATTR[ftype]
        if ftype == 'bool':
            value = int(bool(value))
        elif ftype == 'string-list':
            value = encode_strings('item', value)
        elif ftype == 'bytes':
            value = bytes(value)
        fields.append(['field', _nest([['name', name], [attr, value]])])
    return _nest(fields)


def _terms(selector):
    if isinstance(selector, dict):
        return [[Term(k, 'equal', (v,)) for k, v in selector.items()]]
    selector = list(selector)
    if selector and isinstance(selector[0], Term):
        return [selector]
    return [list(q) for q in selector]


def encode_selector(selector):
    """label-query attributes (one per ORed query) for a Selector."""
    out = []
    for query in _terms(selector):
        terms = []
        for t in query:
            attrs = [['key', t.key], ['op', enum_value('label-op', t.op)]]
            attrs += [['value', v] for v in t.values]
            if t.invert:
                attrs.append(['invert', True])
            terms.append(['term', _nest(attrs)])
        out.append(['label-query', _nest(terms)])
    return out


def encode_definition(d):
    attrs = [['type', d.type]]
    attrs += [['alias', a] for a in d.aliases]
    if d.default_namespace:
        attrs.append(['default-namespace', d.default_namespace])
    attrs.append(['sensitivity', enum_value('sensitivity', d.sensitivity)])
    attrs.append(['write-access', enum_value('write-access',
                                             d.write_access)])
    for f in d.fields:
        fa = [['name', f.name], ['type', enum_value('field-type', f.type)]]
        if f.required:
            fa.append(['required', True])
        attrs.append(['field', _nest(fa)])
    for c in d.columns:
        attrs.append(['print-column', _nest([['name', c.name],
                                             ['field', c.field]])])
    return attrs


# Decoding: pyroute2 messages -> Python objects.

def decode_labels(nest):
    if nest is None:
        return {}
    return {lb.get_attr('key'): lb.get_attr('value') or ''
            for lb in nest.get_attrs('label')}


def _decode_value(f):
    for ftype, attr in _VALUE_ATTR.items():
        v = f.get_attr(attr)
        if v is None:
            continue
        if ftype == 'bool':
            return bool(v)
        if ftype == 'string-list':
            return list(v.get_attrs('item'))
        return v
    return None


def decode_spec(nest):
    if nest is None:
        return {}
    return {f.get_attr('name'): _decode_value(f)
            for f in nest.get_attrs('field')}


def decode_resource(msg):
    fin = msg.get_attr('finalizers')
    ready = msg.get_attr('destroy-ready')
    return Resource(
        namespace=msg.get_attr('namespace'),
        type=msg.get_attr('type'),
        id=msg.get_attr('id'),
        spec=decode_spec(msg.get_attr('spec')),
        labels=decode_labels(msg.get_attr('labels')),
        annotations=decode_labels(msg.get_attr('annotations')),
        version=msg.get_attr('version') or 0,
        owner=msg.get_attr('owner') or '',
        phase=enum_name('phase', msg.get_attr('phase') or 0),
        finalizers=list(fin.get_attrs('finalizer')) if fin else [],
        created=msg.get_attr('created') or 0,
        updated=msg.get_attr('updated') or 0,
        revision=msg.get_attr('revision') or 0,
        writer_caps=flag_names('writer-caps',
                               msg.get_attr('writer-caps') or 0),
        destroy_ready=None if ready is None else bool(ready),
    )


def decode_event(msg):
    kind = enum_name('event-kind', msg.get_attr('event'))
    rev = msg.get_attr('revision') or 0
    if kind == 'bootstrapped':
        return Event(kind, rev)
    old = msg.get_attr('old-labels')
    return Event(kind, rev, decode_resource(msg),
                 decode_labels(old) if old is not None else None)


def decode_definition(msg):
    return Definition(
        type=msg.get_attr('type'),
        aliases=list(msg.get_attrs('alias')),
        default_namespace=msg.get_attr('default-namespace'),
        sensitivity=enum_name('sensitivity', msg.get_attr('sensitivity') or 0),
        write_access=enum_name('write-access',
                               msg.get_attr('write-access') or 0),
        fields=[Field(f.get_attr('name'),
                      enum_name('field-type', f.get_attr('type')),
                      bool(f.get_attr('required')))
                for f in msg.get_attrs('field')],
        columns=[Column(c.get_attr('name'), c.get_attr('field'))
                 for c in msg.get_attrs('print-column')],
        revision=msg.get_attr('revision') or 0,
        resources=msg.get_attr('resources') or 0,
    )
