/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: the last error, connections and their cached statements,
 *  read transactions (see internal.h). */

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/internal.h"

/*** Last error of the calling thread. ***/

_Thread_local char store_last_error[512];

const char *mecdns_store_last_error(void)
{
	return store_last_error;
}

void store_set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(store_last_error, sizeof(store_last_error), fmt, ap);
	va_end(ap);
}

mecdns_store_status_t store_fail(mecdns_store_status_t status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(store_last_error, sizeof(store_last_error), fmt, ap);
	va_end(ap);
	return status;
}

const char *mecdns_store_strerror(mecdns_store_status_t status)
{
	/* clang-format off */
	switch (status) {
	case MECDNS_STORE_OK:        return "ok";
	case MECDNS_STORE_NOT_FOUND: return "not found";
	case MECDNS_STORE_EXISTS:    return "already exists";
	case MECDNS_STORE_CONFLICT:  return "conflict";
	case MECDNS_STORE_STALE:     return "stale version";
	case MECDNS_STORE_INVALID:   return "invalid value";
	case MECDNS_STORE_BUSY:      return "busy";
	case MECDNS_STORE_FULL:      return "disk full";
	case MECDNS_STORE_READONLY:  return "read-only";
	case MECDNS_STORE_CORRUPT:   return "corrupt database";
	case MECDNS_STORE_ERROR:     return "error";
	case MECDNS_STORE_FORBIDDEN: return "name not granted";
	}
	/* clang-format on */
	return "unknown status";
}

/*! \brief Maps an SQLite result code to a store status. */
static mecdns_store_status_t status_from_sqlite(int rc, int extended, bool writing)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return MECDNS_STORE_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return MECDNS_STORE_BUSY;
	case SQLITE_FULL:
		return MECDNS_STORE_FULL;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return MECDNS_STORE_READONLY;
	case SQLITE_CANTOPEN:
		return writing ? MECDNS_STORE_READONLY : MECDNS_STORE_ERROR;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return MECDNS_STORE_CORRUPT;
	case SQLITE_CONSTRAINT:
		if (extended == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    extended == SQLITE_CONSTRAINT_UNIQUE) {
			return MECDNS_STORE_EXISTS;
		}
		if (extended == SQLITE_CONSTRAINT_CHECK || extended == SQLITE_CONSTRAINT_NOTNULL) {
			return MECDNS_STORE_INVALID;
		}
		return MECDNS_STORE_ERROR;
	default:
		return MECDNS_STORE_ERROR;
	}
}

/*** Connections and their cached statements. ***/

/*! Columns of a rule, in the order rule_from_row() reads them. */
#define RULE_COLUMNS                                                                               \
	"app_instance_id, dns_rule_id, domain_name, owner, ip_address_type, ip_address, ttl, "     \
	"state, version, created_ms, updated_ms, generation, client_subnets"

/*! A set's key bound as ?1..?4 (zone, owner, type, scope; '' unscoped). */
#define RRSET_KEY "zone = ?1 AND owner = ?2 AND type = ?3 AND client_subnets = ?4"

/*! The rdata rows d of the set s. */
#define RDATA_OF_SET                                                                               \
	"d.zone = s.zone AND d.owner = s.owner AND d.type = s.type AND "                           \
	"d.client_subnets = s.client_subnets"

/*! An rrset joined with its rdata rows, in the order rrsets_from_rows() reads. */
#define RRSET_SELECT                                                                               \
	"SELECT s.zone, s.owner, s.type, s.ttl, s.generation, d.text, d.wire, s.client_subnets "   \
	"FROM rrsets s LEFT JOIN rdata d ON " RDATA_OF_SET " "

#define RRSET_PAGE_SELECT                                                                          \
	"SELECT s.zone, s.owner, s.type, s.ttl, s.generation, d.text, d.wire, s.client_subnets "   \
	"FROM (SELECT zone, owner, type, ttl, generation, client_subnets FROM rrsets "
#define RRSET_PAGE_JOIN                                                                            \
	") s LEFT JOIN rdata d ON " RDATA_OF_SET " "                                               \
	"ORDER BY s.zone, s.owner, s.type, s.client_subnets, d.pos"

