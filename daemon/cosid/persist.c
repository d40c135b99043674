// SPDX-License-Identifier: GPL-2.0
/*
 * Desired configuration on disk.  The kernel keeps resources while cosid
 * restarts; the state file carries them across a reboot (or a module
 * reload).  Its first line names the store it was saved from
 * ("# cosi-store: N", cosid_store_id()).  At start, a file saved from
 * the very store cosid finds is not applied: that store is the newer
 * truth, and what it lacks was deleted while cosid was down.  Any other
 * file (another store, or no first line) is merged in: what the kernel
 * lacks is created, what it holds is left alone (it is newer than the
 * file: a "cosictl apply" at boot before cosid started), so the file's
 * content is never lost.  Afterwards the "config-saver" controller
 * rewrites it whenever a config resource changes.  It is a
 * controller like the others: weak inputs on every config type, no
 * outputs, and the runtime's de-duplication turns a burst of changes into
 * one write.
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
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "common/apply.h"
#include "common/caps.h"
#include "common/fileio.h"
#include "controllers/controllers.h"
#include "cosid/cosid.h"

static size_t config_ntypes(void)
{
	size_t n = 0;

	while (cosid_config_types[n])
		n++;
	return n;
}

/*
 * A handle for documents whose writer lacked CAP_SYS_ADMIN: its socket is
 * opened while CAP_SYS_ADMIN is out of cosid's effective set (permitted
 * keeps it, so it comes back right after; common/caps.h).  The kernel
 * checks the opener's file credentials, so what is written through it
 * records no sys-admin.  @c itself when cosid does not hold CAP_SYS_ADMIN
 * effective: its own socket is such a socket already.  NULL and errno on
 * failure.
 */
static bool caps_lost;		/* CAP_SYS_ADMIN did not come back */

static struct cosi *open_reduced(struct cosi *c)
{
	struct cosi *r;
	int err2;

	if (!cosi_caps_effective(COSI_CAP(CAP_SYS_ADMIN)))
		return c;
	r = cosi_open_reduced(COSI_CAP(CAP_SYS_ADMIN), &err2);
	if (err2) {
		/* cosid cannot do its work without it: give up. */
		fprintf(stderr, "cosid: restoring CAP_SYS_ADMIN to the effective set: %s\n",
			strerror(-err2));
		caps_lost = true;
	}
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

/*
 * A merge: what the kernel lacks comes from the file; what it holds stays
 * as it is (written since the file was, e.g. by a "cosictl apply" before
 * cosid started at boot).
 */
#define RESTORE_FLAGS	(COSI_APPLY_KEEP_GOING | COSI_APPLY_ONLY_ABSENT)

/* The state file's first line: the store it was saved from. */
#define STORE_LINE_IN	"# cosi-store: %" SCNu64 "\n"
#define STORE_LINE_OUT	"# cosi-store: %" PRIu64 "\n"

/*
 * True when @buf, a state file, was saved from the store @c talks to: its
 * first line names the store, and that store is this one.
 */
static bool saved_from_this_store(struct cosi *c, const char *buf)
{
	uint64_t saved, here;

	return sscanf(buf, STORE_LINE_IN, &saved) == 1 && saved &&
	       !cosid_store_id(c, &here) && saved == here;
}

/*
 * Apply @path, each document through the handle its writer's caps call
 * for; 1 (nothing applied) when it was saved from this very store.
 */
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
	if (saved_from_this_store(c, buf)) {
		free(buf);
		return 1;
	}
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
					       RESTORE_FLAGS,
					       cosi_apply_count, n, rmsg,
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
	err = cosi_apply_docs(c, &via[VIA_FULL], path, RESTORE_FLAGS,
			      cosi_apply_count, n, msg, len);
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


int cosid_restore(struct cosi *c, const char *path)
{
	size_t n[COSI_APPLY_RESULTS] = { 0 };
	char msg[512], bad[4096];
	int err;

	if (access(path, F_OK)) {
		fprintf(stderr, "cosid: no state file %s: starting empty\n",
			path);
		return 0;
	}
	err = restore_file(c, path, n, msg, sizeof(msg));
	if (err == 1) {
		fprintf(stderr, "cosid: %s was saved from this store: the kernel's config is newer, nothing restored\n",
			path);
		return 0;
	}
	fprintf(stderr, "cosid: restored %zu resources from %s, kept %zu as the kernel holds them\n",
		n[COSI_APPLY_CREATED], path, n[COSI_APPLY_KEPT]);
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

struct cosi_input *cosid_config_inputs(const char *ns,
				       enum cosi_input_kind kind, size_t *n)
{
	struct cosi_input *v;
	size_t i;

	*n = config_ntypes();
	v = calloc(*n, sizeof(*v));
	for (i = 0; v && i < *n; i++)
		v[i] = (struct cosi_input){
			.ns = ns, .type = cosid_config_types[i], .kind = kind,
		};
	return v;
}

struct saver {
	char *path;
	char *ns;
	struct cosi_input *inputs;
};

/* Write @path atomically, and only when its content would change. */
static int save_file(const char *path, const char *buf, size_t len)
{
	char msg[512], *old = NULL;
	size_t oldlen = 0;
	bool same;

	same = !cosi_read_file(path, &old, &oldlen, msg, sizeof(msg)) &&
	       oldlen == len && !memcmp(old, buf, len);
	free(old);
	return same ? 0 : cosi_write_atomic(path, buf, len, 0644);
}

static int saver_run(struct cosi_ctl *ctl)
{
	struct saver *s = cosi_ctl_data(ctl);
	char msg[512], *buf = NULL;
	size_t len = 0, count = 0;
	uint64_t store;
	FILE *mem;
	int err;

	mem = open_memstream(&buf, &len);
	if (!mem)
		return -errno;
	/* Before runtime-status first ran on a new store: no line. */
	if (!cosid_store_id(cosi_ctl_conn(ctl), &store))
		fprintf(mem, STORE_LINE_OUT, store);
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
	COSI_OPTS(cosi_controller, c,
		.name = "config-saver",
		.run = saver_run,
		.fini = saver_fini,
	);
	struct saver *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->path = strdup(path);
	s->ns = strdup(ns);
	s->inputs = s->ns ? cosid_config_inputs(s->ns, COSI_INPUT_WEAK,
						&c.n_inputs) : NULL;
	if (!s->path || !s->inputs) {
		saver_free(s);
		return -ENOMEM;
	}
	c.inputs = s->inputs;
	err = cosi_runtime_register(rt, &c, s, NULL);
	if (err)
		saver_free(s);
	return err;
}
