/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd operator endpoints under /mecdns/v1 (what mecdnsctl asks):
 *  status (GetState, readiness and counts in one answer), lookup (what a
 *  device would get at a name, and which rules and sets decide it) and
 *  backup (an online copy of the database). */

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "common/answer.h"
#include "common/log.h"
#include "common/rdata.h"
#include "common/subnet.h"
#include "module/index.h"
#include "module/refresh.h"
#include "syncd/api.h"
#include "syncd/paging.h"
#include "syncd/problem.h"
#include "syncd/rule_json.h"
#include "syncd/validate.h"

/*! TTL the lookup gives rules without one: the module's default-ttl, which
 *  only knotd's configuration knows (shown as null). */
#define TTL_UNKNOWN ((uint32_t)INT32_MAX)

/*** Status. ***/

static void add_knot_state(const mecdns_signals_state_t *state, void *data)
{
	cJSON *knot = data;
	cJSON_AddBoolToObject(knot, "tracking", state->tracking);
	cJSON_AddBoolToObject(knot, "serverRunning", state->server_running);
	cJSON_AddBoolToObject(knot, "serverCrashed", state->server_crashed);
	cJSON_AddBoolToObject(knot, "allZonesReady", state->all_zones_ready);
	cJSON_AddBoolToObject(knot, "serving", state->serving);
	cJSON_AddNumberToObject(knot, "moduleGeneration", (double)state->module_generation);
	cJSON_AddNumberToObject(knot, "qps", state->qps);
	cJSON_AddNumberToObject(knot, "qpsThreshold", state->qps_threshold);
	cJSON_AddBoolToObject(knot, "qpsExceeded", state->qps_exceeded);
	cJSON_AddNumberToObject(knot, "qpsIncrease", state->qps_increase);
	cJSON_AddNumberToObject(knot, "qpsIncreaseThreshold", state->qps_increase_threshold);
	cJSON_AddBoolToObject(knot, "qpsIncreaseExceeded", state->qps_increase_exceeded);
	cJSON_AddNumberToObject(knot, "zoneExpiryPeriod", (double)state->zone_expiry_period);
	cJSON_AddNumberToObject(knot, "signatureExpiryPeriod",
	                        (double)state->signature_expiry_period);
	cJSON *codes = cJSON_AddArrayToObject(knot, "edeCodes");
	cJSON *occurring = cJSON_AddArrayToObject(knot, "edeOccurring");
	for (unsigned i = 0; codes != NULL && occurring != NULL && i < MECDNS_EDE_SLOTS; i++) {
		if (state->ede_watched[i]) {
			cJSON_AddItemToArray(codes, cJSON_CreateNumber(mecdns_ede_code(i)));
		}
		cJSON *item = state->ede_occurring[i] ? cJSON_CreateObject() : NULL;
		if (item != NULL && cJSON_AddItemToArray(occurring, item)) {
			cJSON_AddNumberToObject(item, "code", mecdns_ede_code(i));
			cJSON_AddStringToObject(item, "name", mecdns_ede_name(i));
			cJSON_AddNumberToObject(item, "count", (double)state->ede_count[i]);
		}
	}
	cJSON *zones = cJSON_AddArrayToObject(knot, "zones");
	for (size_t i = 0; zones != NULL && i < state->zone_count; i++) {
		cJSON *zone = cJSON_CreateObject();
		if (zone == NULL || !cJSON_AddItemToArray(zones, zone)) {
			cJSON_Delete(zone);
			break;
		}
		cJSON_AddStringToObject(zone, "zone", state->zones[i].zone);
		cJSON_AddBoolToObject(zone, "ready", state->zones[i].ready);
		cJSON_AddNumberToObject(zone, "serial", state->zones[i].serial);
		const mecdns_signals_zone_t *from = &state->zones[i];
		cJSON_AddBoolToObject(zone, "expiring", from->expiring);
		cJSON_AddBoolToObject(zone, "signaturesExpiring", from->signatures_expiring);
		if (from->expiring) {
			cJSON_AddNumberToObject(zone, "expiresIn", (double)from->expiring_left);
		}
		if (from->signatures_expiring) {
			cJSON *sig = cJSON_AddObjectToObject(zone, "signatureExpiring");
			cJSON_AddStringToObject(sig, "owner", from->signature_owner);
			cJSON_AddStringToObject(sig, "type", from->signature_type);
			cJSON_AddNumberToObject(sig, "expiresIn", (double)from->signatures_left);
		}
	}
}

