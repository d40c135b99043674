// SPDX-License-Identifier: GPL-2.0
/*
 * kfuncs: BPF programs (tracing, TC, XDP) read resources directly
 * (Documentation/bpf.rst).
 *
 * Lifetime: a lookup returns one version of a resource (struct cosi_res)
 * with a reference taken by refcount_inc_not_zero() under RCU; the
 * program must give it back with bpf_cosi_res_release() (the verifier
 * refuses a program that can exit holding it), and no kfunc lets it be
 * stored in a map.  A version is immutable and self-contained: the
 * kfuncs read only its own data, never ->coll, so the reference alone
 * keeps everything they touch alive, whatever happens to the resource,
 * its collection or its netns meanwhile.  The iterator (6.12) returns
 * versions under RCU only (KF_RCU_PROTECTED): valid until the program
 * leaves its RCU read section, which the verifier enforces.
 *
 * Module lifetime: a program that calls these kfuncs holds a reference
 * to cosi.ko (the verifier's btf_try_get_module() for the module's BTF)
 * from load until it is freed, so the module cannot be unloaded under it.
 *
 * No kfunc sleeps, takes cosi_net::lock or takes or drops a netns
 * reference: they run from softirq (TC, XDP), from tracepoints fired
 * under that lock, and from any context a tracing program attaches to.
 *
 * Access: only public types.  A BPF program's output (maps, ring buffers,
 * packet verdicts) is outside cosi's access checks, so a lookup or a walk
 * of a sensitive type fails with -EACCES for every program.  The check is
 * made at lookup against the definition current then; a handle already
 * held stays readable until released (as a reply already sent does).
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/xdp.h>

#include <linux/cosi_bpf.h>
#include "cosi.h"

/*
 * 6.2 brought __bpf_kfunc, 6.7 __bpf_kfunc_start_defs().  On 6.1 the
 * kfuncs are plain global functions, which nothing in C calls: nothing
 * inlines or drops them, and pahole puts them in the module's BTF.
 */
#ifndef __bpf_kfunc
#define __bpf_kfunc
#endif

/* The readers take acquired handles, and (6.12) the iterator's RCU ones. */
#ifdef KF_RCU
#define COSI_KF_READ	KF_RCU
#else
#define COSI_KF_READ	KF_TRUSTED_ARGS
#endif

static bool cosi_bpf_str_ok(const char *s, u32 size)
{
	return strnlen(s, size) < size && s[0];
}

/*
 * A lookup's key and options, copied from the program once: its memory
 * may be a map or .bss that user space changes meanwhile (mmap), so only
 * the copy is checked and used (as nf_conntrack_bpf copies its tuple).
 * Lifetime: the kfunc's stack frame.
 */
struct cosi_bpf_args {
	struct bpf_cosi_key key;
	struct bpf_cosi_opts opts;
};

/*
 * Copy and check @key and @opts into @a: 0 or -EINVAL.  NULL pointers
 * are checked here, as 6.1's verifier lets NULL through.  @with_id: a
 * lookup (a walk ignores the id).
 */
static int cosi_bpf_get_args(struct cosi_bpf_args *a,
			     const struct bpf_cosi_key *key, u32 key__sz,
			     const struct bpf_cosi_opts *opts, u32 opts__sz,
			     bool with_id)
{
	BUILD_BUG_ON(sizeof(a->opts) != BPF_COSI_OPTS_SZ);
	if (!key || key__sz != sizeof(*key) || !opts ||
	    opts__sz != BPF_COSI_OPTS_SZ)
		return -EINVAL;
	memcpy(&a->key, key, sizeof(a->key));
	memcpy(&a->opts, opts, sizeof(a->opts));
	if (!with_id)
		strscpy(a->key.id, "x", sizeof(a->key.id));
	if (a->opts.flags ||
	    memchr_inv(a->opts.reserved, 0, sizeof(a->opts.reserved)) ||
	    !cosi_bpf_str_ok(a->key.ns, sizeof(a->key.ns)) ||
	    !cosi_bpf_str_ok(a->key.type, sizeof(a->key.type)) ||
	    !cosi_bpf_str_ok(a->key.id, sizeof(a->key.id)))
		return -EINVAL;
	return 0;
}

