/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd Mp1: ETSI GS MEC 011 v2.1.1 DNS rules of an application
 *  instance (/mec_app_support/v1/applications/{appInstanceId}/dns_rules).
 *
 *  An application instance exists while it has at least one rule, so the
 *  list of an unknown (or rule-less) instance is 404, on Mp1 and Mm5 alike.
 *  PUT replaces the mutable fields of an existing rule (it never creates
 *  one); If-Match, when sent, is checked inside the store's write
 *  transaction, before anything changes.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/api.h"
#include "syncd/problem.h"
#include "syncd/rule_json.h"

void api_rules_list(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	const char *app = req->params[0];
	if (!api_check_id(app, "appInstanceId", req, resp)) {
		return;
	}
	mecdns_rule_list_t list = { 0 };
	uint64_t generation = 0;
	mecdns_store_status_t status = mecdns_store_rule_list(ctx->store, app, &list, &generation);
	if (status == MECDNS_STORE_NOT_FOUND) {
		syncd_problemf(resp, 404, req->path,
		               "application instance %s has no DNS rules (it is unknown)", app);
		return;
	}
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, "the DNS rules", req->path);
		return;
	}
	api_rule_list_answer(req, resp, &list);
	syncd_response_generation(resp, generation);
	mecdns_rule_list_free(&list);
}

void api_rule_get(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	const char *app = req->params[0];
	const char *id = req->params[1];
	if (!api_check_id(app, "appInstanceId", req, resp) ||
	    !api_check_id(id, "dnsRuleId", req, resp)) {
		return;
	}
	mecdns_rule_t rule = { 0 };
	uint64_t generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_rule_get(ctx->store, app, id, &rule, &generation);
	if (status != MECDNS_STORE_OK) {
		char what[600];
		snprintf(what, sizeof(what), "DNS rule %s of application instance %s", id, app);
		syncd_problem_store(resp, status, what, req->path);
		return;
	}
	api_rule_answer(req, resp, 200, &rule);
	syncd_response_generation(resp, generation);
	mecdns_rule_clear(&rule);
}

void api_mp1_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	const char *app = req->params[0];
	const char *id = req->params[1];
	char what[600];
	cJSON *json = api_rule_body(req, resp, what, sizeof(what));
	if (json == NULL) {
		return;
	}
	mecdns_rule_t rule = { 0 };
	rule.app_instance_id = strdup(app);
	rule.dns_rule_id = strdup(id);
	char err[512];
	if (rule.app_instance_id == NULL || rule.dns_rule_id == NULL) {
		syncd_problem(resp, 500, "out of memory", req->path);
		goto out;
	}
	if (!syncd_rule_from_json(json, SYNCD_RULE_FULL, &rule, err, sizeof(err))) {
		syncd_problem(resp, 400, err, req->path);
		goto out;
	}

	uint64_t expected = 0;
	if (!api_rule_expected_version(ctx, req, app, id, what, &expected, resp)) {
		goto out;
	}
	rule.tenant = req->tenant; /* the app's own token: its granted names only */
	mecdns_rule_t stored = { 0 };
	mecdns_store_status_t status =
	    mecdns_store_rule_update(ctx->store, &rule, expected, &stored);
	api_rule_written(ctx, req, resp, status, what, 200, &stored);
	mecdns_rule_clear(&stored);
out:
	mecdns_rule_clear(&rule);
	cJSON_Delete(json);
}
