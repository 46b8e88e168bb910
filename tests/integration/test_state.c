/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration tests of Knot state tracking (syncd/kstate.c): the real
 *  mecdns-syncd with --knot-socket and --knot-dbus, a real knotd with the
 *  built mod-mecdns as a global module and `dbus-event: running
 *  zone-updated`, both on one private dbus-daemon that knotd uses as its
 *  system bus (DBUS_SYSTEM_BUS_ADDRESS). Every test watches the condition
 *  signals of org.mecdns.syncd.events with their arguments and asks
 *  org.mecdns.syncd.state.GetState.
 *
 *  Timers are short (poll 100 ms, max-lag 1000 ms) so the file runs in
 *  well under a minute and a half.
 */

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tests/harness/dbus.h"
#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define ADDR       "127.0.0.1"
#define ZONE       "example.test."
#define ZONE2      "other.test."
#define SIGNAL_MS  10000
#define POLL_MS    "100"
#define MAX_LAG_MS "1000"

static const char ZONE_TEXT[] =
    "@ 3600 SOA ns.example.test. hostmaster.example.test. 1 3600 900 604800 300\n"
    "@ 3600 NS ns\n"
    "ns 3600 A 192.0.2.53\n";
static const char ZONE2_TEXT[] =
    "@ 3600 SOA ns.other.test. hostmaster.other.test. 7 3600 900 604800 300\n"
    "@ 3600 NS ns\n"
    "ns 3600 A 192.0.2.54\n";

/*! Everything one test runs: bus, syncd, knotd, a listener. */
typedef struct {
	harness_dbus_t bus;
	char *dir;
	char *db;        /*!< syncd's database. */
	char *module_db; /*!< What the module reads: a symlink to db. */
	char *env_bus;   /*!< DBUS_SYSTEM_BUS_ADDRESS=... for knotd. */
	char *env[2];
	knotd_config_t knot_config;
	knotd_t knotd;
	harness_proc_t syncd;
	int http_port;
	harness_dbus_listener_t *listener;
	size_t seen; /*!< Signals already matched by expect_signal(). */
} state_stack_t;

static state_stack_t stack;

/*! --query-rate-increase-threshold of the next syncd_start(); NULL: off. */
static const char *increase_threshold;

/*! \brief Starts mecdns-syncd against the stack's knotd and bus. */
static void syncd_start(state_stack_t *s, const char *threshold)
{
	char *socket = harness_strdupf("%s/knot.sock", s->knotd.dir);
	char *log = harness_strdupf("%s/syncd.log", s->dir);
	const char *args[24] = { "--database",    s->db,         "--dbus",      s->bus.address,
		                 "--knot-socket", socket,        "--knot-dbus", s->bus.address,
		                 "--knot-poll",   POLL_MS,       "--max-lag",   MAX_LAG_MS,
		                 "--allow-zone", /* the tests' rules live in it */
		                 "example.test",  "--log-level", "debug" };
	size_t n = 16;
	if (threshold != NULL) {
		args[n++] = "--query-rate-threshold";
		args[n++] = threshold;
	}
	if (increase_threshold != NULL) {
		args[n++] = "--query-rate-increase-threshold";
		args[n++] = increase_threshold;
	}
	args[n] = NULL;
	ck_assert_msg(harness_syncd_start(&s->syncd, ADDR, &s->http_port, args, NULL, log, 10000) ==
	                  0,
	              "mecdns-syncd did not start listening");
	free(socket);
	free(log);
}

/*! \brief Bus, knotd (two zones, global mod-mecdns reading module_db),
 *         syncd and a listener; returns once syncd signalled serving. */
static void stack_start(state_stack_t *s, const char *threshold)
{
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(harness_dbus_start(&s->bus, NULL), 0);
	s->dir = harness_tmpdir("state");
	s->db = harness_strdupf("%s/mecdns.db", s->dir);
	s->module_db = harness_strdupf("%s/module.db", s->dir);
	ck_assert_int_eq(symlink(s->db, s->module_db), 0);
	s->env_bus = harness_strdupf("DBUS_SYSTEM_BUS_ADDRESS=%s", s->bus.address);
	s->env[0] = s->env_bus;
	s->knot_config = (knotd_config_t){
		.tag = "state",
		.database = s->module_db,
		.global_module = true,
		.dbus_event = "[running, zone-updated]",
		.env = s->env,
		.zones = { { .domain = ZONE, .content = ZONE_TEXT },
		           { .domain = ZONE2, .content = ZONE2_TEXT } },
	};
	ck_assert_int_eq(knotd_start(&s->knotd, &s->knot_config), 0);
	s->listener = harness_dbus_listen(s->bus.address, NULL);
	ck_assert_ptr_nonnull(s->listener);
	syncd_start(s, threshold);
	ck_assert(harness_dbus_wait_owner(s->listener, "org.mecdns.syncd", SIGNAL_MS));
}

