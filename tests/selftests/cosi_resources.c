// SPDX-License-Identifier: GPL-2.0
/*
 * Resources: every write and read operation, its metadata rules and its
 * error paths (bad attributes, names, schema violations, preconditions,
 * ownership, finalizers, limits).
 */
#include "cosi_test.h"

FIXTURE(res) {
	struct cosi *c;
	long params[COSI_NPARAMS];
};

FIXTURE_SETUP(res)
{
	params_save(self->params);
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET, 0));
}

FIXTURE_TEARDOWN(res)
{
	cosi_close(self->c);
	params_restore(self->params);
}

/* The full widget spec used by the round-trip tests. */
static void full_spec(struct cosi_spec *spec, bool reversed)
{
	static const char *const tags[] = { "a", "", "c c" };
	static const uint8_t blob[] = { 0, 1, 2, 0, 255 };

	memset(spec, 0, sizeof(*spec));
	if (reversed) {
		cosi_spec_add_strings(spec, "tags", tags, 3);
		cosi_spec_add_bytes(spec, "blob", blob, sizeof(blob));
		cosi_spec_add_bool(spec, "enabled", true);
		cosi_spec_add_s64(spec, "offset", -42);
		cosi_spec_add_u64(spec, "mtu", UINT64_MAX);
		cosi_spec_add_string(spec, "name", "eth0");
		return;
	}
	cosi_spec_add_string(spec, "name", "eth0");
	cosi_spec_add_u64(spec, "mtu", UINT64_MAX);
	cosi_spec_add_s64(spec, "offset", -42);
	cosi_spec_add_bool(spec, "enabled", true);
	cosi_spec_add_bytes(spec, "blob", blob, sizeof(blob));
	cosi_spec_add_strings(spec, "tags", tags, 3);
}

static void res_expect_equal(struct __test_metadata *_metadata,
			     const struct cosi_resource *a,
			     const struct cosi_resource *b)
{
	size_t i;

	EXPECT_STREQ(a->ns, b->ns);
	EXPECT_STREQ(a->type, b->type);
	EXPECT_STREQ(a->id, b->id);
	EXPECT_EQ(a->version, b->version);
	EXPECT_STREQ(a->owner, b->owner);
	EXPECT_EQ(a->phase, b->phase);
	EXPECT_TRUE(cosi_kvs_equal(&a->labels, &b->labels));
	EXPECT_TRUE(cosi_kvs_equal(&a->annotations, &b->annotations));
	ASSERT_EQ(a->finalizers.n, b->finalizers.n);
	for (i = 0; i < a->finalizers.n; i++)
		EXPECT_TRUE(cosi_strs_has(&b->finalizers, a->finalizers.v[i]));
	EXPECT_EQ(a->created, b->created);
	EXPECT_EQ(a->updated, b->updated);
	EXPECT_EQ(a->revision, b->revision);
	EXPECT_TRUE(cosi_spec_equal(&a->spec, &b->spec));
}

/* The spec's fields come in schema order. */
static void spec_expect_schema_order(struct __test_metadata *_metadata,
				     const struct cosi_spec *s)
{
	static const char *const order[] = {
		"name", "mtu", "offset", "enabled", "blob", "tags",
	};
	size_t i, j = 0;

	for (i = 0; i < s->n; i++) {
		while (j < 6 && strcmp(order[j], s->v[i].name))
			j++;
		ASSERT_LT(j, 6) TH_LOG("field %s out of schema order",
				       s->v[i].name);
	}
}

TEST_F(res, create_get_roundtrip)
{
	struct cosi_kvs labels = kvs_make("env", "prod", "tier", "web", NULL);
	struct cosi_kvs ann = kvs_make("note", "hello world", "empty", "",
				       "utf8", "gr\xc3\xbc\xc3\x9f""e", NULL);
	struct cosi_resource *made = NULL, *got = NULL;
	struct cosi_spec spec;
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "eth0",
		.labels = &labels, .annotations = &ann, .spec = &spec,
	);
	uint64_t t0, t1;

	full_spec(&spec, false);
	t0 = now_ns();
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, &made));
	t1 = now_ns();

	EXPECT_STREQ(TEST_NS, made->ns);
	EXPECT_STREQ(WIDGET, made->type);
	EXPECT_STREQ("eth0", made->id);
	EXPECT_EQ(1, made->version);
	EXPECT_STREQ("", made->owner);
	EXPECT_EQ(COSI_PHASE_RUNNING, made->phase);
	EXPECT_TRUE(cosi_kvs_equal(&labels, &made->labels));
	EXPECT_TRUE(cosi_kvs_equal(&ann, &made->annotations));
	EXPECT_EQ(0, made->finalizers.n);
	EXPECT_LE(t0, made->created);
	EXPECT_GE(t1, made->created);
	EXPECT_EQ(made->created, made->updated);
	/* The definition was revision 1 of this fresh netns. */
	EXPECT_EQ(2, made->revision);
	EXPECT_TRUE(made->has_spec);
	EXPECT_TRUE(cosi_spec_equal(&spec, &made->spec));
	spec_expect_schema_order(_metadata, &made->spec);

	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "eth0", &got));
	res_expect_equal(_metadata, made, got);
	spec_expect_schema_order(_metadata, &got->spec);

	cosi_resource_free(made);
	cosi_resource_free(got);
	cosi_spec_clear(&spec);
	cosi_kvs_clear(&labels);
	cosi_kvs_clear(&ann);
}

/*
 * The ABI check of caller-built structs (cosi.h's "ABI rules") on
 * libcosi's entry points, before any I/O: requests laid out as a program
 * built against an older header (shorter), a newer one (longer) or none
 * (sz 0) would pass them.
 */
#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))

TEST_F(res, abi_sized_requests)
{
	union {
		struct cosi_req r;
		unsigned char raw[sizeof(struct cosi_req) + 64];
	} old;
	struct {
		struct cosi_req cur;
		uint64_t added;
	} nw;
	struct {
		struct cosi_watch_req cur;
		uint64_t added;
	} nww;
	struct cosi_kvs labels = kvs_make("abi", "old", NULL);
	struct cosi_resource *got = NULL;
	struct cosi_resources l;
	struct cosi_spec spec;
	const char *msg;

	full_spec(&spec, false);
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c,
		COSI_OPTS_PTR(cosi_req, .ns = TEST_NS, .type = WIDGET,
			      .id = "abi", .spec = &spec), NULL));

	/*
	 * Older caller, up to spec: expected-version and -phase read as
	 * unset.  Read from the garbage past sz, they would make the update
	 * fail (a version that is not 1).  The label makes it a change.
	 */
	memset(&old, 0xff, sizeof(old));
	old.r.sz = offsetofend(struct cosi_req, spec);
	old.r.ns = TEST_NS;
	old.r.type = WIDGET;
	old.r.id = "abi";
	old.r.labels = &labels;
	old.r.annotations = NULL;
	old.r.spec = &spec;
	ASSERT_COSI_OK(self->c, cosi_resource_update(self->c, &old.r, &got));
	EXPECT_EQ(2, got->version);
	EXPECT_STREQ("old", cosi_kvs_get(&got->labels, "abi"));
	cosi_resource_free(got);

	/*
	 * A caller of the header before quiet (up to ack_only's padding):
	 * quiet reads as unset, where the garbage past sz would make this
	 * call refuse it (a quiet write has no answer to hand back).
	 */
	memset(&old, 0xff, sizeof(old));
	old.r.sz = offsetofend(struct cosi_req, reserved);
	old.r.ns = TEST_NS;
	old.r.type = WIDGET;
	old.r.id = "abi";
	old.r.labels = NULL;
	old.r.annotations = NULL;
	old.r.spec = &spec;
	old.r.finalizers = NULL;
	old.r.has_expected_version = false;
	old.r.has_expected_phase = false;
	old.r.ack_only = false;
	memset(old.r.reserved, 0, sizeof(old.r.reserved));
	ASSERT_COSI_OK(self->c, cosi_resource_update(self->c, &old.r, &got));
	EXPECT_EQ(2, got->version);	/* the same spec: no change */
	EXPECT_STREQ("abi", got->id);
	cosi_resource_free(got);

	/* Newer caller, its new field set: refused, with why. */
	memset(&nw, 0, sizeof(nw));
	nw.cur.sz = sizeof(nw);
	nw.cur.ns = TEST_NS;
	nw.cur.type = WIDGET;
	nw.cur.id = "abi";
	nw.added = 1;
	EXPECT_COSI_ERR(self->c, E2BIG,
			cosi_resource_destroy(self->c, &nw.cur, NULL));
	msg = cosi_strerror(self->c, "destroy");
	EXPECT_NE(NULL, strstr(msg, "struct cosi_req: fields past the"))
		TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "rebuild against its header"))
		TH_LOG("%s", msg);
	EXPECT_EQ(NULL, cosi_req_msg(self->c, COSI_CMD_RESOURCE_GET, &nw.cur));
	EXPECT_EQ(E2BIG, errno);
	memset(&nww, 0, sizeof(nww));
	nww.cur.sz = sizeof(nww);
	nww.cur.ns = TEST_NS;
	nww.cur.type = WIDGET;
	nww.added = 1;
	EXPECT_COSI_ERR(self->c, E2BIG,
			cosi_watch(self->c, &nww.cur, NULL, NULL, NULL, NULL));

	/* ... left zero: accepted (and the resource is still there). */
	nw.added = 0;
	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &nw.cur, NULL,
						       &got));
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, got->phase);
	cosi_resource_free(got);

	/* No sz (a request not built with COSI_OPTS()). */
	nw.cur.sz = 0;
	EXPECT_COSI_ERR(self->c, EINVAL,
			cosi_resource_destroy(self->c, &nw.cur, NULL));
	EXPECT_STREQ("struct cosi_req: sz is 0; initialise it with COSI_OPTS()",
		     cosi_last_error(self->c)->msg);
	EXPECT_COSI_ERR(self->c, EINVAL,
			cosi_resource_list(self->c,
					   &(struct cosi_list_req){ .ns = TEST_NS },
					   &l));
	nw.cur.sz = sizeof(nw.cur);
	ASSERT_COSI_OK(self->c, cosi_resource_destroy(self->c, &nw.cur, NULL));
	cosi_spec_clear(&spec);
	cosi_kvs_clear(&labels);
}

