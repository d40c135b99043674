// SPDX-License-Identifier: GPL-2.0
/*
 * Resource definitions and the validation of specs against their schema.
 *
 * Definitions live in cosi_net::defs (hashed by type name), are replaced
 * whole under cosi_net::lock and freed after an RCU grace period, so
 * readers may use them under rcu_read_lock().
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringhash.h>

#include "cosi.h"
#include "genl.h"

#define COSI_DEFAULT_NAMESPACE	"default"

static u32 cosi_str_hash(const char *s)
{
	return full_name_hash(NULL, s, strlen(s));
}

/* Exact type name lookup; caller holds cosi_net::lock or RCU. */
struct cosi_def *cosi_def_find(struct cosi_net *cn, const char *type)
{
	struct cosi_def *def;

	hash_for_each_possible_rcu(cn->defs, def, node, cosi_str_hash(type),
				   lockdep_is_held(&cn->lock))
		if (!strcmp(def->type, type))
			return def;
	return NULL;
}

static bool cosi_def_has_name(const struct cosi_def *def, const char *name)
{
	u8 i;

	if (!strcasecmp(def->type, name))
		return true;
	for (i = 0; i < def->n_aliases; i++)
		if (!strcasecmp(def->aliases[i], name))
			return true;
	return false;
}

/* Lookup by type name or alias, case-insensitively; lock or RCU. */
struct cosi_def *cosi_def_lookup(struct cosi_net *cn, const char *name)
{
	struct cosi_def *def;
	int bkt;

	def = cosi_def_find(cn, name);
	if (def)
		return def;
	for (bkt = 0; bkt < HASH_SIZE(cn->defs); bkt++)
		hlist_for_each_entry_rcu(def, &cn->defs[bkt], node,
					 lockdep_is_held(&cn->lock))
			if (cosi_def_has_name(def, name))
				return def;
	return NULL;
}

static u32 cosi_def_msg_size(const struct cosi_def *def);

/* Definition parsed from a request, pointing into it. */
struct cosi_def_req {
	const char *type;
	const char *default_ns;
	u32 sensitivity;
	u32 write_access;
	u32 n_aliases;
	u32 n_fields;
	u32 n_columns;
	const char *aliases[COSI_MAX_ALIASES];
	struct cosi_field fields[COSI_MAX_FIELDS];
	struct cosi_column columns[COSI_MAX_COLUMNS];
	size_t strings;
};

static int cosi_def_req_field(struct cosi_def_req *r, const struct nlattr *a,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[COSI_A_SCHEMA_FIELD_MAX + 1];
	struct cosi_field *f;
	const char *name;
	u32 i;
	int err;

	if (r->n_fields == COSI_MAX_FIELDS) {
		NL_SET_ERR_MSG_ATTR(extack, a, "too many schema fields");
		return -E2BIG;
	}
	err = nla_parse_nested(tb, COSI_A_SCHEMA_FIELD_MAX, a,
			       cosi_schema_field_nl_policy, extack);
	if (err)
		return err;
	if (cosi_attr_missing(extack, a, tb, COSI_A_SCHEMA_FIELD_NAME,
			      "missing attribute: schema field name") ||
	    cosi_attr_missing(extack, a, tb, COSI_A_SCHEMA_FIELD_TYPE,
			      "missing attribute: schema field type"))
		return -EINVAL;
	name = cosi_attr_name(tb[COSI_A_SCHEMA_FIELD_NAME], COSI_NAME_FIELD,
			      "schema field name", extack);
	if (!name)
		return -EINVAL;
	for (i = 0; i < r->n_fields; i++) {
		if (!strcmp(r->fields[i].name, name)) {
			cosi_err_named(extack, a, "duplicate schema field",
				       name);
			return -EINVAL;
		}
	}
	f = &r->fields[r->n_fields++];
	f->name = name;
	f->type = nla_get_u32(tb[COSI_A_SCHEMA_FIELD_TYPE]);
	f->required = nla_get_flag(tb[COSI_A_SCHEMA_FIELD_REQUIRED]);
	r->strings += strlen(name) + 1;
	return 0;
}

