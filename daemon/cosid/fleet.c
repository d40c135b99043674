// SPDX-License-Identifier: GPL-2.0
/*
 * cosid --etcd: the node's desired configuration is in etcd (the fleet's
 * source of truth), the kernel store stays the node's.
 *
 * Keys (Documentation/fleet.rst), <c> the cluster:
 *   /cosi/<c>/nodes/<node>                      registration (persistent)
 *   /cosi/<c>/nodes/<node>/live                 liveness, under the lease
 *   /cosi/<c>/desired/all/<ns>/<type>/<id>       every node
 *   /cosi/<c>/desired/groups/<g>/<ns>/<type>/<id> the nodes of group g
 *   /cosi/<c>/desired/nodes/<node>/<ns>/<type>/<id> one node
 * A value is one resource document as `cosictl get -o json` prints it
 * (any YAML the manifest parser takes); its namespace, exact type name
 * and id must be the key's.  For one <ns>/<type>/<id>, the node's entry
 * wins over the groups', the first group given on the command line over
 * the later ones, and a group's over all's.  A document that does not
 * parse or check is skipped (one log line naming the key, counted in
 * FleetSync's skipped) and does not take part: the next entry down
 * applies, and what was applied for that <ns>/<type>/<id> is not deleted.
 *
 * How: one txn of ranges (one per prefix: all's, each group's, the
 * node's; one revision R) fills the in-memory set of entries; then one
 * watcher per prefix from R+1 (no prev_kv), all in one watch stream,
 * keeps it: etcd sends a node only its own prefixes' events.  Each
 * watcher resumes from its own revision (wrev[]: its last event's, or
 * a progress notification's), as etcd orders events within a watcher
 * only.  Whenever the set changed, the "fleet" controller
 * applies the winners (cosi_apply_docs(), an unchanged resource costs no
 * write) with the label cosi.dev/source=fleet, cosi.dev/fleet-source=
 * all|group:<g>|node and the annotation cosi.dev/fleet-key=<key> (when
 * it fits 255 bytes), and deletes what carries the label and is no
 * longer desired (prune.c).  A document the kernel refuses for good is
 * counted (FleetSync refused), logged once, holds nothing back, and,
 * when another owner's resource holds its id, is tried again every
 * REFUSED_RETRY_MS (what was in its way may go).
 * A watch that ends is resumed from the last revisions seen after a
 * jittered backoff (0.5 s doubling to 10 s); one silent for longer than
 * --etcd-watch-idle (etcd sends progress notifications to quiet
 * watchers) is ended and resumed; a compacted revision, a
 * changed cluster id, a revision going back or a watch message too big
 * for the client means a new range (a resync) and a full diff.
 *
 * Registration (as Kubernetes keeps a Node apart from its Lease):
 * /cosi/<c>/nodes/<node> (JSON: node, cluster, groups, labels, kernel
 * release, cosi version) has no lease: it stays when the node dies, so that its
 * groups and version are still known (cosictl get nodes, wait --group).
 * /cosi/<c>/nodes/<node>/live (empty value; its presence is the news)
 * is under a lease of COSID_FLEET_TTL s: the node is live while it
 * exists.  Both are put in one txn when the lease is granted (at start,
 * and again when etcd no longer knows it: -ENOENT, after an outage
 * longer than the TTL), on a compare that no lease holds the live key:
 * a name is live once (another cosid's: name_taken()); kept alive every
 * TTL/3 (keep-alives cost no revision, so an idle fleet adds none), the
 * live key checked every LIVE_CHECK_TICKS of them by a txn that writes
 * nothing (check_live()).  At a clean shutdown the lease
 * is revoked: the live key goes, the registration stays.  Retiring a
 * node for good is an administrator's act (cosictl delete node).
 *
 * Never fatal: with etcd unreachable, nothing is applied or deleted (the
 * node keeps its configuration and the controllers run), FleetSync says
 * connected=false with the error, and cosid keeps trying.
 *
 * Publishing the node's statuses is publish.c's (the "fleet-publish"
 * controller, on this client).
 *
 * FleetSync's lag: etcd revisions of desired changes received and not
 * yet applied to the store (rev - synced_rev); 0 when every change
 * received is applied, also when other nodes' writes move etcd on.
 *
 * Threads: everything runs on the daemon's loop; no locks.  Lifetime: the
 * runtime owns the fleet after cosid_register_fleet(): each controller's
 * fini drops a reference (refs), the last one frees it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/etcd.h"
#include "common/fleet_check.h"
#include "common/fleet_name.h"
#include "common/secret.h"
#include "controllers/builtin.h"
#include "cosid/cosid.h"

#define BACKOFF_MIN_MS		500
#define BACKOFF_MAX_MS		10000
#define STREAM_OK_USEC		5000000	/* a watch that lived this long ok */
#define REFUSED_RETRY_MS	10000	/* a refused document, tried again */
#define LIVE_CHECK_TICKS	3	/* keep-alives between live-key checks */
#define WHO			"fleet"

struct fentry {
	char *key;			/* the etcd key (no NUL inside) */
	size_t key_len;			/* etcd's length of it */
	int refused;			/* the kernel's errno, logged once */
	struct cosid_fleet_entry e;	/* e.suffix points into key */
	struct cosi_docs docs;		/* one document when !e.bad */
};

struct cosid_fleet {
	struct cosi *c;			/* cosid's handle: the writes */
	char *ns;
	char *endpoints, *node, *cluster, *user, *password;
	char *ca_file, *cert_file, *key_file;
	char *groups[COSID_FLEET_GROUPS_MAX];
	size_t n_groups;
	char *labels[COSI_FLEET_NODE_LABELS_MAX];	/* "KEY=VALUE" */
	size_t n_labels;
	char *prefix;			/* /cosi/<c>/desired/ */
	char *node_key;			/* /cosi/<c>/nodes/<node> */
	char *live_key;			/* ... and /live, under the lease */
	char *ranges[COSID_FLEET_GROUPS_MAX + 2];	/* the prefixes read */
	size_t n_ranges;
	/* Per prefix: every event up to it is in v (resume from + 1). */
	int64_t wrev[COSID_FLEET_GROUPS_MAX + 2];
	uint64_t watch_idle_usec;	/* --etcd-watch-idle */
	unsigned int idle_shift;	/* ... times 2^this: streams idled out */
	char *reg;			/* the registration's JSON */
	struct cosi_selector sel;	/* cosi.dev/source=fleet */
	struct cosi_definitions defs;
	bool have_defs;

	struct cosi_ctl *ctl;
	struct cosi_input *inputs;
	struct etcd *e;
	struct etcd_watch *w;
	struct etcd_req *list_rq, *lease_rq;
	sd_event_source *retry, *keepalive;
	unsigned int backoff_ms;
	unsigned int seed;		/* rand_r(): jitter, from getrandom() */
	unsigned int first_ep;		/* etcd_opts.first_endpoint: at random */
	uint64_t watch_since;		/* CLOCK_MONOTONIC usec of the start */
	uint64_t lease_ok;		/* usec of the last lease success */

