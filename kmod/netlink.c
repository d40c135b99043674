// SPDX-License-Identifier: GPL-2.0
/*
 * The cosi generic netlink family: request handlers for resources and
 * definitions.  Watches are in watch.c, owner claims in sock.c.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "cosi.h"
#include "genl.h"
#include "cosi_trace.h"

bool cosi_may_read(const struct sk_buff *skb, struct net *net,
		   const struct cosi_def *def)
{
	return def->sensitivity == COSI_SENSITIVITY_PUBLIC ||
	       netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN);
}

/*
 * Whether the sender of @skb holds @cap in @ns, as netlink_ns_capable()
 * decides it (the socket opener's and the sender's credentials), but
 * without an audit record: recording writer-caps is not an access check.
 */
static bool cosi_sender_capable_noaudit(const struct sk_buff *skb,
					struct user_namespace *ns, int cap)
{
	const struct sock *sk = NETLINK_CB(skb).sk;

	return sk && sk->sk_socket && sk->sk_socket->file &&
	       file_ns_capable(sk->sk_socket->file, ns, cap) &&
	       ns_capable_noaudit(ns, cap);
}

/*
 * Whether the sender of @skb holds CAP_NET_ADMIN over @net, without an
 * audit record: for what is recorded or counted, not for access checks.
 */
bool cosi_net_admin_noaudit(const struct sk_buff *skb, const struct net *net)
{
	return cosi_sender_capable_noaudit(skb, net->user_ns, CAP_NET_ADMIN);
}

/* What the sender of @skb holds (COSI_WRITER_CAPS_*), for writer-caps. */
u32 cosi_writer_caps(const struct sk_buff *skb, const struct net *net)
{
	u32 caps = 0;

	if (cosi_net_admin_noaudit(skb, net))
		caps |= COSI_WRITER_CAPS_NET_ADMIN;
	if (cosi_sender_capable_noaudit(skb, &init_user_ns, CAP_SYS_ADMIN))
		caps |= COSI_WRITER_CAPS_SYS_ADMIN;
	return caps;
}

/*
 * Whether the sender of @skb may write resources of @def, or set or delete
 * @def: a sys-admin type needs CAP_SYS_ADMIN in the initial user namespace
 * on top of the CAP_NET_ADMIN every write op needs.  @attr: what the extack
 * points at.  Caller holds cosi_net::lock (or RCU) over @def.
 */
int cosi_check_write_access(const struct sk_buff *skb,
			    const struct cosi_def *def,
			    const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	if (def->write_access != COSI_WRITE_ACCESS_SYS_ADMIN ||
	    netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	cosi_err_named(extack, attr, "writing this type needs CAP_SYS_ADMIN",
		       def->type);
	return -EPERM;
}

size_t cosi_event_msg_size(const struct cosi_event *ev)
{
	size_t size = 3 * nla_total_size(sizeof(u32)) +
		      nla_total_size_64bit(sizeof(u64));

	if (ev->res)
		size += ev->res->msg_size;
	if (ev->old)
		size += ev->old->labels_size;
	return size;
}

/**
 * cosi_event_put_msg() - put one event message
 * @skb: message buffer
 * @portid: destination port, for the header
 * @seq: sequence number, for the header
 * @cmd: COSI_CMD_WATCH (dump) or COSI_CMD_RESOURCE_EVENT (live)
 * @watch_id: the watch, 0 for multicast
 * @kind: the event kind, after the watch's filter
 * @ev: the event; no resource for a bootstrapped marker
 * @with_spec: whether to include the spec
 * @flags: netlink message flags
 *
 * Caller holds cosi_net::lock.
 *
 * Return: 0, or -EMSGSIZE with the skb unchanged.
 */
int cosi_event_put_msg(struct sk_buff *skb, u32 portid, u32 seq, u8 cmd,
		       u32 watch_id, u8 kind, const struct cosi_event *ev,
		       bool with_spec, int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &cosi_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if ((watch_id && nla_put_u32(skb, COSI_A_RESOURCE_WATCH_ID, watch_id)) ||
	    nla_put_u32(skb, COSI_A_RESOURCE_EVENT, kind))
		goto cancel;
	if (ev->res) {
		if (cosi_res_fill(skb, ev->res, ev->rev, COSI_FILL_FULL |
				  (with_spec ? COSI_FILL_SPEC : 0)))
			goto cancel;
		if (kind == COSI_EVENT_KIND_UPDATED && ev->old &&
		    cosi_put_labels(skb, COSI_A_RESOURCE_OLD_LABELS, ev->old))
			goto cancel;
	} else if (nla_put_u64_64bit(skb, COSI_A_RESOURCE_REVISION, ev->rev,
				     COSI_A_RESOURCE_PAD)) {
		goto cancel;
	}
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * Whether the requester may read resources of @type: it must be defined,
 * and a sensitive one needs CAP_NET_ADMIN.  Caller holds the lock or RCU.
 */
int cosi_check_readable(struct cosi_net *cn, const struct sk_buff *skb,
			const struct nlattr *type,
			struct netlink_ext_ack *extack)
{
	const struct cosi_def *def = cosi_def_find(cn, nla_data(type));

	if (!def) {
		NL_SET_ERR_MSG_ATTR(extack, type, "type is not defined");
		return -ENOENT;
	}
	if (!cosi_may_read(skb, cn->net, def)) {
		NL_SET_ERR_MSG_ATTR(extack, type,
				    "sensitive type needs CAP_NET_ADMIN");
		return -EPERM;
	}
	return 0;
}

/* A dump request's namespace and type: present and well-formed. */
int cosi_dump_check_key(struct nlattr **tb, struct netlink_ext_ack *extack)
{
	if (cosi_attr_missing(extack, NULL, tb, COSI_A_RESOURCE_NAMESPACE,
			      "missing attribute: namespace") ||
	    cosi_attr_missing(extack, NULL, tb, COSI_A_RESOURCE_TYPE,
			      "missing attribute: type"))
		return -EINVAL;
	if (!cosi_attr_name(tb[COSI_A_RESOURCE_NAMESPACE], COSI_NAME_DNS,
			    "namespace", extack) ||
	    !cosi_attr_name(tb[COSI_A_RESOURCE_TYPE], COSI_NAME_DNS, "type",
			    extack))
		return -EINVAL;
	return 0;
}

/*
 * What a dumpit returns when it stops: the skb's length, or an explicit
 * error when @full and not even one message fitted an empty skb (which
 * would otherwise end the dump as if it were complete).
 */
int cosi_dump_progress(struct sk_buff *skb, struct netlink_callback *cb,
		       bool full)
{
	if (full && !skb->len) {
		NL_SET_ERR_MSG(cb->extack, "message too large for the dump buffer");
		return -EMSGSIZE;
	}
	return skb->len;
}

/* A request's resource key, validated. */
struct cosi_key {
	const char *ns;
	const char *type;
	const char *id;
};

static int cosi_parse_key(struct genl_info *info, struct cosi_key *k,
			  bool need_id)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **tb = info->attrs;

	if (cosi_attr_missing(info->extack, NULL, info->attrs,
			      COSI_A_RESOURCE_NAMESPACE, "missing attribute: namespace") ||
	    cosi_attr_missing(info->extack, NULL, info->attrs,
			      COSI_A_RESOURCE_TYPE, "missing attribute: type") ||
	    (need_id && cosi_attr_missing(info->extack, NULL, info->attrs,
					  COSI_A_RESOURCE_ID, "missing attribute: id")))
		return -EINVAL;
	k->ns = cosi_attr_name(tb[COSI_A_RESOURCE_NAMESPACE], COSI_NAME_DNS,
			       "namespace", extack);
	k->type = cosi_attr_name(tb[COSI_A_RESOURCE_TYPE], COSI_NAME_DNS,
				 "type", extack);
	if (!k->ns || !k->type)
		return -EINVAL;
	k->id = NULL;
	if (need_id) {
		k->id = cosi_attr_name(tb[COSI_A_RESOURCE_ID],
				       COSI_NAME_PRINTABLE, "id", extack);
		if (!k->id)
			return -EINVAL;
	}
	return 0;
}

static struct cosi_def *cosi_key_def(struct cosi_net *cn,
				     struct genl_info *info,
				     const struct cosi_key *k)
{
	struct cosi_def *def = cosi_def_find(cn, k->type);

	if (!def)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[COSI_A_RESOURCE_TYPE],
				    "type is not defined");
	return def;
}

