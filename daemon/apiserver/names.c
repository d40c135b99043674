// SPDX-License-Identifier: GPL-2.0
/*
 * cosi definitions as Kubernetes resources.  A type "SysctlConfigs.cosi.dev"
 * is the resource "sysctlconfigs" (its first dot-separated component, in
 * lower case), singular "sysctlconfig", kind "SysctlConfig"; its aliases
 * that are DNS labels are its short names.  Two types whose first
 * components are equal case-insensitively ("Tests.a.dev", "Tests.b.dev")
 * are named by their whole type instead: "tests-a-dev", kind
 * "TestADev", so every type has a resource of its own.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiserver/apiserver.h"

/* The length of @type's first component. */
static size_t first_len(const char *type)
{
	return strcspn(type, ".");
}

static bool first_unique(const struct cosi_definitions *defs, size_t me)
{
	const char *t = defs->v[me]->type;
	size_t n = first_len(t), i;

	for (i = 0; i < defs->n; i++)
		if (i != me && first_len(defs->v[i]->type) == n &&
		    !strncasecmp(defs->v[i]->type, t, n))
			return false;
	return true;
}

/* The singular of an English plural, as Kubernetes' CRDs spell them. */
static void singularize(char *w)
{
	size_t n = strlen(w);
	static const char *const es[] = { "sses", "shes", "ches", "xes",
					  "zes", "uses" };
	size_t i, k;

	if (n > 3 && !strcasecmp(w + n - 3, "ies")) {
		strcpy(w + n - 3, isupper((unsigned char)w[n - 1]) ? "Y" : "y");
		return;
	}
	for (i = 0; i < sizeof(es) / sizeof(es[0]); i++) {
		k = strlen(es[i]);
		if (n > k && !strcasecmp(w + n - k, es[i])) {
			w[n - 2] = 0;
			return;
		}
	}
	if (n > 1 && tolower((unsigned char)w[n - 1]) == 's' &&
	    tolower((unsigned char)w[n - 2]) != 's')
		w[n - 1] = 0;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * A kind from @type's first component (@all: every component, each
 * capitalised, '-' and '_' dropped).
 */
static char *kind_of(const char *type, bool all)
{
	size_t n = first_len(type), i, o = 0;
	char *k = malloc(strlen(type) + 2);
	bool up = false;

	if (!k)
		return NULL;
	memcpy(k, type, n);
	k[n] = 0;
	singularize(k);
	k[0] = (char)toupper((unsigned char)k[0]);
	o = strlen(k);
	for (i = n; all && type[i]; i++) {
		if (!isalnum((unsigned char)type[i])) {
			up = true;
			continue;
		}
		k[o++] = up ? (char)toupper((unsigned char)type[i]) : type[i];
		up = false;
	}
	k[o] = 0;
	return k;
}

static int name_one(struct api_res *r, const struct cosi_definitions *defs,
		    size_t i)
{
	const char *t = defs->v[i]->type;
	bool unique = first_unique(defs, i);
	char *p;

	r->def = defs->v[i];
	r->plural = unique ? strndup(t, first_len(t)) : strdup(t);
	r->kind = kind_of(t, !unique);
	if (!r->plural || !r->kind)
		return -ENOMEM;
	lower(r->plural);
	for (p = r->plural; *p; p++)
		if (*p == '.' || *p == '_')
			*p = '-';
	r->singular = strdup(r->kind);
	if (!r->singular ||
	    asprintf(&r->list_kind, "%sList", r->kind) < 0) {
		r->list_kind = NULL;
		return -ENOMEM;
	}
	lower(r->singular);
	return 0;
}

void api_catalog_clear(struct api_catalog *cat)
{
	size_t i;

	for (i = 0; cat->v && i < cat->n; i++) {
		free(cat->v[i].plural);
		free(cat->v[i].singular);
		free(cat->v[i].kind);
		free(cat->v[i].list_kind);
	}
	free(cat->v);
	cosi_definitions_clear(&cat->defs);
	memset(cat, 0, sizeof(*cat));
}

int api_catalog_load(struct cosi *c, struct api_catalog *cat)
{
	size_t i;
	int err;

	memset(cat, 0, sizeof(*cat));
	err = cosi_definition_list(c, &cat->defs);
	if (err)
		return err;
	cat->v = calloc(cat->defs.n + 1, sizeof(*cat->v));
	if (!cat->v) {
		api_catalog_clear(cat);
		return -ENOMEM;
	}
	cat->n = cat->defs.n;
	for (i = 0; i < cat->n; i++) {
		err = name_one(&cat->v[i], &cat->defs, i);
		if (err) {
			api_catalog_clear(cat);
			return err;
		}
	}
	return 0;
}

bool api_short_name(const struct api_res *r, const char *alias)
{
	const char *p;

	if (!*alias || strlen(alias) > 63 || !strcasecmp(alias, r->plural) ||
	    !strcasecmp(alias, r->singular))
		return false;
	for (p = alias; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '-')
			return false;
	return isalnum((unsigned char)alias[0]);
}

const struct api_res *api_catalog_find(const struct api_catalog *cat,
				       const char *plural)
{
	size_t i;

	for (i = 0; i < cat->n; i++)
		if (!strcmp(cat->v[i].plural, plural))
			return &cat->v[i];
	return NULL;
}
