// SPDX-License-Identifier: GPL-2.0
/*
 * Watches.
 *
 * A watch is started by a dump (bootstrap listing and/or history replay,
 * then a bootstrapped marker) and goes live when the dump ends.  While the
 * dump runs, the watcher is on its collection's list (or, with an id
 * filter, in the netns's index of those, struct cosi_id_index) so that
 * writers queue the events it must still see on watcher->pending; events
 * for ids the bootstrap listing has not reached yet are skipped, since
 * the listing will show their latest state.  A change is rendered once
 * per event kind, and each live watcher gets an exact-size copy with its
 * watch id (struct cosi_render).  Live events are queued to the socket
 * without blocking; when that fails (overflow, no memory) all of its
 * watches stop and the socket gets ENOBUFS (cosi_sock_report()), also
 * with NETLINK_NO_ENOBUFS.  A watch never stops silently: see
 * enum cosi_watch_stop.
 *
 * Everything here runs under cosi_net::lock.
 */
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cosi.h"
#include "cosi_trace.h"
#include "genl.h"

/* Indexes of watches with an id filter (struct cosi_id_index). */

/* Largest index: a million buckets, past any sane max_watchers. */
#define COSI_ID_INDEX_MIN_BITS	4
#define COSI_ID_INDEX_MAX_BITS	20

/*
 * Keyed with the netns's secret, like the socket table: nobody can choose
 * ids that fill one bucket on purpose.
 */
u32 cosi_id_hash(const struct cosi_net *cn, const struct cosi_coll *coll,
		 const char *id)
{
	return hsiphash(id, strlen(id), &cn->sock_key) ^ hash_ptr(coll, 32);
}

