/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosictl's output formats besides YAML and JSON (common/render.h):
 * aligned tables.  Nothing here talks to the kernel or prints
 * to stderr; functions return 0 or a negative errno.
 */
#ifndef _COSICTL_RENDER_H
#define _COSICTL_RENDER_H

#include "common/render.h"

enum cosi_output {
	COSI_OUTPUT_TABLE,
	COSI_OUTPUT_YAML,
	COSI_OUTPUT_JSON,
	COSI_OUTPUT_WIDE,		/* table with every spec field */
	COSI_OUTPUT_JSONPATH,		/* a template over the JSON form */
};

/* "table", "wide", "yaml", "json": 0 or -EINVAL. */
int cosi_output_parse(const char *s, enum cosi_output *out);

/*
 * Tables.  Rows are kept until cosi_table_flush() prints them (the
 * header once), aligned on the widest cell seen so far, and frees them
 * (the widths stay), so a table can be streamed (watch) as well as
 * printed at once.
 */
struct cosi_table;

struct cosi_table *cosi_table_new(const char *const *headers, size_t ncols);
int cosi_table_add(struct cosi_table *t, const char *const *cells);
void cosi_table_flush(struct cosi_table *t, FILE *f);
void cosi_table_free(struct cosi_table *t);

/*
 * A resource table: [prefix] NAMESPACE TYPE ID VERSION and the
 * definition's print columns; @wide adds a column for each schema field
 * no print column shows (headed by its name in capitals).  @prefix adds a
 * one-character first column without header (watch: '+', '*', '-', ' ').
 */
struct cosi_table *cosi_resource_table_new(const struct cosi_definition *def,
					   bool prefix, bool wide);
int cosi_resource_table_add(struct cosi_table *t,
			    const struct cosi_definition *def,
			    const struct cosi_resource *r, char prefix);
/*
 * The same with @nlead (0-2) first columns headed @leads, whose cells
 * each row gives: cosictl get --etcd's NODE, and watch --etcd's event
 * character (header "") before it.
 */
struct cosi_table *cosi_resource_table_new_lead(const struct cosi_definition *def,
						const char *const *leads,
						size_t nlead, bool wide);
int cosi_resource_table_add_lead(struct cosi_table *t,
				 const struct cosi_definition *def,
				 const struct cosi_resource *r,
				 const char *const *leads);
/*
 * The same row with only @r's namespace, type and id known (a delete
 * whose previous value etcd no longer has): "-" for the version and the
 * print columns.
 */
int cosi_resource_table_add_key(struct cosi_table *t,
				const struct cosi_definition *def,
				const struct cosi_resource *r,
				const char *const *leads);

/* TYPE ALIASES DEFAULT-NS SENSITIVITY FIELDS RESOURCES. */
int cosi_render_definitions_table(FILE *f, struct cosi_definition *const *v,
				  size_t n);

#endif /* _COSICTL_RENDER_H */