	struct fentry *v;		/* the entries of this node */
	size_t n, cap;
	bool listed;			/* v is etcd's (a range succeeded) */
	bool dirty;			/* v changed since the last apply */
	bool need_list;			/* next (re)connect: range, not resume */
	/*
	 * A re-list after a watch message too big for the client: the list
	 * (at list_rev) holds that revision's outcome, and a watcher still
	 * at list_rev starts after it (at it, it would meet the same
	 * message and re-list again and again in a quiet fleet).
	 */
	bool big_relist, list_plus_one;
	int64_t list_rev;
	bool connected, registered;
	/*
	 * The live key is another lease's: a cosid of the same --node is
	 * live.  Not registered, nothing published (the publisher is held)
	 * until its key goes; tried again at every keep-alive tick.  While
	 * registered, every LIVE_CHECK_TICKS keep-alives a read-only txn
	 * checks that the live key is still ours (deleted by hand: put
	 * back; another's: this one stands down).
	 */
	bool name_taken;
	unsigned int live_ticks;
	uint64_t cluster_id;
	int64_t rev;			/* the last revision seen */
	int64_t synced_rev;		/* rev when the store was last in step */
	int64_t lease;
	uint64_t lists;			/* successful ranges: resyncs + 1 */
	/*
	 * What a run may skip (each a scan of every config type): the
	 * prune, unless a key came or went (prune_due) or the set was
	 * listed again since the last complete one (pruned_lists); the
	 * destroy-ready pass, unless an input event woke the controller
	 * (its wakeups) or the runtime's watches resynced since the last
	 * complete one (scanned).
	 */
	bool prune_due;
	uint64_t pruned_lists;
	bool scanned;
	uint64_t scan_wakeups, scan_resyncs;
	size_t applied, skipped, refused;
	/*
	 * While the kernel refuses a document because a resource of
	 * another owner holds its id (-EACCES, -EEXIST), the set is applied
	 * again every REFUSED_RETRY_MS: what was in its way may go, and its
	 * destruction wakes nobody.  Other refusals (the document itself)
	 * wait for its value to change.
	 */
	uint64_t refused_retry_at;	/* CLOCK_MONOTONIC usec */
	size_t refused_held;		/* of refused: by another's resource */
	char last_error[ETCD_MSG_LEN];
	/*
	 * FleetSync as last written (status_known): a run that would write
	 * the same figures writes and reads nothing (fleet_run runs on every
	 * wake-up).  As runtime-status's, it cannot have changed meanwhile:
	 * the kernel lets only its owner, this controller, write it.
	 */
	struct cosi_spec status;
	bool status_known;
	struct cosid_pub *pub;		/* NULL: nothing published */
	int refs;			/* registered controllers */
};

static const struct cosi_output fleet_outputs[] = {
	{ T_FLEET_SYNC, COSI_OUTPUT_EXCLUSIVE },
};

/* @key starts with @a then @b then "/": what follows, or NULL. */
static const char *after(const char *key, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (strncmp(key, a, la) || strncmp(key + la, b, lb) ||
	    key[la + lb] != '/')
		return NULL;
	return key + la + lb + 1;
}

/* "<ns>/<type>/<id>": three non-empty parts (the id may hold '/'). */
static bool suffix_ok(const char *s)
{
	const char *t = strchr(s, '/'), *id;

	if (!t || t == s)
		return false;
	id = strchr(t + 1, '/');
	return id && id != t + 1 && id[1];
}

int cosid_fleet_rank(const char *prefix, const char *node,
		     const char *const *groups, size_t n_groups,
		     const char *key, const char **suffix)
{
	const char *rest, *s;
	size_t i, lp = strlen(prefix);
	int rank = -1;

	if (strncmp(key, prefix, lp))
		return -1;
	rest = key + lp;
	if ((s = after(rest, "all", ""))) {
		rank = 0;
	} else if ((s = after(rest, "nodes/", node))) {
		rank = (int)n_groups + 1;
	} else {
		for (i = 0; i < n_groups; i++) {
			s = after(rest, "groups/", groups[i]);
			if (s) {
				rank = (int)(n_groups - i);
				break;
			}
		}
	}
	if (rank < 0)
		return -1;
	if (!suffix_ok(s))
		return -2;
	*suffix = s;
	return rank;
}

bool cosid_fleet_rev_back(int64_t seen, int64_t hdr_rev)
{
	return seen > 0 && hdr_rev > 0 && hdr_rev < seen;
}

/* By suffix, then the highest rank first. */
static int by_suffix_rank(const void *a, const void *b, void *arg)
{
	const struct cosid_fleet_entry *v = arg;
	const struct cosid_fleet_entry *x = &v[*(const size_t *)a];
	const struct cosid_fleet_entry *y = &v[*(const size_t *)b];
	int c = strcmp(x->suffix, y->suffix);

	return c ?: y->rank - x->rank;
}

size_t cosid_fleet_effective(const struct cosid_fleet_entry *v, size_t n,
			     size_t *win)
{
	size_t i, k = 0, m = 0;

	for (i = 0; i < n; i++)
		if (!v[i].bad)
			win[m++] = i;
	qsort_r(win, m, sizeof(*win), by_suffix_rank, (void *)v);
	/* The first of each run of one suffix is its winner. */
	for (i = 0; i < m; i++)
		if (!k || strcmp(v[win[k - 1]].suffix, v[win[i]].suffix))
			win[k++] = win[i];
	return k;
}

static void wake(struct cosid_fleet *f)
{
	if (f->ctl)
		cosi_ctl_wake(f->ctl);
}

/* The same but for numbers (curl's "after 26 ms"): not logged again. */
static bool same_but_digits(const char *a, const char *b)
{
	for (;;) {
		while (*a >= '0' && *a <= '9')
			a++;
		while (*b >= '0' && *b <= '9')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

static void __attribute__((format(printf, 2, 3)))
set_error(struct cosid_fleet *f, const char *fmt, ...)
{
	char buf[ETCD_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!same_but_digits(buf, f->last_error))
		fprintf(stderr, "cosid: fleet: %s\n", buf);
	/* FleetSync says it: a run writes it (nothing else may wake one). */
	if (strcmp(buf, f->last_error))
		wake(f);
	snprintf(f->last_error, sizeof(f->last_error), "%s", buf);
}

/* --- the entries */

static void fentry_clear(struct fentry *x)
{
	free(x->key);
	cosi_docs_clear(&x->docs);
	memset(x, 0, sizeof(*x));
}

static void entries_clear(struct cosid_fleet *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		fentry_clear(&f->v[i]);
	f->n = 0;
}

static struct fentry *find(struct cosid_fleet *f, const char *key,
			   size_t key_len)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].key_len == key_len &&
		    !memcmp(f->v[i].key, key, key_len))
			return &f->v[i];
	return NULL;
}

static uint64_t now_usec(struct cosid_fleet *f)
{
	uint64_t t = 0;

	sd_event_now(etcd_event(f->e), CLOCK_MONOTONIC, &t);
	return t;
}

static void kvs_drop(struct cosi_kvs *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].key, key))
			continue;
		free(s->v[i].key);
		free(s->v[i].value);
		s->v[i] = s->v[--s->n];
		return;
	}
}

/* cosid's part of the key: the same as the document's, or a message. */
static int check_doc(struct cosid_fleet *f, const struct cosi_doc *d,
		     const char *suffix, char *why, size_t len)
{
	size_t lns = strlen(d->ns), lt = strlen(d->type);
	size_t i;

	if (strncmp(suffix, d->ns, lns) || suffix[lns] != '/' ||
	    strncmp(suffix + lns + 1, d->type, lt) ||
	    suffix[lns + 1 + lt] != '/' || strcmp(suffix + lns + lt + 2, d->id)) {
		snprintf(why, len, "the document is %s/%s/%s, not the key's <ns>/<type>/<id> (the exact type name)",
			 d->ns, d->type, d->id);
		return -EINVAL;
	}
	if (strcmp(d->ns, f->ns)) {
		snprintf(why, len, "namespace %s: the fleet writes namespace %s only",
			 d->ns, f->ns);
		return -EINVAL;
	}
	for (i = 0; cosid_config_types[i]; i++)
		if (!strcmp(cosid_config_types[i], d->type))
			return 0;
	snprintf(why, len, "%s is not a config type", d->type);
	return -EINVAL;
}

