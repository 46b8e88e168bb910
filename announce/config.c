/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce configuration (see config.h). */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce/config.h"
#include "common/config_file.h"
#include "common/log.h"

/*! Options without a short form. */
enum {
	OPT_DBUS = 256,
	OPT_MQTT,
	OPT_MQTT_TOPIC,
	OPT_MQTT_USERNAME,
	OPT_MQTT_PASSWORD_FILE,
	OPT_MQTT_CA_FILE,
	OPT_MQTT_CERT_FILE,
	OPT_MQTT_KEY_FILE,
	OPT_ANNOUNCE,
	OPT_WITHDRAW,
	OPT_SHELL,
	OPT_PROFILE,
	OPT_PREFIX,
	OPT_CLIENT,
	OPT_BIRD_SOCKET,
	OPT_BIRD_PROTOCOL,
	OPT_NEXT_HOP,
	OPT_PREPEND,
	OPT_PREPEND_AS,
	OPT_BIRD_PREPEND_PROTOCOL,
	OPT_PREPEND_COMMAND,
	OPT_UNPREPEND_COMMAND,
	OPT_HOLD_DOWN,
	OPT_TIMEOUT,
	OPT_RETRY,
	OPT_RETRY_MAX,
	OPT_LOG_LEVEL,
	OPT_SYSLOG,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "dbus", required_argument, NULL, OPT_DBUS },
	{ "mqtt", required_argument, NULL, OPT_MQTT },
	{ "mqtt-topic", required_argument, NULL, OPT_MQTT_TOPIC },
	{ "mqtt-username", required_argument, NULL, OPT_MQTT_USERNAME },
	{ "mqtt-password-file", required_argument, NULL, OPT_MQTT_PASSWORD_FILE },
	{ "mqtt-ca-file", required_argument, NULL, OPT_MQTT_CA_FILE },
	{ "mqtt-cert-file", required_argument, NULL, OPT_MQTT_CERT_FILE },
	{ "mqtt-key-file", required_argument, NULL, OPT_MQTT_KEY_FILE },
	{ "announce", required_argument, NULL, OPT_ANNOUNCE },
	{ "withdraw", required_argument, NULL, OPT_WITHDRAW },
	{ "shell", no_argument, NULL, OPT_SHELL },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "client", required_argument, NULL, OPT_CLIENT },
	{ "bird-socket", required_argument, NULL, OPT_BIRD_SOCKET },
	{ "bird-protocol", required_argument, NULL, OPT_BIRD_PROTOCOL },
	{ "next-hop", required_argument, NULL, OPT_NEXT_HOP },
	{ "prepend", required_argument, NULL, OPT_PREPEND },
	{ "prepend-as", required_argument, NULL, OPT_PREPEND_AS },
	{ "bird-prepend-protocol", required_argument, NULL, OPT_BIRD_PREPEND_PROTOCOL },
	{ "prepend-command", required_argument, NULL, OPT_PREPEND_COMMAND },
	{ "unprepend-command", required_argument, NULL, OPT_UNPREPEND_COMMAND },
	{ "hold-down", required_argument, NULL, OPT_HOLD_DOWN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "retry-max", required_argument, NULL, OPT_RETRY_MAX },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	MECDNS_CONFIG_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void print_help(void)
{
	printf("Usage: mecdns-announce [options]\n"
	       "\n"
	       "Announces the DNS service prefix through a BGP daemon while mecdns-syncd\n"
	       "reports \"serving\" on D-Bus, and withdraws it when serving stops, on\n"
	       "shutting_down, when syncd or the bus goes away, and on exit (SIGTERM).\n"
	       "\n"
	       "Options (the config file items have the same names):\n"
	       "  -c, --config FILE        config file (knot.conf syntax, section announce:)\n"
	       "      --dbus BUS           system, session or a D-Bus address (default system)\n"
	       "      --mqtt URL           follow syncd on this MQTT broker instead of D-Bus\n"
	       "                           (mqtt://HOST[:PORT], mqtts://HOST[:PORT])\n"
	       "      --mqtt-topic PREFIX  syncd's topic prefix (default mecdns/HOSTNAME)\n"
	       "      --mqtt-username NAME, --mqtt-password-file FILE, --mqtt-ca-file FILE,\n"
	       "      --mqtt-cert-file FILE, --mqtt-key-file FILE\n"
	       "      --profile NAME       bird, exabgp or gobgp: ready-made commands\n"
	       "      --prefix P           service prefix, e.g. 192.0.2.53/32 (exabgp, gobgp)\n"
	       "      --bird-socket PATH   birdc control socket (default %s)\n"
	       "      --bird-protocol NAME protocol enabled/disabled (default %s)\n"
	       "      --next-hop NH        ExaBGP next-hop (default %s)\n"
	       "      --client PATH        the profile's program (birdc, exabgpcli, gobgp)\n"
	       "      --announce CMD       announce command (replaces the profile's)\n"
	       "      --withdraw CMD       withdraw command (replaces the profile's)\n"
	       "      --prepend N          lengthen the AS path by N while the query rate\n"
	       "                           (or its increase) exceeds syncd's threshold\n"
	       "                           (default 0: off; bird: the count is in bird.conf)\n"
	       "      --prepend-as ASN     AS number prepended (exabgp, gobgp)\n"
	       "      --bird-prepend-protocol NAME  protocol enabled while prepending\n"
	       "                           (default: bird-protocol + \"_prepend\")\n"
	       "      --prepend-command CMD, --unprepend-command CMD\n"
	       "                           replace the profile's prepend / unprepend\n"
	       "      --shell              run the configured commands with /bin/sh -c\n"
	       "                           (default: split into words, no shell)\n"
	       "      --hold-down MS       serving must be true this long before an\n"
	       "                           announce; withdraws are immediate (default %d)\n"
	       "      --timeout MS         kill a command after this long (default %d)\n"
	       "      --retry MS           first retry after a failure or a lost bus,\n"
	       "                           doubling up to --retry-max (default %d)\n"
	       "      --retry-max MS       longest wait between retries (default %d)\n"
	       "      --log-level LEVEL    error, warning, notice, info (default), debug\n"
	       "      --syslog             log to syslog instead of stderr\n"
	       "  -h, --help               this help\n"
	       "  -V, --version            version\n",
	       ANNOUNCE_DEFAULT_BIRD_SOCKET, ANNOUNCE_DEFAULT_BIRD_PROTOCOL,
	       ANNOUNCE_DEFAULT_NEXT_HOP, ANNOUNCE_DEFAULT_HOLD_DOWN_MS,
	       ANNOUNCE_DEFAULT_TIMEOUT_MS, ANNOUNCE_DEFAULT_RETRY_MS,
	       ANNOUNCE_DEFAULT_RETRY_MAX_MS);
}

