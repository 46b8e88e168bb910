/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of the mod-mecdns refresher (module/refresh.h): turning rows
 *  into records, and keeping an index current from a real SQLite database
 *  written the way mecdns-syncd writes it (one generation per transaction,
 *  one changes row per touched rule or rrset). No knotd involved: the
 *  refresher talks to its users through callbacks.
 */

#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <urcu.h>

#include "module/index.h"
#include "common/answer.h"
#include "module/refresh.h"
#include "schema/schema.h"
#include "tests/harness/harness.h"

/* clang-format off: wire-format names as length-prefixed labels. */
#define WWW_EXAMPLE_COM                                                                            \
	(const uint8_t *)"\x03"                                                                    \
	                 "www"                                                                     \
	                 "\x07"                                                                    \
	                 "example"                                                                 \
	                 "\x03"                                                                    \
	                 "com"
#define WWW_EXAMPLE                                                                                \
	(const uint8_t *)"\x03"                                                                    \
	                 "www"                                                                     \
	                 "\x07"                                                                    \
	                 "example"
#define EDGE_UNTERMINATED                                                                          \
	(const uint8_t *)"\x07"                                                                    \
	                 "edge\x00" /* label runs past the end */
/* clang-format on */

/*** A recording user. ***/

typedef struct {
	pthread_mutex_t lock;
	char lines[64][480];
	int line_count;
	mecdns_refresh_status_t last;
	int status_calls;
} recorder_t;

static void record_log(void *data, int priority, const char *msg)
{
	recorder_t *rec = data;
	pthread_mutex_lock(&rec->lock);
	if (rec->line_count < 64) {
		snprintf(rec->lines[rec->line_count++], sizeof(rec->lines[0]), "%s", msg);
	}
	pthread_mutex_unlock(&rec->lock);
}

static void record_status(void *data, const mecdns_refresh_status_t *status)
{
	recorder_t *rec = data;
	pthread_mutex_lock(&rec->lock);
	rec->last = *status;
	rec->status_calls++;
	pthread_mutex_unlock(&rec->lock);
}

static void recorder_init(recorder_t *rec)
{
	memset(rec, 0, sizeof(*rec));
	pthread_mutex_init(&rec->lock, NULL);
}

/*! \brief Log lines containing text. */
static int lines_with(recorder_t *rec, const char *text)
{
	int count = 0;
	pthread_mutex_lock(&rec->lock);
	for (int i = 0; i < rec->line_count; i++) {
		count += strstr(rec->lines[i], text) != NULL;
	}
	pthread_mutex_unlock(&rec->lock);
	return count;
}

static mecdns_refresh_sink_t sink_of(recorder_t *rec)
{
	return (mecdns_refresh_sink_t){
		.log = record_log,
		.status = record_status,
		.data = rec,
		.prefer_log = true,
	};
}

/*** A database written like syncd writes it. ***/

static char *dir;
static char *db_path;

static void setup(void)
{
	rcu_register_thread();
	dir = harness_tmpdir("refresh");
	ck_assert_ptr_nonnull(dir);
	db_path = harness_strdupf("%s/rules.db", dir);
}

static void teardown(void)
{
	mecdns_refresh_shutdown();
	rcu_unregister_thread();
	harness_rmtree(dir);
	free(db_path);
	free(dir);
}

static sqlite3 *writer_open(void)
{
	sqlite3 *db = NULL;
	char err[256] = "";
	ck_assert_msg(mecdns_db_open(db_path, MECDNS_DB_WRITER, &db, err, sizeof(err)) == SQLITE_OK,
	              "%s", err);
	return db;
}

/*! \brief Runs SQL formatted by sqlite3_vmprintf() (%Q quotes a string). */
static void exec(sqlite3 *db, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	char *sql = sqlite3_vmprintf(fmt, args);
	va_end(args);
	char *msg = NULL;
	int ret = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(ret == SQLITE_OK, "%s: %s", sql, msg);
	sqlite3_free(sql);
}

