/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of syncd/limits.c (token buckets on a fake clock, connection
 *  counts, the bounded client table, the JSON depth scan) and of the limit
 *  items of syncd/config.c. */

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "syncd/config.h"
#include "syncd/limits.h"

/*! The fake clock (milliseconds). */
static uint64_t fake_now;

static uint64_t fake_clock(void *data)
{
	(void)data;
	return fake_now;
}

/*! \brief Limits on the fake clock, starting at 1000 ms. */
static syncd_limits_t *limits_new(unsigned max_conn, unsigned per_client, double rate,
                                  unsigned burst, size_t max_clients)
{
	fake_now = 1000;
	syncd_limits_config_t config = {
		.max_connections = max_conn,
		.max_per_client = per_client,
		.rate = rate,
		.burst = burst,
		.max_clients = max_clients,
		.clock = fake_clock,
	};
	syncd_limits_t *limits = syncd_limits_new(&config);
	ck_assert_ptr_nonnull(limits);
	return limits;
}

/*! \brief An IPv4 address as a sockaddr (static storage per call site). */
static struct sockaddr *v4(struct sockaddr_in *in, const char *text)
{
	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, text, &in->sin_addr), 1);
	return (struct sockaddr *)in;
}

static struct sockaddr *v6(struct sockaddr_in6 *in6, const char *text)
{
	memset(in6, 0, sizeof(*in6));
	in6->sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	return (struct sockaddr *)in6;
}

/*! \brief Opens a connection from text and checks its verdict. */
static syncd_limits_conn_t *open_from(syncd_limits_t *limits, const char *text,
                                      syncd_limit_t verdict)
{
	struct sockaddr_in in;
	syncd_limits_conn_t *conn = syncd_limits_open(limits, v4(&in, text));
	ck_assert_ptr_nonnull(conn);
	ck_assert_msg(conn->verdict == verdict, "%s: verdict %s, expected %s", text,
	              syncd_limit_name(conn->verdict), syncd_limit_name(verdict));
	return conn;
}

/*! \brief One request; returns its verdict (retry_after in *retry). */
static syncd_limit_t request(syncd_limits_t *limits, const syncd_limits_conn_t *conn,
                             unsigned *retry)
{
	*retry = 0;
	return syncd_limits_request(limits, conn, retry);
}

/*! At most SYNCD_MAX_LISTINGS listings at once; a slot given back is free. */
START_TEST(test_listing_slots_are_bounded)
{
	syncd_limits_t *limits = limits_new(10, 4, 0, 0, 16);
	for (int i = 0; i < SYNCD_MAX_LISTINGS; i++) {
		ck_assert(syncd_limits_listing_begin(limits));
	}
	ck_assert(!syncd_limits_listing_begin(limits));
	syncd_limits_listing_end(limits);
	ck_assert(syncd_limits_listing_begin(limits));
	ck_assert(!syncd_limits_listing_begin(limits));
	ck_assert_str_eq(syncd_limit_name(SYNCD_LIMIT_LISTINGS), "listings");
	ck_assert_int_eq(syncd_limit_status(SYNCD_LIMIT_LISTINGS), 503);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_bucket_allows_burst_then_refills_at_rate)
{
	syncd_limits_t *limits = limits_new(0, 0, 2, 3, 0);
	syncd_limits_conn_t *conn = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	unsigned retry;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_NONE);
	}
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_RATE);
	ck_assert_uint_eq(retry, 1); /* 0.5 s rounded up. */
	fake_now += 499;
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_RATE);
	fake_now += 1;
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_NONE);
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_RATE);
	/* A long pause refills up to the burst, not beyond. */
	fake_now += 3600 * 1000;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_NONE);
	}
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_RATE);
	syncd_limits_close(limits, conn);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_retry_after_is_whole_seconds_rounded_up)
{
	syncd_limits_t *limits = limits_new(0, 0, 0.25, 1, 0); /* One token per 4 s. */
	syncd_limits_conn_t *conn = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	unsigned retry;
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_NONE);
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_RATE);
	ck_assert_uint_eq(retry, 4);
	fake_now += 1000;
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_RATE);
	ck_assert_uint_eq(retry, 3);
	fake_now += 2999; /* 1 ms short of a token. */
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_RATE);
	ck_assert_uint_eq(retry, 1);
	fake_now += 1;
	ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_NONE);
	syncd_limits_close(limits, conn);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_burst_defaults_to_rate_rounded_up)
{
	const struct {
		double rate;
		unsigned burst;
	} cases[] = { { 2.5, 3 }, { 0.5, 1 }, { 10, 10 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		syncd_limits_t *limits = limits_new(0, 0, cases[i].rate, 0, 0);
		syncd_limits_conn_t *conn = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
		unsigned retry;
		for (unsigned j = 0; j < cases[i].burst; j++) {
			ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_NONE);
		}
		ck_assert_msg(request(limits, conn, &retry) == SYNCD_LIMIT_RATE,
		              "rate %g: more than %u at once", cases[i].rate, cases[i].burst);
		syncd_limits_close(limits, conn);
		syncd_limits_free(limits);
	}
}
END_TEST