/*! \brief Applies one millisecond item; false + err when out of range. */
static bool apply_ms(const char *name, const char *value, const char *where, int *field, long min,
                     long max, char *err, size_t err_len)
{
	unsigned long long number = 0;
	if (!mecdns_config_apply_range(name, value, where, (unsigned long long)min,
	                               (unsigned long long)max, "milliseconds", &number, err,
	                               err_len)) {
		return false;
	}
	*field = (int)number;
	return true;
}

/*!
 * \brief Applies one option (from argv or the file) by its long name.
 * \param where  "option --x" or "FILE:LINE" for messages.
 */
static bool apply(void *ctx, const char *name, const char *value, const char *where, char *err,
                  size_t err_len)
{
	announce_config_t *config = ctx;
	const mecdns_config_string_t strings[] = {
		{ "dbus", &config->dbus },
		{ "mqtt", &config->mqtt },
		{ "mqtt-topic", &config->mqtt_topic },
		{ "mqtt-username", &config->mqtt_username },
		{ "mqtt-password-file", &config->mqtt_password_file },
		{ "mqtt-ca-file", &config->mqtt_ca_file },
		{ "mqtt-cert-file", &config->mqtt_cert_file },
		{ "mqtt-key-file", &config->mqtt_key_file },
		{ "announce", &config->announce },
		{ "withdraw", &config->withdraw },
		{ "prefix", &config->prefix },
		{ "client", &config->client },
		{ "bird-socket", &config->bird_socket },
		{ "bird-protocol", &config->bird_protocol },
		{ "next-hop", &config->next_hop },
		{ "prepend-as", &config->prepend_as },
		{ "bird-prepend-protocol", &config->bird_prepend_protocol },
		{ "prepend-command", &config->prepend_command },
		{ "unprepend-command", &config->unprepend_command },
	};
	int string =
	    mecdns_config_apply_string(MECDNS_ITEMS(strings), name, value, where, err, err_len);
	if (string != 0) {
		return string > 0;
	}

	if (strcmp(name, "shell") == 0 || strcmp(name, "syslog") == 0) {
		return mecdns_config_apply_bool(
		    name, value, where,
		    strcmp(name, "shell") == 0 ? &config->shell : &config->syslog, err, err_len);
	} else if (strcmp(name, "profile") == 0) {
		int profile = announce_profile_parse(value);
		if (profile < 0) {
			snprintf(err, err_len,
			         "%s: profile must be bird, exabgp or gobgp, not \"%s\"", where,
			         value);
			return false;
		}
		config->profile = (announce_profile_t)profile;
	} else if (strcmp(name, "log-level") == 0) {
		return mecdns_config_apply_log_level(value, where, &config->log_level, err,
		                                     err_len);
	} else if (strcmp(name, "prepend") == 0) {
		unsigned long long number = 0;
		if (!mecdns_config_apply_range(name, value, where, 0, ANNOUNCE_MAX_PREPEND, NULL,
		                               &number, err, err_len)) {
			return false;
		}
		config->prepend = (int)number;
	} else if (strcmp(name, "hold-down") == 0) {
		return apply_ms(name, value, where, &config->hold_down_ms, 0, 86400000, err,
		                err_len);
	} else if (strcmp(name, "timeout") == 0) {
		return apply_ms(name, value, where, &config->timeout_ms, 1, 3600000, err, err_len);
	} else if (strcmp(name, "retry") == 0) {
		return apply_ms(name, value, where, &config->retry_ms, 10, 3600000, err, err_len);
	} else if (strcmp(name, "retry-max") == 0) {
		return apply_ms(name, value, where, &config->retry_max_ms, 10, 3600000, err,
		                err_len);
	} else {
		snprintf(err, err_len, "%s: unknown item \"%s\"", where, name);
		return false;
	}
	return true;
}