/*! \brief One generation that upserts one rule; returns the generation. */
static uint64_t put_rule(sqlite3 *db, const char *app, const char *id, const char *owner,
                         const char *type, const char *ip, const char *ttl, const char *state)
{
	exec(
	    db,
	    "BEGIN IMMEDIATE;"
	    "UPDATE state SET generation = generation + 1 WHERE id = 1;"
	    "INSERT INTO changes (generation, committed_ms, kind, owner, prev_owner, "
	    "  app_instance_id, dns_rule_id, domain_name, state) "
	    "SELECT generation, 0, 'rule', %Q, (SELECT owner FROM rules WHERE "
	    "  app_instance_id = %Q AND dns_rule_id = %Q AND owner <> %Q), %Q, %Q, %Q, %Q FROM "
	    "state;"
	    "INSERT INTO rules (app_instance_id, dns_rule_id, domain_name, owner, ip_address_type, "
	    "  ip_address, ttl, state, created_ms, updated_ms, generation) "
	    "VALUES (%Q, %Q, %Q, %Q, %Q, %Q, %s, %Q, 0, 0, (SELECT generation FROM state)) "
	    "ON CONFLICT (app_instance_id, dns_rule_id) DO UPDATE SET owner = excluded.owner, "
	    "  domain_name = excluded.domain_name, ip_address_type = excluded.ip_address_type, "
	    "  ip_address = excluded.ip_address, ttl = excluded.ttl, state = excluded.state, "
	    "  generation = excluded.generation;"
	    "COMMIT;",
	    owner, app, id, owner, app, id, owner, state, app, id, owner, owner, type, ip, ttl,
	    state);
	sqlite3_stmt *stmt = NULL;
	sqlite3_prepare_v2(db, "SELECT generation FROM state", -1, &stmt, NULL);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	uint64_t generation = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return generation;
}

static mecdns_refresh_user_t *attach(recorder_t *rec, uint32_t default_ttl, uint32_t linger_ms,
                                     bool *reused)
{
	const mecdns_refresh_conf_t conf = {
		.database = db_path,
		.default_ttl = default_ttl,
		.interval_ms = 50,
		.linger_ms = linger_ms,
		.first_load_wait_ms = 5000,
	};
	mecdns_refresh_sink_t sink = sink_of(rec);
	mecdns_refresh_user_t *user = NULL;
	ck_assert_int_eq(mecdns_refresh_attach(&conf, &sink, &user, reused), KNOT_EOK);
	return user;
}

static uint64_t loaded_generation(mecdns_refresh_user_t *user)
{
	mecdns_refresh_status_t status;
	mecdns_refresh_get_status(user, &status);
	return status.generation;
}

/*! \brief Waits until the user sees generation (up to 3 s). */
static bool wait_generation(mecdns_refresh_user_t *user, uint64_t generation)
{
	for (int i = 0; i < 300; i++) {
		if (loaded_generation(user) == generation) {
			return true;
		}
		harness_sleep_ms(10);
	}
	return false;
}

/*! \brief Records of a type at a name in the published index, or -1 when
 *         the name is not there. ttl (if not NULL) gets the rrset TTL. */
static int records_at(mecdns_refresh_user_t *user, const char *name, uint16_t type, uint32_t *ttl)
{
	knot_dname_storage_t owner;
	ck_assert_ptr_nonnull(knot_dname_from_str(owner, name, sizeof(owner)));
	rcu_read_lock();
	const mecdns_index_t *index = mecdns_refresh_index(user);
	const mecdns_owner_t *entry = index != NULL ? mecdns_index_find(index, owner) : NULL;
	int count = -1;
	if (entry != NULL) {
		const knot_rrset_t *rrset = mecdns_owner_rrset(entry, type);
		count = rrset != NULL ? rrset->rrs.count : 0;
		if (rrset != NULL && ttl != NULL) {
			*ttl = rrset->ttl;
		}
	}
	rcu_read_unlock();
	return count;
}

/*** Row conversion. ***/

START_TEST(test_owner_parse_accepts_canonical_names)
{
	knot_dname_storage_t name = { 0 };
	ck_assert_int_eq(mecdns_owner_parse("www.example.com.", name), KNOT_EOK);
	ck_assert(knot_dname_is_equal(name, WWW_EXAMPLE_COM));
	ck_assert_int_eq(mecdns_owner_parse("_https._tcp.edge-1.example.", name), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_parse(".", name), KNOT_EOK);
}
END_TEST

START_TEST(test_owner_parse_rejects_non_canonical_names)
{
	knot_dname_storage_t name = { 0 };
	char long_label[80];
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".com.");
	const char *bad[] = {
		"", "WWW.example.com.", "www.example.com", "a..b.", "\\097.com.", long_label, NULL,
	};
	for (int i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(mecdns_owner_parse(bad[i], name) == KNOT_EINVAL, "%s", bad[i]);
	}
	ck_assert_int_eq(mecdns_owner_parse(NULL, name), KNOT_EINVAL);
}
END_TEST

