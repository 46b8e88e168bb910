/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: startup, signal handling and shutdown.
 *
 *  Runs in the foreground (systemd Type=simple). The main thread only
 *  waits for signals: SIGTERM / SIGINT stop cleanly (shutting_down goes out
 *  on D-Bus first, so that BGP can withdraw; then the Knot state thread
 *  stops, then HTTP, then zone sync (syncd/zonesync.h), then the D-Bus
 *  emitter flushes what is pending, then
 *  the database closes),
 *  SIGHUP reloads the token file, the name-grants file and the TLS files
 *  (syncd/http.h), and
 *  every minute it prunes the change
 *  log (keeping what is not signalled yet).
 */

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "syncd/api.h"
#include "syncd/config.h"
#include "syncd/http.h"
#include "syncd/grants_file.h"
#include "syncd/kstate.h"
#include "syncd/mqtt.h"
#include "syncd/notify.h"
#include "syncd/reports.h"
#include "syncd/zoneguard.h"
#include "common/log.h"

/*! Seconds between change log prunes. */
#define PRUNE_INTERVAL 60
/*! How long a stop waits for queued notifications to be taken. */
#define NOTIFY_STOP_MS 1000
/*! How long a planned stop waits for shutting_down to reach the bus. */
#define SHUTTING_DOWN_MS 2000

/*! \brief The emitter's log lines into ours. */
static void signals_log(int priority, const char *msg, void *ctx)
{
	mecdns_log(priority, "dbus: %s", msg);
}

/*! \brief The Knot state thread's log lines into ours. */
static void kstate_log(int priority, const char *msg, void *ctx)
{
	mecdns_log(priority, "knot: %s", msg);
}

/*! \brief Starts the reports of DNS contexts when report-socket is set. */
static bool start_reports(syncd_ctx_t *ctx, char *err, size_t err_len)
{
	const char *path = ctx->config->report_socket;
	if (path == NULL) {
		return true;
	}
	ctx->notify = syncd_notify_start(err, err_len);
	if (ctx->notify == NULL) {
		return false;
	}
	ctx->reports =
	    syncd_reports_start(path, ctx->store, ctx->signals, ctx->notify, err, err_len);
	if (ctx->reports != NULL) {
		log_info("reports of DNS contexts on %s", path);
	}
	return ctx->reports != NULL;
}

/*! \brief Starts Knot state tracking when a knot socket is configured. */
static bool start_knot_state(syncd_ctx_t *ctx, char *err, size_t err_len)
{
	const syncd_config_t *config = ctx->config;
	if (config->knot_socket == NULL) {
		log_notice("no knot-socket configured: Knot's state is not tracked, /readyz "
		           "does not follow serving");
		return true;
	}
	ctx->zoneguard = zoneguard_new(config->allow_zones, config->allow_zone_count,
	                               config->sync_zones, config->sync_zone_count, err, err_len);
	if (ctx->zoneguard == NULL) {
		return false;
	}
	mecdns_store_set_guard(ctx->store, zoneguard_allows, ctx->zoneguard);
	kstate_config_t state_config = {
		.socket = config->knot_socket,
		.knot_dbus = config->knot_dbus,
		.poll_ms = config->knot_poll_ms,
		.max_lag_ms = config->max_lag_ms,
		.query_rate_threshold = config->query_rate_threshold,
		.query_rate_increase_threshold = config->query_rate_increase_threshold,
		.zone_expiry_period = config->zone_expiry_period,
		.signature_expiry_period = config->signature_expiry_period,
		.ede_codes = config->ede_codes,
		.ede_quiet_ms = config->ede_quiet_ms,
		.sync_zones = (const char *const *)config->sync_zones,
		.sync_zone_count = config->sync_zone_count,
		.store = ctx->store,
		.signals = ctx->signals,
		.guard = ctx->zoneguard,
		.log = kstate_log,
	};
	ctx->kstate = kstate_start(&state_config, err, err_len);
	return ctx->kstate != NULL;
}

/*! \brief Removes backup copies a killed syncd left beside the database
 *         (api_backup() unlinks its copy once opened; a kill -9 before
 *         that leaves DATABASE.backup-XXXXXX). */
