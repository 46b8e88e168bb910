/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: a latency histogram (Prometheus "histogram" type) with
 *  fixed buckets from 0.5 ms to 10 s, lock-free to observe (atomics) and
 *  printed in the text exposition format. Write latency (metrics.c) and
 *  signal lag (signals.c) use it. */

#pragma once

#include <stdint.h>
#include <stdio.h>

/*! Upper bounds (seconds) of the buckets; +Inf is the count. */
#define SYNCD_HISTOGRAM_BOUNDS                                                                     \
	{                                                                                          \
		0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10        \
	}
#define SYNCD_HISTOGRAM_BUCKETS 13

typedef struct {
	uint64_t buckets[SYNCD_HISTOGRAM_BUCKETS]; /*!< Observations <= bound (not cumulative). */
	uint64_t count;
	uint64_t sum_us; /*!< Sum of the observations, microseconds. */
} syncd_histogram_t;

/*! \brief Records one observation (any thread). Negative values count as 0. */
void syncd_histogram_observe(syncd_histogram_t *histogram, double seconds);

/*! \brief Prints HELP, TYPE and the series of name (cumulative buckets,
 *         _sum, _count). */
void syncd_histogram_print(const syncd_histogram_t *histogram, FILE *out, const char *name,
                           const char *help);
