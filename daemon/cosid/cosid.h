/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosid internals: the desired configuration on disk, as a state file
 * (persist.c) or a directory of manifests (configdir.c), or in etcd
 * (fleet.c); pruning what such a source no longer holds (prune.c).
 */
#ifndef _COSID_H
#define _COSID_H

#include "cosi.h"
#include "common/apply.h"
#include "common/manifest.h"
#include "common/fleet_name.h"
#include "common/selector.h"
#include "runtime/runtime.h"

/*
 * Create the resources of @path that the kernel lacks; those it holds
 * stay as they are.  A file with rejected documents is renamed aside.
 */
int cosid_restore(struct cosi *c, const char *path);
/* Register the controller that keeps @path in step with namespace @ns. */
int cosid_register_saver(struct cosi_runtime *rt, const char *path,
			 const char *ns);

/* An input of @kind on every config type in @ns; calloc()ed, NULL. */
struct cosi_input *cosid_config_inputs(const char *ns,
				       enum cosi_input_kind kind, size_t *n);

/*
 * --config-dir (configdir.c): the *.yaml files of a directory as the
 * desired configuration of namespace @ns, written through @c.
 */
struct cosid_config_dir;

/* One file of the directory, read and checked. */
struct cosid_cd_file {
	char *name;			/* base name */
	struct cosi_docs docs;		/* with cosid's label, annotation */
	bool bad;			/* nothing applied, nothing deleted */
};

/* The directory's files, and what a sync did. */
struct cosid_cd_files {
	struct cosid_cd_file *v;
	size_t n;
	size_t res[COSI_APPLY_RESULTS];	/* cosi_apply_count() */
	size_t deleted, waiting, bad;
	int err;				/* the first failure to retry */
};

/*
 * Read and check every *.yaml file of @dir (no hidden ones, in name
 * order) against @defs, with no kernel access: each document must be a
 * config type in @ns, in no earlier file, without cosid's label and
 * annotation, which are then added; a file must be a regular file of
 * cosid's user, not writable by group or others.  A bad file is reported
 * in one line on stderr, marked and emptied.  0, or a negative errno
 * when @dir cannot be listed.
 */
int cosid_config_dir_load(const char *dir, const char *ns,
			  const struct cosi_definitions *defs,
			  struct cosid_cd_files *out);
void cosid_cd_files_clear(struct cosid_cd_files *f);

/* Check @dir and watch it (inotify); NULL after a one-line message. */
struct cosid_config_dir *cosid_config_dir_open(struct cosi *c, const char *dir,
					       const char *ns);
/* Apply the files, delete what they no longer hold; logs one summary. */
int cosid_config_dir_sync(struct cosid_config_dir *cd);
/*
 * The "config-dir" controller: resyncs on changes (debounced) and
 * destroys what it tore down once finalizers are gone.  On success the
 * runtime owns @cd (freed at shutdown); on failure the caller frees it.
 */
int cosid_register_config_dir(struct cosi_runtime *rt,
			      struct cosid_config_dir *cd);
/* Resync soon (SIGHUP). */
void cosid_config_dir_reload(struct cosid_config_dir *cd);
void cosid_config_dir_free(struct cosid_config_dir *cd);

/*
 * Pruning (prune.c), for the sources that mark what they applied with a
 * label (@sel selects it) in namespace @ns, over every config type.
 * Only resources of @owner (NULL: unowned), the owner @c writes as, are
 * visited: the kernel refuses the others' deletes.  @who prefixes log
 * lines ("config-dir", "fleet").
 */
int cosid_each_sourced(struct cosi *c, const char *ns,
		       const struct cosi_selector *sel, const char *owner,
		       const char *who,
		       int (*fn)(struct cosi *c, const struct cosi_resource *r,
				 void *arg),
		       void *arg);
/* Destroy those tearing down with no finalizers left. */
int cosid_destroy_ready(struct cosi *c, const char *ns,
			const struct cosi_selector *sel, const char *owner,
			const char *who);

struct cosid_prune {
	const char *who;
	const char *owner;	/* as cosid_each_sourced() */
	/* Whether the source still holds @r. */
	bool (*wanted)(const struct cosi_resource *r, void *arg);
	void *arg;
	/* The annotation naming where @r came from (log), and the default. */
	const char *origin, *origin_default;
	/* Results: destroyed, waiting for finalizers, first failure. */
	size_t deleted, waiting;
	int err;
};

