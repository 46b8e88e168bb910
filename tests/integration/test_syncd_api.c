/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration tests of mecdns-syncd's REST APIs: the real binary on a free
 *  loopback port with a temporary database and --dbus none. Every case
 *  checks the HTTP answer and the database through the store API; a
 *  rejected request must leave the generation unchanged.
 */

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libknot/libknot.h>

#include "store/store.h"
#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/knotd.h"
#include "tests/harness/http.h"
#include "tests/harness/problem.h"
#include "tests/harness/syncd.h"

#define ADDR    "127.0.0.1"
#define MP1     "/mec_app_support/v1/applications"
#define MM5     "/mep/config"
#define RRECORD "/mep/dns_server_mgmt/v1/rrecord"

/*! Tokens of the authorisation tests. */
#define TOKENS                                                                                     \
	"admintoken admin\n"                                                                       \
	"mepmtoken mm5\n"                                                                          \
	"meptoken dns-mgmt\n"                                                                      \
	"apptokenA app:A\n"                                                                        \
	"apptokenB app:B\n"

typedef struct {
	harness_proc_t proc;
	char *dir;
	char *db;
	int port;
	const char *token; /*!< Sent as Authorization: Bearer, or NULL. */
} syncd_t;

static syncd_t syncd;

/*! \brief Starts mecdns-syncd with optional token file content and extra
 *         arguments; returns its exit status if it stopped by itself
 *         (-1 while it runs). */
static int syncd_start(syncd_t *s, const char *tokens, const char *listen_override,
                       bool expect_running)
{
	memset(s, 0, sizeof(*s));
	s->dir = harness_tmpdir("syncd");
	s->db = harness_strdupf("%s/mecdns.db", s->dir);
	char *token_path = harness_strdupf("%s/tokens", s->dir);
	char *log = harness_strdupf("%s/syncd.log", s->dir);
	if (tokens != NULL) {
		ck_assert_int_eq(harness_write_file(token_path, tokens), 0);
	}
	const char *args[] = { "--database",
		               s->db,
		               "--dbus",
		               "none",
		               "--log-level",
		               "debug",
		               tokens != NULL ? "--tokens" : NULL,
		               token_path,
		               NULL };
	int status = -1;
	if (listen_override == NULL) {
		ck_assert_msg(
		    harness_syncd_start(&s->proc, ADDR, &s->port, args, NULL, log, 10000) == 0,
		    "mecdns-syncd did not start listening");
	} else {
		ck_assert_int_eq(harness_syncd_spawn(&s->proc, listen_override, args, NULL, log),
		                 0);
	}
	if (!expect_running) {
		status = harness_wait_exit(&s->proc, 10000);
	}
	free(token_path);
	free(log);
	return status;
}

static void syncd_stop(syncd_t *s)
{
	ck_assert_int_eq(harness_syncd_stop(&s->proc, 10000), 0);
	harness_rmtree(s->dir);
	free(s->dir);
	free(s->db);
	memset(s, 0, sizeof(*s));
}

static void setup(void)
{
	syncd_start(&syncd, NULL, NULL, true);
}

static void setup_with_tokens(void)
{
	syncd_start(&syncd, TOKENS, NULL, true);
}

static void teardown(void)
{
	syncd_stop(&syncd);
}

/*! \brief One request with an optional If-Match; returns the status. */
static int call_if(const char *method, const char *path, const char *body, const char *if_match,
                   http_response_t *resp)
{
	char *auth =
	    syncd.token != NULL ? harness_strdupf("Authorization: Bearer %s", syncd.token) : NULL;
	char *match = if_match != NULL ? harness_strdupf("If-Match: %s", if_match) : NULL;
	const char *headers[3] = { NULL, NULL, NULL };
	size_t n = 0;
	if (auth != NULL) {
		headers[n++] = auth;
	}
	if (match != NULL) {
		headers[n++] = match;
	}
	int ret = http_request(ADDR, syncd.port, method, path, headers, body,
	                       body != NULL ? strlen(body) : 0, resp);
	free(auth);
	free(match);
	ck_assert_int_eq(ret, 0);
	return resp->status;
}

static int call(const char *method, const char *path, const char *body, http_response_t *resp)
{
	return call_if(method, path, body, NULL, resp);
}

/*! \brief Status only. */
static int status_of(const char *method, const char *path, const char *body)
{
	http_response_t resp;
	int status = call(method, path, body, &resp);
	http_response_free(&resp);
	return status;
}

/*! \brief A request expected to fail with status and change nothing. */
static void rejected(const char *method, const char *path, const char *body, int status);

/*! \brief The database generation, read through the store. */
static uint64_t generation(void)
{
	mecdns_store_t *store = NULL;
	char err[512];
	ck_assert_int_eq(mecdns_store_open(syncd.db, &store, err, sizeof(err)), MECDNS_STORE_OK);
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_state(store, &gen, NULL, NULL), MECDNS_STORE_OK);
	mecdns_store_close(store);
	return gen;
}

/*! \brief Reads one rule through the store; returns its status. */
static mecdns_store_status_t stored_rule(const char *app, const char *id, mecdns_rule_t *rule)
{
	mecdns_store_t *store = NULL;
	char err[512];
	ck_assert_int_eq(mecdns_store_open(syncd.db, &store, err, sizeof(err)), MECDNS_STORE_OK);
	mecdns_store_status_t status = mecdns_store_rule_get(store, app, id, rule, NULL);
	mecdns_store_close(store);
	return status;
}

/*! \brief Reads one rrset through the store; returns its status. */
static mecdns_store_status_t stored_rrset(const char *zone, const char *owner, uint16_t type,
                                          mecdns_rrset_t *set)
{
	mecdns_store_t *store = NULL;
	char err[512];
	ck_assert_int_eq(mecdns_store_open(syncd.db, &store, err, sizeof(err)), MECDNS_STORE_OK);
	mecdns_store_status_t status =
	    mecdns_store_rrset_get(store, zone, owner, type, NULL, set, NULL);
	mecdns_store_close(store);
	return status;
}

/*! \brief The X-Mecdns-Generation header of an answer; -1 when absent. */
static int64_t header_generation(const http_response_t *resp)
{
	char *value = http_header(resp, "X-Mecdns-Generation");
	if (value == NULL) {
		return -1;
	}
	char *end = NULL;
	long long gen = strtoll(value, &end, 10);
	ck_assert_msg(*value != '\0' && *end == '\0' && gen >= 0,
	              "X-Mecdns-Generation \"%s\" is not a generation", value);
	free(value);
	return gen;
}

static void rejected(const char *method, const char *path, const char *body, int status)
{
	uint64_t before = generation();
	http_response_t resp;
	call(method, path, body, &resp);
	http_assert_problem(&resp, status, NULL);
	ck_assert_msg(header_generation(&resp) == -1, "%s %s (%d) carries X-Mecdns-Generation",
	              method, path, status);
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);
}

#define RULE_R1                                                                                    \
	"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","                                \
	"\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"ttl\":30}"

/*! \brief Creates rule r1 of app A through Mm5. */
static void create_r1(void)
{
	ck_assert_int_eq(status_of("POST", MM5 "/A/dns_rules", RULE_R1), 201);
}

/*** Mp1: the ETSI DNS rule test cases. ***/

START_TEST(test_mp1_list_of_known_app_is_200)
{
	create_r1();
	http_response_t resp;
	ck_assert_int_eq(call("GET", MP1 "/A/dns_rules", NULL, &resp), 200);
	cJSON *json = cJSON_Parse(resp.body);
	ck_assert(cJSON_IsArray(json));
	ck_assert_int_eq(cJSON_GetArraySize(json), 1);
	cJSON *rule = cJSON_GetArrayItem(json, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(rule, "dnsRuleId")->valuestring, "r1");
	ck_assert_str_eq(cJSON_GetObjectItem(rule, "domainName")->valuestring, "www.example.com");
	ck_assert_str_eq(cJSON_GetObjectItem(rule, "ipAddressType")->valuestring, "IP_V4");
	ck_assert_str_eq(cJSON_GetObjectItem(rule, "ipAddress")->valuestring, "172.16.189.14");
	ck_assert_int_eq(cJSON_GetObjectItem(rule, "ttl")->valueint, 30);
	ck_assert_str_eq(cJSON_GetObjectItem(rule, "state")->valuestring, "ACTIVE");
	cJSON_Delete(json);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_mp1_list_of_unknown_app_is_404)
{
	http_response_t resp;
	call("GET", MP1 "/nosuchapp/dns_rules", NULL, &resp);
	http_assert_problem(&resp, 404, NULL);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_mp1_get_rule_is_200_with_etag)
{
	create_r1();
	http_response_t resp;
	ck_assert_int_eq(call("GET", MP1 "/A/dns_rules/r1", NULL, &resp), 200);
	char *etag = http_header(&resp, "ETag");
	ck_assert_ptr_nonnull(etag);
	ck_assert_str_eq(etag, "\"1\"");
	free(etag);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_mp1_get_unknown_rule_is_404)
{
	create_r1();
	http_response_t resp;
	call("GET", MP1 "/A/dns_rules/nosuchrule", NULL, &resp);
	http_assert_problem(&resp, 404, NULL);
	http_response_free(&resp);
}
END_TEST