/* Rehash into 1 << @bits buckets; on no memory, keep the old table. */
static void cosi_id_index_resize(struct cosi_id_index *ix, u32 bits)
{
	struct cosi_id_node *n;
	struct hlist_node *tmp;
	struct hlist_head *b;
	u32 i;

	b = kvcalloc(1u << bits, sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return;
	for (i = 0; ix->buckets && i < (1u << ix->bits); i++)
		hlist_for_each_entry_safe(n, tmp, &ix->buckets[i], node)
			hlist_add_head(&n->node, &b[hash_32(n->hash, bits)]);
	kvfree(ix->buckets);
	ix->buckets = b;
	ix->bits = bits;
}

/**
 * cosi_id_index_add() - index a watch by its collection and id
 * @ix: the index, under cosi_net::lock
 * @n: the watch's node
 * @hash: cosi_id_hash() of its collection and id
 *
 * Grows the table to a bucket per watch.  Not while the index is walked.
 *
 * Return: 0, or -ENOMEM when the index has no table and none could be
 * allocated (a failed growth keeps the old table).
 */
int cosi_id_index_add(struct cosi_id_index *ix, struct cosi_id_node *n,
		      u32 hash)
{
	if (!ix->buckets)
		cosi_id_index_resize(ix, COSI_ID_INDEX_MIN_BITS);
	else if (ix->nr >= (1u << ix->bits) &&
		 ix->bits < COSI_ID_INDEX_MAX_BITS)
		cosi_id_index_resize(ix, ix->bits + 1);
	if (!ix->buckets)
		return -ENOMEM;
	n->hash = hash;
	hlist_add_head(&n->node, cosi_id_bucket(ix, hash));
	ix->nr++;
	return 0;
}

void cosi_id_index_del(struct cosi_id_index *ix, struct cosi_id_node *n)
{
	hlist_del_init(&n->node);
	ix->nr--;
}

/* Netns exit: every watch is gone. */
void cosi_id_index_destroy(struct cosi_id_index *ix)
{
	WARN_ON(ix->nr);
	kvfree(ix->buckets);
	ix->buckets = NULL;
}

/* Watchers. */

/* Take @p off @w's pending queue and free it. */
static void cosi_pending_pop(struct cosi_net *cn, struct cosi_watcher *w,
			     struct cosi_pending *p)
{
	list_del(&p->node);
	w->nr_pending--;
	w->pending_bytes -= cosi_event_bytes(&p->ev);
	cosi_event_put(cn, &p->ev);
	kfree(p);
}

static void cosi_pending_flush(struct cosi_net *cn, struct cosi_watcher *w)
{
	struct cosi_pending *p, *tmp;

	list_for_each_entry_safe(p, tmp, &w->pending, node)
		cosi_pending_pop(cn, w, p);
}

static void cosi_watcher_free(struct cosi_net *cn, struct cosi_watcher *w)
{
	struct cosi_coll *coll = w->coll;

	cosi_pending_flush(cn, w);
	if (w->id) {
		cosi_id_index_del(&cn->id_watchers, &w->id_node);
		coll->nr_id_watchers--;
	} else {
		list_del(&w->coll_node);
	}
	list_del(&w->sock_node);
	w->sock->nr_watchers--;
	cn->nr_watchers--;
	if (!w->privileged)
		cn->nr_unpriv_watchers--;
	kfree(w->query);
	kfree(w->id);
	mem_cgroup_put(w->memcg);
	kfree(w);
	atomic_long_dec(&cosi_nr_objects);
	cosi_coll_put(cn, coll);	/* the watcher's */
}

/*
 * A watch ends: a live one is freed, one still in its dump fails it (the
 * dump or cosi_watch_done() tells the client).  A socket stop or a
 * watch-stop replaces an overflow: the client hears of it that way.
 */
static void cosi_watcher_stop(struct cosi_net *cn, struct cosi_watcher *w,
			      enum cosi_watch_stop why)
{
	if (w->state == COSI_WATCH_LIVE) {
		cosi_watcher_free(cn, w);
		return;
	}
	/*
	 * A stop the client asked for stays one (ECANCELED, not resumed), and
	 * one for access stays EPERM.  After a successful dump, the client
	 * hears of a stop once (ENOBUFS): access does not replace a stop that
	 * was or will be reported.
	 */
	if (w->stop != COSI_STOP_REQUEST && w->stop != COSI_STOP_ACCESS &&
	    !(why == COSI_STOP_ACCESS && w->stop && w->dump_ended))
		w->stop = why;
	/* Its queue will never be sent: give the memory back now. */
	cosi_pending_flush(cn, w);
}

/*
 * Stop every watch of an overflowed socket (@report: and tell it) or of
 * a closed one.
 */
void cosi_sock_stop_watches(struct cosi_net *cn, struct cosi_sock *cs,
			    bool report)
{
	struct cosi_watcher *w, *tmp;

	list_for_each_entry_safe(w, tmp, &cs->watchers, sock_node)
		cosi_watcher_stop(cn, w, COSI_STOP_SOCKET);
	if (report)
		cosi_sock_report(cs);
}

/**
 * cosi_watch_revoke() - stop the unprivileged watches of a type
 * @cn: the netns store, locked
 * @type: a type that has just become sensitive
 *
 * A watch that started while its type was public, by a watcher without
 * CAP_NET_ADMIN over the netns, must not see the type's resources once it
 * is sensitive.  One still in its dump fails it with EPERM; a live one
 * stops with every watch of its socket, which gets ENOBUFS (the one way a
 * live watch reports a stop), and its restart is refused with EPERM.
 */
void cosi_watch_revoke(struct cosi_net *cn, const char *type)
{
	struct cosi_watcher *w, *tmp;
	struct hlist_node *next;
	struct cosi_sock *cs;
	int bkt;

	lockdep_assert_held(&cn->lock);
	hash_for_each_safe(cn->socks, bkt, next, cs, node) {
		bool live = false;

		list_for_each_entry_safe(w, tmp, &cs->watchers, sock_node) {
			if (w->privileged || strcmp(w->coll->type, type))
				continue;
			if (w->state == COSI_WATCH_LIVE)
				live = true;
			else
				cosi_watcher_stop(cn, w, COSI_STOP_ACCESS);
		}
		if (live) {
			cosi_sock_stop_watches(cn, cs, true);
			cosi_sock_trim(cn, cs);
		}
	}
}

/* Free every watch of @cs (netns exit: its dumps are over). */
void cosi_sock_free_watches(struct cosi_net *cn, struct cosi_sock *cs)
{
	struct cosi_watcher *w, *tmp;

	lockdep_assert_held(&cn->lock);
	list_for_each_entry_safe(w, tmp, &cs->watchers, sock_node)
		cosi_watcher_free(cn, w);
}

/**
 * cosi_filter_kind() - what a filtered watch sees of a change
 * @id: the watch's id filter, or NULL
 * @query: its label queries, or NULL for all
 * @ev: the change
 *
 * Shared by netlink watchers and kernel watches (kwatch.c): an update
 * that moves a resource into the filter is a creation, out of it a
 * destruction.
 *
 * Return: the event kind to deliver, 0 for nothing.
 */
u8 cosi_filter_kind(const char *id, const struct cosi_queries *query,
		    const struct cosi_event *ev)
{
	const struct cosi_res *res = ev->res;
	bool was, is;

	if (id && strcmp(id, res->id))
		return 0;
	is = cosi_queries_match(query, res->labels, res->n_labels);
	if (ev->kind != COSI_EVENT_KIND_UPDATED)
		return is ? ev->kind : 0;
	was = cosi_queries_match(query, ev->old->labels, ev->old->n_labels);
	if (was && is)
		return COSI_EVENT_KIND_UPDATED;
	if (is)
		return COSI_EVENT_KIND_CREATED;
	if (was)
		return COSI_EVENT_KIND_DESTROYED;
	return 0;
}

static void cosi_watch_enqueue(struct cosi_net *cn, struct cosi_watcher *w,
			       const struct cosi_event *ev, u8 kind)
{
	u64 bytes = cosi_event_bytes(ev);
	struct mem_cgroup *old_memcg;
	struct cosi_pending *p;

	if (w->stop)
		return;
	if (w->nr_pending >= cn->hist_size ||
	    w->pending_bytes + bytes > cn->hist_max_bytes)
		goto overflow;
	old_memcg = set_active_memcg(w->memcg);
	p = kmalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	set_active_memcg(old_memcg);
	if (!p)
		goto overflow;
	p->ev = *ev;
	p->ev.kind = kind;
	cosi_event_get(&p->ev);
	list_add_tail(&p->node, &w->pending);
	w->nr_pending++;
	w->pending_bytes += bytes;
	return;
overflow:
	/* The queue will never be sent: give its memory back now. */
	w->stop = COSI_STOP_OVERFLOW;
	cosi_pending_flush(cn, w);
}

/*
 * Queue one event message (@skb, consumed) to a live watcher's socket,
 * without blocking.  The receive buffer is checked here, as strictly as
 * netlink_attachskb() does on any kernel (before or after its rmem +
 * truesize check), so that an overflow is reported once, by
 * cosi_sock_report(), not also by netlink.  A closing socket gets nothing
 * (its portid may be another's already).
 */
static int cosi_watch_deliver(struct cosi_net *cn, struct cosi_watcher *w,
			      struct sk_buff *skb)
{
	struct sock *sk = w->sock->sk;
	struct inode *pin;
	unsigned int rmem;
	int err;

	pin = cosi_sock_pin(w->sock);
	if (!pin) {
		nlmsg_free(skb);
		return -ECONNREFUSED;
	}
	rmem = atomic_read(&sk->sk_rmem_alloc);
	if (rmem && rmem + skb->truesize > READ_ONCE(sk->sk_rcvbuf)) {
		nlmsg_free(skb);
		err = -ENOBUFS;
	} else {
		err = genlmsg_unicast(cn->net, skb, w->sock->portid);
	}
	cosi_sock_unpin(pin);
	return err;
}

/* Upper bound of a live event message of @kind: old labels only in updates. */
static size_t cosi_watch_msg_size(const struct cosi_event *ev, u8 kind)
{
	size_t size = cosi_event_msg_size(ev);

	if (ev->old && kind != COSI_EVENT_KIND_UPDATED)
		size -= ev->old->labels_size;
	return size;
}

/* Render one live event message of @kind for watch @watch_id. */
static struct sk_buff *cosi_watch_render(const struct cosi_event *ev, u8 kind,
					 u32 watch_id)
{
	struct sk_buff *skb;

	skb = genlmsg_new(cosi_watch_msg_size(ev, kind), GFP_KERNEL);
	if (!skb)
		return NULL;
	if (cosi_event_put_msg(skb, 0, 0, COSI_CMD_RESOURCE_EVENT, watch_id,
			       kind, ev, true, 0)) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/* Send one event to a live watcher (rendered for it alone). */
static int cosi_watch_send(struct cosi_net *cn, struct cosi_watcher *w,
			   const struct cosi_event *ev, u8 kind)
{
	struct sk_buff *skb = cosi_watch_render(ev, kind, w->watch_id);

	if (!skb)
		return -ENOMEM;
	return cosi_watch_deliver(cn, w, skb);
}

/*
 * A change rendered once per event kind for the live watchers it reaches
 * (cosi_watch_notify()); the messages differ only in the watch id, which
 * each watcher's copy gets written in at @id_off.  Lives on the notifier's
 * stack, under cosi_net::lock.
 */
struct cosi_render {
	const struct cosi_event *ev;
	struct sk_buff *skb[COSI_EVENT_KIND_DESTROYED + 1];	/* by kind */
	unsigned int id_off[COSI_EVENT_KIND_DESTROYED + 1];
};

/*
 * An exact-size copy of the message of @kind (rendered on first use) with
 * @watch_id in it.  NULL when out of memory (the render is retried for
 * the next watcher, as a render per watcher would be).
 */
static struct sk_buff *cosi_render_copy(struct cosi_render *r, u8 kind,
					u32 watch_id)
{
	struct sk_buff *msg = r->skb[kind], *skb;

	if (!msg) {
		const struct nlattr *id;

		msg = cosi_watch_render(r->ev, kind, watch_id);
		if (!msg)
			return NULL;
		/* The first attribute (cosi_event_put_msg()). */
		id = nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN,
				     COSI_A_RESOURCE_WATCH_ID);
		if (WARN_ON_ONCE(!id)) {
			nlmsg_free(msg);
			return NULL;
		}
		r->id_off[kind] = (const u8 *)nla_data(id) - msg->data;
		r->skb[kind] = msg;
	}
	skb = alloc_skb(msg->len, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_put_data(skb, msg->data, msg->len);
	memcpy(skb->data + r->id_off[kind], &watch_id, sizeof(watch_id));
	return skb;
}

static void cosi_render_free(struct cosi_render *r)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(r->skb); i++)
		nlmsg_free(r->skb[i]);
}

