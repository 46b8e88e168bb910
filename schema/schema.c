/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns: the SQLite schema, its forward migrations and how files are opened.
 *
 *  The list of migrations is the history of the schema: migration N takes a
 *  file from user_version N-1 to N. Never edit a migration that has been
 *  released; append a new one and raise MECDNS_SCHEMA_VERSION.
 */

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/clock.h"
#include "schema/schema.h"

/*! Version 1: rules, rrsets with their rdata, the change log and the state row. */
static const char MIGRATION_1[] =
    "CREATE TABLE rules (\n"
    "	app_instance_id TEXT NOT NULL CHECK (length(app_instance_id) BETWEEN 1 AND 256),\n"
    "	dns_rule_id     TEXT NOT NULL CHECK (length(dns_rule_id) BETWEEN 1 AND 256),\n"
    "	domain_name     TEXT NOT NULL,\n"
    "	owner           TEXT NOT NULL CHECK (owner = lower(owner) AND owner LIKE '%.'),\n"
    "	ip_address_type TEXT NOT NULL CHECK (ip_address_type IN ('IP_V4', 'IP_V6')),\n"
    "	ip_address      TEXT NOT NULL,\n"
    "	ttl             INTEGER CHECK (ttl IS NULL OR ttl BETWEEN 0 AND 2147483647),\n"
    "	state           TEXT NOT NULL CHECK (state IN ('ACTIVE', 'INACTIVE')),\n"
    "	version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),\n"
    "	created_ms      INTEGER NOT NULL,\n"
    "	updated_ms      INTEGER NOT NULL,\n"
    "	generation      INTEGER NOT NULL,\n"
    "	PRIMARY KEY (app_instance_id, dns_rule_id)\n"
    ");\n"
    "CREATE INDEX rules_by_owner ON rules (owner);\n"
    "CREATE TABLE rrsets (\n"
    "	zone       TEXT NOT NULL CHECK (zone = lower(zone) AND zone LIKE '%.'),\n"
    "	owner      TEXT NOT NULL CHECK (owner = lower(owner) AND owner LIKE '%.'),\n"
    "	type       INTEGER NOT NULL CHECK (type BETWEEN 1 AND 65535),\n"
    "	ttl        INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647),\n"
    "	generation INTEGER NOT NULL,\n"
    "	updated_ms INTEGER NOT NULL,\n"
    "	PRIMARY KEY (zone, owner, type)\n"
    ");\n"
    "CREATE INDEX rrsets_by_owner ON rrsets (owner);\n"
    "CREATE TABLE rdata (\n"
    "	zone  TEXT NOT NULL,\n"
    "	owner TEXT NOT NULL,\n"
    "	type  INTEGER NOT NULL,\n"
    "	pos   INTEGER NOT NULL CHECK (pos >= 0),\n"
    "	text  TEXT NOT NULL,\n"
    "	wire  BLOB NOT NULL CHECK (length(wire) <= 65535),\n"
    "	PRIMARY KEY (zone, owner, type, pos),\n"
    "	FOREIGN KEY (zone, owner, type) REFERENCES rrsets (zone, owner, type)\n"
    "		ON DELETE CASCADE ON UPDATE CASCADE\n"
    ");\n"
    "CREATE TABLE changes (\n"
    "	seq             INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "	generation      INTEGER NOT NULL,\n"
    "	committed_ms    INTEGER NOT NULL,\n"
    "	kind            TEXT NOT NULL CHECK (kind IN ('rule', 'rrset')),\n"
    "	owner           TEXT NOT NULL,\n"
    "	prev_owner      TEXT,\n"
    "	app_instance_id TEXT,\n"
    "	dns_rule_id     TEXT,\n"
    "	domain_name     TEXT,\n"
    "	state           TEXT CHECK (state IS NULL OR state IN ('ACTIVE', 'INACTIVE', 'DELETED')),\n"
    "	zone            TEXT,\n"
    "	rrtype          TEXT,\n"
    "	rdata_count     INTEGER\n"
    ");\n"
    "CREATE INDEX changes_by_generation ON changes (generation);\n"
    "CREATE TABLE state (\n"
    "	id             INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "	generation     INTEGER NOT NULL CHECK (generation >= 0),\n"
    "	pruned_through INTEGER NOT NULL CHECK (pruned_through >= 0),\n"
    "	signalled_seq  INTEGER NOT NULL CHECK (signalled_seq >= 0),\n"
    "	instance       TEXT NOT NULL\n"
    ");\n"
    "INSERT INTO state (id, generation, pruned_through, signalled_seq, instance)\n"
    "	VALUES (1, 0, 0, 0, lower(hex(randomblob(16))));\n";

