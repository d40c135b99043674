// SPDX-License-Identifier: GPL-2.0
/*
 * Privileges: writes need CAP_NET_ADMIN in the user namespace owning the
 * network namespace; so do reads of a sensitive type.  Writes of a type
 * whose write-access is sys-admin need CAP_SYS_ADMIN in the initial user
 * namespace too, and every version records its writer's capabilities.
 * Each check runs in a child process that drops what it must; the child
 * reports the first failed step as its exit status (and says why on
 * stderr).
 */
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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
	COSI_OPTS(cosi_req, k,
		.ns = TEST_NS, .type = WIDGET, .id = "pub", .finalizers = &fin,
	);
	struct cosi_definition *d = NULL;
	int ret = 0;

	d = cosi_def_new("more");
	CHECK(step, d != NULL, NULL);
	CHECK(step + 1, cosi_definition_set(c, d, NULL) == -err, c);
	CHECK(step + 2, widget_create(c, WIDGET, "new", NULL, NULL) == -err, c);
	CHECK(step + 3, widget_update(c, WIDGET, "pub", "x", NULL, NULL) == -err,
	      c);
	CHECK(step + 4, cosi_finalizer_add(c, &k, NULL) == -err, c);
	CHECK(step + 5, cosi_finalizer_remove(c, &k, NULL) == -err, c);
	CHECK(step + 6, cosi_resource_teardown(c, &k, NULL, NULL) == -err, c);
	CHECK(step + 7, widget_destroy(c, WIDGET, "new", NULL) == -err, c);
	CHECK(step + 8, cosi_owner_claim(c, "ctrl") == -err, c);
	CHECK(step + 9, cosi_definition_delete(c, "more", NULL) == -err, c);
	cosi_definition_free(d);
	cosi_strs_clear(&fin);
	return ret;
}

/*
 * Every resource write again, quiet, in one cosi_write_batch(): each
 * expected to fail with @err (positive), answered as quiet writes are
 * when they fail.
 */
static int quiet_writes(struct cosi *c, int err, int step)
{
	struct cosi_strs fin = strs_make("f", NULL);
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, nw,
		.ns = TEST_NS, .type = WIDGET, .id = "new", .spec = &spec,
		.quiet = true,
	);
	COSI_OPTS(cosi_req, upd,
		.ns = TEST_NS, .type = WIDGET, .id = "pub", .spec = &spec,
		.quiet = true,
	);
	COSI_OPTS(cosi_req, fk,
		.ns = TEST_NS, .type = WIDGET, .id = "pub", .finalizers = &fin,
		.quiet = true,
	);
	COSI_OPTS(cosi_req, k,
		.ns = TEST_NS, .type = WIDGET, .id = "pub", .quiet = true,
	);
	struct cosi_write w[] = {
		{ .cmd = COSI_CMD_RESOURCE_CREATE, .req = &nw },
		{ .cmd = COSI_CMD_RESOURCE_UPDATE, .req = &upd },
		{ .cmd = COSI_CMD_FINALIZER_ADD, .req = &fk },
		{ .cmd = COSI_CMD_FINALIZER_REMOVE, .req = &fk },
		{ .cmd = COSI_CMD_RESOURCE_TEARDOWN, .req = &k },
		{ .cmd = COSI_CMD_RESOURCE_DESTROY, .req = &k },
	};
	size_t i;

	CHECK(step, !cosi_spec_add_string(&spec, "name", "x"), NULL);
	CHECK(step + 1, !cosi_write_batch(c, w, 6), c);
	for (i = 0; i < 6; i++)
		CHECK(step + 2 + (int)i, w[i].done && w[i].err.err == err,
		      NULL);
	cosi_spec_clear(&spec);
	cosi_strs_clear(&fin);
	return 0;
}

/* Reads: public ones work; sensitive ones give @sens (0 or -EPERM). */
static int reads(struct cosi *c, int sens, int step)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
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

/* The last error's extack says @what, or there is none (6.1 dump start). */
static bool extack_says(struct cosi *c, const char *what)
{
	const char *msg = cosi_last_error(c)->msg;

	return !msg[0] || strstr(msg, what);
}

/*
 * A child in lock step with the test: the child says ready (with a byte),
 * the test acts, tells it to go on, and collects its exit status.
 */
struct lockstep {
	int ready[2];		/* child -> test */
	int go[2];		/* test -> child */
	pid_t pid;
	void *arg;
};

static int lockstep_start(struct lockstep *ls, int (*fn)(struct lockstep *),
			  void *arg)
{
	ls->arg = arg;
	if (pipe(ls->ready) || pipe(ls->go))
		return -1;
	fflush(stdout);
	fflush(stderr);
	ls->pid = fork();
	if (ls->pid < 0)
		return -1;
	if (!ls->pid) {
		close(ls->ready[0]);
		close(ls->go[1]);
		_exit(fn(ls));
	}
	close(ls->ready[1]);
	close(ls->go[0]);
	return 0;
}

/* In the child. */
static bool lockstep_ready(struct lockstep *ls, char byte)
{
	return write(ls->ready[1], &byte, 1) == 1;
}

static bool lockstep_wait(struct lockstep *ls)
{
	char byte;

	return read(ls->go[0], &byte, 1) == 1;
}

/* In the test: the child's byte, or 0 when it exited first. */
static char lockstep_await(struct lockstep *ls)
{
	char byte;

	return read(ls->ready[0], &byte, 1) == 1 ? byte : 0;
}

