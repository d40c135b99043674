// SPDX-License-Identifier: GPL-2.0
/*
 * Resource and definition operations, and their error paths.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cosi_nl.h"
#include "cosi_fixture.h"

TEST_F(cosi, create_get_update_destroy)
{
	const char *labels[] = { "app=web", "tier=1" };
	struct ct_obj o, g;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "a", 1, 2, labels, &o));
	EXPECT_EQ(1, o.version);
	EXPECT_EQ(COSI_PHASE_RUNNING, o.phase);
	EXPECT_EQ(2, o.n_labels);
	EXPECT_STREQ("app", o.label_key[0]);
	EXPECT_EQ(1, o.u64_field);

	ASSERT_EQ(0, ct_get(&self->ct, "ns", self->type, "a", &g));
	EXPECT_EQ(o.revision, g.revision);
	EXPECT_STREQ("a", g.id);
	EXPECT_STREQ("", g.owner);

	ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "a", 7, -1, NULL, &o));
	EXPECT_EQ(2, o.version);
	EXPECT_EQ(7, o.u64_field);
	EXPECT_EQ(2, o.n_labels);	/* labels kept when not given */
	EXPECT_GT(o.revision, g.revision);

	ASSERT_EQ(0, ct_destroy(&self->ct, "ns", self->type, "a"));
	EXPECT_EQ(-ENOENT, ct_get(&self->ct, "ns", self->type, "a", &g));
	EXPECT_NE(NULL, strstr(self->ct.extack, "not found"));
}

TEST_F(cosi, noop_update_bumps_nothing)
{
	struct ct_obj a, b;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "x", 3, 0, NULL, &a));
	ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "x", 3, 0, NULL, &b));
	EXPECT_EQ(a.version, b.version);
	EXPECT_EQ(a.revision, b.revision);
}

TEST_F(cosi, revision_orders_across_types)
{
	struct ct_obj a, b, c;

	ASSERT_EQ(0, ct_define(&self->ct, self->type2, false));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "r", 1, 0, NULL, &a));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type2, "r", 1, 0, NULL, &b));
	ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "r", 2, 0, NULL, &c));
	EXPECT_LT(a.revision, b.revision);
	EXPECT_LT(b.revision, c.revision);
}

TEST_F(cosi, create_errors)
{
	struct ct_obj o;
	struct nl_msg *m;
	const char *bad[] = { "nope=u64:1" };
	const char *wrong[] = { "n=str:x" };
	const char *dup[] = { "n=u64:1", "n=u64:2" };

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "dup", 1, 0, NULL, &o));
	EXPECT_EQ(-EEXIST, ct_create(&self->ct, "ns", self->type, "dup", 1, 0, NULL, &o));
	EXPECT_EQ(-ENOENT, ct_create(&self->ct, "ns", "Undefined.type", "a", 1, 0, NULL, &o));
	EXPECT_NE(NULL, strstr(self->ct.extack, "not defined"));
	EXPECT_EQ(-EINVAL, ct_create(&self->ct, "bad ns", self->type, "a", 1, 0, NULL, &o));
	EXPECT_EQ(-EINVAL, ct_create(&self->ct, "ns", self->type, "sp ace", 1, 0, NULL, &o));

	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_CREATE, 0);
	ct_put_key(m, "ns", self->type, "s1");
	ct_put_spec(m, 1, bad);
	EXPECT_EQ(-EINVAL, ct_req(&self->ct, m, NULL));
	EXPECT_NE(NULL, strstr(self->ct.extack, "unknown spec field"));

	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_CREATE, 0);
	ct_put_key(m, "ns", self->type, "s2");
	ct_put_spec(m, 1, wrong);
	EXPECT_EQ(-EINVAL, ct_req(&self->ct, m, NULL));
	EXPECT_NE(NULL, strstr(self->ct.extack, "wrong type"));

	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_CREATE, 0);
	ct_put_key(m, "ns", self->type, "s3");
	ct_put_spec(m, 2, dup);
	EXPECT_EQ(-EINVAL, ct_req(&self->ct, m, NULL));
	EXPECT_NE(NULL, strstr(self->ct.extack, "duplicate spec field"));

	/* Missing id: the kernel names the missing attribute. */
	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_CREATE, 0);
	ct_put_key(m, "ns", self->type, NULL);
	EXPECT_EQ(-EINVAL, ct_req(&self->ct, m, NULL));

	/* Unknown attribute: strict policy. */
	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_CREATE, 0);
	ct_put_key(m, "ns", self->type, "u");
	nla_put_u32(m, COSI_A_RESOURCE_WATCH_ID, 1);
	EXPECT_EQ(-EINVAL, ct_req(&self->ct, m, NULL));

	/* Nothing of the failed creates exists. */
	EXPECT_EQ(-ENOENT, ct_get(&self->ct, "ns", self->type, "s1", &o));
}

