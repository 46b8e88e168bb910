/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration tests of mecdns-syncd's request limits (syncd/limits.h)
 *  against the real binary: header count (431), JSON depth (400), body
 *  size (413), per-client rate (429 + Retry-After), connections per client
 *  (429) and in all (503), connections past the per-client limit closed at
 *  accept (one address cannot take every slot), the header-read deadline
 *  (slow and idle senders cut). Every refusal is a ProblemDetails that leaves
 *  the generation unchanged, is counted in /metrics, and service resumes
 *  once the limit clears. Clients are told apart by their source address
 *  (127.0.0.1, 127.0.0.2, ...: all loopback).
 */

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/problem.h"
#include "tests/harness/syncd.h"

#define ADDR      "127.0.0.1"
#define OTHER     "127.0.0.2"
#define MM5_RULES "/mep/config/A/dns_rules"

typedef struct {
	harness_proc_t proc;
	char *dir;
	char *db;
	int port;
} syncd_t;

static syncd_t syncd;

/*! \brief Starts mecdns-syncd (no tokens, --dbus none) with extra
 *         arguments (NULL-terminated, may be NULL). */
static void start(const char *const extra[])
{
	memset(&syncd, 0, sizeof(syncd));
	syncd.dir = harness_tmpdir("limits");
	syncd.db = harness_strdupf("%s/mecdns.db", syncd.dir);
	char *log = harness_strdupf("%s/syncd.log", syncd.dir);
	const char *args[24] = { "--database", syncd.db, "--dbus", "none", "--log-level", "debug" };
	size_t n = 6;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++) {
		args[n++] = extra[i];
	}
	args[n] = NULL;
	ck_assert_msg(harness_syncd_start(&syncd.proc, ADDR, &syncd.port, args, NULL, log, 10000) ==
	                  0,
	              "mecdns-syncd did not start listening");
	free(log);
}

static void teardown(void)
{
	if (syncd.dir == NULL) {
		return;
	}
	ck_assert_int_eq(harness_syncd_stop(&syncd.proc, 10000), 0);
	harness_rmtree(syncd.dir);
	free(syncd.dir);
	free(syncd.db);
	memset(&syncd, 0, sizeof(syncd));
}

/*! \brief The database generation, read through the store. */
static uint64_t generation(void)
{
	mecdns_store_t *store = NULL;
	char err[512];
	ck_assert_int_eq(mecdns_store_open(syncd.db, &store, err, sizeof(err)), MECDNS_STORE_OK);
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_state(store, &gen, NULL, NULL), MECDNS_STORE_OK);
	mecdns_store_close(store);
	return gen;
}

/*! \brief A DnsRule body for Mm5 POST. */
static char *rule_body(const char *id)
{
	return harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s.example.com\","
	                       "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.7\"}",
	                       id, id);
}

/*** A client with a chosen source address. ***/

/*! \brief Connects from src to syncd; the socket. */
static int connect_from(const char *src)
{
	int fd = http_connect(src, ADDR, syncd.port);
	ck_assert_msg(fd >= 0, "connect from %s: %s", src, strerror(-fd));
	return fd;
}

/*!
 * \brief One request from src on a new connection; returns the status.
 *
 * \param keep  With keep: "Connection: keep-alive", the answer is read up
 *              to its Content-Length and the socket stays open (*keep);
 *              else "Connection: close" and read to EOF.
 */
static int request_from(const char *src, const char *method, const char *path, const char *body,
                        const char *const *headers, http_response_t *out, int *keep)
{
	int fd = connect_from(src);
	size_t body_len = body != NULL ? strlen(body) : 0;
	char *head = http_request_head(ADDR, syncd.port, method, path, headers, body, body_len,
	                               keep != NULL);
	/* The server may answer and close before reading it all. */
	if (http_send_all(fd, head, strlen(head)) == 0 && body != NULL) {
		(void)http_send_all(fd, body, body_len);
	}
	free(head);
	http_read_response(fd, keep != NULL, out);
	if (keep != NULL) {
		*keep = fd;
	} else {
		close(fd);
	}
	return out->status;
}

