/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of syncd/validate.c: what the REST APIs accept. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/validate.h"

START_TEST(test_ids_of_unreserved_characters_are_accepted)
{
	char err[256];
	ck_assert(syncd_valid_id("dnsRule1", "id", err, sizeof(err)));
	ck_assert(syncd_valid_id("ac4cd7be-debc-4244-a2a5-1598225927b9", "id", err, sizeof(err)));
	ck_assert(syncd_valid_id("a.b_c~d", "id", err, sizeof(err)));
	char longest[SYNCD_ID_MAX + 1];
	memset(longest, 'x', SYNCD_ID_MAX);
	longest[SYNCD_ID_MAX] = '\0';
	ck_assert(syncd_valid_id(longest, "id", err, sizeof(err)));
}
END_TEST

START_TEST(test_ids_that_are_empty_long_or_unsafe_are_refused)
{
	char err[256];
	ck_assert(!syncd_valid_id("", "dnsRuleId", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "dnsRuleId"));
	ck_assert(!syncd_valid_id(NULL, "id", err, sizeof(err)));
	ck_assert(!syncd_valid_id("a/b", "id", err, sizeof(err)));
	ck_assert(!syncd_valid_id("a b", "id", err, sizeof(err)));
	ck_assert(!syncd_valid_id("a%2Fb", "id", err, sizeof(err)));
	ck_assert(!syncd_valid_id("..", "id", err, sizeof(err)));
	ck_assert(!syncd_valid_id("\xc3\xa9", "id", err, sizeof(err)));
	char too_long[SYNCD_ID_MAX + 2];
	memset(too_long, 'x', SYNCD_ID_MAX + 1);
	too_long[SYNCD_ID_MAX + 1] = '\0';
	ck_assert(!syncd_valid_id(too_long, "id", err, sizeof(err)));
}
END_TEST

START_TEST(test_fqdns_follow_rfc1035_lengths)
{
	char err[256];
	ck_assert(syncd_valid_fqdn("www.example.com", "domainName", err, sizeof(err)));
	ck_assert(syncd_valid_fqdn("WWW.Example.COM.", "domainName", err, sizeof(err)));
	ck_assert(syncd_valid_fqdn("_sip._udp.example.com", "domainName", err, sizeof(err)));
	ck_assert(!syncd_valid_fqdn("", "domainName", err, sizeof(err)));
	ck_assert(!syncd_valid_fqdn("a..b", "domainName", err, sizeof(err)));
	ck_assert(!syncd_valid_fqdn("bad name.com", "domainName", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "domainName"));

	char label[70];
	memset(label, 'a', 64);
	strcpy(label + 64, ".com");
	ck_assert(!syncd_valid_fqdn(label, "domainName", err, sizeof(err)));

	char name[300] = "";
	for (int i = 0; i < 64; i++) {
		strcat(name, "abc.");
	}
	ck_assert(!syncd_valid_fqdn(name, "domainName", err, sizeof(err)));
}
END_TEST

START_TEST(test_addresses_must_match_their_type)
{
	char out[64], err[256];
	ck_assert(syncd_parse_ip("192.0.2.1", MECDNS_IP_V4, out, sizeof(out), err, sizeof(err)));
	ck_assert_str_eq(out, "192.0.2.1");
	ck_assert(
	    syncd_parse_ip("2001:DB8:0::1", MECDNS_IP_V6, out, sizeof(out), err, sizeof(err)));
	ck_assert_str_eq(out, "2001:db8::1");

	ck_assert(!syncd_parse_ip("2001:db8::1", MECDNS_IP_V4, out, sizeof(out), err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "IP_V4"));
	ck_assert(!syncd_parse_ip("192.0.2.1", MECDNS_IP_V6, out, sizeof(out), err, sizeof(err)));
	ck_assert(!syncd_parse_ip("192.0.2", MECDNS_IP_V4, out, sizeof(out), err, sizeof(err)));
	ck_assert(!syncd_parse_ip("192.0.2.256", MECDNS_IP_V4, out, sizeof(out), err, sizeof(err)));
	ck_assert(!syncd_parse_ip(" 192.0.2.1", MECDNS_IP_V4, out, sizeof(out), err, sizeof(err)));
	ck_assert(!syncd_parse_ip("", MECDNS_IP_V4, out, sizeof(out), err, sizeof(err)));
}
END_TEST

START_TEST(test_ttl_is_an_integer_from_0_to_2147483647)
{
	char err[256];
	ck_assert(syncd_valid_ttl(0, err, sizeof(err)));
	ck_assert(syncd_valid_ttl(300, err, sizeof(err)));
	ck_assert(syncd_valid_ttl(2147483647.0, err, sizeof(err)));
	ck_assert(!syncd_valid_ttl(2147483648.0, err, sizeof(err)));
	ck_assert(!syncd_valid_ttl(-1, err, sizeof(err)));
	ck_assert(!syncd_valid_ttl(1.5, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "ttl"));
}
END_TEST

START_TEST(test_enums_are_exact)
{
	mecdns_ip_type_t type;
	bool active = false;
	char err[256];
	ck_assert(syncd_parse_ip_type("IP_V4", &type, err, sizeof(err)));
	ck_assert_int_eq(type, MECDNS_IP_V4);
	ck_assert(syncd_parse_ip_type("IP_V6", &type, err, sizeof(err)));
	ck_assert_int_eq(type, MECDNS_IP_V6);
	ck_assert(!syncd_parse_ip_type("ip_v4", &type, err, sizeof(err)));
	ck_assert(!syncd_parse_ip_type("IPV4", &type, err, sizeof(err)));
	ck_assert(syncd_parse_state("ACTIVE", &active, err, sizeof(err)));
	ck_assert(active);
	ck_assert(syncd_parse_state("INACTIVE", &active, err, sizeof(err)));
	ck_assert(!active);
	ck_assert(!syncd_parse_state("active", &active, err, sizeof(err)));
	ck_assert(!syncd_parse_state("ACTIVE ", &active, err, sizeof(err)));
	ck_assert_str_eq(syncd_state_name(true), "ACTIVE");
	ck_assert_str_eq(syncd_ip_type_name(MECDNS_IP_V6), "IP_V6");
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("validate");
	TCase *tc = tcase_create("validate");
	tcase_add_test(tc, test_ids_of_unreserved_characters_are_accepted);
	tcase_add_test(tc, test_ids_that_are_empty_long_or_unsafe_are_refused);
	tcase_add_test(tc, test_fqdns_follow_rfc1035_lengths);
	tcase_add_test(tc, test_addresses_must_match_their_type);
	tcase_add_test(tc, test_ttl_is_an_integer_from_0_to_2147483647);
	tcase_add_test(tc, test_enums_are_exact);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
