/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns: the SQLite schema and how a database file is opened.
 *
 *  One database file in WAL mode holds the MEC DNS rules, the rrecord sets
 *  and the change log. mecdns-syncd is the only writer; knotd's mod-mecdns
 *  and tools only read. The schema version is SQLite's PRAGMA user_version;
 *  migrations only go forward, each in its own transaction.
 *
 *  Tables (version 1; see schema.c for the exact DDL):
 *
 *  rules    (app_instance_id, dns_rule_id) -> domain_name as sent, owner
 *           (canonical: lower case, absolute, trailing dot), ip_address_type
 *           'IP_V4'|'IP_V6', ip_address (canonical text), ttl (NULL = module's
 *           default-ttl), state 'ACTIVE'|'INACTIVE', version (ETag source,
 *           starts at 1, +1 per change), created_ms, updated_ms, generation.
 *  rrsets   (zone, owner, type) -> ttl, generation, updated_ms.
 *  rdata    (zone, owner, type, pos) -> text (presentation), wire (RDATA).
 *  changes  the change log: seq (AUTOINCREMENT), generation, committed_ms,
 *           kind 'rule'|'rrset', owner (canonical name whose answers may
 *           change), prev_owner (a rule moved away from it, or NULL), and the
 *           signal arguments: app_instance_id, dns_rule_id, domain_name,
 *           state 'ACTIVE'|'INACTIVE'|'DELETED' (rules); zone, rrtype (text
 *           mnemonic), rdata_count (rrsets).
 *  state    one row (id = 1): generation (last committed), pruned_through
 *           (changes with generation <= this were pruned), signalled_seq
 *           (D-Bus outbox cursor: last changes.seq emitted), instance (random
 *           id of this database file, so a reader notices a replaced file).
 *
 *  Every write transaction bumps state.generation by one and appends one
 *  changes row per rule or rrset it touched, all with that generation.
 *
 *  Tables added by version 2 (zone sync, syncd/zonesync.h); writing them is
 *  bookkeeping of mecdns-syncd, never a change of the answers (no
 *  generation, no changes row):
 *
 *  zone_sync_owned  (zone, owner, type, rdata_wire) -> ttl, rdata_text: every
 *           record mecdns-syncd wrote into the Knot zone `zone` and still
 *           owns there. syncd never touches a record of the zone not listed
 *           here (the operator's).
 *  zone_sync_state  zone -> synced_generation (the database generation the
 *           Knot zone reflects), serial (the zone's SOA serial after syncd's
 *           last commit), updated_ms.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/*! Schema version this build writes and understands. */
#define MECDNS_SCHEMA_VERSION 10

/*! Open modes of mecdns_db_open(). */
typedef enum {
	/*! Writer: create the file if missing, migrate to MECDNS_SCHEMA_VERSION,
	 *  WAL mode, synchronous=FULL, foreign keys on. */
	MECDNS_DB_WRITER = 0,
	/*! Reader: open read-only (works on a WAL database whose -wal/-shm files
	 *  belong to another user, given group write access to -shm); never
	 *  creates or migrates; refuses a schema version it does not know. */
	MECDNS_DB_READER = 1,
} mecdns_db_mode_t;

/*!
 * \brief Opens (and for a writer creates/migrates) a mecdns database.
 *
 * \param path     Database file path.
 * \param mode     MECDNS_DB_WRITER or MECDNS_DB_READER.
 * \param out      Opened connection (NULL on failure).
 * \param err      Buffer for a one-line error message naming path and cause.
 * \param err_len  Size of err.
 *
 * \return SQLITE_OK, or an SQLite result code (SQLITE_CANTOPEN,
 *         SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_BUSY, SQLITE_READONLY, ...);
 *         SQLITE_MISMATCH when the file has a schema version this build
 *         does not know (newer than MECDNS_SCHEMA_VERSION).
 */
int mecdns_db_open(const char *path, mecdns_db_mode_t mode, sqlite3 **out, char *err,
                   size_t err_len);

/*!
 * \brief Applies every forward migration from the file's version up to
 *        MECDNS_SCHEMA_VERSION, each in one IMMEDIATE transaction.
 *
 * \return SQLITE_OK, SQLITE_MISMATCH for a newer unknown version, or the
 *         SQLite error of the failed step (the database keeps the last
 *         complete version).
 */
int mecdns_db_migrate(sqlite3 *db, char *err, size_t err_len);

/*! \brief Reads PRAGMA user_version (0 for an empty file). */
int mecdns_db_version(sqlite3 *db, int *version);

/*! Milliseconds since the Unix epoch (wall clock), as stored in *_ms columns. */
int64_t mecdns_now_ms(void);
