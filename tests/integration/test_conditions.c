/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration tests of the conditions of draft-grubto-dnsop-dns-out-of-
 *  protocol-signalling sections 3.7 and 3.8 (zone and signature expiry,
 *  syncd/kexpiry.c) and 3.11 (Extended DNS Errors, syncd/kede.c): the real
 *  mecdns-syncd tracking a real knotd with the built mod-mecdns, on a
 *  private dbus-daemon.
 *
 *  - A secondary zone whose primary (a second real knotd) goes away: SOA
 *    expire 12 s, refresh 2 s; zone_expiring is raised with the period
 *    (6 s) left, serving drops, the zone then expires; the primary comes
 *    back, the secondary refreshes and everything clears.
 *  - A zone knotd signs itself with RRSIGs living an hour, watched with a
 *    period of two hours: signatures_expiring names the owner and type of
 *    the earliest RRSIG; re-signing with a 30-day lifetime clears it.
 *  - Extended DNS Errors: only code 24 is watched; queries outside every
 *    zone (EDE 20, Not Authoritative) are counted but not signalled, a
 *    query into an expired zone (EDE 24, Invalid Data) raises
 *    extended_error, which clears after --ede-quiet without one.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <dbus/dbus.h>

#include "tests/harness/dbus.h"
#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define ADDR      "127.0.0.1"
#define ZONE      "example.test."
#define SECONDARY "sec.test."
#define SIGNED    "signed.test."
#define SIGNAL_MS 20000

static const char ZONE_TEXT[] =
    "@ 3600 SOA ns.example.test. hostmaster.example.test. 1 3600 900 604800 300\n"
    "@ 3600 NS ns\n"
    "ns 3600 A 192.0.2.53\n";
/* refresh 2, retry 1, expire 12 */
static const char SECONDARY_TEXT[] = "@ 60 SOA ns.sec.test. hostmaster.sec.test. 5 2 1 12 60\n"
                                     "@ 60 NS ns\n"
                                     "ns 60 A 192.0.2.54\n";
static const char SIGNED_TEXT[] =
    "@ 60 SOA ns.signed.test. hostmaster.signed.test. 1 60 60 600 60\n"
    "@ 60 NS ns\n"
    "ns 60 A 192.0.2.55\n";
#define POLICY(lifetime)                                                                           \
	"policy:\n"                                                                                \
	"  - id: short\n"                                                                          \
	"    algorithm: ecdsap256sha256\n"                                                         \
	"    rrsig-lifetime: " lifetime "\n"                                                       \
	"    rrsig-refresh: 600\n"                                                                 \
	"    rrsig-pre-refresh: 60\n"                                                              \
	"    propagation-delay: 0\n"

typedef struct {
	harness_dbus_t bus;
	char *dir;
	char *db;
	knotd_config_t primary_config;
	knotd_t primary;
	knotd_config_t knot_config;
	knotd_t knotd;
	harness_proc_t syncd;
	int http_port;
	harness_dbus_listener_t *listener;
	size_t seen;
	char primary_addr[64];
} cond_stack_t;

static cond_stack_t stack;

static void dump(cond_stack_t *s)
{
	harness_dbus_dump(s->listener);
	harness_dump_log(&s->syncd);
	knotd_dump_log(&s->knotd);
}

/*! \brief Waits for the next signal matching text (a trailing '*' makes it
 *         a prefix); returns it. */
static const harness_dbus_signal_t *expect_signal(cond_stack_t *s, const char *text)
{
	size_t len = strlen(text);
	bool prefix = len > 0 && text[len - 1] == '*';
	long long deadline = harness_now_ms() + SIGNAL_MS;
	for (;;) {
		size_t count = harness_dbus_count(s->listener);
		for (size_t i = s->seen; i < count; i++) {
			const harness_dbus_signal_t *got = harness_dbus_signal(s->listener, i);
			if (prefix ? strncmp(got->text, text, len - 1) == 0
			           : strcmp(got->text, text) == 0) {
				s->seen = i + 1;
				return got;
			}
		}
		long long left = deadline - harness_now_ms();
		if (left <= 0) {
			break;
		}
		harness_dbus_wait(s->listener, count + 1, (int)left);
	}
	dump(s);
	ck_abort_msg("no signal %s within %d ms", text, SIGNAL_MS);
	return NULL;
}

