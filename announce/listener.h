/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce on D-Bus: the only code that talks D-Bus.
 *
 *  Keeps one private libdbus connection to the configured bus and turns
 *  what it sees into one input, "serving" (true / false), for the caller:
 *
 *    serving(b) signal of the current owner of org.mecdns.syncd  → b
 *    shutting_down signal of that owner                          → false
 *    GetState() answer (its "serving" entry)                     → the value
 *    org.mecdns.syncd loses its owner or changes owner
 *      (NameOwnerChanged)                                        → false
 *    the bus connection is lost, or cannot be made               → false
 *
 *  A second input, "busy" (true / false), for the AS-path prepend of
 *  draft-grubto sections 3.9 and 3.10: query_rate or query_rate_increase
 *  exceeded, from their signals (third argument) and GetState's
 *  qps_exceeded / qps_increase_exceeded; false whenever serving is lost
 *  with the owner or the bus.
 *
 *  The signals are matched with sender=org.mecdns.syncd and checked
 *  against the owner's unique name. GetState is asked (asynchronously, so
 *  that its answer and the signals are handled in the order syncd sent
 *  them) whenever an owner appears: after connecting, when the name gets
 *  an owner, and again every retry_ms while it fails, until it or a
 *  serving signal gives the state. A lost bus is reconnected every
 *  retry_ms. Nothing is ever activated (auto-start is off).
 */

#pragma once

#include <stdbool.h>

#define ANNOUNCE_SYNCD_NAME   "org.mecdns.syncd"
#define ANNOUNCE_SYNCD_PATH   "/org/mecdns/syncd"
#define ANNOUNCE_SYNCD_EVENTS "org.mecdns.syncd.events"
#define ANNOUNCE_SYNCD_STATE  "org.mecdns.syncd.state"

/*! The input: serving or not, and why (for the log; a static string or
 *  valid during the call). */
typedef void (*announce_listener_cb)(bool serving, const char *why, void *ctx);

/*! The second input: busy or not (see above). */
typedef void (*announce_listener_busy_cb)(bool busy, const char *why, void *ctx);

typedef struct announce_listener announce_listener_t;

/*! \brief Also report busy (called with the ctx of announce_listener_new()). */
void announce_listener_on_busy(announce_listener_t *listener, announce_listener_busy_cb cb);

/*!
 * \brief Sets up the listener; the first connect happens in the first
 *        announce_listener_process().
 *
 * \param bus       "system" (also NULL), "session" or a D-Bus address
 *                  (common/bus.h; "none" is refused: serving comes from the bus).
 * \param retry_ms  Reconnect and GetState retry interval.
 *
 * \return NULL with a message in err (bad bus setting, out of memory).
 */
announce_listener_t *announce_listener_new(const char *bus, int retry_ms, announce_listener_cb cb,
                                           void *ctx, char *err, size_t err_len);

/*! \brief Connects when due, reads and handles what the bus sent, handles
 *         timeouts. Calls the callback zero or more times. */
void announce_listener_process(announce_listener_t *listener, long long now_ms);

/*! \brief The connection's socket (poll it for input), or -1. */
int announce_listener_fd(const announce_listener_t *listener);

/*! \brief When process() must run again at the latest, or -1. */
long long announce_listener_next_wake(const announce_listener_t *listener);

/*! \brief Closes the connection and frees. */
void announce_listener_free(announce_listener_t *listener);
