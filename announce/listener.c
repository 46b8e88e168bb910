/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce on D-Bus (see listener.h).
 *
 *  Everything happens in the caller's thread: process() connects when due,
 *  reads the socket without blocking and dispatches; the filter below sees
 *  every message in the order the bus delivered it. The only blocking
 *  calls are the short round trips right after connecting (Hello, AddMatch,
 *  GetNameOwner).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbus/dbus.h>

#include "announce/listener.h"
#include "common/bus.h"
#include "common/log.h"

/*! How long GetState may take before it is asked again. */
#define STATE_TIMEOUT_MS 5000
/*! Timeout of the round trips after connecting. */
#define CONNECT_CALL_TIMEOUT_MS 5000

struct announce_listener {
	mecdns_bus_t bus;
	announce_listener_cb cb;
	announce_listener_busy_cb busy_cb; /*!< NULL: busy is not reported. */
	void *ctx;
	bool rate_exceeded;     /*!< query_rate, as syncd last said. */
	bool increase_exceeded; /*!< query_rate_increase. */
	bool busy;              /*!< As last reported. */

	long long now_ms; /*!< Time of the running process(). */

	char *owner;                /*!< Unique name owning org.mecdns.syncd, or NULL. */
	bool state_known;           /*!< The owner's state arrived (reply or signal). */
	dbus_uint32_t state_serial; /*!< Pending GetState (0: none). */
	long long state_deadline_ms;
	long long next_state_ms; /*!< When to ask GetState (-1: not now). */

	mecdns_log_once_t problem; /*!< Logged once until something works. */
};

/*! \brief Logs a warning once; the same text again stays quiet until
 *         problem_solved() (so a bus that stays down logs one line). */
#define log_problem(listener, ...) mecdns_log_once(&(listener)->problem, __VA_ARGS__)

static void problem_solved(announce_listener_t *listener)
{
	mecdns_log_once_reset(&listener->problem);
}