START_TEST(test_rules_become_a_and_aaaa_with_default_and_smallest_ttl)
{
	mecdns_owner_t *entry = mecdns_owner_new(WWW_EXAMPLE);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IP_V4", "172.16.189.14", false, 0, 60, NULL),
	                 KNOT_EOK);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IP_V4", "172.16.189.15", true, 30, 60, NULL),
	                 KNOT_EOK);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IP_V6", "2001:db8::14", true, 120, 60, NULL),
	                 KNOT_EOK);

	const knot_rrset_t *a = mecdns_owner_rrset(entry, KNOT_RRTYPE_A);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->rrs.count, 2);
	ck_assert_int_eq(a->ttl, 30);
	const knot_rrset_t *aaaa = mecdns_owner_rrset(entry, KNOT_RRTYPE_AAAA);
	ck_assert_ptr_nonnull(aaaa);
	ck_assert_int_eq(aaaa->ttl, 120);
	ck_assert_mem_eq(aaaa->rrs.rdata->data, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x14", 16);
	mecdns_owner_free(entry);
}
END_TEST

/*! A reporting rule marks its scope, and only the scope that answers a
 *  client tells it: the decided subnet's scope has report set. */
START_TEST(test_a_reporting_rule_marks_the_scope_that_answers)
{
	mecdns_owner_t *entry = mecdns_owner_new(WWW_EXAMPLE);
	const char *ue = "10.45.1.7/32,2001:db8:45:1::/64";
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IP_V4", "192.0.2.45", false, 0, 60, ue),
	                 KNOT_EOK);
	ck_assert_int_eq(mecdns_entry_mark_report(entry, ue), KNOT_EOK);
	ck_assert_int_eq(
	    mecdns_entry_add_rule(entry, "IP_V4", "192.0.2.9", false, 0, 60, "10.45.0.0/16"),
	    KNOT_EOK);
	/* No scope, or a scope without records: refused. */
	ck_assert_int_eq(mecdns_entry_mark_report(entry, NULL), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_mark_report(entry, "10.46.0.0/16"), KNOT_ENOENT);
	ck_assert_int_eq(mecdns_entry_mark_report(entry, "not a scope"), KNOT_EINVAL);
	ck_assert(entry->scoped_types & MECDNS_SCOPED_REPORT);

	mecdns_client_t ue_client = { .family = 4, .bits = 32, .addr = { 10, 45, 1, 7 } };
	mecdns_client_t pool = { .family = 4, .bits = 32, .addr = { 10, 45, 9, 9 } };
	uint8_t scope_len = 0;
	const mecdns_subnet_t *decided = NULL;
	ck_assert_ptr_nonnull(
	    mecdns_owner_decide(entry, KNOT_RRTYPE_A, &ue_client, &scope_len, &decided));
	ck_assert_ptr_nonnull(decided);
	ck_assert(mecdns_scoped_of(decided)->report);
	ck_assert_uint_eq(decided->length, 32);
	ck_assert_ptr_nonnull(
	    mecdns_owner_decide(entry, KNOT_RRTYPE_A, &pool, &scope_len, &decided));
	ck_assert_ptr_nonnull(decided);
	ck_assert(!mecdns_scoped_of(decided)->report);
	ck_assert_uint_eq(decided->length, 16);
	/* The mark costs no byte: it lives in the subnet's padding. */
	ck_assert_uint_eq(sizeof(mecdns_scoped_t), sizeof(mecdns_subnet_t) + sizeof(void *) +
	                                               (8 - sizeof(mecdns_subnet_t) % 8) % 8);
	mecdns_owner_free(entry);
}
END_TEST

