/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns refresher: the database side of the module (see refresh.h).
 *
 *  Why a registry in the shared object, and why the linger. Knot DNS 3.2
 *  (verified in v3.2.6 source):
 *
 *  - `knotc reload` (server_reload(), knot/server/server.c) builds a new
 *    configuration, dlopen()s the module files again for it (same path, so
 *    the same mapping with a higher reference count), loads the new global
 *    module instances (conf_activate_modules()), switches the configuration
 *    with synchronize_rcu() (conf_update(), knot/conf/base.c), creates new
 *    zones with new zone module instances before the zone database switch
 *    (create_zonedb(), knot/zone/zonedb-load.c), and only then unloads the
 *    old instances (remove_old_zonedb() -> zone_free(), conf_free(old) ->
 *    conf_deactivate_modules()) and dlclose()s the old handles
 *    (conf_mod_unload_shared()). So on a reload new instances attach before
 *    old ones detach, the shared object stays mapped, and no worker still
 *    runs an old instance's hook when its unload() is called.
 *  - zone_reset() (zone restore) uses conf_reset_modules(): it unloads every
 *    instance of the zone, then loads them again: the user count drops to
 *    zero for a moment. Removing the module from the configuration drops it
 *    for good. Hence the linger: an unused refresher keeps its index for
 *    linger_ms, then stops; the destructor stops whatever remains when the
 *    last handle is dlclose()d (or at exit). A replaced .so file (package
 *    upgrade) is a different mapping with its own registry: it loads afresh
 *    and the old mapping's destructor stops the old threads.
 *
 *  RCU: knotd links liburcu (memb flavor, liburcu.so.8); its worker threads
 *  are registered (dthreads.c) and process_query_out() (process_query.c)
 *  holds rcu_read_lock() around the whole query processing, module hooks
 *  included. This thread registers itself, publishes with
 *  rcu_assign_pointer() and frees old versions after synchronize_rcu(). It
 *  never holds the registry lock across synchronize_rcu() or SQLite calls.
 */

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

/*! Rules are answered only while ACTIVE; rdata rows come with their rrset's
 *  type and TTL. The full-load queries are ordered by owner (both tables
 *  have an owner index), so one pass merges them owner by owner. */
