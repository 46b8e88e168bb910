/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: MEC DNS rules (see store.h). */

#include "common/array.h"
#include "store/internal.h"

/*** Rules. ***/

char *store_dup_column(sqlite3_stmt *stmt, int column)
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
	free(rule->client_subnets);
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
	rule->app_instance_id = store_dup_column(stmt, 0);
	rule->dns_rule_id = store_dup_column(stmt, 1);
	rule->domain_name = store_dup_column(stmt, 2);
	rule->owner = store_dup_column(stmt, 3);
	const unsigned char *type = sqlite3_column_text(stmt, 4);
	rule->ip_type = (type != NULL && strcmp((const char *)type, "IP_V6") == 0) ? MECDNS_IP_V6
	                                                                           : MECDNS_IP_V4;
	rule->ip_address = store_dup_column(stmt, 5);
	rule->ttl =
	    sqlite3_column_type(stmt, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 6);
	const unsigned char *state = sqlite3_column_text(stmt, 7);
	rule->active = state != NULL && strcmp((const char *)state, "ACTIVE") == 0;
	rule->version = (uint64_t)sqlite3_column_int64(stmt, 8);
	rule->created_ms = sqlite3_column_int64(stmt, 9);
	rule->updated_ms = sqlite3_column_int64(stmt, 10);
	rule->generation = (uint64_t)sqlite3_column_int64(stmt, 11);
	bool scoped = sqlite3_column_type(stmt, 12) != SQLITE_NULL;
	rule->client_subnets = scoped ? store_dup_column(stmt, 12) : NULL;
	if (rule->app_instance_id == NULL || rule->dns_rule_id == NULL ||
	    rule->domain_name == NULL || rule->owner == NULL || rule->ip_address == NULL ||
	    (scoped && rule->client_subnets == NULL)) {
		mecdns_rule_clear(rule);
		return store_fail(MECDNS_STORE_ERROR, "read rule: out of memory");
	}
	return MECDNS_STORE_OK;
}

/*! \brief Reads one rule on conn (inside its transaction). */
static mecdns_store_status_t rule_read(connection_t *conn, const char *app_instance_id,
                                       const char *dns_rule_id, mecdns_rule_t *rule)
{
	sqlite3_stmt *stmt = store_statement(conn, ST_RULE_GET);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, app_instance_id);
	store_bind_text(stmt, 2, dns_rule_id);
	mecdns_store_status_t status;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		status = rule_from_row(stmt, rule);
	} else if (rc == SQLITE_DONE) {
		status = MECDNS_STORE_NOT_FOUND; /* The caller says whether that is an error. */
	} else {
		status = store_db_fail(conn, rc, "read rule");
	}
	store_statement_done(stmt);
	return status;
}

/*! \brief Reads one rule that must exist (NOT_FOUND with a message). */
static mecdns_store_status_t rule_read_existing(connection_t *conn, const char *app_instance_id,
                                                const char *dns_rule_id, mecdns_rule_t *rule)
{
	mecdns_store_status_t status = rule_read(conn, app_instance_id, dns_rule_id, rule);
	if (status == MECDNS_STORE_NOT_FOUND) {
		store_fail(status, "rule %s/%s not found", app_instance_id, dns_rule_id);
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
		return store_fail(MECDNS_STORE_INVALID, "rule without app instance id or rule id");
	}
	if (rule->domain_name == NULL || rule->ip_address == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "rule %s/%s without domain name or address",
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
		return store_fail(MECDNS_STORE_INVALID, "rule %s/%s: unknown ip address type %d",
		                  rule->app_instance_id, rule->dns_rule_id, (int)rule->ip_type);
	}
	unsigned char address[sizeof(struct in6_addr)];
	if (inet_pton(family, rule->ip_address, address) != 1 ||
	    inet_ntop(family, address, values->ip_address, sizeof(values->ip_address)) == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "rule %s/%s: '%s' is not an %s address",
		                  rule->app_instance_id, rule->dns_rule_id, rule->ip_address,
		                  family == AF_INET ? "IPv4" : "IPv6");
	}
	mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
	if (rule->client_subnets != NULL && !rule->keep_client_subnets &&
	    mecdns_subnets_parse_list(rule->client_subnets, subnets) == 0) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "rule %s/%s: '%s' is not a canonical list of client subnets",
		                  rule->app_instance_id, rule->dns_rule_id, rule->client_subnets);
	}
	values->owner = mecdns_canonical_name(rule->domain_name);
	if (values->owner == NULL) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "rule %s/%s: '%s' is not a valid domain name",
		                  rule->app_instance_id, rule->dns_rule_id, rule->domain_name);
	}
	return MECDNS_STORE_OK;
}

