/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel APIs that differ between the kernels cosi supports
 * (6.1 and 6.2+).  Everything version-dependent lives here.
 */
#ifndef _COSI_COMPAT_H
#define _COSI_COMPAT_H

#include <net/genetlink.h>

/*
 * 6.2 brought split do/dump ops with their own policies and formatted
 * extack messages; the latter's macro tells which kernel this is.
 */
#ifdef NL_SET_ERR_MSG_FMT
#define COSI_HAVE_SPLIT_OPS	1

#define cosi_err_named(extack, attr, msg, name) \
	NL_SET_ERR_MSG_ATTR_FMT(extack, attr, msg ": %s", name)

static inline struct nlattr **cosi_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}

static inline int cosi_genl_ops_61(struct genl_family *family)
{
	return 0;
}
#else
/*
 * 6.1 has no split ops.  The generated ops table (genl.c, from the spec) is
 * written with this copy of 6.2's struct genl_split_ops (the members the
 * generator uses), and cosi_genl_ops_61() (compat.c) turns it into the
 * genl_ops table 6.1 registers.
 */
struct genl_split_ops {
	int (*start)(struct netlink_callback *cb);
	union {
		int (*doit)(struct sk_buff *skb, struct genl_info *info);
		int (*dumpit)(struct sk_buff *skb, struct netlink_callback *cb);
	};
	int (*done)(struct netlink_callback *cb);
	const struct nla_policy *policy;
	unsigned int maxattr;
	u8 cmd;
	u8 flags;
	u8 validate;
};

int cosi_genl_ops_61(struct genl_family *family);

/*
 * 6.1 has no formatted extack: the message stays generic, and the
 * attribute offset still points at the offending field.
 */
#define cosi_err_named(extack, attr, msg, name) do {	\
	(void)(name);					\
	NL_SET_ERR_MSG_ATTR(extack, attr, msg);		\
} while (0)

static inline struct nlattr **cosi_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#endif

/* 6.13 added NLA_POLICY_MAX_LEN(); the generated policies use it. */
#ifndef NLA_POLICY_MAX_LEN
#define NLA_POLICY_MAX_LEN(_len)	NLA_POLICY_MAX(NLA_BINARY, _len)
#endif

/*
 * GENL_MCAST_CAP_NET_ADMIN (6.7, backported to some stable kernels) makes
 * joining a multicast group need CAP_NET_ADMIN over the netns.  Without
 * it anyone may join, so the events group must not carry sensitive types.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define COSI_MCGRP_PRIVILEGED	true
#define COSI_MCGRP(_name)	{ .name = (_name), .flags = GENL_MCAST_CAP_NET_ADMIN }
#else
#define COSI_MCGRP_PRIVILEGED	false
#define COSI_MCGRP(_name)	{ .name = (_name) }
#endif

/*
 * Per-socket state: 6.10 gave generic netlink per-socket storage
 * (genl_family::sock_priv_size, genl_sk_priv_get()), but
 * genl_sk_priv_get() is not exported to modules, so cosi keeps one
 * scheme on every kernel: a table keyed by portid whose entries hold
 * their struct sock, reached through cosi_sock_of() (sock.c).
 */

/*
 * Tracepoint strings (cosi_trace.h): 6.10 dropped __assign_str()'s source
 * argument (__string() remembers it), 6.1 needs it.  Copying into the
 * space __string() reserved (strlen + 1, the source's length in both) works
 * the same on every kernel, so no version test is needed.
 */
#define cosi_assign_str(dst, src)					\
	strscpy(__get_str(dst), (src), __get_dynamic_array_len(dst))

#endif /* _COSI_COMPAT_H */
