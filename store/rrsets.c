/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: resource record sets (see store.h). */

#include "common/array.h"
#include "store/internal.h"

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
	free(rrset->client_subnets);
	memset(rrset, 0, sizeof(*rrset));
}

/*! \brief Orders rdata by wire (length first), then by position. */
static int compare_rdata_at(const void *a, const void *b, void *arg)
{
	const mecdns_rdata_t *rdata = arg;
	size_t x = *(const size_t *)a;
	size_t y = *(const size_t *)b;
	int cmp = (rdata[x].wire_len > rdata[y].wire_len) - (rdata[x].wire_len < rdata[y].wire_len);
	if (cmp == 0 && rdata[x].wire_len > 0) {
		cmp = memcmp(rdata[x].wire, rdata[y].wire, rdata[x].wire_len);
	}
	return cmp != 0 ? cmp : (x > y) - (x < y);
}

static bool same_wire(const mecdns_rdata_t *a, const mecdns_rdata_t *b)
{
	return a->wire_len == b->wire_len &&
	       (a->wire_len == 0 || memcmp(a->wire, b->wire, a->wire_len) == 0);
}

bool mecdns_rrset_dedup(mecdns_rrset_t *set)
{
	size_t count = set->rdata_count;
	if (count < 2) {
		return true;
	}
	bool *drop = calloc(count, sizeof(*drop));
	size_t *order = malloc(count * sizeof(*order));
	if (drop == NULL || order == NULL) {
		free(drop);
		free(order);
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		order[i] = i;
	}
	qsort_r(order, count, sizeof(*order), compare_rdata_at, set->rdata);
	for (size_t i = 1; i < count; i++) {
		/* Equal wires sort by position: the first of a run is kept. */
		if (same_wire(&set->rdata[order[i - 1]], &set->rdata[order[i]])) {
			drop[order[i]] = true;
		}
	}
	size_t kept = 0;
	for (size_t i = 0; i < count; i++) {
		if (drop[i]) {
			free(set->rdata[i].text);
			free(set->rdata[i].wire);
		} else {
			set->rdata[kept++] = set->rdata[i];
		}
	}
	set->rdata_count = kept;
	free(drop);
	free(order);
	return true;
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
bool store_name_is_canonical(const char *name)
{
	char *canonical = mecdns_canonical_name(name);
	bool same = canonical != NULL && strcmp(canonical, name) == 0;
	free(canonical);
	return same;
}

/*! \brief A scope as the store keys it: '' for every client. */
static const char *scope_key(const char *client_subnets)
{
	return client_subnets != NULL ? client_subnets : "";
}

/*! \brief INVALID unless (zone, owner, type, scope) is a key the store can hold. */
static mecdns_store_status_t check_rrset_key(const char *zone, const char *owner, uint16_t type,
                                             const char *client_subnets)
{
	if (zone == NULL || owner == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "rrset without zone or owner");
	}
	if (!store_name_is_canonical(zone)) {
		return store_fail(MECDNS_STORE_INVALID, "zone '%s' is not a canonical domain name",
		                  zone);
	}
	if (!store_name_is_canonical(owner)) {
		return store_fail(MECDNS_STORE_INVALID, "owner '%s' is not a canonical domain name",
		                  owner);
	}
	if (!mecdns_name_in_zone(owner, zone)) {
		return store_fail(MECDNS_STORE_INVALID, "owner %s is not in zone %s", owner, zone);
	}
	if (type == 0) {
		return store_fail(MECDNS_STORE_INVALID, "rrset %s with RR type 0", owner);
	}
	mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
	if (client_subnets != NULL && mecdns_subnets_parse_list(client_subnets, subnets) == 0) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "rrset %s: '%s' is not a canonical list of client subnets", owner,
		                  client_subnets);
	}
	/* A CNAME answers every client (mod-mecdns), so it has no scope. */
	if (client_subnets != NULL && type == KNOT_RRTYPE_CNAME) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "rrset %s: a CNAME cannot have client subnets (it answers every "
		                  "client)",
		                  owner);
	}
	return MECDNS_STORE_OK;
}

