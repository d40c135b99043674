// SPDX-License-Identifier: GPL-2.0
/*
 * Resource manifests: YAML documents to struct cosi_doc, with each spec
 * field converted to its schema type and checked before anything is sent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/manifest.h"
#include "common/resolve.h"
#include "common/yamlnode.h"

struct mctx {
	const struct cosi_definitions *defs;
	struct cosi_docs *out;
};

static const char *const top_keys[] = { "metadata", "spec", NULL };
static const char *const meta_keys[] = {
	"namespace", "type", "id", "labels", "annotations", "writer-caps",
	NULL,
};
static const char *const meta_readonly[] = {
	"version", "owner", "phase", "finalizers", "created", "updated",
	"revision", NULL,
};

void cosi_docs_clear(struct cosi_docs *docs)
{
	size_t i;

	for (i = 0; i < docs->n; i++) {
		free(docs->v[i].ns);
		free(docs->v[i].type);
		free(docs->v[i].id);
		cosi_kvs_clear(&docs->v[i].labels);
		cosi_kvs_clear(&docs->v[i].annotations);
		cosi_spec_clear(&docs->v[i].spec);
	}
	free(docs->v);
	docs->v = NULL;
	docs->n = 0;
}

/* A metadata string: a non-null scalar, taken as text. */
static int meta_str(struct cosi_ydoc *y, yaml_node_t *meta, const char *key,
		    const char **out)
{
	yaml_node_t *n = cosi_yget(y, meta, key);
	enum cosi_scalar_kind k;

	*out = NULL;
	if (cosi_ynull(n))
		return 0;
	*out = cosi_yscalar(n, &k);
	if (!*out || cosi_yhas_nul(n) || !**out)
		return cosi_ydoc_err(y, "metadata.%s: expected a non-empty string",
				     key);
	return 0;
}

/* Labels or annotations: a mapping of scalars; a null value is "". */
static int parse_kvs(struct cosi_ydoc *y, yaml_node_t *meta, const char *key,
		     struct cosi_kvs *out)
{
	yaml_node_t *map = cosi_yget(y, meta, key), *v;
	char path[64];
	yaml_node_pair_t *p;
	enum cosi_scalar_kind k;
	const char *val;

	if (cosi_ynull(map))
		return 0;
	snprintf(path, sizeof(path), "metadata.%s", key);
	if (cosi_ycheck_keys(y, map, path, NULL, NULL))
		return -EINVAL;
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		v = cosi_ynode(y, p->value);
		val = cosi_yscalar(v, &k);
		if (!val || cosi_yhas_nul(v))
			return cosi_ydoc_err(y, "%s.%s: expected a string",
					     path, cosi_ykey(y, p));
		if (k == COSI_SCALAR_NULL)
			val = "";
		if (cosi_kvs_add(out, cosi_ykey(y, p), val))
			return -ENOMEM;
	}
	return 0;
}

/*
 * writer-caps: a sequence of flag names and numbers (bits a newer cosi.ko
 * records that no name is known for), null: none; absent: not known.
 */
static int parse_writer_caps(struct cosi_ydoc *y, yaml_node_t *meta,
			     struct cosi_doc *d)
{
	yaml_node_t *seq = cosi_yget(y, meta, "writer-caps"), *e;
	const struct cosi_flag_name *f;
	enum cosi_scalar_kind k;
	yaml_node_item_t *it;
	const char *name;
	uint64_t bits;
	size_t i = 0;

	if (!seq)
		return 0;
	d->has_writer_caps = true;
	if (cosi_ynull(seq))
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return cosi_ydoc_err(y, "metadata.writer-caps: expected a sequence of net-admin, sys-admin (or numbers)");
	for (it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++, i++) {
		e = cosi_ynode(y, *it);
		name = cosi_yhas_nul(e) ? NULL : cosi_yscalar(e, &k);
		if (name && k == COSI_SCALAR_INT &&
		    !cosi_scalar_u64(name, &bits) && bits <= UINT32_MAX) {
			d->writer_caps |= bits;
			continue;
		}
		for (f = cosi_writer_caps_names; name && f->name; f++)
			if (k == COSI_SCALAR_STRING && !strcmp(name, f->name))
				break;
		if (!name || !f->name)
			return cosi_ydoc_err(y, "metadata.writer-caps[%zu]: expected net-admin, sys-admin or a number of at most 32 bits",
					     i);
		d->writer_caps |= f->flag;
	}
	return 0;
}

