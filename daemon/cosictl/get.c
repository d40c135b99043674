// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl get and watch: list or fetch resources (or definitions) and
 * print them as a table, YAML or JSON; follow live events.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/resolve.h"
#include "common/selector.h"
#include "cosictl/cosictl.h"
#include "cosictl/jsonpath.h"
#include "cosictl/render.h"

static int out_err(int err)
{
	return ctl_err("writing output: %s", strerror(-err));
}

/* Append @o (NULL: it could not be built) to @arr; false on ENOMEM. */
static bool json_push(struct json_object *arr, struct json_object *o)
{
	if (o && !json_object_array_add(arr, o))
		return true;
	json_object_put(o);
	return false;
}

/*
 * JSON, or a JSONPath template over it: a list is {"items": [...]}, as
 * kubectl's templates expect.  Drops @o.
 */
static int print_json(const struct cosictl_args *a, struct json_object *o,
		      bool single)
{
	struct json_object *list;
	char msg[256];
	int err;

	if (a->output != COSI_OUTPUT_JSONPATH) {
		err = cosi_json_print(stdout, o, true);
		return err ? out_err(err) : EXIT_OK;
	}
	if (!o)
		return out_err(-ENOMEM);
	if (!single) {
		list = json_object_new_object();
		if (!list || json_object_object_add(list, "items", o)) {
			json_object_put(list);
			json_object_put(o);
			return out_err(-ENOMEM);
		}
		o = list;
	}
	err = cosi_jsonpath_print(stdout, a->jsonpath, o, msg, sizeof(msg));
	json_object_put(o);
	if (!err && fputc('\n', stdout) == EOF)
		err = -EIO;
	return err ? ctl_err("%s", msg) : EXIT_OK;
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
	if (o == COSI_OUTPUT_TABLE || o == COSI_OUTPUT_WIDE) {
		err = cosi_render_definitions_table(stdout, v, n);
	} else if (o == COSI_OUTPUT_YAML) {
		y = cosi_yaml_new(stdout);
		for (i = 0; y && !err && i < n; i++)
			err = cosi_yaml_definition(y, v[i], 0);
		err = y ? err ?: cosi_yaml_close(y) : -ENOMEM;
	} else if (one) {
		return print_json(x->a, cosi_json_definition(one, 0), true);
	} else {
		arr = json_object_new_array();
		for (i = 0; arr && i < n; i++)
			if (!json_push(arr, cosi_json_definition(v[i], 0)))
				break;
		if (arr && i < n) {
			json_object_put(arr);
			arr = NULL;
		}
		return print_json(x->a, arr, false);
	}
	return err ? out_err(err) : EXIT_OK;
}

/* EXIT_OK, or EXIT_FAIL with the error printed. */
static int print_resources(const struct cosictl_args *a,
			   const struct cosi_definition *def,
			   struct cosi_resource *const *v, size_t n,
			   bool single)
{
	struct cosi_table *t;
	struct json_object *arr;
	struct cosi_yaml *y;
	int err = 0;
	size_t i;

	switch (a->output) {
	case COSI_OUTPUT_TABLE:
	case COSI_OUTPUT_WIDE:
		t = cosi_resource_table_new(def, false,
					    a->output == COSI_OUTPUT_WIDE);
		for (i = 0; t && !err && i < n; i++)
			err = cosi_resource_table_add(t, def, v[i], 0);
		if (t && !err)
			cosi_table_flush(t, stdout);
		cosi_table_free(t);
		err = t ? err : -ENOMEM;
		break;
	case COSI_OUTPUT_YAML:
		y = cosi_yaml_new(stdout);
		for (i = 0; y && !err && i < n; i++)
			err = cosi_yaml_resource(y, v[i], NULL, 0);
		err = y ? err ?: cosi_yaml_close(y) : -ENOMEM;
		break;
	case COSI_OUTPUT_JSON:
	case COSI_OUTPUT_JSONPATH:
		if (single)
			return print_json(a, cosi_json_resource(v[0], NULL, 0),
					  true);
		arr = json_object_new_array();
		for (i = 0; arr && i < n; i++)
			if (!json_push(arr, cosi_json_resource(v[i], NULL, 0)))
				break;
		if (arr && i < n) {
			json_object_put(arr);
			arr = NULL;
		}
		return print_json(a, arr, false);
	}
	return err ? out_err(err) : EXIT_OK;
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
	err = print_resources(x->a, def, &r, 1, true);
	cosi_resource_free(r);
	return err;
}

