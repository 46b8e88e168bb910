/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: online backup (SQLite's backup API) while the daemon runs. */

#include <string.h>

#include "store/internal.h"

mecdns_store_status_t mecdns_store_backup(mecdns_store_t *store, const char *dest_path,
                                          uint64_t *generation)
{
	if (dest_path == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "backup without a destination");
	}
	const char *path = sqlite3_db_filename(store->reader.db, "main");
	if (path == NULL || path[0] == '\0') {
		return store_fail(MECDNS_STORE_INVALID, "backup: the database has no file");
	}
	/* A connection of its own: the copy reads one snapshot (WAL: writers
	 * go on meanwhile) and keeps the shared reader free for the API. */
	sqlite3 *src = NULL;
	sqlite3 *dest = NULL;
	mecdns_store_status_t status = MECDNS_STORE_ERROR;
	int rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
		                     NULL);
	}
	if (rc != SQLITE_OK) {
		status = store_fail(MECDNS_STORE_ERROR, "backup: open: %s",
		                    dest != NULL  ? sqlite3_errmsg(dest)
		                    : src != NULL ? sqlite3_errmsg(src)
		                                  : sqlite3_errstr(rc));
		goto done;
	}
	sqlite3_busy_timeout(src, 5000);
	sqlite3_backup *backup = sqlite3_backup_init(dest, "main", src, "main");
	if (backup == NULL) {
		status = store_fail(MECDNS_STORE_ERROR, "backup: %s", sqlite3_errmsg(dest));
		goto done;
	}
	/* All pages in one step: one read snapshot of the source. */
	do {
		rc = sqlite3_backup_step(backup, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			sqlite3_sleep(10);
		}
	} while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	int finish = sqlite3_backup_finish(backup);
	if (rc != SQLITE_DONE || finish != SQLITE_OK) {
		status = store_fail(MECDNS_STORE_ERROR, "backup: %s",
		                    sqlite3_errstr(rc != SQLITE_DONE ? rc : finish));
		goto done;
	}
	/* One self-contained file (no -wal beside it), and the generation it
	 * holds. */
	sqlite3_stmt *stmt = NULL;
	rc = sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(dest, "SELECT generation FROM state WHERE id = 1", -1,
		                        &stmt, NULL);
	}
	if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
		if (generation != NULL) {
			*generation = (uint64_t)sqlite3_column_int64(stmt, 0);
		}
		status = MECDNS_STORE_OK;
	} else {
		status = store_fail(MECDNS_STORE_ERROR, "backup: reading the copy: %s",
		                    sqlite3_errmsg(dest));
	}
	sqlite3_finalize(stmt);
done:
	sqlite3_close(dest);
	sqlite3_close(src);
	return status;
}
