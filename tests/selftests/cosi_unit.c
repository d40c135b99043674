// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of libcosi that need no kernel module: building requests,
 * parsing replies, events and definitions, extended acks, the containers.
 * Built twice: plain, and with ASan/UBSan (cosi_unit_asan), where every
 * test also ends with a leak check.
 */
#include <limits.h>

#include "cosi_test.h"
#include "cosi_opts.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK()	__lsan_do_recoverable_leak_check()
#else
#define LEAK_CHECK()	0
#endif

/* A made-up family id: these messages never reach a kernel. */
#define FAMILY	0x42

FIXTURE(unit) {
	struct nl_msg *m;
};

FIXTURE_SETUP(unit)
{
	self->m = NULL;
}

FIXTURE_TEARDOWN(unit)
{
	nlmsg_free(self->m);
	EXPECT_EQ(0, LEAK_CHECK()) TH_LOG("leaks (see above)");
}

static struct nl_msg *msg_new(uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc_size(64 * 1024);

	if (m && !genlmsg_put(m, 0, 1, FAMILY, 0, flags, cmd, 1)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

static void full_spec(struct cosi_spec *s)
{
	static const char *const tags[] = { "x", "", "y z" };
	static const uint8_t blob[] = { 0, 1, 0, 255 };

	memset(s, 0, sizeof(*s));
	cosi_spec_add_string(s, "name", "eth0");
	cosi_spec_add_u64(s, "mtu", UINT64_MAX);
	cosi_spec_add_s64(s, "offset", INT64_MIN);
	cosi_spec_add_bool(s, "enabled", true);
	cosi_spec_add_bytes(s, "blob", blob, sizeof(blob));
	cosi_spec_add_bytes(s, "empty", NULL, 0);
	cosi_spec_add_strings(s, "tags", tags, 3);
}

TEST_F(unit, containers)
{
	struct cosi_kvs a = kvs_make("k1", "v1", "k2", "", NULL);
	struct cosi_kvs b = kvs_make("k2", "", "k1", "v1", NULL);
	struct cosi_strs s = strs_make("f1", "f2", NULL);
	struct cosi_spec x, y;

	EXPECT_STREQ("v1", cosi_kvs_get(&a, "k1"));
	EXPECT_STREQ("", cosi_kvs_get(&a, "k2"));
	EXPECT_EQ(NULL, cosi_kvs_get(&a, "k3"));
	EXPECT_TRUE(cosi_kvs_equal(&a, &b));
	ASSERT_EQ(0, cosi_kvs_add(&b, "k3", NULL));
	EXPECT_STREQ("", cosi_kvs_get(&b, "k3"));
	EXPECT_FALSE(cosi_kvs_equal(&a, &b));
	EXPECT_TRUE(cosi_strs_has(&s, "f2"));
	EXPECT_FALSE(cosi_strs_has(&s, "f3"));

	full_spec(&x);
	full_spec(&y);
	EXPECT_TRUE(cosi_spec_equal(&x, &y));
	EXPECT_EQ(COSI_FIELD_TYPE_S64, cosi_spec_get(&x, "offset")->type);
	EXPECT_EQ(INT64_MIN, cosi_spec_get(&x, "offset")->s64);
	y.v[1].u64 = 1;
	EXPECT_FALSE(cosi_spec_equal(&x, &y));
	EXPECT_FALSE(cosi_field_equal(&x.v[1], &y.v[1]));
	EXPECT_TRUE(cosi_field_equal(&x.v[0], &y.v[0]));

	cosi_kvs_clear(&a);
	cosi_kvs_clear(&b);
	EXPECT_EQ(0, a.n);
	EXPECT_EQ(NULL, a.v);
	cosi_strs_clear(&s);
	cosi_spec_clear(&x);
	cosi_spec_clear(&y);
	EXPECT_EQ(0, x.n);
}

TEST_F(unit, names)
{
	EXPECT_STREQ("created", cosi_event_kind_name(COSI_EVENT_KIND_CREATED));
	EXPECT_STREQ("bootstrapped",
		     cosi_event_kind_name(COSI_EVENT_KIND_BOOTSTRAPPED));
	EXPECT_STREQ("?", cosi_event_kind_name(0));
	EXPECT_STREQ("?", cosi_event_kind_name(99));
	EXPECT_STREQ("string-list",
		     cosi_field_type_name(COSI_FIELD_TYPE_STRING_LIST));
	EXPECT_STREQ("?", cosi_field_type_name(7));
}

/* A request's attributes read back as a resource: the same contents. */
TEST_F(unit, request_roundtrip)
{
	struct cosi_kvs labels = kvs_make("env", "prod", NULL);
	struct cosi_kvs none = { 0 };
	struct cosi_strs fin = strs_make("a", "b", NULL);
	struct cosi_spec spec;
	COSI_OPTS(cosi_req, r,
		.ns = "ns", .type = "t", .id = "i", .labels = &labels,
		.annotations = &none, .spec = &spec, .finalizers = &fin,
		.has_expected_version = true, .expected_version = 7,
		.has_expected_phase = true,
		.expected_phase = COSI_PHASE_TEARING_DOWN,
	);
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];
	struct cosi_resource *got = NULL;

	full_spec(&spec);
	self->m = msg_new(COSI_CMD_RESOURCE_UPDATE, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, cosi_put_req(self->m, &r, COSI_REQ_ALL));
	ASSERT_EQ(0, cosi_resource_parse(self->m, &got));
	EXPECT_STREQ("ns", got->ns);
	EXPECT_STREQ("t", got->type);
	EXPECT_STREQ("i", got->id);
	EXPECT_STREQ("", got->owner);
	EXPECT_TRUE(cosi_kvs_equal(&labels, &got->labels));
	EXPECT_EQ(0, got->annotations.n);
	ASSERT_EQ(2, got->finalizers.n);
	EXPECT_STREQ("a", got->finalizers.v[0]);
	EXPECT_TRUE(got->has_spec);
	EXPECT_TRUE(cosi_spec_equal(&spec, &got->spec));
	EXPECT_EQ(-1, got->destroy_ready);
	cosi_resource_free(got);

	/* The empty annotations nest is sent: it means "clear". */
	ASSERT_EQ(0, genlmsg_parse(nlmsg_hdr(self->m), 0, tb,
				   COSI_A_RESOURCE_MAX, NULL));
	ASSERT_NE(NULL, tb[COSI_A_RESOURCE_ANNOTATIONS]);
	EXPECT_EQ(0, nla_len(tb[COSI_A_RESOURCE_ANNOTATIONS]));
	EXPECT_TRUE(tb[COSI_A_RESOURCE_LABELS]->nla_type & NLA_F_NESTED);
	EXPECT_EQ(7, nla_get_u64(tb[COSI_A_RESOURCE_EXPECTED_VERSION]));
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN,
		  nla_get_u32(tb[COSI_A_RESOURCE_EXPECTED_PHASE]));
	EXPECT_EQ(NULL, tb[COSI_A_RESOURCE_VERSION]);

	cosi_spec_clear(&spec);
	cosi_kvs_clear(&labels);
	cosi_strs_clear(&fin);
}