static void cosi_watch_multicast(struct cosi_net *cn,
				 const struct cosi_event *ev)
{
	const struct cosi_def *def;
	struct sk_buff *skb;
	bool with_spec;

	if (!genl_has_listeners(&cosi_nl_family, cn->net, 0))
		return;
	def = cosi_def_find(cn, ev->res->coll->type);
	with_spec = def && def->sensitivity == COSI_SENSITIVITY_PUBLIC;
	/* Where anyone may join the group, nothing of a sensitive type. */
	if (!with_spec && !COSI_MCGRP_PRIVILEGED)
		return;
	skb = genlmsg_new(cosi_event_msg_size(ev), GFP_KERNEL);
	if (!skb)
		return;
	if (cosi_event_put_msg(skb, 0, 0, COSI_CMD_RESOURCE_EVENT, 0,
			       ev->kind, ev, with_spec, 0)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast_netns(&cosi_nl_family, cn->net, skb, 0, 0,
				GFP_KERNEL);
}

/*
 * Deliver @ev to one watcher of its collection: a live one gets its copy
 * of @r's message (*@overflow when that fails, see cosi_watch_notify()),
 * one still in its dump queues it.
 */
static void cosi_watch_notify_one(struct cosi_net *cn, struct cosi_watcher *w,
				  struct cosi_render *r, bool *overflow)
{
	const struct cosi_event *ev = r->ev;
	struct sk_buff *skb;
	u8 kind;

	kind = cosi_filter_kind(w->id, w->query, ev);
	if (!kind || w->stop)
		return;
	switch (w->state) {
	case COSI_WATCH_LIVE:
		skb = cosi_render_copy(r, kind, w->watch_id);
		if (!skb || cosi_watch_deliver(cn, w, skb)) {
			w->stop = COSI_STOP_OVERFLOW;
			*overflow = true;
		}
		break;
	case COSI_WATCH_LISTING:
		/* The listing will show ids it has not reached. */
		if (!w->listed_all && strcmp(ev->res->id, w->pos) > 0)
			break;
		fallthrough;
	default:
		cosi_watch_enqueue(cn, w, ev, kind);
	}
}

/*
 * A live watcher of @coll that the change of @id (@bucket of the id
 * index, NULL if none, at @hash) stopped, or NULL.
 */
static struct cosi_watcher *cosi_watch_overflowed(struct cosi_coll *coll,
						  struct hlist_head *bucket,
						  u32 hash)
{
	struct cosi_watcher *w;
	struct cosi_id_node *n;

	list_for_each_entry(w, &coll->watchers, coll_node)
		if (w->state == COSI_WATCH_LIVE && w->stop)
			return w;
	if (!bucket)
		return NULL;
	hlist_for_each_entry(n, bucket, node) {
		w = container_of(n, struct cosi_watcher, id_node);
		if (n->hash == hash && w->coll == coll &&
		    w->state == COSI_WATCH_LIVE && w->stop)
			return w;
	}
	return NULL;
}

/**
 * cosi_watch_notify() - deliver a change to the watchers of its collection
 * @cn: the netns store, locked
 * @ev: the change
 *
 * Costs O(watchers of the change's namespace and type without an id
 * filter, plus those filtered on its id).  Each event kind is rendered
 * once, and each live watcher gets a copy.
 */
void cosi_watch_notify(struct cosi_net *cn, struct cosi_event *ev)
{
	struct cosi_coll *coll = ev->res->coll;
	struct cosi_render r = { .ev = ev };
	struct hlist_head *bucket = NULL;
	struct cosi_watcher *w;
	struct cosi_id_node *n;
	bool overflow = false;
	u32 hash = 0;

	lockdep_assert_held(&cn->lock);
	list_for_each_entry(w, &coll->watchers, coll_node)
		cosi_watch_notify_one(cn, w, &r, &overflow);
	if (coll->nr_id_watchers) {
		hash = cosi_id_hash(cn, coll, ev->res->id);
		bucket = cosi_id_bucket(&cn->id_watchers, hash);
		hlist_for_each_entry(n, bucket, node) {
			w = container_of(n, struct cosi_watcher, id_node);
			if (n->hash == hash && w->coll == coll)
				cosi_watch_notify_one(cn, w, &r, &overflow);
		}
	}
	cosi_render_free(&r);

	/* Stopping may free watchers of these lists: restart after each. */
	while (overflow && (w = cosi_watch_overflowed(coll, bucket, hash))) {
		struct cosi_sock *cs = w->sock;

		trace_cosi_watch_overflow(cn, cs, w->watch_id, ev->rev);
		cosi_sock_stop_watches(cn, cs, true);
		cosi_sock_trim(cn, cs);
	}

	cosi_watch_multicast(cn, ev);
	cosi_kwatch_notify(cn, ev);
}

/* The watch dump. */

static struct cosi_watcher *cosi_watch_alloc(struct netlink_callback *cb,
					     struct nlattr **tb)
{
	struct netlink_ext_ack *extack = cb->extack;
	struct cosi_watcher *w;
	long err;

	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&cosi_nr_objects);
	INIT_LIST_HEAD(&w->pending);
	INIT_LIST_HEAD(&w->coll_node);
	INIT_HLIST_NODE(&w->id_node.node);
	INIT_LIST_HEAD(&w->sock_node);
	w->query = cosi_parse_queries(COSI_A_RESOURCE_LABEL_QUERY, cb->nlh,
				      extack);
	if (IS_ERR(w->query)) {
		err = PTR_ERR(w->query);
		w->query = NULL;
		goto err;
	}
	if (tb[COSI_A_RESOURCE_ID]) {
		err = -EINVAL;
		if (!cosi_attr_name(tb[COSI_A_RESOURCE_ID], COSI_NAME_PRINTABLE,
				    "id", extack))
			goto err;
		err = -ENOMEM;
		w->id = kstrdup(nla_data(tb[COSI_A_RESOURCE_ID]),
				GFP_KERNEL_ACCOUNT);
		if (!w->id)
			goto err;
	}
	w->memcg = get_mem_cgroup_from_mm(current->mm);
	w->privileged = cosi_net_admin_noaudit(cb->skb,
					       sock_net(cb->skb->sk));
	return w;
err:
	kfree(w->query);
	kfree(w);
	atomic_long_dec(&cosi_nr_objects);
	return ERR_PTR(err);
}

