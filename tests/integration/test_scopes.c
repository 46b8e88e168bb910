/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Client-subnet scopes (issue 13): the real mecdns-syncd and the real knotd
 *  with mod-mecdns (global) on one SQLite file. A rule's clientSubnets are
 *  accepted, stored in their one canonical form and shown on Mm5, never on
 *  Mp1 (whose PUT keeps them); bad scopes are a 400 naming the member and
 *  change nothing. knotd answers each device (the ECS address when the
 *  query carries one and edns-client-subnet is on, else its source address)
 *  from the most specific subnet it is in, unscoped rules the fallback, and
 *  the answer's ECS SCOPE is the prefix length that decided.
 */

#include <check.h>
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
#include "tests/harness/problem.h"
#include "tests/harness/syncd.h"

#define ADDR "127.0.0.1"
#define MP1  "/mec_app_support/v1/applications"
#define MM5  "/mep/config"

#define EVENTUALLY_MS 15000

static struct {
	char *dir;
	char *db;
	char *log;
	harness_proc_t syncd;
	int port;
	knotd_t knotd;
	bool knotd_running;
} fx;

static int call(const char *method, const char *path, const char *body, http_response_t *resp)
{
	const char *headers[] = { "Content-Type: application/json", NULL };
	int ret = http_request(ADDR, fx.port, method, path, headers, body,
	                       body != NULL ? strlen(body) : 0, resp);
	ck_assert_msg(ret == 0, "%s %s: no connection to mecdns-syncd (%d)", method, path, ret);
	return resp->status;
}

/*! \brief The answer's JSON body (the caller frees it). */
static cJSON *call_json(const char *method, const char *path, const char *body, int status)
{
	http_response_t resp;
	call(method, path, body, &resp);
	ck_assert_msg(resp.status == status, "%s %s: %d (expected %d): %s", method, path,
	              resp.status, status, resp.body);
	cJSON *json = cJSON_Parse(resp.body);
	http_response_free(&resp);
	ck_assert_ptr_nonnull(json);
	return json;
}

/*! \brief The clientSubnets of a rule object joined by commas, or NULL. */
static char *scope_of(const cJSON *rule)
{
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(rule, "clientSubnets");
	if (array == NULL) {
		return NULL;
	}
	ck_assert(cJSON_IsArray(array));
	char *out = harness_strdupf("%s", "");
	const cJSON *item;
	cJSON_ArrayForEach(item, array)
	{
		ck_assert(cJSON_IsString(item));
		char *next =
		    harness_strdupf("%s%s%s", out, *out != '\0' ? "," : "", item->valuestring);
		free(out);
		out = next;
	}
	return out;
}

static uint64_t generation(void)
{
	mecdns_store_t *store = NULL;
	char err[512];
	ck_assert_int_eq(mecdns_store_open(fx.db, &store, err, sizeof(err)), MECDNS_STORE_OK);
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_state(store, &gen, NULL, NULL), MECDNS_STORE_OK);
	mecdns_store_close(store);
	return gen;
}

/*! Whether knotd runs with `edns-client-subnet: on` (set per tcase). */
static bool ecs_on;
static const char *ecs_trusted; /*!< mod-mecdns ecs-trusted; NULL: unset. */

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.dir = harness_tmpdir("scopes");
	ck_assert_ptr_nonnull(fx.dir);
	harness_cleanup_dir(fx.dir);
	fx.db = harness_strdupf("%s/mecdns.db", fx.dir);
	fx.log = harness_strdupf("%s/syncd.log", fx.dir);
	const char *args[] = {
		"--database", fx.db, "--dbus", "none", "--log-level", "debug", NULL
	};
	ck_assert_msg(
	    harness_syncd_start(&fx.syncd, ADDR, &fx.port, args, NULL, fx.log, EVENTUALLY_MS) == 0,
	    "mecdns-syncd did not start");
	knotd_config_t config = {
		.tag = "scopes",
		.database = fx.db,
		.global_module = true,
		.refresh_interval_ms = 50,
		.edns_client_subnet = ecs_on,
		.ecs_trusted = ecs_trusted,
	};
	ck_assert_msg(knotd_start(&fx.knotd, &config) == 0, "knotd did not start");
	fx.knotd_running = true;
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

static char *scoped_rule(const char *id, const char *name, const char *address,
                         const char *subnets_json)
{
	return harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\",\"ipAddressType\":"
	                       "\"IP_V4\",\"ipAddress\":\"%s\",\"ttl\":30%s%s}",
	                       id, name, address, subnets_json != NULL ? ",\"clientSubnets\":" : "",
	                       subnets_json != NULL ? subnets_json : "");
}

/*! syncd's start line says where it serves, how it authorises, what the
 *  database holds and what it watches (issue 16), in one line. */
START_TEST(test_syncd_says_in_one_line_what_it_serves)
{
	char *log = harness_read_file(fx.log);
	ck_assert_ptr_nonnull(log);
	char *want = harness_strdupf("serving HTTP on %s:%d; auth: none (loopback only); database "
	                             "%s: generation 0, 0 active + 0 inactive rules, 0 rrsets; "
	                             "bus none; knot not watched; 0 synced zone(s)\n",
	                             ADDR, fx.port, fx.db);
	ck_assert_msg(strstr(log, want) != NULL, "no start line \"%s\" in:\n%s", want, log);
	free(want);
	free(log);
}
END_TEST