/*
 * Where the error goes: nowhere when @opts itself is bad.  (@opts,
 * @opts__sz) is the verifier's memory/size pair, as nf_conntrack_bpf.c
 * takes its opts: the verifier checks the @opts__sz bytes at @opts, and
 * the kfunc accepts only @opts__sz == BPF_COSI_OPTS_SZ, so the struct can
 * grow with later sizes.  6.12 and Debian's 6.1.0-57 (with the backport
 * of "bpf: Fix helper writes to read-only maps", CVE-2024-49861) check
 * the pair for writing, so .rodata opts are refused at load; a kernel
 * without that fix would check it for reading only, and the error
 * written here would change memory the program was verified to read as
 * constant (tests/selftests/cosi_kfunc.c rodata_refused checks it on
 * both kernels cosi supports).
 */
static void cosi_bpf_set_error(struct bpf_cosi_opts *opts, u32 opts__sz,
			       int err)
{
	if (opts && opts__sz == BPF_COSI_OPTS_SZ)
		opts->error = err;
}

/*
 * The netns a lookup reads: @ctx_net, or the netns @netns_id names as
 * @ctx_net knows it.  RCU held; no reference is taken or dropped: the
 * last put_net() frees nothing itself but queues the netns's cleanup
 * (queue_work() of net_cleanup_work), and a tracing program may run
 * where that is not allowed - attached at tp_btf/workqueue_queue_work it
 * runs under the worker pool's raw spinlock (pool->lock), which
 * queue_work() would take again on the same CPU; likewise in NMI or hard
 * IRQ context.  Taking no reference is safe because cleanup_net()
 * removes a dying netns's ids from every netns (unhash_nsid()) and only
 * then waits for a grace period (synchronize_rcu() before the pernet
 * exits: ops_undo_list() on 6.12, cleanup_net() itself on 6.1) before
 * cosi_pernet_exit() empties its store: a netns found here keeps its
 * cosi_net and everything in it until rcu_read_unlock().  One already
 * dying (no reference left) reads as deleted.
 */
static struct net *cosi_bpf_net(struct net *ctx_net, s32 netns_id, int *err)
{
	struct net *net;

	/* No netns to resolve an id against: -EINVAL, whatever the id. */
	*err = -EINVAL;
	if (!ctx_net)
		return NULL;
	if (netns_id == BPF_COSI_NETNS_CURRENT)
		return ctx_net;
	if (netns_id < 0)
		return NULL;
	*err = -ENOENT;
	net = idr_find(&ctx_net->netns_ids, netns_id);
	return net && check_net(net) ? net : NULL;
}

static struct cosi_res *cosi_bpf_find(struct net *net,
				      const struct bpf_cosi_key *key, int *err)
{
	struct cosi_net *cn = cosi_pernet(net);
	const struct cosi_def *def;
	struct cosi_coll *coll;
	struct cosi_res *res;

	*err = -ENOENT;
	def = cosi_def_find(cn, key->type);
	if (!def)
		return NULL;
	if (READ_ONCE(def->sensitivity) != COSI_SENSITIVITY_PUBLIC) {
		*err = -EACCES;
		return NULL;
	}
	coll = cosi_coll_find(cn, key->ns, key->type);
	if (!coll)
		return NULL;
	res = cosi_res_find(cn, coll, key->id);
	if (!res || !refcount_inc_not_zero(&res->ref))
		return NULL;
	*err = 0;
	return res;
}

/* The lookups' common part; @ctx_net NULL when the context has none. */
static struct cosi_res *cosi_bpf_lookup(struct net *ctx_net,
					const struct bpf_cosi_key *key,
					u32 key__sz,
					struct bpf_cosi_opts *opts,
					u32 opts__sz)
{
	struct cosi_res *res = NULL;
	struct cosi_bpf_args a;
	struct net *net;
	int err;

	err = cosi_bpf_get_args(&a, key, key__sz, opts, opts__sz, true);
	if (err)
		goto out;
	rcu_read_lock();
	net = cosi_bpf_net(ctx_net, a.opts.netns_id, &err);
	if (net)
		res = cosi_bpf_find(net, &a.key, &err);
	rcu_read_unlock();
out:
	cosi_bpf_set_error(opts, opts__sz, err);
	return res;
}

