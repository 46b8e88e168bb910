/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce actions: runs the announce, withdraw, prepend and
 *  unprepend commands until the prefix is in the state asked for.
 *
 *  The command follows from the state applied and the state asked for:
 *  withdrawn: withdraw (from any state, one command); announced: announce
 *  from withdrawn, unprepend from prepended; prepended: prepend from
 *  announced, announce first from withdrawn. From an unknown state (after
 *  a failed command) with prepend configured, the withdraw runs first, so
 *  that each command starts from a known state.
 *
 *  One command at a time, each a child process in its own process group
 *  (argv via execvp, no shell unless the argv is "/bin/sh -c ..."), stdin
 *  from /dev/null, stdout and stderr captured and logged in one line. A
 *  command that runs longer than timeout_ms is killed (SIGKILL to its
 *  process group) and counts as failed. A failed command (non-zero exit,
 *  killed, not startable) leaves the prefix in an unknown state and is
 *  retried after retry_ms, doubling each time up to retry_max_ms; a change
 *  of the state asked for retries at once.
 *
 *  While a command runs, a new request waits for it to end (at most
 *  timeout_ms). The caller owns the event loop: it polls output_fd(),
 *  calls child_exited() on SIGCHLD and step() whenever anything changed or
 *  next_wake() has come.
 */

#pragma once

#include <stdbool.h>

typedef enum {
	ANNOUNCE_UNKNOWN = 0, /*!< Not known (at start, after a failed command). */
	ANNOUNCE_ANNOUNCED,
	ANNOUNCE_WITHDRAWN,
	ANNOUNCE_PREPENDED, /*!< Announced with the AS path lengthened. */
} announce_applied_t;

typedef struct {
	char *const *announce_argv;
	char *const *withdraw_argv;
	char *const *prepend_argv;   /*!< NULL: no prepend (prepended means announced). */
	char *const *unprepend_argv; /*!< With prepend_argv. */
	int timeout_ms;
	int retry_ms;
	int retry_max_ms;
	const char *prefix; /*!< For log lines only (may be NULL). */
} announce_actions_config_t;

typedef struct announce_actions announce_actions_t;

/*! \brief NULL on ENOMEM. The argvs are borrowed (must outlive it). */
announce_actions_t *announce_actions_new(const announce_actions_config_t *config);

/*! \brief Kills a command still running (and reaps it), frees. */
void announce_actions_free(announce_actions_t *actions);

/*! \brief Drives towards wanted (announced, withdrawn or prepended): kills
 *         a command past its timeout, starts the next one when due. */
void announce_actions_step(announce_actions_t *actions, announce_applied_t wanted,
                           long long now_ms);

/*! \brief Reaps the command if it exited (call on SIGCHLD). */
void announce_actions_child_exited(announce_actions_t *actions, long long now_ms);

/*! \brief The pipe of the running command's output, or -1. */
int announce_actions_output_fd(const announce_actions_t *actions);

/*! \brief Reads what the command wrote (call when output_fd is readable). */
void announce_actions_read_output(announce_actions_t *actions);

/*! \brief When step() must be called next (timeout, retry), or -1. */
long long announce_actions_next_wake(const announce_actions_t *actions);

bool announce_actions_running(const announce_actions_t *actions);

announce_applied_t announce_actions_applied(const announce_actions_t *actions);
