/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns daemons' logging (see log.h). */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

static const char *log_program = "mecdns";
static int log_level = LOG_INFO;
static bool log_syslog = false;

void mecdns_log_init(const char *program, int level, bool use_syslog)
{
	if (program != NULL) {
		log_program = program;
	}
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog) {
		openlog(log_program, LOG_PID, LOG_DAEMON);
	}
}

int mecdns_log_level_parse(const char *text)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	for (size_t i = 0; text != NULL && i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(text, levels[i].name) == 0) {
			return levels[i].level;
		}
	}
	return -1;
}

bool mecdns_log_enabled(int level)
{
	return level <= log_level;
}

void mecdns_log(int level, const char *fmt, ...)
{
	if (!mecdns_log_enabled(level)) {
		return;
	}
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	if (log_syslog) {
		syslog(level, "%s", line);
		return;
	}
	static const char *const names[] = { "emergency", "alert",  "critical", "error",
		                             "warning",   "notice", "info",     "debug" };
	const char *name = level >= 0 && level <= LOG_DEBUG ? names[level] : "log";
	/* One fprintf per line, so lines of threads do not interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_program, name, line);
}

void mecdns_log_once(mecdns_log_once_t *once, const char *fmt, ...)
{
	char msg[sizeof(once->last)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, once->last) == 0) {
		return;
	}
	memcpy(once->last, msg, sizeof(msg));
	mecdns_log(LOG_WARNING, "%s", msg);
}
