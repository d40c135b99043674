// SPDX-License-Identifier: GPL-2.0
/*
 * Requests: authentication, routing, discovery, get and list.
 *
 *   /version, /api, /apis, /apis/cosi.dev, /apis/cosi.dev/v1alpha1
 *   /apis/cosi.dev/v1alpha1/{plural}                       list, watch
 *   /apis/cosi.dev/v1alpha1/namespaces/{ns}/{plural}       list, watch
 *   /apis/cosi.dev/v1alpha1/namespaces/{ns}/{plural}/{id}  get
 *
 * Every request is answered at the handler's second call, once its
 * headers are in (answering at the first, libmicrohttpd takes the reply
 * as an early one and closes the connection: no keep-alive).  No body is
 * read or kept (a request with one is answered and its connection closed
 * by libmicrohttpd).  Path segments are unescaped one by one (an id may
 * hold "%2F"), query values as application/x-www-form-urlencoded; an
 * escaped NUL in either is a 400, an empty segment a 404.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver.h"
#include "common/caps.h"
#include "common/resolve.h"
#include "common/selector.h"

#define MAX_SEGS	8

/* Queue @o (dropped); @retry_after: a Retry-After header, or NULL. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     struct json_object *o, const char *retry_after)
{
	static char oom[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"InternalError\",\"message\":\"out of memory\",\"code\":500}";
	struct MHD_Response *resp;
	size_t len = 0;
	char *text = api_json_text(o, false, &len);
	enum MHD_Result ret;

	if (text) {
		resp = MHD_create_response_from_buffer(len, text,
						       MHD_RESPMEM_MUST_FREE);
	} else {
		code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		resp = MHD_create_response_from_buffer(strlen(oom), oom,
						MHD_RESPMEM_PERSISTENT);
	}
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-cache, private");
	if (retry_after && code != MHD_HTTP_INTERNAL_SERVER_ERROR)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
					retry_after);
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result api_reply(struct MHD_Connection *conn, unsigned int code,
	      struct json_object *o)
{
	return reply(conn, code, o, NULL);
}

enum MHD_Result api_reply_status(struct MHD_Connection *conn, unsigned int code,
		     const char *reason, const char *msg,
		     const struct api_res *res, const char *name)
{
	return api_reply(conn, code, api_status(code, reason, msg, res, name));
}

unsigned int api_errno_code(int err, const char **reason)
{
	switch (err < 0 ? -err : err) {
	case ENOENT:
		*reason = "NotFound";
		return MHD_HTTP_NOT_FOUND;
	case EPERM:
	case EACCES:
		*reason = "Forbidden";
		return MHD_HTTP_FORBIDDEN;
	case EINVAL:
	case ERANGE:
	case E2BIG:
		*reason = "BadRequest";
		return MHD_HTTP_BAD_REQUEST;
	case ENODATA:
		*reason = "Expired";
		return MHD_HTTP_GONE;
	case ENOSPC:
		*reason = "TooManyRequests";
		return MHD_HTTP_TOO_MANY_REQUESTS;
	case ETIMEDOUT:
		*reason = "Timeout";
		return MHD_HTTP_GATEWAY_TIMEOUT;
	}
	*reason = "InternalError";
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* Reply with @c's last error (op @op) as a Status. */
static enum MHD_Result reply_cosi_err(struct MHD_Connection *conn, struct cosi *c,
			  int err, const char *op, const struct api_res *res,
			  const char *name)
{
	const char *reason;
	unsigned int code = api_errno_code(err, &reason);

	return api_reply_status(conn, code, reason, cosi_strerror(c, op), res,
				name);
}

int api_enter_role(const struct api_who *who)
{
	const uint64_t m = COSI_CAP(CAP_NET_ADMIN) | COSI_CAP(CAP_SYS_ADMIN);

	if (who->role != API_ROLE_OPERATOR)
		return cosi_caps_set_effective(m, false);
	/* Each one the server holds (a server without one runs so). */
	cosi_caps_set_effective(COSI_CAP(CAP_NET_ADMIN), true);
	cosi_caps_set_effective(COSI_CAP(CAP_SYS_ADMIN), true);
	return 0;
}

