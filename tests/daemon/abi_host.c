// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of libcosi-runtime's ABI check (cosi.h's "ABI rules"):
 * cosi_runtime_new(), cosi_runtime_register() and
 * cosi_transform_register() given structs laid out as a program built
 * against an older header (shorter), a newer one (longer) or none (sz 0)
 * would pass them.  The check comes before any socket, so no kernel is
 * needed; run under ASan/UBSan.  libcosi's entry points run the same
 * check (cosi_unit's opts_abi_check, cosi_resources' abi_* in the VM).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"

#include "runtime/internal.h"
#include "runtime/transform.h"

#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))

/* Bigger than any of the structs, filled with garbage past a caller's sz. */
union caller_buf {
	struct cosi_runtime_opts o;
	struct cosi_controller c;
	struct cosi_transform t;
	unsigned char raw[512];
};

/* A struct of a newer header: the library's, then one more field. */
#define NEWER(T)	struct { struct T cur; uint64_t added; }

FIXTURE(abi) {
	sd_event *ev;
	struct cosi_runtime *rt;
};

FIXTURE_SETUP(abi)
{
	ASSERT_LE(0, sd_event_new(&self->ev));
	self->rt = cosi_runtime_new(self->ev, NULL);
	ASSERT_NE(NULL, self->rt);
}

FIXTURE_TEARDOWN(abi)
{
	cosi_runtime_free(self->rt);
	sd_event_unref(self->ev);
}

TEST_F(abi, runtime_opts)
{
	NEWER(cosi_runtime_opts) nw;
	union caller_buf old;
	struct cosi_runtime *rt;

	/* Older caller, up to backoff_max_ms: the rest is defaults. */
	memset(&old, 0xff, sizeof(old));
	old.o.sz = offsetofend(struct cosi_runtime_opts, backoff_max_ms);
	old.o.backoff_initial_ms = 100;
	old.o.backoff_max_ms = 300;
	rt = cosi_runtime_new(self->ev, &old.o);
	ASSERT_NE(NULL, rt);
	EXPECT_EQ(100, rt->o.backoff_initial_ms);
	EXPECT_EQ(300, rt->o.backoff_max_ms);
	EXPECT_EQ(1.5, rt->o.backoff_factor);
	EXPECT_EQ(1000, rt->o.write_rate);
	EXPECT_EQ(1000, rt->o.write_burst);
	EXPECT_EQ(0, rt->o.watch_rcvbuf);
	cosi_runtime_free(rt);

	/* Newer caller, its new field set: refused. */
	memset(&nw, 0, sizeof(nw));
	nw.cur.sz = sizeof(nw);
	nw.cur.backoff_initial_ms = 100;
	nw.added = 7;
	errno = 0;
	EXPECT_EQ(NULL, cosi_runtime_new(self->ev, &nw.cur));
	EXPECT_EQ(E2BIG, errno);

	/* ... left zero: accepted. */
	nw.added = 0;
	rt = cosi_runtime_new(self->ev, &nw.cur);
	ASSERT_NE(NULL, rt);
	EXPECT_EQ(100, rt->o.backoff_initial_ms);
	EXPECT_EQ(sizeof(rt->o), rt->o.sz);
	cosi_runtime_free(rt);

	/* No sz: not a struct to trust, @data stays the caller's. */
	nw.cur.sz = 0;
	errno = 0;
	EXPECT_EQ(NULL, cosi_runtime_new(self->ev, &nw.cur));
	EXPECT_EQ(EINVAL, errno);
}

static int noop_run(struct cosi_ctl *ctl)
{
	(void)ctl;
	return 0;
}

static int noop_reconcile(struct cosi_ctl *ctl, const char *ns,
			  const char *type, const char *id)
{
	(void)ctl, (void)ns, (void)type, (void)id;
	return 0;
}

