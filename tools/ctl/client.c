/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl HTTP client (see client.h). */

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tools/ctl/client.h"

struct ctl_client {
	CURL *curl;
	ctl_client_config_t config;
};

typedef struct {
	ctl_answer_t *answer;
	CURL *curl;
	FILE *to_file;
	size_t capacity;
	bool failed;
} sink_t;

ctl_client_t *ctl_client_new(const ctl_client_config_t *config)
{
	static bool initialised;
	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			return NULL;
		}
		initialised = true;
	}
	ctl_client_t *client = calloc(1, sizeof(*client));
	if (client == NULL) {
		return NULL;
	}
	client->config = *config;
	client->curl = curl_easy_init();
	if (client->curl == NULL) {
		free(client);
		return NULL;
	}
	return client;
}

void ctl_client_free(ctl_client_t *client)
{
	if (client != NULL) {
		curl_easy_cleanup(client->curl);
		free(client);
	}
}

void ctl_answer_clear(ctl_answer_t *answer)
{
	free(answer->body);
	free(answer->etag);
	free(answer->next);
	free(answer->content_type);
	memset(answer, 0, sizeof(*answer));
}

char *ctl_escape(ctl_client_t *client, const char *text)
{
	char *escaped = curl_easy_escape(client->curl, text, 0);
	char *copy = escaped != NULL ? strdup(escaped) : NULL;
	curl_free(escaped);
	return copy;
}

static size_t on_body(char *data, size_t size, size_t count, void *ctx)
{
	sink_t *sink = ctx;
	size_t len = size * count;
	ctl_answer_t *answer = sink->answer;
	/* Only a 2xx body goes to the file; an error's ProblemDetails stays
	 * in memory for the message. */
	long status = 0;
	curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
	if (sink->to_file != NULL && status >= 200 && status < 300) {
		if (fwrite(data, 1, len, sink->to_file) != len) {
			sink->failed = true;
			return 0;
		}
		return len;
	}
	if (answer->body_len + len + 1 > sink->capacity) {
		size_t capacity = sink->capacity > 0 ? sink->capacity : 4096;
		while (capacity < answer->body_len + len + 1) {
			capacity *= 2;
		}
		char *body = realloc(answer->body, capacity);
		if (body == NULL) {
			sink->failed = true;
			return 0;
		}
		answer->body = body;
		sink->capacity = capacity;
	}
	memcpy(answer->body + answer->body_len, data, len);
	answer->body_len += len;
	answer->body[answer->body_len] = '\0';
	return len;
}

/*! \brief A header's value without surrounding blanks (malloc'd), or NULL
 *         when the line is not that header. */
static char *header_value(const char *line, size_t len, const char *name)
{
	size_t name_len = strlen(name);
	if (len <= name_len || strncasecmp(line, name, name_len) != 0 || line[name_len] != ':') {
		return NULL;
	}
	const char *value = line + name_len + 1;
	const char *end = line + len;
	while (value < end && (*value == ' ' || *value == '\t')) {
		value++;
	}
	while (end > value && isspace((unsigned char)end[-1])) {
		end--;
	}
	return strndup(value, (size_t)(end - value));
}

/*! \brief The target of rel="next" in a Link value, or NULL. */
static char *link_next(const char *value)
{
	const char *open = strchr(value, '<');
	const char *close = open != NULL ? strchr(open, '>') : NULL;
	if (close == NULL || strstr(close, "rel=\"next\"") == NULL) {
		return NULL;
	}
	return strndup(open + 1, (size_t)(close - open - 1));
}

static size_t on_header(char *data, size_t size, size_t count, void *ctx)
{
	ctl_answer_t *answer = ctx;
	size_t len = size * count;
	char *value;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new answer (after a 100 Continue): forget the last. */
		free(answer->etag);
		free(answer->next);
		free(answer->content_type);
		answer->etag = answer->next = answer->content_type = NULL;
		answer->has_generation = false;
	} else if ((value = header_value(data, len, "X-Mecdns-Generation")) != NULL) {
		char *end = NULL;
		answer->generation = strtoull(value, &end, 10);
		answer->has_generation = end != value && *end == '\0';
		free(value);
	} else if ((value = header_value(data, len, "ETag")) != NULL) {
		free(answer->etag);
		answer->etag = value;
	} else if ((value = header_value(data, len, "Content-Type")) != NULL) {
		free(answer->content_type);
		answer->content_type = value;
	} else if ((value = header_value(data, len, "Link")) != NULL) {
		free(answer->next);
		answer->next = link_next(value);
		free(value);
	}
	return len;
}

/*! \brief A progress bar on stderr while a large answer comes in. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	(void)ctx;
	(void)ultotal;
	(void)ulnow;
	if (dltotal <= 0) {
		return 0;
	}
	int width = 40;
	int done = (int)(dlnow * width / dltotal);
	fprintf(stderr,
	        "\r[%.*s%*s] %3d%% %" CURL_FORMAT_CURL_OFF_T " / %" CURL_FORMAT_CURL_OFF_T " bytes",
	        done, "########################################", width - done, "",
	        (int)(dlnow * 100 / dltotal), dlnow, dltotal);
	if (dlnow == dltotal) {
		fputc('\n', stderr);
	}
	return 0;
}

bool ctl_request(ctl_client_t *client, const char *method, const char *path, const char *body,
                 const char *if_match, FILE *to_file, bool progress, ctl_answer_t *answer)
{
	memset(answer, 0, sizeof(*answer));
	CURL *curl = client->curl;
	curl_easy_reset(curl);
	char *url = NULL;
	if (asprintf(&url, "%s%s", client->config.url, path) < 0) {
		snprintf(answer->error, sizeof(answer->error), "out of memory");
		return false;
	}
	struct curl_slist *headers = NULL;
	char *auth = NULL;
	char *match = NULL;
	if (client->config.token != NULL &&
	    asprintf(&auth, "Authorization: Bearer %s", client->config.token) >= 0) {
		headers = curl_slist_append(headers, auth);
	}
	if (if_match != NULL && asprintf(&match, "If-Match: %s", if_match) >= 0) {
		headers = curl_slist_append(headers, match);
	}
	if (body != NULL) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	headers = curl_slist_append(headers, "Expect:");
	sink_t sink = { .answer = answer, .curl = curl, .to_file = to_file };
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, answer);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	if (client->config.timeout_s > 0) {
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, client->config.timeout_s);
	}
	if (client->config.ca_file != NULL) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, client->config.ca_file);
	}
	if (client->config.cert_file != NULL) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, client->config.cert_file);
	}
	if (client->config.key_file != NULL) {
		curl_easy_setopt(curl, CURLOPT_SSLKEY, client->config.key_file);
	}
	if (progress) {
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	}
	char curl_error[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);

	CURLcode rc = curl_easy_perform(curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer->status);
	} else if (sink.failed) {
		snprintf(answer->error, sizeof(answer->error), "cannot keep the answer: %s",
		         to_file != NULL ? "write error" : "out of memory");
	} else {
		snprintf(answer->error, sizeof(answer->error), "%s",
		         curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc));
	}
	curl_slist_free_all(headers);
	free(auth);
	free(match);
	free(url);
	return rc == CURLE_OK;
}
