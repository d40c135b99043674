// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers over libyaml's document API for the manifest readers: walking
 * documents, resolving scalars, checking mapping keys, error messages.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/yamlnode.h"

int cosi_ydoc_err(struct cosi_ydoc *y, const char *fmt, ...)
{
	size_t off;
	va_list ap;

	off = snprintf(y->msg, y->len, "%s: document %zu%s%s%s: ", y->name,
		       y->index, y->what[0] ? " (" : "", y->what,
		       y->what[0] ? ")" : "");
	if (off < y->len) {
		va_start(ap, fmt);
		vsnprintf(y->msg + off, y->len - off, fmt, ap);
		va_end(ap);
	}
	cosi_oneline(y->msg);
	return -EINVAL;
}

yaml_node_t *cosi_ynode(struct cosi_ydoc *y, yaml_node_item_t i)
{
	return yaml_document_get_node(y->doc, i);
}

static bool tag_is(yaml_node_t *n, const char *tag)
{
	return n->tag && !strcmp((const char *)n->tag, tag);
}

const char *cosi_yscalar(yaml_node_t *n, enum cosi_scalar_kind *kind)
{
	const char *s;

	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    tag_is(n, YAML_DEFAULT_SCALAR_TAG))
		*kind = cosi_scalar_resolve(s);
	else if (tag_is(n, YAML_INT_TAG))
		*kind = COSI_SCALAR_INT;
	else if (tag_is(n, YAML_BOOL_TAG))
		*kind = COSI_SCALAR_BOOL;
	else if (tag_is(n, YAML_NULL_TAG))
		*kind = COSI_SCALAR_NULL;
	else if (tag_is(n, YAML_FLOAT_TAG))
		*kind = COSI_SCALAR_FLOAT;
	else
		*kind = COSI_SCALAR_STRING;
	return s;
}

bool cosi_ynull(yaml_node_t *n)
{
	enum cosi_scalar_kind k;

	return !n || (cosi_yscalar(n, &k) && k == COSI_SCALAR_NULL);
}

bool cosi_ybinary(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE &&
	       tag_is(n, COSI_YAML_BINARY_TAG);
}

bool cosi_yhas_nul(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE &&
	       strlen((const char *)n->data.scalar.value) !=
	       n->data.scalar.length;
}

const char *cosi_ykey(struct cosi_ydoc *y, yaml_node_pair_t *p)
{
	enum cosi_scalar_kind k;

	return cosi_yscalar(cosi_ynode(y, p->key), &k);
}

static bool in_list(const char *s, const char *const *l)
{
	for (; l && *l; l++)
		if (!strcmp(s, *l))
			return true;
	return false;
}

int cosi_ycheck_keys(struct cosi_ydoc *y, yaml_node_t *map, const char *path,
		     const char *const *known, const char *const *ignored)
{
	yaml_node_pair_t *p, *q;
	const char *k;

	if (map->type != YAML_MAPPING_NODE)
		return cosi_ydoc_err(y, "%s: expected a mapping", path);
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		k = cosi_ykey(y, p);
		if (!k)
			return cosi_ydoc_err(y, "%s: keys must be scalars",
					     path);
		if (known && !in_list(k, known) && !in_list(k, ignored))
			return cosi_ydoc_err(y, "%s.%s: unknown key", path, k);
		for (q = map->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(cosi_ykey(y, q), k))
				return cosi_ydoc_err(y, "%s.%s: duplicate key",
						     path, k);
	}
	return 0;
}

yaml_node_t *cosi_yget(struct cosi_ydoc *y, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	const char *k;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		k = cosi_ykey(y, p);
		if (k && !strcmp(k, key))
			return cosi_ynode(y, p->value);
	}
	return NULL;
}

static int parse_error(yaml_parser_t *p, const char *name, char *msg,
		       size_t len)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->context)
		snprintf(msg, len, "%s: line %zu column %zu: invalid YAML: %s %s",
			 name, m->line + 1, m->column + 1,
			 p->problem ? p->problem : "error", p->context);
	else
		snprintf(msg, len, "%s: line %zu column %zu: invalid YAML: %s",
			 name, m->line + 1, m->column + 1,
			 p->problem ? p->problem : "error");
	cosi_oneline(msg);
	return -EINVAL;
}

/* A document that is only a null scalar ("---" alone) counts as empty. */
static bool doc_empty(yaml_node_t *root)
{
	return root->type == YAML_SCALAR_NODE && cosi_ynull(root);
}

int cosi_yaml_each(const char *buf, size_t len, const char *name,
		   cosi_ydoc_fn fn, void *arg, char *msg, size_t msglen)
{
	struct cosi_ydoc y = { .name = name, .msg = msg, .len = msglen };
	yaml_document_t doc;
	yaml_parser_t parser;
	yaml_node_t *root;
	int err = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_load(&parser, &doc)) {
			err = parse_error(&parser, name, msg, msglen);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		y.index++;
		y.doc = &doc;
		y.what[0] = 0;
		if (!doc_empty(root))
			err = fn(&y, root, arg);
		yaml_document_delete(&doc);
		if (err)
			break;
	}
	yaml_parser_delete(&parser);
	return err;
}