/* The current version of a resource, under cosi_net::lock. */
static struct cosi_res *cosi_key_res(struct cosi_net *cn,
				     struct genl_info *info,
				     const struct cosi_key *k, int *err)
{
	struct cosi_coll *coll;
	struct cosi_res *res = NULL;

	*err = -ENOENT;
	if (!cosi_key_def(cn, info, k))
		return NULL;
	coll = cosi_coll_find(cn, k->ns, k->type);
	if (coll)
		res = cosi_res_find(cn, coll, k->id);
	if (!res) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[COSI_A_RESOURCE_ID],
				    "resource not found");
		return NULL;
	}
	*err = 0;
	return res;
}

/* The owner a request's socket acts as: its claim, or "" for a user. */
static const char *cosi_sock_owner(struct cosi_net *cn,
				   const struct sk_buff *skb)
{
	struct cosi_sock *sk = cosi_sock_of(cn, skb);

	return sk ? sk->owner : "";
}

static int cosi_check_owner(struct cosi_net *cn, const struct sk_buff *skb,
			    struct genl_info *info, const struct cosi_res *res)
{
	if (!strcmp(res->owner, cosi_sock_owner(cn, skb)))
		return 0;
	if (res->owner[0])
		cosi_err_named(info->extack, NULL, "resource is owned by",
			       res->owner);
	else
		NL_SET_ERR_MSG(info->extack,
			       "resource is not owned by this controller");
	return -EACCES;
}

static int cosi_check_version(struct genl_info *info,
			      const struct cosi_res *res)
{
	struct nlattr *attr = info->attrs[COSI_A_RESOURCE_EXPECTED_VERSION];

	if (attr && nla_get_u64(attr) != res->version) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "version mismatch");
		return -ESTALE;
	}
	return 0;
}

static void *cosi_reply_put(struct sk_buff *msg, struct genl_info *info)
{
	return genlmsg_put_reply(msg, info, &cosi_nl_family, 0,
				 info->genlhdr->cmd);
}

/*
 * The resource a write targets, after its preconditions: the type's
 * write-access (before the lookup: no existence leaks to those who may
 * not write); a version whose spec a CAP_SYS_ADMIN writer set is written
 * (updated, torn down, destroyed, its finalizers changed) only by such a
 * writer, since controllers act on it with that writer's rights, undoing
 * included; expected-version and, for writes reserved to the owner, the
 * owner.  Under the lock.
 */
static struct cosi_res *cosi_key_res_checked(struct cosi_net *cn,
					     const struct sk_buff *skb,
					     struct genl_info *info,
					     const struct cosi_key *k,
					     bool owner_only, int *err)
{
	struct cosi_def *def = cosi_key_def(cn, info, k);
	struct cosi_res *res;

	*err = def ? cosi_check_write_access(skb, def,
					     info->attrs[COSI_A_RESOURCE_TYPE],
					     info->extack) : -ENOENT;
	if (*err)
		return NULL;
	res = cosi_key_res(cn, info, k, err);
	if (!res)
		return NULL;
	if ((res->writer_caps & COSI_WRITER_CAPS_SYS_ADMIN) &&
	    !netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[COSI_A_RESOURCE_ID],
				    "resource was written with CAP_SYS_ADMIN: changing it needs it too");
		*err = -EPERM;
		return NULL;
	}
	*err = owner_only ? cosi_check_owner(cn, skb, info, res) : 0;
	if (!*err)
		*err = cosi_check_version(info, res);
	return *err ? NULL : res;
}

