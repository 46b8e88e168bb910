/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd Mm5: the MEC platform manager configures DNS rules
 *  (/mep/config/{appInstanceId}/dns_rules[/{dnsRuleId}]). The GETs are
 *  Mp1's (api_rules_list, api_rule_get).
 *
 *  POST creates (201 + Location, state ACTIVE unless given, 409 for an id
 *  that exists). PUT changes only the members its body names: it reads the
 *  rule, merges, and writes with the version it read, retrying a few times
 *  when a concurrent write got in between (or answering 412 when the client
 *  sent If-Match itself).
 *
 *  Name grants (/mep/config/{appInstanceId}/dns_names[/{name}]): which
 *  names the application itself may point its rules at (docs/api.md,
 *  "Name ownership"). GET lists, PUT {"subtree": bool} grants, DELETE
 *  revokes.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/api.h"
#include "syncd/problem.h"
#include "syncd/rule_json.h"
#include "syncd/validate.h"

/*! Read-merge-write attempts of a partial PUT before giving up with 409. */
#define MERGE_ATTEMPTS 5

void api_mm5_create(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	const char *app = req->params[0];
	if (!api_check_id(app, "appInstanceId", req, resp)) {
		return;
	}
	cJSON *json = api_parse_body(req, resp);
	if (json == NULL) {
		return;
	}
	mecdns_rule_t rule = { 0 };
	mecdns_rule_t stored = { 0 };
	char err[512];
	rule.app_instance_id = strdup(app);
	if (rule.app_instance_id == NULL) {
		syncd_problem(resp, 500, "out of memory", req->path);
		goto out;
	}
	if (!syncd_rule_from_json(json, SYNCD_RULE_CREATE, &rule, err, sizeof(err))) {
		syncd_problem(resp, 400, err, req->path);
		goto out;
	}
	char what[600];
	snprintf(what, sizeof(what), "DNS rule %s of application instance %s", rule.dns_rule_id,
	         app);
	mecdns_store_status_t status = mecdns_store_rule_create(ctx->store, &rule, &stored);
	if (!api_rule_written(ctx, req, resp, status, what, 201, &stored)) {
		goto out;
	}
	char *location = NULL;
	if (resp->status == 201 &&
	    asprintf(&location, "/mep/config/%s/dns_rules/%s", app, stored.dns_rule_id) >= 0) {
		resp->location = location;
	}
out:
	mecdns_rule_clear(&stored);
	mecdns_rule_clear(&rule);
	cJSON_Delete(json);
}

void api_mm5_delete_app(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	const char *app = req->params[0];
	if (!api_check_id(app, "appInstanceId", req, resp)) {
		return;
	}
	size_t deleted = 0;
	uint64_t generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_rule_delete_app(ctx->store, app, &deleted, &generation);
	if (status == MECDNS_STORE_NOT_FOUND) {
		syncd_problemf(resp, 404, req->path, "application instance %s has no DNS rules",
		               app);
		return;
	}
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, "the DNS rules", req->path);
		return;
	}
	api_committed(ctx);
	syncd_response_empty(resp, 204);
	syncd_response_generation(resp, generation);
}

/*!
 * \brief One read-merge-write round of a partial PUT: the one read of the
 *        rule serves the If-Match check and the merge.
 *
 * \param if_match  The If-Match header or NULL (then the version read is
 *                  expected, and a change in between answers STALE).
 */
static mecdns_store_status_t merge_once(syncd_ctx_t *ctx, const syncd_request_t *req,
                                        const cJSON *json, const char *if_match, const char *what,
                                        mecdns_rule_t *stored, syncd_response_t *resp,
                                        bool *answered)
{
	mecdns_rule_t rule = { 0 };
	mecdns_store_status_t status =
	    mecdns_store_rule_get(ctx->store, req->params[0], req->params[1], &rule, NULL);
	if (status != MECDNS_STORE_OK) {
		return status;
	}
	uint64_t expected = rule.version;
	if (if_match != NULL) {
		expected = syncd_if_match_version(if_match, rule.version);
		if (expected == UINT64_MAX) {
			syncd_problemf(resp, 412, req->path,
			               "If-Match %s does not match the ETag of %s", if_match, what);
			*answered = true;
			mecdns_rule_clear(&rule);
			return MECDNS_STORE_CONFLICT;
		}
	}
	char err[512];
	if (!syncd_rule_from_json(json, SYNCD_RULE_MERGE, &rule, err, sizeof(err))) {
		syncd_problem(resp, 400, err, req->path);
		*answered = true;
		mecdns_rule_clear(&rule);
		return MECDNS_STORE_INVALID;
	}
	status = mecdns_store_rule_update(ctx->store, &rule, expected, stored);
	mecdns_rule_clear(&rule);
	return status;
}

