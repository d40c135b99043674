// SPDX-License-Identifier: GPL-2.0
/*
 * Per-socket state: the table of sockets that claimed an owner or started
 * a watch, keyed by portid and matched on the struct sock, and owner
 * claims.  Lifetime rules at struct cosi_sock (cosi.h).
 *
 * Everything here runs under cosi_net::lock (the request handlers and
 * the NETLINK_URELEASE notifier take it).
 */
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cosi.h"
#include "genl.h"

/*
 * Bucket of @portid.  Any socket may bind a portid it chooses: keyed with
 * a secret per netns, so that nobody can fill one bucket on purpose.
 */
static u32 cosi_sock_hash(const struct cosi_net *cn, u32 portid)
{
	return hsiphash_1u32(portid, &cn->sock_key);
}

/*
 * Whether a socket entry belongs to a socket that is being closed: it is
 * unhashed from netlink (its portid may already be bound by a new socket)
 * and NETLINK_URELEASE will release the entry.  sock_orphan() sets
 * SOCK_DEAD right after netlink_remove(), before the notifier.
 */
static bool cosi_sock_closing(const struct cosi_sock *cs)
{
	return cs->released || sock_flag(cs->sk, SOCK_DEAD);
}

static struct cosi_sock *cosi_sock_find(struct cosi_net *cn, u32 portid,
					const struct sock *sk)
{
	struct cosi_sock *cs;

	lockdep_assert_held(&cn->lock);
	hash_for_each_possible(cn->socks, cs, node, cosi_sock_hash(cn, portid))
		if (cs->portid == portid && cs->sk == sk)
			return cs;
	return NULL;
}

/**
 * cosi_sock_of() - the state of the socket a request came from
 * @cn: the netns store, locked
 * @skb: the request (a doit's skb, or a dump's cb->skb)
 *
 * The one way from a socket to its struct cosi_sock.  Generic netlink's
 * per-socket storage (genl_sk_priv_get(), 6.10+) is not exported to
 * modules, so every kernel uses this table, keyed by portid and matched
 * on the struct sock the entry holds: a new socket that binds the portid
 * of a closed one, before NETLINK_URELEASE has run, finds nothing.
 *
 * Return: the entry, or NULL if the socket has none.
 */
struct cosi_sock *cosi_sock_of(struct cosi_net *cn, const struct sk_buff *skb)
{
	return cosi_sock_find(cn, NETLINK_CB(skb).portid, NETLINK_CB(skb).sk);
}

/* The entry of the request's socket, created on first use. */
struct cosi_sock *cosi_sock_get(struct cosi_net *cn, const struct sk_buff *skb)
{
	struct cosi_sock *cs = cosi_sock_of(cn, skb);

	if (cs)
		return cs;
	cs = kzalloc(sizeof(*cs), GFP_KERNEL_ACCOUNT);
	if (!cs)
		return NULL;
	atomic_long_inc(&cosi_nr_objects);
	cs->portid = NETLINK_CB(skb).portid;
	cs->sk = NETLINK_CB(skb).sk;
	sock_hold(cs->sk);		/* dropped when unhashed */
	INIT_LIST_HEAD(&cs->watchers);
	refcount_set(&cs->ref, 1);	/* the table's */
	hash_add(cn->socks, &cs->node, cosi_sock_hash(cn, cs->portid));
	return cs;
}

/* Take @cs out of the table: drop the table's references (may free it). */
static void cosi_sock_unhash(struct cosi_net *cn, struct cosi_sock *cs)
{
	hash_del(&cs->node);
	sock_put(cs->sk);
	cs->sk = NULL;
	cosi_sock_put(cn, cs);
}

/* Unhash (and free) @cs when nothing is left in it: no watch, claim or dump. */
void cosi_sock_trim(struct cosi_net *cn, struct cosi_sock *cs)
{
	lockdep_assert_held(&cn->lock);
	if (cs->released || !list_empty(&cs->watchers) || cs->owner[0] ||
	    refcount_read(&cs->ref) != 1)
		return;
	cosi_sock_unhash(cn, cs);
}

