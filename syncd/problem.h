/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd problems: every error answer is an RFC 7807 ProblemDetails
 *  (application/problem+json) carrying the real HTTP status, as ETSI GS MEC
 *  011's ProblemDetails schema wants: type, title, status, detail, instance.
 *
 *  type is "about:blank", so title is the HTTP reason phrase (RFC 7807
 *  section 4.2); detail says what was wrong with this request.
 */

#pragma once

#include <cjson/cJSON.h>

#include "store/store.h"
#include "syncd/response.h"

#define SYNCD_PROBLEM_CONTENT_TYPE "application/problem+json"

/*! \brief The reason phrase of an HTTP status ("Not Found"), "Unknown" if none. */
const char *syncd_http_reason(int status);

/*! \brief A ProblemDetails object; instance may be NULL (then omitted). */
cJSON *syncd_problem_json(int status, const char *detail, const char *instance);

/*! \brief Fills resp with a ProblemDetails answer. */
void syncd_problem(syncd_response_t *resp, int status, const char *detail, const char *instance);

/*! \brief printf-style detail. */
void syncd_problemf(syncd_response_t *resp, int status, const char *instance, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*! \brief The HTTP status for a store result: NOT_FOUND 404, EXISTS and
 *         CONFLICT 409, STALE 412, INVALID 400, BUSY/READONLY/CORRUPT 503,
 *         FULL 507, ERROR 500, OK 200. */
int syncd_store_http_status(mecdns_store_status_t status);

/*! \brief Fills resp with the problem for a failed store call; what names
 *         the resource ("DNS rule r1 of application instance a"). */
void syncd_problem_store(syncd_response_t *resp, mecdns_store_status_t status, const char *what,
                         const char *instance);
