/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The common driver of the peer benchmarks: one measurement method, one
 * struct peer_ops per system (cosi, ustore, etcd), so every system is
 * measured by the same code.  Operations return 0 or a negative errno
 * after printing a one-line error to stderr.
 */
#ifndef _PEER_DRIVER_H
#define _PEER_DRIVER_H

#include <stddef.h>

#include "stats.h"

#define PEER_VAL_LEN	64	/* bytes of every value written */

struct peer_ops {
	const char *name;		/* the system in RESULT lines */
	/* Process-wide setup before any handle (environment); may be NULL. */
	int (*init)(void);
	/* A client handle, one per thread; NULL after printing why. */
	void *(*open)(void);
	void (*close)(void *h);
	int (*create)(void *h, const char *ns, const char *id,
		      const char *val);
	int (*update)(void *h, const char *ns, const char *id,
		      const char *val);
	/* Copies the value (NUL-terminated) into @val. */
	int (*get)(void *h, const char *ns, const char *id, char *val,
		   size_t len);
	/* Ways to write many new ids at once: NULL-terminated names. */
	const char *const *put_methods;
	int (*put_many)(void *h, int method, const char *ns,
			char *const *ids, size_t n, const char *val);
	/* Lists @ns (every entry, values included): their number. */
	long (*list)(void *h, const char *ns);
	/* Subscribes @h to changes of one id. */
	int (*watch)(void *h, const char *ns, const char *id);
	/* Blocks for the next change event of the watch; copies its value. */
	int (*next_event)(void *h, char *val, size_t len);
};

int peer_main(const struct peer_ops *ops, int argc, char **argv);

/* CLOCK_MONOTONIC in microseconds. */
double peer_now_us(void);

#endif /* _PEER_DRIVER_H */
