/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl (issue 16) against the real stack: knotd with mod-mecdns
 *  (global, edns-client-subnet on) and mecdns-syncd with a token file and
 *  the knot socket, all on one SQLite file. Every check runs the built
 *  mecdnsctl binary and looks at its exit code and output, and at what
 *  knotd then answers. */

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libknot/libknot.h>
#include <sqlite3.h>

#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define ADDR          "127.0.0.1"
#define EVENTUALLY_MS 15000

static struct {
	char *dir;
	char *db;
	char *log;
	char *url;
	char *server; /*!< 127.0.0.1@PORT of knotd. */
	char *admin;  /*!< Token files. */
	char *mm5;
	char *metrics;
	char *wrong;
	char *tenant; /*!< app:A: an edge app's own token. */
	harness_proc_t syncd;
	int port;
	knotd_t knotd;
	bool knotd_running;
	char *tokens_path;
	char *socket_path;
} fx;

/*! \brief Starts mecdns-syncd on the fixture's database (also again). */
static void syncd_start(void)
{
	const char *args[] = { "--database",  fx.db,          "--dbus",        "none",
		               "--tokens",    fx.tokens_path, "--knot-socket", fx.socket_path,
		               "--knot-dbus", "none",         "--knot-poll",   "100",
		               NULL };
	ck_assert_msg(harness_syncd_start(&fx.syncd, ADDR, &fx.port, args, NULL, fx.log, 10000) ==
	                  0,
	              "mecdns-syncd did not start");
	free(fx.url);
	fx.url = harness_strdupf("http://" ADDR ":%d", fx.port);
}

