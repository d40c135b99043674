// SPDX-License-Identifier: GPL-2.0
/*
 * cosid --etcd, publishing: the node's statuses in etcd, at
 *   /cosi/<c>/status/<node>/<ns>/<type>/<id>
 * each the document `cosictl get -o json` prints of the resource (one
 * line), not under the node's lease: a status outlives a restart of
 * cosid, and /cosi/<c>/nodes/<node>/live (leased) says whether it is live.
 *
 * Source: the "fleet-publish" queue controller has a weak input on every
 * published type, so the runtime's watches (bootstrap, then events,
 * resumed by revision after an overflow) queue each changed key once;
 * reconcile reads the resource and gives the publish set (pubset.c) its
 * document, or its absence.  A key is written only when its document
 * differs from what etcd holds in all but version, updated and revision
 * (they change with every kernel write, also when nothing else does):
 * an idle node, or a controller writing an unchanged status, adds no
 * etcd revision.
 *
 * Sync: at start, after any failed write, and whenever the fleet lists
 * etcd again or reconnects (cosid_pub_resync(): a changed cluster id, a
 * revision going back, a compaction, a watch resumed after a failure:
 * etcd may have lost or been stripped of the node's keys), a range of
 * the node's status prefix (with values; in pages of 1000 keys read at
 * the first page's revision, halved when a page is over the client's
 * reply caps, so planted keys cannot wedge it) says what etcd holds, a
 * list of every published type what the node holds; the difference is
 * written (keys the node no longer holds are deleted: stale keys go at
 * start).  Then the pending writes are flushed in txns of at most 128
 * operations and 1 MiB (a txn etcd refuses for its size, under lower
 * --max-txn-ops or --max-request-bytes, is halved and sent again at
 * once, down to one write, and the smaller size is kept), one txn at a
 * time, on the daemon's loop (curl multi: never blocking).  A
 * failed txn (etcd down, a timeout that may have applied it) makes the
 * set sync again after a backoff (0.5 s doubling to 10 s, +-25 %); the
 * pending writes stay, one per key, latest wins.
 *
 * Lifetime: the fleet owns the publisher (cosid_fleet_free() frees it);
 * the controller's data is the fleet, which the runtime frees after both
 * controllers' fini.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/etcd.h"
#include "common/render.h"
#include "common/resolve.h"
#include "controllers/builtin.h"
#include "cosid/cosid.h"

#define BACKOFF_MIN_MS		500
#define BACKOFF_MAX_MS		10000
#define RANGE_PAGE		1000	/* keys of a page; halved if too big */

struct cosid_pub {
	struct cosid_fleet *f;
	struct cosi_ctl *ctl;
	struct etcd *e;			/* the fleet's client */
	char *prefix;			/* /cosi/<c>/status/<node>/ */
	struct cosi_input *inputs;	/* weak, one per published type */
	size_t n_inputs;
	struct cosid_pubset *set;
	struct etcd_req *rq;		/* the range or txn in flight */
	sd_event_source *timer;		/* the next range or flush */
	bool synced;			/* the set knows etcd's side */
	bool resync;			/* a sync is due after the rq */
	unsigned int backoff_ms, seed;
	size_t batch;			/* writes in the txn in flight */
	size_t max_ops, max_bytes;	/* of a txn; halved when refused */
	bool any_owner;			/* --publish-any-owner */
	/*
	 * Nothing is read or written while held: until the node is
	 * registered (its live key is its lease's, not another cosid's of
	 * the same name); released, it syncs anew.
	 */
	bool held;
	uint64_t txn_at;		/* when the last txn started (usec) */
	/* Each txn compares the live key's lease with the node's (fleet.c). */
	const char *fence_key;
	int64_t fence_lease, txn_lease;	/* now; the txn in flight's */
	/* The sync's range, in pages: where the next starts, at what rev. */
	char *page_from;
	size_t page_from_len, page, n_remote;
	int64_t page_rev;		/* 0: the first page is next */
	bool over_noted;		/* an overflow named since the sync */
	struct cosid_pub_stats st;
};

