// SPDX-License-Identifier: GPL-2.0
/*
 * Validation of names, labels and finalizers from requests.  Parsed
 * values point into the request's attributes; they are copied when a
 * resource version is built.
 */
#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "cosi.h"
#include "genl.h"

static bool cosi_name_char_ok(char c, enum cosi_name_kind kind)
{
	switch (kind) {
	case COSI_NAME_DNS:
		return isalnum(c) || c == '.' || c == '-' || c == '_';
	case COSI_NAME_FIELD:
		return isalnum(c) || c == '-' || c == '_';
	case COSI_NAME_PRINTABLE:
		return c > 0x20 && c < 0x7f;
	}
	return false;
}

/**
 * cosi_name_valid() - check a name's characters
 * @name: NUL-terminated name
 * @kind: which character set applies
 *
 * Return: true when @name is non-empty and uses only allowed characters
 * (DNS-like names must also start with an alphanumeric).
 */
bool cosi_name_valid(const char *name, enum cosi_name_kind kind)
{
	const char *p;

	if (!*name)
		return false;
	if (kind == COSI_NAME_DNS && !isalnum(*name))
		return false;
	for (p = name; *p; p++)
		if (!cosi_name_char_ok(*p, kind))
			return false;
	return true;
}

/**
 * cosi_attr_name() - validate a string attribute holding a name
 * @attr: the attribute (its length is bounded by the policy)
 * @kind: which character set applies
 * @what: what the name is, for the extack message
 * @extack: extended ack
 *
 * Return: the name, or NULL after setting the extack message.
 */
const char *cosi_attr_name(const struct nlattr *attr, enum cosi_name_kind kind,
			   const char *what, struct netlink_ext_ack *extack)
{
	const char *name = nla_data(attr);

	if (!cosi_name_valid(name, kind)) {
		cosi_err_named(extack, attr, "invalid name", what);
		return NULL;
	}
	return name;
}

static int cosi_kv_cmp(const void *a, const void *b)
{
	const struct cosi_kv *x = a, *y = b;

	return strcmp(x->key, y->key);
}

bool cosi_kv_equal(const struct cosi_kv *a, u32 na,
		   const struct cosi_kv *b, u32 nb)
{
	u32 i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) || strcmp(a[i].value, b[i].value))
			return false;
	return true;
}

/**
 * cosi_parse_labels() - parse a labels (or annotations) nest
 * @nest: the COSI_A_RESOURCE_LABELS-style nest, already validated
 * @out: the pairs, sorted by key, pointing into @nest (kfree() it)
 * @n: their number
 * @extack: extended ack
 *
 * Return: 0, -EINVAL on a bad or duplicate key, -E2BIG over max_labels.
 */
int cosi_parse_labels(const struct nlattr *nest, struct cosi_kv **out,
		      u32 *n, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[COSI_A_LABEL_MAX + 1];
	const struct nlattr *pos;
	struct cosi_kv *kv;
	u32 i, cnt = 0, max = READ_ONCE(cosi_max_labels);
	int rem, err;

	nla_for_each_nested(pos, nest, rem)
		cnt++;
	if (cnt > max) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "too many labels");
		return -E2BIG;
	}
	*out = NULL;
	*n = 0;
	if (!cnt)
		return 0;
	kv = kmalloc_array(cnt, sizeof(*kv), GFP_KERNEL_ACCOUNT);
	if (!kv)
		return -ENOMEM;

	i = 0;
	nla_for_each_nested(pos, nest, rem) {
		err = nla_parse_nested(tb, COSI_A_LABEL_MAX, pos,
				       cosi_label_nl_policy, extack);
		if (err)
			goto err;
		if (cosi_attr_missing(extack, pos, tb, COSI_A_LABEL_KEY,
				      "missing attribute: label key")) {
			err = -EINVAL;
			goto err;
		}
		kv[i].key = cosi_attr_name(tb[COSI_A_LABEL_KEY],
					   COSI_NAME_PRINTABLE, "label key",
					   extack);
		if (!kv[i].key) {
			err = -EINVAL;
			goto err;
		}
		kv[i].value = tb[COSI_A_LABEL_VALUE] ?
			      nla_data(tb[COSI_A_LABEL_VALUE]) : "";
		i++;
	}

	sort(kv, cnt, sizeof(*kv), cosi_kv_cmp, NULL);
	for (i = 1; i < cnt; i++) {
		if (!strcmp(kv[i - 1].key, kv[i].key)) {
			cosi_err_named(extack, nest, "duplicate label key",
				       kv[i].key);
			err = -EINVAL;
			goto err;
		}
	}
	*out = kv;
	*n = cnt;
	return 0;
err:
	kfree(kv);
	return err;
}

static int cosi_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char * const *)a, *(const char * const *)b);
}

/**
 * cosi_parse_finalizers() - parse a finalizers nest into a sorted set
 * @nest: the COSI_A_RESOURCE_FINALIZERS nest, already validated
 * @out: the names, sorted and unique, pointing into @nest (kfree() it)
 * @n: their number
 * @extack: extended ack
 *
 * Return: 0, -EINVAL on a bad name, -E2BIG over max_finalizers.
 */
int cosi_parse_finalizers(const struct nlattr *nest, const char ***out,
			  u32 *n, struct netlink_ext_ack *extack)
{
	const struct nlattr *pos;
	const char **names;
	u32 i, j, cnt = 0, max = READ_ONCE(cosi_max_finalizers);
	int rem;

	nla_for_each_nested(pos, nest, rem)
		cnt++;
	if (cnt > max) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "too many finalizers");
		return -E2BIG;
	}
	*out = NULL;
	*n = 0;
	if (!cnt) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "no finalizer given");
		return -EINVAL;
	}
	names = kmalloc_array(cnt, sizeof(*names), GFP_KERNEL_ACCOUNT);
	if (!names)
		return -ENOMEM;
	i = 0;
	nla_for_each_nested(pos, nest, rem) {
		names[i] = cosi_attr_name(pos, COSI_NAME_PRINTABLE, "finalizer",
					  extack);
		if (!names[i]) {
			kfree(names);
			return -EINVAL;
		}
		i++;
	}
	sort(names, cnt, sizeof(*names), cosi_str_cmp, NULL);
	for (i = 1, j = 1; i < cnt; i++)
		if (strcmp(names[j - 1], names[i]))
			names[j++] = names[i];
	*out = names;
	*n = j;
	return 0;
}
