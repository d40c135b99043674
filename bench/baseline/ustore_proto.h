/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ustore wire format: the baseline userspace store of the peer benchmarks.
 *
 * A frame is a struct us_hdr followed by @len payload bytes, on a
 * SOCK_STREAM unix socket.  Integers are in host order (the socket is
 * local, as netlink's are).  Requests carry a struct us_res and the
 * strings it counts, in this order: ns, type, id, value.  Every request
 * gets exactly one US_REPLY with the same @seq, in order; a client may
 * send many requests before reading (pipelining).  US_LIST sends one
 * US_ITEM per match before its reply; subscribers get US_EVENT frames
 * (@seq = the watch id) interleaved with replies.
 */
#ifndef _USTORE_PROTO_H
#define _USTORE_PROTO_H

#include <stdint.h>

#define US_MAX_FRAME	(1u << 20)	/* payload bytes */

enum us_op {
	US_GET = 1,
	US_CREATE,		/* -EEXIST when present */
	US_UPDATE,		/* -ENOENT when absent */
	US_DELETE,
	US_LIST,		/* ns and type; id is a prefix */
	US_WATCH,		/* ns and type; empty id: every id */
	US_UNWATCH,		/* seq of the frame = the watch id */
	US_REPLY = 64,
	US_ITEM,
	US_EVENT,
};

enum us_kind {
	US_CREATED = 1,
	US_UPDATED,
	US_DESTROYED,
};

struct us_hdr {
	uint32_t len;
	uint8_t op;		/* enum us_op */
	uint8_t pad[3];
	uint32_t seq;
	int32_t status;		/* replies: 0 or a negative errno */
};

struct us_res {
	/*
	 * Requests: expected version (update, delete; 0: any).  Replies,
	 * items, events: the version after the change.  List replies: the
	 * number of items.
	 */
	uint64_t version;
	uint64_t revision;	/* store revision of the change / the reply */
	uint32_t val_len;
	uint16_t ns_len;
	uint16_t type_len;
	uint16_t id_len;
	uint8_t kind;		/* events: enum us_kind */
	uint8_t pad[5];
};

#endif /* _USTORE_PROTO_H */