int ctl_list(struct ctl *x, const struct cosi_definition *def,
	     const char *ns, struct cosi_resources *l)
{
	COSI_OPTS(cosi_list_req, q, .ns = ns, .type = def->type);
	struct cosi_selector sel;
	char msg[256];
	int err, tries;

	memset(l, 0, sizeof(*l));
	if (x->a->selector) {
		if (cosi_selector_parse(x->a->selector, &sel, msg,
					sizeof(msg)))
			return ctl_err("%s", msg);
		q.queries = &sel.query;
		q.n_queries = 1;
	}
	/* A list that changed while it was read is read again. */
	for (tries = 0; tries < 3; tries++) {
		err = cosi_resource_list(x->c, &q, l);
		if (err || !l->intr)
			break;
		cosi_resources_clear(l);
	}
	if (x->a->selector)
		cosi_selector_clear(&sel);
	if (err)
		return ctl_err("%s: %s", def->type,
			       cosi_strerror(x->c, "resource-get"));
	return EXIT_OK;
}

static int get_list(struct ctl *x, const struct cosi_definition *def,
		    const char *ns)
{
	struct cosi_resources l;
	enum cosi_output o = x->a->output;
	int rc;

	rc = ctl_list(x, def, ns, &l);
	if (rc)
		return rc;
	if (!l.n && (o == COSI_OUTPUT_TABLE || o == COSI_OUTPUT_WIDE))
		fprintf(stderr, "No resources found in namespace %s.\n", ns);
	else
		rc = print_resources(x->a, def, l.v, l.n, false);
	cosi_resources_clear(&l);
	return rc;
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

/* Watching, over libcosi's resumable streams. */

struct watch {
	struct ctl *x;
	const struct cosi_definition *def;
	struct cosi_table *table;
	struct cosi_yaml *yaml;
	bool listing;			/* the first bootstrap, not a re-list */
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
	case COSI_OUTPUT_WIDE:
		return cosi_resource_table_add(w->table, w->def, ev->res,
					       listed ? ' ' :
					       kind_char(ev->kind));
	case COSI_OUTPUT_YAML:
		return cosi_yaml_resource(w->yaml, ev->res, kind, 0);
	case COSI_OUTPUT_JSON:
	case COSI_OUTPUT_JSONPATH:
		return cosi_json_print(stdout,
				       cosi_json_resource(ev->res, kind, 0),
				       false);
	}
	return -EINVAL;
}

