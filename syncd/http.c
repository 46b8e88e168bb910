/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd HTTP server (see http.h). */

#include <microhttpd.h>

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/config_file.h"
#include "syncd/http.h"
#include "common/log.h"
#include "syncd/problem.h"

/*! Seconds an idle connection is kept. */
#define CONNECTION_TIMEOUT 30
/*! Milliseconds a retired daemon (after a TLS reload) may finish its
 *  connections before it is stopped: an idle keep-alive connection times
 *  out by then anyway. */
#define RETIRE_TIMEOUT_MS ((CONNECTION_TIMEOUT + 2) * 1000)
/*! Milliseconds between checks of retired daemons' connection counts. */
#define RETIRE_POLL_MS 100
/*! Milliseconds between sweeps of connections past header-timeout. */
#define SWEEP_POLL_MS 250

/*! The TLS files as read (MHD keeps pointers into them while a daemon
 *  runs); all NULL without TLS. */
typedef struct {
	char *cert;
	char *key;
	char *ca;
} tls_pem_t;

/*! One MHD daemon and the TLS files it serves with. */
typedef struct http_daemon {
	struct MHD_Daemon *mhd;
	tls_pem_t pem;
	int quiesced_fd;          /*!< Listen socket after quiescing, or -1. */
	long long deadline_ms;    /*!< When a retired daemon is stopped anyway. */
	struct http_daemon *next; /*!< Next retired daemon. */
} http_daemon_t;

struct syncd_http {
	syncd_ctx_t *ctx;
	http_daemon_t *current; /*!< Accepts new connections (main thread only). */
	pthread_mutex_t lock;   /*!< Guards the fields below. */
	pthread_cond_t wake;
	http_daemon_t *retired; /*!< Finishing their connections after a reload. */
	bool reaper_running;
	bool stopping;
	pthread_t reaper;
};

/*! \brief MHD's own connection limit: a margin above max-connections, so
 *         connections over it still get their 503 while file descriptors
 *         stay bounded (past it MHD stops accepting: new connections wait
 *         in the listen queue). MHD splits it among the worker threads and
 *         closes what a full thread accepts, uncounted by syncd's limits:
 *         at least 16 each, so that the threads' uneven share of a
 *         burst does not fill one. */
static unsigned connection_hard_limit(const syncd_config_t *config)
{
	unsigned margin = config->max_connections / 4 > 16 ? config->max_connections / 4 : 16;
	unsigned hard = config->max_connections + margin;
	return hard > config->threads * 16 ? hard : config->threads * 16;
}

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
	if (resp->has_file) {
		/* MHD closes the descriptor with the response. */
		response = MHD_create_response_from_fd64(resp->file_size, resp->file_fd);
		if (response != NULL) {
			resp->has_file = false;
		}
	} else if (resp->body != NULL) {
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
	if (resp->link != NULL) {
		MHD_add_response_header(response, "Link", resp->link);
	}
	if (resp->location != NULL) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_LOCATION, resp->location);
	}
	if (resp->allow != NULL) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, resp->allow);
	}
	if (resp->has_generation && resp->status >= 200 && resp->status < 300) {
		char generation[24];
		snprintf(generation, sizeof(generation), "%" PRIu64, resp->generation);
		MHD_add_response_header(response, SYNCD_GENERATION_HEADER, generation);
	}
	if (resp->status == 401) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Bearer realm=\"mecdns\"");
	}
	if (resp->retry_after > 0) {
		char retry[16];
		snprintf(retry, sizeof(retry), "%u", resp->retry_after);
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	}
	if (resp->close) {
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(connection, (unsigned)resp->status, response);
	MHD_destroy_response(response);
	return ret;
}

