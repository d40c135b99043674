// SPDX-License-Identifier: GPL-2.0
/*
 * runtime-status: the daemon's health as resources.  It writes one
 * RuntimeStatus per controller of the runtime (itself included), id = the
 * controller's name: runs, errors, wake-ups, writes, throttled writes, the
 * current backoff, the keys queued and the last error, so that
 * `cosictl get controllers` shows what the controllers do without access
 * to the daemon's log.
 *
 * It is the runtime's observer (cosi_runtime_observe()): woken when other
 * controllers ran, at most once per period.  Why not on every run: counters
 * move on every run, and a write per run would double the runtime's own
 * work; a status a few seconds old is what a person or a monitor needs.
 * Why not a timer: an idle daemon then writes nothing and wakes nobody.
 * Unchanged statuses cost no write (cosi_ctl_apply() compares), and after
 * the first complete run not even a read: the figures last written are
 * kept, and only a controller whose figures moved since is written (the
 * runtime's own status, whose runs move on every run, at least).  Statuses
 * of controllers that are no longer registered (an older daemon's) go away
 * with output tracking, at the first complete run (the set of controllers
 * is fixed once the runtime started).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/builtin.h"

#define RUNTIME_STATUS_PERIOD_MS	2000

static const struct cosi_output runtime_status_outputs[] = {
	{ T_RUNTIME_STATUS, COSI_OUTPUT_EXCLUSIVE },
};

/* One controller's status as last written. */
struct runtime_status_seen {
	const struct cosi_ctl *c;
	struct cosi_spec spec;		/* owned */
};

struct runtime_status_state {
	struct runtime_status_seen *v;	/* in the runtime's order */
	size_t n;
	bool synced;			/* a complete run wrote every one */
};

/* The status of @c now, into @spec (empty): 0 or -ENOMEM. */
static int runtime_status_spec(const struct cosi_ctl *c,
			       struct cosi_spec *spec)
{
	const struct cosi_ctl_stats *st = cosi_ctl_stats(c);

	return cosi_spec_add_u64(spec, "runs", st->runs) ?:
	       cosi_spec_add_u64(spec, "errors", st->failures) ?:
	       cosi_spec_add_u64(spec, "wakeups", st->wakeups) ?:
	       cosi_spec_add_u64(spec, "writes", st->writes) ?:
	       cosi_spec_add_u64(spec, "throttled", st->throttled) ?:
	       cosi_spec_add_u64(spec, "backoff-ms", st->backoff_ms) ?:
	       cosi_spec_add_u64(spec, "queued", cosi_ctl_queue_depth(c)) ?:
	       cosi_spec_add_string(spec, "last-error",
				    st->last_error ? strerror(st->last_error)
						   : "");
}

static int runtime_status_run(struct cosi_ctl *ctl)
{
	struct runtime_status_state *s = cosi_ctl_data(ctl);
	struct cosi_runtime *rt = cosi_ctl_runtime(ctl);
	struct runtime_status_seen *v;
	bool full = !s->synced;
	struct cosi_spec spec;
	struct cosi_ctl *c;
	size_t i = 0;
	int err = 0, ret;

	if (full)
		cosi_ctl_track_outputs(ctl);
	for (c = cosi_runtime_next(rt, NULL); c && !err;
	     c = cosi_runtime_next(rt, c), i++) {
		spec = (struct cosi_spec){ 0 };
		err = runtime_status_spec(c, &spec);
		if (!err && !full && i < s->n && s->v[i].c == c &&
		    cosi_spec_equal(&s->v[i].spec, &spec)) {
			cosi_spec_clear(&spec);
			continue;
		}
		err = err ?: cosi_ctl_apply(ctl, NS_RUNTIME, T_RUNTIME_STATUS,
					    cosi_ctl_name(c), NULL, &spec);
		if (!err && i >= s->n) {
			v = realloc(s->v, (i + 1) * sizeof(*v));
			if (v) {
				s->v = v;
				s->v[s->n++] = (struct runtime_status_seen){ 0 };
			} else {
				err = -ENOMEM;
			}
		}
		if (err) {
			cosi_spec_clear(&spec);
			break;
		}
		cosi_spec_clear(&s->v[i].spec);
		s->v[i].c = c;
		s->v[i].spec = spec;	/* kept: owned by s->v[i] now */
	}
	/* After a failed write, the statuses there are stay. */
	if (!err && full) {
		ret = cosi_ctl_cleanup_outputs(ctl);
		err = ret < 0 ? ret : 0;
	}
	/* A failure: the next run writes (and reads) every one again. */
	s->synced = !err;
	return err;
}

static void runtime_status_fini(struct cosi_ctl *ctl)
{
	struct runtime_status_state *s = cosi_ctl_data(ctl);
	size_t i;

	for (i = 0; i < s->n; i++)
		cosi_spec_clear(&s->v[i].spec);
	free(s->v);
	free(s);
}

static const struct cosi_controller runtime_status_controller = {
	.sz = sizeof(struct cosi_controller),
	.name = "runtime-status",
	.outputs = runtime_status_outputs,
	.n_outputs = ARRAY_LEN(runtime_status_outputs),
	.run = runtime_status_run,
	.fini = runtime_status_fini,
};

int cosid_store_id(struct cosi *c, uint64_t *id)
{
	struct cosi_resource *r = NULL;
	int err;

	err = cosi_resource_get(c, NS_RUNTIME, T_RUNTIME_STATUS,
				runtime_status_controller.name, &r);
	if (!err)
		*id = r->created;
	cosi_resource_free(r);
	return err;
}

int cosid_register_runtime_status(struct cosi_runtime *rt,
				  const struct cosid_controllers_opts *o)
{
	struct runtime_status_state *s = calloc(1, sizeof(*s));
	struct cosi_ctl *ctl;
	int err;

	(void)o;
	if (!s)
		return -ENOMEM;
	err = cosi_runtime_register(rt, &runtime_status_controller, s, &ctl);
	if (err) {
		free(s);	/* a failed registration leaves it to us */
		return err;
	}
	return cosi_runtime_observe(rt, ctl, RUNTIME_STATUS_PERIOD_MS);
}
