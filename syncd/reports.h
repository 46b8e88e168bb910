/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: the REPORT action of DNS contexts (docs/api.md "DNS
 *  contexts after 3GPP TS 29.556").
 *
 *  mod-mecdns sends a datagram (common/report.h) to report-socket for every
 *  query a reporting scope answered. This thread reads them, finds the
 *  contexts whose reporting rule answered there (the store: rules with
 *  report set whose scope holds the client), and for each: the D-Bus signal
 *  dns_context_report, and, where the context has a notifyUri, a
 *  DnsContextNotification POSTed by syncd/notify.h.
 *
 *  The same (context, rule, name, client) within REPORT_REPEAT_MS is
 *  reported once (a resolver's retries, a UE's A and AAAA queries). A rule
 *  whose REPORT has reportingOnceInd is reported once until the context is
 *  updated with resetReportingOnceInd (or deleted); that memory is this
 *  process's: after a restart such a rule may report once more.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "syncd/notify.h"
#include "syncd/signals.h"

#define REPORT_REPEAT_MS 1000

typedef struct syncd_reports syncd_reports_t;

/*!
 * \brief The DnsRule of a context document whose REPORT answered at owner
 *        (canonical: the name, or the "*.suffix" wildcard): its key into
 *        key and its reportingOnceInd into *once. False when the document
 *        has no such rule (changed meanwhile). Lives beside the compiler of
 *        contexts (api_easdf.c), the one home of what a context means.
 */
bool syncd_context_report_rule(const char *body, const char *owner, char *key, size_t key_len,
                               bool *once);

/*!
 * \brief Binds the report socket at path (at most 103 bytes; bound as
 *        PATH.new, then renamed over a stale socket; any other file there
 *        is an error) with mode 0660, so knotd (group knot, as
 *        mecdns-syncd) can send to it, and starts reading.
 */
syncd_reports_t *syncd_reports_start(const char *path, mecdns_store_t *store,
                                     mecdns_signals_t *signals, syncd_notify_t *notify, char *err,
                                     size_t err_len);

/*! \brief Forgets that a reportingOnceInd rule (NULL: every rule of the
 *         context) was reported: the next answer is reported again. */
void syncd_reports_forget(syncd_reports_t *reports, const char *context_id, const char *rule_key);

typedef struct {
	uint64_t received;  /*!< Datagrams read. */
	uint64_t malformed; /*!< Datagrams that were not a report. */
	uint64_t reported;  /*!< Reports made (signal, and notification where due). */
	uint64_t repeated;  /*!< Left out: within REPORT_REPEAT_MS, or once already. */
	uint64_t unmatched; /*!< No context reports there (any more). */
} syncd_reports_stats_t;

void syncd_reports_stats(syncd_reports_t *reports, syncd_reports_stats_t *out);

/*! \brief The reports' and the notifications' counters for /metrics
 *         (nothing when reports is NULL). */
void syncd_reports_print_metrics(syncd_reports_t *reports, syncd_notify_t *notify, FILE *out);

/*! \brief Stops reading and removes the socket file. */
void syncd_reports_stop(syncd_reports_t *reports);