/*! \brief INVALID unless a set given for writing is complete. */
static mecdns_store_status_t check_rrset(const mecdns_rrset_t *set)
{
	mecdns_store_status_t status =
	    check_rrset_key(set->zone, set->owner, set->type, set->client_subnets);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	if (set->ttl > INT32_MAX) {
		return store_fail(MECDNS_STORE_INVALID, "rrset %s: ttl %u is above 2147483647",
		                  set->owner, set->ttl);
	}
	if (set->rdata_count > 0 && !mecdns_type_allowed_at(set->type, set->owner, set->zone)) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "rrset %s: a CNAME cannot be at the apex of zone %s (beside its "
		                  "SOA and NS)",
		                  set->owner, set->zone);
	}
	if (set->rdata_count > 0 && set->rdata == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "rrset %s: rdata missing", set->owner);
	}
	for (size_t i = 0; i < set->rdata_count; i++) {
		const mecdns_rdata_t *rdata = &set->rdata[i];
		if (rdata->text == NULL || (rdata->wire == NULL && rdata->wire_len > 0)) {
			return store_fail(MECDNS_STORE_INVALID, "rrset %s: record %zu incomplete",
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
	if (cmp == 0) {
		cmp = strcmp(scope_key(x->client_subnets), scope_key(y->client_subnets));
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
		return store_fail(MECDNS_STORE_ERROR, "replace rrsets: out of memory");
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
			const char *scope = sorted[i]->client_subnets;
			status = store_fail(
			    MECDNS_STORE_INVALID, "rrset %s %s (zone %s%s%s) is given twice",
			    sorted[i]->owner, type, sorted[i]->zone,
			    scope != NULL ? ", client subnets " : "", scope != NULL ? scope : "");
			break;
		}
	}
	free(sorted);
	return status;
}

/*! \brief Binds (zone, owner, type, scope) to ?1..?4. */
static void bind_rrset_key(sqlite3_stmt *stmt, const char *zone, const char *owner, uint16_t type,
                           const char *client_subnets)
{
	store_bind_text(stmt, 1, zone);
	store_bind_text(stmt, 2, owner);
	sqlite3_bind_int(stmt, 3, type);
	store_bind_text(stmt, 4, scope_key(client_subnets));
}

/*! \brief bind_rrset_key() with a set's key. */
static void bind_set_key(sqlite3_stmt *stmt, const mecdns_rrset_t *set)
{
	bind_rrset_key(stmt, set->zone, set->owner, set->type, set->client_subnets);
}

/*! \brief Creates the set's row or updates its ttl/generation. */
static mecdns_store_status_t rrset_upsert(write_txn_t *txn, const mecdns_rrset_t *set)
{
	sqlite3_stmt *stmt = store_statement(txn->conn, ST_RRSET_UPSERT);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_set_key(stmt, set);
	sqlite3_bind_int64(stmt, 5, set->ttl);
	store_bind_u64(stmt, 6, txn->generation);
	sqlite3_bind_int64(stmt, 7, txn->now_ms);
	return store_run(txn->conn, stmt, "write rrset");
}

/*! \brief Runs a key-bound store_statement; *changed = rows it changed. */
static mecdns_store_status_t rrset_key_run(write_txn_t *txn, statement_id_t id,
                                           const mecdns_rrset_t *key, const char *what,
                                           size_t *changed)
{
	sqlite3_stmt *stmt = store_statement(txn->conn, id);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_set_key(stmt, key);
	mecdns_store_status_t status = store_run(txn->conn, stmt, what);
	if (changed != NULL) {
		*changed = (size_t)sqlite3_changes(txn->conn->db);
	}
	return status;
}

/*! \brief Next free position and record count of a set. */
static mecdns_store_status_t rdata_tail(write_txn_t *txn, const mecdns_rrset_t *set,
                                        int64_t *next_pos, size_t *count)
{
	sqlite3_stmt *stmt = store_statement(txn->conn, ST_RDATA_TAIL);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_set_key(stmt, set);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*next_pos = sqlite3_column_int64(stmt, 0);
		*count = (size_t)sqlite3_column_int64(stmt, 1);
	} else {
		status = store_db_fail(txn->conn, rc, "read rdata positions");
	}
	store_statement_done(stmt);
	return status;
}