TEST_F(res, spec_stored_in_schema_order)
{
	struct cosi_resource *got = NULL;
	struct cosi_spec spec;
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .spec = &spec,
	);

	full_spec(&spec, true);
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, NULL));
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "x", &got));
	ASSERT_EQ(6, got->spec.n);
	EXPECT_STREQ("name", got->spec.v[0].name);
	EXPECT_STREQ("tags", got->spec.v[5].name);
	spec_expect_schema_order(_metadata, &got->spec);
	EXPECT_TRUE(cosi_spec_equal(&spec, &got->spec));
	cosi_resource_free(got);
	cosi_spec_clear(&spec);
}

TEST_F(res, optional_fields_and_empty_spec)
{
	struct cosi_definition *d = NULL;
	struct cosi_resource *got = NULL;
	struct cosi_spec empty = { 0 };
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = "loose", .id = "a");

	ASSERT_NE(NULL, d = cosi_def_new("loose"));
	ASSERT_EQ(0, cosi_def_add_field(d, "x", COSI_FIELD_TYPE_U64, false));
	ASSERT_COSI_OK(self->c, cosi_definition_set(self->c, d, NULL));
	cosi_definition_free(d);

	/* No spec attribute at all, and an empty spec nest. */
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, &got));
	EXPECT_EQ(0, got->spec.n);
	cosi_resource_free(got);
	r.id = "b";
	r.spec = &empty;
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, &got));
	EXPECT_EQ(0, got->spec.n);
	cosi_resource_free(got);

	/* widgets require "name". */
	r.type = WIDGET;
	EXPECT_COSI_ERR(self->c, EINVAL,
			cosi_resource_create(self->c, &r, NULL));
	ASSERT_EXTACK_NAMES(self->c, "name");
}

TEST_F(res, create_existing)
{
	struct cosi_resource *got = NULL;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, NULL));
	EXPECT_COSI_ERR(self->c, EEXIST,
			widget_create_ns(self->c, TEST_NS, WIDGET, "a", "other",
					 NULL, NULL));
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "a", &got));
	EXPECT_EQ(1, got->version);
	EXPECT_STREQ("a", cosi_spec_get(&got->spec, "name")->str);
	cosi_resource_free(got);
}

TEST_F(res, missing_resource_or_type)
{
	struct cosi_strs fin = strs_make("f", NULL);
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET, .id = "nope");
	char no_res[256], no_type[256];

	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_get(self->c, TEST_NS, WIDGET, "nope", NULL));
	snprintf(no_res, sizeof(no_res), "%s", cosi_last_error(self->c)->msg);
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_get(self->c, TEST_NS, "gizmos", "nope",
					  NULL));
	snprintf(no_type, sizeof(no_type), "%s", cosi_last_error(self->c)->msg);
	/* The extack tells which is missing. */
	EXPECT_NE(0, strlen(no_res));
	EXPECT_NE(0, strlen(no_type));
	EXPECT_STRNE(no_res, no_type);

	EXPECT_COSI_ERR(self->c, ENOENT,
			widget_create(self->c, "gizmos", "a", NULL, NULL));
	EXPECT_COSI_ERR(self->c, ENOENT,
			widget_update(self->c, WIDGET, "nope", "x", NULL, NULL));
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_destroy(self->c, &r, NULL));
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_teardown(self->c, &r, NULL, NULL));
	r.finalizers = &fin;
	EXPECT_COSI_ERR(self->c, ENOENT, cosi_finalizer_add(self->c, &r, NULL));
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_finalizer_remove(self->c, &r, NULL));
	cosi_strs_clear(&fin);
}

/*
 * EINVAL, and the extack names the missing attribute (or says so).  6.1
 * kernels do not pass the missing attribute on when a dump fails to start.
 */
static void expect_missing(struct __test_metadata *_metadata,
			   struct cosi *c, int ret, uint32_t attr,
			   const char *name)
{
	const struct cosi_err *e = cosi_last_error(c);
	const struct nlmsghdr *req = cosi_last_request(c);
	bool dump = req && (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

	EXPECT_EQ(-EINVAL, ret) TH_LOG("missing %s: %s", name,
				       cosi_strerror(c, "request"));
	if (dump && !kernel_fmt_extack())
		return;
	/* Both: the type for programs, a message for people. */
	EXPECT_TRUE(e->has_miss_type && e->miss_type == attr)
		TH_LOG("missing %s: no missing-type", name);
	EXPECT_NE(NULL, strstr(e->msg, name))
		TH_LOG("missing %s not in the message (\"%s\")", name, e->msg);
}

/*
 * One raw request lacking a required attribute, at the top or in a nest
 * (@build puts the rest).  Found by tests/fuzz/nlfuzz: these were
 * rejected with only NLMSGERR_ATTR_MISS_TYPE, without a message.
 */
static void missing_in(struct __test_metadata *_metadata, struct cosi *c,
		       uint8_t cmd, int flags,
		       void (*build)(struct nl_msg *m), const char *name)
{
	struct nl_msg *m = cosi_msg_new(c, cmd, flags);
	const struct cosi_err *e = cosi_last_error(c);

	ASSERT_NE(NULL, m);
	if (build)
		build(m);
	EXPECT_COSI_ERR(c, EINVAL, cosi_request(c, m, NULL, NULL));
	if ((flags & NLM_F_DUMP) && !kernel_fmt_extack())
		return;
	EXPECT_NE(NULL, strstr(e->msg, "missing attribute"))
		TH_LOG("%s: \"%s\"", name, e->msg);
	EXPECT_NE(NULL, strstr(e->msg, name))
		TH_LOG("%s: \"%s\"", name, e->msg);
}

static void put_key(struct nl_msg *m)
{
	nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, TEST_NS);
	nla_put_string(m, COSI_A_RESOURCE_TYPE, WIDGET);
	nla_put_string(m, COSI_A_RESOURCE_ID, "a");
}