/*
 * Tear down (and destroy when no finalizer holds it) every resource the
 * source labelled that @p->wanted() no longer wants, logging each.  A
 * failed delete is logged, recorded in @p->err and the others go on; the
 * return value is a failure to list.
 */
int cosid_prune(struct cosi *c, const char *ns,
		const struct cosi_selector *sel, struct cosid_prune *p);

/*
 * --etcd (fleet.c): the node's desired configuration is in etcd, under
 * /cosi/<cluster>/desired/{all,groups/<g>,nodes/<node>}/<ns>/<type>/<id>
 * (Documentation/fleet.rst); cosid registers the node under a lease,
 * applies the effective set (node > groups in command-line order > all)
 * to namespace @ns with the label cosi.dev/source=fleet, deletes what is
 * no longer desired, and reports in the FleetSync resource <node>.
 */
#define COSID_FLEET_GROUPS_MAX	64
#define COSID_FLEET_TTL		30	/* the node's lease, seconds */
/*
 * --etcd-watch-idle's default, seconds: over 2.2 times etcd's default
 * --experimental-watch-progress-notify-interval (10 min), the longest a
 * live stream stays silent (a tick skipped after events, 10 % jitter).
 */
#define COSID_FLEET_WATCH_IDLE	1500
#define COSID_FLEET_WATCH_IDLE_MAX	86400

struct cosid_fleet_opts {
	const char *endpoints;		/* "http://h:p[,...]" */
	const char *node;
	const char *cluster;		/* NULL: "default" */
	const char *groups[COSID_FLEET_GROUPS_MAX];
	size_t n_groups;
	/* --node-label KEY=VALUE, checked: in the registration. */
	const char *labels[COSI_FLEET_NODE_LABELS_MAX];
	size_t n_labels;
	const char *user, *password;	/* etcd authentication, or NULL */
	const char *ca_file, *cert_file, *key_file;	/* TLS, or NULL */
	/*
	 * --publish values, "TYPE[,TYPE...]" or "none"; none given: the
	 * built-in controllers' outputs but FleetSync and RuntimeStatus.
	 */
	const char **publish;
	size_t n_publish;
	/* --publish-max-keys, --publish-max-bytes; 0: the defaults. */
	unsigned long publish_max_keys, publish_max_bytes;
	/* --publish-any-owner: not only cosid's controllers' resources. */
	bool publish_any_owner;
	/* --etcd-watch-idle, seconds; 0: COSID_FLEET_WATCH_IDLE. */
	unsigned long watch_idle;
};

/*
 * Where an etcd key of the desired tree belongs for this node.  @prefix
 * is "/cosi/<cluster>/desired/".  Returns the key's rank, higher wins:
 * @n_groups + 1 for the node's own, @n_groups - i for groups[i] (the
 * first group on the command line wins over the later ones), 0 for all;
 * -1 when the key is not this node's (another node or group), -2 for a
 * key under this node's prefixes that is not <ns>/<type>/<id> (skipped,
 * counted).  *@suffix points to <ns>/<type>/<id> in @key.
 */
int cosid_fleet_rank(const char *prefix, const char *node,
		     const char *const *groups, size_t n_groups,
		     const char *key, const char **suffix);

/* One desired entry: its key's rank and suffix (<ns>/<type>/<id>). */
struct cosid_fleet_entry {
	const char *suffix;
	int rank;
	bool bad;		/* its value was rejected: never the winner */
};

/*
 * The effective set: for each suffix, the good entry of highest rank.
 * Fills @win (n entries) with the indexes of the winners, sorted by
 * suffix, and returns their count.  A suffix with only bad entries has
 * no winner.  @n must fit an int.
 */
size_t cosid_fleet_effective(const struct cosid_fleet_entry *v, size_t n,
			     size_t *win);

/*
 * Whether a header's revision @hdr_rev is behind @seen, the last one
 * applied (etcd restored from a snapshot, same cluster id): re-list.
 */
bool cosid_fleet_rev_back(int64_t seen, int64_t hdr_rev);

/* --etcd's URLs parse (a one-line message and -EINVAL if not). */
int cosid_fleet_check_endpoints(const struct cosid_fleet_opts *o);

struct cosid_fleet;

