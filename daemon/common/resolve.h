/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Type resolution: map what a user typed ("link", "links",
 * "sysctlconfigs", "SysctlConfigs.cosi.dev") to one definition.
 */
#ifndef _COSI_COMMON_RESOLVE_H
#define _COSI_COMMON_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "cosi.h"

/* The default namespace when a definition names none. */
#define COSI_DEFAULT_NS	"default"

/*
 * Resolve @name against @defs, case-insensitively, in this order:
 *  1. the exact type name or an alias;
 *  2. a unique prefix of a type name's first dot-separated component
 *     ("sysctl" or "sysctlconfigs" for "SysctlConfigs.cosi.dev").
 * Return: 0 and *@out, -ENOENT (unknown type) or -EINVAL (ambiguous: @msg
 * lists the candidates).  @msg always gets a message on error.
 */
int cosi_resolve_type(const struct cosi_definitions *defs, const char *name,
		      const struct cosi_definition **out, char *msg,
		      size_t len);

/* "rd", "definitions", "resourcedefinitions" (any case): the definitions. */
bool cosi_resolve_is_definitions(const char *name);

/* The namespace resources of @def live in by default. */
const char *cosi_resolve_default_ns(const struct cosi_definition *def);

#endif /* _COSI_COMMON_RESOLVE_H */
