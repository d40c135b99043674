// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-top, BPF side: counts resource changes per type and request
 * latencies per command from cosi.ko's BTF tracepoints, and passes watch
 * overflows and resyncs to user space through a ring buffer.
 */
#include "cosi_vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "cosi_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Only this netns (inode), 0 for all; set before load. */
const volatile __u32 filter_netns;

struct type_key {
	char type[COSI_TOP_TYPE_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct type_key);
	__type(value, struct cosi_top_changes);
} changes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, COSI_TOP_NR_CMDS);
	__type(key, __u32);
	__type(value, struct cosi_top_req);
} requests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Scratch space for a type key (too big for the stack with the rest). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct type_key);
} scratch SEC(".maps");

static __always_inline bool netns_ok(const struct net *net)
{
	return !filter_netns || BPF_CORE_READ(net, ns.inum) == filter_netns;
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	/* Bounded: at most COSI_TOP_NR_BUCKETS - 1 steps. */
	for (int i = 0; i < COSI_TOP_NR_BUCKETS - 1; i++) {
		if (v < 2)
			break;
		v >>= 1;
		b++;
	}
	return b;
}

SEC("tp_btf/cosi_resource_change")
int BPF_PROG(top_change, const struct cosi_net *cn, const struct cosi_event *ev)
{
	struct cosi_top_changes zero = {}, *c;
	struct type_key *key;
	__u32 idx = 0;
	__u8 kind;

	/* tp_btf arguments may be NULL for the verifier: check them first. */
	if (!cn || !ev || !netns_ok(BPF_CORE_READ(cn, net)))
		return 0;
	key = bpf_map_lookup_elem(&scratch, &idx);
	if (!key)
		return 0;
	__builtin_memset(key, 0, sizeof(*key));
	bpf_probe_read_kernel_str(key->type, sizeof(key->type),
				  BPF_CORE_READ(ev, res, coll, type));
	c = bpf_map_lookup_elem(&changes, key);
	if (!c) {
		bpf_map_update_elem(&changes, key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&changes, key);
		if (!c)
			return 0;
	}
	kind = BPF_CORE_READ(ev, kind);
	if (kind < 4)
		__sync_fetch_and_add(&c->kinds[kind], 1);
	return 0;
}

SEC("tp_btf/cosi_request")
int BPF_PROG(top_request, const struct net *net, __u8 cmd, bool dump, int err,
	     __u64 duration_ns)
{
	struct cosi_top_req *r;
	__u32 key = cmd, b;

	if (!net || !netns_ok(net))
		return 0;
	r = bpf_map_lookup_elem(&requests, &key);
	if (!r)
		return 0;
	__sync_fetch_and_add(&r->count, 1);
	if (err)
		__sync_fetch_and_add(&r->errors, 1);
	__sync_fetch_and_add(&r->sum_ns, duration_ns);
	b = log2_bucket(duration_ns);
	if (b < COSI_TOP_NR_BUCKETS)
		__sync_fetch_and_add(&r->hist[b], 1);
	return 0;
}

SEC("tp_btf/cosi_watch_overflow")
int BPF_PROG(top_overflow, const struct cosi_net *cn, const struct cosi_sock *sk,
	     __u32 watch_id, __u64 revision)
{
	struct cosi_top_ev *e;

	if (!cn || !sk || !netns_ok(BPF_CORE_READ(cn, net)))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = COSI_TOP_EV_OVERFLOW;
	e->netns = BPF_CORE_READ(cn, net, ns.inum);
	e->portid = BPF_CORE_READ(sk, portid);
	e->watch_id = watch_id;
	e->count = BPF_CORE_READ(sk, nr_watchers);
	e->revision = revision;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/cosi_watch_resync")
int BPF_PROG(top_resync, const struct cosi_net *cn, const struct cosi_watcher *w,
	     bool bootstrap, bool replay, __u64 since)
{
	struct cosi_top_ev *e;

	if (!cn || !w || !netns_ok(BPF_CORE_READ(cn, net)))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = COSI_TOP_EV_RESYNC;
	e->netns = BPF_CORE_READ(cn, net, ns.inum);
	e->portid = BPF_CORE_READ(w, sock, portid);
	e->watch_id = BPF_CORE_READ(w, watch_id);
	e->count = BPF_CORE_READ(w, nr_pending);
	e->bootstrap = bootstrap;
	e->revision = BPF_CORE_READ(cn, revision);
	e->since = since;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