/*! \brief A request from src; the status only. */
static int status_from(const char *src, const char *method, const char *path, const char *body)
{
	http_response_t resp;
	int status = request_from(src, method, path, body, NULL, &resp, NULL);
	http_response_free(&resp);
	return status;
}

/*! \brief A connection from src that syncd has surely counted (one
 *         keep-alive GET /healthz answered 200 on it), left open. Tried
 *         again while refused or closed at accept: connections that just
 *         closed (the harness's start-up probe) may still count for a
 *         moment; up to 20 s. */
static int hold_connection(const char *src)
{
	http_response_t resp;
	int fd = -1;
	for (int i = 0; i < 200; i++) {
		request_from(src, "GET", "/healthz", NULL, NULL, &resp, &fd);
		if (resp.status != 429 && resp.status != 503 && resp.status != -1) {
			break;
		}
		close(fd);
		http_response_free(&resp);
		harness_sleep_ms(100);
	}
	ck_assert_msg(resp.status == 200, "holding a connection from %s: %d %s", src, resp.status,
	              resp.body);
	http_response_free(&resp);
	return fd;
}

/*! \brief Repeats POST of rule id from src while it is refused with
 *         `refused` (syncd notices closed connections asynchronously);
 *         gives up after 20 s. Returns the last status. */
static int post_until_not(const char *src, const char *id, int refused)
{
	char *body = rule_body(id);
	int status = -1;
	for (int i = 0; i < 200; i++) {
		status = status_from(src, "POST", MM5_RULES, body);
		if (status != refused) {
			break;
		}
		harness_sleep_ms(100);
	}
	free(body);
	return status;
}

/*** Assertions. ***/

/*! \brief The Retry-After header as a number (asserts it is one). */
static long retry_after(const http_response_t *resp)
{
	char *value = http_header(resp, "Retry-After");
	ck_assert_msg(value != NULL, "no Retry-After in:\n%s", resp->headers);
	char *end = NULL;
	long seconds = strtol(value, &end, 10);
	ck_assert_msg(*value != '\0' && *end == '\0', "Retry-After \"%s\"", value);
	free(value);
	return seconds;
}

/*! \brief Asserts the answer closes its connection. */
static void assert_closes(const http_response_t *resp)
{
	char *value = http_header(resp, "Connection");
	ck_assert_msg(value != NULL && strcasecmp(value, "close") == 0,
	              "no Connection: close in:\n%s", resp->headers);
	free(value);
}

/*! \brief Whether syncd closed fd (EOF or reset), waiting up to ms. */
static bool closed_by_server(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0) {
		return false;
	}
	char byte;
	ssize_t got = recv(fd, &byte, 1, MSG_DONTWAIT);
	return got == 0 || (got < 0 && errno == ECONNRESET);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*! \brief mecdns_syncd_http_refused_total{limit=...} from /metrics, asked
 *         from src (again while connections that just closed still count,
 *         up to 20 s). */
static long refused_metric(const char *src, const char *limit)
{
	http_response_t resp;
	for (int i = 0; i < 200; i++) {
		if (request_from(src, "GET", "/metrics", NULL, NULL, &resp, NULL) != 429 &&
		    resp.status != 503) {
			break;
		}
		http_response_free(&resp);
		harness_sleep_ms(100);
	}
	ck_assert_msg(resp.status == 200, "GET /metrics: %d %s", resp.status, resp.body);
	char *key = harness_strdupf("mecdns_syncd_http_refused_total{limit=\"%s\"} ", limit);
	const char *line = strstr(resp.body, key);
	ck_assert_msg(line != NULL, "no %s in /metrics:\n%s", key, resp.body);
	long count = strtol(line + strlen(key), NULL, 10);
	free(key);
	http_response_free(&resp);
	return count;
}

/*** Header count. ***/