announce_listener_t *announce_listener_new(const char *bus, int retry_ms, announce_listener_cb cb,
                                           void *ctx, char *err, size_t err_len)
{
	announce_listener_t *listener = calloc(1, sizeof(*listener));
	if (listener == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if (!mecdns_bus_init(&listener->bus, bus, "dbus", retry_ms, err, err_len)) {
		free(listener);
		return NULL;
	}
	if (listener->bus.kind == MECDNS_BUS_NONE) {
		snprintf(err, err_len, "dbus none: mecdns-announce learns serving from the bus");
		mecdns_bus_deinit(&listener->bus);
		free(listener);
		return NULL;
	}
	listener->cb = cb;
	listener->ctx = ctx;
	listener->next_state_ms = -1;
	return listener;
}

void announce_listener_on_busy(announce_listener_t *listener, announce_listener_busy_cb cb)
{
	listener->busy_cb = cb;
}

/*! \brief Takes syncd's query-rate conditions; reports busy when it changed. */
static void set_busy(announce_listener_t *listener, bool rate, bool increase, const char *why)
{
	listener->rate_exceeded = rate;
	listener->increase_exceeded = increase;
	bool busy = rate || increase;
	if (busy == listener->busy) {
		return;
	}
	listener->busy = busy;
	if (listener->busy_cb != NULL) {
		listener->busy_cb(busy, why, listener->ctx);
	}
}

/*! \brief serving is lost (owner or bus gone, shutting down): so is busy. */
static void lost(announce_listener_t *listener, const char *why)
{
	listener->cb(false, why, listener->ctx);
	set_busy(listener, false, false, why);
}

/*** GetState. ***/

/*! \brief Sends GetState to org.mecdns.syncd; the answer comes through
 *         the filter. */
static void ask_state(announce_listener_t *listener)
{
	listener->next_state_ms = -1;
	DBusMessage *msg = dbus_message_new_method_call(ANNOUNCE_SYNCD_NAME, ANNOUNCE_SYNCD_PATH,
	                                                ANNOUNCE_SYNCD_STATE, "GetState");
	if (msg == NULL) {
		listener->next_state_ms = listener->now_ms + listener->bus.retry_ms;
		return;
	}
	dbus_message_set_auto_start(msg, FALSE);
	dbus_uint32_t serial = 0;
	if (dbus_connection_send(listener->bus.conn, msg, &serial)) {
		listener->state_serial = serial;
		listener->state_deadline_ms = listener->now_ms + STATE_TIMEOUT_MS;
		log_debug("asked %s for GetState", ANNOUNCE_SYNCD_NAME);
	} else {
		listener->next_state_ms = listener->now_ms + listener->bus.retry_ms;
	}
	dbus_message_unref(msg);
}

/*! What the announcer reads of GetState's a{sv}. */
typedef struct {
	bool serving; /*!< Required. */
	bool rate_exceeded;
	bool increase_exceeded;
} syncd_state_t;

/*! \brief Reads "serving" (required), "qps_exceeded" and
 *         "qps_increase_exceeded" (false when absent) of GetState's a{sv}. */
static bool parse_state(DBusMessage *reply, syncd_state_t *state)
{
	DBusMessageIter iter;
	if (!dbus_message_iter_init(reply, &iter) ||
	    dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_ARRAY) {
		return false;
	}
	bool found = false;
	*state = (syncd_state_t){ 0 };
	DBusMessageIter dict;
	dbus_message_iter_recurse(&iter, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
	     dbus_message_iter_next(&dict)) {
		DBusMessageIter entry;
		dbus_message_iter_recurse(&dict, &entry);
		if (dbus_message_iter_get_arg_type(&entry) != DBUS_TYPE_STRING) {
			continue;
		}
		const char *key = NULL;
		dbus_message_iter_get_basic(&entry, &key);
		bool *field = strcmp(key, "serving") == 0        ? &state->serving
		              : strcmp(key, "qps_exceeded") == 0 ? &state->rate_exceeded
		              : strcmp(key, "qps_increase_exceeded") == 0
		                  ? &state->increase_exceeded
		                  : NULL;
		if (field == NULL || !dbus_message_iter_next(&entry) ||
		    dbus_message_iter_get_arg_type(&entry) != DBUS_TYPE_VARIANT) {
			continue;
		}
		DBusMessageIter variant;
		dbus_message_iter_recurse(&entry, &variant);
		if (dbus_message_iter_get_arg_type(&variant) != DBUS_TYPE_BOOLEAN) {
			return false;
		}
		dbus_bool_t value = FALSE;
		dbus_message_iter_get_basic(&variant, &value);
		*field = value;
		found = found || field == &state->serving;
	}
	return found;
}

/*! \brief The answer (or error) to our GetState. */
static void state_answered(announce_listener_t *listener, DBusMessage *reply)
{
	listener->state_serial = 0;
	if (listener->state_known) {
		/* A serving signal came first, the answer tells nothing newer. */
		return;
	}
	syncd_state_t state;
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR) {
		DBusError err;
		dbus_error_init(&err);
		dbus_set_error_from_message(&err, reply);
		log_problem(listener, "GetState of %s failed (%s: %s); asking again every %d ms",
		            ANNOUNCE_SYNCD_NAME, err.name, err.message != NULL ? err.message : "",
		            listener->bus.retry_ms);
		dbus_error_free(&err);
		listener->next_state_ms = listener->now_ms + listener->bus.retry_ms;
		return;
	}
	if (!parse_state(reply, &state)) {
		log_problem(listener,
		            "GetState of %s has no boolean \"serving\"; asking again every %d ms",
		            ANNOUNCE_SYNCD_NAME, listener->bus.retry_ms);
		listener->next_state_ms = listener->now_ms + listener->bus.retry_ms;
		return;
	}
	problem_solved(listener);
	listener->state_known = true;
	log_info("GetState of %s: serving %s%s", ANNOUNCE_SYNCD_NAME,
	         state.serving ? "true" : "false",
	         state.rate_exceeded || state.increase_exceeded ? ", query rate exceeded" : "");
	listener->cb(state.serving, "GetState", listener->ctx);
	set_busy(listener, state.rate_exceeded, state.increase_exceeded, "GetState");
}