#define PUT_R1_INACTIVE                                                                            \
	"{\"dnsRuleId\":\"r1\",\"domainName\":\"WWW.example.com.\","                               \
	"\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.15\","                             \
	"\"ttl\":60,\"state\":\"INACTIVE\"}"

START_TEST(test_mp1_put_deactivates_with_matching_if_match)
{
	create_r1();
	uint64_t before = generation();
	http_response_t resp;
	ck_assert_int_eq(call_if("PUT", MP1 "/A/dns_rules/r1", PUT_R1_INACTIVE, "\"1\"", &resp),
	                 200);
	char *etag = http_header(&resp, "ETag");
	ck_assert_str_eq(etag, "\"2\"");
	free(etag);
	cJSON *json = cJSON_Parse(resp.body);
	ck_assert_str_eq(cJSON_GetObjectItem(json, "state")->valuestring, "INACTIVE");
	ck_assert_str_eq(cJSON_GetObjectItem(json, "domainName")->valuestring, "WWW.example.com.");
	cJSON_Delete(json);
	http_response_free(&resp);

	ck_assert_uint_eq(generation(), before + 1);
	mecdns_rule_t rule = { 0 };
	ck_assert_int_eq(stored_rule("A", "r1", &rule), MECDNS_STORE_OK);
	ck_assert(!rule.active);
	ck_assert_str_eq(rule.owner, "www.example.com.");
	ck_assert_str_eq(rule.ip_address, "172.16.189.15");
	ck_assert_int_eq(rule.ttl, 60);
	mecdns_rule_clear(&rule);
}
END_TEST

START_TEST(test_mp1_put_with_mismatched_rule_id_is_400)
{
	create_r1();
	rejected("PUT", MP1 "/A/dns_rules/r1",
	         "{\"dnsRuleId\":\"r2\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
	         "\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"state\":\"INACTIVE\"}",
	         400);
	mecdns_rule_t rule = { 0 };
	ck_assert_int_eq(stored_rule("A", "r1", &rule), MECDNS_STORE_OK);
	ck_assert(rule.active);
	mecdns_rule_clear(&rule);
}
END_TEST

START_TEST(test_mp1_put_unknown_rule_is_404)
{
	create_r1();
	rejected("PUT", MP1 "/A/dns_rules/r9",
	         "{\"dnsRuleId\":\"r9\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
	         "\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"state\":\"INACTIVE\"}",
	         404);
	rejected("PUT", MP1 "/B/dns_rules/r1", PUT_R1_INACTIVE, 404);
}
END_TEST

START_TEST(test_mp1_put_with_stale_if_match_is_412_and_changes_nothing)
{
	create_r1();
	ck_assert_int_eq(status_of("PUT", MP1 "/A/dns_rules/r1", PUT_R1_INACTIVE), 200);
	uint64_t before = generation();
	http_response_t resp;
	call_if("PUT", MP1 "/A/dns_rules/r1",
	        "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
	        "\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"state\":\"ACTIVE\"}",
	        "\"1\"", &resp);
	http_assert_problem(&resp, 412, NULL);
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);
	mecdns_rule_t rule = { 0 };
	ck_assert_int_eq(stored_rule("A", "r1", &rule), MECDNS_STORE_OK);
	ck_assert(!rule.active);
	mecdns_rule_clear(&rule);
}
END_TEST

START_TEST(test_bad_input_is_400_and_changes_nothing)
{
	create_r1();
	const char *bad[] = {
		"{\"dnsRuleId\":\"r1\",", /* malformed JSON */
		"[1,2]",                  /* not an object */
		"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
		"\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"ttl\":\"30\",\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r1\",\"domainName\":\"www..example.com\",\"ipAddressType\":"
		"\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
		"\"IP_V4\",\"ipAddress\":\"2001:db8::1\",\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
		"\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"ttl\":2147483648,\"state\":"
		"\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
		"\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"state\":\"active\"}",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rejected("PUT", MP1 "/A/dns_rules/r1", bad[i], 400);
		rejected("POST", MM5 "/A/dns_rules", bad[i], 400);
	}
	rejected("GET", MP1 "/bad%20id/dns_rules", NULL, 400);
}
END_TEST

START_TEST(test_oversize_body_is_413)
{
	size_t size = 1024 * 1024 + 16;
	char *body = malloc(size + 1);
	memset(body, ' ', size);
	body[size] = '\0';
	memcpy(body, "{\"dnsRuleId\":\"big\"", 18);
	rejected("POST", MM5 "/A/dns_rules", body, 413);
	free(body);
	/* The daemon still serves. */
	ck_assert_int_eq(status_of("GET", "/healthz", NULL), 200);
}
END_TEST

/*! \brief Sends raw request bytes on a new connection; the one answer
 *         (read to EOF: the server must close). */
static void raw_request(const char *raw, http_response_t *out)
{
	int fd = http_connect(NULL, ADDR, syncd.port);
	ck_assert_int_ge(fd, 0);
	(void)http_send_all(fd, raw, strlen(raw));
	http_read_response(fd, false, out);
	close(fd);
}

START_TEST(test_ambiguous_body_length_is_400)
{
	/* Two Content-Length fields (a proxy may take the other one), and
	 * Content-Length with chunked: each 400, nothing stored, the request
	 * "smuggled" in the body never runs. */
	const char *smuggled = "DELETE /mep/config/A/dns_rules HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *rule = RULE_R1;
	char *two_lengths =
	    harness_strdupf("POST " MM5 "/A/dns_rules HTTP/1.1\r\nHost: x\r\n"
	                    "Content-Type: application/json\r\n"
	                    "Content-Length: %zu\r\nContent-Length: %zu\r\n\r\n%s%s",
	                    strlen(rule), strlen(rule) + strlen(smuggled), rule, smuggled);
	char *with_chunked = harness_strdupf("POST " MM5 "/A/dns_rules HTTP/1.1\r\nHost: x\r\n"
	                                     "Content-Type: application/json\r\n"
	                                     "Content-Length: 4\r\n"
	                                     "Transfer-Encoding: chunked\r\n\r\n"
	                                     "%zx\r\n%s\r\n0\r\n\r\n",
	                                     strlen(rule), rule);
	create_r1();
	uint64_t before = generation();
	const char *cases[] = { two_lengths, with_chunked };
	const char *details[] = { "2 Content-Length fields",
		                  "both Content-Length and Transfer-Encoding" };
	for (size_t i = 0; i < 2; i++) {
		http_response_t resp;
		raw_request(cases[i], &resp);
		http_assert_problem(&resp, 400, details[i]);
		/* One answer only: nothing after it on the connection. */
		ck_assert_ptr_null(strstr(resp.body, "HTTP/1.1"));
		http_response_free(&resp);
	}
	ck_assert_uint_eq(generation(), before);
	ck_assert_int_eq(status_of("GET", MM5 "/A/dns_rules/r1", NULL), 200);
	free(two_lengths);
	free(with_chunked);
}
END_TEST

