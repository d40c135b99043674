// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * libcosi: the socket, requests and their replies, extended acks, the
 * queue of events received meanwhile, and one call per cosi operation.
 *
 * Every request goes through cosi_request(): send, then read until its
 * reply, the ACK (only ops that do not reply ask for one, see
 * cosi_req_ack()), the error or the end of the dump: one message per
 * request.  Live events (unicast from a watch, or multicast) may arrive on
 * the same socket at any time; they are parsed and queued, and
 * cosi_watch_recv() hands them out in order.
 *
 * Receiving is libcosi's own (cosi_recv()): up to COSI_RX_SLOTS datagrams
 * per recvmmsg() into one buffer kept by the handle, each message handled
 * where it lies (cosi_rx_msg()); libnl builds requests and sends them.
 * libnl's nl_recvmsgs() allocated a buffer per datagram and copied each
 * message into an nl_msg of its own before its callbacks ran.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* recvmmsg() */
#endif
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "cosi_nl.h"
#include "cosi_opts.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* Resource messages reach ~32 KiB: read whole datagrams, never peek. */
#define COSI_MSG_BUF	(64 * 1024)
/* Asked for; the kernel caps it at net.core.rmem_max. */
#define COSI_RCVBUF	(1024 * 1024)

/* A queued event; a NULL event marks a receive buffer overflow. */
struct cosi_qent {
	struct cosi_qent *next;
	struct cosi_event *ev;
};

/* The request in flight. */
struct cosi_rx {
	cosi_msg_fn fn;		/* each reply as a libnl message (raw) */
	cosi_nlh_fn nfn;	/* each reply where it was received */
	void *arg;
	uint32_t seq;
	bool done;
	bool intr;
	int local_err;		/* negative errno from fn */
	struct cosi_batch_op *ops;	/* a batch: seq .. seq + n_ops - 1 */
	struct cosi_write *w;		/* or writes, as many */
	size_t n_ops;
	size_t answered;
	/*
	 * A chunk with quiet writes: only the last request has NLM_F_ACK
	 * (and the requests that ask for their own); the chunk ends when the
	 * last request is answered and every dump in it has ended (a dump
	 * goes on as the socket is read, after the acks of later requests),
	 * see cosi_rx_quiet_end() and cosi_chunk_end().  @nobufs: the socket
	 * reported ENOBUFS meanwhile (a message to it was dropped, or an
	 * error it was owed could not be allocated).
	 */
	bool quiet;
	bool last_answered;
	bool nobufs;
};

static unsigned int cosi_req_parts(uint8_t cmd);
static bool cosi_req_ack(const struct cosi *c, const struct nlmsghdr *nlh);
static bool cosi_req_flag(const struct cosi *c, const struct nlmsghdr *nlh,
			  int attr);
static bool cosi_reply_ends(const struct nlmsghdr *req,
			    const struct nlmsghdr *reply);

/* The index in a batch of the answer @nlh, or n_ops when none. */
static size_t cosi_rx_index(const struct cosi_rx *rx,
			    const struct nlmsghdr *nlh)
{
	uint32_t i = nlh->nlmsg_seq - rx->seq;

	return (rx->ops || rx->w) && i < rx->n_ops ? i : rx->n_ops;
}

/* An operation of a batch is answered; the batch when all are. */
static void cosi_rx_answered(struct cosi_rx *rx, bool *done)
{
	if (*done)
		return;
	*done = true;
	if (++rx->answered == rx->n_ops)
		rx->done = true;
}

/*
 * Received datagrams: up to COSI_RX_SLOTS per recvmmsg(), each in a slot
 * of COSI_MSG_BUF (a datagram is at most one resource message, or a
 * dump's batch of up to 32 KiB).
 */
#define COSI_RX_SLOTS	16
/* Requests of a batch go out of one buffer: a chunk and one more. */
#define COSI_TX_BUF	(COSI_BATCH_BYTES + COSI_MSG_BUF)

struct cosi {
	struct nl_sock *sk;
	char *rxbuf;		/* COSI_RX_SLOTS * COSI_MSG_BUF, lazily */
	char *txbuf;		/* COSI_TX_BUF, lazily */
	size_t tx_max;		/* the largest sendmsg() the socket takes */
	struct cosi_pool *pool;	/* cosi_list()'s blocks, lazily */
	int family;
	int events_grp;
	int ctrl_grp;		/* nlctrl's "notify": families come and go */
	bool ctrl_joined;
	bool gone;		/* the family was unregistered */
	bool events;		/* has watched or joined the events group */
	/*
	 * Whether the module takes compact list requests: unknown until a
	 * list answers (a module older than the flag refuses it as an
	 * unknown attribute, EINVAL; the list is then asked again without
	 * it, and every later one).
	 */
	bool compact_ok;
	bool compact_no;
	struct cosi_rx *rx;	/* the request being answered, if any */
	struct cosi_err err;
	bool intr;
	bool lost;		/* an event could not be queued */
	struct nl_msg *last_req;
	struct nl_msg *spare;	/* a sent request's buffer, for the next */
	struct cosi_qent *qhead;
	struct cosi_qent **qtail;
	char errbuf[512];
};

/**
 * cosi_nl_errno() - the errno of a libnl error code
 * @nlerr: an NLE_* code, either sign
 *
 * The one mapping of libcosi and of its users (cosid's controllers use
 * libnl-route too): each NLE_* code as the errno the kernel or libc would
 * have given, EIO for the rest.
 *
 * Return: a positive errno, 0 for 0.
 */
int cosi_nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:				return 0;
	case NLE_INTR:			return EINTR;
	case NLE_BAD_SOCK:		return EBADF;
	case NLE_AGAIN:			return EAGAIN;
	case NLE_NOMEM:			return ENOMEM;
	case NLE_EXIST:			return EEXIST;
	case NLE_INVAL:			return EINVAL;
	case NLE_RANGE:			return ERANGE;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:		return EMSGSIZE;
	case NLE_OPNOTSUPP:		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:		return EAFNOSUPPORT;
	/* libnl folds ENOENT and ENODEV from the kernel into this one. */
	case NLE_OBJ_NOTFOUND:		return ENOENT;
	case NLE_NOATTR:		return ENOENT;
	case NLE_PERM:			return EPERM;
	case NLE_BUSY:			return EBUSY;
	case NLE_NOACCESS:		return EACCES;
	case NLE_NODEV:			return ENODEV;
	case NLE_PROTO_MISMATCH:	return EPROTONOSUPPORT;
	default:			return EIO;
	}
}

static int cosi_fail(struct cosi *c, int err)
{
	c->err.err = err;
	return -err;
}

/*
 * The ABI check of a caller-built request (cosi_opts.h), before any I/O:
 * *@dst is the library's copy; a failure is the handle's last error, its
 * message what cosi_strerror() prints.
 */
int cosi_opts_check(struct cosi *c, void *dst, size_t dst_sz,
		    const void *src, const char *name)
{
	int err;

	memset(&c->err, 0, sizeof(c->err));
	err = cosi_opts_copy(dst, dst_sz, src, name, c->err.msg,
			     sizeof(c->err.msg));
	return err ? cosi_fail(c, -err) : 0;
}

/* The event queue. */

static void cosi_queue_add(struct cosi *c, struct cosi_event *ev)
{
	struct cosi_qent *q = calloc(1, sizeof(*q));

	if (!q) {
		cosi_event_free(ev);
		c->lost = true;
		return;
	}
	q->ev = ev;
	*c->qtail = q;
	c->qtail = &q->next;
}

static struct cosi_qent *cosi_queue_pop(struct cosi *c)
{
	struct cosi_qent *q = c->qhead;

	if (q) {
		c->qhead = q->next;
		if (!c->qhead)
			c->qtail = &c->qhead;
	}
	return q;
}

/*
 * Hand out queued events up to an overflow mark; the mark itself is
 * reported (-ENOBUFS) by the call that finds it first in the queue.
 */
static int cosi_deliver(struct cosi *c, cosi_event_fn fn, void *arg)
{
	struct cosi_event *ev;
	struct cosi_qent *q;
	int n = 0;

	while (c->qhead && !(n && !c->qhead->ev)) {
		q = cosi_queue_pop(c);
		ev = q->ev;
		free(q);
		if (!ev)
			return -ENOBUFS;
		n++;
		if (fn)
			fn(ev, arg);
		else
			cosi_event_free(ev);
	}
	if (!n && c->lost) {
		c->lost = false;
		return -ENOBUFS;
	}
	if (!n && c->gone)
		return -ENOENT;
	return n;
}

/* Received messages; each is handled where it was received. */