/* Let the child go on (@go), then its exit status (128 + signal). */
static int lockstep_end(struct lockstep *ls, bool go)
{
	int status;

	if (go && write(ls->go[1], "1", 1) != 1)
		return -1;
	close(ls->go[1]);
	close(ls->ready[0]);
	if (waitpid(ls->pid, &status, 0) != ls->pid)
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
		ret = quiet_writes(c, EPERM, 50);
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

static int mcast_child(struct lockstep *ls)
{
	struct cosi_event_vec v = { 0 };
	struct cosi *c;
	int i;

	/* The group needs CAP_NET_ADMIN (see access.events_group_...). */
	CHECK(1, !drop_to_nobody(true), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	CHECK(3, !cosi_events_join(c), c);
	CHECK(4, lockstep_ready(ls, '1'), NULL);
	CHECK(5, lockstep_wait(ls), NULL);
	for (i = 0; i < 50 && v.n < 2; i++)
		cosi_watch_recv(c, 100, cosi_event_vec_push, &v);
	CHECK(6, v.n == 2, NULL);
	CHECK(7, !strcmp(v.v[0]->res->id, "pub2") && v.v[0]->res->has_spec, NULL);
	/* Sensitive: the event, without the spec. */
	CHECK(8, !strcmp(v.v[1]->res->id, "key2") && !v.v[1]->res->has_spec,
	      NULL);
	cosi_event_vec_clear(&v);
	cosi_close(c);
	return 0;
}

TEST_F(priv, net_admin_multicast_listener)
{
	struct lockstep ls;

	ASSERT_EQ(0, lockstep_start(&ls, mcast_child, NULL));
	ASSERT_EQ('1', lockstep_await(&ls)) {
		TH_LOG("child failed: %d", lockstep_end(&ls, false));
	}
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "pub2", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, SECRETS, "key2", NULL,
					      NULL));
	EXPECT_EQ(0, lockstep_end(&ls, true));
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
		ret = quiet_writes(c, EPERM, 50);
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
	struct cosi_resource *r = NULL;

	if (!userns_available())
		SKIP(return, "user namespaces unavailable");
	EXPECT_EQ(0, run_child(userns_child, NULL));
	/* Nothing changed, by plain or quiet writes. */
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "pub", &r));
	EXPECT_EQ(1, r->version);
	cosi_resource_free(r);
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_get(self->c, TEST_NS, WIDGET, "new", NULL));
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

/*
 * Write access: a type declared sys-admin is written only with
 * CAP_SYS_ADMIN in the initial user namespace, and each version records
 * what its spec's writer held (writer-caps).
 */

#define HOSTWIDE	"hostwide"
#define CAPS_ROOT	(COSI_WRITER_CAPS_NET_ADMIN | COSI_WRITER_CAPS_SYS_ADMIN)

/* A type with a required string "name" and the given write-access. */
static int access_define(struct cosi *c, const char *type, uint32_t access,
			 struct cosi_definition **out)
{
	struct cosi_definition *d = cosi_def_new(type);
	int err = 0;

	if (!d)
		return -ENOMEM;
	d->write_access = access;
	if (!err)
		err = cosi_def_add_field(d, "name", COSI_FIELD_TYPE_STRING, true);
	if (!err)
		err = cosi_definition_set(c, d, out);
	cosi_definition_free(d);
	return err;
}

FIXTURE(access) {
	struct cosi *c;
};

FIXTURE_SETUP(access)
{
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET,
					      COSI_SENSITIVITY_PUBLIC));
	ASSERT_COSI_OK(self->c, access_define(self->c, HOSTWIDE,
					      COSI_WRITE_ACCESS_SYS_ADMIN, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, HOSTWIDE, "h1", NULL,
					      NULL));
}

FIXTURE_TEARDOWN(access)
{
	cosi_close(self->c);
}

/* The last error is EPERM with a message naming the type (6.1: generic). */
static bool eperm_names(struct cosi *c, int ret, const char *type)
{
	const struct cosi_err *e = cosi_last_error(c);

	return ret == -EPERM && strstr(e->msg, "CAP_SYS_ADMIN") &&
	       (!kernel_fmt_extack() || strstr(e->msg, type));
}

/*
 * Every resource write on @type refused with EPERM naming it, also for an
 * id that does not exist (no existence leak).
 */
static int sys_admin_writes_refused(struct cosi *c, const char *type,
				    int step)
{
	struct cosi_strs fin = strs_make("f", NULL);
	COSI_OPTS(cosi_req, k,
		.ns = TEST_NS, .type = type, .id = "h1", .finalizers = &fin,
	);
	COSI_OPTS(cosi_req, lab, .ns = TEST_NS, .type = type, .id = "h1");
	struct cosi_kvs labels = kvs_make("a", "b", NULL);

	lab.labels = &labels;
	CHECK(step + 1, eperm_names(c, widget_create(c, type, "new", NULL, NULL),
				    type), c);
	CHECK(step + 2, eperm_names(c, widget_update(c, type, "h1", "x", NULL,
						     NULL), type), c);
	CHECK(step + 3, eperm_names(c, cosi_resource_update(c, &lab, NULL),
				    type), c);
	CHECK(step + 4, eperm_names(c, cosi_finalizer_add(c, &k, NULL), type), c);
	CHECK(step + 5, eperm_names(c, cosi_finalizer_remove(c, &k, NULL), type),
	      c);
	CHECK(step + 6, eperm_names(c, cosi_resource_teardown(c, &k, NULL, NULL),
				    type), c);
	CHECK(step + 7, eperm_names(c, widget_destroy(c, type, "h1", NULL), type),
	      c);
	CHECK(step + 8, eperm_names(c, widget_destroy(c, type, "nosuch", NULL),
				    type), c);
	cosi_strs_clear(&fin);
	cosi_kvs_clear(&labels);
	return 0;
}