/* Check the options, set up; NULL after a one-line message. */
struct cosid_fleet *cosid_fleet_new(struct cosi *c,
				    const struct cosid_fleet_opts *o,
				    const char *ns);
/*
 * The "fleet" controller: talks to etcd on the runtime's loop, applies
 * and prunes, writes FleetSync; and "fleet-publish" when statuses are
 * published.  @f is consumed: freed on failure, else the runtime's
 * (freed at shutdown after both controllers' fini, the lease revoked).
 */
int cosid_register_fleet(struct cosi_runtime *rt, struct cosid_fleet *f);
void cosid_fleet_free(struct cosid_fleet *f);


/*
 * Publishing (publish.c): the statuses of the node, as the documents
 * `cosictl get -o json` prints, at
 * /cosi/<cluster>/status/<node>/<ns>/<type>/<id>, written only when they
 * change (Documentation/fleet.rst).  The publish set (pubset.c, no I/O)
 * holds per key what etcd holds and what the node holds, and gives the
 * writes still to do in batches of at most COSID_PUB_TXN_OPS.
 */
#define COSID_PUB_TXN_OPS	128	/* etcd's --max-txn-ops default */
/* A document (and its key) larger than this is skipped, never written. */
#define COSID_PUB_DOC_MAX	(1536 * 1024 - 4096)
/* Keys and documents of one txn, at most (one document may be alone). */
#define COSID_PUB_TXN_BYTES	(1024 * 1024)
/* Keys and bytes (keys and documents) a node publishes: default, max. */
#define COSID_PUB_KEYS_DEFAULT	10000
#define COSID_PUB_KEYS_MAX	1000000
#define COSID_PUB_BYTES_DEFAULT	(64UL << 20)
#define COSID_PUB_BYTES_MAX	(1UL << 30)

struct cosid_pubset;

/* One write of a batch: a put of @doc, or a delete (@doc NULL). */
struct cosid_pub_op {
	const char *key;
	const char *doc;
	size_t doc_len;
};

/* Documents too large for etcd, skipped by a batch (the last one named). */
struct cosid_pub_skip {
	size_t n;
	size_t bytes;
	char key[256];
};

struct cosid_pubset *cosid_pubset_new(void);
void cosid_pubset_free(struct cosid_pubset *p);
/* At most @keys local keys and @bytes of their keys and documents. */
void cosid_pubset_limit(struct cosid_pubset *p, size_t keys, size_t bytes);
/*
 * The node holds @key with document @doc; @cmp is the form compared with
 * etcd's (the document without what changes on every write).  Copied;
 * 0, -ENOMEM, or -ENOSPC when the key or its new document would take
 * the node's keys or bytes over cosid_pubset_limit()'s (nothing changed:
 * the caller takes the key as gone).
 */
int cosid_pubset_local(struct cosid_pubset *p, const char *key,
		       const char *doc, const char *cmp);
/* The node no longer holds @key: a delete when etcd may hold it. */
void cosid_pubset_gone(struct cosid_pubset *p, const char *key);
/*
 * Forget both sides (a new range of etcd and a new list of the node
 * follow, remote first); any batch in flight is forgotten too.
 */
void cosid_pubset_reset(struct cosid_pubset *p);
/* etcd holds @key, of compare form @cmp.  0 or -ENOMEM. */
int cosid_pubset_remote(struct cosid_pubset *p, const char *key,
			const char *cmp);
/* Keys whose write is to do (in flight included). */
size_t cosid_pubset_pending(const struct cosid_pubset *p);
/*
 * The next batch: fills @ops (COSID_PUB_TXN_OPS of them) with at most
 * @max_ops (1..COSID_PUB_TXN_OPS; 0: COSID_PUB_TXN_OPS) dirty keys, at
 * most @max_bytes of keys and documents (but at least one), and marks
 * them in flight; 0 when nothing is to do or a batch is in flight.  A
 * document over COSID_PUB_DOC_MAX is not written (counted in @skip; its
 * key is deleted instead when etcd may hold it).  @ops point into the
 * set's documents, valid only until the next call on the set: a
 * cosid_pubset_local() or _gone() of a key in flight frees its document
 * (publish.c encodes the txn in etcd_submit(), right after this call,
 * and keeps nothing of @ops).  The keys in flight stay the set's until
 * cosid_pubset_done().
 */