static const char *const SQL_TEXT[SQL_COUNT] = {
	[SQL_VERSION] = "PRAGMA user_version",
	[SQL_STATE] = "SELECT generation, pruned_through, instance FROM state WHERE id = 1",
	[SQL_CHANGED_OWNERS] =
	    "SELECT owner FROM changes WHERE generation > ?1 AND generation <= ?2 "
	    "UNION "
	    "SELECT prev_owner FROM changes WHERE generation > ?1 AND generation <= ?2 "
	    "AND prev_owner IS NOT NULL",
	[SQL_OWNER_RULES] = "SELECT ip_address_type, ip_address, ttl FROM rules "
	                    "WHERE owner = ?1 AND state = 'ACTIVE'",
	[SQL_OWNER_RDATA] = "SELECT s.type, s.ttl, d.wire FROM rrsets AS s JOIN rdata AS d "
	                    "ON d.zone = s.zone AND d.owner = s.owner AND d.type = s.type "
	                    "WHERE s.owner = ?1",
	[SQL_ALL_RULES] = "SELECT owner, ip_address_type, ip_address, ttl FROM rules "
	                  "WHERE state = 'ACTIVE' ORDER BY owner",
	[SQL_ALL_RDATA] = "SELECT s.owner, s.type, s.ttl, d.wire FROM rrsets AS s JOIN rdata AS d "
	                  "ON d.zone = s.zone AND d.owner = s.owner AND d.type = s.type "
	                  "ORDER BY s.owner",
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

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t registry_cond = PTHREAD_COND_INITIALIZER;
static mecdns_refresher_t *registry = NULL;

/*! \brief Milliseconds of the monotonic clock. */
static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*** Row conversion. ***/

int mecdns_owner_parse(const char *text, knot_dname_storage_t out)
{
	if (text == NULL || out == NULL) {
		return KNOT_EINVAL;
	}
	size_t len = strlen(text);
	if (len == 0 || len > KNOT_DNAME_TXT_MAXLEN || text[len - 1] != '.') {
		return KNOT_EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (text[i] >= 'A' && text[i] <= 'Z') {
			return KNOT_EINVAL;
		}
	}
	if (knot_dname_from_str(out, text, KNOT_DNAME_MAXLEN) == NULL) {
		return KNOT_EINVAL;
	}
	/* Canonical means one spelling: what libknot prints back. */
	knot_dname_txt_storage_t back;
	if (knot_dname_to_str(back, out, sizeof(back)) == NULL || strcmp(back, text) != 0) {
		return KNOT_EINVAL;
	}
	return KNOT_EOK;
}

int mecdns_entry_add_rule(mecdns_owner_t *entry, const char *ip_type, const char *ip, bool has_ttl,
                          int64_t ttl, uint32_t default_ttl)
{
	if (entry == NULL || ip_type == NULL || ip == NULL) {
		return KNOT_EINVAL;
	}

	uint8_t addr[16];
	uint16_t type;
	uint16_t len;
	int family;
	if (strcmp(ip_type, "IP_V4") == 0) {
		family = AF_INET;
		type = KNOT_RRTYPE_A;
		len = 4;
	} else if (strcmp(ip_type, "IP_V6") == 0) {
		family = AF_INET6;
		type = KNOT_RRTYPE_AAAA;
		len = 16;
	} else {
		return KNOT_EINVAL;
	}
	if (inet_pton(family, ip, addr) != 1) {
		return KNOT_EINVAL;
	}
	if (has_ttl && (ttl < 0 || ttl > INT32_MAX)) {
		return KNOT_EINVAL;
	}

	return mecdns_owner_add(entry, type, has_ttl ? (uint32_t)ttl : default_ttl, addr, len);
}

/*! \brief Whether wire is exactly one uncompressed rdata of the type: libknot
 *         parses it like a record of a packet and must get the same bytes. */
static bool rdata_parses(uint16_t type, const uint8_t *wire, size_t wire_len)
{
	/* Root owner (1), type (2), class (2), TTL (4), RDLENGTH (2). */
	const size_t header = 11;
	uint8_t stack_buf[header + RDATA_STACK_MAX];
	uint8_t *buf = stack_buf;
	if (wire_len > RDATA_STACK_MAX) {
		buf = malloc(header + wire_len);
		if (buf == NULL) {
			return false;
		}
	}

	buf[0] = '\0';
	knot_wire_write_u16(buf + 1, type);
	knot_wire_write_u16(buf + 3, KNOT_CLASS_IN);
	knot_wire_write_u32(buf + 5, 0);
	knot_wire_write_u16(buf + 9, (uint16_t)wire_len);
	if (wire_len > 0) {
		memcpy(buf + header, wire, wire_len);
	}

	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	size_t pos = 0;
	int ret = knot_rrset_rr_from_wire(buf, &pos, header + wire_len, &rr, NULL, false);
	bool same = ret == KNOT_EOK && pos == header + wire_len && rr.rrs.count == 1 &&
	            rr.rrs.rdata->len == wire_len &&
	            (wire_len == 0 || memcmp(rr.rrs.rdata->data, wire, wire_len) == 0);
	if (ret == KNOT_EOK) {
		knot_rrset_clear(&rr, NULL);
	}
	if (buf != stack_buf) {
		free(buf);
	}
	return same;
}

int mecdns_entry_add_rdata(mecdns_owner_t *entry, int64_t type, int64_t ttl, const uint8_t *wire,
                           size_t wire_len)
{
	if (entry == NULL || type < 1 || type > UINT16_MAX) {
		return KNOT_EINVAL;
	}
	if (!mecdns_type_served((uint16_t)type)) {
		return KNOT_ENOTSUP;
	}
	if (ttl < 0 || ttl > INT32_MAX || wire_len > UINT16_MAX || (wire == NULL && wire_len > 0)) {
		return KNOT_EINVAL;
	}
	if (!rdata_parses((uint16_t)type, wire, wire_len)) {
		return KNOT_EINVAL;
	}
	return mecdns_owner_add(entry, (uint16_t)type, (uint32_t)ttl, wire, (uint16_t)wire_len);
}

/*** Talking to the users (registry lock held). ***/

/*! \brief The user that gets the log lines, or NULL. */
static mecdns_refresh_user_t *log_user(mecdns_refresher_t *r)
{
	for (mecdns_refresh_user_t *u = r->users; u != NULL; u = u->next) {
		if (u->sink.prefer_log && u->sink.log != NULL) {
			return u;
		}
	}
	for (mecdns_refresh_user_t *u = r->users; u != NULL; u = u->next) {
		if (u->sink.log != NULL) {
			return u;
		}
	}
	return NULL;
}

/*! \brief Sends the status to every user. */
static void notify_status(mecdns_refresher_t *r)
{
	for (mecdns_refresh_user_t *u = r->users; u != NULL; u = u->next) {
		if (u->sink.status != NULL) {
			u->sink.status(u->sink.data, &r->status);
		}
	}
}

/*! \brief Logs one line through a user; dropped while nobody is attached. */
__attribute__((format(printf, 3, 4))) static void refresher_log(mecdns_refresher_t *r, int priority,
                                                                const char *fmt, ...)
{
	char msg[480];
	va_list args;
	va_start(args, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);

	pthread_mutex_lock(&registry_lock);
	mecdns_refresh_user_t *u = log_user(r);
	if (u != NULL) {
		u->sink.log(u->sink.data, priority, msg);
	}
	pthread_mutex_unlock(&registry_lock);
}

/*! \brief Wakes the refresher thread (stop, linger or interval changed). */
static void wake(mecdns_refresher_t *r)
{
	uint64_t one = 1;
	ssize_t unused = write(r->wake_fd, &one, sizeof(one));
	(void)unused;
}

/*** Problems: one log line per distinct problem, counted per attempt. ***/

/*! \brief Counts a failed attempt; logs the problem unless it is the one
 *         logged last. */
static void report_problem(mecdns_refresher_t *r, const char *problem)
{
	source_t *src = &r->src;

	pthread_mutex_lock(&registry_lock);
	r->status.refresh_errors++;
	uint32_t interval = r->interval_ms;
	notify_status(r);
	pthread_mutex_unlock(&registry_lock);

	if (strcmp(src->problem, problem) == 0) {
		return;
	}
	(void)snprintf(src->problem, sizeof(src->problem), "%s", problem);
	if (src->loaded) {
		refresher_log(r, LOG_ERR, "%s; serving generation %llu, retrying every %u ms",
		              problem, (unsigned long long)src->generation, interval);
	} else {
		refresher_log(r, LOG_ERR, "%s; nothing loaded yet, retrying every %u ms", problem,
		              interval);
	}
}

/*! \brief Logs the end of a problem. */
static void report_healthy(mecdns_refresher_t *r)
{
	source_t *src = &r->src;
	if (src->problem[0] == '\0') {
		return;
	}
	src->problem[0] = '\0';
	refresher_log(r, LOG_NOTICE, "database '%s' readable again, serving generation %llu",
	              r->path, (unsigned long long)src->generation);
}

/*! \brief Counts an invalid row of the current refresh; keeps the first. */
__attribute__((format(printf, 2, 3))) static void skip_row(source_t *src, const char *fmt, ...)
{
	if (src->skipped++ > 0) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	(void)vsnprintf(src->skipped_first, sizeof(src->skipped_first), fmt, args);
	va_end(args);
}

/*** The connection. ***/

static void source_close(source_t *src)
{
	for (int i = 0; i < SQL_COUNT; i++) {
		sqlite3_finalize(src->stmt[i]);
		src->stmt[i] = NULL;
	}
	sqlite3_close(src->db);
	src->db = NULL;
}

/*!
 * \brief Makes sure the connection reads the file now at the path: opens
 *        it, or reopens it when the file was replaced.
 *
 * \return KNOT_EOK, or an error with the problem text in problem.
 */
static int source_ensure(mecdns_refresher_t *r, char *problem, size_t size)
{
	source_t *src = &r->src;

	struct stat st;
	if (stat(r->path, &st) != 0) {
		source_close(src);
		(void)snprintf(problem, size, "database '%s' unavailable (%s)", r->path,
		               strerror(errno));
		return KNOT_ENOENT;
	}
	if (src->db != NULL && (st.st_dev != src->dev || st.st_ino != src->ino)) {
		source_close(src); /* Replaced: read the new file. */
	}
	if (src->db != NULL) {
		return KNOT_EOK;
	}

	char err[320] = "";
	int ret = mecdns_db_open(r->path, MECDNS_DB_READER, &src->db, err, sizeof(err));
	if (ret != SQLITE_OK) {
		(void)snprintf(problem, size, "%s", err[0] != '\0' ? err : sqlite3_errstr(ret));
		return KNOT_EACCES;
	}
	for (int i = 0; i < SQL_COUNT; i++) {
		ret = sqlite3_prepare_v3(src->db, SQL_TEXT[i], -1, SQLITE_PREPARE_PERSISTENT,
		                         &src->stmt[i], NULL);
		if (ret != SQLITE_OK) {
			(void)snprintf(problem, size, "database '%s' is not a mecdns database (%s)",
			               r->path, sqlite3_errmsg(src->db));
			source_close(src);
			return KNOT_EMALF;
		}
	}
	src->dev = st.st_dev;
	src->ino = st.st_ino;
	return KNOT_EOK;
}

/*! \brief Problem text for a failed SQLite call. */
static void sql_problem(mecdns_refresher_t *r, int ret, char *problem, size_t size)
{
	const char *what = (ret == SQLITE_BUSY || ret == SQLITE_LOCKED) ? "database is locked"
	                                                                : sqlite3_errmsg(r->src.db);
	(void)snprintf(problem, size, "cannot read database '%s' (%s)", r->path, what);
}

/*! \brief Resets every statement (ends their reads). */
static void statements_reset(source_t *src)
{
	for (int i = 0; i < SQL_COUNT; i++) {
		sqlite3_reset(src->stmt[i]);
		sqlite3_clear_bindings(src->stmt[i]);
	}
}

/*! \brief Ends the read transaction. */
static void read_end(source_t *src)
{
	statements_reset(src);
	(void)sqlite3_exec(src->db, "COMMIT", NULL, NULL, NULL);
}

/*! \brief Starts a read transaction and reads the schema version and state. */
static int read_begin(mecdns_refresher_t *r, db_state_t *state, char *problem, size_t size)
{
	source_t *src = &r->src;

	int ret = sqlite3_exec(src->db, "BEGIN", NULL, NULL, NULL);
	if (ret != SQLITE_OK) {
		sql_problem(r, ret, problem, size);
		return ret;
	}

	sqlite3_stmt *stmt = src->stmt[SQL_VERSION];
	ret = sqlite3_step(stmt);
	if (ret != SQLITE_ROW) {
		sql_problem(r, ret, problem, size);
		return ret;
	}
	int version = sqlite3_column_int(stmt, 0);
	if (version != MECDNS_SCHEMA_VERSION) {
		(void)snprintf(problem, size,
		               "database '%s' has schema version %d, "
		               "this module knows %d",
		               r->path, version, MECDNS_SCHEMA_VERSION);
		return SQLITE_MISMATCH;
	}

	stmt = src->stmt[SQL_STATE];
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_DONE) {
		(void)snprintf(problem, size, "database '%s' has no state row", r->path);
		return SQLITE_CORRUPT;
	}
	if (ret != SQLITE_ROW) {
		sql_problem(r, ret, problem, size);
		return ret;
	}
	int64_t generation = sqlite3_column_int64(stmt, 0);
	int64_t pruned = sqlite3_column_int64(stmt, 1);
	const char *instance = (const char *)sqlite3_column_text(stmt, 2);
	if (generation < 0 || pruned < 0 || instance == NULL ||
	    strlen(instance) >= sizeof(state->instance)) {
		(void)snprintf(problem, size, "database '%s' has an invalid state row", r->path);
		return SQLITE_CORRUPT;
	}
	state->generation = (uint64_t)generation;
	state->pruned_through = (uint64_t)pruned;
	(void)snprintf(state->instance, sizeof(state->instance), "%s", instance);
	return SQLITE_OK;
}