static int access_net_admin_child(void *arg)
{
	struct cosi_resource *r = NULL;
	struct cosi *c;
	int ret;

	(void)arg;
	CHECK(1, !drop_to_nobody(true), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	ret = sys_admin_writes_refused(c, HOSTWIDE, 10);
	if (ret)
		return ret;
	/* Reading is not writing; net-admin types stay writable. */
	CHECK(20, !cosi_resource_get(c, TEST_NS, HOSTWIDE, "h1", &r), c);
	CHECK(21, r->writer_caps == CAPS_ROOT, NULL);
	cosi_resource_free(r);
	CHECK(22, !widget_create(c, WIDGET, "w", NULL, &r), c);
	CHECK(23, r->writer_caps == COSI_WRITER_CAPS_NET_ADMIN, NULL);
	cosi_resource_free(r);
	cosi_close(c);
	return 0;
}

TEST_F(access, sys_admin_type_refuses_net_admin_writer)
{
	struct cosi_resource *r = NULL;

	EXPECT_EQ(0, run_child(access_net_admin_child, NULL));
	/* Nothing changed. */
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, HOSTWIDE,
						  "h1", &r));
	EXPECT_EQ(1, r->version);
	EXPECT_EQ(COSI_PHASE_RUNNING, r->phase);
	EXPECT_EQ(0, r->labels.n);
	EXPECT_EQ(0, r->finalizers.n);
	cosi_resource_free(r);
	EXPECT_COSI_ERR(self->c, ENOENT, cosi_resource_get(self->c, TEST_NS,
							   HOSTWIDE, "new",
							   NULL));
}

TEST_F(access, sys_admin_type_accepts_root)
{
	struct cosi_strs fin = strs_make("f", NULL);
	COSI_OPTS(cosi_req, k,
		.ns = TEST_NS, .type = HOSTWIDE, .id = "h2", .finalizers = &fin,
	);
	struct cosi_resource *r = NULL;
	bool ready;

	ASSERT_COSI_OK(self->c, widget_create(self->c, HOSTWIDE, "h2", NULL,
					      &r));
	EXPECT_EQ(CAPS_ROOT, r->writer_caps);
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, widget_update(self->c, HOSTWIDE, "h2", "y",
					      NULL, NULL));
	ASSERT_COSI_OK(self->c, cosi_finalizer_add(self->c, &k, NULL));
	ASSERT_COSI_OK(self->c, cosi_finalizer_remove(self->c, &k, NULL));
	ASSERT_COSI_OK(self->c, cosi_resource_teardown(self->c, &k, &ready,
						       NULL));
	EXPECT_TRUE(ready);
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, HOSTWIDE, "h2", NULL));
	cosi_strs_clear(&fin);
}

static int access_definitions_child(void *arg)
{
	struct cosi_definition *d = NULL;
	struct cosi *c;

	(void)arg;
	CHECK(1, !drop_to_nobody(true), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	/* Lowering, deleting, raising, creating sys-admin: all EPERM. */
	CHECK(10, eperm_names(c, access_define(c, HOSTWIDE,
					       COSI_WRITE_ACCESS_NET_ADMIN, NULL),
			      HOSTWIDE), c);
	CHECK(11, eperm_names(c, cosi_definition_delete(c, HOSTWIDE, NULL),
			      HOSTWIDE), c);
	CHECK(12, eperm_names(c, access_define(c, WIDGET,
					       COSI_WRITE_ACCESS_SYS_ADMIN, NULL),
			      WIDGET), c);
	CHECK(13, eperm_names(c, access_define(c, "newtype",
					       COSI_WRITE_ACCESS_SYS_ADMIN, NULL),
			      "newtype"), c);
	CHECK(14, cosi_definition_get(c, "newtype", NULL) == -ENOENT, c);
	/* A net-admin type it may still define. */
	CHECK(15, !access_define(c, "mine", COSI_WRITE_ACCESS_NET_ADMIN, &d), c);
	CHECK(16, d->write_access == COSI_WRITE_ACCESS_NET_ADMIN, NULL);
	cosi_definition_free(d);
	cosi_close(c);
	return 0;
}

TEST_F(access, changing_write_access_needs_sys_admin)
{
	struct cosi_definition *d = NULL;
	struct cosi_definitions defs;
	size_t i, seen = 0;

	EXPECT_EQ(0, run_child(access_definitions_child, NULL));
	/* Definition replies and dumps report write-access. */
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, HOSTWIDE, &d));
	EXPECT_EQ(COSI_WRITE_ACCESS_SYS_ADMIN, d->write_access);
	cosi_definition_free(d);
	ASSERT_COSI_OK(self->c, cosi_definition_list(self->c, &defs));
	for (i = 0; i < defs.n; i++) {
		if (!strcmp(defs.v[i]->type, HOSTWIDE))
			seen += defs.v[i]->write_access ==
				COSI_WRITE_ACCESS_SYS_ADMIN;
		else
			seen += defs.v[i]->write_access ==
				COSI_WRITE_ACCESS_NET_ADMIN;
	}
	EXPECT_EQ(defs.n, seen);
	EXPECT_EQ(3, defs.n);
	cosi_definitions_clear(&defs);
	/* Root may lower it (and the reply says so)... */
	ASSERT_COSI_OK(self->c, access_define(self->c, HOSTWIDE,
					      COSI_WRITE_ACCESS_NET_ADMIN, &d));
	EXPECT_EQ(COSI_WRITE_ACCESS_NET_ADMIN, d->write_access);
	cosi_definition_free(d);
	/* ...but raising it would vouch for resources nobody checked. */
	EXPECT_COSI_ERR(self->c, EBUSY,
			access_define(self->c, HOSTWIDE,
				      COSI_WRITE_ACCESS_SYS_ADMIN, NULL));
	/* With no resource of the type, raising is fine. */
	ASSERT_COSI_OK(self->c, access_define(self->c, WIDGET,
					      COSI_WRITE_ACCESS_SYS_ADMIN, NULL));
	ASSERT_COSI_OK(self->c, cosi_definition_delete(self->c, WIDGET, NULL));
}