/* Parse and check @x's value; a bad one is logged once and marked. */
static void load(struct cosid_fleet *f, struct fentry *x, const char *value,
		 size_t len)
{
	char msg[1024], why[512], src[80];
	struct cosi_doc *d;
	int err;

	x->e.bad = true;
	if (len > COSI_FLEET_VALUE_MAX) {
		fprintf(stderr, "cosid: fleet: %s: skipped: %zu bytes, over %d (one netlink message)\n",
			x->key, len, COSI_FLEET_VALUE_MAX);
		return;
	}
	if (!f->have_defs) {
		err = cosi_definition_list(f->c, &f->defs);
		if (err) {
			fprintf(stderr, "cosid: fleet: %s: skipped: %s\n",
				x->key, cosi_strerror(f->c, "definition-get"));
			return;
		}
		f->have_defs = true;
	}
	if (cosi_manifest_parse(value, len, x->key, &f->defs, &x->docs, msg,
				sizeof(msg))) {
		fprintf(stderr, "cosid: fleet: skipped: %s\n", msg);
		return;
	}
	if (x->docs.n != 1) {
		fprintf(stderr, "cosid: fleet: %s: skipped: %zu documents, expected one\n",
			x->key, x->docs.n);
		goto bad;
	}
	d = &x->docs.v[0];
	if (check_doc(f, d, x->e.suffix, why, sizeof(why))) {
		fprintf(stderr, "cosid: fleet: %s: skipped: %s\n", x->key, why);
		goto bad;
	}
	/* A document copied from a node's get -o json carries cosid's own. */
	kvs_drop(&d->labels, COSI_SOURCE_LABEL);
	kvs_drop(&d->labels, COSI_FLEET_SOURCE_LABEL);
	kvs_drop(&d->annotations, COSI_FLEET_KEY_ANNOTATION);
	/* What cosictl apply --etcd refuses. */
	if (cosi_fleet_doc_check(d, why, sizeof(why))) {
		fprintf(stderr, "cosid: fleet: %s: skipped: %s\n", x->key, why);
		goto bad;
	}
	if (x->e.rank == 0)
		snprintf(src, sizeof(src), "all");
	else if (x->e.rank == (int)f->n_groups + 1)
		snprintf(src, sizeof(src), "node");
	else
		snprintf(src, sizeof(src), "group:%s",
			 f->groups[f->n_groups - x->e.rank]);
	if (cosi_kvs_add(&d->labels, COSI_SOURCE_LABEL, COSI_SOURCE_FLEET) ||
	    cosi_kvs_add(&d->labels, COSI_FLEET_SOURCE_LABEL, src) ||
	    /* Only what fits: the label and ns/type/id say the rest. */
	    (strlen(x->key) <= COSI_LABEL_VALUE_MAX_LEN &&
	     cosi_kvs_add(&d->annotations, COSI_FLEET_KEY_ANNOTATION,
			  x->key))) {
		fprintf(stderr, "cosid: fleet: %s: skipped: out of memory\n",
			x->key);
		goto bad;
	}
	x->e.bad = false;
	return;
bad:
	cosi_docs_clear(&x->docs);
}

/*
 * A key was put (@value) or deleted (NULL).  A key under this node's
 * prefixes that is not <ns>/<type>/<id>, or holds a NUL byte, is kept as
 * a bad entry (logged, counted in skipped) that matches no resource.
 */
static void ingest(struct cosid_fleet *f, const char *key, size_t key_len,
		   const char *value, size_t len)
{
	const char *suffix = "", *why = NULL;
	struct fentry *x, *nv;
	int rank;

	rank = cosid_fleet_rank(f->prefix, f->node,
				(const char *const *)f->groups, f->n_groups,
				key, &suffix);
	if (rank == -1)
		return;
	if (strlen(key) != key_len) {
		why = "a NUL byte in the key";
		suffix = "";
		rank = 0;
	} else if (rank < 0) {
		why = "not <ns>/<type>/<id> under the prefix";
		suffix = "";
		rank = 0;
	}
	x = find(f, key, key_len);
	if (!value) {
		if (x) {
			f->dirty = true;
			f->prune_due = true;
			fentry_clear(x);
			*x = f->v[--f->n];
		}
		return;
	}
	if (!x && f->n == f->cap) {
		nv = realloc(f->v, (f->cap * 2 + 16) * sizeof(*nv));
		if (!nv)
			goto nomem;
		f->v = nv;
		f->cap = f->cap * 2 + 16;
	}
	f->dirty = true;
	if (x) {
		/* Replaced in place: the old one stays until the new is. */
		char *k = malloc(key_len + 1);

		if (!k)
			goto nomem;
		fentry_clear(x);
		x->key = k;
	} else {
		x = &f->v[f->n];
		memset(x, 0, sizeof(*x));
		x->key = malloc(key_len + 1);
		if (!x->key)
			goto nomem;
		f->n++;
		f->prune_due = true;
	}
	memcpy(x->key, key, key_len);
	x->key[key_len] = '\0';
	x->key_len = key_len;
	x->e.rank = rank;
	if (why) {
		fprintf(stderr, "cosid: fleet: %s: skipped: %s\n", x->key, why);
		x->e.bad = true;
		x->e.suffix = "";
		return;
	}
	x->e.suffix = x->key + (suffix - key);
	load(f, x, value, len);
	return;
nomem:
	fprintf(stderr, "cosid: fleet: %s: out of memory: resyncing\n", key);
	f->need_list = true;
}

/* --- etcd: list, watch, reconnect */

static void start_list(struct cosid_fleet *f);
static void start_watch(struct cosid_fleet *f);

static int on_retry(sd_event_source *s, uint64_t usec, void *arg)
{
	struct cosid_fleet *f = arg;

	(void)usec;
	sd_event_source_set_enabled(s, SD_EVENT_OFF);
	if (f->need_list || !f->listed)
		start_list(f);
	else
		start_watch(f);
	return 0;
}

/* After a failure: connect again in backoff_ms, +-25 % jitter. */
static void retry_later(struct cosid_fleet *f)
{
	uint64_t ms;

	if (f->connected) {
		f->connected = false;
		wake(f);
	}
	f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (f->backoff_ms > BACKOFF_MAX_MS)
		f->backoff_ms = BACKOFF_MAX_MS;
	ms = f->backoff_ms * 3 / 4 + (uint64_t)rand_r(&f->seed) % (f->backoff_ms / 2 + 1);
	if (!f->retry &&
	    sd_event_add_time_relative(etcd_event(f->e), &f->retry,
				       CLOCK_MONOTONIC, ms * 1000, 0, on_retry,
				       f) < 0) {
		fprintf(stderr, "cosid: fleet: cannot arm the retry timer\n");
		return;
	}
	sd_event_source_set_time_relative(f->retry, ms * 1000);
	sd_event_source_set_enabled(f->retry, SD_EVENT_ONESHOT);
}

/* A header from another cluster than the one listed: resync. */
static bool cluster_changed(struct cosid_fleet *f, const struct etcd_header *h)
{
	return f->cluster_id && h->cluster_id && h->cluster_id != f->cluster_id;
}

/* The watch ended: resume (or re-list) after a backoff. */
static void watch_end(struct cosid_fleet *f)
{
	etcd_watch_free(f->w);
	f->w = NULL;
	/* A stream that lived a while was fine: start the backoff over. */
	if (now_usec(f) - f->watch_since >= STREAM_OK_USEC)
		f->backoff_ms = 0;
	retry_later(f);
}

