// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl apply/delete --etcd: the fleet's write side
 * (Documentation/fleet.rst).
 *
 *   apply -f FILE... (--all-nodes | --group G | --node N)
 *   delete TYPE ID | -f FILE (--all-nodes | --group G | --node N)
 *   delete node NAME   retire a node: its registration and statuses
 *
 * Each document goes to /cosi/<c>/desired/{all,groups/<g>,nodes/<n>}/
 * <ns>/<type>/<id> as the JSON document cosid's fleet pull reads (the
 * manifest form of cosictl get -o json: metadata namespace, type, id,
 * labels, annotations, and the spec).  Everything is checked before
 * anything is written: a document that does not parse, is not a config
 * type in namespace "config" (what cosid accepts), is over 60 KiB, is
 * over the limits cosid applies it under (cosi_fleet_doc_check(): its
 * id's length, its labels and annotations with cosid's), or names a key
 * twice, and nothing is written.
 *
 * The conflict rule: each key is read first, then written in one txn
 * whose compares are every key's mod_revision as read (0: absent).  A
 * writer that changed any of them in between makes the txn fail: nothing
 * is written, the changed key is named, exit 1.  Over ETCD_TXN_OPS (128)
 * keys, one txn per 128: each is all or nothing, a later one failing
 * leaves the earlier ones written (said in the error).  A document whose
 * key holds the same bytes is "unchanged" and not written (no revision).
 *
 * delete node NAME: one txn that holds only if the node's live key
 * (nodes/NAME/live, under its lease) is absent deletes nodes/NAME and
 * the prefix status/NAME/; a live node is refused (stop cosid on it
 * first, or let its lease expire).  Its desired keys stay.  An
 * administrator's act: the node and operator roles may not do it.
 *
 * Blocking: one etcd client without a loop of its own (etcd_call()).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/etcd.h"
#include "common/fleet_check.h"
#include "common/fleet_name.h"
#include "common/manifest.h"
#include "common/resolve.h"
#include "controllers/types.h"
#include "cosictl/cosictl.h"
#include "cosictl/fleet.h"
#include "cosictl/render.h"

struct wctx {
	struct ctl *x;
	struct etcd *e;
	const char *cluster;
	char prefix[256];	/* /cosi/<c>/desired/<scope>/ */
	struct cosi_definitions builtin;
	const struct cosi_definitions *defs;
	struct fleet_write *v;
	size_t n;
	bool said;		/* delete -f: a document's error is printed */
};

/*
 * The fleet takes cosid's config types only, checked by cosid's own
 * definitions: not this machine's kernel's, which may hold other types
 * (and not cosid's) on an operator's workstation.
 */
static int load_defs(struct wctx *w)
{
	if (cosid_builtin_definitions(&w->builtin))
		return ctl_err("out of memory");
	w->defs = &w->builtin;
	return EXIT_OK;
}

/* What cosid's fleet pull accepts (cosid/fleet.c check_doc()). */
static int check_fleet_type(const char *what, const char *ns,
			    const char *type)
{
	size_t i;

	if (strcmp(ns, COSI_FLEET_NS))
		return ctl_err("%s: namespace %s: the fleet writes namespace %s only",
			       what, ns, COSI_FLEET_NS);
	for (i = 0; cosid_config_types[i]; i++)
		if (!strcmp(cosid_config_types[i], type))
			return EXIT_OK;
	return ctl_err("%s: %s is not a config type (cosid applies only those from etcd)",
		       what, type);
}

static int add_key(struct wctx *w, const char *what, const char *ns,
		   const char *type, const char *id, char *value)
{
	struct fleet_write *v;
	char *key;
	size_t i;

	if (check_fleet_type(what, ns, type)) {
		free(value);
		return EXIT_FAIL;
	}
	if (asprintf(&key, "%s%s/%s/%s", w->prefix, ns, type, id) < 0) {
		free(value);
		return ctl_err("out of memory");
	}
	for (i = 0; i < w->n; i++) {
		if (strcmp(w->v[i].key, key))
			continue;
		ctl_err("%s: %s/%s is given twice", what, type, id);
		free(key);
		free(value);
		return EXIT_FAIL;
	}
	v = realloc(w->v, (w->n + 1) * sizeof(*v));
	if (!v) {
		free(key);
		free(value);
		return ctl_err("out of memory");
	}
	w->v = v;
	memset(&v[w->n], 0, sizeof(*v));
	v[w->n].key = key;
	v[w->n].value = value;
	v[w->n].label = strdup(what);
	w->n++;
	return v[w->n - 1].label ? EXIT_OK : ctl_err("out of memory");
}

