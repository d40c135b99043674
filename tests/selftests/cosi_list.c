// SPDX-License-Identifier: GPL-2.0
/*
 * cosi_list() and cosi_write_batch() (libcosi 1.1.0) against cosi.ko:
 * a list of resources with large labels over many datagrams reads the
 * same as cosi_resource_list(), its strings stay valid until it is freed
 * (after more requests, after the handle is closed), and its memory goes
 * at once; batched writes answer each write with its version and
 * revision, failures where they happened, refusals without sending.
 * Built twice: plain, and with ASan/UBSan (cosi_list_san, run in the VM
 * too), which checks the arena's and the receive path's memory.
 */
#include <malloc.h>

#include <fcntl.h>

#include "cosi_test.h"

#define BIG		"bigs"
#define NR_BIG		400
#define NR_LABELS	16

static void big_id(char *id, size_t len, int i)
{
	snprintf(id, len, "b%04d", i);
}

/* Resource @i: 16 labels of 255 bytes (about 4.5 KiB per message). */
static int big_create(struct cosi *c, int i)
{
	static const char *const tags[] = { "t1", "", "t3" };
	struct cosi_kvs labels = { 0 }, ann = kvs_make("note", "n", NULL);
	struct cosi_strs fin = strs_make("hold", NULL);
	struct cosi_spec spec = { 0 };
	char id[16], key[16], val[256];
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = BIG, .id = id,
		  .labels = &labels, .annotations = &ann, .spec = &spec);
	COSI_OPTS(cosi_req, f, .ns = TEST_NS, .type = BIG, .id = id,
		  .finalizers = &fin);
	uint8_t blob[3] = { 0, (uint8_t)i, 255 };
	int k, err = 0;

	big_id(id, sizeof(id), i);
	for (k = 0; !err && k < NR_LABELS; k++) {
		snprintf(key, sizeof(key), "k%02d", k);
		memset(val, 'a' + (i + k) % 26, 255);
		val[255] = '\0';
		err = cosi_kvs_add(&labels, key, val);
	}
	err = err ?: cosi_spec_add_string(&spec, "name", id) ?:
	      cosi_spec_add_u64(&spec, "mtu", 1000 + i) ?:
	      cosi_spec_add_s64(&spec, "offset", -i) ?:
	      cosi_spec_add_bool(&spec, "enabled", i % 2) ?:
	      cosi_spec_add_bytes(&spec, "blob", blob, sizeof(blob)) ?:
	      cosi_spec_add_strings(&spec, "tags", tags, 3) ?:
	      cosi_resource_create(c, &r, NULL);
	if (!err && i % 3 == 0)
		err = cosi_finalizer_add(c, &f, NULL);
	cosi_kvs_clear(&labels);
	cosi_kvs_clear(&ann);
	cosi_strs_clear(&fin);
	cosi_spec_clear(&spec);
	return err;
}

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

/* Every field of @a equals @b's. */
static bool res_equal(const struct cosi_resource *a,
		      const struct cosi_resource *b)
{
	return !strcmp(a->ns, b->ns) && !strcmp(a->type, b->type) &&
	       !strcmp(a->id, b->id) && !strcmp(a->owner, b->owner) &&
	       a->version == b->version && a->phase == b->phase &&
	       a->created == b->created && a->updated == b->updated &&
	       a->revision == b->revision && a->has_spec == b->has_spec &&
	       a->destroy_ready == b->destroy_ready &&
	       a->has_writer_caps == b->has_writer_caps &&
	       a->writer_caps == b->writer_caps &&
	       cosi_kvs_equal(&a->labels, &b->labels) &&
	       cosi_kvs_equal(&a->annotations, &b->annotations) &&
	       strs_equal(&a->finalizers, &b->finalizers) &&
	       cosi_spec_equal(&a->spec, &b->spec);
}

FIXTURE(list) {
	struct cosi *c;
};

FIXTURE_SETUP(list)
{
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, BIG, 0));
}

FIXTURE_TEARDOWN(list)
{
	cosi_close(self->c);
}

