// SPDX-License-Identifier: GPL-2.0
/*
 * Controller runtime tests, in the VM with cosi.ko loaded.  Each test runs
 * in a fresh network namespace (a fresh cosi store) and drives the
 * runtime's sd-event loop itself: wake-up de-duplication, one watch per
 * input, backoff, queue controllers, output tracking, the teardown and
 * finalizer protocol, destroy-ready inputs, the write rate limit, watch
 * overflow (resume and re-bootstrap), ownership and chaining; and the
 * transform layer (runtime/transform.h) on test controllers of both forms.
 *
 * Faults the kernel cannot be made to produce on cue (a timer that cannot
 * be armed, a write racing another) are injected by wrapping
 * sd_event_add_time() and cosi_resource_update() (-Wl,--wrap, see
 * daemon/Makefile).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cosi_params.h"
#include "runtime/runtime.h"
#include "runtime/transform.h"

#define IN_NS	"in"
#define IN_T	"Inputs.test"
#define MID_NS	"mid"
#define MID_T	"Mids.test"
#define OUT_NS	"out"
#define OUT_T	"Outputs.test"

/* Fault injection (the link-time wraps). */
static int fail_add_time;		/* next sd_event_add_time()s that fail */
static struct cosi *race_conn;		/* adds a finalizer before an update */
static const char *race_id;		/* ... of this output */
static const char *fail_update_id;	/* updates of this id fail */

int __real_sd_event_add_time(sd_event *e, sd_event_source **s, clockid_t clk,
			     uint64_t usec, uint64_t accuracy,
			     sd_event_time_handler_t cb, void *data);
int __wrap_sd_event_add_time(sd_event *e, sd_event_source **s, clockid_t clk,
			     uint64_t usec, uint64_t accuracy,
			     sd_event_time_handler_t cb, void *data)
{
	if (fail_add_time > 0) {
		fail_add_time--;
		return -ENOMEM;
	}
	return __real_sd_event_add_time(e, s, clk, usec, accuracy, cb, data);
}

/* A consumer ("racer", on @c) holds ns/type/id: a new version of it. */
static int add_racer(struct cosi *c, const char *ns, const char *type,
		     const char *id)
{
	char *fin = "racer";
	struct cosi_strs fins = { .v = &fin, .n = 1 };
	COSI_OPTS(cosi_req, f, .ns = ns, .type = type, .id = id,
		  .finalizers = &fins);

	return cosi_finalizer_add(c, &f, NULL);
}

int __real_cosi_resource_update(struct cosi *c, const struct cosi_req *r,
				struct cosi_resource **out);
int __wrap_cosi_resource_update(struct cosi *c, const struct cosi_req *r,
				struct cosi_resource **out)
{
	if (fail_update_id && !strcmp(r->id, fail_update_id))
		return -EIO;
	/* A consumer holds the output between the caller's read and write. */
	if (race_conn && race_id && !strcmp(r->id, race_id) &&
	    c != race_conn) {
		race_id = NULL;
		if (add_racer(race_conn, r->ns, r->type, r->id))
			return -EPROTO;
	}
	return __real_cosi_resource_update(c, r, out);
}

/* Reads of output gets_id but by the test's own handle, counted. */
static const char *gets_id;
static struct cosi *gets_not;
static unsigned int gets;

int __real_cosi_resource_get(struct cosi *c, const char *ns, const char *type,
			     const char *id, struct cosi_resource **out);
int __wrap_cosi_resource_get(struct cosi *c, const char *ns, const char *type,
			     const char *id, struct cosi_resource **out)
{
	if (gets_id && !strcmp(id, gets_id) && !strcmp(type, OUT_T) &&
	    c != gets_not)
		gets++;
	return __real_cosi_resource_get(c, ns, type, id, out);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int define(struct cosi *c, const char *type, const char *ns)
{
	struct cosi_definition *d = cosi_def_new(type);
	int err;

	if (!d)
		return -ENOMEM;
	err = cosi_def_set_default_ns(d, ns) ?:
	      cosi_def_add_field(d, "value", COSI_FIELD_TYPE_STRING, false);
	if (!err)
		err = cosi_definition_set(c, d, NULL);
	cosi_definition_free(d);
	return err;
}

static int put(struct cosi *c, const char *ns, const char *type,
	       const char *id, const char *value)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r, .ns = ns, .type = type, .id = id, .spec = &spec);
	struct cosi_resource *cur = NULL;
	int err;

	cosi_spec_add_string(&spec, "value", value);
	err = cosi_resource_get(c, ns, type, id, &cur);
	if (err == -ENOENT)
		err = cosi_resource_create(c, &r, NULL);
	else if (!err)
		err = cosi_resource_update(c, &r, NULL);
	cosi_resource_free(cur);
	cosi_spec_clear(&spec);
	return err;
}

/* The value of a resource's spec, "" when it has none, NULL when absent. */
static char *value_of(struct cosi *c, const char *ns, const char *type,
		      const char *id)
{
	struct cosi_resource *r;
	const struct cosi_field *f;
	char *v;

	if (cosi_resource_get(c, ns, type, id, &r))
		return NULL;
	f = cosi_spec_get(&r->spec, "value");
	v = strdup(f ? f->str : "");
	cosi_resource_free(r);
	return v;
}

static bool value_is(struct cosi *c, const char *ns, const char *type,
		     const char *id, const char *want)
{
	char *v = value_of(c, ns, type, id);
	bool ok = want ? v && !strcmp(v, want) : !v;

	free(v);
	return ok;
}

static const char *spec_value(const struct cosi_resource *r)
{
	const struct cosi_field *f = cosi_spec_get(&r->spec, "value");

	return f ? f->str : "";
}

/* Run the loop until nothing is due and nothing is readable. */
static void settle(sd_event *ev, struct cosi_runtime *rt, int max_ms)
{
	uint64_t end = now_ms() + max_ms;
	int quiet = 0;

	while (now_ms() < end && quiet < 3) {
		if (sd_event_run(ev, 20000) == 0 && cosi_runtime_idle(rt))
			quiet++;
		else
			quiet = 0;
	}
}

/* Run the loop for @ms whatever happens. */
static void spin(sd_event *ev, int ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		sd_event_run(ev, 20000);
}

struct cond {
	struct cosi *c;
	const char *ns, *type, *id, *want;
};

/* Run the loop until @fn holds or @max_ms passed. */
static bool run_until(sd_event *ev, bool (*fn)(void *), void *arg, int max_ms)
{
	uint64_t end = now_ms() + max_ms;

	while (!fn(arg)) {
		if (now_ms() >= end)
			return false;
		sd_event_run(ev, 20000);
	}
	return true;
}

static bool cond_value(void *arg)
{
	struct cond *c = arg;

	return value_is(c->c, c->ns, c->type, c->id, c->want);
}

/* Test controllers; their state is the controller's data. */
struct tstate {
	int fail_first;			/* runs that fail before success */
	bool strong;			/* queue mirror holds its inputs */
	uint64_t run_at[16];		/* start of each run, ms */
	unsigned int backoff[16];	/* backoff_ms seen at each run */
	int nruns;
	int busy;			/* keys being reconciled */
	int max_busy;
	bool requeue_self;		/* queue own key once, from reconcile */
	int fd;
	uint64_t drained;
};

