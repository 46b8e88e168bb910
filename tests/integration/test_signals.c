/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration: the D-Bus signal emitter (syncd/signals.c) against a real
 *  private dbus-daemon and a real store on a temporary SQLite file.
 *
 *  Each test starts its own bus, store and emitter, commits through the
 *  store as syncd's handlers do (then mecdns_signals_notify), and checks
 *  what a listener on the bus receives.
 */

#include <check.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "store/store.h"
#include "syncd/signals.h"
#include "tests/harness/dbus.h"
#include "tests/harness/harness.h"

#define NAME    "org.mecdns.syncd"
#define PATH    "/org/mecdns/syncd"
#define WAIT_MS 5000
/*! Short intervals so that retries happen within a test. */
#define RETRY_MS 100
#define POLL_MS  200

/*** Fixture: bus, store, log capture. ***/

typedef struct {
	pthread_mutex_t lock;
	char *text; /*!< Every line logged by the emitter, '\n'-separated. */
} log_capture_t;

static harness_dbus_t bus;
static char *dir;
static char *db_path;
static mecdns_store_t *store;
static log_capture_t captured = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void capture_log(int priority, const char *msg, void *ctx)
{
	log_capture_t *log = ctx;
	pthread_mutex_lock(&log->lock);
	char *next = harness_strdupf("%s%s\n", log->text != NULL ? log->text : "", msg);
	free(log->text);
	log->text = next;
	pthread_mutex_unlock(&log->lock);
	fprintf(stderr, "signals[%d]: %s\n", priority, msg);
}