/* @outer { @inner { @attr = @value } }, or @outer { ... } when @inner < 0. */
static void put_nested(struct nl_msg *m, int outer, int inner, int attr,
		       const char *value)
{
	struct nlattr *o, *i = NULL;

	o = nla_nest_start(m, outer | NLA_F_NESTED);
	if (inner >= 0)
		i = nla_nest_start(m, inner | NLA_F_NESTED);
	nla_put_string(m, attr, value);
	if (i)
		nla_nest_end(m, i);
	nla_nest_end(m, o);
}

static void put_label_no_key(struct nl_msg *m)
{
	put_key(m);
	put_nested(m, COSI_A_RESOURCE_LABELS, COSI_A_LABELS_LABEL,
		   COSI_A_LABEL_VALUE, "v");
}

static void put_field_no_name(struct nl_msg *m)
{
	put_key(m);
	put_nested(m, COSI_A_RESOURCE_SPEC, COSI_A_SPEC_FIELD,
		   COSI_A_SPEC_FIELD_STRING, "v");
}

static void put_term_no_op(struct nl_msg *m)
{
	nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, TEST_NS);
	nla_put_string(m, COSI_A_RESOURCE_TYPE, WIDGET);
	put_nested(m, COSI_A_RESOURCE_LABEL_QUERY, COSI_A_LABEL_QUERY_TERM,
		   COSI_A_LABEL_TERM_KEY, "k");
}

static void put_schema_field_no_type(struct nl_msg *m)
{
	nla_put_string(m, COSI_A_DEFINITION_TYPE, "gadgets");
	put_nested(m, COSI_A_DEFINITION_FIELD, -1, COSI_A_SCHEMA_FIELD_NAME,
		   "x");
}

static void put_column_no_field(struct nl_msg *m)
{
	nla_put_string(m, COSI_A_DEFINITION_TYPE, "gadgets");
	put_nested(m, COSI_A_DEFINITION_PRINT_COLUMN, -1,
		   COSI_A_PRINT_COLUMN_NAME, "X");
}

TEST_F(res, missing_attribute_message)
{
	struct cosi *c = self->c;

	missing_in(_metadata, c, COSI_CMD_RESOURCE_GET, 0, NULL, "namespace");
	missing_in(_metadata, c, COSI_CMD_RESOURCE_GET, NLM_F_DUMP, NULL,
		   "namespace");
	missing_in(_metadata, c, COSI_CMD_WATCH, NLM_F_DUMP, NULL, "namespace");
	missing_in(_metadata, c, COSI_CMD_FINALIZER_ADD, 0, put_key,
		   "finalizers");
	missing_in(_metadata, c, COSI_CMD_DEFINITION_GET, 0, NULL, "type");
	missing_in(_metadata, c, COSI_CMD_DEFINITION_DELETE, 0, NULL, "type");
	missing_in(_metadata, c, COSI_CMD_DEFINITION_SET, 0, NULL, "type");
	missing_in(_metadata, c, COSI_CMD_WATCH_STOP, 0, NULL, "watch-id");
	missing_in(_metadata, c, COSI_CMD_OWNER_CLAIM, 0, NULL, "owner");
	missing_in(_metadata, c, COSI_CMD_RESOURCE_CREATE, 0, put_label_no_key,
		   "label key");
	missing_in(_metadata, c, COSI_CMD_RESOURCE_CREATE, 0, put_field_no_name,
		   "spec field name");
	missing_in(_metadata, c, COSI_CMD_RESOURCE_GET, NLM_F_DUMP,
		   put_term_no_op, "label term op");
	missing_in(_metadata, c, COSI_CMD_DEFINITION_SET, 0,
		   put_schema_field_no_type, "schema field type");
	missing_in(_metadata, c, COSI_CMD_DEFINITION_SET, 0,
		   put_column_no_field, "print column field");
}

TEST_F(res, missing_key_attributes)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET, .id = "a",
		  .spec = &spec);
	COSI_OPTS(cosi_list_req, q, .type = WIDGET);
	struct cosi_resources l;

	cosi_spec_add_string(&spec, "name", "a");
	r.ns = NULL;
	expect_missing(_metadata, self->c,
		       cosi_resource_create(self->c, &r, NULL),
		       COSI_A_RESOURCE_NAMESPACE, "namespace");
	r.ns = TEST_NS;
	r.type = NULL;
	expect_missing(_metadata, self->c,
		       cosi_resource_create(self->c, &r, NULL),
		       COSI_A_RESOURCE_TYPE, "type");
	r.type = WIDGET;
	r.id = NULL;
	expect_missing(_metadata, self->c,
		       cosi_resource_create(self->c, &r, NULL),
		       COSI_A_RESOURCE_ID, "id");
	expect_missing(_metadata, self->c,
		       cosi_resource_update(self->c, &r, NULL),
		       COSI_A_RESOURCE_ID, "id");
	expect_missing(_metadata, self->c,
		       cosi_resource_destroy(self->c, &r, NULL),
		       COSI_A_RESOURCE_ID, "id");
	expect_missing(_metadata, self->c,
		       cosi_resource_get(self->c, TEST_NS, WIDGET, NULL, NULL),
		       COSI_A_RESOURCE_ID, "id");
	expect_missing(_metadata, self->c, cosi_resource_list(self->c, &q, &l),
		       COSI_A_RESOURCE_NAMESPACE, "namespace");
	q = (struct cosi_list_req){ .sz = sizeof(struct cosi_list_req), .ns = TEST_NS };
	expect_missing(_metadata, self->c, cosi_resource_list(self->c, &q, &l),
		       COSI_A_RESOURCE_TYPE, "type");
	expect_missing(_metadata, self->c, cosi_owner_claim(self->c, NULL),
		       COSI_A_RESOURCE_OWNER, "owner");
	cosi_spec_clear(&spec);
}

/* A create request for widgets/@id with a valid spec, to spoil. */
static struct nl_msg *create_msg(struct cosi *c, const char *id)
{
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET, .id = id);
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_RESOURCE_CREATE, 0);

	if (m && cosi_put_req(m, &r, COSI_REQ_ALL)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* Put a spec nest holding { name = @id } and return it, still open. */
static struct nlattr *spec_open(struct nl_msg *m, const char *name)
{
	struct nlattr *spec = nla_nest_start(m, COSI_A_RESOURCE_SPEC);
	struct cosi_field f = {
		.name = "name", .type = COSI_FIELD_TYPE_STRING,
		.str = (char *)name,
	};

	if (!spec || cosi_put_field(m, &f))
		return NULL;
	return spec;
}

TEST_F(res, malformed_attributes)
{
	struct nlattr *spec;
	struct nl_msg *m;

	/* An attribute type the family does not have. */
	m = create_msg(self->c, "a");
	ASSERT_NE(NULL, m);
	ASSERT_NE(NULL, spec_open(m, "a"));
	ASSERT_EQ(0, nla_put_u32(m, 200, 1));
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));

	/* A namespace that is not a NUL-terminated string. */
	m = cosi_msg_new(self->c, COSI_CMD_RESOURCE_CREATE, 0);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u32(m, COSI_A_RESOURCE_NAMESPACE, 0x41414141));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_TYPE, WIDGET));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_ID, "b"));
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));

	/* Labels as a string instead of a nest. */
	m = create_msg(self->c, "c");
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_LABELS, "env=prod"));
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));

	/* A label without a key. */
	m = create_msg(self->c, "d");
	ASSERT_NE(NULL, m);
	{
		struct nlattr *ls = nla_nest_start(m, COSI_A_RESOURCE_LABELS);
		struct nlattr *l = nla_nest_start(m, COSI_A_LABELS_LABEL);

		ASSERT_EQ(0, nla_put_string(m, COSI_A_LABEL_VALUE, "v"));
		nla_nest_end(m, l);
		nla_nest_end(m, ls);
	}
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));

	/* A bool of 2. */
	m = create_msg(self->c, "e");
	ASSERT_NE(NULL, m);
	spec = spec_open(m, "e");
	ASSERT_NE(NULL, spec);
	{
		struct nlattr *f = nla_nest_start(m, COSI_A_SPEC_FIELD);

		ASSERT_EQ(0, nla_put_string(m, COSI_A_SPEC_FIELD_NAME, "enabled"));
		ASSERT_EQ(0, nla_put_u8(m, COSI_A_SPEC_FIELD_BOOL, 2));
		nla_nest_end(m, f);
	}
	nla_nest_end(m, spec);
	EXPECT_OUT_OF_RANGE(self->c, cosi_request(self->c, m, NULL, NULL));

	/* An expected-version of the wrong size. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "f", NULL, NULL));
	m = cosi_msg_new(self->c, COSI_CMD_RESOURCE_UPDATE, 0);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, TEST_NS));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_TYPE, WIDGET));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_RESOURCE_ID, "f"));
	ASSERT_EQ(0, nla_put_u32(m, COSI_A_RESOURCE_EXPECTED_VERSION, 1));
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));

	/* None of the bad requests created anything. */
	{
		COSI_OPTS(cosi_list_req, q, .ns = TEST_NS, .type = WIDGET);
		struct cosi_resources l;

		ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &q, &l));
		ASSERT_EQ(1, l.n);
		EXPECT_STREQ("f", l.v[0]->id);
		cosi_resources_clear(&l);
	}
}

