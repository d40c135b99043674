// SPDX-License-Identifier: GPL-2.0
/*
 * Per-socket state and how watches end.
 *
 * A socket's owner claim and watches belong to that socket, not to its
 * portid: a new socket that binds the portid of one being closed, before
 * the kernel's NETLINK_URELEASE notifier has run for it, inherits neither.
 * And a watch never ends silently: when the kernel stops live watches the
 * client did not stop (receive buffer overflow, also with
 * NETLINK_NO_ENOBUFS; no memory for an event), recv() on the socket fails
 * with ENOBUFS; a watch-stop while the watch's dump still runs ends that
 * dump with ECANCELED.  And a libcosi request is answered by one message,
 * which is all it reads: no ACK follows a reply.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/netlink.h>

#include "cosi_test.h"

#define GADGET		"gadgets"
#define NWRITERS	2

FIXTURE(sock) {
	struct cosi *c;
	long params[COSI_NPARAMS];
	pid_t writer[NWRITERS];
	bool failslab;		/* armed: disarm in teardown */
};

static void failslab_disarm(void);

FIXTURE_SETUP(sock)
{
	memset(self->writer, 0, sizeof(self->writer));
	params_save(self->params);
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET, 0));
	ASSERT_COSI_OK(self->c, widget_define(self->c, GADGET, 0));
}

FIXTURE_TEARDOWN(sock)
{
	int i;

	for (i = 0; i < NWRITERS; i++) {
		if (self->writer[i] > 0) {
			kill(self->writer[i], SIGKILL);
			waitpid(self->writer[i], NULL, 0);
		}
	}
	cosi_close(self->c);
	params_restore(self->params);
	/* Also when the test failed with failslab armed. */
	if (self->failslab)
		failslab_disarm();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Raw generic netlink sockets, for control over binding and reading. */

static int raw_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

static int raw_bind(int fd, uint32_t portid)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = portid };

	return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
}

static uint32_t raw_portid(int fd)
{
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len))
		return 0;
	return sa.nl_pid;
}

struct raw_rx {
	int family;
	uint32_t seq;		/* the answer waited for */
	bool answered;
	struct cosi_err err;	/* its errno and extack */
	uint32_t seq2;		/* another answer to note, or 0 */
	bool answered2;
	int err2;		/* its errno (positive) */
	int events;		/* live resource events seen */
	int dumped;		/* watch dump messages seen */
	uint32_t watch_id;	/* of the first watch dump message */
};

static void raw_parse(struct raw_rx *rx, char *buf, ssize_t len)
{
	struct nlmsghdr *nlh;

	for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
	     nlh = NLMSG_NEXT(nlh, len)) {
		if (nlh->nlmsg_type == NLMSG_ERROR ||
		    nlh->nlmsg_type == NLMSG_DONE) {
			if (nlh->nlmsg_seq == rx->seq) {
				rx->answered = true;
				cosi_nlerr_parse(nlh, &rx->err);
			} else if (rx->seq2 && nlh->nlmsg_seq == rx->seq2) {
				struct cosi_err e;

				rx->answered2 = true;
				cosi_nlerr_parse(nlh, &e);
				rx->err2 = e.err;
			}
			continue;
		}
		if (nlh->nlmsg_type == rx->family) {
			struct genlmsghdr *g = nlmsg_data(nlh);
			struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];

			if (g->cmd == COSI_CMD_RESOURCE_EVENT) {
				rx->events++;
				continue;
			}
			if (g->cmd != COSI_CMD_WATCH)
				continue;
			if (!rx->dumped++ &&
			    !genlmsg_parse(nlh, 0, tb, COSI_A_RESOURCE_MAX,
					   NULL) &&
			    tb[COSI_A_RESOURCE_WATCH_ID])
				rx->watch_id =
					nla_get_u32(tb[COSI_A_RESOURCE_WATCH_ID]);
		}
	}
}

/*
 * Read for up to @ms, until @rx->seq is answered (when @rx->seq is set).
 * Return: 0, -ETIMEDOUT, or recv()'s error (e.g. -ENOBUFS).
 */
static int raw_read(int fd, struct raw_rx *rx, int ms)
{
	static char buf[65536];
	uint64_t end = now_ms() + ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (!(rx->seq && rx->answered)) {
		int left = end - now_ms();

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return rx->seq ? -ETIMEDOUT : 0;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		raw_parse(rx, buf, n);
	}
	return 0;
}

/* One recv() within @ms: 0 (also when nothing came) or recv()'s error. */
static int raw_read_once(int fd, struct raw_rx *rx, int ms)
{
	static char buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	raw_parse(rx, buf, n);
	return 0;
}

/* A request on a raw socket, answered: its errno (negative) or 0. */
static int raw_request(int fd, struct cosi *c, struct nl_msg *m, int flags,
		       uint32_t seq, struct raw_rx *rx)
{
	int err;

	memset(rx, 0, sizeof(*rx));
	rx->family = cosi_family(c);
	rx->seq = seq;
	err = raw_send(fd, m, seq,
		       flags | (flags & NLM_F_DUMP ? 0 : NLM_F_ACK));
	if (!err)
		err = raw_read(fd, rx, 10000);
	return err ?: -rx->err.err;
}

static struct nl_msg *claim_msg(struct cosi *c, const char *owner)
{
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_OWNER_CLAIM, 0);

	if (m && nla_put_string(m, COSI_A_RESOURCE_OWNER, owner)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

static struct nl_msg *widget_msg(struct cosi *c, uint8_t cmd, const char *id,
				 const char *name)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = WIDGET, .id = id, .spec = &spec,
	);
	struct nl_msg *m = NULL;

	if (!cosi_spec_add_string(&spec, "name", name))
		m = cosi_req_msg(c, cmd, &r);
	cosi_spec_clear(&spec);
	return m;
}

static struct nl_msg *watch_msg(struct cosi *c, const char *type,
				bool bootstrap)
{
	COSI_OPTS(cosi_watch_req, wr,
		.ns = TEST_NS, .type = type, .bootstrap = bootstrap,
	);
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_WATCH, NLM_F_DUMP);

	if (m && cosi_put_watch_req(m, &wr)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

/* A process that updates widget @id as fast as it can, until killed. */
static pid_t writer_start(const char *id)
{
	pid_t pid = fork();
	struct cosi *c;
	char name[32];
	unsigned long i;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	c = cosi_open();
	if (!c || widget_create(c, WIDGET, id, NULL, NULL))
		_exit(1);
	for (i = 0;; i++) {
		snprintf(name, sizeof(name), "n%lu", i);
		widget_update(c, WIDGET, id, name, NULL, NULL);
	}
}

struct closer {
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go;
};

static void *closer_run(void *arg)
{
	struct closer *cl = arg;

	pthread_mutex_lock(&cl->lock);
	while (!cl->go)
		pthread_cond_wait(&cl->cond, &cl->lock);
	pthread_mutex_unlock(&cl->lock);
	close(cl->fd);
	return NULL;
}

#define REUSE_ROUNDS	150

/*
 * The window: netlink_release() unhashes the socket (its portid is free
 * to bind) and only then runs NETLINK_URELEASE, whose cosi handler waits
 * for cosi_net::lock.  Writers keep that lock busy (and send the old
 * watch's events by portid meanwhile), so a socket that binds the portid
 * as soon as it is free gets requests and events in before the old
 * socket's state is released.  close() returns only after the notifier,
 * so the close runs in another thread while this one spins on bind().
 *
 * Each round, the new socket must not hold the old claim (an update of
 * the old socket's resource is refused, a create makes an unowned
 * resource, a third socket can claim the owner) nor get any event of
 * the old watch.
 */
TEST_F_TIMEOUT(sock, portid_reuse_inherits_nothing, 600)
{
	int i, err, fd, nfd, third, ev, inherited = 0, leaked = 0, bound = 0;
	char id[32], owner[32];
	struct cosi_resource *r;
	struct raw_rx rx;
	uint32_t portid;
	uint64_t end;
	pthread_t th;

	for (i = 0; i < NWRITERS; i++) {
		snprintf(id, sizeof(id), "hot%d", i);
		self->writer[i] = writer_start(id);
		ASSERT_LT(0, self->writer[i]);
	}

	for (i = 0; i < REUSE_ROUNDS; i++) {
		struct closer cl = {
			.lock = PTHREAD_MUTEX_INITIALIZER,
			.cond = PTHREAD_COND_INITIALIZER,
		};

		snprintf(owner, sizeof(owner), "ctl-%d", i);
		fd = raw_socket();
		ASSERT_LE(0, fd);
		/*
		 * The watch hears the hot writers from its start: room for
		 * the events that come while this thread waits for its
		 * replies on a loaded host (the default overflowed once:
		 * ENOBUFS, which cosi_watch tests on purpose elsewhere).
		 */
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE,
					&(int){ 8 << 20 }, sizeof(int)));
		ASSERT_EQ(0, raw_bind(fd, 0));
		portid = raw_portid(fd);
		ASSERT_NE(0, portid);
		ASSERT_EQ(0, raw_request(fd, self->c, claim_msg(self->c, owner),
					 0, 1, &rx)) TH_LOG("claim: %s", rx.err.msg);
		snprintf(id, sizeof(id), "o%d", i);
		ASSERT_EQ(0, raw_request(fd, self->c,
					 widget_msg(self->c,
						    COSI_CMD_RESOURCE_CREATE,
						    id, "old"),
					 0, 2, &rx)) TH_LOG("create: %s",
							    rx.err.msg);
		ASSERT_EQ(0, raw_request(fd, self->c,
					 watch_msg(self->c, WIDGET, false),
					 NLM_F_DUMP, 3, &rx))
			TH_LOG("watch: %s", rx.err.msg);

		nfd = raw_socket();
		ASSERT_LE(0, nfd);
		cl.fd = fd;
		ASSERT_EQ(0, pthread_create(&th, NULL, closer_run, &cl));
		pthread_mutex_lock(&cl.lock);
		cl.go = true;
		pthread_cond_signal(&cl.cond);
		pthread_mutex_unlock(&cl.lock);

		/* Bind the old portid the moment it is free. */
		end = now_ms() + 10000;
		while ((err = raw_bind(nfd, portid)) == -EADDRINUSE &&
		       now_ms() < end)
			;
		ASSERT_EQ(0, err) TH_LOG("bind to %u: %s", portid,
					 strerror(-err));

		/* Owner semantics without a claim: EACCES. */
		err = raw_request(nfd, self->c,
				  widget_msg(self->c, COSI_CMD_RESOURCE_UPDATE,
					     id, "new"), 0, 4, &rx);
		if (err != -EACCES) {
			inherited++;
			TH_LOG("round %d: update of %s's resource: %s", i,
			       owner, strerror(-err));
		}
		ev = rx.events;
		snprintf(id, sizeof(id), "n%d", i);
		EXPECT_EQ(0, raw_request(nfd, self->c,
					 widget_msg(self->c,
						    COSI_CMD_RESOURCE_CREATE,
						    id, "new"),
					 0, 5, &rx));
		ev += rx.events;
		pthread_join(th, NULL);
		bound++;

		memset(&rx, 0, sizeof(rx));
		rx.family = cosi_family(self->c);
		EXPECT_EQ(0, raw_read(nfd, &rx, 20));
		ev += rx.events;
		if (ev)
			TH_LOG("round %d: the new socket got %d events of the old watch",
			       i, ev);
		leaked += ev;

		r = NULL;
		ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS,
							  WIDGET, id, &r));
		if (r->owner && r->owner[0]) {
			inherited++;
			TH_LOG("round %d: created with owner %s", i, r->owner);
		}
		cosi_resource_free(r);

		/* The old claim went with the old socket. */
		third = raw_socket();
		ASSERT_LE(0, third);
		EXPECT_EQ(0, raw_request(third, self->c,
					 claim_msg(self->c, owner), 0, 6, &rx))
			TH_LOG("round %d: claim of %s: %s", i, owner,
			       rx.err.msg);
		close(third);
		close(nfd);
		if (inherited || leaked)
			break;
	}
	EXPECT_EQ(REUSE_ROUNDS, bound);
	EXPECT_EQ(0, inherited);
	EXPECT_EQ(0, leaked);
}

