// SPDX-License-Identifier: GPL-2.0
/*
 * Watches: bootstrap and the bootstrapped marker, live events, filters
 * (id, label query) and their created/destroyed transitions, resuming
 * from a revision (ENODATA, ERANGE), receive buffer overflow (ENOBUFS)
 * and recovery, watch-stop, limits, and the multicast events group; a
 * filtered bootstrap whose scan lets writers in midway.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cosi_test.h"

FIXTURE(watch) {
	struct cosi *c;		/* the writer */
	struct cosi *w;		/* the watcher */
	long params[COSI_NPARAMS];
	pid_t child;
};

FIXTURE_SETUP(watch)
{
	self->child = 0;
	params_save(self->params);
	NEW_NETNS();
	COSI_OPEN(self->c);
	COSI_OPEN(self->w);
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET, 0));
}

FIXTURE_TEARDOWN(watch)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	cosi_close(self->w);
	cosi_close(self->c);
	params_restore(self->params);
}

static void expect_event(struct __test_metadata *_metadata,
			 const struct cosi_event *ev, uint32_t wid,
			 uint32_t kind, const char *id, uint64_t revision)
{
	EXPECT_EQ(wid, ev->watch_id);
	EXPECT_STREQ(cosi_event_kind_name(kind), cosi_event_kind_name(ev->kind))
		TH_LOG("event for %s", ev->res->id);
	if (id) {
		EXPECT_STREQ(TEST_NS, ev->res->ns);
		EXPECT_STREQ(WIDGET, ev->res->type);
		EXPECT_STREQ(id, ev->res->id);
	}
	if (revision)
		EXPECT_EQ(revision, ev->revision) TH_LOG("event for %s", id);
}

#define EXPECT_EVENT(ev, wid, kind, id, rev) \
	expect_event(_metadata, ev, wid, COSI_EVENT_KIND_##kind, id, rev)

/*
 * A client's view of a watched collection, built from events.  Before the
 * bootstrapped marker the dump may show a resource again (an update
 * during the listing); after it, every event must be new: revisions grow,
 * versions grow, nothing is created twice or lost.
 */
#define VIEW_MAX	1024

struct view {
	struct cosi_resource *r[VIEW_MAX];
	size_t n;
	uint64_t rev;		/* last revision applied */
	uint32_t wid;
	bool marked;
	size_t events;
	char bad[256];		/* the first inconsistency */
};

static int view_find(const struct view *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->r[i]->id, id))
			return i;
	return -1;
}

static void view_bad(struct view *v, const char *what,
		     const struct cosi_event *ev)
{
	if (!v->bad[0])
		snprintf(v->bad, sizeof(v->bad),
			 "%s: %s %s version %llu revision %llu (view at %llu)",
			 what, cosi_event_kind_name(ev->kind), ev->res->id,
			 (unsigned long long)ev->res->version,
			 (unsigned long long)ev->revision,
			 (unsigned long long)v->rev);
}

static void view_put(struct view *v, int i, struct cosi_event *ev)
{
	if (i < 0) {
		if (v->n == VIEW_MAX) {
			view_bad(v, "view full", ev);
			return;
		}
		i = v->n++;
	} else {
		cosi_resource_free(v->r[i]);
	}
	v->r[i] = cosi_event_take(ev);
}

static void view_del(struct view *v, int i)
{
	cosi_resource_free(v->r[i]);
	v->r[i] = v->r[--v->n];
}

static void view_apply(struct cosi_event *ev, void *arg)
{
	struct view *v = arg;
	int i = view_find(v, ev->res->id);

	v->events++;
	if (ev->kind == COSI_EVENT_KIND_BOOTSTRAPPED) {
		v->rev = ev->revision;
		v->wid = ev->watch_id;
		v->marked = true;
		cosi_event_free(ev);
		return;
	}
	if (v->marked && ev->revision <= v->rev)
		view_bad(v, "revision not after the last one", ev);
	if (v->marked)
		v->rev = ev->revision;
	switch (ev->kind) {
	case COSI_EVENT_KIND_CREATED:
		if (i >= 0 && (v->marked || ev->res->version < v->r[i]->version))
			view_bad(v, "created again", ev);
		view_put(v, i, ev);
		break;
	case COSI_EVENT_KIND_UPDATED:
		if (i < 0)
			view_bad(v, "update of an unknown resource", ev);
		else if (ev->res->version < v->r[i]->version ||
			 (v->marked && ev->res->version == v->r[i]->version))
			view_bad(v, "version not after the last one", ev);
		view_put(v, i, ev);
		break;
	case COSI_EVENT_KIND_DESTROYED:
		if (i < 0)
			view_bad(v, "destroy of an unknown resource", ev);
		else
			view_del(v, i);
		break;
	default:
		view_bad(v, "unknown kind", ev);
	}
	cosi_event_free(ev);
}

