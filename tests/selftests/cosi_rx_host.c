// SPDX-License-Identifier: GPL-2.0
/*
 * Review (rev-b): libcosi's receive and batch paths on the host, with no
 * cosi.ko: lib/cosi.c is compiled in, so a handle can be made by hand
 * (cosi_connect(), a family id of our choosing) and driven against the
 * kernel's own nlctrl family, whose dumps span several datagrams.
 * Build and run: see tests/selftests/Makefile (cosi_rx_host_asan).
 */
#include "../../lib/cosi.c"

#include <netlink/genl/ctrl.h>
#include "kselftest_harness.h"

/* A handle without cosi.ko: its family is one no request goes to. */
static struct cosi *fake_open(void)
{
	struct cosi *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (cosi_connect(c)) {
		cosi_close(c);
		return NULL;
	}
	c->family = 0x7ff0;	/* not nlctrl: nlctrl's requests get acks */
	return c;
}

/* nlctrl's family dump: a request of "another family". */
static struct nl_msg *ctrl_dump(void)
{
	struct nl_msg *m = nlmsg_alloc_size(COSI_MSG_BUF);

	if (m && !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
			      NLM_F_DUMP, CTRL_CMD_GETFAMILY, 1)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

static struct nl_msg *ctrl_get(const char *name)
{
	struct nl_msg *m = nlmsg_alloc_size(COSI_MSG_BUF);

	if (m && (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
			       0, CTRL_CMD_GETFAMILY, 1) ||
		  nla_put_string(m, CTRL_ATTR_FAMILY_NAME, name))) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

static int count_msg(struct nl_msg *msg, void *arg)
{
	(void)msg;
	++*(int *)arg;
	return 0;
}

/* The baseline: a whole nlctrl dump through cosi_request(). */
TEST(ctrl_dump_baseline)
{
	struct cosi *c = fake_open();
	int n = 0;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, cosi_set_timeout(c, 2000));
	EXPECT_EQ(0, cosi_request(c, ctrl_dump(), count_msg, &n));
	EXPECT_LT(3, n);
	TH_LOG("nlctrl families: %d", n);
	cosi_close(c);
}

struct reenter {
	struct cosi *c;
	int n, inner_err, inner_calls;
};

static int reenter_msg(struct nl_msg *msg, void *arg)
{
	struct reenter *x = arg;
	int got = 0;

	(void)msg;
	x->n++;
	if (x->inner_calls++ < 3)
		/* An answer of another size than the dump's first entry. */
		x->inner_err = cosi_request(x->c, ctrl_get("nosuchfamily"),
					    count_msg, &got);
	return 0;
}

/*
 * A reply callback that calls into the same handle, mid-dump.  The inner
 * request's cosi_recv() reads into the c->rxbuf the outer one is walking
 * and consumes the dump's next datagrams (the wrong seq for it: skipped),
 * and c->rx/c->last_req are the inner request's afterwards.  Expected
 * (not documented either way; proposed): the inner call is refused at
 * once (-EBUSY) and the dump completes as the baseline does.
 */
TEST(reentrant_request_in_reply_callback)
{
	struct cosi *c = fake_open();
	struct reenter x = { 0 };
	int base = 0, err;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, cosi_set_timeout(c, 2000));
	ASSERT_EQ(0, cosi_request(c, ctrl_dump(), count_msg, &base));
	x.c = c;
	err = cosi_request(c, ctrl_dump(), reenter_msg, &x);
	TH_LOG("outer %d, entries %d of %d, inner %d", err, x.n, base,
	       x.inner_err);
	EXPECT_EQ(0, err);
	EXPECT_EQ(base, x.n);
	EXPECT_EQ(-EBUSY, x.inner_err);	/* else -ENOENT: it ran */
	cosi_close(c);
}

/*
 * cosi_write_build() copies a request built in the handle's spare
 * message into txbuf (COSI_BATCH_BYTES + COSI_MSG_BUF) assuming it holds
 * COSI_MSG_BUF at most; but the spare is whatever cosi_request() was
 * last given (cosi_msg_recycle() keeps its capacity).  A caller's larger
 * message, then a large write: heap overflow.  Expected: the write is
 * refused (EMSGSIZE) or built into room that fits.
 */
