/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration (--enable-sanitizers builds only): the sanitizer wiring of
 *  the test suite works, so that "no reports" means something.
 *
 *  knotd (not built with ASan) loads an ASan + UBSan module with planted
 *  bugs (sanitize_module.c) through the harness, which preloads the ASan
 *  runtime. After knotd_stop() there must be the LeakSanitizer report of
 *  the leak (knotd's own report file) and the UBSan report of the overflow
 *  (saved from knotd's log by the harness), both naming the module's
 *  function (it is linked -z nodelete, as mecdns.so is), with
 *  tests/data/lsan.supp in force: its entries must not hide a leak of a
 *  module. The reports go to this test's own directory, not to the run's
 *  sanitizer-reports/ that scripts/sanitize.sh counts.
 */

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/harness.h"
#include "tests/harness/knotd.h"

/*! Deadline of knotd's start (a poll, not a timed assertion). */
#define START_MS 30000

/*! \brief knot.conf loading the planted-bug module globally. */
static char *write_conf(const char *dir)
{
	char *module = harness_build_path("tests/integration/.libs/sanitize_module.so");
	ck_assert_msg(access(module, R_OK) == 0, "%s is not built", module);
	char *path = harness_strdupf("%s/knot.conf", dir);
	char *text = harness_strdupf("server:\n"
	                             "    rundir: %s\n"
	                             "    listen: 127.0.0.1@%d\n"
	                             "control:\n"
	                             "    listen: %s/knot.sock\n"
	                             "log:\n"
	                             "  - target: stderr\n"
	                             "    any: info\n"
	                             "database:\n"
	                             "    storage: %s\n"
	                             "module:\n"
	                             "  - id: mod-sanitize\n"
	                             "    file: %s\n"
	                             "mod-sanitize:\n"
	                             "  - id: default\n"
	                             "template:\n"
	                             "  - id: default\n"
	                             "    storage: %s\n"
	                             "    global-module: mod-sanitize/default\n",
	                             dir, harness_free_port("127.0.0.1"), dir, dir, module, dir);
	ck_assert_int_eq(harness_write_file(path, text), 0);
	free(text);
	free(module);
	return path;
}

/*! \brief The text of the first file in dir whose name starts with prefix,
 *         or NULL. */
static char *report_file(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	char *text = NULL;
	struct dirent *ent;
	while (text == NULL && (ent = readdir(d)) != NULL) {
		if (strncmp(ent->d_name, prefix, strlen(prefix)) == 0) {
			char *path = harness_strdupf("%s/%s", dir, ent->d_name);
			text = harness_read_file(path);
			free(path);
		}
	}
	closedir(d);
	return text;
}

START_TEST(test_knotd_reports_bugs_of_an_asan_module)
{
	/* This test's reports go to its own directory. */
	char *reports = harness_tmpdir("sanitize-reports");
	ck_assert_ptr_nonnull(reports);
	setenv("MECDNS_SANITIZER_DIR", reports, 1);
	knotd_t knotd = { 0 };
	knotd.dir = harness_tmpdir("sanitize");
	ck_assert_ptr_nonnull(knotd.dir);
	knotd.conf_path = write_conf(knotd.dir);
	char *supp = harness_src_path("tests/data/lsan.supp");
	char *asan = harness_strdupf("ASAN_OPTIONS=log_path=%s/san:log_exe_name=1", reports);
	char *ubsan = harness_strdupf("UBSAN_OPTIONS=log_path=%s/san:log_exe_name=1:"
	                              "print_stacktrace=1",
	                              reports);
	char *lsan = harness_strdupf("LSAN_OPTIONS=suppressions=%s", supp);
	char *env[] = { asan, ubsan, lsan, NULL };
	char *log = harness_strdupf("%s/knotd.log", knotd.dir);
	ck_assert_int_eq(knotd_spawn(&knotd.proc, knotd.conf_path, env, log), 0);

	long long deadline = harness_now_ms() + START_MS;
	while (!knotd_log_contains(&knotd, "planted bugs done")) {
		if (!knotd_alive(&knotd) || harness_now_ms() > deadline) {
			knotd_dump_log(&knotd);
			ck_abort_msg("knotd did not load the planted-bug module");
		}
		harness_sleep_ms(50);
	}
	knotd_stop(&knotd); /* Saves the UBSan reports of its log. */

	char *leak = report_file(reports, "san.knotd.");
	ck_assert_msg(leak != NULL && strstr(leak, "ERROR: LeakSanitizer") != NULL &&
	                  strstr(leak, "sanitize_load") != NULL,
	              "no LeakSanitizer report naming the module's leak in %s:\n%s", reports,
	              leak != NULL ? leak : "(no file san.knotd.*)");
	char *overflow = report_file(reports, "san.knotd-log.");
	ck_assert_msg(overflow != NULL &&
	                  strstr(overflow, "runtime error: signed integer overflow") != NULL &&
	                  strstr(overflow, "sanitize_load") != NULL,
	              "no UBSan report of the module's overflow in %s:\n%s", reports,
	              overflow != NULL ? overflow : "(no file san.knotd-log.*)");

	free(overflow);
	free(leak);
	free(log);
	free(lsan);
	free(ubsan);
	free(asan);
	free(supp);
	harness_rmtree(reports);
	free(reports);
}
END_TEST

static Suite *sanitize_suite(void)
{
	Suite *suite = suite_create("sanitize");
	TCase *tc = tcase_create("wiring");
	tcase_add_test(tc, test_knotd_reports_bugs_of_an_asan_module);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *sr = srunner_create(sanitize_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