START_TEST(test_rate_off_never_refuses)
{
	syncd_limits_t *limits = limits_new(0, 0, 0, 0, 0);
	syncd_limits_conn_t *conn = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	unsigned retry;
	for (int i = 0; i < 10000; i++) {
		ck_assert_int_eq(request(limits, conn, &retry), SYNCD_LIMIT_NONE);
	}
	syncd_limits_close(limits, conn);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_each_client_has_its_own_bucket)
{
	syncd_limits_t *limits = limits_new(0, 0, 1, 1, 0);
	syncd_limits_conn_t *a1 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *a2 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *b = open_from(limits, "192.0.2.2", SYNCD_LIMIT_NONE);
	unsigned retry;
	ck_assert_int_eq(request(limits, a1, &retry), SYNCD_LIMIT_NONE);
	/* A second connection of the same address shares the bucket. */
	ck_assert_int_eq(request(limits, a2, &retry), SYNCD_LIMIT_RATE);
	ck_assert_int_eq(request(limits, b, &retry), SYNCD_LIMIT_NONE);

	/* An IPv4-mapped IPv6 address is its IPv4 address. */
	struct sockaddr_in6 in6;
	syncd_limits_conn_t *mapped = syncd_limits_open(limits, v6(&in6, "::ffff:192.0.2.1"));
	ck_assert_int_eq(request(limits, mapped, &retry), SYNCD_LIMIT_RATE);
	syncd_limits_conn_t *other6 = syncd_limits_open(limits, v6(&in6, "2001:db8::1"));
	ck_assert_int_eq(request(limits, other6, &retry), SYNCD_LIMIT_NONE);
	ck_assert_uint_eq(syncd_limits_clients(limits), 3);

	syncd_limits_close(limits, a1);
	syncd_limits_close(limits, a2);
	syncd_limits_close(limits, b);
	syncd_limits_close(limits, mapped);
	syncd_limits_close(limits, other6);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_connections_per_client)
{
	syncd_limits_t *limits = limits_new(0, 2, 0, 0, 0);
	syncd_limits_conn_t *a1 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *a2 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *a3 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_CLIENT_CONNECTIONS);
	syncd_limits_conn_t *b = open_from(limits, "192.0.2.2", SYNCD_LIMIT_NONE);
	ck_assert_uint_eq(syncd_limits_connections(limits), 4);
	/* The refused one still counts until it closes. */
	syncd_limits_close(limits, a1);
	syncd_limits_conn_t *a4 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_CLIENT_CONNECTIONS);
	syncd_limits_close(limits, a3);
	syncd_limits_close(limits, a4);
	syncd_limits_conn_t *a5 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_close(limits, a2);
	syncd_limits_close(limits, a5);
	syncd_limits_close(limits, b);
	ck_assert_uint_eq(syncd_limits_connections(limits), 0);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_connections_in_all)
{
	syncd_limits_t *limits = limits_new(3, 0, 0, 0, 0);
	syncd_limits_conn_t *c[3];
	c[0] = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	c[1] = open_from(limits, "192.0.2.2", SYNCD_LIMIT_NONE);
	c[2] = open_from(limits, "192.0.2.3", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *over = open_from(limits, "192.0.2.4", SYNCD_LIMIT_CONNECTIONS);
	syncd_limits_close(limits, over);
	syncd_limits_close(limits, c[1]);
	c[1] = open_from(limits, "192.0.2.4", SYNCD_LIMIT_NONE);
	for (int i = 0; i < 3; i++) {
		syncd_limits_close(limits, c[i]);
	}
	ck_assert_uint_eq(syncd_limits_connections(limits), 0);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_admit_refuses_a_client_at_its_limit)
{
	syncd_limits_t *limits = limits_new(0, 2, 0, 0, 0);
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	ck_assert(syncd_limits_admit(limits, v4(&in, "192.0.2.1")));
	syncd_limits_conn_t *a1 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	ck_assert(syncd_limits_admit(limits, v4(&in, "192.0.2.1")));
	syncd_limits_conn_t *a2 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	ck_assert(!syncd_limits_admit(limits, v4(&in, "192.0.2.1")));
	/* The same client in IPv4-mapped form; another client. */
	ck_assert(!syncd_limits_admit(limits, v6(&in6, "::ffff:192.0.2.1")));
	ck_assert(syncd_limits_admit(limits, v4(&in, "192.0.2.2")));
	/* Admitting counts nothing in. */
	ck_assert_uint_eq(syncd_limits_connections(limits), 2);
	syncd_limits_close(limits, a1);
	ck_assert(syncd_limits_admit(limits, v4(&in, "192.0.2.1")));
	syncd_limits_close(limits, a2);
	syncd_limits_free(limits);

	/* No per-client limit: everyone. */
	limits = limits_new(1, 0, 0, 0, 0);
	syncd_limits_conn_t *b = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	ck_assert(syncd_limits_admit(limits, v4(&in, "192.0.2.1")));
	syncd_limits_close(limits, b);
	syncd_limits_free(limits);
}
END_TEST

/*! \brief Whether the peer of a socket pair end saw it shut down. */
static bool peer_shut(int peer)
{
	char byte;
	return recv(peer, &byte, 1, MSG_DONTWAIT) == 0;
}

/*! \brief Sweep callback of the test: counts the cuts it is told of. */
static void count_cut(void *data)
{
	(*(unsigned *)data)++;
}

START_TEST(test_sweep_shuts_down_connections_past_the_header_deadline)
{
	fake_now = 1000;
	syncd_limits_config_t config = { .header_timeout_ms = 2000, .clock = fake_clock };
	syncd_limits_t *limits = syncd_limits_new(&config);
	ck_assert_ptr_nonnull(limits);
	int a[2], b[2], c[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, c), 0);
	syncd_limits_conn_t *ca = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *cb = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *cc = open_from(limits, "192.0.2.2", SYNCD_LIMIT_NONE);
	syncd_limits_header_wait(limits, ca, a[0]);
	fake_now = 2000;
	syncd_limits_header_wait(limits, cb, b[0]);
	syncd_limits_header_wait(limits, cc, c[0]);
	syncd_limits_header_done(limits, cc); /* Its header came in time. */

	fake_now = 2999;
	ck_assert_uint_eq(syncd_limits_sweep(limits, NULL, NULL), 0);
	fake_now = 3000; /* a: 2000 ms waited. */
	unsigned counted = 0;
	ck_assert_uint_eq(syncd_limits_sweep(limits, count_cut, &counted), 1);
	ck_assert_uint_eq(counted, 1); /* Counted (before the shutdown). */
	ck_assert(peer_shut(a[1]));
	ck_assert(!peer_shut(b[1]));
	ck_assert_uint_eq(syncd_limits_sweep(limits, NULL, NULL), 0); /* Once only. */

	/* b answered a request and waits again: the deadline starts over. */
	syncd_limits_header_done(limits, cb);
	fake_now = 3500;
	syncd_limits_header_wait(limits, cb, b[0]);
	fake_now = 5000;
	ck_assert_uint_eq(syncd_limits_sweep(limits, NULL, NULL), 0);
	fake_now = 10000;
	ck_assert(!peer_shut(c[1])); /* Not waiting: never cut. */
	/* A closed connection is off the list, whatever its wait. */
	syncd_limits_close(limits, cb);
	ck_assert_uint_eq(syncd_limits_sweep(limits, NULL, NULL), 0);
	ck_assert(!peer_shut(b[1]));
	syncd_limits_close(limits, ca);
	syncd_limits_close(limits, cc);
	syncd_limits_free(limits);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
		close(c[i]);
	}

	/* header-timeout 0: nothing waits, nothing is cut. */
	limits = limits_new(0, 0, 0, 0, 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	ca = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_header_wait(limits, ca, a[0]);
	fake_now += 1000000;
	ck_assert_uint_eq(syncd_limits_sweep(limits, NULL, NULL), 0);
	ck_assert(!peer_shut(a[1]));
	syncd_limits_close(limits, ca);
	syncd_limits_free(limits);
	close(a[0]);
	close(a[1]);
}
END_TEST

