// SPDX-License-Identifier: GPL-2.0
/*
 * Secrets from files: checked before use, wiped after (secret.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/secret.h"

int cosi_secret_read(const char *what, const char *path, char **out,
		     char *msg, size_t len)
{
	char buf[COSI_SECRET_MAX + 3];	/* the secret, "\r\n", one more */
	ssize_t n, got = 0;
	struct stat st;
	int fd, err = 0;

	*out = NULL;
	/* Non-blocking: a FIFO is refused below, not waited on. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		snprintf(msg, len, "%s %s: %s", what, path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		snprintf(msg, len, "%s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		snprintf(msg, len, "%s %s: not a regular file", what, path);
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		err = -EPERM;
		snprintf(msg, len,
			 "%s %s: owned by uid %u, not by this user or root",
			 what, path, (unsigned int)st.st_uid);
		goto out;
	}
	if (st.st_mode & 077) {
		err = -EPERM;
		snprintf(msg, len,
			 "%s %s: readable or writable by group or others (mode %04o); chmod 600 it",
			 what, path, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	while (got < (ssize_t)sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			snprintf(msg, len, "%s %s: %s", what, path,
				 strerror(errno));
			goto out;
		}
		if (!n)
			break;
		got += n;
	}
	if (got && buf[got - 1] == '\n') {
		got--;
		if (got && buf[got - 1] == '\r')
			got--;
	}
	if (got > COSI_SECRET_MAX) {
		err = -E2BIG;
		snprintf(msg, len, "%s %s: longer than %d bytes", what, path,
			 COSI_SECRET_MAX);
	} else if (!got) {
		err = -EINVAL;
		snprintf(msg, len, "%s %s: empty", what, path);
	} else if (memchr(buf, '\0', got) || memchr(buf, '\n', got) ||
		   memchr(buf, '\r', got)) {
		err = -EINVAL;
		snprintf(msg, len,
			 "%s %s: holds a NUL byte or more than one line",
			 what, path);
	} else if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		/*
		 * No core dump and no ptrace by the user: the copies
		 * libcurl and json-c make (request buffers, printbufs)
		 * are out of our reach to wipe.
		 */
		err = -errno;
		snprintf(msg, len, "%s %s: prctl(PR_SET_DUMPABLE): %s", what,
			 path, strerror(errno));
	} else {
		*out = strndup(buf, got);
		if (!*out) {
			err = -ENOMEM;
			snprintf(msg, len, "%s %s: out of memory", what, path);
		}
	}
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return err;
}

void cosi_secret_free(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}