static void on_watch(struct etcd_watch *w, int err, const char *msg,
		     const struct etcd_watch_msg *m, void *arg)
{
	struct cosid_fleet *f = arg;
	bool in_step = !f->dirty && f->synced_rev == f->rev;
	int64_t *wrev = &f->wrev[m ? m->watcher : 0];
	size_t i;

	(void)w;
	if (err) {
		/*
		 * A message over the client's limits (a prefix delete of
		 * many keys of other nodes or groups): resuming from the
		 * same revision would meet it again; re-list instead.
		 */
		if (err == -EMSGSIZE || err == -ENOMEM) {
			set_error(f, "watch: %s: resyncing", msg);
			f->need_list = true;
			f->big_relist = true;
		} else {
			set_error(f, "watch: %s", msg);
		}
		/*
		 * Silent for --etcd-watch-idle (the only -ETIMEDOUT of a
		 * stream): the next one gets twice the time, up to 16
		 * times, in case etcd was only slow to produce a large
		 * message (it cuts nothing off forever).
		 */
		if (err == -ETIMEDOUT && f->idle_shift < 4)
			f->idle_shift++;
		watch_end(f);
		return;
	}
	/*
	 * Headers are ordered within a watcher only: one catching up (or
	 * a "victim" etcd resends to) says an older revision than another
	 * watcher's latest, so a revision gone back is the watcher's own.
	 */
	if (m->canceled || m->compact_revision > 0 ||
	    cluster_changed(f, &m->hdr) ||
	    cosid_fleet_rev_back(*wrev, m->hdr.revision)) {
		if (m->compact_revision > 0) {
			set_error(f, "watch: revision compacted (to %lld): resyncing",
				  (long long)m->compact_revision);
			f->need_list = true;
			f->backoff_ms = 0;
		} else if (m->canceled) {
			set_error(f, "watch canceled: %s",
				  m->cancel_reason ?: "no reason given");
		} else if (cluster_changed(f, &m->hdr)) {
			set_error(f, "etcd's cluster id changed: resyncing");
			f->need_list = true;
		} else {
			set_error(f, "etcd's revision went back (to %lld, a restored snapshot?): resyncing",
				  (long long)m->hdr.revision);
			f->need_list = true;
		}
		watch_end(f);
		return;
	}
	/* etcd answered: connected (the backoff restarts after events). */
	if (m->n_events)
		f->backoff_ms = 0;
	if (!m->created)
		f->idle_shift = 0;
	if (!f->connected) {
		/* Back after a failure: etcd may have lost statuses. */
		f->connected = true;
		cosid_pub_resync(f->pub);
		wake(f);
	}
	for (i = 0; i < m->n_events; i++) {
		const struct etcd_event *ev = &m->events[i];

		/*
		 * Seen before a stream created again (a stale token).  The
		 * keys of one txn share its revision, and a watcher resumes
		 * at its last revision: those are taken again (the set
		 * ends the same), only older ones are skipped.
		 */
		if (ev->kv.mod_revision < *wrev)
			continue;
		ingest(f, ev->kv.key, ev->kv.key_len,
		       ev->type == ETCD_EV_PUT ? ev->kv.value : NULL,
		       ev->kv.value_len);
		*wrev = ev->kv.mod_revision;
		if (*wrev > f->rev)
			f->rev = *wrev;
	}
	/*
	 * A progress notification: etcd sent this watcher every event up
	 * to hdr.revision (a quiet prefix resumes from there, not from
	 * before a compaction).  Not the created message's revision: an
	 * unsynced watcher's events may still follow it.  Not f->rev
	 * (FleetSync's revision and lag: the node's own changes).
	 */
	if (!m->n_events && !m->created && m->hdr.revision > *wrev)
		*wrev = m->hdr.revision;
	/* No event (a progress notification, ignored ones): in step. */
	if (in_step && !f->dirty)
		f->synced_rev = f->rev;
	if (f->need_list) {	/* an entry could not be stored */
		etcd_watch_free(w);
		f->w = NULL;
		start_list(f);
	}
	if (f->dirty)
		wake(f);
}

/*
 * Each prefix from its last revision seen, not the one after: a
 * compaction to exactly that revision then ends the watch (compacted)
 * instead of starting it without the deletes the compaction dropped
 * (etcd takes a watch from the compacted revision itself, with no
 * tombstones of it), and events of that revision a message did not
 * bring are sent again.  No prev_kv (never read); progress
 * notifications keep a quiet stream's revisions and liveness.
 */
static void start_watch(struct cosid_fleet *f)
{
	struct etcd_watch_key keys[COSID_FLEET_GROUPS_MAX + 2];
	struct etcd_watch_opts o = {
		.keys = keys, .n_keys = f->n_ranges, .prefix = true,
		.progress_notify = true,
		.idle_usec = f->watch_idle_usec << f->idle_shift,
	};
	char msg[ETCD_MSG_LEN];
	size_t i;

	for (i = 0; i < f->n_ranges; i++) {
		keys[i].key = f->ranges[i];
		keys[i].start_revision = f->wrev[i] > 0 ? f->wrev[i] : 1;
		if (f->list_plus_one && f->wrev[i] == f->list_rev)
			keys[i].start_revision++;
	}
	f->watch_since = now_usec(f);
	if (etcd_watch_start(f->e, &o, on_watch, f, &f->w, msg, sizeof(msg))) {
		set_error(f, "watch: %s", msg);
		f->w = NULL;
		retry_later(f);
	}
}

static void entries_free(struct fentry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fentry_clear(&v[i]);
	free(v);
}

static void on_list(struct etcd_req *rq, int err, const char *msg,
		    const struct etcd_reply *rep, void *arg)
{
	struct cosid_fleet *f = arg;
	struct fentry *old = f->v;
	size_t i, k, n_old = f->n, cap_old = f->cap;

	(void)rq;
	f->list_rq = NULL;
	if (err) {
		set_error(f, "range: %s", msg);
		retry_later(f);
		return;
	}
	/* A new set; the old one stays until the new one is complete. */
	f->v = NULL;
	f->n = f->cap = 0;
	f->need_list = false;
	for (i = 0; i < rep->n_responses; i++)
		for (k = 0; k < rep->responses[i].n_kvs; k++)
			ingest(f, rep->responses[i].kvs[k].key,
			       rep->responses[i].kvs[k].key_len,
			       rep->responses[i].kvs[k].value,
			       rep->responses[i].kvs[k].value_len);
	if (f->need_list) {	/* out of memory: try again later */
		entries_free(f->v, f->n);
		f->v = old;
		f->n = n_old;
		f->cap = cap_old;
		retry_later(f);
		return;
	}
	entries_free(old, n_old);
	/* A re-list (new cluster, revision back, compaction): statuses too. */
	if (f->lists)
		cosid_pub_resync(f->pub);
	f->cluster_id = rep->hdr.cluster_id;
	f->rev = rep->hdr.revision;
	for (i = 0; i < f->n_ranges; i++)
		f->wrev[i] = f->rev;
	f->list_rev = f->rev;
	f->list_plus_one = f->big_relist;
	f->big_relist = false;
	f->listed = true;
	f->dirty = true;
	f->lists++;
	f->connected = true;
	f->last_error[0] = '\0';
	fprintf(stderr, "cosid: fleet: %zu desired entries at revision %lld\n",
		f->n, (long long)f->rev);
	wake(f);
	start_watch(f);
}

