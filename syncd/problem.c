/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd problems (see problem.h). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "syncd/problem.h"

const char *syncd_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 507:
		return "Insufficient Storage";
	default:
		return "Unknown";
	}
}

/*! \brief Adds a string member, invalid UTF-8 replaced by U+FFFD (the
 *         detail and the instance may quote a path or a body as sent). */
static bool add_text(cJSON *json, const char *name, const char *text)
{
	if (text == NULL) {
		return true;
	}
	char *clean = mecdns_utf8_sanitize(text);
	bool ok = clean != NULL && cJSON_AddStringToObject(json, name, clean) != NULL;
	free(clean);
	return ok;
}

cJSON *syncd_problem_json(int status, const char *detail, const char *instance)
{
	cJSON *json = cJSON_CreateObject();
	if (json == NULL) {
		return NULL;
	}
	bool ok = cJSON_AddStringToObject(json, "type", "about:blank") != NULL &&
	          cJSON_AddStringToObject(json, "title", syncd_http_reason(status)) != NULL &&
	          cJSON_AddNumberToObject(json, "status", status) != NULL &&
	          add_text(json, "detail", detail) && add_text(json, "instance", instance);
	if (!ok) {
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

void syncd_problem(syncd_response_t *resp, int status, const char *detail, const char *instance)
{
	/* Keeps headers such as Allow. Out of memory (text NULL): the status
	 * alone still tells the truth. */
	cJSON *json = syncd_problem_json(status, detail, instance);
	char *text = json != NULL ? cJSON_PrintUnformatted(json) : NULL;
	cJSON_Delete(json);
	syncd_response_body(resp, status, SYNCD_PROBLEM_CONTENT_TYPE, text);
}

void syncd_problemf(syncd_response_t *resp, int status, const char *instance, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	syncd_problem(resp, status, detail, instance);
}

int syncd_store_http_status(mecdns_store_status_t status)
{
	switch (status) {
	case MECDNS_STORE_OK:
		return 200;
	case MECDNS_STORE_NOT_FOUND:
		return 404;
	case MECDNS_STORE_EXISTS:
		return 409;
	case MECDNS_STORE_CONFLICT:
		return 409;
	case MECDNS_STORE_STALE:
		return 412;
	case MECDNS_STORE_INVALID:
		return 400;
	case MECDNS_STORE_BUSY:
		return 503;
	case MECDNS_STORE_READONLY:
		return 503;
	case MECDNS_STORE_CORRUPT:
		return 503;
	case MECDNS_STORE_FULL:
		return 507;
	case MECDNS_STORE_ERROR:
		return 500;
	case MECDNS_STORE_FORBIDDEN:
		return 403;
	}
	return 500;
}

void syncd_problem_store(syncd_response_t *resp, mecdns_store_status_t status, const char *what,
                         const char *instance)
{
	int http = syncd_store_http_status(status);
	switch (status) {
	case MECDNS_STORE_NOT_FOUND:
		syncd_problemf(resp, http, instance, "%s does not exist", what);
		return;
	case MECDNS_STORE_EXISTS:
		syncd_problemf(resp, http, instance, "%s already exists", what);
		return;
	case MECDNS_STORE_CONFLICT:
	case MECDNS_STORE_FORBIDDEN:
		syncd_problemf(resp, http, instance, "%s: %s", what, mecdns_store_last_error());
		return;
	case MECDNS_STORE_STALE:
		syncd_problemf(resp, http, instance,
		               "%s was changed by someone else (If-Match does not match its ETag)",
		               what);
		return;
	case MECDNS_STORE_INVALID:
		syncd_problemf(resp, http, instance, "%s: value refused: %s", what,
		               mecdns_store_last_error());
		return;
	default:
		syncd_problemf(resp, http, instance, "database %s: %s",
		               mecdns_store_strerror(status), mecdns_store_last_error());
		return;
	}
}
