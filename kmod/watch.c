// SPDX-License-Identifier: GPL-2.0
/*
 * Watches and per-socket state (owner claims).
 *
 * A watch is started by a dump (bootstrap listing and/or history replay,
 * then a bootstrapped marker) and goes live when the dump ends.  While the
 * dump runs, the watcher is on its collection's list so that writers queue
 * the events it must still see on watcher->pending; events for ids the
 * bootstrap listing has not reached yet are skipped, since the listing
 * will show their latest state.  Live events are queued to the socket
 * without blocking; when that fails the socket has overflowed (netlink
 * reports ENOBUFS to it) and all of its watches stop.
 *
 * Everything here runs under cosi_net::lock.
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "cosi.h"
#include "cosi_trace.h"
#include "genl.h"

/* Sockets. */

struct cosi_sock *cosi_sock_find(struct cosi_net *cn, u32 portid)
{
	struct cosi_sock *sk;

	lockdep_assert_held(&cn->lock);
	hash_for_each_possible(cn->socks, sk, node, portid)
		if (sk->portid == portid)
			return sk;
	return NULL;
}

struct cosi_sock *cosi_sock_get(struct cosi_net *cn, u32 portid)
{
	struct cosi_sock *sk = cosi_sock_find(cn, portid);

	if (sk)
		return sk;
	sk = kzalloc(sizeof(*sk), GFP_KERNEL_ACCOUNT);
	if (!sk)
		return NULL;
	atomic_long_inc(&cosi_nr_objects);
	sk->portid = portid;
	INIT_LIST_HEAD(&sk->watchers);
	refcount_set(&sk->ref, 1);	/* the table's */
	hash_add(cn->socks, &sk->node, portid);
	return sk;
}

void cosi_sock_put(struct cosi_net *cn, struct cosi_sock *sk)
{
	if (refcount_dec_and_test(&sk->ref)) {
		WARN_ON(!list_empty(&sk->watchers));
		kfree(sk);
		atomic_long_dec(&cosi_nr_objects);
	}
}

/* Watchers. */

static void cosi_pending_flush(struct cosi_net *cn, struct cosi_watcher *w)
{
	struct cosi_pending *p, *tmp;

	list_for_each_entry_safe(p, tmp, &w->pending, node) {
		list_del(&p->node);
		cosi_event_put(cn, &p->ev);
		kfree(p);
	}
	w->nr_pending = 0;
}

static void cosi_watcher_free(struct cosi_net *cn, struct cosi_watcher *w)
{
	struct cosi_coll *coll = w->coll;

	cosi_pending_flush(cn, w);
	list_del(&w->coll_node);
	list_del(&w->sock_node);
	w->sock->nr_watchers--;
	cn->nr_watchers--;
	kfree(w->query);
	kfree(w->id);
	kfree(w);
	atomic_long_dec(&cosi_nr_objects);
	cosi_coll_put(cn, coll);	/* the watcher's */
}

/*
 * Stop every watch of an overflowed (or closed) socket: live ones are
 * freed, ones still in their dump fail it.
 */
static void cosi_sock_stop_watches(struct cosi_net *cn, struct cosi_sock *sk)
{
	struct cosi_watcher *w, *tmp;

	list_for_each_entry_safe(w, tmp, &sk->watchers, sock_node) {
		if (w->state == COSI_WATCH_LIVE)
			cosi_watcher_free(cn, w);
		else
			w->failed = true;
	}
}

void cosi_sock_release(struct cosi_net *cn, u32 portid)
{
	struct cosi_sock *sk;

	mutex_lock(&cn->lock);
	sk = cosi_sock_find(cn, portid);
	if (sk) {
		sk->released = true;
		sk->owner[0] = '\0';
		cosi_sock_stop_watches(cn, sk);
		hash_del(&sk->node);
		cosi_sock_put(cn, sk);
	}
	mutex_unlock(&cn->lock);
}

