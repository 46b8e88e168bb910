/*  mecdns-syncd HTTP server (see http.h). */

#include <microhttpd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syncd/http.h"
#include "common/log.h"
#include "syncd/problem.h"

/*! Seconds an idle connection is kept. */
#define CONNECTION_TIMEOUT 30

struct syncd_http {
	syncd_ctx_t *ctx;
	struct MHD_Daemon *daemon;
	char *tls_cert;  /*!< PEM contents (MHD keeps pointers to them). */
	char *tls_key;
	char *tls_ca;
};

/*! State of one request while its body arrives. */
typedef struct {
	char *body;
	size_t len;
	size_t cap;
	bool too_large;
	struct timespec start;
} request_state_t;

const char *syncd_request_header(const syncd_request_t *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *syncd_request_query(const syncd_request_t *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

/*! \brief Appends upload data within the limit; marks too_large past it. */
static void collect_body(request_state_t *state, const char *data, size_t size, size_t limit)
{
	if (state->too_large || size == 0) {
		return;
	}
	if (state->len + size > limit) {
		state->too_large = true;
		free(state->body);
		state->body = NULL;
		state->len = state->cap = 0;
		return;
	}
	if (state->len + size + 1 > state->cap) {
		size_t cap = state->cap > 0 ? state->cap : 4096;
		while (cap < state->len + size + 1) {
			cap *= 2;
		}
		char *body = realloc(state->body, cap);
		if (body == NULL) {
			state->too_large = true; /* Cannot hold it either way. */
			return;
		}
		state->body = body;
		state->cap = cap;
	}
	memcpy(state->body + state->len, data, size);
	state->len += size;
	state->body[state->len] = '\0';
}

/*! \brief Hands a response to MHD (the body moves into MHD). */
static enum MHD_Result send_response(struct MHD_Connection *connection, syncd_response_t *resp)
{
	struct MHD_Response *response = NULL;
	if (resp->body != NULL) {
		response = MHD_create_response_from_buffer(resp->body_len, resp->body,
		                                           MHD_RESPMEM_MUST_FREE);
		if (response != NULL) {
			resp->body = NULL;
		}
	} else {
		response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	}
	if (response == NULL) {
		return MHD_NO;
	}
	if (resp->content_type != NULL) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	}
	if (resp->etag != NULL) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_ETAG, resp->etag);
	}
	if (resp->location != NULL) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_LOCATION, resp->location);
	}
	if (resp->allow != NULL) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, resp->allow);
	}
	if (resp->status == 401) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Bearer realm=\"mecdns\"");
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(connection, (unsigned)resp->status, response);
	MHD_destroy_response(response);
	return ret;
}

/*! \brief With --tls-client-ca: whether the peer sent a certificate that
 *         verifies against it. */
static bool client_certificate_ok(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (info == NULL || info->tls_session == NULL) {
		return false;
	}
	gnutls_session_t session = (gnutls_session_t)info->tls_session;
	unsigned int list_size = 0;
	if (gnutls_certificate_get_peers(session, &list_size) == NULL || list_size == 0) {
		return false;
	}
	unsigned int verify = 0;
	return gnutls_certificate_verify_peers2(session, &verify) == GNUTLS_E_SUCCESS &&
	       verify == 0;
}

