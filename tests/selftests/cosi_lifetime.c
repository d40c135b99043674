// SPDX-License-Identifier: GPL-2.0
/*
 * Object lifetimes and message sizes at their limits: the history ring
 * evicting the last reference to a collection, definitions and update
 * events as large as the limits allow, in replies, dumps and watch
 * replays, and the history and watchers' queues bounded by bytes.
 *
 * Memory errors here are found by the kernel, not by assertions: the
 * VM runner fails the run on any KASAN, slub_debug ("Poison overwritten")
 * or leak report, and cosi.ko reports objects leaked at unload.  The
 * assertions check that the store still answers correctly afterwards.
 */
#include <poll.h>
#include <sys/socket.h>

#include "cosi_test.h"

#define TYPE_A	"uaf-a.cosi.dev"
#define TYPE_B	"uaf-b.cosi.dev"

FIXTURE(life) {
	long params[COSI_NPARAMS];
	struct cosi *c;
};

FIXTURE_SETUP(life)
{
	params_save(self->params);
	self->c = NULL;
}

FIXTURE_TEARDOWN(life)
{
	cosi_close(self->c);
	params_restore(self->params);
}

/* A new netns with history_size @hist (read at netns setup) and A, B. */
static void life_begin(struct __test_metadata *_metadata,
		       FIXTURE_DATA(life) *self, long hist)
{
	PARAM_SET("history_size", hist);
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, TYPE_A, 0));
	ASSERT_COSI_OK(self->c, widget_define(self->c, TYPE_B, 0));
}

static int create_n(struct cosi *c, int round, int first, int n)
{
	char id[32];
	int i, err;

	for (i = first; i < first + n; i++) {
		snprintf(id, sizeof(id), "r%d-%d", round, i);
		err = widget_create(c, TYPE_B, id, NULL, NULL);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The destroy of A's only resource evicts the history slot holding A's
 * create event: the destroy event must take its reference to A's
 * collection before that slot drops the last one.
 */
static void evict_last_ref(struct __test_metadata *_metadata,
			   FIXTURE_DATA(life) *self, long hist, int rounds)
{
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = TYPE_B);
	struct cosi_resources l = { 0 };
	struct cosi_resource *r = NULL;
	int round;

	for (round = 0; round < rounds; round++) {
		ASSERT_COSI_OK(self->c, widget_create(self->c, TYPE_A, "x",
						      NULL, NULL));
		ASSERT_COSI_OK(self->c, create_n(self->c, round, 0, hist - 1));
		ASSERT_COSI_OK(self->c, widget_destroy(self->c, TYPE_A, "x",
						       NULL));
		ASSERT_COSI_OK(self->c, create_n(self->c, round, hist - 1, 40));
	}
	/* A's collection comes back, B holds everything written. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, TYPE_A, "y", NULL, &r));
	EXPECT_EQ(1, r->version);
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &q, &l));
	EXPECT_EQ((size_t)rounds * (hist - 1 + 40), l.n);
	cosi_resources_clear(&l);
}

TEST_F(life, history_evicts_last_collection_ref)
{
	life_begin(_metadata, self, 16);
	evict_last_ref(_metadata, self, 16, 20);
}

TEST_F_TIMEOUT(life, default_history_evicts_last_collection_ref, 300)
{
	long hist = param_get("history_size");

	ASSERT_GT(hist, 0);
	life_begin(_metadata, self, hist);
	evict_last_ref(_metadata, self, hist, 2);
}

/* A watcher replaying across the eviction holds its own references. */
TEST_F(life, replay_across_eviction)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = TYPE_A, .has_since = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;

	life_begin(_metadata, self, 16);
	ASSERT_COSI_OK(self->c, widget_create(self->c, TYPE_A, "x", NULL, &r));
	wr.since_revision = r->revision - 1;
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, TYPE_A, "x", NULL));
	ASSERT_COSI_OK(self->c, cosi_watch(self->c, &wr, cosi_event_vec_push,
					   &v, NULL, NULL));
	ASSERT_EQ(3, v.n);
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, v.v[0]->kind);
	EXPECT_EQ(COSI_EVENT_KIND_DESTROYED, v.v[1]->kind);
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, v.v[2]->kind);
	cosi_event_vec_clear(&v);
	/* Both events leave the history; A's collection goes with them. */
	ASSERT_COSI_OK(self->c, create_n(self->c, 0, 0, 40));
	wr.since_revision = 0;
	EXPECT_COSI_ERR(self->c, ENODATA,
			cosi_watch(self->c, &wr, cosi_event_vec_push, &v,
				   NULL, NULL));
	cosi_event_vec_clear(&v);
}