/*! \brief Binds the mutable columns ?3..?12 of ST_RULE_INSERT / ST_RULE_UPDATE
 *         (?12, keep the stored scope, only in the update). */
static void bind_rule_values(sqlite3_stmt *stmt, const write_txn_t *txn, const mecdns_rule_t *rule,
                             const rule_values_t *values)
{
	store_bind_text(stmt, 1, rule->app_instance_id);
	store_bind_text(stmt, 2, rule->dns_rule_id);
	store_bind_text(stmt, 3, rule->domain_name);
	store_bind_text(stmt, 4, values->owner);
	store_bind_text(stmt, 5, values->ip_type);
	store_bind_text(stmt, 6, values->ip_address);
	if (rule->ttl == -1) {
		sqlite3_bind_null(stmt, 7);
	} else {
		sqlite3_bind_int64(stmt, 7, rule->ttl); /* Range checked by the schema. */
	}
	store_bind_text(stmt, 8, rule->active ? "ACTIVE" : "INACTIVE");
	sqlite3_bind_int64(stmt, 9, txn->now_ms);
	store_bind_u64(stmt, 10, txn->generation);
	store_bind_text(stmt, 11, rule->client_subnets); /* NULL: every client */
	if (sqlite3_bind_parameter_count(stmt) >= 12) {  /* the update only */
		sqlite3_bind_int(stmt, 12, rule->keep_client_subnets ? 1 : 0);
	}
}

/*! \brief An ACTIVE rule may not join a CNAME, nor make its name's answer
 *         too big for a DNS message. */
static mecdns_store_status_t check_rule_owner(write_txn_t *txn, const mecdns_rule_t *rule,
                                              const char *owner)
{
	if (!rule->active) {
		return MECDNS_STORE_OK;
	}
	owner_use_t use;
	uint16_t type = rule->ip_type == MECDNS_IP_V6 ? 28 : 1;
	mecdns_store_status_t status = store_owner_use(txn->conn, owner, type, &use);
	if (status == MECDNS_STORE_OK) {
		/* This rule's record on top of the others' (counted twice when an
		 * ACTIVE rule is rewritten in place: 16 bytes of slack). */
		use.answer_records += 1;
		use.answer_bytes += type == 28 ? 16 : 4;
		if (store_check_answer_fits(&use, owner, type) != MECDNS_STORE_OK) {
			char why[256];
			snprintf(why, sizeof(why), "%s", mecdns_store_last_error());
			status = store_fail(MECDNS_STORE_CONFLICT, "rule %s/%s: %s",
			                    rule->app_instance_id, rule->dns_rule_id, why);
		}
	}
	if (status == MECDNS_STORE_OK && use.cname_records > 0) {
		status =
		    store_fail(MECDNS_STORE_CONFLICT,
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
                                            const char *dns_rule_id, mecdns_rule_t *out,
                                            uint64_t *generation)
{
	memset(out, 0, sizeof(*out));
	if (app_instance_id == NULL || dns_rule_id == NULL) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "rule get without app instance id or rule id");
	}
	connection_t *conn;
	mecdns_store_status_t status = store_read_begin(store, &conn, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	status = rule_read_existing(conn, app_instance_id, dns_rule_id, out);
	store_read_end(conn);
	return status;
}

mecdns_store_status_t store_rules_from_rows(connection_t *conn, sqlite3_stmt *stmt,
                                            mecdns_rule_list_t *out)
{
	mecdns_store_status_t status = MECDNS_STORE_OK;
	size_t capacity = 0;
	int rc = SQLITE_DONE;
	while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		mecdns_rule_t *items =
		    mecdns_array_room(out->items, out->count, &capacity, sizeof(*items), 8);
		if (items == NULL) {
			status = store_fail(MECDNS_STORE_ERROR, "list rules: out of memory");
			break;
		}
		out->items = items;
		status = rule_from_row(stmt, &out->items[out->count]);
		if (status == MECDNS_STORE_OK) {
			out->count++;
		}
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "list rules");
	}
	return status;
}

