// SPDX-License-Identifier: GPL-2.0
/*
 * peer_bench_cosi: the driver's measurements (driver.c) through libcosi,
 * as root in a fresh network namespace (a fresh store).  Entries are
 * resources of type Bench.cosi.dev with one string field "v"; the driver's
 * namespaces are cosi namespaces.  Batched creates are cosi_batch(),
 * answered with the whole resource or, method 1, with ack-only (as many
 * requests per sendmsg() as their answers leave room in the receive
 * buffer, COSI_BATCH_MAX at most); method 2 is cosi_write_batch() of
 * ack-only creates (no libnl message per request), method 3 the same of
 * quiet creates (no answer but each chunk's ack).  Lists are cosi_list().
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosi_nl.h"
#include "driver.h"

#define TYPE	"Bench.cosi.dev"

struct watch_ctx {
	char *val;
	size_t len;
	bool got;
};

static int cosi_err(struct cosi *c, const char *op, int err)
{
	fprintf(stderr, "peer_bench_cosi: %s\n", cosi_strerror(c, op));
	return err;
}

/*
 * The puts of five methods (up to 200000 each) and the list fill one
 * netns store: more than cosi.ko's default max_resources (262144) once
 * the methods are fast.  Raised for the run when it is lower.
 */
#define PEER_MAX_RESOURCES	1048576

static void raise_max_resources(void)
{
	const char *p = "/sys/module/cosi/parameters/max_resources";
	unsigned long v = 0;
	FILE *f = fopen(p, "r");

	if (f && fscanf(f, "%lu", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	if (!v || v >= PEER_MAX_RESOURCES)
		return;
	f = fopen(p, "w");
	if (!f)
		return;
	if (fprintf(f, "%d\n", PEER_MAX_RESOURCES) > 0 && !fclose(f))
		printf("# cosi: max_resources raised from %lu to %d\n", v,
		       PEER_MAX_RESOURCES);
	else
		fprintf(stderr, "peer_bench_cosi: cannot raise max_resources\n");
}

static int pc_init(void)
{
	struct cosi_definition *d = NULL;
	struct cosi *c;
	int err;

	raise_max_resources();
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "peer_bench_cosi: unshare: %s (run as root)\n",
			strerror(errno));
		return -errno;
	}
	c = cosi_open();
	if (!c) {
		fprintf(stderr, "peer_bench_cosi: cosi_open: %s\n",
			strerror(errno));
		return -errno;
	}
	d = cosi_def_new(TYPE);
	err = !d ? -ENOMEM :
	      cosi_def_add_field(d, "v", COSI_FIELD_TYPE_STRING, true) ?:
	      cosi_definition_set(c, d, NULL);
	if (err)
		cosi_err(c, "definition-set", err);
	cosi_definition_free(d);
	cosi_close(c);
	return err;
}

static void *pc_open(void)
{
	struct cosi *c = cosi_open();

	if (!c)
		fprintf(stderr, "peer_bench_cosi: cosi_open: %s\n",
			strerror(errno));
	return c;
}

static void pc_close(void *h)
{
	cosi_close(h);
}

static int pc_write(void *h, uint8_t cmd, const char *ns, const char *id,
		    const char *val)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r, .ns = ns, .type = TYPE, .id = id,
		  .spec = &spec);
	int err = cosi_spec_add_string(&spec, "v", val);

	if (!err)
		err = cmd == COSI_CMD_RESOURCE_CREATE ?
		      cosi_resource_create(h, &r, NULL) :
		      cosi_resource_update(h, &r, NULL);
	cosi_spec_clear(&spec);
	return err ? cosi_err(h, "write", err) : 0;
}

static int pc_create(void *h, const char *ns, const char *id, const char *val)
{
	return pc_write(h, COSI_CMD_RESOURCE_CREATE, ns, id, val);
}

static int pc_update(void *h, const char *ns, const char *id, const char *val)
{
	return pc_write(h, COSI_CMD_RESOURCE_UPDATE, ns, id, val);
}

static int copy_val(const struct cosi_resource *r, char *val, size_t len)
{
	const struct cosi_field *f = cosi_spec_get(&r->spec, "v");

	if (!f || f->type != COSI_FIELD_TYPE_STRING)
		return -EPROTO;
	snprintf(val, len, "%s", f->str);
	return 0;
}

static int pc_get(void *h, const char *ns, const char *id, char *val,
		  size_t len)
{
	struct cosi_resource *r;
	int err = cosi_resource_get(h, ns, TYPE, id, &r);

	if (err)
		return cosi_err(h, "get", err);
	err = copy_val(r, val, len);
	cosi_resource_free(r);
	return err;
}

