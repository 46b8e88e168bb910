/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The built mecdns-place on files (issue 15): CSV and JSON inputs give the
 *  same choice, the worked example of the man page chooses what it says,
 *  announce configurations are written for the chosen hosts only and
 *  mecdns-announce reads them, bad input is exit 2 naming file and line. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/harness.h"
#include "tests/harness/knotd.h"

static char *dir;

static void setup(void)
{
	dir = harness_tmpdir("place");
	ck_assert_ptr_nonnull(dir);
	harness_cleanup_dir(dir);
}

static void teardown(void)
{
	free(dir);
}

static char *file(const char *name, const char *text)
{
	char *path = harness_strdupf("%s/%s", dir, name);
	ck_assert_int_eq(harness_write_file(path, text), 0);
	return path;
}

/*! \brief Runs mecdns-place ARGS... (NULL-terminated); exit code, output. */
static int place(char **out, const char *const *args)
{
	char *bin = harness_build_path("tools/mecdns-place");
	const char *argv[32] = { bin };
	size_t n = 1;
	for (size_t i = 0; args[i] != NULL && n < 31; i++) {
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	int ret = harness_run((char *const *)argv, NULL, out, 30000);
	free(bin);
	return ret;
}

#define PLACE(out, ...) place(out, (const char *const[]){ __VA_ARGS__, NULL })

/* Two edge sites near their own users, a central site near nobody but
 * cheap. With budget 4, one edge site and the central one; with 6, both
 * edges (the central one adds nothing then). */
#define HOSTS  "host,cost,address\nedge-a,3,192.0.2.1\nedge-b,3,192.0.2.2\ncentral,1,198.51.100.1\n"
#define GROUPS "group,queries\ncity-a,600\ncity-b,400\n"
#define RTT                                                                                        \
	"group,host,rtt_ms\ncity-a,edge-a,2\ncity-a,edge-b,30\ncity-a,central,40\n"                \
	"city-b,edge-a,30\ncity-b,edge-b,3\ncity-b,central,20\n"

START_TEST(test_the_worked_example)
{
	char *hosts = file("hosts.csv", HOSTS), *groups = file("groups.csv", GROUPS),
	     *rtt = file("rtt.csv", RTT);
	char *out = NULL;
	ck_assert_int_eq(PLACE(&out, "--hosts", hosts, "--groups", groups, "--rtt", rtt, "--budget",
	                       "4", "--fallback-ms", "100"),
	                 0);
	/* edge-a + central: (600 x 2 + 400 x 20) / 1000 queries. */
	ck_assert_msg(strstr(out, "chosen (exact, ") != NULL && strstr(out, " edge-a central\n"),
	              "%s", out);
	ck_assert_msg(strstr(out, "latency: mean 9.20 ms") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "next:    edge-b (cost 3) would bring the mean to 2.40 ms") !=
	                  NULL,
	              "%s", out);
	free(out);
	char *announce = harness_strdupf("%s/announce", dir);
	ck_assert_int_eq(PLACE(&out, "--hosts", hosts, "--groups", groups, "--rtt", rtt, "--budget",
	                       "6", "--fallback-ms", "100", "--announce-dir", announce, "--prefix",
	                       "203.0.113.53/32", "--profile", "exabgp"),
	                 0);
	ck_assert_msg(strstr(out, " edge-a edge-b\n") != NULL, "%s", out);
	free(out);
	char *a = harness_strdupf("%s/edge-a.conf", announce);
	char *b = harness_strdupf("%s/edge-b.conf", announce);
	char *c = harness_strdupf("%s/central.conf", announce);
	char *text = harness_read_file(a);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "    profile: exabgp\n    prefix: 203.0.113.53/32\n"));
	free(text);
	ck_assert_int_eq(access(b, F_OK), 0);
	ck_assert_int_eq(access(c, F_OK), -1);
	/* mecdns-announce takes the file: --help after -c parses it first. */
	char *announce_bin = harness_build_path("announce/mecdns-announce");
	char *argv[] = { announce_bin,  "-c",    a,           "--dbus", "unix:path=/nonexistent",
		         "--log-level", "debug", "--version", NULL };
	char *aout = NULL;
	ck_assert_int_eq(harness_run(argv, NULL, &aout, 10000), 0);
	free(aout);
	free(announce_bin);
	free(a);
	free(b);
	free(c);
	free(announce);
	free(hosts);
	free(groups);
	free(rtt);
}
END_TEST

START_TEST(test_json_input_chooses_as_csv_and_the_heuristic_agrees)
{
	char *hosts = file("hosts.csv", HOSTS), *groups = file("groups.csv", GROUPS),
	     *rtt = file("rtt.csv", RTT);
	char *json =
	    file("input.json",
	         "{\"hosts\":[{\"name\":\"edge-a\",\"cost\":3},{\"name\":\"edge-b\",\"cost\":3},"
	         "{\"name\":\"central\",\"cost\":1}],\"groups\":[{\"name\":\"city-a\","
	         "\"queries\":600},{\"name\":\"city-b\",\"queries\":400}],\"rtt\":["
	         "{\"group\":\"city-a\",\"host\":\"edge-a\",\"ms\":2},"
	         "{\"group\":\"city-a\",\"host\":\"edge-b\",\"ms\":30},"
	         "{\"group\":\"city-a\",\"host\":\"central\",\"ms\":40},"
	         "{\"group\":\"city-b\",\"host\":\"edge-a\",\"ms\":30},"
	         "{\"group\":\"city-b\",\"host\":\"edge-b\",\"ms\":3},"
	         "{\"group\":\"city-b\",\"host\":\"central\",\"ms\":20}]}");
	char *csv_out = NULL, *json_out = NULL, *greedy_out = NULL;
	ck_assert_int_eq(PLACE(&csv_out, "--json", "--hosts", hosts, "--groups", groups, "--rtt",
	                       rtt, "--budget", "4", "--fallback-ms", "100"),
	                 0);
	ck_assert_int_eq(
	    PLACE(&json_out, "--json", "--input", json, "--budget", "4", "--fallback-ms", "100"),
	    0);
	ck_assert_int_eq(PLACE(&greedy_out, "--json", "--input", json, "--budget", "4",
	                       "--fallback-ms", "100", "--method", "greedy"),
	                 0);
	const char *chosen = "\"chosen\":\t[\"edge-a\", \"central\"]";
	ck_assert_msg(strstr(csv_out, chosen) != NULL, "%s", csv_out);
	ck_assert_msg(strstr(json_out, chosen) != NULL, "%s", json_out);
	ck_assert_msg(strstr(greedy_out, chosen) != NULL, "%s", greedy_out);
	ck_assert_ptr_nonnull(strstr(greedy_out, "\"method\":\t\"greedy\""));
	free(csv_out);
	free(json_out);
	free(greedy_out);
	free(hosts);
	free(groups);
	free(rtt);
	free(json);
}
END_TEST