/* Reply with a resource version (not followed via ->coll). */
static int cosi_reply_res(struct genl_info *info, const struct cosi_key *k,
			  const struct cosi_res *res, int ready)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(res->msg_size + nla_total_size(sizeof(u8)),
			  GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = cosi_reply_put(msg, info);
	if (!hdr ||
	    cosi_res_fill_key(msg, k->ns, k->type, res, res->revision,
			      COSI_FILL_FULL | COSI_FILL_SPEC) ||
	    (ready >= 0 && nla_put_u8(msg, COSI_A_RESOURCE_DESTROY_READY, ready))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Publish @res as the next version of @old, or as a new resource when @old
 * is NULL.  On error @res is still the caller's.
 */
/* A new version from @p, or an ERR_PTR() with the extack set. */
static struct cosi_res *cosi_res_new(struct genl_info *info,
				     struct cosi_coll *coll,
				     const struct cosi_res_parts *p,
				     const struct cosi_res *old)
{
	struct cosi_res *res = cosi_res_build(coll, p, old);

	if (res == ERR_PTR(-E2BIG))
		NL_SET_ERR_MSG(info->extack,
			       "resource too large for one message");
	return res;
}

static int cosi_publish(struct cosi_net *cn, struct genl_info *info,
			struct cosi_res *res, struct cosi_res *old)
{
	lockdep_assert_held(&cn->lock);
	res->revision = cn->revision + 1;
	res->updated = ktime_get_real_ns();
	if (!old) {
		res->version = 1;
		res->created = res->updated;
		return cosi_store_insert(cn, res);
	}
	res->version = old->version + 1;
	res->created = old->created;
	cosi_store_replace(cn, old, res);
	return 0;
}

/*
 * The reply of a write that asked for ack-only: the version and revision
 * written, and destroy-ready (@ready >= 0) for a teardown.
 */
static int cosi_reply_ack_only(struct genl_info *info, u64 version,
			       u64 revision, int ready)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(2 * nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(sizeof(u8)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = cosi_reply_put(msg, info);
	if (!hdr ||
	    nla_put_u64_64bit(msg, COSI_A_RESOURCE_VERSION, version,
			      COSI_A_RESOURCE_PAD) ||
	    nla_put_u64_64bit(msg, COSI_A_RESOURCE_REVISION, revision,
			      COSI_A_RESOURCE_PAD) ||
	    (ready >= 0 && nla_put_u8(msg, COSI_A_RESOURCE_DESTROY_READY, ready))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Whether a resource write asked for no answer on success (quiet): 1, or
 * 0; -EINVAL, the extack at quiet, when it also asked for ack-only (an
 * answer).  Each write op's policy takes both attributes (destroy's has
 * no ack-only, which its policy refuses).  A quiet write builds no reply:
 * netlink_rcv_skb() answers its failure, or its success when NLM_F_ACK
 * asked for it, with the standard NLMSG_ERROR.
 */
static int cosi_write_quiet(struct genl_info *info)
{
	const struct nlattr *quiet = info->attrs[COSI_A_RESOURCE_QUIET];

	if (!quiet)
		return 0;
	if (info->attrs[COSI_A_RESOURCE_ACK_ONLY]) {
		NL_SET_ERR_MSG_ATTR(info->extack, quiet,
				    "quiet and ack-only exclude each other: quiet asks for no answer");
		return -EINVAL;
	}
	return 1;
}

/*
 * Drop cosi_net::lock and reply with @res (a current version): whole, or
 * its version and revision when the request asked for ack-only, or not
 * at all when it asked for quiet.
 */
static int cosi_unlock_reply(struct cosi_net *cn, struct genl_info *info,
			     const struct cosi_key *k, struct cosi_res *res,
			     int ready)
{
	u64 version = res->version, revision = res->revision;
	int err;

	if (info->attrs[COSI_A_RESOURCE_QUIET]) {
		mutex_unlock(&cn->lock);
		return 0;
	}
	if (nla_get_flag(info->attrs[COSI_A_RESOURCE_ACK_ONLY])) {
		mutex_unlock(&cn->lock);
		return cosi_reply_ack_only(info, version, revision, ready);
	}
	refcount_inc(&res->ref);
	mutex_unlock(&cn->lock);
	err = cosi_reply_res(info, k, res, ready);
	cosi_res_put(res);
	return err;
}

static int cosi_resource_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct cosi_coll *coll;
	struct cosi_res *res = NULL;
	struct cosi_key k;
	int err;

	err = cosi_parse_key(info, &k, true);
	if (err)
		return err;

	/* Lockless: versions are immutable and RCU-freed. */
	rcu_read_lock();
	err = cosi_check_readable(cn, skb, info->attrs[COSI_A_RESOURCE_TYPE],
				  info->extack);
	if (!err) {
		coll = cosi_coll_find(cn, k.ns, k.type);
		if (coll)
			res = cosi_res_find(cn, coll, k.id);
		if (!res || !refcount_inc_not_zero(&res->ref)) {
			res = NULL;
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[COSI_A_RESOURCE_ID],
					    "resource not found");
			err = -ENOENT;
		}
	}
	rcu_read_unlock();
	if (!res)
		return err;
	err = cosi_reply_res(info, &k, res, -1);
	cosi_res_put(res);
	return err;
}

/* Resource list dump state. */
struct cosi_list_state {
	struct cosi_queries *query;
	char ns[COSI_NAMESPACE_MAX_LEN + 1];
	char type[COSI_TYPE_MAX_LEN + 1];
	char prefix[COSI_ID_MAX_LEN + 1];
	char last[COSI_ID_MAX_LEN + 1];
	bool started;
	bool privileged;	/* CAP_NET_ADMIN over the netns at start */
	bool seq_set;		/* cb->prev_seq set by the first piece */
	unsigned int fill;	/* COSI_FILL_*: compact or not */
};

static int cosi_nl_resource_list_start(struct netlink_callback *cb)
{
	struct netlink_ext_ack *extack = cb->extack;
	struct nlattr **tb = cosi_dump_attrs(cb);
	struct cosi_net *cn = cosi_pernet(sock_net(cb->skb->sk));
	struct cosi_list_state *st;
	int err;

	err = cosi_dump_check_key(tb, extack);
	if (err)
		return err;
	rcu_read_lock();
	err = cosi_check_readable(cn, cb->skb, tb[COSI_A_RESOURCE_TYPE], extack);
	rcu_read_unlock();
	if (err)
		return err;

	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	st->query = cosi_parse_queries(COSI_A_RESOURCE_LABEL_QUERY, cb->nlh,
				       extack);
	if (IS_ERR(st->query)) {
		err = PTR_ERR(st->query);
		kfree(st);
		return err;
	}
	st->privileged = cosi_net_admin_noaudit(cb->skb, cn->net);
	st->fill = COSI_FILL_SPEC;
	if (!tb[COSI_A_RESOURCE_COMPACT])
		st->fill |= COSI_FILL_FULL;
	nla_strscpy(st->ns, tb[COSI_A_RESOURCE_NAMESPACE], sizeof(st->ns));
	nla_strscpy(st->type, tb[COSI_A_RESOURCE_TYPE], sizeof(st->type));
	if (tb[COSI_A_RESOURCE_ID_PREFIX])
		nla_strscpy(st->prefix, tb[COSI_A_RESOURCE_ID_PREFIX],
			    sizeof(st->prefix));
	cb->min_dump_alloc = COSI_DUMP_ALLOC;
	cb->args[0] = (long)st;
	return 0;
}

/* Where the next piece of a list dump starts: after @last, if any. */
static void cosi_list_mark(struct cosi_list_state *st,
			   const struct cosi_res *last)
{
	if (last) {
		strscpy(st->last, last->id, sizeof(st->last));
		st->started = true;
	}
}

/* Whether the dump may still read its type: -EPERM once it is sensitive. */
static int cosi_list_readable(struct cosi_net *cn, struct netlink_callback *cb,
			      const struct cosi_list_state *st)
{
	const struct cosi_def *def;

	if (st->privileged)
		return 0;
	def = cosi_def_find(cn, st->type);
	if (def && def->sensitivity != COSI_SENSITIVITY_PUBLIC) {
		NL_SET_ERR_MSG(cb->extack,
			       "type became sensitive: needs CAP_NET_ADMIN");
		return -EPERM;
	}
	return 0;
}

/* NLM_F_DUMP_INTR for the next message after a change of @coll. */
static void cosi_list_seq(struct netlink_callback *cb,
			  const struct cosi_coll *coll)
{
	cb->seq = (u32)READ_ONCE(coll->gen) + 1;
}

/*
 * One skb of a list dump, without cosi_net::lock: resources are immutable
 * and RCU-freed, so the dump walks the collection's tree under RCU
 * (cosi_coll_seek_rcu(), each step checked against by_id_seq) and
 * renders each version as it finds it; writers never wait for a dump.
 *
 * It goes in pieces of at most COSI_SCAN_BATCH entries examined, each in
 * its own RCU read section, rescheduling between two.  Each piece starts
 * afresh from st->last, the last id examined (matching or not), recorded
 * at its end: it looks the definition (sensitivity) and the collection
 * up again by key (either may have changed or gone, the collection freed
 * with its last resource: an RCU reader holds no reference) and keeps no
 * pointer from the piece before.  When writers keep changing the tree
 * through a step's tries, the rest of that piece runs under
 * cosi_net::lock, where steps are exact at once.
 *
 * So every resource present throughout the dump is listed once, in id
 * order; one created or destroyed meanwhile may or may not be; each is
 * listed as it was when reached.  cb->seq follows the collection's gen,
 * read after the step that reached each message's resource, and at the
 * end of each dumpit: a change that the dump may have seen part of flags
 * the next message NLM_F_DUMP_INTR (NLMSG_DONE included).  A collection
 * gone, or freed and made again, since a piece that found it changes
 * cb->seq too (gens start at cn->revision, which only grows).
 */
static int cosi_nl_resource_list_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb)
{
	struct cosi_net *cn = cosi_pernet(sock_net(cb->skb->sk));
	struct cosi_list_state *st = (struct cosi_list_state *)cb->args[0];
	size_t plen = strlen(st->prefix);
	struct cosi_coll *coll;
	struct cosi_res *res, *last;
	bool full = false, locked = false;
	unsigned int n, seq;
	int err = 0;
	void *hdr;

piece:
	rcu_read_lock();
	last = NULL;
	/* The type may have become sensitive since the last piece. */
	err = cosi_list_readable(cn, cb, st);
	if (err)
		goto out;
	coll = cosi_coll_find(cn, st->ns, st->type);
	if (!coll) {
		/* Gone since a piece that found it: flag NLMSG_DONE. */
		cb->seq = (u32)READ_ONCE(cn->revision) + 1;
		goto out;
	}
	/*
	 * The first piece's gen, before its first step: a change between
	 * it and the first message (or NLMSG_DONE, when nothing is listed)
	 * flags that message.  nl_dump_check_consistent() checks nothing
	 * while cb->prev_seq is 0, so set it here, not at the first message.
	 */
	if (!st->seq_set) {
		cosi_list_seq(cb, coll);
		cb->prev_seq = cb->seq;
		st->seq_set = true;
	}
	seq = 1;			/* odd: no step to continue from */
	for (n = 0;; n++) {
		if (n == COSI_SCAN_BATCH) {
			cosi_list_mark(st, last);
			rcu_read_unlock();
			if (locked)
				mutex_unlock(&cn->lock);
			locked = false;
			cond_resched();
			goto piece;
		}
		res = cosi_coll_seek_rcu(coll, last, st->started ?
					 st->last : st->prefix, !st->started,
					 &seq);
		if (IS_ERR(res)) {
			/* Writers kept moving nodes: finish the piece locked. */
			cosi_list_mark(st, last);
			rcu_read_unlock();
			cosi_net_lock(cn);
			locked = true;
			goto piece;
		}
		if (!res)
			break;
		if (strncmp(res->id, st->prefix, plen) > 0)
			break;		/* sorted: past the prefix */
		/* From the prefix on: no id before it is reached. */
		if (!cosi_queries_match(st->query, res->labels, res->n_labels))
			goto next;
		/*
		 * ... or within this piece: a version written after its type
		 * turned sensitive must not reach an unprivileged reader.  The
		 * checked step that found it ended with a read barrier after
		 * seeing it, so this lookup sees a definition at least as new.
		 */
		err = cosi_list_readable(cn, cb, st);
		if (err)
			goto out;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &cosi_nl_family,
				  NLM_F_MULTI, COSI_CMD_RESOURCE_GET);
		if (!hdr) {
			full = true;
			break;
		}
		cosi_list_seq(cb, coll);
		genl_dump_check_consistent(cb, hdr);
		/* The key is the collection's: no need to follow res->coll. */
		if (cosi_res_fill_key(skb, st->ns, st->type, res,
				      res->revision, st->fill)) {
			genlmsg_cancel(skb, hdr);
			full = true;
			break;
		}
		genlmsg_end(skb, hdr);
next:
		last = res;
	}
	cosi_list_mark(st, last);
	cosi_list_seq(cb, coll);
out:
	rcu_read_unlock();
	if (locked)
		mutex_unlock(&cn->lock);
	return err ?: cosi_dump_progress(skb, cb, full);
}