static void stack_stop(state_stack_t *s)
{
	harness_syncd_stop(&s->syncd, 10000);
	harness_dbus_listener_free(s->listener);
	knotd_stop(&s->knotd);
	harness_dbus_free(&s->bus);
	harness_rmtree(s->dir);
	free(s->dir);
	free(s->db);
	free(s->module_db);
	free(s->env_bus);
	memset(s, 0, sizeof(*s));
}

/*!
 * \brief Waits for a signal whose text is exactly text (or starts with it
 *        when text ends in '*') after the ones matched before; fails the
 *        test with every signal seen otherwise.
 */
static void expect_signal(state_stack_t *s, const char *text)
{
	size_t len = strlen(text);
	bool prefix = len > 0 && text[len - 1] == '*';
	long long deadline = harness_now_ms() + SIGNAL_MS;
	for (;;) {
		size_t count = harness_dbus_count(s->listener);
		for (size_t i = s->seen; i < count; i++) {
			const char *got = harness_dbus_signal(s->listener, i)->text;
			if (prefix ? strncmp(got, text, len - 1) == 0 : strcmp(got, text) == 0) {
				s->seen = i + 1;
				return;
			}
		}
		long long left = deadline - harness_now_ms();
		if (left <= 0) {
			break;
		}
		harness_dbus_wait(s->listener, count + 1, (int)left);
	}
	harness_dbus_dump(s->listener);
	harness_dump_log(&s->syncd);
	ck_abort_msg("no signal %s within %d ms", text, SIGNAL_MS);
}

/*! \brief Whether any signal so far starts with prefix. */
static bool signalled(state_stack_t *s, const char *prefix)
{
	size_t count = harness_dbus_count(s->listener);
	for (size_t i = 0; i < count; i++) {
		if (strncmp(harness_dbus_signal(s->listener, i)->text, prefix, strlen(prefix)) ==
		    0) {
			return true;
		}
	}
	return false;
}

/*! \brief ck_assert that shows the signals and syncd's log when it fails. */
#define ck_assert_state(s, cond)                                                                   \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			harness_dbus_dump((s)->listener);                                          \
			harness_dump_log(&(s)->syncd);                                             \
			knotd_dump_log(&(s)->knotd);                                               \
			harness_dump_log(&(s)->bus.proc);                                          \
			ck_abort_msg("state: %s", #cond);                                          \
		}                                                                                  \
	} while (0)

/*! GetState's answer, the parts the tests look at. */
typedef struct {
	bool server_running;
	bool all_zones_ready;
	bool serving;
	unsigned long long db_generation;
	unsigned long long module_generation;
	char zones[512]; /*!< "zone=true zone=false " in answer order. */
	double qps_increase_threshold;
	bool has_qps_increase; /*!< qps_increase was in the answer. */
	bool server_crashed;
} state_t;

/*! \brief Reads one a{sb} into text. */
static void zones_text(DBusMessageIter *array, char *buf, size_t len)
{
	buf[0] = '\0';
	DBusMessageIter pair;
	dbus_message_iter_recurse(array, &pair);
	for (; dbus_message_iter_get_arg_type(&pair) == DBUS_TYPE_DICT_ENTRY;
	     dbus_message_iter_next(&pair)) {
		DBusMessageIter kv;
		const char *zone = NULL;
		dbus_bool_t ready = FALSE;
		dbus_message_iter_recurse(&pair, &kv);
		dbus_message_iter_get_basic(&kv, &zone);
		dbus_message_iter_next(&kv);
		dbus_message_iter_get_basic(&kv, &ready);
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%s=%s ", zone, ready ? "true" : "false");
	}
}

