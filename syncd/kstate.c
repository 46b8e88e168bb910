/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: Knot's state and its conditions (see kstate.h).
 *
 *  One thread. Each round: process knotd's D-Bus events (hints), poll
 *  knotd when due (one control session: status, zone-status, module
 *  counters), read the database generation, then evaluate() turns the
 *  observations into the conditions and signals every change. The thread
 *  sleeps in poll() on an eventfd (stop) and the events connection.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "common/clock.h"
#include "common/log.h"
#include "syncd/kevents.h"
#include "syncd/kstate.h"
#include "syncd/knotctl.h"
#include "syncd/zoneguard.h"

#define DEFAULT_POLL_MS    500
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_MAX_LAG_MS 2000
/*! A control socket that only times out this long counts as knotd down. */
#define STALL_MS 5000
/*! Window of the query rate. */
#define RATE_WINDOW_MS 1000
/*! query_rate clears below this share of the threshold. */
#define RATE_HYSTERESIS 0.9
/*! Database generations remembered while the module has not reached them. */
#define MAX_PENDING_GENERATIONS 128
#define MAX_RATE_SAMPLES        64
#define MODULE_SECTION          "mod-mecdns"
/*! A refresher round may be this late beyond three intervals. */
#define HEARTBEAT_GRACE_MS 2000

/*! One expected zone. */
typedef struct {
	char *name;
	bool ready;            /*!< As last signalled. */
	uint32_t serial;       /*!< As last signalled (0 when not ready). */
	bool configured;       /*!< knotd has it in its configuration (last poll). */
	bool loaded;           /*!< knotd serves it (last poll). */
	uint32_t knot_serial;  /*!< Its serial in knotd (last poll). */
	bool synced;           /*!< A synced zone: expected even when knotd lacks it. */
	kexpiry_zone_t expiry; /*!< zone_expiring, signatures_expiring. */
} zone_entry_t;

/*! A database generation syncd saw and the module has not reached yet. */
typedef struct {
	uint64_t generation;
	long long seen_ms;
} pending_generation_t;

typedef struct {
	long long at_ms;
	uint64_t queries;
} rate_sample_t;

typedef struct {
	long long at_ms;
	double qps;
} qps_sample_t;

typedef enum {
	POLL_OK = 0,  /*!< knotd answered everything asked. */
	POLL_DOWN,    /*!< Nobody listens on the control socket. */
	POLL_STALLED, /*!< Connected, but knotd did not answer in time. */
} poll_outcome_t;

struct kstate {
	/* Configuration. */
	char *socket;
	int poll_ms;
	int timeout_ms;
	int max_lag_ms;
	int settle_ms;
	double threshold;
	double increase_threshold;
	kexpiry_config_t expiry;
	kede_config_t ede_config;
	mecdns_store_t *store;
	mecdns_signals_t *signals;
	zoneguard_t *guard;
	mecdns_log_cb log;
	void *log_ctx;

	kevents_t *events;
	int wake_fd;
	pthread_t thread;
	atomic_bool stopping;
	atomic_bool serving_shared;
	pthread_mutex_t module_lock; /*!< Guards module_shared. */
	kstate_module_t module_shared;

	/* State thread only. */
	bool poll_now;
	long long next_poll_ms;

	/* Observations. */
	bool reachable;          /*!< knotd answers its control socket. */
	long long stalled_since; /*!< 0: not stalled. */
	bool module_found;
	long long module_missing_since; /*!< 0: found (or knotd unreachable). */
	uint64_t module_generation;
	zone_entry_t *zones;
	size_t zone_count;
	pending_generation_t pending[MAX_PENDING_GENERATIONS];
	uint64_t db_generation_polled; /*!< db_generation before the last poll. */
	size_t pending_count;
	uint64_t db_generation;
	rate_sample_t samples[MAX_RATE_SAMPLES];
	size_t sample_count;
	double qps;
	qps_sample_t qps_samples[MAX_RATE_SAMPLES];
	size_t qps_sample_count;
	double increase; /*!< qps change per second over the last second. */
	kede_t ede;
	uint64_t ede_counts[MECDNS_EDE_SLOTS]; /*!< Of the last poll that reached knotd. */
	bool ede_fresh;                        /*!< ... not yet handed to kede. */

	/* Conditions as last signalled. */
	bool running;
	bool all_ready;
	bool serving;
	bool exceeded;
	bool increase_exceeded;
	bool crashed;          /*!< server_crashed as last signalled. */
	bool knot_crashed;     /*!< knotd went away without stopped(). */
	bool refresher_stuck;  /*!< mod-mecdns's refresher stopped its rounds. */
	uint64_t heartbeat_ms; /*!< The module's last refresher round (last poll). */
	uint64_t refresh_interval_ms;
	bool stopped_seen;    /*!< knotd signalled stopped() since it last ran. */
	long long lag_since;  /*!< 0: the module is current. */
	long long good_since; /*!< 0: not every condition holds. */
	char down_reason[KNOTCTL_ERROR_LEN];
	char last_reason[KNOTCTL_ERROR_LEN + 64];
	char logged_down[KNOTCTL_ERROR_LEN + 128]; /*!< Last "not running" line. */
};

/*** Helpers. ***/