/* clang-format off */
static const char *const STATEMENTS[ST_COUNT] = {
	[ST_BEGIN_READ] = "BEGIN",
	[ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT write",
	[ST_RELEASE] = "RELEASE write",
	[ST_ROLLBACK_TO] = "ROLLBACK TO write",
	[ST_STATE_GET] =
		"SELECT generation, pruned_through, signalled_seq FROM state WHERE id = 1",
	[ST_STATE_SET_GENERATION] = "UPDATE state SET generation = ?1 WHERE id = 1",
	[ST_CHANGE_INSERT] =
		"INSERT INTO changes (generation, committed_ms, kind, owner, prev_owner, "
		"app_instance_id, dns_rule_id, domain_name, state, zone, rrtype, rdata_count, "
		"client_subnets) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
		/* A rule's scope as written (a deleted rule's is bound). */
		"coalesce(?13, (SELECT client_subnets FROM rules "
		"WHERE ?3 = 'rule' AND app_instance_id = ?6 AND dns_rule_id = ?7)))",
	[ST_CHANGES_AFTER] =
		"SELECT seq, generation, committed_ms, kind, owner, prev_owner, app_instance_id, "
		"dns_rule_id, domain_name, state, zone, rrtype, rdata_count, client_subnets "
		"FROM changes "
		"WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	/* Never back, never past the last sequence number handed out. */
	[ST_SET_SIGNALLED] =
		"UPDATE state SET signalled_seq = max(signalled_seq, min(?1, coalesce("
		"(SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0))) WHERE id = 1",
	/* Another outbox's cursor: a new one starts at the last change. */
	[ST_CURSOR_OPEN] =
		"INSERT OR IGNORE INTO outbox_cursors (channel, seq) VALUES (?1, coalesce("
		"(SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0))",
	[ST_CURSOR_GET] = "SELECT seq FROM outbox_cursors WHERE channel = ?1",
	[ST_CURSOR_SET] =
		"UPDATE outbox_cursors SET seq = max(seq, min(?2, coalesce("
		"(SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0))) WHERE channel = ?1",
	[ST_CURSOR_DROP] = "DELETE FROM outbox_cursors WHERE channel = ?1",
	/* Past the D-Bus cursor and every other outbox's. */
	[ST_PRUNE] =
		"DELETE FROM changes WHERE seq <= min((SELECT signalled_seq FROM state WHERE id = 1), "
		"coalesce((SELECT min(seq) FROM outbox_cursors), 9223372036854775807)) "
		"AND committed_ms <= ?1",
	/* The highest generation with no change row left at or below it. */
	[ST_PRUNED_THROUGH] =
		"UPDATE state SET pruned_through = max(pruned_through, "
		"coalesce((SELECT min(generation) - 1 FROM changes), generation)) WHERE id = 1",
	/* CNAME records, other rrsets and ACTIVE rules at one owner, any zone. */
	[ST_OWNER_USE] =
		"SELECT (SELECT count(*) FROM rrsets s JOIN rdata d ON " RDATA_OF_SET " "
		"WHERE s.owner = ?1 AND s.type = 5), "
		"(SELECT count(*) FROM rrsets WHERE owner = ?1 AND type <> 5), "
		"(SELECT count(*) FROM rules WHERE owner = ?1 AND state = 'ACTIVE'), "
		"(SELECT count(*) FROM rrsets s JOIN rdata d ON " RDATA_OF_SET " "
		"WHERE s.owner = ?1 AND s.type = ?2), "
		"(SELECT coalesce(sum(length(d.wire)), 0) FROM rrsets s JOIN rdata d "
		"ON " RDATA_OF_SET " WHERE s.owner = ?1 AND s.type = ?2), "
		"(SELECT count(*) FROM rules WHERE owner = ?1 AND state = 'ACTIVE' AND "
		"ip_address_type = CASE ?2 WHEN 1 THEN 'IP_V4' WHEN 28 THEN 'IP_V6' END)",
	/* Every grant at one name (name_grants_by_name). */
	[ST_GRANT_AT] = "SELECT app_instance_id, subtree, shared, source FROM name_grants "
	                "WHERE name = ?1 ORDER BY app_instance_id",
	[ST_GRANT_ADD] = "INSERT OR IGNORE INTO name_grants "
	                 "(app_instance_id, name, subtree, shared, source, created_ms) "
	                 "VALUES (?1, ?2, 0, ?4, 'rule', ?3)",
	/* Another app's grant strictly below ?1 that a new grant of ?1's
	 * subtree to app ?2 would cover: any when the new one is not shared
	 * (?3 = 0), else those not shared. Not indexed: grants are rare. */
	[ST_GRANT_BELOW] = "SELECT app_instance_id, name FROM name_grants "
	                   "WHERE app_instance_id <> ?2 AND (shared = 0 OR ?3 = 0) AND name <> ?1 "
	                   "AND (?1 = '.' OR substr(name, -length(?1) - 1) = '.' || ?1) "
	                   "ORDER BY name, app_instance_id LIMIT 1",
	[ST_GRANT_SET] = "INSERT INTO name_grants "
	                 "(app_instance_id, name, subtree, shared, source, created_ms) "
	                 "VALUES (?1, ?2, ?3, ?5, ?6, ?4) ON CONFLICT (app_instance_id, name) "
	                 "DO UPDATE SET subtree = excluded.subtree, shared = excluded.shared, "
	                 "source = excluded.source",
	[ST_GRANT_DELETE] = "DELETE FROM name_grants WHERE app_instance_id = ?1 AND name = ?2",
	[ST_GRANT_DELETE_SOURCE] = "DELETE FROM name_grants WHERE source = ?1",
	[ST_GRANT_LIST] = "SELECT name, subtree, source, created_ms, shared FROM name_grants "
	                  "WHERE app_instance_id = ?1 ORDER BY name",
	[ST_RULE_GET] = "SELECT " RULE_COLUMNS " FROM rules "
	                "WHERE app_instance_id = ?1 AND dns_rule_id = ?2",
	[ST_RULE_LIST] = "SELECT " RULE_COLUMNS " FROM rules "
	                 "WHERE app_instance_id = ?1 ORDER BY dns_rule_id",
	[ST_RULE_INSERT] =
		"INSERT INTO rules (" RULE_COLUMNS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, ?10, ?11)",
	[ST_RULE_UPDATE] =
		"UPDATE rules SET domain_name = ?3, owner = ?4, ip_address_type = ?5, "
		"ip_address = ?6, ttl = ?7, state = ?8, version = version + 1, updated_ms = ?9, "
		"generation = ?10, client_subnets = CASE WHEN ?12 THEN client_subnets ELSE ?11 END "
		"WHERE app_instance_id = ?1 AND dns_rule_id = ?2",
	[ST_RULE_DELETE] = "DELETE FROM rules WHERE app_instance_id = ?1 AND dns_rule_id = ?2",
	[ST_RULE_LOG_DELETE_APP] =
		"INSERT INTO changes (generation, committed_ms, kind, owner, app_instance_id, "
		"dns_rule_id, domain_name, state, client_subnets) SELECT ?1, ?2, 'rule', owner, "
		"app_instance_id, dns_rule_id, domain_name, 'DELETED', client_subnets FROM rules "
		"WHERE app_instance_id = ?3 ORDER BY dns_rule_id",
	[ST_RULE_DELETE_APP] = "DELETE FROM rules WHERE app_instance_id = ?1",
	[ST_CONTEXT_GET] = "SELECT body FROM dns_contexts WHERE id = ?1",
	[ST_CONTEXT_PUT] = "INSERT INTO dns_contexts (id, body, created_ms, updated_ms) "
			   "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (id) DO UPDATE SET "
			   "body = excluded.body, updated_ms = excluded.updated_ms",
	[ST_CONTEXT_DELETE] = "DELETE FROM dns_contexts WHERE id = ?1",
	[ST_RULE_SET_REPORT] =
		"UPDATE rules SET report = 1 WHERE app_instance_id = ?1 AND dns_rule_id = ?2",
	/* The contexts whose answers at an owner are reported (their scopes). */
	[ST_CONTEXT_REPORTERS] =
		"SELECT DISTINCT app_instance_id, client_subnets FROM rules WHERE owner = ?1 "
		"AND report = 1 AND state = 'ACTIVE' AND client_subnets IS NOT NULL "
		"ORDER BY app_instance_id",
	[ST_RULE_COUNTS] =
		"SELECT coalesce(sum(state = 'ACTIVE'), 0), coalesce(sum(state = 'INACTIVE'), 0) "
		"FROM rules",
	[ST_COUNTS] =
		"SELECT coalesce(sum(state = 'ACTIVE'), 0), coalesce(sum(state = 'INACTIVE'), 0), "
		"(SELECT count(*) FROM rrsets) FROM rules",
	[ST_RRSET_UPSERT] =
		"INSERT INTO rrsets (zone, owner, type, client_subnets, ttl, generation, updated_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
		"ON CONFLICT (zone, owner, type, client_subnets) DO UPDATE SET "
		"ttl = excluded.ttl, generation = excluded.generation, "
		"updated_ms = excluded.updated_ms",
	[ST_RRSET_DELETE] = "DELETE FROM rrsets WHERE " RRSET_KEY,
	[ST_RDATA_CLEAR] = "DELETE FROM rdata WHERE " RRSET_KEY,
	[ST_RDATA_HAS] = "SELECT 1 FROM rdata WHERE " RRSET_KEY " AND wire = ?5 LIMIT 1",
	[ST_RDATA_TAIL] = "SELECT coalesce(max(pos) + 1, 0), count(*) FROM rdata WHERE " RRSET_KEY,
	[ST_RDATA_INSERT] = "INSERT INTO rdata (zone, owner, type, client_subnets, pos, text, wire) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_RRSET_GET] = RRSET_SELECT
		"WHERE s.zone = ?1 AND s.owner = ?2 AND s.type = ?3 AND s.client_subnets = ?4 "
		"ORDER BY d.pos",
	[ST_RRSET_LIST_ZONE] = RRSET_SELECT
		"WHERE s.zone = ?1 ORDER BY s.zone, s.owner, s.type, s.client_subnets, d.pos",
	[ST_RRSET_LIST_ALL] = RRSET_SELECT
		"ORDER BY s.zone, s.owner, s.type, s.client_subnets, d.pos",
	/* Keyset pages: the sets after (?2, ?3, ?4, ?6) in key order, at most
	 * ?5 of them, walked along the primary key (no sort, no scan). */
	[ST_RRSET_PAGE_ZONE] = RRSET_PAGE_SELECT
		"WHERE zone = ?1 AND (owner, type, client_subnets) > (?3, ?4, ?6) "
		"ORDER BY zone, owner, type, client_subnets LIMIT ?5"
		RRSET_PAGE_JOIN,
	[ST_RRSET_PAGE_ALL] = RRSET_PAGE_SELECT
		"WHERE (zone, owner, type, client_subnets) > (?2, ?3, ?4, ?6) "
		"ORDER BY zone, owner, type, client_subnets LIMIT ?5"
		RRSET_PAGE_JOIN,
	/* Keyset pages of every app's rules, along the primary key. */
	[ST_RULE_PAGE] = "SELECT " RULE_COLUMNS " FROM rules "
	                 "WHERE (app_instance_id, dns_rule_id) > (?1, ?2) "
	                 "ORDER BY app_instance_id, dns_rule_id LIMIT ?3",
	/* Rules per app instance (/metrics): one sequential scan grouped in a
	 * temporary b-tree; along the primary key, every row would be a random
	 * read (1.1 s against 0.26 s at 1M rules). */
	[ST_APP_COUNTS] = "SELECT app_instance_id, coalesce(sum(state = 'ACTIVE'), 0), "
	                  "coalesce(sum(state = 'INACTIVE'), 0) FROM rules NOT INDEXED "
	                  "GROUP BY app_instance_id ORDER BY app_instance_id",
	/* Whether one set is all an owner holds (no other set, no ACTIVE rule):
	 * two index probes, the common case of a bulk of new names. */
	[ST_OWNER_ALONE] = "SELECT (SELECT count(*) FROM rrsets WHERE owner = ?1) = 1 AND NOT EXISTS "
	                   "(SELECT 1 FROM rules WHERE owner = ?1 AND state = 'ACTIVE')",
	/* Everything stored at one name (lookup). */
	[ST_NAME_RULES] = "SELECT " RULE_COLUMNS " FROM rules WHERE owner = ?1 "
	                  "ORDER BY app_instance_id, dns_rule_id",
	[ST_NAME_RRSETS] = RRSET_SELECT
		"WHERE s.owner = ?1 ORDER BY s.zone, s.owner, s.type, s.client_subnets, d.pos",
	/* Zone sync: the rows of answers (filtered by zone in C), the changed
	 * owners, the ownership table and the cursor. */
	[ST_ZONE_RULES_ALL] =
		"SELECT owner, ip_address_type, ip_address, ttl FROM rules WHERE state = 'ACTIVE' "
		"AND client_subnets IS NULL",
	[ST_ZONE_RDATA_ALL] =
		"SELECT s.owner, s.type, s.ttl, d.text, d.wire FROM rrsets s JOIN rdata d "
		"ON " RDATA_OF_SET " WHERE s.client_subnets = ''",
	[ST_ZONE_RULES_OWNER] =
		"SELECT owner, ip_address_type, ip_address, ttl FROM rules "
		"WHERE owner = ?1 AND state = 'ACTIVE' AND client_subnets IS NULL",
	[ST_ZONE_RDATA_OWNER] =
		"SELECT s.owner, s.type, s.ttl, d.text, d.wire FROM rrsets s JOIN rdata d "
		"ON " RDATA_OF_SET " WHERE s.owner = ?1 AND s.client_subnets = ''",
	[ST_ZONE_CHANGED_OWNERS] =
		"SELECT owner FROM changes WHERE generation > ?1 AND generation <= ?2 "
		"UNION SELECT prev_owner FROM changes WHERE generation > ?1 AND generation <= ?2 "
		"AND prev_owner IS NOT NULL ORDER BY 1",
	[ST_OWNED_ZONE] =
		"SELECT owner, type, ttl, rdata_text, rdata_wire FROM zone_sync_owned "
		"WHERE zone = ?1 ORDER BY owner, type, rdata_wire",
	[ST_OWNED_OWNER] =
		"SELECT owner, type, ttl, rdata_text, rdata_wire FROM zone_sync_owned "
		"WHERE zone = ?1 AND owner = ?2 ORDER BY type, rdata_wire",
	[ST_OWNED_DELETE_ZONE] = "DELETE FROM zone_sync_owned WHERE zone = ?1",
	[ST_OWNED_DELETE_OWNER] = "DELETE FROM zone_sync_owned WHERE zone = ?1 AND owner = ?2",
	[ST_OWNED_INSERT] =
		"INSERT OR REPLACE INTO zone_sync_owned (zone, owner, type, ttl, rdata_text, "
		"rdata_wire) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_SYNC_STATE_GET] =
		"SELECT synced_generation, serial FROM zone_sync_state WHERE zone = ?1",
	[ST_SYNC_STATE_SET] =
		"INSERT INTO zone_sync_state (zone, synced_generation, serial, updated_ms) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (zone) DO UPDATE SET "
		"synced_generation = excluded.synced_generation, serial = excluded.serial, "
		"updated_ms = excluded.updated_ms",
};
/* clang-format on */

