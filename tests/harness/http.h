/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: a tiny blocking HTTP/1.1 client for integration
 *  tests (one request per connection, "Connection: close", the answer read
 *  to EOF). Enough to talk to mecdns-syncd without libcurl.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	int status;    /*!< HTTP status, or -1 when no answer was read. */
	char *headers; /*!< Raw header block (status line included). */
	char *body;    /*!< NUL-terminated body ("" when none). */
	size_t body_len;
} http_response_t;

/*!
 * \brief Sends one request and reads the whole answer.
 *
 * \param headers  Extra header lines ("Name: value"), NULL-terminated list,
 *                 may be NULL.
 * \param body     Request body or NULL (then no Content-Length is sent for
 *                 GET/DELETE; a zero Content-Length for other methods).
 *
 * \return 0, or -errno when connecting or sending failed.
 */
int http_request(const char *addr, int port, const char *method, const char *path,
                 const char *const *headers, const char *body, size_t body_len,
                 http_response_t *out);

/*!
 * \brief Connects to addr:port (IPv4 or IPv6 literal), from the source
 *        address src if not NULL; send and receive time out after 30 s.
 *
 * \return The socket, or -errno.
 */
int http_connect(const char *src, const char *addr, int port);

/*!
 * \brief The request head (request line and headers) as http_request()
 *        sends it: Host, "Connection: close" (or keep-alive), the extra
 *        headers, then Content-Type and Content-Length of a body (a zero
 *        Content-Length for a method other than GET/DELETE without one).
 *
 * \return A malloc'd string.
 */
char *http_request_head(const char *addr, int port, const char *method, const char *path,
                        const char *const *headers, const char *body, size_t body_len,
                        bool keep_alive);

/*! \brief Sends everything; 0 or -errno. */
int http_send_all(int fd, const char *data, size_t len);

/*!
 * \brief Reads an answer from fd into out (see http_parse_response()).
 *
 * \param keep_alive  Stops once the whole answer (up to its Content-Length)
 *                    is read; else reads to EOF.
 */
void http_read_response(int fd, bool keep_alive, http_response_t *out);

/*! \brief Splits a raw answer (malloc'd, taken; may be NULL) into out's
 *         status, headers and body. */
void http_parse_response(char *raw, size_t len, http_response_t *out);

/*! \brief A response header's value (malloc'd, trimmed), or NULL. */
char *http_header(const http_response_t *resp, const char *name);

void http_response_free(http_response_t *resp);