TEST(write_batch_large_spare)
{
	struct cosi *c = fake_open();
	struct cosi_kvs labels = { 0 }, ann = { 0 };
	struct cosi_spec spec = { 0 };
	struct cosi_write w[1];
	struct nl_msg *big;
	char *v = malloc(60000);
	int err;

	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, cosi_set_timeout(c, 1000));
	memset(v, 'x', 59999);
	v[59999] = '\0';
	ASSERT_EQ(0, cosi_kvs_add(&labels, "a", v));
	ASSERT_EQ(0, cosi_kvs_add(&ann, "b", v));
	ASSERT_EQ(0, cosi_spec_add_bytes(&spec, "c", v, 59999));
	/* A caller's raw request in a 256 KiB message (nlctrl answers it). */
	big = nlmsg_alloc_size(256 * 1024);
	ASSERT_NE(NULL, big);
	ASSERT_NE(NULL, genlmsg_put(big, NL_AUTO_PORT, NL_AUTO_SEQ,
				    GENL_ID_CTRL, 0, 0, CTRL_CMD_GETFAMILY, 1));
	ASSERT_EQ(0, nla_put_string(big, CTRL_ATTR_FAMILY_NAME, "nlctrl"));
	ASSERT_EQ(0, cosi_request(c, big, NULL, NULL));
	/* Another request: the big one goes to c->spare. */
	ASSERT_EQ(0, cosi_request(c, ctrl_get("nlctrl"), NULL, NULL));
	{
		COSI_OPTS(cosi_req, r, .ns = "ns", .type = "t", .id = "i",
			  .labels = &labels, .annotations = &ann,
			  .spec = &spec);

		memset(w, 0, sizeof(w));
		w[0].cmd = COSI_CMD_RESOURCE_CREATE;
		w[0].req = &r;
		err = cosi_write_batch(c, w, 1);
	}
	TH_LOG("cosi_write_batch: %d, write err %d", err, w[0].err.err);
	EXPECT_EQ(EMSGSIZE, w[0].err.err);
	cosi_kvs_clear(&labels);
	cosi_kvs_clear(&ann);
	cosi_spec_clear(&spec);
	free(v);
	cosi_close(c);
}

/*
 * A dump in a batch: its NLMSG_DONE answers its own request, and the
 * requests after it are still read (the end of a dump ended the whole
 * batch, leaving them EPROTO and their answers for the next request).
 */
TEST(batch_dump_then_get)
{
	struct cosi *c = fake_open();
	struct cosi_batch_op ops[3];
	size_t i;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, cosi_set_timeout(c, 2000));
	memset(ops, 0, sizeof(ops));
	ops[0].msg = ctrl_dump();
	ops[1].msg = ctrl_get("nlctrl");
	ops[2].msg = ctrl_get("no-such-family");
	ASSERT_EQ(0, cosi_batch(c, ops, 3));
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(ops[i].done) TH_LOG("op %zu", i);
	EXPECT_EQ(0, ops[0].err.err);
	EXPECT_EQ(0, ops[1].err.err);
	EXPECT_EQ(ENOENT, ops[2].err.err);
	/* Nothing of the batch is left for the next request. */
	EXPECT_EQ(0, cosi_request(c, ctrl_get("nlctrl"), NULL, NULL));
	cosi_close(c);
}

/* An NLMSG_ERROR of @seq with @error (0: an ack), as the kernel caps it. */
struct nlerr_msg {
	struct nlmsghdr h;
	struct nlmsgerr e;
};

static struct nlmsghdr *nlerr(struct nlerr_msg *m, uint32_t seq, int error)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(sizeof(m->e));
	m->h.nlmsg_type = NLMSG_ERROR;
	m->h.nlmsg_flags = NLM_F_CAPPED;
	m->h.nlmsg_seq = seq;
	m->e.error = error;
	return &m->h;
}

/* Answers of a quiet chunk of 4 writes, seqs 100..103, fed as received. */
static void quiet_chunk(struct cosi *c, struct cosi_rx *rx,
			struct cosi_write *w)
{
	struct nlerr_msg m;

	memset(w, 0, 4 * sizeof(*w));
	memset(rx, 0, sizeof(*rx));
	rx->w = w;
	rx->n_ops = 4;
	rx->seq = 100;
	rx->quiet = true;
	cosi_rx_msg(c, rx, nlerr(&m, 101, -EEXIST));
	/* An ack (of a request that asked for its own) answers it. */
	cosi_rx_msg(c, rx, nlerr(&m, 102, 0));
	cosi_rx_msg(c, rx, nlerr(&m, 103, 0));
}

