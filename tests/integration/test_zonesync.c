/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration: zone sync (syncd/zonesync.c) with real components.
 *
 *  knotd is the primary of sync.test. (settings of a synced zone through a
 *  template, `notify:` and an `acl:` for the secondary) and of plain.test.
 *  (without them); NSD is the secondary of sync.test. on 127.0.0.2, fed by
 *  NOTIFY and IXFR/AXFR; the real mecdns-syncd gets --knot-socket and both
 *  zones as --sync-zone. Rules and rrsets go in through the REST API and are
 *  looked for on NSD with kdig, polling until a generous deadline.
 *
 *  The tests run in order in one process (CK_NOFORK) on one set of servers:
 *  each builds on the state the previous left, as an operator's day would.
 *  NSD is taken from $NSD (default /usr/sbin/nsd); without it the test is
 *  skipped (exit 77).
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/syncd.h"

#define ZONE      "sync.test."
#define PLAIN     "plain.test."
#define PRIMARY   "127.0.0.1"
#define SECONDARY "127.0.0.2"
#define MM5       "/mep/config"
#define MP1       "/mec_app_support/v1/applications"
#define RRECORD   "/mep/dns_server_mgmt/v1/rrecord"

/*! Deadline of "eventually" (NOTIFY, transfer, a batch, a poll). */
#define EVENTUALLY_MS 15000

static const char ZONE_TEXT[] = "$ORIGIN sync.test.\n"
                                "$TTL 300\n"
                                "@ SOA ns.sync.test. hostmaster.sync.test. %u 3600 900 "
                                "604800 300\n"
                                "@ NS ns\n"
                                "ns A 192.0.2.53\n"
                                "op A 192.0.2.99\n";
static const char PLAIN_TEXT[] = "$ORIGIN plain.test.\n"
                                 "$TTL 300\n"
                                 "@ SOA ns.plain.test. hostmaster.plain.test. 1 3600 900 "
                                 "604800 300\n"
                                 "@ NS ns\n"
                                 "ns A 192.0.2.53\n";

/*** The servers of the suite. ***/

static char *dir;
static int knot_port, nsd_port, syncd_port;
static harness_proc_t knotd, nsd, syncd;
static char *knot_conf, *knot_sock, *syncd_log;

static const char *tool(const char *env, const char *fallback)
{
	const char *path = getenv(env);
	return path != NULL && *path != '\0' ? path : fallback;
}

/*! \brief Writes the zone file of sync.test. with a serial. */
static void write_zone(unsigned serial)
{
	char *path = harness_strdupf("%s/sync.test.zone", dir);
	char *text = harness_strdupf(ZONE_TEXT, serial);
	ck_assert_int_eq(harness_write_file(path, text), 0);
	free(text);
	free(path);
}

static void write_knot_conf(void)
{
	char *text = harness_strdupf("server:\n"
	                             "    rundir: %s\n"
	                             "    listen: " PRIMARY "@%d\n"
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
	                             "remote:\n"
	                             "  - id: nsd\n"
	                             "    address: " SECONDARY "@%d\n"
	                             "acl:\n"
	                             "  - id: secondaries\n"
	                             "    address: 127.0.0.0/8\n"
	                             "    action: transfer\n"
	                             "template:\n"
	                             "  - id: default\n"
	                             "    storage: %s\n"
	                             "  - id: synced\n"
	                             "    storage: %s\n"
	                             "    zonefile-sync: -1\n"
	                             "    zonefile-load: difference-no-serial\n"
	                             "    journal-content: all\n"
	                             "zone:\n"
	                             "  - domain: " ZONE "\n"
	                             "    template: synced\n"
	                             "    file: sync.test.zone\n"
	                             "    notify: nsd\n"
	                             "    acl: secondaries\n"
	                             "  - domain: " PLAIN "\n"
	                             "    file: plain.test.zone\n"
	                             "    zonefile-sync: -1\n",
	                             dir, knot_port, knot_sock, dir, nsd_port, dir, dir);
	ck_assert_int_eq(harness_write_file(knot_conf, text), 0);
	free(text);
}

