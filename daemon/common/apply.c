// SPDX-License-Identifier: GPL-2.0
/*
 * Apply (create or update only what differs), delete (teardown, wait for
 * finalizers, destroy), define, and save: the write side shared by
 * cosictl and the daemon.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/apply.h"
#include "common/render.h"
#include "common/resolve.h"

#define APPLY_RETRIES	5

const char *cosi_apply_result_name(enum cosi_apply_result res)
{
	switch (res) {
	case COSI_APPLY_CREATED:
		return "created";
	case COSI_APPLY_UPDATED:
		return "updated";
	case COSI_APPLY_UNCHANGED:
		return "unchanged";
	case COSI_APPLY_KEPT:
		return "kept";
	}
	return "?";
}

void cosi_apply_count(const struct cosi_doc *d, enum cosi_apply_result res,
		      const struct cosi_resource *r, void *arg)
{
	size_t *n = arg;

	(void)d;
	(void)r;
	n[res]++;
}

static int kerr(struct cosi *c, int err, const char *op, char *msg,
		size_t len)
{
	snprintf(msg, len, "%s", cosi_strerror(c, op));
	return err;
}

static bool doc_matches(const struct cosi_doc *d,
			const struct cosi_resource *r)
{
	return cosi_kvs_equal(&d->labels, &r->labels) &&
	       cosi_kvs_equal(&d->annotations, &r->annotations) &&
	       (!d->has_spec || (r->has_spec &&
				 cosi_spec_equal(&d->spec, &r->spec)));
}

/* One attempt; -EAGAIN: lost a race, try again. */
static int apply_once(struct cosi *c, const struct cosi_doc *d,
		      enum cosi_apply_result *res, struct cosi_resource **out,
		      char *msg, size_t len)
{
	COSI_OPTS(cosi_req, req,
		.ns = d->ns, .type = d->type, .id = d->id,
		.labels = &d->labels, .annotations = &d->annotations,
		.spec = d->has_spec ? &d->spec : NULL,
	);
	struct cosi_resource *r = NULL;
	struct cosi_spec empty = { 0 };
	int err;

	err = cosi_resource_get(c, d->ns, d->type, d->id, &r);
	if (err == -ENOENT) {
		if (!req.spec)
			req.spec = &empty;
		err = cosi_resource_create(c, &req, out);
		if (err == -EEXIST)
			return -EAGAIN;
		*res = COSI_APPLY_CREATED;
		return err ? kerr(c, err, "resource-create", msg, len) : 0;
	}
	if (err)
		return kerr(c, err, "resource-get", msg, len);
	if (r->phase == COSI_PHASE_TEARING_DOWN) {
		cosi_resource_free(r);
		snprintf(msg, len, "the resource is tearing down");
		return -EBUSY;
	}
	if (doc_matches(d, r)) {
		*res = COSI_APPLY_UNCHANGED;
		*out = r;
		return 0;
	}
	req.has_expected_version = true;
	req.expected_version = r->version;
	cosi_resource_free(r);
	err = cosi_resource_update(c, &req, out);
	if (err == -ESTALE || err == -ENOENT)
		return -EAGAIN;
	*res = COSI_APPLY_UPDATED;
	return err ? kerr(c, err, "resource-update", msg, len) : 0;
}

int cosi_apply_doc(struct cosi *c, const struct cosi_doc *d,
		   enum cosi_apply_result *res, struct cosi_resource **out,
		   char *msg, size_t len)
{
	struct cosi_resource *r = NULL;
	int err = -EAGAIN, i;

	for (i = 0; err == -EAGAIN && i < APPLY_RETRIES; i++)
		err = apply_once(c, d, res, &r, msg, len);
	if (err == -EAGAIN) {
		snprintf(msg, len, "%s", cosi_strerror(c, "resource-update"));
		err = -ESTALE;
	}
	if (out && !err)
		*out = r;
	else
		cosi_resource_free(r);
	return err;
}

/* What a batched apply does with each document. */
enum apply_plan {
	PLAN_FAILED,
	PLAN_UNCHANGED,
	PLAN_KEPT,
	PLAN_CREATE,
	PLAN_UPDATE,
};

struct apply_batch {
	struct cosi_batch_op *gets;
	struct cosi_batch_op *writes;
	enum apply_plan *plan;
	size_t *write_of;		/* document -> its write */
	size_t n_writes;
	int first;			/* first error, by document order */
};

