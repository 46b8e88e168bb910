/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: knotd's own D-Bus events (see knot_events.h).
 *
 *  One private libdbus connection, used by the one thread that calls
 *  knot_events_process(). Two match rules: the signals of
 *  cz.nic.knotd.events on /cz/nic/knotd, and NameOwnerChanged of
 *  cz.nic.knotd. A filter turns each into a knot_event_t.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <dbus/dbus.h>

#include "syncd/knot_events.h"

#define KNOTD_NAME         "cz.nic.knotd"
#define KNOTD_PATH         "/cz/nic/knotd"
#define KNOTD_EVENTS_IFACE "cz.nic.knotd.events"

#define DEFAULT_RETRY_MS 1000

typedef enum {
	BUS_SYSTEM = 1,
	BUS_SESSION,
	BUS_ADDRESS,
} bus_kind_t;

struct knot_events {
	bus_kind_t kind;
	char *bus;
	int retry_ms;
	knot_events_log_cb log;
	void *log_ctx;

	DBusConnection *conn;
	long long next_connect_ms;
	bool down_logged; /*!< "cannot connect" logged once per outage. */

	/* Set during knot_events_process() for the filter. */
	knot_events_cb cb;
	void *cb_ctx;
};

static void events_log(knot_events_t *events, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*! \brief Formats one log line and hands it to the configured sink. */
static void events_log(knot_events_t *events, int priority, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (events->log != NULL) {
		events->log(priority, msg, events->log_ctx);
	} else {
		fprintf(stderr, "mecdns-syncd: knot-dbus: %s\n", msg);
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*! \brief Turns knotd's signals and NameOwnerChanged into events. */
static DBusHandlerResult events_filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	knot_events_t *events = data;
	if (events->cb == NULL || dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_SIGNAL) {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	knot_event_t event = { 0 };
	const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged")) {
		if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING,
		                           &old_owner, DBUS_TYPE_STRING, &new_owner,
		                           DBUS_TYPE_INVALID) ||
		    strcmp(name, KNOTD_NAME) != 0) {
			return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
		}
		event.kind = *new_owner == '\0' ? KNOT_EVENT_OWNER_GONE : KNOT_EVENT_OWNER_NEW;
	} else if (dbus_message_is_signal(msg, KNOTD_EVENTS_IFACE, "started")) {
		event.kind = KNOT_EVENT_STARTED;
	} else if (dbus_message_is_signal(msg, KNOTD_EVENTS_IFACE, "stopped")) {
		event.kind = KNOT_EVENT_STOPPED;
	} else if (dbus_message_is_signal(msg, KNOTD_EVENTS_IFACE, "zone_updated")) {
		dbus_uint32_t serial = 0;
		if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &event.zone,
		                           DBUS_TYPE_UINT32, &serial, DBUS_TYPE_INVALID)) {
			return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
		}
		event.serial = serial;
		event.kind = KNOT_EVENT_ZONE_UPDATED;
	} else {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	events->cb(&event, events->cb_ctx);
	return DBUS_HANDLER_RESULT_HANDLED;
}

/*! \brief Opens the connection, subscribes; NULL with err set on failure. */
static DBusConnection *events_open(knot_events_t *events, DBusError *err)
{
	DBusConnection *conn = NULL;
	if (events->kind == BUS_ADDRESS) {
		conn = dbus_connection_open_private(events->bus, err);
		if (conn != NULL && !dbus_bus_register(conn, err)) {
			dbus_connection_close(conn);
			dbus_connection_unref(conn);
			conn = NULL;
		}
	} else {
		conn = dbus_bus_get_private(
		    events->kind == BUS_SYSTEM ? DBUS_BUS_SYSTEM : DBUS_BUS_SESSION, err);
	}
	if (conn == NULL) {
		return NULL;
	}
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	dbus_bus_add_match(
	    conn, "type='signal',interface='" KNOTD_EVENTS_IFACE "',path='" KNOTD_PATH "'", err);
	if (!dbus_error_is_set(err)) {
		dbus_bus_add_match(conn,
		                   "type='signal',sender='" DBUS_SERVICE_DBUS
		                   "',interface='" DBUS_INTERFACE_DBUS
		                   "',member='NameOwnerChanged',arg0='" KNOTD_NAME "'",
		                   err);
	}
	if (dbus_error_is_set(err) ||
	    !dbus_connection_add_filter(conn, events_filter, events, NULL)) {
		if (!dbus_error_is_set(err)) {
			dbus_set_error_const(err, DBUS_ERROR_NO_MEMORY, "out of memory");
		}
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		return NULL;
	}
	return conn;
}

static void events_close(knot_events_t *events)
{
	if (events->conn == NULL) {
		return;
	}
	dbus_connection_close(events->conn);
	dbus_connection_unref(events->conn);
	events->conn = NULL;
}

