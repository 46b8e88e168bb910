/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd configuration (see config.h). */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/config.h"
#include "syncd/kede.h"
#include "common/config_file.h"
#include "common/log.h"

/*! Options without a short form. */
enum {
	OPT_DBUS = 256,
	OPT_KNOT_SOCKET,
	OPT_KNOT_DBUS,
	OPT_TOKENS,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_CLIENT_CA,
	OPT_INSECURE_NO_AUTH,
	OPT_LOG_LEVEL,
	OPT_SYSLOG,
	OPT_MAX_BODY,
	OPT_THREADS,
	OPT_MAX_HEADERS,
	OPT_MAX_JSON_DEPTH,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_CONNECTIONS_PER_CLIENT,
	OPT_HEADER_TIMEOUT,
	OPT_RATE_LIMIT,
	OPT_RATE_BURST,
	OPT_KNOT_POLL,
	OPT_MAX_LAG,
	OPT_QUERY_RATE_THRESHOLD,
	OPT_QUERY_RATE_INCREASE_THRESHOLD,
	OPT_ZONE_EXPIRY_PERIOD,
	OPT_SIGNATURE_EXPIRY_PERIOD,
	OPT_EDE_CODES,
	OPT_EDE_QUIET,
	OPT_MQTT,
	OPT_MQTT_TOPIC,
	OPT_MQTT_CLIENT_ID,
	OPT_MQTT_USERNAME,
	OPT_MQTT_PASSWORD_FILE,
	OPT_MQTT_CA_FILE,
	OPT_MQTT_CERT_FILE,
	OPT_MQTT_KEY_FILE,
	OPT_SYNC_ZONE,
	OPT_SYNC_DEFAULT_TTL,
	OPT_ALLOW_ZONE,
	OPT_NAME_GRANTS,
	OPT_REPORT_SOCKET,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "database", required_argument, NULL, 'd' },
	{ "dbus", required_argument, NULL, OPT_DBUS },
	{ "knot-socket", required_argument, NULL, OPT_KNOT_SOCKET },
	{ "knot-dbus", required_argument, NULL, OPT_KNOT_DBUS },
	{ "tokens", required_argument, NULL, OPT_TOKENS },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-client-ca", required_argument, NULL, OPT_TLS_CLIENT_CA },
	{ "insecure-no-auth", no_argument, NULL, OPT_INSECURE_NO_AUTH },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-headers", required_argument, NULL, OPT_MAX_HEADERS },
	{ "max-json-depth", required_argument, NULL, OPT_MAX_JSON_DEPTH },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "max-connections-per-client", required_argument, NULL, OPT_MAX_CONNECTIONS_PER_CLIENT },
	{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "rate-burst", required_argument, NULL, OPT_RATE_BURST },
	{ "knot-poll", required_argument, NULL, OPT_KNOT_POLL },
	{ "max-lag", required_argument, NULL, OPT_MAX_LAG },
	{ "query-rate-threshold", required_argument, NULL, OPT_QUERY_RATE_THRESHOLD },
	{ "query-rate-increase-threshold", required_argument, NULL,
	  OPT_QUERY_RATE_INCREASE_THRESHOLD },
	{ "zone-expiry-period", required_argument, NULL, OPT_ZONE_EXPIRY_PERIOD },
	{ "signature-expiry-period", required_argument, NULL, OPT_SIGNATURE_EXPIRY_PERIOD },
	{ "ede-codes", required_argument, NULL, OPT_EDE_CODES },
	{ "ede-quiet", required_argument, NULL, OPT_EDE_QUIET },
	{ "mqtt", required_argument, NULL, OPT_MQTT },
	{ "mqtt-topic", required_argument, NULL, OPT_MQTT_TOPIC },
	{ "mqtt-client-id", required_argument, NULL, OPT_MQTT_CLIENT_ID },
	{ "mqtt-username", required_argument, NULL, OPT_MQTT_USERNAME },
	{ "mqtt-password-file", required_argument, NULL, OPT_MQTT_PASSWORD_FILE },
	{ "mqtt-ca-file", required_argument, NULL, OPT_MQTT_CA_FILE },
	{ "mqtt-cert-file", required_argument, NULL, OPT_MQTT_CERT_FILE },
	{ "mqtt-key-file", required_argument, NULL, OPT_MQTT_KEY_FILE },
	{ "sync-zone", required_argument, NULL, OPT_SYNC_ZONE },
	{ "sync-default-ttl", required_argument, NULL, OPT_SYNC_DEFAULT_TTL },
	{ "allow-zone", required_argument, NULL, OPT_ALLOW_ZONE },
	{ "name-grants", required_argument, NULL, OPT_NAME_GRANTS },
	{ "report-socket", required_argument, NULL, OPT_REPORT_SOCKET },
	MECDNS_CONFIG_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void print_help(void)
{
	printf("Usage: mecdns-syncd [options]\n"
	       "\n"
	       "Serves the Mp1, Mm5 and MEP->DNS rrecord REST APIs of mecdns, writes the\n"
	       "rules into the SQLite database read by knotd's mod-mecdns and signals\n"
	       "every change on D-Bus. Runs in the foreground; stop with SIGTERM.\n"
	       "\n"
	       "Options (the config file items have the same names):\n"
	       "  -c, --config FILE          config file (knot.conf syntax, section syncd:)\n"
	       "  -l, --listen ADDR:PORT     HTTP listen address (default %s)\n"
	       "  -d, --database PATH        database file (default %s)\n"
	       "      --dbus BUS             system, session, none or a D-Bus address\n"
	       "                             (default system)\n"
	       "      --knot-socket PATH     knotd control socket, usually %s;\n"
	       "                             without it no Knot state is tracked\n"
	       "      --knot-dbus BUS        knotd's bus: system, an address or none\n"
	       "      --report-socket PATH   unix socket mod-mecdns sends the reports of\n"
	       "                             DNS contexts' REPORT rules to (its own\n"
	       "                             report-socket; without it none are made)\n"
	       "      --knot-poll MS         Knot state poll interval (default %d)\n"
	       "      --max-lag MS           module lag before not serving (default %d)\n"
	       "      --query-rate-threshold QPS  signal query_rate around it (0: off)\n"
	       "      --query-rate-increase-threshold QPS/S  signal query_rate_increase\n"
	       "                             around it (0: off)\n"
	       "      --zone-expiry-period S|off  signal zone_expiring S seconds before a\n"
	       "                             secondary zone expires (default 0: when it does)\n"
	       "      --signature-expiry-period S|off  signal signatures_expiring S seconds\n"
	       "                             before a zone's first RRSIG expires (default off)\n"
	       "      --ede-codes all|off|CODE[,CODE...]  signal extended_error while\n"
	       "                             responses carry these Extended DNS Errors\n"
	       "                             (default off)\n"
	       "      --ede-quiet MS         extended_error clears after this long without\n"
	       "                             its code (default 10000)\n"
	       "      --mqtt URL             also publish every signal to this MQTT broker,\n"
	       "                             mqtt://HOST[:PORT] or mqtts://HOST[:PORT]\n"
	       "      --mqtt-topic PREFIX    topic prefix (default mecdns/HOSTNAME)\n"
	       "      --mqtt-client-id ID, --mqtt-username NAME, --mqtt-password-file FILE,\n"
	       "      --mqtt-ca-file FILE, --mqtt-cert-file FILE, --mqtt-key-file FILE\n"
	       "      --sync-zone ZONE       mirror mecdns's answers under ZONE into that Knot\n"
	       "                             zone (repeatable; needs --knot-socket)\n"
	       "      --sync-default-ttl S   TTL of rules without one in synced zones\n"
	       "                             (default 60, as mod-mecdns's default-ttl)\n"
	       "      --allow-zone ZONE      let rules and rrecord sets go below ZONE, a zone\n"
	       "                             knotd serves (repeatable; synced zones are\n"
	       "                             allowed; apex, delegations, NS targets never)\n"
	       "      --name-grants FILE     names granted to apps (APP NAME [shared] lines,\n"
	       "                             each NAME with everything below it)\n"
	       "      --tokens FILE          bearer token file (TOKEN SCOPE[,SCOPE...])\n"
	       "      --tls-cert FILE        serve HTTPS with this PEM certificate chain\n"
	       "      --tls-key FILE         and this PEM private key\n"
	       "      --tls-client-ca FILE   require client certificates signed by this CA\n"
	       "      --insecure-no-auth     allow a non-loopback listen without tokens\n"
	       "      --log-level LEVEL      error, warning, notice, info (default), debug\n"
	       "      --syslog               log to syslog instead of stderr\n"
	       "      --max-body BYTES       request body limit (default %d)\n"
	       "      --threads N            HTTP worker threads (default %d)\n"
	       "      --max-headers N        request header fields, 431 past it (default %d)\n"
	       "      --max-json-depth N     JSON body nesting, 400 past it (default %d)\n"
	       "      --max-connections N    open connections, 503 past it (default %d)\n"
	       "      --max-connections-per-client N\n"
	       "                             open connections per client address, 429\n"
	       "                             past it; closed unread (default %d)\n"
	       "      --header-timeout S     seconds a connection has to send a whole request\n"
	       "                             header, from its start or its previous answer\n"
	       "                             (default %d)\n"
	       "      --rate-limit RPS       requests per second per client address, 429\n"
	       "                             past it (default 0; /healthz, /readyz exempt)\n"
	       "      --rate-burst N         requests a client may send at once (default:\n"
	       "                             rate-limit rounded up); 0 turns a limit off\n"
	       "                             (see LIMITS in mecdns-syncd(8))\n"
	       "  -h, --help                 this help\n"
	       "  -V, --version              version\n"
	       "\n"
	       "SIGHUP reloads the token file, the name-grants file and the TLS files.\n",
	       SYNCD_DEFAULT_LISTEN, SYNCD_DEFAULT_DATABASE, SYNCD_DEFAULT_KNOT_SOCKET,
	       SYNCD_DEFAULT_KNOT_POLL_MS, SYNCD_DEFAULT_MAX_LAG_MS, SYNCD_DEFAULT_MAX_BODY,
	       SYNCD_DEFAULT_THREADS, SYNCD_DEFAULT_MAX_HEADERS, SYNCD_DEFAULT_MAX_JSON_DEPTH,
	       SYNCD_DEFAULT_MAX_CONNECTIONS, SYNCD_DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
	       SYNCD_DEFAULT_HEADER_TIMEOUT);
}