struct userns_arg {
	int ready;		/* write end: in the new namespaces */
	int go;			/* read end: the parent set them up */
};

static int access_userns_child(void *arg)
{
	struct userns_arg *u = arg;
	struct cosi_resource *r = NULL;
	struct cosi *c;
	char byte;
	int ret;

	/* Full capabilities in a user namespace owning a new netns. */
	CHECK(1, !unshare(CLONE_NEWUSER | CLONE_NEWNET), NULL);
	CHECK(2, write(u->ready, "1", 1) == 1, NULL);
	CHECK(3, read(u->go, &byte, 1) == 1, NULL);
	c = cosi_open();
	CHECK(4, c, NULL);
	ret = sys_admin_writes_refused(c, HOSTWIDE, 10);
	if (ret)
		return ret;
	CHECK(20, eperm_names(c, cosi_definition_delete(c, HOSTWIDE, NULL),
			      HOSTWIDE), c);
	CHECK(21, eperm_names(c, access_define(c, "ours",
					       COSI_WRITE_ACCESS_SYS_ADMIN, NULL),
			      "ours"), c);
	/* It administers the netns: net-admin types are its to write. */
	CHECK(22, !widget_create(c, WIDGET, "w", NULL, &r), c);
	CHECK(23, r->writer_caps == COSI_WRITER_CAPS_NET_ADMIN, NULL);
	cosi_resource_free(r);
	cosi_close(c);
	return 0;
}

TEST_F(access, user_namespace_writer)
{
	struct cosi_resource *r = NULL;
	int ready[2], go[2], status, fd;
	struct userns_arg u;
	char path[64], byte;
	struct cosi *c;
	pid_t pid;

	if (!userns_available())
		SKIP(return, "user namespaces unavailable");
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	u.ready = ready[1];
	u.go = go[0];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(access_userns_child(&u));
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &byte, 1)) {
		waitpid(pid, &status, 0);
		TH_LOG("child failed: %d", WEXITSTATUS(status));
	}
	/* Root, in the child's netns: define and write the types there. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setns(fd, CLONE_NEWNET));
	close(fd);
	COSI_OPEN(c);
	ASSERT_COSI_OK(c, widget_define(c, WIDGET, COSI_SENSITIVITY_PUBLIC));
	ASSERT_COSI_OK(c, access_define(c, HOSTWIDE,
					COSI_WRITE_ACCESS_SYS_ADMIN, NULL));
	ASSERT_COSI_OK(c, widget_create(c, HOSTWIDE, "h1", NULL, NULL));
	ASSERT_EQ(1, write(go[1], "1", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_COSI_OK(c, cosi_resource_get(c, TEST_NS, HOSTWIDE, "h1", &r));
	EXPECT_EQ(1, r->version);
	cosi_resource_free(r);
	cosi_close(c);
}

static int access_writer_caps_child(void *arg)
{
	struct cosi_strs fin = strs_make("f", NULL);
	struct cosi_kvs labels = kvs_make("k", "v", NULL);
	COSI_OPTS(cosi_req, k,
		.ns = TEST_NS, .type = WIDGET, .id = "w", .finalizers = &fin,
	);
	struct cosi_resource *r = NULL;
	struct cosi *c;

	(void)arg;
	CHECK(1, !drop_to_nobody(true), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	/*
	 * What a CAP_SYS_ADMIN writer set is changed only by such a writer:
	 * no label, finalizer, teardown or destroy of it (a controller would
	 * act on the change with that writer's rights, undoing included).
	 */
	k.labels = &labels;
	CHECK(3, cosi_resource_update(c, &k, NULL) == -EPERM &&
	      strstr(cosi_last_error(c)->msg, "CAP_SYS_ADMIN"), c);
	CHECK(4, cosi_finalizer_add(c, &k, NULL) == -EPERM, c);
	CHECK(5, cosi_finalizer_remove(c, &k, NULL) == -EPERM, c);
	CHECK(6, cosi_resource_teardown(c, &k, NULL, NULL) == -EPERM, c);
	CHECK(7, widget_destroy(c, WIDGET, "w", NULL) == -EPERM, c);
	CHECK(8, widget_update(c, WIDGET, "w", "mine", NULL, NULL) == -EPERM, c);
	/* Its own: a new spec is its writer's... */
	CHECK(9, !widget_create(c, WIDGET, "n", NULL, &r), c);
	CHECK(10, r->version == 1 &&
	      r->writer_caps == COSI_WRITER_CAPS_NET_ADMIN, NULL);
	cosi_resource_free(r);
	/* ...and labels, finalizers and teardown carry it over. */
	k.id = "n";
	CHECK(11, !cosi_resource_update(c, &k, &r), c);
	CHECK(12, r->version == 2 &&
	      r->writer_caps == COSI_WRITER_CAPS_NET_ADMIN, NULL);
	cosi_resource_free(r);
	CHECK(13, !cosi_finalizer_add(c, &k, &r), c);
	CHECK(14, r->version == 3 &&
	      r->writer_caps == COSI_WRITER_CAPS_NET_ADMIN, NULL);
	cosi_resource_free(r);
	CHECK(16, !cosi_resource_teardown(c, &k, NULL, &r), c);
	CHECK(17, r->version == 4 &&
	      r->writer_caps == COSI_WRITER_CAPS_NET_ADMIN, NULL);
	cosi_resource_free(r);
	cosi_strs_clear(&fin);
	cosi_kvs_clear(&labels);
	cosi_close(c);
	return 0;
}

