/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd DnsRule JSON (see rule_json.h). */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/subnet.h"
#include "syncd/rule_json.h"
#include "syncd/validate.h"

/*! \brief Writes a formatted message into err and returns false. */
static bool fail(char *err, size_t err_len, const char *fmt, const char *member)
{
	if (err != NULL && err_len > 0) {
		snprintf(err, err_len, fmt, member);
	}
	return false;
}

/*!
 * \brief Finds an optional string member; *value points into json.
 * \return 1 when present, 0 when absent, -1 when it is not a string.
 */
static int peek_string(const cJSON *json, const char *name, const char **value, char *err,
                       size_t err_len)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, name);
	if (item == NULL) {
		return 0;
	}
	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		fail(err, err_len, "%s must be a string", name);
		return -1;
	}
	*value = item->valuestring;
	return 1;
}

/*!
 * \brief Reads an optional string member into *dst (replacing it).
 * \return 1 when present, 0 when absent, -1 on a type error or ENOMEM.
 */
static int take_string(const cJSON *json, const char *name, char **dst, char *err, size_t err_len)
{
	const char *value = NULL;
	int present = peek_string(json, name, &value, err, err_len);
	if (present <= 0) {
		return present;
	}
	char *copy = strdup(value);
	if (copy == NULL) {
		fail(err, err_len, "out of memory reading %s", name);
		return -1;
	}
	free(*dst);
	*dst = copy;
	return 1;
}

/*! \brief Reads the ttl member: absent 0, set 1, error -1. */
static int take_ttl(const cJSON *json, int64_t *ttl, char *err, size_t err_len)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, "ttl");
	if (item == NULL) {
		return 0;
	}
	if (cJSON_IsNull(item)) {
		*ttl = -1;
		return 1;
	}
	if (!cJSON_IsNumber(item)) {
		fail(err, err_len, "%s must be an integer", "ttl");
		return -1;
	}
	if (!syncd_valid_ttl(item->valuedouble, err, err_len)) {
		return -1;
	}
	*ttl = (int64_t)item->valuedouble;
	return 1;
}

int syncd_scope_from_json(const cJSON *json, char **scope, char *err, size_t err_len)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, "clientSubnets");
	if (item == NULL) {
		return 0;
	}
	char *canonical = NULL;
	if (!cJSON_IsNull(item)) {
		if (!cJSON_IsArray(item)) {
			fail(err, err_len, "%s must be an array of IPv4/IPv6 CIDR strings or null",
			     "clientSubnets");
			return -1;
		}
		const char *texts[MECDNS_SUBNETS_MAX + 1];
		size_t count = 0;
		const cJSON *element;
		cJSON_ArrayForEach(element, item)
		{
			if (!cJSON_IsString(element)) {
				snprintf(err, err_len,
				         "clientSubnets[%zu] must be a string (\"10.45.0.0/16\")",
				         count);
				return -1;
			}
			if (count <= MECDNS_SUBNETS_MAX) {
				texts[count] = element->valuestring;
			}
			count++;
		}
		char why[300];
		canonical = mecdns_subnets_canonical(texts, count, why, sizeof(why));
		if (canonical == NULL) {
			/* why is "[I] reason" for one item, else the reason. */
			snprintf(err, err_len, "clientSubnets%s%s", why[0] == '[' ? "" : ": ", why);
			return -1;
		}
	}
	free(*scope);
	*scope = canonical;
	return 1;
}

bool syncd_rule_from_json(const cJSON *json, syncd_rule_mode_t mode, mecdns_rule_t *rule, char *err,
                          size_t err_len)
{
	if (!cJSON_IsObject(json)) {
		return fail(err, err_len, "%s must be a JSON object", "the body");
	}
	bool merge = mode == SYNCD_RULE_MERGE;

	/* dnsRuleId: fills an empty key, must equal an existing one. */
	char *body_id = NULL;
	int present = take_string(json, "dnsRuleId", &body_id, err, err_len);
	if (present < 0) {
		return false;
	}
	if (present == 0 && !merge) {
		return fail(err, err_len, "%s is required", "dnsRuleId");
	}
	if (present > 0) {
		if (rule->dns_rule_id == NULL) {
			rule->dns_rule_id = body_id;
		} else {
			bool same = strcmp(rule->dns_rule_id, body_id) == 0;
			free(body_id);
			if (!same) {
				return fail(err, err_len,
				            "%s in the body differs from the one in the URI "
				            "(a rule's id cannot change)",
				            "dnsRuleId");
			}
		}
	}

	present = take_string(json, "domainName", &rule->domain_name, err, err_len);
	if (present < 0) {
		return false;
	}
	if (present == 0 && !merge) {
		return fail(err, err_len, "%s is required", "domainName");
	}

	const char *text = NULL;
	present = peek_string(json, "ipAddressType", &text, err, err_len);
	if (present < 0) {
		return false;
	}
	if (present == 0 && !merge) {
		return fail(err, err_len, "%s is required", "ipAddressType");
	}
	if (present > 0 && !syncd_parse_ip_type(text, &rule->ip_type, err, err_len)) {
		return false;
	}

	present = take_string(json, "ipAddress", &rule->ip_address, err, err_len);
	if (present < 0) {
		return false;
	}
	if (present == 0 && !merge) {
		return fail(err, err_len, "%s is required", "ipAddress");
	}

	if (!merge) {
		rule->ttl = -1;
	}
	if (take_ttl(json, &rule->ttl, err, err_len) < 0) {
		return false;
	}

	present = peek_string(json, "state", &text, err, err_len);
	if (present < 0) {
		return false;
	}
	if (present == 0 && mode == SYNCD_RULE_FULL) {
		return fail(err, err_len, "%s is required", "state");
	}
	if (present == 0 && mode == SYNCD_RULE_CREATE) {
		rule->active = true;
	}
	if (present > 0 && !syncd_parse_state(text, &rule->active, err, err_len)) {
		return false;
	}

	/* Mp1's DnsRule has no scope: an Mp1 PUT keeps the stored one. */
	rule->keep_client_subnets = mode == SYNCD_RULE_FULL;
	if (mode != SYNCD_RULE_FULL &&
	    syncd_scope_from_json(json, &rule->client_subnets, err, err_len) < 0) {
		return false;
	}

	return syncd_rule_validate(rule, err, err_len);
}

