/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd MEP -> DNS server API (/mep/dns_server_mgmt/v1/rrecord), as
 *  the EdgeGallery MEP server calls its DNS server:
 *
 *    PUT    /rrecord                 [{"zone":".","rr":[{"name","type","class",
 *                                     "ttl","rData":[...]}]}]: replaces each
 *                                     (zone, name, type, scope) set, all in one
 *                                     transaction (an empty rData deletes it)
 *    DELETE /rrecord/{fqdn}/{type}   ?zone=Z (default "."), any body ("{}")
 *    POST   /rrecord?zone=Z          one record object: adds to its set
 *    PUT    /rrecord/{fqdn}/{type}?zone=Z  one record object: replaces it
 *    GET    /rrecord[?zone=Z][&limit=N][&cursor=C]: one page of the sets in
 *                                     key order, Link rel="next" to the next
 *    GET    /rrecord/{fqdn}/{type}[?zone=Z]
 *
 *  A record object may carry the extension "clientSubnets" (issue 13): the
 *  set then answers only the clients inside those subnets, and the scope
 *  is part of its key. URIs of one set name a scoped set with
 *  ?clientSubnets=A/N,B/M (any order); without it they mean the unscoped
 *  set. Successful writes answer 200 with the stored sets (EdgeGallery's
 *  client expects 200). Record data is parsed by libzscanner (rdata.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "syncd/api.h"
#include "syncd/paging.h"
#include "syncd/problem.h"
#include "common/answer.h"
#include "common/rdata.h"
#include "common/subnet.h"
#include "syncd/rule_json.h"
#include "syncd/validate.h"

/*! Most records in one set. */
#define RDATA_MAX 1024

/*! Record data (text and wire) after which a page ends, whatever its
 *  limit: with SYNCD_MAX_LISTINGS pages at once, what listings can cost. */
#define PAGE_BYTES (1024 * 1024)

/*! \brief Canonical zone from ?zone= (default "."); NULL + 400 problem. */
static char *query_zone(const syncd_request_t *req, syncd_response_t *resp)
{
	const char *zone = syncd_request_query(req, "zone");
	if (zone == NULL || *zone == '\0') {
		zone = ".";
	}
	char *canonical = mecdns_canonical_name(zone);
	if (canonical == NULL) {
		syncd_problemf(resp, 400, req->path, "zone \"%s\" is not a valid domain name",
		               zone);
	}
	return canonical;
}

/*! \brief Reads the rData array into set (owner and type already set). */
static bool read_rdata(const cJSON *array, mecdns_rrset_t *set, char *err, size_t err_len)
{
	if (!cJSON_IsArray(array)) {
		snprintf(err, err_len, "rData must be an array of strings");
		return false;
	}
	int count = cJSON_GetArraySize(array);
	if (count > RDATA_MAX) {
		snprintf(err, err_len, "rData has more than %d records", RDATA_MAX);
		return false;
	}
	set->rdata = calloc(count > 0 ? (size_t)count : 1, sizeof(*set->rdata));
	if (set->rdata == NULL) {
		snprintf(err, err_len, "out of memory");
		return false;
	}
	const cJSON *item = NULL;
	cJSON_ArrayForEach(item, array)
	{
		if (!cJSON_IsString(item) || item->valuestring == NULL) {
			snprintf(err, err_len, "rData must be an array of strings");
			return false;
		}
		mecdns_rdata_t *rdata = &set->rdata[set->rdata_count];
		if (!mecdns_rdata_parse(set->owner, set->type, item->valuestring, &rdata->wire,
		                        &rdata->wire_len, &rdata->text, err, err_len)) {
			return false;
		}
		set->rdata_count++;
	}
	return true;
}

/*!
 * \brief Reads one record object {"name","type","class","ttl","rData"
 *        [,"clientSubnets"]} into set for zone (canonical); on false err
 *        says why (400). *scope_given (unless NULL): whether the object has
 *        the member clientSubnets (null included).
 */
static bool rrset_from_json(const cJSON *json, const char *zone, mecdns_rrset_t *set,
                            bool *scope_given, char *err, size_t err_len)
{
	memset(set, 0, sizeof(*set));
	if (!cJSON_IsObject(json)) {
		snprintf(err, err_len, "a record must be a JSON object");
		return false;
	}
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(json, "name");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
	const cJSON *rclass = cJSON_GetObjectItemCaseSensitive(json, "class");
	const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(json, "ttl");
	const cJSON *rdata = cJSON_GetObjectItemCaseSensitive(json, "rData");

	if (!cJSON_IsString(name) || !cJSON_IsString(type)) {
		snprintf(err, err_len, "a record needs \"name\" and \"type\" strings");
		return false;
	}
	if (!syncd_valid_fqdn(name->valuestring, "name", err, err_len) ||
	    !mecdns_rrtype_parse(type->valuestring, &set->type, err, err_len)) {
		return false;
	}
	if (rclass != NULL &&
	    (!cJSON_IsString(rclass) || !mecdns_rrclass_valid(rclass->valuestring, err, err_len))) {
		snprintf(err, err_len, "class must be \"IN\"");
		return false;
	}
	if (!cJSON_IsNumber(ttl)) {
		snprintf(err, err_len, "a record needs an integer \"ttl\"");
		return false;
	}
	if (!syncd_valid_ttl(ttl->valuedouble, err, err_len)) {
		return false;
	}
	set->ttl = (uint32_t)ttl->valuedouble;
	set->zone = strdup(zone);
	set->owner = mecdns_canonical_name(name->valuestring);
	if (set->zone == NULL || set->owner == NULL) {
		snprintf(err, err_len, "out of memory");
		return false;
	}
	if (!mecdns_name_in_zone(set->owner, set->zone)) {
		snprintf(err, err_len, "name %s is not inside zone %s", set->owner, set->zone);
		return false;
	}
	if (rdata == NULL) {
		snprintf(err, err_len, "a record needs \"rData\" (an array of strings)");
		return false;
	}
	int scope = syncd_scope_from_json(json, &set->client_subnets, err, err_len);
	if (scope < 0) {
		return false;
	}
	if (scope_given != NULL) {
		*scope_given = scope > 0;
	}
	return read_rdata(rdata, set, err, err_len);
}

/*! \brief The record object of a set, or NULL. */
static cJSON *rrset_to_json(const mecdns_rrset_t *set)
{
	char type[32];
	mecdns_rrtype_name(set->type, type, sizeof(type));
	cJSON *json = cJSON_CreateObject();
	cJSON *rdata = cJSON_CreateArray();
	bool ok = json != NULL && rdata != NULL;
	for (size_t i = 0; ok && i < set->rdata_count; i++) {
		cJSON *text = cJSON_CreateString(set->rdata[i].text);
		ok = text != NULL && cJSON_AddItemToArray(rdata, text);
	}
	ok = ok && cJSON_AddStringToObject(json, "name", set->owner) != NULL &&
	     cJSON_AddStringToObject(json, "type", type) != NULL &&
	     cJSON_AddStringToObject(json, "class", "IN") != NULL &&
	     cJSON_AddNumberToObject(json, "ttl", set->ttl) != NULL &&
	     cJSON_AddItemToObject(json, "rData", rdata);
	ok = ok && syncd_scope_to_json(json, set->client_subnets);
	if (!ok) {
		bool attached = json != NULL && cJSON_GetObjectItem(json, "rData") == rdata;
		if (!attached) {
			cJSON_Delete(rdata);
		}
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

/*! \brief [{"zone":Z,"rr":[...]}, ...] of sets ordered by zone, or NULL;
 *         sets without records (deleted) are left out. */
static cJSON *zones_to_json(const mecdns_rrset_t *sets, size_t count)
{
	cJSON *array = cJSON_CreateArray();
	cJSON *rr = NULL;
	const char *zone = NULL;
	for (size_t i = 0; array != NULL && i < count; i++) {
		if (sets[i].rdata_count == 0) {
			continue;
		}
		if (zone == NULL || strcmp(zone, sets[i].zone) != 0) {
			cJSON *entry = cJSON_CreateObject();
			if (entry == NULL || !cJSON_AddItemToArray(array, entry) ||
			    cJSON_AddStringToObject(entry, "zone", sets[i].zone) == NULL ||
			    (rr = cJSON_AddArrayToObject(entry, "rr")) == NULL) {
				cJSON_Delete(array);
				return NULL;
			}
			zone = sets[i].zone;
		}
		cJSON *item = rrset_to_json(&sets[i]);
		if (item == NULL || !cJSON_AddItemToArray(rr, item)) {
			cJSON_Delete(item);
			cJSON_Delete(array);
			return NULL;
		}
	}
	return array;
}

/*! \brief "set www.example.com./A in zone ." for messages. */
static void describe(const mecdns_rrset_t *set, char *out, size_t len)
{
	char type[32];
	mecdns_rrtype_name(set->type, type, sizeof(type));
	const char *scope = set->client_subnets;
	snprintf(out, len, "record set %s/%s in zone %s%s%s", set->owner, type, set->zone,
	         scope != NULL ? " for client subnets " : "", scope != NULL ? scope : "");
}

/*! \brief Frees an array of sets. */
static void free_sets(mecdns_rrset_t *sets, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		mecdns_rrset_clear(&sets[i]);
	}
	free(sets);
}

/*! \brief Counts the records of a bulk body, checking its shape. */
static bool count_bulk(const cJSON *json, size_t *total, char *err, size_t err_len)
{
	*total = 0;
	if (!cJSON_IsArray(json)) {
		snprintf(err, err_len, "the body must be an array of {\"zone\", \"rr\"} objects");
		return false;
	}
	const cJSON *entry = NULL;
	cJSON_ArrayForEach(entry, json)
	{
		const cJSON *zone = cJSON_GetObjectItemCaseSensitive(entry, "zone");
		const cJSON *rr = cJSON_GetObjectItemCaseSensitive(entry, "rr");
		if (!cJSON_IsObject(entry) || (zone != NULL && !cJSON_IsString(zone)) ||
		    !cJSON_IsArray(rr)) {
			snprintf(
			    err, err_len,
			    "each element must be {\"zone\": string, \"rr\": array of records}");
			return false;
		}
		*total += (size_t)cJSON_GetArraySize(rr);
	}
	return true;
}

/*! \brief Reads a bulk body into sets; false + err (400). */
static bool read_bulk(const cJSON *json, mecdns_rrset_t **out, size_t *out_count, char *err,
                      size_t err_len)
{
	size_t total = 0;
	*out = NULL;
	*out_count = 0;
	if (!count_bulk(json, &total, err, err_len)) {
		return false;
	}
	mecdns_rrset_t *sets = calloc(total > 0 ? total : 1, sizeof(*sets));
	if (sets == NULL) {
		snprintf(err, err_len, "out of memory");
		return false;
	}
	size_t count = 0;
	const cJSON *entry = NULL;
	cJSON_ArrayForEach(entry, json)
	{
		const cJSON *zone_item = cJSON_GetObjectItemCaseSensitive(entry, "zone");
		const char *zone_text = zone_item != NULL ? zone_item->valuestring : ".";
		char *zone = mecdns_canonical_name(zone_text);
		if (zone == NULL) {
			snprintf(err, err_len, "zone \"%s\" is not a valid domain name", zone_text);
			goto fail;
		}
		const cJSON *rr = NULL;
		bool ok = true;
		cJSON_ArrayForEach(rr, cJSON_GetObjectItemCaseSensitive(entry, "rr"))
		{
			char reason[400];
			ok = rrset_from_json(rr, zone, &sets[count], NULL, reason, sizeof(reason));
			count++;
			if (!ok) {
				snprintf(err, err_len, "record %zu: %s", count, reason);
				break;
			}
			/* Stored once: the answer shows what the store keeps. A set
			 * given twice is refused by the store (sorted, not pairwise). */
			if (!mecdns_rrset_dedup(&sets[count - 1])) {
				snprintf(err, err_len, "out of memory");
				ok = false;
				break;
			}
		}
		free(zone);
		if (!ok) {
			goto fail;
		}
	}
	*out = sets;
	*out_count = count;
	return true;
fail:
	free_sets(sets, count);
	return false;
}

void api_rrecord_bulk_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	cJSON *json = api_parse_body(req, resp);
	if (json == NULL) {
		return;
	}
	mecdns_rrset_t *sets = NULL;
	size_t count = 0;
	char err[600];
	bool ok = read_bulk(json, &sets, &count, err, sizeof(err));
	cJSON_Delete(json);
	if (!ok) {
		syncd_problem(resp, 400, err, req->path);
		return;
	}
	/* An empty body commits nothing: it carries the current generation. */
	uint64_t generation = 0;
	mecdns_store_status_t status =
	    count == 0 ? mecdns_store_state(ctx->store, &generation, NULL, NULL)
	               : mecdns_store_rrset_replace(ctx->store, sets, count, &generation);
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, "the record sets", req->path);
		free_sets(sets, count);
		return;
	}
	if (count > 0) {
		api_committed(ctx);
	}
	syncd_response_json(resp, 200, zones_to_json(sets, count));
	syncd_response_generation(resp, generation);
	free_sets(sets, count);
}