START_TEST(test_nul_in_strings_and_duplicate_members_are_400)
{
	/* cJSON would cut each string at the NUL and keep the first of two
	 * members: the stored rule would not be the one sent. */
	const struct {
		const char *method;
		const char *path;
		const char *body;
		const char *detail;
	} cases[] = {
		{ "POST", MM5 "/A/dns_rules",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\\u0000.evil\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.9\"}",
		  "NUL character" },
		{ "POST", MM5 "/A/dns_rules",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.9\\u0000junk\"}",
		  "NUL character" },
		{ "POST", MM5 "/A/dns_rules",
		  "{\"dnsRuleId\":\"r1\\u0000x\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.9\"}",
		  "NUL character" },
		{ "POST", RRECORD "?zone=.",
		  "{\"name\":\"t.example.com.\",\"type\":\"TXT\",\"class\":\"IN\",\"ttl\":60,"
		  "\"rData\":[\"\\\"ok\\u0000cut\\\"\"]}",
		  "NUL character" },
		{ "POST", MM5 "/A/dns_rules",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.9\",\"ipAddress\":\"x\"}",
		  "the body has the member \"ipAddress\" twice in one object" },
		{ "PUT", RRECORD,
		  "[{\"zone\":\".\",\"rr\":[{\"name\":\"d.example.com.\",\"type\":\"A\","
		  "\"type\":\"AAAA\",\"class\":\"IN\",\"ttl\":30,\"rData\":[\"192.0.2.1\"]}]}]",
		  "\"type\" twice" },
		{ "POST", MM5 "/A/dns_rules",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"caf\xff.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.9\"}",
		  "not valid UTF-8" },
	};
	uint64_t before = generation();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		http_response_t resp;
		call(cases[i].method, cases[i].path, cases[i].body, &resp);
		http_assert_problem(&resp, 400, cases[i].detail);
		http_response_free(&resp);
	}
	ck_assert_uint_eq(generation(), before);
	ck_assert_int_eq(status_of("GET", MM5 "/A/dns_rules/r1", NULL), 404);
}
END_TEST

START_TEST(test_problem_details_replace_invalid_utf8_of_the_path)
{
	http_response_t resp;
	call("GET", "/mep/%FF%FE", NULL, &resp);
	http_assert_problem(&resp, 404, NULL);
	for (const unsigned char *p = (const unsigned char *)resp.body; *p != '\0'; p++) {
		ck_assert_msg(*p != 0xff && *p != 0xfe, "raw byte 0x%02x in %s", *p, resp.body);
	}
	/* Each invalid byte is U+FFFD, as cJSON parses it back. */
	cJSON *json = cJSON_Parse(resp.body);
	ck_assert_ptr_nonnull(json);
	ck_assert_str_eq(cJSON_GetObjectItem(json, "instance")->valuestring,
	                 "/mep/\xef\xbf\xbd\xef\xbf\xbd");
	cJSON_Delete(json);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_unknown_path_is_404_and_wrong_method_405)
{
	rejected("GET", "/nosuch", NULL, 404);
	http_response_t resp;
	call("PATCH", MM5 "/A/dns_rules/r1", "{}", &resp);
	http_assert_problem(&resp, 405, NULL);
	char *allow = http_header(&resp, "Allow");
	ck_assert_ptr_nonnull(allow);
	ck_assert_ptr_nonnull(strstr(allow, "PUT"));
	free(allow);
	http_response_free(&resp);
}
END_TEST

/*** Mm5. ***/

START_TEST(test_mm5_create_is_201_with_location_and_active_state)
{
	uint64_t before = generation();
	http_response_t resp;
	ck_assert_int_eq(call("POST", MM5 "/A/dns_rules", RULE_R1, &resp), 201);
	char *location = http_header(&resp, "Location");
	ck_assert_str_eq(location, "/mep/config/A/dns_rules/r1");
	free(location);
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before + 1);
	mecdns_rule_t rule = { 0 };
	ck_assert_int_eq(stored_rule("A", "r1", &rule), MECDNS_STORE_OK);
	ck_assert(rule.active);
	ck_assert_int_eq(rule.ip_type, MECDNS_IP_V4);
	mecdns_rule_clear(&rule);

	ck_assert_int_eq(status_of("GET", MM5 "/A/dns_rules/r1", NULL), 200);
	ck_assert_int_eq(status_of("GET", MM5 "/A/dns_rules", NULL), 200);
}
END_TEST

START_TEST(test_mm5_duplicate_create_is_409)
{
	create_r1();
	rejected("POST", MM5 "/A/dns_rules", RULE_R1, 409);
}
END_TEST

START_TEST(test_mm5_partial_put_changes_only_the_state)
{
	create_r1();
	http_response_t resp;
	ck_assert_int_eq(call("PUT", MM5 "/A/dns_rules/r1", "{\"state\":\"INACTIVE\"}", &resp),
	                 200);
	http_response_free(&resp);
	mecdns_rule_t rule = { 0 };
	ck_assert_int_eq(stored_rule("A", "r1", &rule), MECDNS_STORE_OK);
	ck_assert(!rule.active);
	ck_assert_str_eq(rule.domain_name, "www.example.com");
	ck_assert_str_eq(rule.ip_address, "172.16.189.14");
	ck_assert_int_eq(rule.ttl, 30);
	ck_assert_uint_eq(rule.version, 2);
	mecdns_rule_clear(&rule);

	rejected("PUT", MM5 "/A/dns_rules/r1", "{\"ipAddressType\":\"IP_V6\"}", 400);
	rejected("PUT", MM5 "/A/dns_rules/r9", "{\"state\":\"INACTIVE\"}", 404);
}
END_TEST

START_TEST(test_mm5_delete_one_and_delete_all)
{
	create_r1();
	ck_assert_int_eq(status_of("POST", MM5 "/A/dns_rules",
	                           "{\"dnsRuleId\":\"r2\",\"domainName\":\"v6.example.com\","
	                           "\"ipAddressType\":\"IP_V6\",\"ipAddress\":\"2001:db8::1\"}"),
	                 201);
	ck_assert_int_eq(status_of("POST", MM5 "/A/dns_rules",
	                           "{\"dnsRuleId\":\"r3\",\"domainName\":\"x.example.com\","
	                           "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.3\"}"),
	                 201);
	/* A last segment that decodes to a control byte is not a rule id; it
	 * once matched the app's collection and deleted every rule of A. */
	rejected("DELETE", MM5 "/A/dns_rules/%01", NULL, 400);
	ck_assert_int_eq(status_of("GET", MM5 "/A/dns_rules/r2", NULL), 200);
	ck_assert_int_eq(status_of("DELETE", MM5 "/A/dns_rules/r1", NULL), 204);
	mecdns_rule_t rule = { 0 };
	ck_assert_int_eq(stored_rule("A", "r1", &rule), MECDNS_STORE_NOT_FOUND);
	rejected("DELETE", MM5 "/A/dns_rules/r1", NULL, 404);

	uint64_t before = generation();
	ck_assert_int_eq(status_of("DELETE", MM5 "/A/dns_rules", NULL), 204);
	ck_assert_uint_eq(generation(), before + 1);
	ck_assert_int_eq(stored_rule("A", "r2", &rule), MECDNS_STORE_NOT_FOUND);
	ck_assert_int_eq(stored_rule("A", "r3", &rule), MECDNS_STORE_NOT_FOUND);
	rejected("DELETE", MM5 "/A/dns_rules", NULL, 404);
	rejected("GET", MP1 "/A/dns_rules", NULL, 404);
}
END_TEST

/*** MEP -> DNS rrecord, in EdgeGallery's shape. ***/

#define BULK                                                                                       \
	"[{\"zone\":\".\",\"rr\":["                                                                \
	"{\"name\":\"www.example.com.\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":30,"               \
	"\"rData\":[\"172.16.104.22\"]},"                                                          \
	"{\"name\":\"www.example1.com.\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":30,"              \
	"\"rData\":[\"172.16.104.40\",\"172.16.104.38\",\"172.16.104.27\"]}]}]"

START_TEST(test_rrecord_bulk_put_is_one_generation)
{
	uint64_t before = generation();
	ck_assert_int_eq(status_of("PUT", RRECORD, BULK), 200);
	ck_assert_uint_eq(generation(), before + 1);
	mecdns_rrset_t set = { 0 };
	ck_assert_int_eq(stored_rrset(".", "www.example1.com.", KNOT_RRTYPE_A, &set),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(set.rdata_count, 3);
	ck_assert_uint_eq(set.ttl, 30);
	mecdns_rrset_clear(&set);

	http_response_t resp;
	ck_assert_int_eq(call("GET", RRECORD, NULL, &resp), 200);
	cJSON *json = cJSON_Parse(resp.body);
	ck_assert_int_eq(cJSON_GetArraySize(json), 1);
	cJSON *zone = cJSON_GetArrayItem(json, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(zone, "zone")->valuestring, ".");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(zone, "rr")), 2);
	cJSON_Delete(json);
	http_response_free(&resp);

	ck_assert_int_eq(call("GET", RRECORD "/www.example.com./A", NULL, &resp), 200);
	json = cJSON_Parse(resp.body);
	ck_assert_str_eq(cJSON_GetObjectItem(json, "name")->valuestring, "www.example.com.");
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(json, "rData"), 0)->valuestring,
	                 "172.16.104.22");
	cJSON_Delete(json);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_rrecord_bulk_put_with_one_bad_record_changes_nothing)
{
	rejected("PUT", RRECORD,
	         "[{\"zone\":\".\",\"rr\":[{\"name\":\"ok.example.com.\",\"type\":\"A\",\"class\":"
	         "\"IN\",\"ttl\":30,\"rData\":[\"192.0.2.1\"]},{\"name\":\"bad.example.com.\","
	         "\"type\":\"A\",\"class\":\"IN\",\"ttl\":30,\"rData\":[\"2001:db8::1\"]}]}]",
	         400);
	mecdns_rrset_t set = { 0 };
	ck_assert_int_eq(stored_rrset(".", "ok.example.com.", KNOT_RRTYPE_A, &set),
	                 MECDNS_STORE_NOT_FOUND);
	rejected("PUT", RRECORD, "{\"zone\":\".\"}", 400);
	rejected("PUT", RRECORD,
	         "[{\"zone\":\".\",\"rr\":[{\"name\":\"a..b\",\"type\":\"A\","
	         "\"ttl\":1,\"rData\":[\"192.0.2.1\"]}]}]",
	         400);
	rejected("PUT", RRECORD,
	         "[{\"zone\":\".\",\"rr\":[{\"name\":\"a.b\",\"type\":\"SOA\","
	         "\"ttl\":1,\"rData\":[\"x\"]}]}]",
	         400);
}
END_TEST

