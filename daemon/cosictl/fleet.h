/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosictl --etcd: what fleet_get.c (read side) and fleet_write.c (apply,
 * delete, wait) share.
 */
#ifndef _COSICTL_FLEET_H
#define _COSICTL_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cosictl/cli_args.h"

struct etcd;

/* One key of a write: put @value, or delete (@value NULL). */
struct fleet_write {
	char *key;
	char *value;
	char *label;			/* the document, for messages */
	int64_t mod_revision;		/* as read; 0: absent */
	bool unchanged;			/* holds @value already: no write */
};

/*
 * One txn over @v[0..@n) (@n <= ETCD_TXN_OPS): compares every key's
 * mod_revision with the one read, puts or deletes those not unchanged.
 * 0: written.  -ESTALE: a compare failed, nothing written, @msg names the
 * key that changed (*@failed its index).  Else etcd_call()'s errors.
 */
int cosictl_fleet_commit(struct etcd *e, const struct fleet_write *v,
			 size_t n, size_t *failed, char *msg, size_t len);

/* --cluster, --node, --group: EXIT_OK, or EXIT_USAGE with the error said. */
int cosictl_fleet_names(const struct cosictl_args *a, const char *cluster);

/*
 * A blocking client of --etcd with the TLS files and, with --etcd-user,
 * the password read from --etcd-password-file (fleet_conn.c).  EXIT_OK
 * and *@e, or EXIT_USAGE with the error said (an unreadable or too open
 * password file, a bad endpoint, an unreadable --etcd-ca, --etcd-cert or
 * --etcd-key, a client certificate without an https:// endpoint:
 * cosi_fleet_tls_check(), as cosid checks them).  Authentication itself happens at the
 * first request: its error is that request's.
 */
int cosictl_fleet_connect(const struct cosictl_args *a, struct etcd **e);

/*
 * etcd's error @err and @msg (etcd_call()'s) of @op ("read", "write",
 * "delete", "watch") on @key (@prefix: the keys under it) as one line in
 * @buf: without --etcd-user against an etcd with auth on, that etcd
 * requires authentication and how to give it; a permission denied, the
 * operation and the key refused; else the endpoint and @msg.
 */
void cosictl_fleet_explain(const struct cosictl_args *a, struct etcd *e,
			   int err, const char *op, const char *key,
			   bool prefix, const char *msg, char *buf, size_t len);
/* The same said (ctl_err()): EXIT_FAIL. */
int cosictl_fleet_err(const struct cosictl_args *a, struct etcd *e, int err,
		      const char *op, const char *key, bool prefix,
		      const char *msg);

#endif /* _COSICTL_FLEET_H */
