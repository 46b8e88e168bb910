/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: a private dbus-daemon and a signal listener. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tests/harness/dbus.h"

/*! Policy of a test bus when the test gives none: everything allowed. */
static const char ALLOW_ALL_POLICY[] = "  <policy context=\"default\">\n"
                                       "    <allow user=\"*\"/>\n"
                                       "    <allow own=\"*\"/>\n"
                                       "    <allow send_type=\"method_call\"/>\n"
                                       "    <allow send_type=\"signal\"/>\n"
                                       "    <allow send_type=\"method_return\"/>\n"
                                       "    <allow send_type=\"error\"/>\n"
                                       "    <allow receive_type=\"method_call\"/>\n"
                                       "    <allow receive_type=\"method_return\"/>\n"
                                       "    <allow receive_type=\"error\"/>\n"
                                       "    <allow receive_type=\"signal\"/>\n"
                                       "  </policy>\n";

#define LISTENER_MAX_SIGNALS 4096

struct harness_dbus_listener {
	DBusConnection *conn;
	harness_dbus_signal_t *signals;
	size_t count;
	size_t cap;
};

/*! \brief Path of the dbus-daemon to run. */
static const char *dbus_daemon_path(void)
{
	const char *env = getenv("DBUS_DAEMON");
	return (env != NULL && env[0] != '\0') ? env : "/usr/bin/dbus-daemon";
}