/*! \brief Reads the set named by the path, ?zone= and ?clientSubnets= into
 *         *set (zone, owner, type, scope only); false with a 400 problem. */
static bool path_set(const syncd_request_t *req, mecdns_rrset_t *set, syncd_response_t *resp)
{
	memset(set, 0, sizeof(*set));
	char err[400];
	const char *fqdn = req->params[0];
	const char *type = req->params[1];
	if (!syncd_valid_fqdn(fqdn, "fqdn", err, sizeof(err)) ||
	    !mecdns_rrtype_parse(type, &set->type, err, sizeof(err))) {
		syncd_problem(resp, 400, err, req->path);
		return false;
	}
	set->zone = query_zone(req, resp);
	if (set->zone == NULL) {
		return false;
	}
	set->owner = mecdns_canonical_name(fqdn);
	if (set->owner == NULL) {
		syncd_problem(resp, 500, "out of memory", req->path);
		return false;
	}
	const char *scope = syncd_request_query(req, "clientSubnets");
	if (scope != NULL) {
		char why[300];
		set->client_subnets = mecdns_subnets_canonical_text(scope, why, sizeof(why));
		if (set->client_subnets == NULL) {
			/* why is "[I] reason" for one item, else the reason. */
			syncd_problemf(resp, 400, req->path, "clientSubnets%s%s",
			               why[0] == '[' ? "" : ": ", why);
			return false;
		}
	}
	return true;
}

