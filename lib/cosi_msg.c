// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libcosi: building and parsing cosi messages (resources, specs, labels,
 * label queries, definitions, events) with libnl's attribute API, and the
 * small containers they are made of.
 */
#include <errno.h>
#include <pthread.h>
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
	if (!err && (parts & COSI_REQ_QUIET) && r->quiet &&
	    nla_put_flag(m, COSI_A_RESOURCE_QUIET))
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

/* A policy-checked U64 (or S64) attribute's value, 0 for none. */
static uint64_t cosi_attr_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a)
		memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
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

/* The minimum payload of each policy type (as libnl's, and NLA_S64). */
static int cosi_attr_minlen(const struct nla_policy *pt)
{
	if (pt->minlen)
		return pt->minlen;
	switch (pt->type) {
	case NLA_U8:		return 1;
	case NLA_U16:		return 2;
	case NLA_U32:		return 4;
	case NLA_U64:
	case NLA_S64:		return 8;
	case NLA_STRING:	return 1;
	default:		return 0;
	}
}

/**
 * cosi_attrs_parse() - index a stream of attributes, checked by a policy
 * @tb: set to the last attribute of each type (maxtype + 1 entries)
 * @maxtype: the largest type indexed; larger ones are skipped
 * @head: the first attribute
 * @len: bytes of attributes
 * @policy: checked for each attribute indexed (NULL: none)
 *
 * What libnl's nla_parse() does, inline: the attributes of a resource are
 * many and small, and libnl calls a function for each step of each
 * (nla_ok, nla_type, nla_len, ...).  A policy entry's type bounds the
 * length (minlen, maxlen) and NLA_STRING needs a NUL at the end, so that
 * strings can be used where they are.  A truncated attribute ends the
 * stream, as in libnl.
 *
 * Return: 0, or -EPROTO when an attribute breaks its policy.
 */
int cosi_attrs_parse(struct nlattr **tb, int maxtype, const struct nlattr *head,
		     int len, const struct nla_policy *policy)
{
	const struct nla_policy *pt;
	int type, alen;

	memset(tb, 0, sizeof(*tb) * (maxtype + 1));
	while (len >= NLA_HDRLEN) {
		alen = head->nla_len;
		if (alen < NLA_HDRLEN || alen > len)
			break;
		type = head->nla_type & NLA_TYPE_MASK;
		if (type <= maxtype) {
			if (policy) {
				pt = &policy[type];
				if (alen - NLA_HDRLEN < cosi_attr_minlen(pt) ||
				    (pt->maxlen && alen - NLA_HDRLEN > pt->maxlen) ||
				    (pt->type == NLA_STRING &&
				     ((const char *)head)[alen - 1] != '\0'))
					return -EPROTO;
			}
			tb[type] = (struct nlattr *)head;
		}
		len -= NLA_ALIGN(alen);
		head = (const struct nlattr *)((const char *)head +
					       NLA_ALIGN(alen));
	}
	return 0;
}

/* The attributes of a generic netlink message (no family header). */
static int cosi_genl_parse(const struct nlmsghdr *nlh, struct nlattr **tb,
			   int maxtype, const struct nla_policy *policy)
{
	const int hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nlh->nlmsg_len < (uint32_t)hdr)
		return -EPROTO;
	return cosi_attrs_parse(tb, maxtype,
				(const struct nlattr *)((const char *)nlh + hdr),
				(int)nlh->nlmsg_len - hdr, policy);
}

static int cosi_res_tb(const struct nlmsghdr *nlh, struct nlattr **tb)
{
	return cosi_genl_parse(nlh, tb, COSI_A_RESOURCE_MAX, cosi_res_policy);
}

int cosi_resource_parse(struct nl_msg *msg, struct cosi_resource **out)
{
	return cosi_resource_parse_nlh(nlmsg_hdr(msg), out);
}

int cosi_resource_parse_nlh(const struct nlmsghdr *nlh,
			    struct cosi_resource **out)
{
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];
	struct cosi_resource *r;
	int err;

	*out = NULL;
	if (cosi_res_tb(nlh, tb))
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
	return cosi_event_parse_nlh(nlmsg_hdr(msg), out);
}

int cosi_event_parse_nlh(const struct nlmsghdr *nlh, struct cosi_event **out)
{
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];
	struct cosi_event *ev;
	int err;

	*out = NULL;
	if (cosi_res_tb(nlh, tb))
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
	return cosi_definition_parse_nlh(nlmsg_hdr(msg), out);
}