static int cosi_def_req_column(struct cosi_def_req *r, const struct nlattr *a,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[COSI_A_PRINT_COLUMN_MAX + 1];
	struct cosi_column *c;
	int err;

	if (r->n_columns == COSI_MAX_COLUMNS) {
		NL_SET_ERR_MSG_ATTR(extack, a, "too many print columns");
		return -E2BIG;
	}
	err = nla_parse_nested(tb, COSI_A_PRINT_COLUMN_MAX, a,
			       cosi_print_column_nl_policy, extack);
	if (err)
		return err;
	if (cosi_attr_missing(extack, a, tb, COSI_A_PRINT_COLUMN_NAME,
			      "missing attribute: print column name") ||
	    cosi_attr_missing(extack, a, tb, COSI_A_PRINT_COLUMN_FIELD,
			      "missing attribute: print column field"))
		return -EINVAL;
	c = &r->columns[r->n_columns++];
	c->name = cosi_attr_name(tb[COSI_A_PRINT_COLUMN_NAME],
				 COSI_NAME_PRINTABLE, "print column name",
				 extack);
	c->field = nla_data(tb[COSI_A_PRINT_COLUMN_FIELD]);
	if (!c->name)
		return -EINVAL;
	r->strings += strlen(c->name) + strlen(c->field) + 2;
	return 0;
}

static int cosi_def_req_parse(struct cosi_def_req *r, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **tb = info->attrs;
	const struct nlattr *a;
	u32 i, j;
	int rem, err;

	if (cosi_attr_missing(info->extack, NULL, info->attrs,
			      COSI_A_DEFINITION_TYPE, "missing attribute: type"))
		return -EINVAL;
	r->type = cosi_attr_name(tb[COSI_A_DEFINITION_TYPE], COSI_NAME_DNS,
				 "type", extack);
	if (!r->type)
		return -EINVAL;
	r->default_ns = COSI_DEFAULT_NAMESPACE;
	if (tb[COSI_A_DEFINITION_DEFAULT_NAMESPACE]) {
		r->default_ns = cosi_attr_name(tb[COSI_A_DEFINITION_DEFAULT_NAMESPACE],
					       COSI_NAME_DNS, "default namespace",
					       extack);
		if (!r->default_ns)
			return -EINVAL;
	}
	if (tb[COSI_A_DEFINITION_SENSITIVITY])
		r->sensitivity = nla_get_u32(tb[COSI_A_DEFINITION_SENSITIVITY]);
	if (tb[COSI_A_DEFINITION_WRITE_ACCESS])
		r->write_access = nla_get_u32(tb[COSI_A_DEFINITION_WRITE_ACCESS]);
	r->strings = strlen(r->type) + strlen(r->default_ns) + 2;

	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem) {
		switch (nla_type(a)) {
		case COSI_A_DEFINITION_ALIAS:
			if (r->n_aliases == COSI_MAX_ALIASES) {
				NL_SET_ERR_MSG_ATTR(extack, a, "too many aliases");
				return -E2BIG;
			}
			r->aliases[r->n_aliases] =
				cosi_attr_name(a, COSI_NAME_DNS, "alias", extack);
			if (!r->aliases[r->n_aliases])
				return -EINVAL;
			r->strings += nla_len(a);
			r->n_aliases++;
			break;
		case COSI_A_DEFINITION_FIELD:
			err = cosi_def_req_field(r, a, extack);
			if (err)
				return err;
			break;
		case COSI_A_DEFINITION_PRINT_COLUMN:
			err = cosi_def_req_column(r, a, extack);
			if (err)
				return err;
			break;
		}
	}

	for (i = 0; i < r->n_columns; i++) {
		for (j = 0; j < r->n_fields; j++)
			if (!strcmp(r->columns[i].field, r->fields[j].name))
				break;
		if (j == r->n_fields) {
			cosi_err_named(extack, NULL,
				       "print column names an unknown field",
				       r->columns[i].field);
			return -EINVAL;
		}
	}
	return 0;
}

static struct cosi_def *cosi_def_build(const struct cosi_def_req *r)
{
	struct cosi_field *fields;
	struct cosi_column *columns;
	const char **aliases;
	char *strings;
	struct cosi_def *def;
	size_t size;
	u32 i;

