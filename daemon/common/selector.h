/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Label selectors ("-l"), Kubernetes style, to a cosi label query:
 *   key, !key, key=v, key==v, key!=v, key in (a,b), key notin (a,b),
 *   key<n, key<=n, key>n, key>=n (numeric, with the kernel's k/Ki suffixes)
 * joined by commas (all must match).
 */
#ifndef _COSI_COMMON_SELECTOR_H
#define _COSI_COMMON_SELECTOR_H

#include <stddef.h>

#include "cosi.h"

struct cosi_selector {
	struct cosi_term *terms;
	size_t n;
	struct cosi_query query;	/* the terms, as one query */
	char *buf;			/* the strings the terms point into */
};

/* 0, or -EINVAL with @msg set (-ENOMEM too); @out is zeroed first. */
int cosi_selector_parse(const char *s, struct cosi_selector *out, char *msg,
			size_t len);
void cosi_selector_clear(struct cosi_selector *sel);

#endif /* _COSI_COMMON_SELECTOR_H */
