/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Tenant isolation (issue 12): the real knotd with mod-mecdns (global)
 *  serving the operator's zone op.test. and the zone open.test. (which the
 *  operator opens for mecdns data with allow-zone), and the real
 *  mecdns-syncd with a token file, a name-grants file and knotd's control
 *  socket, on one SQLite file.
 *
 *  The platform (mm5 token) gives application A the name edge-a.mec.test and
 *  the subtree apps-a.mec.test, application B edge-b.mec.test; the MEP
 *  (dns-mgmt) publishes svc.mec.test through rrecord. Then A's own token
 *  tries to point its rule at every kind of name: another app's, an rrecord
 *  name, the zone's apex, its name server, a public name in and outside the
 *  zone, its own and its subtree (and a name shared by the platform). Each row checks the HTTP
 * answer and what knotd answers for the name afterwards: a refused write changes no DNS answer, and
 * even the operator cannot make mecdns answer at a zone's apex or name server.
 * The operator's zones refuse every write (rules and rrecord, any token);
 * an allowed zone takes data except at its apex, delegations and NS targets.
 */

#include <arpa/inet.h>
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libknot/libknot.h>

#include "store/store.h"
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

/*! The zone the operator opens for mecdns data (allow-zone). */
static const char OPEN_TEXT[] =
    "$TTL 300\n"
    "@    SOA  ns.open.test. hostmaster.open.test. 1 3600 600 86400 60\n"
    "@    NS   ns\n"
    "ns   A    198.51.100.2\n"
    "child NS  ns.child\n"
    "ns.child A 198.51.100.3\n"
    "www  A    198.51.100.20\n";

/*! The operator's name-grants file: app C gets cfg.mec.test and below. */
static const char GRANTS[] = "# APP NAME [shared]\n"
                             "C cfg.mec.test\n";

static struct {
	char *dir;
	char *db;
	char *log;
	char *grants;
	harness_proc_t syncd;
	int port;
	knotd_t knotd;
	bool knotd_running;
} fx;

static const char *TOKENS = "admintoken admin\n"
                            "mepmtoken mm5\n"
                            "meptoken dns-mgmt\n"
                            "apptokenA app:A\n"
                            "apptokenB app:B\n"
                            "apptokenC app:C\n";

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

static int ready_status(void)
{
	http_response_t resp;
	if (http_request(ADDR, fx.port, "GET", "/readyz", NULL, NULL, 0, &resp) != 0) {
		return 0;
	}
	int status = resp.status;
	http_response_free(&resp);
	return status;
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
	fx.grants = harness_strdupf("%s/name-grants", fx.dir);
	ck_assert_int_eq(harness_write_file(fx.grants, GRANTS), 0);
	/* knotd first: syncd's --knot-socket is in knotd's directory. The
	 * module waits for the database, which syncd creates. */
	knotd_config_t config = {
		.tag = "tenants",
		.database = fx.db,
		.global_module = true,
		.refresh_interval_ms = 50,
		.zones = { { .domain = "op.test.", .content = ZONE_TEXT },
		           { .domain = "open.test.", .content = OPEN_TEXT } },
	};
	ck_assert_msg(knotd_start(&fx.knotd, &config) == 0, "knotd did not start");
	fx.knotd_running = true;
	char *sock = harness_strdupf("%s/knot.sock", fx.knotd.dir);
	const char *args[] = {
		"--database",  fx.db,           "--dbus",       "none",        "--tokens",
		tokens,        "--knot-socket", sock,           "--knot-dbus", "none",
		"--knot-poll", "100",           "--allow-zone", "Open.Test",   "--name-grants",
		fx.grants,     "--log-level",   "debug",        NULL
	};
	ck_assert_msg(
	    harness_syncd_start(&fx.syncd, ADDR, &fx.port, args, NULL, fx.log, EVENTUALLY_MS) == 0,
	    "mecdns-syncd did not start");
	free(sock);
	free(tokens);
	/* Ready: syncd polled knotd, so it knows the zones (and read the
	 * allowed zone's delegations in the same poll). */
	long long until = harness_now_ms() + EVENTUALLY_MS;
	int ready = 0;
	while ((ready = ready_status()) != 200 && harness_now_ms() < until) {
		harness_sleep_ms(50);
	}
	ck_assert_msg(ready == 200, "mecdns-syncd never ready (%d)", ready);

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
	free(fx.grants);
	free(fx.dir);
}

/*! One row of the matrix. */
typedef struct {
	const char *kind;
	const char *name;  /*!< Where A's own token tries to move rule a1. */
	int status;        /*!< Its HTTP answer. */
	const char *why;   /*!< What a refusal says. */
	const char *keeps; /*!< An address name must still answer, or NULL. */
	bool answers_evil; /*!< Whether knotd then answers EVIL at name. */
} row_t;