/* A spec field's value attribute, or NULL. */
static const struct nlattr *cosi_bpf_field(const struct cosi_res *res,
					   const char *name, u32 name__sz)
{
	const struct nlattr *f, *a;
	int rem, arem;
	size_t len;

	if (!res || !name)
		return NULL;
	len = strnlen(name, name__sz);
	if (len == name__sz || !len)
		return NULL;
	nla_for_each_attr(f, (const struct nlattr *)res->spec, res->spec_len,
			  rem) {
		a = nla_data(f);
		arem = nla_len(f);
		if (!nla_ok(a, arem) || nla_type(a) != COSI_A_SPEC_FIELD_NAME ||
		    nla_len(a) != len + 1 || memcmp(nla_data(a), name, len))
			continue;
		a = nla_next(a, &arem);
		return nla_ok(a, arem) ? a : NULL;
	}
	return NULL;
}

/* Copy @len bytes of @src to @buf of @size: length, or -E2BIG if cut. */
static int cosi_bpf_copy(void *buf, u32 size, const void *src, u32 len)
{
	if (len <= size) {
		memcpy(buf, src, len);
		return len;
	}
	memcpy(buf, src, size);
	return -E2BIG;
}

/* A string into @buf, NUL-terminated even when cut. */
static int cosi_bpf_copy_str(char *buf, u32 size, const char *s)
{
	u32 len = strlen(s);
	int ret;

	if (!size)
		return -E2BIG;
	ret = cosi_bpf_copy(buf, size - 1, s, len);
	buf[ret < 0 ? size - 1 : len] = '\0';
	return ret;
}

static int cosi_bpf_spec_num(const struct cosi_res *res, const char *name,
			     u32 name__sz, int type, u64 *val)
{
	const struct nlattr *a;

	if (!res || !name || !val)
		return -EINVAL;
	a = cosi_bpf_field(res, name, name__sz);
	if (!a)
		return -ENOENT;
	if (nla_type(a) != type)
		return -EINVAL;
	*val = type == COSI_A_SPEC_FIELD_BOOL ? nla_get_u8(a) : nla_get_u64(a);
	return 0;
}

#ifdef __bpf_kfunc_start_defs
__bpf_kfunc_start_defs();
#else
__diag_push();
__diag_ignore_all("-Wmissing-prototypes",
		  "kfuncs are called from BPF programs only");
#endif

/**
 * bpf_cosi_lookup() - look a resource up from a tracing program
 * @key: namespace, type and id
 * @key__sz: sizeof(*key)
 * @opts: netns (BPF_COSI_NETNS_CURRENT: the current task's) and result
 * @opts__sz: sizeof(*opts): BPF_COSI_OPTS_SZ, the layout the program was
 *	      built with
 *
 * Return: the resource's current version, referenced (release it with
 * bpf_cosi_res_release()), or NULL with @opts->error set.
 */
__bpf_kfunc struct cosi_res *bpf_cosi_lookup(const struct bpf_cosi_key *key,
					     u32 key__sz,
					     struct bpf_cosi_opts *opts,
					     u32 opts__sz)
{
	struct net *net = NULL;

	/* Outside a task "current" is whoever was interrupted. */
	if (in_task() && current->nsproxy)
		net = current->nsproxy->net_ns;
	return cosi_bpf_lookup(net, key, key__sz, opts, opts__sz);
}

/**
 * bpf_skb_cosi_lookup() - look a resource up from a TC program
 * @skb_ctx: the program's context; its device's netns is the current one
 * @key: namespace, type and id
 * @key__sz: sizeof(*key)
 * @opts: netns and result
 * @opts__sz: sizeof(*opts): BPF_COSI_OPTS_SZ, the layout the program was
 *	      built with
 *
 * Return: as bpf_cosi_lookup().
 */
