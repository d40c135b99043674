// SPDX-License-Identifier: GPL-2.0
/*
 * Aligned text tables of resources and definitions, printable at once or
 * streamed row by row (watch).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cosictl/render.h"
#include "common/resolve.h"

struct cosi_table {
	size_t ncols;
	size_t *width;
	char **cells;			/* nrows * ncols; row 0: headers */
	size_t nrows;
	size_t printed;			/* rows printed so far */
	bool wide;			/* every schema field (resources) */
};

int cosi_output_parse(const char *s, enum cosi_output *out)
{
	if (!strcmp(s, "table"))
		*out = COSI_OUTPUT_TABLE;
	else if (!strcmp(s, "wide"))
		*out = COSI_OUTPUT_WIDE;
	else if (!strcmp(s, "yaml"))
		*out = COSI_OUTPUT_YAML;
	else if (!strcmp(s, "json"))
		*out = COSI_OUTPUT_JSON;
	else
		return -EINVAL;
	return 0;
}

/*
 * A cell as one line, as kubectl prints it: cut at the first line break
 * with "..." after it, other control characters escaped (\t, \xHH), so
 * that a multi-line value cannot break the rows.
 */
static char *cell_text(const char *s)
{
	size_t n = strcspn(s, "\n\r\f");
	char *out = strdup(s), *o;
	const unsigned char *p, *end = (const unsigned char *)s + n;

	for (p = (const unsigned char *)s; p < end; p++)
		if (*p < 0x20 || *p == 0x7f)
			break;
	if (!out || (p == end && !s[n]))
		return out;		/* the common case: as it is */
	free(out);
	out = o = malloc(n * 4 + 4);
	if (!out)
		return NULL;
	for (p = (const unsigned char *)s; p < end; p++) {
		if (*p == '\t')
			o += sprintf(o, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = *p;
	}
	strcpy(o, s[n] ? "..." : "");
	return out;
}

/* A row is counted only once all its cells are copied. */
int cosi_table_add(struct cosi_table *t, const char *const *cells)
{
	char **v = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*v));
	size_t i, w;

	if (!v)
		return -ENOMEM;
	t->cells = v;
	v += t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		v[i] = cell_text(cells[i] ? cells[i] : "");
		if (!v[i]) {
			while (i--)
				free(v[i]);
			return -ENOMEM;
		}
	}
	for (i = 0; i < t->ncols; i++) {
		w = strlen(v[i]);
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
	return 0;
}

struct cosi_table *cosi_table_new(const char *const *headers, size_t ncols)
{
	struct cosi_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->width = calloc(ncols ? ncols : 1, sizeof(*t->width));
	if (!t->width || cosi_table_add(t, headers)) {
		cosi_table_free(t);
		return NULL;
	}
	return t;
}

