/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The type-agreement test: one table of record types, each with what mecdns
 *  must do with it, driven through every part that decides -- the answer
 *  rules library (common/answer.h), the rrecord API and the store (a real
 *  mecdns-syncd on a real SQLite file), mecdns-db, the module (a real knotd
 *  with the built mod-mecdns) and zone sync (syncd writing a real Knot zone,
 *  read back with knotc zone-read). Sets of types the API refuses are
 *  written into the database by hand, as an old or hand-edited database
 *  could hold them, so the module and zone sync are checked on them too.
 *  Any part that disagrees with the table fails the test.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/answer.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define ZONE    "types.test."
#define ADDR    "127.0.0.1"
#define RRECORD "/mep/dns_server_mgmt/v1/rrecord"
/*! Deadline of "eventually" (a module refresh, a zone sync round). */
#define EVENTUALLY_MS 15000

/*! One row of the table. */
typedef struct {
	const char *type;  /*!< Mnemonic as the API gets it. */
	uint16_t code;     /*!< Its RR type code. */
	const char *rdata; /*!< Presentation format. */
	const char *shown; /*!< What kdig +short / knotc show of it. */
	bool served;       /*!< The expectation: stored, answered, synced. */
} type_row_t;

/* The types that must be refused get valid data of their type in RFC 3597's
 * generic form (shown: its wire in hex), so that only the type decides. */
static const type_row_t TABLE[] = {
	{ "A", 1, "192.0.2.7", "192.0.2.7", true },
	{ "AAAA", 28, "2001:db8::7", "2001:db8::7", true },
	{ "TXT", 16, "\\\"agreed\\\"", "agreed", true },
	{ "MX", 15, "10 mx.types.test.", "mx.types.test.", true },
	{ "SRV", 33, "0 5 5060 sip.types.test.", "sip.types.test.", true },
	{ "CAA", 257, "0 issue \\\"ca.test\\\"", "ca.test", true },
	{ "TYPE65280", 65280, "\\\\# 2 abcd", "abcd", true },
	{ "SOA", 6, "\\\\# 22 00000000000000000000000000000000000000000000",
	  "00000000000000000000000000000000000000000000", false },
	{ "NS", 2, "\\\\# 3 017800", "017800", false },
	{ "DS", 43, "\\\\# 5 30390d02ab", "30390d02ab", false },
	{ "DNSKEY", 48, "\\\\# 5 0100030801", "0100030801", false },
	{ "RRSIG", 46, "\\\\# 20 00010d020000003c0000000200000001303900ab",
	  "00010d020000003c0000000200000001303900ab", false },
	{ "NSEC", 47, "\\\\# 6 017800000140", "017800000140", false },
	{ "CDS", 59, "\\\\# 5 30390d02ab", "30390d02ab", false },
	{ "DNAME", 39, "\\\\# 3 017800", "017800", false },
	{ "KEY", 25, "\\\\# 5 0100030801", "0100030801", false },
	{ "NXT", 30, "\\\\# 4 01780040", "01780040", false },
	{ "TYPE128", 128, "\\\\# 4 c0000201", "c0000201", false },
	{ "TYPE254", 254, "\\\\# 4 c0000201", "c0000201", false },
	{ "TYPE200", 200, "\\\\# 4 c0000201", "c0000201", false },
};
#define ROWS (sizeof(TABLE) / sizeof(TABLE[0]))

static char *dir, *db, *knot_conf, *knot_sock, *syncd_log;
static int knot_port, syncd_port;
static harness_proc_t knotd, syncd;

static const char *tool(const char *env, const char *fallback)
{
	const char *path = getenv(env);
	return path != NULL && *path != '\0' ? path : fallback;
}

/*! \brief The owner of row i: t<i>.types.test. */
static char *owner_of(size_t i)
{
	return harness_strdupf("t%zu." ZONE, i);
}

static int rest(const char *method, const char *path, const char *body, char **answer)
{
	http_response_t resp;
	ck_assert_int_eq(http_request(ADDR, syncd_port, method, path, NULL, body,
	                              body != NULL ? strlen(body) : 0, &resp),
	                 0);
	int status = resp.status;
	if (answer != NULL) {
		*answer = strdup(resp.body != NULL ? resp.body : "");
	}
	http_response_free(&resp);
	return status;
}

