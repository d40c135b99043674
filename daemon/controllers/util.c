// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the built-in controllers: registration with private
 * state, typed access to spec fields, the few file operations they need
 * (sysctl-style reads and writes; atomic replacement is in common/fileio.c).
 * libnl error codes become errnos with libcosi's cosi_nl_errno(), the one
 * mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controllers/builtin.h"

int cosid_register(struct cosi_runtime *rt, const struct cosi_controller *c,
		   void *data, void (*free_data)(void *))
{
	int err = cosi_runtime_register(rt, c, data, NULL);

	/* A failed registration leaves the data to us. */
	if (err)
		free_data(data);
	return err;
}

static const struct cosi_field *spec_field(const struct cosi_resource *r,
					   const char *name,
					   enum cosi_field_type type)
{
	const struct cosi_field *f = cosi_spec_get(&r->spec, name);

	return f && f->type == type ? f : NULL;
}

const char *spec_str(const struct cosi_resource *r, const char *name)
{
	const struct cosi_field *f = spec_field(r, name, COSI_FIELD_TYPE_STRING);

	return f ? f->str : NULL;
}

const struct cosi_strs *spec_strs(const struct cosi_resource *r,
				  const char *name)
{
	const struct cosi_field *f;

	f = spec_field(r, name, COSI_FIELD_TYPE_STRING_LIST);
	return f ? &f->strs : NULL;
}

bool spec_u64(const struct cosi_resource *r, const char *name, uint64_t *v)
{
	const struct cosi_field *f = spec_field(r, name, COSI_FIELD_TYPE_U64);

	if (f)
		*v = f->u64;
	return f;
}

bool spec_bool(const struct cosi_resource *r, const char *name, bool *v)
{
	const struct cosi_field *f = spec_field(r, name, COSI_FIELD_TYPE_BOOL);

	if (f)
		*v = f->b;
	return f;
}

int read_text(const char *path, char **out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *p;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 2) {
			cap = cap ? cap * 2 : 256;
			p = realloc(buf, cap);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int write_text(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}
