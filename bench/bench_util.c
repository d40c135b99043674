// SPDX-License-Identifier: GPL-2.0
/* Shared by the cosi benchmarks: see bench_util.h. */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "bench_util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* Whole datagrams: dump skbs reach 32 KiB, batches of replies more. */
#define NLS_BUF		(256 * 1024)
/* Replies to a batch must all fit; same size for every system. */
#define NLS_RCVBUF	(8 * 1024 * 1024)

static const char *prog = "bench";

void bench_init(const char *name)
{
	prog = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
}

long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	n = strtol(v, &end, 10);
	if (*end || n <= 0)
		die("%s=%s: not a positive number", name, v);
	return n;
}

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void die_cosi(struct cosi *c, const char *op)
{
	die("%s", cosi_strerror(c, op));
}

void result(int goal, const char *sys, const char *metric, double v,
	    const char *unit)
{
	printf("RESULT %d %s %s %.*f %s\n", goal, sys, metric,
	       v < 100 ? 2 : 0, v, unit);
}

/* Samples. */

void samples_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n++] = v;
}

/* Nearest-rank percentile. */
double samples_pct(const struct samples *s, double pct)
{
	if (!s->n)
		die("no samples");
	return stats_pct(s->v, s->n, pct / 100.0);
}

void samples_free(struct samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Namespaces and CPUs. */

void bench_netns(void)
{
	struct nl_msg *m;
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = 1,
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};
	struct nls s;

	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET): %s (run as root)", strerror(errno));
	nls_open(&s, NETLINK_ROUTE, 0);
	m = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_ACK);
	if (!m || nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO))
		die("out of memory");
	if (nls_txn(&s, m))
		die("lo up: %s", strerror(errno));
	nlmsg_free(m);
	nls_close(&s);
}

void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(cpu %d): %s", cpu, strerror(errno));
}

/* Raw netlink sockets. */

void nls_open(struct nls *s, int proto, int rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 60 };
	int one = 1, snd = NLS_RCVBUF;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (s->fd < 0)
		die("netlink socket: %s", strerror(errno));
	if (!rcvbuf)
		rcvbuf = NLS_RCVBUF;
	/* A lost reply fails the run instead of hanging it. */
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		die("netlink socket setup: %s", strerror(errno));
	s->bufsize = NLS_BUF;
	s->buf = malloc(s->bufsize);
	if (!s->buf)
		die("out of memory");
}

void nls_close(struct nls *s)
{
	close(s->fd);
	free(s->buf);
	s->buf = NULL;
}

void nls_join(struct nls *s, int group)
{
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		die("join group %d: %s", group, strerror(errno));
}

void nls_send(struct nls *s, struct nl_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(m);

	nlh->nlmsg_seq = ++s->seq;
	nlh->nlmsg_pid = 0;
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	if (send(s->fd, nlh, nlh->nlmsg_len, 0) != (ssize_t)nlh->nlmsg_len)
		die("netlink send: %s", strerror(errno));
}

size_t nls_recv(struct nls *s)
{
	ssize_t n = recv(s->fd, s->buf, s->bufsize, MSG_TRUNC);

	if (n < 0)
		die("netlink recv: %s", strerror(errno));
	if ((size_t)n > s->bufsize)
		die("netlink recv: datagram of %zd bytes truncated", n);
	return n;
}

static int nlmsg_errno(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		die("short NLMSG_ERROR");
	return -e->error;
}

/*
 * Read datagrams and hand each message to @fn until it returns non-zero.
 */
static void nls_read(struct nls *s,
		     int (*fn)(const struct nlmsghdr *nlh, void *arg),
		     void *arg)
{
	struct nlmsghdr *nlh;
	size_t len;

	for (;;) {
		len = nls_recv(s);
		for (nlh = (struct nlmsghdr *)s->buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len))
			if (fn(nlh, arg))
				return;
	}
}

struct txn {
	uint32_t seq;
	bool ack;
	int err;
};

static int txn_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct txn *t = arg;

	if (nlh->nlmsg_seq != t->seq)
		return 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		t->err = nlmsg_errno(nlh);
		return 1;
	}
	return !t->ack;		/* the reply; an ack follows if asked for */
}

int nls_txn(struct nls *s, struct nl_msg *m)
{
	struct txn t = { .ack = nlmsg_hdr(m)->nlmsg_flags & NLM_F_ACK };

	nls_send(s, m);
	t.seq = s->seq;
	nls_read(s, txn_msg, &t);
	errno = t.err;
	return t.err;
}

struct batch {
	uint32_t first, last;
	size_t failed;
};

