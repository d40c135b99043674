// SPDX-License-Identifier: GPL-2.0
/*
 * peer_bench_etcd: the driver's measurements (driver.c) against etcd
 * 3.4's gRPC gateway (HTTP/1.1 + JSON, keys and values in base64) at
 * $ETCD_URL (default http://127.0.0.1:2379), with libcurl and json-c.
 *
 * Each handle keeps one keep-alive connection for its requests.  An entry
 * is the key "/<ns>/<id>" (etcd has no types); the get is /v3/kv/range of
 * the key, a put /v3/kv/put, the list /v3/kv/range of the prefix (every
 * value decoded), the watch a streaming /v3/watch request read through a
 * curl multi handle.  Many puts at once, two ways: /v3/kv/txn with up to
 * TXN_OPS puts per request (etcd's default --max-txn-ops), or NCONC
 * connections each with one /v3/kv/put in flight (curl multi).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "driver.h"

#define TXN_OPS		128
#define NCONC		16
#define KEY_MAX		256
#define B64_LEN(n)	(4 * (((n) + 2) / 3) + 1)
#define EVQ		64

struct sbuf {
	char *p;
	size_t len, cap;
};

/* One connection (an easy handle) and its request and reply. */
struct conn {
	CURL *easy;
	struct sbuf body, reply;
	char url[KEY_MAX];
};

struct eh {
	struct conn c;			/* synchronous requests */
	CURLM *multi;			/* concurrent puts */
	struct conn conc[NCONC];
	CURLM *wmulti;			/* the watch stream */
	struct conn w;
	json_tokener *tok;
	bool created, werr;
	char evq[EVQ][PEER_VAL_LEN + 1];	/* values of queued events */
	int evq_head, evq_n;
};

static const char *base_url;
static struct curl_slist *hdrs;

static int sbuf_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *np = realloc(b->p, cap);

		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int sbuf_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(tmp))
		return -EMSGSIZE;
	return sbuf_add(b, tmp, n);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	return sbuf_add(arg, p, size * n) ? 0 : size * n;
}

static void b64(const char *s, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s,
			strlen(s));
}

/* Decode @in into @out (NUL-terminated); -EPROTO if it does not fit. */
static int unb64(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);
	unsigned char tmp[B64_LEN(KEY_MAX)];
	int k;

	if (n >= sizeof(tmp))
		return -EPROTO;
	k = EVP_DecodeBlock(tmp, (const unsigned char *)in, n);
	if (k < 0)
		return -EPROTO;
	while (n && in[n - 1] == '=') {	/* padding decodes to zeros */
		n--;
		k--;
	}
	if ((size_t)k >= len)
		return -EPROTO;
	memcpy(out, tmp, k);
	out[k] = '\0';
	return 0;
}

static void key_b64(const char *ns, const char *id, char *out)
{
	char key[KEY_MAX];

	snprintf(key, sizeof(key), "/%s/%s", ns, id);
	b64(key, out);
}

static int conn_init(struct conn *c, const char *path)
{
	c->easy = curl_easy_init();
	if (!c->easy)
		return -ENOMEM;
	snprintf(c->url, sizeof(c->url), "%s%s", base_url, path);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &c->reply);
	curl_easy_setopt(c->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	return 0;
}

static void conn_free(struct conn *c)
{
	if (c->easy)
		curl_easy_cleanup(c->easy);
	free(c->body.p);
	free(c->reply.p);
}

/* Set up @c to POST its body to @path. */
static void conn_post(struct conn *c, const char *path)
{
	snprintf(c->url, sizeof(c->url), "%s%s", base_url, path);
	curl_easy_setopt(c->easy, CURLOPT_URL, c->url);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body.p);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)c->body.len);
	c->reply.len = 0;
}