knot_events_t *knot_events_new(const char *bus, int retry_ms, knot_events_log_cb log, void *log_ctx,
                               char *err, size_t err_len)
{
	bus_kind_t kind = BUS_SYSTEM;
	if (bus != NULL && strcmp(bus, "none") == 0) {
		return NULL;
	}
	if (bus == NULL || strcmp(bus, "system") == 0) {
		kind = BUS_SYSTEM;
	} else if (strcmp(bus, "session") == 0) {
		kind = BUS_SESSION;
	} else {
		DBusAddressEntry **entries = NULL;
		int count = 0;
		DBusError derr;
		dbus_error_init(&derr);
		if (!dbus_parse_address(bus, &entries, &count, &derr)) {
			snprintf(err, err_len,
			         "bad knot-dbus '%s' (want system, none or an address "
			         "such as unix:path=/run/dbus/system_bus_socket): %s",
			         bus, derr.message);
			dbus_error_free(&derr);
			return NULL;
		}
		dbus_address_entries_free(entries);
		kind = BUS_ADDRESS;
	}
	knot_events_t *events = calloc(1, sizeof(*events));
	if (events == NULL || (events->bus = strdup(bus != NULL ? bus : "system")) == NULL) {
		free(events);
		snprintf(err, err_len, "knot-dbus: out of memory");
		return NULL;
	}
	if (!dbus_threads_init_default()) {
		free(events->bus);
		free(events);
		snprintf(err, err_len, "knot-dbus: libdbus thread support: out of memory");
		return NULL;
	}
	events->kind = kind;
	events->retry_ms = retry_ms > 0 ? retry_ms : DEFAULT_RETRY_MS;
	events->log = log;
	events->log_ctx = log_ctx;
	return events;
}

int knot_events_fd(knot_events_t *events)
{
	int fd = -1;
	if (events == NULL || events->conn == NULL ||
	    !dbus_connection_get_socket(events->conn, &fd)) {
		return -1;
	}
	return fd;
}

int knot_events_timeout_ms(knot_events_t *events)
{
	if (events == NULL) {
		return -1;
	}
	if (events->conn != NULL) {
		/* Messages read already but not dispatched: at once. */
		return dbus_connection_get_dispatch_status(events->conn) ==
		               DBUS_DISPATCH_DATA_REMAINS
		           ? 0
		           : -1;
	}
	long long wait = events->next_connect_ms - now_ms();
	return wait < 0 ? 0 : (int)wait;
}

/*! \brief Connects when due; logs a failure once per outage. */
static void try_connect(knot_events_t *events, knot_events_cb cb, void *cb_ctx)
{
	if (events->conn != NULL || now_ms() < events->next_connect_ms) {
		return;
	}
	DBusError err;
	dbus_error_init(&err);
	events->conn = events_open(events, &err);
	if (events->conn == NULL) {
		events->next_connect_ms = now_ms() + events->retry_ms;
		if (!events->down_logged) {
			events_log(events, LOG_WARNING,
			           "cannot listen to knotd's events on bus %s (%s); polling the "
			           "control socket only, retrying every %d ms",
			           events->bus, err.message ? err.message : "unknown error",
			           events->retry_ms);
			events->down_logged = true;
		}
		dbus_error_free(&err);
		return;
	}
	events_log(events, LOG_INFO, "listening to knotd's events (%s) on bus %s", KNOTD_NAME,
	           events->bus);
	events->down_logged = false;
	knot_event_t event = { .kind = KNOT_EVENT_CONNECTED };
	cb(&event, cb_ctx);
}

void knot_events_process(knot_events_t *events, knot_events_cb cb, void *cb_ctx)
{
	if (events == NULL) {
		return;
	}
	try_connect(events, cb, cb_ctx);
	if (events->conn == NULL) {
		return;
	}
	events->cb = cb;
	events->cb_ctx = cb_ctx;
	dbus_connection_read_write(events->conn, 0);
	while (dbus_connection_dispatch(events->conn) == DBUS_DISPATCH_DATA_REMAINS) {
	}
	events->cb = NULL;
	events->cb_ctx = NULL;
	if (!dbus_connection_get_is_connected(events->conn)) {
		events_close(events);
		events->next_connect_ms = now_ms() + events->retry_ms;
		events_log(events, LOG_WARNING,
		           "lost bus %s (knotd's events); polling only, "
		           "reconnecting every %d ms",
		           events->bus, events->retry_ms);
		events->down_logged = true;
	}
}

void knot_events_free(knot_events_t *events)
{
	if (events == NULL) {
		return;
	}
	events_close(events);
	free(events->bus);
	free(events);
}
