// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd v3 gateway's JSON: request bodies built with json-c, replies
 * decoded into struct etcd_reply, watch stream messages into struct
 * etcd_watch_msg (all that parses what a server sends: fuzz_etcd).  The gateway prints int64 fields as
 * strings ("revision": "5") and leaves out zero values and defaults
 * (false, 0, a PUT event type), so every member is optional here.
 * Base64 is OpenSSL's (EVP_EncodeBlock/EVP_DecodeBlock).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/etcd_internal.h"

json_object *etcd_b64(const void *s, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1;
	unsigned char *out;
	json_object *j;

	/* EVP_EncodeBlock takes an int length. */
	if (len > ETCD_REQUEST_MAX)
		return NULL;
	out = malloc(n);
	if (!out)
		return NULL;
	n = EVP_EncodeBlock(out, s, len);
	j = json_object_new_string_len((char *)out, n);
	free(out);
	return j;
}

/*
 * Strict base64 as etcd's gateway prints it: a multiple of 4 characters
 * of the alphabet, "=" only as the last one or two.  EVP_DecodeBlock
 * alone lets through padding in the middle and counts it as zero bytes.
 */
int etcd_unb64_member(json_object *o, const char *name, char **out,
		      size_t *len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789+/";
	json_object *v;
	const char *in = "";
	size_t n = 0, pad = 0;
	int k;

	*out = NULL;
	*len = 0;
	if (json_object_object_get_ex(o, name, &v)) {
		if (!json_object_is_type(v, json_type_string))
			return -EPROTO;
		in = json_object_get_string(v);
		n = json_object_get_string_len(v);
	}
	if (n && in[n - 1] == '=')
		pad = n > 1 && in[n - 2] == '=' ? 2 : 1;
	/* strspn() also stops at a "\u0000" inside the string. */
	if (n % 4 || n > 2 * (size_t)ETCD_REPLY_MAX ||
	    strspn(in, alphabet) != n - pad)
		return -EPROTO;
	*out = malloc(n / 4 * 3 + 1);
	if (!*out)
		return -ENOMEM;
	k = n ? EVP_DecodeBlock((unsigned char *)*out,
				(const unsigned char *)in, n) : 0;
	if (k < 0 || (size_t)k < pad) {
		free(*out);
		*out = NULL;
		return -EPROTO;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	k -= pad;
	(*out)[k] = '\0';
	*len = k;
	return 0;
}

size_t etcd_json_weight(const char *p, size_t len)
{
	size_t w = 0;

	/* Braces and commas inside strings count too: an overestimate. */
	for (; len; p++, len--)
		w += *p == '{' ? ETCD_JSON_OBJECT : *p == ',';
	return w;
}

static int add(json_object *o, const char *name, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, name, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_b64(json_object *o, const char *name, const void *s,
		   size_t len)
{
	return add(o, name, etcd_b64(s, len));
}

/* Every key starting with @key ends before this one (etcd's prefix). */
static int add_prefix_end(json_object *o, const char *key)
{
	size_t n = strlen(key);
	char *end = strdup(key);
	int err;

	if (!end)
		return -ENOMEM;
	while (n && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (n) {
		end[n - 1]++;
		err = add_b64(o, "range_end", end, n);
	} else {
		err = add_b64(o, "range_end", "", 1);	/* "\0": all keys */
	}
	free(end);
	return err;
}

static int add_bool(json_object *o, const char *name, bool v)
{
	return v ? add(o, name, json_object_new_boolean(1)) : 0;
}

static int add_int(json_object *o, const char *name, int64_t v)
{
	return v ? add(o, name, json_object_new_int64(v)) : 0;
}

/* Bytes an op adds to the request, as etcd counts them (roughly). */
static size_t op_size(const struct etcd_op *op)
{
	return strlen(op->key) + (op->type == ETCD_OP_PUT ? op->value_len : 0);
}

/*
 * The key, and with @prefix its range end.  The empty prefix (all keys)
 * is key "\0" to range_end "\0", as clientv3 sends it: etcd refuses an
 * empty key.
 */
static int add_key(json_object *o, const char *key, bool prefix)
{
	int err = add_b64(o, "key", key, *key || !prefix ? strlen(key) : 1);

	return err ?: prefix ? add_prefix_end(o, key) : 0;
}

static int op_body(const struct etcd_op *op, json_object *o)
{
	int err;

	if (op->type == ETCD_OP_RANGE && op->prefix && op->from)
		err = add_b64(o, "key", op->from, op->from_len) ?:
		      add_prefix_end(o, op->key);
	else
		err = add_key(o, op->key,
			      op->prefix && op->type != ETCD_OP_PUT);

	switch (op->type) {
	case ETCD_OP_RANGE:
		err = err ?: add_int(o, "revision", op->revision);
		err = err ?: add_int(o, "limit", op->limit);
		err = err ?: add_bool(o, "keys_only", op->keys_only);
		err = err ?: add_bool(o, "count_only", op->count_only);
		break;
	case ETCD_OP_PUT:
		err = err ?: add_b64(o, "value", op->value ?: "",
				     op->value_len);
		err = err ?: add_int(o, "lease", op->lease);
		err = err ?: add_bool(o, "prev_kv", op->prev_kv);
		break;
	case ETCD_OP_DELETE:
		err = err ?: add_bool(o, "prev_kv", op->prev_kv);
		break;
	default:
		return -EINVAL;
	}
	return err;
}

static const char *const op_paths[] = {
	[ETCD_OP_RANGE] = "/v3/kv/range",
	[ETCD_OP_PUT] = "/v3/kv/put",
	[ETCD_OP_DELETE] = "/v3/kv/deleterange",
};

static const char *const op_members[] = {
	[ETCD_OP_RANGE] = "request_range",
	[ETCD_OP_PUT] = "request_put",
	[ETCD_OP_DELETE] = "request_delete_range",
};

static int op_check(const struct etcd_op *op, char *msg, size_t len)
{
	if ((unsigned int)op->type > ETCD_OP_DELETE || !op->key ||
	    (!*op->key && !op->prefix) || (op->value_len && !op->value)) {
		snprintf(msg, len, "invalid etcd operation");
		return -EINVAL;
	}
	return 0;
}

static int txn_ops(json_object *o, const char *name,
		   const struct etcd_op *ops, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;
	int err = add(o, name, a);

	for (i = 0; !err && i < n; i++) {
		json_object *req = json_object_new_object(), *w;

		w = json_object_new_object();
		if (!req || !w) {
			json_object_put(req);
			json_object_put(w);
			return -ENOMEM;
		}
		if (json_object_array_add(a, w)) {
			json_object_put(req);
			json_object_put(w);
			return -ENOMEM;
		}
		err = add(w, op_members[ops[i].type], req) ?:
		      op_body(&ops[i], req);
	}
	return err;
}

static const char *const cmp_targets[] = {
	[ETCD_CMP_VERSION] = "VERSION",
	[ETCD_CMP_CREATE] = "CREATE",
	[ETCD_CMP_MOD] = "MOD",
	[ETCD_CMP_LEASE] = "LEASE",
};

static const char *const cmp_fields[] = {
	[ETCD_CMP_VERSION] = "version",
	[ETCD_CMP_CREATE] = "create_revision",
	[ETCD_CMP_MOD] = "mod_revision",
	[ETCD_CMP_LEASE] = "lease",
};

static const char *const cmp_results[] = {
	[ETCD_CMP_EQUAL] = "EQUAL",
	[ETCD_CMP_GREATER] = "GREATER",
	[ETCD_CMP_LESS] = "LESS",
	[ETCD_CMP_NOT_EQUAL] = "NOT_EQUAL",
};

static int txn_body(const struct etcd_txn *t, json_object *o, char *msg,
		    size_t len)
{
	json_object *a;
	size_t i, size = 0;
	int err;

	if ((t->n_success && !t->success) || (t->n_failure && !t->failure) ||
	    (t->n_cmp && !t->cmp)) {
		snprintf(msg, len, "invalid etcd txn: operations without an array");
		return -EINVAL;
	}
	if (t->n_success > ETCD_TXN_OPS || t->n_failure > ETCD_TXN_OPS ||
	    t->n_cmp > ETCD_TXN_OPS) {
		snprintf(msg, len, "more than %d operations in an etcd txn (--max-txn-ops)",
			 ETCD_TXN_OPS);
		return -E2BIG;
	}
	for (i = 0; i < t->n_success + t->n_failure; i++) {
		const struct etcd_op *op = i < t->n_success ? &t->success[i] :
					   &t->failure[i - t->n_success];

		err = op_check(op, msg, len);
		if (err)
			return err;
		size += op_size(op);
	}
	for (i = 0; i < t->n_cmp; i++) {
		if (!t->cmp[i].key || !*t->cmp[i].key ||
		    (unsigned int)t->cmp[i].target > ETCD_CMP_LEASE ||
		    (unsigned int)t->cmp[i].result > ETCD_CMP_NOT_EQUAL) {
			snprintf(msg, len, "invalid etcd txn compare");
			return -EINVAL;
		}
		size += strlen(t->cmp[i].key);
	}
	if (size > ETCD_REQUEST_MAX) {
		snprintf(msg, len, "etcd txn of %zu bytes over the %d-byte limit (--max-request-bytes)",
			 size, ETCD_REQUEST_MAX);
		return -EMSGSIZE;
	}
	a = json_object_new_array();
	err = add(o, "compare", a);
	for (i = 0; !err && i < t->n_cmp; i++) {
		const struct etcd_cmp *c = &t->cmp[i];
		json_object *jc = json_object_new_object();

		if (!jc || json_object_array_add(a, jc)) {
			json_object_put(jc);
			return -ENOMEM;
		}
		err = add_b64(jc, "key", c->key, strlen(c->key)) ?:
		      add(jc, "target",
			  json_object_new_string(cmp_targets[c->target])) ?:
		      add(jc, "result",
			  json_object_new_string(cmp_results[c->result])) ?:
		      add(jc, cmp_fields[c->target],
			  json_object_new_int64(c->value));
	}
	return err ?: txn_ops(o, "success", t->success, t->n_success) ?:
	       txn_ops(o, "failure", t->failure, t->n_failure);
}

/* Hand the JSON of @o to @p as its body. */
static int set_body(json_object *o, struct etcd_post *p)
{
	size_t n;
	const char *s = json_object_to_json_string_length(o,
				JSON_C_TO_STRING_PLAIN, &n);

	p->body = s ? strndup(s, n) : NULL;
	p->body_len = n;
	return p->body ? 0 : -ENOMEM;
}

int etcd_msg_build(const struct etcd_request *r, struct etcd_post *p,
		   char *msg, size_t len)
{
	json_object *o = json_object_new_object();
	int err = 0;

	if (!o)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->type = r->type;
	switch (r->type) {
	case ETCD_REQ_KV:
		p->type = ETCD_POST_KV(r->op.type);
		err = op_check(&r->op, msg, len);
		if (!err && op_size(&r->op) > ETCD_REQUEST_MAX) {
			snprintf(msg, len, "etcd request of %zu bytes over the %d-byte limit (--max-request-bytes)",
				 op_size(&r->op), ETCD_REQUEST_MAX);
			err = -EMSGSIZE;
		}
		if (!err) {
			p->path = op_paths[r->op.type];
			err = op_body(&r->op, o);
		}
		break;
	case ETCD_REQ_TXN:
		p->path = "/v3/kv/txn";
		err = txn_body(&r->txn, o, msg, len);
		break;
	case ETCD_REQ_LEASE_GRANT:
		p->path = "/v3/lease/grant";
		err = add(o, "TTL", json_object_new_int64(r->ttl)) ?:
		      add_int(o, "ID", r->lease_id);
		break;
	case ETCD_REQ_LEASE_KEEPALIVE:
		p->path = "/v3/lease/keepalive";
		err = add(o, "ID", json_object_new_int64(r->lease_id));
		break;
	case ETCD_REQ_LEASE_REVOKE:
		p->path = "/v3/lease/revoke";
		err = add(o, "ID", json_object_new_int64(r->lease_id));
		break;
	case ETCD_REQ_LEASE_TTL:
		p->path = "/v3/lease/timetolive";
		err = add(o, "ID", json_object_new_int64(r->lease_id));
		break;
	default:
		snprintf(msg, len, "unknown etcd request type %d", r->type);
		err = -EINVAL;
	}
	if (err == -ENOMEM)
		snprintf(msg, len, "out of memory");
	err = err ?: set_body(o, p);
	json_object_put(o);
	return err;
}

int etcd_msg_auth(const char *user, const char *password,
		  struct etcd_post *p)
{
	json_object *o = json_object_new_object();
	json_object *pw;
	const char *s;
	size_t n;
	int err;

	memset(p, 0, sizeof(*p));
	p->type = ETCD_REQ_AUTH;
	p->path = "/v3/auth/authenticate";
	err = o ? add(o, "name", json_object_new_string(user)) ?:
		  add(o, "password", json_object_new_string(password)) ?:
		  set_body(o, p) : -ENOMEM;
	/*
	 * Wipe json-c's copies that are still reachable: the serialized
	 * text (serialized again into the same buffer, then wiped) and the
	 * string.  Smaller printbufs it outgrew were freed unwiped: the
	 * process is not dumpable (secret.h).
	 */
	if (o && json_object_object_get_ex(o, "password", &pw)) {
		s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
						      &n);
		if (s)
			explicit_bzero((char *)s, n);
		s = json_object_get_string(pw);
		explicit_bzero((char *)s, json_object_get_string_len(pw));
	}
	json_object_put(o);
	return err;
}

/* One create_request, for watcher @i (watch_id @i + 1), appended to @b. */
static int watch_create(const struct etcd_watch_opts *o, const char *key,
			int64_t start, size_t i, struct printbuf *b)
{
	json_object *w = json_object_new_object(), *c;
	const char *s;
	size_t n;
	int err;

	c = json_object_new_object();
	err = w ? add(w, "create_request", c) : -ENOMEM;
	err = err ?: add_key(c, key, o->prefix);
	err = err ?: add_int(c, "start_revision", start);
	err = err ?: add_bool(c, "prev_kv", o->prev_kv);
	err = err ?: add_bool(c, "progress_notify", o->progress_notify);
	err = err ?: add_int(c, "watch_id", (int64_t)i + 1);
	if (!err) {
		s = json_object_to_json_string_length(w, JSON_C_TO_STRING_PLAIN,
						      &n);
		err = s && printbuf_memappend(b, s, n) >= 0 ? 0 : -ENOMEM;
	}
	json_object_put(w);
	return err;
}

/*
 * The body: one create_request per watcher, back to back (the gateway
 * reads a stream of messages from the request body).
 */
int etcd_msg_watch(const struct etcd_watch_opts *o, struct etcd_post *p,
		   char *msg, size_t len)
{
	struct etcd_watch_key one = { o->key, o->start_revision };
	const struct etcd_watch_key *k = o->n_keys ? o->keys : &one;
	size_t i, n = o->n_keys ? o->n_keys : 1, total = 0;
	struct printbuf *b;
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->type = ETCD_REQ_WATCH;
	p->path = "/v3/watch";
	if (n > ETCD_WATCH_KEYS_MAX) {
		snprintf(msg, len, "%zu etcd watch keys in one stream, over %d",
			 n, ETCD_WATCH_KEYS_MAX);
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		if (!k[i].key || (!*k[i].key && !o->prefix)) {
			snprintf(msg, len, "invalid etcd watch key");
			return -EINVAL;
		}
		total += strlen(k[i].key);
	}
	if (total > ETCD_REQUEST_MAX) {
		snprintf(msg, len, "etcd watch key%s of %zu bytes over the %d-byte limit (--max-request-bytes)",
			 n > 1 ? "s" : "", total, ETCD_REQUEST_MAX);
		return -EMSGSIZE;
	}
	b = printbuf_new();
	for (i = 0; b && !err && i < n; i++)
		err = watch_create(o, k[i].key, k[i].start_revision, i, b);
	if (!err && b) {
		p->body = strndup(b->buf, b->bpos);
		p->body_len = b->bpos;
	}
	if (b)
		printbuf_free(b);
	if (!p->body) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* etcd's messages that say more than their gRPC code. */
static const struct {
	const char *text;
	int err;
} msg_errs[] = {
	{ "authentication failed", -EACCES },
	{ "invalid auth token", -EACCES },
	/* A token from before a user or role change (JWT tokens above all). */
	{ "revision of auth store is old", -EACCES },
	{ "auth: revision in header is old", -EACCES },
	{ "user name is empty", -EACCES },
	{ "permission denied", -EPERM },
	{ "request is too large", -EMSGSIZE },
	{ "too many operations in txn", -E2BIG },
	{ "lease not found", -ENOENT },
	/* Not -EAGAIN: the write may have been applied. */
	{ "request timed out", -ETIMEDOUT },
	{ "has been compacted", -ESTALE },
	/* OutOfRange too, but nothing to list again: a revision to come. */
	{ "is a future revision", -ERANGE },
	{ "no leader", -EAGAIN },
	{ "too many requests", -EAGAIN },
	/*
	 * A member's graceful stop ends its streams over TLS with Internal
	 * (13) and this, without TLS with Unavailable (14, "transport is
	 * closing"): the transport's end either way, not etcd's error.
	 */
	{ "closed the stream without sending trailers", -EAGAIN },
};

/* gRPC status codes (google.golang.org/grpc/codes). */
static int code_err(int64_t code)
{
	switch (code) {
	case 3: return -EINVAL;		/* InvalidArgument */
	case 4: return -ETIMEDOUT;	/* DeadlineExceeded */
	case 5: return -ENOENT;		/* NotFound */
	case 7: return -EPERM;		/* PermissionDenied */
	case 8: return -EAGAIN;		/* ResourceExhausted */
	case 11: return -ERANGE;	/* OutOfRange (compacted: its text) */
	case 14: return -EAGAIN;	/* Unavailable */
	case 16: return -EACCES;	/* Unauthenticated */
	default: return -EIO;
	}
}

int etcd_msg_error(json_object *j, char *msg, size_t len)
{
	json_object *m = NULL, *c = NULL;
	const char *text;
	int err;

	if (!json_object_object_get_ex(j, "message", &m))
		json_object_object_get_ex(j, "error", &m);
	/* Streaming calls (watch, keepalive) say "grpc_code". */
	if (!json_object_object_get_ex(j, "code", &c))
		json_object_object_get_ex(j, "grpc_code", &c);
	text = m && json_object_is_type(m, json_type_string) ?
	       json_object_get_string(m) : "malformed error reply";
	/* The caller prints it as the one line saying why. */
	snprintf(msg, len, "%s", text[0] ? text : "error without a message");
	etcd_msg_clean(msg);
	err = etcd_msg_text_err(text);
	return err ?: c ? code_err(json_object_get_int64(c)) : -EPROTO;
}

void etcd_msg_clean(char *msg)
{
	for (; *msg; msg++)
		if ((unsigned char)*msg < ' ' || *msg == 0x7f)
			*msg = '?';
}

bool etcd_msg_token_stale(const char *text)
{
	return strstr(text, "auth token") ||
	       strstr(text, "revision of auth store is old") ||
	       strstr(text, "auth: revision in header is old");
}

int etcd_msg_text_err(const char *text)
{
	size_t i;

	for (i = 0; i < sizeof(msg_errs) / sizeof(msg_errs[0]); i++)
		if (strstr(text, msg_errs[i].text))
			return msg_errs[i].err;
	return 0;
}

/*
 * The member a decode found malformed, for the caller's message (a
 * static string; per thread, as clients are): set by bad(), cleared
 * where a decode starts.
 */
static __thread const char *bad_member;

const char *etcd_msg_bad_member(void)
{
	return bad_member;
}

static int bad(const char *name)
{
	bad_member = name;
	return -EPROTO;
}

/*
 * The text of a number as the gateway sends int64 fields: a decimal
 * string (a JSON integer is taken too), digits with a '-' first only
 * where @neg; NULL if it is not one.
 */
static const char *num_text(json_object *v, bool neg)
{
	const char *s, *d;

	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strlen(s) != (size_t)json_object_get_string_len(v))
			return NULL;	/* a "\u0000" inside */
	} else if (json_object_is_type(v, json_type_int)) {
		s = json_object_get_string(v);	/* its decimal text */
	} else {
		return NULL;
	}
	d = s + (neg && *s == '-');
	return *d && strspn(d, "0123456789") == strlen(d) ? s : NULL;
}

/*
 * The int64 member @name of @o (absent: 0): num_text() within int64,
 * >= 0 unless @neg.  0, or -EPROTO naming it.
 */
static int get_int(json_object *o, const char *name, bool neg, int64_t *out)
{
	json_object *v;
	const char *s;
	char *end;
	long long x;

	*out = 0;
	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	s = num_text(v, neg);
	if (!s)
		return bad(name);
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end)
		return bad(name);
	*out = x;
	return 0;
}

