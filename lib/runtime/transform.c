// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Transform controllers (transform.h): the hold / apply / undo / destroy /
 * release sequence of config -> status controllers, written once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"
#include "runtime/transform.h"

/* The controller's data: the declaration, its arrays, the private data. */
struct cosi_tf {
	struct cosi_transform t;
	struct cosi_controller c;
	struct cosi_input *inputs;
	struct cosi_output output;
	void *data;
};

void *cosi_tf_data(const struct cosi_ctl *ctl)
{
	const struct cosi_tf *tf = cosi_ctl_data(ctl);

	return tf->data;
}

static void cosi_tf_free(struct cosi_tf *tf)
{
	if (tf->t.free_data)
		tf->t.free_data(tf->data);
	free(tf->inputs);
	free(tf);
}

/*
 * The output @id as it is: *@cur when running, NULL when absent or
 * tearing down (*@stale: destroy it before writing).  0 or a negative
 * errno.
 */
static int cosi_tf_current(struct cosi_ctl *ctl, const struct cosi_tf *tf,
			   const char *id, struct cosi_resource **cur,
			   bool *stale)
{
	int err;

	*stale = false;
	*cur = NULL;
	err = cosi_ctl_get(ctl, tf->t.out_ns, tf->t.out_type, id, cur);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	if (cosi_res_tearing_down(*cur)) {
		cosi_resource_free(*cur);
		*cur = NULL;
		*stale = true;
	}
	return 0;
}

/*
 * An output left tearing down (by an earlier input of its id, or torn
 * down by someone) is destroyed before it is written again.  1: it is
 * not there or running (*@cur, or NULL), 0: it waits for finalizers (the
 * destroy-ready input brings us back), or a negative errno.
 */
static int cosi_tf_output(struct cosi_ctl *ctl, const struct cosi_tf *tf,
			  const char *id, struct cosi_resource **cur)
{
	bool stale;
	int err;

	err = cosi_tf_current(ctl, tf, id, cur, &stale);
	if (err || !stale)
		return err ?: 1;
	return cosi_ctl_destroy(ctl, tf->t.out_ns, tf->t.out_type, id);
}

/* Hold @in; 1 when it is going away (its own event brings it back). */
static int cosi_tf_hold(struct cosi_ctl *ctl, const struct cosi_resource *in)
{
	int err = cosi_ctl_hold(ctl, in);

	if (err == -ESTALE || err == -ENOENT)
		return 1;
	return err;
}

/* Per input: a live input, held, applied, its output written. */
static int cosi_tf_running(struct cosi_ctl *ctl, const struct cosi_tf *tf,
			   const struct cosi_resource *in)
{
	struct cosi_resource *cur = NULL;
	struct cosi_tf_out out = { .id = in->id };
	uint64_t writes;
	int err;

	err = cosi_tf_hold(ctl, in);
	if (err)
		return err < 0 ? err : 0;
	err = cosi_tf_output(ctl, tf, in->id, &cur);
	if (err <= 0)
		return err;
	out.cur = cur;
	writes = ctl->stats.writes;
	err = tf->t.transform(ctl, in, &out);
	/*
	 * The output as read above spares the write a second read, unless
	 * the transform wrote on the way (cosi_ctl_apply(): a new version).
	 */
	if (!err)
		err = cosi_ctl_apply_known(ctl, tf->t.out_ns, tf->t.out_type,
					   out.id, NULL, &out.spec, cur,
					   writes == ctl->stats.writes &&
					   !strcmp(out.id, in->id)) ?:
		      out.retry;
	cosi_spec_clear(&out.spec);
	cosi_resource_free(cur);
	return err;
}

/*
 * Per input: @in is tearing down, or gone (NULL).  Undo, destroy the
 * output, and only then let the input go.
 */
static int cosi_tf_teardown(struct cosi_ctl *ctl, const struct cosi_tf *tf,
			    const char *id, const struct cosi_resource *in)
{
	struct cosi_resource *cur = NULL;
	int err;

	if (tf->t.undo) {
		err = cosi_ctl_get(ctl, tf->t.out_ns, tf->t.out_type, id, &cur);
		if (err && err != -ENOENT)
			return err;
		/*
		 * The running output records what was done: none, nothing
		 * to undo; tearing down, undone before it was torn down.
		 */
		err = cur && !cosi_res_tearing_down(cur) ?
		      tf->t.undo(ctl, id, in, cur) : 0;
		cosi_resource_free(cur);
		if (err)
			return err;
	}
	err = cosi_ctl_destroy(ctl, tf->t.out_ns, tf->t.out_type, id);
	if (err <= 0)
		return err;	/* 0: the destroy-ready input requeues us */
	return in ? cosi_ctl_release(ctl, in) : 0;
}

