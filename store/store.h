/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: the only code that writes SQL.
 *
 *  Every successful write changes rows, bumps state.generation by one and
 *  appends its change log rows (see schema/schema.h), committed with
 *  synchronous=FULL: when a write function returns MECDNS_STORE_OK the
 *  change is durable. Writes arriving while another is committing are
 *  committed together (group commit: each in its own savepoint of one
 *  IMMEDIATE transaction, one COMMIT for the group); each still gets its own
 *  generation, generations strictly increase in commit order, and a write
 *  that fails changes nothing whatever the others of its group do (a failed
 *  COMMIT fails every write of the group). Reads run in one read
 *  transaction each, so they see one generation; the reads an API answers
 *  with report it the way writes report theirs, through a uint64_t
 *  *generation output (NULL: not wanted).
 *
 *  Thread safety: a store may be used from several threads at once (writes
 *  are serialised inside; reads use their own connection).
 *
 *  Values handed to the store are expected to be validated already
 *  (syncd/validate.h); the store still refuses what the schema's CHECKs
 *  refuse, with MECDNS_STORE_INVALID.
 *
 *  A write that ends up changing nothing (a bulk replace that only deletes
 *  absent sets) commits nothing and keeps the generation, so every
 *  generation has at least one change row. Outbox and pruning calls
 *  (set_signalled, prune) change no data and never raise the generation.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Result of a store operation; syncd maps each to one HTTP status. */
typedef enum {
	MECDNS_STORE_OK = 0,
	MECDNS_STORE_NOT_FOUND, /*!< No such rule, app instance or rrset. (404) */
	MECDNS_STORE_EXISTS,    /*!< Create of a key that exists. (409) */
	MECDNS_STORE_CONFLICT,  /*!< CNAME beside other data at one owner. (409) */
	MECDNS_STORE_STALE,     /*!< Expected version does not match. (412) */
	MECDNS_STORE_INVALID,   /*!< Value refused by the schema. (400) */
	MECDNS_STORE_BUSY,      /*!< Database locked past the busy timeout. (503) */
	MECDNS_STORE_FULL,      /*!< Disk or database full. (507) */
	MECDNS_STORE_READONLY,  /*!< File or directory not writable. (503) */
	MECDNS_STORE_CORRUPT,   /*!< Not a database / corrupt. (503) */
	MECDNS_STORE_ERROR,     /*!< Any other fault. (500) */
	MECDNS_STORE_FORBIDDEN, /*!< A tenant's write to a name not granted to its
	                             app, or data the guard refuses. (403) */
} mecdns_store_status_t;

/*!
 * \brief Where data may be written (mecdns-syncd's zone guard: the zones
 *        knotd serves are the operator's). Called with the canonical owner
 *        of every ACTIVE rule and of every rrset with records that a write
 *        creates or changes (zone: the rrset's zone, NULL for a rule), before
 *        the write begins and without any store lock: fast, no I/O. False
 *        refuses the write with FORBIDDEN and the reason written into why.
 *        Deletes and deactivations are never asked.
 */
typedef bool (*mecdns_store_guard_cb)(void *ctx, const char *owner, const char *zone, char *why,
                                      size_t why_len);

/*! \brief Short English name of a status ("not found", "busy", ...). */
const char *mecdns_store_strerror(mecdns_store_status_t status);

typedef struct mecdns_store mecdns_store_t;

/*!
 * \brief Opens the database as its writer (creating and migrating it).
 *
 * \return MECDNS_STORE_OK or an error with a one-line message in err (also
 *         in mecdns_store_last_error()): CORRUPT for a file that is not a
 *         database, READONLY when it cannot be opened for writing (missing
 *         or read-only directory), ERROR for an unknown newer schema.
 *         A file the process may only read opens, and writes to it return
 *         READONLY.
 */
mecdns_store_status_t mecdns_store_open(const char *path, mecdns_store_t **out, char *err,
                                        size_t err_len);

void mecdns_store_close(mecdns_store_t *store);

