/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosi.ko internals: the per-netns resource store.
 *
 * Locking and lifetime (see Documentation/design.rst):
 *
 *  - struct cosi_net::lock (a mutex) serialises every change in a netns:
 *    the revision counter, collections, the resource hash table and
 *    rbtrees, the event history, watchers, sockets (claims) and
 *    definitions.  Watch events are queued to sockets under it, without
 *    blocking, so each watcher sees events in revision order.
 *    List dumps take no lock: they walk a collection under RCU
 *    (netlink.c, cosi_nl_resource_list_dumpit()).
 *  - A struct cosi_res is one immutable version of a resource.  A change
 *    builds a new version and swaps it in; the old one is released when
 *    its last reference (table, history, watcher queues, readers) goes.
 *    Versions are freed after an RCU grace period, so a reader may look a
 *    resource up under rcu_read_lock() and take a reference.
 *  - A version's ->coll is valid while the version is in the table, in the
 *    history, or in a watcher's pending queue, and may only be followed
 *    under cosi_net::lock (or RCU while the version is in the table).
 *  - Definitions are RCU-protected for readers, changed under the lock.
 *
 * Privileges (see "Privilege model" in Documentation/design.rst): every
 * write needs CAP_NET_ADMIN over the netns (GENL_UNS_ADMIN_PERM); a write
 * of a resource whose definition's write_access is COSI_WRITE_ACCESS_SYS_ADMIN
 * also needs CAP_SYS_ADMIN in the initial user namespace, checked under
 * cosi_net::lock against the definition current at that moment.  Each
 * version records in writer_caps what the writer of its spec held.
 */
#ifndef _COSI_H
#define _COSI_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/string.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/netlink.h>

#include <linux/cosi.h>
#include "compat.h"

/* Limits (module parameters, main.c). */
extern unsigned int cosi_max_resources;
extern unsigned int cosi_max_spec_size;
extern unsigned int cosi_max_labels;
extern unsigned int cosi_max_finalizers;
extern unsigned int cosi_max_definitions;
extern unsigned int cosi_max_watchers;
extern unsigned int cosi_max_unpriv_watchers;
extern unsigned int cosi_max_socket_watchers;
extern unsigned int cosi_history_size;
extern unsigned int cosi_history_bytes;

/* Fixed limits. */
#define COSI_MAX_FIELDS		64
#define COSI_MAX_ALIASES	16
#define COSI_MAX_COLUMNS	16
#define COSI_MAX_QUERIES	16
#define COSI_MAX_TERMS		32
#define COSI_MAX_TERM_VALUES	64
#define COSI_MAX_LIST_ITEMS	1024
/*
 * Largest resource message, old labels of an update event included
 * (cosi_res_build()); with the headers it fits a 32 KiB skb.
 */
#define COSI_MSG_MAX		(32 * 1024 - 1024)
/* Room for the largest message: every dump skb gets at least this. */
#define COSI_DUMP_ALLOC		(COSI_MSG_MAX + NLMSG_HDRLEN + GENL_HDRLEN + 64)

/* Live object count, checked at module exit to catch leaks. */
extern atomic_long_t cosi_nr_objects;

struct cosi_kv {
	const char *key;
	const char *value;
};

const char *cosi_kv_find(const struct cosi_kv *kv, u32 n, const char *key);

/*
 * Copy @s to *@buf (sized for it) and advance past its NUL: builds the
 * strings of an object allocated in one piece.
 */
static inline char *cosi_put_str(char **buf, const char *s)
{
	size_t len = strlen(s) + 1;
	char *d = *buf;

	memcpy(d, s, len);
	*buf += len;
	return d;
}

/*
 * A (namespace, type) pair: the unit of listing and watching.
 *
 * Lifetime: @refs counts, under cosi_net::lock, every holder of the
 * collection: each current resource in @by_id (taken by cosi_coll_get()
 * before the resource is published, dropped by cosi_store_remove() after
 * its destroy event holds its own), each netlink and kernel watcher, and
 * each event in the history ring or a watcher's pending queue
 * (cosi_event_get()/cosi_event_put()).  cosi_coll_put() of the last
 * reference unhashes it and frees it after an RCU grace period, so an
 * RCU reader that found it in cosi_net::colls may still read it (until
 * it leaves the read section: an RCU reader holds no reference, and
 * looks the collection up again by key in each read section).  A new
 * reference is always taken before an old one is dropped.  @by_id
 * changes under cosi_net::lock only, by the RCU-safe rbtree calls, each
 * change (insert, replace, erase) inside a write section of @by_id_seq
 * that also bumps @gen, and is read under the lock or, under RCU only, by
 * the BPF iterator (cosi_coll_next_rcu()) and list dumps
 * (cosi_coll_seek_rcu()), which validate each descent with @by_id_seq:
 * a lockless descent alone may miss nodes while rotations move them.
 */
