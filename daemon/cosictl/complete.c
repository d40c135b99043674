// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl __complete WORD...: the candidates for the last word (maybe
 * empty), one a line, for the bash completion (cosictl.bash).  Commands
 * and options come from the command-line tables; types from the kernel's
 * definitions, ids and finalizers from its resources.  Errors print
 * nothing: a completion has no one to tell.
 */
#include <stdlib.h>
#include <string.h>

#include "common/resolve.h"
#include "cosictl/cosictl.h"

static const char *const outputs[] = {
	"table", "wide", "yaml", "json", "jsonpath=", NULL,
};

/* "--output=" while completing the value of "--output=j". */
static const char *offer_prefix = "";

static void offer(const char *cand, const char *cur)
{
	if (!strncmp(cand, cur, strlen(cur)))
		printf("%s%s\n", offer_prefix, cand);
}

static void offer_list(const char *const *v, const char *cur)
{
	for (; *v; v++)
		offer(*v, cur);
}

/* The kernel's answers need a connection; quietly none without one. */
static bool connect_quiet(struct ctl *x)
{
	x->c = cosi_open();
	return x->c && !cosi_definition_list(x->c, &x->defs);
}

static void offer_types(struct ctl *x, const char *cur)
{
	size_t i, j;

	if (!connect_quiet(x))
		return;
	for (i = 0; i < x->defs.n; i++) {
		offer(x->defs.v[i]->type, cur);
		for (j = 0; j < x->defs.v[i]->aliases.n; j++)
			offer(x->defs.v[i]->aliases.v[j], cur);
	}
}

static const struct cosi_definition *find_type(struct ctl *x,
					       const char *name)
{
	const struct cosi_definition *def;
	char msg[256];

	if (!connect_quiet(x) ||
	    cosi_resolve_type(&x->defs, name, &def, msg, sizeof(msg)))
		return NULL;
	return def;
}

static void offer_ids(struct ctl *x, const char *type, const char *ns,
		      const char *cur)
{
	const struct cosi_definition *def = find_type(x, type);
	COSI_OPTS(cosi_list_req, q, .type = type);
	struct cosi_resources l = { 0 };
	size_t i;

	if (!def)
		return;
	q.type = def->type;
	q.ns = ns ?: cosi_resolve_default_ns(def);
	if (cosi_resource_list(x->c, &q, &l))
		return;
	for (i = 0; i < l.n; i++)
		offer(l.v[i]->id, cur);
	cosi_resources_clear(&l);
}

static void offer_finalizers(struct ctl *x, const char *type, const char *id,
			     const char *ns, const char *cur)
{
	const struct cosi_definition *def = find_type(x, type);
	struct cosi_resource *r = NULL;
	size_t i;

	if (!def || cosi_resource_get(x->c, ns ?: cosi_resolve_default_ns(def),
				      def->type, id, &r))
		return;
	for (i = 0; i < r->finalizers.n; i++)
		offer(r->finalizers.v[i], cur);
	cosi_resource_free(r);
}

static void offer_commands(const char *cur)
{
	const char *name;
	size_t i;

	for (i = 0; (name = cosictl_command(i)); i++)
		offer(name, cur);
}

#define MAX_POS	8

/* "--namespace=X" of @w for the option @opt: X, else NULL. */
static const char *long_value(const char *w, const char *opt)
{
	size_t n = strlen(opt);

	return !strncmp(w, opt, n) && w[n] == '=' ? w + n + 1 : NULL;
}

int cmd_complete(struct ctl *x)
{
	char **w = x->a->words;
	int n = x->a->nwords, i, npos = 0;
	const char *cur = n ? w[n - 1] : "", *ns = NULL, *prev = NULL;
	const char *pos[MAX_POS], *opts[32], *cmd, *eq;
	static char pfx[65];		/* offer_prefix */
	char opt[64];
	bool operands = false;		/* after "--": no more options */

	/* The words before the current one: operands and options. */
	for (i = 0; i + 1 < n; i++) {
		prev = NULL;
		if (!operands && !strcmp(w[i], "--")) {
			operands = true;
			continue;
		}
		if (!operands && w[i][0] == '-' && w[i][1]) {
			if (long_value(w[i], "--namespace"))
				ns = long_value(w[i], "--namespace");
			if (strchr(w[i], '=') || !cosictl_option_takes_arg(w[i]))
				continue;
			if (i + 2 >= n) {
				prev = w[i];	/* the current word is its value */
				break;
			}
			if (!strcmp(w[i], "-n") || !strcmp(w[i], "--namespace"))
				ns = w[i + 1];
			i++;
			continue;
		}
		if (npos < MAX_POS)
			pos[npos++] = w[i];
	}
	/* "--output=j": the value of --output, offered as "--output=json". */
	eq = strchr(cur, '=');
	if (!operands && !prev && !strncmp(cur, "--", 2) && eq &&
	    (size_t)(eq - cur) < sizeof(opt)) {
		memcpy(opt, cur, eq - cur);
		opt[eq - cur] = 0;
		if (cosictl_option_takes_arg(opt)) {
			prev = opt;
			cur = eq + 1;
			memcpy(pfx, w[n - 1], eq - w[n - 1] + 1);
			pfx[eq - w[n - 1] + 1] = 0;
			offer_prefix = pfx;
		}
	}
	cmd = npos ? pos[0] : NULL;
	if (prev && (!strcmp(prev, "-o") || !strcmp(prev, "--output"))) {
		offer_list(outputs, cur);
	} else if (prev && !strcmp(prev, "--for")) {
		offer("create", cur);
		offer("delete", cur);
	} else if (prev) {
		/* A file, a namespace, a number: the shell's default. */
	} else if (cur[0] == '-' && !operands) {
		cosictl_options(cmd ? cmd : "", opts, 32);
		offer_list(cmd ? opts : (const char *const[]){ "--help", NULL },
			   cur);
	} else if (!cmd || (!strcmp(cmd, "help") && npos == 1)) {
		offer_commands(cur);
	} else if (!strcmp(cmd, "completion")) {
		if (npos == 1)
			offer("bash", cur);
	} else if (!strcmp(cmd, "finalizer")) {
		if (npos == 1)
			offer("remove", cur);
		else if (npos == 2)
			offer_types(x, cur);
		else if (npos == 3)
			offer_ids(x, pos[2], ns, cur);
		else if (npos == 4)
			offer_finalizers(x, pos[2], pos[3], ns, cur);
	} else if (!strcmp(cmd, "get") || !strcmp(cmd, "watch") ||
		   !strcmp(cmd, "delete") || !strcmp(cmd, "wait") ||
		   !strcmp(cmd, "undefine")) {
		if (npos == 1) {
			offer_types(x, cur);
			if (!strcmp(cmd, "get"))
				offer("rd", cur);
		} else if (npos == 2 && strcmp(cmd, "undefine")) {
			if (cosi_resolve_is_definitions(pos[1]))
				offer_types(x, cur);
			else
				offer_ids(x, pos[1], ns, cur);
		}
	}
	return EXIT_OK;
}
