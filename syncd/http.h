/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd HTTP server: libmicrohttpd in "internal epoll thread pool"
 *  mode (MHD_USE_EPOLL_INTERNAL_THREAD + MHD_OPTION_THREAD_POOL_SIZE):
 *  a fixed number of threads each run an epoll loop and call the handlers,
 *  which may block on SQLite writes without stalling the others. With TLS
 *  the threads poll() instead, so that a reload can quiesce a daemon (see
 *  syncd_http_reload()).
 *
 *  With --tls-client-ca, a request without a client certificate that
 *  verifies against the CA gets 403 on every route but the public probes,
 *  before its token is checked.
 *
 *  Per connection: it is counted in and out of syncd/limits.h. Per request:
 *  first the limits that need no body (connections 503/429, rate 429,
 *  header count 431; the connection closes after such an answer), then the
 *  body is collected up to the configured limit (past it the rest is read
 *  and dropped, and the answer is 413), the route is looked up (404 / 405
 *  with Allow), the bearer token checked (401 with WWW-Authenticate / 403),
 *  the JSON depth scanned (400), then the handler runs. Every answer is
 *  counted in the metrics and logged at debug level.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "syncd/api.h"

typedef struct syncd_http syncd_http_t;

/*! \brief Starts listening and serving; NULL + err on failure (address in
 *         use, bad TLS files, ...). */
syncd_http_t *syncd_http_start(syncd_ctx_t *ctx, char *err, size_t err_len);

/*!
 * \brief SIGHUP: re-reads the TLS certificate, key and client CA; no-op
 *        without TLS or when the files did not change.
 *
 * The new files are checked first (readable PEM, key matching the
 * certificate, at least one CA certificate); if anything is wrong, one
 * error line is logged and the previous files stay in use. Otherwise a new
 * daemon starts accepting on the same listening socket, the previous one
 * stops accepting and is stopped in the background once its connections
 * are done (at most the idle timeout plus 2 s later): no request fails.
 *
 * \return false when the previous files stay in use.
 */
bool syncd_http_reload(syncd_http_t *http);

/*! \brief Stops accepting, finishes running requests, frees. */
void syncd_http_stop(syncd_http_t *http);

/*! \brief Reads and checks the TLS files (cert, key matching it, optional
 *         client CA); false + err when one is unusable. */
bool syncd_http_tls_check(const syncd_config_t *config, char *err, size_t err_len);
