// SPDX-License-Identifier: GPL-2.0
/*
 * view_check: a watcher of one resource type through libcosi's resumable
 * stream that keeps what it has seen (id -> version), then proves that
 * view right.  Run by tests/stress/churn.sh, one fast and one slow (it
 * sleeps on every event and has a small receive buffer, so it overflows
 * and must resume or bootstrap again).
 *
 *   view_check [--name NAME] [--ns NS] [--type TYPE] [--slow-us N]
 *              [--rcvbuf BYTES] [--quiet-ms N] [--min-resumes N]
 *              [--links] [--ready FILE]
 *
 * It watches until SIGUSR1 (or SIGTERM), then keeps reading until the
 * stream has been quiet for --quiet-ms, and compares its view with a
 * fresh list: every id with the same version (no lost, no phantom, no
 * stale resource).  With --links it also compares the ids with the
 * kernel's links (rtnetlink dump).  A mismatch is looked at again after
 * more events for a few seconds before it counts: the writer may still
 * be catching up.  Prints the mismatches, then one summary line:
 *
 *   view_check NAME: ids=N events=N resumes=N bootstraps=N vanished=N
 *   lost_ids=N missing=N phantom=N stale=N kernel_missing=N kernel_extra=N
 *
 * Exit status 0 when nothing mismatches and resumes >= --min-resumes.
 */
#include <errno.h>
#include <getopt.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "cosi.h"

#define SHOW_MAX	10	/* mismatches printed per kind */
#define RECHECK_MS	10000	/* how long a mismatch may take to heal */

struct vc_entry {
	char *id;
	uint64_t version;
	bool marked;		/* seen in the reference set */
};

struct opts {
	const char *name;
	const char *ns;
	const char *type;
	long slow_us;
	int rcvbuf;
	long quiet_ms;
	unsigned long min_resumes;
	bool links;
	const char *ready;
};

struct counts {
	unsigned long missing, phantom, stale, kmissing, kextra;
};

static volatile sig_atomic_t stop;
static void *view;			/* tsearch() tree of struct vc_entry */
static size_t view_n;
static const struct opts *o;

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vc_entry *)a)->id,
		      ((const struct vc_entry *)b)->id);
}

static void entry_free(void *p)
{
	struct vc_entry *e = p;

	free(e->id);
	free(e);
}

static struct vc_entry *view_find(const char *id)
{
	struct vc_entry key = { .id = (char *)id };
	struct vc_entry **e = tfind(&key, &view, entry_cmp);

	return e ? *e : NULL;
}

static void view_set(const char *id, uint64_t version)
{
	struct vc_entry *e = view_find(id);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->id = strdup(id))) {
			fprintf(stderr, "view_check: out of memory\n");
			exit(2);
		}
		tsearch(e, &view, entry_cmp);
		view_n++;
	}
	e->version = version;
}

static void view_del(const char *id)
{
	struct vc_entry *e = view_find(id);

	if (!e)
		return;
	tdelete(e, &view, entry_cmp);
	entry_free(e);
	view_n--;
}

static void on_event(struct cosi_event *ev, void *arg)
{
	(void)arg;
	switch (ev->kind) {
	case COSI_EVENT_KIND_CREATED:
	case COSI_EVENT_KIND_UPDATED:
		view_set(ev->res->id, ev->res->version);
		break;
	case COSI_EVENT_KIND_DESTROYED:
		view_del(ev->res->id);
		break;
	}
	cosi_event_free(ev);
	if (o->slow_us)
		usleep(o->slow_us);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Read events until none came for @quiet ms; <0 when the stream broke. */
static int drain(struct cosi_stream *s, long quiet)
{
	long last = now_ms();
	int n;

	while (now_ms() - last < quiet) {
		n = cosi_stream_dispatch(s, 100);
		if (n < 0)
			return n;
		if (n > 0)
			last = now_ms();
	}
	return 0;
}

/* What walk_unmarked() counts: view entries no reference marked. */
static __thread unsigned long *walk_count;
static __thread const char *walk_label;		/* NULL: do not print */

static void walk_unmarked(const void *node, VISIT which, int depth)
{
	struct vc_entry *e = *(struct vc_entry *const *)node;

	(void)depth;
	if (which != postorder && which != leaf)
		return;
	if (!e->marked) {
		if (walk_label && *walk_count < SHOW_MAX)
			printf("# %s: %s %s (version %llu)\n", o->name,
			       walk_label, e->id,
			       (unsigned long long)e->version);
		(*walk_count)++;
	}
	e->marked = false;
}

static void count_unmarked(unsigned long *count, const char *label,
			   bool print)
{
	walk_count = count;
	walk_label = print ? label : NULL;
	twalk(view, walk_unmarked);
}

static void walk_clear(const void *node, VISIT which, int depth)
{
	(void)depth;
	if (which == postorder || which == leaf)
		(*(struct vc_entry *const *)node)->marked = false;
}

/* Compare the view with a fresh list of the store. */
static int compare_store(struct cosi *c, struct counts *k, bool print)
{
	COSI_OPTS(cosi_list_req, q, .ns = o->ns, .type = o->type);
	struct cosi_resources l = { 0 };
	struct vc_entry *e;
	size_t i;
	int err;

	err = cosi_resource_list(c, &q, &l);
	if (err) {
		fprintf(stderr, "view_check: %s\n",
			cosi_strerror(c, "resource-list"));
		return err;
	}
	twalk(view, walk_clear);
	for (i = 0; i < l.n; i++) {
		e = view_find(l.v[i]->id);
		if (!e) {
			if (print && k->missing < SHOW_MAX)
				printf("# %s: missing %s (version %llu)\n",
				       o->name, l.v[i]->id,
				       (unsigned long long)l.v[i]->version);
			k->missing++;
			continue;
		}
		e->marked = true;
		if (e->version != l.v[i]->version) {
			if (print && k->stale < SHOW_MAX)
				printf("# %s: stale %s (version %llu, store %llu)\n",
				       o->name, e->id,
				       (unsigned long long)e->version,
				       (unsigned long long)l.v[i]->version);
			k->stale++;
		}
	}
	count_unmarked(&k->phantom, "phantom", print);
	cosi_resources_clear(&l);
	return 0;
}

/* Compare the view's ids with the kernel's link names. */
static int compare_links(struct counts *k, bool print)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	const char *name;
	struct vc_entry *e;
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err) {
		fprintf(stderr, "view_check: link dump: %s\n", nl_geterror(err));
		nl_socket_free(sk);
		return -EIO;
	}
	twalk(view, walk_clear);
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		name = rtnl_link_get_name((struct rtnl_link *)obj);
		if (!name)
			continue;
		e = view_find(name);
		if (e) {
			e->marked = true;
			continue;
		}
		if (print && k->kmissing < SHOW_MAX)
			printf("# %s: link %s has no LinkStatus in the view\n",
			       o->name, name);
		k->kmissing++;
	}
	count_unmarked(&k->kextra, "not a link:", print);
	nl_cache_free(cache);
	nl_socket_free(sk);
	return 0;
}