START_TEST(test_per_client_limit_is_checked_before_the_total)
{
	/* A client over its own limit is told 429 even when the server is
	 * full too: it is the one to slow down. */
	syncd_limits_t *limits = limits_new(2, 2, 0, 0, 0);
	syncd_limits_conn_t *a1 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *a2 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	syncd_limits_conn_t *a3 = open_from(limits, "192.0.2.1", SYNCD_LIMIT_CLIENT_CONNECTIONS);
	syncd_limits_conn_t *b = open_from(limits, "192.0.2.2", SYNCD_LIMIT_CONNECTIONS);
	syncd_limits_close(limits, a1);
	syncd_limits_close(limits, a2);
	syncd_limits_close(limits, a3);
	syncd_limits_close(limits, b);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_idle_clients_expire)
{
	/* Without a rate, a client without connections is gone at once. */
	syncd_limits_t *limits = limits_new(0, 4, 0, 0, 0);
	syncd_limits_conn_t *a = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	ck_assert_uint_eq(syncd_limits_clients(limits), 1);
	syncd_limits_close(limits, a);
	ck_assert_uint_eq(syncd_limits_clients(limits), 0);
	syncd_limits_free(limits);

	/* With a rate: once its bucket is full again (3 tokens at 1/s). */
	limits = limits_new(0, 4, 1, 3, 0);
	a = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	unsigned retry;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(request(limits, a, &retry), SYNCD_LIMIT_NONE);
	}
	syncd_limits_close(limits, a);
	ck_assert_uint_eq(syncd_limits_clients(limits), 1);
	fake_now += 2999;
	ck_assert_uint_eq(syncd_limits_clients(limits), 1);
	/* Reconnecting within that time finds its bucket as refilled so far
	 * (2.999 tokens), not a full one. */
	a = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE);
	ck_assert_int_eq(request(limits, a, &retry), SYNCD_LIMIT_NONE);
	ck_assert_int_eq(request(limits, a, &retry), SYNCD_LIMIT_NONE);
	ck_assert_int_eq(request(limits, a, &retry), SYNCD_LIMIT_RATE);
	syncd_limits_close(limits, a);
	fake_now += 3000;
	ck_assert_uint_eq(syncd_limits_clients(limits), 0);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_client_table_is_capped)
{
	syncd_limits_t *limits = limits_new(0, 0, 1, 2, 4);
	syncd_limits_conn_t *c[4];
	char addr[32];
	for (int i = 0; i < 4; i++) {
		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		c[i] = open_from(limits, addr, SYNCD_LIMIT_NONE);
	}
	/* Full of clients with open connections: a fifth cannot be tracked
	 * and is refused like a server at its connection limit. */
	syncd_limits_conn_t *fifth = open_from(limits, "192.0.2.5", SYNCD_LIMIT_CONNECTIONS);
	ck_assert_ptr_null(fifth->client);
	ck_assert_uint_eq(syncd_limits_clients(limits), 4);
	syncd_limits_close(limits, fifth);

	/* Clients 1 and 2 drain their buckets and close, 2 last: when room
	 * is needed, 1 (seen least recently) goes first. */
	unsigned retry;
	for (int i = 0; i < 2; i++) {
		fake_now += 10;
		ck_assert_int_eq(request(limits, c[i], &retry), SYNCD_LIMIT_NONE);
		ck_assert_int_eq(request(limits, c[i], &retry), SYNCD_LIMIT_NONE);
		syncd_limits_close(limits, c[i]);
	}
	ck_assert_uint_eq(syncd_limits_clients(limits), 4);
	c[0] = open_from(limits, "192.0.2.5", SYNCD_LIMIT_NONE);
	ck_assert_uint_eq(syncd_limits_clients(limits), 4);
	/* Client 2 kept its drained bucket; client 1 starts afresh. */
	c[1] = open_from(limits, "192.0.2.2", SYNCD_LIMIT_NONE);
	ck_assert_int_eq(request(limits, c[1], &retry), SYNCD_LIMIT_RATE);
	syncd_limits_close(limits, c[1]);
	c[1] = open_from(limits, "192.0.2.1", SYNCD_LIMIT_NONE); /* Evicts 2. */
	ck_assert_int_eq(request(limits, c[1], &retry), SYNCD_LIMIT_NONE);
	ck_assert_int_eq(request(limits, c[1], &retry), SYNCD_LIMIT_NONE);
	for (int i = 0; i < 4; i++) {
		syncd_limits_close(limits, c[i]);
	}
	ck_assert_uint_eq(syncd_limits_connections(limits), 0);
	syncd_limits_free(limits);
}
END_TEST

