/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Client-subnet scopes (common/subnet.c): what a subnet is, the one
 *  canonical form of a scope, and which addresses are inside. */

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/subnet.h"

START_TEST(test_a_subnet_is_an_address_without_host_bits_and_a_length)
{
	static const struct {
		const char *text;
		const char *error; /*!< NULL: accepted. */
	} rows[] = {
		{ "10.45.0.0/16", NULL },
		{ "0.0.0.0/0", NULL },
		{ "192.0.2.7/32", NULL },
		{ "2001:db8:45::/48", NULL },
		{ "::/0", NULL },
		{ "2001:db8::1/128", NULL },
		{ "10.45.0.1/16", "has host bits set (the subnet is 10.45.0.0/16)" },
		{ "2001:db8:45::1/48", "has host bits set (the subnet is 2001:db8:45::/48)" },
		{ "10.0.0.0/33", "/33 is longer than the 32 bits" },
		{ "::/129", "/129 is longer than the 128 bits" },
		{ "10.0.0.0", "is not ADDRESS/LENGTH" },
		{ "10.0.0.0/", "prefix length must be a number" },
		{ "10.0.0.0/016", "prefix length must be a number" },
		{ "10.0.0.0/1x", "prefix length must be a number" },
		{ "10.0.0.0/-1", "prefix length must be a number" },
		{ "10.0.0/8", "is not an IPv4 or IPv6 address" },
		{ "/8", "is not ADDRESS/LENGTH" },
		{ "example.com/8", "is not an IPv4 or IPv6 address" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mecdns_subnet_t subnet;
		char err[256] = "";
		bool ok = mecdns_subnet_parse(rows[i].text, &subnet, err, sizeof(err));
		ck_assert_msg(ok == (rows[i].error == NULL), "%s: %s", rows[i].text, err);
		if (!ok) {
			ck_assert_msg(strstr(err, rows[i].error) != NULL, "%s: %s", rows[i].text,
			              err);
		}
	}
}
END_TEST

START_TEST(test_a_scope_has_one_canonical_spelling)
{
	const char *texts[] = { "2001:DB8:45:0::/48", "10.46.0.0/16", "10.45.0.0/16",
		                "10.45.0.0/24" };
	char err[256] = "";
	char *scope = mecdns_subnets_canonical(texts, 4, err, sizeof(err));
	ck_assert_msg(scope != NULL, "%s", err);
	ck_assert_str_eq(scope, "10.45.0.0/16,10.45.0.0/24,10.46.0.0/16,2001:db8:45::/48");
	mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
	ck_assert_uint_eq(mecdns_subnets_parse_list(scope, subnets), 4);
	ck_assert_uint_eq(subnets[3].family, 6);
	ck_assert_uint_eq(subnets[3].length, 48);
	free(scope);
	/* Anything but that spelling is not a stored scope. */
	ck_assert_uint_eq(mecdns_subnets_parse_list("10.46.0.0/16,10.45.0.0/16", subnets), 0);
	ck_assert_uint_eq(mecdns_subnets_parse_list("2001:DB8::/32", subnets), 0);
	ck_assert_uint_eq(mecdns_subnets_parse_list("10.0.0.0/8,", subnets), 0);
	ck_assert_uint_eq(mecdns_subnets_parse_list("", subnets), 0);

	const char *twice[] = { "10.0.0.0/8", "10.0.0.0/8" };
	ck_assert_ptr_null(mecdns_subnets_canonical(twice, 2, err, sizeof(err)));
	ck_assert_msg(strstr(err, "[1] \"10.0.0.0/8\" is given twice") != NULL, "%s", err);
	const char *bad[] = { "10.0.0.0/8", "10.0.0.1/8" };
	ck_assert_ptr_null(mecdns_subnets_canonical(bad, 2, err, sizeof(err)));
	ck_assert_msg(strstr(err, "[1] ") == err, "%s", err);
	ck_assert_ptr_null(mecdns_subnets_canonical(texts, 0, err, sizeof(err)));
	const char *many[MECDNS_SUBNETS_MAX + 1];
	char storage[MECDNS_SUBNETS_MAX + 1][32];
	for (int i = 0; i <= MECDNS_SUBNETS_MAX; i++) {
		snprintf(storage[i], sizeof(storage[i]), "10.%d.0.0/16", i);
		many[i] = storage[i];
	}
	char *full = mecdns_subnets_canonical(many, MECDNS_SUBNETS_MAX, err, sizeof(err));
	ck_assert_msg(full != NULL, "%s", err);
	ck_assert_uint_eq(mecdns_subnets_parse_list(full, subnets), MECDNS_SUBNETS_MAX);
	free(full);
	ck_assert_ptr_null(
	    mecdns_subnets_canonical(many, MECDNS_SUBNETS_MAX + 1, err, sizeof(err)));
	ck_assert_msg(strstr(err, "at most") != NULL, "%s", err);
}
END_TEST

START_TEST(test_an_address_is_inside_when_its_first_length_bits_match)
{
	mecdns_subnet_t v4, v6, all;
	char err[128];
	ck_assert(mecdns_subnet_parse("10.45.128.0/17", &v4, err, sizeof(err)));
	ck_assert(mecdns_subnet_parse("2001:db8:44::/47", &v6, err, sizeof(err)));
	ck_assert(mecdns_subnet_parse("0.0.0.0/0", &all, err, sizeof(err)));
	uint8_t a[16];
	inet_pton(AF_INET, "10.45.200.1", a);
	ck_assert(mecdns_subnet_contains(&v4, 4, a));
	ck_assert(mecdns_subnet_contains(&all, 4, a));
	ck_assert(!mecdns_subnet_contains(&v6, 4, a));
	inet_pton(AF_INET, "10.45.127.255", a);
	ck_assert(!mecdns_subnet_contains(&v4, 4, a));
	inet_pton(AF_INET6, "2001:db8:45:ffff::1", a);
	ck_assert(mecdns_subnet_contains(&v6, 6, a));
	ck_assert(!mecdns_subnet_contains(&all, 6, a)); /* an IPv4 scope */
	inet_pton(AF_INET6, "2001:db8:46::1", a);
	ck_assert(!mecdns_subnet_contains(&v6, 6, a));
}
END_TEST

START_TEST(test_common_bits_stop_at_the_first_difference_and_the_limits)
{
	static const struct {
		const char *subnet;
		const char *addr;
		unsigned max;
		unsigned want;
	} rows[] = {
		{ "10.45.7.0/24", "10.45.8.1", 32, 20 }, /* 7 = 00000111, 8 = 00001000 */
		{ "10.45.0.0/16", "10.46.0.0", 32, 14 }, /* 45 = 00101101, 46 = 00101110 */
		{ "10.45.7.0/24", "10.45.7.9", 32, 24 }, /* inside: the subnet's length */
		{ "10.45.7.0/24", "10.45.7.0", 20, 20 }, /* the caller's limit */
		{ "127.0.0.2/32", "10.0.0.0", 32, 1 },   /* 0111... against 0000... */
		{ "128.0.0.0/1", "10.0.0.0", 32, 0 },    /* differs in the first bit */
		{ "0.0.0.0/0", "10.0.0.0", 32, 0 },
		{ "2001:db8:45::/48", "2001:db8:46::1", 128, 46 },
		{ "2001:db8::/32", "2001:db8:ffff::", 128, 32 },
		{ "2001:db8:1:2:3:4:5:6/128", "2001:db8:1:2:3:4:5:7", 128, 127 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mecdns_subnet_t subnet;
		char err[128];
		ck_assert_msg(mecdns_subnet_parse(rows[i].subnet, &subnet, err, sizeof(err)), "%s",
		              err);
		uint8_t addr[16] = { 0 };
		ck_assert(inet_pton(subnet.family == 4 ? AF_INET : AF_INET6, rows[i].addr, addr) ==
		          1);
		unsigned got = mecdns_subnet_common_bits(&subnet, addr, rows[i].max);
		ck_assert_msg(got == rows[i].want, "%s ~ %s (max %u): %u bits, expected %u",
		              rows[i].subnet, rows[i].addr, rows[i].max, got, rows[i].want);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("subnet");
	TCase *tc = tcase_create("subnets");
	tcase_add_test(tc, test_a_subnet_is_an_address_without_host_bits_and_a_length);
	tcase_add_test(tc, test_a_scope_has_one_canonical_spelling);
	tcase_add_test(tc, test_an_address_is_inside_when_its_first_length_bits_match);
	tcase_add_test(tc, test_common_bits_stop_at_the_first_difference_and_the_limits);
	suite_add_tcase(s, tc);
	SRunner *runner = srunner_create(s);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