START_TEST(test_a_scope_is_stored_canonically_shown_on_mm5_and_kept_by_mp1)
{
	char *body = scoped_rule("r1", "app.mec.test", "192.0.2.1",
	                         "[\"2001:DB8:45:0::/48\",\"10.45.0.0/16\"]");
	cJSON *created = call_json("POST", MM5 "/A/dns_rules", body, 201);
	free(body);
	char *scope = scope_of(created);
	ck_assert_str_eq(scope, "10.45.0.0/16,2001:db8:45::/48");
	free(scope);
	cJSON_Delete(created);
	/* mecdns-db shows the scope as stored. */
	char *db_tool = harness_build_path("tools/mecdns-db");
	char *argv[] = { db_tool, "-d", fx.db, "rule-list", "A", NULL };
	char *output = NULL;
	ck_assert_int_eq(harness_run(argv, NULL, &output, 10000), 0);
	ck_assert_msg(output != NULL && strstr(output, "\t10.45.0.0/16,2001:db8:45::/48\n") != NULL,
	              "mecdns-db rule-list: %s", output != NULL ? output : "");
	free(output);
	free(db_tool);

	/* Mp1 answers stay ETSI's DnsRule: no clientSubnets. */
	cJSON *mp1 = call_json("GET", MP1 "/A/dns_rules/r1", NULL, 200);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(mp1, "clientSubnets"));
	cJSON_Delete(mp1);
	cJSON *mp1_list = call_json("GET", MP1 "/A/dns_rules", NULL, 200);
	ck_assert_ptr_null(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(mp1_list, 0), "clientSubnets"));
	cJSON_Delete(mp1_list);

	/* An Mp1 PUT (which cannot see the scope) keeps it, even when the body
	 * carries a clientSubnets member (unknown to ETSI, ignored). */
	char *put = harness_strdupf("{\"dnsRuleId\":\"r1\",\"domainName\":\"app.mec.test\","
	                            "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.2\","
	                            "\"ttl\":30,\"state\":\"ACTIVE\",\"clientSubnets\":null}");
	cJSON_Delete(call_json("PUT", MP1 "/A/dns_rules/r1", put, 200));
	free(put);
	cJSON *mm5 = call_json("GET", MM5 "/A/dns_rules/r1", NULL, 200);
	scope = scope_of(mm5);
	ck_assert_str_eq(scope, "10.45.0.0/16,2001:db8:45::/48");
	free(scope);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(mm5, "ipAddress")->valuestring,
	                 "192.0.2.2");
	cJSON_Delete(mm5);
	cJSON *mm5_list = call_json("GET", MM5 "/A/dns_rules", NULL, 200);
	scope = scope_of(cJSON_GetArrayItem(mm5_list, 0));
	ck_assert_str_eq(scope, "10.45.0.0/16,2001:db8:45::/48");
	free(scope);
	cJSON_Delete(mm5_list);

	/* Mm5 partial PUT: another scope, then null for every client. */
	cJSON *moved =
	    call_json("PUT", MM5 "/A/dns_rules/r1", "{\"clientSubnets\":[\"10.46.0.0/15\"]}", 200);
	scope = scope_of(moved);
	ck_assert_str_eq(scope, "10.46.0.0/15");
	free(scope);
	cJSON_Delete(moved);
	cJSON *state = call_json("PUT", MM5 "/A/dns_rules/r1", "{\"state\":\"INACTIVE\"}", 200);
	scope = scope_of(state);
	ck_assert_str_eq(scope, "10.46.0.0/15"); /* untouched by a partial PUT without it */
	free(scope);
	cJSON_Delete(state);
	cJSON *all = call_json("PUT", MM5 "/A/dns_rules/r1", "{\"clientSubnets\":null}", 200);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(all, "clientSubnets"));
	cJSON_Delete(all);
}
END_TEST

START_TEST(test_a_bad_scope_is_400_naming_the_member_and_changes_nothing)
{
	static const struct {
		const char *subnets;
		const char *detail;
	} rows[] = {
		{ "[\"10.45.0.1/16\"]", "clientSubnets[0] \"10.45.0.1/16\" has host bits set" },
		{ "[\"10.0.0.0/8\",\"::/129\"]", "clientSubnets[1] \"::/129\": /129 is longer" },
		{ "[\"10.0.0.0/8\",\"10.0.0.0/8\"]",
		  "clientSubnets[1] \"10.0.0.0/8\" is given twice" },
		{ "[\"10.0.0.0\"]", "clientSubnets[0] \"10.0.0.0\" is not ADDRESS/LENGTH" },
		{ "[]", "clientSubnets: no subnet given" },
		{ "[7]", "clientSubnets[0] must be a string" },
		{ "\"10.0.0.0/8\"", "clientSubnets must be an array" },
		{ "[\"1.0.0.0/8\",\"2.0.0.0/8\",\"3.0.0.0/8\",\"4.0.0.0/8\",\"5.0.0.0/8\","
		  "\"6.0.0.0/8\",\"7.0.0.0/8\",\"8.0.0.0/8\",\"9.0.0.0/8\",\"10.0.0.0/8\","
		  "\"11.0.0.0/8\",\"12.0.0.0/8\",\"13.0.0.0/8\",\"14.0.0.0/8\",\"15.0.0.0/8\","
		  "\"16.0.0.0/8\",\"17.0.0.0/8\",\"18.0.0.0/8\",\"19.0.0.0/8\",\"20.0.0.0/8\","
		  "\"21.0.0.0/8\",\"22.0.0.0/8\",\"23.0.0.0/8\",\"24.0.0.0/8\",\"25.0.0.0/8\","
		  "\"26.0.0.0/8\",\"27.0.0.0/8\",\"28.0.0.0/8\",\"29.0.0.0/8\",\"30.0.0.0/8\","
		  "\"31.0.0.0/8\",\"32.0.0.0/8\",\"33.0.0.0/8\"]",
		  "clientSubnets: 33 subnets, at most 32" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t before = generation();
		char *body = scoped_rule("r1", "app.mec.test", "192.0.2.1", rows[i].subnets);
		http_response_t resp;
		call("POST", MM5 "/A/dns_rules", body, &resp);
		http_assert_problem(&resp, 400, rows[i].detail);
		http_response_free(&resp);
		free(body);
		ck_assert_uint_eq(generation(), before);
	}
	/* The same on a partial PUT of an existing rule. */
	char *body = scoped_rule("r1", "app.mec.test", "192.0.2.1", NULL);
	cJSON_Delete(call_json("POST", MM5 "/A/dns_rules", body, 201));
	free(body);
	uint64_t before = generation();
	http_response_t resp;
	call("PUT", MM5 "/A/dns_rules/r1", "{\"clientSubnets\":[\"10.45.0.1/16\"]}", &resp);
	http_assert_problem(&resp, 400, "host bits set");
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);
}
END_TEST

