/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libcosi-runtime, the controller runtime of cosid and of external
 * controllers ("plugins", Documentation/plugins.rst), modelled on
 * cosi-project/runtime.
 *
 * A controller declares inputs (resources it reads and is woken by) and
 * outputs (resource types it writes).  The runtime
 *  - watches each distinct input (namespace, type) once, whatever the
 *    number of controllers or input kinds on it, and fans events out;
 *  - de-duplicates wake-ups: any number of events before a controller runs
 *    cause one run (one per key for queue controllers);
 *  - runs a controller whose run fails again after a backoff that starts
 *    at 500 ms and grows x1.5 up to 60 s (plus up to 25% at random, so
 *    that what failed together does not retry in lockstep), reset by a
 *    successful run;
 *  - gives every controller its own kernel socket, on which it claims its
 *    name as owner, so the kernel enforces who writes what;
 *  - tracks outputs: after cosi_ctl_track_outputs(), outputs of the
 *    controller not written before cosi_ctl_cleanup_outputs() are torn
 *    down and destroyed;
 *  - limits each controller's writes (token bucket), requeueing a
 *    controller that runs out instead of failing it;
 *  - survives watch overflows: the watches resume from the last revision
 *    (or bootstrap again when the history is too short, reporting the
 *    resources that vanished meanwhile as destroyed); queue controllers
 *    get the replayed events' keys, run controllers are all woken;
 *  - notices when the cosi family goes away (module unloaded) and ends
 *    the loop, since the store and every claim went with it.
 *
 * Controllers of the config -> status shape are better declared with
 * transform.h, which writes their hold / apply / undo / release sequence
 * once on top of this API.
 *
 * Everything runs on one sd-event loop, in one thread: a controller's run
 * is never concurrent with another run, and a queue controller never
 * reconciles two keys at once.  Runs must not block for long.
 */
#ifndef COSI_LIB_RUNTIME_H
#define COSI_LIB_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "cosi.h"

/* Declared here: libcosi-runtime's API (lib/runtime/libcosi-runtime.map) */
#pragma GCC visibility push(default)