TEST_F(res, names)
{
	static const struct { const char *ns, *id; bool ok; } cases[] = {
		{ "a.b-c_d", "plain", true },
		{ "0ns", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", true },
		{ "", "a", false },
		{ "-ns", "a", false },
		{ ".ns", "a", false },
		{ "a/b", "a", false },
		{ "a b", "a", false },
		{ "a:b", "a", false },
		{ "ns", "", false },
		{ "ns", "a b", false },
		{ "ns", "a\tb", false },
		{ "ns", "a\x7f", false },
		{ "ns", "caf\xc3\xa9", false },
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ret = widget_create_ns(self->c, cases[i].ns, WIDGET, cases[i].id,
				       "n", NULL, NULL);
		EXPECT_EQ(cases[i].ok ? 0 : -EINVAL, ret)
			TH_LOG("ns \"%s\" id \"%s\": %s", cases[i].ns,
			       cases[i].id, cosi_strerror(self->c, "create"));
	}

	/* Lengths: namespace 63, id 255, type 127 (all excluding NUL). */
	EXPECT_COSI_OK(self->c,
		       widget_create_ns(self->c, str_of('n', 63), WIDGET,
					str_of('i', 255), "n", NULL, NULL));
	EXPECT_COSI_ERR(self->c, EINVAL,
			widget_create_ns(self->c, str_of('n', 64), WIDGET, "a",
					 "n", NULL, NULL));
	EXPECT_COSI_ERR(self->c, EINVAL,
			widget_create_ns(self->c, TEST_NS, WIDGET,
					 str_of('i', 256), "n", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_define(self->c, str_of('t', 127), 0));
	EXPECT_COSI_OK(self->c,
		       widget_create(self->c, str_of('t', 127), "a", NULL, NULL));
	EXPECT_COSI_ERR(self->c, EINVAL,
			widget_create(self->c, str_of('t', 128), "a", NULL, NULL));
	/* A malformed type name is EINVAL, not an undefined type. */
	EXPECT_COSI_ERR(self->c, EINVAL,
			widget_create(self->c, "wid/gets", "a", NULL, NULL));
}

TEST_F(res, label_rules)
{
	static const struct { const char *key, *value; bool ok; } cases[] = {
		{ "k", "", true },
		{ "app.kubernetes.io/name", "any bytes: \x01 \xff ~", true },
		{ "", "v", false },
		{ "a b", "v", false },
		{ "a\x7f", "v", false },
		{ "caf\xc3\xa9", "v", false },
	};
	struct cosi_kvs kvs;
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET);
	struct cosi_spec spec = { 0 };
	char id[16];
	size_t i;

	cosi_spec_add_string(&spec, "name", "n");
	r.spec = &spec;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(id, sizeof(id), "l%zu", i);
		r.id = id;
		kvs = kvs_make(cases[i].key, cases[i].value, NULL);
		r.labels = &kvs;
		r.annotations = NULL;
		EXPECT_EQ(cases[i].ok ? 0 : -EINVAL,
			  cosi_resource_create(self->c, &r, NULL))
			TH_LOG("label \"%s\": %s", cases[i].key,
			       cosi_strerror(self->c, "create"));
		snprintf(id, sizeof(id), "a%zu", i);
		r.labels = NULL;
		r.annotations = &kvs;
		EXPECT_EQ(cases[i].ok ? 0 : -EINVAL,
			  cosi_resource_create(self->c, &r, NULL))
			TH_LOG("annotation \"%s\": %s", cases[i].key,
			       cosi_strerror(self->c, "create"));
		cosi_kvs_clear(&kvs);
	}
	r.annotations = NULL;

	/* Keys up to 63 bytes, values up to 255. */
	r.id = "long-ok";
	kvs = kvs_make(str_of('k', 63), str_of('v', 255), NULL);
	r.labels = &kvs;
	EXPECT_COSI_OK(self->c, cosi_resource_create(self->c, &r, NULL));
	cosi_kvs_clear(&kvs);
	r.id = "long-key";
	kvs = kvs_make(str_of('k', 64), "v", NULL);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_resource_create(self->c, &r, NULL));
	cosi_kvs_clear(&kvs);
	r.id = "long-value";
	kvs = kvs_make("k", str_of('v', 256), NULL);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_resource_create(self->c, &r, NULL));
	cosi_kvs_clear(&kvs);

	/* Keys are unique. */
	r.id = "dup";
	kvs = kvs_make("k", "1", "k", "2", NULL);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_resource_create(self->c, &r, NULL));
	r.labels = NULL;
	r.annotations = &kvs;
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_resource_create(self->c, &r, NULL));
	cosi_kvs_clear(&kvs);
	cosi_spec_clear(&spec);
}

/* Create widgets/@id with @spec; expect EINVAL naming @field. */
static void expect_schema_error(struct __test_metadata *_metadata,
				struct cosi *c, const struct cosi_spec *spec,
				const char *field)
{
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "bad", .spec = spec,
	);

	EXPECT_COSI_ERR(c, EINVAL, cosi_resource_create(c, &r, NULL));
	ASSERT_EXTACK_NAMES(c, field);
	EXPECT_COSI_ERR(c, ENOENT,
			cosi_resource_get(c, TEST_NS, WIDGET, "bad", NULL));
}

TEST_F(res, schema_unknown_field)
{
	struct cosi_spec spec = { 0 };

	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_u64(&spec, "bogus", 1);
	expect_schema_error(_metadata, self->c, &spec, "bogus");
	cosi_spec_clear(&spec);
}

TEST_F(res, schema_wrong_type)
{
	struct cosi_spec spec = { 0 };

	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_string(&spec, "mtu", "1500");
	expect_schema_error(_metadata, self->c, &spec, "mtu");
	cosi_spec_clear(&spec);

	/* s64 and u64 are distinct types too. */
	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_s64(&spec, "mtu", 1500);
	expect_schema_error(_metadata, self->c, &spec, "mtu");
	cosi_spec_clear(&spec);

	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_string(&spec, "tags", "a");
	expect_schema_error(_metadata, self->c, &spec, "tags");
	cosi_spec_clear(&spec);
}

TEST_F(res, schema_missing_required)
{
	struct cosi_spec spec = { 0 };

	cosi_spec_add_u64(&spec, "mtu", 1500);
	expect_schema_error(_metadata, self->c, &spec, "name");
	cosi_spec_clear(&spec);
}

TEST_F(res, schema_duplicate_field)
{
	struct cosi_spec spec = { 0 };

	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_u64(&spec, "mtu", 1500);
	cosi_spec_add_u64(&spec, "mtu", 9000);
	expect_schema_error(_metadata, self->c, &spec, "mtu");
	cosi_spec_clear(&spec);
}