/*! \brief Reads a config file into config (over what it holds). */
static bool read_file(announce_config_t *config, const char *path, char *err, size_t err_len)
{
	return mecdns_config_read_file(path, "announce", apply, config, err, err_len);
}

/*! \brief The argv of a configured command: split, or /bin/sh -c. */
static char **command_argv(const announce_config_t *config, const char *name, const char *command,
                           char *err, size_t err_len)
{
	if (config->shell) {
		char **argv = announce_argv_shell(command);
		if (argv == NULL) {
			snprintf(err, err_len, "out of memory");
		}
		return argv;
	}
	char why[256];
	char **argv = announce_argv_split(command, why, sizeof(why));
	if (argv == NULL) {
		snprintf(err, err_len, "%s command \"%s\": %s", name, command, why);
	}
	return argv;
}

/*! \brief One action's argv: the configured command, else the profile's. */
static char **action_argv(const announce_config_t *config, announce_action_t action, char *err,
                          size_t err_len)
{
	const char *const commands[ANNOUNCE_ACTION_COUNT] = {
		[ANNOUNCE_ACTION_ANNOUNCE] = config->announce,
		[ANNOUNCE_ACTION_WITHDRAW] = config->withdraw,
		[ANNOUNCE_ACTION_PREPEND] = config->prepend_command,
		[ANNOUNCE_ACTION_UNPREPEND] = config->unprepend_command,
	};
	const char *name = announce_action_name(action);
	if (commands[action] != NULL) {
		return command_argv(config, name, commands[action], err, err_len);
	}
	if (config->profile == ANNOUNCE_PROFILE_NONE) {
		snprintf(err, err_len,
		         "no %s action: give --profile bird|exabgp|gobgp, or the commands "
		         "(--announce and --withdraw%s)",
		         name,
		         config->prepend > 0 ? ", with --prepend also --prepend-command and "
		                               "--unprepend-command"
		                             : "");
		return NULL;
	}
	announce_profile_params_t params = {
		.profile = config->profile,
		.prefix = config->prefix,
		.client = config->client,
		.bird_socket = config->bird_socket,
		.bird_protocol = config->bird_protocol,
		.next_hop = config->next_hop,
		.prepend = (unsigned)config->prepend,
		.prepend_as = config->prepend_as,
		.bird_prepend_protocol = config->bird_prepend_protocol,
	};
	char why[256];
	char **argv = announce_profile_action_argv(&params, action, why, sizeof(why));
	if (argv == NULL) {
		snprintf(err, err_len, "profile %s: %s", announce_profile_name(config->profile),
		         why);
	}
	return argv;
}

/*! \brief Where the argv of an action is kept. */
static char ***resolved_argv(announce_config_t *config, announce_action_t action)
{
	switch (action) {
	case ANNOUNCE_ACTION_ANNOUNCE:
		return &config->announce_argv;
	case ANNOUNCE_ACTION_PREPEND:
		return &config->prepend_argv;
	case ANNOUNCE_ACTION_UNPREPEND:
		return &config->unprepend_argv;
	default:
		return &config->withdraw_argv;
	}
}