/* One txn of ranges: one revision for every prefix. */
static void start_list(struct cosid_fleet *f)
{
	struct etcd_op ops[COSID_FLEET_GROUPS_MAX + 2];
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	char msg[ETCD_MSG_LEN];
	size_t i;

	memset(ops, 0, sizeof(ops));
	for (i = 0; i < f->n_ranges; i++) {
		ops[i].type = ETCD_OP_RANGE;
		ops[i].key = f->ranges[i];
		ops[i].prefix = true;
	}
	r.txn.success = ops;
	r.txn.n_success = f->n_ranges;
	if (etcd_submit(f->e, &r, on_list, f, &f->list_rq, msg, sizeof(msg))) {
		f->list_rq = NULL;
		set_error(f, "range: %s", msg);
		retry_later(f);
	}
}

/* --- registration */

static void lease_step(struct cosid_fleet *f);

/*
 * Not registered, or no longer known to be: nothing is published (what
 * the publisher writes could overwrite another cosid's of the same name)
 * until registered() again.  FleetSync says so: a run is due.
 */
static void unregister(struct cosid_fleet *f)
{
	if (f->registered) {
		f->registered = false;
		wake(f);
	}
	cosid_pub_hold(f->pub, true);
}

/*
 * The live key is @lease's, not ours: another cosid holds the name, or
 * this node's previous one, killed before it revoked its lease (no way
 * to tell them apart: its lease expires within the TTL).  One log line
 * (set_error's), naming the lease.
 */
static void name_taken(struct cosid_fleet *f, int64_t lease)
{
	set_error(f, "registering: node name %s is live under another lease (%llx: another cosid with --node %s, or a previous one killed before revoking it, which expires within %d s): not registered, not publishing",
		  f->node, (unsigned long long)lease, f->node,
		  COSID_FLEET_TTL);
	f->name_taken = true;
	unregister(f);
}

/*
 * The live key's lease as a txn's failure range read it; 0: no key, or
 * one put without a lease (by hand: the registration's put replaces it).
 */
static int64_t live_lease(const struct etcd_reply *rep)
{
	const struct etcd_reply *r = rep->n_responses ? &rep->responses[0] :
				     NULL;

	return r && r->n_kvs ? r->kvs[0].lease : 0;
}

static void registered(struct cosid_fleet *f)
{
	f->registered = true;
	f->live_ticks = 0;
	if (f->name_taken)
		f->last_error[0] = '\0';
	f->name_taken = false;
	cosid_pub_fence(f->pub, f->live_key, f->lease);
	cosid_pub_hold(f->pub, false);
	fprintf(stderr, "cosid: fleet: registered as %s (lease %llx)\n",
		f->node_key, (unsigned long long)f->lease);
	wake(f);
}

static void on_put(struct etcd_req *rq, int err, const char *msg,
		   const struct etcd_reply *rep, void *arg)
{
	struct cosid_fleet *f = arg;
	int64_t held;

	(void)rq;
	f->lease_rq = NULL;
	if (err == -EPERM) {
		/*
		 * Our roles forbid the put, or (etcd 3.4 lets any user
		 * attach its keys to any lease) another user attached a key
		 * to our lease, which then takes its permission too: leave
		 * the lease to expire and grant another at the next tick.
		 */
		set_error(f, "registering: %s: trying a new lease", msg);
		f->lease = 0;
		return;
	}
	if (err) {
		set_error(f, "registering: %s", msg);
		return;		/* the next tick tries again */
	}
	held = rep->succeeded ? f->lease : live_lease(rep);
	if (held == f->lease)
		registered(f);		/* put now, or by a lost reply's txn */
	else if (held)
		name_taken(f, held);
	/* else: gone between two ticks; the next one puts it */
}

/* A live-key check: still ours, gone (put back) or another's. */
static void on_live(struct etcd_req *rq, int err, const char *msg,
		    const struct etcd_reply *rep, void *arg)
{
	struct cosid_fleet *f = arg;
	int64_t held;

	(void)rq;
	(void)msg;
	f->lease_rq = NULL;
	if (err || rep->succeeded || !f->registered)
		return;		/* the next check, or the registration */
	held = live_lease(rep);
	if (held) {
		name_taken(f, held);
		return;
	}
	set_error(f, "registering: %s was deleted or put without our lease: putting it back",
		  f->live_key);
	unregister(f);
	lease_step(f);
}

/*
 * Txn @r holds only while the live key is under @lease (0: none); else
 * it reads the key (live_lease()).  @cmp and @get: the caller's, for @r.
 */
static void live_guard(struct cosid_fleet *f, struct etcd_request *r,
		       struct etcd_cmp *cmp, struct etcd_op *get,
		       int64_t lease)
{
	*cmp = (struct etcd_cmp){ .key = f->live_key,
				  .target = ETCD_CMP_LEASE,
				  .result = ETCD_CMP_EQUAL, .value = lease };
	*get = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = f->live_key };
	r->txn.cmp = cmp;
	r->txn.n_cmp = 1;
	r->txn.failure = get;
	r->txn.n_failure = 1;
}

/* Whether the live key is still ours: a txn that writes nothing. */
static void check_live(struct cosid_fleet *f)
{
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	struct etcd_cmp cmp;
	struct etcd_op get;
	char m[ETCD_MSG_LEN];

	live_guard(f, &r, &cmp, &get, f->lease);
	if (etcd_submit(f->e, &r, on_live, f, &f->lease_rq, m, sizeof(m)))
		f->lease_rq = NULL;	/* the next tick checks */
}

static void on_lease(struct etcd_req *rq, int err, const char *msg,
		     const struct etcd_reply *rep, void *arg)
{
	struct cosid_fleet *f = arg;
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	struct etcd_cmp cmp;
	struct etcd_op ops[2], get;
	char m[ETCD_MSG_LEN];

	(void)rq;
	f->lease_rq = NULL;
	if (err == -ENOENT) {
		set_error(f, "lease expired or revoked: registering again");
		f->lease = 0;
		unregister(f);
		lease_step(f);
		return;
	}
	if (err) {
		set_error(f, "lease: %s", msg);
		/*
		 * No keep-alive got through for a TTL: etcd has let the
		 * lease go, and the watch may be cut off without knowing
		 * (a partition): say so, and connect again.
		 */
		if (f->lease && now_usec(f) - f->lease_ok >
		    COSID_FLEET_TTL * 1000000ULL) {
			f->lease = 0;
			unregister(f);
			if (f->w) {
				etcd_watch_free(f->w);
				f->w = NULL;
				retry_later(f);
			}
		}
		return;
	}
	f->lease_ok = now_usec(f);
	if (!f->lease)
		f->lease = rep->lease_id;	/* granted */
	if (f->registered) {			/* kept alive */
		if (++f->live_ticks % LIVE_CHECK_TICKS == 0)
			check_live(f);
		return;
	}
	/*
	 * The registration and the live key, at one revision, unless a
	 * live key is there: ours (a reply lost) or another cosid's.
	 */
	ops[0] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = f->node_key,
				   .value = f->reg,
				   .value_len = strlen(f->reg) };
	ops[1] = (struct etcd_op){ .type = ETCD_OP_PUT, .key = f->live_key,
				   .value = "", .lease = f->lease };
	live_guard(f, &r, &cmp, &get, 0);
	r.txn.success = ops;
	r.txn.n_success = 2;
	if (etcd_submit(f->e, &r, on_put, f, &f->lease_rq, m, sizeof(m))) {
		f->lease_rq = NULL;
		set_error(f, "registering: %s", m);
	}
}

/* Grant (no lease yet), put (not registered) or keep alive. */
static void lease_step(struct cosid_fleet *f)
{
	struct etcd_request r = { 0 };
	char msg[ETCD_MSG_LEN];

	if (f->lease_rq)
		return;		/* one at a time */
	if (!f->lease) {
		r.type = ETCD_REQ_LEASE_GRANT;
		r.ttl = COSID_FLEET_TTL;
	} else {
		r.type = ETCD_REQ_LEASE_KEEPALIVE;
		r.lease_id = f->lease;
	}
	if (etcd_submit(f->e, &r, on_lease, f, &f->lease_rq, msg, sizeof(msg))) {
		f->lease_rq = NULL;
		set_error(f, "lease: %s", msg);
	}
}