/* The boolean member @name of @o (absent: false): a JSON boolean. */
static int get_bool(json_object *o, const char *name, bool *out)
{
	json_object *v;

	*out = false;
	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return bad(name);
	*out = json_object_get_boolean(v);
	return 0;
}

int etcd_msg_array(json_object *a, size_t max, size_t size, void **out,
		   size_t *n)
{
	if (!json_object_is_type(a, json_type_array))
		return -EPROTO;
	*n = json_object_array_length(a);
	if (*n > max)
		return -EMSGSIZE;
	*out = calloc(*n ?: 1, size);
	return *out ? 0 : -ENOMEM;
}

int etcd_msg_header(json_object *j, struct etcd_header *h)
{
	json_object *hj, *v;

	memset(h, 0, sizeof(*h));
	if (!json_object_object_get_ex(j, "header", &hj) ||
	    !json_object_is_type(hj, json_type_object))
		return -EPROTO;
	if (json_object_object_get_ex(hj, "cluster_id", &v)) {
		const char *s = num_text(v, false);
		char *end;

		if (!s)
			return bad("cluster_id");
		errno = 0;
		h->cluster_id = strtoull(s, &end, 10);
		if (errno || *end)
			return bad("cluster_id");
	}
	return get_int(hj, "revision", false, &h->revision);
}

