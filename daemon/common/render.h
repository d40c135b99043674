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
/*
 * The spec of @r as an object (field name -> value, bytes in base64),
 * labels/annotations as an object, a string list as an array: the pieces
 * of cosi_json_resource(), for other shapes of a resource
 * (cosi-apiserver's Kubernetes objects).  NULL on ENOMEM.
 */
struct json_object *cosi_json_spec(const struct cosi_resource *r);
/*
 * Add @v to object @o under @k, or append it to array @a: false (and @v
 * dropped) when either is NULL (an ENOMEM before) or the add fails, so a
 * chain of them stops at the first failure.
 */
bool cosi_json_add(struct json_object *o, const char *k, struct json_object *v);
bool cosi_json_push(struct json_object *a, struct json_object *v);
struct json_object *cosi_json_kvs(const struct cosi_kvs *s);
struct json_object *cosi_json_strs(const struct cosi_strs *s);

/*
 * Table cells (render_cell.c).  A field's value as text: lists joined by
 * ",", bytes in base64.  A print-column cell of @r: its field's text,
 * "<none>" when the spec lacks it, "<hidden>" when the kernel left the
 * spec out (a sensitive type).  malloc()ed; NULL on ENOMEM.
 */
char *cosi_field_text(const struct cosi_field *f);
char *cosi_render_cell(const struct cosi_resource *r, const char *field);
/* Whether a print column of @def shows spec field @field. */
bool cosi_def_column_shows(const struct cosi_definition *def,
			   const char *field);

/* Print @o (and a newline), pretty or on one line; drops @o. */
int cosi_json_print(FILE *f, struct json_object *o, bool pretty);

#endif /* _COSI_COMMON_RENDER_H */
