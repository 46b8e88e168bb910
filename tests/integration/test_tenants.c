/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Tenant isolation (issue 12): the real mecdns-syncd with a token file and
 *  the real knotd with mod-mecdns (global) serving the operator's zone
 *  op.test., on one SQLite file.
 *
 *  The platform (mm5 token) gives application A the name edge-a.mec.test and
 *  the subtree apps-a.mec.test, application B edge-b.mec.test; the MEP
 *  (dns-mgmt) publishes svc.mec.test through rrecord. Then A's own token
 *  tries to point its rule at every kind of name: another app's, an rrecord
 *  name, the zone's apex, its name server, a public name in and outside the
 *  zone, its own and its subtree (and a name shared by the platform). Each row checks the HTTP
 * answer and what knotd answers for the name afterwards: a refused write changes no DNS answer, and
 * even the operator cannot make mecdns answer at a zone's apex or name server.
 */

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libknot/libknot.h>

#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define ADDR "127.0.0.1"
#define MP1  "/mec_app_support/v1/applications"
#define MM5  "/mep/config"

#define EVENTUALLY_MS 15000

/*! The address application A tries to put at other names. */
#define EVIL "192.0.2.66"

static const char ZONE_TEXT[] = "$TTL 300\n"
                                "@    SOA  ns.op.test. hostmaster.op.test. 1 3600 600 86400 60\n"
                                "@    NS   ns\n"
                                "ns   A    198.51.100.1\n"
                                "www  A    198.51.100.10\n";

static struct {
	char *dir;
	char *db;
	char *log;
	harness_proc_t syncd;
	int port;
	knotd_t knotd;
	bool knotd_running;
} fx;

static const char *TOKENS = "admintoken admin\n"
                            "mepmtoken mm5\n"
                            "meptoken dns-mgmt\n"
                            "apptokenA app:A\n"
                            "apptokenB app:B\n";

static int call(const char *token, const char *method, const char *path, const char *body,
                http_response_t *resp)
{
	char *auth = harness_strdupf("Authorization: Bearer %s", token);
	const char *headers[] = { "Content-Type: application/json", auth, NULL };
	int ret = http_request(ADDR, fx.port, method, path, headers, body,
	                       body != NULL ? strlen(body) : 0, resp);
	free(auth);
	ck_assert_msg(ret == 0, "%s %s: no connection to mecdns-syncd (%d)", method, path, ret);
	return resp->status;
}

static void expect_status(const char *token, const char *method, const char *path, const char *body,
                          int status)
{
	http_response_t resp;
	call(token, method, path, body, &resp);
	ck_assert_msg(resp.status == status, "%s %s %s as %s: %d (expected %d): %s", method, path,
	              body != NULL ? body : "", token, resp.status, status, resp.body);
	http_response_free(&resp);
}

static char *rule_body(const char *id, const char *name, const char *address)
{
	return harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\",\"ipAddressType\":"
	                       "\"IP_V4\",\"ipAddress\":\"%s\",\"ttl\":30,\"state\":\"ACTIVE\"}",
	                       id, name, address);
}

/*! \brief Waits until knotd answers name A with address. */
static void wait_address(const char *name, const char *address)
{
	bool matched = false;
	knot_pkt_t *last = dns_poll(fx.knotd.port, name, KNOT_RRTYPE_A, NULL, dns_match_address,
	                            address, EVENTUALLY_MS, &matched);
	knot_pkt_free(last);
	ck_assert_msg(matched, "%s A never answered %s", name, address);
}

/*! \brief One query now: whether name A answers address. */
static bool answers(const char *name, const char *address)
{
	knot_pkt_t *answer = dns_query(fx.knotd.port, name, KNOT_RRTYPE_A, NULL);
	ck_assert_msg(answer != NULL, "no answer for %s A", name);
	bool has = dns_match_address(answer, address);
	knot_pkt_free(answer);
	return has;
}

/*! A writes its rule a1 (as the given token) and every DNS answer stays
 *  the one the data allows: this marker shows the module caught up. */
