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
 *  org.mecdns.syncd.xml, org.freedesktop.DBus.Peer.Ping).
 *
 *  Pruning the change log is not done here: syncd's main loop calls
 *  mecdns_store_prune(), which keeps every change not yet signalled.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/*! Log sink: priority is a syslog level (LOG_ERR, LOG_WARNING, LOG_INFO);
 *  msg is one line without a newline. Called from the emitter thread. */
typedef void (*mecdns_signals_log_cb)(int priority, const char *msg, void *ctx);

typedef struct {
	const char *bus;         /*!< "system" (also NULL), "session", "none" or a D-Bus address. */
	int retry_ms;            /*!< Reconnect / retry interval (0: 1000). */
	int poll_ms;             /*!< Outbox poll when not notified (0: 1000). */
	mecdns_signals_log_cb log; /*!< NULL: lines to stderr. */
	void *log_ctx;           /*!< Passed to log. */
} mecdns_signals_config_t;

typedef struct mecdns_signals mecdns_signals_t;

/*! \brief Starts the emitter thread. With bus "none" returns a valid handle
 *         that emits nothing and does not move the cursor. NULL + err on a
 *         bad bus value or thread failure; an unreachable bus is NOT an
 *         error (it is retried). */
mecdns_signals_t *mecdns_signals_start(const mecdns_signals_config_t *config,
                                       mecdns_store_t *store, char *err, size_t err_len);

/*! \brief Tells the emitter that a commit happened (cheap, any thread). */
void mecdns_signals_notify(mecdns_signals_t *signals);

/*! \brief Changes committed but not yet emitted (for /metrics). */
uint64_t mecdns_signals_outbox_depth(mecdns_signals_t *signals);

/*! \brief True while connected to the bus and owning the name. */
bool mecdns_signals_connected(mecdns_signals_t *signals);

/*! \brief Emits what is pending (bounded wait), stops the thread, frees. */
void mecdns_signals_stop(mecdns_signals_t *signals);
