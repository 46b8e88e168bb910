/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce on MQTT (see mqtt_listener.h). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>

#include "announce/mqtt_listener.h"
#include "common/log.h"

/*! How often process() runs while connected (keepalive, writes). */
#define TICK_MS 100
/*! How long a connect may wait for the broker's CONNACK. */
#define CONNACK_MS  5000
#define KEEPALIVE_S 10

struct announce_mqtt_listener {
	struct mosquitto *mosq;
	mecdns_mqtt_broker_t broker;
	char *prefix;
	int retry_ms;
	announce_listener_cb cb;
	announce_listener_busy_cb busy_cb;
	void *ctx;

	long long now_ms;
	bool connected;
	bool ever_connected;
	long long connecting_until_ms; /*!< 0: no connect waiting for CONNACK. */
	long long next_connect_ms;
	bool online;        /*!< PREFIX/online, as last received. */
	bool serving_value; /*!< PREFIX/state/serving. */
	bool serving;       /*!< As last reported. */
	bool busy;          /*!< As last reported. */
	mecdns_log_once_t problem;
};

/*! \brief A repeating problem, logged once (common/log.h). */
#define problem(listener, ...) mecdns_log_once(&(listener)->problem, __VA_ARGS__)

/*! \brief Reports serving (online and state/serving) when it changed. */
static void report(announce_mqtt_listener_t *listener, const char *why)
{
	bool serving = listener->connected && listener->online && listener->serving_value;
	if (serving != listener->serving) {
		listener->serving = serving;
		listener->cb(serving, why, listener->ctx);
	}
}

static void set_busy(announce_mqtt_listener_t *listener, bool busy, const char *why)
{
	if (busy != listener->busy) {
		listener->busy = busy;
		if (listener->busy_cb != NULL) {
			listener->busy_cb(busy, why, listener->ctx);
		}
	}
}

static void on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
	announce_mqtt_listener_t *listener = ctx;
	listener->connecting_until_ms = 0;
	if (rc != 0) {
		problem(listener, "mqtt: the broker %s:%d refused the connection: %s",
		        listener->broker.host, listener->broker.port, mosquitto_connack_string(rc));
		listener->next_connect_ms = listener->now_ms + listener->retry_ms;
		return;
	}
	listener->connected = true;
	mecdns_log_once_reset(&listener->problem);
	char topic[300];
	snprintf(topic, sizeof(topic), "%s/online", listener->prefix);
	int sub = mosquitto_subscribe(mosq, NULL, topic, 1);
	snprintf(topic, sizeof(topic), "%s/state/+", listener->prefix);
	if (sub == MOSQ_ERR_SUCCESS) {
		sub = mosquitto_subscribe(mosq, NULL, topic, 1);
	}
	if (sub != MOSQ_ERR_SUCCESS) {
		problem(listener, "mqtt: cannot subscribe: %s", mosquitto_strerror(sub));
	}
	log_notice("mqtt: connected to %s:%d, following %s/", listener->broker.host,
	           listener->broker.port, listener->prefix);
}

static void on_disconnect(struct mosquitto *mosq, void *ctx, int rc)
{
	(void)mosq;
	announce_mqtt_listener_t *listener = ctx;
	bool was = listener->connected;
	listener->connected = false;
	listener->connecting_until_ms = 0;
	listener->online = false;
	listener->next_connect_ms = listener->now_ms + listener->retry_ms;
	if (was) {
		problem(listener, "mqtt: lost the broker %s:%d (%s); reconnecting every %d ms",
		        listener->broker.host, listener->broker.port, mosquitto_strerror(rc),
		        listener->retry_ms);
	}
	report(listener, "broker connection lost");
	set_busy(listener, false, "broker connection lost");
}

static void on_message(struct mosquitto *mosq, void *ctx, const struct mosquitto_message *msg)
{
	(void)mosq;
	announce_mqtt_listener_t *listener = ctx;
	size_t prefix_len = strlen(listener->prefix);
	if (msg->topic == NULL || strncmp(msg->topic, listener->prefix, prefix_len) != 0 ||
	    msg->topic[prefix_len] != '/') {
		return;
	}
	const char *what = msg->topic + prefix_len + 1;
	bool value = msg->payloadlen == 4 && memcmp(msg->payload, "true", 4) == 0;
	log_info("mqtt: %s = %.*s", what, msg->payloadlen < 16 ? msg->payloadlen : 16,
	         (const char *)msg->payload);
	if (strcmp(what, "online") == 0) {
		listener->online = value;
		report(listener,
		       value ? "online on MQTT" : "offline on MQTT (stopped, or its will)");
		if (!value) {
			set_busy(listener, false, "offline on MQTT");
		}
	} else if (strcmp(what, "state/serving") == 0) {
		listener->serving_value = value;
		report(listener, "state/serving on MQTT");
	} else if (strcmp(what, "state/busy") == 0) {
		set_busy(listener, value && listener->online, "state/busy on MQTT");
	}
}