/*! \brief Whether a signal after the matched ones starts with prefix. */
static bool signalled_since(cond_stack_t *s, const char *prefix)
{
	size_t count = harness_dbus_count(s->listener);
	for (size_t i = s->seen; i < count; i++) {
		if (strncmp(harness_dbus_signal(s->listener, i)->text, prefix, strlen(prefix)) ==
		    0) {
			return true;
		}
	}
	return false;
}

/*! \brief The directory and database (syncd's, which the module reads). */
static void stack_prepare(cond_stack_t *s)
{
	memset(s, 0, sizeof(*s));
	s->dir = harness_tmpdir("conditions");
	s->db = harness_strdupf("%s/mecdns.db", s->dir);
}

/*! \brief Bus, knotd (knot_config), syncd with extra_args and a listener. */
static void stack_start(cond_stack_t *s, const char *const extra_args[])
{
	ck_assert_int_eq(harness_dbus_start(&s->bus, NULL), 0);
	ck_assert_int_eq(knotd_start(&s->knotd, &s->knot_config), 0);
	s->listener = harness_dbus_listen(s->bus.address, NULL);
	ck_assert_ptr_nonnull(s->listener);
	char *socket = harness_strdupf("%s/knot.sock", s->knotd.dir);
	char *log = harness_strdupf("%s/syncd.log", s->dir);
	const char *args[24] = { "--database",    s->db,  "--dbus",      s->bus.address,
		                 "--knot-socket", socket, "--knot-dbus", "none",
		                 "--knot-poll",   "100",  "--max-lag",   "1000",
		                 "--log-level",   "debug" };
	size_t n = 14;
	for (size_t i = 0; extra_args[i] != NULL; i++) {
		args[n++] = extra_args[i];
	}
	ck_assert_msg(harness_syncd_start(&s->syncd, ADDR, &s->http_port, args, NULL, log, 10000) ==
	                  0,
	              "mecdns-syncd did not start listening");
	free(socket);
	free(log);
	ck_assert(harness_dbus_wait_owner(s->listener, "org.mecdns.syncd", SIGNAL_MS));
}

static void teardown(void)
{
	harness_syncd_stop(&stack.syncd, 10000);
	harness_dbus_listener_free(stack.listener);
	knotd_stop(&stack.knotd);
	knotd_stop(&stack.primary);
	harness_dbus_free(&stack.bus);
	harness_rmtree(stack.dir);
	free(stack.dir);
	free(stack.db);
	memset(&stack, 0, sizeof(stack));
}

/*! \brief GET of an operator endpoint; the parsed JSON body. */
static cJSON *get_json(cond_stack_t *s, const char *path)
{
	http_response_t resp;
	ck_assert_int_eq(http_request(ADDR, s->http_port, "GET", path, NULL, NULL, 0, &resp), 0);
	ck_assert_int_eq(resp.status, 200);
	cJSON *json = cJSON_Parse(resp.body);
	http_response_free(&resp);
	ck_assert_ptr_nonnull(json);
	return json;
}

/*! \brief /mecdns/v1/status's entry of zone. */
static cJSON *status_zone(cJSON *status, const char *zone)
{
	cJSON *zones = cJSON_GetObjectItem(cJSON_GetObjectItem(status, "knot"), "zones");
	cJSON *item = NULL;
	cJSON_ArrayForEach(item, zones)
	{
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(item, "zone")), zone) == 0) {
			return item;
		}
	}
	ck_abort_msg("zone %s not in the status", zone);
	return NULL;
}

/*! \brief GetState's entry key (a{sx} or a{s(ssx)}) as "zone=left " or
 *         "zone=owner/type/left " text. */