/*! Bug: the bulk PUT answered with the parsed request (records given twice
 *  repeated, deleted sets listed) instead of what it stored. */
START_TEST(test_rrecord_bulk_put_answers_the_stored_sets)
{
	ck_assert_int_eq(status_of("PUT", RRECORD, BULK), 200);
	http_response_t put;
	ck_assert_int_eq(
	    call("PUT", RRECORD,
	         "[{\"zone\":\".\",\"rr\":["
	         "{\"name\":\"Dup.Example.com\",\"type\":\"AAAA\",\"ttl\":30,"
	         "\"rData\":[\"2001:db8::1\",\"2001:DB8:0::1\",\"2001:db8::2\"]},"
	         "{\"name\":\"www.example.com.\",\"type\":\"A\",\"ttl\":30,\"rData\":[]}]}]",
	         &put),
	    200);
	http_response_t list;
	ck_assert_int_eq(call("GET", RRECORD, NULL, &list), 200);
	cJSON *json = cJSON_Parse(put.body);
	ck_assert_ptr_nonnull(json);
	cJSON *rr = cJSON_GetObjectItem(cJSON_GetArrayItem(json, 0), "rr");
	ck_assert_int_eq(cJSON_GetArraySize(json), 1);
	ck_assert_int_eq(cJSON_GetArraySize(rr), 1); /* the deleted set is not listed */
	cJSON *set = cJSON_GetArrayItem(rr, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(set, "name")->valuestring, "dup.example.com.");
	cJSON *rdata = cJSON_GetObjectItem(set, "rData");
	ck_assert_int_eq(cJSON_GetArraySize(rdata), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(rdata, 0)->valuestring, "2001:db8::1");
	ck_assert_str_eq(cJSON_GetArrayItem(rdata, 1)->valuestring, "2001:db8::2");
	/* Each set of the answer is the stored one: as the list shows it. */
	cJSON *stored = cJSON_Parse(list.body);
	bool found = false;
	cJSON *zone = NULL;
	cJSON_ArrayForEach(zone, stored)
	{
		cJSON *item = NULL;
		cJSON_ArrayForEach(item, cJSON_GetObjectItem(zone, "rr"))
		{
			if (strcmp(cJSON_GetObjectItem(item, "name")->valuestring,
			           "dup.example.com.") == 0) {
				ck_assert(cJSON_Compare(item, set, true));
				found = true;
			}
		}
	}
	ck_assert(found);
	cJSON_Delete(stored);
	cJSON_Delete(json);
	http_response_free(&list);
	http_response_free(&put);
	/* A set given twice in one body: 400 naming it, nothing stored. */
	uint64_t before = generation();
	http_response_t twice;
	ck_assert_int_eq(call("PUT", RRECORD,
	                      "[{\"zone\":\".\",\"rr\":["
	                      "{\"name\":\"t.example.com.\",\"type\":\"A\",\"ttl\":30,\"rData\":["
	                      "\"192.0.2.1\"]}]},"
	                      "{\"zone\":\".\",\"rr\":["
	                      "{\"name\":\"T.example.com\",\"type\":\"A\",\"ttl\":30,\"rData\":["
	                      "\"192.0.2.2\"]}]}]",
	                      &twice),
	                 400);
	http_assert_problem(&twice, 400, "t.example.com. A (zone .) is given twice");
	http_response_free(&twice);
	ck_assert_uint_eq(generation(), before);
}
END_TEST

/*! Bug: sets that no DNS answer can carry were accepted: a TXT set bigger
 *  than a DNS message (answered TC without records even over TCP), a CNAME
 *  at its zone's apex, a type the module does not serve. 400, nothing. */
START_TEST(test_rrecord_sets_that_cannot_be_answered_are_400)
{
	/* 300 TXT records of 250 bytes: about 78 kB of answer. */
	size_t len = 0, cap = 300 * 260 + 256;
	char *body = malloc(cap);
	ck_assert_ptr_nonnull(body);
	len += (size_t)snprintf(body + len, cap - len,
	                        "[{\"zone\":\".\",\"rr\":[{\"name\":\"big.example.com.\","
	                        "\"type\":\"TXT\",\"ttl\":30,\"rData\":[");
	for (int i = 0; i < 300; i++) {
		len += (size_t)snprintf(body + len, cap - len, "%s\"\\\"%03d", i > 0 ? "," : "", i);
		memset(body + len, 'x', 247);
		len += 247;
		len += (size_t)snprintf(body + len, cap - len, "\\\"\"");
	}
	snprintf(body + len, cap - len, "]}]}]");
	uint64_t before = generation();
	http_response_t resp;
	ck_assert_int_eq(call("PUT", RRECORD, body, &resp), 400);
	http_assert_problem(&resp, 400, "more than one DNS message holds");
	http_response_free(&resp);
	free(body);

	ck_assert_int_eq(call("PUT", RRECORD,
	                      "[{\"zone\":\"example.com.\",\"rr\":[{\"name\":\"example.com.\","
	                      "\"type\":\"CNAME\",\"ttl\":30,\"rData\":[\"edge.example.net.\"]}]}]",
	                      &resp),
	                 400);
	http_assert_problem(&resp, 400, "apex of zone example.com.");
	http_response_free(&resp);

	ck_assert_int_eq(call("POST", RRECORD "?zone=.",
	                      "{\"name\":\"t.example.com.\",\"type\":\"TYPE200\",\"ttl\":30,"
	                      "\"rData\":[\"\\\\# 1 00\"]}",
	                      &resp),
	                 400);
	http_assert_problem(&resp, 400, "TYPE200");
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);
}
END_TEST

/*! \brief The path and query inside a Link header's <...>, or NULL. */
static char *link_target(const http_response_t *resp)
{
	char *link = http_header(resp, "Link");
	if (link == NULL) {
		return NULL;
	}
	ck_assert_msg(link[0] == '<' && strstr(link, ">; rel=\"next\"") != NULL, "Link: %s", link);
	char *end = strchr(link, '>');
	char *target = harness_strdupf("%.*s", (int)(end - link - 1), link + 1);
	free(link);
	return target;
}

/*! \brief Follows a listing from path through its Link headers; the sets
 *         seen (checked in key order, none twice) and pages taken. */
static size_t follow_pages(const char *path, size_t *pages)
{
	char *next = harness_strdupf("%s", path);
	char last[600] = "";
	size_t seen = 0;
	*pages = 0;
	while (next != NULL) {
		http_response_t resp;
		ck_assert_int_eq(call("GET", next, NULL, &resp), 200);
		free(next);
		next = link_target(&resp);
		(*pages)++;
		cJSON *json = cJSON_Parse(resp.body);
		ck_assert_ptr_nonnull(json);
		cJSON *zone = NULL;
		cJSON_ArrayForEach(zone, json)
		{
			cJSON *item = NULL;
			cJSON_ArrayForEach(item, cJSON_GetObjectItem(zone, "rr"))
			{
				char key[600];
				snprintf(key, sizeof(key), "%s %s %s",
				         cJSON_GetObjectItem(zone, "zone")->valuestring,
				         cJSON_GetObjectItem(item, "name")->valuestring,
				         cJSON_GetObjectItem(item, "type")->valuestring);
				ck_assert_msg(strcmp(key, last) > 0, "%s after %s", key, last);
				snprintf(last, sizeof(last), "%s", key);
				seen++;
			}
		}
		cJSON_Delete(json);
		http_response_free(&resp);
		ck_assert_uint_lt(*pages, 100);
	}
	return seen;
}