/*** Answers. ***/

static void post_rule(const char *id, const char *name, const char *type, const char *address,
                      const char *subnets_json)
{
	char *body = harness_strdupf(
	    "{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\","
	    "\"ipAddressType\":\"%s\",\"ipAddress\":\"%s\",\"ttl\":30%s%s}",
	    id, name, type, address, subnets_json != NULL ? ",\"clientSubnets\":" : "",
	    subnets_json != NULL ? subnets_json : "");
	cJSON_Delete(call_json("POST", MM5 "/A/dns_rules", body, 201));
	free(body);
}

/*! \brief The answer's addresses, sorted, joined by commas ("" for none). */
static char *addresses(const knot_pkt_t *pkt)
{
	char found[16][DNS_ADDR_LEN];
	size_t count = dns_addresses(pkt, found, 16);
	ck_assert_uint_le(count, 16);
	qsort(found, count, sizeof(found[0]), (int (*)(const void *, const void *))strcmp);
	char *out = harness_strdupf("%s", "");
	for (size_t i = 0; i < count; i++) {
		char *next = harness_strdupf("%s%s%s", out, i > 0 ? "," : "", found[i]);
		free(out);
		out = next;
	}
	return out;
}

/*! \brief Asks name (type) as a device would; checks its addresses and, for
 *         an ECS query, the SCOPE of the answer (-1: no ECS expected). */
static void expect_answer(const char *name, uint16_t type, const dns_opts_t *opts, const char *want,
                          int scope)
{
	knot_pkt_t *answer = dns_query(fx.knotd.port, name, type, opts);
	ck_assert_msg(answer != NULL, "no answer for %s", name);
	ck_assert_int_eq(dns_rcode(answer), KNOT_RCODE_NOERROR);
	char *got = addresses(answer);
	const char *how = opts->ecs != NULL ? opts->ecs : opts->source != NULL ? opts->source : "-";
	ck_assert_msg(strcmp(got, want) == 0, "%s %s from %s%s: [%s], expected [%s]", name,
	              type == KNOT_RRTYPE_AAAA ? "AAAA" : "A", how, opts->tcp ? " (TCP)" : "", got,
	              want);
	if (want[0] == '\0') {
		ck_assert_msg(dns_authority_soa(answer) != NULL, "%s NODATA without SOA", name);
	}
	int got_scope = dns_ecs_scope(answer, opts->ecs);
	ck_assert_msg(got_scope == scope, "%s from %s: ECS scope %d, expected %d", name, how,
	              got_scope, scope);
	free(got);
	knot_pkt_free(answer);
}

/*! \brief Waits until the module serves the last write (a marker rule). */
static void wait_served(void)
{
	static int markers;
	char *id = harness_strdupf("marker%d", ++markers);
	char *name = harness_strdupf("%s.mec.test", id);
	post_rule(id, name, "IP_V4", "192.0.2.250", NULL);
	char *fqdn = harness_strdupf("%s.", name);
	bool matched = false;
	knot_pkt_t *last = dns_poll(fx.knotd.port, fqdn, KNOT_RRTYPE_A, NULL, dns_match_address,
	                            "192.0.2.250", EVENTUALLY_MS, &matched);
	knot_pkt_free(last);
	ck_assert_msg(matched, "the module never served %s", fqdn);
	free(fqdn);
	free(name);
	free(id);
}

/*! The rules of the answer tests: a central answer, site A (IPv4 and IPv6
 *  pools, two rules), a cell inside site A, one loopback source, an
 *  unscoped AAAA, and a name only site A gets. */
static void post_sites(void)
{
	post_rule("central", "app.mec.test", "IP_V4", "192.0.2.1", NULL);
	post_rule("site-a", "app.mec.test", "IP_V4", "192.0.2.10",
	          "[\"10.45.0.0/16\",\"2001:db8:45::/48\"]");
	post_rule("site-a2", "app.mec.test", "IP_V4", "192.0.2.12", "[\"10.45.0.0/16\"]");
	post_rule("cell", "app.mec.test", "IP_V4", "192.0.2.11", "[\"10.45.7.0/24\"]");
	post_rule("lo2", "app.mec.test", "IP_V4", "192.0.2.20", "[\"127.0.0.2/32\"]");
	post_rule("central6", "app.mec.test", "IP_V6", "2001:db8::1", NULL);
	post_rule("only-a", "only.mec.test", "IP_V4", "192.0.2.30", "[\"10.45.0.0/16\"]");
	wait_served();
}

