// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd client's transport: one curl multi handle per client, its
 * sockets and timer wired to the client's sd-event loop
 * (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION), so requests only ever wait in
 * the loop.  Endpoints, failover, the auth token and the blocking form
 * live here too; what the bodies and replies say is etcd_msg.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include "common/etcd_internal.h"

#define DEFAULT_TIMEOUT_USEC		(5 * 1000 * 1000ULL)
#define DEFAULT_CONNECT_USEC		(2 * 1000 * 1000ULL)
/* Not sd-event's 250 ms default: curl asks for 0-1 ms steps. */
#define TIMER_ACCURACY_USEC		1

struct etcd {
	sd_event *event;		/* a reference */
	CURLM *multi;
	sd_event_source *timer;		/* curl's timeout */
	char *endpoints[ETCD_ENDPOINTS_MAX];	/* owned */
	int n_endpoints;
	int cur;			/* the endpoint new requests use */
	char *user, *password, *token;	/* owned; token NULL until auth */
	char *ca_file, *cert_file, *key_file;	/* owned, may be NULL */
	uint64_t timeout_usec, connect_usec;
	size_t reply_max;
	struct etcd_req *reqs;		/* every request, owned */
	struct etcd_req *auth;		/* the authenticate request, or NULL */
};

/*
 * A request: on e->reqs from submit until its callback has run (or it is
 * canceled); its easy handle is in the multi handle only while
 * transferring, not while it waits for a token.
 */