	size = sizeof(*def) + r->n_fields * sizeof(*fields) +
	       r->n_columns * sizeof(*columns) +
	       r->n_aliases * sizeof(*aliases) + r->strings;
	def = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!def)
		return NULL;
	atomic_long_inc(&cosi_nr_objects);

	/* Pointer arrays first, then the strings. */
	fields = (struct cosi_field *)(def + 1);
	columns = (struct cosi_column *)(fields + r->n_fields);
	aliases = (const char **)(columns + r->n_columns);
	strings = (char *)(aliases + r->n_aliases);

	def->sensitivity = r->sensitivity;
	def->write_access = r->write_access;
	def->n_fields = r->n_fields;
	def->n_columns = r->n_columns;
	def->n_aliases = r->n_aliases;
	def->fields = fields;
	def->columns = columns;
	def->aliases = aliases;
	for (i = 0; i < r->n_fields; i++) {
		fields[i] = r->fields[i];
		fields[i].name = cosi_put_str(&strings, r->fields[i].name);
	}
	for (i = 0; i < r->n_columns; i++) {
		columns[i].name = cosi_put_str(&strings, r->columns[i].name);
		columns[i].field = cosi_put_str(&strings, r->columns[i].field);
	}
	for (i = 0; i < r->n_aliases; i++)
		aliases[i] = cosi_put_str(&strings, r->aliases[i]);
	def->default_ns = cosi_put_str(&strings, r->default_ns);
	def->type = cosi_put_str(&strings, r->type);
	def->msg_size = cosi_def_msg_size(def);
	return def;
}

/*
 * A schema change must not invalidate existing resources: every old field
 * stays with its type, and no new required field appears.
 */
static bool cosi_schema_compatible(const struct cosi_def *old,
				   const struct cosi_def *def)
{
	u8 i, j;

	for (i = 0; i < old->n_fields; i++) {
		for (j = 0; j < def->n_fields; j++)
			if (!strcmp(old->fields[i].name, def->fields[j].name))
				break;
		if (j == def->n_fields || old->fields[i].type != def->fields[j].type)
			return false;
	}
	for (j = 0; j < def->n_fields; j++) {
		if (!def->fields[j].required)
			continue;
		for (i = 0; i < old->n_fields; i++)
			if (!strcmp(old->fields[i].name, def->fields[j].name))
				break;
		if (i == old->n_fields || !old->fields[i].required)
			return false;
	}
	return true;
}

/* Names (type and aliases) are unique across definitions. */
static const char *cosi_def_name_clash(struct cosi_net *cn,
				       const struct cosi_def *def)
{
	struct cosi_def *other;
	int bkt;
	u8 i;

	hash_for_each(cn->defs, bkt, other, node) {
		if (!strcmp(other->type, def->type))
			continue;
		if (cosi_def_has_name(other, def->type))
			return def->type;
		for (i = 0; i < def->n_aliases; i++)
			if (cosi_def_has_name(other, def->aliases[i]))
				return def->aliases[i];
	}
	return NULL;
}

static void cosi_def_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct cosi_def, rcu));
	atomic_long_dec(&cosi_nr_objects);
}

/**
 * cosi_def_prepare() - parse a definition-set request into a new definition
 * @info: the request
 *
 * Return: the definition, not yet visible, or an ERR_PTR().
 */
struct cosi_def *cosi_def_prepare(struct genl_info *info)
{
	struct cosi_def_req *r;
	struct cosi_def *def;
	int err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	err = cosi_def_req_parse(r, info);
	def = err ? ERR_PTR(err) : cosi_def_build(r);
	kfree(r);
	return def ?: ERR_PTR(-ENOMEM);
}

void cosi_def_discard(struct cosi_def *def)
{
	cosi_def_free_rcu(&def->rcu);
}

/**
 * cosi_def_commit() - make a prepared definition visible
 * @cn: the netns store, locked
 * @def: from cosi_def_prepare(); on error the caller discards it
 * @extack: extended ack
 *
 * Creates the type or replaces its definition.
 *
 * Return: 0, -EEXIST on a name clash, -ENOSPC over max_definitions,
 * -EBUSY for a schema change that would invalidate existing resources or
 * a write-access raised to sys-admin while resources exist.
 */
int cosi_def_commit(struct cosi_net *cn, struct cosi_def *def,
		    struct netlink_ext_ack *extack)
{
	struct cosi_def *old;
	const char *clash;

	lockdep_assert_held(&cn->lock);
	old = cosi_def_find(cn, def->type);
	clash = cosi_def_name_clash(cn, def);
	if (clash) {
		cosi_err_named(extack, NULL, "name already used by another type",
			       clash);
		return -EEXIST;
	}
	if (!old && cn->nr_defs >= READ_ONCE(cosi_max_definitions)) {
		NL_SET_ERR_MSG(extack, "too many definitions in this netns");
		return -ENOSPC;
	}
	/*
	 * Resources written under a net-admin type were not checked for
	 * CAP_SYS_ADMIN: raising the type must not vouch for them.
	 */
	if (old && old->nr_res &&
	    old->write_access != COSI_WRITE_ACCESS_SYS_ADMIN &&
	    def->write_access == COSI_WRITE_ACCESS_SYS_ADMIN) {
		NL_SET_ERR_MSG(extack,
			       "write-access is raised to sys-admin only while no resources of the type exist");
		return -EBUSY;
	}
	if (old && old->nr_res && !cosi_schema_compatible(old, def)) {
		NL_SET_ERR_MSG(extack,
			       "schema change incompatible with existing resources");
		return -EBUSY;
	}

