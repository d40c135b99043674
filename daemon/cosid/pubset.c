// SPDX-License-Identifier: GPL-2.0
/*
 * The publish set of fleet mode (publish.c): per etcd key of the node's
 * statuses, what etcd holds (as far as cosid knows) and what the node
 * holds, and so the writes still to do.  No I/O: etcd and the kernel are
 * publish.c's; cosid_host tests this.
 *
 * An entry is dirty when the two sides differ: a put of the node's
 * latest document (latest wins: one pending write per key however many
 * changes came), or a delete when the node no longer holds the key.  The
 * comparison is on the "compare form" the caller gives (publish.c: the
 * document without the fields that change with every kernel write), so a
 * change of nothing else writes nothing.
 *
 * Lifetime: entries live in the set's hash chains and are freed by
 * cosid_pubset_done() / _gone() / _reset() when neither side holds the
 * key and no write of it is in flight; the set owns every string.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cosid/cosid.h"

struct pub_entry {
	struct pub_entry *next;		/* hash chain */
	char *key;
	char *last;		/* compare form etcd holds; NULL: no key */
	char *doc, *cmp;	/* the node's document, while local */
	char *sent;		/* in flight: the compare form written */
	uint64_t gen, sent_gen;	/* changes of the node's side */
	bool local;		/* the node holds the key */
	bool dirty;
	bool flight;
};

struct cosid_pubset {
	struct pub_entry **b;		/* buckets, a power of two */
	size_t nb, n;
	size_t pending;			/* dirty entries */
	struct pub_entry **fl;		/* the batch in flight */
	size_t n_fl;
	size_t n_local, local_bytes;	/* local keys, their keys and docs */
	size_t max_keys, max_bytes;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

struct cosid_pubset *cosid_pubset_new(void)
{
	struct cosid_pubset *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->nb = 64;
	p->max_keys = COSID_PUB_KEYS_DEFAULT;
	p->max_bytes = COSID_PUB_BYTES_DEFAULT;
	p->b = calloc(p->nb, sizeof(*p->b));
	p->fl = calloc(COSID_PUB_TXN_OPS, sizeof(*p->fl));
	if (!p->b || !p->fl) {
		free(p->b);
		free(p->fl);
		free(p);
		return NULL;
	}
	return p;
}

static void entry_free(struct pub_entry *e)
{
	free(e->key);
	free(e->last);
	free(e->doc);
	free(e->cmp);
	free(e->sent);
	free(e);
}

void cosid_pubset_free(struct cosid_pubset *p)
{
	struct pub_entry *e, *nx;
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nb; i++)
		for (e = p->b[i]; e; e = nx) {
			nx = e->next;
			entry_free(e);
		}
	free(p->b);
	free(p->fl);
	free(p);
}

void cosid_pubset_limit(struct cosid_pubset *p, size_t keys, size_t bytes)
{
	p->max_keys = keys;
	p->max_bytes = bytes;
}

static size_t local_size(const struct pub_entry *e)
{
	return strlen(e->key) + strlen(e->doc);
}

/* @e is no longer the node's (its doc is freed by set_dirty()). */
static void unlocal(struct cosid_pubset *p, struct pub_entry *e)
{
	if (!e->local)
		return;
	p->n_local--;
	p->local_bytes -= local_size(e);
	e->local = false;
}

static struct pub_entry **slot(struct cosid_pubset *p, const char *key)
{
	struct pub_entry **s = &p->b[hash(key) & (p->nb - 1)];

	while (*s && strcmp((*s)->key, key))
		s = &(*s)->next;
	return s;
}

static void grow(struct cosid_pubset *p)
{
	struct pub_entry **nb, *e, *nx;
	size_t i, n = p->nb * 2;

	nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;		/* longer chains, still correct */
	for (i = 0; i < p->nb; i++)
		for (e = p->b[i]; e; e = nx) {
			nx = e->next;
			e->next = nb[hash(e->key) & (n - 1)];
			nb[hash(e->key) & (n - 1)] = e;
		}
	free(p->b);
	p->b = nb;
	p->nb = n;
}

static struct pub_entry *get(struct cosid_pubset *p, const char *key)
{
	struct pub_entry **s = slot(p, key), *e;

	if (*s)
		return *s;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = strdup(key))) {
		free(e);
		return NULL;
	}
	*s = e;
	if (++p->n > p->nb * 2)
		grow(p);
	return e;
}

static void set_dirty(struct cosid_pubset *p, struct pub_entry *e, bool d)
{
	if (e->dirty != d)
		p->pending += d ? 1 : -1;
	e->dirty = d;
	if (!e->local) {
		free(e->doc);
		free(e->cmp);
		e->doc = e->cmp = NULL;
	}
}

/* Drop @e when nothing holds it any more. */
static void maybe_drop(struct cosid_pubset *p, struct pub_entry *e)
{
	struct pub_entry **s;

	if (e->local || e->last || e->dirty || e->flight)
		return;
	s = slot(p, e->key);
	*s = e->next;
	p->n--;
	entry_free(e);
}

