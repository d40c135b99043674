// SPDX-License-Identifier: GPL-2.0
/*
 * cosi resources in Kubernetes' shapes: objects, lists, meta.k8s.io
 * Tables (what kubectl's tables print) and Status.
 *
 * metadata.resourceVersion of an object is the cosi revision of its last
 * change (the netns revision, as etcd's mod_revision is for Kubernetes):
 * clients resume watches from it.  The cosi version, owner, phase and
 * writer-caps are annotations under cosi.dev/ (Documentation/
 * kubernetes-api.rst), which take precedence over a user's annotations
 * of the same keys in this view.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/apiserver.h"
#include "common/codec.h"
#include "common/render.h"

static struct json_object *str(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *u64_text(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	return str(b);
}

/* RFC 3339 in seconds, as metav1.Time. */
static struct json_object *jtime(uint64_t ns)
{
	char t[48];

	return str(cosi_rfc3339(ns - ns % 1000000000u, t, sizeof(t)));
}

static struct json_object *writer_caps(uint32_t caps)
{
	const struct cosi_flag_name *f;
	char b[64] = "";
	size_t o = 0;

	for (f = cosi_writer_caps_names; f->name; f++)
		if (caps & f->flag)
			o += snprintf(b + o, sizeof(b) - o, "%s%s",
				      o ? "," : "", f->name);
	return str(b);
}

static struct json_object *annotations(const struct cosi_resource *r)
{
	struct json_object *a = cosi_json_kvs(&r->annotations);
	bool ok;

	ok = cosi_json_add(a, "cosi.dev/version", u64_text(r->version)) &&
	     cosi_json_add(a, "cosi.dev/phase", str(r->phase == COSI_PHASE_TEARING_DOWN ?
					  "tearing-down" : "running"));
	if (ok && r->owner[0])
		ok = cosi_json_add(a, "cosi.dev/owner", str(r->owner));
	if (ok && r->has_writer_caps)
		ok = cosi_json_add(a, "cosi.dev/writer-caps", writer_caps(r->writer_caps));
	if (!ok) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

static struct json_object *metadata(const struct cosi_resource *r)
{
	struct json_object *m = json_object_new_object();
	bool ok;

	ok = cosi_json_add(m, "name", str(r->id)) &&
	     cosi_json_add(m, "namespace", str(r->ns)) &&
	     cosi_json_add(m, "resourceVersion", u64_text(r->revision)) &&
	     cosi_json_add(m, "generation", json_object_new_int64((int64_t)r->version)) &&
	     cosi_json_add(m, "creationTimestamp", jtime(r->created));
	/*
	 * Tearing down is Kubernetes' deletion pending on finalizers; cosi
	 * does not record when it began: the time of the last change.
	 */
	if (ok && r->phase == COSI_PHASE_TEARING_DOWN)
		ok = cosi_json_add(m, "deletionTimestamp", jtime(r->updated));
	if (ok && r->labels.n)
		ok = cosi_json_add(m, "labels", cosi_json_kvs(&r->labels));
	ok = ok && cosi_json_add(m, "annotations", annotations(r));
	if (ok && r->finalizers.n)
		ok = cosi_json_add(m, "finalizers", cosi_json_strs(&r->finalizers));
	if (!ok) {
		json_object_put(m);
		return NULL;
	}
	return m;
}

/* apiVersion and kind first, as Kubernetes prints them. */
static struct json_object *typed(const char *api_version, const char *kind)
{
	struct json_object *o = json_object_new_object();