mecdns_store_status_t mecdns_store_rule_page(mecdns_store_t *store, const char *after_app,
                                             const char *after_id, size_t max_rules,
                                             mecdns_rule_list_t *out, bool *more,
                                             uint64_t *generation)
{
	memset(out, 0, sizeof(*out));
	*more = false;
	if (max_rules == 0 || max_rules > INT32_MAX) {
		return store_fail(MECDNS_STORE_INVALID, "list rules: a page holds 1 to %d rules",
		                  INT32_MAX);
	}
	if ((after_app == NULL) != (after_id == NULL)) {
		return store_fail(MECDNS_STORE_INVALID, "list rules: incomplete page key");
	}
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status =
	    store_read_statement(store, ST_RULE_PAGE, &conn, &stmt, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	/* Every key is after ("", ""): ids are at least one character. */
	store_bind_text(stmt, 1, after_app != NULL ? after_app : "");
	store_bind_text(stmt, 2, after_id != NULL ? after_id : "");
	/* One rule more than the page: whether there is a next page. */
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max_rules + 1);
	status = store_rules_from_rows(conn, stmt, out);
	store_read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_rule_list_free(out);
		return status;
	}
	if (out->count > max_rules) {
		*more = true;
		mecdns_rule_clear(&out->items[max_rules]);
		out->count = max_rules;
	}
	return MECDNS_STORE_OK;
}

mecdns_store_status_t mecdns_store_app_counts(mecdns_store_t *store,
                                              bool (*count)(const char *app, uint64_t active,
                                                            uint64_t inactive, void *ctx),
                                              void *ctx)
{
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status =
	    store_read_statement(store, ST_APP_COUNTS, &conn, &stmt, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	int rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *app = (const char *)sqlite3_column_text(stmt, 0);
		if (!count(app != NULL ? app : "", (uint64_t)sqlite3_column_int64(stmt, 1),
		           (uint64_t)sqlite3_column_int64(stmt, 2), ctx)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "rules per app");
	}
	store_read_end(conn);
	return status;
}

mecdns_store_status_t mecdns_store_rule_list(mecdns_store_t *store, const char *app_instance_id,
                                             mecdns_rule_list_t *out, uint64_t *generation)
{
	memset(out, 0, sizeof(*out));
	if (app_instance_id == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "rule list without app instance id");
	}
	connection_t *conn;
	mecdns_store_status_t status = store_read_begin(store, &conn, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	sqlite3_stmt *stmt = store_statement(conn, ST_RULE_LIST);
	if (stmt == NULL) {
		store_read_end(conn);
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, app_instance_id);
	status = store_rules_from_rows(conn, stmt, out);
	store_read_end(conn);
	if (status == MECDNS_STORE_OK && out->count == 0) {
		status = store_fail(MECDNS_STORE_NOT_FOUND, "app instance %s has no rules",
		                    app_instance_id);
	}
	if (status != MECDNS_STORE_OK) {
		mecdns_rule_list_free(out);
	}
	return status;
}

/*! \brief Runs the insert or update statement id with the rule's values. */
static mecdns_store_status_t write_rule_values(write_txn_t *txn, statement_id_t id,
                                               const mecdns_rule_t *rule,
                                               const rule_values_t *values, const char *what)
{
	sqlite3_stmt *stmt = store_statement(txn->conn, id);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_rule_values(stmt, txn, rule, values);
	return store_run(txn->conn, stmt, what);
}

/*! \brief Checks the rule's values and begins the write; on failure
 *         nothing is held or allocated. */
static mecdns_store_status_t rule_write_begin(mecdns_store_t *store, const mecdns_rule_t *rule,
                                              rule_values_t *values, write_txn_t *txn)
{
	mecdns_store_status_t status = rule_values(rule, values);
	if (status == MECDNS_STORE_OK && rule->active) {
		status = store_guard(store, values->owner, NULL);
	}
	if (status == MECDNS_STORE_OK) {
		status = store_write_begin(store, txn);
	}
	if (status != MECDNS_STORE_OK) {
		free(values->owner);
		values->owner = NULL;
	}
	return status;
}

