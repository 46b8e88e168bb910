/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd on MQTT (see mqtt.h).
 *
 *  One thread owns the libmosquitto client and does everything with it:
 *  connect and reconnect, the network loop (mosquitto_loop, 50 ms at a
 *  time, so callbacks run in this thread too), the retained state, the
 *  queued state signals and the change outbox. Other threads only put the
 *  state and signals into a queue under lock (signals' observer) and
 *  notify.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mqtt.h"
#include "syncd/mqtt.h"

#define CURSOR_CHANNEL "mqtt"
/*! Changes published before waiting for their PUBACKs. */
#define BATCH_SIZE 128
#define LOOP_MS    50
#define STOP_MS    2000
/*! How long a connect may wait for the broker's CONNACK. */
#define CONNACK_MS 5000
/*! Queued state signals kept while the broker is away (oldest dropped). */
#define QUEUE_MAX 1024

typedef struct queued {
	struct queued *next;
	char *topic;
	char *payload;
	bool retain;
} queued_t;

struct syncd_mqtt {
	struct mosquitto *mosq;
	mecdns_store_t *store;
	char *prefix;
	char *host;
	int port;
	int retry_ms;
	int keepalive;
	pthread_t thread;
	bool thread_started;
	atomic_bool stopping;
	atomic_bool connected;

	/* Shared under lock. */
	pthread_mutex_t lock;
	queued_t *head, *tail; /*!< Signals and state to publish, in order. */
	size_t queued;
	char *state_json; /*!< Last state (retained at every connect). */
	bool serving;     /*!< Last serving. */
	bool busy;        /*!< Last busy. */
	bool state_known; /*!< state_json holds something. */
	bool state_dirty; /*!< Changed since last published. */
	atomic_bool notified;

	/* Thread only. */
	bool ever_connected;
	long long connecting_until_ms; /*!< A connect waits for its CONNACK (0: none). */
	long long next_connect_ms;
	uint64_t cursor;
	int batch_mids[BATCH_SIZE];
	bool batch_acked[BATCH_SIZE];
	size_t batch_count;
	size_t batch_done;
	uint64_t batch_last;
	mecdns_log_once_t problem;
};

/*! \brief A repeating problem, logged once (common/log.h). */
#define problem(mqtt, ...) mecdns_log_once(&(mqtt)->problem, "mqtt: " __VA_ARGS__)

/*** Configuration. ***/

/*! \brief The shared settings of a syncd configuration. */
static mecdns_mqtt_settings_t settings_of(const syncd_mqtt_config_t *config)
{
	return (mecdns_mqtt_settings_t){
		.url = config->url,
		.client_id = config->client_id,
		.username = config->username,
		.password_file = config->password_file,
		.ca_file = config->ca_file,
		.cert_file = config->cert_file,
		.key_file = config->key_file,
	};
}

bool syncd_mqtt_check(const syncd_mqtt_config_t *config, char *err, size_t err_len)
{
	mecdns_mqtt_settings_t settings = settings_of(config);
	mecdns_mqtt_broker_t broker;
	return mecdns_mqtt_check(&settings, &broker, err, err_len) &&
	       (config->topic == NULL || mecdns_mqtt_check_prefix(config->topic, err, err_len));
}

/*** Queue (any thread). ***/

/*! \brief Appends a message to publish (lock held). */
static void enqueue_locked(syncd_mqtt_t *mqtt, const char *suffix, const char *payload, bool retain)
{
	queued_t *entry = calloc(1, sizeof(*entry));
	size_t topic_len = strlen(mqtt->prefix) + strlen(suffix) + 2;
	if (entry != NULL) {
		entry->topic = malloc(topic_len);
		entry->payload = strdup(payload);
		entry->retain = retain;
	}
	if (entry == NULL || entry->topic == NULL || entry->payload == NULL) {
		if (entry != NULL) {
			free(entry->topic);
			free(entry->payload);
		}
		free(entry);
		return;
	}
	snprintf(entry->topic, topic_len, "%s/%s", mqtt->prefix, suffix);
	if (mqtt->queued == QUEUE_MAX) {
		queued_t *old = mqtt->head;
		mqtt->head = old->next;
		mqtt->tail = mqtt->head == NULL ? NULL : mqtt->tail;
		free(old->topic);
		free(old->payload);
		free(old);
		mqtt->queued--;
	}
	if (mqtt->tail != NULL) {
		mqtt->tail->next = entry;
	} else {
		mqtt->head = entry;
	}
	mqtt->tail = entry;
	mqtt->queued++;
}

/*! \brief The conditions of the state as JSON (no rates: they change every
 *         poll; /metrics has them). */
static char *state_json(const mecdns_signals_state_t *state)
{
	cJSON *json = cJSON_CreateObject();
	cJSON_AddBoolToObject(json, "knotTracking", state->tracking);
	cJSON_AddBoolToObject(json, "serverRunning", state->server_running);
	cJSON_AddBoolToObject(json, "serverCrashed", state->server_crashed);
	cJSON_AddBoolToObject(json, "allZonesReady", state->all_zones_ready);
	cJSON_AddBoolToObject(json, "serving", state->serving);
	cJSON_AddBoolToObject(json, "qpsExceeded", state->qps_exceeded);
	cJSON_AddBoolToObject(json, "qpsIncreaseExceeded", state->qps_increase_exceeded);
	cJSON *zones = cJSON_AddArrayToObject(json, "zones");
	for (size_t i = 0; zones != NULL && i < state->zone_count; i++) {
		const mecdns_signals_zone_t *from = &state->zones[i];
		cJSON *zone = cJSON_CreateObject();
		if (zone == NULL || !cJSON_AddItemToArray(zones, zone)) {
			cJSON_Delete(zone);
			break;
		}
		cJSON_AddStringToObject(zone, "zone", from->zone);
		cJSON_AddBoolToObject(zone, "ready", from->ready);
		cJSON_AddNumberToObject(zone, "serial", from->serial);
		cJSON_AddBoolToObject(zone, "expiring", from->expiring);
		cJSON_AddBoolToObject(zone, "signaturesExpiring", from->signatures_expiring);
	}
	cJSON *ede = cJSON_AddArrayToObject(json, "edeOccurring");
	for (unsigned i = 0; ede != NULL && i < MECDNS_EDE_SLOTS; i++) {
		if (state->ede_occurring[i]) {
			cJSON_AddItemToArray(ede, cJSON_CreateNumber(mecdns_ede_code(i)));
		}
	}
	char *text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	return text;
}

static void observe_state(const mecdns_signals_state_t *state, void *ctx)
{
	syncd_mqtt_t *mqtt = ctx;
	char *text = state_json(state);
	if (text == NULL) {
		return;
	}
	bool busy = state->qps_exceeded || state->qps_increase_exceeded;
	pthread_mutex_lock(&mqtt->lock);
	if (!mqtt->state_known || strcmp(text, mqtt->state_json) != 0 ||
	    mqtt->serving != state->serving || mqtt->busy != busy) {
		free(mqtt->state_json);
		mqtt->state_json = text;
		text = NULL;
		mqtt->serving = state->serving;
		mqtt->busy = busy;
		mqtt->state_known = true;
		mqtt->state_dirty = true;
	}
	pthread_mutex_unlock(&mqtt->lock);
	free(text);
}

static void observe_signal(const char *member, const char *json_args, void *ctx)
{
	syncd_mqtt_t *mqtt = ctx;
	char suffix[128];
	snprintf(suffix, sizeof(suffix), "signals/%s", member);
	pthread_mutex_lock(&mqtt->lock);
	enqueue_locked(mqtt, suffix, json_args, false);
	pthread_mutex_unlock(&mqtt->lock);
	atomic_store(&mqtt->notified, true);
}

void syncd_mqtt_notify(syncd_mqtt_t *mqtt)
{
	if (mqtt != NULL) {
		atomic_store(&mqtt->notified, true);
	}
}

bool syncd_mqtt_connected(syncd_mqtt_t *mqtt)
{
	return mqtt != NULL && atomic_load(&mqtt->connected);
}

/*** The thread. ***/

/*! \brief Publishes one message (QoS 1); its mid, or -1 on failure. */
static int publish(syncd_mqtt_t *mqtt, const char *topic, const char *payload, bool retain)
{
	int mid = 0;
	int rc =
	    mosquitto_publish(mqtt->mosq, &mid, topic, (int)strlen(payload), payload, 1, retain);
	if (rc != MOSQ_ERR_SUCCESS) {
		problem(mqtt, "publishing to %s failed: %s", topic, mosquitto_strerror(rc));
		return -1;
	}
	return mid;
}

/*! \brief Publishes under PREFIX/suffix. */
static void publish_at(syncd_mqtt_t *mqtt, const char *suffix, const char *payload, bool retain)
{
	char topic[512];
	snprintf(topic, sizeof(topic), "%s/%s", mqtt->prefix, suffix);
	publish(mqtt, topic, payload, retain);
}

/*! \brief The retained state, when it changed or after a (re)connect. */
static void publish_state(syncd_mqtt_t *mqtt, bool force)
{
	pthread_mutex_lock(&mqtt->lock);
	bool due = mqtt->state_known && (mqtt->state_dirty || force);
	char *text = due ? strdup(mqtt->state_json) : NULL;
	bool serving = mqtt->serving, busy = mqtt->busy;
	mqtt->state_dirty = mqtt->state_dirty && text == NULL;
	pthread_mutex_unlock(&mqtt->lock);
	if (text == NULL) {
		return;
	}
	publish_at(mqtt, "state", text, true);
	publish_at(mqtt, "state/serving", serving ? "true" : "false", true);
	publish_at(mqtt, "state/busy", busy ? "true" : "false", true);
	free(text);
}

/*! \brief Publishes the queued signals, in order. */
static void publish_queue(syncd_mqtt_t *mqtt)
{
	pthread_mutex_lock(&mqtt->lock);
	queued_t *list = mqtt->head;
	mqtt->head = mqtt->tail = NULL;
	mqtt->queued = 0;
	pthread_mutex_unlock(&mqtt->lock);
	while (list != NULL) {
		queued_t *next = list->next;
		publish(mqtt, list->topic, list->payload, list->retain);
		free(list->topic);
		free(list->payload);
		free(list);
		list = next;
	}
}

static void on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
	(void)mosq;
	syncd_mqtt_t *mqtt = ctx;
	if (rc != 0) {
		problem(mqtt, "the broker %s:%d refused the connection: %s", mqtt->host, mqtt->port,
		        mosquitto_connack_string(rc));
		mqtt->connecting_until_ms = 0;
		mqtt->next_connect_ms = mecdns_monotonic_ms() + mqtt->retry_ms;
		return;
	}
	atomic_store(&mqtt->connected, true);
	mqtt->connecting_until_ms = 0;
	mecdns_log_once_reset(&mqtt->problem);
	log_notice("mqtt: connected to %s:%d, publishing under %s/", mqtt->host, mqtt->port,
	           mqtt->prefix);
	publish_at(mqtt, "online", "true", true);
	publish_state(mqtt, true);
}

