// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl get --etcd: the fleet's read side (Documentation/fleet.rst).
 *
 *   get nodes       the registrations /cosi/<c>/nodes/<node>
 *                   (persistent), the live keys /cosi/<c>/nodes/<node>/
 *                   live (under the nodes' leases), one range of both,
 *                   and the nodes that published statuses: NODE GROUPS
 *                   LIVE LAST-SEEN VERSION
 *   get TYPE [ID]   the statuses /cosi/<c>/status/<node>/<ns>/<type>/<id>
 *                   of --node N, of the nodes registered with --group G,
 *                   or of every node (--all-nodes, the default), with a
 *                   NODE column first; -o yaml/json add "node" to each
 *                   document.
 *
 * LIVE: the node's live key exists, attached to a lease (cosid puts it
 * with its registration when its lease is granted; it vanishes with the
 * lease, 30 s after cosid stops keeping it alive, at once when cosid
 * stops cleanly; a live key put without a lease is not cosid's and does
 * not count).  A node that is not live keeps its registration: its
 * groups and version are still shown.  LAST-SEEN: for a live node, the
 * last keep-alive, from the lease's granted TTL minus the TTL left (one
 * lease request per live node, seconds precision; a lease gone
 * meanwhile: not live); etcd keeps no time for a node whose lease is
 * gone, so "-" then.
 *
 *   get TYPE [ID] -w, watch TYPE [ID]
 *                   the same list at one etcd revision R, then the
 *                   changes from R+1 (an etcd watch of the status prefix;
 *                   for --group, the registration as of each event),
 *                   each row or document with its event and node; a
 *                   compaction or an oversized message lists again and
 *                   prints what changed since (the keys shown are kept
 *                   with their mod_revision), a lost stream resumes
 *                   (for as long as etcd cannot be reached: follow()).
 *
 *   wait TYPE ID    until every node in scope (--node N, or the
 *                   registered nodes of --group G or of --all-nodes)
 *                   is live and its status meets --for: the same list
 *                   and watch (follow()), the condition judged on the
 *                   list, then on each event of a node's key; while a
 *                   node in scope is not live or none is registered,
 *                   nodes/ read again once a second (wait_tick()); the
 *                   nodes that do not, and why ("not live"), on
 *                   timeout.
 *
 * Blocking: one etcd client without a loop of its own (etcd_call()).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/etcd.h"
#include "common/fleet_name.h"
#include "common/json_resource.h"
#include "common/resolve.h"
#include "controllers/types.h"
#include "cosictl/cosictl.h"
#include "cosictl/fleet.h"
#include "cosictl/render.h"

struct fnode {
	char *name;
	bool registered;		/* the registration key exists */
	bool live;			/* its live key, under a lease */
	bool bad;			/* its value is not the JSON expected */
	int64_t lease;			/* the live key's */
	int64_t seen_ago;		/* s since the last keep-alive; -1 */
	struct cosi_strs groups;
	struct cosi_kvs labels;		/* cosid --node-label */
	char *version, *kernel;
};

/* What a registration says (registration()), emptied. */
static void fnode_reg_clear(struct fnode *x)
{
	free(x->version);
	free(x->kernel);
	x->version = x->kernel = NULL;
	cosi_strs_clear(&x->groups);
	cosi_kvs_clear(&x->labels);
}

struct fleet {
	struct ctl *x;
	struct etcd *e;
	const char *cluster;
	char status[128];		/* /cosi/<c>/status/ */
	char nodes_key[128];		/* /cosi/<c>/nodes/ */
	struct fnode *v;
	size_t n;
	time_t now;
	bool pin;			/* ranges at one revision: */
	int64_t rev;			/* ... this one (0: the next range's) */
	bool compacted;			/* ... which etcd compacted meanwhile */
	char msg[ETCD_MSG_LEN];		/* ... its message */
};

static int call(struct fleet *f, const struct etcd_request *r,
		struct etcd_reply *rep)
{
	char msg[ETCD_MSG_LEN];
	int err = etcd_call(f->e, r, rep, msg, sizeof(msg));

	if (err == -ESTALE && f->pin && f->rev) {
		/* A compaction after the list's first range: follow_list(). */
		f->compacted = true;
		snprintf(f->msg, sizeof(f->msg), "%s", msg);
		return EXIT_FAIL;
	}
	if (err)
		return cosictl_fleet_err(f->x->a, f->e, err, "read", r->op.key,
					 r->op.prefix, msg);
	return EXIT_OK;
}

static int range(struct fleet *f, const char *key, bool prefix,
		 bool keys_only, struct etcd_reply *rep)
{
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = key, .prefix = prefix,
			.keys_only = keys_only, .revision = f->rev,
			.limit = keys_only ? ETCD_KVS_MAX : 0 },
	};
	int rc = call(f, &r, rep);

	if (!rc && f->pin && !f->rev)
		f->rev = rep->hdr.revision;
	return rc;
}

static struct fnode *node_find(struct fleet *f, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strlen(f->v[i].name) == len && !strncmp(f->v[i].name, name, len))
			return &f->v[i];
	return NULL;
}

static struct fnode *node_add(struct fleet *f, const char *name, size_t len)
{
	struct fnode *v, *x = node_find(f, name, len);

