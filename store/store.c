/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: the only code that writes SQL (contract in store/store.h).
 *
 *  Two connections to one WAL database file:
 *  - the writer, guarded by its lock; every write runs as one SAVEPOINT
 *    inside a BEGIN IMMEDIATE transaction, applies its rows, appends one
 *    changes row per rule or rrset it touched and raises state.generation by
 *    exactly one. Any failure rolls its savepoint back (ROLLBACK TO), so that
 *    write alone fails and changes nothing. A write that ends up touching
 *    nothing (a bulk replace that only deletes absent sets) logs nothing and
 *    keeps the generation, so every generation has at least one change row;
 *  - group commit: a write that succeeded does not commit by itself while
 *    other writers are waiting for the writer's lock: it leaves the
 *    transaction open, registers as a member of the open group and sleeps;
 *    the next writer runs its savepoint in the same transaction. The writer
 *    that finds nobody waiting (or the group full) runs one COMMIT
 *    (synchronous=FULL: one WAL sync for the group) and hands every member
 *    its result; so a returned OK is still durable, and a failed COMMIT
 *    fails every member (nothing of the group is applied). Generations are
 *    handed out in order inside the transaction, so they strictly increase
 *    in commit order; readers (and the module) see committed data only,
 *    hence whole generations;
 *  - the reader, guarded by read_lock; each read is one read transaction,
 *    so it sees the database as of one commit (whole generations).
 *  Prepared statements are cached per connection (table STATEMENTS below)
 *  and reset when a transaction ends.
 *
 *  Invariant kept by every write (checked inside its transaction, on the
 *  final state): an owner that has a CNAME rrset (in any zone) has exactly
 *  one CNAME record there and nothing else: no other rrset type and no
 *  ACTIVE rule.
 */

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <sqlite3.h>

#include "schema/schema.h"
#include "store/store.h"

/*! Change log rows copied per read transaction by mecdns_store_changes(). */
#define CHANGES_BATCH 256
/*! Most writes committed together by one COMMIT (group commit). */
#define GROUP_MAX 64
/*! RR type code of CNAME (KNOT_RRTYPE_CNAME). */
#define TYPE_CNAME 5

/*** Last error of the calling thread. ***/

static _Thread_local char last_error[512];

const char *mecdns_store_last_error(void)
{
	return last_error;
}

static void set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

/*! \brief Records a failure message and returns its status. */
static mecdns_store_status_t fail(mecdns_store_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static mecdns_store_status_t fail(mecdns_store_status_t status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
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
	"state, version, created_ms, updated_ms, generation"

/*! An rrset joined with its rdata rows, in the order rrsets_from_rows() reads. */
#define RRSET_SELECT                                                                               \
	"SELECT s.zone, s.owner, s.type, s.ttl, s.generation, d.text, d.wire FROM rrsets s "       \
	"LEFT JOIN rdata d ON d.zone = s.zone AND d.owner = s.owner AND d.type = s.type "

typedef enum {
	ST_BEGIN_READ,
	ST_BEGIN_WRITE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_STATE_GET,
	ST_STATE_SET_GENERATION,
	ST_CHANGE_INSERT,
	ST_CHANGES_AFTER,
	ST_SET_SIGNALLED,
	ST_PRUNE,
	ST_PRUNED_THROUGH,
	ST_OWNER_USE,
	ST_RULE_GET,
	ST_RULE_LIST,
	ST_RULE_INSERT,
	ST_RULE_UPDATE,
	ST_RULE_DELETE,
	ST_RULE_LOG_DELETE_APP,
	ST_RULE_DELETE_APP,
	ST_RULE_COUNTS,
	ST_RRSET_UPSERT,
	ST_RRSET_DELETE,
	ST_RDATA_CLEAR,
	ST_RDATA_HAS,
	ST_RDATA_TAIL,
	ST_RDATA_INSERT,
	ST_RRSET_GET,
	ST_RRSET_LIST_ZONE,
	ST_RRSET_LIST_ALL,
	ST_ZONE_RULES_ALL,
	ST_ZONE_RDATA_ALL,
	ST_ZONE_RULES_OWNER,
	ST_ZONE_RDATA_OWNER,
	ST_ZONE_CHANGED_OWNERS,
	ST_OWNED_ZONE,
	ST_OWNED_OWNER,
	ST_OWNED_DELETE_ZONE,
	ST_OWNED_DELETE_OWNER,
	ST_OWNED_INSERT,
	ST_SYNC_STATE_GET,
	ST_SYNC_STATE_SET,
	ST_COUNT
} statement_id_t;

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
		"app_instance_id, dns_rule_id, domain_name, state, zone, rrtype, rdata_count) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_CHANGES_AFTER] =
		"SELECT seq, generation, committed_ms, kind, owner, prev_owner, app_instance_id, "
		"dns_rule_id, domain_name, state, zone, rrtype, rdata_count FROM changes "
		"WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	/* Never back, never past the last sequence number handed out. */
	[ST_SET_SIGNALLED] =
		"UPDATE state SET signalled_seq = max(signalled_seq, min(?1, coalesce("
		"(SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0))) WHERE id = 1",
	[ST_PRUNE] =
		"DELETE FROM changes WHERE seq <= (SELECT signalled_seq FROM state WHERE id = 1) "
		"AND committed_ms <= ?1",
	/* The highest generation with no change row left at or below it. */
	[ST_PRUNED_THROUGH] =
		"UPDATE state SET pruned_through = max(pruned_through, "
		"coalesce((SELECT min(generation) - 1 FROM changes), generation)) WHERE id = 1",
	/* CNAME records, other rrsets and ACTIVE rules at one owner, any zone. */
	[ST_OWNER_USE] =
		"SELECT (SELECT count(*) FROM rrsets s JOIN rdata d ON d.zone = s.zone "
		"AND d.owner = s.owner AND d.type = s.type WHERE s.owner = ?1 AND s.type = 5), "
		"(SELECT count(*) FROM rrsets WHERE owner = ?1 AND type <> 5), "
		"(SELECT count(*) FROM rules WHERE owner = ?1 AND state = 'ACTIVE')",
	[ST_RULE_GET] = "SELECT " RULE_COLUMNS " FROM rules "
	                "WHERE app_instance_id = ?1 AND dns_rule_id = ?2",
	[ST_RULE_LIST] = "SELECT " RULE_COLUMNS " FROM rules "
	                 "WHERE app_instance_id = ?1 ORDER BY dns_rule_id",
	[ST_RULE_INSERT] =
		"INSERT INTO rules (" RULE_COLUMNS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, ?10)",
	[ST_RULE_UPDATE] =
		"UPDATE rules SET domain_name = ?3, owner = ?4, ip_address_type = ?5, "
		"ip_address = ?6, ttl = ?7, state = ?8, version = version + 1, updated_ms = ?9, "
		"generation = ?10 WHERE app_instance_id = ?1 AND dns_rule_id = ?2",
	[ST_RULE_DELETE] = "DELETE FROM rules WHERE app_instance_id = ?1 AND dns_rule_id = ?2",
	[ST_RULE_LOG_DELETE_APP] =
		"INSERT INTO changes (generation, committed_ms, kind, owner, app_instance_id, "
		"dns_rule_id, domain_name, state) SELECT ?1, ?2, 'rule', owner, app_instance_id, "
		"dns_rule_id, domain_name, 'DELETED' FROM rules WHERE app_instance_id = ?3 "
		"ORDER BY dns_rule_id",
	[ST_RULE_DELETE_APP] = "DELETE FROM rules WHERE app_instance_id = ?1",
	[ST_RULE_COUNTS] =
		"SELECT coalesce(sum(state = 'ACTIVE'), 0), coalesce(sum(state = 'INACTIVE'), 0) "
		"FROM rules",
	[ST_RRSET_UPSERT] =
		"INSERT INTO rrsets (zone, owner, type, ttl, generation, updated_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (zone, owner, type) DO UPDATE SET "
		"ttl = excluded.ttl, generation = excluded.generation, "
		"updated_ms = excluded.updated_ms",
	[ST_RRSET_DELETE] = "DELETE FROM rrsets WHERE zone = ?1 AND owner = ?2 AND type = ?3",
	[ST_RDATA_CLEAR] = "DELETE FROM rdata WHERE zone = ?1 AND owner = ?2 AND type = ?3",
	[ST_RDATA_HAS] = "SELECT 1 FROM rdata WHERE zone = ?1 AND owner = ?2 AND type = ?3 "
	                 "AND wire = ?4 LIMIT 1",
	[ST_RDATA_TAIL] = "SELECT coalesce(max(pos) + 1, 0), count(*) FROM rdata "
	                  "WHERE zone = ?1 AND owner = ?2 AND type = ?3",
	[ST_RDATA_INSERT] = "INSERT INTO rdata (zone, owner, type, pos, text, wire) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_RRSET_GET] = RRSET_SELECT
		"WHERE s.zone = ?1 AND s.owner = ?2 AND s.type = ?3 ORDER BY d.pos",
	[ST_RRSET_LIST_ZONE] = RRSET_SELECT
		"WHERE s.zone = ?1 ORDER BY s.zone, s.owner, s.type, d.pos",
	[ST_RRSET_LIST_ALL] = RRSET_SELECT "ORDER BY s.zone, s.owner, s.type, d.pos",
	/* Zone sync: the rows of answers (filtered by zone in C), the changed
	 * owners, the ownership table and the cursor. */
	[ST_ZONE_RULES_ALL] =
		"SELECT owner, ip_address_type, ip_address, ttl FROM rules WHERE state = 'ACTIVE'",
	[ST_ZONE_RDATA_ALL] =
		"SELECT s.owner, s.type, s.ttl, d.text, d.wire FROM rrsets s JOIN rdata d "
		"ON d.zone = s.zone AND d.owner = s.owner AND d.type = s.type",
	[ST_ZONE_RULES_OWNER] =
		"SELECT owner, ip_address_type, ip_address, ttl FROM rules "
		"WHERE owner = ?1 AND state = 'ACTIVE'",
	[ST_ZONE_RDATA_OWNER] =
		"SELECT s.owner, s.type, s.ttl, d.text, d.wire FROM rrsets s JOIN rdata d "
		"ON d.zone = s.zone AND d.owner = s.owner AND d.type = s.type WHERE s.owner = ?1",
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

/*! One SQLite connection, used by one thread at a time. */
typedef struct {
	sqlite3 *db;
	pthread_mutex_t lock;
	bool writing;                       /*!< The writer connection. */
	sqlite3_stmt *statements[ST_COUNT]; /*!< Prepared on first use. */
} connection_t;

/*! A write waiting for the COMMIT of its group (on its writer's stack). */
typedef struct group_member {
	struct group_member *next;
	bool done;                    /*!< Set, with status, by the committer. */
	mecdns_store_status_t status; /*!< OK: committed (durable). */
	char error[512];              /*!< The COMMIT's message on failure. */
} group_member_t;

struct mecdns_store {
	connection_t writer;
	connection_t reader;
	/* Group commit: the list under writer.lock; done flags under
	 * group_lock, so a finished member returns without writer.lock (which
	 * the next group's COMMIT may hold). */
	atomic_uint waiting;     /*!< Writers blocked on writer.lock. */
	group_member_t *members; /*!< Writes in the open transaction. */
	size_t member_count;
	pthread_mutex_t group_lock;
	pthread_cond_t group_done; /*!< Signalled when a group ends. */
	bool cond_ready;
};

/*! \brief Records the connection's error for an operation and maps it. */
static mecdns_store_status_t db_fail(connection_t *conn, int rc, const char *what)
{
	int extended = sqlite3_extended_errcode(conn->db);
	mecdns_store_status_t status = status_from_sqlite(rc, extended, conn->writing);
	if (status == MECDNS_STORE_OK) {
		status = MECDNS_STORE_ERROR; /* Called on an unexpected result. */
	}
	return fail(status, "%s: %s", what, sqlite3_errmsg(conn->db));
}

/*! \brief Returns a cached statement with bindings cleared, or NULL. */
static sqlite3_stmt *statement(connection_t *conn, statement_id_t id)
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
		db_fail(conn, rc, "prepare statement");
		return NULL;
	}
	conn->statements[id] = stmt;
	return stmt;
}

