/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd latency histogram (see histogram.h). */

#include <inttypes.h>

#include "syncd/histogram.h"

static const double BOUNDS[SYNCD_HISTOGRAM_BUCKETS] = SYNCD_HISTOGRAM_BOUNDS;

void syncd_histogram_observe(syncd_histogram_t *histogram, double seconds)
{
	if (seconds < 0) {
		seconds = 0;
	}
	for (int i = 0; i < SYNCD_HISTOGRAM_BUCKETS; i++) {
		if (seconds <= BOUNDS[i]) {
			__atomic_fetch_add(&histogram->buckets[i], 1, __ATOMIC_RELAXED);
			break;
		}
	}
	__atomic_fetch_add(&histogram->sum_us, (uint64_t)(seconds * 1e6), __ATOMIC_RELAXED);
	__atomic_fetch_add(&histogram->count, 1, __ATOMIC_RELAXED);
}

void syncd_histogram_print(const syncd_histogram_t *histogram, FILE *out, const char *name,
                           const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	/* The count first: buckets read after it never pass it. */
	uint64_t count = __atomic_load_n(&histogram->count, __ATOMIC_RELAXED);
	uint64_t sum_us = __atomic_load_n(&histogram->sum_us, __ATOMIC_RELAXED);
	uint64_t cumulative = 0;
	for (int i = 0; i < SYNCD_HISTOGRAM_BUCKETS; i++) {
		cumulative += __atomic_load_n(&histogram->buckets[i], __ATOMIC_RELAXED);
		fprintf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, BOUNDS[i],
		        cumulative < count ? cumulative : count);
	}
	fprintf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.6f\n%s_count %" PRIu64 "\n",
	        name, count, name, (double)sum_us / 1e6, name, count);
}