static int marker_count;
static void sync_marker(void)
{
	char *id = harness_strdupf("m%d", ++marker_count);
	char *name = harness_strdupf("marker%d.mec.test", marker_count);
	char *body = rule_body(id, name, "192.0.2.200");
	expect_status("mepmtoken", "POST", MM5 "/M/dns_rules", body, 201);
	char *fqdn = harness_strdupf("%s.", name);
	wait_address(fqdn, "192.0.2.200");
	free(fqdn);
	free(body);
	free(name);
	free(id);
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	marker_count = 0;
	fx.dir = harness_tmpdir("tenants");
	ck_assert_ptr_nonnull(fx.dir);
	harness_cleanup_dir(fx.dir);
	fx.db = harness_strdupf("%s/mecdns.db", fx.dir);
	fx.log = harness_strdupf("%s/syncd.log", fx.dir);
	char *tokens = harness_strdupf("%s/tokens", fx.dir);
	ck_assert_int_eq(harness_write_file(tokens, TOKENS), 0);
	const char *args[] = { "--database", fx.db,         "--dbus", "none", "--tokens",
		               tokens,       "--log-level", "debug",  NULL };
	ck_assert_msg(
	    harness_syncd_start(&fx.syncd, ADDR, &fx.port, args, NULL, fx.log, EVENTUALLY_MS) == 0,
	    "mecdns-syncd did not start");
	free(tokens);
	knotd_config_t config = {
		.tag = "tenants",
		.database = fx.db,
		.global_module = true,
		.refresh_interval_ms = 50,
		.zones = { { "op.test.", ZONE_TEXT, false } },
	};
	ck_assert_msg(knotd_start(&fx.knotd, &config) == 0, "knotd did not start");
	fx.knotd_running = true;

	/* The platform's decisions. */
	char *a1 = rule_body("a1", "edge-a.mec.test", "192.0.2.1");
	char *b1 = rule_body("b1", "edge-b.mec.test", "192.0.2.2");
	expect_status("mepmtoken", "POST", MM5 "/A/dns_rules", a1, 201);
	expect_status("mepmtoken", "POST", MM5 "/B/dns_rules", b1, 201);
	expect_status("mepmtoken", "PUT", MM5 "/A/dns_names/apps-a.mec.test", "{\"subtree\":true}",
	              200);
	expect_status("meptoken", "POST", "/mep/dns_server_mgmt/v1/rrecord?zone=.",
	              "{\"name\":\"svc.mec.test.\",\"type\":\"A\",\"ttl\":30,"
	              "\"rData\":[\"192.0.2.3\"]}",
	              200);
	free(a1);
	free(b1);
	wait_address("svc.mec.test.", "192.0.2.3");
	wait_address("edge-b.mec.test.", "192.0.2.2");
	wait_address("edge-a.mec.test.", "192.0.2.1");
}

static void teardown(void)
{
	if (fx.knotd_running) {
		knotd_stop(&fx.knotd);
	}
	harness_syncd_stop(&fx.syncd, 5000);
	free(fx.db);
	free(fx.log);
	free(fx.dir);
}

/*! One row of the matrix. */
typedef struct {
	const char *kind;
	const char *name;  /*!< Where A's own token tries to move rule a1. */
	int status;        /*!< Its HTTP answer. */
	const char *keeps; /*!< An address name must still answer, or NULL. */
	bool answers_evil; /*!< Whether knotd then answers EVIL at name. */
} row_t;

static const row_t ROWS[] = {
	{ "another app's name", "edge-b.mec.test", 403, "192.0.2.2", false },
	{ "an rrecord name", "svc.mec.test", 403, "192.0.2.3", false },
	{ "the zone's apex", "op.test", 403, NULL, false },
	{ "the zone's name server", "ns.op.test", 403, "198.51.100.1", false },
	{ "a public name in the zone", "www.op.test", 403, "198.51.100.10", false },
	{ "a public name elsewhere", "www.example.org", 403, NULL, false },
	{ "below its own name", "x.edge-a.mec.test", 403, NULL, false },
	{ "its subtree grant", "x.apps-a.mec.test", 200, NULL, true },
	{ "its own name", "edge-a.mec.test", 200, NULL, true },
};

