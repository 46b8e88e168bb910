/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: assertions (Check) on the ProblemDetails answers
 *  (RFC 7807, application/problem+json) of mecdns-syncd's REST API.
 */

#pragma once

#include "tests/harness/http.h"

/*!
 * \brief Asserts a ProblemDetails answer: the HTTP status, Content-Type
 *        application/problem+json, and a JSON body whose "status" is the
 *        same and whose "type", "title" and "detail" are strings.
 *
 * \param detail_part  If not NULL, "detail" must contain it.
 */
void http_assert_problem(const http_response_t *resp, int status, const char *detail_part);