struct cosi_coll {
	struct rhash_head node;		/* in cosi_net::colls */
	struct rb_root by_id;		/* current versions, sorted by id */
	seqcount_mutex_t by_id_seq;	/* written under cosi_net::lock */
	/*
	 * Netlink watchers without an id filter, live and catching up; those
	 * with one are in cosi_net::id_watchers (@nr_id_watchers of them),
	 * so that a change visits only the watchers of its id.  Both under
	 * cosi_net::lock, changed by cosi_watch_register() and
	 * cosi_watcher_free().
	 */
	struct list_head watchers;
	u32 nr_id_watchers;
	/* Kernel watches (kwatch.c), split the same way: cosi_net::id_kwatches. */
	u32 nr_id_kwatches;
	struct list_head kwatchers;
	struct rcu_head rcu;		/* frees it, see above */
	/*
	 * Bumped by each change of @by_id, in its write section (WRITE_ONCE;
	 * list dumps read it under RCU for NLM_F_DUMP_INTR); starts at
	 * cosi_net::revision, so never repeats across a collection freed
	 * and made again.
	 */
	u64 gen;
	u32 refs;			/* under cosi_net::lock, see above */
	u32 nr_res;			/* current resources; under the lock */
	const char *type;		/* points into key */
	char key[];			/* "namespace\0type\0" */
};

static inline const char *cosi_coll_ns(const struct cosi_coll *coll)
{
	return coll->key;
}

/*
 * One immutable version of a resource.
 *
 * Lifetime: @ref counts the store's tables (one reference while the
 * version is current), each event that carries it (history ring, pending
 * queues: cosi_event_get()) and readers that took one with
 * refcount_inc_not_zero() under RCU or refcount_inc() under the lock.
 * cosi_res_put() of the last reference frees it after an RCU grace
 * period, so an RCU reader that reached it through the tables or
 * @coll->by_id may read it (and its @rb links) until it leaves the read
 * section.  @coll is held by the version only indirectly (through the
 * table or an event, see struct cosi_coll): follow it under
 * cosi_net::lock, or under RCU while the version is current (or was,
 * within the same read section: the collection is freed a grace period
 * after its last reference).  All fields are immutable once published,
 * so a lockless reader (get, list dumps, the BPF iterator) renders a
 * version as it is.
 */
struct cosi_res {
	struct rhash_head node;		/* in cosi_net::res, while current */
	struct rb_node rb;		/* in coll->by_id, while current */
	struct cosi_coll *coll;		/* see above */
	struct rcu_head rcu;		/* frees it, see above */
	refcount_t ref;			/* see above */
	u64 version;
	u64 revision;			/* of the change that made it */
	u64 created;
	u64 updated;
	/*
	 * Upper bound of its attributes, all of them, with its collection's
	 * namespace and type (cosi_res_attrs_size()): the attribute writer
	 * of cosi_res_fill_key() checks the room once against it.
	 */
	u32 msg_size;
	u32 spec_len;
	u16 labels_size;		/* of its labels nest */
	u16 n_labels;
	u16 n_annotations;
	u16 n_finalizers;
	u8 phase;
	/*
	 * COSI_WRITER_CAPS_* of the request that wrote the spec (create, or
	 * update with a spec), from its skb; copied from the previous
	 * version by changes of labels, annotations, finalizers or phase.
	 * Set before the version is published, immutable after.
	 */
	u8 writer_caps;
	const char *owner;		/* "" when unowned */
	const struct cosi_kv *labels;	/* sorted by key */
	const struct cosi_kv *annotations;
	const char * const *finalizers;
	const void *spec;		/* canonical COSI_A_SPEC_* stream */
	const char *id;			/* all data follows the struct */
};