/*! \brief Ends the use of a statement (bindings may point to caller memory). */
static void statement_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/*! \brief Resets every cached statement, so none holds a read open. */
static void statements_reset(connection_t *conn)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (conn->statements[i] != NULL) {
			statement_done(conn->statements[i]);
		}
	}
}

static void bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (text == NULL) {
		sqlite3_bind_null(stmt, index);
	} else {
		sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
	}
}

/*! \brief Binds an unsigned value, clamped to SQLite's signed 64-bit range. */
static void bind_u64(sqlite3_stmt *stmt, int index, uint64_t value)
{
	sqlite3_bind_int64(stmt, index, value > INT64_MAX ? INT64_MAX : (sqlite3_int64)value);
}

static void bind_blob(sqlite3_stmt *stmt, int index, const uint8_t *data, size_t len)
{
	if (len == 0) {
		sqlite3_bind_zeroblob(stmt, index, 0);
	} else {
		sqlite3_bind_blob(stmt, index, data, (int)len, SQLITE_STATIC);
	}
}

/*! \brief Runs a statement that returns no row of interest. */
static mecdns_store_status_t run(connection_t *conn, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		status = db_fail(conn, rc, what);
	}
	statement_done(stmt);
	return status;
}

/*! \brief Runs a cached statement without parameters. */
static mecdns_store_status_t run_plain(connection_t *conn, statement_id_t id, const char *what)
{
	sqlite3_stmt *stmt = statement(conn, id);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	return run(conn, stmt, what);
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

mecdns_store_status_t mecdns_store_open(const char *path, mecdns_store_t **out, char *err,
                                        size_t err_len)
{
	char message[sizeof(last_error)] = "";
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
		set_error("%s", message);
		if (err != NULL && err_len > 0) {
			snprintf(err, err_len, "%s", message);
		}
		mecdns_store_close(store);
		return status;
	}
	*out = store;
	return MECDNS_STORE_OK;
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

static void read_end(connection_t *conn);

/*! Generation the calling thread's last read transaction saw. */
static _Thread_local uint64_t read_generation;

/*! \brief Locks the reader and starts a read transaction; its first step
 *         reads the generation, which fixes the snapshot every later step of
 *         the transaction sees (mecdns_store_read_generation()). */
static mecdns_store_status_t read_begin(mecdns_store_t *store, connection_t **conn)
{
	*conn = &store->reader;
	pthread_mutex_lock(&store->reader.lock);
	mecdns_store_status_t status = run_plain(*conn, ST_BEGIN_READ, "begin read transaction");
	if (status != MECDNS_STORE_OK) {
		pthread_mutex_unlock(&store->reader.lock);
		return status;
	}
	sqlite3_stmt *stmt = statement(*conn, ST_STATE_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			read_generation = (uint64_t)sqlite3_column_int64(stmt, 0);
			status = MECDNS_STORE_OK;
		} else if (rc == SQLITE_DONE) {
			status = fail(MECDNS_STORE_CORRUPT, "read state: the state row is missing");
		} else {
			status = db_fail(*conn, rc, "read state");
		}
		statement_done(stmt);
	}
	if (status != MECDNS_STORE_OK) {
		read_end(*conn);
	}
	return status;
}

uint64_t mecdns_store_read_generation(void)
{
	return read_generation;
}

/*! \brief Ends a read transaction and unlocks the reader. */
static void read_end(connection_t *conn)
{
	statements_reset(conn);
	if (!sqlite3_get_autocommit(conn->db)) {
		run_plain(conn, ST_COMMIT, "end read transaction");
	}
	pthread_mutex_unlock(&conn->lock);
}

/*** The writer: savepoints and group commit. ***/

/*! \brief Ends the open group: every member gets status (and message).
 *         Called with writer.lock held. */
static void group_finish(mecdns_store_t *store, mecdns_store_status_t status, const char *error)
{
	group_member_t *m = store->members;
	store->members = NULL;
	store->member_count = 0;
	if (m == NULL) {
		return;
	}
	pthread_mutex_lock(&store->group_lock);
	while (m != NULL) {
		group_member_t *next = m->next;
		m->status = status;
		snprintf(m->error, sizeof(m->error), "%s", status == MECDNS_STORE_OK ? "" : error);
		m->done = true; /* m may be gone once group_lock is released. */
		m = next;
	}
	pthread_cond_broadcast(&store->group_done);
	pthread_mutex_unlock(&store->group_lock);
}

/*! \brief Commits the open transaction (one sync for the whole group), or
 *         rolls it back when the COMMIT fails, and ends the group. Keeps the
 *         calling thread's last error. */
static void group_commit(mecdns_store_t *store)
{
	connection_t *conn = &store->writer;
	char saved[sizeof(last_error)];
	memcpy(saved, last_error, sizeof(saved));
	statements_reset(conn);
	mecdns_store_status_t status = run_plain(conn, ST_COMMIT, "commit");
	char error[sizeof(last_error)];
	memcpy(error, last_error, sizeof(error));
	if (!sqlite3_get_autocommit(conn->db)) {
		statements_reset(conn);
		run_plain(conn, ST_ROLLBACK, "roll back");
		if (status == MECDNS_STORE_OK) {
			status = MECDNS_STORE_ERROR; /* Cannot happen: COMMIT left it open. */
		}
	}
	statements_reset(conn);
	group_finish(store, status, error);
	memcpy(last_error, saved, sizeof(saved));
}

/*! \brief Rolls the whole open transaction back and fails every member. */
static void group_abort(mecdns_store_t *store, mecdns_store_status_t status)
{
	connection_t *conn = &store->writer;
	char saved[sizeof(last_error)];
	memcpy(saved, last_error, sizeof(saved));
	statements_reset(conn);
	if (!sqlite3_get_autocommit(conn->db)) {
		run_plain(conn, ST_ROLLBACK, "roll back");
	}
	statements_reset(conn);
	group_finish(store, status, saved);
	memcpy(last_error, saved, sizeof(saved));
}

/*!
 * \brief Locks the writer, joins (or opens, with BEGIN IMMEDIATE) the
 *        group's transaction and starts the calling write's savepoint.
 *        On failure nothing is left open and the lock is released.
 */
static mecdns_store_status_t writer_enter(mecdns_store_t *store)
{
	connection_t *conn = &store->writer;
	atomic_fetch_add(&store->waiting, 1);
	pthread_mutex_lock(&conn->lock);
	atomic_fetch_sub(&store->waiting, 1);

	mecdns_store_status_t status = MECDNS_STORE_OK;
	if (sqlite3_get_autocommit(conn->db)) {
		status = run_plain(conn, ST_BEGIN_WRITE, "begin write transaction");
		if (status != MECDNS_STORE_OK) {
			pthread_mutex_unlock(&conn->lock);
			return status;
		}
	}
	status = run_plain(conn, ST_SAVEPOINT, "begin savepoint");
	if (status != MECDNS_STORE_OK) {
		/* Nothing of this write to undo; the group goes on (or ends). */
		if (sqlite3_get_autocommit(conn->db)) {
			group_finish(store, status, last_error);
		} else if (store->member_count == 0) {
			group_abort(store, status);
		} else if (atomic_load(&store->waiting) == 0) {
			group_commit(store);
		}
		pthread_mutex_unlock(&conn->lock);
	}
	return status;
}

/*!
 * \brief Ends the calling write's savepoint: RELEASE when status is OK,
 *        else ROLLBACK TO (the write alone changes nothing). A successful
 *        write then waits for its group's COMMIT, committing it itself when
 *        no other writer is waiting for the lock. Unlocks the writer.
 *
 * \return The final status (a failed COMMIT turns OK into its error).
 */
static mecdns_store_status_t writer_leave(mecdns_store_t *store, mecdns_store_status_t status)
{
	connection_t *conn = &store->writer;
	statements_reset(conn);
	if (status == MECDNS_STORE_OK) {
		status = run_plain(conn, ST_RELEASE, "release savepoint");
	}
	if (status != MECDNS_STORE_OK) {
		char saved[sizeof(last_error)];
		memcpy(saved, last_error, sizeof(saved));
		if (sqlite3_get_autocommit(conn->db)) {
			/* SQLite rolled the whole transaction back (I/O error, disk
			 * full, ...): the group's writes are lost with it. */
			group_finish(store, status, saved);
		} else {
			statements_reset(conn);
			mecdns_store_status_t undo =
			    run_plain(conn, ST_ROLLBACK_TO, "roll back savepoint");
			if (undo == MECDNS_STORE_OK) {
				undo = run_plain(conn, ST_RELEASE, "release savepoint");
			}
			statements_reset(conn);
			if (undo != MECDNS_STORE_OK || sqlite3_get_autocommit(conn->db)) {
				/* Cannot undo this write alone: undo the group. */
				memcpy(last_error, saved, sizeof(saved));
				group_abort(store, status);
			} else if (store->member_count == 0) {
				memcpy(last_error, saved, sizeof(saved));
				group_abort(store, status); /* Nothing in it: roll back. */
			} else if (atomic_load(&store->waiting) == 0) {
				group_commit(store); /* The others' writes. */
			}
		}
		memcpy(last_error, saved, sizeof(saved)); /* Keep the first cause. */
		pthread_mutex_unlock(&conn->lock);
		return status;
	}

	group_member_t me = { 0 };
	me.next = store->members;
	/* The committer unlinks every member before it sets done, and this frame
	 * waits for done below: &me never outlives the call. */
	// cppcheck-suppress autoVariables
	store->members = &me;
	store->member_count++;
	if (atomic_load(&store->waiting) == 0 || store->member_count >= GROUP_MAX) {
		group_commit(store);
	}
	pthread_mutex_unlock(&conn->lock);
	pthread_mutex_lock(&store->group_lock);
	while (!me.done) {
		pthread_cond_wait(&store->group_done, &store->group_lock);
	}
	pthread_mutex_unlock(&store->group_lock);
	if (me.status != MECDNS_STORE_OK) {
		set_error("%s", me.error);
	}
	return me.status;
}

