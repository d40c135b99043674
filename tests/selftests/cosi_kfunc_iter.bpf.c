// SPDX-License-Identifier: GPL-2.0
/*
 * cosi_kfunc's iterator program (6.12): walks the collection named by
 * @key with the open-coded iterator and reports the walk in @walk.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cosi_bpf.h"
#include "cosi_kfuncs.h"
#include "cosi_kfunc.h"

char LICENSE[] SEC("license") = "GPL";

struct bpf_cosi_key key;
struct bpf_cosi_opts opts;
struct kfunc_walk walk;

SEC("tc")
int tc_walk(struct __sk_buff *skb)
{
	struct bpf_iter_cosi_res it;
	struct cosi_res *r;
	char f_mtu[] = "mtu", f_name[] = "name";
	__u64 mtu;

	walk.count = 0;
	walk.mtu_sum = 0;
	walk.err = bpf_iter_cosi_res_new(&it, &key, sizeof(key), &opts,
					 sizeof(opts));
	/* What bpf_for_each(cosi_res, r, ...) expands to, for libbpf < 1.2. */
	while ((r = bpf_iter_cosi_res_next(&it))) {
		mtu = 0;
		if (!bpf_cosi_res_spec_u64(r, f_mtu, sizeof(f_mtu), &mtu))
			walk.mtu_sum += mtu;
		if (!walk.count)
			bpf_cosi_res_spec_str(r, f_name, sizeof(f_name),
					      walk.first, sizeof(walk.first));
		else
			bpf_cosi_res_spec_str(r, f_name, sizeof(f_name),
					      walk.last, sizeof(walk.last));
		walk.count++;
	}
	bpf_iter_cosi_res_destroy(&it);
	return 0;
}