/*! \brief Records the connection's error for an operation and maps it. */
mecdns_store_status_t store_db_fail(connection_t *conn, int rc, const char *what)
{
	int extended = sqlite3_extended_errcode(conn->db);
	mecdns_store_status_t status = status_from_sqlite(rc, extended, conn->writing);
	if (status == MECDNS_STORE_OK) {
		status = MECDNS_STORE_ERROR; /* Called on an unexpected result. */
	}
	return store_fail(status, "%s: %s", what, sqlite3_errmsg(conn->db));
}

/*! \brief Returns a cached store_statement with bindings cleared, or NULL. */
sqlite3_stmt *store_statement(connection_t *conn, statement_id_t id)
{
	sqlite3_stmt *stmt = conn->statements[id];
	if (stmt != NULL) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return stmt;
	}
	int rc = sqlite3_prepare_v3(conn->db, STATEMENTS[id], -1, SQLITE_PREPARE_PERSISTENT, &stmt,
	                            NULL);
	if (rc != SQLITE_OK) {
		store_db_fail(conn, rc, "prepare statement");
		return NULL;
	}
	conn->statements[id] = stmt;
	return stmt;
}

/*! \brief Ends the use of a store_statement (bindings may point to caller memory). */
void store_statement_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/*! \brief Resets every cached store_statement, so none holds a read open. */
void store_statements_reset(connection_t *conn)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (conn->statements[i] != NULL) {
			store_statement_done(conn->statements[i]);
		}
	}
}

