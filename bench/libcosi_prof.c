// SPDX-License-Identifier: GPL-2.0
/*
 * libcosi_prof: one libcosi path at a time, for perf (issue 15 B and C):
 * goal 7's entries (type Bench.cosi.dev, one 64-byte string field "v")
 * written or listed the way peer_bench_cosi does, in a fresh network
 * namespace, as root.  With PERF_CTL (and PERF_ACK) naming the fifos of
 * `perf record --delay=-1 --control=fifo:CTL,ACK`, only the measured
 * phase is recorded.
 *
 *   libcosi_prof MODE [N [REPS]]
 *   MODE: put-ack, put-echo  cosi_batch() of N creates in chunks of 1000
 *                            (ack-only, or answered with the resource)
 *         put-write          cosi_write_batch() of as many, ack-only
 *         put-quiet          the same, quiet (nothing answered on success)
 *         list-cb            N entries, then REPS cosi_resource_list_cb()
 *         list               N entries, then REPS cosi_resource_list()
 *         list-fast          N entries, then REPS cosi_list()
 *         dump               N entries, then REPS raw dumps (recvmsg only)
 *
 * Prints "MODE: <rate>/s".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "bench_util.h"

/* COSI_PROF_OLD: built against a libcosi before cosi_list() (1.0.0). */
#ifndef COSI_PROF_OLD
#define COSI_PROF_NEW
#endif

#define TYPE	"Bench.cosi.dev"
#define NS	"prof"
#define CHUNK	1000
#define VAL_LEN	64

static int ctl_fd = -1, ack_fd = -1;

/* Enable or disable perf's events, and wait for its ack. */
static void perf_ctl(const char *cmd)
{
	char buf[16];

	if (ctl_fd < 0)
		return;
	if (write(ctl_fd, cmd, strlen(cmd)) < 0)
		die("perf control: %s", strerror(errno));
	if (ack_fd >= 0 && read(ack_fd, buf, sizeof(buf)) < 0)
		die("perf ack: %s", strerror(errno));
}

static void define(struct cosi *c)
{
	struct cosi_definition *d = cosi_def_new(TYPE);

	if (!d || cosi_def_add_field(d, "v", COSI_FIELD_TYPE_STRING, true))
		die("out of memory");
	if (cosi_definition_set(c, d, NULL))
		die_cosi(c, "definition-set");
	cosi_definition_free(d);
}

/* Creates of ids PREFIX0 .. PREFIX(n-1), in batches of CHUNK. */
static void put(struct cosi *c, const char *prefix, long n, bool ack_only)
{
	struct cosi_batch_op *ops = calloc(CHUNK, sizeof(*ops));
	char val[VAL_LEN + 1], (*ids)[32] = calloc(CHUNK, sizeof(*ids));
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r, .ns = NS, .type = TYPE, .spec = &spec,
		  .ack_only = ack_only);
	long done, i, k;

	memset(val, 'x', VAL_LEN);
	val[VAL_LEN] = '\0';
	if (!ops || !ids || cosi_spec_add_string(&spec, "v", val))
		die("out of memory");
	for (done = 0; done < n; done += k) {
		k = n - done < CHUNK ? n - done : CHUNK;
		for (i = 0; i < k; i++) {
			snprintf(ids[i], sizeof(ids[i]), "%s%07ld", prefix,
				 done + i);
			r.id = ids[i];
			ops[i].msg = cosi_req_msg(c, COSI_CMD_RESOURCE_CREATE,
						  &r);
		}
		if (cosi_batch(c, ops, k))
			die_cosi(c, "batch");
		for (i = 0; i < k; i++) {
			if (ops[i].err.err)
				die("create: %s", strerror(ops[i].err.err));
			cosi_resource_free(ops[i].res);
		}
	}
	cosi_spec_clear(&spec);
	free(ids);
	free(ops);
}

static void count_one(struct cosi_resource *r, void *arg)
{
	(*(long *)arg)++;
	cosi_resource_free(r);
}

#ifdef COSI_PROF_NEW
/* Creates of ids PREFIX0 .. PREFIX(n-1) with cosi_write_batch(). */
static void put_write(struct cosi *c, const char *prefix, long n,
		      bool quiet)
{
	struct cosi_write *w = calloc(CHUNK, sizeof(*w));
	struct cosi_req *r = calloc(CHUNK, sizeof(*r));
	char val[VAL_LEN + 1], (*ids)[32] = calloc(CHUNK, sizeof(*ids));
	struct cosi_spec spec = { 0 };
	long done, i, k;

	memset(val, 'x', VAL_LEN);
	val[VAL_LEN] = '\0';
	if (!w || !r || !ids || cosi_spec_add_string(&spec, "v", val))
		die("out of memory");
	for (done = 0; done < n; done += k) {
		k = n - done < CHUNK ? n - done : CHUNK;
		for (i = 0; i < k; i++) {
			snprintf(ids[i], sizeof(ids[i]), "%s%07ld", prefix,
				 done + i);
			r[i] = (struct cosi_req){ .sz = sizeof(r[i]), .ns = NS,
						  .type = TYPE, .id = ids[i],
						  .spec = &spec,
						  .ack_only = !quiet,
						  .quiet = quiet };
			w[i].cmd = COSI_CMD_RESOURCE_CREATE;
			w[i].req = &r[i];
		}
		if (cosi_write_batch(c, w, k))
			die_cosi(c, "write-batch");
		for (i = 0; i < k; i++)
			if (w[i].err.err)
				die("create: %s", strerror(w[i].err.err));
	}
	cosi_spec_clear(&spec);
	free(ids);
	free(r);
	free(w);
}