/*! \brief Whether the set already holds this wire rdata. */
static mecdns_store_status_t rdata_exists(write_txn_t *txn, const mecdns_rrset_t *set,
                                          const mecdns_rdata_t *rdata, bool *exists)
{
	sqlite3_stmt *stmt = store_statement(txn->conn, ST_RDATA_HAS);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	bind_set_key(stmt, set);
	store_bind_blob(stmt, 5, rdata->wire, rdata->wire_len);
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*exists = rc == SQLITE_ROW;
	} else {
		status = store_db_fail(txn->conn, rc, "compare rdata");
	}
	store_statement_done(stmt);
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
		sqlite3_stmt *stmt = store_statement(txn->conn, ST_RDATA_INSERT);
		if (stmt == NULL) {
			return MECDNS_STORE_ERROR;
		}
		bind_set_key(stmt, set);
		sqlite3_bind_int64(stmt, 5, pos++);
		store_bind_text(stmt, 6, rdata->text);
		store_bind_blob(stmt, 7, rdata->wire, rdata->wire_len);
		status = store_run(txn->conn, stmt, "write rdata");
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
		    rrset_key_run(txn, ST_RRSET_DELETE, set, "delete rrset", &changed);
		if (status != MECDNS_STORE_OK || changed == 0) {
			return status; /* Deleting an absent set changes nothing. */
		}
		return store_log_rrset_change(txn, set, 0);
	}
	mecdns_store_status_t status = rrset_upsert(txn, set);
	if (status == MECDNS_STORE_OK) {
		status = rrset_key_run(txn, ST_RDATA_CLEAR, set, "clear rdata", NULL);
	}
	size_t count = 0;
	if (status == MECDNS_STORE_OK) {
		status = rdata_append(txn, set, &count);
	}
	if (status == MECDNS_STORE_OK) {
		status = store_log_rrset_change(txn, set, count);
	}
	return status;
}

/*!
 * \brief store_check_owner() for a set just written, cheaper when the set
 *        is all its owner holds: then no CNAME can conflict unless the set
 *        is a CNAME of several records, and the answer is the set's own, at
 *        most its records as given (the store keeps duplicates once). Any
 *        doubt falls back to the full check on the stored state.
 */
static mecdns_store_status_t check_written(write_txn_t *txn, const mecdns_rrset_t *set)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < set->rdata_count; i++) {
		bytes += set->rdata[i].wire_len;
	}
	bool simple = (set->type != KNOT_RRTYPE_CNAME || set->rdata_count == 1) &&
	              mecdns_answer_fits(set->owner, set->rdata_count, bytes);
	if (simple) {
		sqlite3_stmt *stmt = store_statement(txn->conn, ST_OWNER_ALONE);
		if (stmt == NULL) {
			return MECDNS_STORE_ERROR;
		}
		store_bind_text(stmt, 1, set->owner);
		int rc = sqlite3_step(stmt);
		bool alone = rc == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 1;
		store_statement_done(stmt);
		if (rc != SQLITE_ROW) {
			return store_db_fail(txn->conn, rc, "check the records at an owner");
		}
		if (alone) {
			return MECDNS_STORE_OK;
		}
	}
	return store_check_owner(txn, set->owner, set->type);
}

mecdns_store_status_t mecdns_store_rrset_replace(mecdns_store_t *store, const mecdns_rrset_t *sets,
                                                 size_t count, uint64_t *generation)
{
	if (count > 0 && sets == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "replace rrsets: no sets given");
	}
	for (size_t i = 0; i < count; i++) {
		mecdns_store_status_t status = check_rrset(&sets[i]);
		if (status == MECDNS_STORE_OK && sets[i].rdata_count > 0) {
			status = store_guard(store, sets[i].owner, sets[i].zone);
		}
		if (status != MECDNS_STORE_OK) {
			return status;
		}
	}
	write_txn_t txn;
	mecdns_store_status_t status = check_unique_keys(sets, count);
	if (status == MECDNS_STORE_OK) {
		status = store_write_begin(store, &txn);
	}
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	for (size_t i = 0; status == MECDNS_STORE_OK && i < count; i++) {
		status = rrset_replace_one(&txn, &sets[i]);
	}
	/* The CNAME rule holds for the final state of the whole batch. */
	for (size_t i = 0; status == MECDNS_STORE_OK && i < count; i++) {
		if (sets[i].rdata_count > 0) {
			status = check_written(&txn, &sets[i]);
		}
	}
	return store_write_end(&txn, status, generation);
}

mecdns_store_status_t mecdns_store_rrset_add(mecdns_store_t *store, const mecdns_rrset_t *set,
                                             uint64_t *generation)
{
	if (set == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "add rrset: no set given");
	}
	mecdns_store_status_t status = check_rrset(set);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	if (set->rdata_count == 0) {
		return store_fail(MECDNS_STORE_INVALID, "add rrset %s: no records given",
		                  set->owner);
	}
	status = store_guard(store, set->owner, set->zone);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	write_txn_t txn;
	status = store_write_begin(store, &txn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	size_t count = 0;
	status = rrset_upsert(&txn, set);
	if (status == MECDNS_STORE_OK) {
		status = rdata_append(&txn, set, &count);
	}
	if (status == MECDNS_STORE_OK) {
		status = store_log_rrset_change(&txn, set, count);
	}
	if (status == MECDNS_STORE_OK) {
		status = store_check_owner(&txn, set->owner, set->type);
	}
	return store_write_end(&txn, status, generation);
}