/*** Building entries from rows. ***/

/*! \brief Adds one rule row (ip_address_type, ip_address, ttl from column
 *         col) to an entry; skips a hostile row. */
static int add_rule_row(mecdns_refresher_t *r, mecdns_owner_t *entry, sqlite3_stmt *stmt, int col,
                        const char *owner)
{
	const char *ip_type = (const char *)sqlite3_column_text(stmt, col);
	const char *ip = (const char *)sqlite3_column_text(stmt, col + 1);
	int ttl_type = sqlite3_column_type(stmt, col + 2);
	int64_t ttl = sqlite3_column_int64(stmt, col + 2);

	int ret = KNOT_EINVAL;
	if (ttl_type == SQLITE_NULL || ttl_type == SQLITE_INTEGER) {
		ret = mecdns_entry_add_rule(entry, ip_type, ip, ttl_type != SQLITE_NULL, ttl,
		                            r->default_ttl);
	}
	if (ret == KNOT_EINVAL) {
		char ttl_text[24] = "NULL";
		if (ttl_type != SQLITE_NULL) {
			(void)snprintf(ttl_text, sizeof(ttl_text), "%lld", (long long)ttl);
		}
		skip_row(&r->src, "rule of '%.80s': %.16s address '%.48s', ttl %s", owner,
		         ip_type != NULL ? ip_type : "NULL", ip != NULL ? ip : "NULL", ttl_text);
		return KNOT_EOK;
	}
	return ret;
}

