// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-top: live view of cosi.ko from its tracepoints (BPF, CO-RE): resource
 * changes per type and their rate, request latency histograms per command,
 * watch overflows and resyncs.
 *
 *   cosi-top [--interval S] [--duration S] [--netns INODE] [--json]
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cosi_bpf.h"
#include "tool.h"
#include "cosi_top.skel.h"

static const char *const cmd_names[COSI_TOP_NR_CMDS] = {
	[1] = "resource-get", [2] = "resource-create",
	[3] = "resource-update", [4] = "resource-destroy",
	[5] = "resource-teardown", [6] = "finalizer-add",
	[7] = "finalizer-remove", [8] = "definition-set",
	[9] = "definition-get", [10] = "definition-delete",
	[11] = "owner-claim", [12] = "watch", [13] = "watch-stop",
};

#define MAX_TYPES 1024

struct type_stat {
	char type[COSI_TOP_TYPE_LEN];
	struct cosi_top_changes now, prev;
};

static struct type_stat types[MAX_TYPES];
static int n_types;
static struct cosi_top_req reqs[COSI_TOP_NR_CMDS];
static unsigned long long overflows, resyncs;
static bool json;

static unsigned long long total(const struct cosi_top_changes *c)
{
	return c->kinds[1] + c->kinds[2] + c->kinds[3];
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct cosi_top_ev *e = data;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	if (e->kind == COSI_TOP_EV_OVERFLOW) {
		overflows++;
		if (json)
			printf("{\"event\":\"overflow\",\"netns\":%u,\"portid\":%u,\"watch_id\":%u,\"watches\":%u,\"revision\":%llu}\n",
			       e->netns, e->portid, e->watch_id, e->count,
			       e->revision);
		else
			printf("overflow: netns %u portid %u watch %u: %u watch(es) stopped at revision %llu\n",
			       e->netns, e->portid, e->watch_id, e->count,
			       e->revision);
	} else if (e->kind == COSI_TOP_EV_RESYNC) {
		resyncs++;
		if (json)
			printf("{\"event\":\"resync\",\"netns\":%u,\"portid\":%u,\"watch_id\":%u,\"mode\":\"%s\",\"since\":%llu,\"revision\":%llu,\"replayed\":%u}\n",
			       e->netns, e->portid, e->watch_id,
			       e->bootstrap ? "bootstrap" : "replay", e->since,
			       e->revision, e->count);
		else
			printf("resync: netns %u portid %u watch %u: %s since %llu at revision %llu, %u event(s) replayed\n",
			       e->netns, e->portid, e->watch_id,
			       e->bootstrap ? "bootstrap" : "replay", e->since,
			       e->revision, e->count);
	}
	fflush(stdout);
	return 0;
}

static void read_maps(struct cosi_top_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.changes);
	char key[COSI_TOP_TYPE_LEN], next[COSI_TOP_TYPE_LEN];
	void *prev = NULL;
	__u32 cmd;
	int i;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		struct cosi_top_changes c;

		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(fd, key, &c))
			continue;
		for (i = 0; i < n_types; i++)
			if (!strcmp(types[i].type, key))
				break;
		if (i == n_types) {
			if (n_types == MAX_TYPES)
				continue;
			memcpy(types[n_types++].type, key, sizeof(key));
		}
		types[i].now = c;
	}
	fd = bpf_map__fd(skel->maps.requests);
	for (cmd = 0; cmd < COSI_TOP_NR_CMDS; cmd++)
		bpf_map_lookup_elem(fd, &cmd, &reqs[cmd]);
}

static const char *cmd_name(unsigned int cmd)
{
	static char buf[16];

	if (cmd < COSI_TOP_NR_CMDS && cmd_names[cmd])
		return cmd_names[cmd];
	snprintf(buf, sizeof(buf), "cmd-%u", cmd);
	return buf;
}

/* The upper bound of the bucket holding the p-th quantile, in ns. */
static unsigned long long quantile(const struct cosi_top_req *r, double p)
{
	unsigned long long want = (unsigned long long)ceil(r->count * p), n = 0;
	int b;

	for (b = 0; b < COSI_TOP_NR_BUCKETS; b++) {
		n += r->hist[b];
		if (n >= want && n)
			return 1ULL << (b + 1);
	}
	return 0;
}

static void print_interval(double elapsed, double dt)
{
	int i;

	if (json) {
		printf("{\"event\":\"interval\",\"elapsed\":%.3f,\"types\":{", elapsed);
		for (i = 0; i < n_types; i++) {
			const struct type_stat *t = &types[i];

			printf("%s\"%s\":{\"created\":%llu,\"updated\":%llu,\"destroyed\":%llu,\"rate\":%.2f}",
			       i ? "," : "", t->type, t->now.kinds[1],
			       t->now.kinds[2], t->now.kinds[3],
			       (total(&t->now) - total(&t->prev)) / dt);
		}
		printf("},\"overflows\":%llu,\"resyncs\":%llu}\n", overflows,
		       resyncs);
	} else {
		printf("--- %.1f s\n%-32s %9s %9s %9s %10s\n", elapsed, "TYPE",
		       "CREATED", "UPDATED", "DESTROYED", "CHANGES/S");
		for (i = 0; i < n_types; i++) {
			const struct type_stat *t = &types[i];

			printf("%-32s %9llu %9llu %9llu %10.1f\n", t->type,
			       t->now.kinds[1], t->now.kinds[2],
			       t->now.kinds[3],
			       (total(&t->now) - total(&t->prev)) / dt);
		}
		printf("%-20s %8s %7s %10s %10s %10s\n", "REQUEST", "COUNT",
		       "ERRORS", "AVG(us)", "P50<=(us)", "P99<=(us)");
		for (i = 0; i < COSI_TOP_NR_CMDS; i++) {
			const struct cosi_top_req *r = &reqs[i];

			if (!r->count)
				continue;
			printf("%-20s %8llu %7llu %10.1f %10.1f %10.1f\n",
			       cmd_name(i), r->count, r->errors,
			       r->sum_ns / 1e3 / r->count,
			       quantile(r, 0.5) / 1e3, quantile(r, 0.99) / 1e3);
		}
		printf("overflows: %llu  resyncs: %llu\n", overflows, resyncs);
	}
	for (i = 0; i < n_types; i++)
		types[i].prev = types[i].now;
	fflush(stdout);
}