START_TEST(test_too_many_headers_is_431)
{
	const char *args[] = { "--max-headers", "8", NULL };
	start(args);
	/* Host, Connection, Content-Type, Content-Length and 5 more: 9. */
	const char *many[] = { "X-A: 1", "X-B: 2", "X-C: 3", "X-D: 4", "X-E: 5", NULL };
	char *body = rule_body("r1");
	uint64_t before = generation();
	http_response_t resp;
	request_from(ADDR, "POST", MM5_RULES, body, many, &resp, NULL);
	http_assert_problem(&resp, 431, "9 header fields, more than 8");
	ck_assert_ptr_null(http_header(&resp, "Retry-After"));
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);
	ck_assert_int_eq(refused_metric(ADDR, "headers"), 1);

	/* 8 fields pass. */
	many[4] = NULL;
	request_from(ADDR, "POST", MM5_RULES, body, many, &resp, NULL);
	ck_assert_msg(resp.status == 201, "%d %s", resp.status, resp.body);
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before + 1);
	free(body);
}
END_TEST

/*** JSON depth (the default, 32). ***/

/*! \brief A rule body carrying an extra member nested depth - 1 deep (the
 *         rule object itself is one level). */
static char *deep_body(int depth)
{
	char *open = calloc((size_t)depth, 1);
	char *close = calloc((size_t)depth, 1);
	memset(open, '[', (size_t)depth - 1);
	memset(close, ']', (size_t)depth - 1);
	char *body = harness_strdupf("{\"dnsRuleId\":\"deep\",\"domainName\":\"deep.example.com\","
	                             "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.7\","
	                             "\"x\":%s%s}",
	                             open, close);
	free(open);
	free(close);
	return body;
}

START_TEST(test_deep_json_is_400_before_parsing)
{
	start(NULL);
	uint64_t before = generation();
	char *body = deep_body(33);
	http_response_t resp;
	request_from(ADDR, "POST", MM5_RULES, body, NULL, &resp, NULL);
	http_assert_problem(&resp, 400, "nests deeper than 32 arrays/objects");
	http_response_free(&resp);
	free(body);
	ck_assert_uint_eq(generation(), before);
	ck_assert_int_eq(refused_metric(ADDR, "json_depth"), 1);

	/* 32 levels get past the check (what the API then says of the extra
	 * member is not about nesting). */
	body = deep_body(32);
	request_from(ADDR, "POST", MM5_RULES, body, NULL, &resp, NULL);
	ck_assert_msg(strstr(resp.body, "nests deeper") == NULL, "%s", resp.body);
	http_response_free(&resp);
	free(body);
	ck_assert_int_eq(refused_metric(ADDR, "json_depth"), 1);

	/* Brackets inside strings do not count. */
	body = harness_strdupf("{\"dnsRuleId\":\"r1\",\"domainName\":\"r1.example.com\","
	                       "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.7\","
	                       "\"note\":\"%0*d\"}",
	                       64, 0);
	memset(strstr(body, "\"note\":\"") + 8, '[', 64);
	before = generation();
	ck_assert_int_eq(status_from(ADDR, "POST", MM5_RULES, body), 201);
	ck_assert_uint_eq(generation(), before + 1);
	free(body);
}
END_TEST

/*** Body size. ***/

START_TEST(test_large_body_is_413)
{
	const char *args[] = { "--max-body", "1024", NULL };
	start(args);
	char *body = harness_strdupf("{\"dnsRuleId\":\"r1\",\"pad\":\"%0*d\"}", 2000, 0);
	uint64_t before = generation();
	http_response_t resp;
	request_from(ADDR, "POST", MM5_RULES, body, NULL, &resp, NULL);
	http_assert_problem(&resp, 413, "larger than 1024 bytes");
	http_response_free(&resp);
	free(body);
	ck_assert_uint_eq(generation(), before);
	ck_assert_int_eq(refused_metric(ADDR, "body"), 1);
}
END_TEST

/*** Request rate per client. ***/