/*! Version 2: zone sync bookkeeping (what syncd wrote into which Knot zone,
 *  and up to which generation each zone is synced). */
static const char MIGRATION_2[] =
    "CREATE TABLE zone_sync_owned (\n"
    "	zone       TEXT NOT NULL CHECK (zone = lower(zone) AND zone LIKE '%.'),\n"
    "	owner      TEXT NOT NULL CHECK (owner = lower(owner) AND owner LIKE '%.'),\n"
    "	type       INTEGER NOT NULL CHECK (type BETWEEN 1 AND 65535),\n"
    "	ttl        INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647),\n"
    "	rdata_text TEXT NOT NULL,\n"
    "	rdata_wire BLOB NOT NULL CHECK (length(rdata_wire) <= 65535),\n"
    "	PRIMARY KEY (zone, owner, type, rdata_wire)\n"
    ");\n"
    "CREATE TABLE zone_sync_state (\n"
    "	zone              TEXT PRIMARY KEY CHECK (zone = lower(zone) AND zone LIKE '%.'),\n"
    "	synced_generation INTEGER NOT NULL CHECK (synced_generation >= 0),\n"
    "	serial            INTEGER NOT NULL CHECK (serial BETWEEN 0 AND 4294967295),\n"
    "	updated_ms        INTEGER NOT NULL\n"
    ");\n";

/* Name ownership: which application instance may use which names. A grant
 * covers the name, and with subtree = 1 every name below it; shared = 1
 * lets other apps be given the name too. Existing databases keep working:
 * every app gets the names its rules have, shared where several apps'
 * rules already share one. */
static const char MIGRATION_3[] =
    "CREATE TABLE name_grants (\n"
    "	app_instance_id TEXT NOT NULL CHECK (length(app_instance_id) BETWEEN 1 AND 256),\n"
    "	name       TEXT NOT NULL CHECK (name = lower(name) AND name LIKE '%.'),\n"
    "	subtree    INTEGER NOT NULL DEFAULT 0 CHECK (subtree IN (0, 1)),\n"
    "	shared     INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),\n"
    "	source     TEXT NOT NULL CHECK (source IN ('rule', 'mm5', 'migration')),\n"
    "	created_ms INTEGER NOT NULL,\n"
    "	PRIMARY KEY (app_instance_id, name)\n"
    ");\n"
    "CREATE INDEX name_grants_by_name ON name_grants (name);\n"
    "INSERT OR IGNORE INTO name_grants\n"
    "	(app_instance_id, name, subtree, shared, source, created_ms)\n"
    "	SELECT app_instance_id, owner, 0,\n"
    "	       (SELECT count(DISTINCT r2.app_instance_id) FROM rules r2\n"
    "	        WHERE r2.owner = rules.owner) > 1,\n"
    "	       'migration', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)\n"
    "	FROM rules;\n";

/* Grants from syncd's name-grants file (source 'config'): the table is
 * rebuilt with the wider CHECK, every grant kept. */
static const char MIGRATION_4[] =
    "CREATE TABLE name_grants_4 (\n"
    "	app_instance_id TEXT NOT NULL CHECK (length(app_instance_id) BETWEEN 1 AND 256),\n"
    "	name       TEXT NOT NULL CHECK (name = lower(name) AND name LIKE '%.'),\n"
    "	subtree    INTEGER NOT NULL DEFAULT 0 CHECK (subtree IN (0, 1)),\n"
    "	shared     INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),\n"
    "	source     TEXT NOT NULL CHECK (source IN ('rule', 'mm5', 'migration', 'config')),\n"
    "	created_ms INTEGER NOT NULL,\n"
    "	PRIMARY KEY (app_instance_id, name)\n"
    ");\n"
    "INSERT INTO name_grants_4\n"
    "	(app_instance_id, name, subtree, shared, source, created_ms)\n"
    "	SELECT app_instance_id, name, subtree, shared, source, created_ms FROM name_grants;\n"
    "DROP TABLE name_grants;\n"
    "ALTER TABLE name_grants_4 RENAME TO name_grants;\n"
    "CREATE INDEX name_grants_by_name ON name_grants (name);\n";