/*! \brief Runs kdig +short against addr:port; the output (malloc'd). */
static char *dig(const char *addr, int port, const char *name, const char *type)
{
	char *server = harness_strdupf("@%s", addr);
	char *port_text = harness_strdupf("%d", port);
	char *argv[] = { (char *)tool("KDIG", "/usr/bin/kdig"),
		         server,
		         "-p",
		         port_text,
		         (char *)name,
		         (char *)type,
		         "+short",
		         "+time=1",
		         "+retry=0",
		         NULL };
	char *output = NULL;
	int ret = harness_run(argv, NULL, &output, 5000);
	free(server);
	free(port_text);
	if (ret != 0) {
		free(output);
		return strdup("");
	}
	return output != NULL ? output : strdup("");
}

/*! \brief Polls until the answer of name/type at addr:port contains needle
 *         (present) or no longer does (!present). Returns whether it did;
 *         the last answer in *last (malloc'd) when last is not NULL. */
static bool eventually(const char *addr, int port, const char *name, const char *type,
                       const char *needle, bool present, char **last)
{
	long long deadline = harness_now_ms() + EVENTUALLY_MS;
	char *answer = NULL;
	bool done = false;
	while (!done && harness_now_ms() < deadline) {
		free(answer);
		answer = dig(addr, port, name, type);
		done = (strstr(answer, needle) != NULL) == present;
		if (!done) {
			harness_sleep_ms(100);
		}
	}
	if (last != NULL) {
		*last = answer;
	} else {
		free(answer);
	}
	return done;
}

#define ck_assert_secondary(name, type, needle, present)                                           \
	do {                                                                                       \
		char *last_ = NULL;                                                                \
		bool ok_ = eventually(SECONDARY, nsd_port, name, type, needle, present, &last_);   \
		ck_assert_msg(ok_, "NSD: %s %s should %scontain %s, answers \"%s\"", name, type,   \
		              (present) ? "" : "not ", needle, last_);                             \
		free(last_);                                                                       \
	} while (0)

#define ck_assert_primary(name, type, needle, present)                                             \
	do {                                                                                       \
		char *last_ = NULL;                                                                \
		bool ok_ = eventually(PRIMARY, knot_port, name, type, needle, present, &last_);    \
		ck_assert_msg(ok_, "knotd: %s %s should %scontain %s, answers \"%s\"", name, type, \
		              (present) ? "" : "not ", needle, last_);                             \
		free(last_);                                                                       \
	} while (0)

/*! \brief The SOA serial knotd serves (0 if none). */
static unsigned long primary_serial(void)
{
	char *answer = dig(PRIMARY, knot_port, ZONE, "SOA");
	unsigned long serial = 0;
	char mname[256], rname[256];
	if (sscanf(answer, "%255s %255s %lu", mname, rname, &serial) != 3) {
		serial = 0;
	}
	free(answer);
	return serial;
}

static int knotc(char **output, const char *a, const char *b, const char *c, const char *d,
                 const char *e, const char *f)
{
	char *argv[] = { (char *)tool("KNOTC", "/usr/sbin/knotc"),
		         "-c",
		         knot_conf,
		         (char *)a,
		         (char *)b,
		         (char *)c,
		         (char *)d,
		         (char *)e,
		         (char *)f,
		         NULL };
	return harness_run(argv, NULL, output, 15000);
}

static void start_knotd(void)
{
	char *log = harness_strdupf("%s/knotd.log", dir);
	char *argv[] = { (char *)tool("KNOTD", "/usr/sbin/knotd"), "-c", knot_conf, NULL };
	ck_assert_int_eq(harness_spawn(&knotd, "knotd", argv, NULL, log), 0);
	free(log);
	long long deadline = harness_now_ms() + 10000;
	while (harness_now_ms() < deadline && primary_serial() == 0) {
		harness_sleep_ms(50);
	}
	if (primary_serial() == 0) {
		harness_dump_log(&knotd);
		ck_abort_msg("knotd does not serve " ZONE);
	}
}