int cosi_definition_parse_nlh(const struct nlmsghdr *cnlh,
			      struct cosi_definition **out)
{
	struct nlattr *tb[COSI_A_DEFINITION_MAX + 1];
	struct nlmsghdr *nlh = (struct nlmsghdr *)cnlh;
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

/* The version and revision of a write's answer (ack-only or not). */
int cosi_write_answer_parse(const struct nlmsghdr *nlh, uint64_t *version,
			    uint64_t *revision)
{
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];

	if (cosi_res_tb(nlh, tb))
		return -EPROTO;
	*version = cosi_attr_u64(tb[COSI_A_RESOURCE_VERSION]);
	*revision = cosi_attr_u64(tb[COSI_A_RESOURCE_REVISION]);
	return 0;
}

/*
 * Arenas: a list result's resources, their arrays and a copy of each
 * reply message, in a few large blocks freed at once.  Strings and bytes
 * point into the message copies.
 */

/* Blocks hold this much, more for a larger request of one allocation. */
#define COSI_ARENA_BLOCK	(256 * 1024)
/* Free blocks a pool keeps for the next list, at most. */
#define COSI_POOL_MAX		(8 * 1024 * 1024)

struct cosi_block {
	struct cosi_block *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

/*
 * Blocks of freed lists, for the next lists of the same handle: a list
 * of thousands of resources takes megabytes, and fresh memory costs a
 * page fault and a cleared page per 4 KiB (more than parsing them).  The
 * handle and each list using the pool hold a reference; lists may be
 * freed in any thread, after the handle is closed too.
 */
struct cosi_pool {
	pthread_mutex_t lock;
	unsigned int refs;
	size_t bytes;
	struct cosi_block *free;
};

struct cosi_pool *cosi_pool_new(void)
{
	struct cosi_pool *p = calloc(1, sizeof(*p));

