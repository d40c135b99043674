/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libcosi's wire level: raw requests, the libnl message builders and the
 * reply/event/error parsers.  Private to the library and to the programs
 * of this tree that link libcosi.a (the selftests, fuzzers and
 * benchmarks): not installed, not exported by libcosi.so.
 */
#ifndef _COSI_LIB_NL_H
#define _COSI_LIB_NL_H

#include "cosi.h"

struct nlattr;
struct nlmsghdr;

/* Receives a reply message of a raw request: 0 or a negative errno. */
typedef int (*cosi_msg_fn)(struct nl_msg *msg, void *arg);
/* The same, reading the message where it was received. */
typedef int (*cosi_nlh_fn)(const struct nlmsghdr *nlh, void *arg);

/* The last error's extack attribute, and the last request sent. */
const struct nlattr *cosi_extack_attr(const struct cosi *c);
const struct nlmsghdr *cosi_last_request(const struct cosi *c);

/* Raw requests: build with cosi_msg_new() and nla_put*(), then send. */
struct nl_msg *cosi_msg_new(struct cosi *c, uint8_t cmd, int flags);
int cosi_request(struct cosi *c, struct nl_msg *msg, cosi_msg_fn fn,
		 void *arg);
int cosi_send_raw(struct cosi *c, struct nl_msg *msg);
bool cosi_last_intr(const struct cosi *c);

/*
 * The ABI check of a caller-built struct (cosi_opts.h) into the library's
 * *@dst, the failure kept as the handle's last error: 0 or -EINVAL/-E2BIG.
 */
int cosi_opts_check(struct cosi *c, void *dst, size_t dst_sz,
		    const void *src, const char *name);
#define COSI_OPTS_CHECK(c, dst, src, name)				\
	cosi_opts_check((c), (dst), sizeof(*(dst)), (src), (name))

/* Message building (cosi_msg.c); 0 or a negative errno. */
int cosi_put_kvs(struct nl_msg *m, int attr, const struct cosi_kvs *kvs);
int cosi_put_strs(struct nl_msg *m, int attr, int item,
		  const struct cosi_strs *s);
int cosi_put_field(struct nl_msg *m, const struct cosi_field *f);
int cosi_put_spec(struct nl_msg *m, const struct cosi_spec *s);
int cosi_put_query(struct nl_msg *m, const struct cosi_query *q);
/* Parts of a struct cosi_req to put (cosi_put_req()). */
#define COSI_REQ_KEY		0x01	/* namespace, type, id */
#define COSI_REQ_CONTENT	0x02	/* labels, annotations, spec */
#define COSI_REQ_FINALIZERS	0x04
#define COSI_REQ_VERSION	0x08	/* expected-version */
#define COSI_REQ_PHASE		0x10	/* expected-phase */
#define COSI_REQ_ACK_ONLY	0x20	/* ack-only */
#define COSI_REQ_QUIET		0x40	/* quiet */
#define COSI_REQ_ALL		0x7f

int cosi_put_req(struct nl_msg *m, const struct cosi_req *r,
		 unsigned int parts);
int cosi_put_list_req(struct nl_msg *m, const struct cosi_list_req *q);
int cosi_put_watch_req(struct nl_msg *m, const struct cosi_watch_req *w);
int cosi_put_definition(struct nl_msg *m, const struct cosi_definition *d);

/*
 * Message parsing (cosi_msg.c); 0 or a negative errno.  The *_nlh()
 * variants read a message where it is (a receive buffer).
 */
struct nla_policy;
int cosi_attrs_parse(struct nlattr **tb, int maxtype, const struct nlattr *head,
		     int len, const struct nla_policy *policy);
int cosi_resource_parse_nlh(const struct nlmsghdr *nlh,
			    struct cosi_resource **out);
int cosi_event_parse_nlh(const struct nlmsghdr *nlh, struct cosi_event **out);
int cosi_definition_parse_nlh(const struct nlmsghdr *nlh,
			      struct cosi_definition **out);
int cosi_write_answer_parse(const struct nlmsghdr *nlh, uint64_t *version,
			    uint64_t *revision);

/*
 * Blocks of memory freed at once (cosi_list()), taken from and given back
 * to a pool of the handle's (reference-counted: a list may outlive it).
 */
struct cosi_block;
struct cosi_pool;
struct cosi_arena {
	struct cosi_block *head;
	struct cosi_pool *pool;
};

struct cosi_pool *cosi_pool_new(void);
void cosi_pool_put(struct cosi_pool *p);
void cosi_arena_init(struct cosi_arena *a, struct cosi_pool *pool);
void *cosi_arena_alloc(struct cosi_arena *a, size_t len);
void cosi_arena_free(struct cosi_arena *a);
int cosi_resource_parse_arena(struct cosi_arena *a, const struct nlmsghdr *nlh,
			      struct cosi_resource **out);

/* Message parsing (cosi_msg.c); 0 or a negative errno. */
int cosi_resource_parse(struct nl_msg *msg, struct cosi_resource **out);
int cosi_event_parse(struct nl_msg *msg, struct cosi_event **out);
int cosi_definition_parse(struct nl_msg *msg, struct cosi_definition **out);
int cosi_nlerr_parse(const struct nlmsghdr *nlh, struct cosi_err *out);

#endif /* _COSI_LIB_NL_H */
