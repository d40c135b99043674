/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers over libyaml's document (node tree) API, shared by the manifest
 * readers: walking a stream of documents, typed access to scalars, and
 * error messages that say where ("file: document N (what): path: why").
 */
#ifndef _COSI_COMMON_YAMLNODE_H
#define _COSI_COMMON_YAMLNODE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "common/codec.h"

#define COSI_YAML_BINARY_TAG	"tag:yaml.org,2002:binary"

/* Where a reader is, for messages. */
struct cosi_ydoc {
	yaml_document_t *doc;
	const char *name;		/* file name, for messages */
	size_t index;			/* 1-based document index */
	char what[400];			/* "Type/id", "" until known */
	char *msg;
	size_t len;
};

/* Called per non-empty document; 0 to go on, else stop with that error. */
typedef int (*cosi_ydoc_fn)(struct cosi_ydoc *y, yaml_node_t *root,
			    void *arg);

/*
 * Parse every document of @buf and call @fn for each non-empty one.
 * Return: 0, -EINVAL (invalid YAML: @msg has the line and column), or
 * what @fn returned.
 */
int cosi_yaml_each(const char *buf, size_t len, const char *name,
		   cosi_ydoc_fn fn, void *arg, char *msg, size_t msglen);

/* Format "name: document N (what): ..." into y->msg; returns -EINVAL. */
int cosi_ydoc_err(struct cosi_ydoc *y, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

yaml_node_t *cosi_ynode(struct cosi_ydoc *y, yaml_node_item_t i);
/* The scalar's text (NULL if not a scalar); *@kind says what it means. */
const char *cosi_yscalar(yaml_node_t *n, enum cosi_scalar_kind *kind);
/* A plain null scalar, or no node at all. */
bool cosi_ynull(yaml_node_t *n);
bool cosi_ybinary(yaml_node_t *n);
/* A scalar with an embedded NUL (from a "\0" escape). */
bool cosi_yhas_nul(yaml_node_t *n);
/* The text of a scalar key of a mapping pair (NULL: not a scalar). */
const char *cosi_ykey(struct cosi_ydoc *y, yaml_node_pair_t *p);
/*
 * Check that every key of mapping @map is a scalar, unique, and in
 * @known (NULL-terminated; NULL: any key) or @ignored (may be NULL);
 * @path prefixes
 * messages ("metadata").
 */
int cosi_ycheck_keys(struct cosi_ydoc *y, yaml_node_t *map, const char *path,
		     const char *const *known, const char *const *ignored);
/* The value of @key in mapping @map, or NULL. */
yaml_node_t *cosi_yget(struct cosi_ydoc *y, yaml_node_t *map,
		       const char *key);

#endif /* _COSI_COMMON_YAMLNODE_H */
