// SPDX-License-Identifier: GPL-2.0
/*
 * The per-netns resource store: collections, immutable resource versions,
 * the revision counter and the event history.  Locking rules are in
 * cosi.h; everything that changes state here runs under cosi_net::lock.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include "cosi.h"
#include "cosi_trace.h"

struct cosi_coll_key {
	const char *ns;
	const char *type;
};

struct cosi_res_key {
	const struct cosi_coll *coll;
	const char *id;
};

static u32 cosi_coll_hash(const char *ns, const char *type, u32 seed)
{
	return jhash(type, strlen(type), jhash(ns, strlen(ns), seed));
}

static u32 cosi_coll_hashfn(const void *data, u32 len, u32 seed)
{
	const struct cosi_coll_key *k = data;

	return cosi_coll_hash(k->ns, k->type, seed);
}

static u32 cosi_coll_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct cosi_coll *c = data;

	return cosi_coll_hash(cosi_coll_ns(c), c->type, seed);
}

static int cosi_coll_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct cosi_coll_key *k = arg->key;
	const struct cosi_coll *c = obj;

	return strcmp(k->ns, cosi_coll_ns(c)) || strcmp(k->type, c->type);
}

static const struct rhashtable_params cosi_coll_params = {
	.head_offset		= offsetof(struct cosi_coll, node),
	.hashfn			= cosi_coll_hashfn,
	.obj_hashfn		= cosi_coll_obj_hashfn,
	.obj_cmpfn		= cosi_coll_cmpfn,
	.automatic_shrinking	= true,
};

static u32 cosi_res_hash(const struct cosi_coll *coll, const char *id, u32 seed)
{
	return jhash(id, strlen(id), seed ^ hash_ptr(coll, 32));
}

static u32 cosi_res_hashfn(const void *data, u32 len, u32 seed)
{
	const struct cosi_res_key *k = data;

	return cosi_res_hash(k->coll, k->id, seed);
}

static u32 cosi_res_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct cosi_res *r = data;

	return cosi_res_hash(r->coll, r->id, seed);
}

static int cosi_res_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct cosi_res_key *k = arg->key;
	const struct cosi_res *r = obj;

	return k->coll != r->coll || strcmp(k->id, r->id);
}

static const struct rhashtable_params cosi_res_params = {
	.head_offset		= offsetof(struct cosi_res, node),
	.hashfn			= cosi_res_hashfn,
	.obj_hashfn		= cosi_res_obj_hashfn,
	.obj_cmpfn		= cosi_res_cmpfn,
	.automatic_shrinking	= true,
};

/* Lookups: under cosi_net::lock, or RCU for readers. */
struct cosi_coll *cosi_coll_find(struct cosi_net *cn, const char *ns,
				 const char *type)
{
	struct cosi_coll_key k = { .ns = ns, .type = type };

	return rhashtable_lookup_fast(&cn->colls, &k, cosi_coll_params);
}

struct cosi_res *cosi_res_find(struct cosi_net *cn,
			       const struct cosi_coll *coll, const char *id)
{
	struct cosi_res_key k = { .coll = coll, .id = id };

	return rhashtable_lookup_fast(&cn->res, &k, cosi_res_params);
}

/**
 * cosi_coll_get() - find or create a collection and take a reference
 * @cn: the netns store, locked
 * @ns: its namespace
 * @type: its type
 *
 * Return: the collection, the reference the caller's (cosi_coll_put()),
 * or NULL.
 */
struct cosi_coll *cosi_coll_get(struct cosi_net *cn, const char *ns,
				const char *type)
{
	size_t nlen = strlen(ns) + 1, tlen = strlen(type) + 1;
	struct cosi_coll *coll;

	lockdep_assert_held(&cn->lock);
	coll = cosi_coll_find(cn, ns, type);
	if (coll) {
		coll->refs++;
		return coll;
	}
	coll = kzalloc(struct_size(coll, key, nlen + tlen), GFP_KERNEL_ACCOUNT);
	if (!coll)
		return NULL;
	memcpy(coll->key, ns, nlen);
	memcpy(coll->key + nlen, type, tlen);
	coll->type = coll->key + nlen;
	coll->by_id = RB_ROOT;
	/*
	 * Above any gen of an earlier collection of this key (gen <=
	 * revision): a dump's cb->seq must not repeat across the two.
	 */
	coll->gen = cn->revision;
	seqcount_mutex_init(&coll->by_id_seq, &cn->lock);
	coll->refs = 1;
	INIT_LIST_HEAD(&coll->watchers);
	INIT_LIST_HEAD(&coll->kwatchers);
	if (rhashtable_insert_fast(&cn->colls, &coll->node, cosi_coll_params)) {
		kfree(coll);
		return NULL;
	}
	atomic_long_inc(&cosi_nr_objects);
	return coll;
}

