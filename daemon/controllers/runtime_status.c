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
 * Unchanged statuses cost no write (cosi_ctl_apply() compares).  Statuses
 * of controllers that are no longer registered (an older daemon's) go away
 * with output tracking.
 */
#include <errno.h>
#include <string.h>

#include "controllers/builtin.h"

#define RUNTIME_STATUS_PERIOD_MS	2000

static const struct cosi_output runtime_status_outputs[] = {
	{ T_RUNTIME_STATUS, COSI_OUTPUT_EXCLUSIVE },
};

static int runtime_status_put(struct cosi_ctl *ctl, const struct cosi_ctl *c)
{
	const struct cosi_ctl_stats *st = cosi_ctl_stats(c);
	struct cosi_spec spec = { 0 };
	int err;

	err = cosi_spec_add_u64(&spec, "runs", st->runs) ?:
	      cosi_spec_add_u64(&spec, "errors", st->failures) ?:
	      cosi_spec_add_u64(&spec, "wakeups", st->wakeups) ?:
	      cosi_spec_add_u64(&spec, "writes", st->writes) ?:
	      cosi_spec_add_u64(&spec, "throttled", st->throttled) ?:
	      cosi_spec_add_u64(&spec, "backoff-ms", st->backoff_ms) ?:
	      cosi_spec_add_u64(&spec, "queued", cosi_ctl_queue_depth(c)) ?:
	      cosi_spec_add_string(&spec, "last-error",
				   st->last_error ? strerror(st->last_error)
						  : "");
	if (!err)
		err = cosi_ctl_apply(ctl, NS_RUNTIME, T_RUNTIME_STATUS,
				     cosi_ctl_name(c), NULL, &spec);
	cosi_spec_clear(&spec);
	return err;
}

static int runtime_status_run(struct cosi_ctl *ctl)
{
	struct cosi_runtime *rt = cosi_ctl_runtime(ctl);
	struct cosi_ctl *c;
	int err = 0, ret;

	cosi_ctl_track_outputs(ctl);
	for (c = cosi_runtime_next(rt, NULL); c && !err;
	     c = cosi_runtime_next(rt, c))
		err = runtime_status_put(ctl, c);
	/* After a failed write, the statuses there are stay. */
	if (!err) {
		ret = cosi_ctl_cleanup_outputs(ctl);
		err = ret < 0 ? ret : 0;
	}
	return err;
}

static const struct cosi_controller runtime_status_controller = {
	.sz = sizeof(struct cosi_controller),
	.name = "runtime-status",
	.outputs = runtime_status_outputs,
	.n_outputs = ARRAY_LEN(runtime_status_outputs),
	.run = runtime_status_run,
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
	struct cosi_ctl *ctl;
	int err;

	(void)o;
	err = cosi_runtime_register(rt, &runtime_status_controller, NULL,
				    &ctl);
	return err ?: cosi_runtime_observe(rt, ctl, RUNTIME_STATUS_PERIOD_MS);
}