/*! A clock several threads share: every reading is one second later. */
static uint64_t ticking_now;

static uint64_t ticking_clock(void *data)
{
	(void)data;
	return __atomic_add_fetch(&ticking_now, 1000, __ATOMIC_RELAXED);
}

/*! \brief Thread body: opens, requests and closes in a loop. */
static void *hammer(void *arg)
{
	syncd_limits_t *limits = arg;
	struct sockaddr_in in;
	char addr[32];
	unsigned retry;
	for (int i = 0; i < 20000; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i % 7, i % 50);
		syncd_limits_conn_t *conn = syncd_limits_open(limits, v4(&in, addr));
		syncd_limits_request(limits, conn, &retry);
		syncd_limits_close(limits, conn);
	}
	return NULL;
}

START_TEST(test_threads_leave_nothing_behind)
{
	/* Every clock reading refills a token, so the table must drain. */
	syncd_limits_config_t config = { .max_connections = 8,
		                         .max_per_client = 2,
		                         .rate = 1,
		                         .burst = 1,
		                         .max_clients = 64,
		                         .clock = ticking_clock };
	syncd_limits_t *limits = syncd_limits_new(&config);
	ck_assert_ptr_nonnull(limits);
	pthread_t threads[4];
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_create(&threads[i], NULL, hammer, limits), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
	}
	ck_assert_uint_eq(syncd_limits_connections(limits), 0);
	ck_assert_uint_eq(syncd_limits_clients(limits), 0);
	syncd_limits_free(limits);
}
END_TEST

