// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl wait TYPE ID --for create | delete | FIELD=VALUE: block on a
 * watch of the one resource until the condition holds (kubectl wait).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/resolve.h"
#include "cosictl/cosictl.h"
#include "cosictl/render.h"

static void on_event(struct cosi_event *ev, void *arg)
{
	cosictl_wait_event(arg, ev);
	cosi_event_free(ev);
}

int ctl_wait_check_field(const struct cosi_definition *def, const char *field)
{
	char list[256] = "";
	size_t i, off = 0;

	for (i = 0; i < def->n_fields; i++)
		if (!strcmp(def->fields[i].name, field))
			return EXIT_OK;
	for (i = 0; i < def->n_fields && off < sizeof(list); i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s",
				i ? ", " : "", def->fields[i].name);
	return ctl_err("wait %s: --for %s: unknown field (%s has: %s)",
		       def->type, field, def->type,
		       def->n_fields ? list : "no fields");
}

const char *ctl_wait_cond(const struct cosictl_args *a, char *buf, size_t len)
{
	if (a->wait_for == COSICTL_FOR_CREATE)
		return "create";
	if (a->wait_for == COSICTL_FOR_DELETE)
		return "delete";
	snprintf(buf, len, "%s=%s", a->for_field, a->for_value);
	return buf;
}

int cmd_wait(struct ctl *x)
{
	const struct cosictl_args *a = x->a;
	const struct cosi_definition *def = ctl_type(x, a->type);
	COSI_OPTS(cosi_watch_req, req, .id = a->id);
	struct cosictl_waiter w = { .a = a };
	struct cosi_stream *s;
	char what[600], cbuf[300], dur[32];
	const char *c;
	int rc;

	if (!def)
		return EXIT_FAIL;
	if (a->wait_for == COSICTL_FOR_FIELD && ctl_wait_check_field(def, a->for_field))
		return EXIT_FAIL;
	req.ns = a->ns ?: cosi_resolve_default_ns(def);
	req.type = def->type;
	c = ctl_wait_cond(a, cbuf, sizeof(cbuf));
	snprintf(what, sizeof(what), "wait %s/%s (namespace %s)", def->type,
		 a->id, req.ns);
	s = cosi_stream_new(x->c, on_event, &w);
	if (!s)
		return ctl_err("%s: out of memory", what);
	rc = cosi_stream_add_req(s, &req);
	if (rc) {
		cosi_stream_free(s);
		return ctl_err("%s: %s", what, cosi_strerror(x->c, "watch"));
	}
	rc = EXIT_OK;
	if (!w.met && !w.hidden && a->timeout_ms > 0)
		rc = ctl_stream_follow(x, s, a->timeout_ms, &w.met, what);
	cosi_stream_free(s);
	if (rc == EXIT_FAIL)
		return rc;
	if (w.hidden)
		return ctl_err("%s: --for %s: the spec is hidden (a sensitive type needs CAP_SYS_ADMIN)",
			       what, c);
	if (!w.met && cosictl_stop)
		return ctl_err("%s: interrupted waiting for %s", what, c);
	if (!w.met) {
		cosictl_fmt_duration(a->timeout_ms, dur, sizeof(dur));
		return ctl_err("%s: timed out after %s waiting for %s",
			       what, dur, c);
	}
	printf("%s/%s condition met\n", def->type, a->id);
	return EXIT_OK;
}
