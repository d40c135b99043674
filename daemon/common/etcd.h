/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A client of etcd 3.4's v3 JSON gateway (HTTP/1.1, JSON bodies, keys and
 * values in base64), on libcurl and json-c: no C client of the v3 gRPC
 * API exists.  One place for cosid (fleet mode), cosictl and the bench.
 *
 * Requests run on an sd-event loop (curl multi driven by the loop's io
 * and timer sources), so a slow etcd never blocks the caller's loop;
 * completion is a callback.  A client created without a loop gets a
 * private one, and etcd_call() runs it until one request completes (the
 * blocking form, for command-line tools and the bench).
 *
 * Threads: a client, its requests and watches belong to one thread, the
 * one running its loop; nothing here locks.  Clients on other threads
 * (with their own loops) are independent.
 *
 * Several endpoints: a request of which nothing was sent is retried on
 * the next one, and the client stays there; so is a range (a read, not
 * a write) that got no reply in time, once.  With a user, the client
 * authenticates first (/v3/auth/authenticate) and sends the token in the
 * Authorization header; a request refused for an expired or invalid
 * token is retried once after authenticating again.
 *
 * Errors are negative errnos plus a one-line message (etcd's own text
 * when it sent one):
 *   -EACCES   authentication failed, no valid token, or TLS refused
 *   -EPERM    permission denied by etcd's roles
 *   -EMSGSIZE a request over ETCD_REQUEST_MAX, a reply over the cap
 *             (bytes, or more than ETCD_KVS_MAX kvs or events)
 *   -E2BIG    a txn with more than ETCD_TXN_OPS operations
 *   -ENOENT   lease not found
 *   -ESTALE   the revision asked for was compacted
 *   -ERANGE   the revision asked for is in the future, or another
 *             gRPC OutOfRange
 *   -ETIMEDOUT no reply in time, or etcd's "request timed out": a write
 *             may have been applied (read before writing again)
 *   -ECONNREFUSED no endpoint reachable
 *   -EAGAIN   etcd unavailable (no leader, too many requests, a member
 *             stopping: its transport closing, or over TLS "server
 *             closed the stream without sending trailers"; HTTP 502,
 *             503 or 504 without a body: a proxy's)
 *   -EPROTO   a reply that is not what the gateway sends (a watch's
 *             other HTTP errors without a body too)
 *   -EINVAL   other requests etcd (or the client) finds invalid
 */
#ifndef _COSI_COMMON_ETCD_H
#define _COSI_COMMON_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

/* etcd's defaults: --max-request-bytes and --max-txn-ops. */
#define ETCD_REQUEST_MAX	(1536 * 1024)
#define ETCD_TXN_OPS		128
/*
 * Default cap on one reply (or one watch message) held in memory: a
 * range of a few large values, or one event with a 1.5 MiB value and its
 * prev_kv; larger ranges page with limit.
 */
#define ETCD_REPLY_MAX		(8 * 1024 * 1024)
/*
 * At most this many kvs in a reply (a range, one txn response) or events
 * in a watch message (-EMSGSIZE): decoded JSON costs far more than its
 * bytes (a 3-byte "{}," is a json-c object of about 1 KiB).
 */
#define ETCD_KVS_MAX		10000
#define ETCD_ENDPOINTS_MAX	16
#define ETCD_MSG_LEN		256

struct etcd_opts {
	/* "http://h:p[,https://h:p...]"; copied. */
	const char *endpoints;
	/* Authentication, both or neither; copied. */
	const char *user, *password;
	/* TLS to the gateway: CA bundle, client certificate and key. */
	const char *ca_file, *cert_file, *key_file;
	/* Per unary request (0: 5 s); watches have none. */
	uint64_t timeout_usec;
	/* Connection setup, per endpoint tried (0: 2 s). */
	uint64_t connect_timeout_usec;
	/* Bytes of one reply or watch message (0: ETCD_REPLY_MAX). */
	size_t reply_max;
	/*
	 * The endpoint requests go to first (modulo their number): the
	 * nodes of a fleet each pick one at random, so that their watch
	 * streams do not all land on the first member listed.
	 */
	unsigned int first_endpoint;
};

/* What every reply starts with. */
struct etcd_header {
	uint64_t cluster_id;
	int64_t revision;
};

/* A key-value, decoded.  key and value are NUL-terminated copies. */
struct etcd_kv {
	char *key;
	char *value;
	size_t key_len, value_len;
	int64_t create_revision, mod_revision, version, lease;
};

enum etcd_op_type {
	ETCD_OP_RANGE,
	ETCD_OP_PUT,
	ETCD_OP_DELETE,
};

/*
 * One key operation, alone or in a txn.  Keys are text (no NUL).  The
 * caller keeps the strings until the submit call returns (they are
 * encoded into the request right away).
 */
struct etcd_op {
	enum etcd_op_type type;
	const char *key;
	bool prefix;		/* range, delete: every key starting with key */
	const void *value;	/* put */
	size_t value_len;
	int64_t lease;		/* put: attach to this lease */
	bool prev_kv;		/* put, delete: return the previous kv(s) */
	int64_t revision;	/* range: as of this revision (0: latest) */
	int64_t limit;		/* range: at most this many (0: all) */
	/*
	 * range with prefix: start at these from_len bytes (a key under the
	 * prefix; the last key of a page and a NUL is the next page) instead
	 * of at key; the end stays key's prefix end.
	 */
	const char *from;
	size_t from_len;
	bool keys_only, count_only;	/* range */
};

enum etcd_cmp_target {
	ETCD_CMP_VERSION,
	ETCD_CMP_CREATE,	/* create_revision */
	ETCD_CMP_MOD,		/* mod_revision */
	ETCD_CMP_LEASE,		/* the key's lease id; 0: none (or no key) */
};

enum etcd_cmp_result {
	ETCD_CMP_EQUAL,
	ETCD_CMP_GREATER,
	ETCD_CMP_LESS,
	ETCD_CMP_NOT_EQUAL,
};

/* key's target <result> value; an absent key has 0 for all three. */
struct etcd_cmp {
	const char *key;
	enum etcd_cmp_target target;
	enum etcd_cmp_result result;
	int64_t value;
};

struct etcd_txn {
	const struct etcd_cmp *cmp;
	size_t n_cmp;
	const struct etcd_op *success, *failure;
	size_t n_success, n_failure;
};

enum etcd_req_type {
	ETCD_REQ_KV,		/* op */
	ETCD_REQ_TXN,		/* txn */
	ETCD_REQ_LEASE_GRANT,	/* ttl, lease_id (0: etcd picks) */
	ETCD_REQ_LEASE_KEEPALIVE, /* lease_id */
	ETCD_REQ_LEASE_REVOKE,	/* lease_id */
	ETCD_REQ_LEASE_TTL,	/* lease_id */
};

struct etcd_request {
	enum etcd_req_type type;
	struct etcd_op op;
	struct etcd_txn txn;
	int64_t lease_id;
	int64_t ttl;
};

/*
 * A decoded reply.  Owned by whoever holds it: the client during a
 * completion callback (borrowed, gone after it returns), the caller after
 * etcd_call() (free with etcd_reply_free()).
 */
struct etcd_reply {
	struct etcd_header hdr;
	/* range: the kvs; put, delete: the previous kv(s) with prev_kv */
	struct etcd_kv *kvs;
	size_t n_kvs;
	int64_t count;		/* range: keys in range; delete: deleted */
	bool more;		/* range: limit cut the list */
	bool succeeded;		/* txn: the compares held */
	struct etcd_reply *responses;	/* txn: one per op run */
	size_t n_responses;
	int64_t lease_id, ttl, granted_ttl;	/* lease requests */
};

void etcd_reply_free(struct etcd_reply *r);

/* The client: one per loop; owns its curl handles and requests. */
struct etcd;
/* A request in flight: owned by the client, gone after its callback. */
struct etcd_req;

/*
 * @err is 0 or a negative errno with @msg saying why; @rep is NULL on
 * error.  Called from the loop, never from inside the submit call.
 */
typedef void (*etcd_done_fn)(struct etcd_req *rq, int err, const char *msg,
			     const struct etcd_reply *rep, void *arg);

/*
 * A client on @event (NULL: a private loop, for etcd_call() and
 * etcd_run_once()); takes a reference on @event.  0 or a negative errno
 * with @msg.
 */
int etcd_new(struct etcd **ep, sd_event *event, const struct etcd_opts *o,
	     char *msg, size_t len);
/*
 * Cancels every request (without callbacks), frees @e.  Watches must be
 * freed first.  Not from inside the client's callbacks.
 */
void etcd_free(struct etcd *e);
/* The loop the client runs on. */
sd_event *etcd_event(struct etcd *e);
/* The endpoint requests go to now. */
const char *etcd_endpoint(struct etcd *e);

/*
 * Start @r.  Everything in it is copied.  0 (and *@rqp, may be NULL) or a
 * negative errno with @msg and no callback.
 */
int etcd_submit(struct etcd *e, const struct etcd_request *r,
		etcd_done_fn cb, void *arg, struct etcd_req **rqp, char *msg,
		size_t len);
/*
 * Drop a request in flight: its callback is not called.  From its own
 * callback, a no-op (it is freed after the callback returns).
 */
void etcd_cancel(struct etcd_req *rq);

/*
 * Blocking: submit @r and run the loop until it completes.  Not from
 * inside the loop's own callbacks (-EBUSY).  0 with *@rep filled (free
 * with etcd_reply_free()) or a negative errno with @msg.
 */
int etcd_call(struct etcd *e, const struct etcd_request *r,
	      struct etcd_reply *rep, char *msg, size_t len);
/* One iteration of the loop, waiting at most @usec.  For blocking users. */
int etcd_run_once(struct etcd *e, uint64_t usec);

/* One watcher of a stream: a key (or prefix) from a revision. */
struct etcd_watch_key {
	const char *key;
	int64_t start_revision;	/* 0: from now */
};

/* Most watchers in one stream (ETCD_REQUEST_MAX bytes of keys, too). */
#define ETCD_WATCH_KEYS_MAX	256

/*
 * A watch stream (/v3/watch): one watcher, @key from @start_revision,
 * or with @n_keys > 0 one watcher per @keys[i] (@key and
 * @start_revision unused), all in one HTTP stream and one gRPC stream,
 * with the same @prefix, @prev_kv and @progress_notify.  Watcher i is
 * created with watch_id i + 1 (etcd 3.4): each message says whose it
 * is (etcd_watch_msg.watcher).  Across watchers etcd keeps no order:
 * one that catches up from an old revision sends its events after
 * newer ones of another, so a client resumes each from its own.
 */
struct etcd_watch_opts {
	const char *key;
	bool prefix;
	int64_t start_revision;	/* 0: from now */
	const struct etcd_watch_key *keys;
	size_t n_keys;
	bool prev_kv;
	/*
	 * etcd sends each watcher that is in step an empty message with
	 * the current revision every --experimental-watch-progress-notify-
	 * interval (10 min by default): every event up to it was sent.
	 */
	bool progress_notify;
	/*
	 * > 0: a stream silent this long ends (-ETIMEDOUT) and the client
	 * moves to the next endpoint (not when the stream was never sent:
	 * it waited for a token): with progress_notify, more than etcd's
	 * interval tells a dead stream from a quiet one.
	 */
	uint64_t idle_usec;
};

enum etcd_event_type {
	ETCD_EV_PUT,
	ETCD_EV_DELETE,
};

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;
	struct etcd_kv prev_kv;		/* with prev_kv, when there was one */
	bool has_prev;
};