/*! \brief Calls org.mecdns.syncd.state.GetState on a connection of its own. */
static state_t get_state(state_stack_t *s)
{
	state_t state = { 0 };
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_connection_open_private(s->bus.address, &err);
	ck_assert_msg(conn != NULL && dbus_bus_register(conn, &err), "bus: %s", err.message);
	DBusMessage *call = dbus_message_new_method_call("org.mecdns.syncd", "/org/mecdns/syncd",
	                                                 "org.mecdns.syncd.state", "GetState");
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, call, 5000, &err);
	ck_assert_msg(reply != NULL, "GetState: %s", err.message);
	ck_assert_str_eq(dbus_message_get_signature(reply), "a{sv}");
	DBusMessageIter args, entry;
	dbus_message_iter_init(reply, &args);
	dbus_message_iter_recurse(&args, &entry);
	for (; dbus_message_iter_get_arg_type(&entry) == DBUS_TYPE_DICT_ENTRY;
	     dbus_message_iter_next(&entry)) {
		DBusMessageIter kv, value;
		const char *key = NULL;
		dbus_message_iter_recurse(&entry, &kv);
		dbus_message_iter_get_basic(&kv, &key);
		dbus_message_iter_next(&kv);
		dbus_message_iter_recurse(&kv, &value);
		dbus_bool_t b = FALSE;
		dbus_uint64_t t = 0;
		if (strcmp(key, "server_running") == 0) {
			dbus_message_iter_get_basic(&value, &b);
			state.server_running = b;
		} else if (strcmp(key, "all_zones_ready") == 0) {
			dbus_message_iter_get_basic(&value, &b);
			state.all_zones_ready = b;
		} else if (strcmp(key, "serving") == 0) {
			dbus_message_iter_get_basic(&value, &b);
			state.serving = b;
		} else if (strcmp(key, "db_generation") == 0) {
			dbus_message_iter_get_basic(&value, &t);
			state.db_generation = t;
		} else if (strcmp(key, "module_generation") == 0) {
			dbus_message_iter_get_basic(&value, &t);
			state.module_generation = t;
		} else if (strcmp(key, "zones") == 0) {
			zones_text(&value, state.zones, sizeof(state.zones));
		} else if (strcmp(key, "qps_increase_threshold") == 0) {
			dbus_message_iter_get_basic(&value, &state.qps_increase_threshold);
		} else if (strcmp(key, "qps_increase") == 0) {
			state.has_qps_increase = true;
		} else if (strcmp(key, "server_crashed") == 0) {
			dbus_message_iter_get_basic(&value, &b);
			state.server_crashed = b;
		}
	}
	dbus_message_unref(reply);
	dbus_message_unref(call);
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	return state;
}

/*! \brief HTTP status of GET /readyz. */
static int readyz(state_stack_t *s)
{
	http_response_t resp;
	ck_assert_int_eq(http_request(ADDR, s->http_port, "GET", "/readyz", NULL, NULL, 0, &resp),
	                 0);
	int status = resp.status;
	http_response_free(&resp);
	return status;
}

/*! \brief Creates a rule through Mm5 (one new database generation). */
static void create_rule(state_stack_t *s, const char *id, const char *address)
{
	char *path = harness_strdupf("/mep/config/app-1/dns_rules");
	char *body = harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s.example.test\","
	                             "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"%s\"}",
	                             id, id, address);
	const char *headers[] = { "Content-Type: application/json", NULL };
	http_response_t resp;
	ck_assert_int_eq(
	    http_request(ADDR, s->http_port, "POST", path, headers, body, strlen(body), &resp), 0);
	ck_assert_msg(resp.status == 201, "POST rule: %d %s", resp.status, resp.body);
	http_response_free(&resp);
	free(path);
	free(body);
}

/*! \brief Points the module's database path at target (atomically). */
static void point_module_at(state_stack_t *s, const char *target)
{
	char *tmp = harness_strdupf("%s.tmp", s->module_db);
	unlink(tmp);
	ck_assert_int_eq(symlink(target, tmp), 0);
	ck_assert_int_eq(rename(tmp, s->module_db), 0);
	free(tmp);
}

/*!
 * \brief Rewrites knotd's knot.conf with the zone block of domain removed
 *        (add NULL) or a block appended (add: its text), then `knotc
 *        reload`. Returns the previous configuration (malloc'd).
 *
 * A full reload, not conf-begin/conf-commit: a conf-commit unloads the
 * shared mod-mecdns and the next `stats` crashes knotd 3.2.6 (see the
 * report of this test).
 */
static char *reconfigure(state_stack_t *s, const char *domain, const char *add)
{
	char *old = harness_read_file(s->knotd.conf_path);
	ck_assert_ptr_nonnull(old);
	char *text = NULL;
	if (add != NULL) {
		text = harness_strdupf("%s%s", old, add);
	} else {
		char *needle = harness_strdupf("  - domain: %s\n", domain);
		char *start = strstr(old, needle);
		ck_assert_ptr_nonnull(start);
		char *end = strstr(start + strlen(needle), "  - domain: ");
		text = harness_strdupf("%.*s%s", (int)(start - old), old, end != NULL ? end : "");
		free(needle);
	}
	ck_assert_int_eq(harness_write_file(s->knotd.conf_path, text), 0);
	free(text);
	ck_assert_int_eq(knotd_ctl(&s->knotd, NULL, "reload", (char *)NULL), 0);
	return old;
}