/*! One write transaction in progress. */
typedef struct {
	mecdns_store_t *store;
	connection_t *conn;
	uint64_t generation; /*!< The generation this transaction commits. */
	int64_t now_ms;      /*!< Timestamp of every row it writes. */
	size_t changes;      /*!< Change log rows appended so far. */
} write_txn_t;

/*! \brief Enters the writer (savepoint in the group's transaction), picks
 *         the next generation. */
static mecdns_store_status_t write_begin(mecdns_store_t *store, write_txn_t *txn)
{
	memset(txn, 0, sizeof(*txn));
	txn->store = store;
	txn->conn = &store->writer;
	mecdns_store_status_t status = writer_enter(store);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = statement(txn->conn, ST_STATE_GET);
	if (stmt == NULL) {
		status = MECDNS_STORE_ERROR;
	} else {
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			txn->generation = (uint64_t)sqlite3_column_int64(stmt, 0) + 1;
		} else if (rc == SQLITE_DONE) {
			status =
			    fail(MECDNS_STORE_CORRUPT, "read generation: the state row is missing");
		} else {
			status = db_fail(txn->conn, rc, "read generation");
		}
		statement_done(stmt);
	}
	if (status != MECDNS_STORE_OK) {
		return writer_leave(store, status);
	}
	txn->now_ms = mecdns_now_ms();
	return MECDNS_STORE_OK;
}

/*!
 * \brief Raises the generation (status OK and something changed), ends the
 *        write's savepoint and waits for its group's COMMIT (or rolls the
 *        savepoint back), then unlocks the writer.
 *
 * \param generation  If not NULL and the result is OK: the committed
 *                    generation, or the unchanged current one when nothing
 *                    was written.
 * \return The final status (a failed COMMIT turns OK into its error).
 */
static mecdns_store_status_t write_end(write_txn_t *txn, mecdns_store_status_t status,
                                       uint64_t *generation)
{
	connection_t *conn = txn->conn;
	bool changed = status == MECDNS_STORE_OK && txn->changes > 0;
	if (changed) {
		sqlite3_stmt *stmt = statement(conn, ST_STATE_SET_GENERATION);
		if (stmt == NULL) {
			status = MECDNS_STORE_ERROR;
		} else {
			bind_u64(stmt, 1, txn->generation);
			status = run(conn, stmt, "raise generation");
		}
	}
	status = writer_leave(txn->store, status);
	if (status == MECDNS_STORE_OK && generation != NULL) {
		*generation = changed ? txn->generation : txn->generation - 1;
	}
	return status;
}

/*** Change log rows. ***/

static mecdns_store_status_t log_change(write_txn_t *txn, bool rule, const char *owner,
                                        const char *prev_owner, const char *app_instance_id,
                                        const char *dns_rule_id, const char *domain_name,
                                        const char *state, const char *zone, uint16_t type,
                                        size_t rdata_count)
{
	sqlite3_stmt *stmt = statement(txn->conn, ST_CHANGE_INSERT);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_u64(stmt, 1, txn->generation);
	sqlite3_bind_int64(stmt, 2, txn->now_ms);
	bind_text(stmt, 3, rule ? "rule" : "rrset");
	bind_text(stmt, 4, owner);
	bind_text(stmt, 5, prev_owner);
	bind_text(stmt, 6, app_instance_id);
	bind_text(stmt, 7, dns_rule_id);
	bind_text(stmt, 8, domain_name);
	bind_text(stmt, 9, state);
	bind_text(stmt, 10, zone);
	if (!rule) {
		char rrtype[32];
		if (knot_rrtype_to_string(type, rrtype, sizeof(rrtype)) < 0) {
			snprintf(rrtype, sizeof(rrtype), "TYPE%u", type);
		}
		/* Copied: the buffer ends with this block. */
		sqlite3_bind_text(stmt, 11, rrtype, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(stmt, 12, (sqlite3_int64)rdata_count);
	}
	mecdns_store_status_t status = run(txn->conn, stmt, "append to the change log");
	if (status == MECDNS_STORE_OK) {
		txn->changes++;
	}
	return status;
}

static mecdns_store_status_t log_rule_change(write_txn_t *txn, const char *owner,
                                             const char *prev_owner, const char *app_instance_id,
                                             const char *dns_rule_id, const char *domain_name,
                                             const char *state)
{
	return log_change(txn, true, owner, prev_owner, app_instance_id, dns_rule_id, domain_name,
	                  state, NULL, 0, 0);
}

static mecdns_store_status_t log_rrset_change(write_txn_t *txn, const char *zone, const char *owner,
                                              uint16_t type, size_t rdata_count)
{
	return log_change(txn, false, owner, NULL, NULL, NULL, NULL, NULL, zone, type, rdata_count);
}

/*** CNAME exclusivity. ***/

/*! What one owner holds, across every zone. */
typedef struct {
	int64_t cname_records;
	int64_t other_rrsets;
	int64_t active_rules;
} owner_use_t;

static mecdns_store_status_t owner_use(connection_t *conn, const char *owner, owner_use_t *use)
{
	sqlite3_stmt *stmt = statement(conn, ST_OWNER_USE);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_text(stmt, 1, owner);
	int rc = sqlite3_step(stmt);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	if (rc == SQLITE_ROW) {
		use->cname_records = sqlite3_column_int64(stmt, 0);
		use->other_rrsets = sqlite3_column_int64(stmt, 1);
		use->active_rules = sqlite3_column_int64(stmt, 2);
	} else {
		status = db_fail(conn, rc, "check the records at an owner");
	}
	statement_done(stmt);
	return status;
}

/*! \brief CONFLICT if owner, as the transaction left it, mixes a CNAME with
 *         anything else (another CNAME record included). */
static mecdns_store_status_t check_cname_exclusive(write_txn_t *txn, const char *owner)
{
	owner_use_t use;
	mecdns_store_status_t status = owner_use(txn->conn, owner, &use);
	if (status != MECDNS_STORE_OK || use.cname_records == 0) {
		return status;
	}
	if (use.cname_records > 1) {
		return fail(MECDNS_STORE_CONFLICT, "%s would have more than one CNAME record",
		            owner);
	}
	if (use.other_rrsets > 0) {
		return fail(MECDNS_STORE_CONFLICT,
		            "%s would have a CNAME beside other record types", owner);
	}
	if (use.active_rules > 0) {
		return fail(MECDNS_STORE_CONFLICT, "%s would have a CNAME beside an ACTIVE rule",
		            owner);
	}
	return MECDNS_STORE_OK;
}

/*** Rules. ***/

static char *dup_column(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);
	return text != NULL ? strdup((const char *)text) : NULL;
}

void mecdns_rule_clear(mecdns_rule_t *rule)
{
	if (rule == NULL) {
		return;
	}
	free(rule->app_instance_id);
	free(rule->dns_rule_id);
	free(rule->domain_name);
	free(rule->owner);
	free(rule->ip_address);
	memset(rule, 0, sizeof(*rule));
}