static void start_nsd(void)
{
	char *conf = harness_strdupf("%s/nsd.conf", dir);
	char *text = harness_strdupf("server:\n"
	                             "    ip-address: " SECONDARY "\n"
	                             "    port: %d\n"
	                             "    do-ip6: no\n"
	                             "    username: \"\"\n"
	                             "    chroot: \"\"\n"
	                             "    zonesdir: \"%s/nsd\"\n"
	                             "    database: \"\"\n"
	                             "    pidfile: \"%s/nsd/nsd.pid\"\n"
	                             "    xfrdfile: \"%s/nsd/xfrd.state\"\n"
	                             "    xfrdir: \"%s/nsd\"\n"
	                             "    zonelistfile: \"%s/nsd/zone.list\"\n"
	                             "    server-count: 1\n"
	                             "    verbosity: 2\n"
	                             "remote-control:\n"
	                             "    control-enable: no\n"
	                             "zone:\n"
	                             "    name: " ZONE "\n"
	                             "    zonefile: \"sync.test.zone\"\n"
	                             "    allow-notify: 127.0.0.1 NOKEY\n"
	                             "    request-xfr: " PRIMARY "@%d NOKEY\n",
	                             nsd_port, dir, dir, dir, dir, dir, knot_port);
	char *nsd_dir = harness_strdupf("%s/nsd", dir);
	ck_assert_int_eq(mkdir(nsd_dir, 0755), 0);
	ck_assert_int_eq(harness_write_file(conf, text), 0);
	char *log = harness_strdupf("%s/nsd.log", dir);
	char *argv[] = { (char *)tool("NSD", "/usr/sbin/nsd"), "-d", "-c", conf, NULL };
	ck_assert_int_eq(harness_spawn(&nsd, "nsd", argv, NULL, log), 0);
	free(log);
	free(nsd_dir);
	free(text);
	free(conf);
	char *last = NULL;
	if (!eventually(SECONDARY, nsd_port, ZONE, "SOA", "hostmaster.sync.test.", true, &last)) {
		harness_dump_log(&nsd);
		ck_abort_msg("NSD did not transfer " ZONE " from knotd: \"%s\"", last);
	}
	free(last);
}

static void start_syncd(void)
{
	char *db = harness_strdupf("%s/mecdns.db", dir);
	const char *args[] = {
		"--database",    db,        "--dbus",      "none", "--knot-dbus", "none",
		"--knot-socket", knot_sock, "--sync-zone", ZONE,   "--sync-zone", PLAIN,
		"--log-level",   "debug",   NULL
	};
	ck_assert_msg(
	    harness_syncd_start(&syncd, PRIMARY, &syncd_port, args, NULL, syncd_log, 10000) == 0,
	    "mecdns-syncd did not start listening");
	free(db);
}

/*! \brief Waits until syncd's log has needle (after byte from). */
static bool syncd_log_has(const char *needle, size_t from, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		char *text = harness_read_file(syncd_log);
		bool found = text != NULL && strlen(text) > from && strstr(text + from, needle);
		free(text);
		if (found) {
			return true;
		}
		harness_sleep_ms(50);
	} while (harness_now_ms() < deadline);
	return false;
}

static size_t syncd_log_size(void)
{
	char *text = harness_read_file(syncd_log);
	size_t size = text != NULL ? strlen(text) : 0;
	free(text);
	return size;
}

/*! \brief One REST call to syncd; returns the HTTP status. */
static int rest(const char *method, const char *path, const char *body)
{
	http_response_t resp;
	int ret = http_request(PRIMARY, syncd_port, method, path, NULL, body,
	                       body != NULL ? strlen(body) : 0, &resp);
	ck_assert_int_eq(ret, 0);
	int status = resp.status;
	if (status >= 300) {
		fprintf(stderr, "%s %s: %d %s\n", method, path, status, resp.body);
	}
	http_response_free(&resp);
	return status;
}

