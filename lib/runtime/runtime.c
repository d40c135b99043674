// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The controller runtime: registration, the shared input watches, and
 * scheduling (wake-ups, backoff, timers, watched fds).  See runtime.h for
 * the model.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/internal.h"

#define USEC_PER_MSEC	1000ULL

static void cosi_rt_event(struct cosi_event *ev, void *arg);
static int cosi_rt_rewatch(struct cosi_runtime *rt);
static void cosi_rt_rewatch_later(struct cosi_runtime *rt);

uint64_t cosi_rt_now(const struct cosi_runtime *rt)
{
	uint64_t now = 0;

	sd_event_now(rt->event, CLOCK_MONOTONIC, &now);
	return now;
}

/* (Re)arm a one-shot monotonic timer at @at usec. */
int cosi_rt_timer(struct cosi_runtime *rt, sd_event_source **src,
		  uint64_t at, sd_event_time_handler_t fn, void *data)
{
	int err;

	if (*src) {
		err = sd_event_source_set_time(*src, at);
		if (!err)
			err = sd_event_source_set_enabled(*src,
							  SD_EVENT_ONESHOT);
		return err;
	}
	return sd_event_add_time(rt->event, src, CLOCK_MONOTONIC, at, 0, fn,
				 data);
}

unsigned int cosi_rt_next_backoff(const struct cosi_runtime *rt,
				  unsigned int cur)
{
	double next = cur ? cur * rt->o.backoff_factor
			  : rt->o.backoff_initial_ms;

	return next > rt->o.backoff_max_ms ? rt->o.backoff_max_ms
					   : (unsigned int)next;
}

/*
 * When (usec, monotonic) a retry after @ms is due: @ms plus up to a
 * quarter more at random, so that retries of many controllers (or
 * daemons) that failed together do not stay in lockstep.  Never less
 * than @ms: the backoff is a minimum.
 */
uint64_t cosi_rt_jittered(struct cosi_runtime *rt, unsigned int ms)
{
	uint64_t us = ms * USEC_PER_MSEC;

	if (us >= 4)
		us += rand_r(&rt->seed) % (us / 4);
	return cosi_rt_now(rt) + us;
}

/* Make the defer source run the due controllers on the next iteration. */
void cosi_rt_kick(struct cosi_runtime *rt)
{
	if (rt->defer)
		sd_event_source_set_enabled(rt->defer, SD_EVENT_ONESHOT);
}

void cosi_ctl_wake(struct cosi_ctl *ctl)
{
	if (ctl->c.reconcile)
		return;		/* queue controllers run per key only */
	ctl->due = true;
	if (!ctl->in_backoff)
		cosi_rt_kick(ctl->rt);
}

static int cosi_ctl_wake_timer(sd_event_source *s, uint64_t usec, void *data)
{
	struct cosi_ctl *ctl = data;

	(void)s;
	(void)usec;
	ctl->wake_at = 0;
	cosi_ctl_wake(ctl);
	return 0;
}

int cosi_ctl_wake_after(struct cosi_ctl *ctl, uint64_t ms)
{
	uint64_t at = cosi_rt_now(ctl->rt) + ms * USEC_PER_MSEC;

	if (ctl->wake_at && ctl->wake_at <= at)
		return 0;
	ctl->wake_at = at;
	return cosi_rt_timer(ctl->rt, &ctl->wake_timer, at,
			     cosi_ctl_wake_timer, ctl);
}

static int cosi_ctl_backoff_timer(sd_event_source *s, uint64_t usec,
				  void *data)
{
	struct cosi_ctl *ctl = data;

	(void)s;
	(void)usec;
	ctl->in_backoff = false;
	cosi_ctl_wake(ctl);
	return 0;
}

/*
 * Run the controller again at @at; when no timer can be armed, on the
 * next pass instead (never lose the controller).
 */
static void cosi_ctl_retry_at(struct cosi_ctl *ctl, uint64_t at)
{
	if (cosi_rt_timer(ctl->rt, &ctl->backoff_timer, at,
			  cosi_ctl_backoff_timer, ctl) >= 0) {
		ctl->in_backoff = true;
		return;
	}
	ctl->in_backoff = false;
	ctl->due = true;
	cosi_rt_kick(ctl->rt);
}

