// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel API (include/cosi/kwatch.h): kernel watches, the lookup
 * helper and read-only accessors of resource versions.
 *
 * A kernel watch is on its collection's kwatchers list (or, with an id
 * filter, in its netns's id_kwatches index) and its netns's kwatches
 * list, all under cosi_net::lock, and counts as a watcher of
 * the collection (keeping it) and of the netns (max_watchers).  Its
 * callback runs from cosi_watch_notify(), i.e. in the writer's task,
 * under cosi_net::lock and rcu_read_lock(): callbacks of a netns are
 * serialised and in revision order, none can be running once
 * cosi_kwatch_unregister() has taken and released the lock, and no event
 * has to be queued (nothing to allocate, nothing to lose).
 *
 * cosi_kwatch_mutex serialises registration, unregistration and the
 * detaching of a dying netns's watches; it nests outside cosi_net::lock.
 * kw->cn is NULL once the watch is detached.
 */
#include <linux/export.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <cosi/kwatch.h>
#include "cosi.h"

static_assert((int)COSI_KEVENT_CREATED == (int)COSI_EVENT_KIND_CREATED);
static_assert((int)COSI_KEVENT_UPDATED == (int)COSI_EVENT_KIND_UPDATED);
static_assert((int)COSI_KEVENT_DESTROYED == (int)COSI_EVENT_KIND_DESTROYED);
static_assert((int)COSI_KPHASE_RUNNING == (int)COSI_PHASE_RUNNING);
static_assert((int)COSI_KPHASE_TEARING_DOWN == (int)COSI_PHASE_TEARING_DOWN);

/* The public handle of a version is the version itself. */
struct cosi_kres {
	struct cosi_res res;
};

static const struct cosi_res *kres(const struct cosi_kres *k)
{
	return &k->res;
}

static const struct cosi_kres *to_kres(const struct cosi_res *res)
{
	return container_of(res, const struct cosi_kres, res);
}

struct cosi_kwatch {
	/*
	 * Without an id filter, in coll->kwatchers (@coll_node); with one, in
	 * cosi_net::id_kwatches (@id_node).  From registration to
	 * cosi_kwatch_detach(), under cosi_net::lock.
	 */
	struct list_head coll_node;
	struct cosi_id_node id_node;
	struct list_head net_node;	/* cn->kwatches */
	struct cosi_net *cn;		/* NULL once detached */
	struct cosi_coll *coll;
	const struct cosi_kwatch_ops *ops;
	void *priv;
	struct cosi_queries *query;	/* NULL: all */
	char *id;			/* NULL: all ids */
};

static DEFINE_MUTEX(cosi_kwatch_mutex);

/* Label selector: one query whose terms are equal (or exists) terms. */
static struct cosi_queries *cosi_kwatch_query(const struct cosi_klabel *l,
					      unsigned int n)
{
	struct cosi_queries *q;
	struct cosi_term *terms;
	const char **values;
	size_t size, strings = 0;
	unsigned int i, nv = 0;
	char *buf;

	if (!n)
		return NULL;
	if (!l || n > COSI_MAX_TERMS)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < n; i++) {
		if (!l[i].key || strlen(l[i].key) > COSI_LABEL_KEY_MAX_LEN ||
		    !cosi_name_valid(l[i].key, COSI_NAME_PRINTABLE))
			return ERR_PTR(-EINVAL);
		strings += strlen(l[i].key) + 1;
		if (l[i].value) {
			if (strlen(l[i].value) > COSI_LABEL_VALUE_MAX_LEN)
				return ERR_PTR(-EINVAL);
			strings += strlen(l[i].value) + 1;
			nv++;
		}
	}
	size = struct_size(q, q, 1) + n * sizeof(*terms) +
	       nv * sizeof(*values) + strings;
	q = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	terms = (struct cosi_term *)&q->q[1];
	values = (const char **)&terms[n];
	buf = (char *)&values[nv];
	q->n = 1;
	q->q[0].terms = terms;
	q->q[0].n_terms = n;
	for (i = 0; i < n; i++) {
		struct cosi_term *t = &terms[i];

		t->key = cosi_put_str(&buf, l[i].key);
		if (!l[i].value) {
			t->op = COSI_LABEL_OP_EXISTS;
			continue;
		}
		t->op = COSI_LABEL_OP_EQUAL;
		t->values = values;
		t->n_values = 1;
		*values++ = cosi_put_str(&buf, l[i].value);
	}
	return q;
}