void store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL) {
		sqlite3_bind_null(stmt, index);
	} else {
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
	}
}

/*! \brief Binds an unsigned value, clamped to SQLite's signed 64-bit range. */
void store_bind_u64(sqlite3_stmt *stmt, int index, uint64_t value)
{
	sqlite3_bind_int64(stmt, index, value > INT64_MAX ? INT64_MAX : (sqlite3_int64)value);
}

void store_bind_blob(sqlite3_stmt *stmt, int index, const uint8_t *data, size_t len)
{
	if (len == 0) {
		sqlite3_bind_zeroblob(stmt, index, 0);
	} else {
		sqlite3_bind_blob(stmt, index, data, (int)len, SQLITE_STATIC);
	}
}

/*! \brief Runs a store_statement that returns no row of interest. */
mecdns_store_status_t store_run(connection_t *conn, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		status = store_db_fail(conn, rc, what);
	}
	store_statement_done(stmt);
	return status;
}

/*! \brief Runs a cached store_statement without parameters. */
mecdns_store_status_t store_run_plain(connection_t *conn, statement_id_t id, const char *what)
{
	sqlite3_stmt *stmt = store_statement(conn, id);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	return store_run(conn, stmt, what);
}

static mecdns_store_status_t connection_open(connection_t *conn, const char *path,
                                             mecdns_db_mode_t mode, char *err, size_t err_len)
{
	memset(conn, 0, sizeof(*conn));
	conn->writing = mode == MECDNS_DB_WRITER;
	int rc = mecdns_db_open(path, mode, &conn->db, err, err_len);
	if (rc != SQLITE_OK) {
		mecdns_store_status_t status = status_from_sqlite(rc, rc, conn->writing);
		return status == MECDNS_STORE_OK ? MECDNS_STORE_ERROR : status;
	}
	if (pthread_mutex_init(&conn->lock, NULL) != 0) {
		snprintf(err, err_len, "%s: cannot create a mutex", path);
		sqlite3_close(conn->db);
		conn->db = NULL;
		return MECDNS_STORE_ERROR;
	}
	return MECDNS_STORE_OK;
}

