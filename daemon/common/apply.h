/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Apply, delete, define and save: the write side shared by cosictl and
 * the daemon (restoring desired configuration at boot, saving it).
 *
 * Functions return 0 (or a documented positive value) or a negative errno
 * and then leave a one-line message in @msg, including the kernel's errno
 * text and extack message.  They never print or exit.
 */
#ifndef _COSI_COMMON_APPLY_H
#define _COSI_COMMON_APPLY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cosi.h"
#include "common/manifest.h"

/*
 * Who applied a resource, so that pruning deletes only its own: cosid
 * --config-dir labels what it applies COSI_SOURCE_LABEL=
 * COSI_SOURCE_CONFIG_DIR, cosictl apply annotates it COSI_APPLIED_BY=
 * COSI_APPLIED_BY_CTL (the role of kubectl's last-applied annotation).
 */
#define COSI_SOURCE_LABEL	"cosi.dev/source"
#define COSI_SOURCE_CONFIG_DIR	"config-dir"
#define COSI_APPLIED_BY		"cosi.dev/applied-by"
#define COSI_APPLIED_BY_CTL	"cosictl"
/* cosid --etcd: COSI_SOURCE_LABEL=COSI_SOURCE_FLEET. */
#define COSI_SOURCE_FLEET	"fleet"

enum cosi_apply_result {
	COSI_APPLY_CREATED,
	COSI_APPLY_UPDATED,
	COSI_APPLY_UNCHANGED,
	COSI_APPLY_KEPT,	/* exists, left alone (COSI_APPLY_ONLY_ABSENT) */
};

/* "created", "updated", "unchanged", "kept". */
const char *cosi_apply_result_name(enum cosi_apply_result res);

/*
 * Called after each document is applied; @r is the resource as the
 * kernel has it now (owned by the caller of the callback: do not free).
 * With COSI_APPLY_DRY_RUN, @res is what would be done and @r the
 * resource as it is (NULL for a create).
 */
typedef void (*cosi_apply_fn)(const struct cosi_doc *d,
			      enum cosi_apply_result res,
			      const struct cosi_resource *r, void *arg);

/* A cosi_apply_fn that counts: @arg is a size_t[COSI_APPLY_RESULTS]. */
#define COSI_APPLY_RESULTS	(COSI_APPLY_KEPT + 1)
void cosi_apply_count(const struct cosi_doc *d, enum cosi_apply_result res,
		      const struct cosi_resource *r, void *arg);

/* Flags of cosi_apply_docs(). */
#define COSI_APPLY_KEEP_GOING	0x1	/* apply the others after an error */
/* Create what is absent; leave what exists as it is (COSI_APPLY_KEPT). */
#define COSI_APPLY_ONLY_ABSENT	0x2
/* Read and decide only: nothing is written. */
#define COSI_APPLY_DRY_RUN	0x4

/*
 * Make one resource look like @d: create it when absent; else update it
 * (with expected-version, retrying on ESTALE) only when its labels,
 * annotations or spec differ; else leave it alone.  A resource that is
 * tearing down is an error (-EBUSY).  *@out (may be NULL) receives the
 * resource afterwards.
 */
int cosi_apply_doc(struct cosi *c, const struct cosi_doc *d,
		   enum cosi_apply_result *res, struct cosi_resource **out,
		   char *msg, size_t len);

/*
 * Apply @docs, calling @fn (may be NULL) for each in order.  Two batches
 * (cosi_batch()): the reads, then the writes of what differs; a document
 * that raced with another writer is retried alone.  A problem found while
 * reading stops before anything is written, unless COSI_APPLY_KEEP_GOING;
 * a write the kernel refuses does not stop the other writes.  Returns the
 * first error in document order; messages read "<name>: document N
 * (Type/id): <why>".
 */
int cosi_apply_docs(struct cosi *c, const struct cosi_docs *docs,
		    const char *name, unsigned int flags, cosi_apply_fn fn,
		    void *arg, char *msg, size_t len);

/*
 * Fetch the definitions, parse the manifest in @buf (all of it is
 * checked before anything is written), then apply it.
 */
int cosi_apply_buffer(struct cosi *c, const char *buf, size_t buflen,
		      const char *name, unsigned int flags, cosi_apply_fn fn,
		      void *arg, char *msg, size_t len);
/* The same for a file ("-": stdin). */
int cosi_apply_file(struct cosi *c, const char *path, unsigned int flags,
		    cosi_apply_fn fn, void *arg, char *msg, size_t len);

/*
 * Tear a resource down, wait up to @wait_ms (<0: forever) for its
 * finalizers to go, and destroy it.  Waiting uses a watch on a private
 * handle; it ends early with -EINTR when a signal interrupts it and
 * *@stop (may be NULL) is set.
 * Return: 0 (destroyed, also by someone else meanwhile), 1 (@wait_ms 0
 * and finalizers remain: *@pending, if given, gets them), -ENOENT (no such
 * resource), -ETIMEDOUT (*@pending gets what remained), or another error.
 */
int cosi_delete_resource(struct cosi *c, const char *ns, const char *type,
			 const char *id, int wait_ms,
			 volatile sig_atomic_t *stop,
			 struct cosi_strs *pending, char *msg, size_t len);

/*
 * Set a definition; *@res tells whether it was new, changed or already
 * the same (then nothing is sent).
 */
int cosi_define(struct cosi *c, const struct cosi_definition *d,
		enum cosi_apply_result *res, char *msg, size_t len);
/* Same content: aliases, default namespace, sensitivity, schema, columns. */
bool cosi_definition_equal(const struct cosi_definition *a,
			   const struct cosi_definition *b);

/*
 * Write every resource of namespace @ns and the exact type names @types
 * to @f as YAML documents that cosi_apply_*() accept (only namespace,
 * type, id, labels, annotations and spec), leaving out resources that
 * are tearing down.  A resource whose spec the
 * kernel withheld (sensitive type, no CAP_NET_ADMIN) is an error (-EPERM).
 * *@count (may be NULL) gets the number of documents written.
 */
int cosi_save_resources(struct cosi *c, FILE *f, const char *ns,
			const char *const *types, size_t ntypes,
			size_t *count, char *msg, size_t len);

#endif /* _COSI_COMMON_APPLY_H */