	/* Lockless readers (list dumps) read it with READ_ONCE(). */
	WRITE_ONCE(cn->revision, cn->revision + 1);
	def->revision = cn->revision;
	if (def->sensitivity == COSI_SENSITIVITY_PUBLIC)
		def->public_since = (old && old->sensitivity ==
				     COSI_SENSITIVITY_PUBLIC) ?
				    old->public_since : def->revision;
	/*
	 * Reads check the new definition from now on; watches, here.  Also
	 * for a new one: watches of a deleted type stay on its collection.
	 */
	if (def->sensitivity != COSI_SENSITIVITY_PUBLIC &&
	    (!old || old->sensitivity == COSI_SENSITIVITY_PUBLIC))
		cosi_watch_revoke(cn, def->type);
	if (old) {
		def->nr_res = old->nr_res;
		hlist_replace_rcu(&old->node, &def->node);
		call_rcu(&old->rcu, cosi_def_free_rcu);
	} else {
		hash_add_rcu(cn->defs, &def->node, cosi_str_hash(def->type));
		cn->nr_defs++;
	}
	return 0;
}

int cosi_def_delete(struct cosi_net *cn, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[COSI_A_DEFINITION_TYPE];
	struct cosi_def *def;

	lockdep_assert_held(&cn->lock);
	def = cosi_def_lookup(cn, nla_data(attr));
	if (!def) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "type is not defined");
		return -ENOENT;
	}
	if (def->nr_res) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "resources of this type still exist");
		return -EBUSY;
	}
	hash_del_rcu(&def->node);
	cn->nr_defs--;
	WRITE_ONCE(cn->revision, cn->revision + 1);
	call_rcu(&def->rcu, cosi_def_free_rcu);
	return 0;
}

void cosi_def_free_all(struct cosi_net *cn)
{
	struct hlist_node *tmp;
	struct cosi_def *def;
	int bkt;

	hash_for_each_safe(cn->defs, bkt, tmp, def, node) {
		hash_del_rcu(&def->node);
		call_rcu(&def->rcu, cosi_def_free_rcu);
	}
	cn->nr_defs = 0;
}

/* The exact size of what cosi_def_fill() puts. */
static u32 cosi_def_msg_size(const struct cosi_def *def)
{
	u32 size;
	u8 i;

	size = nla_total_size(strlen(def->type) + 1) +
	       nla_total_size(strlen(def->default_ns) + 1) +
	       2 * nla_total_size(sizeof(u32)) +	/* sensitivity, write-access */
	       nla_total_size_64bit(sizeof(u64)) +	/* revision */
	       nla_total_size(sizeof(u32));		/* resources */
	for (i = 0; i < def->n_aliases; i++)
		size += nla_total_size(strlen(def->aliases[i]) + 1);
	for (i = 0; i < def->n_fields; i++)
		size += nla_total_size(nla_total_size(strlen(def->fields[i].name) + 1) +
				       nla_total_size(sizeof(u32)) +
				       (def->fields[i].required ?
					nla_total_size(0) : 0));
	for (i = 0; i < def->n_columns; i++)
		size += nla_total_size(nla_total_size(strlen(def->columns[i].name) + 1) +
				       nla_total_size(strlen(def->columns[i].field) + 1));
	return size;
}