TEST_F(unit, request_parts_and_absent_attributes)
{
	struct cosi_kvs labels = kvs_make("env", "prod", NULL);
	COSI_OPTS(cosi_req, r,
		.ns = "ns", .type = NULL, .id = "i", .labels = &labels,
		.has_expected_version = true, .expected_version = 1,
	);
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];

	self->m = msg_new(COSI_CMD_RESOURCE_DESTROY, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, cosi_put_req(self->m, &r,
				  COSI_REQ_KEY | COSI_REQ_VERSION));
	ASSERT_EQ(0, genlmsg_parse(nlmsg_hdr(self->m), 0, tb,
				   COSI_A_RESOURCE_MAX, NULL));
	EXPECT_NE(NULL, tb[COSI_A_RESOURCE_NAMESPACE]);
	EXPECT_EQ(NULL, tb[COSI_A_RESOURCE_TYPE]);
	EXPECT_EQ(NULL, tb[COSI_A_RESOURCE_LABELS]);
	EXPECT_EQ(NULL, tb[COSI_A_RESOURCE_SPEC]);
	EXPECT_NE(NULL, tb[COSI_A_RESOURCE_EXPECTED_VERSION]);
	EXPECT_EQ(NULL, tb[COSI_A_RESOURCE_EXPECTED_PHASE]);
	cosi_kvs_clear(&labels);
}

static int put_labels(struct nl_msg *m, int attr, const char *k,
		      const char *v)
{
	struct cosi_kvs kvs = kvs_make(k, v, NULL);
	int err = cosi_put_kvs(m, attr, &kvs);

	cosi_kvs_clear(&kvs);
	return err;
}

/* A reply as the kernel builds it (pads, 64-bit attributes, nests). */
TEST_F(unit, reply_parse)
{
	struct cosi_spec spec;
	struct cosi_strs fin = strs_make("hold", NULL);
	struct cosi_resource *r = NULL;
	struct nl_msg *m;

	full_spec(&spec);
	m = self->m = msg_new(COSI_CMD_RESOURCE_TEARDOWN, 0);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, "ns"));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_TYPE, "t"));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_ID, "i"));
	ASSERT_EQ(0, nla_put(m, COSI_A_RESOURCE_PAD, 0, NULL));
	ASSERT_EQ(0, nla_put_u64(m, COSI_A_RESOURCE_VERSION, 3));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_OWNER, "ctrl"));
	ASSERT_EQ(0, nla_put_u32(m, COSI_A_RESOURCE_PHASE,
				 COSI_PHASE_TEARING_DOWN));
	ASSERT_EQ(0, nla_put_u64(m, COSI_A_RESOURCE_CREATED, 1000));
	ASSERT_EQ(0, nla_put_u64(m, COSI_A_RESOURCE_UPDATED, 2000));
	ASSERT_EQ(0, nla_put_u64(m, COSI_A_RESOURCE_REVISION, 42));
	ASSERT_EQ(0, put_labels(m, COSI_A_RESOURCE_LABELS, "a", "1"));
	ASSERT_EQ(0, put_labels(m, COSI_A_RESOURCE_ANNOTATIONS, "n", "x y"));
	ASSERT_EQ(0, cosi_put_strs(m, COSI_A_RESOURCE_FINALIZERS,
				   COSI_A_FINALIZERS_FINALIZER, &fin));
	ASSERT_EQ(0, cosi_put_spec(m, &spec));
	ASSERT_EQ(0, nla_put_u8(m, COSI_A_RESOURCE_DESTROY_READY, 0));

	ASSERT_EQ(0, cosi_resource_parse(m, &r));
	EXPECT_EQ(3, r->version);
	EXPECT_STREQ("ctrl", r->owner);
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, r->phase);
	EXPECT_EQ(1000, r->created);
	EXPECT_EQ(2000, r->updated);
	EXPECT_EQ(42, r->revision);
	EXPECT_STREQ("1", cosi_kvs_get(&r->labels, "a"));
	EXPECT_STREQ("x y", cosi_kvs_get(&r->annotations, "n"));
	EXPECT_TRUE(cosi_strs_has(&r->finalizers, "hold"));
	EXPECT_TRUE(cosi_spec_equal(&spec, &r->spec));
	EXPECT_EQ(0, r->destroy_ready);
	cosi_resource_free(r);
	cosi_spec_clear(&spec);
	cosi_strs_clear(&fin);
}

