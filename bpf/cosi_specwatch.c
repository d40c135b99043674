// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-specwatch: print the spec fields of each changed resource of one
 * type, read by a BPF program at cosi.ko's cosi_resource_change
 * tracepoint with the kfuncs (no syscall reads the resource).
 *
 *   cosi-specwatch [--duration S] TYPE FIELD...
 *
 * TYPE is the full type name; up to 8 fields.  One line per change:
 * "NS/TYPE/ID version V FIELD=VALUE ...", or "NS/TYPE/ID gone" when the
 * change destroyed it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <linux/cosi_bpf.h>
#include "cosi_specwatch.h"
#include "tool.h"
#include "cosi_specwatch.skel.h"

static char **names;
static int nr_names;

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct specwatch_ev *e = data;
	int i;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	printf("%s/%s/%s", e->key.ns, e->key.type, e->key.id);
	if (e->error) {
		if (e->error == -ENOENT)
			printf(" gone\n");
		else if (e->error == -EXDEV)
			printf(" changed from another netns: not read\n");
		else
			printf(" error %d\n", e->error);
		fflush(stdout);
		return 0;
	}
	printf(" version %llu", e->version);
	for (i = 0; i < nr_names; i++) {
		switch (e->kind[i]) {
		case SPECWATCH_STR:
			printf(" %s=%s", names[i], e->str[i]);
			break;
		case SPECWATCH_STR_CUT:
			printf(" %s=%s...", names[i], e->str[i]);
			break;
		case SPECWATCH_U64:
			printf(" %s=%llu", names[i], e->num[i]);
			break;
		case SPECWATCH_S64:
			printf(" %s=%lld", names[i], (long long)e->num[i]);
			break;
		case SPECWATCH_BOOL:
			printf(" %s=%s", names[i], e->num[i] ? "true" : "false");
			break;
		}
	}
	printf("\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{}
	};
	struct cosi_specwatch_bpf *skel;
	struct ring_buffer *rb = NULL;
	double duration = 0, start;
	int c, err, i;
	char *end;

	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c != 'd')
			goto bad;
		duration = strtod(optarg, &end);
		if (*end || duration < 0)
			goto bad;
	}
	nr_names = argc - optind - 1;
	if (nr_names < 1 || nr_names > SPECWATCH_FIELDS)
		goto bad;
	names = argv + optind + 1;

	skel = cosi_specwatch_bpf__open();
	if (!skel) {
		fprintf(stderr, "cosi-specwatch: cannot open the BPF object\n");
		return 1;
	}
	if (strlen(argv[optind]) >= sizeof(skel->rodata->want_type)) {
		fprintf(stderr, "cosi-specwatch: type name too long\n");
		goto bad_destroy;
	}
	strcpy((char *)skel->rodata->want_type, argv[optind]);
	for (i = 0; i < nr_names; i++) {
		if (!*names[i] || strlen(names[i]) >= SPECWATCH_NAME_LEN) {
			fprintf(stderr, "cosi-specwatch: bad field name: %s\n",
				names[i]);
			goto bad_destroy;
		}
		strcpy((char *)skel->rodata->fields[i], names[i]);
	}
	skel->rodata->nr_fields = nr_names;
	err = cosi_specwatch_bpf__load(skel);
	if (!err)
		err = cosi_specwatch_bpf__attach(skel);
	rb = tool_ring("cosi-specwatch", err, skel->maps.events, handle_event);
	if (!rb) {
		err = 1;
		goto out;
	}
	tool_catch_signals();
	fprintf(stderr, "cosi-specwatch: watching %s\n", argv[optind]);
	start = tool_now();
	while (!tool_stop && (!duration || tool_now() - start < duration)) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "cosi-specwatch: ring buffer: %s\n",
				strerror(-err));
			break;
		}
		err = 0;
	}
out:
	ring_buffer__free(rb);
	cosi_specwatch_bpf__destroy(skel);
	return err ? 1 : 0;
bad_destroy:
	cosi_specwatch_bpf__destroy(skel);
	return 2;
bad:
	fprintf(stderr, "usage: cosi-specwatch [--duration S] TYPE FIELD...\n");
	return 2;
}