/*
 * NETLINK_NO_ENOBUFS: netlink drops what does not fit without a word.
 * The kernel still stops every watch of the socket (a gap may not go
 * unnoticed), and says so: recv() fails with ENOBUFS.  Both watches of the
 * socket stop, the one on another collection too.
 */
TEST_F_TIMEOUT(sock, no_enobufs_overflow_is_reported, 120)
{
	COSI_OPTS(cosi_watch_req, ww, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_watch_req, wg, .ns = TEST_NS, .type = GADGET);
	struct cosi_event_vec v = { 0 };
	int one = 1, i, ret, n = 0;
	struct cosi *w;
	char name[16];

	COSI_OPEN(w);
	ASSERT_EQ(0, setsockopt(cosi_fd(w), SOL_NETLINK, NETLINK_NO_ENOBUFS,
				&one, sizeof(one)));
	ASSERT_COSI_OK(w, cosi_watch(w, &ww, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(w, cosi_watch(w, &wg, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL,
					      NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, GADGET, "g", NULL,
					      NULL));
	ASSERT_EQ(0, cosi_set_rcvbuf(w, 4096));
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a",
						      name, NULL, NULL));
	}

	/* The events that fit, then ENOBUFS: not silence. */
	do {
		ret = cosi_watch_recv(w, 2000, cosi_event_vec_push, &v);
		if (ret > 0)
			n += ret;
	} while (ret > 0);
	EXPECT_EQ(-ENOBUFS, ret) TH_LOG("after %d events", n);
	EXPECT_GT(300, n);
	while ((ret = cosi_watch_recv(w, 0, cosi_event_vec_push, &v)) > 0)
		;
	/* Reported once. */
	EXPECT_EQ(0, ret);
	cosi_event_vec_clear(&v);

	/* Both watches are gone. */
	ASSERT_EQ(0, cosi_set_rcvbuf(w, 1 << 20));
	ASSERT_COSI_OK(self->c, widget_update(self->c, GADGET, "g", "late",
					      NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "late",
					      NULL, NULL));
	EXPECT_EQ(0, cosi_watch_recv(w, 300, cosi_event_vec_push, &v));
	EXPECT_EQ(0, v.n);
	cosi_event_vec_clear(&v);
	cosi_close(w);
}

/*
 * Without NETLINK_NO_ENOBUFS, an overflow is reported once (netlink does
 * not report it as well), and the watch can be resumed.
 */
TEST_F_TIMEOUT(sock, overflow_reported_once, 120)
{
	COSI_OPTS(cosi_watch_req, ww, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };
	struct cosi *w;
	char name[16];
	int i, ret;

	COSI_OPEN(w);
	ASSERT_COSI_OK(w, cosi_watch(w, &ww, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL,
					      NULL));
	ASSERT_EQ(0, cosi_set_rcvbuf(w, 4096));
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a",
						      name, NULL, NULL));
	}
	do {
		ret = cosi_watch_recv(w, 2000, cosi_event_vec_push, &v);
	} while (ret > 0);
	EXPECT_EQ(-ENOBUFS, ret);
	while ((ret = cosi_watch_recv(w, 0, cosi_event_vec_push, &v)) > 0)
		;
	EXPECT_EQ(0, ret);
	cosi_event_vec_clear(&v);

	/* A new watch works, and no stale ENOBUFS hits it. */
	ASSERT_EQ(0, cosi_set_rcvbuf(w, 1 << 20));
	ASSERT_COSI_OK(w, cosi_watch(w, &ww, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "again",
					      NULL, NULL));
	EXPECT_EQ(1, cosi_watch_recv(w, 2000, cosi_event_vec_push, &v));
	EXPECT_EQ(0, cosi_watch_recv(w, 200, cosi_event_vec_push, &v));
	cosi_event_vec_clear(&v);
	cosi_close(w);
}

#define BIG_IDS		200

/*
 * watch-stop while the watch's bootstrap dump still runs: the dump ends
 * with ECANCELED and says why, not with the overflow's ENOBUFS.
 */
TEST_F_TIMEOUT(sock, stop_during_bootstrap, 300)
{
	static char blob[2048];
	struct raw_rx rx;
	struct nl_msg *m;
	char id[16];
	int i, fd;

	memset(blob, 'b', sizeof(blob));
	for (i = 0; i < BIG_IDS; i++) {
		struct cosi_spec spec = { 0 };
		COSI_OPTS(cosi_req, r,
			.ns = TEST_NS, .type = WIDGET, .id = id, .spec = &spec,
		);

		snprintf(id, sizeof(id), "w%03d", i);
		ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", id));
		ASSERT_EQ(0, cosi_spec_add_bytes(&spec, "blob", blob,
						 sizeof(blob)));
		ASSERT_COSI_OK(self->c, cosi_resource_create(self->c, &r,
							     NULL));
		cosi_spec_clear(&spec);
	}

	fd = raw_socket();
	ASSERT_LE(0, fd);
	memset(&rx, 0, sizeof(rx));
	rx.family = cosi_family(self->c);
	rx.seq = 1;
	ASSERT_EQ(0, raw_send(fd, watch_msg(self->c, WIDGET, true), 1,
			      NLM_F_DUMP));
	/* The first skb of the dump names the watch. */
	for (i = 0; i < 50 && !rx.dumped && !rx.answered; i++)
		ASSERT_EQ(0, raw_read_once(fd, &rx, 200));
	ASSERT_FALSE(rx.answered) TH_LOG("the dump ended in one skb");
	ASSERT_NE(0, rx.watch_id);

	m = cosi_msg_new(self->c, COSI_CMD_WATCH_STOP, 0);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nla_put_u32(m, COSI_A_RESOURCE_WATCH_ID, rx.watch_id));
	rx.seq2 = 2;
	ASSERT_EQ(0, raw_send(fd, m, 2, NLM_F_ACK));

	/* Read both answers: the stop's ack and the dump's end. */
	ASSERT_EQ(0, raw_read(fd, &rx, 10000));
	for (i = 0; i < 50 && !rx.answered2; i++)
		ASSERT_EQ(0, raw_read_once(fd, &rx, 200));
	ASSERT_TRUE(rx.answered2) TH_LOG("no ack of watch-stop");
	EXPECT_EQ(0, rx.err2);
	EXPECT_EQ(ECANCELED, rx.err.err) TH_LOG("dump ended with %s (%s)",
						strerror(rx.err.err),
						rx.err.msg);
	if (kernel_fmt_extack() || rx.err.msg[0])
		EXPECT_NE(NULL, strstr(rx.err.msg, "watch-stop"))
			TH_LOG("extack: %s", rx.err.msg);
	EXPECT_GT(BIG_IDS, rx.dumped);
	close(fd);
}