TEST_F(cosi, required_field)
{
	struct nl_msg *m = ct_msg(&self->ct, COSI_CMD_DEFINITION_SET, 0);
	struct nlattr *f;
	struct ct_obj o;

	nla_put_string(m, COSI_A_DEFINITION_TYPE, self->type2);
	f = nla_nest_start(m, COSI_A_DEFINITION_FIELD);
	nla_put_string(m, COSI_A_SCHEMA_FIELD_NAME, "must");
	nla_put_u32(m, COSI_A_SCHEMA_FIELD_TYPE, COSI_FIELD_TYPE_BOOL);
	nla_put_flag(m, COSI_A_SCHEMA_FIELD_REQUIRED);
	nla_nest_end(m, f);
	ASSERT_EQ(0, ct_req(&self->ct, m, NULL));

	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_CREATE, 0);
	ct_put_key(m, "ns", self->type2, "r");
	EXPECT_EQ(-EINVAL, ct_req(&self->ct, m, NULL));
	EXPECT_NE(NULL, strstr(self->ct.extack, "missing required spec field"));
	EXPECT_EQ(-ENOENT, ct_get(&self->ct, "ns", self->type2, "r", &o));
}

TEST_F(cosi, expected_version_and_phase)
{
	struct ct_obj o;
	struct nl_msg *m;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "v", 1, 0, NULL, &o));
	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_UPDATE, 0);
	ct_put_key(m, "ns", self->type, "v");
	nla_put_u64(m, COSI_A_RESOURCE_EXPECTED_VERSION, 5);
	EXPECT_EQ(-ESTALE, ct_req(&self->ct, m, NULL));
	EXPECT_NE(NULL, strstr(self->ct.extack, "version mismatch"));

	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_TEARDOWN, 0);
	ct_put_key(m, "ns", self->type, "v");
	ASSERT_EQ(0, ct_req(&self->ct, m, NULL));

	/* Update defaults to expecting phase running. */
	EXPECT_EQ(-ESTALE, ct_update(&self->ct, "ns", self->type, "v", 2, -1, NULL, &o));
	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_UPDATE, 0);
	ct_put_key(m, "ns", self->type, "v");
	nla_put_u32(m, COSI_A_RESOURCE_EXPECTED_PHASE, COSI_PHASE_TEARING_DOWN);
	EXPECT_EQ(0, ct_req(&self->ct, m, NULL));
}

TEST_F(cosi, finalizers_and_teardown)
{
	const char *fin[] = { "ctl-b", "ctl-a" };
	struct ct_list l = {};
	struct ct_obj o;
	struct nl_msg *m;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "f", 1, 0, NULL, &o));
	m = ct_msg(&self->ct, COSI_CMD_FINALIZER_ADD, 0);
	ct_put_key(m, "ns", self->type, "f");
	ct_put_finalizers(m, 2, fin);
	ASSERT_EQ(0, ct_req(&self->ct, m, &l));
	ASSERT_EQ(1, l.n);
	EXPECT_EQ(2, l.v[0].n_finalizers);
	EXPECT_STREQ("ctl-a", l.v[0].finalizers[0]);	/* a sorted set */
	EXPECT_EQ(2, l.v[0].version);
	ct_list_free(&l);

	EXPECT_EQ(-EBUSY, ct_destroy(&self->ct, "ns", self->type, "f"));
	EXPECT_NE(NULL, strstr(self->ct.extack, "finalizers pending"));

	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_TEARDOWN, 0);
	ct_put_key(m, "ns", self->type, "f");
	ASSERT_EQ(0, ct_req(&self->ct, m, &l));
	EXPECT_EQ(0, l.v[0].destroy_ready);
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, l.v[0].phase);
	ct_list_free(&l);

	/* No new finalizers once tearing down. */
	m = ct_msg(&self->ct, COSI_CMD_FINALIZER_ADD, 0);
	ct_put_key(m, "ns", self->type, "f");
	ct_put_finalizers(m, 1, (const char *[]){ "late" });
	EXPECT_EQ(-ESTALE, ct_req(&self->ct, m, NULL));

	m = ct_msg(&self->ct, COSI_CMD_FINALIZER_REMOVE, 0);
	ct_put_key(m, "ns", self->type, "f");
	ct_put_finalizers(m, 2, fin);
	ASSERT_EQ(0, ct_req(&self->ct, m, NULL));

	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_TEARDOWN, 0);
	ct_put_key(m, "ns", self->type, "f");
	ASSERT_EQ(0, ct_req(&self->ct, m, &l));
	EXPECT_EQ(1, l.v[0].destroy_ready);
	ct_list_free(&l);
	EXPECT_EQ(0, ct_destroy(&self->ct, "ns", self->type, "f"));
}

