/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: the writer (savepoints, group commit), change log rows and
 *  CNAME exclusivity (see internal.h). */

#include <inttypes.h>

#include "store/internal.h"

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
	char saved[sizeof(store_last_error)];
	memcpy(saved, store_last_error, sizeof(saved));
	store_statements_reset(conn);
	mecdns_store_status_t status = store_run_plain(conn, ST_COMMIT, "commit");
	char error[sizeof(store_last_error)];
	memcpy(error, store_last_error, sizeof(error));
	if (!sqlite3_get_autocommit(conn->db)) {
		store_statements_reset(conn);
		store_run_plain(conn, ST_ROLLBACK, "roll back");
		if (status == MECDNS_STORE_OK) {
			status = MECDNS_STORE_ERROR; /* Cannot happen: COMMIT left it open. */
		}
	}
	store_statements_reset(conn);
	group_finish(store, status, error);
	memcpy(store_last_error, saved, sizeof(saved));
}

/*! \brief Rolls the whole open transaction back and fails every member. */
static void group_abort(mecdns_store_t *store, mecdns_store_status_t status)
{
	connection_t *conn = &store->writer;
	char saved[sizeof(store_last_error)];
	memcpy(saved, store_last_error, sizeof(saved));
	store_statements_reset(conn);
	if (!sqlite3_get_autocommit(conn->db)) {
		store_run_plain(conn, ST_ROLLBACK, "roll back");
	}
	store_statements_reset(conn);
	group_finish(store, status, saved);
	memcpy(store_last_error, saved, sizeof(saved));
}

/*!
 * \brief Locks the writer, joins (or opens, with BEGIN IMMEDIATE) the
 *        group's transaction and starts the calling write's savepoint.
 *        On failure nothing is left open and the lock is released.
 */