static void cosi_coll_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct cosi_coll, rcu));
	atomic_long_dec(&cosi_nr_objects);
}

/* Drop a reference; the last one unhashes the collection and frees it. */
void cosi_coll_put(struct cosi_net *cn, struct cosi_coll *coll)
{
	lockdep_assert_held(&cn->lock);
	if (WARN_ON_ONCE(!coll->refs) || --coll->refs)
		return;
	WARN_ON_ONCE(coll->nr_res || !list_empty(&coll->watchers) ||
		     !list_empty(&coll->kwatchers));
	rhashtable_remove_fast(&cn->colls, &coll->node, cosi_coll_params);
	call_rcu(&coll->rcu, cosi_coll_free_rcu);
}

/* Resource versions. */

static size_t cosi_kv_size(const struct cosi_kv *kv, u32 n)
{
	size_t size = 0;
	u32 i;

	for (i = 0; i < n; i++)
		size += nla_total_size(nla_total_size(strlen(kv[i].key) + 1) +
				       nla_total_size(strlen(kv[i].value) + 1));
	return nla_total_size(size);
}

size_t cosi_res_attrs_size(const struct cosi_res_parts *p, u32 ns_len,
			   u32 type_len)
{
	size_t size = 0;
	u32 i;

	size += nla_total_size(ns_len + 1) + nla_total_size(type_len + 1);
	size += nla_total_size(strlen(p->id) + 1);
	size += nla_total_size(strlen(p->owner) + 1);
	size += 4 * nla_total_size_64bit(sizeof(u64));	/* version, times, rev */
	size += 2 * nla_total_size(sizeof(u32));	/* phase, writer-caps */
	size += cosi_kv_size(p->labels, p->n_labels);
	size += cosi_kv_size(p->annotations, p->n_annotations);
	for (i = 0; i < p->n_finalizers; i++)
		size += nla_total_size(strlen(p->finalizers[i]) + 1);
	size += nla_total_size(0) + nla_total_size(p->spec_len);
	return size;
}

static size_t cosi_kv_strings(const struct cosi_kv *kv, u32 n)
{
	size_t size = 0;
	u32 i;

	for (i = 0; i < n; i++)
		size += strlen(kv[i].key) + strlen(kv[i].value) + 2;
	return size;
}

static void cosi_kv_copy(struct cosi_kv *dst, const struct cosi_kv *src,
			 u32 n, char **buf)
{
	u32 i;

	for (i = 0; i < n; i++) {
		dst[i].key = cosi_put_str(buf, src[i].key);
		dst[i].value = cosi_put_str(buf, src[i].value);
	}
}

/**
 * cosi_res_build() - allocate a resource version from its parts
 * @coll: its collection
 * @p: the parts, copied into one allocation
 * @old: the version it replaces, or NULL
 *
 * Metadata other than the parts (version, phase, times, revision) is set
 * by the caller before the version is published.  The size of its
 * messages is checked before anything is allocated.
 *
 * Return: the version with one reference, ERR_PTR(-E2BIG) when its
 * message would exceed COSI_MSG_MAX, or ERR_PTR(-ENOMEM).
 */
struct cosi_res *cosi_res_build(struct cosi_coll *coll,
				const struct cosi_res_parts *p,
				const struct cosi_res *old)
{
	struct cosi_kv *labels, *annotations;
	size_t size, msg_size, own_labels, labels_size;
	const char **finalizers;
	struct cosi_res *res;
	char *buf;
	u32 i;

	/*
	 * An update event carries the new version and the previous one's
	 * labels; so does every later update of this version.  Counting the
	 * larger label set twice keeps every event within COSI_MSG_MAX.
	 */
	BUILD_BUG_ON(COSI_MSG_MAX > U16_MAX);	/* labels_size is a u16 */
	msg_size = cosi_res_attrs_size(p, strlen(cosi_coll_ns(coll)),
				       strlen(coll->type));
	own_labels = cosi_kv_size(p->labels, p->n_labels);
	labels_size = old ? max_t(size_t, own_labels, old->labels_size) :
			    own_labels;
	if (msg_size + labels_size > COSI_MSG_MAX)
		return ERR_PTR(-E2BIG);
	size = sizeof(*res) +
	       (p->n_labels + p->n_annotations) * sizeof(struct cosi_kv) +
	       p->n_finalizers * sizeof(char *) + ALIGN(p->spec_len, 8) +
	       strlen(p->id) + strlen(p->owner) + 2 +
	       cosi_kv_strings(p->labels, p->n_labels) +
	       cosi_kv_strings(p->annotations, p->n_annotations);
	for (i = 0; i < p->n_finalizers; i++)
		size += strlen(p->finalizers[i]) + 1;

	res = kmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!res)
		return ERR_PTR(-ENOMEM);
	memset(res, 0, sizeof(*res));
	atomic_long_inc(&cosi_nr_objects);
	refcount_set(&res->ref, 1);
	res->coll = coll;
	res->n_labels = p->n_labels;
	res->n_annotations = p->n_annotations;
	res->n_finalizers = p->n_finalizers;
	res->spec_len = p->spec_len;
	res->writer_caps = p->writer_caps;
	res->msg_size = msg_size;
	res->labels_size = own_labels;

	labels = (struct cosi_kv *)(res + 1);
	annotations = labels + p->n_labels;
	finalizers = (const char **)(annotations + p->n_annotations);
	res->spec = finalizers + p->n_finalizers;
	buf = (char *)res->spec + ALIGN(p->spec_len, 8);

	if (p->spec_len)
		memcpy((void *)res->spec, p->spec, p->spec_len);
	res->id = cosi_put_str(&buf, p->id);
	res->owner = cosi_put_str(&buf, p->owner);
	cosi_kv_copy(labels, p->labels, p->n_labels, &buf);
	cosi_kv_copy(annotations, p->annotations, p->n_annotations, &buf);
	for (i = 0; i < p->n_finalizers; i++)
		finalizers[i] = cosi_put_str(&buf, p->finalizers[i]);
	res->labels = labels;
	res->annotations = annotations;
	res->finalizers = finalizers;
	return res;
}

