/*  mecdns-syncd metrics (see metrics.h). */

#include <stdlib.h>

#include "syncd/metrics.h"

/*! Statuses 100..599 are counted; the rest fall into slot 0. */
#define STATUS_SLOTS 600

struct syncd_metrics {
	size_t route_count;
	uint64_t *counters; /*!< (route_count + 1) * STATUS_SLOTS. */
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
