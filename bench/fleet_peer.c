// SPDX-License-Identifier: GPL-2.0
/*
 * fleet_peer: the least a fleet node can do for goal 10, as the peer
 * of cosid in bench/fleet.sh (FLEET_NODE=peer).  It does every write
 * the fleet's round asks of a node, and nothing else: per desired
 * SysctlConfig of its group, the config into the kernel store (owner
 * "fleet"), the value into /proc/sys and read back, the SysctlStatus
 * into the kernel store (owner "sysctl"), and that status into etcd
 * (one txn, fenced by the live key's lease as cosid's).  No controller
 * runtime, no events between controllers (one process does it all in
 * one callback), no RuntimeStatus, no FleetSync, no reads before
 * writes (it keeps the versions it wrote), one client handle each.
 * It registers as cosid does (nodes/<node> and nodes/<node>/live under
 * a lease, kept alive every 10 s), so that cosictl --etcd get nodes and
 * wait --group count it.  Same libraries as cosid (libcosi, cosi's etcd
 * client on sd-event, json-c): what cosid spends above this peer per
 * change is what its design costs.  Not a node to run: no resync, no
 * deletes, no groups but one, no precedence.
 *
 *   fleet_peer ETCD_URL NODE GROUP
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/etcd.h"
#include "common/render.h"
#include "controllers/builtin.h"
#include "controllers/controllers.h"

#define CLUSTER		"/cosi/default"
#define TTL_S		30
#define KEEPALIVE_USEC	(10 * 1000 * 1000ULL)
#define RETRY_USEC	(1000 * 1000ULL)

/* What was written for one sysctl: the versions, the original. */
struct peer_key {
	char *id;
	uint64_t cfg_version, st_version;	/* 0: not written yet */
	char *original;
	char *status_doc;	/* to publish; NULL: nothing new */
	char *sending;		/* in the txn in flight */
	struct peer_key *next;
};

struct peer {
	sd_event *ev;
	struct etcd *e;
	struct etcd_watch *w;
	struct cosi *fleet, *sysctl;	/* owners "fleet" and "sysctl" */
	const char *node, *group;
	char prefix[256], live_key[256], status_prefix[256];
	int64_t lease, rev;
	struct peer_key *keys;
	struct etcd_req *txn;		/* a status txn in flight */
	sd_event_source *timer, *retry, *republish;
};

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "fleet_peer: %s: %s\n", what, msg);
	exit(1);
}

static struct peer_key *key_of(struct peer *p, const char *id)
{
	struct peer_key *k;

	for (k = p->keys; k; k = k->next)
		if (!strcmp(k->id, id))
			return k;
	k = calloc(1, sizeof(*k));
	if (!k || !(k->id = strdup(id)))
		die(id, strerror(ENOMEM));
	k->next = p->keys;
	p->keys = k;
	return k;
}

/*
 * Create or update, expecting the version we wrote (0: not yet, read
 * once: a cosid run before left it): the new version.
 */
static uint64_t put(struct cosi *c, const char *ns, const char *type,
		    const char *id, uint64_t version,
		    const struct cosi_spec *spec, const struct cosi_kvs *labels,
		    const struct cosi_kvs *annotations,
		    struct cosi_resource **out)
{
	struct cosi_req r = { .sz = sizeof(r), .ns = ns, .type = type,
			      .id = id, .spec = spec, .labels = labels,
			      .annotations = annotations };
	struct cosi_resource *res = NULL;
	uint64_t v;
	int err;

	if (!version && !cosi_resource_get(c, ns, type, id, &res))
		version = res->version;
	cosi_resource_free(res);
	res = NULL;
	r.has_expected_version = version > 0;
	r.expected_version = version;
	err = version ? cosi_resource_update(c, &r, &res)
		      : cosi_resource_create(c, &r, &res);
	if (err)
		die(type, cosi_strerror(c, id));
	v = res->version;
	if (out)
		*out = res;
	else
		cosi_resource_free(res);
	return v;
}

static void publish(struct peer *p);

