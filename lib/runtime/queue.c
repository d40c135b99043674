// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Queue controllers: input events queue keys ("ns/type/id"), each key at
 * most once; keys are reconciled one at a time in FIFO order.  A key that
 * fails is requeued after its own backoff (500 ms x1.5 up to the cap), so
 * one bad item neither blocks nor slows the others.  A key queued while it
 * is being reconciled goes to the tail of the queue when that ends.
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"

#define USEC_PER_MSEC	1000ULL

static int cosi_qkey_cmp(const void *a, const void *b)
{
	const struct cosi_qkey *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static void cosi_qkey_free(void *p)
{
	struct cosi_qkey *k = p;

	sd_event_source_disable_unref(k->timer);
	free(k->key);
	free(k->ns);
	free(k->type);
	free(k->id);
	free(k);
}

static struct cosi_qkey *cosi_qkey_get(struct cosi_ctl *ctl, const char *ns,
				       const char *type, const char *id)
{
	struct cosi_qkey probe, *k, **slot;

	if (asprintf(&probe.key, "%s/%s/%s", ns, type, id) < 0)
		return NULL;
	slot = tfind(&probe, &ctl->keys, cosi_qkey_cmp);
	if (slot) {
		free(probe.key);
		return *slot;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		goto fail;
	k->key = probe.key;
	k->ns = strdup(ns);
	k->type = strdup(type);
	k->id = strdup(id);
	k->ctl = ctl;
	if (!k->ns || !k->type || !k->id ||
	    !tsearch(k, &ctl->keys, cosi_qkey_cmp)) {
		cosi_qkey_free(k);
		return NULL;
	}
	return k;
fail:
	free(probe.key);
	return NULL;
}

/* Forget a key nobody waits for. */
static void cosi_qkey_drop(struct cosi_qkey *k)
{
	struct cosi_ctl *ctl = k->ctl;

	if (k->queued || k->busy || k->timer || k->backoff_ms)
		return;
	tdelete(k, &ctl->keys, cosi_qkey_cmp);
	cosi_qkey_free(k);
}

static void cosi_qkey_push(struct cosi_qkey *k)
{
	struct cosi_ctl *ctl = k->ctl;

	if (k->busy) {
		k->again = true;
		return;
	}
	if (k->queued)
		return;
	k->queued = true;
	k->next = NULL;
	*ctl->qtail = k;
	ctl->qtail = &k->next;
	ctl->queued++;
	cosi_rt_kick(ctl->rt);
}

int cosi_ctl_queue(struct cosi_ctl *ctl, const char *ns, const char *type,
		   const char *id)
{
	struct cosi_qkey *k;

	if (!ctl->c.reconcile)
		return -EINVAL;
	k = cosi_qkey_get(ctl, ns, type, id);
	if (!k) {
		cosi_ctl_log(ctl, "cannot queue %s/%s/%s: out of memory", ns,
			     type, id);
		return -ENOMEM;
	}
	cosi_qkey_push(k);
	return 0;
}

static int cosi_qkey_timer(sd_event_source *s, uint64_t usec, void *data)
{
	struct cosi_qkey *k = data;

	(void)usec;
	sd_event_source_disable_unref(s);
	k->timer = NULL;
	cosi_qkey_push(k);
	return 0;
}

/* Requeue @k at @at (usec, monotonic). */
static void cosi_qkey_later(struct cosi_qkey *k, uint64_t at)
{
	struct cosi_runtime *rt = k->ctl->rt;

	if (k->timer)
		return;
	if (sd_event_add_time(rt->event, &k->timer, CLOCK_MONOTONIC, at, 0,
			      cosi_qkey_timer, k) < 0) {
		k->timer = NULL;
		cosi_qkey_push(k);	/* cannot wait: retry now */
	}
}

bool cosi_queue_pending(const struct cosi_ctl *ctl)
{
	return ctl->qhead;
}

static void cosi_queue_one(struct cosi_ctl *ctl, struct cosi_qkey *k)
{
	int ret;

	k->busy = true;
	ctl->throttled = false;
	ctl->tracking = false;
	ctl->stats.runs++;
	ret = ctl->c.reconcile(ctl, k->ns, k->type, k->id);
	ctl->tracking = false;
	cosi_rt_ran(ctl);
	k->busy = false;
	if (ret == -EAGAIN && ctl->throttled) {
		cosi_qkey_later(k, cosi_ctl_token_eta(ctl));
	} else if (ret < 0) {
		ctl->stats.failures++;
		ctl->stats.last_error = -ret;
		k->backoff_ms = cosi_rt_next_backoff(ctl->rt, k->backoff_ms);
		ctl->stats.backoff_ms = k->backoff_ms;
		cosi_ctl_log(ctl, "%s: %s; retrying in %u ms", k->key,
			     strerror(-ret), k->backoff_ms);
		cosi_qkey_later(k, cosi_rt_jittered(ctl->rt, k->backoff_ms));
	} else {
		if (k->backoff_ms)
			ctl->stats.backoff_ms = 0;
		ctl->stats.last_error = 0;
		k->backoff_ms = 0;
		if (ret > 0)
			cosi_qkey_later(k, cosi_rt_now(ctl->rt) +
					   ret * USEC_PER_MSEC);
	}
	if (k->again) {
		k->again = false;
		cosi_qkey_push(k);
	}
	cosi_qkey_drop(k);
}

/* Reconcile the keys queued when the pass starts. */
void cosi_queue_run(struct cosi_ctl *ctl)
{
	size_t n = ctl->queued;
	struct cosi_qkey *k;

	while (n-- && ctl->qhead) {
		k = ctl->qhead;
		ctl->qhead = k->next;
		if (!ctl->qhead)
			ctl->qtail = &ctl->qhead;
		k->queued = false;
		ctl->queued--;
		cosi_queue_one(ctl, k);
	}
}

void cosi_queue_free(struct cosi_ctl *ctl)
{
	tdestroy(ctl->keys, cosi_qkey_free);
	ctl->keys = NULL;
	ctl->qhead = NULL;
	ctl->qtail = &ctl->qhead;
	ctl->queued = 0;
}
