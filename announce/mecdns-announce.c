/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce: announces the DNS service prefix through a BGP daemon
 *  exactly while mecdns-syncd reports "serving" on D-Bus.
 *
 *  Three parts, glued by the event loop below:
 *    listener.c   D-Bus: serving / shutting_down / query_rate* signals,
 *                 NameOwnerChanged, GetState, reconnects
 *                                       → inputs "serving" and "busy" (bool)
 *    hold_down.c  inputs over time      → withdrawn, announced or prepended
 *    actions.c    wanted state          → announce / withdraw / prepend /
 *                                         unprepend commands, timeouts,
 *                                         retries
 *
 *  At start the prefix state is unknown: the withdraw command runs at once,
 *  and the announce follows when syncd reports serving (and the hold-down
 *  has passed). SIGTERM / SIGINT: withdraw (unless already withdrawn), then
 *  exit 0; exit 1 if the withdraw did not succeed within 2 * timeout +
 *  retry. A second SIGTERM / SIGINT exits at once (status 1). SIGHUP is
 *  logged and otherwise ignored (the configuration is read at start).
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "announce/actions.h"
#include "announce/config.h"
#include "announce/hold_down.h"
#include "announce/listener.h"
#include "announce/mqtt_listener.h"
#include "common/log.h"

/*! Longest sleep of the event loop (a safety net; everything has a wake time). */
#define MAX_SLEEP_MS 5000

typedef struct {
	const announce_config_t *config;
	announce_hold_down_t hold;
	announce_actions_t *actions;
	announce_listener_t *listener;           /*!< On D-Bus, or NULL. */
	announce_mqtt_listener_t *mqtt_listener; /*!< On MQTT (--mqtt), or NULL. */
	long long now_ms;
	bool stopping;
	long long stop_deadline_ms;
} announcer_t;

/*! \brief The listener's input into the hold-down, logged when it changes. */
static void on_serving(bool serving, const char *why, void *ctx)
{
	announcer_t *announcer = ctx;
	if (!announce_hold_down_input(&announcer->hold, serving, announcer->now_ms)) {
		return;
	}
	if (serving) {
		log_notice("serving (%s): announcing after a hold-down of %d ms", why,
		           announcer->hold.hold_down_ms);
	} else {
		log_notice("not serving (%s): withdrawing", why);
	}
}

/*! \brief The busy input (query rate exceeded) into the hold-down. */
static void on_busy(bool busy, const char *why, void *ctx)
{
	announcer_t *announcer = ctx;
	if (!announce_hold_down_busy(&announcer->hold, busy, announcer->now_ms) ||
	    announcer->config->prepend == 0) {
		return;
	}
	if (busy) {
		log_notice("query rate exceeded (%s): lengthening the AS path", why);
	} else {
		log_notice(
		    "query rate back (%s): shortening the AS path after a hold-down of %d ms", why,
		    announcer->hold.hold_down_ms);
	}
}

/*! \brief Earliest of two wake times (-1: none). */
static long long earliest(long long a, long long b)
{
	if (a < 0) {
		return b;
	}
	if (b < 0) {
		return a;
	}
	return a < b ? a : b;
}

/*! \brief Handles what arrived on the signalfd; false on a second stop
 *         request (exit at once). */
static bool handle_signals(announcer_t *announcer, int signal_fd)
{
	struct signalfd_siginfo info;
	while (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
		int sig = (int)info.ssi_signo;
		if (sig == SIGCHLD) {
			announce_actions_child_exited(announcer->actions, announcer->now_ms);
			continue;
		}
		if (sig == SIGHUP) {
			log_notice(
			    "SIGHUP: nothing to reload; restart to apply a changed configuration");
			continue;
		}
		const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
		if (announcer->stopping) {
			log_warning("%s again: exiting without waiting for the withdraw", name);
			return false;
		}
		const announce_config_t *config = announcer->config;
		announcer->stopping = true;
		announcer->stop_deadline_ms =
		    announcer->now_ms + 2LL * config->timeout_ms + config->retry_ms;
		announce_hold_down_stop(&announcer->hold);
		log_notice("%s received: withdrawing, then exiting", name);
	}
	return true;
}

