/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Transform controllers: config -> status, the shape of most controllers,
 * modelled on cosi-project/runtime's generic transform and qtransform.
 *
 * A controller declares its input (resources it applies to the OS and
 * holds), its output type (the statuses it writes) and callbacks that do
 * the OS work; the runtime layer does the rest, once for all of them:
 *  - registration, with the input held (strong), the output type watched
 *    destroy-ready, and the controller's private data freed at shutdown
 *    or when the registration fails;
 *  - holding each live input with the controller's finalizer; an input
 *    whose hold fails with -ESTALE or -ENOENT is going away, and its own
 *    event brings it back;
 *  - an output left tearing down by an earlier input is destroyed before
 *    a new one is written;
 *  - teardown: undo, then destroy the output, then release the input; a
 *    failed undo keeps the finalizer (and the output) and is retried;
 *  - outputs whose input went while no controller ran (its finalizer
 *    removed by hand, then deleted): their ids are queued at
 *    registration, so they are undone and destroyed too;
 *  - an input that cannot be held (E2BIG: its finalizers are full) is
 *    left out, logged, and the run fails after the rest was done, as the
 *    Go runtime does: one input does not freeze the others;
 *  - output tracking in the aggregate form: outputs not written in a run
 *    are destroyed only after a successful write, so a failed write never
 *    takes the live status with it.
 *
 * Undo runs at least once per teardown, not exactly once: a destroy or
 * release that fails after it (rate limit, kernel error) calls it again.
 * It must be idempotent (restoring a recorded value is).
 *
 * Two forms:
 *  - per input (out_id NULL): a queue controller, one output per input,
 *    of the same id, reconciled on its own key (transform, undo);
 *  - aggregate (out_id set): a run controller, all inputs -> the one
 *    output @out_id, written whatever the number of inputs (aggregate).
 *    The output is the inputs' undo: an input tearing down is left out
 *    and released once the aggregate succeeded without it.  The OS work
 *    and the releases come first, the status last: a status that fails
 *    or waits to be destroyed never holds up a deletion.
 */
#ifndef COSI_LIB_TRANSFORM_H
#define COSI_LIB_TRANSFORM_H

#include "runtime.h"

/* Declared here: libcosi-runtime's API (lib/runtime/libcosi-runtime.map) */
#pragma GCC visibility push(default)

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What a transform writes: the output, and what then to return.
 * ABI (b) library-built: handed to the callbacks, never built by callers;
 * may grow at the end.
 */
struct cosi_tf_out {
	const char *id;			/* the output's id */
	/* The output as it is (running), NULL when there is none. */
	const struct cosi_resource *cur;
	struct cosi_spec spec;		/* to fill: the output's spec */
	/*
	 * 0, or a negative errno to return after writing @spec (the status
	 * says what failed, the controller retries with backoff).
	 */
	int retry;
};

/*
 * ABI (a) caller-built (cosi.h's "ABI rules"): { .sz = sizeof(struct
 * cosi_transform), ... } for a static one, else COSI_OPTS().
 */
struct cosi_transform {
	size_t sz;			/* sizeof(struct cosi_transform) */
	const char *name;		/* the controller's name */
	/* The input: held (strong); id NULL: every id. */
	const char *in_ns, *in_type, *in_id;
	const char *out_ns, *out_type;	/* the output (exclusive) */
	const char *out_id;		/* aggregate form: the one output */
	/* More inputs, weak (what it also reads); others: -EINVAL. */
	const struct cosi_input *extra;
	size_t n_extra;

	/* Called once at registration (may be NULL); <0 fails it. */
	int (*init)(struct cosi_ctl *ctl);
	/*
	 * Per input: apply the live, held input @in to the OS and fill
	 * @out->spec.  Return 0 to write it, or a negative errno to write
	 * nothing and retry with backoff.  The output (out_ns, out_type,
	 * @out->id) may also be written on the way with cosi_ctl_apply()
	 * (to record something before touching the OS), and only so: the
	 * runtime's final write skips reading the output again unless the
	 * controller's writes count moved.
	 */
	int (*transform)(struct cosi_ctl *ctl, const struct cosi_resource *in,
			 struct cosi_tf_out *out);
	/*
	 * Per input, may be NULL: undo what the input did to the OS; @in is
	 * tearing down, or NULL when it is already gone; @cur is the output,
	 * running: the record of what was done (without one, or once it is
	 * tearing down, there is nothing to undo and undo is not called).
	 * Return 0 when done (the output is destroyed, then
	 * the input released), a positive delay in ms to call it again
	 * after (waiting for something), or a negative errno to retry with
	 * backoff; either way the finalizer stays.
	 */
	int (*undo)(struct cosi_ctl *ctl, const char *id,
		    const struct cosi_resource *in,
		    const struct cosi_resource *cur);
	/*
	 * Aggregate: make the OS what the @n live, held inputs @in say
	 * (sorted by id) and fill @out->spec.  Return as transform.
	 */
	int (*aggregate)(struct cosi_ctl *ctl,
			 const struct cosi_resource *const *in, size_t n,
			 struct cosi_tf_out *out);
	/* Frees the private data (may be NULL). */
	void (*free_data)(void *data);
};

/*
 * Register the transform @t (copied; its strings and arrays must stay)
 * with private data @data (cosi_tf_data()).  On failure @data is freed
 * with @t->free_data, except when @t->sz is not a size (0, misaligned or
 * over 4096: @t was not declared with COSI_OPTS(), a bug reported with
 * -EINVAL and logged), where @data stays the caller's.  Errors as
 * cosi_runtime_register(), -EINVAL for a declaration that is not one of
 * the two forms or whose sz is not a size, -E2BIG (logged) for one from a
 * newer header that sets fields this library does not know.
 */
int cosi_transform_register(struct cosi_runtime *rt,
			    const struct cosi_transform *t, void *data,
			    struct cosi_ctl **out);

/* The private data of a transform controller. */
void *cosi_tf_data(const struct cosi_ctl *ctl);

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* COSI_LIB_TRANSFORM_H */