/*! \brief Waits until a client can connect and register on address. */
static int wait_bus_ready(harness_dbus_t *bus, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		DBusError err;
		dbus_error_init(&err);
		DBusConnection *conn = dbus_connection_open_private(bus->address, &err);
		if (conn != NULL) {
			bool ok = dbus_bus_register(conn, &err);
			dbus_connection_close(conn);
			dbus_connection_unref(conn);
			if (ok) {
				return 0;
			}
		}
		dbus_error_free(&err);
		if (!harness_alive(&bus->proc)) {
			return -1;
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return -1;
}

/*! \brief Starts the daemon on bus->config_path; 0 or -1. */
static int spawn_daemon(harness_dbus_t *bus)
{
	char *config_arg = harness_strdupf("--config-file=%s", bus->config_path);
	char *argv[] = { (char *)dbus_daemon_path(),
		         config_arg,
		         "--nofork",
		         "--nopidfile",
		         "--nosyslog",
		         NULL };
	char *log_path = harness_strdupf("%s/dbus-daemon.log", bus->dir);
	int ret = harness_spawn(&bus->proc, "dbus-daemon", argv, NULL, log_path);
	free(log_path);
	free(config_arg);
	if (ret != 0) {
		fprintf(stderr, "harness: cannot start %s: %s\n", argv[0], strerror(-ret));
		return -1;
	}
	if (wait_bus_ready(bus, 10000) != 0) {
		fprintf(stderr, "harness: dbus-daemon at %s did not come up\n", bus->address);
		harness_stop(&bus->proc, 2000);
		harness_dump_log(&bus->proc);
		return -1;
	}
	return 0;
}

const char *harness_dbus_allow_all_policy(void)
{
	return ALLOW_ALL_POLICY;
}

/*! \brief Writes bus->config_path from bus->address and bus->policy. */
static int write_config(harness_dbus_t *bus)
{
	char *config = harness_strdupf(
	    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
	    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	    "<busconfig>\n"
	    "  <type>mecdns-test</type>\n"
	    "  <listen>%s</listen>\n"
	    "  <auth>EXTERNAL</auth>\n"
	    "%s"
	    "</busconfig>\n",
	    bus->address, bus->policy);
	int ret = harness_write_file(bus->config_path, config);
	free(config);
	if (ret != 0) {
		fprintf(stderr, "harness: cannot write %s: %s\n", bus->config_path, strerror(-ret));
		return -1;
	}
	return 0;
}

int harness_dbus_start(harness_dbus_t *bus, const char *policy)
{
	memset(bus, 0, sizeof(*bus));
	bus->dir = harness_tmpdir("dbus");
	if (bus->dir == NULL) {
		fprintf(stderr, "harness: cannot create a directory for dbus-daemon\n");
		return -1;
	}
	bus->address = harness_strdupf("unix:path=%s/bus", bus->dir);
	bus->config_path = harness_strdupf("%s/bus.conf", bus->dir);
	bus->policy = strdup(policy != NULL ? policy : ALLOW_ALL_POLICY);
	if (write_config(bus) != 0) {
		return -1;
	}
	return spawn_daemon(bus);
}

/*! \brief Asks the running daemon to reload its configuration and waits
 *         for the answer (sent after the reload). */
static int reload_config(harness_dbus_t *bus)
{
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_connection_open_private(bus->address, &err);
	DBusMessage *reply = NULL;
	if (conn != NULL && dbus_bus_register(conn, &err)) {
		DBusMessage *call = dbus_message_new_method_call(
		    DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "ReloadConfig");
		if (call == NULL) {
			abort();
		}
		reply = dbus_connection_send_with_reply_and_block(conn, call, 10000, &err);
		dbus_message_unref(call);
	}
	if (conn != NULL) {
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
	}
	if (reply == NULL) {
		fprintf(stderr, "harness: ReloadConfig on %s: %s\n", bus->address, err.message);
		dbus_error_free(&err);
		return -1;
	}
	dbus_message_unref(reply);
	return 0;
}

int harness_dbus_set_policy(harness_dbus_t *bus, const char *policy)
{
	free(bus->policy);
	bus->policy = strdup(policy != NULL ? policy : ALLOW_ALL_POLICY);
	if (write_config(bus) != 0) {
		return -1;
	}
	return bus->proc.pid > 0 ? reload_config(bus) : 0;
}

void harness_dbus_stop(harness_dbus_t *bus)
{
	if (bus->proc.pid > 0) {
		harness_stop(&bus->proc, 5000);
	}
}

int harness_dbus_restart(harness_dbus_t *bus)
{
	harness_dbus_stop(bus);
	return spawn_daemon(bus);
}

void harness_dbus_free(harness_dbus_t *bus)
{
	harness_dbus_stop(bus);
	harness_rmtree(bus->dir);
	free(bus->dir);
	free(bus->address);
	free(bus->config_path);
	free(bus->policy);
	memset(bus, 0, sizeof(*bus));
}

/*** Listener. ***/

/*! \brief Appends text to a growing malloc'd string. */
static void append(char **buf, const char *fmt, const char *value)
{
	char *part = harness_strdupf(fmt, value);
	char *next = harness_strdupf("%s%s", *buf, part);
	free(part);
	free(*buf);
	*buf = next;
}

/*! \brief One basic argument as text (unquoted); NULL for other types. */
static char *basic_arg_text(DBusMessageIter *iter, bool *is_string)
{
	int type = dbus_message_iter_get_arg_type(iter);
	*is_string = false;
	switch (type) {
	case DBUS_TYPE_STRING:
	case DBUS_TYPE_OBJECT_PATH:
	case DBUS_TYPE_SIGNATURE: {
		const char *s;
		dbus_message_iter_get_basic(iter, &s);
		*is_string = true;
		return strdup(s);
	}
	case DBUS_TYPE_BOOLEAN: {
		dbus_bool_t b;
		dbus_message_iter_get_basic(iter, &b);
		return strdup(b ? "true" : "false");
	}
	case DBUS_TYPE_DOUBLE: {
		double d;
		dbus_message_iter_get_basic(iter, &d);
		return harness_strdupf("%g", d);
	}
	case DBUS_TYPE_BYTE: {
		unsigned char v;
		dbus_message_iter_get_basic(iter, &v);
		return harness_strdupf("%u", v);
	}
	case DBUS_TYPE_INT16:
	case DBUS_TYPE_INT32:
	case DBUS_TYPE_INT64: {
		DBusBasicValue v;
		dbus_message_iter_get_basic(iter, &v);
		long long n = type == DBUS_TYPE_INT16   ? v.i16
		              : type == DBUS_TYPE_INT32 ? v.i32
		                                        : v.i64;
		return harness_strdupf("%lld", n);
	}
	case DBUS_TYPE_UINT16:
	case DBUS_TYPE_UINT32:
	case DBUS_TYPE_UINT64: {
		DBusBasicValue v;
		dbus_message_iter_get_basic(iter, &v);
		unsigned long long n = type == DBUS_TYPE_UINT16   ? v.u16
		                       : type == DBUS_TYPE_UINT32 ? v.u32
		                                                  : v.u64;
		return harness_strdupf("%llu", n);
	}
	default:
		return harness_strdupf("<%c>", (char)type);
	}
}

/*! \brief Records one signal message. */
static void record_signal(harness_dbus_listener_t *listener, DBusMessage *msg)
{
	if (listener->count == listener->cap) {
		if (listener->cap == LISTENER_MAX_SIGNALS) {
			return;
		}
		size_t cap = listener->cap == 0 ? 64 : listener->cap * 2;
		harness_dbus_signal_t *bigger = realloc(listener->signals, cap * sizeof(*bigger));
		if (bigger == NULL) {
			abort();
		}
		listener->signals = bigger;
		listener->cap = cap;
	}
	harness_dbus_signal_t *sig = &listener->signals[listener->count++];
	memset(sig, 0, sizeof(*sig));
	const char *iface = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	const char *path = dbus_message_get_path(msg);
	const char *sender = dbus_message_get_sender(msg);
	sig->interface = strdup(iface ? iface : "");
	sig->member = strdup(member ? member : "");
	sig->path = strdup(path ? path : "");
	sig->sender = strdup(sender ? sender : "");
	sig->text = harness_strdupf("%s(", sig->member);
	DBusMessageIter iter;
	if (dbus_message_iter_init(msg, &iter)) {
		do {
			bool is_string;
			char *arg = basic_arg_text(&iter, &is_string);
			if (sig->argc > 0) {
				append(&sig->text, "%s", ", ");
			}
			append(&sig->text, is_string ? "'%s'" : "%s", arg);
			if (sig->argc < sizeof(sig->args) / sizeof(sig->args[0])) {
				sig->args[sig->argc++] = arg;
			} else {
				free(arg);
			}
		} while (dbus_message_iter_next(&iter));
	}
	append(&sig->text, "%s", ")");
}

/*! \brief Takes every queued message; records signals of our interest. */
static void drain_messages(harness_dbus_listener_t *listener)
{
	DBusMessage *msg;
	while ((msg = dbus_connection_pop_message(listener->conn)) != NULL) {
		if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_SIGNAL &&
		    !dbus_message_has_interface(msg, DBUS_INTERFACE_DBUS) &&
		    !dbus_message_has_interface(msg, DBUS_INTERFACE_LOCAL)) {
			record_signal(listener, msg);
		}
		dbus_message_unref(msg);
	}
}