struct etcd_req {
	struct etcd *e;
	struct etcd_req *prev, *next;
	CURL *easy;
	struct curl_slist *hdrs;
	struct etcd_post post;		/* post.body owned */
	char *url;
	/* The reply so far; of a stream, what came since the last flush. */
	char *reply;
	size_t reply_len, reply_cap;
	bool too_big;			/* over reply_max: transfer stopped */
	bool nomem;			/* no memory for the reply */
	bool paused;			/* a stream's buffer is full */
	int stream_err;			/* the stream function's error */
	char stream_msg[ETCD_MSG_LEN];
	int ep;				/* endpoint of the current attempt */
	int tries;			/* endpoints tried without sending */
	int tls_tries;			/* ... of them refused by TLS */
	int unavail_tries;		/* endpoints that said "unavailable" */
	bool waiting;			/* not in the multi */
	bool for_token;			/* waiting for an authentication */
	bool settle;			/* on_auth() starts or fails it */
	bool ending;			/* its callback runs */
	bool reauthed;			/* retried once after a token error */
	bool read_retried;		/* a range resent after a timeout */
	struct etcd_reply *sync_out;	/* etcd_call(): keeps the reply */
	etcd_done_fn cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

sd_event *etcd_event(struct etcd *e)
{
	return e->event;
}

size_t etcd_reply_max(struct etcd *e)
{
	return e->reply_max;
}

const char *etcd_endpoint(struct etcd *e)
{
	return e->endpoints[e->cur];
}

/* The token is a credential: wiped, not only freed. */
static void drop_token(struct etcd *e)
{
	if (e->token) {
		explicit_bzero(e->token, strlen(e->token));
		free(e->token);
		e->token = NULL;
	}
}

void etcd_forget_token(struct etcd *e)
{
	drop_token(e);
}

/* Request headers: one may hold the token. */
static void hdrs_free(struct curl_slist *h)
{
	struct curl_slist *i;

	for (i = h; i; i = i->next)
		explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

static void reap(struct etcd *e);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct etcd *e = arg;
	int action = 0, running;

	(void)s;
	if (revents & EPOLLIN)
		action |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		action |= CURL_CSELECT_ERR;
	curl_multi_socket_action(e->multi, fd, action, &running);
	reap(e);
	return 0;
}

/* curl says which events of @fd it waits for; @sp is its io source. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg,
		     void *sp)
{
	struct etcd *e = arg;
	sd_event_source *s = sp;
	uint32_t ev = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		sd_event_source_disable_unref(s);
		curl_multi_assign(e->multi, fd, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (s)
		return sd_event_source_set_io_events(s, ev) < 0 ? -1 : 0;
	if (sd_event_add_io(e->event, &s, fd, ev, on_io, e) < 0)
		return -1;
	curl_multi_assign(e->multi, fd, s);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct etcd *e = arg;
	int running;

	(void)s;
	(void)usec;
	curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	reap(e);
	return 0;
}

/* curl's next timeout: run on_timer then (-1: none). */
static int set_timer(CURLM *m, long ms, void *arg)
{
	struct etcd *e = arg;
	uint64_t now;

	(void)m;
	if (ms < 0)
		return sd_event_source_set_enabled(e->timer, SD_EVENT_OFF) < 0 ?
		       -1 : 0;
	if (sd_event_now(e->event, CLOCK_MONOTONIC, &now) < 0 ||
	    sd_event_source_set_time(e->timer, now + ms * 1000ULL) < 0 ||
	    sd_event_source_set_enabled(e->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

/*
 * Whether @host (as curl's URL parser gives it: an IPv6 address in
 * brackets) is this machine: an IPv4 address in 127.0.0.0/8, ::1 or
 * "localhost" (curl resolves that to loopback itself).  A name that
 * only starts with "127." is not.
 */
static bool loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;
	char v6[INET6_ADDRSTRLEN];
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n < 3 || n - 2 >= sizeof(v6) || host[0] != '[' ||
	    host[n - 1] != ']')
		return false;
	memcpy(v6, host + 1, n - 2);
	v6[n - 2] = '\0';
	return inet_pton(AF_INET6, v6, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* "http://HOST:" or "http://HOST:/...": curl takes the default port. */
static bool empty_port(const char *ep)
{
	const char *a = strstr(ep, "://");
	size_t n;

	if (!a)
		return false;
	a += 3;
	n = strcspn(a, "/");
	return n && a[n - 1] == ':';
}

/*
 * One endpoint, as curl will read it (the request's URL is the endpoint
 * and a path): a host, no user or password (curl would take
 * "http://127.0.0.1@HOST" for user 127.0.0.1 at HOST), no query or
 * fragment (the path would land in them), a port 1-65535 if any.
 * @password: one will be sent, so not in clear over http:// to another
 * machine.  0 or -EINVAL with @msg naming it.
 */
static int check_endpoint(const char *ep, bool password, char *msg,
			  size_t len)
{
	CURLU *u = curl_url();
	CURLUcode rc;
	char *host = NULL, *port = NULL, *x = NULL;
	const char *why = NULL;
	int err = -EINVAL;
	long p;

	if (!u)
		return -ENOMEM;
	rc = curl_url_set(u, CURLUPART_URL, ep, 0);
	if (rc == CURLUE_OUT_OF_MEMORY)
		err = -ENOMEM;
	else if (rc)
		why = curl_url_strerror(rc);
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !*host)
		why = "no host";
	else if (!curl_url_get(u, CURLUPART_USER, &x, 0) ||
		 !curl_url_get(u, CURLUPART_PASSWORD, &x, 0) ||
		 !curl_url_get(u, CURLUPART_OPTIONS, &x, 0))
		why = "a user or password in the URL (the host is after '@')";
	else if (!curl_url_get(u, CURLUPART_QUERY, &x, 0) ||
		 !curl_url_get(u, CURLUPART_FRAGMENT, &x, 0) ||
		 strpbrk(ep, "?#"))
		why = "a query or fragment in the URL";
	else if ((!curl_url_get(u, CURLUPART_PORT, &port, 0) &&
		  (port[strspn(port, "0123456789")] || strlen(port) > 5 ||
		   (p = strtol(port, NULL, 10)) < 1 || p > 65535)) ||
		 empty_port(ep))
		why = "port not 1 to 65535";
	else if (password && strncmp(ep, "https://", 8) && !loopback(host))
		why = "the password would cross the network in clear: use https://";
	else
		err = 0;
	if (why)
		snprintf(msg, len, "etcd endpoint '%s': %s", ep, why);
	else if (err)
		snprintf(msg, len, "out of memory");
	curl_free(host);
	curl_free(port);
	curl_free(x);
	curl_url_cleanup(u);
	return err;
}

/* The endpoints, checked (check_endpoint()). */
static int parse_endpoints(struct etcd *e, const char *list, bool password,
			   char *msg, size_t len)
{
	char *copy = strdup(list ?: ""), *tok, *save = NULL, *host;
	int err;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(tok);

		if (strncmp(tok, "http://", 7) && strncmp(tok, "https://", 8)) {
			snprintf(msg, len, "etcd endpoint '%s': not http:// or https://",
				 tok);
			free(copy);
			return -EINVAL;
		}
		if (e->n_endpoints == ETCD_ENDPOINTS_MAX) {
			snprintf(msg, len, "more than %d etcd endpoints",
				 ETCD_ENDPOINTS_MAX);
			free(copy);
			return -E2BIG;
		}
		/* What follows "http://" or "https://" (curl takes "http:///h"). */
		host = tok + (tok[4] == 's' ? 8 : 7);
		if (!*host || *host == '/' || *host == ':') {
			snprintf(msg, len, "etcd endpoint '%s': no host", tok);
			free(copy);
			return -EINVAL;
		}
		err = check_endpoint(tok, password, msg, len);
		if (err) {
			free(copy);
			return err;
		}
		while (n && tok[n - 1] == '/')	/* paths start with '/' */
			tok[--n] = '\0';
		e->endpoints[e->n_endpoints] = strdup(tok);
		if (!e->endpoints[e->n_endpoints++]) {
			free(copy);
			return -ENOMEM;
		}
	}
	free(copy);
	if (!e->n_endpoints) {
		snprintf(msg, len, "no etcd endpoint");
		return -EINVAL;
	}
	return 0;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int etcd_new(struct etcd **ep, sd_event *event, const struct etcd_opts *o,
	     char *msg, size_t len)
{
	struct etcd *e;
	int err;

	*ep = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(msg, len, "curl: %s", curl_easy_strerror(curl_init_rc));
		return -ENOMEM;
	}
	if (!o->user != !o->password) {
		snprintf(msg, len, "etcd user without password or password without user");
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto nomem;
	e->timeout_usec = o->timeout_usec ?: DEFAULT_TIMEOUT_USEC;
	e->connect_usec = o->connect_timeout_usec ?: DEFAULT_CONNECT_USEC;
	e->reply_max = o->reply_max ?: ETCD_REPLY_MAX;
	err = parse_endpoints(e, o->endpoints, o->password, msg, len);
	if (err) {
		etcd_free(e);
		if (err == -ENOMEM)
			goto nomem;
		return err;
	}
	e->cur = (int)(o->first_endpoint % (unsigned int)e->n_endpoints);
	if (dup_opt(&e->user, o->user) || dup_opt(&e->password, o->password) ||
	    dup_opt(&e->ca_file, o->ca_file) ||
	    dup_opt(&e->cert_file, o->cert_file) ||
	    dup_opt(&e->key_file, o->key_file))
		goto free_nomem;
	err = event ? (sd_event_ref(event), 0) : sd_event_new(&e->event);
	if (event)
		e->event = event;
	if (err < 0)
		goto free_nomem;
	e->multi = curl_multi_init();
	if (!e->multi ||
	    sd_event_add_time(e->event, &e->timer, CLOCK_MONOTONIC, 0,
			      TIMER_ACCURACY_USEC, on_timer, e) < 0 ||
	    sd_event_source_set_enabled(e->timer, SD_EVENT_OFF) < 0)
		goto free_nomem;
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, set_timer);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	*ep = e;
	return 0;

free_nomem:
	etcd_free(e);
nomem:
	snprintf(msg, len, "out of memory");
	return -ENOMEM;
}

static void req_free(struct etcd_req *rq)
{
	struct etcd *e = rq->e;

	if (rq->prev)
		rq->prev->next = rq->next;
	else
		e->reqs = rq->next;
	if (rq->next)
		rq->next->prev = rq->prev;
	if (e->auth == rq)
		e->auth = NULL;
	if (rq->easy) {
		if (!rq->waiting)
			curl_multi_remove_handle(e->multi, rq->easy);
		curl_easy_cleanup(rq->easy);
	}
	hdrs_free(rq->hdrs);
	if (rq->post.type == ETCD_REQ_AUTH && rq->post.body)
		explicit_bzero(rq->post.body, rq->post.body_len);	/* password */
	if (rq->post.type == ETCD_REQ_AUTH && rq->reply)
		explicit_bzero(rq->reply, rq->reply_cap);	/* token */
	free(rq->post.body);
	free(rq->url);
	free(rq->reply);
	free(rq);
}

void etcd_cancel(struct etcd_req *rq)
{
	/* Its own callback: req_end() frees it after. */
	if (rq && !rq->ending)
		req_free(rq);
}

void etcd_free(struct etcd *e)
{
	int i;

	if (!e)
		return;
	while (e->reqs)
		req_free(e->reqs);
	if (e->multi)
		curl_multi_cleanup(e->multi);
	sd_event_source_disable_unref(e->timer);
	sd_event_unref(e->event);
	for (i = 0; i < e->n_endpoints; i++)
		free(e->endpoints[i]);
	free(e->user);
	if (e->password)
		explicit_bzero(e->password, strlen(e->password));
	free(e->password);
	drop_token(e);
	free(e->ca_file);
	free(e->cert_file);
	free(e->key_file);
	free(e);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct etcd_req *rq = arg;
	size_t len = size * n;

	/*
	 * A stream's buffer holds what came since the last flush, many
	 * messages maybe: full, the transfer waits for flush_streams() (the
	 * stream function bounds each message itself).
	 */
	if (rq->post.stream && rq->reply_len &&
	    rq->reply_len + len + 1 > rq->e->reply_max) {
		rq->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (!rq->post.stream && rq->reply_len + len + 1 > rq->e->reply_max) {
		rq->too_big = true;
		return 0;
	}
	if (rq->reply_len + len + 1 > rq->reply_cap) {
		size_t cap = (rq->reply_len + len + 1) * 2;
		char *np = realloc(rq->reply, cap);

		if (!np) {
			rq->nomem = true;
			return 0;
		}
		rq->reply = np;
		rq->reply_cap = cap;
	}
	memcpy(rq->reply + rq->reply_len, p, len);
	rq->reply_len += len;
	rq->reply[rq->reply_len] = '\0';
	return len;
}

/* (Re)start @rq's transfer on the client's current endpoint. */
static int req_start(struct etcd_req *rq)
{
	struct etcd *e = rq->e;
	struct curl_slist *h;
	char *auth = NULL;

	hdrs_free(rq->hdrs);
	free(rq->url);
	rq->hdrs = NULL;
	rq->ep = e->cur;
	rq->reply_len = 0;
	rq->too_big = rq->nomem = rq->paused = false;
	if (asprintf(&rq->url, "%s%s", e->endpoints[rq->ep],
		     rq->post.path) < 0) {
		rq->url = NULL;
		return -ENOMEM;
	}
	/* No "Expect: 100-continue" round trip before larger bodies. */
	h = curl_slist_append(NULL, "Content-Type: application/json");
	rq->hdrs = h;
	h = h ? curl_slist_append(h, "Expect:") : NULL;
	/* A watch on a member without a leader fails instead of idling. */
	if (h && rq->post.stream)
		h = curl_slist_append(h, "Grpc-Metadata-hasleader: true");
	if (h && e->token && rq->post.type != ETCD_REQ_AUTH) {
		if (asprintf(&auth, "Authorization: %s", e->token) < 0)
			return -ENOMEM;
		h = curl_slist_append(h, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	if (!h)
		return -ENOMEM;
	curl_easy_setopt(rq->easy, CURLOPT_URL, rq->url);
	curl_easy_setopt(rq->easy, CURLOPT_HTTPHEADER, rq->hdrs);
	rq->errbuf[0] = '\0';
	rq->waiting = false;
	return curl_multi_add_handle(e->multi, rq->easy) ? -ENOMEM : 0;
}

static int req_setup(struct etcd_req *rq)
{
	struct etcd *e = rq->e;
	CURL *c = curl_easy_init();

	rq->easy = c;
	if (!c)
		return -ENOMEM;
	curl_easy_setopt(c, CURLOPT_PRIVATE, rq);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->post.body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)rq->post.body_len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rq);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rq->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	/* A dead peer of a long watch is noticed without traffic. */
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(e->connect_usec / 1000));
	if (!rq->post.stream)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
				 (long)(e->timeout_usec / 1000));
	if (e->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_file);
	if (e->cert_file)
		curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert_file);
	if (e->key_file)
		curl_easy_setopt(c, CURLOPT_SSLKEY, e->key_file);
	return 0;
}