static const struct cosi_input in_weak[] = {
	{ IN_NS, IN_T, NULL, COSI_INPUT_WEAK },
};
static const struct cosi_input in_strong[] = {
	{ IN_NS, IN_T, NULL, COSI_INPUT_STRONG },
	{ OUT_NS, OUT_T, NULL, COSI_INPUT_DESTROY_READY },
};
static const struct cosi_output out_excl[] = { { OUT_T, COSI_OUTPUT_EXCLUSIVE } };
static const struct cosi_output out_shared[] = { { OUT_T, COSI_OUTPUT_SHARED } };
static const struct cosi_output mid_excl[] = { { MID_T, COSI_OUTPUT_EXCLUSIVE } };

/* mirror: every running input -> an output with the same id and value. */
static int mirror_run(struct cosi_ctl *ctl)
{
	struct tstate *st = cosi_ctl_data(ctl);
	struct cosi_resources l = { 0 };
	struct cosi_spec spec = { 0 };
	size_t i;
	int err;

	if (st && st->nruns < 16) {
		st->run_at[st->nruns] = now_ms();
		st->backoff[st->nruns] = cosi_ctl_stats(ctl)->backoff_ms;
	}
	if (st)
		st->nruns++;
	if (st && st->nruns <= st->fail_first)
		return -EIO;
	err = cosi_ctl_list(ctl, IN_NS, IN_T, &l);
	if (err)
		return err;
	cosi_ctl_track_outputs(ctl);
	for (i = 0; !err && i < l.n; i++) {
		if (cosi_res_tearing_down(l.v[i]))
			continue;
		cosi_spec_add_string(&spec, "value", spec_value(l.v[i]));
		err = cosi_ctl_apply(ctl, OUT_NS, OUT_T, l.v[i]->id, NULL,
				     &spec);
		cosi_spec_clear(&spec);
	}
	cosi_resources_clear(&l);
	if (err)
		return err;
	err = cosi_ctl_cleanup_outputs(ctl);
	return err < 0 ? err : 0;
}

static const struct cosi_controller mirror = {
	.sz = sizeof(struct cosi_controller),
	.name = "mirror",
	.inputs = in_weak, .n_inputs = 1,
	.outputs = out_excl, .n_outputs = 1,
	.run = mirror_run,
};

/* qmirror: the same per key, holding its inputs when strong. */
static int qmirror_reconcile(struct cosi_ctl *ctl, const char *ns,
			     const char *type, const char *id)
{
	struct tstate *st = cosi_ctl_data(ctl);
	struct cosi_resource *in = NULL;
	struct cosi_spec spec = { 0 };
	int err, ret = 0;

	if (!strcmp(type, OUT_T)) {	/* destroy-ready output */
		err = cosi_ctl_destroy(ctl, ns, type, id);
		return err < 0 ? err : 0;
	}
	if (++st->busy > st->max_busy)
		st->max_busy = st->busy;
	st->nruns++;
	if (st->requeue_self) {
		st->requeue_self = false;
		cosi_ctl_queue(ctl, ns, type, id);
	}
	err = cosi_ctl_get(ctl, ns, type, id, &in);
	if (err == -ENOENT || (!err && cosi_res_tearing_down(in))) {
		/* 0: waits for finalizers; woken again when destroy-ready. */
		ret = cosi_ctl_destroy(ctl, OUT_NS, OUT_T, id);
		if (ret == 1)
			ret = in ? cosi_ctl_release(ctl, in) : 0;
	} else if (!err && !strcmp(spec_value(in), "fail")) {
		ret = -EIO;
	} else if (!err) {
		ret = st->strong ? cosi_ctl_hold(ctl, in) : 0;
		cosi_spec_add_string(&spec, "value", spec_value(in));
		if (!ret)
			ret = cosi_ctl_apply(ctl, OUT_NS, OUT_T, id, NULL,
					     &spec);
		cosi_spec_clear(&spec);
	} else {
		ret = err;
	}
	cosi_resource_free(in);
	st->busy--;
	return ret;
}

static const struct cosi_controller qmirror = {
	.sz = sizeof(struct cosi_controller),
	.name = "qmirror",
	.inputs = in_strong, .n_inputs = 2,
	.outputs = out_excl, .n_outputs = 1,
	.reconcile = qmirror_reconcile,
};

static const struct cosi_controller qmirror_weak = {
	.sz = sizeof(struct cosi_controller),
	.name = "qmirror",
	.inputs = in_weak, .n_inputs = 1,
	.outputs = out_excl, .n_outputs = 1,
	.reconcile = qmirror_reconcile,
};

FIXTURE(rt) {
	sd_event *ev;
	struct cosi_runtime *rt;
	struct cosi *user;
	struct tstate st;
	struct cosi_runtime_opts opts;
};

FIXTURE_SETUP(rt)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	memset(&self->st, 0, sizeof(self->st));
	memset(&self->opts, 0, sizeof(self->opts));
	self->opts.sz = sizeof(self->opts);
	self->user = cosi_open();
	ASSERT_NE(NULL, self->user);
	ASSERT_EQ(0, define(self->user, IN_T, IN_NS));
	ASSERT_EQ(0, define(self->user, MID_T, MID_NS));
	ASSERT_EQ(0, define(self->user, OUT_T, OUT_NS));
	ASSERT_LE(0, sd_event_new(&self->ev));
	self->rt = NULL;
}

FIXTURE_TEARDOWN(rt)
{
	cosi_runtime_free(self->rt);
	sd_event_unref(self->ev);
	cosi_close(self->user);
}

static struct cosi_runtime *start(struct _test_data_rt *self,
				  const struct cosi_controller *c)
{
	self->rt = cosi_runtime_new(self->ev, &self->opts);
	if (!self->rt || cosi_runtime_register(self->rt, c, &self->st, NULL) ||
	    cosi_runtime_start(self->rt))
		return NULL;
	return self->rt;
}

TEST_F(rt, output_tracking_destroys_unwritten_outputs)
{
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "2"));
	ASSERT_NE(NULL, start(self, &mirror));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "b", "2"));

	ASSERT_EQ(0, cosi_resource_destroy(self->user,
		  COSI_OPTS_PTR(cosi_req, .ns = IN_NS, .type = IN_T, .id = "a"),
		  NULL));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "3"));
	settle(self->ev, self->rt, 5000);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", NULL));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "b", "3"));
	EXPECT_EQ(0, cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"))->failures);
}

TEST_F(rt, wakeups_are_deduplicated)
{
	const struct cosi_ctl_stats *s;
	uint64_t runs, wakeups;
	char v[16];
	int i;

	ASSERT_NE(NULL, start(self, &mirror));
	settle(self->ev, self->rt, 5000);
	s = cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"));
	runs = s->runs;
	wakeups = s->wakeups;
	for (i = 0; i < 50; i++) {
		snprintf(v, sizeof(v), "%d", i);
		ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "x", v));
	}
	settle(self->ev, self->rt, 5000);
	EXPECT_EQ(wakeups + 50, s->wakeups);
	/* 50 events, one run; its own output write wakes nobody. */
	EXPECT_EQ(runs + 1, s->runs);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "x", "49"));
}

static int noop_run(struct cosi_ctl *ctl)
{
	(void)ctl;
	return 0;
}

