/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Mp1 answers of the real mecdns-syncd validated against ETSI's schemas.
 *
 *  The real binary runs on a free loopback port with a temporary database
 *  and --dbus none. For the ETSI GS MEC 011 DNS rule test cases (list, get
 *  and PUT with 200, and the 400/404/412 errors) each response body is
 *  validated by tests/integration/validate_etsi.py against the DnsRule, array
 *  of DnsRule or ProblemDetails schema of ETSI's own OpenAPI file, vendored
 *  in tests/data/etsi/, and the Content-Type is checked (application/json
 *  or application/problem+json). Control cases prove the validator accepts
 *  a good document and rejects bad ones, so a pass means something.
 *
 *  The validator runs with Debian's /usr/bin/python3 (python3-yaml and
 *  python3-jsonschema), or with $MECDNS_PYTHON3 when set.
 */

#include <check.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/syncd.h"

#define ADDR "127.0.0.1"
#define MP1  "/mec_app_support/v1/applications"
#define MM5  "/mep/config"

#define JSON_TYPE    "application/json"
#define PROBLEM_TYPE "application/problem+json"

typedef struct {
	harness_proc_t proc;
	char *dir;
	int port;
} syncd_t;

static syncd_t syncd;
static int body_seq; /*!< Numbers the body files of one test. */

static void setup(void)
{
	memset(&syncd, 0, sizeof(syncd));
	body_seq = 0;
	syncd.dir = harness_tmpdir("etsi");
	char *db = harness_strdupf("%s/mecdns.db", syncd.dir);
	char *log = harness_strdupf("%s/syncd.log", syncd.dir);
	const char *args[] = { "--database", db, "--dbus", "none", "--log-level", "debug", NULL };
	ck_assert_msg(harness_syncd_start(&syncd.proc, ADDR, &syncd.port, args, NULL, log, 10000) ==
	                  0,
	              "mecdns-syncd did not start listening");
	free(db);
	free(log);
}

static void teardown(void)
{
	ck_assert_int_eq(harness_syncd_stop(&syncd.proc, 10000), 0);
	harness_rmtree(syncd.dir);
	free(syncd.dir);
	memset(&syncd, 0, sizeof(syncd));
}

/*! \brief A bare temporary directory for the validator-only tests. */
static void setup_dir(void)
{
	memset(&syncd, 0, sizeof(syncd));
	body_seq = 0;
	syncd.dir = harness_tmpdir("etsi");
}

/*!
 * \brief Runs validate_etsi.py on a JSON text against a schema of ETSI's
 *        file ("DnsRule", "DnsRule[]", "ProblemDetails").
 *
 * \return The validator's exit status (0 valid, 1 invalid, 2 usage error);
 *         its output in *output when not NULL (else printed when not 0).
 */
static int validate(const char *schema, const char *json, char **output)
{
	char *body = harness_strdupf("%s/body-%d.json", syncd.dir, ++body_seq);
	ck_assert_int_eq(harness_write_file(body, json), 0);
	char *python = harness_python3();
	char *script = harness_src_path("tests/integration/validate_etsi.py");
	char *spec = harness_src_path("tests/data/etsi/MecAppSupportApi.yaml");
	char *argv[] = { python, script, "--spec", spec, "--schema", (char *)schema, body, NULL };
	char *out = NULL;
	int status = harness_run(argv, NULL, &out, 60000);
	if (output != NULL) {
		*output = out;
	} else {
		if (status != 0) {
			fprintf(stderr, "validate_etsi.py --schema %s (exit %d) of %s:\n%s\n",
			        schema, status, json, out != NULL ? out : "(no output)");
		}
		free(out);
	}
	unlink(body);
	free(body);
	free(python);
	free(script);
	free(spec);
	return status;
}

/*! \brief True when the Content-Type's media type is media_type (case and
 *         parameters such as charset ignored). */
static bool media_type_is(const http_response_t *resp, const char *media_type)
{
	char *value = http_header(resp, "Content-Type");
	if (value == NULL) {
		return false;
	}
	size_t len = strcspn(value, ";");
	while (len > 0 && isspace((unsigned char)value[len - 1])) {
		len--;
	}
	bool ok = len == strlen(media_type) && strncasecmp(value, media_type, len) == 0;
	free(value);
	return ok;
}