static bool cosi_kname_ok(const char *s, size_t max, enum cosi_name_kind kind)
{
	return s && strnlen(s, max + 1) <= max && cosi_name_valid(s, kind);
}

static void cosi_kwatch_free(struct cosi_kwatch *kw)
{
	kfree(kw->query);
	kfree(kw->id);
	kfree(kw);
	atomic_long_dec(&cosi_nr_objects);
}

static void cosi_kwatch_call(struct cosi_net *cn, struct cosi_kwatch *kw,
			     const struct cosi_event *ev, u8 kind)
{
	struct cosi_kevent kev = {
		.net = cn->net,
		.ns = cosi_coll_ns(kw->coll),
		.type = kw->coll->type,
		.kind = kind,
		.revision = ev->rev,
		.res = to_kres(ev->res),
		.old = ev->old ? to_kres(ev->old) : NULL,
	};

	rcu_read_lock();
	kw->ops->changed(&kev, kw->priv);
	rcu_read_unlock();
}

/* Called by cosi_kwatch_notify() when the collection has kernel watches. */
void __cosi_kwatch_notify(struct cosi_net *cn, const struct cosi_event *ev)
{
	struct cosi_coll *coll = ev->res->coll;
	struct cosi_kwatch *kw;
	struct cosi_id_node *n;
	u32 hash;
	u8 kind;

	lockdep_assert_held(&cn->lock);
	list_for_each_entry(kw, &coll->kwatchers, coll_node) {
		kind = cosi_filter_kind(kw->id, kw->query, ev);
		if (kind)
			cosi_kwatch_call(cn, kw, ev, kind);
	}
	if (!coll->nr_id_kwatches)
		return;
	/* The watches of the change's id only. */
	hash = cosi_id_hash(cn, coll, ev->res->id);
	hlist_for_each_entry(n, cosi_id_bucket(&cn->id_kwatches, hash), node) {
		kw = container_of(n, struct cosi_kwatch, id_node);
		if (n->hash != hash || kw->coll != coll)
			continue;
		kind = cosi_filter_kind(kw->id, kw->query, ev);
		if (kind)
			cosi_kwatch_call(cn, kw, ev, kind);
	}
}

/*
 * Unlike a netlink watch's listing (cosi_watch_list()), this holds
 * cosi_net::lock throughout (one descent per resource): the API promises
 * every bootstrap event before any live one, in id order, and a kernel
 * watch has no queue to hold the live events that writers let in midway
 * would make.  It runs once per registration, by kernel code.
 */
static void cosi_kwatch_bootstrap(struct cosi_net *cn, struct cosi_kwatch *kw)
{
	struct cosi_event ev = { .kind = COSI_EVENT_KIND_CREATED };
	struct cosi_res *res;

	if (kw->id) {
		res = cosi_res_find(cn, kw->coll, kw->id);
		if (res && cosi_queries_match(kw->query, res->labels,
					      res->n_labels)) {
			ev.res = res;
			ev.rev = res->revision;
			cosi_kwatch_call(cn, kw, &ev, ev.kind);
		}
		return;
	}
	for (res = cosi_coll_next(kw->coll, "", true); res;
	     res = cosi_coll_next(kw->coll, res->id, false)) {
		if (!cosi_queries_match(kw->query, res->labels, res->n_labels))
			continue;
		ev.res = res;
		ev.rev = res->revision;
		cosi_kwatch_call(cn, kw, &ev, ev.kind);
	}
}

/**
 * cosi_kwatch_register() - watch changes of resources from the kernel
 * @net: network namespace of the store; the caller holds a reference on
 *	it (or runs in its own pernet init) for the duration of the call.
 *	The watch does not keep @net alive: see &cosi_kwatch_ops.netns_gone.
 * @f: what to watch: namespace, type, optional id and label terms;
 *	copied, so it may be freed after the call
 * @ops: callbacks; valid until cosi_kwatch_unregister() returns
 * @priv: passed to the callbacks
 *
 * Reports every later change committed in @net that matches @f, and with
 * %COSI_KWATCH_BOOTSTRAP first every matching resource (from this call,
 * with the same context as live events).  Kernel watches count against
 * the max_watchers limit of the netns.  Process context; may sleep.
 *
 * Return: the watch, or an ERR_PTR(): -EINVAL for a malformed filter or
 * missing ops->changed, -ENOSPC when the netns has max_watchers watches,
 * -ENOMEM.
 */
