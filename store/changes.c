/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: the change log, the state row, the outbox cursor and
 *  pruning (see store.h). */

#include "store/internal.h"

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
	free((char *)change->client_subnets);
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
	change->owner = store_dup_column(stmt, 4);
	change->prev_owner = store_dup_column(stmt, 5);
	change->app_instance_id = store_dup_column(stmt, 6);
	change->dns_rule_id = store_dup_column(stmt, 7);
	change->domain_name = store_dup_column(stmt, 8);
	change->state = store_dup_column(stmt, 9);
	change->zone = store_dup_column(stmt, 10);
	change->rrtype = store_dup_column(stmt, 11);
	change->rdata_count = (uint32_t)sqlite3_column_int64(stmt, 12);
	change->client_subnets = store_dup_column(stmt, 13);
	/* Only owner is NOT NULL in the schema; a NULL elsewhere is no error. */
	return change->owner != NULL;
}

/*! \brief Copies up to limit changes after after_seq in one read transaction. */
static mecdns_store_status_t changes_batch(mecdns_store_t *store, uint64_t after_seq, size_t limit,
                                           mecdns_change_t *batch, size_t *count)
{
	*count = 0;
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status =
	    store_read_statement(store, ST_CHANGES_AFTER, &conn, &stmt, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	store_bind_u64(stmt, 1, after_seq);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)limit);
	status = MECDNS_STORE_OK;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (!change_from_row(stmt, &batch[*count])) {
			change_free(&batch[*count]);
			status = store_fail(MECDNS_STORE_ERROR, "read changes: out of memory");
			break;
		}
		(*count)++;
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "read changes");
	}
	store_read_end(conn);
	return status;
}

mecdns_store_status_t mecdns_store_changes(mecdns_store_t *store, uint64_t after_seq, size_t limit,
                                           mecdns_change_cb cb, void *ctx)
{
	if (cb == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "read changes without a callback");
	}
	/* Rows are copied in batches and the callback runs with no lock held, so
	 * it may call the store (set_signalled, reads) itself. Change rows never
	 * change once written, so batches read in separate transactions still
	 * form one ordered stream. */
	mecdns_change_t *batch = malloc(CHANGES_BATCH * sizeof(*batch));
	if (batch == NULL) {
		return store_fail(MECDNS_STORE_ERROR, "read changes: out of memory");
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
	sqlite3_stmt *stmt;
	mecdns_store_status_t status =
	    store_read_statement(store, ST_STATE_GET, &conn, &stmt, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
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
		status = store_fail(MECDNS_STORE_CORRUPT, "read state: the state row is missing");
	} else {
		status = store_db_fail(conn, rc, "read state");
	}
	store_read_end(conn);
	return status;
}

/*! \brief Runs housekeeping that changes no data (no generation, no change
 *         row) as one write of a group (its own savepoint). */
mecdns_store_status_t store_housekeeping_begin(mecdns_store_t *store, connection_t **conn)
{
	*conn = &store->writer;
	return store_writer_enter(store);
}

mecdns_store_status_t store_housekeeping_end(mecdns_store_t *store, mecdns_store_status_t status)
{
	return store_writer_leave(store, status);
}

mecdns_store_status_t mecdns_store_set_signalled(mecdns_store_t *store, uint64_t seq)
{
	connection_t *conn;
	mecdns_store_status_t status = store_housekeeping_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = store_statement(conn, ST_SET_SIGNALLED);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		store_bind_u64(stmt, 1, seq);
		status = store_run(conn, stmt, "move the signal cursor");
	}
	return store_housekeeping_end(store, status);
}

mecdns_store_status_t mecdns_store_cursor_open(mecdns_store_t *store, const char *channel,
                                               uint64_t *seq)
{
	connection_t *conn;
	mecdns_store_status_t status = store_housekeeping_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = store_statement(conn, ST_CURSOR_OPEN);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		store_bind_text(stmt, 1, channel);
		status = store_run(conn, stmt, "open an outbox cursor");
	}
	stmt = status == MECDNS_STORE_OK ? store_statement(conn, ST_CURSOR_GET) : NULL;
	if (stmt != NULL) {
		store_bind_text(stmt, 1, channel);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*seq = (uint64_t)sqlite3_column_int64(stmt, 0);
		} else {
			status = store_db_fail(conn, rc, "read an outbox cursor");
		}
		sqlite3_reset(stmt);
	} else if (status == MECDNS_STORE_OK) {
		status = MECDNS_STORE_ERROR;
	}
	return store_housekeeping_end(store, status);
}

/*! \brief Runs one cursor statement (?1 channel, ?2 seq when set). */
static mecdns_store_status_t cursor_run(mecdns_store_t *store, statement_id_t id,
                                        const char *channel, uint64_t seq, const char *what)
{
	connection_t *conn;
	mecdns_store_status_t status = store_housekeeping_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = store_statement(conn, id);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		store_bind_text(stmt, 1, channel);
		if (id == ST_CURSOR_SET) {
			store_bind_u64(stmt, 2, seq);
		}
		status = store_run(conn, stmt, what);
	}
	return store_housekeeping_end(store, status);
}

mecdns_store_status_t mecdns_store_set_cursor(mecdns_store_t *store, const char *channel,
                                              uint64_t seq)
{
	return cursor_run(store, ST_CURSOR_SET, channel, seq, "move an outbox cursor");
}

mecdns_store_status_t mecdns_store_drop_cursor(mecdns_store_t *store, const char *channel)
{
	return cursor_run(store, ST_CURSOR_DROP, channel, 0, "drop an outbox cursor");
}

mecdns_store_status_t mecdns_store_prune(mecdns_store_t *store, int64_t keep_ms, size_t *deleted)
{
	if (deleted != NULL) {
		*deleted = 0;
	}
	if (keep_ms < 0) {
		return store_fail(MECDNS_STORE_INVALID, "prune: negative retention %lld ms",
		                  (long long)keep_ms);
	}
	connection_t *conn;
	mecdns_store_status_t status = store_housekeeping_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	size_t removed = 0;
	sqlite3_stmt *stmt = store_statement(conn, ST_PRUNE);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		sqlite3_bind_int64(stmt, 1, mecdns_now_ms() - keep_ms);
		status = store_run(conn, stmt, "prune the change log");
		removed = (size_t)sqlite3_changes(conn->db);
	}
	if (status == MECDNS_STORE_OK) {
		status = store_run_plain(conn, ST_PRUNED_THROUGH, "record the pruned generation");
	}
	status = store_housekeeping_end(store, status);
	if (status == MECDNS_STORE_OK && deleted != NULL) {
		*deleted = removed;
	}
	return status;
}