TEST_F(unit, reply_parse_rejects_malformed)
{
	struct cosi_resource *r = (void *)1;
	struct nlattr *ls, *l;

	/* A label without a key. */
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ls = nla_nest_start(self->m, COSI_A_RESOURCE_LABELS);
	l = nla_nest_start(self->m, COSI_A_LABELS_LABEL);
	ASSERT_EQ(0, nla_put_string(self->m, COSI_A_LABEL_VALUE, "v"));
	nla_nest_end(self->m, l);
	nla_nest_end(self->m, ls);
	EXPECT_EQ(-EPROTO, cosi_resource_parse(self->m, &r));
	EXPECT_EQ(NULL, r);
	nlmsg_free(self->m);

	/* A string that is not NUL-terminated. */
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nla_put(self->m, COSI_A_RESOURCE_ID, 3, "abc"));
	EXPECT_EQ(-EPROTO, cosi_resource_parse(self->m, &r));
	nlmsg_free(self->m);

	/* A finalizer that is not a string. */
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ls = nla_nest_start(self->m, COSI_A_RESOURCE_FINALIZERS);
	ASSERT_EQ(0, nla_put(self->m, COSI_A_FINALIZERS_FINALIZER, 2, "ab"));
	nla_nest_end(self->m, ls);
	EXPECT_EQ(-EPROTO, cosi_resource_parse(self->m, &r));
}

/* The same reply, built as the kernel builds it, in @m. */
static int full_reply(struct nl_msg *m, const struct cosi_spec *spec,
		      const struct cosi_strs *fin)
{
	return nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, "ns") ||
	       nla_put_string(m, COSI_A_RESOURCE_TYPE, "t") ||
	       nla_put_string(m, COSI_A_RESOURCE_ID, "i") ||
	       nla_put(m, COSI_A_RESOURCE_PAD, 0, NULL) ||
	       nla_put_u64(m, COSI_A_RESOURCE_VERSION, 3) ||
	       nla_put_string(m, COSI_A_RESOURCE_OWNER, "ctrl") ||
	       nla_put_u32(m, COSI_A_RESOURCE_PHASE, COSI_PHASE_TEARING_DOWN) ||
	       nla_put_u32(m, COSI_A_RESOURCE_WRITER_CAPS, 5) ||
	       nla_put_u64(m, COSI_A_RESOURCE_CREATED, 1000) ||
	       nla_put_u64(m, COSI_A_RESOURCE_UPDATED, 2000) ||
	       nla_put_u64(m, COSI_A_RESOURCE_REVISION, 42) ||
	       put_labels(m, COSI_A_RESOURCE_LABELS, "a", "1") ||
	       put_labels(m, COSI_A_RESOURCE_ANNOTATIONS, "n", "x y") ||
	       cosi_put_strs(m, COSI_A_RESOURCE_FINALIZERS,
			     COSI_A_FINALIZERS_FINALIZER, fin) ||
	       cosi_put_spec(m, spec) ||
	       nla_put_u8(m, COSI_A_RESOURCE_DESTROY_READY, 1);
}

/*
 * cosi_list()'s parser gives what cosi_resource_parse() gives, its
 * strings and bytes pointing into its copy of the message (valid after
 * the message is gone, until the arena is freed), all freed at once.
 */
