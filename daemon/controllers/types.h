/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The built-in controllers' resource definitions without the runtime's
 * headers, for cosictl (whose enum cosi_output clashes with the
 * runtime's struct cosi_output).
 */
#ifndef _COSID_CONTROLLERS_TYPES_H
#define _COSID_CONTROLLERS_TYPES_H

#include "cosi.h"

/*
 * The definitions cosid_define_types() sets, built here without a
 * kernel (cosictl --etcd resolves type names with them): 0 and @out
 * (free with cosi_definitions_clear()) or -ENOMEM.
 */
int cosid_builtin_definitions(struct cosi_definitions *out);

/* The types cosid applies from configuration (files, state, etcd). */
extern const char *const cosid_config_types[];

#endif /* _COSID_CONTROLLERS_TYPES_H */