/*!
 * \brief Applies a request limit item (syncd/limits.h).
 * \return 1 applied, -1 bad value (err set), 0 not a limit item.
 */
static int apply_limit(syncd_config_t *config, const char *name, const char *value,
                       const char *where, char *err, size_t err_len)
{
	const struct {
		const char *name;
		unsigned *field;
		unsigned long long max;
	} items[] = {
		{ "max-headers", &config->max_headers, 10000 },
		{ "max-json-depth", &config->max_json_depth, 1000 }, /* cJSON's own limit. */
		{ "max-connections", &config->max_connections, 65535 },
		{ "max-connections-per-client", &config->max_connections_per_client, 65535 },
		{ "header-timeout", &config->header_timeout, 3600 },
		{ "rate-burst", &config->rate_burst, 1000000 },
	};
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		unsigned long long number = 0;
		if (strcmp(name, items[i].name) != 0) {
			continue;
		}
		if (!mecdns_config_apply_range(name, value, where, 0, items[i].max, NULL, &number,
		                               err, err_len)) {
			return -1;
		}
		*items[i].field = (unsigned)number;
		return 1;
	}
	if (strcmp(name, "rate-limit") != 0) {
		return 0;
	}
	char *end = NULL;
	errno = 0;
	double rate = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || !(rate >= 0 && rate <= 1e6)) {
		snprintf(err, err_len,
		         "%s: rate-limit must be 0..1000000 requests per second, not \"%s\"", where,
		         value);
		return -1;
	}
	config->rate_limit = rate;
	return 1;
}

