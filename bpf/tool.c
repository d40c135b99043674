// SPDX-License-Identifier: GPL-2.0
/* Shared by the cosi BPF tools; see tool.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tool.h"

volatile sig_atomic_t tool_stop;

static void tool_on_signal(int sig)
{
	(void)sig;
	tool_stop = 1;
}

void tool_catch_signals(void)
{
	signal(SIGINT, tool_on_signal);
	signal(SIGTERM, tool_on_signal);
}

double tool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct ring_buffer *tool_ring(const char *tool, int err,
			      const struct bpf_map *events,
			      ring_buffer_sample_fn fn)
{
	struct ring_buffer *rb;

	if (err) {
		/* The tracepoints' BTF comes with cosi.ko. */
		fprintf(stderr, "%s: cannot load or attach (is cosi.ko loaded, with BTF?): %s\n",
			tool, strerror(-err));
		return NULL;
	}
	rb = ring_buffer__new(bpf_map__fd(events), fn, NULL, NULL);
	if (!rb)
		fprintf(stderr, "%s: ring buffer: %s\n", tool, strerror(errno));
	return rb;
}