/*! \brief One request; returns the status (the call itself must succeed). */
static int call(const char *method, const char *path, const char *body, const char *if_match,
                http_response_t *resp)
{
	char *match = if_match != NULL ? harness_strdupf("If-Match: %s", if_match) : NULL;
	const char *headers[2] = { match, NULL };
	int ret = http_request(ADDR, syncd.port, method, path, headers, body,
	                       body != NULL ? strlen(body) : 0, resp);
	free(match);
	ck_assert_int_eq(ret, 0);
	return resp->status;
}

/*! \brief Asserts a success answer: status, application/json, and a body
 *         valid against schema. */
static void assert_etsi_ok(const http_response_t *resp, int status, const char *schema)
{
	ck_assert_msg(resp->status == status, "status %d, expected %d: %s", resp->status, status,
	              resp->body);
	char *type = http_header(resp, "Content-Type");
	ck_assert_msg(media_type_is(resp, JSON_TYPE), "Content-Type %s, expected " JSON_TYPE,
	              type != NULL ? type : "(none)");
	free(type);
	ck_assert_msg(validate(schema, resp->body, NULL) == 0,
	              "%d answer is not a valid ETSI %s: %s", resp->status, schema, resp->body);
}

/*! \brief Asserts an error answer: status, application/problem+json, a body
 *         valid against ProblemDetails whose status member is the real one. */
static void assert_etsi_problem(const http_response_t *resp, int status)
{
	ck_assert_msg(resp->status == status, "status %d, expected %d: %s", resp->status, status,
	              resp->body);
	char *type = http_header(resp, "Content-Type");
	ck_assert_msg(media_type_is(resp, PROBLEM_TYPE), "Content-Type %s, expected " PROBLEM_TYPE,
	              type != NULL ? type : "(none)");
	free(type);
	ck_assert_msg(validate("ProblemDetails", resp->body, NULL) == 0,
	              "%d answer is not a valid ETSI ProblemDetails: %s", resp->status, resp->body);
	char *member = harness_strdupf("\"status\":%d", status);
	ck_assert_msg(strstr(resp->body, member) != NULL, "ProblemDetails without %s: %s", member,
	              resp->body);
	free(member);
}

#define RULE_R1                                                                                    \
	"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","                                \
	"\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"ttl\":30}"
/* IPv6, no ttl (optional in DnsRule), created INACTIVE. */
#define RULE_R2                                                                                    \
	"{\"dnsRuleId\":\"r2\",\"domainName\":\"v6.example.com.\","                                \
	"\"ipAddressType\":\"IP_V6\",\"ipAddress\":\"2001:db8::14\","                              \
	"\"state\":\"INACTIVE\"}"
#define PUT_R1                                                                                     \
	"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","                                \
	"\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.15\","                             \
	"\"ttl\":60,\"state\":\"INACTIVE\"}"

/*! \brief Creates rules r1 and r2 of app A through Mm5. */
static void create_rules(void)
{
	const char *rules[] = { RULE_R1, RULE_R2 };
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		http_response_t resp;
		ck_assert_int_eq(call("POST", MM5 "/A/dns_rules", rules[i], NULL, &resp), 201);
		http_response_free(&resp);
	}
}

/*** The validator itself: controls. ***/

START_TEST(test_validator_accepts_the_etsi_example)
{
	/* The example of ETSI's own GET list answer. */
	ck_assert_int_eq(validate("DnsRule[]",
	                          "[{\"dnsRuleId\":\"DnsRule1\",\"domainName\":\"www.example.com\","
	                          "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"146.241.7.3\","
	                          "\"ttl\":300,\"state\":\"ACTIVE\"},"
	                          "{\"dnsRuleId\":\"DnsRule2\",\"domainName\":\"www.example.com\","
	                          "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"146.241.7.4\","
	                          "\"ttl\":300,\"state\":\"INACTIVE\"}]",
	                          NULL),
	                 0);
	ck_assert_int_eq(validate("ProblemDetails",
	                          "{\"type\":\"about:blank\",\"title\":\"Not Found\","
	                          "\"status\":404,\"detail\":\"no such rule\"}",
	                          NULL),
	                 0);
}
END_TEST

