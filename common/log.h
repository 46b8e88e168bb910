/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns daemons' logging (mecdns-syncd, mecdns-announce): one line per
 *  event, to stderr or syslog.
 *
 *  Levels are syslog priorities (LOG_ERR .. LOG_DEBUG); lines above the
 *  configured level are dropped. Safe from any thread.
 */

#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <syslog.h>

/*! \brief Sets the program name (stderr prefix and syslog ident, kept by
 *         pointer), the threshold and the sink (syslog(3) or stderr). */
void mecdns_log_init(const char *program, int level, bool use_syslog);

/*! \brief Parses "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int mecdns_log_level_parse(const char *text);

/*! \brief Whether a line at this level would be written. */
bool mecdns_log_enabled(int level);

/*! A log sink handed to the parts that run their own threads (signals, Knot
 *  state, knotd's events): priority is a syslog level, msg one line without
 *  a newline; called from the part's thread. */
typedef void (*mecdns_log_cb)(int priority, const char *msg, void *ctx);

/*! \brief Formats one line and hands it to sink, or without a sink writes
 *         "mecdns-syncd: PART: line" to stderr. */
static inline void mecdns_log_vsink(mecdns_log_cb sink, void *ctx, const char *part, int priority,
                                    const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (sink != NULL) {
		sink(priority, msg, ctx);
	} else {
		fprintf(stderr, "mecdns-syncd: %s: %s\n", part, msg);
	}
}

void mecdns_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*! A problem that repeats (a bus or broker that stays away) logged once:
 *  again only when its text changes or after mecdns_log_once_reset(). */
typedef struct {
	char last[512];
} mecdns_log_once_t;

/*! \brief Logs the warning unless it is the one logged last. */
void mecdns_log_once(mecdns_log_once_t *once, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*! \brief The problem is over: the next one is logged. */
static inline void mecdns_log_once_reset(mecdns_log_once_t *once)
{
	once->last[0] = '\0';
}

#define log_error(...)   mecdns_log(LOG_ERR, __VA_ARGS__)
#define log_warning(...) mecdns_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  mecdns_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    mecdns_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   mecdns_log(LOG_DEBUG, __VA_ARGS__)
