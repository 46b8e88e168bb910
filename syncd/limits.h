/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd request limits: connection counts, per-client request rate
 *  and the JSON nesting check, without libmicrohttpd (http.c calls in).
 *
 *  Clients are told apart by their address (IPv4, or the full IPv6 address;
 *  an IPv4-mapped IPv6 address counts as its IPv4 address). A table of
 *  clients holds, per address, its open connections and a token bucket of
 *  rate-burst tokens refilled at rate-limit tokens per second; a request
 *  takes one token. The table is bounded (max_clients entries) and an entry
 *  goes as soon as it is equivalent to a new one (no connection open and a
 *  full bucket); when the table is full, the entry seen least recently
 *  without an open connection is dropped (its client gets a full bucket).
 *
 *  Thread-safe: one mutex around the table (libmicrohttpd runs a thread
 *  pool). The clock is injectable for unit tests.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*! Why a request was refused (also the label of its metric). */
typedef enum {
	SYNCD_LIMIT_NONE = 0,
	SYNCD_LIMIT_CONNECTIONS,        /*!< max-connections: 503. */
	SYNCD_LIMIT_CLIENT_CONNECTIONS, /*!< max-connections-per-client: 429. */
	SYNCD_LIMIT_RATE,               /*!< rate-limit: 429. */
	SYNCD_LIMIT_HEADERS,            /*!< max-headers: 431. */
	SYNCD_LIMIT_JSON_DEPTH,         /*!< max-json-depth: 400. */
	SYNCD_LIMIT_BODY,               /*!< max-body: 413. */
	SYNCD_LIMIT_HEADER_TIMEOUT,     /*!< header-timeout: closed, no answer. */
	SYNCD_LIMIT_LISTINGS,           /*!< SYNCD_MAX_LISTINGS at once: 503. */
	SYNCD_LIMIT_COUNT
} syncd_limit_t;

/*! Retry-After (seconds) of a refused connection: there is no telling
 *  when another one closes, so a short fixed wait. */
#define SYNCD_LIMITS_CONNECTION_RETRY_AFTER 1

/*! Default cap of the client table. */
#define SYNCD_LIMITS_MAX_CLIENTS 4096

/*! \brief Metric label of a limit ("rate", "json_depth", ...). */
const char *syncd_limit_name(syncd_limit_t limit);

/*! \brief HTTP status of a refusal by limit (503, 429, 431, 400, 413). */
int syncd_limit_status(syncd_limit_t limit);

/*! \brief A monotonic clock in milliseconds. */
typedef uint64_t (*syncd_limits_clock_t)(void *data);

typedef struct {
	unsigned max_connections;   /*!< Open connections in all; 0: no limit. */
	unsigned max_per_client;    /*!< Open connections per client; 0: no limit. */
	double rate;                /*!< Requests per second per client; 0: off. */
	unsigned burst;             /*!< Bucket size; 0: rate rounded up (at least 1). */
	size_t max_clients;         /*!< Client table cap; 0: SYNCD_LIMITS_MAX_CLIENTS. */
	unsigned header_timeout_ms; /*!< A request header's whole time; 0: no limit. */
	syncd_limits_clock_t clock; /*!< NULL: CLOCK_MONOTONIC. */
	void *clock_data;
} syncd_limits_config_t;

typedef struct syncd_limits syncd_limits_t;
struct syncd_limits_client;

/*! One open connection, from syncd_limits_open() to syncd_limits_close(). */
typedef struct syncd_limits_conn {
	struct syncd_limits_client *client; /*!< NULL: not in the table. */
	syncd_limit_t verdict;              /*!< NONE, or why its requests are refused. */
	/* While it waits for a request header (syncd_limits_header_wait()): */
	int fd;                         /*!< Its socket, -1 when not waiting. */
	uint64_t header_since_ms;       /*!< When the wait began. */
	struct syncd_limits_conn *prev; /*!< The waiting list, oldest first. */
	struct syncd_limits_conn *next;
} syncd_limits_conn_t;

/*! \brief New limits; NULL when out of memory. */
syncd_limits_t *syncd_limits_new(const syncd_limits_config_t *config);

void syncd_limits_free(syncd_limits_t *limits);

