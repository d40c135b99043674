# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""pyroute2 message classes for the cosi family, built from the generated
names and numbers (_spec.py) rather than written by hand."""
import struct

from pyroute2.netlink import NLA_F_NESTED, genlmsg, nla

from . import _spec


def _attr_name(set_name):
    return 'nest_' + set_name.replace('-', '_')


def _build(base, set_name, classes):
    """The class decoding attribute set @set_name, its nests included."""
    body = {'__slots__': ()}
    nla_map = []
    for a in _spec.ATTR_SETS[set_name]:
        if a['nla'] == 'nest':
            nested = a['nested']
            if nested not in classes:
                classes[nested] = _build(nla, nested, classes)
            body[_attr_name(nested)] = classes[nested]
            nla_map.append((a['value'], a['name'], _attr_name(nested),
                            NLA_F_NESTED))
        else:
            nla_map.append((a['value'], a['name'], a['nla']))
    body['nla_map'] = tuple(nla_map)
    return type('cosi_' + set_name.replace('-', '_'), (base,), body)


_nests = {}
#: attribute set name -> genlmsg class of messages carrying that set
MESSAGES = {}
for _op in _spec.OPS.values():
    _set = _op['attribute-set']
    if _set not in MESSAGES:
        MESSAGES[_set] = _build(genlmsg, _set, _nests)

_SET_OF_CMD = {op['value']: op['attribute-set'] for op in _spec.OPS.values()}

# struct nlmsghdr, then struct genlmsghdr's cmd.
_CMD_OFFSET = 16


def message_for(set_name):
    return MESSAGES[set_name]()


def decode_message(data, offset=0, **kwarg):
    """pyroute2 msg_map entry for the family: the class follows the cmd."""
    cmd = data[offset + _CMD_OFFSET] if len(data) > offset + _CMD_OFFSET \
        else None
    cls = MESSAGES[_SET_OF_CMD.get(cmd, 'resource')]
    return cls(data, offset=offset, **kwarg)


def done_errno(msg):
    """The error code an NLMSG_DONE carries (0 when none)."""
    if msg['header']['length'] < 20:
        return 0
    return -struct.unpack_from('i', msg.data, msg.offset + 16)[0]