/*! \brief Adds one rdata row (type, ttl, wire from column col) to an entry;
 *         skips a hostile row, ignores types mecdns does not serve. */
static int add_rdata_row(mecdns_refresher_t *r, mecdns_owner_t *entry, sqlite3_stmt *stmt, int col,
                         const char *owner)
{
	int64_t type = sqlite3_column_int64(stmt, col);
	int64_t ttl = sqlite3_column_int64(stmt, col + 1);
	const uint8_t *wire = sqlite3_column_blob(stmt, col + 2);
	size_t wire_len = (size_t)sqlite3_column_bytes(stmt, col + 2);

	int ret = KNOT_EINVAL;
	if (sqlite3_column_type(stmt, col) == SQLITE_INTEGER &&
	    sqlite3_column_type(stmt, col + 1) == SQLITE_INTEGER &&
	    sqlite3_column_type(stmt, col + 2) == SQLITE_BLOB) {
		ret = mecdns_entry_add_rdata(entry, type, ttl, wire, wire_len);
	}
	if (ret == KNOT_EINVAL) {
		skip_row(&r->src, "rrset of '%.80s': type %lld, ttl %lld, %zu bytes of rdata",
		         owner, (long long)type, (long long)ttl, wire_len);
		return KNOT_EOK;
	}
	if (ret == KNOT_ENOTSUP) {
		return KNOT_EOK;
	}
	return ret;
}

/*! \brief Puts an entry into the transaction, or removes the owner when the
 *         entry has nothing to answer. Takes the entry. */
static int index_put(mecdns_index_txn_t *txn, const knot_dname_t *owner, mecdns_owner_t *entry)
{
	if (entry != NULL && mecdns_owner_records(entry) == 0) {
		mecdns_owner_free(entry);
		entry = NULL;
	}
	return mecdns_index_set(txn, owner, entry);
}

/*! \brief Rebuilds the entry of one owner from the current rows. */
static int rebuild_owner(mecdns_refresher_t *r, mecdns_index_txn_t *txn, const char *owner_text,
                         int *sql_ret)
{
	source_t *src = &r->src;

	knot_dname_storage_t owner = { 0 };
	if (mecdns_owner_parse(owner_text, owner) != KNOT_EOK) {
		skip_row(src, "changed owner '%.80s' is not a canonical name", owner_text);
		return KNOT_EOK;
	}
	mecdns_owner_t *entry = mecdns_owner_new(owner);
	if (entry == NULL) {
		return KNOT_ENOMEM;
	}

	int ret = KNOT_EOK;
	sqlite3_stmt *rules = src->stmt[SQL_OWNER_RULES];
	sqlite3_bind_text(rules, 1, owner_text, -1, SQLITE_STATIC);
	while (ret == KNOT_EOK && (*sql_ret = sqlite3_step(rules)) == SQLITE_ROW) {
		ret = add_rule_row(r, entry, rules, 0, owner_text);
	}
	sqlite3_reset(rules);

	sqlite3_stmt *rdata = src->stmt[SQL_OWNER_RDATA];
	if (ret == KNOT_EOK && *sql_ret == SQLITE_DONE) {
		sqlite3_bind_text(rdata, 1, owner_text, -1, SQLITE_STATIC);
		while (ret == KNOT_EOK && (*sql_ret = sqlite3_step(rdata)) == SQLITE_ROW) {
			ret = add_rdata_row(r, entry, rdata, 0, owner_text);
		}
		sqlite3_reset(rdata);
	}

	if (ret != KNOT_EOK || *sql_ret != SQLITE_DONE) {
		mecdns_owner_free(entry);
		return ret != KNOT_EOK ? ret : KNOT_ERROR;
	}
	return index_put(txn, owner, entry);
}

/*! A row stream of a full load, ordered by owner (column 0). */
typedef struct {
	sqlite3_stmt *stmt;
	int ret;                    /*!< Last sqlite3_step() result. */
	char owner[OWNER_TEXT_MAX]; /*!< Owner of the current row (maybe cut). */
	bool bad;                   /*!< The owner is NULL, longer than any name
	                                 or holds a NUL: owner is only a prefix. */
} cursor_t;

static void cursor_step(cursor_t *c)
{
	c->ret = sqlite3_step(c->stmt);
	if (c->ret == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(c->stmt, 0);
		size_t bytes = (size_t)sqlite3_column_bytes(c->stmt, 0);
		(void)snprintf(c->owner, sizeof(c->owner), "%s", owner != NULL ? owner : "");
		/* Its prefix may spell a valid name: the row must not count as
		 * that name's (it sorts apart from it, and a change of it
		 * rebuilds the prefix name from that name's own rows). */
		c->bad = owner == NULL || bytes >= sizeof(c->owner) || strlen(owner) != bytes;
	}
}