static void on_disconnect(struct mosquitto *mosq, void *ctx, int rc)
{
	(void)mosq;
	syncd_mqtt_t *mqtt = ctx;
	if (atomic_exchange(&mqtt->connected, false) && !atomic_load(&mqtt->stopping)) {
		problem(mqtt, "lost the broker %s:%d (%s); reconnecting every %d ms", mqtt->host,
		        mqtt->port, mosquitto_strerror(rc), mqtt->retry_ms);
	}
	/* The batch goes again from the cursor on the next connection. */
	mqtt->batch_count = mqtt->batch_done = 0;
	mqtt->connecting_until_ms = 0;
	mqtt->next_connect_ms = mecdns_monotonic_ms() + mqtt->retry_ms;
}

/*! PUBACK of one of our messages. Callbacks run inside mosquitto_loop() in
 *  this thread, so a batch's mids are all recorded before any of their
 *  PUBACKs is read; other mids (state, signals, an abandoned batch) are not
 *  the batch's. */
static void on_publish(struct mosquitto *mosq, void *ctx, int mid)
{
	(void)mosq;
	syncd_mqtt_t *mqtt = ctx;
	for (size_t i = 0; i < mqtt->batch_count; i++) {
		if (mqtt->batch_mids[i] == mid && !mqtt->batch_acked[i]) {
			mqtt->batch_acked[i] = true;
			mqtt->batch_done++;
			return;
		}
	}
}