/* The parts a version is built from (request data or an old version). */
struct cosi_res_parts {
	const char *id;
	const char *owner;
	const struct cosi_kv *labels;
	u32 n_labels;
	const struct cosi_kv *annotations;
	u32 n_annotations;
	const char * const *finalizers;
	u32 n_finalizers;
	const void *spec;
	u32 spec_len;
	u32 writer_caps;		/* COSI_WRITER_CAPS_* */
};

struct cosi_field {
	const char *name;
	u8 type;			/* enum cosi_field_type */
	bool required;
};

struct cosi_column {
	const char *name;
	const char *field;
};

/*
 * A resource definition.  Lifetime: linked in cosi_net::defs, replaced
 * whole or unlinked under cosi_net::lock, freed by call_rcu(): a reader
 * under rcu_read_lock() or the lock may use it, and must not keep it
 * past either.  Immutable once linked, except @nr_res (under the lock).
 */
struct cosi_def {
	struct hlist_node node;		/* in cosi_net::defs */
	struct rcu_head rcu;		/* frees it, see above */
	u64 revision;
	/*
	 * Public: the revision since which the type has been public without a
	 * break (a deletion is a break).  History before it may hold events
	 * of a sensitive type: an unprivileged watch does not resume there.
	 */
	u64 public_since;
	u32 nr_res;			/* resources of the type; under lock */
	u32 msg_size;			/* of its attributes in a reply */
	u8 sensitivity;
	/*
	 * enum cosi_write_access: what a write of a resource of the type
	 * needs.  Fixed for the definition's life; a definition-set that
	 * changes it replaces the definition (under the lock, RCU for readers).
	 */
	u8 write_access;
	u8 n_fields;
	u8 n_aliases;
	u8 n_columns;
	const char *default_ns;
	const char * const *aliases;
	const struct cosi_field *fields;
	const struct cosi_column *columns;
	const char *type;		/* all strings follow the struct */
};

/* Label queries, parsed into one owned allocation. */
struct cosi_term {
	const char *key;
	const char * const *values;
	s64 num;			/* numeric operand, if num_ok */
	u16 n_values;
	u8 op;
	bool invert;
	bool num_ok;
};

struct cosi_query {
	u16 n_terms;
	struct cosi_term *terms;
};

struct cosi_queries {
	u16 n;
	struct cosi_query q[];
};

/*
 * An index of watches with an id filter, by (collection, id): a change
 * visits the one bucket of its id (cosi_id_bucket()), not every watch of
 * its collection.  A watch embeds a struct cosi_id_node; @hash is
 * cosi_id_hash() of its collection and id, fixed while it is indexed.
 * The table grows (doubling, never shrinking) to a bucket per watch; it
 * is allocated with the first watch and freed at netns exit
 * (cosi_id_index_destroy()).  Everything under cosi_net::lock.
 */
struct cosi_id_node {
	struct hlist_node node;		/* in a bucket of the index */
	u32 hash;
};

struct cosi_id_index {
	struct hlist_head *buckets;	/* 1 << @bits, NULL until first add */
	u32 bits;
	u32 nr;				/* indexed watches */
};

/* A change, as kept in the history and in watchers' pending queues. */
struct cosi_event {
	u64 rev;
	u8 kind;			/* enum cosi_event_kind */
	struct cosi_res *res;		/* new version, or the destroyed one */
	struct cosi_res *old;		/* previous version, for updates */
};

/*
 * Per-socket state: owner claim and watches, for a netlink socket that
 * claimed an owner or started a watch.  Found with cosi_sock_of() (the
 * request's socket) and created with cosi_sock_get(), both in sock.c.
 *
 * Identity is (portid, struct sock): a portid alone is reused as soon as
 * netlink_release() has unhashed the socket, before NETLINK_URELEASE
 * runs, and a new socket bound to it must not inherit a claim or events.
 *
 * @sk: the socket (NETLINK_CB(skb).sk of its first request).  The entry
 *	holds a reference (sock_hold() in cosi_sock_get()) while it is in
 *	cosi_net::socks, so the pointer cannot be reused by a new socket
 *	while lookups compare it.  cosi_sock_release() (the
 *	NETLINK_URELEASE notifier: the socket is SOCK_DEAD by then) or
 *	cosi_sock_free_all() (netns exit), or cosi_sock_trim() (nothing
 *	left in it), unhashes the entry, drops the reference and sets @sk
 *	to NULL, under cosi_net::lock.
 * @ref: one for cosi_net::socks, one per watch dump in progress (taken in
 *	cosi_watch_register(), dropped in cosi_watch_done()); the last
 *	cosi_sock_put() frees the entry.  Under cosi_net::lock.  An entry
 *	with no watch, no claim and no dump is unhashed at once
 *	(cosi_sock_trim()): the table holds what the limits allow, not
 *	every socket that ever asked.
 * @released: released by NETLINK_URELEASE (or netns exit); watch dumps
 *	still running end without going live.
 */