TEST_F(unit, arena_parse)
{
	struct cosi_spec spec;
	struct cosi_strs fin = strs_make("hold", "f2", NULL);
	struct cosi_resource *heap = NULL, *r = NULL, *r2 = NULL;
	struct cosi_arena a;
	struct cosi_pool *pool = cosi_pool_new();
	const struct cosi_field *f;
	struct nlmsghdr *nlh;
	int i;

	ASSERT_NE(NULL, pool);
	full_spec(&spec);
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, full_reply(self->m, &spec, &fin));
	nlh = nlmsg_hdr(self->m);
	ASSERT_EQ(0, cosi_resource_parse(self->m, &heap));

	cosi_arena_init(&a, pool);
	ASSERT_EQ(0, cosi_resource_parse_arena(&a, nlh, &r));
	/* Many more: the arena takes new blocks as it fills. */
	for (i = 0; i < 2000; i++)
		ASSERT_EQ(0, cosi_resource_parse_arena(&a, nlh, &r2));
	/* The message goes (scribbled over first): r keeps its contents. */
	memset(nlmsg_data(nlh), 0xa5, nlmsg_datalen(nlh));
	nlmsg_free(self->m);
	self->m = NULL;

	EXPECT_STREQ("ns", r->ns);
	EXPECT_STREQ("t", r->type);
	EXPECT_STREQ("i", r->id);
	EXPECT_STREQ("ctrl", r->owner);
	EXPECT_EQ(3, r->version);
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, r->phase);
	EXPECT_TRUE(r->has_writer_caps);
	EXPECT_EQ(5, r->writer_caps);
	EXPECT_EQ(1000, r->created);
	EXPECT_EQ(2000, r->updated);
	EXPECT_EQ(42, r->revision);
	EXPECT_EQ(1, r->destroy_ready);
	EXPECT_TRUE(r->has_spec);
	EXPECT_TRUE(cosi_kvs_equal(&heap->labels, &r->labels));
	EXPECT_TRUE(cosi_kvs_equal(&heap->annotations, &r->annotations));
	ASSERT_EQ(2, r->finalizers.n);
	EXPECT_STREQ("hold", r->finalizers.v[0]);
	EXPECT_STREQ("f2", r->finalizers.v[1]);
	EXPECT_TRUE(cosi_spec_equal(&spec, &r->spec));
	EXPECT_TRUE(cosi_spec_equal(&heap->spec, &r2->spec));
	f = cosi_spec_get(&r->spec, "empty");
	ASSERT_NE(NULL, f);
	EXPECT_EQ(0, f->bytes.len);
	EXPECT_NE(NULL, f->bytes.data);
	cosi_arena_free(&a);

	/* An arena again: blocks from the pool; the pool outlives it. */
	cosi_arena_init(&a, pool);
	cosi_pool_put(pool);
	ASSERT_NE(NULL, cosi_arena_alloc(&a, 100));
	ASSERT_NE(NULL, cosi_arena_alloc(&a, 1024 * 1024));	/* one-off */
	EXPECT_EQ(NULL, cosi_arena_alloc(&a, 0));
	EXPECT_EQ(NULL, cosi_arena_alloc(&a, SIZE_MAX));
	cosi_arena_free(&a);	/* the last reference: the pool goes */
	cosi_arena_free(&a);	/* empty: nothing to do */

	cosi_resource_free(heap);
	cosi_spec_clear(&spec);
	cosi_strs_clear(&fin);
}

TEST_F(unit, arena_parse_rejects_malformed)
{
	struct cosi_resource *r = (void *)1;
	struct cosi_arena a;
	struct nlattr *ls, *l;
	struct nlmsghdr *nlh;
	uint32_t short_u64 = 7;

	cosi_arena_init(&a, NULL);
	/* A label without a key. */
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ls = nla_nest_start(self->m, COSI_A_RESOURCE_LABELS);
	l = nla_nest_start(self->m, COSI_A_LABELS_LABEL);
	ASSERT_EQ(0, nla_put_string(self->m, COSI_A_LABEL_VALUE, "v"));
	nla_nest_end(self->m, l);
	nla_nest_end(self->m, ls);
	EXPECT_EQ(-EPROTO, cosi_resource_parse_arena(&a, nlmsg_hdr(self->m),
						     &r));
	EXPECT_EQ(NULL, r);
	nlmsg_free(self->m);

	/* A string that is not NUL-terminated; a u64 of 4 bytes. */
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nla_put(self->m, COSI_A_RESOURCE_ID, 3, "abc"));
	EXPECT_EQ(-EPROTO, cosi_resource_parse_arena(&a, nlmsg_hdr(self->m),
						     &r));
	nlmsg_free(self->m);
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nla_put(self->m, COSI_A_RESOURCE_VERSION,
			     sizeof(short_u64), &short_u64));
	EXPECT_EQ(-EPROTO, cosi_resource_parse_arena(&a, nlmsg_hdr(self->m),
						     &r));
	EXPECT_EQ(-EPROTO, cosi_resource_parse(self->m, &r));
	nlmsg_free(self->m);

	/* A spec field without a name. */
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ls = nla_nest_start(self->m, COSI_A_RESOURCE_SPEC);
	l = nla_nest_start(self->m, COSI_A_SPEC_FIELD);
	ASSERT_EQ(0, nla_put_u64(self->m, COSI_A_SPEC_FIELD_U64, 1));
	nla_nest_end(self->m, l);
	nla_nest_end(self->m, ls);
	EXPECT_EQ(-EPROTO, cosi_resource_parse_arena(&a, nlmsg_hdr(self->m),
						     &r));
	nlmsg_free(self->m);

	/* Shorter than a generic netlink header. */
	self->m = nlmsg_alloc_simple(FAMILY, 0);
	ASSERT_NE(NULL, self->m);
	nlh = nlmsg_hdr(self->m);
	EXPECT_EQ(-EPROTO, cosi_resource_parse_arena(&a, nlh, &r));
	cosi_arena_free(&a);
}