/*! \brief A change as the JSON of PREFIX/changes. */
static char *change_json(const mecdns_change_t *change)
{
	cJSON *json = cJSON_CreateObject();
	cJSON_AddNumberToObject(json, "seq", (double)change->seq);
	cJSON_AddNumberToObject(json, "generation", (double)change->generation);
	cJSON_AddNumberToObject(json, "committedMs", (double)change->committed_ms);
	bool rule = change->kind == MECDNS_CHANGE_RULE;
	cJSON_AddStringToObject(json, "signal", rule ? "rule_changed" : "rrset_changed");
	cJSON_AddStringToObject(json, "owner", change->owner != NULL ? change->owner : "");
	if (rule) {
		cJSON_AddStringToObject(json, "appInstanceId", change->app_instance_id);
		cJSON_AddStringToObject(json, "dnsRuleId", change->dns_rule_id);
		cJSON_AddStringToObject(json, "domainName", change->domain_name);
		cJSON_AddStringToObject(json, "state", change->state);
		if (change->prev_owner != NULL) {
			cJSON_AddStringToObject(json, "prevOwner", change->prev_owner);
		}
		if (change->client_subnets != NULL) {
			cJSON_AddStringToObject(json, "clientSubnets", change->client_subnets);
		}
	} else {
		cJSON_AddStringToObject(json, "zone", change->zone != NULL ? change->zone : "");
		cJSON_AddStringToObject(json, "type", change->rrtype != NULL ? change->rrtype : "");
		cJSON_AddNumberToObject(json, "rdataCount", change->rdata_count);
	}
	if (!rule && change->client_subnets != NULL && *change->client_subnets != '\0') {
		cJSON_AddStringToObject(json, "clientSubnets", change->client_subnets);
	}
	char *text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	return text;
}

