// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl get and watch: list or fetch resources (or definitions) and
 * print them as a table, YAML or JSON; follow live events.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cosictl/render.h"
#include "common/resolve.h"
#include "cosictl/selector.h"
#include "cosictl/cosictl.h"

static int out_err(int err)
{
	return ctl_err("writing output: %s", strerror(-err));
}

/* get rd [name] */
static int get_definitions(struct ctl *x)
{
	const struct cosi_definition *one = NULL;
	struct cosi_definition *const *v = x->defs.v;
	enum cosi_output o = x->a->output;
	struct json_object *arr;
	struct cosi_yaml *y;
	size_t i, n = x->defs.n;
	int err = 0;

	if (x->a->id) {
		one = ctl_type(x, x->a->id);
		if (!one)
			return EXIT_FAIL;
		v = (struct cosi_definition *const *)&one;
		n = 1;
	}
	if (o == COSI_OUTPUT_TABLE) {
		err = cosi_render_definitions_table(stdout, v, n);
	} else if (o == COSI_OUTPUT_YAML) {
		y = cosi_yaml_new(stdout);
		for (i = 0; y && !err && i < n; i++)
			err = cosi_yaml_definition(y, v[i], 0);
		err = y ? err ?: cosi_yaml_close(y) : -ENOMEM;
	} else if (one) {
		err = cosi_json_print(stdout, cosi_json_definition(one, 0),
				      true);
	} else {
		arr = json_object_new_array();
		for (i = 0; arr && i < n; i++)
			if (json_object_array_add(arr,
				cosi_json_definition(v[i], 0)))
				break;
		err = cosi_json_print(stdout, arr, true);
	}
	return err ? out_err(err) : EXIT_OK;
}

static int print_resources(const struct cosi_definition *def,
			   struct cosi_resource *const *v, size_t n,
			   enum cosi_output o, bool single)
{
	struct cosi_table *t;
	struct json_object *arr;
	struct cosi_yaml *y;
	int err = 0;
	size_t i;

	switch (o) {
	case COSI_OUTPUT_TABLE:
		t = cosi_resource_table_new(def, false);
		for (i = 0; t && !err && i < n; i++)
			err = cosi_resource_table_add(t, def, v[i], 0);
		if (t && !err)
			cosi_table_flush(t, stdout);
		cosi_table_free(t);
		return t ? err : -ENOMEM;
	case COSI_OUTPUT_YAML:
		y = cosi_yaml_new(stdout);
		for (i = 0; y && !err && i < n; i++)
			err = cosi_yaml_resource(y, v[i], NULL, 0);
		return y ? err ?: cosi_yaml_close(y) : -ENOMEM;
	case COSI_OUTPUT_JSON:
		if (single)
			return cosi_json_print(stdout,
					       cosi_json_resource(v[0], NULL, 0),
					       true);
		arr = json_object_new_array();
		for (i = 0; arr && i < n; i++)
			if (json_object_array_add(arr,
				cosi_json_resource(v[i], NULL, 0)))
				break;
		return cosi_json_print(stdout, arr, true);
	}
	return -EINVAL;
}

static int get_one(struct ctl *x, const struct cosi_definition *def,
		   const char *ns)
{
	struct cosi_resource *r = NULL;
	int err;

	err = cosi_resource_get(x->c, ns, def->type, x->a->id, &r);
	if (err == -ENOENT)
		return ctl_err("%s/%s: not found in namespace %s", def->type,
			       x->a->id, ns);
	if (err)
		return ctl_err("%s/%s: %s", def->type, x->a->id,
			       cosi_strerror(x->c, "resource-get"));
	err = print_resources(def, &r, 1, x->a->output, true);
	cosi_resource_free(r);
	return err ? out_err(err) : EXIT_OK;
}

