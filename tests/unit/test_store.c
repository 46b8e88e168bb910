/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of the mecdns store (store/store.h) and mecdns-db.
 *
 *  Every test gets a fresh database file in one mkdtemp directory that is
 *  removed at the end. The tests name the behaviour they pin down.
 */

#include <arpa/inet.h>
#include <check.h>
#include <sqlite3.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "schema/schema.h"
#include "store/store.h"
#include "common/answer.h"
#include "common/rdata.h"

#define TYPE_A     1
#define TYPE_CNAME 5
#define TYPE_MX    15
#define TYPE_TXT   16
#define TYPE_AAAA  28

static char test_dir[256];
static char db_path[512];
static mecdns_store_t *store;
static int db_counter;

/*** Fixtures and helpers. ***/

static void remove_db_files(const char *path)
{
	char name[1024];
	unlink(path);
	snprintf(name, sizeof(name), "%s-wal", path);
	unlink(name);
	snprintf(name, sizeof(name), "%s-shm", path);
	unlink(name);
}

static void new_db_path(void)
{
	snprintf(db_path, sizeof(db_path), "%s/t%d-%d.db", test_dir, (int)getpid(), ++db_counter);
}

static void setup(void)
{
	new_db_path();
	char err[512] = "";
	ck_assert_int_eq(mecdns_store_open(db_path, &store, err, sizeof(err)), MECDNS_STORE_OK);
}

static void teardown(void)
{
	mecdns_store_close(store);
	store = NULL;
	remove_db_files(db_path);
}

static uint64_t generation(void)
{
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_state(store, &gen, NULL, NULL), MECDNS_STORE_OK);
	return gen;
}

static mecdns_rule_t rule_of(const char *app, const char *id, const char *name, const char *address,
                             bool active)
{
	return (mecdns_rule_t){
		.app_instance_id = (char *)app,
		.dns_rule_id = (char *)id,
		.domain_name = (char *)name,
		.ip_type = strchr(address, ':') != NULL ? MECDNS_IP_V6 : MECDNS_IP_V4,
		.ip_address = (char *)address,
		.ttl = -1,
		.active = active,
	};
}

static void create_rule(const char *app, const char *id, const char *name, const char *address,
                        bool active)
{
	mecdns_rule_t rule = rule_of(app, id, name, address, active);
	ck_assert_msg(mecdns_store_rule_create(store, &rule, NULL) == MECDNS_STORE_OK, "%s",
	              mecdns_store_last_error());
}

static void create_scoped_rule(const char *app, const char *id, const char *name,
                               const char *address, const char *scope)
{
	mecdns_rule_t rule = rule_of(app, id, name, address, true);
	rule.client_subnets = (char *)scope;
	ck_assert_msg(mecdns_store_rule_create(store, &rule, NULL) == MECDNS_STORE_OK, "%s",
	              mecdns_store_last_error());
}

/*! An rrset built in place by a test (pointers into itself: do not copy). */
typedef struct {
	mecdns_rrset_t set;
	mecdns_rdata_t rdata[8];
	uint8_t wire[8][256];
} test_set_t;

static void set_init(test_set_t *t, const char *zone, const char *owner, uint16_t type,
                     uint32_t ttl)
{
	memset(t, 0, sizeof(*t));
	t->set.zone = (char *)zone;
	t->set.owner = (char *)owner;
	t->set.type = type;
	t->set.ttl = ttl;
	t->set.rdata = t->rdata;
}

static void set_push(test_set_t *t, const char *text, const uint8_t *wire, size_t len)
{
	size_t i = t->set.rdata_count++;
	ck_assert_uint_lt(i, 8);
	memcpy(t->wire[i], wire, len);
	t->rdata[i].text = (char *)text;
	t->rdata[i].wire = t->wire[i];
	t->rdata[i].wire_len = (uint16_t)len;
}

static void set_add_address(test_set_t *t, const char *address)
{
	uint8_t wire[16];
	bool v6 = strchr(address, ':') != NULL;
	ck_assert_int_eq(inet_pton(v6 ? AF_INET6 : AF_INET, address, wire), 1);
	set_push(t, address, wire, v6 ? 16 : 4);
}

/*! \brief Adds a CNAME target (absolute name) in wire format. */
static void set_add_cname(test_set_t *t, const char *target)
{
	uint8_t wire[256];
	size_t len = 0;
	const char *label = target;
	while (*label != '\0' && strcmp(label, ".") != 0) {
		const char *dot = strchr(label, '.');
		size_t label_len = (size_t)(dot - label);
		wire[len++] = (uint8_t)label_len;
		memcpy(wire + len, label, label_len);
		len += label_len;
		label = dot + 1;
	}
	wire[len++] = 0;
	set_push(t, target, wire, len);
}

static void set_add_txt(test_set_t *t, const char *presentation, const char *text)
{
	uint8_t wire[256];
	size_t len = strlen(text);
	wire[0] = (uint8_t)len;
	memcpy(wire + 1, text, len);
	set_push(t, presentation, wire, len + 1);
}

static void put_rrset(test_set_t *t)
{
	ck_assert_msg(mecdns_store_rrset_replace(store, &t->set, 1, NULL) == MECDNS_STORE_OK, "%s",
	              mecdns_store_last_error());
}

static void put_a(const char *zone, const char *owner, const char *address)
{
	test_set_t t;
	set_init(&t, zone, owner, TYPE_A, 300);
	set_add_address(&t, address);
	put_rrset(&t);
}

static void put_cname(const char *zone, const char *owner, const char *target)
{
	test_set_t t;
	set_init(&t, zone, owner, TYPE_CNAME, 300);
	set_add_cname(&t, target);
	put_rrset(&t);
}

/*! A copy of one change log row. */
typedef struct {
	uint64_t seq;
	uint64_t generation;
	mecdns_change_kind_t kind;
	char owner[256];
	char prev_owner[256]; /*!< "" for NULL. */
	char dns_rule_id[64];
	char domain_name[256];
	char state[16];
	char zone[256];
	char rrtype[16];
	uint32_t rdata_count;
} change_copy_t;

typedef struct {
	change_copy_t *rows;
	size_t count;
	size_t capacity;
	size_t stop_after; /*!< 0: never stop early. */
} change_log_t;

static void copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static bool collect_change(const mecdns_change_t *change, void *ctx)
{
	change_log_t *log = ctx;
	if (log->count == log->capacity) {
		log->capacity = log->capacity == 0 ? 16 : log->capacity * 2;
		log->rows = realloc(log->rows, log->capacity * sizeof(*log->rows));
		ck_assert_ptr_nonnull(log->rows);
	}
	change_copy_t *row = &log->rows[log->count++];
	memset(row, 0, sizeof(*row));
	row->seq = change->seq;
	row->generation = change->generation;
	row->kind = change->kind;
	copy_text(row->owner, sizeof(row->owner), change->owner);
	copy_text(row->prev_owner, sizeof(row->prev_owner), change->prev_owner);
	copy_text(row->dns_rule_id, sizeof(row->dns_rule_id), change->dns_rule_id);
	copy_text(row->domain_name, sizeof(row->domain_name), change->domain_name);
	copy_text(row->state, sizeof(row->state), change->state);
	copy_text(row->zone, sizeof(row->zone), change->zone);
	copy_text(row->rrtype, sizeof(row->rrtype), change->rrtype);
	row->rdata_count = change->rdata_count;
	return log->stop_after == 0 || log->count < log->stop_after;
}

/*! \brief Every change after seq (freed by the caller with free(log.rows)). */
static change_log_t changes_after(uint64_t seq)
{
	change_log_t log = { 0 };
	ck_assert_int_eq(mecdns_store_changes(store, seq, 0, collect_change, &log),
	                 MECDNS_STORE_OK);
	return log;
}

static size_t change_count(void)
{
	change_log_t log = changes_after(0);
	free(log.rows);
	return log.count;
}

/*** Canonical names. ***/

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/*! \brief A name of exactly len characters (labels of 63 and a shorter one). */
static char *name_of_length(size_t len)
{
	char *s = malloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		s[i] = (i % 64 == 63) ? '.' : 'a';
	}
	s[len] = '\0';
	ck_assert(s[len - 1] != '.');
	return s;
}

START_TEST(test_canonical_name_is_lower_case_and_absolute)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "www.example.com", "www.example.com." },
		{ "WWW.Example.COM.", "www.example.com." },
		{ ".", "." },
		{ "localhost", "localhost." },
		{ "_sip._udp.Example.com", "_sip._udp.example.com." },
		{ "*.example.com", "*.example.com." },
		{ "-lenient-.example.com", "-lenient-.example.com." },
		{ "123.example", "123.example." },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example." },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = mecdns_canonical_name(cases[i].in);
		ck_assert_msg(out != NULL, "'%s' refused", cases[i].in);
		ck_assert_str_eq(out, cases[i].out);
		free(out);
	}
}
END_TEST

START_TEST(test_canonical_name_refuses_malformed_names)
{
	static const char *const cases[] = {
		"",
		"..",
		"a..b",
		".a",
		"a.b..",
		"with space.example",
		"tab\t.example",
		"caf\xc3\xa9.example",
		"a*.example",
		"www.*.example",
		"*x.example",
		"esc\\.aped.example",
		"slash/.example",
		"at@example",
		"colon:example",
	};
	ck_assert_ptr_null(mecdns_canonical_name(NULL));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = mecdns_canonical_name(cases[i]);
		ck_assert_msg(out == NULL, "'%s' accepted as '%s'", cases[i], out);
	}
}
END_TEST

START_TEST(test_canonical_name_labels_up_to_63_characters)
{
	char *label63 = repeat('a', 63);
	char *label64 = repeat('a', 64);
	char name[128];

	snprintf(name, sizeof(name), "%s.example", label63);
	char *out = mecdns_canonical_name(name);
	ck_assert_ptr_nonnull(out);
	free(out);

	snprintf(name, sizeof(name), "%s.example", label64);
	ck_assert_ptr_null(mecdns_canonical_name(name));
	ck_assert_ptr_null(mecdns_canonical_name(label64));
	free(label63);
	free(label64);
}
END_TEST

START_TEST(test_canonical_name_total_up_to_253_characters)
{
	char *name253 = name_of_length(253);
	char *name254 = name_of_length(254);
	char with_dot[300];

	char *out = mecdns_canonical_name(name253);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), 254); /* 253 + the trailing dot */
	free(out);

	snprintf(with_dot, sizeof(with_dot), "%s.", name253);
	out = mecdns_canonical_name(with_dot);
	ck_assert_ptr_nonnull(out);
	free(out);

	ck_assert_ptr_null(mecdns_canonical_name(name254));
	snprintf(with_dot, sizeof(with_dot), "%s.", name254);
	ck_assert_ptr_null(mecdns_canonical_name(with_dot));
	free(name253);
	free(name254);
}
END_TEST

/*** Rules. ***/

START_TEST(test_rule_create_then_get_round_trips)
{
	mecdns_rule_t rule = rule_of("app1", "r1", "WWW.Example.com", "2001:DB8:0::0001", true);
	rule.ttl = 60;
	mecdns_rule_t created;
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, &created), MECDNS_STORE_OK);

	mecdns_rule_t got;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "r1", &got, NULL), MECDNS_STORE_OK);
	ck_assert_str_eq(got.app_instance_id, "app1");
	ck_assert_str_eq(got.dns_rule_id, "r1");
	ck_assert_str_eq(got.domain_name, "WWW.Example.com"); /* echoed as sent */
	ck_assert_str_eq(got.owner, "www.example.com.");
	ck_assert_int_eq(got.ip_type, MECDNS_IP_V6);
	ck_assert_str_eq(got.ip_address, "2001:db8::1");
	ck_assert_int_eq(got.ttl, 60);
	ck_assert(got.active);
	ck_assert_uint_eq(got.version, 1);
	ck_assert_uint_eq(got.generation, 1);
	ck_assert_int_eq(got.created_ms, got.updated_ms);
	ck_assert_int_gt(got.created_ms, 0);
	ck_assert_str_eq(created.owner, got.owner);
	ck_assert_uint_eq(created.version, got.version);
	ck_assert_uint_eq(created.generation, got.generation);
	mecdns_rule_clear(&created);
	mecdns_rule_clear(&got);
}
END_TEST

START_TEST(test_rule_without_ttl_reads_back_as_unset)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", false);
	mecdns_rule_t got;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "r1", &got, NULL), MECDNS_STORE_OK);
	ck_assert_int_eq(got.ttl, -1);
	ck_assert(!got.active);
	mecdns_rule_clear(&got);
}
END_TEST

START_TEST(test_rule_get_of_missing_rule_is_not_found)
{
	mecdns_rule_t got;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "nope", &got, NULL),
	                 MECDNS_STORE_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "nope"));
}
END_TEST

START_TEST(test_rule_duplicate_create_is_exists_and_changes_nothing)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	mecdns_rule_t again = rule_of("app1", "r1", "b.example", "192.0.2.2", true);
	ck_assert_int_eq(mecdns_store_rule_create(store, &again, NULL), MECDNS_STORE_EXISTS);
	ck_assert_uint_eq(generation(), 1);
	ck_assert_uint_eq(change_count(), 1);
	mecdns_rule_t got;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "r1", &got, NULL), MECDNS_STORE_OK);
	ck_assert_str_eq(got.owner, "a.example.");
	mecdns_rule_clear(&got);
}
END_TEST

START_TEST(test_rule_update_bumps_version_etag_and_generation)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	mecdns_rule_t rule = rule_of("app1", "r1", "a.example", "192.0.2.99", false);
	rule.ttl = 30;
	mecdns_rule_t updated;
	ck_assert_int_eq(mecdns_store_rule_update(store, &rule, 1, &updated), MECDNS_STORE_OK);
	ck_assert_uint_eq(updated.version, 2);
	ck_assert_uint_eq(updated.generation, 2);
	ck_assert_str_eq(updated.ip_address, "192.0.2.99");
	ck_assert_int_eq(updated.ttl, 30);
	ck_assert(!updated.active);
	ck_assert_int_ge(updated.updated_ms, updated.created_ms);
	mecdns_rule_clear(&updated);

	/* expected_version 0 = any version */
	rule.active = true;
	ck_assert_int_eq(mecdns_store_rule_update(store, &rule, 0, &updated), MECDNS_STORE_OK);
	ck_assert_uint_eq(updated.version, 3);
	ck_assert_uint_eq(generation(), 3);
	mecdns_rule_clear(&updated);
}
END_TEST

START_TEST(test_rule_update_with_stale_version_is_stale_and_changes_nothing)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	mecdns_rule_t rule = rule_of("app1", "r1", "b.example", "192.0.2.2", false);
	ck_assert_int_eq(mecdns_store_rule_update(store, &rule, 7, NULL), MECDNS_STORE_STALE);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "version"));
	ck_assert_uint_eq(generation(), 1);
	ck_assert_uint_eq(change_count(), 1);
	mecdns_rule_t got;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "r1", &got, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(got.version, 1);
	ck_assert_str_eq(got.owner, "a.example.");
	ck_assert(got.active);
	mecdns_rule_clear(&got);
}
END_TEST

START_TEST(test_rule_update_of_missing_rule_is_not_found)
{
	mecdns_rule_t rule = rule_of("app1", "r1", "a.example", "192.0.2.1", true);
	ck_assert_int_eq(mecdns_store_rule_update(store, &rule, 0, NULL), MECDNS_STORE_NOT_FOUND);
	ck_assert_uint_eq(generation(), 0);
}
END_TEST