static char *get_state_expiring(cond_stack_t *s, const char *key)
{
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *conn = dbus_connection_open_private(s->bus.address, &err);
	ck_assert_msg(conn != NULL && dbus_bus_register(conn, &err), "bus: %s", err.message);
	DBusMessage *call = dbus_message_new_method_call("org.mecdns.syncd", "/org/mecdns/syncd",
	                                                 "org.mecdns.syncd.state", "GetState");
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, call, 5000, &err);
	ck_assert_msg(reply != NULL, "GetState: %s", err.message);
	char *text = NULL;
	DBusMessageIter args, entry;
	dbus_message_iter_init(reply, &args);
	dbus_message_iter_recurse(&args, &entry);
	for (; dbus_message_iter_get_arg_type(&entry) == DBUS_TYPE_DICT_ENTRY;
	     dbus_message_iter_next(&entry)) {
		DBusMessageIter kv, value, pair;
		const char *name = NULL;
		dbus_message_iter_recurse(&entry, &kv);
		dbus_message_iter_get_basic(&kv, &name);
		if (strcmp(name, key) != 0) {
			continue;
		}
		dbus_message_iter_next(&kv);
		dbus_message_iter_recurse(&kv, &value);
		text = strdup("");
		dbus_message_iter_recurse(&value, &pair);
		for (; dbus_message_iter_get_arg_type(&pair) == DBUS_TYPE_DICT_ENTRY;
		     dbus_message_iter_next(&pair)) {
			DBusMessageIter zkv, info;
			const char *zone = NULL, *owner = NULL, *type = NULL;
			dbus_int64_t left = -2;
			dbus_message_iter_recurse(&pair, &zkv);
			dbus_message_iter_get_basic(&zkv, &zone);
			dbus_message_iter_next(&zkv);
			char *item = NULL;
			if (dbus_message_iter_get_arg_type(&zkv) == DBUS_TYPE_STRUCT) {
				dbus_message_iter_recurse(&zkv, &info);
				dbus_message_iter_get_basic(&info, &owner);
				dbus_message_iter_next(&info);
				dbus_message_iter_get_basic(&info, &type);
				dbus_message_iter_next(&info);
				dbus_message_iter_get_basic(&info, &left);
				item = harness_strdupf("%s=%s/%s/%lld ", zone, owner, type,
				                       (long long)left);
			} else {
				dbus_message_iter_get_basic(&zkv, &left);
				item = harness_strdupf("%s=%lld ", zone, (long long)left);
			}
			char *joined = harness_strdupf("%s%s", text, item);
			free(text);
			free(item);
			text = joined;
		}
	}
	dbus_message_unref(reply);
	dbus_message_unref(call);
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	ck_assert_msg(text != NULL, "GetState has no %s", key);
	return text;
}

/*! \brief Value of one /metrics sample, -1 when absent. */
static double metric(cond_stack_t *s, const char *sample)
{
	http_response_t resp;
	ck_assert_int_eq(http_request(ADDR, s->http_port, "GET", "/metrics", NULL, NULL, 0, &resp),
	                 0);
	char *key = harness_strdupf("\n%s ", sample);
	const char *at = resp.body != NULL ? strstr(resp.body, key) : NULL;
	double value = at != NULL ? strtod(at + strlen(key), NULL) : -1;
	free(key);
	http_response_free(&resp);
	return value;
}

/*** A secondary whose primary goes away (section 3.7). ***/

static void setup_secondary(void)
{
	stack_prepare(&stack);
	stack.primary_config = (knotd_config_t){
		.tag = "primary",
		.zones = { { .domain = SECONDARY, .content = SECONDARY_TEXT } },
	};
	ck_assert_int_eq(knotd_start(&stack.primary, &stack.primary_config), 0);
	snprintf(stack.primary_addr, sizeof(stack.primary_addr), "127.0.0.1@%d",
	         stack.primary.port);
	stack.knot_config = (knotd_config_t){
		.tag = "secondary",
		.database = stack.db,
		.global_module = true,
		.zones = { { .domain = ZONE, .content = ZONE_TEXT },
		           { .domain = SECONDARY, .primary = stack.primary_addr } },
	};
	static const char *const args[] = { "--zone-expiry-period", "6", NULL };
	stack_start(&stack, args);
}