static int start_auth(struct etcd *e);

/* Start @rq now, or after authenticating when a token is needed. */
static int req_go(struct etcd_req *rq)
{
	struct etcd *e = rq->e;

	if (e->user && !e->token && rq->post.type != ETCD_REQ_AUTH) {
		rq->waiting = true;
		rq->for_token = true;
		return start_auth(e);
	}
	return req_start(rq);
}

int etcd_post(struct etcd *e, struct etcd_post *p, etcd_done_fn cb,
	      void *arg, struct etcd_req **rqp, char *msg, size_t len)
{
	struct etcd_req *rq = calloc(1, sizeof(*rq));
	int err;

	if (!rq) {
		free(p->body);
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	rq->e = e;
	rq->post = *p;
	rq->cb = cb;
	rq->arg = arg;
	rq->next = e->reqs;
	if (e->reqs)
		e->reqs->prev = rq;
	e->reqs = rq;
	rq->waiting = true;	/* not in the multi yet */
	err = req_setup(rq) ?: req_go(rq);
	if (err) {
		req_free(rq);
		snprintf(msg, len, "out of memory");
		return err;
	}
	if (rqp)
		*rqp = rq;
	return 0;
}

int etcd_submit(struct etcd *e, const struct etcd_request *r,
		etcd_done_fn cb, void *arg, struct etcd_req **rqp, char *msg,
		size_t len)
{
	struct etcd_post p;
	int err = etcd_msg_build(r, &p, msg, len);

	return err ?: etcd_post(e, &p, cb, arg, rqp, msg, len);
}

/* The end of @rq: callback (unless canceled inside it), then free. */
static void req_end(struct etcd_req *rq, int err, const char *msg,
		    struct etcd_reply *rep)
{
	rq->ending = true;
	if (rq->sync_out && !err) {
		*rq->sync_out = *rep;	/* handed to etcd_call()'s caller */
		memset(rep, 0, sizeof(*rep));
	}
	rq->cb(rq, err, msg, err ? NULL : rep, rq->arg);
	if (rep)
		etcd_reply_free(rep);
	req_free(rq);
}

static void on_auth(struct etcd_req *arq, int err, const char *msg,
		    const struct etcd_reply *rep, void *arg);

static int start_auth(struct etcd *e)
{
	struct etcd_post p;
	char msg[ETCD_MSG_LEN];

	if (e->auth)
		return 0;
	return etcd_msg_auth(e->user, e->password, &p) ?:
	       etcd_post(e, &p, on_auth, e, &e->auth, msg, sizeof(msg));
}

/*
 * An authenticate reply: start or fail the requests that waited for it
 * (not those the callbacks submit meanwhile: they wait for the next
 * one).  A callback may cancel any request, so the scan starts over
 * after each.
 */
static void on_auth(struct etcd_req *arq, int err, const char *msg,
		    const struct etcd_reply *rep, void *arg)
{
	struct etcd *e = arg;
	struct etcd_req *rq;
	char why[ETCD_MSG_LEN];

	(void)rep;
	e->auth = NULL;
	snprintf(why, sizeof(why), "etcd authentication: %s", msg);
	for (rq = e->reqs; rq; rq = rq->next)
		rq->settle = rq->for_token && rq != arq;
	for (rq = e->reqs; rq;) {
		if (!rq->settle) {
			rq = rq->next;
			continue;
		}
		rq->settle = rq->for_token = false;
		if (!err && req_start(rq) == 0) {
			rq = rq->next;
			continue;
		}
		req_end(rq, err ?: -ENOMEM, err ? why : "out of memory", NULL);
		rq = e->reqs;
	}
}

/*
 * Did the attempt fail before any of the request was sent?  Only then is
 * it safe on another endpoint: a put sent to a member that went quiet
 * may have been applied.  The connect time does not tell (it is 0 on a
 * reused keep-alive connection too); the bytes sent do.
 */
static bool never_sent(CURL *c, CURLcode rc)
{
	long sent = 0;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return true;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
		return sent == 0;
	default:
		return false;
	}
}