/*!
 * \brief Applies one option (from argv or the file) by its long name.
 * \param where  "option --x" or "FILE:LINE" for messages.
 */
static bool apply(void *ctx, const char *name, const char *value, const char *where, char *err,
                  size_t err_len)
{
	syncd_config_t *config = ctx;
	const mecdns_config_string_t strings[] = {
		{ "listen", &config->listen },
		{ "database", &config->database },
		{ "dbus", &config->dbus },
		{ "mqtt", &config->mqtt },
		{ "mqtt-topic", &config->mqtt_topic },
		{ "mqtt-client-id", &config->mqtt_client_id },
		{ "mqtt-username", &config->mqtt_username },
		{ "mqtt-password-file", &config->mqtt_password_file },
		{ "mqtt-ca-file", &config->mqtt_ca_file },
		{ "mqtt-cert-file", &config->mqtt_cert_file },
		{ "mqtt-key-file", &config->mqtt_key_file },
		{ "knot-socket", &config->knot_socket },
		{ "knot-dbus", &config->knot_dbus },
		{ "report-socket", &config->report_socket },
		{ "tokens", &config->tokens },
		{ "name-grants", &config->name_grants },
		{ "tls-cert", &config->tls_cert },
		{ "tls-key", &config->tls_key },
		{ "tls-client-ca", &config->tls_client_ca },
	};
	int string =
	    mecdns_config_apply_string(MECDNS_ITEMS(strings), name, value, where, err, err_len);
	if (string != 0) {
		return string > 0;
	}

	int limit = apply_limit(config, name, value, where, err, err_len);
	if (limit != 0) {
		return limit > 0;
	}

	unsigned long long number = 0;
	if (strcmp(name, "insecure-no-auth") == 0 || strcmp(name, "syslog") == 0) {
		return mecdns_config_apply_bool(
		    name, value, where,
		    strcmp(name, "syslog") == 0 ? &config->syslog : &config->insecure_no_auth, err,
		    err_len);
	} else if (strcmp(name, "log-level") == 0) {
		return mecdns_config_apply_log_level(value, where, &config->log_level, err,
		                                     err_len);
	} else if (strcmp(name, "max-body") == 0) {
		if (!mecdns_config_apply_range(name, value, where, 1024, 1024ULL * 1024 * 1024,
		                               "bytes", &number, err, err_len)) {
			return false;
		}
		config->max_body = (size_t)number;
	} else if (strcmp(name, "threads") == 0) {
		if (!mecdns_config_apply_range(name, value, where, 1, 256, NULL, &number, err,
		                               err_len)) {
			return false;
		}
		config->threads = (unsigned)number;
	} else if (strcmp(name, "knot-poll") == 0 || strcmp(name, "max-lag") == 0) {
		if (!mecdns_config_apply_range(name, value, where, 10, 3600 * 1000, "milliseconds",
		                               &number, err, err_len)) {
			return false;
		}
		*(strcmp(name, "max-lag") == 0 ? &config->max_lag_ms : &config->knot_poll_ms) =
		    (int)number;
	} else if (strcmp(name, "query-rate-threshold") == 0 ||
	           strcmp(name, "query-rate-increase-threshold") == 0) {
		bool increase = strcmp(name, "query-rate-increase-threshold") == 0;
		char *end = NULL;
		errno = 0;
		double rate = strtod(value, &end);
		if (errno != 0 || end == value || *end != '\0' || !(rate >= 0 && rate <= 1e9)) {
			snprintf(err, err_len,
			         "%s: %s must be 0..1000000000 queries per second%s, not \"%s\"",
			         where, name, increase ? " per second" : "", value);
			return false;
		}
		*(increase ? &config->query_rate_increase_threshold
		           : &config->query_rate_threshold) = rate;
	} else if (strcmp(name, "zone-expiry-period") == 0 ||
	           strcmp(name, "signature-expiry-period") == 0) {
		int64_t *period = strcmp(name, "zone-expiry-period") == 0
		                      ? &config->zone_expiry_period
		                      : &config->signature_expiry_period;
		if (strcmp(value, "off") == 0) {
			*period = -1;
		} else if (mecdns_config_apply_range(name, value, where, 0, INT32_MAX,
		                                     "seconds or off", &number, err, err_len)) {
			*period = (int64_t)number;
		} else {
			return false;
		}
	} else if (strcmp(name, "ede-codes") == 0) {
		return kede_parse_codes(value, config->ede_codes, where, err, err_len);
	} else if (strcmp(name, "ede-quiet") == 0) {
		if (!mecdns_config_apply_range(name, value, where, 100, 3600 * 1000, "milliseconds",
		                               &number, err, err_len)) {
			return false;
		}
		config->ede_quiet_ms = (int)number;
	} else if (strcmp(name, "sync-zone") == 0 || strcmp(name, "allow-zone") == 0) {
		/* Repeatable: every value adds a zone. */
		bool sync = strcmp(name, "sync-zone") == 0;
		char ***list = sync ? &config->sync_zones : &config->allow_zones;
		size_t *count = sync ? &config->sync_zone_count : &config->allow_zone_count;
		char **zones = realloc(*list, (*count + 1) * sizeof(*zones));
		char *zone = strdup(value);
		if (zones != NULL) {
			*list = zones;
		}
		if (zones == NULL || zone == NULL) {
			free(zone);
			snprintf(err, err_len, "%s: out of memory", where);
			return false;
		}
		zones[(*count)++] = zone;
	} else if (strcmp(name, "sync-default-ttl") == 0) {
		if (!mecdns_config_apply_range(name, value, where, 0, INT32_MAX, "seconds", &number,
		                               err, err_len)) {
			return false;
		}
		config->sync_default_ttl = (uint32_t)number;
	} else {
		snprintf(err, err_len, "%s: unknown item \"%s\"", where, name);
		return false;
	}
	return true;
}