/* The reply of a finished request, parsed; NULL after printing why. */
static json_object *conn_reply(struct conn *c, CURLcode rc)
{
	json_object *j, *e;
	long code = 0;

	if (rc != CURLE_OK) {
		fprintf(stderr, "peer_bench_etcd: %s: %s\n", c->url,
			curl_easy_strerror(rc));
		return NULL;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
	j = json_tokener_parse(c->reply.p ?: "");
	if (code != 200 || !j || json_object_object_get_ex(j, "error", &e)) {
		fprintf(stderr, "peer_bench_etcd: %s: HTTP %ld: %.200s\n",
			c->url, code, c->reply.p ?: "");
		json_object_put(j);
		return NULL;
	}
	return j;
}

static json_object *request(struct conn *c, const char *path)
{
	conn_post(c, path);
	return conn_reply(c, curl_easy_perform(c->easy));
}

static int et_init(void)
{
	base_url = getenv("ETCD_URL") ?: "http://127.0.0.1:2379";
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -ENOMEM;
	/* No "Expect: 100-continue" round trip before larger bodies. */
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = hdrs ? curl_slist_append(hdrs, "Expect:") : NULL;
	return hdrs ? 0 : -ENOMEM;
}

static void *et_open(void)
{
	struct eh *h = calloc(1, sizeof(*h));

	if (!h || conn_init(&h->c, "")) {
		fprintf(stderr, "peer_bench_etcd: out of memory\n");
		free(h);
		return NULL;
	}
	return h;
}

static void et_close(void *arg)
{
	struct eh *h = arg;
	int i;

	for (i = 0; i < NCONC; i++) {
		if (h->conc[i].easy)
			curl_multi_remove_handle(h->multi, h->conc[i].easy);
		conn_free(&h->conc[i]);
	}
	if (h->w.easy)
		curl_multi_remove_handle(h->wmulti, h->w.easy);
	conn_free(&h->w);
	conn_free(&h->c);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->wmulti)
		curl_multi_cleanup(h->wmulti);
	if (h->tok)
		json_tokener_free(h->tok);
	free(h);
}

static int put_body(struct sbuf *b, const char *ns, const char *id,
		    const char *val)
{
	char k[B64_LEN(KEY_MAX)], v[B64_LEN(PEER_VAL_LEN)];

	key_b64(ns, id, k);
	b64(val, v);
	b->len = 0;
	return sbuf_printf(b, "{\"key\":\"%s\",\"value\":\"%s\"}", k, v);
}

static int et_put(void *arg, const char *ns, const char *id, const char *val)
{
	struct eh *h = arg;
	json_object *j;

	if (put_body(&h->c.body, ns, id, val))
		return -ENOMEM;
	j = request(&h->c, "/v3/kv/put");
	json_object_put(j);
	return j ? 0 : -EIO;
}

/* The value of the kvs[@i] of a range reply. */
static int kv_value(json_object *kvs, size_t i, char *val, size_t len)
{
	json_object *kv = json_object_array_get_idx(kvs, i), *v;

	if (!kv)
		return -EPROTO;
	if (!json_object_object_get_ex(kv, "value", &v)) {
		*val = '\0';		/* empty values are left out */
		return 0;
	}
	return unb64(json_object_get_string(v), val, len);
}

static int et_get(void *arg, const char *ns, const char *id, char *val,
		  size_t len)
{
	char k[B64_LEN(KEY_MAX)];
	struct eh *h = arg;
	json_object *j, *kvs;
	int err = -EPROTO;

	key_b64(ns, id, k);
	h->c.body.len = 0;
	if (sbuf_printf(&h->c.body, "{\"key\":\"%s\"}", k))
		return -ENOMEM;
	j = request(&h->c, "/v3/kv/range");
	if (!j)
		return -EIO;
	if (json_object_object_get_ex(j, "kvs", &kvs))
		err = kv_value(kvs, 0, val, len);
	json_object_put(j);
	if (err)
		fprintf(stderr, "peer_bench_etcd: get %s/%s: bad reply\n", ns, id);
	return err;
}

static const char *const et_methods[] = {
	"txn of 128 puts per request", "16 connections with a put in flight",
	NULL
};

static int put_txn(struct eh *h, const char *ns, char *const *ids, size_t n,
		   const char *val)
{
	char k[B64_LEN(KEY_MAX)], v[B64_LEN(PEER_VAL_LEN)];
	struct sbuf *b = &h->c.body;
	json_object *j, *resp;
	size_t i, m;
	int err = 0;

	b64(val, v);
	for (i = 0; !err && i < n; i += m) {
		b->len = 0;
		err = sbuf_printf(b, "{\"success\":[");
		for (m = 0; !err && m < TXN_OPS && i + m < n; m++) {
			key_b64(ns, ids[i + m], k);
			err = sbuf_printf(b, "%s{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}",
					  m ? "," : "", k, v);
		}
		if (err || sbuf_printf(b, "]}"))
			return -ENOMEM;
		j = request(&h->c, "/v3/kv/txn");
		if (!j)
			return -EIO;
		if (!json_object_object_get_ex(j, "responses", &resp) ||
		    json_object_array_length(resp) != m) {
			fprintf(stderr, "peer_bench_etcd: txn: %zu puts unanswered\n",
				m);
			err = -EPROTO;
		}
		json_object_put(j);
	}
	return err;
}