START_TEST(test_rule_rename_logs_previous_owner)
{
	create_rule("app1", "r1", "old.example", "192.0.2.1", true);
	mecdns_rule_t rule = rule_of("app1", "r1", "New.Example", "192.0.2.1", true);
	ck_assert_int_eq(mecdns_store_rule_update(store, &rule, 1, NULL), MECDNS_STORE_OK);
	rule.active = false; /* same name: no previous owner */
	ck_assert_int_eq(mecdns_store_rule_update(store, &rule, 2, NULL), MECDNS_STORE_OK);

	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, 3);
	ck_assert_str_eq(log.rows[0].owner, "old.example.");
	ck_assert_str_eq(log.rows[0].prev_owner, "");
	ck_assert_str_eq(log.rows[0].state, "ACTIVE");
	ck_assert_str_eq(log.rows[1].owner, "new.example.");
	ck_assert_str_eq(log.rows[1].prev_owner, "old.example.");
	ck_assert_str_eq(log.rows[1].domain_name, "New.Example");
	ck_assert_str_eq(log.rows[2].prev_owner, "");
	ck_assert_str_eq(log.rows[2].state, "INACTIVE");
	free(log.rows);
}
END_TEST

START_TEST(test_rule_delete_logs_deleted_state)
{
	create_rule("app1", "r1", "A.example", "192.0.2.1", true);
	uint64_t committed = 0;
	ck_assert_int_eq(mecdns_store_rule_delete(store, "app1", "r1", 1, &committed),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(committed, 2);
	mecdns_rule_t got;
	uint64_t read_at = 0;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "r1", &got, &read_at),
	                 MECDNS_STORE_NOT_FOUND);
	ck_assert_uint_eq(read_at, 2); /* Even a read that finds nothing. */
	change_log_t log = changes_after(1);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_uint_eq(log.rows[0].generation, 2);
	ck_assert_int_eq(log.rows[0].kind, MECDNS_CHANGE_RULE);
	ck_assert_str_eq(log.rows[0].state, "DELETED");
	ck_assert_str_eq(log.rows[0].owner, "a.example.");
	ck_assert_str_eq(log.rows[0].domain_name, "A.example");
	ck_assert_str_eq(log.rows[0].dns_rule_id, "r1");
	free(log.rows);
	ck_assert_int_eq(mecdns_store_rule_delete(store, "app1", "r1", 0, NULL),
	                 MECDNS_STORE_NOT_FOUND);
	ck_assert_uint_eq(generation(), 2);
}
END_TEST

START_TEST(test_rule_delete_with_stale_version_is_stale_and_keeps_the_rule)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	ck_assert_int_eq(mecdns_store_rule_delete(store, "app1", "r1", 5, NULL),
	                 MECDNS_STORE_STALE);
	ck_assert_uint_eq(generation(), 1);
	mecdns_rule_t got;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "r1", &got, NULL), MECDNS_STORE_OK);
	mecdns_rule_clear(&got);
}
END_TEST

START_TEST(test_rule_list_is_ordered_and_unknown_app_is_not_found)
{
	create_rule("app1", "r2", "b.example", "192.0.2.2", true);
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	create_rule("app2", "r9", "c.example", "192.0.2.3", true);
	mecdns_rule_list_t list;
	uint64_t read_at = 0;
	ck_assert_int_eq(mecdns_store_rule_list(store, "app1", &list, &read_at), MECDNS_STORE_OK);
	ck_assert_uint_eq(read_at, 3); /* The generation it was read at. */
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.items[0].dns_rule_id, "r1");
	ck_assert_str_eq(list.items[1].dns_rule_id, "r2");
	mecdns_rule_list_free(&list);
	ck_assert_int_eq(mecdns_store_rule_list(store, "nobody", &list, NULL),
	                 MECDNS_STORE_NOT_FOUND);
	ck_assert_uint_eq(list.count, 0);
}
END_TEST

START_TEST(test_rule_delete_app_removes_all_in_one_generation)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	create_rule("app1", "r2", "b.example", "192.0.2.2", false);
	create_rule("app2", "r1", "c.example", "192.0.2.3", true);
	size_t deleted = 0;
	uint64_t committed = 0;
	ck_assert_int_eq(mecdns_store_rule_delete_app(store, "app1", &deleted, &committed),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 2);
	ck_assert_uint_eq(committed, 4);
	ck_assert_uint_eq(generation(), 4);

	change_log_t log = changes_after(3);
	ck_assert_uint_eq(log.count, 2);
	for (size_t i = 0; i < log.count; i++) {
		ck_assert_uint_eq(log.rows[i].generation, 4);
		ck_assert_str_eq(log.rows[i].state, "DELETED");
	}
	ck_assert_str_eq(log.rows[0].owner, "a.example.");
	ck_assert_str_eq(log.rows[1].owner, "b.example.");
	free(log.rows);

	mecdns_rule_list_t list;
	ck_assert_int_eq(mecdns_store_rule_list(store, "app1", &list, NULL),
	                 MECDNS_STORE_NOT_FOUND);
	ck_assert_int_eq(mecdns_store_rule_list(store, "app2", &list, NULL), MECDNS_STORE_OK);
	mecdns_rule_list_free(&list);
	ck_assert_int_eq(mecdns_store_rule_delete_app(store, "app1", &deleted, NULL),
	                 MECDNS_STORE_NOT_FOUND);
	ck_assert_uint_eq(deleted, 0);
	ck_assert_uint_eq(generation(), 4);
}
END_TEST

START_TEST(test_rule_with_bad_address_or_name_is_invalid_and_changes_nothing)
{
	static const struct {
		const char *name;
		mecdns_ip_type_t type;
		const char *address;
	} cases[] = {
		{ "a.example", MECDNS_IP_V4, "2001:db8::1" },
		{ "a.example", MECDNS_IP_V6, "192.0.2.1" },
		{ "a.example", MECDNS_IP_V4, "192.0.2" },
		{ "a.example", MECDNS_IP_V4, "192.0.2.256" },
		{ "a.example", MECDNS_IP_V6, "fe80::1%eth0" },
		{ "a.example", MECDNS_IP_V4, "" },
		{ "a..example", MECDNS_IP_V4, "192.0.2.1" },
		{ "bad name", MECDNS_IP_V4, "192.0.2.1" },
		{ "a.example", (mecdns_ip_type_t)5, "192.0.2.1" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mecdns_rule_t rule = rule_of("app1", "r1", cases[i].name, "192.0.2.1", true);
		rule.ip_type = cases[i].type;
		rule.ip_address = (char *)cases[i].address;
		ck_assert_msg(mecdns_store_rule_create(store, &rule, NULL) == MECDNS_STORE_INVALID,
		              "case %zu accepted", i);
		ck_assert_str_ne(mecdns_store_last_error(), "");
	}
	ck_assert_uint_eq(generation(), 0);
	ck_assert_uint_eq(change_count(), 0);
}
END_TEST

START_TEST(test_rule_values_refused_by_schema_checks_are_invalid)
{
	mecdns_rule_t rule = rule_of("app1", "r1", "a.example", "192.0.2.1", true);
	rule.ttl = 2147483648LL;
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_INVALID);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "CHECK"));
	rule.ttl = -2;
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_INVALID);
	rule.ttl = 2147483647LL;
	char *long_id = repeat('x', 257);
	rule.dns_rule_id = long_id;
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_INVALID);
	rule.dns_rule_id = (char *)"";
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_INVALID);
	free(long_id);
	ck_assert_uint_eq(generation(), 0);
	ck_assert_uint_eq(change_count(), 0);
	rule.dns_rule_id = (char *)"r1";
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_OK);
}
END_TEST

START_TEST(test_rule_counts_by_state)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	create_rule("app1", "r2", "b.example", "192.0.2.2", true);
	create_rule("app2", "r1", "c.example", "192.0.2.3", false);
	uint64_t active = 0;
	uint64_t inactive = 0;
	ck_assert_int_eq(mecdns_store_rule_counts(store, &active, &inactive, NULL),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(active, 2);
	ck_assert_uint_eq(inactive, 1);
	/* With the rrsets too (another statement): the same rule counts. */
	uint64_t rrsets = 99;
	active = inactive = 0;
	ck_assert_int_eq(mecdns_store_rule_counts(store, &active, &inactive, &rrsets),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(active, 2);
	ck_assert_uint_eq(inactive, 1);
	ck_assert_uint_eq(rrsets, 0);
}
END_TEST

/*** Resource record sets. ***/

START_TEST(test_rrset_replace_then_get_round_trips)
{
	test_set_t t;
	set_init(&t, "example.com.", "www.example.com.", TYPE_A, 120);
	set_add_address(&t, "192.0.2.2");
	set_add_address(&t, "192.0.2.1");
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, &gen), MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 1);

	mecdns_rrset_t got;
	ck_assert_int_eq(mecdns_store_rrset_get(store, "example.com.", "www.example.com.", TYPE_A,
	                                        NULL, &got, NULL),
	                 MECDNS_STORE_OK);
	ck_assert_str_eq(got.zone, "example.com.");
	ck_assert_str_eq(got.owner, "www.example.com.");
	ck_assert_uint_eq(got.type, TYPE_A);
	ck_assert_uint_eq(got.ttl, 120);
	ck_assert_uint_eq(got.generation, 1);
	ck_assert_uint_eq(got.rdata_count, 2);
	ck_assert_str_eq(got.rdata[0].text, "192.0.2.2"); /* order kept */
	ck_assert_str_eq(got.rdata[1].text, "192.0.2.1");
	ck_assert_uint_eq(got.rdata[0].wire_len, 4);
	ck_assert_int_eq(memcmp(got.rdata[0].wire, t.wire[0], 4), 0);
	mecdns_rrset_clear(&got);

	/* A second replace swaps the content. */
	set_init(&t, "example.com.", "www.example.com.", TYPE_A, 60);
	set_add_address(&t, "192.0.2.3");
	put_rrset(&t);
	ck_assert_int_eq(mecdns_store_rrset_get(store, "example.com.", "www.example.com.", TYPE_A,
	                                        NULL, &got, NULL),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(got.rdata_count, 1);
	ck_assert_uint_eq(got.ttl, 60);
	ck_assert_str_eq(got.rdata[0].text, "192.0.2.3");
	mecdns_rrset_clear(&got);
}
END_TEST

START_TEST(test_rrset_identical_rdata_is_stored_once)
{
	test_set_t t;
	set_init(&t, ".", "dup.example.", TYPE_A, 60);
	set_add_address(&t, "192.0.2.1");
	set_add_address(&t, "192.0.2.1");
	set_add_address(&t, "192.0.2.2");
	put_rrset(&t);
	mecdns_rrset_t got;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "dup.example.", TYPE_A, NULL, &got, NULL),
	    MECDNS_STORE_OK);
	ck_assert_uint_eq(got.rdata_count, 2);
	mecdns_rrset_clear(&got);
	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.rows[0].rdata_count, 2);
	free(log.rows);
}
END_TEST

START_TEST(test_rrset_replace_with_no_rdata_deletes_the_set)
{
	put_a(".", "gone.example.", "192.0.2.1");
	test_set_t t;
	set_init(&t, ".", "gone.example.", TYPE_A, 60);
	put_rrset(&t);
	mecdns_rrset_t got;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "gone.example.", TYPE_A, NULL, &got, NULL),
	    MECDNS_STORE_NOT_FOUND);
	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, 2);
	ck_assert_uint_eq(log.rows[1].rdata_count, 0);
	ck_assert_uint_eq(log.rows[1].generation, 2);
	free(log.rows);
}
END_TEST

START_TEST(test_rrset_replace_deleting_absent_set_logs_nothing)
{
	put_a(".", "kept.example.", "192.0.2.1");
	test_set_t t;
	set_init(&t, ".", "never.example.", TYPE_A, 60);
	uint64_t gen = 99;
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, &gen), MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 1); /* the unchanged current generation */
	ck_assert_uint_eq(generation(), 1);
	ck_assert_uint_eq(change_count(), 1);
}
END_TEST

START_TEST(test_rrset_add_appends_deduplicates_and_updates_ttl)
{
	test_set_t t;
	set_init(&t, ".", "add.example.", TYPE_TXT, 300);
	set_add_txt(&t, "\"one\"", "one");
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_rrset_add(store, &t.set, &gen), MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 1);

	set_init(&t, ".", "add.example.", TYPE_TXT, 30);
	set_add_txt(&t, "\"one\"", "one");
	set_add_txt(&t, "\"two\"", "two");
	ck_assert_int_eq(mecdns_store_rrset_add(store, &t.set, &gen), MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 2);

	mecdns_rrset_t got;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "add.example.", TYPE_TXT, NULL, &got, NULL),
	    MECDNS_STORE_OK);
	ck_assert_uint_eq(got.rdata_count, 2);
	ck_assert_uint_eq(got.ttl, 30);
	ck_assert_str_eq(got.rdata[0].text, "\"one\"");
	ck_assert_str_eq(got.rdata[1].text, "\"two\"");
	mecdns_rrset_clear(&got);

	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, 2);
	ck_assert_str_eq(log.rows[1].rrtype, "TXT");
	ck_assert_uint_eq(log.rows[1].rdata_count, 2);
	free(log.rows);

	set_init(&t, ".", "add.example.", TYPE_TXT, 30); /* no records */
	ck_assert_int_eq(mecdns_store_rrset_add(store, &t.set, NULL), MECDNS_STORE_INVALID);
}
END_TEST

START_TEST(test_rrset_delete_logs_zero_and_missing_set_is_not_found)
{
	put_a("example.", "x.example.", "192.0.2.1");
	uint64_t gen = 0;
	ck_assert_int_eq(
	    mecdns_store_rrset_delete(store, "example.", "x.example.", TYPE_A, NULL, &gen),
	    MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 2);
	ck_assert_int_eq(
	    mecdns_store_rrset_delete(store, "example.", "x.example.", TYPE_A, NULL, &gen),
	    MECDNS_STORE_NOT_FOUND);
	ck_assert_uint_eq(generation(), 2);
	change_log_t log = changes_after(1);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_str_eq(log.rows[0].zone, "example.");
	ck_assert_str_eq(log.rows[0].owner, "x.example.");
	ck_assert_str_eq(log.rows[0].rrtype, "A");
	ck_assert_uint_eq(log.rows[0].rdata_count, 0);
	free(log.rows);
}
END_TEST

START_TEST(test_rrset_non_canonical_or_foreign_names_are_invalid)
{
	static const struct {
		const char *zone;
		const char *owner;
	} cases[] = {
		{ ".", "WWW.example." },      { ".", "www.example" },
		{ "Example.", "a.example." }, { "example.", "a.other." },
		{ "example.", "xexample." },  { ".", "bad..example." },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_set_t t;
		set_init(&t, cases[i].zone, cases[i].owner, TYPE_A, 60);
		set_add_address(&t, "192.0.2.1");
		ck_assert_msg(mecdns_store_rrset_replace(store, &t.set, 1, NULL) ==
		                  MECDNS_STORE_INVALID,
		              "case %zu accepted", i);
	}
	test_set_t t;
	set_init(&t, ".", "ttl.example.", TYPE_A, 2147483648U);
	set_add_address(&t, "192.0.2.1");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_INVALID);
	set_init(&t, ".", "type.example.", 0, 60);
	set_add_address(&t, "192.0.2.1");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_INVALID);
	ck_assert_uint_eq(generation(), 0);
}
END_TEST

START_TEST(test_rrset_bulk_replace_is_all_or_nothing)
{
	put_a(".", "keep.example.", "192.0.2.1");
	test_set_t a, b, bad;
	set_init(&a, ".", "keep.example.", TYPE_A, 60);
	set_add_address(&a, "192.0.2.9");
	set_init(&b, ".", "new.example.", TYPE_AAAA, 60);
	set_add_address(&b, "2001:db8::1");
	set_init(&bad, ".", "Bad.Example.", TYPE_A, 60);
	set_add_address(&bad, "192.0.2.1");
	mecdns_rrset_t batch[3] = { a.set, b.set, bad.set };
	ck_assert_int_eq(mecdns_store_rrset_replace(store, batch, 3, NULL), MECDNS_STORE_INVALID);

	/* A conflict discovered late in the batch undoes the earlier items too. */
	test_set_t cname;
	set_init(&cname, ".", "keep.example.", TYPE_CNAME, 60);
	set_add_cname(&cname, "target.example.");
	mecdns_rrset_t conflicting[3] = { b.set, a.set, cname.set };
	ck_assert_int_eq(mecdns_store_rrset_replace(store, conflicting, 3, NULL),
	                 MECDNS_STORE_CONFLICT);

	ck_assert_uint_eq(generation(), 1);
	ck_assert_uint_eq(change_count(), 1);
	mecdns_rrset_t got;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "new.example.", TYPE_AAAA, NULL, &got, NULL),
	    MECDNS_STORE_NOT_FOUND);
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "keep.example.", TYPE_A, NULL, &got, NULL),
	    MECDNS_STORE_OK);
	ck_assert_str_eq(got.rdata[0].text, "192.0.2.1");
	mecdns_rrset_clear(&got);

	/* The good items alone commit as one generation with one row each. */
	mecdns_rrset_t good[2] = { a.set, b.set };
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_rrset_replace(store, good, 2, &gen), MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 2);
	change_log_t log = changes_after(1);
	ck_assert_uint_eq(log.count, 2);
	ck_assert_uint_eq(log.rows[0].generation, 2);
	ck_assert_uint_eq(log.rows[1].generation, 2);
	ck_assert_str_eq(log.rows[1].rrtype, "AAAA");
	free(log.rows);
}
END_TEST