/* Parts of an existing version, to build the next one from. */
void cosi_res_parts_from(struct cosi_res_parts *p, const struct cosi_res *r)
{
	p->id = r->id;
	p->owner = r->owner;
	p->labels = r->labels;
	p->n_labels = r->n_labels;
	p->annotations = r->annotations;
	p->n_annotations = r->n_annotations;
	p->finalizers = r->finalizers;
	p->n_finalizers = r->n_finalizers;
	p->spec = r->spec;
	p->spec_len = r->spec_len;
	p->writer_caps = r->writer_caps;
}

static void cosi_res_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct cosi_res, rcu));
	atomic_long_dec(&cosi_nr_objects);
}

void cosi_res_put(struct cosi_res *res)
{
	if (res && refcount_dec_and_test(&res->ref))
		call_rcu(&res->rcu, cosi_res_free_rcu);
}

/* Events: references held by the history and watchers' queues. */

void cosi_event_get(struct cosi_event *ev)
{
	refcount_inc(&ev->res->ref);
	if (ev->old)
		refcount_inc(&ev->old->ref);
	ev->res->coll->refs++;
}

void cosi_event_put(struct cosi_net *cn, struct cosi_event *ev)
{
	struct cosi_coll *coll = ev->res->coll;

	cosi_res_put(ev->old);
	cosi_res_put(ev->res);
	cosi_coll_put(cn, coll);
}

static void cosi_hist_drop_oldest(struct cosi_net *cn)
{
	u32 slot = (cn->hist_head + cn->hist_size - cn->hist_len) %
		   cn->hist_size;
	struct cosi_event *ev = &cn->hist[slot];

	cn->hist_evicted = ev->rev;
	cn->hist_bytes -= cosi_event_bytes(ev);
	cn->hist_len--;
	cosi_event_put(cn, ev);
}

/*
 * Append @ev to the history ring, then drop the oldest events while the
 * ring holds more than it may (count or bytes; the newest always stays).
 * The new event's references are taken first: an evicted event may hold
 * the last reference to the collection @ev belongs to.
 */
static void cosi_hist_append(struct cosi_net *cn, struct cosi_event *ev)
{
	cosi_event_get(ev);
	if (cn->hist_len == cn->hist_size)
		cosi_hist_drop_oldest(cn);
	cn->hist[cn->hist_head] = *ev;
	cn->hist_head = (cn->hist_head + 1) % cn->hist_size;
	cn->hist_len++;
	cn->hist_bytes += cosi_event_bytes(ev);
	while (cn->hist_bytes > cn->hist_max_bytes && cn->hist_len > 1)
		cosi_hist_drop_oldest(cn);
}

/* Record a change: revision, history, watchers, multicast. */
static void cosi_store_changed(struct cosi_net *cn, u8 kind,
			       struct cosi_res *res, struct cosi_res *old)
{
	struct cosi_event ev = {
		.rev = res->revision,
		.kind = kind,
		.res = res,
		.old = old,
	};

	WRITE_ONCE(cn->revision, res->revision);
	cosi_hist_append(cn, &ev);
	trace_cosi_resource_change(cn, &ev);
	cosi_watch_notify(cn, &ev);
}

/*
 * A change of @coll's tree, inside its by_id_seq write section: a list
 * dump under RCU that saw the change in a checked step (the sequence read
 * after it, with a read barrier) also sees the new gen.
 */
