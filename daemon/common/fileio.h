/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replacing a file so that a crash leaves either the old or the new
 * content, never a mix or nothing: shared by cosid's state file and the
 * hosts controller.
 */
#ifndef _COSI_COMMON_FILEIO_H
#define _COSI_COMMON_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p of the directory of @path.  0 or a negative errno. */
int mkdir_parents(const char *path, mode_t mode);

/*
 * Replace @path with @len bytes of @buf, mode @mode: a temporary file
 * with a unique name (mkostemp) next to it, written and fsync()ed,
 * renamed over @path, then the directory fsync()ed so that the rename
 * survives a crash.  Missing parent directories are created.  On failure
 * @path is untouched and the temporary file removed.  0 or a negative
 * errno.
 */
int cosi_write_atomic(const char *path, const char *buf, size_t len,
		      mode_t mode);

#endif /* _COSI_COMMON_FILEIO_H */
