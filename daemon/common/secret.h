/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A secret (the etcd password) read from a file, never from the command
 * line, where every user can read it in /proc/PID/cmdline.  One reader
 * for cosid and cosictl.
 */
#ifndef _COSI_COMMON_SECRET_H
#define _COSI_COMMON_SECRET_H

#include <stddef.h>

/* The longest secret taken (etcd's own limit on a password is lower). */
#define COSI_SECRET_MAX	1024

/*
 * Read the secret in @path: a regular file (symlinks followed), owned by
 * this user or root (another owner could change it), readable by its
 * owner only (no group or other permission bits: `chmod 600`), of
 * 1..COSI_SECRET_MAX bytes; one trailing "\n" (or "\r\n") is not part of
 * it, a NUL byte, a "\r" or a second line is refused.  On success *@out
 * is the secret (free it with cosi_secret_free()) and the process is no
 * longer dumpable (PR_SET_DUMPABLE 0: no core file, no ptrace by its
 * user, /proc/PID/environ and mem closed to it), since copies of the
 * secret made by libraries cannot be wiped.  Otherwise a negative errno
 * and a one-line @msg naming @what (the option) and @path.
 */
int cosi_secret_read(const char *what, const char *path, char **out,
		     char *msg, size_t len);

/* Wipe and free a secret from cosi_secret_read(); NULL is allowed. */
void cosi_secret_free(char *secret);

#endif /* _COSI_COMMON_SECRET_H */