	if (x)
		return x;
	v = realloc(f->v, (f->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	f->v = v;
	x = memset(&v[f->n], 0, sizeof(*x));
	x->seen_ago = -1;
	x->name = strndup(name, len);
	if (!x->name)
		return NULL;
	f->n++;
	return x;
}

static void nodes_free(struct fleet *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		fnode_reg_clear(&f->v[i]);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static char *str_member(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

/* The registration value (cosid's registration()): groups, versions. */
static void registration(struct fnode *x, const struct etcd_kv *kv)
{
	struct json_object *o = json_tokener_parse(kv->value), *g, *s;
	size_t i;

	fnode_reg_clear(x);
	x->bad = !json_object_is_type(o, json_type_object);
	if (!x->bad) {
		x->version = str_member(o, "version");
		x->kernel = str_member(o, "kernel");
		if (json_object_object_get_ex(o, "groups", &g) &&
		    json_object_is_type(g, json_type_array)) {
			for (i = 0; i < json_object_array_length(g); i++) {
				s = json_object_array_get_idx(g, i);
				if (json_object_is_type(s, json_type_string))
					cosi_strs_add(&x->groups,
						json_object_get_string(s));
			}
		}
		if (json_object_object_get_ex(o, "labels", &g) &&
		    json_object_is_type(g, json_type_object)) {
			json_object_object_foreach(g, k, v)
				if (json_object_is_type(v, json_type_string))
					cosi_kvs_add(&x->labels, k,
						json_object_get_string(v));
		}
	}
	json_object_put(o);
}

/* Liveness and the last keep-alive, from the lease. */
static int lease(struct fleet *f, struct fnode *x)
{
	struct etcd_request r = {
		.type = ETCD_REQ_LEASE_TTL, .lease_id = x->lease,
	};
	struct etcd_reply rep;
	char msg[ETCD_MSG_LEN];
	int err = etcd_call(f->e, &r, &rep, msg, sizeof(msg));

	if (err == -ENOENT) {		/* revoked or expired meanwhile */
		x->live = false;
		return EXIT_OK;
	}
	if (err)
		return ctl_err("etcd %s: %s", etcd_endpoint(f->e), msg);
	if (rep.ttl > 0)
		x->seen_ago = rep.granted_ttl > rep.ttl ?
			      rep.granted_ttl - rep.ttl : 0;
	else
		x->live = false;
	etcd_reply_free(&rep);
	return EXIT_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct fnode *)a)->name,
		      ((const struct fnode *)b)->name);
}

/*
 * The registrations and the live keys, one range of nodes/ (at the
 * ranges' revision, see range()): the nodes, their groups and versions,
 * and which are live.
 */
static int add_registrations(struct fleet *f, const struct etcd_reply *rp)
{
	size_t i, lp = strlen(f->nodes_key);
	const struct etcd_reply rep = *rp;
	const char *k, *slash;
	struct fnode *x;
	int rc = EXIT_OK;

	for (i = 0; !rc && i < rep.n_kvs; i++) {
		k = rep.kvs[i].key + lp;
		slash = strchr(k, '/');
		if (!*k || slash == k || (slash && strcmp(slash, "/live")))
			continue;	/* neither */
		x = node_add(f, k, slash ? (size_t)(slash - k) : strlen(k));
		if (!x) {
			rc = ctl_err("out of memory");
			break;
		}
		if (slash) {
			x->live = rep.kvs[i].lease != 0;
			x->lease = rep.kvs[i].lease;
			continue;
		}
		x->registered = true;
		registration(x, &rep.kvs[i]);
	}
	return rc;
}

static int load_registrations(struct fleet *f)
{
	struct etcd_reply rep;
	int rc;

	rc = range(f, f->nodes_key, true, false, &rep);
	if (rc)
		return rc;
	rc = add_registrations(f, &rep);
	etcd_reply_free(&rep);
	return rc;
}

/*
 * Every node: registered, or known by its statuses (keys only, the
 * first ETCD_KVS_MAX keys).  @leases: ask each lease (get nodes).
 */
static int load_nodes(struct fleet *f, bool leases)
{
	size_t i, ls = strlen(f->status);
	struct etcd_reply rep;
	const char *k, *slash;
	int rc;

	rc = load_registrations(f);
	for (i = 0; !rc && leases && i < f->n; i++)
		if (f->v[i].live)
			rc = lease(f, &f->v[i]);
	if (rc)
		return rc;
	rc = range(f, f->status, true, true, &rep);
	if (rc)
		return rc;
	if (rep.more)
		fprintf(stderr, "cosictl: note: over %d status keys: nodes known only by their statuses may be missing\n",
			ETCD_KVS_MAX);
	for (i = 0; !rc && i < rep.n_kvs; i++) {
		k = rep.kvs[i].key + ls;
		slash = strchr(k, '/');
		if (slash && slash != k && !node_add(f, k, slash - k))
			rc = ctl_err("out of memory");
	}
	etcd_reply_free(&rep);
	if (f->n)
		qsort(f->v, f->n, sizeof(*f->v), by_name);
	return rc;
}

/* Is @x one --node / --group selects? */
static bool selected(const struct fleet *f, const struct fnode *x)
{
	const struct cosictl_args *a = f->x->a;

	if (a->node)
		return !strcmp(a->node, x->name);
	if (a->group)
		return cosi_strs_has(&x->groups, a->group);
	return true;
}

/* The note for a --node or --group that selects nothing. */
static void none_selected(const struct fleet *f)
{
	const struct cosictl_args *a = f->x->a;

	if (a->node)
		fprintf(stderr, "cosictl: note: node %s is not registered and published no statuses in cluster %s\n",
			a->node, f->cluster);
	else if (a->group)
		fprintf(stderr, "cosictl: note: no registered node of cluster %s is in group %s\n",
			f->cluster, a->group);
}

static char *join_groups(const struct cosi_strs *s)
{
	size_t i, len = 1;
	char *out;

	for (i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 1;
	out = calloc(1, len);
	for (i = 0; out && i < s->n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, s->v[i]);
	}
	return out;
}

static struct json_object *node_json(const struct fleet *f,
				     const struct fnode *x)
{
	struct json_object *o = json_object_new_object(), *g, *l;
	char t[48];
	size_t i;

	g = json_object_new_array();
	for (i = 0; g && i < x->groups.n; i++)
		json_object_array_add(g, json_object_new_string(x->groups.v[i]));
	l = json_object_new_object();
	for (i = 0; l && i < x->labels.n; i++)
		json_object_object_add(l, x->labels.v[i].key,
			json_object_new_string(x->labels.v[i].value));
	if (!o || !g || !l) {
		json_object_put(o);
		json_object_put(g);
		json_object_put(l);
		return NULL;
	}
	json_object_object_add(o, "node", json_object_new_string(x->name));
	json_object_object_add(o, "cluster", json_object_new_string(f->cluster));
	json_object_object_add(o, "registered",
			       json_object_new_boolean(x->registered));
	json_object_object_add(o, "live", json_object_new_boolean(x->live));
	json_object_object_add(o, "groups", g);
	json_object_object_add(o, "labels", l);
	json_object_object_add(o, "last-seen", x->seen_ago < 0 ? NULL :
		json_object_new_string(cosi_rfc3339(
			(uint64_t)(f->now - x->seen_ago) * 1000000000u, t,
			sizeof(t))));
	json_object_object_add(o, "version", x->version ?
			       json_object_new_string(x->version) : NULL);
	json_object_object_add(o, "kernel", x->kernel ?
			       json_object_new_string(x->kernel) : NULL);
	json_object_object_add(o, "lease", json_object_new_int64(x->lease));
	return o;
}

static int print_nodes(struct fleet *f)
{
	static const char *const h[] = {
		"NODE", "GROUPS", "LIVE", "LAST-SEEN", "VERSION", "KERNEL",
	};
	enum cosi_output o = f->x->a->output;
	bool wide = o == COSI_OUTPUT_WIDE;
	struct cosi_table *t = NULL;
	struct json_object *arr = NULL, *j;
	struct cosi_yaml *y = NULL;
	char seen[32], *groups;
	const char *cells[6];
	size_t i, shown = 0;
	int err = 0;

	if (o == COSI_OUTPUT_TABLE || wide)
		t = cosi_table_new(h, wide ? 6 : 5);
	else if (o == COSI_OUTPUT_YAML)
		y = cosi_yaml_new(stdout);
	else
		arr = json_object_new_array();
	if (!t && !y && !arr)
		return ctl_err("out of memory");
	for (i = 0; !err && i < f->n; i++) {
		struct fnode *x = &f->v[i];

		if (!selected(f, x))
			continue;
		shown++;
		if (t) {
			groups = join_groups(&x->groups);
			if (x->seen_ago >= 0)
				snprintf(seen, sizeof(seen), "%llds ago",
					 (long long)x->seen_ago);
			cells[0] = x->name;
			cells[1] = !x->registered ? "<unknown>" :
				   x->bad ? "<invalid>" :
				   groups && *groups ? groups : "<none>";
			cells[2] = x->live ? "yes" : "no";
			cells[3] = x->seen_ago >= 0 ? seen : "-";
			cells[4] = x->version ?: "-";
			cells[5] = x->kernel ?: "-";
			err = groups ? cosi_table_add(t, cells) : -ENOMEM;
			free(groups);
			continue;
		}
		j = node_json(f, x);
		if (!j)
			err = -ENOMEM;
		else if (y)
			err = cosi_yaml_json(y, j);
		if (j && arr && json_object_array_add(arr, j))
			err = -ENOMEM;
		if (j && (y || err))
			json_object_put(j);
	}
	if (!shown)
		none_selected(f);
	if (t) {
		if (!err && shown)
			cosi_table_flush(t, stdout);
		else if (!err)
			fprintf(stderr, "No nodes found in cluster %s.\n",
				f->cluster);
		cosi_table_free(t);
	}
	if (y)
		err = cosi_yaml_close(y) ?: err;
	if (arr) {
		if (err)
			json_object_put(arr);
		else
			err = cosi_json_print(stdout, arr, true);
	}
	return err ? ctl_err("writing output: %s", strerror(-err)) : EXIT_OK;
}

/*
 * watch: the keys shown and their mod_revision, sorted, so that a list
 * after a compaction prints only what changed in the gap.
 */
struct seen_key {
	char *key;
	int64_t mod;
	unsigned int gen;		/* the last list that found it */
	bool hidden;			/* skipped (did not decode): not shown */
};

struct seen {
	struct seen_key *v;
	size_t n, cap;
	unsigned int gen;		/* the list being read */
	bool relist;			/* ... is not the first */
};

/* The index of @key, or where it would go (*@found false). */
static size_t seen_pos(const struct seen *s, const char *key, bool *found)
{
	size_t lo = 0, hi = s->n, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, s->v[mid].key);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * @key is shown at @mod.  *@kind, for a list: ' ' the first time, then
 * '+' new, '*' changed, 0 unchanged (not printed again: also when the
 * first list is read again, after a compaction during it).  0 or
 * -ENOMEM.
 */
static int seen_set(struct seen *s, const char *key, int64_t mod, char *kind)
{
	bool found;
	size_t i = seen_pos(s, key, &found);
	struct seen_key *v;
	char *k;

	*kind = !found ? (s->relist ? '+' : ' ') :
		s->v[i].mod != mod ? '*' : 0;
	if (found) {
		s->v[i].mod = mod;
		s->v[i].gen = s->gen;
		return 0;
	}
	k = strdup(key);
	if (!k)
		return -ENOMEM;
	if (s->n == s->cap) {
		v = realloc(s->v, (s->cap ? 2 * s->cap : 64) * sizeof(*v));
		if (!v) {
			free(k);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = s->cap ? 2 * s->cap : 64;
	}
	v = s->v;
	memmove(&v[i + 1], &v[i], (s->n - i) * sizeof(*v));
	v[i] = (struct seen_key){ .key = k, .mod = mod, .gen = s->gen };
	s->n++;
	return 0;
}

/*
 * @key (in @s) was shown (@hidden false), or skipped the first time it
 * was found (did not decode): a list that no longer finds it then does
 * not show it as gone.
 */
static void seen_hide(struct seen *s, const char *key, bool hidden)
{
	bool found;
	size_t i = seen_pos(s, key, &found);

	if (found)
		s->v[i].hidden = hidden;
}

static void seen_del(struct seen *s, size_t i)
{
	free(s->v[i].key);
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
	s->n--;
}

static void seen_drop(struct seen *s, const char *key)
{
	bool found;
	size_t i = seen_pos(s, key, &found);

	if (found)
		seen_del(s, i);
}

static void seen_clear(struct seen *s)
{
	while (s->n)
		free(s->v[--s->n].key);
	free(s->v);
	s->v = NULL;
	s->cap = 0;
}

/* get TYPE: what to read and how to print it. */
struct query {
	const struct cosi_definition *def;	/* NULL: not known here */
	const char *type;		/* the exact name */
	const char *ns;			/* NULL: every namespace */
	struct cosi_table *t;
	struct cosi_yaml *y;
	struct json_object *arr;	/* get -o json: one array */
	bool watch;			/* get -w: a document per line */
	struct seen *seen;		/* watch: what was shown */
	size_t found, bad;
};

/* Kernel definitions first (when cosi.ko answers), then cosid's. */
static int resolve(struct fleet *f, struct query *q,
		   struct cosi_definitions *builtin)
{
	const char *name = f->x->a->type;
	struct ctl *x = f->x;
	char msg[512];
	int err = -ENOENT;

	x->c = cosi_open();
	if (x->c && !cosi_definition_list(x->c, &x->defs))
		err = cosi_resolve_type(&x->defs, name, &q->def, msg,
					sizeof(msg));
	if (err == -ENOENT) {
		if (cosid_builtin_definitions(builtin))
			return ctl_err("out of memory");
		err = cosi_resolve_type(builtin, name, &q->def, msg,
					sizeof(msg));
	}
	if (err == -ENOENT) {
		q->def = NULL;
		q->type = name;
		q->ns = x->a->ns;
		return EXIT_OK;
	}
	if (err)
		return ctl_err("%s", msg);
	q->type = q->def->type;
	q->ns = x->a->ns ?: cosi_resolve_default_ns(q->def);
	return EXIT_OK;
}

/* <ns>/<type>/<id> of a status key: does it match @q? */
static bool key_matches(const struct fleet *f, const struct query *q,
			const char *rest)
{
	const char *t = strchr(rest, '/'), *id;
	size_t lt = strlen(q->type);

	if (!t)
		return false;
	if (q->ns && (strlen(q->ns) != (size_t)(t - rest) ||
		      strncmp(rest, q->ns, t - rest)))
		return false;
	id = t + 1;
	if (strncmp(id, q->type, lt) || id[lt] != '/')
		return false;
	id += lt + 1;
	return *id && (!f->x->a->id || !strcmp(id, f->x->a->id));
}

/* The document names what its key does: <ns>/<type>/<id>. */
static bool same_key(const struct cosi_resource *r, const char *rest)
{
	size_t lns = strlen(r->ns), lt = strlen(r->type);

	return !strncmp(rest, r->ns, lns) && rest[lns] == '/' &&
	       !strncmp(rest + lns + 1, r->type, lt) &&
	       rest[lns + 1 + lt] == '/' && !strcmp(rest + lns + lt + 2, r->id);
}

/*
 * One document of node @node: a row, a YAML document, or a JSON object
 * (in the array, or a line of its own when watching).  @kind: the
 * event's (watch; ' ' for what the listing found), else 0.
 */
static int print_doc(struct query *q, const char *node,
		     const struct cosi_resource *r, char kind)
{
	const char *event = !kind ? NULL : kind == '-' ? "destroyed" :
			    kind == '*' ? "updated" : "created";
	char k[2] = { kind, 0 };
	const char *const leads[] = { k, node };
	struct json_object *res, *o;

	if (q->t)
		return cosi_resource_table_add_lead(q->t, q->def, r,
						    leads + !q->watch);
	if (q->y)
		return cosi_yaml_node_resource(q->y, event, node, r);
	res = cosi_json_resource(r, NULL, 0);
	o = json_object_new_object();
	if (!res || !o || (event &&
			   json_object_object_add(o, "event",
				json_object_new_string(event))) ||
	    json_object_object_add(o, "node", json_object_new_string(node))) {
		json_object_put(res);
		json_object_put(o);
		return -ENOMEM;
	}
	json_object_object_foreach(res, key, v)
		json_object_object_add(o, key, json_object_get(v));
	json_object_put(res);
	if (q->watch)
		return cosi_json_print(stdout, o, false);
	return json_object_array_add(q->arr, o) ? -ENOMEM : 0;
}

/*
 * A delete known by its key only (etcd no longer has the previous
 * value: a compaction): node, namespace, type and id, nothing invented
 * for the rest; the table's version and spec columns "-".
 */
static int print_gone(struct query *q, const char *node,
		      const struct cosi_resource *r)
{
	const char *const leads[] = { "-", node };
	struct json_object *o, *m;
	int err;

	if (q->t)
		return cosi_resource_table_add_key(q->t, q->def, r,
						   leads + !q->watch);
	o = json_object_new_object();
	m = json_object_new_object();
	if (!o || !m ||
	    json_object_object_add(o, "event",
				   json_object_new_string("destroyed")) ||
	    json_object_object_add(o, "node", json_object_new_string(node)) ||
	    json_object_object_add(m, "namespace",
				   json_object_new_string(r->ns)) ||
	    json_object_object_add(m, "type", json_object_new_string(r->type)) ||
	    json_object_object_add(m, "id", json_object_new_string(r->id))) {
		json_object_put(o);
		json_object_put(m);
		return -ENOMEM;
	}
	json_object_object_add(o, "metadata", m);
	if (q->y) {
		err = cosi_yaml_json(q->y, o);
		json_object_put(o);
		return err;
	}
	return cosi_json_print(stdout, o, false);
}

/* A one-line message: control characters of keys and ids as '?'. */
static void say_skipped(const char *key, const char *why)
{
	char line[1024];
	char *c;

	snprintf(line, sizeof(line), "%s: skipped: %s", key, why);
	for (c = line; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	ctl_err("%s", line);
}

/* The statuses of node @x that @q asks for. */
static int node_statuses(struct fleet *f, struct query *q,
			 const struct fnode *x)
{
	struct etcd_reply rep;
	struct json_object *doc;
	struct cosi_resource *r;
	char key[1024], msg[512], why[700], kind;
	bool skipped;
	size_t i, lk;
	int rc, err = 0;

	lk = snprintf(key, sizeof(key), "%s%s/", f->status, x->name);
	if (q->ns && lk < sizeof(key))
		snprintf(key + lk, sizeof(key) - lk, "%s/%s/%s", q->ns,
			 q->type, f->x->a->id ?: "");
	if (strlen(key) >= sizeof(key) - 1)
		return ctl_err("%s/%s: the key is too long", q->type,
			       f->x->a->id ?: "");
	rc = range(f, key, !f->x->a->id || !q->ns, false, &rep);
	if (rc)
		return rc;
	r = cosi_resource_new();
	if (!r) {
		etcd_reply_free(&rep);
		return ctl_err("out of memory");
	}
	for (i = 0; !err && i < rep.n_kvs; i++) {
		if (!key_matches(f, q, rep.kvs[i].key + lk))
			continue;
		kind = q->watch ? ' ' : 0;
		if (q->seen) {
			err = seen_set(q->seen, rep.kvs[i].key,
				       rep.kvs[i].mod_revision, &kind);
			if (err || !kind)
				continue;	/* (unchanged: shown as it is) */
		}
		doc = json_tokener_parse(rep.kvs[i].value);
		skipped = true;
		if (cosi_json_to_resource(doc, q->def, r, msg, sizeof(msg))) {
			say_skipped(rep.kvs[i].key, doc ? msg : "not JSON");
		} else if (!same_key(r, rep.kvs[i].key + lk)) {
			snprintf(why, sizeof(why),
				 "the document is %s/%s/%s, not the key's <ns>/<type>/<id>",
				 r->ns, r->type, r->id);
			say_skipped(rep.kvs[i].key, why);
			cosi_resource_clear(r);
		} else {
			skipped = false;
			q->found++;
			err = print_doc(q, x->name, r, kind);
			cosi_resource_clear(r);
		}
		q->bad += skipped;
		if (q->seen && (!skipped || kind == ' ' || kind == '+'))
			seen_hide(q->seen, rep.kvs[i].key, skipped);
		json_object_put(doc);
	}
	cosi_resource_free(r);
	etcd_reply_free(&rep);
	return err ? ctl_err("writing output: %s", strerror(-err)) : EXIT_OK;
}

/* @q's output as -o asks: a table (NODE first), YAML or JSON. */
static int query_output(struct fleet *f, struct query *q, bool watch)
{
	static const char *const leads[] = { "", "NODE" };
	const struct cosictl_args *a = f->x->a;

	q->watch = watch;
	if (a->output == COSI_OUTPUT_TABLE || a->output == COSI_OUTPUT_WIDE)
		q->t = cosi_resource_table_new_lead(q->def, leads + !watch,
					1 + watch, a->output == COSI_OUTPUT_WIDE);
	else if (a->output == COSI_OUTPUT_YAML)
		q->y = cosi_yaml_new(stdout);
	else if (!watch)
		q->arr = json_object_new_array();
	if (!q->t && !q->y && !q->arr && !(watch && a->output == COSI_OUTPUT_JSON))
		return ctl_err("out of memory");
	return EXIT_OK;
}

/* The statuses of the selected nodes; *@shown: how many nodes. */
static int list_statuses(struct fleet *f, struct query *q, size_t *shown)
{
	size_t i;
	int rc = EXIT_OK;

	*shown = 0;
	for (i = 0; !rc && i < f->n; i++) {
		if (!selected(f, &f->v[i]))
			continue;
		(*shown)++;
		rc = node_statuses(f, q, &f->v[i]);
	}
	return rc;
}

/* A type of the desired side: apply --etcd writes it, no node publishes it. */
static bool desired_type(const struct query *q)
{
	size_t i;

	for (i = 0; q->def && cosid_config_types[i]; i++)
		if (!strcmp(cosid_config_types[i], q->type))
			return true;
	return false;
}

/*
 * get CONFIGTYPE --etcd found nothing: it is read where apply wrote it,
 * not here.  With an id, still "not found" (exit 1), in the same line.
 */
static int desired_note(const struct fleet *f, const struct query *q)
{
	const struct cosictl_args *a = f->x->a;
	const char *what = "desired config (apply --etcd writes it), which nodes do not publish";
	char key[512];

	if (a->node || a->group)
		snprintf(key, sizeof(key), "/cosi/%s/desired/%s/%s/%s/%s/%s",
			 f->cluster, a->node ? "nodes" : "groups",
			 a->node ?: a->group, q->ns ?: COSI_FLEET_NS, q->type,
			 a->id ?: "");
	else
		snprintf(key, sizeof(key), "/cosi/%s/desired/ (all/, groups/<g>/, nodes/<n>/, then %s/%s/%s)",
			 f->cluster, q->ns ?: COSI_FLEET_NS, q->type,
			 a->id ?: "");
	if (a->id)
		return ctl_err("%s/%s: not found: it is %s; read it with etcdctl get %s%s",
			       q->type, a->id, what,
			       a->node || a->group ? "" : "--prefix ", key);
	fprintf(stderr, "No statuses of %s: it is %s; read it with etcdctl get --prefix %s\n",
		q->type, what, key);
	return EXIT_OK;
}

static int get_statuses(struct fleet *f)
{
	const struct cosictl_args *a = f->x->a;
	struct cosi_definitions builtin = { 0 };
	struct query q = { 0 };
	size_t shown = 0;
	int rc, err = 0;

	rc = resolve(f, &q, &builtin) ?: load_nodes(f, false) ?:
	     query_output(f, &q, false) ?: list_statuses(f, &q, &shown);
	if (rc)
		goto out;
	if (!shown && !desired_type(&q))
		none_selected(f);
	if (!rc && !q.found && !q.def)
		fprintf(stderr, "cosictl: note: type %s is not known here: matched as the exact type name\n",
			q.type);
	if (!rc && q.t && q.found)
		cosi_table_flush(q.t, stdout);
	if (q.y)
		err = cosi_yaml_close(q.y);
	if (q.arr && !rc)
		err = cosi_json_print(stdout, json_object_get(q.arr), true);
	if (err && !rc)
		rc = ctl_err("writing output: %s", strerror(-err));
	if (!rc && !q.found && desired_type(&q))
		rc = desired_note(f, &q);
	else if (!rc && !q.found && a->id)
		rc = ctl_err("%s/%s: not found on %s", q.type, a->id,
			     a->node ? a->node : a->group ?
			     "the nodes of the group" : "any node");
	else if (!rc && !q.found && q.t)
		fprintf(stderr, "No resources found in %s%s.\n",
			q.ns ? "namespace " : "any namespace",
			q.ns ? q.ns : "");
	if (!rc && q.bad)
		rc = EXIT_FAIL;
out:
	cosi_table_free(q.t);
	json_object_put(q.arr);
	cosi_definitions_clear(&builtin);
	return rc;
}

/* get -w / watch --etcd: the list at one revision, then the events. */

/* A status event, copied (the message is borrowed) until it is shown. */
struct qev {
	char *key;
	char *doc;			/* the value; a delete's previous one */
	char kind;			/* '+', '*', '-' */
	int64_t rev;
};

/*
 * Event @e as of its revision, for a later list to compare with: a
 * delete forgets the key; a put @shown is visible, one not shown (it did
 * not decode) is hidden when new, so a list that no longer finds it does
 * not show it gone.
 */
static int seen_event(struct seen *s, const struct qev *e, bool shown)
{
	bool found;
	char kind;
	int err;

	if (e->kind == '-') {
		seen_drop(s, e->key);
		return 0;
	}
	seen_pos(s, e->key, &found);
	err = seen_set(s, e->key, e->rev, &kind);
	if (!err && (shown || !found))
		seen_hide(s, e->key, !shown);
	return err;
}

/* wait --etcd: one node's state for the condition. */
struct wnode {
	char *name;
	char key[1024];			/* its status key */
	bool live;			/* its live key is there */
	bool ok;			/* its status meets the condition */
	bool fresh;			/* in scope since the last judging */
	int64_t rev;			/* judged as of this revision */
	char why[160];			/* when not ok */
};

/* A node meets the condition: live, and its status does. */
static bool wn_met(const struct wnode *n)
{
	return n->live && n->ok;
}

/*
 * The list and the watch that follows it, for watch and for wait: what
 * each does with the list (at one revision, f->rev) and with an event of
 * a status key @q asks for (node @node, @len bytes; <ns>/<type>/<id>
 * @rest).
 */
struct fwatch;
struct follower {
	int (*listed)(struct fwatch *w);	/* EXIT_OK or EXIT_FAIL */
	int (*event)(struct fwatch *w, const struct qev *e, const char *node,
		     size_t len, const char *rest);	/* 0 or -errno */
	void (*tick)(struct fwatch *w);		/* NULL, or between messages */
};

struct fwatch {
	struct fleet *f;
	struct query *q;
	const struct follower *ops;
	struct qev *ev;			/* received, not shown yet */
	size_t n_ev;
	int64_t next;			/* the revision to resume from */
	int64_t from;			/* ... the stream's (events before: old) */
	/*
	 * The events of revision @done_rev handled (@done_n): a resume in
	 * the middle of a txn (a --group read failed) skips them, as
	 * @from_skip of the stream's first revision.
	 */
	int64_t done_rev;
	size_t done_n, from_skip;
	long events;			/* counted toward --count */
	bool done;			/* --count reached, the condition met */
	bool ended;			/* the stream ended: start again */
	long created_ms;		/* ... etcd created it then; 0: not */
	bool outage;			/* resumes failing: notes held back */
	bool relist;			/* ... after a compaction: list */
	bool stale;			/* ... and what is queued is not shown */
	int err;			/* why it ended (< 0) */
	char msg[ETCD_MSG_LEN];
	int rc;				/* EXIT_FAIL: stop with it */
	struct seen seen;		/* watch: what was shown */
	struct wnode *wn;		/* wait: the nodes in scope */
	size_t n_wn;
	long poll_ms;			/* ... read nodes/ again then */
	/* member_at()'s last answer */
	char m_node[64];
	int64_t m_rev;
	bool m_in;
};

static void on_status(struct etcd_watch *ew, int err, const char *msg,
		      const struct etcd_watch_msg *m, void *arg)
{
	struct fwatch *w = arg;
	const struct etcd_event *ev;
	struct qev *v, *q;
	size_t i;

	(void)ew;
	if (w->ended)
		return;
	if (!err && m->created && !m->canceled && !m->compact_revision) {
		w->created_ms = ctl_now_ms();
		if (w->outage)
			fprintf(stderr, "cosictl: note: watch: resumed from revision %lld\n",
				(long long)w->from);
		w->outage = false;
	}
	if (err || m->canceled || m->compact_revision > 0) {
		w->ended = true;
		w->relist = !err && m->compact_revision > 0;
		w->err = err ?: -ECANCELED;
		snprintf(w->msg, sizeof(w->msg), "%s",
			 err ? msg : m->cancel_reason ?: "watch canceled");
		return;
	}
	if (!m->n_events)
		return;
	v = realloc(w->ev, (w->n_ev + m->n_events) * sizeof(*v));
	if (!v) {
		w->rc = ctl_err("out of memory");
		return;
	}
	w->ev = v;
	for (i = 0; i < m->n_events; i++) {
		ev = &m->events[i];
		/*
		 * Before the stream's resume point (see watch_run); not
		 * w->next, which moves: the events of one txn share its
		 * revision.
		 */
		if (ev->kv.mod_revision < w->from)
			continue;
		if (ev->kv.mod_revision == w->from && w->from_skip) {
			w->from_skip--;		/* handled before the resume */
			continue;
		}
		q = &w->ev[w->n_ev];
		q->kind = ev->type == ETCD_EV_DELETE ? '-' :
			  ev->kv.create_revision == ev->kv.mod_revision ?
			  '+' : '*';
		q->rev = ev->kv.mod_revision;
		q->key = strdup(ev->kv.key);
		q->doc = ev->type == ETCD_EV_PUT ? strdup(ev->kv.value) :
			 ev->has_prev ? strdup(ev->prev_kv.value) : NULL;
		if (!q->key || (!q->doc && (ev->type == ETCD_EV_PUT ||
					   ev->has_prev))) {
			free(q->key);
			free(q->doc);
			w->rc = ctl_err("out of memory");
			return;
		}
		w->n_ev++;
		w->next = ev->kv.mod_revision + 1;
	}
}

/* The resource a delete without its previous value stands for. */
static int from_key(struct cosi_resource *r, const struct query *q,
		    const char *rest)
{
	const char *t = strchr(rest, '/');

	r->ns = strndup(rest, t - rest);
	r->type = strdup(q->type);
	r->id = strdup(t + 1 + strlen(q->type) + 1);
	r->owner = strdup("");
	return r->ns && r->type && r->id && r->owner ? 0 : -ENOMEM;
}

/*
 * --group: was @node (@len bytes) in the group at revision @rev?  Its
 * registration as of then (a node joins or leaves between two events);
 * the last answer is kept for the events of one txn.  0, or etcd's error
 * (the message in w->msg).
 */
static int member_at(struct fwatch *w, const char *node, size_t len,
		     int64_t rev, bool *in)
{
	struct fleet *f = w->f;
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .revision = rev },
	};
	struct fnode x = { 0 };
	struct etcd_reply rep;
	char key[256];
	int err;

	if (w->m_rev == rev && strlen(w->m_node) == len &&
	    !strncmp(w->m_node, node, len)) {
		*in = w->m_in;
		return 0;
	}
	*in = false;
	if (len >= sizeof(w->m_node) ||
	    (size_t)snprintf(key, sizeof(key), "%s%.*s", f->nodes_key,
			     (int)len, node) >= sizeof(key))
		return 0;	/* no such registration: no group */
	r.op.key = key;
	err = etcd_call(f->e, &r, &rep, w->msg, sizeof(w->msg));
	if (err)
		return err;
	if (rep.n_kvs) {
		registration(&x, &rep.kvs[0]);
		*in = cosi_strs_has(&x.groups, f->x->a->group);
		fnode_reg_clear(&x);
	}
	etcd_reply_free(&rep);
	memcpy(w->m_node, node, len);
	w->m_node[len] = 0;
	w->m_rev = rev;
	w->m_in = *in;
	return 0;
}

/* Hand one queued event on if it is of a type and id asked for. */
static int show_event(struct fwatch *w, const struct qev *e)
{
	struct fleet *f = w->f;
	const char *node = e->key + strlen(f->status), *rest;

	rest = strchr(node, '/');
	if (strncmp(e->key, f->status, strlen(f->status)) || !rest ||
	    rest == node || !key_matches(f, w->q, rest + 1))
		return 0;	/* not <node>/<ns>/<type>/<id> asked for */
	return w->ops->event(w, e, node, rest - node, rest + 1);
}

/* watch: print an event of a node --node or --group selects. */
static int watch_event(struct fwatch *w, const struct qev *e,
		       const char *node, size_t len, const char *rest)
{
	struct fleet *f = w->f;
	struct json_object *doc = NULL;
	struct cosi_resource *r;
	char msg[512], why[700], *name;
	bool in = true;
	int err = 0;

	/* A delete: the registration before it, as prev_kv is. */
	if (f->x->a->group) {
		err = member_at(w, node, len,
				e->kind == '-' ? e->rev - 1 : e->rev, &in);
		if (err) {
			/* Resume from this event (or list again). */
			w->ended = w->stale = true;
			w->relist = err == -ESTALE;
			w->err = err;
			w->next = e->rev;
			return 0;
		}
	}
	name = strndup(node, len);
	if (!name)
		return -ENOMEM;
	if (!in || (f->x->a->node && strcmp(f->x->a->node, name)))
		goto out;
	r = cosi_resource_new();
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	if (!e->doc) {
		/* A delete whose previous value etcd no longer had. */
		err = from_key(r, w->q, rest);
	} else {
		doc = json_tokener_parse(e->doc);
		if (cosi_json_to_resource(doc, w->q->def, r, msg,
					  sizeof(msg))) {
			say_skipped(e->key, doc ? msg : "not JSON");
			goto skipped;
		}
		if (!same_key(r, rest)) {
			snprintf(why, sizeof(why),
				 "the document is %s/%s/%s, not the key's <ns>/<type>/<id>",
				 r->ns, r->type, r->id);
			say_skipped(e->key, why);
			goto skipped;
		}
	}
	if (!err)
		err = e->doc ? print_doc(w->q, name, r, e->kind) :
			       print_gone(w->q, name, r);
	err = err ?: seen_event(&w->seen, e, true);
	if (!err && f->x->a->count >= 0 && ++w->events >= f->x->a->count)
		w->done = true;
	goto free_r;
skipped:
	err = seen_event(&w->seen, e, false);
free_r:
	json_object_put(doc);
	cosi_resource_free(r);
out:
	free(name);
	return err;
}

/*
 * Show what the stream queued, outside the loop's dispatch: --group reads
 * registrations with blocking ranges (events that arrive meanwhile wait
 * for the next batch).
 */
static void drop_queued(struct fwatch *w)
{
	for (; w->n_ev; w->n_ev--) {
		free(w->ev[w->n_ev - 1].key);
		free(w->ev[w->n_ev - 1].doc);
	}
}

static void show_queued(struct fwatch *w)
{
	struct qev *batch = w->ev;
	size_t i, n = w->n_ev;
	int err = 0;

	if (!n)
		return;
	/* The stream's callback may run meanwhile: it starts a new array. */
	w->ev = NULL;
	w->n_ev = 0;
	for (i = 0; i < n && !w->rc && !w->done && !w->stale && !err; i++) {
		err = show_event(w, &batch[i]);
		if (w->stale)
			break;		/* not handled: delivered again */
		if (batch[i].rev != w->done_rev) {
			w->done_rev = batch[i].rev;
			w->done_n = 0;
		}
		w->done_n++;
	}
	if (err)
		w->rc = ctl_err("writing output: %s", strerror(-err));
	for (i = 0; i < n; i++) {
		free(batch[i].key);
		free(batch[i].doc);
	}
	free(batch);
	if (w->stale)
		drop_queued(w);	/* later events: delivered again */
	if (w->q->t)
		cosi_table_flush(w->q->t, stdout);
}

/* "event: bootstrapped" with etcd's revision of the list (YAML, JSON). */
static int print_listed(struct fwatch *w)
{
	struct json_object *o;

	if (w->q->t) {
		cosi_table_flush(w->q->t, stdout);
		return 0;
	}
	if (w->q->y)
		return cosi_yaml_marker(w->q->y, w->f->rev);
	o = json_object_new_object();
	if (!o || json_object_object_add(o, "event",
					 json_object_new_string("bootstrapped")) ||
	    json_object_object_add(o, "revision",
				   json_object_new_int64(w->f->rev))) {
		json_object_put(o);
		return -ENOMEM;
	}
	return cosi_json_print(stdout, o, false);
}

/*
 * The nodes and the list at one revision; the watch resumes after it.
 * Its ranges (a node's statuses, 128 keys a txn) are at the revision of
 * the first: a compaction of it meanwhile reads the list again (watch:
 * what it printed is not printed again).
 */
static int follow_list(struct fwatch *w)
{
	struct fleet *f = w->f;
	int rc, tries;

	for (tries = 1;; tries++) {
		nodes_free(f);
		f->pin = true;
		f->rev = 0;
		f->compacted = false;
		rc = load_nodes(f, false) ?: w->ops->listed(w);
		f->pin = false;
		if (!rc || !f->compacted)
			break;
		if (tries == 3)
			return ctl_err("etcd %s: %s (3 lists in a row)",
				       etcd_endpoint(f->e), f->msg);
		fprintf(stderr, "cosictl: note: revision %lld was compacted in etcd during the list; listed again\n",
			(long long)f->rev);
	}
	if (rc)
		return rc;
	w->next = f->rev + 1;
	w->done_rev = 0;
	w->done_n = 0;
	return EXIT_OK;
}

/* Run the stream until done, --timeout, a signal or its end. */
static int watch_run(struct fwatch *w, long end)
{
	/*
	 * From one revision before: a compaction at w->next (which would
	 * take a delete there with it) then cancels the watch, and the
	 * list is read again; on_status drops the events before w->from.
	 */
	const struct cosictl_args *a = w->f->x->a;
	/*
	 * Progress notifications and an idle limit, as cosid's: a member
	 * that stopped answering (frozen, its gateway stuck) without
	 * closing the connection is passed over for the next endpoint
	 * (-ETIMEDOUT, transient: the watch resumes).
	 */
	struct etcd_watch_opts so = { .key = w->f->status, .prefix = true,
				      .start_revision = w->next - 1,
				      .prev_kv = true, .progress_notify = true,
				      .idle_usec = a->etcd_watch_idle_ms ?
				      a->etcd_watch_idle_ms * 1000ULL :
				      COSICTL_WATCH_IDLE_S * 1000000ULL };
	struct etcd_watch *ws = NULL;
	char msg[ETCD_MSG_LEN];
	long left;
	int err;

	w->ended = w->relist = w->stale = false;
	w->created_ms = 0;
	w->from = w->next;
	w->from_skip = w->done_rev == w->next ? w->done_n : 0;
	err = etcd_watch_start(w->f->e, &so, on_status, w, &ws, msg,
			       sizeof(msg));
	if (err) {
		w->ended = true;
		w->err = err;
		snprintf(w->msg, sizeof(w->msg), "%s", msg);
	}
	while (!w->done && !w->rc && !cosictl_stop) {
		show_queued(w);
		if (w->ended || w->done || w->rc)
			break;
		left = end < 0 ? 200 : end - ctl_now_ms();
		if (left <= 0)
			break;
		if (w->n_ev)
			continue;	/* queued during show_queued's ranges */
		if (w->ops->tick) {
			w->ops->tick(w);
			if (w->done || w->rc)
				break;
		}
		err = etcd_run_once(w->f->e, (left > 200 ? 200 : left) * 1000);
		if (err < 0) {
			w->rc = ctl_err("event loop: %s", strerror(-err));
			break;
		}
	}
	/* What came before the stream's end, before a list or a resume. */
	while (w->ended && !w->stale && w->n_ev && !w->done && !w->rc)
		show_queued(w);
	if (ws)
		etcd_watch_free(ws);
	return w->rc;
}

/*
 * Why a stream may end without anything wrong with the request: etcd
 * (or the way to it) down, restarting, cut off or without a leader.
 */
static bool transient(int err)
{
	return err == -ECONNREFUSED || err == -ECONNRESET ||
	       err == -ETIMEDOUT || err == -EAGAIN;
}

/* A pause between resumes at most, and how long a stream lasts to count. */
#define WATCH_PAUSE_MAX_MS	8000

/*
 * The list, then the watch from after it until w->done, @end (ms, -1:
 * none) or a signal: a compaction or an oversized message lists again,
 * a lost stream resumes.  Shared by watch and wait.
 *
 * A stream that brought an event or lasted (WATCH_PAUSE_MAX_MS) and
 * then ended, and a transient failure to reach etcd, resume for as long
 * as it takes (as etcdctl watch does; --timeout bounds wait), with
 * backoff doubling from 0.5 s to 8 s while no stream does: a watch
 * outlives an etcd restart or outage.  One note when a stream is lost,
 * one when it is back, none for the failed tries between.  The roles or
 * the password end it at once; other errors (a reply that is not
 * etcd's, a stream created and at once ended so) after three resumes
 * in a row fail so.
 */
static int follow(struct fwatch *w, long end)
{
	struct fleet *f = w->f;
	unsigned int backoff_ms = 500;
	int64_t resumed = 0;
	int stuck = 0;
	long pause_end;
	bool progress;
	int rc;

	rc = follow_list(w);
	while (!rc && !w->done && !cosictl_stop &&
	       (end < 0 || ctl_now_ms() < end)) {
		rc = watch_run(w, end);
		if (rc || !w->ended || w->done)
			break;
		/*
		 * An event, or a stream that lasted (as long as the longest
		 * pause): one created and ended at once, over and over, is
		 * no more progress than one refused.
		 */
		progress = w->next > resumed ||
			   (w->created_ms &&
			    ctl_now_ms() - w->created_ms >= WATCH_PAUSE_MAX_MS);
		stuck = progress || transient(w->err) ? 0 : stuck + 1;
		if (w->err == -EPERM || w->err == -EACCES) {
			rc = cosictl_fleet_err(f->x->a, f->e, w->err, "watch",
					       f->status, true, w->msg);
			break;
		}
		if (stuck >= 3) {
			rc = ctl_err("watch %s: %s", f->status, w->msg);
			break;
		}
		if (w->err == -EMSGSIZE) {
			fprintf(stderr, "cosictl: note: watch: %s; listed again\n",
				w->msg);
			resumed = w->next;
			rc = follow_list(w);
			continue;
		}
		if (w->relist) {
			fprintf(stderr, "cosictl: note: revision %lld was compacted in etcd; listed again\n",
				(long long)w->next);
			rc = follow_list(w);
			continue;
		}
		/* A lost stream: resume after the last event, with backoff. */
		backoff_ms = progress ? 500 :
			     backoff_ms >= WATCH_PAUSE_MAX_MS / 2 ?
			     WATCH_PAUSE_MAX_MS : backoff_ms * 2;
		resumed = w->next;
		if (progress || !w->outage)
			fprintf(stderr, "cosictl: note: watch: %s; resuming from revision %lld in %u ms\n",
				w->msg, (long long)w->next, backoff_ms);
		w->outage = true;
		pause_end = ctl_now_ms() + backoff_ms;
		while (!cosictl_stop && ctl_now_ms() < pause_end &&
		       (end < 0 || ctl_now_ms() < end) &&
		       etcd_run_once(f->e, 100 * 1000) >= 0)
			;
	}
	drop_queued(w);
	free(w->ev);
	w->ev = NULL;
	return rc;
}

/* A key shown that a list no longer finds: destroyed (by key). */
static int show_gone(struct fwatch *w, const char *key)
{
	const char *node = key + strlen(w->f->status);
	const char *slash = strchr(node, '/');
	struct cosi_resource *r = cosi_resource_new();
	char *name = strndup(node, slash - node);
	int err = r && name ? from_key(r, w->q, slash + 1) : -ENOMEM;

	if (!err)
		err = print_gone(w->q, name, r);
	cosi_resource_free(r);
	free(name);
	return err;
}

/*
 * watch: the list, all of it the first time; after a compaction or an
 * oversized message, only what changed since it was shown: + * as a list
 * finds them, - for the keys it no longer finds.
 */
static int watch_listed(struct fwatch *w)
{
	struct fleet *f = w->f;
	struct seen *s = &w->seen;
	size_t shown, i, kept;
	int rc, err = 0;

	s->gen++;
	rc = list_statuses(f, w->q, &shown);
	if (rc)
		return rc;
	if (!shown && (f->x->a->node || f->x->a->group))
		none_selected(f);
	/* What this list did not find: shown as gone, dropped. */
	for (i = kept = 0; i < s->n; i++) {
		if (s->v[i].gen == s->gen) {
			s->v[kept++] = s->v[i];
			continue;
		}
		if (!err && !s->v[i].hidden)
			err = show_gone(w, s->v[i].key);
		free(s->v[i].key);
	}
	s->n = kept;
	s->relist = true;
	err = err ?: print_listed(w);
	if (err)
		return ctl_err("writing output: %s", strerror(-err));
	if (f->x->a->count == 0)
		w->done = true;
	return EXIT_OK;
}

static const struct follower watch_ops = {
	.listed = watch_listed, .event = watch_event,
};

static int watch_statuses(struct fleet *f)
{
	const struct cosictl_args *a = f->x->a;
	struct cosi_definitions builtin = { 0 };
	struct query q = { 0 };
	struct fwatch w = { .f = f, .q = &q, .ops = &watch_ops };
	long end = a->timeout_ms >= 0 ? ctl_now_ms() + a->timeout_ms : -1;
	int rc, err;

	q.seen = &w.seen;
	rc = resolve(f, &q, &builtin) ?: query_output(f, &q, true) ?:
	     follow(&w, end);
	if (q.y) {
		err = cosi_yaml_close(q.y);
		if (err && !rc)
			rc = ctl_err("writing output: %s", strerror(-err));
	}
	seen_clear(&w.seen);
	cosi_table_free(q.t);
	cosi_definitions_clear(&builtin);
	return rc;
}

/* Judge node @n's status document @value (NULL: absent). */
static void judge(const struct fleet *f, const struct query *q,
		  struct wnode *n, const char *value)
{
	const struct cosictl_args *a = f->x->a;
	struct json_object *doc;
	struct cosi_resource r;
	char msg[128], *cell;