struct cosi *api_open(const struct api_who *who)
{
	struct cosi *c;
	int rerr;

	if (who->role == API_ROLE_OPERATOR)
		return cosi_open();
	/*
	 * The thread has dropped them already (api_enter_role()); the
	 * socket is opened without them as well, so that the kernel's
	 * checks of the opener's file credentials (writer-caps) see none
	 * either, whatever the thread held later.
	 */
	c = cosi_open_reduced(COSI_CAP(CAP_NET_ADMIN) |
			      COSI_CAP(CAP_SYS_ADMIN), &rerr);
	if (rerr)
		fprintf(stderr, "cosi-apiserver: raising capabilities again after opening a read-only handle: %s\n",
			strerror(-rerr));
	return c;
}

/*
 * A query argument, unescaped (x-www-form-urlencoded); malloc()ed, NULL
 * when absent (or on ENOMEM: has_arg() tells).
 */
static char *arg(struct MHD_Connection *conn, const char *key)
{
	const char *v = MHD_lookup_connection_value(conn,
					MHD_GET_ARGUMENT_KIND, key);
	char *s, *p;

	if (!v)
		return NULL;
	s = strdup(v);
	if (!s)
		return NULL;
	for (p = s; *p; p++)
		if (*p == '+')
			*p = ' ';
	MHD_http_unescape(s);
	return s;
}

static bool has_arg(struct MHD_Connection *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

static bool arg_true(struct MHD_Connection *conn, const char *key)
{
	char *v = arg(conn, key);
	bool t = v && (!strcmp(v, "1") || !strcmp(v, "true"));

	free(v);
	return t;
}

/* Whether @s unescapes to a string of its own length (no "%00"). */
static bool unescapes_whole(const char *s)
{
	char *t;
	bool ok;

	if (!s)
		return true;
	t = strdup(s);
	if (!t)
		return false;
	ok = MHD_http_unescape(t) == strlen(t);
	free(t);
	return ok;
}

static enum MHD_Result arg_nul(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	bool *bad = cls;

	(void)kind;
	if (!unescapes_whole(key) || !unescapes_whole(value)) {
		*bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

/* Whether a query key or value holds an escaped NUL (or ENOMEM). */
static bool args_bad(struct MHD_Connection *conn)
{
	bool bad = false;

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, arg_nul, &bad);
	return bad;
}

/*
 * Split the raw path into unescaped segments (in @buf): their number;
 * -1: too long, too many or an empty segment (one trailing "/" is
 * allowed), which no route has; -2: a segment unescapes to a NUL.
 */
static int split_path(const char *url, char *buf, size_t len,
		      char **seg, int max)
{
	char *p, *q;
	int n = 0;

	if (strlen(url) >= len || url[0] != '/')
		return -1;
	strcpy(buf, url);
	for (p = buf + 1; *p; p = q + 1) {
		q = strchr(p, '/');
		if (q)
			*q = 0;
		if (!*p || n == max)
			return -1;
		if (MHD_http_unescape(p) != strlen(p))
			return -2;
		seg[n++] = p;
		if (!q)
			break;
	}
	return n;
}

static enum MHD_Result reply_version(struct MHD_Connection *conn)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "major", json_object_new_string("0"));
	json_object_object_add(o, "minor", json_object_new_string("1"));
	json_object_object_add(o, "gitVersion",
			       json_object_new_string("v" COSI_VERSION "-cosi"));
	json_object_object_add(o, "platform",
			       json_object_new_string("linux"));
	return api_reply(conn, MHD_HTTP_OK, o);
}

/* /api: no core group ("v1") is served. */
static enum MHD_Result reply_api(struct MHD_Connection *conn)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string("APIVersions"));
	json_object_object_add(o, "versions", json_object_new_array());
	json_object_object_add(o, "serverAddressByClientCIDRs",
			       json_object_new_array());
	return api_reply(conn, MHD_HTTP_OK, o);
}

/*
 * /api/v1/namespaces/{ns}: kubectl reads it to explain a NotFound.  cosi
 * namespaces are implicit (a name any resource may use), so each exists.
 */