START_TEST(test_a_device_gets_the_answer_of_the_most_specific_subnet_it_is_in)
{
	post_sites();
	static const struct {
		const char *ecs;
		const char *want;
		int scope;
	} rows[] = {
		{ "10.45.7.0/24", "192.0.2.11", 24 },
		{ "10.45.7.128/25", "192.0.2.11", 24 },
		/* SCOPE covers only what gets this answer: the cell's 10.45.7.0/24
		 * lies inside site A's /16, so the /16 answer holds for 10.45.8.0/21
		 * and no wider (a resolver must not hand it to the cell). */
		{ "10.45.8.0/24", "192.0.2.10,192.0.2.12", 21 },
		{ "10.45.0.0/16", "192.0.2.10,192.0.2.12", 17 }, /* /24 needs 24 known bits */
		/* The central answer holds for 10.46.0.0/15, not for site A's /16. */
		{ "10.46.0.0/24", "192.0.2.1", 15 },
		{ "2001:db8:45:1::/64", "192.0.2.10", 48 },
		{ "2001:db8:46::/64", "192.0.2.1", 47 },
		/* No address bits known: too short to tell (SCOPE > SOURCE). */
		{ "0.0.0.0/0", "192.0.2.1", 1 },
		/* The scopes all lie in 0.0.0.0/1: the central answer holds for the
		 * whole of 128.0.0.0/1. */
		{ "192.168.1.0/24", "192.0.2.1", 1 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		dns_opts_t opts = { .ecs = rows[i].ecs };
		expect_answer("app.mec.test.", KNOT_RRTYPE_A, &opts, rows[i].want, rows[i].scope);
		opts.tcp = true;
		expect_answer("app.mec.test.", KNOT_RRTYPE_A, &opts, rows[i].want, rows[i].scope);
	}
	/* Without ECS the source address decides. */
	dns_opts_t lo2 = { .source = "127.0.0.2" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &lo2, "192.0.2.20", -1);
	lo2.tcp = true;
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &lo2, "192.0.2.20", -1);
	dns_opts_t lo3 = { .source = "127.0.0.3" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &lo3, "192.0.2.1", -1);
	/* With ECS, the ECS address, not the source, is the device. */
	dns_opts_t both = { .source = "127.0.0.2", .ecs = "10.46.0.0/24" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &both, "192.0.2.1", 15);
	/* Per type: the cell has no AAAA, the unscoped AAAA answers. */
	dns_opts_t cell = { .ecs = "10.45.7.0/24" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_AAAA, &cell, "2001:db8::1", 0);
	/* A name only site A has: NODATA (with its SOA) for everyone else. */
	dns_opts_t site = { .ecs = "10.45.1.0/24" };
	expect_answer("only.mec.test.", KNOT_RRTYPE_A, &site, "192.0.2.30", 16);
	dns_opts_t other = { .ecs = "10.46.1.0/24" };
	expect_answer("only.mec.test.", KNOT_RRTYPE_A, &other, "", 15);
	/* A name without scopes of the family: SCOPE 0. */
	dns_opts_t v6 = { .ecs = "2001:db8:45::/48" };
	expect_answer("only.mec.test.", KNOT_RRTYPE_A, &v6, "", 0);
}
END_TEST

/*! A rule moved from one scope to another changes both answers in one
 *  generation: once the new subnet sees it, the old one does not. */
START_TEST(test_a_rule_moved_to_another_scope_moves_in_one_generation)
{
	post_sites();
	cJSON_Delete(call_json("PUT", MM5 "/A/dns_rules/cell",
	                       "{\"clientSubnets\":[\"10.46.0.0/16\"]}", 200));
	dns_opts_t moved = { .ecs = "10.46.3.0/24" };
	bool matched = false;
	knot_pkt_t *last = dns_poll(fx.knotd.port, "app.mec.test.", KNOT_RRTYPE_A, &moved,
	                            dns_match_address, "192.0.2.11", EVENTUALLY_MS, &matched);
	knot_pkt_free(last);
	ck_assert_msg(matched, "the moved rule never answered its new subnet");
	dns_opts_t old = { .ecs = "10.45.7.0/24" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &old, "192.0.2.10,192.0.2.12", 16);
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &moved, "192.0.2.11", 16);
}
END_TEST

/*! Without knotd's edns-client-subnet, the ECS option is not trusted (and
 *  not answered): the source address decides. */
START_TEST(test_without_edns_client_subnet_the_source_address_decides)
{
	post_sites();
	dns_opts_t ecs = { .ecs = "10.45.7.0/24" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &ecs, "192.0.2.1", -1);
	dns_opts_t lo2 = { .source = "127.0.0.2", .ecs = "10.45.7.0/24" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &lo2, "192.0.2.20", -1);
}
END_TEST

/*! With ecs-trusted, only the listed sources' ECS option speaks for the
 *  device; any other source is the device itself, and its answer's SCOPE
 *  is 0 (the answer does not depend on the subnet it claimed). */
START_TEST(test_only_trusted_sources_steer_by_ecs)
{
	post_sites();
	dns_opts_t trusted = { .source = "127.0.0.2", .ecs = "10.45.7.0/24" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &trusted, "192.0.2.11", 24);
	trusted.tcp = true;
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &trusted, "192.0.2.11", 24);
	dns_opts_t trusted_out = { .source = "127.0.0.2", .ecs = "10.46.0.0/24" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &trusted_out, "192.0.2.1", 15);
	/* 127.0.0.1 is not trusted: its ECS is ignored, the source decides. */
	dns_opts_t untrusted = { .ecs = "10.45.7.0/24" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &untrusted, "192.0.2.1", 0);
	untrusted.tcp = true;
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &untrusted, "192.0.2.1", 0);
	/* A forged ECS naming a trusted address steers nothing either. */
	dns_opts_t forged = { .source = "127.0.0.3", .ecs = "127.0.0.2/32" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &forged, "192.0.2.1", 0);
	dns_opts_t site = { .source = "127.0.0.3", .ecs = "10.45.1.0/24" };
	expect_answer("only.mec.test.", KNOT_RRTYPE_A, &site, "", 0);
	/* Without ECS the trusted source is a device like any other. */
	dns_opts_t lo2 = { .source = "127.0.0.2" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &lo2, "192.0.2.20", -1);
}
END_TEST

