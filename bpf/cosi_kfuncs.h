/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosi.ko's kfuncs, for BPF programs (Documentation/bpf.rst).  Include
 * after cosi_vmlinux.h (or a vmlinux.h) and cosi_bpf.h (struct cosi_res).
 * They are resolved by name against cosi.ko's BTF at load: the prototypes
 * are kmod/bpf_kfuncs.c's.  Each lookup is for
 * one program type: bpf_cosi_lookup() and the iterator tracing,
 * bpf_skb_cosi_lookup() TC, bpf_xdp_cosi_lookup() XDP; the readers and
 * the release are for all three.  The iterator exists on 6.12 only: keep
 * programs that use it in an object of their own.
 */
#ifndef COSI_KFUNCS_H
#define COSI_KFUNCS_H

#include <linux/cosi_bpf.h>

struct cosi_res *bpf_cosi_lookup(const struct bpf_cosi_key *key, __u32 key__sz,
				 struct bpf_cosi_opts *opts, __u32 opts__sz) __ksym;
struct cosi_res *bpf_skb_cosi_lookup(struct __sk_buff *skb_ctx,
				     const struct bpf_cosi_key *key, __u32 key__sz,
				     struct bpf_cosi_opts *opts, __u32 opts__sz) __ksym;
struct cosi_res *bpf_xdp_cosi_lookup(struct xdp_md *xdp_ctx,
				     const struct bpf_cosi_key *key, __u32 key__sz,
				     struct bpf_cosi_opts *opts, __u32 opts__sz) __ksym;
void bpf_cosi_res_release(struct cosi_res *res) __ksym;
__u64 bpf_cosi_res_version(const struct cosi_res *res) __ksym;
__u64 bpf_cosi_res_revision(const struct cosi_res *res) __ksym;
__u32 bpf_cosi_res_phase(const struct cosi_res *res) __ksym;
int bpf_cosi_res_spec_u64(const struct cosi_res *res, const char *name,
			  __u32 name__sz, __u64 *val) __ksym;
int bpf_cosi_res_spec_s64(const struct cosi_res *res, const char *name,
			  __u32 name__sz, __s64 *val) __ksym;
int bpf_cosi_res_spec_bool(const struct cosi_res *res, const char *name,
			   __u32 name__sz, __u64 *val) __ksym;
int bpf_cosi_res_spec_str(const struct cosi_res *res, const char *name,
			  __u32 name__sz, char *buf, __u32 buf__sz) __ksym;
int bpf_cosi_res_spec_bytes(const struct cosi_res *res, const char *name,
			    __u32 name__sz, void *buf, __u32 buf__sz) __ksym;
int bpf_cosi_res_label(const struct cosi_res *res, const char *key,
		       __u32 key__sz, char *buf, __u32 buf__sz) __ksym;

/*
 * 6.12: open-coded iterator over one collection (bpf_for_each(cosi_res, ...)).
 * Its size is the kernel's struct bpf_iter_cosi_res_kern's (kmod/bpf_kfuncs.c
 * checks the two agree with BUILD_BUG_ON()).
 */
struct bpf_iter_cosi_res {
	__u64 __opaque[3];
} __attribute__((aligned(8)));

int bpf_iter_cosi_res_new(struct bpf_iter_cosi_res *it,
			  const struct bpf_cosi_key *key, __u32 key__sz,
			  struct bpf_cosi_opts *opts, __u32 opts__sz) __ksym;
struct cosi_res *bpf_iter_cosi_res_next(struct bpf_iter_cosi_res *it) __ksym;
void bpf_iter_cosi_res_destroy(struct bpf_iter_cosi_res *it) __ksym;

#endif /* COSI_KFUNCS_H */