mecdns_store_status_t store_rule_insert(write_txn_t *txn, const mecdns_rule_t *rule, bool grants)
{
	rule_values_t values;
	mecdns_store_status_t status = rule_values(rule, &values);
	mecdns_rule_t stored = { 0 };
	if (status == MECDNS_STORE_OK) {
		status = rule_read(txn->conn, rule->app_instance_id, rule->dns_rule_id, &stored);
		if (status == MECDNS_STORE_OK) {
			mecdns_rule_clear(&stored);
			status = store_fail(MECDNS_STORE_EXISTS, "rule %s/%s already exists",
			                    rule->app_instance_id, rule->dns_rule_id);
		} else if (status == MECDNS_STORE_NOT_FOUND) {
			status = check_rule_owner(txn, rule, values.owner);
		}
	}
	if (status == MECDNS_STORE_OK && grants) {
		status = store_check_grant(txn, rule, values.owner);
	}
	if (status == MECDNS_STORE_OK) {
		status = write_rule_values(txn, ST_RULE_INSERT, rule, &values, "insert rule");
	}
	if (status == MECDNS_STORE_OK) {
		status = store_log_rule_change(txn, values.owner, NULL, rule->app_instance_id,
		                               rule->dns_rule_id, rule->domain_name,
		                               rule->active ? "ACTIVE" : "INACTIVE", NULL);
	}
	free(values.owner);
	return status;
}

mecdns_store_status_t store_rule_guard(mecdns_store_t *store, const mecdns_rule_t *rule)
{
	rule_values_t values;
	mecdns_store_status_t status = rule_values(rule, &values);
	if (status == MECDNS_STORE_OK && rule->active) {
		status = store_guard(store, values.owner, NULL);
	}
	free(values.owner);
	return status;
}

mecdns_store_status_t mecdns_store_rule_create(mecdns_store_t *store, const mecdns_rule_t *rule,
                                               mecdns_rule_t *out)
{
	rule_values_t values;
	write_txn_t txn;
	mecdns_store_status_t status = rule_write_begin(store, rule, &values, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}

	mecdns_rule_t stored = { 0 };
	status = rule_read(txn.conn, rule->app_instance_id, rule->dns_rule_id, &stored);
	if (status == MECDNS_STORE_OK) {
		mecdns_rule_clear(&stored);
		status = store_fail(MECDNS_STORE_EXISTS, "rule %s/%s already exists",
		                    rule->app_instance_id, rule->dns_rule_id);
	} else if (status == MECDNS_STORE_NOT_FOUND) {
		status = check_rule_owner(&txn, rule, values.owner);
	}
	if (status == MECDNS_STORE_OK) {
		status = store_check_grant(&txn, rule, values.owner);
	}
	if (status == MECDNS_STORE_OK) {
		status = write_rule_values(&txn, ST_RULE_INSERT, rule, &values, "insert rule");
	}
	if (status == MECDNS_STORE_OK) {
		status = store_log_rule_change(&txn, values.owner, NULL, rule->app_instance_id,
		                               rule->dns_rule_id, rule->domain_name,
		                               rule->active ? "ACTIVE" : "INACTIVE", NULL);
	}
	if (status == MECDNS_STORE_OK && out != NULL) {
		status = rule_read(txn.conn, rule->app_instance_id, rule->dns_rule_id, &stored);
	}
	status = store_write_end(&txn, status, NULL);
	free(values.owner);
	rule_output(&stored, out, status);
	return status;
}

