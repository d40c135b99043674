// SPDX-License-Identifier: GPL-2.0
/*
 * YAML output through libyaml's emitter: resources, definitions and watch
 * events, one document each, in the form the manifest readers accept.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <yaml.h>

#include "common/codec.h"
#include "common/render.h"
#include "common/resolve.h"
#include "common/yamlnode.h"

struct cosi_yaml {
	yaml_emitter_t e;
	bool started;
	int err;
};

static int emit(struct cosi_yaml *y, yaml_event_t *ev)
{
	if (y->err) {
		yaml_event_delete(ev);
		return y->err;
	}
	if (!yaml_emitter_emit(&y->e, ev))
		y->err = y->e.error == YAML_MEMORY_ERROR ? -ENOMEM : -EIO;
	return y->err;
}

static int scalar(struct cosi_yaml *y, const char *tag, const char *s,
		  yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag,
					  (yaml_char_t *)s, (int)strlen(s),
					  !tag, !tag, style))
		return y->err = -ENOMEM;
	return emit(y, &ev);
}

/* A string, quoted when it would read back as something else. */
static int str(struct cosi_yaml *y, const char *s)
{
	return scalar(y, NULL, s, cosi_scalar_needs_quotes(s) ?
		      YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

static int plain(struct cosi_yaml *y, const char *s)
{
	return scalar(y, NULL, s, YAML_PLAIN_SCALAR_STYLE);
}

static int u64(struct cosi_yaml *y, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return plain(y, buf);
}

static int s64(struct cosi_yaml *y, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return plain(y, buf);
}

static int map_start(struct cosi_yaml *y)
{
	yaml_event_t ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
					    YAML_BLOCK_MAPPING_STYLE);
	return emit(y, &ev);
}

static int map_end(struct cosi_yaml *y)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	return emit(y, &ev);
}

static int seq_start(struct cosi_yaml *y, bool flow)
{
	yaml_event_t ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
					     flow ? YAML_FLOW_SEQUENCE_STYLE :
					     YAML_BLOCK_SEQUENCE_STYLE);
	return emit(y, &ev);
}

static int seq_end(struct cosi_yaml *y)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	return emit(y, &ev);
}

static int kv_str(struct cosi_yaml *y, const char *k, const char *v)
{
	plain(y, k);
	return str(y, v);
}

static int kv_u64(struct cosi_yaml *y, const char *k, uint64_t v)
{
	plain(y, k);
	return u64(y, v);
}

static int strs(struct cosi_yaml *y, const struct cosi_strs *s, bool flow)
{
	size_t i;

	seq_start(y, flow);
	for (i = 0; i < s->n; i++)
		str(y, s->v[i]);
	return seq_end(y);
}

static int kvs(struct cosi_yaml *y, const char *k, const struct cosi_kvs *s)
{
	size_t i;

	plain(y, k);
	map_start(y);
	for (i = 0; i < s->n; i++)
		kv_str(y, s->v[i].key, s->v[i].value);
	return map_end(y);
}

static int doc_start(struct cosi_yaml *y)
{
	yaml_event_t ev;

	if (!y->started) {
		yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
		emit(y, &ev);
		y->started = true;
	}
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
	emit(y, &ev);
	return map_start(y);
}

static int doc_end(struct cosi_yaml *y)
{
	yaml_event_t ev;

	map_end(y);
	yaml_document_end_event_initialize(&ev, 1);
	emit(y, &ev);
	if (!y->err && !yaml_emitter_flush(&y->e))
		y->err = -EIO;
	if (!y->err)
		fflush(y->e.output.file);
	return y->err;
}

struct cosi_yaml *cosi_yaml_new(FILE *f)
{
	struct cosi_yaml *y = calloc(1, sizeof(*y));

	if (!y)
		return NULL;
	if (!yaml_emitter_initialize(&y->e)) {
		free(y);
		return NULL;
	}
	yaml_emitter_set_output_file(&y->e, f);
	yaml_emitter_set_unicode(&y->e, 1);
	yaml_emitter_set_width(&y->e, -1);
	return y;
}

int cosi_yaml_close(struct cosi_yaml *y)
{
	yaml_event_t ev;
	int err;

	if (!y)
		return 0;
	if (y->started) {
		yaml_stream_end_event_initialize(&ev);
		emit(y, &ev);
	}
	err = y->err;
	yaml_emitter_delete(&y->e);
	free(y);
	return err;
}

static int field(struct cosi_yaml *y, const struct cosi_field *f)
{
	char *b64;

	plain(y, f->name);
	switch (f->type) {
	case COSI_FIELD_TYPE_STRING:
		return str(y, f->str);
	case COSI_FIELD_TYPE_U64:
		return u64(y, f->u64);
	case COSI_FIELD_TYPE_S64:
		return s64(y, f->s64);
	case COSI_FIELD_TYPE_BOOL:
		return plain(y, f->b ? "true" : "false");
	case COSI_FIELD_TYPE_BYTES:
		b64 = cosi_base64_encode(f->bytes.data, f->bytes.len);
		if (!b64)
			return y->err = -ENOMEM;
		scalar(y, COSI_YAML_BINARY_TAG, b64, YAML_ANY_SCALAR_STYLE);
		free(b64);
		return y->err;
	case COSI_FIELD_TYPE_STRING_LIST:
		return strs(y, &f->strs, false);
	}
	return plain(y, "~");
}

