/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns index: what the module answers, by owner name, in memory.
 *
 *  An index version is immutable once published. A new version is made from
 *  the previous one by a transaction that replaces or removes the entries of
 *  the owners a generation touched; unchanged parts are shared between
 *  versions (a persistent hash trie with path copying), so the cost of a
 *  change grows with the change, not with the number of owners.
 *
 *  Concurrency contract: exactly one thread (the refresher) builds versions.
 *  Readers (knotd workers) find entries in a published version without locks;
 *  the refresher publishes with rcu_assign_pointer() and frees what the new
 *  version no longer uses (mecdns_index_garbage_t) only after
 *  synchronize_rcu(). Readers hold rcu_read_lock() for as long as they use
 *  an entry.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "common/subnet.h"

struct mecdns_scoped;

/*! Everything the module answers at one owner name. Immutable once added to
 *  a transaction. */
typedef struct {
	knot_dname_t *owner;  /*!< Lower-case wire name (owned). */
	knot_rrset_t *rrsets; /*!< One rrset per type, ordered by type; rdata
	                           deduplicated; TTL the smallest contributed. */
	uint16_t rrset_count;
	bool cname;           /*!< The only rrset is a CNAME. */
	uint8_t scoped_types; /*!< Types in scopes: 1 A, 2 AAAA, 4 any other;
	                           MECDNS_SCOPED_REPORT: a scope reports. */
	uint16_t scoped_count;
	struct mecdns_scoped *scoped; /*!< Records for clients inside a subnet
	                                   (client-subnet scopes), most specific
	                                   subnet first; NULL when none. */
	uint32_t below;               /*!< Index-private: owners strictly below this name
	                                   (kept for empty non-terminals only). */
} mecdns_owner_t;

/*! Bit of mecdns_owner_t.scoped_types: at least one scope reports. */
#define MECDNS_SCOPED_REPORT 8

/*! The records an owner answers to the clients inside one subnet. */
typedef struct mecdns_scoped {
	mecdns_subnet_t subnet;
	bool report;           /*!< The queries it answers are reported (in the
	                            subnet's padding: no byte more per scope). */
	mecdns_owner_t *entry; /*!< Its own records (owned), same owner name. */
} mecdns_scoped_t;

/*! \brief The scope of a subnet that mecdns_owner_decide() returned. */
static inline const mecdns_scoped_t *mecdns_scoped_of(const mecdns_subnet_t *subnet)
{
	return (const mecdns_scoped_t *)(const void *)((const char *)subnet -
	                                               offsetof(mecdns_scoped_t, subnet));
}

/*! Who asks: the client's address as far as it is known. */
typedef struct {
	int family;   /*!< 4, 6, or 0: unknown (no scope applies). */
	uint8_t bits; /*!< Leading bits of addr that are known (ECS source
	                   prefix length, or the whole source address). */
	uint8_t addr[16];
} mecdns_client_t;

/*! \brief Whether the entry answers anything (unscoped or scoped). */
static inline bool mecdns_owner_has_data(const mecdns_owner_t *entry)
{
	return entry->rrset_count > 0 || entry->scoped_count > 0;
}

/*! \brief New empty entry for owner (copied and lower-cased). NULL on ENOMEM. */
mecdns_owner_t *mecdns_owner_new(const knot_dname_t *owner);

/*!
 * \brief Adds one record to an entry under construction.
 *
 * The same rdata twice is kept once; a type's TTL becomes the smallest TTL
 * added for it. A CNAME excludes every other type: once the entry has a
 * CNAME, records of other types are dropped (and a CNAME replaces what was
 * there), so even an inconsistent database yields a valid answer.
 *
 * \return KNOT_EOK, KNOT_ENOMEM, KNOT_EINVAL (bad rdata for the type, e.g. an
 *         A record that is not 4 bytes, or rdata over 65535 bytes).
 */
int mecdns_owner_add(mecdns_owner_t *entry, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                     uint16_t rdata_len);

/*!
 * \brief Adds one record for the clients inside subnet (as
 *        mecdns_owner_add(), into the subnet's own records; records of
 *        several rules with one subnet are one set, their union).
 */
int mecdns_owner_add_scoped(mecdns_owner_t *entry, const mecdns_subnet_t *subnet, uint16_t type,
                            uint32_t ttl, const uint8_t *rdata, uint16_t rdata_len);

/*! \brief Marks the entry's scope of subnet as reporting; KNOT_ENOENT when
 *         the entry has no records for that subnet. */
int mecdns_owner_mark_report(mecdns_owner_t *entry, const mecdns_subnet_t *subnet);

/*! \brief The entry's rrset of a type, or NULL. */
const knot_rrset_t *mecdns_owner_rrset(const mecdns_owner_t *entry, uint16_t type);

