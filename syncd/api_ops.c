/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd operations endpoints (/healthz, /readyz, /metrics) and the
 *  helpers every API handler shares. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/api.h"
#include "syncd/reports.h"
#include "syncd/mqtt.h"
#include "common/log.h"
#include "syncd/json_input.h"
#include "syncd/problem.h"
#include "syncd/rule_json.h"
#include "syncd/validate.h"

cJSON *api_parse_body(const syncd_request_t *req, syncd_response_t *resp)
{
	if (req->body == NULL || req->body_len == 0) {
		syncd_problem(resp, 400, "the request needs a JSON body", req->path);
		return NULL;
	}
	char err[256];
	if (!syncd_json_text_ok(req->body, req->body_len, err, sizeof(err))) {
		syncd_problem(resp, 400, err, req->path);
		return NULL;
	}
	const char *end = NULL;
	cJSON *json = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, false);
	if (json == NULL) {
		/* The error position comes back in end (cJSON_GetErrorPtr() is
		 * one global for every thread). */
		const char *at = end;
		size_t offset = at != NULL && at >= req->body && at <= req->body + req->body_len
		                    ? (size_t)(at - req->body)
		                    : 0;
		syncd_problemf(resp, 400, req->path, "the body is not valid JSON (near byte %zu)",
		               offset);
		return NULL;
	}
	/* Only white space may follow the value. */
	for (; end != NULL && end < req->body + req->body_len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
			cJSON_Delete(json);
			syncd_problem(resp, 400, "the body has data after its JSON value",
			              req->path);
			return NULL;
		}
	}
	if (!syncd_json_keys_unique(json, err, sizeof(err))) {
		cJSON_Delete(json);
		syncd_problem(resp, 400, err, req->path);
		return NULL;
	}
	return json;
}

bool api_check_id(const char *id, const char *what, const syncd_request_t *req,
                  syncd_response_t *resp)
{
	char err[256];
	if (!syncd_valid_id(id, what, err, sizeof(err))) {
		syncd_problem(resp, 400, err, req->path);
		return false;
	}
	return true;
}

bool api_rule_path(const syncd_request_t *req, syncd_response_t *resp, char *what, size_t what_len)
{
	const char *app = req->params[0];
	const char *id = req->params[1];
	if (!api_check_id(app, "appInstanceId", req, resp) ||
	    !api_check_id(id, "dnsRuleId", req, resp)) {
		return false;
	}
	snprintf(what, what_len, "DNS rule %s of application instance %s", id, app);
	return true;
}

bool api_rule_expected_version(syncd_ctx_t *ctx, const syncd_request_t *req, const char *app,
                               const char *id, const char *what, uint64_t *expected,
                               syncd_response_t *resp)
{
	*expected = 0;
	const char *if_match = syncd_request_header(req, "If-Match");
	if (if_match == NULL) {
		return true;
	}
	mecdns_rule_t current = { 0 };
	mecdns_store_status_t status = mecdns_store_rule_get(ctx->store, app, id, &current, NULL);
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, what, req->path);
		return false;
	}
	uint64_t version = syncd_if_match_version(if_match, current.version);
	mecdns_rule_clear(&current);
	if (version == UINT64_MAX) {
		syncd_problemf(resp, 412, req->path, "If-Match %s does not match the ETag of %s",
		               if_match, what);
		return false;
	}
	*expected = version;
	return true;
}

cJSON *api_rule_body(const syncd_request_t *req, syncd_response_t *resp, char *what,
                     size_t what_len)
{
	return api_rule_path(req, resp, what, what_len) ? api_parse_body(req, resp) : NULL;
}

bool api_rule_written(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp,
                      mecdns_store_status_t status, const char *what, int code,
                      const mecdns_rule_t *stored)
{
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, what, req->path);
		return false;
	}
	api_committed(ctx);
	api_rule_answer(req, resp, code, stored);
	syncd_response_generation(resp, stored->generation);
	return true;
}

void api_committed(syncd_ctx_t *ctx)
{
	if (ctx->signals != NULL) {
		mecdns_signals_notify(ctx->signals);
	}
	syncd_zonesync_notify(ctx->zonesync); /* NULL without synced zones. */
	syncd_mqtt_notify(ctx->mqtt);         /* NULL without a broker. */
}

bool api_extensions(const syncd_request_t *req)
{
	return strncmp(req->path, "/mep/config/", strlen("/mep/config/")) == 0;
}

void api_rule_answer(const syncd_request_t *req, syncd_response_t *resp, int status,
                     const mecdns_rule_t *rule)
{
	if (syncd_response_json(resp, status, syncd_rule_to_json_as(rule, api_extensions(req))) !=
	    0) {
		return;
	}
	char etag[32];
	syncd_rule_etag(rule->version, etag, sizeof(etag));
	resp->etag = strdup(etag); /* Without memory, the answer goes without ETag. */
}