/* Puts def->msg_size bytes of attributes (cosi_def_msg_size()). */
int cosi_def_fill(struct sk_buff *skb, const struct cosi_def *def)
{
	struct nlattr *nest;
	u8 i;

	if (nla_put_string(skb, COSI_A_DEFINITION_TYPE, def->type) ||
	    nla_put_string(skb, COSI_A_DEFINITION_DEFAULT_NAMESPACE,
			   def->default_ns) ||
	    nla_put_u32(skb, COSI_A_DEFINITION_SENSITIVITY, def->sensitivity) ||
	    nla_put_u32(skb, COSI_A_DEFINITION_WRITE_ACCESS, def->write_access) ||
	    nla_put_u64_64bit(skb, COSI_A_DEFINITION_REVISION, def->revision,
			      COSI_A_DEFINITION_PAD) ||
	    nla_put_u32(skb, COSI_A_DEFINITION_RESOURCES, def->nr_res))
		return -EMSGSIZE;
	for (i = 0; i < def->n_aliases; i++)
		if (nla_put_string(skb, COSI_A_DEFINITION_ALIAS, def->aliases[i]))
			return -EMSGSIZE;
	for (i = 0; i < def->n_fields; i++) {
		nest = nla_nest_start(skb, COSI_A_DEFINITION_FIELD);
		if (!nest ||
		    nla_put_string(skb, COSI_A_SCHEMA_FIELD_NAME,
				   def->fields[i].name) ||
		    nla_put_u32(skb, COSI_A_SCHEMA_FIELD_TYPE,
				def->fields[i].type) ||
		    (def->fields[i].required &&
		     nla_put_flag(skb, COSI_A_SCHEMA_FIELD_REQUIRED)))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	for (i = 0; i < def->n_columns; i++) {
		nest = nla_nest_start(skb, COSI_A_DEFINITION_PRINT_COLUMN);
		if (!nest ||
		    nla_put_string(skb, COSI_A_PRINT_COLUMN_NAME,
				   def->columns[i].name) ||
		    nla_put_string(skb, COSI_A_PRINT_COLUMN_FIELD,
				   def->columns[i].field))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);
	}
	return 0;
}

/* Spec canonicalisation: schema order, normalised value encodings. */

static const int cosi_field_attr[] = {
	[COSI_FIELD_TYPE_STRING]	= COSI_A_SPEC_FIELD_STRING,
	[COSI_FIELD_TYPE_U64]		= COSI_A_SPEC_FIELD_U64,
	[COSI_FIELD_TYPE_S64]		= COSI_A_SPEC_FIELD_S64,
	[COSI_FIELD_TYPE_BOOL]		= COSI_A_SPEC_FIELD_BOOL,
	[COSI_FIELD_TYPE_BYTES]		= COSI_A_SPEC_FIELD_BYTES,
	[COSI_FIELD_TYPE_STRING_LIST]	= COSI_A_SPEC_FIELD_STRINGS,
};

static void *cosi_blob_put(void **p, int type, const void *data, int len)
{
	struct nlattr *nla = *p;

	nla->nla_type = type;
	nla->nla_len = nla_attr_size(len);
	if (data)
		memcpy(nla_data(nla), data, len);
	memset((char *)nla_data(nla) + len, 0, nla_padlen(len));
	*p = (char *)nla + nla_total_size(len);
	return nla;
}

static void cosi_blob_nest_end(void *p, struct nlattr *nest)
{
	nest->nla_len = (char *)p - (char *)nest;
}

/* Size of the canonical value of @v, or -E2BIG. */
static long cosi_value_size(const struct nlattr *v)
{
	const struct nlattr *item;
	long size = 0;
	int rem, n = 0;

	switch (nla_type(v)) {
	case COSI_A_SPEC_FIELD_STRING:
		return nla_total_size(strlen(nla_data(v)) + 1);
	case COSI_A_SPEC_FIELD_U64:
	case COSI_A_SPEC_FIELD_S64:
		return nla_total_size(sizeof(u64));
	case COSI_A_SPEC_FIELD_BOOL:
		return nla_total_size(sizeof(u8));
	case COSI_A_SPEC_FIELD_BYTES:
		return nla_total_size(nla_len(v));
	case COSI_A_SPEC_FIELD_STRINGS:
		nla_for_each_nested(item, v, rem) {
			if (++n > COSI_MAX_LIST_ITEMS)
				return -E2BIG;
			size += nla_total_size(strlen(nla_data(item)) + 1);
		}
		return nla_total_size(size);
	}
	return 0;
}

static void cosi_value_put(void **p, const struct nlattr *v)
{
	const struct nlattr *item;
	struct nlattr *nest;
	u8 b;
	int rem;

	switch (nla_type(v)) {
	case COSI_A_SPEC_FIELD_STRING:
		cosi_blob_put(p, nla_type(v), nla_data(v),
			      strlen(nla_data(v)) + 1);
		break;
	case COSI_A_SPEC_FIELD_BOOL:
		b = !!nla_get_u8(v);
		cosi_blob_put(p, nla_type(v), &b, 1);
		break;
	case COSI_A_SPEC_FIELD_STRINGS:
		nest = cosi_blob_put(p, nla_type(v), NULL, 0);
		nla_for_each_nested(item, v, rem)
			cosi_blob_put(p, COSI_A_STRING_LIST_ITEM, nla_data(item),
				      strlen(nla_data(item)) + 1);
		cosi_blob_nest_end(*p, nest);
		break;
	default:	/* u64, s64, bytes: verbatim */
		cosi_blob_put(p, nla_type(v), nla_data(v), nla_len(v));
	}
}

