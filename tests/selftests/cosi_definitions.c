// SPDX-License-Identifier: GPL-2.0
/*
 * Resource definitions: definition-set, -get (by name or alias), the
 * dump, -delete, schema changes, name rules and limits.
 */
#include "cosi_test.h"

FIXTURE(defs) {
	struct cosi *c;
	long params[COSI_NPARAMS];
};

FIXTURE_SETUP(defs)
{
	params_save(self->params);
	NEW_NETNS();
	COSI_OPEN(self->c);
}

FIXTURE_TEARDOWN(defs)
{
	cosi_close(self->c);
	params_restore(self->params);
}

/* A definition with one field of each given kind. */
static int def_simple(struct cosi *c, const char *type, const char *field,
		      uint32_t ftype, bool required, uint64_t *revision)
{
	struct cosi_definition *d = cosi_def_new(type);
	struct cosi_definition *out = NULL;
	int err = d ? 0 : -ENOMEM;

	if (!err && field)
		err = cosi_def_add_field(d, field, ftype, required);
	if (!err)
		err = cosi_definition_set(c, d, &out);
	if (!err && revision)
		*revision = out->revision;
	cosi_definition_free(out);
	cosi_definition_free(d);
	return err;
}

/* A definition with optional parts; NULL leaves a part out. */
struct def_parts {
	const char *type;
	const char *alias;
	const char *default_ns;
	const char *field;
	uint32_t ftype;
	uint32_t sensitivity;
	const char *column_field;
};

static int def_try(struct cosi *c, const struct def_parts *p)
{
	struct cosi_definition *d = cosi_def_new(p->type);
	int err = d ? 0 : -ENOMEM;

	if (!err)
		d->sensitivity = p->sensitivity;
	if (!err && p->alias)
		err = cosi_def_add_alias(d, p->alias);
	if (!err && p->default_ns)
		err = cosi_def_set_default_ns(d, p->default_ns);
	if (!err && p->field)
		err = cosi_def_add_field(d, p->field, p->ftype, false);
	if (!err && p->column_field)
		err = cosi_def_add_column(d, "COL", p->column_field);
	if (!err)
		err = cosi_definition_set(c, d, NULL);
	cosi_definition_free(d);
	return err;
}

static void def_expect(struct __test_metadata *_metadata,
		       const struct cosi_definition *got,
		       const struct cosi_definition *want)
{
	size_t i;

	EXPECT_STREQ(want->type, got->type);
	EXPECT_STREQ(want->default_ns, got->default_ns);
	EXPECT_EQ(want->sensitivity, got->sensitivity);
	ASSERT_EQ(want->aliases.n, got->aliases.n);
	for (i = 0; i < want->aliases.n; i++)
		EXPECT_TRUE(cosi_strs_has(&got->aliases, want->aliases.v[i]))
			TH_LOG("alias %s missing", want->aliases.v[i]);
	/* Schema and column order are meaningful: compare in order. */
	ASSERT_EQ(want->n_fields, got->n_fields);
	for (i = 0; i < want->n_fields; i++) {
		EXPECT_STREQ(want->fields[i].name, got->fields[i].name);
		EXPECT_EQ(want->fields[i].type, got->fields[i].type);
		EXPECT_EQ(want->fields[i].required, got->fields[i].required);
	}
	ASSERT_EQ(want->n_columns, got->n_columns);
	for (i = 0; i < want->n_columns; i++) {
		EXPECT_STREQ(want->columns[i].name, got->columns[i].name);
		EXPECT_STREQ(want->columns[i].field, got->columns[i].field);
	}
}

