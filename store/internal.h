/* SPDX-License-Identifier: GPL-3.0-or-later */

/*  mecdns store, internal header: shared by the files of store/ only;
 *  store/store.h is the contract.
 *
 *  The store is the only code that writes SQL.
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
 *  Prepared statements are cached per connection (table STATEMENTS in
 *  connection.c)
 *  and reset when a transaction ends.
 *
 *  Invariant kept by every write (checked inside its transaction, on the
 *  final state): an owner that has a CNAME rrset (in any zone) has exactly
 *  one CNAME record there and nothing else: no other rrset type and no
 *  ACTIVE rule.
 */

#pragma once

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <sqlite3.h>

#include "common/answer.h"
#include "common/subnet.h"
#include "schema/schema.h"
#include "store/store.h"

/*! Change log rows copied per read transaction by mecdns_store_changes(). */
#define CHANGES_BATCH 256
/*! Most writes committed together by one COMMIT (group commit). */
#define GROUP_MAX 64

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
	ST_CURSOR_OPEN,
	ST_CURSOR_GET,
	ST_CURSOR_SET,
	ST_CURSOR_DROP,
	ST_PRUNE,
	ST_PRUNED_THROUGH,
	ST_OWNER_USE,
	ST_GRANT_AT,
	ST_GRANT_ADD,
	ST_GRANT_BELOW,
	ST_GRANT_SET,
	ST_GRANT_DELETE,
	ST_GRANT_DELETE_SOURCE,
	ST_GRANT_LIST,
	ST_RULE_GET,
	ST_RULE_LIST,
	ST_RULE_INSERT,
	ST_RULE_UPDATE,
	ST_RULE_DELETE,
	ST_RULE_LOG_DELETE_APP,
	ST_RULE_DELETE_APP,
	ST_CONTEXT_GET,
	ST_CONTEXT_PUT,
	ST_CONTEXT_DELETE,
	ST_RULE_SET_REPORT,
	ST_CONTEXT_REPORTERS,
	ST_RULE_COUNTS,
	ST_COUNTS,
	ST_RRSET_UPSERT,
	ST_RRSET_DELETE,
	ST_RDATA_CLEAR,
	ST_RDATA_HAS,
	ST_RDATA_TAIL,
	ST_RDATA_INSERT,
	ST_RRSET_GET,
	ST_RRSET_LIST_ZONE,
	ST_RRSET_LIST_ALL,
	ST_RRSET_PAGE_ZONE,
	ST_RRSET_PAGE_ALL,
	ST_NAME_RULES,
	ST_RULE_PAGE,
	ST_APP_COUNTS,
	ST_OWNER_ALONE,
	ST_NAME_RRSETS,
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
	mecdns_store_guard_cb guard; /*!< mecdns_store_set_guard(), or NULL. */
	void *guard_ctx;
};

/*! One write transaction in progress. */
typedef struct {
	mecdns_store_t *store;
	connection_t *conn;
	uint64_t generation; /*!< The generation this transaction commits. */
	int64_t now_ms;      /*!< Timestamp of every row it writes. */
	size_t changes;      /*!< Change log rows appended so far. */
} write_txn_t;

/*! What one owner holds, across every zone. */
typedef struct {
	int64_t cname_records;
	int64_t other_rrsets;
	int64_t active_rules;
	/*! What an answer of the type asked for carries: records of every
	 *  zone's set and ACTIVE rules (A: IPv4, AAAA: IPv6), their data. */
	int64_t answer_records;
	int64_t answer_bytes;
} owner_use_t;

/*** Shared between the files of the store (internal). ***/

extern _Thread_local char store_last_error[512];

void store_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