static bool publish_change(const mecdns_change_t *change, void *ctx)
{
	syncd_mqtt_t *mqtt = ctx;
	char *text = change_json(change);
	char topic[512];
	snprintf(topic, sizeof(topic), "%s/changes", mqtt->prefix);
	int mid = text != NULL ? publish(mqtt, topic, text, false) : -1;
	free(text);
	if (mid < 0) {
		return false;
	}
	size_t i = mqtt->batch_count++;
	mqtt->batch_mids[i] = mid;
	mqtt->batch_acked[i] = false;
	mqtt->batch_last = change->seq;
	return mqtt->batch_count < BATCH_SIZE;
}

/*! \brief The outbox: moves the cursor after a fully acknowledged batch,
 *         then publishes the next one. */
static void drain_outbox(syncd_mqtt_t *mqtt)
{
	if (mqtt->batch_count > 0) {
		if (mqtt->batch_done < mqtt->batch_count) {
			return; /* PUBACKs outstanding. */
		}
		mecdns_store_status_t status =
		    mecdns_store_set_cursor(mqtt->store, CURSOR_CHANNEL, mqtt->batch_last);
		if (status != MECDNS_STORE_OK) {
			problem(mqtt, "cannot move the outbox cursor (%s: %s); retrying",
			        mecdns_store_strerror(status), mecdns_store_last_error());
			return;
		}
		mqtt->cursor = mqtt->batch_last;
		if (mqtt->batch_count == BATCH_SIZE) {
			atomic_store(&mqtt->notified, true); /* A backlog: go on at once. */
		}
		mqtt->batch_count = mqtt->batch_done = 0;
	}
	if (!atomic_exchange(&mqtt->notified, false)) {
		/* Nothing committed since the last look: the next notify or the
		 * once-a-second poll below reads again. */
		return;
	}
	mecdns_store_status_t status =
	    mecdns_store_changes(mqtt->store, mqtt->cursor, BATCH_SIZE, publish_change, mqtt);
	if (status != MECDNS_STORE_OK) {
		problem(mqtt, "cannot read the change log (%s: %s)", mecdns_store_strerror(status),
		        mecdns_store_last_error());
	}
}