static bool cosi_is_event(const struct cosi *c, const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type == c->family &&
	       nlh->nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN &&
	       ((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd ==
	       COSI_CMD_RESOURCE_EVENT;
}

/* nlctrl announces that our family was unregistered (module unload). */
static bool cosi_is_delfamily(const struct cosi *c, struct nlmsghdr *nlh)
{
	struct nlattr *id;

	if (nlh->nlmsg_type != GENL_ID_CTRL || !genlmsg_valid_hdr(nlh, 0) ||
	    genlmsg_hdr(nlh)->cmd != CTRL_CMD_DELFAMILY)
		return false;
	id = nla_find(genlmsg_attrdata(genlmsg_hdr(nlh), 0),
		      genlmsg_attrlen(genlmsg_hdr(nlh), 0), CTRL_ATTR_FAMILY_ID);
	return id && nla_len(id) >= 2 && nla_get_u16(id) == c->family;
}

/* A reply (not an error, ack or done) of a request in flight. */
static void cosi_rx_reply(struct cosi *c, struct cosi_rx *rx,
			  struct nlmsghdr *nlh)
{
	struct nl_msg *msg;
	int err = 0;

	if (rx->nfn) {
		err = rx->nfn(nlh, rx->arg);
	} else if (rx->fn) {
		/* A caller's function takes a libnl message: a copy. */
		msg = nlmsg_convert(nlh);
		err = msg ? rx->fn(msg, rx->arg) : -ENOMEM;
		nlmsg_free(msg);
	}
	if (err && !rx->local_err)
		rx->local_err = err;
	if (cosi_reply_ends(nlmsg_hdr(c->last_req), nlh))
		rx->done = true;
}

/* Whether @op of a batch is a dump (answered by its NLMSG_DONE). */
static bool cosi_op_is_dump(const struct cosi_batch_op *op)
{
	return op->msg &&
	       (nlmsg_hdr(op->msg)->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

/*
 * A quiet chunk ends once its last request is answered and no dump of it
 * is still going: a dump's later datagrams and its NLMSG_DONE are made
 * only as the socket is read, after the acks of the requests behind it.
 */
static void cosi_rx_quiet_end(struct cosi_rx *rx)
{
	size_t i;

	if (!rx->last_answered)
		return;
	for (i = 0; rx->ops && i < rx->n_ops; i++)
		if (!rx->ops[i].done && cosi_op_is_dump(&rx->ops[i]))
			return;
	rx->done = true;
}

/* The answer @nlh of request @i, read into its batch entry. */
static void cosi_rx_batch_one(struct cosi_rx *rx, size_t i,
			      struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	bool is_err = nlh->nlmsg_type == NLMSG_ERROR;
	bool ack = is_err && nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) &&
		   !e->error;
	bool last = i == rx->n_ops - 1;
	struct cosi_resource *r;
	struct cosi_write *w;
	struct cosi_batch_op *op;

	/*
	 * An ack answers its request: the kernel acks only one that asked
	 * (NLM_F_ACK: in a quiet chunk the last, and those asking their own).
	 */
	if (rx->w) {
		w = &rx->w[i];
		if (is_err && !ack)
			cosi_nlerr_parse(nlh, &w->err);
		else if (!is_err &&
			 cosi_write_answer_parse(nlh, &w->version,
						 &w->revision))
			w->err.err = EPROTO;
		cosi_rx_answered(rx, &w->done);
		return;
	}
	op = &rx->ops[i];
	if (is_err) {
		/* Malformed or not, op->err has an errno; 0 is the ack. */
		if (!ack)
			cosi_nlerr_parse(nlh, &op->err);
		cosi_rx_answered(rx, &op->done);
		return;
	}
	if (!cosi_resource_parse_nlh(nlh, &r)) {
		cosi_resource_free(op->res);
		op->res = r;
	}
	/* A quiet chunk's last request asked for the ack after its reply. */
	if (cosi_reply_ends(nlmsg_hdr(op->msg), nlh) ||
	    (rx->quiet && last && !(nlh->nlmsg_flags & NLM_F_MULTI)))
		cosi_rx_answered(rx, &op->done);
}

/* An answer of a batch: the reply, error or ack of request @i. */
static void cosi_rx_batch(struct cosi_rx *rx, size_t i, struct nlmsghdr *nlh)
{
	bool is_err = nlh->nlmsg_type == NLMSG_ERROR;

	cosi_rx_batch_one(rx, i, nlh);
	if (!rx->quiet)
		return;
	if (is_err && i == rx->n_ops - 1)
		rx->last_answered = true;
	cosi_rx_quiet_end(rx);
}

/*
 * One received message: an event (queued), nlctrl's notice that the
 * family is gone, or an answer of @rx (NULL or done: none in flight);
 * anything else is stale (the answer of a request that timed out) and
 * skipped.
 */
static void cosi_rx_msg(struct cosi *c, struct cosi_rx *rx,
			struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	struct cosi_event *ev;
	size_t i = 0;

	if (cosi_is_event(c, nlh)) {
		if (cosi_event_parse_nlh(nlh, &ev))
			c->lost = true;
		else
			cosi_queue_add(c, ev);
		return;
	}
	if (nlh->nlmsg_type == GENL_ID_CTRL && !nlh->nlmsg_seq) {
		/* Notifications (seq 0) are not replies: never a request's. */
		if (cosi_is_delfamily(c, nlh))
			c->gone = true;
		return;
	}
	if (!rx || rx->done)
		return;
	if (rx->ops || rx->w) {
		i = cosi_rx_index(rx, nlh);
		if (i == rx->n_ops)
			return;
	} else if (nlh->nlmsg_seq != rx->seq) {
		return;
	}
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		rx->intr = true;
	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		return;
	case NLMSG_DONE:
		if (rx->ops) {
			/*
			 * A dump in a batch: its end answers its request, not
			 * the batch (nor does it end a quiet chunk before its
			 * last request: a dump asks for no ack).
			 */
			cosi_nlerr_parse(nlh, &rx->ops[i].err);
			cosi_rx_answered(rx, &rx->ops[i].done);
			if (rx->quiet) {
				rx->last_answered |= i == rx->n_ops - 1;
				cosi_rx_quiet_end(rx);
			}
			return;
		}
		if (cosi_nlerr_parse(nlh, &c->err) && !rx->local_err)
			rx->local_err = -EPROTO;
		rx->done = true;
		return;
	case NLMSG_ERROR:
		if (rx->ops || rx->w)
			break;
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
			/* Too short to say which errno: a broken answer. */
			cosi_nlerr_parse(nlh, &c->err);
		} else if (e->error) {
			cosi_nlerr_parse(nlh, &c->err);
		}
		rx->done = true;	/* the error, or the ack */
		return;
	default:
		if (!rx->ops && !rx->w) {
			cosi_rx_reply(c, rx, nlh);
			return;
		}
	}
	cosi_rx_batch(rx, i, nlh);
}

/*
 * Read what is there (waiting for the first datagram, SO_RCVTIMEO at
 * most), up to @slots datagrams in one recvmmsg(), and handle each
 * message.  Return: the datagrams read, or a negative errno.
 */
static int cosi_recv(struct cosi *c, struct cosi_rx *rx, unsigned int slots,
		     int flags)
{
	struct mmsghdr mm[COSI_RX_SLOTS];
	struct iovec iov[COSI_RX_SLOTS];
	struct sockaddr_nl sa[COSI_RX_SLOTS];
	struct nlmsghdr *nlh;
	unsigned int i;
	int n, len, trunc = 0;

	if (!c->rxbuf) {
		c->rxbuf = malloc((size_t)COSI_RX_SLOTS * COSI_MSG_BUF);
		if (!c->rxbuf)
			return -ENOMEM;
	}
	if (slots > COSI_RX_SLOTS)
		slots = COSI_RX_SLOTS;
	for (i = 0; i < slots; i++) {
		iov[i].iov_base = c->rxbuf + (size_t)i * COSI_MSG_BUF;
		iov[i].iov_len = COSI_MSG_BUF;
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &sa[i];
		mm[i].msg_hdr.msg_namelen = sizeof(sa[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	do {
		n = recvmmsg(nl_socket_get_fd(c->sk), mm, slots, flags, NULL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (i = 0; i < (unsigned int)n; i++) {
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
			trunc = 1;	/* a message lost: fail, as libnl */
			continue;
		}
		if (sa[i].nl_pid)	/* only the kernel talks to us */
			continue;
		len = (int)mm[i].msg_len;
		for (nlh = iov[i].iov_base; nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len))
			cosi_rx_msg(c, rx, nlh);
	}
	return trunc ? -EMSGSIZE : n;
}

/* Extended acks. */

static const struct nla_policy cosi_extack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG]		= { .type = NLA_STRING },
	[NLMSGERR_ATTR_OFFS]		= { .type = NLA_U32 },
	[NLMSGERR_ATTR_MISS_TYPE]	= { .type = NLA_U32 },
};

static int cosi_extack_parse(struct nlattr *head, int len,
			     struct cosi_err *out)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (nla_parse(tb, NLMSGERR_ATTR_MAX, head, len, cosi_extack_policy))
		return -EPROTO;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(out->msg, sizeof(out->msg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS]) {
		out->has_offset = true;
		out->offset = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
		out->has_miss_type = true;
		out->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	}
	return 0;
}

/**
 * cosi_nlerr_parse() - read the errno and extack of an ERROR or DONE message
 * @nlh: the message
 * @out: the outcome, reset first
 *
 * An NLMSG_ERROR carries a struct nlmsgerr, followed by the request's
 * payload unless NLM_F_CAPPED; an NLMSG_DONE carries an int.  The extack
 * TLVs follow (NLM_F_ACK_TLVS).
 *
 * Return: 0, or -EPROTO for a malformed message.  Either way @out->err is
 * set: the kernel's errno, or EPROTO when the message has none in range.
 */
int cosi_nlerr_parse(const struct nlmsghdr *nlh, struct cosi_err *out)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	const char *data = nlmsg_data(nlh);
	int len = nlmsg_datalen(nlh), error = 0;
	size_t off;

	memset(out, 0, sizeof(*out));
	out->err = EPROTO;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		if (len < (int)sizeof(*e))
			return -EPROTO;
		error = e->error;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e->msg.nlmsg_len > NLMSG_HDRLEN)
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		off = sizeof(error);
		if (len >= (int)off)
			memcpy(&error, data, sizeof(error));
	} else {
		return -EPROTO;
	}
	/* A kernel errno is in [-4095, 0]; anything else is garbage. */
	if (error < -4095 || error > 0)
		return -EPROTO;
	out->err = -error;
	off = NLMSG_ALIGN(off);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= (size_t)len)
		return 0;
	return cosi_extack_parse((struct nlattr *)(data + off),
				 len - (int)off, out);
}

