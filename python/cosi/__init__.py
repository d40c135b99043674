# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""cosi: Python client of cosi.ko's generic netlink family.

Pure Python on pyroute2; the family's names and numbers are generated
from its YNL spec (Documentation/netlink/specs/cosi.yaml) when the
package is built.

    import cosi
    with cosi.Client() as c:
        c.define(cosi.Definition('Notes.example.dev',
                                 [cosi.Field('text', 'string', True)]))
        result, res = c.apply('default', 'Notes.example.dev', 'a',
                              {'text': 'hello'})
        for r in c.list('default', 'Notes.example.dev'):
            print(r.id, r.version, r.spec)
        with c.watch('default', 'Notes.example.dev') as w:
            for ev in w:
                print(ev.kind, ev.revision, ev.resource)
"""
import importlib.util

if importlib.util.find_spec(__name__ + '._spec') is None:
    raise ImportError('cosi: cosi/_spec.py is generated when the package is '
                      'built: install it (pip install python/) rather than '
                      'import it from the source tree')
# pylint: disable=wrong-import-position
from .client import Client
from .errors import (AlreadyExists, Busy, Conflict, CosiError,
                     HistoryTooShort, NotFound, OwnerConflict,
                     PermissionDenied)
from .model import Column, Definition, Event, Field, Resource, Term
from .watch import Events, Watch
from . import _spec

#: the spec's constants (limits), e.g. CONSTS['id-max-len']
CONSTS = dict(_spec.CONSTS)

__all__ = ['Client', 'Watch', 'Events', 'Definition', 'Field', 'Column', 'Resource',
           'Event', 'Term', 'CosiError', 'NotFound', 'AlreadyExists',
           'Conflict', 'OwnerConflict', 'Busy', 'PermissionDenied',
           'HistoryTooShort', 'CONSTS']