/*! \brief With --tls-client-ca: whether the peer sent a certificate that
 *         verifies against it and is for TLS clients: an extended key usage
 *         without clientAuth (a server's certificate from the same CA) is
 *         refused; a certificate without the extension is for any purpose
 *         (RFC 5280, 4.2.1.12). */
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
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	unsigned int verify = 0;
	return gnutls_certificate_verify_peers(session, &purpose, 1, &verify) == GNUTLS_E_SUCCESS &&
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
	const syncd_route_t *route = index != SIZE_MAX ? &syncd_routes[index] : NULL;
	/* Authentication before the 404/405 of a path or method without a
	 * route: a client without credentials cannot map the API. */
	syncd_need_t need = route != NULL ? route->need : SYNCD_NEED_ANY;

	if (need != SYNCD_NEED_NONE && ctx->config->tls_client_ca != NULL &&
	    !client_certificate_ok(connection)) {
		syncd_problem(resp, 403,
		              "a client certificate (extended key usage clientAuth) signed by the "
		              "configured CA is required",
		              url);
		return;
	}
	pthread_rwlock_rdlock(&ctx->auth_lock);
	syncd_auth_result_t auth = syncd_auth_decide(
	    ctx->auth,
	    MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
	    need, need == SYNCD_NEED_APP ? req.params[0] : NULL, &req.tenant);
	pthread_rwlock_unlock(&ctx->auth_lock);
	if (auth == SYNCD_AUTH_UNAUTHORIZED) {
		syncd_problem(resp, 401,
		              "a valid bearer token is required (Authorization: Bearer ...)", url);
		return;
	}
	if (auth == SYNCD_AUTH_FORBIDDEN) {
		syncd_problem(resp, 403, "the token does not grant access to this resource", url);
		return;
	}
	if (route == NULL) {
		if (allow[0] != '\0') {
			resp->allow = allow;
			syncd_problemf(resp, 405, url, "%s is not allowed here (allowed: %s)",
			               method, allow);
		} else {
			syncd_problemf(resp, 404, url, "no resource at %s", url);
		}
		return;
	}
	if (state->too_large) {
		syncd_metrics_refused(ctx->metrics, SYNCD_LIMIT_BODY);
		syncd_problemf(resp, 413, url, "the request body is larger than %zu bytes",
		               ctx->config->max_body);
		return;
	}
	size_t at = 0;
	if (!syncd_json_depth_ok(req.body, req.body_len, ctx->config->max_json_depth, &at)) {
		syncd_metrics_refused(ctx->metrics, SYNCD_LIMIT_JSON_DEPTH);
		syncd_problemf(resp, 400, url,
		               "the JSON body nests deeper than %u arrays/objects (at byte %zu)",
		               ctx->config->max_json_depth, at);
		return;
	}
	route->handler(ctx, &req, resp);
}

/*! \brief The connection's limits entry (syncd_limits_open()), or NULL. */
static syncd_limits_conn_t *limits_conn(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

/*! \brief A request header is in: no header deadline until its answer. */
static void header_done(syncd_limits_t *limits, struct MHD_Connection *connection)
{
	syncd_limits_header_done(limits, limits_conn(connection));
}

/*! \brief The connection waits for a request header from now on (it was
 *         accepted, or its answer was sent): the header deadline runs. */
static void header_wait(syncd_limits_t *limits, struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info != NULL) {
		syncd_limits_header_wait(limits, limits_conn(connection), info->connect_fd);
	}
}

/*!
 * \brief The limits met before a request's body is read (syncd/limits.h):
 *        its connection's verdict, its client's rate (/healthz and /readyz
 *        exempt), its header count. Fills resp when one refuses it; the
 *        connection then closes (the request is not read to its end).
 */
