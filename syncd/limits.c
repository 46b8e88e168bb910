/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd request limits (see limits.h). */

#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syncd/limits.h"

/*! No entry (end of a chain or of the free list). */
#define NIL UINT32_MAX

/*! One client address in the table. */
struct syncd_limits_client {
	uint8_t key[16];
	uint8_t key_len; /*!< 4 (IPv4), 16 (IPv6), 0 (other families). */
	bool used;
	uint32_t next;        /*!< Next in the hash chain, or in the free list. */
	unsigned connections; /*!< Open connections. */
	double tokens;        /*!< Bucket content at last_ms. */
	uint64_t last_ms;     /*!< When tokens was computed (first seen, last request). */
};

struct syncd_limits {
	syncd_limits_config_t config;
	pthread_mutex_t lock;
	unsigned connections;
	size_t count;                     /*!< Entries used. */
	struct syncd_limits_client *pool; /*!< config.max_clients entries. */
	uint32_t *buckets;                /*!< Hash chains (heads). */
	size_t bucket_mask;
	uint32_t free_list;
	syncd_limits_conn_t *waiting_head; /*!< Waiting for a header, oldest first. */
	syncd_limits_conn_t *waiting_tail;
	unsigned listings; /*!< Listings being built (SYNCD_MAX_LISTINGS). */
};

const char *syncd_limit_name(syncd_limit_t limit)
{
	switch (limit) {
	case SYNCD_LIMIT_CONNECTIONS:
		return "connections";
	case SYNCD_LIMIT_CLIENT_CONNECTIONS:
		return "client_connections";
	case SYNCD_LIMIT_RATE:
		return "rate";
	case SYNCD_LIMIT_HEADERS:
		return "headers";
	case SYNCD_LIMIT_JSON_DEPTH:
		return "json_depth";
	case SYNCD_LIMIT_BODY:
		return "body";
	case SYNCD_LIMIT_HEADER_TIMEOUT:
		return "header_timeout";
	case SYNCD_LIMIT_LISTINGS:
		return "listings";
	default:
		return "none";
	}
}

int syncd_limit_status(syncd_limit_t limit)
{
	switch (limit) {
	case SYNCD_LIMIT_CONNECTIONS:
		return 503;
	case SYNCD_LIMIT_CLIENT_CONNECTIONS:
		return 429;
	case SYNCD_LIMIT_RATE:
		return 429;
	case SYNCD_LIMIT_HEADERS:
		return 431;
	case SYNCD_LIMIT_JSON_DEPTH:
		return 400;
	case SYNCD_LIMIT_BODY:
		return 413;
	case SYNCD_LIMIT_HEADER_TIMEOUT:
		return 408; /* Not sent: the connection is cut. */
	case SYNCD_LIMIT_LISTINGS:
		return 503;
	default:
		return 200;
	}
}

/*! \brief CLOCK_MONOTONIC in milliseconds. */
static uint64_t monotonic_ms(void *data)
{
	(void)data;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

syncd_limits_t *syncd_limits_new(const syncd_limits_config_t *config)
{
	syncd_limits_t *limits = calloc(1, sizeof(*limits));
	if (limits == NULL) {
		return NULL;
	}
	limits->config = *config;
	syncd_limits_config_t *c = &limits->config;
	if (c->max_clients == 0 || c->max_clients >= NIL) {
		c->max_clients = SYNCD_LIMITS_MAX_CLIENTS;
	}
	if (c->rate > 0 && c->burst == 0) {
		c->burst = c->rate < 1 ? 1 : (unsigned)ceil(c->rate);
	}
	if (c->clock == NULL) {
		c->clock = monotonic_ms;
	}
	size_t buckets = 1;
	while (buckets < c->max_clients) {
		buckets *= 2;
	}
	limits->bucket_mask = buckets - 1;
	limits->pool = calloc(c->max_clients, sizeof(*limits->pool));
	limits->buckets = malloc(buckets * sizeof(*limits->buckets));
	if (limits->pool == NULL || limits->buckets == NULL) {
		syncd_limits_free(limits);
		return NULL;
	}
	for (size_t i = 0; i < buckets; i++) {
		limits->buckets[i] = NIL;
	}
	for (size_t i = 0; i < c->max_clients; i++) {
		limits->pool[i].next = i + 1 < c->max_clients ? (uint32_t)(i + 1) : NIL;
	}
	limits->free_list = 0;
	pthread_mutex_init(&limits->lock, NULL);
	return limits;
}

void syncd_limits_free(syncd_limits_t *limits)
{
	if (limits == NULL) {
		return;
	}
	if (limits->pool != NULL && limits->buckets != NULL) {
		pthread_mutex_destroy(&limits->lock);
	}
	free(limits->pool);
	free(limits->buckets);
	free(limits);
}

/*! \brief The table key of an address: 4 bytes for IPv4 (also mapped in
 *         IPv6), 16 for IPv6, none for other families. */
static uint8_t address_key(const struct sockaddr *addr, uint8_t key[16])
{
	if (addr != NULL && addr->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)addr)->sin_addr, 4);
		return 4;
	}
	if (addr != NULL && addr->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)addr)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			memcpy(key, in6->s6_addr + 12, 4);
			return 4;
		}
		memcpy(key, in6->s6_addr, 16);
		return 16;
	}
	return 0;
}

