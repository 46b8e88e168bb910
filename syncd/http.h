/*  mecdns-syncd HTTP server: libmicrohttpd in "internal epoll thread pool"
 *  mode (MHD_USE_EPOLL_INTERNAL_THREAD + MHD_OPTION_THREAD_POOL_SIZE):
 *  a fixed number of threads each run an epoll loop and call the handlers,
 *  which may block on SQLite writes without stalling the others.
 *
 *  Per request: the body is collected up to the configured limit (past it
 *  the rest is read and dropped, and the answer is 413), the route is
 *  looked up (404 / 405 with Allow), the bearer token checked (401 with
 *  WWW-Authenticate / 403), then the handler runs. Every answer is counted
 *  in the metrics and logged at debug level.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "syncd/api.h"

typedef struct syncd_http syncd_http_t;

/*! \brief Starts listening and serving; NULL + err on failure (address in
 *         use, bad TLS files, ...). */
syncd_http_t *syncd_http_start(syncd_ctx_t *ctx, char *err, size_t err_len);

/*! \brief Stops accepting, finishes running requests, frees. */
void syncd_http_stop(syncd_http_t *http);

/*! \brief Reads PEM files for TLS into memory (cert, key, optional CA). */
bool syncd_http_tls_check(const syncd_config_t *config, char *err, size_t err_len);
