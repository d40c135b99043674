// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 4: a dump of N resources of one namespace and type (resource-list),
 * in entries per second, the median of RUNS dumps: compact entries (the
 * request's namespace and type and attributes at their default left out,
 * as libcosi asks) and full ones, with the bytes per entry of each.  For
 * context, the rtnetlink dump of as many IPv4 routes (RTM_GETROUTE,
 * AF_INET): both are read raw into the same buffer and only counted, not
 * parsed.
 *
 * Env: N (default 100000), RUNS (default 11).
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "bench_util.h"

/* One dump; returns entries per second, checks the count. */
static double dump(struct nls *s, struct nl_msg *m, size_t want, bool exact,
		   const char *what, size_t *bytes)
{
	uint64_t t0 = now_ns();
	size_t got = nls_dump(s, m, bytes);
	double secs = (now_ns() - t0) / 1e9;

	/* Routes add the local table's few entries. */
	if (exact ? got != want : got < want)
		die("%s dump: %zu entries, expected %zu", what, got, want);
	if (bytes)
		*bytes /= got;
	return got / secs;
}

int main(void)
{
	long n = env_long("N", 100000), runs = env_long("RUNS", 11);
	struct rtmsg rtm = { .rtm_family = AF_INET };
	struct samples sc = { 0 }, sf = { 0 }, sr = { 0 };
	size_t bc, bf, br;
	struct nl_msg *mc, *mf, *mr;
	struct nls gs, rs;
	struct cosi *c;
	long r;
	int ifindex;

	bench_init("dump_rate");
	bench_netns();
	c = bench_cosi_open();
	nls_open(&gs, NETLINK_GENERIC, 0);
	nls_open(&rs, NETLINK_ROUTE, 0);
	ifindex = rt_dummy_add(&rs, "bench0");

	bench_cosi_fill(c, &gs, BENCH_TYPE, 0, n, 256);
	rt_fill(&rs, ifindex, 0, n, 256);

	/* Compact entries (what libcosi asks for), and the full ones. */
	mc = bench_cosi_list_msg(c, BENCH_TYPE);
	mf = bench_cosi_list_msg(c, BENCH_TYPE);
	if (nla_put_flag(mc, COSI_A_RESOURCE_COMPACT))
		die("out of memory");
	mr = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
	if (!mr || nlmsg_append(mr, &rtm, sizeof(rtm), NLMSG_ALIGNTO))
		die("out of memory");
	/* A first dump of each warms up and sizes the entries; rounds interleave. */
	dump(&gs, mc, n, true, "cosi", &bc);
	dump(&gs, mf, n, true, "cosi (full)", &bf);
	dump(&rs, mr, n, false, "route", &br);
	for (r = 0; r < runs; r++) {
		samples_add(&sc, dump(&gs, mc, n, true, "cosi", NULL));
		samples_add(&sf, dump(&gs, mf, n, true, "cosi (full)", NULL));
		samples_add(&sr, dump(&rs, mr, n, false, "route", NULL));
	}
	result(4, "cosi", "dump_entries", samples_pct(&sc, 50), "/s");
	result(4, "cosi", "dump_entries_full", samples_pct(&sf, 50), "/s");
	result(4, "rtnetlink", "dump_entries", samples_pct(&sr, 50), "/s");
	result(4, "cosi", "dump_entry_bytes", bc, "B");
	result(4, "cosi", "dump_entry_bytes_full", bf, "B");
	result(4, "rtnetlink", "dump_entry_bytes", br, "B");
	result(4, "cosi", "dump_size", n, "entries");
	nlmsg_free(mc);
	nlmsg_free(mf);
	nlmsg_free(mr);
	nls_close(&gs);
	nls_close(&rs);
	cosi_close(c);
	return 0;
}