/* *@out: the definition (the caller frees it, also on failure). */
static int def_links(struct cosi_definition **out)
{
	struct cosi_definition *d = *out = cosi_def_new("links");
	int err = 0;

	if (!d)
		return -ENOMEM;
	d->sensitivity = COSI_SENSITIVITY_SENSITIVE;
	if (!err)
		err = cosi_def_add_alias(d, "link");
	if (!err)
		err = cosi_def_add_alias(d, "lnk");
	if (!err)
		err = cosi_def_set_default_ns(d, "network");
	if (!err)
		err = cosi_def_add_field(d, "name", COSI_FIELD_TYPE_STRING, true);
	if (!err)
		err = cosi_def_add_field(d, "mtu", COSI_FIELD_TYPE_U64, false);
	if (!err)
		err = cosi_def_add_field(d, "flags", COSI_FIELD_TYPE_STRING_LIST,
					 false);
	if (!err)
		err = cosi_def_add_column(d, "MTU", "mtu");
	if (!err)
		err = cosi_def_add_column(d, "Name", "name");
	return err;
}

TEST_F(defs, set_get_roundtrip)
{
	struct cosi_definition *d = NULL;
	struct cosi_definition *set = NULL, *got = NULL;

	ASSERT_EQ(0, def_links(&d));
	ASSERT_COSI_OK(self->c, cosi_definition_set(self->c, d, &set));
	def_expect(_metadata, set, d);
	EXPECT_GT(set->revision, 0);
	EXPECT_EQ(0, set->resources);

	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, "links", &got));
	def_expect(_metadata, got, d);
	EXPECT_EQ(set->revision, got->revision);
	EXPECT_EQ(0, got->resources);
	cosi_definition_free(set);
	cosi_definition_free(got);
	cosi_definition_free(d);
}

TEST_F(defs, get_by_alias_any_case)
{
	static const char *const names[] = { "link", "lnk", "LNK", "Links" };
	struct cosi_definition *d = NULL;
	struct cosi_definition *got;
	size_t i;

	ASSERT_EQ(0, def_links(&d));
	ASSERT_COSI_OK(self->c, cosi_definition_set(self->c, d, NULL));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		got = NULL;
		ASSERT_COSI_OK(self->c,
			       cosi_definition_get(self->c, names[i], &got));
		EXPECT_STREQ("links", got->type);
		cosi_definition_free(got);
	}
	cosi_definition_free(d);
}

TEST_F(defs, get_unknown)
{
	struct cosi_definition *got = NULL;

	ASSERT_COSI_ERR(self->c, ENOENT,
			cosi_definition_get(self->c, "nothing", &got));
	EXPECT_EQ(NULL, got);
}

TEST_F(defs, list)
{
	struct cosi_definitions l;
	bool seen[3] = { false };
	size_t i, j;
	static const char *const types[] = { "alpha", "beta", "gamma" };

	ASSERT_COSI_OK(self->c, cosi_definition_list(self->c, &l));
	EXPECT_EQ(0, l.n);
	cosi_definitions_clear(&l);

	for (i = 0; i < 3; i++)
		ASSERT_COSI_OK(self->c, def_simple(self->c, types[i], "x",
						   COSI_FIELD_TYPE_U64, false,
						   NULL));
	ASSERT_COSI_OK(self->c, cosi_definition_list(self->c, &l));
	ASSERT_EQ(3, l.n);
	for (i = 0; i < l.n; i++) {
		for (j = 0; j < 3; j++)
			if (!strcmp(l.v[i]->type, types[j]))
				break;
		ASSERT_LT(j, 3) TH_LOG("unexpected type %s", l.v[i]->type);
		EXPECT_FALSE(seen[j]);
		seen[j] = true;
		ASSERT_EQ(1, l.v[i]->n_fields);
		EXPECT_STREQ("x", l.v[i]->fields[0].name);
	}
	cosi_definitions_clear(&l);
}

/*
 * The dump takes no attribute, and its policy (from the spec) refuses any
 * with an extack pointing at it.  6.1 has one policy per command, the
 * do's: there only attributes the do does not take are refused.
 */