struct cosi_kwatch *cosi_kwatch_register(struct net *net,
					 const struct cosi_kwatch_filter *f,
					 const struct cosi_kwatch_ops *ops,
					 void *priv)
{
	struct cosi_net *cn;
	struct cosi_kwatch *kw;
	int err;

	might_sleep();
	if (!net || !f || !ops || !ops->changed ||
	    (f->flags & ~COSI_KWATCH_BOOTSTRAP) ||
	    !cosi_kname_ok(f->ns, COSI_NAMESPACE_MAX_LEN, COSI_NAME_DNS) ||
	    !cosi_kname_ok(f->type, COSI_TYPE_MAX_LEN, COSI_NAME_DNS) ||
	    (f->id && !cosi_kname_ok(f->id, COSI_ID_MAX_LEN,
				     COSI_NAME_PRINTABLE)))
		return ERR_PTR(-EINVAL);

	kw = kzalloc(sizeof(*kw), GFP_KERNEL_ACCOUNT);
	if (!kw)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&cosi_nr_objects);
	INIT_LIST_HEAD(&kw->coll_node);
	INIT_HLIST_NODE(&kw->id_node.node);
	INIT_LIST_HEAD(&kw->net_node);
	kw->ops = ops;
	kw->priv = priv;
	kw->query = cosi_kwatch_query(f->labels, f->n_labels);
	if (IS_ERR(kw->query)) {
		err = PTR_ERR(kw->query);
		kw->query = NULL;
		goto err_free;
	}
	if (f->id) {
		err = -ENOMEM;
		kw->id = kstrdup(f->id, GFP_KERNEL_ACCOUNT);
		if (!kw->id)
			goto err_free;
	}

	cn = cosi_pernet(net);
	mutex_lock(&cosi_kwatch_mutex);
	cosi_net_lock(cn);
	err = -ENOSPC;
	if (cn->nr_watchers >= READ_ONCE(cosi_max_watchers))
		goto err_unlock;
	err = -ENOMEM;
	kw->coll = cosi_coll_get(cn, f->ns, f->type);
	if (!kw->coll)
		goto err_unlock;
	if (kw->id) {
		if (cosi_id_index_add(&cn->id_kwatches, &kw->id_node,
				      cosi_id_hash(cn, kw->coll, kw->id))) {
			cosi_coll_put(cn, kw->coll);
			goto err_unlock;
		}
		kw->coll->nr_id_kwatches++;
	} else {
		list_add_tail(&kw->coll_node, &kw->coll->kwatchers);
	}
	kw->cn = cn;
	list_add_tail(&kw->net_node, &cn->kwatches);
	cn->nr_watchers++;
	if (f->flags & COSI_KWATCH_BOOTSTRAP)
		cosi_kwatch_bootstrap(cn, kw);
	mutex_unlock(&cn->lock);
	mutex_unlock(&cosi_kwatch_mutex);
	return kw;

err_unlock:
	mutex_unlock(&cn->lock);
	mutex_unlock(&cosi_kwatch_mutex);
err_free:
	cosi_kwatch_free(kw);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(cosi_kwatch_register);

/* Unlink a watch from its netns; under both locks. */
static void cosi_kwatch_detach(struct cosi_net *cn, struct cosi_kwatch *kw)
{
	lockdep_assert_held(&cosi_kwatch_mutex);
	lockdep_assert_held(&cn->lock);
	if (kw->id) {
		cosi_id_index_del(&cn->id_kwatches, &kw->id_node);
		kw->coll->nr_id_kwatches--;
	} else {
		list_del_init(&kw->coll_node);
	}
	list_del_init(&kw->net_node);
	cn->nr_watchers--;
	cosi_coll_put(cn, kw->coll);	/* the watch's */
	kw->coll = NULL;
	kw->cn = NULL;
}

/**
 * cosi_kwatch_unregister() - stop and free a kernel watch
 * @kw: a watch from cosi_kwatch_register(), or NULL or an ERR_PTR()
 *	(ignored)
 *
 * When this returns, no callback of @kw runs or will run, and @kw is
 * freed.  Also to be called for a watch whose netns is gone.  Process
 * context; may sleep; not from the watch's own callbacks.
 */