static int on_republish(sd_event_source *s, uint64_t usec, void *arg)
{
	struct peer *p = arg;

	(void)s;
	(void)usec;
	p->republish = sd_event_source_unref(p->republish);
	publish(p);
	return 0;
}

/*
 * Done: what was sent is published; failed: it is sent again a second
 * later, unless a newer status of its key came meanwhile.
 */
static void on_txn(struct etcd_req *rq, int err, const char *msg,
		   const struct etcd_reply *rep, void *arg)
{
	bool ok = !err && rep->succeeded;
	struct peer *p = arg;
	struct peer_key *k;

	(void)rq;
	p->txn = NULL;
	for (k = p->keys; k; k = k->next) {
		if (!ok && !k->status_doc) {
			k->status_doc = k->sending;
			k->sending = NULL;
		}
		free(k->sending);
		k->sending = NULL;
	}
	if (ok) {
		publish(p);	/* what came meanwhile */
		return;
	}
	fprintf(stderr, "fleet_peer: status txn: %s\n",
		err ? msg : "the live key is not ours");
	if (!p->republish &&
	    sd_event_add_time_relative(p->ev, &p->republish, CLOCK_MONOTONIC,
				       RETRY_USEC, 0, on_republish, p) < 0)
		die("txn", "no timer");
}

/* Every status not yet published, in one txn (one key in a round). */
static void publish(struct peer *p)
{
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	struct etcd_cmp cmp = { .key = p->live_key, .target = ETCD_CMP_LEASE,
				.result = ETCD_CMP_EQUAL, .value = p->lease };
	struct etcd_op ops[ETCD_TXN_OPS];
	char keys[ETCD_TXN_OPS][512], msg[ETCD_MSG_LEN];
	struct peer_key *k;
	size_t n = 0;

	if (p->txn || p->republish)
		return;
	for (k = p->keys; k && n < ETCD_TXN_OPS; k = k->next) {
		if (!k->status_doc)
			continue;
		k->sending = k->status_doc;
		k->status_doc = NULL;
		snprintf(keys[n], sizeof(keys[n]), "%s%s/%s/%s", p->status_prefix,
			 NS_RUNTIME, T_SYSCTL_STATUS, k->id);
		ops[n] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = keys[n],
					   .value = k->sending,
					   .value_len = strlen(k->sending) };
		n++;
	}
	if (!n)
		return;
	r.txn = (struct etcd_txn){ .cmp = &cmp, .n_cmp = 1, .success = ops,
				   .n_success = n };
	if (etcd_submit(p->e, &r, on_txn, p, &p->txn, msg, sizeof(msg)))
		die("txn", msg);
}

/* The desired value of @id: the node's part of a round. */
static void apply(struct peer *p, const char *id, const char *value)
{
	struct peer_key *k = key_of(p, id);
	struct cosi_kvs labels = { 0 }, annotations = { 0 };
	struct cosi_spec spec = { 0 };
	struct cosi_resource *st;
	struct json_object *o;
	char path[512], src[128], key[512], *cur = NULL, *q;
	int err;

	snprintf(path, sizeof(path), "/proc/sys/%s", id);
	for (q = path + strlen("/proc/sys/"); *q; q++)
		if (*q == '.')
			*q = '/';
	/* The labels and annotation cosid's fleet controller writes. */
	snprintf(src, sizeof(src), "group:%s", p->group);
	snprintf(key, sizeof(key), "%s%s", p->prefix, id);
	if (cosi_kvs_add(&labels, "cosi.dev/source", "fleet") ||
	    cosi_kvs_add(&labels, "cosi.dev/fleet-source", src) ||
	    cosi_kvs_add(&annotations, "cosi.dev/fleet-key", key) ||
	    cosi_spec_add_string(&spec, "value", value))
		die(id, strerror(ENOMEM));
	k->cfg_version = put(p->fleet, NS_CONFIG, T_SYSCTL_CONFIG, id,
			     k->cfg_version, &spec, &labels, &annotations,
			     NULL);
	cosi_spec_clear(&spec);
	cosi_kvs_clear(&labels);
	cosi_kvs_clear(&annotations);

	if (!k->original && read_text(path, &k->original))
		die(path, "cannot read");
	err = write_text(path, value) ?: read_text(path, &cur);
	if (err)
		die(path, strerror(-err));
	if (cosi_spec_add_string(&spec, "value", cur) ||
	    cosi_spec_add_string(&spec, "original", k->original) ||
	    cosi_spec_add_string(&spec, "error", ""))
		die(id, strerror(ENOMEM));
	free(cur);
	k->st_version = put(p->sysctl, NS_RUNTIME, T_SYSCTL_STATUS, id,
			    k->st_version, &spec, NULL, NULL, &st);
	cosi_spec_clear(&spec);

	o = cosi_json_resource(st, NULL, 0);
	free(k->status_doc);
	k->status_doc = o ? strdup(json_object_to_json_string_ext(o,
				JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE)) : NULL;
	json_object_put(o);
	cosi_resource_free(st);
	if (!k->status_doc)
		die(id, strerror(ENOMEM));
	publish(p);
}

