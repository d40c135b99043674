// SPDX-License-Identifier: GPL-2.0
/*
 * The write txn of cosictl apply/delete --etcd (fleet.h): compares on
 * every key's mod_revision as read.  Apart from fleet_write.c so that
 * etcd_host tests it against etcd with a stale revision.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/etcd.h"
#include "cosictl/fleet.h"

int cosictl_fleet_commit(struct etcd *e, const struct fleet_write *v,
			 size_t n, size_t *failed, char *msg, size_t len)
{
	struct etcd_cmp cmp[ETCD_TXN_OPS];
	struct etcd_op ops[ETCD_TXN_OPS];
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	struct etcd_reply rep;
	size_t i, nc = 0, no = 0;
	int err;

	if (n > ETCD_TXN_OPS) {
		snprintf(msg, len, "%zu keys in one txn, over %d", n,
			 ETCD_TXN_OPS);
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		cmp[nc++] = (struct etcd_cmp){
			.key = v[i].key, .target = ETCD_CMP_MOD,
			.result = ETCD_CMP_EQUAL, .value = v[i].mod_revision,
		};
		if (v[i].unchanged)
			continue;
		ops[no++] = (struct etcd_op){
			.type = v[i].value ? ETCD_OP_PUT : ETCD_OP_DELETE,
			.key = v[i].key, .value = v[i].value,
			.value_len = v[i].value ? strlen(v[i].value) : 0,
		};
	}
	r.txn.cmp = cmp;
	r.txn.n_cmp = nc;
	r.txn.success = ops;
	r.txn.n_success = no;
	err = etcd_call(e, &r, &rep, msg, len);
	if (err)
		return err;
	err = rep.succeeded ? 0 : -ESTALE;
	etcd_reply_free(&rep);
	if (!err)
		return 0;
	/* Which key: the first whose mod_revision is not the one read. */
	*failed = 0;
	for (i = 0; i < n; i++) {
		r = (struct etcd_request){ .type = ETCD_REQ_KV };
		r.op.type = ETCD_OP_RANGE;
		r.op.key = v[i].key;
		if (etcd_call(e, &r, &rep, msg, len))
			break;
		if ((rep.n_kvs ? rep.kvs[0].mod_revision : 0) !=
		    v[i].mod_revision) {
			snprintf(msg, len, "%s: changed by another writer since read (mod_revision %lld, now %lld)",
				 v[i].key, (long long)v[i].mod_revision,
				 (long long)(rep.n_kvs ?
					     rep.kvs[0].mod_revision : 0));
			etcd_reply_free(&rep);
			*failed = i;
			return -ESTALE;
		}
		etcd_reply_free(&rep);
	}
	snprintf(msg, len, "a key changed by another writer since read");
	return -ESTALE;
}
