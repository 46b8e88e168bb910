/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: zone sync rows -- answer rows under a zone, ownership,
 *  cursor (see store.h). */

#include "common/array.h"
#include "store/internal.h"

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
	mecdns_zone_record_t *items =
	    mecdns_array_room(list->items, list->count, &b->capacity, sizeof(*items), 16);
	if (items == NULL) {
		return false;
	}
	list->items = items;
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
	if (owner == NULL || ip_type == NULL || ip == NULL || !mecdns_name_in_zone(owner, zone)) {
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
		return store_fail(MECDNS_STORE_ERROR, "read zone records: out of memory");
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
	if (owner == NULL || text == NULL || !mecdns_name_in_zone(owner, zone)) {
		return MECDNS_STORE_OK;
	}
	int type = sqlite3_column_int(stmt, 1);
	if (type < 1 || type > 65535) {
		return MECDNS_STORE_OK;
	}
	if (!record_push(b, owner, (uint16_t)type, sqlite3_column_int64(stmt, 2), text,
	                 sqlite3_column_blob(stmt, 4), (size_t)sqlite3_column_bytes(stmt, 4))) {
		return store_fail(MECDNS_STORE_ERROR, "read zone records: out of memory");
	}
	return MECDNS_STORE_OK;
}

/*! \brief Steps a store_statement through a row function. */
static mecdns_store_status_t zone_rows(connection_t *conn, sqlite3_stmt *stmt, record_builder_t *b,
                                       const char *zone, bool rules)
{
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = SQLITE_DONE;
	while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		status = rules ? zone_rule_row(b, stmt, zone) : zone_rdata_row(b, stmt, zone);
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "read zone records");
	}
	store_statement_done(stmt);
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
		sqlite3_stmt *stmt = store_statement(conn, ids[i]);
		if (stmt == NULL) {
			return MECDNS_STORE_ERROR;
		}
		if (owner != NULL) {
			store_bind_text(stmt, 1, owner);
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
	sqlite3_stmt *stmt = store_statement(conn, ST_ZONE_CHANGED_OWNERS);
	if (stmt == NULL) {
		return MECDNS_STORE_ERROR;
	}
	store_bind_u64(stmt, 1, since);
	store_bind_u64(stmt, 2, generation);
	size_t capacity = 0;
	mecdns_store_status_t status = MECDNS_STORE_OK;
	int rc = SQLITE_DONE;
	while (status == MECDNS_STORE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(stmt, 0);
		if (owner == NULL || !mecdns_name_in_zone(owner, zone)) {
			continue;
		}
		char **owners = mecdns_array_room(out->owners, out->owner_count, &capacity,
		                                  sizeof(*owners), 16);
		if (owners == NULL) {
			status =
			    store_fail(MECDNS_STORE_ERROR, "read changed owners: out of memory");
			break;
		}
		out->owners = owners;
		out->owners[out->owner_count] = strdup(owner);
		if (out->owners[out->owner_count] == NULL) {
			status =
			    store_fail(MECDNS_STORE_ERROR, "read changed owners: out of memory");
			break;
		}
		out->owner_count++;
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "read changed owners");
	}
	store_statement_done(stmt);
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
		return store_fail(MECDNS_STORE_ERROR, "read zone records: out of memory");
	}
	out->owners = owners;
	for (size_t i = 0; i < also_count; i++) {
		if (also[i] == NULL || !mecdns_name_in_zone(also[i], zone)) {
			continue;
		}
		out->owners[out->owner_count] = strdup(also[i]);
		if (out->owners[out->owner_count] == NULL) {
			return store_fail(MECDNS_STORE_ERROR, "read zone records: out of memory");
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
	if (zone == NULL || !store_name_is_canonical(zone)) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "zone snapshot: \"%s\" is not a canonical zone name",
		                  zone != NULL ? zone : "(null)");
	}
	connection_t *conn;
	mecdns_store_status_t status = store_read_begin(store, &conn, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	uint64_t pruned_through = 0;
	sqlite3_stmt *stmt = store_statement(conn, ST_STATE_GET);
	status = MECDNS_STORE_ERROR;
	if (stmt != NULL) {
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			out->generation = (uint64_t)sqlite3_column_int64(stmt, 0);
			pruned_through = (uint64_t)sqlite3_column_int64(stmt, 1);
			status = MECDNS_STORE_OK;
		} else if (rc == SQLITE_DONE) {
			status = store_fail(MECDNS_STORE_CORRUPT,
			                    "read state: the state row is missing");
		} else {
			status = store_db_fail(conn, rc, "read state");
		}
		store_statement_done(stmt);
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
	store_read_end(conn);
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

/*! \brief Adds the ownership rows of a store_statement (owner, type, ttl, text, wire). */
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
			status =
			    store_fail(MECDNS_STORE_ERROR, "read owned records: out of memory");
		}
	}
	if (status == MECDNS_STORE_OK && rc != SQLITE_DONE) {
		status = store_db_fail(conn, rc, "read owned records");
	}
	store_statement_done(stmt);
	return status;
}

