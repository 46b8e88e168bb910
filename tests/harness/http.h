/*  mecdns test harness: a tiny blocking HTTP/1.1 client for integration
 *  tests (one request per connection, "Connection: close", the answer read
 *  to EOF). Enough to talk to mecdns-syncd without libcurl.
 */

#pragma once

#include <stddef.h>

typedef struct {
	int status;      /*!< HTTP status, or -1 when no answer was read. */
	char *headers;   /*!< Raw header block (status line included). */
	char *body;      /*!< NUL-terminated body ("" when none). */
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

/*! \brief A response header's value (malloc'd, trimmed), or NULL. */
char *http_header(const http_response_t *resp, const char *name);

void http_response_free(http_response_t *resp);
