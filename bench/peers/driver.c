// SPDX-License-Identifier: GPL-2.0
/*
 * The driver of the peer benchmarks (see driver.h and
 * Documentation/benchmarks-peers.rst).  Prints, for the system S:
 *
 *   RESULT 7 S get_rtt_p50|get_rtt_p99 <us> us   one get, one reply
 *   RESULT 7 S put_rtt_p50|put_rtt_p99 <us> us   one update, one reply
 *   RESULT 7 S puts <n> /s         new ids: one by one or the best of
 *                                  put_methods, whichever is faster
 *   RESULT 7 S put_watch_p50|p99 <us> us  update on CPU 0 -> event on CPU 1
 *   RESULT 7 S list <n> /s         entries/s listing LIST_N entries
 *   RESULT 3 S puts <n> /s         the same figure, for peers (not cosi)
 *
 *   peer_bench_S [-n SAMPLES] [-w WATCH-SAMPLES] [-t PUT-SECONDS]
 *                [-p MAX-PUTS] [-l LIST-ENTRIES]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

#define WARMUP		50
#define LIST_RUNS	5
#define CHUNK		1000	/* ids per put_many() call */

static const struct peer_ops *ops;
static int samples = 2000, watch_samples = 1000, list_n = 10000;
static double put_seconds = 5;
static long max_puts = 200000;

double peer_now_us(void)
{
	return now_ns() / 1e3;
}

static void result(int goal, const char *metric, double v, const char *unit)
{
	printf("RESULT %d %s %s %.*f %s\n", goal, ops->name, metric,
	       v >= 100 ? 0 : 1, v, unit);
	fflush(stdout);
}

static void result_pcts(const char *metric, double *v, int n)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_p50", metric);
	result(7, name, stats_pct(v, n, 0.50), "us");
	snprintf(name, sizeof(name), "%s_p99", metric);
	result(7, name, stats_pct(v, n, 0.99), "us");
}

/* A PEER_VAL_LEN-byte value numbered @i. */
static void value(char *buf, long i)
{
	int k = snprintf(buf, PEER_VAL_LEN + 1, "v%09ld-", i);

	memset(buf + k, 'x', PEER_VAL_LEN - k);
	buf[PEER_VAL_LEN] = '\0';
}

static int fail(const char *what)
{
	fprintf(stderr, "peer_bench_%s: %s failed\n", ops->name, what);
	return 1;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		printf("# %s: cannot pin a thread to CPU %d\n", ops->name, cpu);
}

static int bench_get(void *h, double *lat)
{
	char val[PEER_VAL_LEN + 1], got[PEER_VAL_LEN + 1];
	int i;

	value(val, 1);
	if (ops->create(h, "lat", "g", val))
		return fail("create");
	for (i = -WARMUP; i < samples; i++) {
		double t0 = peer_now_us();

		if (ops->get(h, "lat", "g", got, sizeof(got)))
			return fail("get");
		if (i >= 0)
			lat[i] = peer_now_us() - t0;
		if (strcmp(got, val))
			return fail("get (wrong value)");
	}
	result_pcts("get_rtt", lat, samples);
	return 0;
}

static int bench_put(void *h, double *lat)
{
	char val[PEER_VAL_LEN + 1];
	int i;

	value(val, 0);
	if (ops->create(h, "lat", "u", val))
		return fail("create");
	for (i = -WARMUP; i < samples; i++) {
		double t0;

		value(val, i + WARMUP + 1);
		t0 = peer_now_us();
		if (ops->update(h, "lat", "u", val))
			return fail("update");
		if (i >= 0)
			lat[i] = peer_now_us() - t0;
	}
	result_pcts("put_rtt", lat, samples);
	return 0;
}

static char **make_ids(const char *prefix, long n)
{
	char **ids = calloc(n, sizeof(*ids));
	long i;

	for (i = 0; ids && i < n; i++)
		if (asprintf(&ids[i], "%s%07ld", prefix, i) < 0)
			exit(fail("asprintf"));
	return ids;
}

static void free_ids(char **ids, long n)
{
	while (n--)
		free(ids[n]);
	free(ids);
}

/* One create per call: the baseline of the put methods (method -1). */
static int put_one_by_one(void *h, const char *ns, char *const *ids,
			  size_t n, const char *val)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ops->create(h, ns, ids[i], val))
			return -1;
	return 0;
}

/* New ids in chunks for put_seconds (or max_puts): their rate. */
static int bench_puts(void *h, int *best_method)
{
	char val[PEER_VAL_LEN + 1], prefix[16];
	double best = 0;
	int m;

	value(val, 7);
	for (m = -1; m < 0 || ops->put_methods[m]; m++) {
		const char *how = m < 0 ? "one create per call"
					: ops->put_methods[m];
		long done = 0;
		double t0, dt;
		char **ids;

		snprintf(prefix, sizeof(prefix), "m%d-", m + 1);
		ids = make_ids(prefix, max_puts);
		if (!ids)
			return fail("malloc");
		t0 = peer_now_us();
		do {
			long k = max_puts - done < CHUNK ? max_puts - done : CHUNK;

			if (m < 0 ? put_one_by_one(h, "puts", ids + done, k, val)
				  : ops->put_many(h, m, "puts", ids + done, k,
						  val))
				return fail(how);
			done += k;
			dt = (peer_now_us() - t0) / 1e6;
		} while (done < max_puts && dt < put_seconds);
		free_ids(ids, max_puts);
		printf("# %s puts via %s: %ld new ids in %.2f s: %.0f/s\n",
		       ops->name, how, done, dt, done / dt);
		if (done / dt > best) {
			best = done / dt;
			*best_method = m;
		}
	}
	result(7, "puts", best, "/s");
	if (strcmp(ops->name, "cosi"))
		result(3, "puts", best, "/s");
	return 0;
}