/*!
 * \brief Counts in a new connection from addr (may be NULL).
 *
 * The connection is counted even when it is over a limit (it holds a file
 * descriptor until it closes); its verdict then tells the HTTP layer to
 * refuse its first request and close it. A client the full table cannot
 * take is refused as SYNCD_LIMIT_CONNECTIONS.
 *
 * \return The connection (give it to syncd_limits_close()), NULL when out
 *         of memory.
 */
syncd_limits_conn_t *syncd_limits_open(syncd_limits_t *limits, const struct sockaddr *addr);

/*!
 * \brief Whether a new connection from addr may be accepted at all: false
 *        when its client already has max_per_client connections open (the
 *        socket is then closed unread, so one address cannot hold more than
 *        its share of max-connections). Counts nothing in; a few may pass
 *        at once from racing threads, and syncd_limits_open() still gives
 *        those their SYNCD_LIMIT_CLIENT_CONNECTIONS verdict.
 */
bool syncd_limits_admit(syncd_limits_t *limits, const struct sockaddr *addr);

/*!
 * \brief The connection waits for a request header on socket fd from now
 *        on (accepted, or its previous answer sent). With header_timeout_ms,
 *        syncd_limits_sweep() shuts the socket down once the wait is over
 *        it, whatever the client sends meanwhile.
 */
void syncd_limits_header_wait(syncd_limits_t *limits, syncd_limits_conn_t *conn, int fd);

/*! \brief The connection's request header is in (no deadline until the
 *         next syncd_limits_header_wait()). */
void syncd_limits_header_done(syncd_limits_t *limits, syncd_limits_conn_t *conn);

/*!
 * \brief Shuts down (both ways) the socket of every connection that has
 *        waited header_timeout_ms or longer for its request header; the HTTP
 *        layer then sees the connection end and closes it. The socket is
 *        still the connection's: syncd_limits_close() runs before it is
 *        closed, under the same lock.
 *
 * \param on_cut  If not NULL, called (under the lock, so it must not call
 *                back into limits) before each socket is shut down: what it
 *                counts is counted before the client can see the cut.
 * \return How many were shut down.
 */
unsigned syncd_limits_sweep(syncd_limits_t *limits, void (*on_cut)(void *data), void *data);

/*! \brief Counts a connection out and frees it (NULL: no-op). */
void syncd_limits_close(syncd_limits_t *limits, syncd_limits_conn_t *conn);

/*!
 * \brief Takes one token of the connection's client for a request.
 *
 * \param retry_after  Out with SYNCD_LIMIT_RATE: whole seconds until a
 *                     token is back (rounded up, at least 1).
 *
 * \return SYNCD_LIMIT_NONE, or SYNCD_LIMIT_RATE when the bucket is empty.
 */
syncd_limit_t syncd_limits_request(syncd_limits_t *limits, const syncd_limits_conn_t *conn,
                                   unsigned *retry_after);

/*! \brief Connections counted in now. */
unsigned syncd_limits_connections(syncd_limits_t *limits);

/*! Listings (pages of GET /rrecord) built at once; more wait their turn
 *  as 503 + Retry-After, so that their memory stays bounded. */
#define SYNCD_MAX_LISTINGS 4

/*! \brief Takes one of the SYNCD_MAX_LISTINGS slots; false when all are
 *         taken. syncd_limits_listing_end() gives it back. */
bool syncd_limits_listing_begin(syncd_limits_t *limits);
void syncd_limits_listing_end(syncd_limits_t *limits);

/*! \brief Clients in the table now (after dropping the expired ones). */
size_t syncd_limits_clients(syncd_limits_t *limits);

/*! \brief Whether a path is exempt from the rate limit (/healthz, /readyz:
 *         probes are never starved by a busy client on the same address). */
bool syncd_limits_rate_exempt(const char *path);

/*!
 * \brief Whether a JSON text nests at most max arrays/objects deep (strings
 *        skipped), scanned before it is parsed. max 0: no limit.
 *
 * \param offset  Out when false: the byte offset of the bracket too deep.
 */
bool syncd_json_depth_ok(const char *text, size_t len, unsigned max, size_t *offset);
