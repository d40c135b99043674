// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 6: the cost of one resource-update (a round trip, one in flight)
 * with 0, 1, 100 and 1000 watches on OTHER types in the same network
 * namespace, spread over sockets of 250 watches (the per-socket limit is
 * 256).  Each configuration lives in its own namespace, set up once;
 * short rounds interleave them (TCG on a shared machine drifts by 5-10 %
 * and more) and the median update is reported.  For context, 1000
 * watches on the SAME type whose id filter never matches: those are
 * visited on every update of the type.
 *
 * Env: N (updates per configuration, default 5000), CHUNK (updates per
 * configuration and round, default 50).
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

#include "bench_util.h"

#define PER_SOCK	250
#define OTHER_TYPES	10

struct conf {
	const char *metric;
	int watches;
	bool same_type;
	struct cosi *c;
	struct cosi *w[(1000 + PER_SOCK - 1) / PER_SOCK];
	struct nls s;
	struct samples us;
	uint64_t v;
};

static void setup(struct conf *k)
{
	char type[64], id[32];
	COSI_OPTS(cosi_watch_req, wr, .ns = BENCH_NS);
	struct nl_msg *m;
	int i, t;

	bench_netns();
	k->c = bench_cosi_open();
	nls_open(&k->s, NETLINK_GENERIC, 0);
	m = bench_cosi_msg(k->c, COSI_CMD_RESOURCE_CREATE, BENCH_TYPE, 0, 1);
	if (nls_txn(&k->s, m))
		die("resource-create failed");
	nlmsg_free(m);
	k->v = 1;
	for (t = 0; t < OTHER_TYPES; t++) {
		snprintf(type, sizeof(type), "Other%d.bench.cosi.dev", t);
		bench_cosi_define(k->c, type);
	}
	for (i = 0; i < k->watches; i++) {
		struct cosi **w = &k->w[i / PER_SOCK];

		if (!*w && !(*w = cosi_open()))
			die("cosi_open failed");
		if (k->same_type) {
			snprintf(id, sizeof(id), "nomatch%d", i);
			wr.type = BENCH_TYPE;
			wr.id = id;
		} else {
			snprintf(type, sizeof(type), "Other%d.bench.cosi.dev",
				 i % OTHER_TYPES);
			wr.type = type;
		}
		if (cosi_watch(*w, &wr, NULL, NULL, NULL, NULL))
			die_cosi(*w, "watch");
	}
}

/* @n updates of r0, one in flight; each one's microseconds. */
static void round_trips(struct conf *k, long n)
{
	struct nl_msg *m;
	uint64_t t0;
	long i;

	for (i = 0; i < n; i++) {
		m = bench_cosi_msg(k->c, COSI_CMD_RESOURCE_UPDATE, BENCH_TYPE,
				   0, ++k->v);
		t0 = now_ns();
		if (nls_txn(&k->s, m))
			die("resource-update failed");
		samples_add(&k->us, (now_ns() - t0) / 1e3);
		nlmsg_free(m);
	}
}

int main(void)
{
	long n = env_long("N", 5000), chunk = env_long("CHUNK", 50), r;
	struct conf confs[] = {
		{ .metric = "update_us_w0", .watches = 0 },
		{ .metric = "update_us_w1", .watches = 1 },
		{ .metric = "update_us_w100", .watches = 100 },
		{ .metric = "update_us_w1000", .watches = 1000 },
		{ .metric = "update_us_same1000", .watches = 1000,
		  .same_type = true },
	};
	size_t i, j, nc = sizeof(confs) / sizeof(confs[0]);

	bench_init("watch_scale");
	for (i = 0; i < nc; i++)
		setup(&confs[i]);
	for (i = 0; i < nc; i++) {
		round_trips(&confs[i], chunk);	/* warm up */
		samples_free(&confs[i].us);
	}
	/* Short rounds, each starting with another configuration. */
	for (r = 0; r < n / chunk; r++)
		for (j = 0; j < nc; j++)
			round_trips(&confs[(j + r) % nc], chunk);
	for (i = 0; i < nc; i++)
		result(6, "cosi", confs[i].metric,
		       samples_pct(&confs[i].us, 50), "us");
	return 0;
}
