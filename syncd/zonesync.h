/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd zone sync: mirrors mecdns's answers into real Knot zones.
 *
 *  For every synced zone (config `sync-zone`), a worker (one thread for
 *  all synced zones: knotd serves one control client at a time) keeps the
 *  Knot zone equal to what the module answers under it: per owner at or
 *  below the zone, the union of the ACTIVE rules (A, AAAA) and the rrsets,
 *  with the module's semantics (served types only, a CNAME excludes the
 *  rest, duplicates removed, one TTL per rrset: the smallest contributing,
 *  default TTL for rules without one). Changes go in through knotd's control
 *  socket (syncd/knotctl.h) as one transaction per batch: zone-begin,
 *  zone-set / zone-unset, zone-commit. knotd bumps the serial and sends
 *  NOTIFY, so secondaries follow by IXFR carrying only the change.
 *
 *  Batching: syncd_zonesync_notify() (called after every committed write)
 *  wakes the worker, which waits batch_ms more and then applies everything
 *  up to the current generation in ONE transaction. A failed command or
 *  commit aborts the transaction (the zone never keeps half a batch) and is
 *  retried with a growing delay.
 *
 *  Ownership: syncd owns exactly the records it wrote (table zone_sync_owned,
 *  through the store). A name/type in the zone that syncd did not write is
 *  the operator's: when mecdns has answers there too, that is a conflict,
 *  reported (log line, counter in /metrics) and never
 *  overwritten. So is a CNAME of the operator beside mecdns data, or the
 *  other way round (knotd would refuse the commit). A record of the zone
 *  that equals what syncd would write is adopted (this is how a crash
 *  between a Knot commit and the database bookkeeping heals).
 *
 *  Checks: a zone is synced only when knotd keeps syncd's changes:
 *  zonefile-sync -1, zonefile-load difference-no-serial, journal-content all,
 *  read with conf-read from the zone, else from its template; Knot's
 *  defaults fail. Otherwise the zone is refused with one log line (and
 *  checked again every poll, so fixing knot.conf and `knotc reload` is
 *  enough).
 *
 *  Reconciling: at start (after aborting a transaction left open on the
 *  zone, e.g. by a crashed syncd), after knotd was unreachable and answers
 *  again, and when the zone's serial went backwards (zone reset), the whole
 *  zone is compared with the database: missing records are added, stale
 *  records syncd owns are removed.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

typedef struct {
	const char *knot_socket; /*!< knotd's control socket. */
	char *const *zones;      /*!< Synced zones (any spelling; made canonical). */
	size_t zone_count;
	uint32_t default_ttl; /*!< TTL of a rule without one (module's default-ttl). */
	int batch_ms;         /*!< Batch window after a wake-up (0: 50). */
	int poll_ms;          /*!< knotd check interval (0: 500). */
	int timeout_ms;       /*!< Control socket timeout (0: 2000). */
} syncd_zonesync_config_t;

typedef struct syncd_zonesync syncd_zonesync_t;

/*! \brief Starts the worker (NULL + err on a bad zone name or no thread).
 *         With no zones configured, returns NULL and err "". */
syncd_zonesync_t *syncd_zonesync_start(const syncd_zonesync_config_t *config, mecdns_store_t *store,
                                       char *err, size_t err_len);

/*! \brief Tells the worker that a write committed (cheap, any thread; NULL
 *         is fine). */
void syncd_zonesync_notify(syncd_zonesync_t *zonesync);

/*! \brief Stops the worker (an open transaction is aborted first) and frees. */
void syncd_zonesync_stop(syncd_zonesync_t *zonesync);

/*! State of one synced zone. */
typedef enum {
	SYNCD_ZONE_STARTING = 0, /*!< Not checked yet. */
	SYNCD_ZONE_SYNCED,       /*!< Knot zone reflects `generation`. */
	SYNCD_ZONE_REFUSED,      /*!< knot.conf settings missing (see log). */
	SYNCD_ZONE_FAILING,      /*!< knotd unreachable or a batch failed: retrying. */
} syncd_zone_state_t;

/*! \brief Prints the zone sync metrics (Prometheus text format). */
void syncd_zonesync_print_metrics(syncd_zonesync_t *zonesync, FILE *out);