void api_rule_list_answer(const syncd_request_t *req, syncd_response_t *resp,
                          const mecdns_rule_list_t *list)
{
	bool extensions = api_extensions(req);
	cJSON *array = cJSON_CreateArray();
	for (size_t i = 0; array != NULL && i < list->count; i++) {
		cJSON *item = syncd_rule_to_json_as(&list->items[i], extensions);
		if (item == NULL) {
			cJSON_Delete(array);
			array = NULL;
			break;
		}
		cJSON_AddItemToArray(array, item);
	}
	syncd_response_json(resp, 200, array);
}

void api_healthz(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	mecdns_store_status_t status = mecdns_store_state(ctx->store, NULL, NULL, NULL);
	if (status != MECDNS_STORE_OK) {
		syncd_problemf(resp, 503, req->path, "database %s: %s",
		               mecdns_store_strerror(status), mecdns_store_last_error());
		return;
	}
	syncd_response_text(resp, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/*
 * Ready = this process can take writes and hand their signals on: the
 * database answers and the signal emitter is connected (or the bus is
 * "none"); and, when a knot socket is configured, the D-Bus "serving"
 * condition holds (kstate.h). Without a knot socket Knot's state is
 * unknown and readiness is about syncd alone.
 */
bool api_ready(syncd_ctx_t *ctx, char *why, size_t why_len)
{
	mecdns_store_status_t status = mecdns_store_state(ctx->store, NULL, NULL, NULL);
	if (status != MECDNS_STORE_OK) {
		snprintf(why, why_len, "database %s: %s", mecdns_store_strerror(status),
		         mecdns_store_last_error());
		return false;
	}
	bool bus_none = strcmp(ctx->config->dbus, "none") == 0;
	if (!bus_none && (ctx->signals == NULL || !mecdns_signals_connected(ctx->signals))) {
		snprintf(why, why_len, "not connected to the D-Bus bus \"%s\"", ctx->config->dbus);
		return false;
	}
	if (ctx->kstate != NULL && !kstate_serving(ctx->kstate)) {
		snprintf(why, why_len,
		         "not serving: knotd (%s) is not running with mod-mecdns, a zone is "
		         "not ready or about to expire, or the module lags the database",
		         ctx->config->knot_socket);
		return false;
	}
	snprintf(why, why_len, "ready");
	return true;
}

void api_readyz(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	char why[512];
	if (!api_ready(ctx, why, sizeof(why))) {
		syncd_problem(resp, 503, why, req->path);
		return;
	}
	syncd_response_text(resp, 200, "text/plain; charset=utf-8", "ready\n", 6);
}

/*! \brief Prints the request counters. */
static void print_requests(FILE *out, const syncd_ctx_t *ctx)
{
	fprintf(out, "# HELP mecdns_syncd_http_requests_total HTTP requests answered, by route, "
	             "method and status code.\n"
	             "# TYPE mecdns_syncd_http_requests_total counter\n");
	for (size_t route = 0; route <= syncd_route_count; route++) {
		const char *name = route < syncd_route_count ? syncd_routes[route].name : "none";
		const char *method = route < syncd_route_count ? syncd_routes[route].method : "any";
		for (int code = 100; code < 600; code++) {
			uint64_t count = syncd_metrics_get(ctx->metrics, route, code);
			if (count > 0) {
				fprintf(
				    out,
				    "mecdns_syncd_http_requests_total{route=\"%s\",method=\"%s\","
				    "code=\"%d\"} %" PRIu64 "\n",
				    name, method, code, count);
			}
		}
	}
}

/*! \brief mod-mecdns's counters from knotd (with a knot socket only). */
static void print_module(FILE *out, const syncd_ctx_t *ctx)
{
	if (ctx->kstate == NULL) {
		return;
	}
	kstate_module_t m;
	kstate_module(ctx->kstate, &m);
	/* Against the database as it was when that poll asked knotd: writes
	 * committed since are not lag yet. */
	uint64_t lag = m.db_generation > m.generation ? m.db_generation - m.generation : 0;
	fprintf(
	    out,
	    "# HELP mecdns_module_up Whether knotd answers with mod-mecdns loaded (last poll).\n"
	    "# TYPE mecdns_module_up gauge\n"
	    "mecdns_module_up %d\n"
	    "# HELP mecdns_module_queries_total Queries mod-mecdns saw in knotd, by result "
	    "(knotd's counters: they restart with knotd).\n"
	    "# TYPE mecdns_module_queries_total counter\n"
	    "mecdns_module_queries_total{result=\"answered\"} %" PRIu64 "\n"
	    "mecdns_module_queries_total{result=\"nodata\"} %" PRIu64 "\n"
	    "mecdns_module_queries_total{result=\"passed\"} %" PRIu64 "\n"
	    "# HELP mecdns_module_queries_per_second Queries per second over the last second.\n"
	    "# TYPE mecdns_module_queries_per_second gauge\n"
	    "mecdns_module_queries_per_second %.3f\n"
	    "# HELP mecdns_module_queries_per_second_increase How fast the query rate grew: "
	    "its change over the last second, per second.\n"
	    "# TYPE mecdns_module_queries_per_second_increase gauge\n"
	    "mecdns_module_queries_per_second_increase %.3f\n"
	    "# HELP mecdns_module_records Records the module has loaded.\n"
	    "# TYPE mecdns_module_records gauge\n"
	    "mecdns_module_records %" PRIu64 "\n"
	    "# HELP mecdns_module_generation Database generation the module serves.\n"
	    "# TYPE mecdns_module_generation gauge\n"
	    "mecdns_module_generation %" PRIu64 "\n"
	    "# HELP mecdns_module_generation_lag Committed generations the module does not "
	    "serve yet.\n"
	    "# TYPE mecdns_module_generation_lag gauge\n"
	    "mecdns_module_generation_lag %" PRIu64 "\n"
	    "# HELP mecdns_module_lag_seconds How long the oldest committed generation the "
	    "module does not serve has been committed (0: current).\n"
	    "# TYPE mecdns_module_lag_seconds gauge\n"
	    "mecdns_module_lag_seconds %.3f\n",
	    m.found ? 1 : 0, m.answered, m.nodata, m.passed, m.queries_per_s,
	    m.queries_per_s_increase, m.records, m.generation, lag, (double)m.lag_ms / 1000.0);
	if (m.found && m.refresher_age_ms >= 0) {
		fprintf(out,
		        "# HELP mecdns_module_refresher_age_seconds Since mod-mecdns's refresher "
		        "thread last ended a round (one per refresh-interval at least).\n"
		        "# TYPE mecdns_module_refresher_age_seconds gauge\n"
		        "mecdns_module_refresher_age_seconds %.3f\n",
		        (double)m.refresher_age_ms / 1000.0);
	}
	fprintf(out, "# HELP mecdns_module_ede_total Responses with an Extended DNS Error (RFC "
	             "8914), by INFO-CODE (global mod-mecdns instances; knotd's counters).\n"
	             "# TYPE mecdns_module_ede_total counter\n");
	for (unsigned i = 0; i < MECDNS_EDE_SLOTS; i++) {
		if (m.ede[i] > 0) {
			fprintf(out,
			        "mecdns_module_ede_total{code=\"%s%u\",name=\"%s\"} %" PRIu64 "\n",
			        i == MECDNS_EDE_OTHER ? ">=" : "", i, mecdns_ede_name(i), m.ede[i]);
		}
	}
}

/*! Most app instances /metrics lists one by one (their series). */
#define METRICS_APPS_MAX 1000

typedef struct {
	FILE *out;
	size_t apps;
	uint64_t omitted;
} app_print_t;

/*! \brief Prints a label value escaped as the text format wants it. */
static void print_label(FILE *out, const char *value)
{
	for (const char *c = value; *c != '\0'; c++) {
		if (*c == '\\' || *c == '"') {
			fputc('\\', out);
			fputc(*c, out);
		} else if (*c == '\n') {
			fputs("\\n", out);
		} else {
			fputc(*c, out);
		}
	}
}

/*! \brief The conditions and the zones' as GetState has them (for print_zones). */
static void print_zone_state(const mecdns_signals_state_t *state, void *data)
{
	FILE *out = data;
	const struct {
		const char *name;
		bool value;
	} conditions[] = {
		{ "server_running", state->server_running },
		{ "server_crashed", state->server_crashed },
		{ "all_zones_ready", state->all_zones_ready },
		{ "serving", state->serving },
		{ "query_rate", state->qps_exceeded },
		{ "query_rate_increase", state->qps_increase_exceeded },
	};
	fprintf(out, "# HELP mecdns_condition Knot state conditions as D-Bus last signalled them "
	             "(1: holds).\n# TYPE mecdns_condition gauge\n");
	for (size_t i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++) {
		fprintf(out, "mecdns_condition{name=\"%s\"} %d\n", conditions[i].name,
		        conditions[i].value ? 1 : 0);
	}
	static const char *const NAMES[] = { "ready", "expiring", "signatures_expiring" };
	static const char *const HELP[] = {
		"Whether knotd serves the zone (zone_ready).",
		"Whether the secondary zone is about to expire or expired (zone_expiring).",
		"Whether the zone's first RRSIG to expire does so soon (signatures_expiring).",
	};
	for (size_t n = 0; n < sizeof(NAMES) / sizeof(NAMES[0]); n++) {
		fprintf(out, "# HELP mecdns_zone_%s %s\n# TYPE mecdns_zone_%s gauge\n", NAMES[n],
		        HELP[n], NAMES[n]);
		for (size_t i = 0; i < state->zone_count; i++) {
			const mecdns_signals_zone_t *zone = &state->zones[i];
			bool value = n == 0   ? zone->ready
			             : n == 1 ? zone->expiring
			                      : zone->signatures_expiring;
			fprintf(out, "mecdns_zone_%s{zone=\"", NAMES[n]);
			print_label(out, zone->zone);
			fprintf(out, "\"} %d\n", value ? 1 : 0);
		}
	}
}

/*! \brief The expected zones' conditions (with a knot socket only). */
static void print_zones(FILE *out, const syncd_ctx_t *ctx)
{
	if (ctx->kstate != NULL) {
		mecdns_signals_read_state(ctx->signals, print_zone_state, out);
	}
}

static bool print_app(const char *app, uint64_t active, uint64_t inactive, void *ctx)
{
	app_print_t *p = ctx;
	if (p->apps == METRICS_APPS_MAX) {
		p->omitted++;
		return true;
	}
	p->apps++;
	const char *states[] = { "ACTIVE", "INACTIVE" };
	uint64_t counts[] = { active, inactive };
	for (int i = 0; i < 2; i++) {
		fputs("mecdns_app_rules{app=\"", p->out);
		print_label(p->out, app);
		fprintf(p->out, "\",state=\"%s\"} %" PRIu64 "\n", states[i], counts[i]);
	}
	return true;
}

void api_metrics(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	uint64_t active = 0, inactive = 0, generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_rule_counts(ctx->store, &active, &inactive, NULL);
	if (status == MECDNS_STORE_OK) {
		status = mecdns_store_state(ctx->store, &generation, NULL, NULL);
	}
	if (status != MECDNS_STORE_OK) {
		syncd_problem_store(resp, status, "metrics", req->path);
		return;
	}

	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (out == NULL) {
		syncd_problem(resp, 500, "out of memory", req->path);
		return;
	}
	print_requests(out, ctx);
	syncd_metrics_print_writes(ctx->metrics, out);
	mecdns_signals_print_lag(ctx->signals, out);
	print_module(out, ctx);
	print_zones(out, ctx);
	fprintf(out,
	        "# HELP mecdns_app_rules DNS rules of each application instance, by state "
	        "(the first %d instances by id).\n"
	        "# TYPE mecdns_app_rules gauge\n",
	        METRICS_APPS_MAX);
	app_print_t apps = { .out = out };
	if (mecdns_store_app_counts(ctx->store, print_app, &apps) != MECDNS_STORE_OK) {
		fclose(out);
		free(text);
		syncd_problem_store(resp, MECDNS_STORE_ERROR, "metrics", req->path);
		return;
	}
	fprintf(out,
	        "# HELP mecdns_app_rules_omitted_apps Application instances with rules that "
	        "mecdns_app_rules leaves out.\n"
	        "# TYPE mecdns_app_rules_omitted_apps gauge\n"
	        "mecdns_app_rules_omitted_apps %" PRIu64 "\n",
	        apps.omitted);
	syncd_metrics_print_limits(ctx->metrics, ctx->limits, out);
	syncd_zonesync_print_metrics(ctx->zonesync, out);
	syncd_reports_print_metrics(ctx->reports, ctx->notify, out);
	fprintf(
	    out,
	    "# HELP mecdns_rules DNS rules in the database, by state.\n"
	    "# TYPE mecdns_rules gauge\n"
	    "mecdns_rules{state=\"ACTIVE\"} %" PRIu64 "\n"
	    "mecdns_rules{state=\"INACTIVE\"} %" PRIu64 "\n"
	    "# HELP mecdns_generation Last committed database generation.\n"
	    "# TYPE mecdns_generation gauge\n"
	    "mecdns_generation %" PRIu64 "\n"
	    "# HELP mecdns_signals_outbox_depth Committed changes not yet signalled on D-Bus.\n"
	    "# TYPE mecdns_signals_outbox_depth gauge\n"
	    "mecdns_signals_outbox_depth %" PRIu64 "\n"
	    "# HELP mecdns_signals_connected Whether the D-Bus emitter owns its name (1) or not.\n"
	    "# TYPE mecdns_signals_connected gauge\n"
	    "mecdns_signals_connected %d\n",
	    active, inactive, generation,
	    ctx->signals != NULL ? mecdns_signals_outbox_depth(ctx->signals) : 0,
	    ctx->signals != NULL && mecdns_signals_connected(ctx->signals) ? 1 : 0);
	if (fclose(out) != 0 || text == NULL) {
		free(text);
		syncd_problem(resp, 500, "out of memory", req->path);
		return;
	}
	syncd_response_clear(resp);
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->body = text;
	resp->body_len = size;
}