static void remove_stale_backups(const char *database)
{
	char *pattern = NULL;
	if (asprintf(&pattern, "%s.backup-*", database) < 0) {
		return;
	}
	glob_t found;
	if (glob(pattern, GLOB_NOSORT, NULL, &found) == 0) {
		for (size_t i = 0; i < found.gl_pathc; i++) {
			if (unlink(found.gl_pathv[i]) == 0) {
				log_notice("removed %s, a backup copy left by an earlier run",
				           found.gl_pathv[i]);
			}
		}
		globfree(&found);
	}
	free(pattern);
}

/*! \brief Starts the MQTT publisher when a broker is configured (before
 *         the Knot state: it observes the state from the first one);
 *         without one, forgets its outbox cursor so it holds no change. */
static bool start_mqtt(syncd_ctx_t *ctx, char *err, size_t err_len)
{
	const syncd_config_t *config = ctx->config;
	if (config->mqtt == NULL) {
		mecdns_store_status_t status = mecdns_store_drop_cursor(ctx->store, "mqtt");
		if (status != MECDNS_STORE_OK) {
			log_warning("cannot drop the MQTT outbox cursor (%s: %s)",
			            mecdns_store_strerror(status), mecdns_store_last_error());
		}
		return true;
	}
	syncd_mqtt_config_t mqtt_config = {
		.url = config->mqtt,
		.topic = config->mqtt_topic,
		.client_id = config->mqtt_client_id,
		.username = config->mqtt_username,
		.password_file = config->mqtt_password_file,
		.ca_file = config->mqtt_ca_file,
		.cert_file = config->mqtt_cert_file,
		.key_file = config->mqtt_key_file,
	};
	ctx->mqtt = syncd_mqtt_start(&mqtt_config, ctx->store, ctx->signals, err, err_len);
	return ctx->mqtt != NULL;
}

/*! \brief Starts zone sync when synced zones are configured (config check:
 *         they come with a knot socket). */
static bool start_zonesync(syncd_ctx_t *ctx, char *err, size_t err_len)
{
	const syncd_config_t *config = ctx->config;
	if (config->sync_zone_count == 0) {
		return true;
	}
	syncd_zonesync_config_t zonesync_config = {
		.knot_socket = config->knot_socket,
		.zones = config->sync_zones,
		.zone_count = config->sync_zone_count,
		.default_ttl = config->sync_default_ttl,
	};
	ctx->zonesync = syncd_zonesync_start(&zonesync_config, ctx->store, err, err_len);
	if (ctx->zonesync != NULL) {
		log_notice("zone sync: %zu zone(s) through %s", config->sync_zone_count,
		           config->knot_socket);
	}
	return ctx->zonesync != NULL;
}

/*! \brief Loads the token file named by the config into *out (NULL when
 *         none is configured). */
static bool load_tokens(const syncd_config_t *config, syncd_auth_t **out)
{
	*out = NULL;
	if (config->tokens == NULL) {
		return true;
	}
	char err[600];
	*out = syncd_auth_load(config->tokens, err, sizeof(err));
	if (*out == NULL) {
		log_error("%s", err);
		return false;
	}
	log_info("loaded %zu tokens from %s", syncd_auth_count(*out), config->tokens);
	return true;
}

/*! \brief SIGHUP: swaps in a freshly read token file; keeps the old one
 *         when the new one does not parse. */
static void reload_tokens(syncd_ctx_t *ctx)
{
	if (ctx->config->tokens == NULL) {
		log_info("SIGHUP: no token file configured, nothing to reload");
		return;
	}
	syncd_auth_t *fresh = NULL;
	if (!load_tokens(ctx->config, &fresh)) {
		log_error("SIGHUP: keeping the previous tokens");
		return;
	}
	pthread_rwlock_wrlock(&ctx->auth_lock);
	syncd_auth_t *old = ctx->auth;
	ctx->auth = fresh;
	pthread_rwlock_unlock(&ctx->auth_lock);
	syncd_auth_free(old);
}

/*! \brief Replaces the name-grants file's grants in the database by the
 *         file's (config name-grants); false (logged) when it does not
 *         parse or conflicts, the previous grants staying. */