void cosi_sock_put(struct cosi_net *cn, struct cosi_sock *cs)
{
	if (refcount_dec_and_test(&cs->ref)) {
		WARN_ON(!list_empty(&cs->watchers));
		kfree(cs);
		atomic_long_dec(&cosi_nr_objects);
	}
}

/*
 * Keep @cs's portid bound to its socket while an event is sent to it.
 * Events go by portid (netlink_unicast()), and netlink_release() unhashes
 * the portid, so that a new socket may bind it, long before the
 * NETLINK_URELEASE notifier can take cosi_net::lock.  But the release runs
 * under the socket inode's lock (__sock_release()), which is therefore
 * held while the portid is free and the entry not yet released.  Taking it
 * (trylock: the releasing task holds it and then waits for cosi_net::lock)
 * makes the portid this socket's until cosi_sock_unpin().
 *
 * Return: the locked inode, or NULL when the socket is closing or its
 * inode is busy (chown or chmod of the socket: rare).
 */
struct inode *cosi_sock_pin(struct cosi_sock *cs)
{
	struct sock *sk = cs->sk;
	struct inode *inode = NULL;

	if (cosi_sock_closing(cs))
		return NULL;
	/* sock_orphan() clears sk_socket under sk_callback_lock. */
	read_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_socket && inode_trylock(SOCK_INODE(sk->sk_socket)))
		inode = SOCK_INODE(sk->sk_socket);
	read_unlock_bh(&sk->sk_callback_lock);
	return inode;
}

void cosi_sock_unpin(struct inode *inode)
{
	inode_unlock(inode);
}

/*
 * Tell the client that its live watches stopped without its asking:
 * ENOBUFS on the socket, like netlink_overrun(), but also when the socket
 * set NETLINK_NO_ENOBUFS (netlink then drops silently) and when nothing
 * overflowed (no memory for an event).
 */
void cosi_sock_report(struct cosi_sock *cs)
{
	if (cosi_sock_closing(cs))
		return;
	atomic_inc(&cs->sk->sk_drops);	/* as netlink_overrun() counts */
	WRITE_ONCE(cs->sk->sk_err, ENOBUFS);
	sk_error_report(cs->sk);
}

/* The socket closed: its claim and watches end with it. */
static void cosi_sock_close(struct cosi_net *cn, struct cosi_sock *cs)
{
	cs->released = true;
	cs->owner[0] = '\0';
	cosi_sock_stop_watches(cn, cs, false);
	cosi_sock_unhash(cn, cs);
}

/*
 * NETLINK_URELEASE of @portid.  The notifier names no socket: release the
 * entries of @portid whose socket is dead, not one that bound the portid
 * again since.
 */
void cosi_sock_release(struct cosi_net *cn, u32 portid)
{
	struct cosi_sock *cs;
	struct hlist_node *tmp;

	cosi_net_lock(cn);
	hash_for_each_possible_safe(cn->socks, cs, tmp, node,
				    cosi_sock_hash(cn, portid))
		if (cs->portid == portid && sock_flag(cs->sk, SOCK_DEAD))
			cosi_sock_close(cn, cs);
	mutex_unlock(&cn->lock);
}

/* Netns exit: no request can reach the netns any more. */
void cosi_sock_free_all(struct cosi_net *cn)
{
	struct hlist_node *tmp;
	struct cosi_sock *cs;
	int bkt;

	lockdep_assert_held(&cn->lock);
	hash_for_each_safe(cn->socks, bkt, tmp, cs, node) {
		cs->released = true;
		cosi_sock_free_watches(cn, cs);
		cosi_sock_unhash(cn, cs);
	}
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

	cosi_net_lock(cn);
	sk = cosi_sock_of(cn, skb);
	hash_for_each(cn->socks, bkt, other, node) {
		/* A socket being closed holds nothing any more. */
		if (other != sk && !strcmp(other->owner, owner) &&
		    !cosi_sock_closing(other)) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "owner is claimed by another socket");
			err = -EBUSY;
			goto out;
		}
	}
	if (!sk)
		sk = cosi_sock_get(cn, skb);
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