void mecdns_rule_list_free(mecdns_rule_list_t *list)
{
	if (list == NULL) {
		return;
	}
	for (size_t i = 0; i < list->count; i++) {
		mecdns_rule_clear(&list->items[i]);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/*! \brief Fills a rule from a row of RULE_COLUMNS (strings malloc'd). */
static mecdns_store_status_t rule_from_row(sqlite3_stmt *stmt, mecdns_rule_t *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->app_instance_id = dup_column(stmt, 0);
	rule->dns_rule_id = dup_column(stmt, 1);
	rule->domain_name = dup_column(stmt, 2);
	rule->owner = dup_column(stmt, 3);
	const unsigned char *type = sqlite3_column_text(stmt, 4);
	rule->ip_type = (type != NULL && strcmp((const char *)type, "IP_V6") == 0) ? MECDNS_IP_V6
	                                                                           : MECDNS_IP_V4;
	rule->ip_address = dup_column(stmt, 5);
	rule->ttl =
	    sqlite3_column_type(stmt, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 6);
	const unsigned char *state = sqlite3_column_text(stmt, 7);
	rule->active = state != NULL && strcmp((const char *)state, "ACTIVE") == 0;
	rule->version = (uint64_t)sqlite3_column_int64(stmt, 8);
	rule->created_ms = sqlite3_column_int64(stmt, 9);
	rule->updated_ms = sqlite3_column_int64(stmt, 10);
	rule->generation = (uint64_t)sqlite3_column_int64(stmt, 11);
	if (rule->app_instance_id == NULL || rule->dns_rule_id == NULL ||
	    rule->domain_name == NULL || rule->owner == NULL || rule->ip_address == NULL) {
		mecdns_rule_clear(rule);
		return fail(MECDNS_STORE_ERROR, "read rule: out of memory");
	}
	return MECDNS_STORE_OK;
}

/*! \brief Reads one rule on conn (inside its transaction). */
static mecdns_store_status_t rule_read(connection_t *conn, const char *app_instance_id,
                                       const char *dns_rule_id, mecdns_rule_t *rule)
{
	sqlite3_stmt *stmt = statement(conn, ST_RULE_GET);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_text(stmt, 1, app_instance_id);
	bind_text(stmt, 2, dns_rule_id);
	mecdns_store_status_t status;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		status = rule_from_row(stmt, rule);
	} else if (rc == SQLITE_DONE) {
		status = MECDNS_STORE_NOT_FOUND; /* The caller says whether that is an error. */
	} else {
		status = db_fail(conn, rc, "read rule");
	}
	statement_done(stmt);
	return status;
}

/*! \brief Reads one rule that must exist (NOT_FOUND with a message). */
static mecdns_store_status_t rule_read_existing(connection_t *conn, const char *app_instance_id,
                                                const char *dns_rule_id, mecdns_rule_t *rule)
{
	mecdns_store_status_t status = rule_read(conn, app_instance_id, dns_rule_id, rule);
	if (status == MECDNS_STORE_NOT_FOUND) {
		fail(status, "rule %s/%s not found", app_instance_id, dns_rule_id);
	}
	return status;
}

/*! A rule's values as stored, derived from what the caller gave. */
typedef struct {
	char *owner;                       /*!< Canonical domain_name (malloc'd). */
	const char *ip_type;               /*!< "IP_V4" or "IP_V6". */
	char ip_address[INET6_ADDRSTRLEN]; /*!< Canonical text. */
} rule_values_t;

/*! \brief Checks a rule's key and values and derives what is stored. */
static mecdns_store_status_t rule_values(const mecdns_rule_t *rule, rule_values_t *values)
{
	memset(values, 0, sizeof(*values));
	if (rule == NULL || rule->app_instance_id == NULL || rule->dns_rule_id == NULL) {
		return fail(MECDNS_STORE_INVALID, "rule without app instance id or rule id");
	}
	if (rule->domain_name == NULL || rule->ip_address == NULL) {
		return fail(MECDNS_STORE_INVALID, "rule %s/%s without domain name or address",
		            rule->app_instance_id, rule->dns_rule_id);
	}
	int family;
	if (rule->ip_type == MECDNS_IP_V4) {
		family = AF_INET;
		values->ip_type = "IP_V4";
	} else if (rule->ip_type == MECDNS_IP_V6) {
		family = AF_INET6;
		values->ip_type = "IP_V6";
	} else {
		return fail(MECDNS_STORE_INVALID, "rule %s/%s: unknown ip address type %d",
		            rule->app_instance_id, rule->dns_rule_id, (int)rule->ip_type);
	}
	unsigned char address[sizeof(struct in6_addr)];
	if (inet_pton(family, rule->ip_address, address) != 1 ||
	    inet_ntop(family, address, values->ip_address, sizeof(values->ip_address)) == NULL) {
		return fail(MECDNS_STORE_INVALID, "rule %s/%s: '%s' is not an %s address",
		            rule->app_instance_id, rule->dns_rule_id, rule->ip_address,
		            family == AF_INET ? "IPv4" : "IPv6");
	}
	values->owner = mecdns_canonical_name(rule->domain_name);
	if (values->owner == NULL) {
		return fail(MECDNS_STORE_INVALID, "rule %s/%s: '%s' is not a valid domain name",
		            rule->app_instance_id, rule->dns_rule_id, rule->domain_name);
	}
	return MECDNS_STORE_OK;
}

/*! \brief Binds the mutable columns ?3..?10 of ST_RULE_INSERT / ST_RULE_UPDATE. */
static void bind_rule_values(sqlite3_stmt *stmt, const write_txn_t *txn, const mecdns_rule_t *rule,
                             const rule_values_t *values)
{
	bind_text(stmt, 1, rule->app_instance_id);
	bind_text(stmt, 2, rule->dns_rule_id);
	bind_text(stmt, 3, rule->domain_name);
	bind_text(stmt, 4, values->owner);
	bind_text(stmt, 5, values->ip_type);
	bind_text(stmt, 6, values->ip_address);
	if (rule->ttl == -1) {
		sqlite3_bind_null(stmt, 7);
	} else {
		sqlite3_bind_int64(stmt, 7, rule->ttl); /* Range checked by the schema. */
	}
	bind_text(stmt, 8, rule->active ? "ACTIVE" : "INACTIVE");
	sqlite3_bind_int64(stmt, 9, txn->now_ms);
	bind_u64(stmt, 10, txn->generation);
}

/*! \brief An ACTIVE rule may not join a CNAME. */
static mecdns_store_status_t check_rule_owner(write_txn_t *txn, const mecdns_rule_t *rule,
                                              const char *owner)
{
	if (!rule->active) {
		return MECDNS_STORE_OK;
	}
	owner_use_t use;
	mecdns_store_status_t status = owner_use(txn->conn, owner, &use);
	if (status == MECDNS_STORE_OK && use.cname_records > 0) {
		status = fail(MECDNS_STORE_CONFLICT,
		              "rule %s/%s: %s has a CNAME, an ACTIVE rule cannot share the name",
		              rule->app_instance_id, rule->dns_rule_id, owner);
	}
	return status;
}

/*! \brief Hands the rule read back in the transaction to the caller. */
static void rule_output(mecdns_rule_t *stored, mecdns_rule_t *out, mecdns_store_status_t status)
{
	if (status == MECDNS_STORE_OK && out != NULL) {
		*out = *stored;
	} else {
		mecdns_rule_clear(stored);
	}
}

mecdns_store_status_t mecdns_store_rule_get(mecdns_store_t *store, const char *app_instance_id,
                                            const char *dns_rule_id, mecdns_rule_t *out)
{
	memset(out, 0, sizeof(*out));
	if (app_instance_id == NULL || dns_rule_id == NULL) {
		return fail(MECDNS_STORE_INVALID, "rule get without app instance id or rule id");
	}
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	status = rule_read_existing(conn, app_instance_id, dns_rule_id, out);
	read_end(conn);
	return status;
}

mecdns_store_status_t mecdns_store_rule_list(mecdns_store_t *store, const char *app_instance_id,
                                             mecdns_rule_list_t *out)
{
	memset(out, 0, sizeof(*out));
	if (app_instance_id == NULL) {
		return fail(MECDNS_STORE_INVALID, "rule list without app instance id");
	}
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = statement(conn, ST_RULE_LIST);
	if (stmt == NULL) {
		read_end(conn);
		return MECDNS_STORE_ERROR;
	}
	bind_text(stmt, 1, app_instance_id);
	size_t capacity = 0;
	int rc = SQLITE_DONE;
	while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (out->count == capacity) {
			size_t grown = capacity == 0 ? 8 : capacity * 2;
			mecdns_rule_t *items = realloc(out->items, grown * sizeof(*items));
			if (items == NULL) {
				status = fail(MECDNS_STORE_ERROR, "list rules: out of memory");
				break;
			}
			out->items = items;
			capacity = grown;
		}
		status = rule_from_row(stmt, &out->items[out->count]);
		if (status == MECDNS_STORE_OK) {
			out->count++;
		}
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = db_fail(conn, rc, "list rules");
	}
	read_end(conn);
	if (status == MECDNS_STORE_OK && out->count == 0) {
		status =
		    fail(MECDNS_STORE_NOT_FOUND, "app instance %s has no rules", app_instance_id);
	}
	if (status != MECDNS_STORE_OK) {
		mecdns_rule_list_free(out);
	}
	return status;
}

mecdns_store_status_t mecdns_store_rule_create(mecdns_store_t *store, const mecdns_rule_t *rule,
                                               mecdns_rule_t *out)
{
	rule_values_t values;
	mecdns_store_status_t status = rule_values(rule, &values);
	if (status != MECDNS_STORE_OK) {
		free(values.owner);
		return status;
	}
	write_txn_t txn;
	status = write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		free(values.owner);
		return status;
	}

	mecdns_rule_t stored = { 0 };
	status = rule_read(txn.conn, rule->app_instance_id, rule->dns_rule_id, &stored);
	if (status == MECDNS_STORE_OK) {
		mecdns_rule_clear(&stored);
		status = fail(MECDNS_STORE_EXISTS, "rule %s/%s already exists",
		              rule->app_instance_id, rule->dns_rule_id);
	} else if (status == MECDNS_STORE_NOT_FOUND) {
		status = check_rule_owner(&txn, rule, values.owner);
	}
	if (status == MECDNS_STORE_OK) {
		sqlite3_stmt *stmt = statement(txn.conn, ST_RULE_INSERT);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			bind_rule_values(stmt, &txn, rule, &values);
			status = run(txn.conn, stmt, "insert rule");
		}
	}
	if (status == MECDNS_STORE_OK) {
		status = log_rule_change(&txn, values.owner, NULL, rule->app_instance_id,
		                         rule->dns_rule_id, rule->domain_name,
		                         rule->active ? "ACTIVE" : "INACTIVE");
	}
	if (status == MECDNS_STORE_OK && out != NULL) {
		status = rule_read(txn.conn, rule->app_instance_id, rule->dns_rule_id, &stored);
	}
	status = write_end(&txn, status, NULL);
	free(values.owner);
	rule_output(&stored, out, status);
	return status;
}

/*! \brief NOT_FOUND or STALE unless the stored rule may be changed. */
static mecdns_store_status_t check_expected_version(const mecdns_rule_t *stored,
                                                    uint64_t expected_version)
{
	if (expected_version != 0 && stored->version != expected_version) {
		return fail(MECDNS_STORE_STALE, "rule %s/%s is at version %llu, not %llu",
		            stored->app_instance_id, stored->dns_rule_id,
		            (unsigned long long)stored->version,
		            (unsigned long long)expected_version);
	}
	return MECDNS_STORE_OK;
}

mecdns_store_status_t mecdns_store_rule_update(mecdns_store_t *store, const mecdns_rule_t *rule,
                                               uint64_t expected_version, mecdns_rule_t *out)
{
	rule_values_t values;
	mecdns_store_status_t status = rule_values(rule, &values);
	if (status != MECDNS_STORE_OK) {
		free(values.owner);
		return status;
	}
	write_txn_t txn;
	status = write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		free(values.owner);
		return status;
	}

	mecdns_rule_t stored = { 0 };
	char *old_owner = NULL;
	status = rule_read_existing(txn.conn, rule->app_instance_id, rule->dns_rule_id, &stored);
	if (status == MECDNS_STORE_OK) {
		status = check_expected_version(&stored, expected_version);
		old_owner = stored.owner;
		stored.owner = NULL;
		mecdns_rule_clear(&stored);
	}
	if (status == MECDNS_STORE_OK) {
		status = check_rule_owner(&txn, rule, values.owner);
	}
	if (status == MECDNS_STORE_OK) {
		sqlite3_stmt *stmt = statement(txn.conn, ST_RULE_UPDATE);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			bind_rule_values(stmt, &txn, rule, &values);
			status = run(txn.conn, stmt, "update rule");
		}
	}
	if (status == MECDNS_STORE_OK) {
		bool moved = strcmp(old_owner, values.owner) != 0;
		status = log_rule_change(&txn, values.owner, moved ? old_owner : NULL,
		                         rule->app_instance_id, rule->dns_rule_id,
		                         rule->domain_name, rule->active ? "ACTIVE" : "INACTIVE");
	}
	if (status == MECDNS_STORE_OK && out != NULL) {
		status = rule_read(txn.conn, rule->app_instance_id, rule->dns_rule_id, &stored);
	}
	status = write_end(&txn, status, NULL);
	free(old_owner);
	free(values.owner);
	rule_output(&stored, out, status);
	return status;
}

mecdns_store_status_t mecdns_store_rule_delete(mecdns_store_t *store, const char *app_instance_id,
                                               const char *dns_rule_id, uint64_t expected_version,
                                               uint64_t *generation)
{
	if (app_instance_id == NULL || dns_rule_id == NULL) {
		return fail(MECDNS_STORE_INVALID, "rule delete without app instance id or rule id");
	}
	write_txn_t txn;
	mecdns_store_status_t status = write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	mecdns_rule_t stored = { 0 };
	status = rule_read_existing(txn.conn, app_instance_id, dns_rule_id, &stored);
	if (status == MECDNS_STORE_OK) {
		status = check_expected_version(&stored, expected_version);
	}
	if (status == MECDNS_STORE_OK) {
		sqlite3_stmt *stmt = statement(txn.conn, ST_RULE_DELETE);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			bind_text(stmt, 1, app_instance_id);
			bind_text(stmt, 2, dns_rule_id);
			status = run(txn.conn, stmt, "delete rule");
		}
	}
	if (status == MECDNS_STORE_OK) {
		status = log_rule_change(&txn, stored.owner, NULL, app_instance_id, dns_rule_id,
		                         stored.domain_name, "DELETED");
	}
	status = write_end(&txn, status, generation);
	mecdns_rule_clear(&stored);
	return status;
}