TEST_F(res, schema_field_without_or_with_two_values)
{
	struct cosi_field none = { .name = "mtu" };
	struct nlattr *spec, *f;
	struct nl_msg *m;

	m = create_msg(self->c, "bad");
	ASSERT_NE(NULL, m);
	spec = spec_open(m, "bad");
	ASSERT_NE(NULL, spec);
	ASSERT_EQ(0, cosi_put_field(m, &none));
	nla_nest_end(m, spec);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));
	ASSERT_EXTACK_NAMES(self->c, "mtu");

	m = create_msg(self->c, "bad");
	ASSERT_NE(NULL, m);
	spec = spec_open(m, "bad");
	ASSERT_NE(NULL, spec);
	f = nla_nest_start(m, COSI_A_SPEC_FIELD);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_SPEC_FIELD_NAME, "mtu"));
	ASSERT_EQ(0, nla_put_u64(m, COSI_A_SPEC_FIELD_U64, 1500));
	ASSERT_EQ(0, nla_put_string(m, COSI_A_SPEC_FIELD_STRING, "1500"));
	nla_nest_end(m, f);
	nla_nest_end(m, spec);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));
	ASSERT_EXTACK_NAMES(self->c, "mtu");
}

TEST_F(res, schema_checked_on_update)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "a", .spec = &spec,
	);
	struct cosi_resource *got = NULL;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, NULL));
	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_bool(&spec, "mtu", true);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_resource_update(self->c, &r, NULL));
	ASSERT_EXTACK_NAMES(self->c, "mtu");
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "a", &got));
	EXPECT_EQ(1, got->version);
	EXPECT_EQ(NULL, cosi_spec_get(&got->spec, "mtu"));
	cosi_resource_free(got);
	cosi_spec_clear(&spec);
}

TEST_F(res, update_replaces_spec_and_given_labels)
{
	struct cosi_kvs l1 = kvs_make("a", "1", "b", "2", NULL);
	struct cosi_kvs l2 = kvs_make("c", "3", NULL);
	struct cosi_kvs none = { 0 };
	struct cosi_resource *v1 = NULL, *v2 = NULL, *v3 = NULL, *v4 = NULL;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", &l1, &v1));

	/* Spec only: labels stay. */
	ASSERT_COSI_OK(self->c,
		       widget_update(self->c, WIDGET, "x", "renamed", NULL, &v2));
	EXPECT_EQ(v1->version + 1, v2->version);
	EXPECT_GT(v2->revision, v1->revision);
	EXPECT_EQ(v1->created, v2->created);
	EXPECT_LE(v1->updated, v2->updated);
	EXPECT_STREQ("renamed", cosi_spec_get(&v2->spec, "name")->str);
	EXPECT_TRUE(cosi_kvs_equal(&l1, &v2->labels));

	/* Labels given: replaced, not merged. */
	ASSERT_COSI_OK(self->c,
		       widget_update(self->c, WIDGET, "x", "renamed", &l2, &v3));
	EXPECT_EQ(v2->version + 1, v3->version);
	EXPECT_TRUE(cosi_kvs_equal(&l2, &v3->labels));

	/* An empty labels nest clears them. */
	ASSERT_COSI_OK(self->c,
		       widget_update(self->c, WIDGET, "x", "renamed", &none, &v4));
	EXPECT_EQ(v3->version + 1, v4->version);
	EXPECT_EQ(0, v4->labels.n);
	cosi_resource_free(v4);
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "x", &v4));
	EXPECT_EQ(0, v4->labels.n);
	EXPECT_EQ(v3->version + 1, v4->version);

	cosi_resource_free(v1);
	cosi_resource_free(v2);
	cosi_resource_free(v3);
	cosi_resource_free(v4);
	cosi_kvs_clear(&l1);
	cosi_kvs_clear(&l2);
}

TEST_F(res, update_annotations)
{
	struct cosi_kvs a1 = kvs_make("note", "x", NULL);
	struct cosi_kvs none = { 0 };
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .spec = &spec,
		.annotations = &a1,
	);
	struct cosi_resource *got = NULL;

	cosi_spec_add_string(&spec, "name", "x");
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, NULL));
	r.annotations = NULL;
	ASSERT_COSI_OK(self->c, cosi_resource_update(self->c, &r, &got));
	EXPECT_TRUE(cosi_kvs_equal(&a1, &got->annotations));
	cosi_resource_free(got);
	r.annotations = &none;
	ASSERT_COSI_OK(self->c, cosi_resource_update(self->c, &r, &got));
	EXPECT_EQ(0, got->annotations.n);
	EXPECT_EQ(2, got->version);
	cosi_resource_free(got);
	cosi_kvs_clear(&a1);
	cosi_spec_clear(&spec);
}

TEST_F(res, noop_update_bumps_nothing)
{
	struct cosi_kvs labels = kvs_make("env", "prod", NULL);
	struct cosi_kvs same = kvs_make("env", "prod", NULL);
	struct cosi_resource *made = NULL, *upd = NULL, *next = NULL;
	struct cosi_spec spec, reordered;
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .spec = &spec,
		.labels = &labels, .annotations = &labels,
	);

	full_spec(&spec, false);
	full_spec(&reordered, true);
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, &made));

	/* Same content, fields in another order: a no-op. */
	r.spec = &reordered;
	r.labels = &same;
	r.has_expected_version = true;
	r.expected_version = 1;
	ASSERT_COSI_OK(self->c, cosi_resource_update(self->c, &r, &upd));
	EXPECT_EQ(made->version, upd->version);
	EXPECT_EQ(made->revision, upd->revision);
	EXPECT_EQ(made->updated, upd->updated);
	cosi_resource_free(upd);

	/* Labels and annotations left out: also nothing changes. */
	r.labels = NULL;
	r.annotations = NULL;
	ASSERT_COSI_OK(self->c, cosi_resource_update(self->c, &r, &upd));
	EXPECT_EQ(made->version, upd->version);
	EXPECT_EQ(made->revision, upd->revision);

	/* No revision was used up: the next change gets the next one. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "y", NULL, &next));
	EXPECT_EQ(made->revision + 1, next->revision);

	cosi_resource_free(made);
	cosi_resource_free(upd);
	cosi_resource_free(next);
	cosi_spec_clear(&spec);
	cosi_spec_clear(&reordered);
	cosi_kvs_clear(&labels);
	cosi_kvs_clear(&same);
}

TEST_F(res, expected_version)
{
	struct cosi_spec spec = { 0 };
	struct cosi_strs fin = strs_make("f", NULL);
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .spec = &spec,
		.has_expected_version = true, .expected_version = 2,
	);
	struct cosi_req k = r;
	struct cosi_resource *got = NULL;

	cosi_spec_add_string(&spec, "name", "new");
	k.spec = NULL;
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, NULL));

	EXPECT_COSI_ERR(self->c, ESTALE, cosi_resource_update(self->c, &r, NULL));
	EXPECT_COSI_ERR(self->c, ESTALE, cosi_resource_destroy(self->c, &k, NULL));
	EXPECT_COSI_ERR(self->c, ESTALE,
			cosi_resource_teardown(self->c, &k, NULL, NULL));
	k.finalizers = &fin;
	EXPECT_COSI_ERR(self->c, ESTALE, cosi_finalizer_add(self->c, &k, NULL));
	EXPECT_COSI_ERR(self->c, ESTALE,
			cosi_finalizer_remove(self->c, &k, NULL));
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "x", &got));
	EXPECT_EQ(1, got->version);
	cosi_resource_free(got);

	r.expected_version = 1;
	ASSERT_COSI_OK(self->c, cosi_resource_update(self->c, &r, &got));
	EXPECT_EQ(2, got->version);
	cosi_resource_free(got);
	k.expected_version = 2;
	ASSERT_COSI_OK(self->c, cosi_finalizer_add(self->c, &k, &got));
	EXPECT_EQ(3, got->version);
	cosi_resource_free(got);
	k.expected_version = 3;
	ASSERT_COSI_OK(self->c, cosi_finalizer_remove(self->c, &k, NULL));
	k.expected_version = 4;
	k.finalizers = NULL;
	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &k, NULL, NULL));
	k.expected_version = 4;
	EXPECT_COSI_ERR(self->c, ESTALE, cosi_resource_destroy(self->c, &k, NULL));
	k.expected_version = 5;
	EXPECT_COSI_OK(self->c, cosi_resource_destroy(self->c, &k, NULL));
	cosi_strs_clear(&fin);
	cosi_spec_clear(&spec);
}

TEST_F(res, expected_phase)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .spec = &spec,
	);
	struct cosi_resource *got = NULL;
	bool ready = false;

	cosi_spec_add_string(&spec, "name", "v2");
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, NULL));

	/* Running: the default, and explicitly. */
	r.has_expected_phase = true;
	r.expected_phase = COSI_PHASE_TEARING_DOWN;
	EXPECT_COSI_ERR(self->c, ESTALE, cosi_resource_update(self->c, &r, NULL));
	r.expected_phase = COSI_PHASE_RUNNING;
	EXPECT_COSI_OK(self->c, cosi_resource_update(self->c, &r, NULL));

	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &r, &ready, NULL));
	EXPECT_TRUE(ready);

	/* Tearing down: updates need to say so. */
	cosi_spec_clear(&spec);
	cosi_spec_add_string(&spec, "name", "v3");
	r.has_expected_phase = false;
	EXPECT_COSI_ERR(self->c, ESTALE, cosi_resource_update(self->c, &r, NULL));
	r.has_expected_phase = true;
	r.expected_phase = COSI_PHASE_RUNNING;
	EXPECT_COSI_ERR(self->c, ESTALE, cosi_resource_update(self->c, &r, NULL));
	r.expected_phase = COSI_PHASE_TEARING_DOWN;
	ASSERT_COSI_OK(self->c, cosi_resource_update(self->c, &r, &got));
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, got->phase);
	EXPECT_STREQ("v3", cosi_spec_get(&got->spec, "name")->str);
	cosi_resource_free(got);
	cosi_spec_clear(&spec);
}