/* json-c's one-line form, as `cosictl -o json` without --pretty. */
#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *const volatile_meta[] = { "version", "updated", "revision" };

/* The compare form of document @o (consumed): no volatile metadata. */
static char *compare_form(struct json_object *o)
{
	struct json_object *m;
	char *s = NULL;
	size_t i;

	if (o && json_object_object_get_ex(o, "metadata", &m) &&
	    json_object_is_type(m, json_type_object))
		for (i = 0; i < ARRAY_LEN(volatile_meta); i++)
			json_object_object_del(m, volatile_meta[i]);
	if (o)
		s = strdup(json_object_to_json_string_ext(o, JSON_FLAGS));
	json_object_put(o);
	return s;
}

bool cosid_pub_txn_too_big(const char *msg)
{
	return strstr(msg, "too many operations in txn request") ||
	       strstr(msg, "request is too large");
}

int cosid_pub_render(const struct cosi_resource *r, char **doc, char **cmp)
{
	struct json_object *o = cosi_json_resource(r, NULL, 0);

	*doc = o ? strdup(json_object_to_json_string_ext(o, JSON_FLAGS)) : NULL;
	*cmp = compare_form(o);
	if (*doc && *cmp)
		return 0;
	free(*doc);
	free(*cmp);
	*doc = *cmp = NULL;
	return -ENOMEM;
}