mecdns_store_status_t mecdns_store_rule_delete_app(mecdns_store_t *store,
                                                   const char *app_instance_id, size_t *deleted,
                                                   uint64_t *generation)
{
	if (deleted != NULL) {
		*deleted = 0;
	}
	if (app_instance_id == NULL) {
		return fail(MECDNS_STORE_INVALID, "app delete without app instance id");
	}
	write_txn_t txn;
	mecdns_store_status_t status = write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	/* One DELETED change row per rule, then the rules themselves. */
	size_t logged = 0;
	sqlite3_stmt *stmt = statement(txn.conn, ST_RULE_LOG_DELETE_APP);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		bind_u64(stmt, 1, txn.generation);
		sqlite3_bind_int64(stmt, 2, txn.now_ms);
		bind_text(stmt, 3, app_instance_id);
		status = run(txn.conn, stmt, "log deleted rules");
		logged = (size_t)sqlite3_changes(txn.conn->db);
	}
	if (status == MECDNS_STORE_OK && logged == 0) {
		status =
		    fail(MECDNS_STORE_NOT_FOUND, "app instance %s has no rules", app_instance_id);
	}
	if (status == MECDNS_STORE_OK) {
		txn.changes += logged;
		stmt = statement(txn.conn, ST_RULE_DELETE_APP);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			bind_text(stmt, 1, app_instance_id);
			status = run(txn.conn, stmt, "delete rules of an app instance");
		}
	}
	status = write_end(&txn, status, generation);
	if (status == MECDNS_STORE_OK && deleted != NULL) {
		*deleted = logged;
	}
	return status;
}

mecdns_store_status_t mecdns_store_rule_counts(mecdns_store_t *store, uint64_t *active,
                                               uint64_t *inactive)
{
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = statement(conn, ST_RULE_COUNTS);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			if (active != NULL) {
				*active = (uint64_t)sqlite3_column_int64(stmt, 0);
			}
			if (inactive != NULL) {
				*inactive = (uint64_t)sqlite3_column_int64(stmt, 1);
			}
			status = MECDNS_STORE_OK;
		} else {
			status = db_fail(conn, rc, "count rules");
		}
	}
	read_end(conn);
	return status;
}

/*** Resource record sets. ***/

void mecdns_rrset_clear(mecdns_rrset_t *rrset)
{
	if (rrset == NULL) {
		return;
	}
	for (size_t i = 0; i < rrset->rdata_count; i++) {
		free(rrset->rdata[i].text);
		free(rrset->rdata[i].wire);
	}
	free(rrset->rdata);
	free(rrset->zone);
	free(rrset->owner);
	memset(rrset, 0, sizeof(*rrset));
}

void mecdns_rrset_list_free(mecdns_rrset_list_t *list)
{
	if (list == NULL) {
		return;
	}
	for (size_t i = 0; i < list->count; i++) {
		mecdns_rrset_clear(&list->items[i]);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/*! \brief Whether name is canonical (as mecdns_canonical_name() makes it). */
static bool name_is_canonical(const char *name)
{
	char *canonical = mecdns_canonical_name(name);
	bool same = canonical != NULL && strcmp(canonical, name) == 0;
	free(canonical);
	return same;
}

/*! \brief Whether owner is zone or below it. */
static bool name_in_zone(const char *owner, const char *zone)
{
	if (strcmp(zone, ".") == 0) {
		return true;
	}
	size_t owner_len = strlen(owner);
	size_t zone_len = strlen(zone);
	if (owner_len == zone_len) {
		return strcmp(owner, zone) == 0;
	}
	return owner_len > zone_len && owner[owner_len - zone_len - 1] == '.' &&
	       strcmp(owner + owner_len - zone_len, zone) == 0;
}

/*! \brief INVALID unless (zone, owner, type) is a key the store can hold. */
static mecdns_store_status_t check_rrset_key(const char *zone, const char *owner, uint16_t type)
{
	if (zone == NULL || owner == NULL) {
		return fail(MECDNS_STORE_INVALID, "rrset without zone or owner");
	}
	if (!name_is_canonical(zone)) {
		return fail(MECDNS_STORE_INVALID, "zone '%s' is not a canonical domain name", zone);
	}
	if (!name_is_canonical(owner)) {
		return fail(MECDNS_STORE_INVALID, "owner '%s' is not a canonical domain name",
		            owner);
	}
	if (!name_in_zone(owner, zone)) {
		return fail(MECDNS_STORE_INVALID, "owner %s is not in zone %s", owner, zone);
	}
	if (type == 0) {
		return fail(MECDNS_STORE_INVALID, "rrset %s with RR type 0", owner);
	}
	return MECDNS_STORE_OK;
}

/*! \brief INVALID unless a set given for writing is complete. */
static mecdns_store_status_t check_rrset(const mecdns_rrset_t *set)
{
	mecdns_store_status_t status = check_rrset_key(set->zone, set->owner, set->type);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	if (set->ttl > INT32_MAX) {
		return fail(MECDNS_STORE_INVALID, "rrset %s: ttl %u is above 2147483647",
		            set->owner, set->ttl);
	}
	if (set->rdata_count > 0 && set->rdata == NULL) {
		return fail(MECDNS_STORE_INVALID, "rrset %s: rdata missing", set->owner);
	}
	for (size_t i = 0; i < set->rdata_count; i++) {
		const mecdns_rdata_t *rdata = &set->rdata[i];
		if (rdata->text == NULL || (rdata->wire == NULL && rdata->wire_len > 0)) {
			return fail(MECDNS_STORE_INVALID, "rrset %s: record %zu incomplete",
			            set->owner, i);
		}
	}
	return MECDNS_STORE_OK;
}

static int compare_rrset_keys(const void *a, const void *b)
{
	const mecdns_rrset_t *x = *(const mecdns_rrset_t *const *)a;
	const mecdns_rrset_t *y = *(const mecdns_rrset_t *const *)b;
	int cmp = strcmp(x->zone, y->zone);
	if (cmp == 0) {
		cmp = strcmp(x->owner, y->owner);
	}
	if (cmp == 0) {
		cmp = (x->type > y->type) - (x->type < y->type);
	}
	return cmp;
}

/*! \brief INVALID if one (zone, owner, type) appears twice in a batch: the
 *         request would be ambiguous. Keys must be checked already. */
static mecdns_store_status_t check_unique_keys(const mecdns_rrset_t *sets, size_t count)
{
	if (count < 2) {
		return MECDNS_STORE_OK;
	}
	const mecdns_rrset_t **sorted = malloc(count * sizeof(*sorted));
	if (sorted == NULL) {
		return fail(MECDNS_STORE_ERROR, "replace rrsets: out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		sorted[i] = &sets[i];
	}
	qsort(sorted, count, sizeof(*sorted), compare_rrset_keys);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	for (size_t i = 1; i < count; i++) {
		if (compare_rrset_keys(&sorted[i - 1], &sorted[i]) == 0) {
			char type[32];
			knot_rrtype_to_string(sorted[i]->type, type, sizeof(type));
			status = fail(MECDNS_STORE_INVALID, "rrset %s %s (zone %s) is given twice",
			              sorted[i]->owner, type, sorted[i]->zone);
			break;
		}
	}
	free(sorted);
	return status;
}

/*! \brief Binds (zone, owner, type) to ?1..?3. */
static void bind_rrset_key(sqlite3_stmt *stmt, const char *zone, const char *owner, uint16_t type)
{
	bind_text(stmt, 1, zone);
	bind_text(stmt, 2, owner);
	sqlite3_bind_int(stmt, 3, type);
}

/*! \brief Creates the set's row or updates its ttl/generation. */
static mecdns_store_status_t rrset_upsert(write_txn_t *txn, const mecdns_rrset_t *set)
{
	sqlite3_stmt *stmt = statement(txn->conn, ST_RRSET_UPSERT);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_rrset_key(stmt, set->zone, set->owner, set->type);
	sqlite3_bind_int64(stmt, 4, set->ttl);
	bind_u64(stmt, 5, txn->generation);
	sqlite3_bind_int64(stmt, 6, txn->now_ms);
	return run(txn->conn, stmt, "write rrset");
}

/*! \brief Runs a key-bound statement; *changed = rows it changed. */
static mecdns_store_status_t rrset_key_run(write_txn_t *txn, statement_id_t id, const char *zone,
                                           const char *owner, uint16_t type, const char *what,
                                           size_t *changed)
{
	sqlite3_stmt *stmt = statement(txn->conn, id);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_rrset_key(stmt, zone, owner, type);
	mecdns_store_status_t status = run(txn->conn, stmt, what);
	if (changed != NULL) {
		*changed = (size_t)sqlite3_changes(txn->conn->db);
	}
	return status;
}

/*! \brief Next free position and record count of a set. */
static mecdns_store_status_t rdata_tail(write_txn_t *txn, const mecdns_rrset_t *set,
                                        int64_t *next_pos, size_t *count)
{
	sqlite3_stmt *stmt = statement(txn->conn, ST_RDATA_TAIL);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_rrset_key(stmt, set->zone, set->owner, set->type);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*next_pos = sqlite3_column_int64(stmt, 0);
		*count = (size_t)sqlite3_column_int64(stmt, 1);
	} else {
		status = db_fail(txn->conn, rc, "read rdata positions");
	}
	statement_done(stmt);
	return status;
}

/*! \brief Whether the set already holds this wire rdata. */
static mecdns_store_status_t rdata_exists(write_txn_t *txn, const mecdns_rrset_t *set,
                                          const mecdns_rdata_t *rdata, bool *exists)
{
	sqlite3_stmt *stmt = statement(txn->conn, ST_RDATA_HAS);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_rrset_key(stmt, set->zone, set->owner, set->type);
	bind_blob(stmt, 4, rdata->wire, rdata->wire_len);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*exists = rc == SQLITE_ROW;
	} else {
		status = db_fail(txn->conn, rc, "compare rdata");
	}
	statement_done(stmt);
	return status;
}

/*! \brief Appends the set's records that it does not hold yet (same wire);
 *         *count = records in the set afterwards. */
static mecdns_store_status_t rdata_append(write_txn_t *txn, const mecdns_rrset_t *set,
                                          size_t *count)
{
	int64_t pos = 0;
	mecdns_store_status_t status = rdata_tail(txn, set, &pos, count);
	for (size_t i = 0; status == MECDNS_STORE_OK && i < set->rdata_count; i++) {
		const mecdns_rdata_t *rdata = &set->rdata[i];
		bool exists = false;
		status = rdata_exists(txn, set, rdata, &exists);
		if (status != MECDNS_STORE_OK || exists) {
			continue;
		}
		sqlite3_stmt *stmt = statement(txn->conn, ST_RDATA_INSERT);
		if (stmt == NULL) {
			return MECDNS_STORE_ERROR;
		}
		bind_rrset_key(stmt, set->zone, set->owner, set->type);
		sqlite3_bind_int64(stmt, 4, pos++);
		bind_text(stmt, 5, rdata->text);
		bind_blob(stmt, 6, rdata->wire, rdata->wire_len);
		status = run(txn->conn, stmt, "write rdata");
		if (status == MECDNS_STORE_OK) {
			(*count)++;
		}
	}
	return status;
}

/*! \brief Replaces or deletes one set inside a write transaction. */
static mecdns_store_status_t rrset_replace_one(write_txn_t *txn, const mecdns_rrset_t *set)
{
	size_t changed = 0;
	if (set->rdata_count == 0) {
		mecdns_store_status_t status =
		    rrset_key_run(txn, ST_RRSET_DELETE, set->zone, set->owner, set->type,
		                  "delete rrset", &changed);
		if (status != MECDNS_STORE_OK || changed == 0) {
			return status; /* Deleting an absent set changes nothing. */
		}
		return log_rrset_change(txn, set->zone, set->owner, set->type, 0);
	}
	mecdns_store_status_t status = rrset_upsert(txn, set);
	if (status == MECDNS_STORE_OK) {
		status = rrset_key_run(txn, ST_RDATA_CLEAR, set->zone, set->owner, set->type,
		                       "clear rdata", NULL);
	}
	size_t count = 0;
	if (status == MECDNS_STORE_OK) {
		status = rdata_append(txn, set, &count);
	}
	if (status == MECDNS_STORE_OK) {
		status = log_rrset_change(txn, set->zone, set->owner, set->type, count);
	}
	return status;
}

mecdns_store_status_t mecdns_store_rrset_replace(mecdns_store_t *store, const mecdns_rrset_t *sets,
                                                 size_t count, uint64_t *generation)
{
	if (count > 0 && sets == NULL) {
		return fail(MECDNS_STORE_INVALID, "replace rrsets: no sets given");
	}
	for (size_t i = 0; i < count; i++) {
		mecdns_store_status_t status = check_rrset(&sets[i]);
		if (status != MECDNS_STORE_OK) {
			return status;
		}
	}
	mecdns_store_status_t status = check_unique_keys(sets, count);
	if (status != MECDNS_STORE_OK) {
		return status;
	}

	write_txn_t txn;
	status = write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	for (size_t i = 0; status == MECDNS_STORE_OK && i < count; i++) {
		status = rrset_replace_one(&txn, &sets[i]);
	}
	/* The CNAME rule holds for the final state of the whole batch. */
	for (size_t i = 0; status == MECDNS_STORE_OK && i < count; i++) {
		if (sets[i].rdata_count > 0) {
			status = check_cname_exclusive(&txn, sets[i].owner);
		}
	}
	return write_end(&txn, status, generation);
}

mecdns_store_status_t mecdns_store_rrset_add(mecdns_store_t *store, const mecdns_rrset_t *set,
                                             uint64_t *generation)
{
	if (set == NULL) {
		return fail(MECDNS_STORE_INVALID, "add rrset: no set given");
	}
	mecdns_store_status_t status = check_rrset(set);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	if (set->rdata_count == 0) {
		return fail(MECDNS_STORE_INVALID, "add rrset %s: no records given", set->owner);
	}
	write_txn_t txn;
	status = write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	size_t count = 0;
	status = rrset_upsert(&txn, set);
	if (status == MECDNS_STORE_OK) {
		status = rdata_append(&txn, set, &count);
	}
	if (status == MECDNS_STORE_OK) {
		status = log_rrset_change(&txn, set->zone, set->owner, set->type, count);
	}
	if (status == MECDNS_STORE_OK) {
		status = check_cname_exclusive(&txn, set->owner);
	}
	return write_end(&txn, status, generation);
}

mecdns_store_status_t mecdns_store_rrset_delete(mecdns_store_t *store, const char *zone,
                                                const char *owner, uint16_t type,
                                                uint64_t *generation)
{
	mecdns_store_status_t status = check_rrset_key(zone, owner, type);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	write_txn_t txn;
	status = write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	size_t changed = 0;
	status = rrset_key_run(&txn, ST_RRSET_DELETE, zone, owner, type, "delete rrset", &changed);
	if (status == MECDNS_STORE_OK && changed == 0) {
		status = fail(MECDNS_STORE_NOT_FOUND, "rrset %s type %u in zone %s not found",
		              owner, type, zone);
	}
	if (status == MECDNS_STORE_OK) {
		status = log_rrset_change(&txn, zone, owner, type, 0);
	}
	return write_end(&txn, status, generation);
}

/*! \brief Appends one rdata row (text, wire columns) to a set being read. */
static bool rrset_push_rdata(mecdns_rrset_t *set, size_t *capacity, sqlite3_stmt *stmt)
{
	if (set->rdata_count == *capacity) {
		size_t grown = *capacity == 0 ? 4 : *capacity * 2;
		mecdns_rdata_t *rdata = realloc(set->rdata, grown * sizeof(*rdata));
		if (rdata == NULL) {
			return false;
		}
		set->rdata = rdata;
		*capacity = grown;
	}
	mecdns_rdata_t *rdata = &set->rdata[set->rdata_count];
	int len = sqlite3_column_bytes(stmt, 6);
	const void *wire = sqlite3_column_blob(stmt, 6);
	rdata->text = dup_column(stmt, 5);
	rdata->wire = malloc(len > 0 ? (size_t)len : 1);
	rdata->wire_len = (uint16_t)len;
	if (rdata->text == NULL || rdata->wire == NULL) {
		free(rdata->text);
		free(rdata->wire);
		return false;
	}
	if (len > 0) {
		memcpy(rdata->wire, wire, (size_t)len);
	}
	set->rdata_count++;
	return true;
}

/*! \brief Collects RRSET_SELECT rows (ordered by key, pos) into sets. */
static mecdns_store_status_t rrsets_from_rows(connection_t *conn, sqlite3_stmt *stmt,
                                              mecdns_rrset_list_t *out)
{
	size_t capacity = 0;
	size_t rdata_capacity = 0;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *zone = (const char *)sqlite3_column_text(stmt, 0);
		const char *owner = (const char *)sqlite3_column_text(stmt, 1);
		uint16_t type = (uint16_t)sqlite3_column_int(stmt, 2);
		mecdns_rrset_t *set = out->count > 0 ? &out->items[out->count - 1] : NULL;
		if (set == NULL || set->type != type || strcmp(set->owner, owner) != 0 ||
		    strcmp(set->zone, zone) != 0) {
			if (out->count == capacity) {
				size_t grown = capacity == 0 ? 8 : capacity * 2;
				mecdns_rrset_t *items = realloc(out->items, grown * sizeof(*items));
				if (items == NULL) {
					return fail(MECDNS_STORE_ERROR,
					            "read rrsets: out of memory");
				}
				out->items = items;
				capacity = grown;
			}
			set = &out->items[out->count++];
			memset(set, 0, sizeof(*set));
			rdata_capacity = 0;
			set->zone = strdup(zone);
			set->owner = strdup(owner);
			set->type = type;
			set->ttl = (uint32_t)sqlite3_column_int64(stmt, 3);
			set->generation = (uint64_t)sqlite3_column_int64(stmt, 4);
			if (set->zone == NULL || set->owner == NULL) {
				return fail(MECDNS_STORE_ERROR, "read rrsets: out of memory");
			}
		}
		if (sqlite3_column_type(stmt, 5) != SQLITE_NULL &&
		    !rrset_push_rdata(set, &rdata_capacity, stmt)) {
			return fail(MECDNS_STORE_ERROR, "read rrsets: out of memory");
		}
	}
	if (rc != SQLITE_DONE) {
		return db_fail(conn, rc, "read rrsets");
	}
	return MECDNS_STORE_OK;
}

