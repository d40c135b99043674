# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""One generic netlink socket to the cosi family: requests and their
replies (through pyroute2's family lookup and message codec), with
unsolicited messages (live watch events) kept aside in arrival order.

Only the kernel's datagrams are read: another process holding
CAP_NET_ADMIN can send to our port id, and must not pass for the kernel.
The messages kept aside are bounded like the socket they were read from
(a watch must not pin memory the kernel's ENOBUFS would have refused):
past the bound they are dropped and ``overflowed`` is set, which the
reader treats as an ENOBUFS."""
import collections
import errno
import os
import select
import socket
import time

from pyroute2.netlink import (NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR,
                              NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR)
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.generic import GenericNetlinkSocket

from . import _nla, _spec
from .errors import CosiError, error

# Every reply and event fits in 32 KiB (the family's min_dump_alloc); a
# bigger buffer, and MSG_TRUNC to tell if that ever stops being true.
_RECV_SIZE = 1 << 17
# Unsolicited messages kept while a request runs: this many receive
# buffers' worth (the socket's own bound) before it counts as an overflow.
BACKLOG_RCVBUFS = 2


class DumpInterrupted(Exception):
    """A dump saw NLM_F_DUMP_INTR: the collection changed meanwhile."""


class _Socket(GenericNetlinkSocket):
    """Keeps the family's description from the lookup bind() makes."""
    family = None

    def discovery(self, proto):
        self.family = super().discovery(proto)
        return self.family


class Connection:
    def __init__(self, rcvbuf=None, backlog=None):
        """@backlog: bytes of unsolicited messages kept while a request
        runs (default BACKLOG_RCVBUFS receive buffers)."""
        kw = {'ext_ack': True}
        if rcvbuf:
            kw['rcvbuf'] = rcvbuf
        self.sock = _Socket(**kw)
        # Our CosiError says it; not pyroute2's log lines too.
        self.sock.module_err_level = 'debug'
        try:
            self.sock.bind(_spec.FAMILY_NAME, _nla.decode_message)
        except NetlinkError as e:
            self.sock.close()
            raise error(e.code, 'family lookup',
                        'is cosi.ko loaded?' if e.code == errno.ENOENT
                        else None) from None
        version = self.sock.family.get_attr('CTRL_ATTR_VERSION')
        if version != _spec.FAMILY_VERSION:
            self.sock.close()
            raise CosiError(errno.EPROTO, 'family lookup',
                            'cosi.ko speaks version %s of the family, this '
                            'package version %d: install the package built '
                            'with this cosi.ko' % (version,
                                                   _spec.FAMILY_VERSION))
        self.unsolicited = collections.deque()
        self.overflowed = False
        self._backlog = 0
        self._backlog_max = backlog or BACKLOG_RCVBUFS * self.sock.getsockopt(
            socket.SOL_SOCKET, socket.SO_RCVBUF)
        self._seq = 0
        self._buf = bytearray(_RECV_SIZE)

    def close(self):
        self.sock.close()

    def fileno(self):
        return self.sock.fileno()

    def recv(self, timeout=None):
        """The messages of the kernel's next datagram ([] on timeout);
        OSError(ENOBUFS) when the kernel reported an overflow."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if deadline is not None:
                left = max(0.0, deadline - time.monotonic())
                r, _, _ = select.select([self.sock.fileno()], [], [], left)
                if not r:
                    return []
            n, (sender, _) = self.sock.recvfrom_into(self._buf, 0,
                                                     socket.MSG_TRUNC)
            if sender != 0:
                continue        # not the kernel: forged
            if n > len(self._buf):
                raise CosiError(errno.EMSGSIZE, 'recv', 'a message longer '
                                'than %d bytes' % len(self._buf))
            return self.sock.marshal.parse(bytes(self._buf[:n]))

    def _keep(self, msg):
        """Keep a live event for its reader, within the backlog bound."""
        size = msg['header']['length']
        if self.overflowed or self._backlog + size > self._backlog_max:
            self.overflowed = True
            return
        self._backlog += size
        self.unsolicited.append(msg)

    def take_unsolicited(self):
        """The live events kept so far, oldest first; ``overflowed`` tells
        whether some were dropped after them (reset by the caller)."""
        msgs = list(self.unsolicited)
        self.unsolicited.clear()
        self._backlog = 0
        return msgs

    def send(self, op, attrs, dump=False):
        """Send a request; returns its sequence number."""
        spec_op = _spec.OPS[op]
        msg = _nla.message_for(spec_op['attribute-set'])
        msg['cmd'] = spec_op['value']
        msg['version'] = _spec.FAMILY_VERSION
        msg['attrs'] = attrs
        self._seq = self._seq % 0x7fffffff + 1
        msg['header']['type'] = self.sock.prid
        msg['header']['flags'] = NLM_F_REQUEST | NLM_F_ACK | \
            (NLM_F_DUMP if dump else 0)
        msg['header']['sequence_number'] = self._seq
        msg['header']['pid'] = 0
        msg.encode()
        self.sock.sendto(msg.data, (0, 0))
        return self._seq

    def replies(self, op, seq):
        """Yield the replies to request @seq until its ack or the end of
        its dump; raise CosiError for an error, DumpInterrupted at the end
        of a dump the kernel flagged inconsistent."""
        intr = False
        while True:
            for m in self.recv():
                hdr = m['header']
                if hdr['sequence_number'] != seq:
                    # Live events (seq 0) wait for their reader; what is
                    # left of an abandoned request is dropped.
                    if hdr['sequence_number'] == 0:
                        self._keep(m)
                    continue
                err = hdr.get('error')
                if isinstance(err, NetlinkError) and err.code:
                    # pyroute2 puts strerror() where the extack is absent
                    msg = err.args[1]
                    raise error(err.code, op,
                                None if msg == os.strerror(err.code) else msg)
                if err is not None and not isinstance(err, NetlinkError):
                    raise CosiError(errno.EBADMSG, op, str(err))
                if hdr['type'] == NLMSG_DONE:
                    code = _nla.done_errno(m) if err is None else 0
                    if code:
                        raise error(code, op)
                    if intr:
                        raise DumpInterrupted()
                    return
                if hdr['type'] == NLMSG_ERROR:
                    return
                if hdr['flags'] & NLM_F_DUMP_INTR:
                    intr = True
                yield m

    def do(self, op, attrs):
        """A do request: its reply message, or None for an ack only."""
        out = None
        for m in self.replies(op, self.send(op, attrs)):
            out = m
        return out

    def dump(self, op, attrs):
        return list(self.replies(op, self.send(op, attrs, dump=True)))