START_TEST(test_hostile_rule_rows_are_rejected)
{
	mecdns_owner_t *entry = mecdns_owner_new((const uint8_t *)"\x01x\x00");
	ck_assert_int_eq(
	    mecdns_entry_add_rule(entry, "IP_V4", "172.16.189.256", false, 0, 60, NULL),
	    KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IP_V4", "2001:db8::1", false, 0, 60, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IP_V6", "10.0.0.1", false, 0, 60, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IPV4", "10.0.0.1", false, 0, 60, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IP_V4", "10.0.0.1", true, -1, 60, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(
	    mecdns_entry_add_rule(entry, "IP_V4", "10.0.0.1", true, 1LL << 31, 60, NULL),
	    KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, NULL, "10.0.0.1", false, 0, 60, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rule(entry, "IP_V4", NULL, false, 0, 60, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_records(entry), 0);
	mecdns_owner_free(entry);
}
END_TEST

START_TEST(test_rdata_rows_must_be_one_uncompressed_rdata)
{
	mecdns_owner_t *entry = mecdns_owner_new((const uint8_t *)"\x01x\x00");
	/* Valid TXT, SRV and MX. */
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, KNOT_RRTYPE_TXT, 300,
	                                        (const uint8_t *)"\x05hello", 6, NULL),
	                 KNOT_EOK);
	ck_assert_int_eq(
	    mecdns_entry_add_rdata(entry, KNOT_RRTYPE_SRV, 50,
	                           (const uint8_t *)"\x00\x0a\x00\x05\x01\xbb\x03srv\x07"
	                                            "example\x00",
	                           19, NULL),
	    KNOT_EOK);
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, KNOT_RRTYPE_MX, 50,
	                                        (const uint8_t *)"\x00\x0a\x02mx\x00", 6, NULL),
	                 KNOT_EOK);
	/* A compression pointer, a label running past the end, a short A. */
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, KNOT_RRTYPE_MX, 50,
	                                        (const uint8_t *)"\x00\x0a\xc0\x00", 4, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(
	    mecdns_entry_add_rdata(entry, KNOT_RRTYPE_CNAME, 50, EDGE_UNTERMINATED, 6, NULL),
	    KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, KNOT_RRTYPE_A, 50,
	                                        (const uint8_t *)"\x0a\x00\x00", 3, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, KNOT_RRTYPE_TXT, 50,
	                                        (const uint8_t *)"\x09short", 6, NULL),
	                 KNOT_EINVAL);
	/* Out of range type, TTL or length. */
	uint8_t big[70000] = { 0 };
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, 0, 50, big, 4, NULL), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, 70000, 50, big, 4, NULL), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, KNOT_RRTYPE_A, -5, big, 4, NULL),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, 65280, 50, big, sizeof(big), NULL),
	                 KNOT_EINVAL);
	/* Long but valid rdata of a private type (checked on the heap). */
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, 65280, 50, big, 60000, NULL), KNOT_EOK);

	ck_assert_int_eq(mecdns_owner_records(entry), 4);
	mecdns_owner_free(entry);
}
END_TEST

START_TEST(test_zone_and_dnssec_types_are_not_served)
{
	const uint16_t not_served[] = {
		0,
		KNOT_RRTYPE_SOA,
		KNOT_RRTYPE_NS,
		KNOT_RRTYPE_DS,
		KNOT_RRTYPE_DNSKEY,
		KNOT_RRTYPE_RRSIG,
		KNOT_RRTYPE_NSEC,
		KNOT_RRTYPE_NSEC3,
		KNOT_RRTYPE_NSEC3PARAM,
		KNOT_RRTYPE_CDS,
		KNOT_RRTYPE_CDNSKEY,
		KNOT_RRTYPE_DNAME,
		KNOT_RRTYPE_OPT,
		KNOT_RRTYPE_TSIG,
		KNOT_RRTYPE_ANY,
		KNOT_RRTYPE_AXFR,
	};
	for (size_t i = 0; i < sizeof(not_served) / sizeof(not_served[0]); i++) {
		ck_assert_msg(!mecdns_type_served(not_served[i]), "type %u", not_served[i]);
	}
	const uint16_t served[] = {
		KNOT_RRTYPE_A,   KNOT_RRTYPE_AAAA,  KNOT_RRTYPE_CNAME,
		KNOT_RRTYPE_TXT, KNOT_RRTYPE_SRV,   KNOT_RRTYPE_MX,
		KNOT_RRTYPE_PTR, KNOT_RRTYPE_HTTPS, KNOT_RRTYPE_CAA,
		65280,
	};
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
		ck_assert_msg(mecdns_type_served(served[i]), "type %u", served[i]);
	}

	mecdns_owner_t *entry = mecdns_owner_new((const uint8_t *)"\x01x\x00");
	ck_assert_int_eq(mecdns_entry_add_rdata(entry, KNOT_RRTYPE_NS, 50,
	                                        (const uint8_t *)"\x02ns\x00", 4, NULL),
	                 KNOT_ENOTSUP);
	mecdns_owner_free(entry);
}
END_TEST

