/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: a private dbus-daemon and a signal listener.
 *
 *  harness_dbus_start() runs dbus-daemon ($DBUS_DAEMON, else
 *  /usr/bin/dbus-daemon) with a generated configuration on a unix socket in
 *  its own temporary directory; the policy lets everybody own names, send
 *  and receive (unless the test passes its own policy, e.g. to check the
 *  installed org.mecdns.syncd.conf). The daemon can be stopped and started
 *  again on the same address to test reconnection.
 *
 *  A listener is a plain libdbus connection of the test: it subscribes to
 *  the signals of org.mecdns.syncd.events and collects them, with their
 *  arguments rendered as text, until a count or a deadline is reached. It
 *  is used from one thread (the test's).
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/harness/harness.h"

typedef struct {
	harness_proc_t proc; /*!< The dbus-daemon (pid 0 when stopped). */
	char *dir;           /*!< Its directory: config, socket, log. */
	char *address;       /*!< "unix:path=DIR/bus". */
	char *config_path;
	char *policy; /*!< <policy> elements of the config (owned). */
} harness_dbus_t;

/*!
 * \brief Starts a private dbus-daemon and waits until it accepts clients.
 *
 * \param policy  NULL for "allow everything", or the XML put inside
 *                <busconfig> after <listen>/<auth> (policies, includes).
 *
 * \return 0, or -1 with a message on stderr (the daemon's log included).
 */
int harness_dbus_start(harness_dbus_t *bus, const char *policy);

/*! \brief Stops the daemon by PID (clients see a disconnect); keeps the
 *         directory so that harness_dbus_restart() uses the same address. */
void harness_dbus_stop(harness_dbus_t *bus);

/*! \brief Starts the daemon again on the same address; 0 or -1. */
int harness_dbus_restart(harness_dbus_t *bus);

/*! \brief The policy used when harness_dbus_start() gets NULL (allow all). */
const char *harness_dbus_allow_all_policy(void);

/*!
 * \brief Replaces the policy (NULL: allow all) in the configuration file;
 *        a running daemon reloads it before this returns (ReloadConfig),
 *        a stopped one uses it on harness_dbus_restart().
 *
 * \return 0, or -1 with a message on stderr.
 */
int harness_dbus_set_policy(harness_dbus_t *bus, const char *policy);

/*! \brief Stops the daemon and removes its directory; frees the fields. */
void harness_dbus_free(harness_dbus_t *bus);

/*! A received signal: member and arguments as text. */
typedef struct {
	char *interface;
	char *member;
	char *path;
	char *sender;
	/*! "member(arg, arg, ...)" with strings quoted ('x'), integers in
	 *  decimal, booleans true/false, e.g.
	 *  rule_changed('app-1', 'r1', 'www.example.com', 'ACTIVE', 3, ''). */
	char *text;
	size_t argc;
	char *args[8]; /*!< Each argument alone, unquoted ("app-1", "3"). */
} harness_dbus_signal_t;

typedef struct harness_dbus_listener harness_dbus_listener_t;

/*!
 * \brief Connects to address and subscribes to the signals of interface
 *        (NULL: org.mecdns.syncd.events).
 *
 * \return The listener, or NULL with a message on stderr.
 */
harness_dbus_listener_t *harness_dbus_listen(const char *address, const char *interface);

/*! \brief Reads the connection until count signals are collected (in
 *         total) or timeout_ms passed; returns the number collected. */
size_t harness_dbus_wait(harness_dbus_listener_t *listener, size_t count, int timeout_ms);

/*! \brief Signals collected so far (valid until the next call). */
size_t harness_dbus_count(const harness_dbus_listener_t *listener);
const harness_dbus_signal_t *harness_dbus_signal(const harness_dbus_listener_t *listener,
                                                 size_t index);

/*! \brief Forgets the collected signals. */
void harness_dbus_clear(harness_dbus_listener_t *listener);

/*! \brief Prints the collected signals to stderr (for a failing test). */
void harness_dbus_dump(const harness_dbus_listener_t *listener);

/*! \brief True while the listener's connection is up. */
bool harness_dbus_connected(harness_dbus_listener_t *listener);

/*!
 * \brief Calls a method without arguments and returns its first string
 *        result (or "" if it returns none) as a malloc'd string.
 *
 * \param error  If not NULL and the call fails: malloc'd "ErrorName: text".
 *
 * \return The string, or NULL on error.
 */
char *harness_dbus_call(harness_dbus_listener_t *listener, const char *destination,
                        const char *path, const char *interface, const char *method, char **error);

/*! \brief Requests a well-known name for the listener's connection (to
 *         hold it away from someone else); 0 when it became the owner. */
int harness_dbus_own_name(harness_dbus_listener_t *listener, const char *name);

/*! \brief Releases a name requested with harness_dbus_own_name(). */
int harness_dbus_release_name(harness_dbus_listener_t *listener, const char *name);

/*! \brief Unique name (":1.5") owning name, malloc'd, or NULL. */
char *harness_dbus_name_owner(harness_dbus_listener_t *listener, const char *name);

/*! \brief Waits until name has an owner (true) or timeout_ms passed. */
bool harness_dbus_wait_owner(harness_dbus_listener_t *listener, const char *name, int timeout_ms);

/*! \brief Closes the connection and frees everything. */
void harness_dbus_listener_free(harness_dbus_listener_t *listener);
