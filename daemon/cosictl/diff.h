/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What applying a manifest document would change in a resource, field by
 * field (cosictl diff, apply --dry-run).
 */
#ifndef _COSICTL_DIFF_H
#define _COSICTL_DIFF_H

#include <stdio.h>

#include "cosi.h"
#include "common/manifest.h"

/*
 * @r becomes a view of @d (its strings and lists shared: do not free @r),
 * e.g. to render a document as a resource.
 */
void cosi_doc_view(const struct cosi_doc *d, struct cosi_resource *r);

/*
 * Print to @f one line per spec field, label and annotation that differs
 * between @cur (the kernel's resource; NULL: absent, a create) and @d
 * (NULL: the resource goes, a prune): "- what.key: old" for the kernel's
 * value, "+ what.key: new" for the document's, values as JSON, what one
 * of spec, labels, annotations.  A document without a spec keeps the
 * current one.  A spec the kernel withheld prints "! spec: withheld ...".
 * 0 or -ENOMEM.
 */
int cosi_diff_fields(FILE *f, const struct cosi_doc *d,
		     const struct cosi_resource *cur);

#endif /* _COSICTL_DIFF_H */
