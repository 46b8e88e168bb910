/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration: syncd/knotctl.c, the client of knotd's control socket,
 *  against the real knotd.
 *
 *  One knotd (tests/harness/knotd.h) serves a zone from a zone file for the
 *  whole suite, configured as a synced zone must be (zonefile-sync: -1,
 *  zonefile-load: difference-no-serial, journal-content: all). Each test
 *  first aborts a transaction a failed test may have left open, as syncd
 *  does on start, and uses owner names of its own. Tests of dead sockets
 *  use sockets in a temporary directory; the mod-mecdns counters test starts
 *  its own knotd with the built module (skipped when it is not built).
 */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "syncd/knotctl.h"
#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/knotd.h"

#define ZONE        "knotctl.test."
#define ZONE_SERIAL 2024010101u
static const char ZONE_TEXT[] =
    "$TTL 300\n"
    "@ SOA ns.knotctl.test. hostmaster.knotctl.test. 2024010101 3600 900 604800 300\n"
    "@ NS ns\n"
    "ns A 192.0.2.53\n"
    "www A 192.0.2.1\n";

/*! Socket operation limit of the tests (as syncd would use). */
#define TIMEOUT_MS 2000

/*** The suite's knotd. ***/

static knotd_t knotd;
static char *sock_path;

/*! \brief Rewrites the harness's zone settings into those of a synced zone
 *         and reloads knotd (knotd.h has no option for them). */
static void configure_synced_zone(void)
{
	char *conf = harness_read_file(knotd.conf_path);
	ck_assert_ptr_nonnull(conf);
	const char *old = "    journal-content: none\n";
	char *at = strstr(conf, old);
	ck_assert_msg(at != NULL, "knot.conf of the harness changed:\n%s", conf);
	*at = '\0';
	char *text = harness_strdupf("%s    journal-content: all\n"
	                             "    zonefile-load: difference-no-serial\n%s",
	                             conf, at + strlen(old));
	ck_assert_int_eq(harness_write_file(knotd.conf_path, text), 0);
	free(text);
	free(conf);
	char *output = NULL;
	int ret = knotd_ctl(&knotd, &output, "reload", (char *)NULL);
	ck_assert_msg(ret == 0, "knotc reload: %s", output != NULL ? output : "");
	free(output);
}

static void suite_setup(void)
{
	knotd_config_t config = {
		.tag = "knotctl",
		.zones = { { .domain = ZONE, .content = ZONE_TEXT } },
	};
	ck_assert_msg(knotd_start(&knotd, &config) == 0, "knotd did not start");
	sock_path = harness_strdupf("%s/knot.sock", knotd.dir);
	configure_synced_zone();
}

static void suite_teardown(void)
{
	knotd_stop(&knotd);
	free(sock_path);
	sock_path = NULL;
}

/*! \brief Before each test: no transaction left by an earlier (failed) one. */
static void test_setup(void)
{
	char err[KNOTCTL_ERROR_LEN];
	int ret = knotctl_zone_abort_at(sock_path, TIMEOUT_MS, ZONE, err, sizeof(err));
	ck_assert_msg(ret == KNOT_EOK || ret == KNOT_TXN_ENOTEXISTS, "%s", err);
}

/*** Helpers. ***/

static knotctl_t *open_session(void)
{
	char err[KNOTCTL_ERROR_LEN];
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, sock_path, TIMEOUT_MS, err, sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
	return ctl;
}