static void connection_close(connection_t *conn)
{
	if (conn->db == NULL) {
		return;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(conn->statements[i]);
	}
	sqlite3_close(conn->db);
	pthread_mutex_destroy(&conn->lock);
	conn->db = NULL;
}

/*!
 * \brief Takes every permission for others off the database and its -wal
 *        and -shm files (created under any umask, or by an older mecdns):
 *        rules and record data are for the owner and its group (knotd's
 *        module reads through the group) only. Best effort: a process that
 *        does not own the files (a reader) cannot change them and leaves
 *        them as they are.
 */
static void restrict_files(const char *path)
{
	const char *suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char file[PATH_MAX];
		struct stat st;
		if ((size_t)snprintf(file, sizeof(file), "%s%s", path, suffixes[i]) <
		        sizeof(file) &&
		    stat(file, &st) == 0 && (st.st_mode & 0007) != 0 && st.st_uid == geteuid()) {
			(void)chmod(file, st.st_mode & 07770);
		}
	}
}

mecdns_store_status_t mecdns_store_open(const char *path, mecdns_store_t **out, char *err,
                                        size_t err_len)
{
	char message[sizeof(store_last_error)] = "";
	*out = NULL;
	mecdns_store_t *store = calloc(1, sizeof(*store));
	mecdns_store_status_t status = MECDNS_STORE_ERROR;
	if (store == NULL) {
		snprintf(message, sizeof(message), "%s: out of memory",
		         path != NULL ? path : "(null)");
	} else {
		/* The writer first: it creates and migrates the file the reader needs. */
		status = connection_open(&store->writer, path, MECDNS_DB_WRITER, message,
		                         sizeof(message));
	}
	if (status == MECDNS_STORE_OK) {
		status = connection_open(&store->reader, path, MECDNS_DB_READER, message,
		                         sizeof(message));
	}
	if (status == MECDNS_STORE_OK) {
		restrict_files(path);
		atomic_init(&store->waiting, 0);
		if (pthread_mutex_init(&store->group_lock, NULL) != 0) {
			snprintf(message, sizeof(message), "%s: cannot create a mutex", path);
			status = MECDNS_STORE_ERROR;
		} else if (pthread_cond_init(&store->group_done, NULL) != 0) {
			pthread_mutex_destroy(&store->group_lock);
			snprintf(message, sizeof(message), "%s: cannot create a condition", path);
			status = MECDNS_STORE_ERROR;
		} else {
			store->cond_ready = true;
		}
	}
	if (status != MECDNS_STORE_OK) {
		store_set_error("%s", message);
		if (err != NULL && err_len > 0) {
			snprintf(err, err_len, "%s", message);
		}
		mecdns_store_close(store);
		return status;
	}
	*out = store;
	return MECDNS_STORE_OK;
}

