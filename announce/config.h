/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce configuration: one struct, filled in one place.
 *
 *  Sources, later ones winning: built-in defaults, the config file (-c FILE,
 *  knot.conf's YAML dialect read with libknot's yparser, one section
 *  "announce:" whose items are named like the long options), then the
 *  command-line options.
 *
 *      announce:
 *          dbus: system
 *          profile: bird
 *          bird-socket: /run/bird/bird.ctl
 *          bird-protocol: mecdns
 *          prefix: 192.0.2.53/32
 *          hold-down: 5000
 *
 *  The result holds the argvs to run (announce_argv, withdraw_argv, and
 *  with prepend > 0 prepend_argv and unprepend_argv): the profile's, with
 *  --announce / --withdraw / --prepend-command / --unprepend-command
 *  replacing any of them.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "announce/profile.h"

#define ANNOUNCE_DEFAULT_HOLD_DOWN_MS 5000
#define ANNOUNCE_DEFAULT_TIMEOUT_MS   10000
#define ANNOUNCE_DEFAULT_RETRY_MS     1000
#define ANNOUNCE_DEFAULT_RETRY_MAX_MS 30000

typedef struct {
	char *config_file; /*!< -c, or NULL. */
	char *dbus;        /*!< system, session or an address. */
	char *mqtt;        /*!< A broker URL: listen there instead of on D-Bus. */
	char *mqtt_topic;  /*!< syncd's topic prefix (NULL: mecdns/HOSTNAME). */
	char *mqtt_username;
	char *mqtt_password_file;
	char *mqtt_ca_file;
	char *mqtt_cert_file;
	char *mqtt_key_file;
	char *announce; /*!< Configured announce command, or NULL. */
	char *withdraw; /*!< Configured withdraw command, or NULL. */
	bool shell;     /*!< Run announce/withdraw with /bin/sh -c. */
	announce_profile_t profile;
	char *prefix;
	char *client; /*!< Profile program instead of the default. */
	char *bird_socket;
	char *bird_protocol;
	char *next_hop;
	int prepend;                 /*!< AS-path prepends while busy; 0: off. */
	char *prepend_as;            /*!< AS number prepended (exabgp, gobgp). */
	char *bird_prepend_protocol; /*!< NULL: bird-protocol "_prepend". */
	char *prepend_command;       /*!< Configured prepend command, or NULL. */
	char *unprepend_command;     /*!< Configured unprepend command, or NULL. */
	int hold_down_ms;
	int timeout_ms;
	int retry_ms;
	int retry_max_ms;
	int log_level; /*!< syslog priority. */
	bool syslog;

	char **announce_argv; /*!< What runs (resolved by the check). */
	char **withdraw_argv;
	char **prepend_argv; /*!< NULL without prepend. */
	char **unprepend_argv;
} announce_config_t;

typedef enum {
	ANNOUNCE_CONFIG_RUN = 0, /*!< Configuration complete: start. */
	ANNOUNCE_CONFIG_EXIT,    /*!< --help or --version was printed: exit 0. */
	ANNOUNCE_CONFIG_ERROR,   /*!< err holds one line: exit non-zero. */
} announce_config_result_t;

/*! \brief Fills config from defaults, the file and argv, then checks it
 *         and resolves the argvs (announce_config_check()). */
announce_config_result_t announce_config_load(announce_config_t *config, int argc, char *argv[],
                                              char *err, size_t err_len);

/*! \brief Checks the combination and builds announce_argv/withdraw_argv. */
bool announce_config_check(announce_config_t *config, char *err, size_t err_len);

void announce_config_free(announce_config_t *config);
