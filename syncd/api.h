/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd API handlers: one file per API (api_mp1.c, api_mm5.c,
 *  api_rrecord.c, api_ops.c), one route table (routes.c).
 *
 *  A handler validates the request, calls the store, maps the result to an
 *  HTTP answer and, after a successful write, wakes the signal emitter.
 *  Nothing else: no SQL, no D-Bus, no libmicrohttpd here.
 */

#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store/store.h"
#include "syncd/auth.h"
#include "syncd/config.h"
#include "syncd/kstate.h"
#include "syncd/limits.h"
#include "syncd/metrics.h"
#include "syncd/response.h"
#include "syncd/signals.h"
#include "syncd/zonesync.h"

/*! Everything a handler may use; one per daemon. */
typedef struct {
	const syncd_config_t *config;
	mecdns_store_t *store;
	mecdns_signals_t *signals;
	kstate_t *kstate;              /*!< NULL: no knot socket configured. */
	struct syncd_mqtt *mqtt;       /*!< NULL: no MQTT broker configured. */
	syncd_zonesync_t *zonesync;    /*!< NULL: no synced zones. */
	zoneguard_t *zoneguard;        /*!< NULL: no knot socket configured. */
	struct syncd_reports *reports; /*!< NULL: no report-socket configured. */
	struct syncd_notify *notify;   /*!< NULL: no report-socket configured. */
	syncd_metrics_t *metrics;
	syncd_limits_t *limits;     /*!< Connection and rate limits (http.c). */
	pthread_rwlock_t auth_lock; /*!< Guards auth (swapped on SIGHUP). */
	syncd_auth_t *auth;         /*!< NULL: no token file, no auth. */
} syncd_ctx_t;

/*! Path parameters a route can capture ("{}" segments). */
#define SYNCD_MAX_PARAMS 4

/*! One request as a handler sees it. */
typedef struct syncd_request {
	const char *method;
	const char *path; /*!< Decoded path, without the query. */
	const char *params[SYNCD_MAX_PARAMS];
	size_t param_count;
	const char *body; /*!< NUL-terminated (body_len bytes before). */
	size_t body_len;
	void *connection; /*!< The HTTP layer's handle (opaque). */
	bool tenant;      /*!< Asked as the application itself (app:ID token):
	                       its writes need name grants (syncd_auth_decide). */
} syncd_request_t;

/*! \brief A request header (case-insensitive name), or NULL. */
const char *syncd_request_header(const syncd_request_t *req, const char *name);

/*! \brief A query argument, or NULL. */
const char *syncd_request_query(const syncd_request_t *req, const char *name);

typedef void (*syncd_handler_t)(syncd_ctx_t *ctx, const syncd_request_t *req,
                                syncd_response_t *resp);

typedef struct {
	const char *method;
	const char *pattern; /*!< "/a/{}/b": "{}" captures one segment. */
	syncd_handler_t handler;
	syncd_need_t need; /*!< SYNCD_NEED_APP: params[0] is the app id. */
	const char *name;  /*!< Label for metrics and logs. */
} syncd_route_t;

/*! The route table and its length. */
extern const syncd_route_t syncd_routes[];
extern const size_t syncd_route_count;

/*!
 * \brief Finds the route of method + path and fills req->params.
 *
 * \param allow  Out: when the path matches but the method does not, the
 *               methods it allows ("GET, PUT"), else "".
 * \return The index in syncd_routes, or SIZE_MAX.
 */
size_t syncd_route_find(const char *method, const char *path, syncd_request_t *req, char *allow,
                        size_t allow_len);

/*** Helpers shared by the handlers (api_ops.c). ***/

/*! \brief Parses the body as JSON; NULL with a 400 problem in resp. */
cJSON *api_parse_body(const syncd_request_t *req, syncd_response_t *resp);

/*! \brief Checks a path id; false with a 400 problem in resp. */
bool api_check_id(const char *id, const char *what, const syncd_request_t *req,
                  syncd_response_t *resp);

/*! \brief Checks the path ids of a rule route (params[0] app, params[1]
 *         rule) and names the rule in what for messages; false with a 400
 *         problem in resp. */
bool api_rule_path(const syncd_request_t *req, syncd_response_t *resp, char *what, size_t what_len);

/*! \brief api_rule_path(), then the body parsed as JSON; NULL with a 400
 *         problem in resp. */
cJSON *api_rule_body(const syncd_request_t *req, syncd_response_t *resp, char *what,
                     size_t what_len);

/*! \brief Answers a rule write: the store's problem for status, else
 *         (signals told) the stored rule with code and its generation.
 *         Returns whether the write committed. */
bool api_rule_written(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp,
                      mecdns_store_status_t status, const char *what, int code,
                      const mecdns_rule_t *stored);

/*! \brief Whether syncd is ready (/readyz: database, bus, serving); why
 *         names what is missing ("ready" when nothing is). */
bool api_ready(syncd_ctx_t *ctx, char *why, size_t why_len);

/*! \brief Tells the signal emitter that a write committed. */
void api_committed(syncd_ctx_t *ctx);

/*! \brief Whether the request's answers show mecdns's DnsRule extensions
 *         (clientSubnets): on Mm5 (/mep/config/...), never on Mp1, whose
 *         answers stay exactly ETSI's DnsRule. */
bool api_extensions(const syncd_request_t *req);

/*! \brief Answers one rule (200/201) with its ETag. */
void api_rule_answer(const syncd_request_t *req, syncd_response_t *resp, int status,
                     const mecdns_rule_t *rule);

/*! \brief Answers a rule list as a JSON array. */
void api_rule_list_answer(const syncd_request_t *req, syncd_response_t *resp,
                          const mecdns_rule_list_t *list);

/*!
 * \brief Turns an If-Match header into the version the store must find
 *        (the store compares it inside its write transaction).
 *
 * \return true with *expected (0 = any: no header, or "*"), or false with a
 *         404 (no such rule) or 412 (cannot match) problem in resp.
 */
bool api_rule_expected_version(syncd_ctx_t *ctx, const syncd_request_t *req, const char *app,
                               const char *id, const char *what, uint64_t *expected,
                               syncd_response_t *resp);

/*** Mp1 (api_mp1.c); the two reads serve Mm5's GETs as well. ***/
void api_rules_list(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_rule_get(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_mp1_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);

/*** Mm5 (api_mm5.c). ***/
void api_mm5_create(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_mm5_delete_app(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_mm5_update(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_mm5_delete(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_grants_list(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_grant_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_grant_delete(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);

/*** MEP -> DNS rrecord (api_rrecord.c). ***/
void api_rrecord_list(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_rrecord_bulk_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_rrecord_add(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_rrecord_get(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_context_create(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_context_get(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_context_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_context_patch(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_context_delete(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_rrecord_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_rrecord_delete(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);

/*** Operations (api_ops.c). ***/
/* Operator endpoints (api_ctl.c, docs/api.md "Operator endpoints"). */
void api_status(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_rules_page(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_lookup(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_backup(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);

void api_healthz(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_readyz(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
void api_metrics(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp);
