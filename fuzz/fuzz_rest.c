/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  libFuzzer target: the REST request -> validation -> store path of
 *  mecdns-syncd (Mp1, Mm5, rrecord and the operations endpoints), through
 *  the real route table (syncd/routes.c) and handlers (syncd/api_*.c) into
 *  the real store (store/store.c) on a real SQLite file.
 *
 *  The boundary: libmicrohttpd is not in the loop. This file stands in for
 *  syncd/http.c: it decodes requests from the input, defines
 *  syncd_request_header() and syncd_request_query() over them, and runs
 *  what http.c's dispatch() runs after the transport: route lookup (404 /
 *  405), bearer token check, JSON depth limit, the handler. D-Bus signals,
 *  Knot state and zone sync are off, as with `--dbus none` and neither
 *  knot-socket nor sync-zone: api_committed() sees no emitter.
 *
 *  Input: up to MAX_REQUESTS requests separated by NUL bytes, each
 *      METHOD SP PATH[?QUERY] LF
 *      Name: value LF ...        (headers, up to an empty line)
 *      LF
 *      body
 *  METHOD may be one digit (0 GET, 1 PUT, 2 POST, 3 DELETE, other PATCH);
 *  PATH may start with "~1" (Mp1: /mec_app_support/v1/applications/),
 *  "~5" (Mm5: /mep/config/) or "~r" (/mep/dns_server_mgmt/v1/rrecord), so
 *  that the fuzzer reaches every route group without guessing prefixes.
 *  PATH and QUERY are %-decoded as libmicrohttpd does. Without an
 *  Authorization header authorisation is off (no token file); with one, the
 *  fixed token table TOKENS applies. FUZZ_REST_TRACE=1 in the environment
 *  prints each request and its answer.
 *
 *  Each input starts from the same database (a copy of a file seeded once,
 *  see seed_store()), in a directory under /dev/shm (or TMPDIR) made once
 *  per process.
 *
 *  Properties checked besides memory safety (abort() on failure):
 *  - a route found spells the path: its pattern with the captured segments
 *    put back is the path (less a trailing slash);
 *  - every answer has a status 200..599; a JSON content type has a body that
 *    parses; every 4xx/5xx is an application/problem+json object whose
 *    "status" is the HTTP status, with "type", "title" and "detail";
 *  - a 4xx/5xx answer and every GET leave the store's generation unchanged;
 *  - a 2xx write raises the generation by exactly one (a PUT of rrecord sets
 *    may also change nothing: only deleting absent sets commits nothing);
 *  - after a 2xx rule write the rule reads back (GET) as the write answered
 *    it; after a 2xx rule DELETE it reads back as 404.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "syncd/api.h"
#include "syncd/limits.h"
#include "syncd/mqtt.h"
#include "syncd/problem.h"
#include "syncd/reports.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUESTS 8
#define MAX_HEADERS  8
#define MAX_ARGS     8

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "fuzz_rest: " __VA_ARGS__);                                        \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

/*! Token table used when a request carries an Authorization header. */
static const char TOKENS[] = "admin-token admin\n"
                             "mm5-token mm5\n"
                             "dns-token dns-mgmt\n"
                             "app-token app:app-1\n"
                             "metrics-token metrics\n";

/*** The stand-in for libmicrohttpd's connection: headers and arguments. ***/

typedef struct {
	const char *name;
	const char *value;
} pair_t;

typedef struct {
	pair_t headers[MAX_HEADERS];
	size_t header_count;
	pair_t args[MAX_ARGS];
	size_t arg_count;
} fuzz_conn_t;

const char *syncd_request_header(const syncd_request_t *req, const char *name)
{
	const fuzz_conn_t *conn = req->connection;
	for (size_t i = 0; conn != NULL && i < conn->header_count; i++) {
		if (strcasecmp(conn->headers[i].name, name) == 0) {
			return conn->headers[i].value;
		}
	}
	return NULL;
}

const char *syncd_request_query(const syncd_request_t *req, const char *name)
{
	const fuzz_conn_t *conn = req->connection;
	for (size_t i = 0; conn != NULL && i < conn->arg_count; i++) {
		if (strcmp(conn->args[i].name, name) == 0) {
			return conn->args[i].value;
		}
	}
	return NULL;
}

/*** What mecdns-syncd runs beside the handlers, off here. ***/

void syncd_reports_forget(syncd_reports_t *reports, const char *context_id, const char *rule_key)
{
	(void)reports;
	(void)context_id;
	(void)rule_key;
}

