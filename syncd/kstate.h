/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: Knot's state and the conditions syncd signals about it.
 *
 *  A thread polls knotd through its control socket (knotctl.h: one short
 *  session per poll, never held open) every poll_ms: `status`,
 *  `zone-status`, and the counters of mod-mecdns (`stats mod-mecdns` for a
 *  global module, else `zone-stats ZONE mod-mecdns` per zone). knotd's own
 *  D-Bus events (kevents.h) only trigger an immediate poll, except
 *  stopped() and a vanished cz.nic.knotd, which mean "not running" at once.
 *
 *  Conditions (DESIGN.md "D-Bus contract"; each signalled through
 *  signals.h when it becomes true and when it stops being true):
 *  - server_running: knotd answers on its control socket and mod-mecdns is
 *    loaded (its generation counter is there). False at once on a refused
 *    connection, stopped() or the owner of cz.nic.knotd gone; a control
 *    socket that only times out (knotd busy, e.g. in a reload) keeps the
 *    last state until it has failed for STALL_MS; a module counter missing
 *    while knotd answers counts only once it stayed missing for max_lag.
 *  - zone_ready(zone): zone-status says loaded; zone_updated(zone, serial)
 *    when a ready zone's serial changes. Every zone is not ready while knotd
 *    is not running. A zone that leaves knotd's configuration gets
 *    zone_ready(false) and is forgotten, unless it is a synced zone.
 *  - all_zones_ready: running and every expected zone (the zones knotd has
 *    configured plus the synced zones) ready.
 *  - serving: running, all zones ready and the module current. The module is
 *    current while its generation has reached every database generation
 *    that syncd saw committed more than max_lag ago (so a steady stream of
 *    writes, each picked up quickly, never counts as lag). Hysteresis: the
 *    lag (or a missing module counter) must last another max_lag before
 *    serving drops, so a `knotc reload` that shows the module's counters
 *    reset for a moment does not flap it; a stop or crash of knotd drops
 *    it at once. It comes back only after everything held for settle time
 *    (max_lag / 2, within poll_ms .. 1000 ms).
 *  - query_rate: the module's queries (answered + nodata + passed) per
 *    second over the last second crossed query_rate_threshold: exceeded
 *    when above it, back when below 90 % of it. Off when the threshold is 0.
 *  - query_rate_increase (draft-grubto-dnsop-dns-out-of-protocol-signalling
 *    section 3.10): how fast that rate grows, its change over the last
 *    second per second, crossed query_rate_increase_threshold: exceeded
 *    when above it, back when below 90 % of it (so a steady high rate, or a
 *    falling one, clears it). Off when the threshold is 0.
 *  - server_crashed also while mod-mecdns's refresher thread is stuck: its
 *    heartbeat counter (CLOCK_MONOTONIC ms of its last round, which comes
 *    every refresh-interval at least) is older than three intervals plus
 *    2 s. serving needs it to run.
 *  - zone_expiring(zone) and signatures_expiring(zone) (draft sections 3.7
 *    and 3.8; kexpiry.h): a secondary zone's expiration, or the earliest
 *    RRSIG expiration of a zone, at most its period away (or passed).
 *    serving also needs neither to hold, so mecdns-announce withdraws as
 *    the draft's Action says.
 *  - extended_error(code) (draft section 3.11; kede.h): responses with a
 *    watched Extended DNS Error code (mod-mecdns's ede counter) occurred
 *    within the last ede_quiet_ms. Not part of serving.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"
#include "syncd/kede.h"
#include "syncd/kexpiry.h"
#include "syncd/signals.h"
#include "syncd/zoneguard.h"

typedef struct {
	const char *socket;                   /*!< knotd control socket path. */
	const char *knot_dbus;                /*!< knotd's bus: "system" (also NULL), an
	                                           address, or "none". */
	int poll_ms;                          /*!< Poll interval (0: 500). */
	int timeout_ms;                       /*!< Control socket timeout (0: 1000). */
	int max_lag_ms;                       /*!< Module lag allowed (0: 2000). */
	double query_rate_threshold;          /*!< Queries per second; 0: off. */
	double query_rate_increase_threshold; /*!< Queries per second, per
	                                           second; 0: off. */
	int64_t zone_expiry_period;           /*!< zone_expiring (kexpiry.h), seconds;
	                                           < 0: off. */
	int64_t signature_expiry_period;      /*!< signatures_expiring, seconds;
	                                           < 0: off. */
	const bool *ede_codes;                /*!< MECDNS_EDE_SLOTS flags: the codes
	                                           extended_error watches; NULL: off. */
	int ede_quiet_ms;                     /*!< extended_error clears after this
	                                           long without one (0: 10000). */
	const char *const *sync_zones;        /*!< Synced zones (expected even when
	                                           knotd lacks them). */
	size_t sync_zone_count;
	mecdns_store_t *store;     /*!< For the database generation. */
	mecdns_signals_t *signals; /*!< Where the conditions go (may be NULL). */
	zoneguard_t *guard;        /*!< Told knotd's zones after every poll that
	                                reached it (may be NULL). */
	mecdns_log_cb log;         /*!< NULL: stderr. */
	void *log_ctx;
} kstate_config_t;

typedef struct kstate kstate_t;

/*! \brief Starts the state thread; NULL with a message in err (bad
 *         knot_dbus value, out of memory, thread failure). */
kstate_t *kstate_start(const kstate_config_t *config, char *err, size_t err_len);

/*! \brief The serving condition as last signalled (any thread). */
bool kstate_serving(kstate_t *state);

/*! mod-mecdns's counters as the last poll that reached knotd read them. */
typedef struct {
	bool found;                     /*!< knotd answered and the module is loaded. */
	uint64_t answered;              /*!< Queries answered, summed over instances. */
	uint64_t nodata;                /*!< NODATA answers. */
	uint64_t passed;                /*!< Queries passed through to knotd. */
	uint64_t records;               /*!< Records loaded (largest of the instances). */
	uint64_t generation;            /*!< Loaded generation (smallest of the instances). */
	double queries_per_s;           /*!< answered + nodata + passed, last second. */
	double queries_per_s_increase;  /*!< Its change per second, last second. */
	long long refresher_age_ms;     /*!< Since the refresher's last round (-1:
	                                     unknown). */
	uint64_t ede[MECDNS_EDE_SLOTS]; /*!< Responses with each Extended DNS Error
	                                     (global instances; common/ede.h). */
	uint64_t db_generation;         /*!< The database's generation read just before
	                                     that poll asked knotd (so a write landing
	                                     during the poll is no lag). */
	long long lag_ms;               /*!< How long the oldest committed generation the
	                                     module does not serve has been committed (as
	                                     syncd saw it); 0 when current. */
} kstate_module_t;

/*! \brief The module's counters (any thread; for /metrics). */
void kstate_module(kstate_t *state, kstate_module_t *out);

/*! \brief Stops the thread (no signal after it returns) and frees. */
void kstate_stop(kstate_t *state);