static int field_err(struct cosi_ydoc *y, const struct cosi_schema_field *f)
{
	return cosi_ydoc_err(y, "spec.%s: expected %s", f->name,
			     f->type == COSI_FIELD_TYPE_BYTES ?
			     "bytes (base64)" : cosi_field_type_name(f->type));
}

static int add_string(struct cosi_ydoc *y, struct cosi_spec *s,
		      const struct cosi_schema_field *f, yaml_node_t *n)
{
	enum cosi_scalar_kind k;
	const char *v = cosi_yscalar(n, &k);

	if (!v || k != COSI_SCALAR_STRING || cosi_ybinary(n))
		return field_err(y, f);
	if (cosi_yhas_nul(n))
		return cosi_ydoc_err(y, "spec.%s: string contains a NUL",
				     f->name);
	return cosi_spec_add_string(s, f->name, v);
}

static int add_int(struct cosi_ydoc *y, struct cosi_spec *s,
		   const struct cosi_schema_field *f, yaml_node_t *n)
{
	enum cosi_scalar_kind k;
	const char *v = cosi_yscalar(n, &k);
	uint64_t u;
	int64_t i;
	int err;

	if (!v || k != COSI_SCALAR_INT)
		return field_err(y, f);
	if (f->type == COSI_FIELD_TYPE_U64)
		err = cosi_scalar_u64(v, &u);
	else
		err = cosi_scalar_s64(v, &i);
	if (err == -ERANGE)
		return cosi_ydoc_err(y, "spec.%s: %s out of range for %s",
				     f->name, v, cosi_field_type_name(f->type));
	if (err)
		return field_err(y, f);
	if (f->type == COSI_FIELD_TYPE_U64)
		return cosi_spec_add_u64(s, f->name, u);
	return cosi_spec_add_s64(s, f->name, i);
}

static int add_bool(struct cosi_ydoc *y, struct cosi_spec *s,
		    const struct cosi_schema_field *f, yaml_node_t *n)
{
	enum cosi_scalar_kind k;
	const char *v = cosi_yscalar(n, &k);
	bool b;

	if (!v || k != COSI_SCALAR_BOOL || cosi_scalar_bool(v, &b))
		return field_err(y, f);
	return cosi_spec_add_bool(s, f->name, b);
}

static int add_bytes(struct cosi_ydoc *y, struct cosi_spec *s,
		     const struct cosi_schema_field *f, yaml_node_t *n)
{
	enum cosi_scalar_kind k;
	const char *v = cosi_yscalar(n, &k);
	void *data;
	size_t len;
	int err;

	if (!v || (k != COSI_SCALAR_STRING && !cosi_ybinary(n)))
		return field_err(y, f);
	err = cosi_base64_decode(v, &data, &len);
	if (err == -EINVAL)
		return cosi_ydoc_err(y, "spec.%s: invalid base64", f->name);
	if (err)
		return err;
	err = cosi_spec_add_bytes(s, f->name, data, len);
	free(data);
	return err;
}

static int add_strings(struct cosi_ydoc *y, struct cosi_spec *s,
		       const struct cosi_schema_field *f, yaml_node_t *n)
{
	const char **items;
	yaml_node_item_t *it;
	enum cosi_scalar_kind k;
	yaml_node_t *e;
	size_t i = 0;
	int err = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return cosi_ydoc_err(y, "spec.%s: expected string-list (a sequence)",
				     f->name);
	items = calloc(n->data.sequence.items.top -
		       n->data.sequence.items.start + 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, i++) {
		e = cosi_ynode(y, *it);
		items[i] = cosi_yscalar(e, &k);
		if (!items[i] || k != COSI_SCALAR_STRING || cosi_yhas_nul(e)) {
			err = cosi_ydoc_err(y, "spec.%s[%zu]: expected string",
					    f->name, i);
			break;
		}
	}
	if (!err)
		err = cosi_spec_add_strings(s, f->name, items, i);
	free(items);
	return err;
}

static int add_field(struct cosi_ydoc *y, struct cosi_spec *s,
		     const struct cosi_schema_field *f, yaml_node_t *n)
{
	switch (f->type) {
	case COSI_FIELD_TYPE_STRING:
		return add_string(y, s, f, n);
	case COSI_FIELD_TYPE_U64:
	case COSI_FIELD_TYPE_S64:
		return add_int(y, s, f, n);
	case COSI_FIELD_TYPE_BOOL:
		return add_bool(y, s, f, n);
	case COSI_FIELD_TYPE_BYTES:
		return add_bytes(y, s, f, n);
	case COSI_FIELD_TYPE_STRING_LIST:
		return add_strings(y, s, f, n);
	}
	return cosi_ydoc_err(y, "spec.%s: unsupported field type %u", f->name,
			     f->type);
}