static void apply_fail(struct apply_batch *b, const struct cosi_doc *d,
		       const char *name, int err, const char *why, char *msg,
		       size_t len)
{
	if (b->first)
		return;
	snprintf(msg, len, "%s%sdocument %zu (%s/%s): %s",
		 name ? name : "", name ? ": " : "", d->index, d->type, d->id,
		 why);
	b->first = err;
}

static struct nl_msg *apply_write_msg(struct cosi *c, const struct cosi_doc *d,
				      const struct cosi_resource *cur)
{
	static const struct cosi_spec empty;
	COSI_OPTS(cosi_req, req,
		.ns = d->ns, .type = d->type, .id = d->id,
		.labels = &d->labels, .annotations = &d->annotations,
		.spec = d->has_spec ? &d->spec : NULL,
	);

	if (!cur) {
		if (!req.spec)
			req.spec = &empty;
		return cosi_req_msg(c, COSI_CMD_RESOURCE_CREATE, &req);
	}
	req.has_expected_version = true;
	req.expected_version = cur->version;
	return cosi_req_msg(c, COSI_CMD_RESOURCE_UPDATE, &req);
}

/* Read every document's resource in one batch and decide what to do. */
static int apply_plan(struct cosi *c, const struct cosi_docs *docs,
		      const char *name, unsigned int flags,
		      struct apply_batch *b, char *msg, size_t len)
{
	const struct cosi_batch_op *g;
	const struct cosi_doc *d;
	char why[512];
	size_t i;
	int err;

	for (i = 0; i < docs->n; i++) {
		COSI_OPTS(cosi_req, key,
			.ns = docs->v[i].ns, .type = docs->v[i].type,
			.id = docs->v[i].id,
		);

		b->gets[i].msg = cosi_req_msg(c, COSI_CMD_RESOURCE_GET, &key);
	}
	err = cosi_batch(c, b->gets, docs->n);
	if (err)
		return kerr(c, err, "resource-get", msg, len);
	for (i = 0; i < docs->n; i++) {
		d = &docs->v[i];
		g = &b->gets[i];
		b->plan[i] = PLAN_FAILED;
		if (g->res && (flags & COSI_APPLY_ONLY_ABSENT)) {
			b->plan[i] = PLAN_KEPT;
			continue;
		}
		if (g->err.err && g->err.err != ENOENT) {
			cosi_err_format(&g->err, "resource-get", why,
					sizeof(why));
			apply_fail(b, d, name, -g->err.err, why, msg, len);
			continue;
		}
		if (g->res && g->res->phase == COSI_PHASE_TEARING_DOWN) {
			apply_fail(b, d, name, -EBUSY,
				   "the resource is tearing down", msg, len);
			continue;
		}
		if (g->res && doc_matches(d, g->res)) {
			b->plan[i] = PLAN_UNCHANGED;
			continue;
		}
		b->plan[i] = g->res ? PLAN_UPDATE : PLAN_CREATE;
		if (flags & COSI_APPLY_DRY_RUN)
			continue;
		b->write_of[i] = b->n_writes;
		b->writes[b->n_writes++].msg = apply_write_msg(c, d, g->res);
	}
	return 0;
}

static const enum cosi_apply_result plan_result[] = {
	[PLAN_UNCHANGED] = COSI_APPLY_UNCHANGED,
	[PLAN_KEPT] = COSI_APPLY_KEPT,
	[PLAN_CREATE] = COSI_APPLY_CREATED,
	[PLAN_UPDATE] = COSI_APPLY_UPDATED,
};

/*
 * A manifest costs two batches: the reads, then the writes of what
 * differs.  A document that lost a race (created, changed or destroyed
 * by someone else in between) goes through cosi_apply_doc() and its
 * retries.  Without COSI_APPLY_KEEP_GOING, a problem found while reading
 * stops the apply before anything is written.
 */
