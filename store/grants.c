/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: name grants, which application instance may use which
 *  names (docs/api.md, "Name ownership").
 *
 *  A grant covers its name, and with subtree every name below it. A name is
 *  one app's unless the grant covering it is shared: what another app may be
 *  given is decided by walking from the name up to the first grant of the
 *  app itself, and every other app's grant met on the way that covers the
 *  name and is not shared blocks it (the closest one is named). Grants come
 *  from operators' rule writes ("rule"), the Mm5 grant API ("mm5"), syncd's
 *  name-grants file ("config", replaced as a whole) and the schema 3
 *  migration ("migration").
 */

#include "common/array.h"
#include "store/internal.h"

/*! What covers one name for one app (claim_read). */
typedef struct {
	bool own;           /*!< A grant of the app covers the name. */
	bool own_exact;     /*!< The app holds the name itself... */
	bool own_config;    /*!< ...and the name-grants file made that grant. */
	char *blocker;      /*!< The closest other app whose grant covering the
	                         name is not shared (below the app's own). */
	char *blocker_name; /*!< That grant's name. */
	int64_t others;     /*!< Other apps holding the name itself. */
} claim_t;

static void claim_clear(claim_t *claim)
{
	free(claim->blocker);
	free(claim->blocker_name);
	memset(claim, 0, sizeof(*claim));
}

/*! \brief Reads the grants at one level into claim; at is name or one of its
 *         ancestors. */
static mecdns_store_status_t claim_level(connection_t *conn, const char *app, const char *name,
                                         const char *at, claim_t *claim)
{
	sqlite3_stmt *stmt = store_statement(conn, ST_GRANT_AT);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, at);
	bool exact = at == name;
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *holder = (const char *)sqlite3_column_text(stmt, 0);
		bool covers = exact || sqlite3_column_int(stmt, 1) == 1;
		if (holder == NULL || !covers) {
			continue;
		}
		if (strcmp(holder, app) == 0) {
			const char *source = (const char *)sqlite3_column_text(stmt, 3);
			claim->own = true;
			claim->own_exact = exact;
			claim->own_config =
			    exact && source != NULL && strcmp(source, "config") == 0;
			continue;
		}
		claim->others += exact ? 1 : 0;
		if (claim->blocker == NULL && sqlite3_column_int(stmt, 2) == 0) {
			claim->blocker = strdup(holder);
			claim->blocker_name = strdup(at);
			if (claim->blocker == NULL || claim->blocker_name == NULL) {
				status =
				    store_fail(MECDNS_STORE_ERROR, "name grants: out of memory");
				break;
			}
		}
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "look up name grants");
	}
	store_statement_done(stmt);
	return status;
}

/*! \brief Walks from name (canonical) up to the app's own grant covering it,
 *         or to the root. */
static mecdns_store_status_t claim_read(connection_t *conn, const char *app, const char *name,
                                        claim_t *claim)
{
	memset(claim, 0, sizeof(*claim));
	mecdns_store_status_t status = MECDNS_STORE_OK;
	for (const char *at = name; at != NULL && status == MECDNS_STORE_OK && !claim->own;
	     at = mecdns_name_parent(at)) {
		status = claim_level(conn, app, name, at, claim);
	}
	if (status != MECDNS_STORE_OK) {
		claim_clear(claim);
	}
	return status;
}

/*! \brief CONFLICT: app cannot be given name, claim->blocker holds it. */
static mecdns_store_status_t not_shared(const char *app, const char *name, const claim_t *claim)
{
	if (strcmp(claim->blocker_name, name) == 0) {
		return store_fail(MECDNS_STORE_CONFLICT,
		                  "the name %s is granted to application instance %s and not "
		                  "shared (share it first: PUT /mep/config/%s/dns_names/%s "
		                  "{\"shared\": true}), so it cannot be given to %s",
		                  name, claim->blocker, claim->blocker, name, app);
	}
	return store_fail(MECDNS_STORE_CONFLICT,
	                  "the name %s is below %s, whose subtree is granted to application "
	                  "instance %s and not shared, so it cannot be given to %s",
	                  name, claim->blocker_name, claim->blocker, app);
}

/*! \brief Adds the grant of owner an operator's rule write makes. */
static mecdns_store_status_t grant_from_rule(write_txn_t *txn, const mecdns_rule_t *rule,
                                             const char *owner, const claim_t *claim)
{
	sqlite3_stmt *stmt = store_statement(txn->conn, ST_GRANT_ADD);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, rule->app_instance_id);
	store_bind_text(stmt, 2, owner);
	sqlite3_bind_int64(stmt, 3, txn->now_ms);
	sqlite3_bind_int(stmt, 4, claim->others > 0 ? 1 : 0);
	int rc = sqlite3_step(stmt);
	store_statement_done(stmt);
	return rc == SQLITE_DONE ? MECDNS_STORE_OK : store_db_fail(txn->conn, rc, "grant a name");
}