static enum MHD_Result reply_namespace(struct MHD_Connection *conn,
				       const char *ns)
{
	struct json_object *o = json_object_new_object();
	struct json_object *m = json_object_new_object();
	struct json_object *st = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string("Namespace"));
	json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(m, "name", json_object_new_string(ns));
	json_object_object_add(o, "metadata", m);
	json_object_object_add(st, "phase", json_object_new_string("Active"));
	json_object_object_add(o, "status", st);
	return api_reply(conn, MHD_HTTP_OK, o);
}

static struct json_object *group(void)
{
	struct json_object *g = json_object_new_object();
	struct json_object *v = json_object_new_object();
	struct json_object *vs = json_object_new_array();

	json_object_object_add(v, "groupVersion",
			       json_object_new_string(API_GV));
	json_object_object_add(v, "version",
			       json_object_new_string(API_VERSION));
	json_object_object_add(g, "name", json_object_new_string(API_GROUP));
	json_object_array_add(vs, json_object_get(v));
	json_object_object_add(g, "versions", vs);
	json_object_object_add(g, "preferredVersion", v);
	return g;
}

/*
 * The discovery documents are small and fixed in shape: json-c's
 * setters on a NULL object are no-ops, and a json_object_to_json_string
 * of a partly built one is caught by api_reply() only when the top
 * object is NULL; ENOMEM here yields a smaller document at worst.
 */
static enum MHD_Result reply_apis(struct MHD_Connection *conn)
{
	struct json_object *o = json_object_new_object();
	struct json_object *gs = json_object_new_array();

	json_object_object_add(o, "kind", json_object_new_string("APIGroupList"));
	json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
	json_object_array_add(gs, group());
	json_object_object_add(o, "groups", gs);
	return api_reply(conn, MHD_HTTP_OK, o);
}

static enum MHD_Result reply_group(struct MHD_Connection *conn)
{
	struct json_object *o = group();

	json_object_object_add(o, "kind", json_object_new_string("APIGroup"));
	json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
	return api_reply(conn, MHD_HTTP_OK, o);
}

static struct json_object *api_resource(const struct api_res *r)
{
	static const char *const verbs[] = { "get", "list", "watch" };
	struct json_object *o = json_object_new_object();
	struct json_object *v = json_object_new_array();
	struct json_object *sn = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		json_object_array_add(v, json_object_new_string(verbs[i]));
	for (i = 0; i < r->def->aliases.n; i++)
		if (api_short_name(r, r->def->aliases.v[i]))
			json_object_array_add(sn,
				json_object_new_string(r->def->aliases.v[i]));
	json_object_object_add(o, "name", json_object_new_string(r->plural));
	json_object_object_add(o, "singularName",
			       json_object_new_string(r->singular));
	json_object_object_add(o, "namespaced", json_object_new_boolean(1));
	json_object_object_add(o, "kind", json_object_new_string(r->kind));
	json_object_object_add(o, "verbs", v);
	json_object_object_add(o, "shortNames", sn);
	json_object_object_add(o, "categories", json_object_new_array());
	return o;
}

static enum MHD_Result reply_resources(struct MHD_Connection *conn,
			   const struct api_catalog *cat)
{
	struct json_object *o = json_object_new_object();
	struct json_object *rs = json_object_new_array();
	size_t i;

	json_object_object_add(o, "kind",
			       json_object_new_string("APIResourceList"));
	json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(o, "groupVersion",
			       json_object_new_string(API_GV));
	for (i = 0; i < cat->n; i++)
		json_object_array_add(rs, api_resource(&cat->v[i]));
	json_object_object_add(o, "resources", rs);
	return api_reply(conn, MHD_HTTP_OK, o);
}

/* Kubernetes' Table form: what kubectl asks for to print a table. */
static bool wants_table(struct MHD_Connection *conn)
{
	const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_ACCEPT);

	return a && strstr(a, "as=Table") && strstr(a, "g=meta.k8s.io");
}