bool syncd_config_read_file(syncd_config_t *config, const char *path, char *err, size_t err_len)
{
	return mecdns_config_read_file(path, "syncd", apply, config, err, err_len);
}

bool syncd_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *len, char *err,
                        size_t err_len)
{
	memset(addr, 0, sizeof(*addr));
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':');
	if (colon == NULL || (size_t)(colon - text) >= sizeof(host) || colon == text) {
		snprintf(err, err_len, "listen \"%s\" must be ADDR:PORT or [ADDR6]:PORT", text);
		return false;
	}
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';

	unsigned long long port = 0;
	if (!mecdns_config_parse_number(colon + 1, 0, 65535, &port)) {
		snprintf(err, err_len, "listen \"%s\": port must be 0..65535", text);
		return false;
	}

	size_t host_len = strlen(host);
	if (host[0] == '[' && host_len > 2 && host[host_len - 1] == ']') {
		host[host_len - 1] = '\0';
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1) {
			snprintf(err, err_len, "listen \"%s\": not a numeric IPv6 address", text);
			return false;
		}
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return true;
	}
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1) {
		snprintf(err, err_len,
		         "listen \"%s\": not a numeric IPv4 address (write IPv6 as [ADDR]:PORT)",
		         text);
		return false;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)port);
	*len = sizeof(*in4);
	return true;
}