/* Many datagrams (16 per recvmmsg() at most): the same as the old list. */
TEST_F_TIMEOUT(list, same_as_resource_list, 300)
{
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = BIG);
	struct cosi_resources old;
	struct cosi_list *l = NULL;
	char id[16];
	size_t i;

	for (i = 0; i < NR_BIG; i++)
		ASSERT_COSI_OK(self->c, big_create(self->c, i));
	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &l));
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &q, &old));
	ASSERT_EQ(NR_BIG, l->n);
	ASSERT_EQ(NR_BIG, old.n);
	EXPECT_FALSE(l->intr);
	for (i = 0; i < NR_BIG; i++) {
		big_id(id, sizeof(id), i);
		ASSERT_STREQ(id, l->v[i]->id);
		ASSERT_EQ(NR_LABELS, l->v[i]->labels.n);
		ASSERT_EQ(255, strlen(l->v[i]->labels.v[NR_LABELS - 1].value));
		ASSERT_EQ(i % 3 == 0, l->v[i]->finalizers.n);
		ASSERT_EQ(6, l->v[i]->spec.n);
		ASSERT_TRUE(res_equal(old.v[i], l->v[i])) TH_LOG("%s", id);
	}
	cosi_resources_clear(&old);
	cosi_list_free(l);

	/* A filter; nothing matching: an empty list, not NULL. */
	q.id_prefix = "b001";		/* b0010 .. b0019 */
	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &l));
	EXPECT_EQ(10, l->n);
	cosi_list_free(l);
	q.id_prefix = "zz";
	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &l));
	ASSERT_NE(NULL, l);
	EXPECT_EQ(0, l->n);
	cosi_list_free(l);
	cosi_list_free(NULL);
}

/*
 * Lists ask for compact entries (no namespace, type or attribute at its
 * default): each entry of both list calls, its namespace and type put
 * back, equals a get of the same resource (full), whether it is bare or
 * not, owned or not, running or tearing down.
 */
TEST_F_TIMEOUT(list, compact_entries_equal_gets, 300)
{
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = BIG);
	COSI_OPTS(cosi_req, td, .ns = TEST_NS, .type = BIG, .id = "b0000");
	struct cosi_resources old;
	struct cosi_list *l = NULL;
	struct cosi_resource *g;
	struct cosi *own;
	size_t i;

	ASSERT_COSI_OK(self->c, big_create(self->c, 0));	/* finalizer */
	ASSERT_COSI_OK(self->c, big_create(self->c, 1));
	ASSERT_COSI_OK(self->c, widget_create(self->c, BIG, "bare", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &td, NULL,
						       NULL));
	COSI_OPEN(own);
	ASSERT_COSI_OK(own, cosi_owner_claim(own, "compact-test"));
	ASSERT_COSI_OK(own, widget_create(own, BIG, "owned", NULL, NULL));
	cosi_close(own);

	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &l));
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &q, &old));
	ASSERT_EQ(4, l->n);
	ASSERT_EQ(4, old.n);
	for (i = 0; i < l->n; i++) {
		ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, BIG,
							  l->v[i]->id, &g));
		EXPECT_TRUE(res_equal(g, l->v[i])) TH_LOG("%s", g->id);
		EXPECT_TRUE(res_equal(g, old.v[i])) TH_LOG("%s", g->id);
		cosi_resource_free(g);
	}
	/* Sorted: b0000 b0001 bare owned; each kind was seen. */
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, l->v[0]->phase);
	EXPECT_EQ(1, l->v[0]->finalizers.n);
	EXPECT_EQ(NR_LABELS, l->v[1]->labels.n);
	EXPECT_EQ(0, l->v[2]->labels.n);
	EXPECT_EQ(0, l->v[2]->annotations.n);
	EXPECT_STREQ("", l->v[2]->owner);
	EXPECT_STREQ("compact-test", l->v[3]->owner);
	EXPECT_STREQ(BIG, old.v[3]->type);
	EXPECT_STREQ(TEST_NS, old.v[3]->ns);
	cosi_resources_clear(&old);
	cosi_list_free(l);
}

/*
 * A list's strings are its own until cosi_list_free(): other requests,
 * other lists and closing the handle do not touch them.
 */
