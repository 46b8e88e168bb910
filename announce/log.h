/*  mecdns-announce logging: one line per event, to stderr or syslog.
 *
 *  Levels are syslog priorities (LOG_ERR .. LOG_DEBUG); lines above the
 *  configured level are dropped.
 */

#pragma once

#include <stdbool.h>
#include <syslog.h>

/*! \brief Sets the threshold and the sink (use_syslog: syslog(3) with ident
 *         "mecdns-announce", else stderr). */
void announce_log_init(int level, bool use_syslog);

/*! \brief Parses "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int announce_log_level_parse(const char *text);

void announce_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) announce_log(LOG_ERR, __VA_ARGS__)
#define log_warning(...) announce_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) announce_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) announce_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) announce_log(LOG_DEBUG, __VA_ARGS__)
