/* SPDX-License-Identifier: GPL-2.0 */
/*
 * YAML and JSON rendering of resources and definitions.  The YAML goes
 * to a FILE *, in the form "cosictl apply" / "define" read back
 * unchanged: shared by cosictl (-o yaml) and cosid (its state file).  Nothing here talks to the kernel or
 * prints to stderr; functions return 0 or a negative errno.
 */
#ifndef _COSI_COMMON_RENDER_H
#define _COSI_COMMON_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cosi.h"

struct json_object;

/* Render flags. */
#define COSI_RENDER_MANIFEST	0x1	/* only what apply reads back */

/* YAML streams: one document ("---") per resource, definition or event. */
struct cosi_yaml;

struct cosi_yaml *cosi_yaml_new(FILE *f);
/* Ends the stream and frees; 0 or the first error of the stream. */
int cosi_yaml_close(struct cosi_yaml *y);
/*
 * metadata (namespace, type, id, version, owner, phase, labels,
 * annotations, writer-caps, finalizers, created, updated, revision) and
 * spec (when the kernel sent it).  @event (may be NULL) adds "event:
 * <kind>" first.  COSI_RENDER_MANIFEST keeps namespace, type, id, labels,
 * annotations, writer-caps (which apply reads but does not send: the
 * kernel records the writer's) and spec.
 */
int cosi_yaml_resource(struct cosi_yaml *y, const struct cosi_resource *r,
		       const char *event, unsigned int flags);
/*
 * The same (not the manifest form) with "event: <event>" (when not NULL)
 * and "node: <node>" first: cosictl get/watch --etcd.
 */
int cosi_yaml_node_resource(struct cosi_yaml *y, const char *event,
			    const char *node, const struct cosi_resource *r);
/*
 * A json-c object as one document, keys in their order (strings quoted
 * where a plain scalar would read back as another type).
 */
struct json_object;
int cosi_yaml_json(struct cosi_yaml *y, struct json_object *o);
/* "event: bootstrapped" and "revision: N". */
int cosi_yaml_marker(struct cosi_yaml *y, uint64_t revision);
int cosi_yaml_definition(struct cosi_yaml *y, const struct cosi_definition *d,
			 unsigned int flags);

/*
 * JSON (json-c) objects of the same shape as the YAML: cosictl -o json,
 * and the documents cosid publishes to etcd (fleet mode).  NULL on
 * ENOMEM.
 */
struct json_object *cosi_json_resource(const struct cosi_resource *r,
				       const char *event,
				       unsigned int flags);
struct json_object *cosi_json_definition(const struct cosi_definition *d,
					 unsigned int flags);
/* Print @o (and a newline), pretty or on one line; drops @o. */
int cosi_json_print(FILE *f, struct json_object *o, bool pretty);

#endif /* _COSI_COMMON_RENDER_H */