static const char *const pc_methods[] = {
	"cosi_batch (echoed)", "cosi_batch (ack-only)",
	"cosi_write_batch (ack-only)", "cosi_write_batch (quiet)", NULL
};

/*
 * Methods 2 and 3: cosi_write_batch(), no libnl message per request;
 * ack-only or @quiet writes.
 */
static int pc_write_many(void *h, const char *ns, char *const *ids, size_t n,
			 const char *val, bool quiet)
{
	struct cosi_write *w = calloc(n, sizeof(*w));
	struct cosi_req *r = calloc(n, sizeof(*r));
	struct cosi_spec spec = { 0 };
	size_t i;
	int err;

	if (!w || !r) {
		free(w);
		free(r);
		return -ENOMEM;
	}
	err = cosi_spec_add_string(&spec, "v", val);
	for (i = 0; !err && i < n; i++) {
		r[i] = (struct cosi_req){ .sz = sizeof(r[i]), .ns = ns,
					  .type = TYPE, .id = ids[i],
					  .spec = &spec, .ack_only = !quiet,
					  .quiet = quiet };
		w[i].cmd = COSI_CMD_RESOURCE_CREATE;
		w[i].req = &r[i];
	}
	if (!err)
		err = cosi_write_batch(h, w, n);
	if (err)
		cosi_err(h, "write-batch", err);
	for (i = 0; !err && i < n; i++) {
		if (w[i].err.err) {
			fprintf(stderr, "peer_bench_cosi: create %s: %s\n",
				ids[i], strerror(w[i].err.err));
			err = -w[i].err.err;
		}
	}
	cosi_spec_clear(&spec);
	free(r);
	free(w);
	return err;
}

static int pc_put_many(void *h, int method, const char *ns,
		       char *const *ids, size_t n, const char *val)
{
	struct cosi_batch_op *ops = calloc(n, sizeof(*ops));
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r, .ns = ns, .type = TYPE, .spec = &spec,
		  .ack_only = method == 1);
	size_t i;
	int err;

	if (method >= 2) {
		free(ops);
		return pc_write_many(h, ns, ids, n, val, method == 3);
	}
	if (!ops)
		return -ENOMEM;
	err = cosi_spec_add_string(&spec, "v", val);
	for (i = 0; !err && i < n; i++) {
		r.id = ids[i];
		ops[i].msg = cosi_req_msg(h, COSI_CMD_RESOURCE_CREATE, &r);
	}
	if (!err)
		err = cosi_batch(h, ops, n);
	if (err)
		cosi_err(h, "batch", err);
	for (i = 0; i < n; i++) {
		if (!err && ops[i].err.err) {
			fprintf(stderr, "peer_bench_cosi: create %s: %s\n",
				ids[i], strerror(ops[i].err.err));
			err = -ops[i].err.err;
		}
		cosi_resource_free(ops[i].res);
	}
	cosi_spec_clear(&spec);
	free(ops);
	return err;
}

/* cosi_list(): every entry decoded, in one piece of memory. */
static long pc_list(void *h, const char *ns)
{
	COSI_OPTS(cosi_list_req, q, .ns = ns, .type = TYPE);
	struct cosi_list *l;
	long n;
	int err = cosi_list(h, &q, &l);

	if (err)
		return cosi_err(h, "list", err);
	n = l->n;
	cosi_list_free(l);
	return n;
}

static int pc_watch(void *h, const char *ns, const char *id)
{
	COSI_OPTS(cosi_watch_req, w, .ns = ns, .type = TYPE, .id = id);
	int err = cosi_watch(h, &w, NULL, NULL, NULL, NULL);

	return err ? cosi_err(h, "watch", err) : 0;
}

static void on_event(struct cosi_event *ev, void *arg)
{
	struct watch_ctx *w = arg;

	if (ev->kind == COSI_EVENT_KIND_UPDATED && !w->got &&
	    !copy_val(ev->res, w->val, w->len))
		w->got = true;
	cosi_event_free(ev);
}

static int pc_next_event(void *h, char *val, size_t len)
{
	struct watch_ctx w = { .val = val, .len = len };

	while (!w.got) {
		int err = cosi_watch_recv(h, -1, on_event, &w);

		if (err < 0)
			return cosi_err(h, "watch-recv", err);
	}
	return 0;
}

static const struct peer_ops cosi_ops = {
	.name = "cosi",
	.init = pc_init,
	.open = pc_open,
	.close = pc_close,
	.create = pc_create,
	.update = pc_update,
	.get = pc_get,
	.put_methods = pc_methods,
	.put_many = pc_put_many,
	.list = pc_list,
	.watch = pc_watch,
	.next_event = pc_next_event,
};

int main(int argc, char **argv)
{
	return peer_main(&cosi_ops, argc, argv);
}
