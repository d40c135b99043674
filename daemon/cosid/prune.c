// SPDX-License-Identifier: GPL-2.0
/*
 * Pruning, shared by the sources of desired configuration that own what
 * they applied by a label (--config-dir, --etcd): delete what carries the
 * source's label and is no longer desired, and destroy what a delete left
 * waiting for finalizers once they are gone.  Writes go through cosid's
 * own handle, as the applies do.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "controllers/controllers.h"
#include "cosid/cosid.h"

/* Unowned: NULL or "". */
static bool same_owner(const char *a, const char *b)
{
	return !strcmp(a ?: "", b ?: "");
}

int cosid_each_sourced(struct cosi *c, const char *ns,
		       const struct cosi_selector *sel, const char *owner,
		       const char *who,
		       int (*fn)(struct cosi *c, const struct cosi_resource *r,
				 void *arg),
		       void *arg)
{
	struct cosi_resources l;
	size_t i, k;
	int err = 0;

	for (i = 0; !err && cosid_config_types[i]; i++) {
		COSI_OPTS(cosi_list_req, q,
			.ns = ns, .type = cosid_config_types[i],
			.queries = &sel->query, .n_queries = 1,
		);

		err = cosi_resource_list(c, &q, &l);
		if (err) {
			fprintf(stderr, "cosid: %s: listing %s: %s\n", who,
				cosid_config_types[i],
				cosi_strerror(c, "resource-get"));
			return err;
		}
		for (k = 0; !err && k < l.n; k++)
			if (same_owner(l.v[k]->owner, owner))
				err = fn(c, l.v[k], arg);
		cosi_resources_clear(&l);
	}
	return err;
}

/* Destroy one that is tearing down with no finalizers left. */
static int destroy_ready(struct cosi *c, const struct cosi_resource *r,
			 void *arg)
{
	COSI_OPTS(cosi_req, req, .ns = r->ns, .type = r->type, .id = r->id);
	const char *who = arg;
	int err;

	if (r->phase != COSI_PHASE_TEARING_DOWN || r->finalizers.n)
		return 0;
	err = cosi_resource_destroy(c, &req, NULL);
	if (err && err != -ENOENT && err != -EBUSY) {
		fprintf(stderr, "cosid: %s: destroying %s/%s: %s\n", who,
			r->type, r->id, cosi_strerror(c, "resource-destroy"));
		return err;
	}
	return 0;
}

int cosid_destroy_ready(struct cosi *c, const char *ns,
			const struct cosi_selector *sel, const char *owner,
			const char *who)
{
	return cosid_each_sourced(c, ns, sel, owner, who, destroy_ready,
				  (void *)who);
}

/* Delete one that is no longer desired (teardown; destroy when ready). */
static int prune_one(struct cosi *c, const struct cosi_resource *r, void *arg)
{
	COSI_OPTS(cosi_req, req, .ns = r->ns, .type = r->type, .id = r->id);
	struct cosid_prune *p = arg;
	const char *from = p->origin ? cosi_kvs_get(&r->annotations, p->origin)
				     : NULL;
	bool ready = false;
	int err;

	if (r->phase == COSI_PHASE_TEARING_DOWN || p->wanted(r, p->arg))
		return 0;
	err = cosi_resource_teardown(c, &req, &ready, NULL);
	if (!err && ready)
		err = cosi_resource_destroy(c, &req, NULL);
	if (err == -ENOENT)
		return 0;
	if (err) {
		fprintf(stderr, "cosid: %s: deleting %s/%s: %s\n", p->who,
			r->type, r->id, cosi_strerror(c, ready ?
				"resource-destroy" : "resource-teardown"));
		p->err = p->err ?: err;	/* the sync is retried */
		return 0;		/* the others are still deleted */
	}
	fprintf(stderr, "cosid: %s: %s/%s is gone from %s: %s\n", p->who,
		r->type, r->id, from ?: p->origin_default,
		ready ? "deleted" : "deleting (waiting for finalizers)");
	if (ready)
		p->deleted++;
	else
		p->waiting++;
	return 0;
}

int cosid_prune(struct cosi *c, const char *ns,
		const struct cosi_selector *sel, struct cosid_prune *p)
{
	return cosid_each_sourced(c, ns, sel, p->owner, p->who, prune_one, p);
}
