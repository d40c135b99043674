// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 3: batched creates and updates per second.  BATCH messages per
 * sendmsg(), NLM_F_ACK on the last only; a failed one would come back as
 * an NLMSG_ERROR and fails the run.  cosi: resource-create, then
 * resource-update of the same resources (a new spec value); rtnetlink:
 * RTM_NEWROUTE of /32 routes on a dummy link (NLM_F_CREATE|NLM_F_EXCL),
 * then the same routes replaced (NLM_F_REPLACE, another protocol).
 * cosi three times: each write answered with the whole resource (the
 * default), with ack-only (version and revision), and quiet (nothing on
 * success, as a route add without NLM_F_ACK: the batch's last ack only).
 * Building the messages is not timed.  cosi and route batches alternate
 * (TCG on a shared machine drifts), so the totals compare like with like.
 *
 * Env: N (objects per round, default 20000), BATCH (default 64),
 * ROUNDS (default 3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "bench_util.h"

struct ctx {
	struct cosi *c;
	struct nls s;
	int ifindex;
	uint32_t round;
	char type[64];
	char type_ack[64];
	char type_quiet[64];
};

/* Creates, then updates: each of a kind is its create + 1. */
enum op {
	COSI_CREATE, COSI_UPDATE, COSI_ACK_CREATE, COSI_ACK_UPDATE,
	COSI_QUIET_CREATE, COSI_QUIET_UPDATE, RT_CREATE, RT_UPDATE, NR_OPS
};

static const char *const op_sys[NR_OPS] = {
	"cosi", "cosi", "cosi", "cosi", "cosi", "cosi", "rtnetlink",
	"rtnetlink"
};
static const char *const op_metric[NR_OPS] = {
	"creates", "updates", "creates_ack_only", "updates_ack_only",
	"creates_quiet", "updates_quiet", "creates", "updates"
};

/* @m with the flag attribute @attr (ack-only or quiet). */
static struct nl_msg *flag(struct nl_msg *m, int attr)
{
	if (nla_put_flag(m, attr))
		die("flag %d: no room", attr);
	return m;
}

static struct nl_msg *build(struct ctx *x, enum op op, uint32_t i, long n)
{
	uint32_t ri = x->round * n + i;

	switch (op) {
	case COSI_CREATE:
		return bench_cosi_msg(x->c, COSI_CMD_RESOURCE_CREATE, x->type,
				      i, 1);
	case COSI_UPDATE:
		return bench_cosi_msg(x->c, COSI_CMD_RESOURCE_UPDATE, x->type,
				      i, 2);
	case COSI_ACK_CREATE:
		return flag(bench_cosi_msg(x->c, COSI_CMD_RESOURCE_CREATE,
					   x->type_ack, i, 1),
			    COSI_A_RESOURCE_ACK_ONLY);
	case COSI_ACK_UPDATE:
		return flag(bench_cosi_msg(x->c, COSI_CMD_RESOURCE_UPDATE,
					   x->type_ack, i, 2),
			    COSI_A_RESOURCE_ACK_ONLY);
	case COSI_QUIET_CREATE:
		return flag(bench_cosi_msg(x->c, COSI_CMD_RESOURCE_CREATE,
					   x->type_quiet, i, 1),
			    COSI_A_RESOURCE_QUIET);
	case COSI_QUIET_UPDATE:
		return flag(bench_cosi_msg(x->c, COSI_CMD_RESOURCE_UPDATE,
					   x->type_quiet, i, 2),
			    COSI_A_RESOURCE_QUIET);
	case RT_CREATE:
		return rt_route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
				    ri, x->ifindex, RTPROT_STATIC);
	default:
		return rt_route_msg(RTM_NEWROUTE, NLM_F_REPLACE, ri,
				    x->ifindex, RTPROT_BOOT);
	}
}

/* Batch @i..@i+@k-1 of operation @op; its nanoseconds. */
static uint64_t one_batch(struct ctx *x, struct nls *s, enum op op, long i,
			long k, long n)
{
	struct nl_msg *m[1024];
	uint64_t t0, t;
	long j;

	for (j = 0; j < k; j++)
		m[j] = build(x, op, i + j, n);
	t0 = now_ns();
	if (nls_batch(s, m, k))
		die("%s %s: a request of the batch failed", op_sys[op],
		    op_metric[op]);
	t = now_ns() - t0;
	for (j = 0; j < k; j++)
		nlmsg_free(m[j]);
	return t;
}

int main(void)
{
	long n = env_long("N", 20000), batch = env_long("BATCH", 64);
	long rounds = env_long("ROUNDS", 3), r, i, k;
	uint64_t busy[NR_OPS] = { 0 };
	struct nls gs, rs;
	struct ctx x = { 0 };
	int op;

	bench_init("batch_rate");
	if (batch > 1024)
		die("BATCH=%ld: at most 1024 (IOV_MAX)", batch);
	bench_netns();
	x.c = bench_cosi_open();
	nls_open(&gs, NETLINK_GENERIC, 0);
	nls_open(&rs, NETLINK_ROUTE, 0);
	x.ifindex = rt_dummy_add(&rs, "bench0");

	for (r = 0; r < rounds; r++) {
		/* A fresh type (and fresh routes) per round. */
		x.round = r;
		snprintf(x.type, sizeof(x.type), "Batch%ld.bench.cosi.dev", r);
		snprintf(x.type_ack, sizeof(x.type_ack),
			 "BatchAck%ld.bench.cosi.dev", r);
		snprintf(x.type_quiet, sizeof(x.type_quiet),
			 "BatchQuiet%ld.bench.cosi.dev", r);
		bench_cosi_define(x.c, x.type);
		bench_cosi_define(x.c, x.type_ack);
		bench_cosi_define(x.c, x.type_quiet);
		/* Creates, then updates; each kind batch by batch. */
		for (op = 0; op <= 1; op++)
			for (i = 0; i < n; i += k) {
				k = n - i < batch ? n - i : batch;
				busy[COSI_CREATE + op] +=
					one_batch(&x, &gs, COSI_CREATE + op,
						  i, k, n);
				busy[COSI_ACK_CREATE + op] +=
					one_batch(&x, &gs, COSI_ACK_CREATE + op,
						  i, k, n);
				busy[COSI_QUIET_CREATE + op] +=
					one_batch(&x, &gs,
						  COSI_QUIET_CREATE + op,
						  i, k, n);
				busy[RT_CREATE + op] +=
					one_batch(&x, &rs, RT_CREATE + op,
						  i, k, n);
			}
	}
	for (op = 0; op < NR_OPS; op++)
		result(3, op_sys[op], op_metric[op],
		       n * rounds / (busy[op] / 1e9), "/s");
	result(3, "cosi", "batch_size", batch, "msgs");
	nls_close(&gs);
	nls_close(&rs);
	cosi_close(x.c);
	return 0;
}