void etcd_kv_free(struct etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

int etcd_msg_kv(json_object *j, struct etcd_kv *kv)
{
	int err;

	memset(kv, 0, sizeof(*kv));
	/* Every kv etcd sends has a key; "{}" is not one. */
	if (!json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "key", NULL))
		return -EPROTO;
	err = etcd_unb64_member(j, "key", &kv->key, &kv->key_len) ?:
	      etcd_unb64_member(j, "value", &kv->value, &kv->value_len);
	if (err) {
		etcd_kv_free(kv);
		return err;
	}
	err = get_int(j, "create_revision", false, &kv->create_revision) ?:
	      get_int(j, "mod_revision", false, &kv->mod_revision) ?:
	      get_int(j, "version", false, &kv->version) ?:
	      get_int(j, "lease", false, &kv->lease);
	if (err)
		etcd_kv_free(kv);
	return err;
}

void etcd_reply_free(struct etcd_reply *r)
{
	size_t i;

	for (i = 0; i < r->n_kvs; i++)
		etcd_kv_free(&r->kvs[i]);
	free(r->kvs);
	for (i = 0; i < r->n_responses; i++)
		etcd_reply_free(&r->responses[i]);
	free(r->responses);
	memset(r, 0, sizeof(*r));
}

/*
 * The kvs of a range or delete (array @name), or (@one) the one prev_kv
 * of a put (object @name).
 */