/*! \brief Installs the guard (NULL: none, the default). Call before the
 *         store is shared between threads. */
void mecdns_store_set_guard(mecdns_store_t *store, mecdns_store_guard_cb guard, void *ctx);

/*! Message of the last failed operation of the calling thread (or ""). */
const char *mecdns_store_last_error(void);

/*** Rules (ETSI MEC 011 DnsRule). ***/

typedef enum {
	MECDNS_IP_V4 = 4,
	MECDNS_IP_V6 = 6,
} mecdns_ip_type_t;

typedef struct {
	char *app_instance_id;
	char *dns_rule_id;
	char *domain_name; /*!< As sent by the client; echoed by the APIs. */
	char *owner;       /*!< Canonical (lower case, trailing dot). Filled by the
	                        store from domain_name; ignored on input. */
	mecdns_ip_type_t ip_type;
	char *ip_address;         /*!< Canonical text (the store re-formats it). */
	int64_t ttl;              /*!< -1: not set (module's default-ttl applies). */
	bool active;              /*!< state ACTIVE (true) or INACTIVE. */
	bool report;              /*!< Input of a DNS context's rule: mod-mecdns
	                               reports the queries it answers
	                               (REPORT, store/contexts.c). */
	char *client_subnets;     /*!< The scope: canonical subnet list
	                               (common/subnet.h), or NULL: every client. */
	bool keep_client_subnets; /*!< Input of an update: keep the stored scope
	                               whatever client_subnets says (Mp1, whose
	                               DnsRule has no scope). */
	bool tenant;              /*!< Input: written by the application itself (its
	                               app:ID token), which may only use names granted
	                               to its app (else FORBIDDEN); an operator's write
	                               (false) grants its name to the app. */
	uint64_t version;         /*!< ETag source; output only. */
	int64_t created_ms;       /*!< Output only. */
	int64_t updated_ms;       /*!< Output only. */
	uint64_t generation;      /*!< Generation of the last change; output only. */
} mecdns_rule_t;

/*! \brief Frees the strings of a rule filled by the store (not the struct). */
void mecdns_rule_clear(mecdns_rule_t *rule);

/*! A list of rules; free with mecdns_rule_list_free(). */
typedef struct {
	mecdns_rule_t *items;
	size_t count;
} mecdns_rule_list_t;

void mecdns_rule_list_free(mecdns_rule_list_t *list);

/*! \brief Reads one rule. NOT_FOUND if absent. *generation (unless NULL):
 *         the generation the read saw, also when it found nothing. */
mecdns_store_status_t mecdns_store_rule_get(mecdns_store_t *store, const char *app_instance_id,
                                            const char *dns_rule_id, mecdns_rule_t *out,
                                            uint64_t *generation);

/*! \brief Lists an app instance's rules, ordered by dns_rule_id.
 *         NOT_FOUND when the app instance has no rule (it does not exist). */
mecdns_store_status_t mecdns_store_rule_list(mecdns_store_t *store, const char *app_instance_id,
                                             mecdns_rule_list_t *out, uint64_t *generation);

/*!
 * \brief One page of every app instance's rules in key order (app, rule
 *        id), from one read transaction: the rules after (after_app,
 *        after_id) (NULL: from the first), at most max_rules of them, read
 *        along the primary key (walking all pages is linear).
 * \param more  Whether rules follow the page.
 */
mecdns_store_status_t mecdns_store_rule_page(mecdns_store_t *store, const char *after_app,
                                             const char *after_id, size_t max_rules,
                                             mecdns_rule_list_t *out, bool *more,
                                             uint64_t *generation);

/*! \brief Calls count for each app instance with rules, in id order, with
 *         its ACTIVE and INACTIVE rule counts (one read transaction); stops
 *         when count returns false. */
mecdns_store_status_t mecdns_store_app_counts(mecdns_store_t *store,
                                              bool (*count)(const char *app, uint64_t active,
                                                            uint64_t inactive, void *ctx),
                                              void *ctx);

