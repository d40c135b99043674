// SPDX-License-Identifier: GPL-2.0
/*
 * Watches: ?watch=1[&resourceVersion=R], streamed as WatchEvent JSON
 * lines ({"type":"ADDED"|"MODIFIED"|"DELETED"|"ERROR","object":...}) in
 * a chunked response.
 *
 * Each watch is a libcosi resumable stream (cosi_stream) on the
 * request's own handle, one kernel watch per namespace: without R (or R
 * "0") it starts with every matching resource as ADDED, with R it
 * replays the changes after revision R from the kernel's history, and an
 * R older than that history is answered 410 Gone (reason Expired), so
 * that a client lists again.  Once running, a kernel overflow (the
 * socket's receive buffer full while this connection's client is slow)
 * is resumed by revision inside the stream, losing nothing.  Past the
 * history, a watch that started by listing lists again and reports what
 * vanished meanwhile as DELETED and what exists as ADDED; one that
 * started at R ends with an ERROR event, 410 Expired (the ids its client
 * holds came from the client's list, so what vanished cannot be told).
 *
 * The response's reader runs in the connection's own thread (one per
 * connection): it blocks in poll() on the cosi socket and the client's,
 * so a slow or stopped client holds its own thread and socket buffer
 * only, and a client that hangs up ends its watch at once.  A watch ends
 * after timeoutSeconds (at most --watch-max), or when the server stops;
 * a client that stops reading is dropped (stall_clock()).
 */
#include <errno.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/apiserver.h"
#include "common/selector.h"

struct watch {
	const struct api_server *srv;
	struct api_who who;
	struct cosi *c;
	struct api_catalog cat;
	const struct api_res *res;	/* in @cat */
	struct cosi_stream *s;
	struct cosi_selector sel;
	bool has_sel;
	char **ns;
	size_t n_ns;
	char *id;
	bool table;
	bool headers_sent;		/* Table: columns in the first only */
	struct MHD_Connection *conn;
	int client_fd;
	long deadline_ms;
	/* Rendered events not yet handed to libmicrohttpd. */
	char *buf;
	size_t len, off;
	int err;			/* rendering: -ENOMEM */
	bool ending;			/* send what is left, then end */
	struct cosi_stream_stats seen;	/* logged so far */
	bool from_rev;			/* started at a resourceVersion */
	size_t mark;			/* @len at a resume's first event */
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void append(struct watch *w, char *text, size_t n)
{
	char *b;

	if (!text) {
		w->err = -ENOMEM;
		return;
	}
	b = realloc(w->buf, w->len + n + 1);
	if (!b) {
		w->err = -ENOMEM;
		free(text);
		return;
	}
	memcpy(b + w->len, text, n);
	w->buf = b;
	w->len += n;
	free(text);
}

static void emit(struct watch *w, const char *type, struct json_object *obj)
{
	struct json_object *e = json_object_new_object();
	size_t n = 0;
	char *text;

	if (!e || !obj || json_object_object_add(e, "type",
					json_object_new_string(type)) ||
	    json_object_object_add(e, "object", obj)) {
		json_object_put(e);
		w->err = -ENOMEM;
		return;
	}
	text = api_json_text(e, true, &n);
	append(w, text, n);
}

static void emit_error(struct watch *w, int err, const char *msg)
{
	const char *reason;
	unsigned int code = api_errno_code(err, &reason);

	emit(w, "ERROR", api_status(code, reason, msg, w->res, NULL));
	w->ending = true;
}

static void on_event(struct cosi_event *ev, void *arg)
{
	struct watch *w = arg;
	const struct cosi_resource *r = ev->res;
	const char *type;

	switch (ev->kind) {
	case COSI_EVENT_KIND_CREATED:
		type = "ADDED";
		break;
	case COSI_EVENT_KIND_UPDATED:
		type = "MODIFIED";
		break;
	case COSI_EVENT_KIND_DESTROYED:
		type = "DELETED";
		break;
	default:			/* the bootstrapped marker */
		cosi_event_free(ev);
		return;
	}
	if (w->err || w->ending) {
		cosi_event_free(ev);
		return;
	}
	/* Where what a resume (or a listing again) delivers begins. */
	if (w->mark == SIZE_MAX &&
	    cosi_stream_stats(w->s)->resumes != w->seen.resumes)
		w->mark = w->len;
	/* The object is as of this event (a deletion's revision too). */
	ev->res->revision = ev->revision;
	if (w->table) {
		emit(w, type, api_table(w->res, &r, 1, ev->revision,
					!w->headers_sent));
		w->headers_sent = true;
	} else {
		emit(w, type, api_object(w->res, r));
	}
	cosi_event_free(ev);
}

/* A line in the log when the stream resumed or listed again. */
static void notes(struct watch *w)
{
	const struct cosi_stream_stats *st = cosi_stream_stats(w->s);

	if (st->bootstraps > w->seen.bootstraps)
		fprintf(stderr, "cosi-apiserver: watch of %s: events overflowed and the history no longer reached back; listed again (%llu deleted meanwhile)\n",
			w->res->plural,
			(unsigned long long)(st->vanished - w->seen.vanished));
	else if (st->resumes > w->seen.resumes)
		fprintf(stderr, "cosi-apiserver: watch of %s: events overflowed; resumed after revision %llu\n",
			w->res->plural,
			(unsigned long long)cosi_stream_revision(w->s));
	w->seen = *st;
}

/* Wait for events (up to a second) and render them. */
static void step(struct watch *w)
{
	struct pollfd p[2] = {
		{ .fd = cosi_fd(w->c), .events = POLLIN },
		{ .fd = w->client_fd, .events = POLLRDHUP },
	};
	long left = w->deadline_ms - now_ms();
	int n;

	if (left <= 0 || atomic_load(&w->srv->stopping)) {
		w->ending = true;
		return;
	}
	n = poll(p, w->client_fd >= 0 ? 2 : 1, left > 1000 ? 1000 : (int)left);
	if (n < 0 && errno != EINTR) {
		w->ending = true;
		return;
	}
	if (n <= 0)
		return;
	if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
		w->client_fd = -2;	/* gone: nothing more to send */
		return;
	}
	if (!(p[0].revents & (POLLIN | POLLERR)))
		return;
	/* A resume asks the kernel again: with the watch's role. */
	if (api_enter_role(&w->who)) {
		emit_error(w, -EPERM, "cannot drop capabilities for a read-only watch");
		return;
	}
	w->mark = SIZE_MAX;
	n = cosi_stream_dispatch(w->s, 0);
	/*
	 * The stream listed again past the history.  Its ids are those it
	 * saw, which for a watch started at R are not the client's (they
	 * came from the client's list): what vanished cannot be told, so
	 * the client must list again.  A watch that started by listing
	 * goes on (the vanished ones as DELETED, the rest as ADDED).
	 */
	if (w->from_rev &&
	    cosi_stream_stats(w->s)->bootstraps > w->seen.bootstraps) {
		if (w->mark != SIZE_MAX)
			w->len = w->mark;
		emit_error(w, -ENODATA, "the watch fell behind the kernel's event history: list again");
		n = 0;
	}
	notes(w);
	if (n < 0 && n != -EINTR)
		emit_error(w, n, cosi_family_gone(w->c) ?
			   "the cosi family went away (cosi.ko unloaded)" :
			   n == -ENOBUFS || n == -ENODATA || n == -EPERM ?
			   cosi_strerror(w->c, "watch") : strerror(-n));
}

