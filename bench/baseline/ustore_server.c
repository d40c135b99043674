// SPDX-License-Identifier: GPL-2.0
/*
 * ustore_server: the baseline of the peer benchmarks, a small in-memory
 * resource store in userspace, written to be fast, to tell whether cosi's
 * kernel placement wins against a plain daemon.  One thread, epoll, a
 * unix SOCK_STREAM socket with binary frames (ustore_proto.h), a chained
 * hash table keyed by namespace/type/id, per-object versions, one store
 * revision, a list per namespace and type (for listing), and watches
 * that push events to their subscribers.
 *
 *   ustore_server SOCKET-PATH
 *
 * Replies are gathered in each connection's output buffer and written once
 * per pass over the ready sockets, so a pipelined burst of requests costs
 * one read and one write.  A subscriber whose unread output passes
 * OUT_LIMIT is disconnected (it can no longer follow the changes).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ustore_proto.h"

#define OUT_LIMIT	(64u << 20)
#define READ_CHUNK	(256u << 10)

struct buf {
	char *p;
	size_t len, cap, off;		/* off: consumed from the front */
};

struct kind;

struct obj {
	struct obj *next;		/* in the hash bucket */
	struct obj *knext, **kpprev;	/* in its kind's list */
	uint32_t hash;
	uint16_t ns_len, type_len, id_len;
	uint32_t val_len;
	uint64_t version;
	uint64_t revision;
	char *val;
	char key[];			/* ns, type, id: not terminated */
};

/* The objects of one namespace and type, for listing. */
struct kind {
	struct obj *head;
	uint16_t ns_len, type_len;
	char key[];
};

struct conn {
	int fd;
	bool dirty;			/* output waiting for flush() */
	bool pollout;			/* registered for EPOLLOUT */
	struct buf in, out;
};

struct sub {
	struct conn *c;
	uint32_t id;
	uint16_t ns_len, type_len, id_len;
	char key[];
};

/* A request's parsed payload: pointers into the input buffer. */
struct req {
	struct us_res r;		/* copied: frames are not aligned */
	const char *ns, *type, *id, *val;
};

static struct obj **table;
static size_t nbuckets = 1024, nobjs;
static uint64_t revision;
static struct kind **kinds;
static size_t nkinds;
static struct sub **subs;
static size_t nsubs;
static struct conn **conns;		/* by fd */
static size_t nconns;
static int *dirty;			/* fds to flush */
static size_t ndirty;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "ustore_server: out of memory\n");
		exit(1);
	}
	return p;
}

static void buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	if (b->off) {		/* compact before growing */
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->len + n <= b->cap)
			return;
	}
	b->cap = (b->len + n) * 2;
	b->p = xrealloc(b->p, b->cap);
}

