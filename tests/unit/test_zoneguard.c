/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The operator's zones (syncd/zoneguard.c) and the name-grants file
 *  (syncd/grants_file.c): what may be written where, from the zones knotd
 *  has; what a grants file line means. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/grants_file.h"
#include "syncd/zoneguard.h"

static zoneguard_t *guard;

static void setup(void)
{
	char *allowed[] = { "Open.Test" };
	char *synced[] = { "sync.test." };
	char err[256] = "";
	guard = zoneguard_new(allowed, 1, synced, 1, err, sizeof(err));
	ck_assert_msg(guard != NULL, "%s", err);
}

static void teardown(void)
{
	zoneguard_free(guard);
}

/*! \brief Whether owner may carry data; the reason must name needle. */
static bool allows(const char *owner, const char *needle)
{
	char why[512] = "";
	bool ok = zoneguard_allows(guard, owner, NULL, why, sizeof(why));
	ck_assert_msg(ok || needle == NULL || strstr(why, needle) != NULL, "%s: %s", owner, why);
	return ok;
}

START_TEST(test_nothing_is_refused_before_knotds_zones_are_known)
{
	ck_assert(allows("www.op.test.", NULL));
	ck_assert(allows("open.test.", NULL));
}
END_TEST

START_TEST(test_a_closed_zone_refuses_every_name_an_open_one_its_own_names)
{
	const char *zones[] = { "op.test.", "open.test.", "sync.test.", "sub.op.test." };
	zoneguard_set_zones(guard, zones, 4);
	ck_assert(!allows("op.test.", "which knotd serves"));
	ck_assert(!allows("a.b.op.test.", "zone op.test., which knotd serves"));
	/* The closest zone decides: sub.op.test. is closed too, its own. */
	ck_assert(!allows("x.sub.op.test.", "zone sub.op.test."));
	ck_assert(allows("www.elsewhere.test.", NULL));
	ck_assert(allows("optest.", NULL));
	ck_assert(allows("x.open.test.", NULL));
	ck_assert(allows("x.sync.test.", NULL));
	ck_assert(!allows("open.test.", "apex"));
	ck_assert(!allows("sync.test.", "apex"));

	const char *cuts[] = { "child.open.test.", "child.open.test." };
	const char *targets[] = { "ns.open.test.", "ns.child.open.test." };
	zoneguard_set_names(guard, "open.test.", 5, cuts, 2, targets, 2);
	ck_assert(!allows("child.open.test.", "delegation child.open.test."));
	ck_assert(!allows("a.b.child.open.test.", "delegation child.open.test."));
	ck_assert(!allows("ns.open.test.", "name server"));
	ck_assert(allows("xchild.open.test.", NULL));
	ck_assert(allows("www.open.test.", NULL));

	/* A poll without op.test.: it is no longer the operator's; the names
	 * read for open.test. are kept while it stays. */
	const char *fewer[] = { "open.test.", "sync.test." };
	zoneguard_set_zones(guard, fewer, 2);
	ck_assert(allows("www.op.test.", NULL));
	ck_assert(!allows("ns.open.test.", "name server"));
	/* Removed and added back: read again from scratch. */
	zoneguard_set_zones(guard, zones, 4);
	zoneguard_set_zones(guard, zones + 2, 1);
	zoneguard_set_zones(guard, zones, 4);
	ck_assert(!allows("www.op.test.", "which knotd serves"));
	ck_assert(allows("ns.open.test.", NULL));
	/* Names of a zone knotd does not have are ignored. */
	zoneguard_set_names(guard, "gone.test.", 1, cuts, 1, targets, 1);
	ck_assert(allows("child.open.test.", NULL));
}
END_TEST

START_TEST(test_an_allowed_zone_must_be_a_domain_name)
{
	char *allowed[] = { "bad..zone" };
	char err[256] = "";
	ck_assert_ptr_null(zoneguard_new(allowed, 1, NULL, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "allow-zone \"bad..zone\"") != NULL, "%s", err);
}
END_TEST

/*** The name-grants file. ***/

START_TEST(test_a_grants_file_line_is_a_shared_or_exclusive_suffix)
{
	syncd_grants_file_t file;
	char err[256] = "";
	ck_assert_msg(syncd_grants_parse("# comment\n\n  app1 Edge.Example.COM  \n"
	                                 "app-2\tshop.example.com shared # why\n",
	                                 "g", &file, err, sizeof(err)),
	              "%s", err);
	ck_assert_uint_eq(file.count, 2);
	ck_assert_str_eq(file.items[0].app_instance_id, "app1");
	ck_assert_str_eq(file.items[0].name, "edge.example.com.");
	ck_assert(file.items[0].subtree && !file.items[0].shared);
	ck_assert_str_eq(file.items[1].app_instance_id, "app-2");
	ck_assert(file.items[1].subtree && file.items[1].shared);
	syncd_grants_file_free(&file);
	ck_assert(syncd_grants_parse("", "g", &file, err, sizeof(err)));
	ck_assert_uint_eq(file.count, 0);
}
END_TEST

START_TEST(test_a_bad_grants_file_names_its_line)
{
	static const struct {
		const char *text;
		const char *message;
	} rows[] = {
		{ "app1\n", "g:1: expected APP_INSTANCE_ID NAME" },
		{ "app/1 a.example\n", "g:1:" },
		{ "app1 a..example\n", "g:1: \"a..example\" is not a domain name" },
		{ "app1 *.a.example\n", "without \"*.\"" },
		{ "app1 a.example sharred\n", "unknown word \"sharred\"" },
		{ "app1 a.example shared extra\n", "unknown word \"extra\"" },
		{ "\napp1 a.example\napp1 A.example.\n",
		  "g:3: a.example. is granted to app1 twice" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		syncd_grants_file_t file;
		char err[256] = "";
		ck_assert_msg(!syncd_grants_parse(rows[i].text, "g", &file, err, sizeof(err)),
		              "accepted: %s", rows[i].text);
		ck_assert_msg(strstr(err, rows[i].message) != NULL, "%s: %s", rows[i].text, err);
		ck_assert_uint_eq(file.count, 0);
	}
}
END_TEST

static Suite *zoneguard_suite(void)
{
	Suite *s = suite_create("zoneguard");
	TCase *tc = tcase_create("guard");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nothing_is_refused_before_knotds_zones_are_known);
	tcase_add_test(tc, test_a_closed_zone_refuses_every_name_an_open_one_its_own_names);
	tcase_add_test(tc, test_an_allowed_zone_must_be_a_domain_name);
	suite_add_tcase(s, tc);
	TCase *file = tcase_create("grants file");
	tcase_add_test(file, test_a_grants_file_line_is_a_shared_or_exclusive_suffix);
	tcase_add_test(file, test_a_bad_grants_file_names_its_line);
	suite_add_tcase(s, file);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(zoneguard_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
