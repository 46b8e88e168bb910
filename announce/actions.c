/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce actions (see actions.h). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "announce/actions.h"
#include "common/log.h"
#include "announce/profile.h"

/*! Output kept of one command (the rest is dropped). */
#define OUTPUT_MAX 1024

struct announce_actions {
	announce_actions_config_t config;
	announce_applied_t applied;
	announce_applied_t wanted; /*!< As the last step() asked. */

	/* The running command (pid 0: none). */
	pid_t pid;
	announce_action_t running; /*!< What it does. */
	int output_fd;             /*!< -1 when closed. */
	char output[OUTPUT_MAX];
	size_t output_len;
	long long started_ms;
	long long deadline_ms;
	bool killed; /*!< Killed for its timeout. */

	/* Retries. */
	unsigned failures;             /*!< Failed commands since the last success. */
	announce_applied_t failed_for; /*!< The state the failing commands were for. */
	long long next_attempt_ms;     /*!< No command before this time. */
	int backoff_ms;                /*!< Wait after the next failure. */
};

announce_actions_t *announce_actions_new(const announce_actions_config_t *config)
{
	announce_actions_t *actions = calloc(1, sizeof(*actions));
	if (actions == NULL) {
		return NULL;
	}
	actions->config = *config;
	actions->output_fd = -1;
	actions->backoff_ms = config->retry_ms;
	return actions;
}

/*! \brief "announce 192.0.2.53/32" or "withdraw" for log lines. */
static const char *what(const announce_actions_t *actions, announce_action_t action, char *buf,
                        size_t len)
{
	snprintf(buf, len, "%s%s%s", announce_action_name(action),
	         actions->config.prefix != NULL ? " " : "",
	         actions->config.prefix != NULL ? actions->config.prefix : "");
	return buf;
}

/*! \brief The child: own process group, default signals, output into the
 *         pipe, then exec; never returns. */
static void child_exec(char *const argv[], int out_fd)
{
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int null_fd = open("/dev/null", O_RDONLY);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
	}
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*! \brief The argv of an action. */
static char *const *action_argv(const announce_actions_t *actions, announce_action_t action)
{
	switch (action) {
	case ANNOUNCE_ACTION_ANNOUNCE:
		return actions->config.announce_argv;
	case ANNOUNCE_ACTION_PREPEND:
		return actions->config.prepend_argv;
	case ANNOUNCE_ACTION_UNPREPEND:
		return actions->config.unprepend_argv;
	default:
		return actions->config.withdraw_argv;
	}
}

/*! \brief The state an action leaves when it succeeds. */
static announce_applied_t action_result(announce_action_t action)
{
	switch (action) {
	case ANNOUNCE_ACTION_ANNOUNCE:
	case ANNOUNCE_ACTION_UNPREPEND:
		return ANNOUNCE_ANNOUNCED;
	case ANNOUNCE_ACTION_PREPEND:
		return ANNOUNCE_PREPENDED;
	default:
		return ANNOUNCE_WITHDRAWN;
	}
}

/*! \brief The next action from the applied state towards wanted (see
 *         actions.h). */
static announce_action_t next_action(const announce_actions_t *actions, announce_applied_t wanted)
{
	announce_applied_t applied = actions->applied;
	bool prepend = actions->config.prepend_argv != NULL;
	if (wanted == ANNOUNCE_WITHDRAWN || (prepend && applied == ANNOUNCE_UNKNOWN)) {
		return ANNOUNCE_ACTION_WITHDRAW;
	}
	if (wanted == ANNOUNCE_ANNOUNCED) {
		return applied == ANNOUNCE_PREPENDED ? ANNOUNCE_ACTION_UNPREPEND
		                                     : ANNOUNCE_ACTION_ANNOUNCE;
	}
	return applied == ANNOUNCE_ANNOUNCED ? ANNOUNCE_ACTION_PREPEND : ANNOUNCE_ACTION_ANNOUNCE;
}

/*! \brief Starts the command of an action; false if it could not even be
 *         started (counts as a failure). */
static bool start_command(announce_actions_t *actions, announce_action_t action, long long now_ms)
{
	char *const *argv = action_argv(actions, action);
	char label[128];
	char *line = announce_argv_join(argv);
	log_info("%s: running %s", what(actions, action, label, sizeof(label)),
	         line != NULL ? line : argv[0]);
	free(line);

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		log_error("%s: cannot create a pipe: %s", label, strerror(errno));
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_error("%s: cannot fork: %s", label, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		child_exec(argv, fds[1]);
	}
	/* Also here, so that a kill of the group cannot come before the
	 * child's own setpgid(). */
	setpgid(pid, pid);
	close(fds[1]);
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);

	actions->pid = pid;
	actions->running = action;
	actions->output_fd = fds[0];
	actions->output_len = 0;
	actions->started_ms = now_ms;
	actions->deadline_ms = now_ms + actions->config.timeout_ms;
	actions->killed = false;
	return true;
}

/*! \brief Records a failed command: unknown state, next try after the
 *         backoff, which doubles up to retry_max_ms. */
static void command_failed(announce_actions_t *actions, announce_action_t action, long long now_ms)
{
	actions->applied = ANNOUNCE_UNKNOWN;
	actions->failures++;
	actions->failed_for = actions->wanted;
	actions->next_attempt_ms = now_ms + actions->backoff_ms;
	char label[128];
	log_warning("%s failed (%u in a row); retrying in %d ms",
	            what(actions, action, label, sizeof(label)), actions->failures,
	            actions->backoff_ms);
	int next = actions->backoff_ms * 2;
	actions->backoff_ms =
	    next > actions->config.retry_max_ms ? actions->config.retry_max_ms : next;
}

