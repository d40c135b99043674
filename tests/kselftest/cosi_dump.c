// SPDX-License-Identifier: GPL-2.0
/*
 * Listing: dumps over many skbs, id prefixes, label queries, and
 * NLM_F_DUMP_INTR under concurrent writes.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cosi_nl.h"
#include "cosi_fixture.h"

static int create_big(struct ct *ct, const char *type, const char *id,
		      int n, int size)
{
	static char field[4096];
	const char *f[2] = { field, NULL };
	char num[32];
	struct nl_msg *m = ct_msg(ct, COSI_CMD_RESOURCE_CREATE, 0);

	snprintf(field, sizeof(field), "s=str:%0*d", size, n);
	snprintf(num, sizeof(num), "n=u64:%d", n);
	f[1] = num;
	ct_put_key(m, "ns", type, id);
	ct_put_spec(m, 2, f);
	return ct_req(ct, m, NULL);
}

TEST_F(cosi, dump_many_skbs_sorted)
{
	struct ct_list l = {};
	struct nl_msg *m;
	char id[32];
	int i;

	for (i = 0; i < 600; i++) {
		snprintf(id, sizeof(id), "r%04d", (i * 7) % 600);
		ASSERT_EQ(0, create_big(&self->ct, self->type, id, i, 2000));
	}
	ASSERT_EQ(0, ct_list(&self->ct, "ns", self->type, &l));
	ASSERT_EQ(600, l.n);
	for (i = 1; i < l.n; i++)
		ASSERT_LT(strcmp(l.v[i - 1].id, l.v[i].id), 0);
	ct_list_free(&l);

	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);
	ct_put_key(m, "ns", self->type, NULL);
	nla_put_string(m, COSI_A_RESOURCE_ID_PREFIX, "r01");
	ASSERT_EQ(0, ct_req(&self->ct, m, &l));
	ASSERT_EQ(100, l.n);
	EXPECT_STREQ("r0100", l.v[0].id);
	EXPECT_STREQ("r0199", l.v[99].id);
	ct_list_free(&l);
}

static int query_ids(struct ct *ct, const char *type, int n,
		     const char *const *terms, char *out, size_t len)
{
	struct nl_msg *m = ct_msg(ct, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);
	struct ct_list l = {};
	int i, err;

	ct_put_key(m, "ns", type, NULL);
	ct_put_query(m, n, terms);
	err = ct_req(ct, m, &l);
	out[0] = '\0';
	for (i = 0; i < l.n; i++) {
		strncat(out, l.v[i].id, len - strlen(out) - 1);
		strncat(out, " ", len - strlen(out) - 1);
	}
	ct_list_free(&l);
	return err;
}

TEST_F(cosi, label_queries)
{
	const char *a[] = { "size=5Ki", "tier=a" };
	const char *b[] = { "size=2M", "tier=b" };
	const char *c[] = { "size=many" };
	char ids[256];
	struct ct_obj o;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "a", 1, 2, a, &o));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "b", 1, 2, b, &o));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "c", 1, 1, c, &o));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "d", 1, 0, NULL, &o));

#define Q(expect, ...) do {						\
	const char *t[] = { __VA_ARGS__ };				\
	ASSERT_EQ(0, query_ids(&self->ct, self->type,			\
			       sizeof(t) / sizeof(t[0]), t, ids, sizeof(ids))); \
	EXPECT_STREQ(expect, ids);					\
} while (0)
	Q("a b ", "tier exists -");
	Q("c d ", "tier exists - !");		/* missing key, inverted */
	Q("a ", "tier equal a");
	Q("b c d ", "tier equal a !");
	Q("a b ", "tier in a,b,z");
	Q("a ", "tier lt b");
	Q("a b ", "tier lte b");
	Q("a ", "size lt-numeric 1M");		/* 5Ki = 5120 < 1e6 */
	Q("a b ", "size lte-numeric 2M");
	/* inverted: missing key (d) matches, "many" (c) never does */
	Q("a b d ", "size lt-numeric 5120 !");
	Q("a ", "size lte-numeric 5120", "tier exists -");
	Q("", "size lt-numeric 5120");
#undef Q
}

TEST_F(cosi, label_queries_or)
{
	const char *a[] = { "k=1" }, *b[] = { "k=2" };
	struct nl_msg *m;
	struct ct_list l = {};
	struct ct_obj o;
	const char *q1 = "k equal 1", *q2 = "k equal 2";

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "a", 1, 1, a, &o));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "b", 1, 1, b, &o));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "c", 1, 0, NULL, &o));
	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);
	ct_put_key(m, "ns", self->type, NULL);
	ct_put_query(m, 1, &q1);
	ct_put_query(m, 1, &q2);
	ASSERT_EQ(0, ct_req(&self->ct, m, &l));
	ASSERT_EQ(2, l.n);
	EXPECT_STREQ("a", l.v[0].id);
	EXPECT_STREQ("b", l.v[1].id);
	ct_list_free(&l);
}

TEST_F(cosi, dump_intr_on_concurrent_writes)
{
	struct ct_list l = {};
	bool intr = false;
	char id[32];
	pid_t pid;
	int i;

	for (i = 0; i < 400; i++) {
		snprintf(id, sizeof(id), "c%04d", i);
		ASSERT_EQ(0, create_big(&self->ct, self->type, id, i, 2000));
	}
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct ct w;

		if (ct_open(&w))
			_exit(1);
		for (i = 0;; i++)
			ct_update(&w, "ns", self->type, "c0000", i, -1, NULL, NULL);
	}
	for (i = 0; i < 50 && !intr; i++) {
		ASSERT_EQ(0, ct_list(&self->ct, "ns", self->type, &l));
		EXPECT_EQ(400, l.n);
		intr = self->ct.dump_intr;
		ct_list_free(&l);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_TRUE(intr);
}

TEST_HARNESS_MAIN