#ifdef __cplusplus
extern "C" {
#endif

struct cosi_runtime;
struct cosi_ctl;

enum cosi_input_kind {
	/* Woken on every change of the input; takes no finalizer. */
	COSI_INPUT_WEAK,
	/*
	 * Woken on every change; the controller holds the input with its
	 * finalizer (cosi_ctl_hold()) and releases it (cosi_ctl_release())
	 * once it has cleaned up after an input that is tearing down.
	 */
	COSI_INPUT_STRONG,
	/*
	 * Woken only when a resource is tearing down with no finalizers left,
	 * i.e. when it can be destroyed (typically the controller's own torn
	 * down outputs, once consumers released them).
	 */
	COSI_INPUT_DESTROY_READY,
};

/* ABI (c) frozen (arrays): layout fixed within this soname (cosi.h). */
struct cosi_input {
	const char *ns;
	const char *type;		/* the exact type name */
	const char *id;			/* NULL: every id */
	enum cosi_input_kind kind;
};

enum cosi_output_kind {
	/* Only this controller may declare the type as an output. */
	COSI_OUTPUT_EXCLUSIVE,
	/* Several controllers write the type, each its own resources. */
	COSI_OUTPUT_SHARED,
};

/* ABI (c) frozen (arrays), as struct cosi_input. */
struct cosi_output {
	const char *type;
	enum cosi_output_kind kind;
};

/*
 * ABI (a) caller-built (cosi.h's "ABI rules"): COSI_OPTS(cosi_controller,
 * ...), or { .sz = sizeof(struct cosi_controller), ... } for a static one.
 */
struct cosi_controller {
	size_t sz;			/* sizeof(struct cosi_controller) */
	/* Controller name: its owner name and finalizer name in the kernel. */
	const char *name;
	const struct cosi_input *inputs;
	size_t n_inputs;
	const struct cosi_output *outputs;
	size_t n_outputs;

	/* Called once at registration (may be NULL); <0 fails the start. */
	int (*init)(struct cosi_ctl *ctl);
	/*
	 * Reconcile everything.  Called when an input changed, a watched fd
	 * became readable, a timer fired, or after a failure's backoff.
	 * Return 0, or a negative errno: the run is retried after a backoff
	 * (-EAGAIN from a rate-limited write retries when tokens are back,
	 * without backoff).
	 */
	int (*run)(struct cosi_ctl *ctl);
	/*
	 * Queue controllers set this instead of run: each input event
	 * queues the key "namespace/type/id" of its resource; a key is
	 * queued at most once and reconciled one at a time.  Return 0, a
	 * positive delay in ms to requeue the key after, or a negative errno
	 * to requeue it with a per-key backoff.
	 */
	int (*reconcile)(struct cosi_ctl *ctl, const char *ns,
			 const char *type, const char *id);
	/* Called at shutdown (may be NULL). */
	void (*fini)(struct cosi_ctl *ctl);
};

/* ABI (a) caller-built: COSI_OPTS(cosi_runtime_opts, ...). */
struct cosi_runtime_opts {
	size_t sz;				/* sizeof(struct cosi_runtime_opts) */
	unsigned int backoff_initial_ms;	/* 0: 500 */
	unsigned int backoff_max_ms;		/* 0: 60000 */
	double backoff_factor;			/* 0: 1.5 */
	double write_rate;			/* writes/s per controller; 0: 1000 */
	unsigned int write_burst;		/* 0: 1000 */
	int watch_rcvbuf;			/* watch socket SO_RCVBUF; 0: default */
};

/*
 * Statistics of one controller: its RuntimeStatus, logs and tests.
 * ABI (b): read through cosi_ctl_stats()'s pointer; may grow at the end.
 */
struct cosi_ctl_stats {
	uint64_t runs;			/* run or reconcile calls */
	uint64_t failures;		/* of which returned an error */
	/*
	 * Input events that woke it: every event that matched an input,
	 * replayed and bootstrap ones too, never reset (cosid's fleet
	 * controller skips a scan while it has not moved).
	 */
	uint64_t wakeups;
	uint64_t throttled;		/* writes refused by the rate limit */
	uint64_t writes;		/* creates/updates/destroys done */
	unsigned int backoff_ms;	/* current backoff, 0 when healthy */
	int last_error;			/* last run's error, 0 when none */
};

/*
 * Lifecycle.  @event: the loop to run on (a reference is taken); @opts
 * may be NULL (defaults).  NULL and errno on failure: EINVAL or E2BIG for
 * @opts that fail the ABI check (logged), ENOMEM.
 */
struct cosi_runtime *cosi_runtime_new(sd_event *event,
				      const struct cosi_runtime_opts *opts);
/*
 * Register a controller (before or after start): @c is copied, its
 * strings and arrays (name, inputs, outputs) are kept by reference and
 * must stay.  @data is the controller's private pointer (cosi_ctl_data()).  Fails with -EBUSY when
 * an exclusive output is already declared by another controller, or when
 * the kernel refuses the owner claim, -EEXIST for a name taken in this
 * runtime.  On failure nothing stays registered, fini is not called and
 * @data is the caller's to free.  A watch the kernel refuses is retried,
 * not a failure.  -EINVAL or -E2BIG (logged) for a @c whose sz fails the
 * ABI check (cosi.h).
 */
int cosi_runtime_register(struct cosi_runtime *rt,
			  const struct cosi_controller *c, void *data,
			  struct cosi_ctl **out);
/*
 * Start the input watches and schedule every controller's first run.
 * Watches the kernel refuses are retried with backoff: 0 then too; an
 * error only when cosi.ko is not there.
 */
int cosi_runtime_start(struct cosi_runtime *rt);
/* Stop everything, call fini, close sockets.  NULL is a no-op. */
void cosi_runtime_free(struct cosi_runtime *rt);

struct cosi_ctl *cosi_runtime_find(struct cosi_runtime *rt, const char *name);
/*
 * Make @observer, a run controller that reports on the others (their
 * cosi_ctl_stats()), run after any other controller ran, at most once per
 * @period_ms: an idle runtime wakes nobody.  One observer per runtime:
 * -EINVAL for a second one or a queue controller.
 */
int cosi_runtime_observe(struct cosi_runtime *rt, struct cosi_ctl *observer,
			 unsigned int period_ms);
/* The controller registered after @ctl (NULL: the first), or NULL. */
struct cosi_ctl *cosi_runtime_next(struct cosi_runtime *rt,
				   const struct cosi_ctl *ctl);
/*
 * True once the cosi family went away (cosi.ko unloaded): the runtime
 * ended the event loop (sd_event_exit(0)); free it and start over.
 */
bool cosi_runtime_gone(const struct cosi_runtime *rt);
/* Times the input watches overflowed and were resumed or bootstrapped. */
uint64_t cosi_runtime_resyncs(const struct cosi_runtime *rt);
/* Distinct (namespace, type) input watches. */
size_t cosi_runtime_watches(const struct cosi_runtime *rt);
/*
 * The backoff of the watches' restart, 0 when they run.  Watches that
 * broke, or that the kernel refused (also at start), are all restarted
 * after it; it grows like a run's backoff (with jitter) up to the cap.
 */
unsigned int cosi_runtime_watch_backoff_ms(const struct cosi_runtime *rt);
/*
 * True when no controller is due to run, no key is queued and the
 * watches are not waiting to restart.
 */
bool cosi_runtime_idle(const struct cosi_runtime *rt);

/* The controller's view. */
void *cosi_ctl_data(const struct cosi_ctl *ctl);
const char *cosi_ctl_name(const struct cosi_ctl *ctl);
struct cosi_runtime *cosi_ctl_runtime(const struct cosi_ctl *ctl);
sd_event *cosi_ctl_event(const struct cosi_ctl *ctl);
/* The controller's socket (its owner claim is on it): reads and writes. */
struct cosi *cosi_ctl_conn(const struct cosi_ctl *ctl);
const struct cosi_ctl_stats *cosi_ctl_stats(const struct cosi_ctl *ctl);
/* Keys queued and not yet reconciled (0 for run controllers). */
size_t cosi_ctl_queue_depth(const struct cosi_ctl *ctl);
/* Log a line on stderr (the journal), "PROGRAM: CONTROLLER: ...". */
void cosi_ctl_log(const struct cosi_ctl *ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Run controllers only (no-ops for queue controllers, which run per key):
 * wake the controller, i.e. run it soon (coalesced with other wake-ups).
 */
void cosi_ctl_wake(struct cosi_ctl *ctl);
/* Run it again after @ms (a timer; the earliest pending one wins). */
int cosi_ctl_wake_after(struct cosi_ctl *ctl, uint64_t ms);
/* Queue controllers: queue a key (no-op when already queued). */
int cosi_ctl_queue(struct cosi_ctl *ctl, const char *ns, const char *type,
		   const char *id);
/*
 * Run controllers: wake the controller whenever @fd is readable (it
 * drains @fd in run), or has one of @events (EPOLLPRI for /proc/sys
 * files).  The source is off from the moment it fires until the run is
 * over: no spinning while the controller backs off.  Removed before fini,
 * so fini may close @fd.  -EINVAL for a queue controller.
 */
int cosi_ctl_watch_fd(struct cosi_ctl *ctl, int fd);
int cosi_ctl_watch_fd_events(struct cosi_ctl *ctl, int fd, uint32_t events);

/* Reads (from the kernel, on the controller's socket). */
int cosi_ctl_get(struct cosi_ctl *ctl, const char *ns, const char *type,
		 const char *id, struct cosi_resource **out);
int cosi_ctl_list(struct cosi_ctl *ctl, const char *ns, const char *type,
		  struct cosi_resources *out);

/*
 * Write an output: create it, or update it when labels or spec differ
 * (an unchanged output costs no write and no version).  The type must be
 * a declared output.  Marks the output as written for output tracking.
 * Return 0, -EAGAIN when rate limited, or the kernel's negative errno:
 * -ESTALE when the output is tearing down (finish destroying it first).
 */
int cosi_ctl_apply(struct cosi_ctl *ctl, const char *ns, const char *type,
		   const char *id, const struct cosi_kvs *labels,
		   const struct cosi_spec *spec);
/*
 * Tear an output down and destroy it once no finalizers remain.
 * Return 1 when it is gone (or was absent), 0 when it waits for
 * finalizers (declare a destroy-ready input on the type to be woken),
 * or a negative errno.
 */
int cosi_ctl_destroy(struct cosi_ctl *ctl, const char *ns, const char *type,
		     const char *id);

/* Output tracking, within one run. */
void cosi_ctl_track_outputs(struct cosi_ctl *ctl);
/*
 * Destroy (as cosi_ctl_destroy()) every resource of the controller's
 * output types owned by it and not written since
 * cosi_ctl_track_outputs().  Return 0 when all are gone, 1 when some wait
 * for finalizers, or a negative errno.
 */
int cosi_ctl_cleanup_outputs(struct cosi_ctl *ctl);

/*
 * The teardown protocol for strong inputs: hold adds the controller's
 * name as a finalizer on the input (a no-op when present; -ESTALE when
 * it is already tearing down), release removes it.
 */
int cosi_ctl_hold(struct cosi_ctl *ctl, const struct cosi_resource *in);
int cosi_ctl_release(struct cosi_ctl *ctl, const struct cosi_resource *in);

static inline bool cosi_res_tearing_down(const struct cosi_resource *r)
{
	return r->phase == COSI_PHASE_TEARING_DOWN;
}

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* COSI_LIB_RUNTIME_H */