/*! \brief Waits until the emitter logged a line containing needle. */
static bool wait_log(const char *needle, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		pthread_mutex_lock(&captured.lock);
		bool found = captured.text != NULL && strstr(captured.text, needle) != NULL;
		pthread_mutex_unlock(&captured.lock);
		if (found) {
			return true;
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return false;
}

static void open_store(void)
{
	char err[256] = "";
	ck_assert_msg(mecdns_store_open(db_path, &store, err, sizeof(err)) == MECDNS_STORE_OK,
	              "store open: %s", err);
}

static void setup(void)
{
	dir = harness_tmpdir("signals");
	ck_assert_ptr_nonnull(dir);
	harness_cleanup_dir(dir);
	db_path = harness_strdupf("%s/mecdns.db", dir);
	open_store();
	pthread_mutex_lock(&captured.lock);
	free(captured.text);
	captured.text = NULL;
	pthread_mutex_unlock(&captured.lock);
	memset(&bus, 0, sizeof(bus));
}

static void teardown(void)
{
	if (store != NULL) {
		mecdns_store_close(store);
		store = NULL;
	}
	if (bus.dir != NULL) {
		harness_dbus_free(&bus);
	}
	harness_rmtree(dir);
	free(dir);
	dir = NULL;
	free(db_path);
	db_path = NULL;
}

static void start_bus(const char *policy)
{
	ck_assert_int_eq(harness_dbus_start(&bus, policy), 0);
	harness_cleanup_dir(bus.dir);
}

static mecdns_signals_t *start_emitter(const char *address)
{
	mecdns_signals_config_t config = {
		.bus = address,
		.retry_ms = RETRY_MS,
		.poll_ms = POLL_MS,
		.log = capture_log,
		.log_ctx = &captured,
	};
	char err[256] = "";
	mecdns_signals_t *signals = mecdns_signals_start(&config, store, err, sizeof(err));
	ck_assert_msg(signals != NULL, "signals start: %s", err);
	return signals;
}

/*! \brief Starts an emitter and waits until it owns the name. */
static mecdns_signals_t *start_emitter_ready(harness_dbus_listener_t *listener)
{
	mecdns_signals_t *signals = start_emitter(bus.address);
	ck_assert_msg(harness_dbus_wait_owner(listener, NAME, WAIT_MS),
	              "the emitter did not take %s", NAME);
	return signals;
}

static harness_dbus_listener_t *listen_bus(void)
{
	harness_dbus_listener_t *listener = harness_dbus_listen(bus.address, NULL);
	ck_assert_ptr_nonnull(listener);
	return listener;
}

/*! \brief Waits for exactly the expected signals, in order. */
static void expect_signals(harness_dbus_listener_t *listener, const char *const *expected,
                           size_t count)
{
	size_t got = harness_dbus_wait(listener, count, WAIT_MS);
	if (got != count) {
		harness_dbus_dump(listener);
	}
	ck_assert_uint_eq(got, count);
	for (size_t i = 0; i < count; i++) {
		const harness_dbus_signal_t *sig = harness_dbus_signal(listener, i);
		ck_assert_str_eq(sig->interface, "org.mecdns.syncd.events");
		ck_assert_str_eq(sig->path, PATH);
		ck_assert_str_eq(sig->text, expected[i]);
	}
	/* Nothing more trails behind. */
	ck_assert_uint_eq(harness_dbus_wait(listener, count + 1, 2 * POLL_MS), count);
}

/*** Writes through the store. ***/

static void rule_create(const char *app, const char *id, const char *domain, const char *ip)
{
	mecdns_rule_t rule = {
		.app_instance_id = (char *)app,
		.dns_rule_id = (char *)id,
		.domain_name = (char *)domain,
		.ip_type = MECDNS_IP_V4,
		.ip_address = (char *)ip,
		.ttl = 30,
		.active = true,
	};
	mecdns_store_status_t ret = mecdns_store_rule_create(store, &rule, NULL);
	ck_assert_msg(ret == MECDNS_STORE_OK, "rule create: %s", mecdns_store_last_error());
}

static void rule_update(const char *app, const char *id, const char *domain, const char *ip,
                        bool active)
{
	mecdns_rule_t rule = {
		.app_instance_id = (char *)app,
		.dns_rule_id = (char *)id,
		.domain_name = (char *)domain,
		.ip_type = MECDNS_IP_V4,
		.ip_address = (char *)ip,
		.ttl = 30,
		.active = active,
	};
	mecdns_store_status_t ret = mecdns_store_rule_update(store, &rule, 0, NULL);
	ck_assert_msg(ret == MECDNS_STORE_OK, "rule update: %s", mecdns_store_last_error());
}

/*! \brief Writes a rule with a scope (NULL: unscoped; keep: the stored one). */
static void rule_scoped(const char *app, const char *id, const char *subnets, bool keep,
                        bool create)
{
	mecdns_rule_t rule = {
		.app_instance_id = (char *)app,
		.dns_rule_id = (char *)id,
		.domain_name = (char *)"scoped.example.com",
		.ip_type = MECDNS_IP_V4,
		.ip_address = (char *)"192.0.2.7",
		.ttl = 30,
		.active = true,
		.client_subnets = (char *)subnets,
		.keep_client_subnets = keep,
	};
	mecdns_store_status_t ret = create ? mecdns_store_rule_create(store, &rule, NULL)
	                                   : mecdns_store_rule_update(store, &rule, 0, NULL);
	ck_assert_msg(ret == MECDNS_STORE_OK, "rule write: %s", mecdns_store_last_error());
}

static void rule_delete(const char *app, const char *id)
{
	mecdns_store_status_t ret = mecdns_store_rule_delete(store, app, id, 0, NULL);
	ck_assert_msg(ret == MECDNS_STORE_OK, "rule delete: %s", mecdns_store_last_error());
}

static uint64_t signalled_seq(void)
{
	uint64_t seq = 0;
	ck_assert_int_eq(mecdns_store_state(store, NULL, NULL, &seq), MECDNS_STORE_OK);
	return seq;
}

/*! \brief Waits until the stored cursor reaches seq. */
static bool wait_signalled(uint64_t seq, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		if (signalled_seq() >= seq) {
			return true;
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return false;
}

/*** Tests. ***/

START_TEST(test_rule_changes_are_signalled_in_commit_order)
{
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	mecdns_signals_t *signals = start_emitter_ready(listener);

	rule_create("app-1", "rule-1", "www.example.com", "192.0.2.1");
	mecdns_signals_notify(signals);
	rule_update("app-1", "rule-1", "www.example.com", "192.0.2.1", false);
	mecdns_signals_notify(signals);
	rule_update("app-1", "rule-1", "Edge.Example.COM", "192.0.2.2", true);
	rule_create("app-2", "rule-9", "api.example.org.", "192.0.2.9");
	mecdns_signals_notify(signals);
	rule_delete("app-1", "rule-1");
	mecdns_signals_notify(signals);

	const char *const expected[] = {
		"rule_changed('app-1', 'rule-1', 'www.example.com', 'ACTIVE', 1, '')",
		"rule_changed('app-1', 'rule-1', 'www.example.com', 'INACTIVE', 2, '')",
		"rule_changed('app-1', 'rule-1', 'Edge.Example.COM', 'ACTIVE', 3, '')",
		"rule_changed('app-2', 'rule-9', 'api.example.org.', 'ACTIVE', 4, '')",
		"rule_changed('app-1', 'rule-1', 'Edge.Example.COM', 'DELETED', 5, '')",
	};
	expect_signals(listener, expected, 5);
	const harness_dbus_signal_t *first = harness_dbus_signal(listener, 0);
	ck_assert_uint_eq(first->argc, 6);
	ck_assert_str_eq(first->args[3], "ACTIVE");
	ck_assert(wait_signalled(5, WAIT_MS));
	ck_assert_uint_eq(mecdns_signals_outbox_depth(signals), 0);
	ck_assert(mecdns_signals_connected(signals));

	mecdns_signals_stop(signals);
	harness_dbus_listener_free(listener);
}
END_TEST

START_TEST(test_rule_changed_carries_the_scope)
{
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	mecdns_signals_t *signals = start_emitter_ready(listener);

	rule_scoped("app-1", "s1", "10.45.0.0/16,2001:db8:45::/48", false, true);
	/* An update that keeps the stored scope (as an Mp1 PUT does) signals it. */
	rule_scoped("app-1", "s1", NULL, true, false);
	rule_scoped("app-1", "s1", "10.46.0.0/16", false, false);
	rule_delete("app-1", "s1");
	rule_scoped("app-1", "s2", NULL, false, true);
	mecdns_signals_notify(signals);

	const char *const expected[] = {
		"rule_changed('app-1', 's1', 'scoped.example.com', 'ACTIVE', 1, "
		"'10.45.0.0/16,2001:db8:45::/48')",
		"rule_changed('app-1', 's1', 'scoped.example.com', 'ACTIVE', 2, "
		"'10.45.0.0/16,2001:db8:45::/48')",
		"rule_changed('app-1', 's1', 'scoped.example.com', 'ACTIVE', 3, '10.46.0.0/16')",
		/* A deleted rule's scope is the one it had. */
		"rule_changed('app-1', 's1', 'scoped.example.com', 'DELETED', 4, '10.46.0.0/16')",
		"rule_changed('app-1', 's2', 'scoped.example.com', 'ACTIVE', 5, '')",
	};
	expect_signals(listener, expected, 5);

	mecdns_signals_stop(signals);
	harness_dbus_listener_free(listener);
}
END_TEST

START_TEST(test_signals_come_from_the_well_known_name_owner)
{
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	mecdns_signals_t *signals = start_emitter_ready(listener);
	char *owner = harness_dbus_name_owner(listener, NAME);
	ck_assert_ptr_nonnull(owner);

	rule_create("app-1", "rule-1", "www.example.com", "192.0.2.1");
	mecdns_signals_notify(signals);
	ck_assert_uint_eq(harness_dbus_wait(listener, 1, WAIT_MS), 1);
	/* The sender is the unique name that owns org.mecdns.syncd. */
	const harness_dbus_signal_t *sig = harness_dbus_signal(listener, 0);
	ck_assert_str_eq(sig->member, "rule_changed");
	ck_assert_str_eq(sig->sender, owner);
	free(owner);

	mecdns_signals_stop(signals);
	harness_dbus_listener_free(listener);
}
END_TEST

/*! \brief One rdata in text and wire form (wire: len bytes). */
static mecdns_rdata_t rdata(const char *text, const char *wire, uint16_t len)
{
	return (mecdns_rdata_t){ .text = (char *)text, .wire = (uint8_t *)wire, .wire_len = len };
}

START_TEST(test_bulk_rrset_replace_signals_each_set_with_its_count)
{
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	mecdns_signals_t *signals = start_emitter_ready(listener);

	mecdns_rdata_t a2[] = { rdata("192.0.2.1", "\xc0\x00\x02\x01", 4),
		                rdata("192.0.2.2", "\xc0\x00\x02\x02", 4) };
	mecdns_rdata_t txt[] = { rdata("\"hello\"", "\x05hello", 6) };
	mecdns_rrset_t first[] = {
		{ .zone = ".",
		  .owner = "www.example.com.",
		  .type = 1,
		  .ttl = 60,
		  .rdata = a2,
		  .rdata_count = 2 },
		{ .zone = ".",
		  .owner = "www.example.com.",
		  .type = 16,
		  .ttl = 60,
		  .rdata = txt,
		  .rdata_count = 1 },
	};
	uint64_t generation = 0;
	ck_assert_int_eq(mecdns_store_rrset_replace(store, first, 2, &generation), MECDNS_STORE_OK);
	ck_assert_uint_eq(generation, 1);
	mecdns_signals_notify(signals);

	mecdns_rdata_t a1[] = { rdata("192.0.2.7", "\xc0\x00\x02\x07", 4) };
	mecdns_rdata_t aaaa[] = { rdata(
	    "2001:db8::1", "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01",
	    16) };
	mecdns_rrset_t second[] = {
		{ .zone = ".",
		  .owner = "www.example.com.",
		  .type = 1,
		  .ttl = 60,
		  .rdata = a1,
		  .rdata_count = 1 },
		{ .zone = ".",
		  .owner = "www.example.com.",
		  .type = 28,
		  .ttl = 60,
		  .rdata = aaaa,
		  .rdata_count = 1 },
		{ .zone = ".",
		  .owner = "www.example.com.",
		  .type = 16,
		  .ttl = 60,
		  .rdata_count = 0 },
	};
	ck_assert_int_eq(mecdns_store_rrset_replace(store, second, 3, &generation),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(generation, 2);
	mecdns_signals_notify(signals);

	const char *const expected[] = {
		"rrset_changed('.', 'www.example.com.', 'A', 2, 1, '')",
		"rrset_changed('.', 'www.example.com.', 'TXT', 1, 1, '')",
		"rrset_changed('.', 'www.example.com.', 'A', 1, 2, '')",
		"rrset_changed('.', 'www.example.com.', 'AAAA', 1, 2, '')",
		"rrset_changed('.', 'www.example.com.', 'TXT', 0, 2, '')",
	};
	expect_signals(listener, expected, 5);

	mecdns_signals_stop(signals);
	harness_dbus_listener_free(listener);
}
END_TEST

START_TEST(test_changes_while_the_bus_is_down_arrive_after_it_returns)
{
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	mecdns_signals_t *signals = start_emitter_ready(listener);
	rule_create("app-1", "before", "before.example.com", "192.0.2.1");
	mecdns_signals_notify(signals);
	ck_assert_uint_eq(harness_dbus_wait(listener, 1, WAIT_MS), 1);
	harness_dbus_listener_free(listener);
	/* Stop the bus only once the emitter has its round trip answered and
	 * the cursor stored; stopping it in between is the documented window
	 * in which the batch is sent again. */
	ck_assert(wait_signalled(1, WAIT_MS));

	harness_dbus_stop(&bus);
	ck_assert(wait_log("disconnected from D-Bus bus", WAIT_MS));
	ck_assert(!mecdns_signals_connected(signals));
	for (int i = 1; i <= 3; i++) {
		char id[16];
		snprintf(id, sizeof(id), "down-%d", i);
		rule_create("app-1", id, "down.example.com", "192.0.2.3");
		mecdns_signals_notify(signals);
	}
	/* Reconnect attempts fail quietly (logged once) and nothing is lost. */
	ck_assert(wait_log("cannot connect to D-Bus bus", WAIT_MS));
	harness_sleep_ms(3 * RETRY_MS);
	ck_assert_uint_eq(mecdns_signals_outbox_depth(signals), 3);
	ck_assert_uint_eq(signalled_seq(), 1);

	/* Same address again. The bus refuses the name until the listener
	 * listens, so the emitter cannot emit before the listener is ready. */
	char *deny_name = harness_strdupf("%s  <policy context=\"default\">\n"
	                                  "    <deny own=\"" NAME "\"/>\n"
	                                  "  </policy>\n",
	                                  harness_dbus_allow_all_policy());
	ck_assert_int_eq(harness_dbus_set_policy(&bus, deny_name), 0);
	free(deny_name);
	ck_assert_int_eq(harness_dbus_restart(&bus), 0);
	listener = listen_bus();
	ck_assert(wait_log("refused the name org.mecdns.syncd", WAIT_MS));
	ck_assert_int_eq(harness_dbus_set_policy(&bus, NULL), 0);

	const char *const expected[] = {
		"rule_changed('app-1', 'down-1', 'down.example.com', 'ACTIVE', 2, '')",
		"rule_changed('app-1', 'down-2', 'down.example.com', 'ACTIVE', 3, '')",
		"rule_changed('app-1', 'down-3', 'down.example.com', 'ACTIVE', 4, '')",
	};
	expect_signals(listener, expected, 3);
	ck_assert(wait_signalled(4, WAIT_MS));
	ck_assert_uint_eq(mecdns_signals_outbox_depth(signals), 0);

	mecdns_signals_stop(signals);
	harness_dbus_listener_free(listener);
}
END_TEST

START_TEST(test_outbox_written_without_emitter_is_emitted_at_start)
{
	/* As after a crash: changes committed, the cursor saw only the first. */
	rule_create("app-1", "r1", "one.example.com", "192.0.2.1");
	rule_create("app-1", "r2", "two.example.com", "192.0.2.2");
	rule_delete("app-1", "r1");
	ck_assert_int_eq(mecdns_store_set_signalled(store, 1), MECDNS_STORE_OK);
	mecdns_store_close(store);
	store = NULL;
	open_store();

	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	mecdns_signals_t *signals = start_emitter(bus.address);
	const char *const expected[] = {
		"rule_changed('app-1', 'r2', 'two.example.com', 'ACTIVE', 2, '')",
		"rule_changed('app-1', 'r1', 'one.example.com', 'DELETED', 3, '')",
	};
	expect_signals(listener, expected, 2);
	ck_assert(wait_signalled(3, WAIT_MS));

	mecdns_signals_stop(signals);
	harness_dbus_listener_free(listener);
}
END_TEST

START_TEST(test_stop_emits_what_is_pending)
{
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	mecdns_signals_t *signals = start_emitter(bus.address);
	ck_assert(harness_dbus_wait_owner(listener, NAME, WAIT_MS));
	/* Committed without notify: the emitter would only see it at its next
	 * poll; stopping must not leave it behind. */
	rule_create("app-1", "last", "last.example.com", "192.0.2.1");
	mecdns_signals_stop(signals);

	const char *const expected[] = {
		"rule_changed('app-1', 'last', 'last.example.com', 'ACTIVE', 1, '')",
	};
	expect_signals(listener, expected, 1);
	ck_assert_uint_eq(signalled_seq(), 1);
	harness_dbus_listener_free(listener);
}
END_TEST

START_TEST(test_introspect_ping_and_unknown_method)
{
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	mecdns_signals_t *signals = start_emitter_ready(listener);

	char *error = NULL;
	char *xml = harness_dbus_call(listener, NAME, PATH, "org.freedesktop.DBus.Introspectable",
	                              "Introspect", &error);
	ck_assert_msg(xml != NULL, "Introspect: %s", error);
	const char *names[] = { "<node",
		                "org.mecdns.syncd.events",
		                "\"rule_changed\"",
		                "\"rrset_changed\"",
		                "\"server_running\"",
		                "\"shutting_down\"",
		                "\"zone_ready\"",
		                "\"zone_updated\"",
		                "\"all_zones_ready\"",
		                "\"serving\"",
		                "\"query_rate\"",
		                "org.mecdns.syncd.state",
		                "\"GetState\"",
		                "a{sv}" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_msg(strstr(xml, names[i]) != NULL, "Introspect lacks %s", names[i]);
	}
	free(xml);

	/* Tools that walk the tree from "/" find the object. */
	const char *parents[][2] = { { "/", "\"org\"" },
		                     { "/org", "\"mecdns\"" },
		                     { "/org/mecdns", "\"syncd\"" } };
	for (size_t i = 0; i < 3; i++) {
		char *node =
		    harness_dbus_call(listener, NAME, parents[i][0],
		                      "org.freedesktop.DBus.Introspectable", "Introspect", &error);
		ck_assert_msg(node != NULL, "Introspect %s: %s", parents[i][0], error);
		ck_assert_msg(strstr(node, parents[i][1]) != NULL, "%s: %s", parents[i][0], node);
		free(node);
	}

	char *pong =
	    harness_dbus_call(listener, NAME, PATH, "org.freedesktop.DBus.Peer", "Ping", &error);
	ck_assert_msg(pong != NULL, "Ping: %s", error);
	free(pong);

	char *none = harness_dbus_call(listener, NAME, PATH, "org.mecdns.syncd.events",
	                               "NoSuchMethod", &error);
	ck_assert_ptr_null(none);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, "org.freedesktop.DBus.Error.UnknownMethod") != NULL, "%s",
	              error);
	free(error);

	/* The emitter still emits after answering calls. */
	rule_create("app-1", "r1", "one.example.com", "192.0.2.1");
	mecdns_signals_notify(signals);
	ck_assert_uint_eq(harness_dbus_wait(listener, 1, WAIT_MS), 1);

	mecdns_signals_stop(signals);
	harness_dbus_listener_free(listener);
}
END_TEST

START_TEST(test_name_taken_is_logged_and_retried)
{
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	ck_assert_int_eq(harness_dbus_own_name(listener, NAME), 0);
	mecdns_signals_t *signals = start_emitter(bus.address);

	ck_assert(wait_log("the name org.mecdns.syncd on bus", WAIT_MS));
	ck_assert(wait_log("is owned by another connection", WAIT_MS));
	rule_create("app-1", "r1", "one.example.com", "192.0.2.1");
	mecdns_signals_notify(signals);
	/* Not the owner: nothing is emitted, nothing is marked signalled. */
	ck_assert_uint_eq(harness_dbus_wait(listener, 1, 5 * RETRY_MS), 0);
	ck_assert(!mecdns_signals_connected(signals));
	ck_assert_uint_eq(signalled_seq(), 0);
	ck_assert_uint_eq(mecdns_signals_outbox_depth(signals), 1);

	ck_assert_int_eq(harness_dbus_release_name(listener, NAME), 0);
	const char *const expected[] = {
		"rule_changed('app-1', 'r1', 'one.example.com', 'ACTIVE', 1, '')",
	};
	expect_signals(listener, expected, 1);
	ck_assert(mecdns_signals_connected(signals));
	ck_assert(wait_log("owning org.mecdns.syncd", WAIT_MS));

	mecdns_signals_stop(signals);
	harness_dbus_listener_free(listener);
}
END_TEST

/*! A system-bus-like default policy plus the installed policy file. */
static char *system_like_policy(void)
{
	char *conf = harness_src_path("syncd/org.mecdns.syncd.conf");
	char *policy = harness_strdupf(
	    "  <policy context=\"default\">\n"
	    "    <allow user=\"*\"/>\n"
	    "    <deny own=\"*\"/>\n"
	    "    <deny send_type=\"method_call\"/>\n"
	    "    <allow send_type=\"signal\"/>\n"
	    "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
	    "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
	    "    <allow receive_type=\"method_call\"/>\n"
	    "    <allow receive_type=\"method_return\"/>\n"
	    "    <allow receive_type=\"error\"/>\n"
	    "    <allow receive_type=\"signal\"/>\n"
	    "    <allow send_destination=\"org.freedesktop.DBus\"\n"
	    "           send_interface=\"org.freedesktop.DBus\"/>\n"
	    "  </policy>\n"
	    "  <include>%s</include>\n",
	    conf);
	free(conf);
	return policy;
}

START_TEST(test_policy_file_keeps_the_name_for_user_mecdns)
{
	if (getpwnam("mecdns") != NULL && geteuid() == getpwnam("mecdns")->pw_uid) {
		fprintf(stderr, "SKIP: the test runs as user mecdns\n");
		return;
	}
	char *policy = system_like_policy();
	start_bus(policy);
	free(policy);
	mecdns_signals_t *signals = start_emitter(bus.address);
	/* Another user than mecdns: the bus refuses the name, clearly logged. */
	ck_assert(wait_log("refused the name org.mecdns.syncd", WAIT_MS));
	ck_assert(wait_log("AccessDenied", WAIT_MS));
	rule_create("app-1", "r1", "one.example.com", "192.0.2.1");
	mecdns_signals_notify(signals);
	harness_sleep_ms(5 * RETRY_MS);
	ck_assert(!mecdns_signals_connected(signals));
	ck_assert_uint_eq(signalled_seq(), 0);

	/* Anyone may still listen for the interface's signals. */
	harness_dbus_listener_t *listener = listen_bus();
	ck_assert_uint_eq(harness_dbus_wait(listener, 1, 2 * RETRY_MS), 0);
	harness_dbus_listener_free(listener);
	mecdns_signals_stop(signals);
}
END_TEST

/*! \brief Sends a forged rule_changed signal as the calling user (not
 *         mecdns), from a registered connection: what a compromised
 *         announcer could try. */
static void forge_signal(void)
{
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_connection_open_private(bus.address, &err);
	ck_assert_msg(conn != NULL, "connect: %s", err.message);
	ck_assert_msg(dbus_bus_register(conn, &err), "Hello: %s", err.message);
	DBusMessage *msg =
	    dbus_message_new_signal("/org/mecdns/syncd", "org.mecdns.syncd.events", "rule_changed");
	const char *app = "evil", *id = "r1", *name = "www.example.com", *state = "ACTIVE";
	dbus_uint64_t generation = 99;
	ck_assert(dbus_message_append_args(msg, DBUS_TYPE_STRING, &app, DBUS_TYPE_STRING, &id,
	                                   DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &state,
	                                   DBUS_TYPE_UINT64, &generation, DBUS_TYPE_INVALID));
	ck_assert(dbus_connection_send(conn, msg, NULL));
	dbus_connection_flush(conn);
	/* A round trip: the bus has routed (or dropped) the signal by then. */
	dbus_bus_get_unique_name(conn);
	DBusMessage *ping = dbus_message_new_method_call(
	    "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.Peer", "Ping");
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, ping, 2000, &err);
	if (reply != NULL) {
		dbus_message_unref(reply);
	}
	dbus_error_free(&err);
	dbus_message_unref(ping);
	dbus_message_unref(msg);
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
}