mecdns_store_status_t mecdns_store_rrset_get(mecdns_store_t *store, const char *zone,
                                             const char *owner, uint16_t type, mecdns_rrset_t *out)
{
	memset(out, 0, sizeof(*out));
	if (zone == NULL || owner == NULL) {
		return fail(MECDNS_STORE_INVALID, "rrset get without zone or owner");
	}
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	mecdns_rrset_list_t list = { 0 };
	sqlite3_stmt *stmt = statement(conn, ST_RRSET_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		bind_rrset_key(stmt, zone, owner, type);
		status = rrsets_from_rows(conn, stmt, &list);
	}
	read_end(conn);
	if (status == MECDNS_STORE_OK && list.count == 0) {
		status = fail(MECDNS_STORE_NOT_FOUND, "rrset %s type %u in zone %s not found",
		              owner, type, zone);
	}
	if (status == MECDNS_STORE_OK) {
		*out = list.items[0];
		list.items[0] = (mecdns_rrset_t){ 0 };
	}
	mecdns_rrset_list_free(&list);
	return status;
}

mecdns_store_status_t mecdns_store_rrset_list(mecdns_store_t *store, const char *zone,
                                              mecdns_rrset_list_t *out)
{
	memset(out, 0, sizeof(*out));
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = statement(conn, zone != NULL ? ST_RRSET_LIST_ZONE : ST_RRSET_LIST_ALL);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		bind_text(stmt, 1, zone);
		status = rrsets_from_rows(conn, stmt, out);
	}
	read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_rrset_list_free(out);
	}
	return status;
}

/*** Change log, state, outbox cursor, pruning. ***/

static void change_free(mecdns_change_t *change)
{
	free((char *)change->owner);
	free((char *)change->prev_owner);
	free((char *)change->app_instance_id);
	free((char *)change->dns_rule_id);
	free((char *)change->domain_name);
	free((char *)change->state);
	free((char *)change->zone);
	free((char *)change->rrtype);
}

/*! \brief Copies one changes row (strings malloc'd). */
static bool change_from_row(sqlite3_stmt *stmt, mecdns_change_t *change)
{
	memset(change, 0, sizeof(*change));
	change->seq = (uint64_t)sqlite3_column_int64(stmt, 0);
	change->generation = (uint64_t)sqlite3_column_int64(stmt, 1);
	change->committed_ms = sqlite3_column_int64(stmt, 2);
	const unsigned char *kind = sqlite3_column_text(stmt, 3);
	change->kind = (kind != NULL && strcmp((const char *)kind, "rule") == 0)
	                   ? MECDNS_CHANGE_RULE
	                   : MECDNS_CHANGE_RRSET;
	change->owner = dup_column(stmt, 4);
	change->prev_owner = dup_column(stmt, 5);
	change->app_instance_id = dup_column(stmt, 6);
	change->dns_rule_id = dup_column(stmt, 7);
	change->domain_name = dup_column(stmt, 8);
	change->state = dup_column(stmt, 9);
	change->zone = dup_column(stmt, 10);
	change->rrtype = dup_column(stmt, 11);
	change->rdata_count = (uint32_t)sqlite3_column_int64(stmt, 12);
	/* Only owner is NOT NULL in the schema; a NULL elsewhere is no error. */
	return change->owner != NULL;
}