static void buf_put(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static uint32_t hash_key(const char *k, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (n--)
		h = (h ^ (unsigned char)*k++) * 16777619u;
	return h;
}

static size_t key_len(const struct req *q)
{
	return q->r.ns_len + q->r.type_len + q->r.id_len;
}

/* The request's key is contiguous in the frame: ns, type, id. */
static struct obj **lookup(const struct req *q, uint32_t h)
{
	struct obj **pp = &table[h & (nbuckets - 1)];
	const struct us_res *r = &q->r;

	for (; *pp; pp = &(*pp)->next) {
		struct obj *o = *pp;

		if (o->hash == h && o->ns_len == r->ns_len &&
		    o->type_len == r->type_len && o->id_len == r->id_len &&
		    !memcmp(o->key, q->ns, key_len(q)))
			return pp;
	}
	return pp;
}

static void grow(void)
{
	struct obj **old = table;
	size_t i, n = nbuckets;

	nbuckets *= 2;
	table = calloc(nbuckets, sizeof(*table));
	if (!table) {
		fprintf(stderr, "ustore_server: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		while (old[i]) {
			struct obj *o = old[i];

			old[i] = o->next;
			o->next = table[o->hash & (nbuckets - 1)];
			table[o->hash & (nbuckets - 1)] = o;
		}
	}
	free(old);
}

/* The kind of the request's namespace and type; NULL: none yet. */
static struct kind *find_kind(const struct req *q, bool add)
{
	size_t n = q->r.ns_len + q->r.type_len, i;
	struct kind *k;

	for (i = 0; i < nkinds; i++)
		if (kinds[i]->ns_len == q->r.ns_len &&
		    kinds[i]->type_len == q->r.type_len &&
		    !memcmp(kinds[i]->key, q->ns, n))
			return kinds[i];
	if (!add)
		return NULL;
	k = xrealloc(NULL, sizeof(*k) + n);
	k->head = NULL;
	k->ns_len = q->r.ns_len;
	k->type_len = q->r.type_len;
	memcpy(k->key, q->ns, n);
	kinds = xrealloc(kinds, (nkinds + 1) * sizeof(*kinds));
	kinds[nkinds++] = k;
	return k;
}

static void mark_dirty(struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = true;
	dirty = xrealloc(dirty, (ndirty + 1) * sizeof(*dirty));
	dirty[ndirty++] = c->fd;
}

/* Append a frame with an optional resource payload. */
static void emit(struct conn *c, uint8_t op, uint32_t seq, int32_t status,
		 const struct obj *o, uint8_t kind, uint64_t version,
		 uint64_t rev, bool with_val)
{
	struct us_res r = { .version = version, .revision = rev, .kind = kind };
	struct us_hdr h = { .op = op, .seq = seq, .status = status };
	size_t klen = 0;

	if (o) {
		r.ns_len = o->ns_len;
		r.type_len = o->type_len;
		r.id_len = o->id_len;
		r.val_len = with_val ? o->val_len : 0;
		klen = o->ns_len + o->type_len + o->id_len;
	}
	h.len = sizeof(r) + klen + r.val_len;
	buf_reserve(&c->out, sizeof(h) + h.len);
	buf_put(&c->out, &h, sizeof(h));
	buf_put(&c->out, &r, sizeof(r));
	if (o) {
		buf_put(&c->out, o->key, klen);
		buf_put(&c->out, o->val, r.val_len);
	}
	mark_dirty(c);
}

static bool sub_match(const struct sub *s, const struct obj *o)
{
	const char *k = s->key;

	if (s->ns_len != o->ns_len || s->type_len != o->type_len ||
	    memcmp(k, o->key, s->ns_len + s->type_len))
		return false;
	return !s->id_len || (s->id_len == o->id_len &&
			      !memcmp(k + s->ns_len + s->type_len,
				      o->key + o->ns_len + o->type_len,
				      s->id_len));
}

static void notify(const struct obj *o, uint8_t kind)
{
	size_t i;

	for (i = 0; i < nsubs; i++)
		if (sub_match(subs[i], o))
			emit(subs[i]->c, US_EVENT, subs[i]->id, 0, o, kind,
			     o->version, o->revision, true);
}

static void set_val(struct obj *o, const struct req *q)
{
	free(o->val);
	o->val = xrealloc(NULL, q->r.val_len ?: 1);
	memcpy(o->val, q->val, q->r.val_len);
	o->val_len = q->r.val_len;
}

static void do_write(struct conn *c, uint8_t op, uint32_t seq,
		     const struct req *q)
{
	uint32_t h = hash_key(q->ns, key_len(q));
	struct obj **pp = lookup(q, h), *o = *pp;
	uint64_t want = q->r.version;
	struct kind *k;

	if (op == US_CREATE) {
		if (o) {
			emit(c, US_REPLY, seq, -EEXIST, NULL, 0, 0, revision, false);
			return;
		}
		o = xrealloc(NULL, sizeof(*o) + key_len(q));
		memset(o, 0, sizeof(*o));
		o->hash = h;
		o->ns_len = q->r.ns_len;
		o->type_len = q->r.type_len;
		o->id_len = q->r.id_len;
		memcpy(o->key, q->ns, key_len(q));
		set_val(o, q);
		o->version = 1;
		o->revision = ++revision;
		o->next = table[h & (nbuckets - 1)];
		table[h & (nbuckets - 1)] = o;
		k = find_kind(q, true);
		o->knext = k->head;
		o->kpprev = &k->head;
		if (k->head)
			k->head->kpprev = &o->knext;
		k->head = o;
		if (++nobjs > nbuckets)
			grow();
		emit(c, US_REPLY, seq, 0, o, 0, o->version, revision, false);
		notify(o, US_CREATED);
		return;
	}
	if (!o || (want && want != o->version)) {
		emit(c, US_REPLY, seq, o ? -ESTALE : -ENOENT, NULL, 0, 0,
		     revision, false);
		return;
	}
	o->revision = ++revision;
	o->version++;
	if (op == US_UPDATE) {
		set_val(o, q);
		emit(c, US_REPLY, seq, 0, o, 0, o->version, revision, false);
		notify(o, US_UPDATED);
		return;
	}
	*pp = o->next;
	*o->kpprev = o->knext;
	if (o->knext)
		o->knext->kpprev = o->kpprev;
	nobjs--;
	emit(c, US_REPLY, seq, 0, o, 0, o->version, revision, false);
	notify(o, US_DESTROYED);
	free(o->val);
	free(o);
}

static void do_list(struct conn *c, uint32_t seq, const struct req *q)
{
	const struct us_res *r = &q->r;
	struct kind *k = find_kind(q, false);
	size_t skip = r->ns_len + r->type_len;
	const struct obj *o;
	uint64_t n = 0;

	for (o = k ? k->head : NULL; o; o = o->knext) {
		if (o->id_len < r->id_len ||
		    memcmp(o->key + skip, q->id, r->id_len))
			continue;
		emit(c, US_ITEM, seq, 0, o, 0, o->version, o->revision, true);
		n++;
	}
	emit(c, US_REPLY, seq, 0, NULL, 0, n, revision, false);
}

static void do_watch(struct conn *c, uint32_t seq, const struct req *q)
{
	struct sub *s = xrealloc(NULL, sizeof(*s) + key_len(q));

	s->c = c;
	s->id = seq;
	s->ns_len = q->r.ns_len;
	s->type_len = q->r.type_len;
	s->id_len = q->r.id_len;
	memcpy(s->key, q->ns, key_len(q));
	subs = xrealloc(subs, (nsubs + 1) * sizeof(*subs));
	subs[nsubs++] = s;
	emit(c, US_REPLY, seq, 0, NULL, 0, 0, revision, false);
}

/* Drop @c's watch @id, or all of them. */
static void unwatch(struct conn *c, uint32_t id, bool all)
{
	size_t i = 0;

	while (i < nsubs) {
		if (subs[i]->c == c && (all || subs[i]->id == id)) {
			free(subs[i]);
			subs[i] = subs[--nsubs];
		} else {
			i++;
		}
	}
}

/* 0, or -EPROTO for a malformed frame (the connection is closed). */
static int handle(struct conn *c, const struct us_hdr *h, const char *p)
{
	struct req q = { 0 };

	if (h->op == US_UNWATCH) {
		unwatch(c, h->seq, false);
		emit(c, US_REPLY, h->seq, 0, NULL, 0, 0, revision, false);
		return 0;
	}
	if (h->len < sizeof(q.r))
		return -EPROTO;
	memcpy(&q.r, p, sizeof(q.r));
	if (h->len != sizeof(q.r) + key_len(&q) + q.r.val_len)
		return -EPROTO;
	q.ns = p + sizeof(q.r);
	q.type = q.ns + q.r.ns_len;
	q.id = q.type + q.r.type_len;
	q.val = q.id + q.r.id_len;
	switch (h->op) {
	case US_GET: {
		struct obj *o = *lookup(&q, hash_key(q.ns, key_len(&q)));

		if (o)
			emit(c, US_REPLY, h->seq, 0, o, 0, o->version,
			     o->revision, true);
		else
			emit(c, US_REPLY, h->seq, -ENOENT, NULL, 0, 0,
			     revision, false);
		return 0;
	}
	case US_CREATE:
	case US_UPDATE:
	case US_DELETE:
		do_write(c, h->op, h->seq, &q);
		return 0;
	case US_LIST:
		do_list(c, h->seq, &q);
		return 0;
	case US_WATCH:
		do_watch(c, h->seq, &q);
		return 0;
	}
	return -EPROTO;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	unwatch(c, 0, true);
	conns[c->fd] = NULL;
	free(c->in.p);
	free(c->out.p);
	free(c);
}

/* Read what is there and answer every complete frame; -1: close it. */
static int conn_read(struct conn *c)
{
	struct buf *b = &c->in;
	ssize_t n;

	for (;;) {
		buf_reserve(b, READ_CHUNK);
		n = read(c->fd, b->p + b->len, b->cap - b->len);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (n < 0)
			break;
		b->len += n;
		while (b->len - b->off >= sizeof(struct us_hdr)) {
			struct us_hdr h;

			memcpy(&h, b->p + b->off, sizeof(h));
			if (h.len > US_MAX_FRAME)
				return -1;
			if (b->len - b->off < sizeof(h) + h.len)
				break;
			if (handle(c, &h, b->p + b->off + sizeof(h)))
				return -1;
			b->off += sizeof(h) + h.len;
		}
		if (b->off == b->len)
			b->off = b->len = 0;
		if ((size_t)n < READ_CHUNK)
			break;
	}
	return 0;
}

/* Write out; wait for EPOLLOUT when the socket is full. */
static void conn_flush(int ep, struct conn *c)
{
	struct epoll_event ev = { .data.fd = c->fd };
	struct buf *b = &c->out;

	c->dirty = false;
	while (b->off < b->len) {
		ssize_t n = write(c->fd, b->p + b->off, b->len - b->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			conn_close(ep, c);
			return;
		}
		b->off += n;
	}
	if (b->off == b->len)
		b->off = b->len = 0;
	if (b->len - b->off > OUT_LIMIT) {
		fprintf(stderr, "ustore_server: dropping a slow subscriber\n");
		conn_close(ep, c);
		return;
	}
	if (c->pollout != !!b->len) {	/* a syscall only on a change */
		c->pollout = b->len;
		ev.events = EPOLLIN | (b->len ? EPOLLOUT : 0);
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ustore_server: socket path too long\n");
		exit(2);
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (void *)&sa, sizeof(sa)) || listen(fd, 128)) {
		fprintf(stderr, "ustore_server: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void accept_all(int ep, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if ((size_t)fd >= nconns) {
			size_t n = fd * 2 + 16;

			conns = xrealloc(conns, n * sizeof(*conns));
			memset(conns + nconns, 0, (n - nconns) * sizeof(*conns));
			nconns = n;
		}
		c = xrealloc(NULL, sizeof(*c));
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		conns[fd] = c;
		ev.data.fd = fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

int main(int argc, char **argv)
{
	struct epoll_event evs[64], ev = { .events = EPOLLIN };
	int ep, lfd, i, n;
	size_t d;

	if (argc != 2) {
		fprintf(stderr, "usage: ustore_server SOCKET-PATH\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	table = calloc(nbuckets, sizeof(*table));
	lfd = listen_on(argv[1]);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lfd;
	if (!table || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		fprintf(stderr, "ustore_server: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "ustore_server: epoll: %s\n",
				strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct conn *c;

			if (evs[i].data.fd == lfd) {
				accept_all(ep, lfd);
				continue;
			}
			c = conns[evs[i].data.fd];
			if (!c)
				continue;
			if (evs[i].events & EPOLLOUT)
				mark_dirty(c);
			if ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
			    conn_read(c))
				conn_close(ep, c);
		}
		/* Connections closed meanwhile left NULL; fds reused are fine. */
		for (d = 0; d < ndirty; d++)
			if (conns[dirty[d]] && conns[dirty[d]]->dirty)
				conn_flush(ep, conns[dirty[d]]);
		ndirty = 0;
	}
}
