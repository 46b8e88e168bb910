/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd configuration: one struct, filled in one place.
 *
 *  Sources, later ones winning: built-in defaults, the config file (-c FILE,
 *  knot.conf's YAML dialect read with libknot's yparser, one section
 *  "syncd:" whose items are named like the long options), then the
 *  command-line options.
 *
 *      syncd:
 *          listen: 127.0.0.1:8080
 *          database: /var/lib/mecdns/mecdns.db
 *          tokens: /etc/mecdns/tokens
 */

#pragma once

#include "common/ede.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SYNCD_DEFAULT_LISTEN   "127.0.0.1:8080"
#define SYNCD_DEFAULT_DATABASE "/var/lib/mecdns/mecdns.db"
/*! The usual knotd control socket (named in the help; knot-socket has no
 *  default: without it syncd does not track Knot's state). */
#define SYNCD_DEFAULT_KNOT_SOCKET  "/run/knot/knot.sock"
#define SYNCD_DEFAULT_KNOT_POLL_MS 500
#define SYNCD_DEFAULT_MAX_LAG_MS   2000
#define SYNCD_DEFAULT_MAX_BODY     (1024 * 1024)
#define SYNCD_DEFAULT_THREADS      64
/*! Request limits (syncd/limits.h); 0 turns one off. */
#define SYNCD_DEFAULT_MAX_HEADERS                64
#define SYNCD_DEFAULT_MAX_JSON_DEPTH             32
#define SYNCD_DEFAULT_MAX_CONNECTIONS            256
#define SYNCD_DEFAULT_MAX_CONNECTIONS_PER_CLIENT 32
#define SYNCD_DEFAULT_HEADER_TIMEOUT             10
/*! As mod-mecdns's default-ttl. */
#define SYNCD_DEFAULT_SYNC_TTL 60

typedef struct {
	char *config_file;                   /*!< -c, or NULL. */
	char *listen;                        /*!< ADDR:PORT or [ADDR6]:PORT. */
	struct sockaddr_storage listen_addr; /*!< Parsed listen. */
	socklen_t listen_addr_len;
	char *database;
	char *dbus;          /*!< system, session, none or an address. */
	char *report_socket; /*!< Where mod-mecdns reports answered queries of
	                          DNS contexts' REPORT rules (syncd/reports.h), or
	                          NULL: no reports. */
	char *knot_socket;   /*!< knotd control socket (state/zone sync), or
	                          NULL: not configured, no Knot state. */
	char *knot_dbus;     /*!< knotd's bus: system, an address or none. */
	char *tokens;        /*!< Token file, or NULL (no auth, loopback only). */
	char *name_grants;   /*!< Name-grants file (syncd/grants_file.h), or NULL. */
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca;   /*!< Requires and verifies client certificates. */
	bool insecure_no_auth; /*!< Allows a non-loopback listen without tokens. */
	int log_level;         /*!< syslog priority. */
	bool syslog;
	size_t max_body;                      /*!< Request body limit in bytes (413 past it). */
	unsigned threads;                     /*!< HTTP worker threads. */
	unsigned max_headers;                 /*!< Request header fields (431 past it); 0: off. */
	unsigned max_json_depth;              /*!< JSON body nesting (400 past it); 0: off. */
	unsigned max_connections;             /*!< Open connections (503 past it); 0: off. */
	unsigned max_connections_per_client;  /*!< Per address (closed at accept); 0: off. */
	unsigned header_timeout;              /*!< Seconds to send a request header; 0: off. */
	double rate_limit;                    /*!< Requests/s per address (429); 0: off. */
	unsigned rate_burst;                  /*!< Token bucket size; 0: rate_limit rounded up. */
	int64_t changes_keep_ms;              /*!< Change log retention before pruning. */
	int knot_poll_ms;                     /*!< Knot state poll interval. */
	int max_lag_ms;                       /*!< Module lag before "serving" drops. */
	double query_rate_threshold;          /*!< query_rate signal; 0: off. */
	double query_rate_increase_threshold; /*!< query_rate_increase; 0: off. */
	int64_t zone_expiry_period;           /*!< zone_expiring, s; -1: off (default 0). */
	int64_t signature_expiry_period;      /*!< signatures_expiring, s; -1: off (default). */
	bool ede_codes[MECDNS_EDE_SLOTS];     /*!< extended_error's codes (default none). */
	int ede_quiet_ms;                     /*!< extended_error clears after this. */
	/* The MQTT channel (syncd/mqtt.h); mqtt NULL: none. */
	char *mqtt;
	char *mqtt_topic;
	char *mqtt_client_id;
	char *mqtt_username;
	char *mqtt_password_file;
	char *mqtt_ca_file;
	char *mqtt_cert_file;
	char *mqtt_key_file;
	/* Zone sync (syncd/zonesync.h). */
	char **sync_zones; /*!< sync-zone values (repeatable), as given. */
	size_t sync_zone_count;
	uint32_t sync_default_ttl; /*!< TTL of rules without one in synced zones. */
	/* The operator's zones (syncd/zoneguard.h). */
	char **allow_zones; /*!< allow-zone values (repeatable), as given. */
	size_t allow_zone_count;
} syncd_config_t;

typedef enum {
	SYNCD_CONFIG_RUN = 0, /*!< Configuration complete: start. */
	SYNCD_CONFIG_EXIT,    /*!< --help or --version was printed: exit 0. */
	SYNCD_CONFIG_ERROR,   /*!< err holds one line: exit non-zero. */
} syncd_config_result_t;

/*! \brief Fills config from defaults, the file and argv, then checks it
 *         (syncd_config_check()). */
syncd_config_result_t syncd_config_load(syncd_config_t *config, int argc, char *argv[], char *err,
                                        size_t err_len);

/*! \brief Reads a config file into config (over what it holds). */
bool syncd_config_read_file(syncd_config_t *config, const char *path, char *err, size_t err_len);

/*! \brief Checks the combination: listen parses, TLS files come in pairs,
 *         and without a token file only loopback listening is allowed unless
 *         insecure_no_auth. */
bool syncd_config_check(syncd_config_t *config, char *err, size_t err_len);

/*! \brief Parses "ADDR:PORT" / "[ADDR6]:PORT" (numeric addresses only). */
bool syncd_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *len, char *err,
                        size_t err_len);

/*! \brief Whether addr is 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
bool syncd_addr_is_loopback(const struct sockaddr_storage *addr);

void syncd_config_free(syncd_config_t *config);
