/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The MQTT settings mecdns-syncd (publisher, syncd/mqtt.h) and
 *  mecdns-announce (listener, announce/mqtt_listener.h) share: the broker
 *  URL, TLS, username and password, and the client they make of them
 *  (libmosquitto). One home for what both accept. */

#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mosquitto;

typedef struct {
	const char *url;           /*!< mqtt://HOST[:PORT] (1883) or mqtts://HOST[:PORT] (8883). */
	const char *client_id;     /*!< NULL: the program's default. */
	const char *username;      /*!< NULL: none. */
	const char *password_file; /*!< Its first line is the password (needs username). */
	const char *ca_file;       /*!< mqtts: the CA that signed the broker (required). */
	const char *cert_file;     /*!< mqtts: client certificate, with key_file. */
	const char *key_file;
} mecdns_mqtt_settings_t;

/*! The broker's address as the URL gives it. */
typedef struct {
	char host[256];
	int port;
	bool tls;
} mecdns_mqtt_broker_t;

/*! \brief Checks the settings (URL, files readable, combinations) without
 *         connecting; false with a message in err. */
bool mecdns_mqtt_check(const mecdns_mqtt_settings_t *settings, mecdns_mqtt_broker_t *broker,
                       char *err, size_t err_len);

/*! \brief Checks a topic prefix: not empty, no wildcard, no trailing '/'. */
bool mecdns_mqtt_check_prefix(const char *prefix, char *err, size_t err_len);

/*!
 * \brief A libmosquitto client (MQTT 3.1.1, clean session) with the
 *        settings applied: username and password, TLS, and the will
 *        "false" (retained, QoS 1) on will_topic unless NULL.
 *
 * \param default_client_id  Used when settings->client_id is NULL.
 *
 * \return The client (mosquitto_lib_init() done; free with
 *         mecdns_mqtt_free()), or NULL with a message in err.
 */
struct mosquitto *mecdns_mqtt_new(const mecdns_mqtt_settings_t *settings,
                                  const char *default_client_id, const char *will_topic,
                                  void *userdata, char *err, size_t err_len);

/*! \brief Destroys the client and ends the library use (NULL is fine). */
void mecdns_mqtt_free(struct mosquitto *mosq);