void cosi_table_free(struct cosi_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

void cosi_table_flush(struct cosi_table *t, FILE *f)
{
	char **row;
	size_t i;

	for (; t->printed < t->nrows; t->printed++) {
		row = t->cells + t->printed * t->ncols;
		for (i = 0; i < t->ncols; i++) {
			if (i + 1 == t->ncols)
				fprintf(f, "%s\n", row[i]);
			else
				fprintf(f, "%-*s", (int)t->width[i] + 3,
					row[i]);
		}
	}
	fflush(f);
	/*
	 * Printed rows are not needed again (the widths are kept): a
	 * watch that runs for days holds the rows of one batch only.
	 */
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	t->nrows = t->printed = 0;
}

#define RES_FIXED	4	/* NAMESPACE TYPE ID VERSION */

/*
 * The fields a table of @def shows, in order: the print columns', then
 * (@wide) the other schema fields'; their number, @fields may be NULL.
 */
static size_t table_fields(const struct cosi_definition *def, bool wide,
			   const char **fields, const char **heads)
{
	size_t i, n = 0;

	for (i = 0; def && i < def->n_columns; i++, n++)
		if (fields) {
			fields[n] = def->columns[i].field;
			heads[n] = def->columns[i].name;
		}
	for (i = 0; wide && def && i < def->n_fields; i++) {
		if (cosi_def_column_shows(def, def->fields[i].name))
			continue;
		if (fields)
			fields[n] = heads[n] = def->fields[i].name;
		n++;
	}
	return n;
}

struct cosi_table *cosi_resource_table_new(const struct cosi_definition *def,
					   bool prefix, bool wide)
{
	static const char *const empty[] = { "" };

	return cosi_resource_table_new_lead(def, empty, prefix, wide);
}

struct cosi_table *cosi_resource_table_new_lead(const struct cosi_definition *def,
						const char *const *leads,
						size_t prefix, bool wide)
{
	static const char *const fixed[] = {
		"NAMESPACE", "TYPE", "ID", "VERSION",
	};
	size_t nf = table_fields(def, wide, NULL, NULL), i, n;
	const char **h, **fields;
	struct cosi_table *t = NULL;
	char **up;

	n = prefix + RES_FIXED + nf;
	h = calloc(n, sizeof(*h));
	fields = calloc(nf + 1, sizeof(*fields));
	up = calloc(nf + 1, sizeof(*up));
	if (!h || !fields || !up)
		goto out;
	for (i = 0; i < prefix; i++)
		h[i] = leads[i];
	for (i = 0; i < RES_FIXED; i++)
		h[prefix + i] = fixed[i];
	table_fields(def, wide, fields, h + prefix + RES_FIXED);
	/* Fields without a print column are headed by their name, upper. */
	for (i = def ? def->n_columns : 0; i < nf; i++) {
		up[i] = strdup(h[prefix + RES_FIXED + i]);
		if (!up[i])
			goto out;
		for (char *p = up[i]; *p; p++)
			*p = *p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p;
		h[prefix + RES_FIXED + i] = up[i];
	}
	t = cosi_table_new(h, n);
	if (t)
		t->wide = wide;
out:
	for (i = 0; up && i < nf; i++)
		free(up[i]);
	free(up);
	free(fields);
	free(h);
	return t;
}

int cosi_resource_table_add(struct cosi_table *t,
			    const struct cosi_definition *def,
			    const struct cosi_resource *r, char prefix)
{
	char pre[2] = { prefix, 0 };
	const char *const leads[] = { pre };

	return cosi_resource_table_add_lead(t, def, r, leads);
}

/* @key_only: "-" for the version and the print columns. */
static int add_row(struct cosi_table *t, const struct cosi_definition *def,
		   const struct cosi_resource *r, const char *const *leads,
		   bool key_only)
{
	size_t nf = table_fields(def, t->wide, NULL, NULL);
	size_t np = t->ncols - RES_FIXED - nf;
	size_t n = t->ncols, i;
	char **cells = calloc(n, sizeof(*cells));
	const char **fields = calloc(nf + 1, sizeof(*fields));
	const char **heads = calloc(nf + 1, sizeof(*heads));
	int err = -ENOMEM;

	if (!cells || !fields || !heads)
		goto out;
	table_fields(def, t->wide, fields, heads);
	for (i = 0; i < np; i++)
		cells[i] = strdup(leads[i]);
	cells[np] = strdup(r->ns);
	cells[np + 1] = strdup(r->type);
	cells[np + 2] = strdup(r->id);
	if (key_only)
		cells[np + 3] = strdup("-");
	else if (asprintf(&cells[np + 3], "%" PRIu64, r->version) < 0)
		cells[np + 3] = NULL;
	for (i = 0; i < nf; i++)
		cells[np + RES_FIXED + i] = key_only ? strdup("-") :
					    cosi_render_cell(r, fields[i]);
	for (i = 0; i < n && cells[i]; i++)
		;
	if (i == n)
		err = cosi_table_add(t, (const char *const *)cells);
out:
	for (i = 0; cells && i < n; i++)
		free(cells[i]);
	free(cells);
	free(fields);
	free(heads);
	return err;
}

int cosi_resource_table_add_lead(struct cosi_table *t,
				 const struct cosi_definition *def,
				 const struct cosi_resource *r,
				 const char *const *leads)
{
	return add_row(t, def, r, leads, false);
}

int cosi_resource_table_add_key(struct cosi_table *t,
				const struct cosi_definition *def,
				const struct cosi_resource *r,
				const char *const *leads)
{
	return add_row(t, def, r, leads, true);
}

static char *join(const struct cosi_strs *s)
{
	struct cosi_field f = {
		.type = COSI_FIELD_TYPE_STRING_LIST, .strs = *s,
	};

	return s->n ? cosi_field_text(&f) : strdup("<none>");
}

int cosi_render_definitions_table(FILE *f, struct cosi_definition *const *v,
				  size_t n)
{
	static const char *const h[] = {
		"TYPE", "ALIASES", "DEFAULT-NS", "SENSITIVITY", "FIELDS",
		"RESOURCES",
	};
	struct cosi_table *t = cosi_table_new(h, 6);
	char *aliases, nf[24], nr[24];
	const char *cells[6];
	size_t i;
	int err = t ? 0 : -ENOMEM;

	for (i = 0; !err && i < n; i++) {
		aliases = join(&v[i]->aliases);
		snprintf(nf, sizeof(nf), "%zu", v[i]->n_fields);
		snprintf(nr, sizeof(nr), "%u", v[i]->resources);
		cells[0] = v[i]->type;
		cells[1] = aliases;
		cells[2] = cosi_resolve_default_ns(v[i]);
		cells[3] = v[i]->sensitivity == COSI_SENSITIVITY_SENSITIVE ?
			   "sensitive" : "public";
		cells[4] = nf;
		cells[5] = nr;
		err = aliases ? cosi_table_add(t, cells) : -ENOMEM;
		free(aliases);
	}
	if (!err)
		cosi_table_flush(t, f);
	cosi_table_free(t);
	return err;
}