/* Replay the history after @since into the pending queue. */
static void cosi_watch_replay(struct cosi_net *cn, struct cosi_watcher *w,
			      u64 since)
{
	u32 i, slot;
	u8 kind;

	for (i = 0; i < cn->hist_len; i++) {
		struct cosi_event *ev;

		slot = (cn->hist_head + cn->hist_size - cn->hist_len + i) %
		       cn->hist_size;
		ev = &cn->hist[slot];
		if (ev->rev <= since || ev->res->coll != w->coll)
			continue;
		kind = cosi_filter_kind(w->id, w->query, ev);
		if (kind)
			cosi_watch_enqueue(cn, w, ev, kind);
	}
}

static bool cosi_sock_has_watch(const struct cosi_sock *cs, u32 id)
{
	const struct cosi_watcher *w;

	list_for_each_entry(w, &cs->watchers, sock_node)
		if (w->watch_id == id)
			return true;
	return false;
}

static int cosi_watch_register(struct cosi_net *cn, struct cosi_watcher *w,
			       struct netlink_callback *cb, struct nlattr **tb)
{
	struct netlink_ext_ack *extack = cb->extack;
	struct nlattr *since = tb[COSI_A_RESOURCE_SINCE_REVISION];
	const char *ns = nla_data(tb[COSI_A_RESOURCE_NAMESPACE]);
	const char *type = nla_data(tb[COSI_A_RESOURCE_TYPE]);
	const struct cosi_def *def;
	struct cosi_sock *sk;