static int reply_kvs(json_object *j, const char *name, bool one,
		     struct etcd_reply *r)
{
	json_object *a;
	size_t i, n;
	int err;

	if (!json_object_object_get_ex(j, name, &a))
		return 0;
	if (!json_object_is_type(a, one ? json_type_object : json_type_array))
		return bad(name);
	if (one) {
		r->kvs = calloc(1, sizeof(*r->kvs));
		if (!r->kvs)
			return -ENOMEM;
		r->n_kvs = 1;
		return etcd_msg_kv(a, r->kvs);
	}
	err = etcd_msg_array(a, ETCD_KVS_MAX, sizeof(*r->kvs),
			     (void **)&r->kvs, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		err = etcd_msg_kv(json_object_array_get_idx(a, i), &r->kvs[i]);
		if (err)
			return err;
		r->n_kvs++;
	}
	return 0;
}

static int kv_reply(enum etcd_op_type type, json_object *j,
		    struct etcd_reply *r)
{
	switch (type) {
	case ETCD_OP_RANGE:
		return get_int(j, "count", false, &r->count) ?:
		       get_bool(j, "more", &r->more) ?:
		       reply_kvs(j, "kvs", false, r);
	case ETCD_OP_PUT:
		return reply_kvs(j, "prev_kv", true, r);
	case ETCD_OP_DELETE:
		return get_int(j, "deleted", false, &r->count) ?:
		       reply_kvs(j, "prev_kvs", false, r);
	}
	return -EPROTO;
}