mecdns_store_status_t store_writer_enter(mecdns_store_t *store)
{
	connection_t *conn = &store->writer;
	atomic_fetch_add(&store->waiting, 1);
	pthread_mutex_lock(&conn->lock);
	atomic_fetch_sub(&store->waiting, 1);

	mecdns_store_status_t status = MECDNS_STORE_OK;
	if (sqlite3_get_autocommit(conn->db)) {
		status = store_run_plain(conn, ST_BEGIN_WRITE, "begin write transaction");
		if (status != MECDNS_STORE_OK) {
			pthread_mutex_unlock(&conn->lock);
			return status;
		}
	}
	status = store_run_plain(conn, ST_SAVEPOINT, "begin savepoint");
	if (status != MECDNS_STORE_OK) {
		/* Nothing of this write to undo; the group goes on (or ends). */
		if (sqlite3_get_autocommit(conn->db)) {
			group_finish(store, status, store_last_error);
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
mecdns_store_status_t store_writer_leave(mecdns_store_t *store, mecdns_store_status_t status)
{
	connection_t *conn = &store->writer;
	store_statements_reset(conn);
	if (status == MECDNS_STORE_OK) {
		status = store_run_plain(conn, ST_RELEASE, "release savepoint");
	}
	if (status != MECDNS_STORE_OK) {
		char saved[sizeof(store_last_error)];
		memcpy(saved, store_last_error, sizeof(saved));
		if (sqlite3_get_autocommit(conn->db)) {
			/* SQLite rolled the whole transaction back (I/O error, disk
			 * full, ...): the group's writes are lost with it. */
			group_finish(store, status, saved);
		} else {
			store_statements_reset(conn);
			mecdns_store_status_t undo =
			    store_run_plain(conn, ST_ROLLBACK_TO, "roll back savepoint");
			if (undo == MECDNS_STORE_OK) {
				undo = store_run_plain(conn, ST_RELEASE, "release savepoint");
			}
			store_statements_reset(conn);
			if (undo != MECDNS_STORE_OK || sqlite3_get_autocommit(conn->db)) {
				/* Cannot undo this write alone: undo the group. */
				memcpy(store_last_error, saved, sizeof(saved));
				group_abort(store, status);
			} else if (store->member_count == 0) {
				memcpy(store_last_error, saved, sizeof(saved));
				group_abort(store, status); /* Nothing in it: roll back. */
			} else if (atomic_load(&store->waiting) == 0) {
				group_commit(store); /* The others' writes. */
			}
		}
		memcpy(store_last_error, saved, sizeof(saved)); /* Keep the first cause. */
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
		store_set_error("%s", me.error);
	}
	return me.status;
}

/*! \brief Enters the writer (savepoint in the group's transaction), picks
 *         the next generation. */
mecdns_store_status_t store_write_begin(mecdns_store_t *store, write_txn_t *txn)
{
	memset(txn, 0, sizeof(*txn));
	txn->store = store;
	txn->conn = &store->writer;
	mecdns_store_status_t status = store_writer_enter(store);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = store_statement(txn->conn, ST_STATE_GET);
	if (stmt == NULL) {
		status = MECDNS_STORE_ERROR;
	} else {
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			txn->generation = (uint64_t)sqlite3_column_int64(stmt, 0) + 1;
		} else if (rc == SQLITE_DONE) {
			status = store_fail(MECDNS_STORE_CORRUPT,
			                    "read generation: the state row is missing");
		} else {
			status = store_db_fail(txn->conn, rc, "read generation");
		}
		store_statement_done(stmt);
	}
	if (status != MECDNS_STORE_OK) {
		return store_writer_leave(store, status);
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
mecdns_store_status_t store_write_end(write_txn_t *txn, mecdns_store_status_t status,
                                      uint64_t *generation)
{
	connection_t *conn = txn->conn;
	bool changed = status == MECDNS_STORE_OK && txn->changes > 0;
	if (changed) {
		sqlite3_stmt *stmt = store_statement(conn, ST_STATE_SET_GENERATION);
		if (stmt == NULL) {
			status = MECDNS_STORE_ERROR;
		} else {
			store_bind_u64(stmt, 1, txn->generation);
			status = store_run(conn, stmt, "raise generation");
		}
	}
	status = store_writer_leave(txn->store, status);
	if (status == MECDNS_STORE_OK && generation != NULL) {
		*generation = changed ? txn->generation : txn->generation - 1;
	}
	return status;
}

/*** Change log rows. ***/

static mecdns_store_status_t log_change(write_txn_t *txn, bool rule, const char *owner,
                                        const char *prev_owner, const char *app_instance_id,
                                        const char *dns_rule_id, const char *domain_name,
                                        const char *state, const char *client_subnets,
                                        const char *zone, uint16_t type, size_t rdata_count)
{
	sqlite3_stmt *stmt = store_statement(txn->conn, ST_CHANGE_INSERT);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_u64(stmt, 1, txn->generation);
	sqlite3_bind_int64(stmt, 2, txn->now_ms);
	store_bind_text(stmt, 3, rule ? "rule" : "rrset");
	store_bind_text(stmt, 4, owner);
	store_bind_text(stmt, 5, prev_owner);
	store_bind_text(stmt, 6, app_instance_id);
	store_bind_text(stmt, 7, dns_rule_id);
	store_bind_text(stmt, 8, domain_name);
	store_bind_text(stmt, 9, state);
	store_bind_text(stmt, 10, zone);
	store_bind_text(stmt, 13, client_subnets);
	if (!rule) {
		char rrtype[32];
		if (knot_rrtype_to_string(type, rrtype, sizeof(rrtype)) < 0) {
			snprintf(rrtype, sizeof(rrtype), "TYPE%u", type);
		}
		/* Copied: the buffer ends with this block. */
		sqlite3_bind_text(stmt, 11, rrtype, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(stmt, 12, (sqlite3_int64)rdata_count);
	}
	mecdns_store_status_t status = store_run(txn->conn, stmt, "append to the change log");
	if (status == MECDNS_STORE_OK) {
		txn->changes++;
	}
	return status;
}

mecdns_store_status_t store_log_rule_change(write_txn_t *txn, const char *owner,
                                            const char *prev_owner, const char *app_instance_id,
                                            const char *dns_rule_id, const char *domain_name,
                                            const char *state, const char *client_subnets)
{
	return log_change(txn, true, owner, prev_owner, app_instance_id, dns_rule_id, domain_name,
	                  state, client_subnets, NULL, 0, 0);
}

mecdns_store_status_t store_log_rrset_change(write_txn_t *txn, const mecdns_rrset_t *key,
                                             size_t rdata_count)
{
	return log_change(txn, false, key->owner, NULL, NULL, NULL, NULL, NULL, key->client_subnets,
	                  key->zone, key->type, rdata_count);
}

/*** CNAME exclusivity. ***/

mecdns_store_status_t store_owner_use(connection_t *conn, const char *owner, uint16_t type,
                                      owner_use_t *use)
{
	sqlite3_stmt *stmt = store_statement(conn, ST_OWNER_USE);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, owner);
	sqlite3_bind_int(stmt, 2, type);
	int rc = sqlite3_step(stmt);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	if (rc == SQLITE_ROW) {
		use->cname_records = sqlite3_column_int64(stmt, 0);
		use->other_rrsets = sqlite3_column_int64(stmt, 1);
		use->active_rules = sqlite3_column_int64(stmt, 2);
		int64_t rules = sqlite3_column_int64(stmt, 5);
		use->answer_records = sqlite3_column_int64(stmt, 3) + rules;
		use->answer_bytes = sqlite3_column_int64(stmt, 4) + rules * (type == 1 ? 4 : 16);
	} else {
		status = store_db_fail(conn, rc, "check the records at an owner");
	}
	store_statement_done(stmt);
	return status;
}

/*! \brief INVALID if the answer use describes cannot fit a DNS message. */
mecdns_store_status_t store_check_answer_fits(const owner_use_t *use, const char *owner,
                                              uint16_t type)
{
	if (mecdns_answer_fits(owner, (uint64_t)use->answer_records, (uint64_t)use->answer_bytes)) {
		return MECDNS_STORE_OK;
	}
	char name[32];
	knot_rrtype_to_string(type, name, sizeof(name));
	return store_fail(
	    MECDNS_STORE_INVALID,
	    "the answer for %s %s would need %" PRIu64 " bytes for %" PRId64
	    " records, more than one DNS message holds (%u)",
	    owner, name,
	    mecdns_answer_size(owner, (uint64_t)use->answer_records, (uint64_t)use->answer_bytes),
	    use->answer_records, (unsigned)MECDNS_MESSAGE_MAX);
}

/*! \brief CONFLICT if owner, as the transaction left it, mixes a CNAME with
 *         anything else (another CNAME record included); INVALID if its
 *         records of type no longer fit one answer. */
mecdns_store_status_t store_check_owner(write_txn_t *txn, const char *owner, uint16_t type)
{
	owner_use_t use;
	mecdns_store_status_t status = store_owner_use(txn->conn, owner, type, &use);
	if (status == MECDNS_STORE_OK) {
		status = store_check_answer_fits(&use, owner, type);
	}
	if (status != MECDNS_STORE_OK || use.cname_records == 0) {
		return status;
	}
	if (use.cname_records > 1) {
		return store_fail(MECDNS_STORE_CONFLICT, "%s would have more than one CNAME record",
		                  owner);
	}
	if (use.other_rrsets > 0) {
		return store_fail(MECDNS_STORE_CONFLICT,
		                  "%s would have a CNAME beside other record types", owner);
	}
	if (use.active_rules > 0) {
		return store_fail(MECDNS_STORE_CONFLICT,
		                  "%s would have a CNAME beside an ACTIVE rule", owner);
	}
	return MECDNS_STORE_OK;
}
