/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: Extended DNS Error conditions, draft-grubto-dnsop-dns-out-
 *  of-protocol-signalling section 3.11 (kstate.c feeds it every poll).
 *
 *  mod-mecdns (global instances) counts every response that carries an
 *  EDE option by INFO-CODE (common/ede.h). For each watched code the
 *  condition extended_error(code) is raised when its count grew since the
 *  previous poll, and cleared once it stayed still for quiet_ms. Counts
 *  that fall (knotd restarted) start again from zero; counts already there
 *  when syncd first sees them raise nothing.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ede.h"

typedef struct {
	bool watched[MECDNS_EDE_SLOTS]; /*!< The codes signalled (all false: off). */
	int quiet_ms;                   /*!< Still this long: cleared (> 0). */
} kede_config_t;

typedef struct {
	bool seen;                        /*!< Counts of a poll were observed. */
	uint64_t count[MECDNS_EDE_SLOTS]; /*!< As the last poll read them. */
	long long rose_ms[MECDNS_EDE_SLOTS];
	bool occurring[MECDNS_EDE_SLOTS]; /*!< As last evaluated. */
} kede_t;

/*!
 * \brief Parses the ede-codes setting: "all", "off", or INFO-CODEs
 *        separated by commas ("20,24"; codes from 31 on mean the "other"
 *        slot).
 *
 * \return False with a message in err (naming where) on anything else.
 */
bool kede_parse_codes(const char *text, bool watched[MECDNS_EDE_SLOTS], const char *where,
                      char *err, size_t err_len);

/*! \brief True when some code is watched. */
bool kede_enabled(const kede_config_t *config);

/*!
 * \brief Takes one poll's counts (summed over the module's instances) and
 *        updates the conditions.
 *
 * \param counts  NULL when the poll did not reach knotd (only quiet time
 *                passes).
 * \param changed Set true for each slot whose condition changed.
 */
void kede_observe(kede_t *ede, const kede_config_t *config, const uint64_t *counts,
                  long long now_ms, bool changed[MECDNS_EDE_SLOTS]);