/*** Owner of org.mecdns.syncd. ***/

/*! \brief The name got a new owner (or none: new_owner NULL or ""). */
static void owner_changed(announce_listener_t *listener, const char *new_owner)
{
	if (new_owner != NULL && *new_owner == '\0') {
		new_owner = NULL;
	}
	if ((new_owner == NULL && listener->owner == NULL) ||
	    (new_owner != NULL && listener->owner != NULL &&
	     strcmp(new_owner, listener->owner) == 0)) {
		return;
	}
	char *old = listener->owner;
	listener->owner = new_owner != NULL ? strdup(new_owner) : NULL;
	listener->state_known = false;
	listener->state_serial = 0;
	listener->next_state_ms = -1;
	if (old != NULL) {
		log_notice("%s (%s) left the bus", ANNOUNCE_SYNCD_NAME, old);
		lost(listener, "org.mecdns.syncd left the bus");
		free(old);
	}
	if (listener->owner != NULL) {
		log_notice("%s is on the bus (%s); asking its state", ANNOUNCE_SYNCD_NAME,
		           listener->owner);
		listener->next_state_ms = listener->now_ms;
	} else if (new_owner != NULL) {
		log_error("out of memory");
	}
}

/*** Incoming messages. ***/

/*! \brief A signal of org.mecdns.syncd.events from the owner. */
static void syncd_signal(announce_listener_t *listener, DBusMessage *msg)
{
	const char *sender = dbus_message_get_sender(msg);
	if (listener->owner == NULL || sender == NULL || strcmp(sender, listener->owner) != 0) {
		log_debug("ignored %s from %s (not the owner of %s)", dbus_message_get_member(msg),
		          sender != NULL ? sender : "?", ANNOUNCE_SYNCD_NAME);
		return;
	}
	if (dbus_message_is_signal(msg, ANNOUNCE_SYNCD_EVENTS, "shutting_down")) {
		listener->state_known = true;
		log_notice("%s is shutting down", ANNOUNCE_SYNCD_NAME);
		lost(listener, "shutting_down signal");
		return;
	}
	bool rate = dbus_message_is_signal(msg, ANNOUNCE_SYNCD_EVENTS, "query_rate");
	if (rate || dbus_message_is_signal(msg, ANNOUNCE_SYNCD_EVENTS, "query_rate_increase")) {
		double value = 0, threshold = 0;
		dbus_bool_t exceeded = FALSE;
		if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_DOUBLE, &value, DBUS_TYPE_DOUBLE,
		                           &threshold, DBUS_TYPE_BOOLEAN, &exceeded,
		                           DBUS_TYPE_INVALID)) {
			log_warning("ignored a %s signal with bad arguments",
			            dbus_message_get_member(msg));
			return;
		}
		log_info("signal %s(%.1f, %.1f, %s)", dbus_message_get_member(msg), value,
		         threshold, exceeded ? "true" : "false");
		set_busy(listener, rate ? exceeded : listener->rate_exceeded,
		         rate ? listener->increase_exceeded : exceeded,
		         rate ? "query_rate signal" : "query_rate_increase signal");
		return;
	}
	dbus_bool_t serving = FALSE;
	DBusError err;
	dbus_error_init(&err);
	if (!dbus_message_get_args(msg, &err, DBUS_TYPE_BOOLEAN, &serving, DBUS_TYPE_INVALID)) {
		log_warning("ignored a serving signal with bad arguments: %s", err.message);
		dbus_error_free(&err);
		return;
	}
	listener->state_known = true;
	log_info("signal serving(%s)", serving ? "true" : "false");
	listener->cb(serving, "serving signal", listener->ctx);
}

