/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rendering resources and definitions to a FILE *: aligned tables, YAML
 * documents (which "cosictl apply" / "define" read back unchanged) and
 * JSON (json-c).  Nothing here talks to the kernel or prints to stderr;
 * functions return 0 or a negative errno.
 */
#ifndef _COSI_COMMON_RENDER_H
#define _COSI_COMMON_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cosi.h"

struct json_object;

enum cosi_output {
	COSI_OUTPUT_TABLE,
	COSI_OUTPUT_YAML,
	COSI_OUTPUT_JSON,
};

/* "table", "yaml", "json" (also "wide" = table): 0 or -EINVAL. */
int cosi_output_parse(const char *s, enum cosi_output *out);

/* Render flags. */
#define COSI_RENDER_MANIFEST	0x1	/* only what apply reads back */

/*
 * Tables.  Rows are kept; cosi_table_flush() prints the header (once) and
 * the rows not printed yet, aligned on the widest cell seen so far, so a
 * table can be streamed (watch) as well as printed at once.
 */
struct cosi_table;

struct cosi_table *cosi_table_new(const char *const *headers, size_t ncols);
int cosi_table_add(struct cosi_table *t, const char *const *cells);
void cosi_table_flush(struct cosi_table *t, FILE *f);
void cosi_table_free(struct cosi_table *t);

/*
 * A resource table: [prefix] NAMESPACE TYPE ID VERSION and the
 * definition's print columns.  @prefix adds a one-character first column
 * without header (watch: '+', '*', '-', ' ').
 */
struct cosi_table *cosi_resource_table_new(const struct cosi_definition *def,
					   bool prefix);
int cosi_resource_table_add(struct cosi_table *t,
			    const struct cosi_definition *def,
			    const struct cosi_resource *r, char prefix);
/* One print-column cell: the field's value, lists joined by ",". */
char *cosi_render_cell(const struct cosi_resource *r, const char *field);

/* TYPE ALIASES DEFAULT-NS SENSITIVITY FIELDS RESOURCES. */
int cosi_render_definitions_table(FILE *f, struct cosi_definition *const *v,
				  size_t n);

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
/* "event: bootstrapped" and "revision: N". */
int cosi_yaml_marker(struct cosi_yaml *y, uint64_t revision);
int cosi_yaml_definition(struct cosi_yaml *y, const struct cosi_definition *d,
			 unsigned int flags);

/* JSON objects of the same shape; NULL on ENOMEM. */
struct json_object *cosi_json_resource(const struct cosi_resource *r,
				       const char *event,
				       unsigned int flags);
struct json_object *cosi_json_definition(const struct cosi_definition *d,
					 unsigned int flags);
/* Print @o (and a newline), pretty or on one line; drops @o. */
int cosi_json_print(FILE *f, struct json_object *o, bool pretty);

#endif /* _COSI_COMMON_RENDER_H */