TEST_F_TIMEOUT(list, valid_until_freed, 300)
{
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = BIG);
	struct cosi_list *a = NULL, *b = NULL;
	struct cosi_resource *r;
	const struct cosi_field *f;
	char id[16];
	size_t i;

	for (i = 0; i < 50; i++)
		ASSERT_COSI_OK(self->c, big_create(self->c, i));
	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &a));
	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &b));
	cosi_list_free(b);	/* its blocks go to the pool: a's stay */
	for (i = 0; i < 50; i++) {
		big_id(id, sizeof(id), i);
		ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS,
							  BIG, id, &r));
		cosi_resource_free(r);
	}
	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &b));
	cosi_close(self->c);
	self->c = NULL;
	for (i = 0; i < 50; i++) {
		big_id(id, sizeof(id), i);
		ASSERT_STREQ(id, a->v[i]->id);
		ASSERT_STREQ(TEST_NS, a->v[i]->ns);
		ASSERT_STREQ(BIG, a->v[i]->type);
		ASSERT_TRUE(res_equal(a->v[i], b->v[i]));
		f = cosi_spec_get(&a->v[i]->spec, "blob");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(3, f->bytes.len);
		ASSERT_EQ(i, ((const uint8_t *)f->bytes.data)[1]);
		f = cosi_spec_get(&a->v[i]->spec, "tags");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(3, f->strs.n);
		ASSERT_STREQ("", f->strs.v[1]);
	}
	/* Freed after the handle: the pool goes with the last list. */
	cosi_list_free(a);
	cosi_list_free(b);
	COSI_OPEN(self->c);
}

/*
 * A list is freed at once, and its memory is reused by the next: after
 * the lists and the handle are gone, the heap is back where it was.
 */
TEST_F_TIMEOUT(list, freed_at_once, 300)
{
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = BIG);
	struct cosi_list *l = NULL;
	struct mallinfo2 before, after;
	struct cosi *c;
	int i;

	for (i = 0; i < 200; i++)
		ASSERT_COSI_OK(self->c, big_create(self->c, i));
	before = mallinfo2();
	COSI_OPEN(c);
	for (i = 0; i < 5; i++) {
		ASSERT_COSI_OK(c, cosi_list(c, &q, &l));
		ASSERT_EQ(200, l->n);
		cosi_list_free(l);
	}
	cosi_close(c);
	after = mallinfo2();
	/* What libnl's socket leaves behind (its port map) at most. */
	EXPECT_GE(before.uordblks + before.hblkhd + 16384,
		  after.uordblks + after.hblkhd)
		TH_LOG("heap in use: %zu before, %zu after",
		       before.uordblks + before.hblkhd,
		       after.uordblks + after.hblkhd);
}

TEST_F(list, errors)
{
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = "nosuch");
	struct cosi_list_req bad = { 0 };
	struct cosi_list *l = (void *)1;

	EXPECT_COSI_ERR(self->c, ENOENT, cosi_list(self->c, &q, &l));
	EXPECT_EQ(NULL, l);
	l = (void *)1;
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_list(self->c, &bad, &l));
	EXPECT_EQ(NULL, l);
}