START_TEST(test_a_secondary_whose_primary_goes_away_is_signalled_before_it_expires)
{
	expect_signal(&stack, "serving(true)");
	ck_assert_double_eq(metric(&stack, "mecdns_zone_expiring{zone=\"" SECONDARY "\"}"), 0);
	cJSON *status = get_json(&stack, "/mecdns/v1/status");
	ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(
	                        cJSON_GetObjectItem(status, "knot"), "zoneExpiryPeriod")),
	                    6);
	cJSON_Delete(status);

	knotd_halt(&stack.primary, 0);
	long long halted = harness_now_ms();
	const harness_dbus_signal_t *sig = expect_signal(&stack, "zone_expiring('" SECONDARY "'*");
	/* Raised with at most the period left, before the zone expired. */
	ck_assert_msg(sig->argc == 4, "%s", sig->text);
	long long left = strtoll(sig->args[1], NULL, 10);
	ck_assert_msg(left > 0 && left <= 6, "%s", sig->text);
	ck_assert_str_eq(sig->args[2], "6");
	ck_assert_str_eq(sig->args[3], "true");
	ck_assert_msg(!signalled_since(&stack, "zone_ready('" SECONDARY "', false"),
	              "expired before zone_expiring");
	expect_signal(&stack, "serving(false)");
	ck_assert_double_eq(metric(&stack, "mecdns_zone_expiring{zone=\"" SECONDARY "\"}"), 1);
	ck_assert_double_eq(metric(&stack, "mecdns_condition{name=\"serving\"}"), 0);
	char *state = get_state_expiring(&stack, "zones_expiring");
	ck_assert_msg(strncmp(state, SECONDARY "=", strlen(SECONDARY) + 1) == 0, "%s", state);
	free(state);
	status = get_json(&stack, "/mecdns/v1/status");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(status_zone(status, SECONDARY), "expiring")));
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(status_zone(status, ZONE), "expiring")));
	cJSON_Delete(status);

	/* Then it expires; the condition holds (0 left). */
	expect_signal(&stack, "zone_ready('" SECONDARY "', false, 0)");
	ck_assert_msg(harness_now_ms() - halted < 16000, "expired late");
	state = get_state_expiring(&stack, "zones_expiring");
	ck_assert_str_eq(state, SECONDARY "=0 ");
	free(state);

	/* The primary comes back: the secondary refreshes, all clears. */
	ck_assert_int_eq(knotd_restart(&stack.primary, &stack.primary_config), 0);
	/* After the expiry knotd backs its retries off (20 s and more): ask
	 * for the refresh now, as an operator whose primary is back would. */
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "zone-refresh", SECONDARY, (char *)NULL), 0);
	expect_signal(&stack, "zone_ready('" SECONDARY "', true, 5)");
	expect_signal(&stack, "zone_expiring('" SECONDARY "', -1, 6, false)");
	expect_signal(&stack, "serving(true)");
	state = get_state_expiring(&stack, "zones_expiring");
	ck_assert_str_eq(state, "");
	free(state);
	ck_assert_double_eq(metric(&stack, "mecdns_zone_expiring{zone=\"" SECONDARY "\"}"), 0);
}
END_TEST

/*** A zone whose signatures are about to expire (section 3.8). ***/

static void setup_signed(void)
{
	stack_prepare(&stack);
	stack.knot_config = (knotd_config_t){
		.tag = "signed",
		.database = stack.db,
		.global_module = true,
		.extra_conf = POLICY("3600"),
		.zones = { { .domain = ZONE, .content = ZONE_TEXT },
		           { .domain = SIGNED, .content = SIGNED_TEXT, .dnssec_policy = "short" } },
	};
	static const char *const args[] = { "--signature-expiry-period", "7200", NULL };
	stack_start(&stack, args);
}