/*! \brief Asserts a command succeeded, with the library's message if not. */
#define ck_assert_ctl_ok(ctl, expr)                                                                \
	do {                                                                                       \
		int ret_ = (expr);                                                                 \
		ck_assert_msg(ret_ == KNOT_EOK, "%s: %s (%d)", #expr, knotctl_error(ctl), ret_);   \
	} while (0)

/*! What zone-status reported about one zone. */
typedef struct {
	const char *want; /*!< Zone to look for. */
	int seen;         /*!< Callbacks for it. */
	int zones;        /*!< Callbacks in all. */
	knotctl_zone_status_t status;
} zone_seen_t;

static int on_zone(const knotctl_zone_status_t *status, void *ctx)
{
	zone_seen_t *seen = ctx;
	seen->zones++;
	if (strcmp(status->zone, seen->want) == 0) {
		seen->seen++;
		seen->status = *status;
		seen->status.zone = NULL; /* Lives only during the callback. */
		seen->status.flags = NULL;
	}
	return 0;
}

/*! \brief The zone's status within a session. */
static zone_seen_t zone_status_in(knotctl_t *ctl)
{
	zone_seen_t seen = { .want = ZONE };
	ck_assert_ctl_ok(ctl, knotctl_zone_status(ctl, ZONE, on_zone, &seen));
	ck_assert_int_eq(seen.seen, 1);
	return seen;
}

/*! \brief The zone's status from a session of its own (none may be open:
 *         knotd serves one control client at a time). */
static zone_seen_t zone_status(void)
{
	zone_seen_t seen = { .want = ZONE };
	char err[KNOTCTL_ERROR_LEN];
	int ret =
	    knotctl_zone_status_at(sock_path, TIMEOUT_MS, ZONE, on_zone, &seen, err, sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
	ck_assert_int_eq(seen.seen, 1);
	return seen;
}

/*! Records of zone-read / zone-get as "owner ttl type rdata" lines. */
typedef struct {
	char text[4096];
	int count;
} records_t;

static int on_record(const knotctl_record_t *record, void *ctx)
{
	records_t *records = ctx;
	size_t used = strlen(records->text);
	snprintf(records->text + used, sizeof(records->text) - used, "%s %u %s %s\n", record->owner,
	         record->ttl, record->type, record->rdata);
	records->count++;
	return 0;
}

/*! Counters of stats as "section.item[id]=value" lines. */
typedef struct {
	char text[4096];
	int count;
} counters_t;

static int on_counter(const knotctl_counter_t *counter, void *ctx)
{
	counters_t *counters = ctx;
	size_t used = strlen(counters->text);
	snprintf(counters->text + used, sizeof(counters->text) - used, "%s.%s%s%s%s=%llu\n",
	         counter->section, counter->item, counter->id != NULL ? "[" : "",
	         counter->id != NULL ? counter->id : "", counter->id != NULL ? "]" : "",
	         (unsigned long long)counter->value);
	counters->count++;
	return 0;
}

/*! Values of conf-read. */
typedef struct {
	char value[256];
	int count;
} conf_seen_t;

static int on_conf(const knotctl_conf_value_t *value, void *ctx)
{
	conf_seen_t *seen = ctx;
	if (value->value != NULL) {
		snprintf(seen->value, sizeof(seen->value), "%s", value->value);
		seen->count++;
	}
	return 0;
}

/*! \brief The value of zone[ZONE].item as knotd runs it ("" if unset). */
static char *conf_zone_item(const char *item)
{
	conf_seen_t seen = { 0 };
	char err[KNOTCTL_ERROR_LEN];
	int ret = knotctl_conf_read_at(sock_path, TIMEOUT_MS, "zone", ZONE, item, on_conf, &seen,
	                               err, sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
	return strdup(seen.value);
}

/*! \brief Waits until DNS answers name A with (or without) addr. */
static void expect_address(const char *name, const char *addr, bool present)
{
	bool matched = false;
	knot_pkt_t *answer = dns_poll(knotd.port, name, KNOT_RRTYPE_A, NULL,
	                              present ? dns_match_address : dns_match_no_address, addr,
	                              DNS_EVENTUALLY_MS, &matched);
	char *text = dns_pkt_text(answer);
	ck_assert_msg(matched, "%s A %s %s; last answer:\n%s", name,
	              present ? "never answered" : "still answered", addr, text);
	free(text);
	knot_pkt_free(answer);
}

/*** A server socket that is not knotd. ***/

/*! \brief A unix socket at path, listening (never accepting) or only bound
 *         (connections refused). Returns its descriptor. */
static int fake_socket(const char *path, bool listening)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	ck_assert_msg(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "bind %s: %s", path,
	              strerror(errno));
	if (listening) {
		ck_assert_int_eq(listen(fd, 5), 0);
	}
	return fd;
}

/*** Server state. ***/

START_TEST(test_status_answers_when_knotd_runs)
{
	char err[KNOTCTL_ERROR_LEN] = "";
	int ret = knotctl_status_at(sock_path, TIMEOUT_MS, err, sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
}
END_TEST

START_TEST(test_status_on_missing_socket_fails_at_once_naming_it)
{
	char *dir = harness_tmpdir("knotctl-dead");
	char *path = harness_strdupf("%s/knot.sock", dir);
	char err[KNOTCTL_ERROR_LEN] = "";
	long long start = harness_now_ms();
	int ret = knotctl_status_at(path, TIMEOUT_MS, err, sizeof(err));
	long long took = harness_now_ms() - start;
	ck_assert_int_ne(ret, KNOT_EOK);
	ck_assert_msg(took < TIMEOUT_MS, "took %lld ms", took);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "No such file") != NULL, "%s", err);
	ck_assert_ptr_null(strchr(err, '\n'));
	harness_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_status_on_socket_of_crashed_knotd_is_refused_at_once)
{
	/* A killed knotd leaves its socket file behind, with nobody listening. */
	char *dir = harness_tmpdir("knotctl-stale");
	char *path = harness_strdupf("%s/knot.sock", dir);
	int fd = fake_socket(path, false);
	char err[KNOTCTL_ERROR_LEN] = "";
	long long start = harness_now_ms();
	int ret = knotctl_status_at(path, TIMEOUT_MS, err, sizeof(err));
	long long took = harness_now_ms() - start;
	ck_assert_int_eq(ret, KNOT_ECONNREFUSED);
	ck_assert_msg(took < TIMEOUT_MS, "took %lld ms", took);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, "refused") != NULL, "%s", err);
	close(fd);
	harness_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_status_on_silent_server_times_out_and_breaks_session)
{
	/* A server that accepts connections into its backlog and never answers,
	 * like a knotd busy with another control client. */
	char *dir = harness_tmpdir("knotctl-hung");
	char *path = harness_strdupf("%s/knot.sock", dir);
	int fd = fake_socket(path, true);
	char err[KNOTCTL_ERROR_LEN] = "";
	knotctl_t *ctl = NULL;
	ck_assert_int_eq(knotctl_open(&ctl, path, 300, err, sizeof(err)), KNOT_EOK);

	long long start = harness_now_ms();
	int ret = knotctl_status(ctl);
	long long took = harness_now_ms() - start;
	ck_assert_int_eq(ret, KNOT_ETIMEOUT);
	ck_assert_msg(took >= 250 && took < 2000, "took %lld ms", took);
	ck_assert_msg(strstr(knotctl_error(ctl), "status via control socket") != NULL &&
	                  strstr(knotctl_error(ctl), path) != NULL &&
	                  strstr(knotctl_error(ctl), "300 ms") != NULL,
	              "%s", knotctl_error(ctl));
	ck_assert(knotctl_broken(ctl));

	/* The session is out of step: the next command fails at once. */
	start = harness_now_ms();
	ck_assert_int_eq(knotctl_zone_status(ctl, NULL, on_zone, &(zone_seen_t){ .want = ZONE }),
	                 KNOT_ECONN);
	ck_assert_int_lt(harness_now_ms() - start, 100);
	ck_assert_msg(strstr(knotctl_error(ctl), "open a new one") != NULL, "%s",
	              knotctl_error(ctl));
	knotctl_close(ctl);
	close(fd);
	harness_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_knotd_serves_one_session_at_a_time)
{
	knotctl_t *ctl = open_session();
	ck_assert_ctl_ok(ctl, knotctl_status(ctl));

	/* While a session is open, another client gets no answer... */
	char err[KNOTCTL_ERROR_LEN] = "";
	int ret = knotctl_status_at(sock_path, 300, err, sizeof(err));
	ck_assert_int_eq(ret, KNOT_ETIMEOUT);
	ck_assert_msg(strstr(err, "no answer within 300 ms") != NULL, "%s", err);

	/* ...and is served once it is closed. */
	knotctl_close(ctl);
	ret = knotctl_status_at(sock_path, TIMEOUT_MS, err, sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
}
END_TEST

START_TEST(test_zone_status_lists_the_zone_with_its_serial)
{
	zone_seen_t seen = { .want = ZONE };
	knotctl_t *ctl = open_session();
	ck_assert_ctl_ok(ctl, knotctl_zone_status(ctl, NULL, on_zone, &seen));
	knotctl_close(ctl);
	ck_assert_int_eq(seen.zones, 1);
	ck_assert_int_eq(seen.seen, 1);
	ck_assert(seen.status.loaded);
	ck_assert(!seen.status.secondary);
	ck_assert(!seen.status.transaction_open);
	ck_assert(!seen.status.frozen);
	ck_assert_uint_ge(seen.status.serial, ZONE_SERIAL);
}
END_TEST

START_TEST(test_zone_status_of_unknown_zone_says_so)
{
	zone_seen_t seen = { .want = "missing.test." };
	char err[KNOTCTL_ERROR_LEN] = "";
	int ret = knotctl_zone_status_at(sock_path, TIMEOUT_MS, "missing.test.", on_zone, &seen,
	                                 err, sizeof(err));
	ck_assert_int_eq(ret, KNOT_ENOZONE);
	ck_assert_int_eq(seen.zones, 0);
	ck_assert_msg(strstr(err, "zone-status missing.test. via control socket") != NULL &&
	                  strstr(err, sock_path) != NULL &&
	                  strstr(err, "knotd answered 'no such zone found'") != NULL,
	              "%s", err);
}
END_TEST

START_TEST(test_server_stats_count_the_zone)
{
	counters_t counters = { .text = "" };
	knotctl_t *ctl = open_session();
	ck_assert_ctl_ok(ctl, knotctl_stats(ctl, "server", NULL, on_counter, &counters));
	knotctl_close(ctl);
	ck_assert_msg(strstr(counters.text, "server.zone-count=1\n") != NULL, "%s", counters.text);
}
END_TEST

START_TEST(test_stats_of_a_module_not_loaded_fail_and_session_goes_on)
{
	counters_t counters = { .text = "" };
	knotctl_t *ctl = open_session();
	int ret = knotctl_stats(ctl, "mod-mecdns", "generation", on_counter, &counters);
	ck_assert_int_eq(ret, KNOT_ENOENT);
	ck_assert_int_eq(counters.count, 0);
	ck_assert_msg(strstr(knotctl_error(ctl), "stats mod-mecdns.generation") != NULL &&
	                  strstr(knotctl_error(ctl), "knotd answered") != NULL,
	              "%s", knotctl_error(ctl));
	ck_assert(!knotctl_broken(ctl));
	ck_assert_ctl_ok(ctl, knotctl_status(ctl));
	knotctl_close(ctl);
}
END_TEST

START_TEST(test_conf_read_shows_the_synced_zone_settings)
{
	char *sync = conf_zone_item("zonefile-sync");
	char *load = conf_zone_item("zonefile-load");
	char *journal = conf_zone_item("journal-content");
	ck_assert_str_eq(sync, "-1");
	ck_assert_str_eq(load, "difference-no-serial");
	ck_assert_str_eq(journal, "all");
	free(sync);
	free(load);
	free(journal);

	/* An item the zone does not set: no value. */
	char *notify = conf_zone_item("notify");
	ck_assert_str_eq(notify, "");
	free(notify);
}
END_TEST

START_TEST(test_conf_read_of_unknown_zone_fails)
{
	conf_seen_t seen = { 0 };
	char err[KNOTCTL_ERROR_LEN] = "";
	int ret = knotctl_conf_read_at(sock_path, TIMEOUT_MS, "zone", "missing.test.",
	                               "journal-content", on_conf, &seen, err, sizeof(err));
	ck_assert_int_ne(ret, KNOT_EOK);
	ck_assert_int_eq(seen.count, 0);
	ck_assert_msg(strstr(err, "conf-read zone[missing.test.].journal-content") != NULL &&
	                  strstr(err, "knotd answered") != NULL,
	              "%s", err);
}
END_TEST

/*** Zone transactions. ***/

START_TEST(test_committed_record_is_answered_with_a_new_serial)
{
	uint32_t before = zone_status().status.serial;

	knotctl_t *ctl = open_session();
	ck_assert_ctl_ok(ctl, knotctl_zone_begin(ctl, ZONE));
	ck_assert_ctl_ok(ctl, knotctl_zone_set(ctl, ZONE, "added", 120, "A", "192.0.2.10"));
	ck_assert_ctl_ok(
	    ctl, knotctl_zone_set(ctl, ZONE, "added.knotctl.test.", 120, "A", "192.0.2.11"));
	ck_assert_ctl_ok(ctl, knotctl_zone_commit(ctl, ZONE));
	knotctl_close(ctl);

	zone_seen_t after = zone_status();
	ck_assert_uint_gt(after.status.serial, before);
	ck_assert(!after.status.transaction_open);
	expect_address("added.knotctl.test.", "192.0.2.10", true);
	expect_address("added.knotctl.test.", "192.0.2.11", true);

	records_t records = { .text = "" };
	char err[KNOTCTL_ERROR_LEN] = "";
	int ret = knotctl_zone_read_at(sock_path, TIMEOUT_MS, ZONE, "added", "A", on_record,
	                               &records, err, sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
	ck_assert_int_eq(records.count, 2);
	ck_assert_msg(strstr(records.text, "added.knotctl.test. 120 A 192.0.2.10\n") != NULL &&
	                  strstr(records.text, "added.knotctl.test. 120 A 192.0.2.11\n") != NULL,
	              "%s", records.text);
}
END_TEST

START_TEST(test_unset_removes_a_record_and_then_the_name)
{
	knotctl_t *ctl = open_session();
	ck_assert_ctl_ok(ctl, knotctl_zone_begin(ctl, ZONE));
	ck_assert_ctl_ok(ctl, knotctl_zone_set(ctl, ZONE, "gone", 60, "A", "192.0.2.20"));
	ck_assert_ctl_ok(ctl, knotctl_zone_set(ctl, ZONE, "gone", 60, "A", "192.0.2.21"));
	ck_assert_ctl_ok(ctl, knotctl_zone_set(ctl, ZONE, "gone", 60, "TXT", "\"kept\""));
	ck_assert_ctl_ok(ctl, knotctl_zone_commit(ctl, ZONE));
	expect_address("gone.knotctl.test.", "192.0.2.20", true);
	uint32_t serial = zone_status_in(ctl).status.serial;

	/* One record. */
	ck_assert_ctl_ok(ctl, knotctl_zone_begin(ctl, ZONE));
	ck_assert_ctl_ok(ctl, knotctl_zone_unset(ctl, ZONE, "gone", "A", "192.0.2.20"));
	ck_assert_ctl_ok(ctl, knotctl_zone_commit(ctl, ZONE));
	expect_address("gone.knotctl.test.", "192.0.2.20", false);
	expect_address("gone.knotctl.test.", "192.0.2.21", true);
	ck_assert_uint_gt(zone_status_in(ctl).status.serial, serial);

	/* A whole rrset, then every record of the name. */
	ck_assert_ctl_ok(ctl, knotctl_zone_begin(ctl, ZONE));
	ck_assert_ctl_ok(ctl, knotctl_zone_unset(ctl, ZONE, "gone", "A", NULL));
	ck_assert_ctl_ok(ctl, knotctl_zone_commit(ctl, ZONE));
	expect_address("gone.knotctl.test.", "192.0.2.21", false);
	records_t records = { .text = "" };
	ck_assert_ctl_ok(ctl, knotctl_zone_read(ctl, ZONE, "gone", NULL, on_record, &records));
	ck_assert_str_eq(records.text, "gone.knotctl.test. 60 TXT \"kept\"\n");

	ck_assert_ctl_ok(ctl, knotctl_zone_begin(ctl, ZONE));
	ck_assert_ctl_ok(ctl, knotctl_zone_unset(ctl, ZONE, "gone", NULL, NULL));
	ck_assert_ctl_ok(ctl, knotctl_zone_commit(ctl, ZONE));
	int ret = knotctl_zone_read(ctl, ZONE, "gone", NULL, on_record, &records);
	ck_assert_int_eq(ret, KNOT_ENONODE);
	knotctl_close(ctl);
	int nxdomain = KNOT_RCODE_NXDOMAIN;
	bool matched = false;
	knot_pkt_free(dns_poll(knotd.port, "gone.knotctl.test.", KNOT_RRTYPE_TXT, NULL,
	                       dns_match_rcode, &nxdomain, DNS_EVENTUALLY_MS, &matched));
	ck_assert_msg(matched, "gone.knotctl.test. still exists");
}
END_TEST

START_TEST(test_aborted_transaction_leaves_nothing)
{
	uint32_t before = zone_status().status.serial;
	knotctl_t *ctl = open_session();
	ck_assert_ctl_ok(ctl, knotctl_zone_begin(ctl, ZONE));
	ck_assert_ctl_ok(ctl, knotctl_zone_set(ctl, ZONE, "aborted", 60, "A", "192.0.2.30"));
	records_t inside = { .text = "" };
	ck_assert_ctl_ok(ctl, knotctl_zone_get(ctl, ZONE, "aborted", NULL, on_record, &inside));
	ck_assert_str_eq(inside.text, "aborted.knotctl.test. 60 A 192.0.2.30\n");
	ck_assert_ctl_ok(ctl, knotctl_zone_abort(ctl, ZONE));

	records_t records = { .text = "" };
	ck_assert_int_eq(knotctl_zone_read(ctl, ZONE, "aborted", NULL, on_record, &records),
	                 KNOT_ENONODE);
	ck_assert_int_eq(records.count, 0);
	knotctl_close(ctl);

	zone_seen_t after = zone_status();
	ck_assert_uint_eq(after.status.serial, before);
	ck_assert(!after.status.transaction_open);
	knot_pkt_t *answer = dns_query(knotd.port, "aborted.knotctl.test.", KNOT_RRTYPE_A, NULL);
	ck_assert_ptr_nonnull(answer);
	ck_assert_int_eq(dns_rcode(answer), KNOT_RCODE_NXDOMAIN);
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_second_begin_fails_while_a_transaction_is_open)
{
	knotctl_t *ctl = open_session();
	ck_assert_ctl_ok(ctl, knotctl_zone_begin(ctl, ZONE));
	int ret = knotctl_zone_begin(ctl, ZONE);
	ck_assert_int_eq(ret, KNOT_TXN_EEXISTS);
	ck_assert_msg(
	    strstr(knotctl_error(ctl), "zone-begin " ZONE " via control socket") != NULL &&
	        strstr(knotctl_error(ctl), sock_path) != NULL &&
	        strstr(knotctl_error(ctl), "knotd answered 'too many transactions'") != NULL,
	    "%s", knotctl_error(ctl));
	ck_assert(!knotctl_broken(ctl));
	knotctl_close(ctl);

	/* The transaction is the zone's: it outlives the session (as after a
	 * crash of syncd) until someone aborts it. */
	ck_assert(zone_status().status.transaction_open);
	char err[KNOTCTL_ERROR_LEN] = "";
	ret = knotctl_zone_abort_at(sock_path, TIMEOUT_MS, ZONE, err, sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
	ck_assert(!zone_status().status.transaction_open);

	ret = knotctl_zone_abort_at(sock_path, TIMEOUT_MS, ZONE, err, sizeof(err));
	ck_assert_int_eq(ret, KNOT_TXN_ENOTEXISTS);
	ck_assert_msg(strstr(err, "no active transaction") != NULL, "%s", err);
}
END_TEST

START_TEST(test_bad_rdata_is_refused_and_the_session_goes_on)
{
	knotctl_t *ctl = open_session();
	ck_assert_ctl_ok(ctl, knotctl_zone_begin(ctl, ZONE));
	int ret = knotctl_zone_set(ctl, ZONE, "bad", 60, "A", "192.0.2.300");
	ck_assert_int_eq(ret, KNOT_EPARSEFAIL);
	ck_assert_msg(strstr(knotctl_error(ctl), "zone-set " ZONE " bad 60 A 192.0.2.300") != NULL,
	              "%s", knotctl_error(ctl));
	ck_assert_ctl_ok(ctl, knotctl_zone_abort(ctl, ZONE));
	ck_assert_ctl_ok(ctl, knotctl_status(ctl));
	knotctl_close(ctl);
}
END_TEST

/*! \brief Counts a record and stops the listing. */
static int stop_at_first_record(const knotctl_record_t *record, void *ctx)
{
	(void)record;
	++*(int *)ctx;
	return 42;
}

START_TEST(test_callback_can_stop_a_listing)
{
	knotctl_t *ctl = open_session();
	int calls = 0;
	int ret = knotctl_zone_read(ctl, ZONE, NULL, NULL, stop_at_first_record, &calls);
	ck_assert_int_eq(ret, 42);
	ck_assert_int_eq(calls, 1);
	/* The rest of the answer was read: the session is still in step. */
	ck_assert(!knotctl_broken(ctl));
	zone_seen_t seen = { .want = ZONE };
	ck_assert_ctl_ok(ctl, knotctl_zone_status(ctl, ZONE, on_zone, &seen));
	ck_assert_int_eq(seen.seen, 1);
	knotctl_close(ctl);
}
END_TEST

/*** mod-mecdns counters (needs the built module). ***/

START_TEST(test_stats_read_the_module_generation)
{
	char *module = harness_build_path("module/.libs/mecdns.so");
	bool built = access(module, R_OK) == 0;
	free(module);
	if (!built) {
		fprintf(stderr, "test_knotctl: module/.libs/mecdns.so not built, "
		                "mod-mecdns counters not tested\n");
		return;
	}
	/* No database yet: the module loads, serves nothing, generation 0. */
	char *dir = harness_tmpdir("knotctl-db");
	char *database = harness_strdupf("%s/mecdns.db", dir);
	knotd_config_t config = {
		.tag = "knotctl-mod",
		.database = database,
		.global_module = true,
		.zones = { { .domain = ZONE, .content = ZONE_TEXT } },
	};
	knotd_t mod_knotd;
	ck_assert_msg(knotd_start(&mod_knotd, &config) == 0, "knotd with mod-mecdns did not start");
	char *path = harness_strdupf("%s/knot.sock", mod_knotd.dir);

	counters_t counters = { .text = "" };
	char err[KNOTCTL_ERROR_LEN] = "";
	int ret = knotctl_stats_at(path, TIMEOUT_MS, "mod-mecdns", NULL, on_counter, &counters, err,
	                           sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
	ck_assert_msg(strstr(counters.text, "mod-mecdns.generation=0\n") != NULL &&
	                  strstr(counters.text, "mod-mecdns.answered=") != NULL &&
	                  strstr(counters.text, "mod-mecdns.passed=") != NULL,
	              "%s", counters.text);

	counters_t one = { .text = "" };
	ret = knotctl_stats_at(path, TIMEOUT_MS, "mod-mecdns", "generation", on_counter, &one, err,
	                       sizeof(err));
	ck_assert_msg(ret == KNOT_EOK, "%s", err);
	ck_assert_str_eq(one.text, "mod-mecdns.generation=0\n");

	knotd_stop(&mod_knotd);
	harness_rmtree(dir);
	free(path);
	free(database);
	free(dir);
}
END_TEST

static Suite *knotctl_suite(void)
{
	Suite *s = suite_create("knotctl");

	TCase *dead = tcase_create("dead sockets");
	tcase_add_test(dead, test_status_on_missing_socket_fails_at_once_naming_it);
	tcase_add_test(dead, test_status_on_socket_of_crashed_knotd_is_refused_at_once);
	tcase_add_test(dead, test_status_on_silent_server_times_out_and_breaks_session);
	suite_add_tcase(s, dead);

	TCase *live = tcase_create("live knotd");
	tcase_add_unchecked_fixture(live, suite_setup, suite_teardown);
	tcase_add_checked_fixture(live, test_setup, NULL);
	tcase_add_test(live, test_status_answers_when_knotd_runs);
	tcase_add_test(live, test_knotd_serves_one_session_at_a_time);
	tcase_add_test(live, test_zone_status_lists_the_zone_with_its_serial);
	tcase_add_test(live, test_zone_status_of_unknown_zone_says_so);
	tcase_add_test(live, test_server_stats_count_the_zone);
	tcase_add_test(live, test_stats_of_a_module_not_loaded_fail_and_session_goes_on);
	tcase_add_test(live, test_conf_read_shows_the_synced_zone_settings);
	tcase_add_test(live, test_conf_read_of_unknown_zone_fails);
	tcase_add_test(live, test_committed_record_is_answered_with_a_new_serial);
	tcase_add_test(live, test_unset_removes_a_record_and_then_the_name);
	tcase_add_test(live, test_aborted_transaction_leaves_nothing);
	tcase_add_test(live, test_second_begin_fails_while_a_transaction_is_open);
	tcase_add_test(live, test_bad_rdata_is_refused_and_the_session_goes_on);
	tcase_add_test(live, test_callback_can_stop_a_listing);
	suite_add_tcase(s, live);

	TCase *module = tcase_create("mod-mecdns");
	tcase_add_test(module, test_stats_read_the_module_generation);
	suite_add_tcase(s, module);
	return s;
}

int main(void)
{
	knotd_track_begin();
	SRunner *sr = srunner_create(knotctl_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	knotd_track_end();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
