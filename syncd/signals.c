/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd signals: the only code that talks D-Bus.
 *
 *  One thread owns one private libdbus connection and does everything on
 *  it: connect, request the name, dispatch incoming method calls, and drain
 *  the outbox (the store's change log after state.signalled_seq). Nothing
 *  else touches the connection, so no libdbus locking subtleties arise.
 *
 *  The thread sleeps in poll() on the connection's socket and an eventfd;
 *  mecdns_signals_notify() and mecdns_signals_stop() write the eventfd. It
 *  wakes at the latest every poll_ms (outbox) or retry_ms (reconnect, name).
 *
 *  Delivery: a batch of signals is followed by a round trip to the bus
 *  (org.freedesktop.DBus.GetId). The bus daemon handles one connection's
 *  messages in order, so its reply proves every signal of the batch was
 *  routed; only then the cursor moves. If the bus goes away before the
 *  reply, the batch is sent again on the next connection: a listener may
 *  see a signal twice (same generation) but never misses one.
 *
 *  Methods: a table (OBJECT_METHODS) maps interface + member of calls on
 *  /org/mecdns/syncd to handlers (Introspect, GetState). Peer.Ping and
 *  Peer.GetMachineId are answered by libdbus itself.
 *
 *  Knot state: other threads (kstate.c) queue ready-made condition
 *  signals under state_lock and wake the thread, which sends the queue in
 *  order when it owns the name and drops it otherwise; the same lock guards
 *  the copy of the state that GetState answers.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/bus.h"
#include "syncd/histogram.h"
#include "syncd/signals.h"
#include "syncd/signals_internal.h"

#define SIGNALS_NAME         "org.mecdns.syncd"
#define SIGNALS_PATH         "/org/mecdns/syncd"
#define SIGNALS_EVENTS_IFACE "org.mecdns.syncd.events"
#define SIGNALS_STATE_IFACE  "org.mecdns.syncd.state"

#define DEFAULT_POLL_MS 1000
/*! Changes sent between two round trips to the bus. */
#define BATCH_SIZE 256
/*! How long the bus may take to answer the round trip after a batch. */
#define BARRIER_TIMEOUT_MS 10000
/*! How long mecdns_signals_stop() keeps emitting what is pending. */
#define STOP_DRAIN_MS 2000
/*! The stored outbox cursor trails the signals sent by at most this much
 *  (one write of the cursor per this period while signals flow). */
#define CURSOR_STORE_MS 50
/*! mecdns_signals_outbox_depth() counts at most this many changes. */
#define DEPTH_COUNT_CAP 1000000

/* INTROSPECT_XML: the contents of org.mecdns.syncd.xml (generated). */
#include "syncd/signals-introspect.h"

/*! One queued state signal. */
typedef struct state_signal {
	struct state_signal *next;
	DBusMessage *msg;
} state_signal_t;

struct mecdns_signals {
	mecdns_store_t *store;
	mecdns_bus_t bus; /*!< Emitter thread only (kind, name, retry: fixed). */
	int poll_ms;
	mecdns_log_cb log;
	void *log_ctx;

	int wake_fd; /*!< eventfd: notify and stop. */
	pthread_t thread;
	bool thread_started;
	atomic_bool stopping;

	/* Shared with other threads. */
	atomic_bool connected;       /*!< Connected and owning the name. */
	atomic_uint_fast64_t cursor; /*!< Last seq handed to the bus (0: unknown). */
	atomic_bool cursor_known;

	/* Emitter thread only. */
	bool owns_name;
	long long next_name_ms;   /*!< When to request the name again. */
	long long next_cursor_ms; /*!< When to retry writing the cursor. */
	uint64_t stored_cursor;   /*!< state.signalled_seq as last written. */
	char last_problem[512];   /*!< Logged once until the situation changes. */

	/* Knot state, shared with other threads under state_lock. */
	pthread_mutex_t state_lock;
	pthread_cond_t state_handled; /*!< Broadcast after the queue was handled. */
	mecdns_signals_state_t state; /*!< GetState's answer (deep copy). */
	state_signal_t *queue_head;
	state_signal_t *queue_tail;
	uint64_t queued_seq;    /*!< State signals queued so far. */
	uint64_t handled_seq;   /*!< ... of which sent or dropped. */
	uint64_t delivered_seq; /*!< Last one of a batch sent and flushed. */

	syncd_histogram_t lag; /*!< Commit to hand-over to the bus, per change. */

	mecdns_signals_observer_t observer; /*!< Set before other threads use it. */
};

/*** Logging. ***/

static void signals_log(mecdns_signals_t *signals, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*! \brief Formats one log line and hands it to the configured sink. */
static void signals_log(mecdns_signals_t *signals, int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mecdns_log_vsink(signals->log, signals->log_ctx, "signals", priority, fmt, ap);
	va_end(ap);
}

/*! \brief Logs a problem once; the same text again stays quiet until
 *         problem_solved() (so a bus that stays down logs one line). */
static void log_problem(mecdns_signals_t *signals, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void log_problem(mecdns_signals_t *signals, const char *fmt, ...)
{
	char msg[sizeof(signals->last_problem)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, signals->last_problem) == 0) {
		return;
	}
	memcpy(signals->last_problem, msg, sizeof(msg));
	signals_log(signals, LOG_WARNING, "%s", msg);
}

static void problem_solved(mecdns_signals_t *signals)
{
	signals->last_problem[0] = '\0';
}

/*** Methods on /org/mecdns/syncd. ***/

typedef DBusHandlerResult (*method_handler_t)(mecdns_signals_t *signals, DBusConnection *conn,
                                              DBusMessage *call);

typedef struct {
	const char *interface;
	const char *member;
	method_handler_t handler;
} method_entry_t;

/*! \brief Sends a reply (or error) and drops it; false when out of memory. */
static bool send_reply(DBusConnection *conn, DBusMessage *reply)
{
	if (reply == NULL) {
		return false;
	}
	bool ok = dbus_connection_send(conn, reply, NULL);
	dbus_message_unref(reply);
	return ok;
}

/*! \brief org.freedesktop.DBus.Introspectable.Introspect: the installed XML. */
static DBusHandlerResult handle_introspect(mecdns_signals_t *signals, DBusConnection *conn,
                                           DBusMessage *call)
{
	DBusMessage *reply = dbus_message_new_method_return(call);
	const char *xml = INTROSPECT_XML;
	if (reply == NULL ||
	    !dbus_message_append_args(reply, DBUS_TYPE_STRING, &xml, DBUS_TYPE_INVALID)) {
		if (reply != NULL) {
			dbus_message_unref(reply);
		}
		return DBUS_HANDLER_RESULT_NEED_MEMORY;
	}
	return send_reply(conn, reply) ? DBUS_HANDLER_RESULT_HANDLED
	                               : DBUS_HANDLER_RESULT_NEED_MEMORY;
}

/*! \brief org.mecdns.syncd.state.GetState: the current state as a{sv}. */
static DBusHandlerResult handle_get_state(mecdns_signals_t *signals, DBusConnection *conn,
                                          DBusMessage *call)
{
	uint64_t db_generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_state(signals->store, &db_generation, NULL, NULL);
	if (status != MECDNS_STORE_OK) {
		DBusMessage *err = dbus_message_new_error_printf(
		    call, DBUS_ERROR_FAILED, "cannot read the database generation (%s: %s)",
		    mecdns_store_strerror(status), mecdns_store_last_error());
		return send_reply(conn, err) ? DBUS_HANDLER_RESULT_HANDLED
		                             : DBUS_HANDLER_RESULT_NEED_MEMORY;
	}
	DBusMessage *reply = dbus_message_new_method_return(call);
	if (reply == NULL) {
		return DBUS_HANDLER_RESULT_NEED_MEMORY;
	}
	DBusMessageIter args, dict;
	dbus_message_iter_init_append(reply, &args);
	bool ok = dbus_message_iter_open_container(&args, DBUS_TYPE_ARRAY, "{sv}", &dict);
	if (ok) {
		pthread_mutex_lock(&signals->state_lock);
		ok = mecdns_signals_append_state(&dict, &signals->state, db_generation);
		pthread_mutex_unlock(&signals->state_lock);
		ok = dbus_message_iter_close_container(&args, &dict) && ok;
	}
	if (!ok) {
		dbus_message_unref(reply);
		return DBUS_HANDLER_RESULT_NEED_MEMORY;
	}
	return send_reply(conn, reply) ? DBUS_HANDLER_RESULT_HANDLED
	                               : DBUS_HANDLER_RESULT_NEED_MEMORY;
}

/*! Methods of the object. */
static const method_entry_t OBJECT_METHODS[] = {
	{ DBUS_INTERFACE_INTROSPECTABLE, "Introspect", handle_introspect },
	{ SIGNALS_STATE_IFACE, "GetState", handle_get_state },
};

/*! \brief Dispatches a call on our object path through OBJECT_METHODS. */
static DBusHandlerResult object_message(DBusConnection *conn, DBusMessage *msg, void *data)
{
	mecdns_signals_t *signals = data;
	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_METHOD_CALL) {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	const char *iface = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	for (size_t i = 0; i < sizeof(OBJECT_METHODS) / sizeof(OBJECT_METHODS[0]); i++) {
		const method_entry_t *entry = &OBJECT_METHODS[i];
		/* A call without interface matches by member alone (D-Bus spec). */
		if (member != NULL && strcmp(member, entry->member) == 0 &&
		    (iface == NULL || strcmp(iface, entry->interface) == 0)) {
			return entry->handler(signals, conn, msg);
		}
	}
	DBusMessage *err = dbus_message_new_error_printf(
	    msg, DBUS_ERROR_UNKNOWN_METHOD, "No method %s.%s on %s", iface ? iface : "(none)",
	    member ? member : "(none)", SIGNALS_PATH);
	return send_reply(conn, err) ? DBUS_HANDLER_RESULT_HANDLED
	                             : DBUS_HANDLER_RESULT_NEED_MEMORY;
}

static const DBusObjectPathVTable OBJECT_VTABLE = {
	.message_function = object_message,
};

/*! Paths above our object and their child, so that tools walking the tree
 *  from "/" (busctl tree, d-feet) find /org/mecdns/syncd. */
static const char *const PARENT_PATHS[][2] = {
	{ "/", "org" },
	{ "/org", "mecdns" },
	{ "/org/mecdns", "syncd" },
};

/*! \brief Introspect on a parent path: a node naming its one child. */
static DBusHandlerResult parent_message(DBusConnection *conn, DBusMessage *msg, void *data)
{
	const char *child = data;
	if (!dbus_message_is_method_call(msg, DBUS_INTERFACE_INTROSPECTABLE, "Introspect")) {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	char xml[512];
	snprintf(xml, sizeof(xml), "%s<node>\n  <node name=\"%s\"/>\n</node>\n",
	         DBUS_INTROSPECT_1_0_XML_DOCTYPE_DECL_NODE, child);
	const char *text = xml;
	DBusMessage *reply = dbus_message_new_method_return(msg);
	if (reply == NULL ||
	    !dbus_message_append_args(reply, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID)) {
		if (reply != NULL) {
			dbus_message_unref(reply);
		}
		return DBUS_HANDLER_RESULT_NEED_MEMORY;
	}
	return send_reply(conn, reply) ? DBUS_HANDLER_RESULT_HANDLED
	                               : DBUS_HANDLER_RESULT_NEED_MEMORY;
}

static const DBusObjectPathVTable PARENT_VTABLE = {
	.message_function = parent_message,
};

/*! \brief Registers our object and its parent paths on conn. */
static bool register_objects(mecdns_signals_t *signals, DBusConnection *conn)
{
	for (size_t i = 0; i < sizeof(PARENT_PATHS) / sizeof(PARENT_PATHS[0]); i++) {
		if (!dbus_connection_register_object_path(conn, PARENT_PATHS[i][0], &PARENT_VTABLE,
		                                          (void *)PARENT_PATHS[i][1])) {
			return false;
		}
	}
	return dbus_connection_register_object_path(conn, SIGNALS_PATH, &OBJECT_VTABLE, signals);
}

/*! \brief Watches the bus's NameLost / NameAcquired for our name. */
static DBusHandlerResult bus_filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	mecdns_signals_t *signals = data;
	const char *name = NULL;
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameLost") &&
	    dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID) &&
	    strcmp(name, SIGNALS_NAME) == 0 && signals->owns_name) {
		signals->owns_name = false;
		atomic_store(&signals->connected, false);
		signals->next_name_ms = mecdns_monotonic_ms() + signals->bus.retry_ms;
		signals_log(
		    signals, LOG_WARNING,
		    "lost the name %s on bus %s; not emitting, requesting it again every %d ms",
		    SIGNALS_NAME, signals->bus.name, signals->bus.retry_ms);
	}
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

/*** Connection. ***/

/*! \brief Opens the private connection and sets it up (filter, object);
 *         NULL on failure (the next attempt scheduled). */
static DBusConnection *bus_open(mecdns_signals_t *signals, DBusError *err)
{
	DBusConnection *conn =
	    mecdns_bus_connect(&signals->bus, NULL, 0, mecdns_monotonic_ms(), err);
	if (conn == NULL) {
		return NULL;
	}
	if (!dbus_connection_add_filter(conn, bus_filter, signals, NULL) ||
	    !register_objects(signals, conn)) {
		dbus_set_error_const(err, DBUS_ERROR_NO_MEMORY, "out of memory");
		mecdns_bus_disconnect(&signals->bus, mecdns_monotonic_ms());
		return NULL;
	}
	return conn;
}

static void bus_close(mecdns_signals_t *signals)
{
	if (signals->bus.conn == NULL) {
		return;
	}
	mecdns_bus_disconnect(&signals->bus, mecdns_monotonic_ms());
	signals->owns_name = false;
	atomic_store(&signals->connected, false);
}

/*! \brief Connects when due; logs a failure once, then retries quietly. */
static void try_connect(mecdns_signals_t *signals)
{
	if (!mecdns_bus_connect_due(&signals->bus, mecdns_monotonic_ms())) {
		return;
	}
	DBusError err;
	dbus_error_init(&err);
	if (bus_open(signals, &err) == NULL) {
		log_problem(signals,
		            "cannot connect to D-Bus bus %s (%s); signals wait in the "
		            "outbox, retrying every %d ms",
		            signals->bus.name, err.message ? err.message : "unknown error",
		            signals->bus.retry_ms);
		dbus_error_free(&err);
		return;
	}
	signals_log(signals, LOG_INFO, "connected to D-Bus bus %s as %s", signals->bus.name,
	            dbus_bus_get_unique_name(signals->bus.conn));
	problem_solved(signals);
	signals->next_name_ms = 0;
}

/*! \brief Unique name of the current owner of name, into buf ("?" if none). */
static void name_owner(DBusConnection *conn, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "?");
	DBusMessage *call = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                                 DBUS_INTERFACE_DBUS, "GetNameOwner");
	if (call == NULL ||
	    !dbus_message_append_args(call, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID)) {
		if (call != NULL) {
			dbus_message_unref(call);
		}
		return;
	}
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, call, 2000, NULL);
	dbus_message_unref(call);
	const char *owner = NULL;
	if (reply != NULL &&
	    dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID)) {
		snprintf(buf, len, "%s", owner);
	}
	if (reply != NULL) {
		dbus_message_unref(reply);
	}
}

