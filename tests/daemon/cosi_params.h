/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosi.ko's module parameters, for the VM tests that need a limit lowered
 * for a while (guest-tests.sh restores them after each program anyway).
 */
#ifndef _COSI_TEST_PARAMS_H
#define _COSI_TEST_PARAMS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int set_param(const char *name, const char *v)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), "/sys/module/cosi/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, v, strlen(v));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Its value as text (malloc()ed), NULL when unreadable. */
static inline char *get_param(const char *name)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/cosi/parameters/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

#endif /* _COSI_TEST_PARAMS_H */