/*! \brief Answers 200 with the stored set (read back), or the read error. */
static void answer_set(syncd_ctx_t *ctx, const syncd_request_t *req, const mecdns_rrset_t *key,
                       syncd_response_t *resp)
{
	mecdns_rrset_t stored = { 0 };
	uint64_t generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_rrset_get(ctx->store, key->zone, key->owner, key->type,
	                           key->client_subnets, &stored, &generation);
	if (status != MECDNS_STORE_OK) {
		char what[400];
		describe(key, what, sizeof(what));
		syncd_problem_store(resp, status, what, req->path);
		return;
	}
	syncd_response_json(resp, 200, rrset_to_json(&stored));
	syncd_response_generation(resp, generation);
	mecdns_rrset_clear(&stored);
}

void api_rrecord_get(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	mecdns_rrset_t key;
	if (path_set(req, &key, resp)) {
		answer_set(ctx, req, &key, resp);
	}
	mecdns_rrset_clear(&key);
}

/*! A listing's position: after the set (zone, owner, type, scope). */
typedef struct {
	char *zone;
	char *owner;
	uint16_t type;
	char *client_subnets;
} cursor_t;

static void cursor_clear(cursor_t *cursor)
{
	free(cursor->zone);
	free(cursor->owner);
	free(cursor->client_subnets);
	memset(cursor, 0, sizeof(*cursor));
}

