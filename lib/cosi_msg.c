// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libcosi: building and parsing cosi messages (resources, specs, labels,
 * label queries, definitions, events) with libnl's attribute API, and the
 * small containers they are made of.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "cosi_nl.h"

/* Containers. */

int cosi_kvs_add(struct cosi_kvs *s, const char *key, const char *value)
{
	struct cosi_kv *v = realloc(s->v, (s->n + 1) * sizeof(*v));
	char *k, *val;

	if (!v)
		return -ENOMEM;
	s->v = v;
	k = strdup(key);
	val = strdup(value ? value : "");
	if (!k || !val) {
		free(k);
		free(val);
		return -ENOMEM;
	}
	v[s->n].key = k;
	v[s->n].value = val;
	s->n++;
	return 0;
}

const char *cosi_kvs_get(const struct cosi_kvs *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return s->v[i].value;
	return NULL;
}

/* Equal as sets (keys are unique). */
bool cosi_kvs_equal(const struct cosi_kvs *a, const struct cosi_kvs *b)
{
	const char *v;
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		v = cosi_kvs_get(b, a->v[i].key);
		if (!v || strcmp(v, a->v[i].value))
			return false;
	}
	return true;
}

void cosi_kvs_clear(struct cosi_kvs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].value);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int cosi_strs_add(struct cosi_strs *s, const char *str)
{
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->v = v;
	v[s->n] = strdup(str);
	if (!v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

bool cosi_strs_has(const struct cosi_strs *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

static bool cosi_strs_equal(const struct cosi_strs *a,
			    const struct cosi_strs *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

void cosi_strs_clear(struct cosi_strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Spec fields. */

static void cosi_field_clear(struct cosi_field *f)
{
	switch (f->type) {
	case COSI_FIELD_TYPE_STRING:
		free(f->str);
		break;
	case COSI_FIELD_TYPE_BYTES:
		free(f->bytes.data);
		break;
	case COSI_FIELD_TYPE_STRING_LIST:
		cosi_strs_clear(&f->strs);
		break;
	default:
		break;
	}
	free(f->name);
	memset(f, 0, sizeof(*f));
}

static int cosi_field_init(struct cosi_field *f, const char *name,
			   enum cosi_field_type type)
{
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->name = strdup(name);
	return f->name ? 0 : -ENOMEM;
}

/* Append @f, whose contents the spec takes over (or clears on error). */
static int cosi_spec_push(struct cosi_spec *s, struct cosi_field *f)
{
	struct cosi_field *v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (!v) {
		cosi_field_clear(f);
		return -ENOMEM;
	}
	s->v = v;
	v[s->n++] = *f;
	return 0;
}

int cosi_spec_add_string(struct cosi_spec *s, const char *name,
			 const char *value)
{
	struct cosi_field f;

	if (cosi_field_init(&f, name, COSI_FIELD_TYPE_STRING))
		return -ENOMEM;
	f.str = strdup(value);
	if (!f.str) {
		cosi_field_clear(&f);
		return -ENOMEM;
	}
	return cosi_spec_push(s, &f);
}

int cosi_spec_add_u64(struct cosi_spec *s, const char *name, uint64_t v)
{
	struct cosi_field f;

	if (cosi_field_init(&f, name, COSI_FIELD_TYPE_U64))
		return -ENOMEM;
	f.u64 = v;
	return cosi_spec_push(s, &f);
}

int cosi_spec_add_s64(struct cosi_spec *s, const char *name, int64_t v)
{
	struct cosi_field f;

	if (cosi_field_init(&f, name, COSI_FIELD_TYPE_S64))
		return -ENOMEM;
	f.s64 = v;
	return cosi_spec_push(s, &f);
}

int cosi_spec_add_bool(struct cosi_spec *s, const char *name, bool v)
{
	struct cosi_field f;

	if (cosi_field_init(&f, name, COSI_FIELD_TYPE_BOOL))
		return -ENOMEM;
	f.b = v;
	return cosi_spec_push(s, &f);
}

static int cosi_bytes_set(struct cosi_bytes *b, const void *data, size_t len)
{
	b->data = malloc(len ? len : 1);
	if (!b->data)
		return -ENOMEM;
	if (len)
		memcpy(b->data, data, len);
	b->len = len;
	return 0;
}

int cosi_spec_add_bytes(struct cosi_spec *s, const char *name,
			const void *data, size_t len)
{
	struct cosi_field f;

	if (cosi_field_init(&f, name, COSI_FIELD_TYPE_BYTES))
		return -ENOMEM;
	if (cosi_bytes_set(&f.bytes, data, len)) {
		cosi_field_clear(&f);
		return -ENOMEM;
	}
	return cosi_spec_push(s, &f);
}

int cosi_spec_add_strings(struct cosi_spec *s, const char *name,
			  const char *const *items, size_t n)
{
	struct cosi_field f;
	size_t i;

	if (cosi_field_init(&f, name, COSI_FIELD_TYPE_STRING_LIST))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (cosi_strs_add(&f.strs, items[i])) {
			cosi_field_clear(&f);
			return -ENOMEM;
		}
	}
	return cosi_spec_push(s, &f);
}

const struct cosi_field *cosi_spec_get(const struct cosi_spec *s,
				       const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

bool cosi_field_equal(const struct cosi_field *a, const struct cosi_field *b)
{
	if (strcmp(a->name, b->name) || a->type != b->type)
		return false;
	switch (a->type) {
	case COSI_FIELD_TYPE_STRING:
		return !strcmp(a->str, b->str);
	case COSI_FIELD_TYPE_U64:
		return a->u64 == b->u64;
	case COSI_FIELD_TYPE_S64:
		return a->s64 == b->s64;
	case COSI_FIELD_TYPE_BOOL:
		return a->b == b->b;
	case COSI_FIELD_TYPE_BYTES:
		return a->bytes.len == b->bytes.len &&
		       !memcmp(a->bytes.data, b->bytes.data, a->bytes.len);
	case COSI_FIELD_TYPE_STRING_LIST:
		return cosi_strs_equal(&a->strs, &b->strs);
	}
	return true;	/* neither has a value */
}

/* Equal as sets of fields (names are unique). */
bool cosi_spec_equal(const struct cosi_spec *a, const struct cosi_spec *b)
{
	const struct cosi_field *f;
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		f = cosi_spec_get(b, a->v[i].name);
		if (!f || !cosi_field_equal(&a->v[i], f))
			return false;
	}
	return true;
}

void cosi_spec_clear(struct cosi_spec *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		cosi_field_clear(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Definitions. */

struct cosi_definition *cosi_def_new(const char *type)
{
	struct cosi_definition *d;

	if (!type) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d)
		d->type = strdup(type);
	if (d && !d->type) {
		free(d);
		d = NULL;
	}
	return d;
}

int cosi_def_set_default_ns(struct cosi_definition *d, const char *ns)
{
	free(d->default_ns);
	d->default_ns = strdup(ns);
	return d->default_ns ? 0 : -ENOMEM;
}

int cosi_def_add_alias(struct cosi_definition *d, const char *alias)
{
	return cosi_strs_add(&d->aliases, alias);
}

int cosi_def_add_field(struct cosi_definition *d, const char *name,
		       enum cosi_field_type type, bool required)
{
	struct cosi_schema_field *v;

	v = realloc(d->fields, (d->n_fields + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->fields = v;
	v[d->n_fields].name = strdup(name);
	if (!v[d->n_fields].name)
		return -ENOMEM;
	v[d->n_fields].type = type;
	v[d->n_fields].required = required;
	d->n_fields++;
	return 0;
}

int cosi_def_add_column(struct cosi_definition *d, const char *name,
			const char *field)
{
	struct cosi_column *v;
	char *n, *f;

	v = realloc(d->columns, (d->n_columns + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->columns = v;
	n = strdup(name);
	f = strdup(field);
	if (!n || !f) {
		free(n);
		free(f);
		return -ENOMEM;
	}
	v[d->n_columns].name = n;
	v[d->n_columns].field = f;
	d->n_columns++;
	return 0;
}

void cosi_definition_clear(struct cosi_definition *d)
{
	size_t i;

	for (i = 0; i < d->n_fields; i++)
		free(d->fields[i].name);
	for (i = 0; i < d->n_columns; i++) {
		free(d->columns[i].name);
		free(d->columns[i].field);
	}
	free(d->fields);
	free(d->columns);
	free(d->type);
	free(d->default_ns);
	cosi_strs_clear(&d->aliases);
	memset(d, 0, sizeof(*d));
}

void cosi_definition_free(struct cosi_definition *d)
{
	if (!d)
		return;
	cosi_definition_clear(d);
	free(d);
}

void cosi_definitions_clear(struct cosi_definitions *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cosi_definition_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Resources and events. */

void cosi_resource_clear(struct cosi_resource *r)
{
	free(r->ns);
	free(r->type);
	free(r->id);
	free(r->owner);
	cosi_kvs_clear(&r->labels);
	cosi_kvs_clear(&r->annotations);
	cosi_strs_clear(&r->finalizers);
	cosi_spec_clear(&r->spec);
	memset(r, 0, sizeof(*r));
	r->destroy_ready = -1;
}

struct cosi_resource *cosi_resource_new(void)
{
	struct cosi_resource *r = calloc(1, sizeof(*r));

	if (r)
		r->destroy_ready = -1;
	return r;
}

void cosi_resource_free(struct cosi_resource *r)
{
	if (!r)
		return;
	cosi_resource_clear(r);
	free(r);
}

void cosi_resources_clear(struct cosi_resources *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cosi_resource_free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Move the event's resource out: the caller's; ev->res becomes NULL. */
struct cosi_resource *cosi_event_take(struct cosi_event *ev)
{
	struct cosi_resource *r = ev->res;

	ev->res = NULL;
	return r;
}

void cosi_event_free(struct cosi_event *ev)
{
	if (!ev)
		return;
	cosi_resource_free(ev->res);
	cosi_kvs_clear(&ev->old_labels);
	free(ev);
}

void cosi_event_vec_push(struct cosi_event *ev, void *vec)
{
	struct cosi_event_vec *vv = vec;
	struct cosi_event **v;
	size_t cap;

	if (vv->n == vv->cap) {
		cap = vv->cap ? 2 * vv->cap : 16;
		v = realloc(vv->v, cap * sizeof(*v));
		if (!v) {
			cosi_event_free(ev);
			return;
		}
		vv->v = v;
		vv->cap = cap;
	}
	vv->v[vv->n++] = ev;
}

void cosi_event_vec_clear(struct cosi_event_vec *vec)
{
	size_t i;

	for (i = 0; i < vec->n; i++)
		cosi_event_free(vec->v[i]);
	free(vec->v);
	memset(vec, 0, sizeof(*vec));
}

const char *cosi_event_kind_name(uint32_t kind)
{
	static const char *const names[] = {
		[COSI_EVENT_KIND_CREATED]	= "created",
		[COSI_EVENT_KIND_UPDATED]	= "updated",
		[COSI_EVENT_KIND_DESTROYED]	= "destroyed",
		[COSI_EVENT_KIND_BOOTSTRAPPED]	= "bootstrapped",
	};

	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ?
	       names[kind] : "?";
}

const char *cosi_field_type_name(uint32_t type)
{
	static const char *const names[] = {
		[COSI_FIELD_TYPE_STRING]	= "string",
		[COSI_FIELD_TYPE_U64]		= "u64",
		[COSI_FIELD_TYPE_S64]		= "s64",
		[COSI_FIELD_TYPE_BOOL]		= "bool",
		[COSI_FIELD_TYPE_BYTES]		= "bytes",
		[COSI_FIELD_TYPE_STRING_LIST]	= "string-list",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ?
	       names[type] : "?";
}

const char *cosi_write_access_name(uint32_t access)
{
	switch (access) {
	case COSI_WRITE_ACCESS_NET_ADMIN:	return "net-admin";
	case COSI_WRITE_ACCESS_SYS_ADMIN:	return "sys-admin";
	default:				return "?";
	}
}

/* Building messages.  Nests are kept even when empty: an empty labels
 * nest clears the labels.  NULL strings leave their attribute out.
 */

static int cosi_nest_end(struct nl_msg *m, struct nlattr *nest)
{
	return nla_nest_end_keep_empty(m, nest) ? -EMSGSIZE : 0;
}

static int cosi_put_str(struct nl_msg *m, int attr, const char *s)
{
	if (!s)
		return 0;
	return nla_put_string(m, attr, s) ? -EMSGSIZE : 0;
}

int cosi_put_kvs(struct nl_msg *m, int attr, const struct cosi_kvs *kvs)
{
	struct nlattr *nest = nla_nest_start(m, attr), *item;
	size_t i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < kvs->n; i++) {
		item = nla_nest_start(m, COSI_A_LABELS_LABEL);
		if (!item ||
		    cosi_put_str(m, COSI_A_LABEL_KEY, kvs->v[i].key) ||
		    cosi_put_str(m, COSI_A_LABEL_VALUE, kvs->v[i].value) ||
		    cosi_nest_end(m, item))
			return -EMSGSIZE;
	}
	return cosi_nest_end(m, nest);
}

int cosi_put_strs(struct nl_msg *m, int attr, int item,
		  const struct cosi_strs *s)
{
	struct nlattr *nest = nla_nest_start(m, attr);
	size_t i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < s->n; i++)
		if (cosi_put_str(m, item, s->v[i]))
			return -EMSGSIZE;
	return cosi_nest_end(m, nest);
}

/* The value attribute of @f; none for a field without a type. */
static int cosi_put_value(struct nl_msg *m, const struct cosi_field *f)
{
	switch (f->type) {
	case COSI_FIELD_TYPE_STRING:
		return cosi_put_str(m, COSI_A_SPEC_FIELD_STRING, f->str);
	case COSI_FIELD_TYPE_U64:
		return nla_put_u64(m, COSI_A_SPEC_FIELD_U64, f->u64) ?
		       -EMSGSIZE : 0;
	case COSI_FIELD_TYPE_S64:
		return nla_put_s64(m, COSI_A_SPEC_FIELD_S64, f->s64) ?
		       -EMSGSIZE : 0;
	case COSI_FIELD_TYPE_BOOL:
		return nla_put_u8(m, COSI_A_SPEC_FIELD_BOOL, f->b) ?
		       -EMSGSIZE : 0;
	case COSI_FIELD_TYPE_BYTES:
		return nla_put(m, COSI_A_SPEC_FIELD_BYTES, f->bytes.len,
			       f->bytes.data) ? -EMSGSIZE : 0;
	case COSI_FIELD_TYPE_STRING_LIST:
		return cosi_put_strs(m, COSI_A_SPEC_FIELD_STRINGS,
				     COSI_A_STRING_LIST_ITEM, &f->strs);
	}
	return 0;
}

int cosi_put_field(struct nl_msg *m, const struct cosi_field *f)
{
	struct nlattr *nest = nla_nest_start(m, COSI_A_SPEC_FIELD);

	if (!nest || cosi_put_str(m, COSI_A_SPEC_FIELD_NAME, f->name) ||
	    cosi_put_value(m, f))
		return -EMSGSIZE;
	return cosi_nest_end(m, nest);
}

int cosi_put_spec(struct nl_msg *m, const struct cosi_spec *s)
{
	struct nlattr *nest = nla_nest_start(m, COSI_A_RESOURCE_SPEC);
	size_t i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < s->n; i++)
		if (cosi_put_field(m, &s->v[i]))
			return -EMSGSIZE;
	return cosi_nest_end(m, nest);
}

static int cosi_put_term(struct nl_msg *m, const struct cosi_term *t)
{
	struct nlattr *nest = nla_nest_start(m, COSI_A_LABEL_QUERY_TERM);
	size_t i;

	if (!nest || cosi_put_str(m, COSI_A_LABEL_TERM_KEY, t->key) ||
	    nla_put_u32(m, COSI_A_LABEL_TERM_OP, t->op))
		return -EMSGSIZE;
	for (i = 0; i < t->n_values; i++)
		if (cosi_put_str(m, COSI_A_LABEL_TERM_VALUE, t->values[i]))
			return -EMSGSIZE;
	if (t->invert && nla_put_flag(m, COSI_A_LABEL_TERM_INVERT))
		return -EMSGSIZE;
	return cosi_nest_end(m, nest);
}

/* One label-query attribute (its terms ANDed). */
int cosi_put_query(struct nl_msg *m, const struct cosi_query *q)
{
	struct nlattr *nest = nla_nest_start(m, COSI_A_RESOURCE_LABEL_QUERY);
	size_t i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < q->n; i++)
		if (cosi_put_term(m, &q->terms[i]))
			return -EMSGSIZE;
	return cosi_nest_end(m, nest);
}

static int cosi_put_queries(struct nl_msg *m, const struct cosi_query *q,
			    size_t n)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++)
		err = cosi_put_query(m, &q[i]);
	return err;
}

static int cosi_put_key(struct nl_msg *m, const char *ns, const char *type,
			const char *id)
{
	if (cosi_put_str(m, COSI_A_RESOURCE_NAMESPACE, ns) ||
	    cosi_put_str(m, COSI_A_RESOURCE_TYPE, type) ||
	    cosi_put_str(m, COSI_A_RESOURCE_ID, id))
		return -EMSGSIZE;
	return 0;
}

static int cosi_put_content(struct nl_msg *m, const struct cosi_req *r)
{
	int err = 0;

	if (r->labels)
		err = cosi_put_kvs(m, COSI_A_RESOURCE_LABELS, r->labels);
	if (!err && r->annotations)
		err = cosi_put_kvs(m, COSI_A_RESOURCE_ANNOTATIONS,
				   r->annotations);
	if (!err && r->spec)
		err = cosi_put_spec(m, r->spec);
	return err;
}

/* The @parts (COSI_REQ_*) of @r that are set. */
int cosi_put_req(struct nl_msg *m, const struct cosi_req *r,
		 unsigned int parts)
{
	int err = 0;

	if (parts & COSI_REQ_KEY)
		err = cosi_put_key(m, r->ns, r->type, r->id);
	if (!err && (parts & COSI_REQ_CONTENT))
		err = cosi_put_content(m, r);
	if (!err && (parts & COSI_REQ_FINALIZERS) && r->finalizers)
		err = cosi_put_strs(m, COSI_A_RESOURCE_FINALIZERS,
				    COSI_A_FINALIZERS_FINALIZER, r->finalizers);
	if (!err && (parts & COSI_REQ_VERSION) && r->has_expected_version &&
	    nla_put_u64(m, COSI_A_RESOURCE_EXPECTED_VERSION,
			r->expected_version))
		err = -EMSGSIZE;
	if (!err && (parts & COSI_REQ_PHASE) && r->has_expected_phase &&
	    nla_put_u32(m, COSI_A_RESOURCE_EXPECTED_PHASE, r->expected_phase))
		err = -EMSGSIZE;
	if (!err && (parts & COSI_REQ_ACK_ONLY) && r->ack_only &&
	    nla_put_flag(m, COSI_A_RESOURCE_ACK_ONLY))
		err = -EMSGSIZE;
	return err;
}

int cosi_put_list_req(struct nl_msg *m, const struct cosi_list_req *q)
{
	int err = cosi_put_key(m, q->ns, q->type, NULL);

	if (!err)
		err = cosi_put_str(m, COSI_A_RESOURCE_ID_PREFIX, q->id_prefix);
	if (!err)
		err = cosi_put_queries(m, q->queries, q->n_queries);
	return err;
}

int cosi_put_watch_req(struct nl_msg *m, const struct cosi_watch_req *w)
{
	int err = cosi_put_key(m, w->ns, w->type, w->id);

	if (!err)
		err = cosi_put_queries(m, w->queries, w->n_queries);
	if (!err && w->bootstrap &&
	    nla_put_flag(m, COSI_A_RESOURCE_BOOTSTRAP))
		err = -EMSGSIZE;
	if (!err && w->has_since &&
	    nla_put_u64(m, COSI_A_RESOURCE_SINCE_REVISION, w->since_revision))
		err = -EMSGSIZE;
	return err;
}

static int cosi_put_schema_field(struct nl_msg *m,
				 const struct cosi_schema_field *f)
{
	struct nlattr *nest = nla_nest_start(m, COSI_A_DEFINITION_FIELD);

	if (!nest || cosi_put_str(m, COSI_A_SCHEMA_FIELD_NAME, f->name) ||
	    nla_put_u32(m, COSI_A_SCHEMA_FIELD_TYPE, f->type) ||
	    (f->required && nla_put_flag(m, COSI_A_SCHEMA_FIELD_REQUIRED)))
		return -EMSGSIZE;
	return cosi_nest_end(m, nest);
}

static int cosi_put_column(struct nl_msg *m, const struct cosi_column *c)
{
	struct nlattr *nest = nla_nest_start(m, COSI_A_DEFINITION_PRINT_COLUMN);

	if (!nest || cosi_put_str(m, COSI_A_PRINT_COLUMN_NAME, c->name) ||
	    cosi_put_str(m, COSI_A_PRINT_COLUMN_FIELD, c->field))
		return -EMSGSIZE;
	return cosi_nest_end(m, nest);
}

int cosi_put_definition(struct nl_msg *m, const struct cosi_definition *d)
{
	size_t i;

	if (cosi_put_str(m, COSI_A_DEFINITION_TYPE, d->type) ||
	    cosi_put_str(m, COSI_A_DEFINITION_DEFAULT_NAMESPACE,
			 d->default_ns) ||
	    nla_put_u32(m, COSI_A_DEFINITION_SENSITIVITY, d->sensitivity) ||
	    (d->write_access &&
	     nla_put_u32(m, COSI_A_DEFINITION_WRITE_ACCESS, d->write_access)))
		return -EMSGSIZE;
	for (i = 0; i < d->aliases.n; i++)
		if (cosi_put_str(m, COSI_A_DEFINITION_ALIAS, d->aliases.v[i]))
			return -EMSGSIZE;
	for (i = 0; i < d->n_fields; i++)
		if (cosi_put_schema_field(m, &d->fields[i]))
			return -EMSGSIZE;
	for (i = 0; i < d->n_columns; i++)
		if (cosi_put_column(m, &d->columns[i]))
			return -EMSGSIZE;
	return 0;
}

/* Parsing messages: validated against these policies by libnl. */

static const struct nla_policy cosi_res_policy[COSI_A_RESOURCE_MAX + 1] = {
	[COSI_A_RESOURCE_NAMESPACE]	= { .type = NLA_STRING },
	[COSI_A_RESOURCE_TYPE]		= { .type = NLA_STRING },
	[COSI_A_RESOURCE_ID]		= { .type = NLA_STRING },
	[COSI_A_RESOURCE_VERSION]	= { .type = NLA_U64 },
	[COSI_A_RESOURCE_OWNER]		= { .type = NLA_STRING },
	[COSI_A_RESOURCE_PHASE]		= { .type = NLA_U32 },
	[COSI_A_RESOURCE_LABELS]	= { .type = NLA_NESTED },
	[COSI_A_RESOURCE_ANNOTATIONS]	= { .type = NLA_NESTED },
	[COSI_A_RESOURCE_FINALIZERS]	= { .type = NLA_NESTED },
	[COSI_A_RESOURCE_CREATED]	= { .type = NLA_U64 },
	[COSI_A_RESOURCE_UPDATED]	= { .type = NLA_U64 },
	[COSI_A_RESOURCE_SPEC]		= { .type = NLA_NESTED },
	[COSI_A_RESOURCE_REVISION]	= { .type = NLA_U64 },
	[COSI_A_RESOURCE_DESTROY_READY]	= { .type = NLA_U8 },
	[COSI_A_RESOURCE_WATCH_ID]	= { .type = NLA_U32 },
	[COSI_A_RESOURCE_EVENT]		= { .type = NLA_U32 },
	[COSI_A_RESOURCE_OLD_LABELS]	= { .type = NLA_NESTED },
	[COSI_A_RESOURCE_WRITER_CAPS]	= { .type = NLA_U32 },
};

static const struct nla_policy cosi_label_policy[COSI_A_LABEL_MAX + 1] = {
	[COSI_A_LABEL_KEY]	= { .type = NLA_STRING },
	[COSI_A_LABEL_VALUE]	= { .type = NLA_STRING },
};

/* Lists of strings (finalizers, string-list items) share attribute 1. */
static const struct nla_policy cosi_item_policy[2] = {
	[1]	= { .type = NLA_STRING },
};

static const struct nla_policy
cosi_field_policy[COSI_A_SPEC_FIELD_MAX + 1] = {
	[COSI_A_SPEC_FIELD_NAME]	= { .type = NLA_STRING },
	[COSI_A_SPEC_FIELD_STRING]	= { .type = NLA_STRING },
	[COSI_A_SPEC_FIELD_U64]		= { .type = NLA_U64 },
	[COSI_A_SPEC_FIELD_S64]		= { .type = NLA_S64 },
	[COSI_A_SPEC_FIELD_BOOL]	= { .type = NLA_U8 },
	[COSI_A_SPEC_FIELD_BYTES]	= { .type = NLA_BINARY },
	[COSI_A_SPEC_FIELD_STRINGS]	= { .type = NLA_NESTED },
};

static const struct nla_policy
cosi_def_policy[COSI_A_DEFINITION_MAX + 1] = {
	[COSI_A_DEFINITION_TYPE]		= { .type = NLA_STRING },
	[COSI_A_DEFINITION_ALIAS]		= { .type = NLA_STRING },
	[COSI_A_DEFINITION_DEFAULT_NAMESPACE]	= { .type = NLA_STRING },
	[COSI_A_DEFINITION_SENSITIVITY]		= { .type = NLA_U32 },
	[COSI_A_DEFINITION_FIELD]		= { .type = NLA_NESTED },
	[COSI_A_DEFINITION_PRINT_COLUMN]	= { .type = NLA_NESTED },
	[COSI_A_DEFINITION_REVISION]		= { .type = NLA_U64 },
	[COSI_A_DEFINITION_RESOURCES]		= { .type = NLA_U32 },
	[COSI_A_DEFINITION_WRITE_ACCESS]	= { .type = NLA_U32 },
};

static const struct nla_policy
cosi_schema_policy[COSI_A_SCHEMA_FIELD_MAX + 1] = {
	[COSI_A_SCHEMA_FIELD_NAME]	= { .type = NLA_STRING },
	[COSI_A_SCHEMA_FIELD_TYPE]	= { .type = NLA_U32 },
	[COSI_A_SCHEMA_FIELD_REQUIRED]	= { .type = NLA_FLAG },
};

static const struct nla_policy
cosi_column_policy[COSI_A_PRINT_COLUMN_MAX + 1] = {
	[COSI_A_PRINT_COLUMN_NAME]	= { .type = NLA_STRING },
	[COSI_A_PRINT_COLUMN_FIELD]	= { .type = NLA_STRING },
};

static char *cosi_attr_strdup(struct nlattr *a)
{
	return strdup(a ? nla_get_string(a) : "");
}

static uint64_t cosi_attr_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static int cosi_kvs_parse(struct nlattr *nest, struct cosi_kvs *out)
{
	struct nlattr *tb[COSI_A_LABEL_MAX + 1], *pos;
	int rem, err;

	if (!nest)
		return 0;
	nla_for_each_nested(pos, nest, rem) {
		if (nla_type(pos) != COSI_A_LABELS_LABEL)
			continue;
		if (nla_parse_nested(tb, COSI_A_LABEL_MAX, pos,
				     cosi_label_policy) ||
		    !tb[COSI_A_LABEL_KEY])
			return -EPROTO;
		err = cosi_kvs_add(out, nla_get_string(tb[COSI_A_LABEL_KEY]),
				   tb[COSI_A_LABEL_VALUE] ?
				   nla_get_string(tb[COSI_A_LABEL_VALUE]) : "");
		if (err)
			return err;
	}
	return 0;
}

/* A nest of strings, each of attribute type 1. */
static int cosi_strs_parse(struct nlattr *nest, struct cosi_strs *out)
{
	struct nlattr *pos;
	int rem, err;

	if (!nest)
		return 0;
	if (nla_validate(nla_data(nest), nla_len(nest), 1, cosi_item_policy))
		return -EPROTO;
	nla_for_each_nested(pos, nest, rem) {
		if (nla_type(pos) != 1)
			continue;
		err = cosi_strs_add(out, nla_get_string(pos));
		if (err)
			return err;
	}
	return 0;
}

/* The value attribute of each field type. */
static const int cosi_value_attr[] = {
	[COSI_FIELD_TYPE_STRING]	= COSI_A_SPEC_FIELD_STRING,
	[COSI_FIELD_TYPE_U64]		= COSI_A_SPEC_FIELD_U64,
	[COSI_FIELD_TYPE_S64]		= COSI_A_SPEC_FIELD_S64,
	[COSI_FIELD_TYPE_BOOL]		= COSI_A_SPEC_FIELD_BOOL,
	[COSI_FIELD_TYPE_BYTES]		= COSI_A_SPEC_FIELD_BYTES,
	[COSI_FIELD_TYPE_STRING_LIST]	= COSI_A_SPEC_FIELD_STRINGS,
};

/* The value of a field: the first value attribute present, if any. */
static int cosi_value_parse(struct nlattr **tb, struct cosi_field *f)
{
	struct nlattr *a = NULL;
	uint32_t t;

	for (t = COSI_FIELD_TYPE_STRING; t <= COSI_FIELD_TYPE_STRING_LIST; t++) {
		a = tb[cosi_value_attr[t]];
		if (a)
			break;
	}
	if (!a)
		return 0;
	f->type = t;
	switch (t) {
	case COSI_FIELD_TYPE_STRING:
		f->str = strdup(nla_get_string(a));
		return f->str ? 0 : -ENOMEM;
	case COSI_FIELD_TYPE_U64:
		f->u64 = nla_get_u64(a);
		break;
	case COSI_FIELD_TYPE_S64:
		f->s64 = nla_get_s64(a);
		break;
	case COSI_FIELD_TYPE_BOOL:
		f->b = nla_get_u8(a) != 0;
		break;
	case COSI_FIELD_TYPE_BYTES:
		return cosi_bytes_set(&f->bytes, nla_data(a), nla_len(a));
	case COSI_FIELD_TYPE_STRING_LIST:
		return cosi_strs_parse(a, &f->strs);
	}
	return 0;
}

static int cosi_spec_parse(struct nlattr *nest, struct cosi_spec *out)
{
	struct nlattr *tb[COSI_A_SPEC_FIELD_MAX + 1], *pos;
	struct cosi_field f;
	int rem, err;

	if (!nest)
		return 0;
	nla_for_each_nested(pos, nest, rem) {
		if (nla_type(pos) != COSI_A_SPEC_FIELD)
			continue;
		if (nla_parse_nested(tb, COSI_A_SPEC_FIELD_MAX, pos,
				     cosi_field_policy) ||
		    !tb[COSI_A_SPEC_FIELD_NAME])
			return -EPROTO;
		if (cosi_field_init(&f, nla_get_string(tb[COSI_A_SPEC_FIELD_NAME]),
				    0))
			return -ENOMEM;
		err = cosi_value_parse(tb, &f);
		if (err) {
			cosi_field_clear(&f);
			return err;
		}
		err = cosi_spec_push(out, &f);
		if (err)
			return err;
	}
	return 0;
}

static int cosi_resource_attrs(struct nlattr **tb, struct cosi_resource *r)
{
	int err;

	r->ns = cosi_attr_strdup(tb[COSI_A_RESOURCE_NAMESPACE]);
	r->type = cosi_attr_strdup(tb[COSI_A_RESOURCE_TYPE]);
	r->id = cosi_attr_strdup(tb[COSI_A_RESOURCE_ID]);
	r->owner = cosi_attr_strdup(tb[COSI_A_RESOURCE_OWNER]);
	if (!r->ns || !r->type || !r->id || !r->owner)
		return -ENOMEM;
	r->version = cosi_attr_u64(tb[COSI_A_RESOURCE_VERSION]);
	r->created = cosi_attr_u64(tb[COSI_A_RESOURCE_CREATED]);
	r->updated = cosi_attr_u64(tb[COSI_A_RESOURCE_UPDATED]);
	r->revision = cosi_attr_u64(tb[COSI_A_RESOURCE_REVISION]);
	if (tb[COSI_A_RESOURCE_PHASE])
		r->phase = nla_get_u32(tb[COSI_A_RESOURCE_PHASE]);
	if (tb[COSI_A_RESOURCE_DESTROY_READY])
		r->destroy_ready = nla_get_u8(tb[COSI_A_RESOURCE_DESTROY_READY]);
	r->has_writer_caps = tb[COSI_A_RESOURCE_WRITER_CAPS] != NULL;
	if (r->has_writer_caps)
		r->writer_caps = nla_get_u32(tb[COSI_A_RESOURCE_WRITER_CAPS]);
	r->has_spec = tb[COSI_A_RESOURCE_SPEC] != NULL;
	err = cosi_kvs_parse(tb[COSI_A_RESOURCE_LABELS], &r->labels);
	if (!err)
		err = cosi_kvs_parse(tb[COSI_A_RESOURCE_ANNOTATIONS],
				     &r->annotations);
	if (!err)
		err = cosi_strs_parse(tb[COSI_A_RESOURCE_FINALIZERS],
				      &r->finalizers);
	if (!err)
		err = cosi_spec_parse(tb[COSI_A_RESOURCE_SPEC], &r->spec);
	return err;
}

static int cosi_res_tb(struct nl_msg *msg, struct nlattr **tb)
{
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, COSI_A_RESOURCE_MAX,
			  cosi_res_policy))
		return -EPROTO;
	return 0;
}

int cosi_resource_parse(struct nl_msg *msg, struct cosi_resource **out)
{
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];
	struct cosi_resource *r;
	int err;

	*out = NULL;
	if (cosi_res_tb(msg, tb))
		return -EPROTO;
	r = cosi_resource_new();
	if (!r)
		return -ENOMEM;
	err = cosi_resource_attrs(tb, r);
	if (err) {
		cosi_resource_free(r);
		return err;
	}
	*out = r;
	return 0;
}

int cosi_event_parse(struct nl_msg *msg, struct cosi_event **out)
{
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];
	struct cosi_event *ev;
	int err;

	*out = NULL;
	if (cosi_res_tb(msg, tb))
		return -EPROTO;
	ev = calloc(1, sizeof(*ev));
	if (ev)
		ev->res = cosi_resource_new();
	if (!ev || !ev->res) {
		free(ev);
		return -ENOMEM;
	}
	if (tb[COSI_A_RESOURCE_WATCH_ID])
		ev->watch_id = nla_get_u32(tb[COSI_A_RESOURCE_WATCH_ID]);
	if (tb[COSI_A_RESOURCE_EVENT])
		ev->kind = nla_get_u32(tb[COSI_A_RESOURCE_EVENT]);
	ev->has_old_labels = tb[COSI_A_RESOURCE_OLD_LABELS] != NULL;
	err = cosi_resource_attrs(tb, ev->res);
	if (!err)
		err = cosi_kvs_parse(tb[COSI_A_RESOURCE_OLD_LABELS],
				     &ev->old_labels);
	if (err) {
		cosi_event_free(ev);
		return err;
	}
	ev->revision = ev->res->revision;
	*out = ev;
	return 0;
}

static int cosi_schema_field_parse(struct nlattr *nest,
				   struct cosi_definition *d)
{
	struct nlattr *tb[COSI_A_SCHEMA_FIELD_MAX + 1];

	if (nla_parse_nested(tb, COSI_A_SCHEMA_FIELD_MAX, nest,
			     cosi_schema_policy) ||
	    !tb[COSI_A_SCHEMA_FIELD_NAME] || !tb[COSI_A_SCHEMA_FIELD_TYPE])
		return -EPROTO;
	return cosi_def_add_field(d, nla_get_string(tb[COSI_A_SCHEMA_FIELD_NAME]),
				  nla_get_u32(tb[COSI_A_SCHEMA_FIELD_TYPE]),
				  nla_get_flag(tb[COSI_A_SCHEMA_FIELD_REQUIRED]));
}

static int cosi_column_parse(struct nlattr *nest, struct cosi_definition *d)
{
	struct nlattr *tb[COSI_A_PRINT_COLUMN_MAX + 1];

	if (nla_parse_nested(tb, COSI_A_PRINT_COLUMN_MAX, nest,
			     cosi_column_policy) ||
	    !tb[COSI_A_PRINT_COLUMN_NAME] || !tb[COSI_A_PRINT_COLUMN_FIELD])
		return -EPROTO;
	return cosi_def_add_column(d, nla_get_string(tb[COSI_A_PRINT_COLUMN_NAME]),
				   nla_get_string(tb[COSI_A_PRINT_COLUMN_FIELD]));
}

/* The multi-attributes of a definition: aliases, fields, columns. */
static int cosi_definition_lists(struct nlmsghdr *nlh,
				 struct cosi_definition *d)
{
	struct genlmsghdr *gh = genlmsg_hdr(nlh);
	struct nlattr *pos;
	int rem, err = 0;

	nla_for_each_attr(pos, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0),
			  rem) {
		switch (nla_type(pos)) {
		case COSI_A_DEFINITION_ALIAS:
			err = cosi_strs_add(&d->aliases, nla_get_string(pos));
			break;
		case COSI_A_DEFINITION_FIELD:
			err = cosi_schema_field_parse(pos, d);
			break;
		case COSI_A_DEFINITION_PRINT_COLUMN:
			err = cosi_column_parse(pos, d);
			break;
		}
		if (err)
			return err;
	}
	return 0;
}

int cosi_definition_parse(struct nl_msg *msg, struct cosi_definition **out)
{
	struct nlattr *tb[COSI_A_DEFINITION_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct cosi_definition *d;
	int err;

	*out = NULL;
	if (genlmsg_parse(nlh, 0, tb, COSI_A_DEFINITION_MAX, cosi_def_policy))
		return -EPROTO;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->type = cosi_attr_strdup(tb[COSI_A_DEFINITION_TYPE]);
	d->default_ns = cosi_attr_strdup(tb[COSI_A_DEFINITION_DEFAULT_NAMESPACE]);
	if (tb[COSI_A_DEFINITION_SENSITIVITY])
		d->sensitivity = nla_get_u32(tb[COSI_A_DEFINITION_SENSITIVITY]);
	if (tb[COSI_A_DEFINITION_WRITE_ACCESS])
		d->write_access = nla_get_u32(tb[COSI_A_DEFINITION_WRITE_ACCESS]);
	d->revision = cosi_attr_u64(tb[COSI_A_DEFINITION_REVISION]);
	if (tb[COSI_A_DEFINITION_RESOURCES])
		d->resources = nla_get_u32(tb[COSI_A_DEFINITION_RESOURCES]);
	err = d->type && d->default_ns ? cosi_definition_lists(nlh, d) : -ENOMEM;
	if (err) {
		cosi_definition_free(d);
		return err;
	}
	*out = d;
	return 0;
}
