/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cosi-top and cosi-follow share around their skeletons: the stop
 * signals, a monotonic clock, and attaching with a ring buffer, with the
 * one-line errors an operator can act on.
 */
#ifndef COSI_BPF_TOOL_H
#define COSI_BPF_TOOL_H

#include <signal.h>

#include <bpf/libbpf.h>

/* Set by SIGINT and SIGTERM once tool_catch_signals() ran. */
extern volatile sig_atomic_t tool_stop;

void tool_catch_signals(void);
double tool_now(void);

/*
 * After a skeleton's load (and attach, when that ran): @err is their
 * result.  On success, a ring buffer on @events calling @fn; on failure
 * NULL, having said why on stderr as @tool.
 */
struct ring_buffer *tool_ring(const char *tool, int err,
			      const struct bpf_map *events,
			      ring_buffer_sample_fn fn);

#endif /* COSI_BPF_TOOL_H */