void api_status(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	uint64_t active = 0, inactive = 0, rrsets = 0, generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_rule_counts(ctx->store, &active, &inactive, &rrsets);
	if (status == MECDNS_STORE_OK) {
		status = mecdns_store_state(ctx->store, &generation, NULL, NULL);
	}
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, "status", req->path);
		return;
	}
	char why[512];
	bool ready = api_ready(ctx, why, sizeof(why));
	cJSON *json = cJSON_CreateObject();
	cJSON *rules = cJSON_AddObjectToObject(json, "rules");
	cJSON *bus = cJSON_AddObjectToObject(json, "dbus");
	cJSON *knot = cJSON_AddObjectToObject(json, "knot");
	if (json == NULL || rules == NULL || bus == NULL || knot == NULL) {
		cJSON_Delete(json);
		syncd_problem(resp, 500, "out of memory", req->path);
		return;
	}
	cJSON_AddNumberToObject(json, "generation", (double)generation);
	cJSON_AddBoolToObject(json, "ready", ready);
	cJSON_AddStringToObject(json, "readiness", why);
	cJSON_AddStringToObject(json, "auth", ctx->auth != NULL ? "tokens" : "none");
	cJSON_AddNumberToObject(rules, "active", (double)active);
	cJSON_AddNumberToObject(rules, "inactive", (double)inactive);
	cJSON_AddNumberToObject(json, "rrsets", (double)rrsets);
	cJSON_AddStringToObject(bus, "bus", ctx->config->dbus);
	cJSON_AddBoolToObject(bus, "connected",
	                      ctx->signals != NULL && mecdns_signals_connected(ctx->signals));
	cJSON_AddNumberToObject(
	    bus, "outboxDepth",
	    (double)(ctx->signals != NULL ? mecdns_signals_outbox_depth(ctx->signals) : 0));
	if (ctx->kstate != NULL && ctx->signals != NULL) {
		mecdns_signals_read_state(ctx->signals, add_knot_state, knot);
	} else {
		cJSON_AddBoolToObject(knot, "tracking", false);
	}
	if (ctx->kstate != NULL) {
		kstate_module_t m;
		kstate_module(ctx->kstate, &m);
		cJSON *module = cJSON_AddObjectToObject(json, "module");
		cJSON_AddBoolToObject(module, "loaded", m.found);
		cJSON_AddNumberToObject(module, "generation", (double)m.generation);
		cJSON_AddNumberToObject(module, "records", (double)m.records);
		cJSON_AddNumberToObject(module, "answered", (double)m.answered);
		cJSON_AddNumberToObject(module, "nodata", (double)m.nodata);
		cJSON_AddNumberToObject(module, "passed", (double)m.passed);
	}
	syncd_response_json(resp, 200, json);
	syncd_response_generation(resp, generation);
}

/*** Lookup. ***/