int cosi_apply_docs(struct cosi *c, const struct cosi_docs *docs,
		    const char *name, unsigned int flags, cosi_apply_fn fn,
		    void *arg, char *msg, size_t len)
{
	struct apply_batch b = { 0 };
	const struct cosi_batch_op *w;
	enum cosi_apply_result res;
	struct cosi_resource *r;
	const struct cosi_doc *d;
	size_t i, n = docs->n;
	char why[512];
	int err;

	if (!n)
		return 0;
	b.gets = calloc(n, sizeof(*b.gets));
	b.writes = calloc(n, sizeof(*b.writes));
	b.plan = calloc(n, sizeof(*b.plan));
	b.write_of = calloc(n, sizeof(*b.write_of));
	if (!b.gets || !b.writes || !b.plan || !b.write_of) {
		snprintf(msg, len, "out of memory");
		b.first = -ENOMEM;
		goto out;
	}
	err = apply_plan(c, docs, name, flags, &b, msg, len);
	if (err) {
		b.first = err;
		goto out;
	}
	if (b.first && !(flags & COSI_APPLY_KEEP_GOING))
		goto out;
	if (flags & COSI_APPLY_DRY_RUN) {
		for (i = 0; fn && i < n; i++)
			if (b.plan[i] != PLAN_FAILED)
				fn(&docs->v[i], plan_result[b.plan[i]],
				   b.gets[i].res, arg);
		goto out;
	}
	err = b.n_writes ? cosi_batch(c, b.writes, b.n_writes) : 0;
	if (err) {
		b.first = kerr(c, err, "resource-update", msg, len);
		goto out;
	}
	for (i = 0; i < n; i++) {
		d = &docs->v[i];
		if (b.plan[i] == PLAN_FAILED)
			continue;
		res = plan_result[b.plan[i]];
		if (b.plan[i] == PLAN_UNCHANGED || b.plan[i] == PLAN_KEPT) {
			if (fn)
				fn(d, res, b.gets[i].res, arg);
			continue;
		}
		w = &b.writes[b.write_of[i]];
		switch (w->err.err) {
		case 0:
			if (fn)
				fn(d, res, w->res, arg);
			continue;
		case EEXIST:
			if (flags & COSI_APPLY_ONLY_ABSENT) {
				/* Created by someone else meanwhile. */
				err = cosi_resource_get(c, d->ns, d->type,
							d->id, &r);
				if (!err && fn)
					fn(d, COSI_APPLY_KEPT, r, arg);
				if (!err) {
					cosi_resource_free(r);
					break;
				}
				snprintf(why, sizeof(why), "%s",
					 cosi_strerror(c, "resource-get"));
				break;
			}
			/* fall through */
		case ESTALE:
		case ENOENT:	/* raced: the careful path */
			err = cosi_apply_doc(c, d, &res, &r, why, sizeof(why));
			if (!err && fn)
				fn(d, res, r, arg);
			if (!err)
				cosi_resource_free(r);
			break;
		default:
			err = -w->err.err;
			cosi_err_format(&w->err, b.plan[i] == PLAN_CREATE ?
					"resource-create" : "resource-update",
					why, sizeof(why));
		}
		if (err)
			apply_fail(&b, d, name, err, why, msg, len);
	}
out:
	for (i = 0; i < n && b.gets; i++)
		cosi_resource_free(b.gets[i].res);
	for (i = 0; i < b.n_writes; i++)
		cosi_resource_free(b.writes[i].res);
	free(b.gets);
	free(b.writes);
	free(b.plan);
	free(b.write_of);
	return b.first;
}

int cosi_apply_buffer(struct cosi *c, const char *buf, size_t buflen,
		      const char *name, unsigned int flags, cosi_apply_fn fn,
		      void *arg, char *msg, size_t len)
{
	struct cosi_definitions defs;
	struct cosi_docs docs;
	int err;

	err = cosi_definition_list(c, &defs);
	if (err)
		return kerr(c, err, "definition-get", msg, len);
	err = cosi_manifest_parse(buf, buflen, name, &defs, &docs, msg, len);
	if (!err)
		err = cosi_apply_docs(c, &docs, name, flags, fn, arg, msg,
				      len);
	cosi_docs_clear(&docs);
	cosi_definitions_clear(&defs);
	return err;
}

int cosi_apply_file(struct cosi *c, const char *path, unsigned int flags,
		    cosi_apply_fn fn, void *arg, char *msg, size_t len)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	size_t n;
	char *buf;
	int err;

	err = cosi_read_file(path, &buf, &n, msg, len);
	if (err)
		return err;
	err = cosi_apply_buffer(c, buf, n, name, flags, fn, arg, msg, len);
	free(buf);
	return err;
}

