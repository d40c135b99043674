// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl apply [--dry-run] [--prune -l SEL] -f FILE... and cosictl diff:
 * every file is read and checked first; then each document is planned
 * (create, update, unchanged) from one batched read (cosi_apply_docs(),
 * COSI_APPLY_DRY_RUN for the dry run and diff).  Every document is
 * stamped with the annotation cosi.dev/applied-by=cosictl, and with
 * --prune the stamped resources of the files' namespaces, of any type,
 * that match the selector and are in none of the files are deleted, after
 * an apply that fully succeeded (kubectl apply --prune's rule).  The dry
 * run and diff write nothing.
 *
 * diff prints per document "Type/id: create|update|unchanged" and
 * per pruned resource "Type/id: delete (prune)", then one "-"/"+" line per
 * spec field, label or annotation that differs (values as JSON); it exits
 * 0 when nothing would change, 1 when something would, 2 on error (kubectl
 * diff).  apply --dry-run prints what apply prints, "(dry run)" appended,
 * with the same field lines under updates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/apply.h"
#include "cosictl/diff.h"
#include "common/selector.h"
#include "cosictl/cosictl.h"

#define MSG_LEN	1024

struct plan {
	struct ctl *x;
	struct cosi_docs docs[COSICTL_MAX_FILES];
	size_t n_files;
	struct cosi_resources prune;	/* what --prune deletes */
	bool diff;			/* cosictl diff */
	bool changes;			/* something would change */
	int err;			/* printing failed (ENOMEM) */
};

static void report(const struct cosi_doc *d, enum cosi_apply_result res,
		   const struct cosi_resource *r, void *arg)
{
	(void)r;
	(void)arg;
	printf("%s/%s %s\n", d->type, d->id, cosi_apply_result_name(res));
	fflush(stdout);
}

static const char *verb(enum cosi_apply_result res)
{
	switch (res) {
	case COSI_APPLY_CREATED:
		return "create";
	case COSI_APPLY_UPDATED:
		return "update";
	default:
		return "unchanged";
	}
}

/* One planned document (COSI_APPLY_DRY_RUN): @r is it as it is now. */
static void show(const struct cosi_doc *d, enum cosi_apply_result res,
		 const struct cosi_resource *r, void *arg)
{
	struct plan *p = arg;
	int err = 0;

	if (res != COSI_APPLY_UNCHANGED)
		p->changes = true;
	if (p->diff) {
		printf("%s/%s: %s\n", d->type, d->id, verb(res));
		if (res != COSI_APPLY_UNCHANGED)
			err = cosi_diff_fields(stdout, d, r);
	} else {
		printf("%s/%s %s%s\n", d->type, d->id,
		       cosi_apply_result_name(res),
		       res == COSI_APPLY_UNCHANGED ? "" : " (dry run)");
		if (res == COSI_APPLY_UPDATED)
			err = cosi_diff_fields(stdout, d, r);
	}
	if (err && !p->err)
		p->err = err;
}

static bool in_files(const struct plan *p, const struct cosi_resource *r)
{
	const struct cosi_doc *d;
	size_t f, i;

	for (f = 0; f < p->n_files; f++)
		for (i = 0; i < p->docs[f].n; i++) {
			d = &p->docs[f].v[i];
			if (!strcmp(d->ns, r->ns) &&
			    !strcmp(d->type, r->type) && !strcmp(d->id, r->id))
				return true;
		}
	return false;
}

/* Whether the namespace of document @i of file @f came earlier. */
static bool ns_seen(const struct plan *p, size_t f, size_t i)
{
	const struct cosi_doc *d = &p->docs[f].v[i];
	size_t g, j;

	for (g = 0; g <= f; g++)
		for (j = 0; j < (g == f ? i : p->docs[g].n); j++)
			if (!strcmp(d->ns, p->docs[g].v[j].ns))
				return true;
	return false;
}

/*
 * What --prune may delete: applied by cosictl (its annotation), never
 * what cosid --config-dir manages, and not already going away.
 */
static bool prunable(const struct plan *p, const struct cosi_resource *r)
{
	const char *by = cosi_kvs_get(&r->annotations, COSI_APPLIED_BY);
	const char *src = cosi_kvs_get(&r->labels, COSI_SOURCE_LABEL);

	return by && !strcmp(by, COSI_APPLIED_BY_CTL) &&
	       !(src && !strcmp(src, COSI_SOURCE_CONFIG_DIR)) &&
	       r->phase != COSI_PHASE_TEARING_DOWN && !in_files(p, r);
}

static int keep(struct cosi_resources *l, struct cosi_resource *r)
{
	struct cosi_resource **v;

	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->v[l->n++] = r;
	return 0;
}

/*
 * The resources --prune deletes, as kubectl apply --prune: in the files'
 * namespaces, of every type the kernel has (not only the files' types,
 * so that removing the last document of a type prunes its resources),
 * matching @sel, applied by cosictl and in none of the files.
 */
static int find_prune(struct plan *p, const struct cosi_selector *sel)
{
	const struct cosi_definitions *defs = &p->x->defs;
	struct cosi_resources l;
	const char *ns;
	size_t f, i, t, k;
	int err = 0;

	for (f = 0; !err && f < p->n_files; f++) {
		for (i = 0; !err && i < p->docs[f].n; i++) {
			if (ns_seen(p, f, i))
				continue;
			ns = p->docs[f].v[i].ns;
			for (t = 0; !err && t < defs->n; t++) {
				COSI_OPTS(cosi_list_req, q,
					.ns = ns, .type = defs->v[t]->type,
					.queries = &sel->query, .n_queries = 1,
				);

				err = cosi_resource_list(p->x->c, &q, &l);
				if (err)
					return ctl_err("--prune: listing %s in %s: %s",
						       q.type, ns,
						       cosi_strerror(p->x->c,
							"resource-get"));
				for (k = 0; k < l.n; k++) {
					if (!err && prunable(p, l.v[k])) {
						err = keep(&p->prune, l.v[k]);
						if (!err)
							l.v[k] = NULL;
					}
					cosi_resource_free(l.v[k]);
				}
				free(l.v);
			}
		}
	}
	return err ? ctl_err("out of memory") : EXIT_OK;
}

/*
 * Stamp every document as cosictl's (COSI_APPLIED_BY); a document that
 * claims another applier is refused.
 */
static int stamp(struct plan *p, size_t f)
{
	struct cosi_doc *d;
	const char *by;
	size_t i;

	for (i = 0; i < p->docs[f].n; i++) {
		d = &p->docs[f].v[i];
		by = cosi_kvs_get(&d->annotations, COSI_APPLIED_BY);
		if (by && strcmp(by, COSI_APPLIED_BY_CTL))
			return ctl_err("%s: document %zu (%s/%s): annotation %s is cosictl's, not \"%s\"",
				       ctl_file_name(p->x->a->files[f]), i + 1,
				       d->type, d->id, COSI_APPLIED_BY, by);
		if (!by && cosi_kvs_add(&d->annotations, COSI_APPLIED_BY,
					COSI_APPLIED_BY_CTL))
			return ctl_err("out of memory");
	}
	return EXIT_OK;
}

static void plan_clear(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n_files; i++)
		cosi_docs_clear(&p->docs[i]);
	cosi_resources_clear(&p->prune);
}