START_TEST(test_rate_limit_is_429_with_retry_after_then_resumes)
{
	/* One token per 5 s, 2 at once: the third quick write is refused. */
	const char *args[] = { "--rate-limit", "0.2", "--rate-burst", "2", NULL };
	start(args);
	char id[16];
	int accepted = 0;
	http_response_t resp = { .status = -1 };
	uint64_t before = 0;
	for (int i = 0; i < 10; i++) {
		http_response_free(&resp);
		snprintf(id, sizeof(id), "r%d", i);
		char *body = rule_body(id);
		before = generation();
		request_from(ADDR, "POST", MM5_RULES, body, NULL, &resp, NULL);
		free(body);
		if (resp.status != 201) {
			break;
		}
		accepted++;
	}
	/* At least the burst went through (more only if the machine is slow
	 * enough for the bucket to refill meanwhile). */
	ck_assert_int_ge(accepted, 2);
	http_assert_problem(&resp, 429, "rate-limit 0.2 per second");
	long wait = retry_after(&resp);
	ck_assert_msg(wait >= 1 && wait <= 5, "Retry-After %ld", wait);
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);

	/* Probes are exempt; another address has its own bucket. */
	ck_assert_int_eq(status_from(ADDR, "GET", "/healthz", NULL), 200);
	ck_assert_int_eq(status_from(ADDR, "GET", "/readyz", NULL), 200);
	char *other = rule_body("other");
	ck_assert_int_eq(status_from(OTHER, "POST", MM5_RULES, other), 201);
	free(other);
	ck_assert_int_ge(refused_metric(OTHER, "rate"), 1);

	/* Retry-After later, the refused write goes through. */
	harness_sleep_ms((int)wait * 1000);
	before = generation();
	char *body = rule_body(id);
	ck_assert_int_eq(status_from(ADDR, "POST", MM5_RULES, body), 201);
	free(body);
	ck_assert_uint_eq(generation(), before + 1);
}
END_TEST

/*** Connections. ***/

START_TEST(test_connections_per_client_over_limit_are_closed_at_accept)
{
	const char *args[] = { "--max-connections-per-client", "2", NULL };
	start(args);
	int held[2] = { hold_connection(ADDR), hold_connection(ADDR) };

	/* The third is closed as soon as it is accepted: no request is read,
	 * nothing is written. */
	uint64_t before = generation();
	int third = connect_from(ADDR);
	ck_assert_msg(closed_by_server(third, 5000), "a third connection from %s is open", ADDR);
	close(third);
	ck_assert_uint_eq(generation(), before);

	/* Another address is not affected. */
	char *other = rule_body("other");
	ck_assert_int_eq(status_from(OTHER, "POST", MM5_RULES, other), 201);
	free(other);

	/* One connection closes: the write goes through. */
	close(held[0]);
	before = generation();
	ck_assert_int_eq(post_until_not(ADDR, "r1", -1), 201);
	ck_assert_uint_eq(generation(), before + 1);
	close(held[1]);
	ck_assert_int_ge(refused_metric(OTHER, "client_connections"), 1);
}
END_TEST

START_TEST(test_connections_in_all_over_limit_is_503)
{
	const char *args[] = { "--max-connections", "3", NULL };
	start(args);
	int held[3] = { hold_connection(ADDR), hold_connection(OTHER),
		        hold_connection("127.0.0.3") };

	uint64_t before = generation();
	char *body = rule_body("r1");
	http_response_t resp;
	request_from("127.0.0.4", "POST", MM5_RULES, body, NULL, &resp, NULL);
	http_assert_problem(&resp, 503, "too many open connections (max-connections 3)");
	ck_assert_int_eq(retry_after(&resp), 1);
	assert_closes(&resp);
	http_response_free(&resp);
	ck_assert_uint_eq(generation(), before);
	/* Probes count as connections too. */
	request_from("127.0.0.4", "GET", "/healthz", NULL, NULL, &resp, NULL);
	http_assert_problem(&resp, 503, "max-connections 3");
	http_response_free(&resp);

	close(held[2]);
	before = generation();
	ck_assert_int_eq(post_until_not("127.0.0.4", "r1", 503), 201);
	ck_assert_uint_eq(generation(), before + 1);
	free(body);
	close(held[0]);
	close(held[1]);
	ck_assert_int_ge(refused_metric(ADDR, "connections"), 2);
}
END_TEST