void announce_actions_step(announce_actions_t *actions, announce_applied_t wanted, long long now_ms)
{
	if (wanted == ANNOUNCE_PREPENDED && actions->config.prepend_argv == NULL) {
		wanted = ANNOUNCE_ANNOUNCED;
	}
	actions->wanted = wanted;
	if (actions->pid != 0) {
		if (!actions->killed && now_ms >= actions->deadline_ms) {
			char label[128];
			log_warning("%s: command still runs after %d ms, killing it",
			            what(actions, actions->running, label, sizeof(label)),
			            actions->config.timeout_ms);
			kill(-actions->pid, SIGKILL);
			actions->killed = true;
		}
		return;
	}
	if (actions->applied == wanted) {
		return;
	}
	/* A new request does not wait for the backoff of another one. */
	if (actions->failures > 0 && actions->failed_for != wanted) {
		actions->failures = 0;
		actions->backoff_ms = actions->config.retry_ms;
		actions->next_attempt_ms = now_ms;
	}
	if (now_ms < actions->next_attempt_ms) {
		return;
	}
	announce_action_t action = next_action(actions, wanted);
	if (!start_command(actions, action, now_ms)) {
		command_failed(actions, action, now_ms);
	}
}

void announce_actions_read_output(announce_actions_t *actions)
{
	char buf[512];
	while (actions->output_fd >= 0) {
		ssize_t got = read(actions->output_fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got <= 0) {
			if (got == 0 || errno != EAGAIN) {
				close(actions->output_fd);
				actions->output_fd = -1;
			}
			return;
		}
		size_t room = sizeof(actions->output) - 1 - actions->output_len;
		size_t take = (size_t)got < room ? (size_t)got : room;
		memcpy(actions->output + actions->output_len, buf, take);
		actions->output_len += take;
	}
}

/*! \brief The captured output as one line: newlines become ';', blanks
 *         at both ends go. */
static const char *output_line(announce_actions_t *actions)
{
	char *text = actions->output;
	text[actions->output_len] = '\0';
	while (actions->output_len > 0 &&
	       strchr(" \t\r\n", text[actions->output_len - 1]) != NULL) {
		text[--actions->output_len] = '\0';
	}
	for (char *c = text; *c != '\0'; c++) {
		if (*c == '\n' || *c == '\r') {
			*c = ';';
		}
	}
	return text;
}

void announce_actions_child_exited(announce_actions_t *actions, long long now_ms)
{
	if (actions->pid == 0) {
		return;
	}
	int status = 0;
	pid_t pid = waitpid(actions->pid, &status, WNOHANG);
	if (pid == 0 || (pid < 0 && errno == EINTR)) {
		return;
	}
	announce_action_t action = actions->running;
	actions->pid = 0;
	/* What is still in the pipe; a grandchild holding it open does not
	 * keep us waiting. */
	announce_actions_read_output(actions);
	if (actions->output_fd >= 0) {
		close(actions->output_fd);
		actions->output_fd = -1;
	}
	const char *output = output_line(actions);
	char label[128];
	what(actions, action, label, sizeof(label));
	long long took = now_ms - actions->started_ms;

	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !actions->killed) {
		log_notice("%s: done in %lld ms%s%s", label, took, *output != '\0' ? ": " : "",
		           output);
		actions->applied = action_result(action);
		actions->failures = 0;
		actions->backoff_ms = actions->config.retry_ms;
		actions->next_attempt_ms = 0;
		return;
	}
	if (actions->killed) {
		log_warning("%s: killed after %d ms%s%s", label, actions->config.timeout_ms,
		            *output != '\0' ? ": " : "", output);
	} else if (pid > 0 && WIFEXITED(status)) {
		log_warning("%s: command exited with %d%s%s", label, WEXITSTATUS(status),
		            *output != '\0' ? ": " : "", output);
	} else if (pid > 0 && WIFSIGNALED(status)) {
		log_warning("%s: command died of signal %d%s%s", label, WTERMSIG(status),
		            *output != '\0' ? ": " : "", output);
	} else {
		log_warning("%s: cannot wait for the command: %s", label, strerror(errno));
	}
	command_failed(actions, action, now_ms);
}

int announce_actions_output_fd(const announce_actions_t *actions)
{
	return actions->output_fd;
}

long long announce_actions_next_wake(const announce_actions_t *actions)
{
	if (actions->pid != 0) {
		return actions->killed ? -1 : actions->deadline_ms;
	}
	return actions->failures > 0 ? actions->next_attempt_ms : -1;
}

bool announce_actions_running(const announce_actions_t *actions)
{
	return actions->pid != 0;
}

announce_applied_t announce_actions_applied(const announce_actions_t *actions)
{
	return actions->applied;
}

void announce_actions_free(announce_actions_t *actions)
{
	if (actions == NULL) {
		return;
	}
	if (actions->pid != 0) {
		kill(-actions->pid, SIGKILL);
		waitpid(actions->pid, NULL, 0);
	}
	if (actions->output_fd >= 0) {
		close(actions->output_fd);
	}
	free(actions);
}
