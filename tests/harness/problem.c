/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: ProblemDetails assertions (see problem.h). */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tests/harness/problem.h"

void http_assert_problem(const http_response_t *resp, int status, const char *detail_part)
{
	ck_assert_msg(resp->status == status, "status %d, expected %d: %s", resp->status, status,
	              resp->body);
	char *type = http_header(resp, "Content-Type");
	ck_assert_ptr_nonnull(type);
	ck_assert_str_eq(type, "application/problem+json");
	free(type);
	cJSON *json = cJSON_Parse(resp->body);
	ck_assert_ptr_nonnull(json);
	ck_assert_int_eq(cJSON_GetObjectItem(json, "status")->valueint, status);
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(json, "type")));
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(json, "title")));
	const cJSON *detail = cJSON_GetObjectItem(json, "detail");
	ck_assert(cJSON_IsString(detail));
	if (detail_part != NULL) {
		ck_assert_msg(strstr(detail->valuestring, detail_part) != NULL,
		              "detail \"%s\" lacks \"%s\"", detail->valuestring, detail_part);
	}
	cJSON_Delete(json);
}