/* Update the spec of a widget that is tearing down. */
static int update_tearing_down(struct cosi *c, const char *id,
			       const char *name, struct cosi_resource **out)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = id, .spec = &spec,
		.has_expected_phase = true,
		.expected_phase = COSI_PHASE_TEARING_DOWN,
	);
	int err = cosi_spec_add_string(&spec, "name", name);

	if (!err)
		err = cosi_resource_update(c, &r, out);
	cosi_spec_clear(&spec);
	return err;
}

TEST_F(access, writer_caps_recorded_and_carried_over)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *r = NULL;
	struct cosi_resources l;
	uint32_t wid;
	int i;

	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "w", NULL, &r));
	EXPECT_EQ(CAPS_ROOT, r->writer_caps);
	cosi_resource_free(r);
	/* Live events report it too. */
	ASSERT_COSI_OK(self->c, cosi_watch(self->c, &wr, cosi_event_vec_push,
					   &v, &wid, NULL));
	cosi_event_vec_clear(&v);

	EXPECT_EQ(0, run_child(access_writer_caps_child, NULL));

	for (i = 0; i < 50 && v.n < 4; i++)
		cosi_watch_recv(self->c, 100, cosi_event_vec_push, &v);
	ASSERT_EQ(4, v.n);
	for (i = 0; i < 4; i++) {
		EXPECT_STREQ("n", v.v[i]->res->id);
		EXPECT_EQ(COSI_WRITER_CAPS_NET_ADMIN, v.v[i]->res->writer_caps);
	}
	cosi_event_vec_clear(&v);

	/* Gets and dumps report it; root's is untouched. */
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET, "n",
						  &r));
	EXPECT_EQ(COSI_WRITER_CAPS_NET_ADMIN, r->writer_caps);
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	ASSERT_EQ(2, l.n);
	EXPECT_EQ(COSI_WRITER_CAPS_NET_ADMIN, l.v[0]->writer_caps);
	EXPECT_EQ(CAPS_ROOT, l.v[1]->writer_caps);
	EXPECT_EQ(1, l.v[1]->version);
	cosi_resources_clear(&l);

	/* The same spec from a better-entitled writer is a change... */
	ASSERT_COSI_OK(self->c, update_tearing_down(self->c, "n", "n", &r));
	EXPECT_EQ(5, r->version);
	EXPECT_EQ(CAPS_ROOT, r->writer_caps);
	cosi_resource_free(r);
	/* ... and then the same again is a no-op. */
	ASSERT_COSI_OK(self->c, update_tearing_down(self->c, "n", "n", &r));
	EXPECT_EQ(5, r->version);
	cosi_resource_free(r);
}

/*
 * Without capabilities, the events group shows nothing of sensitive
 * types: joining it is refused (GENL_MCAST_CAP_NET_ADMIN) or, on a kernel
 * without that flag, their events are not sent to it.
 */
static int events_child(struct lockstep *ls)
{
	struct cosi_event_vec v = { 0 };
	struct cosi *c;
	size_t j;
	int i, err;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	err = cosi_events_join(c);
	CHECK(3, !err || err == -EPERM, c);
	CHECK(4, lockstep_ready(ls, err ? 'p' : 'j'), NULL);
	CHECK(5, lockstep_wait(ls), NULL);
	if (err) {
		cosi_close(c);
		return 0;
	}
	for (i = 0; i < 20 && v.n < 2; i++)
		cosi_watch_recv(c, 100, cosi_event_vec_push, &v);
	for (j = 0; j < v.n; j++)
		CHECK(10, strcmp(v.v[j]->res->type, "secrets"), NULL);
	CHECK(11, v.n == 1 && !strcmp(v.v[0]->res->id, "pub2"), NULL);
	cosi_event_vec_clear(&v);
	cosi_close(c);
	return 0;
}

TEST_F(access, events_group_shows_no_sensitive_type_to_unprivileged)
{
	struct lockstep ls;
	char byte;

	ASSERT_COSI_OK(self->c, widget_define(self->c, "secrets",
					      COSI_SENSITIVITY_SENSITIVE));
	ASSERT_EQ(0, lockstep_start(&ls, events_child, NULL));
	byte = lockstep_await(&ls);
	ASSERT_NE(0, byte) {
		TH_LOG("child failed: %d", lockstep_end(&ls, false));
	}
	TH_LOG("unprivileged join of the events group: %s",
	       byte == 'p' ? "refused (EPERM)" : "allowed");
	ASSERT_COSI_OK(self->c, widget_create(self->c, "secrets", "key2", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "pub2", NULL,
					      NULL));
	EXPECT_EQ(0, lockstep_end(&ls, true));
}

