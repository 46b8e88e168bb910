/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd route table: which handler answers which method and path,
 *  and which scope it needs (DESIGN.md, "HTTP APIs of mecdns-syncd"). */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "syncd/api.h"

#define MP1      "/mec_app_support/v1/applications/{}/dns_rules"
#define MM5      "/mep/config/{}/dns_rules"
#define GRANTS   "/mep/config/{}/dns_names"
#define RRECORD  "/mep/dns_server_mgmt/v1/rrecord"
#define CONTEXTS "/neasdf-dnscontext/v1/dns-contexts"

const syncd_route_t syncd_routes[] = {
	{ "GET", MP1, api_rules_list, SYNCD_NEED_APP, "mp1_dns_rules" },
	{ "GET", MP1 "/{}", api_rule_get, SYNCD_NEED_APP, "mp1_dns_rule" },
	{ "PUT", MP1 "/{}", api_mp1_put, SYNCD_NEED_APP, "mp1_dns_rule" },

	{ "GET", MM5, api_rules_list, SYNCD_NEED_MM5, "mm5_dns_rules" },
	{ "POST", MM5, api_mm5_create, SYNCD_NEED_MM5, "mm5_dns_rules" },
	{ "DELETE", MM5, api_mm5_delete_app, SYNCD_NEED_MM5, "mm5_dns_rules" },
	{ "GET", MM5 "/{}", api_rule_get, SYNCD_NEED_MM5, "mm5_dns_rule" },
	{ "PUT", MM5 "/{}", api_mm5_update, SYNCD_NEED_MM5, "mm5_dns_rule" },
	{ "DELETE", MM5 "/{}", api_mm5_delete, SYNCD_NEED_MM5, "mm5_dns_rule" },
	{ "GET", GRANTS, api_grants_list, SYNCD_NEED_MM5, "mm5_dns_names" },
	{ "PUT", GRANTS "/{}", api_grant_put, SYNCD_NEED_MM5, "mm5_dns_name" },
	{ "DELETE", GRANTS "/{}", api_grant_delete, SYNCD_NEED_MM5, "mm5_dns_name" },

	{ "GET", RRECORD, api_rrecord_list, SYNCD_NEED_DNS_MGMT, "rrecords" },
	{ "PUT", RRECORD, api_rrecord_bulk_put, SYNCD_NEED_DNS_MGMT, "rrecords" },
	{ "POST", RRECORD, api_rrecord_add, SYNCD_NEED_DNS_MGMT, "rrecords" },
	{ "GET", RRECORD "/{}/{}", api_rrecord_get, SYNCD_NEED_DNS_MGMT, "rrecord" },
	{ "PUT", RRECORD "/{}/{}", api_rrecord_put, SYNCD_NEED_DNS_MGMT, "rrecord" },
	{ "DELETE", RRECORD "/{}/{}", api_rrecord_delete, SYNCD_NEED_DNS_MGMT, "rrecord" },

	{ "POST", CONTEXTS, api_context_create, SYNCD_NEED_EASDF, "dns_contexts" },
	{ "GET", CONTEXTS "/{}", api_context_get, SYNCD_NEED_EASDF, "dns_context" },
	{ "PUT", CONTEXTS "/{}", api_context_put, SYNCD_NEED_EASDF, "dns_context" },
	{ "PATCH", CONTEXTS "/{}", api_context_patch, SYNCD_NEED_EASDF, "dns_context" },
	{ "DELETE", CONTEXTS "/{}", api_context_delete, SYNCD_NEED_EASDF, "dns_context" },

	{ "GET", "/mecdns/v1/status", api_status, SYNCD_NEED_METRICS, "status" },
	{ "GET", "/mecdns/v1/dns_rules", api_rules_page, SYNCD_NEED_MM5, "all_dns_rules" },
	{ "GET", "/mecdns/v1/lookup", api_lookup, SYNCD_NEED_MM5, "lookup" },
	{ "GET", "/mecdns/v1/backup", api_backup, SYNCD_NEED_ADMIN, "backup" },

	{ "GET", "/healthz", api_healthz, SYNCD_NEED_NONE, "healthz" },
	{ "GET", "/readyz", api_readyz, SYNCD_NEED_NONE, "readyz" },
	{ "GET", "/metrics", api_metrics, SYNCD_NEED_METRICS, "metrics" },
};

const size_t syncd_route_count = sizeof(syncd_routes) / sizeof(syncd_routes[0]);

/*! Longest path we route; longer ones cannot match anything. */
#define PATH_MAX_LEN 2048

/*!
 * \brief Matches path against pattern; captures point into buf (a copy of
 *        path with '/' replaced by NULs), end is buf + the path's length.
 */
static bool path_matches(const char *pattern, char *buf, const char *end, const char **params,
                         size_t *count)
{
	*count = 0;
	const char *p = pattern;
	char *s = buf;
	while (*p != '\0') {
		if (*p != '/' || s >= end || *s != '\0') {
			return false; /* Both are at a segment start here. */
		}
		p++;
		s++;
		const char *p_end = strchr(p, '/');
		size_t p_len = p_end != NULL ? (size_t)(p_end - p) : strlen(p);
		size_t s_len = strlen(s);
		if (p_len == 2 && strncmp(p, "{}", 2) == 0) {
			if (s_len == 0 || *count >= SYNCD_MAX_PARAMS) {
				return false;
			}
			params[(*count)++] = s;
		} else if (s_len != p_len || strncmp(p, s, p_len) != 0) {
			return false;
		}
		p += p_len;
		s += s_len;
	}
	return s == end; /* Consumed the whole path (any byte may be in it). */
}

size_t syncd_route_find(const char *method, const char *path, syncd_request_t *req, char *allow,
                        size_t allow_len)
{
	static __thread char buf[PATH_MAX_LEN + 2];
	allow[0] = '\0';

	size_t len = strlen(path);
	if (len > 1 && path[len - 1] == '/') {
		len--; /* "/healthz/" is "/healthz". */
	}
	if (len == 0 || len > PATH_MAX_LEN || path[0] != '/') {
		return SIZE_MAX;
	}

	size_t found = SIZE_MAX;
	for (size_t i = 0; i < syncd_route_count; i++) {
		/* Segments become NUL-terminated strings. */
		memcpy(buf, path, len);
		buf[len] = '\0';
		for (size_t j = 0; j < len; j++) {
			if (buf[j] == '/') {
				buf[j] = '\0';
			}
		}
		const char *params[SYNCD_MAX_PARAMS];
		size_t count = 0;
		if (!path_matches(syncd_routes[i].pattern, buf, buf + len, params, &count)) {
			continue;
		}
		if (strcmp(syncd_routes[i].method, method) == 0) {
			found = i;
			req->param_count = count;
			memcpy(req->params, params, sizeof(params));
			break;
		}
		size_t used = strlen(allow);
		snprintf(allow + used, allow_len - used, "%s%s", used > 0 ? ", " : "",
		         syncd_routes[i].method);
	}
	return found;
}