/*! \brief The event loop; returns the exit status. */
static int run(announcer_t *announcer, int signal_fd)
{
	for (;;) {
		long long now = mecdns_monotonic_ms();
		announcer->now_ms = now;
		if (!announcer->stopping && announcer->listener != NULL) {
			announce_listener_process(announcer->listener, now);
		} else if (!announcer->stopping) {
			announce_mqtt_listener_process(announcer->mqtt_listener, now);
		}
		long long hold_wake = -1, prepend_wake = -1;
		bool announce = announce_hold_down_desired(&announcer->hold, now, &hold_wake);
		bool prepend = announcer->config->prepend > 0 &&
		               announce_hold_down_prepend(&announcer->hold, now, &prepend_wake);
		announce_actions_step(announcer->actions,
		                      !announce ? ANNOUNCE_WITHDRAWN
		                      : prepend ? ANNOUNCE_PREPENDED
		                                : ANNOUNCE_ANNOUNCED,
		                      now);
		hold_wake = earliest(hold_wake, announce ? prepend_wake : -1);

		if (announcer->stopping && !announce_actions_running(announcer->actions)) {
			if (announce_actions_applied(announcer->actions) == ANNOUNCE_WITHDRAWN) {
				log_notice("withdrawn; exiting");
				return EXIT_SUCCESS;
			}
			if (now >= announcer->stop_deadline_ms) {
				log_error("the withdraw did not succeed before the stop deadline; "
				          "exiting");
				return EXIT_FAILURE;
			}
		}

		long long wake =
		    earliest(hold_wake, announce_actions_next_wake(announcer->actions));
		if (announcer->stopping) {
			wake = earliest(wake, announcer->stop_deadline_ms);
		} else {
			wake = earliest(
			    wake, announcer->listener != NULL
			              ? announce_listener_next_wake(announcer->listener)
			              : announce_mqtt_listener_next_wake(announcer->mqtt_listener));
		}
		long long sleep_ms = wake < 0 ? MAX_SLEEP_MS : wake - now;
		sleep_ms = sleep_ms < 0 ? 0 : sleep_ms > MAX_SLEEP_MS ? MAX_SLEEP_MS : sleep_ms;

		struct pollfd fds[3] = {
			{ .fd = signal_fd, .events = POLLIN },
			{ .fd = announce_actions_output_fd(announcer->actions), .events = POLLIN },
			{ .fd = announcer->stopping ? -1
			        : announcer->listener != NULL
			            ? announce_listener_fd(announcer->listener)
			            : announce_mqtt_listener_fd(announcer->mqtt_listener),
			  .events = POLLIN },
		};
		if (poll(fds, 3, (int)sleep_ms) < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return EXIT_FAILURE;
		}
		announcer->now_ms = mecdns_monotonic_ms();
		if (fds[1].revents != 0) {
			announce_actions_read_output(announcer->actions);
		}
		if (fds[0].revents != 0 && !handle_signals(announcer, signal_fd)) {
			return EXIT_FAILURE;
		}
	}
}

/*! \brief Blocks the signals the loop takes through a signalfd; -1 on error. */
static int open_signal_fd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
		return -1;
	}
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int main(int argc, char *argv[])
{
	announce_config_t config;
	char err[1024];
	switch (announce_config_load(&config, argc, argv, err, sizeof(err))) {
	case ANNOUNCE_CONFIG_EXIT:
		announce_config_free(&config);
		return EXIT_SUCCESS;
	case ANNOUNCE_CONFIG_ERROR:
		fprintf(stderr, "mecdns-announce: error: %s\n", err);
		announce_config_free(&config);
		return EXIT_FAILURE;
	case ANNOUNCE_CONFIG_RUN:
		break;
	}
	mecdns_log_init("mecdns-announce", config.log_level, config.syslog);
	signal(SIGPIPE, SIG_IGN);

	int exit_code = EXIT_FAILURE;
	announcer_t announcer = { .config = &config };
	announce_hold_down_init(&announcer.hold, config.hold_down_ms);
	int signal_fd = open_signal_fd();
	if (signal_fd < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		goto out;
	}
	announce_actions_config_t actions_config = {
		.announce_argv = config.announce_argv,
		.withdraw_argv = config.withdraw_argv,
		.prepend_argv = config.prepend_argv,
		.unprepend_argv = config.unprepend_argv,
		.timeout_ms = config.timeout_ms,
		.retry_ms = config.retry_ms,
		.retry_max_ms = config.retry_max_ms,
		.prefix = config.prefix,
	};
	if (config.mqtt != NULL) {
		mecdns_mqtt_settings_t mqtt = {
			.url = config.mqtt,
			.username = config.mqtt_username,
			.password_file = config.mqtt_password_file,
			.ca_file = config.mqtt_ca_file,
			.cert_file = config.mqtt_cert_file,
			.key_file = config.mqtt_key_file,
		};
		char host[256] = "localhost", prefix[300];
		gethostname(host, sizeof(host) - 1);
		snprintf(prefix, sizeof(prefix), "mecdns/%s", host);
		announcer.mqtt_listener = announce_mqtt_listener_new(
		    &mqtt, config.mqtt_topic != NULL ? config.mqtt_topic : prefix, config.retry_ms,
		    on_serving, on_busy, &announcer, err, sizeof(err));
		if (announcer.mqtt_listener == NULL) {
			log_error("%s", err);
			goto out;
		}
	} else {
		announcer.listener = announce_listener_new(config.dbus, config.retry_ms, on_serving,
		                                           &announcer, err, sizeof(err));
		if (announcer.listener == NULL) {
			log_error("%s", err);
			goto out;
		}
		announce_listener_on_busy(announcer.listener, on_busy);
	}
	announcer.actions = announce_actions_new(&actions_config);
	if (announcer.actions == NULL) {
		log_error("out of memory");
		goto out;
	}
	log_notice("started: %s %s, %s%s, hold-down %d ms, timeout %d ms; withdrawn until "
	           "mecdns-syncd reports serving",
	           config.mqtt != NULL ? "broker" : "bus",
	           config.mqtt != NULL ? config.mqtt : config.dbus,
	           config.announce != NULL || config.withdraw != NULL
	               ? "configured commands"
	               : announce_profile_name(config.profile),
	           config.shell ? " (shell)" : "", config.hold_down_ms, config.timeout_ms);
	exit_code = run(&announcer, signal_fd);
out:
	announce_listener_free(announcer.listener);
	announce_mqtt_listener_free(announcer.mqtt_listener);
	announce_actions_free(announcer.actions);
	if (signal_fd >= 0) {
		close(signal_fd);
	}
	announce_config_free(&config);
	return exit_code;
}