static bool load_name_grants(syncd_ctx_t *ctx)
{
	const char *path = ctx->config->name_grants;
	if (path == NULL) {
		return true;
	}
	char err[600];
	syncd_grants_file_t file;
	if (!syncd_grants_load(path, &file, err, sizeof(err))) {
		log_error("%s", err);
		return false;
	}
	mecdns_store_status_t status =
	    mecdns_store_grants_configure(ctx->store, file.items, file.count);
	if (status != MECDNS_STORE_OK) {
		log_error("name-grants file %s: %s", path, mecdns_store_last_error());
	} else {
		log_info("granted %zu name(s) from %s", file.count, path);
	}
	syncd_grants_file_free(&file);
	return status == MECDNS_STORE_OK;
}

/*! \brief Prunes old, signalled change log rows. */
static void prune(syncd_ctx_t *ctx)
{
	/* Without a bus nobody will ever be signalled: mark the whole outbox as
	 * done (the store caps the cursor at the last change), so the change
	 * log can be pruned instead of growing forever. */
	if (ctx->config->dbus != NULL && strcmp(ctx->config->dbus, "none") == 0) {
		mecdns_store_status_t status = mecdns_store_set_signalled(ctx->store, UINT64_MAX);
		if (status != MECDNS_STORE_OK) {
			log_warning("cannot advance the outbox cursor (%s: %s); retrying later",
			            mecdns_store_strerror(status), mecdns_store_last_error());
		}
	}
	size_t deleted = 0;
	mecdns_store_status_t status =
	    mecdns_store_prune(ctx->store, ctx->config->changes_keep_ms, &deleted);
	if (status != MECDNS_STORE_OK) {
		log_warning("pruning the change log failed (%s: %s); retrying later",
		            mecdns_store_strerror(status), mecdns_store_last_error());
	} else if (deleted > 0) {
		log_debug("pruned %zu change log rows", deleted);
	}
}

