/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ustore client library (see ustore_proto.h for the wire format).  Calls
 * return 0 or a negative errno: the server's for a refused request, or
 * the socket's.  Events that arrive while a reply is awaited are queued
 * for ustore_event().
 */
#ifndef _USTORE_H
#define _USTORE_H

#include <stddef.h>
#include <stdint.h>

#include "ustore_proto.h"

struct ustore;

/* A resource (get, list items) or an event; one allocation: free(). */
struct ustore_res {
	uint8_t kind;			/* events: enum us_kind */
	uint32_t watch_id;		/* events */
	uint64_t version;
	uint64_t revision;
	char *ns, *type, *id;		/* NUL-terminated */
	char *val;			/* @val_len bytes, NUL-terminated */
	size_t val_len;
};

/* One request of a pipelined burst. */
struct ustore_op {
	uint8_t op;			/* US_CREATE, US_UPDATE, US_DELETE */
	const char *ns, *type, *id;
	const void *val;
	size_t val_len;
	uint64_t expected;		/* version; 0: any */
	int status;			/* out: 0 or a negative errno */
	uint64_t version;		/* out */
};

typedef void (*ustore_item_fn)(struct ustore_res *r, void *arg);

struct ustore *ustore_connect(const char *path);	/* NULL, errno */
void ustore_close(struct ustore *u);
int ustore_get(struct ustore *u, const char *ns, const char *type,
	       const char *id, struct ustore_res **out);
int ustore_write(struct ustore *u, struct ustore_op *op);
/*
 * @n requests in one write, then their replies; the statuses are in
 * @ops (the return value is the transport's).
 */
int ustore_pipeline(struct ustore *u, struct ustore_op *ops, size_t n);
/* Items go to @fn (the callee frees them); *@n: their number. */
int ustore_list(struct ustore *u, const char *ns, const char *type,
		const char *id_prefix, ustore_item_fn fn, void *arg,
		uint64_t *n);
int ustore_watch(struct ustore *u, const char *ns, const char *type,
		 const char *id, uint32_t *watch_id, uint64_t *revision);
int ustore_unwatch(struct ustore *u, uint32_t watch_id);
/* The next event; -ETIMEDOUT after @timeout_ms (-1: wait). */
int ustore_event(struct ustore *u, int timeout_ms, struct ustore_res **ev);

#endif /* _USTORE_H */