static bool cursor_at(const cursor_t *c, const char *owner, bool bad)
{
	return c->ret == SQLITE_ROW && c->bad == bad && strcmp(c->owner, owner) == 0;
}

/*!
 * \brief Builds a whole new version from every ACTIVE rule and every rrset,
 *        merging the two owner-ordered streams into one entry per owner.
 */
static int build_full(mecdns_refresher_t *r, mecdns_index_txn_t *txn, int *sql_ret)
{
	source_t *src = &r->src;
	cursor_t rules = { .stmt = src->stmt[SQL_ALL_RULES] };
	cursor_t rdata = { .stmt = src->stmt[SQL_ALL_RDATA] };
	cursor_step(&rules);
	cursor_step(&rdata);

	char owner_text[OWNER_TEXT_MAX];
	int ret = KNOT_EOK;
	while (ret == KNOT_EOK && (rules.ret == SQLITE_ROW || rdata.ret == SQLITE_ROW)) {
		const cursor_t *first = &rules;
		if (rules.ret != SQLITE_ROW ||
		    (rdata.ret == SQLITE_ROW && strcmp(rdata.owner, rules.owner) < 0)) {
			first = &rdata;
		}
		memcpy(owner_text, first->owner, sizeof(owner_text));
		bool bad = first->bad;

		knot_dname_storage_t owner = { 0 };
		mecdns_owner_t *entry = NULL;
		if (!bad && mecdns_owner_parse(owner_text, owner) == KNOT_EOK) {
			entry = mecdns_owner_new(owner);
			if (entry == NULL) {
				return KNOT_ENOMEM;
			}
		}

		for (; ret == KNOT_EOK && cursor_at(&rules, owner_text, bad); cursor_step(&rules)) {
			if (entry == NULL) {
				skip_row(src, "rule owner '%.80s' is not a canonical name",
				         owner_text);
				continue;
			}
			ret = add_rule_row(r, entry, rules.stmt, 1, owner_text);
		}
		for (; ret == KNOT_EOK && cursor_at(&rdata, owner_text, bad); cursor_step(&rdata)) {
			if (entry == NULL) {
				skip_row(src, "rrset owner '%.80s' is not a canonical name",
				         owner_text);
				continue;
			}
			ret = add_rdata_row(r, entry, rdata.stmt, 1, owner_text);
		}

		if (entry != NULL) {
			if (ret == KNOT_EOK) {
				ret = index_put(txn, owner, entry);
			} else {
				mecdns_owner_free(entry);
			}
		}
	}

	if (ret == KNOT_EOK && (rules.ret != SQLITE_DONE || rdata.ret != SQLITE_DONE)) {
		*sql_ret = rules.ret != SQLITE_DONE ? rules.ret : rdata.ret;
		return KNOT_ERROR;
	}
	return ret;
}

