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
#else
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

/*
 * Per-socket state: 6.10 gave generic netlink per-socket storage
 * (genl_family::sock_priv_size, genl_sk_priv_get()), but
 * genl_sk_priv_get() is not exported to modules, so cosi keeps one
 * scheme on every kernel: a table keyed by portid whose entries hold
 * their struct sock, reached through cosi_sock_of() (watch.c).
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