/*! \brief Requests the well-known name when due; not owning it means not
 *         emitting (another instance may be the emitter). */
static void try_request_name(mecdns_signals_t *signals)
{
	if (signals->bus.conn == NULL || signals->owns_name ||
	    mecdns_monotonic_ms() < signals->next_name_ms ||
	    !dbus_connection_get_is_connected(signals->bus.conn)) {
		return;
	}
	DBusError err;
	dbus_error_init(&err);
	int ret = dbus_bus_request_name(signals->bus.conn, SIGNALS_NAME,
	                                DBUS_NAME_FLAG_DO_NOT_QUEUE, &err);
	if (ret == DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER ||
	    ret == DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER) {
		signals->owns_name = true;
		atomic_store(&signals->connected, true);
		problem_solved(signals);
		signals_log(signals, LOG_INFO, "owning %s on bus %s, emitting signals",
		            SIGNALS_NAME, signals->bus.name);
		return;
	}
	signals->next_name_ms = mecdns_monotonic_ms() + signals->bus.retry_ms;
	if (ret == -1) {
		log_problem(signals,
		            "bus %s refused the name %s (%s: %s); not emitting, retrying "
		            "every %d ms",
		            signals->bus.name, SIGNALS_NAME, err.name, err.message,
		            signals->bus.retry_ms);
		dbus_error_free(&err);
		return;
	}
	char owner[256];
	name_owner(signals->bus.conn, SIGNALS_NAME, owner, sizeof(owner));
	log_problem(signals,
	            "the name %s on bus %s is owned by another connection (%s), is "
	            "another mecdns-syncd running? not emitting, retrying every %d ms",
	            SIGNALS_NAME, signals->bus.name, owner, signals->bus.retry_ms);
}