static long list_fast(struct cosi *c)
{
	COSI_OPTS(cosi_list_req, q, .ns = NS, .type = TYPE);
	struct cosi_list *l;
	long n;

	if (cosi_list(c, &q, &l))
		die_cosi(c, "list");
	n = l->n;
	cosi_list_free(l);
	return n;
}
#endif

static long list_cb(struct cosi *c)
{
	COSI_OPTS(cosi_list_req, q, .ns = NS, .type = TYPE);
	long n = 0;

	if (cosi_resource_list_cb(c, &q, count_one, &n, NULL))
		die_cosi(c, "list");
	return n;
}

static long list(struct cosi *c)
{
	COSI_OPTS(cosi_list_req, q, .ns = NS, .type = TYPE);
	struct cosi_resources l;
	long n;

	if (cosi_resource_list(c, &q, &l))
		die_cosi(c, "list");
	n = l.n;
	cosi_resources_clear(&l);
	return n;
}

static struct nls dump_sock;
static struct nl_msg *dump_msg;

static long dump(struct cosi *c)
{
	COSI_OPTS(cosi_list_req, q, .ns = NS, .type = TYPE);

	if (!dump_msg) {
		nls_open(&dump_sock, NETLINK_GENERIC, 0);
		dump_msg = nlmsg_alloc_size(4096);
		if (!dump_msg ||
		    !genlmsg_put(dump_msg, NL_AUTO_PORT, NL_AUTO_SEQ,
				 cosi_family(c), 0, NLM_F_DUMP,
				 COSI_CMD_RESOURCE_GET, COSI_FAMILY_VERSION) ||
		    cosi_put_list_req(dump_msg, &q))
			die("out of memory");
	}
	return nls_dump(&dump_sock, dump_msg, NULL);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 10000;
	long reps = argc > 3 ? atol(argv[3]) : 20, i, got;
	long (*fn)(struct cosi *) = NULL;
	uint64_t t0;
	double secs;
	struct cosi *c;

	bench_init("libcosi_prof");
	if (n < 1 || reps < 1)
		die("usage: libcosi_prof MODE [N [REPS]]");
	if (!strcmp(mode, "list-cb"))
		fn = list_cb;
	else if (!strcmp(mode, "list"))
		fn = list;
	else if (!strcmp(mode, "dump"))
		fn = dump;
#ifdef COSI_PROF_NEW
	else if (!strcmp(mode, "list-fast"))
		fn = list_fast;
	else if (!strcmp(mode, "put-write") || !strcmp(mode, "put-quiet"))
		;
#endif
	else if (strcmp(mode, "put-ack") && strcmp(mode, "put-echo"))
		die("usage: libcosi_prof put-ack|put-echo|put-write|put-quiet|list-cb|list|list-fast|dump [N [REPS]]");
	if (getenv("PERF_CTL")) {
		ctl_fd = open(getenv("PERF_CTL"), O_WRONLY);
		if (getenv("PERF_ACK"))
			ack_fd = open(getenv("PERF_ACK"), O_RDONLY);
		if (ctl_fd < 0 || (getenv("PERF_ACK") && ack_fd < 0))
			die("perf fifos: %s", strerror(errno));
	}
	bench_netns();
	c = cosi_open();
	if (!c)
		die("cosi_open: %s", strerror(errno));
	define(c);
	if (!fn) {
		/* A warm-up batch, then the measured ones. */
		put(c, "w", CHUNK, true);
		perf_ctl("enable\n");
		t0 = now_ns();
#ifdef COSI_PROF_NEW
		if (!strcmp(mode, "put-write") ||
		    !strcmp(mode, "put-quiet"))
			put_write(c, "p", n, !strcmp(mode, "put-quiet"));
		else
#endif
		put(c, "p", n, !strcmp(mode, "put-ack"));
		secs = (now_ns() - t0) / 1e9;
		perf_ctl("disable\n");
		printf("%s: %.0f/s (%ld creates in %.2f s)\n", mode, n / secs,
		       n, secs);
		cosi_close(c);
		return 0;
	}
	put(c, "l", n, true);
	if (fn(c) != n)		/* warm up */
		die("%s: wrong count", mode);
	perf_ctl("enable\n");
	t0 = now_ns();
	for (i = 0; i < reps; i++) {
		got = fn(c);
		if (got != n)
			die("%s: %ld entries, expected %ld", mode, got, n);
	}
	secs = (now_ns() - t0) / 1e9;
	perf_ctl("disable\n");
	printf("%s: %.0f/s (%ld x %ld entries in %.2f s)\n", mode,
	       n * reps / secs, reps, n, secs);
	cosi_close(c);
	return 0;
}
