// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 6: fan-out, events delivered per second to 1000 listeners of one
 * kind of change.  cosi: 1000 watches on the benchmark type (no filter),
 * 250 per socket on 4 sockets, while a writer updates resources of the
 * type; rtnetlink: 1000 sockets in RTNLGRP_IPV4_ROUTE while a writer adds
 * and deletes /32 routes on a dummy link.  Every listener drains: a
 * thread per 250 listeners (cosi: one socket each; rtnetlink: epoll over
 * 250 sockets).  A round is CHANGES changes sent BATCH per sendmsg();
 * its time runs from just before the first send to the last event
 * received.  Events delivered = changes x listeners that received each
 * one; every listener must receive every change (a drop, ENOBUFS or a
 * stopped watch fails the run).  Rounds interleave the two systems.  Also
 * the writer's time per change (fanout_write_us): the copies for every
 * listener are made in its system call.
 *
 * Env: ROUNDS (per system, default 20), CHANGES (per round, default
 * 100), BATCH (default 10), LISTENERS (default 1000).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "bench_util.h"

#define PER_THREAD	250
#define MAX_THREADS	16
/* Room for a round's events should the listeners fall behind. */
#define COSI_RCVBUF	(128 << 20)
#define RT_RCVBUF	(4 << 20)

struct drain {
	const char *name;
	int epfd;		/* rtnetlink: its sockets; cosi: -1 */
	int fd;			/* cosi: the socket */
	int type;		/* nlmsg_type of an event; -1: a route's */
	int cmd;		/* its genl command (cosi) */
	uint64_t events;	/* received, atomic */
	uint64_t last_ns;	/* when the last one was, atomic */
	pthread_t th;
};

static volatile int stopping;

/* Count the events of one datagram. */
static void count(struct drain *d, const char *buf, ssize_t len)
{
	const struct nlmsghdr *nlh;
	uint64_t n = 0;

	if (len < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("%s listener: recv: %s (events lost)", d->name,
		    strerror(errno));
	}
	for (nlh = (const struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
	     nlh = NLMSG_NEXT(nlh, len)) {
		const struct genlmsghdr *g = NLMSG_DATA(nlh);

		if (nlh->nlmsg_type == NLMSG_ERROR)
			die("%s listener: error message", d->name);
		if (d->type < 0) {	/* a route added or deleted */
			n += nlh->nlmsg_type == RTM_NEWROUTE ||
			     nlh->nlmsg_type == RTM_DELROUTE;
			continue;
		}
		n += nlh->nlmsg_type == d->type && g->cmd == d->cmd;
	}
	if (n) {
		__atomic_store_n(&d->last_ns, now_ns(), __ATOMIC_RELAXED);
		__atomic_add_fetch(&d->events, n, __ATOMIC_RELEASE);
	}
}

static void *drain_thread(void *arg)
{
	static __thread char buf[65536];
	struct epoll_event ev[64];
	struct drain *d = arg;
	int i, n;

	while (!stopping) {
		if (d->epfd < 0) {
			count(d, buf, recv(d->fd, buf, sizeof(buf), 0));
			continue;
		}
		n = epoll_wait(d->epfd, ev, 64, 200);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			ssize_t len;

			while ((len = recv(ev[i].data.fd, buf, sizeof(buf),
					   MSG_DONTWAIT)) > 0)
				count(d, buf, len);
			count(d, buf, len);
		}
	}
	return NULL;
}

static void drain_start(struct drain *d)
{
	if (pthread_create(&d->th, NULL, drain_thread, d))
		die("thread: %s", strerror(errno));
}

static uint64_t drained(const struct drain *d, int n, uint64_t *last)
{
	uint64_t sum = 0, t;
	int i;

	*last = 0;
	for (i = 0; i < n; i++) {
		sum += __atomic_load_n(&d[i].events, __ATOMIC_ACQUIRE);
		t = __atomic_load_n(&d[i].last_ns, __ATOMIC_RELAXED);
		if (t > *last)
			*last = t;
	}
	return sum;
}

/* A system under test: its writer's messages and its listeners. */
struct sys {
	const char *name;
	struct drain d[MAX_THREADS];
	int nd;
	struct nls w;
	uint64_t expect;	/* events received so far, all listeners */
	double events, secs;
	double write_secs;	/* in the writer's sendmsg() and acks */
	struct nl_msg *(*msg)(struct sys *s, uint32_t i);
	/* cosi */
	struct cosi *c;
	uint64_t v;
	/* rtnetlink */
	int ifindex;
	bool add;
};

static struct nl_msg *cosi_msg(struct sys *s, uint32_t i)
{
	return bench_cosi_msg(s->c, COSI_CMD_RESOURCE_UPDATE, BENCH_TYPE, i,
			      s->v);
}

static struct nl_msg *rt_msg(struct sys *s, uint32_t i)
{
	if (s->add)
		return rt_route_msg(RTM_NEWROUTE,
				    NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, i,
				    s->ifindex, RTPROT_STATIC);
	return rt_route_msg(RTM_DELROUTE, NLM_F_ACK, i, s->ifindex,
			    RTPROT_STATIC);
}

