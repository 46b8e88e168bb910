/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns refresher: one in-memory index per database, kept current by
 *  one background thread, shared by every module instance that serves it.
 *
 *  knotd recreates module instances on every `knotc reload` (new instances
 *  are loaded before the old ones are unloaded, see refresh.c), so the index
 *  must not belong to an instance: it lives in a registry inside the shared
 *  object, keyed by (database path, default-ttl), reference-counted by the
 *  attached instances ("users"). A refresher whose last user left lingers
 *  for linger_ms (a reload, a zone restore or a config commit picks it up
 *  again without a reload of the whole database) and is stopped for good
 *  when the shared object is unmapped (destructor).
 *
 *  The refresher thread is the only SQLite user: the query path reads the
 *  published index under rcu_read_lock() and never blocks. The thread opens
 *  the database read-only, follows the change log incrementally, falls back
 *  to a full reload when it cannot (first load, pruned log, replaced file,
 *  generation went backwards), wakes on inotify events for the database and
 *  its -wal file and polls every interval_ms as well.
 *
 *  The row conversion helpers at the end are pure and unit-tested: they turn
 *  one database row into records of an index entry and reject hostile rows.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "module/index.h"

/*! What a refresher reports to its users (monotonic counters and gauges). */
typedef struct {
	uint64_t generation;     /*!< Generation of the published index (0: none). */
	uint64_t records;        /*!< Records (rdata items) in the published index. */
	uint64_t owners;         /*!< Owner names in the published index. */
	uint64_t refresh_errors; /*!< Failed refresh attempts so far. */
	uint64_t skipped_rows;   /*!< Invalid database rows skipped so far. */
	bool loaded;             /*!< A database generation has been loaded. */
	uint64_t heartbeat_ms;   /*!< CLOCK_MONOTONIC ms of the thread's last
	                              round (each refresh-interval at least). */
	uint32_t interval_ms;    /*!< The refresher's interval. */
} mecdns_refresh_status_t;

/*!
 * How a refresher talks back to one user. Both callbacks are called from the
 * refresher thread (or from attach) with the registry lock held, never after
 * mecdns_refresh_detach() of that user returned; they must not call back into
 * this API.
 */
typedef struct {
	/*! One log line (no newline). Sent to one user only: the first attached
	 *  user with prefer_log, else the first attached user. */
	void (*log)(void *data, int priority, const char *msg);
	/*! The status changed; sent to every user. */
	void (*status)(void *data, const mecdns_refresh_status_t *status);
	void *data;
	bool prefer_log;
} mecdns_refresh_sink_t;

/*! A user's settings. Users of one refresher may differ in interval_ms (the
 *  smallest wins) and linger_ms (the last user's counts). */
typedef struct {
	const char *database;        /*!< Absolute path of the database file. */
	uint32_t default_ttl;        /*!< TTL of a rule without one (part of the key). */
	uint32_t interval_ms;        /*!< Poll and retry period, >= 1. */
	uint32_t linger_ms;          /*!< Keep the index after the last user left. */
	uint32_t first_load_wait_ms; /*!< A new refresher: wait this long for its
	                                  first refresh attempt before returning. */
} mecdns_refresh_conf_t;

/*! One attached user (a module instance). */
typedef struct mecdns_refresh_user mecdns_refresh_user_t;

/*!
 * \brief Attaches a user to the refresher of conf->database, starting one
 *        (with its thread) if none is running or lingering.
 *
 * \param conf    Settings (copied).
 * \param sink    Callbacks (copied); the status callback is called once
 *                before this function returns.
 * \param out     The new user.
 * \param reused  Set to true when an already loaded refresher was picked up.
 *
 * \return KNOT_EOK, KNOT_EINVAL (no or relative path, zero interval),
 *         KNOT_ENOMEM, KNOT_ERROR (thread or eventfd could not be created).
 */
int mecdns_refresh_attach(const mecdns_refresh_conf_t *conf, const mecdns_refresh_sink_t *sink,
                          mecdns_refresh_user_t **out, bool *reused);

/*! \brief Detaches and frees a user; its callbacks are not called any more.
 *         The caller guarantees that no reader still uses its index. */
void mecdns_refresh_detach(mecdns_refresh_user_t *user);

/*!
 * \brief The index version currently published for a user, or NULL when
 *        nothing has been loaded yet.
 *
 * Call with rcu_read_lock() held (the urcu memb flavor knotd links) and use
 * the result only until rcu_read_unlock().
 */
const mecdns_index_t *mecdns_refresh_index(const mecdns_refresh_user_t *user);

/*! \brief A copy of the refresher's status. */
void mecdns_refresh_get_status(const mecdns_refresh_user_t *user, mecdns_refresh_status_t *out);

/*!
 * \brief Stops every refresher thread and frees every refresher without
 *        users. Runs from the shared object's destructor; tests call it
 *        after detaching all users. Refreshers that still have users (a
 *        process exiting without unloading modules) keep their index.
 */
void mecdns_refresh_shutdown(void);

/*** Row conversion (pure). ***/

/*!
 * \brief Parses a canonical owner name as stored by syncd: lower case,
 *        absolute (trailing dot), and exactly what knot_dname_to_str()
 *        prints for it.
 *
 * \return KNOT_EOK or KNOT_EINVAL.
 */
int mecdns_owner_parse(const char *text, knot_dname_storage_t out);

/* Which types are served: mecdns_type_served(), common/answer.h. */

/*!
 * \brief Adds the record of one ACTIVE rule row to an entry.
 *
 * \param ip_type      'IP_V4' or 'IP_V6'.
 * \param ip           Address text; must parse as the family of ip_type.
 * \param has_ttl      False for a NULL ttl column (then default_ttl).
 * \param ttl          Row TTL, 0..2147483647.
 * \param scope        The client_subnets column (canonical scope,
 *                     common/subnet.h): the record answers clients inside
 *                     those subnets only; NULL: every client.
 *
 * \return KNOT_EOK, KNOT_EINVAL (hostile row), KNOT_ENOMEM.
 */
int mecdns_entry_add_rule(mecdns_owner_t *entry, const char *ip_type, const char *ip, bool has_ttl,
                          int64_t ttl, uint32_t default_ttl, const char *scope);

/*!
 * \brief Marks the subnets of scope (a canonical subnet list) as reporting:
 *        the queries their records answer go to mecdns-syncd (REPORT of a
 *        DNS context, common/report.h). Call after adding the rule's record
 *        with that scope. KNOT_EINVAL for no scope or one without records.
 */
int mecdns_entry_mark_report(mecdns_owner_t *entry, const char *scope);

/*!
 * \brief Adds one rdata row of an rrset to an entry. The wire rdata must be
 *        exactly one uncompressed rdata of the type (checked by parsing it
 *        with libknot).
 *
 * \param scope  The set's client_subnets column, as for
 *               mecdns_entry_add_rule() ("" or NULL: every client); a
 *               scoped CNAME is a hostile row.
 *
 * \return KNOT_EOK, KNOT_ENOTSUP (a type mecdns does not serve; not an
 *         error), KNOT_EINVAL (hostile row), KNOT_ENOMEM.
 */
int mecdns_entry_add_rdata(mecdns_owner_t *entry, int64_t type, int64_t ttl, const uint8_t *wire,
                           size_t wire_len, const char *scope);