static unsigned long total(const struct counts *k)
{
	return k->missing + k->phantom + k->stale + k->kmissing + k->kextra;
}

static int check(struct cosi *c, struct counts *k, bool print)
{
	int err;

	memset(k, 0, sizeof(*k));
	err = compare_store(c, k, print);
	if (!err && o->links)
		err = compare_links(k, print);
	return err;
}

static void parse(int argc, char **argv, struct opts *p)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "ns", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "slow-us", required_argument, NULL, 's' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "quiet-ms", required_argument, NULL, 'q' },
		{ "min-resumes", required_argument, NULL, 'm' },
		{ "links", no_argument, NULL, 'l' },
		{ "ready", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*p = (struct opts){
		.name = "view", .ns = "network",
		.type = "LinkStatuses.cosi.dev", .quiet_ms = 3000,
	};
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'N': p->name = optarg; break;
		case 'n': p->ns = optarg; break;
		case 't': p->type = optarg; break;
		case 's': p->slow_us = atol(optarg); break;
		case 'r': p->rcvbuf = atoi(optarg); break;
		case 'q': p->quiet_ms = atol(optarg); break;
		case 'm': p->min_resumes = strtoul(optarg, NULL, 10); break;
		case 'l': p->links = true; break;
		case 'R': p->ready = optarg; break;
		default:
			fprintf(stderr, "view_check: bad arguments (see the source's header)\n");
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	const struct cosi_stream_stats *st;
	struct opts opts;
	struct cosi *c, *lc;
	struct cosi_stream *s;
	struct sigaction sa;
	struct counts k;
	long deadline;
	int err, n;
	FILE *f;

	parse(argc, argv, &opts);
	o = &opts;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	c = cosi_open();
	lc = cosi_open();
	if (!c || !lc) {
		fprintf(stderr, "view_check: cosi_open: %s\n", strerror(errno));
		return 2;
	}
	if (o->rcvbuf && cosi_set_rcvbuf(c, o->rcvbuf)) {
		fprintf(stderr, "view_check: rcvbuf: %s\n", strerror(errno));
		return 2;
	}
	s = cosi_stream_new(c, on_event, NULL);
	if (!s)
		return 2;
	err = cosi_stream_add(s, o->ns, o->type, NULL);
	if (err) {
		fprintf(stderr, "view_check: %s\n", cosi_strerror(c, "watch"));
		return 2;
	}
	if (o->ready) {
		f = fopen(o->ready, "w");
		if (f)
			fclose(f);
	}
	while (!stop) {
		n = cosi_stream_dispatch(s, 200);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "view_check %s: stream: %s\n", o->name,
				strerror(-n));
			return 1;
		}
	}
	/* The churn is over: catch up, then compare until it heals. */
	err = drain(s, o->quiet_ms);
	deadline = now_ms() + RECHECK_MS;
	while (!err) {
		err = check(lc, &k, false);
		if (err || !total(&k) || now_ms() > deadline)
			break;
		err = drain(s, 1000);
	}
	if (!err && total(&k))
		err = check(lc, &k, true);
	if (err) {
		fprintf(stderr, "view_check %s: %s\n", o->name, strerror(-err));
		return 1;
	}
	st = cosi_stream_stats(s);
	printf("view_check %s: ids=%zu events=%llu resumes=%llu bootstraps=%llu vanished=%llu lost_ids=%llu missing=%lu phantom=%lu stale=%lu kernel_missing=%lu kernel_extra=%lu\n",
	       o->name, view_n, (unsigned long long)st->events,
	       (unsigned long long)st->resumes,
	       (unsigned long long)st->bootstraps,
	       (unsigned long long)st->vanished,
	       (unsigned long long)st->lost_ids, k.missing, k.phantom,
	       k.stale, k.kmissing, k.kextra);
	if (st->resumes < o->min_resumes)
		printf("# %s: %llu resumes, expected at least %lu\n", o->name,
		       (unsigned long long)st->resumes, o->min_resumes);
	err = total(&k) || st->resumes < o->min_resumes || st->lost_ids;
	cosi_stream_free(s);
	cosi_close(c);
	cosi_close(lc);
	tdestroy(view, entry_free);
	return err;
}