static const char *const resp_members[] = {
	[ETCD_OP_RANGE] = "response_range",
	[ETCD_OP_PUT] = "response_put",
	[ETCD_OP_DELETE] = "response_delete_range",
};

static int txn_reply(json_object *j, struct etcd_reply *r)
{
	json_object *a, *x;
	size_t i, n;
	int t, err;

	err = get_bool(j, "succeeded", &r->succeeded);
	if (err || !json_object_object_get_ex(j, "responses", &a))
		return err;
	err = etcd_msg_array(a, ETCD_TXN_OPS, sizeof(*r->responses),
			     (void **)&r->responses, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		for (t = ETCD_OP_RANGE; t <= ETCD_OP_DELETE; t++)
			if (json_object_object_get_ex(o, resp_members[t], &x))
				break;
		if (t > ETCD_OP_DELETE ||
		    !json_object_is_type(x, json_type_object))
			return -EPROTO;
		r->n_responses++;
		err = json_object_object_get_ex(x, "header", NULL) ?
		      etcd_msg_header(x, &r->responses[i].hdr) : 0;
		err = err ?: kv_reply(t, x, &r->responses[i]);
		if (err)
			return err;
	}
	return 0;
}

int etcd_msg_reply(int type, json_object *j, struct etcd_reply *r)
{
	json_object *res;
	int err;

	memset(r, 0, sizeof(*r));
	bad_member = NULL;
	/* Streaming calls (keepalive) wrap the reply in "result". */
	if (json_object_object_get_ex(j, "result", &res))
		j = res;
	err = etcd_msg_header(j, &r->hdr);
	if (err)
		return err;
	switch (type) {
	case ETCD_REQ_TXN:
		err = txn_reply(j, r);
		break;
	case ETCD_REQ_LEASE_GRANT:
	case ETCD_REQ_LEASE_KEEPALIVE:
	case ETCD_REQ_LEASE_TTL:
		/* An expired or unknown lease: TTL -1 or left out (0). */
		err = get_int(j, "ID", false, &r->lease_id) ?:
		      get_int(j, "TTL", true, &r->ttl) ?:
		      get_int(j, "grantedTTL", false, &r->granted_ttl);
		if (!err && type != ETCD_REQ_LEASE_GRANT && r->ttl <= 0)
			err = -ENOENT;
		break;
	case ETCD_REQ_LEASE_REVOKE:
		break;
	default:
		err = (type & 0xff) == ETCD_REQ_KV ? kv_reply(type >> 8, j, r) :
		      -EPROTO;
	}
	if (err)
		etcd_reply_free(r);
	return err;
}