mecdns_store_status_t store_check_grant(write_txn_t *txn, const mecdns_rule_t *rule,
                                        const char *owner)
{
	claim_t claim;
	mecdns_store_status_t status = claim_read(txn->conn, rule->app_instance_id, owner, &claim);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	if (rule->tenant && (!claim.own || claim.blocker != NULL)) {
		/* A tenant learns nothing about other tenants' names. */
		status = store_fail(MECDNS_STORE_FORBIDDEN,
		                    "rule %s/%s: the name %s is not granted to application "
		                    "instance %s%s (the MEC platform grants names through Mm5)",
		                    rule->app_instance_id, rule->dns_rule_id, owner,
		                    rule->app_instance_id,
		                    claim.own ? " (another application's grant, not shared, "
		                                "covers it)"
		                              : "");
	} else if (claim.blocker != NULL) {
		/* Another app's grant, not shared, covers the name below (or
		 * at) whatever the app holds: its users are not this app's. */
		char why[512];
		(void)not_shared(rule->app_instance_id, owner, &claim);
		snprintf(why, sizeof(why), "%s", mecdns_store_last_error());
		status = store_fail(MECDNS_STORE_CONFLICT, "rule %s/%s: %s", rule->app_instance_id,
		                    rule->dns_rule_id, why);
	} else if (!rule->tenant && !claim.own_exact) {
		/* The platform put the name there: the app gets it. */
		status = grant_from_rule(txn, rule, owner, &claim);
	}
	claim_clear(&claim);
	return status;
}

/*** The grant API and the name-grants file. ***/

void mecdns_grant_list_free(mecdns_grant_list_t *list)
{
	if (list != NULL) {
		for (mecdns_grant_t *grant = list->items; grant < list->items + list->count;
		     grant++) {
			free(grant->app_instance_id);
			free(grant->name);
			free(grant->source);
		}
		free(list->items);
		list->items = NULL;
		list->count = 0;
	}
}

/*! \brief INVALID unless app and name make a grant key. */
static mecdns_store_status_t check_grant_key(const char *app_instance_id, const char *name)
{
	if (app_instance_id == NULL || *app_instance_id == '\0' || name == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "grant without app instance id or name");
	}
	if (!store_name_is_canonical(name)) {
		return store_fail(MECDNS_STORE_INVALID, "name '%s' is not a canonical domain name",
		                  name);
	}
	return MECDNS_STORE_OK;
}

/*! \brief CONFLICT if a subtree grant of name to app would cover another
 *         app's grant below it (one not shared, any if shared is false). */
static mecdns_store_status_t check_below(connection_t *conn, const char *app, const char *name,
                                         bool shared)
{
	sqlite3_stmt *stmt = store_statement(conn, ST_GRANT_BELOW);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, name);
	store_bind_text(stmt, 2, app);
	sqlite3_bind_int(stmt, 3, shared ? 1 : 0);
	int rc = sqlite3_step(stmt);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	if (rc == SQLITE_ROW) {
		status = store_fail(MECDNS_STORE_CONFLICT,
		                    "the subtree of %s cannot be granted to %s%s: %s holds %s "
		                    "below it%s",
		                    name, app, shared ? "" : " unshared",
		                    (const char *)sqlite3_column_text(stmt, 0),
		                    (const char *)sqlite3_column_text(stmt, 1),
		                    shared ? " and does not share it" : "");
	} else if (rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "look up grants below a name");
	}
	store_statement_done(stmt);
	return status;
}

/*! \brief One grant in an open write (source "mm5" or "config"). */
static mecdns_store_status_t grant_apply(write_txn_t *txn, const mecdns_grant_t *grant,
                                         const char *source)
{
	mecdns_store_status_t status = check_grant_key(grant->app_instance_id, grant->name);
	claim_t claim = { 0 };
	if (status == MECDNS_STORE_OK) {
		status = claim_read(txn->conn, grant->app_instance_id, grant->name, &claim);
	}
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	if (claim.own_config && strcmp(source, "config") != 0) {
		status = store_fail(MECDNS_STORE_CONFLICT,
		                    "%s is granted to %s by syncd's name-grants file: change it "
		                    "there",
		                    grant->name, grant->app_instance_id);
	} else if (claim.blocker != NULL) {
		status = not_shared(grant->app_instance_id, grant->name, &claim);
	} else if (!grant->shared && claim.others > 0) {
		status = store_fail(MECDNS_STORE_CONFLICT,
		                    "the name %s is granted to other application instances too: "
		                    "a name of several apps stays shared (revoke theirs first)",
		                    grant->name);
	} else if (grant->subtree) {
		status = check_below(txn->conn, grant->app_instance_id, grant->name, grant->shared);
	}
	claim_clear(&claim);
	sqlite3_stmt *stmt =
	    status == MECDNS_STORE_OK ? store_statement(txn->conn, ST_GRANT_SET) : NULL;
	if (stmt != NULL) {
		store_bind_text(stmt, 1, grant->app_instance_id);
		store_bind_text(stmt, 2, grant->name);
		sqlite3_bind_int(stmt, 3, grant->subtree ? 1 : 0);
		sqlite3_bind_int64(stmt, 4, txn->now_ms);
		sqlite3_bind_int(stmt, 5, grant->shared ? 1 : 0);
		store_bind_text(stmt, 6, source);
		status = store_run(txn->conn, stmt, "grant a name");
	} else if (status == MECDNS_STORE_OK) {
		status = MECDNS_STORE_ERROR;
	}
	return status;
}