/* "FILE: document N (TYPE/ID)", whole however long the id (free() it). */
static char *doc_label(const char *file, size_t index, const char *type,
		       const char *id)
{
	char *s;

	return asprintf(&s, "%s: document %zu (%s/%s)", file, index, type,
			id) < 0 ? NULL : s;
}

/* The document as cosid reads it: the manifest form, on one line. */
static char *doc_json(const struct cosi_doc *d)
{
	struct cosi_resource r = {
		.ns = d->ns, .type = d->type, .id = d->id,
		.labels = d->labels, .annotations = d->annotations,
		.has_spec = d->has_spec, .spec = d->spec,
	};
	struct json_object *o = cosi_json_resource(&r, NULL,
						   COSI_RENDER_MANIFEST);
	char *s;

	if (!o)
		return NULL;
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int apply_docs(struct wctx *w)
{
	const struct cosictl_args *a = w->x->a;
	struct cosi_docs docs;
	char *what, msg[1024], *val;
	size_t f, i;
	int rc = EXIT_OK;

	for (f = 0; !rc && f < a->n_files; f++) {
		if (cosi_manifest_parse(w->x->buf[f], w->x->len[f],
					ctl_file_name(a->files[f]), w->defs,
					&docs, msg, sizeof(msg)))
			return ctl_err("%s", msg);
		for (i = 0; !rc && i < docs.n; i++) {
			struct cosi_doc *d = &docs.v[i];

			what = doc_label(ctl_file_name(a->files[f]), d->index,
					 d->type, d->id);
			val = what ? doc_json(d) : NULL;
			if (!val)
				rc = ctl_err("out of memory");
			else if (strlen(val) > COSI_FLEET_VALUE_MAX)
				rc = ctl_err("%s: %zu bytes as JSON, over %d (what cosid takes)",
					     what, strlen(val),
					     COSI_FLEET_VALUE_MAX);
			else if (cosi_fleet_doc_check(d, msg, sizeof(msg)))
				rc = ctl_err("%s: %s (cosid would skip it)",
					     what, msg);
			if (rc)
				free(val);
			else
				rc = add_key(w, what, d->ns, d->type, d->id,
					     val);
			free(what);
		}
		cosi_docs_clear(&docs);
	}
	return rc;
}

static int ref_key(const struct cosi_ref *ref, const char *err, void *arg)
{
	struct wctx *w = arg;
	char *what;
	int rc;

	w->said = true;
	if (!ref)
		return ctl_err("%s", err) ? -EINVAL : 0;
	what = doc_label(ctl_file_name(w->x->a->file), ref->index, ref->type,
			 ref->id);
	rc = what ? add_key(w, what, ref->ns, ref->type, ref->id, NULL) :
		    ctl_err("out of memory");
	free(what);
	if (rc)
		return -EINVAL;
	w->said = false;
	return 0;
}

static int delete_keys(struct wctx *w)
{
	const struct cosictl_args *a = w->x->a;
	const struct cosi_definition *def;
	char msg[512] = "", *what;
	const char *ns;
	int err, rc;

	if (a->file) {
		err = cosi_manifest_refs(w->x->buf[0], w->x->len[0],
					 ctl_file_name(a->file), w->defs,
					 ref_key, w, msg, sizeof(msg));
		if (err && w->said)
			return EXIT_FAIL;	/* said by ref_key */
		return err ? ctl_err("%s", msg) : EXIT_OK;
	}
	if (cosi_resolve_type(w->defs, a->type, &def, msg, sizeof(msg)))
		return ctl_err("%s", msg);
	ns = a->ns ?: cosi_resolve_default_ns(def);
	if (asprintf(&what, "%s/%s", def->type, a->id) < 0)
		return ctl_err("out of memory");
	rc = add_key(w, what, ns, def->type, a->id, NULL);
	free(what);
	return rc;
}

/* Read every key's value and mod_revision (absent: 0). */
static int read_keys(struct wctx *w)
{
	struct etcd_request r = { .type = ETCD_REQ_KV };
	struct etcd_reply rep;
	char msg[ETCD_MSG_LEN];
	size_t i;
	int err;

	for (i = 0; i < w->n; i++) {
		r.op.type = ETCD_OP_RANGE;
		r.op.key = w->v[i].key;
		err = etcd_call(w->e, &r, &rep, msg, sizeof(msg));
		if (err)
			return cosictl_fleet_err(w->x->a, w->e, err, "read",
						 w->v[i].key, false, msg);
		if (rep.n_kvs) {
			w->v[i].mod_revision = rep.kvs[0].mod_revision;
			w->v[i].unchanged = w->v[i].value &&
				!strcmp(rep.kvs[0].value, w->v[i].value);
		}
		etcd_reply_free(&rep);
	}
	return EXIT_OK;
}

/*
 * A later txn failed: what the ones before key @off wrote, for the
 * message (they are not undone).
 */
static void written_before(const struct wctx *w, size_t off, bool del,
			   char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < off; i++)
		n += !(w->v[i].unchanged || (del && !w->v[i].mod_revision));
	if (off)
		snprintf(buf, len, "; the earlier txns %s %zu key%s (the first %zu of %zu documents are done)",
			 del ? "deleted" : "wrote", n, n == 1 ? "" : "s", off,
			 w->n);
}