static void view_clear(struct view *v)
{
	while (v->n)
		view_del(v, 0);
}

/* The view equals a fresh list of the collection (what @q picks of it). */
static void view_expect_list(struct __test_metadata *_metadata,
			     struct view *v, struct cosi *c,
			     const struct cosi_query *q)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET,
		  .queries = q, .n_queries = q ? 1 : 0);
	struct cosi_resources l;
	size_t k;
	int i;

	EXPECT_STREQ("", v->bad);
	ASSERT_COSI_OK(c, cosi_resource_list(c, &lr, &l));
	EXPECT_EQ(l.n, v->n);
	for (k = 0; k < l.n; k++) {
		i = view_find(v, l.v[k]->id);
		EXPECT_LE(0, i) TH_LOG("%s missing from the view", l.v[k]->id);
		if (i < 0)
			continue;
		EXPECT_EQ(l.v[k]->version, v->r[i]->version)
			TH_LOG("%s", l.v[k]->id);
		EXPECT_EQ(l.v[k]->revision, v->r[i]->revision);
		EXPECT_EQ(l.v[k]->phase, v->r[i]->phase);
		EXPECT_TRUE(cosi_kvs_equal(&l.v[k]->labels, &v->r[i]->labels));
		EXPECT_TRUE(cosi_spec_equal(&l.v[k]->spec, &v->r[i]->spec));
	}
	cosi_resources_clear(&l);
}

/*
 * Read live events into @v until @id shows up (created or updated).  On
 * ENOBUFS, apply what is still queued and restart the watch from the last
 * revision applied, as a client must.  Returns the number of restarts, or
 * a negative errno.
 */
static int view_follow(struct cosi *c, struct view *v,
		       const struct cosi_watch_req *wr, const char *id,
		       int timeout_ms)
{
	struct cosi_watch_req resume = *wr;
	uint64_t end = mono_ms() + timeout_ms;
	int ret, restarts = 0;

	while (view_find(v, id) < 0) {
		if (mono_ms() >= end)
			return -ETIMEDOUT;
		ret = cosi_watch_recv(c, end - mono_ms(), view_apply, v);
		if (ret != -ENOBUFS) {
			if (ret < 0)
				return ret;
			continue;
		}
		/* Queued events came before the overflow: apply them. */
		while ((ret = cosi_watch_recv(c, 0, view_apply, v)) > 0)
			;
		if (ret < 0 && ret != -ENOBUFS)
			return ret;
		resume.bootstrap = false;
		resume.has_since = true;
		resume.since_revision = v->rev;
		ret = cosi_watch(c, &resume, view_apply, v, NULL, NULL);
		if (ret)
			return ret;
		restarts++;
	}
	return restarts;
}

TEST_F(watch, bootstrap_then_live)
{
	struct cosi_kvs la = kvs_make("env", "prod", NULL);
	struct cosi_kvs la2 = kvs_make("env", "dev", "new", "1", NULL);
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;
	COSI_OPTS(cosi_req, k, .ns = TEST_NS, .type = WIDGET, .id = "c");
	bool seen[3] = { false };
	uint64_t rev = 0, last = 0, destroyed = 0;
	uint32_t wid = 0;
	size_t i;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", &la, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "c", NULL, &r));
	last = r->revision;
	cosi_resource_free(r);

	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, cosi_event_vec_push,
					   &v, &wid, &rev));
	EXPECT_NE(0, wid);
	EXPECT_EQ(last, rev);
	ASSERT_EQ(4, v.n);
	for (i = 0; i < 3; i++) {
		const struct cosi_event *ev = v.v[i];

		EXPECT_EVENT(ev, wid, CREATED, NULL, 0);
		ASSERT_TRUE(ev->res->id[0] >= 'a' && ev->res->id[0] <= 'c');
		EXPECT_FALSE(seen[ev->res->id[0] - 'a']);
		seen[ev->res->id[0] - 'a'] = true;
		EXPECT_EQ(1, ev->res->version);
		EXPECT_EQ(ev->res->revision, ev->revision);
		EXPECT_TRUE(ev->res->has_spec);
		EXPECT_STREQ(ev->res->id,
			     cosi_spec_get(&ev->res->spec, "name")->str);
		if (!strcmp(ev->res->id, "a"))
			EXPECT_TRUE(cosi_kvs_equal(&la, &ev->res->labels));
	}
	EXPECT_EVENT(v.v[3], wid, BOOTSTRAPPED, NULL, last);
	cosi_event_vec_clear(&v);

	/* Live: create, update, destroy, teardown, finalizer. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "d", NULL, &r));
	ASSERT_EQ(0, recv_n(self->w, &v, 1, 5000));
	EXPECT_EVENT(v.v[0], wid, CREATED, "d", r->revision);
	EXPECT_EQ(1, v.v[0]->res->version);
	cosi_resource_free(r);

	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", &la2,
					      &r));
	ASSERT_EQ(0, recv_n(self->w, &v, 2, 5000));
	EXPECT_EVENT(v.v[1], wid, UPDATED, "a", r->revision);
	EXPECT_EQ(2, v.v[1]->res->version);
	EXPECT_TRUE(cosi_kvs_equal(&la2, &v.v[1]->res->labels));
	EXPECT_TRUE(v.v[1]->has_old_labels);
	EXPECT_TRUE(cosi_kvs_equal(&la, &v.v[1]->old_labels));
	EXPECT_STREQ("a2", cosi_spec_get(&v.v[1]->res->spec, "name")->str);
	cosi_resource_free(r);

	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "b",
					       &destroyed));
	ASSERT_EQ(0, recv_n(self->w, &v, 3, 5000));
	EXPECT_EVENT(v.v[2], wid, DESTROYED, "b", destroyed);
	EXPECT_EQ(1, v.v[2]->res->version);

	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &k, NULL, &r));
	ASSERT_EQ(0, recv_n(self->w, &v, 4, 5000));
	EXPECT_EVENT(v.v[3], wid, UPDATED, "c", r->revision);
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, v.v[3]->res->phase);
	cosi_resource_free(r);

	/* Nothing else, and no-op writes send nothing. */
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", NULL,
					      NULL));
	EXPECT_EQ(0, recv_quiet(self->w, 300));
	cosi_event_vec_clear(&v);
	cosi_kvs_clear(&la);
	cosi_kvs_clear(&la2);
}

