// SPDX-License-Identifier: GPL-2.0
/* Clock and percentiles of the benchmarks; see stats.h. */
#include <stdlib.h>
#include <time.h>

#include "stats.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double stats_pct(double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;	/* callers check; never read v[-1] */
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)(p * n + 0.999999);
	if (k < 1)
		k = 1;
	return v[k > n ? n - 1 : k - 1];
}