static int cosi_nl_resource_list_done(struct netlink_callback *cb)
{
	struct cosi_list_state *st = (struct cosi_list_state *)cb->args[0];

	if (st) {
		kfree(st->query);
		kfree(st);
	}
	return 0;
}

/* Labels, annotations and spec given in a create or update request. */
struct cosi_content {
	struct cosi_kv *labels;
	struct cosi_kv *annotations;
	void *spec;
	u32 n_labels;
	u32 n_annotations;
	u32 spec_len;
};

static void cosi_content_free(struct cosi_content *c)
{
	kfree(c->labels);
	kfree(c->annotations);
	kfree(c->spec);
}

/* Parse what does not depend on the definition (outside the lock). */
static int cosi_content_parse(struct genl_info *info, struct cosi_content *c)
{
	struct nlattr **tb = info->attrs;
	int err = 0;

	memset(c, 0, sizeof(*c));
	if (tb[COSI_A_RESOURCE_LABELS])
		err = cosi_parse_labels(tb[COSI_A_RESOURCE_LABELS], &c->labels,
					&c->n_labels, info->extack);
	if (!err && tb[COSI_A_RESOURCE_ANNOTATIONS])
		err = cosi_parse_labels(tb[COSI_A_RESOURCE_ANNOTATIONS],
					&c->annotations, &c->n_annotations,
					info->extack);
	if (err)
		cosi_content_free(c);
	return err;
}