/* TLS refused: a certificate not trusted, missing or unusable. */
static bool tls_refused(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CIPHER:
		return true;
	default:
		return false;
	}
}

/* Let requests after this one use the next endpoint. */
static void next_endpoint(struct etcd *e, int failed)
{
	if (e->cur == failed)
		e->cur = (failed + 1) % e->n_endpoints;
}

/* etcd's "no leader": nothing was applied, another member may serve. */
static bool no_leader(int err, const char *msg)
{
	return err == -EAGAIN && strstr(msg, "no leader");
}

void etcd_req_stalled(struct etcd_req *rq)
{
	/* Not sent yet (waiting for a token): its member said nothing. */
	if (!rq->for_token)
		next_endpoint(rq->e, rq->ep);
}

/*
 * A member without a leader (or otherwise unavailable, @err -EAGAIN
 * with etcd's @msg): the next one may serve.  A write only on "no
 * leader", which says it was not applied; a range always.  Whether @rq
 * was started again there.
 */
static bool retry_unavailable(struct etcd_req *rq, int err, const char *msg)
{
	if (err != -EAGAIN || strstr(msg, "too many requests") ||
	    (!no_leader(err, msg) &&
	     rq->post.type != ETCD_POST_KV(ETCD_OP_RANGE)) ||
	    ++rq->unavail_tries >= rq->e->n_endpoints)
		return false;
	next_endpoint(rq->e, rq->ep);
	return req_start(rq) == 0;
}