/* Deleting. */

struct del_wait {
	const char *id;
	bool ready;			/* no finalizers left */
	bool gone;			/* destroyed meanwhile */
	struct cosi_strs left;		/* finalizers last seen */
};

static void del_event(struct cosi_event *ev, void *arg)
{
	struct del_wait *w = arg;
	size_t i;

	if (ev->kind == COSI_EVENT_KIND_BOOTSTRAPPED ||
	    strcmp(ev->res->id, w->id)) {
		cosi_event_free(ev);
		return;
	}
	w->gone = ev->kind == COSI_EVENT_KIND_DESTROYED;
	w->ready = !w->gone && !ev->res->finalizers.n;
	cosi_strs_clear(&w->left);
	for (i = 0; i < ev->res->finalizers.n; i++)
		cosi_strs_add(&w->left, ev->res->finalizers.v[i]);
	cosi_event_free(ev);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void join_strs(const struct cosi_strs *s, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = 0;
	for (i = 0; i < s->n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				s->v[i]);
}

/* Watch the resource until it has no finalizers, is gone or time is up. */
static int wait_ready(const char *ns, const char *type, struct del_wait *w,
		      int wait_ms, volatile sig_atomic_t *stop, char *msg,
		      size_t len)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = ns, .type = type, .id = w->id, .bootstrap = true,
	);
	int64_t end = now_ms() + wait_ms, left;
	struct cosi *wc = cosi_open();
	int err = -ENOBUFS;

	if (!wc) {
		snprintf(msg, len, "cannot open a cosi socket: %s",
			 strerror(errno));
		return -errno;
	}
	while (!w->ready && !w->gone) {
		if (err == -ENOBUFS) {
			err = cosi_watch(wc, &wr, del_event, w, NULL, NULL);
			if (err) {
				kerr(wc, err, "watch", msg, len);
				break;
			}
			continue;
		}
		left = wait_ms < 0 ? -1 : end - now_ms();
		if (wait_ms >= 0 && left <= 0) {
			err = -ETIMEDOUT;
			break;
		}
		err = cosi_watch_recv(wc, (int)left, del_event, w);
		if (err == -EINTR && stop && *stop)
			break;
		if (err < 0 && err != -EINTR && err != -ENOBUFS) {
			snprintf(msg, len, "watch: %s", strerror(-err));
			break;
		}
		if (err != -ENOBUFS)
			err = 0;
	}
	cosi_close(wc);
	if (w->ready || w->gone)
		return 0;
	if (err == -ETIMEDOUT) {
		char names[512];

		join_strs(&w->left, names, sizeof(names));
		snprintf(msg, len, "timed out waiting for finalizers: %s",
			 names);
	} else if (err == -EINTR) {
		snprintf(msg, len, "interrupted while waiting for finalizers");
	}
	return err;
}

static void copy_strs(struct cosi_strs *dst, const struct cosi_strs *src)
{
	size_t i;

	if (!dst)
		return;
	cosi_strs_clear(dst);
	for (i = 0; i < src->n; i++)
		cosi_strs_add(dst, src->v[i]);
}

int cosi_delete_resource(struct cosi *c, const char *ns, const char *type,
			 const char *id, int wait_ms,
			 volatile sig_atomic_t *stop,
			 struct cosi_strs *pending, char *msg, size_t len)
{
	COSI_OPTS(cosi_req, req, .ns = ns, .type = type, .id = id);
	struct del_wait w = { .id = id };
	struct cosi_resource *r = NULL;
	bool ready = false;
	int err, tries;