/*
 * @ctl ran: its counters moved, so the observer is due, after a delay
 * that coalesces the runs meanwhile.  Not after the observer's own run,
 * which would wake it forever.
 */
void cosi_rt_ran(struct cosi_ctl *ctl)
{
	struct cosi_ctl *obs = ctl->rt->observer;

	if (obs && obs != ctl &&
	    cosi_ctl_wake_after(obs, ctl->rt->observe_ms) < 0)
		cosi_ctl_wake(obs);
}

/* One run of a run controller, and what its result means. */
static void cosi_ctl_run(struct cosi_ctl *ctl)
{
	struct cosi_runtime *rt = ctl->rt;
	size_t i;
	int err;

	ctl->due = false;
	ctl->throttled = false;
	ctl->tracking = false;
	ctl->stats.runs++;
	err = ctl->c.run(ctl);
	ctl->tracking = false;
	cosi_rt_ran(ctl);
	for (i = 0; i < ctl->n_fds; i++)
		sd_event_source_set_enabled(ctl->fds[i], SD_EVENT_ONESHOT);
	if (err == -EAGAIN && ctl->throttled) {
		/* Out of write tokens: not a failure, come back for more. */
		cosi_ctl_retry_at(ctl, cosi_ctl_token_eta(ctl));
		return;
	}
	ctl->stats.last_error = err < 0 ? -err : 0;
	if (err >= 0) {
		ctl->stats.backoff_ms = 0;
		return;
	}
	ctl->stats.failures++;
	ctl->stats.backoff_ms = cosi_rt_next_backoff(rt, ctl->stats.backoff_ms);
	cosi_ctl_log(ctl, "run failed: %s; retrying in %u ms", strerror(-err),
		     ctl->stats.backoff_ms);
	cosi_ctl_retry_at(ctl, cosi_rt_jittered(rt, ctl->stats.backoff_ms));
}

/* The defer source: run every controller that is due, in registration order. */
static int cosi_rt_dispatch(sd_event_source *s, void *data)
{
	struct cosi_runtime *rt = data;
	struct cosi_ctl *ctl;
	bool more = false;

	(void)s;
	if (rt->rewatch_due) {
		rt->rewatch_due = false;
		cosi_rt_rewatch(rt);
	}
	for (ctl = rt->ctls; ctl; ctl = ctl->next) {
		if (ctl->in_backoff)
			continue;
		if (ctl->c.reconcile)
			cosi_queue_run(ctl);
		else if (ctl->due)
			cosi_ctl_run(ctl);
	}
	for (ctl = rt->ctls; ctl; ctl = ctl->next)
		if (!ctl->in_backoff &&
		    (ctl->due || (ctl->c.reconcile && cosi_queue_pending(ctl))))
			more = true;
	if (rt->rewatch_due)
		more = true;
	if (more)
		cosi_rt_kick(rt);
	return 0;
}

/* Whether @in wants to hear of @r (@destroyed: @r is gone). */
static bool cosi_input_matches(const struct cosi_input *in,
			       const struct cosi_resource *r, bool destroyed)
{
	if (strcmp(in->ns, r->ns) || strcmp(in->type, r->type))
		return false;
	if (in->id && strcmp(in->id, r->id))
		return false;
	if (in->kind == COSI_INPUT_DESTROY_READY)
		return !destroyed && r->phase == COSI_PHASE_TEARING_DOWN &&
		       !r->finalizers.n;
	return true;
}