static int write_keys(struct wctx *w, bool del)
{
	const struct cosictl_args *a = w->x->a;
	char msg[1024], why[1400], done[160];
	size_t i, off, k, failed = 0;
	bool any;
	int err;

	for (i = 0; del && i < w->n; i++) {
		if (w->v[i].mod_revision || a->ignore_not_found)
			continue;
		return ctl_err("%s: %s: not found (nothing deleted)",
			       w->v[i].label, w->v[i].key);
	}
	for (off = 0; off < w->n; off += k) {
		k = w->n - off < ETCD_TXN_OPS ? w->n - off : ETCD_TXN_OPS;
		for (any = false, i = off; i < off + k; i++)
			any = any || !(w->v[i].unchanged ||
				       (del && !w->v[i].mod_revision));
		if (!any)
			continue;
		err = cosictl_fleet_commit(w->e, w->v + off, k, &failed, msg,
					   sizeof(msg));
		if (err == -ESTALE) {
			written_before(w, off, del, done, sizeof(done));
			return ctl_err("%s: nothing written%s%s", msg,
				       off ? " by this txn" : "", done);
		}
		if (err) {
			written_before(w, off, del, done, sizeof(done));
			cosictl_fleet_explain(a, w->e, err,
					      del ? "delete" : "write",
					      w->prefix, true, msg, why,
					      sizeof(why));
			return ctl_err("%s%s", why, done);
		}
	}
	for (i = 0; i < w->n; i++) {
		const struct fleet_write *v = &w->v[i];
		/* <type>/<id>, as local apply prints (the ns is the fleet's) */
		const char *rest = strchr(v->key + strlen(w->prefix), '/') + 1;

		if (del && !v->mod_revision)
			continue;	/* --ignore-not-found: silent */
		printf("%s %s\n", rest,
		       del ? "deleted" :
		       v->unchanged ? "unchanged" :
		       v->mod_revision ? "configured" : "created");
	}
	return EXIT_OK;
}

/*
 * apply --node N of a node not registered (yet, or a typo): a note, not
 * an error (a node may be set up before it first starts).  Best effort:
 * a registration the user may not read says nothing.
 */
static void note_unregistered(const struct wctx *w)
{
	const struct cosictl_args *a = w->x->a;
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .keys_only = true },
	};
	struct etcd_reply rep;
	char key[256], msg[ETCD_MSG_LEN];

	snprintf(key, sizeof(key), "/cosi/%s/nodes/%s", w->cluster, a->node);
	r.op.key = key;
	if (etcd_call(w->e, &r, &rep, msg, sizeof(msg)))
		return;
	if (!rep.n_kvs)
		fprintf(stderr, "cosictl: note: node %s is not registered in cluster %s: written, applied when a cosid --node %s starts\n",
			a->node, w->cluster, a->node);
	etcd_reply_free(&rep);
}