static int on_keepalive(sd_event_source *s, uint64_t usec, void *arg)
{
	struct cosid_fleet *f = arg;

	sd_event_source_set_time(s, usec + COSID_FLEET_TTL * 1000000ULL / 3);
	lease_step(f);
	return 0;
}

/* The registration document. */
static char *registration(struct cosid_fleet *f)
{
	struct json_object *o = json_object_new_object(), *g, *l;
	struct utsname u;
	char *s = NULL, *eq;
	size_t i;

	g = json_object_new_array();
	l = json_object_new_object();
	if (!o || !g || !l)
		goto out;
	for (i = 0; i < f->n_groups; i++)
		json_object_array_add(g, json_object_new_string(f->groups[i]));
	for (i = 0; i < f->n_labels; i++) {
		eq = strchr(f->labels[i], '=');	/* checked: there is one */
		*eq = '\0';
		json_object_object_add(l, f->labels[i],
				       json_object_new_string(eq + 1));
		*eq = '=';
	}
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	json_object_object_add(o, "node", json_object_new_string(f->node));
	json_object_object_add(o, "cluster", json_object_new_string(f->cluster));
	json_object_object_add(o, "groups", g);
	g = NULL;
	json_object_object_add(o, "labels", l);
	l = NULL;
	json_object_object_add(o, "kernel", json_object_new_string(u.release));
	json_object_object_add(o, "version",
			       json_object_new_string(COSI_VERSION));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(l);
	json_object_put(g);
	json_object_put(o);
	return s;
}

/* --- the controller */

/*
 * By the key's suffix alone (a document's ns/type/id must be its key's):
 * sync_store() skips the prune when no key came or went.  Deciding by a
 * value here would need prune_due set when a value changes.
 */
static bool wanted(const struct cosi_resource *r, void *arg)
{
	struct cosid_fleet *f = arg;
	size_t i, lns = strlen(r->ns), lt = strlen(r->type);
	const char *s;

	/* Bad entries too: what they replaced stays until they are fixed. */
	for (i = 0; i < f->n; i++) {
		s = f->v[i].e.suffix;
		if (!strncmp(s, r->ns, lns) && s[lns] == '/' &&
		    !strncmp(s + lns + 1, r->type, lt) && s[lns + 1 + lt] == '/' &&
		    !strcmp(s + lns + lt + 2, r->id))
			return true;
	}
	return false;
}

/* What the kernel refuses for good: retrying the same document won't do. */
static bool refused_err(int err)
{
	switch (-err) {
	case EACCES: case EPERM: case E2BIG: case EINVAL: case EEXIST:
	case EMSGSIZE: case ENAMETOOLONG: case ERANGE: case EDOM:
		return true;
	}
	return false;
}

/*
 * After a failed batch: each winner alone, to know which the kernel
 * refuses (each logged once, counted, and not retried until its value
 * changes) and to split a batch too big for one message.  Returns 0 or
 * the first transient error.
 */
static int apply_each(struct cosid_fleet *f, struct cosi *c,
		      const size_t *win, size_t k, size_t *res)
{
	enum cosi_apply_result r;
	char msg[1024];
	size_t i;
	int err, ret = 0;

	memset(res, 0, COSI_APPLY_RESULTS * sizeof(*res));
	for (i = 0; i < k; i++) {
		struct fentry *x = &f->v[win[i]];

		err = cosi_apply_doc(c, &x->docs.v[0], &r, NULL, msg,
				     sizeof(msg));
		if (!err) {
			x->refused = 0;
			res[r]++;
		} else if (refused_err(err)) {
			if (x->refused != -err)
				set_error(f, "%s: refused: %s", x->key, msg);
			x->refused = -err;
		} else {
			x->refused = 0;
			fprintf(stderr, "cosid: fleet: %s: %s\n", x->key, msg);
			ret = ret ?: err;
		}
	}
	return ret;
}

/* Apply the winners, delete what is no longer desired. */
static int sync_store(struct cosid_fleet *f, struct cosi *c)
{
	struct cosid_prune p = {
		.who = WHO, .owner = WHO, .wanted = wanted, .arg = f,
		.origin = COSI_FLEET_KEY_ANNOTATION, .origin_default = "etcd",
	};
	struct cosid_fleet_entry *ev = calloc(f->n ?: 1, sizeof(*ev));
	struct cosi_doc *docs = calloc(f->n ?: 1, sizeof(*docs));
	size_t *win = calloc(f->n ?: 1, sizeof(*win));
	size_t res[COSI_APPLY_RESULTS] = { 0 };
	struct cosi_docs set = { .v = docs };
	char msg[1024];
	size_t i, k;
	int err = -ENOMEM, perr = 0;

	if (!ev || !docs || !win)
		goto out;
	f->skipped = 0;
	for (i = 0; i < f->n; i++) {
		ev[i] = f->v[i].e;
		f->skipped += f->v[i].e.bad;
	}
	k = cosid_fleet_effective(ev, f->n, win);
	for (i = 0; i < k; i++)
		docs[i] = f->v[win[i]].docs.v[0];	/* borrowed */
	set.n = k;
	err = cosi_apply_docs(c, &set, "etcd", COSI_APPLY_KEEP_GOING,
			      cosi_apply_count, res, msg, sizeof(msg));
	if (err)
		err = apply_each(f, c, win, k, res);
	else
		for (i = 0; i < k; i++)
			f->v[win[i]].refused = 0;
	f->refused = 0;
	f->refused_held = 0;
	for (i = 0; i < k; i++) {
		f->refused += !!f->v[win[i]].refused;
		/* Another owner's resource holds the id: it may go. */
		f->refused_held += f->v[win[i]].refused == EACCES ||
				   f->v[win[i]].refused == EEXIST;
	}
	/* The refusal last-error names is over once none is refused. */
	if (!f->refused && strstr(f->last_error, ": refused: "))
		f->last_error[0] = '\0';
	f->applied = k - f->refused;
	/*
	 * What the set no longer holds goes, also after a failed apply.
	 * Only when a key came or went or the set is new: a changed value
	 * of a key leaves the set of what is wanted as it was.
	 */
	if (f->prune_due || f->pruned_lists != f->lists) {
		perr = cosid_prune(c, f->ns, &f->sel, &p) ?: p.err;
		if (!perr) {
			f->prune_due = false;
			f->pruned_lists = f->lists;
		}
	}
	err = perr ?: err;
	if (res[COSI_APPLY_CREATED] || res[COSI_APPLY_UPDATED] || p.deleted ||
	    p.waiting || err)
		fprintf(stderr, "cosid: fleet: revision %lld: %zu desired (%zu skipped, %zu refused): %zu created, %zu updated, %zu unchanged, %zu deleted, %zu deleting\n",
			(long long)f->rev, k, f->skipped, f->refused,
			res[COSI_APPLY_CREATED], res[COSI_APPLY_UPDATED],
			res[COSI_APPLY_UNCHANGED], p.deleted, p.waiting);
out:
	free(ev);
	free(docs);
	free(win);
	return err;
}