/* Client-subnet scopes (issue 13): a rule answers only clients inside one
 * of its subnets (common/subnet.h, canonical list text); NULL, as for
 * every existing rule, answers every client. */
static const char MIGRATION_5[] =
    "ALTER TABLE rules ADD COLUMN client_subnets TEXT\n"
    "	CHECK (client_subnets IS NULL OR length(client_subnets) BETWEEN 9 AND 2048);\n";

/* The scope of a rule change travels with its change row, so the D-Bus
 * rule_changed signal can carry it (also for a deleted rule); NULL for
 * an unscoped rule, for rrset rows and for every row written before. */
static const char MIGRATION_6[] = "ALTER TABLE changes ADD COLUMN client_subnets TEXT;\n";

/* More outboxes than D-Bus (the MQTT channel, issue 15): each keeps its
 * cursor here, and the change log is pruned only past every cursor. */
static const char MIGRATION_7[] =
    "CREATE TABLE outbox_cursors (\n"
    "	channel TEXT PRIMARY KEY NOT NULL CHECK (length(channel) BETWEEN 1 AND 64),\n"
    "	seq     INTEGER NOT NULL CHECK (seq >= 0)\n"
    ") WITHOUT ROWID;\n";

/* Client-subnet scopes on rrecord sets (issue 13): the scope (canonical
 * subnet list, common/subnet.h; '' for every client) becomes part of a
 * set's key, so one name and type can hold a set per scope. Both tables
 * are rebuilt with the wider keys (SQLite cannot change a primary key);
 * every existing set becomes unscoped. The column comes last, so reads
 * and writes that name their columns are unchanged. */
static const char MIGRATION_8[] =
    "CREATE TABLE rrsets_8 (\n"
    "	zone       TEXT NOT NULL CHECK (zone = lower(zone) AND zone LIKE '%.'),\n"
    "	owner      TEXT NOT NULL CHECK (owner = lower(owner) AND owner LIKE '%.'),\n"
    "	type       INTEGER NOT NULL CHECK (type BETWEEN 1 AND 65535),\n"
    "	ttl        INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647),\n"
    "	generation INTEGER NOT NULL,\n"
    "	updated_ms INTEGER NOT NULL,\n"
    "	client_subnets TEXT NOT NULL DEFAULT ''\n"
    "		CHECK (client_subnets = '' OR length(client_subnets) BETWEEN 9 AND 2048),\n"
    "	PRIMARY KEY (zone, owner, type, client_subnets)\n"
    ");\n"
    "INSERT INTO rrsets_8 (zone, owner, type, ttl, generation, updated_ms, client_subnets)\n"
    "	SELECT zone, owner, type, ttl, generation, updated_ms, '' FROM rrsets;\n"
    "CREATE TABLE rdata_8 (\n"
    "	zone  TEXT NOT NULL,\n"
    "	owner TEXT NOT NULL,\n"
    "	type  INTEGER NOT NULL,\n"
    "	pos   INTEGER NOT NULL CHECK (pos >= 0),\n"
    "	text  TEXT NOT NULL,\n"
    "	wire  BLOB NOT NULL CHECK (length(wire) <= 65535),\n"
    "	client_subnets TEXT NOT NULL DEFAULT '',\n"
    "	PRIMARY KEY (zone, owner, type, client_subnets, pos),\n"
    "	FOREIGN KEY (zone, owner, type, client_subnets)\n"
    "		REFERENCES rrsets_8 (zone, owner, type, client_subnets)\n"
    "		ON DELETE CASCADE ON UPDATE CASCADE\n"
    ");\n"
    "INSERT INTO rdata_8 (zone, owner, type, pos, text, wire, client_subnets)\n"
    "	SELECT zone, owner, type, pos, text, wire, '' FROM rdata;\n"
    "DROP TABLE rdata;\n"
    "DROP TABLE rrsets;\n"
    "ALTER TABLE rrsets_8 RENAME TO rrsets;\n"
    "ALTER TABLE rdata_8 RENAME TO rdata;\n"
    "CREATE INDEX rrsets_by_owner ON rrsets (owner);\n";