/*! \brief Routes, authorises and runs one complete request. */
static void dispatch(syncd_http_t *http, struct MHD_Connection *connection, const char *method,
                     const char *url, request_state_t *state, syncd_response_t *resp,
                     size_t *route_index)
{
	syncd_ctx_t *ctx = http->ctx;
	syncd_request_t req = {
		.method = method,
		.path = url,
		.body = state->body != NULL ? state->body : "",
		.body_len = state->len,
		.connection = connection,
	};
	static __thread char allow[64];

	size_t index = syncd_route_find(method, url, &req, allow, sizeof(allow));
	*route_index = index;
	if (index == SIZE_MAX) {
		if (allow[0] != '\0') {
			resp->allow = allow;
			syncd_problemf(resp, 405, url, "%s is not allowed here (allowed: %s)", method,
			               allow);
		} else {
			syncd_problemf(resp, 404, url, "no resource at %s", url);
		}
		return;
	}
	const syncd_route_t *route = &syncd_routes[index];

	if (route->need != SYNCD_NEED_NONE && ctx->config->tls_client_ca != NULL &&
	    !client_certificate_ok(connection)) {
		syncd_problem(resp, 403, "a client certificate signed by the configured CA is required",
		              url);
		return;
	}
	pthread_rwlock_rdlock(&ctx->auth_lock);
	syncd_auth_result_t auth = syncd_auth_check(
		ctx->auth,
		MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
		route->need, route->need == SYNCD_NEED_APP ? req.params[0] : NULL);
	pthread_rwlock_unlock(&ctx->auth_lock);
	if (auth == SYNCD_AUTH_UNAUTHORIZED) {
		syncd_problem(resp, 401, "a valid bearer token is required (Authorization: Bearer ...)",
		              url);
		return;
	}
	if (auth == SYNCD_AUTH_FORBIDDEN) {
		syncd_problem(resp, 403, "the token does not grant access to this resource", url);
		return;
	}
	if (state->too_large) {
		syncd_problemf(resp, 413, url, "the request body is larger than %zu bytes",
		               ctx->config->max_body);
		return;
	}
	route->handler(ctx, &req, resp);
}

/*! \brief Milliseconds since start. */
static double elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	syncd_http_t *http = cls;
	request_state_t *state = *con_cls;

	if (state == NULL) {
		state = calloc(1, sizeof(*state));
		if (state == NULL) {
			return MHD_NO;
		}
		clock_gettime(CLOCK_MONOTONIC, &state->start);
		*con_cls = state;
		/* A declared oversize body is refused before it is read when the
		 * client waits for "100 Continue" (curl does). */
		const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
		                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *expect = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
		                                                 MHD_HTTP_HEADER_EXPECT);
		if (length != NULL && strtoull(length, NULL, 10) > http->ctx->config->max_body) {
			state->too_large = true;
			if (expect != NULL && strcasecmp(expect, "100-continue") == 0) {
				syncd_response_t resp = { 0 };
				syncd_problemf(&resp, 413, url, "the request body is larger than %zu bytes",
				               http->ctx->config->max_body);
				syncd_metrics_count(http->ctx->metrics, SIZE_MAX, 413);
				enum MHD_Result ret = send_response(connection, &resp);
				syncd_response_clear(&resp);
				return ret;
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		collect_body(state, upload_data, *upload_data_size, http->ctx->config->max_body);
		*upload_data_size = 0;
		return MHD_YES;
	}

	syncd_response_t resp = { 0 };
	size_t route = SIZE_MAX;
	dispatch(http, connection, method, url, state, &resp, &route);
	syncd_metrics_count(http->ctx->metrics, route, resp.status);
	if (mecdns_log_enabled(LOG_DEBUG)) {
		log_debug("%s %s %s -> %d (%zu bytes in, %.1f ms)", method, url, version, resp.status,
		          state->len, elapsed_ms(&state->start));
	}
	enum MHD_Result ret = send_response(connection, &resp);
	syncd_response_clear(&resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
	request_state_t *state = *con_cls;
	if (state != NULL) {
		free(state->body);
		free(state);
		*con_cls = NULL;
	}
}

/*! \brief MHD's own error messages into our log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
		line[--len] = '\0';
	}
	log_warning("http: %s", line);
}

/*! \brief Reads a whole (PEM) file into a malloc'd string. */
static char *read_pem(const char *path, const char *what, char *err, size_t err_len)
{
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		snprintf(err, err_len, "cannot open %s %s: %m", what, path);
		return NULL;
	}
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	char buf[4096];
	size_t got;
	bool ok = mem != NULL;
	while (ok && (got = fread(buf, 1, sizeof(buf), file)) > 0) {
		ok = fwrite(buf, 1, got, mem) == got;
	}
	ok = ok && !ferror(file);
	fclose(file);
	if (mem != NULL) {
		fclose(mem);
	}
	if (!ok || text == NULL || size == 0) {
		free(text);
		snprintf(err, err_len, "cannot read %s %s (empty or unreadable)", what, path);
		return NULL;
	}
	return text;
}