/*! \brief Waits for signals until SIGTERM or SIGINT. */
static void run(syncd_ctx_t *ctx, syncd_http_t *http, const sigset_t *set)
{
	struct timespec timeout = { .tv_sec = PRUNE_INTERVAL };
	for (;;) {
		int sig = sigtimedwait(set, NULL, &timeout);
		if (sig == SIGTERM || sig == SIGINT) {
			log_notice("%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return;
		}
		if (sig == SIGHUP) {
			reload_tokens(ctx);
			if (!load_name_grants(ctx)) {
				log_error("SIGHUP: keeping the previous name grants");
			}
			syncd_http_reload(http);
		} else if (sig < 0 && errno == EAGAIN) {
			prune(ctx);
		}
	}
}

/*! \brief The one start line: where it serves, how it authorises, what the
 *         database holds, where it signals and whom it watches. */
static void log_start_summary(const syncd_ctx_t *ctx)
{
	const syncd_config_t *config = ctx->config;
	uint64_t generation = 0, active = 0, inactive = 0, rrsets = 0;
	bool counted =
	    mecdns_store_state(ctx->store, &generation, NULL, NULL) == MECDNS_STORE_OK &&
	    mecdns_store_rule_counts(ctx->store, &active, &inactive, &rrsets) == MECDNS_STORE_OK;
	char auth[256];
	if (config->tokens != NULL) {
		snprintf(auth, sizeof(auth), "%zu tokens from %s", syncd_auth_count(ctx->auth),
		         config->tokens);
	} else {
		snprintf(auth, sizeof(auth), "none (loopback only)");
	}
	char data[160];
	if (counted) {
		snprintf(data, sizeof(data),
		         "generation %" PRIu64 ", %" PRIu64 " active + %" PRIu64
		         " inactive rules, %" PRIu64 " rrsets",
		         generation, active, inactive, rrsets);
	} else {
		snprintf(data, sizeof(data), "counts unavailable (%s)", mecdns_store_last_error());
	}
	log_notice("serving HTTP%s on %s%s; auth: %s; database %s: %s; bus %s; knot %s; "
	           "%zu synced zone(s)",
	           config->tls_cert != NULL ? "S" : "", config->listen,
	           config->tls_client_ca != NULL ? " (client certificates required)" : "", auth,
	           config->database, data, config->dbus,
	           config->knot_socket != NULL ? config->knot_socket : "not watched",
	           config->sync_zone_count);
}

int main(int argc, char *argv[])
{
	/* The database directory is shared with knotd's group: files are
	 * group-readable, -shm group-writable (DESIGN.md "Files"); the store
	 * sets those group bits itself, nothing is created group-writable. */
	umask(027);

	syncd_config_t config;
	char err[1024];
	switch (syncd_config_load(&config, argc, argv, err, sizeof(err))) {
	case SYNCD_CONFIG_EXIT:
		syncd_config_free(&config);
		return EXIT_SUCCESS;
	case SYNCD_CONFIG_ERROR:
		fprintf(stderr, "mecdns-syncd: error: %s\n", err);
		syncd_config_free(&config);
		return EXIT_FAILURE;
	case SYNCD_CONFIG_RUN:
		break;
	}
	mecdns_log_init("mecdns-syncd", config.log_level, config.syslog);

	/* Signals are taken by the main thread only; every thread started
	 * from here on inherits the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	int exit_code = EXIT_FAILURE;
	syncd_ctx_t ctx = { .config = &config };
	pthread_rwlock_init(&ctx.auth_lock, NULL);
	syncd_http_t *http = NULL;

	if (config.tokens == NULL) {
		log_notice("no token file: serving without authorisation on loopback %s",
		           config.listen);
	}
	if (!load_tokens(&config, &ctx.auth) || !syncd_http_tls_check(&config, err, sizeof(err))) {
		if (config.tls_cert != NULL && err[0] != '\0') {
			log_error("%s", err);
		}
		goto out;
	}
	mecdns_store_status_t status =
	    mecdns_store_open(config.database, &ctx.store, err, sizeof(err));
	if (status != MECDNS_STORE_OK) {
		/* The store's message starts with the path: name it once. */
		size_t len = strlen(config.database);
		if (strncmp(err, config.database, len) == 0 && err[len] == ':') {
			log_error("database %s", err);
		} else {
			log_error("cannot open database %s: %s", config.database, err);
		}
		goto out;
	}
	remove_stale_backups(config.database);
	if (!load_name_grants(&ctx)) {
		goto out;
	}
	ctx.metrics = syncd_metrics_new(syncd_route_count);
	syncd_limits_config_t limits_config = {
		.max_connections = config.max_connections,
		.max_per_client = config.max_connections_per_client,
		.rate = config.rate_limit,
		.burst = config.rate_burst,
		.header_timeout_ms = config.header_timeout * 1000,
	};
	ctx.limits = syncd_limits_new(&limits_config);
	if (ctx.metrics == NULL || ctx.limits == NULL) {
		log_error("out of memory");
		goto out;
	}
	mecdns_signals_config_t signals_config = {
		.bus = config.dbus,
		.log = signals_log,
	};
	ctx.signals = mecdns_signals_start(&signals_config, ctx.store, err, sizeof(err));
	if (ctx.signals == NULL) {
		log_error("D-Bus signals: %s", err);
		goto out;
	}
	if (!start_mqtt(&ctx, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (!start_zonesync(&ctx, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (!start_knot_state(&ctx, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (!start_reports(&ctx, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	http = syncd_http_start(&ctx, err, sizeof(err));
	if (http == NULL) {
		log_error("%s", err);
		goto out;
	}
	log_start_summary(&ctx);

	run(&ctx, http, &set);
	exit_code = EXIT_SUCCESS;
	if (!mecdns_signals_emit_shutting_down(ctx.signals, SHUTTING_DOWN_MS) &&
	    strcmp(config.dbus, "none") != 0) {
		log_warning("shutting_down could not be signalled on bus %s", config.dbus);
	}
out:
	kstate_stop(ctx.kstate);
	syncd_http_stop(http);
	syncd_mqtt_stop(ctx.mqtt);                     /* After kstate and HTTP: both feed it. */
	syncd_zonesync_stop(ctx.zonesync);             /* After HTTP: handlers notify it. */
	syncd_reports_stop(ctx.reports);               /* After HTTP: handlers reset it. */
	syncd_notify_stop(ctx.notify, NOTIFY_STOP_MS); /* After reports: they feed it. */
	zoneguard_free(ctx.zoneguard);                 /* After HTTP and kstate: both use it. */
	if (ctx.signals != NULL) {
		mecdns_signals_stop(ctx.signals);
	}
	if (ctx.store != NULL) {
		mecdns_store_close(ctx.store);
	}
	syncd_metrics_free(ctx.metrics);
	syncd_limits_free(ctx.limits); /* After HTTP: its connections count out. */
	syncd_auth_free(ctx.auth);
	pthread_rwlock_destroy(&ctx.auth_lock);
	syncd_config_free(&config);
	return exit_code;
}