	lockdep_assert_held(&cn->lock);
	if (cn->nr_watchers >= READ_ONCE(cosi_max_watchers)) {
		NL_SET_ERR_MSG(extack, "too many watches in this netns");
		return -ENOSPC;
	}
	/* The rest of max_watchers stays for the netns's administrators. */
	if (!w->privileged &&
	    cn->nr_unpriv_watchers >= READ_ONCE(cosi_max_unpriv_watchers)) {
		NL_SET_ERR_MSG(extack,
			       "too many watches without CAP_NET_ADMIN in this netns");
		return -ENOSPC;
	}
	if (since && nla_get_u64(since) > cn->revision) {
		NL_SET_ERR_MSG_ATTR(extack, since, "revision is in the future");
		return -ERANGE;
	}
	if (since && nla_get_u64(since) < cn->hist_evicted) {
		NL_SET_ERR_MSG_ATTR(extack, since,
				    "revision is older than the event history");
		return -ENODATA;
	}
	def = cosi_def_find(cn, type);
	if (since && !w->privileged && def &&
	    nla_get_u64(since) < def->public_since) {
		NL_SET_ERR_MSG_ATTR(extack, since,
				    "revision is older than the type's being public");
		return -ENODATA;
	}
	sk = cosi_sock_get(cn, cb->skb);
	if (!sk)
		return -ENOMEM;
	if (sk->nr_watchers >= READ_ONCE(cosi_max_socket_watchers)) {
		NL_SET_ERR_MSG(extack, "too many watches on this socket");
		cosi_sock_trim(cn, sk);
		return -ENOSPC;
	}
	w->coll = cosi_coll_get(cn, ns, type);
	if (!w->coll) {
		cosi_sock_trim(cn, sk);
		return -ENOMEM;
	}