/*
 * writer-caps: [net-admin, sys-admin], in the manifest form too; bits no
 * name is known for (a newer cosi.ko) follow as one number.
 */
static int writer_caps(struct cosi_yaml *y, uint32_t caps)
{
	const struct cosi_flag_name *f;

	plain(y, "writer-caps");
	seq_start(y, true);
	for (f = cosi_writer_caps_names; f->name; f++)
		if (caps & f->flag)
			plain(y, f->name);
	caps &= ~cosi_writer_caps_known();
	if (caps)
		u64(y, caps);
	return seq_end(y);
}

static int metadata(struct cosi_yaml *y, const struct cosi_resource *r,
		    unsigned int flags)
{
	char t[48];

	plain(y, "metadata");
	map_start(y);
	kv_str(y, "namespace", r->ns);
	kv_str(y, "type", r->type);
	kv_str(y, "id", r->id);
	if (!(flags & COSI_RENDER_MANIFEST)) {
		kv_u64(y, "version", r->version);
		kv_str(y, "owner", r->owner);
		kv_str(y, "phase", r->phase == COSI_PHASE_TEARING_DOWN ?
		       "tearing-down" : "running");
	}
	kvs(y, "labels", &r->labels);
	kvs(y, "annotations", &r->annotations);
	if (r->has_writer_caps)
		writer_caps(y, r->writer_caps);
	if (!(flags & COSI_RENDER_MANIFEST)) {
		plain(y, "finalizers");
		strs(y, &r->finalizers, false);
		kv_str(y, "created", cosi_rfc3339(r->created, t, sizeof(t)));
		kv_str(y, "updated", cosi_rfc3339(r->updated, t, sizeof(t)));
		kv_u64(y, "revision", r->revision);
	}
	return map_end(y);
}

/* One resource document, @key: @val first when @val is given. */
static int resource_doc(struct cosi_yaml *y, const struct cosi_resource *r,
			const char *event, const char *node,
			unsigned int flags)
{
	size_t i;

	doc_start(y);
	if (event)
		kv_str(y, "event", event);
	if (node)
		kv_str(y, "node", node);
	metadata(y, r, flags);
	if (r->has_spec) {
		plain(y, "spec");
		map_start(y);
		for (i = 0; i < r->spec.n; i++)
			field(y, &r->spec.v[i]);
		map_end(y);
	}
	return doc_end(y);
}

int cosi_yaml_resource(struct cosi_yaml *y, const struct cosi_resource *r,
		       const char *event, unsigned int flags)
{
	return resource_doc(y, r, event, NULL, flags);
}

int cosi_yaml_node_resource(struct cosi_yaml *y, const char *event,
			    const char *node, const struct cosi_resource *r)
{
	return resource_doc(y, r, event, node, 0);
}

static int json_value(struct cosi_yaml *y, struct json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_null:
		return plain(y, "null");
	case json_type_boolean:
		return plain(y, json_object_get_boolean(o) ? "true" : "false");
	case json_type_int:
	case json_type_double:
		return plain(y, json_object_to_json_string(o));
	case json_type_string:
		return str(y, json_object_get_string(o));
	case json_type_array:
		n = json_object_array_length(o);
		seq_start(y, false);
		for (i = 0; i < n; i++)
			json_value(y, json_object_array_get_idx(o, i));
		return seq_end(y);
	case json_type_object:
		map_start(y);
		json_object_object_foreach(o, k, v) {
			str(y, k);
			json_value(y, v);
		}
		return map_end(y);
	}
	return -EINVAL;
}

int cosi_yaml_json(struct cosi_yaml *y, struct json_object *o)
{
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	doc_start(y);			/* opens the document's mapping */
	json_object_object_foreach(o, k, v) {
		str(y, k);
		json_value(y, v);
	}
	return doc_end(y);
}

int cosi_yaml_marker(struct cosi_yaml *y, uint64_t revision)
{
	doc_start(y);
	kv_str(y, "event", "bootstrapped");
	kv_u64(y, "revision", revision);
	return doc_end(y);
}

int cosi_yaml_definition(struct cosi_yaml *y, const struct cosi_definition *d,
			 unsigned int flags)
{
	size_t i;

	doc_start(y);
	kv_str(y, "type", d->type);
	plain(y, "aliases");
	strs(y, &d->aliases, true);
	kv_str(y, "default-namespace", cosi_resolve_default_ns(d));
	kv_str(y, "sensitivity", d->sensitivity == COSI_SENSITIVITY_SENSITIVE ?
	       "sensitive" : "public");
	kv_str(y, "write-access", cosi_write_access_name(d->write_access));
	plain(y, "fields");
	seq_start(y, false);
	for (i = 0; i < d->n_fields; i++) {
		map_start(y);
		kv_str(y, "name", d->fields[i].name);
		kv_str(y, "type", cosi_field_type_name(d->fields[i].type));
		plain(y, "required");
		plain(y, d->fields[i].required ? "true" : "false");
		map_end(y);
	}
	seq_end(y);
	plain(y, "columns");
	seq_start(y, false);
	for (i = 0; i < d->n_columns; i++) {
		map_start(y);
		kv_str(y, "name", d->columns[i].name);
		kv_str(y, "field", d->columns[i].field);
		map_end(y);
	}
	seq_end(y);
	if (!(flags & COSI_RENDER_MANIFEST)) {
		kv_u64(y, "revision", d->revision);
		kv_u64(y, "resources", d->resources);
	}
	return doc_end(y);
}