static DBusHandlerResult filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	announce_listener_t *listener = data;
	int type = dbus_message_get_type(msg);
	if ((type == DBUS_MESSAGE_TYPE_METHOD_RETURN || type == DBUS_MESSAGE_TYPE_ERROR) &&
	    listener->state_serial != 0 &&
	    dbus_message_get_reply_serial(msg) == listener->state_serial) {
		state_answered(listener, msg);
		return DBUS_HANDLER_RESULT_HANDLED;
	}
	if (type != DBUS_MESSAGE_TYPE_SIGNAL) {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged")) {
		const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
		const char *sender = dbus_message_get_sender(msg);
		if (sender != NULL && strcmp(sender, DBUS_SERVICE_DBUS) == 0 &&
		    dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING,
		                          &old_owner, DBUS_TYPE_STRING, &new_owner,
		                          DBUS_TYPE_INVALID) &&
		    strcmp(name, ANNOUNCE_SYNCD_NAME) == 0) {
			owner_changed(listener, new_owner);
		}
		return DBUS_HANDLER_RESULT_HANDLED;
	}
	if (dbus_message_is_signal(msg, ANNOUNCE_SYNCD_EVENTS, "serving") ||
	    dbus_message_is_signal(msg, ANNOUNCE_SYNCD_EVENTS, "shutting_down") ||
	    dbus_message_is_signal(msg, ANNOUNCE_SYNCD_EVENTS, "query_rate") ||
	    dbus_message_is_signal(msg, ANNOUNCE_SYNCD_EVENTS, "query_rate_increase")) {
		syncd_signal(listener, msg);
		return DBUS_HANDLER_RESULT_HANDLED;
	}
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

/*** Connection. ***/

static const char *const match_rules[] = {
	"type='signal',sender='" DBUS_SERVICE_DBUS "',interface='" DBUS_INTERFACE_DBUS
	"',member='NameOwnerChanged',arg0='" ANNOUNCE_SYNCD_NAME "'",
	"type='signal',sender='" ANNOUNCE_SYNCD_NAME "',path='" ANNOUNCE_SYNCD_PATH
	"',interface='" ANNOUNCE_SYNCD_EVENTS "',member='serving'",
	"type='signal',sender='" ANNOUNCE_SYNCD_NAME "',path='" ANNOUNCE_SYNCD_PATH
	"',interface='" ANNOUNCE_SYNCD_EVENTS "',member='shutting_down'",
	"type='signal',sender='" ANNOUNCE_SYNCD_NAME "',path='" ANNOUNCE_SYNCD_PATH
	"',interface='" ANNOUNCE_SYNCD_EVENTS "',member='query_rate'",
	"type='signal',sender='" ANNOUNCE_SYNCD_NAME "',path='" ANNOUNCE_SYNCD_PATH
	"',interface='" ANNOUNCE_SYNCD_EVENTS "',member='query_rate_increase'",
};

/*! \brief Closes and forgets the connection. */
static void drop_connection(announce_listener_t *listener)
{
	if (listener->bus.conn != NULL) {
		dbus_connection_remove_filter(listener->bus.conn, filter, listener);
	}
	mecdns_bus_disconnect(&listener->bus, listener->now_ms);
	free(listener->owner);
	listener->owner = NULL;
	listener->state_known = false;
	listener->state_serial = 0;
	listener->next_state_ms = -1;
}

/*! \brief Asks the bus who owns org.mecdns.syncd; false on a failed call. */
static bool query_owner(announce_listener_t *listener, DBusError *err)
{
	DBusMessage *msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                                DBUS_INTERFACE_DBUS, "GetNameOwner");
	const char *name = ANNOUNCE_SYNCD_NAME;
	if (msg == NULL ||
	    !dbus_message_append_args(msg, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID)) {
		if (msg != NULL) {
			dbus_message_unref(msg);
		}
		dbus_set_error_const(err, DBUS_ERROR_NO_MEMORY, "out of memory");
		return false;
	}
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(
	    listener->bus.conn, msg, CONNECT_CALL_TIMEOUT_MS, err);
	dbus_message_unref(msg);
	if (reply == NULL) {
		if (dbus_error_has_name(err, DBUS_ERROR_NAME_HAS_NO_OWNER)) {
			dbus_error_free(err);
			owner_changed(listener, NULL);
			return true;
		}
		return false;
	}
	const char *owner = NULL;
	bool ok = dbus_message_get_args(reply, err, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID);
	if (ok) {
		owner_changed(listener, owner);
	}
	dbus_message_unref(reply);
	return ok;
}

