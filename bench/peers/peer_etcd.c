// SPDX-License-Identifier: GPL-2.0
/*
 * peer_bench_etcd: the driver's measurements (driver.c) against etcd
 * 3.4 at $ETCD_URL (default http://127.0.0.1:2379; a comma-separated
 * list fails over), through cosi's etcd client (daemon/common/etcd.h,
 * the one cosid and cosictl use), each handle with its own client and
 * private loop.
 *
 * An entry is the key "/<ns>/<id>" (etcd has no types); the get is a
 * range of the key, a put a put, the list a range of the prefix (every
 * value decoded by the client), the watch one /v3/watch stream.  Many
 * puts at once, two ways: txns of up to ETCD_TXN_OPS puts (etcd's default
 * --max-txn-ops), or NCONC puts in flight at once on the client's loop.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/etcd.h"
#include "driver.h"

#define NCONC		16
#define KEY_MAX		256
#define EVQ		64
#define WAIT_USEC	(10 * 1000 * 1000ULL)

struct eh {
	struct etcd *e;			/* owned, with a private loop */
	struct etcd_watch *w;		/* owned, NULL until et_watch() */
	bool created, werr;
	char evq[EVQ][PEER_VAL_LEN + 1];	/* values of queued events */
	int evq_head, evq_n;
	char keys[ETCD_TXN_OPS][KEY_MAX];	/* of put_txn()'s ops */
	/* put_conc()'s batch */
	const char *ns, *val;
	char *const *ids;
	size_t n, next, done;
	int err;
};

static const char *endpoints;

static void key_of(const char *ns, const char *id, char *out)
{
	snprintf(out, KEY_MAX, "/%s/%s", ns, id);
}

static int fail(const char *what, int err, const char *msg)
{
	fprintf(stderr, "peer_bench_etcd: %s: %s\n", what, msg);
	return err;
}

static int et_init(void)
{
	endpoints = getenv("ETCD_URL") ?: "http://127.0.0.1:2379";
	return 0;
}

static void *et_open(void)
{
	struct etcd_opts o = { .endpoints = endpoints };
	struct eh *h = calloc(1, sizeof(*h));
	char msg[ETCD_MSG_LEN];

	if (!h) {
		fprintf(stderr, "peer_bench_etcd: out of memory\n");
		return NULL;
	}
	if (etcd_new(&h->e, NULL, &o, msg, sizeof(msg))) {
		fail("client", 0, msg);
		free(h);
		return NULL;
	}
	return h;
}

static void et_close(void *arg)
{
	struct eh *h = arg;

	etcd_watch_free(h->w);
	etcd_free(h->e);
	free(h);
}

static int et_put(void *arg, const char *ns, const char *id, const char *val)
{
	struct eh *h = arg;
	char key[KEY_MAX], msg[ETCD_MSG_LEN];
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_PUT, .key = key, .value = val,
			.value_len = strlen(val) },
	};
	struct etcd_reply rep;
	int err;

	key_of(ns, id, key);
	err = etcd_call(h->e, &r, &rep, msg, sizeof(msg));
	if (err)
		return fail("put", err, msg);
	etcd_reply_free(&rep);
	return 0;
}

static int et_get(void *arg, const char *ns, const char *id, char *val,
		  size_t len)
{
	struct eh *h = arg;
	char key[KEY_MAX], msg[ETCD_MSG_LEN];
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = key },
	};
	struct etcd_reply rep;
	int err;

	key_of(ns, id, key);
	err = etcd_call(h->e, &r, &rep, msg, sizeof(msg));
	if (err)
		return fail("get", err, msg);
	err = rep.n_kvs == 1 && rep.kvs[0].value_len < len ? 0 : -EPROTO;
	if (!err)
		memcpy(val, rep.kvs[0].value, rep.kvs[0].value_len + 1);
	etcd_reply_free(&rep);
	return err ? fail("get", err, "no such key or value too long") : 0;
}

static const char *const et_methods[] = {
	"txn of 128 puts per request", "16 puts in flight on the loop",
	NULL
};

