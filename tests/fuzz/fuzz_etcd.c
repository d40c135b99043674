// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the etcd client's decoders of what a server (or
 * anything listening on its address) sends: a reply to each request
 * type, a gateway error, an authenticate reply, a watch stream message
 * (daemon/common/etcd_msg.c).  The input is one reply body, gated by the
 * weight cap as the transport gates it.  A decode either fails with a
 * negative errno and nothing left to free, or gives keys and counts
 * within the client's caps; no crash, no leak, no sanitizer report.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "common/etcd_internal.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_kv(const struct etcd_kv *kv)
{
	FUZZ_CHECK(kv->key && kv->value);
	FUZZ_CHECK(kv->key[kv->key_len] == '\0');
	FUZZ_CHECK(kv->value[kv->value_len] == '\0');
}

static void check_reply(const struct etcd_reply *r, int depth)
{
	size_t i;

	FUZZ_CHECK(depth <= 1);	/* a txn's ops are not txns */
	FUZZ_CHECK(r->n_kvs <= ETCD_KVS_MAX);
	FUZZ_CHECK(r->n_responses <= ETCD_TXN_OPS);
	for (i = 0; i < r->n_kvs; i++)
		check_kv(&r->kvs[i]);
	for (i = 0; i < r->n_responses; i++)
		check_reply(&r->responses[i], depth + 1);
}

static const int reply_types[] = {
	ETCD_POST_KV(ETCD_OP_RANGE), ETCD_POST_KV(ETCD_OP_PUT),
	ETCD_POST_KV(ETCD_OP_DELETE), ETCD_REQ_TXN, ETCD_REQ_LEASE_GRANT,
	ETCD_REQ_LEASE_KEEPALIVE, ETCD_REQ_LEASE_REVOKE, ETCD_REQ_LEASE_TTL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etcd_watch_msg m;
	struct etcd_reply rep;
	char msg[256], *s, *token;
	json_object *j;
	size_t i, watchers;
	int err;

	s = fuzz_str(data, size);
	if (etcd_json_weight(s, size) > ETCD_JSON_WEIGHT_MAX) {
		free(s);
		return 0;
	}
	j = json_tokener_parse(s);
	free(s);
	if (!j)
		return 0;

	for (i = 0; i < sizeof(reply_types) / sizeof(reply_types[0]); i++) {
		memset(&rep, 0xa5, sizeof(rep));
		err = etcd_msg_reply(reply_types[i], j, &rep);
		if (err) {
			FUZZ_CHECK(err < 0);
			FUZZ_CHECK(!rep.kvs && !rep.n_kvs && !rep.responses);
			continue;
		}
		check_reply(&rep, 0);
		etcd_reply_free(&rep);
	}

	msg[0] = '\0';
	err = etcd_msg_error(j, msg, sizeof(msg));
	FUZZ_CHECK(err < 0);
	fuzz_check_msg(msg);

	token = etcd_msg_token(j);
	for (s = token; s && *s; s++)
		FUZZ_CHECK(*s > ' ' && *s <= '~');
	free(token);

	msg[0] = '\0';
	/* One watcher (any id is its), or 3 (ids 1 to 3). */
	watchers = 1 + size % 2 * 2;
	err = etcd_msg_watch_result(j, watchers, &m, msg, sizeof(msg));
	if (err) {
		FUZZ_CHECK(err < 0);
		FUZZ_CHECK(!m.events && !m.n_events);
		fuzz_check_msg(msg);
	} else {
		FUZZ_CHECK(m.n_events <= ETCD_KVS_MAX);
		FUZZ_CHECK(m.watcher < watchers);
		FUZZ_CHECK(m.n_events == 0 || m.events);
		for (i = 0; i < m.n_events; i++) {
			check_kv(&m.events[i].kv);
			if (m.events[i].has_prev)
				check_kv(&m.events[i].prev_kv);
		}
		etcd_watch_msg_clear(&m);
	}
	json_object_put(j);
	return 0;
}