/* A desired document: its id and spec.value, or nothing to do. */
static void on_doc(struct peer *p, const struct etcd_kv *kv)
{
	struct json_object *o, *m, *s, *id, *v;

	o = json_tokener_parse(kv->value);
	if (o && json_object_object_get_ex(o, "metadata", &m) &&
	    json_object_object_get_ex(m, "id", &id) &&
	    json_object_object_get_ex(o, "spec", &s) &&
	    json_object_object_get_ex(s, "value", &v))
		apply(p, json_object_get_string(id), json_object_get_string(v));
	json_object_put(o);
}

static void watch(struct peer *p);

static int on_retry(sd_event_source *s, uint64_t usec, void *arg)
{
	struct peer *p = arg;

	(void)s;
	(void)usec;
	p->retry = sd_event_source_unref(p->retry);
	watch(p);
	return 0;
}

static void on_watch(struct etcd_watch *w, int err, const char *msg,
		     const struct etcd_watch_msg *m, void *arg)
{
	struct peer *p = arg;
	size_t i;

	(void)w;
	if (err) {	/* resumed from the last revision a second later */
		fprintf(stderr, "fleet_peer: watch: %s\n", msg);
		if (!p->retry &&
		    sd_event_add_time_relative(p->ev, &p->retry, CLOCK_MONOTONIC,
					       RETRY_USEC, 0, on_retry, p) < 0)
			die("watch", "no timer");
		return;
	}
	for (i = 0; i < m->n_events; i++) {
		if (m->events[i].type == ETCD_EV_PUT)
			on_doc(p, &m->events[i].kv);
		p->rev = m->events[i].kv.mod_revision;
	}
}

static void watch(struct peer *p)
{
	struct etcd_watch_opts o = { .key = p->prefix, .prefix = true,
				     .start_revision = p->rev + 1 };
	char msg[ETCD_MSG_LEN];

	etcd_watch_free(p->w);
	p->w = NULL;
	if (etcd_watch_start(p->e, &o, on_watch, p, &p->w, msg, sizeof(msg)))
		die("watch", msg);
}

static void on_keepalive(struct etcd_req *rq, int err, const char *msg,
			 const struct etcd_reply *rep, void *arg)
{
	(void)rq;
	(void)rep;
	(void)arg;
	if (err)
		fprintf(stderr, "fleet_peer: keep-alive: %s\n", msg);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *arg)
{
	struct peer *p = arg;
	struct etcd_request r = { .type = ETCD_REQ_LEASE_KEEPALIVE,
				  .lease_id = p->lease };
	char msg[ETCD_MSG_LEN];

	if (etcd_submit(p->e, &r, on_keepalive, p, NULL, msg, sizeof(msg)))
		fprintf(stderr, "fleet_peer: keep-alive: %s\n", msg);
	sd_event_source_set_time(s, usec + KEEPALIVE_USEC);
	return 0;
}