static void cosi_coll_changed(struct cosi_coll *coll)
{
	WRITE_ONCE(coll->gen, coll->gen + 1);
}

static void cosi_rb_insert(struct cosi_coll *coll, struct cosi_res *res)
{
	struct rb_node **link = &coll->by_id.rb_node, *parent = NULL;

	while (*link) {
		struct cosi_res *cur = rb_entry(*link, struct cosi_res, rb);

		parent = *link;
		if (strcmp(res->id, cur->id) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	/*
	 * Published with its fields: the BPF iterator reads it under RCU,
	 * and checks with by_id_seq that no rotation moved nodes under it.
	 */
	write_seqcount_begin(&coll->by_id_seq);
	rb_link_node_rcu(&res->rb, parent, link);
	rb_insert_color(&res->rb, &coll->by_id);
	cosi_coll_changed(coll);
	write_seqcount_end(&coll->by_id_seq);
}

/**
 * cosi_store_insert() - publish a new resource
 * @cn: the netns store, locked
 * @res: a version from cosi_res_build(), its metadata set and its
 *	 revision the next one; the store takes over the reference, and the
 *	 caller's reference to res->coll (from cosi_coll_get())
 *
 * Return: 0 or -ENOMEM (both references are then still the caller's).
 */
int cosi_store_insert(struct cosi_net *cn, struct cosi_res *res)
{
	int err;

	lockdep_assert_held(&cn->lock);
	err = rhashtable_insert_fast(&cn->res, &res->node, cosi_res_params);
	if (err)
		return err;
	cosi_rb_insert(res->coll, res);
	res->coll->nr_res++;
	cn->nr_res++;
	cosi_store_changed(cn, COSI_EVENT_KIND_CREATED, res, NULL);
	return 0;
}

/* Swap in a new version (same key); drops the table's reference to @old. */
void cosi_store_replace(struct cosi_net *cn, struct cosi_res *old,
			struct cosi_res *res)
{
	lockdep_assert_held(&cn->lock);
	/* Same key, same bucket: this cannot fail. */
	WARN_ON(rhashtable_replace_fast(&cn->res, &old->node, &res->node,
					cosi_res_params));
	write_seqcount_begin(&res->coll->by_id_seq);
	rb_replace_node_rcu(&old->rb, &res->rb, &res->coll->by_id);
	cosi_coll_changed(res->coll);
	write_seqcount_end(&res->coll->by_id_seq);
	cosi_store_changed(cn, COSI_EVENT_KIND_UPDATED, res, old);
	cosi_res_put(old);
}

/* Remove a resource at the next revision; drops the table's reference. */
void cosi_store_remove(struct cosi_net *cn, struct cosi_res *res)
{
	struct cosi_coll *coll = res->coll;
	struct cosi_event ev;

	lockdep_assert_held(&cn->lock);
	rhashtable_remove_fast(&cn->res, &res->node, cosi_res_params);
	write_seqcount_begin(&coll->by_id_seq);
	rb_erase(&res->rb, &coll->by_id);
	cosi_coll_changed(coll);
	write_seqcount_end(&coll->by_id_seq);
	coll->nr_res--;
	cn->nr_res--;

	/* The event carries the last version, at the destroying revision. */
	WRITE_ONCE(cn->revision, cn->revision + 1);
	ev = (struct cosi_event){
		.rev = cn->revision,
		.kind = COSI_EVENT_KIND_DESTROYED,
		.res = res,
	};
	cosi_hist_append(cn, &ev);
	trace_cosi_resource_change(cn, &ev);
	cosi_watch_notify(cn, &ev);
	/* The table's references, after the event took its own. */
	cosi_res_put(res);
	cosi_coll_put(cn, coll);
}

/*
 * First node of @coll's tree with an id after @after, or from @after on
 * when @inclusive.  Under cosi_net::lock this is exact.  Under RCU only,
 * while writers change the tree: writers link nodes with
 * rb_link_node_rcu() and rb_replace_node_rcu() and rebalance with
 * WRITE_ONCE() stores that never form a loop (lib/rbtree.c), and a
 * version unlinked stays allocated for a grace period (cosi_res_put()),
 * so the descent ends and what it returns is after @after and readable;
 * but a rotation can move the right node out of its path, so it may
 * return a later one (see rb_find_rcu()): cosi_coll_next_rcu() checks.
 */
static struct cosi_res *cosi_coll_descend(struct cosi_coll *coll,
					  const char *after, bool inclusive)
{
	struct rb_node *node = rcu_dereference_raw(coll->by_id.rb_node);
	struct cosi_res *best = NULL;

	while (node) {
		struct cosi_res *cur = rb_entry(node, struct cosi_res, rb);
		int c = strcmp(cur->id, after);

		if (c > 0 || (inclusive && !c)) {
			best = cur;
			node = rcu_dereference_raw(node->rb_left);
		} else {
			node = rcu_dereference_raw(node->rb_right);
		}
	}
	return best;
}

/*
 * First resource of @coll with an id after @after ("" for the first), or
 * from @after on when @inclusive.  Under cosi_net::lock (watch
 * bootstraps, kernel watches; list dumps use cosi_coll_seek_rcu()).
 */
struct cosi_res *cosi_coll_next(struct cosi_coll *coll, const char *after,
				bool inclusive)
{
#ifdef CONFIG_LOCKDEP
	lockdep_assert_held(coll->by_id_seq.lock);
#endif
	return cosi_coll_descend(coll, after, inclusive);
}

/*
 * The rbtree's height is at most 2 * log2(n + 1): a step that climbs or
 * descends further ran into a tree changing under it.
 */
#define COSI_RB_MAX_STEPS	(2 * BITS_PER_LONG)

/*
 * rb_next() for a reader under RCU only, bounded: the next node, NULL at
 * the end, or ERR_PTR(-EAGAIN) if the walk took more steps than a tree
 * can be high (the tree changed meanwhile; the caller's sequence check
 * would discard the result anyway).
 */
static struct rb_node *cosi_rb_next_rcu(const struct rb_node *node)
{
	struct rb_node *n, *parent;
	int i;

	n = rcu_dereference_raw(node->rb_right);
	if (n) {
		for (i = 0; i < COSI_RB_MAX_STEPS; i++) {
			struct rb_node *left = rcu_dereference_raw(n->rb_left);

			if (!left)
				return n;
			n = left;
		}
		return ERR_PTR(-EAGAIN);
	}
	for (i = 0; i < COSI_RB_MAX_STEPS; i++) {
		parent = rb_parent(node);
		if (!parent || node != rcu_dereference_raw(parent->rb_right))
			return parent;
		node = parent;
	}
	return ERR_PTR(-EAGAIN);
}

/*
 * One step under RCU only: the first resource after @last's id, or (no
 * @last) after @after, or from it on when @inclusive.  A descent (or a
 * step from @last with cosi_rb_next_rcu(), when the sequence has not
 * moved since @last was found: @last is still in the unchanged tree) is
 * kept when @coll->by_id_seq was even and unchanged across it: no writer
 * touched the tree, so it is exact, and *@seq is set to that even value.
 * Else it is tried again, COSI_ITER_TRIES times in all, never more; then
 * *@seq is odd and the last descent's result is returned as it is: after
 * the id (a walk stays in strictly increasing id order, each resource at
 * most once), though a resource a rotation hid may be skipped.  The
 * sequence is read with raw_read_seqcount() on its seqcount_t: no waiting
 * for an odd value, no lockdep reader annotation (a BPF reader may be
 * inside the write section), and never the mutex (PREEMPT_RT's
 * seqcount_mutex_t readers may take it).
 */
static struct cosi_res *cosi_coll_step_rcu(struct cosi_coll *coll,
					   const struct cosi_res *last,
					   const char *after, bool inclusive,
					   unsigned int *seq)
{
	seqcount_t *sc = &coll->by_id_seq.seqcount;
	struct cosi_res *res = NULL;
	struct rb_node *node;
	unsigned int s;
	int i;

	if (last) {
		after = last->id;
		inclusive = false;
	}
	s = raw_read_seqcount(sc);
	if (last && !(s & 1) && s == *seq) {
		node = cosi_rb_next_rcu(&last->rb);
		if (!IS_ERR(node) && !read_seqcount_retry(sc, s))
			return node ? rb_entry(node, struct cosi_res, rb) : NULL;
		s = raw_read_seqcount(sc);
	}
	for (i = 0; i < COSI_ITER_TRIES; i++) {
		if (i)
			s = raw_read_seqcount(sc);
		res = cosi_coll_descend(coll, after, inclusive);
		if (!(s & 1) && !read_seqcount_retry(sc, s)) {
			*seq = s;
			return res;
		}
	}
	*seq = 1;
	return res;
}

/**
 * cosi_coll_next_rcu() - the BPF iterator's step, under RCU only
 * @coll: the collection, found under RCU (freed after a grace period)
 * @last: the version the previous step returned, NULL for the first step
 * @seq: the caller's memory of @coll->by_id_seq: in, its value when
 *	 @last was found (odd: none); out, the value this step was checked
 *	 against (odd when the step could not be checked)
 *
 * The first resource after @last's id, exact unless writers kept
 * changing the tree through COSI_ITER_TRIES tries (cosi_coll_step_rcu()):
 * a tracing program may run inside the write section, on the writer's
 * CPU, where the sequence cannot move until it returns, so it never
 * waits; it may then skip a resource, never return one twice or out of
 * order.
 *
 * Return: the version, valid until the caller leaves its RCU read
 * section, or NULL at the end.
 */
struct cosi_res *cosi_coll_next_rcu(struct cosi_coll *coll,
				    const struct cosi_res *last, unsigned int *seq)
{
	return cosi_coll_step_rcu(coll, last, "", false, seq);
}

/**
 * cosi_coll_seek_rcu() - a list dump's step, under RCU only, exact
 * @coll: the collection, found under RCU (freed after a grace period)
 * @last: the version the previous step returned, NULL for the first step
 *	  of a piece (the walk starts after, or from, @after)
 * @after: where the first step starts: an id
 * @inclusive: whether the first step may return @after itself
 * @seq: as for cosi_coll_next_rcu()
 *
 * Like cosi_coll_next_rcu(), but never returns an unchecked descent: a
 * list dump promises every resource present throughout it.  Under
 * cosi_net::lock (and RCU) every step is checked at once.
 *
 * Return: the version, valid until the caller leaves its RCU read
 * section, NULL at the end, or ERR_PTR(-EAGAIN) when writers changed the
 * tree during each try: the caller takes cosi_net::lock and steps again.
 */
struct cosi_res *cosi_coll_seek_rcu(struct cosi_coll *coll,
				    const struct cosi_res *last,
				    const char *after, bool inclusive,
				    unsigned int *seq)
{
	struct cosi_res *res;

	res = cosi_coll_step_rcu(coll, last, after, inclusive, seq);
	return *seq & 1 ? ERR_PTR(-EAGAIN) : res;
}

/* The version after @res in id order; @res is current, under the lock. */
struct cosi_res *cosi_coll_succ(const struct cosi_res *res)
{
	struct rb_node *node = rb_next(&res->rb);

	return node ? rb_entry(node, struct cosi_res, rb) : NULL;
}

/*
 * How long cosi_scan_yield() leaves the lock free for a task waiting in
 * cosi_net_lock(), at most: a spinning waiter takes it within a
 * microsecond; a sleeping one that the unlock woke may need longer, and
 * past this gets the lock handed over at the next yield (the mutex's
 * handoff to a woken first waiter).
 */
#define COSI_SCAN_HANDOFF_NS	(50 * NSEC_PER_USEC)

/**
 * cosi_scan_yield() - let writers in during a long scan under the lock
 * @cn: the netns store, locked by the caller, and locked again on return
 *
 * Drops cosi_net::lock, reschedules if asked to, and takes the lock
 * again.  The caller has recorded its position by key and holds no
 * pointer into the store across the call but those it holds references
 * to (see COSI_SCAN_BATCH).  Only a watch's bootstrap listing scans
 * under the lock; list dumps take none.
 *
 * A waiter must actually get the lock in between.  An unlock followed at
 * once by a lock almost never lets it: a writer waiting for a lock whose
 * owner runs spins on it (mutex optimistic spinning) instead of queueing
 * for a handoff, and the owner's relock wins the race for the free lock
 * (bench/dump_writer.c, 100k-entry filtered dumps under TCG, when they
 * held the lock: a writer waited up to 385 ms, p99 28 ms, with the
 * relock at once; 84 ms and 16 ms with what follows).  So while a task
 * waits in cosi_net_lock(), the lock stays free until someone takes it,
 * COSI_SCAN_HANDOFF_NS pass, or this task should give the CPU up
 * (need_resched(): then it does, in cond_resched(), which lets the
 * waiter run as well).
 */
void cosi_scan_yield(struct cosi_net *cn)
{
	u64 end;

	lockdep_assert_held(&cn->lock);
	mutex_unlock(&cn->lock);
	if (atomic_read(&cn->lock_waiters)) {
		end = local_clock() + COSI_SCAN_HANDOFF_NS;
		while (!mutex_is_locked(&cn->lock) &&
		       atomic_read(&cn->lock_waiters) && !need_resched() &&
		       local_clock() < end)
			cpu_relax();
	}
	cond_resched();
	cosi_net_lock(cn);
}

/* Reply and event contents. */

/*
 * A writer of attributes into skb room checked once.  Callers bound what
 * they write beforehand (cosi_res_attrs_size(), cosi_kv_size(): kept in
 * res->msg_size and res->labels_size), so no attribute checks the
 * tailroom again: a dump puts a dozen attributes per entry, and the
 * per-attribute nla_put() calls were most of its time (under TCG, full
 * entries 310k/s with nla_put(), 564k/s so; __nla_put() differs from
 * nla_put() only by the one tailroom check).  Each attribute's padding is
 * zeroed, as nla_put() does: no stale skb bytes reach a reader.
 */
struct cosi_nlw {
	u8 *start;
	u8 *p;
	u8 *end;			/* start + bound */
};

static bool cosi_nlw_begin(struct cosi_nlw *w, struct sk_buff *skb,
			   size_t bound)
{
	if (skb_tailroom(skb) < bound)
		return false;
	w->start = skb_tail_pointer(skb);
	w->p = w->start;
	w->end = w->start + bound;
	return true;
}

static void cosi_nlw_end(struct cosi_nlw *w, struct sk_buff *skb)
{
	/* A bound that lied: say so before skb_put() panics on it. */
	DEBUG_NET_WARN_ON_ONCE(w->p > w->end);
	skb_put(skb, w->p - w->start);
}

static __always_inline void cosi_nlw_put(struct cosi_nlw *w, u16 type,
					 const void *data, u32 len)
{
	struct nlattr *nla = (struct nlattr *)w->p;
	u32 total = nla_total_size(len);

	if (total != nla_attr_size(len))
		memset(w->p + total - 4, 0, 4);
	nla->nla_len = nla_attr_size(len);
	nla->nla_type = type;
	memcpy(nla_data(nla), data, len);
	w->p += total;
}

static __always_inline void cosi_nlw_str(struct cosi_nlw *w, u16 type,
					 const char *s)
{
	cosi_nlw_put(w, type, s, strlen(s) + 1);
}

static __always_inline void cosi_nlw_u32(struct cosi_nlw *w, u16 type, u32 v)
{
	cosi_nlw_put(w, type, &v, sizeof(v));
}

/* As nla_put_u64_64bit(): a pad attribute first where u64s must align. */
static __always_inline void cosi_nlw_u64(struct cosi_nlw *w, u16 type, u64 v)
{
#ifndef CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS
	if (IS_ALIGNED((unsigned long)w->p, 8))
		cosi_nlw_put(w, COSI_A_RESOURCE_PAD, NULL, 0);
#endif
	cosi_nlw_put(w, type, &v, sizeof(v));
}

static __always_inline struct nlattr *cosi_nlw_nest(struct cosi_nlw *w,
						    u16 type)
{
	struct nlattr *nla = (struct nlattr *)w->p;

	nla->nla_type = type | NLA_F_NESTED;
	w->p += NLA_HDRLEN;
	return nla;
}

static __always_inline void cosi_nlw_nest_end(struct cosi_nlw *w,
					      struct nlattr *nla)
{
	nla->nla_len = w->p - (u8 *)nla;
}

/* Within the bound of cosi_kv_size(@kv, @n). */
static void cosi_nlw_kv(struct cosi_nlw *w, u16 attr, const struct cosi_kv *kv,
			u32 n)
{
	struct nlattr *nest, *item;
	u32 i;

	nest = cosi_nlw_nest(w, attr);
	for (i = 0; i < n; i++) {
		item = cosi_nlw_nest(w, COSI_A_LABELS_LABEL);
		cosi_nlw_str(w, COSI_A_LABEL_KEY, kv[i].key);
		cosi_nlw_str(w, COSI_A_LABEL_VALUE, kv[i].value);
		cosi_nlw_nest_end(w, item);
	}
	cosi_nlw_nest_end(w, nest);
}

int cosi_put_labels(struct sk_buff *skb, int attr, const struct cosi_res *res)
{
	struct cosi_nlw w;

	if (!cosi_nlw_begin(&w, skb, res->labels_size))
		return -EMSGSIZE;
	cosi_nlw_kv(&w, attr, res->labels, res->n_labels);
	cosi_nlw_end(&w, skb);
	return 0;
}

/**
 * cosi_res_fill_key() - put a resource's attributes
 * @skb: message being built
 * @ns: its namespace
 * @type: its type
 * @res: the version
 * @rev: the revision to report (the version's, or the event's)
 * @what: COSI_FILL_SPEC to put the spec (not for an unprivileged reader
 *	of a sensitive type), COSI_FILL_FULL to put the namespace, the type
 *	and the attributes at their default (a compact dump leaves them out)
 *
 * @ns and @type must be the version's collection's: res->msg_size, the
 * bound the writer relies on, was computed with their lengths.
 *
 * Return: 0 or -EMSGSIZE (less room than the version's bound, which
 * counts every attribute) with the skb unchanged.
 */
int cosi_res_fill_key(struct sk_buff *skb, const char *ns, const char *type,
		      const struct cosi_res *res, u64 rev, unsigned int what)
{
	bool full = what & COSI_FILL_FULL;
	struct cosi_nlw w;
	struct nlattr *nest;
	u32 i;

	if (!cosi_nlw_begin(&w, skb, res->msg_size))
		return -EMSGSIZE;
	if (full) {
		cosi_nlw_str(&w, COSI_A_RESOURCE_NAMESPACE, ns);
		cosi_nlw_str(&w, COSI_A_RESOURCE_TYPE, type);
	}
	cosi_nlw_str(&w, COSI_A_RESOURCE_ID, res->id);
	cosi_nlw_u64(&w, COSI_A_RESOURCE_VERSION, res->version);
	if (full || res->owner[0])
		cosi_nlw_str(&w, COSI_A_RESOURCE_OWNER, res->owner);
	if (full || res->phase != COSI_PHASE_RUNNING)
		cosi_nlw_u32(&w, COSI_A_RESOURCE_PHASE, res->phase);
	cosi_nlw_u32(&w, COSI_A_RESOURCE_WRITER_CAPS, res->writer_caps);
	cosi_nlw_u64(&w, COSI_A_RESOURCE_CREATED, res->created);
	cosi_nlw_u64(&w, COSI_A_RESOURCE_UPDATED, res->updated);
	cosi_nlw_u64(&w, COSI_A_RESOURCE_REVISION, rev);
	if (full || res->n_labels)
		cosi_nlw_kv(&w, COSI_A_RESOURCE_LABELS, res->labels,
			    res->n_labels);
	if (full || res->n_annotations)
		cosi_nlw_kv(&w, COSI_A_RESOURCE_ANNOTATIONS, res->annotations,
			    res->n_annotations);
	if (full || res->n_finalizers) {
		nest = cosi_nlw_nest(&w, COSI_A_RESOURCE_FINALIZERS);
		for (i = 0; i < res->n_finalizers; i++)
			cosi_nlw_str(&w, COSI_A_FINALIZERS_FINALIZER,
				     res->finalizers[i]);
		cosi_nlw_nest_end(&w, nest);
	}
	if (what & COSI_FILL_SPEC)
		cosi_nlw_put(&w, COSI_A_RESOURCE_SPEC | NLA_F_NESTED, res->spec,
			     res->spec_len);
	cosi_nlw_end(&w, skb);
	return 0;
}

/* Caller holds cosi_net::lock (res->coll is followed). */
int cosi_res_fill(struct sk_buff *skb, const struct cosi_res *res, u64 rev,
		  unsigned int what)
{
	return cosi_res_fill_key(skb, cosi_coll_ns(res->coll), res->coll->type,
				 res, rev, what);
}

/* Setup and teardown of a netns's store. */

int cosi_net_init(struct cosi_net *cn, struct net *net)
{
	int err;

	mutex_init(&cn->lock);
	atomic_set(&cn->lock_waiters, 0);
	cn->net = net;
	hash_init(cn->defs);
	hash_init(cn->socks);
	get_random_bytes(&cn->sock_key, sizeof(cn->sock_key));
	INIT_LIST_HEAD(&cn->kwatches);
	cn->hist_size = clamp_t(u32, READ_ONCE(cosi_history_size), 16, 1 << 20);
	cn->hist_max_bytes = max_t(u32, READ_ONCE(cosi_history_bytes),
				   2 * COSI_MSG_MAX);
	cn->hist = kvcalloc(cn->hist_size, sizeof(*cn->hist),
			    GFP_KERNEL_ACCOUNT);
	if (!cn->hist)
		return -ENOMEM;
	err = rhashtable_init(&cn->colls, &cosi_coll_params);
	if (err)
		goto err_hist;
	err = rhashtable_init(&cn->res, &cosi_res_params);
	if (err)
		goto err_colls;
	return 0;
err_colls:
	rhashtable_destroy(&cn->colls);
err_hist:
	kvfree(cn->hist);
	return err;
}

static void cosi_res_free_one(void *ptr, void *arg)
{
	struct cosi_res *res = ptr;

	res->coll->nr_res--;
	res->coll->refs--;
	cosi_res_put(res);
}

static void cosi_coll_free_one(void *ptr, void *arg)
{
	struct cosi_coll *coll = ptr;

	WARN_ON(coll->refs || coll->nr_res);
	call_rcu(&coll->rcu, cosi_coll_free_rcu);
}

void cosi_net_exit(struct cosi_net *cn)
{
	u32 i;

	/* No requests can reach this netns any more; sockets are gone. */
	cosi_kwatch_net_exit(cn);
	mutex_lock(&cn->lock);
	cosi_sock_free_all(cn);
	for (i = 0; i < cn->hist_len; i++) {
		u32 slot = (cn->hist_head + cn->hist_size - 1 - i) % cn->hist_size;

		cn->hist[slot].res->coll->refs--;
		cosi_res_put(cn->hist[slot].old);
		cosi_res_put(cn->hist[slot].res);
	}
	cn->hist_len = 0;
	rhashtable_free_and_destroy(&cn->res, cosi_res_free_one, NULL);
	rhashtable_free_and_destroy(&cn->colls, cosi_coll_free_one, NULL);
	cosi_def_free_all(cn);
	mutex_unlock(&cn->lock);
	cosi_id_index_destroy(&cn->id_watchers);
	cosi_id_index_destroy(&cn->id_kwatches);
	kvfree(cn->hist);
}