static void create_rule(const char *app, const char *id, const char *name, const char *type,
                        const char *address)
{
	char *body = harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\","
	                             "\"ipAddressType\":\"%s\",\"ipAddress\":\"%s\",\"ttl\":30}",
	                             id, name, type, address);
	char *path = harness_strdupf(MM5 "/%s/dns_rules", app);
	ck_assert_int_eq(rest("POST", path, body), 201);
	free(path);
	free(body);
}

static void suite_setup(void)
{
	long long started = harness_now_ms();
	dir = harness_tmpdir("zonesync");
	ck_assert_ptr_nonnull(dir);
	knot_port = harness_free_port(PRIMARY);
	nsd_port = harness_free_port(SECONDARY);
	ck_assert(knot_port > 0 && nsd_port > 0);
	knot_conf = harness_strdupf("%s/knot.conf", dir);
	knot_sock = harness_strdupf("%s/knot.sock", dir);
	syncd_log = harness_strdupf("%s/syncd.log", dir);
	char *storage = harness_strdupf("%s/storage", dir);
	ck_assert_int_eq(mkdir(storage, 0755), 0);
	free(storage);
	write_zone(2024010101u);
	char *plain = harness_strdupf("%s/plain.test.zone", dir);
	ck_assert_int_eq(harness_write_file(plain, PLAIN_TEXT), 0);
	free(plain);
	write_knot_conf();
	start_knotd();
	start_nsd();
	start_syncd();
	fprintf(stderr, "zonesync: servers started in %lld ms\n", harness_now_ms() - started);
}

static void suite_teardown(void)
{
	harness_syncd_stop(&syncd, 10000);
	if (nsd.pid != 0) {
		harness_stop(&nsd, 5000);
	}
	if (knotd.pid != 0) {
		harness_stop(&knotd, 5000);
	}
	/* The directory (with the logs) goes in main(), after a failure's logs
	 * were printed. */
}

/*** The tests, in order. ***/

static long long test_started_ms;

static void test_begin(void)
{
	test_started_ms = harness_now_ms();
}

static void test_end(void)
{
	fprintf(stderr, "zonesync: test took %lld ms\n", harness_now_ms() - test_started_ms);
}

START_TEST(test_rule_created_through_rest_is_answered_by_the_secondary)
{
	unsigned long before = primary_serial();
	create_rule("app1", "r1", "www.sync.test", "IP_V4", "172.16.189.14");
	create_rule("app1", "r2", "www.sync.test", "IP_V6", "2001:db8::14");
	ck_assert_secondary("www.sync.test.", "A", "172.16.189.14", true);
	ck_assert_secondary("www.sync.test.", "AAAA", "2001:db8::14", true);
	ck_assert_uint_gt(primary_serial(), before);
	/* Names outside the synced zone stay out of it. */
	create_rule("app1", "r3", "www.elsewhere.test", "IP_V4", "172.16.189.15");
	ck_assert_primary("www.elsewhere.test.", "A", "172.16.189.15", false);
}
END_TEST

START_TEST(test_deactivated_rule_disappears_from_the_secondary)
{
	create_rule("app1", "gone", "gone.sync.test", "IP_V4", "172.16.189.20");
	ck_assert_secondary("gone.sync.test.", "A", "172.16.189.20", true);
	ck_assert_int_eq(rest("PUT", MP1 "/app1/dns_rules/gone",
	                      "{\"dnsRuleId\":\"gone\",\"domainName\":\"gone.sync.test\","
	                      "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.20\","
	                      "\"ttl\":30,\"state\":\"INACTIVE\"}"),
	                 200);
	ck_assert_secondary("gone.sync.test.", "A", "172.16.189.20", false);
	ck_assert_primary("gone.sync.test.", "A", "172.16.189.20", false);
}
END_TEST

