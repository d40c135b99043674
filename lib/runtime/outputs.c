// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * What a controller does to resources: reads, output writes (only when
 * something changed), teardown and destroy, output tracking, finalizers
 * on strong inputs, and the per-controller write rate limit.  Every call
 * goes to the kernel on the controller's own socket, which holds its
 * owner claim: the kernel, not this code, decides who may write what.
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"

#define USEC_PER_SEC	1000000ULL

/* Rate limit: a token per kernel write, refilled at write_rate per second. */
static void cosi_ctl_refill(struct cosi_ctl *ctl)
{
	const struct cosi_runtime_opts *o = &ctl->rt->o;
	uint64_t now = cosi_rt_now(ctl->rt);

	ctl->tokens += (double)(now - ctl->refilled_at) * o->write_rate /
		       USEC_PER_SEC;
	if (ctl->tokens > o->write_burst)
		ctl->tokens = o->write_burst;
	ctl->refilled_at = now;
}

bool cosi_ctl_take_token(struct cosi_ctl *ctl)
{
	cosi_ctl_refill(ctl);
	if (ctl->tokens < 1.0) {
		ctl->stats.throttled++;
		ctl->throttled = true;
		return false;
	}
	ctl->tokens -= 1.0;
	ctl->stats.writes++;
	return true;
}

/* When (usec, monotonic) the bucket holds a token again. */
uint64_t cosi_ctl_token_eta(struct cosi_ctl *ctl)
{
	double missing;

	cosi_ctl_refill(ctl);
	missing = ctl->tokens >= 1.0 ? 0 : 1.0 - ctl->tokens;
	return ctl->refilled_at +
	       (uint64_t)(missing * USEC_PER_SEC / ctl->rt->o.write_rate) + 1;
}

int cosi_ctl_get(struct cosi_ctl *ctl, const char *ns, const char *type,
		 const char *id, struct cosi_resource **out)
{
	return cosi_resource_get(ctl->conn, ns, type, id, out);
}

int cosi_ctl_list(struct cosi_ctl *ctl, const char *ns, const char *type,
		  struct cosi_resources *out)
{
	COSI_OPTS(cosi_list_req, q, .ns = ns, .type = type);

	return cosi_resource_list(ctl->conn, &q, out);
}

static bool cosi_ctl_output_kind(const struct cosi_ctl *ctl, const char *type)
{
	size_t i;

	for (i = 0; i < ctl->c.n_outputs; i++)
		if (!strcmp(ctl->c.outputs[i].type, type))
			return true;
	return false;
}

static int cosi_strcmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Remember where outputs of @type live, for cleanup_outputs(). */
static void cosi_ctl_note_ns(struct cosi_ctl *ctl, const char *ns,
			     const char *type)
{
	struct cosi_out_ns *o;

	for (o = ctl->out_ns; o; o = o->next)
		if (!strcmp(o->ns, ns) && !strcmp(o->type, type))
			return;
	o = calloc(1, sizeof(*o));
	if (!o)
		return;
	o->ns = strdup(ns);
	o->type = strdup(type);
	if (!o->ns || !o->type) {
		free(o->ns);
		free(o->type);
		free(o);
		return;
	}
	o->next = ctl->out_ns;
	ctl->out_ns = o;
}

/* An output's key in the touched and written trees: NULL on ENOMEM. */
static char *cosi_out_key(const char *ns, const char *type, const char *id)
{
	char *key;

	return asprintf(&key, "%s/%s/%s", ns, type, id) < 0 ? NULL : key;
}

static void cosi_ctl_touch(struct cosi_ctl *ctl, const char *key)
{
	char *k;

	if (!ctl->tracking || tfind(key, &ctl->touched, cosi_strcmp))
		return;
	k = strdup(key);
	if (k && !tsearch(k, &ctl->touched, cosi_strcmp))
		free(k);
}

static bool cosi_labels_same(const struct cosi_kvs *want,
			     const struct cosi_kvs *have)
{
	static const struct cosi_kvs none;

	return cosi_kvs_equal(want ? want : &none, have);
}

/*
 * What a controller last wrote of an output: the version its write made
 * and a digest of the labels and spec it wrote.  When the next apply
 * wants other content (the digest differs), the update goes out at once,
 * expecting that version, instead of after a read.  That version holds
 * what we wrote: only the owner's socket updates, tears down or destroys
 * an output, and every change (a consumer's finalizer too) makes a new
 * version, which the kernel then refuses ours against; an update equal
 * to what is there makes none.  Refused, as after any failure, the entry
 * goes and the apply reads and decides as it would have without one.
 * Equal digests (the same content, or a collision) take the reading path
 * too, which compares exactly: the digest only ever spares a read, never
 * a write or a check.
 * Controllers' statuses change on most writes (runtime-status's figures,
 * FleetSync's revision, a sysctl's value), so this halves their netlink
 * round trips.
 */