__bpf_kfunc struct cosi_res *bpf_skb_cosi_lookup(struct __sk_buff *skb_ctx,
						 const struct bpf_cosi_key *key,
						 u32 key__sz,
						 struct bpf_cosi_opts *opts,
						 u32 opts__sz)
{
	struct sk_buff *skb = (struct sk_buff *)skb_ctx;
	struct net *net = NULL;

	if (skb && skb->dev)
		net = dev_net(skb->dev);
	else if (skb && skb->sk)
		net = sock_net(skb->sk);
	return cosi_bpf_lookup(net, key, key__sz, opts, opts__sz);
}

/**
 * bpf_xdp_cosi_lookup() - look a resource up from an XDP program
 * @xdp_ctx: the program's context; its device's netns is the current one
 * @key: namespace, type and id
 * @key__sz: sizeof(*key)
 * @opts: netns and result
 * @opts__sz: sizeof(*opts): BPF_COSI_OPTS_SZ, the layout the program was
 *	      built with
 *
 * Return: as bpf_cosi_lookup().
 */
__bpf_kfunc struct cosi_res *bpf_xdp_cosi_lookup(struct xdp_md *xdp_ctx,
						 const struct bpf_cosi_key *key,
						 u32 key__sz,
						 struct bpf_cosi_opts *opts,
						 u32 opts__sz)
{
	struct xdp_buff *xdp = (struct xdp_buff *)xdp_ctx;

	return cosi_bpf_lookup(xdp ? dev_net(xdp->rxq->dev) : NULL, key,
			       key__sz, opts, opts__sz);
}

/**
 * bpf_cosi_res_release() - drop a reference from a lookup
 * @res: the version
 */
__bpf_kfunc void bpf_cosi_res_release(struct cosi_res *res)
{
	if (res)
		cosi_res_put(res);
}

/* Metadata of a version. */
__bpf_kfunc u64 bpf_cosi_res_version(const struct cosi_res *res)
{
	return res ? res->version : 0;
}

__bpf_kfunc u64 bpf_cosi_res_revision(const struct cosi_res *res)
{
	return res ? res->revision : 0;
}

__bpf_kfunc u32 bpf_cosi_res_phase(const struct cosi_res *res)
{
	return res ? res->phase : 0;
}

/**
 * bpf_cosi_res_spec_u64() - read an unsigned spec field
 * @res: the version
 * @name: the field's name, NUL-terminated within @name__sz
 * @name__sz: size of @name
 * @val: its value
 *
 * Return: 0, -ENOENT (no such field in the spec, or a bad name), -EINVAL
 * (the field has another type).  The _s64 and _bool readers are alike.
 */
__bpf_kfunc int bpf_cosi_res_spec_u64(const struct cosi_res *res,
				      const char *name, u32 name__sz, u64 *val)
{
	return cosi_bpf_spec_num(res, name, name__sz, COSI_A_SPEC_FIELD_U64,
				 val);
}

__bpf_kfunc int bpf_cosi_res_spec_s64(const struct cosi_res *res,
				      const char *name, u32 name__sz, s64 *val)
{
	return cosi_bpf_spec_num(res, name, name__sz, COSI_A_SPEC_FIELD_S64,
				 (u64 *)val);
}

__bpf_kfunc int bpf_cosi_res_spec_bool(const struct cosi_res *res,
				       const char *name, u32 name__sz,
				       u64 *val)
{
	return cosi_bpf_spec_num(res, name, name__sz, COSI_A_SPEC_FIELD_BOOL,
				 val);
}

/**
 * bpf_cosi_res_spec_str() - copy a string spec field
 * @res: the version
 * @name: the field's name, NUL-terminated within @name__sz
 * @name__sz: size of @name
 * @buf: where to copy it, always NUL-terminated
 * @buf__sz: size of @buf
 *
 * Return: its length (without the NUL), -E2BIG when @buf holds only the
 * start of it, or as bpf_cosi_res_spec_u64().
 */
__bpf_kfunc int bpf_cosi_res_spec_str(const struct cosi_res *res,
				      const char *name, u32 name__sz,
				      char *buf, u32 buf__sz)
{
	const struct nlattr *a;

	if (!res || !name || !buf)
		return -EINVAL;
	a = cosi_bpf_field(res, name, name__sz);
	if (!a)
		return -ENOENT;
	if (nla_type(a) != COSI_A_SPEC_FIELD_STRING)
		return -EINVAL;
	return cosi_bpf_copy_str(buf, buf__sz, nla_data(a));
}