/* The namespaces of an all-namespaces request (malloc()ed array). */
static const char **all_namespaces(const struct api_server *srv,
				   const struct api_catalog *cat, size_t *n)
{
	const char **v = calloc(cat->n + srv->n_extra_ns + 1, sizeof(*v));
	const char *ns;
	size_t i, j, k = 0;

	if (!v)
		return NULL;
	for (i = 0; i < cat->n + srv->n_extra_ns; i++) {
		ns = i < cat->n ? cosi_resolve_default_ns(cat->v[i].def) :
		     srv->extra_ns[i - cat->n];
		for (j = 0; j < k && strcmp(v[j], ns); j++)
			;
		if (j == k)
			v[k++] = ns;
	}
	*n = k;
	return v;
}

/*
 * fieldSelector: metadata.name=X (==X), metadata.namespace=X, joined by
 * commas.  0, or -EINVAL with @msg set.
 */
static int field_selector(char *fs, const char **name, const char **ns,
			  char *msg, size_t len)
{
	char *t, *save = NULL, *v;

	for (t = strtok_r(fs, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		v = strchr(t, '=');
		if (!v)
			goto bad;
		*v++ = 0;
		if (*v == '=')
			v++;
		if (!strcmp(t, "metadata.name"))
			*name = v;
		else if (!strcmp(t, "metadata.namespace"))
			*ns = v;
		else
			goto bad;
	}
	return 0;
bad:
	snprintf(msg, len, "fieldSelector: only metadata.name=X and metadata.namespace=X are supported");
	return -EINVAL;
}

/*
 * List @res in @nss; the lists go to @lists (one per namespace).
 * -EAGAIN: a list changed while it was read, three times in a row.
 */
static int list_all(struct cosi *c, const struct api_res *res,
		    const char *const *nss, size_t n_ns,
		    const struct cosi_selector *sel, const char *id,
		    struct cosi_list **lists)
{
	size_t i;
	int err = 0, tries;

	for (i = 0; !err && i < n_ns; i++) {
		COSI_OPTS(cosi_list_req, q, .ns = nss[i], .type = res->def->type,
			  .id_prefix = id);
		if (sel) {
			q.queries = &sel->query;
			q.n_queries = 1;
		}
		/* A list that changed while it was read is read again. */
		for (tries = 0; tries < 3; tries++) {
			err = cosi_list(c, &q, &lists[i]);
			if (err || !lists[i]->intr)
				break;
			cosi_list_free(lists[i]);
			lists[i] = NULL;
		}
		if (!err && !lists[i])
			err = -EAGAIN;
	}
	return err;
}

/*
 * The netns's revision now (the store's, every namespace's): the
 * bootstrapped marker of a watch that neither lists nor replays, on a
 * handle of its own (closing it ends the watch).  0, or a negative errno
 * with @msg set.
 */
static int store_revision(const struct api_who *who, const char *ns,
			  const char *type, uint64_t *rev, char *msg,
			  size_t len)
{
	COSI_OPTS(cosi_watch_req, wr, .ns = ns, .type = type);
	struct cosi *c = api_open(who);
	int err;

	if (!c) {
		snprintf(msg, len, "cannot open a cosi handle (is cosi.ko loaded?)");
		return -EAGAIN;
	}
	err = cosi_watch(c, &wr, NULL, NULL, NULL, rev);
	if (err)
		snprintf(msg, len, "%s", cosi_strerror(c, "watch"));
	cosi_close(c);
	return err;
}

/*
 * Get or list (or watch: watch.c) resources.  The list's resourceVersion
 * is the store's revision taken before the list was read, or the newest
 * item's if a change came in between: a watch from it replays every
 * change after it (one the list showed already at worst: the same state
 * again), and it is as new as the history gets, however quiet the listed
 * collection is.  An empty list has it too.
 */
static enum MHD_Result serve_resources(const struct api_server *srv,
			   struct MHD_Connection *conn,
			   const struct api_who *who, const char *ns,
			   const char *plural, const char *name)
{
	struct cosi_list **lists = NULL;
	const struct cosi_resource **v = NULL;
	struct cosi_resource *one = NULL;
	const struct api_res *res;
	struct api_catalog cat;
	struct cosi_selector sel, *selp = NULL;
	const char **nss = NULL, *fs_name = NULL, *fs_ns = NULL;
	char *ls = arg(conn, "labelSelector"), *fs = arg(conn, "fieldSelector");
	char *rv = arg(conn, "resourceVersion"), *to = arg(conn, "timeoutSeconds");
	bool table = wants_table(conn), watch = arg_true(conn, "watch");
	size_t n_ns = 1, n = 0, i, j;
	struct cosi *c = api_open(who);
	uint64_t rev = 0;
	unsigned long secs = 0;
	char msg[320], *end;
	enum MHD_Result ret;
	int err;

	memset(&cat, 0, sizeof(cat));
	/* An argument lost to ENOMEM must not widen the answer. */
	if ((!ls && has_arg(conn, "labelSelector")) ||
	    (!fs && has_arg(conn, "fieldSelector")) ||
	    (!rv && has_arg(conn, "resourceVersion")) ||
	    (!to && has_arg(conn, "timeoutSeconds"))) {
		ret = api_reply_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "InternalError", "out of memory", NULL,
				       NULL);
		goto out;
	}
	if (!c) {
		ret = api_reply_status(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				       "ServiceUnavailable",
				       "cannot open a cosi handle (is cosi.ko loaded?)",
				       NULL, NULL);
		goto out;
	}
	err = api_catalog_load(c, &cat);
	if (err) {
		ret = reply_cosi_err(conn, c, err, "definition-get", NULL,
				     NULL);
		goto out;
	}
	res = api_catalog_find(&cat, plural);
	if (!res) {
		snprintf(msg, sizeof(msg), "the server could not find the requested resource \"%s\"",
			 plural);
		ret = api_reply_status(conn, MHD_HTTP_NOT_FOUND, "NotFound",
				       msg, NULL, NULL);
		goto out;
	}
	if (name && watch) {
		fs_name = name;
	} else if (name) {
		err = cosi_resource_get(c, ns, res->def->type, name, &one);
		if (err == -ENOENT) {
			snprintf(msg, sizeof(msg), "%s." API_GROUP " \"%s\" not found",
				 res->plural, name);
			ret = api_reply_status(conn, MHD_HTTP_NOT_FOUND,
					       "NotFound", msg, res, name);
		} else if (err) {
			ret = reply_cosi_err(conn, c, err, "resource-get", res,
					     name);
		} else if (table) {
			v = calloc(1, sizeof(*v));
			if (v)
				v[0] = one;
			ret = api_reply(conn, MHD_HTTP_OK,
					v ? api_table(res, v, 1, one->revision,
						      true) : NULL);
		} else {
			ret = api_reply(conn, MHD_HTTP_OK, api_object(res, one));
		}
		goto out;
	}
	/*
	 * client-go's WatchList: refused as Kubernetes refuses it with the
	 * feature off, so that the client lists and watches instead.
	 */
	if (has_arg(conn, "sendInitialEvents")) {
		ret = api_reply_status(conn, MHD_HTTP_UNPROCESSABLE_CONTENT,
				       "Invalid",
				       "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is not supported by this server (list, then watch)",
				       res, NULL);
		goto out;
	}
	if (to) {
		errno = 0;
		secs = strtoul(to, &end, 10);
		if (errno || *end || to[0] < '0' || to[0] > '9' ||
		    secs > UINT32_MAX) {
			snprintf(msg, sizeof(msg), "timeoutSeconds: expected a number of seconds, got \"%.200s\"",
				 to);
			ret = api_reply_status(conn, MHD_HTTP_BAD_REQUEST,
					       "BadRequest", msg, res, NULL);
			goto out;
		}
	}
	if (fs && field_selector(fs, &fs_name, &fs_ns, msg, sizeof(msg))) {
		ret = api_reply_status(conn, MHD_HTTP_BAD_REQUEST,
				       "BadRequest", msg, res, NULL);
		goto out;
	}
	if (ls && *ls) {
		if (cosi_selector_parse(ls, &sel, msg, sizeof(msg))) {
			ret = api_reply_status(conn, MHD_HTTP_BAD_REQUEST,
					       "BadRequest", msg, res, NULL);
			goto out;
		}
		selp = &sel;
	}
	if (fs_ns && ns && strcmp(fs_ns, ns))
		n_ns = 0;		/* nothing matches both */
	else if (!ns && fs_ns)
		ns = fs_ns;
	nss = ns ? calloc(1, sizeof(*nss)) : all_namespaces(srv, &cat, &n_ns);
	if (!nss) {
		ret = api_reply_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "InternalError", "out of memory", res,
				       NULL);
		goto out;
	}
	if (ns)
		nss[0] = ns;
	/* metadata.name= names nothing: no namespace to read. */
	if (fs_name && !*fs_name)
		n_ns = 0;
	if (watch) {
		struct api_watch_req wr = {
			.srv = srv, .who = *who, .ns = nss, .n_ns = n_ns,
			.id = fs_name, .selector = ls && *ls ? ls : NULL,
			.table = table,
		};

		if (rv && *rv && strcmp(rv, "0")) {
			errno = 0;
			wr.since = strtoull(rv, &end, 10);
			if (errno || *end || rv[0] == '-') {
				ret = api_reply_status(conn,
					MHD_HTTP_BAD_REQUEST, "BadRequest",
					"resourceVersion: not a cosi revision",
					res, NULL);
				goto out;
			}
			wr.has_since = true;
		}
		if (to)
			wr.timeout_s = (unsigned int)secs;
		/* The watch owns the handle and the catalog from here. */
		ret = api_watch(conn, c, &cat, res, &wr);
		c = NULL;
		goto out;
	}
	lists = calloc(n_ns + 1, sizeof(*lists));
	if (!lists) {
		ret = api_reply_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "InternalError", "out of memory", res,
				       NULL);
		goto out;
	}
	/* Before the list: no change after it can be missed. */
	err = store_revision(who, n_ns ? nss[0] :
			     cosi_resolve_default_ns(res->def), res->def->type,
			     &rev, msg, sizeof(msg));
	if (err) {
		const char *reason;
		unsigned int code = api_errno_code(err, &reason);

		ret = api_reply_status(conn, code, reason, msg, res, NULL);
		goto out;
	}
	err = list_all(c, res, nss, n_ns, selp, fs_name, lists);
	if (err == -EAGAIN) {
		ret = reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
			    api_status(MHD_HTTP_SERVICE_UNAVAILABLE,
				       "ServiceUnavailable",
				       "the list changed while it was read, three times: retry",
				       res, NULL), "1");
		goto out;
	}
	if (err) {
		ret = reply_cosi_err(conn, c, err, "resource-get", res, NULL);
		goto out;
	}
	for (i = 0; i < n_ns; i++)
		n += lists[i]->n;
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		ret = api_reply_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "InternalError", "out of memory", res,
				       NULL);
		goto out;
	}
	n = 0;
	for (i = 0; i < n_ns; i++) {
		for (j = 0; j < lists[i]->n; j++) {
			const struct cosi_resource *r = lists[i]->v[j];

			/* id_prefix narrowed it: the name is exact. */
			if (fs_name && strcmp(r->id, fs_name))
				continue;
			v[n++] = r;
			if (r->revision > rev)
				rev = r->revision;
		}
	}
	ret = api_reply(conn, MHD_HTTP_OK, table ?
			api_table(res, v, n, rev, true) :
			api_list(res, v, n, rev));
