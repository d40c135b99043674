// SPDX-License-Identifier: GPL-2.0
/*
 * Type resolution for the CLI and manifests: names, aliases and unique
 * prefixes of type names, case-insensitively.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/codec.h"
#include "common/resolve.h"

bool cosi_resolve_is_definitions(const char *name)
{
	static const char *const names[] = {
		"rd", "rds", "definition", "definitions",
		"resourcedefinition", "resourcedefinitions",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(name, names[i]))
			return true;
	return false;
}

const char *cosi_resolve_default_ns(const struct cosi_definition *def)
{
	return def && def->default_ns && def->default_ns[0] ?
	       def->default_ns : COSI_DEFAULT_NS;
}

static bool def_named(const struct cosi_definition *d, const char *name)
{
	size_t i;

	if (!strcasecmp(d->type, name))
		return true;
	for (i = 0; i < d->aliases.n; i++)
		if (!strcasecmp(d->aliases.v[i], name))
			return true;
	return false;
}

/* @name is a prefix of @d's type up to its first dot. */
static bool def_prefixed(const struct cosi_definition *d, const char *name)
{
	size_t n = strlen(name), first = strcspn(d->type, ".");

	return n && n <= first && !strncasecmp(d->type, name, n);
}

static int ambiguous(const struct cosi_definitions *defs, const char *name,
		     char *msg, size_t len)
{
	size_t i, off;

	off = snprintf(msg, len, "type \"%s\" is ambiguous:", name);
	for (i = 0; i < defs->n && off < len; i++)
		if (def_prefixed(defs->v[i], name))
			off += snprintf(msg + off, len - off, " %s",
					defs->v[i]->type);
	cosi_oneline(msg);
	return -EINVAL;
}

int cosi_resolve_type(const struct cosi_definitions *defs, const char *name,
		      const struct cosi_definition **out, char *msg,
		      size_t len)
{
	const struct cosi_definition *found = NULL;
	size_t i, n = 0;

	for (i = 0; i < defs->n; i++) {
		if (def_named(defs->v[i], name)) {
			*out = defs->v[i];
			return 0;
		}
	}
	for (i = 0; i < defs->n; i++) {
		if (def_prefixed(defs->v[i], name)) {
			found = defs->v[i];
			n++;
		}
	}
	if (n > 1)
		return ambiguous(defs, name, msg, len);
	if (!n) {
		snprintf(msg, len, "unknown type \"%s\"", name);
		cosi_oneline(msg);
		return -ENOENT;
	}
	*out = found;
	return 0;
}
