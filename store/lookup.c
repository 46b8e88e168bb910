/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: everything stored at one name, read in one transaction
 *  (what `mecdnsctl lookup` explains an answer from). */

#include <string.h>

#include "store/internal.h"

mecdns_store_status_t mecdns_store_name_get(mecdns_store_t *store, const char *owner,
                                            mecdns_rule_list_t *rules, mecdns_rrset_list_t *rrsets,
                                            uint64_t *generation)
{
	memset(rules, 0, sizeof(*rules));
	memset(rrsets, 0, sizeof(*rrsets));
	if (owner == NULL || !store_name_is_canonical(owner)) {
		return store_fail(MECDNS_STORE_INVALID, "lookup: the name is not canonical");
	}
	connection_t *conn;
	sqlite3_stmt *stmt;
	mecdns_store_status_t status =
	    store_read_statement(store, ST_NAME_RULES, &conn, &stmt, generation);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	store_bind_text(stmt, 1, owner);
	status = store_rules_from_rows(conn, stmt, rules);
	if (status == MECDNS_STORE_OK) {
		stmt = store_statement(conn, ST_NAME_RRSETS);
		status = MECDNS_STORE_ERROR;
		if (stmt != NULL) {
			store_bind_text(stmt, 1, owner);
			status =
			    store_rrsets_from_rows(conn, stmt, rrsets, SIZE_MAX, SIZE_MAX, NULL);
		}
	}
	store_read_end(conn);
	if (status != MECDNS_STORE_OK) {
		mecdns_rule_list_free(rules);
		mecdns_rrset_list_free(rrsets);
	}
	return status;
}