struct cosi_written {
	char *key;			/* "ns/type/id"; first: the tree's key */
	uint64_t version;
	uint64_t digest;
};

static int cosi_written_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cosi_written *)a)->key,
		      ((const struct cosi_written *)b)->key);
}

static void cosi_written_free(void *p)
{
	struct cosi_written *w = p;

	free(w->key);
	free(w);
}

/* FNV-1a, 64 bits, of @len bytes from @h. */
static uint64_t cosi_fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

#define COSI_FNV_BASIS	0xcbf29ce484222325ULL

static uint64_t cosi_fnv_str(uint64_t h, const char *s)
{
	return cosi_fnv(h, s, strlen(s) + 1);	/* the NUL separates */
}

static uint64_t cosi_field_digest(const struct cosi_field *f)
{
	uint64_t h = cosi_fnv_str(COSI_FNV_BASIS, f->name);
	size_t i;

	h = cosi_fnv(h, &f->type, sizeof(f->type));
	switch (f->type) {
	case COSI_FIELD_TYPE_STRING:
		return cosi_fnv_str(h, f->str);
	case COSI_FIELD_TYPE_U64:
		return cosi_fnv(h, &f->u64, sizeof(f->u64));
	case COSI_FIELD_TYPE_S64:
		return cosi_fnv(h, &f->s64, sizeof(f->s64));
	case COSI_FIELD_TYPE_BOOL:
		return cosi_fnv(h, &f->b, sizeof(f->b));
	case COSI_FIELD_TYPE_BYTES:
		return cosi_fnv(h, f->bytes.data, f->bytes.len);
	case COSI_FIELD_TYPE_STRING_LIST:
		for (i = 0; i < f->strs.n; i++)
			h = cosi_fnv_str(h, f->strs.v[i]);
		return h;
	}
	return h;
}

/*
 * Of labels and spec as cosi_labels_same() and cosi_spec_equal() see
 * them: sets, so each member's digest is summed (order-free).
 */
static uint64_t cosi_digest(const struct cosi_kvs *labels,
			    const struct cosi_spec *spec)
{
	uint64_t h, sum = 0;
	size_t i;

	for (i = 0; labels && i < labels->n; i++) {
		h = cosi_fnv_str(COSI_FNV_BASIS ^ 1, labels->v[i].key);
		sum += cosi_fnv_str(h, labels->v[i].value);
	}
	for (i = 0; i < spec->n; i++)
		sum += cosi_field_digest(&spec->v[i]);
	return sum;
}

static struct cosi_written *cosi_written_find(struct cosi_ctl *ctl,
					      const char *key)
{
	struct cosi_written probe = { .key = (char *)key }, **w;

	w = tfind(&probe, &ctl->written, cosi_written_cmp);
	return w ? *w : NULL;
}

static void cosi_written_forget(struct cosi_ctl *ctl, const char *key)
{
	struct cosi_written *w = cosi_written_find(ctl, key);

	if (w) {
		tdelete(w, &ctl->written, cosi_written_cmp);
		cosi_written_free(w);
	}
}

/*
 * After a write of @spec that made @res (or a read that found them
 * equal): remember it (best effort).  Not after a labels-only write
 * (@spec NULL), which kept whatever spec was there: the digest would not
 * say what the output holds.  Not another owner's output (a shared type's,
 * found equal): only its owner writes it, an update of ours is refused.
 */
static void cosi_written_note(struct cosi_ctl *ctl, const char *key,
			      const struct cosi_resource *res,
			      const struct cosi_spec *spec, uint64_t digest)
{
	struct cosi_written *w = cosi_written_find(ctl, key);

	if (!res || !spec || res->phase != COSI_PHASE_RUNNING ||
	    !res->owner || strcmp(res->owner, ctl->c.name)) {
		cosi_written_forget(ctl, key);
		return;
	}
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return;
		w->key = strdup(key);
		if (!w->key || !tsearch(w, &ctl->written, cosi_written_cmp)) {
			cosi_written_free(w);
			return;
		}
	}
	w->version = res->version;
	w->digest = digest;
}

/*
 * Tries of an update whose expected version went stale: a consumer adding
 * or removing its finalizer on the output makes a new version between our
 * read and our write.  Re-read and write again (cosi-project/runtime's
 * Modify does the same); a resource that keeps changing under us is an
 * error worth the backoff.
 */
#define COSI_APPLY_TRIES	5