TEST_F(rt, one_watch_per_input_type)
{
	static const struct cosi_input two[] = {
		{ IN_NS, IN_T, "a", COSI_INPUT_WEAK },
		{ IN_NS, IN_T, NULL, COSI_INPUT_STRONG },
	};
	static const struct cosi_controller other = {
		.sz = sizeof(struct cosi_controller),
		.name = "other", .inputs = two, .n_inputs = 2,
		.outputs = mid_excl, .n_outputs = 1, .run = noop_run,
	};
	const struct cosi_ctl_stats *s;

	ASSERT_NE(NULL, start(self, &mirror));
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &other, NULL, NULL));
	EXPECT_EQ(1, cosi_runtime_watches(self->rt));
	settle(self->ev, self->rt, 5000);
	s = cosi_ctl_stats(cosi_runtime_find(self->rt, "other"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	settle(self->ev, self->rt, 5000);
	/* Two matching inputs, one event: one wake-up. */
	EXPECT_EQ(1, s->wakeups);
}

TEST_F(rt, failing_run_backs_off_exponentially)
{
	static const unsigned int want[] = { 0, 100, 150, 225, 300, 300 };
	int i;

	self->opts.backoff_initial_ms = 100;
	self->opts.backoff_max_ms = 300;
	self->st.fail_first = 5;
	ASSERT_NE(NULL, start(self, &mirror));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	settle(self->ev, self->rt, 10000);
	ASSERT_EQ(6, self->st.nruns);
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(want[i], self->st.backoff[i]);
		if (i)
			EXPECT_LE(want[i], self->st.run_at[i] -
					   self->st.run_at[i - 1] + 2);
	}
	EXPECT_EQ(5, cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"))->failures);
	EXPECT_EQ(0, cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"))->backoff_ms);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
}

TEST_F(rt, default_backoff_is_500ms_times_1_5)
{
	self->st.fail_first = 100;
	ASSERT_NE(NULL, start(self, &mirror));
	while (self->st.nruns < 3)
		sd_event_run(self->ev, 100000);
	EXPECT_EQ(0, self->st.backoff[0]);
	EXPECT_EQ(500, self->st.backoff[1]);
	EXPECT_EQ(750, self->st.backoff[2]);
	EXPECT_LE(500, self->st.run_at[1] - self->st.run_at[0] + 2);
	EXPECT_LE(750, self->st.run_at[2] - self->st.run_at[1] + 2);
}

TEST_F(rt, queue_controller_keys_backoff_and_isolation)
{
	const struct cosi_ctl_stats *s;

	self->opts.backoff_initial_ms = 50;
	self->st.requeue_self = true;
	ASSERT_NE(NULL, start(self, &qmirror_weak));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "bad", "fail"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "good", "ok"));
	spin(self->ev, 600);
	s = cosi_ctl_stats(cosi_runtime_find(self->rt, "qmirror"));
	/* A failing key does not hold the others up; it keeps retrying. */
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "good", "ok"));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "bad", NULL));
	EXPECT_LE(3, s->failures);
	EXPECT_EQ(EIO, s->last_error);
	EXPECT_EQ(1, self->st.max_busy);
	/* Fixed: the next retry succeeds and the backoff ends. */
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "bad", "fixed"));
	settle(self->ev, self->rt, 5000);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "bad", "fixed"));
	EXPECT_EQ(0, s->backoff_ms);
}

static bool no_finalizers(void *arg)
{
	struct cond *c = arg;
	struct cosi_resource *r;
	bool ok;

	if (cosi_resource_get(c->c, c->ns, c->type, c->id, &r))
		return false;
	ok = !r->finalizers.n;
	cosi_resource_free(r);
	return ok;
}

TEST_F(rt, teardown_protocol_with_finalizers)
{
	COSI_OPTS(cosi_req, r, .ns = IN_NS, .type = IN_T, .id = "a");
	struct cond c = { self->user, IN_NS, IN_T, "a", NULL };
	struct cosi_resource *in;
	bool ready = true;

	self->st.strong = true;
	ASSERT_NE(NULL, start(self, &qmirror));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	settle(self->ev, self->rt, 5000);
	ASSERT_EQ(0, cosi_resource_get(self->user, IN_NS, IN_T, "a", &in));
	EXPECT_TRUE(cosi_strs_has(&in->finalizers, "qmirror"));
	cosi_resource_free(in);
	/* The input is held: it cannot be destroyed yet. */
	EXPECT_EQ(-EBUSY, cosi_resource_destroy(self->user, &r, NULL));
	ASSERT_EQ(0, cosi_resource_teardown(self->user, &r, &ready, NULL));
	EXPECT_FALSE(ready);
	ASSERT_TRUE(run_until(self->ev, no_finalizers, &c, 5000));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", NULL));
	EXPECT_EQ(0, cosi_resource_destroy(self->user, &r, NULL));
}

/* cons: holds every output (a consumer), releases torn-down ones. */
static int cons_reconcile(struct cosi_ctl *ctl, const char *ns,
			  const char *type, const char *id)
{
	struct cosi_resource *r;
	int err;

	err = cosi_ctl_get(ctl, ns, type, id, &r);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	err = cosi_res_tearing_down(r) ? cosi_ctl_release(ctl, r)
				       : cosi_ctl_hold(ctl, r);
	cosi_resource_free(r);
	return err == -ESTALE ? 1 : err;
}

TEST_F(rt, destroy_ready_input_wakes_producer)
{
	static const struct cosi_input cons_in[] = {
		{ OUT_NS, OUT_T, NULL, COSI_INPUT_STRONG },
	};
	static const struct cosi_controller cons = {
		.sz = sizeof(struct cosi_controller),
		.name = "cons", .inputs = cons_in, .n_inputs = 1,
		.outputs = mid_excl, .n_outputs = 1,
		.reconcile = cons_reconcile,
	};
	COSI_OPTS(cosi_req, r, .ns = IN_NS, .type = IN_T, .id = "a");
	struct cond c = { self->user, OUT_NS, OUT_T, "a", NULL };
	struct cosi_resource *out;

	ASSERT_NE(NULL, start(self, &qmirror));
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &cons, &self->st, NULL));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	settle(self->ev, self->rt, 5000);
	ASSERT_EQ(0, cosi_resource_get(self->user, OUT_NS, OUT_T, "a", &out));
	EXPECT_TRUE(cosi_strs_has(&out->finalizers, "cons"));
	EXPECT_STREQ("qmirror", out->owner);
	cosi_resource_free(out);

	/* Input gone: the producer tears its output down, the consumer
	 * releases it, and the destroy-ready input lets the producer finish.
	 */
	ASSERT_EQ(0, cosi_resource_destroy(self->user, &r, NULL));
	EXPECT_TRUE(run_until(self->ev, cond_value, &c, 5000));
}

TEST_F(rt, write_rate_limit_throttles_without_failing)
{
	const struct cosi_ctl_stats *s;
	char id[16];
	int i;

	self->opts.write_rate = 100;
	self->opts.write_burst = 5;
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "r%02d", i);
		ASSERT_EQ(0, put(self->user, IN_NS, IN_T, id, id));
	}
	ASSERT_NE(NULL, start(self, &mirror));
	settle(self->ev, self->rt, 20000);
	s = cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"));
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "r%02d", i);
		EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, id, id));
	}
	EXPECT_LT(0, s->throttled);
	EXPECT_EQ(0, s->failures);
	EXPECT_EQ(40, s->writes);
}

/*
 * Up to 15 s of settling plus 500 writes: over the harness's default 30 s
 * on the debug kernel (KASAN, ASan, TCG) beside another guest.
 */
