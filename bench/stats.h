/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every benchmark program needs, without libnl or libcosi (the peer
 * benchmarks link neither): the clock and percentiles.
 */
#ifndef _BENCH_STATS_H
#define _BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);

/* Nearest-rank percentile @p (0..1) of the @n values @v, which it sorts. */
double stats_pct(double *v, size_t n, double p);

#endif /* _BENCH_STATS_H */
