// SPDX-License-Identifier: GPL-2.0
/*
 * Privileges: writes need CAP_NET_ADMIN in the user namespace owning the
 * network namespace; so do reads of a sensitive type.  Each check runs in
 * a child process that drops what it must; the child reports the first
 * failed step as its exit status (and says why on stderr).
 */
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "cosi_test.h"

#define SECRETS	"secrets"
#define NOBODY	65534

FIXTURE(priv) {
	struct cosi *c;
};

FIXTURE_SETUP(priv)
{
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET,
					      COSI_SENSITIVITY_PUBLIC));
	ASSERT_COSI_OK(self->c, widget_define(self->c, SECRETS,
					      COSI_SENSITIVITY_SENSITIVE));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "pub", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, SECRETS, "key", NULL,
					      NULL));
}

FIXTURE_TEARDOWN(priv)
{
	cosi_close(self->c);
}

/* In a child: fail with @step when @cond does not hold. */
#define CHECK(step, cond, c) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "# step %d: %s: %s\n", step, #cond,	\
			(c) ? cosi_strerror(c, "last") : "");		\
		return step;						\
	}								\
} while (0)

static int capset_net_admin(bool keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (keep)
		d[0].effective = d[0].permitted = 1u << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &h, d))
		return -1;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -1;
	return d[0].effective == (keep ? 1u << CAP_NET_ADMIN : 0) &&
	       !d[1].effective ? 0 : -1;
}

/* Become uid/gid 65534 with no capabilities, or with CAP_NET_ADMIN only. */
static int drop_to_nobody(bool keep_net_admin)
{
	if (prctl(PR_SET_KEEPCAPS, keep_net_admin ? 1 : 0) ||
	    setgroups(0, NULL) ||
	    setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	return capset_net_admin(keep_net_admin);
}

/* Every write operation, all expected to fail with @err (or succeed). */
static int writes(struct cosi *c, int err, int step)
{
	struct cosi_strs fin = strs_make("f", NULL);
	struct cosi_req k = {
		.ns = TEST_NS, .type = WIDGET, .id = "pub", .finalizers = &fin,
	};
	struct cosi_definition d;
	int ret = 0;

	cosi_def_init(&d, "more");
	CHECK(step + 1, cosi_definition_set(c, &d, NULL) == -err, c);
	CHECK(step + 2, widget_create(c, WIDGET, "new", NULL, NULL) == -err, c);
	CHECK(step + 3, widget_update(c, WIDGET, "pub", "x", NULL, NULL) == -err,
	      c);
	CHECK(step + 4, cosi_finalizer_add(c, &k, NULL) == -err, c);
	CHECK(step + 5, cosi_finalizer_remove(c, &k, NULL) == -err, c);
	CHECK(step + 6, cosi_resource_teardown(c, &k, NULL, NULL) == -err, c);
	CHECK(step + 7, widget_destroy(c, WIDGET, "new", NULL) == -err, c);
	CHECK(step + 8, cosi_owner_claim(c, "ctrl") == -err, c);
	CHECK(step + 9, cosi_definition_delete(c, "more", NULL) == -err, c);
	cosi_definition_clear(&d);
	cosi_strs_clear(&fin);
	return ret;
}

/* Reads: public ones work; sensitive ones give @sens (0 or -EPERM). */
static int reads(struct cosi *c, int sens, int step)
{
	struct cosi_list_req lr = { .ns = TEST_NS, .type = WIDGET };
	struct cosi_watch_req wr = {
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	};
	struct cosi_event_vec v = { 0 };
	struct cosi_definitions defs;
	struct cosi_resource *r = NULL;
	struct cosi_resources l;
	uint32_t wid = 0;

	CHECK(step + 1, !cosi_resource_get(c, TEST_NS, WIDGET, "pub", &r), c);
	CHECK(step + 2, r->has_spec &&
	      !strcmp(cosi_spec_get(&r->spec, "name")->str, "pub"), NULL);
	cosi_resource_free(r);
	CHECK(step + 3, !cosi_resource_list(c, &lr, &l) && l.n >= 1, c);
	cosi_resources_clear(&l);
	CHECK(step + 4, !cosi_watch(c, &wr, cosi_event_vec_push, &v, &wid,
				    NULL) && v.n >= 2, c);
	cosi_event_vec_clear(&v);
	CHECK(step + 5, !cosi_watch_stop(c, wid), c);
	CHECK(step + 6, !cosi_definition_get(c, SECRETS, NULL), c);
	CHECK(step + 7, !cosi_definition_list(c, &defs) && defs.n >= 2, c);
	cosi_definitions_clear(&defs);

	lr.type = SECRETS;
	wr.type = SECRETS;
	CHECK(step + 8,
	      cosi_resource_get(c, TEST_NS, SECRETS, "key", NULL) == sens, c);
	CHECK(step + 9, cosi_resource_list(c, &lr, &l) == sens, c);
	if (!sens)
		cosi_resources_clear(&l);
	CHECK(step + 10, cosi_watch(c, &wr, NULL, NULL, NULL, NULL) == sens, c);
	return 0;
}

static int run_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

static int nobody_child(void *arg)
{
	struct cosi *c;
	int ret;

	(void)arg;
	CHECK(1, !drop_to_nobody(false), NULL);
	CHECK(2, getuid() == NOBODY && geteuid() == NOBODY, NULL);
	c = cosi_open();
	CHECK(3, c, NULL);
	ret = writes(c, EPERM, 10);
	if (!ret)
		ret = reads(c, -EPERM, 30);
	cosi_close(c);
	return ret;
}

TEST_F(priv, unprivileged_user)
{
	struct cosi_resource *r = NULL;

	EXPECT_EQ(0, run_child(nobody_child, NULL));
	/* Nothing changed. */
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "pub", &r));
	EXPECT_EQ(1, r->version);
	EXPECT_EQ(0, r->finalizers.n);
	cosi_resource_free(r);
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_get(self->c, TEST_NS, WIDGET, "new", NULL));
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_definition_get(self->c, "more", NULL));
}