/*! \brief Parses ?client=ADDR or ADDR/LEN (an ECS source prefix). */
static bool parse_client(const char *text, mecdns_client_t *client, char *err, size_t err_len)
{
	memset(client, 0, sizeof(*client));
	if (text == NULL) {
		return true; /* Unknown: every scope is skipped, as for a query
		                without a client address. */
	}
	char addr[INET6_ADDRSTRLEN + 8];
	if (strlen(text) >= sizeof(addr)) {
		snprintf(err, err_len, "client: not an IPv4 or IPv6 address");
		return false;
	}
	strcpy(addr, text);
	char *slash = strchr(addr, '/');
	long bits = -1;
	if (slash != NULL) {
		*slash = '\0';
		char *end = NULL;
		bits = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0') {
			bits = 999;
		}
	}
	if (inet_pton(AF_INET, addr, client->addr) == 1) {
		client->family = 4;
		client->bits = 32;
	} else if (inet_pton(AF_INET6, addr, client->addr) == 1) {
		client->family = 6;
		client->bits = 128;
	} else {
		snprintf(err, err_len, "client: %s is not an IPv4 or IPv6 address", text);
		return false;
	}
	if (bits >= 0) {
		if (bits > client->bits) {
			snprintf(err, err_len, "client: /%s is longer than the address", slash + 1);
			return false;
		}
		client->bits = (uint8_t)bits;
	}
	return true;
}

/*! \brief The records of the answer, as text. */
static cJSON *records_json(const knot_rrset_t *rrset)
{
	cJSON *array = cJSON_CreateArray();
	char type[32];
	mecdns_rrtype_name(rrset->type, type, sizeof(type));
	for (uint16_t i = 0; array != NULL && i < rrset->rrs.count; i++) {
		char data[4096];
		if (knot_rrset_txt_dump_data(rrset, i, data, sizeof(data),
		                             &KNOT_DUMP_STYLE_DEFAULT) < 0) {
			snprintf(data, sizeof(data), "(not printable)");
		}
		cJSON *record = cJSON_CreateObject();
		if (record == NULL || !cJSON_AddItemToArray(array, record)) {
			cJSON_Delete(record);
			break;
		}
		cJSON_AddStringToObject(record, "type", type);
		if (rrset->ttl == TTL_UNKNOWN) {
			cJSON_AddNullToObject(record, "ttl"); /* knotd's default-ttl */
		} else {
			cJSON_AddNumberToObject(record, "ttl", rrset->ttl);
		}
		cJSON_AddStringToObject(record, "data", data);
	}
	return array;
}

/*! \brief Whether the rule's records are part of the answer, and why not. */
static const char *rule_role(const mecdns_rule_t *rule, uint16_t qtype, const knot_rrset_t *answer,
                             const mecdns_subnet_t *decided)
{
	uint16_t type = rule->ip_type == MECDNS_IP_V6 ? KNOT_RRTYPE_AAAA : KNOT_RRTYPE_A;
	if (!rule->active) {
		return "INACTIVE";
	}
	if (answer != NULL && answer->type == KNOT_RRTYPE_CNAME) {
		return "a CNAME at the name answers every type";
	}
	if (qtype != type && qtype != KNOT_RRTYPE_ANY) {
		return "another type";
	}
	if (answer == NULL || answer->type != type) {
		return "another type answers";
	}
	if (decided == NULL) {
		return rule->client_subnets == NULL ? NULL
		                                    : "its clientSubnets do not hold the client";
	}
	if (rule->client_subnets == NULL) {
		return "unscoped: a client subnet decided";
	}
	mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
	size_t count = mecdns_subnets_parse_list(rule->client_subnets, subnets);
	for (size_t i = 0; i < count; i++) {
		if (subnets[i].family == decided->family && subnets[i].length == decided->length &&
		    memcmp(subnets[i].addr, decided->addr, sizeof(subnets[i].addr)) == 0) {
			return NULL;
		}
	}
	return "another client subnet decided";
}

