/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: zone and signature expiry (see kexpiry.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syncd/kexpiry.h"

void kexpiry_init(kexpiry_zone_t *zone)
{
	memset(zone, 0, sizeof(*zone));
	zone->expiring_left = -1;
	zone->sig_left = -1;
}

void kexpiry_observe(kexpiry_zone_t *zone, const knotctl_zone_status_t *status, long long now_ms)
{
	zone->secondary = status->secondary;
	zone->loaded = status->loaded;
	zone->seen_loaded = zone->seen_loaded || status->loaded;
	zone->expires_at_ms = status->expires_in >= 0 ? now_ms + status->expires_in * 1000 : 0;
}

/*! Collects the earliest expiration of a zone-read of RRSIGs. */
typedef struct {
	int64_t earliest;
	char owner[KNOT_DNAME_TXT_MAXLEN + 1];
	char type[32];
} rrsig_scan_t;

static int on_rrsig(const knotctl_record_t *record, void *ctx)
{
	rrsig_scan_t *scan = ctx;
	char type[sizeof(scan->type)];
	int64_t expiration = kexpiry_rrsig_expiration(record->rdata, type, sizeof(type));
	if (expiration >= 0 && (scan->earliest == 0 || expiration < scan->earliest)) {
		scan->earliest = expiration;
		snprintf(scan->owner, sizeof(scan->owner), "%s", record->owner);
		memcpy(scan->type, type, sizeof(type));
	}
	return 0;
}

int kexpiry_read_signatures(kexpiry_zone_t *zone, const kexpiry_config_t *config, knotctl_t *ctl,
                            const char *name, uint32_t serial, long long now_ms)
{
	if (config->signature_period_s < 0 || !zone->loaded) {
		zone->sig_read = false;
		zone->sig_expire = 0;
		return KNOT_EOK;
	}
	if (zone->sig_read &&
	    (serial == zone->sig_serial || now_ms - zone->sig_read_ms < KEXPIRY_REREAD_MS)) {
		return KNOT_EOK;
	}
	rrsig_scan_t scan = { 0 };
	int ret = knotctl_zone_read(ctl, name, NULL, "RRSIG", on_rrsig, &scan);
	if (ret == KNOT_ENONODE) {
		ret = KNOT_EOK; /* An unsigned zone. */
	}
	if (ret != KNOT_EOK) {
		return ret;
	}
	zone->sig_read = true;
	zone->sig_serial = serial;
	zone->sig_read_ms = now_ms;
	zone->sig_expire = scan.earliest;
	memcpy(zone->sig_owner, scan.owner, sizeof(scan.owner));
	memcpy(zone->sig_type, scan.type, sizeof(scan.type));
	return KNOT_EOK;
}

/*! \brief One condition with hysteresis: raised at left <= period, cleared
 *         above period plus a tenth of it (at least a second). */
static bool crossed(bool was, int64_t left, int64_t period)
{
	int64_t margin = period / 10 > 1 ? period / 10 : 1;
	return was ? left <= period + margin : left <= period;
}

unsigned kexpiry_evaluate(kexpiry_zone_t *zone, const kexpiry_config_t *config, long long now_ms,
                          int64_t now_s)
{
	unsigned changed = 0;

	bool expiring = false;
	int64_t left = -1;
	if (config->zone_period_s >= 0 && zone->secondary) {
		if (zone->loaded && zone->expires_at_ms > 0) {
			left = zone->expires_at_ms > now_ms ? (zone->expires_at_ms - now_ms) / 1000
			                                    : 0;
			expiring = crossed(zone->expiring, left, config->zone_period_s);
		} else if (!zone->loaded && zone->seen_loaded) {
			left = 0; /* Expired: served once, empty now. */
			expiring = true;
		}
	}
	if (expiring != zone->expiring) {
		changed |= KEXPIRY_ZONE_CHANGED;
	}
	zone->expiring = expiring;
	zone->expiring_left = expiring ? left : -1;

	bool sig_expiring = false;
	int64_t sig_left = -1;
	if (config->signature_period_s >= 0 && zone->loaded && zone->sig_read &&
	    zone->sig_expire > 0) {
		sig_left = zone->sig_expire > now_s ? zone->sig_expire - now_s : 0;
		sig_expiring = crossed(zone->sig_expiring, sig_left, config->signature_period_s);
	}
	if (sig_expiring != zone->sig_expiring) {
		changed |= KEXPIRY_SIGNATURES_CHANGED;
	}
	zone->sig_expiring = sig_expiring;
	zone->sig_left = sig_expiring ? sig_left : -1;
	return changed;
}

int64_t kexpiry_rrsig_expiration(const char *rdata, char *type, size_t type_len)
{
	/* type-covered algorithm labels original-ttl expiration ... */
	char covered[32], field[32];
	unsigned algorithm = 0, labels = 0;
	unsigned long ttl = 0;
	if (rdata == NULL ||
	    sscanf(rdata, "%31s %u %u %lu %31s", covered, &algorithm, &labels, &ttl, field) != 5) {
		return -1;
	}
	size_t digits = strspn(field, "0123456789");
	if (digits != strlen(field) || digits == 0) {
		return -1;
	}
	int64_t expiration = -1;
	if (digits == 14) {
		struct tm tm = { 0 };
		if (sscanf(field, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		           &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
			return -1;
		}
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		expiration = (int64_t)timegm(&tm);
	} else if (digits <= 10) {
		expiration = strtoll(field, NULL, 10);
	}
	if (expiration < 0) {
		return -1;
	}
	snprintf(type, type_len, "%s", covered);
	return expiration;
}
