// SPDX-License-Identifier: GPL-2.0
/*
 * cosi_kfunc's programs: each reads the resource userspace names in
 * @key through every kfunc, from TC, XDP and a tracepoint, and reports
 * what it read in @res.  leak_ref and the *_refused programs must be
 * refused by the verifier; the null_* programs pass NULL for one pointer
 * argument each, which the verifier refuses or the kfunc fails (-EINVAL).
 * The alone_* programs load one at a time, for one test each.
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
struct bpf_cosi_opts nopts;
int null_ret[NULL_NR];
struct kfunc_race race;

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
	out->r_blob_small = bpf_cosi_res_spec_bytes(r, STR(blob),
						    out->blob_small,
						    sizeof(out->blob_small));
	out->r_label_small = bpf_cosi_res_label(r, STR(color),
						out->label_small,
						sizeof(out->label_small));
	out->untouched = 4242;
	out->r_s64_as_u64 = bpf_cosi_res_spec_u64(r, STR(offset),
						  &out->untouched);
	out->r_u64_as_s64 = bpf_cosi_res_spec_s64(r, STR(mtu),
						  (__s64 *)&out->untouched);
	out->r_bool_as_u64 = bpf_cosi_res_spec_u64(r, STR(enabled),
						   &out->untouched);
	out->r_u64_as_bool = bpf_cosi_res_spec_bool(r, STR(mtu),
						    &out->untouched);
	out->r_s64_as_bool = bpf_cosi_res_spec_bool(r, STR(offset),
						    &out->untouched);
	out->r_bool_as_s64 = bpf_cosi_res_spec_s64(r, STR(enabled),
						   (__s64 *)&out->untouched);
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

/* Lookups of a key user space rewrites meanwhile: counted by outcome. */
SEC("tc")
int tc_race(struct __sk_buff *skb)
{
	struct cosi_res *r = bpf_skb_cosi_lookup(skb, &key, sizeof(key),
						 &nopts, sizeof(nopts));

	if (r) {
		race.found++;
		bpf_cosi_res_release(r);
	} else if (nopts.error == -22) {	/* EINVAL */
		race.einval++;
	} else {
		race.other++;
	}
	return 0;
}

/* Program types a lookup is not for: each must be refused. */
SEC("tc")
int tc_task_refused(struct __sk_buff *skb)
{
	struct cosi_res *r = bpf_cosi_lookup(&key, sizeof(key), &opts[KF_TC],
					     sizeof(opts[KF_TC]));

	if (r)
		bpf_cosi_res_release(r);
	return 0;
}

SEC("xdp")
int xdp_task_refused(struct xdp_md *ctx)
{
	struct cosi_res *r = bpf_cosi_lookup(&key, sizeof(key), &opts[KF_XDP],
					     sizeof(opts[KF_XDP]));

	if (r)
		bpf_cosi_res_release(r);
	return XDP_PASS;
}

/* A tracing program's skb is not a TC context it may vouch for. */
SEC("tp_btf/kfree_skb")
int tp_skb_refused(u64 *ctx)
{
	struct __sk_buff *skb = (struct __sk_buff *)ctx[0];
	struct cosi_res *r = bpf_skb_cosi_lookup(skb, &key, sizeof(key),
						 &opts[KF_TP], sizeof(opts[KF_TP]));

	if (r)
		bpf_cosi_res_release(r);
	return 0;
}

SEC("tc")
int tc_xdp_refused(struct __sk_buff *skb)
{
	struct cosi_res *r = bpf_xdp_cosi_lookup((struct xdp_md *)skb, &key,
						 sizeof(key), &opts[KF_TC],
						 sizeof(opts[KF_TC]));

	if (r)
		bpf_cosi_res_release(r);
	return 0;
}