TEST_F(abi, controller)
{
	NEWER(cosi_controller) nw;
	union caller_buf old;
	struct cosi_ctl *ctl = NULL;
	int err;

	/*
	 * Older caller, up to run: reconcile and fini read as NULL.  Read
	 * from the garbage, reconcile would make it -EINVAL (run and
	 * reconcile both set); without cosi.ko it then fails to open its
	 * socket, with it the registration succeeds.
	 */
	memset(&old, 0xff, sizeof(old));
	old.c.sz = offsetofend(struct cosi_controller, run);
	old.c.name = "old";
	old.c.inputs = NULL;
	old.c.n_inputs = 0;
	old.c.outputs = NULL;
	old.c.n_outputs = 0;
	old.c.init = NULL;
	old.c.run = noop_run;
	err = cosi_runtime_register(self->rt, &old.c, NULL, &ctl);
	EXPECT_TRUE(err == 0 || err == -ENOENT) TH_LOG("err %d", err);
	if (!err)
		EXPECT_STREQ("old", cosi_ctl_name(ctl));

	/* Newer caller, its new field set: refused before anything. */
	memset(&nw, 0, sizeof(nw));
	nw.cur.sz = sizeof(nw);
	nw.cur.name = "new";
	nw.cur.reconcile = noop_reconcile;
	nw.added = 1;
	EXPECT_EQ(-E2BIG, cosi_runtime_register(self->rt, &nw.cur, NULL, NULL));
	EXPECT_EQ(NULL, cosi_runtime_find(self->rt, "new"));

	/* No sz. */
	nw.added = 0;
	nw.cur.sz = 0;
	EXPECT_EQ(-EINVAL, cosi_runtime_register(self->rt, &nw.cur, NULL,
						 NULL));
}

static int freed;

static void count_free(void *data)
{
	(void)data;
	freed++;
}

static int noop_transform(struct cosi_ctl *ctl, const struct cosi_resource *in,
			  struct cosi_tf_out *out)
{
	(void)ctl, (void)in, (void)out;
	return 0;
}

TEST_F(abi, transform)
{
	NEWER(cosi_transform) nw;
	union caller_buf old;
	int err;

	/*
	 * Older caller, up to transform: undo, aggregate and free_data read
	 * as NULL (garbage there would be -EINVAL: transform and aggregate
	 * both set).
	 */
	memset(&old, 0xff, sizeof(old));
	old.t.sz = offsetofend(struct cosi_transform, transform);
	old.t.name = "old";
	old.t.in_ns = "config";
	old.t.in_type = "In";
	old.t.in_id = NULL;
	old.t.out_ns = "runtime";
	old.t.out_type = "Out";
	old.t.out_id = NULL;
	old.t.extra = NULL;
	old.t.n_extra = 0;
	old.t.init = NULL;
	old.t.transform = noop_transform;
	err = cosi_transform_register(self->rt, &old.t, NULL, NULL);
	EXPECT_TRUE(err == 0 || err == -ENOENT) TH_LOG("err %d", err);

	/* Newer caller, its new field set: refused, @data freed as promised. */
	memset(&nw, 0, sizeof(nw));
	nw.cur.sz = sizeof(nw);
	nw.cur.name = "new";
	nw.cur.in_ns = "config";
	nw.cur.in_type = "In2";
	nw.cur.out_ns = "runtime";
	nw.cur.out_type = "Out2";
	nw.cur.transform = noop_transform;
	nw.cur.free_data = count_free;
	nw.added = 1;
	freed = 0;
	EXPECT_EQ(-E2BIG, cosi_transform_register(self->rt, &nw.cur, &freed,
						  NULL));
	EXPECT_EQ(1, freed);

	/* ... left zero: passes the check (then the kernel decides). */
	nw.added = 0;
	freed = 0;
	err = cosi_transform_register(self->rt, &nw.cur, &freed, NULL);
	EXPECT_TRUE(err == 0 || err == -ENOENT) TH_LOG("err %d", err);
	EXPECT_EQ(err ? 1 : 0, freed);

	/* No sz. */
	nw.cur.sz = 0;
	nw.cur.name = "nosz";
	freed = 0;
	EXPECT_EQ(-EINVAL, cosi_transform_register(self->rt, &nw.cur, &freed,
						   NULL));
	EXPECT_EQ(0, freed);
}

TEST_HARNESS_MAIN