/*
 * Watchers without CAP_NET_ADMIN over the netns share max_unpriv_watchers
 * of its max_watchers, so that the rest stays for its administrators
 * (cosid).  What they started while a type was public ends when the type
 * becomes sensitive: a live watch with ENOBUFS on its socket, a dump in
 * progress (watch or list) with EPERM.
 */

#define GADGETS		"gadgets"
#define NWIDGETS	300	/* more than one dump skb holds */

FIXTURE(unpriv) {
	struct cosi *c;
	long params[COSI_NPARAMS];
};

FIXTURE_SETUP(unpriv)
{
	params_save(self->params);
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET,
					      COSI_SENSITIVITY_PUBLIC));
	ASSERT_COSI_OK(self->c, widget_define(self->c, GADGETS,
					      COSI_SENSITIVITY_PUBLIC));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "pub", NULL,
					      NULL));
}

FIXTURE_TEARDOWN(unpriv)
{
	cosi_close(self->c);
	params_restore(self->params);
}

static int hog_child(struct lockstep *ls)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi *c, *c2;
	int i;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	c2 = cosi_open();
	CHECK(2, c && c2, NULL);
	for (i = 0; i < 3; i++)
		CHECK(3, !cosi_watch(c, &wr, NULL, NULL, NULL, NULL), c);
	CHECK(4, cosi_watch(c, &wr, NULL, NULL, NULL, NULL) == -ENOSPC, c);
	/* 6.1 reports no extack for a dump's start. */
	CHECK(5, extack_says(c, "without CAP_NET_ADMIN"), c);
	/* The pool is the netns's, not the socket's. */
	CHECK(6, cosi_watch(c2, &wr, NULL, NULL, NULL, NULL) == -ENOSPC, c2);
	CHECK(7, lockstep_ready(ls, '1'), NULL);
	CHECK(8, lockstep_wait(ls), NULL);
	cosi_close(c2);
	cosi_close(c);
	return 0;
}

static int one_watch_child(void *arg)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi *c;

	(void)arg;
	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	CHECK(3, !cosi_watch(c, &wr, NULL, NULL, NULL, NULL), c);
	cosi_close(c);
	return 0;
}

TEST_F(unpriv, watchers_leave_room_for_administrators)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };
	struct lockstep ls;
	struct cosi *admin;
	int i;

	PARAM_SET("max_unpriv_watchers", 3);
	PARAM_SET("max_watchers", 5);
	ASSERT_EQ(0, lockstep_start(&ls, hog_child, NULL));
	ASSERT_EQ('1', lockstep_await(&ls)) {
		TH_LOG("child failed: %d", lockstep_end(&ls, false));
	}
	/* The two left of max_watchers are an administrator's. */
	COSI_OPEN(admin);
	ASSERT_COSI_OK(admin, cosi_watch(admin, &wr, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(admin, cosi_watch(admin, &wr, NULL, NULL, NULL, NULL));
	EXPECT_COSI_ERR(admin, ENOSPC,
			cosi_watch(admin, &wr, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "new", NULL,
					      NULL));
	for (i = 0; i < 50 && v.n < 2; i++)
		cosi_watch_recv(admin, 100, cosi_event_vec_push, &v);
	ASSERT_EQ(2, v.n);
	EXPECT_STREQ("new", v.v[0]->res->id);
	cosi_event_vec_clear(&v);
	EXPECT_EQ(0, lockstep_end(&ls, true));
	/* The hog's watches went with its sockets. */
	EXPECT_EQ(0, run_child(one_watch_child, NULL));
	cosi_close(admin);
}

/* Watches ls->arg's type and GADGETS; the type becomes sensitive. */
static int revoked_child(struct lockstep *ls)
{
	COSI_OPTS(cosi_watch_req, ww,
		.ns = TEST_NS, .type = ls->arg, .bootstrap = true,
	);
	COSI_OPTS(cosi_watch_req, wg, .ns = TEST_NS, .type = GADGETS);
	struct cosi_event_vec v = { 0 };
	struct cosi *c;
	int ret;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	CHECK(3, !cosi_watch(c, &ww, cosi_event_vec_push, &v, NULL, NULL), c);
	CHECK(4, !cosi_watch(c, &wg, NULL, NULL, NULL, NULL), c);
	cosi_event_vec_clear(&v);
	CHECK(5, lockstep_ready(ls, '1'), NULL);
	CHECK(6, lockstep_wait(ls), NULL);
	/* Told, not silence; and nothing written after the change. */
	do {
		ret = cosi_watch_recv(c, 2000, cosi_event_vec_push, &v);
	} while (ret > 0);
	CHECK(7, ret == -ENOBUFS, c);
	CHECK(8, v.n == 0, NULL);
	/*
	 * Every watch of the socket stopped, and gave its slot back (two
	 * unprivileged slots); the type's is refused now.
	 */
	CHECK(9, cosi_watch(c, &ww, NULL, NULL, NULL, NULL) == -EPERM, c);
	CHECK(10, !cosi_watch(c, &wg, NULL, NULL, NULL, NULL), c);
	CHECK(11, !cosi_watch(c, &wg, NULL, NULL, NULL, NULL), c);
	cosi_close(c);
	return 0;
}

TEST_F(unpriv, type_made_sensitive_stops_live_watches)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };
	struct lockstep ls;
	struct cosi *admin;
	int i;

	PARAM_SET("max_unpriv_watchers", 2);
	COSI_OPEN(admin);
	ASSERT_COSI_OK(admin, cosi_watch(admin, &wr, NULL, NULL, NULL, NULL));
	ASSERT_EQ(0, lockstep_start(&ls, revoked_child, WIDGET));
	ASSERT_EQ('1', lockstep_await(&ls)) {
		TH_LOG("child failed: %d", lockstep_end(&ls, false));
	}
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET,
					      COSI_SENSITIVITY_SENSITIVE));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "after", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, GADGETS, "g", NULL,
					      NULL));
	EXPECT_EQ(0, lockstep_end(&ls, true));
	/* An administrator's watch goes on. */
	for (i = 0; i < 50 && !v.n; i++)
		cosi_watch_recv(admin, 100, cosi_event_vec_push, &v);
	ASSERT_EQ(1, v.n);
	EXPECT_STREQ("after", v.v[0]->res->id);
	cosi_event_vec_clear(&v);
	cosi_close(admin);
}