out:
	for (i = 0; lists && i < n_ns; i++)
		cosi_list_free(lists[i]);
	free(lists);
	free(v);
	free(nss);
	cosi_resource_free(one);
	if (selp)
		cosi_selector_clear(selp);
	api_catalog_clear(&cat);
	cosi_close(c);
	free(ls);
	free(fs);
	free(rv);
	free(to);
	return ret;
}

static enum MHD_Result serve_discovery(struct MHD_Connection *conn,
			   const struct api_who *who)
{
	struct api_catalog cat;
	struct cosi *c = api_open(who);
	enum MHD_Result ret;
	int err;

	if (!c)
		return api_reply_status(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				"ServiceUnavailable",
				"cannot open a cosi handle (is cosi.ko loaded?)",
				NULL, NULL);
	err = api_catalog_load(c, &cat);
	ret = err ? reply_cosi_err(conn, c, err, "definition-get", NULL, NULL) :
	      reply_resources(conn, &cat);
	if (!err)
		api_catalog_clear(&cat);
	cosi_close(c);
	return ret;
}

static enum MHD_Result not_found(struct MHD_Connection *conn, const char *url)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "the server could not find the requested resource (%.200s)",
		 url);
	return api_reply_status(conn, MHD_HTTP_NOT_FOUND, "NotFound", msg,
				NULL, NULL);
}

