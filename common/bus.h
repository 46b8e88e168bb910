/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  One way onto D-Bus for every mecdns program (syncd's signals, syncd's
 *  knotd event listener, mecdns-announce).
 *
 *  A bus setting is "system" (the default), "session", "none" or a D-Bus
 *  address such as unix:path=/run/dbus/system_bus_socket. Every connection
 *  is private (never libdbus's shared one, whose loss would exit the
 *  process), registered with the bus, and reopened by the reconnect policy:
 *  after a failed attempt or a lost connection, the next attempt is due
 *  retry_ms later. One thread uses a mecdns_bus_t at a time.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <dbus/dbus.h>

typedef enum {
	MECDNS_BUS_NONE = 0, /*!< No bus: nothing is sent or received. */
	MECDNS_BUS_SYSTEM,
	MECDNS_BUS_SESSION,
	MECDNS_BUS_ADDRESS,
} mecdns_bus_kind_t;

/*! Default reconnect period when none is configured. */
#define MECDNS_BUS_RETRY_MS 1000

typedef struct {
	mecdns_bus_kind_t kind;
	char *name;           /*!< "system", "session", "none" or the address. */
	int retry_ms;         /*!< Reconnect period. */
	long long next_ms;    /*!< When the next connection attempt is due. */
	DBusConnection *conn; /*!< NULL while disconnected. */
} mecdns_bus_t;

/*!
 * \brief Parses a bus setting (NULL: "system").
 *
 * \param item  The setting's name for the message ("dbus", "knot-dbus").
 * \return false with a message in err naming item and the value.
 */
bool mecdns_bus_parse(const char *setting, const char *item, mecdns_bus_kind_t *kind, char *err,
                      size_t err_len);

/*!
 * \brief Parses setting into bus (disconnected, first attempt due at once)
 *        and prepares libdbus for threads.
 *
 * \param retry_ms  Reconnect period; <= 0 takes MECDNS_BUS_RETRY_MS.
 * \return false with a message in err (bad setting, out of memory).
 */
bool mecdns_bus_init(mecdns_bus_t *bus, const char *setting, const char *item, int retry_ms,
                     char *err, size_t err_len);

/*! \brief Closes the connection and frees what init allocated. */
void mecdns_bus_deinit(mecdns_bus_t *bus);

/*! \brief Whether a connection attempt is due (disconnected, not "none",
 *         the retry time reached). */
bool mecdns_bus_connect_due(const mecdns_bus_t *bus, long long now_ms);

/*!
 * \brief Opens the private connection and adds the match rules.
 *
 * On failure the connection stays closed, err is set and the next attempt
 * is scheduled retry_ms after now_ms.
 *
 * \return bus->conn, or NULL with err set.
 */
DBusConnection *mecdns_bus_connect(mecdns_bus_t *bus, const char *const *matches, size_t count,
                                   long long now_ms, DBusError *err);

/*! \brief Closes the connection (if any) and schedules the next attempt
 *         retry_ms after now_ms. */
void mecdns_bus_disconnect(mecdns_bus_t *bus, long long now_ms);