harness_dbus_listener_t *harness_dbus_listen(const char *address, const char *interface)
{
	if (interface == NULL) {
		interface = "org.mecdns.syncd.events";
	}
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_connection_open_private(address, &err);
	if (conn == NULL || !dbus_bus_register(conn, &err)) {
		fprintf(stderr, "harness: cannot connect a listener to %s: %s\n", address,
		        err.message);
		dbus_error_free(&err);
		if (conn != NULL) {
			dbus_connection_close(conn);
			dbus_connection_unref(conn);
		}
		return NULL;
	}
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	char *rule = harness_strdupf("type='signal',interface='%s'", interface);
	dbus_bus_add_match(conn, rule, &err);
	free(rule);
	if (dbus_error_is_set(&err)) {
		fprintf(stderr, "harness: AddMatch on %s: %s\n", address, err.message);
		dbus_error_free(&err);
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		return NULL;
	}
	harness_dbus_listener_t *listener = calloc(1, sizeof(*listener));
	if (listener == NULL) {
		abort();
	}
	listener->conn = conn;
	return listener;
}

size_t harness_dbus_wait(harness_dbus_listener_t *listener, size_t count, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	drain_messages(listener);
	while (listener->count < count) {
		long long left = deadline - harness_now_ms();
		if (left <= 0 || !dbus_connection_get_is_connected(listener->conn)) {
			break;
		}
		dbus_connection_read_write(listener->conn, left > 100 ? 100 : (int)left);
		drain_messages(listener);
	}
	return listener->count;
}

size_t harness_dbus_count(const harness_dbus_listener_t *listener)
{
	return listener->count;
}

const harness_dbus_signal_t *harness_dbus_signal(const harness_dbus_listener_t *listener,
                                                 size_t index)
{
	return index < listener->count ? &listener->signals[index] : NULL;
}

static void signal_clear(harness_dbus_signal_t *sig)
{
	free(sig->interface);
	free(sig->member);
	free(sig->path);
	free(sig->sender);
	free(sig->text);
	for (size_t i = 0; i < sig->argc; i++) {
		free(sig->args[i]);
	}
}

