// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-follow: print one line per change of one resource, from cosi.ko's
 * cosi_resource_change tracepoint (BPF, CO-RE; filtered in the kernel).
 *
 *   cosi-follow [--duration S] [--netns INODE] [--json] NAMESPACE TYPE ID
 *
 * TYPE is the full type name (aliases are resolved by cosictl, not here).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "cosi_bpf.h"
#include "tool.h"
#include "cosi_follow.skel.h"

static const char *const kinds[] = { "?", "created", "updated", "destroyed" };
static const char *const phases[] = { "running", "tearing-down" };
static const char *ns, *type, *id;
static bool json;
static unsigned long count;
static int handle_event(void *ctx, void *data, size_t size)
{
	const struct cosi_follow_ev *e = data;
	const char *kind = e->kind < 4 ? kinds[e->kind] : "?";
	const char *phase = e->phase < 2 ? phases[e->phase] : "?";

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	count++;
	if (json)
		printf("{\"event\":\"%s\",\"namespace\":\"%s\",\"type\":\"%s\",\"id\":\"%s\",\"revision\":%llu,\"version\":%llu,\"phase\":\"%s\",\"netns\":%u,\"ts_ns\":%llu}\n",
		       kind, ns, type, id, e->revision, e->version, phase,
		       e->netns, e->ts_ns);
	else
		printf("rev %-8llu %-9s %s/%s/%s version %llu phase %s netns %u\n",
		       e->revision, kind, ns, type, id, e->version, phase,
		       e->netns);
	fflush(stdout);
	return 0;
}

static int set_str(volatile char *dst, size_t size, const char *src,
		   const char *what)
{
	size_t len = strlen(src);

	if (!len || len >= size) {
		fprintf(stderr, "cosi-follow: bad %s\n", what);
		return -1;
	}
	for (size_t i = 0; i <= len; i++)
		dst[i] = src[i];
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cosi-follow [--duration S] [--netns INODE] [--json] NAMESPACE TYPE ID\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct cosi_follow_bpf *skel;
	struct ring_buffer *rb = NULL;
	double duration = 0, start;
	unsigned long netns = 0;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "d:n:jh", opts, NULL)) != -1) {
		switch (c) {
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
	if (argc - optind != 3)
		goto bad;
	ns = argv[optind];
	type = argv[optind + 1];
	id = argv[optind + 2];

	skel = cosi_follow_bpf__open();
	if (!skel) {
		fprintf(stderr, "cosi-follow: cannot open the BPF object\n");
		return 1;
	}
	if (set_str(skel->rodata->want_ns, sizeof(skel->rodata->want_ns), ns,
		    "namespace") ||
	    set_str(skel->rodata->want_type, sizeof(skel->rodata->want_type),
		    type, "type") ||
	    set_str(skel->rodata->want_id, sizeof(skel->rodata->want_id), id,
		    "id")) {
		cosi_follow_bpf__destroy(skel);
		return 2;
	}
	skel->rodata->filter_netns = netns;
	err = cosi_follow_bpf__load(skel);
	if (!err)
		err = cosi_follow_bpf__attach(skel);
	rb = tool_ring("cosi-follow", err, skel->maps.events, handle_event);
	if (!rb) {
		err = 1;
		goto out;
	}
	tool_catch_signals();
	fprintf(stderr, "cosi-follow: following %s/%s/%s\n", ns, type, id);

	start = tool_now();
	while (!tool_stop) {
		int ms = 200;

		if (duration) {
			double left = start + duration - tool_now();

			if (left <= 0)
				break;
			if (left * 1000 < ms)
				ms = (int)(left * 1000) + 1;
		}
		err = ring_buffer__poll(rb, ms);
		if (err < 0 && err != -EINTR)
			break;
	}
	ring_buffer__consume(rb);
	fprintf(stderr, "cosi-follow: %lu change(s)\n", count);
	err = 0;
out:
	ring_buffer__free(rb);
	cosi_follow_bpf__destroy(skel);
	return err ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