/**
 * bpf_cosi_res_spec_bytes() - copy a bytes spec field
 * @res: the version
 * @name: the field's name, NUL-terminated within @name__sz
 * @name__sz: size of @name
 * @buf: where to copy it
 * @buf__sz: size of @buf
 *
 * Return: its length, -E2BIG when @buf holds only the start of it, or as
 * bpf_cosi_res_spec_u64().
 */
__bpf_kfunc int bpf_cosi_res_spec_bytes(const struct cosi_res *res,
					const char *name, u32 name__sz,
					void *buf, u32 buf__sz)
{
	const struct nlattr *a;

	if (!res || !name || !buf)
		return -EINVAL;
	a = cosi_bpf_field(res, name, name__sz);
	if (!a)
		return -ENOENT;
	if (nla_type(a) != COSI_A_SPEC_FIELD_BYTES)
		return -EINVAL;
	return cosi_bpf_copy(buf, buf__sz, nla_data(a), nla_len(a));
}

/**
 * bpf_cosi_res_label() - copy a label's value
 * @res: the version
 * @key: the label's key, NUL-terminated within @key__sz
 * @key__sz: size of @key
 * @buf: where to copy it, always NUL-terminated
 * @buf__sz: size of @buf
 *
 * Return: its length (without the NUL), -E2BIG when cut, -ENOENT (no such
 * label, or a bad key).
 */
__bpf_kfunc int bpf_cosi_res_label(const struct cosi_res *res,
				   const char *key, u32 key__sz,
				   char *buf, u32 buf__sz)
{
	char k[COSI_LABEL_KEY_MAX_LEN + 1];
	const char *val;

	if (!res || !key || !buf)
		return -EINVAL;
	/* A copy: the program's memory may change under strcmp(). */
	if (strscpy(k, key, min_t(u32, key__sz, sizeof(k))) <= 0)
		return -ENOENT;
	val = cosi_kv_find(res->labels, res->n_labels, k);
	if (!val)
		return -ENOENT;
	return cosi_bpf_copy_str(buf, buf__sz, val);
}

#ifdef __bpf_kfunc_end_defs
__bpf_kfunc_end_defs();
#else
__diag_pop();
#endif

#ifdef KF_ITER_NEW
/*
 * Open-coded iterator over the resources of one collection, in id order
 * (6.12).  Under RCU (KF_RCU_PROTECTED): each step finds the first id
 * after the last one returned with cosi_coll_next_rcu(), which checks
 * against the collection's by_id_seq that no writer changed the tree
 * during it (a lockless rbtree descent alone can miss nodes a rotation
 * moves), tries again a bounded number of times, and steps with rb_next()
 * instead of descending when the tree has not changed since the last
 * step.  What a walk guarantees is in Documentation/bpf.rst.
 */
struct bpf_iter_cosi_res {
	__u64 __opaque[3];
} __aligned(8);

/*
 * Lifetime: RCU only, both pointers: the collection and the versions
 * are freed after a grace period, and the program holds its RCU read
 * section over the walk (KF_RCU_PROTECTED).
 */
struct bpf_iter_cosi_res_kern {
	struct cosi_coll *coll;		/* NULL: nothing (left) to walk */
	struct cosi_res *last;		/* NULL: not started */
	unsigned int seq;		/* by_id_seq when @last was found */
} __aligned(8);

__bpf_kfunc_start_defs();

/**
 * bpf_iter_cosi_res_new() - start a walk of a collection
 * @it: the iterator
 * @key: namespace and type (the id is ignored)
 * @key__sz: sizeof(*key)
 * @opts: netns: BPF_COSI_NETNS_CURRENT is the current task's netns
 * @opts__sz: sizeof(*opts): BPF_COSI_OPTS_SZ, the layout the program was
 *	      built with
 *
 * Return: 0 (an empty walk when the collection does not exist), or
 * -EINVAL, -ENOENT (no such netns), -EACCES (sensitive type), as
 * @opts->error; the walk is empty then.
 */
