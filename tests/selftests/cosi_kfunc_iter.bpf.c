// SPDX-License-Identifier: GPL-2.0
/*
 * cosi_kfunc's iterator programs (6.12): walk walks the collection named
 * by @key with the open-coded iterator, from a tracing program run by
 * BPF_PROG_TEST_RUN, and reports the walk in @walk.  The walk reads the
 * current task's netns: TC and XDP programs must be refused.  @walk's
 * keep_every/keep_end (set by userspace) name the resources no writer
 * touches: those whose number (mtu - 1) is a multiple of keep_every,
 * below keep_end; a walk that does not see each of them exactly once, in
 * order, counts in keep_bad, or in keep_unchecked if each one it missed
 * was missed where a step failed its check every time (step_checked):
 * such a step may skip, but only what lies between the resource before
 * it and the one it returns.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "cosi_bpf.h"
#include "cosi_kfuncs.h"
#include "cosi_kfunc.h"

char LICENSE[] SEC("license") = "GPL";

struct bpf_cosi_key key;
struct bpf_cosi_opts opts;
struct kfunc_walk walk;

int walk_tgid;

SEC("fentry/bpf_fentry_test1")
int BPF_PROG(walk_prog, int a)
{
	struct bpf_iter_cosi_res it;
	struct cosi_res *r;
	char f_mtu[] = "mtu", f_name[] = "name";
	__u64 mtu, prev = 0, k, next_keep = 0, missed = 0;
	bool wrong = false, skipped = false;
	int n, u_keep = 0;

	if ((bpf_get_current_pid_tgid() >> 32) != walk_tgid)
		return 0;
	walk.count = 0;
	walk.mtu_sum = 0;
	walk.unchecked = 0;
	walk.err = bpf_iter_cosi_res_new(&it, &key, sizeof(key), &opts,
					 sizeof(opts));
	/* What bpf_for_each(cosi_res, r, ...) expands to, for libbpf < 1.2. */
	while ((r = bpf_iter_cosi_res_next(&it))) {
		mtu = 0;
		if (bpf_cosi_res_spec_u64(r, f_mtu, sizeof(f_mtu), &mtu) ||
		    mtu <= prev)
			walk.bad++;
		prev = mtu;
		walk.mtu_sum += mtu;
		k = mtu - 1;
		/*
		 * A kept resource missed between the last one seen and
		 * this one was skipped by one of the steps since: allowed
		 * only if one of those was unchecked (walk.unchecked moved
		 * since u_keep); then the walk goes on from this one.
		 */
		if (walk.keep_every && k % walk.keep_every == 0 &&
		    k < walk.keep_end) {
			if (k > next_keep && walk.unchecked != u_keep)
				skipped = true;
			else if (k != next_keep && !wrong) {
				wrong = true;	/* skipped when checked, or again */
				missed = next_keep;
			}
			next_keep = k + walk.keep_every;
			u_keep = walk.unchecked;
		}
		if (!walk.count)
			n = bpf_cosi_res_spec_str(r, f_name, sizeof(f_name),
						  walk.first,
						  sizeof(walk.first));
		else
			n = bpf_cosi_res_spec_str(r, f_name, sizeof(f_name),
						  walk.last, sizeof(walk.last));
		if (n <= 0)
			walk.bad++;
		walk.count++;
	}
	bpf_iter_cosi_res_destroy(&it);
	if (walk.keep_every && next_keep < walk.keep_end) {
		if (walk.unchecked != u_keep)
			skipped = true;		/* the end step unchecked */
		else if (!wrong) {
			wrong = true;		/* the walk ended early */
			missed = next_keep;
		}
	}
	if (wrong) {
		walk.keep_bad++;
		walk.keep_seen = missed;
	} else if (skipped) {
		walk.keep_unchecked++;
	}
	walk.walks++;
	return 0;
}

struct cosi_coll;

/*
 * After each step of walk_prog's walk: cosi_coll_next_rcu() leaves @seq
 * odd when the step failed its check every time and kept an unchecked
 * descent, which may skip what a rotation hid (Documentation/bpf.rst).
 */
SEC("fexit/cosi_coll_next_rcu")
int BPF_PROG(step_checked, struct cosi_coll *coll, const struct cosi_res *last,
	     unsigned int *seq, struct cosi_res *ret)
{
	unsigned int s = 0;

	if ((bpf_get_current_pid_tgid() >> 32) != walk_tgid)
		return 0;
	walk.steps++;
	if (bpf_probe_read_kernel(&s, sizeof(s), seq) || (s & 1)) {
		walk.unchecked++;
		walk.unchecked_steps++;
	}
	return 0;
}

static __always_inline void count_walk(void)
{
	struct bpf_iter_cosi_res it;

	bpf_iter_cosi_res_new(&it, &key, sizeof(key), &opts, sizeof(opts));
	while (bpf_iter_cosi_res_next(&it))
		walk.count++;
	bpf_iter_cosi_res_destroy(&it);
}

SEC("tc")
int tc_iter_refused(struct __sk_buff *skb)
{
	count_walk();
	return 0;
}

SEC("xdp")
int xdp_iter_refused(struct xdp_md *ctx)
{
	count_walk();
	return XDP_PASS;
}

/* An iterator's element is RCU-protected, not referenced: no release. */
SEC("fentry/bpf_fentry_test1")
int BPF_PROG(iter_release_refused, int a)
{
	struct bpf_iter_cosi_res it;
	struct cosi_res *r;

	bpf_iter_cosi_res_new(&it, &key, sizeof(key), &opts, sizeof(opts));
	r = bpf_iter_cosi_res_next(&it);
	if (r)
		bpf_cosi_res_release(r);
	bpf_iter_cosi_res_destroy(&it);
	return 0;
}

/*
 * A walk where the context has no netns (softirq: in_task() false):
 * -EINVAL for the task's netns and for a netns id alike.
 */
int irq_armed, irq_claim, irq_done, irq_count;
int irq_err[2];
struct bpf_cosi_opts irq_opts[2];

SEC("tp_btf/softirq_entry")
int irq_walk(void *ctx)
{
	struct bpf_iter_cosi_res it;

	/* Once (two CPUs racing here would write the same results). */
	if (!irq_armed || irq_claim)
		return 0;
	irq_claim = 1;
	irq_err[0] = bpf_iter_cosi_res_new(&it, &key, sizeof(key),
					   &irq_opts[0], sizeof(irq_opts[0]));
	while (bpf_iter_cosi_res_next(&it))
		irq_count++;
	bpf_iter_cosi_res_destroy(&it);
	irq_err[1] = bpf_iter_cosi_res_new(&it, &key, sizeof(key),
					   &irq_opts[1], sizeof(irq_opts[1]));
	while (bpf_iter_cosi_res_next(&it))
		irq_count++;
	bpf_iter_cosi_res_destroy(&it);
	irq_done = 1;
	return 0;
}
