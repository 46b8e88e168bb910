/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration tests of mecdns-syncd over TLS (issue 7, "Security"): the
 *  real binary with --tls-cert/--tls-key/--tls-client-ca and a token file,
 *  a test PKI made at run time by tls_pki.sh (openssl), and the harness's
 *  GnuTLS client (tests/harness/https.h).
 *
 *  - The scope matrix: every token scope (admin, mm5, dns-mgmt, metrics,
 *    app:A on app A, app:B on app A, no token, an unknown token) against
 *    every route group (Mp1, Mm5, rrecord, /metrics, /healthz and
 *    /readyz), reads and writes, over mutual TLS. (test_syncd_api checks
 *    a part of it over plain HTTP, with "a refused request changes
 *    nothing"; this is the whole table.)
 *  - The TLS edges: plain HTTP to the TLS port gets no HTTP answer; a
 *    client without a certificate or with one from another CA gets 403
 *    ProblemDetails on every route but the probes; a client trusting
 *    another CA refuses the server; bad TLS files at start are one clear
 *    error.
 *  - SIGHUP reload: a new certificate and key are served to new
 *    connections while a client keeps requesting (no request fails, and a
 *    request begun before the reload completes on its old connection); a
 *    new client CA admits its clients and no longer the old CA's; broken
 *    new files are one error line while the old ones stay in service.
 */

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/problem.h"
#include "tests/harness/https.h"
#include "tests/harness/syncd.h"

#define ADDR    "127.0.0.1"
#define MP1     "/mec_app_support/v1/applications"
#define MM5     "/mep/config"
#define RRECORD "/mep/dns_server_mgmt/v1/rrecord"

/*! Deadline for "eventually" (a reload takes effect). */
#define EVENTUALLY_MS 20000
/*! Check's per-test limit, in seconds (a hang, not a speed test: each TLS
 *  handshake costs a few ms of CPU, more on a loaded machine). */
#define TEST_TIMEOUT 300
/*! Reloads while a client keeps requesting, and the requests it makes
 *  with each certificate before the next reload. */
#define RELOADS    5
#define PER_RELOAD 10

/*! Serial numbers of the test PKI's server certificates (tls_pki.sh). */
#define SERIAL_1 "1001"
#define SERIAL_2 "1002"

#define TOKENS                                                                                     \
	"admintoken admin\n"                                                                       \
	"mm5token mm5\n"                                                                           \
	"dnstoken dns-mgmt\n"                                                                      \
	"metricstoken metrics\n"                                                                   \
	"apptokenA app:A\n"                                                                        \
	"apptokenB app:B\n"

#define RULE_R1                                                                                    \
	"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","                                \
	"\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.14\",\"ttl\":30}"
#define PUT_R1                                                                                     \
	"{\"dnsRuleId\":\"r1\",\"domainName\":\"www.example.com\","                                \
	"\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"172.16.189.14\","                             \
	"\"ttl\":30,\"state\":\"ACTIVE\"}"
#define BULK                                                                                       \
	"[{\"zone\":\".\",\"rr\":[{\"name\":\"www.example.com.\",\"type\":\"A\","                  \
	"\"class\":\"IN\",\"ttl\":30,\"rData\":[\"172.16.104.22\"]}]}]"

static char *pki; /*!< The test PKI (made once per test case, in the parent). */

static struct {
	harness_proc_t proc;
	char *dir;
	char *log;
	char *cert; /*!< The files syncd is told to use (copies). */
	char *key;
	char *client_ca;
	int port;
} srv;

/*** The PKI and the clients. ***/

static char *pki_path(const char *name)
{
	return harness_strdupf("%s/%s", pki, name);
}

static void make_pki(void)
{
	pki = harness_tmpdir("tls-pki");
	char *script = harness_src_path("tests/integration/tls_pki.sh");
	char *argv[] = { "/bin/sh", script, pki, NULL };
	char *output = NULL;
	int status = harness_run(argv, NULL, &output, 60000);
	if (status != 0) {
		fprintf(stderr, "tls_pki.sh failed (%d): %s\n", status, output);
	}
	ck_assert_int_eq(status, 0);
	free(output);
	free(script);
}

static void remove_pki(void)
{
	harness_rmtree(pki);
	free(pki);
	pki = NULL;
}

/*! A client of the test PKI; strings owned by the table below. */
typedef struct {
	const char *ca; /*!< File names inside pki. */
	const char *cert;
	const char *key;
} client_files_t;

static const client_files_t CLIENT_A = { "server-ca.pem", "client-a.pem", "client-a.key" };
static const client_files_t CLIENT_B = { "server-ca.pem", "client-b.pem", "client-b.key" };
static const client_files_t SERVER_ONLY = { "server-ca.pem", "client-a-server.pem",
	                                    "client-a-server.key" };
static const client_files_t NO_CERT = { "server-ca.pem", NULL, NULL };
static const client_files_t WRONG_TRUST = { "client-ca-a.pem", "client-a.pem", "client-a.key" };

/*!
 * \brief One request over TLS as client with an optional bearer token.
 *
 * \return 0 or the https_request() error; the answer in resp.
 */
static int request(const client_files_t *client, const char *token, const char *method,
                   const char *path, const char *body, http_response_t *resp, https_peer_t *peer)
{
	char *ca = pki_path(client->ca);
	char *cert = client->cert != NULL ? pki_path(client->cert) : NULL;
	char *key = client->key != NULL ? pki_path(client->key) : NULL;
	https_client_t tls = { ca, cert, key };
	char *auth = token != NULL ? harness_strdupf("Authorization: Bearer %s", token) : NULL;
	const char *headers[] = { auth, NULL };
	int ret = https_request(ADDR, srv.port, &tls, method, path, headers, body,
	                        body != NULL ? strlen(body) : 0, resp, peer);
	free(auth);
	free(ca);
	free(cert);
	free(key);
	return ret;
}

/*! \brief The status of one request that must get an HTTP answer. */
static int status_of(const client_files_t *client, const char *token, const char *method,
                     const char *path, const char *body)
{
	http_response_t resp;
	int ret = request(client, token, method, path, body, &resp, NULL);
	ck_assert_msg(ret == 0, "%s %s: no answer over TLS (%d)", method, path, ret);
	int status = resp.status;
	http_response_free(&resp);
	return status;
}

/*** The server. ***/

static void copy_file(const char *from_pki, const char *to)
{
	char *from = pki_path(from_pki);
	char *content = harness_read_file(from);
	ck_assert_ptr_nonnull(content);
	ck_assert_int_eq(harness_write_file(to, content), 0);
	free(content);
	free(from);
}

/*! \brief Starts mecdns-syncd with TLS (server1, client CA A) and tokens;
 *         creates rule r1 of app A. */
static void setup(void)
{
	memset(&srv, 0, sizeof(srv));
	srv.dir = harness_tmpdir("tls");
	srv.log = harness_strdupf("%s/syncd.log", srv.dir);
	srv.cert = harness_strdupf("%s/cert.pem", srv.dir);
	srv.key = harness_strdupf("%s/key.pem", srv.dir);
	srv.client_ca = harness_strdupf("%s/client-ca.pem", srv.dir);
	copy_file("server1.pem", srv.cert);
	copy_file("server1.key", srv.key);
	copy_file("client-ca-a.pem", srv.client_ca);
	char *tokens = harness_strdupf("%s/tokens", srv.dir);
	char *db = harness_strdupf("%s/mecdns.db", srv.dir);
	ck_assert_int_eq(harness_write_file(tokens, TOKENS), 0);
	const char *args[] = { "--database",
		               db,
		               "--dbus",
		               "none",
		               "--log-level",
		               "debug",
		               "--tokens",
		               tokens,
		               "--tls-cert",
		               srv.cert,
		               "--tls-key",
		               srv.key,
		               "--tls-client-ca",
		               srv.client_ca,
		               NULL };
	ck_assert_msg(harness_syncd_start(&srv.proc, ADDR, &srv.port, args, NULL, srv.log, 10000) ==
	                  0,
	              "mecdns-syncd did not start listening with TLS");
	free(tokens);
	free(db);
	ck_assert_int_eq(status_of(&CLIENT_A, "admintoken", "POST", MM5 "/A/dns_rules", RULE_R1),
	                 201);
}

static void teardown(void)
{
	ck_assert_int_eq(harness_syncd_stop(&srv.proc, 10000), 0);
	harness_rmtree(srv.dir);
	free(srv.dir);
	free(srv.log);
	free(srv.cert);
	free(srv.key);
	free(srv.client_ca);
	memset(&srv, 0, sizeof(srv));
}

/*! \brief Waits until syncd's log contains text; asserts it does. */
static void assert_log_eventually(const char *text)
{
	long long deadline = harness_now_ms() + EVENTUALLY_MS;
	for (;;) {
		char *log = harness_read_file(srv.log);
		bool found = log != NULL && strstr(log, text) != NULL;
		free(log);
		if (found) {
			return;
		}
		ck_assert_msg(harness_now_ms() < deadline, "syncd never logged \"%s\"", text);
		harness_sleep_ms(50);
	}
}

/*! \brief The serial number of the certificate a new connection sees. */
static void served_serial(char *serial, size_t size)
{
	http_response_t resp;
	https_peer_t peer;
	ck_assert_int_eq(request(&CLIENT_A, NULL, "GET", "/healthz", NULL, &resp, &peer), 0);
	ck_assert_int_eq(resp.status, 200);
	http_response_free(&resp);
	snprintf(serial, size, "%s", peer.serial);
}

/*** The scope matrix. ***/

/*! Route groups of the matrix. */
enum { G_MP1, G_MM5, G_RRECORD, G_METRICS, G_PROBES, G_COUNT };

static const char *const group_names[G_COUNT] = { "Mp1", "Mm5", "rrecord", "metrics", "probes" };

/*! Requests of each route group (reads and writes; the writes are
 *  idempotent, so every row can repeat them). */
static const struct {
	int group;
	const char *method;
	const char *path;
	const char *body;
	int ok; /*!< The status when allowed. */
} routes[] = {
	{ G_MP1, "GET", MP1 "/A/dns_rules", NULL, 200 },
	{ G_MP1, "GET", MP1 "/A/dns_rules/r1", NULL, 200 },
	{ G_MP1, "PUT", MP1 "/A/dns_rules/r1", PUT_R1, 200 },
	{ G_MM5, "GET", MM5 "/A/dns_rules", NULL, 200 },
	{ G_MM5, "GET", MM5 "/A/dns_rules/r1", NULL, 200 },
	{ G_MM5, "PUT", MM5 "/A/dns_rules/r1", "{\"state\":\"ACTIVE\"}", 200 },
	{ G_MM5, "GET", MM5 "/A/dns_names", NULL, 200 },
	{ G_MM5, "PUT", MM5 "/A/dns_names/www.example.com", "{\"subtree\":false}", 200 },
	{ G_RRECORD, "PUT", RRECORD, BULK, 200 },
	{ G_RRECORD, "GET", RRECORD, NULL, 200 },
	{ G_RRECORD, "GET", RRECORD "/www.example.com./A", NULL, 200 },
	{ G_METRICS, "GET", "/metrics", NULL, 200 },
	{ G_PROBES, "GET", "/healthz", NULL, 200 },
	{ G_PROBES, "GET", "/readyz", NULL, 200 },
};

#define OK 0 /*!< In the matrix: the route's own 2xx. */

/*! Who may do what (DESIGN.md "Security", syncd/auth.h). */
static const struct {
	const char *name;
	const char *token; /*!< NULL: no Authorization header. */
	int expect[G_COUNT];
} scopes[] = {
	/*                                  Mp1  Mm5  rrecord metrics probes */
	{ "admin", "admintoken", { OK, OK, OK, OK, OK } },
	{ "mm5", "mm5token", { 403, OK, 403, 403, OK } },
	{ "dns-mgmt", "dnstoken", { 403, 403, OK, 403, OK } },
	{ "metrics", "metricstoken", { 403, 403, 403, OK, OK } },
	{ "app:A (its app)", "apptokenA", { OK, 403, 403, 403, OK } },
	{ "app:B (another app)", "apptokenB", { 403, 403, 403, 403, OK } },
	{ "no token", NULL, { 401, 401, 401, 401, OK } },
	{ "unknown token", "nosuchtoken", { 401, 401, 401, 401, OK } },
};

START_TEST(test_scope_matrix_over_mutual_tls)
{
	const size_t route_count = sizeof(routes) / sizeof(routes[0]);
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		for (size_t j = 0; j < route_count; j++) {
			int expect = scopes[i].expect[routes[j].group];
			if (expect == OK) {
				expect = routes[j].ok;
			}
			http_response_t resp;
			int ret = request(&CLIENT_A, scopes[i].token, routes[j].method,
			                  routes[j].path, routes[j].body, &resp, NULL);
			ck_assert_msg(ret == 0 && resp.status == expect,
			              "%s on %s %s (%s): got %d (ret %d), expected %d: %s",
			              scopes[i].name, routes[j].method, routes[j].path,
			              group_names[routes[j].group], resp.status, ret, expect,
			              resp.body != NULL ? resp.body : "");
			if (expect == 401 || expect == 403) {
				http_assert_problem(&resp, expect,
				                    expect == 401 ? "bearer token"
				                                  : "does not grant");
			}
			if (expect == 401) {
				char *challenge = http_header(&resp, "WWW-Authenticate");
				ck_assert_ptr_nonnull(challenge);
				ck_assert_ptr_nonnull(strstr(challenge, "Bearer"));
				free(challenge);
			}
			http_response_free(&resp);
		}
	}
}
END_TEST