/*** Outbox. ***/

/*! \brief A string for a signal argument: "" for NULL, and a placeholder
 *         for invalid UTF-8 (libdbus aborts the process on it). */
const char *mecdns_signals_arg_string(const char *value)
{
	if (value == NULL) {
		return "";
	}
	return dbus_validate_utf8(value, NULL) ? value : "(invalid UTF-8)";
}

/*! \brief Builds the signal of one change row; NULL when out of memory. */
static DBusMessage *change_signal(const mecdns_change_t *change)
{
	const bool rule = change->kind == MECDNS_CHANGE_RULE;
	DBusMessage *msg = dbus_message_new_signal(SIGNALS_PATH, SIGNALS_EVENTS_IFACE,
	                                           rule ? "rule_changed" : "rrset_changed");
	if (msg == NULL) {
		return NULL;
	}
	dbus_uint64_t generation = change->generation;
	dbus_bool_t ok;
	if (rule) {
		const char *app = mecdns_signals_arg_string(change->app_instance_id);
		const char *id = mecdns_signals_arg_string(change->dns_rule_id);
		const char *domain = mecdns_signals_arg_string(change->domain_name);
		const char *state = mecdns_signals_arg_string(change->state);
		/* Last, so listeners reading the first five arguments still work. */
		const char *scope = mecdns_signals_arg_string(change->client_subnets);
		ok = dbus_message_append_args(msg, DBUS_TYPE_STRING, &app, DBUS_TYPE_STRING, &id,
		                              DBUS_TYPE_STRING, &domain, DBUS_TYPE_STRING, &state,
		                              DBUS_TYPE_UINT64, &generation, DBUS_TYPE_STRING,
		                              &scope, DBUS_TYPE_INVALID);
	} else {
		const char *zone = mecdns_signals_arg_string(change->zone);
		const char *owner = mecdns_signals_arg_string(change->owner);
		const char *type = mecdns_signals_arg_string(change->rrtype);
		dbus_uint32_t count = change->rdata_count;
		/* Last, as for rule_changed. */
		const char *scope = mecdns_signals_arg_string(change->client_subnets);
		ok = dbus_message_append_args(msg, DBUS_TYPE_STRING, &zone, DBUS_TYPE_STRING,
		                              &owner, DBUS_TYPE_STRING, &type, DBUS_TYPE_UINT32,
		                              &count, DBUS_TYPE_UINT64, &generation,
		                              DBUS_TYPE_STRING, &scope, DBUS_TYPE_INVALID);
	}
	if (!ok) {
		dbus_message_unref(msg);
		return NULL;
	}
	return msg;
}