void cosi_watch_free_all(struct cosi_net *cn)
{
	struct cosi_watcher *w, *wtmp;
	struct hlist_node *tmp;
	struct cosi_sock *sk;
	int bkt;

	lockdep_assert_held(&cn->lock);
	hash_for_each_safe(cn->socks, bkt, tmp, sk, node) {
		list_for_each_entry_safe(w, wtmp, &sk->watchers, sock_node)
			cosi_watcher_free(cn, w);
		hash_del(&sk->node);
		cosi_sock_put(cn, sk);
	}
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
	struct cosi_pending *p;

	if (w->failed)
		return;
	if (w->nr_pending >= cn->hist_size) {
		w->failed = true;
		return;
	}
	p = kmalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		w->failed = true;
		return;
	}
	p->ev = *ev;
	p->ev.kind = kind;
	cosi_event_get(&p->ev);
	list_add_tail(&p->node, &w->pending);
	w->nr_pending++;
}

/* Queue one event to a live watcher's socket, without blocking. */
static int cosi_watch_send(struct cosi_net *cn, struct cosi_watcher *w,
			   const struct cosi_event *ev, u8 kind)
{
	struct sk_buff *skb;
	int err;

	skb = genlmsg_new(cosi_event_msg_size(ev), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	err = cosi_event_put_msg(skb, 0, 0, COSI_CMD_RESOURCE_EVENT,
				 w->watch_id, kind, ev, true, 0);
	if (err) {
		nlmsg_free(skb);
		return err;
	}
	return genlmsg_unicast(cn->net, skb, w->sock->portid);
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

/**
 * cosi_watch_notify() - deliver a change to the watchers of its collection
 * @cn: the netns store, locked
 * @ev: the change
 *
 * Costs O(watchers of the change's namespace and type).
 */
void cosi_watch_notify(struct cosi_net *cn, struct cosi_event *ev)
{
	struct cosi_coll *coll = ev->res->coll;
	struct cosi_watcher *w;
	bool overflow = false;
	u8 kind;

	lockdep_assert_held(&cn->lock);
	list_for_each_entry(w, &coll->watchers, coll_node) {
		kind = cosi_filter_kind(w->id, w->query, ev);
		if (!kind || w->failed)
			continue;
		switch (w->state) {
		case COSI_WATCH_LIVE:
			if (cosi_watch_send(cn, w, ev, kind)) {
				w->failed = true;
				overflow = true;
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

	/* Stopping may free watchers of this list: restart after each. */
	while (overflow) {
		overflow = false;
		list_for_each_entry(w, &coll->watchers, coll_node) {
			if (w->state == COSI_WATCH_LIVE && w->failed) {
				trace_cosi_watch_overflow(cn, w->sock, w->watch_id,
							  ev->rev);
				cosi_sock_stop_watches(cn, w->sock);
				overflow = true;
				break;
			}
		}
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

static int cosi_watch_register(struct cosi_net *cn, struct cosi_watcher *w,
			       struct netlink_callback *cb, struct nlattr **tb)
{
	struct netlink_ext_ack *extack = cb->extack;
	struct nlattr *since = tb[COSI_A_RESOURCE_SINCE_REVISION];
	u32 portid = NETLINK_CB(cb->skb).portid;
	const char *ns = nla_data(tb[COSI_A_RESOURCE_NAMESPACE]);
	const char *type = nla_data(tb[COSI_A_RESOURCE_TYPE]);
	struct cosi_sock *sk;

	lockdep_assert_held(&cn->lock);
	if (cn->nr_watchers >= READ_ONCE(cosi_max_watchers)) {
		NL_SET_ERR_MSG(extack, "too many watches in this netns");
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
	sk = cosi_sock_get(cn, portid);
	if (!sk)
		return -ENOMEM;
	if (sk->nr_watchers >= READ_ONCE(cosi_max_socket_watchers)) {
		NL_SET_ERR_MSG(extack, "too many watches on this socket");
		return -ENOSPC;
	}
	w->coll = cosi_coll_get(cn, ns, type);
	if (!w->coll)
		return -ENOMEM;

	w->sock = sk;
	refcount_inc(&sk->ref);		/* the dump's, until done */
	list_add_tail(&w->coll_node, &w->coll->watchers);
	list_add_tail(&w->sock_node, &sk->watchers);
	sk->nr_watchers++;
	cn->nr_watchers++;
	do {
		w->watch_id = ++sk->next_watch_id;
	} while (!w->watch_id);

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

	mutex_lock(&cn->lock);
	err = cosi_check_readable(cn, cb->skb, tb[COSI_A_RESOURCE_TYPE], extack);
	if (!err)
		err = cosi_watch_register(cn, w, cb, tb);
	mutex_unlock(&cn->lock);
	if (err) {
		/* Not registered: nothing else refers to it. */
		kfree(w->query);
		kfree(w->id);
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

/* One step of the bootstrap listing: -EMSGSIZE when the skb is full. */
static int cosi_watch_list(struct cosi_net *cn, struct sk_buff *skb,
			   struct netlink_callback *cb, struct cosi_watcher *w)
{
	struct cosi_res *res = NULL;
	int err;

	for (;;) {
		if (w->id)
			res = w->pos[0] ? NULL : cosi_res_find(cn, w->coll, w->id);
		else if (res)
			res = cosi_coll_succ(res);	/* still locked */
		else
			res = cosi_coll_next(w->coll, w->pos, false);
		if (!res)
			break;
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
		list_del(&p->node);
		w->nr_pending--;
		cosi_event_put(cn, &p->ev);
		kfree(p);
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

int cosi_watch_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct cosi_net *cn = cosi_pernet(sock_net(cb->skb->sk));
	struct cosi_watcher *w = (struct cosi_watcher *)cb->args[0];
	int err = 0;

	mutex_lock(&cn->lock);
	if (w->failed) {
		NL_SET_ERR_MSG(cb->extack,
			       "watch stopped: too many events while starting");
		err = -ENOBUFS;
		goto out;
	}
	if (w->state == COSI_WATCH_LISTING)
		err = cosi_watch_list(cn, skb, cb, w);
	if (!err && w->state == COSI_WATCH_CATCHUP)
		err = cosi_watch_catchup(cn, skb, cb, w);
	if (err == -EMSGSIZE)
		err = cosi_dump_progress(skb, cb, true);
	else if (!err && w->state == COSI_WATCH_MARKED)
		err = skb->len;	/* a last skb, then 0 ends the dump */
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

	mutex_lock(&cn->lock);
	if (w->state != COSI_WATCH_MARKED || w->failed || sk->released) {
		cosi_watcher_free(cn, w);
		goto out;
	}
	/* Events after the marker, then live. */
	list_for_each_entry_safe(p, tmp, &w->pending, node) {
		if (cosi_watch_send(cn, w, &p->ev, p->ev.kind)) {
			trace_cosi_watch_overflow(cn, sk, w->watch_id, p->ev.rev);
			cosi_watcher_free(cn, w);
			cosi_sock_stop_watches(cn, sk);
			goto out;
		}
		list_del(&p->node);
		w->nr_pending--;
		cosi_event_put(cn, &p->ev);
		kfree(p);
	}
	w->state = COSI_WATCH_LIVE;
out:
	cosi_sock_put(cn, sk);
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

	mutex_lock(&cn->lock);
	sk = cosi_sock_find(cn, info->snd_portid);
	if (sk) {
		list_for_each_entry(w, &sk->watchers, sock_node) {
			if (w->watch_id != id)
				continue;
			if (w->state == COSI_WATCH_LIVE)
				cosi_watcher_free(cn, w);
			else
				w->failed = true;
			err = 0;
			break;
		}
	}
	mutex_unlock(&cn->lock);
	if (err)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[COSI_A_RESOURCE_WATCH_ID],
				    "no such watch on this socket");
	return err;
}

int cosi_owner_claim_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct nlattr *attr = info->attrs[COSI_A_RESOURCE_OWNER];
	struct cosi_sock *sk, *other;
	const char *owner;
	int bkt, err = 0;

	if (cosi_attr_missing(info->extack, NULL, info->attrs,
			      COSI_A_RESOURCE_OWNER, "missing attribute: owner"))
		return -EINVAL;
	owner = cosi_attr_name(attr, COSI_NAME_PRINTABLE, "owner", info->extack);
	if (!owner)
		return -EINVAL;

	mutex_lock(&cn->lock);
	hash_for_each(cn->socks, bkt, other, node) {
		if (other->portid != info->snd_portid &&
		    !strcmp(other->owner, owner)) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "owner is claimed by another socket");
			err = -EBUSY;
			goto out;
		}
	}
	sk = cosi_sock_get(cn, info->snd_portid);
	if (!sk) {
		err = -ENOMEM;
	} else if (sk->owner[0] && strcmp(sk->owner, owner)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "socket already claimed another owner");
		err = -EBUSY;
	} else {
		strscpy(sk->owner, owner, sizeof(sk->owner));
	}
out:
	mutex_unlock(&cn->lock);
	return err;
}