TEST_F(watch, without_bootstrap)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;
	uint64_t rev = 0;
	uint32_t wid = 0;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, &r));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, cosi_event_vec_push,
					   &v, &wid, &rev));
	ASSERT_EQ(1, v.n);
	EXPECT_EVENT(v.v[0], wid, BOOTSTRAPPED, NULL, r->revision);
	EXPECT_EQ(r->revision, rev);
	cosi_resource_free(r);
	cosi_event_vec_clear(&v);

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b", NULL, &r));
	ASSERT_EQ(0, recv_n(self->w, &v, 1, 5000));
	EXPECT_EVENT(v.v[0], wid, CREATED, "b", r->revision);
	cosi_resource_free(r);
	cosi_event_vec_clear(&v);
}

TEST_F(watch, other_collections_unseen)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };
	uint32_t wid = 0;

	ASSERT_COSI_OK(self->c, widget_define(self->c, "gadgets", 0));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, &wid,
					   NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, "gadgets", "a", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create_ns(self->c, "other", WIDGET, "a",
						 "a", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "z", NULL, NULL));
	ASSERT_EQ(0, recv_n(self->w, &v, 1, 5000));
	EXPECT_EVENT(v.v[0], wid, CREATED, "z", 0);
	EXPECT_EQ(0, recv_quiet(self->w, 200));
	cosi_event_vec_clear(&v);
}

TEST_F(watch, id_filter)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .bootstrap = true,
	);
	struct cosi_event_vec v = { 0 };
	uint32_t wid = 0;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "y", NULL, NULL));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, cosi_event_vec_push,
					   &v, &wid, NULL));
	ASSERT_EQ(2, v.n);
	EXPECT_EVENT(v.v[0], wid, CREATED, "x", 0);
	EXPECT_EVENT(v.v[1], wid, BOOTSTRAPPED, NULL, 0);
	cosi_event_vec_clear(&v);

	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "y", "y2", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "xx", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "x", "x2", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "x", NULL));
	ASSERT_EQ(0, recv_n(self->w, &v, 2, 5000));
	EXPECT_EVENT(v.v[0], wid, UPDATED, "x", 0);
	EXPECT_EVENT(v.v[1], wid, DESTROYED, "x", 0);
	EXPECT_EQ(0, recv_quiet(self->w, 200));
	cosi_event_vec_clear(&v);

	/* A watch on an id that does not exist yet. */
	wr.id = "later";
	wr.bootstrap = true;
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, cosi_event_vec_push,
					   &v, &wid, NULL));
	ASSERT_EQ(1, v.n);
	EXPECT_EVENT(v.v[0], wid, BOOTSTRAPPED, NULL, 0);
	cosi_event_vec_clear(&v);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "later", NULL,
					      NULL));
	ASSERT_EQ(0, recv_n(self->w, &v, 1, 5000));
	EXPECT_EVENT(v.v[0], wid, CREATED, "later", 0);
	cosi_event_vec_clear(&v);
}

