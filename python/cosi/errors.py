# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Errors: the kernel's errno and its extended-ack message, as exceptions."""
import errno
import os


class CosiError(OSError):
    """A request the kernel refused.

    ``errno`` is the kernel's error code, ``extack`` the message of its
    extended ack (None when it sent none), ``op`` the operation.
    str() is one line: "op: strerror: extack".
    """

    def __init__(self, code, op=None, extack=None):
        super().__init__(code, os.strerror(code))
        self.op = op
        self.extack = extack or None

    def __str__(self):
        parts = [self.op] if self.op else []
        parts.append(self.strerror)
        if self.extack:
            parts.append(self.extack)
        return ': '.join(parts)


class NotFound(CosiError):
    """ENOENT: no such resource, or its type is not defined."""


class AlreadyExists(CosiError):
    """EEXIST: resource-create of an existing resource."""


class Conflict(CosiError):
    """ESTALE: expected-version or expected-phase did not match."""


class OwnerConflict(CosiError):
    """EACCES: the resource belongs to another owner."""


class Busy(CosiError):
    """EBUSY: finalizers remain, resources of the type exist, the owner
    name is claimed by another socket, or the schema change is refused."""


class PermissionDenied(CosiError):
    """EPERM: the caller lacks the capability the operation needs."""


class HistoryTooShort(CosiError):
    """ENODATA: a watch's since-revision is older than the history."""


_CLASSES = {
    errno.ENOENT: NotFound,
    errno.EEXIST: AlreadyExists,
    errno.ESTALE: Conflict,
    errno.EACCES: OwnerConflict,
    errno.EBUSY: Busy,
    errno.EPERM: PermissionDenied,
    errno.ENODATA: HistoryTooShort,
}


def error(code, op=None, extack=None):
    """The CosiError (subclass) for a positive errno."""
    return _CLASSES.get(code, CosiError)(code, op, extack)
