// SPDX-License-Identifier: GPL-2.0
/*
 * Desired configuration on disk.  The kernel keeps resources while cosid
 * restarts; the state file carries them across a reboot (or a module
 * reload).  At start, when the config namespace is empty, the file is
 * applied; afterwards the "config-saver" controller rewrites it whenever
 * a config resource changes.  It is a controller like the others: weak
 * inputs on every config type, no outputs, and the runtime's de-duplication
 * turns a burst of changes into one write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/apply.h"
#include "controllers/controllers.h"
#include "cosid/cosid.h"

static size_t config_ntypes(void)
{
	size_t n = 0;

	while (cosid_config_types[n])
		n++;
	return n;
}

/* True when no resource of a config type exists in @ns. */
static int config_empty(struct cosi *c, const char *ns)
{
	struct cosi_resources l = { 0 };
	size_t i;
	int err;

	for (i = 0; cosid_config_types[i]; i++) {
		struct cosi_list_req q = {
			.ns = ns, .type = cosid_config_types[i],
		};

		err = cosi_resource_list(c, &q, &l);
		if (err)
			return err;
		err = l.n ? 0 : 1;
		cosi_resources_clear(&l);
		if (!err)
			return 0;
	}
	return 1;
}

static void restored_one(const struct cosi_doc *d, enum cosi_apply_result res,
			 const struct cosi_resource *r, void *arg)
{
	size_t *n = arg;

	(void)d;
	(void)r;
	if (res != COSI_APPLY_UNCHANGED)
		(*n)++;
}

int cosid_restore(struct cosi *c, const char *path, const char *ns)
{
	char msg[512], bad[4096];
	size_t n = 0;
	int err;

	if (access(path, F_OK)) {
		fprintf(stderr, "cosid: no state file %s: starting empty\n",
			path);
		return 0;
	}
	err = config_empty(c, ns);
	if (err < 0) {
		fprintf(stderr, "cosid: listing config: %s\n",
			cosi_strerror(c, "resource-get"));
		return err;
	}
	if (!err) {
		fprintf(stderr, "cosid: the kernel holds the configuration; %s not applied\n",
			path);
		return 0;
	}
	err = cosi_apply_file(c, path, COSI_APPLY_KEEP_GOING, restored_one,
			      &n, msg, sizeof(msg));
	fprintf(stderr, "cosid: restored %zu resources from %s\n", n, path);
	if (!err)
		return 0;
	/* Keep what could not be applied: the saver will rewrite @path. */
	snprintf(bad, sizeof(bad), "%s.rejected-%ld", path, (long)time(NULL));
	fprintf(stderr, "cosid: %s; kept the file as %s\n", msg, bad);
	if (rename(path, bad))
		fprintf(stderr, "cosid: rename %s: %s\n", path, strerror(errno));
	return 0;
}

struct saver {
	char *path;
	char *ns;
	struct cosi_input *inputs;
};

/* Write @path atomically, and only when its content would change. */
static int save_file(const char *path, const char *buf, size_t len)
{
	char tmp[4096], *old = NULL;
	size_t oldlen = 0;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (f) {
		old = malloc(len + 1);
		if (old)
			oldlen = fread(old, 1, len + 1, f);
		fclose(f);
		if (old && oldlen == len && !memcmp(old, buf, len)) {
			free(old);
			return 0;
		}
		free(old);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len || fflush(f) || fsync(fileno(f)))
		err = -errno ?: -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int saver_run(struct cosi_ctl *ctl)
{
	struct saver *s = cosi_ctl_data(ctl);
	char msg[512], *buf = NULL;
	size_t len = 0, count = 0;
	FILE *mem;
	int err;

	mem = open_memstream(&buf, &len);
	if (!mem)
		return -errno;
	err = cosi_save_resources(cosi_ctl_conn(ctl), mem, s->ns,
				  cosid_config_types, config_ntypes(), &count,
				  msg, sizeof(msg));
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (!err)
		err = save_file(s->path, buf, len);
	if (err)
		cosi_ctl_log(ctl, "saving %s: %s", s->path,
			     err == -ENOMEM || err == -EPERM ? msg : strerror(-err));
	free(buf);
	return err;
}

static void saver_free(struct saver *s)
{
	free(s->path);
	free(s->ns);
	free(s->inputs);
	free(s);
}

static void saver_fini(struct cosi_ctl *ctl)
{
	saver_free(cosi_ctl_data(ctl));
}

int cosid_register_saver(struct cosi_runtime *rt, const char *path,
			 const char *ns)
{
	struct cosi_controller c = {
		.name = "config-saver",
		.run = saver_run,
		.fini = saver_fini,
	};
	size_t i, n = config_ntypes();
	struct saver *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->path = strdup(path);
	s->ns = strdup(ns);
	s->inputs = calloc(n, sizeof(*s->inputs));
	if (!s->path || !s->ns || !s->inputs) {
		saver_free(s);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		s->inputs[i] = (struct cosi_input){
			.ns = s->ns, .type = cosid_config_types[i],
			.kind = COSI_INPUT_WEAK,
		};
	c.inputs = s->inputs;
	c.n_inputs = n;
	err = cosi_runtime_register(rt, &c, s, NULL);
	if (err)
		saver_free(s);
	return err;
}