TEST_F_TIMEOUT(rt, watch_overflow_resumes_and_reconciles, 120)
{
	char v[16];
	int i;

	self->opts.watch_rcvbuf = 4096;
	ASSERT_NE(NULL, start(self, &mirror));
	settle(self->ev, self->rt, 5000);
	/* Far more events than the receive buffer holds, loop not running. */
	for (i = 0; i < 500; i++) {
		snprintf(v, sizeof(v), "%d", i);
		ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "x", v));
	}
	settle(self->ev, self->rt, 10000);
	EXPECT_LE(1, cosi_runtime_resyncs(self->rt));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "x", "499"));
}

FIXTURE(hist) {
	int unused;
};

FIXTURE_SETUP(hist)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(hist)
{
}

TEST_F_TIMEOUT(hist, overflow_past_history_bootstraps_and_reports_vanished, 120)
{
	COSI_OPTS(cosi_runtime_opts, opts, .watch_rcvbuf = 4096);
	struct tstate st = { 0 };
	struct cosi_runtime *rt;
	struct cosi *user;
	sd_event *ev;
	char id[16];
	int i;

	/* A netns reads history_size when it is set up. */
	ASSERT_EQ(0, set_param("history_size", "32"));
	i = unshare(CLONE_NEWNET);
	ASSERT_EQ(0, set_param("history_size", "4096"));
	ASSERT_EQ(0, i);
	user = cosi_open();
	ASSERT_NE(NULL, user);
	ASSERT_EQ(0, define(user, IN_T, IN_NS));
	ASSERT_EQ(0, define(user, MID_T, MID_NS));
	ASSERT_EQ(0, define(user, OUT_T, OUT_NS));
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		ASSERT_EQ(0, put(user, IN_NS, IN_T, id, "v"));
	}
	ASSERT_LE(0, sd_event_new(&ev));
	rt = cosi_runtime_new(ev, &opts);
	ASSERT_NE(NULL, rt);
	ASSERT_EQ(0, cosi_runtime_register(rt, &qmirror_weak, &st, NULL));
	ASSERT_EQ(0, cosi_runtime_start(rt));
	settle(ev, rt, 5000);
	ASSERT_TRUE(value_is(user, OUT_NS, OUT_T, "r9", "v"));
	/* Destroy five inputs, then bury that in 400 more events. */
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		ASSERT_EQ(0, cosi_resource_destroy(user,
			  COSI_OPTS_PTR(cosi_req, .ns = IN_NS, .type = IN_T,
					.id = id), NULL));
	}
	for (i = 0; i < 400; i++) {
		snprintf(id, sizeof(id), "%d", i);
		ASSERT_EQ(0, put(user, IN_NS, IN_T, "r9", id));
	}
	settle(ev, rt, 10000);
	EXPECT_LE(1, cosi_runtime_resyncs(rt));
	/* Only synthesised destroyed events can have queued these keys. */
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		EXPECT_TRUE(value_is(user, OUT_NS, OUT_T, id, NULL));
	}
	EXPECT_TRUE(value_is(user, OUT_NS, OUT_T, "r5", "v"));
	EXPECT_TRUE(value_is(user, OUT_NS, OUT_T, "r9", "399"));
	cosi_runtime_free(rt);
	sd_event_unref(ev);
	cosi_close(user);
}

TEST_F(rt, ownership_is_enforced)
{
	static const struct cosi_controller dup_excl = {
		.sz = sizeof(struct cosi_controller),
		.name = "other", .outputs = out_shared, .n_outputs = 1,
		.run = noop_run,
	};
	static const struct cosi_controller same_name = {
		.sz = sizeof(struct cosi_controller),
		.name = "mirror", .outputs = mid_excl, .n_outputs = 1,
		.run = noop_run,
	};
	struct cosi_runtime *rt2;
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r, .ns = OUT_NS, .type = OUT_T, .id = "a",
		  .spec = &spec);

	ASSERT_NE(NULL, start(self, &mirror));
	EXPECT_EQ(-EBUSY, cosi_runtime_register(self->rt, &dup_excl, NULL,
						NULL));
	EXPECT_EQ(-EEXIST, cosi_runtime_register(self->rt, &same_name, NULL,
						 NULL));
	/* Another process cannot act as "mirror": the kernel holds the claim. */
	rt2 = cosi_runtime_new(self->ev, NULL);
	ASSERT_NE(NULL, rt2);
	EXPECT_EQ(-EBUSY, cosi_runtime_register(rt2, &same_name, NULL, NULL));
	cosi_runtime_free(rt2);

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	settle(self->ev, self->rt, 5000);
	cosi_spec_add_string(&spec, "value", "forged");
	EXPECT_EQ(-EACCES, cosi_resource_update(self->user, &r, NULL));
	cosi_spec_clear(&spec);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
}

/* chain: Inputs -> (stage1) -> Mids -> (stage2) -> Outputs, value + "!" */
static int stage_run(struct cosi_ctl *ctl, const char *ns, const char *type,
		     const char *ons, const char *otype, const char *suffix)
{
	struct cosi_resources l = { 0 };
	struct cosi_spec spec = { 0 };
	char v[300];
	size_t i;
	int err;

	err = cosi_ctl_list(ctl, ns, type, &l);
	for (i = 0; !err && i < l.n; i++) {
		snprintf(v, sizeof(v), "%s%s", spec_value(l.v[i]), suffix);
		cosi_spec_add_string(&spec, "value", v);
		err = cosi_ctl_apply(ctl, ons, otype, l.v[i]->id, NULL, &spec);
		cosi_spec_clear(&spec);
	}
	cosi_resources_clear(&l);
	return err;
}

static int stage1_run(struct cosi_ctl *ctl)
{
	return stage_run(ctl, IN_NS, IN_T, MID_NS, MID_T, "");
}

static int stage2_run(struct cosi_ctl *ctl)
{
	return stage_run(ctl, MID_NS, MID_T, OUT_NS, OUT_T, "!");
}

TEST_F(rt, chained_controllers_converge_in_order)
{
	static const struct cosi_input mid_in[] = {
		{ MID_NS, MID_T, NULL, COSI_INPUT_WEAK },
	};
	/* Registered consumer first: order of registration does not matter. */
	static const struct cosi_controller stage2 = {
		.sz = sizeof(struct cosi_controller),
		.name = "stage2", .inputs = mid_in, .n_inputs = 1,
		.outputs = out_excl, .n_outputs = 1, .run = stage2_run,
	};
	static const struct cosi_controller stage1 = {
		.sz = sizeof(struct cosi_controller),
		.name = "stage1", .inputs = in_weak, .n_inputs = 1,
		.outputs = mid_excl, .n_outputs = 1, .run = stage1_run,
	};
	struct cond c = { self->user, OUT_NS, OUT_T, "a", "3!" };

	ASSERT_NE(NULL, start(self, &stage2));
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &stage1, NULL, NULL));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "2"));
	settle(self->ev, self->rt, 5000);
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "3"));
	EXPECT_TRUE(run_until(self->ev, cond_value, &c, 5000));
	EXPECT_TRUE(value_is(self->user, MID_NS, MID_T, "a", "3"));
}

static int fd_run(struct cosi_ctl *ctl)
{
	struct tstate *st = cosi_ctl_data(ctl);
	char buf[64];
	ssize_t n;

	st->nruns++;
	if (st->nruns <= st->fail_first)
		return -EIO;	/* fd left readable during the backoff */
	while ((n = read(st->fd, buf, sizeof(buf))) > 0)
		st->drained += n;
	return 0;
}

