/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd paged listings (GET /rrecord, GET /mecdns/v1/dns_rules):
 *  ?limit=, the opaque cursor (the key of a page's last item) and the
 *  RFC 8288 Link to the next page. */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "syncd/api.h"

/*! Items per page without ?limit=, and the most a page may hold. */
#define SYNCD_PAGE_DEFAULT 1000
#define SYNCD_PAGE_MAX     10000

/*! Longest plain cursor text: an rrset key with its zone, owner, type
 *  and a scope of up to 2,048 characters (schema 8). */
#define SYNCD_CURSOR_MAX 2700

/*! \brief ?limit=: SYNCD_PAGE_DEFAULT when absent; 0 with a 400 problem in
 *         resp when it is not a number from 1 to SYNCD_PAGE_MAX. */
size_t syncd_page_limit(const syncd_request_t *req, syncd_response_t *resp);

/*! \brief The opaque cursor of a key of count fields: hex of the fields
 *         joined by newlines (malloc'd; NULL when out of memory). */
char *syncd_cursor_encode(const char *const *fields, size_t count);

/*!
 * \brief Splits a cursor this server gave into count fields, which point
 *        into plain (SYNCD_CURSOR_MAX + 1 bytes).
 * \return false if hex is no cursor of count fields (the caller checks the
 *         fields further, e.g. that names are canonical).
 */
bool syncd_cursor_decode(const char *hex, char *plain, const char **fields, size_t count);

/*! \brief "&NAME=" and value percent-encoded (RFC 3986 unreserved kept), ""
 *         for a NULL value; malloc'd, NULL when out of memory. */
char *syncd_query_part(const char *name, const char *value);

/*! \brief Link header value of the next page: path?limit=N&cursor=C plus
 *         extra (a syncd_query_part(), may be ""); NULL when out of memory. */
char *syncd_next_link(const char *path, size_t limit, const char *cursor, const char *extra);
