/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Runtime internals shared by runtime.c (registration, watches,
 * scheduling), queue.c (queue controllers' keys) and outputs.c (reads,
 * writes, output tracking, finalizers, rate limit).
 *
 * Everything here is touched from the one sd-event thread only.
 */
#ifndef _COSID_RUNTIME_INTERNAL_H
#define _COSID_RUNTIME_INTERNAL_H

#include "runtime.h"
#include "cosi_opts.h"

/* A key of a queue controller: one resource, queued at most once. */
struct cosi_qkey {
	char *key;			/* "ns/type/id", the tree's key */
	char *ns, *type, *id;
	bool queued;			/* in the FIFO */
	bool busy;			/* being reconciled right now */
	bool again;			/* queued while busy: run once more */
	unsigned int backoff_ms;	/* per-key, after failures */
	sd_event_source *timer;		/* requeue timer */
	struct cosi_qkey *next;		/* FIFO link */
	struct cosi_ctl *ctl;
};

/* A namespace the controller's outputs of one type were written to. */
struct cosi_out_ns {
	char *type;
	char *ns;
	struct cosi_out_ns *next;
};

struct cosi_ctl {
	struct cosi_runtime *rt;
	struct cosi_controller c;	/* a copy of the registration */
	void *data;
	struct cosi *conn;		/* claims c.name */
	struct cosi_ctl_stats stats;

	bool due;			/* wake-up pending */
	bool in_backoff;		/* failed; the backoff timer is armed */
	sd_event_source *backoff_timer;
	sd_event_source *wake_timer;
	uint64_t wake_at;		/* usec, CLOCK_MONOTONIC; 0: none */
	sd_event_source **fds;
	size_t n_fds;

	/* Queue controllers. */
	void *keys;			/* tsearch() tree of struct cosi_qkey */
	struct cosi_qkey *qhead, **qtail;
	size_t queued;

	/*
	 * What this controller last wrote of each output: tsearch() tree of
	 * struct cosi_written, keyed "ns/type/id".  Entries come with a
	 * write's reply (or a read that found ours equal) and go with the
	 * output's cosi_ctl_destroy(), a failed write or the controller:
	 * at most one per output of ours it applied.  An output destroyed
	 * otherwise (cosi_resource_destroy() on cosi_ctl_conn()) keeps its
	 * entry until its id is applied again.
	 */
	void *written;

	/* Output tracking. */
	bool tracking;
	void *touched;			/* tsearch() tree of "ns/type/id" */
	struct cosi_out_ns *out_ns;
	bool default_ns_noted;		/* definitions' default ns added */

	/* Write rate limit: a token bucket. */
	double tokens;
	uint64_t refilled_at;		/* usec */
	bool throttled;			/* a write was refused this run */

	struct cosi_ctl *next;
};

struct cosi_rt_watch {
	char *ns;
	char *type;
	bool live;			/* in the stream (started once) */
};

struct cosi_runtime {
	sd_event *event;
	struct cosi_runtime_opts o;
	struct cosi *wconn;		/* input watches */
	struct cosi_stream *stream;
	sd_event_source *wsrc;		/* wconn readable */
	sd_event_source *defer;		/* runs due controllers */
	sd_event_source *rewatch_timer;	/* restarts broken watches */
	unsigned int rewatch_ms;	/* their backoff; 0 when healthy */
	bool rewatch_due;		/* no timer: restart on the next pass */
	struct cosi_rt_watch *watches;
	size_t n_watches;
	struct cosi_ctl *ctls, **ctls_tail;
	bool started;
	uint64_t resyncs;
	uint64_t seen_resumes;		/* stream's resumes already counted */
	int family;			/* the cosi family's id at registration */
	bool gone;			/* it was unregistered: loop ended */
	unsigned int seed;		/* rand_r() state, for jitter */
	struct cosi_ctl *observer;	/* woken after the others' runs */
	unsigned int observe_ms;	/* ... at most once per this */
};

/* runtime.c */
/*
 * The ABI check of a caller-built struct into the library's *@dst
 * (cosi_opts.h), its message logged: 0, -EINVAL or -E2BIG.
 */
int cosi_rt_opts_copy(void *dst, size_t dst_sz, const void *src,
		      const char *name);
#define COSI_RT_OPTS_COPY(dst, src, name)				\
	cosi_rt_opts_copy((dst), sizeof(*(dst)), (src), (name))
void cosi_rt_kick(struct cosi_runtime *rt);
uint64_t cosi_rt_now(const struct cosi_runtime *rt);
int cosi_rt_timer(struct cosi_runtime *rt, sd_event_source **src,
		  uint64_t at, sd_event_time_handler_t fn, void *data);
unsigned int cosi_rt_next_backoff(const struct cosi_runtime *rt,
				  unsigned int cur);
uint64_t cosi_rt_jittered(struct cosi_runtime *rt, unsigned int ms);
void cosi_rt_ran(struct cosi_ctl *ctl);

/* queue.c */
bool cosi_queue_pending(const struct cosi_ctl *ctl);
void cosi_queue_run(struct cosi_ctl *ctl);
void cosi_queue_free(struct cosi_ctl *ctl);

/* outputs.c */
/*
 * cosi_ctl_apply() when the caller has just read the output (@known, or
 * NULL: absent; @have_known) and nothing but a retry needs to read it
 * again.
 */
int cosi_ctl_apply_known(struct cosi_ctl *ctl, const char *ns,
			 const char *type, const char *id,
			 const struct cosi_kvs *labels,
			 const struct cosi_spec *spec,
			 const struct cosi_resource *known, bool have_known);
bool cosi_ctl_take_token(struct cosi_ctl *ctl);
uint64_t cosi_ctl_token_eta(struct cosi_ctl *ctl);
void cosi_ctl_outputs_free(struct cosi_ctl *ctl);

#endif /* _COSID_RUNTIME_INTERNAL_H */