int cosi_ctl_apply_known(struct cosi_ctl *ctl, const char *ns,
			 const char *type, const char *id,
			 const struct cosi_kvs *labels,
			 const struct cosi_spec *spec,
			 const struct cosi_resource *known, bool have_known)
{
	static const struct cosi_kvs none;
	COSI_OPTS(cosi_req, req,
		.ns = ns, .type = type, .id = id,
		.labels = labels ? labels : &none, .spec = spec,
	);
	const struct cosi_resource *cur;
	struct cosi_resource *got, *made;
	struct cosi_written *w;
	bool running, existed, paid = false;
	uint64_t digest;
	char *key;
	int err, tries = 0;

	if (!cosi_ctl_output_kind(ctl, type)) {
		cosi_ctl_log(ctl, "%s is not a declared output", type);
		return -EINVAL;
	}
	key = cosi_out_key(ns, type, id);
	if (!key)
		return -ENOMEM;
	cosi_ctl_note_ns(ctl, ns, type);
	digest = spec ? cosi_digest(labels, spec) : 0;
	/* Other content than this controller last wrote: no read first. */
	w = have_known || !spec ? NULL : cosi_written_find(ctl, key);
	if (w && w->digest != digest) {
		if (!cosi_ctl_take_token(ctl)) {
			free(key);
			return -EAGAIN;
		}
		made = NULL;
		req.has_expected_version = true;
		req.expected_version = w->version;
		err = cosi_resource_update(ctl->conn, &req, &made);
		req.has_expected_version = false;
		if (!err) {
			cosi_written_note(ctl, key, made, spec, digest);
			cosi_resource_free(made);
			goto done;
		}
		/*
		 * Written meanwhile (a consumer's finalizer), gone, or
		 * refused: read and decide.  The token taken pays for the
		 * write that follows, as it would have after a read first:
		 * a refusal costs neither a second token nor a throttle.
		 */
		cosi_written_forget(ctl, key);
		paid = true;
	}
again:
	got = NULL;
	made = NULL;
	if (have_known) {
		/* The caller's read, once: a retry reads again. */
		have_known = false;
		cur = known;
	} else {
		err = cosi_resource_get(ctl->conn, ns, type, id, &got);
		if (err && err != -ENOENT)
			goto fail;
		cur = got;
	}
	existed = cur;
	running = cur && cur->phase == COSI_PHASE_RUNNING;
	if (running && cosi_labels_same(labels, &cur->labels) &&
	    (!spec || cosi_spec_equal(spec, &cur->spec))) {
		cosi_written_note(ctl, key, cur, spec, digest);
		cosi_resource_free(got);
		goto done;
	}
	if (!paid && !cosi_ctl_take_token(ctl)) {
		cosi_resource_free(got);
		free(key);
		return -EAGAIN;
	}
	paid = false;
	if (cur) {
		req.has_expected_version = true;
		req.expected_version = cur->version;
		err = cosi_resource_update(ctl->conn, &req, &made);
	} else {
		err = cosi_resource_create(ctl->conn, &req, &made);
	}
	cosi_resource_free(got);
	/*
	 * A running output refuses an update with ESTALE only for its
	 * version; a create loses to a concurrent one with EEXIST.  Either
	 * way someone wrote in between: read again.
	 */
	if (((err == -ESTALE && running) || (err == -EEXIST && !existed)) &&
	    ++tries < COSI_APPLY_TRIES)
		goto again;
	if (err)
		goto fail;
	cosi_written_note(ctl, key, made, spec, digest);
	cosi_resource_free(made);
done:
	cosi_ctl_touch(ctl, key);
	free(key);
	return 0;
fail:
	cosi_written_forget(ctl, key);
	free(key);
	cosi_ctl_log(ctl, "%s", cosi_strerror(ctl->conn, id));
	return err;
}

int cosi_ctl_apply(struct cosi_ctl *ctl, const char *ns, const char *type,
		   const char *id, const struct cosi_kvs *labels,
		   const struct cosi_spec *spec)
{
	return cosi_ctl_apply_known(ctl, ns, type, id, labels, spec, NULL,
				    false);
}

int cosi_ctl_destroy(struct cosi_ctl *ctl, const char *ns, const char *type,
		     const char *id)
{
	COSI_OPTS(cosi_req, req, .ns = ns, .type = type, .id = id);
	struct cosi_resource *cur = NULL;
	bool ready;
	char *key;
	int err;

	/* Torn down, then gone: no version of it is ours to expect. */
	key = cosi_out_key(ns, type, id);
	if (!key)
		return -ENOMEM;
	cosi_written_forget(ctl, key);
	free(key);
	err = cosi_resource_get(ctl->conn, ns, type, id, &cur);
	if (err == -ENOENT)
		return 1;
	if (err)
		goto fail;
	ready = !cur->finalizers.n;
	if (cur->phase == COSI_PHASE_RUNNING) {
		if (!cosi_ctl_take_token(ctl)) {
			cosi_resource_free(cur);
			return -EAGAIN;
		}
		err = cosi_resource_teardown(ctl->conn, &req, &ready, NULL);
		if (err == -ENOENT)
			err = 0, ready = false;
	}
	cosi_resource_free(cur);
	if (err)
		goto fail;
	if (!ready)
		return 0;
	if (!cosi_ctl_take_token(ctl))
		return -EAGAIN;
	err = cosi_resource_destroy(ctl->conn, &req, NULL);
	if (err == -ENOENT)
		return 1;
	if (err == -EBUSY)	/* a finalizer came back meanwhile */
		return 0;
	if (err)
		goto fail;
	return 1;
fail:
	cosi_ctl_log(ctl, "%s", cosi_strerror(ctl->conn, id));
	return err;
}

