// SPDX-License-Identifier: GPL-2.0
/*
 * JSON resource documents (the form render_json.c writes) back to
 * struct cosi_resource.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/json_resource.h"

static int __attribute__((format(printf, 3, 4)))
fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	cosi_oneline(msg);
	return -EINVAL;
}

/* @o's member @k if it has type @t; NULL if absent; @bad if another. */
static struct json_object *member(struct json_object *o, const char *k,
				  json_type t, bool *bad)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, t)) {
		*bad = true;
		return NULL;
	}
	return v;
}

static int dup_str(struct json_object *o, const char *k, char **out,
		   bool required, char *msg, size_t len)
{
	bool bad = false;
	struct json_object *v = member(o, k, json_type_string, &bad);

	if (!v)
		return bad || required ?
		       fail(msg, len, "metadata.%s: expected a string", k) : 0;
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : -ENOMEM;
}

static int get_u64(struct json_object *o, const char *k, uint64_t *out,
		   char *msg, size_t len)
{
	bool bad = false;
	struct json_object *v = member(o, k, json_type_int, &bad);

	if (bad || (v && json_object_get_int64(v) < 0 &&
		    json_object_get_uint64(v) <= INT64_MAX))
		return fail(msg, len, "metadata.%s: expected an unsigned integer",
			    k);
	if (v)
		*out = json_object_get_uint64(v);
	return 0;
}

static int get_time(struct json_object *o, const char *k, uint64_t *out,
		    char *msg, size_t len)
{
	bool bad = false;
	struct json_object *v = member(o, k, json_type_string, &bad);

	if (bad || (v && cosi_rfc3339_parse(json_object_get_string(v), out)))
		return fail(msg, len, "metadata.%s: expected an RFC 3339 UTC time",
			    k);
	return 0;
}

static int get_kvs(struct json_object *o, const char *k, struct cosi_kvs *s,
		   char *msg, size_t len)
{
	bool bad = false;
	struct json_object *m = member(o, k, json_type_object, &bad);

	if (bad)
		return fail(msg, len, "metadata.%s: expected an object", k);
	if (!m)
		return 0;
	json_object_object_foreach(m, key, v) {
		if (!json_object_is_type(v, json_type_string))
			return fail(msg, len, "metadata.%s.%s: expected a string",
				    k, key);
		if (cosi_kvs_add(s, key, json_object_get_string(v)))
			return -ENOMEM;
	}
	return 0;
}

/* An array of strings into @s (NULL @s: only checked). */
static int get_strs(struct json_object *a, struct cosi_strs *s)
{
	size_t i, n = json_object_array_length(a);
	struct json_object *v;

	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string))
			return -EINVAL;
		if (s && cosi_strs_add(s, json_object_get_string(v)))
			return -ENOMEM;
	}
	return 0;
}

/* Names of writer-caps flags, and one number for the unnamed bits. */
static int get_caps(struct json_object *a, uint32_t *caps)
{
	size_t i, n = json_object_array_length(a);
	const struct cosi_flag_name *f;
	struct json_object *v;
	int64_t bits;

	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		if (json_object_is_type(v, json_type_int)) {
			bits = json_object_get_int64(v);
			if (bits < 0 || bits > UINT32_MAX)
				return -EINVAL;
			*caps |= (uint32_t)bits;
			continue;
		}
		if (!json_object_is_type(v, json_type_string))
			return -EINVAL;
		for (f = cosi_writer_caps_names; f->name; f++)
			if (!strcmp(f->name, json_object_get_string(v)))
				break;
		if (!f->name)
			return -EINVAL;
		*caps |= f->flag;
	}
	return 0;
}

static int metadata(struct json_object *m, struct cosi_resource *r,
		    char *msg, size_t len)
{
	struct json_object *v;
	bool bad = false;
	int err;

	err = dup_str(m, "namespace", &r->ns, true, msg, len) ?:
	      dup_str(m, "type", &r->type, true, msg, len) ?:
	      dup_str(m, "id", &r->id, true, msg, len) ?:
	      dup_str(m, "owner", &r->owner, false, msg, len) ?:
	      get_u64(m, "version", &r->version, msg, len) ?:
	      get_u64(m, "revision", &r->revision, msg, len) ?:
	      get_time(m, "created", &r->created, msg, len) ?:
	      get_time(m, "updated", &r->updated, msg, len) ?:
	      get_kvs(m, "labels", &r->labels, msg, len) ?:
	      get_kvs(m, "annotations", &r->annotations, msg, len);
	if (err)
		return err;
	if (!r->owner && !(r->owner = strdup("")))
		return -ENOMEM;
	v = member(m, "phase", json_type_string, &bad);
	if (v && !strcmp(json_object_get_string(v), "tearing-down"))
		r->phase = COSI_PHASE_TEARING_DOWN;
	else if (bad || (v && strcmp(json_object_get_string(v), "running")))
		return fail(msg, len, "%s", "metadata.phase: expected running or tearing-down");
	v = member(m, "finalizers", json_type_array, &bad);
	if (bad || (v && (err = get_strs(v, &r->finalizers))))
		return err == -ENOMEM ? err :
		       fail(msg, len, "%s", "metadata.finalizers: expected a list of strings");
	v = member(m, "writer-caps", json_type_array, &bad);
	if (bad || (v && get_caps(v, &r->writer_caps)))
		return fail(msg, len, "%s", "metadata.writer-caps: expected a list of flag names");
	r->has_writer_caps = v;
	return 0;
}