static void req_done(struct etcd_req *rq, CURLcode rc)
{
	struct etcd *e = rq->e;
	struct etcd_reply rep;
	char msg[ETCD_MSG_LEN];
	json_object *j = NULL, *err_obj;
	long code = 0;
	int err;

	curl_multi_remove_handle(e->multi, rq->easy);
	rq->waiting = true;
	/*
	 * Nothing sent: the next endpoint may serve it.  A TLS handshake
	 * refused (a certificate not trusted) comes before the request too,
	 * and one member's certificate says nothing of the others'.
	 */
	if (rc != CURLE_OK && (never_sent(rq->easy, rc) || tls_refused(rc))) {
		rq->tls_tries += tls_refused(rc);
		next_endpoint(e, rq->ep);
		if (++rq->tries < e->n_endpoints && req_start(rq) == 0)
			return;
		if (rq->tls_tries == rq->tries) {
			snprintf(msg, sizeof(msg), "etcd: TLS refused by every endpoint (last %.80s: %.120s)",
				 e->endpoints[rq->ep], rq->errbuf[0] ?
				 rq->errbuf : curl_easy_strerror(rc));
			req_end(rq, -EACCES, msg, NULL);
			return;
		}
		snprintf(msg, sizeof(msg), "no etcd endpoint reachable (last %.80s: %.120s)",
			 e->endpoints[rq->ep], rq->errbuf[0] ? rq->errbuf :
			 curl_easy_strerror(rc));
		req_end(rq, -ECONNREFUSED, msg, NULL);
		return;
	}
	rq->tries = rq->tls_tries = 0;
	if (rq->nomem) {
		req_end(rq, -ENOMEM, "out of memory", NULL);
		return;
	}
	if (rq->too_big) {
		snprintf(msg, sizeof(msg), "etcd reply over %zu bytes",
			 e->reply_max);
		req_end(rq, -EMSGSIZE, msg, NULL);
		return;
	}
	if (rc != CURLE_OK) {
		/* No answer in time: a stopped or cut-off member. */
		next_endpoint(e, rq->ep);
		/* A read changes nothing: once more, on the next one. */
		if (rc == CURLE_OPERATION_TIMEDOUT && !rq->read_retried &&
		    e->n_endpoints > 1 &&
		    rq->post.type == ETCD_POST_KV(ETCD_OP_RANGE)) {
			rq->read_retried = true;
			if (req_start(rq) == 0)
				return;
		}
		snprintf(msg, sizeof(msg), "etcd %.80s: %.120s", e->endpoints[rq->ep],
			 rq->errbuf[0] ? rq->errbuf : curl_easy_strerror(rc));
		req_end(rq, rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT :
			    -ECONNRESET, msg, NULL);
		return;
	}
	curl_easy_getinfo(rq->easy, CURLINFO_RESPONSE_CODE, &code);
	if (rq->post.stream && code != 200) {
		/*
		 * An HTTP error without a body (etcd's come as JSON, which
		 * the stream function has seen): not etcd's, say a proxy
		 * without the path, unless it is one in front of etcd that
		 * has no member to send it to (502, 503, 504).
		 */
		snprintf(msg, sizeof(msg), "etcd %s: HTTP %ld", rq->url, code);
		req_end(rq, code >= 502 && code <= 504 ? -EAGAIN : -EPROTO,
			msg, NULL);
		return;
	}
	if (rq->post.stream) {
		req_end(rq, -ECONNRESET, "etcd closed the stream", NULL);
		return;
	}
	if (code >= 502 && code <= 504 && !rq->reply_len) {
		/* A proxy in front of etcd without a member to send it to. */
		snprintf(msg, sizeof(msg), "etcd %s: HTTP %ld", rq->url, code);
		if (!retry_unavailable(rq, -EAGAIN, msg))
			req_end(rq, -EAGAIN, msg, NULL);
		return;
	}
	if (etcd_json_weight(rq->reply ?: "", rq->reply_len) >
	    ETCD_JSON_WEIGHT_MAX) {
		snprintf(msg, sizeof(msg), "etcd %s: reply with too many JSON values",
			 rq->url);
		req_end(rq, -EMSGSIZE, msg, NULL);
		return;
	}
	j = json_tokener_parse(rq->reply ?: "");
	if (!j) {
		snprintf(msg, sizeof(msg), "etcd %s: HTTP %ld, not JSON: %.80s",
			 rq->url, code, rq->reply ?: "");
		etcd_msg_clean(msg);
		req_end(rq, -EPROTO, msg, NULL);
		return;
	}
	/* Streaming calls put errors in {"error": {...}}. */
	if (json_object_object_get_ex(j, "error", &err_obj) &&
	    json_object_is_type(err_obj, json_type_object))
		code = 500;
	else
		err_obj = j;
	if (code != 200) {
		err = etcd_msg_error(err_obj, msg, sizeof(msg));
		json_object_put(j);
		if (retry_unavailable(rq, err, msg))
			return;
		if (err == -EACCES && e->user && rq->post.type != ETCD_REQ_AUTH &&
		    !rq->reauthed && etcd_msg_token_stale(msg)) {
			/*
			 * Expired, lost by a restarted member, or older than
			 * the last change of users or roles: again.
			 */
			rq->reauthed = true;
			drop_token(e);
			if (req_go(rq) == 0)
				return;
		}
		req_end(rq, err, msg, NULL);
		return;
	}
	if (rq->post.type == ETCD_REQ_AUTH) {
		drop_token(e);
		e->token = etcd_msg_token(j);
		json_object_put(j);
		req_end(rq, e->token ? 0 : -EPROTO,
			e->token ? "" : "etcd sent no usable token", NULL);
		return;
	}
	err = etcd_msg_reply(rq->post.type, j, &rep);
	json_object_put(j);
	if (err) {
		if (err == -ENOENT)
			snprintf(msg, sizeof(msg), "etcd: lease not found");
		else if (err == -EMSGSIZE)
			snprintf(msg, sizeof(msg), "etcd %s: reply with over %d kvs or %d txn responses",
				 rq->url, ETCD_KVS_MAX, ETCD_TXN_OPS);
		else if (err == -EPROTO && etcd_msg_bad_member())
			snprintf(msg, sizeof(msg), "etcd %s: malformed reply: bad \"%s\"",
				 rq->url, etcd_msg_bad_member());
		else
			snprintf(msg, sizeof(msg), "etcd %s: malformed reply",
				 rq->url);
		req_end(rq, err, msg, NULL);
		return;
	}
	req_end(rq, 0, "", &rep);
}