static enum MHD_Result route(const struct api_server *srv, struct MHD_Connection *conn,
		 const struct api_who *who, const char *url)
{
	char buf[2048], *s[MAX_SEGS];
	int n = split_path(url, buf, sizeof(buf), s, MAX_SEGS);

	if (n == -2 || args_bad(conn))
		return api_reply_status(conn, MHD_HTTP_BAD_REQUEST,
					"BadRequest",
					"an escaped NUL (%00) in the path or a query argument",
					NULL, NULL);

	if (n == 1 && !strcmp(s[0], "version"))
		return reply_version(conn);
	if (n == 1 && !strcmp(s[0], "api"))
		return reply_api(conn);
	if (n == 4 && !strcmp(s[0], "api") && !strcmp(s[1], "v1") &&
	    !strcmp(s[2], "namespaces"))
		return reply_namespace(conn, s[3]);
	if (n < 1 || strcmp(s[0], "apis"))
		return not_found(conn, url);
	if (n == 1)
		return reply_apis(conn);
	if (strcmp(s[1], API_GROUP))
		return not_found(conn, url);
	if (n == 2)
		return reply_group(conn);
	if (strcmp(s[2], API_VERSION))
		return not_found(conn, url);
	if (n == 3)
		return serve_discovery(conn, who);
	if (n == 4)
		return serve_resources(srv, conn, who, NULL, s[3], NULL);
	if (strcmp(s[3], "namespaces") || n < 6)
		return not_found(conn, url);
	if (n == 6)
		return serve_resources(srv, conn, who, s[4], s[5], NULL);
	if (n == 7)
		return serve_resources(srv, conn, who, s[4], s[5], s[6]);
	return not_found(conn, url);
}