static void cosi_rt_event(struct cosi_event *ev, void *arg)
{
	struct cosi_runtime *rt = arg;
	struct cosi_ctl *ctl;
	size_t i;

	if (ev->kind == COSI_EVENT_KIND_BOOTSTRAPPED)
		goto out;
	for (ctl = rt->ctls; ctl; ctl = ctl->next) {
		for (i = 0; i < ctl->c.n_inputs; i++)
			if (cosi_input_matches(&ctl->c.inputs[i], ev->res,
					       ev->kind ==
					       COSI_EVENT_KIND_DESTROYED))
				break;
		if (i == ctl->c.n_inputs)
			continue;
		ctl->stats.wakeups++;
		if (ctl->c.reconcile)
			cosi_ctl_queue(ctl, ev->res->ns, ev->res->type,
				       ev->res->id);
		else
			cosi_ctl_wake(ctl);
	}
out:
	cosi_event_free(ev);
}

static void cosi_rt_wake_all(struct cosi_runtime *rt)
{
	struct cosi_ctl *ctl;

	for (ctl = rt->ctls; ctl; ctl = ctl->next)
		if (ctl->c.run)
			cosi_ctl_wake(ctl);
}

/*
 * The runtime's own lines on stderr (the journal under systemd), named
 * after the program that links the library: "cosid: runtime: ...".
 */
static void rt_vlog(const char *who, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, who,
		buf);
}

static void __attribute__((format(printf, 1, 2))) rt_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vlog("runtime", fmt, ap);
	va_end(ap);
}

/* The ABI check of a caller-built struct (cosi_opts.h), logged. */
int cosi_rt_opts_copy(void *dst, size_t dst_sz, const void *src,
		      const char *name)
{
	char msg[256];
	int err = cosi_opts_copy(dst, dst_sz, src, name, msg, sizeof(msg));

	if (err)
		rt_log("%s", msg);
	return err;
}

/*
 * cosi.ko was unloaded: every socket, claim and watch of ours is dead and
 * the store (definitions included) went with it.  Nothing here can heal
 * that; end the loop and let the daemon start over (cosi_runtime_gone()).
 */
static void cosi_rt_gone(struct cosi_runtime *rt)
{
	if (rt->gone)
		return;
	rt->gone = true;
	rt_log("the cosi family went away (cosi.ko unloaded?); stopping the controllers");
	if (rt->wsrc)
		sd_event_source_set_enabled(rt->wsrc, SD_EVENT_OFF);
	if (rt->rewatch_timer)
		sd_event_source_set_enabled(rt->rewatch_timer, SD_EVENT_OFF);
	sd_event_exit(rt->event, 0);
}

static int cosi_rt_rewatch_timer(sd_event_source *s, uint64_t usec,
				 void *data)
{
	(void)s;
	(void)usec;
	cosi_rt_rewatch(data);
	return 0;
}

/*
 * The watches are broken (or one could not start): stop reading them and
 * restart them all after a backoff that grows like a controller's
 * (initial, x factor, up to the cap; jittered), reset once they work.
 */
static void cosi_rt_rewatch_later(struct cosi_runtime *rt)
{
	rt->rewatch_ms = cosi_rt_next_backoff(rt, rt->rewatch_ms);
	if (rt->wsrc)
		sd_event_source_set_enabled(rt->wsrc, SD_EVENT_OFF);
	if (cosi_rt_timer(rt, &rt->rewatch_timer,
			  cosi_rt_jittered(rt, rt->rewatch_ms),
			  cosi_rt_rewatch_timer, rt) < 0) {
		/* Never left without a way back: the next pass restarts. */
		rt->rewatch_due = true;
		cosi_rt_kick(rt);
	}
}

/* Deliver what the watch socket holds; recover when the stream broke. */
static void cosi_rt_drain(struct cosi_runtime *rt)
{
	const struct cosi_stream_stats *st;
	int n;

	if (!rt->stream || rt->rewatch_ms)
		return;		/* down; the rewatch timer brings it back */
	do
		n = cosi_stream_dispatch(rt->stream, 0);
	while (n > 0);
	st = cosi_stream_stats(rt->stream);
	if (st->resumes != rt->seen_resumes) {
		/* Overflow: events were replayed; reconcile everything too. */
		rt->resyncs += st->resumes - rt->seen_resumes;
		rt->seen_resumes = st->resumes;
		rt_log("input watches overflowed, resumed (%llu bootstraps)",
			(unsigned long long)st->bootstraps);
		cosi_rt_wake_all(rt);
	}
	if (n < 0 && cosi_family_gone(rt->wconn)) {
		cosi_rt_gone(rt);
	} else if (n < 0) {
		rt_log("input watches broke: %s; restarting them",
			strerror(-n));
		cosi_rt_rewatch_later(rt);
	}
}

