// SPDX-License-Identifier: GPL-2.0
/*
 * Label queries in resource dumps, with the semantics of the spec (and of
 * cosi-project/runtime): terms of a query are ANDed, queries are ORed; a
 * term on a missing key does not match, so its inversion does; a numeric
 * term whose operands are not numbers (k/M/G/T/P, Ki/Mi/Gi/Ti/Pi
 * suffixes allowed) matches neither way.
 */
#include "cosi_test.h"

#define THINGS	"things"

/* The resources every test queries. */
static const struct {
	const char *id;
	const char *labels[8];	/* key, value, ..., NULL */
} things[] = {
	{ "a", { "env", "prod", "tier", "web", "mem", "512Mi" } },
	{ "b", { "env", "dev", "tier", "db", "mem", "1Gi" } },
	{ "c", { "env", "prod", "mem", "100k" } },
	{ "d", { NULL } },
	{ "e", { "env", "staging", "mem", "abc" } },
	{ "f", { "mem", "1Ki" } },
	{ "g", { "mem", "1k" } },
	{ "h", { "mem", "2M", "flag", "" } },
};

FIXTURE(labels) {
	struct cosi *c;
};

FIXTURE_SETUP(labels)
{
	struct cosi_kvs kvs;
	size_t i, j;

	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, THINGS, 0));
	for (i = 0; i < sizeof(things) / sizeof(things[0]); i++) {
		memset(&kvs, 0, sizeof(kvs));
		for (j = 0; things[i].labels[j]; j += 2)
			ASSERT_EQ(0, cosi_kvs_add(&kvs, things[i].labels[j],
						  things[i].labels[j + 1]));
		ASSERT_COSI_OK(self->c, widget_create(self->c, THINGS,
						      things[i].id, &kvs, NULL));
		cosi_kvs_clear(&kvs);
	}
}

FIXTURE_TEARDOWN(labels)
{
	cosi_close(self->c);
}

/* A term; the values are the trailing arguments. */
#define TERM(k, o, inv, ...) {						\
	.key = (k), .op = COSI_LABEL_OP_##o, .invert = (inv),		\
	.values = (const char *const[]){ __VA_ARGS__ },			\
	.n_values = sizeof((const char *const[]){ __VA_ARGS__ }) /	\
		    sizeof(const char *),				\
}
#define EXISTS(k, inv) { .key = (k), .op = COSI_LABEL_OP_EXISTS, .invert = (inv) }

/* The ids (sorted, comma-separated) matching any of @q. */
static void expect_ids(struct __test_metadata *_metadata, struct cosi *c,
		       const char *want, const struct cosi_query *q, size_t n,
		       const char *what)
{
	COSI_OPTS(cosi_list_req, lr,
		.ns = TEST_NS, .type = THINGS, .queries = q, .n_queries = n,
	);
	struct cosi_resources l;
	char *got;

	ASSERT_COSI_OK(c, cosi_resource_list(c, &lr, &l));
	got = ids_join(&l);
	ASSERT_NE(NULL, got);
	EXPECT_STREQ(want, got) TH_LOG("query: %s", what);
	free(got);
	cosi_resources_clear(&l);
}

/* One query of the given terms. */
#define EXPECT_QUERY(want, ...) do {					\
	const struct cosi_term __t[] = { __VA_ARGS__ };			\
	const struct cosi_query __q = {					\
		.terms = __t, .n = sizeof(__t) / sizeof(__t[0]),	\
	};								\
	expect_ids(_metadata, self->c, want, &__q, 1, #__VA_ARGS__);	\
} while (0)

TEST_F(labels, no_query_lists_all)
{
	expect_ids(_metadata, self->c, "a,b,c,d,e,f,g,h", NULL, 0, "none");
}

TEST_F(labels, exists)
{
	EXPECT_QUERY("a,b", EXISTS("tier", false));
	EXPECT_QUERY("c,d,e,f,g,h", EXISTS("tier", true));
	EXPECT_QUERY("h", EXISTS("flag", false));
	EXPECT_QUERY("", EXISTS("nothing", false));
	EXPECT_QUERY("a,b,c,d,e,f,g,h", EXISTS("nothing", true));
}

TEST_F(labels, equal)
{
	EXPECT_QUERY("a,c", TERM("env", EQUAL, false, "prod"));
	/* Missing keys do not match, so the inversion does. */
	EXPECT_QUERY("b,d,e,f,g,h", TERM("env", EQUAL, true, "prod"));
	EXPECT_QUERY("h", TERM("flag", EQUAL, false, ""));
	EXPECT_QUERY("", TERM("env", EQUAL, false, "PROD"));
}

