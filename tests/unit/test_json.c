/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of the DnsRule JSON mapping, ProblemDetails and ETags, the
 *  strict JSON input checks (syncd/json_input.h) and UTF-8 (common/utf8.h). */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/utf8.h"
#include "syncd/json_input.h"
#include "syncd/problem.h"
#include "syncd/rule_json.h"

/*! \brief Parses text as a DnsRule in mode; returns the success. */
static bool read_rule(const char *text, syncd_rule_mode_t mode, mecdns_rule_t *rule, char *err,
                      size_t err_len)
{
	cJSON *json = cJSON_Parse(text);
	ck_assert_ptr_nonnull(json);
	bool ok = syncd_rule_from_json(json, mode, rule, err, err_len);
	cJSON_Delete(json);
	return ok;
}

START_TEST(test_full_dns_rule_maps_to_rule_and_back)
{
	const char *text = "{\"dnsRuleId\":\"DnsRule1\",\"domainName\":\"www.Example.com\","
	                   "\"ipAddressType\":\"IP_V6\",\"ipAddress\":\"2001:DB8::0:1\","
	                   "\"ttl\":300,\"state\":\"INACTIVE\",\"futureMember\":1}";
	mecdns_rule_t rule = { 0 };
	char err[256] = "";
	ck_assert_msg(read_rule(text, SYNCD_RULE_FULL, &rule, err, sizeof(err)), "%s", err);
	ck_assert_str_eq(rule.dns_rule_id, "DnsRule1");
	ck_assert_str_eq(rule.domain_name, "www.Example.com");
	ck_assert_int_eq(rule.ip_type, MECDNS_IP_V6);
	ck_assert_str_eq(rule.ip_address, "2001:db8::1");
	ck_assert_int_eq(rule.ttl, 300);
	ck_assert(!rule.active);

	cJSON *json = syncd_rule_to_json(&rule);
	char *out = cJSON_PrintUnformatted(json);
	ck_assert_str_eq(out, "{\"dnsRuleId\":\"DnsRule1\",\"domainName\":\"www.Example.com\","
	                      "\"ipAddressType\":\"IP_V6\",\"ipAddress\":\"2001:db8::1\","
	                      "\"ttl\":300,\"state\":\"INACTIVE\"}");
	free(out);
	cJSON_Delete(json);
	mecdns_rule_clear(&rule);
}
END_TEST

START_TEST(test_full_dns_rule_requires_every_member_but_ttl)
{
	const char *missing[] = {
		"{\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"1.2.3.4\","
		"\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"1.2.3.4\","
		"\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddress\":\"1.2.3.4\","
		"\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
		"\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
		"\"ipAddress\":\"1.2.3.4\"}",
	};
	const char *names[] = { "dnsRuleId", "domainName", "ipAddressType", "ipAddress", "state" };
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		mecdns_rule_t rule = { 0 };
		char err[256] = "";
		ck_assert(!read_rule(missing[i], SYNCD_RULE_FULL, &rule, err, sizeof(err)));
		ck_assert_msg(strstr(err, names[i]) != NULL, "%s: %s", names[i], err);
		mecdns_rule_clear(&rule);
	}
}
END_TEST

START_TEST(test_create_defaults_state_to_active_and_ttl_to_unset)
{
	mecdns_rule_t rule = { 0 };
	char err[256] = "";
	ck_assert(
	    read_rule("{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
	              "\"ipAddress\":\"1.2.3.4\"}",
	              SYNCD_RULE_CREATE, &rule, err, sizeof(err)));
	ck_assert(rule.active);
	ck_assert_int_eq(rule.ttl, -1);
	cJSON *json = syncd_rule_to_json(&rule);
	ck_assert_ptr_null(cJSON_GetObjectItem(json, "ttl"));
	cJSON_Delete(json);
	mecdns_rule_clear(&rule);
}
END_TEST

