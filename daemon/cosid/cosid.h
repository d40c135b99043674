/* SPDX-License-Identifier: GPL-2.0 */
/* cosid internals: persistence of the desired configuration (persist.c). */
#ifndef _COSID_H
#define _COSID_H

#include "cosi.h"
#include "runtime/runtime.h"

/* Apply @path when namespace @ns holds no config resource yet. */
int cosid_restore(struct cosi *c, const char *path, const char *ns);
/* Register the controller that keeps @path in step with namespace @ns. */
int cosid_register_saver(struct cosi_runtime *rt, const char *path,
			 const char *ns);

#endif /* _COSID_H */