/*! \brief Rebuilds the owners that generations (from, to] changed. */
static int build_incremental(mecdns_refresher_t *r, mecdns_index_txn_t *txn, uint64_t from,
                             uint64_t to, int *sql_ret)
{
	sqlite3_stmt *changed = r->src.stmt[SQL_CHANGED_OWNERS];
	sqlite3_bind_int64(changed, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(changed, 2, (sqlite3_int64)to);

	int ret = KNOT_EOK;
	while (ret == KNOT_EOK && (*sql_ret = sqlite3_step(changed)) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(changed, 0);
		char owner_text[OWNER_TEXT_MAX];
		(void)snprintf(owner_text, sizeof(owner_text), "%s", owner != NULL ? owner : "");
		ret = rebuild_owner(r, txn, owner_text, sql_ret);
	}
	if (ret == KNOT_EOK && *sql_ret != SQLITE_DONE) {
		ret = KNOT_ERROR;
	}
	sqlite3_reset(changed);
	return ret;
}

/*** Publishing. ***/

/*! \brief Makes a new version visible to readers and frees what the old one
 *         no longer shares. */
static void publish(mecdns_refresher_t *r, mecdns_index_t *version, mecdns_index_garbage_t *garbage,
                    mecdns_index_t *replaced)
{
	rcu_assign_pointer(r->index, version);
	if (garbage != NULL || replaced != NULL) {
		synchronize_rcu();
		mecdns_index_garbage_free(garbage);
		mecdns_index_free(replaced);
	}

	pthread_mutex_lock(&registry_lock);
	r->status.generation = mecdns_index_generation(version);
	r->status.records = mecdns_index_records(version);
	r->status.owners = mecdns_index_owners(version);
	r->status.skipped_rows += r->src.skipped;
	r->status.loaded = true;
	notify_status(r);
	pthread_mutex_unlock(&registry_lock);
}

/*!
 * \brief Loads generation state->generation: incrementally from the change
 *        log when the loaded version is a usable base, otherwise in full.
 *
 * \return KNOT_EOK or an error (problem filled); the published version is
 *         then unchanged.
 */
static int load(mecdns_refresher_t *r, const db_state_t *state, char *problem, size_t size)
{
	source_t *src = &r->src;
	bool same_file = src->loaded && strcmp(src->instance, state->instance) == 0;
	bool incremental = same_file && state->generation > src->generation &&
	                   src->generation >= state->pruned_through;
	int64_t start = now_ms();

	mecdns_index_t *base = incremental ? r->index : mecdns_index_new();
	if (base == NULL) {
		(void)snprintf(problem, size, "loading '%s': out of memory", r->path);
		return KNOT_ENOMEM;
	}
	mecdns_index_txn_t *txn = mecdns_index_begin(base);
	if (txn == NULL) {
		if (!incremental) {
			mecdns_index_free(base);
		}
		(void)snprintf(problem, size, "loading '%s': out of memory", r->path);
		return KNOT_ENOMEM;
	}

	int sql_ret = SQLITE_OK;
	src->skipped = 0;
	int ret = incremental
	              ? build_incremental(r, txn, src->generation, state->generation, &sql_ret)
	              : build_full(r, txn, &sql_ret);

	mecdns_index_t *version = NULL;
	mecdns_index_garbage_t *garbage = NULL;
	if (ret == KNOT_EOK) {
		version = mecdns_index_commit(txn, state->generation, &garbage);
		ret = (version == NULL) ? KNOT_ENOMEM : KNOT_EOK;
	} else {
		mecdns_index_abort(txn);
	}
	if (ret != KNOT_EOK) {
		if (!incremental) {
			mecdns_index_free(base);
		}
		if (ret == KNOT_ERROR) {
			sql_problem(r, sql_ret, problem, size);
		} else {
			(void)snprintf(problem, size, "loading '%s' failed (%s)", r->path,
			               knot_strerror(ret));
		}
		return ret;
	}

	if (incremental) {
		publish(r, version, garbage, NULL);
	} else {
		/* The empty base was never published. */
		mecdns_index_garbage_free(garbage);
		publish(r, version, NULL, r->index);
	}

	const char *how = "changes";
	if (!incremental) {
		how = !src->loaded ? "full load"
		      : !same_file ? "full reload, new database file"
		      : state->generation < src->generation
		          ? "full reload, generation went back"
		          : "full reload, change log pruned past the loaded generation";
	}
	refresher_log(r, incremental ? LOG_DEBUG : LOG_INFO,
	              "loaded generation %llu of '%s' (%s), %zu names, %zu records, %lld ms",
	              (unsigned long long)state->generation, r->path, how,
	              mecdns_index_owners(version), mecdns_index_records(version),
	              (long long)(now_ms() - start));
	src->loaded = true;
	src->generation = state->generation;
	memcpy(src->instance, state->instance, sizeof(src->instance));

	if (src->skipped > 0) {
		refresher_log(r, LOG_WARNING,
		              "skipped %llu invalid rows loading generation %llu "
		              "(first: %s)",
		              (unsigned long long)src->skipped,
		              (unsigned long long)state->generation, src->skipped_first);
	}
	return KNOT_EOK;
}

/*! \brief One refresh attempt: nothing when the generation is loaded. */
static void refresh_once(mecdns_refresher_t *r)
{
	source_t *src = &r->src;
	char problem[sizeof(src->problem)];

	if (source_ensure(r, problem, sizeof(problem)) != KNOT_EOK) {
		report_problem(r, problem);
		return;
	}

	db_state_t state;
	int ret = read_begin(r, &state, problem, sizeof(problem));
	if (ret == SQLITE_OK) {
		bool current = src->loaded && state.generation == src->generation &&
		               strcmp(state.instance, src->instance) == 0;
		if (!current && load(r, &state, problem, sizeof(problem)) != KNOT_EOK) {
			ret = SQLITE_ERROR;
		}
	}
	read_end(src);

	if (ret != SQLITE_OK) {
		/* A fresh connection next time (the file may have been replaced or
		 * repaired meanwhile), except for a lock or a schema version this
		 * module does not know (it re-reads the version every time). */
		if (ret != SQLITE_BUSY && ret != SQLITE_LOCKED && ret != SQLITE_MISMATCH) {
			source_close(src);
		}
		report_problem(r, problem);
		return;
	}
	report_healthy(r);
}

/*** Waiting for changes. ***/

/*! \brief Watches the database's directory if not yet watching. */
static void watch_ensure(mecdns_refresher_t *r)
{
	source_t *src = &r->src;
	if (src->inotify_fd < 0 && !src->inotify_failed) {
		src->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (src->inotify_fd < 0) {
			src->inotify_failed = true;
			refresher_log(r, LOG_NOTICE,
			              "inotify unavailable (%s), polling '%s' "
			              "every refresh-interval",
			              strerror(errno), r->path);
			return;
		}
	}
	if (src->inotify_fd >= 0 && src->watch < 0) {
		/* A missing directory is retried every interval. */
		src->watch = inotify_add_watch(src->inotify_fd, r->dir,
		                               IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE |
		                                   IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE);
	}
}

/*! \brief Reads pending inotify events; true if one concerns the database
 *         or its -wal file. */
static bool watch_drain(mecdns_refresher_t *r)
{
	source_t *src = &r->src;
	bool relevant = false;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (true) {
		ssize_t len = read(src->inotify_fd, buf, sizeof(buf));
		if (len <= 0) {
			break;
		}
		for (char *pos = buf; pos < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)pos;
			if (ev->mask & IN_Q_OVERFLOW) {
				relevant = true;
			}
			if (ev->mask & IN_IGNORED) {
				src->watch = -1; /* Directory gone: watch again later. */
				relevant = true;
			}
			if (ev->len > 0 && (strcmp(ev->name, r->base) == 0 ||
			                    strcmp(ev->name, r->wal_base) == 0)) {
				relevant = true;
			}
			pos += sizeof(*ev) + ev->len;
		}
	}
	return relevant;
}

/*!
 * \brief Sleeps until a file event, a wake-up or the timeout.
 *
 * \return True after a relevant file event.
 */
static bool wait_for_change(mecdns_refresher_t *r, int timeout_ms)
{
	source_t *src = &r->src;
	struct pollfd fds[2] = {
		{ .fd = r->wake_fd, .events = POLLIN },
		{ .fd = src->inotify_fd, .events = POLLIN },
	};
	nfds_t count = src->inotify_fd >= 0 ? 2 : 1;

	if (poll(fds, count, timeout_ms) <= 0) {
		return false;
	}
	if (fds[0].revents & POLLIN) {
		uint64_t value;
		ssize_t unused = read(r->wake_fd, &value, sizeof(value));
		(void)unused;
	}
	return count == 2 && (fds[1].revents & POLLIN) && watch_drain(r);
}

