/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: the zones knotd serves are the operator's (docs/api.md,
 *  "The operator's zones").
 *
 *  The guard answers the store's question "may data be written at this
 *  owner?" (mecdns_store_guard_cb) from what syncd last learnt from knotd's
 *  control socket (kstate.h):
 *  - an owner outside every zone knotd serves: yes;
 *  - at or below a zone knotd serves: only when the operator allows the
 *    zone (syncd's allow-zone items) or it is a synced zone (sync-zone),
 *    and even there never the zone's apex, a name at or below a delegation
 *    in the zone (an NS set below the apex), or an NS target inside the
 *    zone (a name with glue). The zone's delegations and NS targets are read
 *    with zone-read when the zone is first seen loaded and after its serial
 *    changed (at most every 5 s); until then only the apex is known.
 *  The zone list is replaced after every poll that reached knotd, and kept
 *  while knotd cannot be reached (a write is judged by the last zones
 *  knotd had); before the first poll no zone is known and nothing is
 *  refused. mod-mecdns protects the apex and its NS targets at answer time
 *  whatever was written.
 *
 *  Thread-safe: the state thread updates, HTTP workers ask.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "syncd/knotctl.h"

typedef struct zoneguard zoneguard_t;

/*!
 * \brief A guard allowing the zones allowed[] (allow-zone) and synced[]
 *        (sync-zone), names as configured (case and trailing dot free).
 * \return NULL without memory or for a name that is not a domain name
 *         (named in err).
 */
zoneguard_t *zoneguard_new(char *const *allowed, size_t allowed_count, char *const *synced,
                           size_t synced_count, char *err, size_t err_len);

void zoneguard_free(zoneguard_t *guard);

/*! \brief The zones knotd has configured, as one poll saw them (canonical).
 *         Zones no longer there forget their delegations. */
void zoneguard_set_zones(zoneguard_t *guard, const char *const *zones, size_t count);

/*! \brief Whether data may go into zone (canonical) at all, so that its
 *         delegations and NS targets matter. */
bool zoneguard_zone_open(const zoneguard_t *guard, const char *zone);

/*!
 * \brief The delegations (owners of NS sets below the apex) and NS targets
 *        of zone (canonical names; any order, duplicates allowed), read at
 *        serial. Ignored for a zone knotd does not have (any more).
 */
void zoneguard_set_names(zoneguard_t *guard, const char *zone, uint32_t serial,
                         const char *const *cuts, size_t cut_count, const char *const *targets,
                         size_t target_count);

/*!
 * \brief After a poll's zone-status: reads the delegations and NS targets
 *        of zone (canonical) through ctl when the zone is open and loaded
 *        and they were never read, or its serial changed and they were read
 *        more than 5 s ago.
 * \return 0, or the libknot error of the read (the old names stay).
 */
int zoneguard_poll_zone(zoneguard_t *guard, knotctl_t *ctl, const char *zone, bool loaded,
                        uint32_t serial);

/*! \brief mecdns_store_guard_cb: ctx is the guard. */
bool zoneguard_allows(void *ctx, const char *owner, const char *zone, char *why, size_t why_len);
