// SPDX-License-Identifier: GPL-2.0
/*
 * Desired configuration on disk.  The kernel keeps resources while cosid
 * restarts; the state file carries them across a reboot (or a module
 * reload).  At start, when the config namespace is empty, the file is
 * applied; afterwards the "config-saver" controller rewrites it whenever
 * a config resource changes.  It is a controller like the others: weak
 * inputs on every config type, no outputs, and the runtime's de-duplication
 * turns a burst of changes into one write.
 *
 * Each document records its spec's writer-caps, and the restore keeps
 * them: cosid writes through its own socket only the documents whose
 * writer held CAP_SYS_ADMIN, the others through a second socket opened
 * while CAP_SYS_ADMIN was out of cosid's effective set.  The kernel
 * computes writer-caps from the socket opener's credentials as well as
 * the sender's, so those get no sys-admin, and a controller that acts
 * only for a CAP_SYS_ADMIN writer (the sysctl controller outside net.*)
 * still refuses them after a reboot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

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

static int caps_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &h, data) ? -errno : 0;
}

/* Set cosid's effective CAP_SYS_ADMIN to @on, and check that it took. */
static int sys_admin_effective(bool on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	const int i = CAP_TO_INDEX(CAP_SYS_ADMIN);
	const __u32 bit = CAP_TO_MASK(CAP_SYS_ADMIN);
	int err;

	err = caps_get(d);
	if (err)
		return err;
	d[i].effective = on ? d[i].effective | bit : d[i].effective & ~bit;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	/* What is in effect, not what capset() said. */
	err = caps_get(d);
	if (err)
		return err;
	return !(d[i].effective & bit) != !on ? -EPERM : 0;
}

/*
 * A handle for documents whose writer lacked CAP_SYS_ADMIN: its socket is
 * opened while CAP_SYS_ADMIN is out of cosid's effective set (permitted
 * keeps it, so it comes back right after; cosid is single-threaded here
 * and capabilities are per thread anyway).  The kernel checks the opener's
 * file credentials, so what is written through it records no sys-admin.
 * @c itself when cosid does not hold CAP_SYS_ADMIN effective: its own
 * socket is such a socket already.  NULL and errno on failure.
 */
static bool caps_lost;		/* CAP_SYS_ADMIN did not come back */

static struct cosi *open_reduced(struct cosi *c)
{
	struct __user_cap_data_struct d[2];
	struct cosi *r;
	int err, err2;

	err = caps_get(d);
	if (err) {
		errno = -err;
		return NULL;
	}
	if (!(d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
	      CAP_TO_MASK(CAP_SYS_ADMIN)))
		return c;
	err = sys_admin_effective(false);
	if (err) {
		errno = -err;
		return NULL;
	}
	r = cosi_open();
	err = r ? 0 : -errno;
	err2 = sys_admin_effective(true);
	if (err2) {
		/* cosid cannot do its work without it: give up. */
		fprintf(stderr, "cosid: restoring CAP_SYS_ADMIN to the effective set: %s\n",
			strerror(-err2));
		cosi_close(r);
		caps_lost = true;
		errno = -err2;
		return NULL;
	}
	errno = -err;
	return r;
}

/* Which handle a document is restored through. */
enum { VIA_FULL, VIA_REDUCED, VIA_N };

static const struct cosi_definition *
find_def(const struct cosi_definitions *defs, const char *type)
{
	size_t i;

	for (i = 0; i < defs->n; i++)
		if (!strcmp(defs->v[i]->type, type))
			return defs->v[i];
	return NULL;
}

/* Name the first few documents restored without a recorded writer. */
#define UNRECORDED_NAMED	8

/*
 * Sort @docs by their recorded writer: sys-admin goes through cosid's own
 * socket, the rest through the reduced one.  A document without
 * writer-caps (an older cosid's file) goes through cosid's socket only
 * when its type's write-access is sys-admin: no one else could have
 * written it.  @via[] share @docs's contents: free only their arrays.
 */
static int split_docs(const struct cosi_docs *docs,
		      const struct cosi_definitions *defs,
		      struct cosi_docs via[VIA_N], const char *path)
{
	const struct cosi_definition *def;
	size_t i, unrecorded = 0;
	const struct cosi_doc *d;
	int k;

