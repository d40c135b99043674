// SPDX-License-Identifier: GPL-2.0
/*
 * Watches with an id filter, which the kernel indexes by (collection, id)
 * so that a change visits only the watches of its id, and events rendered
 * once per change and copied to each watcher: every watch gets exactly
 * its id's events (create, update, destroy, a label query's transitions),
 * in revision order, with its own watch id; a resumed watch replays only
 * its id; a socket that overflows does not disturb the others; stopping
 * watches, closing a socket and a netns exit with many indexed watches
 * (run under KASAN to show no use after free).
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "cosi_test.h"

FIXTURE(windex) {
	struct cosi *c;		/* the writer */
	struct cosi *w;		/* a watcher */
	struct cosi *w2;	/* another watcher */
	long params[COSI_NPARAMS];
};

FIXTURE_SETUP(windex)
{
	params_save(self->params);
	NEW_NETNS();
	COSI_OPEN(self->c);
	COSI_OPEN(self->w);
	COSI_OPEN(self->w2);
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET, 0));
}

FIXTURE_TEARDOWN(windex)
{
	cosi_close(self->w2);
	cosi_close(self->w);
	cosi_close(self->c);
	params_restore(self->params);
}

/* An expected event: watch, kind, id, revision (0: any). */
struct exp {
	uint32_t wid;
	uint32_t kind;
	const char *id;
	uint64_t rev;
};

/*
 * @v holds exactly the events of @e (@n of them): per watch, the same
 * ones in the same order; across watches, any interleaving.
 */
static void expect_events(struct __test_metadata *_metadata,
			  const struct cosi_event_vec *v,
			  const struct exp *e, size_t n)
{
	size_t i, j, k;

	ASSERT_EQ(n, v->n);
	for (i = 0; i < n; i++) {
		/* The k-th event of e[i]'s watch is the k-th in @v too. */
		for (k = 0, j = 0; j < i; j++)
			k += e[j].wid == e[i].wid;
		for (j = 0; j < v->n; j++) {
			if (v->v[j]->watch_id != e[i].wid)
				continue;
			if (!k--)
				break;
		}
		ASSERT_LT(j, v->n) TH_LOG("watch %u: event %zu missing",
					   e[i].wid, i);
		EXPECT_STREQ(cosi_event_kind_name(e[i].kind),
			     cosi_event_kind_name(v->v[j]->kind))
			TH_LOG("watch %u, event %zu (%s)", e[i].wid, i, e[i].id);
		EXPECT_STREQ(e[i].id, v->v[j]->res->id)
			TH_LOG("watch %u, event %zu", e[i].wid, i);
		if (e[i].rev)
			EXPECT_EQ(e[i].rev, v->v[j]->revision)
				TH_LOG("watch %u, event %zu (%s)", e[i].wid, i,
				       e[i].id);
	}
}

#define C COSI_EVENT_KIND_CREATED
#define U COSI_EVENT_KIND_UPDATED
#define D COSI_EVENT_KIND_DESTROYED

static uint64_t res_rev(struct cosi_resource *r)
{
	uint64_t rev = r ? r->revision : 0;

	cosi_resource_free(r);
	return rev;
}

/*
 * Watches on ids a and b, on no id, twice on a (two sockets), on an id
 * never written, and on id a of another type and of another namespace:
 * each gets exactly its own.
 */