	/*
	 * Per netns, so that a trimmed socket entry repeats no id; after a
	 * wrap, none of a watch the socket still has.
	 */
	do {
		w->watch_id = ++cn->next_watch_id;
	} while (!w->watch_id || cosi_sock_has_watch(sk, w->watch_id));
	if (w->id) {
		if (cosi_id_index_add(&cn->id_watchers, &w->id_node,
				      cosi_id_hash(cn, w->coll, w->id))) {
			cosi_coll_put(cn, w->coll);
			cosi_sock_trim(cn, sk);
			return -ENOMEM;
		}
		w->coll->nr_id_watchers++;
	} else {
		list_add_tail(&w->coll_node, &w->coll->watchers);
	}
	w->sock = sk;
	refcount_inc(&sk->ref);		/* the dump's, until done */
	list_add_tail(&w->sock_node, &sk->watchers);
	sk->nr_watchers++;
	cn->nr_watchers++;
	if (!w->privileged)
		cn->nr_unpriv_watchers++;

	if (nla_get_flag(tb[COSI_A_RESOURCE_BOOTSTRAP])) {
		w->state = COSI_WATCH_LISTING;
	} else {
		w->state = COSI_WATCH_CATCHUP;
		w->listed_all = true;
		if (since)
			cosi_watch_replay(cn, w, nla_get_u64(since));
	}
	trace_cosi_watch_resync(cn, w, w->state == COSI_WATCH_LISTING, since,
				since ? nla_get_u64(since) : 0);
	return 0;
}

int cosi_watch_start(struct netlink_callback *cb)
{
	struct netlink_ext_ack *extack = cb->extack;
	struct nlattr **tb = cosi_dump_attrs(cb);
	struct cosi_net *cn = cosi_pernet(sock_net(cb->skb->sk));
	struct cosi_watcher *w;
	int err;

	err = cosi_dump_check_key(tb, extack);
	if (err)
		return err;
	if (tb[COSI_A_RESOURCE_BOOTSTRAP] && tb[COSI_A_RESOURCE_SINCE_REVISION]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[COSI_A_RESOURCE_SINCE_REVISION],
				    "bootstrap and since-revision are exclusive");
		return -EINVAL;
	}
	w = cosi_watch_alloc(cb, tb);
	if (IS_ERR(w))
		return PTR_ERR(w);

	cosi_net_lock(cn);
	err = cosi_check_readable(cn, cb->skb, tb[COSI_A_RESOURCE_TYPE], extack);
	if (!err)
		err = cosi_watch_register(cn, w, cb, tb);
	mutex_unlock(&cn->lock);
	if (err) {
		/* Not registered: nothing else refers to it. */
		kfree(w->query);
		kfree(w->id);
		mem_cgroup_put(w->memcg);
		kfree(w);
		atomic_long_dec(&cosi_nr_objects);
		return err;
	}

	/* Every dump skb must have room for the largest resource. */
	cb->min_dump_alloc = COSI_DUMP_ALLOC;
	cb->args[0] = (long)w;
	return 0;
}