static const row_t ROWS[] = {
	{ "another app's name", "edge-b.mec.test", 403, "is not granted", "192.0.2.2", false },
	{ "an rrecord name", "svc.mec.test", 403, "is not granted", "192.0.2.3", false },
	{ "the zone's apex", "op.test", 403, "which knotd serves", NULL, false },
	{ "the zone's name server", "ns.op.test", 403, "which knotd serves", "198.51.100.1",
	  false },
	{ "a public name in the zone", "www.op.test", 403, "which knotd serves", "198.51.100.10",
	  false },
	{ "a public name elsewhere", "www.example.org", 403, "is not granted", NULL, false },
	{ "below its own name", "x.edge-a.mec.test", 403, "is not granted", NULL, false },
	{ "a name in the allowed zone", "app.open.test", 403, "is not granted", NULL, false },
	{ "the allowed zone's apex", "open.test", 403, "apex", NULL, false },
	{ "its subtree grant", "x.apps-a.mec.test", 200, NULL, NULL, true },
	{ "its own name", "edge-a.mec.test", 200, NULL, NULL, true },
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
			ck_assert_msg(strstr(resp.body, row->why) != NULL, "%s: %s", row->kind,
			              resp.body);
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

/*! The zones knotd serves are the operator's: no token writes a rule or an
 *  rrecord set there, and in a zone the operator opened (allow-zone) the
 *  apex, the delegation and the name servers stay the zone's. */
START_TEST(test_the_operators_zones_refuse_data_the_allowed_zone_keeps_its_own_names)
{
	static const struct {
		const char *name;
		int status;
		const char *why;
	} rows[] = {
		{ "www.op.test", 403, "which knotd serves" },
		{ "deep.below.op.test", 403, "which knotd serves" },
		{ "open.test", 403, "is the apex of zone open.test." },
		{ "ns.open.test", 403, "is a name server" },
		{ "child.open.test", 403, "delegation child.open.test." },
		{ "ns.child.open.test", 403, "delegation child.open.test." },
		{ "x.y.child.open.test", 403, "delegation child.open.test." },
		{ "app.open.test", 200, NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *body = rule_body("a1", rows[i].name, EVIL);
		http_response_t resp;
		call("admintoken", "PUT", MP1 "/A/dns_rules/a1", body, &resp);
		ck_assert_msg(resp.status == rows[i].status, "rule at %s: %d, expected %d: %s",
		              rows[i].name, resp.status, rows[i].status, resp.body);
		ck_assert_msg(rows[i].why == NULL || strstr(resp.body, rows[i].why) != NULL,
		              "rule at %s: %s", rows[i].name, resp.body);
		http_response_free(&resp);
		free(body);
		char *rr = harness_strdupf("{\"name\":\"%s.\",\"type\":\"A\",\"ttl\":30,"
		                           "\"rData\":[\"%s\"]}",
		                           rows[i].name, EVIL);
		call("meptoken", "POST", "/mep/dns_server_mgmt/v1/rrecord?zone=.", rr, &resp);
		ck_assert_msg(resp.status == rows[i].status, "rrecord at %s: %d: %s", rows[i].name,
		              resp.status, resp.body);
		http_response_free(&resp);
		/* Bulk PUT: one set at a closed name refuses the whole body. */
		char *bulk = harness_strdupf("[{\"zone\":\".\",\"rr\":[{\"name\":\"svc.mec.test.\","
		                             "\"type\":\"A\",\"ttl\":30,\"rData\":[\"192.0.2.3\"]},"
		                             "{\"name\":\"%s.\",\"type\":\"TXT\",\"ttl\":30,"
		                             "\"rData\":[\"\\\"x\\\"\"]}]}]",
		                             rows[i].name);
		call("meptoken", "PUT", "/mep/dns_server_mgmt/v1/rrecord", bulk, &resp);
		ck_assert_msg(resp.status == rows[i].status, "bulk rrecord at %s: %d: %s",
		              rows[i].name, resp.status, resp.body);
		http_response_free(&resp);
		free(bulk);
		free(rr);
	}
	sync_marker();
	ck_assert(answers("app.open.test.", EVIL));
	ck_assert(!answers("www.op.test.", EVIL));
	ck_assert(answers("www.op.test.", "198.51.100.10"));
	ck_assert(answers("ns.open.test.", "198.51.100.2"));
	ck_assert(!answers("open.test.", EVIL));
	/* Deactivating or deleting is never refused: the operator may always
	 * take data away. */
	char *off = harness_strdupf("{\"dnsRuleId\":\"a1\",\"domainName\":\"www.op.test\","
	                            "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"%s\","
	                            "\"ttl\":30,\"state\":\"INACTIVE\"}",
	                            EVIL);
	expect_status("admintoken", "PUT", MP1 "/A/dns_rules/a1", off, 200);
	free(off);
}
END_TEST

/*! Rules at a zone's apex or name server that got into the database
 *  without syncd's guard (written before knotd served the zone, or with
 *  another tool) are still never answered there. */
START_TEST(test_not_even_the_operator_overrides_a_zone_apex_or_name_server)
{
	mecdns_store_t *store = NULL;
	char err[256];
	ck_assert_int_eq(mecdns_store_open(fx.db, &store, err, sizeof(err)), MECDNS_STORE_OK);
	const char *names[] = { "op.test", "ns.op.test" };
	for (size_t i = 0; i < 2; i++) {
		char *id = harness_strdupf("x%zu", i);
		mecdns_rule_t rule = {
			.app_instance_id = "A",
			.dns_rule_id = id,
			.domain_name = (char *)names[i],
			.ip_type = MECDNS_IP_V4,
			.ip_address = EVIL,
			.ttl = 30,
			.active = true,
		};
		ck_assert_msg(mecdns_store_rule_create(store, &rule, NULL) == MECDNS_STORE_OK, "%s",
		              mecdns_store_last_error());
		free(id);
	}
	mecdns_store_close(store);
	sync_marker();
	for (size_t i = 0; i < 2; i++) {
		char *fqdn = harness_strdupf("%s.", names[i]);
		ck_assert_msg(!answers(fqdn, EVIL), "%s answers the rule's address", fqdn);
		free(fqdn);
	}
	ck_assert(answers("ns.op.test.", "198.51.100.1"));
}
END_TEST

/*! The name-grants file: app C's token may steer names below cfg.mec.test
 *  (and nothing else), the grant is listed with source "config" and
 *  cannot be revoked through the API; SIGHUP replaces it as a whole and a
 *  file that conflicts keeps the previous grants. */
START_TEST(test_the_name_grants_file_grants_suffixes_and_reloads_on_sighup)
{
	char *c1 = rule_body("c1", "edge-c.mec.test", "192.0.2.30");
	expect_status("mepmtoken", "POST", MM5 "/C/dns_rules", c1, 201);
	free(c1);
	char *in = rule_body("c1", "x.cfg.mec.test", "192.0.2.31");
	expect_status("apptokenC", "PUT", MP1 "/C/dns_rules/c1", in, 200);
	wait_address("x.cfg.mec.test.", "192.0.2.31");
	char *out = rule_body("c1", "edge-b.mec.test", "192.0.2.31");
	expect_status("apptokenC", "PUT", MP1 "/C/dns_rules/c1", out, 403);
	http_response_t resp;
	call("mepmtoken", "GET", MM5 "/C/dns_names", NULL, &resp);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_msg(strstr(resp.body, "\"cfg.mec.test.\"") != NULL &&
	                  strstr(resp.body, "\"config\"") != NULL,
	              "%s", resp.body);
	http_response_free(&resp);
	expect_status("mepmtoken", "DELETE", MM5 "/C/dns_names/cfg.mec.test", NULL, 409);
	/* B cannot be given a name inside C's suffix (not shared). */
	char *b9 = rule_body("b9", "y.cfg.mec.test", "192.0.2.32");
	expect_status("mepmtoken", "POST", MM5 "/B/dns_rules", b9, 409);
	free(b9);

	/* A file that conflicts (A already holds edge-a.mec.test) changes
	 * nothing: C keeps its suffix. */
	ck_assert_int_eq(harness_write_file(fx.grants, "C cfg.mec.test\nC edge-a.mec.test\n"), 0);
	ck_assert_int_eq(harness_signal(&fx.syncd, SIGHUP), 0);
	sync_marker();
	expect_status("apptokenC", "PUT", MP1 "/C/dns_rules/c1", in, 200);
	/* A file without C's line takes the grant away (the rule stays). */
	ck_assert_int_eq(harness_write_file(fx.grants, "# nothing granted\n"), 0);
	ck_assert_int_eq(harness_signal(&fx.syncd, SIGHUP), 0);
	long long until = harness_now_ms() + EVENTUALLY_MS;
	int status = 0;
	while (harness_now_ms() < until) {
		call("apptokenC", "PUT", MP1 "/C/dns_rules/c1", in, &resp);
		status = resp.status;
		http_response_free(&resp);
		if (status == 403) {
			break;
		}
		harness_sleep_ms(50);
	}
	ck_assert_int_eq(status, 403);
	ck_assert(answers("x.cfg.mec.test.", "192.0.2.31"));
	free(in);
	free(out);
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
	tcase_add_test(tc,
	               test_the_operators_zones_refuse_data_the_allowed_zone_keeps_its_own_names);
	tcase_add_test(tc, test_the_name_grants_file_grants_suffixes_and_reloads_on_sighup);
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