START_TEST(test_an_app_token_steers_only_names_granted_to_its_app)
{
	for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++) {
		const row_t *row = &ROWS[i];
		char *body = rule_body("a1", row->name, EVIL);
		http_response_t resp;
		call("apptokenA", "PUT", MP1 "/A/dns_rules/a1", body, &resp);
		ck_assert_msg(resp.status == row->status, "%s (%s): %d, expected %d: %s", row->kind,
		              row->name, resp.status, row->status, resp.body);
		if (row->status == 403) {
			ck_assert_msg(strstr(resp.body, "is not granted") != NULL, "%s: %s",
			              row->kind, resp.body);
		}
		http_response_free(&resp);
		free(body);
		sync_marker();
		char *fqdn = harness_strdupf("%s.", row->name);
		ck_assert_msg(answers(fqdn, EVIL) == row->answers_evil, "%s (%s): knotd %s %s",
		              row->kind, row->name,
		              row->answers_evil ? "does not answer" : "answers", EVIL);
		if (row->keeps != NULL) {
			ck_assert_msg(answers(fqdn, row->keeps), "%s (%s): lost %s", row->kind,
			              row->name, row->keeps);
		}
		free(fqdn);
	}
	/* Another app's token does not reach A's rules at all. */
	char *body = rule_body("a1", "edge-b.mec.test", EVIL);
	expect_status("apptokenB", "PUT", MP1 "/A/dns_rules/a1", body, 403);
	free(body);
}
END_TEST

/*! The operator may put a rule anywhere, but mecdns never answers for the
 *  zone's own names: apex and name server stay the zone's. */
START_TEST(test_not_even_the_operator_overrides_a_zone_apex_or_name_server)
{
	const char *names[] = { "op.test", "ns.op.test" };
	for (size_t i = 0; i < 2; i++) {
		char *body = rule_body("a1", names[i], EVIL);
		expect_status("admintoken", "PUT", MP1 "/A/dns_rules/a1", body, 200);
		free(body);
		sync_marker();
		char *fqdn = harness_strdupf("%s.", names[i]);
		ck_assert_msg(!answers(fqdn, EVIL), "%s answers the rule's address", fqdn);
		free(fqdn);
	}
	ck_assert(answers("ns.op.test.", "198.51.100.1"));
}
END_TEST

/*! A name is one app's until its holder shares it: the platform's rule for
 *  B at A's name is refused (409) until A's grant is shared; then both are
 *  answered and each app keeps changing its own rule there. */
START_TEST(test_a_name_goes_to_a_second_app_only_when_shared)
{
	char *b2 = rule_body("b2", "edge-a.mec.test", "192.0.2.22");
	expect_status("mepmtoken", "POST", MM5 "/B/dns_rules", b2, 409);
	sync_marker();
	ck_assert(!answers("edge-a.mec.test.", "192.0.2.22"));
	expect_status("mepmtoken", "PUT", MM5 "/A/dns_names/edge-a.mec.test", "{\"shared\":true}",
	              200);
	expect_status("mepmtoken", "POST", MM5 "/B/dns_rules", b2, 201);
	free(b2);
	wait_address("edge-a.mec.test.", "192.0.2.22");
	ck_assert(answers("edge-a.mec.test.", "192.0.2.1"));
	/* B may now change its rule there, A still its own. */
	char *body = rule_body("b2", "edge-a.mec.test", "192.0.2.23");
	expect_status("apptokenB", "PUT", MP1 "/B/dns_rules/b2", body, 200);
	free(body);
	wait_address("edge-a.mec.test.", "192.0.2.23");
}
END_TEST

static Suite *tenants_suite(void)
{
	Suite *s = suite_create("tenants");
	TCase *tc = tcase_create("matrix");
	tcase_add_unchecked_fixture(tc, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_an_app_token_steers_only_names_granted_to_its_app);
	tcase_add_test(tc, test_not_even_the_operator_overrides_a_zone_apex_or_name_server);
	tcase_add_test(tc, test_a_name_goes_to_a_second_app_only_when_shared);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	knotd_track_begin();
	SRunner *runner = srunner_create(tenants_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	if (knotd_track_end() != 0) {
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