static int cosi_watch_put(struct sk_buff *skb, struct netlink_callback *cb,
			  struct cosi_watcher *w, const struct cosi_event *ev,
			  u8 kind)
{
	return cosi_event_put_msg(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, COSI_CMD_WATCH,
				  w->watch_id, kind, ev, true, NLM_F_MULTI);
}

/*
 * One step of the bootstrap listing: 0 when it is done, -EMSGSIZE when
 * the skb is full, -ECANCELED when the watch stopped meanwhile.
 *
 * The listing drops cosi_net::lock every COSI_SCAN_BATCH resources
 * (cosi_scan_yield()), so writers wait for a piece of it, not for all of
 * it.  What keeps that consistent:
 *  - w->pos, the last id examined, is written after each resource and so
 *    is exact at every unlock.  cosi_watch_notify() queues a change of an
 *    id at or before pos (the listing has shown or skipped the resource;
 *    the client must see the change after it) and skips one after pos
 *    (the listing will show the resource as it is when it gets there, or
 *    not at all once destroyed).  The queue is sent only after the
 *    listing, so the client sees the listing, then the changes.
 *  - The listing resumes from w->pos with a fresh lookup: no resource
 *    pointer is kept across the unlock.  w->coll is the watcher's
 *    reference and outlives it; the watcher itself is freed only by
 *    cosi_watch_done() (after the dump) or at netns exit (no dump runs).
 *  - A watcher stopped meanwhile (overflow, watch-stop, its socket, its
 *    type turned sensitive) keeps its state, with w->stop set: the
 *    listing ends and the dump reports the stop.
 */
static int cosi_watch_list(struct cosi_net *cn, struct sk_buff *skb,
			   struct netlink_callback *cb, struct cosi_watcher *w)
{
	struct cosi_res *res = NULL;
	unsigned int n = 0;
	int err;

	for (;;) {
		if (w->id) {
			res = w->pos[0] ? NULL : cosi_res_find(cn, w->coll, w->id);
		} else if (res && n < COSI_SCAN_BATCH) {
			res = cosi_coll_succ(res);	/* still locked */
		} else {
			if (res) {
				cosi_scan_yield(cn);
				n = 0;
				if (w->stop)
					return -ECANCELED;
			}
			res = cosi_coll_next(w->coll, w->pos, false);
		}
		if (!res)
			break;
		n++;
		if (cosi_queries_match(w->query, res->labels, res->n_labels)) {
			struct cosi_event ev = {
				.rev = res->revision,
				.kind = COSI_EVENT_KIND_CREATED,
				.res = res,
			};

			err = cosi_watch_put(skb, cb, w, &ev, ev.kind);
			if (err)
				return err;
		}
		strscpy(w->pos, res->id, sizeof(w->pos));
	}
	w->listed_all = true;
	w->state = COSI_WATCH_CATCHUP;
	return 0;
}

static int cosi_watch_catchup(struct cosi_net *cn, struct sk_buff *skb,
			      struct netlink_callback *cb,
			      struct cosi_watcher *w)
{
	struct cosi_pending *p, *tmp;
	struct cosi_event marker = { .kind = COSI_EVENT_KIND_BOOTSTRAPPED };
	int err;

	list_for_each_entry_safe(p, tmp, &w->pending, node) {
		err = cosi_watch_put(skb, cb, w, &p->ev, p->ev.kind);
		if (err)
			return err;
		cosi_pending_pop(cn, w, p);
	}
	marker.rev = cn->revision;
	err = cosi_event_put_msg(skb, NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq, COSI_CMD_WATCH,
				 w->watch_id, marker.kind, &marker, false,
				 NLM_F_MULTI);
	if (err)
		return err;
	w->marker_rev = marker.rev;
	w->state = COSI_WATCH_MARKED;
	return 0;
}