/*! \brief Creates a rule (version 1). EXISTS if the key exists.
 *         On success *out (if not NULL) holds the stored rule. */
mecdns_store_status_t mecdns_store_rule_create(mecdns_store_t *store, const mecdns_rule_t *rule,
                                               mecdns_rule_t *out);

/*!
 * \brief Replaces the mutable fields (domain_name, ip_type, ip_address, ttl,
 *        active) of an existing rule; version + 1.
 *
 * \param expected_version  0: any; otherwise STALE unless it matches (checked
 *                          inside the write transaction, before any change).
 */
mecdns_store_status_t mecdns_store_rule_update(mecdns_store_t *store, const mecdns_rule_t *rule,
                                               uint64_t expected_version, mecdns_rule_t *out);

/*! \brief Deletes one rule (signalled as state DELETED).
 *  \param generation  If not NULL, the generation of the commit. */
mecdns_store_status_t mecdns_store_rule_delete(mecdns_store_t *store, const char *app_instance_id,
                                               const char *dns_rule_id, uint64_t expected_version,
                                               uint64_t *generation);

/*! \brief Deletes every rule of an app instance in one generation.
 *         NOT_FOUND when it had none.
 *  \param generation  If not NULL, the generation of the commit. */
mecdns_store_status_t mecdns_store_rule_delete_app(mecdns_store_t *store,
                                                   const char *app_instance_id, size_t *deleted,
                                                   uint64_t *generation);

/*** Resource record sets (MEP -> DNS rrecord API). ***/

typedef struct {
	char *text;    /*!< Presentation format, as returned by the API. */
	uint8_t *wire; /*!< RDATA in wire format (what DNS answers carry). */
	uint16_t wire_len;
} mecdns_rdata_t;

typedef struct {
	char *zone;           /*!< Canonical zone ("." by default). */
	char *owner;          /*!< Canonical owner. */
	uint16_t type;        /*!< RR type code (KNOT_RRTYPE_A, ...). */
	char *client_subnets; /*!< Part of the key: the scope, a canonical subnet
	                           list (common/subnet.h), or NULL: every client. */
	uint32_t ttl;
	mecdns_rdata_t *rdata;
	size_t rdata_count;  /*!< 0 in a replace = delete the set. */
	uint64_t generation; /*!< Output only. */
} mecdns_rrset_t;

void mecdns_rrset_clear(mecdns_rrset_t *rrset);

/*! \brief Keeps the first of records with the same wire in set, in their
 *         order: the set as the store keeps it. false (set unchanged) when
 *         out of memory. */
bool mecdns_rrset_dedup(mecdns_rrset_t *set);

typedef struct {
	mecdns_rrset_t *items;
	size_t count;
} mecdns_rrset_list_t;

void mecdns_rrset_list_free(mecdns_rrset_list_t *list);

/*!
 * \brief Replaces each (zone, owner, type) set by the given one, all in one
 *        transaction and one generation (rdata_count 0 deletes the set).
 *
 * A CNAME beside any other type at the same owner (counting rrsets of every
 * zone and ACTIVE rules) is refused with CONFLICT, and nothing changes; so
 * is more than one CNAME record at an owner (two targets, or CNAME sets in
 * two zones). The check runs on the state the whole batch leaves.
 * Rdata duplicates (same wire) within a set are stored once.
 * zone and owner must be canonical and owner at or below zone, and one
 * (zone, owner, type) may appear only once per call; INVALID otherwise.
 * Deleting an absent set is no error and logs nothing.
 *
 * \param generation  If not NULL, the generation of the commit (the current,
 *                    unchanged one if nothing changed).
 */
mecdns_store_status_t mecdns_store_rrset_replace(mecdns_store_t *store, const mecdns_rrset_t *sets,
                                                 size_t count, uint64_t *generation);

/*! \brief Adds records to a set (creating it), as POST /rrecord does: new
 *         records (by wire) are appended, the set takes the given ttl.
 *         INVALID without records; CONFLICT as for mecdns_store_rrset_replace(). */
