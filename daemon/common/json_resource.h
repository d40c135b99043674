/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A resource document in the JSON form "cosictl get -o json" prints
 * (cosictl/render_json.c), read back into a struct cosi_resource with
 * all its metadata, so the same table/YAML/JSON renderers print it:
 * cosictl get --etcd reads the statuses nodes publish in that form.
 * (Desired documents go through the manifest parser instead, which
 * checks them against the definitions and ignores read-only metadata.)
 */
#ifndef _COSI_COMMON_JSON_RESOURCE_H
#define _COSI_COMMON_JSON_RESOURCE_H

#include <stddef.h>

#include "cosi.h"

struct json_object;

/*
 * metadata.namespace, type and id are required; the other metadata is
 * optional (absent: 0, empty).  Spec fields are typed by @def's schema
 * when @def (may be NULL) has the field, else by their JSON type: a
 * string, a boolean, an integer (u64, s64 if negative), a list of
 * strings; a field of another type, or not of its schema's type, is an
 * error.  Return: 0 and @r filled (free with cosi_resource_clear()), or
 * -EINVAL / -ENOMEM with a one-line message in @msg and @r cleared.
 */
int cosi_json_to_resource(struct json_object *doc,
			  const struct cosi_definition *def,
			  struct cosi_resource *r, char *msg, size_t len);

#endif /* _COSI_COMMON_JSON_RESOURCE_H */
