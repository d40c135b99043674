// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl delete, define and undefine: the commands that change the
 * store, over the shared code in daemon/common/apply.c (apply and diff
 * are in plan.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/apply.h"
#include "common/manifest.h"
#include "common/resolve.h"
#include "cosictl/cosictl.h"

#define MSG_LEN	1024

const char *ctl_file_name(const char *path)
{
	return strcmp(path, "-") ? path : "<stdin>";
}

int ctl_load_docs(struct ctl *x, const char *path, struct cosi_docs *docs)
{
	char msg[MSG_LEN], *buf;
	size_t len;
	int err;

	err = cosi_read_file(path, &buf, &len, msg, sizeof(msg));
	if (!err) {
		err = cosi_manifest_parse(buf, len, ctl_file_name(path),
					  &x->defs, docs, msg, sizeof(msg));
		free(buf);
	}
	return err ? ctl_err("%s", msg) : EXIT_OK;
}

int ctl_delete_one(struct ctl *x, const char *ns, const char *type,
		   const char *id, const char *done)
{
	int wait_ms = x->a->wait_s * 1000;
	struct cosi_strs pending = { 0 };
	char msg[MSG_LEN], names[512] = "";
	size_t i, off = 0;
	int err;

	err = cosi_delete_resource(x->c, ns, type, id, wait_ms, &cosictl_stop,
				   &pending, msg, sizeof(msg));
	for (i = 0; i < pending.n && off < sizeof(names); i++)
		off += snprintf(names + off, sizeof(names) - off, "%s%s",
				i ? "," : "", pending.v[i]);
	cosi_strs_clear(&pending);
	if (err == -ENOENT && x->a->ignore_not_found)
		return EXIT_OK;
	if (err == -ENOENT)
		return ctl_err("%s/%s: not found in namespace %s", type, id,
			       ns);
	if (err < 0)
		return ctl_err("%s/%s: %s", type, id, msg);
	if (err == 1)
		printf("%s/%s torn down, waiting for finalizers: %s\n", type,
		       id, names);
	else
		printf("%s/%s %s\n", type, id, done);
	fflush(stdout);
	return EXIT_OK;
}

int cmd_delete(struct ctl *x)
{
	const struct cosi_definition *def;
	struct cosi_docs docs;
	int rc = EXIT_OK;
	size_t i;

	if (!x->a->file) {
		def = ctl_type(x, x->a->type);
		if (!def)
			return EXIT_FAIL;
		return ctl_delete_one(x, x->a->ns ?:
				      cosi_resolve_default_ns(def),
				      def->type, x->a->id, "deleted");
	}
	if (ctl_load_docs(x, x->a->file, &docs))
		return EXIT_FAIL;
	for (i = 0; !rc && i < docs.n; i++)
		rc = ctl_delete_one(x, docs.v[i].ns, docs.v[i].type,
				    docs.v[i].id, "deleted");
	cosi_docs_clear(&docs);
	return rc;
}

int cmd_define(struct ctl *x)
{
	struct cosi_definitions defs;
	enum cosi_apply_result res;
	char msg[MSG_LEN], *buf;
	size_t len, i;
	int err;

	err = cosi_read_file(x->a->file, &buf, &len, msg, sizeof(msg));
	if (err)
		return ctl_err("%s", msg);
	err = cosi_manifest_parse_definitions(buf, len, ctl_file_name(x->a->file),
					      &defs, msg, sizeof(msg));
	free(buf);
	if (err)
		return ctl_err("%s", msg);
	for (i = 0; !err && i < defs.n; i++) {
		err = cosi_define(x->c, defs.v[i], &res, msg, sizeof(msg));
		if (err)
			ctl_err("%s: document %zu (%s): %s",
				ctl_file_name(x->a->file), i + 1, defs.v[i]->type,
				msg);
		else
			printf("%s %s\n", defs.v[i]->type,
			       cosi_apply_result_name(res));
	}
	cosi_definitions_clear(&defs);
	return err ? EXIT_FAIL : EXIT_OK;
}

int cmd_undefine(struct ctl *x)
{
	const struct cosi_definition *def = ctl_type(x, x->a->type);
	int err;

	if (!def)
		return EXIT_FAIL;
	err = cosi_definition_delete(x->c, def->type, NULL);
	if (err)
		return ctl_err("undefine %s: %s", def->type,
			       cosi_strerror(x->c, "definition-delete"));
	printf("%s undefined\n", def->type);
	return EXIT_OK;
}
