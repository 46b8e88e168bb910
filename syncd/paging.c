/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd paged listings (see paging.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/paging.h"
#include "syncd/problem.h"

size_t syncd_page_limit(const syncd_request_t *req, syncd_response_t *resp)
{
	const char *text = syncd_request_query(req, "limit");
	if (text == NULL) {
		return SYNCD_PAGE_DEFAULT;
	}
	char *end = NULL;
	unsigned long limit = text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;
	if (end == NULL || *end != '\0' || limit == 0 || limit > SYNCD_PAGE_MAX) {
		syncd_problemf(resp, 400, req->path, "limit \"%s\" is not a number from 1 to %d",
		               text, SYNCD_PAGE_MAX);
		return 0;
	}
	return (size_t)limit;
}

char *syncd_cursor_encode(const char *const *fields, size_t count)
{
	size_t len = 0;
	for (size_t i = 0; i < count; i++) {
		len += strlen(fields[i]) + (i > 0);
	}
	char *hex = malloc(2 * len + 1);
	char *out = hex;
	for (size_t i = 0; hex != NULL && i < count; i++) {
		if (i > 0) {
			out += sprintf(out, "%02x", '\n');
		}
		for (const unsigned char *c = (const unsigned char *)fields[i]; *c != '\0'; c++) {
			out += sprintf(out, "%02x", *c);
		}
	}
	if (hex != NULL) {
		*out = '\0';
	}
	return hex;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

bool syncd_cursor_decode(const char *hex, char *plain, const char **fields, size_t count)
{
	size_t len = strlen(hex);
	if (count == 0 || len == 0 || len % 2 != 0 || len > 2 * SYNCD_CURSOR_MAX) {
		return false;
	}
	for (size_t i = 0; i < len / 2; i++) {
		int high = hex_digit(hex[2 * i]);
		int low = hex_digit(hex[2 * i + 1]);
		if (high < 0 || low < 0 || (high == 0 && low == 0)) {
			return false;
		}
		plain[i] = (char)(high * 16 + low);
	}
	plain[len / 2] = '\0';
	char *at = plain;
	for (size_t i = 0; i < count; i++) {
		fields[i] = at;
		char *newline = strchr(at, '\n');
		if ((newline == NULL) != (i + 1 == count)) {
			return false; /* Too few or too many fields. */
		}
		if (newline != NULL) {
			*newline = '\0';
			at = newline + 1;
		}
	}
	return true;
}

char *syncd_query_part(const char *name, const char *value)
{
	if (value == NULL) {
		return strdup("");
	}
	char *query = malloc(strlen(name) + 3 + 3 * strlen(value));
	if (query == NULL) {
		return NULL;
	}
	char *out = query + sprintf(query, "&%s=", name);
	for (const unsigned char *c = (const unsigned char *)value; *c != '\0'; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' || *c == '~') {
			*out++ = (char)*c;
		} else {
			out += sprintf(out, "%%%02X", *c);
		}
	}
	*out = '\0';
	return query;
}

char *syncd_next_link(const char *path, size_t limit, const char *cursor, const char *extra)
{
	char *link = NULL;
	if (cursor == NULL || extra == NULL ||
	    asprintf(&link, "<%s?limit=%zu&cursor=%s%s>; rel=\"next\"", path, limit, cursor,
	             extra) < 0) {
		return NULL;
	}
	return link;
}
