/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce hold-down: from the "serving" input over time to the
 *  state the prefix should be in (announced or withdrawn).
 *
 *  The rule, exactly:
 *    - The prefix should be withdrawn at once whenever serving is false
 *      (which also stands for "unknown": syncd absent, the bus lost,
 *      shutting_down received, GetState not answered yet) or the
 *      announcer is stopping.
 *    - It should be announced once serving has been true without a break
 *      for hold_down_ms, counted from the moment the announcer saw serving
 *      become true (a signal or a GetState answer). Every false in between
 *      restarts the count; with hold_down_ms 0 it is announced at once.
 *  So withdraws are immediate, and a flapping input (true for less than
 *  hold_down_ms at a time) keeps the prefix withdrawn: within any interval
 *  of T ms the peer sees at most 1 + T / hold_down_ms announcements.
 *
 *  The same in the other direction for "busy" (the query rate exceeded,
 *  draft-grubto sections 3.9 and 3.10): the AS path is lengthened at once
 *  when busy becomes true, and made short again only after busy has been
 *  false for hold_down_ms (becoming more attractive waits, as announcing
 *  does).
 *
 *  Pure logic: the caller passes the time (monotonic milliseconds).
 */

#pragma once

#include <stdbool.h>

typedef struct {
	int hold_down_ms;
	bool serving;               /*!< The last input. */
	long long serving_since_ms; /*!< When serving last became true. */
	bool stopping;              /*!< Stopping: withdrawn for good. */
	bool busy;                  /*!< The last busy input. */
	long long idle_since_ms;    /*!< When busy last became false (0: never busy). */
} announce_hold_down_t;

/*! \brief Starts with serving false (unknown). */
void announce_hold_down_init(announce_hold_down_t *hold, int hold_down_ms);

/*! \brief Records the serving input at now_ms; returns whether it changed. */
bool announce_hold_down_input(announce_hold_down_t *hold, bool serving, long long now_ms);

/*! \brief Records the busy input at now_ms; returns whether it changed. */
bool announce_hold_down_busy(announce_hold_down_t *hold, bool busy, long long now_ms);

/*!
 * \brief Whether the announcement should carry the prepended AS path at
 *        now_ms (busy, or not busy for less than hold_down_ms).
 *
 * \param wake_ms  Set to when the answer changes by itself, or -1.
 */
bool announce_hold_down_prepend(const announce_hold_down_t *hold, long long now_ms,
                                long long *wake_ms);

/*! \brief From now on the prefix should stay withdrawn (clean exit). */
void announce_hold_down_stop(announce_hold_down_t *hold);

/*!
 * \brief Whether the prefix should be announced at now_ms.
 *
 * \param wake_ms  Set to when the answer changes by itself (the end of the
 *                 running hold-down), or -1 when it does not.
 */
bool announce_hold_down_desired(const announce_hold_down_t *hold, long long now_ms,
                                long long *wake_ms);