START_TEST(test_wrong_types_and_values_are_refused)
{
	const char *bad[] = {
		"[]",
		"{\"dnsRuleId\":1,\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
		"\"ipAddress\":\"1.2.3.4\",\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
		"\"ipAddress\":\"1.2.3.4\",\"ttl\":\"30\",\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
		"\"ipAddress\":\"1.2.3.4\",\"ttl\":-1,\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
		"\"ipAddress\":\"::1\",\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a..b\",\"ipAddressType\":\"IP_V4\","
		"\"ipAddress\":\"1.2.3.4\",\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IPv4\","
		"\"ipAddress\":\"1.2.3.4\",\"state\":\"ACTIVE\"}",
		"{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
		"\"ipAddress\":\"1.2.3.4\",\"state\":true}",
		"{\"dnsRuleId\":\"r/x\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
		"\"ipAddress\":\"1.2.3.4\",\"state\":\"ACTIVE\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mecdns_rule_t rule = { 0 };
		char err[256] = "";
		ck_assert_msg(!read_rule(bad[i], SYNCD_RULE_FULL, &rule, err, sizeof(err)), "%s",
		              bad[i]);
		ck_assert(err[0] != '\0');
		mecdns_rule_clear(&rule);
	}
}
END_TEST

START_TEST(test_dns_rule_id_in_body_must_match_the_uri)
{
	mecdns_rule_t rule = { 0 };
	rule.dns_rule_id = strdup("r1");
	char err[256] = "";
	ck_assert(!read_rule("{\"dnsRuleId\":\"r2\",\"domainName\":\"a.b\",\"ipAddressType\":"
	                     "\"IP_V4\",\"ipAddress\":\"1.2.3.4\",\"state\":\"ACTIVE\"}",
	                     SYNCD_RULE_FULL, &rule, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "dnsRuleId"));
	mecdns_rule_clear(&rule);
}
END_TEST

START_TEST(test_merge_changes_only_what_the_body_names)
{
	mecdns_rule_t rule = { 0 };
	char err[256] = "";
	ck_assert(
	    read_rule("{\"dnsRuleId\":\"r\",\"domainName\":\"a.b\",\"ipAddressType\":\"IP_V4\","
	              "\"ipAddress\":\"1.2.3.4\",\"ttl\":30}",
	              SYNCD_RULE_CREATE, &rule, err, sizeof(err)));
	ck_assert(read_rule("{\"state\":\"INACTIVE\"}", SYNCD_RULE_MERGE, &rule, err, sizeof(err)));
	ck_assert(!rule.active);
	ck_assert_str_eq(rule.domain_name, "a.b");
	ck_assert_str_eq(rule.ip_address, "1.2.3.4");
	ck_assert_int_eq(rule.ttl, 30);
	ck_assert(read_rule("{\"ttl\":null}", SYNCD_RULE_MERGE, &rule, err, sizeof(err)));
	ck_assert_int_eq(rule.ttl, -1);
	/* A type change without a matching address is refused. */
	ck_assert(
	    !read_rule("{\"ipAddressType\":\"IP_V6\"}", SYNCD_RULE_MERGE, &rule, err, sizeof(err)));
	mecdns_rule_clear(&rule);
}
END_TEST

START_TEST(test_problem_details_carry_the_real_status)
{
	cJSON *json = syncd_problem_json(412, "stale", "/x/y");
	ck_assert_str_eq(cJSON_GetObjectItem(json, "type")->valuestring, "about:blank");
	ck_assert_str_eq(cJSON_GetObjectItem(json, "title")->valuestring, "Precondition Failed");
	ck_assert_int_eq(cJSON_GetObjectItem(json, "status")->valueint, 412);
	ck_assert_str_eq(cJSON_GetObjectItem(json, "detail")->valuestring, "stale");
	ck_assert_str_eq(cJSON_GetObjectItem(json, "instance")->valuestring, "/x/y");
	cJSON_Delete(json);

	syncd_response_t resp = { 0 };
	syncd_problemf(&resp, 404, "/a", "rule %s", "r1");
	ck_assert_int_eq(resp.status, 404);
	ck_assert_str_eq(resp.content_type, "application/problem+json");
	cJSON *body = cJSON_Parse(resp.body);
	ck_assert_int_eq(cJSON_GetObjectItem(body, "status")->valueint, 404);
	ck_assert_str_eq(cJSON_GetObjectItem(body, "detail")->valuestring, "rule r1");
	cJSON_Delete(body);
	syncd_response_clear(&resp);
}
END_TEST