/*** The TLS edges. ***/

START_TEST(test_plain_http_to_the_tls_port_gets_no_answer)
{
	http_response_t resp;
	int ret = http_request(ADDR, srv.port, "GET", "/healthz", NULL, NULL, 0, &resp);
	ck_assert_msg(ret != 0 || resp.status == -1, "plain HTTP got status %d", resp.status);
	http_response_free(&resp);
	/* The server is fine afterwards. */
	ck_assert_int_eq(status_of(&CLIENT_A, NULL, "GET", "/healthz", NULL), 200);
}
END_TEST

/*! \brief Without a client certificate of the configured CA: the probes
 *         answer, everything else is 403 (before the token is looked at). */
static void assert_refused_client(const client_files_t *client)
{
	const size_t route_count = sizeof(routes) / sizeof(routes[0]);
	for (size_t j = 0; j < route_count; j++) {
		http_response_t resp;
		int ret = request(client, "admintoken", routes[j].method, routes[j].path,
		                  routes[j].body, &resp, NULL);
		ck_assert_msg(ret == 0, "%s %s: no answer (%d)", routes[j].method, routes[j].path,
		              ret);
		if (routes[j].group == G_PROBES) {
			ck_assert_int_eq(resp.status, 200);
		} else {
			http_assert_problem(&resp, 403, "client certificate");
		}
		http_response_free(&resp);
	}
}