static int fin_op(struct cosi *c, bool add, const char *id,
		  struct cosi_resource **out, ...)
{
	struct cosi_strs fin = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = id, .finalizers = &fin,
	);
	const char *s;
	va_list ap;
	int err;

	va_start(ap, out);
	while ((s = va_arg(ap, const char *)))
		cosi_strs_add(&fin, s);
	va_end(ap);
	err = add ? cosi_finalizer_add(c, &r, out) :
		    cosi_finalizer_remove(c, &r, out);
	cosi_strs_clear(&fin);
	return err;
}

TEST_F(res, finalizers_hold_destroy)
{
	COSI_OPTS(cosi_req, k, .ns = TEST_NS, .type = WIDGET, .id = "x");
	struct cosi_resource *r = NULL;
	uint64_t rev;
	bool ready = true;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, NULL));
	ASSERT_COSI_OK(self->c, fin_op(self->c, true, "x", &r, "f1", "f2", NULL));
	EXPECT_EQ(2, r->version);
	EXPECT_EQ(2, r->finalizers.n);
	EXPECT_TRUE(cosi_strs_has(&r->finalizers, "f1"));
	EXPECT_TRUE(cosi_strs_has(&r->finalizers, "f2"));
	rev = r->revision;
	cosi_resource_free(r);

	/* Adding a present finalizer changes nothing. */
	ASSERT_COSI_OK(self->c, fin_op(self->c, true, "x", &r, "f1", NULL));
	EXPECT_EQ(2, r->version);
	EXPECT_EQ(rev, r->revision);
	cosi_resource_free(r);

	EXPECT_COSI_ERR(self->c, EBUSY, cosi_resource_destroy(self->c, &k, NULL));

	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &k, &ready, &r));
	EXPECT_FALSE(ready);
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, r->phase);
	EXPECT_EQ(3, r->version);
	rev = r->revision;
	cosi_resource_free(r);

	/* A second teardown is a no-op. */
	ready = true;
	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &k, &ready, &r));
	EXPECT_FALSE(ready);
	EXPECT_EQ(3, r->version);
	EXPECT_EQ(rev, r->revision);
	cosi_resource_free(r);

	/* No new finalizers once tearing down; removing works. */
	EXPECT_COSI_ERR(self->c, ESTALE,
			fin_op(self->c, true, "x", NULL, "f3", NULL));
	ASSERT_COSI_OK(self->c, fin_op(self->c, false, "x", &r, "f1", NULL));
	EXPECT_EQ(4, r->version);
	EXPECT_EQ(1, r->finalizers.n);
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, r->phase);
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, fin_op(self->c, false, "x", &r, "f1", NULL));
	EXPECT_EQ(4, r->version);
	cosi_resource_free(r);
	EXPECT_COSI_ERR(self->c, EBUSY, cosi_resource_destroy(self->c, &k, NULL));
	ASSERT_COSI_OK(self->c, fin_op(self->c, false, "x", &r, "f2", NULL));
	EXPECT_EQ(5, r->version);
	EXPECT_EQ(0, r->finalizers.n);
	cosi_resource_free(r);

	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &k, &ready, &r));
	EXPECT_TRUE(ready);
	EXPECT_EQ(5, r->version);
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, cosi_resource_destroy(self->c, &k, NULL));
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_get(self->c, TEST_NS, WIDGET, "x", NULL));
}

TEST_F(res, finalizer_names)
{
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, NULL));
	EXPECT_COSI_ERR(self->c, EINVAL,
			fin_op(self->c, true, "x", NULL, "a b", NULL));
	EXPECT_COSI_ERR(self->c, EINVAL,
			fin_op(self->c, true, "x", NULL, "", NULL));
	EXPECT_COSI_ERR(self->c, EINVAL,
			fin_op(self->c, true, "x", NULL, str_of('f', 128), NULL));
	EXPECT_COSI_OK(self->c,
		       fin_op(self->c, true, "x", NULL, str_of('f', 127),
			      "example.com/cleanup", NULL));
}

TEST_F(res, teardown_then_destroy)
{
	COSI_OPTS(cosi_req, k, .ns = TEST_NS, .type = WIDGET, .id = "x");
	struct cosi_resource *made = NULL, *r = NULL;
	uint64_t rev = 0;
	bool ready = false;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, &made));
	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &k, &ready, &r));
	EXPECT_TRUE(ready);
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, r->phase);
	EXPECT_EQ(2, r->version);
	EXPECT_EQ(made->revision + 1, r->revision);
	EXPECT_TRUE(cosi_spec_equal(&made->spec, &r->spec));

	ASSERT_COSI_OK(self->c, cosi_resource_destroy(self->c, &k, &rev));
	EXPECT_EQ(r->revision + 1, rev);
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_get(self->c, TEST_NS, WIDGET, "x", NULL));
	EXPECT_COSI_ERR(self->c, ENOENT, cosi_resource_destroy(self->c, &k, NULL));
	cosi_resource_free(r);

	/* The id can be used again: a new resource. */
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, &r));
	EXPECT_EQ(1, r->version);
	EXPECT_EQ(rev + 1, r->revision);
	EXPECT_EQ(COSI_PHASE_RUNNING, r->phase);
	EXPECT_LE(made->created, r->created);
	cosi_resource_free(r);
	cosi_resource_free(made);
}

TEST_F(res, destroy_without_teardown)
{
	uint64_t rev = 0;
	struct cosi_resource *made = NULL;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, &made));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "x", &rev));
	EXPECT_EQ(made->revision + 1, rev);
	cosi_resource_free(made);
}