START_TEST(test_bad_input_names_file_and_line)
{
	char *hosts = file("hosts.csv", HOSTS), *groups = file("groups.csv", GROUPS);
	char *rtt = file("bad.csv", "group,host,rtt_ms\ncity-a,edge-a,2\ncity-a,nowhere,3\n");
	char *out = NULL;
	ck_assert_int_eq(
	    PLACE(&out, "--hosts", hosts, "--groups", groups, "--rtt", rtt, "--budget", "4"), 2);
	ck_assert_msg(strstr(out, "bad.csv:3: unknown host nowhere") != NULL, "%s", out);
	free(out);
	char *neg = file("neg.csv", "group,host,rtt_ms\ncity-a,edge-a,-1\n");
	ck_assert_int_eq(
	    PLACE(&out, "--hosts", hosts, "--groups", groups, "--rtt", neg, "--budget", "4"), 2);
	ck_assert_msg(strstr(out, "neg.csv:2: the RTT must be a number >= 0") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(PLACE(&out, "--hosts", hosts, "--groups", groups, "--rtt", neg), 2);
	free(out);
	ck_assert_int_eq(PLACE(&out, "--hosts", hosts, "--groups", groups, "--rtt", rtt, "--budget",
	                       "4", "--announce-dir", dir),
	                 2);
	ck_assert_ptr_nonnull(strstr(out, "--announce-dir needs --prefix"));
	free(out);
	free(neg);
	free(hosts);
	free(groups);
	free(rtt);
}
END_TEST

/*! measure asks a real knotd with mod-mecdns (its generation probe) and
 *  leaves out an address where nothing answers; the lines plan as rtt.csv. */
START_TEST(test_measure_asks_real_servers)
{
	char *db = harness_strdupf("%s/mecdns.db", dir);
	char *db_tool = harness_build_path("tools/mecdns-db");
	char *init[] = { db_tool, "-d", db, "init", NULL };
	char *out = NULL;
	ck_assert_int_eq(harness_run(init, NULL, &out, 10000), 0);
	free(out);
	knotd_config_t config = { .tag = "place", .database = db, .global_module = true };
	knotd_t knotd;
	ck_assert_int_eq(knotd_start(&knotd, &config), 0);
	int dead = harness_free_port("127.0.0.1");
	char *served = harness_strdupf("edge-a=127.0.0.1@%d", knotd.port);
	char *silent = harness_strdupf("edge-b=127.0.0.1@%d", dead);
	ck_assert_int_eq(PLACE(&out, "measure", "--group", "city-a", "--count", "5", "--timeout-ms",
	                       "300", served, silent),
	                 0);
	knotd_stop(&knotd);
	double ms = -1;
	const char *line = strstr(out, "city-a,edge-a,");
	ck_assert_msg(line != NULL && sscanf(line, "city-a,edge-a,%lf", &ms) == 1, "%s", out);
	ck_assert_msg(ms > 0 && ms < 300, "RTT %f ms", ms);
	ck_assert_msg(strstr(out, "city-a,edge-b,") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "edge-b answered none of 5 queries") != NULL, "%s", out);
	/* The measured line is rtt.csv input. */
	char *hosts = file("hosts.csv", "edge-a,1\nedge-b,1\n");
	char *groups = file("groups.csv", "city-a,10\n");
	char *rtt = file("rtt.csv", strstr(out, "city-a,edge-a,"));
	free(out);
	ck_assert_int_eq(
	    PLACE(&out, "--hosts", hosts, "--groups", groups, "--rtt", rtt, "--budget", "1"), 0);
	ck_assert_msg(strstr(out, "chosen (exact, ") != NULL && strstr(out, " edge-a\n") != NULL,
	              "%s", out);
	free(out);
	ck_assert_int_eq(PLACE(&out, "measure", "--group", "g", "bad=not-an-address"), 2);
	free(out);
	free(hosts);
	free(groups);
	free(rtt);
	free(served);
	free(silent);
	free(db_tool);
	free(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mecdns-place");
	TCase *tc = tcase_create("cli");
	tcase_add_unchecked_fixture(tc, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_the_worked_example);
	tcase_add_test(tc, test_json_input_chooses_as_csv_and_the_heuristic_agrees);
	tcase_add_test(tc, test_bad_input_names_file_and_line);
	tcase_add_test(tc, test_measure_asks_real_servers);
	suite_add_tcase(s, tc);
	knotd_track_begin();
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (knotd_track_end() != 0) {
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