TEST_F(windex, exact_ids)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };
	uint32_t wa, wb, wall, wa2, wzz, wg, wo;
	struct cosi_resource *r;
	uint64_t rev[10];

	ASSERT_COSI_OK(self->c, widget_define(self->c, "gadgets", 0));
	wr.id = "a";
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, &wa, NULL));
	wr.id = "b";
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, &wb, NULL));
	wr.id = NULL;
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, &wall,
					   NULL));
	wr.id = "a";
	ASSERT_COSI_OK(self->w2, cosi_watch(self->w2, &wr, NULL, NULL, &wa2,
					    NULL));
	wr.id = "zz";
	ASSERT_COSI_OK(self->w2, cosi_watch(self->w2, &wr, NULL, NULL, &wzz,
					    NULL));
	wr.id = "a";
	wr.type = "gadgets";
	ASSERT_COSI_OK(self->w2, cosi_watch(self->w2, &wr, NULL, NULL, &wg,
					    NULL));
	wr.type = WIDGET;
	wr.ns = "other";
	ASSERT_COSI_OK(self->w2, cosi_watch(self->w2, &wr, NULL, NULL, &wo,
					    NULL));

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, &r));
	rev[0] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b", NULL, &r));
	rev[1] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "c", NULL, &r));
	rev[2] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", NULL,
					      &r));
	rev[3] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "c", "c2", NULL,
					      &r));
	rev[4] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "b", &rev[5]));
	ASSERT_COSI_OK(self->c, widget_create(self->c, "gadgets", "a", NULL,
					      &r));
	rev[6] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_create_ns(self->c, "other", WIDGET, "a",
						 "a", NULL, &r));
	rev[7] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "a", &rev[8]));

	{
		const struct exp e[] = {
			{ wa, C, "a", rev[0] }, { wa, U, "a", rev[3] },
			{ wa, D, "a", rev[8] },
			{ wb, C, "b", rev[1] }, { wb, D, "b", rev[5] },
			{ wall, C, "a", rev[0] }, { wall, C, "b", rev[1] },
			{ wall, C, "c", rev[2] }, { wall, U, "a", rev[3] },
			{ wall, U, "c", rev[4] }, { wall, D, "b", rev[5] },
			{ wall, D, "a", rev[8] },
		};

		ASSERT_EQ(0, recv_n(self->w, &v, 12, 5000));
		expect_events(_metadata, &v, e, 12);
		EXPECT_EQ(0, recv_quiet(self->w, 200));
		cosi_event_vec_clear(&v);
	}
	{
		const struct exp e[] = {
			{ wa2, C, "a", rev[0] }, { wa2, U, "a", rev[3] },
			{ wa2, D, "a", rev[8] },
			{ wg, C, "a", rev[6] }, { wo, C, "a", rev[7] },
		};

		ASSERT_EQ(0, recv_n(self->w2, &v, 5, 5000));
		expect_events(_metadata, &v, e, 5);
		EXPECT_EQ(0, recv_quiet(self->w2, 200));
		cosi_event_vec_clear(&v);
	}
	(void)wzz;
}

