/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce on MQTT: the same two inputs as on D-Bus (listener.h),
 *  from mecdns-syncd's retained topics on a broker (syncd/mqtt.h), so the
 *  BGP speaker can run on another host than syncd. The only code of the
 *  announcer that talks MQTT.
 *
 *    PREFIX/online         "false" (also syncd's will: kill -9, a broken
 *                          connection)                 → serving false
 *    PREFIX/state/serving  with online "true"          → serving
 *    PREFIX/state/busy                                 → busy
 *    the broker connection lost, or not yet made       → serving false
 *
 *  Retained messages give the present at once after every (re)connect.
 *  Reconnects every retry_ms; one libmosquitto client, driven by the
 *  announcer's own poll loop (no thread).
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "announce/listener.h"
#include "common/mqtt.h"

typedef struct announce_mqtt_listener announce_mqtt_listener_t;

/*!
 * \brief Sets up the listener; the first connect happens in the first
 *        process(). NULL with a message in err (bad settings).
 */
announce_mqtt_listener_t *announce_mqtt_listener_new(const mecdns_mqtt_settings_t *settings,
                                                     const char *prefix, int retry_ms,
                                                     announce_listener_cb cb,
                                                     announce_listener_busy_cb busy_cb, void *ctx,
                                                     char *err, size_t err_len);

/*! \brief Connects when due, reads what the broker sent, keeps the
 *         connection alive; calls the callbacks zero or more times. */
void announce_mqtt_listener_process(announce_mqtt_listener_t *listener, long long now_ms);

/*! \brief The connection's socket (poll it for input), or -1. */
int announce_mqtt_listener_fd(const announce_mqtt_listener_t *listener);

/*! \brief When process() must run again at the latest. */
long long announce_mqtt_listener_next_wake(const announce_mqtt_listener_t *listener);

void announce_mqtt_listener_free(announce_mqtt_listener_t *listener);