void syncd_reports_print_metrics(syncd_reports_t *reports, syncd_notify_t *notify, FILE *out)
{
	(void)reports;
	(void)notify;
	(void)out;
}

void mecdns_signals_notify(mecdns_signals_t *signals)
{
	(void)signals;
}

void mecdns_signals_print_lag(mecdns_signals_t *signals, FILE *out)
{
	(void)signals;
	(void)out;
}

uint64_t mecdns_signals_outbox_depth(mecdns_signals_t *signals)
{
	(void)signals;
	return 0;
}

bool mecdns_signals_connected(mecdns_signals_t *signals)
{
	(void)signals;
	return false;
}

void mecdns_signals_read_state(mecdns_signals_t *signals,
                               void (*read)(const mecdns_signals_state_t *state, void *data),
                               void *data)
{
	(void)signals;
	(void)read;
	(void)data;
}

void syncd_zonesync_notify(syncd_zonesync_t *zonesync)
{
	(void)zonesync;
}

void syncd_mqtt_notify(syncd_mqtt_t *mqtt)
{
	(void)mqtt;
}

void syncd_zonesync_print_metrics(syncd_zonesync_t *zonesync, FILE *out)
{
	(void)zonesync;
	(void)out;
}

bool kstate_serving(kstate_t *state)
{
	(void)state;
	return true;
}

void kstate_module(kstate_t *state, kstate_module_t *out)
{
	(void)state;
	memset(out, 0, sizeof(*out));
}

/*** The process-wide context. ***/

static syncd_config_t config;
static syncd_ctx_t ctx;
static syncd_auth_t *tokens;
static char db_dir[256];
static char db_path[300];
/*! FUZZ_REST_TRACE set: every request and its answer go to stderr. */
static bool trace;

static void remove_db(void)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char path[320];
		snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
		(void)unlink(path);
	}
}

static void close_store(void);

static void cleanup(void)
{
	close_store();
	remove_db();
	(void)rmdir(db_dir);
}

static char *dup_or_die(const char *s)
{
	char *copy = strdup(s);
	if (copy == NULL) {
		FAIL("out of memory");
	}
	return copy;
}

static mecdns_rrset_t seed_rrset(const char *owner, uint16_t type, uint32_t ttl,
                                 const uint8_t *wire, uint16_t wire_len, const char *text)
{
	mecdns_rrset_t set = {
		.zone = dup_or_die("."),
		.owner = dup_or_die(owner),
		.type = type,
		.ttl = ttl,
		.rdata = calloc(1, sizeof(mecdns_rdata_t)),
		.rdata_count = 1,
	};
	if (set.rdata == NULL || (set.rdata->wire = malloc(wire_len)) == NULL) {
		FAIL("out of memory");
	}
	memcpy(set.rdata->wire, wire, wire_len);
	set.rdata->wire_len = wire_len;
	set.rdata->text = dup_or_die(text);
	return set;
}

static void open_store(void)
{
	char err[512];
	if (mecdns_store_open(db_path, &ctx.store, err, sizeof(err)) != MECDNS_STORE_OK) {
		FAIL("cannot open %s: %s", db_path, err);
	}
}

static void close_store(void)
{
	if (ctx.store != NULL) {
		mecdns_store_close(ctx.store);
		ctx.store = NULL;
	}
}

/*! \brief Seeds the database: app-1 with rules r1 (ACTIVE A) and r2
 *         (INACTIVE AAAA, no ttl), app-2 with r1; rrsets www.example.com./A,
 *         mail.example.com./MX and alias.example.com./CNAME in zone ".". */