static int cosi_rt_readable(sd_event_source *s, int fd, uint32_t revents,
			    void *data)
{
	(void)s;
	(void)fd;
	(void)revents;
	cosi_rt_drain(data);
	return 0;
}

static int cosi_rt_watch_add(struct cosi_runtime *rt, const char *ns,
			     const char *type)
{
	struct cosi_rt_watch *v;
	size_t i;
	int err;

	for (i = 0; i < rt->n_watches; i++)
		if (!strcmp(rt->watches[i].ns, ns) &&
		    !strcmp(rt->watches[i].type, type))
			return 0;
	v = realloc(rt->watches, (rt->n_watches + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rt->watches = v;
	v[rt->n_watches].ns = strdup(ns);
	v[rt->n_watches].type = strdup(type);
	if (!v[rt->n_watches].ns || !v[rt->n_watches].type) {
		free(v[rt->n_watches].ns);
		free(v[rt->n_watches].type);
		return -ENOMEM;
	}
	v[rt->n_watches].live = false;
	rt->n_watches++;
	/* Down (not started, or waiting to restart): the restart adds it. */
	if (!rt->stream || rt->rewatch_ms)
		return 0;
	err = cosi_stream_add(rt->stream, ns, type, NULL);
	if (err) {
		/* Not the controller's fault: all watches restart later. */
		rt_log("watch %s/%s: %s; retrying",
			ns, type, cosi_strerror(rt->wconn, "watch"));
		cosi_rt_rewatch_later(rt);
		return 0;
	}
	v[rt->n_watches - 1].live = true;
	return 0;
}

/*
 * Open the watch socket and start every watch (at start, or to recover).
 * A stream that already ran moves to the new socket and resumes from
 * where it was (cosi_stream_reopen()), so the events of the gap, and the
 * resources that vanished in it, reach the controllers as if nothing had
 * happened.  On failure the restart is retried after a backoff.
 */
static int cosi_rt_rewatch(struct cosi_runtime *rt)
{
	struct cosi *old = rt->wconn;
	size_t i;
	int err;

	sd_event_source_disable_unref(rt->wsrc);
	rt->wsrc = NULL;
	rt->wconn = cosi_open();
	cosi_close(old);
	err = rt->wconn ? 0 : -errno;
	/* No family, or a new one: the module went away meanwhile. */
	if (rt->family && (err == -ENOENT ||
			   (!err && cosi_family(rt->wconn) != rt->family))) {
		cosi_rt_gone(rt);
		return -ENOENT;
	}
	if (!err && rt->o.watch_rcvbuf)
		cosi_set_rcvbuf(rt->wconn, rt->o.watch_rcvbuf);
	if (!err && !rt->stream) {
		rt->stream = cosi_stream_new(rt->wconn, cosi_rt_event, rt);
		err = rt->stream ? 0 : -ENOMEM;
	} else if (!err) {
		err = cosi_stream_reopen(rt->stream, rt->wconn);
		if (err)
			rt_log("resuming the watches: %s",
				cosi_strerror(rt->wconn, "watch"));
	}
	if (!err)
		err = sd_event_add_io(rt->event, &rt->wsrc, cosi_fd(rt->wconn),
			      EPOLLIN, cosi_rt_readable, rt);
	for (i = 0; !err && i < rt->n_watches; i++) {
		if (rt->watches[i].live)
			continue;
		err = cosi_stream_add(rt->stream, rt->watches[i].ns,
				      rt->watches[i].type, NULL);
		if (err)
			rt_log("watch %s/%s: %s",
				rt->watches[i].ns, rt->watches[i].type,
				cosi_strerror(rt->wconn, "watch"));
		else
			rt->watches[i].live = true;
	}
	if (err) {
		if (!rt->wconn || !rt->stream)
			rt_log("cannot open the watch socket: %s",
				strerror(-err));
		cosi_rt_rewatch_later(rt);
		return err;
	}
	if (rt->rewatch_ms)
		rt_log("input watches restarted");
	rt->rewatch_ms = 0;
	cosi_rt_wake_all(rt);
	/* Events read while bootstrapping are queued in the handle. */
	cosi_rt_drain(rt);
	return 0;
}

struct cosi_runtime *cosi_runtime_new(sd_event *event,
				      const struct cosi_runtime_opts *opts)
{
	struct cosi_runtime *rt = calloc(1, sizeof(*rt));
	int err;

	if (!rt)
		return NULL;
	err = opts ? COSI_RT_OPTS_COPY(&rt->o, opts, "cosi_runtime_opts") : 0;
	if (err) {
		free(rt);
		errno = -err;
		return NULL;
	}
	if (!rt->o.backoff_initial_ms)
		rt->o.backoff_initial_ms = 500;
	if (!rt->o.backoff_max_ms)
		rt->o.backoff_max_ms = 60000;
	if (rt->o.backoff_factor < 1.0)
		rt->o.backoff_factor = 1.5;
	if (rt->o.write_rate <= 0)
		rt->o.write_rate = 1000;
	if (!rt->o.write_burst)
		rt->o.write_burst = 1000;
	rt->event = sd_event_ref(event);
	rt->ctls_tail = &rt->ctls;
	rt->seed = (unsigned int)getpid() ^ (unsigned int)cosi_rt_now(rt);
	if (sd_event_add_defer(event, &rt->defer, cosi_rt_dispatch, rt) < 0) {
		sd_event_unref(rt->event);
		free(rt);
		return NULL;
	}
	sd_event_source_set_enabled(rt->defer, SD_EVENT_OFF);
	return rt;
}

static bool cosi_outputs_clash(const struct cosi_controller *a,
			       const struct cosi_controller *b)
{
	size_t i, j;

	for (i = 0; i < a->n_outputs; i++)
		for (j = 0; j < b->n_outputs; j++)
			if (!strcmp(a->outputs[i].type, b->outputs[j].type) &&
			    (a->outputs[i].kind == COSI_OUTPUT_EXCLUSIVE ||
			     b->outputs[j].kind == COSI_OUTPUT_EXCLUSIVE))
				return true;
	return false;
}

static void cosi_ctl_free(struct cosi_ctl *ctl)
{
	size_t i;

	for (i = 0; i < ctl->n_fds; i++)
		sd_event_source_disable_unref(ctl->fds[i]);
	free(ctl->fds);
	sd_event_source_disable_unref(ctl->backoff_timer);
	sd_event_source_disable_unref(ctl->wake_timer);
	cosi_queue_free(ctl);
	cosi_ctl_outputs_free(ctl);
	cosi_close(ctl->conn);
	free(ctl);
}

/*
 * A queue controller registered after start: the shared watch of its
 * inputs may have delivered the present resources long ago, so queue
 * their keys from a list (duplicates of a new watch's bootstrap cost
 * nothing: a key is queued once).
 */
static int cosi_queue_present(struct cosi_ctl *ctl)
{
	struct cosi_resources l = { 0 };
	const struct cosi_input *in;
	size_t i, j, k;
	int err = 0;

	for (i = 0; !err && i < ctl->c.n_inputs; i++) {
		in = &ctl->c.inputs[i];
		/* The same (ns, type) listed once, for its first input. */
		for (j = 0; j < i; j++)
			if (!strcmp(ctl->c.inputs[j].ns, in->ns) &&
			    !strcmp(ctl->c.inputs[j].type, in->type))
				break;
		if (j < i)
			continue;
		err = cosi_ctl_list(ctl, in->ns, in->type, &l);
		if (err == -ENOENT) {	/* type not defined (yet) */
			err = 0;
			continue;
		}
		for (k = 0; !err && k < l.n; k++)
			for (j = 0; j < ctl->c.n_inputs; j++)
				if (cosi_input_matches(&ctl->c.inputs[j],
						       l.v[k], false)) {
					err = cosi_ctl_queue(ctl, l.v[k]->ns,
							     l.v[k]->type,
							     l.v[k]->id);
					break;
				}
		cosi_resources_clear(&l);
	}
	if (err)
		cosi_ctl_log(ctl, "listing its inputs: %s", strerror(-err));
	return err;
}

int cosi_runtime_register(struct cosi_runtime *rt,
			  const struct cosi_controller *decl, void *data,
			  struct cosi_ctl **out)
{
	struct cosi_ctl *ctl, *o, **prev;
	struct cosi_controller copy, *c = &copy;
	size_t i;
	int err;

	err = COSI_RT_OPTS_COPY(&copy, decl, "cosi_controller");
	if (err)
		return err;
	if (!c->name || !!c->run == !!c->reconcile)
		return -EINVAL;
	for (o = rt->ctls; o; o = o->next) {
		if (!strcmp(o->c.name, c->name))
			return -EEXIST;
		if (cosi_outputs_clash(&o->c, c)) {
			rt_log("%s: an output type is exclusive to %s",
				c->name, o->c.name);
			return -EBUSY;
		}
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->rt = rt;
	ctl->c = *c;
	ctl->data = data;
	ctl->qtail = &ctl->qhead;
	ctl->tokens = rt->o.write_burst;
	ctl->refilled_at = cosi_rt_now(rt);
	ctl->conn = cosi_open();
	if (!ctl->conn) {
		err = -errno;
		goto fail;
	}
	if (!rt->family)
		rt->family = cosi_family(ctl->conn);
	err = cosi_owner_claim(ctl->conn, c->name);
	if (err) {
		rt_log("%s", cosi_strerror(ctl->conn, c->name));
		goto fail;
	}
	if (c->init) {
		err = c->init(ctl);
		if (err)
			goto fail;
	}
	*rt->ctls_tail = ctl;
	rt->ctls_tail = &ctl->next;
	for (i = 0; i < c->n_inputs; i++) {
		err = cosi_rt_watch_add(rt, c->inputs[i].ns, c->inputs[i].type);
		if (err)
			goto unlink;
	}
	if (rt->started && c->run)
		cosi_ctl_wake(ctl);
	if (rt->started && c->reconcile) {
		err = cosi_queue_present(ctl);
		if (err)
			goto unlink;
	}
	if (rt->started)
		cosi_rt_drain(rt);
	if (out)
		*out = ctl;
	return 0;
unlink:
	/* Out of memory, or inputs unreadable: undo the registration. */
	for (o = rt->ctls, prev = &rt->ctls; o != ctl; o = o->next)
		prev = &o->next;
	*prev = NULL;
	rt->ctls_tail = prev;
fail:
	cosi_ctl_free(ctl);
	return err;
}

int cosi_runtime_start(struct cosi_runtime *rt)
{
	int err;

	rt->started = true;
	err = cosi_rt_rewatch(rt);
	/*
	 * A watch the kernel refused is retried (the timer is armed), as
	 * after start; only a module that is gone ends here.
	 */
	return rt->gone ? err : 0;
}

void cosi_runtime_free(struct cosi_runtime *rt)
{
	struct cosi_ctl *ctl, *next;
	size_t i;

	if (!rt)
		return;
	for (ctl = rt->ctls; ctl; ctl = ctl->next) {
		/* Sources first: fini may close the fds they watch. */
		for (i = 0; i < ctl->n_fds; i++)
			sd_event_source_disable_unref(ctl->fds[i]);
		ctl->n_fds = 0;
		if (ctl->c.fini)
			ctl->c.fini(ctl);
	}
	for (ctl = rt->ctls; ctl; ctl = next) {
		next = ctl->next;
		cosi_ctl_free(ctl);
	}
	sd_event_source_disable_unref(rt->wsrc);
	sd_event_source_disable_unref(rt->defer);
	sd_event_source_disable_unref(rt->rewatch_timer);
	cosi_stream_free(rt->stream);
	cosi_close(rt->wconn);
	for (i = 0; i < rt->n_watches; i++) {
		free(rt->watches[i].ns);
		free(rt->watches[i].type);
	}
	free(rt->watches);
	sd_event_unref(rt->event);
	free(rt);
}

int cosi_runtime_observe(struct cosi_runtime *rt, struct cosi_ctl *observer,
			 unsigned int period_ms)
{
	if (observer->c.reconcile || (rt->observer && rt->observer != observer))
		return -EINVAL;
	rt->observer = observer;
	rt->observe_ms = period_ms;
	return 0;
}

struct cosi_ctl *cosi_runtime_next(struct cosi_runtime *rt,
				   const struct cosi_ctl *ctl)
{
	return ctl ? ctl->next : rt->ctls;
}

struct cosi_ctl *cosi_runtime_find(struct cosi_runtime *rt, const char *name)
{
	struct cosi_ctl *ctl;

	for (ctl = rt->ctls; ctl; ctl = ctl->next)
		if (!strcmp(ctl->c.name, name))
			return ctl;
	return NULL;
}

bool cosi_runtime_gone(const struct cosi_runtime *rt)
{
	return rt->gone;
}

uint64_t cosi_runtime_resyncs(const struct cosi_runtime *rt)
{
	return rt->resyncs;
}

size_t cosi_runtime_watches(const struct cosi_runtime *rt)
{
	return rt->n_watches;
}

unsigned int cosi_runtime_watch_backoff_ms(const struct cosi_runtime *rt)
{
	return rt->rewatch_ms;
}

bool cosi_runtime_idle(const struct cosi_runtime *rt)
{
	const struct cosi_ctl *ctl;

	/* Watches waiting to restart: what they bring is still to come. */
	if (rt->rewatch_ms || rt->rewatch_due)
		return false;
	for (ctl = rt->ctls; ctl; ctl = ctl->next)
		if (ctl->due || ctl->in_backoff || ctl->queued)
			return false;
	return true;
}

void *cosi_ctl_data(const struct cosi_ctl *ctl)
{
	return ctl->data;
}

const char *cosi_ctl_name(const struct cosi_ctl *ctl)
{
	return ctl->c.name;
}

struct cosi_runtime *cosi_ctl_runtime(const struct cosi_ctl *ctl)
{
	return ctl->rt;
}

sd_event *cosi_ctl_event(const struct cosi_ctl *ctl)
{
	return ctl->rt->event;
}

struct cosi *cosi_ctl_conn(const struct cosi_ctl *ctl)
{
	return ctl->conn;
}

const struct cosi_ctl_stats *cosi_ctl_stats(const struct cosi_ctl *ctl)
{
	return &ctl->stats;
}

size_t cosi_ctl_queue_depth(const struct cosi_ctl *ctl)
{
	return ctl->queued;
}

void cosi_ctl_log(const struct cosi_ctl *ctl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vlog(ctl->c.name, fmt, ap);
	va_end(ap);
}

static int cosi_ctl_fd_ready(sd_event_source *s, int fd, uint32_t revents,
			     void *data)
{
	(void)s;
	(void)fd;
	(void)revents;
	cosi_ctl_wake(data);
	return 0;
}

int cosi_ctl_watch_fd(struct cosi_ctl *ctl, int fd)
{
	return cosi_ctl_watch_fd_events(ctl, fd, EPOLLIN);
}

int cosi_ctl_watch_fd_events(struct cosi_ctl *ctl, int fd, uint32_t events)
{
	sd_event_source **v;
	int err;

	/* An fd wakes a run; queue controllers have none (keys only). */
	if (ctl->c.reconcile)
		return -EINVAL;

	v = realloc(ctl->fds, (ctl->n_fds + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	ctl->fds = v;
	err = sd_event_add_io(ctl->rt->event, &v[ctl->n_fds], fd, events,
			      cosi_ctl_fd_ready, ctl);
	if (err < 0)
		return err;
	/* Level-triggered: off until the run that drains it is over. */
	sd_event_source_set_enabled(v[ctl->n_fds], SD_EVENT_ONESHOT);
	ctl->n_fds++;
	return 0;
}