static void setup(void)
{
	stack_start(&stack, NULL);
	expect_signal(&stack, "serving(true)");
}

static void setup_with_threshold(void)
{
	stack_start(&stack, "20");
	expect_signal(&stack, "serving(true)");
}

static void setup_with_increase_threshold(void)
{
	increase_threshold = "30";
	stack_start(&stack, NULL);
	increase_threshold = NULL;
	expect_signal(&stack, "serving(true)");
}

static void teardown(void)
{
	stack_stop(&stack);
}

START_TEST(test_serving_state_is_answered_by_get_state_and_readyz)
{
	state_t state = get_state(&stack);
	ck_assert_state(&stack, state.server_running);
	ck_assert_state(&stack, state.all_zones_ready);
	ck_assert_state(&stack, state.serving);
	ck_assert_uint_eq(state.module_generation, state.db_generation);
	ck_assert_ptr_nonnull(strstr(state.zones, ZONE "=true "));
	ck_assert_ptr_nonnull(strstr(state.zones, ZONE2 "=true "));
	ck_assert_int_eq(readyz(&stack), 200);
}
END_TEST

/*! \brief The value of one sample line of /metrics (-1: absent). */
static double metric(const char *body, const char *sample)
{
	char *key = harness_strdupf("\n%s ", sample);
	const char *at = strstr(body, key);
	double value = at != NULL ? strtod(at + strlen(key), NULL) : -1;
	free(key);
	return value;
}

/*! /metrics carries mod-mecdns's counters from knotd (issue 16: what the
 *  dashboard shows), in a form Prometheus's linter accepts. */
START_TEST(test_metrics_show_the_module_counters_from_knotd)
{
	create_rule(&stack, "metrics", "192.0.2.77");
	dns_opts_t opts = { .timeout_ms = 500 };
	for (int i = 0; i < 5; i++) {
		knot_pkt_free(dns_query(stack.knotd.port, "www." ZONE, KNOT_RRTYPE_A, &opts));
	}
	bool seen = false;
	char *body = NULL;
	long long deadline = harness_now_ms() + 10000;
	while (!seen && harness_now_ms() < deadline) {
		knot_pkt_free(dns_query(stack.knotd.port, "metrics." ZONE, KNOT_RRTYPE_A, &opts));
		http_response_t resp;
		ck_assert_int_eq(
		    http_request(ADDR, stack.http_port, "GET", "/metrics", NULL, NULL, 0, &resp),
		    0);
		free(body);
		body = harness_strdupf("%s", resp.body != NULL ? resp.body : "");
		http_response_free(&resp);
		seen = metric(body, "mecdns_module_up") == 1 &&
		       metric(body, "mecdns_module_queries_total{result=\"answered\"}") >= 1 &&
		       metric(body, "mecdns_module_queries_total{result=\"passed\"}") >= 5 &&
		       metric(body, "mecdns_module_generation_lag") == 0 &&
		       metric(body, "mecdns_module_records") >= 1;
		if (!seen) {
			harness_sleep_ms(200);
		}
	}
	ck_assert_msg(seen, "the module's counters never showed in /metrics:\n%s", body);
	ck_assert(metric(body, "mecdns_module_generation") == metric(body, "mecdns_generation"));
	/* Write latency, signal lag (the rule's signal went over the real bus)
	 * and rules per app instance. */
	ck_assert(metric(body, "mecdns_syncd_write_seconds_count") >= 1);
	ck_assert(metric(body, "mecdns_syncd_write_seconds_bucket{le=\"+Inf\"}") ==
	          metric(body, "mecdns_syncd_write_seconds_count"));
	deadline = harness_now_ms() + 10000;
	while (metric(body, "mecdns_signals_lag_seconds_count") < 1 &&
	       harness_now_ms() < deadline) {
		harness_sleep_ms(100);
		http_response_t again;
		ck_assert_int_eq(
		    http_request(ADDR, stack.http_port, "GET", "/metrics", NULL, NULL, 0, &again),
		    0);
		free(body);
		body = harness_strdupf("%s", again.body != NULL ? again.body : "");
		http_response_free(&again);
	}
	ck_assert_msg(metric(body, "mecdns_signals_lag_seconds_count") >= 1, "no signal lag:\n%s",
	              body);
	ck_assert(metric(body, "mecdns_app_rules{app=\"app-1\",state=\"ACTIVE\"}") >= 1);
	ck_assert(metric(body, "mecdns_app_rules_omitted_apps") == 0);
	char *output = NULL;
	int rc = harness_promtool_check(stack.dir, body, &output);
	ck_assert_msg(rc == 0 && (output == NULL || output[0] == '\0'),
	              "promtool check metrics: exit %d:\n%s", rc, output != NULL ? output : "");
	free(output);

	/* The Grafana dashboard asks only for metrics syncd exports. */
	char *path = harness_src_path("docs/grafana/mecdns.json");
	char *dashboard = harness_read_file(path);
	ck_assert_msg(dashboard != NULL, "cannot read %s", path);
	size_t names = 0;
	for (const char *at = strstr(dashboard, "mecdns_"); at != NULL;
	     at = strstr(at + 1, "mecdns_")) {
		size_t len = strspn(at, "abcdefghijklmnopqrstuvwxyz_");
		/* A histogram's series are NAME_bucket, _sum, _count. */
		const char *suffixes[] = { "_bucket", "_sum", "_count" };
		for (size_t i = 0; i < 3; i++) {
			size_t n = strlen(suffixes[i]);
			if (len > n && strncmp(at + len - n, suffixes[i], n) == 0) {
				len -= n;
				break;
			}
		}
		char *type = harness_strdupf("# TYPE %.*s ", (int)len, at);
		ck_assert_msg(strstr(body, type) != NULL,
		              "the dashboard asks for %.*s, not in /metrics", (int)len, at);
		free(type);
		names++;
	}
	ck_assert_uint_ge(names, 10);
	free(dashboard);
	free(path);
	free(body);
}
END_TEST