const struct cosi_err *cosi_last_error(const struct cosi *c)
{
	return &c->err;
}

/* "op: strerror(errno)[: extack]" into @buf. */
const char *cosi_err_format(const struct cosi_err *e, const char *op,
			    char *buf, size_t len)
{
	snprintf(buf, len, "%s: %s%s%s", op, strerror(e->err),
		 e->msg[0] ? ": " : "", e->msg);
	return buf;
}

/* The last error, formatted; valid until the next call. */
const char *cosi_strerror(struct cosi *c, const char *op)
{
	return cosi_err_format(&c->err, op, c->errbuf, sizeof(c->errbuf));
}

/* The attribute of the last request the extack offset points at. */
const struct nlattr *cosi_extack_attr(const struct cosi *c)
{
	const struct nlmsghdr *nlh;

	if (!c->err.has_offset || !c->last_req)
		return NULL;
	nlh = nlmsg_hdr(c->last_req);
	if (c->err.offset < NLMSG_HDRLEN + GENL_HDRLEN ||
	    c->err.offset + NLA_HDRLEN > nlh->nlmsg_len)
		return NULL;
	return (const struct nlattr *)((const char *)nlh + c->err.offset);
}

/* The last request sent, until the next one (NULL before the first). */
const struct nlmsghdr *cosi_last_request(const struct cosi *c)
{
	return c->last_req ? nlmsg_hdr(c->last_req) : NULL;
}

/* The handle. */

static int cosi_setsockopt(struct cosi *c, int level, int opt, int val)
{
	if (setsockopt(nl_socket_get_fd(c->sk), level, opt, &val, sizeof(val)))
		return -errno;
	return 0;
}

/**
 * cosi_set_timeout() - bound the wait for a reply
 * @c: handle
 * @ms: milliseconds (0: wait forever)
 *
 * Netlink drops a reply that does not fit in the receive buffer, e.g. one
 * full of unread events; a request then fails with ETIMEDOUT instead of
 * waiting forever.
 *
 * Return: 0 or a negative errno.
 */
int cosi_set_timeout(struct cosi *c, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	if (setsockopt(nl_socket_get_fd(c->sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)))
		return -errno;
	return 0;
}

/*
 * The send buffer: libnl's connect leaves 32 KiB (64 KiB in the kernel),
 * where a batch's chunk may reach COSI_TX_BUF.  The kernel caps the size
 * at net.core.wmem_max, so the chunks are bounded by what it granted:
 * netlink_sendmsg() refuses a datagram over sk_sndbuf - 32 (EMSGSIZE).
 */
static int cosi_tx_size(struct cosi *c)
{
	socklen_t len = sizeof(int);
	int v;

	if (cosi_setsockopt(c, SOL_SOCKET, SO_SNDBUF, COSI_TX_BUF) ||
	    getsockopt(nl_socket_get_fd(c->sk), SOL_SOCKET, SO_SNDBUF, &v,
		       &len))
		return -errno;
	c->tx_max = v > 32 ? (size_t)v - 32 : 0;
	return 0;
}

/* A request larger than the socket takes: its own error, not the batch's. */
static void cosi_over_sndbuf(const struct cosi *c, struct cosi_err *e,
			     size_t len)
{
	e->err = EMSGSIZE;
	snprintf(e->msg, sizeof(e->msg),
		 "request of %zu bytes over the socket's send buffer (%zu; net.core.wmem_max)",
		 len, c->tx_max);
}

/* A batch's chunk: COSI_BATCH_BYTES, or less when the socket takes less. */
static size_t cosi_chunk_max(const struct cosi *c)
{
	return c->tx_max < COSI_BATCH_BYTES ? c->tx_max : COSI_BATCH_BYTES;
}