/* The inline attribute parser keeps libnl's rules. */
TEST_F(unit, attrs_parse)
{
	static const struct nla_policy pol[4] = {
		[1] = { .type = NLA_STRING },
		[2] = { .type = NLA_U32 },
		[3] = { .type = NLA_STRING, .maxlen = 4 },
	};
	struct nlattr *tb[4];
	struct nlmsghdr *nlh;
	uint64_t big = 1;

	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nla_put_string(self->m, 1, "first"));
	ASSERT_EQ(0, nla_put_string(self->m, 1, "last"));
	ASSERT_EQ(0, nla_put_u32(self->m, 2, 9));
	ASSERT_EQ(0, nla_put(self->m, 9, sizeof(big), &big));	/* > max */
	nlh = nlmsg_hdr(self->m);
	ASSERT_EQ(0, cosi_attrs_parse(tb, 3, genlmsg_attrdata(nlmsg_data(nlh), 0),
				      genlmsg_attrlen(nlmsg_data(nlh), 0), pol));
	EXPECT_STREQ("last", nla_get_string(tb[1]));
	EXPECT_EQ(9, nla_get_u32(tb[2]));
	EXPECT_EQ(NULL, tb[3]);
	/* A truncated stream ends where the broken attribute starts. */
	ASSERT_EQ(0, cosi_attrs_parse(tb, 3, genlmsg_attrdata(nlmsg_data(nlh), 0),
				      genlmsg_attrlen(nlmsg_data(nlh), 0) - 16 - 2,
				      pol));
	EXPECT_STREQ("last", nla_get_string(tb[1]));
	EXPECT_EQ(NULL, tb[2]);
	/* Longer than maxlen; a u32 of 2 bytes. */
	ASSERT_EQ(0, nla_put_string(self->m, 3, "toolong"));
	nlh = nlmsg_hdr(self->m);
	EXPECT_EQ(-EPROTO, cosi_attrs_parse(tb, 3,
					    genlmsg_attrdata(nlmsg_data(nlh), 0),
					    genlmsg_attrlen(nlmsg_data(nlh), 0),
					    pol));
	EXPECT_EQ(0, cosi_attrs_parse(tb, 2, genlmsg_attrdata(nlmsg_data(nlh), 0),
				      genlmsg_attrlen(nlmsg_data(nlh), 0), pol));
	nlmsg_free(self->m);
	self->m = msg_new(COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nla_put(self->m, 2, 2, "ab"));
	nlh = nlmsg_hdr(self->m);
	EXPECT_EQ(-EPROTO, cosi_attrs_parse(tb, 3,
					    genlmsg_attrdata(nlmsg_data(nlh), 0),
					    genlmsg_attrlen(nlmsg_data(nlh), 0),
					    pol));
}

TEST_F(unit, event_parse)
{
	struct cosi_event *ev = NULL;
	struct cosi_resource *r;

	self->m = msg_new(COSI_CMD_RESOURCE_EVENT, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nla_put_u32(self->m, COSI_A_RESOURCE_WATCH_ID, 5));
	ASSERT_EQ(0, nla_put_u32(self->m, COSI_A_RESOURCE_EVENT,
				 COSI_EVENT_KIND_UPDATED));
	ASSERT_EQ(0, nla_put_string(self->m, COSI_A_RESOURCE_ID, "x"));
	ASSERT_EQ(0, nla_put_u64(self->m, COSI_A_RESOURCE_VERSION, 2));
	ASSERT_EQ(0, nla_put_u64(self->m, COSI_A_RESOURCE_REVISION, 9));
	ASSERT_EQ(0, put_labels(self->m, COSI_A_RESOURCE_LABELS, "a", "2"));
	ASSERT_EQ(0, put_labels(self->m, COSI_A_RESOURCE_OLD_LABELS, "a", "1"));
	ASSERT_EQ(0, cosi_event_parse(self->m, &ev));
	EXPECT_EQ(5, ev->watch_id);
	EXPECT_EQ(COSI_EVENT_KIND_UPDATED, ev->kind);
	EXPECT_EQ(9, ev->revision);
	EXPECT_STREQ("x", ev->res->id);
	EXPECT_FALSE(ev->res->has_spec);
	EXPECT_TRUE(ev->has_old_labels);
	EXPECT_STREQ("1", cosi_kvs_get(&ev->old_labels, "a"));
	EXPECT_STREQ("2", cosi_kvs_get(&ev->res->labels, "a"));

	r = cosi_event_take(ev);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("x", r->id);
	EXPECT_EQ(NULL, ev->res);	/* moved out */
	cosi_resource_free(r);
	cosi_event_free(ev);
	nlmsg_free(self->m);

	/* A marker: a kind and a revision, nothing else. */
	self->m = msg_new(COSI_CMD_WATCH, NLM_F_MULTI);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nla_put_u32(self->m, COSI_A_RESOURCE_WATCH_ID, 1));
	ASSERT_EQ(0, nla_put_u32(self->m, COSI_A_RESOURCE_EVENT,
				 COSI_EVENT_KIND_BOOTSTRAPPED));
	ASSERT_EQ(0, nla_put_u64(self->m, COSI_A_RESOURCE_REVISION, 77));
	ASSERT_EQ(0, cosi_event_parse(self->m, &ev));
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, ev->kind);
	EXPECT_EQ(77, ev->revision);
	EXPECT_STREQ("", ev->res->id);
	EXPECT_FALSE(ev->has_old_labels);
	cosi_event_free(ev);
}

TEST_F(unit, event_vec)
{
	struct cosi_event_vec v = { 0 };
	struct cosi_event *ev;
	int i;

	for (i = 0; i < 100; i++) {
		/* The library's own layout: this test links libcosi.a. */
		ev = calloc(1, sizeof(*ev));
		ASSERT_NE(NULL, ev);
		ev->res = calloc(1, sizeof(*ev->res));
		ASSERT_NE(NULL, ev->res);
		ev->revision = i;
		ev->res->id = strdup("x");
		cosi_event_vec_push(ev, &v);
	}
	ASSERT_EQ(100, v.n);
	EXPECT_EQ(99, v.v[99]->revision);
	cosi_event_vec_clear(&v);
	EXPECT_EQ(0, v.n);
}