	n->ok = false;
	if (!value) {
		n->ok = a->wait_for == COSICTL_FOR_DELETE;
		snprintf(n->why, sizeof(n->why), "missing");
		return;
	}
	if (a->wait_for == COSICTL_FOR_DELETE) {
		snprintf(n->why, sizeof(n->why), "present");
		return;
	}
	doc = json_tokener_parse(value);
	if (cosi_json_to_resource(doc, q->def, &r, msg, sizeof(msg))) {
		snprintf(n->why, sizeof(n->why), "invalid: %s",
			 doc ? msg : "not JSON");
		json_object_put(doc);
		return;
	}
	json_object_put(doc);
	if (a->wait_for == COSICTL_FOR_CREATE) {
		n->ok = true;
	} else if (!r.has_spec) {
		snprintf(n->why, sizeof(n->why), "spec not published");
	} else {
		n->ok = cosictl_wait_field_matches(a, &r);
		cell = cosi_render_cell(&r, a->for_field);
		snprintf(n->why, sizeof(n->why), "%s=%s", a->for_field,
			 cell ?: "");
		free(cell);
	}
	cosi_resource_clear(&r);
}

/* wait: is every node in scope there (and one at least)? */
static void wait_check(struct fwatch *w)
{
	size_t i;

	for (i = 0; i < w->n_wn && wn_met(&w->wn[i]); i++)
		;
	w->done = w->n_wn && i == w->n_wn;
}

/*
 * In scope: --node N, else the registered nodes (of --group G), as the
 * last read of nodes/ (f->v) has them: a node kept from before keeps
 * what was judged of it, a new one is fresh (to be judged).
 */
static int wait_scope(struct fwatch *w)
{
	struct fleet *f = w->f;
	const struct cosictl_args *a = f->x->a;
	struct wnode *v, *o;
	const char *name;
	size_t i, j, n = 0;
	bool live;

	v = calloc(f->n + 1, sizeof(*v));
	if (!v)
		return ctl_err("out of memory");
	for (i = 0; i <= f->n; i++) {
		if (i < f->n && !(selected(f, &f->v[i]) &&
				  (a->node || f->v[i].registered)))
			continue;
		/* --node N not known at all: still waited for. */
		if (i == f->n && (n || !a->node))
			break;
		name = i < f->n ? f->v[i].name : a->node;
		live = i < f->n && f->v[i].live;
		for (o = NULL, j = 0; j < w->n_wn && !o; j++)
			if (w->wn[j].name && !strcmp(w->wn[j].name, name))
				o = &w->wn[j];
		if (o) {
			v[n] = *o;
			o->name = NULL;		/* moved */
			v[n++].live = live;
			continue;
		}
		v[n].name = strdup(name);
		v[n].live = live;
		v[n].fresh = true;
		snprintf(v[n].why, sizeof(v[n].why), "missing");
		if (!v[n].name)
			goto nomem;
		if ((size_t)snprintf(v[n].key, sizeof(v[n].key),
				     "%s%s/%s/%s/%s", f->status, name,
				     w->q->ns, w->q->type, a->id) >=
		    sizeof(v[n].key)) {
			free(v[n].name);
			for (j = 0; j < n; j++)
				free(v[j].name);
			free(v);
			return ctl_err("%s/%s: the key is too long",
				       w->q->type, a->id);
		}
		n++;
	}
	for (j = 0; j < w->n_wn; j++)
		free(w->wn[j].name);
	free(w->wn);
	w->wn = v;
	w->n_wn = n;
	return EXIT_OK;
nomem:
	for (j = 0; j < n; j++)
		free(v[j].name);
	free(v);
	return ctl_err("out of memory");
}

/*
 * Judge the nodes in scope (@fresh: only the fresh ones) by their status
 * keys at revision @rev (0: the latest), 128 a txn.  @quiet: an etcd
 * error is not said (the next poll tries again).
 */
static int wait_judge(struct fwatch *w, bool fresh, int64_t rev, bool quiet)
{
	struct etcd_op ops[ETCD_TXN_OPS];
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	struct wnode *in[ETCD_TXN_OPS];
	struct fleet *f = w->f;
	struct etcd_reply rep;
	char msg[ETCD_MSG_LEN];
	size_t i, off, k;
	int rc;

	for (off = 0; off < w->n_wn;) {
		for (k = 0; off < w->n_wn && k < ETCD_TXN_OPS; off++) {
			if (fresh && !w->wn[off].fresh)
				continue;
			in[k] = &w->wn[off];
			ops[k++] = (struct etcd_op){ .type = ETCD_OP_RANGE,
						     .key = w->wn[off].key,
						     .revision = rev };
		}
		if (!k)
			break;
		r.txn.success = ops;
		r.txn.n_success = k;
		if (quiet)
			rc = etcd_call(f->e, &r, &rep, msg, sizeof(msg)) ?
			     EXIT_FAIL : EXIT_OK;
		else
			rc = call(f, &r, &rep);
		if (rc)
			return rc;
		for (i = 0; i < k && i < rep.n_responses; i++) {
			judge(f, w->q, in[i], rep.responses[i].n_kvs ?
			      rep.responses[i].kvs[0].value : NULL);
			in[i]->fresh = false;
			/* etcd's header has its revision now, not @rev. */
			in[i]->rev = rev ?: rep.hdr.revision;
		}
		etcd_reply_free(&rep);
	}
	wait_check(w);
	return EXIT_OK;
}

/* wait: the scope and each node's status key at the list's revision. */
static int wait_listed(struct fwatch *w)
{
	return wait_scope(w) ?: wait_judge(w, false, w->f->rev, false);
}

/*
 * wait, between the stream's messages: while a node in scope is not
 * live or none is in scope yet, read nodes/ again once a second (the
 * status watch says nothing of liveness): a node that registers or
 * comes back is taken in, then judged at the latest revision (its older
 * events are then not judged again).  An etcd error: the next second.
 */
static void wait_tick(struct fwatch *w)
{
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = w->f->nodes_key,
			.prefix = true },
	};
	struct fleet *f = w->f;
	struct etcd_reply rep;
	char msg[ETCD_MSG_LEN];
	size_t i;

	for (i = 0; i < w->n_wn && w->wn[i].live && !w->wn[i].fresh; i++)
		;
	if ((w->n_wn && i == w->n_wn) || ctl_now_ms() < w->poll_ms)
		return;
	w->poll_ms = ctl_now_ms() + 1000;
	if (etcd_call(f->e, &r, &rep, msg, sizeof(msg)))
		return;
	nodes_free(f);
	if (add_registrations(f, &rep) || wait_scope(w))
		w->rc = EXIT_FAIL;	/* out of memory, said */
	else
		wait_judge(w, true, 0, true);	/* or fresh: again */
	etcd_reply_free(&rep);
}