static syncd_limit_t check_limits(syncd_http_t *http, struct MHD_Connection *connection,
                                  const char *url, syncd_response_t *resp)
{
	syncd_ctx_t *ctx = http->ctx;
	const syncd_config_t *config = ctx->config;
	const syncd_limits_conn_t *conn = limits_conn(connection);
	syncd_limit_t limit = conn != NULL ? conn->verdict : SYNCD_LIMIT_NONE;
	unsigned retry = SYNCD_LIMITS_CONNECTION_RETRY_AFTER;
	int headers;
	if (limit == SYNCD_LIMIT_CONNECTIONS) {
		syncd_problemf(resp, 503, url, "too many open connections (max-connections %u)",
		               config->max_connections);
	} else if (limit == SYNCD_LIMIT_CLIENT_CONNECTIONS) {
		syncd_problemf(resp, 429, url,
		               "too many open connections from this address "
		               "(max-connections-per-client %u)",
		               config->max_connections_per_client);
	} else if (!syncd_limits_rate_exempt(url) &&
	           syncd_limits_request(ctx->limits, conn, &retry) == SYNCD_LIMIT_RATE) {
		limit = SYNCD_LIMIT_RATE;
		syncd_problemf(resp, 429, url,
		               "too many requests from this address (rate-limit %g per second); "
		               "retry in %u s",
		               config->rate_limit, retry);
	} else if (config->max_headers > 0 &&
	           (headers = MHD_get_connection_values(connection, MHD_HEADER_KIND, NULL, NULL)) >
	               (int)config->max_headers) {
		limit = SYNCD_LIMIT_HEADERS;
		syncd_problemf(resp, 431, url, "the request has %d header fields, more than %u",
		               headers, config->max_headers);
	}
	if (limit == SYNCD_LIMIT_NONE) {
		return limit;
	}
	resp->retry_after = resp->status == 429 || resp->status == 503 ? retry : 0;
	resp->close = true;
	syncd_metrics_refused(ctx->metrics, limit);
	syncd_metrics_count(ctx->metrics, SIZE_MAX, resp->status);
	return limit;
}

/*! \brief Counts the Content-Length and Transfer-Encoding fields of a
 *         request (MHD_KeyValueIterator; cls is an unsigned[2]). */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	(void)kind;
	(void)value;
	unsigned *count = cls;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		count[0]++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		count[1]++;
	}
	return MHD_YES;
}

/*!
 * \brief Refuses a request whose body length is ambiguous (RFC 9112 6.3):
 *        Content-Length given twice, or with Transfer-Encoding. A proxy in
 *        front may frame it differently than libmicrohttpd does and smuggle
 *        a second request in its body. Fills resp (400, the connection
 *        closes) and returns false then.
 */
static bool framing_ok(struct MHD_Connection *connection, const char *url, syncd_response_t *resp)
{
	unsigned count[2] = { 0, 0 };
	MHD_get_connection_values(connection, MHD_HEADER_KIND, count_framing, count);
	if (count[0] > 1) {
		syncd_problemf(resp, 400, url,
		               "the request has %u Content-Length fields; one at most", count[0]);
	} else if (count[0] == 1 && count[1] > 0) {
		syncd_problem(
		    resp, 400,
		    "the request has both Content-Length and Transfer-Encoding; one at most", url);
	} else {
		return true;
	}
	resp->close = true;
	return false;
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
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
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
		header_done(http->ctx->limits, connection);
		/* A declared oversize body is refused before it is read when the
		 * client waits for "100 Continue" (curl does). */
		const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
		                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *expect = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
		                                                 MHD_HTTP_HEADER_EXPECT);
		syncd_response_t resp = { 0 };
		if (check_limits(http, connection, url, &resp) != SYNCD_LIMIT_NONE) {
			log_debug("%s %s %s -> %d (refused by a limit)", method, url, version,
			          resp.status);
			enum MHD_Result ret = send_response(connection, &resp);
			syncd_response_clear(&resp);
			return ret;
		}
		if (!framing_ok(connection, url, &resp)) {
			syncd_metrics_count(http->ctx->metrics, SIZE_MAX, resp.status);
			enum MHD_Result ret = send_response(connection, &resp);
			syncd_response_clear(&resp);
			return ret;
		}
		if (length != NULL && strtoull(length, NULL, 10) > http->ctx->config->max_body) {
			state->too_large = true;
			if (expect != NULL && strcasecmp(expect, "100-continue") == 0) {
				syncd_problemf(&resp, 413, url,
				               "the request body is larger than %zu bytes",
				               http->ctx->config->max_body);
				syncd_metrics_refused(http->ctx->metrics, SYNCD_LIMIT_BODY);
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
	if (resp.has_generation && resp.status >= 200 && resp.status < 300 &&
	    strcmp(method, "GET") != 0) {
		syncd_metrics_write(http->ctx->metrics, elapsed_ms(&state->start) / 1000.0);
	}
	if (mecdns_log_enabled(LOG_DEBUG)) {
		log_debug("%s %s %s -> %d (%zu bytes in, %.1f ms)", method, url, version,
		          resp.status, state->len, elapsed_ms(&state->start));
	}
	enum MHD_Result ret = send_response(connection, &resp);
	syncd_response_clear(&resp);
	return ret;
}

/*! \brief Counts connections in and out of the limits
 *         (MHD_OPTION_NOTIFY_CONNECTION; cls is the syncd_limits_t). */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	syncd_limits_t *limits = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		*socket_context =
		    syncd_limits_open(limits, info != NULL ? info->client_addr : NULL);
		header_wait(limits, connection);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		syncd_limits_close(limits, *socket_context);
		*socket_context = NULL;
	}
}