mecdns_store_status_t mecdns_store_rrset_delete(mecdns_store_t *store, const char *zone,
                                                const char *owner, uint16_t type,
                                                const char *client_subnets, uint64_t *generation)
{
	write_txn_t txn;
	mecdns_store_status_t status = check_rrset_key(zone, owner, type, client_subnets);
	if (status == MECDNS_STORE_OK) {
		status = store_write_begin(store, &txn);
	}
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	/* Only the key is read from it. */
	const mecdns_rrset_t key = { .zone = (char *)zone,
		                     .owner = (char *)owner,
		                     .type = type,
		                     .client_subnets = (char *)client_subnets };
	size_t changed = 0;
	status = rrset_key_run(&txn, ST_RRSET_DELETE, &key, "delete rrset", &changed);
	if (status == MECDNS_STORE_OK && changed == 0) {
		status = store_fail(MECDNS_STORE_NOT_FOUND,
		                    "rrset %s type %u in zone %s%s%s not found", owner, type, zone,
		                    client_subnets != NULL ? " for client subnets " : "",
		                    client_subnets != NULL ? client_subnets : "");
	}
	if (status == MECDNS_STORE_OK) {
		status = store_log_rrset_change(&txn, &key, 0);
	}
	return store_write_end(&txn, status, generation);
}

/*! \brief Appends one rdata row (text, wire columns) to a set being read. */
static bool rrset_push_rdata(mecdns_rrset_t *set, size_t *capacity, sqlite3_stmt *stmt)
{
	mecdns_rdata_t *room =
	    mecdns_array_room(set->rdata, set->rdata_count, capacity, sizeof(*room), 4);
	if (room == NULL) {
		return false;
	}
	set->rdata = room;
	mecdns_rdata_t *rdata = &set->rdata[set->rdata_count];
	int len = sqlite3_column_bytes(stmt, 6);
	const void *wire = sqlite3_column_blob(stmt, 6);
	rdata->text = store_dup_column(stmt, 5);
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

/* Contract in internal.h. */
mecdns_store_status_t store_rrsets_from_rows(connection_t *conn, sqlite3_stmt *stmt,
                                             mecdns_rrset_list_t *out, size_t max_sets,
                                             size_t max_bytes, bool *more)
{
	size_t capacity = 0;
	size_t rdata_capacity = 0;
	size_t bytes = 0;
	int rc;
	if (more != NULL) {
		*more = false;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *zone = (const char *)sqlite3_column_text(stmt, 0);
		const char *owner = (const char *)sqlite3_column_text(stmt, 1);
		uint16_t type = (uint16_t)sqlite3_column_int(stmt, 2);
		const char *scope = (const char *)sqlite3_column_text(stmt, 7);
		scope = scope != NULL && scope[0] != '\0' ? scope : NULL;
		mecdns_rrset_t *set = out->count > 0 ? &out->items[out->count - 1] : NULL;
		if (set == NULL || set->type != type || strcmp(set->owner, owner) != 0 ||
		    strcmp(set->zone, zone) != 0 ||
		    strcmp(scope_key(set->client_subnets), scope_key(scope)) != 0) {
			if (out->count == max_sets || (out->count > 0 && bytes >= max_bytes)) {
				if (more != NULL) {
					*more = true;
				}
				return MECDNS_STORE_OK;
			}
			mecdns_rrset_t *items =
			    mecdns_array_room(out->items, out->count, &capacity, sizeof(*items), 8);
			if (items == NULL) {
				return store_fail(MECDNS_STORE_ERROR, "read rrsets: out of memory");
			}
			out->items = items;
			set = &out->items[out->count++];
			memset(set, 0, sizeof(*set));
			rdata_capacity = 0;
			set->zone = strdup(zone);
			set->owner = strdup(owner);
			set->type = type;
			set->client_subnets = scope != NULL ? strdup(scope) : NULL;
			set->ttl = (uint32_t)sqlite3_column_int64(stmt, 3);
			set->generation = (uint64_t)sqlite3_column_int64(stmt, 4);
			if (set->zone == NULL || set->owner == NULL ||
			    (scope != NULL && set->client_subnets == NULL)) {
				return store_fail(MECDNS_STORE_ERROR, "read rrsets: out of memory");
			}
		}
		if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
			if (!rrset_push_rdata(set, &rdata_capacity, stmt)) {
				return store_fail(MECDNS_STORE_ERROR, "read rrsets: out of memory");
			}
			bytes += (size_t)sqlite3_column_bytes(stmt, 5) +
			         (size_t)sqlite3_column_bytes(stmt, 6);
		}
	}
	if (rc != SQLITE_DONE) {
		return store_db_fail(conn, rc, "read rrsets");
	}
	return MECDNS_STORE_OK;
}