/* wait: an event of a node in scope judges it again. */
static int wait_event(struct fwatch *w, const struct qev *e,
		      const char *node, size_t len, const char *rest)
{
	size_t i;

	(void)node;
	(void)len;
	(void)rest;
	for (i = 0; i < w->n_wn; i++) {
		if (strcmp(w->wn[i].key, e->key))
			continue;
		if (e->rev <= w->wn[i].rev)
			break;		/* judged as of a later revision */
		judge(w->f, w->q, &w->wn[i], e->kind == '-' ? NULL : e->doc);
		wait_check(w);
		break;
	}
	return 0;
}

static const struct follower wait_ops = {
	.listed = wait_listed, .event = wait_event, .tick = wait_tick,
};

/*
 * Until each node in scope has the condition, or the timeout: the list
 * at one revision, then the watch after it (follow()).
 */
static int fleet_wait(struct fleet *f)
{
	const struct cosictl_args *a = f->x->a;
	struct cosi_definitions builtin = { 0 };
	struct query q = { 0 };
	struct fwatch w = { .f = f, .q = &q, .ops = &wait_ops };
	char cbuf[300], dur[32], list[2048];
	size_t i, bad, off;
	int rc;

	rc = resolve(f, &q, &builtin);
	if (rc)
		goto out;
	if (!q.ns) {
		rc = ctl_err("wait %s --etcd: the type is not known here: give -n NS",
			     q.type);
		goto out;
	}
	if (q.def && a->wait_for == COSICTL_FOR_FIELD &&
	    ctl_wait_check_field(q.def, a->for_field)) {
		rc = EXIT_FAIL;
		goto out;
	}
	rc = follow(&w, ctl_now_ms() + (a->timeout_ms > 0 ? a->timeout_ms : 0));
	if (rc)
		goto out;
	if (!w.n_wn) {
		rc = ctl_err("wait %s/%s: no registered node%s%s in cluster %s",
			     q.type, a->id, a->group ? " in group " : "",
			     a->group ?: "", f->cluster);
		goto out;
	}
	for (bad = 0, i = 0; i < w.n_wn; i++)
		bad += !wn_met(&w.wn[i]);
	if (!bad) {
		printf("%s/%s condition met on %zu node%s\n", q.type, a->id,
		       w.n_wn, w.n_wn == 1 ? "" : "s");
		goto out;
	}
	for (off = 0, i = 0; i < w.n_wn && off < sizeof(list); i++)
		if (!wn_met(&w.wn[i]))
			off += snprintf(list + off, sizeof(list) - off,
					"%s%s (%s)", off ? ", " : "",
					w.wn[i].name, w.wn[i].live ?
					w.wn[i].why : "not live");
	cosictl_fmt_duration(a->timeout_ms > 0 ? a->timeout_ms : 0, dur,
			     sizeof(dur));
	rc = ctl_err("wait %s/%s: %s%s waiting for %s on %zu of %zu nodes: %s",
		     q.type, a->id, cosictl_stop ? "interrupted" :
		     "timed out after ", cosictl_stop ? "" : dur,
		     ctl_wait_cond(a, cbuf, sizeof(cbuf)), bad, w.n_wn, list);
out:
	for (i = 0; i < w.n_wn; i++)
		free(w.wn[i].name);
	free(w.wn);
	cosi_definitions_clear(&builtin);
	return rc;
}

