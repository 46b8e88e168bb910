/*  mecdns-announce logging (see log.h). */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "announce/log.h"

static int log_level = LOG_INFO;
static bool log_syslog = false;

void announce_log_init(int level, bool use_syslog)
{
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog) {
		openlog("mecdns-announce", LOG_PID, LOG_DAEMON);
	}
}

int announce_log_level_parse(const char *text)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
	    {"error", LOG_ERR}, {"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
	    {"info", LOG_INFO}, {"debug", LOG_DEBUG},
	};
	for (size_t i = 0; text != NULL && i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(text, levels[i].name) == 0) {
			return levels[i].level;
		}
	}
	return -1;
}

void announce_log(int level, const char *fmt, ...)
{
	if (level > log_level) {
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
	static const char *const names[] = {"emergency", "alert",  "critical", "error",
	                                    "warning",   "notice", "info",     "debug"};
	const char *name = level >= 0 && level <= LOG_DEBUG ? names[level] : "log";
	fprintf(stderr, "mecdns-announce: %s: %s\n", name, line);
}
