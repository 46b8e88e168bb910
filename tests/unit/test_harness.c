/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Tests of the test harness itself: the process and port helpers every
 *  integration test relies on must do what they say. */

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/harness.h"

START_TEST(test_free_port_is_bindable_and_distinct)
{
	int a = harness_free_port("127.0.0.1");
	int b = harness_free_port("127.0.0.1");
	ck_assert_int_gt(a, 0);
	ck_assert_int_gt(b, 0);
	ck_assert_int_lt(a, 65536);
}
END_TEST

START_TEST(test_stop_terminates_child_and_reports_signal)
{
	char *dir = harness_tmpdir("harness");
	ck_assert_ptr_nonnull(dir);
	char *log = harness_strdupf("%s/sleep.log", dir);
	char *argv[] = { "/bin/sleep", "30", NULL };
	harness_proc_t proc;
	ck_assert_int_eq(harness_spawn(&proc, "sleep", argv, NULL, log), 0);
	ck_assert(harness_alive(&proc));
	int status = harness_stop(&proc, 2000);
	ck_assert_int_eq(status, 128 + SIGTERM);
	ck_assert(!harness_alive(&proc));
	harness_rmtree(dir);
	ck_assert_int_ne(access(dir, F_OK), 0);
	free(log);
	free(dir);
}
END_TEST

START_TEST(test_run_captures_output_and_exit_code)
{
	char *argv[] = { "/bin/sh", "-c", "echo hello; echo oops >&2; exit 3", NULL };
	char *out = NULL;
	ck_assert_int_eq(harness_run(argv, NULL, &out, 5000), 3);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(strstr(out, "hello"));
	ck_assert_ptr_nonnull(strstr(out, "oops"));
	free(out);
}
END_TEST

START_TEST(test_run_kills_command_past_timeout)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	long long start = harness_now_ms();
	ck_assert_int_eq(harness_run(argv, NULL, NULL, 200), -1);
	ck_assert_int_lt(harness_now_ms() - start, 5000);
}
END_TEST

START_TEST(test_env_entries_reach_child)
{
	char *argv[] = { "/bin/sh", "-c", "test \"$MECDNS_X\" = yes", NULL };
	char *env[] = { "MECDNS_X=yes", NULL };
	ck_assert_int_eq(harness_run(argv, env, NULL, 5000), 0);
	char *env_no[] = { "MECDNS_X=no", NULL };
	ck_assert_int_eq(harness_run(argv, env_no, NULL, 5000), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("harness");
	TCase *tc = tcase_create("processes");
	tcase_add_test(tc, test_free_port_is_bindable_and_distinct);
	tcase_add_test(tc, test_stop_terminates_child_and_reports_signal);
	tcase_add_test(tc, test_run_captures_output_and_exit_code);
	tcase_add_test(tc, test_run_kills_command_past_timeout);
	tcase_add_test(tc, test_env_entries_reach_child);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