START_TEST(test_rrset_through_rrecord_appears_on_the_secondary)
{
	ck_assert_int_eq(rest("POST", RRECORD "?zone=.",
	                      "{\"name\":\"svc.sync.test.\",\"type\":\"TXT\",\"class\":\"IN\","
	                      "\"ttl\":60,\"rData\":[\"\\\"edge service\\\"\"]}"),
	                 200);
	ck_assert_secondary("svc.sync.test.", "TXT", "edge service", true);
	/* A rule and an rrset at one name make one answer set. */
	ck_assert_int_eq(rest("POST", RRECORD "?zone=.",
	                      "{\"name\":\"www.sync.test.\",\"type\":\"A\",\"class\":\"IN\","
	                      "\"ttl\":60,\"rData\":[\"172.16.189.16\"]}"),
	                 200);
	ck_assert_secondary("www.sync.test.", "A", "172.16.189.16", true);
	ck_assert_secondary("www.sync.test.", "A", "172.16.189.14", true);
}
END_TEST

START_TEST(test_operator_record_at_an_owned_name_is_a_conflict_and_kept)
{
	size_t mark = syncd_log_size();
	create_rule("app1", "op", "op.sync.test", "IP_V4", "172.16.189.30");
	ck_assert_msg(syncd_log_has("conflict at op.sync.test. A", mark, EVENTUALLY_MS),
	              "syncd must report the conflict with the operator's op.sync.test. A");
	/* Another write goes through; the operator's record stays as it was. */
	create_rule("app1", "after", "after.sync.test", "IP_V4", "172.16.189.31");
	ck_assert_secondary("after.sync.test.", "A", "172.16.189.31", true);
	ck_assert_secondary("op.sync.test.", "A", "192.0.2.99", true);
	ck_assert_secondary("op.sync.test.", "A", "172.16.189.30", false);

	http_response_t resp;
	ck_assert_int_eq(http_request(PRIMARY, syncd_port, "GET", "/metrics", NULL, NULL, 0, &resp),
	                 0);
	ck_assert_msg(strstr(resp.body, "mecdns_zonesync_conflicts{zone=\"sync.test.\"} 1"),
	              "metrics: %s", resp.body);
	ck_assert_ptr_nonnull(strstr(resp.body, "mecdns_zonesync_conflicts_total 1"));
	http_response_free(&resp);
}
END_TEST

/*! Issue 12: the synced zone's apex stays the operator's: a rule there is
 *  not written into the zone (nor answered by the module). */
START_TEST(test_rule_at_the_zone_apex_is_not_written_into_the_zone)
{
	/* syncd refuses it (the zone's apex stays the zone's)... */
	char *body = harness_strdupf("{\"dnsRuleId\":\"apex\",\"domainName\":\"sync.test\","
	                             "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.50\","
	                             "\"ttl\":30}");
	ck_assert_int_eq(rest("POST", MM5 "/app1/dns_rules", body), 403);
	free(body);
	/* ...and one that got into the database by other means (mecdns-db,
	 * no guard) is not written into the zone either. */
	char *db_tool = harness_build_path("tools/mecdns-db");
	char *db = harness_strdupf("%s/mecdns.db", dir);
	char *argv[] = { db_tool,         "-d", db, "rule-add", "app1", "apex", "sync.test",
		         "172.16.189.50", NULL };
	char *output = NULL;
	ck_assert_msg(harness_run(argv, NULL, &output, 10000) == 0, "mecdns-db: %s",
	              output != NULL ? output : "");
	free(output);
	free(db);
	free(db_tool);
	create_rule("app1", "apex-marker", "apex-marker.sync.test", "IP_V4", "172.16.189.51");
	ck_assert_secondary("apex-marker.sync.test.", "A", "172.16.189.51", true);
	ck_assert_primary("sync.test.", "A", "172.16.189.50", false);
	ck_assert_secondary("sync.test.", "A", "172.16.189.50", false);
}
END_TEST

/*! Issue 12: a wildcard rule is written as the zone's wildcard; knotd and
 *  the secondary synthesize from it (RFC 4592 with the zone's own names),
 *  and an exact name below its parent answers itself. */
