/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the BPF programs and their user-space sides: the records they
 * exchange, and (BPF side only) the few cosi.ko types the programs read,
 * declared for CO-RE: their layout is taken from cosi.ko's BTF at load.
 */
#ifndef COSI_BPF_H
#define COSI_BPF_H

#define COSI_TOP_TYPE_LEN	128	/* COSI_TYPE_MAX_LEN + 1 */
#define COSI_TOP_NS_LEN		64	/* COSI_NAMESPACE_MAX_LEN + 1 */
#define COSI_TOP_ID_LEN		256	/* COSI_ID_MAX_LEN + 1 */
#define COSI_TOP_NR_CMDS	16	/* > COSI_CMD_MAX */
#define COSI_TOP_NR_BUCKETS	32	/* log2 buckets of nanoseconds */

/* Per-type change counters (cosi-top), keyed by type name. */
struct cosi_top_changes {
	unsigned long long kinds[4];	/* by enum cosi_event_kind */
};

/* Per-command request counters (cosi-top). */
struct cosi_top_req {
	unsigned long long count;
	unsigned long long errors;
	unsigned long long sum_ns;
	unsigned long long hist[COSI_TOP_NR_BUCKETS];	/* [2^i, 2^(i+1)) ns */
};

enum cosi_top_ev_kind {
	COSI_TOP_EV_OVERFLOW = 1,
	COSI_TOP_EV_RESYNC,
};

/* Ring buffer record of cosi-top: watch overflows and resyncs. */
struct cosi_top_ev {
	unsigned int kind;		/* enum cosi_top_ev_kind */
	unsigned int netns;
	unsigned int portid;
	unsigned int watch_id;
	unsigned int count;		/* overflow: watches; resync: replayed */
	unsigned int bootstrap;
	unsigned long long revision;
	unsigned long long since;
};

/* Ring buffer record of cosi-follow: one change of the followed resource. */
struct cosi_follow_ev {
	unsigned long long ts_ns;
	unsigned long long revision;
	unsigned long long version;
	unsigned int netns;
	unsigned char kind;
	unsigned char phase;
};

#ifdef __BPF__
/* cosi.ko's internals (kmod/cosi.h), as far as the programs read them. */
struct cosi_coll {
	const char *type;
	char key[];			/* "namespace\0type\0" */
} __attribute__((preserve_access_index));

struct cosi_res {
	struct cosi_coll *coll;
	__u64 version;
	__u64 revision;
	__u8 phase;
	const char *id;
} __attribute__((preserve_access_index));

struct cosi_event {
	__u64 rev;
	__u8 kind;
	struct cosi_res *res;
	struct cosi_res *old;
} __attribute__((preserve_access_index));

struct cosi_net {
	struct net *net;
	__u64 revision;
} __attribute__((preserve_access_index));

struct cosi_sock {
	__u32 portid;
	__u32 nr_watchers;
} __attribute__((preserve_access_index));

struct cosi_watcher {
	struct cosi_coll *coll;
	struct cosi_sock *sock;
	__u32 nr_pending;
	__u32 watch_id;
} __attribute__((preserve_access_index));
#endif

#endif /* COSI_BPF_H */
