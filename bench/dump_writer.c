// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 4 (issue 15 E): writers during dumps.  With N resources of one
 * type, a writer pinned to CPU 0 times resource-update round trips of a
 * resource of another type (one in flight): W of them idle, then W while
 * a thread pinned to CPU 1 loops label-filtered dumps of the N that match
 * nothing (each dump scans all N and sends none).  Beside it, rtnetlink:
 * a route insert's round trip idle and while another socket loops dumps
 * of N routes.
 *
 * The writes while dumps run go on until the dumper has done MIN_DUMPS
 * dumps.  Route inserts are each deleted again (untimed): the dumped
 * table keeps its size.
 *
 * Then the same with watches instead of list dumps: each of the
 * dumper's dumps is a watch with the same query and a bootstrap listing
 * (which scans the N under cosi_net::lock, letting writers in every
 * COSI_SCAN_BATCH), on a socket of its own, closed after the
 * bootstrapped marker (which ends the watch).
 *
 * RESULT 4 cosi writer_p50_idle / writer_p99_idle / writer_p50_dump /
 * writer_p99_dump / writer_max_dump (us), filtered_dump_ms (the
 * dumper's median); RESULT 4 cosi_watch writer_* (the idle figures are
 * cosi's), bootstrap_ms; RESULT 4 rtnetlink writer_* (route inserts),
 * route_dump_ms.
 *
 * Env: N (default 100000), W (default 5000), GAP_US (default 200: one
 * write started every GAP_US), NO_RT (not empty: cosi only), NO_WATCH
 * (not empty: no watch bootstraps).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "bench_util.h"

#define OTHER_TYPE	"Other.bench.cosi.dev"

/* The dumper: one socket, one prebuilt request, looped until told. */
struct dumper {
	pthread_t thread;
	struct nls s;
	struct nl_msg *m;
	size_t want;		/* entries each dump must return */
	bool exact;
	bool reopen;		/* a socket of its own for each dump */
	atomic_bool stop;
	atomic_bool running;
	atomic_long dumps;	/* done so far */
	struct samples ms;	/* duration of each dump */
};

static void *dumper_run(void *arg)
{
	struct dumper *d = arg;
	size_t got;
	uint64_t t0;

	pin_cpu(1);
	atomic_store(&d->running, true);
	while (!atomic_load(&d->stop)) {
		t0 = now_ns();
		if (d->reopen) {
			/* Closing the last one ended its watch. */
			nls_close(&d->s);
			nls_open(&d->s, NETLINK_GENERIC, 0);
		}
		got = nls_dump(&d->s, d->m, NULL);
		if (d->exact ? got != d->want : got < d->want)
			die("dump: %zu entries, expected %zu", got, d->want);
		samples_add(&d->ms, (now_ns() - t0) / 1e6);
		atomic_fetch_add(&d->dumps, 1);
	}
	return NULL;
}

static void dumper_start(struct dumper *d)
{
	atomic_store(&d->stop, false);
	atomic_store(&d->running, false);
	if (pthread_create(&d->thread, NULL, dumper_run, d))
		die("pthread_create failed");
	while (!atomic_load(&d->running))
		sched_yield();
}

static void dumper_stop(struct dumper *d)
{
	atomic_store(&d->stop, true);
	pthread_join(d->thread, NULL);
}

/*
 * Round trips of msgs[i % 2] (or of @build(i), then its @undo(i) untimed,
 * when msgs is NULL), one every gap_us: @w of them, and while @d runs,
 * until it has done MIN_DUMPS dumps too.  Paced, not back to back: a
 * writer that sends its next request as soon as the last is answered
 * samples the time between dumps most (it gets many writes done there)
 * and hides a long wait in a single sample.
 */
#define MIN_DUMPS	5

static long gap_us;

static void pace(uint64_t t0)
{
	uint64_t next = t0 + gap_us * 1000;
	struct timespec ts = {
		.tv_sec = next / 1000000000,
		.tv_nsec = next % 1000000000,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
		;
}

static void writes(struct nls *s, struct nl_msg **msgs, long w,
		   struct nl_msg *(*build)(long i, void *arg, bool undo),
		   void *arg, struct dumper *d, struct samples *out,
		   const char *what)
{
	struct nl_msg *m;
	uint64_t t0;
	long i;
	int err;

	for (i = 0; i < w || (d && d->dumps < MIN_DUMPS); i++) {
		m = msgs ? msgs[i % 2] : build(i, arg, false);
		t0 = now_ns();
		err = nls_txn(s, m);
		samples_add(out, (now_ns() - t0) / 1e3);
		if (err)
			die("%s %ld: %s", what, i, strerror(err));
		if (!msgs) {
			nlmsg_free(m);
			m = build(i, arg, true);
			err = nls_txn(s, m);
			if (err)
				die("undoing %s %ld: %s", what, i,
				    strerror(err));
			nlmsg_free(m);
		}
		pace(t0);
	}
}

static void report(const char *sys, struct samples *idle,
		   struct samples *busy, struct dumper *d, const char *dump_ms)
{
	result(4, sys, "writer_p50_idle", samples_pct(idle, 50), "us");
	result(4, sys, "writer_p99_idle", samples_pct(idle, 99), "us");
	result(4, sys, "writer_p50_dump", samples_pct(busy, 50), "us");
	result(4, sys, "writer_p99_dump", samples_pct(busy, 99), "us");
	result(4, sys, "writer_max_dump", samples_pct(busy, 100), "us");
	result(4, sys, dump_ms, samples_pct(&d->ms, 50), "ms");
	printf("%s: %zu dumps during %zu writes\n", sys, d->ms.n, busy->n);
}

struct route_arg {
	int ifindex;
	uint32_t first;
};

/* A new /32 past the dumped ones, deleted again (@undo, untimed). */
static struct nl_msg *route_insert(long i, void *arg, bool undo)
{
	struct route_arg *a = arg;

	if (undo)
		return rt_route_msg(RTM_DELROUTE, NLM_F_ACK, a->first + i,
				    a->ifindex, RTPROT_STATIC);
	return rt_route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
			    a->first + i, a->ifindex, RTPROT_STATIC);
}

int main(void)
{
	long n = env_long("N", 100000), w = env_long("W", 5000);
	const struct cosi_term none[] = {
		{ .key = "app", .op = COSI_LABEL_OP_EQUAL,
		  .values = (const char *const[]){ "nothing" }, .n_values = 1 },
	};
	const struct cosi_query q = { none, 1 };
	COSI_OPTS(cosi_list_req, lr, .ns = BENCH_NS, .type = BENCH_TYPE,
		  .queries = &q, .n_queries = 1);
	struct rtmsg rtm = { .rtm_family = AF_INET };
	struct samples ci = { 0 }, cd = { 0 }, ri = { 0 }, rd = { 0 };
	struct dumper dc = { .want = 0, .exact = true };
	struct dumper dr = { .want = n, .exact = false };
	struct route_arg ra;
	struct nl_msg *upd[2];
	struct nls ws;
	struct cosi *c;

	bench_init("dump_writer");
	gap_us = env_long("GAP_US", 200);
	bench_netns();
	pin_cpu(0);
	c = bench_cosi_open();
	bench_cosi_define(c, OTHER_TYPE);
	nls_open(&ws, NETLINK_GENERIC, 0);
	nls_open(&dc.s, NETLINK_GENERIC, 0);
	bench_cosi_fill(c, &ws, BENCH_TYPE, 0, n, 256);
	bench_cosi_fill(c, &ws, OTHER_TYPE, 0, 1, 1);

	/* Updates that change the spec each time (1, 2, 1, ...). */
	upd[0] = bench_cosi_msg(c, COSI_CMD_RESOURCE_UPDATE, OTHER_TYPE, 0, 2);
	upd[1] = bench_cosi_msg(c, COSI_CMD_RESOURCE_UPDATE, OTHER_TYPE, 0, 1);
	dc.m = nlmsg_alloc();
	if (!dc.m || !genlmsg_put(dc.m, NL_AUTO_PORT, NL_AUTO_SEQ,
				  cosi_family(c), 0, NLM_F_DUMP,
				  COSI_CMD_RESOURCE_GET, COSI_FAMILY_VERSION) ||
	    cosi_put_list_req(dc.m, &lr))
		die("out of memory");

	/* Warm-up, then idle, then during dumps. */
	writes(&ws, upd, 200, NULL, NULL, NULL, &ci, "cosi update");
	samples_free(&ci);
	writes(&ws, upd, w, NULL, NULL, NULL, &ci, "cosi update");
	dumper_start(&dc);
	writes(&ws, upd, w, NULL, NULL, &dc, &cd, "cosi update");
	dumper_stop(&dc);
	report("cosi", &ci, &cd, &dc, "filtered_dump_ms");

	if (!getenv("NO_WATCH") || !*getenv("NO_WATCH")) {
		COSI_OPTS(cosi_watch_req, wr, .ns = BENCH_NS,
			  .type = BENCH_TYPE, .queries = &q, .n_queries = 1,
			  .bootstrap = true);
		struct dumper dw = { .want = 0, .exact = false,
				     .reopen = true };
		struct samples wd = { 0 };

		nls_open(&dw.s, NETLINK_GENERIC, 0);
		dw.m = nlmsg_alloc();
		if (!dw.m ||
		    !genlmsg_put(dw.m, NL_AUTO_PORT, NL_AUTO_SEQ,
				 cosi_family(c), 0, NLM_F_DUMP, COSI_CMD_WATCH,
				 COSI_FAMILY_VERSION) ||
		    cosi_put_watch_req(dw.m, &wr))
			die("out of memory");
		dumper_start(&dw);
		writes(&ws, upd, w, NULL, NULL, &dw, &wd, "cosi update");
		dumper_stop(&dw);
		report("cosi_watch", &ci, &wd, &dw, "bootstrap_ms");
		nlmsg_free(dw.m);
		nls_close(&dw.s);
		samples_free(&wd);
	}

	if (getenv("NO_RT") && *getenv("NO_RT"))
		goto out;
	/* rtnetlink: N routes dumped, inserts of new ones timed. */
	nls_close(&ws);
	nls_open(&ws, NETLINK_ROUTE, 0);
	nls_open(&dr.s, NETLINK_ROUTE, 0);
	ra.ifindex = rt_dummy_add(&ws, "bench0");
	rt_fill(&ws, ra.ifindex, 0, n, 256);
	ra.first = n;
	dr.m = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	if (!dr.m || nlmsg_append(dr.m, &rtm, sizeof(rtm), NLMSG_ALIGNTO))
		die("out of memory");
	writes(&ws, NULL, 200, route_insert, &ra, NULL, &ri, "route insert");
	samples_free(&ri);
	writes(&ws, NULL, w, route_insert, &ra, NULL, &ri, "route insert");
	dumper_start(&dr);
	writes(&ws, NULL, w, route_insert, &ra, &dr, &rd, "route insert");
	dumper_stop(&dr);
	report("rtnetlink", &ri, &rd, &dr, "route_dump_ms");
	nlmsg_free(dr.m);
	nls_close(&dr.s);
out:
	nlmsg_free(upd[0]);
	nlmsg_free(upd[1]);
	nlmsg_free(dc.m);
	nls_close(&ws);
	nls_close(&dc.s);
	cosi_close(c);
	return 0;
}