TEST_F(watch, label_filter_transitions)
{
	struct cosi_kvs prod = kvs_make("env", "prod", NULL);
	struct cosi_kvs dev = kvs_make("env", "dev", NULL);
	const struct cosi_term t[] = {
		{ .key = "env", .op = COSI_LABEL_OP_EQUAL,
		  .values = (const char *const[]){ "prod" }, .n_values = 1 },
	};
	const struct cosi_query q = { t, 1 };
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .queries = &q, .n_queries = 1,
		.bootstrap = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;
	uint64_t revs[5] = { 0 };
	uint32_t wid = 0;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "p1", &prod,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "d1", &dev,
					      NULL));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, cosi_event_vec_push,
					   &v, &wid, NULL));
	ASSERT_EQ(2, v.n);
	EXPECT_EVENT(v.v[0], wid, CREATED, "p1", 0);
	EXPECT_EVENT(v.v[1], wid, BOOTSTRAPPED, NULL, 0);
	cosi_event_vec_clear(&v);

	/* d1 enters the filter: created. */
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "d1", "d1",
					      &prod, &r));
	revs[0] = r->revision;
	cosi_resource_free(r);
	/* p1 leaves it: destroyed. */
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "p1", "p1",
					      &dev, &r));
	revs[1] = r->revision;
	cosi_resource_free(r);
	/* d1 changes inside it: updated. */
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "d1", "d1b",
					      NULL, &r));
	revs[2] = r->revision;
	cosi_resource_free(r);
	/* Changes outside the filter: nothing. */
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "p1", "p1b",
					      NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "d2", &dev,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "p1", NULL));
	/* Created inside, destroyed inside. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "p3", &prod,
					      &r));
	revs[3] = r->revision;
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "d1", &revs[4]));

	ASSERT_EQ(0, recv_n(self->w, &v, 5, 5000));
	EXPECT_EVENT(v.v[0], wid, CREATED, "d1", revs[0]);
	EXPECT_TRUE(cosi_kvs_equal(&prod, &v.v[0]->res->labels));
	EXPECT_EQ(2, v.v[0]->res->version);
	EXPECT_EVENT(v.v[1], wid, DESTROYED, "p1", revs[1]);
	EXPECT_TRUE(cosi_kvs_equal(&dev, &v.v[1]->res->labels));
	EXPECT_EVENT(v.v[2], wid, UPDATED, "d1", revs[2]);
	EXPECT_TRUE(cosi_kvs_equal(&prod, &v.v[2]->old_labels));
	EXPECT_STREQ("d1b", cosi_spec_get(&v.v[2]->res->spec, "name")->str);
	EXPECT_EVENT(v.v[3], wid, CREATED, "p3", revs[3]);
	EXPECT_EVENT(v.v[4], wid, DESTROYED, "d1", revs[4]);
	EXPECT_EQ(0, recv_quiet(self->w, 200));
	cosi_event_vec_clear(&v);
	cosi_kvs_clear(&prod);
	cosi_kvs_clear(&dev);
}

TEST_F(watch, resume_since_revision)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	struct cosi_event_vec v = { 0 };
	struct view view = { 0 };
	struct cosi_resource *r = NULL;
	uint64_t last, rev = 0, destroyed = 0, revs[2];
	uint32_t wid = 0, wid2 = 0;

	ASSERT_COSI_OK(self->c, widget_define(self->c, "gadgets", 0));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b", NULL, NULL));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, view_apply, &view,
					   &wid, &last));
	EXPECT_EQ(2, view.n);
	EXPECT_EQ(last, view.rev);
	ASSERT_COSI_OK(self->w, cosi_watch_stop(self->w, wid));

	/* Missed while not watching. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "e", NULL, &r));
	revs[0] = r->revision;
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, widget_create(self->c, "gadgets", "g", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", NULL,
					      &r));
	revs[1] = r->revision;
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "b",
					       &destroyed));
	EXPECT_EQ(0, recv_quiet(self->w, 100));

	wr.bootstrap = false;
	wr.has_since = true;
	wr.since_revision = last;
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, cosi_event_vec_push,
					   &v, &wid2, &rev));
	EXPECT_NE(wid, wid2);
	EXPECT_EQ(destroyed, rev);
	ASSERT_EQ(4, v.n);
	EXPECT_EVENT(v.v[0], wid2, CREATED, "e", revs[0]);
	EXPECT_EVENT(v.v[1], wid2, UPDATED, "a", revs[1]);
	EXPECT_EQ(2, v.v[1]->res->version);
	EXPECT_EVENT(v.v[2], wid2, DESTROYED, "b", destroyed);
	EXPECT_EVENT(v.v[3], wid2, BOOTSTRAPPED, NULL, destroyed);
	cosi_event_vec_clear(&v);

	/* The same replay brings the view up to date. */
	wr.since_revision = view.rev;
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, view_apply, &view,
					   NULL, NULL));
	view_expect_list(_metadata, &view, self->c, NULL);

	/* From the current revision: just the marker. */
	wr.since_revision = destroyed;
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, cosi_event_vec_push,
					   &v, NULL, NULL));
	ASSERT_EQ(1, v.n);
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, v.v[0]->kind);
	cosi_event_vec_clear(&v);
	view_clear(&view);
}

