// SPDX-License-Identifier: GPL-2.0
/*
 * JSON output through json-c: resources, definitions and watch events, in
 * the same shape as the YAML output.  Shared by cosictl (-o json) and
 * cosid (the status documents fleet mode publishes to etcd).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/render.h"
#include "common/resolve.h"

bool cosi_json_add(struct json_object *o, const char *k, struct json_object *v)
{
	if (!o || !v || json_object_object_add(o, k, v)) {
		json_object_put(v);
		return false;
	}
	return true;
}

bool cosi_json_push(struct json_object *a, struct json_object *o)
{
	if (a && o && !json_object_array_add(a, o))
		return true;
	json_object_put(o);
	return false;
}

struct json_object *cosi_json_strs(const struct cosi_strs *s)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && i < s->n; i++) {
		if (!cosi_json_push(a, json_object_new_string(s->v[i]))) {
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

struct json_object *cosi_json_kvs(const struct cosi_kvs *s)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; o && i < s->n; i++) {
		if (!cosi_json_add(o, s->v[i].key, json_object_new_string(s->v[i].value))) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

static struct json_object *jfield(const struct cosi_field *f)
{
	struct json_object *o;
	char *b64;

	switch (f->type) {
	case COSI_FIELD_TYPE_STRING:
		return json_object_new_string(f->str);
	case COSI_FIELD_TYPE_U64:
		return json_object_new_uint64(f->u64);
	case COSI_FIELD_TYPE_S64:
		return json_object_new_int64(f->s64);
	case COSI_FIELD_TYPE_BOOL:
		return json_object_new_boolean(f->b);
	case COSI_FIELD_TYPE_BYTES:
		b64 = cosi_base64_encode(f->bytes.data, f->bytes.len);
		o = b64 ? json_object_new_string(b64) : NULL;
		free(b64);
		return o;
	case COSI_FIELD_TYPE_STRING_LIST:
		return cosi_json_strs(&f->strs);
	}
	return json_object_new_null();
}

static struct json_object *jtime(uint64_t ns)
{
	char t[48];

	return json_object_new_string(cosi_rfc3339(ns, t, sizeof(t)));
}

/* Flag names, then the bits no name is known for as one number. */
static struct json_object *jwriter_caps(uint32_t caps)
{
	struct json_object *a = json_object_new_array();
	const struct cosi_flag_name *f;
	bool ok = a;

	for (f = cosi_writer_caps_names; ok && f->name; f++)
		if (caps & f->flag)
			ok = cosi_json_push(a, json_object_new_string(f->name));
	caps &= ~cosi_writer_caps_known();
	if (ok && caps)
		ok = cosi_json_push(a, json_object_new_int64(caps));
	if (!ok) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

static struct json_object *jmeta(const struct cosi_resource *r,
				 unsigned int flags)
{
	struct json_object *m = json_object_new_object();
	bool ok;

	ok = cosi_json_add(m, "namespace", json_object_new_string(r->ns)) &&
	     cosi_json_add(m, "type", json_object_new_string(r->type)) &&
	     cosi_json_add(m, "id", json_object_new_string(r->id));
	if (ok && !(flags & COSI_RENDER_MANIFEST))
		ok = cosi_json_add(m, "version", json_object_new_uint64(r->version)) &&
		     cosi_json_add(m, "owner", json_object_new_string(r->owner)) &&
		     cosi_json_add(m, "phase", json_object_new_string(
			 r->phase == COSI_PHASE_TEARING_DOWN ?
			 "tearing-down" : "running"));
	ok = ok && cosi_json_add(m, "labels", cosi_json_kvs(&r->labels)) &&
	     cosi_json_add(m, "annotations", cosi_json_kvs(&r->annotations));
	if (ok && r->has_writer_caps)
		ok = cosi_json_add(m, "writer-caps", jwriter_caps(r->writer_caps));
	if (ok && !(flags & COSI_RENDER_MANIFEST))
		ok = cosi_json_add(m, "finalizers", cosi_json_strs(&r->finalizers)) &&
		     cosi_json_add(m, "created", jtime(r->created)) &&
		     cosi_json_add(m, "updated", jtime(r->updated)) &&
		     cosi_json_add(m, "revision", json_object_new_uint64(r->revision));
	if (!ok) {
		json_object_put(m);
		return NULL;
	}
	return m;
}

struct json_object *cosi_json_spec(const struct cosi_resource *r)
{
	struct json_object *spec = json_object_new_object();
	size_t i;

