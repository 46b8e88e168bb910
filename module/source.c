/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns refresher: the SQLite source -- the read-only connection, the
 *  statements that read rules, rrsets and changes into entries, and waiting
 *  for changes (inotify on the database's files, polling as a fallback). */

#include "module/refresh_internal.h"

/*! The rdata rows of a set (d) of rrsets (s): its whole key, scope too. */
#define SQL_RDATA_OF_SET                                                                           \
	"d.zone = s.zone AND d.owner = s.owner AND d.type = s.type AND "                           \
	"d.client_subnets = s.client_subnets"

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
	[SQL_OWNER_RULES] =
	    "SELECT ip_address_type, ip_address, ttl, client_subnets, report FROM rules "
	    "WHERE owner = ?1 AND state = 'ACTIVE'",
	[SQL_OWNER_RDATA] =
	    "SELECT s.type, s.ttl, d.wire, s.client_subnets "
	    "FROM rrsets AS s JOIN rdata AS d ON " SQL_RDATA_OF_SET " WHERE s.owner = ?1",
	[SQL_ALL_RULES] =
	    "SELECT owner, ip_address_type, ip_address, ttl, client_subnets, report FROM rules "
	    "WHERE state = 'ACTIVE' ORDER BY owner",
	[SQL_ALL_RDATA] =
	    "SELECT s.owner, s.type, s.ttl, d.wire, s.client_subnets "
	    "FROM rrsets AS s JOIN rdata AS d ON " SQL_RDATA_OF_SET " ORDER BY s.owner",
};

/*** The connection. ***/