mecdns_store_status_t mecdns_store_grant_set(mecdns_store_t *store, const char *app_instance_id,
                                             const char *name, bool subtree, bool shared)
{
	write_txn_t txn;
	mecdns_store_status_t status = store_write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	mecdns_grant_t grant = {
		.app_instance_id = (char *)app_instance_id,
		.name = (char *)name,
		.subtree = subtree,
		.shared = shared,
	};
	status = grant_apply(&txn, &grant, "mm5");
	return store_write_end(&txn, status, NULL);
}

mecdns_store_status_t mecdns_store_grants_configure(mecdns_store_t *store,
                                                    const mecdns_grant_t *items, size_t count)
{
	write_txn_t txn;
	mecdns_store_status_t status = store_write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = store_statement(txn.conn, ST_GRANT_DELETE_SOURCE);
	if (stmt == NULL) {
		status = MECDNS_STORE_ERROR;
	} else {
		store_bind_text(stmt, 1, "config");
		status = store_run(txn.conn, stmt, "replace the name-grants file's grants");
	}
	for (size_t i = 0; i < count && status == MECDNS_STORE_OK; i++) {
		status = grant_apply(&txn, &items[i], "config");
		if (status != MECDNS_STORE_OK) {
			char why[512];
			snprintf(why, sizeof(why), "%s", mecdns_store_last_error());
			status = store_fail(
			    status, "grant of %s to %s: %s",
			    items[i].name != NULL ? items[i].name : "(none)",
			    items[i].app_instance_id != NULL ? items[i].app_instance_id : "(none)",
			    why);
		}
	}
	return store_write_end(&txn, status, NULL);
}

mecdns_store_status_t mecdns_store_grant_delete(mecdns_store_t *store, const char *app_instance_id,
                                                const char *name)
{
	write_txn_t txn;
	mecdns_store_status_t status = check_grant_key(app_instance_id, name);
	if (status == MECDNS_STORE_OK) {
		status = store_write_begin(store, &txn);
	}
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	claim_t claim;
	status = claim_read(txn.conn, app_instance_id, name, &claim);
	if (status == MECDNS_STORE_OK && !claim.own_exact) {
		status = store_fail(MECDNS_STORE_NOT_FOUND, "%s is not granted to %s", name,
		                    app_instance_id);
	} else if (status == MECDNS_STORE_OK && claim.own_config) {
		status = store_fail(MECDNS_STORE_CONFLICT,
		                    "%s is granted to %s by syncd's name-grants file: remove it "
		                    "there",
		                    name, app_instance_id);
	}
	claim_clear(&claim);
	sqlite3_stmt *stmt =
	    status == MECDNS_STORE_OK ? store_statement(txn.conn, ST_GRANT_DELETE) : NULL;
	if (stmt != NULL) {
		store_bind_text(stmt, 1, app_instance_id);
		store_bind_text(stmt, 2, name);
		status = store_run(txn.conn, stmt, "revoke a name");
	} else if (status == MECDNS_STORE_OK) {
		status = MECDNS_STORE_ERROR;
	}
	return store_write_end(&txn, status, NULL);
}

mecdns_store_status_t mecdns_store_grant_list(mecdns_store_t *store, const char *app_instance_id,
                                              mecdns_grant_list_t *out)
{
	memset(out, 0, sizeof(*out));
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status =
	    store_read_statement(store, ST_GRANT_LIST, &conn, &stmt, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	store_bind_text(stmt, 1, app_instance_id);
	size_t capacity = 0;
	int rc = SQLITE_DONE;
	while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		mecdns_grant_t *items =
		    mecdns_array_room(out->items, out->count, &capacity, sizeof(*items), 8);
		if (items == NULL) {
			status = store_fail(MECDNS_STORE_ERROR, "list grants: out of memory");
			break;
		}
		out->items = items;
		mecdns_grant_t *grant = &out->items[out->count++];
		grant->app_instance_id = strdup(app_instance_id);
		grant->name = store_dup_column(stmt, 0);
		grant->subtree = sqlite3_column_int(stmt, 1) == 1;
		grant->source = store_dup_column(stmt, 2);
		grant->created_ms = sqlite3_column_int64(stmt, 3);
		grant->shared = sqlite3_column_int(stmt, 4) == 1;
		if (grant->app_instance_id == NULL || grant->name == NULL ||
		    grant->source == NULL) {
			status = store_fail(MECDNS_STORE_ERROR, "list grants: out of memory");
		}
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "list grants");
	}
	store_read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_grant_list_free(out);
	}
	return status;
}