static int cosi_resource_create_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct cosi_res_parts p = {};
	struct cosi_content c;
	struct cosi_coll *coll;
	struct cosi_res *res;
	struct cosi_def *def;
	struct cosi_key k;
	int err;

	err = cosi_write_quiet(info);
	if (err >= 0)
		err = cosi_parse_key(info, &k, true);
	if (!err)
		err = cosi_content_parse(info, &c);
	if (err)
		return err;

	cosi_net_lock(cn);
	err = -ENOENT;
	def = cosi_key_def(cn, info, &k);
	if (!def)
		goto unlock;
	err = cosi_check_write_access(skb, def, info->attrs[COSI_A_RESOURCE_TYPE],
				      info->extack);
	if (err)
		goto unlock;
	err = cosi_spec_canonicalize(def, info->attrs[COSI_A_RESOURCE_SPEC],
				     &c.spec, &c.spec_len, info->extack);
	if (err)
		goto unlock;
	if (cn->nr_res >= READ_ONCE(cosi_max_resources)) {
		NL_SET_ERR_MSG(info->extack, "too many resources in this netns");
		err = -ENOSPC;
		goto unlock;
	}
	err = -ENOMEM;
	coll = cosi_coll_get(cn, k.ns, k.type);
	if (!coll)
		goto unlock;
	if (cosi_res_find(cn, coll, k.id)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[COSI_A_RESOURCE_ID],
				    "resource already exists");
		err = -EEXIST;
		goto put_coll;
	}
	p.id = k.id;
	p.owner = cosi_sock_owner(cn, skb);
	p.labels = c.labels;
	p.n_labels = c.n_labels;
	p.annotations = c.annotations;
	p.n_annotations = c.n_annotations;
	p.spec = c.spec;
	p.spec_len = c.spec_len;
	p.writer_caps = cosi_writer_caps(skb, cn->net);
	res = cosi_res_new(info, coll, &p, NULL);
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		goto put_coll;
	}
	res->phase = COSI_PHASE_RUNNING;
	err = cosi_publish(cn, info, res, NULL);
	if (err) {
		cosi_res_put(res);
		goto put_coll;
	}
	def->nr_res++;
	cosi_content_free(&c);
	return cosi_unlock_reply(cn, info, &k, res, -1);
put_coll:
	cosi_coll_put(cn, coll);
unlock:
	mutex_unlock(&cn->lock);
	cosi_content_free(&c);
	return err;
}

