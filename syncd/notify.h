/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: notifications to the SMF (Neasdf_DNSContext_Notify,
 *  TS 29.556 5.2.2.6): HTTP POSTs of JSON to a context's notifyUri, from a
 *  thread of their own, retried until they are taken or given up.
 *
 *  A notification is POSTed with "Connection: close"; a 2xx takes it. A
 *  connection that fails, a timeout (NOTIFY_TIMEOUT_MS per attempt), a 5xx
 *  or a 429 is tried again after 0.5, 1, 2 and 4 seconds (5 attempts in
 *  all); any other status gives it up at once (the SMF refused it). At most
 *  NOTIFY_QUEUE_MAX notifications wait; a new one beyond that drops the
 *  oldest. Every give-up and drop is logged and counted.
 *
 *  Only "http://" URIs are sent (an IP literal or a name, an optional
 *  port, a path); syncd_notify_uri_check() says which URIs are.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTIFY_TIMEOUT_MS 2000
#define NOTIFY_ATTEMPTS   5
#define NOTIFY_QUEUE_MAX  1024

typedef struct syncd_notify syncd_notify_t;

/*! What became of the notifications so far. */
typedef struct {
	uint64_t sent;     /*!< Taken by the receiver (2xx). */
	uint64_t retried;  /*!< Attempts that failed and were tried again. */
	uint64_t given_up; /*!< Refused, or out of attempts. */
	uint64_t dropped;  /*!< Pushed out of a full queue. */
	uint64_t queued;   /*!< Waiting now. */
} syncd_notify_stats_t;

/*! \brief Whether uri is one notifications can go to; false with the
 *         reason in err ("https is not supported ..."). *https: the URI
 *         was an https one (not supported: a 501 rather than a 400). */
bool syncd_notify_uri_check(const char *uri, bool *https, char *err, size_t err_len);

/*! \brief Starts the notifier thread. NULL on failure (err). */
syncd_notify_t *syncd_notify_start(char *err, size_t err_len);

/*! \brief Queues a POST of body (JSON, copied) to uri; false when uri is
 *         not one syncd_notify_uri_check() takes or memory ran out. */
bool syncd_notify_post(syncd_notify_t *notify, const char *uri, const char *body);

void syncd_notify_stats(syncd_notify_t *notify, syncd_notify_stats_t *out);

/*! \brief Stops the thread: what is queued and not sent within
 *         wait_ms is given up (logged). */
void syncd_notify_stop(syncd_notify_t *notify, int wait_ms);