START_TEST(test_knotd_stop_and_start_are_signalled_both_ways)
{
	knotd_halt(&stack.knotd, SIGTERM);
	expect_signal(&stack, "server_running(false)");
	size_t after_running = stack.seen;
	expect_signal(&stack, "zone_ready('" ZONE "', false, 0)");
	stack.seen = after_running;
	expect_signal(&stack, "all_zones_ready(false)");
	expect_signal(&stack, "serving(false)");
	state_t state = get_state(&stack);
	ck_assert_state(&stack, !state.server_running && !state.all_zones_ready && !state.serving);
	ck_assert_ptr_nonnull(strstr(state.zones, ZONE "=false "));
	ck_assert_int_eq(readyz(&stack), 503);

	ck_assert_msg(!signalled(&stack, "server_crashed("), "a clean stop signalled a crash");
	ck_assert_int_eq(knotd_restart(&stack.knotd, &stack.knot_config), 0);
	expect_signal(&stack, "server_running(true)");
	size_t after_start = stack.seen;
	expect_signal(&stack, "zone_ready('" ZONE "', true, 1)");
	stack.seen = after_start;
	expect_signal(&stack, "zone_ready('" ZONE2 "', true, 7)");
	expect_signal(&stack, "all_zones_ready(true)");
	expect_signal(&stack, "serving(true)");
	state = get_state(&stack);
	ck_assert_state(&stack, state.server_running && state.all_zones_ready && state.serving);
	ck_assert_int_eq(readyz(&stack), 200);
}
END_TEST

/*! A crash (signalling draft 3.3): knotd gone without stopped() on its
 *  bus is server_crashed(true) besides server_running(false), cleared when
 *  it runs again; a clean stop (test above) signals no crash. */
START_TEST(test_a_crashed_knotd_is_not_running)
{
	knotd_halt(&stack.knotd, SIGKILL);
	expect_signal(&stack, "server_running(false)");
	expect_signal(&stack, "server_crashed(true)");
	expect_signal(&stack, "serving(false)");
	state_t state = get_state(&stack);
	ck_assert_state(&stack, !state.server_running && state.server_crashed);
	ck_assert_int_eq(knotd_restart(&stack.knotd, &stack.knot_config), 0);
	expect_signal(&stack, "server_running(true)");
	expect_signal(&stack, "server_crashed(false)");
	ck_assert_state(&stack, !get_state(&stack).server_crashed);
}
END_TEST

START_TEST(test_a_removed_zone_is_no_longer_ready_and_comes_back)
{
	char *with_zone = reconfigure(&stack, ZONE2, NULL);
	expect_signal(&stack, "zone_ready('" ZONE2 "', false, 0)");
	/* No longer configured, so no longer expected: the rest stays ready. */
	harness_sleep_ms(500);
	state_t state = get_state(&stack);
	ck_assert_ptr_null(strstr(state.zones, ZONE2));
	ck_assert_state(&stack, state.all_zones_ready && state.serving);

	ck_assert_int_eq(harness_write_file(stack.knotd.conf_path, with_zone), 0);
	free(with_zone);
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "reload", (char *)NULL), 0);
	expect_signal(&stack, "zone_ready('" ZONE2 "', true, 7)");
	ck_assert_ptr_nonnull(strstr(get_state(&stack).zones, ZONE2 "=true "));
}
END_TEST