struct cosi_sock {
	struct hlist_node node;		/* in cosi_net::socks, see sock.c */
	struct list_head watchers;
	struct sock *sk;		/* held while hashed, see above */
	refcount_t ref;			/* table + watch dumps in progress */
	u32 portid;
	u32 nr_watchers;
	bool released;			/* socket closed */
	char owner[COSI_OWNER_MAX_LEN + 1];	/* claim, "" if none */
};

enum cosi_watch_state {
	COSI_WATCH_LISTING,		/* bootstrap listing in progress */
	COSI_WATCH_CATCHUP,		/* sending pending events */
	COSI_WATCH_MARKED,		/* marker sent, waiting for dump end */
	COSI_WATCH_LIVE,
};

struct cosi_pending {
	struct list_head node;
	struct cosi_event ev;
};

/*
 * Why a watch stopped.  The client always learns it (design.rst,
 * "Watches"): while its dump runs, as the dump's error; after that, as
 * ENOBUFS on the socket (cosi_sock_report()), except for watch-stop.
 */
enum cosi_watch_stop {
	COSI_STOP_NONE,
	COSI_STOP_OVERFLOW,		/* pending queue full, or no memory */
	COSI_STOP_SOCKET,		/* all watches of the socket stopped */
	COSI_STOP_REQUEST,		/* watch-stop */
	COSI_STOP_ACCESS,		/* type became sensitive, see below */
};

/*
 * A netlink watch.  Owned by its socket's list and its collection's list;
 * freed by cosi_watcher_free() under cosi_net::lock: by watch-stop or a
 * socket stop once live, by cosi_watch_done() otherwise.  @sock stays
 * valid until then (a live watch is freed before its socket entry; a dump
 * holds a cosi_sock reference).
 */
struct cosi_watcher {
	/*
	 * Without an id filter, in coll->watchers (@coll_node); with one, in
	 * cosi_net::id_watchers (@id_node).  From cosi_watch_register() to
	 * cosi_watcher_free(), under cosi_net::lock.
	 */
	struct list_head coll_node;
	struct cosi_id_node id_node;
	struct list_head sock_node;	/* sock->watchers */
	struct cosi_coll *coll;
	struct cosi_sock *sock;
	struct cosi_queries *query;	/* NULL: all */
	char *id;			/* NULL: all ids */
	struct list_head pending;	/* events not yet sent by the dump */
	u32 nr_pending;			/* at most hist_size events... */
	u64 pending_bytes;		/* ...holding hist_max_bytes */
	/*
	 * The memory cgroup of the task that started the watch (a reference,
	 * put when the watcher is freed): its pending queue is charged there,
	 * not to the writers whose changes fill it.
	 */
	struct mem_cgroup *memcg;
	u32 watch_id;
	u8 state;
	u8 stop;			/* enum cosi_watch_stop */
	/*
	 * The watcher held CAP_NET_ADMIN over the netns when it started: it
	 * may read sensitive types, and it is not counted against
	 * max_unpriv_watchers.  An unprivileged watch of a type that becomes
	 * sensitive stops (cosi_watch_revoke()).
	 */
	bool privileged;
	bool dump_ended;		/* dumpit returned its last 0 */
	bool listed_all;
	u64 marker_rev;
	char pos[COSI_ID_MAX_LEN + 1];	/* last id the listing examined */
};

