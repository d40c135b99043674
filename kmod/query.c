// SPDX-License-Identifier: GPL-2.0
/*
 * Label queries, with the semantics of cosi-project/runtime: exists, equal
 * and in on a missing key do not match (so their inversion does); a
 * comparison on a missing key, or a numeric one whose operands do not
 * parse, never matches, inverted or not.  Terms of a query are ANDed;
 * queries are ORed.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cosi.h"
#include "genl.h"

/* Number with an optional k/M/G/T/P (10^3n) or Ki..Pi (2^10n) suffix. */
static bool cosi_parse_number(const char *s, s64 *out)
{
	static const char units[] = "ktgmp";
	static const u8 pow2[] = { 10, 40, 30, 20, 50 };
	static const s64 pow10[] = { 1000LL, 1000000000000LL, 1000000000LL,
				     1000000LL, 1000000000000000LL };
	char digits[24];
	const char *u, *end;
	size_t n;
	s64 val, mult = 1;
	char c;

	s = skip_spaces(s);
	end = s + strlen(s);
	while (end > s && isspace(end[-1]))
		end--;
	for (u = s; u < end && (isdigit(*u) || *u == '-'); u++)
		;
	n = u - s;
	u = skip_spaces(u);
	if (!n || n >= sizeof(digits))
		return false;
	memcpy(digits, s, n);
	digits[n] = '\0';
	if (kstrtos64(digits, 10, &val))
		return false;

	if (u < end) {
		const char *hit;

		c = tolower(*u);
		hit = strchr(units, c);
		if (!c || !hit)
			return false;
		if (end - u > 1 && tolower(u[1]) == 'i')
			mult = 1LL << pow2[hit - units];
		else
			mult = pow10[hit - units];
	}
	return !check_mul_overflow(val, mult, out);
}

