// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-follow, BPF side: passes the changes of one resource (namespace,
 * type, id, set before load) to user space.  The filter runs here, so
 * other changes cost one string compare.
 */
#include "cosi_vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "cosi_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile char want_ns[COSI_TOP_NS_LEN];
const volatile char want_type[COSI_TOP_TYPE_LEN];
const volatile char want_id[COSI_TOP_ID_LEN];
const volatile __u32 filter_netns;

struct names {
	char ns[COSI_TOP_NS_LEN];
	char type[COSI_TOP_TYPE_LEN];
	char id[COSI_TOP_ID_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct names);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("tp_btf/cosi_resource_change")
int BPF_PROG(follow_change, const struct cosi_net *cn,
	     const struct cosi_event *ev)
{
	struct cosi_follow_ev *e;
	struct cosi_coll *coll;
	struct cosi_res *res;
	struct names *n;
	__u32 idx = 0;

	/* tp_btf arguments may be NULL for the verifier: check them first. */
	if (!cn || !ev)
		return 0;
	res = BPF_CORE_READ(ev, res);
	coll = BPF_CORE_READ(res, coll);
	if (filter_netns && BPF_CORE_READ(cn, net, ns.inum) != filter_netns)
		return 0;
	n = bpf_map_lookup_elem(&scratch, &idx);
	if (!n)
		return 0;
	/* Cheapest first: the id, then the type, then the namespace. */
	if (bpf_probe_read_kernel_str(n->id, sizeof(n->id),
				      BPF_CORE_READ(res, id)) < 0 ||
	    bpf_strncmp(n->id, sizeof(n->id), (const char *)want_id))
		return 0;
	if (bpf_probe_read_kernel_str(n->type, sizeof(n->type),
				      BPF_CORE_READ(coll, type)) < 0 ||
	    bpf_strncmp(n->type, sizeof(n->type), (const char *)want_type))
		return 0;
	if (bpf_probe_read_kernel_str(n->ns, sizeof(n->ns),
				      (const char *)coll +
				      bpf_core_field_offset(struct cosi_coll, key)) < 0 ||
	    bpf_strncmp(n->ns, sizeof(n->ns), (const char *)want_ns))
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->revision = BPF_CORE_READ(ev, rev);
	e->version = BPF_CORE_READ(res, version);
	e->netns = BPF_CORE_READ(cn, net, ns.inum);
	e->kind = BPF_CORE_READ(ev, kind);
	e->phase = BPF_CORE_READ(res, phase);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
