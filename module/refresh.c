/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "module/refresh_internal.h"

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

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t registry_cond = PTHREAD_COND_INITIALIZER;
static mecdns_refresher_t *registry = NULL;

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
__attribute__((format(printf, 3, 4))) void refresh_log(mecdns_refresher_t *r, int priority,
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
		refresh_log(r, LOG_ERR, "%s; serving generation %llu, retrying every %u ms",
		            problem, (unsigned long long)src->generation, interval);
	} else {
		refresh_log(r, LOG_ERR, "%s; nothing loaded yet, retrying every %u ms", problem,
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
	refresh_log(r, LOG_NOTICE, "database '%s' readable again, serving generation %llu", r->path,
	            (unsigned long long)src->generation);
}

/*! \brief Counts an invalid row of the current refresh; keeps the first. */
__attribute__((format(printf, 2, 3))) void refresh_skip_row(source_t *src, const char *fmt, ...)
{
	if (src->skipped++ > 0) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	(void)vsnprintf(src->skipped_first, sizeof(src->skipped_first), fmt, args);
	va_end(args);
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
	int64_t start = mecdns_monotonic_ms();

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

	src->skipped = 0;
	int ret = incremental ? refresh_build_incremental(r, txn, src->generation,
	                                                  state->generation, problem, size)
	                      : refresh_build_full(r, txn, problem, size);

	mecdns_index_t *version = NULL;
	mecdns_index_garbage_t *garbage = NULL;
	if (ret == KNOT_EOK) {
		version = mecdns_index_commit(txn, state->generation, &garbage);
		if (version == NULL) {
			ret = KNOT_ENOMEM;
			(void)snprintf(problem, size, "loading '%s' failed (%s)", r->path,
			               knot_strerror(ret));
		}
	} else {
		mecdns_index_abort(txn); /* problem says why. */
	}
	if (ret != KNOT_EOK) {
		if (!incremental) {
			mecdns_index_free(base);
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
	refresh_log(r, incremental ? LOG_DEBUG : LOG_INFO,
	            "loaded generation %llu of '%s' (%s), %zu names, %zu records, %lld ms",
	            (unsigned long long)state->generation, r->path, how,
	            mecdns_index_owners(version), mecdns_index_records(version),
	            (long long)(mecdns_monotonic_ms() - start));
	src->loaded = true;
	src->generation = state->generation;
	memcpy(src->instance, state->instance, sizeof(src->instance));

	if (src->skipped > 0) {
		refresh_log(r, LOG_WARNING,
		            "skipped %llu invalid rows loading generation %llu "
		            "(first: %s)",
		            (unsigned long long)src->skipped, (unsigned long long)state->generation,
		            src->skipped_first);
	}
	return KNOT_EOK;
}

/*! \brief One refresh attempt: nothing when the generation is loaded. */
static void refresh_once(mecdns_refresher_t *r)
{
	source_t *src = &r->src;
	char problem[sizeof(src->problem)];

	if (refresh_source_ensure(r, problem, sizeof(problem)) != KNOT_EOK) {
		report_problem(r, problem);
		return;
	}

	db_state_t state;
	int ret = refresh_read_begin(r, &state, problem, sizeof(problem));
	if (ret == SQLITE_OK) {
		bool current = src->loaded && state.generation == src->generation &&
		               strcmp(state.instance, src->instance) == 0;
		if (!current && load(r, &state, problem, sizeof(problem)) != KNOT_EOK) {
			ret = SQLITE_ERROR;
		}
	}
	refresh_read_end(src);

	if (ret != SQLITE_OK) {
		/* A fresh connection next time (the file may have been replaced or
		 * repaired meanwhile), except for a lock or a schema version this
		 * module does not know (it re-reads the version every time). */
		if (ret != SQLITE_BUSY && ret != SQLITE_LOCKED && ret != SQLITE_MISMATCH) {
			refresh_source_close(src);
		}
		report_problem(r, problem);
		return;
	}
	report_healthy(r);
}

/*** The thread. ***/

static void *refresher_main(void *arg)
{
	mecdns_refresher_t *r = arg;
	rcu_register_thread();

	int64_t burst_until = 0;
	int64_t burst_step = 0;
	while (true) {
		refresh_watch_ensure(r);
		refresh_once(r);

		pthread_mutex_lock(&registry_lock);
		if (!r->first_done) {
			r->first_done = true;
			pthread_cond_broadcast(&registry_cond);
		}
		int64_t now = mecdns_monotonic_ms();
		/* Alive: a round ended (a thread stuck in the database, e.g. on a
		 * hung file system, stops this; mecdns-syncd watches it). */
		r->status.heartbeat_ms = (uint64_t)now;
		r->status.interval_ms = r->interval_ms;
		notify_status(r);
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
			refresh_wait_interval(r, now + timeout);
		} else {
			if (burst_until > now && burst_step < timeout) {
				timeout = burst_step;
				burst_step = burst_step * 2 < BURST_STEP_MAX_MS ? burst_step * 2
				                                                : BURST_STEP_MAX_MS;
			}
			if (refresh_wait_for_change(r, (int)timeout)) {
				burst_until = mecdns_monotonic_ms() + BURST_SPAN_MS;
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

	refresh_source_close(&r->src);
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
		r->idle_since_ms = mecdns_monotonic_ms();
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