TEST_F(labels, in)
{
	EXPECT_QUERY("b,e", TERM("env", IN, false, "dev", "staging"));
	EXPECT_QUERY("a,c,d,f,g,h", TERM("env", IN, true, "dev", "staging"));
	EXPECT_QUERY("a,c", TERM("env", IN, false, "prod"));
	EXPECT_QUERY("", TERM("env", IN, false, "qa", "test"));
}

TEST_F(labels, lt_lte_bytewise)
{
	EXPECT_QUERY("b", TERM("env", LT, false, "prod"));
	EXPECT_QUERY("a,b,c", TERM("env", LTE, false, "prod"));
	EXPECT_QUERY("b", TERM("tier", LT, false, "dz"));
	/* Bytewise: "1Gi" < "512Mi" although 1Gi is larger. */
	EXPECT_QUERY("b,c,f,g", TERM("mem", LT, false, "2"));
	/* Inverted, among resources that have the key. */
	EXPECT_QUERY("a,c,e", EXISTS("env", false),
		     TERM("env", LT, true, "prod"));
	EXPECT_QUERY("e", EXISTS("env", false),
		     TERM("env", LTE, true, "prod"));
}

TEST_F(labels, numeric)
{
	EXPECT_QUERY("a,c,f,g,h", TERM("mem", LT_NUMERIC, false, "1Gi"));
	EXPECT_QUERY("a,b,c,f,g,h", TERM("mem", LTE_NUMERIC, false, "1Gi"));
	EXPECT_QUERY("a,b,c,f,g,h",
		     TERM("mem", LTE_NUMERIC, false, "1073741824"));
	EXPECT_QUERY("a,c,f,g,h", TERM("mem", LT_NUMERIC, false, "1073741824"));
	/* A value that is not a number ("abc") matches neither way. */
	EXPECT_QUERY("b", EXISTS("mem", false),
		     TERM("mem", LT_NUMERIC, true, "1Gi"));
	EXPECT_QUERY("", EXISTS("mem", false),
		     TERM("mem", LTE_NUMERIC, true, "1Gi"));
}

TEST_F(labels, numeric_suffixes)
{
	/* k is 1000, Ki is 1024. */
	EXPECT_QUERY("g", TERM("mem", LT_NUMERIC, false, "1Ki"));
	EXPECT_QUERY("f,g", TERM("mem", LTE_NUMERIC, false, "1Ki"));
	EXPECT_QUERY("f,g", TERM("mem", LTE_NUMERIC, false, "1024"));
	EXPECT_QUERY("g", TERM("mem", LTE_NUMERIC, false, "1000"));
	EXPECT_QUERY("", TERM("mem", LT_NUMERIC, false, "1k"));
	EXPECT_QUERY("g", TERM("mem", LTE_NUMERIC, false, "1k"));
	EXPECT_QUERY("c,f,g", TERM("mem", LT_NUMERIC, false, "100001"));
	EXPECT_QUERY("c,f,g", TERM("mem", LTE_NUMERIC, false, "100000"));
	/* M is 10^6, Mi is 2^20: 2M < 2Mi. */
	EXPECT_QUERY("c,f,g,h", TERM("mem", LT_NUMERIC, false, "2Mi"));
	EXPECT_QUERY("c,f,g", TERM("mem", LT_NUMERIC, false, "2M"));
	EXPECT_QUERY("c,f,g,h", TERM("mem", LTE_NUMERIC, false, "2000000"));
	/* 512Mi is 536870912. */
	EXPECT_QUERY("a,c,f,g,h",
		     TERM("mem", LTE_NUMERIC, false, "536870912"));
	EXPECT_QUERY("c,f,g,h", TERM("mem", LT_NUMERIC, false, "536870912"));
	/* G is 10^9, Gi is 2^30. */
	EXPECT_QUERY("a,c,f,g,h", TERM("mem", LT_NUMERIC, false, "1G"));
	EXPECT_QUERY("a,b,c,f,g,h", TERM("mem", LT_NUMERIC, false, "1Ti"));
}

/* (Among resources with the key: see comparison_on_missing_key_inverted.) */
TEST_F(labels, numeric_operand_not_a_number)
{
	EXPECT_QUERY("", TERM("mem", LT_NUMERIC, false, "lots"));
	EXPECT_QUERY("", EXISTS("mem", false),
		     TERM("mem", LT_NUMERIC, true, "lots"));
	EXPECT_QUERY("", TERM("mem", LTE_NUMERIC, false, "Mi"));
	EXPECT_QUERY("", EXISTS("mem", false),
		     TERM("mem", LTE_NUMERIC, true, "Mi"));
}

/*
 * Comparison operators on a missing key never match, inverted or not, as
 * in cosi-project/runtime ("properly handle invert for comparison, when
 * key not found"): only resources with the key can compare.
 */