/*!
 * \brief What the entry answers a client for qtype (KNOT_RRTYPE_ANY: one
 *        rrset): the records of the most specific subnet that contains the
 *        client and has that type, else the unscoped ones; a CNAME answers
 *        every client. NULL: NODATA.
 * \param scope_len  The ECS SCOPE PREFIX-LENGTH of the answer (RFC 7871):
 *                   the prefix length that decided (0: unscoped), lengthened
 *                   until the client's prefix of that length holds no more
 *                   specific scope with the type (whose devices get another
 *                   answer); 0 for a CNAME and where no scope has the type.
 */
const knot_rrset_t *mecdns_owner_answer(const mecdns_owner_t *entry, uint16_t qtype,
                                        const mecdns_client_t *client, uint8_t *scope_len);

/*! \brief mecdns_owner_answer(), and the scope that decided in *decided
 *         (NULL: the unscoped records, a CNAME, or NODATA); for explaining
 *         an answer (syncd's lookup). */
const knot_rrset_t *mecdns_owner_decide(const mecdns_owner_t *entry, uint16_t qtype,
                                        const mecdns_client_t *client, uint8_t *scope_len,
                                        const mecdns_subnet_t **decided);

/*! \brief Number of records (rdata items) in the entry. */
size_t mecdns_owner_records(const mecdns_owner_t *entry);

void mecdns_owner_free(mecdns_owner_t *entry);

/*! One published index version. */
typedef struct mecdns_index mecdns_index_t;

/*! Memory a new version no longer references; free after a grace period. */
typedef struct mecdns_index_garbage mecdns_index_garbage_t;

/*! A transaction building the next version. */
typedef struct mecdns_index_txn mecdns_index_txn_t;

/*! \brief Empty version with generation 0. NULL on ENOMEM. */
mecdns_index_t *mecdns_index_new(void);

/*! \brief Frees a version and everything it references. Only for the last
 *         version (shutdown, or a version never published); versions that
 *         share structure are retired through transactions and garbage. */
void mecdns_index_free(mecdns_index_t *index);

/*!
 * \brief Looks up an owner. Lock-free; safe in any thread that holds
 *        rcu_read_lock() for as long as it uses the result.
 *
 * \param name  Lower-case wire name.
 */
const mecdns_owner_t *mecdns_index_find(const mecdns_index_t *index, const knot_dname_t *name);

/*!
 * \brief The source of wildcard synthesis for a name that has no entry of
 *        its own (RFC 4592 over the owners of this index).
 *
 * The closest encloser is the longest ancestor of name that exists in the
 * index: an owner, or an empty non-terminal (a name with owners below it).
 * Its wildcard child "*.<closest encloser>" answers in name's place. Nothing
 * is synthesized where name itself exists (an empty non-terminal, e.g. the
 * parent of a wildcard) or where the closest encloser has no wildcard child,
 * so an owner below a wildcard's parent shields everything under it.
 *
 * Lock-free, same contract as mecdns_index_find(); costs nothing while the
 * index has no wildcard owner.
 *
 * \param name  Lower-case wire name without an entry in index.
 * \return The wildcard owner's entry, or NULL.
 */
const mecdns_owner_t *mecdns_index_wildcard(const mecdns_index_t *index, const knot_dname_t *name);

uint64_t mecdns_index_generation(const mecdns_index_t *index);
size_t mecdns_index_owners(const mecdns_index_t *index);
size_t mecdns_index_records(const mecdns_index_t *index);

/*! \brief Starts the next version from base (which stays valid and
 *         unchanged). NULL on ENOMEM. */
mecdns_index_txn_t *mecdns_index_begin(const mecdns_index_t *base);

/*!
 * \brief Sets or removes the entry of an owner in the transaction.
 *
 * \param owner  Lower-case wire name.
 * \param entry  New entry (ownership passes to the transaction, also on
 *               error), or NULL to remove the owner. An entry without any
 *               record also removes the owner (nothing to answer there).
 *
 * \return KNOT_EOK or KNOT_ENOMEM (the transaction must then be aborted).
 */
int mecdns_index_set(mecdns_index_txn_t *txn, const knot_dname_t *owner, mecdns_owner_t *entry);

/*!
 * \brief Finishes the transaction: the new version (with the given
 *        generation) and the garbage of the base version that it replaced.
 *
 * After publishing the new version and a grace period, call
 * mecdns_index_garbage_free(); the base version is then gone (do not call
 * mecdns_index_free() on it).
 *
 * \return The new version, or NULL on ENOMEM (the txn is then aborted and
 *         the base version untouched).
 */
mecdns_index_t *mecdns_index_commit(mecdns_index_txn_t *txn, uint64_t generation,
                                    mecdns_index_garbage_t **garbage);

/*! \brief Drops a transaction; the base version stays as it was. */
void mecdns_index_abort(mecdns_index_txn_t *txn);

void mecdns_index_garbage_free(mecdns_index_garbage_t *garbage);
