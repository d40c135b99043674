// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 1: the round trip of a cosi resource-get (do) against the generic
 * netlink controller's CTRL_CMD_GETFAMILY (do) for "cosi", each on one
 * socket, one request in flight.  Both send a prebuilt message and read
 * the raw reply; the rounds interleave the two so that drift in the
 * machine's speed hits both alike.  Also the libcosi call (building and
 * parsing included), as context.
 *
 * Env: N (requests per system, default 20000), ROUNDS (default 100).
 */
#include <linux/netlink.h>
#include <netlink/msg.h>

#include "bench_util.h"

struct sys {
	const char *name;
	struct nls s;
	struct nl_msg *m;
	struct samples lat;
	uint64_t busy_ns;
};

static void run(struct sys *y, long n)
{
	uint64_t t0, t1;
	long i;

	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (nls_txn(&y->s, y->m))
			die("%s request failed", y->name);
		t1 = now_ns();
		samples_add(&y->lat, (t1 - t0) / 1e3);
		y->busy_ns += t1 - t0;
	}
}

static void report(struct sys *y, long n)
{
	result(1, y->name, "get_rtt_p50", samples_pct(&y->lat, 50), "us");
	result(1, y->name, "get_rtt_p99", samples_pct(&y->lat, 99), "us");
	result(1, y->name, "get_ops", n / (y->busy_ns / 1e9), "/s");
}

int main(void)
{
	long n = env_long("N", 20000), rounds = env_long("ROUNDS", 100);
	struct sys sc = { .name = "cosi" }, sn = { .name = "nlctrl" };
	struct samples lib = { 0 };
	struct cosi_resource *res;
	struct nl_msg *m;
	struct cosi *c;
	uint64_t t0;
	long r, i, chunk = n / rounds;

	bench_init("get_rtt");
	bench_netns();
	c = bench_cosi_open();
	nls_open(&sc.s, NETLINK_GENERIC, 0);
	nls_open(&sn.s, NETLINK_GENERIC, 0);
	m = bench_cosi_msg(c, COSI_CMD_RESOURCE_CREATE, BENCH_TYPE, 0, 1);
	if (nls_txn(&sc.s, m))
		die("resource-create failed");
	nlmsg_free(m);
	sc.m = bench_cosi_get_msg(c, BENCH_TYPE, 0);
	sn.m = ctrl_getfamily_msg("cosi");

	/* Warm up caches and the page tables of both paths. */
	run(&sc, 500);
	run(&sn, 500);
	samples_free(&sc.lat);
	samples_free(&sn.lat);
	sc.busy_ns = sn.busy_ns = 0;

	for (r = 0; r < rounds; r++) {
		run(&sc, chunk);
		run(&sn, chunk);
		for (i = 0; i < chunk / 10; i++) {
			t0 = now_ns();
			if (cosi_resource_get(c, BENCH_NS, BENCH_TYPE, "r0", &res))
				die_cosi(c, "resource-get");
			samples_add(&lib, (now_ns() - t0) / 1e3);
			cosi_resource_free(res);
		}
	}
	report(&sc, chunk * rounds);
	report(&sn, chunk * rounds);
	result(1, "cosi", "libcosi_get_rtt_p50", samples_pct(&lib, 50), "us");
	nlmsg_free(sc.m);
	nlmsg_free(sn.m);
	nls_close(&sc.s);
	nls_close(&sn.s);
	cosi_close(c);
	return 0;
}