/*! The differential check (scopes_model.py, dnspython): random rules through
 *  Mm5, random devices asking, every answer, NODATA and SCOPE against an
 *  independent model of the documented rules, over rounds of changes.
 *  MECDNS_SCOPES_SEED replays a run (the seed is printed). */
START_TEST(test_answers_agree_with_a_reference_model)
{
	char *python = harness_python3();
	char *script = harness_src_path("tests/integration/scopes_model.py");
	char *url = harness_strdupf("http://%s:%d", ADDR, fx.port);
	char *dns_port = harness_strdupf("%d", fx.knotd.port);
	const char *seed = getenv("MECDNS_SCOPES_SEED");
	char *argv[] = { python,
		         script,
		         "--syncd",
		         url,
		         "--dns-port",
		         dns_port,
		         "--rounds",
		         "6",
		         "--queries",
		         "400",
		         seed != NULL ? "--seed" : NULL,
		         (char *)seed,
		         NULL };
	char *output = NULL;
	int rc = harness_run(argv, NULL, &output, 240000);
	fprintf(stderr, "%s", output != NULL ? output : "");
	ck_assert_msg(rc == 0, "the answers differ from the model (exit %d):\n%s", rc,
	              output != NULL ? output : "");
	/* It asked what it was told to ask: 6 rounds of 400. */
	ck_assert_msg(output != NULL && strstr(output, "checked 2400 queries") != NULL,
	              "the check did not run to its end: %s", output != NULL ? output : "");
	/* Scoped record sets decided some answers, not only rules. */
	ck_assert_msg(strstr(output, "scoped-sets 0\n") == NULL &&
	                  strstr(output, "scoped-sets ") != NULL,
	              "no answer came from a scoped record set: %s", output);
	free(output);
	free(dns_port);
	free(url);
	free(script);
	free(python);
}
END_TEST

/*** Record sets with scopes (rrecord API). ***/

#define RRECORD "/mep/dns_server_mgmt/v1/rrecord"

/*! \brief A one-set rrecord object of svc.mec.test. (A, TTL 30). */
static char *svc_set(const char *address, const char *subnets_json)
{
	return harness_strdupf("{\"name\":\"svc.mec.test.\",\"type\":\"A\",\"class\":\"IN\","
	                       "\"ttl\":30,\"rData\":[\"%s\"]%s%s}",
	                       address, subnets_json != NULL ? ",\"clientSubnets\":" : "",
	                       subnets_json != NULL ? subnets_json : "");
}

/*! \brief The first rData of an rrecord answer (an object or [{"zone","rr"}]). */
static const char *first_rdata(const cJSON *json)
{
	const cJSON *set = json;
	if (cJSON_IsArray(json)) {
		set = cJSON_GetArrayItem(
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(json, 0), "rr"), 0);
	}
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(set, "rData");
	ck_assert_msg(cJSON_IsArray(data), "no rData");
	return cJSON_GetStringValue(cJSON_GetArrayItem(data, 0));
}

/*! A name and type hold a set per scope: each is written, read and deleted
 *  by its own key, and knotd answers each device from the most specific
 *  set it is in, with the SCOPE that decided. */