typedef struct {
	DBusConnection *conn;
	size_t sent;
	uint64_t last_seq;
	bool failed;
	syncd_histogram_t *lag;
	int64_t now_ms; /*!< Wall clock of the batch (committed_ms's clock). */
} batch_t;

/*! \brief mecdns_store_changes() callback: queues one signal. */
static bool queue_change(const mecdns_change_t *change, void *ctx)
{
	batch_t *batch = ctx;
	DBusMessage *msg = change_signal(change);
	if (msg == NULL || !dbus_connection_send(batch->conn, msg, NULL)) {
		if (msg != NULL) {
			dbus_message_unref(msg);
		}
		batch->failed = true;
		return false;
	}
	dbus_message_unref(msg);
	batch->sent++;
	batch->last_seq = change->seq;
	syncd_histogram_observe(batch->lag,
	                        (double)(batch->now_ms - change->committed_ms) / 1000.0);
	return true;
}

/*! \brief Waits until the bus has routed everything sent before: one
 *         method call to the bus driver, answered in order. */
static bool bus_barrier(DBusConnection *conn, DBusError *err)
{
	dbus_connection_flush(conn);
	DBusMessage *call = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                                 DBUS_INTERFACE_DBUS, "GetId");
	if (call == NULL) {
		dbus_set_error_const(err, DBUS_ERROR_NO_MEMORY, "out of memory");
		return false;
	}
	DBusMessage *reply =
	    dbus_connection_send_with_reply_and_block(conn, call, BARRIER_TIMEOUT_MS, err);
	dbus_message_unref(call);
	if (reply == NULL) {
		return false;
	}
	dbus_message_unref(reply);
	return true;
}