/*! \brief The opaque cursor of a key: hex of "zone\nowner\ntype\nscope". */
static char *cursor_encode(const mecdns_rrset_t *set)
{
	char type[8];
	snprintf(type, sizeof(type), "%u", set->type);
	const char *fields[] = { set->zone, set->owner, type,
		                 set->client_subnets != NULL ? set->client_subnets : "" };
	return syncd_cursor_encode(fields, 4);
}

/*! \brief Reads a cursor this server gave; false if it is none. */
static bool cursor_decode(const char *hex, cursor_t *out)
{
	memset(out, 0, sizeof(*out));
	char plain[SYNCD_CURSOR_MAX + 1];
	const char *fields[4];
	if (!syncd_cursor_decode(hex, plain, fields, 4)) {
		return false;
	}
	/* A scope as the store keeps it (canonical), or none. */
	if (fields[3][0] != '\0') {
		mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
		if (mecdns_subnets_parse_list(fields[3], subnets) == 0 ||
		    (out->client_subnets = strdup(fields[3])) == NULL) {
			return false;
		}
	}
	char *end = NULL;
	unsigned long type = strtoul(fields[2], &end, 10);
	if (fields[2][0] == '\0' || *end != '\0' || type == 0 || type > 65535) {
		cursor_clear(out);
		return false;
	}
	/* Canonical names only: a key the store could have given. */
	out->zone = mecdns_canonical_name(fields[0]);
	out->owner = mecdns_canonical_name(fields[1]);
	out->type = (uint16_t)type;
	if (out->zone == NULL || out->owner == NULL || strcmp(out->zone, fields[0]) != 0 ||
	    strcmp(out->owner, fields[1]) != 0) {
		cursor_clear(out);
		return false;
	}
	return true;
}

