/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities of the calling thread, and handles opened without some.
 * cosi.ko records a write's writer-caps from the socket opener's file
 * credentials as well as the sender's, so what is written through a
 * socket opened while a capability was out of the effective set never
 * records it: cosid restores documents of lesser writers so.  Its access
 * checks (reads of sensitive types, writes) look at the sending thread's
 * capabilities (genl's netlink_ns_capable(): libnl addresses every
 * message, which leaves the opener's file out of it): cosi-apiserver
 * drops them from a read-only request's thread as well.
 *
 * Capabilities are per thread (capset(2) on the calling thread only):
 * the drop and the raise below do not touch the process's other threads.
 */
#ifndef _COSI_COMMON_CAPS_H
#define _COSI_COMMON_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "cosi.h"

/* A mask of capabilities: COSI_CAP(CAP_NET_ADMIN) | ... */
#define COSI_CAP(cap)	(UINT64_C(1) << (cap))

/* Whether every capability of @mask is in the thread's effective set. */
bool cosi_caps_effective(uint64_t mask);
/*
 * Put the capabilities of @mask in (@on) or out of the calling thread's
 * effective set, and check that it took: 0 or a negative errno (-EPERM:
 * not all of them are permitted).
 */
int cosi_caps_set_effective(uint64_t mask, bool on);
/*
 * cosi_open() with the capabilities of @mask out of the effective set,
 * then put back those that were in it.  NULL and errno on failure;
 * *@restore_err (may be NULL) is the negative errno of putting them back
 * (the handle is then closed and NULL returned: the caller lost rights
 * it needs), else 0.
 */
struct cosi *cosi_open_reduced(uint64_t mask, int *restore_err);

#endif /* _COSI_COMMON_CAPS_H */