/* An id filter with a label query: moves into and out of it. */
TEST_F(windex, id_and_label_query)
{
	struct cosi_kvs prod = kvs_make("env", "prod", NULL);
	struct cosi_kvs dev = kvs_make("env", "dev", NULL);
	const struct cosi_term t[] = {
		{ .key = "env", .op = COSI_LABEL_OP_EQUAL,
		  .values = (const char *const[]){ "prod" }, .n_values = 1 },
	};
	const struct cosi_query q = { t, 1 };
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .queries = &q,
		.n_queries = 1,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r;
	uint32_t wx, wy, wxall;
	uint64_t rev[8];

	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, &wx, NULL));
	wr.id = "y";
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, &wy, NULL));
	/* Same id, no query: sees every change of x. */
	wr.id = "x";
	wr.n_queries = 0;
	wr.queries = NULL;
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL, &wxall,
					   NULL));

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", &dev, &r));
	rev[0] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "x", "x", &prod,
					      &r));
	rev[1] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "x", "x2", NULL,
					      &r));
	rev[2] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "x", "x2", &dev,
					      &r));
	rev[3] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "y", &prod, &r));
	rev[4] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "z", &prod, &r));
	rev[5] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "x", &rev[6]));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "y", &rev[7]));

	{
		const struct exp e[] = {
			{ wx, C, "x", rev[1] }, { wx, U, "x", rev[2] },
			{ wx, D, "x", rev[3] },
			{ wy, C, "y", rev[4] }, { wy, D, "y", rev[7] },
			{ wxall, C, "x", rev[0] }, { wxall, U, "x", rev[1] },
			{ wxall, U, "x", rev[2] }, { wxall, U, "x", rev[3] },
			{ wxall, D, "x", rev[6] },
		};
		size_t i;

		ASSERT_EQ(0, recv_n(self->w, &v, 10, 5000));
		expect_events(_metadata, &v, e, 10);
		for (i = 0; i < v.n; i++) {
			const struct cosi_event *ev = v.v[i];

			/* Old labels ride with updates, only with them. */
			EXPECT_EQ(ev->kind == U, ev->has_old_labels);
			if (ev->watch_id == wx && ev->kind == U)
				EXPECT_TRUE(cosi_kvs_equal(&prod,
							   &ev->old_labels));
			if (ev->watch_id == wxall && ev->revision == rev[1])
				EXPECT_TRUE(cosi_kvs_equal(&dev,
							   &ev->old_labels));
			if (ev->watch_id == wx && ev->kind == D)
				EXPECT_TRUE(cosi_kvs_equal(&dev,
							   &ev->res->labels));
		}
		EXPECT_EQ(0, recv_quiet(self->w, 200));
		cosi_event_vec_clear(&v);
	}
	cosi_kvs_clear(&prod);
	cosi_kvs_clear(&dev);
}

/* Resuming from a revision replays the watch's id only, then live. */
TEST_F(windex, resume_replays_own_id)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .id = "a", .has_since = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r;
	uint64_t rev[5];
	uint32_t wid;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, &r));
	rev[0] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b", NULL, &r));
	rev[1] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", NULL,
					      &r));
	rev[2] = res_rev(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "b", "b2", NULL,
					      &r));
	rev[3] = res_rev(r);
	wr.since_revision = rev[0];
	ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, cosi_event_vec_push,
					   &v, &wid, NULL));
	ASSERT_EQ(2, v.n);
	EXPECT_EQ(U, v.v[0]->kind);
	EXPECT_EQ(rev[2], v.v[0]->revision);
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, v.v[1]->kind);
	cosi_event_vec_clear(&v);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "b", "b3", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "a", &rev[4]));
	ASSERT_EQ(0, recv_n(self->w, &v, 1, 5000));
	EXPECT_EQ(wid, v.v[0]->watch_id);
	EXPECT_EQ(D, v.v[0]->kind);
	EXPECT_EQ(rev[4], v.v[0]->revision);
	EXPECT_EQ(0, recv_quiet(self->w, 200));
	cosi_event_vec_clear(&v);
}

#define NIDS	200
#define ROUNDS	5

struct counter {
	uint32_t base;		/* first watch id of the socket */
	uint64_t last_rev[NIDS];
	uint64_t last_ver[NIDS];
	size_t got[NIDS];
	char bad[256];
};

/*
 * Every event of watch i (ids r0..r<NIDS-1>, watch ids consecutive per
 * socket) is for id r<i>, with growing revisions and versions.
 */
static void count_event(struct cosi_event *ev, void *arg)
{
	struct counter *k = arg;
	uint32_t i = ev->watch_id - k->base;
	char id[16];

	snprintf(id, sizeof(id), "r%u", i);
	if (i >= NIDS || strcmp(ev->res->id, id) ||
	    ev->revision <= k->last_rev[i] ||
	    ev->res->version != k->last_ver[i] + 1) {
		if (!k->bad[0])
			snprintf(k->bad, sizeof(k->bad),
				 "watch %u: %s version %llu revision %llu",
				 ev->watch_id, ev->res->id,
				 (unsigned long long)ev->res->version,
				 (unsigned long long)ev->revision);
	} else {
		k->last_rev[i] = ev->revision;
		k->last_ver[i] = ev->res->version;
		k->got[i]++;
	}
	cosi_event_free(ev);
}