__bpf_kfunc int bpf_iter_cosi_res_new(struct bpf_iter_cosi_res *it,
				      const struct bpf_cosi_key *key,
				      u32 key__sz, struct bpf_cosi_opts *opts,
				      u32 opts__sz)
{
	struct bpf_iter_cosi_res_kern *kit = (void *)it;
	struct net *ctx_net = NULL, *net;
	const struct cosi_def *def;
	struct cosi_bpf_args a;
	struct cosi_net *cn;
	int err;

	BUILD_BUG_ON(sizeof(*kit) != sizeof(*it));
	BUILD_BUG_ON(__alignof__(*kit) != __alignof__(*it));
	if (!it)
		return -EINVAL;
	kit->coll = NULL;
	kit->last = NULL;
	kit->seq = 1;			/* odd: no step to continue from */
	err = cosi_bpf_get_args(&a, key, key__sz, opts, opts__sz, false);
	if (err)
		goto out;
	if (in_task() && current->nsproxy)
		ctx_net = current->nsproxy->net_ns;
	rcu_read_lock();
	net = cosi_bpf_net(ctx_net, a.opts.netns_id, &err);
	if (!net) {
		rcu_read_unlock();
		goto out;
	}
	cn = cosi_pernet(net);
	def = cosi_def_find(cn, a.key.type);
	if (def && READ_ONCE(def->sensitivity) != COSI_SENSITIVITY_PUBLIC) {
		err = -EACCES;
	} else {
		err = 0;
		if (def)
			kit->coll = cosi_coll_find(cn, a.key.ns, a.key.type);
	}
	/*
	 * The collection is freed after a grace period.  This function
	 * takes its own rcu_read_lock() because its caller may hold none:
	 * 6.12's verifier accepts new() outside bpf_rcu_read_lock() in a
	 * sleepable program (lsm.s, fentry.s), marking the iterator
	 * untrusted so that next() and destroy() on it are refused (such a
	 * program cannot load, but new() must not count on that).  The
	 * collection kept in @kit past this unlock is followed only by
	 * next(), which the verifier allows only in the RCU read section
	 * new() ran in: bpf_rcu_read_unlock() makes the iterator untrusted,
	 * and a non-sleepable program runs in one read section throughout.
	 */
	rcu_read_unlock();
out:
	cosi_bpf_set_error(opts, opts__sz, err);
	return err;
}

/**
 * bpf_iter_cosi_res_next() - the next resource of a walk
 * @it: the iterator
 *
 * Return: a version, valid in the program's RCU read section, or NULL
 * at the end.
 */
__bpf_kfunc struct cosi_res *bpf_iter_cosi_res_next(struct bpf_iter_cosi_res *it)
{
	struct bpf_iter_cosi_res_kern *kit = (void *)it;
	struct cosi_res *res;

	if (!kit || !kit->coll)
		return NULL;
	res = cosi_coll_next_rcu(kit->coll, kit->last, &kit->seq);
	kit->last = res;
	if (!res)
		kit->coll = NULL;
	return res;
}

__bpf_kfunc void bpf_iter_cosi_res_destroy(struct bpf_iter_cosi_res *it)
{
}

__bpf_kfunc_end_defs();
#endif /* KF_ITER_NEW */

/*
 * Three sets, one per program type, so that each context reads the netns
 * it stands for: tracing the current task's (lookup, walk), TC the skb's
 * device's, XDP the receiving device's.  A TC program may run in a task
 * that is not the packet's (egress under a socket of another netns), and
 * a tracing program may hold an skb or xdp_buff it cannot vouch for.
 *
 * The kernel files sets by hook, not by program type: registering for
 * BPF_PROG_TYPE_TRACING fills BTF_KFUNC_HOOK_TRACING, which 6.12's
 * bpf_prog_type_to_kfunc_hook() (kernel/bpf/btf.c) also uses for
 * BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_PERF_EVENT and
 * BPF_PROG_TYPE_LSM (6.1's mapping was not checked here): those
 * programs get the tracing set too.  A PERF_EVENT program may run in
 * NMI, and any tracing program in hard IRQ: there in_task() is false,
 * so bpf_cosi_lookup() and the walk fail with -EINVAL and no reference
 * is ever taken, nor dropped (call_rcu() is not NMI-safe), outside a
 * task.
 * LSM programs may be sleepable (lsm.s), as may fentry.s: see
 * bpf_iter_cosi_res_new() for the walk there.
 */
