/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's internal types the BPF programs read, in place of a
 * vmlinux.h dumped from one kernel's BTF: only the fields they use, each
 * struct marked preserve_access_index, so that every access to them is a
 * CO-RE relocation that libbpf resolves by name against the running
 * kernel's BTF at load (6.1 and 6.12 alike).  The layout written here is
 * never used as such; a field missing from the kernel fails the load.
 * Types the kernel exports (struct __sk_buff, struct ethhdr, ...) come
 * from the UAPI headers instead; cosi.ko's own types are in cosi_bpf.h.
 *
 * Add a field here when a program starts reading it: the build does not
 * read any kernel's BTF (it must build the same on a builder without
 * /sys/kernel/btf, and reproducibly).
 */
#ifndef COSI_VMLINUX_H
#define COSI_VMLINUX_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>

struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

struct nsproxy {
	struct net *net_ns;
} __attribute__((preserve_access_index));

struct task_struct {
	struct nsproxy *nsproxy;
} __attribute__((preserve_access_index));

#endif /* COSI_VMLINUX_H */