/* Every key's id is the input's: its own, its output's, extra inputs'. */
static int cosi_tf_reconcile(struct cosi_ctl *ctl, const char *ns,
			     const char *type, const char *id)
{
	const struct cosi_tf *tf = cosi_ctl_data(ctl);
	struct cosi_resource *in = NULL;
	int err;

	(void)ns;
	(void)type;
	if (tf->t.in_id && strcmp(id, tf->t.in_id))
		return 0;
	err = cosi_ctl_get(ctl, tf->t.in_ns, tf->t.in_type, id, &in);
	if (err == -ENOENT)
		return cosi_tf_teardown(ctl, tf, id, NULL);
	if (err)
		return err;
	if (cosi_res_tearing_down(in))
		err = cosi_tf_teardown(ctl, tf, id, in);
	else
		err = cosi_tf_running(ctl, tf, in);
	cosi_resource_free(in);
	return err;
}

/* The aggregate's inputs: one (in_id) or all of them. */
static int cosi_tf_list(struct cosi_ctl *ctl, const struct cosi_tf *tf,
			struct cosi_resources *l)
{
	struct cosi_resource *r = NULL;
	int err;

	if (!tf->t.in_id)
		return cosi_ctl_list(ctl, tf->t.in_ns, tf->t.in_type, l);
	err = cosi_ctl_get(ctl, tf->t.in_ns, tf->t.in_type, tf->t.in_id, &r);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	l->v = malloc(sizeof(*l->v));
	if (!l->v) {
		cosi_resource_free(r);
		return -ENOMEM;
	}
	l->v[0] = r;
	l->n = 1;
	return 0;
}

/*
 * Hold every live input and gather them in @live; one that went away
 * meanwhile is marked tearing down in @l (its own event runs us again).
 * One that cannot be held (E2BIG: its finalizers are full) is left out,
 * as the Go runtime does, and the run fails after writing the rest
 * (*@skipped): one input does not freeze the output and the releases.
 */
static int cosi_tf_hold_all(struct cosi_ctl *ctl, struct cosi_resources *l,
			    const struct cosi_resource **live, size_t *n,
			    int *skipped)
{
	size_t i;
	int err;

	*n = 0;
	for (i = 0; i < l->n; i++) {
		if (cosi_res_tearing_down(l->v[i]))
			continue;
		err = cosi_tf_hold(ctl, l->v[i]);
		if (err == -EAGAIN || err == -ENOMEM)
			return err;
		if (err < 0) {
			cosi_ctl_log(ctl, "%s/%s: cannot hold it, left out: %s",
				     l->v[i]->type, l->v[i]->id, strerror(-err));
			if (!*skipped)
				*skipped = err;
		} else if (err) {
			l->v[i]->phase = COSI_PHASE_TEARING_DOWN;
		} else {
			live[(*n)++] = l->v[i];
		}
	}
	return 0;
}

static int cosi_tf_release_all(struct cosi_ctl *ctl,
			       const struct cosi_resources *l)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < l->n; i++)
		if (cosi_res_tearing_down(l->v[i]))
			err = cosi_ctl_release(ctl, l->v[i]);
	return err;
}

/*
 * The output, and nothing else of ours (tracking started before the
 * aggregate, which may write other outputs); no cleanup after a failed
 * write.  A stale output is destroyed first: 0 while it waits for
 * finalizers (the destroy-ready input runs us again).
 */
static int cosi_tf_write(struct cosi_ctl *ctl, const struct cosi_tf *tf,
			 const struct cosi_tf_out *out, bool stale)
{
	int err;

	if (stale) {
		err = cosi_ctl_destroy(ctl, tf->t.out_ns, tf->t.out_type,
				       out->id);
		if (err <= 0)
			return err;
	}
	err = cosi_ctl_apply(ctl, tf->t.out_ns, tf->t.out_type, out->id, NULL,
			     &out->spec);
	if (err)
		return err;
	err = cosi_ctl_cleanup_outputs(ctl);
	return err < 0 ? err : 0;
}

/*
 * The aggregate form: the OS work and the releases first, the status
 * last, so that the status (failing, or waiting to be destroyed) never
 * holds up a deletion.
 */
static int cosi_tf_run(struct cosi_ctl *ctl)
{
	const struct cosi_tf *tf = cosi_ctl_data(ctl);
	struct cosi_tf_out out = { .id = tf->t.out_id };
	const struct cosi_resource **live = NULL;
	struct cosi_resources l = { 0 };
	struct cosi_resource *cur = NULL;
	int err, rerr = 0, skipped = 0;
	bool stale = false;
	size_t n = 0;

	err = cosi_tf_list(ctl, tf, &l);
	if (err)
		return err;
	live = calloc(l.n ?: 1, sizeof(*live));
	err = live ? cosi_tf_hold_all(ctl, &l, live, &n, &skipped) : -ENOMEM;
	if (!err)
		err = cosi_tf_current(ctl, tf, out.id, &cur, &stale);
	if (err)
		goto out;
	out.cur = cur;
	cosi_ctl_track_outputs(ctl);
	err = tf->t.aggregate(ctl, live, n, &out);
	if (err)
		goto out;
	/*
	 * The OS is what the live inputs say: the removed ones are let go,
	 * whatever becomes of the status.
	 */
	if (!out.retry)
		rerr = cosi_tf_release_all(ctl, &l);
	err = cosi_tf_write(ctl, tf, &out, stale);
	/* Out of write tokens: come back for them, not after a backoff. */
	if (err != -EAGAIN && rerr != -EAGAIN)
		err = out.retry ?: skipped ?: rerr ?: err;
out:
	cosi_spec_clear(&out.spec);
	cosi_resource_free(cur);
	cosi_resources_clear(&l);
	free(live);
	return err;
}