static int get_list(struct ctl *x, const struct cosi_definition *def,
		    const char *ns)
{
	struct cosi_list_req q = { .ns = ns, .type = def->type };
	struct cosi_resources l = { 0 };
	struct cosi_selector sel;
	char msg[256];
	int err, tries;

	if (x->a->selector) {
		if (cosi_selector_parse(x->a->selector, &sel, msg,
					sizeof(msg)))
			return ctl_err("%s", msg);
		q.queries = &sel.query;
		q.n_queries = 1;
	}
	/* A list that changed while it was read is read again. */
	for (tries = 0; tries < 3; tries++) {
		err = cosi_resource_list(x->c, &q, &l);
		if (err || !l.intr)
			break;
		cosi_resources_clear(&l);
	}
	if (x->a->selector)
		cosi_selector_clear(&sel);
	if (err)
		return ctl_err("%s: %s", def->type,
			       cosi_strerror(x->c, "resource-get"));
	if (!l.n && x->a->output == COSI_OUTPUT_TABLE)
		fprintf(stderr, "No resources found in namespace %s.\n", ns);
	else
		err = print_resources(def, l.v, l.n, x->a->output, false);
	cosi_resources_clear(&l);
	return err ? out_err(err) : EXIT_OK;
}

int cmd_get(struct ctl *x)
{
	const struct cosi_definition *def;

	if (cosi_resolve_is_definitions(x->a->type))
		return get_definitions(x);
	def = ctl_type(x, x->a->type);
	if (!def)
		return EXIT_FAIL;
	if (x->a->id)
		return get_one(x, def, x->a->ns ?: cosi_resolve_default_ns(def));
	return get_list(x, def, x->a->ns ?: cosi_resolve_default_ns(def));
}

/* Watching. */

struct watch {
	struct ctl *x;
	const struct cosi_definition *def;
	struct cosi_table *table;
	struct cosi_yaml *yaml;
	bool listing;			/* before the bootstrapped marker */
	bool bootstrap;			/* the current watch bootstraps */
	uint64_t rev;			/* last revision seen */
	long events;			/* counted toward --count */
	bool done;
	int err;
};

static char kind_char(uint32_t kind)
{
	switch (kind) {
	case COSI_EVENT_KIND_CREATED:
		return '+';
	case COSI_EVENT_KIND_UPDATED:
		return '*';
	case COSI_EVENT_KIND_DESTROYED:
		return '-';
	}
	return '?';
}

static int print_event(struct watch *w, const struct cosi_event *ev,
		       bool listed)
{
	const char *kind = cosi_event_kind_name(ev->kind);

	switch (w->x->a->output) {
	case COSI_OUTPUT_TABLE:
		return cosi_resource_table_add(w->table, w->def, &ev->res,
					       listed ? ' ' :
					       kind_char(ev->kind));
	case COSI_OUTPUT_YAML:
		return cosi_yaml_resource(w->yaml, &ev->res, kind, 0);
	case COSI_OUTPUT_JSON:
		return cosi_json_print(stdout,
				       cosi_json_resource(&ev->res, kind, 0),
				       false);
	}
	return -EINVAL;
}

static int print_marker(struct watch *w, uint64_t rev)
{
	struct json_object *o;

	switch (w->x->a->output) {
	case COSI_OUTPUT_TABLE:
		return 0;
	case COSI_OUTPUT_YAML:
		return cosi_yaml_marker(w->yaml, rev);
	case COSI_OUTPUT_JSON:
		o = json_object_new_object();
		if (o) {
			json_object_object_add(o, "event",
				json_object_new_string("bootstrapped"));
			json_object_object_add(o, "revision",
				json_object_new_uint64(rev));
		}
		return cosi_json_print(stdout, o, false);
	}
	return -EINVAL;
}

static void on_event(struct cosi_event *ev, void *arg)
{
	struct watch *w = arg;
	bool listed;

	if (w->done || w->err) {
		cosi_event_free(ev);
		return;
	}
	if (ev->revision > w->rev)
		w->rev = ev->revision;
	if (ev->kind == COSI_EVENT_KIND_BOOTSTRAPPED) {
		w->listing = false;
		w->err = print_marker(w, ev->revision);
	} else {
		listed = w->listing && w->bootstrap &&
			 ev->kind == COSI_EVENT_KIND_CREATED;
		w->err = print_event(w, ev, listed);
		if (!listed && w->x->a->count >= 0 &&
		    ++w->events >= w->x->a->count)
			w->done = true;
	}
	if (w->table && !w->listing)
		cosi_table_flush(w->table, stdout);
	cosi_event_free(ev);
}