/*! \brief Sleeps until the deadline or a wake-up, draining file events. */
static void wait_interval(mecdns_refresher_t *r, int64_t deadline)
{
	for (int64_t left = deadline - now_ms(); left > 0; left = deadline - now_ms()) {
		struct pollfd fds[2] = {
			{ .fd = r->wake_fd, .events = POLLIN },
			{ .fd = r->src.inotify_fd, .events = POLLIN },
		};
		int ready = poll(fds, r->src.inotify_fd >= 0 ? 2 : 1, (int)left);
		if (ready > 0 && (fds[0].revents & POLLIN)) {
			uint64_t value;
			ssize_t unused = read(r->wake_fd, &value, sizeof(value));
			(void)unused;
			return; /* Stop, linger or interval changed. */
		}
		if (ready > 0) {
			(void)watch_drain(r);
		}
	}
}

/*** The thread. ***/

static void *refresher_main(void *arg)
{
	mecdns_refresher_t *r = arg;
	rcu_register_thread();

	int64_t burst_until = 0;
	int64_t burst_step = 0;
	while (true) {
		watch_ensure(r);
		refresh_once(r);

		pthread_mutex_lock(&registry_lock);
		if (!r->first_done) {
			r->first_done = true;
			pthread_cond_broadcast(&registry_cond);
		}
		int64_t now = now_ms();
		int64_t linger_left = INT64_MAX;
		if (r->users == NULL) {
			linger_left = r->idle_since_ms + r->linger_ms - now;
			if (linger_left <= 0) {
				r->stop = true; /* No attach picks it up from here on. */
			}
		}
		bool stop = r->stop;
		int64_t timeout = r->interval_ms;
		pthread_mutex_unlock(&registry_lock);

		if (stop) {
			break;
		}
		if (linger_left < timeout) {
			timeout = linger_left;
		}
		if (r->src.problem[0] != '\0') {
			/* Broken database: retry every interval, whatever the
			 * writer does meanwhile. */
			wait_interval(r, now + timeout);
		} else {
			if (burst_until > now && burst_step < timeout) {
				timeout = burst_step;
				burst_step = burst_step * 2 < BURST_STEP_MAX_MS ? burst_step * 2
				                                                : BURST_STEP_MAX_MS;
			}
			if (wait_for_change(r, (int)timeout)) {
				burst_until = now_ms() + BURST_SPAN_MS;
				burst_step = 1;
			}
		}

		pthread_mutex_lock(&registry_lock);
		stop = r->stop;
		pthread_mutex_unlock(&registry_lock);
		if (stop) {
			break;
		}
	}

	source_close(&r->src);
	if (r->src.inotify_fd >= 0) {
		close(r->src.inotify_fd);
		r->src.inotify_fd = -1;
	}

	/* Without users no reader can hold the index (Knot unloads an instance
	 * only after a grace period, see above); with users (exit without
	 * unload) it stays where readers may find it. */
	pthread_mutex_lock(&registry_lock);
	bool unused = r->users == NULL;
	pthread_mutex_unlock(&registry_lock);
	if (unused && r->index != NULL) {
		mecdns_index_t *last = r->index;
		rcu_assign_pointer(r->index, NULL);
		synchronize_rcu();
		mecdns_index_free(last);
	}

	rcu_unregister_thread();

	pthread_mutex_lock(&registry_lock);
	r->exited = true;
	pthread_cond_broadcast(&registry_cond);
	pthread_mutex_unlock(&registry_lock);
	return NULL;
}

/*** The registry. ***/

static void refresher_free(mecdns_refresher_t *r)
{
	if (r == NULL) {
		return;
	}
	if (r->wake_fd >= 0) {
		close(r->wake_fd);
	}
	free(r->path);
	free(r->dir);
	free(r->base);
	free(r->wal_base);
	free(r);
}

static mecdns_refresher_t *refresher_new(const mecdns_refresh_conf_t *conf)
{
	mecdns_refresher_t *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return NULL;
	}
	r->wake_fd = -1;
	r->src.inotify_fd = -1;
	r->src.watch = -1;
	r->default_ttl = conf->default_ttl;
	r->interval_ms = conf->interval_ms;
	r->linger_ms = conf->linger_ms;

	const char *slash = strrchr(conf->database, '/');
	r->path = strdup(conf->database);
	r->dir = (slash == conf->database)
	             ? strdup("/")
	             : strndup(conf->database, (size_t)(slash - conf->database));
	r->base = strdup(slash + 1);
	if (r->path == NULL || r->dir == NULL || r->base == NULL ||
	    asprintf(&r->wal_base, "%s-wal", r->base) < 0) {
		r->wal_base = NULL;
		refresher_free(r);
		return NULL;
	}
	r->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->wake_fd < 0) {
		refresher_free(r);
		return NULL;
	}
	return r;
}

/*! \brief Starts the thread with every signal blocked (knotd's main thread
 *         handles them). */
static int refresher_start(mecdns_refresher_t *r)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int ret = pthread_create(&r->thread, NULL, refresher_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0) {
		return KNOT_ERROR;
	}
	(void)pthread_setname_np(r->thread, "mecdns-refresh");
	return KNOT_EOK;
}

/*! \brief Unlinks refreshers whose thread returned (lock held); the caller
 *         joins and frees them after unlocking. */