TEST_F(unit, definition_roundtrip)
{
	struct cosi_definition *d = NULL;
	struct cosi_definition *got = NULL;

	ASSERT_NE(NULL, d = cosi_def_new("links"));
	ASSERT_EQ(0, cosi_def_add_alias(d, "link"));
	ASSERT_EQ(0, cosi_def_add_alias(d, "l"));
	ASSERT_EQ(0, cosi_def_set_default_ns(d, "net"));
	d->sensitivity = COSI_SENSITIVITY_SENSITIVE;
	ASSERT_EQ(0, cosi_def_add_field(d, "name", COSI_FIELD_TYPE_STRING,
					true));
	ASSERT_EQ(0, cosi_def_add_field(d, "mtu", COSI_FIELD_TYPE_U64, false));
	ASSERT_EQ(0, cosi_def_add_column(d, "MTU", "mtu"));
	self->m = msg_new(COSI_CMD_DEFINITION_SET, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, cosi_put_definition(self->m, d));
	ASSERT_EQ(0, nla_put_u64(self->m, COSI_A_DEFINITION_REVISION, 3));
	ASSERT_EQ(0, nla_put_u32(self->m, COSI_A_DEFINITION_RESOURCES, 4));

	ASSERT_EQ(0, cosi_definition_parse(self->m, &got));
	EXPECT_STREQ("links", got->type);
	EXPECT_STREQ("net", got->default_ns);
	EXPECT_EQ(COSI_SENSITIVITY_SENSITIVE, got->sensitivity);
	ASSERT_EQ(2, got->aliases.n);
	EXPECT_STREQ("link", got->aliases.v[0]);
	EXPECT_STREQ("l", got->aliases.v[1]);
	ASSERT_EQ(2, got->n_fields);
	EXPECT_STREQ("mtu", got->fields[1].name);
	EXPECT_EQ(COSI_FIELD_TYPE_U64, got->fields[1].type);
	EXPECT_TRUE(got->fields[0].required);
	EXPECT_FALSE(got->fields[1].required);
	ASSERT_EQ(1, got->n_columns);
	EXPECT_STREQ("MTU", got->columns[0].name);
	EXPECT_STREQ("mtu", got->columns[0].field);
	EXPECT_EQ(3, got->revision);
	EXPECT_EQ(4, got->resources);
	cosi_definition_free(got);
	cosi_definition_free(d);
}

TEST_F(unit, label_query_encoding)
{
	const struct cosi_term t1[] = {
		{ .key = "env", .op = COSI_LABEL_OP_IN,
		  .values = (const char *const[]){ "a", "b" }, .n_values = 2,
		  .invert = true },
		{ .key = "x", .op = COSI_LABEL_OP_EXISTS },
	};
	const struct cosi_query q[] = { { t1, 2 }, { NULL, 0 } };
	COSI_OPTS(cosi_list_req, lr,
		.ns = "ns", .type = "t", .id_prefix = "p", .queries = q,
		.n_queries = 2,
	);
	struct nlattr *tb[COSI_A_LABEL_TERM_MAX + 1], *a, *term;
	struct genlmsghdr *gh;
	int rem, rem2, nq = 0, nt = 0, nv;

	self->m = msg_new(COSI_CMD_RESOURCE_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, cosi_put_list_req(self->m, &lr));
	gh = genlmsg_hdr(nlmsg_hdr(self->m));
	nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		if (nla_type(a) == COSI_A_RESOURCE_ID_PREFIX)
			EXPECT_STREQ("p", nla_get_string(a));
		if (nla_type(a) != COSI_A_RESOURCE_LABEL_QUERY)
			continue;
		nq++;
		nla_for_each_nested(term, a, rem2) {
			ASSERT_EQ(COSI_A_LABEL_QUERY_TERM, nla_type(term));
			ASSERT_EQ(0, nla_parse_nested(tb, COSI_A_LABEL_TERM_MAX,
						      term, NULL));
			nt++;
			if (nt == 1) {
				struct nlattr *v;
				int rem3;

				EXPECT_STREQ("env",
					     nla_get_string(tb[COSI_A_LABEL_TERM_KEY]));
				EXPECT_EQ(COSI_LABEL_OP_IN,
					  nla_get_u32(tb[COSI_A_LABEL_TERM_OP]));
				EXPECT_NE(NULL, tb[COSI_A_LABEL_TERM_INVERT]);
				nv = 0;
				nla_for_each_nested(v, term, rem3)
					nv += nla_type(v) == COSI_A_LABEL_TERM_VALUE;
				EXPECT_EQ(2, nv);
			} else {
				EXPECT_EQ(NULL, tb[COSI_A_LABEL_TERM_INVERT]);
				EXPECT_EQ(NULL, tb[COSI_A_LABEL_TERM_VALUE]);
			}
		}
	}
	/* The second, empty, query is sent too. */
	EXPECT_EQ(2, nq);
	EXPECT_EQ(2, nt);
}

