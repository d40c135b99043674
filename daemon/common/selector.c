// SPDX-License-Identifier: GPL-2.0
/*
 * Label selector strings to a cosi label query (one query of ANDed terms).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/selector.h"

void cosi_selector_clear(struct cosi_selector *sel)
{
	size_t i;

	for (i = 0; sel->terms && i < sel->n; i++)
		free((void *)sel->terms[i].values);
	free(sel->terms);
	free(sel->buf);
	memset(sel, 0, sizeof(*sel));
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = 0;
	return s;
}

static bool valid_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (*k <= 0x20 || *k >= 0x7f || strchr("!=<>(),", *k))
			return false;
	return true;
}

/* "(a, b)" to a value list, split in place. */
static int set_values(char *s, struct cosi_term *t)
{
	const char **v;
	size_t n = 1;
	char *p, *e;

	s = trim(s);
	e = s + strlen(s);
	if (*s != '(' || e == s || e[-1] != ')')
		return -EINVAL;
	*--e = 0;
	s++;
	for (p = s; *p; p++)
		n += *p == ',';
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->values = v;
	for (n = 0; s; n++) {
		p = strchr(s, ',');
		if (p)
			*p++ = 0;
		v[n] = trim(s);
		s = p;
	}
	t->n_values = n;
	return 0;
}

static int one_value(char *s, struct cosi_term *t)
{
	const char **v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v[0] = trim(s);
	t->values = v;
	t->n_values = 1;
	return 0;
}

/* An operator at @p: its length, and the term it makes. */
static size_t op_at(const char *p, struct cosi_term *t)
{
	static const struct {
		const char *s;
		enum cosi_label_op op;
		bool invert;
	} ops[] = {
		{ "==", COSI_LABEL_OP_EQUAL, false },
		{ "!=", COSI_LABEL_OP_EQUAL, true },
		{ "<=", COSI_LABEL_OP_LTE_NUMERIC, false },
		{ ">=", COSI_LABEL_OP_LT_NUMERIC, true },
		{ "=", COSI_LABEL_OP_EQUAL, false },
		{ "<", COSI_LABEL_OP_LT_NUMERIC, false },
		{ ">", COSI_LABEL_OP_LTE_NUMERIC, true },
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!strncmp(p, ops[i].s, strlen(ops[i].s))) {
			t->op = ops[i].op;
			t->invert = ops[i].invert;
			return strlen(ops[i].s);
		}
	}
	return 0;
}

static int one_term(char *s, struct cosi_term *t)
{
	char *p, *q;
	size_t n;

	s = trim(s);
	t->op = COSI_LABEL_OP_EXISTS;
	if (*s == '!' && s[1] != '=') {
		t->invert = true;
		t->key = trim(s + 1);
		return valid_key(t->key) ? 0 : -EINVAL;
	}
	t->key = s;
	p = s + strcspn(s, "!=<> \t");
	q = p + strspn(p, " \t");
	if (!*q) {
		*p = 0;
		return valid_key(s) ? 0 : -EINVAL;
	}
	if (!strchr("!=<>", *q)) {		/* key in (...), notin */
		*p = 0;
		t->op = COSI_LABEL_OP_IN;
		if (!strncmp(q, "in", 2) && q[2] && strchr(" \t(", q[2])) {
			q += 2;
		} else if (!strncmp(q, "notin", 5) && q[5] &&
			   strchr(" \t(", q[5])) {
			q += 5;
			t->invert = true;
		} else {
			return -EINVAL;
		}
		return valid_key(s) ? set_values(q, t) : -EINVAL;
	}
	n = op_at(q, t);
	if (!n)
		return -EINVAL;
	q += n;
	*p = 0;
	return valid_key(s) ? one_value(q, t) : -EINVAL;
}

/* Split on commas outside parentheses. */
static char *next_req(char **s)
{
	char *start = *s, *p;
	int depth = 0;

	if (!start)
		return NULL;
	for (p = start; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == ',' && !depth)
			break;
	}
	*s = *p ? p + 1 : NULL;
	*p = 0;
	return start;
}

int cosi_selector_parse(const char *s, struct cosi_selector *out, char *msg,
			size_t len)
{
	char *rest, *req;
	size_t max = 1;
	const char *p;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (p = s; *p; p++)
		max += *p == ',';
	out->buf = strdup(s);
	out->terms = calloc(max, sizeof(*out->terms));
	if (!out->buf || !out->terms)
		err = -ENOMEM;
	rest = out->buf;
	while (!err && (req = next_req(&rest))) {
		err = one_term(req, &out->terms[out->n++]);
		if (err == -EINVAL) {
			snprintf(msg, len, "invalid label selector \"%s\"", s);
			cosi_oneline(msg);
		}
	}
	if (err == -ENOMEM)
		snprintf(msg, len, "out of memory");
	if (err) {
		cosi_selector_clear(out);
		return err;
	}
	out->query.terms = out->terms;
	out->query.n = out->n;
	return 0;
}