/* DNS contexts after 3GPP TS 29.556 (issue 13): the document the SMF
 * created or last put, as JSON; its rules are ordinary rules of the app
 * instance "easdf:<id>", written in the same transaction. */
static const char MIGRATION_9[] =
    "CREATE TABLE dns_contexts (\n"
    "	id         TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),\n"
    "	body       TEXT NOT NULL CHECK (json_valid(body)),\n"
    "	created_ms INTEGER NOT NULL,\n"
    "	updated_ms INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n";

/* REPORT of DNS contexts (issue 13): a rule whose answers mod-mecdns
 * reports to mecdns-syncd (the context's REPORT action, TS 29.556). */
static const char MIGRATION_10[] = "ALTER TABLE rules ADD COLUMN report INTEGER NOT NULL DEFAULT 0 "
                                   "CHECK (report IN (0, 1));\n";

/*! Migration N (1-based) is MIGRATIONS[N - 1]. */
static const char *const MIGRATIONS[] = {
	MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4, MIGRATION_5,
	MIGRATION_6, MIGRATION_7, MIGRATION_8, MIGRATION_9, MIGRATION_10,
};

_Static_assert(sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]) == MECDNS_SCHEMA_VERSION,
               "every schema version needs exactly one migration");

int64_t mecdns_now_ms(void)
{
	return (int64_t)mecdns_realtime_ms();
}

static void set_err(char *err, size_t err_len, const char *fmt, const char *a, const char *b)
{
	if (err != NULL && err_len > 0) {
		snprintf(err, err_len, fmt, a, b);
	}
}

int mecdns_db_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *stmt = NULL;
	int ret = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL);
	if (ret != SQLITE_OK) {
		return ret;
	}
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_ROW) {
		*version = sqlite3_column_int(stmt, 0);
		ret = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return ret;
}

/*! \brief Runs one migration and sets user_version, all in one transaction. */
static int apply_migration(sqlite3 *db, int to_version, char *err, size_t err_len)
{
	char *msg = NULL;
	int ret = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
	if (ret == SQLITE_OK) {
		ret = sqlite3_exec(db, MIGRATIONS[to_version - 1], NULL, NULL, &msg);
	}
	if (ret == SQLITE_OK) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", to_version);
		ret = sqlite3_exec(db, pragma, NULL, NULL, &msg);
	}
	if (ret == SQLITE_OK) {
		ret = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
	}
	if (ret != SQLITE_OK) {
		char ver[16];
		snprintf(ver, sizeof(ver), "%d", to_version);
		set_err(err, err_len, "migration to schema version %s failed: %s", ver,
		        msg != NULL ? msg : sqlite3_errstr(ret));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_free(msg);
	return ret;
}

int mecdns_db_migrate(sqlite3 *db, char *err, size_t err_len)
{
	int version = 0;
	int ret = mecdns_db_version(db, &version);
	if (ret != SQLITE_OK) {
		set_err(err, err_len, "cannot read schema version: %s%s", sqlite3_errmsg(db), "");
		return ret;
	}
	if (version > MECDNS_SCHEMA_VERSION || version < 0) {
		char ver[16];
		snprintf(ver, sizeof(ver), "%d", version);
		set_err(err, err_len, "schema version %s is newer than this build knows%s", ver,
		        " (upgrade mecdns)");
		return SQLITE_MISMATCH;
	}
	for (int next = version + 1; next <= MECDNS_SCHEMA_VERSION; next++) {
		ret = apply_migration(db, next, err, err_len);
		if (ret != SQLITE_OK) {
			return ret;
		}
	}
	return SQLITE_OK;
}

/*! \brief Settings of the single writer: durable commits, WAL kept on close. */
static int configure_writer(sqlite3 *db)
{
	char *msg = NULL;
	int ret = sqlite3_exec(db,
	                       "PRAGMA journal_mode = WAL;"
	                       "PRAGMA synchronous = FULL;"
	                       "PRAGMA foreign_keys = ON;",
	                       NULL, NULL, &msg);
	sqlite3_free(msg);
	if (ret != SQLITE_OK) {
		return ret;
	}
	/* Keep -wal and -shm when the writer closes, so that a read-only reader
	 * (knotd as user knot) can always open the WAL database. */
	int persist = 1;
	sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	return SQLITE_OK;
}