/*! \brief FNV-1a of a key. */
static size_t key_hash(const uint8_t *key, uint8_t len)
{
	uint32_t hash = 2166136261u ^ len;
	for (uint8_t i = 0; i < len; i++) {
		hash = (hash ^ key[i]) * 16777619u;
	}
	return hash;
}

/*! \brief A client's bucket content at now (refilled since last_ms). */
static double tokens_at(const syncd_limits_t *limits, const struct syncd_limits_client *client,
                        uint64_t now)
{
	double tokens = client->tokens;
	if (now > client->last_ms) {
		tokens += (double)(now - client->last_ms) * limits->config.rate / 1000.0;
	}
	return tokens < limits->config.burst ? tokens : limits->config.burst;
}

/*! \brief Whether an entry says nothing a new one would not: no open
 *         connection and a full bucket (refilled up to now). */
static bool expired(const syncd_limits_t *limits, const struct syncd_limits_client *client,
                    uint64_t now)
{
	if (client->connections > 0) {
		return false;
	}
	return limits->config.rate <= 0 || tokens_at(limits, client, now) >= limits->config.burst;
}

/*! \brief Unlinks an entry from its chain and frees it. */
static void remove_client(syncd_limits_t *limits, struct syncd_limits_client *client)
{
	uint32_t index = (uint32_t)(client - limits->pool);
	uint32_t *link =
	    &limits->buckets[key_hash(client->key, client->key_len) & limits->bucket_mask];
	while (*link != NIL && *link != index) {
		link = &limits->pool[*link].next;
	}
	if (*link == index) {
		*link = client->next;
	}
	memset(client, 0, sizeof(*client));
	client->next = limits->free_list;
	limits->free_list = index;
	limits->count--;
}

/*! \brief Drops the expired entries; when none was, and the table is
 *         full, the one without connections seen least recently. */
static void make_room(syncd_limits_t *limits, uint64_t now)
{
	struct syncd_limits_client *oldest = NULL;
	for (size_t i = 0; i < limits->config.max_clients; i++) {
		struct syncd_limits_client *client = &limits->pool[i];
		if (!client->used) {
			continue;
		}
		if (expired(limits, client, now)) {
			remove_client(limits, client);
		} else if (client->connections == 0 &&
		           (oldest == NULL || client->last_ms < oldest->last_ms)) {
			oldest = client;
		}
	}
	if (limits->free_list == NIL && oldest != NULL) {
		remove_client(limits, oldest);
	}
}

/*! \brief The entry of a key, NULL when there is none. */
static struct syncd_limits_client *lookup_client(syncd_limits_t *limits, const uint8_t *key,
                                                 uint8_t key_len)
{
	size_t hash = key_hash(key, key_len) & limits->bucket_mask;
	for (uint32_t i = limits->buckets[hash]; i != NIL; i = limits->pool[i].next) {
		struct syncd_limits_client *client = &limits->pool[i];
		if (client->key_len == key_len && memcmp(client->key, key, key_len) == 0) {
			return client;
		}
	}
	return NULL;
}

/*! \brief Finds or adds the entry of a key; NULL when the table is full of
 *         clients with open connections. */