static void watch_ids(struct __test_metadata *_metadata, struct cosi *c,
		      uint32_t *base)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	char id[16];
	uint32_t wid, i;

	for (i = 0; i < NIDS; i++) {
		snprintf(id, sizeof(id), "r%u", i);
		wr.id = id;
		ASSERT_COSI_OK(c, cosi_watch(c, &wr, NULL, NULL, &wid, NULL));
		if (!i)
			*base = wid;
		ASSERT_EQ(*base + i, wid);
	}
}

/*
 * Three sockets, each with a watch on each of NIDS ids; one never reads
 * and overflows.  The other two get every event of every id, in order.
 */
TEST_F_TIMEOUT(windex, one_socket_overflows, 300)
{
	struct counter *k1 = calloc(1, sizeof(*k1));
	struct counter *k2 = calloc(1, sizeof(*k2));
	struct cosi *slow;
	char id[16], name[16];
	uint32_t slow_base, i, r;
	int ret;

	ASSERT_NE(NULL, k1);
	ASSERT_NE(NULL, k2);
	COSI_OPEN(slow);
	watch_ids(_metadata, self->w, &k1->base);
	watch_ids(_metadata, slow, &slow_base);
	watch_ids(_metadata, self->w2, &k2->base);
	ASSERT_EQ(0, cosi_set_rcvbuf(self->w, 16 << 20));
	ASSERT_EQ(0, cosi_set_rcvbuf(self->w2, 16 << 20));
	ASSERT_EQ(0, cosi_set_rcvbuf(slow, 4096));

	for (i = 0; i < NIDS; i++) {
		snprintf(id, sizeof(id), "r%u", i);
		ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, id, NULL,
						      NULL));
	}
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NIDS; i++) {
			snprintf(id, sizeof(id), "r%u", i);
			snprintf(name, sizeof(name), "n%u", r);
			ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET,
							      id, name, NULL,
							      NULL));
		}
		/* Read between rounds: the test is the slow one's. */
		while ((ret = cosi_watch_recv(self->w, 0, count_event, k1)) > 0)
			;
		ASSERT_EQ(0, ret);
		while ((ret = cosi_watch_recv(self->w2, 0, count_event, k2)) > 0)
			;
		ASSERT_EQ(0, ret);
	}
	for (i = 0; i < NIDS; i++) {
		ASSERT_EQ(ROUNDS + 1, k1->got[i]) TH_LOG("r%u: %s", i, k1->bad);
		ASSERT_EQ(ROUNDS + 1, k2->got[i]) TH_LOG("r%u: %s", i, k2->bad);
	}
	EXPECT_STREQ("", k1->bad);
	EXPECT_STREQ("", k2->bad);

	/*
	 * The slow one: ENOBUFS (reported before what is queued), what
	 * fitted, then nothing.
	 */
	do {
		ret = cosi_watch_recv(slow, 200, NULL, NULL);
	} while (ret > 0);
	EXPECT_EQ(-ENOBUFS, ret);
	while ((ret = cosi_watch_recv(slow, 0, NULL, NULL)) > 0)
		;
	EXPECT_EQ(0, ret);
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "r7", "late",
					      NULL, NULL));
	EXPECT_EQ(0, recv_quiet(slow, 200));
	while (k1->got[7] == ROUNDS + 1 &&
	       cosi_watch_recv(self->w, 2000, count_event, k1) > 0)
		;
	EXPECT_EQ(ROUNDS + 2, k1->got[7]);
	while (k2->got[7] == ROUNDS + 1 &&
	       cosi_watch_recv(self->w2, 2000, count_event, k2) > 0)
		;
	EXPECT_EQ(ROUNDS + 2, k2->got[7]);
	EXPECT_EQ(0, recv_quiet(self->w, 100));
	/* Its watches are gone: their slots are free again. */
	watch_ids(_metadata, slow, &slow_base);
	cosi_close(slow);
	free(k1);
	free(k2);
}