TEST_F(rt, watched_fd_wakes_controller_without_spinning)
{
	static const struct cosi_controller fdc = {
		.sz = sizeof(struct cosi_controller),
		.name = "fdc", .outputs = mid_excl, .n_outputs = 1,
		.run = fd_run,
	};
	struct cosi_ctl *ctl;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	self->st.fd = p[0];
	self->st.fail_first = 2;
	self->opts.backoff_initial_ms = 200;
	self->rt = cosi_runtime_new(self->ev, &self->opts);
	ASSERT_NE(NULL, self->rt);
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &fdc, &self->st, &ctl));
	ASSERT_EQ(0, cosi_ctl_watch_fd(ctl, p[0]));
	ASSERT_EQ(0, cosi_runtime_start(self->rt));
	ASSERT_EQ(3, write(p[1], "abc", 3));
	settle(self->ev, self->rt, 5000);
	/* Start run fails, backoff run fails, then one run drains. */
	EXPECT_EQ(3, self->st.nruns);
	EXPECT_EQ(3, self->st.drained);
	ASSERT_EQ(2, write(p[1], "de", 2));
	settle(self->ev, self->rt, 5000);
	EXPECT_EQ(4, self->st.nruns);
	EXPECT_EQ(5, self->st.drained);
	close(p[0]);
	close(p[1]);
}

TEST_F(rt, stream_resumes_after_a_saved_revision)
{
	struct cosi_event_vec v = { 0 };
	struct cosi_stream *s;
	struct cosi *c;
	uint64_t rev;

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "1"));
	/* A first consumer bootstraps and notes where it got to. */
	s = cosi_stream_new(self->user, cosi_event_vec_push, &v);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, cosi_stream_add(s, IN_NS, IN_T, NULL));
	ASSERT_EQ(3, v.n);	/* a, b, marker */
	rev = cosi_stream_revision(s);
	cosi_stream_free(s);
	cosi_event_vec_clear(&v);

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "c", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "2"));
	/* "Restarted": only what happened after @rev. */
	c = cosi_open();
	ASSERT_NE(NULL, c);
	s = cosi_stream_new(c, cosi_event_vec_push, &v);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, cosi_stream_add_from(s, IN_NS, IN_T, NULL, rev));
	ASSERT_EQ(3, v.n);
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, v.v[0]->kind);
	EXPECT_STREQ("c", v.v[0]->res->id);
	EXPECT_EQ(COSI_EVENT_KIND_UPDATED, v.v[1]->kind);
	EXPECT_STREQ("a", v.v[1]->res->id);
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, v.v[2]->kind);
	EXPECT_EQ(0, cosi_stream_stats(s)->bootstraps);
	cosi_event_vec_clear(&v);
	/* Live events follow. */
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "2"));
	EXPECT_EQ(1, cosi_stream_dispatch(s, 1000));
	ASSERT_EQ(1, v.n);
	EXPECT_STREQ("b", v.v[0]->res->id);
	cosi_event_vec_clear(&v);
	cosi_stream_free(s);
	cosi_close(c);
}

/* qcount: a queue controller that only counts the keys it is given. */
static int qcount_reconcile(struct cosi_ctl *ctl, const char *ns,
			    const char *type, const char *id)
{
	struct tstate *st = cosi_ctl_data(ctl);

	(void)ns;
	(void)type;
	(void)id;
	st->nruns++;
	return 0;
}

static const struct cosi_controller qcount = {
	.sz = sizeof(struct cosi_controller),
	.name = "qcount",
	.inputs = in_weak, .n_inputs = 1,
	.outputs = mid_excl, .n_outputs = 1,
	.reconcile = qcount_reconcile,
};

TEST_F(rt, late_queue_controller_gets_present_keys)
{
	struct tstate late = { 0 };

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "c", "1"));
	ASSERT_NE(NULL, start(self, &mirror));
	settle(self->ev, self->rt, 5000);
	/* Its input type is watched already: no bootstrap for it. */
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &qcount, &late, NULL));
	EXPECT_EQ(1, cosi_runtime_watches(self->rt));
	settle(self->ev, self->rt, 5000);
	EXPECT_EQ(3, late.nruns);
}

/* obs: counts its runs and when they started. */
static int obs_run(struct cosi_ctl *ctl)
{
	struct tstate *st = cosi_ctl_data(ctl);

	if (st->nruns < 16)
		st->run_at[st->nruns] = now_ms();
	st->nruns++;
	return 0;
}

TEST_F(rt, observer_runs_after_the_others_coalesced_never_when_idle)
{
	static const struct cosi_controller obs = {
		.sz = sizeof(struct cosi_controller),
		.name = "obs", .run = obs_run,
	};
	static const struct cosi_controller obs2 = {
		.sz = sizeof(struct cosi_controller),
		.name = "obs2", .run = obs_run,
	};
	struct tstate o = { 0 }, o2 = { 0 };
	struct cosi_ctl *octl, *o2ctl, *qctl;
	uint64_t mruns, t0;
	int n, i;
	char v[16];

	ASSERT_NE(NULL, start(self, &mirror));
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &obs, &o, &octl));
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &obs2, &o2, &o2ctl));
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &qcount, &self->st,
					   &qctl));
	EXPECT_EQ(-EINVAL, cosi_runtime_observe(self->rt, qctl, 300));
	ASSERT_EQ(0, cosi_runtime_observe(self->rt, octl, 300));
	EXPECT_EQ(-EINVAL, cosi_runtime_observe(self->rt, o2ctl, 300));
	spin(self->ev, 1000);
	ASSERT_LE(1, o.nruns);

	/* Idle: nothing ran, so the observer is not woken either. */
	n = o.nruns;
	spin(self->ev, 1500);
	EXPECT_EQ(n, o.nruns);

	/* A burst of runs of the others: one observer run, a period later. */
	mruns = cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"))->runs;
	t0 = now_ms();
	for (i = 0; i < 20; i++) {
		snprintf(v, sizeof(v), "%d", i);
		ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "x", v));
	}
	spin(self->ev, 1500);
	ASSERT_LT(mruns, cosi_ctl_stats(cosi_runtime_find(self->rt,
							  "mirror"))->runs);
	/* mirror and qcount ran at least twice in all; one or two periods. */
	EXPECT_LE(n + 1, o.nruns);
	EXPECT_GE(n + 2, o.nruns);
	ASSERT_GT(16, n);
	EXPECT_LE(t0 + 300, o.run_at[n] + 2);
	/* Its own run woke nobody, itself included. */
	n = o.nruns;
	spin(self->ev, 1000);
	EXPECT_EQ(n, o.nruns);
	EXPECT_EQ(1, o2.nruns);
}

TEST_F(rt, queue_controller_refuses_watch_fd)
{
	struct cosi_ctl *ctl;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_NONBLOCK));
	self->rt = cosi_runtime_new(self->ev, &self->opts);
	ASSERT_NE(NULL, self->rt);
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &qcount, &self->st,
					   &ctl));
	/* An fd wakes a run; a queue controller has none to wake. */
	EXPECT_EQ(-EINVAL, cosi_ctl_watch_fd(ctl, p[0]));
	EXPECT_EQ(-EINVAL, cosi_ctl_watch_fd_events(ctl, p[0], EPOLLPRI));
	close(p[0]);
	close(p[1]);
}

/*
 * Output a, written from input a = 1 by controller @name (started), then
 * input a = 2 while the write of output a races a finalizer-add: read
 * again and written, not failed.
 */