TEST_F(labels, comparison_on_missing_key_inverted)
{
	EXPECT_QUERY("", TERM("env", LT, false, "zzz"), EXISTS("env", true));
	EXPECT_QUERY("", TERM("env", LT, true, "zzz"));
	EXPECT_QUERY("", TERM("env", LTE, true, "zzz"));
	EXPECT_QUERY("b", TERM("mem", LT_NUMERIC, true, "1Gi"));
	EXPECT_QUERY("", TERM("mem", LTE_NUMERIC, true, "1Gi"));
}

/* A missing key with an operand that is not a number: no match either way. */
TEST_F(labels, missing_key_and_bad_operand)
{
	EXPECT_QUERY("", TERM("mem", LT_NUMERIC, false, "lots"),
		     EXISTS("mem", true));
	EXPECT_QUERY("", TERM("mem", LT_NUMERIC, true, "lots"),
		     EXISTS("mem", true));
}

TEST_F(labels, terms_are_anded)
{
	EXPECT_QUERY("a", TERM("env", EQUAL, false, "prod"),
		     EXISTS("tier", false));
	EXPECT_QUERY("c", EXISTS("mem", false),
		     TERM("mem", LT_NUMERIC, false, "1Mi"),
		     TERM("env", EQUAL, false, "prod"));
	EXPECT_QUERY("", TERM("env", EQUAL, false, "prod"),
		     TERM("env", EQUAL, false, "dev"));
}

TEST_F(labels, queries_are_ored)
{
	const struct cosi_term dev[] = { TERM("env", EQUAL, false, "dev") };
	const struct cosi_term k100[] = { TERM("mem", EQUAL, false, "100k") };
	const struct cosi_term prod[] = { TERM("env", EQUAL, false, "prod") };
	const struct cosi_term web[] = { TERM("tier", EQUAL, false, "web") };
	const struct cosi_term none[] = { EXISTS("nothing", false) };
	struct cosi_query q[2];

	q[0] = (struct cosi_query){ dev, 1 };
	q[1] = (struct cosi_query){ k100, 1 };
	expect_ids(_metadata, self->c, "b,c", q, 2, "env=dev | mem=100k");
	/* A resource matching both queries is listed once. */
	q[0] = (struct cosi_query){ prod, 1 };
	q[1] = (struct cosi_query){ web, 1 };
	expect_ids(_metadata, self->c, "a,c", q, 2, "env=prod | tier=web");
	q[1] = (struct cosi_query){ none, 1 };
	expect_ids(_metadata, self->c, "a,c", q, 2, "env=prod | nothing");
	/* A query without terms matches everything. */
	q[1] = (struct cosi_query){ NULL, 0 };
	expect_ids(_metadata, self->c, "a,b,c,d,e,f,g,h", q, 2,
		   "env=prod | ()");
	expect_ids(_metadata, self->c, "a,b,c,d,e,f,g,h", &q[1], 1, "()");
}

TEST_F(labels, with_id_prefix)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = THINGS);
	const struct cosi_term t[] = { EXISTS("env", false) };
	const struct cosi_query q = { t, 1 };
	struct cosi_resources l;
	char *got;

	ASSERT_COSI_OK(self->c, widget_create(self->c, THINGS, "a2", NULL,
					      NULL));
	lr.id_prefix = "a";
	lr.queries = &q;
	lr.n_queries = 1;
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	got = ids_join(&l);
	EXPECT_STREQ("a", got);
	free(got);
	cosi_resources_clear(&l);
}

TEST_F(labels, malformed_queries)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = THINGS);
	const struct cosi_term nokey[] = { TERM(NULL, EQUAL, false, "x") };
	const struct cosi_term badop[] = {
		{ .key = "env", .op = COSI_LABEL_OP_LTE_NUMERIC + 1 },
	};
	struct cosi_query q = { nokey, 1 };
	struct cosi_resources l;
	struct nlattr *query, *term;
	struct nl_msg *m;

	lr.queries = &q;
	lr.n_queries = 1;
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_resource_list(self->c, &lr, &l));
	q.terms = badop;
	EXPECT_OUT_OF_RANGE(self->c, cosi_resource_list(self->c, &lr, &l));

	/* A term without an operator. */
	m = cosi_msg_new(self->c, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, TEST_NS));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_TYPE, THINGS));
	query = nla_nest_start(m, COSI_A_RESOURCE_LABEL_QUERY);
	term = nla_nest_start(m, COSI_A_LABEL_QUERY_TERM);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_LABEL_TERM_KEY, "env"));
	nla_nest_end(m, term);
	nla_nest_end(m, query);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));
}

TEST_HARNESS_MAIN
