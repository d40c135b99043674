/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer harnesses: a fixed set of definitions to
 * resolve types against, and a check that aborts (a finding) when a
 * parser breaks its own contract.
 */
#ifndef _COSI_FUZZ_H
#define _COSI_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosi_nl.h"

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: contract broken: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

/* A message: non-empty, one line. */
static inline void fuzz_check_msg(const char *msg)
{
	FUZZ_CHECK(msg[0] != '\0');
	FUZZ_CHECK(!strchr(msg, '\n'));
}

/*
 * Types like the built-in controllers' (every field type, aliases, a
 * default namespace, two sharing a prefix), built once.
 */
static inline const struct cosi_definitions *fuzz_defs(void)
{
	static struct cosi_definitions defs;
	static struct cosi_definition *v[3];

	if (defs.n)
		return &defs;
	v[0] = cosi_def_new("SysctlConfigs.cosi.dev");
	v[1] = cosi_def_new("Links.net.cosi.dev");
	v[2] = cosi_def_new("LinkStatuses.net.cosi.dev");
	if (!v[0] || !v[1] || !v[2])
		abort();
	cosi_def_add_alias(v[0], "sysctl");
	cosi_def_add_field(v[0], "value", COSI_FIELD_TYPE_STRING, true);
	cosi_def_add_column(v[0], "VALUE", "value");
	cosi_def_add_alias(v[1], "link");
	cosi_def_set_default_ns(v[1], "network");
	cosi_def_add_field(v[1], "mtu", COSI_FIELD_TYPE_U64, true);
	cosi_def_add_field(v[1], "offset", COSI_FIELD_TYPE_S64, false);
	cosi_def_add_field(v[1], "up", COSI_FIELD_TYPE_BOOL, false);
	cosi_def_add_field(v[1], "mac", COSI_FIELD_TYPE_BYTES, false);
	cosi_def_add_field(v[1], "addrs", COSI_FIELD_TYPE_STRING_LIST, false);
	cosi_def_add_field(v[2], "up", COSI_FIELD_TYPE_BOOL, false);
	v[2]->sensitivity = COSI_SENSITIVITY_SENSITIVE;
	defs.v = v;
	defs.n = 3;
	return &defs;
}

/* A NUL-ended copy of the input, as read from a file or argv. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif /* _COSI_FUZZ_H */