static void *mqtt_thread(void *arg)
{
	syncd_mqtt_t *mqtt = arg;
	long long next_poll_ms = 0;
	while (!atomic_load(&mqtt->stopping)) {
		long long now = mecdns_monotonic_ms();
		if (mqtt->connecting_until_ms != 0 && now >= mqtt->connecting_until_ms) {
			problem(mqtt, "no answer from %s:%d; retrying every %d ms", mqtt->host,
			        mqtt->port, mqtt->retry_ms);
			mosquitto_disconnect(mqtt->mosq);
			mqtt->connecting_until_ms = 0;
			mqtt->next_connect_ms = now + mqtt->retry_ms;
		}
		if (!atomic_load(&mqtt->connected) && mqtt->connecting_until_ms == 0 &&
		    now >= mqtt->next_connect_ms) {
			int rc = mqtt->ever_connected
			             ? mosquitto_reconnect(mqtt->mosq)
			             : mosquitto_connect(mqtt->mosq, mqtt->host, mqtt->port,
			                                 mqtt->keepalive);
			mqtt->ever_connected = mqtt->ever_connected || rc == MOSQ_ERR_SUCCESS;
			if (rc == MOSQ_ERR_SUCCESS) {
				mqtt->connecting_until_ms = now + CONNACK_MS;
			} else {
				problem(mqtt, "cannot connect to %s:%d (%s); retrying every %d ms",
				        mqtt->host, mqtt->port,
				        rc == MOSQ_ERR_ERRNO ? strerror(errno)
				                             : mosquitto_strerror(rc),
				        mqtt->retry_ms);
				mqtt->next_connect_ms = now + mqtt->retry_ms;
			}
		}
		int rc = mosquitto_loop(mqtt->mosq, LOOP_MS, 1);
		if (rc == MOSQ_ERR_NO_CONN) {
			usleep(LOOP_MS * 1000);
		} else if (rc != MOSQ_ERR_SUCCESS && atomic_load(&mqtt->connected)) {
			on_disconnect(mqtt->mosq, mqtt, rc);
		}
		if (!atomic_load(&mqtt->connected)) {
			continue;
		}
		publish_queue(mqtt);
		publish_state(mqtt, false);
		if (now >= next_poll_ms) {
			atomic_store(&mqtt->notified, true);
			next_poll_ms = now + 1000;
		}
		drain_outbox(mqtt);
	}
	/* Stop: what is queued (shutting_down), then offline, then go. */
	if (atomic_load(&mqtt->connected)) {
		publish_queue(mqtt);
		publish_at(mqtt, "online", "false", true);
		long long deadline = mecdns_monotonic_ms() + STOP_MS;
		while (mecdns_monotonic_ms() < deadline && mosquitto_want_write(mqtt->mosq)) {
			mosquitto_loop(mqtt->mosq, LOOP_MS, 1);
		}
		mosquitto_loop(mqtt->mosq, LOOP_MS, 1);
		mosquitto_disconnect(mqtt->mosq);
	}
	return NULL;
}

/*** Start and stop. ***/

static void mqtt_free(syncd_mqtt_t *mqtt)
{
	mecdns_mqtt_free(mqtt->mosq);
	while (mqtt->head != NULL) {
		queued_t *next = mqtt->head->next;
		free(mqtt->head->topic);
		free(mqtt->head->payload);
		free(mqtt->head);
		mqtt->head = next;
	}
	pthread_mutex_destroy(&mqtt->lock);
	free(mqtt->state_json);
	free(mqtt->prefix);
	free(mqtt->host);
	free(mqtt);
}

