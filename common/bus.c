/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  One way onto D-Bus (see bus.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bus.h"

bool mecdns_bus_parse(const char *setting, const char *item, mecdns_bus_kind_t *kind, char *err,
                      size_t err_len)
{
	if (setting == NULL || strcmp(setting, "system") == 0) {
		*kind = MECDNS_BUS_SYSTEM;
		return true;
	}
	if (strcmp(setting, "session") == 0) {
		*kind = MECDNS_BUS_SESSION;
		return true;
	}
	if (strcmp(setting, "none") == 0) {
		*kind = MECDNS_BUS_NONE;
		return true;
	}
	DBusAddressEntry **entries = NULL;
	int count = 0;
	DBusError derr;
	dbus_error_init(&derr);
	if (!dbus_parse_address(setting, &entries, &count, &derr)) {
		snprintf(err, err_len,
		         "bad %s '%s' (want system, session, none or a D-Bus address such as "
		         "unix:path=/run/dbus/system_bus_socket): %s",
		         item, setting, derr.message);
		dbus_error_free(&derr);
		return false;
	}
	dbus_address_entries_free(entries);
	*kind = MECDNS_BUS_ADDRESS;
	return true;
}

bool mecdns_bus_init(mecdns_bus_t *bus, const char *setting, const char *item, int retry_ms,
                     char *err, size_t err_len)
{
	memset(bus, 0, sizeof(*bus));
	if (!mecdns_bus_parse(setting, item, &bus->kind, err, err_len)) {
		return false;
	}
	bus->name = strdup(setting != NULL ? setting : "system");
	if (bus->name == NULL) {
		snprintf(err, err_len, "%s: out of memory", item);
		return false;
	}
	/* Each user runs its own thread; libdbus must lock its globals. */
	if (!dbus_threads_init_default()) {
		snprintf(err, err_len, "%s: libdbus thread support: out of memory", item);
		free(bus->name);
		bus->name = NULL;
		return false;
	}
	bus->retry_ms = retry_ms > 0 ? retry_ms : MECDNS_BUS_RETRY_MS;
	return true;
}

void mecdns_bus_deinit(mecdns_bus_t *bus)
{
	mecdns_bus_disconnect(bus, 0);
	free(bus->name);
	bus->name = NULL;
}

bool mecdns_bus_connect_due(const mecdns_bus_t *bus, long long now_ms)
{
	return bus->kind != MECDNS_BUS_NONE && bus->conn == NULL && now_ms >= bus->next_ms;
}

/*! \brief A private connection registered with the bus; NULL with err set. */
static DBusConnection *open_private(const mecdns_bus_t *bus, DBusError *err)
{
	DBusConnection *conn = NULL;
	switch (bus->kind) {
	case MECDNS_BUS_SYSTEM:
		return dbus_bus_get_private(DBUS_BUS_SYSTEM, err);
	case MECDNS_BUS_SESSION:
		return dbus_bus_get_private(DBUS_BUS_SESSION, err);
	case MECDNS_BUS_ADDRESS:
		conn = dbus_connection_open_private(bus->name, err);
		if (conn != NULL && !dbus_bus_register(conn, err)) {
			dbus_connection_close(conn);
			dbus_connection_unref(conn);
			conn = NULL;
		}
		return conn;
	case MECDNS_BUS_NONE:
		break;
	}
	dbus_set_error_const(err, DBUS_ERROR_FAILED, "bus is none");
	return NULL;
}

DBusConnection *mecdns_bus_connect(mecdns_bus_t *bus, const char *const *matches, size_t count,
                                   long long now_ms, DBusError *err)
{
	mecdns_bus_disconnect(bus, now_ms);
	DBusConnection *conn = open_private(bus, err);
	if (conn == NULL) {
		return NULL;
	}
	/* dbus_bus_get_private() would exit the process when the bus goes. */
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	for (size_t i = 0; i < count && !dbus_error_is_set(err); i++) {
		dbus_bus_add_match(conn, matches[i], err);
	}
	if (dbus_error_is_set(err)) {
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		return NULL;
	}
	bus->conn = conn;
	return conn;
}

void mecdns_bus_disconnect(mecdns_bus_t *bus, long long now_ms)
{
	if (bus->conn != NULL) {
		dbus_connection_close(bus->conn);
		dbus_connection_unref(bus->conn);
		bus->conn = NULL;
	}
	bus->next_ms = now_ms + bus->retry_ms;
}