/*! Bug: GET /rrecord built every set in memory at once (215k sets: 250 MB,
 *  32 in parallel 1.5 GB). Now pages: limit + cursor, Link rel="next". */
START_TEST(test_rrecord_list_is_paged_with_link_headers)
{
	/* 2,345 A sets in zone ".", 30 in zone "example.com.", one bulk body. */
	size_t cap = 2400 * 120, len = 0;
	char *body = malloc(cap);
	ck_assert_ptr_nonnull(body);
	len += (size_t)snprintf(body + len, cap - len, "[{\"zone\":\".\",\"rr\":[");
	for (int i = 0; i < 2345; i++) {
		len +=
		    (size_t)snprintf(body + len, cap - len,
		                     "%s{\"name\":\"h%04d.example.net.\",\"type\":\"A\",\"ttl\":30,"
		                     "\"rData\":[\"192.0.2.%d\"]}",
		                     i > 0 ? "," : "", i, i % 250);
	}
	len += (size_t)snprintf(body + len, cap - len, "]},{\"zone\":\"example.com.\",\"rr\":[");
	for (int i = 0; i < 30; i++) {
		len += (size_t)snprintf(body + len, cap - len,
		                        "%s{\"name\":\"z%02d.example.com.\",\"type\":\"AAAA\","
		                        "\"ttl\":30,\"rData\":[\"2001:db8::%d\"]}",
		                        i > 0 ? "," : "", i, i + 1);
	}
	snprintf(body + len, cap - len, "]}]");
	ck_assert_int_eq(status_of("PUT", RRECORD, body), 200);
	free(body);

	size_t pages = 0;
	ck_assert_uint_eq(follow_pages(RRECORD, &pages), 2375);
	ck_assert_uint_eq(pages, 3); /* the default page: 1,000 sets */
	ck_assert_uint_eq(follow_pages(RRECORD "?limit=400", &pages), 2375);
	ck_assert_uint_eq(pages, 6);
	/* A zone's listing: its Link keeps the zone. */
	ck_assert_uint_eq(follow_pages(RRECORD "?zone=example.com&limit=7", &pages), 30);
	ck_assert_uint_eq(pages, 5);
	ck_assert_uint_eq(follow_pages(RRECORD "?limit=10000", &pages), 2375);
	ck_assert_uint_eq(pages, 1);

	rejected("GET", RRECORD "?limit=0", NULL, 400);
	rejected("GET", RRECORD "?limit=10001", NULL, 400);
	rejected("GET", RRECORD "?limit=-5", NULL, 400);
	rejected("GET", RRECORD "?limit=12abc", NULL, 400);
	rejected("GET", RRECORD "?cursor=zz", NULL, 400);
	/* "." "\n" "." "\n" "1" "\n" "": a key (unscoped), but of another zone
	 * than asked for. */
	ck_assert_int_eq(status_of("GET", RRECORD "?cursor=2e0a2e0a310a", NULL), 200);
	rejected("GET", RRECORD "?zone=example.com&cursor=2e0a2e0a310a", NULL, 400);
	rejected("GET", RRECORD "?cursor=2e0a5757572e0a310a", NULL, 400);   /* "WWW." */
	rejected("GET", RRECORD "?cursor=2e0a2e0a36353533360a", NULL, 400); /* type 65536 */
	rejected("GET", RRECORD "?cursor=2e0a2e0a31", NULL, 400);           /* no scope field */
	/* Scope "10.0.0.1/8": host bits set, not a key the store gives. */
	rejected("GET", RRECORD "?cursor=2e0a2e0a310a31302e302e302e312f38", NULL, 400);
	/* Scope "10.0.0.0/8": a key. */
	ck_assert_int_eq(status_of("GET", RRECORD "?cursor=2e0a2e0a310a31302e302e302e302f38", NULL),
	                 200);
}
END_TEST

START_TEST(test_rrecord_delete_like_edgegallery)
{
	ck_assert_int_eq(status_of("PUT", RRECORD, BULK), 200);
	uint64_t before = generation();
	/* EdgeGallery: trailing dot, "{}" body, ?zone=. */
	ck_assert_int_eq(status_of("DELETE", RRECORD "/www.example.com./A?zone=.", "{}"), 200);
	/* Without the trailing dot, no body, default zone. */
	ck_assert_int_eq(status_of("DELETE", RRECORD "/www.example1.com/A", NULL), 200);
	ck_assert_uint_eq(generation(), before + 2);
	mecdns_rrset_t set = { 0 };
	ck_assert_int_eq(stored_rrset(".", "www.example.com.", KNOT_RRTYPE_A, &set),
	                 MECDNS_STORE_NOT_FOUND);
	ck_assert_int_eq(stored_rrset(".", "www.example1.com.", KNOT_RRTYPE_A, &set),
	                 MECDNS_STORE_NOT_FOUND);
	rejected("DELETE", RRECORD "/www.example.com/A", "{}", 404);
}
END_TEST