/* failslab, from debugfs; false when the kernel has none. */
static bool failslab_path(char *path, size_t size, const char *file)
{
	if (access("/sys/kernel/debug/failslab", F_OK))
		system("mount -t debugfs none /sys/kernel/debug 2>/dev/null");
	snprintf(path, size, "/sys/kernel/debug/failslab/%s", file);
	return !access("/sys/kernel/debug/failslab", F_OK);
}

static int write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

static void failslab_set(const char *file, const char *val)
{
	char path[128];

	if (failslab_path(path, sizeof(path), file))
		write_file(path, val);
}

static void failslab_disarm(void)
{
	failslab_set("probability", "0");
	failslab_set("times", "0");
	write_file("/sys/kernel/slab/skbuff_head_cache/failslab", "0");
}

/*
 * No memory for a live event: the watch stops and the client is told
 * (ENOBUFS on its socket).  Needs failslab (CONFIG_FAILSLAB, the debug
 * kernel); allocations of skbuff_head_cache in one update's task fail,
 * the k-th one for k = 1, 2, ... until the event's is hit.
 */
TEST_F_TIMEOUT(sock, enomem_event_is_reported, 300)
{
	COSI_OPTS(cosi_watch_req, ww, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };
	char path[128], val[16];
	bool cache_filter;
	int k, ret = 0;
	struct cosi *w;

	if (!failslab_path(path, sizeof(path), "probability"))
		SKIP(return, "no failslab (CONFIG_FAILSLAB): the debug kernel covers this");
	self->failslab = true;
	cache_filter = !write_file("/sys/kernel/slab/skbuff_head_cache/failslab",
				   "1");
	failslab_set("cache-filter", cache_filter ? "Y" : "N");
	failslab_set("task-filter", "Y");
	failslab_set("ignore-gfp-wait", "N");
	failslab_set("verbose", "0");
	failslab_set("probability", "100");

	COSI_OPEN(w);
	ASSERT_COSI_OK(w, cosi_watch(w, &ww, NULL, NULL, NULL, NULL));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "a", NULL,
					      NULL));
	ASSERT_EQ(1, cosi_watch_recv(w, 2000, cosi_event_vec_push, &v));
	cosi_event_vec_clear(&v);

	for (k = 1; k <= 16; k++) {
		pid_t pid;

		snprintf(val, sizeof(val), "%d", k);
		failslab_set("interval", val);
		failslab_set("times", "1");
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct cosi *c = cosi_open();

			if (!c)
				_exit(1);
			write_file("/proc/self/make-it-fail", "1");
			widget_update(c, WIDGET, "a", val, NULL, NULL);
			write_file("/proc/self/make-it-fail", "0");
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		ret = cosi_watch_recv(w, 500, cosi_event_vec_push, &v);
		cosi_event_vec_clear(&v);
		if (ret == -ENOBUFS)
			break;
	}
	failslab_disarm();
	self->failslab = false;
	EXPECT_EQ(-ENOBUFS, ret) TH_LOG("no ENOBUFS for k = 1..16");

	/* The watch is stopped. */
	ASSERT_COSI_OK(self->c, widget_update(self->c, WIDGET, "a", "late",
					      NULL, NULL));
	EXPECT_EQ(0, cosi_watch_recv(w, 300, cosi_event_vec_push, &v));
	cosi_event_vec_clear(&v);
	cosi_close(w);
}

/* One message per request. */

static unsigned int nr_recvmsg;

/*
 * libnl reads with recvmsg(): this one, the program's own, counts the
 * reads of the calls under test (recv() below does not count).
 */
ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	nr_recvmsg++;
	return syscall(SYS_recvmsg, fd, msg, flags);
}

/*
 * libcosi reads with recvmmsg() (several datagrams per call since 1.1.0):
 * each datagram it returns counts as one read, as a recvmsg() did.
 */
int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
	     struct timespec *timeout)
{
	int ret = syscall(SYS_recvmmsg, fd, v, n, flags, timeout);

	if (ret > 0)
		nr_recvmsg += ret;
	return ret;
}

static unsigned int nr_sendto;

/* libnl sends a batch with sendto() (nl_sendto()): counted the same way. */
ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *to, socklen_t tolen)
{
	nr_sendto++;
	return syscall(SYS_sendto, fd, buf, len, flags, to, tolen);
}

/* Nothing queued on the socket: no stray ACK after an answer. */
static bool sock_drained(struct cosi *c)
{
	char b;

	return recv(cosi_fd(c), &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       errno == EAGAIN;
}

/* @call succeeds (or fails with @err) after @reads reads, leaving none. */
#define EXPECT_READS(c, reads, err, call) do {				\
	unsigned int n0_ = nr_recvmsg;					\
									\
	EXPECT_COSI_ERR(c, err, call);					\
	EXPECT_EQ(reads, nr_recvmsg - n0_) TH_LOG("%s", #call);	\
	EXPECT_TRUE(sock_drained(c)) TH_LOG("%s left a message", #call); \
} while (0)

/*
 * The do of every op that replies is answered by its reply alone
 * (libcosi asks it no ACK), an op that does not reply by its ACK, a
 * failure by its error with the errno and extack as ever.
 */
TEST_F(sock, one_message_per_request)
{
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET, .id = "w");
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = GADGET);
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_strs fin = strs_make("f", NULL);
	struct cosi_definition *d = NULL;
	struct cosi_resources l = { 0 };
	struct cosi_resource *res = NULL;
	uint32_t id;
	bool ready;

	EXPECT_READS(self->c, 1, 0, widget_define(self->c, "gizmos", 0));
	EXPECT_READS(self->c, 1, 0, cosi_definition_get(self->c, "gizmos", &d));
	ASSERT_NE(NULL, d);
	EXPECT_STREQ("gizmos", d->type);
	cosi_definition_free(d);
	EXPECT_READS(self->c, 1, 0,
		     widget_create(self->c, WIDGET, "w", NULL, &res));
	ASSERT_NE(NULL, res);
	EXPECT_EQ(1, res->version);
	cosi_resource_free(res);
	res = NULL;
	EXPECT_READS(self->c, 1, 0,
		     cosi_resource_get(self->c, TEST_NS, WIDGET, "w", &res));
	ASSERT_NE(NULL, res);
	EXPECT_STREQ("w", res->id);
	cosi_resource_free(res);
	EXPECT_READS(self->c, 1, 0,
		     widget_update(self->c, WIDGET, "w", "w2", NULL, NULL));
	r.finalizers = &fin;
	EXPECT_READS(self->c, 1, 0, cosi_finalizer_add(self->c, &r, NULL));
	EXPECT_READS(self->c, 1, 0, cosi_finalizer_remove(self->c, &r, NULL));
	r.finalizers = NULL;
	EXPECT_READS(self->c, 1, 0,
		     cosi_resource_teardown(self->c, &r, &ready, NULL));
	EXPECT_TRUE(ready);
	EXPECT_READS(self->c, 1, 0, cosi_resource_destroy(self->c, &r, NULL));
	EXPECT_READS(self->c, 1, 0,
		     cosi_definition_delete(self->c, "gizmos", NULL));

	/* Ops without a reply: their ACK. */
	EXPECT_READS(self->c, 1, 0, cosi_owner_claim(self->c, "ctl"));
	/* Dumps, however many reads: NLMSG_DONE ends them. */
	EXPECT_COSI_OK(self->c, cosi_watch(self->c, &wr, NULL, NULL, &id,
					   NULL));
	EXPECT_TRUE(sock_drained(self->c));
	EXPECT_READS(self->c, 1, 0, cosi_watch_stop(self->c, id));
	EXPECT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	EXPECT_TRUE(sock_drained(self->c));
	cosi_resources_clear(&l);

	/* Failures: the error, its errno and extack. */
	EXPECT_READS(self->c, 1, ENOENT,
		     cosi_resource_get(self->c, TEST_NS, WIDGET, "w", NULL));
	EXPECT_STREQ("resource not found", cosi_last_error(self->c)->msg);
	EXPECT_READS(self->c, 1, ENOENT,
		     widget_create(self->c, "gizmos", "w", NULL, NULL));
	EXPECT_STREQ("type is not defined", cosi_last_error(self->c)->msg);
	EXPECT_TRUE(cosi_last_error(self->c)->has_offset);
	EXPECT_READS(self->c, 1, ENOENT, cosi_watch_stop(self->c, id));
	EXPECT_STREQ("no such watch on this socket",
		     cosi_last_error(self->c)->msg);
	EXPECT_READS(self->c, 1, ENOENT,
		     cosi_definition_get(self->c, "gizmos", NULL));
	cosi_strs_clear(&fin);
}

/*
 * A batch reads one message per request: each create's reply (with its
 * resource), each failure's error, the ACK of an op that does not reply.
 */