static const struct cosi_schema_field *schema(const struct cosi_definition *def,
					      const char *name)
{
	size_t i;

	for (i = 0; def && i < def->n_fields; i++)
		if (!strcmp(def->fields[i].name, name))
			return &def->fields[i];
	return NULL;
}

/* The type of a field the schema does not know, from its JSON. */
static int json_field_type(struct json_object *v, enum cosi_field_type *t)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		*t = COSI_FIELD_TYPE_STRING;
		return 0;
	case json_type_boolean:
		*t = COSI_FIELD_TYPE_BOOL;
		return 0;
	case json_type_int:
		*t = json_object_get_int64(v) < 0 ? COSI_FIELD_TYPE_S64 :
		     COSI_FIELD_TYPE_U64;
		return 0;
	case json_type_array:
		*t = COSI_FIELD_TYPE_STRING_LIST;
		return get_strs(v, NULL);
	default:
		return -EINVAL;
	}
}

static int field(struct cosi_spec *s, const char *k, struct json_object *v,
		 enum cosi_field_type t)
{
	const char **items;
	size_t i, n, blen;
	void *bytes;
	int err;

	switch (t) {
	case COSI_FIELD_TYPE_STRING:
		if (!json_object_is_type(v, json_type_string))
			return -EINVAL;
		return cosi_spec_add_string(s, k, json_object_get_string(v));
	case COSI_FIELD_TYPE_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return -EINVAL;
		return cosi_spec_add_bool(s, k, json_object_get_boolean(v));
	case COSI_FIELD_TYPE_U64:
		if (!json_object_is_type(v, json_type_int) ||
		    (json_object_get_int64(v) < 0 &&
		     json_object_get_uint64(v) <= INT64_MAX))
			return -EINVAL;
		return cosi_spec_add_u64(s, k, json_object_get_uint64(v));
	case COSI_FIELD_TYPE_S64:
		if (!json_object_is_type(v, json_type_int) ||
		    (json_object_get_int64(v) == INT64_MAX &&
		     json_object_get_uint64(v) > INT64_MAX))
			return -EINVAL;
		return cosi_spec_add_s64(s, k, json_object_get_int64(v));
	case COSI_FIELD_TYPE_BYTES:
		if (!json_object_is_type(v, json_type_string))
			return -EINVAL;
		err = cosi_base64_decode(json_object_get_string(v), &bytes,
					 &blen);
		if (err)
			return err;
		err = cosi_spec_add_bytes(s, k, bytes, blen);
		free(bytes);
		return err;
	case COSI_FIELD_TYPE_STRING_LIST:
		if (!json_object_is_type(v, json_type_array) ||
		    get_strs(v, NULL))
			return -EINVAL;
		n = json_object_array_length(v);
		items = calloc(n + 1, sizeof(*items));
		if (!items)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			items[i] = json_object_get_string(
					json_object_array_get_idx(v, i));
		err = cosi_spec_add_strings(s, k, items, n);
		free(items);
		return err;
	}
	return -EINVAL;
}

static int spec(struct json_object *o, const struct cosi_definition *def,
		struct cosi_resource *r, char *msg, size_t len)
{
	const struct cosi_schema_field *sf;
	enum cosi_field_type t;
	int err;

	json_object_object_foreach(o, k, v) {
		sf = schema(def, k);
		err = sf ? 0 : json_field_type(v, &t);
		err = err ?: field(&r->spec, k, v, sf ? sf->type : t);
		if (err == -ENOMEM)
			return err;
		if (err)
			return fail(msg, len, "spec.%s: expected %s", k,
				    sf ? cosi_field_type_name(sf->type) :
				    "a string, boolean, integer or list of strings");
	}
	r->has_spec = true;
	return 0;
}

int cosi_json_to_resource(struct json_object *doc,
			  const struct cosi_definition *def,
			  struct cosi_resource *r, char *msg, size_t len)
{
	struct json_object *m, *s;
	bool bad = false;
	int err;

	memset(r, 0, sizeof(*r));
	r->destroy_ready = -1;
	if (!json_object_is_type(doc, json_type_object))
		return fail(msg, len, "%s", "expected a JSON object");
	m = member(doc, "metadata", json_type_object, &bad);
	if (!m)
		return fail(msg, len, "%s", "metadata: expected an object");
	err = metadata(m, r, msg, len);
	s = err ? NULL : member(doc, "spec", json_type_object, &bad);
	if (!err && bad)
		err = fail(msg, len, "%s", "spec: expected an object");
	if (!err && s)
		err = spec(s, def, r, msg, len);
	if (err == -ENOMEM)
		snprintf(msg, len, "out of memory");
	if (err)
		cosi_resource_clear(r);
	return err;
}