mecdns_store_status_t store_fail(mecdns_store_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*! \brief Records the connection's error for an operation and maps it. */
mecdns_store_status_t store_db_fail(connection_t *conn, int rc, const char *what);

/*! \brief Returns a cached store_statement with bindings cleared, or NULL. */
sqlite3_stmt *store_statement(connection_t *conn, statement_id_t id);

/*! \brief Ends the use of a store_statement (bindings may point to caller memory). */
void store_statement_done(sqlite3_stmt *stmt);

/*! \brief Resets every cached store_statement, so none holds a read open. */
void store_statements_reset(connection_t *conn);

void store_bind_text(sqlite3_stmt *stmt, int index, const char *text);

/*! \brief Binds an unsigned value, clamped to SQLite's signed 64-bit range. */
void store_bind_u64(sqlite3_stmt *stmt, int index, uint64_t value);

void store_bind_blob(sqlite3_stmt *stmt, int index, const uint8_t *data, size_t len);

/*! \brief Runs a store_statement that returns no row of interest. */
mecdns_store_status_t store_run(connection_t *conn, sqlite3_stmt *stmt, const char *what);

/*! \brief Runs a cached store_statement without parameters. */
mecdns_store_status_t store_run_plain(connection_t *conn, statement_id_t id, const char *what);

/*! \brief Locks the reader and starts a read transaction; its first step
 *         reads the generation (into *generation unless NULL), which fixes
 *         the snapshot every later step of the transaction sees. */
mecdns_store_status_t store_read_begin(mecdns_store_t *store, connection_t **conn,
                                       uint64_t *generation);

/*! \brief store_read_begin() and the cached statement id of the reader; on
 *         failure the transaction is ended again (nothing held). */
mecdns_store_status_t store_read_statement(mecdns_store_t *store, statement_id_t id,
                                           connection_t **conn, sqlite3_stmt **stmt,
                                           uint64_t *generation);

/*! \brief Ends a read transaction and unlocks the reader. */
void store_read_end(connection_t *conn);

/*! \brief Appends the rows of a RULE_COLUMNS statement to out (rules.c). */
mecdns_store_status_t store_rules_from_rows(connection_t *conn, sqlite3_stmt *stmt,
                                            mecdns_rule_list_t *out);

/*! \brief Reads rows of RRSET_SELECT's columns (ordered by key, pos) into
 *         sets (rrsets.c). With a page (max_sets, max_bytes; SIZE_MAX for
 *         none), stops before the set that would pass max_sets or that
 *         starts after max_bytes of record data were read, and says so in
 *         *more (NULL without a page). */
mecdns_store_status_t store_rrsets_from_rows(connection_t *conn, sqlite3_stmt *stmt,
                                             mecdns_rrset_list_t *out, size_t max_sets,
                                             size_t max_bytes, bool *more);

/*!
 * \brief Locks the writer, joins (or opens, with BEGIN IMMEDIATE) the
 *        group's transaction and starts the calling write's savepoint.
 *        On failure nothing is left open and the lock is released.
 */
mecdns_store_status_t store_writer_enter(mecdns_store_t *store);

/*!
 * \brief Ends the calling write's savepoint: RELEASE when status is OK,
 *        else ROLLBACK TO (the write alone changes nothing). A successful
 *        write then waits for its group's COMMIT, committing it itself when
 *        no other writer is waiting for the lock. Unlocks the writer.
 *
 * \return The final status (a failed COMMIT turns OK into its error).
 */
mecdns_store_status_t store_writer_leave(mecdns_store_t *store, mecdns_store_status_t status);

/*! \brief Enters the writer (savepoint in the group's transaction), picks
 *         the next generation. */
mecdns_store_status_t store_write_begin(mecdns_store_t *store, write_txn_t *txn);

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
mecdns_store_status_t store_write_end(write_txn_t *txn, mecdns_store_status_t status,
                                      uint64_t *generation);

mecdns_store_status_t store_log_rule_change(write_txn_t *txn, const char *owner,
                                            const char *prev_owner, const char *app_instance_id,
                                            const char *dns_rule_id, const char *domain_name,
                                            const char *state, const char *client_subnets);

/*! \brief Logs a change of the set with key's (zone, owner, type, scope). */
mecdns_store_status_t store_log_rrset_change(write_txn_t *txn, const mecdns_rrset_t *key,
                                             size_t rdata_count);

/*! \brief Inserts a new rule in txn with every check a create makes but
 *         the guard (store_rule_guard(), before the transaction); without
 *         grants, name grants neither block it nor are taken (the
 *         operator's own rules: DNS contexts). */
mecdns_store_status_t store_rule_insert(write_txn_t *txn, const mecdns_rule_t *rule, bool grants);

/*! \brief The zone guard's verdict on an ACTIVE rule's name (OK when
 *         INACTIVE); INVALID when the rule itself is. */
mecdns_store_status_t store_rule_guard(mecdns_store_t *store, const mecdns_rule_t *rule);

/*! \brief Deletes every rule of an app instance in txn, a DELETED change
 *         row each; *deleted says how many. */
mecdns_store_status_t store_rules_delete_app(write_txn_t *txn, const char *app_instance_id,
                                             size_t *deleted);

mecdns_store_status_t store_owner_use(connection_t *conn, const char *owner, uint16_t type,
                                      owner_use_t *use);

/*! \brief CONFLICT if owner, as the transaction left it, mixes a CNAME with
 *         anything else (another CNAME record included); INVALID if its
 *         records of type (every zone's, and ACTIVE rules') no longer fit
 *         one DNS message (mecdns_answer_fits()). */
mecdns_store_status_t store_check_owner(write_txn_t *txn, const char *owner, uint16_t type);

/*! \brief The answer-size half of store_check_owner(), for a use read. */
mecdns_store_status_t store_check_answer_fits(const owner_use_t *use, const char *owner,
                                              uint16_t type);

char *store_dup_column(sqlite3_stmt *stmt, int column);

/*! \brief FORBIDDEN (with the guard's reason) unless the store's guard lets
 *         data be written at owner (canonical; zone: the rrset's, NULL for
 *         an ACTIVE rule). Called before the write begins, no lock held. */
mecdns_store_status_t store_guard(mecdns_store_t *store, const char *owner, const char *zone);

/*! \brief Name ownership of a rule write (store/grants.c): a tenant's
 *         write (rule->tenant) needs a grant covering owner; an operator's
 *         write grants owner to the rule's app. FORBIDDEN or CONFLICT
 *         naming the name and the app that holds it otherwise. */
mecdns_store_status_t store_check_grant(write_txn_t *txn, const mecdns_rule_t *rule,
                                        const char *owner);

/*! \brief Whether name is canonical (as mecdns_canonical_name() makes it). */
bool store_name_is_canonical(const char *name);

/*! \brief Runs housekeeping that changes no data (no generation, no change
 *         row) as one write of a group (its own savepoint). */
mecdns_store_status_t store_housekeeping_begin(mecdns_store_t *store, connection_t **conn);

mecdns_store_status_t store_housekeeping_end(mecdns_store_t *store, mecdns_store_status_t status);