void harness_dbus_clear(harness_dbus_listener_t *listener)
{
	for (size_t i = 0; i < listener->count; i++) {
		signal_clear(&listener->signals[i]);
	}
	listener->count = 0;
}

void harness_dbus_dump(const harness_dbus_listener_t *listener)
{
	fprintf(stderr, "----- %zu signals received -----\n", listener->count);
	for (size_t i = 0; i < listener->count; i++) {
		const harness_dbus_signal_t *sig = &listener->signals[i];
		fprintf(stderr, "%3zu %s %s %s.%s\n", i, sig->sender, sig->path, sig->interface,
		        sig->text);
	}
	fprintf(stderr, "----- end of signals -----\n");
}

bool harness_dbus_connected(harness_dbus_listener_t *listener)
{
	return listener != NULL && dbus_connection_get_is_connected(listener->conn);
}

char *harness_dbus_call(harness_dbus_listener_t *listener, const char *destination,
                        const char *path, const char *interface, const char *method, char **error)
{
	if (error != NULL) {
		*error = NULL;
	}
	DBusMessage *call = dbus_message_new_method_call(destination, path, interface, method);
	if (call == NULL) {
		abort();
	}
	DBusError err;
	dbus_error_init(&err);
	DBusMessage *reply =
	    dbus_connection_send_with_reply_and_block(listener->conn, call, 10000, &err);
	dbus_message_unref(call);
	if (reply == NULL) {
		if (error != NULL) {
			*error = harness_strdupf("%s: %s", err.name, err.message);
		}
		dbus_error_free(&err);
		return NULL;
	}
	char *result = NULL;
	DBusMessageIter iter;
	if (dbus_message_iter_init(reply, &iter) &&
	    dbus_message_iter_get_arg_type(&iter) == DBUS_TYPE_STRING) {
		const char *s;
		dbus_message_iter_get_basic(&iter, &s);
		result = strdup(s);
	} else {
		result = strdup("");
	}
	dbus_message_unref(reply);
	return result;
}

int harness_dbus_own_name(harness_dbus_listener_t *listener, const char *name)
{
	DBusError err;
	dbus_error_init(&err);
	int ret = dbus_bus_request_name(listener->conn, name, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err);
	if (ret == -1) {
		fprintf(stderr, "harness: RequestName %s: %s\n", name, err.message);
		dbus_error_free(&err);
		return -1;
	}
	return ret == DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER ? 0 : -1;
}

int harness_dbus_release_name(harness_dbus_listener_t *listener, const char *name)
{
	DBusError err;
	dbus_error_init(&err);
	int ret = dbus_bus_release_name(listener->conn, name, &err);
	if (ret == -1) {
		fprintf(stderr, "harness: ReleaseName %s: %s\n", name, err.message);
		dbus_error_free(&err);
		return -1;
	}
	return ret == DBUS_RELEASE_NAME_REPLY_RELEASED ? 0 : -1;
}

char *harness_dbus_name_owner(harness_dbus_listener_t *listener, const char *name)
{
	DBusMessage *call = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                                 DBUS_INTERFACE_DBUS, "GetNameOwner");
	if (call == NULL ||
	    !dbus_message_append_args(call, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID)) {
		abort();
	}
	DBusMessage *reply =
	    dbus_connection_send_with_reply_and_block(listener->conn, call, 10000, NULL);
	dbus_message_unref(call);
	const char *owner = NULL;
	char *result = NULL;
	if (reply != NULL &&
	    dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID)) {
		result = strdup(owner);
	}
	if (reply != NULL) {
		dbus_message_unref(reply);
	}
	return result;
}

bool harness_dbus_wait_owner(harness_dbus_listener_t *listener, const char *name, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		DBusError err;
		dbus_error_init(&err);
		bool has = dbus_bus_name_has_owner(listener->conn, name, &err);
		dbus_error_free(&err);
		if (has) {
			return true;
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return false;
}

void harness_dbus_listener_free(harness_dbus_listener_t *listener)
{
	if (listener == NULL) {
		return;
	}
	harness_dbus_clear(listener);
	free(listener->signals);
	dbus_connection_close(listener->conn);
	dbus_connection_unref(listener->conn);
	free(listener);
}
