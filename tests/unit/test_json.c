/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of the DnsRule JSON mapping, ProblemDetails and ETags. */

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