/*! Issue 12: mecdns-announce runs as its own user (mecdns-announce), and
 *  the installed policy lets only mecdns (syncd's user) send syncd's
 *  signals: a forged one from any other user never reaches a listener.
 *  Control: under an allow-all policy the same forgery is delivered. */
START_TEST(test_policy_file_keeps_syncd_signals_to_user_mecdns)
{
	if (getpwnam("mecdns") != NULL && geteuid() == getpwnam("mecdns")->pw_uid) {
		fprintf(stderr, "SKIP: the test runs as user mecdns\n");
		return;
	}
	start_bus(NULL);
	harness_dbus_listener_t *listener = listen_bus();
	forge_signal();
	ck_assert_uint_eq(harness_dbus_wait(listener, 1, WAIT_MS), 1);
	harness_dbus_listener_free(listener);
	harness_dbus_free(&bus);

	char *policy = system_like_policy();
	start_bus(policy);
	free(policy);
	listener = listen_bus();
	forge_signal();
	ck_assert_uint_eq(harness_dbus_wait(listener, 1, 2 * RETRY_MS), 0);
	harness_dbus_listener_free(listener);
}
END_TEST

START_TEST(test_bus_none_emits_nothing_and_keeps_the_cursor)
{
	mecdns_signals_t *signals = start_emitter("none");
	rule_create("app-1", "r1", "one.example.com", "192.0.2.1");
	mecdns_signals_notify(signals);
	harness_sleep_ms(2 * POLL_MS);
	ck_assert(!mecdns_signals_connected(signals));
	ck_assert_uint_eq(signalled_seq(), 0);
	ck_assert_uint_eq(mecdns_signals_outbox_depth(signals), 1);
	mecdns_signals_stop(signals);
}
END_TEST