mecdns_store_status_t mecdns_store_rrset_add(mecdns_store_t *store, const mecdns_rrset_t *set,
                                             uint64_t *generation);

/*! \brief Deletes one set (client_subnets: its scope, NULL unscoped).
 *         NOT_FOUND if absent. */
mecdns_store_status_t mecdns_store_rrset_delete(mecdns_store_t *store, const char *zone,
                                                const char *owner, uint16_t type,
                                                const char *client_subnets, uint64_t *generation);

/*! \brief Reads one set. NOT_FOUND if absent. *generation as for
 *         mecdns_store_rule_get(). */
mecdns_store_status_t mecdns_store_rrset_get(mecdns_store_t *store, const char *zone,
                                             const char *owner, uint16_t type,
                                             const char *client_subnets, mecdns_rrset_t *out,
                                             uint64_t *generation);

/*! \brief Lists sets, ordered by zone, owner, type; zone NULL = every zone. */
mecdns_store_status_t mecdns_store_rrset_list(mecdns_store_t *store, const char *zone,
                                              mecdns_rrset_list_t *out, uint64_t *generation);

/*! \brief Everything stored at one canonical owner name, read in one
 *         transaction: every application instance's rules at it (any
 *         state, ordered by app, rule id) and every zone's sets at it
 *         (ordered by zone, type). Both empty is OK (nothing stored). */
mecdns_store_status_t mecdns_store_name_get(mecdns_store_t *store, const char *owner,
                                            mecdns_rule_list_t *rules, mecdns_rrset_list_t *rrsets,
                                            uint64_t *generation);

/*! \brief Copies the whole database into dest_path (an empty or new file)
 *         with SQLite's online backup: one consistent snapshot while
 *         writes go on, a self-contained file (journal mode DELETE).
 *         *generation (unless NULL): the generation the copy holds. */
mecdns_store_status_t mecdns_store_backup(mecdns_store_t *store, const char *dest_path,
                                          uint64_t *generation);

/*** Name grants (docs/api.md, "Name ownership"). ***/

/*! One name granted to an application instance. */
typedef struct {
	char *app_instance_id; /*!< Whose grant (filled by every function). */
	char *name;            /*!< Canonical. */
	bool subtree;          /*!< The name and every name below it. */
	bool shared;           /*!< Other apps may be given the name too. */
	char *source;          /*!< "rule" (an operator's rule write), "mm5" (the
	                            grant API), "migration", "config" (syncd's
	                            name-grants file). */
	int64_t created_ms;    /*!< When the grant was made. */
} mecdns_grant_t;

typedef struct {
	mecdns_grant_t *items;
	size_t count;
} mecdns_grant_list_t;

void mecdns_grant_list_free(mecdns_grant_list_t *list);

/*!
 * \brief Grants name (canonical) to an app instance, or changes whether the
 *        grant covers its subtree and whether it is shared. Not DNS data: no
 *        generation.
 *
 * A name is one app's unless shared: CONFLICT when another app's grant
 * that is not shared covers it (of the name, or of an ancestor's subtree),
 * when it is to be unshared (shared false) while other apps hold it too,
 * and for a subtree grant, when another app holds a name below it (one not
 * shared, or any when the new grant is not shared). An operator's rule
 * write at a name is the same as granting the name, shared when other apps
 * hold it (CONFLICT as above). CONFLICT for a grant of source "config":
 * the name-grants file owns it.
 */
mecdns_store_status_t mecdns_store_grant_set(mecdns_store_t *store, const char *app_instance_id,
                                             const char *name, bool subtree, bool shared);

/*!
 * \brief Replaces every grant of source "config" by items (each with
 *        app_instance_id, canonical name, subtree, shared; source ignored),
 *        in one transaction: on any CONFLICT or INVALID (as
 *        mecdns_store_grant_set() would answer, the message naming the
 *        item) nothing changes. An item replaces an API grant of the same
 *        app and name.
 */
mecdns_store_status_t mecdns_store_grants_configure(mecdns_store_t *store,
                                                    const mecdns_grant_t *items, size_t count);