/*! \brief Runs the built mecdnsctl over HTTPS with the client's files and
 *         a token file; its exit code, *output its stdout and stderr. */
static int mecdnsctl(const client_files_t *client, const char *token, char **output,
                     const char *const *args)
{
	char *bin = harness_build_path("tools/mecdnsctl");
	char *url = harness_strdupf("https://" ADDR ":%d", srv.port);
	char *token_path = harness_strdupf("%s/ctl.token", srv.dir);
	char *line = harness_strdupf("%s\n", token);
	ck_assert_int_eq(harness_write_file(token_path, line), 0);
	ck_assert_int_eq(chmod(token_path, 0600), 0);
	char *ca = pki_path(client->ca);
	char *cert = client->cert != NULL ? pki_path(client->cert) : NULL;
	char *key = client->key != NULL ? pki_path(client->key) : NULL;
	const char *argv[32] = { bin, "-u", url, "-t", token_path, "--ca-file", ca };
	size_t n = 7;
	if (cert != NULL) {
		argv[n++] = "--cert-file";
		argv[n++] = cert;
		argv[n++] = "--key-file";
		argv[n++] = key;
	}
	for (size_t i = 0; args[i] != NULL && n < 31; i++) {
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	int ret = harness_run((char *const *)argv, NULL, output, 30000);
	free(bin);
	free(url);
	free(token_path);
	free(line);
	free(ca);
	free(cert);
	free(key);
	return ret;
}

/*! mecdnsctl over mutual TLS (issue 16): with the client certificate it
 *  reads and writes; without one, or trusting another CA, it fails naming
 *  what failed (403 from syncd; a TLS error before any request). */
START_TEST(test_mecdnsctl_over_mutual_tls)
{
	char *out = NULL;
	const char *list[] = { "rule", "list", "A", NULL };
	ck_assert_int_eq(mecdnsctl(&CLIENT_A, "mm5token", &out, list), 0);
	ck_assert_msg(strstr(out, "A    r1  www.example.com  172.16.189.14  30") != NULL, "%s",
	              out);
	free(out);
	const char *add[] = { "rule", "add", "A", "r2", "two.example.com", "192.0.2.2", NULL };
	ck_assert_int_eq(mecdnsctl(&CLIENT_A, "mm5token", &out, add), 0);
	free(out);
	const char *backup_path_args[] = { "backup", NULL, NULL };
	char *backup = harness_strdupf("%s/backup.db", srv.dir);
	backup_path_args[1] = backup;
	ck_assert_int_eq(mecdnsctl(&CLIENT_A, "admintoken", &out, backup_path_args), 0);
	ck_assert_msg(strstr(out, "written to ") != NULL, "%s", out);
	free(out);
	free(backup);

	ck_assert_int_eq(mecdnsctl(&NO_CERT, "mm5token", &out, list), 1);
	ck_assert_msg(strstr(out, "403") != NULL && strstr(out, "client certificate") != NULL, "%s",
	              out);
	free(out);
	ck_assert_int_eq(mecdnsctl(&CLIENT_B, "mm5token", &out, list), 1);
	free(out);
	/* Not trusting syncd's certificate: no request is made at all. */
	ck_assert_int_eq(mecdnsctl(&WRONG_TRUST, "mm5token", &out, list), 3);
	ck_assert_msg(strstr(out, "cannot reach mecdns-syncd") != NULL, "%s", out);
	free(out);
}
END_TEST

START_TEST(test_client_without_certificate_is_403)
{
	assert_refused_client(&NO_CERT);
}
END_TEST

START_TEST(test_client_certificate_of_another_ca_is_403)
{
	assert_refused_client(&CLIENT_B);
}
END_TEST

/*! A certificate of the client CA that is not for TLS clients (extended
 *  key usage serverAuth only) is not a client certificate. */
START_TEST(test_client_certificate_without_client_purpose_is_403)
{
	assert_refused_client(&SERVER_ONLY);
}
END_TEST

START_TEST(test_client_trusting_another_ca_refuses_the_server)
{
	http_response_t resp;
	ck_assert_int_eq(request(&WRONG_TRUST, "admintoken", "GET", "/metrics", NULL, &resp, NULL),
	                 HTTPS_E_VERIFY);
	http_response_free(&resp);
}
END_TEST

/*** Reload on SIGHUP. ***/

/*! State of the looping client of the reload test. */
static struct {
	pthread_mutex_t lock;
	bool stop;
	int requests;
	int failures;
	char want[64]; /*!< The serial the current reload should bring. */
	int saw_want;  /*!< Successful requests that saw it. */
	char first_failure[256];
} loop = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*! \brief Thread: authorised requests on new connections until told to
 *         stop, counting failures and the certificate each one saw. */
static void *loop_client(void *arg)
{
	for (;;) {
		pthread_mutex_lock(&loop.lock);
		bool stop = loop.stop;
		pthread_mutex_unlock(&loop.lock);
		if (stop) {
			return NULL;
		}
		http_response_t resp;
		https_peer_t peer;
		int ret =
		    request(&CLIENT_A, "admintoken", "GET", MM5 "/A/dns_rules", NULL, &resp, &peer);
		pthread_mutex_lock(&loop.lock);
		loop.requests++;
		if (ret != 0 || resp.status != 200) {
			if (loop.failures++ == 0) {
				snprintf(loop.first_failure, sizeof(loop.first_failure),
				         "ret %d, status %d", ret, resp.status);
			}
		} else if (strcmp(peer.serial, loop.want) == 0) {
			loop.saw_want++;
		}
		pthread_mutex_unlock(&loop.lock);
		http_response_free(&resp);
	}
}

/*! \brief Waits until the looping client made count more requests that
 *         saw the wanted serial; false at the deadline. */
static bool loop_wait(int count)
{
	long long deadline = harness_now_ms() + EVENTUALLY_MS;
	for (;;) {
		pthread_mutex_lock(&loop.lock);
		bool done = loop.saw_want >= count;
		pthread_mutex_unlock(&loop.lock);
		if (done || harness_now_ms() >= deadline) {
			return done;
		}
		harness_sleep_ms(20);
	}
}

/*! \brief Installs server certificate name (server1 or server2 of the PKI)
 *         and sends SIGHUP; the looping client then waits for serial. */
static void reload_to(const char *name, const char *serial)
{
	char *cert = harness_strdupf("%s.pem", name);
	char *key = harness_strdupf("%s.key", name);
	copy_file(cert, srv.cert);
	copy_file(key, srv.key);
	free(cert);
	free(key);
	pthread_mutex_lock(&loop.lock);
	snprintf(loop.want, sizeof(loop.want), "%s", serial);
	loop.saw_want = 0;
	pthread_mutex_unlock(&loop.lock);
	ck_assert_int_eq(harness_signal(&srv.proc, SIGHUP), 0);
}

START_TEST(test_sighup_serves_a_new_certificate_without_failing_a_request)
{
	char serial[64];
	served_serial(serial, sizeof(serial));
	ck_assert_str_eq(serial, SERIAL_1);

	/* A request begun before the reloads, finished after them. */
	char *ca = pki_path("server-ca.pem");
	char *cert = pki_path("client-a.pem");
	char *key = pki_path("client-a.key");
	https_client_t tls = { ca, cert, key };
	https_conn_t *early = NULL;
	https_peer_t early_peer;
	ck_assert_int_eq(https_connect(ADDR, srv.port, &tls, &early, &early_peer), 0);
	ck_assert_str_eq(early_peer.serial, SERIAL_1);
	const char *headers[] = { "Authorization: Bearer admintoken", NULL };
	char *head =
	    http_request_head(ADDR, srv.port, "GET", MM5 "/A/dns_rules", headers, NULL, 0, false);
	size_t head_len = strlen(head);
	ck_assert_int_eq(https_send(early, head, head_len - 2), 0); /* All but the last CRLF. */

	/* A client keeps requesting on new connections through several
	 * reloads, each waited for until it has served new connections. */
	snprintf(loop.want, sizeof(loop.want), "%s", SERIAL_1);
	pthread_t thread;
	ck_assert_int_eq(pthread_create(&thread, NULL, loop_client, NULL), 0);
	bool served = loop_wait(PER_RELOAD);
	for (int i = 0; served && i < RELOADS; i++) {
		if (i % 2 == 0) {
			reload_to("server2", SERIAL_2);
		} else {
			reload_to("server1", SERIAL_1);
		}
		served = loop_wait(PER_RELOAD);
	}
	pthread_mutex_lock(&loop.lock);
	loop.stop = true;
	pthread_mutex_unlock(&loop.lock);
	pthread_join(thread, NULL);
	fprintf(stderr, "reload: %d reloads, %d requests by the looping client, %d failed\n",
	        RELOADS, loop.requests, loop.failures);
	ck_assert_msg(loop.failures == 0, "%d of %d requests failed during reloads (first: %s)",
	              loop.failures, loop.requests, loop.first_failure);
	ck_assert_msg(served, "a reloaded certificate (serial %s) was not served", loop.want);

	served_serial(serial, sizeof(serial));
	ck_assert_str_eq(serial, RELOADS % 2 == 1 ? SERIAL_2 : SERIAL_1);
	assert_log_eventually("SIGHUP: reloaded the TLS files: certificate");
	assert_log_eventually("subject 'CN=mecdns-server-2', serial 1002");

	/* The early connection is still served, by the first daemon. */
	ck_assert_int_eq(https_send(early, head + head_len - 2, 2), 0);
	http_response_t resp;
	ck_assert_int_eq(https_read_response(early, &resp), 0);
	ck_assert_int_eq(resp.status, 200);
	http_response_free(&resp);
	https_close(early);
	free(head);
	free(ca);
	free(cert);
	free(key);
}
END_TEST

START_TEST(test_sighup_reloads_the_client_ca)
{
	/* Nothing changed: nothing restarts. */
	ck_assert_int_eq(harness_signal(&srv.proc, SIGHUP), 0);
	assert_log_eventually("SIGHUP: TLS files unchanged");

	ck_assert_int_eq(status_of(&CLIENT_A, "admintoken", "GET", "/metrics", NULL), 200);
	ck_assert_int_eq(status_of(&CLIENT_B, "admintoken", "GET", "/metrics", NULL), 403);
	copy_file("client-ca-b.pem", srv.client_ca);
	ck_assert_int_eq(harness_signal(&srv.proc, SIGHUP), 0);
	long long deadline = harness_now_ms() + EVENTUALLY_MS;
	while (status_of(&CLIENT_B, "admintoken", "GET", "/metrics", NULL) != 200) {
		ck_assert_msg(harness_now_ms() < deadline, "the new client CA was not used");
		harness_sleep_ms(50);
	}
	ck_assert_int_eq(status_of(&CLIENT_A, "admintoken", "GET", "/metrics", NULL), 403);
	ck_assert_int_eq(status_of(&CLIENT_B, "mm5token", "GET", MM5 "/A/dns_rules", NULL), 200);
	assert_log_eventually("SIGHUP: reloaded the TLS files");
}
END_TEST

START_TEST(test_sighup_with_broken_files_keeps_the_old_ones)
{
	/* A key of another certificate, then a key that is not PEM, then an
	 * empty client CA file. */
	static const struct {
		const char *key; /*!< Contents, or a pki file name. */
		const char *ca;
		const char *logged;
	} broken[] = {
		{ "server2.key", NULL, "key.pem" },
		{ NULL, NULL, "key.pem" },
		{ "server1.key", "", "client-ca.pem" },
	};
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		if (broken[i].key != NULL) {
			copy_file(broken[i].key, srv.key);
		} else {
			ck_assert_int_eq(harness_write_file(srv.key, "-----BEGIN PRIVATE KEY-----\n"
			                                             "bm90IGEga2V5\n"
			                                             "-----END PRIVATE KEY-----\n"),
			                 0);
		}
		if (broken[i].ca != NULL) {
			ck_assert_int_eq(harness_write_file(srv.client_ca, broken[i].ca), 0);
		}
		char *log_before = harness_read_file(srv.log);
		size_t before = log_before != NULL ? strlen(log_before) : 0;
		free(log_before);

		ck_assert_int_eq(harness_signal(&srv.proc, SIGHUP), 0);
		long long deadline = harness_now_ms() + EVENTUALLY_MS;
		const char *line = NULL;
		char *log = NULL;
		while (line == NULL) {
			free(log);
			log = harness_read_file(srv.log);
			line = log != NULL && strlen(log) > before
			           ? strstr(log + before, "SIGHUP: TLS files not reloaded")
			           : NULL;
			ck_assert_msg(line != NULL || harness_now_ms() < deadline,
			              "no error logged for broken case %zu", i);
			if (line == NULL) {
				harness_sleep_ms(50);
			}
		}
		const char *end = strchr(line, '\n');
		ck_assert_msg(
		    strstr(line, broken[i].logged) != NULL && strstr(line, broken[i].logged) < end,
		    "the error does not name %s: %.*s", broken[i].logged, (int)(end - line), line);
		free(log);

		ck_assert(harness_alive(&srv.proc));
		char serial[64];
		served_serial(serial, sizeof(serial));
		ck_assert_str_eq(serial, SERIAL_1);
		ck_assert_int_eq(status_of(&CLIENT_A, "admintoken", "GET", "/metrics", NULL), 200);
		ck_assert_int_eq(status_of(&CLIENT_B, "admintoken", "GET", "/metrics", NULL), 403);
	}
}
END_TEST