static void cosi_tf_fini(struct cosi_ctl *ctl)
{
	cosi_tf_free(cosi_ctl_data(ctl));
}

/*
 * Per input: queue the id of every output of ours.  An output whose input
 * went while no cosid ran (its finalizer removed by hand, then deleted)
 * has no event left to bring it up: its key finds the input gone, and the
 * teardown undoes what the output records and destroys it.
 */
static int cosi_tf_queue_outputs(struct cosi_ctl *ctl,
				 const struct cosi_tf *tf)
{
	struct cosi_resources l = { 0 };
	size_t i;
	int err;

	err = cosi_ctl_list(ctl, tf->t.out_ns, tf->t.out_type, &l);
	for (i = 0; !err && i < l.n; i++)
		if (l.v[i]->owner && !strcmp(l.v[i]->owner, tf->t.name))
			err = cosi_ctl_queue(ctl, tf->t.out_ns,
					     tf->t.out_type, l.v[i]->id);
	cosi_resources_clear(&l);
	return err;
}

static int cosi_tf_init(struct cosi_ctl *ctl)
{
	const struct cosi_tf *tf = cosi_ctl_data(ctl);
	int err;

	err = tf->t.init ? tf->t.init(ctl) : 0;
	if (!err && !tf->t.out_id)
		err = cosi_tf_queue_outputs(ctl, tf);
	return err;
}

static bool cosi_tf_valid(const struct cosi_transform *t)
{
	bool agg = t->out_id;
	size_t i;

	for (i = 0; i < t->n_extra; i++)
		if (t->extra[i].kind != COSI_INPUT_WEAK)
			return false;
	return t->name && t->in_ns && t->in_type && t->out_ns &&
	       t->out_type && (agg ? t->aggregate && !t->transform &&
				     !t->undo
				   : t->transform && !t->aggregate);
}

int cosi_transform_register(struct cosi_runtime *rt,
			    const struct cosi_transform *decl, void *data,
			    struct cosi_ctl **out)
{
	struct cosi_transform copy, *t = &copy;
	struct cosi_tf *tf = NULL;
	size_t i;
	int err;

	err = COSI_RT_OPTS_COPY(&copy, decl, "cosi_transform");
	/*
	 * A newer caller's struct: fields are only appended, so its
	 * free_data is where ours is.  An sz that is not a size leaves no
	 * struct to trust: @data stays the caller's (documented).
	 */
	if (err == -E2BIG && decl->free_data)
		decl->free_data(data);
	if (err)
		return err;
	if (!cosi_tf_valid(t))
		err = -EINVAL;
	else if (!(tf = calloc(1, sizeof(*tf))) ||
		 !(tf->inputs = calloc(t->n_extra + 2, sizeof(*tf->inputs))))
		err = -ENOMEM;
	else
		err = 0;
	if (err) {
		free(tf);
		if (t->free_data)
			t->free_data(data);
		return err;
	}
	tf->t = *t;
	tf->data = data;
	tf->inputs[0] = (struct cosi_input){ t->in_ns, t->in_type, t->in_id,
					     COSI_INPUT_STRONG };
	tf->inputs[1] = (struct cosi_input){ t->out_ns, t->out_type, NULL,
					     COSI_INPUT_DESTROY_READY };
	for (i = 0; i < t->n_extra; i++)
		tf->inputs[i + 2] = t->extra[i];
	tf->output = (struct cosi_output){ t->out_type, COSI_OUTPUT_EXCLUSIVE };
	tf->c = (struct cosi_controller){
		.sz = sizeof(tf->c),
		.name = t->name,
		.inputs = tf->inputs,
		.n_inputs = t->n_extra + 2,
		.outputs = &tf->output,
		.n_outputs = 1,
		.init = cosi_tf_init,
		.run = t->out_id ? cosi_tf_run : NULL,
		.reconcile = t->out_id ? NULL : cosi_tf_reconcile,
		.fini = cosi_tf_fini,
	};
	err = cosi_runtime_register(rt, &tf->c, tf, out);
	/* A failed registration calls no fini: the data is still ours. */
	if (err)
		cosi_tf_free(tf);
	return err;
}