/* The dump's error for a watch that stopped, 0 if it did not. */
static int cosi_watch_stop_err(struct netlink_callback *cb,
			       const struct cosi_watcher *w)
{
	switch (w->stop) {
	case COSI_STOP_NONE:
		return 0;
	case COSI_STOP_REQUEST:
		NL_SET_ERR_MSG(cb->extack, "watch stopped by watch-stop");
		return -ECANCELED;
	case COSI_STOP_SOCKET:
		NL_SET_ERR_MSG(cb->extack,
			       "watch stopped with every watch of its socket (receive buffer overflow, or a type became sensitive)");
		return -ENOBUFS;
	case COSI_STOP_ACCESS:
		NL_SET_ERR_MSG(cb->extack,
			       "watch stopped: its type became sensitive, which needs CAP_NET_ADMIN");
		return -EPERM;
	default:
		NL_SET_ERR_MSG(cb->extack,
			       "watch stopped: too many events while starting");
		return -ENOBUFS;
	}
}

int cosi_watch_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct cosi_net *cn = cosi_pernet(sock_net(cb->skb->sk));
	struct cosi_watcher *w = (struct cosi_watcher *)cb->args[0];
	int err;

	cosi_net_lock(cn);
	err = cosi_watch_stop_err(cb, w);
	if (err)
		goto out;
	if (w->state == COSI_WATCH_LISTING)
		err = cosi_watch_list(cn, skb, cb, w);
	if (err == -ECANCELED) {
		/* Stopped while the listing let writers in. */
		err = cosi_watch_stop_err(cb, w);
		goto out;
	}
	if (!err && w->state == COSI_WATCH_CATCHUP)
		err = cosi_watch_catchup(cn, skb, cb, w);
	if (err == -EMSGSIZE)
		err = cosi_dump_progress(skb, cb, true);
	else if (!err && w->state == COSI_WATCH_MARKED)
		err = skb->len;	/* a last skb, then 0 ends the dump */
	if (!err)
		w->dump_ended = true;	/* a stop now is for done to report */
out:
	mutex_unlock(&cn->lock);
	return err;
}

int cosi_watch_done(struct netlink_callback *cb)
{
	struct cosi_net *cn = cosi_pernet(sock_net(cb->skb->sk));
	struct cosi_watcher *w = (struct cosi_watcher *)cb->args[0];
	struct cosi_sock *sk = w->sock;
	struct cosi_pending *p, *tmp;
	bool released;

	cosi_net_lock(cn);
	if (w->state != COSI_WATCH_MARKED || w->stop || sk->released) {
		/*
		 * The dump ended early (its error, or the socket closed), or
		 * it ended well and the watch stopped since: only then, and
		 * unless the client asked or was told already, tell it.
		 */
		bool report = w->dump_ended &&
			      (w->stop == COSI_STOP_OVERFLOW ||
			       w->stop == COSI_STOP_ACCESS);

		cosi_watcher_free(cn, w);
		/* ENOBUFS means every watch of the socket stopped. */
		if (report)
			cosi_sock_stop_watches(cn, sk, true);
		goto out;
	}
	/* Events after the marker, then live. */
	list_for_each_entry_safe(p, tmp, &w->pending, node) {
		if (cosi_watch_send(cn, w, &p->ev, p->ev.kind)) {
			trace_cosi_watch_overflow(cn, sk, w->watch_id, p->ev.rev);
			cosi_watcher_free(cn, w);
			cosi_sock_stop_watches(cn, sk, true);
			goto out;
		}
		cosi_pending_pop(cn, w, p);
	}
	w->state = COSI_WATCH_LIVE;
out:
	released = sk->released;
	cosi_sock_put(cn, sk);		/* the dump's */
	if (!released)
		cosi_sock_trim(cn, sk);
	mutex_unlock(&cn->lock);
	return 0;
}

int cosi_watch_stop_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct cosi_watcher *w;
	struct cosi_sock *sk;
	u32 id;
	int err = -ENOENT;

	if (cosi_attr_missing(info->extack, NULL, info->attrs,
			      COSI_A_RESOURCE_WATCH_ID, "missing attribute: watch-id"))
		return -EINVAL;
	id = nla_get_u32(info->attrs[COSI_A_RESOURCE_WATCH_ID]);

	cosi_net_lock(cn);
	sk = cosi_sock_of(cn, skb);
	if (sk) {
		list_for_each_entry(w, &sk->watchers, sock_node) {
			if (w->watch_id != id)
				continue;
			cosi_watcher_stop(cn, w, COSI_STOP_REQUEST);
			err = 0;
			break;
		}
		cosi_sock_trim(cn, sk);
	}
	mutex_unlock(&cn->lock);
	if (err)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[COSI_A_RESOURCE_WATCH_ID],
				    "no such watch on this socket");
	return err;
}