/* NULL for one pointer argument: refused by the verifier, or -EINVAL. */
#define NULL_LOOKUP(c, expr)						\
SEC("tc")								\
int null_##c(struct __sk_buff *skb)					\
{									\
	struct cosi_res *r = (expr);					\
									\
	null_ret[NULL_##c] = r ? 1 : nopts.error;			\
	if (r)								\
		bpf_cosi_res_release(r);				\
	return 0;							\
}

NULL_LOOKUP(KEY, bpf_skb_cosi_lookup(skb, NULL, sizeof(key), &nopts,
				     sizeof(nopts)))
NULL_LOOKUP(KEY0, bpf_skb_cosi_lookup(skb, NULL, 0, &nopts, sizeof(nopts)))
NULL_LOOKUP(OPTS, bpf_skb_cosi_lookup(skb, &key, sizeof(key), NULL,
				      sizeof(nopts)))
NULL_LOOKUP(CTX, bpf_skb_cosi_lookup(NULL, &key, sizeof(key), &nopts,
				     sizeof(nopts)))

#define NULL_READ(c, expr)						\
SEC("tc")								\
int null_##c(struct __sk_buff *skb)					\
{									\
	char name[] = "mtu", sname[] = "name", color[] = "color";	\
	char buf[16];							\
	__u64 v;							\
	struct cosi_res *r = bpf_skb_cosi_lookup(skb, &key, sizeof(key),\
						 &nopts, sizeof(nopts));\
									\
	(void)name; (void)sname; (void)color; (void)buf; (void)v;	\
	if (!r) {							\
		null_ret[NULL_##c] = NULL_NO_LOOKUP;			\
		return 0;						\
	}								\
	null_ret[NULL_##c] = (expr);					\
	bpf_cosi_res_release(r);					\
	return 0;							\
}

NULL_READ(RES, bpf_cosi_res_spec_u64(NULL, name, sizeof(name), &v))
NULL_READ(U64, bpf_cosi_res_spec_u64(r, name, sizeof(name), NULL))
NULL_READ(S64, bpf_cosi_res_spec_s64(r, name, sizeof(name), NULL))
NULL_READ(BOOL, bpf_cosi_res_spec_bool(r, name, sizeof(name), NULL))
NULL_READ(NAME, bpf_cosi_res_spec_u64(r, NULL, sizeof(name), &v))
NULL_READ(STR_BUF, bpf_cosi_res_spec_str(r, sname, sizeof(sname), NULL,
					 sizeof(buf)))
NULL_READ(BYTES_BUF, bpf_cosi_res_spec_bytes(r, sname, sizeof(sname), NULL,
					     sizeof(buf)))
NULL_READ(LABEL_KEY, bpf_cosi_res_label(r, NULL, sizeof(color), buf,
					sizeof(buf)))
NULL_READ(LABEL_BUF, bpf_cosi_res_label(r, color, sizeof(color), NULL,
					sizeof(buf)))

/* A handle used after its release: refused (tc_read releases last). */
SEC("tc")
int use_after_release_refused(struct __sk_buff *skb)
{
	struct cosi_res *r = bpf_skb_cosi_lookup(skb, &key, sizeof(key),
						 &nopts, sizeof(nopts));

	if (!r)
		return 0;
	bpf_cosi_res_release(r);
	return bpf_cosi_res_version(r) ? 1 : 0;
}

/*
 * Read-only memory where a kfunc writes: frozen .rodata, which the
 * verified code reads as constants.  Each must be refused: opts (the
 * error), a buffer of constant or of variable size, a value.
 */
const volatile struct bpf_cosi_opts ro_opts = {
	.netns_id = BPF_COSI_NETNS_CURRENT,
};
const volatile char ro_buf[8];
const volatile __u64 ro_val;
__u32 var_sz;

SEC("tc")
int rodata_opts_refused(struct __sk_buff *skb)
{
	struct cosi_res *r;

	r = bpf_skb_cosi_lookup(skb, &key, sizeof(key),
				(struct bpf_cosi_opts *)&ro_opts,
				sizeof(ro_opts));
	if (r)
		bpf_cosi_res_release(r);
	return ro_opts.error;
}

#define RODATA_READ(c, expr)						\
SEC("tc")								\
int rodata_##c##_refused(struct __sk_buff *skb)				\
{									\
	char color[] = "color", mtu[] = "mtu";				\
	struct cosi_res *r = bpf_skb_cosi_lookup(skb, &key, sizeof(key),\
						 &nopts, sizeof(nopts));\
	int ret;							\
									\
	(void)color; (void)mtu;						\
	if (!r)								\
		return 0;						\
	ret = (expr);							\
	bpf_cosi_res_release(r);					\
	return ret;							\
}

RODATA_READ(buf, bpf_cosi_res_label(r, color, sizeof(color), (char *)ro_buf,
				    sizeof(ro_buf)))
RODATA_READ(buf_var, bpf_cosi_res_label(r, color, sizeof(color),
					(char *)ro_buf, var_sz & 8))
RODATA_READ(val, bpf_cosi_res_spec_u64(r, mtu, sizeof(mtu), (__u64 *)&ro_val))

/*
 * Lookups where the context has no netns: a tracing program in softirq,
 * where in_task() is false.  Once, on the first softirq after
 * userspace sets @irq_armed: the task's netns (-1) and a netns id (7)
 * must both fail with -EINVAL (no netns to resolve an id against).
 */
int irq_armed, irq_claim, irq_done, irq_found;
struct bpf_cosi_opts irq_opts[2];

SEC("tp_btf/softirq_entry")
int alone_irq_noctx(void *ctx)
{
	struct cosi_res *r;

	/* Once (two CPUs racing here would write the same results). */
	if (!irq_armed || irq_claim)
		return 0;
	irq_claim = 1;
	r = bpf_cosi_lookup(&key, sizeof(key), &irq_opts[0],
			    sizeof(irq_opts[0]));
	if (r) {
		irq_found++;
		bpf_cosi_res_release(r);
	}
	r = bpf_cosi_lookup(&key, sizeof(key), &irq_opts[1],
			    sizeof(irq_opts[1]));
	if (r) {
		irq_found++;
		bpf_cosi_res_release(r);
	}
	irq_done = 1;
	return 0;
}

/*
 * Packet memory as a kfunc's buffer (TC): the verifier checks only its
 * bounds, and the kfunc writes into the packet as it is, with no unclone
 * (Documentation/bpf.rst).  @pkt_ret: the copy's return.
 */
int pkt_ret;

SEC("tc")
int alone_pkt_buf(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	char f_name[] = "name";
	struct cosi_res *r;

	pkt_ret = -1;
	if (data + 16 > end)
		return 0;
	r = bpf_skb_cosi_lookup(skb, &key, sizeof(key), &opts[KF_TC],
				sizeof(opts[KF_TC]));
	if (!r)
		return 0;
	pkt_ret = bpf_cosi_res_spec_str(r, f_name, sizeof(f_name), data, 16);
	bpf_cosi_res_release(r);
	return 0;
}