START_TEST(test_rrecord_single_post_and_put)
{
	ck_assert_int_eq(
	    status_of("POST", RRECORD "?zone=.",
	              "{\"name\":\"svc.example.com.\",\"type\":\"AAAA\",\"class\":\"IN\","
	              "\"ttl\":60,\"rData\":[\"2001:db8::10\"]}"),
	    200);
	ck_assert_int_eq(
	    status_of("POST", RRECORD "?zone=.",
	              "{\"name\":\"svc.example.com.\",\"type\":\"AAAA\",\"class\":\"IN\","
	              "\"ttl\":60,\"rData\":[\"2001:db8::11\"]}"),
	    200);
	mecdns_rrset_t set = { 0 };
	ck_assert_int_eq(stored_rrset(".", "svc.example.com.", KNOT_RRTYPE_AAAA, &set),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(set.rdata_count, 2);
	mecdns_rrset_clear(&set);

	ck_assert_int_eq(
	    status_of("PUT", RRECORD "/svc.example.com./AAAA?zone=.",
	              "{\"name\":\"svc.example.com.\",\"type\":\"AAAA\",\"class\":\"IN\","
	              "\"ttl\":90,\"rData\":[\"2001:db8::12\"]}"),
	    200);
	ck_assert_int_eq(stored_rrset(".", "svc.example.com.", KNOT_RRTYPE_AAAA, &set),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(set.rdata_count, 1);
	ck_assert_uint_eq(set.ttl, 90);
	ck_assert_str_eq(set.rdata[0].text, "2001:db8::12");
	mecdns_rrset_clear(&set);

	rejected("PUT", RRECORD "/other.example.com./AAAA",
	         "{\"name\":\"svc.example.com.\",\"type\":\"AAAA\",\"class\":\"IN\",\"ttl\":90,"
	         "\"rData\":[\"2001:db8::12\"]}",
	         400);
	ck_assert_int_eq(status_of("POST", RRECORD,
	                           "{\"name\":\"_sip._udp.example.com.\",\"type\":\"SRV\","
	                           "\"class\":\"IN\",\"ttl\":60,"
	                           "\"rData\":[\"10 5 5060 sip.example.com.\"]}"),
	                 200);
	ck_assert_int_eq(status_of("POST", RRECORD,
	                           "{\"name\":\"t.example.com.\",\"type\":\"TXT\",\"class\":\"IN\","
	                           "\"ttl\":60,\"rData\":[\"\\\"hello world\\\"\"]}"),
	                 200);
}
END_TEST

START_TEST(test_cname_beside_other_data_is_409)
{
	ck_assert_int_eq(status_of("PUT", RRECORD, BULK), 200);
	rejected("POST", RRECORD,
	         "{\"name\":\"www.example.com.\",\"type\":\"CNAME\",\"class\":\"IN\",\"ttl\":60,"
	         "\"rData\":[\"edge.example.net.\"]}",
	         409);
	/* A rule at a CNAME owner conflicts as well when the store says so. */
	ck_assert_int_eq(status_of("POST", RRECORD,
	                           "{\"name\":\"alias.example.com.\",\"type\":\"CNAME\","
	                           "\"class\":\"IN\",\"ttl\":60,"
	                           "\"rData\":[\"edge.example.net.\"]}"),
	                 200);
	rejected("POST", RRECORD,
	         "{\"name\":\"alias.example.com.\",\"type\":\"A\",\"class\":\"IN\",\"ttl\":60,"
	         "\"rData\":[\"192.0.2.1\"]}",
	         409);
}
END_TEST

/*** X-Mecdns-Generation. ***/

/*!
 * \brief A write answered with status; its X-Mecdns-Generation must be the
 *        database generation after it, one more than before (changed) or
 *        the unchanged one (!changed).
 */
static void write_generation(const char *method, const char *path, const char *body, int status,
                             bool changed)
{
	uint64_t before = generation();
	http_response_t resp;
	ck_assert_int_eq(call(method, path, body, &resp), status);
	int64_t header = header_generation(&resp);
	http_response_free(&resp);
	uint64_t after = generation();
	ck_assert_msg(header >= 0, "%s %s: no X-Mecdns-Generation", method, path);
	ck_assert_uint_eq(after, changed ? before + 1 : before);
	ck_assert_msg((uint64_t)header == after, "%s %s: X-Mecdns-Generation %lld, database %llu",
	              method, path, (long long)header, (unsigned long long)after);
}

/*! \brief A read answered 200 with the current generation in its header. */
static void read_generation(const char *path)
{
	http_response_t resp;
	ck_assert_int_eq(call("GET", path, NULL, &resp), 200);
	int64_t header = header_generation(&resp);
	http_response_free(&resp);
	ck_assert_msg(header >= 0, "GET %s: no X-Mecdns-Generation", path);
	ck_assert_uint_eq((uint64_t)header, generation());
}

#define RULE_R1_ACTIVE                                                                             \
	"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","                                \
	"\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.15\",\"state\":\"ACTIVE\"}"

#define SVC_AAAA(ttl, addr)                                                                        \
	"{\"name\":\"svc.example.com.\",\"type\":\"AAAA\",\"class\":\"IN\",\"ttl\":" ttl           \
	",\"rData\":[\"" addr "\"]}"

START_TEST(test_every_write_carries_the_generation_it_committed)
{
	/* A fresh database reads at generation 0. */
	read_generation(RRECORD);
	ck_assert_uint_eq(generation(), 0);

	write_generation("POST", MM5 "/A/dns_rules", RULE_R1, 201, true);
	write_generation("POST", MM5 "/A/dns_rules",
	                 "{\"dnsRuleId\":\"r2\",\"domainName\":\"v6.example.com\","
	                 "\"ipAddressType\":\"IP_V6\",\"ipAddress\":\"2001:db8::1\"}",
	                 201, true);
	write_generation("PUT", MM5 "/A/dns_rules/r1", "{\"state\":\"INACTIVE\"}", 200, true);
	write_generation("PUT", MP1 "/A/dns_rules/r1", RULE_R1_ACTIVE, 200, true);
	write_generation("DELETE", MM5 "/A/dns_rules/r2", NULL, 204, true);
	write_generation("DELETE", MM5 "/A/dns_rules", NULL, 204, true);

	write_generation("PUT", RRECORD, BULK, 200, true);
	write_generation("POST", RRECORD "?zone=.", SVC_AAAA("60", "2001:db8::10"), 200, true);
	write_generation("PUT", RRECORD "/svc.example.com./AAAA?zone=.",
	                 SVC_AAAA("90", "2001:db8::12"), 200, true);
	write_generation("DELETE", RRECORD "/www.example.com./A?zone=.", "{}", 200, true);
	ck_assert_uint_eq(generation(), 10);

	/* Writes that commit nothing carry the current generation. */
	write_generation("PUT", RRECORD, "[]", 200, false);
	write_generation("PUT", RRECORD,
	                 "[{\"zone\":\".\",\"rr\":[{\"name\":\"absent.example.com.\","
	                 "\"type\":\"A\",\"class\":\"IN\",\"ttl\":30,\"rData\":[]}]}]",
	                 200, false);
	write_generation("PUT", RRECORD "/absent.example.com./TXT",
	                 "{\"name\":\"absent.example.com.\",\"type\":\"TXT\",\"class\":\"IN\","
	                 "\"ttl\":30,\"rData\":[]}",
	                 200, false);
	ck_assert_uint_eq(generation(), 10);
}
END_TEST

START_TEST(test_reads_carry_the_generation_they_read_and_errors_none)
{
	create_r1();
	ck_assert_int_eq(status_of("PUT", RRECORD, BULK), 200);
	read_generation(MP1 "/A/dns_rules");
	read_generation(MP1 "/A/dns_rules/r1");
	read_generation(MM5 "/A/dns_rules");
	read_generation(MM5 "/A/dns_rules/r1");
	read_generation(RRECORD);
	read_generation(RRECORD "?zone=.");
	read_generation(RRECORD "/www.example.com./A");
	ck_assert_uint_eq(generation(), 2);

	/* Refused writes and failed reads: no header, nothing changed. */
	rejected("POST", MM5 "/A/dns_rules", RULE_R1, 409);
	rejected("PUT", MP1 "/A/dns_rules/r1", RULE_R1_ACTIVE "x", 400);
	rejected("DELETE", MM5 "/A/dns_rules/r9", NULL, 404);
	rejected("DELETE", MM5 "/B/dns_rules", NULL, 404);
	rejected("GET", MP1 "/B/dns_rules", NULL, 404);
	rejected("GET", RRECORD "/nowhere.example.com./A", NULL, 404);
	rejected("DELETE", RRECORD "/nowhere.example.com./A", NULL, 404);
	rejected("POST", RRECORD, "{\"name\":\"x.example.com.\",\"type\":\"A\",\"ttl\":1}", 400);
	http_response_t resp;
	ck_assert_int_eq(call_if("PUT", MP1 "/A/dns_rules/r1", RULE_R1_ACTIVE, "\"99\"", &resp),
	                 412);
	ck_assert_int_eq(header_generation(&resp), -1);
	http_response_free(&resp);
	/* Operations endpoints do not carry it. */
	ck_assert_int_eq(call("GET", "/healthz", NULL, &resp), 200);
	ck_assert_int_eq(header_generation(&resp), -1);
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), 2);
}
END_TEST

/*** Operations. ***/

START_TEST(test_health_ready_and_metrics)
{
	ck_assert_int_eq(status_of("GET", "/healthz", NULL), 200);
	ck_assert_int_eq(status_of("GET", "/readyz", NULL), 200);
	create_r1();
	http_response_t resp;
	ck_assert_int_eq(call("GET", "/metrics", NULL, &resp), 200);
	ck_assert_ptr_nonnull(strstr(resp.body, "mecdns_rules{state=\"ACTIVE\"} 1"));
	ck_assert_ptr_nonnull(strstr(resp.body, "mecdns_generation 1"));
	ck_assert_ptr_nonnull(strstr(resp.body, "mecdns_signals_outbox_depth"));
	ck_assert_ptr_nonnull(strstr(resp.body,
	                             "mecdns_syncd_http_requests_total{route="
	                             "\"mm5_dns_rules\",method=\"POST\",code=\"201\"} 1"));
	/* The exposition format as Prometheus's own linter reads it
	 * (promtool, Debian's prometheus package: scripts/deps.sh). */
	char *output = NULL;
	int rc = harness_promtool_check(syncd.dir, resp.body, &output);
	ck_assert_msg(rc == 0 && (output == NULL || output[0] == '\0'),
	              "promtool check metrics: exit %d:\n%s", rc, output != NULL ? output : "");
	free(output);
	http_response_free(&resp);
}
END_TEST

/*** Authorisation. ***/

START_TEST(test_missing_or_unknown_token_is_401)
{
	syncd.token = NULL;
	rejected("POST", MM5 "/A/dns_rules", RULE_R1, 401);
	syncd.token = "wrongtoken";
	rejected("POST", MM5 "/A/dns_rules", RULE_R1, 401);
	/* Probes need no token. */
	syncd.token = NULL;
	ck_assert_int_eq(status_of("GET", "/healthz", NULL), 200);
	ck_assert_int_eq(status_of("GET", "/readyz", NULL), 200);
}
END_TEST

START_TEST(test_routes_are_not_mapped_without_a_token)
{
	/* Without a valid token, an unknown path or a wrong method is 401
	 * like any protected route: no 404/405 (nor Allow) to map the API. */
	const char *tokens[] = { NULL, "wrongtoken" };
	for (size_t i = 0; i < 2; i++) {
		syncd.token = tokens[i];
		rejected("GET", "/nosuch", NULL, 401);
		rejected("GET", "/mep/nosuch/v1", NULL, 401);
		rejected("DELETE", "/metrics", NULL, 401);
		rejected("PATCH", MM5 "/A/dns_rules", "{}", 401);
		http_response_t resp;
		call_if("PATCH", MM5 "/A/dns_rules", "{}", NULL, &resp);
		ck_assert_ptr_null(http_header(&resp, "Allow"));
		http_response_free(&resp);
	}
	/* Any valid token learns that a route is absent or what it allows. */
	syncd.token = "apptokenA";
	rejected("GET", "/nosuch", NULL, 404);
	http_response_t resp;
	call_if("PATCH", MM5 "/A/dns_rules", "{}", NULL, &resp);
	http_assert_problem(&resp, 405, NULL);
	char *allow = http_header(&resp, "Allow");
	ck_assert_ptr_nonnull(allow);
	free(allow);
	http_response_free(&resp);
	syncd.token = NULL;
}
END_TEST