void cosi_kwatch_unregister(struct cosi_kwatch *kw)
{
	struct cosi_net *cn;

	might_sleep();
	if (IS_ERR_OR_NULL(kw))
		return;
	mutex_lock(&cosi_kwatch_mutex);
	cn = kw->cn;
	if (cn) {
		/* Waits for a callback in progress: they run under it. */
		cosi_net_lock(cn);
		cosi_kwatch_detach(cn, kw);
		mutex_unlock(&cn->lock);
	}
	mutex_unlock(&cosi_kwatch_mutex);
	cosi_kwatch_free(kw);
}
EXPORT_SYMBOL_GPL(cosi_kwatch_unregister);

/*
 * A netns is going away: detach its kernel watches and tell their owners.
 * Called before the store of @cn is torn down.
 */
void cosi_kwatch_net_exit(struct cosi_net *cn)
{
	struct cosi_kwatch *kw, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&cosi_kwatch_mutex);
	cosi_net_lock(cn);
	list_for_each_entry_safe(kw, tmp, &cn->kwatches, net_node) {
		cosi_kwatch_detach(cn, kw);
		list_add_tail(&kw->net_node, &gone);
	}
	mutex_unlock(&cn->lock);
	/* The owners cannot free them before the mutex is released. */
	list_for_each_entry_safe(kw, tmp, &gone, net_node) {
		list_del_init(&kw->net_node);
		if (kw->ops->netns_gone)
			kw->ops->netns_gone(kw, kw->priv);
	}
	mutex_unlock(&cosi_kwatch_mutex);
}

/**
 * cosi_kres_lookup() - the current version of a resource
 * @net: network namespace of the store (held by the caller)
 * @ns: namespace
 * @type: exact type name (aliases are not resolved)
 * @id: resource id
 *
 * Lockless (RCU): callable from any context, including a watch callback.
 * Access control (sensitive types) is the caller's business.
 *
 * Return: a referenced version, to release with cosi_kres_put(), or NULL
 * when there is no such resource (or an argument is NULL).
 */
struct cosi_kres *cosi_kres_lookup(struct net *net, const char *ns,
				   const char *type, const char *id)
{
	struct cosi_net *cn;
	struct cosi_coll *coll;
	struct cosi_res *res = NULL;

	if (!net || !ns || !type || !id)
		return NULL;
	cn = cosi_pernet(net);
	rcu_read_lock();
	coll = cosi_coll_find(cn, ns, type);
	if (coll)
		res = cosi_res_find(cn, coll, id);
	if (res && !refcount_inc_not_zero(&res->ref))
		res = NULL;
	rcu_read_unlock();
	return res ? (struct cosi_kres *)to_kres(res) : NULL;
}
EXPORT_SYMBOL_GPL(cosi_kres_lookup);

/**
 * cosi_kres_get() - take a reference on a version
 * @res: a version the caller may use (an event's, or a referenced one)
 *
 * Return: @res, to release with cosi_kres_put().
 */
struct cosi_kres *cosi_kres_get(const struct cosi_kres *res)
{
	struct cosi_kres *r = (struct cosi_kres *)res;

	refcount_inc(&r->res.ref);
	return r;
}
EXPORT_SYMBOL_GPL(cosi_kres_get);

/**
 * cosi_kres_put() - release a reference on a version
 * @res: the version, or NULL
 *
 * Any context.  The version is freed after an RCU grace period once its
 * last reference is gone.
 */
void cosi_kres_put(struct cosi_kres *res)
{
	if (res)
		cosi_res_put(&res->res);
}
EXPORT_SYMBOL_GPL(cosi_kres_put);

/**
 * cosi_kres_id() - a version's resource id
 * @res: the version
 *
 * Return: the id, valid as long as @res.
 */
const char *cosi_kres_id(const struct cosi_kres *res)
{
	return kres(res)->id;
}
EXPORT_SYMBOL_GPL(cosi_kres_id);

/**
 * cosi_kres_owner() - the controller owning the resource
 * @res: the version
 *
 * Return: the owner, "" for a user resource; valid as long as @res.
 */
const char *cosi_kres_owner(const struct cosi_kres *res)
{
	return kres(res)->owner;
}
EXPORT_SYMBOL_GPL(cosi_kres_owner);

/**
 * cosi_kres_version() - a version's version number
 * @res: the version
 *
 * Return: 1 at creation, bumped by every change of the resource.
 */
u64 cosi_kres_version(const struct cosi_kres *res)
{
	return kres(res)->version;
}
EXPORT_SYMBOL_GPL(cosi_kres_version);