/*** The refresher against a database. ***/

START_TEST(test_first_attach_loads_the_database)
{
	sqlite3 *db = writer_open();
	put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14", "NULL", "ACTIVE");
	put_rule(db, "app2", "r1", "www.example.com.", "IP_V4", "172.16.189.15", "30", "ACTIVE");
	uint64_t generation =
	    put_rule(db, "app1", "r2", "off.example.com.", "IP_V4", "10.0.0.1", "NULL", "INACTIVE");

	recorder_t rec;
	recorder_init(&rec);
	bool reused = true;
	mecdns_refresh_user_t *user = attach(&rec, 60, 0, &reused);
	ck_assert(!reused);
	ck_assert_uint_eq(loaded_generation(user), generation);
	ck_assert_uint_eq(rec.last.generation, generation);
	ck_assert_uint_eq(rec.last.records, 2);

	uint32_t ttl = 0;
	ck_assert_int_eq(records_at(user, "www.example.com.", KNOT_RRTYPE_A, &ttl), 2);
	ck_assert_uint_eq(ttl, 30);
	ck_assert_int_eq(records_at(user, "off.example.com.", KNOT_RRTYPE_A, NULL), -1);
	ck_assert_int_eq(lines_with(&rec, "full load"), 1);

	mecdns_refresh_detach(user);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_changes_are_applied_incrementally)
{
	sqlite3 *db = writer_open();
	put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14", "NULL", "ACTIVE");
	recorder_t rec;
	recorder_init(&rec);
	mecdns_refresh_user_t *user = attach(&rec, 60, 0, NULL);

	/* A new name appears, a rule moves from one name to another, a rule
	 * becomes INACTIVE: each generation is visible as a whole. */
	uint64_t g =
	    put_rule(db, "app1", "r2", "new.example.com.", "IP_V6", "2001:db8::1", "10", "ACTIVE");
	ck_assert(wait_generation(user, g));
	ck_assert_int_eq(records_at(user, "new.example.com.", KNOT_RRTYPE_AAAA, NULL), 1);

	g = put_rule(db, "app1", "r2", "moved.example.com.", "IP_V6", "2001:db8::1", "10",
	             "ACTIVE");
	ck_assert(wait_generation(user, g));
	ck_assert_int_eq(records_at(user, "new.example.com.", KNOT_RRTYPE_AAAA, NULL), -1);
	ck_assert_int_eq(records_at(user, "moved.example.com.", KNOT_RRTYPE_AAAA, NULL), 1);

	g = put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14", "NULL",
	             "INACTIVE");
	ck_assert(wait_generation(user, g));
	ck_assert_int_eq(records_at(user, "www.example.com.", KNOT_RRTYPE_A, NULL), -1);

	ck_assert_int_eq(lines_with(&rec, "full"), 1);
	mecdns_refresh_detach(user);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_rrsets_join_rules_at_one_name)
{
	sqlite3 *db = writer_open();
	put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14", "300", "ACTIVE");
	exec(db, "BEGIN; UPDATE state SET generation = generation + 1;"
	         "INSERT INTO changes (generation, committed_ms, kind, owner) "
	         "  SELECT generation, 0, 'rrset', 'www.example.com.' FROM state;"
	         "INSERT INTO rrsets VALUES ('.', 'www.example.com.', 1, 20, 0, 0, '');"
	         "INSERT INTO rdata VALUES ('.', 'www.example.com.', 1, 0, '', X'ac10bd0e', '');"
	         "INSERT INTO rdata VALUES ('.', 'www.example.com.', 1, 1, '', X'ac10bd63', '');"
	         "INSERT INTO rrsets VALUES ('.', 'www.example.com.', 16, 20, 0, 0, '');"
	         "INSERT INTO rdata VALUES ('.', 'www.example.com.', 16, 0, '', X'026869', '');"
	         "INSERT INTO rrsets VALUES ('.', 'www.example.com.', 2, 20, 0, 0, '');"
	         "INSERT INTO rdata VALUES ('.', 'www.example.com.', 2, 0, '', X'026e7300', '');"
	         "COMMIT;");
	recorder_t rec;
	recorder_init(&rec);
	mecdns_refresh_user_t *user = attach(&rec, 60, 0, NULL);

	/* The same address from a rule and an rrset counts once; the smaller
	 * TTL wins; NS is not served. */
	uint32_t ttl = 0;
	ck_assert_int_eq(records_at(user, "www.example.com.", KNOT_RRTYPE_A, &ttl), 2);
	ck_assert_uint_eq(ttl, 20);
	ck_assert_int_eq(records_at(user, "www.example.com.", KNOT_RRTYPE_TXT, NULL), 1);
	ck_assert_int_eq(records_at(user, "www.example.com.", KNOT_RRTYPE_NS, NULL), 0);
	mecdns_refresh_detach(user);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_pruned_change_log_or_new_instance_reload_in_full)
{
	sqlite3 *db = writer_open();
	put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14", "NULL", "ACTIVE");
	recorder_t rec;
	recorder_init(&rec);
	mecdns_refresh_user_t *user = attach(&rec, 60, 0, NULL);

	/* Two generations whose change rows are already pruned: only a full
	 * reload can see them. */
	exec(db, "BEGIN;"
	         "UPDATE state SET generation = generation + 2, pruned_through = generation + 1;"
	         "INSERT INTO rules (app_instance_id, dns_rule_id, domain_name, owner, "
	         "  ip_address_type, ip_address, ttl, state, created_ms, updated_ms, generation) "
	         "VALUES ('app1', 'r2', 'later.example.com.', 'later.example.com.', 'IP_V4', "
	         "  '10.0.0.3', NULL, 'ACTIVE', 0, 0, (SELECT generation FROM state));"
	         "COMMIT;");
	uint64_t g =
	    put_rule(db, "app1", "r3", "last.example.com.", "IP_V4", "10.0.0.4", "NULL", "ACTIVE");
	ck_assert(wait_generation(user, g));
	ck_assert_int_eq(records_at(user, "later.example.com.", KNOT_RRTYPE_A, NULL), 1);
	ck_assert_int_eq(records_at(user, "last.example.com.", KNOT_RRTYPE_A, NULL), 1);
	ck_assert_int_eq(lines_with(&rec, "change log pruned"), 1);

	/* Another database file (new instance id), same generation. */
	exec(db, "BEGIN; DELETE FROM rules WHERE owner = 'last.example.com.';"
	         "UPDATE state SET instance = 'other'; COMMIT;");
	for (int i = 0; i < 300 && records_at(user, "last.example.com.", KNOT_RRTYPE_A, NULL) != -1;
	     i++) {
		harness_sleep_ms(10);
	}
	ck_assert_int_eq(records_at(user, "last.example.com.", KNOT_RRTYPE_A, NULL), -1);
	ck_assert_int_eq(lines_with(&rec, "new database file"), 1);

	mecdns_refresh_detach(user);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_users_of_one_database_share_one_index)
{
	sqlite3 *db = writer_open();
	put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14", "NULL", "ACTIVE");
	recorder_t rec1, rec2, rec3;
	recorder_init(&rec1);
	recorder_init(&rec2);
	recorder_init(&rec3);
	bool reused = false;
	mecdns_refresh_user_t *first = attach(&rec1, 60, 0, &reused);
	ck_assert(!reused);
	mecdns_refresh_user_t *second = attach(&rec2, 60, 0, &reused);
	ck_assert(reused);
	ck_assert_uint_eq(rec2.last.generation, loaded_generation(first));

	rcu_read_lock();
	ck_assert_ptr_eq(mecdns_refresh_index(first), mecdns_refresh_index(second));
	rcu_read_unlock();

	/* Another default TTL is another index. */
	mecdns_refresh_user_t *third = attach(&rec3, 99, 0, &reused);
	ck_assert(!reused);
	uint32_t ttl = 0;
	ck_assert_int_eq(records_at(third, "www.example.com.", KNOT_RRTYPE_A, &ttl), 1);
	ck_assert_uint_eq(ttl, 99);

	/* Log lines go to one user only. */
	uint64_t g =
	    put_rule(db, "app1", "r2", "bad.example.com.", "IP_V4", "300.1.1.1", "NULL", "ACTIVE");
	ck_assert(wait_generation(second, g));
	harness_sleep_ms(50);
	ck_assert_int_eq(lines_with(&rec1, "skipped 1 invalid rows") +
	                     lines_with(&rec2, "skipped 1 invalid rows"),
	                 1);

	mecdns_refresh_detach(third);
	mecdns_refresh_detach(second);
	mecdns_refresh_detach(first);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_unused_index_lingers_then_stops)
{
	sqlite3 *db = writer_open();
	uint64_t g = put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14",
	                      "NULL", "ACTIVE");
	recorder_t rec;
	recorder_init(&rec);
	bool reused = false;
	mecdns_refresh_user_t *user = attach(&rec, 60, 300, &reused);

	/* Like a reload that unloads before it loads again. */
	mecdns_refresh_detach(user);
	user = attach(&rec, 60, 300, &reused);
	ck_assert(reused);
	ck_assert_uint_eq(loaded_generation(user), g);

	/* Dropped from the configuration: gone after the linger. */
	mecdns_refresh_detach(user);
	harness_sleep_ms(600);
	user = attach(&rec, 60, 300, &reused);
	ck_assert(!reused);
	ck_assert_uint_eq(loaded_generation(user), g);
	mecdns_refresh_detach(user);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_missing_database_is_logged_once_and_retried)
{
	recorder_t rec;
	recorder_init(&rec);
	mecdns_refresh_user_t *user = attach(&rec, 60, 0, NULL);
	rcu_read_lock();
	ck_assert_ptr_null(mecdns_refresh_index(user));
	rcu_read_unlock();

	harness_sleep_ms(300);
	mecdns_refresh_status_t status;
	mecdns_refresh_get_status(user, &status);
	ck_assert(!status.loaded);
	ck_assert_uint_ge(status.refresh_errors, 3);
	ck_assert_int_eq(lines_with(&rec, "unavailable"), 1);

	sqlite3 *db = writer_open();
	uint64_t g = put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14",
	                      "NULL", "ACTIVE");
	ck_assert(wait_generation(user, g));
	ck_assert_int_eq(records_at(user, "www.example.com.", KNOT_RRTYPE_A, NULL), 1);
	ck_assert_int_eq(lines_with(&rec, "readable again"), 1);
	mecdns_refresh_detach(user);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_unknown_schema_version_keeps_the_last_good_index)
{
	sqlite3 *db = writer_open();
	uint64_t g = put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14",
	                      "NULL", "ACTIVE");
	recorder_t rec;
	recorder_init(&rec);
	mecdns_refresh_user_t *user = attach(&rec, 60, 0, NULL);

	put_rule(db, "app1", "r2", "next.example.com.", "IP_V4", "10.0.0.1", "NULL", "ACTIVE");
	exec(db, "PRAGMA user_version = %d", MECDNS_SCHEMA_VERSION + 1);
	put_rule(db, "app1", "r3", "after.example.com.", "IP_V4", "10.0.0.2", "NULL", "ACTIVE");
	harness_sleep_ms(400);

	/* Either the first change made it before the version bump or not; the
	 * name after it never does, and www stays. */
	ck_assert_int_eq(records_at(user, "www.example.com.", KNOT_RRTYPE_A, NULL), 1);
	ck_assert_int_eq(records_at(user, "after.example.com.", KNOT_RRTYPE_A, NULL), -1);
	ck_assert_uint_ge(loaded_generation(user), g);
	ck_assert_int_eq(lines_with(&rec, "schema version"), 1);
	mecdns_refresh_status_t status;
	mecdns_refresh_get_status(user, &status);
	ck_assert_uint_ge(status.refresh_errors, 2);

	exec(db, "PRAGMA user_version = %d", MECDNS_SCHEMA_VERSION);
	uint64_t last =
	    put_rule(db, "app1", "r4", "fixed.example.com.", "IP_V4", "10.0.0.3", "NULL", "ACTIVE");
	ck_assert(wait_generation(user, last));
	ck_assert_int_eq(records_at(user, "after.example.com.", KNOT_RRTYPE_A, NULL), 1);
	mecdns_refresh_detach(user);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_hostile_rows_are_skipped_and_counted)
{
	sqlite3 *db = writer_open();
	put_rule(db, "app1", "r1", "www.example.com.", "IP_V4", "172.16.189.14", "NULL", "ACTIVE");
	/* Rows the schema's CHECKs would refuse, written around them. */
	exec(
	    db,
	    "PRAGMA ignore_check_constraints = ON; BEGIN;"
	    "UPDATE state SET generation = generation + 1;"
	    "INSERT INTO rules VALUES ('x', '1', 'UP.example.com.', 'UP.example.com.', 'IP_V4', "
	    "  '10.0.0.1', NULL, 'ACTIVE', 1, 0, 0, 0, NULL, 0);"
	    "INSERT INTO rules VALUES ('x', '2', 'ttl.example.com.', 'ttl.example.com.', 'IP_V4', "
	    "  '10.0.0.1', -7, 'ACTIVE', 1, 0, 0, 0, NULL, 0);"
	    "INSERT INTO rules VALUES ('x', '3', 'www.example.com.', 'www.example.com.', 'IP_V4', "
	    "  'not an address', NULL, 'ACTIVE', 1, 0, 0, 0, NULL, 0);"
	    "INSERT INTO rrsets VALUES ('.', 'www.example.com.', 5, 20, 0, 0, '');"
	    "INSERT INTO rdata VALUES ('.', 'www.example.com.', 5, 0, '', X'07656467650000', '');"
	    "INSERT INTO rrsets VALUES ('.', 'txt.example.com.', 16, 20, 0, 0, '');"
	    "INSERT INTO rdata VALUES ('.', 'txt.example.com.', 16, 0, '', 'text, not a blob', '');"
	    "COMMIT;");
	recorder_t rec;
	recorder_init(&rec);
	mecdns_refresh_user_t *user = attach(&rec, 60, 0, NULL);

	ck_assert_int_eq(records_at(user, "www.example.com.", KNOT_RRTYPE_A, NULL), 1);
	ck_assert_int_eq(records_at(user, "ttl.example.com.", KNOT_RRTYPE_A, NULL), -1);
	ck_assert_int_eq(records_at(user, "txt.example.com.", KNOT_RRTYPE_TXT, NULL), -1);
	mecdns_refresh_status_t status;
	mecdns_refresh_get_status(user, &status);
	ck_assert_uint_eq(status.skipped_rows, 5);
	ck_assert_int_eq(lines_with(&rec, "skipped 5 invalid rows"), 1);
	mecdns_refresh_detach(user);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_attach_refuses_bad_settings)
{
	recorder_t rec;
	recorder_init(&rec);
	mecdns_refresh_sink_t sink = sink_of(&rec);
	mecdns_refresh_user_t *user = NULL;
	mecdns_refresh_conf_t conf = { .database = "relative.db", .interval_ms = 10 };
	ck_assert_int_eq(mecdns_refresh_attach(&conf, &sink, &user, NULL), KNOT_EINVAL);
	conf.database = db_path;
	conf.interval_ms = 0;
	ck_assert_int_eq(mecdns_refresh_attach(&conf, &sink, &user, NULL), KNOT_EINVAL);
	ck_assert_ptr_null(user);
}
END_TEST