static int start(struct watch *w, struct cosi_watch_req *req)
{
	int err;

	w->listing = true;
	w->bootstrap = req->bootstrap;
	err = cosi_watch(w->x->c, req, on_event, w, NULL, NULL);
	w->listing = false;
	if (w->table)
		cosi_table_flush(w->table, stdout);
	return err;
}

/* After an overflow: resume from the last revision, else list again. */
static int restart(struct watch *w, struct cosi_watch_req *req)
{
	int err;

	fprintf(stderr, "cosictl: note: events overflowed; resuming after revision %llu\n",
		(unsigned long long)w->rev);
	req->bootstrap = false;
	req->has_since = true;
	req->since_revision = w->rev;
	err = start(w, req);
	if (err != -ENODATA)
		return err;
	fprintf(stderr, "cosictl: note: revision %llu is no longer in the event history; listing again\n",
		(unsigned long long)w->rev);
	req->bootstrap = true;
	req->has_since = false;
	return start(w, req);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int follow(struct watch *w, struct cosi_watch_req *req)
{
	long end = now_ms() + w->x->a->timeout_ms, left = -1;
	int n = 0;

	while (!w->done && !w->err && !cosictl_stop) {
		if (w->x->a->timeout_ms >= 0) {
			left = end - now_ms();
			if (left <= 0)
				break;
		}
		n = cosi_watch_recv(w->x->c, (int)left, on_event, w);
		if (n == -EINTR)
			continue;
		if (n == -ENOBUFS)
			n = restart(w, req);
		if (n < 0 && cosi_family_gone(w->x->c))
			return ctl_err("watch %s: the cosi family went away (cosi.ko unloaded)",
				       w->def->type);
		if (n < 0)
			return ctl_err("watch %s: %s", w->def->type,
				       n == -ENOBUFS || n == -ENODATA ?
				       cosi_strerror(w->x->c, "watch") :
				       strerror(-n));
	}
	return w->err ? out_err(w->err) : EXIT_OK;
}

int cmd_watch(struct ctl *x)
{
	const struct cosictl_args *a = x->a;
	struct cosi_watch_req req = {
		.id = a->id, .bootstrap = !a->has_since,
		.has_since = a->has_since, .since_revision = a->since,
	};
	struct watch w = { .x = x };
	struct cosi_selector sel;
	char msg[256];
	int rc, err;

	w.def = ctl_type(x, a->type);
	if (!w.def)
		return EXIT_FAIL;
	req.type = w.def->type;
	req.ns = a->ns ?: cosi_resolve_default_ns(w.def);
	if (a->selector) {
		if (cosi_selector_parse(a->selector, &sel, msg, sizeof(msg)))
			return ctl_err("%s", msg);
		req.queries = &sel.query;
		req.n_queries = 1;
	}
	if (a->output == COSI_OUTPUT_TABLE)
		w.table = cosi_resource_table_new(w.def, true);
	else if (a->output == COSI_OUTPUT_YAML)
		w.yaml = cosi_yaml_new(stdout);
	if (a->output != COSI_OUTPUT_JSON && !w.table && !w.yaml) {
		rc = ctl_err("out of memory");
		goto out;
	}
	err = start(&w, &req);
	if (err)
		rc = ctl_err("watch %s: %s", w.def->type,
			     cosi_strerror(x->c, "watch"));
	else if (w.err)
		rc = out_err(w.err);
	else
		rc = a->count == 0 ? EXIT_OK : follow(&w, &req);
out:
	cosi_table_free(w.table);
	err = cosi_yaml_close(w.yaml);
	if (err && !rc)
		rc = out_err(err);
	if (a->selector)
		cosi_selector_clear(&sel);
	return rc;
}