START_TEST(test_rrset_same_key_twice_in_one_batch_is_invalid)
{
	test_set_t a, b;
	set_init(&a, ".", "twice.example.", TYPE_A, 60);
	set_add_address(&a, "192.0.2.1");
	set_init(&b, ".", "twice.example.", TYPE_A, 60);
	mecdns_rrset_t batch[2] = { a.set, b.set };
	ck_assert_int_eq(mecdns_store_rrset_replace(store, batch, 2, NULL), MECDNS_STORE_INVALID);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "twice"));
	ck_assert_uint_eq(generation(), 0);
}
END_TEST

START_TEST(test_rrset_list_by_zone_and_all_zones)
{
	put_a("b.example.", "x.b.example.", "192.0.2.2");
	put_a("a.example.", "y.a.example.", "192.0.2.1");
	put_a("a.example.", "x.a.example.", "192.0.2.3");
	mecdns_rrset_list_t list;
	ck_assert_int_eq(mecdns_store_rrset_list(store, NULL, &list, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_str_eq(list.items[0].owner, "x.a.example.");
	ck_assert_str_eq(list.items[1].owner, "y.a.example.");
	ck_assert_str_eq(list.items[2].owner, "x.b.example.");
	ck_assert_uint_eq(list.items[2].rdata_count, 1);
	mecdns_rrset_list_free(&list);
	ck_assert_int_eq(mecdns_store_rrset_list(store, "b.example.", &list, NULL),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 1);
	mecdns_rrset_list_free(&list);
	ck_assert_int_eq(mecdns_store_rrset_list(store, "none.", &list, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 0);
	mecdns_rrset_list_free(&list);
}
END_TEST

/*** CNAME exclusivity: each refusal is CONFLICT and changes nothing. ***/

/*! \brief Walks every page of a listing; returns how many sets it saw
 *         (checked in key order, none twice) and the pages it took. */
static size_t walk_pages(const char *zone, size_t max_sets, size_t max_bytes, size_t *pages)
{
	mecdns_rrset_list_t page = { 0 };
	char last_zone[256] = "", last_owner[256] = "", last_scope[256] = "";
	uint16_t last_type = 0;
	size_t seen = 0;
	bool more = true;
	*pages = 0;
	while (more) {
		mecdns_rrset_key_t after = { last_zone, last_owner, last_type,
			                     last_scope[0] != '\0' ? last_scope : NULL };
		ck_assert_int_eq(mecdns_store_rrset_page(store, zone, seen > 0 ? &after : NULL,
		                                         max_sets, max_bytes, &page, &more, NULL),
		                 MECDNS_STORE_OK);
		(*pages)++;
		ck_assert_uint_le(page.count, max_sets);
		ck_assert(page.count > 0 || !more);
		for (size_t i = 0; i < page.count; i++) {
			const mecdns_rrset_t *set = &page.items[i];
			int cmp = strcmp(set->zone, last_zone);
			cmp = cmp != 0 ? cmp : strcmp(set->owner, last_owner);
			cmp = cmp != 0 ? cmp : (int)set->type - (int)last_type;
			const char *scope = set->client_subnets != NULL ? set->client_subnets : "";
			cmp = cmp != 0 ? cmp : strcmp(scope, last_scope);
			ck_assert_msg(seen == 0 || cmp > 0, "%s %s not after %s %s", set->zone,
			              set->owner, last_zone, last_owner);
			ck_assert(zone == NULL || strcmp(set->zone, zone) == 0);
			ck_assert_uint_gt(set->rdata_count, 0);
			snprintf(last_zone, sizeof(last_zone), "%s", set->zone);
			snprintf(last_owner, sizeof(last_owner), "%s", set->owner);
			last_type = set->type;
			snprintf(last_scope, sizeof(last_scope), "%s", scope);
			seen++;
		}
		mecdns_rrset_list_free(&page);
		ck_assert_uint_lt(*pages, 1000);
	}
	return seen;
}

/*** DNS contexts (store/contexts.c). ***/

START_TEST(test_context_document_and_rules_change_together)
{
	char *app = mecdns_store_context_app("c1");
	ck_assert_str_eq(app, "easdf:c1");
	mecdns_rule_t rules[2] = { rule_of(app, "r1", "app.example", "192.0.2.45", true),
		                   rule_of(app, "r2", "cdn.example", "192.0.2.46", true) };
	rules[0].client_subnets = rules[1].client_subnets = (char *)"10.45.1.7/32";
	/* Another app holds app.example alone: a context is the operator's and
	 * steers its UE all the same (no grant taken, none blocking). */
	create_rule("appA", "r1", "app.example", "192.0.2.1", true);
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_context_put(store, "c1", "{\"v\":1}", rules, 2,
	                                          MECDNS_CONTEXT_CREATE, NULL, &gen),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 2);
	ck_assert_int_eq(mecdns_store_context_put(store, "c1", "{\"v\":1}", rules, 2,
	                                          MECDNS_CONTEXT_CREATE, NULL, &gen),
	                 MECDNS_STORE_EXISTS);
	ck_assert_int_eq(mecdns_store_context_put(store, "c2", "{}", NULL, 0,
	                                          MECDNS_CONTEXT_REPLACE, NULL, &gen),
	                 MECDNS_STORE_NOT_FOUND);
	mecdns_rule_list_t list;
	ck_assert_int_eq(mecdns_store_rule_list(store, app, &list, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.items[0].client_subnets, "10.45.1.7/32");
	mecdns_rule_list_free(&list);

	/* Replaced as a whole: r2 gone, r1 moved; a stale read is refused. */
	rules[0].ip_address = (char *)"192.0.2.47";
	ck_assert_int_eq(mecdns_store_context_put(store, "c1", "{\"v\":2}", rules, 1,
	                                          MECDNS_CONTEXT_REPLACE, "{\"v\":9}", &gen),
	                 MECDNS_STORE_STALE);
	ck_assert_int_eq(mecdns_store_context_put(store, "c1", "{\"v\":2}", rules, 1,
	                                          MECDNS_CONTEXT_REPLACE, "{\"v\":1}", &gen),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 3);
	char *body = NULL;
	ck_assert_int_eq(mecdns_store_context_get(store, "c1", &body, NULL), MECDNS_STORE_OK);
	ck_assert_str_eq(body, "{\"v\":2}");
	free(body);
	ck_assert_int_eq(mecdns_store_rule_list(store, app, &list, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.items[0].ip_address, "192.0.2.47");
	mecdns_rule_list_free(&list);

	/* One refused rule (a CNAME's name) refuses the whole context. */
	put_cname(".", "alias.example.", "app.example.");
	mecdns_rule_t bad[2] = { rule_of(app, "r1", "app.example", "192.0.2.48", true),
		                 rule_of(app, "r2", "alias.example", "192.0.2.49", true) };
	ck_assert_int_eq(mecdns_store_context_put(store, "c1", "{\"v\":3}", bad, 2,
	                                          MECDNS_CONTEXT_REPLACE, NULL, &gen),
	                 MECDNS_STORE_CONFLICT);
	ck_assert_int_eq(mecdns_store_context_get(store, "c1", &body, NULL), MECDNS_STORE_OK);
	ck_assert_str_eq(body, "{\"v\":2}");
	free(body);
	/* Rules of another app are refused outright. */
	mecdns_rule_t foreign = rule_of("appA", "r9", "x.example", "192.0.2.50", true);
	ck_assert_int_eq(mecdns_store_context_put(store, "c1", "{}", &foreign, 1,
	                                          MECDNS_CONTEXT_REPLACE, NULL, &gen),
	                 MECDNS_STORE_INVALID);

	uint64_t before = generation();
	ck_assert_int_eq(mecdns_store_context_delete(store, "c1", &gen), MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, before + 1);
	ck_assert_int_eq(mecdns_store_context_delete(store, "c1", &gen), MECDNS_STORE_NOT_FOUND);
	ck_assert_int_eq(mecdns_store_context_get(store, "c1", &body, NULL),
	                 MECDNS_STORE_NOT_FOUND);
	ck_assert_int_eq(mecdns_store_rule_list(store, app, &list, NULL), MECDNS_STORE_NOT_FOUND);
	/* The app's own rule is untouched throughout. */
	ck_assert_int_eq(mecdns_store_rule_list(store, "appA", &list, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 1);
	mecdns_rule_list_free(&list);
	free(app);
}
END_TEST

START_TEST(test_rrset_pages_walk_every_set_once_in_key_order)
{
	char owner[64];
	for (int i = 0; i < 20; i++) {
		snprintf(owner, sizeof(owner), "n%02d.example.", i);
		put_a(".", owner, "192.0.2.1");
		put_a("example.", owner, "192.0.2.2");
		if (i % 3 == 0) {
			test_set_t t;
			set_init(&t, ".", owner, TYPE_TXT, 60);
			set_add_txt(&t, "\"a\"", "a");
			set_add_txt(&t, "\"b\"", "b");
			put_rrset(&t);
		}
	}
	size_t pages = 0;
	ck_assert_uint_eq(walk_pages(NULL, 7, SIZE_MAX, &pages), 47);
	ck_assert_uint_eq(pages, 7); /* 47 = 6 * 7 + 5 */
	ck_assert_uint_eq(walk_pages(NULL, 47, SIZE_MAX, &pages), 47);
	ck_assert_uint_eq(pages, 1); /* exactly one page: no empty second */
	ck_assert_uint_eq(walk_pages("example.", 6, SIZE_MAX, &pages), 20);
	ck_assert_uint_eq(walk_pages(".", 1000, SIZE_MAX, &pages), 27);
	ck_assert_uint_eq(pages, 1);
	/* The byte bound ends a page after the set that reaches it. */
	ck_assert_uint_eq(walk_pages(NULL, 1000, 1, &pages), 47);
	ck_assert_uint_eq(pages, 47);
	mecdns_rrset_list_t page;
	bool more;
	ck_assert_int_eq(
	    mecdns_store_rrset_page(store, NULL, NULL, 0, SIZE_MAX, &page, &more, NULL),
	    MECDNS_STORE_INVALID);
	ck_assert_int_eq(
	    mecdns_store_rrset_page(store, "none.", NULL, 5, SIZE_MAX, &page, &more, NULL),
	    MECDNS_STORE_OK);
	ck_assert_uint_eq(page.count, 0);
	ck_assert(!more);
	mecdns_rrset_list_free(&page);
}
END_TEST

/*** Client-subnet scopes of record sets (schema 8). ***/

static void put_scoped_a(const char *owner, const char *scope, const char *address)
{
	test_set_t t;
	set_init(&t, ".", owner, TYPE_A, 60);
	t.set.client_subnets = (char *)scope;
	set_add_address(&t, address);
	put_rrset(&t);
}

static bool last_change_scope(const mecdns_change_t *change, void *ctx)
{
	char *out = ctx;
	snprintf(out, 64, "%s", change->client_subnets != NULL ? change->client_subnets : "-");
	return true;
}

START_TEST(test_rrset_scope_is_part_of_the_key)
{
	put_a(".", "edge.example.", "192.0.2.1");
	put_scoped_a("edge.example.", "10.45.0.0/16", "192.0.2.45");
	put_scoped_a("edge.example.", "10.46.0.0/16,2001:db8::/32", "192.0.2.46");
	ck_assert_uint_eq(generation(), 3);
	char scope[64] = "";
	ck_assert_int_eq(mecdns_store_changes(store, 0, 0, last_change_scope, scope),
	                 MECDNS_STORE_OK);
	ck_assert_str_eq(scope, "10.46.0.0/16,2001:db8::/32");

	/* Each scope is a set of its own. */
	mecdns_rrset_t got;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "edge.example.", TYPE_A, NULL, &got, NULL),
	    MECDNS_STORE_OK);
	ck_assert_ptr_null(got.client_subnets);
	ck_assert_str_eq(got.rdata[0].text, "192.0.2.1");
	mecdns_rrset_clear(&got);
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "edge.example.", TYPE_A, "10.45.0.0/16", &got, NULL),
	    MECDNS_STORE_OK);
	ck_assert_str_eq(got.client_subnets, "10.45.0.0/16");
	ck_assert_uint_eq(got.rdata_count, 1);
	ck_assert_str_eq(got.rdata[0].text, "192.0.2.45");
	mecdns_rrset_clear(&got);
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "edge.example.", TYPE_A, "10.47.0.0/16", &got, NULL),
	    MECDNS_STORE_NOT_FOUND);

	mecdns_rrset_list_t list;
	ck_assert_int_eq(mecdns_store_rrset_list(store, ".", &list, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 3);
	ck_assert_ptr_null(list.items[0].client_subnets); /* '' sorts first */
	ck_assert_str_eq(list.items[1].client_subnets, "10.45.0.0/16");
	ck_assert_str_eq(list.items[2].client_subnets, "10.46.0.0/16,2001:db8::/32");
	ck_assert_str_eq(list.items[2].rdata[0].text, "192.0.2.46");
	mecdns_rrset_list_free(&list);
	size_t pages = 0;
	ck_assert_uint_eq(walk_pages(NULL, 1, SIZE_MAX, &pages), 3);
	ck_assert_uint_eq(pages, 3);

	/* Refused, nothing changed: a scope that is not canonical (host bits,
	 * unsorted, a duplicate), a scoped CNAME, a CNAME beside scoped sets. */
	const char *const bad[] = { "10.45.0.1/16", "2001:db8::/32,10.46.0.0/16",
		                    "10.45.0.0/16,10.45.0.0/16", "10.45.0.0/16,", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_set_t t;
		set_init(&t, ".", "edge.example.", TYPE_A, 60);
		t.set.client_subnets = (char *)bad[i];
		set_add_address(&t, "192.0.2.9");
		ck_assert_msg(mecdns_store_rrset_replace(store, &t.set, 1, NULL) ==
		                  MECDNS_STORE_INVALID,
		              "scope '%s' accepted", bad[i]);
	}
	test_set_t c;
	set_init(&c, ".", "alias.example.", TYPE_CNAME, 60);
	c.set.client_subnets = (char *)"10.45.0.0/16";
	set_add_cname(&c, "edge.example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &c.set, 1, NULL), MECDNS_STORE_INVALID);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "CNAME"));
	set_init(&c, ".", "edge.example.", TYPE_CNAME, 60);
	set_add_cname(&c, "other.example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &c.set, 1, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_uint_eq(generation(), 3);

	/* Deleting one scope leaves the others. */
	uint64_t gen = 0;
	ck_assert_int_eq(
	    mecdns_store_rrset_delete(store, ".", "edge.example.", TYPE_A, "10.45.0.0/16", &gen),
	    MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 4);
	ck_assert_int_eq(mecdns_store_changes(store, 3, 0, last_change_scope, scope),
	                 MECDNS_STORE_OK);
	ck_assert_str_eq(scope, "10.45.0.0/16");
	ck_assert_int_eq(
	    mecdns_store_rrset_delete(store, ".", "edge.example.", TYPE_A, "10.45.0.0/16", &gen),
	    MECDNS_STORE_NOT_FOUND);
	ck_assert_int_eq(mecdns_store_rrset_list(store, ".", &list, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 2);
	mecdns_rrset_list_free(&list);
	/* An unscoped delete leaves the scoped set. */
	ck_assert_int_eq(mecdns_store_rrset_delete(store, ".", "edge.example.", TYPE_A, NULL, &gen),
	                 MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_rrset_get(store, ".", "edge.example.", TYPE_A,
	                                        "10.46.0.0/16,2001:db8::/32", &got, NULL),
	                 MECDNS_STORE_OK);
	mecdns_rrset_clear(&got);
}
END_TEST

/*** Name ownership. ***/

START_TEST(test_name_parent_walks_labels_not_escaped_dots)
{
	ck_assert_str_eq(mecdns_name_parent("a.b.example."), "b.example.");
	ck_assert_str_eq(mecdns_name_parent("example."), ".");
	ck_assert_ptr_null(mecdns_name_parent("."));
	ck_assert_str_eq(mecdns_name_parent("a\\.b.example."), "example.");
	ck_assert_str_eq(mecdns_name_parent("a\\\\.b.example."), "b.example.");
}
END_TEST

/*! \brief Updates rule r1 of app1 as its tenant to name; the status. */
static mecdns_store_status_t tenant_moves_r1(const char *name)
{
	mecdns_rule_t rule = rule_of("app1", "r1", name, "192.0.2.9", true);
	rule.tenant = true;
	return mecdns_store_rule_update(store, &rule, 0, NULL);
}

START_TEST(test_tenant_writes_need_a_name_grant)
{
	create_rule("app1", "r1", "www.example", "192.0.2.1", true); /* operator: grants */
	create_rule("app2", "r1", "shop.example", "192.0.2.2", true);
	uint64_t before = generation();
	ck_assert_int_eq(tenant_moves_r1("shop.example"), MECDNS_STORE_FORBIDDEN);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "shop.example. is not granted"));
	ck_assert_int_eq(tenant_moves_r1("x.www.example"), MECDNS_STORE_FORBIDDEN);
	ck_assert_int_eq(tenant_moves_r1("example"), MECDNS_STORE_FORBIDDEN);
	ck_assert_uint_eq(generation(), before);
	ck_assert_int_eq(tenant_moves_r1("WWW.example."), MECDNS_STORE_OK);
	/* A tenant's create needs a grant too (no API creates as a tenant
	 * today; the store holds the rule either way). */
	mecdns_rule_t rule = rule_of("app1", "r2", "new.example", "192.0.2.3", true);
	rule.tenant = true;
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_FORBIDDEN);

	/* A subtree grant covers every name below, not the siblings. */
	ck_assert_int_eq(mecdns_store_grant_set(store, "app1", "apps.example.", true, false),
	                 MECDNS_STORE_OK);
	ck_assert_int_eq(tenant_moves_r1("a.b.apps.example"), MECDNS_STORE_OK);
	ck_assert_int_eq(tenant_moves_r1("apps.example"), MECDNS_STORE_OK);
	ck_assert_int_eq(tenant_moves_r1("otherapps.example"), MECDNS_STORE_FORBIDDEN);
	/* app2's operator-made grant is not app1's. */
	ck_assert_int_eq(tenant_moves_r1("shop.example"), MECDNS_STORE_FORBIDDEN);
}
END_TEST