static int cosi_resource_update_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct cosi_res *old, *res;
	struct cosi_res_parts p;
	struct cosi_content c;
	struct cosi_def *def;
	struct cosi_key k;
	u32 phase = COSI_PHASE_RUNNING;
	int err;

	err = cosi_write_quiet(info);
	if (err >= 0)
		err = cosi_parse_key(info, &k, true);
	if (!err)
		err = cosi_content_parse(info, &c);
	if (err)
		return err;

	cosi_net_lock(cn);
	old = cosi_key_res_checked(cn, skb, info, &k, true, &err);
	if (!old)
		goto unlock;
	if (tb[COSI_A_RESOURCE_EXPECTED_PHASE])
		phase = nla_get_u32(tb[COSI_A_RESOURCE_EXPECTED_PHASE]);
	if (old->phase != phase) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[COSI_A_RESOURCE_EXPECTED_PHASE],
				    "phase mismatch");
		err = -ESTALE;
		goto unlock;
	}

	cosi_res_parts_from(&p, old);
	if (tb[COSI_A_RESOURCE_SPEC]) {
		def = cosi_def_find(cn, k.type);
		err = cosi_spec_canonicalize(def, tb[COSI_A_RESOURCE_SPEC],
					     &c.spec, &c.spec_len, info->extack);
		if (err)
			goto unlock;
		p.spec = c.spec;
		p.spec_len = c.spec_len;
		/* A new spec is the new writer's. */
		p.writer_caps = cosi_writer_caps(skb, cn->net);
	}
	if (tb[COSI_A_RESOURCE_LABELS]) {
		p.labels = c.labels;
		p.n_labels = c.n_labels;
	}
	if (tb[COSI_A_RESOURCE_ANNOTATIONS]) {
		p.annotations = c.annotations;
		p.n_annotations = c.n_annotations;
	}
	/* Nothing changes: no new version, no revision, no event. */
	if (p.spec_len == old->spec_len &&
	    !memcmp(p.spec, old->spec, p.spec_len) &&
	    p.writer_caps == old->writer_caps &&
	    cosi_kv_equal(p.labels, p.n_labels, old->labels, old->n_labels) &&
	    cosi_kv_equal(p.annotations, p.n_annotations, old->annotations,
			  old->n_annotations)) {
		cosi_content_free(&c);
		return cosi_unlock_reply(cn, info, &k, old, -1);
	}

	res = cosi_res_new(info, old->coll, &p, old);
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		goto unlock;
	}
	res->phase = old->phase;
	err = cosi_publish(cn, info, res, old);
	if (err) {
		cosi_res_put(res);
		goto unlock;
	}
	cosi_content_free(&c);
	return cosi_unlock_reply(cn, info, &k, res, -1);
unlock:
	mutex_unlock(&cn->lock);
	cosi_content_free(&c);
	return err;
}

static int cosi_resource_teardown_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct cosi_res *old, *res;
	struct cosi_res_parts p;
	struct cosi_key k;
	int err;

	err = cosi_write_quiet(info);
	if (err >= 0)
		err = cosi_parse_key(info, &k, true);
	if (err)
		return err;

	cosi_net_lock(cn);
	old = cosi_key_res_checked(cn, skb, info, &k, true, &err);
	if (!old)
		goto unlock;
	if (old->phase == COSI_PHASE_TEARING_DOWN)
		return cosi_unlock_reply(cn, info, &k, old, !old->n_finalizers);

	cosi_res_parts_from(&p, old);
	res = cosi_res_new(info, old->coll, &p, old);
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		goto unlock;
	}
	res->phase = COSI_PHASE_TEARING_DOWN;
	err = cosi_publish(cn, info, res, old);
	if (err) {
		cosi_res_put(res);
		goto unlock;
	}
	return cosi_unlock_reply(cn, info, &k, res, !res->n_finalizers);
unlock:
	mutex_unlock(&cn->lock);
	return err;
}

static int cosi_resource_destroy_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct cosi_res *res;
	struct cosi_def *def;
	struct sk_buff *msg = NULL;
	struct cosi_key k;
	int err, quiet;
	u64 rev;
	void *hdr;

	quiet = cosi_write_quiet(info);
	if (quiet < 0)
		return quiet;
	err = cosi_parse_key(info, &k, true);
	if (err)
		return err;
	/* The reply is allocated first: nothing fails after the removal. */
	if (!quiet) {
		msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
		if (!msg)
			return -ENOMEM;
	}

	cosi_net_lock(cn);
	res = cosi_key_res_checked(cn, skb, info, &k, true, &err);
	if (!res)
		goto unlock;
	if (res->n_finalizers) {
		cosi_err_named(info->extack, NULL, "finalizers pending",
			       res->finalizers[0]);
		err = -EBUSY;
		goto unlock;
	}
	def = cosi_def_find(cn, k.type);
	def->nr_res--;
	cosi_store_remove(cn, res);
	rev = cn->revision;
	mutex_unlock(&cn->lock);
	if (quiet)
		return 0;

	hdr = cosi_reply_put(msg, info);
	if (!hdr ||
	    nla_put_string(msg, COSI_A_RESOURCE_NAMESPACE, k.ns) ||
	    nla_put_string(msg, COSI_A_RESOURCE_TYPE, k.type) ||
	    nla_put_string(msg, COSI_A_RESOURCE_ID, k.id) ||
	    nla_put_u64_64bit(msg, COSI_A_RESOURCE_REVISION, rev,
			      COSI_A_RESOURCE_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
unlock:
	mutex_unlock(&cn->lock);
	nlmsg_free(msg);
	return err;
}

/* Sorted union (add) or difference (remove) of two finalizer sets. */
static u32 cosi_finalizers_merge(const char * const *a, u32 na,
				 const char * const *b, u32 nb, bool add,
				 const char **out)
{
	u32 i = 0, j = 0, n = 0;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i], b[j]);

		if (c < 0) {
			out[n++] = a[i++];
		} else if (c > 0) {
			if (add)
				out[n++] = b[j];
			j++;
		} else {
			if (add)
				out[n++] = a[i];
			i++;
			j++;
		}
	}
	return n;
}

static int cosi_finalizer_change(struct sk_buff *skb, struct genl_info *info,
				 bool add)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct nlattr *attr = info->attrs[COSI_A_RESOURCE_FINALIZERS];
	const char **names = NULL, **merged = NULL;
	struct cosi_res *old, *res;
	struct cosi_res_parts p;
	struct cosi_key k;
	u32 n, count;
	int err;

	err = cosi_write_quiet(info);
	if (err >= 0)
		err = cosi_parse_key(info, &k, true);
	if (err)
		return err;
	if (cosi_attr_missing(info->extack, NULL, info->attrs,
			      COSI_A_RESOURCE_FINALIZERS, "missing attribute: finalizers"))
		return -EINVAL;
	err = cosi_parse_finalizers(attr, &names, &n, info->extack);
	if (err)
		return err;

	cosi_net_lock(cn);
	old = cosi_key_res_checked(cn, skb, info, &k, false, &err);
	if (!old)
		goto unlock;
	if (add && old->phase == COSI_PHASE_TEARING_DOWN) {
		NL_SET_ERR_MSG(info->extack, "resource is tearing down");
		err = -ESTALE;
		goto unlock;
	}
	err = -ENOMEM;
	merged = kmalloc_array(old->n_finalizers + n, sizeof(*merged),
			       GFP_KERNEL);
	if (!merged)
		goto unlock;
	count = cosi_finalizers_merge(old->finalizers, old->n_finalizers,
				      names, n, add, merged);
	if (count == old->n_finalizers) {
		/* Sets only grow or shrink: same size means no change. */
		kfree(merged);
		kfree(names);
		return cosi_unlock_reply(cn, info, &k, old, -1);
	}
	if (count > READ_ONCE(cosi_max_finalizers)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "too many finalizers");
		err = -E2BIG;
		goto unlock;
	}
	cosi_res_parts_from(&p, old);
	p.finalizers = merged;
	p.n_finalizers = count;
	res = cosi_res_new(info, old->coll, &p, old);
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		goto unlock;
	}
	res->phase = old->phase;
	err = cosi_publish(cn, info, res, old);
	if (err) {
		cosi_res_put(res);
		goto unlock;
	}
	kfree(merged);
	kfree(names);
	return cosi_unlock_reply(cn, info, &k, res, -1);