	if (!cosi_json_add(o, "apiVersion", str(api_version)) ||
	    !cosi_json_add(o, "kind", str(kind))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *api_object(const struct api_res *res,
			       const struct cosi_resource *r)
{
	struct json_object *o = typed(API_GV, res->kind);
	bool ok;

	ok = cosi_json_add(o, "metadata", metadata(r));
	if (ok && r->has_spec)
		ok = cosi_json_add(o, "spec", cosi_json_spec(r));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *list_meta(uint64_t rev)
{
	struct json_object *m = json_object_new_object();

	if (!cosi_json_add(m, "resourceVersion", u64_text(rev))) {
		json_object_put(m);
		return NULL;
	}
	return m;
}

struct json_object *api_list(const struct api_res *res,
			     const struct cosi_resource *const *v, size_t n,
			     uint64_t rev)
{
	struct json_object *o = typed(API_GV, res->list_kind);
	struct json_object *items = json_object_new_array();
	bool ok = items;
	size_t i;

	for (i = 0; ok && i < n; i++)
		ok = cosi_json_push(items, api_object(res, v[i]));
	if (!ok) {
		json_object_put(items);
		items = NULL;
	}
	if (!cosi_json_add(o, "metadata", list_meta(rev)) | !cosi_json_add(o, "items", items)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

void api_age(int64_t s, char *buf, size_t len)
{
	int64_t m = s / 60, h = s / 3600, d = h / 24, y = d / 365;

	/* k8s.io/apimachinery/pkg/util/duration.HumanDuration */
	if (s < -1)
		snprintf(buf, len, "<invalid>");
	else if (s < 0)
		snprintf(buf, len, "0s");
	else if (s < 120)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (m < 10 && s % 60)
		snprintf(buf, len, "%" PRId64 "m%" PRId64 "s", m, s % 60);
	else if (m < 180)
		snprintf(buf, len, "%" PRId64 "m", m);
	else if (h < 8 && m % 60)
		snprintf(buf, len, "%" PRId64 "h%" PRId64 "m", h, m % 60);
	else if (h < 48)
		snprintf(buf, len, "%" PRId64 "h", h);
	else if (h < 192 && h % 24)
		snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", d, h % 24);
	else if (d < 365 * 2)
		snprintf(buf, len, "%" PRId64 "d", d);
	else if (d < 365 * 8 && d % 365)
		snprintf(buf, len, "%" PRId64 "y%" PRId64 "d", y, d % 365);
	else
		snprintf(buf, len, "%" PRId64 "y", y);
}

static struct json_object *column(const char *name, const char *type,
				  const char *format, const char *desc,
				  int priority)
{
	struct json_object *c = json_object_new_object();

	if (!cosi_json_add(c, "name", str(name)) || !cosi_json_add(c, "type", str(type)) ||
	    !cosi_json_add(c, "format", str(format)) ||
	    !cosi_json_add(c, "description", str(desc)) ||
	    !cosi_json_add(c, "priority", json_object_new_int(priority))) {
		json_object_put(c);
		return NULL;
	}
	return c;
}

/*
 * Name, the definition's print columns, Age; then (priority 1: -o wide)
 * the schema fields no print column shows, as cosictl get -o wide.
 */
static struct json_object *columns(const struct cosi_definition *def)
{
	struct json_object *a = json_object_new_array();
	bool ok;
	size_t i;

	ok = cosi_json_push(a, column("Name", "string", "name",
			    "The resource's id.", 0));
	for (i = 0; ok && i < def->n_columns; i++)
		ok = cosi_json_push(a, column(def->columns[i].name, "string", "",
				    def->columns[i].field, 0));
	ok = ok && cosi_json_push(a, column("Age", "string", "",
				  "Time since the resource was created.", 0));
	for (i = 0; ok && i < def->n_fields; i++)
		if (!cosi_def_column_shows(def, def->fields[i].name))
			ok = cosi_json_push(a, column(def->fields[i].name, "string", "",
					    def->fields[i].name, 1));
	if (!ok) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/* A string cell from a malloc()ed @s (freed); NULL on ENOMEM. */
static struct json_object *cell(char *s)
{
	struct json_object *o = s ? str(s) : NULL;

	free(s);
	return o;
}

static struct json_object *row(const struct api_res *res,
			       const struct cosi_resource *r, int64_t now)
{
	const struct cosi_definition *def = res->def;
	struct json_object *o = json_object_new_object();
	struct json_object *cells = json_object_new_array(), *obj;
	char age[32];
	bool ok;
	size_t i;

	api_age(now - (int64_t)(r->created / 1000000000u), age, sizeof(age));
	ok = cosi_json_push(cells, str(r->id));
	for (i = 0; ok && i < def->n_columns; i++)
		ok = cosi_json_push(cells, cell(cosi_render_cell(r, def->columns[i].field)));
	ok = ok && cosi_json_push(cells, str(age));
	for (i = 0; ok && i < def->n_fields; i++)
		if (!cosi_def_column_shows(def, def->fields[i].name))
			ok = cosi_json_push(cells, cell(cosi_render_cell(r,
						def->fields[i].name)));
	if (!ok) {
		json_object_put(cells);
		cells = NULL;
	}
	obj = typed("meta.k8s.io/v1", "PartialObjectMetadata");
	if (!cosi_json_add(obj, "metadata", metadata(r))) {
		json_object_put(obj);
		obj = NULL;
	}
	/* Both consumed, whatever fails. */
	if (!cosi_json_add(o, "cells", cells) | !cosi_json_add(o, "object", obj)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *api_table(const struct api_res *res,
			      const struct cosi_resource *const *v, size_t n,
			      uint64_t rev, bool headers)
{
	struct json_object *o = typed("meta.k8s.io/v1", "Table");
	struct json_object *rows = json_object_new_array();
	int64_t now = (int64_t)time(NULL);
	bool ok;
	size_t i;

	ok = cosi_json_add(o, "metadata", list_meta(rev));
	if (ok && headers)
		ok = cosi_json_add(o, "columnDefinitions", columns(res->def));
	for (i = 0; rows && i < n; i++)
		if (!cosi_json_push(rows, row(res, v[i], now)))
			break;
	if (rows && i < n) {
		json_object_put(rows);
		rows = NULL;
	}
	ok = cosi_json_add(o, "rows", rows) && ok;
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *api_status(unsigned int code, const char *reason,
			       const char *msg, const struct api_res *res,
			       const char *name)
{
	struct json_object *o = typed("v1", "Status");
	struct json_object *d = NULL;
	bool ok;

	ok = cosi_json_add(o, "metadata", json_object_new_object()) &&
	     cosi_json_add(o, "status", str("Failure")) &&
	     cosi_json_add(o, "message", str(msg)) &&
	     cosi_json_add(o, "reason", str(reason));
	if (ok && (res || name)) {
		d = json_object_new_object();
		ok = (!name || cosi_json_add(d, "name", str(name))) &&
		     (!res || (cosi_json_add(d, "group", str(API_GROUP)) &&
			       cosi_json_add(d, "kind", str(res->plural))));
		ok = cosi_json_add(o, "details", ok ? d : (json_object_put(d), NULL));
	}
	ok = ok && cosi_json_add(o, "code", json_object_new_int((int)code));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

char *api_json_text(struct json_object *o, bool nl, size_t *len)
{
	const char *s;
	size_t n;
	char *out = NULL;

	if (!o)
		return NULL;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s) {
		n = strlen(s);
		out = malloc(n + 2);
		if (out) {
			memcpy(out, s, n);
			if (nl)
				out[n++] = '\n';
			out[n] = 0;
			*len = n;
		}
	}
	json_object_put(o);
	return out;
}