/*** Start. ***/

/*! \brief Starts syncd with the given TLS files (pki names); returns its
 *         exit status and its log in *log. */
static int start_with(const char *cert, const char *key, const char *client_ca, char **log)
{
	char *dir = harness_tmpdir("tls-start");
	char *db = harness_strdupf("%s/mecdns.db", dir);
	char *log_path = harness_strdupf("%s/syncd.log", dir);
	char *cert_path = pki_path(cert);
	char *key_path = pki_path(key);
	char *ca_path = pki_path(client_ca);
	const char *args[] = { "--database",      db,        "--dbus",    "none",
		               "--tls-cert",      cert_path, "--tls-key", key_path,
		               "--tls-client-ca", ca_path,   NULL };
	char *listen = harness_strdupf("%s:%d", ADDR, harness_free_port(ADDR));
	harness_proc_t proc;
	ck_assert_int_eq(harness_syncd_spawn(&proc, listen, args, NULL, log_path), 0);
	free(listen);
	int status = harness_wait_exit(&proc, 10000);
	if (status == -1) {
		harness_stop(&proc, 10000);
	}
	*log = harness_read_file(log_path);
	harness_rmtree(dir);
	free(dir);
	free(db);
	free(log_path);
	free(cert_path);
	free(key_path);
	free(ca_path);
	return status;
}