static int unknown_field(struct cosi_ydoc *y,
			 const struct cosi_definition *def, const char *name)
{
	char list[256] = "";
	size_t i, off = 0;

	for (i = 0; i < def->n_fields && off < sizeof(list); i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s",
				i ? ", " : "", def->fields[i].name);
	return cosi_ydoc_err(y, "spec.%s: unknown field (%s has: %s)", name,
			     def->type, def->n_fields ? list : "no fields");
}

static const struct cosi_schema_field *
schema_field(const struct cosi_definition *def, const char *name)
{
	size_t i;

	for (i = 0; i < def->n_fields; i++)
		if (!strcmp(def->fields[i].name, name))
			return &def->fields[i];
	return NULL;
}

/* The spec, converted field by field, in schema order. */
static int parse_spec(struct cosi_ydoc *y, const struct cosi_definition *def,
		      yaml_node_t *spec, struct cosi_spec *out)
{
	const struct cosi_schema_field *f;
	yaml_node_pair_t *p;
	yaml_node_t *v;
	size_t i;
	int err;

	if (cosi_ynull(spec))
		spec = NULL;
	else if (cosi_ycheck_keys(y, spec, "spec", NULL, NULL))
		return -EINVAL;
	for (p = spec ? spec->data.mapping.pairs.start : NULL;
	     spec && p < spec->data.mapping.pairs.top; p++)
		if (!schema_field(def, cosi_ykey(y, p)))
			return unknown_field(y, def, cosi_ykey(y, p));
	for (i = 0; i < def->n_fields; i++) {
		f = &def->fields[i];
		v = cosi_yget(y, spec, f->name);
		if (cosi_ynull(v)) {
			if (f->required)
				return cosi_ydoc_err(y, "spec.%s: missing required field (%s)",
						     f->name,
						     cosi_field_type_name(f->type));
			continue;
		}
		err = add_field(y, out, f, v);
		if (err)
			return err;
	}
	return 0;
}

/*
 * What a document names: metadata type (resolved against @defs), id and
 * namespace (default: the type's); *@ns is never NULL afterwards.
 */
static int meta_ref(struct cosi_ydoc *y, const struct cosi_definitions *defs,
		    yaml_node_t *meta, const struct cosi_definition **def,
		    const char **id, const char **ns)
{
	const char *type;
	char rmsg[300];
	int err;

	if (cosi_ynull(meta))
		return cosi_ydoc_err(y, "metadata: missing");
	if (meta->type != YAML_MAPPING_NODE)
		return cosi_ydoc_err(y, "metadata: expected a mapping");
	err = meta_str(y, meta, "type", &type);
	err = err ?: meta_str(y, meta, "id", id);
	err = err ?: meta_str(y, meta, "namespace", ns);
	if (err)
		return err;
	if (!type)
		return cosi_ydoc_err(y, "metadata.type: missing");
	snprintf(y->what, sizeof(y->what), "%s/%s", type, *id ? *id : "?");
	if (!*id)
		return cosi_ydoc_err(y, "metadata.id: missing");
	err = cosi_resolve_type(defs, type, def, rmsg, sizeof(rmsg));
	if (err)
		return cosi_ydoc_err(y, "metadata.type: %s", rmsg);
	snprintf(y->what, sizeof(y->what), "%s/%s", (*def)->type, *id);
	if (!*ns)
		*ns = cosi_resolve_default_ns(*def);
	return 0;
}

static int parse_meta(struct cosi_ydoc *y, struct mctx *m, yaml_node_t *meta,
		      struct cosi_doc *d, const struct cosi_definition **def)
{
	const char *id, *ns;
	int err;

	if (!cosi_ynull(meta)) {
		err = cosi_ycheck_keys(y, meta, "metadata", meta_keys,
				       meta_readonly);
		if (err)
			return err;
	}
	err = meta_ref(y, m->defs, meta, def, &id, &ns);
	if (err)
		return err;
	d->type = strdup((*def)->type);
	d->id = strdup(id);
	d->ns = strdup(ns);
	if (!d->type || !d->id || !d->ns)
		return -ENOMEM;
	err = parse_kvs(y, meta, "labels", &d->labels);
	err = err ?: parse_kvs(y, meta, "annotations", &d->annotations);
	return err ?: parse_writer_caps(y, meta, d);
}

