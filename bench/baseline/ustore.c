// SPDX-License-Identifier: GPL-2.0
/* ustore client library: see ustore.h. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ustore.h"

struct ustore {
	int fd;
	uint32_t seq;
	char *in;
	size_t in_len, in_off, in_cap;
	char *out;
	size_t out_len, out_cap;
	struct ustore_res **evq;	/* a ring of queued events */
	size_t evq_head, evq_n, evq_cap;
};

/* A reply: its status and resource header (zero when it had none). */
struct reply {
	int status;
	struct us_res r;
	struct ustore_res *res;		/* when asked for and present */
};

struct ustore *ustore_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ustore *u;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u->fd < 0 || connect(u->fd, (void *)&sa, sizeof(sa))) {
		int err = errno;

		if (u->fd >= 0)
			close(u->fd);
		free(u);
		errno = err;
		return NULL;
	}
	return u;
}

void ustore_close(struct ustore *u)
{
	if (!u)
		return;
	while (u->evq_n) {
		free(u->evq[u->evq_head]);
		u->evq_head = (u->evq_head + 1) % u->evq_cap;
		u->evq_n--;
	}
	free(u->evq);
	free(u->in);
	free(u->out);
	close(u->fd);
	free(u);
}

static int reserve(char **p, size_t *cap, size_t need)
{
	char *np;

	if (need <= *cap)
		return 0;
	np = realloc(*p, need * 2);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = need * 2;
	return 0;
}

/* Append a request frame; returns its seq or a negative errno. */
static int64_t queue(struct ustore *u, uint8_t op, const char *ns,
		     const char *type, const char *id, const void *val,
		     size_t val_len, uint64_t version)
{
	struct us_res r = { .version = version, .val_len = val_len };
	struct us_hdr h = { .op = op };
	size_t l[3] = { strlen(ns), strlen(type), strlen(id ?: "") };
	char *p;

	if (l[0] > UINT16_MAX || l[1] > UINT16_MAX || l[2] > UINT16_MAX ||
	    sizeof(r) + l[0] + l[1] + l[2] + val_len > US_MAX_FRAME)
		return -EMSGSIZE;
	r.ns_len = l[0];
	r.type_len = l[1];
	r.id_len = l[2];
	h.len = sizeof(r) + l[0] + l[1] + l[2] + val_len;
	h.seq = ++u->seq;
	if (reserve(&u->out, &u->out_cap, u->out_len + sizeof(h) + h.len))
		return -ENOMEM;
	p = u->out + u->out_len;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, &r, sizeof(r));
	p += sizeof(r);
	memcpy(p, ns, l[0]);
	memcpy(p + l[0], type, l[1]);
	memcpy(p + l[0] + l[1], id ?: "", l[2]);
	if (val_len)	/* val may be NULL then */
		memcpy(p + l[0] + l[1] + l[2], val, val_len);
	u->out_len += sizeof(h) + h.len;
	return h.seq;
}

static int flush(struct ustore *u)
{
	size_t off = 0;

	while (off < u->out_len) {
		ssize_t n = write(u->fd, u->out + off, u->out_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			u->out_len = 0;
			return -errno;
		}
		off += n;
	}
	u->out_len = 0;
	return 0;
}