START_TEST(test_token_without_the_scope_is_403)
{
	syncd.token = "mepmtoken";
	create_r1();
	/* B gets A's name too: only once A's grant of it is shared. */
	rejected("POST", MM5 "/B/dns_rules", RULE_R1, 409);
	ck_assert_int_eq(status_of("PUT", MM5 "/A/dns_names/www.example.com", "{\"shared\":true}"),
	                 200);
	ck_assert_int_eq(status_of("POST", MM5 "/B/dns_rules", RULE_R1), 201);
	rejected("PUT", RRECORD, BULK, 403);
	rejected("GET", "/metrics", NULL, 403);
	rejected("GET", MP1 "/A/dns_rules", NULL, 403);

	syncd.token = "apptokenA";
	ck_assert_int_eq(status_of("GET", MP1 "/A/dns_rules", NULL), 200);
	ck_assert_int_eq(status_of("PUT", MP1 "/A/dns_rules/r1", PUT_R1_INACTIVE), 200);
	rejected("GET", MP1 "/B/dns_rules", NULL, 403);
	rejected("PUT", MP1 "/B/dns_rules/r1", PUT_R1_INACTIVE, 403);
	rejected("POST", MM5 "/A/dns_rules", RULE_R1, 403);

	syncd.token = "meptoken";
	ck_assert_int_eq(status_of("PUT", RRECORD, BULK), 200);
	rejected("GET", MM5 "/A/dns_rules", NULL, 403);

	syncd.token = "admintoken";
	ck_assert_int_eq(status_of("GET", MP1 "/B/dns_rules", NULL), 200);
	ck_assert_int_eq(status_of("GET", "/metrics", NULL), 200);
	syncd.token = NULL;
}
END_TEST

/*! \brief An Mp1 DnsRule body for rule r1 at name with address. */
static char *mp1_rule(const char *name, const char *address)
{
	return harness_strdupf("{\"dnsRuleId\":\"r1\",\"domainName\":\"%s\",\"ipAddressType\":"
	                       "\"IP_V4\",\"ipAddress\":\"%s\",\"ttl\":30,\"state\":\"ACTIVE\"}",
	                       name, address);
}

/*! \brief PUT of r1 by the current token: its status; with 403, the detail
 *         must name the canonical name refused. */
static int put_r1_as(const char *name, const char *address, const char *refused)
{
	char *body = mp1_rule(name, address);
	http_response_t resp;
	int status = call("PUT", MP1 "/A/dns_rules/r1", body, &resp);
	if (refused != NULL) {
		http_assert_problem(&resp, 403, refused);
	}
	http_response_free(&resp);
	free(body);
	return status;
}

/*! Bug (tenant isolation): an app:A token could point its rule at any name:
 *  another app's, a public one, a zone's apex. A tenant may use the names
 *  the platform granted to its app (Mm5 writes grant them), nothing else. */
START_TEST(test_app_token_may_use_only_names_granted_to_its_app)
{
	syncd.token = "mepmtoken";
	create_r1(); /* www.example.com for A */
	ck_assert_int_eq(status_of("POST", MM5 "/B/dns_rules",
	                           "{\"dnsRuleId\":\"b1\",\"domainName\":\"shop.example.com\","
	                           "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.80\"}"),
	                 201);
	uint64_t before = generation();

	syncd.token = "apptokenA";
	const char *refused[] = { "shop.example.com", "Shop.Example.COM.", "example.com",
		                  "www.google.com",   "a.www.example.com", "com" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char *canonical = mecdns_canonical_name(refused[i]);
		char *named = harness_strdupf("the name %s is not granted", canonical);
		ck_assert_int_eq(put_r1_as(refused[i], "192.0.2.66", named), 403);
		free(named);
		free(canonical);
	}
	ck_assert_uint_eq(generation(), before); /* nothing written */
	mecdns_rule_t rule;
	ck_assert_int_eq(stored_rule("A", "r1", &rule), MECDNS_STORE_OK);
	ck_assert_str_eq(rule.owner, "www.example.com.");
	ck_assert_str_eq(rule.ip_address, "172.16.189.14");
	mecdns_rule_clear(&rule);

	/* Its own name, however written: address and state are the app's. */
	ck_assert_int_eq(put_r1_as("WWW.example.com.", "192.0.2.7", NULL), 200);
	ck_assert_int_eq(status_of("PUT", MP1 "/A/dns_rules/r1", PUT_R1_INACTIVE), 200);

	/* The operator (admin over Mp1, or Mm5) may move it: that grants the
	 * new name to A, and the old grant stays. */
	syncd.token = "admintoken";
	ck_assert_int_eq(put_r1_as("api.example.com", "192.0.2.8", NULL), 200);
	syncd.token = "apptokenA";
	ck_assert_int_eq(put_r1_as("www.example.com", "192.0.2.9", NULL), 200);
	ck_assert_int_eq(put_r1_as("api.example.com", "192.0.2.9", NULL), 200);
	ck_assert_int_eq(put_r1_as("shop.example.com", "192.0.2.9", "shop.example.com."), 403);
	syncd.token = NULL;
}
END_TEST

#define GRANTS MM5 "/A/dns_names"

/*! The platform grants and revokes names through Mm5; a subtree grant lets
 *  the app use every name below. */
START_TEST(test_mm5_grants_and_revokes_names)
{
	syncd.token = "mepmtoken";
	create_r1();
	ck_assert_int_eq(status_of("PUT", GRANTS "/Apps.Example.com", "{\"subtree\":true}"), 200);
	ck_assert_int_eq(status_of("PUT", GRANTS "/one.example.com.", NULL), 200);
	http_response_t resp;
	ck_assert_int_eq(call("GET", GRANTS, NULL, &resp), 200);
	cJSON *json = cJSON_Parse(resp.body);
	ck_assert_int_eq(cJSON_GetArraySize(json), 3);
	cJSON *first = cJSON_GetArrayItem(json, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(first, "name")->valuestring, "apps.example.com.");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(first, "subtree")));
	ck_assert_str_eq(cJSON_GetObjectItem(first, "source")->valuestring, "mm5");
	cJSON *last = cJSON_GetArrayItem(json, 2);
	ck_assert_str_eq(cJSON_GetObjectItem(last, "name")->valuestring, "www.example.com.");
	ck_assert_str_eq(cJSON_GetObjectItem(last, "source")->valuestring, "rule");
	cJSON_Delete(json);
	http_response_free(&resp);
	rejected("PUT", GRANTS "/a..b", NULL, 400);
	rejected("PUT", GRANTS "/x.example.com", "{\"subtree\":1}", 400);
	rejected("PUT", GRANTS "/x.example.com", "{\"subtree\":true,\"owner\":\"B\"}", 400);
	rejected("PUT", GRANTS "/x.example.com", "{\"shared\":\"yes\"}", 400);

	syncd.token = "apptokenA";
	rejected("GET", GRANTS, NULL, 403); /* the app cannot grant itself */
	rejected("PUT", GRANTS "/shop.example.com", NULL, 403);
	ck_assert_int_eq(put_r1_as("a.b.apps.example.com", "192.0.2.5", NULL), 200);
	ck_assert_int_eq(put_r1_as("apps.example.com", "192.0.2.5", NULL), 200);
	ck_assert_int_eq(put_r1_as("one.example.com", "192.0.2.5", NULL), 200);
	ck_assert_int_eq(put_r1_as("x.one.example.com", "192.0.2.5", "x.one.example.com."), 403);

	syncd.token = "mepmtoken";
	ck_assert_int_eq(status_of("DELETE", GRANTS "/apps.example.com", NULL), 204);
	rejected("DELETE", GRANTS "/apps.example.com", NULL, 404);
	/* Revoking stops the app's own changes; the platform's rule stays. */
	syncd.token = "apptokenA";
	ck_assert_int_eq(put_r1_as("c.apps.example.com", "192.0.2.5", "c.apps.example.com."), 403);
	syncd.token = NULL;
}
END_TEST

