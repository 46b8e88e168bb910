/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of syncd/auth.c: the token file and scope decisions. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/auth.h"

/* printf s3cret | sha256sum (upper case: hex digits are case-insensitive) */
#define S3CRET_SHA256 "1EC1C26B50D5D3C58D9583181AF8076655FE00756BF7285940BA3670F99FCBA0"

static syncd_auth_t *parse_ok(const char *text)
{
	char err[256] = "";
	syncd_auth_t *auth = syncd_auth_parse(text, "tokens", err, sizeof(err));
	ck_assert_msg(auth != NULL, "%s", err);
	return auth;
}

START_TEST(test_token_file_lines_comments_and_blanks)
{
	syncd_auth_t *auth = parse_ok("# tokens of the MEC host\n"
	                              "\n"
	                              "adm1n admin   # the operator\n"
	                              "  mepm mm5,metrics\n"
	                              "mep dns-mgmt\r\n"
	                              "appA app:A,app:B\n");
	ck_assert_uint_eq(syncd_auth_count(auth), 4);
	syncd_auth_free(auth);
	auth = parse_ok("");
	ck_assert_uint_eq(syncd_auth_count(auth), 0);
	syncd_auth_free(auth);
}
END_TEST

START_TEST(test_token_file_errors_name_file_and_line)
{
	const char *bad[] = {
		"tok\n",                  /* no scope */
		"ok admin\ntok nosuch\n", /* unknown scope */
		"tok admin extra\n",      /* trailing word */
		"sha256:abcd admin\n",    /* short digest */
		"tok app:\n",             /* empty app id */
		"tok app:a/b\n",          /* unsafe app id */
	};
	const char *lines[] = { "tokens:1", "tokens:2", "tokens:1",
		                "tokens:1", "tokens:1", "tokens:1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		syncd_auth_t *auth = syncd_auth_parse(bad[i], "tokens", err, sizeof(err));
		ck_assert_msg(auth == NULL, "accepted: %s", bad[i]);
		ck_assert_msg(strstr(err, lines[i]) != NULL, "%s -> %s", bad[i], err);
	}
}
END_TEST

START_TEST(test_sha256_tokens_match_the_plain_secret)
{
	syncd_auth_t *auth = parse_ok(
	    "sha256:1B3D8A3A1C2D5C0F1A1F0C43A7B7F07F7E7E0F6E76C8C4C2A4F2B0D7B1E1B7B3 admin\n"
	    "sha256:1e49a8a3bf2e1e0ccef03ad5b2dbfb8b8fc77c4a20a1b6b2b8d1cd0c9f5fdcc8 mm5\n");
	/* Neither digest is of "s3cret": unknown token. */
	ck_assert_int_eq(syncd_auth_check(auth, "Bearer s3cret", SYNCD_NEED_MM5, NULL),
	                 SYNCD_AUTH_UNAUTHORIZED);
	syncd_auth_free(auth);

	auth = parse_ok("sha256:" S3CRET_SHA256 " mm5\n");
	ck_assert_int_eq(syncd_auth_check(auth, "Bearer s3cret", SYNCD_NEED_MM5, NULL),
	                 SYNCD_AUTH_OK);
	ck_assert_int_eq(syncd_auth_check(auth, "Bearer s3cret", SYNCD_NEED_DNS_MGMT, NULL),
	                 SYNCD_AUTH_FORBIDDEN);
	syncd_auth_free(auth);
}
END_TEST

START_TEST(test_missing_or_unknown_token_is_unauthorized)
{
	syncd_auth_t *auth = parse_ok("good admin\n");
	ck_assert_int_eq(syncd_auth_check(auth, NULL, SYNCD_NEED_MM5, NULL),
	                 SYNCD_AUTH_UNAUTHORIZED);
	ck_assert_int_eq(syncd_auth_check(auth, "Bearer", SYNCD_NEED_MM5, NULL),
	                 SYNCD_AUTH_UNAUTHORIZED);
	ck_assert_int_eq(syncd_auth_check(auth, "Basic Z29vZA==", SYNCD_NEED_MM5, NULL),
	                 SYNCD_AUTH_UNAUTHORIZED);
	ck_assert_int_eq(syncd_auth_check(auth, "Bearer goo", SYNCD_NEED_MM5, NULL),
	                 SYNCD_AUTH_UNAUTHORIZED);
	ck_assert_int_eq(syncd_auth_check(auth, "Bearer goodx", SYNCD_NEED_MM5, NULL),
	                 SYNCD_AUTH_UNAUTHORIZED);
	ck_assert_int_eq(syncd_auth_check(auth, "bearer  good ", SYNCD_NEED_MM5, NULL),
	                 SYNCD_AUTH_OK);
	/* Public routes need nothing. */
	ck_assert_int_eq(syncd_auth_check(auth, NULL, SYNCD_NEED_NONE, NULL), SYNCD_AUTH_OK);
	syncd_auth_free(auth);
}
END_TEST

