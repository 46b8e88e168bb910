/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Extended DNS Errors (RFC 8914) as mecdns counts them: the slots of
 *  mod-mecdns's indexed counter `ede` (knotd shows them as ede[CODE] and
 *  ede[other]) and the registry's names, for mecdns-syncd's
 *  extended_error signal and /metrics. The one home of that layout. */

#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*! Slots: INFO-CODEs 0 .. MECDNS_EDE_OTHER - 1 one each, higher ones share
 *  MECDNS_EDE_OTHER. */
#define MECDNS_EDE_SLOTS 32
#define MECDNS_EDE_OTHER (MECDNS_EDE_SLOTS - 1)

/*! \brief The slot of an INFO-CODE. */
static inline unsigned mecdns_ede_slot(unsigned code)
{
	return code < MECDNS_EDE_OTHER ? code : MECDNS_EDE_OTHER;
}

/*! \brief The code a slot stands for in signals, GetState and the REST
 *         status: its INFO-CODE, 65535 for MECDNS_EDE_OTHER. */
static inline uint16_t mecdns_ede_code(unsigned slot)
{
	return slot < MECDNS_EDE_OTHER ? (uint16_t)slot : UINT16_MAX;
}

/*! \brief The slot knotd names id ("20", "other"); -1 for none. */
static inline int mecdns_ede_slot_of(const char *id)
{
	if (id == NULL) {
		return -1;
	}
	if (strcmp(id, "other") == 0) {
		return MECDNS_EDE_OTHER;
	}
	char *end = NULL;
	unsigned long code = strtoul(id, &end, 10);
	return end != id && *end == '\0' && code < MECDNS_EDE_OTHER ? (int)code : -1;
}

/*! \brief The IANA registry's name of a slot's code ("other" for the last). */
static inline const char *mecdns_ede_name(unsigned slot)
{
	static const char *const NAMES[MECDNS_EDE_OTHER] = {
		"Other Error",
		"Unsupported DNSKEY Algorithm",
		"Unsupported DS Digest Type",
		"Stale Answer",
		"Forged Answer",
		"DNSSEC Indeterminate",
		"DNSSEC Bogus",
		"Signature Expired",
		"Signature Not Yet Valid",
		"DNSKEY Missing",
		"RRSIGs Missing",
		"No Zone Key Bit Set",
		"NSEC Missing",
		"Cached Error",
		"Not Ready",
		"Blocked",
		"Censored",
		"Filtered",
		"Prohibited",
		"Stale NXDomain Answer",
		"Not Authoritative",
		"Not Supported",
		"No Reachable Authority",
		"Network Error",
		"Invalid Data",
		"Signature Expired before Valid",
		"Too Early",
		"Unsupported NSEC3 Iterations Value",
		"Unable to conform to policy",
		"Synthesized",
		"Invalid Query Type",
	};
	return slot < MECDNS_EDE_OTHER ? NAMES[slot] : "other";
}