/* Writes: ack-only creates, with failures in the middle, and refusals. */
TEST_F_TIMEOUT(list, write_batch, 300)
{
	enum { N = 700 };
	struct cosi_write *w = calloc(N, sizeof(*w));
	struct cosi_req *r = calloc(N, sizeof(*r));
	struct cosi_spec spec = { 0 }, spec2 = { 0 };
	struct cosi_resource *got;
	char (*ids)[16] = calloc(N, sizeof(*ids));
	struct cosi_list *l;
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = BIG);
	uint64_t rev = 0;
	int i;

	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, ids);
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "n"));
	ASSERT_EQ(0, cosi_spec_add_string(&spec2, "name", "n2"));
	ASSERT_COSI_OK(self->c, big_create(self->c, 7));
	for (i = 0; i < N; i++) {
		big_id(ids[i], sizeof(ids[i]), i);
		r[i] = (struct cosi_req){ .sz = sizeof(r[i]), .ns = TEST_NS,
					  .type = BIG, .id = ids[i],
					  .spec = &spec, .ack_only = true };
		w[i].cmd = COSI_CMD_RESOURCE_CREATE;
		w[i].req = &r[i];
		w[i].done = true;	/* reset by the call */
	}
	w[300].cmd = COSI_CMD_RESOURCE_GET;	/* refused: not a write */
	r[301].sz = 0;				/* refused: no COSI_OPTS() */
	ASSERT_COSI_OK(self->c, cosi_write_batch(self->c, w, N));
	for (i = 0; i < N; i++) {
		ASSERT_TRUE(w[i].done) TH_LOG("write %d", i);
		if (i == 7) {		/* it exists */
			EXPECT_EQ(EEXIST, w[i].err.err);
			continue;
		}
		if (i == 300 || i == 301) {
			EXPECT_EQ(EINVAL, w[i].err.err);
			EXPECT_NE(0, w[i].err.msg[0]);
			continue;
		}
		ASSERT_EQ(0, w[i].err.err) TH_LOG("write %d: %s", i,
						  strerror(w[i].err.err));
		EXPECT_EQ(1, w[i].version);
		EXPECT_LT(rev, w[i].revision);
		rev = w[i].revision;
	}
	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &l));
	EXPECT_EQ(N - 2, l->n);
	cosi_list_free(l);

	/* Updates, echoed, one with the wrong expected version. */
	for (i = 0; i < 40; i++) {
		w[i].cmd = COSI_CMD_RESOURCE_UPDATE;
		r[i].spec = &spec2;	/* a change: a new version */
		r[i].ack_only = false;
		r[i].has_expected_version = true;
		r[i].expected_version = i == 20 ? 9 : 1;
	}
	ASSERT_COSI_OK(self->c, cosi_write_batch(self->c, w, 40));
	for (i = 0; i < 40; i++) {
		if (i == 20) {
			EXPECT_NE(0, w[i].err.err);
			continue;
		}
		ASSERT_EQ(0, w[i].err.err) TH_LOG("update %d", i);
		EXPECT_EQ(2, w[i].version);
	}
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, BIG,
						  ids[39], &got));
	EXPECT_EQ(2, got->version);
	cosi_resource_free(got);
	ASSERT_COSI_OK(self->c, cosi_write_batch(self->c, w, 0));

	cosi_spec_clear(&spec);
	cosi_spec_clear(&spec2);
	free(ids);
	free(r);
	free(w);
}

/* A watching handle gets each write's event too; they are kept. */
TEST_F_TIMEOUT(list, write_batch_watching, 300)
{
	enum { N = 100 };
	struct cosi_write w[N];
	struct cosi_req r[N];
	struct cosi_spec spec = { 0 };
	struct cosi_event_vec ev = { 0 };
	char ids[N][16];
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = BIG);
	int i;

	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "n"));
	ASSERT_COSI_OK(self->c, cosi_watch(self->c, &wr, NULL, NULL, NULL,
					   NULL));
	memset(w, 0, sizeof(w));
	for (i = 0; i < N; i++) {
		big_id(ids[i], sizeof(ids[i]), i);
		r[i] = (struct cosi_req){ .sz = sizeof(r[i]), .ns = TEST_NS,
					  .type = BIG, .id = ids[i],
					  .spec = &spec, .ack_only = true };
		w[i].cmd = COSI_CMD_RESOURCE_CREATE;
		w[i].req = &r[i];
	}
	ASSERT_COSI_OK(self->c, cosi_write_batch(self->c, w, N));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, w[i].err.err) TH_LOG("write %d", i);
	ASSERT_EQ(0, recv_n(self->c, &ev, N, 10000));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(COSI_EVENT_KIND_CREATED, ev.v[i]->kind);
		EXPECT_STREQ(ids[i], ev.v[i]->res->id);
	}
	cosi_event_vec_clear(&ev);
	cosi_spec_clear(&spec);
}

/*
 * Large writes in one batch: a chunk of cosi_write_batch() reaches 64 KiB
 * and one message more, over the 64 KiB send buffer libnl leaves a socket
 * (netlink refuses a datagram over sk_sndbuf - 32: the whole batch failed
 * with EMSGSIZE).  Each write here is a 12 KiB blob.
 */