/*! \brief Adds the rules and sets of the name, each with its role. */
static void explain(cJSON *json, const mecdns_rule_list_t *rules, const mecdns_rrset_list_t *sets,
                    uint16_t qtype, const knot_rrset_t *answer, const mecdns_subnet_t *decided)
{
	cJSON *array = cJSON_AddArrayToObject(json, "rules");
	for (size_t i = 0; array != NULL && i < rules->count; i++) {
		cJSON *item = syncd_rule_to_json_as(&rules->items[i], true);
		if (item == NULL || !cJSON_AddItemToArray(array, item)) {
			cJSON_Delete(item);
			break;
		}
		cJSON_AddStringToObject(item, "appInstanceId", rules->items[i].app_instance_id);
		const char *why = rule_role(&rules->items[i], qtype, answer, decided);
		cJSON_AddBoolToObject(item, "answers", why == NULL);
		if (why != NULL) {
			cJSON_AddStringToObject(item, "why", why);
		}
	}
	array = cJSON_AddArrayToObject(json, "rrsets");
	for (size_t i = 0; array != NULL && i < sets->count; i++) {
		const mecdns_rrset_t *set = &sets->items[i];
		char type[32];
		mecdns_rrtype_name(set->type, type, sizeof(type));
		cJSON *item = cJSON_CreateObject();
		cJSON *rdata = cJSON_CreateArray();
		if (item == NULL || rdata == NULL || !cJSON_AddItemToArray(array, item)) {
			cJSON_Delete(item);
			cJSON_Delete(rdata);
			break;
		}
		cJSON_AddStringToObject(item, "zone", set->zone);
		cJSON_AddStringToObject(item, "type", type);
		cJSON_AddNumberToObject(item, "ttl", set->ttl);
		for (size_t r = 0; r < set->rdata_count; r++) {
			cJSON_AddItemToArray(rdata, cJSON_CreateString(set->rdata[r].text));
		}
		cJSON_AddItemToObject(item, "rData", rdata);
		bool answers = answer != NULL && answer->type == set->type &&
		               (answer->type == KNOT_RRTYPE_CNAME || decided == NULL);
		cJSON_AddBoolToObject(item, "answers", answers);
		if (!answers) {
			cJSON_AddStringToObject(item, "why",
			                        answer != NULL && answer->type == set->type
			                            ? "a client subnet decided"
			                            : "another type");
		}
	}
}

/*! \brief The entry the module would build from the rows (module/rows.c:
 *         the same conversion the refresher does). NULL on ENOMEM. */
static mecdns_owner_t *build_entry(const knot_dname_t *owner, const mecdns_rule_list_t *rules,
                                   const mecdns_rrset_list_t *sets)
{
	mecdns_owner_t *entry = mecdns_owner_new(owner);
	if (entry == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < rules->count; i++) {
		const mecdns_rule_t *rule = &rules->items[i];
		if (rule->active) {
			(void)mecdns_entry_add_rule(
			    entry, rule->ip_type == MECDNS_IP_V6 ? "IP_V6" : "IP_V4",
			    rule->ip_address, rule->ttl >= 0, rule->ttl, TTL_UNKNOWN,
			    rule->client_subnets);
		}
	}
	for (size_t i = 0; i < sets->count; i++) {
		for (size_t r = 0; r < sets->items[i].rdata_count; r++) {
			(void)mecdns_entry_add_rdata(entry, sets->items[i].type, sets->items[i].ttl,
			                             sets->items[i].rdata[r].wire,
			                             sets->items[i].rdata[r].wire_len,
			                             sets->items[i].client_subnets);
		}
	}
	return entry;
}

/*! \brief Fills the answer members of json; false on ENOMEM. */
static bool answer_json(cJSON *json, const mecdns_owner_t *entry, uint16_t qtype,
                        const mecdns_client_t *client, const knot_rrset_t **answer,
                        const mecdns_subnet_t **decided)
{
	*answer = NULL;
	*decided = NULL;
	if (mecdns_qtype_passes(qtype) || !mecdns_owner_has_data(entry)) {
		return cJSON_AddStringToObject(json, "answer", "pass") != NULL &&
		       cJSON_AddStringToObject(
		           json, "explanation",
		           mecdns_qtype_passes(qtype)
		               ? "mod-mecdns passes this type to knotd's zones"
		               : "nothing stored at the name: knotd's zones answer "
		                 "(or a wildcard, see docs/api.md)") != NULL;
	}
	uint8_t scope_len = 0;
	*answer = mecdns_owner_decide(entry, qtype, client, &scope_len, decided);
	if (*answer == NULL) {
		return cJSON_AddStringToObject(json, "answer", "nodata") != NULL;
	}
	cJSON *records = records_json(*answer);
	if (records == NULL || !cJSON_AddItemToObject(json, "records", records)) {
		cJSON_Delete(records);
		return false;
	}
	cJSON_AddStringToObject(json, "answer", "data");
	if (*decided != NULL) {
		char subnet[64];
		mecdns_subnet_format(*decided, subnet, sizeof(subnet));
		cJSON_AddStringToObject(json, "clientSubnet", subnet);
	} else {
		cJSON_AddNullToObject(json, "clientSubnet");
	}
	cJSON_AddNumberToObject(json, "scopePrefixLength", scope_len);
	return true;
}

