// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd watch stream: POST /v3/watch with a create_request per
 * watcher; the gateway answers with JSON objects back to back
 * ({"result": {...}} per gRPC message), split anywhere by the transport,
 * so they are parsed incrementally with one json_tokener.  Each message
 * is decoded and handed to the caller; a message may not exceed the
 * client's reply cap.  With idle_usec, a timer ends a stream that sent
 * nothing for that long.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/etcd_internal.h"

struct etcd_watch {
	struct etcd *e;
	struct etcd_req *rq;	/* the stream; NULL once it ended */
	json_tokener *tok;	/* owned */
	size_t pending;		/* bytes of the message being parsed */
	size_t max;		/* ... at most */
	size_t weight;		/* its etcd_json_weight() */
	char *body;		/* the create requests, to send again; owned */
	size_t body_len;
	size_t n;		/* watchers in the stream */
	uint64_t idle_usec;	/* 0: a silent stream is never ended */
	sd_event_source *idle;	/* owned; armed while rq runs */
	bool reauthed;		/* created again after a token error */
	bool restart;		/* ... to be done when the data is handled */
	bool in_cb;		/* the caller's callback is running */
	bool freed;		/* etcd_watch_free() in the callback */
	etcd_watch_fn cb;
	void *arg;
};

static void watch_end(struct etcd_watch *w)
{
	etcd_cancel(w->rq);
	w->rq = NULL;
}

/*
 * One message.  0, or a negative errno with @msg: the stream is bad and
 * ends.  Sets *@stop when the caller is done with the stream.
 */
static int on_msg(struct etcd_watch *w, json_object *j, bool *stop,
		  char *msg, size_t len)
{
	struct etcd_watch_msg m;
	int err;

	err = etcd_msg_watch_result(j, w->n, &m, msg, len);
	if (err)
		return err;
	/*
	 * etcd 3.4 refuses a watch by creating and at once canceling it:
	 * an expired token (authenticate and create it again, once), or
	 * the roles (the end of the watch, with etcd's reason).
	 */
	err = m.canceled && m.cancel_reason ?
	      etcd_msg_text_err(m.cancel_reason) : 0;
	if (err == -EACCES || err == -EPERM) {
		if (err == -EACCES && etcd_msg_token_stale(m.cancel_reason) &&
		    !w->reauthed) {
			w->reauthed = w->restart = *stop = true;
			etcd_watch_msg_clear(&m);
			return 0;
		}
		snprintf(msg, len, "etcd watch: %s", m.cancel_reason);
		etcd_msg_clean(msg);
		etcd_watch_msg_clear(&m);
		return err;
	}
	w->in_cb = true;
	w->cb(w, 0, "", &m, w->arg);
	w->in_cb = false;
	etcd_watch_msg_clear(&m);
	/* The gateway keeps the HTTP stream of a canceled watch open. */
	*stop = m.canceled || w->freed;
	return 0;
}

static void watch_destroy(struct etcd_watch *w)
{
	watch_end(w);
	sd_event_source_disable_unref(w->idle);
	if (w->tok)
		json_tokener_free(w->tok);
	free(w->body);
	free(w);
}

static void on_end(struct etcd_req *rq, int err, const char *msg,
		   const struct etcd_reply *rep, void *arg);
static int on_data(void *arg, const char *p, size_t len, char *msg,
		   size_t mlen);
static void watch_failed(struct etcd_watch *w, int err, const char *msg);

/* Nothing came for idle_usec: the stream (or its peer) is dead. */
static int on_idle(sd_event_source *s, uint64_t usec, void *arg)
{
	struct etcd_watch *w = arg;
	char msg[ETCD_MSG_LEN];

	(void)s;
	(void)usec;
	if (!w->rq)
		return 0;
	if (w->idle_usec % 1000000)
		snprintf(msg, sizeof(msg), "etcd watch: nothing received in %llu ms",
			 (unsigned long long)(w->idle_usec / 1000));
	else
		snprintf(msg, sizeof(msg), "etcd watch: nothing received in %llu s",
			 (unsigned long long)(w->idle_usec / 1000000));
	etcd_req_stalled(w->rq);
	watch_end(w);
	watch_failed(w, -ETIMEDOUT, msg);
	return 0;
}

/* (Re)start the idle timer: 0, or -errno with @msg. */
static int idle_arm(struct etcd_watch *w, char *msg, size_t len)
{
	int err;

	if (!w->idle_usec)
		return 0;
	if (w->idle)
		err = sd_event_source_set_time_relative(w->idle, w->idle_usec) ?:
		      sd_event_source_set_enabled(w->idle, SD_EVENT_ONESHOT);
	else
		err = sd_event_add_time_relative(etcd_event(w->e), &w->idle,
						 CLOCK_MONOTONIC, w->idle_usec,
						 0, on_idle, w);
	if (err < 0)
		snprintf(msg, len, "etcd watch: cannot arm a timer: %s",
			 strerror(-err));
	return err < 0 ? err : 0;
}