TEST_F(watch, since_revision_in_the_future)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .has_since = true,
	);
	struct cosi_resource *r = NULL;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, &r));
	wr.since_revision = r->revision + 1;
	EXPECT_COSI_ERR(self->w, ERANGE,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	wr.since_revision = r->revision + 1000000;
	EXPECT_COSI_ERR(self->w, ERANGE,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	wr.since_revision = r->revision;
	EXPECT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, NULL,
					   NULL));
	wr.since_revision = 0;
	EXPECT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, NULL,
					   NULL));
	cosi_resource_free(r);
}

/*
 * history_size is read when a netns is set up: lower it, then make a
 * netns of our own (the fixture's was set up before).
 */
TEST_F(watch, since_revision_too_old)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .has_since = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;
	struct cosi *c;
	uint64_t last;
	int i;

	PARAM_SET("history_size", 16);
	NEW_NETNS();
	COSI_OPEN(c);
	ASSERT_COSI_OK(c, widget_define(c, WIDGET, 0));
	ASSERT_COSI_OK(c, widget_create(c, WIDGET, "a", NULL, NULL));
	for (i = 0; i < 100; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%d", i);
		ASSERT_COSI_OK(c, widget_update(c, WIDGET, "a", name, NULL, &r));
		last = r->revision;
		cosi_resource_free(r);
	}
	wr.since_revision = 1;
	EXPECT_COSI_ERR(c, ENODATA, cosi_watch(c, &wr, NULL, NULL, NULL, NULL));
	wr.since_revision = last - 90;
	EXPECT_COSI_ERR(c, ENODATA, cosi_watch(c, &wr, NULL, NULL, NULL, NULL));

	/* What the history still holds is replayed. */
	wr.since_revision = last - 5;
	ASSERT_COSI_OK(c, cosi_watch(c, &wr, cosi_event_vec_push, &v, NULL,
				     NULL));
	ASSERT_EQ(6, v.n);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(COSI_EVENT_KIND_UPDATED, v.v[i]->kind);
		EXPECT_EQ(last - 4 + i, v.v[i]->revision);
	}
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, v.v[5]->kind);
	cosi_event_vec_clear(&v);

	/* A bootstrap is always possible. */
	wr.has_since = false;
	wr.bootstrap = true;
	ASSERT_COSI_OK(c, cosi_watch(c, &wr, cosi_event_vec_push, &v, NULL,
				     NULL));
	ASSERT_EQ(2, v.n);
	EXPECT_EQ(101, v.v[0]->res->version);
	cosi_event_vec_clear(&v);
	cosi_close(c);
}

TEST_F(watch, bad_requests)
{
	const struct cosi_term nokey[] = {
		{ .key = NULL, .op = COSI_LABEL_OP_EXISTS },
	};
	const struct cosi_query q = { nokey, 1 };
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = "gizmos");

	EXPECT_COSI_ERR(self->w, ENOENT,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	wr.type = NULL;
	EXPECT_COSI_ERR(self->w, EINVAL,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	wr.type = WIDGET;
	wr.ns = NULL;
	EXPECT_COSI_ERR(self->w, EINVAL,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	wr.ns = "a/b";
	EXPECT_COSI_ERR(self->w, EINVAL,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	wr.ns = TEST_NS;
	wr.id = "a b";
	EXPECT_COSI_ERR(self->w, EINVAL,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	wr.id = NULL;
	wr.queries = &q;
	wr.n_queries = 1;
	EXPECT_COSI_ERR(self->w, EINVAL,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	/* The socket still works. */
	wr.queries = NULL;
	wr.n_queries = 0;
	EXPECT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, NULL,
					   NULL));
}

TEST_F(watch, stop)
{
	COSI_OPTS(cosi_watch_req, all, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_watch_req, only_x,
		.ns = TEST_NS, .type = WIDGET, .id = "x",
	);
	struct cosi_event_vec v = { 0 };
	uint32_t w1 = 0, w2 = 0;

	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &all, NULL, NULL, &w1,
					   NULL));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &only_x, NULL, NULL, &w2,
					   NULL));
	EXPECT_NE(w1, w2);

	/* Both see x. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, NULL));
	ASSERT_EQ(0, recv_n(self->w, &v, 2, 5000));
	EXPECT_NE(v.v[0]->watch_id, v.v[1]->watch_id);
	cosi_event_vec_clear(&v);

	ASSERT_COSI_OK(self->w, cosi_watch_stop(self->w, w1));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "y", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "x", "x2", NULL,
					      NULL));
	ASSERT_EQ(0, recv_n(self->w, &v, 1, 5000));
	EXPECT_EVENT(v.v[0], w2, UPDATED, "x", 0);
	EXPECT_EQ(0, recv_quiet(self->w, 200));
	cosi_event_vec_clear(&v);

	/* Stopping a watch this socket does not have. */
	EXPECT_COSI_ERR(self->w, ENOENT, cosi_watch_stop(self->w, w1));
	EXPECT_COSI_ERR(self->c, ENOENT, cosi_watch_stop(self->c, w2));
	EXPECT_COSI_ERR(self->w, ENOENT, cosi_watch_stop(self->w, 0xdeadbeef));

	ASSERT_COSI_OK(self->w, cosi_watch_stop(self->w, w2));
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "x", "x3", NULL,
					      NULL));
	EXPECT_EQ(0, recv_quiet(self->w, 200));
}