static void output_race_is_reread(struct _test_data_rt *self,
				  struct __test_metadata *_metadata,
				  const char *name)
{
	const struct cosi_ctl_stats *s;
	struct cosi_resource *out;

	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	s = cosi_ctl_stats(cosi_runtime_find(self->rt, name));
	race_conn = self->user;
	race_id = "a";
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "2"));
	settle(self->ev, self->rt, 5000);
	EXPECT_EQ(NULL, race_id);	/* the race happened */
	race_conn = NULL;
	race_id = NULL;
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "2"));
	EXPECT_EQ(0, s->failures);
	EXPECT_EQ(0, s->backoff_ms);
	ASSERT_EQ(0, cosi_resource_get(self->user, OUT_NS, OUT_T, "a", &out));
	EXPECT_TRUE(cosi_strs_has(&out->finalizers, "racer"));
	cosi_resource_free(out);
}

TEST_F(rt, update_conflict_is_reread_not_failed)
{
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_NE(NULL, start(self, &mirror));
	output_race_is_reread(self, _metadata, "mirror");
}

/*
 * An output whose content changes is updated at the version its last
 * write made, without a read; the same content is read (and not
 * written); a write of someone else in between is read again, not lost.
 */
TEST_F(rt, changed_output_is_written_without_a_read)
{
	const struct cosi_ctl_stats *s;
	struct cosi_resource *out;
	uint64_t writes, version;

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_NE(NULL, start(self, &mirror));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	s = cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"));
	gets_id = "a";
	gets_not = self->user;
	gets = 0;
	writes = s->writes;
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "2"));
	settle(self->ev, self->rt, 5000);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "2"));
	EXPECT_EQ(0, gets);
	EXPECT_EQ(writes + 1, s->writes);

	/* Another input wakes it: a, the same, is read and not written. */
	ASSERT_EQ(0, cosi_resource_get(self->user, OUT_NS, OUT_T, "a", &out));
	version = out->version;
	cosi_resource_free(out);
	gets = 0;
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "1"));
	settle(self->ev, self->rt, 5000);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "b", "1"));
	EXPECT_EQ(1, gets);
	EXPECT_EQ(writes + 2, s->writes);	/* b's create */
	ASSERT_EQ(0, cosi_resource_get(self->user, OUT_NS, OUT_T, "a", &out));
	EXPECT_EQ(version, out->version);
	cosi_resource_free(out);

	/* A consumer's finalizer moved the version on: read, then written. */
	ASSERT_EQ(0, add_racer(self->user, OUT_NS, OUT_T, "a"));
	gets = 0;
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "3"));
	settle(self->ev, self->rt, 5000);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "3"));
	EXPECT_EQ(1, gets);
	EXPECT_EQ(0, s->failures);
	ASSERT_EQ(0, cosi_resource_get(self->user, OUT_NS, OUT_T, "a", &out));
	EXPECT_TRUE(cosi_strs_has(&out->finalizers, "racer"));
	cosi_resource_free(out);
	gets_id = NULL;
	gets_not = NULL;
}

/*
 * A consumer's finalizer moved the output on since our last write: the
 * update at that version is refused, the output read, and written.  That
 * is one write, as it was with a read first: one token, one in
 * stats.writes, nothing throttled (no wait for the next token).
 */
TEST_F(rt, refused_write_without_a_read_takes_one_token)
{
	const struct cosi_ctl_stats *s;
	uint64_t writes, throttled;

	self->opts.write_rate = 1;
	self->opts.write_burst = 1;
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_NE(NULL, start(self, &mirror));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	s = cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"));
	spin(self->ev, 1500);		/* the bucket is full again: 1 token */
	writes = s->writes;
	throttled = s->throttled;
	ASSERT_EQ(0, add_racer(self->user, OUT_NS, OUT_T, "a"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "2"));
	settle(self->ev, self->rt, 5000);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "2"));
	EXPECT_EQ(writes + 1, s->writes);
	EXPECT_EQ(throttled, s->throttled);
	EXPECT_EQ(0, s->failures);
}

TEST_F(rt, throttled_controller_survives_a_timer_it_cannot_arm)
{
	const struct cosi_ctl_stats *s;
	char id[16];
	int i;

	self->opts.write_rate = 100;
	self->opts.write_burst = 5;
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "r%02d", i);
		ASSERT_EQ(0, put(self->user, IN_NS, IN_T, id, id));
	}
	ASSERT_NE(NULL, start(self, &mirror));
	/* The retry timer of the first throttled run cannot be armed. */
	fail_add_time = 1;
	settle(self->ev, self->rt, 10000);
	EXPECT_EQ(0, fail_add_time);	/* the fault was hit */
	fail_add_time = 0;
	s = cosi_ctl_stats(cosi_runtime_find(self->rt, "mirror"));
	EXPECT_LT(0, s->throttled);
	EXPECT_EQ(0, s->failures);
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "r%02d", i);
		EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, id, id));
	}
}

TEST_F(rt, refused_watch_at_start_is_retried_with_backoff)
{
	struct cond c = { self->user, OUT_NS, OUT_T, "a", "1" };
	char *max = get_param("max_socket_watchers");
	unsigned int b, prev = 0;
	int rises = 0, i;

	ASSERT_NE(NULL, max);
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	self->opts.backoff_initial_ms = 20;
	self->opts.backoff_max_ms = 200;
	/* No socket may watch: the kernel refuses the input watch. */
	ASSERT_EQ(0, set_param("max_socket_watchers", "0"));
	self->rt = cosi_runtime_new(self->ev, &self->opts);
	ASSERT_NE(NULL, self->rt);
	ASSERT_EQ(0, cosi_runtime_register(self->rt, &mirror, &self->st,
					   NULL));
	/* Nor can the first retry's timer be armed. */
	fail_add_time = 1;
	i = cosi_runtime_start(self->rt);
	EXPECT_EQ(0, i) {
		set_param("max_socket_watchers", max);
		free(max);
	}
	ASSERT_EQ(0, i);
	/* Retries back off: 20, 30, 45, ... capped at 200 ms. */
	for (i = 0; i < 40; i++) {
		b = cosi_runtime_watch_backoff_ms(self->rt);
		EXPECT_LE(b, 200);
		EXPECT_LE(prev, b);
		rises += b > prev;
		prev = b;
		sd_event_run(self->ev, 30000);
	}
	EXPECT_LE(5, rises);
	EXPECT_EQ(200, prev);
	EXPECT_EQ(0, fail_add_time);
	fail_add_time = 0;
	ASSERT_EQ(0, set_param("max_socket_watchers", max));
	free(max);
	/* Allowed again: the next retry starts the watch. */
	EXPECT_TRUE(run_until(self->ev, cond_value, &c, 2000));
	EXPECT_EQ(0, cosi_runtime_watch_backoff_ms(self->rt));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "2"));
	c.want = "2";
	EXPECT_TRUE(run_until(self->ev, cond_value, &c, 2000));
}