/* The next frame, in u->in at @*off; -ETIMEDOUT, -EPROTO, -ECONNRESET. */
static int next_frame(struct ustore *u, int timeout_ms, struct us_hdr *h,
		      const char **payload)
{
	for (;;) {
		size_t have = u->in_len - u->in_off;
		struct pollfd pfd = { .fd = u->fd, .events = POLLIN };
		ssize_t n;

		if (have >= sizeof(*h)) {
			memcpy(h, u->in + u->in_off, sizeof(*h));
			if (h->len > US_MAX_FRAME + 4096)
				return -EPROTO;
			if (have >= sizeof(*h) + h->len) {
				*payload = u->in + u->in_off + sizeof(*h);
				u->in_off += sizeof(*h) + h->len;
				return 0;
			}
		}
		if (u->in_off) {
			memmove(u->in, u->in + u->in_off, have);
			u->in_len = have;
			u->in_off = 0;
		}
		if (reserve(&u->in, &u->in_cap, u->in_len + 64 * 1024))
			return -ENOMEM;
		if (timeout_ms >= 0) {
			n = poll(&pfd, 1, timeout_ms);
			if (n == 0)
				return -ETIMEDOUT;
			if (n < 0 && errno != EINTR)
				return -errno;
		}
		n = read(u->fd, u->in + u->in_len, u->in_cap - u->in_len);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			u->in_len += n;
	}
}

static struct ustore_res *parse_res(const struct us_hdr *h, const char *p)
{
	struct us_res rr;	/* copied: frames are not aligned */
	const struct us_res *r = &rr;
	struct ustore_res *o;
	size_t klen;
	char *s;

	if (h->len < sizeof(rr))
		return NULL;
	memcpy(&rr, p, sizeof(rr));
	klen = r->ns_len + r->type_len + r->id_len;
	if (h->len != sizeof(*r) + klen + r->val_len)
		return NULL;
	o = malloc(sizeof(*o) + klen + r->val_len + 4);
	if (!o)
		return NULL;
	o->kind = r->kind;
	o->watch_id = h->seq;
	o->version = r->version;
	o->revision = r->revision;
	o->val_len = r->val_len;
	p += sizeof(*r);
	s = (char *)(o + 1);
	o->ns = memcpy(s, p, r->ns_len);
	s[r->ns_len] = '\0';
	s += r->ns_len + 1;
	o->type = memcpy(s, p + r->ns_len, r->type_len);
	s[r->type_len] = '\0';
	s += r->type_len + 1;
	o->id = memcpy(s, p + r->ns_len + r->type_len, r->id_len);
	s[r->id_len] = '\0';
	s += r->id_len + 1;
	o->val = memcpy(s, p + klen, r->val_len);
	s[r->val_len] = '\0';
	return o;
}

static int evq_push(struct ustore *u, struct ustore_res *ev)
{
	if (u->evq_n == u->evq_cap) {
		size_t i, cap = u->evq_cap ? u->evq_cap * 2 : 64;
		struct ustore_res **q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (i = 0; i < u->evq_n; i++)
			q[i] = u->evq[(u->evq_head + i) % u->evq_cap];
		free(u->evq);
		u->evq = q;
		u->evq_cap = cap;
		u->evq_head = 0;
	}
	u->evq[(u->evq_head + u->evq_n++) % u->evq_cap] = ev;
	return 0;
}

/* Read up to the reply to @seq: items go to @fn, events to the queue. */
static int wait_reply(struct ustore *u, uint32_t seq, bool want_res,
		      ustore_item_fn fn, void *arg, struct reply *rep)
{
	struct us_hdr h;
	const char *p;
	int err;

	memset(rep, 0, sizeof(*rep));
	for (;;) {
		struct ustore_res *o;

		err = next_frame(u, -1, &h, &p);
		if (err)
			return err;
		if (h.op == US_REPLY)
			break;
		o = parse_res(&h, p);
		if (!o || (h.op != US_EVENT && h.op != US_ITEM)) {
			free(o);
			return -EPROTO;
		}
		if (h.op == US_ITEM && fn)
			fn(o, arg);
		else if (h.op == US_ITEM)
			free(o);
		else if ((err = evq_push(u, o))) {
			free(o);
			return err;
		}
	}
	if (h.seq != seq)
		return -EPROTO;		/* replies come in order */
	rep->status = h.status;
	if (h.len >= sizeof(rep->r))
		memcpy(&rep->r, p, sizeof(rep->r));
	if (want_res && !h.status && h.len > sizeof(rep->r)) {
		rep->res = parse_res(&h, p);
		if (!rep->res)
			return -EPROTO;
	}
	return 0;
}

