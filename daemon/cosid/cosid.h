/* SPDX-License-Identifier: GPL-2.0 */
/* cosid internals: persistence of the desired configuration (persist.c). */
#ifndef _COSID_H
#define _COSID_H

#include "cosi.h"
#include "runtime/runtime.h"

/*
 * Create the resources of @path that the kernel lacks; those it holds
 * stay as they are.  A file with rejected documents is renamed aside.
 */
int cosid_restore(struct cosi *c, const char *path);
/* Register the controller that keeps @path in step with namespace @ns. */
int cosid_register_saver(struct cosi_runtime *rt, const char *path,
			 const char *ns);

#endif /* _COSID_H */