static void start_syncd(bool sync)
{
	const char *plain[] = { "--database", db, "--dbus", "none", "--knot-dbus", "none", NULL };
	const char *synced[] = {
		"--database",    db,        "--dbus",      "none", "--knot-dbus", "none",
		"--knot-socket", knot_sock, "--sync-zone", ZONE,   NULL
	};
	ck_assert_msg(harness_syncd_start(&syncd, ADDR, &syncd_port, sync ? synced : plain, NULL,
	                                  syncd_log, 10000) == 0,
	              "mecdns-syncd did not start listening");
}

static void start_knotd(void)
{
	char *module = harness_build_path("module/.libs/mecdns.so");
	char *zone_file = harness_strdupf("%s/types.test.zone", dir);
	ck_assert_int_eq(harness_write_file(zone_file, "$ORIGIN " ZONE "\n$TTL 300\n"
	                                               "@ SOA ns hostmaster 1 3600 900 604800 300\n"
	                                               "@ NS ns\nns A 192.0.2.53\n"),
	                 0);
	char *text = harness_strdupf("server:\n"
	                             "    rundir: %s\n"
	                             "    listen: " ADDR "@%d\n"
	                             "    udp-workers: 1\n"
	                             "    tcp-workers: 1\n"
	                             "    background-workers: 1\n"
	                             "control:\n"
	                             "    listen: %s\n"
	                             "log:\n"
	                             "  - target: stderr\n"
	                             "    any: info\n"
	                             "database:\n"
	                             "    storage: %s/storage\n"
	                             "module:\n"
	                             "  - id: mod-mecdns\n"
	                             "    file: %s\n"
	                             "mod-mecdns:\n"
	                             "  - id: default\n"
	                             "    database: %s\n"
	                             "    refresh-interval: 50\n"
	                             "template:\n"
	                             "  - id: default\n"
	                             "    storage: %s\n"
	                             "    global-module: mod-mecdns/default\n"
	                             "zone:\n"
	                             "  - domain: " ZONE "\n"
	                             "    file: %s\n"
	                             "    zonefile-sync: -1\n"
	                             "    zonefile-load: difference-no-serial\n"
	                             "    journal-content: all\n",
	                             dir, knot_port, knot_sock, dir, module, db, dir, zone_file);
	ck_assert_int_eq(harness_write_file(knot_conf, text), 0);
	char *log = harness_strdupf("%s/knotd.log", dir);
	ck_assert_int_eq(knotd_spawn(&knotd, knot_conf, NULL, log), 0);
	ck_assert_int_eq(harness_wait_tcp(ADDR, knot_port, 10000), 0);
	free(log);
	free(text);
	free(zone_file);
	free(module);
}

/*! \brief kdig owner type against the module's knotd: the answer section
 *         in full (answer) or its data only (+short). */
static char *dig_as(const char *owner, uint16_t code, bool full)
{
	char *port = harness_strdupf("%d", knot_port);
	char *type = harness_strdupf("TYPE%u", code);
	char *argv[] = { (char *)tool("KDIG", "/usr/bin/kdig"),
		         "@" ADDR,
		         "-p",
		         port,
		         (char *)owner,
		         type,
		         full ? "+noall" : "+short",
		         full ? "+answer" : "+time=1",
		         "+time=1",
		         "+retry=0",
		         NULL };
	char *output = NULL;
	int ret = harness_run(argv, NULL, &output, 5000);
	free(type);
	free(port);
	ck_assert_msg(ret == 0, "kdig %s failed", owner);
	return output != NULL ? output : strdup("");
}

static char *dig(const char *owner, uint16_t code)
{
	return dig_as(owner, code, false);
}

static char *dig_answer(const char *owner, uint16_t code)
{
	return dig_as(owner, code, true);
}

/*! \brief What knotc zone-read shows of owner/type in the zone. */
static char *zone_read(const char *owner, uint16_t code)
{
	char *type = harness_strdupf("TYPE%u", code);
	char *argv[] = { (char *)tool("KNOTC", "/usr/sbin/knotc"),
		         "-c",
		         knot_conf,
		         "zone-read",
		         ZONE,
		         (char *)owner,
		         type,
		         NULL };
	char *output = NULL;
	harness_run(argv, harness_module_env(), &output, 10000);
	free(type);
	return output != NULL ? output : strdup("");
}

/*! \brief The text a JSON string literal stands for (\\" and \\\\ only). */
static char *unjson(const char *text)
{
	char *copy = strdup(text);
	char *out = copy;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
			p++;
		}
		*out++ = *p;
	}
	*out = '\0';
	return copy;
}