TEST_F_TIMEOUT(list, write_batch_large_writes, 300)
{
	enum { N = 40, BLOB = 12 * 1024 };
	static uint8_t blob[BLOB];
	struct cosi_write w[N];
	struct cosi_req r[N];
	struct cosi_spec spec = { 0 };
	struct cosi_list *l = NULL;
	char ids[N][16];
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = BIG);
	int i;

	memset(blob, 'b', sizeof(blob));
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "n"));
	ASSERT_EQ(0, cosi_spec_add_bytes(&spec, "blob", blob, sizeof(blob)));
	memset(w, 0, sizeof(w));
	for (i = 0; i < N; i++) {
		big_id(ids[i], sizeof(ids[i]), i);
		r[i] = (struct cosi_req){ .sz = sizeof(r[i]), .ns = TEST_NS,
					  .type = BIG, .id = ids[i],
					  .spec = &spec, .ack_only = i % 2 };
		w[i].cmd = COSI_CMD_RESOURCE_CREATE;
		w[i].req = &r[i];
	}
	ASSERT_COSI_OK(self->c, cosi_write_batch(self->c, w, N));
	for (i = 0; i < N; i++) {
		ASSERT_TRUE(w[i].done) TH_LOG("write %d", i);
		ASSERT_EQ(0, w[i].err.err) TH_LOG("write %d: %s", i,
						  w[i].err.msg);
		EXPECT_EQ(1, w[i].version);
	}
	ASSERT_COSI_OK(self->c, cosi_list(self->c, &q, &l));
	EXPECT_EQ(N, l->n);
	cosi_list_free(l);
	cosi_spec_clear(&spec);
}

/*
 * cosi_batch() with a chunk of just under COSI_BATCH_BYTES (64 KiB): five
 * creates whose messages fill 65520 bytes, and a sixth.  That chunk is
 * over sk_sndbuf - 32 of libnl's default send buffer.
 */
TEST_F_TIMEOUT(list, batch_chunk_at_its_bound, 300)
{
	enum { N = 6, FILL = 5, TARGET = 65520, BLOB = 12900 };
	static uint8_t blob[16000];
	struct cosi_batch_op ops[N];
	struct cosi_spec spec[N];
	struct cosi_req r;
	char ids[N][16];
	size_t total = 0, len, size = BLOB;
	int i;

	memset(blob, 'b', sizeof(blob));
	memset(ops, 0, sizeof(ops));
	memset(spec, 0, sizeof(spec));
	for (i = 0; i < N; i++) {
		big_id(ids[i], sizeof(ids[i]), i);
		ASSERT_EQ(0, cosi_spec_add_string(&spec[i], "name", "n"));
		if (i < FILL)
			ASSERT_EQ(0, cosi_spec_add_bytes(&spec[i], "blob", blob,
							 size));
		r = (struct cosi_req){ .sz = sizeof(r), .ns = TEST_NS,
				       .type = BIG, .id = ids[i],
				       .spec = &spec[i] };
		ops[i].msg = cosi_req_msg(self->c, COSI_CMD_RESOURCE_CREATE,
					  &r);
		ASSERT_NE(NULL, ops[i].msg);
		len = NLMSG_ALIGN(nlmsg_hdr(ops[i].msg)->nlmsg_len);
		if (i < FILL)
			total += len;
		/* The last of the fill is sized so that they make TARGET. */
		if (i == FILL - 2) {
			size = BLOB + TARGET - total - len;
			ASSERT_GE(sizeof(blob), size);
		}
	}
	ASSERT_EQ(TARGET, total);
	ASSERT_COSI_OK(self->c, cosi_batch(self->c, ops, N));
	for (i = 0; i < N; i++) {
		ASSERT_TRUE(ops[i].done) TH_LOG("write %d", i);
		EXPECT_EQ(0, ops[i].err.err) TH_LOG("write %d: %s", i,
						    ops[i].err.msg);
		cosi_resource_free(ops[i].res);
		cosi_spec_clear(&spec[i]);
	}
}

/*
 * net.core.wmem_max lowered to its floor (the handle's send buffer then
 * takes ~9 KiB): a 12 KiB write among small ones is refused with its own
 * EMSGSIZE, the others are written (review: it failed the rest).
 */
#define WMEM		"/proc/sys/net/core/wmem_max"

FIXTURE(wmem) {
	struct cosi *c;
	char saved[32];
	int fd;		/* opened in the initial netns: restores it */
};