START_TEST(test_bad_tls_files_at_start_are_one_clear_error)
{
	char *log = NULL;
	int status = start_with("server1.pem", "server2.key", "client-ca-a.pem", &log);
	ck_assert_msg(status > 0, "status %d: %s", status, log);
	ck_assert_ptr_nonnull(strstr(log, "error: TLS certificate"));
	ck_assert_ptr_nonnull(strstr(log, "server2.key"));
	free(log);

	/* A client CA file without a certificate (here: a key). */
	status = start_with("server1.pem", "server1.key", "client-a.key", &log);
	ck_assert_msg(status > 0, "status %d: %s", status, log);
	ck_assert_ptr_nonnull(strstr(log, "error: TLS client CA"));
	free(log);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");

	TCase *matrix = tcase_create("scopes");
	tcase_add_unchecked_fixture(matrix, make_pki, remove_pki);
	tcase_add_checked_fixture(matrix, setup, teardown);
	tcase_add_test(matrix, test_scope_matrix_over_mutual_tls);
	tcase_set_timeout(matrix, TEST_TIMEOUT);
	suite_add_tcase(s, matrix);

	TCase *edges = tcase_create("edges");
	tcase_add_unchecked_fixture(edges, make_pki, remove_pki);
	tcase_add_checked_fixture(edges, setup, teardown);
	tcase_add_test(edges, test_plain_http_to_the_tls_port_gets_no_answer);
	tcase_add_test(edges, test_client_without_certificate_is_403);
	tcase_add_test(edges, test_mecdnsctl_over_mutual_tls);
	tcase_add_test(edges, test_client_certificate_of_another_ca_is_403);
	tcase_add_test(edges, test_client_certificate_without_client_purpose_is_403);
	tcase_add_test(edges, test_client_trusting_another_ca_refuses_the_server);
	tcase_set_timeout(edges, TEST_TIMEOUT);
	suite_add_tcase(s, edges);

	TCase *reload = tcase_create("reload");
	tcase_add_unchecked_fixture(reload, make_pki, remove_pki);
	tcase_add_checked_fixture(reload, setup, teardown);
	tcase_add_test(reload, test_sighup_serves_a_new_certificate_without_failing_a_request);
	tcase_add_test(reload, test_sighup_reloads_the_client_ca);
	tcase_add_test(reload, test_sighup_with_broken_files_keeps_the_old_ones);
	tcase_set_timeout(reload, TEST_TIMEOUT);
	suite_add_tcase(s, reload);

	TCase *start = tcase_create("start");
	tcase_add_unchecked_fixture(start, make_pki, remove_pki);
	tcase_add_test(start, test_bad_tls_files_at_start_are_one_clear_error);
	tcase_set_timeout(start, TEST_TIMEOUT);
	suite_add_tcase(s, start);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(tls_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