START_TEST(test_an_expired_zone_is_no_longer_ready)
{
	ck_assert_int_eq(
	    knotd_ctl(&stack.knotd, NULL, "-f", "zone-purge", ZONE2, "+expire", (char *)NULL), 0);
	expect_signal(&stack, "zone_ready('" ZONE2 "', false, 0)");
	expect_signal(&stack, "all_zones_ready(false)");
	expect_signal(&stack, "serving(false)");
	state_t state = get_state(&stack);
	ck_assert_state(&stack, state.server_running && !state.all_zones_ready && !state.serving);
	ck_assert_ptr_nonnull(strstr(state.zones, ZONE2 "=false "));
	ck_assert_int_eq(readyz(&stack), 503);
}
END_TEST

START_TEST(test_a_configured_zone_without_contents_holds_all_zones_ready_back)
{
	/* A third zone whose file does not exist yet: configured, not loaded. */
	char *file = harness_strdupf("%s/third.test.zone", stack.knotd.dir);
	char *block = harness_strdupf("  - domain: third.test.\n    file: %s\n", file);
	free(reconfigure(&stack, NULL, block));
	free(block);
	expect_signal(&stack, "all_zones_ready(false)");
	expect_signal(&stack, "serving(false)");
	state_t state = get_state(&stack);
	ck_assert_ptr_nonnull(strstr(state.zones, "third.test.=false "));
	ck_assert_state(&stack, state.server_running && !state.all_zones_ready && !state.serving);

	ck_assert_int_eq(
	    harness_write_file(file,
	                       "$ORIGIN third.test.\n"
	                       "@ 3600 SOA ns.third.test. h.third.test. 42 3600 900 604800 300\n"
	                       "@ 3600 NS ns\nns 3600 A 192.0.2.55\n"),
	    0);
	free(file);
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "zone-reload", "third.test.", (char *)NULL),
	                 0);
	expect_signal(&stack, "zone_ready('third.test.', true, 42)");
	expect_signal(&stack, "all_zones_ready(true)");
	expect_signal(&stack, "serving(true)");
}
END_TEST

START_TEST(test_a_zone_transaction_signals_the_new_serial)
{
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "zone-begin", ZONE, (char *)NULL), 0);
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "zone-set", ZONE, "www", "300", "A",
	                           "192.0.2.80", (char *)NULL),
	                 0);
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "zone-commit", ZONE, (char *)NULL), 0);
	expect_signal(&stack, "zone_updated('" ZONE "', 2)");
	state_t state = get_state(&stack);
	ck_assert_state(&stack, state.serving);
}
END_TEST

START_TEST(test_a_reload_does_not_flap_serving)
{
	size_t before = harness_dbus_count(stack.listener);
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "reload", (char *)NULL), 0);
	harness_sleep_ms(2500);
	harness_dbus_wait(stack.listener, before + 100, 0);
	for (size_t i = before; i < harness_dbus_count(stack.listener); i++) {
		const char *text = harness_dbus_signal(stack.listener, i)->text;
		ck_assert_msg(strcmp(text, "serving(false)") != 0, "reload flapped serving");
	}
	ck_assert_state(&stack, get_state(&stack).serving);
}
END_TEST

START_TEST(test_a_lagging_module_stops_serving_until_it_catches_up)
{
	/* The module's path now leads nowhere: it keeps serving its last
	 * generation and retries, while syncd commits a new one. */
	char *missing = harness_strdupf("%s/missing.db", stack.dir);
	point_module_at(&stack, missing);
	free(missing);
	harness_sleep_ms(300);
	create_rule(&stack, "lag-1", "192.0.2.10");
	long long committed = harness_now_ms();
	expect_signal(&stack, "serving(false)");
	/* Not before max-lag, and with hysteresis (another max-lag). */
	ck_assert_int_ge(harness_now_ms() - committed, 1000);
	state_t state = get_state(&stack);
	ck_assert_state(&stack, state.server_running && state.all_zones_ready && !state.serving);
	ck_assert_uint_lt(state.module_generation, state.db_generation);
	ck_assert_int_eq(readyz(&stack), 503);

	point_module_at(&stack, stack.db);
	expect_signal(&stack, "serving(true)");
	state = get_state(&stack);
	ck_assert_uint_eq(state.module_generation, state.db_generation);
	ck_assert_int_eq(readyz(&stack), 200);
}
END_TEST