#define FLOOD 257

START_TEST(test_idle_connections_from_one_address_do_not_starve_others)
{
	start(NULL); /* max-connections 256, max-connections-per-client 32 */
	int flood[FLOOD];
	for (int i = 0; i < FLOOD; i++) {
		flood[i] = connect_from("127.0.0.3");
	}
	/* Those past the per-client limit are closed when accepted, with no
	 * request read. While the worker threads race, a few more may pass,
	 * or a few more be refused (a refused connection counts until its
	 * close is seen): the limit holds within the threads' race. */
	int closed = 0;
	for (int i = 0; i < FLOOD; i++) {
		closed += closed_by_server(flood[i], i < 40 ? 200 : 2000);
	}
	ck_assert_msg(closed >= FLOOD - 32 - 16 && closed <= FLOOD - 32 + 16, "%d of %d closed",
	              closed, FLOOD);

	/* Everyone else is served, probes and writes alike. */
	ck_assert_int_eq(status_from(OTHER, "GET", "/healthz", NULL), 200);
	uint64_t before = generation();
	char *body = rule_body("r1");
	ck_assert_int_eq(status_from(OTHER, "POST", MM5_RULES, body), 201);
	free(body);
	ck_assert_uint_eq(generation(), before + 1);
	ck_assert_int_ge(refused_metric(OTHER, "client_connections"), closed);
	for (int i = 0; i < FLOOD; i++) {
		close(flood[i]);
	}
}
END_TEST

START_TEST(test_slow_header_is_cut_at_the_header_deadline)
{
	const char *args[] = { "--header-timeout", "2", NULL };
	start(args);

	/* One header line every 400 ms resets the idle timeout each time; the
	 * total deadline cuts it anyway. */
	int slow = connect_from(ADDR);
	double t0 = now_s();
	const char *start_line = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	ck_assert_int_eq(http_send_all(slow, start_line, strlen(start_line)), 0);
	bool cut = false;
	while (!cut && now_s() - t0 < 10) {
		cut = closed_by_server(slow, 400);
		if (!cut && send(slow, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) < 0) {
			cut = true;
		}
	}
	double took = now_s() - t0;
	ck_assert_msg(cut, "a slow header still open after %.1f s", took);
	ck_assert_msg(took >= 1.5 && took < 5, "cut after %.1f s (header-timeout 2)", took);
	close(slow);

	/* A connection that sends nothing, and a keep-alive connection idle
	 * after its answer, are cut the same way. */
	int idle = connect_from(ADDR);
	ck_assert_msg(closed_by_server(idle, 5000), "an idle connection is still open");
	close(idle);
	int keep = hold_connection(ADDR);
	t0 = now_s();
	ck_assert_msg(closed_by_server(keep, 5000), "an idle keep-alive connection is still open");
	ck_assert_msg(now_s() - t0 >= 1.5, "keep-alive cut after %.1f s", now_s() - t0);
	close(keep);

	/* A prompt request is served. */
	ck_assert_int_eq(status_from(ADDR, "GET", "/healthz", NULL), 200);
	ck_assert_int_ge(refused_metric(OTHER, "header_timeout"), 3);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("limits");
	TCase *tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_too_many_headers_is_431);
	tcase_add_test(tc, test_deep_json_is_400_before_parsing);
	tcase_add_test(tc, test_large_body_is_413);
	tcase_add_test(tc, test_rate_limit_is_429_with_retry_after_then_resumes);
	tcase_add_test(tc, test_connections_per_client_over_limit_are_closed_at_accept);
	tcase_add_test(tc, test_connections_in_all_over_limit_is_503);
	tcase_add_test(tc, test_idle_connections_from_one_address_do_not_starve_others);
	tcase_add_test(tc, test_slow_header_is_cut_at_the_header_deadline);
	suite_add_tcase(suite, tc);

	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