TEST_F(watch, limits)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi *other;
	uint32_t wid = 0;

	COSI_OPEN(other);
	PARAM_SET("max_socket_watchers", 2);
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, &wid,
					   NULL));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, NULL,
					   NULL));
	EXPECT_COSI_ERR(self->w, ENOSPC,
			cosi_watch(self->w, &wr, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(other, cosi_watch(other, &wr, NULL, NULL, NULL, NULL));
	/* A stopped watch frees its slot. */
	ASSERT_COSI_OK(self->w, cosi_watch_stop(self->w, wid));
	EXPECT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, NULL,
					   NULL));

	/* Per netns: 3 watches exist now. */
	PARAM_SET("max_watchers", 3);
	EXPECT_COSI_ERR(other, ENOSPC,
			cosi_watch(other, &wr, NULL, NULL, NULL, NULL));
	/* A closed socket's watches go with it. */
	cosi_close(self->w);
	self->w = NULL;
	EXPECT_COSI_OK(other, cosi_watch(other, &wr, NULL, NULL, NULL, NULL));
	cosi_close(other);
}

/*
 * A watcher that does not read while many changes happen overflows its
 * receive buffer: ENOBUFS, and the kernel stops its watches.  It applies
 * what was queued, restarts from the last revision it applied, and ends
 * with the same view as a fresh list.
 */
TEST_F_TIMEOUT(watch, overflow_then_resume, 120)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	struct view view = { 0 };
	char id[16], name[16];
	uint32_t old_wid;
	int i, ret, restarts;

	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "w%02d", i);
		ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, id, NULL,
						      NULL));
	}
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, view_apply, &view,
					   NULL, NULL));
	ASSERT_EQ(20, view.n);
	old_wid = view.wid;
	ASSERT_EQ(0, cosi_set_rcvbuf(self->w, 4096));

	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "w%02d", i % 20);
		snprintf(name, sizeof(name), "n%d", i);
		ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, id, name,
						      NULL, NULL));
	}
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "w%02d", i);
		ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, id, NULL));
		snprintf(id, sizeof(id), "x%02d", i);
		ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, id, NULL,
						      NULL));
	}

	/* Read what is queued: somewhere, ENOBUFS. */
	do {
		ret = cosi_watch_recv(self->w, 1000, view_apply, &view);
	} while (ret > 0);
	ASSERT_EQ(-ENOBUFS, ret);
	while ((ret = cosi_watch_recv(self->w, 0, view_apply, &view)) > 0)
		;
	EXPECT_EQ(0, ret);
	EXPECT_STREQ("", view.bad);

	/* The watch was stopped: later changes are not sent. */
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "w10", "late",
					      NULL, NULL));
	EXPECT_EQ(0, recv_quiet(self->w, 300));

	/* Resume from the last revision applied. */
	ASSERT_EQ(0, cosi_set_rcvbuf(self->w, 1 << 20));
	wr.bootstrap = false;
	wr.has_since = true;
	wr.since_revision = view.rev;
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, view_apply, &view,
					   NULL, NULL));
	EXPECT_NE(old_wid, view.wid);
	EXPECT_STREQ("", view.bad);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "zz-last", NULL,
					      NULL));
	restarts = view_follow(self->w, &view, &wr, "zz-last", 10000);
	EXPECT_EQ(0, restarts);
	view_expect_list(_metadata, &view, self->c, NULL);
	view_clear(&view);
}

#define CHURN_IDS	512

/*
 * A bootstrap while another process keeps changing the collection: the
 * listing (many skbs: each resource carries 1 KiB), the replay and the
 * live events together must give exactly the collection's state, without
 * an event twice or lost.
 */
static void churn_run(int ops)
{
	bool exists[CHURN_IDS];
	char id[16], name[16];
	struct cosi *c;
	int i, idx, err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	c = cosi_open();
	if (!c)
		_exit(1);
	for (i = 0; i < CHURN_IDS; i++)
		exists[i] = i < CHURN_IDS / 2;
	srand(getpid());
	for (i = 0; i < ops; i++) {
		idx = rand() % CHURN_IDS;
		snprintf(id, sizeof(id), "c%03d", idx);
		snprintf(name, sizeof(name), "v%d", i);
		if (!exists[idx]) {
			err = widget_create(c, WIDGET, id, NULL, NULL);
			exists[idx] = true;
		} else if (rand() % 4) {
			err = widget_update(c, WIDGET, id, name, NULL, NULL);
		} else {
			err = widget_destroy(c, WIDGET, id, NULL);
			exists[idx] = false;
		}
		if (err)
			_exit(2);
		if (!(i % 8))
			usleep(500);
	}
	if (widget_create(c, WIDGET, "zz-done", NULL, NULL))
		_exit(3);
	_exit(0);
}