	msg[0] = 0;
	err = cosi_resource_teardown(c, &req, &ready, &r);
	if (err == -ENOENT)
		snprintf(msg, len, "not found");
	if (err)
		return err == -ENOENT ? err :
		       kerr(c, err, "resource-teardown", msg, len);
	w.ready = ready;
	copy_strs(&w.left, &r->finalizers);
	cosi_resource_free(r);
	for (tries = 0; tries < APPLY_RETRIES; tries++) {
		if (!w.ready && !wait_ms) {
			copy_strs(pending, &w.left);
			cosi_strs_clear(&w.left);
			return 1;
		}
		if (!w.ready) {
			err = wait_ready(ns, type, &w, wait_ms, stop, msg, len);
			if (err == -ETIMEDOUT)
				copy_strs(pending, &w.left);
			if (err || w.gone) {
				cosi_strs_clear(&w.left);
				return err;
			}
		}
		err = cosi_resource_destroy(c, &req, NULL);
		if (err != -EBUSY)
			break;
		w.ready = false;	/* a finalizer came back: wait again */
	}
	cosi_strs_clear(&w.left);
	if (err == -ENOENT)	/* destroyed by someone else meanwhile */
		return 0;
	return err ? kerr(c, err, "resource-destroy", msg, len) : 0;
}

/* Definitions. */

static bool strs_equal(const struct cosi_strs *a, const struct cosi_strs *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

bool cosi_definition_equal(const struct cosi_definition *a,
			   const struct cosi_definition *b)
{
	size_t i;

	if (strcmp(a->type, b->type) || !strs_equal(&a->aliases, &b->aliases) ||
	    strcmp(cosi_resolve_default_ns(a), cosi_resolve_default_ns(b)) ||
	    a->sensitivity != b->sensitivity ||
	    a->write_access != b->write_access ||
	    a->n_fields != b->n_fields || a->n_columns != b->n_columns)
		return false;
	for (i = 0; i < a->n_fields; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) ||
		    a->fields[i].type != b->fields[i].type ||
		    a->fields[i].required != b->fields[i].required)
			return false;
	for (i = 0; i < a->n_columns; i++)
		if (strcmp(a->columns[i].name, b->columns[i].name) ||
		    strcmp(a->columns[i].field, b->columns[i].field))
			return false;
	return true;
}

int cosi_define(struct cosi *c, const struct cosi_definition *d,
		enum cosi_apply_result *res, char *msg, size_t len)
{
	struct cosi_definition *cur = NULL;
	int err;

	err = cosi_definition_get(c, d->type, &cur);
	if (err && err != -ENOENT)
		return kerr(c, err, "definition-get", msg, len);
	*res = err ? COSI_APPLY_CREATED : COSI_APPLY_UPDATED;
	if (!err && !strcmp(cur->type, d->type) &&
	    cosi_definition_equal(cur, d)) {
		cosi_definition_free(cur);
		*res = COSI_APPLY_UNCHANGED;
		return 0;
	}
	cosi_definition_free(cur);
	err = cosi_definition_set(c, d, NULL);
	return err ? kerr(c, err, "definition-set", msg, len) : 0;
}

/* Saving. */

static int save_type(struct cosi *c, struct cosi_yaml *y, const char *ns,
		     const char *type, size_t *count, char *msg, size_t len)
{
	COSI_OPTS(cosi_list_req, q, .ns = ns, .type = type);
	struct cosi_resources l;
	size_t i;
	int err;

	err = cosi_resource_list(c, &q, &l);
	if (err)
		return kerr(c, err, "resource-get", msg, len);
	for (i = 0; !err && i < l.n; i++) {
		/* Being deleted: not desired any more. */
		if (l.v[i]->phase == COSI_PHASE_TEARING_DOWN)
			continue;
		if (!l.v[i]->has_spec) {
			snprintf(msg, len, "%s/%s: the kernel withheld the spec",
				 type, l.v[i]->id);
			err = -EPERM;
			break;
		}
		err = cosi_yaml_resource(y, l.v[i], NULL,
					 COSI_RENDER_MANIFEST);
		if (err)
			snprintf(msg, len, "writing YAML: %s", strerror(-err));
		else
			(*count)++;
	}
	cosi_resources_clear(&l);
	return err;
}

int cosi_save_resources(struct cosi *c, FILE *f, const char *ns,
			const char *const *types, size_t ntypes,
			size_t *count, char *msg, size_t len)
{
	struct cosi_yaml *y = cosi_yaml_new(f);
	size_t i, n = 0;
	int err = 0, cerr;

	if (!y) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; !err && i < ntypes; i++)
		err = save_type(c, y, ns, types[i], &n, msg, len);
	cerr = cosi_yaml_close(y);
	if (!err && cerr) {
		err = cerr;
		snprintf(msg, len, "writing YAML: %s", strerror(-err));
	}
	if (count)
		*count = n;
	return err;
}
