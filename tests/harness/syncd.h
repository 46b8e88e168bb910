/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: the real mecdns-syncd binary as a child process.
 *
 *  The one place integration tests start and stop mecdns-syncd: it runs the
 *  built binary with "--listen ADDR:PORT" followed by the test's own flags,
 *  waits until it accepts connections (reporting its log if it does not),
 *  and stops it with SIGTERM. Builds on harness.h.
 */

#pragma once

#include "harness.h"

/*!
 * \brief Spawns $(top_builddir)/syncd/mecdns-syncd --listen listen args...
 *        (args NULL-terminated, may be NULL) with extra environment env
 *        (as harness_spawn), stdout/stderr to log_path. Does not wait.
 *
 * \return 0 or -errno.
 */
int harness_syncd_spawn(harness_proc_t *proc, const char *listen, const char *const args[],
                        char *const env[], const char *log_path);

/*!
 * \brief Starts mecdns-syncd on a free TCP port of addr (stored in *port)
 *        and waits up to timeout_ms until it listens there.
 *
 * If it does not start, exits early or never listens, its log goes to
 * stderr and the child (if still running) is killed.
 *
 * \return 0 when it listens, -1 otherwise.
 */
int harness_syncd_start(harness_proc_t *proc, const char *addr, int *port, const char *const args[],
                        char *const env[], const char *log_path, int timeout_ms);

/*!
 * \brief Stops mecdns-syncd (SIGTERM, SIGKILL after timeout_ms); prints its
 *        log to stderr unless it exited with 0. No-op (0) if not running.
 *
 * \return Its exit status (exit code, 128+signal).
 */
int harness_syncd_stop(harness_proc_t *proc, int timeout_ms);
