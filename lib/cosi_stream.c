// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Resumable watches.  The kernel stops every watch of a socket whose
 * receive buffer overflowed (ENOBUFS); a stream restarts them from the
 * last revision it delivered, so its consumer sees every change exactly
 * as if nothing had happened.  When the kernel's history no longer reaches
 * back that far (ENODATA), the stream bootstraps the watch again and
 * synthesises "destroyed" events for the resources that vanished in the
 * gap, which is why it remembers the ids each watch has seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "cosi_nl.h"

/* Consecutive overflows while resuming before giving up. */
#define COSI_STREAM_MAX_RETRIES	64

struct cosi_stream_watch {
	char *ns;
	char *type;
	char *id;			/* NULL: every id */
	const struct cosi_query *queries;	/* the caller's */
	size_t n_queries;
	uint32_t watch_id;		/* the kernel's, changes on resume */
	uint64_t rev;			/* last revision delivered */
	void *known;			/* tsearch() tree of ids present */
	void *fresh;			/* ids seen by a running bootstrap */
	bool collecting;		/* a bootstrap fills @fresh */
};

struct cosi_stream {
	struct cosi *c;
	cosi_event_fn fn;
	void *arg;
	struct cosi_stream_watch *w;
	size_t n;
	struct cosi_stream_watch *starting;	/* watch being (re)started */
	struct cosi_stream_stats stats;
};

static int cosi_idcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Remember @id as present; false on allocation failure. */
static bool cosi_ids_add(void **tree, const char *id)
{
	char *dup, **slot;

	if (tfind(id, tree, cosi_idcmp))
		return true;
	dup = strdup(id);
	if (!dup)
		return false;
	slot = tsearch(dup, tree, cosi_idcmp);
	if (!slot) {
		free(dup);
		return false;
	}
	return true;
}

static void cosi_ids_del(void **tree, const char *id)
{
	char **slot = tfind(id, tree, cosi_idcmp);
	char *key;

	if (!slot)
		return;
	key = *slot;
	tdelete(id, tree, cosi_idcmp);
	free(key);
}

static void cosi_ids_clear(void **tree)
{
	tdestroy(*tree, free);
	*tree = NULL;
}

static struct cosi_stream_watch *cosi_stream_by_id(struct cosi_stream *s,
						    uint32_t watch_id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->w[i].watch_id == watch_id)
			return &s->w[i];
	return NULL;
}

/* Every event, from dumps and live, passes here before the consumer. */
static void cosi_stream_event(struct cosi_event *ev, void *arg)
{
	struct cosi_stream *s = arg;
	struct cosi_stream_watch *w = s->starting;
	void **ids;

	if (!w || (w->watch_id && ev->watch_id != w->watch_id))
		w = cosi_stream_by_id(s, ev->watch_id);
	if (!w) {
		/* A stopped watch's straggler: not ours any more. */
		cosi_event_free(ev);
		return;
	}
	if (w == s->starting)
		w->watch_id = ev->watch_id;
	if (ev->revision > w->rev)
		w->rev = ev->revision;
	ids = w->collecting ? &w->fresh : &w->known;
	switch (ev->kind) {
	case COSI_EVENT_KIND_CREATED:
	case COSI_EVENT_KIND_UPDATED:
		if (!cosi_ids_add(ids, ev->res->id))
			s->stats.lost_ids++;
		if (w->collecting)
			cosi_ids_del(&w->known, ev->res->id);
		break;
	case COSI_EVENT_KIND_DESTROYED:
		cosi_ids_del(ids, ev->res->id);
		if (w->collecting)
			cosi_ids_del(&w->known, ev->res->id);
		break;
	}
	s->stats.events++;
	if (s->fn)
		s->fn(ev, s->arg);
	else
		cosi_event_free(ev);
}

struct cosi_stream *cosi_stream_new(struct cosi *c, cosi_event_fn fn,
				    void *arg)
{
	struct cosi_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->c = c;
	s->fn = fn;
	s->arg = arg;
	return s;
}

void cosi_stream_free(struct cosi_stream *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->w[i].ns);
		free(s->w[i].type);
		free(s->w[i].id);
		cosi_ids_clear(&s->w[i].known);
		cosi_ids_clear(&s->w[i].fresh);
	}
	free(s->w);
	free(s);
}

/* Synthesise a destroyed event for an id that vanished during a gap. */
struct cosi_vanished {
	struct cosi_stream *s;
	struct cosi_stream_watch *w;
};

static __thread struct cosi_vanished *cosi_vanished_ctx;