/*! \brief Link header value of the page after last: same path, zone and
 *         limit, the cursor of last. NULL when out of memory. */
static char *next_link(const syncd_request_t *req, const char *zone, size_t limit,
                       const mecdns_rrset_t *last)
{
	char *cursor = cursor_encode(last);
	char *zone_part = syncd_query_part("zone", zone);
	char *link = syncd_next_link(req->path, limit, cursor, zone_part);
	free(cursor);
	free(zone_part);
	return link;
}

void api_rrecord_list(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	char *zone = NULL;
	if (syncd_request_query(req, "zone") != NULL) {
		zone = query_zone(req, resp);
		if (zone == NULL) {
			return;
		}
	}
	size_t limit = syncd_page_limit(req, resp);
	cursor_t cursor = { 0 };
	const char *cursor_text = syncd_request_query(req, "cursor");
	if (limit == 0) {
		free(zone);
		return;
	}
	if (cursor_text != NULL && (!cursor_decode(cursor_text, &cursor) ||
	                            (zone != NULL && strcmp(cursor.zone, zone) != 0))) {
		syncd_problem(resp, 400,
		              "cursor is not one this server gave for this listing (take it from "
		              "the Link header of the previous page)",
		              req->path);
		cursor_clear(&cursor);
		free(zone);
		return;
	}
	if (!syncd_limits_listing_begin(ctx->limits)) {
		syncd_metrics_refused(ctx->metrics, SYNCD_LIMIT_LISTINGS);
		syncd_problemf(resp, 503, req->path,
		               "%d listings are being built; retry in a second",
		               SYNCD_MAX_LISTINGS);
		resp->retry_after = 1;
		cursor_clear(&cursor);
		free(zone);
		return;
	}
	mecdns_rrset_key_t after = { cursor.zone, cursor.owner, cursor.type,
		                     cursor.client_subnets };
	mecdns_rrset_list_t list = { 0 };
	uint64_t generation = 0;
	bool more = false;
	mecdns_store_status_t status =
	    mecdns_store_rrset_page(ctx->store, zone, cursor_text != NULL ? &after : NULL, limit,
	                            PAGE_BYTES, &list, &more, &generation);
	cursor_clear(&cursor);
	if (status != MECDNS_STORE_OK) {
		syncd_limits_listing_end(ctx->limits);
		syncd_problem_store(resp, status, "the record sets", req->path);
		free(zone);
		return;
	}
	syncd_response_json(resp, 200, zones_to_json(list.items, list.count));
	syncd_limits_listing_end(ctx->limits);
	syncd_response_generation(resp, generation);
	if (more && resp->status == 200) {
		resp->link = next_link(req, zone, limit, &list.items[list.count - 1]);
		if (resp->link == NULL) {
			syncd_problem(resp, 500, "out of memory", req->path);
		}
	}
	free(zone);
	mecdns_rrset_list_free(&list);
}