START_TEST(test_scopes_decide_routes)
{
	syncd_auth_t *auth = parse_ok("adm admin\nmepm mm5\nmep dns-mgmt\nprom metrics\n"
	                              "appA app:A\nsmf easdf\n");
	struct {
		const char *token;
		syncd_need_t need;
		const char *app;
		syncd_auth_result_t expected;
	} cases[] = {
		{ "adm", SYNCD_NEED_MM5, NULL, SYNCD_AUTH_OK },
		{ "adm", SYNCD_NEED_APP, "B", SYNCD_AUTH_OK },
		{ "adm", SYNCD_NEED_ADMIN, NULL, SYNCD_AUTH_OK },
		{ "mepm", SYNCD_NEED_MM5, NULL, SYNCD_AUTH_OK },
		{ "mepm", SYNCD_NEED_DNS_MGMT, NULL, SYNCD_AUTH_FORBIDDEN },
		{ "mepm", SYNCD_NEED_APP, "A", SYNCD_AUTH_FORBIDDEN },
		{ "mep", SYNCD_NEED_DNS_MGMT, NULL, SYNCD_AUTH_OK },
		{ "mep", SYNCD_NEED_METRICS, NULL, SYNCD_AUTH_FORBIDDEN },
		{ "prom", SYNCD_NEED_METRICS, NULL, SYNCD_AUTH_OK },
		{ "prom", SYNCD_NEED_MM5, NULL, SYNCD_AUTH_FORBIDDEN },
		{ "appA", SYNCD_NEED_APP, "A", SYNCD_AUTH_OK },
		{ "appA", SYNCD_NEED_APP, "B", SYNCD_AUTH_FORBIDDEN },
		{ "appA", SYNCD_NEED_APP, "AA", SYNCD_AUTH_FORBIDDEN },
		{ "appA", SYNCD_NEED_MM5, NULL, SYNCD_AUTH_FORBIDDEN },
		{ "appA", SYNCD_NEED_ADMIN, NULL, SYNCD_AUTH_FORBIDDEN },
		/* DNS contexts: the SMF's scope (and admin's), nobody else's. */
		{ "smf", SYNCD_NEED_EASDF, NULL, SYNCD_AUTH_OK },
		{ "adm", SYNCD_NEED_EASDF, NULL, SYNCD_AUTH_OK },
		{ "mepm", SYNCD_NEED_EASDF, NULL, SYNCD_AUTH_FORBIDDEN },
		{ "mep", SYNCD_NEED_EASDF, NULL, SYNCD_AUTH_FORBIDDEN },
		{ "appA", SYNCD_NEED_EASDF, NULL, SYNCD_AUTH_FORBIDDEN },
		{ "smf", SYNCD_NEED_MM5, NULL, SYNCD_AUTH_FORBIDDEN },
		{ "smf", SYNCD_NEED_DNS_MGMT, NULL, SYNCD_AUTH_FORBIDDEN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char header[64];
		snprintf(header, sizeof(header), "Bearer %s", cases[i].token);
		ck_assert_msg(syncd_auth_check(auth, header, cases[i].need, cases[i].app) ==
		                  cases[i].expected,
		              "case %zu", i);
	}
	syncd_auth_free(auth);
}
END_TEST

START_TEST(test_no_token_table_allows_everything)
{
	ck_assert_int_eq(syncd_auth_check(NULL, NULL, SYNCD_NEED_ADMIN, NULL), SYNCD_AUTH_OK);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("auth");
	TCase *tc = tcase_create("auth");
	tcase_add_test(tc, test_token_file_lines_comments_and_blanks);
	tcase_add_test(tc, test_token_file_errors_name_file_and_line);
	tcase_add_test(tc, test_sha256_tokens_match_the_plain_secret);
	tcase_add_test(tc, test_missing_or_unknown_token_is_unauthorized);
	tcase_add_test(tc, test_scopes_decide_routes);
	tcase_add_test(tc, test_no_token_table_allows_everything);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