/*! A name is one app's unless its holder shares it; a name of several apps
 *  stays shared. */
START_TEST(test_a_name_goes_to_a_second_app_only_when_shared)
{
	create_rule("app1", "r1", "n.example", "192.0.2.1", true);
	mecdns_rule_t rule = rule_of("app2", "r1", "n.example", "192.0.2.2", true);
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_CONFLICT);
	const char *why = mecdns_store_last_error();
	ck_assert_msg(strstr(why, "granted to application instance app1 and not shared") != NULL &&
	                  strstr(why, "/mep/config/app1/dns_names/n.example.") != NULL,
	              "%s", why);
	ck_assert_int_eq(mecdns_store_grant_set(store, "app2", "n.example.", false, true),
	                 MECDNS_STORE_CONFLICT);
	ck_assert_uint_eq(generation(), 1);

	ck_assert_int_eq(mecdns_store_grant_set(store, "app1", "n.example.", false, true),
	                 MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_OK);
	mecdns_grant_list_t grants;
	ck_assert_int_eq(mecdns_store_grant_list(store, "app2", &grants), MECDNS_STORE_OK);
	ck_assert_uint_eq(grants.count, 1);
	ck_assert_str_eq(grants.items[0].name, "n.example.");
	ck_assert(grants.items[0].shared);
	ck_assert_str_eq(grants.items[0].source, "rule");
	mecdns_grant_list_free(&grants);
	/* Unsharing while another app holds it: refused. */
	ck_assert_int_eq(mecdns_store_grant_set(store, "app1", "n.example.", false, false),
	                 MECDNS_STORE_CONFLICT);
	/* An operator's move of an app's rule to another app's name, too. */
	create_rule("app3", "r1", "m.example", "192.0.2.3", true);
	mecdns_rule_t move = rule_of("app1", "r1", "m.example", "192.0.2.1", true);
	ck_assert_int_eq(mecdns_store_rule_update(store, &move, 0, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_int_eq(mecdns_store_grant_delete(store, "app3", "m.example."), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_rule_update(store, &move, 0, NULL), MECDNS_STORE_OK);
}
END_TEST

/*! A subtree grant not shared keeps every other app out of the names below
 *  it, in both orders, and a tenant's subtree grant stops at another app's
 *  name below it. */
START_TEST(test_a_subtree_grant_keeps_other_apps_out_below_it)
{
	ck_assert_int_eq(mecdns_store_grant_set(store, "app1", "apps.example.", true, false),
	                 MECDNS_STORE_OK);
	/* An operator cannot give app2 a name below app1's subtree... */
	mecdns_rule_t rule = rule_of("app2", "r1", "x.y.apps.example", "192.0.2.2", true);
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_CONFLICT);
	const char *why = mecdns_store_last_error();
	ck_assert_msg(strstr(why, "below apps.example., whose subtree is granted to application "
	                          "instance app1") != NULL,
	              "%s", why);
	ck_assert_int_eq(mecdns_store_grant_set(store, "app2", "y.apps.example.", false, false),
	                 MECDNS_STORE_CONFLICT);
	ck_assert_int_eq(mecdns_store_grant_set(store, "app2", "example.", true, true),
	                 MECDNS_STORE_CONFLICT); /* a subtree over app1's */
	rule.tenant = true;
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_FORBIDDEN);
	ck_assert_ptr_null(strstr(mecdns_store_last_error(), "app1")); /* tenants learn nothing */
	ck_assert_uint_eq(generation(), 0);
	/* ...until app1 shares it. */
	ck_assert_int_eq(mecdns_store_grant_set(store, "app1", "apps.example.", true, true),
	                 MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_FORBIDDEN);
	rule.tenant = false;
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_OK);

	/* The other order: app3 holds a name, a subtree above it cannot go to
	 * app4 unless app3 shares it, nor unshared at all. */
	create_rule("app3", "r1", "svc.edge.example", "192.0.2.3", true);
	ck_assert_int_eq(mecdns_store_grant_set(store, "app4", "edge.example.", true, true),
	                 MECDNS_STORE_CONFLICT);
	why = mecdns_store_last_error();
	ck_assert_msg(strstr(why, "app3 holds svc.edge.example. below it") != NULL, "%s", why);
	ck_assert_int_eq(mecdns_store_grant_set(store, "app4", "edge.example.", false, false),
	                 MECDNS_STORE_OK); /* the name alone covers nothing below */
	ck_assert_int_eq(mecdns_store_grant_set(store, "app3", "svc.edge.example.", false, true),
	                 MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_grant_set(store, "app4", "edge.example.", true, false),
	                 MECDNS_STORE_CONFLICT); /* unshared over another app's name */
	ck_assert_int_eq(mecdns_store_grant_set(store, "app4", "edge.example.", true, true),
	                 MECDNS_STORE_OK);
	/* A tenant's subtree does not reach into another app's unshared name. */
	ck_assert_int_eq(mecdns_store_grant_set(store, "app3", "own.edge.example.", false, false),
	                 MECDNS_STORE_OK);
	mecdns_rule_t steer = rule_of("app4", "r1", "own.edge.example", "192.0.2.4", true);
	steer.tenant = true;
	ck_assert_int_eq(mecdns_store_rule_create(store, &steer, NULL), MECDNS_STORE_FORBIDDEN);
	steer.tenant = false;
	ck_assert_int_eq(mecdns_store_rule_create(store, &steer, NULL), MECDNS_STORE_CONFLICT);
	mecdns_rule_t fine = rule_of("app4", "r2", "new.edge.example", "192.0.2.4", true);
	fine.tenant = true;
	ck_assert_int_eq(mecdns_store_rule_create(store, &fine, NULL), MECDNS_STORE_OK);
}
END_TEST

/*! The name-grants file's grants: replaced as a whole, all or nothing,
 *  listed with source "config", not changed through the API. */
START_TEST(test_config_grants_replace_each_other_all_or_nothing)
{
	mecdns_grant_t items[] = {
		{ .app_instance_id = "app1", .name = "a.example.", .subtree = true },
		{ .app_instance_id = "app2",
		  .name = "b.example.",
		  .subtree = true,
		  .shared = true },
	};
	ck_assert_int_eq(mecdns_store_grants_configure(store, items, 2), MECDNS_STORE_OK);
	mecdns_rule_t rule = rule_of("app1", "r1", "www.a.example", "192.0.2.1", true);
	rule.tenant = true;
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_OK);
	mecdns_grant_list_t grants;
	ck_assert_int_eq(mecdns_store_grant_list(store, "app1", &grants), MECDNS_STORE_OK);
	ck_assert_uint_eq(grants.count, 1);
	ck_assert_str_eq(grants.items[0].source, "config");
	ck_assert_str_eq(grants.items[0].app_instance_id, "app1");
	ck_assert(grants.items[0].subtree);
	mecdns_grant_list_free(&grants);
	ck_assert_int_eq(mecdns_store_grant_delete(store, "app1", "a.example."),
	                 MECDNS_STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "name-grants file"));
	ck_assert_int_eq(mecdns_store_grant_set(store, "app1", "a.example.", false, false),
	                 MECDNS_STORE_CONFLICT);

	/* A conflicting file changes nothing: app3 cannot get app1's subtree. */
	mecdns_grant_t bad[] = {
		{ .app_instance_id = "app1", .name = "a.example.", .subtree = true },
		{ .app_instance_id = "app3", .name = "x.a.example.", .subtree = false },
	};
	ck_assert_int_eq(mecdns_store_grants_configure(store, bad, 2), MECDNS_STORE_CONFLICT);
	ck_assert_msg(strstr(mecdns_store_last_error(), "grant of x.a.example. to app3") != NULL,
	              "%s", mecdns_store_last_error());
	ck_assert_int_eq(mecdns_store_grant_list(store, "app2", &grants), MECDNS_STORE_OK);
	ck_assert_uint_eq(grants.count, 1); /* app2's grant survived the failed replace */
	mecdns_grant_list_free(&grants);

	/* A new file drops what it no longer names; the rules stay. */
	ck_assert_int_eq(mecdns_store_grants_configure(store, items + 1, 1), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_grant_list(store, "app1", &grants), MECDNS_STORE_OK);
	ck_assert_uint_eq(grants.count, 0);
	mecdns_grant_list_free(&grants);
	mecdns_rule_t again = rule_of("app1", "r2", "mail.a.example", "192.0.2.1", true);
	again.tenant = true;
	ck_assert_int_eq(mecdns_store_rule_create(store, &again, NULL), MECDNS_STORE_FORBIDDEN);
	ck_assert_uint_eq(generation(), 1);
}
END_TEST

/*** Answers that cannot be sent, refused when written. ***/

/*! \brief A heap set of count records of type at owner (zone "."), each
 *         record len bytes (A: 4 bytes, distinct; TXT: one string). */
static mecdns_rrset_t big_set(const char *owner, uint16_t type, size_t count, size_t len)
{
	mecdns_rrset_t set = {
		.zone = strdup("."), .owner = strdup(owner), .type = type, .ttl = 60
	};
	set.rdata = calloc(count, sizeof(*set.rdata));
	ck_assert_ptr_nonnull(set.rdata);
	for (size_t i = 0; i < count; i++) {
		mecdns_rdata_t *rdata = &set.rdata[i];
		rdata->wire = calloc(1, len);
		rdata->wire_len = (uint16_t)len;
		if (type == TYPE_A) {
			uint32_t address = htonl(0x0a000000u + (uint32_t)i);
			memcpy(rdata->wire, &address, 4);
		} else {
			rdata->wire[0] = (uint8_t)(len - 1);
			memset(rdata->wire + 1, 'a' + (int)(i % 26), len - 1);
			rdata->wire[1] = (uint8_t)('0' + i % 10);
			rdata->wire[2] = (uint8_t)('0' + i / 10 % 10);
			rdata->wire[3] = (uint8_t)('0' + i / 100 % 10);
		}
		char text[32];
		snprintf(text, sizeof(text), "r%zu", i);
		rdata->text = strdup(text);
	}
	set.rdata_count = count;
	return set;
}

/*! Bug: a TXT set too big for any DNS message was stored, and answered
 *  with TC and no records even over TCP. The bound counts every record the
 *  answer would carry: all zones' sets of the owner and type, ACTIVE rules. */
START_TEST(test_set_whose_answer_cannot_fit_a_message_is_refused)
{
	/* 16 + 13 (owner) + 128 + n * (12 + 256): 243 records fit, 244 not. */
	mecdns_rrset_t fits = big_set("txt.example.", TYPE_TXT, 243, 256);
	ck_assert_msg(mecdns_store_rrset_replace(store, &fits, 1, NULL) == MECDNS_STORE_OK, "%s",
	              mecdns_store_last_error());
	mecdns_rrset_t over = big_set("txt.example.", TYPE_TXT, 244, 256);
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &over, 1, NULL), MECDNS_STORE_INVALID);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "txt.example. TXT"));
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "65535"));
	/* One more record through an add, or a set of another zone: refused. */
	mecdns_rrset_t one = big_set("txt.example.", TYPE_TXT, 1, 256);
	one.rdata[0].wire[1] = 'X'; /* not one of the 243 */
	ck_assert_int_eq(mecdns_store_rrset_add(store, &one, NULL), MECDNS_STORE_INVALID);
	free(one.zone);
	one.zone = strdup("example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &one, 1, NULL), MECDNS_STORE_INVALID);
	ck_assert_uint_eq(generation(), 1);
	mecdns_rrset_t got;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "txt.example.", TYPE_TXT, NULL, &got, NULL),
	    MECDNS_STORE_OK);
	ck_assert_uint_eq(got.rdata_count, 243);
	mecdns_rrset_clear(&got);

	/* A: 16 + 13 + 128 + n * 16 <= 65535 for 4086 records; an ACTIVE rule
	 * on top is one too many (409: it is the name's other records). */
	mecdns_rrset_t a = big_set("big.example.", TYPE_A, 4086, 4);
	ck_assert_msg(mecdns_store_rrset_replace(store, &a, 1, NULL) == MECDNS_STORE_OK, "%s",
	              mecdns_store_last_error());
	mecdns_rule_t rule = rule_of("app1", "r1", "big.example", "192.0.2.1", true);
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "app1/r1"));
	rule.active = false; /* INACTIVE rules are not answered: allowed */
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_OK);
	rule.active = true;
	ck_assert_int_eq(mecdns_store_rule_update(store, &rule, 0, NULL), MECDNS_STORE_CONFLICT);
	/* An AAAA rule is another answer: allowed. */
	mecdns_rule_t v6 = rule_of("app1", "r2", "big.example", "2001:db8::1", true);
	ck_assert_int_eq(mecdns_store_rule_create(store, &v6, NULL), MECDNS_STORE_OK);
	mecdns_rrset_clear(&a);
	mecdns_rrset_clear(&one);
	mecdns_rrset_clear(&over);
	mecdns_rrset_clear(&fits);
}
END_TEST