unlock:
	mutex_unlock(&cn->lock);
	kfree(merged);
	kfree(names);
	return err;
}

static int cosi_finalizer_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	return cosi_finalizer_change(skb, info, true);
}

static int cosi_finalizer_remove_doit(struct sk_buff *skb, struct genl_info *info)
{
	return cosi_finalizer_change(skb, info, false);
}

/* Definitions. */

/* Put @def into @msg, allocated with genlmsg_new(def->msg_size). */
static struct sk_buff *cosi_def_msg(struct sk_buff *msg,
				    const struct cosi_def *def,
				    struct genl_info *info)
{
	void *hdr;

	hdr = cosi_reply_put(msg, info);
	if (WARN_ON_ONCE(!hdr || cosi_def_fill(msg, def))) {
		nlmsg_free(msg);
		return NULL;
	}
	genlmsg_end(msg, hdr);
	return msg;
}

static int cosi_definition_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct nlattr *type = info->attrs[COSI_A_DEFINITION_TYPE];
	struct cosi_def *def, *old;
	struct sk_buff *msg;
	int err;

	def = cosi_def_prepare(info);
	if (IS_ERR(def))
		return PTR_ERR(def);
	/* The reply is allocated first: nothing fails after the commit. */
	msg = genlmsg_new(def->msg_size, GFP_KERNEL);
	if (!msg) {
		cosi_def_discard(def);
		return -ENOMEM;
	}
	cosi_net_lock(cn);
	/* Raising or lowering a sys-admin type's write-access is its write. */
	old = cosi_def_find(cn, def->type);
	err = cosi_check_write_access(skb, def, type, info->extack);
	if (!err && old)
		err = cosi_check_write_access(skb, old, type, info->extack);
	if (!err)
		err = cosi_def_commit(cn, def, info->extack);
	if (err) {
		mutex_unlock(&cn->lock);
		cosi_def_discard(def);
		nlmsg_free(msg);
		return err;
	}
	msg = cosi_def_msg(msg, def, info);
	mutex_unlock(&cn->lock);
	return msg ? genlmsg_reply(msg, info) : -EMSGSIZE;
}

static int cosi_definition_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct nlattr *attr = info->attrs[COSI_A_DEFINITION_TYPE];
	struct sk_buff *msg = NULL;
	struct cosi_def *def;

	if (cosi_attr_missing(info->extack, NULL, info->attrs,
			      COSI_A_DEFINITION_TYPE, "missing attribute: type"))
		return -EINVAL;
	cosi_net_lock(cn);
	def = cosi_def_lookup(cn, nla_data(attr));
	if (def)
		msg = genlmsg_new(def->msg_size, GFP_KERNEL);
	if (msg)
		msg = cosi_def_msg(msg, def, info);
	mutex_unlock(&cn->lock);
	if (!def) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "type is not defined");
		return -ENOENT;
	}
	return msg ? genlmsg_reply(msg, info) : -ENOMEM;
}

static int cosi_definition_get_start(struct netlink_callback *cb)
{
	/* Larger than any definition (cosi_def_msg_size()). */
	cb->min_dump_alloc = COSI_DUMP_ALLOC;
	return 0;
}

static int cosi_definition_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb)
{
	struct cosi_net *cn = cosi_pernet(sock_net(cb->skb->sk));
	long bkt = cb->args[0], skip = cb->args[1], idx;
	struct cosi_def *def;
	bool full = false;
	void *hdr;

	cosi_net_lock(cn);
	for (; bkt < HASH_SIZE(cn->defs); bkt++, skip = 0) {
		idx = 0;
		hlist_for_each_entry(def, &cn->defs[bkt], node) {
			if (idx++ < skip)
				continue;
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &cosi_nl_family,
					  NLM_F_MULTI, COSI_CMD_DEFINITION_GET);
			if (!hdr || cosi_def_fill(skb, def)) {
				if (hdr)
					genlmsg_cancel(skb, hdr);
				full = true;
				goto out;
			}
			genlmsg_end(skb, hdr);
			skip = idx;
		}
	}
out:
	mutex_unlock(&cn->lock);
	cb->args[0] = bkt;
	cb->args[1] = skip;
	return cosi_dump_progress(skb, cb, full);
}