static void cosi_vanished_one(const void *node, VISIT which, int depth)
{
	struct cosi_vanished *v = cosi_vanished_ctx;
	const char *id = *(char *const *)node;
	struct cosi_event *ev;

	(void)depth;
	if (which != postorder && which != leaf)
		return;
	ev = calloc(1, sizeof(*ev));
	if (ev)
		ev->res = cosi_resource_new();
	if (ev && ev->res) {
		ev->watch_id = v->w->watch_id;
		ev->kind = COSI_EVENT_KIND_DESTROYED;
		ev->revision = v->w->rev;
		ev->res->ns = strdup(v->w->ns);
		ev->res->type = strdup(v->w->type);
		ev->res->id = strdup(id);
		ev->res->owner = strdup("");
		ev->res->revision = v->w->rev;
	}
	if (!ev || !ev->res || !ev->res->ns || !ev->res->type || !ev->res->id ||
	    !ev->res->owner) {
		cosi_event_free(ev);
		v->s->stats.lost_ids++;
		return;
	}
	v->s->stats.events++;
	v->s->stats.vanished++;
	if (v->s->fn)
		v->s->fn(ev, v->s->arg);
	else
		cosi_event_free(ev);
}

static __thread void **cosi_merge_into;

static void cosi_merge_one(const void *node, VISIT which, int depth)
{
	(void)depth;
	if (which == postorder || which == leaf)
		cosi_ids_add(cosi_merge_into, *(char *const *)node);
}

/*
 * (Re)start one watch: from @since when @resume, else by bootstrapping
 * (also when the history no longer reaches back to @since).
 */
static int cosi_stream_start(struct cosi_stream *s,
			     struct cosi_stream_watch *w, bool resume)
{
	COSI_OPTS(cosi_watch_req, req,
		.ns = w->ns, .type = w->type, .id = w->id,
		.queries = w->queries, .n_queries = w->n_queries,
	);
	struct cosi_vanished v = { .s = s, .w = w };
	int err;

	if (resume) {
		req.has_since = true;
		req.since_revision = w->rev;
		s->starting = w;
		w->watch_id = 0;
		err = cosi_watch(s->c, &req, cosi_stream_event, s, NULL, NULL);
		s->starting = NULL;
		if (err != -ENODATA)
			return err;
	}
	/* Bootstrap: ids not seen again vanished while we were away. */
	req.has_since = false;
	req.bootstrap = true;
	s->starting = w;
	w->watch_id = 0;
	w->fresh = NULL;
	w->collecting = true;
	err = cosi_watch(s->c, &req, cosi_stream_event, s, NULL, NULL);
	w->collecting = false;
	s->starting = NULL;
	if (resume && !err)
		s->stats.bootstraps++;
	if (err) {
		/*
		 * Half a bootstrap: what it saw is present as well, and the
		 * next one must still report what vanished.
		 */
		cosi_merge_into = &w->known;
		twalk(w->fresh, cosi_merge_one);
		cosi_merge_into = NULL;
		cosi_ids_clear(&w->fresh);
		return err;
	}
	if (w->known) {
		cosi_vanished_ctx = &v;
		twalk(w->known, cosi_vanished_one);
		cosi_vanished_ctx = NULL;
	}
	cosi_ids_clear(&w->known);
	w->known = w->fresh;
	w->fresh = NULL;
	return 0;
}

/**
 * cosi_stream_add() - add a watch to a stream and bootstrap it
 * @s: stream
 * @ns: namespace
 * @type: exact type name
 * @id: a single id, or NULL for every id
 *
 * The bootstrap's events (created..., then the bootstrapped marker) go to
 * the stream's callback before this returns.
 *
 * Return: 0 or a negative errno.
 */
int cosi_stream_add(struct cosi_stream *s, const char *ns, const char *type,
		    const char *id)
{
	return cosi_stream_add_from(s, ns, type, id, 0);
}

/**
 * cosi_stream_add_from() - add a watch that starts after a revision
 * @s: stream
 * @ns: namespace
 * @type: exact type name
 * @id: a single id, or NULL for every id
 * @since: the last revision the caller processed (e.g. saved before a
 *	   restart); 0 bootstraps
 *
 * Replays the events after @since; when the history no longer reaches
 * back that far, bootstraps instead (every present resource as created).
 *
 * Return: 0 or a negative errno.
 */
int cosi_stream_add_from(struct cosi_stream *s, const char *ns,
			 const char *type, const char *id, uint64_t since)
{
	COSI_OPTS(cosi_watch_req, req,
		.ns = ns, .type = type, .id = id,
		.has_since = since != 0, .since_revision = since,
	);

	return cosi_stream_add_req(s, &req);
}