static void seed_store(void)
{
	mecdns_rule_t rules[] = {
		{ .app_instance_id = "app-1",
		  .dns_rule_id = "r1",
		  .domain_name = "www.mec.example",
		  .ip_type = MECDNS_IP_V4,
		  .ip_address = "192.0.2.1",
		  .ttl = 300,
		  .active = true },
		{ .app_instance_id = "app-1",
		  .dns_rule_id = "r2",
		  .domain_name = "v6.mec.example",
		  .ip_type = MECDNS_IP_V6,
		  .ip_address = "2001:db8::1",
		  .ttl = -1,
		  .active = false },
		{ .app_instance_id = "app-2",
		  .dns_rule_id = "r1",
		  .domain_name = "app2.mec.example",
		  .ip_type = MECDNS_IP_V4,
		  .ip_address = "198.51.100.7",
		  .ttl = 60,
		  .active = true },
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (mecdns_store_rule_create(ctx.store, &rules[i], NULL) != MECDNS_STORE_OK) {
			FAIL("seeding rule %zu: %s", i, mecdns_store_last_error());
		}
	}
	mecdns_rrset_t sets[] = {
		seed_rrset("www.example.com.", 1, 300, (const uint8_t *)"\xc0\x00\x02\x0a", 4,
		           "192.0.2.10"),
		seed_rrset("mail.example.com.", 15, 3600,
		           (const uint8_t *)"\x00\x0a\x02mx\x07"
		                            "example\x03"
		                            "com\x00",
		           18, "10 mx.example.com."),
		seed_rrset("alias.example.com.", 5, 60,
		           (const uint8_t *)"\x03www\x07"
		                            "example\x03"
		                            "com\x00",
		           17, "www.example.com."),
	};
	size_t count = sizeof(sets) / sizeof(sets[0]);
	if (mecdns_store_rrset_replace(ctx.store, sets, count, NULL) != MECDNS_STORE_OK) {
		FAIL("seeding rrsets: %s", mecdns_store_last_error());
	}
	for (size_t i = 0; i < count; i++) {
		mecdns_rrset_clear(&sets[i]);
	}
}

/*! The seeded database file (checkpointed, no -wal): each input starts
 *  from a copy, which is much faster than creating and seeding it. */
static uint8_t *template;
static size_t template_len;

static void write_file(const char *path, const uint8_t *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		FAIL("cannot write %s", path);
	}
}