TEST_F(rt, restarted_watches_report_what_vanished_meanwhile)
{
	static const struct cosi_input mid_in[] = {
		{ MID_NS, MID_T, NULL, COSI_INPUT_WEAK },
	};
	static const struct cosi_output none_out[] = {
		{ "Nothing.test", COSI_OUTPUT_EXCLUSIVE },
	};
	static const struct cosi_controller late = {
		.sz = sizeof(struct cosi_controller),
		.name = "late", .inputs = mid_in, .n_inputs = 1,
		.outputs = none_out, .n_outputs = 1, .run = noop_run,
	};
	char *max = get_param("max_socket_watchers");
	int err;

	ASSERT_NE(NULL, max);
	self->opts.backoff_initial_ms = 100;
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "1"));
	ASSERT_NE(NULL, start(self, &qmirror_weak));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	/* A new input the kernel refuses to watch: all watches restart. */
	ASSERT_EQ(0, set_param("max_socket_watchers", "0"));
	err = cosi_runtime_register(self->rt, &late, NULL, NULL);
	EXPECT_NE(0, cosi_runtime_watch_backoff_ms(self->rt));
	/* In the gap: a vanishes, b changes. */
	EXPECT_EQ(0, cosi_resource_destroy(self->user,
		  COSI_OPTS_PTR(cosi_req, .ns = IN_NS, .type = IN_T, .id = "a"),
		  NULL));
	EXPECT_EQ(0, put(self->user, IN_NS, IN_T, "b", "2"));
	spin(self->ev, 150);
	ASSERT_EQ(0, set_param("max_socket_watchers", max));
	free(max);
	ASSERT_EQ(0, err);
	settle(self->ev, self->rt, 5000);
	EXPECT_EQ(0, cosi_runtime_watch_backoff_ms(self->rt));
	EXPECT_EQ(2, cosi_runtime_watches(self->rt));
	/* Only the restart can have told qmirror of both. */
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", NULL));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "b", "2"));
}

/* Transform controllers (runtime/transform.h): their state. */
struct tfstate {
	int undo_fail;			/* undos that fail before one works */
	int undos;			/* undo calls */
	bool undo_held;			/* each saw its input held, output there */
	char undone[32];		/* the output's value the last undo saw */
	int retry;			/* aggregate: returned after writing */
};

static int tf_transform(struct cosi_ctl *ctl, const struct cosi_resource *in,
			struct cosi_tf_out *out)
{
	(void)ctl;
	return cosi_spec_add_string(&out->spec, "value", spec_value(in));
}

static int tf_undo(struct cosi_ctl *ctl, const char *id,
		   const struct cosi_resource *in,
		   const struct cosi_resource *cur)
{
	struct tfstate *st = cosi_tf_data(ctl);
	struct cosi_resource *now = NULL;

	/* Held in the kernel, not just in the copy read before. */
	st->undos++;
	if (!in || cosi_ctl_get(ctl, IN_NS, IN_T, id, &now) ||
	    !cosi_strs_has(&now->finalizers, "tf") || !cur)
		st->undo_held = false;
	cosi_resource_free(now);
	snprintf(st->undone, sizeof(st->undone), "%s",
		 cur ? spec_value(cur) : "");
	if (st->undo_fail > 0) {
		st->undo_fail--;
		return -EIO;
	}
	return 0;
}

/* All live inputs -> "id=value,..." in the output "all". */
static int tfagg_aggregate(struct cosi_ctl *ctl,
			   const struct cosi_resource *const *in, size_t n,
			   struct cosi_tf_out *out)
{
	struct tfstate *st = cosi_tf_data(ctl);
	char buf[256] = "";
	size_t i, len = 0;

	for (i = 0; i < n && len < sizeof(buf); i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s=%s",
				i ? "," : "", in[i]->id, spec_value(in[i]));
	out->retry = st->retry;
	return cosi_spec_add_string(&out->spec, "value", buf);
}

static const struct cosi_transform tf = {
	.sz = sizeof(struct cosi_transform),
	.name = "tf",
	.in_ns = IN_NS, .in_type = IN_T,
	.out_ns = OUT_NS, .out_type = OUT_T,
	.transform = tf_transform,
	.undo = tf_undo,
};

static const struct cosi_transform tfagg = {
	.sz = sizeof(struct cosi_transform),
	.name = "tfagg",
	.in_ns = IN_NS, .in_type = IN_T,
	.out_ns = OUT_NS, .out_type = OUT_T, .out_id = "all",
	.aggregate = tfagg_aggregate,
};

static struct cosi_ctl *tf_start(struct _test_data_rt *self,
				 const struct cosi_transform *t,
				 struct tfstate *st)
{
	struct cosi_ctl *ctl = NULL;

	self->rt = cosi_runtime_new(self->ev, &self->opts);
	if (!self->rt || cosi_transform_register(self->rt, t, st, &ctl) ||
	    cosi_runtime_start(self->rt))
		return NULL;
	return ctl;
}

static bool has_finalizer(struct cosi *c, const char *id, const char *fin)
{
	struct cosi_resource *r;
	bool has;

	if (cosi_resource_get(c, IN_NS, IN_T, id, &r))
		return false;
	has = cosi_strs_has(&r->finalizers, fin);
	cosi_resource_free(r);
	return has;
}

static bool tf_undone(void *arg)
{
	return ((struct tfstate *)arg)->undos > 0;
}

TEST_F(rt, transform_status_per_input_released_after_undo)
{
	COSI_OPTS(cosi_req, r, .ns = IN_NS, .type = IN_T, .id = "a");
	struct cond c = { self->user, IN_NS, IN_T, "a", NULL };
	struct tfstate st = { .undo_held = true };
	char *fin = "cons";
	struct cosi_strs fins = { .v = &fin, .n = 1 };
	COSI_OPTS(cosi_req, ob, .ns = OUT_NS, .type = OUT_T, .id = "b",
		  .finalizers = &fins);
	bool ready = true;

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "2"));
	ASSERT_NE(NULL, tf_start(self, &tf, &st));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "b", "2"));
	EXPECT_TRUE(has_finalizer(self->user, "a", "tf"));
	EXPECT_EQ(-EBUSY, cosi_resource_destroy(self->user, &r, NULL));

	/* Undone, its status destroyed, and only then released. */
	ASSERT_EQ(0, cosi_resource_teardown(self->user, &r, &ready, NULL));
	ASSERT_TRUE(run_until(self->ev, no_finalizers, &c, 5000));
	EXPECT_EQ(1, st.undos);
	EXPECT_TRUE(st.undo_held);
	EXPECT_STREQ("1", st.undone);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", NULL));
	EXPECT_EQ(0, cosi_resource_destroy(self->user, &r, NULL));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "b", "2"));

	/* A status someone holds: the input waits until it is destroyed. */
	ASSERT_EQ(0, cosi_finalizer_add(self->user, &ob, NULL));
	r.id = c.id = "b";
	ASSERT_EQ(0, cosi_resource_teardown(self->user, &r, &ready, NULL));
	spin(self->ev, 300);
	EXPECT_EQ(2, st.undos);
	EXPECT_TRUE(has_finalizer(self->user, "b", "tf"));
	ASSERT_EQ(0, cosi_finalizer_remove(self->user, &ob, NULL));
	ASSERT_TRUE(run_until(self->ev, no_finalizers, &c, 5000));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "b", NULL));
	/* Undone once: not again while the status was tearing down. */
	EXPECT_EQ(2, st.undos);
	EXPECT_TRUE(st.undo_held);
	EXPECT_EQ(0, cosi_resource_destroy(self->user, &r, NULL));
}

/*
 * The transform's write reuses the output as read before the transform
 * (no second read); when its version moved in between (a consumer adds
 * a finalizer), the write's ESTALE reads it again: written, not failed.
 */
TEST_F(rt, transform_output_race_is_reread)
{
	struct tfstate st = { 0 };

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_NE(NULL, tf_start(self, &tf, &st));
	output_race_is_reread(self, _metadata, tf.name);
}