bool announce_config_check(announce_config_t *config, char *err, size_t err_len)
{
	if (config->prefix != NULL && !announce_prefix_check(config->prefix, NULL, err, err_len)) {
		return false;
	}
	if (config->retry_max_ms < config->retry_ms) {
		snprintf(err, err_len, "retry-max (%d ms) must not be below retry (%d ms)",
		         config->retry_max_ms, config->retry_ms);
		return false;
	}
	for (size_t i = 0; i < ANNOUNCE_ACTION_COUNT; i++) {
		char ***slot = resolved_argv(config, (announce_action_t)i);
		announce_argv_free(*slot);
		*slot = NULL;
	}
	if (config->prepend == 0 &&
	    (config->prepend_command != NULL || config->unprepend_command != NULL)) {
		snprintf(err, err_len, "prepend-command and unprepend-command need prepend: N");
		return false;
	}
	for (size_t i = 0; i < ANNOUNCE_ACTION_COUNT; i++) {
		if (config->prepend == 0 &&
		    (i == ANNOUNCE_ACTION_PREPEND || i == ANNOUNCE_ACTION_UNPREPEND)) {
			continue;
		}
		char ***slot = resolved_argv(config, (announce_action_t)i);
		*slot = action_argv(config, (announce_action_t)i, err, err_len);
		if (*slot == NULL) {
			return false;
		}
	}
	return true;
}

/*! \brief Sets the built-in defaults. */
static bool set_defaults(announce_config_t *config)
{
	memset(config, 0, sizeof(*config));
	config->hold_down_ms = ANNOUNCE_DEFAULT_HOLD_DOWN_MS;
	config->timeout_ms = ANNOUNCE_DEFAULT_TIMEOUT_MS;
	config->retry_ms = ANNOUNCE_DEFAULT_RETRY_MS;
	config->retry_max_ms = ANNOUNCE_DEFAULT_RETRY_MAX_MS;
	config->log_level = LOG_INFO;
	return mecdns_config_set_string(&config->dbus, "system");
}

announce_config_result_t announce_config_load(announce_config_t *config, int argc, char *argv[],
                                              char *err, size_t err_len)
{
	if (!set_defaults(config)) {
		snprintf(err, err_len, "out of memory");
		return ANNOUNCE_CONFIG_ERROR;
	}
	const char *short_options = "c:hV";

	/* Pass 1: --help, --version, -c and option syntax. */
	switch (mecdns_config_first_pass(argc, argv, short_options, long_options,
	                                 &config->config_file, err, err_len)) {
	case MECDNS_CONFIG_PASS_HELP:
		print_help();
		return ANNOUNCE_CONFIG_EXIT;
	case MECDNS_CONFIG_PASS_VERSION:
		printf("mecdns-announce %s\n", PACKAGE_VERSION);
		return ANNOUNCE_CONFIG_EXIT;
	case MECDNS_CONFIG_PASS_ERROR:
		return ANNOUNCE_CONFIG_ERROR;
	default:
		break;
	}

	if (config->config_file != NULL && !read_file(config, config->config_file, err, err_len)) {
		return ANNOUNCE_CONFIG_ERROR;
	}

	/* Pass 2: options override the file. */
	if (!mecdns_config_apply_options(argc, argv, short_options, long_options, apply, config,
	                                 err, err_len)) {
		return ANNOUNCE_CONFIG_ERROR;
	}

	return announce_config_check(config, err, err_len) ? ANNOUNCE_CONFIG_RUN
	                                                   : ANNOUNCE_CONFIG_ERROR;
}

void announce_config_free(announce_config_t *config)
{
	free(config->config_file);
	free(config->dbus);
	free(config->mqtt);
	free(config->mqtt_topic);
	free(config->mqtt_username);
	free(config->mqtt_password_file);
	free(config->mqtt_ca_file);
	free(config->mqtt_cert_file);
	free(config->mqtt_key_file);
	free(config->announce);
	free(config->withdraw);
	free(config->prefix);
	free(config->client);
	free(config->bird_socket);
	free(config->bird_protocol);
	free(config->next_hop);
	free(config->prepend_as);
	free(config->bird_prepend_protocol);
	free(config->prepend_command);
	free(config->unprepend_command);
	announce_argv_free(config->announce_argv);
	announce_argv_free(config->withdraw_argv);
	announce_argv_free(config->prepend_argv);
	announce_argv_free(config->unprepend_argv);
	memset(config, 0, sizeof(*config));
}
