/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: Extended DNS Error conditions (see kede.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/kede.h"

bool kede_parse_codes(const char *text, bool watched[MECDNS_EDE_SLOTS], const char *where,
                      char *err, size_t err_len)
{
	bool codes[MECDNS_EDE_SLOTS] = { false };
	if (strcmp(text, "all") == 0 || strcmp(text, "off") == 0) {
		bool all = strcmp(text, "all") == 0;
		for (size_t i = 0; i < MECDNS_EDE_SLOTS; i++) {
			watched[i] = all;
		}
		return true;
	}
	const char *p = text;
	do {
		char *end = NULL;
		errno = 0;
		unsigned long code = strtoul(p, &end, 10);
		if (end == p || *p == '-' || *p == '+' || errno != 0 || code > UINT16_MAX ||
		    (*end != ',' && *end != '\0')) {
			snprintf(err, err_len,
			         "%s: ede-codes must be all, off or INFO-CODEs 0..65535 separated "
			         "by commas, not \"%s\"",
			         where, text);
			return false;
		}
		codes[mecdns_ede_slot((unsigned)code)] = true;
		p = *end == ',' ? end + 1 : end;
	} while (*p != '\0' || p[-1] == ',');
	memcpy(watched, codes, sizeof(codes));
	return true;
}

bool kede_enabled(const kede_config_t *config)
{
	for (size_t i = 0; i < MECDNS_EDE_SLOTS; i++) {
		if (config->watched[i]) {
			return true;
		}
	}
	return false;
}

void kede_observe(kede_t *ede, const kede_config_t *config, const uint64_t *counts,
                  long long now_ms, bool changed[MECDNS_EDE_SLOTS])
{
	for (size_t i = 0; i < MECDNS_EDE_SLOTS; i++) {
		changed[i] = false;
		if (counts != NULL) {
			bool rose = false;
			if (ede->seen) {
				/* Fewer than before: knotd restarted, all of it is new. */
				rose = counts[i] < ede->count[i] ? counts[i] > 0
				                                 : counts[i] > ede->count[i];
			}
			ede->count[i] = counts[i];
			if (rose) {
				ede->rose_ms[i] = now_ms;
			}
		}
		bool occurring = config->watched[i] && ede->rose_ms[i] != 0 &&
		                 now_ms - ede->rose_ms[i] < config->quiet_ms;
		if (occurring != ede->occurring[i]) {
			ede->occurring[i] = occurring;
			changed[i] = true;
		}
	}
	if (counts != NULL) {
		ede->seen = true;
	}
}