/*
 * Hand buffered stream data to its function, outside curl's callbacks
 * (where it may cancel requests, its own too): each call takes the
 * buffer, and the scan starts over after it.
 */
static void flush_streams(struct etcd *e)
{
	struct etcd_req *rq;
	char *buf;
	size_t len;
	int err;

	for (rq = e->reqs; rq;) {
		if (!rq->post.stream || !rq->reply_len || rq->stream_err) {
			rq = rq->next;
			continue;
		}
		buf = rq->reply;
		len = rq->reply_len;
		rq->reply = NULL;
		rq->reply_len = rq->reply_cap = 0;
		/* Room again: curl may hand over what it held right here. */
		if (rq->paused) {
			rq->paused = false;
			curl_easy_pause(rq->easy, CURLPAUSE_CONT);
		}
		err = rq->post.stream(rq->post.stream_arg, buf, len,
				      rq->stream_msg, sizeof(rq->stream_msg));
		free(buf);
		if (err) {
			rq->stream_err = err;
			/*
			 * A member without a leader ends the stream at once
			 * (Grpc-Metadata-hasleader): the next one may have
			 * one, as for a unary request.
			 */
			if (no_leader(err, rq->stream_msg))
				next_endpoint(e, rq->ep);
			if (!rq->waiting)
				curl_multi_remove_handle(e->multi, rq->easy);
			rq->waiting = true;
			req_end(rq, err, rq->stream_msg, NULL);
		}
		rq = e->reqs;
	}
}