START_TEST(test_rrecord_sets_with_scopes_answer_by_subnet)
{
	char *central = svc_set("192.0.2.1", NULL);
	char *site = svc_set("192.0.2.10", "[\"10.45.0.0/16\",\"2001:DB8:45::/48\"]");
	char *bulk = harness_strdupf("[{\"zone\":\".\",\"rr\":[%s,%s]}]", central, site);
	cJSON *stored = call_json("PUT", RRECORD, bulk, 200);
	cJSON *rr = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(stored, 0), "rr");
	ck_assert_int_eq(cJSON_GetArraySize(rr), 2);
	cJSON_Delete(stored);
	free(bulk);
	free(site);
	free(central);

	/* Each set by its own URI; the scope in its canonical form, in any order. */
	cJSON *got = call_json("GET", RRECORD "/svc.mec.test./A", NULL, 200);
	ck_assert_str_eq(first_rdata(got), "192.0.2.1");
	ck_assert_ptr_null(scope_of(got));
	cJSON_Delete(got);
	got =
	    call_json("GET", RRECORD "/svc.mec.test./A?clientSubnets=2001:db8:45::/48,10.45.0.0/16",
	              NULL, 200);
	ck_assert_str_eq(first_rdata(got), "192.0.2.10");
	char *scope = scope_of(got);
	ck_assert_str_eq(scope, "10.45.0.0/16,2001:db8:45::/48");
	free(scope);
	cJSON_Delete(got);
	http_response_t resp;
	call("GET", RRECORD "/svc.mec.test./A?clientSubnets=10.45.0.0/16", NULL, &resp);
	ck_assert_int_eq(resp.status, 404);
	http_response_free(&resp);
	/* mecdns-db lists both, the scope last. */
	char *db_tool = harness_build_path("tools/mecdns-db");
	char *argv[] = { db_tool, "-d", fx.db, "rrset-list", ".", NULL };
	char *output = NULL;
	ck_assert_int_eq(harness_run(argv, NULL, &output, 10000), 0);
	ck_assert_msg(output != NULL &&
	                  strstr(output, "svc.mec.test.\tA\t30\t192.0.2.1\t-\n") != NULL &&
	                  strstr(output, "\t192.0.2.10\t10.45.0.0/16,2001:db8:45::/48\n") != NULL,
	              "mecdns-db rrset-list: %s", output != NULL ? output : "");
	free(output);

	wait_served();
	dns_opts_t in_site = { .ecs = "10.45.1.0/24" };
	dns_opts_t in_site6 = { .ecs = "2001:db8:45:7::/64" };
	dns_opts_t outside = { .ecs = "10.46.1.0/24" };
	expect_answer("svc.mec.test.", KNOT_RRTYPE_A, &in_site, "192.0.2.10", 16);
	expect_answer("svc.mec.test.", KNOT_RRTYPE_A, &in_site6, "192.0.2.10", 48);
	expect_answer("svc.mec.test.", KNOT_RRTYPE_A, &outside, "192.0.2.1", 15);
	in_site.tcp = true;
	expect_answer("svc.mec.test.", KNOT_RRTYPE_A, &in_site, "192.0.2.10", 16);
	in_site.tcp = false;

	/* The single-set PUT names the scope in the URI; a body without the
	 * member means that scope, one with another scope is refused. */
	char *one = svc_set("192.0.2.11", NULL);
	cJSON_Delete(call_json("PUT",
	                       RRECORD "/svc.mec.test./A?clientSubnets=10.45.0.0/16,"
	                               "2001:db8:45::/48",
	                       one, 200));
	free(one);
	uint64_t before = generation();
	char *other = svc_set("192.0.2.12", "[\"10.47.0.0/16\"]");
	call("PUT", RRECORD "/svc.mec.test./A?clientSubnets=10.45.0.0/16,2001:db8:45::/48", other,
	     &resp);
	http_assert_problem(&resp, 400, "clientSubnets");
	http_response_free(&resp);
	free(other);
	call("GET", RRECORD "/svc.mec.test./A?clientSubnets=10.45.0.1/16", NULL, &resp);
	http_assert_problem(&resp, 400, "clientSubnets");
	http_response_free(&resp);
	/* A scoped CNAME: refused (a CNAME answers every client), nothing stored. */
	call("PUT", RRECORD,
	     "[{\"zone\":\".\",\"rr\":[{\"name\":\"alias.mec.test.\",\"type\":\"CNAME\","
	     "\"class\":\"IN\",\"ttl\":30,\"rData\":[\"svc.mec.test.\"],"
	     "\"clientSubnets\":[\"10.45.0.0/16\"]}]}]",
	     &resp);
	http_assert_problem(&resp, 400, "CNAME");
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);
	wait_served();
	expect_answer("svc.mec.test.", KNOT_RRTYPE_A, &in_site, "192.0.2.11", 16);

	/* Deleting the scoped set leaves the central one for everyone. */
	cJSON_Delete(call_json(
	    "DELETE", RRECORD "/svc.mec.test./A?clientSubnets=10.45.0.0/16,2001:db8:45::/48", "{}",
	    200));
	wait_served();
	expect_answer("svc.mec.test.", KNOT_RRTYPE_A, &in_site, "192.0.2.1", 0);
	char *del[] = { db_tool, "-d", fx.db, "rrset-del", ".", "svc.mec.test", "A", NULL };
	ck_assert_int_eq(harness_run(del, NULL, NULL, 10000), 0);
	free(db_tool);
}
END_TEST

/*** DNS contexts after TS 29.556 (the SMF's API of the EASDF). ***/

#define CONTEXTS "/neasdf-dnscontext/v1/dns-contexts"

/*! \brief A DnsContextCreateData for ue (IPv4) whose rule "edge" answers
 *         app.mec.test and *.cdn.mec.test with eas, and whose rule "low"
 *         (a higher precedence value) would answer app.mec.test with
 *         192.0.2.99. */
static char *context_body(const char *ue, const char *eas)
{
	return harness_strdupf(
	    "{\"ueIpv4Addr\":\"%s\",\"ueIpv6Prefix\":\"2001:db8:45:1::/64\",\"dnn\":\"internet\","
	    "\"sNssai\":{\"sst\":1},\"dnsRules\":{"
	    "\"edge\":{\"precedence\":10,\"dnsQueryMdtList\":{\"m1\":{\"mdtId\":\"m1\","
	    "\"fqdnPatternList\":[{\"stringMatchingRule\":{\"stringMatchingConditions\":[{"
	    "\"matchingString\":\"app.mec.test\",\"matchingOperator\":\"FULL_MATCH\"}]}},"
	    "{\"stringMatchingRule\":{\"stringMatchingConditions\":[{\"matchingString\":"
	    "\".cdn.mec.test\",\"matchingOperator\":\"ENDS_WITH\"}]}}]}},"
	    "\"actionList\":{\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{"
	    "\"easIpv4Addresses\":[\"%s\"]}}}},"
	    "\"low\":{\"precedence\":20,\"dnsQueryMdtList\":{\"m1\":{\"mdtId\":\"m1\","
	    "\"fqdnPatternList\":[{\"stringMatchingRule\":{\"stringMatchingConditions\":[{"
	    "\"matchingString\":\"app.mec.test\",\"matchingOperator\":\"FULL_MATCH\"}]}}]}},"
	    "\"actionList\":{\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{"
	    "\"easIpv4Addresses\":[\"192.0.2.99\"]}}}}}}",
	    ue, eas);
}