mecdns_store_status_t mecdns_store_zone_owned(mecdns_store_t *store, const char *zone,
                                              char *const *owners, size_t owner_count,
                                              mecdns_zone_record_list_t *out)
{
	memset(out, 0, sizeof(*out));
	if (zone == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "owned records without a zone");
	}
	connection_t *conn;
	mecdns_store_status_t status = store_read_begin(store, &conn, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	record_builder_t builder = { .list = out };
	size_t rounds = owners != NULL ? owner_count : 1;
	for (size_t i = 0; status == MECDNS_STORE_OK && i < rounds; i++) {
		sqlite3_stmt *stmt =
		    store_statement(conn, owners != NULL ? ST_OWNED_OWNER : ST_OWNED_ZONE);
		if (stmt == NULL) {
			status = MECDNS_STORE_ERROR;
			break;
		}
		store_bind_text(stmt, 1, zone);
		if (owners != NULL) {
			store_bind_text(stmt, 2, owners[i]);
		}
		status = owned_rows(conn, stmt, &builder);
	}
	store_read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_zone_record_list_free(out);
	}
	return status;
}

mecdns_store_status_t mecdns_store_zone_sync_get(mecdns_store_t *store, const char *zone,
                                                 uint64_t *generation, uint32_t *serial)
{
	if (zone == NULL) {
		return store_fail(MECDNS_STORE_INVALID, "sync state without a zone");
	}
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status =
	    store_read_statement(store, ST_SYNC_STATE_GET, &conn, &stmt, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	store_bind_text(stmt, 1, zone);
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
		status = store_fail(MECDNS_STORE_NOT_FOUND, "zone %s was never synced", zone);
	} else {
		status = store_db_fail(conn, rc, "read sync state");
	}
	store_statement_done(stmt);
	store_read_end(conn);
	return status;
}

/*! \brief Deletes the ownership of the zone, or of the listed owners. */
static mecdns_store_status_t owned_delete(connection_t *conn, const char *zone, char *const *owners,
                                          size_t owner_count)
{
	size_t rounds = owners != NULL ? owner_count : 1;
	mecdns_store_status_t status = MECDNS_STORE_OK;
	for (size_t i = 0; status == MECDNS_STORE_OK && i < rounds; i++) {
		sqlite3_stmt *stmt = store_statement(conn, owners != NULL ? ST_OWNED_DELETE_OWNER
		                                                          : ST_OWNED_DELETE_ZONE);
		if (stmt == NULL) {
			return MECDNS_STORE_ERROR;
		}
		store_bind_text(stmt, 1, zone);
		if (owners != NULL) {
			store_bind_text(stmt, 2, owners[i]);
		}
		status = store_run(conn, stmt, "forget owned records");
	}
	return status;
}

mecdns_store_status_t mecdns_store_zone_sync_save(mecdns_store_t *store, const char *zone,
                                                  char *const *owners, size_t owner_count,
                                                  const mecdns_zone_record_t *owned,
                                                  size_t owned_count, uint64_t generation,
                                                  uint32_t serial)
{
	if (zone == NULL || !store_name_is_canonical(zone) || (owned == NULL && owned_count > 0)) {
		return store_fail(MECDNS_STORE_INVALID,
		                  "sync save: no canonical zone or no records");
	}
	for (size_t i = 0; i < owned_count; i++) {
		if (owned[i].owner == NULL || owned[i].text == NULL ||
		    !mecdns_name_in_zone(owned[i].owner, zone) || owned[i].ttl < 0 ||
		    owned[i].ttl > INT32_MAX || owned[i].type == 0) {
			return store_fail(MECDNS_STORE_INVALID,
			                  "sync save: record %s type %u is not one "
			                  "of zone %s",
			                  owned[i].owner != NULL ? owned[i].owner : "(null)",
			                  owned[i].type, zone);
		}
	}
	connection_t *conn;
	mecdns_store_status_t status = store_housekeeping_begin(store, &conn);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	status = owned_delete(conn, zone, owners, owner_count);
	for (size_t i = 0; status == MECDNS_STORE_OK && i < owned_count; i++) {
		sqlite3_stmt *stmt = store_statement(conn, ST_OWNED_INSERT);
		if (stmt == NULL) {
			status = MECDNS_STORE_ERROR;
			break;
		}
		store_bind_text(stmt, 1, zone);
		store_bind_text(stmt, 2, owned[i].owner);
		sqlite3_bind_int(stmt, 3, owned[i].type);
		sqlite3_bind_int64(stmt, 4, owned[i].ttl);
		store_bind_text(stmt, 5, owned[i].text);
		store_bind_blob(stmt, 6, owned[i].wire, owned[i].wire_len);
		status = store_run(conn, stmt, "record an owned record");
	}
	if (status == MECDNS_STORE_OK) {
		sqlite3_stmt *stmt = store_statement(conn, ST_SYNC_STATE_SET);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			store_bind_text(stmt, 1, zone);
			store_bind_u64(stmt, 2, generation);
			sqlite3_bind_int64(stmt, 3, serial);
			sqlite3_bind_int64(stmt, 4, mecdns_now_ms());
			status = store_run(conn, stmt, "move the zone sync cursor");
		}
	}
	return store_housekeeping_end(store, status);
}
