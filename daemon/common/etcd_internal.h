/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the etcd client (etcd.c: transport on curl multi and sd-event;
 * etcd_msg.c: request bodies, replies and watch messages in the
 * gateway's JSON; etcd_watch.c: the watch stream).  Not for users of
 * common/etcd.h.
 */
#ifndef _COSI_COMMON_ETCD_INTERNAL_H
#define _COSI_COMMON_ETCD_INTERNAL_H

#include <json-c/json.h>

#include "common/etcd.h"

/* Requests the client sends on its own, beside enum etcd_req_type. */
#define ETCD_REQ_AUTH		(-1)
#define ETCD_REQ_WATCH		(-2)
/* The type of a post for ETCD_REQ_KV: the reply depends on the op. */
#define ETCD_POST_KV(op)	(ETCD_REQ_KV | (op) << 8)

/*
 * Stream data of a request (the watch), called from the loop outside
 * curl's callbacks: consumes @len bytes and returns 0 (it may have
 * canceled its request then), or returns a negative errno with @msg and
 * the request ends with it (its callback runs).
 */
typedef int (*etcd_stream_fn)(void *arg, const char *p, size_t len,
			      char *msg, size_t mlen);

/*
 * A request as the transport sees it: a POST of @body to @path.  @body is
 * handed over (freed by the transport).  @stream: the reply is a stream
 * given to the function as it comes, without a timeout, instead of one
 * JSON reply parsed for @type.
 */
struct etcd_post {
	int type;
	const char *path;
	char *body;
	size_t body_len;
	etcd_stream_fn stream;
	void *stream_arg;
};

/*
 * @rq's member stopped answering (a watch silent for too long): the
 * requests after it go to the next endpoint, as after a timeout.
 */
void etcd_req_stalled(struct etcd_req *rq);
/* The cap on one reply or watch message. */
size_t etcd_reply_max(struct etcd *e);

/*
 * What parsing JSON costs, counted on its bytes before json-c builds
 * it: an object (about 1 KiB in json-c) weighs ETCD_JSON_OBJECT, a value
 * in an array or object (a comma) 1.  One reply or watch message may
 * weigh at most ETCD_JSON_WEIGHT_MAX: room for ETCD_KVS_MAX events with
 * their prev_kv, and some 40 MiB of json-c at worst.
 */
#define ETCD_JSON_OBJECT	16
#define ETCD_JSON_WEIGHT_MAX	(64 * ETCD_KVS_MAX)
size_t etcd_json_weight(const char *p, size_t len);

int etcd_post(struct etcd *e, struct etcd_post *p, etcd_done_fn cb,
	      void *arg, struct etcd_req **rqp, char *msg, size_t len);
/* etcd refused the token: the next request authenticates again. */
void etcd_forget_token(struct etcd *e);

/* etcd_msg.c: the POST for @r: path and a new JSON body. */
int etcd_msg_build(const struct etcd_request *r, struct etcd_post *p,
		   char *msg, size_t len);
int etcd_msg_auth(const char *user, const char *password,
		  struct etcd_post *p);
int etcd_msg_watch(const struct etcd_watch_opts *o, struct etcd_post *p,
		   char *msg, size_t len);
/* A JSON string of @len bytes of @s in base64; NULL without memory. */
json_object *etcd_b64(const void *s, size_t len);
/* Decode the base64 member @name of @o (absent: ""). */
int etcd_unb64_member(json_object *o, const char *name, char **out,
		      size_t *len);

/*
 * The gateway wraps an error as {"error": "...", "message": "...",
 * "code": N} (gRPC status); -errno with the text in @msg.
 */
int etcd_msg_error(json_object *j, char *msg, size_t len);
/* Control characters of the server's text in @msg: '?' (one line). */
void etcd_msg_clean(char *msg);
/* The errno etcd's message @text says (0: none known). */
int etcd_msg_text_err(const char *text);
/*
 * Whether etcd's @text refuses the token itself (expired, unknown to a
 * restarted member, or issued before the last user or role change):
 * authenticating again fixes it.
 */
bool etcd_msg_token_stale(const char *text);
/*
 * The server's array @a of at most @max entries: its length in @n and a
 * zeroed allocation of that many @size-byte entries in @out (the caller's
 * to free); -EPROTO (not an array), -EMSGSIZE (over @max), -ENOMEM.
 */
int etcd_msg_array(json_object *a, size_t max, size_t size, void **out,
		   size_t *n);
int etcd_msg_header(json_object *j, struct etcd_header *h);
int etcd_msg_kv(json_object *j, struct etcd_kv *kv);
void etcd_kv_free(struct etcd_kv *kv);
/*
 * Decode the reply @j to a request of @type into @rep.  The server's
 * numbers and flags are checked: an int64 a decimal string (or a JSON
 * integer) within int64, >= 0 but for a lease's TTL; a flag a JSON
 * boolean; "kvs" an array.  -EPROTO for what is not (after it,
 * etcd_msg_bad_member() names the member if it was one of those).
 */
int etcd_msg_reply(int type, json_object *j, struct etcd_reply *rep);
/* The member the last decode on this thread found malformed, or NULL. */
const char *etcd_msg_bad_member(void);
/*
 * One message @j of the watch stream into @m: its header, events (freed
 * by etcd_watch_msg_clear(); nothing to free after an error), flags and
 * cancel_reason (borrowed from @j), the watcher (of @n_watchers: watch_id
 * 1..@n_watchers, or none with one).  0, or a negative errno with @msg:
 * the gateway's error (etcd_msg_error()), -EPROTO for a malformed
 * message (numbers and flags as for etcd_msg_reply(); a watch id may be
 * -1) or another watch id, -EMSGSIZE over ETCD_KVS_MAX events,
 * -ENOMEM.
 */
int etcd_msg_watch_result(json_object *j, size_t n_watchers,
			  struct etcd_watch_msg *m, char *msg, size_t len);
void etcd_watch_msg_clear(struct etcd_watch_msg *m);
/*
 * The token of an authenticate reply (a new string), or NULL if there is
 * none or it is not fit for a header (printable ASCII without spaces).
 */
char *etcd_msg_token(json_object *j);

#endif /* _COSI_COMMON_ETCD_INTERNAL_H */