struct cosi_net {
	struct mutex lock;		/* serialises all changes, see above */
	/*
	 * Tasks in cosi_net_lock() that found the lock taken: a long scan
	 * leaves the lock free for them when it lets writers in
	 * (cosi_scan_yield()).  Atomic; a hint, read without the lock.
	 */
	atomic_t lock_waiters;
	struct net *net;
	u64 revision;			/* written with WRITE_ONCE() */
	u32 nr_res;
	u32 nr_defs;
	u32 nr_watchers;		/* netlink and kernel watches */
	u32 nr_unpriv_watchers;		/* netlink, !privileged */
	u32 next_watch_id;
	struct rhashtable colls;
	struct rhashtable res;
	DECLARE_HASHTABLE(defs, 6);
	DECLARE_HASHTABLE(socks, 6);	/* struct cosi_sock, by portid */
	hsiphash_key_t sock_key;	/* keys socks and the id indexes */
	struct list_head kwatches;	/* kernel watches (kwatch.c) */
	/* Watches with an id filter, netlink and kernel: see above. */
	struct cosi_id_index id_watchers;
	struct cosi_id_index id_kwatches;
	/*
	 * History ring of the last events, for resuming watches: at most
	 * hist_size events, holding at most hist_max_bytes of versions
	 * (cosi_event_bytes()); the oldest go first.
	 */
	struct cosi_event *hist;
	u32 hist_size;
	u32 hist_head;			/* next slot to write */
	u32 hist_len;
	u64 hist_bytes;
	u64 hist_max_bytes;
	u64 hist_evicted;		/* revision of the newest evicted event */
};

struct cosi_net *cosi_pernet(const struct net *net);

/*
 * Take cosi_net::lock, counted in lock_waiters while waiting for it: how
 * a long scan knows to leave the lock free a moment (cosi_scan_yield()).
 * Every caller may sleep and orders the lock as mutex_lock() would:
 * might_sleep() and might_lock() tell lockdep and the sleep checks so
 * even when the trylock wins (a trylock alone records no lock order).
 */
static inline void cosi_net_lock(struct cosi_net *cn)
{
	might_sleep();
	might_lock(&cn->lock);
	if (mutex_trylock(&cn->lock))
		return;
	atomic_inc(&cn->lock_waiters);
	mutex_lock(&cn->lock);
	atomic_dec(&cn->lock_waiters);
}

/* What an event holds of resource versions, as history and queues count. */
static inline u64 cosi_event_bytes(const struct cosi_event *ev)
{
	return ev->res->msg_size + (ev->old ? ev->old->msg_size : 0);
}

/* names.c */
enum cosi_name_kind {
	COSI_NAME_DNS,		/* namespaces, types: [A-Za-z0-9._-] */
	COSI_NAME_FIELD,	/* schema fields: [A-Za-z0-9_-] */
	COSI_NAME_PRINTABLE,	/* ids, owners, keys: 0x21-0x7e */
};

bool cosi_name_valid(const char *name, enum cosi_name_kind kind);
/*
 * Whether required attribute @type of @tb (parsed from @nest, NULL for the
 * message) is missing.  If so the extack says so twice: the type
 * (NLMSGERR_ATTR_MISS_TYPE, from the core's check) and @msg (a literal),
 * since the core's check leaves the message empty.
 */
#define cosi_attr_missing(extack, nest, tb, type, msg) ({		\
	struct netlink_ext_ack *__ack = (extack);			\
	bool __missing = NL_REQ_ATTR_CHECK(__ack, nest, tb, type);	\
									\
	if (__missing)							\
		NL_SET_ERR_MSG(__ack, msg);				\
	__missing;							\
})

const char *cosi_attr_name(const struct nlattr *attr, enum cosi_name_kind kind,
			   const char *what, struct netlink_ext_ack *extack);
int cosi_parse_labels(const struct nlattr *nest, struct cosi_kv **out,
		      u32 *n, struct netlink_ext_ack *extack);
int cosi_parse_finalizers(const struct nlattr *nest, const char ***out,
			  u32 *n, struct netlink_ext_ack *extack);
bool cosi_kv_equal(const struct cosi_kv *a, u32 na,
		   const struct cosi_kv *b, u32 nb);

/* query.c */
struct cosi_queries *cosi_parse_queries(int attrtype,
					const struct nlmsghdr *nlh,
					struct netlink_ext_ack *extack);
u8 cosi_filter_kind(const char *id, const struct cosi_queries *query,
		    const struct cosi_event *ev);
bool cosi_queries_match(const struct cosi_queries *q,
			const struct cosi_kv *labels, u32 n);

/* schema.c */
struct cosi_def *cosi_def_find(struct cosi_net *cn, const char *type);
struct cosi_def *cosi_def_lookup(struct cosi_net *cn, const char *name);
struct cosi_def *cosi_def_prepare(struct genl_info *info);
void cosi_def_discard(struct cosi_def *def);
int cosi_def_commit(struct cosi_net *cn, struct cosi_def *def,
		    struct netlink_ext_ack *extack);