static int cosi_definition_delete_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cosi_net *cn = cosi_pernet(genl_info_net(info));
	struct nlattr *type = info->attrs[COSI_A_DEFINITION_TYPE];
	const struct cosi_def *def;
	struct sk_buff *msg;
	u64 rev;
	void *hdr;
	int err;

	if (cosi_attr_missing(info->extack, NULL, info->attrs,
			      COSI_A_DEFINITION_TYPE, "missing attribute: type"))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	cosi_net_lock(cn);
	def = cosi_def_lookup(cn, nla_data(type));
	err = def ? cosi_check_write_access(skb, def, type, info->extack) : 0;
	if (!err)
		err = cosi_def_delete(cn, info);
	rev = cn->revision;
	mutex_unlock(&cn->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	hdr = cosi_reply_put(msg, info);
	if (!hdr ||
	    nla_put_string(msg, COSI_A_DEFINITION_TYPE,
			   nla_data(info->attrs[COSI_A_DEFINITION_TYPE])) ||
	    nla_put_u64_64bit(msg, COSI_A_DEFINITION_REVISION, rev,
			      COSI_A_DEFINITION_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Request tracing (cosi_request).  Every op goes through a wrapper that
 * reads the clock only while the tracepoint is enabled.  A dump keeps its
 * start time and first error in the last two cb->args (the handlers use
 * the first two) and is reported when it ends.  (A long holds the u64
 * clock: cosi targets 64-bit kernels.)
 */
#define COSI_CB_ERR	4
#define COSI_CB_T0	5

typedef int (*cosi_doit_t)(struct sk_buff *skb, struct genl_info *info);
typedef int (*cosi_dumpit_t)(struct sk_buff *skb, struct netlink_callback *cb);
typedef int (*cosi_cb_t)(struct netlink_callback *cb);

static __always_inline int cosi_traced_doit(cosi_doit_t doit,
					    struct sk_buff *skb,
					    struct genl_info *info)
{
	u64 t0;
	int err;

	if (!trace_cosi_request_enabled())
		return doit(skb, info);
	t0 = ktime_get_ns();
	err = doit(skb, info);
	trace_cosi_request(genl_info_net(info), info->genlhdr->cmd, false, err,
			   ktime_get_ns() - t0);
	return err;
}

static void cosi_trace_dump_end(struct netlink_callback *cb, int err)
{
	const struct genlmsghdr *hdr = nlmsg_data(cb->nlh);

	trace_cosi_request(sock_net(cb->skb->sk), hdr->cmd, true, err,
			   ktime_get_ns() - (u64)cb->args[COSI_CB_T0]);
}

static __always_inline int cosi_traced_start(cosi_cb_t start,
					     struct netlink_callback *cb)
{
	int err = 0;

	cb->args[COSI_CB_T0] = 0;
	cb->args[COSI_CB_ERR] = 0;
	if (trace_cosi_request_enabled())
		cb->args[COSI_CB_T0] = (long)ktime_get_ns();
	if (start)
		err = start(cb);
	if (err && cb->args[COSI_CB_T0] && trace_cosi_request_enabled())
		cosi_trace_dump_end(cb, err);	/* no done() follows */
	return err;
}

static __always_inline int cosi_traced_dumpit(cosi_dumpit_t dumpit,
					      struct sk_buff *skb,
					      struct netlink_callback *cb)
{
	int ret = dumpit(skb, cb);

	if (ret < 0 && !cb->args[COSI_CB_ERR])
		cb->args[COSI_CB_ERR] = ret;
	return ret;
}

static __always_inline int cosi_traced_done(cosi_cb_t done,
					    struct netlink_callback *cb)
{
	int err = (int)cb->args[COSI_CB_ERR];
	bool traced = cb->args[COSI_CB_T0];
	int ret = 0;

	if (done)
		ret = done(cb);
	if (traced && trace_cosi_request_enabled())
		cosi_trace_dump_end(cb, err);
	return ret;
}

/*
 * The ops table (cosi_nl_ops, genl.c) is generated from the spec and calls
 * these wrappers by the names the spec gives them.
 */
#define COSI_TRACE_DOIT(op)						\
int cosi_nl_##op##_doit(struct sk_buff *skb, struct genl_info *info)	\
{									\
	return cosi_traced_doit(cosi_##op##_doit, skb, info);		\
}

#define COSI_TRACE_DUMP(op, start, dumpit, done)			\
int cosi_nl_##op##_start(struct netlink_callback *cb)			\
{									\
	return cosi_traced_start(start, cb);				\
}									\
int cosi_nl_##op##_dumpit(struct sk_buff *skb, struct netlink_callback *cb) \
{									\
	return cosi_traced_dumpit(dumpit, skb, cb);			\
}									\
int cosi_nl_##op##_done(struct netlink_callback *cb)			\
{									\
	return cosi_traced_done(done, cb);				\
}

COSI_TRACE_DOIT(resource_get)
COSI_TRACE_DOIT(resource_create)
COSI_TRACE_DOIT(resource_update)
COSI_TRACE_DOIT(resource_destroy)
COSI_TRACE_DOIT(resource_teardown)
COSI_TRACE_DOIT(finalizer_add)
COSI_TRACE_DOIT(finalizer_remove)
COSI_TRACE_DOIT(definition_set)
COSI_TRACE_DOIT(definition_get)
COSI_TRACE_DOIT(definition_delete)
COSI_TRACE_DOIT(owner_claim)
COSI_TRACE_DOIT(watch_stop)
COSI_TRACE_DUMP(resource_get, cosi_nl_resource_list_start,
		cosi_nl_resource_list_dumpit, cosi_nl_resource_list_done)
/* A dump without a done of its own still gets a traced one. */
COSI_TRACE_DUMP(definition_get, cosi_definition_get_start,
		cosi_definition_get_dumpit, NULL)
COSI_TRACE_DUMP(watch, cosi_watch_start, cosi_watch_dumpit, cosi_watch_done)

/*
 * The family.  Its ops and policies are generated (genl.c); 6.1, without
 * split ops, registers a genl_ops table made from them (compat.c).
 */
static const struct genl_multicast_group cosi_nl_mcgrps[] = {
	[COSI_NLGRP_EVENTS] = COSI_MCGRP(COSI_MCGRP_EVENTS),
};

struct genl_family cosi_nl_family __ro_after_init = {
	.name		= COSI_FAMILY_NAME,
	.version	= COSI_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
#ifdef COSI_HAVE_SPLIT_OPS
	.split_ops	= cosi_nl_ops,
	.n_split_ops	= ARRAY_SIZE(cosi_nl_ops),
#endif
	.mcgrps		= cosi_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(cosi_nl_mcgrps),
};

int cosi_nl_register(void)
{
	int err = cosi_genl_ops_61(&cosi_nl_family);

	return err ?: genl_register_family(&cosi_nl_family);
}

void cosi_nl_unregister(void)
{
	genl_unregister_family(&cosi_nl_family);
}