/* An NLMSG_ERROR as the kernel sends it, with extack TLVs. */
static struct nl_msg *nlerr_msg(int error, bool capped, const char *text,
				int offs, int miss)
{
	struct nl_msg *req = msg_new(COSI_CMD_RESOURCE_CREATE, 0);
	struct nl_msg *m = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	struct nlmsghdr *nlh;
	struct nlmsgerr e = { .error = error };

	if (!req || !m)
		goto fail;
	nla_put_string(req, COSI_A_RESOURCE_ID, "echoed request");
	e.msg = *nlmsg_hdr(req);
	if (nlmsg_append(m, &e, sizeof(e), NLMSG_ALIGNTO))
		goto fail;
	if (!capped && nlmsg_append(m, nlmsg_data(nlmsg_hdr(req)),
				    nlmsg_datalen(nlmsg_hdr(req)), NLMSG_ALIGNTO))
		goto fail;
	nlh = nlmsg_hdr(m);
	nlh->nlmsg_flags |= capped ? NLM_F_CAPPED : 0;
	if (text || offs >= 0 || miss >= 0)
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	if ((text && nla_put_string(m, NLMSGERR_ATTR_MSG, text)) ||
	    (offs >= 0 && nla_put_u32(m, NLMSGERR_ATTR_OFFS, offs)) ||
	    (miss >= 0 && nla_put_u32(m, NLMSGERR_ATTR_MISS_TYPE, miss)))
		goto fail;
	nlmsg_free(req);
	return m;
fail:
	nlmsg_free(req);
	nlmsg_free(m);
	return NULL;
}