TEST_F(defs, dump_refuses_attributes)
{
	const struct cosi_err *e = cosi_last_error(self->c);
	struct nl_msg *m;
	uint32_t off;

	m = cosi_msg_new(self->c, COSI_CMD_DEFINITION_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, m);
	off = NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
	ASSERT_EQ(0, nla_put_u32(m, COSI_A_DEFINITION_SENSITIVITY, 0));
	EXPECT_COSI_ERR(self->c, EINVAL,
			cosi_request(self->c, m, NULL, NULL));
	EXPECT_TRUE(e->has_offset && e->offset == off)
		TH_LOG("extack offset %u, attribute at %u",
		       e->has_offset ? e->offset : 0, off);
	if (!kernel_fmt_extack())
		return;

	m = cosi_msg_new(self->c, COSI_CMD_DEFINITION_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, m);
	off = NLMSG_ALIGN(nlmsg_hdr(m)->nlmsg_len);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_DEFINITION_TYPE, "alpha"));
	EXPECT_COSI_ERR(self->c, EINVAL,
			cosi_request(self->c, m, NULL, NULL));
	EXPECT_TRUE(e->has_offset && e->offset == off)
		TH_LOG("extack offset %u, attribute at %u",
		       e->has_offset ? e->offset : 0, off);
}

TEST_F(defs, delete)
{
	struct cosi_definitions l;
	uint64_t set_rev, del_rev = 0;

	ASSERT_COSI_OK(self->c, def_simple(self->c, "things", "x",
					   COSI_FIELD_TYPE_U64, false, &set_rev));
	ASSERT_COSI_OK(self->c,
		       cosi_definition_delete(self->c, "things", &del_rev));
	EXPECT_EQ(set_rev + 1, del_rev);
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_definition_get(self->c, "things", NULL));
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_definition_delete(self->c, "things", NULL));
	ASSERT_COSI_OK(self->c, cosi_definition_list(self->c, &l));
	EXPECT_EQ(0, l.n);
	cosi_definitions_clear(&l);
	/* Resources of a deleted type cannot be created. */
	EXPECT_COSI_ERR(self->c, ENOENT,
			widget_create(self->c, "things", "a", NULL, NULL));
}

TEST_F(defs, delete_busy_while_resources_exist)
{
	struct cosi_definition *got = NULL;

	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET, 0));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b", NULL, NULL));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, WIDGET, &got));
	EXPECT_EQ(2, got->resources);
	cosi_definition_free(got);

	EXPECT_COSI_ERR(self->c, EBUSY,
			cosi_definition_delete(self->c, WIDGET, NULL));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "a", NULL));
	EXPECT_COSI_ERR(self->c, EBUSY,
			cosi_definition_delete(self->c, WIDGET, NULL));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, WIDGET, "b", NULL));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, WIDGET, &got));
	EXPECT_EQ(0, got->resources);
	cosi_definition_free(got);
	EXPECT_COSI_OK(self->c, cosi_definition_delete(self->c, WIDGET, NULL));
}

TEST_F(defs, names_unique_case_insensitively)
{
	struct def_parts p = { .type = "Foo", .alias = "f1" };

	ASSERT_COSI_OK(self->c, def_try(self->c, &p));
	/* Another type named like Foo or its alias, in any case. */
	p = (struct def_parts){ .type = "foo" };
	EXPECT_COSI_ERR(self->c, EEXIST, def_try(self->c, &p));
	p = (struct def_parts){ .type = "F1" };
	EXPECT_COSI_ERR(self->c, EEXIST, def_try(self->c, &p));
	p = (struct def_parts){ .type = "bar", .alias = "FOO" };
	EXPECT_COSI_ERR(self->c, EEXIST, def_try(self->c, &p));
	p = (struct def_parts){ .type = "bar", .alias = "F1" };
	EXPECT_COSI_ERR(self->c, EEXIST, def_try(self->c, &p));
	p = (struct def_parts){ .type = "bar", .alias = "b1" };
	EXPECT_COSI_OK(self->c, def_try(self->c, &p));
	/* Replacing Foo itself is fine. */
	p = (struct def_parts){ .type = "Foo", .alias = "f2" };
	EXPECT_COSI_OK(self->c, def_try(self->c, &p));
	/* f1 is free again. */
	p = (struct def_parts){ .type = "baz", .alias = "f1" };
	EXPECT_COSI_OK(self->c, def_try(self->c, &p));
}

