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

	/* The group needs CAP_NET_ADMIN (see access.events_group_...). */
	CHECK(1, !drop_to_nobody(true), NULL);
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

TEST_F(priv, net_admin_multicast_listener)
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
	struct cosi_definition d;
	int err;

	err = cosi_def_init(&d, type);
	d.write_access = access;
	if (!err)
		err = cosi_def_add_field(&d, "name", COSI_FIELD_TYPE_STRING, true);
	if (!err)
		err = cosi_definition_set(c, &d, out);
	cosi_definition_clear(&d);
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
	struct cosi_req k = {
		.ns = TEST_NS, .type = type, .id = "h1", .finalizers = &fin,
	};
	struct cosi_req lab = { .ns = TEST_NS, .type = type, .id = "h1" };
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
	struct cosi_req k = {
		.ns = TEST_NS, .type = HOSTWIDE, .id = "h2", .finalizers = &fin,
	};
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
	struct cosi_req k = {
		.ns = TEST_NS, .type = WIDGET, .id = "w", .finalizers = &fin,
	};
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
	struct cosi_req r = {
		.ns = TEST_NS, .type = WIDGET, .id = id, .spec = &spec,
		.has_expected_phase = true,
		.expected_phase = COSI_PHASE_TEARING_DOWN,
	};
	int err = cosi_spec_add_string(&spec, "name", name);

	if (!err)
		err = cosi_resource_update(c, &r, out);
	cosi_spec_clear(&spec);
	return err;
}

TEST_F(access, writer_caps_recorded_and_carried_over)
{
	struct cosi_list_req lr = { .ns = TEST_NS, .type = WIDGET };
	struct cosi_watch_req wr = {
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	};
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
		EXPECT_STREQ("n", v.v[i]->res.id);
		EXPECT_EQ(COSI_WRITER_CAPS_NET_ADMIN, v.v[i]->res.writer_caps);
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

struct events_arg {
	int ready;
	int go;
};

/*
 * Without capabilities, the events group shows nothing of sensitive
 * types: joining it is refused (GENL_MCAST_CAP_NET_ADMIN) or, on a kernel
 * without that flag, their events are not sent to it.
 */
static int events_child(void *arg)
{
	struct events_arg *m = arg;
	struct cosi_event_vec v = { 0 };
	struct cosi *c;
	size_t j;
	char byte;
	int i, err;

	CHECK(1, !drop_to_nobody(false), NULL);
	c = cosi_open();
	CHECK(2, c, NULL);
	err = cosi_events_join(c);
	CHECK(3, !err || err == -EPERM, c);
	CHECK(4, write(m->ready, err ? "p" : "j", 1) == 1, NULL);
	CHECK(5, read(m->go, &byte, 1) == 1, NULL);
	if (err) {
		cosi_close(c);
		return 0;
	}
	for (i = 0; i < 20 && v.n < 2; i++)
		cosi_watch_recv(c, 100, cosi_event_vec_push, &v);
	for (j = 0; j < v.n; j++)
		CHECK(10, strcmp(v.v[j]->res.type, "secrets"), NULL);
	CHECK(11, v.n == 1 && !strcmp(v.v[0]->res.id, "pub2"), NULL);
	cosi_event_vec_clear(&v);
	cosi_close(c);
	return 0;
}

TEST_F(access, events_group_shows_no_sensitive_type_to_unprivileged)
{
	int ready[2], go[2], status;
	struct events_arg m;
	char byte;
	pid_t pid;

	ASSERT_COSI_OK(self->c, widget_define(self->c, "secrets",
					      COSI_SENSITIVITY_SENSITIVE));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	m.ready = ready[1];
	m.go = go[0];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(events_child(&m));
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &byte, 1)) {
		waitpid(pid, &status, 0);
		TH_LOG("child failed: %d", WEXITSTATUS(status));
	}
	TH_LOG("unprivileged join of the events group: %s",
	       byte == 'p' ? "refused (EPERM)" : "allowed");
	ASSERT_COSI_OK(self->c, widget_create(self->c, "secrets", "key2", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "pub2", NULL,
					      NULL));
	ASSERT_EQ(1, write(go[1], "1", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