START_TEST(test_signatures_about_to_expire_are_signalled_until_re_signed)
{
	/* RRSIGs live an hour, the period is two: expiring from the start. */
	const harness_dbus_signal_t *sig =
	    expect_signal(&stack, "signatures_expiring('" SIGNED "'*");
	ck_assert_msg(sig->argc == 6, "%s", sig->text);
	ck_assert_msg(strcmp(sig->args[1], SIGNED) == 0 || strstr(sig->args[1], "." SIGNED),
	              "owner %s", sig->args[1]);
	ck_assert_msg(sig->args[2][0] != '\0', "no type: %s", sig->text);
	long long left = strtoll(sig->args[3], NULL, 10);
	ck_assert_msg(left > 3000 && left <= 3600, "%s", sig->text);
	ck_assert_str_eq(sig->args[4], "7200");
	ck_assert_str_eq(sig->args[5], "true");
	ck_assert_msg(!signalled_since(&stack, "signatures_expiring('" ZONE "'"),
	              "the unsigned zone signalled");
	char *state = get_state_expiring(&stack, "signatures_expiring");
	char *want = harness_strdupf("%s=%s/%s/", SIGNED, sig->args[1], sig->args[2]);
	ck_assert_msg(strncmp(state, want, strlen(want)) == 0, "%s, not %s...", state, want);
	free(want);
	free(state);
	ck_assert_double_eq(metric(&stack, "mecdns_zone_signatures_expiring{zone=\"" SIGNED "\"}"),
	                    1);
	cJSON *status = get_json(&stack, "/mecdns/v1/status");
	cJSON *expiring = cJSON_GetObjectItem(status_zone(status, SIGNED), "signatureExpiring");
	ck_assert_ptr_nonnull(expiring);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(expiring, "type")), sig->args[2]);
	ck_assert(
	    cJSON_IsFalse(cJSON_GetObjectItem(status_zone(status, ZONE), "signaturesExpiring")));
	cJSON_Delete(status);
	/* Not serving while signatures expire. */
	ck_assert_int_eq(metric(&stack, "mecdns_module_up"), 1);
	ck_assert_msg(!signalled_since(&stack, "serving(true)"), "served with expiring signatures");

	/* Re-signed for 30 days: cleared, serving. */
	char *conf = harness_read_file(stack.knotd.conf_path);
	char *at = strstr(conf, "rrsig-lifetime: 3600");
	ck_assert_ptr_nonnull(at);
	char *fixed = harness_strdupf("%.*srrsig-lifetime: 30d%s", (int)(at - conf), conf,
	                              at + strlen("rrsig-lifetime: 3600"));
	ck_assert_int_eq(harness_write_file(stack.knotd.conf_path, fixed), 0);
	free(conf);
	free(fixed);
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "reload", (char *)NULL), 0);
	ck_assert_int_eq(knotd_ctl(&stack.knotd, NULL, "zone-sign", SIGNED, (char *)NULL), 0);
	expect_signal(&stack, "signatures_expiring('" SIGNED "', '', '', -1, 7200, false)");
	expect_signal(&stack, "serving(true)");
	state = get_state_expiring(&stack, "signatures_expiring");
	ck_assert_str_eq(state, "");
	free(state);
}
END_TEST

/*** Extended DNS Errors (section 3.11). ***/

#define OTHER "other.test."
static const char OTHER_TEXT[] = "@ 60 SOA ns.other.test. h.other.test. 3 60 60 600 60\n"
                                 "@ 60 NS ns\n"
                                 "ns 60 A 192.0.2.56\n";

static void setup_ede(void)
{
	stack_prepare(&stack);
	stack.knot_config = (knotd_config_t){
		.tag = "ede",
		.database = stack.db,
		.global_module = true,
		.zones = { { .domain = ZONE, .content = ZONE_TEXT },
		           { .domain = OTHER, .content = OTHER_TEXT } },
	};
	static const char *const args[] = { "--ede-codes", "24", "--ede-quiet", "1500", NULL };
	stack_start(&stack, args);
}

/*! \brief Sends count EDNS queries for name; their answers' RCODE. */
static int query_many(const char *name, int count)
{
	dns_opts_t opts = { .edns_payload = 1232 };
	int rcode = -1;
	for (int i = 0; i < count; i++) {
		knot_pkt_t *answer = dns_query(stack.knotd.port, name, KNOT_RRTYPE_A, &opts);
		ck_assert_ptr_nonnull(answer);
		rcode = dns_rcode(answer);
		knot_pkt_free(answer);
	}
	return rcode;
}

