/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: knotd's own D-Bus events, as hints for the Knot state.
 *
 *  knotd configured with `server: dbus-event: running zone-updated` takes
 *  the name cz.nic.knotd on the system bus (sd_bus_open_system(), so
 *  DBUS_SYSTEM_BUS_ADDRESS applies) and emits on /cz/nic/knotd, interface
 *  cz.nic.knotd.events (Knot 3.2, src/knot/common/systemd.c):
 *    started()                        when fully operational,
 *    stopped()                        at the beginning of a shutdown,
 *    zone_updated(s zone, u serial)   after every committed zone change
 *                                     (load, reload, transfer, zone-commit).
 *  A knotd that crashes sends no stopped(); the bus then reports the name's
 *  owner gone (NameOwnerChanged of cz.nic.knotd), which is watched too.
 *
 *  This is a listener on its own private connection, separate from the
 *  emitter of org.mecdns.syncd (signals.c): it never owns a name and never
 *  emits. It is driven by one thread (knot_state.c): poll() its fd, then
 *  knot_events_process(). A bus that is down is retried every retry_ms;
 *  events are only hints, Knot's control socket stays the source of truth.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	KNOT_EVENT_STARTED = 1,  /*!< started() */
	KNOT_EVENT_STOPPED,      /*!< stopped() */
	KNOT_EVENT_ZONE_UPDATED, /*!< zone_updated(zone, serial) */
	KNOT_EVENT_OWNER_GONE,   /*!< cz.nic.knotd lost its owner (stop or crash). */
	KNOT_EVENT_OWNER_NEW,    /*!< cz.nic.knotd got an owner. */
	KNOT_EVENT_CONNECTED,    /*!< (Re)connected to the bus: state may have
	                              changed unseen meanwhile. */
} knot_event_kind_t;

typedef struct {
	knot_event_kind_t kind;
	const char *zone; /*!< KNOT_EVENT_ZONE_UPDATED: "example.test." */
	uint32_t serial;  /*!< KNOT_EVENT_ZONE_UPDATED */
} knot_event_t;

typedef void (*knot_events_cb)(const knot_event_t *event, void *ctx);
typedef void (*knot_events_log_cb)(int priority, const char *msg, void *ctx);

typedef struct knot_events knot_events_t;

/*!
 * \brief Prepares the listener (connects on the first knot_events_process()).
 *
 * \param bus  "system" (also NULL), "session", a D-Bus address, or "none".
 *
 * \return The listener; NULL for "none" (no error) or with a message in err
 *         for a bad bus value.
 */
knot_events_t *knot_events_new(const char *bus, int retry_ms, knot_events_log_cb log, void *log_ctx,
                               char *err, size_t err_len);

/*! \brief The socket to poll() for input, or -1 while not connected. */
int knot_events_fd(knot_events_t *events);

/*! \brief Milliseconds until knot_events_process() must run again without
 *         input (reconnect due); -1 when only input matters. */
int knot_events_timeout_ms(knot_events_t *events);

/*! \brief Connects when due, reads what arrived and calls cb once per event. */
void knot_events_process(knot_events_t *events, knot_events_cb cb, void *cb_ctx);

/*! \brief Closes the connection and frees; NULL is fine. */
void knot_events_free(knot_events_t *events);
