// SPDX-License-Identifier: GPL-2.0
/*
 * Field-level differences between a resource and a manifest document,
 * for cosictl diff and apply --dry-run (see diff.h).  Both sides are
 * rendered as JSON (cosi_json_resource()), so values print as JSON and
 * compare by value.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cosictl/diff.h"
#include "cosictl/render.h"

/* The JSON object at @key of @o, or NULL. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *jtext(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE);
}

/*
 * Lines for the keys of objects @a (before) and @b (after) that differ:
 * "- what.key: old" and "+ what.key: new".  Either may be NULL (create,
 * delete).
 */
static void diff_objects(FILE *f, const char *what, struct json_object *a,
			 struct json_object *b)
{
	struct json_object *other;

	if (a) {
		json_object_object_foreach(a, key, va) {
			other = member(b, key);
			if (other && json_object_equal(va, other))
				continue;
			fprintf(f, "- %s.%s: %s\n", what, key, jtext(va));
			if (other)
				fprintf(f, "+ %s.%s: %s\n", what, key,
				       jtext(other));
		}
	}
	if (b) {
		json_object_object_foreach(b, key, vb) {
			if (!member(a, key))
				fprintf(f, "+ %s.%s: %s\n", what, key, jtext(vb));
		}
	}
}

/*
 * A struct cosi_resource on the stack breaks libcosi's ABI rule (class
 * (b), cosi.h) only if it reaches the library: this view is read by
 * cosictl's own renderer and never handed to libcosi.
 */
void cosi_doc_view(const struct cosi_doc *d, struct cosi_resource *r)
{
	*r = (struct cosi_resource){
		.ns = d->ns, .type = d->type, .id = d->id,
		.labels = d->labels, .annotations = d->annotations,
		.has_spec = d->has_spec, .spec = d->spec,
	};
}

int cosi_diff_fields(FILE *f, const struct cosi_doc *d,
		     const struct cosi_resource *cur)
{
	struct cosi_resource want = { 0 };
	struct json_object *a = NULL, *b = NULL;

	if (d) {
		cosi_doc_view(d, &want);
		want.has_spec = d->has_spec || (cur && cur->has_spec);
		want.spec = d->has_spec || !cur ? d->spec : cur->spec;
		b = cosi_json_resource(&want, NULL, COSI_RENDER_MANIFEST);
		if (!b)
			return -ENOMEM;
	}
	if (cur) {
		a = cosi_json_resource(cur, NULL, COSI_RENDER_MANIFEST);
		if (!a) {
			json_object_put(b);
			return -ENOMEM;
		}
	}
	if (cur && !cur->has_spec && d && d->has_spec)
		fprintf(f, "! spec: withheld by the kernel (a sensitive type needs CAP_NET_ADMIN)\n");
	else
		diff_objects(f, "spec", member(a, "spec"), member(b, "spec"));
	diff_objects(f, "labels", member(member(a, "metadata"), "labels"),
		     member(member(b, "metadata"), "labels"));
	diff_objects(f, "annotations",
		     member(member(a, "metadata"), "annotations"),
		     member(member(b, "metadata"), "annotations"));
	json_object_put(a);
	json_object_put(b);
	return 0;
}
