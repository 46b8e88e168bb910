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
 *  emits. It is driven by one thread (kstate.c): poll() its fd, then
 *  kevents_process(). A bus that is down is retried every retry_ms;
 *  events are only hints, Knot's control socket stays the source of truth.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

typedef enum {
	KEVENT_STARTED = 1,  /*!< started() */
	KEVENT_STOPPED,      /*!< stopped() */
	KEVENT_ZONE_UPDATED, /*!< zone_updated(zone, serial) */
	KEVENT_OWNER_GONE,   /*!< cz.nic.knotd lost its owner (stop or crash). */
	KEVENT_OWNER_NEW,    /*!< cz.nic.knotd got an owner. */
	KEVENT_CONNECTED,    /*!< (Re)connected to the bus: state may have
	                              changed unseen meanwhile. */
} kevent_kind_t;

typedef struct {
	kevent_kind_t kind;
	const char *zone; /*!< KEVENT_ZONE_UPDATED: "example.test." */
	uint32_t serial;  /*!< KEVENT_ZONE_UPDATED */
} kevent_t;

typedef void (*kevents_cb)(const kevent_t *event, void *ctx);

typedef struct kevents kevents_t;

/*!
 * \brief Prepares the listener (connects on the first kevents_process()).
 *
 * \param bus  "system" (also NULL), "session", a D-Bus address, or "none".
 *
 * \return The listener; NULL for "none" (no error) or with a message in err
 *         for a bad bus value.
 */
kevents_t *kevents_new(const char *bus, int retry_ms, mecdns_log_cb log, void *log_ctx, char *err,
                       size_t err_len);

/*! \brief The socket to poll() for input, or -1 while not connected. */
int kevents_fd(kevents_t *events);

/*! \brief Milliseconds until kevents_process() must run again without
 *         input (reconnect due); -1 when only input matters. */
int kevents_timeout_ms(kevents_t *events);

/*! \brief Connects when due, reads what arrived and calls cb once per event. */
void kevents_process(kevents_t *events, kevents_cb cb, void *cb_ctx);

/*! \brief Closes the connection and frees; NULL is fine. */
void kevents_free(kevents_t *events);