/*
 * Netlink drops a reply that does not fit in the receive buffer: a
 * request on a socket whose buffer is full of unread events gets no
 * answer.  The request must fail with ETIMEDOUT, not wait forever, and
 * the handle must work again afterwards.
 */
TEST_F_TIMEOUT(watch, lost_reply_times_out, 60)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	struct cosi_resource *r = NULL;
	char name[16];
	int i;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "w", NULL,
					      NULL));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, NULL,
					   NULL));
	ASSERT_EQ(0, cosi_set_rcvbuf(self->w, 4096));
	ASSERT_EQ(0, cosi_set_timeout(self->w, 500));
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "w",
						      name, NULL, NULL));
	}
	EXPECT_EQ(-ETIMEDOUT, cosi_resource_get(self->w, TEST_NS, WIDGET,
						"w", &r));
	/* The events were read meanwhile: there is room for a reply now. */
	ASSERT_COSI_OK(self->w, cosi_resource_get(self->w, TEST_NS, WIDGET,
						  "w", &r));
	EXPECT_EQ(301, r->version);
	cosi_resource_free(r);
	EXPECT_EQ(-ENOBUFS, cosi_watch_recv(self->w, 0, NULL, NULL));
}

/*
 * Start @run(@ops) in a child (*@child), then the watch @wr into @v, and
 * follow it until the child's last resource, "zz-done", shows up; the
 * child must succeed.  Returns the number of restarts (view_follow()).
 */
static int watch_churn(struct __test_metadata *_metadata, struct cosi *w,
		       pid_t *child, void (*run)(int ops), int ops,
		       const struct cosi_watch_req *wr, struct view *v,
		       int timeout_ms)
{
	int status = -1, restarts;

	*child = fork();
	if (!*child)
		run(ops);
	EXPECT_LE(0, *child);
	usleep(20000);
	EXPECT_COSI_OK(w, cosi_watch(w, wr, view_apply, v, NULL, NULL));
	EXPECT_STREQ("", v->bad);
	restarts = view_follow(w, v, wr, "zz-done", timeout_ms);
	EXPECT_LE(0, restarts) TH_LOG("following: %s", strerror(-restarts));
	EXPECT_EQ(*child, waitpid(*child, &status, 0));
	*child = 0;
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	return restarts;
}

TEST_F_TIMEOUT(watch, bootstrap_during_churn, 300)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	struct view view = { 0 };
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .spec = &spec,
	);
	char id[16], blob[1024] = { 0 };
	int i, restarts;

	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_bytes(&spec, "blob", blob, sizeof(blob));
	for (i = 0; i < CHURN_IDS / 2; i++) {
		snprintf(id, sizeof(id), "c%03d", i);
		r.id = id;
		ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, NULL));
	}
	cosi_spec_clear(&spec);
	restarts = watch_churn(_metadata, self->w, &self->child, churn_run,
			       3000, &wr, &view, 240000);
	view_expect_list(_metadata, &view, self->c, NULL);
	TH_LOG("%zu events, %d restart(s)", view.events, restarts);
	view_clear(&view);
}

/*
 * A filtered bootstrap of a collection much larger than what the kernel
 * scans per lock hold (COSI_SCAN_BATCH, 128): the query picks about one
 * resource in 16, so one dumpit examines all of them and lets writers in
 * every 128.  Another process creates, destroys and relabels (in and
 * out of the query) resources meanwhile, a quarter of its changes at the
 * ids a listing resumes from when nothing changed (every 128th; the
 * collection's last is one).  Bootstrap and events must give exactly
 * what a final list with the same query gives.
 */
#define SCAN_IDS	2048

static bool scan_picked(int idx)
{
	return !(idx % 16);
}

static int scan_write(struct cosi *c, int idx, bool pick, int gen, bool create)
{
	struct cosi_kvs labels = kvs_make("pick", pick ? "yes" : "no", NULL);
	char id[16], name[16];
	int err;

	snprintf(id, sizeof(id), "f%04d", idx);
	snprintf(name, sizeof(name), "v%d", gen);
	err = create ? widget_create(c, WIDGET, id, &labels, NULL) :
		       widget_update(c, WIDGET, id, name, &labels, NULL);
	cosi_kvs_clear(&labels);
	return err;
}