/* delete node NAME --etcd: retire a node that is not live. */
static int delete_node(struct ctl *x, const char *cluster)
{
	const struct cosictl_args *a = x->a;
	char reg[256], live[300], status[300], msg[ETCD_MSG_LEN];
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	struct etcd_cmp cmp;
	struct etcd_op ops[2];
	struct etcd_reply rep;
	struct etcd *e;
	int64_t n = 0;
	size_t i;
	int rc, err;

	if (cosi_fleet_name_check("node", a->id, msg, sizeof(msg))) {
		ctl_err("%s", msg);
		return EXIT_USAGE;
	}
	snprintf(reg, sizeof(reg), "/cosi/%s/nodes/%s", cluster, a->id);
	snprintf(live, sizeof(live), "%s/live", reg);
	snprintf(status, sizeof(status), "/cosi/%s/status/%s/", cluster,
		 a->id);
	/* Live as get nodes says it: the live key under a lease. */
	cmp = (struct etcd_cmp){ .key = live, .target = ETCD_CMP_LEASE,
				 .result = ETCD_CMP_EQUAL, .value = 0 };
	ops[0] = (struct etcd_op){ .type = ETCD_OP_DELETE, .key = reg };
	ops[1] = (struct etcd_op){ .type = ETCD_OP_DELETE, .key = status,
				   .prefix = true };
	r.txn.cmp = &cmp;
	r.txn.n_cmp = 1;
	r.txn.success = ops;
	r.txn.n_success = 2;
	rc = cosictl_fleet_connect(a, &e);
	if (rc)
		return rc;
	err = etcd_call(e, &r, &rep, msg, sizeof(msg));
	if (err) {
		rc = cosictl_fleet_err(a, e, err, "delete", status, true, msg);
		etcd_free(e);
		return rc;
	}
	for (i = 0; i < rep.n_responses; i++)
		n += rep.responses[i].count;
	if (!rep.succeeded)
		rc = ctl_err("delete node %s: the node is live (%s exists under its lease): stop cosid on it first",
			     a->id, live);
	else if (!n && !a->ignore_not_found)
		rc = ctl_err("delete node %s: not found in cluster %s (nothing deleted)",
			     a->id, cluster);
	else if (n)
		printf("node %s deleted (its registration and statuses, %lld key%s)\n",
		       a->id, (long long)n, n == 1 ? "" : "s");
	etcd_reply_free(&rep);
	etcd_free(e);
	return rc;
}

int cmd_fleet_write(struct ctl *x)
{
	const struct cosictl_args *a = x->a;
	struct wctx w = { .x = x, .cluster = a->cluster ?: "default" };
	bool del = a->cmd == COSICTL_DELETE;
	size_t i;
	int rc;

	rc = cosictl_fleet_names(a, w.cluster);
	if (rc)
		return rc;
	if (del && !a->file && cosictl_is_nodes(a->type))
		return delete_node(x, w.cluster);
	snprintf(w.prefix, sizeof(w.prefix), "/cosi/%s/desired/%s%s%s/",
		 w.cluster, a->node ? "nodes/" : a->group ? "groups/" : "all",
		 a->node ?: a->group ?: "", "");
	rc = load_defs(&w) ?: del ? delete_keys(&w) : apply_docs(&w);
	if (rc)
		goto out;
	if (!w.n) {
		fprintf(stderr, "cosictl: note: no documents: nothing to write\n");
		goto out;
	}
	rc = cosictl_fleet_connect(a, &w.e);
	if (rc)
		goto out;
	rc = read_keys(&w) ?: write_keys(&w, del);
	if (!rc && !del && a->node)
		note_unregistered(&w);
out:
	for (i = 0; i < w.n; i++) {
		free(w.v[i].key);
		free(w.v[i].value);
		free(w.v[i].label);
	}
	free(w.v);
	if (w.e)
		etcd_free(w.e);
	cosi_definitions_clear(&w.builtin);
	return rc;
}