void api_lookup(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	const char *name = syncd_request_query(req, "name");
	const char *type_text = syncd_request_query(req, "type");
	char err[256];
	uint16_t qtype = KNOT_RRTYPE_A;
	mecdns_client_t client;
	if (name == NULL || name[0] == '\0') {
		syncd_problem(resp, 400, "lookup needs ?name=", req->path);
		return;
	}
	if (type_text != NULL && !mecdns_rrtype_parse(type_text, &qtype, err, sizeof(err))) {
		syncd_problemf(resp, 400, req->path, "type: %s", err);
		return;
	}
	if (!parse_client(syncd_request_query(req, "client"), &client, err, sizeof(err))) {
		syncd_problem(resp, 400, err, req->path);
		return;
	}
	char *owner = mecdns_canonical_name(name);
	knot_dname_storage_t wire;
	if (owner == NULL || knot_dname_from_str(wire, owner, sizeof(wire)) == NULL) {
		free(owner);
		syncd_problemf(resp, 400, req->path, "name: %.300s is not a domain name", name);
		return;
	}

	mecdns_rule_list_t rules;
	mecdns_rrset_list_t sets;
	uint64_t generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_name_get(ctx->store, owner, &rules, &sets, &generation);
	if (status != MECDNS_STORE_OK) {
		free(owner);
		syncd_problem_store(resp, status, "lookup", req->path);
		return;
	}
	mecdns_owner_t *entry = build_entry(wire, &rules, &sets);
	cJSON *json = cJSON_CreateObject();
	char type[32];
	mecdns_rrtype_name(qtype, type, sizeof(type));
	const knot_rrset_t *answer = NULL;
	const mecdns_subnet_t *decided = NULL;
	bool ok = entry != NULL && json != NULL &&
	          cJSON_AddStringToObject(json, "name", owner) != NULL &&
	          cJSON_AddStringToObject(json, "type", type) != NULL &&
	          cJSON_AddNumberToObject(json, "generation", (double)generation) != NULL &&
	          answer_json(json, entry, qtype, &client, &answer, &decided);
	if (ok) {
		const char *client_text = syncd_request_query(req, "client");
		if (client_text != NULL) {
			cJSON_AddStringToObject(json, "client", client_text);
		} else {
			cJSON_AddNullToObject(json, "client");
		}
		explain(json, &rules, &sets, qtype, answer, decided);
	}
	mecdns_owner_free(entry);
	mecdns_rule_list_free(&rules);
	mecdns_rrset_list_free(&sets);
	free(owner);
	if (!ok) {
		cJSON_Delete(json);
		syncd_problem(resp, 500, "out of memory", req->path);
		return;
	}
	syncd_response_json(resp, 200, json);
	syncd_response_generation(resp, generation);
}

/*** Every app's rules, paged. ***/

/*! \brief A rule as listed across apps: its Mm5 form and its app. */
static cJSON *listed_rule(const mecdns_rule_t *rule)
{
	cJSON *item = syncd_rule_to_json_as(rule, true);
	if (item != NULL &&
	    cJSON_AddStringToObject(item, "appInstanceId", rule->app_instance_id) == NULL) {
		cJSON_Delete(item);
		return NULL;
	}
	return item;
}

