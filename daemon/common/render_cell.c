// SPDX-License-Identifier: GPL-2.0
/*
 * Spec fields as table cells: cosictl's tables and cosi-apiserver's
 * Kubernetes Table rows print the same text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/render.h"

char *cosi_field_text(const struct cosi_field *f)
{
	char *s = NULL, *p;
	size_t i, len = 1;

	switch (f->type) {
	case COSI_FIELD_TYPE_STRING:
		return strdup(f->str);
	case COSI_FIELD_TYPE_U64:
		return asprintf(&s, "%" PRIu64, f->u64) < 0 ? NULL : s;
	case COSI_FIELD_TYPE_S64:
		return asprintf(&s, "%" PRId64, f->s64) < 0 ? NULL : s;
	case COSI_FIELD_TYPE_BOOL:
		return strdup(f->b ? "true" : "false");
	case COSI_FIELD_TYPE_BYTES:
		return cosi_base64_encode(f->bytes.data, f->bytes.len);
	case COSI_FIELD_TYPE_STRING_LIST:
		for (i = 0; i < f->strs.n; i++)
			len += strlen(f->strs.v[i]) + 1;
		s = p = malloc(len);
		if (!s)
			return NULL;
		*p = 0;
		for (i = 0; i < f->strs.n; i++)
			p += sprintf(p, "%s%s", i ? "," : "", f->strs.v[i]);
		return s;
	}
	return strdup("?");
}

char *cosi_render_cell(const struct cosi_resource *r, const char *field)
{
	const struct cosi_field *f;

	if (!r->has_spec)
		return strdup("<hidden>");
	f = cosi_spec_get(&r->spec, field);
	return f ? cosi_field_text(f) : strdup("<none>");
}


bool cosi_def_column_shows(const struct cosi_definition *def,
			   const char *field)
{
	size_t i;

	for (i = 0; i < def->n_columns; i++)
		if (!strcmp(def->columns[i].field, field))
			return true;
	return false;
}
