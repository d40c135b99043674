// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespaces: each has its own store (definitions, resources,
 * revisions, watches, owner claims), and a namespace that goes away with
 * resources, watchers and an unfinished dump in it is cleaned up.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cosi_test.h"

FIXTURE(netns) {
	struct cosi *a;		/* in netns A */
	struct cosi *b;		/* in netns B */
	long params[COSI_NPARAMS];
};

FIXTURE_SETUP(netns)
{
	params_save(self->params);
	NEW_NETNS();
	COSI_OPEN(self->a);
	/* A socket stays in the netns it was created in. */
	NEW_NETNS();
	COSI_OPEN(self->b);
}

FIXTURE_TEARDOWN(netns)
{
	cosi_close(self->a);
	cosi_close(self->b);
	params_restore(self->params);
}

TEST_F(netns, stores_are_separate)
{
	struct cosi_definition *d = NULL;
	struct cosi_definition *got = NULL;
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_resources l;
	struct cosi_resource *r = NULL;
	uint64_t rev_b = 0;
	int i;

	ASSERT_COSI_OK(self->a, widget_define(self->a, WIDGET, 0));
	for (i = 0; i < 5; i++) {
		char id[8];

		snprintf(id, sizeof(id), "a%d", i);
		ASSERT_COSI_OK(self->a, widget_create(self->a, WIDGET, id, NULL,
						      NULL));
	}
	EXPECT_COSI_ERR(self->b, ENOENT,
			cosi_definition_get(self->b, WIDGET, NULL));
	EXPECT_COSI_ERR(self->b, ENOENT,
			widget_create(self->b, WIDGET, "b0", NULL, NULL));

	/* The same type name with another schema, and its own revisions. */
	ASSERT_NE(NULL, d = cosi_def_new(WIDGET));
	ASSERT_EQ(0, cosi_def_add_field(d, "name", COSI_FIELD_TYPE_U64, true));
	ASSERT_COSI_OK(self->b, cosi_definition_set(self->b, d, &got));
	EXPECT_EQ(1, got->revision);
	rev_b = got->revision;
	cosi_definition_free(got);
	cosi_definition_free(d);
	EXPECT_COSI_ERR(self->b, EINVAL,
			widget_create(self->b, WIDGET, "b0", NULL, NULL));
	ASSERT_COSI_OK(self->a, cosi_definition_get(self->a, WIDGET, &got));
	EXPECT_EQ(COSI_FIELD_TYPE_STRING, got->fields[0].type);
	EXPECT_EQ(5, got->resources);
	cosi_definition_free(got);

	EXPECT_COSI_ERR(self->b, ENOENT,
			cosi_resource_get(self->b, TEST_NS, WIDGET, "a0", NULL));
	ASSERT_COSI_OK(self->b, cosi_resource_list(self->b, &lr, &l));
	EXPECT_EQ(0, l.n);
	cosi_resources_clear(&l);
	ASSERT_COSI_OK(self->a, cosi_resource_list(self->a, &lr, &l));
	EXPECT_EQ(5, l.n);
	cosi_resources_clear(&l);

	/* Revisions count per netns. */
	ASSERT_COSI_OK(self->a, widget_update(self->a, WIDGET, "a0", "x", NULL,
					      &r));
	EXPECT_EQ(7, r->revision);
	cosi_resource_free(r);
	ASSERT_COSI_OK(self->b, cosi_definition_delete(self->b, WIDGET,
						       &rev_b));
	EXPECT_EQ(2, rev_b);
}