/*! \brief Revokes one grant (the rules stay; the app can no longer point
 *         them there itself). NOT_FOUND if absent, CONFLICT if the
 *         name-grants file made it. */
mecdns_store_status_t mecdns_store_grant_delete(mecdns_store_t *store, const char *app_instance_id,
                                                const char *name);

/*! \brief An app instance's grants, ordered by name (none: count 0). */
mecdns_store_status_t mecdns_store_grant_list(mecdns_store_t *store, const char *app_instance_id,
                                              mecdns_grant_list_t *out);

/*! The key of a set, where a page of a listing ends. */
typedef struct {
	const char *zone;
	const char *owner;
	uint16_t type;
	const char *client_subnets; /*!< NULL: unscoped. */
} mecdns_rrset_key_t;

/*!
 * \brief One page of the sets in key order (zone, owner, type), from one
 *        read transaction: the sets after *after (NULL: from the first), at
 *        most max_sets of them, and no set started after max_bytes of
 *        record data (text and wire) were read (the first set is always
 *        whole). Memory stays bounded whatever the store holds; each page
 *        is read by the primary key, so walking all pages is linear.
 *
 * \param zone  NULL: every zone; else only that zone's sets (after->zone
 *              is then ignored).
 * \param more  Whether sets follow the page (the next page starts after
 *              its last set).
 */
mecdns_store_status_t mecdns_store_rrset_page(mecdns_store_t *store, const char *zone,
                                              const mecdns_rrset_key_t *after, size_t max_sets,
                                              size_t max_bytes, mecdns_rrset_list_t *out,
                                              bool *more, uint64_t *generation);

/*** Change log, generation, D-Bus outbox. ***/

typedef enum {
	MECDNS_CHANGE_RULE = 1,
	MECDNS_CHANGE_RRSET = 2,
} mecdns_change_kind_t;

/*! One change log row (strings valid during the callback only). */
typedef struct {
	uint64_t seq;
	uint64_t generation;
	int64_t committed_ms;
	mecdns_change_kind_t kind;
	const char *owner;
	const char *prev_owner; /*!< NULL unless a rule changed its name. */
	/* kind RULE */
	const char *app_instance_id;
	const char *dns_rule_id;
	const char *domain_name;
	const char *state;          /*!< "ACTIVE", "INACTIVE" or "DELETED". */
	const char *client_subnets; /*!< The rule's scope (subnet.h list); NULL unscoped. */
	/* kind RRSET */
	const char *zone;
	const char *rrtype; /*!< Mnemonic ("A", "AAAA", ...). */
	uint32_t rdata_count;
} mecdns_change_t;

/*! Callback for mecdns_store_changes(); return false to stop early. */
typedef bool (*mecdns_change_cb)(const mecdns_change_t *change, void *ctx);

/*! \brief Calls cb for up to limit changes with seq > after_seq, in seq order
 *         (limit 0: no limit). Rows are copied in batches and cb runs with no
 *         lock held, so it may call the store (e.g. set_signalled). */
mecdns_store_status_t mecdns_store_changes(mecdns_store_t *store, uint64_t after_seq, size_t limit,
                                           mecdns_change_cb cb, void *ctx);

/*! \brief Current state row. Any output pointer may be NULL. */
mecdns_store_status_t mecdns_store_state(mecdns_store_t *store, uint64_t *generation,
                                         uint64_t *pruned_through, uint64_t *signalled_seq);

/*! \brief Moves the D-Bus outbox cursor forward (never back, and never past
 *         the last sequence number the change log handed out). */
mecdns_store_status_t mecdns_store_set_signalled(mecdns_store_t *store, uint64_t seq);

/*!
 * \brief The cursor of another outbox (channel "mqtt", ...): the last seq
 *        that channel delivered. A channel seen for the first time starts at
 *        the last change committed so far (no replay of history). From then
 *        on mecdns_store_prune() keeps every change past it.
 */
mecdns_store_status_t mecdns_store_cursor_open(mecdns_store_t *store, const char *channel,
                                               uint64_t *seq);

