// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-specwatch, BPF side: at each change of a resource of one type,
 * read the named spec fields of its new version through cosi.ko's
 * kfuncs, in the writer's context, and pass them to user space.  No
 * syscall reads the resource: the program sees it at the tracepoint the
 * write fires.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "cosi_bpf.h"
#include "cosi_kfuncs.h"
#include "cosi_specwatch.h"

char LICENSE[] SEC("license") = "GPL";

const volatile char want_type[128];
const volatile char fields[SPECWATCH_FIELDS][SPECWATCH_NAME_LEN];
const volatile __u32 nr_fields;

/* Writable copies: kfunc (pointer, size) arguments are not const. */
struct scratch {
	char names[SPECWATCH_FIELDS][SPECWATCH_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp_btf/cosi_resource_change")
int BPF_PROG(spec_change, const struct cosi_net *cn,
	     const struct cosi_event *ev)
{
	struct bpf_cosi_opts opts = { .netns_id = BPF_COSI_NETNS_CURRENT };
	struct specwatch_ev *e;
	struct cosi_coll *coll;
	struct cosi_res *res, *r;
	struct scratch *s;
	__u32 idx = 0, i;
	__s64 sval;
	int ret;

	if (!cn || !ev)
		return 0;
	res = BPF_CORE_READ(ev, res);
	coll = BPF_CORE_READ(res, coll);
	s = bpf_map_lookup_elem(&scratch, &idx);
	if (!s)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	if (bpf_probe_read_kernel_str(e->key.type, sizeof(e->key.type),
				      BPF_CORE_READ(coll, type)) < 0 ||
	    bpf_strncmp(e->key.type, sizeof(e->key.type), (const char *)want_type))
		goto drop;
	if (bpf_probe_read_kernel_str(e->key.ns, sizeof(e->key.ns),
				      (const char *)coll +
				      bpf_core_field_offset(struct cosi_coll, key)) < 0 ||
	    bpf_probe_read_kernel_str(e->key.id, sizeof(e->key.id),
				      BPF_CORE_READ(res, id)) < 0)
		goto drop;

	r = bpf_cosi_lookup(&e->key, sizeof(e->key), &opts, sizeof(opts));
	e->error = opts.error;
	if (!r) {		/* destroyed: no current version */
		bpf_ringbuf_submit(e, 0);
		return 0;
	}
	e->version = bpf_cosi_res_version(r);
	for (i = 0; i < SPECWATCH_FIELDS && i < nr_fields; i++) {
		char *name = s->names[i];

		__builtin_memcpy(name, (const void *)fields[i], SPECWATCH_NAME_LEN);
		e->kind[i] = SPECWATCH_ABSENT;
		ret = bpf_cosi_res_spec_str(r, name, SPECWATCH_NAME_LEN, e->str[i],
					    SPECWATCH_STR_LEN);
		if (ret >= 0 || ret == -7 /* E2BIG */) {
			e->kind[i] = ret >= 0 ? SPECWATCH_STR : SPECWATCH_STR_CUT;
			continue;
		}
		if (!bpf_cosi_res_spec_u64(r, name, SPECWATCH_NAME_LEN, &e->num[i]))
			e->kind[i] = SPECWATCH_U64;
		else if (!bpf_cosi_res_spec_s64(r, name, SPECWATCH_NAME_LEN, &sval)) {
			e->kind[i] = SPECWATCH_S64;
			e->num[i] = sval;
		} else if (!bpf_cosi_res_spec_bool(r, name, SPECWATCH_NAME_LEN,
						   &e->num[i]))
			e->kind[i] = SPECWATCH_BOOL;
	}
	bpf_cosi_res_release(r);
	bpf_ringbuf_submit(e, 0);
	return 0;
drop:
	bpf_ringbuf_discard(e, 0);
	return 0;
}