START_TEST(test_store_results_map_to_http_statuses)
{
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_NOT_FOUND), 404);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_EXISTS), 409);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_CONFLICT), 409);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_STALE), 412);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_INVALID), 400);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_BUSY), 503);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_READONLY), 503);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_CORRUPT), 503);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_FULL), 507);
	ck_assert_int_eq(syncd_store_http_status(MECDNS_STORE_ERROR), 500);
}
END_TEST

START_TEST(test_etags_and_if_match)
{
	char etag[32];
	syncd_rule_etag(7, etag, sizeof(etag));
	ck_assert_str_eq(etag, "\"7\"");
	ck_assert_uint_eq(syncd_if_match_version("\"7\"", 7), 7);
	ck_assert_uint_eq(syncd_if_match_version("\"6\"", 7), 6); /* The store says STALE. */
	ck_assert_uint_eq(syncd_if_match_version("*", 7), 0);
	ck_assert_uint_eq(syncd_if_match_version("\"5\", \"7\"", 7), 7);
	ck_assert_uint_eq(syncd_if_match_version("\"5\", \"6\"", 7), UINT64_MAX);
	ck_assert_uint_eq(syncd_if_match_version("W/\"7\"", 7), UINT64_MAX);
	ck_assert_uint_eq(syncd_if_match_version("7", 7), UINT64_MAX);
	ck_assert_uint_eq(syncd_if_match_version("\"abc\"", 7), UINT64_MAX);
	ck_assert_uint_eq(syncd_if_match_version("\"0\"", 7), UINT64_MAX);
}
END_TEST

START_TEST(test_utf8_validity_and_replacement)
{
	const struct {
		const char *text;
		size_t bad; /* SIZE_MAX: valid. */
	} cases[] = {
		{ "plain ascii", SIZE_MAX },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", SIZE_MAX },
		{ "\xff\xfe", 0 },
		{ "ab\xc3", 2 },           /* Cut short. */
		{ "a\xc0\xaf", 1 },        /* Overlong '/'. */
		{ "\xe0\x80\xaf", 0 },     /* Overlong, three bytes. */
		{ "x\xed\xa0\x80", 1 },    /* A surrogate. */
		{ "\xf4\x90\x80\x80", 0 }, /* Past U+10FFFF. */
		{ "\x80", 0 },             /* A lone continuation byte. */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);
		size_t want = cases[i].bad == SIZE_MAX ? len : cases[i].bad;
		ck_assert_msg(mecdns_utf8_invalid(cases[i].text, len) == want, "case %zu", i);
	}
	char *clean = mecdns_utf8_sanitize("/mep/\xff\xfe/caf\xc3\xa9");
	ck_assert_str_eq(clean, "/mep/\xef\xbf\xbd\xef\xbf\xbd/caf\xc3\xa9");
	ck_assert_uint_eq(mecdns_utf8_invalid(clean, strlen(clean)), strlen(clean));
	free(clean);
}
END_TEST

START_TEST(test_problem_details_never_echo_invalid_utf8)
{
	cJSON *json = syncd_problem_json(404, "no resource at /mep/\xff\xfe", "/mep/\xff\xfe");
	ck_assert_ptr_nonnull(json);
	char *text = cJSON_PrintUnformatted(json);
	ck_assert_uint_eq(mecdns_utf8_invalid(text, strlen(text)), strlen(text));
	ck_assert_ptr_nonnull(strstr(text, "\"instance\":\"/mep/\xef\xbf\xbd\xef\xbf\xbd\""));
	free(text);
	cJSON_Delete(json);
}
END_TEST

static bool text_ok(const char *text, char *err)
{
	return syncd_json_text_ok(text, strlen(text), err, 256);
}

