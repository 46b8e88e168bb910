/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd authorisation: bearer tokens and their scopes.
 *
 *  The token file has one token a line, "TOKEN SCOPE[,SCOPE...]", '#'
 *  starting a comment, blank lines ignored. TOKEN is the token itself or
 *  "sha256:HEX" (64 hex digits of the SHA-256 of the token), so the file
 *  need not hold secrets. Scopes: admin (everything), mm5 (/mep/config),
 *  dns-mgmt (/mep/dns_server_mgmt), metrics (/metrics), app:ID (Mp1 of that
 *  application instance only).
 *
 *  Only SHA-256 digests are kept in memory; a presented token is hashed
 *  (GnuTLS) and compared with every entry in constant time, so neither the
 *  position nor the length of a match leaks through timing.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

/*! What a route needs. */
typedef enum {
	SYNCD_NEED_NONE = 0, /*!< Public (/healthz, /readyz). */
	SYNCD_NEED_APP,      /*!< Mp1: admin or app:<the app instance id>. */
	SYNCD_NEED_MM5,      /*!< admin or mm5. */
	SYNCD_NEED_DNS_MGMT, /*!< admin or dns-mgmt. */
	SYNCD_NEED_METRICS,  /*!< admin or metrics. */
	SYNCD_NEED_EASDF,    /*!< admin or easdf (the SMF: DNS contexts). */
	SYNCD_NEED_ADMIN,    /*!< admin only. */
	SYNCD_NEED_ANY,      /*!< Any known token: a path or method with no
	                          route (its 404/405 tells only token holders
	                          what exists). */
} syncd_need_t;

typedef enum {
	SYNCD_AUTH_OK = 0,
	SYNCD_AUTH_UNAUTHORIZED, /*!< Missing, malformed or unknown token (401). */
	SYNCD_AUTH_FORBIDDEN,    /*!< Known token without the scope (403). */
} syncd_auth_result_t;

typedef struct syncd_auth syncd_auth_t;

/*!
 * \brief Parses token file content; name is used in messages ("FILE:LINE").
 * \return The token table, or NULL with a one-line reason in err.
 */
syncd_auth_t *syncd_auth_parse(const char *text, const char *name, char *err, size_t err_len);

/*! \brief Reads and parses a token file (see syncd_auth_parse()). */
syncd_auth_t *syncd_auth_load(const char *path, char *err, size_t err_len);

void syncd_auth_free(syncd_auth_t *auth);

/*! \brief Number of tokens. */
size_t syncd_auth_count(const syncd_auth_t *auth);

/*!
 * \brief Decides a request.
 *
 * \param auth           Token table; NULL means authorisation is off (no
 *                       token file: every request is allowed).
 * \param authorization  The Authorization header value, or NULL.
 * \param need           What the route needs.
 * \param app_id         The appInstanceId of an Mp1 route (SYNCD_NEED_APP).
 */
syncd_auth_result_t syncd_auth_check(const syncd_auth_t *auth, const char *authorization,
                                     syncd_need_t need, const char *app_id);

/*!
 * \brief syncd_auth_check(), and who is asking: *tenant (unless NULL) is
 *        true when the request is allowed only as the application itself
 *        (an app:ID token on an Mp1 route), which may then change only
 *        names granted to its app (docs/api.md, "Name ownership"); false
 *        for the operator's tokens (admin, mm5) and without a token file.
 */
syncd_auth_result_t syncd_auth_decide(const syncd_auth_t *auth, const char *authorization,
                                      syncd_need_t need, const char *app_id, bool *tenant);