/*! \brief Copies up to limit changes after after_seq in one read transaction. */
static mecdns_store_status_t changes_batch(mecdns_store_t *store, uint64_t after_seq, size_t limit,
                                           mecdns_change_t *batch, size_t *count)
{
	*count = 0;
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = statement(conn, ST_CHANGES_AFTER);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		bind_u64(stmt, 1, after_seq);
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit);
		status = MECDNS_STORE_OK;
		int rc;
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			if (!change_from_row(stmt, &batch[*count])) {
				change_free(&batch[*count]);
				status = fail(MECDNS_STORE_ERROR, "read changes: out of memory");
				break;
			}
			(*count)++;
		}
		if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
			status = db_fail(conn, rc, "read changes");
		}
	}
	read_end(conn);
	return status;
}

mecdns_store_status_t mecdns_store_changes(mecdns_store_t *store, uint64_t after_seq, size_t limit,
                                           mecdns_change_cb cb, void *ctx)
{
	if (cb == NULL) {
		return fail(MECDNS_STORE_INVALID, "read changes without a callback");
	}
	/* Rows are copied in batches and the callback runs with no lock held, so
	 * it may call the store (set_signalled, reads) itself. Change rows never
	 * change once written, so batches read in separate transactions still
	 * form one ordered stream. */
	mecdns_change_t *batch = malloc(CHANGES_BATCH * sizeof(*batch));
	if (batch == NULL) {
		return fail(MECDNS_STORE_ERROR, "read changes: out of memory");
	}
	size_t delivered = 0;
	bool go_on = true;
	mecdns_store_status_t status = MECDNS_STORE_OK;
	while (go_on && (limit == 0 || delivered < limit)) {
		size_t want = CHANGES_BATCH;
		if (limit != 0 && limit - delivered < want) {
			want = limit - delivered;
		}
		size_t count = 0;
		status = changes_batch(store, after_seq, want, batch, &count);
		for (size_t i = 0; i < count; i++) {
			if (go_on && status == MECDNS_STORE_OK) {
				go_on = cb(&batch[i], ctx);
			}
			after_seq = batch[i].seq;
			change_free(&batch[i]);
		}
		delivered += count;
		if (status != MECDNS_STORE_OK || count < want) {
			break;
		}
	}
	free(batch);
	return status;
}

mecdns_store_status_t mecdns_store_state(mecdns_store_t *store, uint64_t *generation,
                                         uint64_t *pruned_through, uint64_t *signalled_seq)
{
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = statement(conn, ST_STATE_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			if (generation != NULL) {
				*generation = (uint64_t)sqlite3_column_int64(stmt, 0);
			}
			if (pruned_through != NULL) {
				*pruned_through = (uint64_t)sqlite3_column_int64(stmt, 1);
			}
			if (signalled_seq != NULL) {
				*signalled_seq = (uint64_t)sqlite3_column_int64(stmt, 2);
			}
			status = MECDNS_STORE_OK;
		} else if (rc == SQLITE_DONE) {
			status = fail(MECDNS_STORE_CORRUPT, "read state: the state row is missing");
		} else {
			status = db_fail(conn, rc, "read state");
		}
	}
	read_end(conn);
	return status;
}

/*! \brief Runs housekeeping that changes no data (no generation, no change
 *         row) as one write of a group (its own savepoint). */
static mecdns_store_status_t housekeeping_begin(mecdns_store_t *store, connection_t **conn)
{
	*conn = &store->writer;
	return writer_enter(store);
}

static mecdns_store_status_t housekeeping_end(mecdns_store_t *store, mecdns_store_status_t status)
{
	return writer_leave(store, status);
}

mecdns_store_status_t mecdns_store_set_signalled(mecdns_store_t *store, uint64_t seq)
{
	connection_t *conn;
	mecdns_store_status_t status = housekeeping_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = statement(conn, ST_SET_SIGNALLED);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		bind_u64(stmt, 1, seq);
		status = run(conn, stmt, "move the signal cursor");
	}
	return housekeeping_end(store, status);
}

mecdns_store_status_t mecdns_store_prune(mecdns_store_t *store, int64_t keep_ms, size_t *deleted)
{
	if (deleted != NULL) {
		*deleted = 0;
	}
	if (keep_ms < 0) {
		return fail(MECDNS_STORE_INVALID, "prune: negative retention %lld ms",
		            (long long)keep_ms);
	}
	connection_t *conn;
	mecdns_store_status_t status = housekeeping_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	size_t removed = 0;
	sqlite3_stmt *stmt = statement(conn, ST_PRUNE);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, mecdns_now_ms() - keep_ms);
		status = run(conn, stmt, "prune the change log");
		removed = (size_t)sqlite3_changes(conn->db);
	}
	if (status == MECDNS_STORE_OK) {
		status = run_plain(conn, ST_PRUNED_THROUGH, "record the pruned generation");
	}
	status = housekeeping_end(store, status);
	if (status == MECDNS_STORE_OK && deleted != NULL) {
		*deleted = removed;
	}
	return status;
}

/*** Zone sync: answer rows under a zone, ownership, cursor. ***/

void mecdns_zone_record_list_free(mecdns_zone_record_list_t *list)
{
	if (list == NULL) {
		return;
	}
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].owner);
		free(list->items[i].text);
		free(list->items[i].wire);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

void mecdns_zone_snapshot_free(mecdns_zone_snapshot_t *snapshot)
{
	if (snapshot == NULL) {
		return;
	}
	for (size_t i = 0; i < snapshot->owner_count; i++) {
		free(snapshot->owners[i]);
	}
	free(snapshot->owners);
	mecdns_zone_record_list_free(&snapshot->records);
	memset(snapshot, 0, sizeof(*snapshot));
}

/*! A record list being filled (capacity beside the public list). */
typedef struct {
	mecdns_zone_record_list_t *list;
	size_t capacity;
} record_builder_t;

/*! \brief Appends one record (copies everything); false without memory. */
static bool record_push(record_builder_t *b, const char *owner, uint16_t type, int64_t ttl,
                        const char *text, const void *wire, size_t wire_len)
{
	mecdns_zone_record_list_t *list = b->list;
	if (list->count == b->capacity) {
		size_t grown = b->capacity == 0 ? 16 : b->capacity * 2;
		mecdns_zone_record_t *items = realloc(list->items, grown * sizeof(*items));
		if (items == NULL) {
			return false;
		}
		list->items = items;
		b->capacity = grown;
	}
	mecdns_zone_record_t *record = &list->items[list->count];
	record->owner = strdup(owner);
	record->text = strdup(text);
	record->wire = malloc(wire_len > 0 ? wire_len : 1);
	if (record->owner == NULL || record->text == NULL || record->wire == NULL) {
		free(record->owner);
		free(record->text);
		free(record->wire);
		return false;
	}
	if (wire_len > 0) {
		memcpy(record->wire, wire, wire_len);
	}
	record->type = type;
	record->ttl = ttl;
	record->wire_len = (uint16_t)wire_len;
	list->count++;
	return true;
}

/*! \brief Adds the record of one ACTIVE rule row (owner, ip_address_type,
 *         ip_address, ttl) when its owner is in the zone. */
static mecdns_store_status_t zone_rule_row(record_builder_t *b, sqlite3_stmt *stmt,
                                           const char *zone)
{
	const char *owner = (const char *)sqlite3_column_text(stmt, 0);
	const char *ip_type = (const char *)sqlite3_column_text(stmt, 1);
	const char *ip = (const char *)sqlite3_column_text(stmt, 2);
	if (owner == NULL || ip_type == NULL || ip == NULL || !name_in_zone(owner, zone)) {
		return MECDNS_STORE_OK;
	}
	bool v4 = strcmp(ip_type, "IP_V4") == 0;
	uint8_t addr[16];
	if (inet_pton(v4 ? AF_INET : AF_INET6, ip, addr) != 1) {
		return MECDNS_STORE_OK; /* A hostile row; the module skips it too. */
	}
	int64_t ttl =
	    sqlite3_column_type(stmt, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 3);
	if (!record_push(b, owner, v4 ? 1 : 28, ttl, ip, addr, v4 ? 4 : 16)) {
		return fail(MECDNS_STORE_ERROR, "read zone records: out of memory");
	}
	return MECDNS_STORE_OK;
}

/*! \brief Adds one rdata row (owner, type, ttl, text, wire) when its owner
 *         is in the zone. */
static mecdns_store_status_t zone_rdata_row(record_builder_t *b, sqlite3_stmt *stmt,
                                            const char *zone)
{
	const char *owner = (const char *)sqlite3_column_text(stmt, 0);
	const char *text = (const char *)sqlite3_column_text(stmt, 3);
	if (owner == NULL || text == NULL || !name_in_zone(owner, zone)) {
		return MECDNS_STORE_OK;
	}
	int type = sqlite3_column_int(stmt, 1);
	if (type < 1 || type > 65535) {
		return MECDNS_STORE_OK;
	}
	if (!record_push(b, owner, (uint16_t)type, sqlite3_column_int64(stmt, 2), text,
	                 sqlite3_column_blob(stmt, 4), (size_t)sqlite3_column_bytes(stmt, 4))) {
		return fail(MECDNS_STORE_ERROR, "read zone records: out of memory");
	}
	return MECDNS_STORE_OK;
}

/*! \brief Steps a statement through a row function. */
static mecdns_store_status_t zone_rows(connection_t *conn, sqlite3_stmt *stmt, record_builder_t *b,
                                       const char *zone, bool rules)
{
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = SQLITE_DONE;
	while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		status = rules ? zone_rule_row(b, stmt, zone) : zone_rdata_row(b, stmt, zone);
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = db_fail(conn, rc, "read zone records");
	}
	statement_done(stmt);
	return status;
}

/*! \brief Rules then rdata, of one owner (owner != NULL) or of every owner. */
static mecdns_store_status_t zone_read_owner(connection_t *conn, record_builder_t *b,
                                             const char *zone, const char *owner)
{
	statement_id_t ids[2] = { owner != NULL ? ST_ZONE_RULES_OWNER : ST_ZONE_RULES_ALL,
		                  owner != NULL ? ST_ZONE_RDATA_OWNER : ST_ZONE_RDATA_ALL };
	mecdns_store_status_t status = MECDNS_STORE_OK;
	for (int i = 0; status == MECDNS_STORE_OK && i < 2; i++) {
		sqlite3_stmt *stmt = statement(conn, ids[i]);
		if (stmt == NULL) {
			return MECDNS_STORE_ERROR;
		}
		if (owner != NULL) {
			bind_text(stmt, 1, owner);
		}
		status = zone_rows(conn, stmt, b, zone, i == 0);
	}
	return status;
}

static int compare_zone_records(const void *a, const void *b)
{
	const mecdns_zone_record_t *x = a;
	const mecdns_zone_record_t *y = b;
	int cmp = strcmp(x->owner, y->owner);
	if (cmp != 0) {
		return cmp;
	}
	return (int)x->type - (int)y->type;
}

