/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl: its HTTP client of mecdns-syncd's REST API (libcurl): one
 *  connection kept alive across the requests of a run, bearer token,
 *  HTTPS with a CA file and an optional client certificate (mTLS). */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
	char *url;       /*!< http://127.0.0.1:8080 or https://... (no path). */
	char *token;     /*!< Bearer token, or NULL. */
	char *ca_file;   /*!< CA of syncd's certificate (HTTPS), or NULL. */
	char *cert_file; /*!< Client certificate (mTLS), or NULL. */
	char *key_file;  /*!< Its private key, or NULL. */
	long timeout_s;  /*!< Whole-request timeout; 0: none. */
} ctl_client_config_t;

typedef struct ctl_client ctl_client_t;

/*! One answer. */
typedef struct {
	long status; /*!< HTTP status; 0 when no answer came. */
	char *body;  /*!< NUL-terminated (body_len bytes), or NULL. */
	size_t body_len;
	bool has_generation; /*!< X-Mecdns-Generation came. */
	uint64_t generation;
	char *etag; /*!< ETag, or NULL. */
	char *next; /*!< Link rel="next" target, or NULL. */
	char *content_type;
	char error[512]; /*!< Transport failure (status 0). */
} ctl_answer_t;

ctl_client_t *ctl_client_new(const ctl_client_config_t *config);
void ctl_client_free(ctl_client_t *client);

/*!
 * \brief Sends one request: method, path (with query, already escaped),
 *        an optional JSON body and If-Match; the body of the answer goes
 *        into answer->body, or into to_file (then answer->body stays NULL).
 * \param progress  Show a progress bar on stderr (a TTY) while receiving.
 * \return true when an HTTP answer came (any status).
 */
bool ctl_request(ctl_client_t *client, const char *method, const char *path, const char *body,
                 const char *if_match, FILE *to_file, bool progress, ctl_answer_t *answer);

/*! \brief Escapes one path segment or query value (malloc'd). */
char *ctl_escape(ctl_client_t *client, const char *text);

void ctl_answer_clear(ctl_answer_t *answer);