START_TEST(test_a_stuck_refresher_is_a_crash)
{
	/* The module's path now leads to a FIFO nobody writes: opening it
	 * blocks the refresher thread, as a hung file system would. No write
	 * comes, so only the refresher's heartbeat can tell. */
	char *fifo = harness_strdupf("%s/stuck.db", stack.dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	point_module_at(&stack, fifo);
	expect_signal(&stack, "server_crashed(true)");
	expect_signal(&stack, "serving(false)");
	state_t state = get_state(&stack);
	ck_assert_state(&stack, state.server_running && state.server_crashed && !state.serving);
	ck_assert_int_eq(readyz(&stack), 503);
	http_response_t resp;
	ck_assert_int_eq(
	    http_request(ADDR, stack.http_port, "GET", "/metrics", NULL, NULL, 0, &resp), 0);
	ck_assert_double_gt(metric(resp.body, "mecdns_module_refresher_age_seconds"), 2);
	ck_assert_double_eq(metric(resp.body, "mecdns_condition{name=\"server_crashed\"}"), 1);
	ck_assert_double_eq(metric(resp.body, "mecdns_condition{name=\"serving\"}"), 0);
	http_response_free(&resp);

	/* Back to the database; the FIFO's write end opened once lets the
	 * blocked open return. */
	point_module_at(&stack, stack.db);
	int fd = open(fifo, O_WRONLY | O_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	close(fd);
	expect_signal(&stack, "server_crashed(false)");
	expect_signal(&stack, "serving(true)");
	ck_assert_int_eq(readyz(&stack), 200);
	free(fifo);
}
END_TEST

START_TEST(test_busy_writes_keep_serving)
{
	size_t before = harness_dbus_count(stack.listener);
	for (int i = 0; i < 20; i++) {
		char id[16], address[32];
		snprintf(id, sizeof(id), "busy-%d", i);
		snprintf(address, sizeof(address), "192.0.2.%d", 100 + i);
		create_rule(&stack, id, address);
		harness_sleep_ms(100);
	}
	harness_sleep_ms(500);
	harness_dbus_wait(stack.listener, before + 1000, 0);
	for (size_t i = before; i < harness_dbus_count(stack.listener); i++) {
		const char *text = harness_dbus_signal(stack.listener, i)->text;
		ck_assert_msg(strcmp(text, "serving(false)") != 0, "writes flapped serving");
	}
}
END_TEST

/*!
 * \brief Watches one connection for shutting_down and for the name
 *        org.mecdns.syncd losing its owner; returns 1 when shutting_down
 *        came first, 0 when the name went first, -1 when either is missing.
 */
static int shutting_down_before_name_goes(state_stack_t *s)
{
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_connection_open_private(s->bus.address, &err);
	ck_assert_msg(conn != NULL && dbus_bus_register(conn, &err), "bus: %s", err.message);
	dbus_bus_add_match(conn, "type='signal',interface='org.mecdns.syncd.events'", &err);
	dbus_bus_add_match(conn,
	                   "type='signal',member='NameOwnerChanged',"
	                   "arg0='org.mecdns.syncd'",
	                   &err);
	ck_assert_msg(!dbus_error_is_set(&err), "match: %s", err.message);
	ck_assert_int_eq(harness_signal(&s->syncd, SIGTERM), 0);
	int result = -1;
	bool shutting_down = false;
	long long deadline = harness_now_ms() + SIGNAL_MS;
	while (result < 0 && harness_now_ms() < deadline && dbus_connection_read_write(conn, 100)) {
		DBusMessage *msg;
		while (result < 0 && (msg = dbus_connection_pop_message(conn)) != NULL) {
			if (dbus_message_is_signal(msg, "org.mecdns.syncd.events",
			                           "shutting_down")) {
				shutting_down = true;
			} else if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS,
			                                  "NameOwnerChanged")) {
				const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
				if (dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name,
				                          DBUS_TYPE_STRING, &old_owner,
				                          DBUS_TYPE_STRING, &new_owner,
				                          DBUS_TYPE_INVALID) &&
				    *new_owner == '\0') {
					result = shutting_down ? 1 : 0;
				}
			}
			dbus_message_unref(msg);
		}
	}
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	return result;
}

START_TEST(test_sigterm_signals_shutting_down_before_the_name_goes)
{
	ck_assert_int_eq(shutting_down_before_name_goes(&stack), 1);
	ck_assert_int_eq(harness_wait_exit(&stack.syncd, 10000), 0);
}
END_TEST