/*
 * libmicrohttpd closes a connection whose last send (or receive) is
 * older than its timeout, checked while it waits to send: a client that
 * stops reading.  It is not checked while this reader blocks for events,
 * so a quiet watch lives to its deadline; each hand-off starts the clock
 * again (setting the timeout from 0 does: libmicrohttpd 0.9.75's
 * MHD_set_connection_option()).  A stalled client is dropped --timeout
 * seconds after the data it does not read, or a second past the watch's
 * deadline if that comes first.
 */
static void stall_clock(struct watch *w)
{
	long left = (w->deadline_ms - now_ms()) / 1000 + 1;
	unsigned int t = w->srv->timeout_s;

	if (left < 1)
		left = 1;
	if ((unsigned long)left < t)
		t = (unsigned int)left;
	MHD_set_connection_option(w->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0U);
	MHD_set_connection_option(w->conn, MHD_CONNECTION_OPTION_TIMEOUT, t);
}

static ssize_t watch_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct watch *w = cls;
	size_t n;

	(void)pos;
	for (;;) {
		if (w->off < w->len) {
			stall_clock(w);
			n = w->len - w->off;
			if (n > max)
				n = max;
			memcpy(out, w->buf + w->off, n);
			w->off += n;
			if (w->off == w->len)
				w->off = w->len = 0;
			return (ssize_t)n;
		}
		if (w->err || w->client_fd == -2)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (w->ending) {
			/* A kept-alive connection idles as any other. */
			MHD_set_connection_option(w->conn,
						  MHD_CONNECTION_OPTION_TIMEOUT,
						  w->srv->timeout_s);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		step(w);
	}
}

