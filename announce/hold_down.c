/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce hold-down (see hold_down.h). */

#include "announce/hold_down.h"

void announce_hold_down_init(announce_hold_down_t *hold, int hold_down_ms)
{
	hold->hold_down_ms = hold_down_ms > 0 ? hold_down_ms : 0;
	hold->serving = false;
	hold->serving_since_ms = 0;
	hold->stopping = false;
	hold->busy = false;
	hold->idle_since_ms = 0;
}

bool announce_hold_down_busy(announce_hold_down_t *hold, bool busy, long long now_ms)
{
	if (busy == hold->busy) {
		return false;
	}
	hold->busy = busy;
	if (!busy) {
		hold->idle_since_ms = now_ms;
	}
	return true;
}

bool announce_hold_down_prepend(const announce_hold_down_t *hold, long long now_ms,
                                long long *wake_ms)
{
	*wake_ms = -1;
	if (hold->busy) {
		return true;
	}
	if (hold->idle_since_ms == 0) {
		return false;
	}
	long long due = hold->idle_since_ms + hold->hold_down_ms;
	if (now_ms >= due) {
		return false;
	}
	*wake_ms = due;
	return true;
}

bool announce_hold_down_input(announce_hold_down_t *hold, bool serving, long long now_ms)
{
	if (serving == hold->serving) {
		return false;
	}
	hold->serving = serving;
	if (serving) {
		hold->serving_since_ms = now_ms;
	}
	return true;
}

void announce_hold_down_stop(announce_hold_down_t *hold)
{
	hold->stopping = true;
}

bool announce_hold_down_desired(const announce_hold_down_t *hold, long long now_ms,
                                long long *wake_ms)
{
	*wake_ms = -1;
	if (hold->stopping || !hold->serving) {
		return false;
	}
	long long due = hold->serving_since_ms + hold->hold_down_ms;
	if (now_ms >= due) {
		return true;
	}
	*wake_ms = due;
	return false;
}