/* One round: @changes changes, @batch a sendmsg(); wait for every event. */
static void round_run(struct sys *s, long changes, long batch, long listeners)
{
	struct nl_msg **m = calloc(batch, sizeof(*m));
	uint64_t t0, tw, last, got, deadline;
	long i, j, n;

	if (!m)
		die("out of memory");
	s->v++;
	t0 = now_ns();
	for (i = 0; i < changes; i += n) {
		n = changes - i < batch ? changes - i : batch;
		for (j = 0; j < n; j++)
			m[j] = s->msg(s, i + j);
		tw = now_ns();
		if (nls_batch(&s->w, m, n))
			die("%s: a change failed", s->name);
		s->write_secs += (now_ns() - tw) / 1e9;
		for (j = 0; j < n; j++)
			nlmsg_free(m[j]);
	}
	s->expect += (uint64_t)changes * listeners;
	deadline = now_ns() + 120 * 1000000000ull;
	while ((got = drained(s->d, s->nd, &last)) < s->expect) {
		const struct timespec pause = { .tv_nsec = 100000 };

		if (now_ns() > deadline)
			die("%s: %llu of %llu events after 120 s", s->name,
			    (unsigned long long)got,
			    (unsigned long long)s->expect);
		nanosleep(&pause, NULL);
	}
	if (got > s->expect)
		die("%s: %llu events, %llu expected", s->name,
		    (unsigned long long)got, (unsigned long long)s->expect);
	s->events += (double)changes * listeners;
	s->secs += (last - t0) / 1e9;
	s->add = !s->add;
	free(m);
}

static void cosi_setup(struct sys *s, long listeners)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = BENCH_NS, .type = BENCH_TYPE);
	struct cosi *w = NULL;
	long i;

	s->name = "cosi";
	s->msg = cosi_msg;
	s->c = bench_cosi_open();
	nls_open(&s->w, NETLINK_GENERIC, 0);
	for (i = 0; i < listeners; i++) {
		if (!(i % PER_THREAD)) {
			struct drain *d = &s->d[s->nd++];

			if (!(w = cosi_open()))
				die("cosi_open: %s", strerror(errno));
			if (cosi_set_rcvbuf(w, COSI_RCVBUF))
				die("cosi rcvbuf: %s", strerror(errno));
			d->name = "cosi";
			d->epfd = -1;
			d->fd = cosi_fd(w);
			d->type = cosi_family(w);
			d->cmd = COSI_CMD_RESOURCE_EVENT;
		}
		if (cosi_watch(w, &wr, NULL, NULL, NULL, NULL))
			die_cosi(w, "watch");
	}
}

static void rt_setup(struct sys *s, long listeners)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int grp = RTNLGRP_IPV4_ROUTE, rcvbuf = RT_RCVBUF;
	struct epoll_event ev = { .events = EPOLLIN };
	struct drain *d = NULL;
	long i;
	int fd;

	s->name = "rtnetlink";
	s->msg = rt_msg;
	s->add = true;
	nls_open(&s->w, NETLINK_ROUTE, 0);
	s->ifindex = rt_dummy_add(&s->w, "fan0");
	for (i = 0; i < listeners; i++) {
		if (!(i % PER_THREAD)) {
			d = &s->d[s->nd++];
			d->name = "rtnetlink";
			d->epfd = epoll_create1(EPOLL_CLOEXEC);
			if (d->epfd < 0)
				die("epoll_create1: %s", strerror(errno));
			d->type = -1;
			d->cmd = -1;
		}
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (fd < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			       sizeof(rcvbuf)) ||
		    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
			       sizeof(grp)))
			die("route listener %ld: %s", i, strerror(errno));
		ev.data.fd = fd;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev))
			die("epoll_ctl: %s", strerror(errno));
	}
}

int main(void)
{
	long rounds = env_long("ROUNDS", 20), changes = env_long("CHANGES", 100);
	long batch = env_long("BATCH", 10), listeners = env_long("LISTENERS", 1000);
	struct rlimit rl = { 4096, 4096 };
	struct sys sc = { 0 }, sr = { 0 };
	struct sys *order[2];
	long r, i;

	bench_init("fanout_rate");
	if (listeners < 1 || listeners > MAX_THREADS * PER_THREAD || batch < 1 ||
	    changes < 1)
		die("bad LISTENERS, BATCH or CHANGES");
	/* 1000 route sockets and their epoll: past the usual 1024. */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
	bench_netns();
	pin_cpu(0);
	cosi_setup(&sc, listeners);
	for (i = 0; i < changes; i++) {
		struct nl_msg *m = bench_cosi_msg(sc.c, COSI_CMD_RESOURCE_CREATE,
						  BENCH_TYPE, i, 1);

		if (nls_txn(&sc.w, m))
			die("resource-create failed");
		nlmsg_free(m);
	}
	sc.expect = (uint64_t)changes * listeners;	/* the creates */
	sc.v = 1;	/* their spec: an update to it would change nothing */
	rt_setup(&sr, listeners);
	for (i = 0; i < sc.nd; i++)
		drain_start(&sc.d[i]);
	for (i = 0; i < sr.nd; i++)
		drain_start(&sr.d[i]);

	/* A round each to warm up, then interleaved rounds. */
	for (r = -1; r < rounds; r++) {
		order[0] = r & 1 ? &sr : &sc;
		order[1] = r & 1 ? &sc : &sr;
		for (i = 0; i < 2; i++) {
			round_run(order[i], changes, batch, listeners);
			if (r < 0)
				order[i]->events = order[i]->secs =
					order[i]->write_secs = 0;
		}
	}
	stopping = 1;
	result(6, "cosi", "fanout_events", sc.events / sc.secs, "/s");
	result(6, "rtnetlink", "fanout_events", sr.events / sr.secs, "/s");
	/*
	 * The writer's time per change: every listener's copy is made in
	 * its system call (the listeners only read).
	 */
	result(6, "cosi", "fanout_write_us",
	       sc.write_secs * 1e6 / (rounds * changes), "us");
	result(6, "rtnetlink", "fanout_write_us",
	       sr.write_secs * 1e6 / (rounds * changes), "us");
	return 0;
}