size_t cosid_pubset_batch(struct cosid_pubset *p, struct cosid_pub_op *ops,
			  size_t max_ops, size_t max_bytes,
			  struct cosid_pub_skip *skip);
/*
 * The batch in flight was written (@ok) or not.  A key changed while in
 * flight stays dirty when it differs from what was written.
 */
void cosid_pubset_done(struct cosid_pubset *p, bool ok);

/* The publisher (publish.c), owned by the fleet. */
struct cosid_pub;
struct etcd;

struct cosid_pub_stats {
	uint64_t published;	/* puts and deletes written */
	uint64_t errors;	/* failed ranges and txns, skipped documents */
	uint64_t txns, syncs;	/* txns written; ranges of etcd's side */
	uint64_t overflow;	/* keys left out: over the keys or bytes cap */
	int64_t revision;	/* etcd's revision after the last txn */
	size_t pending;		/* keys to write */
};

/*
 * The published types of @o (resolved against the kernel's definitions
 * on @c) and the node's prefix.  0 with *@out NULL when nothing is
 * published (--publish none), or a negative errno after a one-line
 * message.
 */
int cosid_pub_new(struct cosi *c, const struct cosid_fleet_opts *o,
		  const char *cluster, struct cosid_pub **out);
/* The "fleet-publish" queue controller; its data is @f. */
int cosid_pub_register(struct cosi_runtime *rt, struct cosid_pub *p,
		       struct cosid_fleet *f);
/* Once the fleet's etcd client exists: its loop (held until registered). */
void cosid_pub_start(struct cosid_pub *p, struct etcd *e, unsigned int seed);
/*
 * etcd may no longer hold what the publisher wrote (fleet.c re-listed or
 * reconnected): range the node's prefix again and write what differs,
 * after the request in flight.  NULL is a no-op.
 */
void cosid_pub_resync(struct cosid_pub *p);
/*
 * Hold (nothing read or written) or release the publisher (NULL: none);
 * it starts held, and a release syncs it anew.
 */
void cosid_pub_hold(struct cosid_pub *p, bool hold);
/*
 * Every txn of the publisher's holds only while @key (the node's live
 * key, which outlives @p) is under @lease; one that fails the compare
 * writes nothing, holds the publisher and tells the fleet
 * (cosid_fleet_pub_fenced()).
 */
void cosid_pub_fence(struct cosid_pub *p, const char *key, int64_t lease);
void cosid_pub_stats(const struct cosid_pub *p, struct cosid_pub_stats *st);
void cosid_pub_free(struct cosid_pub *p);
/*
 * A resource's published document (one line of `cosictl get -o json`)
 * and its compare form (without metadata version, updated, revision);
 * malloc()ed, 0 or -ENOMEM.
 */
int cosid_pub_render(const struct cosi_resource *r, char **doc, char **cmp);
/*
 * A type --publish refuses: one that changes with every publish
 * (FleetSync, RuntimeStatus) or a sensitive one (its specs stay on the
 * node).  0, or -EINVAL with @msg.
 */
int cosid_pub_type_check(const struct cosi_definition *d, char *msg,
			 size_t len);
/*
 * etcd refused a txn for its size (--max-txn-ops, --max-request-bytes
 * lower than the defaults): "too many operations in txn request" or
 * "request is too large" in @msg.  Not applied: the batch is halved.
 */
bool cosid_pub_txn_too_big(const char *msg);
/* The compare form of a value read from etcd ("" if not JSON), or NULL. */
char *cosid_pub_compare_form(const char *value, size_t len);

/* fleet.c, for the publisher: its publisher, and a reference dropped. */
struct cosid_pub *cosid_fleet_pub(struct cosid_fleet *f);
void cosid_fleet_put(struct cosid_fleet *f);
/*
 * The publisher's counters changed (FleetSync is written again), and
 * with @fmt an error for its last-error.
 */
void cosid_fleet_pub_event(struct cosid_fleet *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A range or txn of the publisher succeeded: a publish failure (range,
 * txn, listing) in last-error is cleared; the counters changed.
 */
void cosid_fleet_pub_recovered(struct cosid_fleet *f);
/* A publisher's txn found the live key under another lease (or none). */
void cosid_fleet_pub_fenced(struct cosid_fleet *f);

#endif /* _COSID_H */
