/* SPDX-License-Identifier: GPL-2.0 */
/* What the cosi_kfunc test programs report: one record per program type. */
#ifndef COSI_KFUNC_TEST_H
#define COSI_KFUNC_TEST_H

enum { KF_TC, KF_XDP, KF_TP, KF_NR };

struct kfunc_result {
	int runs;
	int lookup_err;			/* bpf_cosi_opts::error */
	int found;
	unsigned int phase;
	unsigned long long version, revision;
	int r_mtu, r_off, r_en, r_name, r_blob, r_label;
	int r_small, r_wrong, r_missing, r_nolabel;
	unsigned long long mtu, en;
	long long off;
	char name[64];
	unsigned char blob[16];
	char label[32];
	char small[4];
	/* Cut copies, and each numeric reader on a field of another type. */
	int r_blob_small, r_label_small;
	int r_s64_as_u64, r_u64_as_s64, r_bool_as_u64, r_u64_as_bool;
	int r_s64_as_bool, r_bool_as_s64;
	unsigned char blob_small[2];
	char label_small[4];
	unsigned long long untouched;	/* what the mismatches must not write */
};

/*
 * The NULL-argument programs (null_*): one per pointer argument, each
 * reporting the kfunc's return in null_ret[its case].
 */
enum {
	NULL_KEY, NULL_KEY0, NULL_OPTS, NULL_CTX, NULL_RES, NULL_U64, NULL_S64,
	NULL_BOOL, NULL_NAME, NULL_STR_BUF, NULL_BYTES_BUF, NULL_LABEL_KEY,
	NULL_LABEL_BUF, NULL_NR
};

#define NULL_NO_LOOKUP	1000	/* the resource to read was not found */

/* tc_race's outcomes. */
struct kfunc_race {
	unsigned long long found, einval, other;
};

/*
 * The iterator program's walk.  @bad counts resources out of order (the
 * spec's mtu, in id order in the tests, not above the one before) or
 * unreadable; @walks the walks; keep_* the resources no writer touches.
 */
struct kfunc_walk {
	int err;
	int count;
	int bad;
	int walks;
	unsigned long long mtu_sum;
	char first[16], last[16];
	/* Untouched resources: see cosi_kfunc_iter.bpf.c. */
	unsigned long long keep_every, keep_end;
	int keep_bad;			/* walks that got them wrong */
	unsigned long long keep_seen;	/* the kept one the last wrong walk
					 * expected where it first went wrong */
	/*
	 * Steps that failed their check every time (cosi_coll_next_rcu()
	 * left the sequence odd), which may skip: in the walk in progress,
	 * in all, and the walks that missed kept resources only where
	 * such a step could skip them (not in keep_bad);
	 * @steps counts every step seen, checked or not.
	 */
	int unchecked, unchecked_steps, keep_unchecked, steps;
};

#endif
