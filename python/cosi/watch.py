# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Resumable watches, as libcosi's streams (lib/cosi_stream.c).

The kernel stops every watch of a socket whose receive buffer overflowed
and reports ENOBUFS once; a Watch then delivers what was still queued
(it precedes the gap) and restarts from the last revision it delivered,
so its consumer sees every change as if nothing had happened.  Live
events that arrive while the Watch runs a request of its own are kept
aside within a bound; past it, the Watch stops its kernel watch and
resumes the same way.  When the
kernel's history no longer reaches back that far (ENODATA), it bootstraps
again and makes up "destroyed" events for the resources that vanished in
the gap, which is why it remembers the ids it has seen.
"""
import collections
import errno
import time

from . import _spec, model
from ._conn import Connection
from .errors import CosiError, error

# Consecutive overflows while resuming before giving up (as libcosi).
MAX_RESUMES = 64


class _EventSource:
    """What Watch and Events share: a Connection in _conn, closed with
    the object (or its with-block), and iteration over next()."""

    def close(self):
        self._conn.close()

    def fileno(self):
        return self._conn.fileno()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()


class Watch(_EventSource):
    """An iterator of Events of one (namespace, type[, id]) filter.

    The first events are the bootstrap (every matching resource as
    created) or, with ``since``, the changes after that revision; then a
    ``bootstrapped`` event; then live events, for as long as it is
    iterated.  ``revision`` is the last revision delivered: save it and
    pass it as ``since`` to resume after a restart.  ``next(timeout)``
    returns None when nothing came in time; ``fileno()`` is for select.
    ``stats`` counts resumes (after overflows), bootstraps (when the
    history was too short) and synthetic destroyed events.  ``backlog``
    bounds the bytes of live events kept while a request runs (default
    two receive buffers).
    """

    def __init__(self, namespace, type, id=None, labels=None, since=0,
                 rcvbuf=None, backlog=None):
        self.namespace, self.type, self.id = namespace, type, id
        self.labels = labels
        self.revision = since
        self.stats = collections.Counter()
        self._queue = collections.deque()
        self._known = set()
        self._conn = Connection(rcvbuf=rcvbuf, backlog=backlog)
        self._watch_id = None
        try:
            self._start(resume=since > 0)
        except BaseException:
            self._conn.close()
            raise

    def next(self, timeout=None):
        """The next event; None when none came within @timeout seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._queue:
            if self._conn.unsolicited:
                msgs = self._conn.take_unsolicited()
            elif self._conn.overflowed:
                self._backlog_overflowed()
                continue
            else:
                left = None if deadline is None else \
                    max(0.0, deadline - time.monotonic())
                try:
                    msgs = self._conn.recv(left)
                except OSError as e:
                    if e.errno != errno.ENOBUFS:
                        raise
                    self._overflowed()
                    continue
                if not msgs and left == 0.0:
                    return None
            for m in msgs:
                self._live(m)
        return self._queue.popleft()

    def _live(self, msg):
        if msg.get_attr('watch-id') != self._watch_id:
            return      # a straggler of a watch this socket stopped
        self._deliver(model.decode_event(msg), self._known)

    def _deliver(self, ev, ids):
        if ev.revision > self.revision:
            self.revision = ev.revision
        if ev.resource is not None:
            if ev.kind == 'destroyed':
                ids.discard(ev.resource.id)
            else:
                ids.add(ev.resource.id)
        self._queue.append(ev)

    def _overflowed(self):
        """ENOBUFS: the kernel stopped the watch.  What is still queued
        on the socket precedes the gap: deliver it, then resume (again
        when the restart overflows too)."""
        self.stats['resumes'] += 1
        for _ in range(MAX_RESUMES):
            self._drain()
            try:
                self._start(resume=True)
                return
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise
        raise CosiError(errno.ENOBUFS, 'watch',
                        'overflowed %d times in a row' % MAX_RESUMES)

    def _backlog_overflowed(self):
        """Live events were dropped while a request ran; the kernel's watch
        still runs, and what it has queued since follows the gap: stop it
        (its stragglers are then ignored by watch id) and resume from the
        last revision delivered, as after an ENOBUFS."""
        self._conn.overflowed = False
        self.stats['resumes'] += 1
        old, self._watch_id = self._watch_id, None
        if old is not None:
            try:
                self._conn.do('watch-stop', [['watch-id', old]])
            except OSError as e:
                # ENOBUFS: the kernel stopped it (every watch of the
                # socket) already.
                if e.errno not in (errno.ENOBUFS, errno.ENOENT):
                    raise
        self._conn.take_unsolicited()   # the stopped watch's, after the gap
        self._conn.overflowed = False
        self._start(resume=True)

    def _drain(self):
        while True:
            try:
                msgs = self._conn.recv(0)
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    continue
                raise
            if not msgs:
                return
            for m in msgs:
                self._live(m)

    def _request(self, resume):
        attrs = [['namespace', self.namespace], ['type', self.type]]
        if self.id is not None:
            attrs.append(['id', self.id])
        if self.labels:
            attrs += model.encode_selector(self.labels)
        if resume:
            attrs.append(['since-revision', self.revision])
        else:
            attrs.append(['bootstrap', True])
        return attrs

    def _start(self, resume):
        """(Re)start the watch: from self.revision when @resume, else (or
        when the history no longer reaches back) by bootstrapping."""
        self._watch_id = None
        if resume:
            try:
                self._dump(self._request(True), self._known)
                return
            except CosiError as e:
                if e.errno != errno.ENODATA:
                    raise
        fresh = set()
        try:
            self._dump(self._request(False), fresh)
        except BaseException:
            # Half a bootstrap: what it saw is present as well.
            self._known |= fresh
            raise
        if resume:
            self.stats['bootstraps'] += 1
        for gone in sorted(self._known - fresh):
            self.stats['vanished'] += 1
            self._queue.append(model.Event(
                'destroyed', self.revision,
                model.Resource(self.namespace, self.type, gone,
                               revision=self.revision),
                synthetic=True))
        self._known = fresh

    def _dump(self, attrs, ids):
        for m in self._conn.dump('watch', attrs):
            self._watch_id = m.get_attr('watch-id')
            self._deliver(model.decode_event(m), ids)


class Events(_EventSource):
    """Every resource event of the network namespace, from the family's
    multicast group ``events`` (joining it needs CAP_NET_ADMIN over the
    netns; specs of sensitive types are left out).  A monitor: no
    bootstrap, no resume; when its receive buffer overflows, netlink
    drops events and next() raises CosiError(ENOBUFS).  Use a Watch to
    follow state."""

    def __init__(self, rcvbuf=None):
        self._conn = Connection(rcvbuf=rcvbuf)
        self._pending = collections.deque()
        try:
            self._conn.sock.add_membership(_spec.MCAST_GROUPS[0])
        except OSError as e:
            self._conn.close()
            raise error(e.errno, 'join events') from None

    def next(self, timeout=None):
        """The next event; None when none came within @timeout seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else \
                max(0.0, deadline - time.monotonic())
            try:
                msgs = self._conn.recv(left)
            except OSError as e:
                raise error(e.errno, 'events',
                            'events were lost') from None
            for m in msgs:
                if m['cmd'] == _spec.OPS['resource-event']['value']:
                    self._pending.append(m)
            if self._pending:
                return model.decode_event(self._pending.popleft())
            if left == 0.0:
                return None