TEST_F(unit, extack_parse)
{
	struct cosi_err e;
	char buf[256];

	self->m = nlerr_msg(-EINVAL, true,
			    "spec field 'mtu' has the wrong type", 40, -1);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	EXPECT_EQ(EINVAL, e.err);
	EXPECT_STREQ("spec field 'mtu' has the wrong type", e.msg);
	EXPECT_TRUE(e.has_offset);
	EXPECT_EQ(40, e.offset);
	EXPECT_FALSE(e.has_miss_type);
	EXPECT_STREQ("resource-create: Invalid argument: "
		     "spec field 'mtu' has the wrong type",
		     cosi_err_format(&e, "resource-create", buf, sizeof(buf)));
	nlmsg_free(self->m);

	/* Not capped: the request is echoed before the TLVs. */
	self->m = nlerr_msg(-ESTALE, false, "version mismatch", -1, 3);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	EXPECT_EQ(ESTALE, e.err);
	EXPECT_STREQ("version mismatch", e.msg);
	EXPECT_FALSE(e.has_offset);
	EXPECT_TRUE(e.has_miss_type);
	EXPECT_EQ(3, e.miss_type);
	nlmsg_free(self->m);

	/* No TLVs: just the errno. */
	self->m = nlerr_msg(-EPERM, false, NULL, -1, -1);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	EXPECT_EQ(EPERM, e.err);
	EXPECT_STREQ("", e.msg);
	EXPECT_STREQ("owner-claim: Operation not permitted",
		     cosi_err_format(&e, "owner-claim", buf, sizeof(buf)));
	nlmsg_free(self->m);

	/* An ACK. */
	self->m = nlerr_msg(0, true, NULL, -1, -1);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	EXPECT_EQ(0, e.err);
	nlmsg_free(self->m);

	/*
	 * No errno in range (found by tests/fuzz/fuzz_msg: negating INT_MIN
	 * was undefined): malformed, and the error is EPROTO.
	 */
	self->m = nlerr_msg(INT_MIN, true, "x", -1, -1);
	ASSERT_NE(NULL, self->m);
	EXPECT_EQ(-EPROTO, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	EXPECT_EQ(EPROTO, e.err);
	nlmsg_free(self->m);
	self->m = nlerr_msg(5, true, NULL, -1, -1);
	ASSERT_NE(NULL, self->m);
	EXPECT_EQ(-EPROTO, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	EXPECT_EQ(EPROTO, e.err);
}

TEST_F(unit, done_parse)
{
	struct cosi_err e;
	int error = -ENOBUFS;

	self->m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nlmsg_append(self->m, &error, sizeof(error),
				  NLMSG_ALIGNTO));
	ASSERT_EQ(0, nla_put_string(self->m, NLMSGERR_ATTR_MSG, "watch stopped"));
	ASSERT_EQ(0, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	EXPECT_EQ(ENOBUFS, e.err);
	EXPECT_STREQ("watch stopped", e.msg);
	nlmsg_free(self->m);

	error = 0;
	self->m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nlmsg_append(self->m, &error, sizeof(error),
				  NLMSG_ALIGNTO));
	ASSERT_EQ(0, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	EXPECT_EQ(0, e.err);
	nlmsg_free(self->m);

	/* Truncated errors and other types are refused. */
	self->m = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	ASSERT_NE(NULL, self->m);
	ASSERT_EQ(0, nlmsg_append(self->m, &error, sizeof(error),
				  NLMSG_ALIGNTO));
	EXPECT_EQ(-EPROTO, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
	nlmsg_free(self->m);
	self->m = nlmsg_alloc_simple(NLMSG_NOOP, 0);
	ASSERT_NE(NULL, self->m);
	EXPECT_EQ(-EPROTO, cosi_nlerr_parse(nlmsg_hdr(self->m), &e));
}

/*
 * The ABI check of caller-built structs (cosi_opts.h, cosi.h's "ABI
 * rules"), as libcosi and libcosi-runtime run it on every entry point:
 * callers built against an older header (a shorter struct), a newer one
 * (a longer struct) and none (sz 0), each simulated by a struct of that
 * layout.
 */
struct old_watch_req {			/* cosi_watch_req up to id */
	size_t sz;
	const char *ns, *type, *id;
};

struct new_watch_req {			/* cosi_watch_req and one more field */
	struct cosi_watch_req cur;
	uint64_t added;
};

TEST_F(unit, opts_abi_check)
{
	union {
		struct old_watch_req o;
		unsigned char raw[sizeof(struct cosi_watch_req) + 64];
	} old;
	struct new_watch_req nw;
	struct cosi_watch_req got;
	char msg[256], want[256];

	/* Older caller: what it has is read, nothing past its sz is. */
	memset(&old, 0xff, sizeof(old));
	old.o.sz = sizeof(old.o);
	old.o.ns = "ns";
	old.o.type = "t";
	old.o.id = NULL;
	ASSERT_EQ(0, cosi_opts_copy(&got, sizeof(got), &old, "cosi_watch_req",
				    msg, sizeof(msg)));
	EXPECT_EQ(sizeof(got), got.sz);
	EXPECT_STREQ("ns", got.ns);
	EXPECT_STREQ("t", got.type);
	EXPECT_EQ(NULL, got.id);
	EXPECT_EQ(NULL, got.queries);
	EXPECT_EQ(0, got.n_queries);
	EXPECT_FALSE(got.bootstrap);
	EXPECT_FALSE(got.has_since);
	EXPECT_EQ(0, got.since_revision);

	/* Newer caller that sets a field this library lacks: refused. */
	memset(&nw, 0, sizeof(nw));
	nw.cur.sz = sizeof(nw);
	nw.cur.ns = "ns";
	nw.cur.bootstrap = true;
	nw.added = 1;
	EXPECT_EQ(-E2BIG, cosi_opts_copy(&got, sizeof(got), &nw,
					 "cosi_watch_req", msg, sizeof(msg)));
	snprintf(want, sizeof(want),
		 "struct cosi_watch_req: fields past the %zu bytes this library knows are set (sz %zu); rebuild against its header",
		 sizeof(got), sizeof(nw));
	EXPECT_STREQ(want, msg);
	EXPECT_EQ(NULL, got.ns);	/* nothing half-copied */

	/* ... and leaves it zero: accepted, read as what it knows. */
	nw.added = 0;
	ASSERT_EQ(0, cosi_opts_copy(&got, sizeof(got), &nw, "cosi_watch_req",
				    msg, sizeof(msg)));
	EXPECT_EQ(sizeof(got), got.sz);
	EXPECT_STREQ("ns", got.ns);
	EXPECT_TRUE(got.bootstrap);

	/* Not initialised with COSI_OPTS(): sz 0. */
	nw.cur.sz = 0;
	EXPECT_EQ(-EINVAL, cosi_opts_copy(&got, sizeof(got), &nw,
					  "cosi_watch_req", msg, sizeof(msg)));
	EXPECT_STREQ("struct cosi_watch_req: sz is 0; initialise it with COSI_OPTS()",
		     msg);
	EXPECT_EQ(-EINVAL, cosi_opts_copy(&got, sizeof(got), NULL,
					  "cosi_watch_req", msg, sizeof(msg)));

	/*
	 * Garbage in sz (a stack struct never initialised): not a size, so
	 * refused before the tail is read: a pointer-sized sz would make the
	 * scan run off the caller's memory (ASan names it).
	 */
	nw.cur.sz = (size_t)&nw;
	EXPECT_EQ(-EINVAL, cosi_opts_copy(&got, sizeof(got), &nw,
					  "cosi_watch_req", msg, sizeof(msg)));
	nw.cur.sz = 4096 + sizeof(size_t);
	EXPECT_EQ(-EINVAL, cosi_opts_copy(&got, sizeof(got), &nw,
					  "cosi_watch_req", msg, sizeof(msg)));
	nw.cur.sz = sizeof(got) - 4;	/* half a field */
	EXPECT_EQ(-EINVAL, cosi_opts_copy(&got, sizeof(got), &nw,
					  "cosi_watch_req", msg, sizeof(msg)));
	snprintf(want, sizeof(want),
		 "struct cosi_watch_req: sz is %zu; initialise it with COSI_OPTS()",
		 sizeof(got) - 4);
	EXPECT_STREQ(want, msg);

	/*
	 * A set byte right past what the library knows decides E2BIG: the
	 * scan stops there, never reading the rest of a (valid-looking) sz.
	 */
	nw.cur.sz = 4096;
	nw.added = 1;
	EXPECT_EQ(-E2BIG, cosi_opts_copy(&got, sizeof(got), &nw,
					 "cosi_watch_req", msg, sizeof(msg)));
}

/* COSI_OPTS() and COSI_OPTS_PTR() set sz and zero what is not named. */
TEST_F(unit, opts_macros)
{
	COSI_OPTS(cosi_req, r, .id = "x", .has_expected_phase = true);
	const struct cosi_list_req *q = COSI_OPTS_PTR(cosi_list_req,
						      .type = "t");

	EXPECT_EQ(sizeof(struct cosi_req), r.sz);
	EXPECT_STREQ("x", r.id);
	EXPECT_EQ(NULL, r.ns);
	EXPECT_EQ(NULL, r.labels);
	EXPECT_TRUE(r.has_expected_phase);
	EXPECT_EQ(0, r.expected_phase);
	EXPECT_EQ(sizeof(struct cosi_list_req), q->sz);
	EXPECT_STREQ("t", q->type);
	EXPECT_EQ(NULL, q->queries);
}

TEST_HARNESS_MAIN