/* A type deleted and defined again as sensitive is a type made sensitive. */
TEST_F(unpriv, type_redefined_sensitive_stops_live_watches)
{
	struct lockstep ls;

	ASSERT_COSI_OK(self->c, widget_define(self->c, "temps",
					      COSI_SENSITIVITY_PUBLIC));
	ASSERT_EQ(0, lockstep_start(&ls, revoked_child, "temps"));
	ASSERT_EQ('1', lockstep_await(&ls)) {
		TH_LOG("child failed: %d", lockstep_end(&ls, false));
	}
	ASSERT_COSI_OK(self->c, cosi_definition_delete(self->c, "temps", NULL));
	ASSERT_COSI_OK(self->c, widget_define(self->c, "temps",
					      COSI_SENSITIVITY_SENSITIVE));
	ASSERT_COSI_OK(self->c, widget_create(self->c, "temps", "after", NULL,
					      NULL));
	EXPECT_EQ(0, lockstep_end(&ls, true));
}

/*
 * The history may hold events from when a type was sensitive: a watcher
 * without CAP_NET_ADMIN cannot resume from before the type became public
 * (ENODATA: it bootstraps instead, and sees only what exists).
 */
static int resume_child(void *arg)
{
	const uint64_t *since = arg;
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = "temps", .has_since = true,
		.since_revision = since[0],
	);
	struct cosi_event_vec v = { 0 };
	struct cosi *c;
	size_t i;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	CHECK(3, cosi_watch(c, &wr, NULL, NULL, NULL, NULL) == -ENODATA, c);
	CHECK(4, extack_says(c, "public"), c);
	wr.since_revision = since[1];
	CHECK(5, !cosi_watch(c, &wr, cosi_event_vec_push, &v, NULL, NULL), c);
	for (i = 0; i < v.n; i++)
		CHECK(6, strcmp(v.v[i]->res->id, "secret"), NULL);
	cosi_event_vec_clear(&v);
	wr.has_since = false;
	wr.bootstrap = true;
	CHECK(7, !cosi_watch(c, &wr, cosi_event_vec_push, &v, NULL, NULL), c);
	CHECK(8, v.n == 2 && !strcmp(v.v[0]->res->id, "open"), NULL);
	cosi_event_vec_clear(&v);
	cosi_close(c);
	return 0;
}

TEST_F(unpriv, no_resume_from_before_the_type_was_public)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = "temps", .has_since = true,
	);
	struct cosi_definition *d = NULL;
	uint64_t since[2];

	ASSERT_COSI_OK(self->c, widget_define(self->c, "temps",
					      COSI_SENSITIVITY_SENSITIVE));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, "temps", &d));
	since[0] = d->revision;
	cosi_definition_free(d);
	ASSERT_COSI_OK(self->c, widget_create(self->c, "temps", "secret",
					      NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_destroy(self->c, "temps", "secret",
					       NULL));
	ASSERT_COSI_OK(self->c, widget_define(self->c, "temps",
					      COSI_SENSITIVITY_PUBLIC));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, "temps", &d));
	since[1] = d->revision;
	cosi_definition_free(d);
	ASSERT_COSI_OK(self->c, widget_create(self->c, "temps", "open", NULL,
					      NULL));
	EXPECT_EQ(0, run_child(resume_child, since));
	/* An administrator resumes from anywhere in the history. */
	wr.since_revision = since[0];
	EXPECT_COSI_OK(self->c, cosi_watch(self->c, &wr, NULL, NULL, NULL,
					   NULL));
}

/* Read a dump to its end: the messages before it, and how it ended. */
static int dump_finish(int fd, int *err)
{
	static char buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh;
	int n = 0;
	ssize_t len;

	*err = -ETIMEDOUT;
	while (poll(&pfd, 1, 10000) > 0) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0) {
			*err = -errno;
			return n;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR) {
				*err = *(int *)NLMSG_DATA(nlh);
				return n;
			}
			n++;
		}
	}
	return n;
}