static void scan_churn_run(int ops)
{
	bool exists[SCAN_IDS];
	struct cosi_kvs done = kvs_make("pick", "yes", NULL);
	struct cosi *c;
	char id[16];
	int i, idx, err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	c = cosi_open();
	if (!c)
		_exit(1);
	for (i = 0; i < SCAN_IDS; i++)
		exists[i] = true;
	srand(getpid());
	for (i = 0; i < ops; i++) {
		if (i % 4)
			idx = rand() % SCAN_IDS;
		else
			idx = (rand() % (SCAN_IDS / 128)) * 128 + 127;
		if (!exists[idx]) {
			err = scan_write(c, idx, !(rand() % 4), i, true);
			exists[idx] = true;
		} else if (rand() % 3) {
			err = scan_write(c, idx, !(rand() % 4), i, false);
		} else {
			snprintf(id, sizeof(id), "f%04d", idx);
			err = widget_destroy(c, WIDGET, id, NULL);
			exists[idx] = false;
		}
		if (err)
			_exit(2);
		if (!(i % 16))
			usleep(200);
	}
	if (widget_create(c, WIDGET, "zz-done", &done, NULL))
		_exit(3);
	_exit(0);
}

TEST_F_TIMEOUT(watch, filtered_bootstrap_scan_during_churn, 600)
{
	const struct cosi_term yes[] = {
		{ .key = "pick", .op = COSI_LABEL_OP_EQUAL,
		  .values = (const char *const[]){ "yes" }, .n_values = 1 },
	};
	const struct cosi_query q = { yes, 1 };
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
		.queries = &q, .n_queries = 1,
	);
	struct view view = { 0 };
	int i, restarts;

	for (i = 0; i < SCAN_IDS; i++)
		ASSERT_COSI_OK(self->c, scan_write(self->c, i, scan_picked(i),
						   0, true));
	restarts = watch_churn(_metadata, self->w, &self->child,
			       scan_churn_run, 6000, &wr, &view, 400000);
	/* The view is what the query picks now, version for version. */
	view_expect_list(_metadata, &view, self->c, &q);
	TH_LOG("%zu picked, %zu events, %d restart(s)", view.n, view.events,
	       restarts);
	view_clear(&view);
}

TEST_F(watch, multicast_group)
{
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;
	struct cosi *m;
	uint64_t revs[4] = { 0 };
	struct cosi_kvs l1 = kvs_make("k", "1", NULL);

	COSI_OPEN(m);
	ASSERT_COSI_OK(m, cosi_events_join(m));
	ASSERT_COSI_OK(self->c, widget_define(self->c, "secrets",
					      COSI_SENSITIVITY_SENSITIVE));

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", &l1, &r));
	revs[0] = r->revision;
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", NULL,
					      &r));
	revs[1] = r->revision;
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, widget_create(self->c, "secrets", "s", NULL,
					      &r));
	revs[2] = r->revision;
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "a", &revs[3]));

	ASSERT_EQ(0, recv_n(m, &v, 4, 5000));
	EXPECT_EVENT(v.v[0], 0, CREATED, "a", revs[0]);
	EXPECT_TRUE(v.v[0]->res->has_spec);
	EXPECT_TRUE(cosi_kvs_equal(&l1, &v.v[0]->res->labels));
	EXPECT_EVENT(v.v[1], 0, UPDATED, "a", revs[1]);
	EXPECT_TRUE(cosi_kvs_equal(&l1, &v.v[1]->old_labels));
	EXPECT_STREQ("a2", cosi_spec_get(&v.v[1]->res->spec, "name")->str);
	/* A sensitive type's events leave the spec out. */
	EXPECT_EQ(0, v.v[2]->watch_id);
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, v.v[2]->kind);
	EXPECT_STREQ("secrets", v.v[2]->res->type);
	EXPECT_STREQ("s", v.v[2]->res->id);
	EXPECT_EQ(revs[2], v.v[2]->revision);
	EXPECT_FALSE(v.v[2]->res->has_spec);
	EXPECT_EQ(0, v.v[2]->res->spec.n);
	EXPECT_EVENT(v.v[3], 0, DESTROYED, "a", revs[3]);
	EXPECT_EQ(0, recv_quiet(m, 200));
	/* A socket not in the group gets nothing. */
	EXPECT_EQ(0, recv_quiet(self->w, 100));
	cosi_event_vec_clear(&v);
	cosi_kvs_clear(&l1);
	cosi_close(m);
}

TEST_F(watch, closed_watcher_does_not_disturb)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi *gone;
	int i;

	COSI_OPEN(gone);
	ASSERT_COSI_OK(gone, cosi_watch(gone, &wr, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, NULL,
					   NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, NULL));
	cosi_close(gone);
	for (i = 0; i < 10; i++)
		ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a",
						      i % 2 ? "x" : "y", NULL,
						      NULL));
	ASSERT_EQ(0, recv_n(self->w, &v, 11, 5000));
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, v.v[0]->kind);
	EXPECT_EQ(11, v.v[10]->res->version);
	cosi_event_vec_clear(&v);
}

TEST_HARNESS_MAIN
