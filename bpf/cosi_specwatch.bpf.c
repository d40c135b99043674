// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-specwatch, BPF side: at each change of a resource of one type,
 * read the named spec fields of its new version through cosi.ko's
 * kfuncs, in the writer's context, and pass them to user space.  No
 * syscall reads the resource: the program sees it at the tracepoint the
 * write fires.
 */
#include "cosi_vmlinux.h"
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

/*
 * The record is built here, then copied to the ring buffer: ring buffer
 * memory is itself a reference, and 6.1's verifier refuses a kfunc call
 * that passes two (the version and the buffer).  The names are writable
 * copies: kfunc (pointer, size) arguments are not const.
 */
struct scratch {
	struct specwatch_ev ev;
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

static __always_inline void read_fields(struct scratch *s, struct cosi_res *r)
{
	struct specwatch_ev *e = &s->ev;
	__u32 i;
	__s64 sval;
	int ret;

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
}

SEC("tp_btf/cosi_resource_change")
int BPF_PROG(spec_change, const struct cosi_net *cn,
	     const struct cosi_event *ev)
{
	struct bpf_cosi_opts opts = { .netns_id = BPF_COSI_NETNS_CURRENT };
	struct task_struct *task = bpf_get_current_task_btf();
	struct specwatch_ev *e;
	struct cosi_coll *coll;
	struct cosi_res *res, *r;
	struct scratch *s;
	__u32 idx = 0;

	if (!cn || !ev)
		return 0;
	res = BPF_CORE_READ(ev, res);
	coll = BPF_CORE_READ(res, coll);
	s = bpf_map_lookup_elem(&scratch, &idx);
	if (!s)
		return 0;
	/* Every field user space reads is set below: no memset of ~1 KiB. */
	e = &s->ev;
	e->version = 0;
	if (bpf_probe_read_kernel_str(e->key.type, sizeof(e->key.type),
				      BPF_CORE_READ(coll, type)) < 0 ||
	    bpf_strncmp(e->key.type, sizeof(e->key.type), (const char *)want_type))
		return 0;
	if (bpf_probe_read_kernel_str(e->key.ns, sizeof(e->key.ns),
				      (const char *)coll +
				      bpf_core_field_offset(struct cosi_coll, key)) < 0 ||
	    bpf_probe_read_kernel_str(e->key.id, sizeof(e->key.id),
				      BPF_CORE_READ(res, id)) < 0)
		return 0;

	/*
	 * The lookup reads the writer's netns; a program has no netns id
	 * for the event's, so a change made through a socket of another
	 * netns is reported, not read (Documentation/bpf.rst).
	 */
	if (BPF_CORE_READ(cn, net) != BPF_CORE_READ(task, nsproxy, net_ns)) {
		e->error = -18;	/* EXDEV */
		goto out;
	}
	r = bpf_cosi_lookup(&e->key, sizeof(e->key), &opts, sizeof(opts));
	e->error = opts.error;
	if (r) {		/* else destroyed: no current version */
		e->version = bpf_cosi_res_version(r);
		read_fields(s, r);
		bpf_cosi_res_release(r);
	}
out:
	bpf_ringbuf_output(&events, e, sizeof(*e), 0);
	return 0;
}
