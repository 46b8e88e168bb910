/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd on MQTT (draft-grubto-dnsop-dns-out-of-protocol-signalling
 *  section 5.4): every signal of D-Bus also goes to an MQTT broker, for
 *  listeners that are not on this host's bus (mecdns-announce --mqtt on
 *  another host). The only code that talks MQTT (libmosquitto).
 *
 *  Topics under PREFIX (mqtt-topic, default "mecdns/HOSTNAME"):
 *
 *    PREFIX/online          "true" / "false", retained. "false" is also the
 *                           client's will: the broker publishes it when
 *                           syncd dies (kill -9) or its connection breaks.
 *    PREFIX/state           GetState as JSON, retained (a late subscriber
 *                           gets the present at once).
 *    PREFIX/state/serving   "true" / "false", retained.
 *    PREFIX/state/busy      "true" / "false", retained: query_rate or
 *                           query_rate_increase exceeded.
 *    PREFIX/signals/MEMBER  each state signal (serving, zone_ready, ...,
 *                           shutting_down) with its arguments as a JSON
 *                           array, QoS 1, not retained.
 *    PREFIX/changes         each committed change (rule_changed,
 *                           rrset_changed) as JSON with its seq and
 *                           generation, QoS 1, in commit order.
 *
 *  Changes use the outbox guarantee of D-Bus: the publisher reads the
 *  store's change log after its own cursor (store outbox cursor "mqtt"),
 *  publishes a batch with QoS 1 and moves the cursor only after the broker
 *  acknowledged every message of it (PUBACK); the change log is pruned only
 *  past that cursor. A broker that is down or a crash of syncd delays
 *  changes but loses none; a batch may come twice (same seq) after a
 *  reconnect. The first start with MQTT begins at the last change (no
 *  replay of history); a syncd without mqtt configured drops the cursor.
 *
 *  Reconnects every retry_ms. TLS (mqtts://) with a CA file, optionally a
 *  client certificate and key; username and a password read from a file.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/log.h"
#include "store/store.h"
#include "syncd/signals.h"

typedef struct {
	const char *url;           /*!< mqtt://HOST[:PORT] or mqtts://HOST[:PORT]. */
	const char *topic;         /*!< PREFIX; NULL: "mecdns/" + hostname. */
	const char *client_id;     /*!< NULL: "mecdns-syncd-" + hostname. */
	const char *username;      /*!< NULL: none. */
	const char *password_file; /*!< First line is the password; NULL: none. */
	const char *ca_file;       /*!< mqtts: the CA that signed the broker. */
	const char *cert_file;     /*!< mqtts: client certificate (with key_file). */
	const char *key_file;
	int retry_ms;  /*!< Reconnect interval (0: 1000). */
	int keepalive; /*!< Seconds (0: 10). */
} syncd_mqtt_config_t;

typedef struct syncd_mqtt syncd_mqtt_t;

/*! \brief Checks the configuration (URL, files) without connecting; false
 *         with a message in err. */
bool syncd_mqtt_check(const syncd_mqtt_config_t *config, char *err, size_t err_len);

/*!
 * \brief Starts publishing: opens the store cursor, observes signals,
 *        starts the threads. An unreachable broker is no error (retried).
 *
 * \return NULL with a message in err.
 */
syncd_mqtt_t *syncd_mqtt_start(const syncd_mqtt_config_t *config, mecdns_store_t *store,
                               mecdns_signals_t *signals, char *err, size_t err_len);

/*! \brief A commit happened (cheap, any thread; NULL is fine). */
void syncd_mqtt_notify(syncd_mqtt_t *mqtt);

/*! \brief True while connected to the broker. */
bool syncd_mqtt_connected(syncd_mqtt_t *mqtt);

/*! \brief Publishes online "false", disconnects, stops, frees (NULL is fine). */
void syncd_mqtt_stop(syncd_mqtt_t *mqtt);
