/*  mecdns-syncd logging: one line per event, to stderr or syslog.
 *
 *  Levels are syslog priorities (LOG_ERR .. LOG_DEBUG); lines above the
 *  configured level are dropped. Safe from any thread.
 */

#pragma once

#include <stdbool.h>
#include <syslog.h>

/*! \brief Sets the threshold and the sink (syslog true: syslog(3) with
 *         ident "mecdns-syncd", else stderr). */
void syncd_log_init(int level, bool use_syslog);

/*! \brief Parses "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int syncd_log_level_parse(const char *text);

/*! \brief Whether a line at this level would be written. */
bool syncd_log_enabled(int level);

void syncd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) syncd_log(LOG_ERR, __VA_ARGS__)
#define log_warning(...) syncd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) syncd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) syncd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) syncd_log(LOG_DEBUG, __VA_ARGS__)
