/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: expiry of zones and of their DNSSEC signatures, the
 *  conditions of draft-grubto-dnsop-dns-out-of-protocol-signalling
 *  sections 3.7 and 3.8, one zone at a time (kstate.c keeps one
 *  kexpiry_zone_t per expected zone and signals what changes).
 *
 *  - zone_expiring (3.7): a secondary zone whose expiration event (knotd's
 *    zone-status) is at most the period away, or that expired (knotd served
 *    it, and now holds it empty without an expiration scheduled). Cleared
 *    when a refresh moves the expiration beyond the period plus a tenth of
 *    it (at least a second), or the zone is no secondary any more.
 *  - signatures_expiring (3.8): the earliest expiration of the zone's
 *    RRSIGs (zone-read of type RRSIG, read again whenever the serial
 *    changes, at most every KEXPIRY_REREAD_MS) is at most the period away
 *    or passed; its owner and covered type are the arguments. Cleared the
 *    same way once re-signed, or when the zone holds no RRSIG any more.
 *
 *  A period < 0 turns the condition off; 0 signals the moment of expiry.
 *  While knotd is unreachable nothing is evaluated: the conditions keep
 *  their last state (every zone is not ready then anyway).
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libknot/libknot.h>

#include "syncd/knotctl.h"

/*! Shortest time between two reads of a zone's signatures. */
#define KEXPIRY_REREAD_MS 5000

typedef struct {
	int64_t zone_period_s;      /*!< zone_expiring; < 0: off. */
	int64_t signature_period_s; /*!< signatures_expiring; < 0: off. */
} kexpiry_config_t;

typedef struct {
	/* Observations (last poll that reached knotd). */
	bool secondary;
	bool loaded;
	bool seen_loaded;        /*!< knotd served the zone since syncd started. */
	long long expires_at_ms; /*!< Monotonic; 0: no expiration scheduled. */
	bool sig_read;           /*!< The RRSIGs of sig_serial were read. */
	uint32_t sig_serial;
	long long sig_read_ms;
	int64_t sig_expire;                        /*!< Unix time; 0: no RRSIG. */
	char sig_owner[KNOT_DNAME_TXT_MAXLEN + 1]; /*!< Of the earliest RRSIG. */
	char sig_type[32];                         /*!< Type it covers. */

	/* Conditions as last evaluated. */
	bool expiring;
	int64_t expiring_left; /*!< Seconds (0: expired); -1 when not expiring. */
	bool sig_expiring;
	int64_t sig_left; /*!< Seconds (0: expired); -1 when not expiring. */
} kexpiry_zone_t;

/*! What kexpiry_evaluate() changed. */
enum {
	KEXPIRY_ZONE_CHANGED = 1,
	KEXPIRY_SIGNATURES_CHANGED = 2,
};

/*! \brief A fresh zone (nothing observed, nothing expiring). */
void kexpiry_init(kexpiry_zone_t *zone);

/*! \brief Notes the zone's zone-status. */
void kexpiry_observe(kexpiry_zone_t *zone, const knotctl_zone_status_t *status, long long now_ms);

/*!
 * \brief Reads the zone's RRSIGs in the poll's session when due (signatures
 *        watched, the zone loaded, and its serial changed or never read).
 *
 * \return KNOT_EOK (also when nothing was due) or knotctl's error.
 */
int kexpiry_read_signatures(kexpiry_zone_t *zone, const kexpiry_config_t *config, knotctl_t *ctl,
                            const char *name, uint32_t serial, long long now_ms);

/*!
 * \brief Updates both conditions (call only after a poll that reached knotd).
 *
 * \param now_ms  Monotonic milliseconds.
 * \param now_s   Unix time (RRSIG times are absolute).
 *
 * \return KEXPIRY_*_CHANGED bits of the conditions that changed.
 */
unsigned kexpiry_evaluate(kexpiry_zone_t *zone, const kexpiry_config_t *config, long long now_ms,
                          int64_t now_s);

/*!
 * \brief Reads an RRSIG's expiration from its presentation rdata
 *        ("A 13 3 3600 20261231000000 ..."): the type covered into type
 *        and the time, YYYYMMDDHHmmSS (UTC) or seconds since the epoch.
 *
 * \return Unix time, or -1 for rdata that is no RRSIG.
 */
int64_t kexpiry_rrsig_expiration(const char *rdata, char *type, size_t type_len);
