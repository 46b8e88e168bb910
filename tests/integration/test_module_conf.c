/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns configuration checks, through the real `knotc conf-check`,
 *  which loads the built module and runs its schema and conf_check. Each
 *  bad configuration must be refused with the module's precise message. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness/harness.h"

static char *dir;

static void setup(void)
{
	dir = harness_tmpdir("modconf");
	ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
	harness_rmtree(dir);
	free(dir);
	dir = NULL;
}

/*! \brief Runs knotc conf-check on a config whose mod-mecdns section holds
 *         items (YAML lines, 4-space indented); returns the exit code and
 *         the output in *out. */
static int conf_check(const char *items, char **out)
{
	char *module = harness_build_path("module/.libs/mecdns.so");
	char *conf = harness_strdupf("%s/knot.conf", dir);
	char *text = harness_strdupf("server:\n"
	                             "    rundir: \"%s\"\n"
	                             "module:\n"
	                             "  - id: mod-mecdns\n"
	                             "    file: \"%s\"\n"
	                             "mod-mecdns:\n"
	                             "  - id: default\n"
	                             "%s"
	                             "template:\n"
	                             "  - id: default\n"
	                             "    global-module: mod-mecdns/default\n",
	                             dir, module, items);
	ck_assert_int_eq(harness_write_file(conf, text), 0);
	const char *knotc = getenv("KNOTC");
	char *argv[] = { (char *)(knotc != NULL && *knotc != '\0' ? knotc : "/usr/sbin/knotc"),
		         "-c", conf, "conf-check", NULL };
	int ret = harness_run(argv, harness_module_env(), out, 30000);
	free(text);
	free(conf);
	free(module);
	return ret;
}

/*! \brief Asserts that the items are refused with a message containing msg. */
static void assert_refused(const char *items, const char *msg)
{
	char *out = NULL;
	int ret = conf_check(items, &out);
	ck_assert_msg(ret != 0, "conf-check accepted:\n%s", items);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strstr(out, msg) != NULL, "expected '%s' in knotc's output:\n%s", msg, out);
	free(out);
}

START_TEST(test_complete_configuration_is_valid)
{
	char *items = harness_strdupf("    database: \"%s/mecdns.db\"\n"
	                              "    default-ttl: 30\n"
	                              "    refresh-interval: 250\n"
	                              "    soa-mname: ns.mec.example.\n"
	                              "    soa-rname: hostmaster.mec.example.\n"
	                              "    negative-ttl: 5m\n"
	                              "    answer-rotation: on\n",
	                              dir);
	char *out = NULL;
	int ret = conf_check(items, &out);
	ck_assert_msg(ret == 0, "conf-check refused a valid configuration:\n%s", out);
	free(out);
	free(items);
}
END_TEST

START_TEST(test_database_file_that_does_not_exist_yet_is_accepted)
{
	/* The file may appear later (syncd creates it): only the path's form is
	 * checked, so knotd starts and serves once the database exists. */
	char *items = harness_strdupf("    database: \"%s/not-yet/mecdns.db\"\n", dir);
	char *out = NULL;
	ck_assert_int_eq(conf_check(items, &out), 0);
	free(out);
	free(items);
}
END_TEST

START_TEST(test_no_database_is_refused)
{
	assert_refused("    default-ttl: 30\n", "no database set");
}
END_TEST

START_TEST(test_relative_database_path_is_refused)
{
	assert_refused("    database: relative/mecdns.db\n", "database path must be absolute");
}
END_TEST

START_TEST(test_directory_database_path_is_refused)
{
	assert_refused("    database: /var/lib/mecdns/\n",
	               "database path must name a file, not a directory");
}
END_TEST

START_TEST(test_refresh_interval_out_of_range_is_refused)
{
	assert_refused("    database: /var/lib/mecdns/mecdns.db\n    refresh-interval: 0\n",
	               "value is out of range");
	assert_refused("    database: /var/lib/mecdns/mecdns.db\n    refresh-interval: 3600001\n",
	               "value is out of range");
}
END_TEST

START_TEST(test_negative_ttls_are_refused)
{
	assert_refused("    database: /var/lib/mecdns/mecdns.db\n    default-ttl: -1\n",
	               "default-ttl");
	assert_refused("    database: /var/lib/mecdns/mecdns.db\n    negative-ttl: -5\n",
	               "negative-ttl");
}
END_TEST

START_TEST(test_bad_soa_names_are_refused)
{
	assert_refused("    database: /var/lib/mecdns/mecdns.db\n    soa-mname: \"bad..name\"\n",
	               "soa-mname");
}
END_TEST

START_TEST(test_unknown_item_is_refused)
{
	assert_refused("    database: /var/lib/mecdns/mecdns.db\n    refresh: 5\n", "refresh");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mod-mecdns configuration");
	TCase *tc = tcase_create("conf-check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_complete_configuration_is_valid);
	tcase_add_test(tc, test_database_file_that_does_not_exist_yet_is_accepted);
	tcase_add_test(tc, test_no_database_is_refused);
	tcase_add_test(tc, test_relative_database_path_is_refused);
	tcase_add_test(tc, test_directory_database_path_is_refused);
	tcase_add_test(tc, test_refresh_interval_out_of_range_is_refused);
	tcase_add_test(tc, test_negative_ttls_are_refused);
	tcase_add_test(tc, test_bad_soa_names_are_refused);
	tcase_add_test(tc, test_unknown_item_is_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