static bool has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl && strcmp(cl, "0")) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

enum MHD_Result api_handle(void *cls, struct MHD_Connection *conn, const char *url,
	       const char *method, const char *version,
	       const char *upload_data, size_t *upload_data_size,
	       void **req_cls)
{
	const struct api_server *srv = cls;
	struct api_who who;
	char msg[300];

	static int seen;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	/*
	 * The first call has the headers: answer a read without a body at
	 * the second, or libmicrohttpd closes the connection after the
	 * reply.  Anything else is answered now, its body unread, and its
	 * connection closed.  Each request authenticates and takes its role
	 * anew (below), whatever an earlier one on the connection had.
	 */
	if (!*req_cls && !has_body(conn) &&
	    (!strcmp(method, MHD_HTTP_METHOD_GET) ||
	     !strcmp(method, MHD_HTTP_METHOD_HEAD))) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (api_authenticate(srv, conn, &who, msg, sizeof(msg)))
		return api_reply_status(conn, MHD_HTTP_UNAUTHORIZED,
					"Unauthorized", msg, NULL, NULL);
	if (who.role == API_ROLE_NONE) {
		snprintf(msg, sizeof(msg), "user \"%s\" has no cosi role (a certificate with O=cosi:operator or O=cosi:read-only)",
			 who.user);
		return api_reply_status(conn, MHD_HTTP_FORBIDDEN, "Forbidden",
					msg, NULL, NULL);
	}
	/*
	 * The kernel checks the sending thread's capabilities for reads of
	 * sensitive types (libnl addresses every message, so the socket
	 * opener's do not count there): this connection's thread runs the
	 * request, and a watch's later reads, with its role's.
	 */
	if (api_enter_role(&who))
		return api_reply_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					"InternalError",
					"cannot drop capabilities for a read-only request",
					NULL, NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		snprintf(msg, sizeof(msg), "%s is not supported: this server reads (get, list, watch)",
			 method);
		return api_reply_status(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					"MethodNotAllowed", msg, NULL, NULL);
	}
	return route(srv, conn, &who, url);
}
