/* SPDX-License-Identifier: GPL-3.0-or-later */

/*  mod-mecdns refresher, internal header: shared by module/refresh.c (thread,
 *  registry, publishing), module/source.c (SQLite and inotify) and
 *  module/rows.c (row conversion); module/refresh.h is the contract. Errors
 *  crossing these files are libknot codes (KNOT_EOK, KNOT_EINVAL, ...). */

#pragma once

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <urcu.h>

#include "common/answer.h"
#include "common/clock.h"
#include "module/refresh.h"
#include "schema/schema.h"

/*! After a file event, re-read the state after 1 ms, then at doubling
 *  intervals up to this step (ms) ... */
#define BURST_STEP_MAX_MS 64
/*! ... for this long after the last event (ms): SQLite updates the WAL index
 *  (shared memory, no inotify event) after the last write to the -wal file,
 *  so the read right after the event may still see the previous commit. */
#define BURST_SPAN_MS 250
/*! Longest owner text accepted from the database. */
#define OWNER_TEXT_MAX (KNOT_DNAME_TXT_MAXLEN + 1)
/*! Longest instance id accepted from the state row. */
#define INSTANCE_MAX 128
/*! Longest rdata checked on the stack (longer ones use the heap). */
#define RDATA_STACK_MAX 512

/*! Statements of one connection. */
enum {
	SQL_VERSION,
	SQL_STATE,
	SQL_CHANGED_OWNERS,
	SQL_OWNER_RULES,
	SQL_OWNER_RDATA,
	SQL_ALL_RULES,
	SQL_ALL_RDATA,
	SQL_COUNT
};

/*! The state row of one read transaction. */
typedef struct {
	uint64_t generation;
	uint64_t pruned_through;
	char instance[INSTANCE_MAX];
} db_state_t;

/*! The database as the refresher thread sees it (thread-private). */
typedef struct {
	sqlite3 *db;
	sqlite3_stmt *stmt[SQL_COUNT];
	dev_t dev;                   /*!< Identity of the opened file, to notice a */
	ino_t ino;                   /*!< replaced or removed file. */
	bool loaded;                 /*!< The index holds a database generation. */
	uint64_t generation;         /*!< Loaded generation. */
	char instance[INSTANCE_MAX]; /*!< Instance id of the loaded generation. */
	char problem[384];           /*!< Last logged problem; empty when healthy. */
	uint64_t skipped;            /*!< Invalid rows in the current refresh. */
	char skipped_first[192];     /*!< The first of them, for the log line. */
	int inotify_fd;              /*!< -1 without inotify. */
	int watch;                   /*!< Directory watch, -1 when not watching. */
	bool inotify_failed;         /*!< inotify_init1() failed (logged once). */
} source_t;

typedef struct mecdns_refresher mecdns_refresher_t;

struct mecdns_refresh_user {
	mecdns_refresher_t *refresher;
	mecdns_refresh_sink_t sink;
	uint32_t interval_ms;
	uint32_t linger_ms;
	mecdns_refresh_user_t *next;
};

struct mecdns_refresher {
	/* Set at creation, then read-only. */
	char *path;
	char *dir;      /*!< Directory of the file (watched). */
	char *base;     /*!< File name in dir. */
	char *wal_base; /*!< base + "-wal". */
	uint32_t default_ttl;
	int wake_fd; /*!< eventfd: stop, linger or interval changed. */
	pthread_t thread;

	/*! The published version (RCU); NULL until the first load. */
	mecdns_index_t *index;

	/* Under registry_lock. */
	mecdns_refresher_t *next;
	mecdns_refresh_user_t *users;
	mecdns_refresh_status_t status;
	uint32_t interval_ms; /*!< Of the last users (kept while lingering). */
	uint32_t linger_ms;
	int64_t idle_since_ms; /*!< When the last user left. */
	bool first_done;       /*!< The first refresh attempt finished. */
	bool stop;             /*!< Stopping: never attach to it again. */
	bool exited;           /*!< The thread returned: join and free. */

	/* Refresher thread only. */
	source_t src;
};

/*** Shared between the files of the refresher (internal). ***/

/*! \brief Whether wire is exactly one uncompressed rdata of the type: libknot
 *         parses it like a record of a packet and must get the same bytes. */
bool refresh_rdata_parses(uint16_t type, const uint8_t *wire, size_t wire_len);

/*! \brief Logs one line through a user; dropped while nobody is attached. */
__attribute__((format(printf, 3, 4))) void refresh_log(mecdns_refresher_t *r, int priority,
                                                       const char *fmt, ...);

/*! \brief Counts an invalid row of the current refresh; keeps the first. */
__attribute__((format(printf, 2, 3))) void refresh_skip_row(source_t *src, const char *fmt, ...);

void refresh_source_close(source_t *src);

/*!
 * \brief Makes sure the connection reads the file now at the path: opens
 *        it, or reopens it when the file was replaced.
 *
 * \return KNOT_EOK, or an error with the problem text in problem.
 */
int refresh_source_ensure(mecdns_refresher_t *r, char *problem, size_t size);

/*! \brief Ends the read transaction. */
void refresh_read_end(source_t *src);

/*! \brief Starts a read transaction and reads the schema version and state. */
int refresh_read_begin(mecdns_refresher_t *r, db_state_t *state, char *problem, size_t size);

/*!
 * \brief Builds a whole new version from every ACTIVE rule and every rrset,
 *        merging the two owner-ordered streams into one entry per owner.
 * \return KNOT_EOK, or a libknot error with its text in problem (a failed
 *         SQLite step: KNOT_ERROR).
 */
int refresh_build_full(mecdns_refresher_t *r, mecdns_index_txn_t *txn, char *problem, size_t size);

/*! \brief Rebuilds the owners that generations (from, to] changed; returns
 *         as refresh_build_full(). */
int refresh_build_incremental(mecdns_refresher_t *r, mecdns_index_txn_t *txn, uint64_t from,
                              uint64_t to, char *problem, size_t size);

/*! \brief Watches the database's directory if not yet watching. */
void refresh_watch_ensure(mecdns_refresher_t *r);

/*!
 * \brief Sleeps until a file event, a wake-up or the timeout.
 *
 * \return True after a relevant file event.
 */
bool refresh_wait_for_change(mecdns_refresher_t *r, int timeout_ms);

/*! \brief Sleeps until the deadline or a wake-up, draining file events. */
void refresh_wait_interval(mecdns_refresher_t *r, int64_t deadline);