/*! \brief Moves a channel's cursor forward (never back, never past the last
 *         sequence number handed out; a channel not opened: nothing). */
mecdns_store_status_t mecdns_store_set_cursor(mecdns_store_t *store, const char *channel,
                                              uint64_t seq);

/*! \brief Forgets a channel (no longer configured), so it holds no change. */
mecdns_store_status_t mecdns_store_drop_cursor(mecdns_store_t *store, const char *channel);

/*!
 * \brief Prunes the change log: deletes changes older than keep_ms that are
 *        already signalled (on D-Bus and through every outbox cursor), and
 *        raises state.pruned_through accordingly.
 *
 * A changes row goes when seq <= signalled_seq and committed_ms <=
 * now - keep_ms; pruned_through then becomes the highest generation with no
 * row left at or below it (never lower than before). keep_ms 0 prunes everything signalled; keep_ms
 * < 0: INVALID.
 *
 * \param deleted  If not NULL, the number of rows removed.
 */
mecdns_store_status_t mecdns_store_prune(mecdns_store_t *store, int64_t keep_ms, size_t *deleted);

/*! \brief Counts rules by state (for /metrics) and, if rrsets is not NULL,
 *         the rrecord sets (for syncd's start line). */
/*** DNS contexts (3GPP TS 29.556; store/contexts.c). ***/

typedef enum {
	MECDNS_CONTEXT_CREATE,  /*!< EXISTS when the id is taken. */
	MECDNS_CONTEXT_REPLACE, /*!< NOT_FOUND when there is none. */
} mecdns_context_mode_t;

/*! \brief The app instance id of a context's rules ("easdf:<id>"), malloc'd. */
char *mecdns_store_context_app(const char *id);

/*!
 * \brief Writes a DNS context: its document (JSON text) and its rules (all
 *        of app instance mecdns_store_context_app(id)), replacing the rules
 *        it had, in one transaction. Every rule gets the checks of
 *        mecdns_store_rule_create(); one refusal changes nothing. With
 *        expected (REPLACE), STALE unless the stored document is still that
 *        text (a read-modify-write lost to another write: read again).
 */
mecdns_store_status_t mecdns_store_context_put(mecdns_store_t *store, const char *id,
                                               const char *body, const mecdns_rule_t *rules,
                                               size_t count, mecdns_context_mode_t mode,
                                               const char *expected, uint64_t *generation);

/*! \brief A context's document (malloc'd); NOT_FOUND when there is none. */
mecdns_store_status_t mecdns_store_context_get(mecdns_store_t *store, const char *id, char **body,
                                               uint64_t *generation);

/*!
 * \brief The DNS contexts that report a query a client asked at owner (the
 *        name, or the wildcard, that answered it): those with a reporting
 *        rule there whose scope holds the client's address (family 4 or 6).
 *        *ids: malloc'd array of malloc'd context ids (free each and it).
 */
mecdns_store_status_t mecdns_store_context_reporters(mecdns_store_t *store, const char *owner,
                                                     int family, const uint8_t *addr, char ***ids,
                                                     size_t *count);

/*! \brief Deletes a context and its rules in one transaction. */
mecdns_store_status_t mecdns_store_context_delete(mecdns_store_t *store, const char *id,
                                                  uint64_t *generation);

mecdns_store_status_t mecdns_store_rule_counts(mecdns_store_t *store, uint64_t *active,
                                               uint64_t *inactive, uint64_t *rrsets);

/*** Zone sync (syncd/zonesync.h): the answerable records under a zone, and
 *   the records mecdns-syncd owns in Knot zones. Writing the ownership and
 *   the sync cursor is bookkeeping: no generation, no change row. ***/

/*! One record as zone sync sees it. */
typedef struct {
	char *owner;   /*!< Canonical owner. */
	uint16_t type; /*!< RR type code. */
	int64_t ttl;   /*!< -1: a rule without ttl (the default TTL applies). */
	char *text;    /*!< Record data in presentation format (absolute names). */
	uint8_t *wire; /*!< Record data in wire format. */
	uint16_t wire_len;
} mecdns_zone_record_t;