START_TEST(test_sighup_reloads_the_token_file)
{
	syncd.token = "newtoken";
	rejected("GET", "/metrics", NULL, 401);
	char *path = harness_strdupf("%s/tokens", syncd.dir);
	ck_assert_int_eq(harness_write_file(path, "newtoken metrics\n"), 0);
	free(path);
	ck_assert_int_eq(harness_signal(&syncd.proc, SIGHUP), 0);
	int status = 0;
	for (int i = 0; i < 50 && (status = status_of("GET", "/metrics", NULL)) != 200; i++) {
		harness_sleep_ms(100);
	}
	ck_assert_int_eq(status, 200);
	syncd.token = NULL;
}
END_TEST

/*** Startup. ***/

START_TEST(test_non_loopback_listen_without_tokens_is_refused)
{
	syncd_t s;
	int status = syncd_start(&s, NULL, "0.0.0.0:0", false);
	ck_assert_int_ne(status, 0);
	ck_assert_int_ne(status, -1);
	char *log = harness_read_file(s.proc.log_path);
	ck_assert_ptr_nonnull(strstr(log, "without a token file"));
	free(log);
	s.proc.pid = 0;
	harness_rmtree(s.dir);
	free(s.dir);
	free(s.db);
}
END_TEST

START_TEST(test_bad_config_exits_with_one_clear_line)
{
	char *binary = harness_build_path("syncd/mecdns-syncd");
	char *argv1[] = { binary, "--listen", "localhost:80", NULL };
	char *output = NULL;
	ck_assert_int_ne(harness_run(argv1, NULL, &output, 10000), 0);
	ck_assert_ptr_nonnull(strstr(output, "mecdns-syncd: error: listen"));
	free(output);
	char *argv2[] = { binary, "--log-level", "loud", NULL };
	ck_assert_int_ne(harness_run(argv2, NULL, &output, 10000), 0);
	ck_assert_ptr_nonnull(strstr(output, "log-level"));
	free(output);
	char *argv3[] = { binary, "--version", NULL };
	ck_assert_int_eq(harness_run(argv3, NULL, &output, 10000), 0);
	ck_assert_ptr_nonnull(strstr(output, "mecdns-syncd"));
	free(output);
	free(binary);
}
END_TEST

/*** End to end: syncd -> SQLite -> knotd with mod-mecdns. ***/

START_TEST(test_rule_posted_on_mm5_is_answered_by_knotd_until_deactivated_on_mp1)
{
	char *module = harness_build_path("module/.libs/mecdns.so");
	const char *knotd_binary = getenv("KNOTD");
	bool have_knotd = knotd_binary != NULL && *knotd_binary != '\0';
	bool have_module = access(module, R_OK) == 0;
	free(module);
	if (!have_knotd || !have_module) {
		fprintf(stderr, "skipping the knotd test: %s\n",
		        have_knotd ? "module/.libs/mecdns.so not built" : "KNOTD not set");
		return;
	}

	ck_assert_int_eq(status_of("POST", MM5 "/A/dns_rules",
	                           "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.test\","
	                           "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.14\","
	                           "\"ttl\":30}"),
	                 201);
	knotd_t knotd;
	knotd_config_t config = {
		.tag = "syncd-e2e",
		.database = syncd.db,
		.global_module = true,
	};
	ck_assert_int_eq(knotd_start(&knotd, &config), 0);

	bool matched = false;
	knot_pkt_t *answer =
	    dns_poll(knotd.port, "www.example.test.", KNOT_RRTYPE_A, NULL, dns_match_address,
	             "172.16.189.14", DNS_EVENTUALLY_MS, &matched);
	knot_pkt_free(answer);
	ck_assert_msg(matched, "knotd does not answer the rule POSTed on Mm5");

	ck_assert_int_eq(status_of("PUT", MP1 "/A/dns_rules/r1",
	                           "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.test\","
	                           "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.14\","
	                           "\"ttl\":30,\"state\":\"INACTIVE\"}"),
	                 200);
	answer = dns_poll(knotd.port, "www.example.test.", KNOT_RRTYPE_A, NULL,
	                  dns_match_no_address, "172.16.189.14", DNS_EVENTUALLY_MS, &matched);
	knot_pkt_free(answer);
	ck_assert_msg(matched, "knotd still answers the rule deactivated on Mp1");
	knotd_stop(&knotd);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("syncd_api");

	TCase *mp1 = tcase_create("mp1");
	tcase_add_checked_fixture(mp1, setup, teardown);
	tcase_add_test(mp1, test_mp1_list_of_known_app_is_200);
	tcase_add_test(mp1, test_mp1_list_of_unknown_app_is_404);
	tcase_add_test(mp1, test_mp1_get_rule_is_200_with_etag);
	tcase_add_test(mp1, test_mp1_get_unknown_rule_is_404);
	tcase_add_test(mp1, test_mp1_put_deactivates_with_matching_if_match);
	tcase_add_test(mp1, test_mp1_put_with_mismatched_rule_id_is_400);
	tcase_add_test(mp1, test_mp1_put_unknown_rule_is_404);
	tcase_add_test(mp1, test_mp1_put_with_stale_if_match_is_412_and_changes_nothing);
	tcase_add_test(mp1, test_bad_input_is_400_and_changes_nothing);
	tcase_add_test(mp1, test_oversize_body_is_413);
	tcase_add_test(mp1, test_unknown_path_is_404_and_wrong_method_405);
	tcase_add_test(mp1, test_ambiguous_body_length_is_400);
	tcase_add_test(mp1, test_nul_in_strings_and_duplicate_members_are_400);
	tcase_add_test(mp1, test_problem_details_replace_invalid_utf8_of_the_path);
	suite_add_tcase(suite, mp1);

	TCase *mm5 = tcase_create("mm5");
	tcase_add_checked_fixture(mm5, setup, teardown);
	tcase_add_test(mm5, test_mm5_create_is_201_with_location_and_active_state);
	tcase_add_test(mm5, test_mm5_duplicate_create_is_409);
	tcase_add_test(mm5, test_mm5_partial_put_changes_only_the_state);
	tcase_add_test(mm5, test_mm5_delete_one_and_delete_all);
	suite_add_tcase(suite, mm5);

	TCase *rrecord = tcase_create("rrecord");
	tcase_add_checked_fixture(rrecord, setup, teardown);
	tcase_add_test(rrecord, test_rrecord_bulk_put_is_one_generation);
	tcase_add_test(rrecord, test_rrecord_bulk_put_with_one_bad_record_changes_nothing);
	tcase_add_test(rrecord, test_rrecord_bulk_put_answers_the_stored_sets);
	tcase_add_test(rrecord, test_rrecord_sets_that_cannot_be_answered_are_400);
	tcase_add_test(rrecord, test_rrecord_list_is_paged_with_link_headers);
	tcase_add_test(rrecord, test_rrecord_delete_like_edgegallery);
	tcase_add_test(rrecord, test_rrecord_single_post_and_put);
	tcase_add_test(rrecord, test_cname_beside_other_data_is_409);
	tcase_add_test(rrecord, test_health_ready_and_metrics);
	suite_add_tcase(suite, rrecord);

	TCase *gen = tcase_create("generation");
	tcase_add_checked_fixture(gen, setup, teardown);
	tcase_add_test(gen, test_every_write_carries_the_generation_it_committed);
	tcase_add_test(gen, test_reads_carry_the_generation_they_read_and_errors_none);
	suite_add_tcase(suite, gen);

	TCase *auth = tcase_create("auth");
	tcase_add_checked_fixture(auth, setup_with_tokens, teardown);
	tcase_add_test(auth, test_missing_or_unknown_token_is_401);
	tcase_add_test(auth, test_routes_are_not_mapped_without_a_token);
	tcase_add_test(auth, test_token_without_the_scope_is_403);
	tcase_add_test(auth, test_app_token_may_use_only_names_granted_to_its_app);
	tcase_add_test(auth, test_mm5_grants_and_revokes_names);
	tcase_add_test(auth, test_sighup_reloads_the_token_file);
	suite_add_tcase(suite, auth);

	TCase *startup = tcase_create("startup");
	tcase_add_test(startup, test_non_loopback_listen_without_tokens_is_refused);
	tcase_add_test(startup, test_bad_config_exits_with_one_clear_line);
	suite_add_tcase(suite, startup);

	TCase *knot = tcase_create("knotd");
	tcase_add_checked_fixture(knot, setup, teardown);
	tcase_set_timeout(knot, 120);
	tcase_add_test(knot, test_rule_posted_on_mm5_is_answered_by_knotd_until_deactivated_on_mp1);
	suite_add_tcase(suite, knot);

	knotd_track_begin();
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	if (knotd_track_end() != 0) {
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
