/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the cosi benchmarks (the programs in bench/): clocks, samples and
 * percentiles, RESULT lines, raw netlink sockets for timed requests, and
 * the messages of the peers (rtnetlink routes, nlctrl) and of cosi.
 *
 * Timed requests go over plain netlink sockets with prebuilt messages,
 * for cosi and for its peers alike, so that both sides pay the same
 * userspace cost (one sendmsg, one recvmsg, no parsing).  libnl builds the
 * messages; libcosi sets things up (definitions, watches).
 */
#ifndef _BENCH_UTIL_H
#define _BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cosi_nl.h"
#include "stats.h"

struct nl_msg;

/* Environment knobs with defaults. */
long env_long(const char *name, long def);

/* Print an error ("prog: ...") and exit(1). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void die_cosi(struct cosi *c, const char *op) __attribute__((noreturn));
void bench_init(const char *prog);

/* RESULT <goal> <system> <metric> <value> <unit> */
void result(int goal, const char *sys, const char *metric, double v,
	    const char *unit);

/* A growable array of samples. */
struct samples {
	double *v;
	size_t n, cap;
};

void samples_add(struct samples *s, double v);
double samples_pct(const struct samples *s, double pct);
void samples_free(struct samples *s);

/* A fresh network namespace with lo up; pin the calling thread. */
void bench_netns(void);
void pin_cpu(int cpu);

/* A raw netlink socket; @buf receives whole datagrams. */
struct nls {
	int fd;
	uint32_t seq;
	char *buf;
	size_t bufsize;
};

void nls_open(struct nls *s, int proto, int rcvbuf);
void nls_close(struct nls *s);
/* Join a multicast group (NETLINK_ADD_MEMBERSHIP). */
void nls_join(struct nls *s, int group);
/* Send one message (its seq is set); exits on failure. */
void nls_send(struct nls *s, struct nl_msg *m);
/* One datagram into s->buf; its length. */
size_t nls_recv(struct nls *s);
/*
 * Send @m and read to its answer: a reply with its seq or an error/ack.
 * Returns 0 or the kernel's positive errno.
 */
int nls_txn(struct nls *s, struct nl_msg *m);
/*
 * Send @n messages in one sendmsg(), NLM_F_ACK on the last only, and read
 * until the last is answered.  Returns how many failed (NLMSG_ERROR with
 * an errno), after checking every message was accounted for.
 */
size_t nls_batch(struct nls *s, struct nl_msg **m, size_t n);
/*
 * Send a dump request and count its messages until NLMSG_DONE; @bytes (if
 * not NULL) gets their size.
 */
size_t nls_dump(struct nls *s, struct nl_msg *m, size_t *bytes);
/* sk_rmem_alloc of the socket (what /proc/net/netlink shows as Rmem). */
uint32_t nls_rmem(int fd);

/* rtnetlink. */
int rt_dummy_add(struct nls *s, const char *name);
/* RTM_NEWROUTE for 10.0.0.0/8 + @i as a /32 via @ifindex. */
struct nl_msg *rt_route_msg(int type, int flags, uint32_t i, int ifindex,
			    int proto);

/* Add routes @first..@first+@n-1 in batches of @batch. */
void rt_fill(struct nls *s, int ifindex, uint32_t first, uint32_t n,
	     uint32_t batch);

/* nlctrl: CTRL_CMD_GETFAMILY of @name. */
struct nl_msg *ctrl_getfamily_msg(const char *name);

/*
 * cosi: the benchmark's small resource type (two short spec fields, one
 * label), and requests for it.  bench_cosi_open() opens a handle and
 * defines the type.
 */
#define BENCH_NS	"bench"
#define BENCH_TYPE	"Small.bench.cosi.dev"

struct cosi *bench_cosi_open(void);
void bench_cosi_define(struct cosi *c, const char *type);
/* Create/update message for id "r<i>" with spec version @v. */
struct nl_msg *bench_cosi_msg(struct cosi *c, uint8_t cmd, const char *type,
			      uint32_t i, uint64_t v);
struct nl_msg *bench_cosi_get_msg(struct cosi *c, const char *type,
				  uint32_t i);
struct nl_msg *bench_cosi_list_msg(struct cosi *c, const char *type);
/* Create resources r<first>.. (@n of them) in batches of @batch. */
void bench_cosi_fill(struct cosi *c, struct nls *s, const char *type,
		     uint32_t first, uint32_t n, uint32_t batch);

#endif /* _BENCH_UTIL_H */