static void reap(struct etcd *e)
{
	CURLMsg *m;
	int left;

	flush_streams(e);

	while ((m = curl_multi_info_read(e->multi, &left))) {
		struct etcd_req *rq = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &rq);
		req_done(rq, m->data.result);
	}
}

struct sync_call {
	bool done;
	int err;
	char *msg;
	size_t len;
};

static void on_sync(struct etcd_req *rq, int err, const char *msg,
		    const struct etcd_reply *rep, void *arg)
{
	struct sync_call *s = arg;

	(void)rq;
	(void)rep;
	s->done = true;
	s->err = err;
	if (err)
		snprintf(s->msg, s->len, "%s", msg);
}

int etcd_run_once(struct etcd *e, uint64_t usec)
{
	int r = sd_event_run(e->event, usec);

	return r < 0 ? r : 0;
}

int etcd_call(struct etcd *e, const struct etcd_request *r,
	      struct etcd_reply *rep, char *msg, size_t len)
{
	struct sync_call s = { .msg = msg, .len = len };
	struct etcd_req *rq;
	int err;

	memset(rep, 0, sizeof(*rep));
	if (sd_event_get_state(e->event) == SD_EVENT_RUNNING) {
		snprintf(msg, len, "blocking etcd call inside its own loop");
		return -EBUSY;
	}
	err = etcd_submit(e, r, on_sync, &s, &rq, msg, len);
	if (err)
		return err;
	rq->sync_out = rep;
	/* Every unary request ends: curl times it out. */
	while (!s.done) {
		err = etcd_run_once(e, UINT64_MAX);
		if (err < 0) {
			if (!s.done)
				etcd_cancel(rq);
			snprintf(msg, len, "event loop: %s", strerror(-err));
			return err;
		}
	}
	return s.err;
}