void refresh_source_close(source_t *src)
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
int refresh_source_ensure(mecdns_refresher_t *r, char *problem, size_t size)
{
	source_t *src = &r->src;

	struct stat st;
	if (stat(r->path, &st) != 0) {
		refresh_source_close(src);
		(void)snprintf(problem, size, "database '%s' unavailable (%s)", r->path,
		               strerror(errno));
		return KNOT_ENOENT;
	}
	if (src->db != NULL && (st.st_dev != src->dev || st.st_ino != src->ino)) {
		refresh_source_close(src); /* Replaced: read the new file. */
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
			refresh_source_close(src);
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
void refresh_read_end(source_t *src)
{
	statements_reset(src);
	(void)sqlite3_exec(src->db, "COMMIT", NULL, NULL, NULL);
}

/*! \brief Starts a read transaction and reads the schema version and state. */
int refresh_read_begin(mecdns_refresher_t *r, db_state_t *state, char *problem, size_t size)
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

/*! \brief Adds one rule row (ip_address_type, ip_address, ttl,
 *         client_subnets, report from column col) to an entry; skips a
 *         hostile row. */
static int add_rule_row(mecdns_refresher_t *r, mecdns_owner_t *entry, sqlite3_stmt *stmt, int col,
                        const char *owner)
{
	const char *ip_type = (const char *)sqlite3_column_text(stmt, col);
	const char *ip = (const char *)sqlite3_column_text(stmt, col + 1);
	int ttl_type = sqlite3_column_type(stmt, col + 2);
	int64_t ttl = sqlite3_column_int64(stmt, col + 2);
	const char *scope = (const char *)sqlite3_column_text(stmt, col + 3);

	int ret = KNOT_EINVAL;
	if (ttl_type == SQLITE_NULL || ttl_type == SQLITE_INTEGER) {
		ret = mecdns_entry_add_rule(entry, ip_type, ip, ttl_type != SQLITE_NULL, ttl,
		                            r->default_ttl, scope);
	}
	if (ret == KNOT_EOK && sqlite3_column_int(stmt, col + 4) != 0) {
		/* Reporting without a scope: the record stays, the row counts
		 * as hostile (the store never writes it). */
		ret = mecdns_entry_mark_report(entry, scope);
		ret = ret == KNOT_EOK || ret == KNOT_ENOMEM ? ret : KNOT_EINVAL;
	}
	if (ret == KNOT_EINVAL) {
		char ttl_text[24] = "NULL";
		if (ttl_type != SQLITE_NULL) {
			(void)snprintf(ttl_text, sizeof(ttl_text), "%lld", (long long)ttl);
		}
		refresh_skip_row(&r->src, "rule of '%.80s': %.16s address '%.48s', ttl %s%s%.80s",
		                 owner, ip_type != NULL ? ip_type : "NULL",
		                 ip != NULL ? ip : "NULL", ttl_text,
		                 scope != NULL ? ", scope " : "", scope != NULL ? scope : "");
		return KNOT_EOK;
	}
	return ret;
}

/*! \brief Adds one rdata row (type, ttl, wire, client_subnets from column
 *         col) to an entry; skips a hostile row, ignores types mecdns does
 *         not serve. */
static int add_rdata_row(mecdns_refresher_t *r, mecdns_owner_t *entry, sqlite3_stmt *stmt, int col,
                         const char *owner)
{
	int64_t type = sqlite3_column_int64(stmt, col);
	int64_t ttl = sqlite3_column_int64(stmt, col + 1);
	const uint8_t *wire = sqlite3_column_blob(stmt, col + 2);
	size_t wire_len = (size_t)sqlite3_column_bytes(stmt, col + 2);
	const char *scope = (const char *)sqlite3_column_text(stmt, col + 3);

	int ret = KNOT_EINVAL;
	if (sqlite3_column_type(stmt, col) == SQLITE_INTEGER &&
	    sqlite3_column_type(stmt, col + 1) == SQLITE_INTEGER &&
	    sqlite3_column_type(stmt, col + 2) == SQLITE_BLOB) {
		ret = mecdns_entry_add_rdata(entry, type, ttl, wire, wire_len, scope);
	}
	if (ret == KNOT_EINVAL) {
		refresh_skip_row(
		    &r->src, "rrset of '%.80s': type %lld, ttl %lld, %zu bytes of rdata%s%.80s",
		    owner, (long long)type, (long long)ttl, wire_len,
		    scope != NULL && *scope != '\0' ? ", scope " : "", scope != NULL ? scope : "");
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
		refresh_skip_row(src, "changed owner '%.80s' is not a canonical name", owner_text);
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
/*! A full load logs its progress every this many names (large databases
 *  only), and every LOAD_PROGRESS_MS whatever the count. */
#define LOAD_PROGRESS_NAMES 250000
#define LOAD_PROGRESS_MS    5000

/*! \brief Logs how far a full load is, now and then (see above). */
static void load_progress(mecdns_refresher_t *r, size_t names, int64_t start, int64_t *last)
{
	bool by_count = names % LOAD_PROGRESS_NAMES == 0;
	if (!by_count && names % 4096 != 0) {
		return; /* The clock is read every 4096 names only. */
	}
	int64_t now = mecdns_monotonic_ms();
	if (!by_count && now - *last < LOAD_PROGRESS_MS) {
		return;
	}
	*last = now;
	int64_t ms = now - start > 0 ? now - start : 1;
	refresh_log(r, LOG_INFO, "loading '%s': %zu names so far, %.0f names/s, %lld ms", r->path,
	            names, (double)names * 1000.0 / (double)ms, (long long)ms);
}

static int build_full(mecdns_refresher_t *r, mecdns_index_txn_t *txn, int *sql_ret)
{
	source_t *src = &r->src;
	size_t names = 0;
	int64_t start = mecdns_monotonic_ms(), last = start;
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
				refresh_skip_row(src, "rule owner '%.80s' is not a canonical name",
				                 owner_text);
				continue;
			}
			ret = add_rule_row(r, entry, rules.stmt, 1, owner_text);
		}
		for (; ret == KNOT_EOK && cursor_at(&rdata, owner_text, bad); cursor_step(&rdata)) {
			if (entry == NULL) {
				refresh_skip_row(src, "rrset owner '%.80s' is not a canonical name",
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
		load_progress(r, ++names, start, &last);
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

/*! \brief A build's result at the edge: libknot codes only; a failed
 *         SQLite step becomes KNOT_ERROR with its text in problem. */
static int build_result(mecdns_refresher_t *r, int ret, int sql_ret, char *problem, size_t size)
{
	if (ret == KNOT_ERROR) {
		sql_problem(r, sql_ret, problem, size);
	} else if (ret != KNOT_EOK) {
		(void)snprintf(problem, size, "loading '%s' failed (%s)", r->path,
		               knot_strerror(ret));
	}
	return ret;
}

int refresh_build_full(mecdns_refresher_t *r, mecdns_index_txn_t *txn, char *problem, size_t size)
{
	int sql_ret = SQLITE_OK;
	int ret = build_full(r, txn, &sql_ret);
	return build_result(r, ret, sql_ret, problem, size);
}

int refresh_build_incremental(mecdns_refresher_t *r, mecdns_index_txn_t *txn, uint64_t from,
                              uint64_t to, char *problem, size_t size)
{
	int sql_ret = SQLITE_OK;
	int ret = build_incremental(r, txn, from, to, &sql_ret);
	return build_result(r, ret, sql_ret, problem, size);
}

/*** Waiting for changes. ***/

/*! \brief Watches the database's directory if not yet watching. */
void refresh_watch_ensure(mecdns_refresher_t *r)
{
	source_t *src = &r->src;
	if (src->inotify_fd < 0 && !src->inotify_failed) {
		src->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (src->inotify_fd < 0) {
			src->inotify_failed = true;
			refresh_log(r, LOG_NOTICE,
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
bool refresh_wait_for_change(mecdns_refresher_t *r, int timeout_ms)
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
void refresh_wait_interval(mecdns_refresher_t *r, int64_t deadline)
{
	for (int64_t left = deadline - mecdns_monotonic_ms(); left > 0;
	     left = deadline - mecdns_monotonic_ms()) {
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