/*! \brief Creates a context; returns its id (from Location and the body). */
static char *create_context(const char *ue, const char *eas)
{
	char *body = context_body(ue, eas);
	http_response_t resp;
	call("POST", CONTEXTS, body, &resp);
	ck_assert_msg(resp.status == 201, "POST %s: %d %s", CONTEXTS, resp.status, resp.body);
	cJSON *json = cJSON_Parse(resp.body);
	const char *id =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "dnsContextId"));
	ck_assert_ptr_nonnull(id);
	char *want = harness_strdupf(CONTEXTS "/%s", id);
	char *location = http_header(&resp, "Location");
	ck_assert_msg(location != NULL && strcmp(location, want) == 0, "Location %s, expected %s",
	              location != NULL ? location : "-", want);
	char *out = harness_strdupf("%s", id);
	free(location);
	free(want);
	cJSON_Delete(json);
	http_response_free(&resp);
	free(body);
	return out;
}

/*! \brief kdig (Knot's own client) with +subnet=ecs for name A: its output,
 *         the answer and the ECS option it got back. */
static char *kdig_subnet(const char *name, const char *ecs)
{
	const char *kdig = getenv("KDIG") != NULL ? getenv("KDIG") : "/usr/bin/kdig";
	char *port = harness_strdupf("%d", fx.knotd.port);
	char *subnet = harness_strdupf("+subnet=%s", ecs);
	char *argv[] = { (char *)kdig, "@" ADDR, "-p",      port,       subnet, "+norec",
		         (char *)name, "A",      "+time=2", "+retry=0", NULL };
	char *output = NULL;
	int ret = harness_run(argv, NULL, &output, 10000);
	ck_assert_msg(ret == 0, "kdig %s %s failed: %s", name, subnet, output ? output : "");
	free(subnet);
	free(port);
	return output;
}

/*! The SMF's contexts steer each UE (its address /32, its IPv6 prefix) to
 *  its EAS, by exact name and by suffix, the lowest precedence value
 *  winning; PATCH and DELETE change the answers in one write, and every
 *  other UE keeps the central answer. */
START_TEST(test_dns_contexts_steer_each_ue_to_its_eas)
{
	post_rule("central", "app.mec.test", "IP_V4", "192.0.2.1", NULL);
	char *ue7 = create_context("10.45.1.7", "192.0.2.45");
	char *ue8 = create_context("10.45.1.8", "192.0.2.48"); /* same names, another UE */
	wait_served();
	dns_opts_t at7 = { .ecs = "10.45.1.7/32" };
	dns_opts_t at8 = { .ecs = "10.45.1.8/32" };
	dns_opts_t at7v6 = { .ecs = "2001:db8:45:1::/64" };
	dns_opts_t other = { .ecs = "10.45.1.9/32" };
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at7, "192.0.2.45", 32);
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at8, "192.0.2.48", 32);
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at7v6, "192.0.2.45,192.0.2.48", 64);
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &other, "192.0.2.1", 32);
	expect_answer("video.cdn.mec.test.", KNOT_RRTYPE_A, &at7, "192.0.2.45", 32);
	at7.tcp = true;
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at7, "192.0.2.45", 32);
	at7.tcp = false;
	/* The same through kdig +subnet: the address, and the ECS option with
	 * SCOPE 32 (kdig writes ADDRESS/SOURCE/SCOPE). */
	static const struct {
		const char *ecs, *answer, *option;
	} digs[] = {
		{ "10.45.1.7/32", "192.0.2.45", "10.45.1.7/32/32" },
		{ "10.45.1.8/32", "192.0.2.48", "10.45.1.8/32/32" },
		{ "10.45.1.9/32", "192.0.2.1", "10.45.1.9/32/32" },
	};
	for (size_t i = 0; i < sizeof(digs) / sizeof(digs[0]); i++) {
		char *out = kdig_subnet("app.mec.test", digs[i].ecs);
		ck_assert_msg(strstr(out, digs[i].answer) != NULL &&
		                  strstr(out, digs[i].option) != NULL,
		              "kdig +subnet=%s: expected %s and CLIENT-SUBNET %s:\n%s", digs[i].ecs,
		              digs[i].answer, digs[i].option, out);
		free(out);
	}

	/* The document as stored, with its id. */
	char *path = harness_strdupf(CONTEXTS "/%s", ue7);
	cJSON *got = call_json("GET", path, NULL, 200);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(got, "ueIpv4Addr")),
	                 "10.45.1.7");
	cJSON_Delete(got);

	/* JSON Patch: another EAS for UE 7 only. */
	cJSON_Delete(call_json("PATCH", path,
	                       "[{\"op\":\"test\",\"path\":\"/dnn\",\"value\":\"internet\"},"
	                       "{\"op\":\"replace\",\"path\":\"/dnsRules/edge/actionList/a1/"
	                       "respParas/easIpv4Addresses/0\",\"value\":\"192.0.2.46\"}]",
	                       200));
	wait_served();
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at7, "192.0.2.46", 32);
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at8, "192.0.2.48", 32);

	/* Refused, nothing changed. */
	uint64_t before = generation();
	static const struct {
		const char *method;
		const char *body;
		int status;
		const char *detail;
	} bad[] = {
		{ "PATCH", "[{\"op\":\"test\",\"path\":\"/dnn\",\"value\":\"other\"}]", 409,
		  "failed its test" },
		{ "PATCH", "[{\"op\":\"remove\",\"path\":\"/nosuch\"}]", 400, "nothing to remove" },
		{ "PATCH", "{\"op\":\"add\"}", 400, "array of operations" },
		{ "PATCH",
		  "[{\"op\":\"remove\",\"path\":\"/ueIpv4Addr\"},{\"op\":\"remove\","
		  "\"path\":\"/ueIpv6Prefix\"}]",
		  400, "ueIpv4Addr or ueIpv6Prefix is required" },
		{ "PUT", "{\"ueIpv4Addr\":\"10.45.1.9\"}", 400, "ueIpv4Addr cannot change" },
		{ "PUT",
		  "{\"dnsRules\":{\"x\":{\"actionList\":{\"a\":{\"applyAction\":\"REPORT\"}}}}}",
		  501, "REPORT without RESPOND is not supported" },
		{ "PUT",
		  "{\"dnsRules\":{\"x\":{\"dnsQueryMdtList\":{\"m\":{\"mdtId\":\"m\","
		  "\"fqdnPatternList\":[{\"regex\":\".*\"}]}},\"actionList\":{\"a\":{"
		  "\"applyAction\":\"RESPOND\",\"respParas\":{\"easIpv4Addresses\":["
		  "\"192.0.2.1\"]}}}}}}",
		  501, "regex is not supported" },
		{ "PUT",
		  "{\"dnsRules\":{\"x\":{\"dnsQueryMdtList\":{\"m\":{\"mdtId\":\"m\","
		  "\"fqdnPatternList\":[{\"stringMatchingRule\":{\"stringMatchingConditions\":"
		  "[{\"matchingString\":\"a.test\",\"matchingOperator\":\"FULL_MATCH\"}]}}]}},"
		  "\"actionList\":{\"a\":{\"applyAction\":\"RESPOND\",\"respParas\":{"
		  "\"easIpv4Addresses\":[\"2001:db8::1\"]}}}}}}",
		  400, "easIpv4Addresses" },
		{ "PUT", "{\"dnsRules\":7}", 400, "dnsRules must be a map" },
		{ "PUT", "not json", 400, "" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		http_response_t resp;
		call(bad[i].method, path, bad[i].body, &resp);
		http_assert_problem(&resp, bad[i].status, bad[i].detail);
		http_response_free(&resp);
	}
	http_response_t resp;
	call("POST", CONTEXTS, "{\"dnsRules\":{}}", &resp);
	http_assert_problem(&resp, 400, "ueIpv4Addr or ueIpv6Prefix is required");
	http_response_free(&resp);
	call("POST", CONTEXTS, "{\"ueIpv4Addr\":\"10.45.1.300\",\"dnsRules\":{}}", &resp);
	http_assert_problem(&resp, 400, "ueIpv4Addr");
	http_response_free(&resp);
	call("GET", CONTEXTS "/nosuch", NULL, &resp);
	http_assert_problem(&resp, 404, "DNS context nosuch");
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at7, "192.0.2.46", 32);

	/* Deleted: UE 7 falls back to the central answer, UE 8 keeps its EAS. */
	call("DELETE", path, NULL, &resp);
	ck_assert_int_eq(resp.status, 204);
	http_response_free(&resp);
	call("DELETE", path, NULL, &resp);
	ck_assert_int_eq(resp.status, 404);
	http_response_free(&resp);
	wait_served();
	/* SCOPE 29: the central answer holds for 10.45.1.0/29, not for UE 8. */
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at7, "192.0.2.1", 29);
	expect_answer("app.mec.test.", KNOT_RRTYPE_A, &at8, "192.0.2.48", 32);
	free(path);
	free(ue8);
	free(ue7);
}
END_TEST

