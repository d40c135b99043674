// SPDX-License-Identifier: GPL-2.0
/*
 * -o jsonpath=TEMPLATE: a subset of kubectl's JSONPath templates over the
 * json-c objects cosictl prints with -o json.  No Debian C library
 * evaluates JSONPath, hence this small one; Documentation/cosictl.rst
 * lists exactly what it takes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "cosictl/jsonpath.h"

struct jp {
	FILE *f;
	struct json_object *root;
	bool dry;			/* check only: print nothing */
	char *msg;
	size_t len;
};

/* A set of nodes (borrowed from the document). */
struct nodes {
	struct json_object **v;
	size_t n, cap;
};

static int err_at(struct jp *jp, const char *what, const char *at, size_t n)
{
	snprintf(jp->msg, jp->len, "jsonpath: %s at \"%.*s\"", what,
		 (int)(n > 40 ? 40 : n), at);
	cosi_oneline(jp->msg);		/* the template may hold newlines */
	return -EINVAL;
}

static int push(struct nodes *s, struct json_object *o)
{
	struct json_object **v;

	if (s->n == s->cap) {
		v = realloc(s->v, (s->cap ? s->cap * 2 : 8) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = s->cap ? s->cap * 2 : 8;
	}
	s->v[s->n++] = o;
	return 0;
}

/* Every child of @o: an array's items, an object's values. */
static int children(struct json_object *o, struct nodes *out)
{
	size_t i;
	int err = 0;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; !err && i < json_object_array_length(o); i++)
			err = push(out, json_object_array_get_idx(o, i));
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (!err)
				err = push(out, v);
		}
	}
	return err;
}

static bool name_char(char c)
{
	return c && !strchr(".[]{}\"' \t", c);
}

/*
 * A key from @p into @name: up to @q (a quote) when @q is set, else up to
 * the first non-name character.  A backslash takes the next character as
 * is, as client-go does ("cosi\.dev/source", ['it\'s']).
 */
static int key(struct jp *jp, const char **pp, const char *end, char q,
	       char *name, size_t size)
{
	const char *p = *pp;
	size_t n = 0;

	while (p < end && (q ? *p != q : name_char(*p) || *p == '\\')) {
		if (*p == '\\' && ++p == end)
			break;
		if (n + 1 >= size)
			return err_at(jp, "field name too long", *pp, end - *pp);
		name[n++] = *p++;
	}
	if (q && p == end)
		return err_at(jp, "unterminated string", *pp - 1,
			      end - *pp + 1);
	if (!n)
		return err_at(jp, "expected a field name", *pp - 1,
			      end - *pp + 1);
	name[n] = 0;
	*pp = p;
	return 0;
}

static int field(struct nodes *in, struct nodes *out, const char *name)
{
	struct json_object *v;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < in->n; i++)
		if (json_object_object_get_ex(in->v[i], name, &v))
			err = push(out, v);
	return err;
}

/* One step (".name", ".*", "[N]", "[*]") from every node of @in. */
static int step(struct jp *jp, const char **pp, const char *end,
		struct nodes *in, struct nodes *out)
{
	const char *p = *pp, *s;
	long idx, n;
	size_t i;
	char *e, name[256];
	int err = 0;

	if (*p == '.' && p + 1 < end && p[1] == '*') {
		for (i = 0; !err && i < in->n; i++)
			err = children(in->v[i], out);
		*pp = p + 2;
		return err;
	}
	if (*p == '.') {
		p++;
		err = key(jp, &p, end, 0, name, sizeof(name));
		if (err)
			return err;
		*pp = p;
		return field(in, out, name);
	}
	if (*p != '[')
		return err_at(jp, "expected \".\" or \"[\"", p, end - p);
	if (p + 1 < end && (p[1] == '\'' || p[1] == '"')) {
		/* ['key'] or ["key"]: one quoted key, no unions. */
		s = p + 2;
		err = key(jp, &s, end, p[1], name, sizeof(name));
		if (err)
			return err;
		if (s + 1 >= end || s[1] != ']')
			return err_at(jp, "expected ['key']", p, end - p);
		*pp = s + 2;
		return field(in, out, name);
	}
	if (p + 2 < end && p[1] == '*' && p[2] == ']') {
		for (i = 0; !err && i < in->n; i++)
			if (json_object_is_type(in->v[i], json_type_array))
				err = children(in->v[i], out);
		*pp = p + 3;
		return err;
	}
	idx = strtol(p + 1, &e, 10);
	if (e == p + 1 || e >= end || *e != ']')
		return err_at(jp, "expected [N] or [*]", p, end - p);
	for (i = 0; !err && i < in->n; i++) {
		if (!json_object_is_type(in->v[i], json_type_array))
			continue;
		n = (long)json_object_array_length(in->v[i]);
		if (idx >= -n && idx < n)
			err = push(out, json_object_array_get_idx(in->v[i],
					idx < 0 ? n + idx : idx));
	}
	*pp = e + 1;
	return err;
}