/*! \brief Sends A queries for about ms milliseconds, about qps a second. */
static void query_for(state_stack_t *s, int ms, int qps)
{
	dns_opts_t opts = { .timeout_ms = 500 };
	long long end = harness_now_ms() + ms;
	while (harness_now_ms() < end) {
		knot_pkt_t *answer = dns_query(s->knotd.port, "www." ZONE, KNOT_RRTYPE_A, &opts);
		knot_pkt_free(answer);
		harness_sleep_ms(1000 / qps);
	}
}

START_TEST(test_query_rate_crossing_the_threshold_is_signalled_both_ways)
{
	query_for(&stack, 2500, 100);
	expect_signal(&stack, "query_rate(*");
	const harness_dbus_signal_t *up = harness_dbus_signal(stack.listener, stack.seen - 1);
	ck_assert_uint_eq(up->argc, 3);
	ck_assert_double_gt(strtod(up->args[0], NULL), 20);
	ck_assert_str_eq(up->args[1], "20");
	ck_assert_str_eq(up->args[2], "true");

	expect_signal(&stack, "query_rate(*");
	const harness_dbus_signal_t *down = harness_dbus_signal(stack.listener, stack.seen - 1);
	ck_assert_double_lt(strtod(down->args[0], NULL), 20);
	ck_assert_str_eq(down->args[2], "false");
}
END_TEST

/*! Section 3.10 of the signalling draft: a fast rise of the query rate is
 *  signalled, and a steady rate (however high) clears it. */
START_TEST(test_a_fast_rise_of_the_query_rate_is_signalled_both_ways)
{
	query_for(&stack, 3000, 100);
	expect_signal(&stack, "query_rate_increase(*");
	const harness_dbus_signal_t *up = harness_dbus_signal(stack.listener, stack.seen - 1);
	ck_assert_uint_eq(up->argc, 3);
	ck_assert_double_gt(strtod(up->args[0], NULL), 30);
	ck_assert_str_eq(up->args[1], "30");
	ck_assert_str_eq(up->args[2], "true");
	/* The rate stays (about 100/s): no increase any more. */
	expect_signal(&stack, "query_rate_increase(*");
	const harness_dbus_signal_t *down = harness_dbus_signal(stack.listener, stack.seen - 1);
	ck_assert_double_lt(strtod(down->args[0], NULL), 30);
	ck_assert_str_eq(down->args[2], "false");
	/* GetState carries it. */
	state_t state = get_state(&stack);
	ck_assert(state.has_qps_increase);
	ck_assert_double_eq(state.qps_increase_threshold, 30);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *suite = suite_create("kstate");
	TCase *tc = tcase_create("knotd");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_serving_state_is_answered_by_get_state_and_readyz);
	tcase_add_test(tc, test_metrics_show_the_module_counters_from_knotd);
	tcase_add_test(tc, test_knotd_stop_and_start_are_signalled_both_ways);
	tcase_add_test(tc, test_a_crashed_knotd_is_not_running);
	tcase_add_test(tc, test_a_removed_zone_is_no_longer_ready_and_comes_back);
	tcase_add_test(tc, test_an_expired_zone_is_no_longer_ready);
	tcase_add_test(tc, test_a_configured_zone_without_contents_holds_all_zones_ready_back);
	tcase_add_test(tc, test_a_zone_transaction_signals_the_new_serial);
	tcase_add_test(tc, test_a_reload_does_not_flap_serving);
	tcase_add_test(tc, test_a_lagging_module_stops_serving_until_it_catches_up);
	tcase_add_test(tc, test_a_stuck_refresher_is_a_crash);
	tcase_add_test(tc, test_busy_writes_keep_serving);
	tcase_add_test(tc, test_sigterm_signals_shutting_down_before_the_name_goes);
	suite_add_tcase(suite, tc);

	TCase *rate = tcase_create("query_rate");
	tcase_add_checked_fixture(rate, setup_with_threshold, teardown);
	tcase_set_timeout(rate, 60);
	tcase_add_test(rate, test_query_rate_crossing_the_threshold_is_signalled_both_ways);
	suite_add_tcase(suite, rate);

	TCase *increase = tcase_create("query_rate_increase");
	tcase_add_checked_fixture(increase, setup_with_increase_threshold, teardown);
	tcase_set_timeout(increase, 60);
	tcase_add_test(increase, test_a_fast_rise_of_the_query_rate_is_signalled_both_ways);
	suite_add_tcase(suite, increase);
	return suite;
}

int main(void)
{
	knotd_track_begin();
	SRunner *runner = srunner_create(state_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	knotd_track_end();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