static int put_txn(struct eh *h, const char *ns, char *const *ids, size_t n,
		   const char *val)
{
	struct etcd_op ops[ETCD_TXN_OPS];
	char msg[ETCD_MSG_LEN];
	struct etcd_reply rep;
	size_t i, m;
	int err;

	for (i = 0; i < n; i += m) {
		struct etcd_request r = { .type = ETCD_REQ_TXN };

		for (m = 0; m < ETCD_TXN_OPS && i + m < n; m++) {
			key_of(ns, ids[i + m], h->keys[m]);
			ops[m] = (struct etcd_op){
				.type = ETCD_OP_PUT, .key = h->keys[m],
				.value = val, .value_len = strlen(val),
			};
		}
		r.txn.success = ops;
		r.txn.n_success = m;
		err = etcd_call(h->e, &r, &rep, msg, sizeof(msg));
		if (err)
			return fail("txn", err, msg);
		err = rep.n_responses == m ? 0 : -EPROTO;
		etcd_reply_free(&rep);
		if (err)
			return fail("txn", err, "puts unanswered");
	}
	return 0;
}

static int submit_next(struct eh *h);

static void on_put(struct etcd_req *rq, int err, const char *msg,
		   const struct etcd_reply *rep, void *arg)
{
	struct eh *h = arg;

	(void)rq;
	(void)rep;
	h->done++;
	if (err && !h->err)
		h->err = fail("put", err, msg);
	if (!h->err && h->next < h->n)
		h->err = submit_next(h);
}

static int submit_next(struct eh *h)
{
	char key[KEY_MAX], msg[ETCD_MSG_LEN];
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_PUT, .key = key, .value = h->val,
			.value_len = strlen(h->val) },
	};
	int err;

	key_of(h->ns, h->ids[h->next++], key);
	err = etcd_submit(h->e, &r, on_put, h, NULL, msg, sizeof(msg));
	return err ? fail("put", err, msg) : 0;
}

/* NCONC puts in flight, each completion starting the next. */
static int put_conc(struct eh *h, const char *ns, char *const *ids, size_t n,
		    const char *val)
{
	int err;

	h->ns = ns;
	h->ids = ids;
	h->val = val;
	h->n = n;
	h->next = h->done = 0;
	h->err = 0;
	while (!h->err && h->next < n && h->next < NCONC)
		h->err = submit_next(h);
	/* on_put() starts the rest; after an error, only wait. */
	while (h->done < h->next) {
		err = etcd_run_once(h->e, WAIT_USEC);
		if (err)
			return fail("loop", err, strerror(-err));
	}
	return h->err;
}

static int et_put_many(void *arg, int method, const char *ns,
		       char *const *ids, size_t n, const char *val)
{
	return method == 0 ? put_txn(arg, ns, ids, n, val)
			   : put_conc(arg, ns, ids, n, val);
}

static long et_list(void *arg, const char *ns)
{
	struct eh *h = arg;
	char key[KEY_MAX], msg[ETCD_MSG_LEN];
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = key, .prefix = true },
	};
	struct etcd_reply rep;
	long n;
	int err;

	snprintf(key, sizeof(key), "/%s/", ns);
	err = etcd_call(h->e, &r, &rep, msg, sizeof(msg));
	if (err)
		return fail("list", err, msg);
	n = rep.n_kvs;
	etcd_reply_free(&rep);
	return n;
}

static void on_watch(struct etcd_watch *w, int err, const char *msg,
		     const struct etcd_watch_msg *m, void *arg)
{
	struct eh *h = arg;
	size_t i;

	(void)w;
	if (err || m->canceled) {
		fail("watch", err ?: -ECANCELED, err ? msg : "canceled");
		h->werr = true;
		return;
	}
	h->created |= m->created;
	for (i = 0; i < m->n_events; i++) {
		const struct etcd_kv *kv = &m->events[i].kv;
		char *slot;

		if (m->events[i].type != ETCD_EV_PUT)
			continue;
		if (h->evq_n == EVQ || kv->value_len > PEER_VAL_LEN) {
			h->werr = true;
			return;
		}
		slot = h->evq[(h->evq_head + h->evq_n) % EVQ];
		memcpy(slot, kv->value, kv->value_len + 1);
		h->evq_n++;
	}
}

/* Run the loop until @cond or an error of the watch. */
static int pump(struct eh *h, bool (*cond)(struct eh *h))
{
	while (!cond(h)) {
		if (h->werr)
			return -EIO;
		if (etcd_run_once(h->e, WAIT_USEC))
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
	struct etcd_watch_opts o = { 0 };
	char key[KEY_MAX], msg[ETCD_MSG_LEN];
	struct eh *h = arg;
	int err;

	key_of(ns, id, key);
	o.key = key;
	err = etcd_watch_start(h->e, &o, on_watch, h, &h->w, msg, sizeof(msg));
	return err ? fail("watch", err, msg) : pump(h, is_created);
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
