/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd signals: the only code that talks D-Bus.
 *
 *  Owns org.mecdns.syncd on the configured bus and emits, from the store's
 *  change log used as an outbox, one signal per committed change in commit
 *  order (rule_changed, rrset_changed on org.mecdns.syncd.events at
 *  /org/mecdns/syncd). The outbox cursor (state.signalled_seq) moves only
 *  after the signal was handed to the bus and flushed, so a crash or a bus
 *  that is down delays signals but loses none; after a crash the signals
 *  between the last cursor update and the crash are sent again (documented
 *  duplicates, recognisable by their generation).
 *
 *  Runs its own thread; reconnects when the bus comes back.
 *
 *  Delivery in detail: signals go out in batches; after each batch a round
 *  trip to the bus daemon (GetId, answered in order) confirms that the bus
 *  has routed them, and only then the cursor moves. Besides a crash of
 *  mecdns-syncd, a bus that dies after routing a batch but before answering
 *  the round trip also makes that batch (at most 256 signals) go out again
 *  on the next connection. A listener that must not act twice remembers the
 *  last generation it handled.
 *
 *  While another connection owns org.mecdns.syncd (or the bus policy refuses
 *  it) nothing is emitted: the emitter logs that once and requests the name
 *  again every retry_ms. Calls on /org/mecdns/syncd are answered
 *  (org.freedesktop.DBus.Introspectable.Introspect with the installed
 *  org.mecdns.syncd.xml, org.freedesktop.DBus.Peer.Ping,
 *  org.mecdns.syncd.state.GetState).
 *
 *  The condition signals of Knot's state (server_running, zone_ready, ...)
 *  are queued by syncd/kstate.c through the functions at the end of
 *  this file and go out on the same connection.
 *
 *  Pruning the change log is not done here: syncd's main loop calls
 *  mecdns_store_prune(), which keeps every change not yet signalled.
 */

#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ede.h"
#include "common/log.h"
#include "store/store.h"

typedef struct {
	const char *bus;   /*!< "system" (also NULL), "session", "none" or a D-Bus address. */
	int retry_ms;      /*!< Reconnect / retry interval (0: 1000). */
	int poll_ms;       /*!< Outbox poll when not notified (0: 1000). */
	mecdns_log_cb log; /*!< NULL: lines to stderr. */
	void *log_ctx;     /*!< Passed to log. */
} mecdns_signals_config_t;

typedef struct mecdns_signals mecdns_signals_t;

/*! \brief Starts the emitter thread. With bus "none" returns a valid handle
 *         that emits nothing and does not move the cursor. NULL + err on a
 *         bad bus value or thread failure; an unreachable bus is NOT an
 *         error (it is retried). */
mecdns_signals_t *mecdns_signals_start(const mecdns_signals_config_t *config, mecdns_store_t *store,
                                       char *err, size_t err_len);

/*! \brief Tells the emitter that a commit happened (cheap, any thread). */
void mecdns_signals_notify(mecdns_signals_t *signals);

/*! \brief Changes committed but not yet emitted (for /metrics). */
uint64_t mecdns_signals_outbox_depth(mecdns_signals_t *signals);

/*! \brief True while connected to the bus and owning the name. */
bool mecdns_signals_connected(mecdns_signals_t *signals);

/*** Knot state: the condition signals and GetState (see kstate.h). ***
 *
 * The state signals are not part of the outbox: they describe the present,
 * not a committed change. Each call below queues one signal; the emitter
 * thread sends them in the order of the calls. While the emitter does not
 * own org.mecdns.syncd (bus down, name taken, bus "none") queued state
 * signals are dropped, not kept for later: a listener that (re)connects
 * asks org.mecdns.syncd.state.GetState, which always answers the state last
 * given to mecdns_signals_set_state(). All calls are cheap and may come
 * from any thread; NULL signals is fine (nothing happens).
 */

/*! One zone of the state. */
typedef struct {
	const char *zone;            /*!< "example.test." */
	bool ready;                  /*!< Loaded and served by knotd. */
	uint32_t serial;             /*!< SOA serial; 0 when not ready. */
	bool expiring;               /*!< zone_expiring (a secondary about to expire
	                                  or expired). */
	int64_t expiring_left;       /*!< Its seconds left (0: expired); -1: not expiring. */
	bool signatures_expiring;    /*!< signatures_expiring. */
	int64_t signatures_left;     /*!< Seconds left of the earliest RRSIG (0:
	                                  expired); -1: not expiring. */
	const char *signature_owner; /*!< Owner of that RRSIG (NULL: none). */
	const char *signature_type;  /*!< Type it covers (NULL: none). */
} mecdns_signals_zone_t;

/*! The state that GetState answers (copied by mecdns_signals_set_state()). */
typedef struct {
	bool tracking; /*!< Knot state tracking runs (a knot socket is
	                    configured); false: the rest is unknown. */
	bool server_running;
	bool all_zones_ready;
	bool serving;
	uint64_t module_generation;
	double qps;           /*!< Module queries per second (answered +
	                           nodata + passed). */
	double qps_threshold; /*!< 0: query_rate is not signalled. */
	bool qps_exceeded;
	double qps_increase;           /*!< qps change per second. */
	double qps_increase_threshold; /*!< 0: query_rate_increase is not signalled. */
	bool qps_increase_exceeded;
	bool server_crashed;                  /*!< knotd went away without stopped(). */
	int64_t zone_expiry_period;           /*!< zone_expiring's period, s; -1: off. */
	int64_t signature_expiry_period;      /*!< signatures_expiring's period, s; -1: off. */
	bool ede_watched[MECDNS_EDE_SLOTS];   /*!< extended_error's codes (common/ede.h slots). */
	bool ede_occurring[MECDNS_EDE_SLOTS]; /*!< extended_error holds. */
	uint64_t ede_count[MECDNS_EDE_SLOTS]; /*!< knotd's counts (last poll). */
	const mecdns_signals_zone_t *zones;   /*!< Expected zones. */
	size_t zone_count;
} mecdns_signals_state_t;