START_TEST(test_cname_at_a_zone_apex_is_refused)
{
	test_set_t t;
	set_init(&t, "example.", "example.", TYPE_CNAME, 60);
	set_add_cname(&t, "edge.example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_INVALID);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "apex of zone example."));
	ck_assert_int_eq(mecdns_store_rrset_add(store, &t.set, NULL), MECDNS_STORE_INVALID);
	set_init(&t, ".", ".", TYPE_CNAME, 60);
	set_add_cname(&t, "edge.example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_INVALID);
	ck_assert_uint_eq(generation(), 0);
	/* Below the apex, or an apex name in the root zone: a CNAME is fine. */
	put_cname("example.", "www.example.", "edge.example.");
	put_cname(".", "other.", "edge.example.");
	/* Deleting (no records) is never refused. */
	set_init(&t, "example.", "example.", TYPE_CNAME, 60);
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_OK);
}
END_TEST

START_TEST(test_cname_beside_another_type_is_conflict)
{
	put_a(".", "www.example.", "192.0.2.1");
	test_set_t t;
	set_init(&t, ".", "www.example.", TYPE_CNAME, 60);
	set_add_cname(&t, "edge.example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_int_eq(mecdns_store_rrset_add(store, &t.set, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_ptr_nonnull(strstr(mecdns_store_last_error(), "www.example."));

	put_cname(".", "alias.example.", "edge.example.");
	test_set_t a;
	set_init(&a, ".", "alias.example.", TYPE_A, 60);
	set_add_address(&a, "192.0.2.1");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &a.set, 1, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_int_eq(mecdns_store_rrset_add(store, &a.set, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_uint_eq(generation(), 2);
	ck_assert_uint_eq(change_count(), 2);
}
END_TEST

START_TEST(test_cname_beside_active_rule_is_conflict)
{
	create_rule("app1", "r1", "www.example", "192.0.2.1", true);
	test_set_t t;
	set_init(&t, ".", "www.example.", TYPE_CNAME, 60);
	set_add_cname(&t, "edge.example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_uint_eq(generation(), 1);
	mecdns_rrset_t got;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "www.example.", TYPE_CNAME, NULL, &got, NULL),
	    MECDNS_STORE_NOT_FOUND);
}
END_TEST

START_TEST(test_cname_beside_inactive_rule_is_allowed)
{
	create_rule("app1", "r1", "www.example", "192.0.2.1", false);
	put_cname(".", "www.example.", "edge.example.");
	ck_assert_uint_eq(generation(), 2);
}
END_TEST

START_TEST(test_active_rule_at_cname_owner_is_conflict)
{
	put_cname("example.", "www.example.", "edge.example.");
	mecdns_rule_t rule = rule_of("app1", "r1", "WWW.example", "192.0.2.1", true);
	ck_assert_int_eq(mecdns_store_rule_create(store, &rule, NULL), MECDNS_STORE_CONFLICT);

	/* Inactive is fine; activating it, or renaming an active rule there, is not. */
	create_rule("app1", "r1", "www.example", "192.0.2.1", false);
	ck_assert_int_eq(mecdns_store_rule_update(store, &rule, 1, NULL), MECDNS_STORE_CONFLICT);
	create_rule("app1", "r2", "other.example", "192.0.2.2", true);
	mecdns_rule_t rename = rule_of("app1", "r2", "www.example.", "192.0.2.2", true);
	ck_assert_int_eq(mecdns_store_rule_update(store, &rename, 0, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_uint_eq(generation(), 3);
	ck_assert_uint_eq(change_count(), 3);
	mecdns_rule_t got;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "r1", &got, NULL), MECDNS_STORE_OK);
	ck_assert(!got.active);
	ck_assert_uint_eq(got.version, 1);
	mecdns_rule_clear(&got);
}
END_TEST

START_TEST(test_cname_in_two_zones_at_one_owner_is_conflict)
{
	put_cname("example.", "www.example.", "one.example.");
	test_set_t t;
	set_init(&t, ".", "www.example.", TYPE_CNAME, 60);
	set_add_cname(&t, "two.example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_CONFLICT);
	/* The same target twice is one record, so no conflict within one zone. */
	set_init(&t, "example.", "www.example.", TYPE_CNAME, 60);
	set_add_cname(&t, "one.example.");
	set_add_cname(&t, "one.example.");
	put_rrset(&t);
	ck_assert_uint_eq(generation(), 2);
}
END_TEST

START_TEST(test_cname_with_two_targets_is_conflict)
{
	test_set_t t;
	set_init(&t, ".", "www.example.", TYPE_CNAME, 60);
	set_add_cname(&t, "one.example.");
	set_add_cname(&t, "two.example.");
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_CONFLICT);
	put_cname(".", "www.example.", "one.example.");
	set_init(&t, ".", "www.example.", TYPE_CNAME, 60);
	set_add_cname(&t, "two.example.");
	ck_assert_int_eq(mecdns_store_rrset_add(store, &t.set, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_uint_eq(generation(), 1);
}
END_TEST

START_TEST(test_cname_conflict_is_judged_on_the_final_state_of_a_batch)
{
	put_a(".", "www.example.", "192.0.2.1");
	test_set_t del_a, cname, a;
	set_init(&del_a, ".", "www.example.", TYPE_A, 60); /* no rdata: delete */
	set_init(&cname, ".", "www.example.", TYPE_CNAME, 60);
	set_add_cname(&cname, "edge.example.");
	/* CNAME first, A deleted later in the same batch: the end state is clean. */
	mecdns_rrset_t swap[2] = { cname.set, del_a.set };
	ck_assert_int_eq(mecdns_store_rrset_replace(store, swap, 2, NULL), MECDNS_STORE_OK);

	set_init(&a, ".", "mixed.example.", TYPE_A, 60);
	set_add_address(&a, "192.0.2.1");
	set_init(&cname, ".", "mixed.example.", TYPE_CNAME, 60);
	set_add_cname(&cname, "edge.example.");
	mecdns_rrset_t mixed[2] = { a.set, cname.set };
	ck_assert_int_eq(mecdns_store_rrset_replace(store, mixed, 2, NULL), MECDNS_STORE_CONFLICT);
	ck_assert_uint_eq(generation(), 2);
}
END_TEST

/*** Generations and the change log. ***/

START_TEST(test_generation_rises_by_one_per_write_and_change_rows_match)
{
	ck_assert_uint_eq(generation(), 0);
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	ck_assert_uint_eq(generation(), 1);
	put_a(".", "b.example.", "192.0.2.2");
	ck_assert_uint_eq(generation(), 2);
	test_set_t x, y;
	set_init(&x, ".", "c.example.", TYPE_A, 60);
	set_add_address(&x, "192.0.2.3");
	set_init(&y, ".", "c.example.", TYPE_MX, 60);
	/* "\x07" "example": "\x07example" would be one escape, \x07e. */
	set_push(&y, "10 mx.example.",
	         (const uint8_t *)"\x00\x0a\x02mx\x07"
	                          "example\x00",
	         14);
	mecdns_rrset_t batch[2] = { x.set, y.set };
	ck_assert_int_eq(mecdns_store_rrset_replace(store, batch, 2, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(generation(), 3);

	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, 4);
	uint64_t expected_generation[] = { 1, 2, 3, 3 };
	for (size_t i = 0; i < log.count; i++) {
		ck_assert_uint_eq(log.rows[i].generation, expected_generation[i]);
		if (i > 0) {
			ck_assert_uint_gt(log.rows[i].seq, log.rows[i - 1].seq);
		}
	}
	ck_assert_int_eq(log.rows[0].kind, MECDNS_CHANGE_RULE);
	ck_assert_int_eq(log.rows[1].kind, MECDNS_CHANGE_RRSET);
	ck_assert_str_eq(log.rows[3].rrtype, "MX");
	ck_assert_str_eq(log.rows[3].zone, ".");
	free(log.rows);
}
END_TEST

START_TEST(test_changes_read_after_a_seq_with_limit_and_early_stop)
{
	char id[32];
	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "r%03d", i);
		create_rule("app1", id, "many.example", "192.0.2.1", true);
	}
	size_t deleted = 0;
	ck_assert_int_eq(mecdns_store_rule_delete_app(store, "app1", &deleted, NULL),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 300);

	change_log_t log = changes_after(0); /* more rows than one internal batch */
	ck_assert_uint_eq(log.count, 600);
	for (size_t i = 1; i < log.count; i++) {
		ck_assert_uint_eq(log.rows[i].seq, log.rows[i - 1].seq + 1);
	}
	uint64_t seq_of_300 = log.rows[299].seq;
	free(log.rows);

	log = (change_log_t){ 0 };
	ck_assert_int_eq(mecdns_store_changes(store, seq_of_300, 10, collect_change, &log),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(log.count, 10);
	ck_assert_uint_eq(log.rows[0].seq, seq_of_300 + 1);
	ck_assert_str_eq(log.rows[0].state, "DELETED");
	free(log.rows);

	log = (change_log_t){ .stop_after = 3 };
	ck_assert_int_eq(mecdns_store_changes(store, 0, 0, collect_change, &log), MECDNS_STORE_OK);
	ck_assert_uint_eq(log.count, 3);
	free(log.rows);
}
END_TEST

static bool signal_from_callback(const mecdns_change_t *change, void *ctx)
{
	/* As syncd's outbox does: emit, then move the cursor. */
	ck_assert_int_eq(mecdns_store_set_signalled(store, change->seq), MECDNS_STORE_OK);
	uint64_t signalled = 0;
	ck_assert_int_eq(mecdns_store_state(store, NULL, NULL, &signalled), MECDNS_STORE_OK);
	ck_assert_uint_eq(signalled, change->seq);
	(*(int *)ctx)++;
	return true;
}

START_TEST(test_changes_callback_may_call_the_store)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	create_rule("app1", "r2", "b.example", "192.0.2.2", true);
	int calls = 0;
	ck_assert_int_eq(mecdns_store_changes(store, 0, 0, signal_from_callback, &calls),
	                 MECDNS_STORE_OK);
	ck_assert_int_eq(calls, 2);
	ck_assert_uint_eq(generation(), 2); /* the cursor is no data change */
}
END_TEST

START_TEST(test_signalled_cursor_never_moves_back_nor_past_the_log)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	create_rule("app1", "r2", "b.example", "192.0.2.2", true);
	create_rule("app1", "r3", "c.example", "192.0.2.3", true);
	uint64_t signalled = 0;
	ck_assert_int_eq(mecdns_store_set_signalled(store, 2), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_set_signalled(store, 1), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_state(store, NULL, NULL, &signalled), MECDNS_STORE_OK);
	ck_assert_uint_eq(signalled, 2);
	ck_assert_int_eq(mecdns_store_set_signalled(store, 1000), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_state(store, NULL, NULL, &signalled), MECDNS_STORE_OK);
	ck_assert_uint_eq(signalled, 3);
	ck_assert_uint_eq(generation(), 3);
}
END_TEST

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

START_TEST(test_prune_removes_only_signalled_changes_past_retention)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	create_rule("app1", "r2", "b.example", "192.0.2.2", true);
	create_rule("app1", "r3", "c.example", "192.0.2.3", true);
	sleep_ms(5);
	size_t deleted = 99;
	uint64_t pruned = 99;

	/* Nothing signalled yet: nothing goes. */
	ck_assert_int_eq(mecdns_store_prune(store, 0, &deleted), MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 0);
	ck_assert_int_eq(mecdns_store_state(store, NULL, &pruned, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(pruned, 0);

	/* Signalled but within the retention window: kept. */
	ck_assert_int_eq(mecdns_store_set_signalled(store, 2), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_prune(store, 3600 * 1000, &deleted), MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 0);

	/* Signalled and old: removed, and the generation marked as pruned. */
	ck_assert_int_eq(mecdns_store_prune(store, 0, &deleted), MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 2);
	ck_assert_int_eq(mecdns_store_state(store, NULL, &pruned, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(pruned, 2);
	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_uint_eq(log.rows[0].generation, 3);
	free(log.rows);

	ck_assert_int_eq(mecdns_store_prune(store, -1, NULL), MECDNS_STORE_INVALID);
	ck_assert_uint_eq(generation(), 3);
}
END_TEST

START_TEST(test_outbox_cursors_hold_the_change_log_back)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	/* A new channel starts at the last change, and stays there. */
	uint64_t seq = 99;
	ck_assert_int_eq(mecdns_store_cursor_open(store, "mqtt", &seq), MECDNS_STORE_OK);
	ck_assert_uint_eq(seq, 1);
	create_rule("app1", "r2", "b.example", "192.0.2.2", true);
	create_rule("app1", "r3", "c.example", "192.0.2.3", true);
	ck_assert_int_eq(mecdns_store_cursor_open(store, "mqtt", &seq), MECDNS_STORE_OK);
	ck_assert_uint_eq(seq, 1);
	sleep_ms(5);
	/* D-Bus has signalled everything; the MQTT cursor keeps seq 2 and 3. */
	ck_assert_int_eq(mecdns_store_set_signalled(store, 3), MECDNS_STORE_OK);
	size_t deleted = 0;
	ck_assert_int_eq(mecdns_store_prune(store, 0, &deleted), MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 1);
	ck_assert_uint_eq(change_count(), 2);
	/* Never back, never past the last change. */
	ck_assert_int_eq(mecdns_store_set_cursor(store, "mqtt", 2), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_set_cursor(store, "mqtt", 1), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_cursor_open(store, "mqtt", &seq), MECDNS_STORE_OK);
	ck_assert_uint_eq(seq, 2);
	ck_assert_int_eq(mecdns_store_set_cursor(store, "mqtt", 1000), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_cursor_open(store, "mqtt", &seq), MECDNS_STORE_OK);
	ck_assert_uint_eq(seq, 3);
	ck_assert_int_eq(mecdns_store_prune(store, 0, &deleted), MECDNS_STORE_OK);
	ck_assert_uint_eq(change_count(), 0);
	/* A dropped channel holds nothing back; moving it does nothing. */
	create_rule("app1", "r4", "d.example", "192.0.2.4", true);
	ck_assert_int_eq(mecdns_store_drop_cursor(store, "mqtt"), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_set_cursor(store, "mqtt", 4), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_set_signalled(store, 4), MECDNS_STORE_OK);
	sleep_ms(5);
	ck_assert_int_eq(mecdns_store_prune(store, 0, &deleted), MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 1);
	/* Writes of cursors are no changes. */
	ck_assert_uint_eq(generation(), 4);
}
END_TEST

START_TEST(test_prune_marks_only_fully_removed_generations)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	create_rule("app1", "r2", "b.example", "192.0.2.2", true);
	ck_assert_int_eq(mecdns_store_rule_delete_app(store, "app1", NULL, NULL), MECDNS_STORE_OK);
	sleep_ms(5);
	/* seq 3 is the first of generation 3's two rows. */
	ck_assert_int_eq(mecdns_store_set_signalled(store, 3), MECDNS_STORE_OK);
	size_t deleted = 0;
	ck_assert_int_eq(mecdns_store_prune(store, 0, &deleted), MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 3);
	uint64_t pruned = 0;
	ck_assert_int_eq(mecdns_store_state(store, NULL, &pruned, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(pruned, 2);

	ck_assert_int_eq(mecdns_store_set_signalled(store, 4), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_prune(store, 0, &deleted), MECDNS_STORE_OK);
	ck_assert_uint_eq(deleted, 1);
	ck_assert_int_eq(mecdns_store_state(store, NULL, &pruned, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(pruned, 3);
	ck_assert_uint_eq(change_count(), 0);

	/* New changes after pruning continue the sequence. */
	create_rule("app1", "r3", "c.example", "192.0.2.3", true);
	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_uint_eq(log.rows[0].seq, 5);
	ck_assert_uint_eq(log.rows[0].generation, 4);
	free(log.rows);
}
END_TEST

/*** Files, durability, concurrency. ***/

START_TEST(test_data_and_generation_survive_reopening)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	put_a(".", "b.example.", "192.0.2.2");
	mecdns_store_close(store);
	store = NULL;
	char err[256] = "";
	ck_assert_int_eq(mecdns_store_open(db_path, &store, err, sizeof(err)), MECDNS_STORE_OK);
	ck_assert_uint_eq(generation(), 2);
	mecdns_rule_t got;
	ck_assert_int_eq(mecdns_store_rule_get(store, "app1", "r1", &got, NULL), MECDNS_STORE_OK);
	mecdns_rule_clear(&got);
	sqlite3 *db = NULL;
	ck_assert_int_eq(mecdns_db_open(db_path, MECDNS_DB_READER, &db, err, sizeof(err)),
	                 SQLITE_OK);
	int version = 0;
	ck_assert_int_eq(mecdns_db_version(db, &version), SQLITE_OK);
	ck_assert_int_eq(version, MECDNS_SCHEMA_VERSION);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_open_of_garbage_file_is_corrupt_with_a_clear_message)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/garbage-%d.db", test_dir, (int)getpid());
	FILE *file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	for (int i = 0; i < 512; i++) {
		fputs("this is not an SQLite database ", file);
	}
	fclose(file);

	mecdns_store_t *bad = NULL;
	char err[512] = "";
	ck_assert_int_eq(mecdns_store_open(path, &bad, err, sizeof(err)), MECDNS_STORE_CORRUPT);
	ck_assert_ptr_null(bad);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "not a database"));
	ck_assert_str_eq(mecdns_store_last_error(), err);
	remove_db_files(path);
}
END_TEST

/*! \brief The permission bits of a file (asserts it exists). */
static mode_t file_mode(const char *path, const char *suffix)
{
	char file[700];
	snprintf(file, sizeof(file), "%s%s", path, suffix);
	struct stat st;
	ck_assert_msg(stat(file, &st) == 0, "%s: %s", file, strerror(errno));
	return st.st_mode & 07777;
}

START_TEST(test_database_files_are_not_for_others_under_any_umask)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/umask-%d.db", test_dir, (int)getpid());
	mode_t old = umask(022);
	mecdns_store_t *s = NULL;
	char err[512] = "";
	ck_assert_int_eq(mecdns_store_open(path, &s, err, sizeof(err)), MECDNS_STORE_OK);
	mecdns_rule_t rule = rule_of("A", "r1", "www.example.com", "192.0.2.1", true);
	ck_assert_int_eq(mecdns_store_rule_create(s, &rule, NULL), MECDNS_STORE_OK);
	const char *suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		ck_assert_msg((file_mode(path, suffixes[i]) & 0007) == 0, "%s%s is mode %04o", path,
		              suffixes[i], (unsigned)file_mode(path, suffixes[i]));
	}
	mecdns_store_close(s);

	/* A file an older mecdns-db left world-readable is fixed on open. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(mecdns_store_open(path, &s, err, sizeof(err)), MECDNS_STORE_OK);
	ck_assert_uint_eq(file_mode(path, ""), 0640);
	mecdns_store_close(s);
	umask(old);
	remove_db_files(path);
}
END_TEST

START_TEST(test_open_in_missing_directory_fails_with_the_path)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/no/such/dir/x.db", test_dir);
	mecdns_store_t *bad = NULL;
	char err[512] = "";
	ck_assert_int_eq(mecdns_store_open(path, &bad, err, sizeof(err)), MECDNS_STORE_READONLY);
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

/*! \brief Opens the (read-only) store file and tries one write. */
static int write_to_read_only_file(void)
{
	mecdns_store_t *ro = NULL;
	char err[512] = "";
	mecdns_store_status_t status = mecdns_store_open(db_path, &ro, err, sizeof(err));
	if (status != MECDNS_STORE_OK) {
		fprintf(stderr, "open: %s\n", err);
		return 10 + (int)status;
	}
	uint64_t gen = 0;
	if (mecdns_store_state(ro, &gen, NULL, NULL) != MECDNS_STORE_OK || gen != 1) {
		mecdns_store_close(ro);
		return 2; /* reading must still work */
	}
	mecdns_rule_t rule = rule_of("app1", "r2", "b.example", "192.0.2.2", true);
	status = mecdns_store_rule_create(ro, &rule, NULL);
	int ret = status == MECDNS_STORE_READONLY ? 0 : 30 + (int)status;
	if (ret != 0) {
		fprintf(stderr, "write: %s (%s)\n", mecdns_store_strerror(status),
		        mecdns_store_last_error());
	}
	mecdns_store_close(ro);
	return ret;
}

START_TEST(test_write_to_read_only_file_is_readonly)
{
	create_rule("app1", "r1", "a.example", "192.0.2.1", true);
	mecdns_store_close(store);
	store = NULL;
	int ret;
	if (geteuid() == 0) {
		/* root ignores file modes: write as an unprivileged user instead
		 * (one who may read the file but does not own it). */
		ck_assert_int_eq(chmod(test_dir, 0755), 0);
		const char *suffixes[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < 3; i++) {
			char file[700];
			snprintf(file, sizeof(file), "%s%s", db_path, suffixes[i]);
			ck_assert(chmod(file, 0644) == 0 || (i > 0 && errno == ENOENT));
		}
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			if (setgid(65534) != 0 || setuid(65534) != 0) {
				_exit(3);
			}
			_exit(write_to_read_only_file());
		}
		int wstatus = 0;
		ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
		ck_assert(WIFEXITED(wstatus));
		ret = WEXITSTATUS(wstatus);
		chmod(test_dir, 0700);
	} else {
		ck_assert_int_eq(chmod(db_path, 0444), 0);
		ret = write_to_read_only_file();
		chmod(db_path, 0644);
	}
	ck_assert_int_eq(ret, 0);
	char err[256] = "";
	ck_assert_int_eq(mecdns_store_open(db_path, &store, err, sizeof(err)), MECDNS_STORE_OK);
	ck_assert_uint_eq(generation(), 1);
}
END_TEST

#define WRITERS          4
#define RULES_PER_WRITER 25

static void *create_rules_thread(void *arg)
{
	int writer = (int)(intptr_t)arg;
	char app[16];
	char id[16];
	snprintf(app, sizeof(app), "app%d", writer);
	for (int i = 0; i < RULES_PER_WRITER; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		char name[32];
		snprintf(name, sizeof(name), "w%d.example", writer); /* a name each */
		mecdns_rule_t rule = rule_of(app, id, name, "192.0.2.1", true);
		mecdns_rule_t out;
		if (mecdns_store_rule_create(store, &rule, &out) != MECDNS_STORE_OK) {
			return (void *)1;
		}
		mecdns_rule_clear(&out);
		uint64_t gen;
		mecdns_rule_list_t list;
		if (mecdns_store_state(store, &gen, NULL, NULL) != MECDNS_STORE_OK ||
		    mecdns_store_rule_list(store, app, &list, NULL) != MECDNS_STORE_OK) {
			return (void *)2;
		}
		mecdns_rule_list_free(&list);
	}
	return NULL;
}

START_TEST(test_concurrent_writers_get_one_generation_each)
{
	pthread_t threads[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		ck_assert_int_eq(
		    pthread_create(&threads[i], NULL, create_rules_thread, (void *)(intptr_t)i), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		void *result = NULL;
		pthread_join(threads[i], &result);
		ck_assert_ptr_null(result);
	}
	ck_assert_uint_eq(generation(), WRITERS * RULES_PER_WRITER);
	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, WRITERS * RULES_PER_WRITER);
	for (size_t i = 0; i < log.count; i++) {
		ck_assert_uint_eq(log.rows[i].generation, i + 1);
	}
	free(log.rows);
}
END_TEST

/*** Group commit. ***/

#define GC_WRITERS          8
#define GC_RULES_PER_WRITER 200

typedef struct {
	int writer;
	uint64_t generations[GC_RULES_PER_WRITER];
	int failures;
} gc_writer_t;

static void *gc_create_thread(void *arg)
{
	gc_writer_t *w = arg;
	char app[16];
	char id[16];
	char name[64];
	snprintf(app, sizeof(app), "gc%d", w->writer);
	for (int i = 0; i < GC_RULES_PER_WRITER; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		snprintf(name, sizeof(name), "w%d-r%d.gc.example", w->writer, i);
		mecdns_rule_t rule = rule_of(app, id, name, "192.0.2.7", true);
		mecdns_rule_t out;
		if (mecdns_store_rule_create(store, &rule, &out) != MECDNS_STORE_OK) {
			w->failures++;
			continue;
		}
		w->generations[i] = out.generation;
		mecdns_rule_clear(&out);
	}
	return NULL;
}

START_TEST(test_group_commit_many_writers_get_consecutive_durable_generations)
{
	static gc_writer_t writers[GC_WRITERS];
	pthread_t threads[GC_WRITERS];
	memset(writers, 0, sizeof(writers));
	for (int i = 0; i < GC_WRITERS; i++) {
		writers[i].writer = i;
		ck_assert_int_eq(pthread_create(&threads[i], NULL, gc_create_thread, &writers[i]),
		                 0);
	}
	for (int i = 0; i < GC_WRITERS; i++) {
		pthread_join(threads[i], NULL);
		ck_assert_int_eq(writers[i].failures, 0);
	}
	const size_t total = GC_WRITERS * GC_RULES_PER_WRITER;

	/* Every OK is on disk: a fresh store on the file sees all of it. */
	mecdns_store_close(store);
	char err[512] = "";
	ck_assert_int_eq(mecdns_store_open(db_path, &store, err, sizeof(err)), MECDNS_STORE_OK);
	ck_assert_uint_eq(generation(), total);

	/* Generations 1..N, each handed to exactly one write, each with the
	 * change row of that write, strictly increasing with seq. */
	static const char *by_generation[GC_WRITERS * GC_RULES_PER_WRITER + 1];
	static int rule_of_generation[GC_WRITERS * GC_RULES_PER_WRITER + 1];
	memset(by_generation, 0, sizeof(by_generation));
	for (int w = 0; w < GC_WRITERS; w++) {
		for (int i = 0; i < GC_RULES_PER_WRITER; i++) {
			uint64_t gen = writers[w].generations[i];
			ck_assert_uint_ge(gen, 1);
			ck_assert_uint_le(gen, total);
			ck_assert_ptr_null(by_generation[gen]);
			by_generation[gen] = "taken";
			rule_of_generation[gen] = w * GC_RULES_PER_WRITER + i;
		}
	}
	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, total);
	for (size_t k = 0; k < log.count; k++) {
		ck_assert_uint_eq(log.rows[k].generation, k + 1);
		int r = rule_of_generation[k + 1];
		char name[64];
		snprintf(name, sizeof(name), "w%d-r%d.gc.example.", r / GC_RULES_PER_WRITER,
		         r % GC_RULES_PER_WRITER);
		ck_assert_str_eq(log.rows[k].owner, name);
		ck_assert_str_eq(log.rows[k].state, "ACTIVE");
	}
	free(log.rows);
	for (int w = 0; w < GC_WRITERS; w++) {
		char app[16];
		snprintf(app, sizeof(app), "gc%d", w);
		mecdns_rule_list_t list;
		ck_assert_int_eq(mecdns_store_rule_list(store, app, &list, NULL), MECDNS_STORE_OK);
		ck_assert_uint_eq(list.count, GC_RULES_PER_WRITER);
		mecdns_rule_list_free(&list);
	}
}
END_TEST

/*! Commit frames in the WAL file (valid for the current WAL header). */
static int wal_commits(void)
{
	char path[600];
	snprintf(path, sizeof(path), "%s-wal", db_path);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return 0;
	}
	unsigned char header[32];
	int commits = 0;
	if (fread(header, 1, sizeof(header), f) == sizeof(header)) {
		uint32_t page_size = (uint32_t)header[8] << 24 | (uint32_t)header[9] << 16 |
		                     (uint32_t)header[10] << 8 | header[11];
		unsigned char frame[24];
		while (fread(frame, 1, sizeof(frame), f) == sizeof(frame) &&
		       memcmp(frame + 8, header + 16, 8) == 0) {
			if (frame[4] | frame[5] | frame[6] | frame[7]) {
				commits++;
			}
			if (fseek(f, (long)page_size, SEEK_CUR) != 0) {
				break;
			}
		}
	}
	fclose(f);
	return commits;
}