/* What the node's side is now: dirty or not. */
static void settle(struct cosid_pubset *p, struct pub_entry *e)
{
	if (e->local)
		/* A write in flight may land anything: compare after it. */
		set_dirty(p, e, e->flight || !e->last || strcmp(e->last, e->cmp));
	else
		set_dirty(p, e, e->last || e->flight);
	maybe_drop(p, e);
}

int cosid_pubset_local(struct cosid_pubset *p, const char *key,
		       const char *doc, const char *cmp)
{
	struct pub_entry *e = get(p, key);
	size_t was = 0, sz = strlen(key) + strlen(doc);
	char *d, *c;

	if (!e)
		return -ENOMEM;
	if (e->local)
		was = local_size(e);
	if ((!e->local && p->n_local >= p->max_keys) ||
	    p->local_bytes - was + sz > p->max_bytes) {
		maybe_drop(p, e);	/* a new entry holding nothing */
		return -ENOSPC;
	}
	d = strdup(doc);
	c = strdup(cmp);
	if (!d || !c) {
		free(d);
		free(c);
		return -ENOMEM;
	}
	unlocal(p, e);
	free(e->doc);
	free(e->cmp);
	e->doc = d;
	e->cmp = c;
	e->local = true;
	p->n_local++;
	p->local_bytes += sz;
	e->gen++;
	settle(p, e);
	return 0;
}

void cosid_pubset_gone(struct cosid_pubset *p, const char *key)
{
	struct pub_entry *e = *slot(p, key);

	if (!e)
		return;
	unlocal(p, e);
	e->gen++;
	settle(p, e);
}

/* Also after a failed write: nothing of either side is known then. */
void cosid_pubset_reset(struct cosid_pubset *p)
{
	struct pub_entry *e, *nx;
	size_t i;

	for (i = 0; i < p->nb; i++)
		for (e = p->b[i]; e; e = nx) {
			nx = e->next;
			free(e->last);
			free(e->sent);
			e->last = e->sent = NULL;
			unlocal(p, e);
			e->flight = false;
			set_dirty(p, e, false);
			maybe_drop(p, e);
		}
	p->n_fl = 0;
}

int cosid_pubset_remote(struct cosid_pubset *p, const char *key,
			const char *cmp)
{
	struct pub_entry *e = get(p, key);
	char *c = strdup(cmp);

	if (!e || !c) {
		free(c);
		return -ENOMEM;
	}
	free(e->last);
	e->last = c;
	settle(p, e);
	return 0;
}

size_t cosid_pubset_pending(const struct cosid_pubset *p)
{
	return p->pending;
}

size_t cosid_pubset_batch(struct cosid_pubset *p, struct cosid_pub_op *ops,
			  size_t max_ops, size_t max_bytes,
			  struct cosid_pub_skip *skip)
{
	struct pub_entry *e, *nx;
	size_t i, n = 0, bytes = 0, sz;

	if (p->n_fl)
		return 0;	/* one batch at a time */
	if (!max_ops || max_ops > COSID_PUB_TXN_OPS)
		max_ops = COSID_PUB_TXN_OPS;
	for (i = 0; i < p->nb && n < max_ops; i++) {
		for (e = p->b[i]; e && n < max_ops; e = nx) {
			nx = e->next;
			if (!e->dirty || e->flight)
				continue;
			sz = strlen(e->key) + (e->local ? strlen(e->doc) : 0);
			if (e->local && sz > COSID_PUB_DOC_MAX) {
				/* etcd would refuse it: never stuck on it */
				skip->n++;
				snprintf(skip->key, sizeof(skip->key), "%s",
					 e->key);
				skip->bytes = sz;
				unlocal(p, e);
				if (!e->last) {
					settle(p, e);	/* dropped */
					continue;
				}
				/* etcd's older value goes: it would mislead. */
				set_dirty(p, e, true);
				sz = strlen(e->key);
			}
			if (n && bytes + sz > max_bytes)
				goto out;	/* the next batch's */
			bytes += sz;
			ops[n].key = e->key;
			ops[n].doc = e->local ? e->doc : NULL;
			ops[n].doc_len = e->local ? strlen(e->doc) : 0;
			free(e->sent);
			e->sent = NULL;
			if (e->local && !(e->sent = strdup(e->cmp)))
				goto out;	/* ENOMEM: later */
			e->sent_gen = e->gen;
			e->flight = true;
			p->fl[n++] = e;
		}
	}
out:
	p->n_fl = n;
	return n;
}

void cosid_pubset_done(struct cosid_pubset *p, bool ok)
{
	struct pub_entry *e;
	size_t i;

	for (i = 0; i < p->n_fl; i++) {
		e = p->fl[i];
		e->flight = false;
		if (ok) {
			free(e->last);
			e->last = e->sent;
			e->sent = NULL;
		}
		if (e->sent_gen != e->gen || !ok) {
			settle(p, e);	/* changed meanwhile: compare */
		} else {
			set_dirty(p, e, false);
			maybe_drop(p, e);
		}
	}
	p->n_fl = 0;
}