START_TEST(test_watched_extended_dns_errors_are_signalled_both_ways)
{
	expect_signal(&stack, "serving(true)");
	/* Not Authoritative: counted, not watched (knotd_start()'s own probes
	 * may have counted before). */
	const char *nauth = "mecdns_module_ede_total{code=\"20\",name=\"Not Authoritative\"}";
	double before = metric(&stack, nauth);
	if (before < 0) {
		before = 0;
	}
	ck_assert_int_eq(query_many("www.nowhere.test.", 5), KNOT_RCODE_REFUSED);
	long long deadline = harness_now_ms() + SIGNAL_MS;
	while (metric(&stack, nauth) < before + 5 && harness_now_ms() < deadline) {
		harness_sleep_ms(100);
	}
	ck_assert_double_eq(metric(&stack, nauth), before + 5);

	/* An expired zone answers SERVFAIL with Invalid Data. */
	ck_assert_int_eq(
	    knotd_ctl(&stack.knotd, NULL, "-f", "zone-purge", OTHER, "+expire", (char *)NULL), 0);
	expect_signal(&stack, "zone_ready('" OTHER "', false, 0)");
	ck_assert_int_eq(query_many("ns." OTHER, 3), KNOT_RCODE_SERVFAIL);
	const harness_dbus_signal_t *sig = expect_signal(&stack, "extended_error(24, *");
	ck_assert_msg(sig->argc == 4, "%s", sig->text);
	ck_assert_str_eq(sig->args[1], "Invalid Data");
	ck_assert_int_ge(strtoll(sig->args[2], NULL, 10), 1);
	ck_assert_str_eq(sig->args[3], "true");
	ck_assert_msg(!signalled_since(&stack, "extended_error(20,"),
	              "an unwatched code signalled");
	cJSON *status = get_json(&stack, "/mecdns/v1/status");
	cJSON *knot = cJSON_GetObjectItem(status, "knot");
	cJSON *codes = cJSON_GetObjectItem(knot, "edeCodes");
	ck_assert_int_eq(cJSON_GetArraySize(codes), 1);
	ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetArrayItem(codes, 0)), 24);
	cJSON *occurring = cJSON_GetArrayItem(cJSON_GetObjectItem(knot, "edeOccurring"), 0);
	ck_assert_ptr_nonnull(occurring);
	ck_assert_double_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(occurring, "code")), 24);
	cJSON_Delete(status);

	/* Quiet for --ede-quiet: cleared, with knotd's count. */
	sig = expect_signal(&stack, "extended_error(24, 'Invalid Data', *");
	ck_assert_str_eq(sig->args[3], "false");
	ck_assert_int_ge(strtoll(sig->args[2], NULL, 10), 3);
	status = get_json(&stack, "/mecdns/v1/status");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(status, "knot"),
	                                                        "edeOccurring")),
	                 0);
	cJSON_Delete(status);
	ck_assert_msg(!signalled_since(&stack, "extended_error(20,"),
	              "an unwatched code signalled");
}
END_TEST

static Suite *conditions_suite(void)
{
	Suite *suite = suite_create("conditions");
	TCase *secondary = tcase_create("zone_expiring");
	tcase_add_checked_fixture(secondary, setup_secondary, teardown);
	tcase_set_timeout(secondary, 90);
	tcase_add_test(secondary,
	               test_a_secondary_whose_primary_goes_away_is_signalled_before_it_expires);
	suite_add_tcase(suite, secondary);

	TCase *sigs = tcase_create("signatures_expiring");
	tcase_add_checked_fixture(sigs, setup_signed, teardown);
	tcase_set_timeout(sigs, 60);
	tcase_add_test(sigs, test_signatures_about_to_expire_are_signalled_until_re_signed);
	suite_add_tcase(suite, sigs);

	TCase *ede = tcase_create("extended_error");
	tcase_add_checked_fixture(ede, setup_ede, teardown);
	tcase_set_timeout(ede, 60);
	tcase_add_test(ede, test_watched_extended_dns_errors_are_signalled_both_ways);
	suite_add_tcase(suite, ede);
	return suite;
}

int main(void)
{
	knotd_track_begin();
	SRunner *runner = srunner_create(conditions_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	knotd_track_end();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
