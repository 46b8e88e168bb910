/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: knotd's own D-Bus events (see kevents.h).
 *
 *  One private libdbus connection, used by the one thread that calls
 *  kevents_process(). Two match rules: the signals of
 *  cz.nic.knotd.events on /cz/nic/knotd, and NameOwnerChanged of
 *  cz.nic.knotd. A filter turns each into a kevent_t.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <dbus/dbus.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/bus.h"
#include "syncd/kevents.h"

#define KNOTD_NAME         "cz.nic.knotd"
#define KNOTD_PATH         "/cz/nic/knotd"
#define KNOTD_EVENTS_IFACE "cz.nic.knotd.events"

struct kevents {
	mecdns_bus_t bus;
	mecdns_log_cb log;
	void *log_ctx;

	bool down_logged; /*!< "cannot connect" logged once per outage. */

	/* Set during kevents_process() for the filter. */
	kevents_cb cb;
	void *cb_ctx;
};

static void events_log(kevents_t *events, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*! \brief Formats one log line and hands it to the configured sink. */
static void events_log(kevents_t *events, int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mecdns_log_vsink(events->log, events->log_ctx, "knot-dbus", priority, fmt, ap);
	va_end(ap);
}

/*! \brief Turns knotd's signals and NameOwnerChanged into events. */
static DBusHandlerResult events_filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	kevents_t *events = data;
	if (events->cb == NULL || dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_SIGNAL) {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	kevent_t event = { 0 };
	const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged")) {
		if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING,
		                           &old_owner, DBUS_TYPE_STRING, &new_owner,
		                           DBUS_TYPE_INVALID) ||
		    strcmp(name, KNOTD_NAME) != 0) {
			return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
		}
		event.kind = *new_owner == '\0' ? KEVENT_OWNER_GONE : KEVENT_OWNER_NEW;
	} else if (dbus_message_is_signal(msg, KNOTD_EVENTS_IFACE, "started")) {
		event.kind = KEVENT_STARTED;
	} else if (dbus_message_is_signal(msg, KNOTD_EVENTS_IFACE, "stopped")) {
		event.kind = KEVENT_STOPPED;
	} else if (dbus_message_is_signal(msg, KNOTD_EVENTS_IFACE, "zone_updated")) {
		dbus_uint32_t serial = 0;
		if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &event.zone,
		                           DBUS_TYPE_UINT32, &serial, DBUS_TYPE_INVALID)) {
			return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
		}
		event.serial = serial;
		event.kind = KEVENT_ZONE_UPDATED;
	} else {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	events->cb(&event, events->cb_ctx);
	return DBUS_HANDLER_RESULT_HANDLED;
}

/*! knotd's events and its name's owner changes. */
static const char *const match_rules[] = {
	"type='signal',interface='" KNOTD_EVENTS_IFACE "',path='" KNOTD_PATH "'",
	"type='signal',sender='" DBUS_SERVICE_DBUS "',interface='" DBUS_INTERFACE_DBUS
	"',member='NameOwnerChanged',arg0='" KNOTD_NAME "'",
};

/*! \brief Opens the connection, subscribes; NULL with err set on failure. */
static DBusConnection *events_open(kevents_t *events, DBusError *err)
{
	DBusConnection *conn = mecdns_bus_connect(&events->bus, match_rules,
	                                          sizeof(match_rules) / sizeof(*match_rules),
	                                          mecdns_monotonic_ms(), err);
	if (conn != NULL && !dbus_connection_add_filter(conn, events_filter, events, NULL)) {
		dbus_set_error_const(err, DBUS_ERROR_NO_MEMORY, "out of memory");
		mecdns_bus_disconnect(&events->bus, mecdns_monotonic_ms());
		return NULL;
	}
	return conn;
}

kevents_t *kevents_new(const char *bus, int retry_ms, mecdns_log_cb log, void *log_ctx, char *err,
                       size_t err_len)
{
	kevents_t *events = calloc(1, sizeof(*events));
	if (events == NULL) {
		snprintf(err, err_len, "knot-dbus: out of memory");
		return NULL;
	}
	if (!mecdns_bus_init(&events->bus, bus, "knot-dbus", retry_ms, err, err_len) ||
	    events->bus.kind == MECDNS_BUS_NONE) {
		/* "none": no listener and no error (err stays as it was). */
		mecdns_bus_deinit(&events->bus);
		free(events);
		return NULL;
	}
	events->log = log;
	events->log_ctx = log_ctx;
	return events;
}

int kevents_fd(kevents_t *events)
{
	int fd = -1;
	if (events == NULL || events->bus.conn == NULL ||
	    !dbus_connection_get_socket(events->bus.conn, &fd)) {
		return -1;
	}
	return fd;
}

int kevents_timeout_ms(kevents_t *events)
{
	if (events == NULL) {
		return -1;
	}
	if (events->bus.conn != NULL) {
		/* Messages read already but not dispatched: at once. */
		return dbus_connection_get_dispatch_status(events->bus.conn) ==
		               DBUS_DISPATCH_DATA_REMAINS
		           ? 0
		           : -1;
	}
	long long wait = events->bus.next_ms - mecdns_monotonic_ms();
	return wait < 0 ? 0 : (int)wait;
}

/*! \brief Connects when due; logs a failure once per outage. */
static void try_connect(kevents_t *events, kevents_cb cb, void *cb_ctx)
{
	if (!mecdns_bus_connect_due(&events->bus, mecdns_monotonic_ms())) {
		return;
	}
	DBusError err;
	dbus_error_init(&err);
	if (events_open(events, &err) == NULL) {
		if (!events->down_logged) {
			events_log(events, LOG_WARNING,
			           "cannot listen to knotd's events on bus %s (%s); polling the "
			           "control socket only, retrying every %d ms",
			           events->bus.name, err.message ? err.message : "unknown error",
			           events->bus.retry_ms);
			events->down_logged = true;
		}
		dbus_error_free(&err);
		return;
	}
	events_log(events, LOG_INFO, "listening to knotd's events (%s) on bus %s", KNOTD_NAME,
	           events->bus.name);
	events->down_logged = false;
	kevent_t event = { .kind = KEVENT_CONNECTED };
	cb(&event, cb_ctx);
}

void kevents_process(kevents_t *events, kevents_cb cb, void *cb_ctx)
{
	if (events == NULL) {
		return;
	}
	try_connect(events, cb, cb_ctx);
	if (events->bus.conn == NULL) {
		return;
	}
	events->cb = cb;
	events->cb_ctx = cb_ctx;
	dbus_connection_read_write(events->bus.conn, 0);
	while (dbus_connection_dispatch(events->bus.conn) == DBUS_DISPATCH_DATA_REMAINS) {
	}
	events->cb = NULL;
	events->cb_ctx = NULL;
	if (!dbus_connection_get_is_connected(events->bus.conn)) {
		mecdns_bus_disconnect(&events->bus, mecdns_monotonic_ms());
		events_log(events, LOG_WARNING,
		           "lost bus %s (knotd's events); polling only, "
		           "reconnecting every %d ms",
		           events->bus.name, events->bus.retry_ms);
		events->down_logged = true;
	}
}

void kevents_free(kevents_t *events)
{
	if (events == NULL) {
		return;
	}
	mecdns_bus_deinit(&events->bus);
	free(events);
}