/**
 * cosi_stream_add_req() - add a watch described by a watch request
 * @s: stream
 * @req: namespace, type, id (NULL: every id), label queries (kept by
 *	 reference: they must outlive the stream), and has_since /
 *	 since_revision as for cosi_stream_add_from() (else a bootstrap);
 *	 @req->bootstrap is ignored
 *
 * Return: 0 or a negative errno: -EINVAL or -E2BIG for a @req whose sz
 * fails the ABI check (cosi.h; the message in cosi_last_error()).
 */
int cosi_stream_add_req(struct cosi_stream *s,
			const struct cosi_watch_req *wr)
{
	struct cosi_stream_watch *v, *w;
	struct cosi_watch_req r, *req = &r;
	int err = COSI_OPTS_CHECK(s->c, &r, wr, "cosi_watch_req");

	if (err)
		return err;
	v = realloc(s->w, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->w = v;
	w = &v[s->n];
	memset(w, 0, sizeof(*w));
	w->ns = strdup(req->ns);
	w->type = strdup(req->type);
	w->id = req->id ? strdup(req->id) : NULL;
	w->queries = req->queries;
	w->n_queries = req->n_queries;
	if (!w->ns || !w->type || (req->id && !w->id)) {
		err = -ENOMEM;
		goto fail;
	}
	s->n++;
	w->rev = req->has_since ? req->since_revision : 0;
	err = cosi_stream_start(s, w, req->has_since);
	if (!err)
		return 0;
	s->n--;
fail:
	free(w->ns);
	free(w->type);
	free(w->id);
	cosi_ids_clear(&w->known);
	return err;
}

/* Every watch of the socket was stopped: start them all again. */
static int cosi_stream_restart(struct cosi_stream *s)
{
	size_t i;
	int err;

	for (i = 0; i < s->n; i++) {
		err = cosi_stream_start(s, &s->w[i], true);
		if (err)
			return err;
	}
	return 0;
}

static int cosi_stream_resume(struct cosi_stream *s)
{
	s->stats.resumes++;
	return cosi_stream_restart(s);
}

/**
 * cosi_stream_reopen() - move a stream to a new handle and restart it
 * @s: stream
 * @c: the new handle (the old one's watches are dead, e.g. it was closed)
 *
 * Every watch resumes from the last revision it delivered, or bootstraps
 * again when the history is too short, with the ids that vanished
 * meanwhile reported as destroyed: the consumer misses nothing.  A watch
 * that fails is left for the next reopen.
 *
 * Return: 0 or a negative errno.
 */
int cosi_stream_reopen(struct cosi_stream *s, struct cosi *c)
{
	s->c = c;
	return cosi_stream_restart(s);
}

/**
 * cosi_stream_dispatch() - deliver the events that are ready
 * @s: stream
 * @timeout_ms: how long to wait when none is (0: do not wait, -1: forever)
 *
 * Overflows are handled here: the watches are resumed (or bootstrapped
 * again) and their events delivered in order.
 *
 * Return: the number of events delivered (0: none ready), or a negative
 * errno when the watches cannot be restarted.
 */
int cosi_stream_dispatch(struct cosi_stream *s, int timeout_ms)
{
	int n, total = 0, tries = 0;
	uint64_t before;

	for (;;) {
		before = s->stats.events;
		n = cosi_watch_recv(s->c, timeout_ms, cosi_stream_event, s);
		if (n != -ENOBUFS)
			break;
		if (++tries > COSI_STREAM_MAX_RETRIES)
			return -ENOBUFS;
		/*
		 * The kernel reports the overflow before the events still
		 * queued on the socket, which precede the gap: deliver them.
		 * This also makes room for the answers of the watch requests
		 * to come, bootstraps and their DONE (netlink drops what does
		 * not fit).
		 */
		while (cosi_watch_recv(s->c, 0, cosi_stream_event, s) > 0)
			;
		n = cosi_stream_resume(s);
		total += s->stats.events - before;
		if (n && n != -ENOBUFS)
			return n;
		timeout_ms = 0;
	}
	return n < 0 ? n : total + n;
}

const struct cosi_stream_stats *cosi_stream_stats(const struct cosi_stream *s)
{
	return &s->stats;
}

uint64_t cosi_stream_revision(const struct cosi_stream *s)
{
	uint64_t rev = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!i || s->w[i].rev < rev)
			rev = s->w[i].rev;
	return rev;
}