START_TEST(test_json_depth)
{
	size_t at = 0;
	ck_assert(syncd_json_depth_ok("{}", 2, 1, &at));
	ck_assert(!syncd_json_depth_ok("[[]]", 4, 1, &at));
	ck_assert_uint_eq(at, 1);
	ck_assert(syncd_json_depth_ok("[{\"a\":[1]},{\"b\":2}]", 19, 3, &at));
	ck_assert(!syncd_json_depth_ok("[{\"a\":[1]},{\"b\":{}}]", 20, 2, &at));
	ck_assert_uint_eq(at, 6);
	/* Brackets in strings do not count, escaped quotes do not end them. */
	const char *text = "{\"k\":\"[[[{{{\\\"[[[\",\"v\":[]}";
	ck_assert(syncd_json_depth_ok(text, strlen(text), 2, &at));
	ck_assert(syncd_json_depth_ok("\"\\\\\"[]", 6, 1, &at)); /* "\\" ends the string. */
	ck_assert(!syncd_json_depth_ok("\"\\\\\"[[]]", 8, 1, &at));
	/* Scalars have depth 0; 0 is no limit. */
	ck_assert(syncd_json_depth_ok("42", 2, 1, &at));
	char deep[2001];
	memset(deep, '[', 1000);
	memset(deep + 1000, ']', 1000);
	deep[2000] = '\0';
	ck_assert(syncd_json_depth_ok(deep, 2000, 0, &at));
	ck_assert(syncd_json_depth_ok(deep, 2000, 1000, &at));
	ck_assert(!syncd_json_depth_ok(deep, 2000, 999, &at));
	ck_assert_uint_eq(at, 999);
	/* Only len bytes are read. */
	ck_assert(syncd_json_depth_ok("[[", 1, 1, &at));
}
END_TEST