	for (k = 0; k < VIA_N; k++) {
		via[k].v = calloc(docs->n ?: 1, sizeof(*via[k].v));
		if (!via[k].v)
			return -ENOMEM;
	}
	for (i = 0; i < docs->n; i++) {
		d = &docs->v[i];
		if (d->has_writer_caps) {
			k = d->writer_caps & COSI_WRITER_CAPS_SYS_ADMIN ?
			    VIA_FULL : VIA_REDUCED;
		} else {
			def = find_def(defs, d->type);
			k = def && def->write_access ==
				   COSI_WRITE_ACCESS_SYS_ADMIN ?
			    VIA_FULL : VIA_REDUCED;
			if (k == VIA_REDUCED && ++unrecorded <= UNRECORDED_NAMED)
				fprintf(stderr, "cosid: %s: %s/%s/%s records no writer-caps (an older cosid's file): restored as written without CAP_SYS_ADMIN\n",
					path, d->ns, d->type, d->id);
		}
		via[k].v[via[k].n++] = *d;
	}
	if (unrecorded > UNRECORDED_NAMED)
		fprintf(stderr, "cosid: %s: and %zu more documents without writer-caps\n",
			path, unrecorded - UNRECORDED_NAMED);
	return 0;
}

/* Apply @path, each document through the handle its writer's caps call for. */
static int restore_file(struct cosi *c, const char *path, size_t *n,
			char *msg, size_t len)
{
	struct cosi_docs docs = { 0 }, via[VIA_N] = { { 0 } };
	struct cosi_definitions defs = { 0 };
	struct cosi *red = NULL;
	size_t buflen;
	char *buf = NULL, rmsg[512];
	int err, rerr = 0, k;

	err = cosi_read_file(path, &buf, &buflen, msg, len);
	if (err)
		return err;
	err = cosi_definition_list(c, &defs);
	if (err)
		snprintf(msg, len, "%s", cosi_strerror(c, "definition-get"));
	if (!err)
		err = cosi_manifest_parse(buf, buflen, path, &defs, &docs, msg,
					  len);
	if (!err)
		err = split_docs(&docs, &defs, via, path);
	if (err == -ENOMEM)
		snprintf(msg, len, "%s: out of memory", path);
	if (err)
		goto out;
	if (via[VIA_REDUCED].n) {
		red = open_reduced(c);
		if (!red) {
			rerr = -errno;
			snprintf(rmsg, sizeof(rmsg), "%zu documents not restored: cannot open a socket without CAP_SYS_ADMIN: %s",
				 via[VIA_REDUCED].n, strerror(errno));
		} else {
			rerr = cosi_apply_docs(red, &via[VIA_REDUCED], path,
					       COSI_APPLY_KEEP_GOING,
					       restored_one, n, rmsg,
					       sizeof(rmsg));
			fprintf(stderr, "cosid: %s: %zu documents of writers without CAP_SYS_ADMIN go through a socket %s\n",
				path, via[VIA_REDUCED].n, red == c ?
				"cosid's own (cosid lacks CAP_SYS_ADMIN)" :
				"opened without CAP_SYS_ADMIN");
		}
	}
	if (caps_lost) {
		/* cosid cannot do its work without it: stop here. */
		snprintf(msg, len, "cosid lost CAP_SYS_ADMIN while restoring");
		err = -EPERM;
		goto out;
	}
	err = cosi_apply_docs(c, &via[VIA_FULL], path, COSI_APPLY_KEEP_GOING,
			      restored_one, n, msg, len);
	if (rerr && !err) {
		err = rerr;
		snprintf(msg, len, "%s", rmsg);
	}
out:
	if (red && red != c)
		cosi_close(red);
	for (k = 0; k < VIA_N; k++)
		free(via[k].v);
	cosi_docs_clear(&docs);
	cosi_definitions_clear(&defs);
	free(buf);
	return err;
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
	err = restore_file(c, path, &n, msg, sizeof(msg));
	fprintf(stderr, "cosid: restored %zu resources from %s\n", n, path);
	if (!err)
		return 0;
	if (caps_lost) {
		fprintf(stderr, "cosid: %s\n", msg);
		return err;
	}
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