/* Read every file, then what --prune would delete. */
static int plan_load(struct plan *p)
{
	const struct cosictl_args *a = p->x->a;
	struct cosi_selector sel;
	char msg[MSG_LEN];
	size_t f;
	int rc;

	for (p->n_files = 0; p->n_files < a->n_files; p->n_files++)
		if (ctl_load_docs(p->x, p->n_files, &p->docs[p->n_files]))
			return EXIT_FAIL;
	for (f = 0; f < p->n_files; f++)
		if (stamp(p, f))
			return EXIT_FAIL;
	if (!a->prune)
		return EXIT_OK;
	if (cosi_selector_parse(a->selector, &sel, msg, sizeof(msg))) {
		ctl_err("-l: %s", msg);
		return EXIT_USAGE;
	}
	rc = find_prune(p, &sel);
	cosi_selector_clear(&sel);
	return rc;
}

/* The dry run and diff: plan every file, show what is pruned. */
static int plan_show(struct plan *p)
{
	const struct cosi_resource *r;
	char msg[MSG_LEN];
	size_t f;
	int err;

	for (f = 0; f < p->n_files; f++) {
		err = cosi_apply_docs(p->x->c, &p->docs[f],
				      ctl_file_name(p->x->a->files[f]),
				      COSI_APPLY_DRY_RUN, show, p, msg,
				      sizeof(msg));
		if (err)
			return ctl_err("%s", msg);
	}
	for (f = 0; f < p->prune.n; f++) {
		r = p->prune.v[f];
		p->changes = true;
		if (p->diff) {
			printf("%s/%s: delete (prune)\n", r->type, r->id);
			if (!p->err)
				p->err = cosi_diff_fields(stdout, NULL, r);
		} else {
			printf("%s/%s pruned (dry run)\n", r->type, r->id);
		}
	}
	return p->err ? ctl_err("out of memory") : EXIT_OK;
}

int cmd_apply(struct ctl *x)
{
	struct plan p = { .x = x };
	char msg[MSG_LEN];
	int rc;
	size_t f;

	rc = plan_load(&p);
	if (!rc && x->a->dry_run) {
		rc = plan_show(&p);
		goto out;
	}
	for (f = 0; !rc && f < p.n_files; f++)
		if (cosi_apply_docs(x->c, &p.docs[f],
				    ctl_file_name(x->a->files[f]), 0, report,
				    NULL, msg, sizeof(msg))) {
			rc = ctl_err("%s%s", msg, x->a->prune ?
				     " (nothing pruned)" : "");
		}
	for (f = 0; !rc && f < p.prune.n; f++)
		rc = ctl_delete_one(x, p.prune.v[f]->ns, p.prune.v[f]->type,
				    p.prune.v[f]->id, "pruned", true);
out:
	plan_clear(&p);
	return rc;
}

int cmd_diff(struct ctl *x)
{
	struct plan p = { .x = x, .diff = true };
	int rc;

	rc = plan_load(&p);
	if (!rc)
		rc = plan_show(&p);
	plan_clear(&p);
	if (rc)
		return EXIT_DIFF_ERROR;
	return p.changes ? EXIT_DIFF_FOUND : EXIT_OK;
}
