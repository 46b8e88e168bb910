/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd signals: what signals.c (the connection, the outbox, the
 *  queue) gives signals_state.c (the state signals and GetState's answer).
 *  Not for other callers: they use signals.h. */

#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <dbus/dbus.h>

#include "syncd/signals.h"

/*!
 * \brief Queues a state signal built from (type, value) pairs as
 *        dbus_message_append_args() takes them; returns its sequence
 *        number, or 0 when nothing was queued (bus none, out of memory).
 */
uint64_t mecdns_signals_queue(mecdns_signals_t *signals, const char *member, int first_type, ...);

/*! \brief value as a signal argument: "" for NULL, a marker for text that
 *         is no UTF-8 (libdbus would refuse the message). */
const char *mecdns_signals_arg_string(const char *value);

/*! \brief The (type, value) pairs of a state signal (basic types only, as
 *         dbus_message_append_args() takes them) as a JSON array; malloc'd,
 *         NULL on ENOMEM. */
char *mecdns_signals_args_json(int first_type, va_list ap);

/*! \brief Fills the a{sv} of GetState from the state copy (state_lock held). */
bool mecdns_signals_append_state(DBusMessageIter *dict, const mecdns_signals_state_t *state,
                                 uint64_t db_generation);