static int dumps_child(struct lockstep *ls)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	int fl, fw, n, err;
	struct nl_msg *m;
	struct cosi *c;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	fl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	fw = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	CHECK(3, fl >= 0 && fw >= 0, NULL);
	m = cosi_msg_new(c, COSI_CMD_RESOURCE_GET, 0);
	CHECK(4, m && !cosi_put_list_req(m, &lr), NULL);
	CHECK(5, !raw_send(fl, m, 1, NLM_F_DUMP), NULL);
	m = cosi_msg_new(c, COSI_CMD_WATCH, 0);
	CHECK(6, m && !cosi_put_watch_req(m, &wr), NULL);
	CHECK(7, !raw_send(fw, m, 1, NLM_F_DUMP), NULL);
	CHECK(8, lockstep_ready(ls, '1'), NULL);
	CHECK(9, lockstep_wait(ls), NULL);
	/* Each dump's first skb was filled at the request; the next is refused. */
	n = dump_finish(fl, &err);
	fprintf(stderr, "# list: %d messages, then %d\n", n, err);
	CHECK(10, n > 0 && n < NWIDGETS && err == -EPERM, NULL);
	n = dump_finish(fw, &err);
	fprintf(stderr, "# watch: %d messages, then %d\n", n, err);
	CHECK(11, n > 0 && n < NWIDGETS && err == -EPERM, NULL);
	close(fl);
	close(fw);
	cosi_close(c);
	return 0;
}

/*
 * Fill WIDGET with more than a dump skb holds, start @child (which drops
 * to nobody and starts its dumps), and make WIDGET sensitive meanwhile.
 */
static void sensitive_during(struct __test_metadata *_metadata,
			     struct cosi *c, int (*child)(struct lockstep *))
{
	struct lockstep ls;
	char id[16];
	int i;

	for (i = 0; i < NWIDGETS; i++) {
		snprintf(id, sizeof(id), "w%03d", i);
		ASSERT_COSI_OK(c, widget_create(c, WIDGET, id, NULL, NULL));
	}
	ASSERT_EQ(0, lockstep_start(&ls, child, NULL));
	ASSERT_EQ('1', lockstep_await(&ls)) {
		TH_LOG("child failed: %d", lockstep_end(&ls, false));
	}
	ASSERT_COSI_OK(c, widget_define(c, WIDGET, COSI_SENSITIVITY_SENSITIVE));
	EXPECT_EQ(0, lockstep_end(&ls, true));
}

TEST_F_TIMEOUT(unpriv, type_made_sensitive_ends_dumps, 300)
{
	sensitive_during(_metadata, self->c, dumps_child);
}

/*
 * One socket, two watches of a type that becomes sensitive: a live one
 * (the socket gets ENOBUFS, every watch of it stops) and one still in its
 * dump.  The dump ends with EPERM, not with the socket's ENOBUFS: a
 * client that restarts on ENOBUFS would be refused, so it hears why.
 */
static int access_socket_child(struct lockstep *ls)
{
	COSI_OPTS(cosi_watch_req, live, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_watch_req, boot,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	int fd, n, err, enobufs = 0;
	struct nl_msg *m;
	struct cosi *c;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	CHECK(3, fd >= 0, NULL);
	m = cosi_msg_new(c, COSI_CMD_WATCH, 0);
	CHECK(4, m && !cosi_put_watch_req(m, &live), NULL);
	CHECK(5, !raw_send(fd, m, 1, NLM_F_DUMP), NULL);
	dump_finish(fd, &err);
	CHECK(6, err == 0, NULL);
	m = cosi_msg_new(c, COSI_CMD_WATCH, 0);
	CHECK(7, m && !cosi_put_watch_req(m, &boot), NULL);
	CHECK(8, !raw_send(fd, m, 2, NLM_F_DUMP), NULL);
	CHECK(9, lockstep_ready(ls, '1'), NULL);
	CHECK(10, lockstep_wait(ls), NULL);
	do {
		n = dump_finish(fd, &err);
		enobufs += err == -ENOBUFS;
	} while (err == -ENOBUFS && enobufs < 3);
	fprintf(stderr, "# dump: %d messages, then %d; ENOBUFS %d times\n",
		n, err, enobufs);
	CHECK(11, enobufs == 1, NULL);
	CHECK(12, err == -EPERM, NULL);
	close(fd);
	cosi_close(c);
	return 0;
}

TEST_F_TIMEOUT(unpriv, access_stop_outranks_socket_stop, 300)
{
	sensitive_during(_metadata, self->c, access_socket_child);
}

/*
 * Defining a public type again (here: unchanged, which is still a new
 * definition revision) keeps the revision it became public at: an
 * unprivileged watcher resumes from before the redefinition.
 */
static int resume_across_child(void *arg)
{
	const uint64_t *since = arg;
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = "temps", .has_since = true,
		.since_revision = *since,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi *c;
	size_t i;
	bool seen = false;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	CHECK(3, !cosi_watch(c, &wr, cosi_event_vec_push, &v, NULL, NULL), c);
	for (i = 0; i < v.n; i++)
		seen |= !strcmp(v.v[i]->res->id, "before");
	CHECK(4, seen, NULL);
	cosi_event_vec_clear(&v);
	cosi_close(c);
	return 0;
}

TEST_F(unpriv, public_type_redefined_keeps_its_public_since)
{
	struct cosi_definition *d = NULL;
	uint64_t since, again;

	ASSERT_COSI_OK(self->c, widget_define(self->c, "temps",
					      COSI_SENSITIVITY_PUBLIC));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, "temps", &d));
	since = d->revision;
	cosi_definition_free(d);
	ASSERT_COSI_OK(self->c, widget_create(self->c, "temps", "before",
					      NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_define(self->c, "temps",
					      COSI_SENSITIVITY_PUBLIC));
	ASSERT_COSI_OK(self->c, cosi_definition_get(self->c, "temps", &d));
	again = d->revision;
	cosi_definition_free(d);
	ASSERT_GT(again, since);	/* the premise: a new definition */
	EXPECT_EQ(0, run_child(resume_across_child, &since));
}

TEST_HARNESS_MAIN