/**
 * cosi_kres_revision() - netns revision of the change that made a version
 * @res: the version
 *
 * Return: the revision.
 */
u64 cosi_kres_revision(const struct cosi_kres *res)
{
	return kres(res)->revision;
}
EXPORT_SYMBOL_GPL(cosi_kres_revision);

/**
 * cosi_kres_created() - creation time of the resource
 * @res: the version
 *
 * Return: CLOCK_REALTIME, in ns.
 */
u64 cosi_kres_created(const struct cosi_kres *res)
{
	return kres(res)->created;
}
EXPORT_SYMBOL_GPL(cosi_kres_created);

/**
 * cosi_kres_updated() - time of the change that made a version
 * @res: the version
 *
 * Return: CLOCK_REALTIME, in ns.
 */
u64 cosi_kres_updated(const struct cosi_kres *res)
{
	return kres(res)->updated;
}
EXPORT_SYMBOL_GPL(cosi_kres_updated);

/**
 * cosi_kres_phase() - lifecycle phase of a version
 * @res: the version
 *
 * Return: %COSI_KPHASE_RUNNING or %COSI_KPHASE_TEARING_DOWN.
 */
enum cosi_kphase cosi_kres_phase(const struct cosi_kres *res)
{
	return kres(res)->phase;
}
EXPORT_SYMBOL_GPL(cosi_kres_phase);

/**
 * cosi_kres_n_finalizers() - number of finalizers holding the resource
 * @res: the version
 *
 * Return: the number of finalizers (0: it may be destroyed).
 */
unsigned int cosi_kres_n_finalizers(const struct cosi_kres *res)
{
	return kres(res)->n_finalizers;
}
EXPORT_SYMBOL_GPL(cosi_kres_n_finalizers);

/**
 * cosi_kres_label() - the value of a label
 * @res: the version
 * @key: label key
 *
 * Return: the value, valid as long as @res, or NULL when not set.
 */
const char *cosi_kres_label(const struct cosi_kres *res, const char *key)
{
	return cosi_kv_find(kres(res)->labels, kres(res)->n_labels, key);
}
EXPORT_SYMBOL_GPL(cosi_kres_label);

/**
 * cosi_kres_n_labels() - number of labels of a version
 * @res: the version
 *
 * Return: the number of labels, for cosi_kres_label_at().
 */
unsigned int cosi_kres_n_labels(const struct cosi_kres *res)
{
	return kres(res)->n_labels;
}
EXPORT_SYMBOL_GPL(cosi_kres_n_labels);

/**
 * cosi_kres_label_at() - the i-th label, in key order
 * @res: the version
 * @i: index, below cosi_kres_n_labels()
 * @key: set to the key
 * @value: set to the value
 *
 * Return: 0, or -ERANGE when @i is out of range.
 */
int cosi_kres_label_at(const struct cosi_kres *res, unsigned int i,
		       const char **key, const char **value)
{
	if (i >= kres(res)->n_labels)
		return -ERANGE;
	*key = kres(res)->labels[i].key;
	*value = kres(res)->labels[i].value;
	return 0;
}
EXPORT_SYMBOL_GPL(cosi_kres_label_at);

/**
 * cosi_kres_annotation() - the value of an annotation
 * @res: the version
 * @key: annotation key
 *
 * Return: the value, valid as long as @res, or NULL when not set.
 */
const char *cosi_kres_annotation(const struct cosi_kres *res, const char *key)
{
	return cosi_kv_find(kres(res)->annotations, kres(res)->n_annotations,
			    key);
}
EXPORT_SYMBOL_GPL(cosi_kres_annotation);

/*
 * The value attribute of spec field @name and whether it is of @attrtype.
 * The canonical spec is a stream of COSI_A_SPEC_FIELD nests, each with
 * the name then one value attribute.
 */