static void setup_trusted(void)
{
	ecs_on = true;
	ecs_trusted = "[127.0.0.2, ::1]";
	setup();
}

static void setup_ecs(void)
{
	ecs_on = true;
	ecs_trusted = NULL;
	setup();
}

static void setup_no_ecs(void)
{
	ecs_on = false;
	ecs_trusted = NULL;
	setup();
}

static Suite *scopes_suite(void)
{
	Suite *s = suite_create("scopes");
	TCase *api = tcase_create("api");
	tcase_add_unchecked_fixture(api, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(api, setup, teardown);
	tcase_set_timeout(api, 120);
	tcase_add_test(api, test_syncd_says_in_one_line_what_it_serves);
	tcase_add_test(api, test_a_scope_is_stored_canonically_shown_on_mm5_and_kept_by_mp1);
	tcase_add_test(api, test_a_bad_scope_is_400_naming_the_member_and_changes_nothing);
	suite_add_tcase(s, api);
	TCase *answers = tcase_create("answers");
	tcase_add_unchecked_fixture(answers, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(answers, setup_ecs, teardown);
	tcase_set_timeout(answers, 120);
	tcase_add_test(answers, test_a_device_gets_the_answer_of_the_most_specific_subnet_it_is_in);
	tcase_add_test(answers, test_a_rule_moved_to_another_scope_moves_in_one_generation);
	tcase_add_test(answers, test_answers_agree_with_a_reference_model);
	tcase_add_test(answers, test_rrecord_sets_with_scopes_answer_by_subnet);
	tcase_add_test(answers, test_dns_contexts_steer_each_ue_to_its_eas);
	suite_add_tcase(s, answers);
	TCase *no_ecs = tcase_create("ecs off");
	tcase_add_unchecked_fixture(no_ecs, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(no_ecs, setup_no_ecs, teardown);
	tcase_set_timeout(no_ecs, 120);
	tcase_add_test(no_ecs, test_without_edns_client_subnet_the_source_address_decides);
	suite_add_tcase(s, no_ecs);
	TCase *trusted = tcase_create("ecs trusted");
	tcase_add_unchecked_fixture(trusted, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(trusted, setup_trusted, teardown);
	tcase_set_timeout(trusted, 120);
	tcase_add_test(trusted, test_only_trusted_sources_steer_by_ecs);
	suite_add_tcase(s, trusted);
	return s;
}

int main(void)
{
	knotd_track_begin();
	SRunner *runner = srunner_create(scopes_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	if (knotd_track_end() != 0) {
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
