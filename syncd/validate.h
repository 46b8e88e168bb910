/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd validation: what a REST request may carry.
 *
 *  One place for the checks every API shares, so that Mp1, Mm5 and the
 *  rrecord API refuse the same input with the same words. Each check
 *  returns true when the value is acceptable; on false, err (if not NULL)
 *  gets one English sentence fit for a ProblemDetails "detail".
 *
 *  Domain names are checked by the store's mecdns_canonical_name() (RFC 1035
 *  lengths, LDH-or-underscore labels), so the API never accepts a name the
 *  store would refuse.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/*! Longest appInstanceId / dnsRuleId. */
#define SYNCD_ID_MAX 256
/*! Largest ttl (RFC 2181: 2^31 - 1). */
#define SYNCD_TTL_MAX 2147483647LL

/*!
 * \brief Whether id is a valid appInstanceId or dnsRuleId: 1 to 256
 *        characters of RFC 3986 "unreserved" ([A-Za-z0-9._~-]), so an id is
 *        its own URL path segment (UUIDs qualify). "." and ".." are refused.
 */
bool syncd_valid_id(const char *id, const char *what, char *err, size_t err_len);

/*! \brief Whether name is a valid FQDN (relative or absolute). */
bool syncd_valid_fqdn(const char *name, const char *what, char *err, size_t err_len);

/*! \brief Parses "IP_V4" / "IP_V6" (exact, case-sensitive). */
bool syncd_parse_ip_type(const char *text, mecdns_ip_type_t *type, char *err, size_t err_len);

/*! \brief Name of an address type ("IP_V4", "IP_V6"). */
const char *syncd_ip_type_name(mecdns_ip_type_t type);

/*!
 * \brief Checks that text is an address of the given type and writes its
 *        canonical form (inet_ntop) into out (at least 46 bytes).
 */
bool syncd_parse_ip(const char *text, mecdns_ip_type_t type, char *out, size_t out_len, char *err,
                    size_t err_len);

/*! \brief Parses "ACTIVE" / "INACTIVE" (exact). */
bool syncd_parse_state(const char *text, bool *active, char *err, size_t err_len);

/*! \brief Name of a rule state ("ACTIVE", "INACTIVE"). */
const char *syncd_state_name(bool active);

/*! \brief Whether a JSON number is an integer ttl in 0..2147483647. */
bool syncd_valid_ttl(double value, char *err, size_t err_len);