/*! \brief Frees a request's state; the connection then waits for its next
 *         request (MHD_OPTION_NOTIFY_COMPLETED; cls is the syncd_limits_t). */
static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
	request_state_t *state = *con_cls;
	if (state != NULL) {
		free(state->body);
		free(state);
		*con_cls = NULL;
	}
	if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		header_wait(cls, connection);
	}
}

/*! \brief Refuses a connection at accept when its address already holds
 *         max-connections-per-client (MHD_OPTION_ACCEPT_POLICY callback;
 *         cls is the syncd_ctx_t): the socket is closed unread. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)addrlen;
	syncd_ctx_t *ctx = cls;
	if (syncd_limits_admit(ctx->limits, addr)) {
		return MHD_YES;
	}
	syncd_metrics_refused(ctx->metrics, SYNCD_LIMIT_CLIENT_CONNECTIONS);
	return MHD_NO;
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
	size_t size = 0;
	char *text = mecdns_read_text_file(path, what, &size, err, err_len);
	if (text == NULL) {
		return NULL;
	}
	if (size == 0) {
		free(text);
		snprintf(err, err_len, "%s %s is empty", what, path);
		return NULL;
	}
	return text;
}

/*! \brief Frees TLS file contents (the key wiped first). */
static void tls_pem_clear(tls_pem_t *pem)
{
	if (pem->key != NULL) {
		explicit_bzero(pem->key, strlen(pem->key));
	}
	free(pem->cert);
	free(pem->key);
	free(pem->ca);
	memset(pem, 0, sizeof(*pem));
}

/*! \brief Whether two sets of TLS files have the same contents. */
static bool tls_pem_equal(const tls_pem_t *a, const tls_pem_t *b)
{
	const char *fa[] = { a->cert, a->key, a->ca };
	const char *fb[] = { b->cert, b->key, b->ca };
	for (size_t i = 0; i < 3; i++) {
		if ((fa[i] == NULL) != (fb[i] == NULL) ||
		    (fa[i] != NULL && strcmp(fa[i], fb[i]) != 0)) {
			return false;
		}
	}
	return true;
}

/*! \brief Checks that the key belongs to the certificate and that the
 *         client CA file holds at least one certificate. */