TEST_F(cosi, owner_enforced_by_socket)
{
	struct ct other, third;
	struct ct_obj o;
	struct nl_msg *m;

	ASSERT_EQ(0, ct_open(&other));
	ASSERT_EQ(0, ct_open(&third));
	m = ct_msg(&self->ct, COSI_CMD_OWNER_CLAIM, 0);
	nla_put_string(m, COSI_A_RESOURCE_OWNER, self->owner);
	ASSERT_EQ(0, ct_req(&self->ct, m, NULL));

	m = ct_msg(&other, COSI_CMD_OWNER_CLAIM, 0);
	nla_put_string(m, COSI_A_RESOURCE_OWNER, self->owner);
	EXPECT_EQ(-EBUSY, ct_req(&other, m, NULL));

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "o", 1, 0, NULL, &o));
	EXPECT_STREQ(self->owner, o.owner);
	EXPECT_EQ(-EACCES, ct_update(&other, "ns", self->type, "o", 2, -1, NULL, &o));
	EXPECT_NE(NULL, strstr(self->ct.extack[0] ? other.extack : other.extack,
			       "owned by"));
	EXPECT_EQ(-EACCES, ct_destroy(&other, "ns", self->type, "o"));
	EXPECT_EQ(0, ct_update(&self->ct, "ns", self->type, "o", 2, -1, NULL, &o));

	/* The claim ends with the socket: another may take the name. */
	ct_close(&self->ct);
	m = ct_msg(&third, COSI_CMD_OWNER_CLAIM, 0);
	nla_put_string(m, COSI_A_RESOURCE_OWNER, self->owner);
	EXPECT_EQ(0, ct_req(&third, m, NULL));
	EXPECT_EQ(0, ct_destroy(&third, "ns", self->type, "o"));
	ct_close(&other);
	ct_close(&third);
	ASSERT_EQ(0, ct_open(&self->ct));
}

TEST_F(cosi, definitions)
{
	struct ct_list l = {};
	struct ct_obj o;
	struct nl_msg *m;
	int i, found = 0;

	m = ct_msg(&self->ct, COSI_CMD_DEFINITION_GET, NLM_F_DUMP);
	ASSERT_EQ(0, ct_req(&self->ct, m, &l));
	for (i = 0; i < l.n; i++)
		found += !strcmp(l.v[i].type, self->type);
	EXPECT_EQ(1, found);
	ct_list_free(&l);

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "d", 1, 0, NULL, &o));
	m = ct_msg(&self->ct, COSI_CMD_DEFINITION_DELETE, 0);
	nla_put_string(m, COSI_A_DEFINITION_TYPE, self->type);
	EXPECT_EQ(-EBUSY, ct_req(&self->ct, m, NULL));

	m = ct_msg(&self->ct, COSI_CMD_DEFINITION_GET, 0);
	nla_put_string(m, COSI_A_DEFINITION_TYPE, self->type);
	ASSERT_EQ(0, ct_req(&self->ct, m, &l));
	EXPECT_EQ(1, l.v[0].resources);
	ct_list_free(&l);

	/* Changing a field's type would invalidate the resource. */
	m = ct_msg(&self->ct, COSI_CMD_DEFINITION_SET, 0);
	nla_put_string(m, COSI_A_DEFINITION_TYPE, self->type);
	EXPECT_EQ(-EBUSY, ct_req(&self->ct, m, NULL));

	ASSERT_EQ(0, ct_destroy(&self->ct, "ns", self->type, "d"));
	m = ct_msg(&self->ct, COSI_CMD_DEFINITION_DELETE, 0);
	nla_put_string(m, COSI_A_DEFINITION_TYPE, self->type);
	EXPECT_EQ(0, ct_req(&self->ct, m, NULL));
	EXPECT_EQ(-ENOENT, ct_create(&self->ct, "ns", self->type, "d", 1, 0, NULL, &o));
	ASSERT_EQ(0, ct_define(&self->ct, self->type, false));
}

TEST_F(cosi, limits)
{
	const char *labels[] = { "a=1", "b=2", "c=3" };
	char big[6000];
	const char *f = big;
	struct ct_obj o;
	struct nl_msg *m;

	ASSERT_EQ(0, cosi_param_set("max_labels", 2, &self->saved[0]));
	EXPECT_EQ(-E2BIG, ct_create(&self->ct, "ns", self->type, "l", 1, 3, labels, &o));
	EXPECT_NE(NULL, strstr(self->ct.extack, "too many labels"));
	cosi_param_restore("max_labels", self->saved[0]);

	ASSERT_EQ(0, cosi_param_set("max_spec_size", 1024, &self->saved[0]));
	snprintf(big, sizeof(big), "s=str:%04000d", 1);
	m = ct_msg(&self->ct, COSI_CMD_RESOURCE_CREATE, 0);
	ct_put_key(m, "ns", self->type, "big");
	ct_put_spec(m, 1, &f);
	EXPECT_EQ(-E2BIG, ct_req(&self->ct, m, NULL));
	EXPECT_NE(NULL, strstr(self->ct.extack, "spec too large"));
	cosi_param_restore("max_spec_size", self->saved[0]);

	ASSERT_EQ(0, cosi_param_set("max_resources", 0, &self->saved[0]));
	EXPECT_EQ(-ENOSPC, ct_create(&self->ct, "ns", self->type, "full", 1, 0, NULL, &o));
	cosi_param_restore("max_resources", self->saved[0]);
	EXPECT_EQ(0, ct_create(&self->ct, "ns", self->type, "full", 1, 0, NULL, &o));
}

TEST_HARNESS_MAIN
