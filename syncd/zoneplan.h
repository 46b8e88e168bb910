/* SPDX-License-Identifier: GPL-3.0-or-later */

/*  mecdns-syncd zone sync, internal header: the record views and the plan
 *  (zoneplan.c), shared with the rounds and the worker (zonesync.c);
 *  syncd/zonesync.h is the contract. */

#pragma once

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libknot/libknot.h>

#include "common/answer.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/rdata.h"
#include "syncd/knotctl.h"
#include "syncd/zonesync.h"

/*! One record of one of the three views. */
typedef struct {
	char *owner;
	uint16_t type;
	uint32_t ttl;
	char *text;    /*!< Presentation format (as zone-set takes it). */
	uint8_t *wire; /*!< NULL when knotd's text did not parse (never equal). */
	uint16_t wire_len;
} rec_t;

typedef struct {
	rec_t *items;
	size_t count;
	size_t capacity;
} recs_t;

typedef struct {
	char *owner;
	uint16_t type;
} conflict_t;

typedef struct {
	char *name; /*!< Canonical zone name. */
	syncd_zone_state_t state;
	bool started;         /*!< Stale transaction aborted, cursor loaded. */
	bool config_ok;       /*!< Settings checked since knotd (re)appeared. */
	bool need_full;       /*!< Reconcile the whole zone next. */
	bool knot_down;       /*!< knotd was unreachable at the last round. */
	bool not_loaded;      /*!< knotd has no contents for it (logged). */
	uint64_t generation;  /*!< Cursor: generation the Knot zone reflects. */
	uint32_t serial;      /*!< Serial after syncd's last commit. */
	uint32_t seen_serial; /*!< Serial at the last zone-status. */
	bool have_serial;
	conflict_t *conflicts;
	size_t conflict_count;
	int64_t retry_at_ms;
	int retry_delay_ms;
	int64_t conflict_check_ms;
	char refusal[512]; /*!< Last refusal logged ("" when accepted). */
} zone_t;

struct syncd_zonesync {
	char *knot_socket;
	uint32_t default_ttl;
	int batch_ms;
	int poll_ms;
	int timeout_ms;
	mecdns_store_t *store;
	zone_t *zones;
	size_t zone_count;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock; /*!< Guards the fields below and zone states. */
	pthread_cond_t cond;
	bool notified;
	bool stopping;
	bool knot_down_logged;
	uint64_t commits;
	uint64_t commit_failures;
	uint64_t conflicts_found;
	uint64_t reconciles;
	uint64_t records_set;
	uint64_t records_unset;
};

/*! Sorted unique owner names. */
typedef struct {
	char **items; /*!< Borrowed pointers. */
	size_t count;
	size_t capacity;
} names_t;

/*! One zone-set or zone-unset (strings borrowed from the views). */
typedef struct {
	const char *owner;
	uint16_t type;
	uint32_t ttl;
	const char *text; /*!< NULL in an unset: the whole rrset. */
} op_t;

typedef struct {
	op_t *items;
	size_t count;
	size_t capacity;
} ops_t;

/*! What one round plans for a zone. */
typedef struct {
	ops_t unsets; /*!< Run first (a CNAME may replace an A). */
	ops_t sets;
	recs_t owned;          /*!< Ownership after the commit (copies). */
	conflict_t *conflicts; /*!< Conflicts found among the planned owners. */
	size_t conflict_count;
	bool failed; /*!< Out of memory. */
} plan_t;

/*** Shared between the files of zone sync (internal). ***/

/*! \brief Serial number arithmetic (RFC 1982): a is before b. */
bool zoneplan_serial_before(uint32_t a, uint32_t b);

void zoneplan_recs_free(recs_t *recs);

/*! \brief Appends a record (copies owner, text, wire); false without memory. */
bool zoneplan_recs_push(recs_t *recs, const char *owner, uint16_t type, uint32_t ttl,
                        const char *text, const uint8_t *wire, uint16_t wire_len);

void zoneplan_recs_sort(recs_t *recs);

bool zoneplan_names_push(names_t *names, char *name);

/*! \brief The names as the store's owner list: never NULL (a NULL list
 *         means "the whole zone" to the store), even when empty. */
char *const *zoneplan_owner_list(const names_t *names);

int zoneplan_compare_names(const void *a, const void *b);

void zoneplan_names_sort_unique(names_t *names);

/*! \brief The desired view of a snapshot (rows sorted by owner, type) of
 *         zone: never anything at the apex (mecdns_zone_apex()). */
bool zoneplan_desired_from_snapshot(recs_t *out, const mecdns_zone_snapshot_t *snap,
                                    const char *zone, uint32_t default_ttl);

/*! \brief Reads the zone (owners NULL) or the listed owners from knotd. */
int zoneplan_read_actual(knotctl_t *ctl, const char *zone, const names_t *owners, recs_t *out);

void zoneplan_plan_free(plan_t *plan);

/*! \brief Plans one owner: per type of desired ∪ owned, see zonesync.h. */
void zoneplan_plan_owner(plan_t *plan, const char *owner, const recs_t *desired,
                         const recs_t *owned, const recs_t *actual);