syncd_mqtt_t *syncd_mqtt_start(const syncd_mqtt_config_t *config, mecdns_store_t *store,
                               mecdns_signals_t *signals, char *err, size_t err_len)
{
	mecdns_mqtt_settings_t settings = settings_of(config);
	mecdns_mqtt_broker_t broker;
	if (!syncd_mqtt_check(config, err, err_len) ||
	    !mecdns_mqtt_check(&settings, &broker, err, err_len)) {
		return NULL;
	}
	char hostname[256] = "localhost";
	gethostname(hostname, sizeof(hostname) - 1);
	char prefix[512], client_id[300], will[600];
	if (config->topic != NULL) {
		snprintf(prefix, sizeof(prefix), "%s", config->topic);
	} else {
		snprintf(prefix, sizeof(prefix), "mecdns/%s", hostname);
	}
	snprintf(client_id, sizeof(client_id), "mecdns-syncd-%s", hostname);
	snprintf(will, sizeof(will), "%s/online", prefix);

	syncd_mqtt_t *mqtt = calloc(1, sizeof(*mqtt));
	if (mqtt == NULL) {
		snprintf(err, err_len, "mqtt: out of memory");
		return NULL;
	}
	pthread_mutex_init(&mqtt->lock, NULL);
	mqtt->store = store;
	mqtt->port = broker.port;
	mqtt->retry_ms = config->retry_ms > 0 ? config->retry_ms : 1000;
	mqtt->keepalive = config->keepalive > 0 ? config->keepalive : 10;
	mqtt->prefix = strdup(prefix);
	mqtt->host = strdup(broker.host);
	if (mqtt->prefix == NULL || mqtt->host == NULL) {
		snprintf(err, err_len, "mqtt: out of memory");
		mqtt_free(mqtt);
		return NULL;
	}
	/* Clean session: the outbox, not the broker's session, carries what
	 * was not acknowledged. */
	mqtt->mosq = mecdns_mqtt_new(&settings, client_id, will, mqtt, err, err_len);
	if (mqtt->mosq == NULL) {
		mqtt_free(mqtt);
		return NULL;
	}
	mecdns_store_status_t status =
	    mecdns_store_cursor_open(store, CURSOR_CHANNEL, &mqtt->cursor);
	if (status != MECDNS_STORE_OK) {
		snprintf(err, err_len, "mqtt: cannot open its outbox cursor (%s: %s)",
		         mecdns_store_strerror(status), mecdns_store_last_error());
		mqtt_free(mqtt);
		return NULL;
	}
	mosquitto_connect_callback_set(mqtt->mosq, on_connect);
	mosquitto_disconnect_callback_set(mqtt->mosq, on_disconnect);
	mosquitto_publish_callback_set(mqtt->mosq, on_publish);
	atomic_init(&mqtt->notified, true);
	mecdns_signals_observer_t observer = {
		.state = observe_state,
		.signal = observe_signal,
		.ctx = mqtt,
	};
	mecdns_signals_observe(signals, &observer);
	int rc = pthread_create(&mqtt->thread, NULL, mqtt_thread, mqtt);
	if (rc != 0) {
		mecdns_signals_observe(signals, NULL);
		snprintf(err, err_len, "mqtt: cannot start its thread: %s", strerror(rc));
		mqtt_free(mqtt);
		return NULL;
	}
	mqtt->thread_started = true;
	log_notice("mqtt: publishing to %s:%d%s under %s/ from change %" PRIu64, mqtt->host,
	           mqtt->port, broker.tls ? " (TLS)" : "", mqtt->prefix, mqtt->cursor);
	return mqtt;
}

void syncd_mqtt_stop(syncd_mqtt_t *mqtt)
{
	if (mqtt == NULL) {
		return;
	}
	atomic_store(&mqtt->stopping, true);
	if (mqtt->thread_started) {
		pthread_join(mqtt->thread, NULL);
	}
	mqtt_free(mqtt);
}
