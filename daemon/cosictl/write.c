// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl delete, finalizer remove, define and undefine: the commands
 * that change the store, over the shared code in daemon/common/apply.c
 * (apply and diff are in plan.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/apply.h"
#include "common/manifest.h"
#include "common/resolve.h"
#include "cosictl/cosictl.h"

#define MSG_LEN	1024

int ctl_load_docs(struct ctl *x, size_t f, struct cosi_docs *docs)
{
	char msg[MSG_LEN];
	int err;

	err = cosi_manifest_parse(x->buf[f], x->len[f],
				  ctl_file_name(x->a->files[f]), &x->defs,
				  docs, msg, sizeof(msg));
	return err ? ctl_err("%s", msg) : EXIT_OK;
}

/*
 * Delete one resource, waiting up to @wait_ms for finalizers.  With
 * @held, a resource still held after the teardown (@wait_ms 0) sets
 * *@held and prints nothing: the caller waits for it later.
 */
static int delete_res(struct ctl *x, const char *ns, const char *type,
		      const char *id, const char *done, bool listed,
		      int wait_ms, bool *held)
{
	struct cosi_strs pending = { 0 };
	char msg[MSG_LEN], names[512] = "";
	size_t i, off = 0;
	int err;

	err = cosi_delete_resource(x->c, ns, type, id, wait_ms, &cosictl_stop,
				   &pending, msg, sizeof(msg));
	for (i = 0; i < pending.n && off < sizeof(names); i++)
		off += snprintf(names + off, sizeof(names) - off, "%s%s",
				i ? "," : "", pending.v[i]);
	cosi_strs_clear(&pending);
	/* Listed, then deleted by another meanwhile: done (kubectl). */
	if (err == -ENOENT && (x->a->ignore_not_found || listed))
		return EXIT_OK;
	if (err == -ENOENT)
		return ctl_err("%s/%s: not found in namespace %s", type, id,
			       ns);
	if (err < 0)
		return ctl_err("%s/%s: %s", type, id, msg);
	if (err == 1 && held)
		*held = true;
	else if (err == 1)
		printf("%s/%s torn down, waiting for finalizers: %s\n", type,
		       id, names);
	else
		printf("%s/%s %s\n", type, id, done);
	fflush(stdout);
	return EXIT_OK;
}

int ctl_delete_one(struct ctl *x, const char *ns, const char *type,
		   const char *id, const char *done, bool listed)
{
	return delete_res(x, ns, type, id, done, listed, x->a->wait_ms, NULL);
}

struct del_file {
	struct ctl *x;
	size_t failed;
};

/* One document of delete -f: a failure is reported and the rest go on. */
static int delete_ref(const struct cosi_ref *ref, const char *err, void *arg)
{
	struct del_file *d = arg;

	if (!ref)
		ctl_err("%s", err);
	if (!ref || ctl_delete_one(d->x, ref->ns, ref->type, ref->id,
				   "deleted", false))
		d->failed++;
	return cosictl_stop ? -EINTR : 0;
}

static int delete_file(struct ctl *x)
{
	const char *name = ctl_file_name(x->a->file);
	struct del_file d = { .x = x };
	char msg[MSG_LEN];
	int err;

	err = cosi_manifest_refs(x->buf[0], x->len[0], name, &x->defs,
				 delete_ref, &d, msg, sizeof(msg));
	if (err == -EINTR)
		return ctl_err("delete -f %s: interrupted", name);
	if (err)
		return ctl_err("%s", msg);
	return d.failed ? EXIT_FAIL : EXIT_OK;
}

/*
 * delete TYPE -l SEL | --all: every match, going on after failures.  As
 * kubectl does, all are torn down first, so that their controllers let
 * them go at once, then those still held are waited for, with one
 * --wait deadline for all (not --wait each).
 */
static int delete_set(struct ctl *x, const struct cosi_definition *def,
		      const char *ns)
{
	struct cosi_resources l = { 0 };
	size_t i, failed = 0;
	bool *held = NULL;
	long end, left;
	int err;

	err = ctl_list(x, def, ns, &l);
	if (err)
		return err;
	if (!l.n)
		fprintf(stderr, "No resources found in namespace %s.\n", ns);
	held = calloc(l.n ?: 1, sizeof(*held));
	if (!held) {
		cosi_resources_clear(&l);
		return ctl_err("out of memory");
	}
	end = ctl_now_ms() + x->a->wait_ms;
	for (i = 0; i < l.n && !cosictl_stop; i++)
		if (delete_res(x, ns, def->type, l.v[i]->id, "deleted", true,
			       0, x->a->wait_ms ? &held[i] : NULL))
			failed++;
	for (i = 0; i < l.n && !cosictl_stop; i++) {
		if (!held[i])
			continue;
		/* At least 1 ms: a deadline that passed reports a timeout. */
		left = end - ctl_now_ms();
		if (delete_res(x, ns, def->type, l.v[i]->id, "deleted", true,
			       (int)(left > 1 ? left : 1), NULL))
			failed++;
	}
	free(held);
	cosi_resources_clear(&l);
	if (cosictl_stop)
		return ctl_err("delete %s: interrupted", def->type);
	return failed ? EXIT_FAIL : EXIT_OK;
}

int cmd_delete(struct ctl *x)
{
	const struct cosi_definition *def;
	const char *ns;

	if (x->a->file)
		return delete_file(x);
	def = ctl_type(x, x->a->type);
	if (!def)
		return EXIT_FAIL;
	ns = x->a->ns ?: cosi_resolve_default_ns(def);
	if (!x->a->id)
		return delete_set(x, def, ns);
	return ctl_delete_one(x, ns, def->type, x->a->id, "deleted",
			      false);
}

int cmd_finalizer(struct ctl *x)
{
	const struct cosi_definition *def = ctl_type(x, x->a->type);
	struct cosi_strs fin = { 0 };
	struct cosi_resource *r = NULL;
	COSI_OPTS(cosi_req, req, .id = x->a->id, .finalizers = &fin);
	const char *fname = x->a->finalizer;
	int err;

	if (!def)
		return EXIT_FAIL;
	req.ns = x->a->ns ?: cosi_resolve_default_ns(def);
	req.type = def->type;
	err = cosi_resource_get(x->c, req.ns, req.type, req.id, &r);
	if (err == -ENOENT)
		return ctl_err("%s/%s: not found in namespace %s", def->type,
			       req.id, req.ns);
	if (err)
		return ctl_err("%s/%s: %s", def->type, req.id,
			       cosi_strerror(x->c, "resource-get"));
	if (!cosi_strs_has(&r->finalizers, fname)) {
		cosi_resource_free(r);
		return ctl_err("%s/%s: has no finalizer \"%s\"", def->type,
			       req.id, fname);
	}
	/* Only what was read is removed: a concurrent change is refused. */
	req.has_expected_version = true;
	req.expected_version = r->version;
	cosi_resource_free(r);
	r = NULL;
	if (cosi_strs_add(&fin, fname))
		return ctl_err("out of memory");
	fprintf(stderr, "cosictl: warning: %s/%s: removing finalizer \"%s\"; its owner controller will not clean up after it\n",
		def->type, req.id, fname);
	err = cosi_finalizer_remove(x->c, &req, &r);
	cosi_strs_clear(&fin);
	if (err)
		return ctl_err("%s/%s: removing finalizer \"%s\": %s",
			       def->type, req.id, fname,
			       cosi_strerror(x->c, "finalizer-remove"));
	printf("%s/%s finalizer \"%s\" removed\n", def->type, req.id, fname);
	cosi_resource_free(r);
	return EXIT_OK;
}

int cmd_define(struct ctl *x)
{
	struct cosi_definitions defs;
	enum cosi_apply_result res;
	char msg[MSG_LEN];
	size_t i;
	int err;

	err = cosi_manifest_parse_definitions(x->buf[0], x->len[0],
					      ctl_file_name(x->a->file),
					      &defs, msg, sizeof(msg));
	if (err)
		return ctl_err("%s", msg);
	for (i = 0; !err && i < defs.n; i++) {
		err = cosi_define(x->c, defs.v[i], &res, msg, sizeof(msg));
		if (err)
			ctl_err("%s: document %zu (%s): %s",
				ctl_file_name(x->a->file), i + 1, defs.v[i]->type,
				msg);
		else
			printf("%s %s\n", defs.v[i]->type,
			       cosi_apply_result_name(res));
	}
	cosi_definitions_clear(&defs);
	return err ? EXIT_FAIL : EXIT_OK;
}

int cmd_undefine(struct ctl *x)
{
	const struct cosi_definition *def = ctl_type(x, x->a->type);
	int err;

	if (!def)
		return EXIT_FAIL;
	err = cosi_definition_delete(x->c, def->type, NULL);
	if (err)
		return ctl_err("undefine %s: %s", def->type,
			       cosi_strerror(x->c, "definition-delete"));
	printf("%s undefined\n", def->type);
	return EXIT_OK;
}
