/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  libFuzzer target: the DnsRule JSON mapping and validation
 *  (syncd/rule_json.c, syncd/validate.c, store/names.c) on arbitrary bytes
 *  taken as a request body.
 *
 *  The body is parsed as syncd's api_parse_body() does (cJSON, only white
 *  space after the value), then read in each mode: Mp1 PUT (FULL), Mm5 POST
 *  (CREATE) and Mm5 PUT (MERGE over a stored rule). Properties checked
 *  besides memory safety: an accepted rule maps back to JSON that is
 *  accepted again (FULL) and gives the same rule. The body is also given to
 *  syncd_if_match_version() as an If-Match header.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "syncd/rule_json.h"
#include "syncd/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* mecdns_rule_clear() lives in store.c (with SQLite); the same here. */
static void rule_clear(mecdns_rule_t *rule)
{
	free(rule->app_instance_id);
	free(rule->dns_rule_id);
	free(rule->domain_name);
	free(rule->owner);
	free(rule->ip_address);
	memset(rule, 0, sizeof(*rule));
}

static int fuzz_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return strcmp(a, b) == 0;
}

static void round_trip(const mecdns_rule_t *rule, const char *mode)
{
	cJSON *json = syncd_rule_to_json(rule);
	if (json == NULL) {
		fprintf(stderr, "%s: accepted rule has no JSON form\n", mode);
		abort();
	}
	mecdns_rule_t again;
	memset(&again, 0, sizeof(again));
	char err[512];
	if (!syncd_rule_from_json(json, SYNCD_RULE_FULL, &again, err, sizeof(err))) {
		char *text = cJSON_PrintUnformatted(json);
		fprintf(stderr, "%s: own JSON %s refused: %s\n", mode, text ? text : "?", err);
		abort();
	}
	if (!fuzz_str_eq(again.dns_rule_id, rule->dns_rule_id) ||
	    !fuzz_str_eq(again.domain_name, rule->domain_name) ||
	    !fuzz_str_eq(again.ip_address, rule->ip_address) || again.ip_type != rule->ip_type ||
	    again.ttl != rule->ttl || again.active != rule->active) {
		char *text = cJSON_PrintUnformatted(json);
		fprintf(stderr, "%s: rule changed through JSON %s\n", mode, text ? text : "?");
		abort();
	}
	rule_clear(&again);
	cJSON_Delete(json);
}

static void stored_rule(mecdns_rule_t *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->app_instance_id = strdup("app-1");
	rule->dns_rule_id = strdup("r1");
	rule->domain_name = strdup("www.example.com");
	rule->owner = strdup("www.example.com.");
	rule->ip_type = MECDNS_IP_V4;
	rule->ip_address = strdup("192.0.2.1");
	rule->ttl = 300;
	rule->active = true;
	rule->version = 3;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1);
	if (body == NULL) {
		return 0;
	}
	memcpy(body, data, size);
	body[size] = '\0';

	(void)syncd_if_match_version(body, 7);

	const char *end = NULL;
	cJSON *json = cJSON_ParseWithLengthOpts(body, size, &end, false);
	if (json != NULL) {
		for (; end != NULL && end < body + size; end++) {
			if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
				cJSON_Delete(json);
				json = NULL;
				break;
			}
		}
	}
	if (json != NULL) {
		char err[512];
		static const struct {
			syncd_rule_mode_t mode;
			const char *name;
		} modes[] = {
			{ SYNCD_RULE_FULL, "FULL" },
			{ SYNCD_RULE_CREATE, "CREATE" },
			{ SYNCD_RULE_MERGE, "MERGE" },
		};
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
			mecdns_rule_t rule;
			if (modes[i].mode == SYNCD_RULE_MERGE) {
				stored_rule(&rule);
			} else {
				memset(&rule, 0, sizeof(rule));
			}
			if (syncd_rule_from_json(json, modes[i].mode, &rule, err, sizeof(err))) {
				round_trip(&rule, modes[i].name);
			}
			rule_clear(&rule);
		}
		cJSON_Delete(json);
	}
	free(body);
	return 0;
}