/*! \brief NOT_FOUND or STALE unless the stored rule may be changed. */
static mecdns_store_status_t check_expected_version(const mecdns_rule_t *stored,
                                                    uint64_t expected_version)
{
	if (expected_version != 0 && stored->version != expected_version) {
		return store_fail(MECDNS_STORE_STALE, "rule %s/%s is at version %llu, not %llu",
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
	write_txn_t txn;
	mecdns_store_status_t status = rule_write_begin(store, rule, &values, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}

	char *old_owner = NULL; /* Where the rule was: its change row names both. */
	mecdns_rule_t stored = { 0 };
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
		status = store_check_grant(&txn, rule, values.owner);
	}
	if (status == MECDNS_STORE_OK) {
		status = write_rule_values(&txn, ST_RULE_UPDATE, rule, &values, "update rule");
	}
	if (status == MECDNS_STORE_OK) {
		bool moved = strcmp(old_owner, values.owner) != 0;
		status = store_log_rule_change(&txn, values.owner, moved ? old_owner : NULL,
		                               rule->app_instance_id, rule->dns_rule_id,
		                               rule->domain_name,
		                               rule->active ? "ACTIVE" : "INACTIVE", NULL);
	}
	if (status == MECDNS_STORE_OK && out != NULL) {
		status = rule_read(txn.conn, rule->app_instance_id, rule->dns_rule_id, &stored);
	}
	status = store_write_end(&txn, status, NULL);
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
		return store_fail(MECDNS_STORE_INVALID,
		                  "rule delete without app instance id or rule id");
	}
	write_txn_t txn;
	mecdns_store_status_t status = store_write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	mecdns_rule_t stored = { 0 };
	status = rule_read_existing(txn.conn, app_instance_id, dns_rule_id, &stored);
	if (status == MECDNS_STORE_OK) {
		status = check_expected_version(&stored, expected_version);
	}
	if (status == MECDNS_STORE_OK) {
		sqlite3_stmt *stmt = store_statement(txn.conn, ST_RULE_DELETE);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			store_bind_text(stmt, 1, app_instance_id);
			store_bind_text(stmt, 2, dns_rule_id);
			status = store_run(txn.conn, stmt, "delete rule");
		}
	}
	if (status == MECDNS_STORE_OK) {
		status =
		    store_log_rule_change(&txn, stored.owner, NULL, app_instance_id, dns_rule_id,
		                          stored.domain_name, "DELETED", stored.client_subnets);
	}
	status = store_write_end(&txn, status, generation);
	mecdns_rule_clear(&stored);
	return status;
}

mecdns_store_status_t store_rules_delete_app(write_txn_t *txn, const char *app_instance_id,
                                             size_t *deleted)
{
	/* One DELETED change row per rule, then the rules themselves. */
	*deleted = 0;
	sqlite3_stmt *stmt = store_statement(txn->conn, ST_RULE_LOG_DELETE_APP);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_u64(stmt, 1, txn->generation);
	sqlite3_bind_int64(stmt, 2, txn->now_ms);
	store_bind_text(stmt, 3, app_instance_id);
	mecdns_store_status_t status = store_run(txn->conn, stmt, "log deleted rules");
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	*deleted = (size_t)sqlite3_changes(txn->conn->db);
	txn->changes += *deleted;
	stmt = store_statement(txn->conn, ST_RULE_DELETE_APP);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_text(stmt, 1, app_instance_id);
	return store_run(txn->conn, stmt, "delete rules of an app instance");
}

mecdns_store_status_t mecdns_store_rule_delete_app(mecdns_store_t *store,
                                                   const char *app_instance_id, size_t *deleted,
                                                   uint64_t *generation)
{
	if (deleted != NULL) {
		*deleted = 0;
	}
	if (app_instance_id == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "app delete without app instance id");
	}
	write_txn_t txn;
	mecdns_store_status_t status = store_write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	size_t logged = 0;
	status = store_rules_delete_app(&txn, app_instance_id, &logged);
	if (status == MECDNS_STORE_OK && logged == 0) {
		status = store_fail(MECDNS_STORE_NOT_FOUND, "app instance %s has no rules",
		                    app_instance_id);
	}
	status = store_write_end(&txn, status, generation);
	if (status == MECDNS_STORE_OK && deleted != NULL) {
		*deleted = logged;
	}
	return status;
}

mecdns_store_status_t mecdns_store_rule_counts(mecdns_store_t *store, uint64_t *active,
                                               uint64_t *inactive, uint64_t *rrsets)
{
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status = store_read_statement(
	    store, rrsets != NULL ? ST_COUNTS : ST_RULE_COUNTS, &conn, &stmt, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (active != NULL) {
			*active = (uint64_t)sqlite3_column_int64(stmt, 0);
		}
		if (inactive != NULL) {
			*inactive = (uint64_t)sqlite3_column_int64(stmt, 1);
		}
		if (rrsets != NULL) {
			*rrsets = (uint64_t)sqlite3_column_int64(stmt, 2);
		}
		status = MECDNS_STORE_OK;
	} else {
		status = store_db_fail(conn, rc, "count rules");
	}
	store_read_end(conn);
	return status;
}