START_TEST(test_bad_bus_value_is_refused)
{
	mecdns_signals_config_t config = { .bus = "not-an-address" };
	char err[256] = "";
	ck_assert_ptr_null(mecdns_signals_start(&config, store, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not-an-address") != NULL, "%s", err);
}
END_TEST

START_TEST(test_unreachable_bus_is_retried_not_an_error)
{
	char *address = harness_strdupf("unix:path=%s/no-bus-here", dir);
	mecdns_signals_t *signals = start_emitter(address);
	ck_assert(wait_log("cannot connect to D-Bus bus unix:path=", WAIT_MS));
	ck_assert(!mecdns_signals_connected(signals));
	mecdns_signals_stop(signals);
	free(address);
}
END_TEST

static Suite *signals_suite(void)
{
	Suite *s = suite_create("signals");
	TCase *tc = tcase_create("emitter");
	tcase_add_unchecked_fixture(tc, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rule_changes_are_signalled_in_commit_order);
	tcase_add_test(tc, test_rule_changed_carries_the_scope);
	tcase_add_test(tc, test_signals_come_from_the_well_known_name_owner);
	tcase_add_test(tc, test_bulk_rrset_replace_signals_each_set_with_its_count);
	tcase_add_test(tc, test_changes_while_the_bus_is_down_arrive_after_it_returns);
	tcase_add_test(tc, test_outbox_written_without_emitter_is_emitted_at_start);
	tcase_add_test(tc, test_stop_emits_what_is_pending);
	tcase_add_test(tc, test_introspect_ping_and_unknown_method);
	tcase_add_test(tc, test_name_taken_is_logged_and_retried);
	tcase_add_test(tc, test_policy_file_keeps_the_name_for_user_mecdns);
	tcase_add_test(tc, test_policy_file_keeps_syncd_signals_to_user_mecdns);
	tcase_add_test(tc, test_bus_none_emits_nothing_and_keeps_the_cursor);
	tcase_add_test(tc, test_bad_bus_value_is_refused);
	tcase_add_test(tc, test_unreachable_bus_is_retried_not_an_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(signals_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