static int put_conc(struct eh *h, const char *ns, char *const *ids, size_t n,
		    const char *val)
{
	size_t next = 0, done = 0;
	int i, left, running, err = 0;
	CURLMsg *msg;

	if (!h->multi) {
		h->multi = curl_multi_init();
		for (i = 0; h->multi && i < NCONC; i++)
			if (conn_init(&h->conc[i], ""))
				return -ENOMEM;
		if (!h->multi)
			return -ENOMEM;
	}
	for (i = 0; i < NCONC && next < n; i++, next++) {
		if (put_body(&h->conc[i].body, ns, ids[next], val))
			return -ENOMEM;
		conn_post(&h->conc[i], "/v3/kv/put");
		curl_multi_add_handle(h->multi, h->conc[i].easy);
	}
	while (done < n && !err) {
		if (curl_multi_perform(h->multi, &running))
			return -EIO;
		while (!err && (msg = curl_multi_info_read(h->multi, &left))) {
			struct conn *c = NULL;
			json_object *j;

			for (i = 0; i < NCONC; i++)
				if (h->conc[i].easy == msg->easy_handle)
					c = &h->conc[i];
			if (msg->msg != CURLMSG_DONE || !c)
				continue;
			curl_multi_remove_handle(h->multi, c->easy);
			j = conn_reply(c, msg->data.result);
			json_object_put(j);
			if (!j)
				err = -EIO;
			done++;
			if (err || next == n)
				continue;
			if (put_body(&c->body, ns, ids[next++], val))
				return -ENOMEM;
			conn_post(c, "/v3/kv/put");
			curl_multi_add_handle(h->multi, c->easy);
		}
		if (done < n && !err &&
		    curl_multi_poll(h->multi, NULL, 0, 1000, NULL))
			return -EIO;
	}
	for (i = 0; i < NCONC; i++)	/* after an error: stop the others */
		curl_multi_remove_handle(h->multi, h->conc[i].easy);
	return err;
}

static int et_put_many(void *arg, int method, const char *ns,
		       char *const *ids, size_t n, const char *val)
{
	return method == 0 ? put_txn(arg, ns, ids, n, val)
			   : put_conc(arg, ns, ids, n, val);
}

static long et_list(void *arg, const char *ns)
{
	char from[KEY_MAX], to[KEY_MAX], v[PEER_VAL_LEN + 1];
	char bf[B64_LEN(KEY_MAX)], bt[B64_LEN(KEY_MAX)];
	struct eh *h = arg;
	json_object *j, *kvs, *key;
	size_t i, n = 0;
	long ret = 0;

	snprintf(from, sizeof(from), "/%s/", ns);
	snprintf(to, sizeof(to), "/%s0", ns);	/* '0' follows '/' */
	b64(from, bf);
	b64(to, bt);
	h->c.body.len = 0;
	if (sbuf_printf(&h->c.body, "{\"key\":\"%s\",\"range_end\":\"%s\"}",
			bf, bt))
		return -ENOMEM;
	j = request(&h->c, "/v3/kv/range");
	if (!j)
		return -EIO;
	if (json_object_object_get_ex(j, "kvs", &kvs))
		n = json_object_array_length(kvs);
	/* Decode each entry, as the other clients parse theirs. */
	for (i = 0; i < n && !ret; i++) {
		json_object *kv = json_object_array_get_idx(kvs, i);
		char k[KEY_MAX];

		if (!json_object_object_get_ex(kv, "key", &key) ||
		    unb64(json_object_get_string(key), k, sizeof(k)) ||
		    kv_value(kvs, i, v, sizeof(v)))
			ret = -EPROTO;
	}
	json_object_put(j);
	return ret ?: (long)n;
}