static void watch_free(void *cls)
{
	struct watch *w = cls;
	size_t i;

	if (!w)
		return;
	cosi_stream_free(w->s);
	cosi_close(w->c);
	api_catalog_clear(&w->cat);
	if (w->has_sel)
		cosi_selector_clear(&w->sel);
	for (i = 0; i < w->n_ns; i++)
		free(w->ns[i]);
	free(w->ns);
	free(w->id);
	free(w->buf);
	free(w);
}

/* Copy what outlives the request; 0 or -ENOMEM. */
static int watch_copy(struct watch *w, const struct api_watch_req *req)
{
	size_t i;

	w->ns = calloc(req->n_ns + 1, sizeof(*w->ns));
	if (!w->ns)
		return -ENOMEM;
	for (i = 0; i < req->n_ns; i++) {
		w->ns[i] = strdup(req->ns[i]);
		if (!w->ns[i])
			return -ENOMEM;
		w->n_ns++;
	}
	if (req->id) {
		w->id = strdup(req->id);
		if (!w->id)
			return -ENOMEM;
	}
	return 0;
}

enum MHD_Result api_watch(struct MHD_Connection *conn, struct cosi *c,
	      struct api_catalog *cat, const struct api_res *res,
	      const struct api_watch_req *req)
{
	const union MHD_ConnectionInfo *ci;
	struct watch *w = calloc(1, sizeof(*w));
	struct MHD_Response *resp;
	unsigned int max = req->srv->watch_max_s, secs;
	char msg[320];
	size_t i;
	enum MHD_Result ret;
	int err;

	if (!w) {
		cosi_close(c);
		api_catalog_clear(cat);
		return api_reply_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					"InternalError", "out of memory", NULL,
					NULL);
	}
	w->srv = req->srv;
	w->who = req->who;
	w->from_rev = req->has_since;
	w->mark = SIZE_MAX;
	w->c = c;
	w->cat = *cat;			/* moved: @res points into it */
	memset(cat, 0, sizeof(*cat));
	w->res = res;
	w->table = req->table;
	secs = req->timeout_s && req->timeout_s < max ? req->timeout_s : max;
	w->deadline_ms = now_ms() + secs * 1000L;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	w->client_fd = ci ? ci->connect_fd : -1;
	w->conn = conn;
	err = watch_copy(w, req);
	if (!err && req->selector) {
		if (cosi_selector_parse(req->selector, &w->sel, msg,
					sizeof(msg))) {
			ret = api_reply_status(conn, MHD_HTTP_BAD_REQUEST,
					       "BadRequest", msg, res, NULL);
			goto fail;
		}
		w->has_sel = true;
	}
	if (!err && req->srv->watch_rcvbuf)
		err = cosi_set_rcvbuf(c, req->srv->watch_rcvbuf);
	w->s = err ? NULL : cosi_stream_new(c, on_event, w);
	if (!w->s) {
		ret = api_reply_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "InternalError", err && err != -ENOMEM ?
				       strerror(-err) : "out of memory", res,
				       NULL);
		goto fail;
	}
	for (i = 0; i < w->n_ns; i++) {
		COSI_OPTS(cosi_watch_req, wr,
			.ns = w->ns[i], .type = res->def->type, .id = w->id,
			.has_since = req->has_since,
			.since_revision = req->since,
		);
		if (w->has_sel) {
			wr.queries = &w->sel.query;
			wr.n_queries = 1;
		}
		err = cosi_stream_add_req(w->s, &wr);
		if (err) {
			const char *reason;
			unsigned int code = api_errno_code(err, &reason);

			ret = api_reply_status(conn, code, reason,
					       cosi_strerror(c, "watch"), res,
					       NULL);
			goto fail;
		}
		/*
		 * The history did not reach back to R: the stream listed
		 * instead.  The client must list again (410 Gone).
		 */
		if (req->has_since && cosi_stream_stats(w->s)->bootstraps) {
			snprintf(msg, sizeof(msg), "too old resource version: %llu (the kernel's event history no longer reaches back to it)",
				 (unsigned long long)req->since);
			ret = api_reply_status(conn, MHD_HTTP_GONE, "Expired",
					       msg, res, NULL);
			goto fail;
		}
	}
	w->seen = *cosi_stream_stats(w->s);
	if (w->err) {
		ret = api_reply_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "InternalError", "out of memory", res,
				       NULL);
		goto fail;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
						 watch_read, w, watch_free);
	if (!resp)
		goto fail_nomsg;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-cache, private");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
fail_nomsg:
	ret = MHD_NO;
fail:
	watch_free(w);
	return ret;
}