TEST_F(sock, batch_one_message_per_request)
{
	struct cosi_batch_op ops[40];
	char ids[40][8];
	unsigned int n0;
	size_t i;

	/* Op 9's type is not defined. */
	ASSERT_EQ(0, widget_batch(self->c, ops, ids, 40, 9, "gizmos", NULL));
	/* One op without a reply among them: its ACK answers it. */
	nlmsg_free(ops[20].msg);
	ops[20].msg = cosi_msg_new(self->c, COSI_CMD_OWNER_CLAIM, 0);
	ASSERT_NE(NULL, ops[20].msg);
	ASSERT_EQ(0, nla_put_string(ops[20].msg, COSI_A_RESOURCE_OWNER,
				    "ctl"));
	n0 = nr_recvmsg;
	ASSERT_EQ(0, cosi_batch(self->c, ops, 40));
	EXPECT_EQ(40, nr_recvmsg - n0);
	EXPECT_TRUE(sock_drained(self->c));
	for (i = 0; i < 40; i++) {
		EXPECT_TRUE(ops[i].done) TH_LOG("op %zu", i);
		if (i == 9) {
			EXPECT_EQ(ENOENT, ops[i].err.err);
			EXPECT_STREQ("type is not defined", ops[i].err.msg);
			EXPECT_EQ(NULL, ops[i].res);
		} else if (i == 20) {
			EXPECT_EQ(0, ops[i].err.err);
			EXPECT_EQ(NULL, ops[i].res);
		} else {
			EXPECT_EQ(0, ops[i].err.err) TH_LOG("op %zu: %s", i,
							    ops[i].err.msg);
			ASSERT_NE(NULL, ops[i].res) TH_LOG("op %zu", i);
			EXPECT_STREQ(ids[i], ops[i].res->id);
			EXPECT_EQ(1, ops[i].res->version);
		}
		cosi_resource_free(ops[i].res);
	}
}

/*
 * A live event that comes while a request waits for its reply is queued
 * as before, and handed out by cosi_watch_recv().
 */
TEST_F(sock, event_during_request_is_queued)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_event_vec v = { 0 };

	ASSERT_COSI_OK(self->c, cosi_watch(self->c, &wr, NULL, NULL, NULL,
					   NULL));
	/* The event is sent before the reply: two reads. */
	EXPECT_READS(self->c, 2, 0,
		     widget_create(self->c, WIDGET, "w", NULL, NULL));
	ASSERT_EQ(1, cosi_watch_recv(self->c, 0, cosi_event_vec_push, &v));
	ASSERT_EQ(1, v.n);
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, v.v[0]->kind);
	EXPECT_STREQ("w", v.v[0]->res->id);
	EXPECT_EQ(0, cosi_watch_recv(self->c, 0, cosi_event_vec_push, &v));
	cosi_event_vec_clear(&v);
}

/*
 * (review) The do paths the audit counts as replies but the test above
 * does not take: writes that change nothing (update to the same spec, a
 * finalizer already there or absent, a second teardown), a definition
 * set again, failures after the lookup; and a reply to a request nobody
 * waited for (cosi_send_raw()) is skipped by the next request's seq.
 */
TEST_F(sock, review_noop_paths_one_message)
{
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET, .id = "n");
	struct cosi_strs fin = strs_make("f", NULL);
	struct cosi_strs other = strs_make("g", NULL);
	struct cosi_resource *res = NULL;
	struct cosi_spec spec = { 0 };
	struct nl_msg *m;
	bool ready;

	EXPECT_READS(self->c, 1, 0, widget_create(self->c, WIDGET, "n", NULL,
						  NULL));
	EXPECT_READS(self->c, 1, 0,
		     widget_update(self->c, WIDGET, "n", "n", NULL, &res));
	ASSERT_NE(NULL, res);
	EXPECT_EQ(1, res->version);	/* nothing changed: no new version */
	cosi_resource_free(res);
	res = NULL;
	r.finalizers = &fin;
	EXPECT_READS(self->c, 1, 0, cosi_finalizer_add(self->c, &r, NULL));
	EXPECT_READS(self->c, 1, 0, cosi_finalizer_add(self->c, &r, NULL));
	r.finalizers = &other;
	EXPECT_READS(self->c, 1, 0, cosi_finalizer_remove(self->c, &r, NULL));
	r.finalizers = NULL;
	EXPECT_READS(self->c, 1, 0,
		     cosi_resource_teardown(self->c, &r, &ready, NULL));
	EXPECT_FALSE(ready);
	EXPECT_READS(self->c, 1, 0,
		     cosi_resource_teardown(self->c, &r, &ready, NULL));
	EXPECT_FALSE(ready);
	EXPECT_READS(self->c, 1, EBUSY, cosi_resource_destroy(self->c, &r,
							     NULL));
	r.finalizers = &fin;
	EXPECT_READS(self->c, 1, 0, cosi_finalizer_remove(self->c, &r, NULL));
	r.finalizers = NULL;
	EXPECT_READS(self->c, 1, 0, cosi_resource_destroy(self->c, &r, NULL));
	EXPECT_READS(self->c, 1, 0, widget_define(self->c, WIDGET, 0));
	EXPECT_READS(self->c, 1, 0,
		     widget_create(self->c, GADGET, "x", NULL, NULL));
	EXPECT_READS(self->c, 1, EEXIST,
		     widget_create(self->c, GADGET, "x", NULL, NULL));

	/* A create sent raw: its reply is left for the next request. */
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "raw"));
	r.id = "raw";
	r.spec = &spec;
	m = cosi_req_msg(self->c, COSI_CMD_RESOURCE_CREATE, &r);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, cosi_send_raw(self->c, m));
	EXPECT_READS(self->c, 2, 0,
		     cosi_resource_get(self->c, TEST_NS, WIDGET, "raw", &res));
	ASSERT_NE(NULL, res);
	EXPECT_STREQ("raw", res->id);
	cosi_resource_free(res);
	cosi_spec_clear(&spec);
	cosi_strs_clear(&fin);
	cosi_strs_clear(&other);
}

/* A request @cmd of widget @id with the flag attributes @flag (and @flag2). */
static struct nl_msg *flagged_msg(struct cosi *c, uint8_t cmd, const char *id,
				  int flag, int flag2)
{
	struct nl_msg *m = cosi_msg_new(c, cmd, 0);

	if (m && (nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, TEST_NS) ||
		  nla_put_string(m, COSI_A_RESOURCE_TYPE, WIDGET) ||
		  nla_put_string(m, COSI_A_RESOURCE_ID, id) ||
		  nla_put_flag(m, flag) ||
		  (flag2 && nla_put_flag(m, flag2)))) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

/*
 * ack-only: each write op answers with the version and revision written
 * (and destroy-ready for a teardown), nothing of the resource; the store
 * keeps all of it.  A request of an op that has no ack-only is refused.
 */
TEST_F(sock, ack_only_replies)
{
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET, .id = "a",
		  .ack_only = true);
	struct cosi_strs fin = strs_make("f", NULL);
	struct cosi_resource *res = NULL, *got = NULL;
	struct cosi_spec spec = { 0 };
	struct cosi_kvs labels = { 0 };
	struct nl_msg *m;
	uint64_t rev;
	bool ready;

	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "first"));
	ASSERT_EQ(0, cosi_kvs_add(&labels, "k", "v"));
	r.spec = &spec;
	r.labels = &labels;
	EXPECT_READS(self->c, 1, 0, cosi_resource_create(self->c, &r, &res));
	ASSERT_NE(NULL, res);
	EXPECT_EQ(1, res->version);
	EXPECT_LT(0, res->revision);
	EXPECT_STREQ("", res->id);
	EXPECT_STREQ("", res->owner);
	EXPECT_EQ(0, res->spec.n);
	EXPECT_EQ(0, res->labels.n);
	rev = res->revision;
	cosi_resource_free(res);
	res = NULL;
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "a", &got));
	EXPECT_EQ(rev, got->revision);
	ASSERT_NE(NULL, cosi_spec_get(&got->spec, "name"));
	EXPECT_STREQ("first", cosi_spec_get(&got->spec, "name")->str);
	EXPECT_STREQ("v", cosi_kvs_get(&got->labels, "k"));
	cosi_resource_free(got);

	cosi_spec_clear(&spec);
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "second"));
	EXPECT_READS(self->c, 1, 0, cosi_resource_update(self->c, &r, &res));
	ASSERT_NE(NULL, res);
	EXPECT_EQ(2, res->version);
	EXPECT_LT(rev, res->revision);
	EXPECT_EQ(0, res->spec.n);
	cosi_resource_free(res);
	res = NULL;
	/* The same again changes nothing: version 2 is the answer still. */
	EXPECT_READS(self->c, 1, 0, cosi_resource_update(self->c, &r, &res));
	ASSERT_NE(NULL, res);
	EXPECT_EQ(2, res->version);
	cosi_resource_free(res);
	res = NULL;
	r.spec = NULL;
	r.labels = NULL;
	r.finalizers = &fin;
	EXPECT_READS(self->c, 1, 0, cosi_finalizer_add(self->c, &r, &res));
	ASSERT_NE(NULL, res);
	EXPECT_EQ(3, res->version);
	EXPECT_EQ(0, res->finalizers.n);
	cosi_resource_free(res);
	res = NULL;
	r.finalizers = NULL;
	EXPECT_READS(self->c, 1, 0,
		     cosi_resource_teardown(self->c, &r, &ready, &res));
	EXPECT_FALSE(ready);
	ASSERT_NE(NULL, res);
	EXPECT_EQ(4, res->version);
	cosi_resource_free(res);
	res = NULL;
	r.finalizers = &fin;
	EXPECT_READS(self->c, 1, 0, cosi_finalizer_remove(self->c, &r, NULL));
	r.finalizers = NULL;
	EXPECT_READS(self->c, 1, 0,
		     cosi_resource_teardown(self->c, &r, &ready, NULL));
	EXPECT_TRUE(ready);
	/* Failures are as ever. */
	r.id = "missing";
	EXPECT_READS(self->c, 1, ENOENT,
		     cosi_resource_update(self->c, &r, NULL));
	EXPECT_STREQ("resource not found", cosi_last_error(self->c)->msg);

	/* resource-get has no ack-only: its policy refuses the attribute. */
	m = flagged_msg(self->c, COSI_CMD_RESOURCE_GET, "a",
			COSI_A_RESOURCE_ACK_ONLY, 0);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EINVAL, cosi_request(self->c, m, NULL, NULL));
	EXPECT_TRUE(cosi_last_error(self->c)->has_offset);
	cosi_spec_clear(&spec);
	cosi_kvs_clear(&labels);
	cosi_strs_clear(&fin);
}

