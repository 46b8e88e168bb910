/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: DNS contexts after 3GPP TS 29.556 (syncd/api_easdf.c).
 *
 *  A context is its document (JSON, as the SMF created or last put it) and
 *  the rules compiled from it, which are ordinary rules of the app instance
 *  "easdf:<id>". Both change in one write transaction and one generation:
 *  the old rules are deleted and the new ones inserted with every check a
 *  rule create makes (CNAME exclusivity, answer size, name grants), so a
 *  context is always answered as a whole or not at all. */

#include <stdio.h>

#include "common/subnet.h"

#include "store/internal.h"

#define CONTEXT_APP_PREFIX "easdf:"

char *mecdns_store_context_app(const char *id)
{
	size_t len = strlen(CONTEXT_APP_PREFIX) + strlen(id) + 1;
	char *app = malloc(len);
	if (app != NULL) {
		snprintf(app, len, "%s%s", CONTEXT_APP_PREFIX, id);
	}
	return app;
}

/*! \brief Whether a context with the id exists (in the transaction's view);
 *         *same: whether its document is expected (when not NULL). */
static mecdns_store_status_t context_exists(connection_t *conn, const char *id, bool *exists,
                                            const char *expected, bool *same)
{
	sqlite3_stmt *stmt = store_statement(conn, ST_CONTEXT_GET);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, id);
	int rc = sqlite3_step(stmt);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*exists = rc == SQLITE_ROW;
		const char *body = *exists ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
		if (same != NULL) {
			*same = expected == NULL || (body != NULL && strcmp(body, expected) == 0);
		}
	} else {
		status = store_db_fail(conn, rc, "read DNS context");
	}
	store_statement_done(stmt);
	return status;
}

/*! \brief Marks an inserted rule as reporting (in the same change: the
 *         module reads the rule after the commit). */
static mecdns_store_status_t set_report(connection_t *conn, const mecdns_rule_t *rule)
{
	sqlite3_stmt *stmt = store_statement(conn, ST_RULE_SET_REPORT);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, rule->app_instance_id);
	store_bind_text(stmt, 2, rule->dns_rule_id);
	return store_run(conn, stmt, "mark reporting rule");
}

mecdns_store_status_t mecdns_store_context_put(mecdns_store_t *store, const char *id,
                                               const char *body, const mecdns_rule_t *rules,
                                               size_t count, mecdns_context_mode_t mode,
                                               const char *expected, uint64_t *generation)
{
	if (id == NULL || *id == '\0' || body == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "DNS context without id or document");
	}
	char *app = mecdns_store_context_app(id);
	if (app == NULL) {
		return store_fail(MECDNS_STORE_ERROR, "out of memory");
	}
	mecdns_store_status_t status = MECDNS_STORE_OK;
	for (size_t i = 0; status == MECDNS_STORE_OK && i < count; i++) {
		if (rules[i].app_instance_id == NULL ||
		    strcmp(rules[i].app_instance_id, app) != 0) {
			status = store_fail(MECDNS_STORE_INVALID,
			                    "DNS context %s: rule %zu is not of app instance %s",
			                    id, i, app);
		} else {
			status = store_rule_guard(store, &rules[i]);
		}
	}
	write_txn_t txn;
	if (status == MECDNS_STORE_OK) {
		status = store_write_begin(store, &txn);
	}
	if (status != MECDNS_STORE_OK) {
		free(app);
		return status;
	}
	bool exists = false, same = true;
	status = context_exists(txn.conn, id, &exists, expected, &same);
	if (status == MECDNS_STORE_OK && exists && !same) {
		status = store_fail(MECDNS_STORE_STALE, "DNS context %s changed meanwhile", id);
	} else if (status == MECDNS_STORE_OK && mode == MECDNS_CONTEXT_CREATE && exists) {
		status = store_fail(MECDNS_STORE_EXISTS, "DNS context %s already exists", id);
	} else if (status == MECDNS_STORE_OK && mode == MECDNS_CONTEXT_REPLACE && !exists) {
		status = store_fail(MECDNS_STORE_NOT_FOUND, "no DNS context %s", id);
	}
	size_t deleted = 0;
	if (status == MECDNS_STORE_OK) {
		status = store_rules_delete_app(&txn, app, &deleted);
	}
	for (size_t i = 0; status == MECDNS_STORE_OK && i < count; i++) {
		/* The SMF is the operator: its contexts steer the UE it names,
		 * whichever app holds the name (the zone guard still applies). */
		status = store_rule_insert(&txn, &rules[i], false);
		if (status == MECDNS_STORE_OK && rules[i].report) {
			status = set_report(txn.conn, &rules[i]);
		}
	}
	if (status == MECDNS_STORE_OK) {
		sqlite3_stmt *stmt = store_statement(txn.conn, ST_CONTEXT_PUT);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			store_bind_text(stmt, 1, id);
			store_bind_text(stmt, 2, body);
			sqlite3_bind_int64(stmt, 3, txn.now_ms);
			status = store_run(txn.conn, stmt, "write DNS context");
		}
	}
	/* A document without rules commits too; the generation moves only
	 * with rule changes (the answers). */
	status = store_write_end(&txn, status, generation);
	free(app);
	return status;
}