TEST_F(res, owner_enforced_by_kernel)
{
	struct cosi *a, *b, *other;
	struct cosi_resource *r = NULL;
	COSI_OPTS(cosi_req, k, .ns = TEST_NS, .type = WIDGET, .id = "owned");

	COSI_OPEN(a);
	COSI_OPEN(b);
	COSI_OPEN(other);
	ASSERT_COSI_OK(a, cosi_owner_claim(a, "ctrl-a"));
	ASSERT_COSI_OK(other, cosi_owner_claim(other, "ctrl-b"));

	ASSERT_COSI_OK(a, widget_create(a, WIDGET, "owned", NULL, &r));
	EXPECT_STREQ("ctrl-a", r->owner);
	cosi_resource_free(r);
	ASSERT_COSI_OK(b, widget_create(b, WIDGET, "free", NULL, &r));
	EXPECT_STREQ("", r->owner);
	cosi_resource_free(r);

	/* Only the owner's socket may change an owned resource. */
	EXPECT_COSI_ERR(b, EACCES, widget_update(b, WIDGET, "owned", "x", NULL,
						 NULL));
	EXPECT_COSI_ERR(other, EACCES, widget_update(other, WIDGET, "owned",
						     "x", NULL, NULL));
	EXPECT_COSI_ERR(b, EACCES, cosi_resource_teardown(b, &k, NULL, NULL));
	EXPECT_COSI_ERR(b, EACCES, cosi_resource_destroy(b, &k, NULL));
	EXPECT_COSI_OK(a, widget_update(a, WIDGET, "owned", "x", NULL, NULL));

	/* Only sockets without a claim may change an unowned one. */
	EXPECT_COSI_ERR(a, EACCES, widget_update(a, WIDGET, "free", "x", NULL,
						 NULL));
	EXPECT_COSI_ERR(other, EACCES, widget_destroy(other, WIDGET, "free",
						      NULL));
	EXPECT_COSI_OK(b, widget_update(b, WIDGET, "free", "x", NULL, NULL));
	EXPECT_COSI_OK(self->c, widget_update(self->c, WIDGET, "free", "y",
					      NULL, NULL));

	/* Finalizers are how other controllers hold a resource. */
	EXPECT_COSI_OK(other, fin_op(other, true, "owned", NULL, "hold", NULL));
	EXPECT_COSI_OK(b, fin_op(b, false, "owned", NULL, "hold", NULL));

	/* Reads are not restricted; the owner survives updates. */
	ASSERT_COSI_OK(b, cosi_resource_get(b, TEST_NS, WIDGET, "owned", &r));
	EXPECT_STREQ("ctrl-a", r->owner);
	EXPECT_STREQ("x", cosi_spec_get(&r->spec, "name")->str);
	cosi_resource_free(r);
	EXPECT_COSI_OK(a, cosi_resource_destroy(a, &k, NULL));

	cosi_close(a);
	cosi_close(b);
	cosi_close(other);
}

TEST_F(res, owner_claim_exclusive_until_close)
{
	struct cosi *a, *b;
	struct cosi_resource *r = NULL;

	COSI_OPEN(a);
	COSI_OPEN(b);
	ASSERT_COSI_OK(a, cosi_owner_claim(a, "ctrl"));
	EXPECT_COSI_OK(a, cosi_owner_claim(a, "ctrl"));
	EXPECT_COSI_ERR(b, EBUSY, cosi_owner_claim(b, "ctrl"));
	ASSERT_COSI_OK(a, widget_create(a, WIDGET, "x", NULL, NULL));
	EXPECT_COSI_ERR(b, EACCES, widget_update(b, WIDGET, "x", "b", NULL,
						 NULL));

	/* Closing the socket releases the claim. */
	cosi_close(a);
	ASSERT_COSI_OK(b, cosi_owner_claim(b, "ctrl"));
	ASSERT_COSI_OK(b, widget_update(b, WIDGET, "x", "b", NULL, &r));
	EXPECT_STREQ("ctrl", r->owner);
	EXPECT_EQ(2, r->version);
	cosi_resource_free(r);
	ASSERT_COSI_OK(b, widget_create(b, WIDGET, "y", NULL, &r));
	EXPECT_STREQ("ctrl", r->owner);
	cosi_resource_free(r);
	/* The resources outlive the socket that created them. */
	EXPECT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "x", NULL));
	cosi_close(b);
}

TEST_F(res, owner_names)
{
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_owner_claim(self->c, ""));
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_owner_claim(self->c, "a b"));
	EXPECT_COSI_ERR(self->c, EINVAL,
			cosi_owner_claim(self->c, str_of('o', 64)));
	EXPECT_COSI_OK(self->c, cosi_owner_claim(self->c, str_of('o', 63)));
}

TEST_F(res, revision_orders_changes_across_types)
{
	struct cosi_definition *def = NULL;
	struct cosi_resource *a = NULL, *b = NULL, *a2 = NULL, *got = NULL;
	uint64_t destroyed = 0;

	ASSERT_COSI_OK(self->c, widget_define(self->c, "gadgets", 0));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, "gadgets", &def));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, &a));
	ASSERT_COSI_OK(self->c, widget_create(self->c, "gadgets", "b", NULL, &b));
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", NULL,
					      &a2));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, "gadgets", "b",
					       &destroyed));
	EXPECT_EQ(def->revision + 1, a->revision);
	EXPECT_EQ(a->revision + 1, b->revision);
	EXPECT_EQ(b->revision + 1, a2->revision);
	EXPECT_EQ(a2->revision + 1, destroyed);
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "a", &got));
	EXPECT_EQ(a2->revision, got->revision);
	cosi_resource_free(got);
	cosi_resource_free(a);
	cosi_resource_free(a2);
	cosi_resource_free(b);
	cosi_definition_free(def);
}

TEST_F(res, namespaces_are_separate)
{
	COSI_OPTS(cosi_list_req, q, .ns = "blue", .type = WIDGET);
	struct cosi_resources l;
	struct cosi_resource *r = NULL;

	ASSERT_COSI_OK(self->c, widget_create_ns(self->c, "blue", WIDGET, "x",
						 "blue-x", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create_ns(self->c, "green", WIDGET, "x",
						 "green-x", NULL, NULL));
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, "green", WIDGET,
						  "x", &r));
	EXPECT_STREQ("green-x", cosi_spec_get(&r->spec, "name")->str);
	EXPECT_STREQ("green", r->ns);
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &q, &l));
	ASSERT_EQ(1, l.n);
	EXPECT_STREQ("blue-x", cosi_spec_get(&l.v[0]->spec, "name")->str);
	cosi_resources_clear(&l);
	q.ns = "red";
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &q, &l));
	EXPECT_EQ(0, l.n);
	cosi_resources_clear(&l);
}

TEST_F(res, limit_labels)
{
	struct cosi_kvs two = kvs_make("a", "1", "b", "2", NULL);
	struct cosi_kvs three = kvs_make("a", "1", "b", "2", "c", "3", NULL);
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .spec = &spec,
	);
	struct cosi_resource *got = NULL;

	cosi_spec_add_string(&spec, "name", "x");
	PARAM_SET("max_labels", 2);
	r.labels = &three;
	EXPECT_COSI_ERR(self->c, E2BIG, cosi_resource_create(self->c, &r, NULL));
	r.labels = NULL;
	r.annotations = &three;
	EXPECT_COSI_ERR(self->c, E2BIG, cosi_resource_create(self->c, &r, NULL));
	r.labels = &two;
	r.annotations = &two;
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, NULL));
	r.labels = &three;
	r.annotations = NULL;
	EXPECT_COSI_ERR(self->c, E2BIG, cosi_resource_update(self->c, &r, NULL));
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "x", &got));
	EXPECT_TRUE(cosi_kvs_equal(&two, &got->labels));
	EXPECT_EQ(1, got->version);
	cosi_resource_free(got);
	cosi_kvs_clear(&two);
	cosi_kvs_clear(&three);
	cosi_spec_clear(&spec);
}

TEST_F(res, limit_finalizers)
{
	struct cosi_resource *r = NULL;

	PARAM_SET("max_finalizers", 2);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "x", NULL, NULL));
	EXPECT_COSI_ERR(self->c, E2BIG,
			fin_op(self->c, true, "x", NULL, "f1", "f2", "f3", NULL));
	ASSERT_COSI_OK(self->c,
		       fin_op(self->c, true, "x", NULL, "f1", "f2", NULL));
	EXPECT_COSI_ERR(self->c, E2BIG,
			fin_op(self->c, true, "x", NULL, "f3", NULL));
	/* Present ones do not count twice. */
	ASSERT_COSI_OK(self->c, fin_op(self->c, true, "x", &r, "f1", NULL));
	EXPECT_EQ(2, r->finalizers.n);
	EXPECT_EQ(2, r->version);
	cosi_resource_free(r);
}