/*! \brief Connects, subscribes, learns the owner; false (logged) if any
 *         step fails. */
static bool connect_bus(announce_listener_t *listener)
{
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn =
	    mecdns_bus_connect(&listener->bus, match_rules,
	                       sizeof(match_rules) / sizeof(*match_rules), listener->now_ms, &err);
	if (conn == NULL) {
		log_problem(listener, "cannot connect to the %s bus: %s; trying again every %d ms",
		            listener->bus.name, err.message != NULL ? err.message : "unknown error",
		            listener->bus.retry_ms);
		dbus_error_free(&err);
		return false;
	}
	if (!dbus_connection_add_filter(conn, filter, listener, NULL)) {
		dbus_set_error_const(&err, DBUS_ERROR_NO_MEMORY, "out of memory");
	}
	if (!dbus_error_is_set(&err)) {
		query_owner(listener, &err);
	}
	if (dbus_error_is_set(&err)) {
		log_problem(listener, "on the %s bus: %s; trying again every %d ms",
		            listener->bus.name, err.message, listener->bus.retry_ms);
		dbus_error_free(&err);
		drop_connection(listener);
		return false;
	}
	problem_solved(listener);
	log_notice("connected to the %s bus as %s; %s %s", listener->bus.name,
	           dbus_bus_get_unique_name(conn), ANNOUNCE_SYNCD_NAME,
	           listener->owner != NULL ? "is there" : "is not on the bus yet");
	return true;
}

/*! \brief The connection broke: everything learnt through it is void. */
static void connection_lost(announce_listener_t *listener)
{
	log_warning("lost the connection to the %s bus; reconnecting every %d ms",
	            listener->bus.name, listener->bus.retry_ms);
	drop_connection(listener);
	lost(listener, "bus connection lost");
}

void announce_listener_process(announce_listener_t *listener, long long now_ms)
{
	listener->now_ms = now_ms;
	if (listener->bus.conn == NULL) {
		if (!mecdns_bus_connect_due(&listener->bus, now_ms) || !connect_bus(listener)) {
			return;
		}
	}
	dbus_connection_read_write(listener->bus.conn, 0);
	while (dbus_connection_dispatch(listener->bus.conn) == DBUS_DISPATCH_DATA_REMAINS) {
	}
	if (!dbus_connection_get_is_connected(listener->bus.conn)) {
		connection_lost(listener);
		return;
	}
	if (listener->state_serial != 0 && now_ms >= listener->state_deadline_ms) {
		log_problem(listener, "GetState of %s not answered within %d ms; asking again",
		            ANNOUNCE_SYNCD_NAME, STATE_TIMEOUT_MS);
		listener->state_serial = 0;
		listener->next_state_ms = now_ms;
	}
	if (listener->owner != NULL && !listener->state_known && listener->state_serial == 0 &&
	    listener->next_state_ms >= 0 && now_ms >= listener->next_state_ms) {
		ask_state(listener);
	}
	dbus_connection_flush(listener->bus.conn);
}

int announce_listener_fd(const announce_listener_t *listener)
{
	int fd = -1;
	if (listener->bus.conn == NULL || !dbus_connection_get_unix_fd(listener->bus.conn, &fd)) {
		return -1;
	}
	return fd;
}

long long announce_listener_next_wake(const announce_listener_t *listener)
{
	if (listener->bus.conn == NULL) {
		return listener->bus.next_ms;
	}
	if (dbus_connection_get_dispatch_status(listener->bus.conn) == DBUS_DISPATCH_DATA_REMAINS) {
		return listener->now_ms;
	}
	if (listener->state_serial != 0) {
		return listener->state_deadline_ms;
	}
	if (listener->owner != NULL && !listener->state_known) {
		return listener->next_state_ms;
	}
	return -1;
}

void announce_listener_free(announce_listener_t *listener)
{
	if (listener == NULL) {
		return;
	}
	drop_connection(listener);
	mecdns_bus_deinit(&listener->bus);
	free(listener);
}