static int bench_list(void *h, int method)
{
	char *const *chunk;
	char val[PEER_VAL_LEN + 1];
	double rates[LIST_RUNS];
	char **ids = make_ids("l", list_n);
	long i, got;

	value(val, 9);
	if (!ids)
		return fail("malloc");
	for (i = 0; i < list_n; i += CHUNK) {
		long k = list_n - i < CHUNK ? list_n - i : CHUNK;

		chunk = ids + i;
		if (method < 0 ? put_one_by_one(h, "list", chunk, k, val)
			       : ops->put_many(h, method, "list", chunk, k, val))
			return fail("filling the list namespace");
	}
	free_ids(ids, list_n);
	if (ops->list(h, "list") != list_n)	/* warm up */
		return fail("list (wrong count)");
	for (i = 0; i < LIST_RUNS; i++) {
		double t0 = peer_now_us();

		got = ops->list(h, "list");
		rates[i] = list_n / ((peer_now_us() - t0) / 1e6);
		if (got != list_n)
			return fail("list (wrong count)");
	}
	printf("# %s list of %d entries: median of %d runs\n", ops->name,
	       list_n, LIST_RUNS);
	result(7, "list", stats_pct(rates, LIST_RUNS, 0.5), "/s");
	return 0;
}

/* put -> watch: the putter waits for each event before the next put. */
static struct {
	sem_t ready, got;
	double t0;			/* when the put started */
	char want[PEER_VAL_LEN + 1];	/* its value */
	double *lat;
	int n, err;
} pw;

static void *watcher(void *arg)
{
	char got[PEER_VAL_LEN + 1];
	void *h = ops->open();
	double t0, t1;
	int i;

	(void)arg;
	pin(1);
	if (!h || ops->watch(h, "watch", "w")) {
		pw.err = 1;
		sem_post(&pw.ready);
		return NULL;
	}
	sem_post(&pw.ready);
	for (i = 0; i < pw.n; i++) {
		if (ops->next_event(h, got, sizeof(got))) {
			pw.err = 1;
			break;
		}
		t1 = peer_now_us();
		__atomic_load(&pw.t0, &t0, __ATOMIC_ACQUIRE);
		pw.lat[i] = t1 - t0;
		if (strcmp(got, pw.want)) {
			fprintf(stderr, "peer_bench_%s: event for %s, wanted %s\n",
				ops->name, got, pw.want);
			pw.err = 1;
			break;
		}
		sem_post(&pw.got);
	}
	sem_post(&pw.got);
	ops->close(h);
	return NULL;
}

static int bench_put_watch(void *h, double *lat)
{
	char val[PEER_VAL_LEN + 1];
	struct timespec ts;
	pthread_t th;
	int i;

	value(val, 0);
	if (ops->create(h, "watch", "w", val))
		return fail("create");
	pw.n = WARMUP + watch_samples;
	pw.lat = lat;
	sem_init(&pw.ready, 0, 0);
	sem_init(&pw.got, 0, 0);
	pin(0);
	if (pthread_create(&th, NULL, watcher, NULL))
		return fail("pthread_create");
	sem_wait(&pw.ready);
	for (i = 0; !pw.err && i < pw.n; i++) {
		double t0;

		value(pw.want, i + 1);
		t0 = peer_now_us();
		__atomic_store(&pw.t0, &t0, __ATOMIC_RELEASE);
		if (ops->update(h, "watch", "w", pw.want)) {
			pw.err = 1;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 30;
		if (sem_timedwait(&pw.got, &ts)) {
			fprintf(stderr, "peer_bench_%s: no event in 30 s\n",
				ops->name);
			exit(1);	/* the watcher is stuck: give up */
		}
	}
	pthread_join(th, NULL);
	if (pw.err)
		return fail("put -> watch");
	result_pcts("put_watch", lat + WARMUP, watch_samples);
	return 0;
}

int peer_main(const struct peer_ops *o, int argc, char **argv)
{
	int c, method = -1, nlat;
	double *lat;
	void *h;

	ops = o;
	while ((c = getopt(argc, argv, "n:w:t:p:l:")) != -1) {
		switch (c) {
		case 'n': samples = atoi(optarg); break;
		case 'w': watch_samples = atoi(optarg); break;
		case 't': put_seconds = atof(optarg); break;
		case 'p': max_puts = atol(optarg); break;
		case 'l': list_n = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: peer_bench_%s [-n SAMPLES] [-w WATCH-SAMPLES] [-t PUT-SECONDS] [-p MAX-PUTS] [-l LIST-ENTRIES]\n",
				ops->name);
			return 2;
		}
	}
	if (samples < 1 || watch_samples < 1 || put_seconds <= 0 ||
	    max_puts < 1 || list_n < 1) {
		fprintf(stderr, "peer_bench_%s: counts must be positive\n",
			ops->name);
		return 2;
	}
	nlat = samples > WARMUP + watch_samples ? samples
						: WARMUP + watch_samples;
	lat = calloc(nlat, sizeof(*lat));
	if (!lat || (ops->init && ops->init()))
		return 1;
	h = ops->open();
	if (!h)
		return 1;
	if (bench_get(h, lat) || bench_put(h, lat) ||
	    bench_puts(h, &method) || bench_list(h, method) ||
	    bench_put_watch(h, lat))
		return 1;
	ops->close(h);
	free(lat);
	return 0;
}