/*! \brief The owners in zone changed in (since, generation], into out. */
static mecdns_store_status_t zone_changed_owners(connection_t *conn, const char *zone,
                                                 uint64_t since, uint64_t generation,
                                                 mecdns_zone_snapshot_t *out)
{
	sqlite3_stmt *stmt = statement(conn, ST_ZONE_CHANGED_OWNERS);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_u64(stmt, 1, since);
	bind_u64(stmt, 2, generation);
	size_t capacity = 0;
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = SQLITE_DONE;
	while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(stmt, 0);
		if (owner == NULL || !name_in_zone(owner, zone)) {
			continue;
		}
		if (out->owner_count == capacity) {
			size_t grown = capacity == 0 ? 16 : capacity * 2;
			char **owners = realloc(out->owners, grown * sizeof(*owners));
			if (owners == NULL) {
				status =
				    fail(MECDNS_STORE_ERROR, "read changed owners: out of memory");
				break;
			}
			out->owners = owners;
			capacity = grown;
		}
		out->owners[out->owner_count] = strdup(owner);
		if (out->owners[out->owner_count] == NULL) {
			status = fail(MECDNS_STORE_ERROR, "read changed owners: out of memory");
			break;
		}
		out->owner_count++;
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = db_fail(conn, rc, "read changed owners");
	}
	statement_done(stmt);
	return status;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*! \brief Sorts the owner list and drops duplicates. */
static void owners_sort_unique(mecdns_zone_snapshot_t *out)
{
	if (out->owner_count < 2) {
		return;
	}
	qsort(out->owners, out->owner_count, sizeof(out->owners[0]), compare_names);
	size_t kept = 1;
	for (size_t i = 1; i < out->owner_count; i++) {
		if (strcmp(out->owners[i], out->owners[kept - 1]) == 0) {
			free(out->owners[i]);
		} else {
			out->owners[kept++] = out->owners[i];
		}
	}
	out->owner_count = kept;
}

/*! \brief Appends copies of the extra owners that are in the zone. */
static mecdns_store_status_t owners_add(mecdns_zone_snapshot_t *out, const char *zone,
                                        char *const *also, size_t also_count)
{
	if (also_count == 0) {
		return MECDNS_STORE_OK;
	}
	char **owners = realloc(out->owners, (out->owner_count + also_count) * sizeof(*owners));
	if (owners == NULL) {
		return fail(MECDNS_STORE_ERROR, "read zone records: out of memory");
	}
	out->owners = owners;
	for (size_t i = 0; i < also_count; i++) {
		if (also[i] == NULL || !name_in_zone(also[i], zone)) {
			continue;
		}
		out->owners[out->owner_count] = strdup(also[i]);
		if (out->owners[out->owner_count] == NULL) {
			return fail(MECDNS_STORE_ERROR, "read zone records: out of memory");
		}
		out->owner_count++;
	}
	owners_sort_unique(out);
	return MECDNS_STORE_OK;
}

mecdns_store_status_t mecdns_store_zone_snapshot(mecdns_store_t *store, const char *zone,
                                                 uint64_t since, char *const *also,
                                                 size_t also_count, mecdns_zone_snapshot_t *out)
{
	memset(out, 0, sizeof(*out));
	if (zone == NULL || !name_is_canonical(zone)) {
		return fail(MECDNS_STORE_INVALID,
		            "zone snapshot: \"%s\" is not a canonical zone name",
		            zone != NULL ? zone : "(null)");
	}
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	uint64_t pruned_through = 0;
	sqlite3_stmt *stmt = statement(conn, ST_STATE_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			out->generation = (uint64_t)sqlite3_column_int64(stmt, 0);
			pruned_through = (uint64_t)sqlite3_column_int64(stmt, 1);
			status = MECDNS_STORE_OK;
		} else if (rc == SQLITE_DONE) {
			status = fail(MECDNS_STORE_CORRUPT, "read state: the state row is missing");
		} else {
			status = db_fail(conn, rc, "read state");
		}
		statement_done(stmt);
	}

	out->whole_zone = since == 0 || since < pruned_through || since > out->generation;
	record_builder_t builder = { .list = &out->records };
	if (status == MECDNS_STORE_OK && out->whole_zone) {
		status = zone_read_owner(conn, &builder, zone, NULL);
	} else if (status == MECDNS_STORE_OK) {
		status = zone_changed_owners(conn, zone, since, out->generation, out);
		if (status == MECDNS_STORE_OK && also != NULL) {
			status = owners_add(out, zone, also, also_count);
		}
		for (size_t i = 0; status == MECDNS_STORE_OK && i < out->owner_count; i++) {
			status = zone_read_owner(conn, &builder, zone, out->owners[i]);
		}
	}
	read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_zone_snapshot_free(out);
		return status;
	}
	if (out->records.count > 1) {
		qsort(out->records.items, out->records.count, sizeof(out->records.items[0]),
		      compare_zone_records);
	}
	return MECDNS_STORE_OK;
}

/*! \brief Adds the ownership rows of a statement (owner, type, ttl, text, wire). */
static mecdns_store_status_t owned_rows(connection_t *conn, sqlite3_stmt *stmt, record_builder_t *b)
{
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = SQLITE_DONE;
	while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(stmt, 0);
		const char *text = (const char *)sqlite3_column_text(stmt, 3);
		if (owner == NULL || text == NULL) {
			continue;
		}
		if (!record_push(b, owner, (uint16_t)sqlite3_column_int(stmt, 1),
		                 sqlite3_column_int64(stmt, 2), text, sqlite3_column_blob(stmt, 4),
		                 (size_t)sqlite3_column_bytes(stmt, 4))) {
			status = fail(MECDNS_STORE_ERROR, "read owned records: out of memory");
		}
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = db_fail(conn, rc, "read owned records");
	}
	statement_done(stmt);
	return status;
}

mecdns_store_status_t mecdns_store_zone_owned(mecdns_store_t *store, const char *zone,
                                              char *const *owners, size_t owner_count,
                                              mecdns_zone_record_list_t *out)
{
	memset(out, 0, sizeof(*out));
	if (zone == NULL) {
		return fail(MECDNS_STORE_INVALID, "owned records without a zone");
	}
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	record_builder_t builder = { .list = out };
	size_t rounds = owners != NULL ? owner_count : 1;
	for (size_t i = 0; status == MECDNS_STORE_OK && i < rounds; i++) {
		sqlite3_stmt *stmt =
		    statement(conn, owners != NULL ? ST_OWNED_OWNER : ST_OWNED_ZONE);
		if (stmt == NULL) {
			status = MECDNS_STORE_ERROR;
			break;
		}
		bind_text(stmt, 1, zone);
		if (owners != NULL) {
			bind_text(stmt, 2, owners[i]);
		}
		status = owned_rows(conn, stmt, &builder);
	}
	read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_zone_record_list_free(out);
	}
	return status;
}

mecdns_store_status_t mecdns_store_zone_sync_get(mecdns_store_t *store, const char *zone,
                                                 uint64_t *generation, uint32_t *serial)
{
	if (zone == NULL) {
		return fail(MECDNS_STORE_INVALID, "sync state without a zone");
	}
	connection_t *conn;
	mecdns_store_status_t status = read_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = statement(conn, ST_SYNC_STATE_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		bind_text(stmt, 1, zone);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			if (generation != NULL) {
				*generation = (uint64_t)sqlite3_column_int64(stmt, 0);
			}
			if (serial != NULL) {
				*serial = (uint32_t)sqlite3_column_int64(stmt, 1);
			}
			status = MECDNS_STORE_OK;
		} else if (rc == SQLITE_DONE) {
			status = fail(MECDNS_STORE_NOT_FOUND, "zone %s was never synced", zone);
		} else {
			status = db_fail(conn, rc, "read sync state");
		}
		statement_done(stmt);
	}
	read_end(conn);
	return status;
}

/*! \brief Deletes the ownership of the zone, or of the listed owners. */
static mecdns_store_status_t owned_delete(connection_t *conn, const char *zone, char *const *owners,
                                          size_t owner_count)
{
	size_t rounds = owners != NULL ? owner_count : 1;
	mecdns_store_status_t status = MECDNS_STORE_OK;
	for (size_t i = 0; status == MECDNS_STORE_OK && i < rounds; i++) {
		sqlite3_stmt *stmt =
		    statement(conn, owners != NULL ? ST_OWNED_DELETE_OWNER : ST_OWNED_DELETE_ZONE);
		if (stmt == NULL) {
			return MECDNS_STORE_ERROR;
		}
		bind_text(stmt, 1, zone);
		if (owners != NULL) {
			bind_text(stmt, 2, owners[i]);
		}
		status = run(conn, stmt, "forget owned records");
	}
	return status;
}

mecdns_store_status_t mecdns_store_zone_sync_save(mecdns_store_t *store, const char *zone,
                                                  char *const *owners, size_t owner_count,
                                                  const mecdns_zone_record_t *owned,
                                                  size_t owned_count, uint64_t generation,
                                                  uint32_t serial)
{
	if (zone == NULL || !name_is_canonical(zone) || (owned == NULL && owned_count > 0)) {
		return fail(MECDNS_STORE_INVALID, "sync save: no canonical zone or no records");
	}
	for (size_t i = 0; i < owned_count; i++) {
		if (owned[i].owner == NULL || owned[i].text == NULL ||
		    !name_in_zone(owned[i].owner, zone) || owned[i].ttl < 0 ||
		    owned[i].ttl > INT32_MAX || owned[i].type == 0) {
			return fail(MECDNS_STORE_INVALID,
			            "sync save: record %s type %u is not one "
			            "of zone %s",
			            owned[i].owner != NULL ? owned[i].owner : "(null)",
			            owned[i].type, zone);
		}
	}
	connection_t *conn;
	mecdns_store_status_t status = housekeeping_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	status = owned_delete(conn, zone, owners, owner_count);
	for (size_t i = 0; status == MECDNS_STORE_OK && i < owned_count; i++) {
		sqlite3_stmt *stmt = statement(conn, ST_OWNED_INSERT);
		if (stmt == NULL) {
			status = MECDNS_STORE_ERROR;
			break;
		}
		bind_text(stmt, 1, zone);
		bind_text(stmt, 2, owned[i].owner);
		sqlite3_bind_int(stmt, 3, owned[i].type);
		sqlite3_bind_int64(stmt, 4, owned[i].ttl);
		bind_text(stmt, 5, owned[i].text);
		bind_blob(stmt, 6, owned[i].wire, owned[i].wire_len);
		status = run(conn, stmt, "record an owned record");
	}
	if (status == MECDNS_STORE_OK) {
		sqlite3_stmt *stmt = statement(conn, ST_SYNC_STATE_SET);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			bind_text(stmt, 1, zone);
			bind_u64(stmt, 2, generation);
			sqlite3_bind_int64(stmt, 3, serial);
			sqlite3_bind_int64(stmt, 4, mecdns_now_ms());
			status = run(conn, stmt, "move the zone sync cursor");
		}
	}
	return housekeeping_end(store, status);
}
