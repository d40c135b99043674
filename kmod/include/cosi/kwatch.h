/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosi.ko in-kernel API: watch resources and look them up from other
 * kernel modules.  See Documentation/kernel-api.rst.
 *
 * Out-of-tree consumers add the directory holding this file's "cosi/"
 * to their include path (ccflags-y += -I<cosi>/kmod/include), include
 * <cosi/kwatch.h> and link against cosi.ko's Module.symvers
 * (KBUILD_EXTRA_SYMBOLS).  Every symbol is EXPORT_SYMBOL_GPL.
 */
#ifndef _COSI_KWATCH_H
#define _COSI_KWATCH_H

#include <linux/types.h>

struct net;

/* A resource version: immutable, reference counted, opaque. */
struct cosi_kres;

/* A registered kernel watch, opaque. */
struct cosi_kwatch;

/* What happened to a resource, as seen through a watch's filter. */
enum cosi_kevent_kind {
	COSI_KEVENT_CREATED = 1,	/* created, or entered the filter */
	COSI_KEVENT_UPDATED,		/* changed, still matches */
	COSI_KEVENT_DESTROYED,		/* destroyed, or left the filter */
};

/* Lifecycle phase of a resource version. */
enum cosi_kphase {
	COSI_KPHASE_RUNNING,
	COSI_KPHASE_TEARING_DOWN,
};

/**
 * struct cosi_kevent - one change, as passed to &cosi_kwatch_ops.changed
 * @net: the network namespace of the store
 * @ns: the resource's namespace (the watch's)
 * @type: the resource's type (the watch's)
 * @kind: the change after the watch's filter
 * @revision: netns revision of the change (of the version, for events
 *	sent by %COSI_KWATCH_BOOTSTRAP)
 * @res: the new version; for %COSI_KEVENT_DESTROYED the last one
 * @old: the previous version when the change was an update of the
 *	resource (also when the filter turns it into a created or destroyed
 *	event), else NULL
 *
 * Everything is valid during the callback only; take a reference with
 * cosi_kres_get() to keep a version longer.
 */
struct cosi_kevent {
	struct net *net;
	const char *ns;
	const char *type;
	enum cosi_kevent_kind kind;
	u64 revision;
	const struct cosi_kres *res;
	const struct cosi_kres *old;
};

/**
 * struct cosi_klabel - one term of a label selector
 * @key: label key
 * @value: the value the label must have, or NULL: the label must exist
 */
struct cosi_klabel {
	const char *key;
	const char *value;
};

/* cosi_kwatch_filter.flags */
#define COSI_KWATCH_BOOTSTRAP	0x1	/* first report matching resources */

/**
 * struct cosi_kwatch_filter - what a watch sees (copied at registration)
 * @ns: namespace (required)
 * @type: exact type name (required; aliases are not resolved, and the
 *	type need not be defined yet)
 * @id: a single resource id, or NULL for all
 * @labels: label terms, all of which must match (AND), or NULL
 * @n_labels: number of @labels (at most 32)
 * @flags: %COSI_KWATCH_BOOTSTRAP: report every matching resource as a
 *	%COSI_KEVENT_CREATED event from cosi_kwatch_register(), in id order,
 *	before any live event
 */
struct cosi_kwatch_filter {
	const char *ns;
	const char *type;
	const char *id;
	const struct cosi_klabel *labels;
	unsigned int n_labels;
	unsigned int flags;
};

/**
 * struct cosi_kwatch_ops - callbacks of a kernel watch
 * @changed: a matching resource changed (required).  Called in process
 *	context, under rcu_read_lock() and the store's per-netns lock, after
 *	the change is committed (a lookup already sees it), in revision
 *	order.  Must not sleep and must not call cosi_kwatch_register() or
 *	cosi_kwatch_unregister(); may call cosi_kres_lookup(),
 *	cosi_kres_get(), cosi_kres_put() and the accessors.
 * @netns_gone: the watch's netns is being dismantled (optional).  The
 *	watch is detached: no callback follows, and the owner must still
 *	call cosi_kwatch_unregister() to free it.  Called in process context
 *	(may sleep) under a cosi-global mutex: it must not call
 *	cosi_kwatch_register() or cosi_kwatch_unregister().
 *
 * The ops and @priv must stay valid until cosi_kwatch_unregister() returns.
 */
struct cosi_kwatch_ops {
	void (*changed)(const struct cosi_kevent *ev, void *priv);
	void (*netns_gone)(struct cosi_kwatch *kw, void *priv);
};

struct cosi_kwatch *cosi_kwatch_register(struct net *net,
					 const struct cosi_kwatch_filter *f,
					 const struct cosi_kwatch_ops *ops,
					 void *priv);
void cosi_kwatch_unregister(struct cosi_kwatch *kw);

/* Lookup and references. */
struct cosi_kres *cosi_kres_lookup(struct net *net, const char *ns,
				   const char *type, const char *id);
struct cosi_kres *cosi_kres_get(const struct cosi_kres *res);
void cosi_kres_put(struct cosi_kres *res);

/* Metadata of a version. */
const char *cosi_kres_id(const struct cosi_kres *res);
const char *cosi_kres_owner(const struct cosi_kres *res);
u64 cosi_kres_version(const struct cosi_kres *res);
u64 cosi_kres_revision(const struct cosi_kres *res);
u64 cosi_kres_created(const struct cosi_kres *res);
u64 cosi_kres_updated(const struct cosi_kres *res);
enum cosi_kphase cosi_kres_phase(const struct cosi_kres *res);
unsigned int cosi_kres_n_finalizers(const struct cosi_kres *res);

/* Labels and annotations. */
const char *cosi_kres_label(const struct cosi_kres *res, const char *key);
unsigned int cosi_kres_n_labels(const struct cosi_kres *res);
int cosi_kres_label_at(const struct cosi_kres *res, unsigned int i,
		       const char **key, const char **value);
const char *cosi_kres_annotation(const struct cosi_kres *res,
				 const char *key);

/* Spec fields: 0, -ENOENT (not set) or -EINVAL (another field type). */
int cosi_kres_field_u64(const struct cosi_kres *res, const char *name,
			u64 *val);
int cosi_kres_field_s64(const struct cosi_kres *res, const char *name,
			s64 *val);
int cosi_kres_field_bool(const struct cosi_kres *res, const char *name,
			 bool *val);
int cosi_kres_field_string(const struct cosi_kres *res, const char *name,
			   const char **val);
int cosi_kres_field_bytes(const struct cosi_kres *res, const char *name,
			  const void **data, size_t *len);
int cosi_kres_field_string_at(const struct cosi_kres *res, const char *name,
			      unsigned int i, const char **val);

#endif /* _COSI_KWATCH_H */