	if (p && pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return NULL;
	}
	if (p)
		p->refs = 1;
	return p;
}

static struct cosi_pool *cosi_pool_get(struct cosi_pool *p)
{
	if (p) {
		pthread_mutex_lock(&p->lock);
		p->refs++;
		pthread_mutex_unlock(&p->lock);
	}
	return p;
}

/* Drop a reference; the last frees the pool and its blocks. */
void cosi_pool_put(struct cosi_pool *p)
{
	struct cosi_block *b, *next;
	unsigned int refs;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	refs = --p->refs;
	pthread_mutex_unlock(&p->lock);
	if (refs)
		return;
	for (b = p->free; b; b = next) {
		next = b->next;
		free(b);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* A free standard block of the pool, or NULL. */
static struct cosi_block *cosi_pool_take(struct cosi_pool *p)
{
	struct cosi_block *b;

	if (!p)
		return NULL;
	pthread_mutex_lock(&p->lock);
	b = p->free;
	if (b) {
		p->free = b->next;
		p->bytes -= b->size;
	}
	pthread_mutex_unlock(&p->lock);
	return b;
}

/* Keep a standard block in the pool if there is room; else free it. */
static void cosi_pool_give(struct cosi_pool *p, struct cosi_block *b)
{
	if (p && b->size == COSI_ARENA_BLOCK) {
		pthread_mutex_lock(&p->lock);
		if (p->bytes + b->size <= COSI_POOL_MAX) {
			b->next = p->free;
			p->free = b;
			p->bytes += b->size;
			b = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	free(b);
}

/* An arena taking its blocks from @pool (NULL: from malloc only). */
void cosi_arena_init(struct cosi_arena *a, struct cosi_pool *pool)
{
	a->head = NULL;
	a->pool = cosi_pool_get(pool);
}

void *cosi_arena_alloc(struct cosi_arena *a, size_t len)
{
	struct cosi_block *b = a->head;
	size_t size;
	void *p;

	if (!len || len > SIZE_MAX / 2)
		return NULL;
	len = (len + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
	if (!b || b->size - b->used < len) {
		size = len > COSI_ARENA_BLOCK ? len : COSI_ARENA_BLOCK;
		b = size == COSI_ARENA_BLOCK ? cosi_pool_take(a->pool) : NULL;
		if (!b)
			b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		/* A big one-off goes behind the current block, if any. */
		if (a->head && len > COSI_ARENA_BLOCK) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += len;
	return p;
}

void cosi_arena_free(struct cosi_arena *a)
{
	struct cosi_block *b, *next;

	for (b = a->head; b; b = next) {
		next = b->next;
		cosi_pool_give(a->pool, b);
	}
	a->head = NULL;
	cosi_pool_put(a->pool);
	a->pool = NULL;
}

/* libnl's accessors, inline: they are calls, and a list makes millions. */
#define CNLA_DATA(a)	((void *)((char *)(a) + NLA_HDRLEN))
#define CNLA_LEN(a)	((int)(a)->nla_len - NLA_HDRLEN)
#define CNLA_TYPE(a)	((a)->nla_type & NLA_TYPE_MASK)

static uint32_t cosi_attr_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, CNLA_DATA(a), sizeof(v));
	return v;
}

static char cosi_empty[] = "";

static char *cosi_attr_str(const struct nlattr *a)
{
	return a ? CNLA_DATA(a) : cosi_empty;
}

/* The items of a nest (any type), for sizing arrays. */
static size_t cosi_nest_count(const struct nlattr *nest)
{
	const struct nlattr *pos;
	int rem = CNLA_LEN(nest);
	size_t n = 0;

	for (pos = CNLA_DATA(nest); rem >= NLA_HDRLEN &&
	     pos->nla_len >= NLA_HDRLEN && pos->nla_len <= rem;
	     rem -= NLA_ALIGN(pos->nla_len),
	     pos = (const struct nlattr *)((const char *)pos +
					   NLA_ALIGN(pos->nla_len)))
		n++;
	return n;
}

/* Walks a nest's items: for (COSI_NEST_EACH(pos, nest, rem)) ... */
#define COSI_NEST_EACH(pos, nest, rem)					\
	pos = CNLA_DATA(nest), rem = CNLA_LEN(nest);			\
	rem >= NLA_HDRLEN && pos->nla_len >= NLA_HDRLEN &&		\
	pos->nla_len <= rem;						\
	rem -= NLA_ALIGN(pos->nla_len),					\
	pos = (struct nlattr *)((char *)pos + NLA_ALIGN(pos->nla_len))

static int cosi_kvs_arena(struct cosi_arena *a, struct nlattr *nest,
			  struct cosi_kvs *out)
{
	struct nlattr *tb[COSI_A_LABEL_MAX + 1], *pos;
	size_t n;
	int rem;

	if (!nest || !(n = cosi_nest_count(nest)))
		return 0;
	out->v = cosi_arena_alloc(a, n * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (COSI_NEST_EACH(pos, nest, rem)) {
		if (CNLA_TYPE(pos) != COSI_A_LABELS_LABEL)
			continue;
		if (cosi_attrs_parse(tb, COSI_A_LABEL_MAX, CNLA_DATA(pos),
				     CNLA_LEN(pos), cosi_label_policy) ||
		    !tb[COSI_A_LABEL_KEY])
			return -EPROTO;
		out->v[out->n].key = CNLA_DATA(tb[COSI_A_LABEL_KEY]);
		out->v[out->n].value = cosi_attr_str(tb[COSI_A_LABEL_VALUE]);
		out->n++;
	}
	return 0;
}

static int cosi_strs_arena(struct cosi_arena *a, struct nlattr *nest,
			   struct cosi_strs *out)
{
	struct nlattr *pos;
	size_t n;
	int rem;

	if (!nest || !(n = cosi_nest_count(nest)))
		return 0;
	if (nla_validate(CNLA_DATA(nest), CNLA_LEN(nest), 1, cosi_item_policy))
		return -EPROTO;
	out->v = cosi_arena_alloc(a, n * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (COSI_NEST_EACH(pos, nest, rem))
		if (CNLA_TYPE(pos) == 1)
			out->v[out->n++] = CNLA_DATA(pos);
	return 0;
}

static int cosi_spec_arena(struct cosi_arena *a, struct nlattr *nest,
			   struct cosi_spec *out)
{
	struct nlattr *tb[COSI_A_SPEC_FIELD_MAX + 1], *pos, *v;
	struct cosi_field *f;
	uint32_t t;
	size_t n;
	int rem, err;

	if (!nest || !(n = cosi_nest_count(nest)))
		return 0;
	out->v = cosi_arena_alloc(a, n * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (COSI_NEST_EACH(pos, nest, rem)) {
		if (CNLA_TYPE(pos) != COSI_A_SPEC_FIELD)
			continue;
		if (cosi_attrs_parse(tb, COSI_A_SPEC_FIELD_MAX, CNLA_DATA(pos),
				     CNLA_LEN(pos), cosi_field_policy) ||
		    !tb[COSI_A_SPEC_FIELD_NAME])
			return -EPROTO;
		f = &out->v[out->n++];
		memset(f, 0, sizeof(*f));
		f->name = CNLA_DATA(tb[COSI_A_SPEC_FIELD_NAME]);
		/* The first value attribute present, as cosi_value_parse(). */
		for (t = COSI_FIELD_TYPE_STRING, v = NULL;
		     !v && t <= COSI_FIELD_TYPE_STRING_LIST; t++)
			v = tb[cosi_value_attr[t]];
		if (!v)
			continue;
		f->type = --t;
		switch (t) {
		case COSI_FIELD_TYPE_STRING:
			f->str = CNLA_DATA(v);
			break;
		case COSI_FIELD_TYPE_U64:
			f->u64 = cosi_attr_u64(v);
			break;
		case COSI_FIELD_TYPE_S64:
			f->s64 = (int64_t)cosi_attr_u64(v);
			break;
		case COSI_FIELD_TYPE_BOOL:
			f->b = *(const uint8_t *)CNLA_DATA(v) != 0;
			break;
		case COSI_FIELD_TYPE_BYTES:
			/* Never NULL, as cosi_bytes_set()'s. */
			f->bytes.data = CNLA_LEN(v) ? CNLA_DATA(v) : cosi_empty;
			f->bytes.len = CNLA_LEN(v);
			break;
		case COSI_FIELD_TYPE_STRING_LIST:
			err = cosi_strs_arena(a, v, &f->strs);
			if (err)
				return err;
			break;
		}
	}
	return 0;
}

/**
 * cosi_resource_parse_arena() - a resource message into an arena
 * @a: the arena: the resource, its arrays and a copy of the message
 * @nlh: the message
 * @out: set to the resource (read-only: its memory is the arena's)
 *
 * As cosi_resource_parse(), without an allocation per string: strings
 * and bytes point into the arena's copy of @nlh.
 *
 * Return: 0, -EPROTO or -ENOMEM (what was allocated stays in @a).
 */
int cosi_resource_parse_arena(struct cosi_arena *a, const struct nlmsghdr *nlh,
			      struct cosi_resource **out)
{
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];
	struct cosi_resource *r;
	struct nlmsghdr *copy;
	int err;

	*out = NULL;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EPROTO;
	r = cosi_arena_alloc(a, sizeof(*r));
	copy = cosi_arena_alloc(a, nlh->nlmsg_len);
	if (!r || !copy)
		return -ENOMEM;
	memcpy(copy, nlh, nlh->nlmsg_len);
	if (cosi_res_tb(copy, tb))
		return -EPROTO;
	memset(r, 0, sizeof(*r));
	r->ns = cosi_attr_str(tb[COSI_A_RESOURCE_NAMESPACE]);
	r->type = cosi_attr_str(tb[COSI_A_RESOURCE_TYPE]);
	r->id = cosi_attr_str(tb[COSI_A_RESOURCE_ID]);
	r->owner = cosi_attr_str(tb[COSI_A_RESOURCE_OWNER]);
	r->version = cosi_attr_u64(tb[COSI_A_RESOURCE_VERSION]);
	r->created = cosi_attr_u64(tb[COSI_A_RESOURCE_CREATED]);
	r->updated = cosi_attr_u64(tb[COSI_A_RESOURCE_UPDATED]);
	r->revision = cosi_attr_u64(tb[COSI_A_RESOURCE_REVISION]);
	if (tb[COSI_A_RESOURCE_PHASE])
		r->phase = cosi_attr_u32(tb[COSI_A_RESOURCE_PHASE]);
	r->destroy_ready = tb[COSI_A_RESOURCE_DESTROY_READY] ?
			   *(const uint8_t *)CNLA_DATA(tb[COSI_A_RESOURCE_DESTROY_READY]) : -1;
	r->has_writer_caps = tb[COSI_A_RESOURCE_WRITER_CAPS] != NULL;
	if (r->has_writer_caps)
		r->writer_caps = cosi_attr_u32(tb[COSI_A_RESOURCE_WRITER_CAPS]);
	r->has_spec = tb[COSI_A_RESOURCE_SPEC] != NULL;
	err = cosi_kvs_arena(a, tb[COSI_A_RESOURCE_LABELS], &r->labels);
	if (!err)
		err = cosi_kvs_arena(a, tb[COSI_A_RESOURCE_ANNOTATIONS],
				     &r->annotations);
	if (!err)
		err = cosi_strs_arena(a, tb[COSI_A_RESOURCE_FINALIZERS],
				      &r->finalizers);
	if (!err)
		err = cosi_spec_arena(a, tb[COSI_A_RESOURCE_SPEC], &r->spec);
	if (!err)
		*out = r;
	return err;
}