typedef enum {
	GC_CREATE,    /* a new rule: OK */
	GC_DUPLICATE, /* create of an existing rule: EXISTS */
	GC_CNAME,     /* CNAME at an ACTIVE rule's owner: CONFLICT */
	GC_STALE,     /* update with a wrong version: STALE */
	GC_UPDATE,    /* update with the right version: OK */
	GC_SIGNALLED, /* housekeeping in the group: OK */
} gc_op_kind_t;

typedef struct {
	gc_op_kind_t kind;
	int index;
	mecdns_store_status_t status;
	pthread_t thread;
} gc_op_t;

static void *gc_op_thread(void *arg)
{
	gc_op_t *op = arg;
	char id[16];
	char name[64];
	snprintf(id, sizeof(id), "n%d", op->index);
	snprintf(name, sizeof(name), "n%d.gc.example", op->index);
	mecdns_rule_t rule = rule_of("grp", id, name, "192.0.2.9", true);
	switch (op->kind) {
	case GC_CREATE:
		op->status = mecdns_store_rule_create(store, &rule, NULL);
		break;
	case GC_DUPLICATE:
		rule = rule_of("grp", "base", "dup.gc.example", "192.0.2.9", true);
		op->status = mecdns_store_rule_create(store, &rule, NULL);
		break;
	case GC_CNAME: {
		test_set_t t;
		set_init(&t, ".", "base.gc.example.", 5, 300);
		set_add_cname(&t, "target.example.");
		op->status = mecdns_store_rrset_add(store, &t.set, NULL);
		break;
	}
	case GC_STALE:
		rule = rule_of("grp", "base", "base.gc.example", "192.0.2.99", true);
		op->status = mecdns_store_rule_update(store, &rule, 7, NULL);
		break;
	case GC_UPDATE:
		rule = rule_of("grp", "upd", "upd.gc.example", "192.0.2.10", true);
		op->status = mecdns_store_rule_update(store, &rule, 1, NULL);
		break;
	case GC_SIGNALLED:
		op->status = mecdns_store_set_signalled(store, 2);
		break;
	}
	return NULL;
}