static char *token_file(const char *name, const char *token)
{
	char *path = harness_strdupf("%s/%s.token", fx.dir, name);
	char *text = harness_strdupf("%s\n", token);
	ck_assert_int_eq(harness_write_file(path, text), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
	free(text);
	return path;
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.dir = harness_tmpdir("ctl");
	ck_assert_ptr_nonnull(fx.dir);
	harness_cleanup_dir(fx.dir);
	fx.db = harness_strdupf("%s/mecdns.db", fx.dir);
	fx.log = harness_strdupf("%s/syncd.log", fx.dir);
	char *tokens = harness_strdupf("%s/tokens", fx.dir);
	ck_assert_int_eq(harness_write_file(tokens, "admin-secret admin\n"
	                                            "mm5-secret mm5\n"
	                                            "metrics-secret metrics\n"
	                                            "tenant-secret app:A\n"),
	                 0);
	fx.admin = token_file("admin", "admin-secret");
	fx.mm5 = token_file("mm5", "mm5-secret");
	fx.metrics = token_file("metrics", "metrics-secret");
	fx.wrong = token_file("wrong", "not-a-token");
	fx.tenant = token_file("tenant", "tenant-secret");

	knotd_config_t config = {
		.tag = "ctl",
		.database = fx.db,
		.global_module = true,
		.refresh_interval_ms = 50,
		.edns_client_subnet = true,
	};
	ck_assert_msg(knotd_start(&fx.knotd, &config) == 0, "knotd did not start");
	fx.knotd_running = true;
	fx.server = harness_strdupf(ADDR "@%d", fx.knotd.port);

	fx.socket_path = harness_strdupf("%s/knot.sock", fx.knotd.dir);
	fx.tokens_path = tokens;
	syncd_start();
}

static void teardown(void)
{
	harness_syncd_stop(&fx.syncd, 5000);
	if (fx.knotd_running) {
		knotd_stop(&fx.knotd);
	}
	free(fx.db);
	free(fx.log);
	free(fx.url);
	free(fx.server);
	free(fx.admin);
	free(fx.mm5);
	free(fx.metrics);
	free(fx.wrong);
	free(fx.tenant);
	free(fx.tokens_path);
	free(fx.socket_path);
	free(fx.dir);
}

/*!
 * \brief Runs mecdnsctl -u URL -t TOKEN_FILE [-s SERVER] ARGS... (NULL
 *        ends them); HOME is the test's directory (no user config).
 * \return The exit code; *output (unless NULL) its stdout and stderr.
 */
static int ctl_v(const char *token, bool server, char **output, const char *const *args)
{
	char *bin = harness_build_path("tools/mecdnsctl");
	const char *argv[64] = { bin, "-u", fx.url };
	size_t n = 3;
	if (token != NULL) {
		argv[n++] = "-t";
		argv[n++] = token;
	}
	if (server) {
		argv[n++] = "-s";
		argv[n++] = fx.server;
	}
	for (size_t i = 0; args[i] != NULL && n < 63; i++) {
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	char *home = harness_strdupf("HOME=%s", fx.dir);
	char *env[] = { home, NULL };
	char *out = NULL;
	int ret = harness_run((char *const *)argv, env, &out, 60000);
	if (output != NULL) {
		*output = out != NULL ? out : harness_strdupf("%s", "");
	} else {
		free(out);
	}
	free(home);
	free(bin);
	return ret;
}

#define CTL(token, server, output, ...)                                                            \
	ctl_v(token, server, output, (const char *const[]){ __VA_ARGS__, NULL })

/*! \brief Runs a command that must succeed; returns its output. */
static char *ctl_ok_v(const char *token, bool server, const char *const *args)
{
	char *out = NULL;
	int ret = ctl_v(token, server, &out, args);
	ck_assert_msg(ret == 0, "mecdnsctl %s exit %d:\n%s", args[0], ret, out);
	return out;
}

#define CTL_OK(token, server, ...)                                                                 \
	ctl_ok_v(token, server, (const char *const[]){ __VA_ARGS__, NULL })

static void assert_contains(const char *text, const char *needle)
{
	ck_assert_msg(strstr(text, needle) != NULL, "no \"%s\" in:\n%s", needle, text);
}

/*! \brief The JSON of a --json command (exit 0). */
static cJSON *ctl_json(const char *token, const char *const *args)
{
	const char *argv[32] = { "-j" };
	size_t n = 1;
	for (size_t i = 0; args[i] != NULL && n < 31; i++) {
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	char *out = NULL;
	int ret = ctl_v(token, true, &out, argv);
	ck_assert_msg(ret == 0, "mecdnsctl -j exit %d:\n%s", ret, out);
	cJSON *json = cJSON_Parse(out);
	ck_assert_msg(json != NULL, "not JSON:\n%s", out);
	free(out);
	return json;
}

#define CTL_JSON(token, ...) ctl_json(token, (const char *const[]){ __VA_ARGS__, NULL })

/*! \brief What knotd answers for name A from client (an ECS address or NULL). */
static bool dns_has(const char *name, const char *client, const char *address)
{
	dns_opts_t opts = { .edns_payload = 1232, .ecs = client };
	knot_pkt_t *answer = dns_query(fx.knotd.port, name, KNOT_RRTYPE_A, &opts);
	bool has = answer != NULL && dns_has_address(answer, address);
	knot_pkt_free(answer);
	return has;
}

START_TEST(test_rules_added_changed_and_deleted_are_served_after_wait)
{
	cJSON *rule = CTL_JSON(fx.mm5, "rule", "add", "app1", "r1", "www.example.com", "192.0.2.10",
	                       "ttl=30");
	ck_assert_str_eq(cJSON_GetObjectItem(rule, "ipAddress")->valuestring, "192.0.2.10");
	cJSON_Delete(rule);
	/* The generation of the write, then wait until knotd serves it. */
	char *show = CTL_OK(fx.mm5, false, "rule", "show", "app1", "r1");
	assert_contains(show, "state:      ACTIVE\n");
	const char *gen = strstr(show, "generation: ");
	ck_assert_ptr_nonnull(gen);
	char generation[24];
	ck_assert_int_eq(sscanf(gen, "generation: %23s", generation), 1);
	free(show);
	free(CTL_OK(fx.mm5, true, "wait", generation, "--timeout", "10"));
	ck_assert(dns_has("www.example.com", NULL, "192.0.2.10"));

	char *list = CTL_OK(fx.mm5, false, "rule", "list");
	assert_contains(list, "app1  r1  www.example.com  192.0.2.10  30");
	free(list);

	cJSON *set = CTL_JSON(fx.mm5, "rule", "set", "app1", "r1", "state=INACTIVE");
	ck_assert_str_eq(cJSON_GetObjectItem(set, "state")->valuestring, "INACTIVE");
	cJSON_Delete(set);
	/* wait without --server: syncd's view of the module (knot socket);
	 * without a generation: everything committed so far. */
	char *out = NULL;
	ck_assert_int_eq(CTL(fx.metrics, false, &out, "wait", "--timeout", "10"), 0);
	free(out);
	ck_assert(!dns_has("www.example.com", NULL, "192.0.2.10"));

	char *del = CTL_OK(fx.mm5, false, "rule", "del", "app1", "r1");
	assert_contains(del, "deleted (generation ");
	free(del);
	ck_assert_int_eq(CTL(fx.mm5, false, &out, "rule", "show", "app1", "r1"), 1);
	assert_contains(out, "mecdnsctl: rule show: 404 Not Found: ");
	free(out);
}
END_TEST

START_TEST(test_rrsets_through_the_rrecord_api)
{
	free(CTL_OK(fx.admin, false, "rrset", "set", "txt.example.com", "TXT", "60",
	            "\"edge app\""));
	char *show = CTL_OK(fx.admin, false, "rrset", "show", "txt.example.com", "TXT");
	assert_contains(show, "txt.example.com.\t60\tIN\tTXT\t\"edge app\"\n");
	free(show);
	char *list = CTL_OK(fx.admin, false, "rrset", "list");
	assert_contains(list, "; zone .\ntxt.example.com.\t60\tIN\tTXT\t\"edge app\"\n");
	free(list);
	/* The mm5 scope may not touch rrecord sets: 403 with what to do. */
	char *out = NULL;
	ck_assert_int_eq(CTL(fx.mm5, false, &out, "rrset", "del", "txt.example.com", "TXT"), 1);
	assert_contains(out, "403");
	assert_contains(out, "lacks the scope");
	free(out);
	/* A scoped set beside it: its own key (subnets=, any order). */
	free(CTL_OK(fx.admin, false, "rrset", "set", "txt.example.com", "TXT", "60", "\"site a\"",
	            "subnets=2001:db8:45::/48,10.45.0.0/16"));
	show = CTL_OK(fx.admin, false, "rrset", "show", "txt.example.com", "TXT",
	              "subnets=10.45.0.0/16,2001:db8:45::/48");
	assert_contains(show, "txt.example.com.\t60\tIN\tTXT\t\"site a\"\t; "
	                      "subnets=10.45.0.0/16,2001:db8:45::/48\n");
	free(show);
	show = CTL_OK(fx.admin, false, "rrset", "show", "txt.example.com", "TXT");
	assert_contains(show, "txt.example.com.\t60\tIN\tTXT\t\"edge app\"\n");
	free(show);
	ck_assert_int_eq(CTL(fx.admin, false, &out, "rrset", "show", "txt.example.com", "TXT",
	                     "subnets=10.45.0.1/16"),
	                 1);
	assert_contains(out, "clientSubnets");
	free(out);
	free(CTL_OK(fx.admin, false, "rrset", "del", "txt.example.com", "TXT"));
	ck_assert_int_eq(CTL(fx.admin, false, &out, "rrset", "show", "txt.example.com", "TXT"), 1);
	free(out);
	list = CTL_OK(fx.admin, false, "rrset", "list");
	assert_contains(list, "\"site a\"\t; subnets=10.45.0.0/16,2001:db8:45::/48\n");
	free(list);
	free(CTL_OK(fx.admin, false, "rrset", "del", "txt.example.com", "TXT",
	            "subnets=10.45.0.0/16,2001:db8:45::/48"));
	list = CTL_OK(fx.admin, false, "rrset", "list");
	ck_assert_msg(strstr(list, "txt.example.com") == NULL, "left: %s", list);
	free(list);
}
END_TEST

/*! lookup's explanation (syncd, the module's code on the stored rows) and
 *  knotd's own answer agree for clients inside and outside every scope. */
START_TEST(test_lookup_says_why_and_agrees_with_knotd)
{
	free(CTL_OK(fx.mm5, false, "rule", "add", "A", "central", "app.example.com", "192.0.2.1",
	            "ttl=30"));
	free(CTL_OK(fx.mm5, false, "rule", "add", "A", "site-a", "app.example.com", "10.45.0.10",
	            "ttl=30", "subnets=10.45.0.0/16"));
	free(CTL_OK(fx.mm5, false, "rule", "add", "A", "cell", "app.example.com", "10.45.7.10",
	            "ttl=30", "subnets=10.45.7.0/24"));
	free(CTL_OK(fx.mm5, false, "rule", "add", "A", "off", "app.example.com", "10.99.0.1",
	            "state=INACTIVE"));
	free(CTL_OK(fx.metrics, true, "wait", "--timeout", "10"));

	char *out = CTL_OK(fx.mm5, true, "lookup", "app.example.com", "A", "--client", "10.45.3.4");
	assert_contains(out, "answer:  A 10.45.0.10 (ttl 30)\n");
	assert_contains(out, "decided by client subnet 10.45.0.0/16, ECS scope /22\n");
	assert_contains(out, "rule     A/site-a 10.45.0.10 ACTIVE clients 10.45.0.0/16: answers\n");
	assert_contains(out, "rule     A/central 192.0.2.1 ACTIVE clients all: not used: unscoped: "
	                     "a client subnet decided\n");
	assert_contains(out, "rule     A/cell 10.45.7.10 ACTIVE clients 10.45.7.0/24: not used: "
	                     "another client subnet decided\n");
	assert_contains(out, "rule     A/off 10.99.0.1 INACTIVE clients all: not used: INACTIVE\n");
	assert_contains(out, "answered NOERROR: A 10.45.0.10, ECS scope /22\n");
	free(out);

	const char *clients[] = { "10.45.3.4",    "10.45.7.200", "10.46.0.1",  "10.45.7.0/24",
		                  "10.45.0.0/16", "192.0.2.77",  "2001:db8::1" };
	for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		cJSON *l =
		    CTL_JSON(fx.mm5, "lookup", "app.example.com", "A", "--client", clients[i]);
		const cJSON *records = cJSON_GetObjectItem(l, "records");
		const cJSON *server = cJSON_GetObjectItem(l, "server");
		ck_assert_ptr_nonnull(server);
		ck_assert_int_eq(cJSON_GetArraySize(records), 1);
		char *want = harness_strdupf(
		    "A %s",
		    cJSON_GetObjectItem(cJSON_GetArrayItem(records, 0), "data")->valuestring);
		const cJSON *got = cJSON_GetArrayItem(cJSON_GetObjectItem(server, "records"), 0);
		ck_assert_msg(got != NULL && strcmp(got->valuestring, want) == 0,
		              "client %s: lookup says %s, knotd answers %s", clients[i], want,
		              got != NULL ? got->valuestring : "nothing");
		char *scope = harness_strdupf(
		    "/%.0f", cJSON_GetObjectItem(l, "scopePrefixLength")->valuedouble);
		ck_assert_str_eq(cJSON_GetObjectItem(server, "scope")->valuestring, scope);
		free(scope);
		free(want);
		cJSON_Delete(l);
	}

	/* Types and names without data. */
	out = CTL_OK(fx.mm5, false, "lookup", "app.example.com", "AAAA");
	assert_contains(out, "answer:  NODATA");
	free(out);
	out = CTL_OK(fx.mm5, false, "lookup", "nothing.example.com");
	assert_contains(out, "answer:  none from mod-mecdns: nothing stored at the name");
	free(out);
	ck_assert_int_eq(
	    CTL(fx.mm5, false, &out, "lookup", "app.example.com", "A", "--client", "10.45.0.1/33"),
	    1);
	assert_contains(out, "400");
	free(out);
}
END_TEST

START_TEST(test_status_stats_and_a_wait_that_times_out)
{
	char *out = NULL;
	/* Serving comes once the module has the (empty) database. */
	long long deadline = harness_now_ms() + EVENTUALLY_MS;
	int ret;
	while ((ret = CTL(fx.metrics, false, &out, "status")) != 0 && harness_now_ms() < deadline) {
		free(out);
		harness_sleep_ms(100);
	}
	ck_assert_msg(ret == 0, "status: %d\n%s", ret, out);
	assert_contains(out, "syncd:       ready\n");
	assert_contains(out, "auth:        tokens\n");
	assert_contains(out, "knotd:       running, serving, module generation 0");
	free(out);
	out = CTL_OK(fx.metrics, false, "stats");
	assert_contains(out, "mecdns_module_up ");
	free(out);
	ck_assert_int_eq(CTL(fx.metrics, true, &out, "wait", "1000", "--timeout", "1"), 4);
	assert_contains(out, "generation 1000 not served after 1 s (serving 0)");
	free(out);
	/* knotd gone: status says so and exits 1; a wait on it cannot confirm. */
	knotd_stop(&fx.knotd);
	fx.knotd_running = false;
	deadline = harness_now_ms() + EVENTUALLY_MS;
	while ((ret = CTL(fx.metrics, false, &out, "status")) == 0 && harness_now_ms() < deadline) {
		free(out);
		harness_sleep_ms(100);
	}
	ck_assert_int_eq(ret, 1);
	assert_contains(out, "syncd:       NOT READY: not serving");
	free(out);
	ck_assert_int_eq(CTL(fx.metrics, true, &out, "wait", "0", "--timeout", "1"), 4);
	assert_contains(out, "no answer from the DNS server");
	free(out);
}
END_TEST

START_TEST(test_errors_name_what_failed_and_change_nothing)
{
	char *out = NULL;
	ck_assert_int_eq(CTL(fx.wrong, false, &out, "rule", "list"), 1);
	assert_contains(out, "401");
	assert_contains(out, "give a valid token");
	free(out);
	ck_assert_int_eq(CTL(NULL, false, &out, "status"), 1);
	assert_contains(out, "401");
	free(out);
	/* An edge app's own token sees nothing of the operator's tools: no
	 * lookup (it would show other apps' rules), no listing, no backup. */
	ck_assert_int_eq(CTL(fx.tenant, false, &out, "lookup", "www.example.com"), 1);
	assert_contains(out, "403");
	free(out);
	ck_assert_int_eq(CTL(fx.tenant, false, &out, "rule", "list"), 1);
	assert_contains(out, "403");
	free(out);
	char *tenant_backup = harness_strdupf("%s/tenant.db", fx.dir);
	ck_assert_int_eq(CTL(fx.tenant, false, &out, "backup", tenant_backup), 1);
	assert_contains(out, "403");
	free(out);
	ck_assert_int_eq(access(tenant_backup, F_OK), -1);
	char *part = harness_strdupf("%s.part", tenant_backup);
	ck_assert_int_eq(access(part, F_OK), -1);
	free(part);
	free(tenant_backup);
	ck_assert_int_eq(
	    CTL(fx.mm5, false, &out, "rule", "add", "A", "r1", "x.example.com", "192.0.2.300"), 2);
	assert_contains(out, "address 192.0.2.300 is not an IPv4 or IPv6 address");
	free(out);
	ck_assert_int_eq(
	    CTL(fx.mm5, false, &out, "rule", "add", "A", "r1", "bad..name", "192.0.2.3"), 1);
	assert_contains(out, "400");
	free(out);
	ck_assert_int_eq(CTL(fx.mm5, false, &out, "rule", "set", "A", "r1", "colour=red"), 2);
	assert_contains(out, "unknown key \"colour\"");
	free(out);
	ck_assert_int_eq(CTL(fx.mm5, false, &out, "frobnicate"), 2);
	free(out);
	/* Nothing was stored by any of it. */
	cJSON *rules = CTL_JSON(fx.mm5, "rule", "list");
	ck_assert_int_eq(cJSON_GetArraySize(rules), 0);
	cJSON_Delete(rules);

	/* No syncd at the URL: exit 3 naming it. */
	int free_port = harness_free_port(ADDR);
	char *bin = harness_build_path("tools/mecdnsctl");
	char *url = harness_strdupf("http://" ADDR ":%d", free_port);
	char *argv[] = { bin, "-u", url, "status", NULL };
	ck_assert_int_eq(harness_run(argv, NULL, &out, 20000), 3);
	assert_contains(out, "cannot reach mecdns-syncd at ");
	free(out);
	free(url);
	free(bin);
	/* A config file with an unknown item: exit 2 naming file and line. */
	char *conf = harness_strdupf("%s/ctl.conf", fx.dir);
	ck_assert_int_eq(harness_write_file(conf, "mecdnsctl:\n    colour: red\n"), 0);
	ck_assert_int_eq(CTL(fx.mm5, false, &out, "-c", conf, "status"), 2);
	free(out);
	char *conf_ok =
	    harness_strdupf("mecdnsctl:\n    url: %s\n    token-file: %s\n", fx.url, fx.metrics);
	ck_assert_int_eq(harness_write_file(conf, conf_ok), 0);
	bin = harness_build_path("tools/mecdnsctl");
	char *argv2[] = { bin, "-c", conf, "status", NULL };
	int ret = harness_run(argv2, NULL, &out, 20000);
	ck_assert_msg(ret == 0 || ret == 1, "config-file status: %d\n%s", ret, out);
	assert_contains(out, "auth:        tokens");
	free(out);
	free(bin);
	free(conf_ok);
	free(conf);
}
END_TEST

static int count_rows(const char *path, const char *table)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	char *sql = harness_strdupf("SELECT count(*) FROM %s", table);
	sqlite3_stmt *stmt = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	int count = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	free(sql);
	return count;
}

/*! \brief rules and rrsets of an export, without its generation. */
static char *export_text(void)
{
	cJSON *doc = CTL_JSON(fx.admin, "export");
	cJSON_DeleteItemFromObject(doc, "generation");
	char *text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return text;
}

START_TEST(test_backup_and_restore_while_syncd_serves)
{
	free(CTL_OK(fx.mm5, false, "rule", "add", "A", "r1", "a.example.com", "192.0.2.1"));
	free(CTL_OK(fx.mm5, false, "rule", "add", "A", "r2", "b.example.com", "2001:db8::2",
	            "ttl=5", "subnets=2001:db8::/32,10.0.0.0/8"));
	free(CTL_OK(fx.mm5, false, "rule", "add", "B", "r1", "c.example.com", "192.0.2.3",
	            "state=INACTIVE"));
	free(CTL_OK(fx.admin, false, "rrset", "set", "mx.example.com", "MX", "300",
	            "10 mail.example.com."));
	free(CTL_OK(fx.admin, false, "rrset", "set", "mx.example.com", "MX", "300",
	            "10 site-a.example.com.", "subnets=10.45.0.0/16"));
	char *before = export_text();

	char *backup = harness_strdupf("%s/backup.db", fx.dir);
	char *out = CTL_OK(fx.admin, false, "backup", backup);
	assert_contains(out, "backup of generation 5 written to ");
	free(out);
	ck_assert_int_eq(count_rows(backup, "rules"), 3);
	ck_assert_int_eq(count_rows(backup, "rrsets"), 2);
	/* Only admin may take one; an existing file is kept. */
	ck_assert_int_eq(CTL(fx.mm5, false, &out, "backup", "--force", backup), 1);
	assert_contains(out, "403");
	free(out);
	ck_assert_int_eq(CTL(fx.admin, false, &out, "backup", backup), 5);
	assert_contains(out, "exists; give --force");
	free(out);
	ck_assert_int_eq(count_rows(backup, "rules"), 3);

	/* Change everything, then restore. */
	free(CTL_OK(fx.mm5, false, "rule", "del", "A", "r1"));
	free(
	    CTL_OK(fx.mm5, false, "rule", "set", "A", "r2", "subnets=none", "address=2001:db8::9"));
	free(CTL_OK(fx.mm5, false, "rule", "add", "C", "new", "d.example.com", "192.0.2.4"));
	free(CTL_OK(fx.admin, false, "rrset", "set", "mx.example.com", "MX", "60",
	            "20 other.example.com."));
	free(CTL_OK(fx.admin, false, "rrset", "set", "t.example.com", "TXT", "60", "\"x\""));
	/* Another scope of the same name and type: a set of its own to prune. */
	free(CTL_OK(fx.admin, false, "rrset", "set", "mx.example.com", "MX", "300",
	            "10 site-b.example.com.", "subnets=10.46.0.0/16"));
	char *changed = export_text();
	ck_assert_str_ne(before, changed);
	/* Without --yes nothing happens. */
	ck_assert_int_eq(CTL(fx.admin, false, &out, "restore", backup), 2);
	assert_contains(out, "holds 3 rules");
	free(out);
	char *still = export_text();
	ck_assert_str_eq(still, changed);
	free(still);

	out = CTL_OK(fx.admin, false, "restore", "--yes", backup);
	assert_contains(out, "rules:  1 created, 1 updated, 1 unchanged, 1 deleted, 0 failed\n");
	assert_contains(out, "rrsets: 0 created, 1 updated, 1 unchanged, 2 deleted, 0 failed\n");
	free(out);
	char *after = export_text();
	ck_assert_str_eq(after, before);
	/* And knotd serves the restored data. */
	free(CTL_OK(fx.metrics, true, "wait", "--timeout", "10"));
	ck_assert(dns_has("a.example.com", NULL, "192.0.2.1"));
	ck_assert(!dns_has("d.example.com", NULL, "192.0.2.4"));
	/* A file that is not a backup changes nothing either. */
	char *junk = harness_strdupf("%s/junk.db", fx.dir);
	ck_assert_int_eq(harness_write_file(junk, "not a database"), 0);
	ck_assert_int_eq(CTL(fx.admin, false, &out, "restore", "--yes", junk), 5);
	assert_contains(out, "is not a mecdns database");
	free(out);
	char *last = export_text();
	ck_assert_str_eq(last, before);
	free(last);
	free(junk);
	free(after);
	free(changed);
	free(before);
	free(backup);

	/* A copy a killed syncd left beside the database goes at the next start. */
	ck_assert_int_eq(harness_syncd_stop(&fx.syncd, 5000), 0);
	char *stale = harness_strdupf("%s.backup-Zk9fQ2", fx.db);
	ck_assert_int_eq(harness_write_file(stale, "half a backup"), 0);
	syncd_start();
	ck_assert_int_ne(access(stale, F_OK), 0);
	char *log = harness_read_file(fx.log);
	assert_contains(log, "a backup copy left by an earlier run");
	free(log);
	free(stale);
}
END_TEST

START_TEST(test_export_import_round_trip_resumes_and_prunes)
{
	for (int i = 0; i < 30; i++) {
		char id[16], name[64], addr[32];
		snprintf(id, sizeof(id), "r%d", i);
		snprintf(name, sizeof(name), "n%d.example.com", i);
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		free(CTL_OK(fx.mm5, false, "rule", "add", i % 2 ? "A" : "B", id, name, addr));
	}
	char *zone = harness_strdupf("%s/import.zone", fx.dir);
	ck_assert_int_eq(harness_write_file(zone, "$ORIGIN example.com.\n$TTL 120\n"
	                                          "z1 IN A 192.0.2.200\nz1 IN A 192.0.2.201\n"
	                                          "z2 300 IN MX 10 mail\n"
	                                          "@ IN NS ns1\n"),
	                 0);
	char *out = CTL_OK(fx.admin, false, "import", zone);
	assert_contains(out, "rrsets: 2 created, 0 updated, 0 unchanged, 0 deleted, 0 failed\n");
	free(out);
	out = CTL_OK(fx.admin, false, "rrset", "show", "z2.example.com", "MX");
	assert_contains(out, "z2.example.com.\t300\tIN\tMX\t10 mail.example.com.\n");
	free(out);

	char *file = harness_strdupf("%s/export.json", fx.dir);
	free(CTL_OK(fx.admin, false, "export", file));
	char *before = export_text();
	out = CTL_OK(fx.admin, false, "export", "--format", "zone");
	assert_contains(out, "n3.example.com.\t60\tIN\tA\t192.0.2.4\t; rule A/r3\n");
	assert_contains(out, "z1.example.com.\t120\tIN\tA\t192.0.2.201\n");
	free(out);

	/* A half-done import (half the rules gone) is finished by running it
	 * again: only what differs is written. */
	for (int i = 0; i < 15; i++) {
		char id[16];
		snprintf(id, sizeof(id), "r%d", i);
		free(CTL_OK(fx.mm5, false, "rule", "del", i % 2 ? "A" : "B", id));
	}
	free(CTL_OK(fx.mm5, false, "rule", "set", "A", "r21", "ttl=99"));
	free(CTL_OK(fx.mm5, false, "rule", "add", "Z", "extra", "extra.example.com", "192.0.2.99"));
	out = CTL_OK(fx.admin, false, "import", "--resume", file);
	assert_contains(out, "rules:  15 created, 1 updated, 14 unchanged, 0 deleted, 0 failed\n");
	free(out);
	out = CTL_OK(fx.admin, false, "import", file);
	assert_contains(out, "rules:  0 created, 0 updated, 30 unchanged, 0 deleted, 0 failed\n");
	free(out);
	/* --prune removes what the file lacks. */
	out = CTL_OK(fx.admin, false, "import", "--prune", file);
	assert_contains(out, "rules:  0 created, 0 updated, 30 unchanged, 1 deleted, 0 failed\n");
	free(out);
	char *after = export_text();
	ck_assert_str_eq(after, before);
	/* Not an export nor a zone file: nothing changes. */
	char *bad = harness_strdupf("%s/bad.json", fx.dir);
	ck_assert_int_eq(harness_write_file(bad, "{\"rules\": []}"), 0);
	ck_assert_int_eq(CTL(fx.admin, false, &out, "import", "--prune", bad), 5);
	assert_contains(out, "is not a mecdnsctl export");
	free(out);
	char *last = export_text();
	ck_assert_str_eq(last, before);
	free(last);
	free(bad);
	free(after);
	free(before);
	free(file);
	free(zone);
}
END_TEST

/*! An import killed (-9) in the middle leaves what it wrote; running it
 *  again finishes it, and the result is exactly the file. */
START_TEST(test_an_import_killed_midway_is_finished_by_running_it_again)
{
	char *file = harness_strdupf("%s/big.json", fx.dir);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"mecdnsExport\": 1, \"generation\": 0, \"rrsets\": [], \"rules\": [");
	const int rules = 3000;
	for (int i = 0; i < rules; i++) {
		fprintf(f,
		        "%s{\"appInstanceId\":\"app%d\",\"dnsRuleId\":\"r%d\",\"domainName\":"
		        "\"n%d.example.com\",\"ipAddressType\":\"IP_V4\",\"ipAddress\":"
		        "\"10.0.%d.%d\",\"state\":\"ACTIVE\"}",
		        i > 0 ? "," : "", i % 7, i, i, i / 250, i % 250 + 1);
	}
	fprintf(f, "]}\n");
	ck_assert_int_eq(fclose(f), 0);

	char *bin = harness_build_path("tools/mecdnsctl");
	char *log = harness_strdupf("%s/import.log", fx.dir);
	char *home = harness_strdupf("HOME=%s", fx.dir);
	char *env[] = { home, NULL };
	char *argv[] = { bin, "-u", fx.url, "-t", fx.admin, "import", file, NULL };
	harness_proc_t import;
	ck_assert_int_eq(harness_spawn(&import, "import", argv, env, log), 0);
	/* Kill it once some rules are in, long before it is done. */
	long long deadline = harness_now_ms() + 20000;
	int active = 0;
	while (active < 200 && harness_now_ms() < deadline) {
		harness_sleep_ms(20);
		cJSON *now = CTL_JSON(fx.mm5, "rule", "list");
		active = cJSON_GetArraySize(now);
		cJSON_Delete(now);
	}
	ck_assert_int_eq(harness_signal(&import, SIGKILL), 0);
	harness_wait_exit(&import, 5000);
	cJSON *midway = CTL_JSON(fx.mm5, "rule", "list");
	int done = cJSON_GetArraySize(midway);
	cJSON_Delete(midway);
	ck_assert_msg(done >= 200 && done < rules, "%d of %d rules in when killed", done, rules);

	/* A POST in flight when the client died may still commit: what was
	 * already in is at least what the listing showed. */
	char *out = CTL_OK(fx.admin, false, "import", "--resume", file);
	int created = -1, updated = -1, unchanged = -1;
	const char *line = strstr(out, "rules:  ");
	ck_assert_msg(line != NULL && sscanf(line, "rules:  %d created, %d updated, %d unchanged",
	                                     &created, &updated, &unchanged) == 3,
	              "%s", out);
	ck_assert_int_eq(updated, 0);
	ck_assert_int_ge(unchanged, done);
	ck_assert_int_eq(created + unchanged, rules);
	assert_contains(out, "0 deleted, 0 failed");
	free(out);
	cJSON *all = CTL_JSON(fx.mm5, "rule", "list");
	ck_assert_int_eq(cJSON_GetArraySize(all), rules);
	cJSON_Delete(all);
	free(home);
	free(log);
	free(bin);
	free(file);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("mecdnsctl");
	TCase *tc = tcase_create("ctl");
	tcase_add_unchecked_fixture(tc, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rules_added_changed_and_deleted_are_served_after_wait);
	tcase_add_test(tc, test_rrsets_through_the_rrecord_api);
	tcase_add_test(tc, test_lookup_says_why_and_agrees_with_knotd);
	tcase_add_test(tc, test_status_stats_and_a_wait_that_times_out);
	tcase_add_test(tc, test_errors_name_what_failed_and_change_nothing);
	tcase_add_test(tc, test_backup_and_restore_while_syncd_serves);
	tcase_add_test(tc, test_export_import_round_trip_resumes_and_prunes);
	tcase_add_test(tc, test_an_import_killed_midway_is_finished_by_running_it_again);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	knotd_track_begin();
	SRunner *sr = srunner_create(ctl_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (knotd_track_end() != 0) {
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