static int cosi_kres_field(const struct cosi_kres *res, const char *name,
			   int attrtype, const struct nlattr **val)
{
	const struct cosi_res *r = kres(res);
	const struct nlattr *f, *a, *nm;
	int rem, rem2;

	if (!name)
		return -ENOENT;
	nla_for_each_attr(f, r->spec, r->spec_len, rem) {
		nm = NULL;
		*val = NULL;
		nla_for_each_nested(a, f, rem2) {
			if (nla_type(a) == COSI_A_SPEC_FIELD_NAME)
				nm = a;
			else
				*val = a;
		}
		if (!nm || !*val || strcmp(nla_data(nm), name))
			continue;
		return nla_type(*val) == attrtype ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/**
 * cosi_kres_field_u64() - the value of a u64 spec field
 * @res: the version
 * @name: field name
 * @val: set to the value
 *
 * Return: 0, -ENOENT when the field is not set, -EINVAL when it is not a
 * u64 field.
 */
int cosi_kres_field_u64(const struct cosi_kres *res, const char *name,
			u64 *val)
{
	const struct nlattr *a;
	int err = cosi_kres_field(res, name, COSI_A_SPEC_FIELD_U64, &a);

	if (!err)
		*val = nla_get_u64(a);
	return err;
}
EXPORT_SYMBOL_GPL(cosi_kres_field_u64);

/**
 * cosi_kres_field_s64() - the value of an s64 spec field
 * @res: the version
 * @name: field name
 * @val: set to the value
 *
 * Return: 0, -ENOENT when the field is not set, -EINVAL when it is not
 * an s64 field.
 */
int cosi_kres_field_s64(const struct cosi_kres *res, const char *name,
			s64 *val)
{
	const struct nlattr *a;
	int err = cosi_kres_field(res, name, COSI_A_SPEC_FIELD_S64, &a);

	if (!err)
		*val = nla_get_s64(a);
	return err;
}
EXPORT_SYMBOL_GPL(cosi_kres_field_s64);

/**
 * cosi_kres_field_bool() - the value of a bool spec field
 * @res: the version
 * @name: field name
 * @val: set to the value
 *
 * Return: 0, -ENOENT when the field is not set, -EINVAL when it is not a
 * bool field.
 */
int cosi_kres_field_bool(const struct cosi_kres *res, const char *name,
			 bool *val)
{
	const struct nlattr *a;
	int err = cosi_kres_field(res, name, COSI_A_SPEC_FIELD_BOOL, &a);

	if (!err)
		*val = !!nla_get_u8(a);
	return err;
}
EXPORT_SYMBOL_GPL(cosi_kres_field_bool);

/**
 * cosi_kres_field_string() - the value of a string spec field
 * @res: the version
 * @name: field name
 * @val: set to the NUL-terminated value, valid as long as @res
 *
 * Return: 0, -ENOENT when the field is not set, -EINVAL when it is not a
 * string field.
 */
int cosi_kres_field_string(const struct cosi_kres *res, const char *name,
			   const char **val)
{
	const struct nlattr *a;
	int err = cosi_kres_field(res, name, COSI_A_SPEC_FIELD_STRING, &a);

	if (!err)
		*val = nla_data(a);
	return err;
}
EXPORT_SYMBOL_GPL(cosi_kres_field_string);

/**
 * cosi_kres_field_bytes() - the value of a bytes spec field
 * @res: the version
 * @name: field name
 * @data: set to the bytes, valid as long as @res
 * @len: set to their number
 *
 * Return: 0, -ENOENT when the field is not set, -EINVAL when it is not a
 * bytes field.
 */
int cosi_kres_field_bytes(const struct cosi_kres *res, const char *name,
			  const void **data, size_t *len)
{
	const struct nlattr *a;
	int err = cosi_kres_field(res, name, COSI_A_SPEC_FIELD_BYTES, &a);

	if (!err) {
		*data = nla_data(a);
		*len = nla_len(a);
	}
	return err;
}
EXPORT_SYMBOL_GPL(cosi_kres_field_bytes);

/**
 * cosi_kres_field_string_at() - an item of a string-list spec field
 * @res: the version
 * @name: field name
 * @i: index of the item
 * @val: set to the NUL-terminated item, valid as long as @res
 *
 * Return: 0, -ENOENT when the field is not set, -EINVAL when it is not a
 * string-list field, -ERANGE when the list has no item @i.
 */
int cosi_kres_field_string_at(const struct cosi_kres *res, const char *name,
			      unsigned int i, const char **val)
{
	const struct nlattr *a, *item;
	int rem, err;

	err = cosi_kres_field(res, name, COSI_A_SPEC_FIELD_STRINGS, &a);
	if (err)
		return err;
	nla_for_each_nested(item, a, rem) {
		if (!i--) {
			*val = nla_data(item);
			return 0;
		}
	}
	return -ERANGE;
}
EXPORT_SYMBOL_GPL(cosi_kres_field_string_at);