void api_mm5_update(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	char what[600];
	cJSON *json = api_rule_body(req, resp, what, sizeof(what));
	if (json == NULL) {
		return;
	}
	if (!cJSON_IsObject(json)) {
		syncd_problem(resp, 400, "the body must be a JSON object", req->path);
		cJSON_Delete(json);
		return;
	}
	const char *if_match = syncd_request_header(req, "If-Match");

	mecdns_rule_t stored = { 0 };
	mecdns_store_status_t status = MECDNS_STORE_STALE;
	bool answered = false;
	for (int attempt = 0; attempt < MERGE_ATTEMPTS && status == MECDNS_STORE_STALE; attempt++) {
		status = merge_once(ctx, req, json, if_match, what, &stored, resp, &answered);
		if (if_match != NULL) {
			break; /* The client's own precondition: no retry. */
		}
	}
	cJSON_Delete(json);
	if (answered) {
		return;
	}
	if (status == MECDNS_STORE_STALE && if_match == NULL) {
		syncd_problemf(resp, 409, req->path,
		               "%s kept changing during the update; try again", what);
		return;
	}
	api_rule_written(ctx, req, resp, status, what, 200, &stored);
	mecdns_rule_clear(&stored);
}

void api_mm5_delete(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	char what[600];
	if (!api_rule_path(req, resp, what, sizeof(what))) {
		return;
	}
	uint64_t expected = 0;
	if (!api_rule_expected_version(ctx, req, req->params[0], req->params[1], what, &expected,
	                               resp)) {
		return;
	}
	uint64_t generation = 0;
	mecdns_store_status_t status = mecdns_store_rule_delete(
	    ctx->store, req->params[0], req->params[1], expected, &generation);
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, what, req->path);
		return;
	}
	api_committed(ctx);
	syncd_response_empty(resp, 204);
	syncd_response_generation(resp, generation);
}

/*** Name grants. ***/

static cJSON *grant_to_json(const mecdns_grant_t *grant)
{
	cJSON *json = cJSON_CreateObject();
	if (json == NULL || cJSON_AddStringToObject(json, "name", grant->name) == NULL ||
	    cJSON_AddBoolToObject(json, "subtree", grant->subtree) == NULL ||
	    cJSON_AddBoolToObject(json, "shared", grant->shared) == NULL ||
	    cJSON_AddStringToObject(json, "source", grant->source) == NULL) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

void api_grants_list(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	if (!api_check_id(req->params[0], "appInstanceId", req, resp)) {
		return;
	}
	mecdns_grant_list_t list = { 0 };
	mecdns_store_status_t status = mecdns_store_grant_list(ctx->store, req->params[0], &list);
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, "the name grants", req->path);
		return;
	}
	cJSON *array = cJSON_CreateArray();
	for (size_t i = 0; array != NULL && i < list.count; i++) {
		cJSON *item = grant_to_json(&list.items[i]);
		if (item == NULL || !cJSON_AddItemToArray(array, item)) {
			cJSON_Delete(item);
			cJSON_Delete(array);
			array = NULL;
		}
	}
	syncd_response_json(resp, 200, array);
	mecdns_grant_list_free(&list);
}

/*! \brief The canonical name of the path's {name}; NULL + 400 problem. */
static char *grant_path_name(const syncd_request_t *req, syncd_response_t *resp)
{
	char err[400];
	if (!api_check_id(req->params[0], "appInstanceId", req, resp)) {
		return NULL;
	}
	if (!syncd_valid_fqdn(req->params[1], "name", err, sizeof(err))) {
		syncd_problem(resp, 400, err, req->path);
		return NULL;
	}
	char *name = mecdns_canonical_name(req->params[1]);
	if (name == NULL) {
		syncd_problem(resp, 500, "out of memory", req->path);
	}
	return name;
}

void api_grant_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	char *name = grant_path_name(req, resp);
	if (name == NULL) {
		return;
	}
	bool subtree = false;
	bool shared = false;
	if (req->body_len > 0) {
		cJSON *json = api_parse_body(req, resp);
		if (json == NULL) {
			free(name);
			return;
		}
		const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, "subtree");
		const cJSON *share = cJSON_GetObjectItemCaseSensitive(json, "shared");
		bool ok = cJSON_IsObject(json) && (item == NULL || cJSON_IsBool(item)) &&
		          (share == NULL || cJSON_IsBool(share));
		const cJSON *member = NULL;
		cJSON_ArrayForEach(member, json)
		{
			ok = ok && member->string != NULL &&
			     (strcmp(member->string, "subtree") == 0 ||
			      strcmp(member->string, "shared") == 0);
		}
		subtree = cJSON_IsTrue(item);
		shared = cJSON_IsTrue(share);
		cJSON_Delete(json);
		if (!ok) {
			syncd_problem(resp, 400,
			              "the body must be {\"subtree\": true|false, \"shared\": "
			              "true|false} (each optional, false by default)",
			              req->path);
			free(name);
			return;
		}
	}
	mecdns_store_status_t status =
	    mecdns_store_grant_set(ctx->store, req->params[0], name, subtree, shared);
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, "the name grant", req->path);
		free(name);
		return;
	}
	mecdns_grant_t grant = {
		.name = name, .subtree = subtree, .shared = shared, .source = "mm5"
	};
	syncd_response_json(resp, 200, grant_to_json(&grant));
	free(name);
}

void api_grant_delete(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	char *name = grant_path_name(req, resp);
	if (name == NULL) {
		return;
	}
	mecdns_store_status_t status = mecdns_store_grant_delete(ctx->store, req->params[0], name);
	if (status != MECDNS_STORE_OK) {
		char what[600];
		snprintf(what, sizeof(what), "the grant of %s to %s", name, req->params[0]);
		syncd_problem_store(resp, status, what, req->path);
	} else {
		syncd_response_empty(resp, 204);
	}
	free(name);
}