static int put_status(struct cosi_ctl *ctl, struct cosid_fleet *f)
{
	struct cosid_pub_stats ps = { 0 };
	struct cosi_spec spec = { 0 };
	int err;

	if (f->pub)
		cosid_pub_stats(f->pub, &ps);
	err = cosi_spec_add_bool(&spec, "connected", f->connected) ?:
	      cosi_spec_add_u64(&spec, "revision", f->rev > 0 ? f->rev : 0) ?:
	      cosi_spec_add_u64(&spec, "resyncs", f->lists ? f->lists - 1 : 0) ?:
	      cosi_spec_add_u64(&spec, "applied", f->applied) ?:
	      cosi_spec_add_u64(&spec, "skipped", f->skipped) ?:
	      cosi_spec_add_u64(&spec, "refused", f->refused) ?:
	      cosi_spec_add_bool(&spec, "registered", f->registered) ?:
	      cosi_spec_add_string(&spec, "endpoint", etcd_endpoint(f->e)) ?:
	      cosi_spec_add_string(&spec, "last-error", f->last_error) ?:
	      cosi_spec_add_u64(&spec, "lag", f->rev > f->synced_rev ?
				f->rev - f->synced_rev : 0) ?:
	      cosi_spec_add_u64(&spec, "published", ps.published) ?:
	      cosi_spec_add_u64(&spec, "pending", ps.pending) ?:
	      cosi_spec_add_u64(&spec, "publish-errors", ps.errors) ?:
	      cosi_spec_add_u64(&spec, "publish-overflow", ps.overflow) ?:
	      cosi_spec_add_u64(&spec, "publish-revision",
				ps.revision > 0 ? ps.revision : 0);
	if (!err && f->status_known && cosi_spec_equal(&spec, &f->status)) {
		cosi_spec_clear(&spec);
		return 0;
	}
	if (!err)
		err = cosi_ctl_apply(ctl, NS_RUNTIME, T_FLEET_SYNC, f->node,
				     NULL, &spec);
	cosi_spec_clear(&f->status);
	f->status_known = !err;
	if (!err)
		f->status = spec;	/* kept: f's now */
	else
		cosi_spec_clear(&spec);
	return err;
}

static int fleet_run(struct cosi_ctl *ctl)
{
	struct cosid_fleet *f = cosi_ctl_data(ctl);
	struct cosi *c = cosi_ctl_conn(ctl);	/* claimed: owner "fleet" */
	uint64_t wakeups = cosi_ctl_stats(ctl)->wakeups;
	uint64_t resyncs = cosi_runtime_resyncs(cosi_ctl_runtime(ctl));
	int err = 0;

	/*
	 * What is tearing down with no finalizers left is destroyed; its
	 * event (the destroy-ready inputs) woke us, or the watches resynced
	 * and may have missed one: else nothing is, and the scan is spared.
	 */
	if (!f->scanned || wakeups != f->scan_wakeups ||
	    resyncs != f->scan_resyncs) {
		err = cosid_destroy_ready(c, f->ns, &f->sel, WHO, WHO);
		f->scanned = !err;
		f->scan_wakeups = wakeups;
		f->scan_resyncs = resyncs;
	}
	/* A wake-up set for an earlier retry (since pushed on) comes first. */
	if (f->refused_held && now_usec(f) >= f->refused_retry_at)
		f->dirty = true;
	else if (f->refused_held)
		cosi_ctl_wake_after(ctl, (f->refused_retry_at - now_usec(f) +
					  999) / 1000);
	/* Until etcd's set is known, nothing is applied or deleted. */
	if (f->listed && f->dirty && !f->need_list) {
		f->dirty = false;
		if (sync_store(f, c)) {
			f->dirty = true;	/* retried with backoff */
			err = err ?: -EAGAIN;
		} else {
			f->synced_rev = f->rev;
		}
		if (f->refused_held) {
			f->refused_retry_at = now_usec(f) +
				REFUSED_RETRY_MS * 1000ULL;
			cosi_ctl_wake_after(ctl, REFUSED_RETRY_MS);
		}
	}
	return put_status(ctl, f) ?: err;
}

static int fleet_init(struct cosi_ctl *ctl)
{
	struct cosid_fleet *f = cosi_ctl_data(ctl);
	char msg[ETCD_MSG_LEN];
	struct etcd_opts o = {
		.endpoints = f->endpoints, .user = f->user,
		.password = f->password, .ca_file = f->ca_file,
		.cert_file = f->cert_file, .key_file = f->key_file,
		.first_endpoint = f->first_ep,
	};
	int err;

	f->ctl = ctl;
	err = etcd_new(&f->e, cosi_ctl_event(ctl), &o, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "cosid: --etcd %s: %s\n", f->endpoints, msg);
		return err;
	}
	err = sd_event_add_time_relative(cosi_ctl_event(ctl), &f->keepalive,
					 CLOCK_MONOTONIC, 0, 0, on_keepalive,
					 f);
	if (err >= 0)
		err = sd_event_source_set_enabled(f->keepalive, SD_EVENT_ON);
	if (err < 0) {
		fprintf(stderr, "cosid: fleet: timer: %s\n", strerror(-err));
		return err;
	}
	if (f->pub)
		cosid_pub_start(f->pub, f->e, rand_r(&f->seed));
	start_list(f);
	return 0;
}

/*
 * Revoke the lease: the node is gone now, not in TTL seconds.  A fresh
 * client: with a user it authenticates first (etcd checks the password
 * with bcrypt: slow on a small or emulated machine), so 3 s a request
 * then, two within the unit's TimeoutStopSec.
 */
static void revoke_lease(struct cosid_fleet *f)
{
	struct etcd_request r = { .type = ETCD_REQ_LEASE_REVOKE };
	struct etcd_opts o = {
		.endpoints = f->endpoints, .user = f->user,
		.password = f->password, .ca_file = f->ca_file,
		.cert_file = f->cert_file, .key_file = f->key_file,
		.timeout_usec = f->user ? 3000000 : 1000000,
		.connect_timeout_usec = 500000,
		.first_endpoint = f->first_ep,
	};
	struct etcd_reply rep = { 0 };
	char msg[ETCD_MSG_LEN];
	struct etcd *e;

	if (!f->lease || etcd_new(&e, NULL, &o, msg, sizeof(msg)))
		return;
	r.lease_id = f->lease;
	if (etcd_call(e, &r, &rep, msg, sizeof(msg)))
		fprintf(stderr, "cosid: fleet: revoking the lease: %s (it expires in %d s)\n",
			msg, COSID_FLEET_TTL);
	else
		fprintf(stderr, "cosid: fleet: lease revoked\n");
	etcd_reply_free(&rep);
	etcd_free(e);
}

/* A clean stop: FleetSync says so (the lease is revoked next). */
static void fleet_fini(struct cosi_ctl *ctl)
{
	struct cosid_fleet *f = cosi_ctl_data(ctl);

	f->connected = false;
	f->registered = false;
	if (put_status(ctl, f))
		fprintf(stderr, "cosid: fleet: cannot write FleetSync at the stop\n");
	cosid_fleet_put(f);
}

void cosid_fleet_put(struct cosid_fleet *f)
{
	if (--f->refs <= 0)
		cosid_fleet_free(f);
}

struct cosid_pub *cosid_fleet_pub(struct cosid_fleet *f)
{
	return f->pub;
}

void cosid_fleet_pub_event(struct cosid_fleet *f, const char *fmt, ...)
{
	char buf[ETCD_MSG_LEN];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		set_error(f, "%s", buf);
	}
	wake(f);
}

void cosid_fleet_pub_fenced(struct cosid_fleet *f)
{
	if (!f->registered)
		return;
	set_error(f, "publishing: %s is no longer under this node's lease %llx: not publishing, registering again",
		  f->live_key, (unsigned long long)f->lease);
	unregister(f);
	lease_step(f);
}

void cosid_fleet_pub_recovered(struct cosid_fleet *f)
{
	static const char *const failures[] = {
		"publish: range", "publish: txn", "publish: listing",
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(failures); i++)
		if (!strncmp(f->last_error, failures[i], strlen(failures[i])))
			f->last_error[0] = '\0';
	wake(f);
}