static struct syncd_limits_client *find_client(syncd_limits_t *limits, const uint8_t *key,
                                               uint8_t key_len, uint64_t now)
{
	struct syncd_limits_client *found = lookup_client(limits, key, key_len);
	if (found != NULL) {
		return found;
	}
	size_t hash = key_hash(key, key_len) & limits->bucket_mask;
	if (limits->free_list == NIL) {
		make_room(limits, now);
		if (limits->free_list == NIL) {
			return NULL;
		}
	}
	uint32_t index = limits->free_list;
	struct syncd_limits_client *client = &limits->pool[index];
	limits->free_list = client->next;
	memset(client, 0, sizeof(*client));
	memcpy(client->key, key, key_len);
	client->key_len = key_len;
	client->used = true;
	client->tokens = limits->config.burst;
	client->last_ms = now;
	client->next = limits->buckets[hash];
	limits->buckets[hash] = index;
	limits->count++;
	return client;
}

syncd_limits_conn_t *syncd_limits_open(syncd_limits_t *limits, const struct sockaddr *addr)
{
	syncd_limits_conn_t *conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		return NULL;
	}
	conn->fd = -1;
	uint8_t key[16] = { 0 };
	uint8_t key_len = address_key(addr, key);

	pthread_mutex_lock(&limits->lock);
	uint64_t now = limits->config.clock(limits->config.clock_data);
	limits->connections++;
	conn->client = find_client(limits, key, key_len, now);
	if (conn->client == NULL) {
		conn->verdict = SYNCD_LIMIT_CONNECTIONS; /* Table full of busy clients. */
	} else if (++conn->client->connections > limits->config.max_per_client &&
	           limits->config.max_per_client > 0) {
		conn->verdict = SYNCD_LIMIT_CLIENT_CONNECTIONS;
	} else if (limits->config.max_connections > 0 &&
	           limits->connections > limits->config.max_connections) {
		conn->verdict = SYNCD_LIMIT_CONNECTIONS;
	}
	pthread_mutex_unlock(&limits->lock);
	return conn;
}

bool syncd_limits_admit(syncd_limits_t *limits, const struct sockaddr *addr)
{
	if (limits->config.max_per_client == 0) {
		return true;
	}
	uint8_t key[16] = { 0 };
	uint8_t key_len = address_key(addr, key);
	pthread_mutex_lock(&limits->lock);
	const struct syncd_limits_client *client = lookup_client(limits, key, key_len);
	bool admit = client == NULL || client->connections < limits->config.max_per_client;
	pthread_mutex_unlock(&limits->lock);
	return admit;
}

/*! \brief Takes a connection off the waiting list (if it is on it). */
static void unwait(syncd_limits_t *limits, syncd_limits_conn_t *conn)
{
	if (conn->fd < 0) {
		return;
	}
	*(conn->prev != NULL ? &conn->prev->next : &limits->waiting_head) = conn->next;
	*(conn->next != NULL ? &conn->next->prev : &limits->waiting_tail) = conn->prev;
	conn->prev = conn->next = NULL;
	conn->fd = -1;
}

void syncd_limits_header_wait(syncd_limits_t *limits, syncd_limits_conn_t *conn, int fd)
{
	if (conn == NULL || fd < 0 || limits->config.header_timeout_ms == 0) {
		return;
	}
	pthread_mutex_lock(&limits->lock);
	unwait(limits, conn);
	conn->fd = fd;
	conn->header_since_ms = limits->config.clock(limits->config.clock_data);
	conn->prev = limits->waiting_tail; /* The clock is monotonic: oldest first. */
	*(limits->waiting_tail != NULL ? &limits->waiting_tail->next : &limits->waiting_head) =
	    conn;
	limits->waiting_tail = conn;
	pthread_mutex_unlock(&limits->lock);
}

void syncd_limits_header_done(syncd_limits_t *limits, syncd_limits_conn_t *conn)
{
	if (conn == NULL || limits->config.header_timeout_ms == 0) {
		return;
	}
	pthread_mutex_lock(&limits->lock);
	unwait(limits, conn);
	pthread_mutex_unlock(&limits->lock);
}