/*
 * quiet: a write with the quiet flag sends nothing when it succeeds.
 * Requests are answered in order, so once the ack of a request sent after
 * it is read, nothing for it can follow.
 */

/* Send @m (consumed), and a NOOP asking for an ack, seqs @seq, @seq + 1. */
static int send_fenced(int fd, struct nl_msg *m, uint32_t seq, int flags)
{
	struct nlmsghdr fence = {
		.nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = seq + 1,
	};
	int err = raw_send(fd, m, seq, flags);

	if (!err && send(fd, &fence, sizeof(fence), 0) < 0)
		err = -errno;
	return err;
}

/* A message read on a raw socket: its type, seq, and errno and extack. */
struct answer {
	uint16_t type;
	uint32_t seq;
	struct cosi_err e;
};

/*
 * Read the answers on @fd (into @a, @max at most) until the NLMSG_ERROR
 * of @last, and check that nothing follows it.  Return: how many.
 */
static size_t read_answers(struct __test_metadata *_metadata, int fd,
			   uint32_t last, struct answer *a, size_t max)
{
	static char buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh;
	bool end = false;
	size_t n = 0;
	ssize_t len;

	while (!end) {
		ASSERT_EQ(1, poll(&pfd, 1, 10000))
			TH_LOG("no answer to seq %u", last);
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		ASSERT_LT(0, len) TH_LOG("recv: %s", strerror(errno));
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			ASSERT_FALSE(end) TH_LOG("a message after the last");
			ASSERT_GT(max, n) TH_LOG("more than %zu answers", max);
			memset(&a[n], 0, sizeof(a[n]));
			a[n].type = nlh->nlmsg_type;
			a[n].seq = nlh->nlmsg_seq;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				EXPECT_EQ(0, cosi_nlerr_parse(nlh, &a[n].e));
			end = nlh->nlmsg_type == NLMSG_ERROR &&
			      nlh->nlmsg_seq == last;
			n++;
		}
	}
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno) TH_LOG("something follows the answer");
	return n;
}

/*
 * The only answer on @fd is one NLMSG_ERROR of @seq, with errno @err (0:
 * the ack) and extack message @msg (when not NULL).
 */
static void expect_only_answer(struct __test_metadata *_metadata, int fd,
			       uint32_t seq, int err, const char *msg)
{
	struct answer a[4];

	ASSERT_EQ(1, read_answers(_metadata, fd, seq, a, 4))
		TH_LOG("first: type %u seq %u", a[0].type, a[0].seq);
	EXPECT_EQ(err, a[0].e.err) TH_LOG("%s", a[0].e.msg);
	if (msg)
		EXPECT_STREQ(msg, a[0].e.msg);
}

/* Quiet write @cmd of @r (quiet set) on @fd: no answer, only the fence's. */
static void quiet_write(struct __test_metadata *_metadata, int fd,
			struct cosi *c, uint8_t cmd, const struct cosi_req *r,
			uint32_t *seq)
{
	ASSERT_EQ(0, send_fenced(fd, cosi_req_msg(c, cmd, r), *seq, 0));
	expect_only_answer(_metadata, fd, *seq + 1, 0, NULL);
	*seq += 2;
}

/* Resource "q" has @version and a revision above *@rev (then its own). */
static void expect_q(struct __test_metadata *_metadata, struct cosi *c,
		     uint64_t version, uint64_t *rev)
{
	struct cosi_resource *got = NULL;

	ASSERT_COSI_OK(c, cosi_resource_get(c, TEST_NS, WIDGET, "q", &got));
	EXPECT_EQ(version, got->version);
	EXPECT_LT(*rev, got->revision);
	*rev = got->revision;
	cosi_resource_free(got);
}

TEST_F(sock, quiet_writes_answer_nothing)
{
	COSI_OPTS(cosi_watch_req, ww, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET, .id = "q",
		  .quiet = true);
	static const uint32_t kinds[] = {
		COSI_EVENT_KIND_CREATED, COSI_EVENT_KIND_UPDATED,
		COSI_EVENT_KIND_UPDATED, COSI_EVENT_KIND_UPDATED,
		COSI_EVENT_KIND_UPDATED, COSI_EVENT_KIND_DESTROYED,
	};
	struct cosi_strs fin = strs_make("f", NULL);
	struct cosi_event_vec v = { 0 };
	struct cosi_resource *got = NULL;
	struct cosi_spec spec = { 0 };
	uint64_t rev = 0;
	uint32_t seq = 1000;
	struct cosi *w;
	size_t i;
	int fd = raw_socket();

	ASSERT_LE(0, fd);
	COSI_OPEN(w);
	ASSERT_COSI_OK(w, cosi_watch(w, &ww, NULL, NULL, NULL, NULL));
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "first"));
	r.spec = &spec;
	quiet_write(_metadata, fd, self->c, COSI_CMD_RESOURCE_CREATE, &r, &seq);
	expect_q(_metadata, self->c, 1, &rev);

	cosi_spec_clear(&spec);
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "second"));
	quiet_write(_metadata, fd, self->c, COSI_CMD_RESOURCE_UPDATE, &r, &seq);
	expect_q(_metadata, self->c, 2, &rev);
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "q", &got));
	EXPECT_STREQ("second", cosi_spec_get(&got->spec, "name")->str);
	cosi_resource_free(got);

	r.spec = NULL;
	r.finalizers = &fin;
	quiet_write(_metadata, fd, self->c, COSI_CMD_FINALIZER_ADD, &r, &seq);
	expect_q(_metadata, self->c, 3, &rev);
	r.finalizers = NULL;
	quiet_write(_metadata, fd, self->c, COSI_CMD_RESOURCE_TEARDOWN, &r,
		    &seq);
	expect_q(_metadata, self->c, 4, &rev);
	r.finalizers = &fin;
	quiet_write(_metadata, fd, self->c, COSI_CMD_FINALIZER_REMOVE, &r,
		    &seq);
	expect_q(_metadata, self->c, 5, &rev);
	r.finalizers = NULL;
	quiet_write(_metadata, fd, self->c, COSI_CMD_RESOURCE_DESTROY, &r,
		    &seq);
	EXPECT_COSI_ERR(self->c, ENOENT,
			cosi_resource_get(self->c, TEST_NS, WIDGET, "q", NULL));

	/* The watcher saw every write. */
	EXPECT_EQ(0, recv_n(w, &v, 6, 5000)) TH_LOG("%zu events", v.n);
	ASSERT_EQ(6, v.n);
	for (i = 0; i < v.n; i++) {
		EXPECT_EQ(kinds[i], v.v[i]->kind) TH_LOG("event %zu", i);
		EXPECT_STREQ("q", v.v[i]->res->id);
		if (i)
			EXPECT_LT(v.v[i - 1]->revision, v.v[i]->revision);
	}
	EXPECT_EQ(rev, v.v[4]->revision);
	cosi_event_vec_clear(&v);
	cosi_close(w);
	close(fd);
	cosi_spec_clear(&spec);
	cosi_strs_clear(&fin);
}

/*
 * quiet with NLM_F_ACK: the standard ack, nothing else.  quiet with
 * ack-only, or on an op without it: refused, the extack at the attribute.
 */