/*! \brief Prints the histogram of signal lag (commit to bus) for /metrics;
 *         an empty one with NULL signals. */
void mecdns_signals_print_lag(mecdns_signals_t *signals, FILE *out);

/*! \brief server_crashed(b crashed). */
void mecdns_signals_emit_server_crashed(mecdns_signals_t *signals, bool crashed);

/*! \brief query_rate_increase(d increase, d threshold, b exceeded). */
void mecdns_signals_emit_query_rate_increase(mecdns_signals_t *signals, double increase,
                                             double threshold, bool exceeded);

/*! \brief zone_expiring(s zone, x seconds_left, x period, b expiring)
 *         (draft section 3.7; seconds_left 0: expired, -1 when cleared). */
void mecdns_signals_emit_zone_expiring(mecdns_signals_t *signals, const char *zone,
                                       int64_t seconds_left, int64_t period, bool expiring);

/*! \brief signatures_expiring(s zone, s owner, s type, x seconds_left,
 *         x period, b expiring) (draft section 3.8: the zone's earliest
 *         RRSIG; seconds_left 0: expired, -1 when cleared). */
void mecdns_signals_emit_signatures_expiring(mecdns_signals_t *signals, const char *zone,
                                             const char *owner, const char *type,
                                             int64_t seconds_left, int64_t period, bool expiring);

/*! \brief extended_error(q code, s name, t count, b occurring) (draft
 *         section 3.11) for a slot of common/ede.h (code 65535, name
 *         "other", for the slot of codes from 31 on). */
/*! \brief dns_context_report: a DNS context's REPORT rule answered a query
 *         of its UE (syncd/reports.h); timestamp in ms since the epoch. */
void mecdns_signals_emit_dns_context_report(mecdns_signals_t *signals, const char *context_id,
                                            const char *rule_key, const char *fqdn,
                                            const char *client, uint64_t timestamp_ms);

void mecdns_signals_emit_extended_error(mecdns_signals_t *signals, unsigned slot, uint64_t count,
                                        bool occurring);

/*! Another channel that follows the state and its signals (the MQTT
 *  publisher, syncd/mqtt.h). Called from the thread that set the state or
 *  queued the signal, outside every lock of signals; also with bus none. */
typedef struct {
	/*! The state GetState answers now (valid during the call). */
	void (*state)(const mecdns_signals_state_t *state, void *ctx);
	/*! One state signal: its member and its arguments as a JSON array. */
	void (*signal)(const char *member, const char *json_args, void *ctx);
	void *ctx;
} mecdns_signals_observer_t;

/*! \brief Sets the observer (copied; NULL: none). Call before the state
 *         tracking starts. */
void mecdns_signals_observe(mecdns_signals_t *signals, const mecdns_signals_observer_t *observer);

/*! \brief Replaces the state GetState answers (deep copy). */
void mecdns_signals_set_state(mecdns_signals_t *signals, const mecdns_signals_state_t *state);

/*! \brief Calls read with the state GetState answers, under the state lock
 *         (read must not call back into signals); the REST status shows
 *         what D-Bus listeners see. Nothing happens with NULL signals. */
void mecdns_signals_read_state(mecdns_signals_t *signals,
                               void (*read)(const mecdns_signals_state_t *state, void *data),
                               void *data);

/*! \brief Queues server_running(b running). */
void mecdns_signals_emit_server_running(mecdns_signals_t *signals, bool running);

/*! \brief Queues zone_ready(s zone, b ready, u serial). */
void mecdns_signals_emit_zone_ready(mecdns_signals_t *signals, const char *zone, bool ready,
                                    uint32_t serial);

/*! \brief Queues zone_updated(s zone, u serial). */
void mecdns_signals_emit_zone_updated(mecdns_signals_t *signals, const char *zone, uint32_t serial);

/*! \brief Queues all_zones_ready(b ready). */
void mecdns_signals_emit_all_zones_ready(mecdns_signals_t *signals, bool ready);

/*! \brief Queues serving(b serving). */
void mecdns_signals_emit_serving(mecdns_signals_t *signals, bool serving);

/*! \brief Queues query_rate(d qps, d threshold, b exceeded). */
void mecdns_signals_emit_query_rate(mecdns_signals_t *signals, double qps, double threshold,
                                    bool exceeded);

/*!
 * \brief Emits shutting_down() and waits until it and every state signal
 *        queued before it were handed to the bus and flushed (so it reaches
 *        the bus before the name goes away on mecdns_signals_stop()).
 *
 * \return True when delivered to the bus within timeout_ms; false when the
 *         bus is none or down, or on timeout.
 */
bool mecdns_signals_emit_shutting_down(mecdns_signals_t *signals, int timeout_ms);

/*! \brief Emits what is pending (bounded wait), stops the thread, frees. */
void mecdns_signals_stop(mecdns_signals_t *signals);