/* A definition at every limit: 16 aliases, 64 fields, 16 columns. */
static int def_max(struct cosi *c, char tag, struct cosi_definition **out)
{
	struct cosi_definition *d = NULL;
	char name[128];
	int i, err;

	memset(name, tag, 127);
	name[127] = '\0';
	d = cosi_def_new(name);
	err = d ? 0 : -ENOMEM;
	if (!err)
		err = cosi_def_set_default_ns(d, str_of(tag, 63));
	for (i = 0; !err && i < 16; i++) {
		snprintf(name, sizeof(name), "%c%02d%s", tag, i, str_of('a', 124));
		err = cosi_def_add_alias(d, name);
	}
	for (i = 0; !err && i < 64; i++) {
		snprintf(name, sizeof(name), "f%02d%s", i, str_of('f', 60));
		err = cosi_def_add_field(d, name, COSI_FIELD_TYPE_STRING, true);
	}
	for (i = 0; !err && i < 16; i++) {
		char field[64];

		snprintf(name, sizeof(name), "c%02d%s", i, str_of('c', 60));
		snprintf(field, sizeof(field), "f%02d%s", i, str_of('f', 60));
		err = cosi_def_add_column(d, name, field);
	}
	if (!err)
		err = cosi_definition_set(c, d, out);
	cosi_definition_free(d);
	return err;
}

TEST_F(life, largest_definitions)
{
	struct cosi_definition *got = NULL;
	struct cosi_definitions l = { 0 };
	size_t i, big = 0;

	life_begin(_metadata, self, 16);
	/* The reply to the set carries it whole. */
	ASSERT_COSI_OK(self->c, def_max(self->c, 'x', &got));
	EXPECT_EQ(16, got->aliases.n);
	EXPECT_EQ(64, got->n_fields);
	EXPECT_EQ(16, got->n_columns);
	cosi_definition_free(got);
	ASSERT_COSI_OK(self->c, def_max(self->c, 'y', NULL));
	ASSERT_COSI_OK(self->c, def_max(self->c, 'z', NULL));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, str_of('y', 127),
						    &got));
	EXPECT_EQ(64, got->n_fields);
	cosi_definition_free(got);

	/* The dump carries every one of them, none cut short. */
	ASSERT_COSI_OK(self->c, cosi_definition_list(self->c, &l));
	EXPECT_EQ(5, l.n);
	for (i = 0; i < l.n; i++) {
		if (l.v[i]->n_fields != 64)
			continue;
		big++;
		EXPECT_EQ(16, l.v[i]->aliases.n);
		EXPECT_EQ(16, l.v[i]->n_columns);
	}
	EXPECT_EQ(3, big);
	cosi_definitions_clear(&l);
}

/* @n labels "k<i><tag...>" = 200-byte values; about 270 bytes each. */
static struct cosi_kvs labels_of(char tag, int n)
{
	struct cosi_kvs kvs = { 0 };
	char key[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%02d%s", i, str_of(tag, 40));
		cosi_kvs_add(&kvs, key, str_of(tag, 200));
	}
	return kvs;
}

static int big_update(struct cosi *c, bool create, const char *id,
		      const struct cosi_kvs *labels, size_t blob_len,
		      struct cosi_resource **out)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = TYPE_A, .id = id, .labels = labels,
		.spec = &spec,
	);
	void *blob = calloc(1, blob_len);
	int err;

	if (!blob)
		return -ENOMEM;
	err = cosi_spec_add_string(&spec, "name", id);
	if (!err)
		err = cosi_spec_add_bytes(&spec, "blob", blob, blob_len);
	if (!err)
		err = create ? cosi_resource_create(c, &r, out) :
			       cosi_resource_update(c, &r, out);
	cosi_spec_clear(&spec);
	free(blob);
	return err;
}

/*
 * An update event carries the previous version's labels: a version
 * counts its labels twice against the message bound, so every event of
 * it fits one message, also when replayed through the watch dump.
 */
