/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd response: what a handler hands back to the HTTP layer.
 *
 *  Handlers never touch libmicrohttpd; they fill one of these and http.c
 *  turns it into the wire response. Every string is owned by the response
 *  and freed by syncd_response_clear().
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*! Header carrying the generation of a 2xx answer (docs/api.md). */
#define SYNCD_GENERATION_HEADER "X-Mecdns-Generation"

typedef struct {
	int status;               /*!< HTTP status code. */
	const char *content_type; /*!< Static string, NULL: no body. */
	char *body;               /*!< malloc'd, may be NULL. */
	size_t body_len;
	char *etag;           /*!< ETag header value (quoted), or NULL. */
	char *location;       /*!< Location header value, or NULL. */
	char *link;           /*!< Link header value (next page), or NULL. */
	const char *allow;    /*!< Allow header (for 405), static, or NULL. */
	unsigned retry_after; /*!< Retry-After seconds (429, 503), 0: none. */
	bool close;           /*!< Connection: close after this answer. */
	bool has_generation;  /*!< Send X-Mecdns-Generation (2xx only). */
	uint64_t generation;  /*!< Its value: the generation a write committed,
	                           or the one a read was read at. */
	bool has_file;        /*!< The body is file_size bytes of file_fd (owned). */
	int file_fd;
	uint64_t file_size;
} syncd_response_t;

/*! \brief Replaces body, ETag and Location (other headers such as Allow
 *         stay) by body, which the response takes; NULL: status only. */
void syncd_response_body(syncd_response_t *resp, int status, const char *content_type, char *body);

/*! \brief Sets a JSON body (application/json) from json, which is deleted.
 *         Returns 0, or -1 (a bare 500 instead) when out of memory. */
int syncd_response_json(syncd_response_t *resp, int status, cJSON *json);

/*! \brief Sets a body that is a copy of text with the given content type;
 *         -1 (a bare 500 instead) when out of memory. */
int syncd_response_text(syncd_response_t *resp, int status, const char *content_type,
                        const char *text, size_t len);

/*! \brief A body read from an open file (fd, size bytes), which the
 *         response takes: large downloads without a copy in memory. */
void syncd_response_file(syncd_response_t *resp, int status, const char *content_type, int fd,
                         uint64_t size);

/*! \brief A status without body (204, ...). */
void syncd_response_empty(syncd_response_t *resp, int status);

/*! \brief Sets the X-Mecdns-Generation header of a 2xx answer (http.c
 *         leaves it out of any other status). */
void syncd_response_generation(syncd_response_t *resp, uint64_t generation);

/*! \brief Frees what the response owns and zeroes it. */
void syncd_response_clear(syncd_response_t *resp);