announce_mqtt_listener_t *announce_mqtt_listener_new(const mecdns_mqtt_settings_t *settings,
                                                     const char *prefix, int retry_ms,
                                                     announce_listener_cb cb,
                                                     announce_listener_busy_cb busy_cb, void *ctx,
                                                     char *err, size_t err_len)
{
	announce_mqtt_listener_t *listener = calloc(1, sizeof(*listener));
	if (listener == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if (!mecdns_mqtt_check_prefix(prefix, err, err_len) ||
	    !mecdns_mqtt_check(settings, &listener->broker, err, err_len)) {
		free(listener);
		return NULL;
	}
	char hostname[256] = "localhost", client_id[300];
	gethostname(hostname, sizeof(hostname) - 1);
	snprintf(client_id, sizeof(client_id), "mecdns-announce-%s-%d", hostname, (int)getpid());
	listener->prefix = strdup(prefix);
	listener->mosq = mecdns_mqtt_new(settings, client_id, NULL, listener, err, err_len);
	if (listener->prefix == NULL || listener->mosq == NULL) {
		if (listener->prefix == NULL) {
			snprintf(err, err_len, "out of memory");
		}
		mecdns_mqtt_free(listener->mosq);
		free(listener->prefix);
		free(listener);
		return NULL;
	}
	listener->retry_ms = retry_ms;
	listener->cb = cb;
	listener->busy_cb = busy_cb;
	listener->ctx = ctx;
	mosquitto_connect_callback_set(listener->mosq, on_connect);
	mosquitto_disconnect_callback_set(listener->mosq, on_disconnect);
	mosquitto_message_callback_set(listener->mosq, on_message);
	return listener;
}

void announce_mqtt_listener_process(announce_mqtt_listener_t *listener, long long now_ms)
{
	listener->now_ms = now_ms;
	if (listener->connecting_until_ms != 0 && now_ms >= listener->connecting_until_ms) {
		problem(listener, "mqtt: no answer from %s:%d; retrying every %d ms",
		        listener->broker.host, listener->broker.port, listener->retry_ms);
		mosquitto_disconnect(listener->mosq);
		listener->connecting_until_ms = 0;
		listener->next_connect_ms = now_ms + listener->retry_ms;
	}
	if (!listener->connected && listener->connecting_until_ms == 0 &&
	    now_ms >= listener->next_connect_ms) {
		int rc = listener->ever_connected
		             ? mosquitto_reconnect(listener->mosq)
		             : mosquitto_connect(listener->mosq, listener->broker.host,
		                                 listener->broker.port, KEEPALIVE_S);
		listener->ever_connected = listener->ever_connected || rc == MOSQ_ERR_SUCCESS;
		if (rc == MOSQ_ERR_SUCCESS) {
			listener->connecting_until_ms = now_ms + CONNACK_MS;
		} else {
			problem(listener,
			        "mqtt: cannot connect to %s:%d (%s); retrying every %d ms",
			        listener->broker.host, listener->broker.port,
			        rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc),
			        listener->retry_ms);
			listener->next_connect_ms = now_ms + listener->retry_ms;
			return;
		}
	}
	int rc = mosquitto_loop(listener->mosq, 0, 1);
	if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN &&
	    (listener->connected || listener->connecting_until_ms != 0)) {
		on_disconnect(listener->mosq, listener, rc);
	}
}

int announce_mqtt_listener_fd(const announce_mqtt_listener_t *listener)
{
	return mosquitto_socket(listener->mosq);
}

long long announce_mqtt_listener_next_wake(const announce_mqtt_listener_t *listener)
{
	if (!listener->connected && listener->connecting_until_ms == 0) {
		return listener->next_connect_ms;
	}
	return listener->now_ms + TICK_MS;
}

void announce_mqtt_listener_free(announce_mqtt_listener_t *listener)
{
	if (listener == NULL) {
		return;
	}
	if (listener->connected) {
		mosquitto_disconnect(listener->mosq);
	}
	mecdns_mqtt_free(listener->mosq);
	free(listener->prefix);
	free(listener);
}