static int print_marker(struct watch *w, uint64_t rev)
{
	struct json_object *o;

	switch (w->x->a->output) {
	case COSI_OUTPUT_TABLE:
	case COSI_OUTPUT_WIDE:
		return 0;
	case COSI_OUTPUT_YAML:
		return cosi_yaml_marker(w->yaml, rev);
	case COSI_OUTPUT_JSON:
	case COSI_OUTPUT_JSONPATH:
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
	if (ev->kind == COSI_EVENT_KIND_BOOTSTRAPPED) {
		w->listing = false;
		w->err = print_marker(w, ev->revision);
	} else {
		listed = w->listing && ev->kind == COSI_EVENT_KIND_CREATED;
		w->err = print_event(w, ev, listed);
		if (!listed && w->x->a->count >= 0 &&
		    ++w->events >= w->x->a->count)
			w->done = true;
	}
	if (w->table && !w->listing)
		cosi_table_flush(w->table, stdout);
	cosi_event_free(ev);
}

/* What to wait in poll(): the time left (an int), -1 for ever. */
static int poll_ms(long end)
{
	long left;

	if (end < 0)
		return -1;
	left = end - ctl_now_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* A one-line note when the stream resumed or listed again. */
static void stream_notes(struct cosi_stream *s,
			 struct cosi_stream_stats *seen)
{
	const struct cosi_stream_stats *st = cosi_stream_stats(s);

	if (st->bootstraps > seen->bootstraps)
		fprintf(stderr, "cosictl: note: events overflowed and the history no longer reached back; listed again (%llu deleted meanwhile)\n",
			(unsigned long long)(st->vanished - seen->vanished));
	else if (st->resumes > seen->resumes)
		fprintf(stderr, "cosictl: note: events overflowed; resumed after revision %llu\n",
			(unsigned long long)cosi_stream_revision(s));
	*seen = *st;
}

int ctl_stream_follow(struct ctl *x, struct cosi_stream *s, long timeout_ms,
		      const bool *done, const char *what)
{
	long end = timeout_ms >= 0 ? ctl_now_ms() + timeout_ms : -1;
	struct cosi_stream_stats seen = *cosi_stream_stats(s);
	int n, ms;

	while (!*done && !cosictl_stop) {
		ms = poll_ms(end);
		if (!ms && end >= 0)
			return -ETIMEDOUT;
		n = cosi_stream_dispatch(s, ms);
		stream_notes(s, &seen);
		if (n == -EINTR)
			continue;
		if (n < 0 && cosi_family_gone(x->c))
			return ctl_err("%s: the cosi family went away (cosi.ko unloaded)",
				       what);
		if (n < 0)
			return ctl_err("%s: %s", what,
				       n == -ENOBUFS || n == -ENODATA ?
				       cosi_strerror(x->c, "watch") :
				       strerror(-n));
	}
	return 0;
}

int cmd_watch(struct ctl *x)
{
	const struct cosictl_args *a = x->a;
	COSI_OPTS(cosi_watch_req, req,
		.id = a->id, .has_since = a->has_since,
		.since_revision = a->since,
	);
	struct watch w = { .x = x, .listing = !a->has_since };
	struct cosi_stream *s = NULL;
	struct cosi_selector sel;
	char msg[256], what[300];
	int rc = EXIT_OK, err;

	w.def = ctl_type(x, a->type);
	if (!w.def)
		return EXIT_FAIL;
	req.type = w.def->type;
	req.ns = a->ns ?: cosi_resolve_default_ns(w.def);
	snprintf(what, sizeof(what), "watch %s", w.def->type);
	if (a->selector) {
		if (cosi_selector_parse(a->selector, &sel, msg, sizeof(msg)))
			return ctl_err("%s", msg);
		req.queries = &sel.query;
		req.n_queries = 1;
	}
	if (a->output == COSI_OUTPUT_TABLE || a->output == COSI_OUTPUT_WIDE)
		w.table = cosi_resource_table_new(w.def, true,
					a->output == COSI_OUTPUT_WIDE);
	else if (a->output == COSI_OUTPUT_YAML)
		w.yaml = cosi_yaml_new(stdout);
	s = cosi_stream_new(x->c, on_event, &w);
	if (!s || (!w.table && !w.yaml && a->output != COSI_OUTPUT_JSON)) {
		rc = ctl_err("out of memory");
		goto out;
	}
	err = cosi_stream_add_req(s, &req);
	w.listing = false;
	if (w.table)
		cosi_table_flush(w.table, stdout);
	if (err)
		rc = ctl_err("%s: %s", what, cosi_strerror(x->c, "watch"));
	else if (!w.err && a->count != 0)
		rc = ctl_stream_follow(x, s, a->timeout_ms, &w.done, what) ==
		     EXIT_FAIL ? EXIT_FAIL : EXIT_OK;	/* a timeout ends it */
	if (!rc && w.err)
		rc = out_err(w.err);
out:
	cosi_stream_free(s);
	cosi_table_free(w.table);
	err = cosi_yaml_close(w.yaml);
	if (err && !rc)
		rc = out_err(err);
	if (a->selector)
		cosi_selector_clear(&sel);
	return rc;
}