START_TEST(test_wildcard_rule_becomes_the_zones_wildcard)
{
	create_rule("app1", "wild", "*.wild.sync.test", "IP_V4", "172.16.189.60");
	create_rule("app1", "wild-exact", "b.wild.sync.test", "IP_V4", "172.16.189.61");
	ck_assert_secondary("a.wild.sync.test.", "A", "172.16.189.60", true);
	ck_assert_secondary("x.y.wild.sync.test.", "A", "172.16.189.60", true);
	ck_assert_secondary("b.wild.sync.test.", "A", "172.16.189.61", true);
	ck_assert_secondary("b.wild.sync.test.", "A", "172.16.189.60", false);
	ck_assert_primary("a.wild.sync.test.", "A", "172.16.189.60", true);
	ck_assert_primary("b.wild.sync.test.", "A", "172.16.189.61", true);
}
END_TEST

START_TEST(test_zone_without_required_settings_is_refused_with_a_clear_log_line)
{
	ck_assert_msg(
	    syncd_log_has("refusing zone plain.test.: zonefile-load is not set", 0, EVENTUALLY_MS),
	    "syncd must refuse plain.test. naming the missing setting");
	create_rule("app1", "plain", "www.plain.test", "IP_V4", "172.16.189.40");
	/* Give syncd time to (wrongly) write it, then check it did not. */
	create_rule("app1", "marker", "marker.sync.test", "IP_V4", "172.16.189.41");
	ck_assert_primary("marker.sync.test.", "A", "172.16.189.41", true);
	ck_assert_primary("www.plain.test.", "A", "172.16.189.40", false);
}
END_TEST

START_TEST(test_burst_of_writes_makes_fewer_serials_than_writes)
{
	unsigned long before = primary_serial();
	for (int i = 0; i < 10; i++) {
		char id[16], name[64], address[32];
		snprintf(id, sizeof(id), "b%d", i);
		snprintf(name, sizeof(name), "burst%d.sync.test", i);
		snprintf(address, sizeof(address), "172.16.190.%d", i + 1);
		create_rule("app2", id, name, "IP_V4", address);
	}
	ck_assert_secondary("burst9.sync.test.", "A", "172.16.190.10", true);
	ck_assert_secondary("burst0.sync.test.", "A", "172.16.190.1", true);
	unsigned long after = primary_serial();
	ck_assert_msg(after > before && after - before < 10,
	              "10 writes should be batched into fewer transactions (serial %lu -> %lu)",
	              before, after);
}
END_TEST

START_TEST(test_changes_made_while_knotd_is_down_are_reconciled_after_its_restart)
{
	size_t mark = syncd_log_size();
	harness_stop(&knotd, 5000);
	ck_assert_msg(syncd_log_has("cannot reach knotd", mark, EVENTUALLY_MS),
	              "syncd must notice that knotd is gone");
	/* Written to the database only: knotd is not there. */
	ck_assert_int_eq(rest("DELETE", MM5 "/app2/dns_rules/b0", NULL), 204);
	create_rule("app1", "down", "down.sync.test", "IP_V4", "172.16.189.70");
	start_knotd(); /* With its journal: the zone as syncd left it. */
	ck_assert_msg(syncd_log_has("reconciled with the database", mark, EVENTUALLY_MS),
	              "syncd must reconcile the zone after knotd's restart");
	ck_assert_secondary("down.sync.test.", "A", "172.16.189.70", true);
	ck_assert_secondary("burst0.sync.test.", "A", "172.16.190.1", false);
	ck_assert_secondary("burst1.sync.test.", "A", "172.16.190.2", true);
}
END_TEST

