// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl apply [--dry-run] [--prune -l SEL] -f FILE... and cosictl diff:
 * every file is read and checked first; then each document is planned
 * (create, update, unchanged) from one batched read (cosi_apply_docs(),
 * COSI_APPLY_DRY_RUN for the dry run and diff), and with --prune the
 * resources of the files' (namespace, type) pairs that match the selector
 * and are in none of the files are deleted, after an apply that fully
 * succeeded (kubectl apply --prune's rule).  The dry run and diff write
 * nothing.
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

/* Whether (ns, type) of document @i of file @f came earlier. */
static bool pair_seen(const struct plan *p, size_t f, size_t i)
{
	const struct cosi_doc *d = &p->docs[f].v[i], *e;
	size_t g, j;

	for (g = 0; g <= f; g++)
		for (j = 0; j < (g == f ? i : p->docs[g].n); j++) {
			e = &p->docs[g].v[j];
			if (!strcmp(d->ns, e->ns) && !strcmp(d->type, e->type))
				return true;
		}
	return false;
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
 * The resources --prune deletes: of the files' (namespace, type) pairs,
 * matching @sel, in none of the files, and not already going away.
 */
static int find_prune(struct plan *p, const struct cosi_selector *sel)
{
	struct cosi_resources l;
	const struct cosi_doc *d;
	size_t f, i, k;
	int err = 0;

	for (f = 0; !err && f < p->n_files; f++) {
		for (i = 0; !err && i < p->docs[f].n; i++) {
			struct cosi_list_req q = {
				.queries = &sel->query, .n_queries = 1,
			};

			if (pair_seen(p, f, i))
				continue;
			d = &p->docs[f].v[i];
			q.ns = d->ns;
			q.type = d->type;
			err = cosi_resource_list(p->x->c, &q, &l);
			if (err)
				return ctl_err("listing %s in %s: %s", d->type,
					       d->ns, cosi_strerror(p->x->c,
							"resource-get"));
			for (k = 0; k < l.n; k++) {
				if (!err && !in_files(p, l.v[k]) &&
				    l.v[k]->phase != COSI_PHASE_TEARING_DOWN) {
					err = keep(&p->prune, l.v[k]);
					if (!err)
						l.v[k] = NULL;
				}
				cosi_resource_free(l.v[k]);
			}
			free(l.v);
		}
	}
	return err ? ctl_err("out of memory") : EXIT_OK;
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
	int rc;

	for (p->n_files = 0; p->n_files < a->n_files; p->n_files++)
		if (ctl_load_docs(p->x, p->n_files, &p->docs[p->n_files]))
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
				    p.prune.v[f]->id, "pruned");
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