START_TEST(test_json_text_refuses_nul_controls_and_bad_utf8)
{
	char err[256];
	ck_assert(text_ok("{\"domainName\":\"www.example.com\"}", err));
	ck_assert(text_ok("{\"a\":\"\\u00e9\\n\\\"\\u0001\"}", err)); /* Escapes are fine. */
	ck_assert(text_ok("{\"a\":\"\\\\u0000\"}", err)); /* An escaped backslash, then text. */
	ck_assert(text_ok("{\"a\":\"caf\xc3\xa9\"}", err));

	ck_assert(!text_ok("{\"domainName\":\"www.example.com\\u0000.evil\"}", err));
	ck_assert_ptr_nonnull(strstr(err, "NUL character (\\u0000)"));
	ck_assert_ptr_nonnull(strstr(err, "at byte 30"));
	ck_assert(!text_ok("{\"\\u0000\":1}", err)); /* In a member name too. */
	ck_assert(!text_ok("{\"a\":\"x\ty\"}", err));
	ck_assert_ptr_nonnull(strstr(err, "control character (0x09)"));
	ck_assert(!text_ok("{\"a\":\"\xff\"}", err));
	ck_assert_ptr_nonnull(strstr(err, "not valid UTF-8 (at byte 6)"));
	/* A raw NUL byte, whose text strlen() would cut. */
	ck_assert(!syncd_json_text_ok("{\"a\":\"x\0y\"}", 11, err, sizeof(err)));
}
END_TEST

static bool keys_unique(const char *text, char *err)
{
	cJSON *json = cJSON_Parse(text);
	ck_assert_ptr_nonnull(json);
	bool ok = syncd_json_keys_unique(json, err, 256);
	cJSON_Delete(json);
	return ok;
}

START_TEST(test_json_duplicate_member_names_are_refused)
{
	char err[256];
	ck_assert(keys_unique("{\"a\":1,\"b\":{\"a\":2},\"c\":[{\"a\":1},{\"a\":2}]}", err));
	ck_assert(!keys_unique("{\"ipAddress\":\"192.0.2.9\",\"ipAddress\":\"x\"}", err));
	ck_assert_str_eq(err, "the body has the member \"ipAddress\" twice in one object");
	ck_assert(!keys_unique("[{\"a\":1},{\"b\":{\"c\":1,\"c\":2}}]", err));
	ck_assert_ptr_nonnull(strstr(err, "\"c\" twice"));

	/* A large object goes through the sorted path. */
	char big[4096];
	size_t n = (size_t)snprintf(big, sizeof(big), "{");
	for (int i = 0; i < 100; i++) {
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\"k%d\":%d,", i, i);
	}
	snprintf(big + n, sizeof(big) - n, "\"last\":0}");
	ck_assert(keys_unique(big, err));
	snprintf(big + n, sizeof(big) - n, "\"k57\":0}");
	ck_assert(!keys_unique(big, err));
	ck_assert_ptr_nonnull(strstr(err, "\"k57\" twice"));
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("json");
	TCase *tc = tcase_create("json");
	tcase_add_test(tc, test_full_dns_rule_maps_to_rule_and_back);
	tcase_add_test(tc, test_full_dns_rule_requires_every_member_but_ttl);
	tcase_add_test(tc, test_create_defaults_state_to_active_and_ttl_to_unset);
	tcase_add_test(tc, test_wrong_types_and_values_are_refused);
	tcase_add_test(tc, test_dns_rule_id_in_body_must_match_the_uri);
	tcase_add_test(tc, test_merge_changes_only_what_the_body_names);
	tcase_add_test(tc, test_problem_details_carry_the_real_status);
	tcase_add_test(tc, test_store_results_map_to_http_statuses);
	tcase_add_test(tc, test_etags_and_if_match);
	tcase_add_test(tc, test_utf8_validity_and_replacement);
	tcase_add_test(tc, test_problem_details_never_echo_invalid_utf8);
	tcase_add_test(tc, test_json_text_refuses_nul_controls_and_bad_utf8);
	tcase_add_test(tc, test_json_duplicate_member_names_are_refused);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
