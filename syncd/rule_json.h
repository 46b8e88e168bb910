/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd DnsRule JSON: ETSI GS MEC 011 DnsRule <-> mecdns_rule_t, and
 *  the ETag of a rule.
 *
 *  A DnsRule is {"dnsRuleId", "domainName", "ipAddressType", "ipAddress",
 *  "ttl" (optional integer), "state"}, and on Mm5 the extension
 *  "clientSubnets" (array of CIDR strings, null: every client; Mp1 neither
 *  reads nor shows it and keeps the stored scope). Unknown members are ignored (forward
 *  compatibility); a known member of the wrong JSON type is an error. The
 *  domainName is kept as sent (the store derives the canonical owner), the
 *  ipAddress is re-formatted canonically.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"

typedef enum {
	/*! Mp1 PUT: a full DnsRule; every member but ttl is required (an
	 *  absent or null ttl means "not set"). */
	SYNCD_RULE_FULL,
	/*! Mm5 POST: like FULL, but state defaults to ACTIVE. */
	SYNCD_RULE_CREATE,
	/*! Mm5 PUT: every member optional; those present replace the
	 *  corresponding fields of *rule (which holds the current rule);
	 *  "ttl": null unsets the ttl. */
	SYNCD_RULE_MERGE,
} syncd_rule_mode_t;

/*!
 * \brief Reads a DnsRule object into rule and validates the result.
 *
 * In FULL and CREATE mode rule must be zeroed (or cleared) on entry; app
 * instance id is not touched. The strings put into rule are malloc'd (free
 * with mecdns_rule_clear()). The dnsRuleId of the body, if any, goes into
 * rule->dns_rule_id only when it was NULL; otherwise it must be equal.
 *
 * \return true, or false with a one-sentence reason in err; on false the
 *         rule may be partly filled (clear it).
 */
bool syncd_rule_from_json(const cJSON *json, syncd_rule_mode_t mode, mecdns_rule_t *rule, char *err,
                          size_t err_len);

/*! \brief Validates the fields of a complete rule (ids, name, address
 *         matching its type, ttl) and canonicalises ip_address in place. */
bool syncd_rule_validate(mecdns_rule_t *rule, char *err, size_t err_len);

/*! \brief The DnsRule object of a rule (ttl omitted when unset), or NULL:
 *         exactly ETSI's DnsRule (Mp1). */
cJSON *syncd_rule_to_json(const mecdns_rule_t *rule);

/*! \brief As syncd_rule_to_json(), with extensions (Mm5): clientSubnets
 *         when the rule is scoped. */
cJSON *syncd_rule_to_json_as(const mecdns_rule_t *rule, bool extensions);

/*! \brief Reads the member "clientSubnets" of json (Mm5 rules and rrecord
 *         sets, docs/api.md "Client subnets"): an array of CIDR strings into
 *         the canonical scope (*scope replaced), null for every client.
 * \return 0 absent (*scope unchanged), 1 read, -1 error (err names the
 *         member or item). */
int syncd_scope_from_json(const cJSON *json, char **scope, char *err, size_t err_len);

/*! \brief Adds the scope as member "clientSubnets" (an array, canonical
 *         order) to json; nothing when scope is NULL. false on ENOMEM. */
bool syncd_scope_to_json(cJSON *json, const char *scope);

/*! \brief The ETag of a rule version: "\"<version>\"" into out. */
void syncd_rule_etag(uint64_t version, char *out, size_t out_len);

/*!
 * \brief Evaluates an If-Match header value against the versions a rule
 *        could have.
 *
 * \return 0 for "*" (any existing version), the version named by the
 *         header when it lists exactly one strong ETag of ours, or
 *         UINT64_MAX when it can match no version (malformed, weak or
 *         foreign ETags): the caller then answers 412. With several ETags
 *         the first one that equals current_version is returned (or
 *         UINT64_MAX).
 */
uint64_t syncd_if_match_version(const char *if_match, uint64_t current_version);
