// SPDX-License-Identifier: GPL-2.0
/*
 * cosi_kfunc's kptr probe: a program that keeps a looked-up handle in a
 * map field tagged "kptr" (referenced on 6.12, unreferenced on 6.1).  It
 * must not load: on 6.12 cosi.ko registers no destructor for struct
 * cosi_res, so a map holding one cannot be made; on 6.1 bpf_kptr_xchg()
 * takes no unreferenced field.  Debian 12's clang 14 drops the tag from
 * BTF, so there the verifier sees a plain pointer field, which
 * bpf_kptr_xchg() refuses as well.  A handle never outlives its run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cosi_bpf.h"
#include "cosi_kfuncs.h"

char LICENSE[] SEC("license") = "GPL";

struct bpf_cosi_key key;
struct bpf_cosi_opts opts;

struct held {
	struct cosi_res __attribute__((btf_type_tag("kptr"))) *p;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct held);
} held SEC(".maps");

SEC("tc")
int keep(struct __sk_buff *skb)
{
	struct cosi_res *r, *old;
	struct held *h;
	int zero = 0;

	h = bpf_map_lookup_elem(&held, &zero);
	if (!h)
		return 0;
	r = bpf_skb_cosi_lookup(skb, &key, sizeof(key), &opts, sizeof(opts));
	if (!r)
		return 0;
	old = bpf_kptr_xchg(&h->p, r);
	if (old)
		bpf_cosi_res_release(old);
	return 0;
}