static int cosi_connect(struct cosi *c)
{
	int err;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	nl_socket_disable_msg_peek(c->sk);
	/* cosi_msg_complete() sets NLM_F_ACK where an answer needs it. */
	nl_socket_disable_auto_ack(c->sk);
	err = nl_socket_set_msg_buf_size(c->sk, COSI_MSG_BUF);
	if (!err)
		err = genl_connect(c->sk);
	if (err)
		return -cosi_nl_errno(err);
	err = cosi_setsockopt(c, SOL_SOCKET, SO_RCVBUF, COSI_RCVBUF);
	if (!err)
		err = cosi_tx_size(c);
	if (!err)
		err = cosi_set_timeout(c, COSI_TIMEOUT_MS);
	if (!err)
		err = cosi_setsockopt(c, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	if (!err)
		err = cosi_setsockopt(c, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	return err;
}

static int cosi_resolve(struct cosi *c)
{
	c->family = genl_ctrl_resolve(c->sk, COSI_FAMILY_NAME);
	if (c->family < 0)
		return -cosi_nl_errno(c->family);
	c->events_grp = genl_ctrl_resolve_grp(c->sk, COSI_FAMILY_NAME,
					      COSI_MCGRP_EVENTS);
	if (c->events_grp < 0)
		return -cosi_nl_errno(c->events_grp);
	c->ctrl_grp = genl_ctrl_resolve_grp(c->sk, "nlctrl", "notify");
	if (c->ctrl_grp < 0)
		return -cosi_nl_errno(c->ctrl_grp);
	return 0;
}

/**
 * cosi_open() - open a cosi socket in the current network namespace
 *
 * Return: the handle, or NULL with errno set (ENOENT: no cosi family,
 * i.e. the module is not loaded).
 */
struct cosi *cosi_open(void)
{
	struct cosi *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->qtail = &c->qhead;
	err = cosi_connect(c);
	if (!err)
		err = cosi_resolve(c);
	if (err) {
		cosi_close(c);
		errno = -err;
		return NULL;
	}
	return c;
}

void cosi_close(struct cosi *c)
{
	struct cosi_qent *q;

	if (!c)
		return;
	while ((q = cosi_queue_pop(c))) {
		cosi_event_free(q->ev);
		free(q);
	}
	nlmsg_free(c->last_req);
	nlmsg_free(c->spare);
	free(c->rxbuf);
	free(c->txbuf);
	cosi_pool_put(c->pool);
	nl_socket_free(c->sk);
	free(c);
}

int cosi_fd(const struct cosi *c)
{
	return nl_socket_get_fd(c->sk);
}

int cosi_family(const struct cosi *c)
{
	return c->family;
}

/* SO_RCVBUFFORCE when allowed (root), else SO_RCVBUF. */
int cosi_set_rcvbuf(struct cosi *c, int bytes)
{
	if (!cosi_setsockopt(c, SOL_SOCKET, SO_RCVBUFFORCE, bytes))
		return 0;
	return cosi_setsockopt(c, SOL_SOCKET, SO_RCVBUF, bytes);
}

int cosi_events_join(struct cosi *c)
{
	int err;

	c->events = true;
	err = nl_socket_add_membership(c->sk, c->events_grp);

	return err ? cosi_fail(c, cosi_nl_errno(err)) : 0;
}

/* Requests. */

/*
 * Keep one sent request's buffer for the next request: libnl zeroes a new
 * buffer whole, and COSI_MSG_BUF of memset per request cost more than the
 * round trip itself.  Only messages this library alone holds come here.
 */
static void cosi_msg_recycle(struct cosi *c, struct nl_msg *m)
{
	if (!m)
		return;
	if (c->spare) {
		nlmsg_free(m);
		return;
	}
	nlmsg_hdr(m)->nlmsg_len = NLMSG_HDRLEN;	/* empty, capacity kept */
	c->spare = m;
}

struct nl_msg *cosi_msg_new(struct cosi *c, uint8_t cmd, int flags)
{
	struct nl_msg *m = c->spare;

	c->spare = NULL;
	if (!m)
		m = nlmsg_alloc_size(COSI_MSG_BUF);

	if (m && !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			      flags, cmd, COSI_FAMILY_VERSION)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

/* Port and seq, as libnl's; NLM_F_ACK as cosi_req_ack() decides. */
static void cosi_msg_complete(struct cosi *c, struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	nl_complete_msg(c->sk, m);
	if (cosi_req_ack(c, nlh))
		nlh->nlmsg_flags |= NLM_F_ACK;
	else
		nlh->nlmsg_flags &= ~NLM_F_ACK;
}

/*
 * Whether every answer @rx still waits for is queued or was dropped: a
 * batch's chunk without a dump going on, after the socket reported
 * ENOBUFS.  The kernel answers a sendmsg()'s requests before it returns
 * (only a dump goes on as the socket is read); a full receive buffer
 * then drops all until it is read empty, the chunk's last answer too.
 */
static bool cosi_rx_all_sent(const struct cosi_rx *rx)
{
	size_t i;

	if (!(rx->ops || rx->w) || !rx->nobufs)
		return false;
	for (i = 0; rx->ops && i < rx->n_ops; i++)
		if (!rx->ops[i].done && cosi_op_is_dump(&rx->ops[i]))
			return false;
	return true;
}

/* Read until the request is answered; returns a negative errno or 0. */
static int cosi_wait(struct cosi *c, struct cosi_rx *rx)
{
	bool drain;
	int n;

	while (!rx->done) {
		drain = cosi_rx_all_sent(rx);
		n = cosi_recv(c, rx, COSI_RX_SLOTS,
			      drain ? MSG_DONTWAIT : MSG_WAITFORONE);
		if (n >= 0 || rx->done)
			continue;
		if (n == -ENOBUFS) {
			/*
			 * Events were lost, or an answer: the reply is still
			 * coming, unless the chunk is quiet (see above).
			 */
			cosi_queue_add(c, NULL);
			rx->nobufs = true;
			continue;
		}
		if (drain && (n == -EAGAIN || n == -EWOULDBLOCK)) {
			/* Read empty: the rest was dropped (cosi_chunk_end()). */
			rx->done = true;
			break;
		}
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return -ETIMEDOUT;	/* SO_RCVTIMEO: reply lost */
		return n;
	}
	return 0;
}

/**
 * cosi_request() - send a request and read its replies
 * @c: handle
 * @msg: the request, from cosi_msg_new(); consumed (kept for
 *	 cosi_extack_attr() until the next request)
 * @fn: called with each reply message (may be NULL)
 * @arg: passed to @fn
 *
 * Return: 0, or a negative errno: the kernel's, else @fn's, else a local
 * one.  The errno and extack are kept for cosi_last_error().
 */
static int cosi_request_rx(struct cosi *c, struct nl_msg *msg,
			   struct cosi_rx *rx)
{
	int err;

	if (c->rx) {
		/* From a reply callback: the handle is busy with its request. */
		nlmsg_free(msg);
		return -EBUSY;
	}
	memset(&c->err, 0, sizeof(c->err));
	c->intr = false;
	cosi_msg_recycle(c, c->last_req);
	c->last_req = msg;
	cosi_msg_complete(c, msg);
	errno = 0;
	err = nl_send(c->sk, msg);
	if (err < 0)
		return cosi_fail(c, errno ?: cosi_nl_errno(err));
	rx->seq = nlmsg_hdr(msg)->nlmsg_seq;
	c->rx = rx;
	err = cosi_wait(c, rx);
	c->rx = NULL;
	c->intr = rx->intr;
	if (c->err.err)
		return -c->err.err;
	err = err ?: rx->local_err;
	return err ? cosi_fail(c, -err) : 0;
}

int cosi_request(struct cosi *c, struct nl_msg *msg, cosi_msg_fn fn,
		 void *arg)
{
	struct cosi_rx rx = { .fn = fn, .arg = arg };

	return cosi_request_rx(c, msg, &rx);
}

/* As cosi_request(), @fn reading each reply where it was received. */
static int cosi_request_nlh(struct cosi *c, struct nl_msg *msg,
			    cosi_nlh_fn fn, void *arg)
{
	struct cosi_rx rx = { .nfn = fn, .arg = arg };

	return cosi_request_rx(c, msg, &rx);
}

/* The buffer batched requests are sent from. */
static char *cosi_txbuf(struct cosi *c)
{
	if (!c->txbuf)
		c->txbuf = malloc(COSI_TX_BUF);
	return c->txbuf;
}

/* Send @len bytes of requests (@rx's) in one sendmsg(); read the answers. */
static int cosi_send_batch(struct cosi *c, const char *buf, size_t len,
			   struct cosi_rx *rx)
{
	int err;

	if (c->rx)
		return -EBUSY;	/* from a reply callback, see cosi_request_rx() */
	errno = 0;
	err = nl_sendto(c->sk, (void *)buf, len);
	if (err < 0)
		return -(errno ?: cosi_nl_errno(err));
	c->rx = rx;
	err = cosi_wait(c, rx);
	c->rx = NULL;
	return err;
}

/*
 * Messages the socket dropped so far (SO_MEMINFO; a full receive buffer
 * drops what the kernel sends, and counts it).
 */
static int cosi_drops(const struct cosi *c, uint32_t *drops)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	if (getsockopt(nl_socket_get_fd(c->sk), SOL_SOCKET, SO_MEMINFO, mi,
		       &len))
		return -errno;
	if (len <= SK_MEMINFO_DROPS * sizeof(mi[0]))
		return -EPROTO;
	*drops = mi[SK_MEMINFO_DROPS];
	return 0;
}

/*
 * Take a pending socket error before a chunk is sent, so that an
 * ENOBUFS read while the chunk is answered is the chunk's: one from
 * before (events dropped while the handle was idle) is noted as events
 * lost, as cosi_wait() would have.
 */
static void cosi_sk_error_take(struct cosi *c)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (!getsockopt(nl_socket_get_fd(c->sk), SOL_SOCKET, SO_ERROR, &err,
			&len) && err == ENOBUFS)
		cosi_queue_add(c, NULL);
}

/*
 * The end of a quiet chunk (@rx) or of one that lost answers, whose
 * requests were sent when the socket had dropped @drops0 messages
 * (@drops_err: unknown; not read for a chunk that is not quiet).  The kernel
 * answers the requests of a sendmsg() in order, and a quiet write only
 * when it fails: once the last request's ack or error is read, a request
 * still unanswered succeeded, unless the socket dropped a message
 * meanwhile (its receive buffer full, of events or of answers) or said
 * ENOBUFS (also an error the kernel could not allocate): that may have
 * been its error or reply, so its outcome is unknown (ENOBUFS).
 */
static void cosi_chunk_end(const struct cosi *c, struct cosi_rx *rx,
			   int drops_err, uint32_t drops0)
{
	uint32_t drops = 0;
	bool lost = rx->nobufs || drops_err || cosi_drops(c, &drops) ||
		    drops != drops0;
	struct cosi_err *e;
	bool *done;
	size_t i;

	for (i = 0; i < rx->n_ops; i++) {
		e = rx->w ? &rx->w[i].err : &rx->ops[i].err;
		done = rx->w ? &rx->w[i].done : &rx->ops[i].done;
		if (*done || e->err)
			continue;
		if (!lost) {
			*done = true;
			continue;
		}
		e->err = ENOBUFS;
		snprintf(e->msg, sizeof(e->msg),
			 "not answered, and the socket lost messages meanwhile (ENOBUFS: receive buffer full, or no memory for an answer): outcome unknown");
	}
}

/*
 * Send a chunk (@rx's requests, @len bytes at @buf, the last at @last)
 * and read its answers.  A quiet one (rx->quiet) asks for the last
 * request's ack, which ends it; one whose answers the socket dropped
 * ends when it is read empty (cosi_wait()): cosi_chunk_end() then says
 * which requests' outcomes are unknown.
 */
static int cosi_send_chunk(struct cosi *c, const char *buf, size_t len,
			   struct nlmsghdr *last, struct cosi_rx *rx)
{
	uint32_t drops0 = 0;
	int drops_err = 0, err;

	cosi_sk_error_take(c);
	if (rx->quiet) {
		last->nlmsg_flags |= NLM_F_ACK;
		drops_err = cosi_drops(c, &drops0);
	}
	err = cosi_send_batch(c, buf, len, rx);
	if (!err && (rx->quiet || rx->nobufs))
		cosi_chunk_end(c, rx, drops_err, drops0);
	return err;
}

/* Send a chunk of requests in one sendmsg() and read the answers. */
static int cosi_batch_chunk(struct cosi *c, struct cosi_batch_op *ops,
			    size_t n)
{
	struct cosi_rx rx = { .ops = ops, .n_ops = n };
	struct nlmsghdr *nlh, *last = NULL;
	size_t i, len = 0;
	char *buf, *p;
	int err;

	for (i = 0; i < n; i++) {
		cosi_msg_complete(c, ops[i].msg);
		nlh = nlmsg_hdr(ops[i].msg);
		if (i && nlh->nlmsg_seq != rx.seq + i)
			return -EPROTO;
		if (!i)
			rx.seq = nlh->nlmsg_seq;
		if (cosi_req_flag(c, nlh, COSI_A_RESOURCE_QUIET)) {
			rx.quiet = true;
			/* One ack for the chunk: the last request's. */
			nlh->nlmsg_flags &= ~NLM_F_ACK;
		}
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	/*
	 * A chunk is COSI_BATCH_BYTES at most, or one request (of
	 * COSI_MSG_BUF from cosi_msg_new(); a caller's own may be larger).
	 */
	buf = len <= COSI_TX_BUF ? cosi_txbuf(c) : malloc(len);
	if (!buf)
		return -ENOMEM;
	for (i = 0, p = buf; i < n; i++) {
		nlh = nlmsg_hdr(ops[i].msg);
		memcpy(p, nlh, nlh->nlmsg_len);
		memset(p + nlh->nlmsg_len, 0,
		       NLMSG_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len);
		last = (struct nlmsghdr *)p;
		p += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	err = cosi_send_chunk(c, buf, len, last, &rx);
	if (buf != c->txbuf)
		free(buf);
	return err;
}

/* Whether @nlh, a request of this family, carries the flag @attr. */
static bool cosi_req_flag(const struct cosi *c, const struct nlmsghdr *nlh,
			  int attr)
{
	return nlh->nlmsg_type == c->family &&
	       genlmsg_valid_hdr((struct nlmsghdr *)nlh, 0) &&
	       nlmsg_find_attr((struct nlmsghdr *)nlh, GENL_HDRLEN, attr);
}

/**
 * cosi_batch() - send many requests at once
 * @c: handle
 * @ops: the requests (@ops[i].msg from cosi_msg_new() or cosi_req_msg(),
 *	 consumed); each gets its answer: @err (errno and extack) and, for
 *	 operations that reply with a resource, @res (the caller frees it)
 * @n: how many
 *
 * The requests go out in chunks, one sendmsg() each (COSI_BATCH_ECHOES
 * requests, more when all their answers are small: see cosi.h), and the
 * kernel handles them in order; each answer is one datagram to read (the
 * reply, the error, or the ACK of an op that does not reply), up to
 * COSI_RX_SLOTS per recvmmsg(), so a batch costs a few sendmsg() and
 * recvmmsg() calls.  A quiet write (cosi_req_msg() of a cosi_req.quiet)
 * is answered only when it fails; one that succeeds ends done with no
 * @res (see cosi.h).  A failed request does not stop the ones after it.
 *
 * Return: 0 when every request was answered (see each @err), or a
 * negative errno when the batch could not be sent or answered.
 */
/*
 * Whether the answer to @nlh is small: an ack-only write's is its version
 * and revision, a quiet write's nothing or its error (an error, with its
 * extack, is as small; libcosi sets NETLINK_CAP_ACK), where any other may
 * echo a stored resource whatever the request's size (a get, a teardown,
 * a label-only update).  A handle that watches or joined the events group
 * also receives each write's event, which carries the resource: none of
 * its answers is small.
 */
static bool cosi_answer_small(const struct cosi *c,
			      const struct nlmsghdr *nlh)
{
	return !c->events &&
	       (cosi_req_flag(c, nlh, COSI_A_RESOURCE_ACK_ONLY) ||
		cosi_req_flag(c, nlh, COSI_A_RESOURCE_QUIET));
}

/*
 * The receive buffer a small answer takes at most: a small skb's data
 * and overhead.
 */
#define COSI_SMALL_ANSWER_TRUESIZE	1280

/*
 * Requests per chunk when every answer is small: as many as fill half the
 * receive buffer (the rest for the slack of the estimate).  Others:
 * COSI_BATCH_ECHOES.
 */
static size_t cosi_batch_max_small(const struct cosi *c)
{
	socklen_t optlen = sizeof(int);
	size_t max_small;
	int rcvbuf;

	if (getsockopt(nl_socket_get_fd(c->sk), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		       &optlen) || rcvbuf <= 0)
		rcvbuf = 0;
	max_small = (size_t)rcvbuf / 2 / COSI_SMALL_ANSWER_TRUESIZE;
	if (max_small > COSI_BATCH_MAX)
		max_small = COSI_BATCH_MAX;
	return max_small ? max_small : 1;
}

int cosi_batch(struct cosi *c, struct cosi_batch_op *ops, size_t n)
{
	size_t i, k, max_small = cosi_batch_max_small(c);
	int err = 0;

	memset(&c->err, 0, sizeof(c->err));
	for (i = 0; i < n; i++) {
		memset(&ops[i].err, 0, sizeof(ops[i].err));
		ops[i].res = NULL;
		ops[i].done = false;
		if (!ops[i].msg)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < n; i += k) {
		const struct nlmsghdr *nlh = nlmsg_hdr(ops[i].msg);
		size_t bytes = NLMSG_ALIGN(nlh->nlmsg_len);
		bool small = cosi_answer_small(c, nlh);

		if (bytes > c->tx_max) {
			k = 1;		/* refused unsent; the others go on */
			cosi_over_sndbuf(c, &ops[i].err, bytes);
			continue;
		}
		for (k = 1; i + k < n; k++) {
			nlh = nlmsg_hdr(ops[i + k].msg);
			small = small && cosi_answer_small(c, nlh);
			bytes += NLMSG_ALIGN(nlh->nlmsg_len);
			if (bytes > cosi_chunk_max(c) ||
			    k >= (small ? max_small : COSI_BATCH_ECHOES))
				break;
		}
		err = cosi_batch_chunk(c, ops + i, k);
	}
	for (i = 0; i < n; i++) {
		cosi_msg_recycle(c, ops[i].msg);
		ops[i].msg = NULL;
		if (!ops[i].done && !ops[i].err.err)
			ops[i].err.err = err ? -err : EPROTO;
	}
	return err ? cosi_fail(c, -err) : 0;
}

/* A resource request (see cosi_req_parts()) ready for cosi_batch(). */
struct nl_msg *cosi_req_msg(struct cosi *c, uint8_t cmd,
			    const struct cosi_req *req)
{
	struct nl_msg *m, *fit;
	struct cosi_req r;
	int err = COSI_OPTS_CHECK(c, &r, req, "cosi_req");

	if (err) {
		errno = -err;
		return NULL;
	}
	m = cosi_msg_new(c, cmd, 0);
	if (m && cosi_put_req(m, &r, cosi_req_parts(cmd))) {
		nlmsg_free(m);
		return NULL;
	}
	/*
	 * A batch holds many requests at once: copy this one into a buffer
	 * of its size and keep the big one for the next.
	 */
	fit = m ? nlmsg_alloc_size(nlmsg_hdr(m)->nlmsg_len) : NULL;
	if (fit) {
		memcpy(nlmsg_hdr(fit), nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
		cosi_msg_recycle(c, m);
		return fit;
	}
	return m;
}

/*
 * Send a request and do not wait for its answer (for tests that leave a
 * dump unread, then close the socket).  @msg is consumed.
 */
int cosi_send_raw(struct cosi *c, struct nl_msg *msg)
{
	int err;

	cosi_msg_complete(c, msg);
	errno = 0;
	err = nl_send(c->sk, msg);
	nlmsg_free(msg);
	return err < 0 ? -(errno ?: cosi_nl_errno(err)) : 0;
}

bool cosi_last_intr(const struct cosi *c)
{
	return c->intr;
}

/**
 * cosi_family_gone() - whether the family this handle talks to is gone
 * @c: handle
 *
 * For after an unexpected error (ENOENT, a watch that broke): true when
 * nlctrl announced the family's removal on this handle's socket (after a
 * watch), or when the family is now missing or registered again under
 * another id (asked on a socket of its own, so that no event of @c is
 * read here).  Either way the module was unloaded: everything the handle
 * held in the kernel (owner claim, watches) is gone with it.
 */
bool cosi_family_gone(struct cosi *c)
{
	struct nl_sock *sk;
	int id;

	if (c->gone)
		return true;
	sk = nl_socket_alloc();
	if (!sk)
		return false;
	if (!genl_connect(sk)) {
		id = genl_ctrl_resolve(sk, COSI_FAMILY_NAME);
		if (id == -NLE_OBJ_NOTFOUND || (id >= 0 && id != c->family))
			c->gone = true;
	}
	nl_socket_free(sk);
	return c->gone;
}

/* Send @m once @put_err (from filling it) is known to be 0. */
static int cosi_send(struct cosi *c, struct nl_msg *m, int put_err,
		     cosi_nlh_fn fn, void *arg)
{
	memset(&c->err, 0, sizeof(c->err));
	if (!m)
		return cosi_fail(c, ENOMEM);
	if (put_err) {
		nlmsg_free(m);
		return cosi_fail(c, -put_err);
	}
	return cosi_request_nlh(c, m, fn, arg);
}

/* Resources. */

static int cosi_one_resource(const struct nlmsghdr *nlh, void *arg)
{
	struct cosi_resource **out = arg, *r;
	int err = cosi_resource_parse_nlh(nlh, &r);

	if (err)
		return err;
	cosi_resource_free(*out);
	*out = r;
	return 0;
}

/* The attributes each resource operation takes. */
static unsigned int cosi_req_parts(uint8_t cmd)
{
	switch (cmd) {
	case COSI_CMD_RESOURCE_CREATE:
		return COSI_REQ_KEY | COSI_REQ_CONTENT | COSI_REQ_ACK_ONLY |
		       COSI_REQ_QUIET;
	case COSI_CMD_RESOURCE_UPDATE:
		return COSI_REQ_KEY | COSI_REQ_CONTENT | COSI_REQ_VERSION |
		       COSI_REQ_PHASE | COSI_REQ_ACK_ONLY | COSI_REQ_QUIET;
	case COSI_CMD_RESOURCE_DESTROY:
		return COSI_REQ_KEY | COSI_REQ_VERSION | COSI_REQ_QUIET;
	case COSI_CMD_RESOURCE_TEARDOWN:
		return COSI_REQ_KEY | COSI_REQ_VERSION | COSI_REQ_ACK_ONLY |
		       COSI_REQ_QUIET;
	case COSI_CMD_FINALIZER_ADD:
	case COSI_CMD_FINALIZER_REMOVE:
		return COSI_REQ_KEY | COSI_REQ_FINALIZERS | COSI_REQ_VERSION |
		       COSI_REQ_ACK_ONLY | COSI_REQ_QUIET;
	}
	return COSI_REQ_KEY;
}

static bool cosi_is_dump(const struct nlmsghdr *nlh)
{
	return (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

/*
 * Whether a request asks for an ACK.  Asked, the kernel sends one after
 * the reply too: a second message to read per request.  A dump ends with
 * NLMSG_DONE, and the do of these ops replies whenever it succeeds (each
 * 0 return of their doit in kmod/netlink.c is genlmsg_reply()'s) unless
 * it is a quiet write, so only the others ask: quiet writes (a batch
 * asks for its chunk's last ack only), owner-claim, watch-stop, anything
 * unknown.  A failure comes as an NLMSG_ERROR, with its extack, asked or
 * not.
 */
static bool cosi_req_ack(const struct cosi *c, const struct nlmsghdr *nlh)
{
	/* Another family's request (a caller's own): its ops are unknown. */
	if (nlh->nlmsg_type != c->family ||
	    !genlmsg_valid_hdr((struct nlmsghdr *)nlh, 0))
		return true;
	if (cosi_is_dump(nlh))
		return false;
	if (cosi_req_flag(c, nlh, COSI_A_RESOURCE_QUIET))
		return true;
	switch (genlmsg_hdr((struct nlmsghdr *)nlh)->cmd) {
	case COSI_CMD_RESOURCE_GET:
	case COSI_CMD_RESOURCE_CREATE:
	case COSI_CMD_RESOURCE_UPDATE:
	case COSI_CMD_RESOURCE_DESTROY:
	case COSI_CMD_RESOURCE_TEARDOWN:
	case COSI_CMD_FINALIZER_ADD:
	case COSI_CMD_FINALIZER_REMOVE:
	case COSI_CMD_DEFINITION_SET:
	case COSI_CMD_DEFINITION_GET:
	case COSI_CMD_DEFINITION_DELETE:
		return false;
	}
	return true;
}

/* A reply that answers @req whole: a do sent without NLM_F_ACK. */
static bool cosi_reply_ends(const struct nlmsghdr *req,
			    const struct nlmsghdr *reply)
{
	return !(req->nlmsg_flags & NLM_F_ACK) && !cosi_is_dump(req) &&
	       !(reply->nlmsg_flags & NLM_F_MULTI);
}

static int cosi_resource_op(struct cosi *c, uint8_t cmd,
			    const struct cosi_req *req,
			    struct cosi_resource **out)
{
	struct cosi_resource *res = NULL;
	struct nl_msg *m;
	struct cosi_req r;
	int err = COSI_OPTS_CHECK(c, &r, req, "cosi_req");

	if (out)
		*out = NULL;
	if (err)
		return err;
	if (r.quiet) {
		snprintf(c->err.msg, sizeof(c->err.msg),
			 "cosi_req.quiet: only in cosi_write_batch() and cosi_batch(); this call returns the answer");
		return cosi_fail(c, EINVAL);
	}
	m = cosi_msg_new(c, cmd, 0);
	err = cosi_send(c, m, m ? cosi_put_req(m, &r, cosi_req_parts(cmd)) : 0,
			cosi_one_resource, &res);
	if (!err && !res)
		err = cosi_fail(c, EPROTO);
	if (err || !out) {
		cosi_resource_free(res);
		res = NULL;
	}
	if (out)
		*out = res;
	return err;
}

int cosi_resource_get(struct cosi *c, const char *ns, const char *type,
		      const char *id, struct cosi_resource **out)
{
	COSI_OPTS(cosi_req, r, .ns = ns, .type = type, .id = id);

	return cosi_resource_op(c, COSI_CMD_RESOURCE_GET, &r, out);
}

int cosi_resource_create(struct cosi *c, const struct cosi_req *r,
			 struct cosi_resource **out)
{
	return cosi_resource_op(c, COSI_CMD_RESOURCE_CREATE, r, out);
}

int cosi_resource_update(struct cosi *c, const struct cosi_req *r,
			 struct cosi_resource **out)
{
	return cosi_resource_op(c, COSI_CMD_RESOURCE_UPDATE, r, out);
}

int cosi_finalizer_add(struct cosi *c, const struct cosi_req *r,
		       struct cosi_resource **out)
{
	return cosi_resource_op(c, COSI_CMD_FINALIZER_ADD, r, out);
}

int cosi_finalizer_remove(struct cosi *c, const struct cosi_req *r,
			  struct cosi_resource **out)
{
	return cosi_resource_op(c, COSI_CMD_FINALIZER_REMOVE, r, out);
}

int cosi_resource_destroy(struct cosi *c, const struct cosi_req *r,
			  uint64_t *revision)
{
	struct cosi_resource *res;
	int err = cosi_resource_op(c, COSI_CMD_RESOURCE_DESTROY, r, &res);

	if (!err && revision)
		*revision = res->revision;
	cosi_resource_free(res);
	return err;
}

int cosi_resource_teardown(struct cosi *c, const struct cosi_req *r,
			   bool *destroy_ready, struct cosi_resource **out)
{
	struct cosi_resource *res;
	int err = cosi_resource_op(c, COSI_CMD_RESOURCE_TEARDOWN, r, &res);

	if (!err && res->destroy_ready < 0)
		err = cosi_fail(c, EPROTO);
	if (!err && destroy_ready)
		*destroy_ready = res->destroy_ready;
	if (err || !out)
		cosi_resource_free(res);
	else
		*out = res;
	return err;
}

struct cosi_list_ctx {
	cosi_resource_fn fn;
	void *arg;
	const char *ns;
	const char *type;
	size_t n;		/* entries handed to @fn */
};

/*
 * Send a list request @q, its answers to @fn: compact entries (without
 * the request's namespace and type and the attributes at their default,
 * which the parsers take for absent ones; the callers put the namespace
 * and type back), unless the module refused them.  A module older than
 * the flag refuses it as an unknown attribute (EINVAL) before any entry
 * (*@n still 0): the list is asked again without it, and so is every
 * later one when that succeeds.
 */
static int cosi_list_send(struct cosi *c, const struct cosi_list_req *q,
			  cosi_nlh_fn fn, void *arg, const size_t *n)
{
	bool compact = !c->compact_no;
	struct nl_msg *m;
	int err;

	for (;;) {
		m = cosi_msg_new(c, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);
		err = m ? cosi_put_list_req(m, q) : 0;
		if (!err && compact && nla_put_flag(m, COSI_A_RESOURCE_COMPACT))
			err = -EMSGSIZE;
		err = cosi_send(c, m, err, fn, arg);
		if (err != -EINVAL || !compact || c->compact_ok || *n)
			break;
		compact = false;
	}
	if (!err) {
		c->compact_ok |= compact;
		c->compact_no |= !compact;
	}
	return err;
}

/*
 * Whether @r, an entry of a list of (@ns, @type), came compact (without
 * them; names are never empty): then they are the request's.
 */
static bool cosi_list_compact(const struct cosi_resource *r)
{
	return !*r->ns && !*r->type;
}

static int cosi_list_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct cosi_list_ctx *l = arg;
	struct cosi_resource *r;
	char *ns, *type;
	int err = cosi_resource_parse_nlh(nlh, &r);

	if (err)
		return err;
	if (cosi_list_compact(r) && l->ns && l->type) {
		ns = strdup(l->ns);
		type = strdup(l->type);
		if (!ns || !type) {
			free(ns);
			free(type);
			cosi_resource_free(r);
			return -ENOMEM;
		}
		free(r->ns);
		free(r->type);
		r->ns = ns;
		r->type = type;
	}
	l->n++;
	l->fn(r, l->arg);
	return 0;
}

int cosi_resource_list_cb(struct cosi *c, const struct cosi_list_req *req,
			  cosi_resource_fn fn, void *arg, bool *intr)
{
	struct cosi_list_ctx l = { .fn = fn, .arg = arg };
	struct cosi_list_req q;
	int err = COSI_OPTS_CHECK(c, &q, req, "cosi_list_req");

	if (intr)
		*intr = false;
	if (err)
		return err;
	l.ns = q.ns;
	l.type = q.type;
	err = cosi_list_send(c, &q, cosi_list_msg, &l, &l.n);
	if (intr)
		*intr = c->intr;
	return err;
}

struct cosi_collect {
	struct cosi_resources *out;
	int err;
};

static void cosi_collect_push(struct cosi_resource *r, void *arg)
{
	struct cosi_collect *cc = arg;
	struct cosi_resources *out = cc->out;
	struct cosi_resource **v;

	v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (!v) {
		cosi_resource_free(r);
		cc->err = -ENOMEM;
		return;
	}
	v[out->n++] = r;
	out->v = v;
}

int cosi_resource_list(struct cosi *c, const struct cosi_list_req *q,
		       struct cosi_resources *out)
{
	struct cosi_collect cc = { .out = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = cosi_resource_list_cb(c, q, cosi_collect_push, &cc, &out->intr);
	if (!err && cc.err)
		err = cosi_fail(c, -cc.err);
	if (err)
		cosi_resources_clear(out);
	return err;
}

/* A list result and what it holds (cosi_list()). */
struct cosi_list_priv {
	struct cosi_list pub;		/* first: cosi_list_free() */
	const struct cosi_resource **v;
	size_t cap;
	struct cosi_arena arena;	/* v too: grown by doubling */
	char *ns, *type;		/* the request's, in the arena */
	int err;
};

/* @s (NULL: "") copied into @a, or NULL when out of memory. */
static char *cosi_list_strdup(struct cosi_arena *a, const char *s)
{
	size_t len = s ? strlen(s) + 1 : 1;
	char *d = cosi_arena_alloc(a, len);

	if (d)
		memcpy(d, s ? s : "", len);
	return d;
}

static int cosi_list_add(const struct nlmsghdr *nlh, void *arg)
{
	struct cosi_list_priv *l = arg;
	const struct cosi_resource **v;
	struct cosi_resource *r;
	size_t cap;
	int err;

	if (l->err)
		return 0;	/* read the rest of the dump, then fail */
	if (l->pub.n == l->cap) {
		cap = l->cap ? 2 * l->cap : 256;
		v = cap < SIZE_MAX / 2 / sizeof(*v) ?
		    cosi_arena_alloc(&l->arena, cap * sizeof(*v)) : NULL;
		if (!v) {
			l->err = -ENOMEM;
			return 0;
		}
		if (l->pub.n)
			memcpy(v, l->v, l->pub.n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
	err = cosi_resource_parse_arena(&l->arena, nlh, &r);
	if (err) {
		l->err = err;
		return 0;
	}
	if (cosi_list_compact(r)) {
		r->ns = l->ns;
		r->type = l->type;
	}
	l->v[l->pub.n++] = r;
	return 0;
}

void cosi_list_free(struct cosi_list *pub)
{
	struct cosi_list_priv *l = (struct cosi_list_priv *)pub;

	if (!l)
		return;
	cosi_arena_free(&l->arena);
	free(l);
}

/**
 * cosi_list() - list resources into one piece of memory
 * @c: handle
 * @req: the filter, as for cosi_resource_list()
 * @out: set to the list (NULL on failure); free it with cosi_list_free()
 *
 * What cosi_resource_list() returns, read-only and without an allocation
 * per resource: see struct cosi_list.
 *
 * Return: 0 or a negative errno.
 */
int cosi_list(struct cosi *c, const struct cosi_list_req *req,
	      struct cosi_list **out)
{
	struct cosi_list_priv *l;
	struct cosi_list_req q;
	int err = COSI_OPTS_CHECK(c, &q, req, "cosi_list_req");

	*out = NULL;
	if (err)
		return err;
	if (!c->pool)
		c->pool = cosi_pool_new();	/* NULL: blocks from malloc */
	l = calloc(1, sizeof(*l));
	if (!l)
		return cosi_fail(c, ENOMEM);
	cosi_arena_init(&l->arena, c->pool);
	l->ns = cosi_list_strdup(&l->arena, q.ns);
	l->type = cosi_list_strdup(&l->arena, q.type);
	if (!l->ns || !l->type) {
		cosi_list_free(&l->pub);
		return cosi_fail(c, ENOMEM);
	}
	err = cosi_list_send(c, &q, cosi_list_add, l, &l->pub.n);
	if (!err && l->err)
		err = cosi_fail(c, -l->err);
	if (err) {
		cosi_list_free(&l->pub);
		return err;
	}
	l->pub.v = l->v;
	l->pub.intr = c->intr;
	*out = &l->pub;
	return 0;
}

/* Resource writes a cosi_write may carry. */
static bool cosi_write_cmd(uint8_t cmd)
{
	switch (cmd) {
	case COSI_CMD_RESOURCE_CREATE:
	case COSI_CMD_RESOURCE_UPDATE:
	case COSI_CMD_RESOURCE_DESTROY:
	case COSI_CMD_RESOURCE_TEARDOWN:
	case COSI_CMD_FINALIZER_ADD:
	case COSI_CMD_FINALIZER_REMOVE:
		return true;
	}
	return false;
}

/*
 * Build write @w into @buf (room for COSI_MSG_BUF bytes) with the seq
 * @seq: its length, or a negative errno (also set as the write's error
 * when the write itself is at fault).  *@small: its answer is small (an
 * ack-only or quiet write, see cosi_answer_small()); *@quiet: a quiet
 * write.
 */
static int cosi_write_build(struct cosi *c, struct cosi_write *w, char *buf,
			    uint32_t seq, bool *small, bool *quiet)
{
	struct nlmsghdr *nlh;
	struct nl_msg *m;
	struct cosi_req r;
	int err;

	if (!cosi_write_cmd(w->cmd)) {
		snprintf(w->err.msg, sizeof(w->err.msg),
			 "cosi_write: command %u is not a resource write",
			 w->cmd);
		w->err.err = EINVAL;
		return -EINVAL;
	}
	err = cosi_opts_copy(&r, sizeof(r), w->req, "cosi_req", w->err.msg,
			     sizeof(w->err.msg));
	if (err) {
		w->err.err = -err;
		return err;
	}
	/* The handle's spare buffer: no allocation per request. */
	m = cosi_msg_new(c, w->cmd, 0);
	if (!m)
		return -ENOMEM;
	err = cosi_put_req(m, &r, cosi_req_parts(w->cmd));
	/* The spare buffer may be larger than @buf's room: bound the copy. */
	if (!err && nlmsg_hdr(m)->nlmsg_len > COSI_MSG_BUF)
		err = -EMSGSIZE;
	if (!err) {
		nlh = nlmsg_hdr(m);
		nlh->nlmsg_seq = seq;
		nlh->nlmsg_pid = nl_socket_get_local_port(c->sk);
		nlh->nlmsg_flags |= NLM_F_REQUEST;
		/* Every write replies, or is quiet (cosi_send_chunk()). */
		nlh->nlmsg_flags &= ~NLM_F_ACK;
		memcpy(buf, nlh, nlh->nlmsg_len);
		memset(buf + nlh->nlmsg_len, 0,
		       NLMSG_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len);
		err = (int)NLMSG_ALIGN(nlh->nlmsg_len);
		/* Every write takes quiet (cosi_req_parts()). */
		*quiet = r.quiet;
		*small = !c->events &&
			 ((r.ack_only &&
			   (cosi_req_parts(w->cmd) & COSI_REQ_ACK_ONLY)) ||
			  r.quiet);
	} else {
		w->err.err = -err;
		err = -EINVAL;
	}
	cosi_msg_recycle(c, m);
	return err;
}

/**
 * cosi_write_batch() - many resource writes, each answered with a version
 * @c: handle
 * @w: the writes (see struct cosi_write)
 * @n: how many
 *
 * As cosi_batch() with requests from cosi_req_msg(), with no libnl
 * message per request and no resource per answer: chunks of requests
 * built in one buffer, one sendmsg() each, as many per chunk as
 * cosi_batch() sends (more when every answer is small: ack-only or quiet
 * writes on a handle that has never watched).  A quiet write that
 * succeeds is not answered: done, its version and revision 0.  A write
 * that cannot be built (not a resource write, a bad request, too large)
 * gets its error, is not sent and ends its chunk.
 *
 * Return: 0 when every write was answered or refused (see each @err), or
 * a negative errno when the batch could not be sent or answered.
 */
int cosi_write_batch(struct cosi *c, struct cosi_write *w, size_t n)
{
	size_t i, k, max_small = cosi_batch_max_small(c), bytes, last;
	struct cosi_rx rx;
	char *buf = cosi_txbuf(c);
	int err = 0, len = 0;
	bool small, one_small, quiet, one_quiet;

	memset(&c->err, 0, sizeof(c->err));
	if (!buf)
		return cosi_fail(c, ENOMEM);
	for (i = 0; i < n; i++) {
		memset(&w[i].err, 0, sizeof(w[i].err));
		w[i].version = w[i].revision = 0;
		w[i].done = false;
	}
	i = 0;
	while (!err && i < n) {
		/* A chunk: w[i .. i + k - 1], consecutive seqs, one buffer. */
		bytes = last = 0;
		small = true;
		quiet = false;
		for (k = 0; i + k < n; k++) {
			if (bytes >= cosi_chunk_max(c) ||
			    (k && k >= (small ? max_small : COSI_BATCH_ECHOES)))
				break;
			len = cosi_write_build(c, &w[i + k], buf + bytes,
					       nl_socket_use_seq(c->sk),
					       &one_small, &one_quiet);
			if (len < 0)
				break;
			/* Over what one sendmsg() takes: the next chunk's. */
			if (bytes + (size_t)len > c->tx_max) {
				if (k)
					break;
				cosi_over_sndbuf(c, &w[i].err, (size_t)len);
				len = -EMSGSIZE;	/* refused unsent */
				break;
			}
			small = small && one_small;
			quiet = quiet || one_quiet;
			last = bytes;
			bytes += (size_t)len;
		}
		if (k) {
			memset(&rx, 0, sizeof(rx));
			rx.w = w + i;
			rx.n_ops = k;
			rx.seq = ((struct nlmsghdr *)buf)->nlmsg_seq;
			rx.quiet = quiet;
			err = cosi_send_chunk(c, buf, bytes,
					      (struct nlmsghdr *)(buf + last),
					      &rx);
			i += k;
		} else if (len == -ENOMEM) {
			err = -ENOMEM;
		} else {
			w[i++].done = true;	/* refused, its error set */
		}
	}
	for (i = 0; i < n; i++)
		if (!w[i].done && !w[i].err.err)
			w[i].err.err = err ? -err : EPROTO;
	return err ? cosi_fail(c, -err) : 0;
}

/* Definitions. */

static int cosi_one_definition(const struct nlmsghdr *nlh, void *arg)
{
	struct cosi_definition **out = arg, *d;
	int err = cosi_definition_parse_nlh(nlh, &d);

	if (err)
		return err;
	cosi_definition_free(*out);
	*out = d;
	return 0;
}

static int cosi_definition_op(struct cosi *c, struct nl_msg *m, int put_err,
			      struct cosi_definition **out)
{
	struct cosi_definition *d = NULL;
	int err = cosi_send(c, m, put_err, cosi_one_definition, &d);

	if (!err && !d)
		err = cosi_fail(c, EPROTO);
	if (err || !out) {
		cosi_definition_free(d);
		d = NULL;
	}
	if (out)
		*out = d;
	return err;
}

int cosi_definition_set(struct cosi *c, const struct cosi_definition *d,
			struct cosi_definition **out)
{
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_DEFINITION_SET, 0);

	return cosi_definition_op(c, m, m ? cosi_put_definition(m, d) : 0,
				  out);
}

/* NULL leaves the name out (for tests of malformed requests). */
static int cosi_put_type(struct nl_msg *m, const char *name)
{
	if (name && nla_put_string(m, COSI_A_DEFINITION_TYPE, name))
		return -EMSGSIZE;
	return 0;
}

int cosi_definition_get(struct cosi *c, const char *name,
			struct cosi_definition **out)
{
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_DEFINITION_GET, 0);

	return cosi_definition_op(c, m, m ? cosi_put_type(m, name) : 0, out);
}

int cosi_definition_delete(struct cosi *c, const char *name,
			   uint64_t *revision)
{
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_DEFINITION_DELETE, 0);
	struct cosi_definition *d;
	int err;

	err = cosi_definition_op(c, m, m ? cosi_put_type(m, name) : 0, &d);
	if (!err && revision)
		*revision = d->revision;
	cosi_definition_free(d);
	return err;
}

static int cosi_definition_push(const struct nlmsghdr *nlh, void *arg)
{
	struct cosi_definitions *out = arg;
	struct cosi_definition **v, *d;
	int err = cosi_definition_parse_nlh(nlh, &d);

	if (err)
		return err;
	v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (!v) {
		cosi_definition_free(d);
		return -ENOMEM;
	}
	v[out->n++] = d;
	out->v = v;
	return 0;
}

int cosi_definition_list(struct cosi *c, struct cosi_definitions *out)
{
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_DEFINITION_GET, NLM_F_DUMP);
	int err;

	memset(out, 0, sizeof(*out));
	err = cosi_send(c, m, 0, cosi_definition_push, out);
	if (err)
		cosi_definitions_clear(out);
	return err;
}

/* Owners and watches. */

int cosi_owner_claim(struct cosi *c, const char *owner)
{
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_OWNER_CLAIM, 0);
	int err = 0;

	if (m && owner && nla_put_string(m, COSI_A_RESOURCE_OWNER, owner))
		err = -EMSGSIZE;
	return cosi_send(c, m, err, NULL, NULL);
}

int cosi_watch_stop(struct cosi *c, uint32_t watch_id)
{
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_WATCH_STOP, 0);
	int err = 0;

	if (m && nla_put_u32(m, COSI_A_RESOURCE_WATCH_ID, watch_id))
		err = -EMSGSIZE;
	return cosi_send(c, m, err, NULL, NULL);
}

struct cosi_watch_ctx {
	cosi_event_fn fn;
	void *arg;
	uint32_t id;
	uint64_t rev;
	bool marked;
};

static int cosi_watch_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct cosi_watch_ctx *w = arg;
	struct cosi_event *ev;
	int err = cosi_event_parse_nlh(nlh, &ev);

	if (err)
		return err;
	w->id = ev->watch_id;
	if (ev->kind == COSI_EVENT_KIND_BOOTSTRAPPED) {
		w->marked = true;
		w->rev = ev->revision;
	}
	if (w->fn)
		w->fn(ev, w->arg);
	else
		cosi_event_free(ev);
	return 0;
}

/**
 * cosi_watch() - start a watch
 * @c: handle
 * @wr: the filter and where to start
 * @fn: receives each event of the dump: the bootstrap or replay, then the
 *	bootstrapped marker (may be NULL)
 * @arg: passed to @fn
 * @watch_id: set to the watch's id (may be NULL)
 * @revision: set to the marker's revision (may be NULL)
 *
 * Live events follow on the socket: read them with cosi_watch_recv().
 *
 * Return: 0 or a negative errno (ENODATA, ERANGE, ENOBUFS: restart it;
 * ECANCELED: a watch-stop ended it while starting, do not restart; ...).
 */
int cosi_watch(struct cosi *c, const struct cosi_watch_req *req,
	       cosi_event_fn fn, void *arg, uint32_t *watch_id,
	       uint64_t *revision)
{
	struct cosi_watch_ctx w = { .fn = fn, .arg = arg };
	struct cosi_watch_req wr;
	struct nl_msg *m;
	int err = COSI_OPTS_CHECK(c, &wr, req, "cosi_watch_req");

	if (err)
		return err;
	m = cosi_msg_new(c, COSI_CMD_WATCH, NLM_F_DUMP);

	/*
	 * The kernel ends a module's watches silently when it is unloaded:
	 * nlctrl's announcement of the family's removal tells the watcher.
	 */
	if (!c->ctrl_joined) {
		err = nl_socket_add_membership(c->sk, c->ctrl_grp);
		if (err) {
			nlmsg_free(m);
			return cosi_fail(c, cosi_nl_errno(err));
		}
		c->ctrl_joined = true;
	}
	c->events = true;	/* even if it fails: a dump may have started */
	err = cosi_send(c, m, m ? cosi_put_watch_req(m, &wr) : 0,
			cosi_watch_msg, &w);
	if (!err && !w.marked)
		err = cosi_fail(c, EPROTO);
	if (!err && watch_id)
		*watch_id = w.id;
	if (!err && revision)
		*revision = w.rev;
	return err;
}

/**
 * cosi_watch_recv() - receive live events
 * @c: handle
 * @timeout_ms: how long to wait when nothing is queued (-1: forever)
 * @fn: receives each event (may be NULL)
 * @arg: passed to @fn
 *
 * Events queued while a request was in flight come first.
 *
 * Return: the number of events handed to @fn (0: timed out), -ENOBUFS
 * when the socket's receive buffer overflowed (the kernel stopped every
 * watch of the socket: restart them with since-revision), -ENOENT once
 * the family is gone (cosi.ko was unloaded: every watch ended; the handle
 * is useless, open a new one when the module is back), or another
 * negative errno.
 */
int cosi_watch_recv(struct cosi *c, int timeout_ms, cosi_event_fn fn,
		    void *arg)
{
	struct pollfd pfd = { .fd = cosi_fd(c), .events = POLLIN };
	int n;

	if (c->qhead || c->lost || c->gone)
		return cosi_deliver(c, fn, arg);
	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0)
		return n ? -errno : 0;
	n = cosi_recv(c, NULL, COSI_RX_SLOTS, MSG_WAITFORONE);
	if (n < 0)
		return n;
	return cosi_deliver(c, fn, arg);
}
