/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Schema versions and migrations: a file written by an older release is
 *  migrated forward with nothing lost; readers accept exactly the version
 *  they know; a newer file is refused, never touched. */

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema/schema.h"
#include "tests/harness/harness.h"

static char *dir;
static char *path;

static void setup(void)
{
	dir = harness_tmpdir("schema");
	ck_assert_ptr_nonnull(dir);
	path = harness_strdupf("%s/mecdns.db", dir);
}

static void teardown(void)
{
	harness_rmtree(dir);
	free(dir);
	free(path);
}

/*! \brief Creates the database from an SQL file of tests/data/. */
static void load_fixture(const char *name)
{
	char *rel = harness_strdupf("tests/data/%s", name);
	char *file = harness_src_path(rel);
	char *sql = harness_read_file(file);
	ck_assert_msg(sql != NULL, "cannot read %s", file);
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	int ret = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(ret == SQLITE_OK, "loading %s: %s", name, msg);
	sqlite3_close(db);
	free(sql);
	free(file);
	free(rel);
}

static long long query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	long long value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return value;
}

static void set_user_version(int version)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *pragma = harness_strdupf("PRAGMA user_version = %d", version);
	ck_assert_int_eq(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
	free(pragma);
	sqlite3_close(db);
}

START_TEST(test_new_file_is_created_at_current_version_in_wal_mode)
{
	sqlite3 *db = NULL;
	char err[512] = "";
	ck_assert_int_eq(mecdns_db_open(path, MECDNS_DB_WRITER, &db, err, sizeof(err)), SQLITE_OK);
	int version = 0;
	ck_assert_int_eq(mecdns_db_version(db, &version), SQLITE_OK);
	ck_assert_int_eq(version, MECDNS_SCHEMA_VERSION);
	sqlite3_stmt *stmt = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	ck_assert_int_eq(query_int(db, "SELECT generation FROM state WHERE id = 1"), 0);
	sqlite3_close(db);

	/* The group (knotd's user) may read the file and share the WAL index. */
	char *shm = harness_strdupf("%s-shm", path);
	struct stat st;
	ck_assert_int_eq(stat(shm, &st), 0);
	ck_assert_msg((st.st_mode & S_IWGRP) != 0, "-shm is not group-writable (mode %o)",
	              st.st_mode & 07777);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_msg((st.st_mode & S_IRGRP) != 0, "database is not group-readable");
	ck_assert_msg((st.st_mode & S_IWGRP) == 0, "database is group-writable (mode %o)",
	              st.st_mode & 07777);
	ck_assert_msg((st.st_mode & S_IWOTH) == 0, "database is world-writable");
	char *wal = harness_strdupf("%s-wal", path);
	ck_assert_int_eq(stat(wal, &st), 0);
	ck_assert_msg((st.st_mode & (S_IRGRP | S_IWGRP)) == S_IRGRP,
	              "-wal is not group read-only (mode %o)", st.st_mode & 07777);
	free(wal);
	free(shm);
}
END_TEST