static bool tls_pem_verify(const syncd_config_t *config, const tls_pem_t *pem, char *err,
                           size_t err_len)
{
	gnutls_certificate_credentials_t creds;
	if (gnutls_certificate_allocate_credentials(&creds) != 0) {
		snprintf(err, err_len, "out of memory");
		return false;
	}
	gnutls_datum_t cert = { (unsigned char *)pem->cert, (unsigned)strlen(pem->cert) };
	gnutls_datum_t key = { (unsigned char *)pem->key, (unsigned)strlen(pem->key) };
	bool ok = true;
	int ret = gnutls_certificate_set_x509_key_mem(creds, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (ret < 0) {
		snprintf(err, err_len, "TLS certificate %s / key %s: %s", config->tls_cert,
		         config->tls_key, gnutls_strerror(ret));
		ok = false;
	}
	if (ok && pem->ca != NULL) {
		gnutls_datum_t ca = { (unsigned char *)pem->ca, (unsigned)strlen(pem->ca) };
		ret = gnutls_certificate_set_x509_trust_mem(creds, &ca, GNUTLS_X509_FMT_PEM);
		if (ret <= 0) {
			snprintf(err, err_len, "TLS client CA %s: %s", config->tls_client_ca,
			         ret < 0 ? gnutls_strerror(ret) : "no certificate in the file");
			ok = false;
		}
	}
	gnutls_certificate_free_credentials(creds);
	return ok;
}

/*! \brief Reads and checks the configured TLS files (nothing without TLS). */
static bool tls_pem_load(const syncd_config_t *config, tls_pem_t *pem, char *err, size_t err_len)
{
	memset(pem, 0, sizeof(*pem));
	if (config->tls_cert == NULL) {
		return true;
	}
	pem->cert = read_pem(config->tls_cert, "TLS certificate", err, err_len);
	if (pem->cert != NULL) {
		pem->key = read_pem(config->tls_key, "TLS key", err, err_len);
	}
	if (pem->key != NULL && config->tls_client_ca != NULL) {
		pem->ca = read_pem(config->tls_client_ca, "TLS client CA", err, err_len);
	}
	bool ok = pem->key != NULL && (config->tls_client_ca == NULL || pem->ca != NULL) &&
	          tls_pem_verify(config, pem, err, err_len);
	if (!ok) {
		tls_pem_clear(pem);
	}
	return ok;
}

/*! \brief "subject 'DN', serial HEX" of the (first) certificate in pem. */
static void tls_describe(const char *pem, char *out, size_t out_len)
{
	snprintf(out, out_len, "unknown subject");
	gnutls_x509_crt_t crt;
	if (gnutls_x509_crt_init(&crt) != 0) {
		return;
	}
	gnutls_datum_t data = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_datum_t dn = { NULL, 0 };
	unsigned char serial[64];
	size_t serial_len = sizeof(serial);
	if (gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM) == 0 &&
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0 &&
	    gnutls_x509_crt_get_serial(crt, serial, &serial_len) == 0) {
		char hex[2 * sizeof(serial) + 1] = "";
		for (size_t i = 0; i < serial_len; i++) {
			snprintf(hex + 2 * i, 3, "%02x", serial[i]);
		}
		snprintf(out, out_len, "subject '%s', serial %s", (const char *)dn.data, hex);
	}
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
}

bool syncd_http_tls_check(const syncd_config_t *config, char *err, size_t err_len)
{
	tls_pem_t pem;
	bool ok = tls_pem_load(config, &pem, err, err_len);
	tls_pem_clear(&pem);
	return ok;
}

/*!
 * \brief Builds the option array and starts one MHD daemon.
 *
 * \param pem        TLS files (kept by the caller while the daemon runs).
 * \param listen_fd  A listening socket to serve (a reload), or -1 to open
 *                   the configured address.
 */
static struct MHD_Daemon *daemon_start(syncd_http_t *http, const tls_pem_t *pem, int listen_fd)
{
	const syncd_config_t *config = http->ctx->config;
	/* ITC: a daemon can be quiesced (a TLS reload hands its socket on).
	 * With TLS the workers poll() rather than epoll: libmicrohttpd's
	 * MHD_quiesce_daemon() races with its own epoll loop (seen with
	 * 0.9.75, Debian 12) and aborts the process ("Failed to remove listen
	 * FD from epoll set"); its poll() side has no such race. */
	unsigned int flags =
	    (pem->cert != NULL ? MHD_USE_POLL_INTERNAL_THREAD : MHD_USE_EPOLL_INTERNAL_THREAD) |
	    MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (config->listen_addr.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	struct MHD_OptionItem options[24];
	size_t n = 0;
	/* The logger first, so MHD never prints through its own. */
	options[n++] =
	    (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL };
	if (listen_fd >= 0) {
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
	} else {
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0,
			                                (void *)&config->listen_addr };
	}
	options[n++] =
	    (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, config->threads, NULL };
	options[n++] =
	    (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT, NULL };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed,
		                                http->ctx->limits };
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
		                                (intptr_t)on_connection, http->ctx->limits };
	if (config->max_connections > 0) {
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
			                                connection_hard_limit(config), NULL };
	}
	if (pem->cert != NULL) {
		flags |= MHD_USE_TLS;
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, pem->cert };
		options[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, pem->key };
		if (pem->ca != NULL) {
			/* MHD then asks every client for a certificate;
			 * dispatch() refuses requests without a valid one. */
			options[n++] =
			    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, pem->ca };
		}
	}
	options[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	return MHD_start_daemon(flags, 0, on_accept, http->ctx, on_request, http, MHD_OPTION_ARRAY,
	                        options, MHD_OPTION_END);
}