static int batch_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct batch *b = arg;

	if (nlh->nlmsg_seq < b->first || nlh->nlmsg_seq > b->last ||
	    nlh->nlmsg_type != NLMSG_ERROR)
		return 0;	/* not ours, or a reply: success */
	if (nlmsg_errno(nlh))
		b->failed++;
	return nlh->nlmsg_seq == b->last;
}

size_t nls_batch(struct nls *s, struct nl_msg **m, size_t n)
{
	struct iovec *iov = calloc(n, sizeof(*iov));
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n };
	struct batch b = { .first = s->seq + 1, .last = s->seq + n };
	struct nlmsghdr *nlh;
	size_t i, bytes = 0;
	ssize_t sent;

	if (!iov)
		die("out of memory");
	for (i = 0; i < n; i++) {
		nlh = nlmsg_hdr(m[i]);
		nlh->nlmsg_seq = ++s->seq;
		nlh->nlmsg_pid = 0;
		nlh->nlmsg_flags |= NLM_F_REQUEST;
		if (i == n - 1)
			nlh->nlmsg_flags |= NLM_F_ACK;
		else
			nlh->nlmsg_flags &= ~NLM_F_ACK;
		iov[i].iov_base = nlh;
		iov[i].iov_len = NLMSG_ALIGN(nlh->nlmsg_len);
		bytes += iov[i].iov_len;
	}
	sent = sendmsg(s->fd, &mh, 0);
	free(iov);
	if (sent != (ssize_t)bytes)
		die("netlink sendmsg of %zu messages: %s", n, strerror(errno));
	nls_read(s, batch_msg, &b);
	return b.failed;
}

struct dump {
	uint32_t seq;
	size_t count;
	size_t bytes;
};

static int dump_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;

	if (nlh->nlmsg_seq != d->seq)
		return 0;
	if (nlh->nlmsg_type == NLMSG_DONE)
		return 1;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		die("dump: %s", strerror(nlmsg_errno(nlh)));
	d->count++;
	d->bytes += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

size_t nls_dump(struct nls *s, struct nl_msg *m, size_t *bytes)
{
	struct dump d = { 0 };

	nlmsg_hdr(m)->nlmsg_flags |= NLM_F_DUMP;
	nls_send(s, m);
	d.seq = s->seq;
	nls_read(s, dump_msg, &d);
	if (bytes)
		*bytes = d.bytes;
	return d.count;
}

uint32_t nls_rmem(int fd)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len))
		die("SO_MEMINFO: %s", strerror(errno));
	return mi[SK_MEMINFO_RMEM_ALLOC];
}

/* rtnetlink. */

int rt_dummy_add(struct nls *s, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nlattr *info;
	struct nl_msg *m;
	int ifindex;

	m = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	if (!m || nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO) ||
	    nla_put_string(m, IFLA_IFNAME, name) ||
	    !(info = nla_nest_start(m, IFLA_LINKINFO)) ||
	    nla_put_string(m, IFLA_INFO_KIND, "dummy"))
		die("out of memory");
	nla_nest_end(m, info);
	if (nls_txn(s, m))
		die("add dummy link %s: %s", name, strerror(errno));
	nlmsg_free(m);
	ifindex = if_nametoindex(name);
	if (!ifindex)
		die("%s: %s", name, strerror(errno));
	ifi.ifi_index = ifindex;
	ifi.ifi_flags = IFF_UP;
	ifi.ifi_change = IFF_UP;
	m = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_ACK);
	if (!m || nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO))
		die("out of memory");
	if (nls_txn(s, m))
		die("set %s up: %s", name, strerror(errno));
	nlmsg_free(m);
	return ifindex;
}

struct nl_msg *rt_route_msg(int type, int flags, uint32_t i, int ifindex,
			    int proto)
{
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
		.rtm_dst_len = 32,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = proto,
		.rtm_scope = RT_SCOPE_LINK,
		.rtm_type = RTN_UNICAST,
	};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);

	if (!m || nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO) ||
	    nla_put_u32(m, RTA_DST, htonl(0x0a000000u + i)) ||
	    nla_put_u32(m, RTA_OIF, ifindex))
		die("out of memory");
	return m;
}