bool syncd_http_tls_check(const syncd_config_t *config, char *err, size_t err_len)
{
	if (config->tls_cert == NULL) {
		return true;
	}
	char *cert = read_pem(config->tls_cert, "TLS certificate", err, err_len);
	char *key = cert != NULL ? read_pem(config->tls_key, "TLS key", err, err_len) : NULL;
	bool ok = cert != NULL && key != NULL;
	if (ok) {
		gnutls_certificate_credentials_t creds;
		gnutls_datum_t c = { (unsigned char *)cert, (unsigned)strlen(cert) };
		gnutls_datum_t k = { (unsigned char *)key, (unsigned)strlen(key) };
		ok = gnutls_certificate_allocate_credentials(&creds) == 0;
		if (ok) {
			int ret = gnutls_certificate_set_x509_key_mem(creds, &c, &k, GNUTLS_X509_FMT_PEM);
			if (ret < 0) {
				snprintf(err, err_len, "TLS certificate %s / key %s: %s", config->tls_cert,
				         config->tls_key, gnutls_strerror(ret));
				ok = false;
			}
			gnutls_certificate_free_credentials(creds);
		}
	}
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
	}
	free(cert);
	free(key);
	return ok;
}

syncd_http_t *syncd_http_start(syncd_ctx_t *ctx, char *err, size_t err_len)
{
	const syncd_config_t *config = ctx->config;
	syncd_http_t *http = calloc(1, sizeof(*http));
	if (http == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	http->ctx = ctx;

	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (config->listen_addr.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	struct MHD_OptionItem options[12];
	size_t n = 0;
	/* The logger first, so MHD never prints through its own. */
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log,
		                                NULL };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0,
		                                (void *)&config->listen_addr };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, config->threads, NULL };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT,
		                                NULL };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
		                                (intptr_t)on_completed, NULL };
	if (config->tls_cert != NULL) {
		flags |= MHD_USE_TLS;
		http->tls_cert = read_pem(config->tls_cert, "TLS certificate", err, err_len);
		http->tls_key = http->tls_cert != NULL
		                        ? read_pem(config->tls_key, "TLS key", err, err_len)
		                        : NULL;
		if (http->tls_key == NULL) {
			goto fail;
		}
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, http->tls_cert };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, http->tls_key };
		if (config->tls_client_ca != NULL) {
			http->tls_ca = read_pem(config->tls_client_ca, "TLS client CA", err, err_len);
			if (http->tls_ca == NULL) {
				goto fail;
			}
			options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
				                                http->tls_ca };
		}
	}
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	http->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, http, MHD_OPTION_ARRAY,
	                                options, MHD_OPTION_END);
	if (http->daemon == NULL) {
		snprintf(err, err_len,
		         "cannot serve HTTP%s on %s (address in use, not local, or bad TLS files?)",
		         config->tls_cert != NULL ? "S" : "", config->listen);
		goto fail;
	}
	return http;
fail:
	syncd_http_stop(http);
	return NULL;
}

void syncd_http_stop(syncd_http_t *http)
{
	if (http == NULL) {
		return;
	}
	if (http->daemon != NULL) {
		MHD_stop_daemon(http->daemon);
	}
	if (http->tls_key != NULL) {
		explicit_bzero(http->tls_key, strlen(http->tls_key));
	}
	free(http->tls_cert);
	free(http->tls_key);
	free(http->tls_ca);
	free(http);
}