#ifdef BTF_KFUNCS_START
#define COSI_KFUNCS_START(name)	BTF_KFUNCS_START(name)
#define COSI_KFUNCS_END(name)	BTF_KFUNCS_END(name)
#else
#define COSI_KFUNCS_START(name)	BTF_SET8_START(name)
#define COSI_KFUNCS_END(name)	BTF_SET8_END(name)
#endif

COSI_KFUNCS_START(cosi_kfunc_tracing_ids)
BTF_ID_FLAGS(func, bpf_cosi_lookup, KF_ACQUIRE | KF_RET_NULL)
#include "bpf_kfuncs_readers.h"
#ifdef KF_ITER_NEW
BTF_ID_FLAGS(func, bpf_iter_cosi_res_new, KF_ITER_NEW | KF_RCU_PROTECTED)
BTF_ID_FLAGS(func, bpf_iter_cosi_res_next,
	     KF_ITER_NEXT | KF_RET_NULL | KF_RCU_PROTECTED)
BTF_ID_FLAGS(func, bpf_iter_cosi_res_destroy, KF_ITER_DESTROY)
#endif
COSI_KFUNCS_END(cosi_kfunc_tracing_ids)

COSI_KFUNCS_START(cosi_kfunc_tc_ids)
BTF_ID_FLAGS(func, bpf_skb_cosi_lookup, KF_ACQUIRE | KF_RET_NULL)
#include "bpf_kfuncs_readers.h"
COSI_KFUNCS_END(cosi_kfunc_tc_ids)

COSI_KFUNCS_START(cosi_kfunc_xdp_ids)
BTF_ID_FLAGS(func, bpf_xdp_cosi_lookup, KF_ACQUIRE | KF_RET_NULL)
#include "bpf_kfuncs_readers.h"
COSI_KFUNCS_END(cosi_kfunc_xdp_ids)

static const struct btf_kfunc_id_set cosi_kfunc_tracing_set = {
	.owner	= THIS_MODULE,
	.set	= &cosi_kfunc_tracing_ids,
};

static const struct btf_kfunc_id_set cosi_kfunc_tc_set = {
	.owner	= THIS_MODULE,
	.set	= &cosi_kfunc_tc_ids,
};

static const struct btf_kfunc_id_set cosi_kfunc_xdp_set = {
	.owner	= THIS_MODULE,
	.set	= &cosi_kfunc_xdp_ids,
};

/*
 * Register the kfuncs for tracing, TC and XDP programs.  Without module
 * BTF, or with BTF ids left unresolved (a build without resolve_btfids),
 * the kernel would register nothing, or garbage, and only warn: that is
 * a load error here.
 */
int cosi_bpf_register(void)
{
	static const struct {
		enum bpf_prog_type type;
		const struct btf_kfunc_id_set *set;
	} sets[] = {
		{ BPF_PROG_TYPE_TRACING, &cosi_kfunc_tracing_set },
		{ BPF_PROG_TYPE_SCHED_CLS, &cosi_kfunc_tc_set },
		{ BPF_PROG_TYPE_XDP, &cosi_kfunc_xdp_set },
	};
	int i, err;

#ifdef CONFIG_DEBUG_INFO_BTF_MODULES
	if (!THIS_MODULE->btf_data_size) {
		pr_err("cosi: module has no BTF (built without the kernel's vmlinux BTF?): cannot register BPF kfuncs\n");
		return -ENOENT;
	}
#endif
	if (!cosi_kfunc_tracing_ids.cnt ||
	    !cosi_kfunc_tracing_ids.pairs[0].id) {
		pr_err("cosi: BTF ids unresolved (built without resolve_btfids): cannot register BPF kfuncs\n");
		return -ENOENT;
	}
	for (i = 0; i < ARRAY_SIZE(sets); i++) {
		err = register_btf_kfunc_id_set(sets[i].type, sets[i].set);
		if (err) {
			pr_err("cosi: registering BPF kfuncs failed: %d\n", err);
			return err;
		}
	}
	return 0;
}