/*
 * A quiet chunk (cosi_send_chunk()): an error or an ack answers its
 * request, and the last request's ends the chunk; then a request not
 * answered succeeded, unless the socket dropped a message meanwhile (or
 * the drops could not be read): its outcome is unknown.
 */
TEST(quiet_chunk_end)
{
	struct cosi *c = fake_open();
	struct cosi_write w[4];
	struct cosi_rx rx;
	uint32_t drops;
	size_t i;

	ASSERT_NE(NULL, c);
	quiet_chunk(c, &rx, w);
	EXPECT_TRUE(rx.done);
	EXPECT_TRUE(w[1].done);
	EXPECT_EQ(EEXIST, w[1].err.err);
	EXPECT_TRUE(w[2].done);
	EXPECT_TRUE(w[3].done);
	EXPECT_FALSE(w[0].done);
	ASSERT_EQ(0, cosi_drops(c, &drops));
	cosi_chunk_end(c, &rx, 0, drops);
	for (i = 0; i < 4; i++) {
		EXPECT_TRUE(w[i].done) TH_LOG("write %zu", i);
		EXPECT_EQ(i == 1 ? EEXIST : 0, w[i].err.err);
	}

	/* A drop meanwhile; then drops that could not be read. */
	quiet_chunk(c, &rx, w);
	cosi_chunk_end(c, &rx, 0, drops - 1);
	EXPECT_FALSE(w[0].done);
	EXPECT_EQ(ENOBUFS, w[0].err.err);
	EXPECT_NE(NULL, strstr(w[0].err.msg, "outcome unknown"));
	EXPECT_EQ(EEXIST, w[1].err.err);
	/* Acked: known whatever was dropped. */
	EXPECT_TRUE(w[3].done);
	EXPECT_EQ(0, w[3].err.err);
	quiet_chunk(c, &rx, w);
	cosi_chunk_end(c, &rx, -EPROTO, drops);
	EXPECT_EQ(ENOBUFS, w[0].err.err);
	EXPECT_EQ(0, w[3].err.err);

	/* Not quiet: an ack answers its request, as ever. */
	memset(w, 0, sizeof(w));
	memset(&rx, 0, sizeof(rx));
	rx.w = w;
	rx.n_ops = 1;
	rx.seq = 7;
	{
		struct nlerr_msg m;

		cosi_rx_msg(c, &rx, nlerr(&m, 7, 0));
	}
	EXPECT_TRUE(w[0].done);
	EXPECT_TRUE(rx.done);
	cosi_close(c);
}

/*
 * Review (revq): in a quiet chunk of cosi_batch(), a request that asked
 * for its own ack (owner-claim, watch-stop, another family's request:
 * cosi_req_ack()) and got it is answered: success, and so is the last
 * (the chunk's ack), whatever the socket dropped meanwhile.  Every ack
 * of a quiet chunk was dropped ("an ack answers none"), so after a drop
 * (an event) cosi_chunk_end() reported them ENOBUFS, "outcome unknown".
 */
TEST(review_quiet_chunk_keeps_a_read_ack)
{
	struct cosi *c = fake_open();
	struct cosi_batch_op ops[2];
	struct nlerr_msg m;
	struct cosi_rx rx;
	uint32_t drops;

	ASSERT_NE(NULL, c);
	memset(ops, 0, sizeof(ops));
	memset(&rx, 0, sizeof(rx));
	rx.ops = ops;
	rx.n_ops = 2;
	rx.seq = 200;
	rx.quiet = true;
	/* ops[0] asked for its ack; ops[1] is the quiet last (the chunk's). */
	cosi_rx_msg(c, &rx, nlerr(&m, 200, 0));
	cosi_rx_msg(c, &rx, nlerr(&m, 201, 0));
	EXPECT_TRUE(rx.done);
	ASSERT_EQ(0, cosi_drops(c, &drops));
	/* An event was dropped meanwhile. */
	cosi_chunk_end(c, &rx, 0, drops - 1);
	EXPECT_TRUE(ops[0].done);
	EXPECT_EQ(0, ops[0].err.err) TH_LOG("%s", ops[0].err.msg);
	/* The last's ack is its answer too. */
	EXPECT_TRUE(ops[1].done);
	EXPECT_EQ(0, ops[1].err.err);
	cosi_close(c);
}

TEST_HARNESS_MAIN