TEST_F(life, update_event_with_old_labels)
{
	struct cosi_kvs a = labels_of('a', 40), b = labels_of('b', 40);
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = TYPE_A, .has_since = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;

	life_begin(_metadata, self, 16);
	/* ~11 KiB of labels, twice, and 18 KiB of spec: too large. */
	EXPECT_COSI_ERR(self->c, E2BIG,
			big_update(self->c, true, "x", &a, 18000, NULL));
	EXPECT_NE(NULL, strstr(cosi_last_error(self->c)->msg, "too large"))
		TH_LOG("extack: %s", cosi_last_error(self->c)->msg);
	ASSERT_COSI_OK(self->c, big_update(self->c, true, "x", &a, 8000, &r));
	wr.since_revision = r->revision;
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, big_update(self->c, false, "x", &b, 8000, NULL));

	ASSERT_COSI_OK(self->c, cosi_watch(self->c, &wr, cosi_event_vec_push,
					   &v, NULL, NULL));
	ASSERT_EQ(2, v.n);
	EXPECT_EQ(COSI_EVENT_KIND_UPDATED, v.v[0]->kind);
	EXPECT_TRUE(v.v[0]->has_old_labels);
	EXPECT_TRUE(cosi_kvs_equal(&a, &v.v[0]->old_labels));
	EXPECT_TRUE(cosi_kvs_equal(&b, &v.v[0]->res->labels));
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, v.v[1]->kind);
	cosi_event_vec_clear(&v);
	cosi_kvs_clear(&a);
	cosi_kvs_clear(&b);
}

/* The history holds a bounded number of bytes, not only of events. */
TEST_F(life, history_bounded_by_bytes)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = TYPE_A, .has_since = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;
	uint64_t revs[30];
	char id[16];
	int i;

	PARAM_SET("history_bytes", 64 << 10);
	life_begin(_metadata, self, 4096);
	for (i = 0; i < 30; i++) {
		snprintf(id, sizeof(id), "b%02d", i);
		ASSERT_COSI_OK(self->c, big_update(self->c, true, id, NULL,
						   4000, &r));
		revs[i] = r->revision;
		cosi_resource_free(r);
	}
	/* 30 events of ~4 KiB: the oldest left the 64 KiB history. */
	wr.since_revision = revs[0];
	EXPECT_COSI_ERR(self->c, ENODATA,
			cosi_watch(self->c, &wr, cosi_event_vec_push, &v,
				   NULL, NULL));
	cosi_event_vec_clear(&v);
	/* The newest are still there. */
	wr.since_revision = revs[24];
	ASSERT_COSI_OK(self->c, cosi_watch(self->c, &wr, cosi_event_vec_push,
					   &v, NULL, NULL));
	ASSERT_EQ(6, v.n);
	EXPECT_EQ(revs[25], v.v[0]->revision);
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, v.v[5]->kind);
	cosi_event_vec_clear(&v);
}

/*
 * Read @fd (a libcosi handle's socket, bypassing libcosi) until a dump
 * ends: 0 for a complete dump, its negative errno, or -ETIMEDOUT.
 */
static int dump_end(int fd, int ms)
{
	static char buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh;
	ssize_t n;
	int left;

	for (left = ms / 50; left > 0; left--) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_DONE)
				return *(int *)NLMSG_DATA(nlh);
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
		}
	}
	return -ETIMEDOUT;
}

/*
 * A watcher that does not read its watch's dump queues the events it
 * must still see; that queue is bounded by bytes like the history, and
 * the watch then stops with ENOBUFS instead of pinning the writers'
 * versions.
 */
TEST_F(life, pending_queue_bounded_by_bytes)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = TYPE_A, .has_since = true,
	);
	struct cosi_resource *r = NULL;
	struct nl_msg *m;
	struct cosi *w;
	char id[16];
	int i;

	PARAM_SET("history_bytes", 64 << 10);
	life_begin(_metadata, self, 4096);
	COSI_OPEN(w);
	ASSERT_COSI_OK(self->c, big_update(self->c, true, "first", NULL, 100,
					   &r));
	wr.since_revision = r->revision;
	cosi_resource_free(r);
	/* Started, not read: the watch is not live, events queue up. */
	m = cosi_msg_new(w, COSI_CMD_WATCH, NLM_F_DUMP);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, cosi_put_watch_req(m, &wr));
	ASSERT_EQ(0, cosi_send_raw(w, m));
	for (i = 0; i < 30; i++) {
		snprintf(id, sizeof(id), "q%02d", i);
		ASSERT_COSI_OK(self->c, big_update(self->c, true, id, NULL,
						   4000, NULL));
	}
	/* The dump (its marker sent already) ends with the overflow. */
	EXPECT_EQ(-ENOBUFS, dump_end(cosi_fd(w), 5000));
	cosi_close(w);
}

TEST_HARNESS_MAIN
