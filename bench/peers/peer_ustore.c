// SPDX-License-Identifier: GPL-2.0
/*
 * peer_bench_ustore: the driver's measurements (driver.c) against the
 * baseline store, bench/baseline/ustore_server, listening on $USTORE_SOCK.
 * Entries have type "Bench" and a 64-byte value; batched creates are
 * pipelined: the whole burst in one write, then the replies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "ustore.h"

#define TYPE	"Bench"

static const char *sock_path;

static int us_err(const char *op, int err)
{
	fprintf(stderr, "peer_bench_ustore: %s: %s\n", op, strerror(-err));
	return err;
}

static int us_init(void)
{
	sock_path = getenv("USTORE_SOCK");
	if (!sock_path) {
		fprintf(stderr, "peer_bench_ustore: set USTORE_SOCK to the server's socket\n");
		return -EINVAL;
	}
	return 0;
}

static void *us_open(void)
{
	struct ustore *u = ustore_connect(sock_path);

	if (!u)
		fprintf(stderr, "peer_bench_ustore: %s: %s\n", sock_path,
			strerror(errno));
	return u;
}

static void us_close(void *h)
{
	ustore_close(h);
}

static int us_write(void *h, uint8_t op, const char *ns, const char *id,
		    const char *val)
{
	struct ustore_op o = { .op = op, .ns = ns, .type = TYPE, .id = id,
			       .val = val, .val_len = strlen(val) };
	int err = ustore_write(h, &o);

	return err ? us_err("write", err) : 0;
}

static int us_create(void *h, const char *ns, const char *id, const char *val)
{
	return us_write(h, US_CREATE, ns, id, val);
}

static int us_update(void *h, const char *ns, const char *id, const char *val)
{
	return us_write(h, US_UPDATE, ns, id, val);
}

static int us_get(void *h, const char *ns, const char *id, char *val,
		  size_t len)
{
	struct ustore_res *r;
	int err = ustore_get(h, ns, TYPE, id, &r);

	if (err)
		return us_err("get", err);
	snprintf(val, len, "%s", r->val);
	free(r);
	return 0;
}

/* Pipeline depths: cosi_batch's, and a deeper one. */
static const size_t us_depth[] = { 16, 1000 };
static const char *const us_methods[] = {
	"pipelining 16 creates per write", "pipelining 1000 creates per write",
	NULL
};

static int us_put_many(void *h, int method, const char *ns,
		       char *const *ids, size_t n, const char *val)
{
	struct ustore_op ops[1000];
	size_t i, j, k, d = us_depth[method];
	int err = 0;

	for (i = 0; !err && i < n; i += k) {
		for (k = 0; k < d && i + k < n; k++)
			ops[k] = (struct ustore_op){
				.op = US_CREATE, .ns = ns, .type = TYPE,
				.id = ids[i + k], .val = val,
				.val_len = strlen(val) };
		err = ustore_pipeline(h, ops, k);
		for (j = 0; !err && j < k; j++)
			err = ops[j].status;
	}
	return err ? us_err("pipelined create", err) : 0;
}

static void count_one(struct ustore_res *r, void *arg)
{
	(*(long *)arg)++;
	free(r);
}

static long us_list(void *h, const char *ns)
{
	long n = 0;
	int err = ustore_list(h, ns, TYPE, "", count_one, &n, NULL);

	return err ? us_err("list", err) : n;
}

static int us_watch(void *h, const char *ns, const char *id)
{
	int err = ustore_watch(h, ns, TYPE, id, NULL, NULL);

	return err ? us_err("watch", err) : 0;
}

static int us_next_event(void *h, char *val, size_t len)
{
	struct ustore_res *ev = NULL;
	int err;

	do {
		free(ev);
		err = ustore_event(h, -1, &ev);
		if (err)
			return us_err("event", err);
	} while (ev->kind != US_UPDATED);
	snprintf(val, len, "%s", ev->val);
	free(ev);
	return 0;
}

static const struct peer_ops ustore_ops = {
	.name = "ustore",
	.init = us_init,
	.open = us_open,
	.close = us_close,
	.create = us_create,
	.update = us_update,
	.get = us_get,
	.put_methods = us_methods,
	.put_many = us_put_many,
	.list = us_list,
	.watch = us_watch,
	.next_event = us_next_event,
};

int main(int argc, char **argv)
{
	return peer_main(&ustore_ops, argc, argv);
}