/*! \brief Loads the cursor from the store once (it survives reconnects). */
static bool load_cursor(mecdns_signals_t *signals)
{
	if (atomic_load(&signals->cursor_known)) {
		return true;
	}
	uint64_t seq = 0;
	mecdns_store_status_t ret = mecdns_store_state(signals->store, NULL, NULL, &seq);
	if (ret != MECDNS_STORE_OK) {
		log_problem(signals, "cannot read the signal outbox cursor (%s: %s); retrying",
		            mecdns_store_strerror(ret), mecdns_store_last_error());
		return false;
	}
	signals->stored_cursor = seq;
	atomic_store(&signals->cursor, seq);
	atomic_store(&signals->cursor_known, true);
	return true;
}

/*! \brief Writes the in-memory cursor to the store when it moved, at most
 *         every CURSOR_STORE_MS (final: now, the planned stop). A failed
 *         write is retried later; meanwhile the in-memory cursor rules, so
 *         this process sends nothing twice. */
static void store_cursor(mecdns_signals_t *signals, bool final)
{
	uint64_t cursor = atomic_load(&signals->cursor);
	if (cursor == signals->stored_cursor ||
	    (!final && mecdns_monotonic_ms() < signals->next_cursor_ms)) {
		return;
	}
	mecdns_store_status_t ret = mecdns_store_set_signalled(signals->store, cursor);
	if (ret != MECDNS_STORE_OK) {
		signals->next_cursor_ms = mecdns_monotonic_ms() + signals->bus.retry_ms;
		log_problem(signals,
		            "cannot store the signal outbox cursor %llu (%s: %s); "
		            "retrying every %d ms",
		            (unsigned long long)cursor, mecdns_store_strerror(ret),
		            mecdns_store_last_error(), signals->bus.retry_ms);
		return;
	}
	signals->stored_cursor = cursor;
	/* Not once per batch: each write of the cursor is a commit of its own
	 * (an fsync) between the APIs' commits. A crash re-sends at most this
	 * much (at-least-once, docs/reliability.md). */
	signals->next_cursor_ms = mecdns_monotonic_ms() + CURSOR_STORE_MS;
}

/*!
 * \brief Emits pending changes in batches until the outbox is empty, the
 *        deadline (0: none) passed, or something failed.
 *
 * A failure on the bus closes the connection (the batch is sent again on
 * the next one); a failure of the store is retried at the next wake-up.
 */
static void drain_outbox(mecdns_signals_t *signals, long long deadline)
{
	if (signals->bus.conn == NULL || !signals->owns_name || !load_cursor(signals)) {
		return;
	}
	for (;;) {
		batch_t batch = { .conn = signals->bus.conn,
			          .lag = &signals->lag,
			          .now_ms = mecdns_realtime_ms() };
		uint64_t after = atomic_load(&signals->cursor);
		mecdns_store_status_t ret =
		    mecdns_store_changes(signals->store, after, BATCH_SIZE, queue_change, &batch);
		/* Whatever was queued went out in order: confirm it even when the
		 * store failed half-way, so that it is not sent twice. */
		if (batch.sent > 0) {
			DBusError err;
			dbus_error_init(&err);
			if (!bus_barrier(signals->bus.conn, &err)) {
				bus_close(signals);
				log_problem(signals,
				            "bus %s did not confirm %zu signals (%s); "
				            "reconnecting, they will be sent again",
				            signals->bus.name, batch.sent,
				            err.message ? err.message : "unknown error");
				dbus_error_free(&err);
				return;
			}
			atomic_store(&signals->cursor, batch.last_seq);
		}
		if (ret != MECDNS_STORE_OK) {
			log_problem(signals,
			            "cannot read the change log after seq %llu (%s: %s); "
			            "retrying",
			            (unsigned long long)after, mecdns_store_strerror(ret),
			            mecdns_store_last_error());
			break;
		}
		if (batch.failed) {
			log_problem(signals, "out of memory while building signals; retrying");
			break;
		}
		bool stop_requested = deadline == 0 && atomic_load(&signals->stopping);
		bool out_of_time = deadline != 0 && mecdns_monotonic_ms() >= deadline;
		if (batch.sent < BATCH_SIZE || stop_requested || out_of_time) {
			break;
		}
	}
	store_cursor(signals, false);
}