void api_rrecord_delete(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	/* The body, if any ("{}" from EdgeGallery), carries nothing. */
	mecdns_rrset_t key;
	if (!path_set(req, &key, resp)) {
		mecdns_rrset_clear(&key);
		return;
	}
	uint64_t generation = 0;
	mecdns_store_status_t status = mecdns_store_rrset_delete(
	    ctx->store, key.zone, key.owner, key.type, key.client_subnets, &generation);
	if (status != MECDNS_STORE_OK) {
		char what[400];
		describe(&key, what, sizeof(what));
		syncd_problem_store(resp, status, what, req->path);
	} else {
		api_committed(ctx);
		syncd_response_json(resp, 200, cJSON_CreateObject());
		syncd_response_generation(resp, generation);
	}
	mecdns_rrset_clear(&key);
}

/*! \brief Reads the single-record body of POST / PUT for zone. */
static bool read_single(const syncd_request_t *req, const char *zone, mecdns_rrset_t *set,
                        bool *scope_given, syncd_response_t *resp)
{
	cJSON *json = api_parse_body(req, resp);
	if (json == NULL) {
		return false;
	}
	char err[600];
	bool ok = rrset_from_json(json, zone, set, scope_given, err, sizeof(err));
	cJSON_Delete(json);
	if (!ok) {
		syncd_problem(resp, 400, err, req->path);
	}
	return ok;
}

void api_rrecord_add(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	char *zone = query_zone(req, resp);
	if (zone == NULL) {
		return;
	}
	mecdns_rrset_t set = { 0 }; /* Cleared below even when the body does not parse. */
	bool ok = read_single(req, zone, &set, NULL, resp);
	free(zone);
	if (ok && set.rdata_count == 0) {
		syncd_problem(resp, 400, "rData must hold at least one record", req->path);
		ok = false;
	}
	if (ok) {
		uint64_t generation = 0;
		mecdns_store_status_t status =
		    mecdns_store_rrset_add(ctx->store, &set, &generation);
		if (status != MECDNS_STORE_OK) {
			char what[400];
			describe(&set, what, sizeof(what));
			syncd_problem_store(resp, status, what, req->path);
		} else {
			api_committed(ctx);
			answer_set(ctx, req, &set, resp);
			syncd_response_generation(resp, generation);
		}
	}
	mecdns_rrset_clear(&set);
}

void api_rrecord_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	mecdns_rrset_t key;
	mecdns_rrset_t set = { 0 };
	bool scope_given = false;
	if (!path_set(req, &key, resp) || !read_single(req, key.zone, &set, &scope_given, resp)) {
		goto out;
	}
	if (strcmp(set.owner, key.owner) != 0 || set.type != key.type) {
		syncd_problem(resp, 400, "the record's name and type differ from those in the URI",
		              req->path);
		goto out;
	}
	/* The URI names the set: a body without clientSubnets means its scope. */
	if (!scope_given && key.client_subnets != NULL) {
		set.client_subnets = strdup(key.client_subnets);
		if (set.client_subnets == NULL) {
			syncd_problem(resp, 500, "out of memory", req->path);
			goto out;
		}
	}
	if (strcmp(set.client_subnets != NULL ? set.client_subnets : "",
	           key.client_subnets != NULL ? key.client_subnets : "") != 0) {
		syncd_problem(resp, 400,
		              "the record's clientSubnets differ from those in the URI "
		              "(?clientSubnets=)",
		              req->path);
		goto out;
	}
	uint64_t generation = 0;
	mecdns_store_status_t status = mecdns_store_rrset_replace(ctx->store, &set, 1, &generation);
	if (status != MECDNS_STORE_OK) {
		char what[400];
		describe(&set, what, sizeof(what));
		syncd_problem_store(resp, status, what, req->path);
		goto out;
	}
	api_committed(ctx);
	if (set.rdata_count == 0) {
		syncd_response_json(resp, 200, cJSON_CreateObject());
	} else {
		answer_set(ctx, req, &set, resp);
	}
	syncd_response_generation(resp, generation); /* The write's, not the read's. */
out:
	mecdns_rrset_clear(&set);
	mecdns_rrset_clear(&key);
}