TEST_F(netns, events_and_claims_are_separate)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };
	struct cosi *a2;

	ASSERT_COSI_OK(self->a, widget_define(self->a, WIDGET, 0));
	ASSERT_COSI_OK(self->b, widget_define(self->b, WIDGET, 0));
	ASSERT_COSI_OK(self->b, cosi_watch(self->b, &wr, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(self->b, cosi_events_join(self->b));

	/* a2 lives in netns B too: it is opened after the second unshare. */
	COSI_OPEN(a2);
	ASSERT_COSI_OK(self->a, widget_create(self->a, WIDGET, "x", NULL, NULL));
	EXPECT_EQ(0, cosi_watch_recv(self->b, 300, cosi_event_vec_push, &v));
	ASSERT_COSI_OK(a2, widget_create(a2, WIDGET, "y", NULL, NULL));
	/* The watch and the group see B's change. */
	EXPECT_LT(0, cosi_watch_recv(self->b, 5000, cosi_event_vec_push, &v));
	while (cosi_watch_recv(self->b, 300, cosi_event_vec_push, &v) > 0)
		;
	ASSERT_EQ(2, v.n);
	EXPECT_STREQ("y", v.v[0]->res->id);
	EXPECT_STREQ("y", v.v[1]->res->id);
	cosi_event_vec_clear(&v);

	/* Owner names are claimed per netns. */
	EXPECT_COSI_OK(self->a, cosi_owner_claim(self->a, "ctrl"));
	EXPECT_COSI_OK(self->b, cosi_owner_claim(self->b, "ctrl"));
	EXPECT_COSI_ERR(a2, EBUSY, cosi_owner_claim(a2, "ctrl"));
	cosi_close(a2);
}

TEST_F(netns, limits_count_per_netns)
{
	PARAM_SET("max_resources", 2);
	ASSERT_COSI_OK(self->a, widget_define(self->a, WIDGET, 0));
	ASSERT_COSI_OK(self->b, widget_define(self->b, WIDGET, 0));
	ASSERT_COSI_OK(self->a, widget_create(self->a, WIDGET, "1", NULL, NULL));
	ASSERT_COSI_OK(self->a, widget_create(self->a, WIDGET, "2", NULL, NULL));
	EXPECT_COSI_ERR(self->a, ENOSPC,
			widget_create(self->a, WIDGET, "3", NULL, NULL));
	EXPECT_COSI_OK(self->b, widget_create(self->b, WIDGET, "1", NULL, NULL));
	EXPECT_COSI_OK(self->b, widget_create(self->b, WIDGET, "2", NULL, NULL));
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/cosi/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Kernel log records after the position of @fd that look like trouble. */
static bool kmsg_trouble(int fd, char *out, size_t len)
{
	char rec[1024];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			return false;
		rec[n] = '\0';
		if (strstr(rec, "WARNING:") || strstr(rec, "BUG:") ||
		    (strstr(rec, "cosi") &&
		     (strstr(rec, "leak") || strstr(rec, "WARN")))) {
			snprintf(out, len, "%s", rec);
			return true;
		}
	}
}

#define NR_RES	200

/*
 * Child: in a new netns, make resources (with finalizers), an owner
 * claim, live watches, a multicast member and two dumps left unread,
 * then tell the parent and wait to be killed.
 */
static void populate_and_wait(int ready_fd)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	struct cosi *c, *w, *d1, *d2;
	struct cosi_strs fin = strs_make("hold", NULL);
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .spec = &spec,
	);
	struct nl_msg *m;
	char id[16], blob[1024] = { 0 };
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNET))
		_exit(1);
	c = cosi_open();
	w = cosi_open();
	d1 = cosi_open();
	d2 = cosi_open();
	if (!c || !w || !d1 || !d2 || widget_define(c, WIDGET, 0) ||
	    cosi_owner_claim(c, "ctrl"))
		_exit(2);
	cosi_spec_add_string(&spec, "name", "n");
	cosi_spec_add_bytes(&spec, "blob", blob, sizeof(blob));
	for (i = 0; i < NR_RES; i++) {
		snprintf(id, sizeof(id), "r%03d", i);
		r.id = id;
		r.finalizers = &fin;
		if (cosi_resource_create(c, &r, NULL) ||
		    cosi_finalizer_add(c, &r, NULL))
			_exit(3);
	}
	if (cosi_watch(w, &wr, NULL, NULL, NULL, NULL) ||
	    cosi_watch(c, &wr, NULL, NULL, NULL, NULL) ||
	    cosi_events_join(w))
		_exit(4);
	/* Dumps far larger than one skb, never read. */
	m = cosi_msg_new(d1, COSI_CMD_WATCH, NLM_F_DUMP);
	if (!m || cosi_put_watch_req(m, &wr) || cosi_send_raw(d1, m))
		_exit(5);
	m = cosi_msg_new(d2, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);
	if (!m || cosi_put_list_req(m, &lr) || cosi_send_raw(d2, m))
		_exit(6);
	/* A last change, queued to the watchers. */
	if (widget_update(c, WIDGET, "r000", "last", NULL, NULL))
		_exit(7);
	if (write(ready_fd, "1", 1) != 1)
		_exit(8);
	pause();
	_exit(0);
}