FIXTURE_SETUP(wmem)
{
	ssize_t len;

	/* The initial netns's sysctl: not writable after unshare. */
	self->fd = open(WMEM, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	len = pread(self->fd, self->saved, sizeof(self->saved) - 1, 0);
	ASSERT_LT(0, len);
	self->saved[len] = '\0';
	ASSERT_EQ(5, pwrite(self->fd, "4608\n", 5, 0));
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, BIG, 0));
}

FIXTURE_TEARDOWN(wmem)
{
	ssize_t len = strlen(self->saved);

	cosi_close(self->c);
	if (pwrite(self->fd, self->saved, len, 0) != len)
		TH_LOG("wmem_max not restored: %m");
	close(self->fd);
}

TEST_F_TIMEOUT(wmem, one_write_over_sndbuf, 300)
{
	enum { N = 8, BAD = 3 };
	static uint8_t blob[12000];
	struct cosi_batch_op ops[N];
	struct cosi_write w[N];
	struct cosi_req r[N];
	struct cosi_spec spec[N];
	char ids[N][16];
	int i, round;

	memset(blob, 'b', sizeof(blob));
	for (round = 0; round < 2; round++) {
		memset(w, 0, sizeof(w));
		memset(ops, 0, sizeof(ops));
		for (i = 0; i < N; i++) {
			memset(&spec[i], 0, sizeof(spec[i]));
			ASSERT_EQ(0, cosi_spec_add_string(&spec[i], "name", "n"));
			ASSERT_EQ(0, cosi_spec_add_bytes(&spec[i], "blob", blob,
							 i == BAD ? 12000 : 100));
			snprintf(ids[i], sizeof(ids[i]), "w%d-%d", round, i);
			r[i] = (struct cosi_req){ .sz = sizeof(r[i]),
						  .ns = TEST_NS, .type = BIG,
						  .id = ids[i], .spec = &spec[i] };
			w[i].cmd = COSI_CMD_RESOURCE_CREATE;
			w[i].req = &r[i];
			if (round)
				ops[i].msg = cosi_req_msg(self->c,
						COSI_CMD_RESOURCE_CREATE, &r[i]);
		}
		if (!round) {
			ASSERT_COSI_OK(self->c, cosi_write_batch(self->c, w, N));
		} else {
			ASSERT_COSI_OK(self->c, cosi_batch(self->c, ops, N));
		}
		for (i = 0; i < N; i++) {
			struct cosi_err *e = round ? &ops[i].err : &w[i].err;

			if (i == BAD) {
				EXPECT_EQ(EMSGSIZE, e->err);
				EXPECT_NE(NULL, strstr(e->msg, "wmem_max"))
					TH_LOG("'%s'", e->msg);
			} else {
				EXPECT_EQ(0, e->err) TH_LOG("round %d write %d: %s",
							    round, i, e->msg);
			}
			if (round)
				cosi_resource_free(ops[i].res);
			cosi_spec_clear(&spec[i]);
		}
	}
}

TEST_HARNESS_MAIN

/*
 * Review (rev-b): a cosi_resource_list_cb() callback that calls back into
 * the same handle.  The inner request's cosi_recv() reads into the same
 * c->rxbuf the outer cosi_recv() is walking, and consumes the outer
 * dump's datagrams (skipped: wrong seq), so the outer list never sees
 * NLMSG_DONE and times out.  Expected (proposed fix): the inner call is
 * refused at once (-EBUSY) and the outer list completes.
 * NOT RUN (host only during the review); compile-checked.
 */
struct reenter_ctx {
	struct cosi *c;
	int n, inner_err;
};

static void reenter_one(struct cosi_resource *r, void *arg)
{
	struct reenter_ctx *x = arg;
	struct cosi_resource *got = NULL;

	x->n++;
	x->inner_err = cosi_resource_get(x->c, r->ns, r->type, r->id, &got);
	cosi_resource_free(got);
	cosi_resource_free(r);
}

TEST_F_TIMEOUT(list, callback_reenters_handle, 120)
{
	COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = BIG);
	struct reenter_ctx x = { .c = self->c };
	int i;

	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, big_create(self->c, i));
	EXPECT_EQ(0, cosi_resource_list_cb(self->c, &q, reenter_one, &x,
					   NULL));
	EXPECT_EQ(40, x.n);
	EXPECT_EQ(-EBUSY, x.inner_err);
}