static int net_admin_child(void *arg)
{
	struct cosi *c;
	int ret;

	(void)arg;
	CHECK(1, !drop_to_nobody(true), NULL);
	CHECK(2, geteuid() == NOBODY, NULL);
	c = cosi_open();
	CHECK(3, c, NULL);
	ret = reads(c, 0, 10);
	CHECK(30, !cosi_owner_claim(c, "nobody-ctrl"), c);
	CHECK(31, !widget_create(c, WIDGET, "by-nobody", NULL, NULL), c);
	CHECK(32, !widget_update(c, WIDGET, "by-nobody", "x", NULL, NULL), c);
	cosi_close(c);
	return ret;
}

/* What matters is the capability, not the uid. */
TEST_F(priv, uid_with_net_admin)
{
	EXPECT_EQ(0, run_child(net_admin_child, NULL));
	EXPECT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "by-nobody", NULL));
}

struct mcast_arg {
	int ready;		/* write end: joined */
	int go;			/* read end: events were sent */
};

static int mcast_child(void *arg)
{
	struct mcast_arg *m = arg;
	struct cosi_event_vec v = { 0 };
	struct cosi *c;
	char byte;
	int i;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	CHECK(3, !cosi_events_join(c), c);
	CHECK(4, write(m->ready, "1", 1) == 1, NULL);
	CHECK(5, read(m->go, &byte, 1) == 1, NULL);
	for (i = 0; i < 50 && v.n < 2; i++)
		cosi_watch_recv(c, 100, cosi_event_vec_push, &v);
	CHECK(6, v.n == 2, NULL);
	CHECK(7, !strcmp(v.v[0]->res.id, "pub2") && v.v[0]->res.has_spec, NULL);
	/* Sensitive: the event, without the spec. */
	CHECK(8, !strcmp(v.v[1]->res.id, "key2") && !v.v[1]->res.has_spec,
	      NULL);
	cosi_event_vec_clear(&v);
	cosi_close(c);
	return 0;
}

TEST_F(priv, unprivileged_multicast_listener)
{
	struct mcast_arg m;
	int ready[2], go[2], status;
	char byte;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	m.ready = ready[1];
	m.go = go[0];
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(mcast_child(&m));
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &byte, 1)) {
		waitpid(pid, &status, 0);
		TH_LOG("child failed: %d", WEXITSTATUS(status));
	}
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "pub2", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, SECRETS, "key2", NULL,
					      NULL));
	ASSERT_EQ(1, write(go[1], "1", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

static int userns_child(void *arg)
{
	struct cosi *c;
	int ret;

	(void)arg;
	/* Full capabilities, but in a user namespace not owning the netns. */
	CHECK(1, !unshare(CLONE_NEWUSER), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	ret = writes(c, EPERM, 10);
	if (!ret)
		ret = reads(c, -EPERM, 30);
	cosi_close(c);
	return ret;
}

static bool userns_available(void)
{
	pid_t pid = fork();
	int status;

	if (!pid)
		_exit(unshare(CLONE_NEWUSER) ? 1 : 0);
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status);
}

TEST_F(priv, user_namespace_without_net_admin_over_netns)
{
	if (!userns_available())
		SKIP(return, "user namespaces unavailable");
	EXPECT_EQ(0, run_child(userns_child, NULL));
}

static int userns_netns_child(void *arg)
{
	struct cosi_definitions defs;
	struct cosi_resource *r = NULL;
	struct cosi *c;

	(void)arg;
	/* A netns owned by our new user namespace: we administer it. */
	CHECK(1, !unshare(CLONE_NEWUSER | CLONE_NEWNET), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	/* Administering a netns gives nothing in the first one. */
	CHECK(20, !cosi_definition_list(c, &defs) && defs.n == 0, c);
	cosi_definitions_clear(&defs);
	CHECK(21, cosi_resource_get(c, TEST_NS, WIDGET, "pub", NULL) == -ENOENT,
	      c);
	CHECK(3, !widget_define(c, SECRETS, COSI_SENSITIVITY_SENSITIVE), c);
	CHECK(22, cosi_resource_get(c, TEST_NS, SECRETS, "key", NULL) == -ENOENT,
	      c);
	CHECK(4, !widget_create(c, SECRETS, "mine", NULL, NULL), c);
	CHECK(5, !cosi_resource_get(c, TEST_NS, SECRETS, "mine", &r), c);
	CHECK(6, r->has_spec, NULL);
	cosi_resource_free(r);
	CHECK(7, !cosi_owner_claim(c, "ctrl"), c);
	cosi_close(c);
	return 0;
}

TEST_F(priv, user_namespace_owning_its_netns)
{
	if (!userns_available())
		SKIP(return, "user namespaces unavailable");
	EXPECT_EQ(0, run_child(userns_netns_child, NULL));
}

TEST_HARNESS_MAIN