bool syncd_addr_is_loopback(const struct sockaddr_storage *addr)
{
	if (addr->ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
			return true;
		}
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

bool syncd_config_check(syncd_config_t *config, char *err, size_t err_len)
{
	if (!syncd_listen_parse(config->listen, &config->listen_addr, &config->listen_addr_len, err,
	                        err_len)) {
		return false;
	}
	if ((config->tls_cert == NULL) != (config->tls_key == NULL)) {
		snprintf(err, err_len, "tls-cert and tls-key must be given together");
		return false;
	}
	if (config->tls_client_ca != NULL && config->tls_cert == NULL) {
		snprintf(err, err_len, "tls-client-ca needs tls-cert and tls-key");
		return false;
	}
	if (config->sync_zone_count > 0 && config->knot_socket == NULL) {
		snprintf(err, err_len, "sync-zone %s needs knot-socket (knotd's control socket)",
		         config->sync_zones[0]);
		return false;
	}
	if (config->allow_zone_count > 0 && config->knot_socket == NULL) {
		snprintf(err, err_len, "allow-zone %s needs knot-socket (knotd's control socket)",
		         config->allow_zones[0]);
		return false;
	}
	if (config->tokens == NULL && !config->insecure_no_auth &&
	    !syncd_addr_is_loopback(&config->listen_addr)) {
		snprintf(err, err_len,
		         "refusing to listen on %s without a token file: give --tokens FILE, "
		         "listen on a loopback address, or pass --insecure-no-auth",
		         config->listen);
		return false;
	}
	return true;
}

/*! \brief Sets the built-in defaults. */
static bool set_defaults(syncd_config_t *config)
{
	memset(config, 0, sizeof(*config));
	config->log_level = LOG_INFO;
	config->max_body = SYNCD_DEFAULT_MAX_BODY;
	config->threads = SYNCD_DEFAULT_THREADS;
	config->max_headers = SYNCD_DEFAULT_MAX_HEADERS;
	config->max_json_depth = SYNCD_DEFAULT_MAX_JSON_DEPTH;
	config->max_connections = SYNCD_DEFAULT_MAX_CONNECTIONS;
	config->max_connections_per_client = SYNCD_DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
	config->header_timeout = SYNCD_DEFAULT_HEADER_TIMEOUT;
	config->changes_keep_ms = 24LL * 3600 * 1000;
	config->knot_poll_ms = SYNCD_DEFAULT_KNOT_POLL_MS;
	config->max_lag_ms = SYNCD_DEFAULT_MAX_LAG_MS;
	config->zone_expiry_period = 0;
	config->signature_expiry_period = -1;
	config->ede_quiet_ms = 10000;
	config->sync_default_ttl = SYNCD_DEFAULT_SYNC_TTL;
	return mecdns_config_set_string(&config->listen, SYNCD_DEFAULT_LISTEN) &&
	       mecdns_config_set_string(&config->database, SYNCD_DEFAULT_DATABASE) &&
	       mecdns_config_set_string(&config->dbus, "system") &&
	       mecdns_config_set_string(&config->knot_dbus, "system");
}

syncd_config_result_t syncd_config_load(syncd_config_t *config, int argc, char *argv[], char *err,
                                        size_t err_len)
{
	if (!set_defaults(config)) {
		snprintf(err, err_len, "out of memory");
		return SYNCD_CONFIG_ERROR;
	}
	const char *short_options = "c:l:d:hV";

	/* Pass 1: --help, --version, -c and option syntax. */
	switch (mecdns_config_first_pass(argc, argv, short_options, long_options,
	                                 &config->config_file, err, err_len)) {
	case MECDNS_CONFIG_PASS_HELP:
		print_help();
		return SYNCD_CONFIG_EXIT;
	case MECDNS_CONFIG_PASS_VERSION:
		printf("mecdns-syncd %s\n", PACKAGE_VERSION);
		return SYNCD_CONFIG_EXIT;
	case MECDNS_CONFIG_PASS_ERROR:
		return SYNCD_CONFIG_ERROR;
	default:
		break;
	}

	if (config->config_file != NULL &&
	    !syncd_config_read_file(config, config->config_file, err, err_len)) {
		return SYNCD_CONFIG_ERROR;
	}

	/* Pass 2: options override the file. */
	if (!mecdns_config_apply_options(argc, argv, short_options, long_options, apply, config,
	                                 err, err_len)) {
		return SYNCD_CONFIG_ERROR;
	}

	return syncd_config_check(config, err, err_len) ? SYNCD_CONFIG_RUN : SYNCD_CONFIG_ERROR;
}

void syncd_config_free(syncd_config_t *config)
{
	free(config->config_file);
	free(config->listen);
	free(config->database);
	free(config->dbus);
	free(config->knot_socket);
	free(config->report_socket);
	free(config->knot_dbus);
	for (size_t i = 0; i < config->sync_zone_count; i++) {
		free(config->sync_zones[i]);
	}
	free(config->sync_zones);
	free(config->tokens);
	free(config->name_grants);
	for (size_t i = 0; i < config->allow_zone_count; i++) {
		free(config->allow_zones[i]);
	}
	free(config->allow_zones);
	free(config->tls_cert);
	free(config->tls_key);
	free(config->tls_client_ca);
	free(config->mqtt);
	free(config->mqtt_topic);
	free(config->mqtt_client_id);
	free(config->mqtt_username);
	free(config->mqtt_password_file);
	free(config->mqtt_ca_file);
	free(config->mqtt_cert_file);
	free(config->mqtt_key_file);
	memset(config, 0, sizeof(*config));
}