/*! \brief Stops a daemon and frees it (and its quiesced socket). */
static void daemon_free(http_daemon_t *d)
{
	if (d->mhd != NULL) {
		MHD_stop_daemon(d->mhd);
	}
	if (d->quiesced_fd >= 0) {
		close(d->quiesced_fd); /* Only now: MHD's threads may use it until stopped. */
	}
	tls_pem_clear(&d->pem);
	free(d);
}

/*! \brief Whether a retired daemon may be stopped: no connections left or
 *         its time is up. */
static bool retired_done(http_daemon_t *d, long long now)
{
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return info == NULL || info->num_connections == 0 || now >= d->deadline_ms;
}

/*! \brief Milliseconds of the monotonic clock. */
/*! \brief Counts one connection cut at header-timeout (before its cut). */
static void count_header_cut(void *metrics)
{
	syncd_metrics_refused(metrics, SYNCD_LIMIT_HEADER_TIMEOUT);
}

/*! \brief Thread: stops retired daemons once their connections are gone
 *         (all of them when the server stops), and, with header-timeout,
 *         cuts the connections past it (syncd_limits_sweep()). */
static void *reaper(void *arg)
{
	syncd_http_t *http = arg;
	const bool sweep = http->ctx->config->header_timeout > 0;
	pthread_mutex_lock(&http->lock);
	while (!http->stopping || http->retired != NULL) {
		long long now = mecdns_monotonic_ms();
		http_daemon_t **link = &http->retired;
		while (*link != NULL) {
			http_daemon_t *d = *link;
			if (!http->stopping && !retired_done(d, now)) {
				link = &d->next;
				continue;
			}
			*link = d->next;
			pthread_mutex_unlock(&http->lock);
			log_debug("http: stopped the listener of the previous TLS files");
			daemon_free(d);
			pthread_mutex_lock(&http->lock);
			link = &http->retired; /* The list may have changed meanwhile. */
		}
		if (http->stopping) {
			continue;
		}
		if (sweep) {
			unsigned cut = syncd_limits_sweep(http->ctx->limits, count_header_cut,
			                                  http->ctx->metrics);
			if (cut > 0) {
				log_debug("http: cut %u connection%s past header-timeout %u s", cut,
				          cut == 1 ? "" : "s", http->ctx->config->header_timeout);
			}
		}
		struct timespec wait;
		clock_gettime(CLOCK_MONOTONIC, &wait);
		if (http->retired != NULL || sweep) {
			long poll_ms = http->retired != NULL ? RETIRE_POLL_MS : SWEEP_POLL_MS;
			wait.tv_nsec += poll_ms * 1000000L;
			wait.tv_sec += wait.tv_nsec / 1000000000L;
			wait.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&http->wake, &http->lock, &wait);
		} else {
			pthread_cond_wait(&http->wake, &http->lock);
		}
	}
	pthread_mutex_unlock(&http->lock);
	return NULL;
}

/*! \brief Starts the reaper unless it runs (http->lock held). */
static void reaper_start(syncd_http_t *http)
{
	if (!http->reaper_running) {
		http->reaper_running = pthread_create(&http->reaper, NULL, reaper, http) == 0;
	}
}

/*! \brief Hands a quiesced daemon to the reaper (started on first use). */
static void retire(syncd_http_t *http, http_daemon_t *d)
{
	d->deadline_ms = mecdns_monotonic_ms() + RETIRE_TIMEOUT_MS;
	pthread_mutex_lock(&http->lock);
	reaper_start(http);
	if (http->reaper_running) {
		d->next = http->retired;
		http->retired = d;
		pthread_cond_signal(&http->wake);
		d = NULL;
	}
	pthread_mutex_unlock(&http->lock);
	if (d != NULL) {
		log_warning("http: no thread to retire the previous listener, stopping it now");
		daemon_free(d);
	}
}