mecdns_store_status_t mecdns_store_context_get(mecdns_store_t *store, const char *id, char **body,
                                               uint64_t *generation)
{
	*body = NULL;
	if (id == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "DNS context get without id");
	}
	connection_t *conn;
	mecdns_store_status_t status = store_read_begin(store, &conn, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = store_statement(conn, ST_CONTEXT_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		store_bind_text(stmt, 1, id);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*body = store_dup_column(stmt, 0);
			status = *body != NULL ? MECDNS_STORE_OK
			                       : store_fail(MECDNS_STORE_ERROR, "out of memory");
		} else if (rc == SQLITE_DONE) {
			status = store_fail(MECDNS_STORE_NOT_FOUND, "no DNS context %s", id);
		} else {
			status = store_db_fail(conn, rc, "read DNS context");
		}
		store_statement_done(stmt);
	}
	store_read_end(conn);
	return status;
}

mecdns_store_status_t mecdns_store_context_delete(mecdns_store_t *store, const char *id,
                                                  uint64_t *generation)
{
	if (id == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "DNS context delete without id");
	}
	char *app = mecdns_store_context_app(id);
	if (app == NULL) {
		return store_fail(MECDNS_STORE_ERROR, "out of memory");
	}
	write_txn_t txn;
	mecdns_store_status_t status = store_write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		free(app);
		return status;
	}
	bool exists = false;
	status = context_exists(txn.conn, id, &exists, NULL, NULL);
	if (status == MECDNS_STORE_OK && !exists) {
		status = store_fail(MECDNS_STORE_NOT_FOUND, "no DNS context %s", id);
	}
	size_t deleted = 0;
	if (status == MECDNS_STORE_OK) {
		status = store_rules_delete_app(&txn, app, &deleted);
	}
	if (status == MECDNS_STORE_OK) {
		sqlite3_stmt *stmt = store_statement(txn.conn, ST_CONTEXT_DELETE);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			store_bind_text(stmt, 1, id);
			status = store_run(txn.conn, stmt, "delete DNS context");
		}
	}
	status = store_write_end(&txn, status, generation);
	free(app);
	return status;
}

/*! \brief Appends a copy of id to the list unless it is there already. */
static bool ids_add(char ***ids, size_t *count, const char *id)
{
	for (size_t i = 0; i < *count; i++) {
		if (strcmp((*ids)[i], id) == 0) {
			return true;
		}
	}
	char **grown = realloc(*ids, (*count + 1) * sizeof(*grown));
	if (grown == NULL) {
		return false;
	}
	*ids = grown;
	grown[*count] = strdup(id);
	if (grown[*count] == NULL) {
		return false;
	}
	(*count)++;
	return true;
}

mecdns_store_status_t mecdns_store_context_reporters(mecdns_store_t *store, const char *owner,
                                                     int family, const uint8_t *addr, char ***ids,
                                                     size_t *count)
{
	*ids = NULL;
	*count = 0;
	if (owner == NULL || addr == NULL || (family != 4 && family != 6)) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "reporters of a query without owner or client");
	}
	connection_t *conn;
	mecdns_store_status_t status = store_read_begin(store, &conn, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = store_statement(conn, ST_CONTEXT_REPORTERS);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		store_bind_text(stmt, 1, owner);
		size_t prefix = strlen(CONTEXT_APP_PREFIX);
		int rc = SQLITE_DONE;
		status = MECDNS_STORE_OK;
		while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			const char *app = (const char *)sqlite3_column_text(stmt, 0);
			const char *scope = (const char *)sqlite3_column_text(stmt, 1);
			if (app == NULL || scope == NULL ||
			    strncmp(app, CONTEXT_APP_PREFIX, prefix) != 0) {
				continue;
			}
			mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
			size_t n = mecdns_subnets_parse_list(scope, subnets);
			for (size_t i = 0; i < n; i++) {
				if (mecdns_subnet_contains(&subnets[i], family, addr)) {
					if (!ids_add(ids, count, app + prefix)) {
						status =
						    store_fail(MECDNS_STORE_ERROR, "out of memory");
					}
					break;
				}
			}
		}
		if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
			status = store_db_fail(conn, rc, "read reporting rules");
		}
		store_statement_done(stmt);
	}
	store_read_end(conn);
	if (status != MECDNS_STORE_OK) {
		for (size_t i = 0; i < *count; i++) {
			free((*ids)[i]);
		}
		free(*ids);
		*ids = NULL;
		*count = 0;
	}
	return status;
}