void mecdns_store_set_guard(mecdns_store_t *store, mecdns_store_guard_cb guard, void *ctx)
{
	store->guard = guard;
	store->guard_ctx = ctx;
}

mecdns_store_status_t store_guard(mecdns_store_t *store, const char *owner, const char *zone)
{
	char why[512] = "";
	if (store->guard == NULL || store->guard(store->guard_ctx, owner, zone, why, sizeof(why))) {
		return MECDNS_STORE_OK;
	}
	return store_fail(MECDNS_STORE_FORBIDDEN, "%s",
	                  why[0] != '\0' ? why : "the operator does not allow data there");
}

void mecdns_store_close(mecdns_store_t *store)
{
	if (store == NULL) {
		return;
	}
	connection_close(&store->reader);
	connection_close(&store->writer);
	if (store->cond_ready) {
		pthread_cond_destroy(&store->group_done);
		pthread_mutex_destroy(&store->group_lock);
	}
	free(store);
}

/*** Transactions. ***/

mecdns_store_status_t store_read_begin(mecdns_store_t *store, connection_t **conn,
                                       uint64_t *generation)
{
	*conn = &store->reader;
	pthread_mutex_lock(&store->reader.lock);
	mecdns_store_status_t status =
	    store_run_plain(*conn, ST_BEGIN_READ, "begin read transaction");
	if (status != MECDNS_STORE_OK) {
		pthread_mutex_unlock(&store->reader.lock);
		return status;
	}
	sqlite3_stmt *stmt = store_statement(*conn, ST_STATE_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			if (generation != NULL) {
				*generation = (uint64_t)sqlite3_column_int64(stmt, 0);
			}
			status = MECDNS_STORE_OK;
		} else if (rc == SQLITE_DONE) {
			status = store_fail(MECDNS_STORE_CORRUPT,
			                    "read state: the state row is missing");
		} else {
			status = store_db_fail(*conn, rc, "read state");
		}
		store_statement_done(stmt);
	}
	if (status != MECDNS_STORE_OK) {
		store_read_end(*conn);
	}
	return status;
}

mecdns_store_status_t store_read_statement(mecdns_store_t *store, statement_id_t id,
                                           connection_t **conn, sqlite3_stmt **stmt,
                                           uint64_t *generation)
{
	mecdns_store_status_t status = store_read_begin(store, conn, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	*stmt = store_statement(*conn, id);
	if (*stmt == NULL) {
		store_read_end(*conn);
		return MECDNS_STORE_ERROR;
	}
	return MECDNS_STORE_OK;
}

/*! \brief Ends a read transaction and unlocks the reader. */
void store_read_end(connection_t *conn)
{
	store_statements_reset(conn);
	if (!sqlite3_get_autocommit(conn->db)) {
		store_run_plain(conn, ST_COMMIT, "end read transaction");
	}
	pthread_mutex_unlock(&conn->lock);
}
