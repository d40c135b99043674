// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 2: from a change to a listener on the other CPU receiving its
 * event.  cosi: a resource-update, seen by a watch on the resource's type;
 * rtnetlink: an RTM_NEWROUTE (a /32 on a dummy link), seen by a socket in
 * RTNLGRP_IPV4_ROUTE.  The writer runs on CPU 0 and reads CLOCK_MONOTONIC
 * just before sendmsg(); each listener thread runs on CPU 1, blocked in
 * recvmsg(), and reads the clock as soon as it returns.  One change at a
 * time: the writer waits for the listener before the next, then pauses so
 * that the listener is asleep again.  Rounds interleave the two systems.
 *
 * Env: N (changes per system, default 2000), ROUNDS (default 40).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "bench_util.h"

struct listener {
	const char *name;
	int fd;
	int type;		/* nlmsg_type of the event */
	int cmd;		/* genl command, or -1 */
	long expect;		/* events to receive before exiting */
	sem_t got;
	uint64_t t_recv;
	pthread_t th;
};

static bool is_event(const struct listener *l, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);

	if (nlh->nlmsg_type != l->type)
		return false;
	return l->cmd < 0 || g->cmd == l->cmd;
}

static void *listen_thread(void *arg)
{
	static __thread char buf[65536];
	struct listener *l = arg;
	struct nlmsghdr *nlh;
	long got = 0;
	ssize_t len;
	uint64_t t;

	pin_cpu(1);
	while (got < l->expect) {
		len = recv(l->fd, buf, sizeof(buf), 0);
		t = now_ns();
		if (len < 0)
			die("%s listener: recv: %s", l->name, strerror(errno));
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (!is_event(l, nlh))
				continue;
			l->t_recv = t;
			got++;
			sem_post(&l->got);
		}
	}
	return NULL;
}

static void listener_start(struct listener *l, long expect)
{
	l->expect = expect;
	if (sem_init(&l->got, 0, 0) ||
	    pthread_create(&l->th, NULL, listen_thread, l))
		die("listener thread: %s", strerror(errno));
}

/* One change and its latency in microseconds. */
static double one(struct listener *l, struct nls *w, struct nl_msg *m)
{
	const struct timespec pause = { .tv_nsec = 50000 };
	uint64_t t0;

	t0 = now_ns();
	if (nls_txn(w, m))
		die("%s change failed: %s", l->name, strerror(errno));
	while (sem_wait(&l->got))
		;
	nanosleep(&pause, NULL);
	return (l->t_recv - t0) / 1e3;
}

int main(void)
{
	long n = env_long("N", 2000), rounds = env_long("ROUNDS", 40);
	long chunk = n / rounds, warm = 100, r, i, ci = 0, ri = 0;
	struct listener lc = { .name = "cosi" }, lr = { .name = "rtnetlink" };
	COSI_OPTS(cosi_watch_req, wr, .ns = BENCH_NS, .type = BENCH_TYPE);
	struct samples sc = { 0 }, sr = { 0 };
	struct nls wc, wrt, lrt;
	struct cosi *c, *watch;
	struct nl_msg *m;
	int ifindex;

	bench_init("event_latency");
	bench_netns();
	pin_cpu(0);
	c = bench_cosi_open();
	nls_open(&wc, NETLINK_GENERIC, 0);
	nls_open(&wrt, NETLINK_ROUTE, 0);
	m = bench_cosi_msg(c, COSI_CMD_RESOURCE_CREATE, BENCH_TYPE, 0, 1);
	if (nls_txn(&wc, m))
		die("resource-create failed");
	nlmsg_free(m);
	ifindex = rt_dummy_add(&wrt, "bench0");

	/* The cosi listener: a live watch, read raw like the route one. */
	watch = cosi_open();
	if (!watch || cosi_watch(watch, &wr, NULL, NULL, NULL, NULL))
		die_cosi(watch, "watch");
	lc.fd = cosi_fd(watch);
	lc.type = cosi_family(watch);
	lc.cmd = COSI_CMD_RESOURCE_EVENT;
	nls_open(&lrt, NETLINK_ROUTE, 0);
	nls_join(&lrt, RTNLGRP_IPV4_ROUTE);
	lr.fd = lrt.fd;
	lr.type = RTM_NEWROUTE;
	lr.cmd = -1;
	listener_start(&lc, warm + chunk * rounds);
	listener_start(&lr, warm + chunk * rounds);

	for (r = -1; r < rounds; r++) {
		bool warmup = r < 0;
		long k = warmup ? warm : chunk;
		double v;

		for (i = 0; i < k; i++) {
			m = bench_cosi_msg(c, COSI_CMD_RESOURCE_UPDATE,
					   BENCH_TYPE, 0, 2 + ci++);
			v = one(&lc, &wc, m);
			nlmsg_free(m);
			if (!warmup)
				samples_add(&sc, v);
		}
		for (i = 0; i < k; i++) {
			m = rt_route_msg(RTM_NEWROUTE,
					 NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
					 ri++, ifindex, RTPROT_STATIC);
			v = one(&lr, &wrt, m);
			nlmsg_free(m);
			if (!warmup)
				samples_add(&sr, v);
		}
	}
	pthread_join(lc.th, NULL);
	pthread_join(lr.th, NULL);
	result(2, "cosi", "event_lat_p50", samples_pct(&sc, 50), "us");
	result(2, "cosi", "event_lat_p99", samples_pct(&sc, 99), "us");
	result(2, "rtnetlink", "event_lat_p50", samples_pct(&sr, 50), "us");
	result(2, "rtnetlink", "event_lat_p99", samples_pct(&sr, 99), "us");
	cosi_close(watch);
	cosi_close(c);
	return 0;
}