/*
 * Stopping some of many watches on one id, then closing their socket:
 * the others of the bucket keep their events (KASAN: no use after free).
 */
TEST_F(windex, stop_and_close)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET, .id = "a");
	struct cosi_event_vec v = { 0 };
	uint32_t wids[100], keep, i;
	char id[16];

	for (i = 0; i < 100; i++)
		ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL,
						   &wids[i], NULL));
	for (i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "b%u", i);
		wr.id = id;
		ASSERT_COSI_OK(self->w, cosi_watch(self->w, &wr, NULL, NULL,
						   NULL, NULL));
	}
	wr.id = "a";
	ASSERT_COSI_OK(self->w2, cosi_watch(self->w2, &wr, NULL, NULL, &keep,
					    NULL));
	ASSERT_EQ(0, cosi_set_rcvbuf(self->w, 1 << 20));
	for (i = 0; i < 100; i += 2)
		ASSERT_COSI_OK(self->w, cosi_watch_stop(self->w, wids[i]));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b3", NULL,
					      NULL));
	ASSERT_EQ(0, recv_n(self->w, &v, 51, 5000));
	for (i = 0; i < 50; i++) {
		uint32_t j;

		EXPECT_EQ(C, v.v[i]->kind);
		EXPECT_STREQ("a", v.v[i]->res->id);
		/* A watch not stopped, once. */
		for (j = 1; j < 100; j += 2)
			if (wids[j] == v.v[i]->watch_id)
				break;
		ASSERT_GT(100, j) TH_LOG("event for watch %u",
					 v.v[i]->watch_id);
		wids[j] = 0;
	}
	EXPECT_STREQ("b3", v.v[50]->res->id);
	EXPECT_EQ(0, recv_quiet(self->w, 200));
	cosi_event_vec_clear(&v);

	/* Close with 150 watches left; the bucket's other watch stays. */
	cosi_close(self->w);
	self->w = NULL;
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "b3", "b", NULL,
					      NULL));
	ASSERT_EQ(0, recv_n(self->w2, &v, 2, 5000));
	EXPECT_EQ(keep, v.v[0]->watch_id);
	EXPECT_EQ(C, v.v[0]->kind);
	EXPECT_EQ(U, v.v[1]->kind);
	EXPECT_EQ(0, recv_quiet(self->w2, 200));
	cosi_event_vec_clear(&v);
}

/*
 * A child fills its own netns with indexed watches, some mid-dump, some
 * live, and exits without closing anything: the netns goes with them.
 */
TEST_F_TIMEOUT(windex, netns_exit, 120)
{
	int status, round;

	for (round = 0; round < 3; round++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			COSI_OPTS(cosi_watch_req, wr,
				.ns = TEST_NS, .type = WIDGET,
			);
			struct cosi *c, *w;
			char id[16];
			int i;

			if (unshare(CLONE_NEWNET))
				_exit(2);
			c = cosi_open();
			w = cosi_open();
			if (!c || !w || widget_define(c, WIDGET, 0))
				_exit(3);
			for (i = 0; i < 200; i++) {
				snprintf(id, sizeof(id), "r%d", i % 50);
				wr.id = id;
				if (cosi_watch(w, &wr, NULL, NULL, NULL, NULL))
					_exit(4);
				if (i < 50 && widget_create(c, WIDGET, id, NULL,
							    NULL))
					_exit(5);
			}
			for (i = 0; i < 50; i++) {
				snprintf(id, sizeof(id), "r%d", i);
				if (widget_update(c, WIDGET, id, "x", NULL,
						  NULL))
					_exit(6);
			}
			_exit(0);	/* sockets, netns: all at once */
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	/* This netns still works. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "after", NULL,
					      NULL));
}

TEST_HARNESS_MAIN