int cosid_fleet_check_endpoints(const struct cosid_fleet_opts *fo)
{
	struct etcd_opts o = { .endpoints = fo->endpoints, .user = fo->user,
			       .password = fo->password };
	char msg[ETCD_MSG_LEN];
	struct etcd *e;
	int err;

	if (etcd_new(&e, NULL, &o, msg, sizeof(msg))) {
		fprintf(stderr, "cosid: --etcd %s: %s\n", fo->endpoints, msg);
		return -EINVAL;
	}
	etcd_free(e);
	/* cosictl --etcd's check of the same options. */
	err = cosi_fleet_tls_check(fo->endpoints, fo->ca_file, fo->cert_file,
				   fo->key_file, msg, sizeof(msg));
	if (err)
		fprintf(stderr, "cosid: %s\n", msg);
	return err ? -EINVAL : 0;
}

void cosid_fleet_free(struct cosid_fleet *f)
{
	size_t i;

	if (!f)
		return;
	etcd_watch_free(f->w);
	cosid_pub_free(f->pub);	/* its requests and timer first */
	if (f->list_rq)
		etcd_cancel(f->list_rq);
	if (f->lease_rq)
		etcd_cancel(f->lease_rq);
	sd_event_source_disable_unref(f->retry);
	sd_event_source_disable_unref(f->keepalive);
	revoke_lease(f);
	if (f->e)
		etcd_free(f->e);
	entries_clear(f);
	free(f->v);
	if (f->have_defs)
		cosi_definitions_clear(&f->defs);
	cosi_spec_clear(&f->status);
	cosi_selector_clear(&f->sel);
	for (i = 0; i < f->n_groups; i++)
		free(f->groups[i]);
	for (i = 0; i < f->n_labels; i++)
		free(f->labels[i]);
	for (i = 0; i < f->n_ranges; i++)
		free(f->ranges[i]);
	free(f->inputs);
	free(f->reg);
	free(f->prefix);
	free(f->node_key);
	free(f->live_key);
	free(f->ns);
	free(f->endpoints);
	free(f->node);
	free(f->cluster);
	free(f->user);
	cosi_secret_free(f->password);
	free(f->ca_file);
	free(f->cert_file);
	free(f->key_file);
	free(f);
}

static bool dup_opt(char **dst, const char *src)
{
	if (!src)
		return true;
	*dst = strdup(src);
	return *dst != NULL;
}

struct cosid_fleet *cosid_fleet_new(struct cosi *c,
				    const struct cosid_fleet_opts *o,
				    const char *ns)
{
	struct cosid_fleet *f = calloc(1, sizeof(*f));
	const char *cluster = o->cluster ?: "default";
	char msg[256];
	size_t i, j;

	if (!f)
		goto nomem;
	f->c = c;
	if (getrandom(&f->seed, sizeof(f->seed), GRND_NONBLOCK) !=
	    sizeof(f->seed))
		f->seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	f->first_ep = rand_r(&f->seed);
	f->watch_idle_usec = (o->watch_idle ?: COSID_FLEET_WATCH_IDLE) *
			     1000000ULL;
	if (!o->node) {
		fprintf(stderr, "cosid: --etcd needs --node NAME\n");
		goto fail;
	}
	if (cosi_fleet_name_check("--node", o->node, msg, sizeof(msg)) ||
	    cosi_fleet_name_check("--cluster", cluster, msg, sizeof(msg))) {
		fprintf(stderr, "cosid: %s\n", msg);
		goto fail;
	}
	for (i = 0; i < o->n_groups; i++) {
		if (cosi_fleet_name_check("--group", o->groups[i], msg,
					   sizeof(msg))) {
			fprintf(stderr, "cosid: %s\n", msg);
			goto fail;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(o->groups[i], o->groups[j])) {
				fprintf(stderr, "cosid: --group %s given twice\n",
					o->groups[i]);
				goto fail;
			}
		}
		f->groups[i] = strdup(o->groups[i]);
		if (!f->groups[i])
			goto nomem;
		f->n_groups++;
	}
	for (i = 0; i < o->n_labels && i < COSI_FLEET_NODE_LABELS_MAX; i++) {
		if (cosi_fleet_label_check(o->labels[i], msg, sizeof(msg))) {
			fprintf(stderr, "cosid: %s\n", msg);
			goto fail;
		}
		f->labels[i] = strdup(o->labels[i]);
		if (!f->labels[i])
			goto nomem;
		f->n_labels++;
	}
	if (!dup_opt(&f->ns, ns) || !dup_opt(&f->endpoints, o->endpoints) ||
	    !dup_opt(&f->node, o->node) || !dup_opt(&f->cluster, cluster) ||
	    !dup_opt(&f->user, o->user) || !dup_opt(&f->password, o->password) ||
	    !dup_opt(&f->ca_file, o->ca_file) ||
	    !dup_opt(&f->cert_file, o->cert_file) ||
	    !dup_opt(&f->key_file, o->key_file))
		goto nomem;
	if (asprintf(&f->prefix, "/cosi/%s/desired/", cluster) < 0)
		f->prefix = NULL;
	if (asprintf(&f->node_key, "/cosi/%s/nodes/%s", cluster, o->node) < 0)
		f->node_key = NULL;
	if (asprintf(&f->live_key, "/cosi/%s/nodes/%s/live", cluster,
		     o->node) < 0)
		f->live_key = NULL;
	if (!f->prefix || !f->node_key || !f->live_key)
		goto nomem;
	if (asprintf(&f->ranges[f->n_ranges], "%sall/", f->prefix) < 0)
		goto nomem;
	f->n_ranges++;
	for (i = 0; i < f->n_groups; i++) {
		if (asprintf(&f->ranges[f->n_ranges], "%sgroups/%s/", f->prefix,
			     f->groups[i]) < 0)
			goto nomem;
		f->n_ranges++;
	}
	if (asprintf(&f->ranges[f->n_ranges], "%snodes/%s/", f->prefix,
		     f->node) < 0)
		goto nomem;
	f->n_ranges++;
	f->reg = registration(f);
	if (!f->reg)
		goto nomem;
	if (cosi_selector_parse(COSI_SOURCE_LABEL "=" COSI_SOURCE_FLEET, &f->sel,
				msg, sizeof(msg)))
		goto nomem;
	if (cosid_pub_new(c, o, cluster, &f->pub))
		goto fail;
	return f;
nomem:
	fprintf(stderr, "cosid: --etcd: out of memory\n");
fail:
	cosid_fleet_free(f);
	return NULL;
}

int cosid_register_fleet(struct cosi_runtime *rt, struct cosid_fleet *f)
{
	COSI_OPTS(cosi_controller, c,
		.name = "fleet",
		.outputs = fleet_outputs,
		.n_outputs = ARRAY_LEN(fleet_outputs),
		.init = fleet_init,
		.run = fleet_run,
		.fini = fleet_fini,
	);
	int err;

	f->inputs = cosid_config_inputs(f->ns, COSI_INPUT_DESTROY_READY,
					&c.n_inputs);
	if (!f->inputs) {
		cosid_fleet_free(f);
		return -ENOMEM;
	}
	c.inputs = f->inputs;
	err = cosi_runtime_register(rt, &c, f, NULL);
	if (err) {
		f->ctl = NULL;
		cosid_fleet_free(f);
		return err;
	}
	f->refs = 1;
	if (!f->pub)
		return 0;
	f->refs++;
	err = cosid_pub_register(rt, f->pub, f);
	if (err)
		f->refs--;	/* the runtime frees f with the fleet's */
	return err;
}