START_TEST(test_validator_rejects_bad_documents)
{
	static const struct {
		const char *schema;
		const char *json;
		const char *reason; /*!< Expected in the validator's output. */
	} bad[] = {
		/* Not ETSI's enum spelling. */
		{ "DnsRule",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IPv4\",\"ipAddress\":\"192.0.2.1\","
		  "\"state\":\"ACTIVE\"}",
		  "IPv4" },
		/* state is required. */
		{ "DnsRule",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.1\"}",
		  "state" },
		/* ttl is an integer. */
		{ "DnsRule",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.1\","
		  "\"ttl\":\"30\",\"state\":\"ACTIVE\"}",
		  "ttl" },
		{ "DnsRule",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.1\","
		  "\"ttl\":30.5,\"state\":\"ACTIVE\"}",
		  "ttl" },
		{ "DnsRule",
		  "{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.1\","
		  "\"state\":\"active\"}",
		  "active" },
		/* A list is an array of DnsRule, every item checked. */
		{ "DnsRule[]", "{\"dnsRuleId\":\"r1\"}", "array" },
		{ "DnsRule[]",
		  "[{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","
		  "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.1\","
		  "\"state\":\"ACTIVE\"},{\"dnsRuleId\":\"r2\"}]",
		  "domainName" },
		/* ProblemDetails: status is an integer. */
		{ "ProblemDetails",
		  "{\"type\":\"about:blank\",\"title\":\"Not Found\","
		  "\"status\":\"404\"}",
		  "status" },
		{ "ProblemDetails", "[]", "object" },
		{ "ProblemDetails", "{\"status\":404", "JSON" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		int status = validate(bad[i].schema, bad[i].json, &out);
		ck_assert_msg(status == 1, "validator exit %d (expected 1) for %s %s: %s", status,
		              bad[i].schema, bad[i].json, out != NULL ? out : "(no output)");
		ck_assert_msg(out != NULL && strstr(out, bad[i].reason) != NULL,
		              "validator output does not mention %s for %s: %s", bad[i].reason,
		              bad[i].json, out != NULL ? out : "(no output)");
		free(out);
	}
}
END_TEST

START_TEST(test_validator_rejects_a_tampered_real_answer)
{
	create_rules();
	http_response_t resp;
	ck_assert_int_eq(call("GET", MP1 "/A/dns_rules/r1", NULL, NULL, &resp), 200);
	ck_assert_int_eq(validate("DnsRule", resp.body, NULL), 0);
	/* The same answer with one enum value misspelt must fail. */
	char *at = strstr(resp.body, "\"IP_V4\"");
	ck_assert_ptr_nonnull(at);
	char *tampered = harness_strdupf("%.*s\"IPv4\"%s", (int)(at - resp.body), resp.body,
	                                 at + strlen("\"IP_V4\""));
	char *out = NULL;
	ck_assert_int_eq(validate("DnsRule", tampered, &out), 1);
	ck_assert_ptr_nonnull(strstr(out, "IPv4"));
	free(out);
	free(tampered);
	http_response_free(&resp);
}
END_TEST

/*** Mp1: the ETSI DNS rule test cases, answers validated. ***/

START_TEST(test_get_list_200_is_an_array_of_dnsrule)
{
	create_rules();
	http_response_t resp;
	call("GET", MP1 "/A/dns_rules", NULL, NULL, &resp);
	assert_etsi_ok(&resp, 200, "DnsRule[]");
	ck_assert_ptr_nonnull(strstr(resp.body, "\"r1\""));
	ck_assert_ptr_nonnull(strstr(resp.body, "\"r2\""));
	http_response_free(&resp);
}
END_TEST

START_TEST(test_get_list_404_is_problemdetails)
{
	http_response_t resp;
	call("GET", MP1 "/nosuchapp/dns_rules", NULL, NULL, &resp);
	assert_etsi_problem(&resp, 404);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_get_one_200_is_a_dnsrule)
{
	create_rules();
	const char *ids[] = { "r1", "r2" };
	for (size_t i = 0; i < 2; i++) {
		char *path = harness_strdupf(MP1 "/A/dns_rules/%s", ids[i]);
		http_response_t resp;
		call("GET", path, NULL, NULL, &resp);
		assert_etsi_ok(&resp, 200, "DnsRule");
		http_response_free(&resp);
		free(path);
	}
}
END_TEST

START_TEST(test_get_one_404_is_problemdetails)
{
	create_rules();
	http_response_t resp;
	call("GET", MP1 "/A/dns_rules/nosuchrule", NULL, NULL, &resp);
	assert_etsi_problem(&resp, 404);
	http_response_free(&resp);
	call("GET", MP1 "/B/dns_rules/r1", NULL, NULL, &resp);
	assert_etsi_problem(&resp, 404);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_put_200_is_a_dnsrule)
{
	create_rules();
	http_response_t resp;
	call("PUT", MP1 "/A/dns_rules/r1", PUT_R1, "\"1\"", &resp);
	assert_etsi_ok(&resp, 200, "DnsRule");
	ck_assert_ptr_nonnull(strstr(resp.body, "INACTIVE"));
	http_response_free(&resp);
	/* Without If-Match too, and back to ACTIVE. */
	call("PUT", MP1 "/A/dns_rules/r2",
	     "{\"dnsRuleId\":\"r2\",\"domainName\":\"v6.example.com.\",\"ipAddressType\":"
	     "\"IP_V6\",\"ipAddress\":\"2001:db8::15\",\"state\":\"ACTIVE\"}",
	     NULL, &resp);
	assert_etsi_ok(&resp, 200, "DnsRule");
	http_response_free(&resp);
}
END_TEST

START_TEST(test_put_400_is_problemdetails)
{
	create_rules();
	static const char *const bad[] = {
		/* dnsRuleId mismatch. */
		"{\"dnsRuleId\":\"r2\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
		"\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"state\":\"INACTIVE\"}",
		/* Not ETSI's enum spelling. */
		"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
		"\"IPv4\",\"ipAddress\":\"172.16.189.14\",\"state\":\"INACTIVE\"}",
		/* Address of the other family. */
		"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
		"\"IP_V4\",\"ipAddress\":\"2001:db8::1\",\"state\":\"INACTIVE\"}",
		/* Malformed JSON. */
		"{\"dnsRuleId\":",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		http_response_t resp;
		call("PUT", MP1 "/A/dns_rules/r1", bad[i], NULL, &resp);
		assert_etsi_problem(&resp, 400);
		http_response_free(&resp);
	}
}
END_TEST

START_TEST(test_put_404_is_problemdetails)
{
	create_rules();
	http_response_t resp;
	call("PUT", MP1 "/A/dns_rules/r9",
	     "{\"dnsRuleId\":\"r9\",\"domainName\":\"www.example.com\",\"ipAddressType\":"
	     "\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"state\":\"INACTIVE\"}",
	     NULL, &resp);
	assert_etsi_problem(&resp, 404);
	http_response_free(&resp);
	call("PUT", MP1 "/B/dns_rules/r1", PUT_R1, NULL, &resp);
	assert_etsi_problem(&resp, 404);
	http_response_free(&resp);
}
END_TEST

START_TEST(test_put_412_is_problemdetails)
{
	create_rules();
	http_response_t resp;
	call("PUT", MP1 "/A/dns_rules/r1", PUT_R1, "\"1\"", &resp);
	assert_etsi_ok(&resp, 200, "DnsRule");
	http_response_free(&resp);
	/* The rule is now at ETag "2": "1" is stale. */
	call("PUT", MP1 "/A/dns_rules/r1", PUT_R1, "\"1\"", &resp);
	assert_etsi_problem(&resp, 412);
	http_response_free(&resp);
}
END_TEST

static Suite *etsi_suite(void)
{
	Suite *suite = suite_create("etsi_schema");

	TCase *controls = tcase_create("validator");
	tcase_add_checked_fixture(controls, setup_dir, teardown);
	tcase_add_test(controls, test_validator_accepts_the_etsi_example);
	tcase_add_test(controls, test_validator_rejects_bad_documents);
	suite_add_tcase(suite, controls);

	TCase *mp1 = tcase_create("mp1");
	tcase_add_checked_fixture(mp1, setup, teardown);
	tcase_add_test(mp1, test_validator_rejects_a_tampered_real_answer);
	tcase_add_test(mp1, test_get_list_200_is_an_array_of_dnsrule);
	tcase_add_test(mp1, test_get_list_404_is_problemdetails);
	tcase_add_test(mp1, test_get_one_200_is_a_dnsrule);
	tcase_add_test(mp1, test_get_one_404_is_problemdetails);
	tcase_add_test(mp1, test_put_200_is_a_dnsrule);
	tcase_add_test(mp1, test_put_400_is_problemdetails);
	tcase_add_test(mp1, test_put_404_is_problemdetails);
	tcase_add_test(mp1, test_put_412_is_problemdetails);
	suite_add_tcase(suite, mp1);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(etsi_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