TEST_F(defs, replace_without_resources)
{
	uint64_t r1, r2;
	struct cosi_definition *got = NULL;

	ASSERT_COSI_OK(self->c, def_simple(self->c, "t", "x",
					   COSI_FIELD_TYPE_U64, false, &r1));
	/* Anything goes while no resource exists. */
	ASSERT_COSI_OK(self->c, def_simple(self->c, "t", "x",
					   COSI_FIELD_TYPE_STRING, true, &r2));
	EXPECT_EQ(r1 + 1, r2);
	ASSERT_COSI_OK(self->c, def_simple(self->c, "t", "y",
					   COSI_FIELD_TYPE_BOOL, true, NULL));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, "t", &got));
	ASSERT_EQ(1, got->n_fields);
	EXPECT_STREQ("y", got->fields[0].name);
	EXPECT_EQ(COSI_FIELD_TYPE_BOOL, got->fields[0].type);
	EXPECT_TRUE(got->fields[0].required);
	cosi_definition_free(got);
}

/* widgets with one more field, or with one field changed. */
static int widget_variant(struct cosi *c, const char *drop, const char *add,
			  uint32_t add_type, bool add_required)
{
	static const struct { const char *name; uint32_t type; bool req; } f[] = {
		{ "name", COSI_FIELD_TYPE_STRING, true },
		{ "mtu", COSI_FIELD_TYPE_U64, false },
		{ "offset", COSI_FIELD_TYPE_S64, false },
		{ "enabled", COSI_FIELD_TYPE_BOOL, false },
		{ "blob", COSI_FIELD_TYPE_BYTES, false },
		{ "tags", COSI_FIELD_TYPE_STRING_LIST, false },
	};
	struct cosi_definition *d = cosi_def_new(WIDGET);
	size_t i;
	int err = d ? 0 : -ENOMEM;

	for (i = 0; !err && i < sizeof(f) / sizeof(f[0]); i++)
		if (!drop || strcmp(drop, f[i].name))
			err = cosi_def_add_field(d, f[i].name, f[i].type,
						 f[i].req);
	if (!err && add)
		err = cosi_def_add_field(d, add, add_type, add_required);
	if (!err)
		err = cosi_definition_set(c, d, NULL);
	cosi_definition_free(d);
	return err;
}

TEST_F(defs, replace_with_resources_must_stay_compatible)
{
	struct cosi_definition *got = NULL;
	struct cosi_resource *r = NULL;

	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET, 0));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL, NULL));

	/* Dropping a field, changing its type, adding a required one. */
	EXPECT_COSI_ERR(self->c, EBUSY,
			widget_variant(self->c, "mtu", NULL, 0, false));
	EXPECT_COSI_ERR(self->c, EBUSY,
			widget_variant(self->c, "mtu", "mtu",
				       COSI_FIELD_TYPE_S64, false));
	EXPECT_COSI_ERR(self->c, EBUSY,
			widget_variant(self->c, NULL, "color",
				       COSI_FIELD_TYPE_STRING, true));
	/* Making an optional field required adds a required field. */
	EXPECT_COSI_ERR(self->c, EBUSY,
			widget_variant(self->c, "mtu", "mtu",
				       COSI_FIELD_TYPE_U64, true));

	/* Adding an optional field is compatible. */
	ASSERT_COSI_OK(self->c, widget_variant(self->c, NULL, "color",
					       COSI_FIELD_TYPE_STRING, false));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, WIDGET, &got));
	EXPECT_EQ(7, got->n_fields);
	EXPECT_EQ(1, got->resources);
	cosi_definition_free(got);
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "a", &r));
	EXPECT_STREQ("a", cosi_spec_get(&r->spec, "name")->str);
	cosi_resource_free(r);
}