syncd_http_t *syncd_http_start(syncd_ctx_t *ctx, char *err, size_t err_len)
{
	const syncd_config_t *config = ctx->config;
	syncd_http_t *http = calloc(1, sizeof(*http));
	http_daemon_t *d = calloc(1, sizeof(*d));
	if (http == NULL || d == NULL) {
		free(http);
		free(d);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	http->ctx = ctx;
	pthread_mutex_init(&http->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&http->wake, &attr);
	pthread_condattr_destroy(&attr);
	http->current = d;
	d->quiesced_fd = -1;

	if (!tls_pem_load(config, &d->pem, err, err_len)) {
		goto fail;
	}
	d->mhd = daemon_start(http, &d->pem, -1);
	if (d->mhd == NULL) {
		snprintf(err, err_len,
		         "cannot serve HTTP%s on %s (address in use, not local, or bad TLS files?)",
		         config->tls_cert != NULL ? "S" : "", config->listen);
		goto fail;
	}
	if (config->header_timeout > 0) {
		pthread_mutex_lock(&http->lock);
		reaper_start(http);
		bool running = http->reaper_running;
		pthread_mutex_unlock(&http->lock);
		if (!running) {
			snprintf(err, err_len, "cannot start the header-timeout thread");
			goto fail;
		}
	}
	return http;
fail:
	syncd_http_stop(http);
	return NULL;
}

bool syncd_http_reload(syncd_http_t *http)
{
	const syncd_config_t *config = http->ctx->config;
	if (config->tls_cert == NULL) {
		return true;
	}
	http_daemon_t *old = http->current;
	http_daemon_t *fresh = calloc(1, sizeof(*fresh));
	char err[600];
	if (fresh == NULL || !tls_pem_load(config, &fresh->pem, err, sizeof(err))) {
		log_error("SIGHUP: TLS files not reloaded, still serving the previous ones: %s",
		          fresh != NULL ? err : "out of memory");
		free(fresh);
		return false;
	}
	fresh->quiesced_fd = -1;
	if (tls_pem_equal(&fresh->pem, &old->pem)) {
		log_info("SIGHUP: TLS files unchanged");
		daemon_free(fresh);
		return true;
	}

	/* The new daemon accepts on a duplicate of the listening socket before
	 * the old one stops accepting: no moment without a listener. */
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(old->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	int fd = info != NULL ? fcntl(info->listen_fd, F_DUPFD_CLOEXEC, 0) : -1;
	fresh->mhd = fd >= 0 ? daemon_start(http, &fresh->pem, fd) : NULL;
	if (fresh->mhd == NULL) {
		log_error("SIGHUP: cannot serve with the new TLS files (%s), still serving the "
		          "previous ones",
		          fd < 0 ? strerror(errno) : "see the http: line above");
		if (fd >= 0) {
			close(fd);
		}
		daemon_free(fresh);
		return false;
	}
	old->quiesced_fd = MHD_quiesce_daemon(old->mhd);
	if (old->quiesced_fd < 0) {
		log_error("SIGHUP: cannot hand the listening socket on, still serving the previous "
		          "TLS files");
		daemon_free(fresh);
		return false;
	}
	http->current = fresh;
	retire(http, old);

	char subject[512];
	tls_describe(fresh->pem.cert, subject, sizeof(subject));
	log_notice("SIGHUP: reloaded the TLS files: certificate %s (%s), key %s%s%s",
	           config->tls_cert, subject, config->tls_key,
	           fresh->pem.ca != NULL ? ", client CA " : "",
	           fresh->pem.ca != NULL ? config->tls_client_ca : "");
	return true;
}

void syncd_http_stop(syncd_http_t *http)
{
	if (http == NULL) {
		return;
	}
	if (http->current != NULL) {
		daemon_free(http->current);
	}
	pthread_mutex_lock(&http->lock);
	http->stopping = true;
	pthread_cond_signal(&http->wake);
	bool joined = http->reaper_running;
	pthread_mutex_unlock(&http->lock);
	if (joined) {
		pthread_join(http->reaper, NULL);
	}
	pthread_cond_destroy(&http->wake);
	pthread_mutex_destroy(&http->lock);
	free(http);
}