START_TEST(test_rate_exempt_paths)
{
	ck_assert(syncd_limits_rate_exempt("/healthz"));
	ck_assert(syncd_limits_rate_exempt("/healthz/"));
	ck_assert(syncd_limits_rate_exempt("/readyz"));
	ck_assert(!syncd_limits_rate_exempt("/metrics"));
	ck_assert(!syncd_limits_rate_exempt("/healthzz"));
	ck_assert(!syncd_limits_rate_exempt("/healthz/x"));
	ck_assert(!syncd_limits_rate_exempt("/mep/config/healthz"));
}
END_TEST

START_TEST(test_limit_statuses)
{
	ck_assert_int_eq(syncd_limit_status(SYNCD_LIMIT_CONNECTIONS), 503);
	ck_assert_int_eq(syncd_limit_status(SYNCD_LIMIT_CLIENT_CONNECTIONS), 429);
	ck_assert_int_eq(syncd_limit_status(SYNCD_LIMIT_RATE), 429);
	ck_assert_int_eq(syncd_limit_status(SYNCD_LIMIT_HEADERS), 431);
	ck_assert_int_eq(syncd_limit_status(SYNCD_LIMIT_JSON_DEPTH), 400);
	ck_assert_int_eq(syncd_limit_status(SYNCD_LIMIT_BODY), 413);
	ck_assert_str_eq(syncd_limit_name(SYNCD_LIMIT_HEADER_TIMEOUT), "header_timeout");
}
END_TEST

/*! \brief syncd_config_load() over argv (NULL-terminated). */
static syncd_config_result_t load(syncd_config_t *config, const char *const *args, char *err,
                                  size_t err_len)
{
	char *argv[32] = { (char *)"mecdns-syncd" };
	int argc = 1;
	for (; args[argc - 1] != NULL; argc++) {
		argv[argc] = (char *)args[argc - 1];
	}
	return syncd_config_load(config, argc, argv, err, err_len);
}