char *cosid_pub_compare_form(const char *value, size_t len)
{
	struct json_tokener *t = json_tokener_new();
	struct json_object *o = NULL;

	if (!t)
		return NULL;
	o = json_tokener_parse_ex(t, value, (int)len);
	if (json_tokener_get_error(t) != json_tokener_success ||
	    t->char_offset != (int)len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	/* Not a document: "" matches nothing, the key is written again. */
	return o ? compare_form(o) : strdup("");
}

static char *key_of(struct cosid_pub *p, const char *ns, const char *type,
		    const char *id)
{
	char *k;

	return asprintf(&k, "%s%s/%s/%s", p->prefix, ns, type, id) < 0 ?
	       NULL : k;
}

static void sync_later(struct cosid_pub *p);
static void flush(struct cosid_pub *p);

/*
 * Run flush() or sync() from the loop, after @ms: at that time, not
 * within sd-event's default accuracy of 250 ms (asked with 0), which
 * delayed every status by about 230 ms on its way to etcd.
 */
#define TIMER_ACCURACY_USEC	1
/*
 * Txns start at least this far apart: what changes meanwhile (a link
 * flapping, controllers writing one after another) goes into the next
 * one, at most 10 revisions a second per node; the first change after a
 * quiet spell goes at once.
 */
#define TXN_GAP_USEC		(100 * 1000ULL)

static int on_timer(sd_event_source *s, uint64_t usec, void *arg);

static void arm(struct cosid_pub *p, uint64_t ms)
{
	if (!p->e || p->held)
		return;
	if (!p->timer &&
	    sd_event_add_time_relative(etcd_event(p->e), &p->timer,
				       CLOCK_MONOTONIC, ms * 1000,
				       TIMER_ACCURACY_USEC, on_timer,
				       p) < 0) {
		p->timer = NULL;
		fprintf(stderr, "cosid: fleet: publish: cannot arm a timer\n");
		return;
	}
	sd_event_source_set_time_relative(p->timer, ms * 1000);
	sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

/* A resync asked for while nothing is in flight: range again now. */
static bool take_resync(struct cosid_pub *p)
{
	if (!p->resync)
		return false;
	p->resync = false;
	p->synced = false;
	arm(p, 0);
	return true;
}

static void failed(struct cosid_pub *p, const char *what, const char *msg)
{
	p->resync = false;	/* a sync follows anyway */
	p->st.errors++;
	cosid_fleet_pub_event(p->f, "publish: %s: %s", what, msg);
	p->synced = false;
	sync_later(p);
}

/* After a failure: sync again in backoff_ms, +-25 % jitter. */
static void sync_later(struct cosid_pub *p)
{
	uint64_t ms;

	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	ms = p->backoff_ms * 3 / 4 +
	     (uint64_t)rand_r(&p->seed) % (p->backoff_ms / 2 + 1);
	arm(p, ms);
}

static void on_txn(struct etcd_req *rq, int err, const char *msg,
		   const struct etcd_reply *rep, void *arg)
{
	struct cosid_pub *p = arg;

	(void)rq;
	p->rq = NULL;
	if (err && cosid_pub_txn_too_big(msg) && p->batch > 1) {
		/* Refused, not applied: the same writes in halves, now. */
		p->max_ops = p->batch / 2;
		if (strstr(msg, "too large") && p->max_bytes > 4096)
			p->max_bytes /= 2;
		p->st.errors++;
		cosid_pubset_done(p->set, false);
		cosid_fleet_pub_event(p->f, "publish: txn of %zu writes: %s: now at most %zu a txn",
				      p->batch, msg, p->max_ops);
		if (!take_resync(p))
			flush(p);
		return;
	}
	if (err) {
		/* Applied or not: the next sync reads what etcd holds. */
		cosid_pubset_done(p->set, false);
		failed(p, "txn", msg);
		return;
	}
	if (p->fence_key && !rep->succeeded) {
		/*
		 * Not applied: the live key is not our lease's (another
		 * cosid of this name holds it, or it was deleted).  Held
		 * until the fleet has registered again; a release syncs.
		 */
		cosid_pubset_done(p->set, false);
		p->st.errors++;
		p->synced = false;
		if (p->txn_lease != p->fence_lease) {
			/* Sent under a lease since replaced: sync anew. */
			p->resync = false;
			arm(p, 0);
			return;
		}
		p->held = true;
		cosid_fleet_pub_fenced(p->f);
		return;
	}
	p->st.published += p->batch;
	p->st.txns++;
	p->st.revision = rep->hdr.revision;
	p->backoff_ms = 0;
	cosid_pubset_done(p->set, true);
	cosid_fleet_pub_recovered(p->f);
	if (!take_resync(p))
		flush(p);
}

/* The next txn of pending writes, when synced and none is in flight. */
static void flush(struct cosid_pub *p)
{
	struct etcd_op ops[COSID_PUB_TXN_OPS];
	struct cosid_pub_op po[COSID_PUB_TXN_OPS];
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	struct etcd_cmp cmp = { .key = p->fence_key, .target = ETCD_CMP_LEASE,
				.result = ETCD_CMP_EQUAL,
				.value = p->fence_lease };
	struct cosid_pub_skip skip = { 0 };
	char msg[ETCD_MSG_LEN];
	uint64_t now = 0;
	size_t i, n;

	if (!p->synced || p->rq || !p->e || p->held)
		return;
	if (sd_event_now(etcd_event(p->e), CLOCK_MONOTONIC, &now) >= 0 &&
	    p->txn_at && now < p->txn_at + TXN_GAP_USEC) {
		arm(p, (p->txn_at + TXN_GAP_USEC - now + 999) / 1000);
		return;
	}
	n = cosid_pubset_batch(p->set, po, p->max_ops, p->max_bytes, &skip);
	if (skip.n) {
		p->st.errors += skip.n;
		cosid_fleet_pub_event(p->f, "publish: %s: skipped: a %zu-byte document, over etcd's request limit",
				      skip.key, skip.bytes);
	}
	if (!n)
		return;
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < n; i++) {
		ops[i].type = po[i].doc ? ETCD_OP_PUT : ETCD_OP_DELETE;
		ops[i].key = po[i].key;
		ops[i].value = po[i].doc;
		ops[i].value_len = po[i].doc_len;
	}
	if (p->fence_key) {
		r.txn.cmp = &cmp;
		r.txn.n_cmp = 1;
	}
	r.txn.success = ops;
	r.txn.n_success = n;
	p->batch = n;
	p->txn_lease = p->fence_lease;
	p->txn_at = now;
	if (etcd_submit(p->e, &r, on_txn, p, &p->rq, msg, sizeof(msg))) {
		p->rq = NULL;
		cosid_pubset_done(p->set, false);
		failed(p, "txn", msg);
	}
}

/*
 * Whether @type is sensitive now (a type can be made sensitive while
 * cosid runs; cosid holds CAP_NET_ADMIN and so reads its specs): its
 * resources are then never published.  0 or a negative errno.
 */
static int type_sensitive(struct cosid_pub *p, const char *type, bool *yes)
{
	struct cosi_definition *d = NULL;
	int err = cosi_definition_get(cosi_ctl_conn(p->ctl), type, &d);

	*yes = false;
	if (err)
		return err;
	*yes = d->sensitivity != COSI_SENSITIVITY_PUBLIC;
	cosi_definition_free(d);
	if (*yes)
		cosid_fleet_pub_event(p->f, "publish: %s is sensitive: not published (its keys are deleted)",
				      type);
	return 0;
}

/*
 * The node's document of @r at @key, or its absence: a resource not
 * owned by one of cosid's controllers is not published (unless
 * --publish-any-owner), nor one over the node's caps (counted, the first
 * since the last sync named in FleetSync's last-error).  0 or -ENOMEM.
 */
static int put_local(struct cosid_pub *p, const char *key,
		     const struct cosi_resource *r)
{
	char *doc, *cmp;
	int err;

	if (!p->any_owner &&
	    !(r->owner && cosi_runtime_find(cosi_ctl_runtime(p->ctl), r->owner))) {
		cosid_pubset_gone(p->set, key);
		return 0;
	}
	err = cosid_pub_render(r, &doc, &cmp);
	if (err)
		return err;
	err = cosid_pubset_local(p->set, key, doc, cmp);
	free(doc);
	free(cmp);
	if (err != -ENOSPC)
		return err;
	cosid_pubset_gone(p->set, key);
	p->st.overflow++;
	if (!p->over_noted) {
		p->over_noted = true;
		cosid_fleet_pub_event(p->f, "publish: %s: not published: over --publish-max-keys or --publish-max-bytes",
				      key);
	}
	return 0;
}

/* What the node holds of the published types; 0 or a negative errno. */
static int list_local(struct cosid_pub *p)
{
	struct cosi_resources l = { 0 };
	bool sens = false;
	char *key;
	size_t i, k;
	int err = 0;

	for (i = 0; !err && i < p->n_inputs; i++) {
		err = type_sensitive(p, p->inputs[i].type, &sens);
		if (err == -ENOENT)
			err = 0;	/* not defined: nothing of it */
		else if (!err && !sens)
			err = cosi_ctl_list(p->ctl, p->inputs[i].ns,
					    p->inputs[i].type, &l);
		if (err == -ENOENT)
			err = 0;	/* undefined meanwhile: its keys are stale */
		for (k = 0; !err && k < l.n; k++) {
			key = key_of(p, l.v[k]->ns, l.v[k]->type, l.v[k]->id);
			err = key ? put_local(p, key, l.v[k]) : -ENOMEM;
			free(key);
		}
		cosi_resources_clear(&l);
	}
	return err;
}

static void range_page(struct cosid_pub *p);

/* A sync starts over: from the first page. */
static void page_reset(struct cosid_pub *p)
{
	free(p->page_from);
	p->page_from = NULL;
	p->page_from_len = 0;
	p->page_rev = 0;
	p->n_remote = 0;
}

static void on_range(struct etcd_req *rq, int err, const char *msg,
		     const struct etcd_reply *rep, void *arg)
{
	struct cosid_pub *p = arg;
	const struct etcd_kv *last;
	char *cmp;
	size_t i;

	(void)rq;
	p->rq = NULL;
	if (err == -EMSGSIZE && p->page > 1) {
		/* Over the client's reply caps: smaller pages, now. */
		p->page /= 2;
		p->st.errors++;
		cosid_fleet_pub_event(p->f, "publish: range: %s: pages of %zu keys now",
				      msg, p->page);
		page_reset(p);
		range_page(p);
		return;
	}
	if (err) {
		failed(p, "range", msg);
		return;
	}
	if (take_resync(p))
		return;		/* read before what asked for it */
	if (!p->page_rev) {
		/* The first page: every page is read at its revision. */
		p->over_noted = false;
		cosid_pubset_reset(p->set);
		p->page_rev = rep->hdr.revision;
	}
	for (i = 0; !err && i < rep->n_kvs; i++) {
		cmp = cosid_pub_compare_form(rep->kvs[i].value,
					     rep->kvs[i].value_len);
		err = cmp ? cosid_pubset_remote(p->set, rep->kvs[i].key, cmp) :
		      -ENOMEM;
		free(cmp);
	}
	p->n_remote += rep->n_kvs;
	if (!err && rep->more && rep->n_kvs) {
		/* The next page starts after the last key: it and a NUL. */
		last = &rep->kvs[rep->n_kvs - 1];
		free(p->page_from);
		p->page_from = malloc(last->key_len + 1);
		if (p->page_from) {
			memcpy(p->page_from, last->key, last->key_len);
			p->page_from[last->key_len] = '\0';
			p->page_from_len = last->key_len + 1;
			range_page(p);
			return;
		}
		err = -ENOMEM;
	}
	if (!err)
		err = list_local(p);
	if (err) {
		failed(p, "listing the node's statuses", strerror(-err));
		return;
	}
	p->synced = true;
	p->st.syncs++;
	fprintf(stderr, "cosid: fleet: publish: %zu status keys in etcd, %zu to write\n",
		p->n_remote, cosid_pubset_pending(p->set));
	page_reset(p);
	p->backoff_ms = 0;
	cosid_fleet_pub_recovered(p->f);
	flush(p);
}

/* One page of what etcd holds under the node's status prefix. */
static void range_page(struct cosid_pub *p)
{
	struct etcd_request r = { .type = ETCD_REQ_KV };
	char msg[ETCD_MSG_LEN];

	r.op.type = ETCD_OP_RANGE;
	r.op.key = p->prefix;
	r.op.prefix = true;
	r.op.limit = (int64_t)p->page;
	r.op.revision = p->page_rev;
	r.op.from = p->page_from;
	r.op.from_len = p->page_from_len;
	if (etcd_submit(p->e, &r, on_range, p, &p->rq, msg, sizeof(msg))) {
		p->rq = NULL;
		failed(p, "range", msg);
	}
}

/* Read what etcd holds under the node's status prefix, from the start. */
static void sync_set(struct cosid_pub *p)
{
	if (p->rq || !p->ctl)
		return;
	page_reset(p);
	range_page(p);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct cosid_pub *p = arg;

	(void)s;
	(void)usec;
	if (p->held)
		return 0;
	if (p->synced)
		flush(p);
	else
		sync_set(p);
	return 0;
}

static int pub_reconcile(struct cosi_ctl *ctl, const char *ns,
			 const char *type, const char *id)
{
	struct cosid_pub *p = cosid_fleet_pub(cosi_ctl_data(ctl));
	struct cosi_resource *r = NULL;
	char *key = key_of(p, ns, type, id);
	bool sens = false;
	int err;

	if (!key)
		return -ENOMEM;
	/* Checked at each write: the type may have become sensitive. */
	err = type_sensitive(p, type, &sens);
	if (!err)
		err = sens ? -ENOENT : cosi_ctl_get(ctl, ns, type, id, &r);
	if (err == -ENOENT) {
		cosid_pubset_gone(p->set, key);
		err = 0;
	} else if (!err) {
		err = put_local(p, key, r);
		cosi_resource_free(r);
	}
	free(key);
	/* Coalesced: the keys reconciled meanwhile go in the same txn. */
	if (!err && p->synced && !p->rq && cosid_pubset_pending(p->set))
		arm(p, 0);
	return err;
}

static int pub_init(struct cosi_ctl *ctl)
{
	struct cosid_pub *p = cosid_fleet_pub(cosi_ctl_data(ctl));

	p->ctl = ctl;
	return 0;
}

static void pub_fini(struct cosi_ctl *ctl)
{
	cosid_fleet_put(cosi_ctl_data(ctl));
}

void cosid_pub_start(struct cosid_pub *p, struct etcd *e, unsigned int seed)
{
	p->e = e;
	p->seed = seed;
	arm(p, 0);
}

void cosid_pub_hold(struct cosid_pub *p, bool hold)
{
	if (!p || p->held == hold)
		return;
	p->held = hold;
	if (!hold) {
		/* Another cosid may have written here meanwhile. */
		p->synced = false;
		cosid_pub_resync(p);
	}
}

void cosid_pub_fence(struct cosid_pub *p, const char *key, int64_t lease)
{
	if (!p)
		return;
	p->fence_key = key;
	p->fence_lease = lease;
}

void cosid_pub_resync(struct cosid_pub *p)
{
	if (!p || !p->e)
		return;
	p->resync = true;
	if (!p->rq)
		take_resync(p);
}

void cosid_pub_stats(const struct cosid_pub *p, struct cosid_pub_stats *st)
{
	*st = p->st;
	st->pending = cosid_pubset_pending(p->set);
}

int cosid_pub_register(struct cosi_runtime *rt, struct cosid_pub *p,
		       struct cosid_fleet *f)
{
	COSI_OPTS(cosi_controller, c,
		.name = "fleet-publish",
		.inputs = p->inputs,
		.n_inputs = p->n_inputs,
		.init = pub_init,
		.reconcile = pub_reconcile,
		.fini = pub_fini,
	);

	p->f = f;
	return cosi_runtime_register(rt, &c, f, NULL);
}

void cosid_pub_free(struct cosid_pub *p)
{
	size_t i;

	if (!p)
		return;
	if (p->rq)
		etcd_cancel(p->rq);
	sd_event_source_disable_unref(p->timer);
	cosid_pubset_free(p->set);
	free(p->page_from);
	for (i = 0; i < p->n_inputs; i++) {
		free((char *)p->inputs[i].ns);
		free((char *)p->inputs[i].type);
	}
	free(p->inputs);
	free(p->prefix);
	free(p);
}

/* Add (ns, type) once; 0 or -ENOMEM. */
static int add_type(struct cosid_pub *p, const char *ns, const char *type)
{
	struct cosi_input *v;
	size_t i;

	for (i = 0; i < p->n_inputs; i++)
		if (!strcmp(p->inputs[i].type, type) &&
		    !strcmp(p->inputs[i].ns, ns))
			return 0;
	v = realloc(p->inputs, (p->n_inputs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->inputs = v;
	v[p->n_inputs].id = NULL;
	v[p->n_inputs].kind = COSI_INPUT_WEAK;
	v[p->n_inputs].ns = strdup(ns);
	v[p->n_inputs].type = strdup(type);
	p->n_inputs++;
	if (!v[p->n_inputs - 1].ns || !v[p->n_inputs - 1].type)
		return -ENOMEM;
	return 0;
}

/*
 * Types that change whenever anything is published (FleetSync counts the
 * writes, RuntimeStatus the controllers' runs): publishing them would
 * never settle.
 */
static bool never_settles(const char *type)
{
	return !strcmp(type, T_FLEET_SYNC) || !strcmp(type, T_RUNTIME_STATUS);
}

int cosid_pub_type_check(const struct cosi_definition *d, char *msg,
			 size_t len)
{
	if (never_settles(d->type)) {
		snprintf(msg, len, "%s changes with every publish and cannot be published",
			 d->type);
		return -EINVAL;
	}
	if (d->sensitivity != COSI_SENSITIVITY_PUBLIC) {
		snprintf(msg, len, "%s is a sensitive type: its specs are never published",
			 d->type);
		return -EINVAL;
	}
	return 0;
}

/*
 * An exact type name (Kind.group: a dot, no '/') not defined yet: taken
 * as it is, published once defined (the runtime's watches wait for it).
 */
static bool exact_name(const char *name)
{
	return strchr(name, '.') && !strchr(name, '/') && name[0] != '.';
}

/*
 * One --publish value, "TYPE[,TYPE...]" (names as cosictl takes them, or
 * an exact name not defined yet, published in its namespace NS when
 * written NS/TYPE, else in "default").
 */
static int add_names(struct cosid_pub *p, const struct cosi_definitions *defs,
		     const char *list, bool *none)
{
	char *s = strdup(list), *tok, *save = NULL, *slash, msg[512];
	const struct cosi_definition *d;
	const char *ns;
	size_t n = strlen(list);
	int err = s ? 0 : -ENOMEM;

	if (!n || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,")) {
		fprintf(stderr, "cosid: --publish '%s': an empty type name (\"none\" publishes nothing)\n",
			list);
		free(s);
		return -EINVAL;
	}
	for (tok = s ? strtok_r(s, ",", &save) : NULL; !err && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "none")) {
			*none = true;
			continue;
		}
		ns = NULL;
		slash = strchr(tok, '/');
		if (slash && slash != tok && slash[1] && !strchr(slash + 1, '/')) {
			*slash = '\0';
			ns = tok;
			tok = slash + 1;
		}
		if (!cosi_resolve_type(defs, tok, &d, msg, sizeof(msg))) {
			if (cosid_pub_type_check(d, msg, sizeof(msg))) {
				fprintf(stderr, "cosid: --publish %s: %s\n", tok,
					msg);
				err = -EINVAL;
			} else {
				err = add_type(p, ns ?: cosi_resolve_default_ns(d),
					       d->type);
			}
		} else if (exact_name(tok) && !never_settles(tok)) {
			fprintf(stderr, "cosid: --publish %s: not defined yet: published in namespace %s once it is\n",
				tok, ns ?: COSI_DEFAULT_NS);
			err = add_type(p, ns ?: COSI_DEFAULT_NS, tok);
		} else {
			fprintf(stderr, "cosid: --publish %s: %s (an exact name Kind.group is taken before it is defined)\n",
				tok, msg);
			err = -EINVAL;
		}
	}
	free(s);
	return err;
}

int cosid_pub_new(struct cosi *c, const struct cosid_fleet_opts *o,
		  const char *cluster, struct cosid_pub **out)
{
	struct cosi_definitions defs = { 0 };
	struct cosid_pub *p = calloc(1, sizeof(*p));
	const char *ns, *type;
	bool none = false;
	size_t i;
	int err = p ? 0 : -ENOMEM;

	*out = NULL;
	if (!err && asprintf(&p->prefix, "/cosi/%s/status/%s/", cluster,
			     o->node) < 0) {
		p->prefix = NULL;
		err = -ENOMEM;
	}
	if (!err && o->n_publish) {
		err = cosi_definition_list(c, &defs);
		if (err)
			fprintf(stderr, "cosid: --publish: %s\n",
				cosi_strerror(c, "definition-get"));
		for (i = 0; !err && i < o->n_publish; i++)
			err = add_names(p, &defs, o->publish[i], &none);
		cosi_definitions_clear(&defs);
		if (!err && none && p->n_inputs) {
			fprintf(stderr, "cosid: --publish none excludes types to publish\n");
			err = -EINVAL;
		}
	} else {
		/* The built-in controllers' outputs. */
		for (i = 0; !err && cosid_output_type(i, &ns, &type); i++)
			if (!never_settles(type))
				err = add_type(p, ns, type);
	}
	if (p) {
		p->held = true;		/* until registered */
		p->page = RANGE_PAGE;
		p->max_ops = COSID_PUB_TXN_OPS;
		p->max_bytes = COSID_PUB_TXN_BYTES;
	}
	if (!err && p->n_inputs && !(p->set = cosid_pubset_new()))
		err = -ENOMEM;
	if (!err && p->set)
		cosid_pubset_limit(p->set,
				   o->publish_max_keys ?: COSID_PUB_KEYS_DEFAULT,
				   o->publish_max_bytes ?: COSID_PUB_BYTES_DEFAULT);
	if (p)
		p->any_owner = o->publish_any_owner;
	if (err == -ENOMEM)
		fprintf(stderr, "cosid: --publish: out of memory\n");
	if (err || !p->n_inputs) {
		cosid_pub_free(p);
		return err;
	}
	*out = p;
	return 0;
}