int cosi_def_delete(struct cosi_net *cn, struct genl_info *info);
void cosi_def_free_all(struct cosi_net *cn);
int cosi_spec_canonicalize(const struct cosi_def *def,
			   const struct nlattr *spec, void **blob, u32 *len,
			   struct netlink_ext_ack *extack);
int cosi_def_fill(struct sk_buff *skb, const struct cosi_def *def);

/* store.c */
int cosi_net_init(struct cosi_net *cn, struct net *net);
void cosi_net_exit(struct cosi_net *cn);
struct cosi_coll *cosi_coll_find(struct cosi_net *cn, const char *ns,
				 const char *type);
struct cosi_coll *cosi_coll_get(struct cosi_net *cn, const char *ns,
				const char *type);
void cosi_coll_put(struct cosi_net *cn, struct cosi_coll *coll);
struct cosi_res *cosi_res_find(struct cosi_net *cn,
			       const struct cosi_coll *coll, const char *id);
struct cosi_res *cosi_res_build(struct cosi_coll *coll,
				const struct cosi_res_parts *p,
				const struct cosi_res *old);
void cosi_res_put(struct cosi_res *res);
void cosi_res_parts_from(struct cosi_res_parts *p, const struct cosi_res *r);
int cosi_store_insert(struct cosi_net *cn, struct cosi_res *res);
void cosi_store_replace(struct cosi_net *cn, struct cosi_res *old,
			struct cosi_res *res);
void cosi_store_remove(struct cosi_net *cn, struct cosi_res *res);
struct cosi_res *cosi_coll_next(struct cosi_coll *coll, const char *after,
				bool inclusive);
struct cosi_res *cosi_coll_succ(const struct cosi_res *res);
/*
 * Entries a long scan of a collection visits in one go.  A watch's
 * bootstrap listing holds cosi_net::lock and then lets writers in
 * (cosi_scan_yield()); a list dump, which takes no lock, leaves its RCU
 * read section and reschedules if asked to.  Each visit is a label-query
 * match (and, when it matches, a message fill): 128 of them take about
 * 60 us under TCG (a 100k-entry scan took 50 ms), and a yield costs one
 * unlock and relock when no one waits.  bench/dump_writer.c (TCG, a
 * loaded host) gave the same writer p99 with 64, 128 and 256 for locked
 * dumps, set by the host's scheduling of the dumper's vCPU, not by the
 * batch.  The scans resume by id (the last one they examined), so any
 * resource may change or go, and the collection with it, meanwhile.
 *
 * Other walks under the lock are bounded by a limit instead: the
 * definition dump (max_definitions), cosi_watch_revoke() (max_watchers),
 * a watch's history replay and its pending queue at cosi_watch_done()
 * (history_size events, 4096 by default), a watch's catch-up (one skb);
 * a kernel watch's bootstrap holds the lock throughout (kwatch.c says
 * why).
 */
#define COSI_SCAN_BATCH		128
void cosi_scan_yield(struct cosi_net *cn);
/* Tries of one lockless step (BPF iterator, list dump) against writers. */
#define COSI_ITER_TRIES	3
struct cosi_res *cosi_coll_next_rcu(struct cosi_coll *coll,
				    const struct cosi_res *last,
				    unsigned int *seq);
struct cosi_res *cosi_coll_seek_rcu(struct cosi_coll *coll,
				    const struct cosi_res *last,
				    const char *after, bool inclusive,
				    unsigned int *seq);
void cosi_event_get(struct cosi_event *ev);
void cosi_event_put(struct cosi_net *cn, struct cosi_event *ev);
int cosi_put_labels(struct sk_buff *skb, int attr, const struct cosi_res *res);
/* What cosi_res_fill() puts beside the version's own attributes. */
#define COSI_FILL_SPEC	BIT(0)	/* its spec */
#define COSI_FILL_FULL	BIT(1)	/* namespace, type, attributes at default */
int cosi_res_fill(struct sk_buff *skb, const struct cosi_res *res, u64 rev,
		  unsigned int what);
int cosi_res_fill_key(struct sk_buff *skb, const char *ns, const char *type,
		      const struct cosi_res *res, u64 rev, unsigned int what);

