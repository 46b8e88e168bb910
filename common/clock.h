/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The clocks of mecdns: CLOCK_MONOTONIC in milliseconds for timers (never
 *  steps with the wall clock), CLOCK_REALTIME in milliseconds for what is
 *  stored (the *_ms columns) and compared with it. */

#pragma once

#include <time.h>

static inline long long mecdns_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline long long mecdns_realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