static void make_template(void)
{
	remove_db();
	open_store();
	seed_store();
	close_store();
	sqlite3 *db = NULL;
	if (sqlite3_open(db_path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) {
		FAIL("checkpointing the template: %s", sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	FILE *f = fopen(db_path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (template_len = (size_t)ftell(f)) == 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (template = malloc(template_len)) == NULL ||
	    fread(template, 1, template_len, f) != template_len) {
		FAIL("cannot read the template %s", db_path);
	}
	fclose(f);
}

/*! \brief The seeded database again, for the next input. */
static void reset_store(void)
{
	close_store();
	remove_db();
	write_file(db_path, template, template_len);
	open_store();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(db_dir, sizeof(db_dir), "%s/mecdns-fuzz-rest.XXXXXX",
	         base != NULL ? base : "/tmp");
	if (mkdtemp(db_dir) == NULL) {
		FAIL("cannot create a directory like %s", db_dir);
	}
	snprintf(db_path, sizeof(db_path), "%s/mecdns.db", db_dir);
	atexit(cleanup);

	config.dbus = "none";
	config.database = db_path;
	config.max_body = SYNCD_DEFAULT_MAX_BODY;
	config.max_json_depth = SYNCD_DEFAULT_MAX_JSON_DEPTH;
	ctx.config = &config;
	ctx.metrics = syncd_metrics_new(syncd_route_count);
	syncd_limits_config_t limits_config = { 0 };
	ctx.limits = syncd_limits_new(&limits_config);
	char err[256];
	tokens = syncd_auth_parse(TOKENS, "fuzz", err, sizeof(err));
	if (ctx.metrics == NULL || ctx.limits == NULL || tokens == NULL) {
		FAIL("setup: %s", tokens == NULL ? err : "out of memory");
	}
	pthread_rwlock_init(&ctx.auth_lock, NULL);
	make_template();
	trace = getenv("FUZZ_REST_TRACE") != NULL;
	return 0;
}

/*** Decoding requests. ***/

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/*! \brief %-decodes in place (as MHD_http_unescape does). */
static void unescape(char *s)
{
	char *out = s;
	for (char *in = s; *in != '\0'; in++) {
		int hi, lo;
		if (in[0] == '%' && (hi = hex_value(in[1])) >= 0 && (lo = hex_value(in[2])) >= 0) {
			*out++ = (char)(hi * 16 + lo);
			in += 2;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

/*! One decoded request (pointing into its own copy of the input). */
typedef struct {
	char *text;
	const char *method;
	char path[2304];
	fuzz_conn_t conn;
	const char *body;
	size_t body_len;
} fuzz_req_t;

static const char *method_name(const char *token)
{
	static const char *const short_names[] = { "GET", "PUT", "POST", "DELETE" };
	if (token[0] >= '0' && token[0] <= '9' && token[1] == '\0') {
		int i = token[0] - '0';
		return i < 4 ? short_names[i] : "PATCH";
	}
	return token;
}

static void expand_path(const char *raw, char *out, size_t out_len)
{
	static const struct {
		const char *abbrev;
		const char *prefix;
	} prefixes[] = {
		{ "~1", "/mec_app_support/v1/applications/" },
		{ "~5", "/mep/config/" },
		{ "~r", "/mep/dns_server_mgmt/v1/rrecord" },
	};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strncmp(raw, prefixes[i].abbrev, 2) == 0) {
			snprintf(out, out_len, "%s%s", prefixes[i].prefix, raw + 2);
			return;
		}
	}
	snprintf(out, out_len, "%s", raw);
}

static void parse_query(char *query, fuzz_conn_t *conn)
{
	char *save = NULL;
	for (char *arg = strtok_r(query, "&", &save); arg != NULL && conn->arg_count < MAX_ARGS;
	     arg = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(arg, '=');
		if (eq != NULL) {
			*eq = '\0';
		}
		unescape(arg);
		const char *value = "";
		if (eq != NULL) {
			unescape(eq + 1);
			value = eq + 1;
		}
		conn->args[conn->arg_count++] = (pair_t){ arg, value };
	}
}

/*! \brief Decodes one request from data (no NUL inside); false if it has
 *         no request line. */
static bool decode(const uint8_t *data, size_t size, fuzz_req_t *req)
{
	memset(req, 0, sizeof(*req));
	req->text = malloc(size + 1);
	if (req->text == NULL) {
		return false;
	}
	memcpy(req->text, data, size);
	req->text[size] = '\0';

	char *line_end = strchr(req->text, '\n');
	char *rest = line_end != NULL ? line_end + 1 : req->text + size;
	if (line_end != NULL) {
		*line_end = '\0';
	}
	char *space = strchr(req->text, ' ');
	if (space == NULL) {
		return false;
	}
	*space = '\0';
	req->method = method_name(req->text);

	char *raw_path = space + 1;
	char *query = strchr(raw_path, '?');
	if (query != NULL) {
		*query++ = '\0';
		parse_query(query, &req->conn);
	}
	unescape(raw_path);
	expand_path(raw_path, req->path, sizeof(req->path));

	/* Headers up to an empty line; the rest is the body. */
	while (*rest != '\0' && *rest != '\n') {
		char *end = strchr(rest, '\n');
		char *next = end != NULL ? end + 1 : rest + strlen(rest);
		if (end != NULL) {
			*end = '\0';
		}
		char *colon = strchr(rest, ':');
		if (colon != NULL && req->conn.header_count < MAX_HEADERS) {
			*colon = '\0';
			const char *value = colon + 1;
			while (*value == ' ') {
				value++;
			}
			req->conn.headers[req->conn.header_count++] = (pair_t){ rest, value };
		}
		rest = next;
	}
	if (*rest == '\n') {
		rest++;
	}
	req->body = rest;
	req->body_len = strlen(rest);
	return true;
}

/*** Dispatch (http.c's, after the transport). ***/

/*! \brief The route's pattern with the captures put back must spell the
 *         path (without its trailing slash). */
static void check_route(const syncd_request_t *req, const syncd_route_t *route)
{
	char rebuilt[4096];
	size_t n = 0, k = 0;
	for (const char *c = route->pattern; *c != '\0' && n + 1 < sizeof(rebuilt); c++) {
		if (c[0] == '{' && c[1] == '}') {
			if (k == req->param_count) {
				FAIL("%s %s: fewer captures than the pattern %s", req->method,
				     req->path, route->pattern);
			}
			int len =
			    snprintf(rebuilt + n, sizeof(rebuilt) - n, "%s", req->params[k++]);
			n = (size_t)len < sizeof(rebuilt) - n ? n + (size_t)len
			                                      : sizeof(rebuilt) - 1;
			c++;
		} else {
			rebuilt[n++] = *c;
		}
	}
	rebuilt[n] = '\0';
	size_t len = strlen(req->path);
	if (len > 1 && req->path[len - 1] == '/') {
		len--;
	}
	if (k != req->param_count || n != len || memcmp(rebuilt, req->path, len) != 0) {
		FAIL("%s %s routed to %s %s (%s)", req->method, req->path, route->method,
		     route->pattern, rebuilt);
	}
}

static size_t dispatch(fuzz_req_t *freq, syncd_response_t *resp)
{
	syncd_request_t req = {
		.method = freq->method,
		.path = freq->path,
		.body = freq->body,
		.body_len = freq->body_len,
		.connection = &freq->conn,
	};
	static char allow[64];
	size_t index = syncd_route_find(req.method, req.path, &req, allow, sizeof(allow));
	if (index == SIZE_MAX) {
		if (allow[0] != '\0') {
			resp->allow = allow;
			syncd_problemf(resp, 405, req.path, "%s is not allowed here (allowed: %s)",
			               req.method, allow);
		} else {
			syncd_problemf(resp, 404, req.path, "no resource at %s", req.path);
		}
		return index;
	}
	const syncd_route_t *route = &syncd_routes[index];
	check_route(&req, route);
	const char *authorization = syncd_request_header(&req, "Authorization");
	syncd_auth_result_t auth =
	    syncd_auth_check(authorization != NULL ? tokens : NULL, authorization, route->need,
	                     route->need == SYNCD_NEED_APP ? req.params[0] : NULL);
	if (auth == SYNCD_AUTH_UNAUTHORIZED) {
		syncd_problem(resp, 401, "a valid bearer token is required", req.path);
		return index;
	}
	if (auth == SYNCD_AUTH_FORBIDDEN) {
		syncd_problem(resp, 403, "the token does not grant access to this resource",
		              req.path);
		return index;
	}
	size_t at = 0;
	if (!syncd_json_depth_ok(req.body, req.body_len, config.max_json_depth, &at)) {
		syncd_problemf(resp, 400, req.path, "the JSON body nests deeper than %u",
		               config.max_json_depth);
		return index;
	}
	route->handler(&ctx, &req, resp);
	return index;
}

/*** Checks. ***/

static uint64_t generation(void)
{
	uint64_t gen = 0;
	mecdns_store_status_t status = mecdns_store_state(ctx.store, &gen, NULL, NULL);
	if (status != MECDNS_STORE_OK) {
		FAIL("reading the generation: %s", mecdns_store_strerror(status));
	}
	return gen;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void check_answer(const fuzz_req_t *req, const syncd_response_t *resp)
{
	int status = resp->status;
	if (status < 200 || status > 599) {
		FAIL("%s %s: status %d", req->method, req->path, status);
	}
	if (resp->body != NULL && resp->content_type == NULL) {
		FAIL("%s %s: %d body without content type", req->method, req->path, status);
	}
	bool problem = has_prefix(resp->content_type, SYNCD_PROBLEM_CONTENT_TYPE);
	bool json = problem || has_prefix(resp->content_type, "application/json");
	if (status >= 400 && !problem) {
		FAIL("%s %s: %d without ProblemDetails (%s)", req->method, req->path, status,
		     resp->content_type != NULL ? resp->content_type : "no body");
	}
	if (status < 400 && problem) {
		FAIL("%s %s: %d with a ProblemDetails body", req->method, req->path, status);
	}
	if (status == 405 && (resp->allow == NULL || resp->allow[0] == '\0')) {
		FAIL("%s %s: 405 without Allow", req->method, req->path);
	}
	if (!json) {
		return;
	}
	if (resp->body == NULL) {
		FAIL("%s %s: %d JSON answer without body", req->method, req->path, status);
	}
	cJSON *parsed = cJSON_ParseWithLength(resp->body, resp->body_len);
	if (parsed == NULL) {
		FAIL("%s %s: %d body is not JSON: %.200s", req->method, req->path, status,
		     resp->body);
	}
	if (problem) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(parsed, "status");
		if (!cJSON_IsObject(parsed) || !cJSON_IsNumber(st) || st->valuedouble != status ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(parsed, "type")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(parsed, "title")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(parsed, "detail"))) {
			FAIL("%s %s: %d malformed ProblemDetails: %.200s", req->method, req->path,
			     status, resp->body);
		}
	}
	cJSON_Delete(parsed);
}

/*! \brief Whether the body of a rrecord PUT only deletes (every rData empty),
 *         so that a 2xx may commit nothing. */
static bool rrecord_put_only_deletes(const fuzz_req_t *req)
{
	cJSON *json = cJSON_ParseWithLength(req->body, req->body_len);
	bool deletes = true;
	const cJSON *entry = NULL;
	if (cJSON_IsObject(json)) {
		const cJSON *rdata = cJSON_GetObjectItemCaseSensitive(json, "rData");
		deletes = cJSON_GetArraySize(rdata) == 0;
	}
	const cJSON *array = cJSON_IsArray(json) ? json : NULL;
	cJSON_ArrayForEach(entry, array)
	{
		const cJSON *rr = NULL;
		cJSON_ArrayForEach(rr, cJSON_GetObjectItemCaseSensitive(entry, "rr"))
		{
			const cJSON *rdata = cJSON_GetObjectItemCaseSensitive(rr, "rData");
			deletes = deletes && cJSON_GetArraySize(rdata) == 0;
		}
	}
	cJSON_Delete(json);
	return deletes;
}

static void check_generation(const fuzz_req_t *req, size_t route, int status, uint64_t before,
                             uint64_t after)
{
	bool read = strcmp(req->method, "GET") == 0;
	if (status >= 300 || read) {
		if (after != before) {
			FAIL("%s %s: %d changed the generation %llu -> %llu", req->method,
			     req->path, status, (unsigned long long)before,
			     (unsigned long long)after);
		}
		return;
	}
	bool rrecord_put = route != SIZE_MAX && syncd_routes[route].handler != NULL &&
	                   (syncd_routes[route].handler == api_rrecord_bulk_put ||
	                    syncd_routes[route].handler == api_rrecord_put);
	if (after == before + 1 ||
	    (rrecord_put && after == before && rrecord_put_only_deletes(req))) {
		return;
	}
	FAIL("%s %s: %d write took the generation %llu -> %llu", req->method, req->path, status,
	     (unsigned long long)before, (unsigned long long)after);
}

/*! \brief Reads a rule back through the GET handler after a rule write. */
static void check_read_back(const fuzz_req_t *freq, size_t route, const syncd_response_t *resp)
{
	syncd_handler_t handler = syncd_routes[route].handler;
	bool rule_write = handler == api_mp1_put || handler == api_mm5_update ||
	                  handler == api_mm5_create || handler == api_mm5_delete;
	if (!rule_write || resp->status >= 300) {
		return;
	}
	/* The rule's path: the request's, or Location for a create. */
	char path[2400];
	snprintf(path, sizeof(path), "%s",
	         handler == api_mm5_create && resp->location != NULL ? resp->location : freq->path);
	syncd_request_t req = { .method = "GET", .path = path, .body = "" };
	char allow[64];
	size_t get = syncd_route_find("GET", path, &req, allow, sizeof(allow));
	if (get == SIZE_MAX || syncd_routes[get].handler != api_rule_get) {
		FAIL("%s %s: %d, but GET %s is no rule", freq->method, freq->path, resp->status,
		     path);
	}
	syncd_response_t back = { 0 };
	api_rule_get(&ctx, &req, &back);
	if (handler == api_mm5_delete) {
		if (back.status != 404) {
			FAIL("%s %s: deleted, but GET answers %d", freq->method, freq->path,
			     back.status);
		}
	} else {
		cJSON *written = cJSON_ParseWithLength(resp->body, resp->body_len);
		cJSON *read =
		    cJSON_ParseWithLength(back.body != NULL ? back.body : "", back.body_len);
		if (back.status != 200 || !cJSON_Compare(written, read, true)) {
			FAIL("%s %s: answered %.300s, GET %s answers %d %.300s", freq->method,
			     freq->path, resp->body, path, back.status, back.body ? back.body : "");
		}
		cJSON_Delete(written);
		cJSON_Delete(read);
	}
	syncd_response_clear(&back);
}

static void run_one(fuzz_req_t *req)
{
	uint64_t before = generation();
	syncd_response_t resp = { 0 };
	size_t route = dispatch(req, &resp);
	uint64_t after = generation();
	if (trace) {
		fprintf(stderr, "%s %s -> %d %.*s\n", req->method, req->path, resp.status,
		        (int)(resp.body_len < 160 ? resp.body_len : 160),
		        resp.body != NULL ? resp.body : "");
	}
	check_answer(req, &resp);
	check_generation(req, route, resp.status, before, after);
	if (route != SIZE_MAX) {
		check_read_back(req, route, &resp);
	}
	syncd_response_clear(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reset_store();
	const uint8_t *p = data, *end = data + size;
	for (int n = 0; n < MAX_REQUESTS && p < end; n++) {
		const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
		size_t len = nul != NULL ? (size_t)(nul - p) : (size_t)(end - p);
		fuzz_req_t req;
		if (decode(p, len, &req)) {
			run_one(&req);
		}
		free(req.text);
		p += len + (nul != NULL ? 1 : 0);
	}
	return 0;
}