/* sock.c */
void cosi_sock_release(struct cosi_net *cn, u32 portid);
struct cosi_sock *cosi_sock_of(struct cosi_net *cn, const struct sk_buff *skb);
struct cosi_sock *cosi_sock_get(struct cosi_net *cn, const struct sk_buff *skb);
void cosi_sock_put(struct cosi_net *cn, struct cosi_sock *sk);
void cosi_sock_trim(struct cosi_net *cn, struct cosi_sock *cs);
struct inode *cosi_sock_pin(struct cosi_sock *cs);
void cosi_sock_unpin(struct inode *inode);
void cosi_sock_report(struct cosi_sock *cs);
void cosi_sock_free_all(struct cosi_net *cn);
int cosi_owner_claim_doit(struct sk_buff *skb, struct genl_info *info);

/* watch.c */
u32 cosi_id_hash(const struct cosi_net *cn, const struct cosi_coll *coll,
		 const char *id);
int cosi_id_index_add(struct cosi_id_index *ix, struct cosi_id_node *n,
		      u32 hash);
void cosi_id_index_del(struct cosi_id_index *ix, struct cosi_id_node *n);
void cosi_id_index_destroy(struct cosi_id_index *ix);

/* The bucket of @hash: NULL when the index is empty. */
static inline struct hlist_head *cosi_id_bucket(const struct cosi_id_index *ix,
						u32 hash)
{
	return ix->buckets ? &ix->buckets[hash_32(hash, ix->bits)] : NULL;
}

void cosi_watch_notify(struct cosi_net *cn, struct cosi_event *ev);
void cosi_sock_stop_watches(struct cosi_net *cn, struct cosi_sock *cs,
			    bool report);
void cosi_sock_free_watches(struct cosi_net *cn, struct cosi_sock *cs);
void cosi_watch_revoke(struct cosi_net *cn, const char *type);
int cosi_watch_start(struct netlink_callback *cb);
int cosi_watch_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int cosi_watch_done(struct netlink_callback *cb);
int cosi_watch_stop_doit(struct sk_buff *skb, struct genl_info *info);

/* kwatch.c: kernel watches; cheap when a collection has none. */
void __cosi_kwatch_notify(struct cosi_net *cn, const struct cosi_event *ev);
void cosi_kwatch_net_exit(struct cosi_net *cn);

static inline void cosi_kwatch_notify(struct cosi_net *cn,
				      const struct cosi_event *ev)
{
	if (unlikely(!list_empty(&ev->res->coll->kwatchers) ||
		     ev->res->coll->nr_id_kwatches))
		__cosi_kwatch_notify(cn, ev);
}

/* bpf_kfuncs.c, built only with module BTF and resolve_btfids (Kbuild) */
#ifdef COSI_KFUNCS
int cosi_bpf_register(void);
#else
static inline int cosi_bpf_register(void)
{
	pr_info("cosi: built without BPF kfuncs (no vmlinux BTF or resolve_btfids in the kernel tree)\n");
	return 0;
}
#endif

/* netlink.c */
extern struct genl_family cosi_nl_family;
int cosi_nl_register(void);
void cosi_nl_unregister(void);
bool cosi_may_read(const struct sk_buff *skb, struct net *net,
		   const struct cosi_def *def);
u32 cosi_writer_caps(const struct sk_buff *skb, const struct net *net);
bool cosi_net_admin_noaudit(const struct sk_buff *skb, const struct net *net);
int cosi_check_write_access(const struct sk_buff *skb,
			    const struct cosi_def *def,
			    const struct nlattr *attr,
			    struct netlink_ext_ack *extack);
int cosi_check_readable(struct cosi_net *cn, const struct sk_buff *skb,
			const struct nlattr *type,
			struct netlink_ext_ack *extack);
int cosi_dump_check_key(struct nlattr **tb, struct netlink_ext_ack *extack);
int cosi_dump_progress(struct sk_buff *skb, struct netlink_callback *cb,
		       bool full);
int cosi_event_put_msg(struct sk_buff *skb, u32 portid, u32 seq, u8 cmd,
		       u32 watch_id, u8 kind, const struct cosi_event *ev,
		       bool with_spec, int flags);
size_t cosi_event_msg_size(const struct cosi_event *ev);

/* Resource message size bound (excluding genl header). */
size_t cosi_res_attrs_size(const struct cosi_res_parts *p, u32 ns_len,
			   u32 type_len);

#endif /* _COSI_H */
