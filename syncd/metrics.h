/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd metrics: request counters by route and status, kept in
 *  memory (atomics, no lock on the request path) and printed with the
 *  store's gauges in Prometheus text format by GET /metrics.
 */

#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "syncd/limits.h"

typedef struct syncd_metrics syncd_metrics_t;

/*! \brief Counters for route_count routes (plus one for unmatched paths). */
syncd_metrics_t *syncd_metrics_new(size_t route_count);

void syncd_metrics_free(syncd_metrics_t *metrics);

/*! \brief Counts one answer; route SIZE_MAX = no route matched. */
void syncd_metrics_count(syncd_metrics_t *metrics, size_t route, int status);

/*! \brief Reads a counter. */
uint64_t syncd_metrics_get(const syncd_metrics_t *metrics, size_t route, int status);

/*! \brief Records the latency of one committed write (request received
 *         to answer ready: validation, the durable commit, signalling). */
void syncd_metrics_write(syncd_metrics_t *metrics, double seconds);

/*! \brief Prints the write latency histogram. */
void syncd_metrics_print_writes(const syncd_metrics_t *metrics, FILE *out);

/*! \brief Counts one request refused by a limit (syncd/limits.h). */
void syncd_metrics_refused(syncd_metrics_t *metrics, syncd_limit_t limit);

/*! \brief Prints the refusal counters (every limit, zeros too) and, with
 *         limits, the open connections and tracked clients. */
void syncd_metrics_print_limits(const syncd_metrics_t *metrics, syncd_limits_t *limits, FILE *out);