static int fleet_run(struct ctl *x, bool wait)
{
	const struct cosictl_args *a = x->a;
	struct fleet f = { .x = x, .cluster = a->cluster ?: "default" };
	bool nodes = !wait && !strcasecmp(a->type, "nodes");
	int rc;

	if (cosi_resolve_is_definitions(a->type))
		return ctl_err("%s %s --etcd: definitions are per node (get them on a node)",
			       wait ? "wait" : "get", a->type);
	if (nodes && a->id)
		return ctl_err("get nodes --etcd takes no id (use --node N)");
	rc = cosictl_fleet_names(a, f.cluster);
	if (rc)
		return rc;
	rc = cosictl_fleet_connect(a, &f.e);
	if (rc)
		return rc;
	snprintf(f.status, sizeof(f.status), "/cosi/%s/status/", f.cluster);
	snprintf(f.nodes_key, sizeof(f.nodes_key), "/cosi/%s/nodes/",
		 f.cluster);
	f.now = time(NULL);
	if (wait)
		rc = fleet_wait(&f);
	else if (nodes)
		rc = load_nodes(&f, true) ?: print_nodes(&f);
	else if (a->watch || a->cmd == COSICTL_WATCH)
		rc = watch_statuses(&f);
	else
		rc = get_statuses(&f);
	nodes_free(&f);
	etcd_free(f.e);
	return rc;
}

int cmd_fleet_get(struct ctl *x)
{
	return fleet_run(x, false);
}

int cmd_fleet_wait(struct ctl *x)
{
	return fleet_run(x, true);
}