void api_rules_page(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	size_t limit = syncd_page_limit(req, resp);
	if (limit == 0) {
		return;
	}
	const char *cursor_text = syncd_request_query(req, "cursor");
	char plain[SYNCD_CURSOR_MAX + 1];
	const char *after[2] = { NULL, NULL };
	char err[256];
	if (cursor_text != NULL && (!syncd_cursor_decode(cursor_text, plain, after, 2) ||
	                            !syncd_valid_id(after[0], "appInstanceId", err, sizeof(err)) ||
	                            !syncd_valid_id(after[1], "dnsRuleId", err, sizeof(err)))) {
		syncd_problem(resp, 400,
		              "cursor is not one this server gave for this listing (take it from "
		              "the Link header of the previous page)",
		              req->path);
		return;
	}
	if (!syncd_limits_listing_begin(ctx->limits)) {
		syncd_metrics_refused(ctx->metrics, SYNCD_LIMIT_LISTINGS);
		syncd_problemf(resp, 503, req->path,
		               "%d listings are being built; retry in a second",
		               SYNCD_MAX_LISTINGS);
		resp->retry_after = 1;
		return;
	}
	mecdns_rule_list_t list;
	bool more = false;
	uint64_t generation = 0;
	mecdns_store_status_t status = mecdns_store_rule_page(ctx->store, after[0], after[1], limit,
	                                                      &list, &more, &generation);
	syncd_limits_listing_end(ctx->limits);
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, "the DNS rules", req->path);
		return;
	}
	cJSON *array = cJSON_CreateArray();
	bool ok = array != NULL;
	for (size_t i = 0; ok && i < list.count; i++) {
		cJSON *item = listed_rule(&list.items[i]);
		ok = item != NULL && cJSON_AddItemToArray(array, item);
		if (!ok) {
			cJSON_Delete(item);
		}
	}
	char *link = NULL;
	if (ok && more) {
		const mecdns_rule_t *last = &list.items[list.count - 1];
		const char *fields[] = { last->app_instance_id, last->dns_rule_id };
		char *cursor = syncd_cursor_encode(fields, 2);
		link = syncd_next_link(req->path, limit, cursor, "");
		free(cursor);
		ok = link != NULL;
	}
	mecdns_rule_list_free(&list);
	if (!ok) {
		cJSON_Delete(array);
		syncd_problem(resp, 500, "out of memory", req->path);
		return;
	}
	syncd_response_json(resp, 200, array);
	syncd_response_generation(resp, generation);
	resp->link = link;
}

/*** Backup. ***/

void api_backup(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	/* The copy is made beside the database (where syncd may write, on the
	 * same file system), opened, unlinked and streamed: nothing is left
	 * behind, whatever happens to the download. */
	char *path = NULL;
	if (asprintf(&path, "%s.backup-XXXXXX", ctx->config->database) < 0) {
		syncd_problem(resp, 500, "out of memory", req->path);
		return;
	}
	int fd = mkstemp(path);
	if (fd < 0) {
		syncd_problemf(resp, 500, req->path, "backup: cannot create %s: %s", path,
		               strerror(errno));
		free(path);
		return;
	}
	close(fd);
	uint64_t generation = 0;
	mecdns_store_status_t status = mecdns_store_backup(ctx->store, path, &generation);
	fd = status == MECDNS_STORE_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	bool ok = fd >= 0 && fstat(fd, &st) == 0;
	unlink(path);
	free(path);
	if (!ok) {
		if (fd >= 0) {
			close(fd);
		}
		if (status != MECDNS_STORE_OK) {
			syncd_problem_store(resp, status, "backup", req->path);
		} else {
			syncd_problemf(resp, 500, req->path, "backup: %s", strerror(errno));
		}
		return;
	}
	mecdns_log(LOG_INFO, "backup of generation %" PRIu64 " (%jd bytes) sent", generation,
	           (intmax_t)st.st_size);
	syncd_response_file(resp, 200, "application/vnd.sqlite3", fd, (uint64_t)st.st_size);
	syncd_response_generation(resp, generation);
}
