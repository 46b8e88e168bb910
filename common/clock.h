/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The one clock of mecdns's timers: CLOCK_MONOTONIC in milliseconds (never
 *  steps with the wall clock). */

#pragma once

#include <time.h>

static inline long long mecdns_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