START_TEST(test_knotd_restart_with_zone_reset_is_reconciled)
{
	size_t mark = syncd_log_size();
	harness_stop(&knotd, 5000);
	ck_assert_msg(syncd_log_has("cannot reach knotd", mark, EVENTUALLY_MS),
	              "syncd must notice that knotd is gone");
	/* Reset: the journal is gone, the zone file (serial bumped as an operator
	 * does) has none of syncd's records. */
	char *storage = harness_strdupf("%s/storage", dir);
	harness_rmtree(storage);
	ck_assert_int_eq(mkdir(storage, 0755), 0);
	free(storage);
	write_zone(2025010101u);
	start_knotd();
	ck_assert_msg(syncd_log_has("reconciled with the database", mark, EVENTUALLY_MS),
	              "syncd must reconcile the zone after knotd's restart");
	ck_assert_primary("www.sync.test.", "A", "172.16.189.14", true);
	ck_assert_primary("svc.sync.test.", "TXT", "edge service", true);
	ck_assert_secondary("burst5.sync.test.", "A", "172.16.190.6", true);
	ck_assert_secondary("www.sync.test.", "AAAA", "2001:db8::14", true);
	ck_assert_secondary("gone.sync.test.", "A", "172.16.189.20", false);
	ck_assert_secondary("op.sync.test.", "A", "192.0.2.99", true);
	ck_assert_secondary("op.sync.test.", "A", "172.16.189.30", false);
	/* And it goes on following changes. */
	create_rule("app1", "late", "late.sync.test", "IP_V4", "172.16.189.50");
	ck_assert_secondary("late.sync.test.", "A", "172.16.189.50", true);
}
END_TEST

START_TEST(test_stale_open_transaction_is_aborted_at_start)
{
	ck_assert_int_eq(harness_syncd_stop(&syncd, 10000), 0);
	char *output = NULL;
	ck_assert_msg(knotc(&output, "zone-begin", ZONE, NULL, NULL, NULL, NULL) == 0, "%s",
	              output);
	free(output);
	ck_assert_msg(knotc(&output, "zone-set", ZONE, "stale", "300", "A", "192.0.2.66") == 0,
	              "%s", output);
	free(output);

	size_t mark = syncd_log_size();
	start_syncd();
	ck_assert_msg(syncd_log_has("aborted a transaction left open", mark, EVENTUALLY_MS),
	              "syncd must abort the transaction left open on the zone");
	create_rule("app1", "fresh", "fresh.sync.test", "IP_V4", "172.16.189.60");
	ck_assert_secondary("fresh.sync.test.", "A", "172.16.189.60", true);
	ck_assert_primary("stale.sync.test.", "A", "192.0.2.66", false);
}
END_TEST

static Suite *zonesync_suite(void)
{
	Suite *suite = suite_create("zone sync");
	TCase *tc = tcase_create("knotd primary, NSD secondary");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, test_begin, test_end);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rule_created_through_rest_is_answered_by_the_secondary);
	tcase_add_test(tc, test_deactivated_rule_disappears_from_the_secondary);
	tcase_add_test(tc, test_rrset_through_rrecord_appears_on_the_secondary);
	tcase_add_test(tc, test_operator_record_at_an_owned_name_is_a_conflict_and_kept);
	tcase_add_test(tc, test_rule_at_the_zone_apex_is_not_written_into_the_zone);
	tcase_add_test(tc, test_wildcard_rule_becomes_the_zones_wildcard);
	tcase_add_test(tc, test_zone_without_required_settings_is_refused_with_a_clear_log_line);
	tcase_add_test(tc, test_burst_of_writes_makes_fewer_serials_than_writes);
	tcase_add_test(tc, test_changes_made_while_knotd_is_down_are_reconciled_after_its_restart);
	tcase_add_test(tc, test_knotd_restart_with_zone_reset_is_reconciled);
	tcase_add_test(tc, test_stale_open_transaction_is_aborted_at_start);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	if (access(tool("NSD", "/usr/sbin/nsd"), X_OK) != 0) {
		fprintf(stderr, "skipping: NSD not installed (Debian package nsd)\n");
		return 77;
	}
	SRunner *runner = srunner_create(zonesync_suite());
	/* One process: the tests share the servers and build on each other. */
	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	if (failed > 0) {
		harness_dump_log(&syncd);
		harness_dump_log(&knotd);
		harness_dump_log(&nsd);
	}
	srunner_free(runner);
	if (dir != NULL && getenv("MECDNS_KEEP") == NULL) {
		harness_rmtree(dir);
	}
	free(dir);
	free(knot_conf);
	free(knot_sock);
	free(syncd_log);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