/* In the child's netns after its sockets are gone: the store is intact. */
static int inspect(int nsfd)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = WIDGET, .bootstrap = true,
	);
	struct cosi_event_vec v = { 0 };
	struct cosi_resources l;
	struct cosi *c;

	if (setns(nsfd, CLONE_NEWNET))
		return 10;
	c = cosi_open();
	if (!c)
		return 11;
	if (cosi_resource_list(c, &lr, &l) || l.n != NR_RES)
		return 12;
	if (l.v[0]->finalizers.n != 1 || strcmp(l.v[0]->owner, "ctrl"))
		return 13;
	cosi_resources_clear(&l);
	/* The claim went with its socket. */
	if (cosi_owner_claim(c, "ctrl"))
		return 14;
	if (cosi_watch(c, &wr, cosi_event_vec_push, &v, NULL, NULL) ||
	    v.n != NR_RES + 1)
		return 15;
	cosi_event_vec_clear(&v);
	cosi_close(c);
	return 0;
}

TEST_F_TIMEOUT(netns, teardown_with_state, 300)
{
	char trouble[1024] = "";
	long base = module_refcnt();
	int kmsg, round, pipefd[2], nsfd, status;
	char path[64], byte;
	pid_t pid, chk;
	uint64_t end;

	ASSERT_LE(0, base) TH_LOG("no /sys/module/cosi/refcnt");
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);

	for (round = 0; round < 5; round++) {
		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			populate_and_wait(pipefd[1]);
		close(pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &byte, 1))
			TH_LOG("round %d: child failed", round);
		close(pipefd[0]);
		/* Keep the netns alive past its processes. */
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		nsfd = open(path, O_RDONLY);
		ASSERT_LE(0, nsfd);
		/* Unread dumps hold the module. */
		EXPECT_LT(base, module_refcnt());
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, NULL, 0));

		chk = fork();
		ASSERT_LE(0, chk);
		if (!chk)
			_exit(inspect(nsfd));
		ASSERT_EQ(chk, waitpid(chk, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("round %d", round);
		/* Now the netns goes, with everything in it. */
		close(nsfd);
	}

	/* The unread dumps were released with their sockets. */
	end = now_ns() + 10ull * 1000000000ull;
	while (module_refcnt() != base && now_ns() < end)
		usleep(10000);
	EXPECT_EQ(base, module_refcnt());
	usleep(500000);
	if (kmsg >= 0) {
		EXPECT_FALSE(kmsg_trouble(kmsg, trouble, sizeof(trouble)))
			TH_LOG("kernel: %s", trouble);
		close(kmsg);
	}

	/* The module still serves new namespaces. */
	NEW_NETNS();
	{
		struct cosi *c;

		COSI_OPEN(c);
		EXPECT_COSI_OK(c, widget_define(c, WIDGET, 0));
		cosi_close(c);
	}
}

TEST_HARNESS_MAIN