mecdns_store_status_t mecdns_store_rrset_get(mecdns_store_t *store, const char *zone,
                                             const char *owner, uint16_t type,
                                             const char *client_subnets, mecdns_rrset_t *out,
                                             uint64_t *generation)
{
	memset(out, 0, sizeof(*out));
	if (zone == NULL || owner == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "rrset get without zone or owner");
	}
	connection_t *conn;
	mecdns_store_status_t status = store_read_begin(store, &conn, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	mecdns_rrset_list_t list = { 0 };
	sqlite3_stmt *stmt = store_statement(conn, ST_RRSET_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		bind_rrset_key(stmt, zone, owner, type, client_subnets);
		status = store_rrsets_from_rows(conn, stmt, &list, SIZE_MAX, SIZE_MAX, NULL);
	}
	store_read_end(conn);
	if (status == MECDNS_STORE_OK && list.count == 0) {
		status = store_fail(MECDNS_STORE_NOT_FOUND,
		                    "rrset %s type %u in zone %s%s%s not found", owner, type, zone,
		                    client_subnets != NULL ? " for client subnets " : "",
		                    client_subnets != NULL ? client_subnets : "");
	}
	if (status == MECDNS_STORE_OK) {
		*out = list.items[0];
		list.items[0] = (mecdns_rrset_t){ 0 };
	}
	mecdns_rrset_list_free(&list);
	return status;
}

mecdns_store_status_t mecdns_store_rrset_list(mecdns_store_t *store, const char *zone,
                                              mecdns_rrset_list_t *out, uint64_t *generation)
{
	memset(out, 0, sizeof(*out));
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status = store_read_statement(
	    store, zone != NULL ? ST_RRSET_LIST_ZONE : ST_RRSET_LIST_ALL, &conn, &stmt, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	store_bind_text(stmt, 1, zone);
	status = store_rrsets_from_rows(conn, stmt, out, SIZE_MAX, SIZE_MAX, NULL);
	store_read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_rrset_list_free(out);
	}
	return status;
}

mecdns_store_status_t mecdns_store_rrset_page(mecdns_store_t *store, const char *zone,
                                              const mecdns_rrset_key_t *after, size_t max_sets,
                                              size_t max_bytes, mecdns_rrset_list_t *out,
                                              bool *more, uint64_t *generation)
{
	memset(out, 0, sizeof(*out));
	*more = false;
	if (max_sets == 0 || max_sets > INT32_MAX) {
		return store_fail(MECDNS_STORE_INVALID, "list rrsets: a page holds 1 to %d sets",
		                  INT32_MAX);
	}
	if (after != NULL && (after->zone == NULL || after->owner == NULL)) {
		return store_fail(MECDNS_STORE_INVALID, "list rrsets: incomplete page key");
	}
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status = store_read_statement(
	    store, zone != NULL ? ST_RRSET_PAGE_ZONE : ST_RRSET_PAGE_ALL, &conn, &stmt, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	/* Every key is after ("", "", 0): zones and owners end in a dot. */
	store_bind_text(stmt, 1, zone);
	store_bind_text(stmt, 2, after != NULL ? after->zone : "");
	store_bind_text(stmt, 3, after != NULL ? after->owner : "");
	sqlite3_bind_int(stmt, 4, after != NULL ? after->type : 0);
	store_bind_text(stmt, 6, after != NULL ? scope_key(after->client_subnets) : "");
	/* One set more than the page: whether there is a next page. */
	sqlite3_bind_int64(stmt, 5, (sqlite3_int64)max_sets + 1);
	status = store_rrsets_from_rows(conn, stmt, out, max_sets, max_bytes, more);
	store_read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_rrset_list_free(out);
		*more = false;
	}
	return status;
}