/* Send one request and wait for its reply. */
static int call(struct ustore *u, uint8_t op, const char *ns,
		const char *type, const char *id, const void *val,
		size_t val_len, uint64_t version, bool want_res,
		ustore_item_fn fn, void *arg, struct reply *rep)
{
	int64_t seq = queue(u, op, ns, type, id, val, val_len, version);
	int err;

	if (seq < 0)
		return seq;
	err = flush(u) ?: wait_reply(u, seq, want_res, fn, arg, rep);
	return err ?: rep->status;
}

int ustore_get(struct ustore *u, const char *ns, const char *type,
	       const char *id, struct ustore_res **out)
{
	struct reply rep;
	int err = call(u, US_GET, ns, type, id, NULL, 0, 0, true, NULL, NULL,
		       &rep);

	*out = err ? NULL : rep.res;
	if (!err && !rep.res)
		return -EPROTO;
	return err;
}

int ustore_write(struct ustore *u, struct ustore_op *op)
{
	return ustore_pipeline(u, op, 1) ?: op->status;
}

int ustore_pipeline(struct ustore *u, struct ustore_op *ops, size_t n)
{
	uint32_t first = u->seq + 1;
	struct reply rep;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		int64_t seq = queue(u, ops[i].op, ops[i].ns, ops[i].type,
				    ops[i].id, ops[i].val, ops[i].val_len,
				    ops[i].expected);

		if (seq < 0) {
			u->out_len = 0;
			u->seq = first - 1;
			return seq;
		}
		if (i == 0)
			first = seq;
	}
	err = flush(u);
	for (i = 0; !err && i < n; i++) {
		err = wait_reply(u, (uint32_t)(first + i), false, NULL, NULL,
				 &rep);
		ops[i].status = rep.status;
		ops[i].version = rep.r.version;
	}
	return err;
}

int ustore_list(struct ustore *u, const char *ns, const char *type,
		const char *id_prefix, ustore_item_fn fn, void *arg,
		uint64_t *n)
{
	struct reply rep;
	int err = call(u, US_LIST, ns, type, id_prefix, NULL, 0, 0, false, fn,
		       arg, &rep);

	if (n)
		*n = rep.r.version;
	return err;
}

int ustore_watch(struct ustore *u, const char *ns, const char *type,
		 const char *id, uint32_t *watch_id, uint64_t *revision)
{
	struct reply rep;
	int err = call(u, US_WATCH, ns, type, id, NULL, 0, 0, false, NULL,
		       NULL, &rep);

	if (!err && watch_id)
		*watch_id = u->seq;
	if (!err && revision)
		*revision = rep.r.revision;
	return err;
}

int ustore_unwatch(struct ustore *u, uint32_t watch_id)
{
	struct us_hdr h = { .op = US_UNWATCH, .seq = watch_id };
	struct reply rep;
	int err;

	if (reserve(&u->out, &u->out_cap, u->out_len + sizeof(h)))
		return -ENOMEM;
	memcpy(u->out + u->out_len, &h, sizeof(h));
	u->out_len += sizeof(h);
	err = flush(u) ?: wait_reply(u, watch_id, false, NULL, NULL, &rep);
	return err ?: rep.status;
}

int ustore_event(struct ustore *u, int timeout_ms, struct ustore_res **ev)
{
	struct us_hdr h;
	const char *p;
	int err;

	*ev = NULL;
	if (u->evq_n) {
		*ev = u->evq[u->evq_head];
		u->evq_head = (u->evq_head + 1) % u->evq_cap;
		u->evq_n--;
		return 0;
	}
	err = next_frame(u, timeout_ms, &h, &p);
	if (err)
		return err;
	if (h.op != US_EVENT)
		return -EPROTO;		/* no request is outstanding */
	*ev = parse_res(&h, p);
	return *ev ? 0 : -EPROTO;
}