char *etcd_msg_token(json_object *j)
{
	json_object *t;
	const char *s;
	size_t i, n;

	if (!json_object_object_get_ex(j, "token", &t) ||
	    !json_object_is_type(t, json_type_string))
		return NULL;
	s = json_object_get_string(t);
	n = json_object_get_string_len(t);
	/* It goes into a header: printable ASCII, no space, no CR/LF. */
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return NULL;
	return n ? strdup(s) : NULL;
}

static void events_free(struct etcd_event *ev, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		etcd_kv_free(&ev[i].kv);
		etcd_kv_free(&ev[i].prev_kv);
	}
	free(ev);
}

static int decode_events(json_object *a, struct etcd_event **evp,
			 size_t *np)
{
	struct etcd_event *ev;
	size_t i, n;
	int err = 0;

	*evp = NULL;
	*np = 0;
	if (!a)
		return 0;
	err = etcd_msg_array(a, ETCD_KVS_MAX, sizeof(*ev), (void **)&ev, &n);
	if (err)
		return err;
	for (i = 0; !err && i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i), *x;

		/* PUT, the default, is left out. */
		if (json_object_object_get_ex(o, "type", &x)) {
			const char *t = json_object_is_type(x, json_type_string) ?
					json_object_get_string(x) : NULL;

			if (t && !strcmp(t, "DELETE")) {
				ev[i].type = ETCD_EV_DELETE;
			} else if (!t || strcmp(t, "PUT")) {
				err = -EPROTO;
				break;
			}
		}
		if (!json_object_object_get_ex(o, "kv", &x)) {
			err = -EPROTO;
			break;
		}
		err = etcd_msg_kv(x, &ev[i].kv);
		if (!err && json_object_object_get_ex(o, "prev_kv", &x)) {
			ev[i].has_prev = true;
			err = etcd_msg_kv(x, &ev[i].prev_kv);
		}
	}
	if (err) {
		events_free(ev, n);
		return err;
	}
	*evp = ev;
	*np = n;
	return 0;
}