TEST_F(sock, quiet_ack_and_refusals)
{
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET, .id = "q",
		  .quiet = true);
	struct cosi_spec spec = { 0 };
	const struct nlattr *at;
	struct nl_msg *m;
	uint32_t seq = 2000;
	int fd = raw_socket();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "x"));
	r.spec = &spec;
	ASSERT_EQ(0, raw_send(fd, cosi_req_msg(self->c,
					       COSI_CMD_RESOURCE_CREATE, &r),
			      seq, NLM_F_ACK));
	expect_only_answer(_metadata, fd, seq, 0, NULL);
	EXPECT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "q", NULL));

	/* Failures are answered as ever, with or without NLM_F_ACK. */
	ASSERT_EQ(0, raw_send(fd, cosi_req_msg(self->c,
					       COSI_CMD_RESOURCE_CREATE, &r),
			      ++seq, 0));
	expect_only_answer(_metadata, fd, seq, EEXIST,
			   "resource already exists");

	/* quiet and ack-only: EINVAL, pointing at quiet. */
	r.ack_only = true;
	m = cosi_req_msg(self->c, COSI_CMD_RESOURCE_UPDATE, &r);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EINVAL, cosi_request(self->c, m, NULL, NULL));
	EXPECT_STREQ("quiet and ack-only exclude each other: quiet asks for no answer",
		     cosi_last_error(self->c)->msg);
	at = cosi_extack_attr(self->c);
	ASSERT_NE(NULL, at);
	EXPECT_EQ(COSI_A_RESOURCE_QUIET, nla_type(at));
	r.ack_only = false;

	/* resource-get has no quiet: its policy refuses the attribute. */
	m = flagged_msg(self->c, COSI_CMD_RESOURCE_GET, "q",
			COSI_A_RESOURCE_QUIET, 0);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EINVAL, cosi_request(self->c, m, NULL, NULL));
	at = cosi_extack_attr(self->c);
	ASSERT_NE(NULL, at);
	EXPECT_EQ(COSI_A_RESOURCE_QUIET, nla_type(at));

	/* Nor destroy ack-only, with quiet or not. */
	m = flagged_msg(self->c, COSI_CMD_RESOURCE_DESTROY, "q",
			COSI_A_RESOURCE_QUIET, COSI_A_RESOURCE_ACK_ONLY);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(-EINVAL, cosi_request(self->c, m, NULL, NULL));
	EXPECT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  "q", NULL));

	/* libcosi's calls that return one answer refuse quiet. */
	EXPECT_READS(self->c, 0, EINVAL,
		     cosi_resource_update(self->c, &r, NULL));
	EXPECT_NE(NULL, strstr(cosi_last_error(self->c)->msg,
			       "cosi_req.quiet"));
	EXPECT_READS(self->c, 0, EINVAL,
		     cosi_resource_destroy(self->c, &r, NULL));
	close(fd);
	cosi_spec_clear(&spec);
}

/*
 * A sendmsg() of quiet creates, NLM_F_ACK on the last only, the third
 * failing: its NLMSG_ERROR (seq and extack) and the last one's ack are
 * all that comes back; every other create took effect.
 */
TEST_F(sock, quiet_batch_failure_in_middle)
{
	struct cosi_spec spec = { 0 };
	struct nlmsghdr *nlh;
	struct answer a[8];
	uint32_t seq = 3000;
	static char buf[8192];
	size_t len = 0, i;
	struct nl_msg *m;
	char id[8];
	int fd = raw_socket();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "x"));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "b2", NULL,
					      NULL));
	for (i = 0; i < 5; i++) {
		COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET,
			  .id = id, .spec = &spec, .quiet = true);

		snprintf(id, sizeof(id), "b%zu", i);
		m = cosi_req_msg(self->c, COSI_CMD_RESOURCE_CREATE, &r);
		ASSERT_NE(NULL, m);
		nlh = nlmsg_hdr(m);
		nlh->nlmsg_flags = NLM_F_REQUEST | (i == 4 ? NLM_F_ACK : 0);
		nlh->nlmsg_seq = seq + i;
		nlh->nlmsg_pid = 0;
		ASSERT_GE(sizeof(buf), len + NLMSG_ALIGN(nlh->nlmsg_len));
		memcpy(buf + len, nlh, nlh->nlmsg_len);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
		nlmsg_free(m);
	}
	ASSERT_EQ((ssize_t)len, send(fd, buf, len, 0));
	ASSERT_EQ(2, read_answers(_metadata, fd, seq + 4, a, 8));
	EXPECT_EQ(NLMSG_ERROR, a[0].type);
	EXPECT_EQ(seq + 2, a[0].seq);
	EXPECT_EQ(EEXIST, a[0].e.err);
	EXPECT_STREQ("resource already exists", a[0].e.msg);
	EXPECT_EQ(0, a[1].e.err) TH_LOG("%s", a[1].e.msg);
	for (i = 0; i < 5; i++) {
		struct cosi_resource *got = NULL;

		snprintf(id, sizeof(id), "b%zu", i);
		ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS,
							  WIDGET, id, &got));
		EXPECT_EQ(1, got->version);
		/* b2 is the fixture's, name "b2"; the others "x". */
		EXPECT_STREQ(i == 2 ? "b2" : "x",
			     cosi_spec_get(&got->spec, "name")->str);
		cosi_resource_free(got);
	}
	close(fd);
	cosi_spec_clear(&spec);
}

/*
 * libcosi: quiet writes in cosi_write_batch() and cosi_batch(); one read
 * per chunk (its last ack) plus one per failure; errors per request.
 */
TEST_F(sock, quiet_libcosi_batches)
{
	static struct cosi_write wr[300];
	static struct cosi_req reqs[300];
	static struct cosi_batch_op ops[40];
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_resources l = { 0 };
	struct cosi_spec spec = { 0 };
	struct cosi_resource *got = NULL;
	static char ids[300][8];
	unsigned int s0, r0;
	size_t i;

	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "x"));
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "w150", NULL,
					      NULL));
	for (i = 0; i < 300; i++) {
		COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET,
			  .id = ids[i], .spec = &spec, .quiet = true);

		snprintf(ids[i], sizeof(ids[i]), "w%zu", i);
		reqs[i] = r;
		wr[i].cmd = COSI_CMD_RESOURCE_CREATE;
		wr[i].req = &reqs[i];
	}
	s0 = nr_sendto;
	r0 = nr_recvmsg;
	ASSERT_EQ(0, cosi_write_batch(self->c, wr, 300));
	/* A chunk's acks and the one error: a few reads, not 300. */
	EXPECT_GE(3, nr_sendto - s0);
	EXPECT_EQ(nr_sendto - s0 + 1, nr_recvmsg - r0);
	EXPECT_TRUE(sock_drained(self->c));
	for (i = 0; i < 300; i++) {
		if (i == 150) {
			EXPECT_EQ(EEXIST, wr[i].err.err);
			EXPECT_STREQ("resource already exists", wr[i].err.msg);
			EXPECT_TRUE(wr[i].done);
			continue;
		}
		EXPECT_TRUE(wr[i].done) TH_LOG("write %zu", i);
		EXPECT_EQ(0, wr[i].err.err) TH_LOG("write %zu: %s", i,
						   wr[i].err.msg);
		EXPECT_EQ(0, wr[i].version);
		EXPECT_EQ(0, wr[i].revision);
	}
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	EXPECT_EQ(300, l.n);
	cosi_resources_clear(&l);

	/*
	 * cosi_batch(): quiet updates, an echoed one last in the chunk (its
	 * reply, then the chunk's ack) and a failing one (missing id).
	 */
	cosi_spec_clear(&spec);
	ASSERT_EQ(0, cosi_spec_add_string(&spec, "name", "y"));
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 40; i++) {
		COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET,
			  .id = ids[i], .spec = &spec, .quiet = i != 39);

		if (i == 7)
			r.id = "missing";
		ops[i].msg = cosi_req_msg(self->c, COSI_CMD_RESOURCE_UPDATE,
					  &r);
		ASSERT_NE(NULL, ops[i].msg);
	}
	ASSERT_EQ(0, cosi_batch(self->c, ops, 40));
	EXPECT_TRUE(sock_drained(self->c));
	for (i = 0; i < 40; i++) {
		EXPECT_TRUE(ops[i].done) TH_LOG("op %zu", i);
		if (i == 7) {
			EXPECT_EQ(ENOENT, ops[i].err.err);
			EXPECT_STREQ("resource not found", ops[i].err.msg);
		} else {
			EXPECT_EQ(0, ops[i].err.err) TH_LOG("op %zu: %s", i,
							    ops[i].err.msg);
		}
		if (i == 39) {
			ASSERT_NE(NULL, ops[i].res);
			EXPECT_STREQ(ids[39], ops[i].res->id);
			EXPECT_EQ(2, ops[i].res->version);
		} else {
			EXPECT_EQ(NULL, ops[i].res) TH_LOG("op %zu", i);
		}
		cosi_resource_free(ops[i].res);
	}
	ASSERT_COSI_OK(self->c, cosi_resource_get(self->c, TEST_NS, WIDGET,
						  ids[20], &got));
	EXPECT_EQ(2, got->version);
	EXPECT_STREQ("y", cosi_spec_get(&got->spec, "name")->str);
	cosi_resource_free(got);

	/* Quiet destroys of all: the store is empty after. */
	for (i = 0; i < 300; i++) {
		COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET,
			  .id = ids[i], .quiet = true);

		reqs[i] = r;
		wr[i].cmd = COSI_CMD_RESOURCE_DESTROY;
	}
	ASSERT_EQ(0, cosi_write_batch(self->c, wr, 300));
	for (i = 0; i < 300; i++)
		EXPECT_EQ(0, wr[i].err.err) TH_LOG("destroy %zu: %s", i,
						   wr[i].err.msg);
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	EXPECT_EQ(0, l.n);
	cosi_resources_clear(&l);
	cosi_spec_clear(&spec);
}

/*
 * Review (revq): batches with quiet writes against the orderings and
 * losses the tests above do not cover.
 */

/* @n quiet (or ack-only) creates of widgets "<prefix><i>" with a @blob-byte blob. */
struct revq_writes {
	struct cosi_write w[128];
	struct cosi_req r[128];
	char ids[128][16];
	struct cosi_spec spec;
};