TEST_F(defs, bad_definitions)
{
	static const struct {
		const char *what;
		struct def_parts p;
		bool range;		/* an out-of-range integer */
	} bad[] = {
		{ .what = "empty type", .p = { .type = "" } },
		{ .what = "type starting with '-'", .p = { .type = "-x" } },
		{ .what = "type with '/'", .p = { .type = "a/b" } },
		{ .what = "type with space", .p = { .type = "a b" } },
		{ .what = "type too long", .p = { .type = NULL } }, /* below */
		{ .what = "alias with space",
		  .p = { .type = "t", .alias = "a b" } },
		{ .what = "empty alias", .p = { .type = "t", .alias = "" } },
		{ .what = "default namespace with '/'",
		  .p = { .type = "t", .default_ns = "a/b" } },
		{ .what = "field name with '.'",
		  .p = { .type = "t", .field = "a.b",
			 .ftype = COSI_FIELD_TYPE_U64 } },
		{ .what = "field name with space",
		  .p = { .type = "t", .field = "a b",
			 .ftype = COSI_FIELD_TYPE_U64 } },
		{ .what = "empty field name",
		  .p = { .type = "t", .field = "",
			 .ftype = COSI_FIELD_TYPE_U64 } },
		{ .what = "field type 0",
		  .p = { .type = "t", .field = "x", .ftype = 0 },
		  .range = true },
		{ .what = "field type 7",
		  .p = { .type = "t", .field = "x", .ftype = 7 },
		  .range = true },
		{ .what = "sensitivity 2",
		  .p = { .type = "t", .sensitivity = 2 }, .range = true },
		{ .what = "column naming an unknown field",
		  .p = { .type = "t", .field = "x",
			 .ftype = COSI_FIELD_TYPE_U64, .column_field = "y" } },
	};
	struct cosi_definitions l;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct def_parts p = bad[i].p;

		if (!p.type)
			p.type = str_of('t', COSI_TYPE_MAX_LEN + 1);
		ret = def_try(self->c, &p);
		EXPECT_TRUE(ret == -EINVAL || (bad[i].range && ret == -ERANGE))
			TH_LOG("%s: %s", bad[i].what,
			       cosi_strerror(self->c, "definition-set"));
	}
	/* Nothing was defined. */
	ASSERT_COSI_OK(self->c, cosi_definition_list(self->c, &l));
	EXPECT_EQ(0, l.n);
	cosi_definitions_clear(&l);
}

TEST_F(defs, longest_names)
{
	struct def_parts p = {
		.type = str_of('t', COSI_TYPE_MAX_LEN),
		.alias = str_of('a', COSI_TYPE_MAX_LEN),
		.default_ns = str_of('n', COSI_NAMESPACE_MAX_LEN),
		.field = str_of('f', COSI_FIELD_MAX_LEN),
		.ftype = COSI_FIELD_TYPE_U64,
	};

	EXPECT_COSI_OK(self->c, def_try(self->c, &p));
	p = (struct def_parts){ .type = "t2",
		.field = str_of('f', COSI_FIELD_MAX_LEN + 1),
		.ftype = COSI_FIELD_TYPE_U64 };
	EXPECT_COSI_ERR(self->c, EINVAL, def_try(self->c, &p));
	p = (struct def_parts){ .type = "t2",
		.default_ns = str_of('n', COSI_NAMESPACE_MAX_LEN + 1) };
	EXPECT_COSI_ERR(self->c, EINVAL, def_try(self->c, &p));
}

TEST_F(defs, duplicate_schema_field)
{
	struct cosi_definition *d = NULL;

	ASSERT_NE(NULL, d = cosi_def_new("t"));
	ASSERT_EQ(0, cosi_def_add_field(d, "x", COSI_FIELD_TYPE_U64, false));
	ASSERT_EQ(0, cosi_def_add_field(d, "x", COSI_FIELD_TYPE_STRING, false));
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_definition_set(self->c, d, NULL));
	cosi_definition_free(d);
}