/* A path ("$", "@", ".a.b[*]" ...) from @cur; the matches in @out. */
static int eval(struct jp *jp, const char *p, const char *end,
		struct json_object *cur, struct nodes *out)
{
	struct nodes a = { 0 }, b = { 0 }, t;
	int err = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p < end && *p == '$') {
		cur = jp->root;
		p++;
	} else if (p < end && *p == '@') {
		p++;
	}
	if (p == end || (*p != '.' && *p != '['))
		return err_at(jp, "expected a path (.field, [N], [*])", p,
			      end - p);
	if (end - p == 1 && *p == '.')	/* "{.}": the current node */
		p++;
	if (cur)
		err = push(&a, cur);
	while (!err && p < end) {
		b.n = 0;
		err = step(jp, &p, end, &a, &b);
		t = a;
		a = b;
		b = t;
	}
	free(b.v);
	if (err) {
		free(a.v);
		return err;
	}
	*out = a;
	return 0;
}

static int print_node(struct jp *jp, struct json_object *o, bool first)
{
	const char *s;

	if (jp->dry)
		return 0;
	if (json_object_is_type(o, json_type_string))
		s = json_object_get_string(o);
	else
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	return fprintf(jp->f, "%s%s", first ? "" : " ", s) < 0 ? -EIO : 0;
}

/* The end of the "{...}" that starts at @p (quotes may hold braces). */
static const char *block_end(const char *p, const char *end)
{
	char q = 0;

	for (p++; p < end; p++) {
		if (q && *p == '\\' && p + 1 < end)
			p++;
		else if (q && *p == q)
			q = 0;
		else if (!q && (*p == '"' || *p == '\''))
			q = *p;
		else if (!q && *p == '}')
			return p;
	}
	return NULL;
}

static bool word(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - s) >= n && !strncmp(s, w, n) &&
	       (s + n == e || s[n] == ' ' || s[n] == '\t');
}

/* After "{range ...}" at @p: the matching "{end}" block's start. */
static const char *range_end(const char *p, const char *end)
{
	const char *b, *s;
	int depth = 1;

	for (; p < end; p++) {
		if (*p != '{')
			continue;
		b = block_end(p, end);
		if (!b)
			return NULL;
		for (s = p + 1; s < b && *s == ' '; s++)
			;
		if (word(s, b, "range"))
			depth++;
		else if (word(s, b, "end") && !--depth)
			return p;
		p = b;
	}
	return NULL;
}

/* A quoted literal: \n, \t, \\ and the quote itself are escapes. */
static int literal(struct jp *jp, const char *p, const char *end)
{
	char q = *p;
	int err = 0;

	if (end - p < 2 || end[-1] != q)
		return err_at(jp, "unterminated string", p, end - p);
	for (p++, end--; !err && p < end; p++) {
		char c = *p;

		if (c == '\\' && p + 1 < end) {
			c = *++p;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		if (!jp->dry && fputc(c, jp->f) == EOF)
			err = -EIO;
	}
	return err;
}

static int exec(struct jp *jp, const char *p, const char *end,
		struct json_object *cur)
{
	const char *b, *s, *body, *stop;
	struct nodes set;
	bool dry;
	size_t i;
	int err = 0;

	while (!err && p < end) {
		if (*p != '{') {
			if (!jp->dry && fputc(*p, jp->f) == EOF)
				return -EIO;
			p++;
			continue;
		}
		b = block_end(p, end);
		if (!b)
			return err_at(jp, "unclosed \"{\"", p, end - p);
		for (s = p + 1; s < b && (*s == ' ' || *s == '\t'); s++)
			;
		if (s < b && (*s == '"' || *s == '\'')) {
			err = literal(jp, s, b);
		} else if (word(s, b, "end")) {
			return err_at(jp, "{end} without {range}", p, end - p);
		} else if (word(s, b, "range")) {
			body = b + 1;
			stop = range_end(body, end);
			if (!stop)
				return err_at(jp, "{range} without {end}", p,
					      end - p);
			set = (struct nodes){ 0 };
			err = eval(jp, s + 5, b, cur, &set);
			for (i = 0; !err && i < set.n; i++)
				err = exec(jp, body, stop, set.v[i]);
			if (!err && !set.n) {
				/* Check the body even when nothing matched. */
				dry = jp->dry;
				jp->dry = true;
				err = exec(jp, body, stop, NULL);
				jp->dry = dry;
			}
			free(set.v);
			b = block_end(stop, end);
		} else {
			set = (struct nodes){ 0 };
			err = eval(jp, s, b, cur, &set);
			for (i = 0; !err && i < set.n; i++)
				err = print_node(jp, set.v[i], !i);
			free(set.v);
		}
		p = b + 1;
	}
	return err;
}

int cosi_jsonpath_print(FILE *f, const char *tmpl, struct json_object *root,
			char *msg, size_t len)
{
	struct jp jp = {
		.f = f, .root = root, .dry = !f, .msg = msg, .len = len,
	};
	int err = exec(&jp, tmpl, tmpl + strlen(tmpl), root);

	if (err == -ENOMEM)
		snprintf(msg, len, "jsonpath: out of memory");
	else if (err == -EIO)
		snprintf(msg, len, "jsonpath: writing output failed");
	return err;
}