int etcd_msg_watch_result(json_object *j, size_t n_watchers,
			  struct etcd_watch_msg *m, char *msg, size_t len)
{
	struct etcd_event *ev;
	json_object *r, *x;
	int64_t id = 0;
	int err;

	memset(m, 0, sizeof(*m));
	if (!json_object_object_get_ex(j, "result", &r)) {
		/*
		 * A stream's error is {"error": {...}}; one before the
		 * stream starts is {"error": "text", "code": N, ...}.
		 */
		if (json_object_object_get_ex(j, "error", &x))
			return etcd_msg_error(json_object_is_type(x, json_type_object) ?
					      x : j, msg, len);
		snprintf(msg, len, "etcd watch: unexpected message");
		return -EPROTO;
	}
	bad_member = NULL;
	err = get_int(r, "watch_id", true, &id) ?:
	      get_bool(r, "created", &m->created) ?:
	      get_bool(r, "canceled", &m->canceled) ?:
	      get_int(r, "compact_revision", false, &m->compact_revision);
	if (!err && json_object_object_get_ex(r, "cancel_reason", &x) &&
	    !json_object_is_type(x, json_type_string))
		err = bad("cancel_reason");
	if (err) {
		snprintf(msg, len, "etcd watch: malformed message: bad \"%s\"",
			 bad_member);
		return err;
	}
	/*
	 * Our watch ids; -1 is a create etcd refused before it had an id
	 * (canceled, with a reason: the caller ends the stream on it); one
	 * watcher takes any.
	 */
	if (id >= 1 && (uint64_t)id <= n_watchers) {
		m->watcher = id - 1;
	} else if (n_watchers != 1 && !(id == -1 && m->canceled)) {
		snprintf(msg, len, "etcd watch: a message for watch id %lld, not one of this stream's",
			 (long long)id);
		return -EPROTO;
	}
	if (!json_object_object_get_ex(r, "events", &x))
		x = NULL;
	err = etcd_msg_header(r, &m->hdr) ?:
	      decode_events(x, &ev, &m->n_events);
	if (err) {
		if (err == -EMSGSIZE)
			snprintf(msg, len, "etcd watch message with over %d events",
				 ETCD_KVS_MAX);
		else if (err == -ENOMEM)
			snprintf(msg, len, "out of memory");
		else if (bad_member)
			snprintf(msg, len, "etcd watch: malformed message: bad \"%s\"",
				 bad_member);
		else
			snprintf(msg, len, "etcd watch: malformed message");
		return err == -ENOMEM || err == -EMSGSIZE ? err : -EPROTO;
	}
	m->events = ev;
	if (json_object_object_get_ex(r, "cancel_reason", &x))
		m->cancel_reason = json_object_get_string(x);
	return 0;
}

void etcd_watch_msg_clear(struct etcd_watch_msg *m)
{
	/* Decoded here, so the events are ours to free. */
	events_free((struct etcd_event *)m->events, m->n_events);
	m->events = NULL;
	m->n_events = 0;
}