START_TEST(test_group_commit_failed_write_fails_alone_in_its_group)
{
	create_rule("grp", "base", "base.gc.example", "192.0.2.1", true);
	create_rule("grp", "upd", "upd.gc.example", "192.0.2.2", true);
	const uint64_t gen0 = generation();
	ck_assert_uint_eq(gen0, 2);

	/* Hold the database's write lock from another connection, so the
	 * writes below queue up and go into one group when it is released. */
	sqlite3 *other = NULL;
	ck_assert_int_eq(sqlite3_open(db_path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	const int commits0 = wal_commits();

	static const gc_op_kind_t kinds[] = {
		GC_CREATE, GC_DUPLICATE, GC_CREATE, GC_CNAME,     GC_CREATE,
		GC_STALE,  GC_UPDATE,    GC_CREATE, GC_SIGNALLED, GC_CREATE,
	};
	enum { OPS = sizeof(kinds) / sizeof(kinds[0]) };
	gc_op_t ops[OPS];
	for (int i = 0; i < OPS; i++) {
		ops[i] = (gc_op_t){ .kind = kinds[i], .index = i, .status = MECDNS_STORE_ERROR };
		ck_assert_int_eq(pthread_create(&ops[i].thread, NULL, gc_op_thread, &ops[i]), 0);
	}
	sleep_ms(1000); /* All of them wait (well within the 5 s busy timeout). */
	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	for (int i = 0; i < OPS; i++) {
		pthread_join(ops[i].thread, NULL);
	}

	size_t writes = 0;
	for (int i = 0; i < OPS; i++) {
		mecdns_store_status_t expected = MECDNS_STORE_OK;
		switch (kinds[i]) {
		case GC_DUPLICATE:
			expected = MECDNS_STORE_EXISTS;
			break;
		case GC_CNAME:
			expected = MECDNS_STORE_CONFLICT;
			break;
		case GC_STALE:
			expected = MECDNS_STORE_STALE;
			break;
		case GC_CREATE:
		case GC_UPDATE:
			writes++;
			break;
		case GC_SIGNALLED:
			break;
		}
		ck_assert_msg(ops[i].status == expected, "op %d: %s, expected %s", i,
		              mecdns_store_strerror(ops[i].status),
		              mecdns_store_strerror(expected));
	}
	/* One COMMIT for the group (one more if a thread was so late that it
	 * missed it: not the point here; 7 would be one per successful write). */
	const int commits = wal_commits() - commits0;
	ck_assert_int_ge(commits, 1);
	ck_assert_int_le(commits, 2);

	/* The successful writes, one generation each, in order... */
	ck_assert_uint_eq(generation(), gen0 + writes);
	change_log_t log = changes_after(0);
	ck_assert_uint_eq(log.count, gen0 + writes);
	for (size_t k = 0; k < log.count; k++) {
		ck_assert_uint_eq(log.rows[k].generation, k + 1);
	}
	free(log.rows);
	uint64_t signalled = 0;
	ck_assert_int_eq(mecdns_store_state(store, NULL, NULL, &signalled), MECDNS_STORE_OK);
	ck_assert_uint_eq(signalled, 2);
	for (int i = 0; i < OPS; i++) {
		if (kinds[i] == GC_CREATE) {
			char id[16];
			snprintf(id, sizeof(id), "n%d", i);
			mecdns_rule_t got;
			ck_assert_int_eq(mecdns_store_rule_get(store, "grp", id, &got, NULL),
			                 MECDNS_STORE_OK);
			mecdns_rule_clear(&got);
		}
	}
	mecdns_rule_t upd;
	ck_assert_int_eq(mecdns_store_rule_get(store, "grp", "upd", &upd, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(upd.version, 2);
	ck_assert_str_eq(upd.ip_address, "192.0.2.10");
	mecdns_rule_clear(&upd);

	/* ...and the failed ones changed nothing. */
	mecdns_rule_t base;
	ck_assert_int_eq(mecdns_store_rule_get(store, "grp", "base", &base, NULL), MECDNS_STORE_OK);
	ck_assert_uint_eq(base.version, 1);
	ck_assert_str_eq(base.ip_address, "192.0.2.1");
	ck_assert_str_eq(base.domain_name, "base.gc.example");
	ck_assert_uint_eq(base.generation, 1);
	mecdns_rule_clear(&base);
	mecdns_rrset_t cname;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "base.gc.example.", 5, NULL, &cname, NULL),
	    MECDNS_STORE_NOT_FOUND);
}
END_TEST

/*** mecdns-db. ***/

/*! \brief Runs mecdns-db with the test database; returns its exit status and
 *         (if out is not NULL) its standard output. */
static int run_tool(const char *tool, const char *args, char *out, size_t out_len)
{
	char command[2048];
	snprintf(command, sizeof(command), "'%s' -d '%s' %s 2>/dev/null", tool, db_path, args);
	FILE *pipe = popen(command, "r");
	ck_assert_ptr_nonnull(pipe);
	size_t len = fread(out != NULL ? out : command, 1, out != NULL ? out_len - 1 : 1, pipe);
	if (out != NULL) {
		out[len] = '\0';
	}
	while (fgetc(pipe) != EOF) {
	}
	int status = pclose(pipe);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_cli_adds_lists_and_logs_through_the_store)
{
	const char *builddir = getenv("MECDNS_BUILDDIR");
	char tool[600];
	snprintf(tool, sizeof(tool), "%s/tools/mecdns-db", builddir != NULL ? builddir : ".");
	if (access(tool, X_OK) != 0) {
		fprintf(stderr, "skipping the mecdns-db checks: %s not built\n", tool);
		return;
	}
	mecdns_store_close(store); /* the tool is the writer now */
	store = NULL;
	char out[4096];

	ck_assert_int_eq(run_tool(tool, "--help", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "rule-add"));
	ck_assert_int_eq(run_tool(tool, "init", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0\n");
	ck_assert_int_eq(run_tool(tool, "version", out, sizeof(out)), 0);
	char version_line[16];
	snprintf(version_line, sizeof(version_line), "%d\n", MECDNS_SCHEMA_VERSION);
	ck_assert_str_eq(out, version_line);
	ck_assert_int_eq(
	    run_tool(tool, "rule-add app1 r1 WWW.Example.com 192.0.2.10 60", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1\n");
	ck_assert_int_eq(run_tool(tool, "rule-list app1", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "r1\tWWW.Example.com\tIP_V4\t192.0.2.10\t60\tACTIVE\t1\t-\n");
	ck_assert_int_eq(run_tool(tool, "rule-state app1 r1 INACTIVE", out, sizeof(out)), 0);
	ck_assert_int_eq(run_tool(tool,
	                          "rrset-set example.com mail.example.com MX 300 "
	                          "'10 mx1.example.com' '10 mx1.example.com.'",
	                          out, sizeof(out)),
	                 0);
	ck_assert_int_eq(
	    run_tool(tool, "rrset-set . txt.example TXT 60 '\"hello world\"'", out, sizeof(out)),
	    0);
	ck_assert_int_eq(run_tool(tool, "rrset-list example.com", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "example.com.\tmail.example.com.\tMX\t300\t10 mx1.example.com.\t-\n");

	/* Refusals: one line on stderr, exit status 1, nothing changed. */
	ck_assert_int_eq(run_tool(tool, "rule-state app1 r1 ACTIVE", NULL, 0), 0);
	ck_assert_int_eq(
	    run_tool(tool, "rrset-set . www.example.com CNAME 60 edge.example.", NULL, 0), 1);
	ck_assert_int_eq(run_tool(tool, "rule-add app1 r2 'bad name' 192.0.2.1", NULL, 0), 1);
	ck_assert_int_eq(run_tool(tool, "rule-add app1 r1 a.example 192.0.2.1", NULL, 0), 1);
	ck_assert_int_eq(run_tool(tool, "rrset-set . a.example A 60 not-an-address", NULL, 0), 1);
	ck_assert_int_eq(run_tool(tool, "rrset-del . none.example A", NULL, 0), 1);
	ck_assert_int_eq(run_tool(tool, "no-such-command", NULL, 0), 1);
	ck_assert_int_eq(run_tool(tool, "generation", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "5\n");

	ck_assert_int_eq(run_tool(tool, "changes 3", out, sizeof(out)), 0);
	ck_assert_str_eq(out,
	                 "4\t4\trrset\t.\ttxt.example.\tTXT\t1\t-\n"
	                 "5\t5\trule\tACTIVE\tapp1\tr1\tWWW.Example.com\twww.example.com.\t-\t-\n");
	ck_assert_int_eq(run_tool(tool, "rule-del app1 r1", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "6\n");

	char err[256] = "";
	ck_assert_int_eq(mecdns_store_open(db_path, &store, err, sizeof(err)), MECDNS_STORE_OK);
	mecdns_rrset_t got;
	ck_assert_int_eq(
	    mecdns_store_rrset_get(store, ".", "txt.example.", TYPE_TXT, NULL, &got, NULL),
	    MECDNS_STORE_OK);
	ck_assert_str_eq(got.rdata[0].text, "\"hello world\"");
	ck_assert_uint_eq(got.rdata[0].wire_len, 12);
	mecdns_rrset_clear(&got);
}
END_TEST

/*! \brief Runs mecdns-db and returns its exit status and its standard error. */
static int run_tool_stderr(const char *tool, const char *args, char *err, size_t err_len)
{
	char command[2048];
	snprintf(command, sizeof(command), "'%s' -d '%s' %s 2>&1 >/dev/null", tool, db_path, args);
	FILE *pipe = popen(command, "r");
	ck_assert_ptr_nonnull(pipe);
	size_t len = fread(err, 1, err_len - 1, pipe);
	err[len] = '\0';
	while (fgetc(pipe) != EOF) {
	}
	int status = pclose(pipe);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_cli_parses_record_data_as_the_rrecord_api_does)
{
	const char *builddir = getenv("MECDNS_BUILDDIR");
	char tool[600];
	snprintf(tool, sizeof(tool), "%s/tools/mecdns-db", builddir != NULL ? builddir : ".");
	if (access(tool, X_OK) != 0) {
		fprintf(stderr, "skipping the mecdns-db checks: %s not built\n", tool);
		return;
	}
	mecdns_store_close(store); /* the tool is the writer now */
	store = NULL;
	char out[4096];
	char api_err[512];
	char expected[1024];
	uint16_t type = 0;
	uint8_t *wire = NULL;
	uint16_t wire_len = 0;
	char *canonical = NULL;

	/* Bad record data: refused with the API's reason, on one line. */
	static const struct {
		const char *type_name;
		uint16_t type;
		const char *rdata; /* as the shell passes it */
		const char *arg;   /* quoted for the shell */
	} bad[] = {
		{ "A", TYPE_A, "not-an-address", "not-an-address" },
		{ "A", TYPE_A, "192.0.2.1 192.0.2.2", "'192.0.2.1 192.0.2.2'" },
		{ "MX", TYPE_MX, "10", "10" },
		{ "TXT", TYPE_TXT, "\"unterminated", "'\"unterminated'" },
		{ "AAAA", TYPE_AAAA, "192.0.2.1", "192.0.2.1" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert(!mecdns_rdata_parse("a.example.", bad[i].type, bad[i].rdata, &wire,
		                              &wire_len, &canonical, api_err, sizeof(api_err)));
		char args[256];
		snprintf(args, sizeof(args), "rrset-set . a.example %s 60 %s", bad[i].type_name,
		         bad[i].arg);
		ck_assert_int_eq(run_tool_stderr(tool, args, out, sizeof(out)), 1);
		snprintf(expected, sizeof(expected), "mecdns-db: rrset-set: %s\n", api_err);
		ck_assert_str_eq(out, expected);
	}
	/* Types the API refuses, with its reason. */
	ck_assert(!mecdns_rrtype_parse("SOA", &type, api_err, sizeof(api_err)));
	ck_assert_int_eq(run_tool_stderr(tool,
	                                 "rrset-set . a.example SOA 60 "
	                                 "'ns.example. host.example. 1 2 3 4 5'",
	                                 out, sizeof(out)),
	                 1);
	snprintf(expected, sizeof(expected), "mecdns-db: rrset-set: %s\n", api_err);
	ck_assert_str_eq(out, expected);
	ck_assert_int_eq(run_tool(tool, "generation", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0\n");

	/* Accepted text is stored in the API's canonical form: names are
	 * absolute (the zone is not appended), spacing and CAA's trailing
	 * blank are normalised. */
	ck_assert_int_eq(run_tool(tool,
	                          "rrset-set example.com mx.example.com MX 300 "
	                          "'010   mx1' '20 mx2.example.com'",
	                          out, sizeof(out)),
	                 0);
	ck_assert_int_eq(run_tool(tool, "rrset-set . caa.example CAA 60 '0 issue \"ca.example\"'",
	                          out, sizeof(out)),
	                 0);
	char err[256] = "";
	ck_assert_int_eq(mecdns_store_open(db_path, &store, err, sizeof(err)), MECDNS_STORE_OK);
	mecdns_rrset_t got;
	ck_assert_int_eq(mecdns_store_rrset_get(store, "example.com.", "mx.example.com.", TYPE_MX,
	                                        NULL, &got, NULL),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(got.rdata_count, 2);
	const char *mx_text[] = { "010   mx1", "20 mx2.example.com" };
	for (size_t i = 0; i < 2; i++) {
		ck_assert(mecdns_rdata_parse("mx.example.com.", TYPE_MX, mx_text[i], &wire,
		                             &wire_len, &canonical, api_err, sizeof(api_err)));
		bool found = false;
		for (size_t j = 0; j < got.rdata_count; j++) {
			if (strcmp(got.rdata[j].text, canonical) == 0) {
				found = true;
				ck_assert_uint_eq(got.rdata[j].wire_len, wire_len);
				ck_assert_mem_eq(got.rdata[j].wire, wire, wire_len);
			}
		}
		ck_assert_msg(found, "canonical \"%s\" not stored", canonical);
		free(wire);
		free(canonical);
	}
	mecdns_rrset_clear(&got);
	ck_assert_int_eq(mecdns_store_rrset_get(store, ".", "caa.example.", 257, NULL, &got, NULL),
	                 MECDNS_STORE_OK);
	ck_assert_str_eq(got.rdata[0].text, "0 issue \"ca.example\"");
	mecdns_rrset_clear(&got);
	mecdns_store_close(store);
	store = NULL;
	ck_assert_int_eq(run_tool(tool, "rrset-list example.com", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\tMX\t300\t10 mx1.\t-\n"));
	ck_assert_ptr_nonnull(strstr(out, "\tMX\t300\t20 mx2.example.com.\t-\n"));
}
END_TEST

/*** Suite. ***/

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/*** Zone sync: snapshots, ownership, cursor. ***/

START_TEST(test_zone_snapshot_has_active_rules_and_rrsets_under_the_zone_only)
{
	create_rule("app1", "r1", "www.zone.test", "192.0.2.1", true);
	create_rule("app1", "r2", "www.zone.test", "2001:db8::1", true);
	create_rule("app1", "r3", "off.zone.test", "192.0.2.3", false);
	create_rule("app1", "r4", "www.other.test", "192.0.2.4", true);
	create_rule("app1", "r5", "zone.test.evil.test", "192.0.2.5", true);
	test_set_t t;
	set_init(&t, ".", "txt.zone.test.", TYPE_TXT, 300);
	set_push(&t, "\"hi\"", (const uint8_t *)"\x02hi", 3);
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_OK);
	/* Scoped answers stay out of zones: a secondary cannot know the client. */
	create_scoped_rule("app1", "r6", "www.zone.test", "192.0.2.6", "10.45.0.0/16");
	put_scoped_a("scoped.zone.test.", "10.45.0.0/16", "192.0.2.7");
	set_init(&t, ".", "txt.zone.test.", TYPE_TXT, 300);
	t.set.client_subnets = (char *)"10.45.0.0/16";
	set_push(&t, "\"site\"", (const uint8_t *)"\x04site", 5);
	ck_assert_int_eq(mecdns_store_rrset_replace(store, &t.set, 1, NULL), MECDNS_STORE_OK);

	mecdns_zone_snapshot_t snap;
	ck_assert_int_eq(mecdns_store_zone_snapshot(store, "zone.test.", 0, NULL, 0, &snap),
	                 MECDNS_STORE_OK);
	ck_assert(snap.whole_zone);
	ck_assert_uint_eq(snap.generation, generation());
	ck_assert_uint_eq(snap.records.count, 3);
	/* Ordered by owner, then type. */
	ck_assert_str_eq(snap.records.items[0].owner, "txt.zone.test.");
	ck_assert_uint_eq(snap.records.items[0].type, TYPE_TXT);
	ck_assert_int_eq(snap.records.items[0].ttl, 300);
	ck_assert_str_eq(snap.records.items[0].text, "\"hi\"");
	ck_assert_str_eq(snap.records.items[1].owner, "www.zone.test.");
	ck_assert_uint_eq(snap.records.items[1].type, TYPE_A);
	ck_assert_int_eq(snap.records.items[1].ttl, -1);
	ck_assert_str_eq(snap.records.items[1].text, "192.0.2.1");
	ck_assert_uint_eq(snap.records.items[1].wire_len, 4);
	ck_assert_uint_eq(snap.records.items[2].type, TYPE_AAAA);
	ck_assert_uint_eq(snap.records.items[2].wire_len, 16);
	mecdns_zone_snapshot_free(&snap);
}
END_TEST

START_TEST(test_zone_snapshot_since_a_generation_lists_changed_owners_of_the_zone)
{
	create_rule("app1", "r1", "a.zone.test", "192.0.2.1", true);
	uint64_t since = generation();
	create_rule("app1", "r2", "b.zone.test", "192.0.2.2", true);
	create_rule("app1", "r3", "c.other.test", "192.0.2.3", true);
	/* A renamed rule changes its old owner too. */
	mecdns_rule_t moved = rule_of("app1", "r1", "d.zone.test", "192.0.2.1", true);
	ck_assert_int_eq(mecdns_store_rule_update(store, &moved, 0, NULL), MECDNS_STORE_OK);

	mecdns_zone_snapshot_t snap;
	ck_assert_int_eq(mecdns_store_zone_snapshot(store, "zone.test.", since, NULL, 0, &snap),
	                 MECDNS_STORE_OK);
	ck_assert(!snap.whole_zone);
	ck_assert_uint_eq(snap.owner_count, 3);
	ck_assert_str_eq(snap.owners[0], "a.zone.test.");
	ck_assert_str_eq(snap.owners[1], "b.zone.test.");
	ck_assert_str_eq(snap.owners[2], "d.zone.test.");
	ck_assert_uint_eq(snap.records.count, 2);
	ck_assert_str_eq(snap.records.items[0].owner, "b.zone.test.");
	ck_assert_str_eq(snap.records.items[1].owner, "d.zone.test.");
	mecdns_zone_snapshot_free(&snap);

	/* Owners asked for as well are read and listed, changed or not. */
	char *also[] = { "b.zone.test.", "c.other.test.", "x.zone.test." };
	ck_assert_int_eq(
	    mecdns_store_zone_snapshot(store, "zone.test.", generation(), also, 3, &snap),
	    MECDNS_STORE_OK);
	ck_assert(!snap.whole_zone);
	ck_assert_uint_eq(snap.owner_count, 2);
	ck_assert_str_eq(snap.owners[0], "b.zone.test.");
	ck_assert_str_eq(snap.owners[1], "x.zone.test.");
	ck_assert_uint_eq(snap.records.count, 1);
	mecdns_zone_snapshot_free(&snap);

	/* Nothing changed since now; a cursor ahead of the database reads all. */
	ck_assert_int_eq(
	    mecdns_store_zone_snapshot(store, "zone.test.", generation(), NULL, 0, &snap),
	    MECDNS_STORE_OK);
	ck_assert(!snap.whole_zone);
	ck_assert_uint_eq(snap.owner_count, 0);
	mecdns_zone_snapshot_free(&snap);
	ck_assert_int_eq(
	    mecdns_store_zone_snapshot(store, "zone.test.", generation() + 5, NULL, 0, &snap),
	    MECDNS_STORE_OK);
	ck_assert(snap.whole_zone);
	ck_assert_uint_eq(snap.records.count, 2);
	mecdns_zone_snapshot_free(&snap);
}
END_TEST

START_TEST(test_zone_snapshot_reads_whole_zone_when_the_log_was_pruned)
{
	create_rule("app1", "r1", "a.zone.test", "192.0.2.1", true);
	uint64_t since = generation();
	create_rule("app1", "r2", "b.zone.test", "192.0.2.2", true);
	ck_assert_int_eq(mecdns_store_set_signalled(store, UINT64_MAX), MECDNS_STORE_OK);
	ck_assert_int_eq(mecdns_store_prune(store, 0, NULL), MECDNS_STORE_OK);

	mecdns_zone_snapshot_t snap;
	ck_assert_int_eq(mecdns_store_zone_snapshot(store, "zone.test.", since, NULL, 0, &snap),
	                 MECDNS_STORE_OK);
	ck_assert(snap.whole_zone);
	ck_assert_uint_eq(snap.records.count, 2);
	mecdns_zone_snapshot_free(&snap);
}
END_TEST

START_TEST(test_zone_sync_save_replaces_ownership_per_owner_and_moves_the_cursor)
{
	uint64_t gen = 0;
	uint32_t serial = 0;
	ck_assert_int_eq(mecdns_store_zone_sync_get(store, "zone.test.", &gen, &serial),
	                 MECDNS_STORE_NOT_FOUND);

	uint8_t a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };
	mecdns_zone_record_t owned[] = {
		{ .owner = "a.zone.test.",
		  .type = TYPE_A,
		  .ttl = 60,
		  .text = "192.0.2.1",
		  .wire = a1,
		  .wire_len = 4 },
		{ .owner = "b.zone.test.",
		  .type = TYPE_A,
		  .ttl = 60,
		  .text = "192.0.2.2",
		  .wire = a2,
		  .wire_len = 4 },
	};
	uint64_t before = generation();
	ck_assert_int_eq(
	    mecdns_store_zone_sync_save(store, "zone.test.", NULL, 0, owned, 2, 7, 2024010102u),
	    MECDNS_STORE_OK);
	ck_assert_uint_eq(generation(), before); /* Bookkeeping, not a change. */
	ck_assert_int_eq(mecdns_store_zone_sync_get(store, "zone.test.", &gen, &serial),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(gen, 7);
	ck_assert_uint_eq(serial, 2024010102u);

	/* Owner a loses its record; b is not named and keeps its own. */
	char *owners[] = { "a.zone.test." };
	ck_assert_int_eq(
	    mecdns_store_zone_sync_save(store, "zone.test.", owners, 1, NULL, 0, 8, 2024010103u),
	    MECDNS_STORE_OK);
	mecdns_zone_record_list_t list;
	ck_assert_int_eq(mecdns_store_zone_owned(store, "zone.test.", NULL, 0, &list),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(list.items[0].owner, "b.zone.test.");
	ck_assert_int_eq(list.items[0].ttl, 60);
	ck_assert_str_eq(list.items[0].text, "192.0.2.2");
	ck_assert_mem_eq(list.items[0].wire, a2, 4);
	mecdns_zone_record_list_free(&list);
	ck_assert_int_eq(mecdns_store_zone_owned(store, "zone.test.", owners, 1, &list),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 0);
	mecdns_zone_record_list_free(&list);
	ck_assert_int_eq(mecdns_store_zone_owned(store, "other.test.", NULL, 0, &list),
	                 MECDNS_STORE_OK);
	ck_assert_uint_eq(list.count, 0);
	mecdns_zone_record_list_free(&list);
}
END_TEST

START_TEST(test_zone_sync_save_refuses_a_record_outside_the_zone_and_changes_nothing)
{
	uint8_t a1[4] = { 192, 0, 2, 1 };
	mecdns_zone_record_t owned[] = {
		{ .owner = "www.other.test.",
		  .type = TYPE_A,
		  .ttl = 60,
		  .text = "192.0.2.1",
		  .wire = a1,
		  .wire_len = 4 },
	};
	ck_assert_int_eq(mecdns_store_zone_sync_save(store, "zone.test.", NULL, 0, owned, 1, 1, 1),
	                 MECDNS_STORE_INVALID);
	ck_assert_int_eq(mecdns_store_zone_sync_get(store, "zone.test.", NULL, NULL),
	                 MECDNS_STORE_NOT_FOUND);
}
END_TEST

/*! mecdns_rrset_dedup keeps the first of each wire, in order, for sets
 *  big enough to be sorted. */
START_TEST(test_rrset_dedup_keeps_first_records_in_order)
{
	mecdns_rrset_t set = { .type = 1 /* A */ };
	set.rdata = calloc(300, sizeof(*set.rdata));
	ck_assert_ptr_nonnull(set.rdata);
	for (size_t i = 0; i < 300; i++) {
		/* 100 distinct addresses, each three times, the runs interleaved. */
		uint8_t last = (uint8_t)(99 - i % 100);
		set.rdata[i].wire = malloc(4);
		set.rdata[i].wire[0] = 192;
		set.rdata[i].wire[1] = 0;
		set.rdata[i].wire[2] = 2;
		set.rdata[i].wire[3] = last;
		set.rdata[i].wire_len = 4;
		char text[32];
		snprintf(text, sizeof(text), "%zu", i);
		set.rdata[i].text = strdup(text);
		set.rdata_count++;
	}
	ck_assert(mecdns_rrset_dedup(&set));
	ck_assert_uint_eq(set.rdata_count, 100);
	for (size_t i = 0; i < 100; i++) {
		char text[32];
		snprintf(text, sizeof(text), "%zu", i);
		ck_assert_str_eq(set.rdata[i].text, text);
		ck_assert_uint_eq(set.rdata[i].wire[3], 99 - i);
	}
	mecdns_rrset_clear(&set);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *suite = suite_create("store");
	TCase *names = tcase_create("canonical names");
	tcase_add_test(names, test_canonical_name_is_lower_case_and_absolute);
	tcase_add_test(names, test_canonical_name_refuses_malformed_names);
	tcase_add_test(names, test_canonical_name_labels_up_to_63_characters);
	tcase_add_test(names, test_canonical_name_total_up_to_253_characters);
	tcase_set_timeout(names, 120);
	suite_add_tcase(suite, names);

	TCase *rules = tcase_create("rules");
	tcase_add_checked_fixture(rules, setup, teardown);
	tcase_add_test(rules, test_rule_create_then_get_round_trips);
	tcase_add_test(rules, test_rule_without_ttl_reads_back_as_unset);
	tcase_add_test(rules, test_rule_get_of_missing_rule_is_not_found);
	tcase_add_test(rules, test_rule_duplicate_create_is_exists_and_changes_nothing);
	tcase_add_test(rules, test_rule_update_bumps_version_etag_and_generation);
	tcase_add_test(rules, test_rule_update_with_stale_version_is_stale_and_changes_nothing);
	tcase_add_test(rules, test_rule_update_of_missing_rule_is_not_found);
	tcase_add_test(rules, test_rule_rename_logs_previous_owner);
	tcase_add_test(rules, test_rule_delete_logs_deleted_state);
	tcase_add_test(rules, test_rule_delete_with_stale_version_is_stale_and_keeps_the_rule);
	tcase_add_test(rules, test_rule_list_is_ordered_and_unknown_app_is_not_found);
	tcase_add_test(rules, test_rule_delete_app_removes_all_in_one_generation);
	tcase_add_test(rules, test_rule_with_bad_address_or_name_is_invalid_and_changes_nothing);
	tcase_add_test(rules, test_rule_values_refused_by_schema_checks_are_invalid);
	tcase_add_test(rules, test_rule_counts_by_state);
	tcase_set_timeout(rules, 120);
	suite_add_tcase(suite, rules);

	TCase *rrsets = tcase_create("rrsets");
	tcase_add_checked_fixture(rrsets, setup, teardown);
	tcase_add_test(rrsets, test_rrset_replace_then_get_round_trips);
	tcase_add_test(rrsets, test_rrset_identical_rdata_is_stored_once);
	tcase_add_test(rrsets, test_rrset_replace_with_no_rdata_deletes_the_set);
	tcase_add_test(rrsets, test_rrset_replace_deleting_absent_set_logs_nothing);
	tcase_add_test(rrsets, test_rrset_add_appends_deduplicates_and_updates_ttl);
	tcase_add_test(rrsets, test_rrset_delete_logs_zero_and_missing_set_is_not_found);
	tcase_add_test(rrsets, test_rrset_non_canonical_or_foreign_names_are_invalid);
	tcase_add_test(rrsets, test_rrset_bulk_replace_is_all_or_nothing);
	tcase_add_test(rrsets, test_rrset_same_key_twice_in_one_batch_is_invalid);
	tcase_add_test(rrsets, test_rrset_list_by_zone_and_all_zones);
	tcase_set_timeout(rrsets, 120);
	suite_add_tcase(suite, rrsets);

	TCase *cname = tcase_create("cname exclusivity");
	tcase_add_checked_fixture(cname, setup, teardown);
	tcase_add_test(cname, test_cname_beside_another_type_is_conflict);
	tcase_add_test(cname, test_cname_at_a_zone_apex_is_refused);
	tcase_add_test(cname, test_set_whose_answer_cannot_fit_a_message_is_refused);
	tcase_add_test(cname, test_cname_beside_active_rule_is_conflict);
	tcase_add_test(cname, test_cname_beside_inactive_rule_is_allowed);
	tcase_add_test(cname, test_active_rule_at_cname_owner_is_conflict);
	tcase_add_test(cname, test_cname_in_two_zones_at_one_owner_is_conflict);
	tcase_add_test(cname, test_cname_with_two_targets_is_conflict);
	tcase_add_test(cname, test_cname_conflict_is_judged_on_the_final_state_of_a_batch);
	tcase_set_timeout(cname, 120);
	suite_add_tcase(suite, cname);

	TCase *log = tcase_create("change log");
	tcase_add_checked_fixture(log, setup, teardown);
	tcase_add_test(log, test_generation_rises_by_one_per_write_and_change_rows_match);
	tcase_add_test(log, test_changes_read_after_a_seq_with_limit_and_early_stop);
	tcase_add_test(log, test_changes_callback_may_call_the_store);
	tcase_add_test(log, test_signalled_cursor_never_moves_back_nor_past_the_log);
	tcase_add_test(log, test_prune_removes_only_signalled_changes_past_retention);
	tcase_add_test(log, test_prune_marks_only_fully_removed_generations);
	tcase_add_test(log, test_outbox_cursors_hold_the_change_log_back);
	tcase_set_timeout(log, 120);
	suite_add_tcase(suite, log);

	TCase *zonesync = tcase_create("zone sync");
	tcase_add_checked_fixture(zonesync, setup, teardown);
	tcase_add_test(zonesync,
	               test_zone_snapshot_has_active_rules_and_rrsets_under_the_zone_only);
	tcase_add_test(zonesync,
	               test_zone_snapshot_since_a_generation_lists_changed_owners_of_the_zone);
	tcase_add_test(zonesync, test_zone_snapshot_reads_whole_zone_when_the_log_was_pruned);
	tcase_add_test(zonesync,
	               test_zone_sync_save_replaces_ownership_per_owner_and_moves_the_cursor);
	tcase_add_test(zonesync,
	               test_zone_sync_save_refuses_a_record_outside_the_zone_and_changes_nothing);
	tcase_set_timeout(zonesync, 120);
	suite_add_tcase(suite, zonesync);

	TCase *files = tcase_create("files");
	tcase_add_checked_fixture(files, setup, teardown);
	tcase_set_timeout(files, 120);
	tcase_add_test(files, test_data_and_generation_survive_reopening);
	tcase_add_test(files, test_open_of_garbage_file_is_corrupt_with_a_clear_message);
	tcase_add_test(files, test_open_in_missing_directory_fails_with_the_path);
	tcase_add_test(files, test_database_files_are_not_for_others_under_any_umask);
	tcase_add_test(files, test_write_to_read_only_file_is_readonly);
	tcase_add_test(files, test_concurrent_writers_get_one_generation_each);
	tcase_add_test(files, test_group_commit_many_writers_get_consecutive_durable_generations);
	tcase_add_test(files, test_group_commit_failed_write_fails_alone_in_its_group);
	tcase_add_test(files, test_cli_adds_lists_and_logs_through_the_store);
	tcase_add_test(files, test_cli_parses_record_data_as_the_rrecord_api_does);
	tcase_add_test(files, test_rrset_dedup_keeps_first_records_in_order);
	tcase_add_test(files, test_name_parent_walks_labels_not_escaped_dots);
	tcase_add_test(files, test_tenant_writes_need_a_name_grant);
	tcase_add_test(files, test_a_name_goes_to_a_second_app_only_when_shared);
	tcase_add_test(files, test_a_subtree_grant_keeps_other_apps_out_below_it);
	tcase_add_test(files, test_config_grants_replace_each_other_all_or_nothing);
	tcase_add_test(files, test_rrset_pages_walk_every_set_once_in_key_order);
	tcase_add_test(files, test_rrset_scope_is_part_of_the_key);
	tcase_add_test(files, test_context_document_and_rules_change_together);
	suite_add_tcase(suite, files);
	return suite;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(test_dir, sizeof(test_dir), "%s/mecdns-store-XXXXXX",
	         tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(test_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	SRunner *runner = srunner_create(store_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed == 0 ? 0 : 1;
}