/*** State signals. ***/

/*!
 * \brief Sends the queued state signals in order when owning the name,
 *        drops them otherwise (GetState tells the present to whoever comes
 *        later), and wakes mecdns_signals_emit_shutting_down().
 */
static void drain_state_queue(mecdns_signals_t *signals)
{
	pthread_mutex_lock(&signals->state_lock);
	state_signal_t *list = signals->queue_head;
	uint64_t last = signals->queued_seq;
	signals->queue_head = NULL;
	signals->queue_tail = NULL;
	pthread_mutex_unlock(&signals->state_lock);
	if (list == NULL) {
		return;
	}
	bool deliver = signals->bus.conn != NULL && signals->owns_name;
	bool all_sent = deliver;
	while (list != NULL) {
		state_signal_t *next = list->next;
		if (deliver && !dbus_connection_send(signals->bus.conn, list->msg, NULL)) {
			all_sent = false;
		}
		dbus_message_unref(list->msg);
		free(list);
		list = next;
	}
	if (deliver) {
		dbus_connection_flush(signals->bus.conn);
	}
	pthread_mutex_lock(&signals->state_lock);
	signals->handled_seq = last;
	if (all_sent) {
		signals->delivered_seq = last;
	}
	pthread_cond_broadcast(&signals->state_handled);
	pthread_mutex_unlock(&signals->state_lock);
}

/*** Thread. ***/

/*! \brief Handles what arrived on the connection; closes it when the bus
 *         has gone. */
static void service_connection(mecdns_signals_t *signals)
{
	if (signals->bus.conn == NULL) {
		return;
	}
	dbus_connection_read_write(signals->bus.conn, 0);
	while (dbus_connection_dispatch(signals->bus.conn) == DBUS_DISPATCH_DATA_REMAINS) {
	}
	if (!dbus_connection_get_is_connected(signals->bus.conn)) {
		bus_close(signals);
		log_problem(signals,
		            "disconnected from D-Bus bus %s; signals wait in the outbox, "
		            "reconnecting every %d ms",
		            signals->bus.name, signals->bus.retry_ms);
	}
}

/*! \brief Milliseconds until the next timed action (at most poll_ms). */
static int next_timeout(mecdns_signals_t *signals)
{
	long long now = mecdns_monotonic_ms();
	long long wake = now + signals->poll_ms;
	if (signals->bus.conn == NULL && signals->bus.next_ms < wake) {
		wake = signals->bus.next_ms;
	}
	if (signals->bus.conn != NULL && !signals->owns_name && signals->next_name_ms < wake) {
		wake = signals->next_name_ms;
	}
	if (signals->stored_cursor != atomic_load(&signals->cursor) &&
	    signals->next_cursor_ms < wake) {
		wake = signals->next_cursor_ms;
	}
	return wake <= now ? 0 : (int)(wake - now);
}