static void state_log(kstate_t *state, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*! \brief Formats one log line and hands it to the configured sink. */
static void state_log(kstate_t *state, int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mecdns_log_vsink(state->log, state->log_ctx, "knot", priority, fmt, ap);
	va_end(ap);
}

/*! \brief The zone entry of name, or NULL. */
static zone_entry_t *zone_find(kstate_t *state, const char *name)
{
	for (size_t i = 0; i < state->zone_count; i++) {
		if (strcmp(state->zones[i].name, name) == 0) {
			return &state->zones[i];
		}
	}
	return NULL;
}

/*! \brief The zone entry of name, created when missing; NULL without memory. */
static zone_entry_t *zone_get(kstate_t *state, const char *name)
{
	zone_entry_t *zone = zone_find(state, name);
	if (zone != NULL) {
		return zone;
	}
	zone_entry_t *zones = realloc(state->zones, (state->zone_count + 1) * sizeof(*zones));
	if (zones == NULL) {
		return NULL;
	}
	state->zones = zones;
	zone = &zones[state->zone_count];
	*zone = (zone_entry_t){ .name = strdup(name) };
	kexpiry_init(&zone->expiry);
	if (zone->name == NULL) {
		return NULL;
	}
	state->zone_count++;
	return zone;
}

/*! \brief Canonical zone name (lower case, trailing dot) into buf. */
static void canonical_zone(const char *name, char *buf, size_t len)
{
	size_t i = 0;
	for (; name[i] != '\0' && i + 2 < len; i++) {
		buf[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	}
	if (i == 0 || buf[i - 1] != '.') {
		buf[i++] = '.';
	}
	buf[i] = '\0';
}

/*** Polling knotd. ***/

/*! Collected during one poll. */
typedef struct {
	bool found;
	uint64_t generation; /*!< Smallest generation of all instances. */
	uint64_t queries;    /*!< answered + nodata + passed of all instances. */
	uint64_t answered, nodata, passed;
	uint64_t records;               /*!< Largest of all instances (they share an index). */
	uint64_t ede[MECDNS_EDE_SLOTS]; /*!< Summed over the instances. */
	uint64_t heartbeat_ms;          /*!< Oldest refresher round of the instances. */
	uint64_t interval_ms;           /*!< Longest refresher interval. */
} module_counters_t;

/*! \brief zone-status callback: marks the zone configured, notes load/serial. */
static int on_zone_status(const knotctl_zone_status_t *status, void *ctx)
{
	kstate_t *state = ctx;
	char name[KNOT_DNAME_TXT_MAXLEN + 2];
	canonical_zone(status->zone, name, sizeof(name));
	zone_entry_t *zone = zone_get(state, name);
	if (zone == NULL) {
		return KNOT_ENOMEM;
	}
	zone->configured = true;
	zone->loaded = status->loaded;
	zone->knot_serial = status->loaded ? status->serial : 0;
	kexpiry_observe(&zone->expiry, status, mecdns_monotonic_ms());
	return 0;
}

/*! \brief stats / zone-stats callback: the module's generation and queries. */
static int on_module_counter(const knotctl_counter_t *counter, void *ctx)
{
	module_counters_t *counters = ctx;
	if (strcmp(counter->section, MODULE_SECTION) != 0) {
		return 0;
	}
	if (strcmp(counter->item, "generation") == 0) {
		if (!counters->found || counter->value < counters->generation) {
			counters->generation = counter->value;
		}
		counters->found = true;
	} else if (strcmp(counter->item, "answered") == 0) {
		counters->answered += counter->value;
		counters->queries += counter->value;
	} else if (strcmp(counter->item, "nodata") == 0) {
		counters->nodata += counter->value;
		counters->queries += counter->value;
	} else if (strcmp(counter->item, "passed") == 0) {
		counters->passed += counter->value;
		counters->queries += counter->value;
	} else if (strcmp(counter->item, "records") == 0 && counter->value > counters->records) {
		counters->records = counter->value;
	} else if (strcmp(counter->item, "refresh-heartbeat") == 0) {
		if (counters->heartbeat_ms == 0 || counter->value < counters->heartbeat_ms) {
			counters->heartbeat_ms = counter->value;
		}
	} else if (strcmp(counter->item, "refresh-interval") == 0) {
		if (counter->value > counters->interval_ms) {
			counters->interval_ms = counter->value;
		}
	} else if (strcmp(counter->item, "ede") == 0) {
		int slot = mecdns_ede_slot_of(counter->id);
		if (slot >= 0) {
			counters->ede[slot] += counter->value;
		}
	}
	return 0;
}

/*! \brief Reads the module's counters: global instances, else the zone ones. */
static int read_module(kstate_t *state, knotctl_t *ctl, module_counters_t *counters)
{
	int ret = knotctl_stats(ctl, MODULE_SECTION, NULL, on_module_counter, counters);
	if (ret != KNOT_ENOENT || knotctl_broken(ctl)) {
		return ret;
	}
	/* Not a global module: zone instances report under zone-stats. */
	for (size_t i = 0; i < state->zone_count; i++) {
		if (!state->zones[i].configured) {
			continue;
		}
		ret = knotctl_zone_stats(ctl, state->zones[i].name, MODULE_SECTION, NULL,
		                         on_module_counter, counters);
		if (knotctl_broken(ctl)) {
			return ret;
		}
	}
	return KNOT_EOK;
}

/*! \brief Hands the zones knotd has to the zone guard, which reads the
 *         delegations of those data may go into. */
static void feed_guard(kstate_t *state, knotctl_t *ctl)
{
	if (state->guard == NULL) {
		return;
	}
	const char **names = calloc(state->zone_count + 1, sizeof(*names));
	if (names == NULL) {
		return;
	}
	size_t count = 0;
	for (size_t i = 0; i < state->zone_count; i++) {
		if (state->zones[i].configured) {
			names[count++] = state->zones[i].name;
		}
	}
	zoneguard_set_zones(state->guard, names, count);
	free(names);
	for (size_t i = 0; i < state->zone_count && !knotctl_broken(ctl); i++) {
		const zone_entry_t *zone = &state->zones[i];
		if (zone->configured &&
		    zoneguard_poll_zone(state->guard, ctl, zone->name, zone->loaded,
		                        zone->knot_serial) != KNOT_EOK) {
			state_log(state, LOG_WARNING, "zone %s: cannot read its delegations: %s",
			          zone->name, knotctl_error(ctl));
		}
	}
}

/*! \brief Reads the RRSIGs of the zones whose serial moved (kexpiry.h). */
static void read_signatures(kstate_t *state, knotctl_t *ctl)
{
	long long now = mecdns_monotonic_ms();
	for (size_t i = 0; i < state->zone_count && !knotctl_broken(ctl); i++) {
		zone_entry_t *zone = &state->zones[i];
		if (zone->configured &&
		    kexpiry_read_signatures(&zone->expiry, &state->expiry, ctl, zone->name,
		                            zone->knot_serial, now) != KNOT_EOK) {
			state_log(state, LOG_WARNING, "zone %s: cannot read its signatures: %s",
			          zone->name, knotctl_error(ctl));
		}
	}
}

/*! \brief One control session: status, zone-status, module counters. */
static poll_outcome_t poll_knotd(kstate_t *state, module_counters_t *counters)
{
	char err[KNOTCTL_ERROR_LEN];
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, state->socket, state->timeout_ms, err, sizeof(err));
	if (ret != KNOT_EOK) {
		snprintf(state->down_reason, sizeof(state->down_reason), "%s", err);
		/* Refused or no socket file: nobody listens. Anything else (a
		 * full listen backlog while knotd is busy, a timeout) may pass. */
		return ret == KNOT_ECONNREFUSED || ret == KNOT_ENOENT ? POLL_DOWN : POLL_STALLED;
	}
	for (size_t i = 0; i < state->zone_count; i++) {
		state->zones[i].configured = false;
		state->zones[i].expiry.secondary = false; /* Until zone-status says. */
		state->zones[i].expiry.loaded = false;
	}
	poll_outcome_t outcome = POLL_OK;
	ret = knotctl_status(ctl);
	if (ret == KNOT_EOK) {
		ret = knotctl_zone_status(ctl, NULL, on_zone_status, state);
	}
	if (ret == KNOT_EOK) {
		feed_guard(state, ctl);
		read_signatures(state, ctl);
		ret = read_module(state, ctl, counters);
		if (ret == KNOT_ENOENT) {
			ret = KNOT_EOK; /* No instance: counters->found stays false. */
		}
	}
	if (ret != KNOT_EOK) {
		snprintf(state->down_reason, sizeof(state->down_reason), "%s", knotctl_error(ctl));
		outcome = POLL_STALLED;
	}
	knotctl_close(ctl);
	return outcome;
}

/*! \brief Remembers the database generation when it moved. */
static void observe_database(kstate_t *state, long long now)
{
	uint64_t generation = 0;
	if (state->store == NULL ||
	    mecdns_store_state(state->store, &generation, NULL, NULL) != MECDNS_STORE_OK ||
	    generation <= state->db_generation) {
		return;
	}
	state->db_generation = generation;
	if (state->pending_count == MAX_PENDING_GENERATIONS) {
		/* Full: the newest entry stands for the newer generation too,
		 * with its older time (lag is then seen sooner, never later). */
		state->pending[state->pending_count - 1].generation = generation;
		return;
	}
	state->pending[state->pending_count++] =
	    (pending_generation_t){ .generation = generation, .seen_ms = now };
}

/*! \brief Drops the pending generations the module has reached. */
static void forget_reached(kstate_t *state)
{
	size_t keep = 0;
	for (size_t i = 0; i < state->pending_count; i++) {
		if (state->pending[i].generation > state->module_generation) {
			state->pending[keep++] = state->pending[i];
		}
	}
	state->pending_count = keep;
}

/*! \brief Adds a sample of qps and updates its increase per second: the
 *         change since the newest sample at least a window old (else the
 *         oldest), over the time between. */
static void observe_qps(kstate_t *state, long long now)
{
	if (state->qps_sample_count == MAX_RATE_SAMPLES) {
		memmove(state->qps_samples, state->qps_samples + 1,
		        (MAX_RATE_SAMPLES - 1) * sizeof(state->qps_samples[0]));
		state->qps_sample_count--;
	}
	state->qps_samples[state->qps_sample_count++] =
	    (qps_sample_t){ .at_ms = now, .qps = state->qps };
	size_t base = 0;
	for (size_t i = 0; i < state->qps_sample_count; i++) {
		if (now - state->qps_samples[i].at_ms >= RATE_WINDOW_MS) {
			base = i;
		}
	}
	if (base > 0) {
		memmove(state->qps_samples, state->qps_samples + base,
		        (state->qps_sample_count - base) * sizeof(state->qps_samples[0]));
		state->qps_sample_count -= base;
	}
	long long span = now - state->qps_samples[0].at_ms;
	state->increase =
	    span > 0 ? (state->qps - state->qps_samples[0].qps) * 1000.0 / (double)span : 0;
}

/*! \brief Adds a sample of the module's query counter and updates qps. */
static void observe_queries(kstate_t *state, uint64_t queries, long long now)
{
	if (state->sample_count > 0 && queries < state->samples[state->sample_count - 1].queries) {
		state->sample_count = 0; /* Counters restarted (knotd restart, reload). */
	}
	if (state->sample_count == MAX_RATE_SAMPLES) {
		memmove(state->samples, state->samples + 1,
		        (MAX_RATE_SAMPLES - 1) * sizeof(state->samples[0]));
		state->sample_count--;
	}
	state->samples[state->sample_count++] = (rate_sample_t){ .at_ms = now, .queries = queries };
	/* Base: the newest sample at least a window old, else the oldest. */
	size_t base = 0;
	for (size_t i = 0; i < state->sample_count; i++) {
		if (now - state->samples[i].at_ms >= RATE_WINDOW_MS) {
			base = i;
		}
	}
	if (base > 0) {
		memmove(state->samples, state->samples + base,
		        (state->sample_count - base) * sizeof(state->samples[0]));
		state->sample_count -= base;
	}
	long long span = now - state->samples[0].at_ms;
	if (span > 0) {
		state->qps = (double)(queries - state->samples[0].queries) * 1000.0 / (double)span;
	}
	observe_qps(state, now);
}

/*! \brief knotd is gone: nothing is served, rates restart. */
static void observe_down(kstate_t *state)
{
	state->reachable = false;
	state->module_found = false;
	state->module_missing_since = 0;
	state->sample_count = 0;
	state->qps = 0;
	state->qps_sample_count = 0;
	state->increase = 0;
	for (size_t i = 0; i < state->zone_count; i++) {
		state->zones[i].loaded = false;
		state->zones[i].knot_serial = 0;
	}
	pthread_mutex_lock(&state->module_lock);
	state->module_shared.found = false; /* The last counters stay. */
	state->module_shared.queries_per_s = 0;
	pthread_mutex_unlock(&state->module_lock);
}

/*! \brief Applies one poll's outcome to the observations. */
static void observe_poll(kstate_t *state, poll_outcome_t outcome, const module_counters_t *counters,
                         long long now)
{
	if (outcome == POLL_STALLED) {
		if (state->stalled_since == 0) {
			state->stalled_since = now;
		}
		if (now - state->stalled_since >= STALL_MS && state->reachable) {
			observe_down(state);
		}
		return;
	}
	state->stalled_since = 0;
	if (outcome == POLL_DOWN) {
		observe_down(state);
		return;
	}
	state->reachable = true;
	state->module_found = counters->found;
	if (counters->found) {
		state->module_missing_since = 0;
		state->module_generation = counters->generation;
		observe_queries(state, counters->queries, now);
		memcpy(state->ede_counts, counters->ede, sizeof(state->ede_counts));
		state->ede_fresh = true;
		state->heartbeat_ms = counters->heartbeat_ms;
		state->refresh_interval_ms = counters->interval_ms;
	} else if (state->module_missing_since == 0) {
		state->module_missing_since = now;
	}
	long long lag_ms = 0;
	for (size_t i = 0; i < state->pending_count; i++) {
		if (state->pending[i].generation > state->module_generation) {
			lag_ms = now - state->pending[i].seen_ms;
			break;
		}
	}
	pthread_mutex_lock(&state->module_lock);
	state->module_shared = (kstate_module_t){
		.db_generation = state->db_generation_polled,
		.lag_ms = counters->found ? lag_ms : 0,
		.found = counters->found,
		.answered = counters->answered,
		.nodata = counters->nodata,
		.passed = counters->passed,
		.records = counters->records,
		.generation = counters->generation,
		.queries_per_s = state->qps,
		.queries_per_s_increase = state->increase,
	};
	memcpy(state->module_shared.ede, counters->ede, sizeof(counters->ede));
	state->module_shared.refresher_age_ms =
	    counters->heartbeat_ms > 0 ? now - (long long)counters->heartbeat_ms : -1;
	pthread_mutex_unlock(&state->module_lock);
}

/*** Conditions. ***/

/*! \brief Hands the current state to the emitter for GetState. */
static void publish(kstate_t *state)
{
	mecdns_signals_zone_t zones[state->zone_count + 1];
	for (size_t i = 0; i < state->zone_count; i++) {
		const zone_entry_t *zone = &state->zones[i];
		const kexpiry_zone_t *expiry = &zone->expiry;
		zones[i] = (mecdns_signals_zone_t){
			.zone = zone->name,
			.ready = zone->ready,
			.serial = zone->serial,
			.expiring = expiry->expiring,
			.expiring_left = expiry->expiring_left,
			.signatures_expiring = expiry->sig_expiring,
			.signatures_left = expiry->sig_left,
			.signature_owner = expiry->sig_expiring ? expiry->sig_owner : NULL,
			.signature_type = expiry->sig_expiring ? expiry->sig_type : NULL,
		};
	}
	mecdns_signals_state_t snapshot = {
		.tracking = true,
		.server_running = state->running,
		.all_zones_ready = state->all_ready,
		.serving = state->serving,
		.module_generation = state->module_generation,
		.qps = state->qps,
		.qps_threshold = state->threshold,
		.qps_exceeded = state->exceeded,
		.qps_increase = state->increase,
		.qps_increase_threshold = state->increase_threshold,
		.qps_increase_exceeded = state->increase_exceeded,
		.server_crashed = state->crashed,
		.zone_expiry_period = state->expiry.zone_period_s,
		.signature_expiry_period = state->expiry.signature_period_s,
		.zones = zones,
		.zone_count = state->zone_count,
	};
	memcpy(snapshot.ede_watched, state->ede_config.watched, sizeof(snapshot.ede_watched));
	memcpy(snapshot.ede_occurring, state->ede.occurring, sizeof(snapshot.ede_occurring));
	memcpy(snapshot.ede_count, state->ede.count, sizeof(snapshot.ede_count));
	mecdns_signals_set_state(state->signals, &snapshot);
}

/*! \brief Logs and signals the expiry conditions that changed. */
static void signal_expiry(kstate_t *state, const zone_entry_t *zone, unsigned changed)
{
	const kexpiry_zone_t *expiry = &zone->expiry;
	if (changed == 0) {
		return;
	}
	publish(state);
	if (changed & KEXPIRY_ZONE_CHANGED) {
		if (expiry->expiring) {
			state_log(state, LOG_WARNING, "zone %s %s", zone->name,
			          expiry->expiring_left == 0 ? "expired" : "is about to expire");
		} else {
			state_log(state, LOG_NOTICE, "zone %s no longer about to expire",
			          zone->name);
		}
		mecdns_signals_emit_zone_expiring(state->signals, zone->name, expiry->expiring_left,
		                                  state->expiry.zone_period_s, expiry->expiring);
	}
	if (changed & KEXPIRY_SIGNATURES_CHANGED) {
		if (expiry->sig_expiring) {
			state_log(state, LOG_WARNING,
			          "zone %s: the signature of %s %s %s in %" PRId64 " s", zone->name,
			          expiry->sig_owner, expiry->sig_type,
			          expiry->sig_left == 0 ? "expired" : "expires", expiry->sig_left);
		} else {
			state_log(state, LOG_NOTICE,
			          "zone %s: signatures no longer about to expire", zone->name);
		}
		mecdns_signals_emit_signatures_expiring(
		    state->signals, zone->name, expiry->sig_expiring ? expiry->sig_owner : "",
		    expiry->sig_expiring ? expiry->sig_type : "", expiry->sig_left,
		    state->expiry.signature_period_s, expiry->sig_expiring);
	}
}

/*! \brief Clears both conditions of a zone nobody expects any more. */
static unsigned clear_expiry(kexpiry_zone_t *expiry)
{
	unsigned changed = (expiry->expiring ? KEXPIRY_ZONE_CHANGED : 0) |
	                   (expiry->sig_expiring ? KEXPIRY_SIGNATURES_CHANGED : 0);
	expiry->expiring = expiry->sig_expiring = false;
	expiry->expiring_left = expiry->sig_left = -1;
	return changed;
}

/*! \brief Evaluates the expiry conditions of every zone (after a poll that
 *         reached knotd); true when one holds for some zone. */
static bool evaluate_expiry(kstate_t *state, long long now)
{
	bool any = false;
	int64_t now_s = mecdns_realtime_ms() / 1000;
	for (size_t i = 0; i < state->zone_count; i++) {
		zone_entry_t *zone = &state->zones[i];
		if (state->reachable) {
			signal_expiry(state, zone,
			              kexpiry_evaluate(&zone->expiry, &state->expiry, now, now_s));
		}
		any = any || zone->expiry.expiring || zone->expiry.sig_expiring;
	}
	return any;
}

/*! \brief Signals zone readiness and serial changes; drops zones nobody
 *         expects any more. */
static void evaluate_zones(kstate_t *state)
{
	size_t keep = 0;
	for (size_t i = 0; i < state->zone_count; i++) {
		zone_entry_t *zone = &state->zones[i];
		bool expected = zone->configured || zone->synced;
		bool ready = state->reachable && zone->configured && zone->loaded;
		uint32_t serial = ready ? zone->knot_serial : 0;
		bool was_ready = zone->ready;
		uint32_t was_serial = zone->serial;
		zone->ready = ready;
		zone->serial = serial;
		if (ready != was_ready) {
			state_log(state, LOG_NOTICE, "zone %s %s (serial %" PRIu32 ")", zone->name,
			          ready ? "ready" : "no longer ready", serial);
			publish(state);
			mecdns_signals_emit_zone_ready(state->signals, zone->name, ready, serial);
		} else if (ready && serial != was_serial) {
			state_log(state, LOG_INFO, "zone %s updated to serial %" PRIu32, zone->name,
			          serial);
			publish(state);
			mecdns_signals_emit_zone_updated(state->signals, zone->name, serial);
		}
		/* A zone that left knotd's configuration stays known only while
		 * knotd is unreachable (it may come back with it). */
		if (!expected && state->reachable) {
			signal_expiry(state, zone, clear_expiry(&zone->expiry));
			free(zone->name);
			continue;
		}
		state->zones[keep++] = *zone;
	}
	state->zone_count = keep;
}

/*! \brief Whether the module lags: a generation older than max_lag is not
 *         reached (or its counter is missing), for another max_lag. */
static bool module_lags(kstate_t *state, long long now)
{
	bool behind = false;
	if (state->module_found) {
		forget_reached(state);
	}
	for (size_t i = 0; i < state->pending_count && !behind; i++) {
		behind = now - state->pending[i].seen_ms >= state->max_lag_ms;
	}
	behind = behind || !state->module_found;
	if (!behind) {
		state->lag_since = 0;
		return false;
	}
	if (state->lag_since == 0) {
		state->lag_since = now;
	}
	return now - state->lag_since >= state->max_lag_ms;
}

/*! \brief The reason why not serving, for the log. */
static void not_serving_reason(kstate_t *state, bool lags, bool expiring, char *buf, size_t len)
{
	if (!state->reachable) {
		snprintf(buf, len, "knotd is not running (%s)", state->down_reason);
	} else if (!state->running) {
		snprintf(buf, len, "knotd runs without mod-mecdns");
	} else if (!state->all_ready) {
		snprintf(buf, len, "not every expected zone is ready");
	} else if (state->refresher_stuck) {
		snprintf(buf, len, "mod-mecdns's refresher is stuck");
	} else if (expiring) {
		snprintf(buf, len, "a zone or its signatures are about to expire (or expired)");
	} else if (lags) {
		snprintf(buf, len,
		         "mod-mecdns lags: its generation %" PRIu64 " is behind the database's "
		         "%" PRIu64 " for more than %d ms",
		         state->module_generation, state->db_generation, state->max_lag_ms);
	} else {
		snprintf(buf, len, "settling");
	}
}

/*! \brief Logs why knotd does not count as running, once per reason. */
static void log_not_running(kstate_t *state)
{
	char line[sizeof(state->logged_down)];
	if (state->reachable) {
		snprintf(line, sizeof(line),
		         "knotd answers on %s but mod-mecdns is not loaded (no %s counters): "
		         "not running",
		         state->socket, MODULE_SECTION);
	} else {
		snprintf(line, sizeof(line), "knotd is not running: %s", state->down_reason);
	}
	if (strcmp(line, state->logged_down) == 0) {
		return;
	}
	memcpy(state->logged_down, line, sizeof(line));
	state_log(state, LOG_WARNING, "%s; polling every %d ms", line, state->poll_ms);
}

/*! \brief Signals the Extended DNS Error conditions that changed. */
static void evaluate_ede(kstate_t *state, long long now)
{
	if (!kede_enabled(&state->ede_config)) {
		return;
	}
	bool changed[MECDNS_EDE_SLOTS];
	kede_observe(&state->ede, &state->ede_config, state->ede_fresh ? state->ede_counts : NULL,
	             now, changed);
	state->ede_fresh = false;
	bool published = false;
	for (unsigned i = 0; i < MECDNS_EDE_SLOTS; i++) {
		if (!changed[i]) {
			continue;
		}
		if (!published) {
			publish(state);
			published = true;
		}
		bool occurring = state->ede.occurring[i];
		state_log(state, occurring ? LOG_WARNING : LOG_NOTICE,
		          "extended DNS error %u (%s) %s (%" PRIu64 " responses so far)",
		          (unsigned)mecdns_ede_code(i), mecdns_ede_name(i),
		          occurring ? "occurs" : "no longer occurs", state->ede.count[i]);
		mecdns_signals_emit_extended_error(state->signals, i, state->ede.count[i],
		                                   occurring);
	}
}

/*!
 * \brief server_crashed: knotd crashed, or mod-mecdns's refresher stopped
 *        its rounds (its heartbeat, CLOCK_MONOTONIC as syncd's, is older
 *        than three intervals and HEARTBEAT_GRACE_MS: a thread stuck in the
 *        database, which no write would reveal while none comes).
 */
static void evaluate_crash(kstate_t *state, bool running, long long now)
{
	bool stuck = running && state->module_found && state->heartbeat_ms > 0 &&
	             now - (long long)state->heartbeat_ms >
	                 3 * (long long)state->refresh_interval_ms + HEARTBEAT_GRACE_MS;
	if (stuck != state->refresher_stuck) {
		state->refresher_stuck = stuck;
		if (stuck) {
			state_log(state, LOG_WARNING,
			          "mod-mecdns's refresher is stuck: no round for %lld ms (interval "
			          "%" PRIu64 " ms)",
			          now - (long long)state->heartbeat_ms, state->refresh_interval_ms);
		} else {
			state_log(state, LOG_NOTICE, "mod-mecdns's refresher runs again");
		}
	}
	bool crashed = state->knot_crashed || state->refresher_stuck;
	if (crashed != state->crashed) {
		state->crashed = crashed;
		publish(state);
		mecdns_signals_emit_server_crashed(state->signals, crashed);
	}
}

/*! \brief Turns the observations into conditions; signals each change. */
static void evaluate(kstate_t *state, long long now)
{
	bool running = state->reachable && state->module_found;
	if (state->reachable && !state->module_found && state->running &&
	    now - state->module_missing_since < state->max_lag_ms) {
		running = true; /* Counters gone for a moment (a reload): wait. */
	}
	if (running != state->running) {
		state->running = running;
		/* Crashed (draft section 3.3): gone without its clean stop's
		 * stopped() on its bus; only knowable while syncd hears that bus. */
		if (running) {
			state->logged_down[0] = '\0';
			state_log(state, LOG_NOTICE, "knotd is running with mod-mecdns (%s)",
			          state->socket);
			state->knot_crashed = false;
			state->stopped_seen = false;
		} else if (state->events != NULL && !state->stopped_seen) {
			state->knot_crashed = true;
			state_log(state, LOG_WARNING,
			          "knotd crashed: it went away without signalling stopped");
		}
		publish(state);
		mecdns_signals_emit_server_running(state->signals, running);
	}
	evaluate_crash(state, running, now);
	if (!running) {
		log_not_running(state);
	}

	evaluate_zones(state);
	bool all_ready = state->reachable;
	for (size_t i = 0; all_ready && i < state->zone_count; i++) {
		all_ready = state->zones[i].ready;
	}
	if (all_ready != state->all_ready) {
		state->all_ready = all_ready;
		state_log(state, LOG_NOTICE, "all zones ready: %s", all_ready ? "yes" : "no");
		publish(state);
		mecdns_signals_emit_all_zones_ready(state->signals, all_ready);
	}

	bool expiring = evaluate_expiry(state, now);
	bool lags = module_lags(state, now);
	bool good = running && all_ready && !lags && !expiring && !state->refresher_stuck;
	if (!good) {
		state->good_since = 0;
	} else if (state->good_since == 0) {
		state->good_since = now;
	}
	bool serving = state->serving ? good : good && now - state->good_since >= state->settle_ms;
	if (serving != state->serving) {
		state->serving = serving;
		atomic_store(&state->serving_shared, serving);
		if (serving) {
			state_log(state, LOG_NOTICE,
			          "serving: knotd runs, %zu zones ready, mod-mecdns at "
			          "generation %" PRIu64,
			          state->zone_count, state->module_generation);
		} else {
			not_serving_reason(state, lags, expiring, state->last_reason,
			                   sizeof(state->last_reason));
			state_log(state, LOG_WARNING, "not serving: %s", state->last_reason);
		}
		publish(state);
		mecdns_signals_emit_serving(state->signals, serving);
	}

	if (!state->reachable || !state->module_found) {
		state->qps = 0;
		state->increase = 0;
	}
	if (state->threshold > 0) {
		bool exceeded = state->exceeded ? state->qps >= state->threshold * RATE_HYSTERESIS
		                                : state->qps > state->threshold;
		if (exceeded != state->exceeded) {
			state->exceeded = exceeded;
			state_log(state, LOG_NOTICE, "query rate %.1f/s %s the threshold %.1f/s",
			          state->qps, exceeded ? "exceeds" : "is back under",
			          state->threshold);
			publish(state);
			mecdns_signals_emit_query_rate(state->signals, state->qps, state->threshold,
			                               exceeded);
		}
	}
	evaluate_ede(state, now);
	if (state->increase_threshold > 0) {
		bool exceeded = state->increase_exceeded
		                    ? state->increase >= state->increase_threshold * RATE_HYSTERESIS
		                    : state->increase > state->increase_threshold;
		if (exceeded != state->increase_exceeded) {
			state->increase_exceeded = exceeded;
			state_log(state, LOG_NOTICE,
			          "query rate increase %.1f/s per second %s the threshold %.1f",
			          state->increase, exceeded ? "exceeds" : "is back under",
			          state->increase_threshold);
			publish(state);
			mecdns_signals_emit_query_rate_increase(
			    state->signals, state->increase, state->increase_threshold, exceeded);
		}
	}
}

/*** Thread. ***/

/*! \brief knotd's D-Bus events: stopped() counts at once; the rest, also
 *         cz.nic.knotd losing its owner (a crash: the poll then finds
 *         nobody listening on the control socket), asks for a poll now. */
static void on_knot_event(const kevent_t *event, void *ctx)
{
	kstate_t *state = ctx;
	switch (event->kind) {
	case KEVENT_STOPPED:
		state->stopped_seen = true;
		snprintf(state->down_reason, sizeof(state->down_reason), "knotd signalled stopped");
		observe_down(state);
		state->stalled_since = 0;
		evaluate(state, mecdns_monotonic_ms());
		break;
	case KEVENT_ZONE_UPDATED:
		state_log(state, LOG_DEBUG, "knotd: zone %s updated to serial %" PRIu32,
		          event->zone, event->serial);
		break;
	default:
		break;
	}
	state->poll_now = true;
}

/*! \brief Sleeps until the next poll, an event, or stop. */
static void wait_for_work(kstate_t *state)
{
	long long wait = state->next_poll_ms - mecdns_monotonic_ms();
	int timeout = state->poll_now ? 0 : (wait < 0 ? 0 : (int)wait);
	int events_timeout = kevents_timeout_ms(state->events);
	if (events_timeout >= 0 && events_timeout < timeout) {
		timeout = events_timeout;
	}
	struct pollfd fds[2] = { { .fd = state->wake_fd, .events = POLLIN } };
	nfds_t nfds = 1;
	int events_fd = kevents_fd(state->events);
	if (events_fd >= 0) {
		fds[nfds++] = (struct pollfd){ .fd = events_fd, .events = POLLIN };
	}
	if (poll(fds, nfds, timeout) > 0 && (fds[0].revents & POLLIN)) {
		uint64_t count;
		(void)!read(state->wake_fd, &count, sizeof(count));
	}
}

static void *state_thread(void *arg)
{
	kstate_t *state = arg;
	while (!atomic_load(&state->stopping)) {
		kevents_process(state->events, on_knot_event, state);
		long long now = mecdns_monotonic_ms();
		if (state->poll_now || now >= state->next_poll_ms) {
			state->poll_now = false;
			module_counters_t counters = { 0 };
			observe_database(state, now);
			state->db_generation_polled = state->db_generation;
			poll_outcome_t outcome = poll_knotd(state, &counters);
			now = mecdns_monotonic_ms();
			state->next_poll_ms = now + state->poll_ms;
			observe_database(state, now);
			observe_poll(state, outcome, &counters, now);
			evaluate(state, now);
			publish(state);
		}
		wait_for_work(state);
	}
	return NULL;
}

/*** API. ***/

static void state_free(kstate_t *state)
{
	kevents_free(state->events);
	if (state->wake_fd >= 0) {
		close(state->wake_fd);
	}
	for (size_t i = 0; i < state->zone_count; i++) {
		free(state->zones[i].name);
	}
	free(state->zones);
	free(state->socket);
	pthread_mutex_destroy(&state->module_lock);
	free(state);
}

/*! \brief Events listener's log lines go to ours. */
static void events_log(int priority, const char *msg, void *ctx)
{
	kstate_t *state = ctx;
	state_log(state, priority, "%s", msg);
}

kstate_t *kstate_start(const kstate_config_t *config, char *err, size_t err_len)
{
	if (config == NULL || config->socket == NULL) {
		snprintf(err, err_len, "knot state: no control socket configured");
		return NULL;
	}
	kstate_t *state = calloc(1, sizeof(*state));
	if (state == NULL || (state->socket = strdup(config->socket)) == NULL) {
		free(state);
		snprintf(err, err_len, "knot state: out of memory");
		return NULL;
	}
	state->wake_fd = -1;
	pthread_mutex_init(&state->module_lock, NULL);
	state->poll_ms = config->poll_ms > 0 ? config->poll_ms : DEFAULT_POLL_MS;
	state->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : DEFAULT_TIMEOUT_MS;
	state->max_lag_ms = config->max_lag_ms > 0 ? config->max_lag_ms : DEFAULT_MAX_LAG_MS;
	state->settle_ms = state->max_lag_ms / 2;
	if (state->settle_ms > 1000) {
		state->settle_ms = 1000;
	}
	if (state->settle_ms < state->poll_ms) {
		state->settle_ms = state->poll_ms;
	}
	state->threshold = config->query_rate_threshold > 0 ? config->query_rate_threshold : 0;
	state->increase_threshold =
	    config->query_rate_increase_threshold > 0 ? config->query_rate_increase_threshold : 0;
	state->expiry = (kexpiry_config_t){
		.zone_period_s = config->zone_expiry_period,
		.signature_period_s = config->signature_expiry_period,
	};
	for (size_t i = 0; config->ede_codes != NULL && i < MECDNS_EDE_SLOTS; i++) {
		state->ede_config.watched[i] = config->ede_codes[i];
	}
	state->ede_config.quiet_ms = config->ede_quiet_ms > 0 ? config->ede_quiet_ms : 10000;
	state->store = config->store;
	state->signals = config->signals;
	state->guard = config->guard;
	state->log = config->log;
	state->log_ctx = config->log_ctx;
	snprintf(state->down_reason, sizeof(state->down_reason), "not polled yet");
	atomic_init(&state->stopping, false);
	atomic_init(&state->serving_shared, false);
	for (size_t i = 0; i < config->sync_zone_count; i++) {
		char name[KNOT_DNAME_TXT_MAXLEN + 2];
		canonical_zone(config->sync_zones[i], name, sizeof(name));
		zone_entry_t *zone = zone_get(state, name);
		if (zone == NULL) {
			snprintf(err, err_len, "knot state: out of memory");
			state_free(state);
			return NULL;
		}
		zone->synced = true;
	}
	err[0] = '\0';
	state->events = kevents_new(config->knot_dbus, 1000, events_log, state, err, err_len);
	if (state->events == NULL && err[0] != '\0') {
		state_free(state);
		return NULL;
	}
	state->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (state->wake_fd < 0) {
		snprintf(err, err_len, "knot state: eventfd: %s", strerror(errno));
		state_free(state);
		return NULL;
	}
	publish(state);
	int ret = pthread_create(&state->thread, NULL, state_thread, state);
	if (ret != 0) {
		snprintf(err, err_len, "knot state: cannot start its thread: %s", strerror(ret));
		state_free(state);
		return NULL;
	}
	return state;
}

bool kstate_serving(kstate_t *state)
{
	return state != NULL && atomic_load(&state->serving_shared);
}

void kstate_module(kstate_t *state, kstate_module_t *out)
{
	memset(out, 0, sizeof(*out));
	if (state == NULL) {
		return;
	}
	pthread_mutex_lock(&state->module_lock);
	*out = state->module_shared;
	pthread_mutex_unlock(&state->module_lock);
}

void kstate_stop(kstate_t *state)
{
	if (state == NULL) {
		return;
	}
	atomic_store(&state->stopping, true);
	uint64_t one = 1;
	(void)!write(state->wake_fd, &one, sizeof(one));
	pthread_join(state->thread, NULL);
	state_free(state);
}
