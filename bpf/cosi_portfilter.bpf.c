// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-portfilter's TC program: drop TCP and UDP packets whose
 * destination port has a PortFilters resource with enabled: true, read
 * from cosi.ko at each packet with the kfuncs (no map to keep in sync:
 * a `cosictl apply` is in force when it returns).  Resource ids are the
 * decimal port numbers, in the namespace userspace sets.
 */
#include "cosi_vmlinux.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "cosi_bpf.h"
#include "cosi_kfuncs.h"

#define ENOENT		2

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace before load. */
const volatile char cosi_ns[64] = "default";
const volatile char cosi_type[128] = "PortFilters.bpf.cosi.dev";

/* The key is too large for the stack: one per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_cosi_key);
} keys SEC(".maps");

/* [0] packets dropped, [1] lookups that failed other than -ENOENT. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &i);

	if (c)
		(*c)++;
}

/* The destination port of a TCP or UDP packet, or 0. */
static __always_inline __u16 dport(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u8 proto;
	void *l4;

	if ((void *)(eth + 1) > end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return 0;
		proto = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return 0;
		proto = ip6->nexthdr;	/* no extension headers */
		l4 = ip6 + 1;
	} else {
		return 0;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 0;
	/* The destination port is at offset 2 in both headers. */
	if (l4 + 4 > end)
		return 0;
	return bpf_ntohs(*(__be16 *)(l4 + 2));
}

SEC("tc")
int portfilter(struct __sk_buff *skb)
{
	struct bpf_cosi_opts opts = { .netns_id = BPF_COSI_NETNS_CURRENT };
	char f_enabled[] = "enabled";
	struct bpf_cosi_key *key;
	struct cosi_res *res;
	__u16 port = dport(skb);
	__u64 enabled = 0;
	__u32 zero = 0;
	char digits[6];
	int n = 0, i;

	if (!port)
		return TC_ACT_OK;
	key = bpf_map_lookup_elem(&keys, &zero);
	if (!key)
		return TC_ACT_OK;
	__builtin_memcpy(key->ns, (const void *)cosi_ns, sizeof(key->ns));
	__builtin_memcpy(key->type, (const void *)cosi_type, sizeof(key->type));
	/* The id: the port in decimal. */
	for (i = 0; i < 5 && port; i++) {
		digits[n++] = '0' + port % 10;
		port /= 10;
	}
	for (i = 0; i < 5; i++)
		if (i < n)
			key->id[i] = digits[n - 1 - i];
	key->id[n < 6 ? n : 5] = '\0';

	res = bpf_skb_cosi_lookup(skb, key, sizeof(*key), &opts, sizeof(opts));
	if (!res) {
		if (opts.error != -ENOENT)
			count(1);
		return TC_ACT_OK;
	}
	bpf_cosi_res_spec_bool(res, f_enabled, sizeof(f_enabled), &enabled);
	bpf_cosi_res_release(res);
	if (!enabled)
		return TC_ACT_OK;
	count(0);
	return TC_ACT_SHOT;
}