bool syncd_rule_validate(mecdns_rule_t *rule, char *err, size_t err_len)
{
	if (rule->app_instance_id != NULL &&
	    !syncd_valid_id(rule->app_instance_id, "appInstanceId", err, err_len)) {
		return false;
	}
	if (!syncd_valid_id(rule->dns_rule_id, "dnsRuleId", err, err_len) ||
	    !syncd_valid_fqdn(rule->domain_name, "domainName", err, err_len)) {
		return false;
	}
	if (rule->ip_type != MECDNS_IP_V4 && rule->ip_type != MECDNS_IP_V6) {
		return fail(err, err_len, "%s is required", "ipAddressType");
	}
	char canonical[INET6_ADDRSTRLEN];
	if (!syncd_parse_ip(rule->ip_address, rule->ip_type, canonical, sizeof(canonical), err,
	                    err_len)) {
		return false;
	}
	if (strcmp(canonical, rule->ip_address) != 0) {
		char *copy = strdup(canonical);
		if (copy == NULL) {
			return fail(err, err_len, "out of memory reading %s", "ipAddress");
		}
		free(rule->ip_address);
		rule->ip_address = copy;
	}
	if (rule->ttl != -1 && !syncd_valid_ttl((double)rule->ttl, err, err_len)) {
		return false;
	}
	return true;
}

cJSON *syncd_rule_to_json(const mecdns_rule_t *rule)
{
	return syncd_rule_to_json_as(rule, false);
}

bool syncd_scope_to_json(cJSON *json, const char *scope)
{
	if (scope == NULL) {
		return true;
	}
	mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
	size_t count = mecdns_subnets_parse_list(scope, subnets);
	cJSON *array = cJSON_AddArrayToObject(json, "clientSubnets");
	for (size_t i = 0; array != NULL && i < count; i++) {
		char text[64];
		mecdns_subnet_format(&subnets[i], text, sizeof(text));
		cJSON *item = cJSON_CreateString(text);
		if (item == NULL || !cJSON_AddItemToArray(array, item)) {
			cJSON_Delete(item);
			return false;
		}
	}
	return array != NULL;
}

cJSON *syncd_rule_to_json_as(const mecdns_rule_t *rule, bool extensions)
{
	cJSON *json = cJSON_CreateObject();
	if (json == NULL) {
		return NULL;
	}
	bool ok =
	    cJSON_AddStringToObject(json, "dnsRuleId", rule->dns_rule_id) != NULL &&
	    cJSON_AddStringToObject(json, "domainName", rule->domain_name) != NULL &&
	    cJSON_AddStringToObject(json, "ipAddressType", syncd_ip_type_name(rule->ip_type)) !=
	        NULL &&
	    cJSON_AddStringToObject(json, "ipAddress", rule->ip_address) != NULL &&
	    (rule->ttl < 0 || cJSON_AddNumberToObject(json, "ttl", (double)rule->ttl) != NULL) &&
	    cJSON_AddStringToObject(json, "state", syncd_state_name(rule->active)) != NULL &&
	    (!extensions || syncd_scope_to_json(json, rule->client_subnets));
	if (!ok) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

void syncd_rule_etag(uint64_t version, char *out, size_t out_len)
{
	snprintf(out, out_len, "\"%" PRIu64 "\"", version);
}

/*! \brief Parses one strong ETag "\"N\"" at *p; advances *p past it.
 *  \return true with *version, false if the element is not one of ours. */
static bool parse_etag(const char **p, uint64_t *version)
{
	const char *s = *p;
	if (*s == '"') {
		char *end = NULL;
		errno = 0;
		if (s[1] >= '0' && s[1] <= '9') {
			unsigned long long v = strtoull(s + 1, &end, 10);
			if (errno == 0 && end != NULL && *end == '"' && v > 0) {
				*version = v;
				*p = end + 1;
				return true;
			}
		}
	}
	/* Skip a foreign or weak element up to the next comma. */
	while (**p != '\0' && **p != ',') {
		(*p)++;
	}
	return false;
}

uint64_t syncd_if_match_version(const char *if_match, uint64_t current_version)
{
	if (if_match == NULL) {
		return UINT64_MAX;
	}
	const char *p = if_match;
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	if (p[0] == '*') {
		const char *q = p + 1;
		while (*q == ' ' || *q == '\t') {
			q++;
		}
		return *q == '\0' ? 0 : UINT64_MAX;
	}

	uint64_t first = UINT64_MAX;
	size_t count = 0;
	bool matched = false;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',') {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		uint64_t version = 0;
		if (parse_etag(&p, &version)) {
			count++;
			if (first == UINT64_MAX) {
				first = version;
			}
			if (version == current_version && !matched) {
				matched = true;
				first = version;
			}
		} else {
			count++;
		}
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (*p != ',' && *p != '\0') {
			return UINT64_MAX; /* Malformed list. */
		}
	}
	if (count == 1) {
		return first;
	}
	return matched ? current_version : UINT64_MAX;
}