unsigned syncd_limits_sweep(syncd_limits_t *limits, void (*on_cut)(void *data), void *data)
{
	if (limits->config.header_timeout_ms == 0) {
		return 0;
	}
	unsigned cut = 0;
	pthread_mutex_lock(&limits->lock);
	uint64_t now = limits->config.clock(limits->config.clock_data);
	while (limits->waiting_head != NULL && now >= limits->waiting_head->header_since_ms &&
	       now - limits->waiting_head->header_since_ms >= limits->config.header_timeout_ms) {
		syncd_limits_conn_t *conn = limits->waiting_head;
		if (on_cut != NULL) {
			on_cut(data);
		}
		(void)shutdown(conn->fd, SHUT_RDWR);
		unwait(limits, conn);
		cut++;
	}
	pthread_mutex_unlock(&limits->lock);
	return cut;
}

void syncd_limits_close(syncd_limits_t *limits, syncd_limits_conn_t *conn)
{
	if (conn == NULL) {
		return;
	}
	pthread_mutex_lock(&limits->lock);
	unwait(limits, conn);
	limits->connections--;
	struct syncd_limits_client *client = conn->client;
	if (client != NULL) {
		client->connections--;
		if (expired(limits, client, limits->config.clock(limits->config.clock_data))) {
			remove_client(limits, client);
		}
	}
	pthread_mutex_unlock(&limits->lock);
	free(conn);
}

syncd_limit_t syncd_limits_request(syncd_limits_t *limits, const syncd_limits_conn_t *conn,
                                   unsigned *retry_after)
{
	if (limits->config.rate <= 0 || conn == NULL || conn->client == NULL) {
		return SYNCD_LIMIT_NONE;
	}
	syncd_limit_t verdict = SYNCD_LIMIT_NONE;
	pthread_mutex_lock(&limits->lock);
	struct syncd_limits_client *client = conn->client; /* Kept: it has a connection. */
	uint64_t now = limits->config.clock(limits->config.clock_data);
	client->tokens = tokens_at(limits, client, now);
	client->last_ms = now > client->last_ms ? now : client->last_ms;
	if (client->tokens >= 1) {
		client->tokens -= 1;
	} else {
		double wait = ceil((1 - client->tokens) / limits->config.rate);
		*retry_after = wait < 1 ? 1 : wait > 86400 ? 86400 : (unsigned)wait;
		verdict = SYNCD_LIMIT_RATE;
	}
	pthread_mutex_unlock(&limits->lock);
	return verdict;
}

unsigned syncd_limits_connections(syncd_limits_t *limits)
{
	pthread_mutex_lock(&limits->lock);
	unsigned connections = limits->connections;
	pthread_mutex_unlock(&limits->lock);
	return connections;
}

size_t syncd_limits_clients(syncd_limits_t *limits)
{
	pthread_mutex_lock(&limits->lock);
	uint64_t now = limits->config.clock(limits->config.clock_data);
	for (size_t i = 0; i < limits->config.max_clients; i++) {
		if (limits->pool[i].used && expired(limits, &limits->pool[i], now)) {
			remove_client(limits, &limits->pool[i]);
		}
	}
	size_t count = limits->count;
	pthread_mutex_unlock(&limits->lock);
	return count;
}

bool syncd_limits_rate_exempt(const char *path)
{
	const char *exempt[] = { "/healthz", "/readyz" };
	for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++) {
		size_t len = strlen(exempt[i]);
		if (strncmp(path, exempt[i], len) == 0 &&
		    (path[len] == '\0' || (path[len] == '/' && path[len + 1] == '\0'))) {
			return true;
		}
	}
	return false;
}

bool syncd_json_depth_ok(const char *text, size_t len, unsigned max, size_t *offset)
{
	if (max == 0) {
		return true;
	}
	unsigned depth = 0;
	bool in_string = false;
	bool escaped = false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			if (escaped) {
				escaped = false;
			} else if (c == '\\') {
				escaped = true;
			} else if (c == '"') {
				in_string = false;
			}
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max) {
				*offset = i;
				return false;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return true;
}

bool syncd_limits_listing_begin(syncd_limits_t *limits)
{
	pthread_mutex_lock(&limits->lock);
	bool taken = limits->listings < SYNCD_MAX_LISTINGS;
	if (taken) {
		limits->listings++;
	}
	pthread_mutex_unlock(&limits->lock);
	return taken;
}

void syncd_limits_listing_end(syncd_limits_t *limits)
{
	pthread_mutex_lock(&limits->lock);
	if (limits->listings > 0) {
		limits->listings--;
	}
	pthread_mutex_unlock(&limits->lock);
}
