/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * What BPF programs pass to cosi.ko's kfuncs (Documentation/bpf.rst).
 * Shared by the module and the programs; the kfuncs themselves are
 * declared for programs in bpf/cosi_kfuncs.h.
 */
#ifndef _UAPI_LINUX_COSI_BPF_H
#define _UAPI_LINUX_COSI_BPF_H

#ifndef __VMLINUX_H__	/* BPF programs have the types from vmlinux.h */
#include <linux/types.h>
#endif

/* bpf_cosi_opts::netns_id: the context's netns (see bpf.rst). */
#define BPF_COSI_NETNS_CURRENT	(-1)

/*
 * The key of a lookup: NUL-terminated strings, each within its array
 * (the COSI_*_MAX_LEN limits of <linux/cosi.h> plus the NUL).  Passed
 * with its size, which must be sizeof(struct bpf_cosi_key).
 */
struct bpf_cosi_key {
	char ns[64];
	char type[128];
	char id[256];
};

/*
 * Options and result of a lookup, passed as a plain pointer (the verifier
 * checks all of it writable: never in .rodata) followed by the size the
 * program was built with, which must be BPF_COSI_OPTS_SZ
 * (sizeof(struct bpf_cosi_opts)); a later size may be accepted too, with
 * fields taken from @reserved.
 * @netns_id: BPF_COSI_NETNS_CURRENT, or the id of a netns as the context's
 *	netns knows it (peernet2id, "ip netns set")
 * @error: set by the lookup: 0 when it returned a resource, else -EINVAL
 *	(bad key or options), -ENOENT (no such netns or resource), -EACCES
 *	(a sensitive type)
 * @flags: none defined yet: must be 0, else -EINVAL
 * @reserved: must be 0, else -EINVAL
 */
struct bpf_cosi_opts {
	__s32 netns_id;
	__s32 error;
	__u32 flags;
	__u32 reserved[3];
};

#define BPF_COSI_OPTS_SZ	24

#endif /* _UAPI_LINUX_COSI_BPF_H */