static void print_summary(double elapsed)
{
	int i, b;

	if (json) {
		printf("{\"event\":\"summary\",\"elapsed\":%.3f,\"types\":{", elapsed);
		for (i = 0; i < n_types; i++)
			printf("%s\"%s\":{\"created\":%llu,\"updated\":%llu,\"destroyed\":%llu}",
			       i ? "," : "", types[i].type,
			       types[i].now.kinds[1], types[i].now.kinds[2],
			       types[i].now.kinds[3]);
		printf("},\"requests\":{");
		for (i = 0, b = 0; i < COSI_TOP_NR_CMDS; i++) {
			const struct cosi_top_req *r = &reqs[i];
			int k, first = 1;

			if (!r->count)
				continue;
			printf("%s\"%s\":{\"count\":%llu,\"errors\":%llu,\"sum_ns\":%llu,\"hist\":[",
			       b++ ? "," : "", cmd_name(i), r->count,
			       r->errors, r->sum_ns);
			for (k = 0; k < COSI_TOP_NR_BUCKETS; k++) {
				if (!r->hist[k])
					continue;
				printf("%s{\"ge_ns\":%llu,\"lt_ns\":%llu,\"count\":%llu}",
				       first ? "" : ",", k ? 1ULL << k : 0,
				       1ULL << (k + 1), r->hist[k]);
				first = 0;
			}
			printf("]}");
		}
		printf("},\"overflows\":%llu,\"resyncs\":%llu}\n", overflows,
		       resyncs);
		return;
	}
	printf("=== summary after %.1f s\n", elapsed);
	for (i = 0; i < COSI_TOP_NR_CMDS; i++) {
		const struct cosi_top_req *r = &reqs[i];
		unsigned long long max = 0;
		int lo = -1, hi = 0;

		if (!r->count)
			continue;
		for (b = 0; b < COSI_TOP_NR_BUCKETS; b++) {
			if (!r->hist[b])
				continue;
			if (lo < 0)
				lo = b;
			hi = b;
			if (r->hist[b] > max)
				max = r->hist[b];
		}
		printf("%s: %llu request(s), %llu error(s), latency (ns):\n",
		       cmd_name(i), r->count, r->errors);
		for (b = lo; b >= 0 && b <= hi; b++) {
			char bar[41];
			int w = (int)(r->hist[b] * 40 / max);

			memset(bar, '*', w);
			bar[w] = '\0';
			printf("  %10llu -> %-10llu : %-8llu |%-40s|\n",
			       b ? 1ULL << b : 0, 1ULL << (b + 1), r->hist[b],
			       bar);
		}
	}
	printf("overflows: %llu  resyncs: %llu\n", overflows, resyncs);
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cosi-top [--interval S] [--duration S] [--netns INODE] [--json]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	double interval = 1, duration = 0, start, next;
	struct ring_buffer *rb = NULL;
	struct cosi_top_bpf *skel;
	unsigned long netns = 0;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "i:d:n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || interval <= 0)
				goto bad;
			break;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || duration < 0)
				goto bad;
			break;
		case 'n':
			netns = strtoul(optarg, &end, 0);
			if (*end)
				goto bad;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	skel = cosi_top_bpf__open();
	if (!skel) {
		fprintf(stderr, "cosi-top: cannot open the BPF object\n");
		return 1;
	}
	skel->rodata->filter_netns = netns;
	err = cosi_top_bpf__load(skel);
	if (!err)
		err = cosi_top_bpf__attach(skel);
	rb = tool_ring("cosi-top", err, skel->maps.events, handle_event);
	if (!rb) {
		err = 1;
		goto out;
	}
	tool_catch_signals();
	if (json)
		printf("{\"event\":\"start\",\"netns\":%lu}\n", netns);
	else
		printf("cosi-top: tracing cosi.ko%s; Ctrl-C to stop\n",
		       netns ? " in one netns" : "");
	fflush(stdout);

	start = tool_now();
	next = start + interval;
	while (!tool_stop) {
		double t = tool_now(), wait = next - t;

		if (duration && start + duration < next && start + duration - t < wait)
			wait = start + duration - t;
		if (wait > 0) {
			err = ring_buffer__poll(rb, (int)(wait * 1000) + 1);
			if (err < 0 && err != -EINTR)
				break;
		}
		t = tool_now();
		if (duration && t >= start + duration)
			break;
		if (t >= next) {
			read_maps(skel);
			print_interval(t - start, interval);
			next += interval;
		}
	}
	ring_buffer__consume(rb);
	read_maps(skel);
	print_summary(tool_now() - start);
	err = 0;
out:
	ring_buffer__free(rb);
	cosi_top_bpf__destroy(skel);
	return err ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
