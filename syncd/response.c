/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd response (see response.h). */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syncd/response.h"

static void drop_file(syncd_response_t *resp);

void syncd_response_body(syncd_response_t *resp, int status, const char *content_type, char *body)
{
	drop_file(resp);
	free(resp->body);
	free(resp->etag);
	free(resp->location);
	free(resp->link);
	resp->etag = NULL;
	resp->location = NULL;
	resp->link = NULL;
	resp->status = status;
	resp->body = body;
	resp->body_len = body != NULL ? strlen(body) : 0;
	resp->content_type = body != NULL ? content_type : NULL;
}

int syncd_response_json(syncd_response_t *resp, int status, cJSON *json)
{
	char *text = json != NULL ? cJSON_PrintUnformatted(json) : NULL;
	cJSON_Delete(json);
	if (text == NULL) {
		syncd_response_body(resp, 500, NULL, NULL); /* Out of memory. */
		return -1;
	}
	syncd_response_clear(resp);
	resp->status = status;
	resp->content_type = "application/json";
	resp->body = text;
	resp->body_len = strlen(text);
	return 0;
}

int syncd_response_text(syncd_response_t *resp, int status, const char *content_type,
                        const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	if (copy == NULL) {
		syncd_response_body(resp, 500, NULL, NULL); /* Out of memory. */
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	syncd_response_clear(resp);
	resp->status = status;
	resp->content_type = content_type;
	resp->body = copy;
	resp->body_len = len;
	return 0;
}

void syncd_response_empty(syncd_response_t *resp, int status)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->content_type = NULL;
	resp->status = status;
}

void syncd_response_generation(syncd_response_t *resp, uint64_t generation)
{
	resp->has_generation = true;
	resp->generation = generation;
}

static void drop_file(syncd_response_t *resp)
{
	if (resp->has_file) {
		close(resp->file_fd);
		resp->has_file = false;
		resp->file_fd = -1;
	}
}

void syncd_response_file(syncd_response_t *resp, int status, const char *content_type, int fd,
                         uint64_t size)
{
	syncd_response_body(resp, status, NULL, NULL);
	resp->content_type = content_type;
	resp->has_file = true;
	resp->file_fd = fd;
	resp->file_size = size;
}

void syncd_response_clear(syncd_response_t *resp)
{
	drop_file(resp);
	free(resp->body);
	free(resp->etag);
	free(resp->location);
	free(resp->link);
	memset(resp, 0, sizeof(*resp));
}