/*! \brief Lower-cased copy (kdig and knotc print hex in either case). */
static char *lower(const char *text)
{
	char *copy = strdup(text);
	for (char *p = copy; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			*p = (char)(*p - 'A' + 'a');
		}
	}
	return copy;
}

static bool shows(const char *output, const char *shown)
{
	char *a = lower(output);
	char *b = lower(shown);
	bool found = strstr(a, b) != NULL;
	free(a);
	free(b);
	return found;
}

START_TEST(every_part_agrees_with_the_table)
{
	/* The answer rules library itself. */
	for (size_t i = 0; i < ROWS; i++) {
		ck_assert_msg(mecdns_type_served(TABLE[i].code) == TABLE[i].served,
		              "common/answer: %s served=%d", TABLE[i].type, !TABLE[i].served);
		ck_assert_msg((mecdns_type_refusal(TABLE[i].code) == NULL) == TABLE[i].served,
		              "common/answer: refusal of %s", TABLE[i].type);
	}

	/* The API and the store: a served type is stored (GET finds it), any
	 * other is refused with a 400 naming the type, and nothing is stored. */
	start_syncd(false);
	for (size_t i = 0; i < ROWS; i++) {
		const type_row_t *row = &TABLE[i];
		char *owner = owner_of(i);
		char *body = harness_strdupf("{\"name\":\"%s\",\"type\":\"%s\",\"class\":\"IN\","
		                             "\"ttl\":60,\"rData\":[\"%s\"]}",
		                             owner, row->type, row->rdata);
		char *answer = NULL;
		int status = rest("POST", RRECORD "?zone=.", body, &answer);
		if (row->served) {
			ck_assert_msg(status == 200, "API: POST %s answered %d: %s", row->type,
			              status, answer);
		} else {
			ck_assert_msg(status == 400 && strstr(answer, row->type) != NULL,
			              "API: POST %s must be a 400 naming the type, got %d: %s",
			              row->type, status, answer);
		}
		free(answer);
		char *path = harness_strdupf(RRECORD "/%s/%s?zone=.", owner, row->type);
		status = rest("GET", path, NULL, NULL);
		/* Not stored: 404, or 400 since the type cannot be named at all. */
		ck_assert_msg(row->served ? status == 200 : status == 404 || status == 400,
		              "store: GET %s answered %d", row->type, status);
		/* Every owner also gets an A, so that the module has the name and
		 * answers for it (or passes the query through) on its own rules. */
		if (row->code != 1) {
			free(body);
			body = harness_strdupf("{\"name\":\"%s\",\"type\":\"A\",\"class\":\"IN\","
			                       "\"ttl\":60,\"rData\":[\"192.0.2.%zu\"]}",
			                       owner, 100 + i);
			ck_assert_int_eq(rest("POST", RRECORD "?zone=.", body, NULL), 200);
		}
		free(path);
		free(body);
		free(owner);
	}
	ck_assert_int_eq(harness_syncd_stop(&syncd, 10000), 0);

	/* mecdns-db reads types with the API's parser: the same verdicts (on a
	 * scratch database). */
	char *db_tool = harness_build_path("tools/mecdns-db");
	char *scratch = harness_strdupf("%s/scratch.db", dir);
	char *init[] = { db_tool, "-d", scratch, "init", NULL };
	ck_assert_int_eq(harness_run(init, NULL, NULL, 10000), 0);
	for (size_t i = 0; i < ROWS; i++) {
		char *owner = owner_of(i);
		char *rdata = unjson(TABLE[i].rdata);
		char *argv[] = {
			db_tool, "-d",  scratch, "rrset-set", ".", owner, (char *)TABLE[i].type,
			"60",    rdata, NULL
		};
		char *output = NULL;
		int ret = harness_run(argv, NULL, &output, 10000);
		ck_assert_msg(TABLE[i].served ? ret == 0
		                              : ret != 0 && strstr(output, TABLE[i].type) != NULL,
		              "mecdns-db rrset-set %s: exit %d, %s", TABLE[i].type, ret, output);
		free(output);
		free(rdata);
		free(owner);
	}
	free(scratch);
	free(db_tool);

	/* What the API refuses goes in by hand, as a hand-edited database would
	 * hold it: the module and zone sync must leave it out all the same. */
	for (size_t i = 0; i < ROWS; i++) {
		if (TABLE[i].served) {
			continue;
		}
		char *owner = owner_of(i);
		/* Valid data of the type (the module and zone sync would take it
		 * if they took the type), as its generic text and its wire. */
		char *text = unjson(TABLE[i].rdata);
		char *sql = harness_strdupf(
		    "INSERT INTO rrsets (zone, owner, type, ttl, generation, updated_ms) "
		    "VALUES ('.', '%s', %u, 60, (SELECT max(generation) FROM rrsets), 0);"
		    "INSERT INTO rdata (zone, owner, type, pos, text, wire) "
		    "VALUES ('.', '%s', %u, 0, '%s', X'%s');",
		    owner, TABLE[i].code, owner, TABLE[i].code, text, TABLE[i].shown);
		free(text);
		char *argv[] = { (char *)tool("SQLITE3", "/usr/bin/sqlite3"), db, sql, NULL };
		char *output = NULL;
		ck_assert_msg(harness_run(argv, NULL, &output, 10000) == 0, "sqlite3: %s", output);
		free(output);
		free(sql);
		free(owner);
	}

	/* The module (a full load at knotd's start) and zone sync. */
	start_knotd();
	start_syncd(true);
	for (size_t i = 0; i < ROWS; i++) {
		const type_row_t *row = &TABLE[i];
		char *owner = owner_of(i);
		/* Served: wait for the answer and the synced zone. Else: the A of
		 * the same owner shows that the name is loaded and synced, then
		 * the type must be absent from both. */
		uint16_t probe = row->served ? row->code : 1;
		const char *probe_shown = row->served ? row->shown : "192.0.2.";
		long long deadline = harness_now_ms() + EVENTUALLY_MS;
		char *answer = NULL, *zone = NULL;
		bool done = false;
		while (!done && harness_now_ms() < deadline) {
			free(answer);
			free(zone);
			answer = dig(owner, probe);
			zone = zone_read(owner, probe);
			done = shows(answer, probe_shown) && shows(zone, probe_shown);
			if (!done) {
				harness_sleep_ms(100);
			}
		}
		ck_assert_msg(done, "%s %s: module answers \"%s\", zone holds \"%s\"", owner,
		              row->served ? row->type : "A", answer, zone);
		free(answer);
		free(zone);
		if (!row->served) {
			/* No record of the type in the answer section, none in the zone
			 * (kdig separates fields by tabs, knotc by blanks). */
			answer = dig_answer(owner, row->code);
			zone = zone_read(owner, row->code);
			char *field = harness_strdupf("\t%s\t", row->type);
			char *word = harness_strdupf(" %s ", row->type);
			ck_assert_msg(strstr(answer, field) == NULL, "module answers %s at %s: %s",
			              row->type, owner, answer);
			ck_assert_msg(strstr(zone, word) == NULL, "zone sync wrote %s at %s: %s",
			              row->type, owner, zone);
			free(word);
			free(field);
			free(answer);
			free(zone);
		}
		free(owner);
	}
	ck_assert_int_eq(harness_syncd_stop(&syncd, 10000), 0);
	harness_stop(&knotd, 5000);
}
END_TEST