static int revq_build(struct revq_writes *x, size_t n, const char *prefix,
		      size_t blob, bool quiet)
{
	char *v = malloc(blob + 1);
	size_t i;
	int err;

	if (!v || n > 128)
		return -ENOMEM;
	memset(v, 'b', blob);
	memset(&x->spec, 0, sizeof(x->spec));
	err = cosi_spec_add_string(&x->spec, "name", "n");
	if (!err && blob)
		err = cosi_spec_add_bytes(&x->spec, "blob", v, blob);
	free(v);
	for (i = 0; !err && i < n; i++) {
		COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET,
			  .id = x->ids[i], .spec = &x->spec, .quiet = quiet,
			  .ack_only = !quiet);

		snprintf(x->ids[i], sizeof(x->ids[i]), "%s%03zu", prefix, i);
		x->r[i] = r;
		memset(&x->w[i], 0, sizeof(x->w[i]));
		x->w[i].cmd = COSI_CMD_RESOURCE_CREATE;
		x->w[i].req = &x->r[i];
	}
	return err;
}

/*
 * cosi_batch(): a list dump, then a quiet write, in one chunk.  The dump
 * spans many datagrams, the rest of which the kernel makes only as the
 * socket is read; the quiet write's ack (the chunk's end) is queued right
 * after the dump's first datagram.  Expected: the batch reads the dump to
 * its NLMSG_DONE, leaves nothing on the socket, and the handle's next
 * dump works.  The chunk ended at the ack, cosi_chunk_end() counted the
 * dump done, its rest stayed queued and the kernel's dump kept running:
 * the next list failed with EBUSY.
 */
TEST_F_TIMEOUT(sock, review_quiet_chunk_waits_for_dump_done, 300)
{
	static struct revq_writes x;
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	COSI_OPTS(cosi_req, q, .ns = TEST_NS, .type = WIDGET, .id = "zz-quiet",
		  .quiet = true);
	struct cosi_resources l = { 0 };
	struct cosi_batch_op ops[2];
	size_t i;

	/* 100 widgets of 8 KiB: a dump of some 25 datagrams of 32 KiB. */
	ASSERT_EQ(0, revq_build(&x, 100, "d", 8000, false));
	ASSERT_EQ(0, cosi_write_batch(self->c, x.w, 100));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, x.w[i].err.err) TH_LOG("%zu: %s", i, x.w[i].err.msg);

	q.spec = &x.spec;
	memset(ops, 0, sizeof(ops));
	ops[0].msg = cosi_msg_new(self->c, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);
	ASSERT_NE(NULL, ops[0].msg);
	ASSERT_EQ(0, nla_put_string(ops[0].msg, COSI_A_RESOURCE_NAMESPACE,
				    TEST_NS));
	ASSERT_EQ(0, nla_put_string(ops[0].msg, COSI_A_RESOURCE_TYPE, WIDGET));
	ops[1].msg = cosi_req_msg(self->c, COSI_CMD_RESOURCE_CREATE, &q);
	ASSERT_NE(NULL, ops[1].msg);
	ASSERT_EQ(0, cosi_batch(self->c, ops, 2));
	EXPECT_TRUE(ops[0].done);
	EXPECT_EQ(0, ops[0].err.err) TH_LOG("%s", ops[0].err.msg);
	EXPECT_TRUE(ops[1].done);
	EXPECT_EQ(0, ops[1].err.err) TH_LOG("%s", ops[1].err.msg);
	/*
	 * Read to its end: the last entry is "zz-quiet", created in the same
	 * sendmsg() after the dump's first datagram, before its later ones.
	 */
	ASSERT_NE(NULL, ops[0].res);
	EXPECT_STREQ("zz-quiet", ops[0].res->id);
	cosi_resource_free(ops[0].res);
	cosi_resource_free(ops[1].res);
	EXPECT_TRUE(sock_drained(self->c)) TH_LOG("the dump's rest is left on the socket");

	/* The handle's next dump: all 101. */
	EXPECT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	EXPECT_EQ(101, l.n);
	cosi_resources_clear(&l);
	cosi_spec_clear(&x.spec);
}

/*
 * A chunk on a handle whose receive buffer overflows (it joined the
 * events group, as cosi.h's example: "a receive buffer full of events, on
 * a handle that watches").  Netlink's first overrun marks the socket
 * congested (NETLINK_S_CONGESTED) and drops everything after it until the
 * queue is read empty: the chunk's last answer, queued in the same
 * sendmsg(), is dropped too.  Expected: the batch completes at once (the
 * kernel answered every request before sendmsg() returned, so libcosi
 * reads the socket empty and stops), and a write not answered has the
 * error ENOBUFS (outcome unknown).  It waited out SO_RCVTIMEO and failed
 * the whole batch with ETIMEDOUT; so did a batch that is not quiet.
 */
static void revq_overrun(struct __test_metadata *_metadata, bool quiet)
{
	static struct revq_writes x;
	struct cosi *h;
	uint64_t t0;
	size_t i, unknown = 0;
	int err;

	COSI_OPEN(h);
	ASSERT_COSI_OK(h, cosi_events_join(h));
	ASSERT_EQ(0, cosi_set_rcvbuf(h, 4096));
	ASSERT_EQ(0, cosi_set_timeout(h, 5000));
	/* 16 creates (one chunk on a handle with events), 4 KiB each. */
	ASSERT_EQ(0, revq_build(&x, 16, quiet ? "o" : "p", 4000, quiet));
	t0 = now_ms();
	err = cosi_write_batch(h, x.w, 16);
	TH_LOG("%s cosi_write_batch: %d (%s) after %llu ms",
	       quiet ? "quiet" : "ack-only", err,
	       err ? cosi_last_error(h)->msg : "",
	       (unsigned long long)(now_ms() - t0));
	EXPECT_EQ(0, err);
	for (i = 0; i < 16; i++) {
		EXPECT_TRUE(x.w[i].done || x.w[i].err.err == ENOBUFS)
			TH_LOG("write %zu: done %d err %d %s", i, x.w[i].done,
			       x.w[i].err.err, x.w[i].err.msg);
		unknown += x.w[i].err.err == ENOBUFS;
	}
	TH_LOG("%zu of 16 unknown (ENOBUFS)", unknown);
	cosi_close(h);
	cosi_spec_clear(&x.spec);
}

TEST_F_TIMEOUT(sock, review_quiet_chunk_overrun_is_enobufs, 120)
{
	revq_overrun(_metadata, true);
	revq_overrun(_metadata, false);
}

static long revq_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * Child of review_quiet_lost_error_not_done: a quiet create that fails
 * (EEXIST, "dup" exists), then a quiet create that succeeds (the chunk's
 * last, its ack), in one cosi_write_batch(), with failslab failing the
 * @nth skbuff_head_cache allocation of this task (1: the request's skb,
 * 2: the error's, 3: the ack's).  Exit: 0 the error was read, 1 the error
 * was lost and reported unknown (ENOBUFS) or the batch failed, 2 the
 * failed write was counted done (the bug), 3 setup failed.
 */
static int revq_lost_error_child(long obj_size, int nth)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, a, .ns = TEST_NS, .type = WIDGET, .id = "dup",
		  .spec = &spec, .quiet = true);
	COSI_OPTS(cosi_req, b, .ns = TEST_NS, .type = WIDGET, .id = NULL,
		  .spec = &spec, .quiet = true);
	struct cosi_write w[2] = {
		{ .cmd = COSI_CMD_RESOURCE_CREATE, .req = &a },
		{ .cmd = COSI_CMD_RESOURCE_CREATE, .req = &b },
	};
	char id[16], val[32];
	struct cosi *h = cosi_open();
	int err;

	snprintf(id, sizeof(id), "fresh%d", nth);
	b.id = id;
	if (!h || cosi_set_timeout(h, 2000) ||
	    cosi_spec_add_string(&spec, "name", "n"))
		return 3;
	snprintf(val, sizeof(val), "%ld", obj_size * (nth - 1) + 1);
	failslab_set("space", val);
	failslab_set("times", "1");
	if (write_file("/proc/self/make-it-fail", "1"))
		return 3;
	err = cosi_write_batch(h, w, 2);
	write_file("/proc/self/make-it-fail", "0");
	failslab_set("times", "0");
	fprintf(stderr, "# nth %d: batch %d; dup: done %d err %d (%s); fresh: done %d err %d\n",
		nth, err, w[0].done, w[0].err.err, w[0].err.msg, w[1].done,
		w[1].err.err);
	if (w[0].err.err == EEXIST)
		return 0;
	if (w[0].done && !w[0].err.err)
		return 2;
	return 1;
}

/*
 * A quiet write's error that never reaches the socket without a drop
 * being counted: netlink_ack() that cannot allocate the error's skb sets
 * sk_err = ENOBUFS and returns (af_netlink.c, err_skb), sk_drops
 * unchanged.  Expected: that write is reported ENOBUFS (outcome unknown).
 * cosi_wait() read ENOBUFS only as "events were lost" and went on, the
 * chunk's ack arrived, SO_MEMINFO showed no drop: the failed write was
 * counted done.  Needs failslab (the debug kernel).
 */