static Suite *refresh_suite(void)
{
	Suite *s = suite_create("refresh");

	TCase *rows = tcase_create("rows");
	tcase_add_test(rows, test_owner_parse_accepts_canonical_names);
	tcase_add_test(rows, test_owner_parse_rejects_non_canonical_names);
	tcase_add_test(rows, test_rules_become_a_and_aaaa_with_default_and_smallest_ttl);
	tcase_add_test(rows, test_a_reporting_rule_marks_the_scope_that_answers);
	tcase_add_test(rows, test_hostile_rule_rows_are_rejected);
	tcase_add_test(rows, test_rdata_rows_must_be_one_uncompressed_rdata);
	tcase_add_test(rows, test_zone_and_dnssec_types_are_not_served);
	suite_add_tcase(s, rows);

	TCase *db = tcase_create("database");
	tcase_add_checked_fixture(db, setup, teardown);
	tcase_set_timeout(db, 30);
	tcase_add_test(db, test_first_attach_loads_the_database);
	tcase_add_test(db, test_changes_are_applied_incrementally);
	tcase_add_test(db, test_rrsets_join_rules_at_one_name);
	tcase_add_test(db, test_pruned_change_log_or_new_instance_reload_in_full);
	tcase_add_test(db, test_users_of_one_database_share_one_index);
	tcase_add_test(db, test_unused_index_lingers_then_stops);
	tcase_add_test(db, test_missing_database_is_logged_once_and_retried);
	tcase_add_test(db, test_unknown_schema_version_keeps_the_last_good_index);
	tcase_add_test(db, test_hostile_rows_are_skipped_and_counted);
	tcase_add_test(db, test_attach_refuses_bad_settings);
	suite_add_tcase(s, db);

	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(refresh_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