int main(void)
{
	dir = harness_tmpdir("types");
	if (dir == NULL) {
		return 1;
	}
	db = harness_strdupf("%s/mecdns.db", dir);
	knot_conf = harness_strdupf("%s/knot.conf", dir);
	knot_sock = harness_strdupf("%s/knot.sock", dir);
	syncd_log = harness_strdupf("%s/syncd.log", dir);
	char *storage = harness_strdupf("%s/storage", dir);
	mkdir(storage, 0755);
	free(storage);
	knot_port = harness_free_port(ADDR);

	Suite *suite = suite_create("types");
	TCase *tc = tcase_create("agreement");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, every_part_agrees_with_the_table);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	if (failed != 0) {
		char *log = harness_strdupf("%s/knotd.log", dir);
		char *text = harness_read_file(log);
		fprintf(stderr, "knotd log:\n%s\n", text != NULL ? text : "");
		free(text);
		free(log);
		text = harness_read_file(syncd_log);
		fprintf(stderr, "syncd log:\n%s\n", text != NULL ? text : "");
		free(text);
		if (syncd.pid != 0) {
			harness_stop(&syncd, 5000);
		}
		if (knotd.pid != 0) {
			harness_stop(&knotd, 5000);
		}
	}
	harness_rmtree(dir);
	return failed == 0 ? 0 : 1;
}
