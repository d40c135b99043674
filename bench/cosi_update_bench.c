// SPDX-License-Identifier: GPL-2.0
/*
 * cosi_update_bench: N resource updates (each changes the spec, so each
 * is a real change: a new version, a history entry, a tracepoint hit)
 * and N gets, timed on one socket.  Prints one line:
 *   updates/s <n> gets/s <n>
 * Used by bench/trace-cost.sh to measure what the tracepoints cost.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cosi.h"

#define TYPE	"Bench.cosi.dev"
#define NS	"bench"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(struct cosi *c, const char *op)
{
	fprintf(stderr, "cosi_update_bench: %s\n", cosi_strerror(c, op));
	return 1;
}

int main(int argc, char **argv)
{
	long i, n = argc > 1 ? atol(argv[1]) : 20000;
	struct cosi_definition *d = NULL;
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r, .ns = NS, .type = TYPE, .id = "r", .spec = &spec);
	struct cosi_resource *res;
	struct cosi *c;
	double t0, tu, tg;

	if (n <= 0 || unshare(CLONE_NEWNET)) {
		fprintf(stderr, "cosi_update_bench: usage: cosi_update_bench [N] (as root)\n");
		return 2;
	}
	c = cosi_open();
	if (!c) {
		fprintf(stderr, "cosi_update_bench: %s\n", strerror(errno));
		return 1;
	}
	if (!(d = cosi_def_new(TYPE)) ||
	    cosi_def_add_field(d, "n", COSI_FIELD_TYPE_U64, true) ||
	    cosi_definition_set(c, d, NULL))
		return die(c, "definition-set");
	cosi_definition_free(d);
	cosi_spec_add_u64(&spec, "n", 0);
	if (cosi_resource_create(c, &r, NULL))
		return die(c, "resource-create");
	t0 = now();
	for (i = 1; i <= n; i++) {
		spec.v[0].u64 = i;
		if (cosi_resource_update(c, &r, NULL))
			return die(c, "resource-update");
	}
	tu = now() - t0;
	t0 = now();
	for (i = 0; i < n; i++) {
		if (cosi_resource_get(c, NS, TYPE, "r", &res))
			return die(c, "resource-get");
		cosi_resource_free(res);
	}
	tg = now() - t0;
	printf("updates/s %.0f gets/s %.0f\n", n / tu, n / tg);
	cosi_spec_clear(&spec);
	cosi_close(c);
	return 0;
}
