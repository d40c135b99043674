/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Manifests: YAML streams of resources (for apply and delete) and of
 * definitions (for define), checked and converted against the
 * definitions before anything is sent to the kernel.
 *
 * A resource document:
 *
 *   metadata:
 *     namespace: default          # optional: the type's default namespace
 *     type: sysctl                # type name, alias or unique prefix
 *     id: net.ipv4.ip_forward
 *     labels: {k: v}              # optional
 *     annotations: {k: v}         # optional
 *     writer-caps: [net-admin]    # optional: read, never sent (below)
 *   spec:                         # optional: absent keeps the current spec
 *     value: "1"
 *
 * Read-only metadata (version, owner, phase, finalizers, created, updated,
 * revision) is accepted and ignored, so "get -o yaml" output applies back.
 * writer-caps (what the spec's writer held, as the kernel recorded it) is
 * checked (a list of net-admin, sys-admin; null is the empty list) and
 * kept in the document, but applying never sends it: the kernel records
 * the capabilities of whoever writes.  cosid's state-file restore uses it
 * to choose the socket a document is written through.
 * Unknown keys and spec fields are rejected here, with messages naming the
 * document and the field.
 */
#ifndef _COSI_COMMON_MANIFEST_H
#define _COSI_COMMON_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cosi.h"

struct cosi_doc {
	size_t index;			/* 1-based, in its stream */
	char *ns;
	char *type;			/* the definition's exact name */
	char *id;
	struct cosi_kvs labels;
	struct cosi_kvs annotations;
	bool has_spec;			/* false: keep the current spec */
	struct cosi_spec spec;		/* in schema order */
	bool has_writer_caps;		/* metadata.writer-caps was there */
	uint32_t writer_caps;		/* COSI_WRITER_CAPS_* it names */
};

struct cosi_docs {
	struct cosi_doc *v;
	size_t n;
};

/*
 * Parse the resource documents of @buf (@len bytes; @name names it in
 * messages), resolving types against @defs.  Empty documents are skipped.
 * Return: 0 and @out filled (zeroed first), or a negative errno with a
 * one-line message in @msg and @out empty.
 */
int cosi_manifest_parse(const char *buf, size_t len, const char *name,
			const struct cosi_definitions *defs,
			struct cosi_docs *out, char *msg, size_t msglen);
void cosi_docs_clear(struct cosi_docs *docs);

/* What one document names (strings valid during the callback). */
struct cosi_ref {
	size_t index;			/* 1-based, in its stream */
	const char *ns;
	const char *type;		/* the definition's exact name */
	const char *id;
};

/*
 * Called per document: with @ref, or with NULL and a one-line @err when
 * the document names nothing (no metadata, type or id; unknown type).
 * 0 goes on; anything else stops with that error.
 */
typedef int (*cosi_ref_fn)(const struct cosi_ref *ref, const char *err,
			   void *arg);

/*
 * The resources the documents of @buf name, from their metadata's
 * namespace, type and id only: the rest (labels, spec, unknown keys) is
 * not read, so a manifest written against an older schema still names
 * what it made.  Return: 0, -EINVAL (invalid YAML, @msg), -ENOMEM, or
 * what @fn returned.
 */
int cosi_manifest_refs(const char *buf, size_t len, const char *name,
		       const struct cosi_definitions *defs, cosi_ref_fn fn,
		       void *arg, char *msg, size_t msglen);

/*
 * Parse definition documents (the form "get rd -o yaml" prints):
 *
 *   type: Links.net.cosi.dev
 *   aliases: [link]
 *   default-namespace: network
 *   sensitivity: public           # or sensitive
 *   write-access: net-admin       # or sys-admin
 *   fields:
 *     - {name: mtu, type: u64, required: true}
 *   columns:
 *     - {name: MTU, field: mtu}
 *
 * revision and resources are ignored.  Same return convention.
 */
int cosi_manifest_parse_definitions(const char *buf, size_t len,
				    const char *name,
				    struct cosi_definitions *out, char *msg,
				    size_t msglen);

/*
 * Read all of @path ("-": stdin) into a malloc()ed, NUL-ended buffer.
 * Return: 0, or a negative errno with @msg set.
 */
int cosi_read_file(const char *path, char **buf, size_t *len, char *msg,
		   size_t msglen);
/* The same from an open @fd (closed in any case), named @name in @msg. */
int cosi_read_fd(int fd, const char *name, char **buf, size_t *len,
		 char *msg, size_t msglen);

#endif /* _COSI_COMMON_MANIFEST_H */