START_TEST(test_config_defaults_and_options)
{
	syncd_config_t config;
	char err[512] = "";
	const char *none[] = { NULL };
	ck_assert_int_eq(load(&config, none, err, sizeof(err)), SYNCD_CONFIG_RUN);
	ck_assert_uint_eq(config.max_headers, 64);
	ck_assert_uint_eq(config.max_json_depth, 32);
	ck_assert_uint_eq(config.max_connections, 256);
	ck_assert_uint_eq(config.max_connections_per_client, 32);
	ck_assert_uint_eq(config.header_timeout, 10);
	ck_assert(config.rate_limit == 0);
	ck_assert_uint_eq(config.rate_burst, 0);
	syncd_config_free(&config);

	const char *args[] = { "--max-headers",
		               "20",
		               "--max-json-depth",
		               "0",
		               "--max-connections",
		               "10",
		               "--max-connections-per-client",
		               "3",
		               "--header-timeout",
		               "0",
		               "--rate-limit",
		               "0.5",
		               "--rate-burst",
		               "4",
		               NULL };
	ck_assert_msg(load(&config, args, err, sizeof(err)) == SYNCD_CONFIG_RUN, "%s", err);
	ck_assert_uint_eq(config.max_headers, 20);
	ck_assert_uint_eq(config.max_json_depth, 0);
	ck_assert_uint_eq(config.max_connections, 10);
	ck_assert_uint_eq(config.max_connections_per_client, 3);
	ck_assert_uint_eq(config.header_timeout, 0);
	ck_assert(config.rate_limit == 0.5);
	ck_assert_uint_eq(config.rate_burst, 4);
	syncd_config_free(&config);
}
END_TEST

START_TEST(test_config_file_items_and_errors)
{
	char path[] = "/tmp/mecdns-test-limits-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *text = "syncd:\n"
	                   "    rate-limit: 20\n"
	                   "    rate-burst: 40\n"
	                   "    max-connections-per-client: 0\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	syncd_config_t config;
	char err[512] = "";
	const char *args[] = { "-c", path, "--rate-burst", "50", NULL };
	ck_assert_msg(load(&config, args, err, sizeof(err)) == SYNCD_CONFIG_RUN, "%s", err);
	ck_assert(config.rate_limit == 20);
	ck_assert_uint_eq(config.rate_burst, 50); /* The option wins. */
	ck_assert_uint_eq(config.max_connections_per_client, 0);
	syncd_config_free(&config);
	unlink(path);

	const struct {
		const char *name;
		const char *value;
		const char *message;
	} bad[] = {
		{ "--rate-limit", "-1", "rate-limit must be 0..1000000 requests per second" },
		{ "--rate-limit", "fast", "rate-limit must be 0..1000000 requests per second" },
		{ "--max-json-depth", "1001", "max-json-depth must be 0..1000" },
		{ "--max-headers", "x", "max-headers must be 0..10000" },
		{ "--max-connections", "65536", "max-connections must be 0..65535" },
		{ "--rate-burst", "-3", "rate-burst must be 0..1000000" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = { bad[i].name, bad[i].value, NULL };
		ck_assert_int_eq(load(&config, argv, err, sizeof(err)), SYNCD_CONFIG_ERROR);
		ck_assert_msg(strstr(err, bad[i].message) != NULL, "%s %s: %s", bad[i].name,
		              bad[i].value, err);
		syncd_config_free(&config);
	}
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("limits");
	TCase *tc = tcase_create("limits");
	tcase_add_test(tc, test_bucket_allows_burst_then_refills_at_rate);
	tcase_add_test(tc, test_retry_after_is_whole_seconds_rounded_up);
	tcase_add_test(tc, test_burst_defaults_to_rate_rounded_up);
	tcase_add_test(tc, test_rate_off_never_refuses);
	tcase_add_test(tc, test_each_client_has_its_own_bucket);
	tcase_add_test(tc, test_connections_per_client);
	tcase_add_test(tc, test_connections_in_all);
	tcase_add_test(tc, test_per_client_limit_is_checked_before_the_total);
	tcase_add_test(tc, test_idle_clients_expire);
	tcase_add_test(tc, test_client_table_is_capped);
	tcase_add_test(tc, test_threads_leave_nothing_behind);
	tcase_add_test(tc, test_json_depth);
	tcase_add_test(tc, test_rate_exempt_paths);
	tcase_add_test(tc, test_limit_statuses);
	tcase_add_test(tc, test_admit_refuses_a_client_at_its_limit);
	tcase_add_test(tc, test_sweep_shuts_down_connections_past_the_header_deadline);
	tcase_add_test(tc, test_listing_slots_are_bounded);
	tcase_add_test(tc, test_config_defaults_and_options);
	tcase_add_test(tc, test_config_file_items_and_errors);
	suite_add_tcase(suite, tc);

	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