/* Binary search of key-sorted labels or annotations; NULL if absent. */
const char *cosi_kv_find(const struct cosi_kv *kv, u32 n, const char *key)
{
	u32 lo = 0, hi = n;

	if (!key)
		return NULL;
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		int c = strcmp(key, kv[mid].key);

		if (!c)
			return kv[mid].value;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool cosi_op_is_comparison(u8 op)
{
	switch (op) {
	case COSI_LABEL_OP_LT:
	case COSI_LABEL_OP_LTE:
	case COSI_LABEL_OP_LT_NUMERIC:
	case COSI_LABEL_OP_LTE_NUMERIC:
		return true;
	}
	return false;
}

/* Return 1 (match), 0 (no match) or -1 (undecidable: never matches). */
static int cosi_term_eval(const struct cosi_term *t, const char *value)
{
	s64 num;
	u16 i;

	if (!value)
		return cosi_op_is_comparison(t->op) ? -1 : 0;
	if (t->op != COSI_LABEL_OP_EXISTS && !t->n_values)
		return 0;

	switch (t->op) {
	case COSI_LABEL_OP_EXISTS:
		return 1;
	case COSI_LABEL_OP_EQUAL:
		return !strcmp(value, t->values[0]);
	case COSI_LABEL_OP_IN:
		for (i = 0; i < t->n_values; i++)
			if (!strcmp(value, t->values[i]))
				return 1;
		return 0;
	case COSI_LABEL_OP_LT:
		return strcmp(value, t->values[0]) < 0;
	case COSI_LABEL_OP_LTE:
		return strcmp(value, t->values[0]) <= 0;
	case COSI_LABEL_OP_LT_NUMERIC:
	case COSI_LABEL_OP_LTE_NUMERIC:
		if (!t->num_ok || !cosi_parse_number(value, &num))
			return -1;
		if (t->op == COSI_LABEL_OP_LT_NUMERIC)
			return num < t->num;
		return num <= t->num;
	}
	return -1;
}

static bool cosi_term_match(const struct cosi_term *t,
			    const struct cosi_kv *labels, u32 n)
{
	int m = cosi_term_eval(t, cosi_kv_find(labels, n, t->key));

	if (m < 0)
		return false;
	return t->invert ? !m : m;
}

bool cosi_queries_match(const struct cosi_queries *q,
			const struct cosi_kv *labels, u32 n)
{
	u16 i, j;

	if (!q || !q->n)
		return true;
	for (i = 0; i < q->n; i++) {
		const struct cosi_query *query = &q->q[i];

		for (j = 0; j < query->n_terms; j++)
			if (!cosi_term_match(&query->terms[j], labels, n))
				break;
		if (j == query->n_terms)
			return true;
	}
	return false;
}

/* Sizes of the owned copy, counted in a first pass. */
struct cosi_query_size {
	u32 queries;
	u32 terms;
	u32 values;
	size_t strings;
};

static int cosi_query_count(const struct nlattr *qattr,
			    struct cosi_query_size *sz,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[COSI_A_LABEL_TERM_MAX + 1];
	const struct nlattr *term, *v;
	int rem, rem2, err;
	u32 terms = 0;

	nla_for_each_nested(term, qattr, rem) {
		u32 values = 0;

		err = nla_parse_nested(tb, COSI_A_LABEL_TERM_MAX, term,
				       cosi_label_term_nl_policy, extack);
		if (err)
			return err;
		if (cosi_attr_missing(extack, term, tb, COSI_A_LABEL_TERM_KEY,
				      "missing attribute: label term key") ||
		    cosi_attr_missing(extack, term, tb, COSI_A_LABEL_TERM_OP,
				      "missing attribute: label term op"))
			return -EINVAL;
		sz->strings += nla_len(tb[COSI_A_LABEL_TERM_KEY]) + 1;
		nla_for_each_nested(v, term, rem2) {
			if (nla_type(v) != COSI_A_LABEL_TERM_VALUE)
				continue;
			values++;
			sz->strings += nla_len(v) + 1;
		}
		if (values > COSI_MAX_TERM_VALUES) {
			NL_SET_ERR_MSG_ATTR(extack, term,
					    "too many values in label term");
			return -E2BIG;
		}
		sz->values += values;
		terms++;
	}
	if (terms > COSI_MAX_TERMS) {
		NL_SET_ERR_MSG_ATTR(extack, qattr, "too many terms in label query");
		return -E2BIG;
	}
	sz->terms += terms;
	return 0;
}

static char *cosi_copy_str(char **buf, const struct nlattr *attr)
{
	char *s = *buf;

	strscpy(s, nla_data(attr), nla_len(attr) + 1);
	*buf += strlen(s) + 1;
	return s;
}

/**
 * cosi_parse_queries() - parse every @attrtype label query of a request
 * @attrtype: the multi-attr query attribute
 * @nlh: the request
 * @extack: extended ack
 *
 * The result owns copies of all strings, so it may outlive the request
 * (dumps, watches).  Free it with kfree().
 *
 * Return: the queries, NULL when there are none, or an ERR_PTR().
 */
struct cosi_queries *cosi_parse_queries(int attrtype,
					const struct nlmsghdr *nlh,
					struct netlink_ext_ack *extack)
{
	struct nlattr *tb[COSI_A_LABEL_TERM_MAX + 1];
	struct cosi_query_size sz = {};
	const struct nlattr *a, *term, *v;
	struct cosi_queries *q;
	struct cosi_term *terms;
	const char **values;
	size_t size;
	char *buf;
	int rem, rem2, rem3, err;
	u32 ti = 0, vi = 0, qi = 0;

	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		if (nla_type(a) != attrtype)
			continue;
		err = cosi_query_count(a, &sz, extack);
		if (err)
			return ERR_PTR(err);
		sz.queries++;
	}
	if (!sz.queries)
		return NULL;
	if (sz.queries > COSI_MAX_QUERIES) {
		NL_SET_ERR_MSG(extack, "too many label queries");
		return ERR_PTR(-E2BIG);
	}

	size = struct_size(q, q, sz.queries) +
	       sz.terms * sizeof(*terms) + sz.values * sizeof(*values) +
	       sz.strings;
	q = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	terms = (struct cosi_term *)&q->q[sz.queries];
	values = (const char **)&terms[sz.terms];
	buf = (char *)&values[sz.values];

	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		struct cosi_query *query;

		if (nla_type(a) != attrtype)
			continue;
		query = &q->q[qi++];
		query->terms = &terms[ti];
		nla_for_each_nested(term, a, rem2) {
			struct cosi_term *t = &terms[ti++];

			/* Already validated by cosi_query_count(). */
			nla_parse_nested(tb, COSI_A_LABEL_TERM_MAX, term,
					 cosi_label_term_nl_policy, NULL);
			t->key = cosi_copy_str(&buf, tb[COSI_A_LABEL_TERM_KEY]);
			t->op = nla_get_u32(tb[COSI_A_LABEL_TERM_OP]);
			t->invert = nla_get_flag(tb[COSI_A_LABEL_TERM_INVERT]);
			t->values = &values[vi];
			nla_for_each_nested(v, term, rem3) {
				if (nla_type(v) != COSI_A_LABEL_TERM_VALUE)
					continue;
				values[vi++] = cosi_copy_str(&buf, v);
				t->n_values++;
			}
			if (t->n_values)
				t->num_ok = cosi_parse_number(t->values[0],
							      &t->num);
			query->n_terms++;
		}
	}
	q->n = qi;
	return q;
}