	for (i = 0; spec && i < r->spec.n; i++)
		if (!cosi_json_add(spec, r->spec.v[i].name, jfield(&r->spec.v[i])))
			break;
	if (spec && i < r->spec.n) {
		json_object_put(spec);
		spec = NULL;
	}
	return spec;
}

struct json_object *cosi_json_resource(const struct cosi_resource *r,
				       const char *event,
				       unsigned int flags)
{
	struct json_object *o = json_object_new_object();
	bool ok = true;

	if (event)
		ok = cosi_json_add(o, "event", json_object_new_string(event));
	ok = ok && cosi_json_add(o, "metadata", jmeta(r, flags));
	if (ok && r->has_spec)
		ok = cosi_json_add(o, "spec", cosi_json_spec(r));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *jschema(const struct cosi_definition *d)
{
	struct json_object *a = json_object_new_array(), *f;
	size_t i;

	for (i = 0; a && i < d->n_fields; i++) {
		f = json_object_new_object();
		if (!cosi_json_add(f, "name", json_object_new_string(d->fields[i].name)) ||
		    !cosi_json_add(f, "type", json_object_new_string(
			    cosi_field_type_name(d->fields[i].type))) ||
		    !cosi_json_add(f, "required",
			 json_object_new_boolean(d->fields[i].required)) ||
		    json_object_array_add(a, f)) {
			json_object_put(f);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static struct json_object *jcolumns(const struct cosi_definition *d)
{
	struct json_object *a = json_object_new_array(), *c;
	size_t i;

	for (i = 0; a && i < d->n_columns; i++) {
		c = json_object_new_object();
		if (!cosi_json_add(c, "name", json_object_new_string(d->columns[i].name)) ||
		    !cosi_json_add(c, "field", json_object_new_string(d->columns[i].field)) ||
		    json_object_array_add(a, c)) {
			json_object_put(c);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

struct json_object *cosi_json_definition(const struct cosi_definition *d,
					 unsigned int flags)
{
	struct json_object *o = json_object_new_object();
	bool ok;

	ok = cosi_json_add(o, "type", json_object_new_string(d->type)) &&
	     cosi_json_add(o, "aliases", cosi_json_strs(&d->aliases)) &&
	     cosi_json_add(o, "default-namespace",
		 json_object_new_string(cosi_resolve_default_ns(d))) &&
	     cosi_json_add(o, "sensitivity", json_object_new_string(
		 d->sensitivity == COSI_SENSITIVITY_SENSITIVE ?
		 "sensitive" : "public")) &&
	     cosi_json_add(o, "write-access", json_object_new_string(
		 cosi_write_access_name(d->write_access))) &&
	     cosi_json_add(o, "fields", jschema(d)) &&
	     cosi_json_add(o, "columns", jcolumns(d));
	if (ok && !(flags & COSI_RENDER_MANIFEST))
		ok = cosi_json_add(o, "revision", json_object_new_uint64(d->revision)) &&
		     cosi_json_add(o, "resources", json_object_new_uint64(d->resources));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int cosi_json_print(FILE *f, struct json_object *o, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *s;
	int err = 0;

	if (!o)
		return -ENOMEM;
	flags |= pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
		 JSON_C_TO_STRING_PLAIN;
	s = json_object_to_json_string_ext(o, flags);
	if (!s || fprintf(f, "%s\n", s) < 0)
		err = -EIO;
	fflush(f);
	json_object_put(o);
	return err;
}