TEST_F(res, limit_spec_size)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = "x", .spec = &spec,
	);
	static char item[1001];
	const char *items[32];
	void *blob;
	int i;

	PARAM_SET("max_spec_size", 512);
	cosi_spec_add_string(&spec, "name", str_of('n', 1000));
	EXPECT_COSI_ERR(self->c, E2BIG, cosi_resource_create(self->c, &r, NULL));
	cosi_spec_clear(&spec);
	cosi_spec_add_string(&spec, "name", str_of('n', 100));
	ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r, NULL));
	cosi_spec_clear(&spec);
	cosi_spec_add_string(&spec, "name", str_of('n', 1000));
	EXPECT_COSI_ERR(self->c, E2BIG, cosi_resource_update(self->c, &r, NULL));
	cosi_spec_clear(&spec);

	/* Raised above the default (16 KiB): 20000 bytes fit... */
	PARAM_SET("max_spec_size", 1 << 20);
	blob = calloc(1, 20000);
	ASSERT_NE(NULL, blob);
	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_bytes(&spec, "blob", blob, 20000);
	r.id = "big";
	EXPECT_COSI_OK(self->c, cosi_resource_create(self->c, &r, NULL));
	cosi_spec_clear(&spec);
	free(blob);

	/* ...but the hard cap (COSI_SPEC_MAX_SIZE) still holds. */
	memset(item, 'i', sizeof(item) - 1);
	for (i = 0; i < 32; i++)
		items[i] = item;
	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_strings(&spec, "tags", items, 26);
	r.id = "too-big";
	EXPECT_COSI_ERR(self->c, E2BIG, cosi_resource_create(self->c, &r, NULL));
	cosi_spec_clear(&spec);
}

/*
 * The bounds of a spec's values (max-len of a spec-field string or bytes
 * and of a string-list item: spec-max-size) are attribute policies
 * generated from the spec.  A value of the maximal length passes them and
 * is then too big for any spec (E2BIG, the run-time size check); one byte
 * more is refused by the policy, the extack pointing at the value.
 */
enum { VAL_STRING, VAL_BYTES, VAL_ITEM };

static int spec_value_req(struct __test_metadata *_metadata, struct cosi *c,
			  int kind, size_t len, uint32_t *off)
{
	struct nlattr *spec, *f, *list = NULL;
	struct nl_msg *m;
	char *v;
	int ret;

	v = malloc(len + 1);
	if (!v)
		return -ENOMEM;
	memset(v, kind == VAL_BYTES ? 0xab : 'v', len);
	v[len] = '\0';
	m = create_msg(c, "v");
	if (!m) {
		free(v);
		return -ENOMEM;
	}
	/* spec_open() puts the required name; the string test is the name. */
	spec = kind == VAL_STRING ? nla_nest_start(m, COSI_A_RESOURCE_SPEC) :
				    spec_open(m, "v");
	f = nla_nest_start(m, COSI_A_SPEC_FIELD);
	nla_put_string(m, COSI_A_SPEC_FIELD_NAME,
		       kind == VAL_STRING ? "name" :
		       kind == VAL_BYTES ? "blob" : "tags");
	if (kind == VAL_ITEM)
		list = nla_nest_start(m, COSI_A_SPEC_FIELD_STRINGS);
	*off = NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
	ret = nla_put(m, kind == VAL_STRING ? COSI_A_SPEC_FIELD_STRING :
			 kind == VAL_BYTES ? COSI_A_SPEC_FIELD_BYTES :
			 COSI_A_STRING_LIST_ITEM,
		      kind == VAL_BYTES ? len : len + 1, v);
	free(v);
	EXPECT_EQ(0, ret);
	if (list)
		nla_nest_end(m, list);
	nla_nest_end(m, f);
	nla_nest_end(m, spec);
	return cosi_request(c, m, NULL, NULL);
}

TEST_F(res, limit_spec_values)
{
	static const char *const what[] = { "string", "bytes", "item" };
	const struct cosi_err *e = cosi_last_error(self->c);
	uint32_t off;
	int kind, ret;

	PARAM_SET("max_spec_size", COSI_SPEC_MAX_SIZE);
	for (kind = VAL_STRING; kind <= VAL_ITEM; kind++) {
		ret = spec_value_req(_metadata, self->c, kind,
				     COSI_SPEC_MAX_SIZE, &off);
		EXPECT_EQ(-E2BIG, ret)
			TH_LOG("%s of %d bytes: %s", what[kind],
			       COSI_SPEC_MAX_SIZE,
			       cosi_strerror(self->c, "create"));

		ret = spec_value_req(_metadata, self->c, kind,
				     COSI_SPEC_MAX_SIZE + 1, &off);
		EXPECT_TRUE(ret == -EINVAL || ret == -ERANGE)
			TH_LOG("%s of %d bytes: %s", what[kind],
			       COSI_SPEC_MAX_SIZE + 1,
			       cosi_strerror(self->c, "create"));
		EXPECT_TRUE(e->has_offset && e->offset == off)
			TH_LOG("%s: extack offset %u, value at %u", what[kind],
			       e->has_offset ? e->offset : 0, off);
	}
}

TEST_F(res, limit_resources)
{
	PARAM_SET("max_resources", 3);
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create_ns(self->c, "other", WIDGET, "c",
						 "c", NULL, NULL));
	EXPECT_COSI_ERR(self->c, ENOSPC,
			widget_create(self->c, WIDGET, "d", NULL, NULL));
	/* Updates are not creations. */
	EXPECT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "a2", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "b", NULL));
	EXPECT_COSI_OK(self->c, widget_create(self->c, WIDGET, "d", NULL, NULL));
}

/*
 * cosi_batch(): many requests per sendmsg(), each with its own answer; a
 * refused one (with its extack) does not stop the others, and batches
 * larger than one chunk are answered in full and in order.
 */
TEST_F(res, batch_answers_each_request)
{
	struct cosi_batch_op ops[40];
	char ids[40][8];
	size_t i;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b03", NULL,
					      NULL));
	/* Op 7's id has a space: not allowed. */
	ASSERT_EQ(0, widget_batch(self->c, ops, ids, 40, 7, NULL, "bad id"));
	ASSERT_EQ(0, cosi_batch(self->c, ops, 40));
	for (i = 0; i < 40; i++) {
		ASSERT_TRUE(ops[i].done);
		if (i == 3) {
			EXPECT_EQ(EEXIST, ops[i].err.err);
		} else if (i == 7) {
			EXPECT_EQ(EINVAL, ops[i].err.err);
			EXPECT_TRUE(ops[i].err.has_offset || ops[i].err.msg[0]);
		} else {
			EXPECT_EQ(0, ops[i].err.err);
			ASSERT_NE(NULL, ops[i].res);
			EXPECT_STREQ(ids[i], ops[i].res->id);
			EXPECT_EQ(1, ops[i].res->version);
		}
		cosi_resource_free(ops[i].res);
	}
	/* Reads in a batch: every answer matches its request. */
	for (i = 0; i < 40; i++) {
		COSI_OPTS(cosi_req, r,
			.ns = TEST_NS, .type = WIDGET, .id = ids[i],
		);

		ops[i].msg = cosi_req_msg(self->c, COSI_CMD_RESOURCE_GET, &r);
	}
	ASSERT_EQ(0, cosi_batch(self->c, ops, 40));
	for (i = 0; i < 40; i++) {
		if (i == 7) {
			EXPECT_EQ(ENOENT, ops[i].err.err);
			continue;
		}
		ASSERT_EQ(0, ops[i].err.err);
		EXPECT_STREQ(ids[i], ops[i].res->id);
		cosi_resource_free(ops[i].res);
	}
}

TEST_HARNESS_MAIN