/*! \brief Sleeps until notified, the socket is readable, or the timeout. */
static void wait_for_work(mecdns_signals_t *signals)
{
	if (signals->bus.conn != NULL &&
	    dbus_connection_get_dispatch_status(signals->bus.conn) == DBUS_DISPATCH_DATA_REMAINS) {
		return;
	}
	struct pollfd fds[2] = { { .fd = signals->wake_fd, .events = POLLIN } };
	nfds_t nfds = 1;
	int sock = -1;
	if (signals->bus.conn != NULL && dbus_connection_get_socket(signals->bus.conn, &sock)) {
		fds[1] = (struct pollfd){ .fd = sock, .events = POLLIN };
		nfds = 2;
	}
	int ret = poll(fds, nfds, next_timeout(signals));
	if (ret > 0 && (fds[0].revents & POLLIN)) {
		uint64_t count;
		if (read(signals->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
			signals_log(signals, LOG_ERR, "reading the wake-up eventfd: %s",
			            strerror(errno));
		}
	}
}

static void *emitter_thread(void *arg)
{
	mecdns_signals_t *signals = arg;
	while (!atomic_load(&signals->stopping)) {
		try_connect(signals);
		service_connection(signals);
		try_request_name(signals);
		drain_state_queue(signals);
		drain_outbox(signals, 0);
		store_cursor(signals, false);
		wait_for_work(signals);
	}
	/* Planned stop: emit what is pending (bounded), then leave the bus. */
	service_connection(signals);
	drain_state_queue(signals);
	drain_outbox(signals, mecdns_monotonic_ms() + STOP_DRAIN_MS);
	store_cursor(signals, true);
	bus_close(signals);
	return NULL;
}

/*** API. ***/

/*! \brief Frees the zones of a state copy. */
static void state_clear(mecdns_signals_state_t *state)
{
	for (size_t i = 0; i < state->zone_count; i++) {
		free((char *)state->zones[i].zone);
		free((char *)state->zones[i].signature_owner);
		free((char *)state->zones[i].signature_type);
	}
	free((mecdns_signals_zone_t *)state->zones);
	memset(state, 0, sizeof(*state));
}

static void signals_free(mecdns_signals_t *signals)
{
	if (signals->wake_fd >= 0) {
		close(signals->wake_fd);
	}
	while (signals->queue_head != NULL) {
		state_signal_t *next = signals->queue_head->next;
		dbus_message_unref(signals->queue_head->msg);
		free(signals->queue_head);
		signals->queue_head = next;
	}
	state_clear(&signals->state);
	pthread_cond_destroy(&signals->state_handled);
	pthread_mutex_destroy(&signals->state_lock);
	mecdns_bus_deinit(&signals->bus);
	free(signals);
}

mecdns_signals_t *mecdns_signals_start(const mecdns_signals_config_t *config, mecdns_store_t *store,
                                       char *err, size_t err_len)
{
	if (config == NULL || store == NULL) {
		snprintf(err, err_len, "signals: no configuration or store");
		return NULL;
	}
	mecdns_signals_t *signals = calloc(1, sizeof(*signals));
	if (signals == NULL) {
		snprintf(err, err_len, "signals: out of memory");
		return NULL;
	}
	signals->wake_fd = -1;
	pthread_mutex_init(&signals->state_lock, NULL);
	pthread_cond_init(&signals->state_handled, NULL);
	signals->store = store;
	signals->poll_ms = config->poll_ms > 0 ? config->poll_ms : DEFAULT_POLL_MS;
	signals->log = config->log;
	signals->log_ctx = config->log_ctx;
	atomic_init(&signals->stopping, false);
	atomic_init(&signals->connected, false);
	atomic_init(&signals->cursor, 0);
	atomic_init(&signals->cursor_known, false);
	if (!mecdns_bus_init(&signals->bus, config->bus, "dbus", config->retry_ms, err, err_len)) {
		signals_free(signals);
		return NULL;
	}
	if (signals->bus.kind == MECDNS_BUS_NONE) {
		return signals;
	}
	signals->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (signals->wake_fd < 0) {
		snprintf(err, err_len, "signals: eventfd: %s", strerror(errno));
		signals_free(signals);
		return NULL;
	}
	int ret = pthread_create(&signals->thread, NULL, emitter_thread, signals);
	if (ret != 0) {
		snprintf(err, err_len, "signals: cannot start the emitter thread: %s",
		         strerror(ret));
		signals_free(signals);
		return NULL;
	}
	signals->thread_started = true;
	return signals;
}

void mecdns_signals_notify(mecdns_signals_t *signals)
{
	if (signals == NULL || signals->wake_fd < 0) {
		return;
	}
	uint64_t one = 1;
	/* EAGAIN only when the counter is full: a wake-up is pending anyway. */
	if (write(signals->wake_fd, &one, sizeof(one)) < 0) {
		return;
	}
}

/*! \brief mecdns_store_changes() callback: counts. */
static bool count_change(const mecdns_change_t *change, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return true;
}

void mecdns_signals_print_lag(mecdns_signals_t *signals, FILE *out)
{
	syncd_histogram_t none = { 0 };
	syncd_histogram_print(signals != NULL ? &signals->lag : &none, out,
	                      "mecdns_signals_lag_seconds",
	                      "Time from a change's commit to its D-Bus signal handed to the bus, "
	                      "in seconds.");
}

uint64_t mecdns_signals_outbox_depth(mecdns_signals_t *signals)
{
	if (signals == NULL) {
		return 0;
	}
	uint64_t after = 0;
	if (atomic_load(&signals->cursor_known)) {
		after = atomic_load(&signals->cursor);
	} else if (mecdns_store_state(signals->store, NULL, NULL, &after) != MECDNS_STORE_OK) {
		return 0;
	}
	uint64_t count = 0;
	if (mecdns_store_changes(signals->store, after, DEPTH_COUNT_CAP, count_change, &count) !=
	    MECDNS_STORE_OK) {
		return 0;
	}
	return count;
}

bool mecdns_signals_connected(mecdns_signals_t *signals)
{
	return signals != NULL && atomic_load(&signals->connected);
}

void mecdns_signals_stop(mecdns_signals_t *signals)
{
	if (signals == NULL) {
		return;
	}
	if (signals->thread_started) {
		atomic_store(&signals->stopping, true);
		mecdns_signals_notify(signals);
		pthread_join(signals->thread, NULL);
	}
	signals_free(signals);
}

/*** Knot state (see signals.h). ***/

void mecdns_signals_read_state(mecdns_signals_t *signals,
                               void (*read)(const mecdns_signals_state_t *state, void *data),
                               void *data)
{
	if (signals == NULL || read == NULL) {
		return;
	}
	pthread_mutex_lock(&signals->state_lock);
	read(&signals->state, data);
	pthread_mutex_unlock(&signals->state_lock);
}

void mecdns_signals_observe(mecdns_signals_t *signals, const mecdns_signals_observer_t *observer)
{
	if (signals != NULL) {
		signals->observer = observer != NULL ? *observer : (mecdns_signals_observer_t){ 0 };
	}
}

void mecdns_signals_set_state(mecdns_signals_t *signals, const mecdns_signals_state_t *state)
{
	if (signals == NULL || state == NULL) {
		return;
	}
	if (signals->observer.state != NULL) {
		signals->observer.state(state, signals->observer.ctx);
	}
	mecdns_signals_state_t copy = *state;
	copy.zones = NULL;
	copy.zone_count = 0;
	mecdns_signals_zone_t *zones = calloc(state->zone_count + 1, sizeof(*zones));
	for (size_t i = 0; zones != NULL && i < state->zone_count; i++) {
		const mecdns_signals_zone_t *from = &state->zones[i];
		zones[i] = *from;
		zones[i].zone = strdup(from->zone != NULL ? from->zone : "");
		zones[i].signature_owner =
		    from->signature_owner != NULL ? strdup(from->signature_owner) : NULL;
		zones[i].signature_type =
		    from->signature_type != NULL ? strdup(from->signature_type) : NULL;
		if (zones[i].zone == NULL ||
		    (from->signature_owner != NULL && zones[i].signature_owner == NULL) ||
		    (from->signature_type != NULL && zones[i].signature_type == NULL)) {
			mecdns_signals_state_t partial = { .zones = zones, .zone_count = i + 1 };
			state_clear(&partial);
			zones = NULL;
		}
	}
	if (zones == NULL) {
		/* Out of memory: GetState answers the previous zones. */
		pthread_mutex_lock(&signals->state_lock);
		copy.zones = signals->state.zones;
		copy.zone_count = signals->state.zone_count;
		signals->state = copy;
		pthread_mutex_unlock(&signals->state_lock);
		return;
	}
	copy.zones = zones;
	copy.zone_count = state->zone_count;
	pthread_mutex_lock(&signals->state_lock);
	mecdns_signals_state_t old = signals->state;
	signals->state = copy;
	pthread_mutex_unlock(&signals->state_lock);
	state_clear(&old);
}

/*!
 * \brief Queues a state signal built from (type, value) pairs as
 *        dbus_message_append_args() takes them; returns its sequence
 *        number, or 0 when nothing was queued (bus none, out of memory).
 */
uint64_t mecdns_signals_queue(mecdns_signals_t *signals, const char *member, int first_type, ...)
{
	if (signals == NULL) {
		return 0;
	}
	if (signals->observer.signal != NULL) {
		va_list copy;
		va_start(copy, first_type);
		char *json = mecdns_signals_args_json(first_type, copy);
		va_end(copy);
		if (json != NULL) {
			signals->observer.signal(member, json, signals->observer.ctx);
			free(json);
		}
	}
	if (signals->wake_fd < 0) {
		return 0;
	}
	DBusMessage *msg = dbus_message_new_signal(SIGNALS_PATH, SIGNALS_EVENTS_IFACE, member);
	state_signal_t *entry = calloc(1, sizeof(*entry));
	va_list ap;
	va_start(ap, first_type);
	bool ok =
	    msg != NULL && entry != NULL && dbus_message_append_args_valist(msg, first_type, ap);
	va_end(ap);
	if (!ok) {
		if (msg != NULL) {
			dbus_message_unref(msg);
		}
		free(entry);
		signals_log(signals, LOG_ERR, "out of memory: signal %s not sent", member);
		return 0;
	}
	entry->msg = msg;
	pthread_mutex_lock(&signals->state_lock);
	if (signals->queue_tail != NULL) {
		signals->queue_tail->next = entry;
	} else {
		signals->queue_head = entry;
	}
	signals->queue_tail = entry;
	uint64_t seq = ++signals->queued_seq;
	pthread_mutex_unlock(&signals->state_lock);
	mecdns_signals_notify(signals);
	return seq;
}

bool mecdns_signals_emit_shutting_down(mecdns_signals_t *signals, int timeout_ms)
{
	uint64_t seq = mecdns_signals_queue(signals, "shutting_down", DBUS_TYPE_INVALID);
	if (seq == 0) {
		return false;
	}
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&signals->state_lock);
	while (signals->handled_seq < seq) {
		if (pthread_cond_timedwait(&signals->state_handled, &signals->state_lock,
		                           &deadline) == ETIMEDOUT) {
			break;
		}
	}
	bool delivered = signals->delivered_seq >= seq;
	pthread_mutex_unlock(&signals->state_lock);
	return delivered;
}