/* (Re)send the create request, without a token if it was refused. */
static int watch_post(struct etcd_watch *w, char *msg, size_t len)
{
	struct etcd_post p = {
		.type = ETCD_REQ_WATCH, .path = "/v3/watch",
		.body = strndup(w->body, w->body_len), .body_len = w->body_len,
		.stream = on_data, .stream_arg = w,
	};

	if (!p.body) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	if (w->reauthed)
		etcd_forget_token(w->e);
	json_tokener_reset(w->tok);
	w->pending = w->weight = 0;
	return idle_arm(w, msg, len) ?:
	       etcd_post(w->e, &p, on_end, w, &w->rq, msg, len);
}

/* The watch ends with @err: the caller hears it (and may free it). */
static void watch_failed(struct etcd_watch *w, int err, const char *msg)
{
	w->rq = NULL;
	w->in_cb = true;
	w->cb(w, err, msg, NULL, w->arg);
	w->in_cb = false;
	if (w->freed)
		watch_destroy(w);
}

/* Stream data: whole messages are handed on, the rest kept in tok. */
static int on_data(void *arg, const char *p, size_t len, char *msg,
		   size_t mlen)
{
	struct etcd_watch *w = arg;
	size_t off = 0;
	bool stop = false;
	int err = idle_arm(w, msg, mlen);

	while (off < len && !stop && !err) {
		json_object *j = json_tokener_parse_ex(w->tok, p + off,
						       len - off);
		enum json_tokener_error te = json_tokener_get_error(w->tok);
		size_t used = j || te != json_tokener_continue ?
			      json_tokener_get_parse_end(w->tok) : len - off;

		/* Whitespace between messages counts as the next one's. */
		w->pending += used;
		w->weight += etcd_json_weight(p + off, used);
		off += used;
		if (w->pending > w->max) {
			snprintf(msg, mlen, "etcd watch message over %zu bytes",
				 w->max);
			err = -EMSGSIZE;
		} else if (w->weight > ETCD_JSON_WEIGHT_MAX) {
			snprintf(msg, mlen, "etcd watch message with too many JSON values");
			err = -EMSGSIZE;
		} else if (!j && te != json_tokener_continue) {
			snprintf(msg, mlen, "etcd watch stream: %s",
				 json_tokener_error_desc(te));
			err = -EPROTO;
		} else if (j) {
			w->pending = w->weight = 0;
			err = on_msg(w, j, &stop, msg, mlen);
			json_object_put(j);
		}
	}
	if (w->freed) {
		/* Freed by the callback: the request goes with it. */
		watch_destroy(w);
		return 0;
	}
	if (stop)
		watch_end(w);
	else if (err)
		w->rq = NULL;	/* the transport ends it, calling on_end */
	if (w->restart) {
		w->restart = false;
		err = watch_post(w, msg, mlen);
		if (err)
			watch_failed(w, err, msg);
		return 0;
	}
	return err;
}

/* The stream ended: connection lost, or on_data's error. */
static void on_end(struct etcd_req *rq, int err, const char *msg,
		   const struct etcd_reply *rep, void *arg)
{
	(void)rq;
	(void)rep;
	watch_failed(arg, err, msg);
}

int etcd_watch_start(struct etcd *e, const struct etcd_watch_opts *o,
		     etcd_watch_fn cb, void *arg, struct etcd_watch **wp,
		     char *msg, size_t len)
{
	struct etcd_watch *w = calloc(1, sizeof(*w));
	struct etcd_post p;
	int err;

	*wp = NULL;
	if (!w || !(w->tok = json_tokener_new())) {
		free(w);
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	w->e = e;
	w->cb = cb;
	w->arg = arg;
	w->max = etcd_reply_max(e);
	w->n = o->n_keys ? o->n_keys : 1;
	w->idle_usec = o->idle_usec;
	err = etcd_msg_watch(o, &p, msg, len);
	if (!err) {
		/* The body is kept to create the watch again. */
		w->body = p.body;
		w->body_len = p.body_len;
		err = watch_post(w, msg, len);
	}
	if (err) {
		w->rq = NULL;
		watch_destroy(w);
		return err;
	}
	*wp = w;
	return 0;
}

void etcd_watch_free(struct etcd_watch *w)
{
	if (!w)
		return;
	if (w->in_cb) {
		w->freed = true;	/* after the callback returns */
		return;
	}
	watch_destroy(w);
}