TEST_F(rt, transform_failed_undo_keeps_finalizer_and_retries)
{
	COSI_OPTS(cosi_req, r, .ns = IN_NS, .type = IN_T, .id = "a");
	struct cond c = { self->user, IN_NS, IN_T, "a", NULL };
	struct tfstate st = { .undo_fail = 2, .undo_held = true };
	struct cosi_ctl *ctl;
	bool ready = true;

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_NE(NULL, ctl = tf_start(self, &tf, &st));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	ASSERT_EQ(0, cosi_resource_teardown(self->user, &r, &ready, NULL));
	ASSERT_TRUE(run_until(self->ev, tf_undone, &st, 5000));
	/* The undo failed: the input stays held, its status stays. */
	spin(self->ev, 100);
	EXPECT_TRUE(has_finalizer(self->user, "a", "tf"));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	/* Retried with backoff until it works. */
	ASSERT_TRUE(run_until(self->ev, no_finalizers, &c, 10000));
	EXPECT_EQ(3, st.undos);
	EXPECT_TRUE(st.undo_held);
	EXPECT_LE(2, cosi_ctl_stats(ctl)->failures);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", NULL));
	EXPECT_EQ(0, cosi_resource_destroy(self->user, &r, NULL));
}

static bool tf_failed(void *arg)
{
	return cosi_ctl_stats(arg)->failures > 0;
}

TEST_F(rt, transform_failed_write_keeps_the_status)
{
	struct tfstate st = { 0 };
	struct cosi_ctl *ctl;

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_NE(NULL, ctl = tf_start(self, &tfagg, &st));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "all", "a=1"));

	/* The write fails: no output cleanup takes the live one with it. */
	fail_update_id = "all";
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "2"));
	ASSERT_TRUE(run_until(self->ev, tf_failed, ctl, 5000));
	spin(self->ev, 100);
	fail_update_id = NULL;
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "all", "a=1"));
	settle(self->ev, self->rt, 5000);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "all", "a=1,b=2"));
}

TEST_F(rt, transform_aggregate_releases_what_it_left_out)
{
	COSI_OPTS(cosi_req, a, .ns = IN_NS, .type = IN_T, .id = "a");
	COSI_OPTS(cosi_req, b, .ns = IN_NS, .type = IN_T, .id = "b");
	struct cond c = { self->user, IN_NS, IN_T, "b", NULL };
	struct cond all = { self->user, OUT_NS, OUT_T, "all", "a=1" };
	struct tfstate st = { 0 };
	bool ready = true;

	/* The one output exists with no input at all. */
	ASSERT_NE(NULL, tf_start(self, &tfagg, &st));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "all", ""));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "2"));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "all", "a=1,b=2"));
	EXPECT_TRUE(has_finalizer(self->user, "a", "tfagg"));
	EXPECT_TRUE(has_finalizer(self->user, "b", "tfagg"));

	/* Left out, but the OS work failed: b stays held. */
	st.retry = -EIO;
	ASSERT_EQ(0, cosi_resource_teardown(self->user, &b, &ready, NULL));
	ASSERT_TRUE(run_until(self->ev, cond_value, &all, 5000));
	spin(self->ev, 100);
	EXPECT_TRUE(has_finalizer(self->user, "b", "tfagg"));
	/* It works again: b is let go. */
	st.retry = 0;
	ASSERT_TRUE(run_until(self->ev, no_finalizers, &c, 10000));
	EXPECT_EQ(0, cosi_resource_destroy(self->user, &b, NULL));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "all", "a=1"));

	ASSERT_EQ(0, cosi_resource_teardown(self->user, &a, &ready, NULL));
	c.id = "a";
	ASSERT_TRUE(run_until(self->ev, no_finalizers, &c, 5000));
	EXPECT_EQ(0, cosi_resource_destroy(self->user, &a, NULL));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "all", ""));
}

TEST_F(rt, transform_aggregate_goes_on_past_an_input_it_cannot_hold)
{
	COSI_OPTS(cosi_req, a, .ns = IN_NS, .type = IN_T, .id = "a");
	COSI_OPTS(cosi_req, c, .ns = IN_NS, .type = IN_T, .id = "c");
	struct cond gone = { self->user, IN_NS, IN_T, "c", NULL };
	struct cond all = { self->user, OUT_NS, OUT_T, "all", "b=2" };
	struct cosi_strs fins = { 0 };
	struct tfstate st = { 0 };
	struct cosi_ctl *ctl;
	char name[16], *fin = name;
	bool ready = true;
	int i, err = 0;

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "2"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "c", "3"));
	/* Anyone may fill a's finalizers: tfagg's hold of it fails. */
	fins.v = &fin;
	fins.n = 1;
	a.finalizers = &fins;
	for (i = 0; !err && i < 1000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		err = cosi_finalizer_add(self->user, &a, NULL);
	}
	ASSERT_EQ(-E2BIG, err);
	a.finalizers = NULL;

	ASSERT_NE(NULL, ctl = tf_start(self, &tfagg, &st));
	ASSERT_TRUE(run_until(self->ev, tf_failed, ctl, 5000));
	settle(self->ev, self->rt, 1000);
	/* Left out; the others are written and held. */
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "all", "b=2,c=3"));
	EXPECT_FALSE(has_finalizer(self->user, "a", "tfagg"));
	EXPECT_TRUE(has_finalizer(self->user, "c", "tfagg"));
	/* A deletion of another input is not held up by it. */
	ASSERT_EQ(0, cosi_resource_teardown(self->user, &c, &ready, NULL));
	ASSERT_TRUE(run_until(self->ev, no_finalizers, &gone, 5000));
	ASSERT_TRUE(run_until(self->ev, cond_value, &all, 5000));
	EXPECT_EQ(0, cosi_resource_destroy(self->user, &c, NULL));
	EXPECT_EQ(E2BIG, cosi_ctl_stats(ctl)->last_error);
}

TEST_F(rt, transform_undoes_an_output_whose_input_went_while_it_was_down)
{
	COSI_OPTS(cosi_req, r, .ns = IN_NS, .type = IN_T, .id = "a");
	char *fin = "tf";
	struct cosi_strs fins = { .v = &fin, .n = 1 };
	struct tfstate st = { 0 };
	bool ready = false;

	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "a", "1"));
	ASSERT_EQ(0, put(self->user, IN_NS, IN_T, "b", "2"));
	ASSERT_NE(NULL, tf_start(self, &tf, &st));
	settle(self->ev, self->rt, 5000);
	ASSERT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", "1"));
	cosi_runtime_free(self->rt);
	self->rt = NULL;

	/* While it is down: its finalizer removed by hand, the input deleted. */
	r.finalizers = &fins;
	ASSERT_EQ(0, cosi_finalizer_remove(self->user, &r, NULL));
	r.finalizers = NULL;
	ASSERT_EQ(0, cosi_resource_teardown(self->user, &r, &ready, NULL));
	ASSERT_EQ(0, cosi_resource_destroy(self->user, &r, NULL));

	/* Started again: no event names a, its output still says "1". */
	ASSERT_NE(NULL, tf_start(self, &tf, &st));
	settle(self->ev, self->rt, 5000);
	EXPECT_EQ(1, st.undos);
	EXPECT_STREQ("1", st.undone);
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "a", NULL));
	EXPECT_TRUE(value_is(self->user, OUT_NS, OUT_T, "b", "2"));
}

TEST_HARNESS_MAIN