START_TEST(test_version_1_file_migrates_forward_with_its_data)
{
	load_fixture("schema-v1.sql");
	sqlite3 *db = NULL;
	char err[512] = "";
	ck_assert_msg(mecdns_db_open(path, MECDNS_DB_WRITER, &db, err, sizeof(err)) == SQLITE_OK,
	              "migration failed: %s", err);
	int version = 0;
	ck_assert_int_eq(mecdns_db_version(db, &version), SQLITE_OK);
	ck_assert_int_eq(version, MECDNS_SCHEMA_VERSION);
	/* Nothing of version 1 is lost. */
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rules WHERE owner = "
	                               "'www.example.com.' AND state = 'ACTIVE'"),
	                 1);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rdata WHERE owner = "
	                               "'edge.example.com.'"),
	                 1);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM changes"), 2);
	ck_assert_int_eq(query_int(db, "SELECT generation FROM state WHERE id = 1"), 2);
	/* Version 2's tables exist and are empty. */
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM zone_sync_owned"), 0);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM zone_sync_state"), 0);
	/* Version 3: every app owns the names its rules had (they keep working
	 * for the app's own token), exact names only. */
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM name_grants"), 1);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM name_grants WHERE app_instance_id = "
	                               "'app1' AND name = 'www.example.com.' AND subtree = 0 "
	                               "AND source = 'migration' AND created_ms > 0"),
	                 1);
	/* Version 4: the name-grants file's grants have a source of their own. */
	ck_assert_int_eq(sqlite3_exec(db,
	                              "INSERT INTO name_grants VALUES ('app9', 'cfg.example.', 1, "
	                              "0, 'config', 1)",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db,
	                              "INSERT INTO name_grants VALUES ('app9', 'x.example.', 1, "
	                              "0, 'elsewhere', 1)",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
	                               "AND name = 'name_grants_by_name'"),
	                 1);
	/* Version 5: existing rules stay unscoped. Version 6: the change rows
	 * are kept, without a scope. */
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rules WHERE client_subnets IS NULL"),
	                 1);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM changes WHERE client_subnets IS NULL"),
	                 2);
	/* Version 8: the record set and its rdata are kept, unscoped; the
	 * scope is part of the key, so the same name and type take a scoped
	 * set beside it, and rdata still cascade with their set. */
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rrsets WHERE owner = "
	                               "'edge.example.com.' AND client_subnets = ''"),
	                 1);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rdata WHERE owner = "
	                               "'edge.example.com.' AND client_subnets = ''"),
	                 1);
	ck_assert_int_eq(sqlite3_exec(db,
	                              "INSERT INTO rrsets (zone, owner, type, ttl, generation, "
	                              "updated_ms, client_subnets) SELECT zone, owner, type, ttl, "
	                              "generation, updated_ms, '10.45.0.0/16' FROM rrsets WHERE "
	                              "owner = 'edge.example.com.';"
	                              "INSERT INTO rdata (zone, owner, type, pos, text, wire, "
	                              "client_subnets) SELECT zone, owner, type, pos, text, wire, "
	                              "'10.45.0.0/16' FROM rdata WHERE owner = 'edge.example.com.'",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rdata WHERE owner = "
	                               "'edge.example.com.'"),
	                 2);
	ck_assert_int_ne(
	    sqlite3_exec(db,
	                 "INSERT INTO rrsets (zone, owner, type, ttl, generation, "
	                 "updated_ms, client_subnets) VALUES ('.', 'x.example.', 1, 1, "
	                 "1, 1, 'short')",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	                              "PRAGMA foreign_keys = ON; DELETE FROM rrsets WHERE owner = "
	                              "'edge.example.com.' AND client_subnets = '10.45.0.0/16'",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rdata WHERE owner = "
	                               "'edge.example.com.'"),
	                 1);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
	                               "AND name = 'rrsets_by_owner'"),
	                 1);
	/* Version 10: existing rules report nothing; report is 0 or 1. */
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rules WHERE report = 0"), 1);
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE rules SET report = 2", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);

	/* Opening again is a no-op, and a reader now accepts the file. */
	ck_assert_int_eq(mecdns_db_open(path, MECDNS_DB_WRITER, &db, err, sizeof(err)), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(mecdns_db_open(path, MECDNS_DB_READER, &db, err, sizeof(err)), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM rules"), 1);
	sqlite3_close(db);
}
END_TEST

/*! Version 3 keeps what two apps already shared working: both get the
 *  name, shared; a name of one app stays that app's alone. */
START_TEST(test_names_several_apps_had_are_migrated_as_shared_grants)
{
	load_fixture("schema-v1.sql");
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	                              "INSERT INTO rules VALUES ('app2', 'r1', 'www.example.com', "
	                              "'www.example.com.', 'IP_V4', '192.0.2.2', 30, 'ACTIVE', 1, "
	                              "1700000000000, 1700000000000, 1);"
	                              "INSERT INTO rules VALUES ('app2', 'r2', 'own.example.com', "
	                              "'own.example.com.', 'IP_V4', '192.0.2.3', 30, 'ACTIVE', 1, "
	                              "1700000000000, 1700000000000, 1);",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	char err[512] = "";
	ck_assert_msg(mecdns_db_open(path, MECDNS_DB_WRITER, &db, err, sizeof(err)) == SQLITE_OK,
	              "migration failed: %s", err);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM name_grants"), 3);
	ck_assert_int_eq(query_int(db, "SELECT count(*) FROM name_grants WHERE name = "
	                               "'www.example.com.' AND shared = 1"),
	                 2);
	ck_assert_int_eq(query_int(db, "SELECT shared FROM name_grants WHERE name = "
	                               "'own.example.com.'"),
	                 0);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_reader_refuses_an_older_version_without_migrating_it)
{
	load_fixture("schema-v1.sql");
	sqlite3 *db = NULL;
	char err[512] = "";
	ck_assert_int_eq(mecdns_db_open(path, MECDNS_DB_READER, &db, err, sizeof(err)),
	                 SQLITE_MISMATCH);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err, "schema version 1") != NULL, "message: %s", err);
	/* The reader changed nothing. */
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "PRAGMA user_version"), 1);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_newer_unknown_version_is_refused_by_writer_and_reader)
{
	load_fixture("schema-v1.sql");
	set_user_version(MECDNS_SCHEMA_VERSION + 1);
	sqlite3 *db = NULL;
	char err[512] = "";
	ck_assert_int_eq(mecdns_db_open(path, MECDNS_DB_WRITER, &db, err, sizeof(err)),
	                 SQLITE_MISMATCH);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err, "newer") != NULL && strstr(err, path) != NULL, "message: %s",
	              err);
	ck_assert_int_eq(mecdns_db_open(path, MECDNS_DB_READER, &db, err, sizeof(err)),
	                 SQLITE_MISMATCH);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(query_int(db, "PRAGMA user_version"), MECDNS_SCHEMA_VERSION + 1);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_reader_refuses_an_empty_file_and_a_non_database)
{
	sqlite3 *db = NULL;
	char err[512] = "";
	ck_assert_int_eq(harness_write_file(path, ""), 0);
	ck_assert_int_eq(mecdns_db_open(path, MECDNS_DB_READER, &db, err, sizeof(err)),
	                 SQLITE_MISMATCH);
	ck_assert_msg(strstr(err, "not a mecdns database") != NULL, "message: %s", err);
	ck_assert_int_eq(harness_write_file(path, "this is not an SQLite database at all, "
	                                          "but long enough to have a header........"),
	                 0);
	ck_assert_int_ne(mecdns_db_open(path, MECDNS_DB_READER, &db, err, sizeof(err)), SQLITE_OK);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err, path) != NULL, "message names the path: %s", err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("versions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_new_file_is_created_at_current_version_in_wal_mode);
	tcase_add_test(tc, test_version_1_file_migrates_forward_with_its_data);
	tcase_add_test(tc, test_names_several_apps_had_are_migrated_as_shared_grants);
	tcase_add_test(tc, test_reader_refuses_an_older_version_without_migrating_it);
	tcase_add_test(tc, test_newer_unknown_version_is_refused_by_writer_and_reader);
	tcase_add_test(tc, test_reader_refuses_an_empty_file_and_a_non_database);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