TEST_F_TIMEOUT(sock, review_quiet_lost_error_not_done, 300)
{
	char path[128];
	long obj_size;
	int nth, status, lost = 0;
	pid_t pid;

	if (!failslab_path(path, sizeof(path), "probability"))
		SKIP(return, "no failslab (CONFIG_FAILSLAB): the debug kernel covers this");
	obj_size = revq_read_long("/sys/kernel/slab/skbuff_head_cache/object_size");
	if (obj_size <= 0 ||
	    write_file("/sys/kernel/slab/skbuff_head_cache/failslab", "1"))
		SKIP(return, "no failslab cache filter for skbuff_head_cache");
	self->failslab = true;
	ASSERT_COSI_OK(self->c, widget_create(self->c, WIDGET, "dup", NULL,
					      NULL));
	failslab_set("cache-filter", "Y");
	failslab_set("task-filter", "Y");
	failslab_set("ignore-gfp-wait", "N");
	failslab_set("verbose", "0");
	failslab_set("interval", "1");
	failslab_set("probability", "100");
	for (nth = 1; nth <= 4; nth++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(revq_lost_error_child(obj_size, nth));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_NE(2, WEXITSTATUS(status))
			TH_LOG("nth %d: the failed quiet write was counted done", nth);
		EXPECT_NE(3, WEXITSTATUS(status)) TH_LOG("nth %d: setup", nth);
		lost += WEXITSTATUS(status) == 1 || WEXITSTATUS(status) == 2;
	}
	failslab_set("space", "0");
	EXPECT_LT(0, lost) TH_LOG("failslab never hit the error's allocation");
}

/* A batch of @n creates (ack-only or not) with a name of @len bytes. */
static int big_batch(struct cosi *c, struct cosi_batch_op *ops,
		     char (*ids)[8], size_t n, size_t len, bool ack_only)
{
	char *name = malloc(len + 1);
	int err;

	if (!name)
		return -ENOMEM;
	memset(name, 'x', len);
	name[len] = 0;
	err = widget_batch_name(c, ops, ids, n, name, ack_only, n, NULL,
				NULL);
	free(name);
	return err;
}

/* Every op of @ops answered with a resource of version 1. */
static void expect_all_created(struct __test_metadata *_metadata,
			       struct cosi_batch_op *ops, char (*ids)[8],
			       size_t n, bool ack_only)
{
	size_t i;

	for (i = 0; i < n; i++) {
		EXPECT_TRUE(ops[i].done) TH_LOG("op %zu", i);
		EXPECT_EQ(0, ops[i].err.err) TH_LOG("op %zu: %s", i,
						    ops[i].err.msg);
		ASSERT_NE(NULL, ops[i].res) TH_LOG("op %zu", i);
		EXPECT_EQ(1, ops[i].res->version);
		EXPECT_STREQ(ack_only ? "" : ids[i], ops[i].res->id);
		cosi_resource_free(ops[i].res);
	}
}

/*
 * ack-only answers are small: a batch sends 64 and more of them per
 * sendmsg(), one read per request still.
 */
TEST_F(sock, batch_ack_only_many_per_send)
{
	struct cosi_batch_op ops[200];
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	struct cosi_resources l = { 0 };
	unsigned int s0, r0;
	char ids[200][8];

	ASSERT_EQ(0, big_batch(self->c, ops, ids, 200, 16, true));
	s0 = nr_sendto;
	r0 = nr_recvmsg;
	ASSERT_EQ(0, cosi_batch(self->c, ops, 200));
	EXPECT_GE(3, nr_sendto - s0);
	EXPECT_EQ(200, nr_recvmsg - r0);
	EXPECT_TRUE(sock_drained(self->c));
	expect_all_created(_metadata, ops, ids, 200, true);
	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	EXPECT_EQ(200, l.n);
	cosi_resources_clear(&l);
}

/*
 * Echoes of large resources, or ack-only answers into a small receive
 * buffer: a chunk ends before its answers could overflow the buffer, so
 * none is lost (a lost one would leave the batch waiting until its
 * timeout).
 */
TEST_F(sock, batch_answers_fit_receive_buffer)
{
	struct cosi_batch_op ops[64];
	char ids[64][8];
	size_t i;

	ASSERT_EQ(0, big_batch(self->c, ops, ids, 64, 15000, false));
	ASSERT_EQ(0, cosi_batch(self->c, ops, 64));
	expect_all_created(_metadata, ops, ids, 64, false);
	EXPECT_TRUE(sock_drained(self->c));

	/* 16 KiB of receive buffer: 6 ack-only answers per chunk. */
	ASSERT_EQ(0, cosi_set_rcvbuf(self->c, 8192));
	for (i = 0; i < 64; i++) {
		COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET,
			  .id = ids[i]);

		ASSERT_COSI_OK(self->c, cosi_resource_destroy(self->c, &r,
							      NULL));
	}
	ASSERT_EQ(0, big_batch(self->c, ops, ids, 40, 2000, true));
	ASSERT_EQ(0, cosi_batch(self->c, ops, 40));
	expect_all_created(_metadata, ops, ids, 40, true);
	EXPECT_TRUE(sock_drained(self->c));
}

/*
 * review (ackonly): answers that echo a stored resource much larger than
 * the request (resource-get, as cosictl apply's first batch sends; a
 * teardown, a finalizer change or an update of labels only) must still
 * fit the receive buffer: a lost answer fails the batch.  16 per
 * sendmsg() fitted; chunks sized by the request's length do not.
 */
#define NREV 256
TEST_F_TIMEOUT(sock, review_batch_small_requests_large_echoes, 120)
{
	static struct cosi_batch_op ops[256], rd[256];
	char ids[256][8];
	size_t i;
	int err;

	ASSERT_EQ(0, big_batch(self->c, ops, ids, NREV, 12000, true));
	ASSERT_EQ(0, cosi_batch(self->c, ops, NREV));
	expect_all_created(_metadata, ops, ids, NREV, true);

	for (i = 0; i < NREV; i++) {
		COSI_OPTS(cosi_req, key, .ns = TEST_NS, .type = WIDGET,
			  .id = ids[i]);

		rd[i].msg = cosi_req_msg(self->c, COSI_CMD_RESOURCE_GET, &key);
		ASSERT_NE(NULL, rd[i].msg);
	}
	err = cosi_batch(self->c, rd, NREV);
	EXPECT_EQ(0, err) TH_LOG("get batch: %s", strerror(-err));
	for (i = 0; i < NREV; i++) {
		EXPECT_TRUE(rd[i].done) TH_LOG("get %zu", i);
		EXPECT_EQ(0, rd[i].err.err) TH_LOG("get %zu: %s", i,
						   rd[i].err.msg);
		EXPECT_NE(NULL, rd[i].res) TH_LOG("get %zu", i);
		if (rd[i].res) {
			EXPECT_STREQ(ids[i], rd[i].res->id);
		}
		cosi_resource_free(rd[i].res);
	}

	memset(rd, 0, sizeof(rd));
	for (i = 0; i < NREV; i++) {
		COSI_OPTS(cosi_req, key, .ns = TEST_NS, .type = WIDGET,
			  .id = ids[i]);

		rd[i].msg = cosi_req_msg(self->c, COSI_CMD_RESOURCE_TEARDOWN,
					 &key);
		ASSERT_NE(NULL, rd[i].msg);
	}
	err = cosi_batch(self->c, rd, NREV);
	EXPECT_EQ(0, err) TH_LOG("teardown batch: %s", strerror(-err));
	for (i = 0; i < NREV; i++) {
		EXPECT_TRUE(rd[i].done) TH_LOG("teardown %zu", i);
		EXPECT_EQ(0, rd[i].err.err) TH_LOG("teardown %zu: %s", i,
						   rd[i].err.msg);
		cosi_resource_free(rd[i].res);
	}
}

/*
 * review (ackonly): a socket that watches the type it batch-writes gets
 * each write's event as well as its answer, before the caller reads: an
 * ack-only answer is small but the event carries the whole resource.  16
 * writes per sendmsg() kept a chunk's events inside the receive buffer;
 * ~166 ack-only label updates per sendmsg() overflow it and stop the
 * watch (ENOBUFS), although nothing else writes.
 */
TEST_F_TIMEOUT(sock, review_batch_ack_only_own_watch, 120)
{
	COSI_OPTS(cosi_watch_req, ww, .ns = TEST_NS, .type = WIDGET);
	static struct cosi_batch_op ops[200];
	struct cosi_event_vec v = { 0 };
	struct cosi_kvs labels = { 0 };
	char ids[200][8];
	size_t i;
	int err;

	ASSERT_EQ(0, big_batch(self->c, ops, ids, 200, 3000, true));
	ASSERT_EQ(0, cosi_batch(self->c, ops, 200));
	expect_all_created(_metadata, ops, ids, 200, true);
	ASSERT_EQ(0, cosi_kvs_add(&labels, "k", "v"));
	ASSERT_COSI_OK(self->c, cosi_watch(self->c, &ww, NULL, NULL, NULL,
					   NULL));
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 200; i++) {
		COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = WIDGET,
			  .id = ids[i], .labels = &labels, .ack_only = true);

		ops[i].msg = cosi_req_msg(self->c, COSI_CMD_RESOURCE_UPDATE,
					  &r);
		ASSERT_NE(NULL, ops[i].msg);
	}
	ASSERT_EQ(0, cosi_batch(self->c, ops, 200));
	for (i = 0; i < 200; i++) {
		EXPECT_EQ(0, ops[i].err.err) TH_LOG("op %zu: %s", i,
						    ops[i].err.msg);
		cosi_resource_free(ops[i].res);
	}
	err = recv_n(self->c, &v, 200, 5000);
	EXPECT_EQ(0, err) TH_LOG("%zu events, then %s", v.n, strerror(-err));
	EXPECT_EQ(200, v.n);
	cosi_event_vec_clear(&v);
	cosi_kvs_clear(&labels);
}

TEST_HARNESS_MAIN