void cosi_ctl_track_outputs(struct cosi_ctl *ctl)
{
	tdestroy(ctl->touched, free);
	ctl->touched = NULL;
	ctl->tracking = true;
}

/* Note the default namespaces of the output types, once. */
static void cosi_ctl_default_ns(struct cosi_ctl *ctl)
{
	struct cosi_definition *d;
	size_t i;

	if (ctl->default_ns_noted)
		return;
	ctl->default_ns_noted = true;
	for (i = 0; i < ctl->c.n_outputs; i++) {
		if (cosi_definition_get(ctl->conn, ctl->c.outputs[i].type, &d))
			continue;
		if (d->default_ns && d->default_ns[0])
			cosi_ctl_note_ns(ctl, d->default_ns, d->type);
		cosi_definition_free(d);
	}
}

int cosi_ctl_cleanup_outputs(struct cosi_ctl *ctl)
{
	struct cosi_resources l = { 0 };
	bool waiting = false;
	struct cosi_out_ns *o;
	char *key;
	size_t i;
	int err = 0, ret;

	if (!ctl->tracking)
		return -EINVAL;
	cosi_ctl_default_ns(ctl);
	for (o = ctl->out_ns; o && !err; o = o->next) {
		err = cosi_ctl_list(ctl, o->ns, o->type, &l);
		if (err == -ENOENT) {	/* type not defined (yet) */
			err = 0;
			continue;
		}
		for (i = 0; !err && i < l.n; i++) {
			const struct cosi_resource *r = l.v[i];

			if (strcmp(r->owner, ctl->c.name))
				continue;
			key = cosi_out_key(r->ns, r->type, r->id);
			if (!key) {
				err = -ENOMEM;
				break;
			}
			if (tfind(key, &ctl->touched, cosi_strcmp)) {
				free(key);
				continue;
			}
			free(key);
			ret = cosi_ctl_destroy(ctl, r->ns, r->type, r->id);
			if (ret < 0)
				err = ret;
			else if (!ret)
				waiting = true;
		}
		cosi_resources_clear(&l);
	}
	ctl->tracking = false;
	return err ? err : waiting;
}

int cosi_ctl_hold(struct cosi_ctl *ctl, const struct cosi_resource *in)
{
	struct cosi_strs fin = { .v = (char **)&ctl->c.name, .n = 1 };
	COSI_OPTS(cosi_req, req,
		.ns = in->ns, .type = in->type, .id = in->id,
		.finalizers = &fin,
	);
	int err;

	if (cosi_strs_has(&in->finalizers, ctl->c.name))
		return 0;
	if (in->phase != COSI_PHASE_RUNNING)
		return -ESTALE;
	if (!cosi_ctl_take_token(ctl))
		return -EAGAIN;
	err = cosi_finalizer_add(ctl->conn, &req, NULL);
	if (err && err != -ESTALE)
		cosi_ctl_log(ctl, "%s", cosi_strerror(ctl->conn, in->id));
	return err;
}

int cosi_ctl_release(struct cosi_ctl *ctl, const struct cosi_resource *in)
{
	struct cosi_strs fin = { .v = (char **)&ctl->c.name, .n = 1 };
	COSI_OPTS(cosi_req, req,
		.ns = in->ns, .type = in->type, .id = in->id,
		.finalizers = &fin,
	);
	int err;

	if (!cosi_strs_has(&in->finalizers, ctl->c.name))
		return 0;
	if (!cosi_ctl_take_token(ctl))
		return -EAGAIN;
	err = cosi_finalizer_remove(ctl->conn, &req, NULL);
	if (err == -ENOENT)
		return 0;
	if (err)
		cosi_ctl_log(ctl, "%s", cosi_strerror(ctl->conn, in->id));
	return err;
}

void cosi_ctl_outputs_free(struct cosi_ctl *ctl)
{
	struct cosi_out_ns *o, *next;

	tdestroy(ctl->touched, free);
	ctl->touched = NULL;
	tdestroy(ctl->written, cosi_written_free);
	ctl->written = NULL;
	for (o = ctl->out_ns; o; o = next) {
		next = o->next;
		free(o->ns);
		free(o->type);
		free(o);
	}
	ctl->out_ns = NULL;
}