/* A lease, the registration and the live key; then what is desired. */
static void start(struct peer *p)
{
	struct etcd_request r = { .type = ETCD_REQ_LEASE_GRANT, .ttl = TTL_S };
	struct etcd_op ops[2];
	struct etcd_reply rep;
	char reg_key[256], msg[ETCD_MSG_LEN], reg[512];
	struct utsname u;
	size_t i;

	if (etcd_call(p->e, &r, &rep, msg, sizeof(msg)))
		die("lease", msg);
	p->lease = rep.lease_id;
	etcd_reply_free(&rep);
	uname(&u);
	snprintf(reg, sizeof(reg),
		 "{\"node\":\"%s\",\"cluster\":\"default\",\"groups\":[\"%s\"],"
		 "\"labels\":{},\"kernel\":\"%s\",\"version\":\"fleet_peer\"}",
		 p->node, p->group, u.release);
	snprintf(reg_key, sizeof(reg_key), CLUSTER "/nodes/%s", p->node);
	ops[0] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = reg_key,
				   .value = reg, .value_len = strlen(reg) };
	ops[1] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = p->live_key,
				   .value = "", .lease = p->lease };
	r = (struct etcd_request){ .type = ETCD_REQ_TXN,
				   .txn = { .success = ops, .n_success = 2 } };
	if (etcd_call(p->e, &r, &rep, msg, sizeof(msg)))
		die("registration", msg);
	etcd_reply_free(&rep);

	r = (struct etcd_request){ .type = ETCD_REQ_KV,
				   .op = { .type = ETCD_OP_RANGE,
					   .key = p->prefix, .prefix = true } };
	if (etcd_call(p->e, &r, &rep, msg, sizeof(msg)))
		die("range", msg);
	p->rev = rep.hdr.revision;
	for (i = 0; i < rep.n_kvs; i++)
		on_doc(p, &rep.kvs[i]);
	etcd_reply_free(&rep);
}

static struct cosi *handle(const char *owner)
{
	struct cosi *c = cosi_open();

	if (!c)
		die("cosi_open", strerror(errno));
	if (cosi_owner_claim(c, owner))
		die(owner, cosi_strerror(c, "owner-claim"));
	return c;
}

int main(int argc, char **argv)
{
	struct peer p = { 0 };
	struct etcd_opts o = { 0 };
	char msg[ETCD_MSG_LEN];
	uint64_t now;

	if (argc != 4) {
		fprintf(stderr, "usage: fleet_peer ETCD_URL NODE GROUP\n");
		return 2;
	}
	o.endpoints = argv[1];
	p.node = argv[2];
	p.group = argv[3];
	snprintf(p.prefix, sizeof(p.prefix), CLUSTER "/desired/groups/%s/%s/%s/",
		 p.group, NS_CONFIG, T_SYSCTL_CONFIG);
	snprintf(p.live_key, sizeof(p.live_key), CLUSTER "/nodes/%s/live",
		 p.node);
	snprintf(p.status_prefix, sizeof(p.status_prefix),
		 CLUSTER "/status/%s/", p.node);
	p.fleet = handle("fleet");
	p.sysctl = handle("sysctl");
	if (cosid_define_types(p.fleet))
		die("definitions", cosi_strerror(p.fleet, "definition-set"));
	if (sd_event_default(&p.ev) < 0)
		die("sd_event", "cannot open");
	if (etcd_new(&p.e, p.ev, &o, msg, sizeof(msg)))
		die("etcd", msg);
	start(&p);
	watch(&p);
	sd_event_now(p.ev, CLOCK_MONOTONIC, &now);
	if (sd_event_add_time(p.ev, &p.timer, CLOCK_MONOTONIC,
			      now + KEEPALIVE_USEC, 0, on_tick, &p) < 0 ||
	    sd_event_source_set_enabled(p.timer, SD_EVENT_ON) < 0)
		die("timer", "cannot add");
	return sd_event_loop(p.ev) < 0;
}