/* Create the objects @first..@first+@n-1 that @build makes, @batch at a time. */
static void fill(struct nls *s, uint32_t first, uint32_t n, uint32_t batch,
		 struct nl_msg *(*build)(uint32_t i, const void *arg),
		 const void *arg, const char *what)
{
	struct nl_msg **m = calloc(batch, sizeof(*m));
	uint32_t i, k, j;

	if (!m)
		die("out of memory");
	for (i = first; i < first + n; i += k) {
		k = first + n - i < batch ? first + n - i : batch;
		for (j = 0; j < k; j++)
			m[j] = build(i + j, arg);
		if (nls_batch(s, m, k))
			die("creating %s %u..%u failed", what, i, i + k - 1);
		for (j = 0; j < k; j++)
			nlmsg_free(m[j]);
	}
	free(m);
}

static struct nl_msg *route_create(uint32_t i, const void *arg)
{
	return rt_route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, i,
			    *(const int *)arg, RTPROT_STATIC);
}

void rt_fill(struct nls *s, int ifindex, uint32_t first, uint32_t n,
	     uint32_t batch)
{
	fill(s, first, n, batch, route_create, &ifindex, "routes");
}

struct nl_msg *ctrl_getfamily_msg(const char *name)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			       CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(m, CTRL_ATTR_FAMILY_NAME, name))
		die("out of memory");
	return m;
}

/* cosi. */

struct cosi *bench_cosi_open(void)
{
	struct cosi *c = cosi_open();

	if (!c)
		die("cosi_open: %s (is cosi.ko loaded?)", strerror(errno));
	bench_cosi_define(c, BENCH_TYPE);
	return c;
}

void bench_cosi_define(struct cosi *c, const char *type)
{
	struct cosi_definition *d = NULL;

	if (!(d = cosi_def_new(type)) ||
	    cosi_def_add_field(d, "addr", COSI_FIELD_TYPE_STRING, true) ||
	    cosi_def_add_field(d, "mtu", COSI_FIELD_TYPE_U64, true))
		die("out of memory");
	if (cosi_definition_set(c, d, NULL))
		die_cosi(c, "definition-set");
	cosi_definition_free(d);
}

/*
 * A cosi request in a page-sized message: cosi_msg_new() allocates (and
 * zeroes) 64 KiB per message, which under TCG costs more than the request.
 */
static struct nl_msg *cosi_small_msg(struct cosi *c, uint8_t cmd, int flags,
				     const struct cosi_req *r)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m || !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, cosi_family(c), 0,
			       flags, cmd, COSI_FAMILY_VERSION) ||
	    (r && cosi_put_req(m, r, COSI_REQ_ALL)))
		die("out of memory");
	return m;
}

struct nl_msg *bench_cosi_msg(struct cosi *c, uint8_t cmd, const char *type,
			      uint32_t i, uint64_t v)
{
	struct cosi_spec spec = { 0 };
	struct cosi_kvs labels = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = BENCH_NS, .type = type, .labels = &labels, .spec = &spec,
	);
	struct nl_msg *m;
	char id[16];

	snprintf(id, sizeof(id), "r%u", i);
	r.id = id;
	if (cosi_spec_add_string(&spec, "addr", "10.0.0.1") ||
	    cosi_spec_add_u64(&spec, "mtu", v) ||
	    cosi_kvs_add(&labels, "app", "bench"))
		die("out of memory");
	m = cosi_small_msg(c, cmd, 0, &r);
	cosi_spec_clear(&spec);
	cosi_kvs_clear(&labels);
	return m;
}

struct nl_msg *bench_cosi_get_msg(struct cosi *c, const char *type, uint32_t i)
{
	COSI_OPTS(cosi_req, r, .ns = BENCH_NS, .type = type);
	char id[16];

	snprintf(id, sizeof(id), "r%u", i);
	r.id = id;
	return cosi_small_msg(c, COSI_CMD_RESOURCE_GET, 0, &r);
}

struct nl_msg *bench_cosi_list_msg(struct cosi *c, const char *type)
{
	COSI_OPTS(cosi_list_req, q, .ns = BENCH_NS, .type = type);
	struct nl_msg *m = cosi_small_msg(c, COSI_CMD_RESOURCE_GET, NLM_F_DUMP,
					  NULL);

	if (cosi_put_list_req(m, &q))
		die("out of memory");
	return m;
}

struct fill_arg {
	struct cosi *c;
	const char *type;
};

static struct nl_msg *cosi_create(uint32_t i, const void *arg)
{
	const struct fill_arg *a = arg;

	return bench_cosi_msg(a->c, COSI_CMD_RESOURCE_CREATE, a->type, i, 1);
}

void bench_cosi_fill(struct cosi *c, struct nls *s, const char *type,
		     uint32_t first, uint32_t n, uint32_t batch)
{
	struct fill_arg a = { c, type };

	fill(s, first, n, batch, cosi_create, &a, "resources");
}