static int same_key(const struct cosi_doc *a, const struct cosi_doc *b)
{
	return !strcmp(a->ns, b->ns) && !strcmp(a->type, b->type) &&
	       !strcmp(a->id, b->id);
}

static int one_doc(struct cosi_ydoc *y, yaml_node_t *root, void *arg)
{
	const struct cosi_definition *def;
	struct mctx *m = arg;
	struct cosi_doc *v, *d;
	yaml_node_t *spec;
	size_t i;
	int err;

	err = cosi_ycheck_keys(y, root, "document", top_keys, NULL);
	if (err)
		return err;
	v = realloc(m->out->v, (m->out->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->out->v = v;
	d = &v[m->out->n++];
	memset(d, 0, sizeof(*d));
	d->index = y->index;
	err = parse_meta(y, m, cosi_yget(y, root, "metadata"), d, &def);
	if (err)
		return err;
	spec = cosi_yget(y, root, "spec");
	d->has_spec = spec != NULL;
	if (d->has_spec)
		err = parse_spec(y, def, spec, &d->spec);
	for (i = 0; !err && i + 1 < m->out->n; i++)
		if (same_key(&m->out->v[i], d))
			err = cosi_ydoc_err(y, "duplicate of document %zu",
					    m->out->v[i].index);
	return err;
}

int cosi_manifest_parse(const char *buf, size_t len, const char *name,
			const struct cosi_definitions *defs,
			struct cosi_docs *out, char *msg, size_t msglen)
{
	struct mctx m = { .defs = defs, .out = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = cosi_yaml_each(buf, len, name, one_doc, &m, msg, msglen);
	if (err == -ENOMEM)
		snprintf(msg, msglen, "%s: out of memory", name);
	if (err)
		cosi_docs_clear(out);
	return err;
}

struct rctx {
	const struct cosi_definitions *defs;
	cosi_ref_fn fn;
	void *arg;
};

static int one_ref(struct cosi_ydoc *y, yaml_node_t *root, void *arg)
{
	const struct cosi_definition *def;
	struct cosi_ref ref = { .index = y->index };
	struct rctx *m = arg;
	int err;

	if (root->type != YAML_MAPPING_NODE)
		err = cosi_ydoc_err(y, "document: expected a mapping");
	else
		err = meta_ref(y, m->defs, cosi_yget(y, root, "metadata"),
			       &def, &ref.id, &ref.ns);
	if (err == -EINVAL)
		return m->fn(NULL, y->msg, m->arg);
	if (err)
		return err;
	ref.type = def->type;
	return m->fn(&ref, NULL, m->arg);
}

int cosi_manifest_refs(const char *buf, size_t len, const char *name,
		       const struct cosi_definitions *defs, cosi_ref_fn fn,
		       void *arg, char *msg, size_t msglen)
{
	struct rctx m = { .defs = defs, .fn = fn, .arg = arg };
	int err;

	err = cosi_yaml_each(buf, len, name, one_ref, &m, msg, msglen);
	if (err == -ENOMEM)
		snprintf(msg, msglen, "%s: out of memory", name);
	return err;
}

/* Read all of @f (named @name in @msg) and close it unless it is stdin. */
static int read_stream(FILE *f, const char *name, char **buf, size_t *len,
		       char *msg, size_t msglen)
{
	size_t cap = 0, n = 0, r;
	char *b = NULL, *nb;
	int err = 0;

	errno = 0;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(b, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
	} while (r);
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;	/* EISDIR names the problem */
	if (f != stdin)
		fclose(f);
	if (err) {
		free(b);
		snprintf(msg, msglen, "%s: %s", name, strerror(-err));
		return err;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

int cosi_read_file(const char *path, char **buf, size_t *len, char *msg,
		   size_t msglen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;

	if (!f) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	return read_stream(f, path, buf, len, msg, msglen);
}

int cosi_read_fd(int fd, const char *name, char **buf, size_t *len,
		 char *msg, size_t msglen)
{
	FILE *f = fdopen(fd, "r");
	int err = -errno;

	if (!f) {
		close(fd);
		snprintf(msg, msglen, "%s: %s", name, strerror(-err));
		return err;
	}
	return read_stream(f, name, buf, len, msg, msglen);
}
