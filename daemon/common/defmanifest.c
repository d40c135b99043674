// SPDX-License-Identifier: GPL-2.0
/*
 * Definition manifests: YAML documents to struct cosi_definition (the
 * input of "cosictl define", the output of "cosictl get rd -o yaml").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/manifest.h"
#include "common/yamlnode.h"

static const char *const def_keys[] = {
	"type", "aliases", "default-namespace", "sensitivity", "write-access",
	"fields", "columns", NULL,
};
static const char *const def_readonly[] = { "revision", "resources", NULL };
static const char *const field_keys[] = { "name", "type", "required", NULL };
static const char *const column_keys[] = { "name", "field", NULL };

/* A string scalar (plain text that resolves to a string, or quoted). */
static const char *text(yaml_node_t *n)
{
	enum cosi_scalar_kind k;
	const char *s = cosi_yscalar(n, &k);

	return s && k == COSI_SCALAR_STRING && !cosi_yhas_nul(n) && *s ?
	       s : NULL;
}

static int req_text(struct cosi_ydoc *y, yaml_node_t *map, const char *key,
		    const char *path, const char **out)
{
	*out = text(cosi_yget(y, map, key));
	if (!*out)
		return cosi_ydoc_err(y, "%s%s: expected a non-empty string",
				     path, key);
	return 0;
}

static int field_type(const char *s, enum cosi_field_type *out)
{
	uint32_t t;

	for (t = COSI_FIELD_TYPE_STRING; t <= COSI_FIELD_TYPE_STRING_LIST; t++) {
		if (!strcmp(s, cosi_field_type_name(t))) {
			*out = t;
			return 0;
		}
	}
	return -EINVAL;
}

static int one_field(struct cosi_ydoc *y, struct cosi_definition *d,
		     yaml_node_t *n, size_t i)
{
	enum cosi_field_type type;
	yaml_node_t *req;
	enum cosi_scalar_kind k;
	const char *name, *ts, *rs;
	char path[32];
	bool required = false;
	int err;

	snprintf(path, sizeof(path), "fields[%zu]", i);
	err = cosi_ycheck_keys(y, n, path, field_keys, NULL);
	if (err)
		return err;
	snprintf(path, sizeof(path), "fields[%zu].", i);
	err = req_text(y, n, "name", path, &name);
	err = err ?: req_text(y, n, "type", path, &ts);
	if (err)
		return err;
	if (field_type(ts, &type))
		return cosi_ydoc_err(y, "%stype: expected one of string, u64, s64, bool, bytes, string-list",
				     path);
	req = cosi_yget(y, n, "required");
	rs = cosi_yscalar(req, &k);
	if (!cosi_ynull(req) &&
	    (!rs || k != COSI_SCALAR_BOOL || cosi_scalar_bool(rs, &required)))
		return cosi_ydoc_err(y, "%srequired: expected bool", path);
	return cosi_def_add_field(d, name, type, required);
}

static int one_column(struct cosi_ydoc *y, struct cosi_definition *d,
		      yaml_node_t *n, size_t i)
{
	const char *name, *field;
	char path[32];
	int err;

	snprintf(path, sizeof(path), "columns[%zu]", i);
	err = cosi_ycheck_keys(y, n, path, column_keys, NULL);
	if (err)
		return err;
	snprintf(path, sizeof(path), "columns[%zu].", i);
	err = req_text(y, n, "name", path, &name);
	err = err ?: req_text(y, n, "field", path, &field);
	return err ?: cosi_def_add_column(d, name, field);
}

typedef int (*item_fn)(struct cosi_ydoc *y, struct cosi_definition *d,
		       yaml_node_t *n, size_t i);

static int each_item(struct cosi_ydoc *y, struct cosi_definition *d,
		     yaml_node_t *root, const char *key, item_fn fn)
{
	yaml_node_t *seq = cosi_yget(y, root, key);
	yaml_node_item_t *it;
	size_t i = 0;
	int err;

	if (cosi_ynull(seq))
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return cosi_ydoc_err(y, "%s: expected a sequence", key);
	for (it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++, i++) {
		err = fn(y, d, cosi_ynode(y, *it), i);
		if (err)
			return err;
	}
	return 0;
}

static int one_alias(struct cosi_ydoc *y, struct cosi_definition *d,
		     yaml_node_t *n, size_t i)
{
	const char *s = text(n);

	if (!s)
		return cosi_ydoc_err(y, "aliases[%zu]: expected a non-empty string",
				     i);
	return cosi_def_add_alias(d, s);
}

/* @key: absent or null (the first, the default), @first or @second. */
static int one_of_two(struct cosi_ydoc *y, yaml_node_t *root,
		      const char *key, const char *first, const char *second,
		      bool *is_second)
{
	yaml_node_t *n = cosi_yget(y, root, key);
	const char *s = text(n);

	*is_second = s && !strcmp(s, second);
	if (*is_second || cosi_ynull(n) || (s && !strcmp(s, first)))
		return 0;
	return cosi_ydoc_err(y, "%s: expected %s or %s", key, first, second);
}

/* *@out: the definition (the caller frees it, also on failure). */
static int parse_def(struct cosi_ydoc *y, yaml_node_t *root,
		     struct cosi_definition **out)
{
	struct cosi_definition *d;
	yaml_node_t *n;
	const char *s;
	bool second;
	int err;

	err = cosi_ycheck_keys(y, root, "document", def_keys, def_readonly);
	err = err ?: req_text(y, root, "type", "", &s);
	if (err)
		return err;
	snprintf(y->what, sizeof(y->what), "%s", s);
	d = *out = cosi_def_new(s);
	if (!d)
		return -ENOMEM;
	n = cosi_yget(y, root, "default-namespace");
	if (!cosi_ynull(n)) {
		err = req_text(y, root, "default-namespace", "", &s);
		err = err ?: cosi_def_set_default_ns(d, s);
		if (err)
			return err;
	}
	err = one_of_two(y, root, "sensitivity", "public", "sensitive",
			 &second);
	if (err)
		return err;
	if (second)
		d->sensitivity = COSI_SENSITIVITY_SENSITIVE;
	/* Lost, a sys-admin type would be redefined writable by net-admin. */
	err = one_of_two(y, root, "write-access", "net-admin", "sys-admin",
			 &second);
	if (err)
		return err;
	if (second)
		d->write_access = COSI_WRITE_ACCESS_SYS_ADMIN;
	err = each_item(y, d, root, "aliases", one_alias);
	err = err ?: each_item(y, d, root, "fields", one_field);
	return err ?: each_item(y, d, root, "columns", one_column);
}

static int one_def(struct cosi_ydoc *y, yaml_node_t *root, void *arg)
{
	struct cosi_definitions *out = arg;
	struct cosi_definition **v, *d = NULL;
	int err;

	err = parse_def(y, root, &d);
	if (err) {
		cosi_definition_free(d);
		return err;
	}
	v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (!v) {
		cosi_definition_free(d);
		return -ENOMEM;
	}
	v[out->n++] = d;
	out->v = v;
	return 0;
}

int cosi_manifest_parse_definitions(const char *buf, size_t len,
				    const char *name,
				    struct cosi_definitions *out, char *msg,
				    size_t msglen)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = cosi_yaml_each(buf, len, name, one_def, out, msg, msglen);
	if (err == -ENOMEM)
		snprintf(msg, msglen, "%s: out of memory", name);
	if (err)
		cosi_definitions_clear(out);
	return err;
}