/**
 * cosi_spec_canonicalize() - validate a spec and encode it canonically
 * @def: the type's definition (schema)
 * @spec: the COSI_A_RESOURCE_SPEC nest, or NULL for an empty spec
 * @blob: the canonical encoding (kfree() it), NULL when empty
 * @len: its length
 * @extack: extended ack; messages name the offending field
 *
 * Return: 0, -EINVAL for a schema violation, -E2BIG over max_spec_size.
 */
int cosi_spec_canonicalize(const struct cosi_def *def,
			   const struct nlattr *spec, void **blob, u32 *len,
			   struct netlink_ext_ack *extack)
{
	const struct nlattr *vals[COSI_MAX_FIELDS] = {};
	struct nlattr *tb[COSI_A_SPEC_FIELD_MAX + 1];
	const struct nlattr *f, *val;
	size_t size = 0;
	void *p;
	long vsize;
	int rem, err, t, idx;
	u8 i;

	*blob = NULL;
	*len = 0;
	if (spec) {
		nla_for_each_nested(f, spec, rem) {
			err = nla_parse_nested(tb, COSI_A_SPEC_FIELD_MAX, f,
					       cosi_spec_field_nl_policy, extack);
			if (err)
				return err;
			if (cosi_attr_missing(extack, f, tb, COSI_A_SPEC_FIELD_NAME,
					      "missing attribute: spec field name"))
				return -EINVAL;
			for (idx = 0; idx < def->n_fields; idx++)
				if (!strcmp(def->fields[idx].name,
					    nla_data(tb[COSI_A_SPEC_FIELD_NAME])))
					break;
			if (idx == def->n_fields) {
				cosi_err_named(extack, f, "unknown spec field",
					       (char *)nla_data(tb[COSI_A_SPEC_FIELD_NAME]));
				return -EINVAL;
			}
			if (vals[idx]) {
				cosi_err_named(extack, f, "duplicate spec field",
					       def->fields[idx].name);
				return -EINVAL;
			}
			val = NULL;
			for (t = COSI_A_SPEC_FIELD_STRING;
			     t <= COSI_A_SPEC_FIELD_MAX; t++) {
				if (!tb[t])
					continue;
				if (val || t != cosi_field_attr[def->fields[idx].type]) {
					cosi_err_named(extack, tb[t],
						       "spec field has the wrong type",
						       def->fields[idx].name);
					return -EINVAL;
				}
				val = tb[t];
			}
			if (!val) {
				cosi_err_named(extack, f, "spec field has no value",
					       def->fields[idx].name);
				return -EINVAL;
			}
			vsize = cosi_value_size(val);
			if (vsize < 0) {
				cosi_err_named(extack, val, "too many list items",
					       def->fields[idx].name);
				return vsize;
			}
			vals[idx] = val;
			size += nla_total_size(nla_total_size(strlen(def->fields[idx].name) + 1) +
					       vsize);
		}
	}

	for (i = 0; i < def->n_fields; i++) {
		if (def->fields[i].required && !vals[i]) {
			cosi_err_named(extack, spec, "missing required spec field",
				       def->fields[i].name);
			return -EINVAL;
		}
	}
	if (size > min_t(u32, READ_ONCE(cosi_max_spec_size), COSI_SPEC_MAX_SIZE)) {
		NL_SET_ERR_MSG_ATTR(extack, spec, "spec too large");
		return -E2BIG;
	}
	if (!size)
		return 0;

	p = kmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	*blob = p;
	*len = size;
	for (i = 0; i < def->n_fields; i++) {
		struct nlattr *nest;

		if (!vals[i])
			continue;
		nest = cosi_blob_put(&p, COSI_A_SPEC_FIELD, NULL, 0);
		cosi_blob_put(&p, COSI_A_SPEC_FIELD_NAME, def->fields[i].name,
			      strlen(def->fields[i].name) + 1);
		cosi_value_put(&p, vals[i]);
		cosi_blob_nest_end(p, nest);
	}
	return 0;
}