/* One message of the stream, borrowed for the callback. */
struct etcd_watch_msg {
	struct etcd_header hdr;
	size_t watcher;		/* index in etcd_watch_opts.keys (0: @key) */
	bool created;
	bool canceled;		/* the stream ends after this message */
	/* > 0: start_revision was compacted, re-list from here. */
	int64_t compact_revision;
	const char *cancel_reason;
	const struct etcd_event *events;
	/*
	 * 0, !created and !canceled: a progress notification (every event
	 * of the watcher up to hdr.revision was sent).
	 */
	size_t n_events;
};

/* The watch owned by the caller: free it with etcd_watch_free(). */
struct etcd_watch;

/*
 * A message (@err == 0), or the stream's end (@err < 0, @m NULL, @msg
 * says why): a canceled watch, a lost connection, a bad message.  No call
 * after the end; the caller still frees the watch.
 */
typedef void (*etcd_watch_fn)(struct etcd_watch *w, int err, const char *msg,
			      const struct etcd_watch_msg *m, void *arg);

int etcd_watch_start(struct etcd *e, const struct etcd_watch_opts *o,
		     etcd_watch_fn cb, void *arg, struct etcd_watch **wp,
		     char *msg, size_t len);
/* Stops the stream if still running; no more callbacks. */
void etcd_watch_free(struct etcd_watch *w);

#endif /* _COSI_COMMON_ETCD_H */