TEST_F(defs, missing_attributes)
{
	struct nl_msg *m;
	struct nlattr *f;

	/* No type. */
	m = cosi_msg_new(self->c, COSI_CMD_DEFINITION_SET, 0);
	ASSERT_NE(NULL, m);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));
	EXPECT_TRUE(cosi_last_error(self->c)->has_miss_type);
	EXPECT_EQ(COSI_A_DEFINITION_TYPE, cosi_last_error(self->c)->miss_type);

	/* A schema field without a type. */
	m = cosi_msg_new(self->c, COSI_CMD_DEFINITION_SET, 0);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_DEFINITION_TYPE, "t"));
	f = nla_nest_start(m, COSI_A_DEFINITION_FIELD);
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, nla_put_string(m, COSI_A_SCHEMA_FIELD_NAME, "x"));
	nla_nest_end(m, f);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));

	/* definition-get without a name. */
	m = cosi_msg_new(self->c, COSI_CMD_DEFINITION_GET, 0);
	ASSERT_NE(NULL, m);
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_request(self->c, m, NULL, NULL));
}

TEST_F(defs, schema_of_64_fields)
{
	struct cosi_definition *d = NULL;
	char name[16];
	int i, err;

	ASSERT_NE(NULL, d = cosi_def_new("wide"));
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		ASSERT_EQ(0, cosi_def_add_field(d, name, COSI_FIELD_TYPE_U64,
						false));
	}
	EXPECT_COSI_OK(self->c, cosi_definition_set(self->c, d, NULL));
	cosi_definition_free(d);

	ASSERT_NE(NULL, d = cosi_def_new("wider"));
	for (i = 0; i < 65; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		ASSERT_EQ(0, cosi_def_add_field(d, name, COSI_FIELD_TYPE_U64,
						false));
	}
	/* The design caps schemas at 64 fields but names no errno. */
	err = cosi_definition_set(self->c, d, NULL);
	EXPECT_TRUE(err == -EINVAL || err == -E2BIG)
		TH_LOG("65 fields: %s", cosi_strerror(self->c, "definition-set"));
	cosi_definition_free(d);
}

TEST_F(defs, revisions_count_every_change)
{
	uint64_t r1, r2, r3, r4 = 0;

	/* A fresh netns starts at revision 0. */
	ASSERT_COSI_OK(self->c, def_simple(self->c, "a", "x",
					   COSI_FIELD_TYPE_U64, false, &r1));
	EXPECT_EQ(1, r1);
	ASSERT_COSI_OK(self->c, def_simple(self->c, "b", "x",
					   COSI_FIELD_TYPE_U64, false, &r2));
	EXPECT_EQ(r1 + 1, r2);
	ASSERT_COSI_OK(self->c, def_simple(self->c, "a", "y",
					   COSI_FIELD_TYPE_U64, false, &r3));
	EXPECT_EQ(r2 + 1, r3);
	ASSERT_COSI_OK(self->c, cosi_definition_delete(self->c, "b", &r4));
	EXPECT_EQ(r3 + 1, r4);
}

TEST_F(defs, max_definitions)
{
	PARAM_SET("max_definitions", 2);
	ASSERT_COSI_OK(self->c, def_simple(self->c, "a", NULL, 0, false, NULL));
	ASSERT_COSI_OK(self->c, def_simple(self->c, "b", NULL, 0, false, NULL));
	EXPECT_COSI_ERR(self->c, ENOSPC,
			def_simple(self->c, "c", NULL, 0, false, NULL));
	/* Replacing one is not a new definition. */
	EXPECT_COSI_OK(self->c, def_simple(self->c, "a", "x",
					   COSI_FIELD_TYPE_U64, false, NULL));
	ASSERT_COSI_OK(self->c, cosi_definition_delete(self->c, "b", NULL));
	EXPECT_COSI_OK(self->c, def_simple(self->c, "c", NULL, 0, false, NULL));
}

TEST_HARNESS_MAIN
