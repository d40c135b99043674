// SPDX-License-Identifier: GPL-2.0
/*
 * cosi_kfunc's programs: each reads the resource userspace names in
 * @key through every kfunc, from TC, XDP and a tracepoint, and reports
 * what it read in @res; leak_ref must be refused by the verifier.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cosi_bpf.h"
#include "cosi_kfuncs.h"
#include "cosi_kfunc.h"

char LICENSE[] SEC("license") = "GPL";

struct bpf_cosi_key key;
struct bpf_cosi_opts opts[KF_NR];
struct kfunc_result res[KF_NR];
int tp_tgid;

/* Names go in writable memory: the kfuncs' (pointer, size) pairs are not const. */
#define STR(s) s, sizeof(s)

static __always_inline void read_all(struct cosi_res *r, struct kfunc_result *out)
{
	char mtu[] = "mtu", offset[] = "offset", enabled[] = "enabled";
	char name[] = "name", blob[] = "blob", color[] = "color";
	char nope[] = "nope";

	out->found = 1;
	out->version = bpf_cosi_res_version(r);
	out->revision = bpf_cosi_res_revision(r);
	out->phase = bpf_cosi_res_phase(r);
	out->r_mtu = bpf_cosi_res_spec_u64(r, STR(mtu), &out->mtu);
	out->r_off = bpf_cosi_res_spec_s64(r, STR(offset), &out->off);
	out->r_en = bpf_cosi_res_spec_bool(r, STR(enabled), &out->en);
	out->r_name = bpf_cosi_res_spec_str(r, STR(name), out->name,
					    sizeof(out->name));
	out->r_blob = bpf_cosi_res_spec_bytes(r, STR(blob), out->blob,
					      sizeof(out->blob));
	out->r_label = bpf_cosi_res_label(r, STR(color), out->label,
					  sizeof(out->label));
	out->r_small = bpf_cosi_res_spec_str(r, STR(name), out->small,
					     sizeof(out->small));
	out->r_wrong = bpf_cosi_res_spec_u64(r, STR(name), &out->mtu);
	out->r_missing = bpf_cosi_res_spec_u64(r, STR(nope), &out->en);
	out->r_nolabel = bpf_cosi_res_label(r, STR(nope), out->small,
					    sizeof(out->small));
	bpf_cosi_res_release(r);
}

static __always_inline void done(struct cosi_res *r, int t)
{
	res[t].runs++;
	res[t].lookup_err = opts[t].error;
	res[t].found = 0;
	if (r)
		read_all(r, &res[t]);
}

SEC("tc")
int tc_read(struct __sk_buff *skb)
{
	done(bpf_skb_cosi_lookup(skb, &key, sizeof(key), &opts[KF_TC],
				 sizeof(opts[KF_TC])), KF_TC);
	return 0;
}

SEC("xdp")
int xdp_read(struct xdp_md *ctx)
{
	done(bpf_xdp_cosi_lookup(ctx, &key, sizeof(key), &opts[KF_XDP],
				 sizeof(opts[KF_XDP])), KF_XDP);
	return XDP_PASS;
}

/* At every change the test makes: no syscall, no lock taken. */
SEC("tp_btf/cosi_resource_change")
int tp_read(u64 *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != tp_tgid)
		return 0;
	done(bpf_cosi_lookup(&key, sizeof(key), &opts[KF_TP],
			     sizeof(opts[KF_TP])), KF_TP);
	return 0;
}

/* Never loaded with the others: the verifier must refuse the leak. */
SEC("tc")
int leak_ref(struct __sk_buff *skb)
{
	struct cosi_res *r = bpf_skb_cosi_lookup(skb, &key, sizeof(key),
						 &opts[KF_TC], sizeof(opts[KF_TC]));

	return r ? 1 : 0;
}