typedef struct {
	mecdns_zone_record_t *items;
	size_t count;
} mecdns_zone_record_list_t;

void mecdns_zone_record_list_free(mecdns_zone_record_list_t *list);

/*! What zone sync reads about one zone at one generation. */
typedef struct {
	uint64_t generation; /*!< The generation read. */
	bool whole_zone;     /*!< records cover every owner of the zone (asked
	                          for, or the change log no longer reaches back
	                          to `since`); else only the owners listed. */
	char **owners;       /*!< !whole_zone: canonical owners in the zone whose
	                          answers changed after `since` (sorted, unique). */
	size_t owner_count;
	mecdns_zone_record_list_t records; /*!< Rows of those owners, by owner. */
} mecdns_zone_snapshot_t;

void mecdns_zone_snapshot_free(mecdns_zone_snapshot_t *snapshot);

/*!
 * \brief Reads, in one read transaction, the rows that make the answers of
 *        the owners at or below zone: ACTIVE rules (A from IP_V4, AAAA from
 *        IP_V6, ttl -1 when unset) and the rdata of rrsets (of any zone: a
 *        name's answers do not depend on the rrset's zone).
 *
 * Merging the rows into answers (types served, CNAME exclusion, duplicates,
 * smallest TTL) is the reader's business, as in the module.
 *
 * \param zone   Canonical zone name.
 * \param since  0: the whole zone. Otherwise only owners changed (change log
 *               owner or prev_owner) in generations (since, current]; when
 *               the log was pruned past since, or since is ahead of the
 *               database (a replaced file), the whole zone.
 * \param also   Owners (canonical, in the zone) to read as well when not
 *               the whole zone, changed or not (e.g. to look at conflicts
 *               again); listed in owners too. NULL if none.
 */
mecdns_store_status_t mecdns_store_zone_snapshot(mecdns_store_t *store, const char *zone,
                                                 uint64_t since, char *const *also,
                                                 size_t also_count, mecdns_zone_snapshot_t *out);

/*!
 * \brief The records mecdns-syncd owns in the Knot zone, ordered by owner,
 *        type (ttl is never -1 here).
 *
 * \param owners  Only these owners (canonical); NULL for the whole zone.
 */
mecdns_store_status_t mecdns_store_zone_owned(mecdns_store_t *store, const char *zone,
                                              char *const *owners, size_t owner_count,
                                              mecdns_zone_record_list_t *out);

/*! \brief The sync cursor of a zone; NOT_FOUND when it was never synced. */
mecdns_store_status_t mecdns_store_zone_sync_get(mecdns_store_t *store, const char *zone,
                                                 uint64_t *generation, uint32_t *serial);

/*!
 * \brief Records, in one transaction, what a committed Knot transaction left:
 *        the owned records of the given owners are replaced by `owned`, and
 *        the zone's cursor becomes (generation, serial).
 *
 * \param owners  The owners the Knot transaction covered; NULL: the whole
 *                zone (every owned record of the zone is replaced).
 * \param owned   Records now owned (each owner in `owners`, or any owner
 *                of the zone with owners NULL; ttl 0..2147483647).
 */
mecdns_store_status_t mecdns_store_zone_sync_save(mecdns_store_t *store, const char *zone,
                                                  char *const *owners, size_t owner_count,
                                                  const mecdns_zone_record_t *owned,
                                                  size_t owned_count, uint64_t generation,
                                                  uint32_t serial);

/*! \brief Canonical form of a domain name: lower case, trailing dot, "." for
 *         the root. Returns a malloc'd string, or NULL if name is not a valid
 *         FQDN (RFC 1035 lengths, LDH-or-underscore labels, no empty label).
 *         '*' is allowed only as the whole leftmost label; leading/trailing
 *         hyphens and all-digit labels are accepted (see store/names.c). */
char *mecdns_canonical_name(const char *name);
