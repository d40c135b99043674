// SPDX-License-Identifier: GPL-2.0
/*
 * Isolation: network namespaces, privileges and sensitive types.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cosi_nl.h"
#include "cosi_fixture.h"

TEST_F(cosi, netns_isolated)
{
	struct ct_list l = {};
	struct ct_obj o;
	struct ct other;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "here", 1, 0, NULL, &o));
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, ct_open(&other));
	/* The type itself is unknown in the new netns. */
	EXPECT_EQ(-ENOENT, ct_get(&other, "ns", self->type, "here", &o));
	ASSERT_EQ(0, ct_define(&other, self->type, false));
	EXPECT_EQ(-ENOENT, ct_get(&other, "ns", self->type, "here", &o));
	ASSERT_EQ(0, ct_create(&other, "ns", self->type, "there", 1, 0, NULL, &o));
	ASSERT_EQ(0, ct_list(&other, "ns", self->type, &l));
	ASSERT_EQ(1, l.n);
	EXPECT_STREQ("there", l.v[0].id);
	ct_list_free(&l);
	/* The first socket still talks to the first netns. */
	ASSERT_EQ(0, ct_list(&self->ct, "ns", self->type, &l));
	ASSERT_EQ(1, l.n);
	EXPECT_STREQ("here", l.v[0].id);
	ct_list_free(&l);
	ct_close(&other);
}

TEST_F(cosi, netns_teardown_with_state)
{
	struct nl_msg *m;
	struct ct w;
	struct ct_obj o;
	pid_t pid;
	int status;

	/* A netns dies with resources, a live watch and a claim in it. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (unshare(CLONE_NEWNET) || ct_open(&w) ||
		    ct_define(&w, self->type, false) ||
		    ct_create(&w, "ns", self->type, "x", 1, 0, NULL, &o))
			_exit(1);
		m = ct_msg(&w, COSI_CMD_WATCH, NLM_F_DUMP);
		ct_put_key(m, "ns", self->type, NULL);
		if (ct_req(&w, m, NULL))
			_exit(2);
		m = ct_msg(&w, COSI_CMD_OWNER_CLAIM, 0);
		nla_put_string(m, COSI_A_RESOURCE_OWNER, "dying");
		_exit(ct_req(&w, m, NULL) ? 3 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

static int drop_privileges(void)
{
	if (prctl(PR_SET_KEEPCAPS, 0) || setgid(65534) || setuid(65534))
		return -1;
	return 0;
}

TEST_F(cosi, unprivileged)
{
	struct ct_obj o;
	pid_t pid;
	int status;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "p", 1, 0, NULL, &o));
	ASSERT_EQ(0, ct_define(&self->ct, self->type2, true));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type2, "secret", 1, 0, NULL, &o));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct ct u;
		struct nl_msg *m;

		if (drop_privileges() || ct_open(&u))
			_exit(10);
		if (ct_get(&u, "ns", self->type, "p", &o))
			_exit(11);	/* public: readable */
		if (ct_create(&u, "ns", self->type, "q", 1, 0, NULL, &o) != -EPERM)
			_exit(12);
		if (ct_update(&u, "ns", self->type, "p", 2, -1, NULL, &o) != -EPERM)
			_exit(13);
		if (ct_destroy(&u, "ns", self->type, "p") != -EPERM)
			_exit(14);
		if (ct_get(&u, "ns", self->type2, "secret", &o) != -EPERM)
			_exit(15);
		if (ct_define(&u, "Evil.type", false) != -EPERM)
			_exit(16);
		m = ct_msg(&u, COSI_CMD_OWNER_CLAIM, 0);
		nla_put_string(m, COSI_A_RESOURCE_OWNER, "anyone");
		if (ct_req(&u, m, NULL) != -EPERM)
			_exit(17);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, ct_get(&self->ct, "ns", self->type2, "secret", &o));
	EXPECT_TRUE(o.has_spec);
}

TEST_F(cosi, user_namespace_cannot_write_init_netns)
{
	struct ct_obj o;
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct ct u;

		/* Root in a new user ns has no CAP_NET_ADMIN over this netns. */
		if (drop_privileges() || unshare(CLONE_NEWUSER) || ct_open(&u))
			_exit(10);
		if (ct_create(&u, "ns", self->type, "userns", 1, 0, NULL, &o) != -EPERM)
			_exit(11);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-ENOENT, ct_get(&self->ct, "ns", self->type, "userns", &o));
}

TEST_HARNESS_MAIN
