// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 9, BPF side: one resource's u64 field read by the kfuncs, and the
 * same value read from a hash map that userspace mirrors.  The mirror is
 * keyed by what the kfunc is given, struct bpf_cosi_key (namespace, type,
 * id): the same lookup.  `id_map` is keyed by a 64-byte id alone, for
 * reference: a mirror of one namespace and type, ids capped at 63 bytes.
 * `empty` measures what BPF_PROG_TEST_RUN itself costs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cosi_bpf.h"
#include "cosi_kfuncs.h"

char LICENSE[] SEC("license") = "GPL";

struct bpf_cosi_key key;
struct bpf_cosi_opts opts = { .netns_id = BPF_COSI_NETNS_CURRENT };
char id[64];
__u64 out;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct bpf_cosi_key);
	__type(value, __u64);
} mirror SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[64]);
	__type(value, __u64);
} id_map SEC(".maps");

SEC("tc")
int kfunc_read(struct __sk_buff *skb)
{
	char f_mtu[] = "mtu";
	struct cosi_res *r;

	r = bpf_skb_cosi_lookup(skb, &key, sizeof(key), &opts, sizeof(opts));
	if (!r) {
		out = -1;
		return 0;
	}
	bpf_cosi_res_spec_u64(r, f_mtu, sizeof(f_mtu), &out);
	bpf_cosi_res_release(r);
	return 0;
}

SEC("tc")
int map_read(struct __sk_buff *skb)
{
	__u64 *v = bpf_map_lookup_elem(&mirror, &key);

	out = v ? *v : -1;
	return 0;
}

SEC("tc")
int id_map_read(struct __sk_buff *skb)
{
	__u64 *v = bpf_map_lookup_elem(&id_map, id);

	out = v ? *v : -1;
	return 0;
}

SEC("tc")
int empty(struct __sk_buff *skb)
{
	out = 0;
	return 0;
}