static mecdns_refresher_t *registry_take_exited(void)
{
	mecdns_refresher_t *exited = NULL;
	for (mecdns_refresher_t **link = &registry; *link != NULL;) {
		mecdns_refresher_t *r = *link;
		if (r->exited && r->users == NULL) {
			*link = r->next;
			r->next = exited;
			exited = r;
		} else {
			link = &r->next;
		}
	}
	return exited;
}

static void join_and_free(mecdns_refresher_t *list)
{
	while (list != NULL) {
		mecdns_refresher_t *next = list->next;
		(void)pthread_join(list->thread, NULL);
		refresher_free(list);
		list = next;
	}
}

/*! \brief The running refresher for a key (lock held), or NULL. */
static mecdns_refresher_t *registry_find(const mecdns_refresh_conf_t *conf)
{
	for (mecdns_refresher_t *r = registry; r != NULL; r = r->next) {
		if (!r->stop && r->default_ttl == conf->default_ttl &&
		    strcmp(r->path, conf->database) == 0) {
			return r;
		}
	}
	return NULL;
}

/*! \brief The smallest interval of the users (lock held). */
static void update_interval(mecdns_refresher_t *r)
{
	uint32_t interval = UINT32_MAX;
	for (mecdns_refresh_user_t *u = r->users; u != NULL; u = u->next) {
		if (u->interval_ms < interval) {
			interval = u->interval_ms;
		}
	}
	if (interval != UINT32_MAX) {
		r->interval_ms = interval;
	}
}

/*! \brief Waits for the first refresh attempt of a new refresher (lock held). */
static void wait_first_refresh(mecdns_refresher_t *r, uint32_t wait_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	while (!r->first_done) {
		if (pthread_cond_timedwait(&registry_cond, &registry_lock, &deadline) ==
		    ETIMEDOUT) {
			break;
		}
	}
}

int mecdns_refresh_attach(const mecdns_refresh_conf_t *conf, const mecdns_refresh_sink_t *sink,
                          mecdns_refresh_user_t **out, bool *reused)
{
	if (conf == NULL || sink == NULL || out == NULL || conf->database == NULL ||
	    conf->database[0] != '/' || conf->interval_ms == 0) {
		return KNOT_EINVAL;
	}

	mecdns_refresh_user_t *user = calloc(1, sizeof(*user));
	if (user == NULL) {
		return KNOT_ENOMEM;
	}
	user->sink = *sink;
	user->interval_ms = conf->interval_ms;
	user->linger_ms = conf->linger_ms;

	pthread_mutex_lock(&registry_lock);
	mecdns_refresher_t *exited = registry_take_exited();

	mecdns_refresher_t *r = registry_find(conf);
	bool found = (r != NULL);
	if (!found) {
		r = refresher_new(conf);
		if (r == NULL) {
			pthread_mutex_unlock(&registry_lock);
			join_and_free(exited);
			free(user);
			return KNOT_ENOMEM;
		}
	}

	user->refresher = r;
	user->next = r->users;
	r->users = user;
	update_interval(r);

	if (found) {
		wake(r); /* The interval may be shorter now. */
	} else {
		int ret = refresher_start(r);
		if (ret != KNOT_EOK) {
			pthread_mutex_unlock(&registry_lock);
			join_and_free(exited);
			refresher_free(r);
			free(user);
			return ret;
		}
		r->next = registry;
		registry = r;
		wait_first_refresh(r, conf->first_load_wait_ms);
	}

	if (sink->status != NULL) {
		sink->status(sink->data, &r->status);
	}
	pthread_mutex_unlock(&registry_lock);

	join_and_free(exited);
	if (reused != NULL) {
		*reused = found;
	}
	*out = user;
	return KNOT_EOK;
}

void mecdns_refresh_detach(mecdns_refresh_user_t *user)
{
	if (user == NULL) {
		return;
	}
	mecdns_refresher_t *r = user->refresher;

	pthread_mutex_lock(&registry_lock);
	for (mecdns_refresh_user_t **link = &r->users; *link != NULL; link = &(*link)->next) {
		if (*link == user) {
			*link = user->next;
			break;
		}
	}
	if (r->users == NULL) {
		r->idle_since_ms = now_ms();
		r->linger_ms = user->linger_ms;
		wake(r);
	} else {
		update_interval(r);
	}
	mecdns_refresher_t *exited = registry_take_exited();
	pthread_mutex_unlock(&registry_lock);

	join_and_free(exited);
	free(user);
}

const mecdns_index_t *mecdns_refresh_index(const mecdns_refresh_user_t *user)
{
	return (user != NULL) ? rcu_dereference(user->refresher->index) : NULL;
}

void mecdns_refresh_get_status(const mecdns_refresh_user_t *user, mecdns_refresh_status_t *out)
{
	pthread_mutex_lock(&registry_lock);
	*out = user->refresher->status;
	pthread_mutex_unlock(&registry_lock);
}

void mecdns_refresh_shutdown(void)
{
	pthread_mutex_lock(&registry_lock);
	mecdns_refresher_t *all = registry;
	registry = NULL;
	for (mecdns_refresher_t *r = all; r != NULL; r = r->next) {
		r->stop = true;
		wake(r);
	}
	pthread_mutex_unlock(&registry_lock);

	while (all != NULL) {
		mecdns_refresher_t *next = all->next;
		(void)pthread_join(all->thread, NULL);
		/* Users left (exit without unload) may still read it: keep it. */
		if (all->users == NULL) {
			refresher_free(all);
		}
		all = next;
	}
}

/*! \brief The last dlclose() of the module (or the exit): no thread may run
 *         code of an unmapped object. */
__attribute__((destructor)) static void refresh_unmapped(void)
{
	mecdns_refresh_shutdown();
}