/*!
 * \brief Lets the database's group read the file and share the WAL index.
 *
 * knotd (user knot) opens the database read-only through a common group:
 * the database and -wal are group read-only, -shm (the WAL index, which a
 * WAL reader writes its read locks into) group read-write. SQLite creates
 * -wal and -shm with the database's mode, so the group bits are set here
 * (never "other" bits; DESIGN.md "Files", docs/install.md).
 */
static void share_with_group(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char file[4096];
		if (snprintf(file, sizeof(file), "%s%s", path, suffixes[i]) >= (int)sizeof(file)) {
			return;
		}
		struct stat st;
		if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
			continue;
		}
		bool shm = strcmp(suffixes[i], "-shm") == 0;
		mode_t want = shm ? st.st_mode | S_IRGRP | S_IWGRP
		                  : (st.st_mode | S_IRGRP) & ~(mode_t)S_IWGRP;
		if ((st.st_mode & 07777) != (want & 07777)) {
			(void)chmod(file, want & 07777);
		}
	}
}

/*! \brief A reader accepts exactly the schema version it was built for. */
static int check_reader_version(sqlite3 *db, const char *path, char *err, size_t err_len)
{
	int version = 0;
	int ret = mecdns_db_version(db, &version);
	if (ret != SQLITE_OK) {
		set_err(err, err_len, "%s: cannot read schema version: %s", path,
		        sqlite3_errmsg(db));
		return ret;
	}
	if (version == 0) {
		set_err(err, err_len, "%s: %s", path,
		        "not a mecdns database yet (schema version 0; start mecdns-syncd or run "
		        "mecdns-db init)");
		return SQLITE_MISMATCH;
	}
	if (version != MECDNS_SCHEMA_VERSION) {
		char msg[128];
		snprintf(msg, sizeof(msg), "schema version %d, this build knows %d", version,
		         MECDNS_SCHEMA_VERSION);
		set_err(err, err_len, "%s: %s", path, msg);
		return SQLITE_MISMATCH;
	}
	return SQLITE_OK;
}

int mecdns_db_open(const char *path, mecdns_db_mode_t mode, sqlite3 **out, char *err,
                   size_t err_len)
{
	*out = NULL;
	if (path == NULL || *path == '\0') {
		set_err(err, err_len, "%s%s", "no database path given", "");
		return SQLITE_MISUSE;
	}

	int flags = SQLITE_OPEN_NOMUTEX;
	flags |= (mode == MECDNS_DB_WRITER) ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
	                                    : SQLITE_OPEN_READONLY;
	sqlite3 *db = NULL;
	int ret = sqlite3_open_v2(path, &db, flags, NULL);
	if (ret != SQLITE_OK) {
		/* SQLite says only "unable to open database file": add the
		 * system's cause (missing directory, permission, ...). */
		char cause[256];
		int sys = db != NULL ? sqlite3_system_errno(db) : 0;
		snprintf(cause, sizeof(cause), "%s%s%s%s",
		         db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(ret),
		         sys != 0 ? " (" : "", sys != 0 ? strerror(sys) : "", sys != 0 ? ")" : "");
		set_err(err, err_len, "%s: cannot open database: %s", path, cause);
		sqlite3_close(db);
		return ret;
	}
	sqlite3_extended_result_codes(db, 0);
	sqlite3_busy_timeout(db, mode == MECDNS_DB_WRITER ? 5000 : 1000);

	if (mode == MECDNS_DB_WRITER) {
		ret = configure_writer(db);
		if (ret != SQLITE_OK) {
			set_err(err, err_len, "%s: cannot configure database: %s", path,
			        sqlite3_errmsg(db));
			sqlite3_close(db);
			return ret;
		}
		char merr[256] = "";
		ret = mecdns_db_migrate(db, merr, sizeof(merr));
		if (ret != SQLITE_OK) {
			set_err(err, err_len, "%s: %s", path, merr);
			sqlite3_close(db);
			return ret;
		}
		/* The migration's transaction created -wal and -shm. */
		share_with_group(path);
	} else {
		ret = check_reader_version(db, path, err, err_len);
		if (ret != SQLITE_OK) {
			sqlite3_close(db);
			return ret;
		}
	}

	*out = db;
	return SQLITE_OK;
}