/* One message of the watch stream: {"result": {..., "events": [...]}}. */
static void on_watch_msg(struct eh *h, json_object *m)
{
	json_object *r, *evs, *x;
	size_t i, n;

	if (!json_object_object_get_ex(m, "result", &r)) {
		fprintf(stderr, "peer_bench_etcd: watch: %.200s\n",
			json_object_to_json_string(m));
		h->werr = true;
		return;
	}
	if (json_object_object_get_ex(r, "created", &x) &&
	    json_object_get_boolean(x))
		h->created = true;
	if (json_object_object_get_ex(r, "canceled", &x) &&
	    json_object_get_boolean(x))
		h->werr = true;
	if (!json_object_object_get_ex(r, "events", &evs))
		return;
	n = json_object_array_length(evs);
	for (i = 0; i < n; i++) {
		json_object *ev = json_object_array_get_idx(evs, i), *kv, *t;
		char *slot;

		/* PUT is the default type: left out of the JSON. */
		if (json_object_object_get_ex(ev, "type", &t) &&
		    strcmp(json_object_get_string(t), "PUT"))
			continue;
		if (h->evq_n == EVQ || !json_object_object_get_ex(ev, "kv", &kv)) {
			h->werr = true;
			return;
		}
		slot = h->evq[(h->evq_head + h->evq_n) % EVQ];
		if (!json_object_object_get_ex(kv, "value", &x))
			*slot = '\0';
		else if (unb64(json_object_get_string(x), slot, PEER_VAL_LEN + 1))
			h->werr = true;
		h->evq_n++;
	}
}

/* Stream data: concatenated JSON messages, split anywhere. */
static size_t on_watch_data(char *p, size_t size, size_t n, void *arg)
{
	struct eh *h = arg;
	size_t off = 0, len = size * n;

	while (off < len) {
		json_object *m = json_tokener_parse_ex(h->tok, p + off,
						       len - off);
		enum json_tokener_error e = json_tokener_get_error(h->tok);

		if (!m && e == json_tokener_continue)
			break;
		if (!m) {
			fprintf(stderr, "peer_bench_etcd: watch stream: %s\n",
				json_tokener_error_desc(e));
			h->werr = true;
			return 0;
		}
		off += json_tokener_get_parse_end(h->tok);
		on_watch_msg(h, m);
		json_object_put(m);
	}
	return len;
}

/* Run the watch stream until @cond or an error. */
static int pump(struct eh *h, bool (*cond)(struct eh *h))
{
	int running;

	while (!cond(h)) {
		if (h->werr)
			return -EIO;
		if (curl_multi_perform(h->wmulti, &running))
			return -EIO;
		if (cond(h))
			break;
		if (!running) {
			fprintf(stderr, "peer_bench_etcd: the watch stream ended\n");
			return -EIO;
		}
		if (curl_multi_poll(h->wmulti, NULL, 0, 1000, NULL))
			return -EIO;
	}
	return 0;
}

static bool is_created(struct eh *h)
{
	return h->created;
}

static bool has_event(struct eh *h)
{
	return h->evq_n > 0;
}

static int et_watch(void *arg, const char *ns, const char *id)
{
	char k[B64_LEN(KEY_MAX)];
	struct eh *h = arg;

	h->wmulti = curl_multi_init();
	h->tok = json_tokener_new();
	if (!h->wmulti || !h->tok || conn_init(&h->w, ""))
		return -ENOMEM;
	key_b64(ns, id, k);
	if (sbuf_printf(&h->w.body, "{\"create_request\":{\"key\":\"%s\"}}", k))
		return -ENOMEM;
	conn_post(&h->w, "/v3/watch");
	curl_easy_setopt(h->w.easy, CURLOPT_WRITEFUNCTION, on_watch_data);
	curl_easy_setopt(h->w.easy, CURLOPT_WRITEDATA, h);
	curl_multi_add_handle(h->wmulti, h->w.easy);
	return pump(h, is_created);
}

static int et_next_event(void *arg, char *val, size_t len)
{
	struct eh *h = arg;
	int err = pump(h, has_event);

	if (err)
		return err;
	snprintf(val, len, "%s", h->evq[h->evq_head]);
	h->evq_head = (h->evq_head + 1) % EVQ;
	h->evq_n--;
	return 0;
}

static const struct peer_ops etcd_ops = {
	.name = "etcd",
	.init = et_init,
	.open = et_open,
	.close = et_close,
	.create = et_put,
	.update = et_put,
	.get = et_get,
	.put_methods = et_methods,
	.put_many = et_put_many,
	.list = et_list,
	.watch = et_watch,
	.next_event = et_next_event,
};

int main(int argc, char **argv)
{
	return peer_main(&etcd_ops, argc, argv);
}
