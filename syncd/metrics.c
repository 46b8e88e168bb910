/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd metrics (see metrics.h). */

#include <inttypes.h>
#include <stdlib.h>

#include "syncd/histogram.h"
#include "syncd/metrics.h"

/*! Statuses 100..599 are counted; the rest fall into slot 0. */
#define STATUS_SLOTS 600

struct syncd_metrics {
	size_t route_count;
	uint64_t *counters;                  /*!< (route_count + 1) * STATUS_SLOTS. */
	uint64_t refused[SYNCD_LIMIT_COUNT]; /*!< By limit. */
	syncd_histogram_t writes;            /*!< Latency of committed writes. */
};

syncd_metrics_t *syncd_metrics_new(size_t route_count)
{
	syncd_metrics_t *metrics = calloc(1, sizeof(*metrics));
	if (metrics == NULL) {
		return NULL;
	}
	metrics->route_count = route_count;
	metrics->counters = calloc((route_count + 1) * STATUS_SLOTS, sizeof(uint64_t));
	if (metrics->counters == NULL) {
		free(metrics);
		return NULL;
	}
	return metrics;
}

void syncd_metrics_free(syncd_metrics_t *metrics)
{
	if (metrics != NULL) {
		free(metrics->counters);
		free(metrics);
	}
}

/*! \brief Index of a counter. */
static size_t slot(const syncd_metrics_t *metrics, size_t route, int status)
{
	size_t row = route < metrics->route_count ? route : metrics->route_count;
	size_t column = status >= 100 && status < STATUS_SLOTS ? (size_t)status : 0;
	return row * STATUS_SLOTS + column;
}

void syncd_metrics_count(syncd_metrics_t *metrics, size_t route, int status)
{
	__atomic_fetch_add(&metrics->counters[slot(metrics, route, status)], 1, __ATOMIC_RELAXED);
}

uint64_t syncd_metrics_get(const syncd_metrics_t *metrics, size_t route, int status)
{
	return __atomic_load_n(&metrics->counters[slot(metrics, route, status)], __ATOMIC_RELAXED);
}

void syncd_metrics_refused(syncd_metrics_t *metrics, syncd_limit_t limit)
{
	if (limit > SYNCD_LIMIT_NONE && limit < SYNCD_LIMIT_COUNT) {
		__atomic_fetch_add(&metrics->refused[limit], 1, __ATOMIC_RELAXED);
	}
}

void syncd_metrics_print_limits(const syncd_metrics_t *metrics, syncd_limits_t *limits, FILE *out)
{
	fprintf(out, "# HELP mecdns_syncd_http_refused_total Requests refused by a limit, by "
	             "limit.\n"
	             "# TYPE mecdns_syncd_http_refused_total counter\n");
	for (int limit = SYNCD_LIMIT_NONE + 1; limit < SYNCD_LIMIT_COUNT; limit++) {
		fprintf(out, "mecdns_syncd_http_refused_total{limit=\"%s\"} %" PRIu64 "\n",
		        syncd_limit_name((syncd_limit_t)limit),
		        __atomic_load_n(&metrics->refused[limit], __ATOMIC_RELAXED));
	}
	if (limits == NULL) {
		return;
	}
	fprintf(out,
	        "# HELP mecdns_syncd_http_connections Open HTTP connections.\n"
	        "# TYPE mecdns_syncd_http_connections gauge\n"
	        "mecdns_syncd_http_connections %u\n"
	        "# HELP mecdns_syncd_http_clients Client addresses tracked for the limits.\n"
	        "# TYPE mecdns_syncd_http_clients gauge\n"
	        "mecdns_syncd_http_clients %zu\n",
	        syncd_limits_connections(limits), syncd_limits_clients(limits));
}

void syncd_metrics_write(syncd_metrics_t *metrics, double seconds)
{
	syncd_histogram_observe(&metrics->writes, seconds);
}

void syncd_metrics_print_writes(const syncd_metrics_t *metrics, FILE *out)
{
	syncd_histogram_print(&metrics->writes, out, "mecdns_syncd_write_seconds",
	                      "Latency of committed writes (2xx with a generation), from the "
	                      "request to its answer, in seconds.");
}
