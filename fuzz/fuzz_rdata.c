/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  libFuzzer target: common/rdata.c, record data presentation -> wire.
 *
 *  Input: "<type>\n<record data>" (no newline: the whole input is the type).
 *  The type goes through mecdns_rrtype_parse() (and mecdns_rrclass_valid(),
 *  mecdns_rrtype_name()); if accepted, the data through mecdns_rdata_parse()
 *  for a fixed owner. Properties checked besides memory safety: the type
 *  name round-trips, and an accepted record's canonical text parses again
 *  to the same wire and the same canonical text, and a second parse of the
 *  input (on a scanner reused from earlier inputs) gives the first's result.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OWNER "fuzz.example."

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = malloc(size + 1);
	if (input == NULL) {
		return 0;
	}
	memcpy(input, data, size);
	input[size] = '\0';
	char *nl = memchr(input, '\n', size);
	const char *rdata = "";
	if (nl != NULL) {
		*nl = '\0';
		rdata = nl + 1;
	}
	const char *type_text = input;

	char err[256];
	(void)mecdns_rrclass_valid(type_text, err, sizeof(err));

	uint16_t type = 0;
	if (!mecdns_rrtype_parse(type_text, &type, err, sizeof(err))) {
		free(input);
		return 0;
	}
	char name[32];
	mecdns_rrtype_name(type, name, sizeof(name));
	uint16_t again_type = 0;
	if (!mecdns_rrtype_parse(name, &again_type, err, sizeof(err)) || again_type != type) {
		fprintf(stderr, "type %u -> \"%s\" does not parse back (%s)\n", type, name, err);
		abort();
	}

	uint8_t *wire = NULL;
	uint16_t wire_len = 0;
	char *canonical = NULL;
	bool accepted =
	    mecdns_rdata_parse(OWNER, type, rdata, &wire, &wire_len, &canonical, err, sizeof(err));
	/* Again, with whatever scanner the pool hands out after the earlier
	 * inputs (common/rdata.c reuses them): the same verdict and data. */
	uint8_t *wire_again = NULL;
	uint16_t again_len = 0;
	char *canonical_again = NULL;
	bool again = mecdns_rdata_parse(OWNER, type, rdata, &wire_again, &again_len,
	                                &canonical_again, err, sizeof(err));
	if (again != accepted ||
	    (accepted &&
	     (again_len != wire_len || (wire_len > 0 && memcmp(wire, wire_again, wire_len) != 0) ||
	      strcmp(canonical, canonical_again) != 0))) {
		fprintf(stderr, "%s \"%s\": a second parse differs from the first\n", name, rdata);
		abort();
	}
	free(wire_again);
	free(canonical_again);
	if (accepted) {
		if (canonical == NULL) {
			fprintf(stderr, "accepted without canonical text\n");
			abort();
		}
		uint8_t *wire2 = NULL;
		uint16_t wire2_len = 0;
		char *canonical2 = NULL;
		if (!mecdns_rdata_parse(OWNER, type, canonical, &wire2, &wire2_len, &canonical2,
		                        err, sizeof(err))) {
			fprintf(stderr, "%s \"%s\": canonical \"%s\" refused: %s\n", name, rdata,
			        canonical, err);
			abort();
		}
		if (wire2_len != wire_len || (wire_len > 0 && memcmp(wire, wire2, wire_len) != 0) ||
		    strcmp(canonical, canonical2) != 0) {
			fprintf(stderr, "%s \"%s\": canonical \"%s\" -> \"%s\" not stable\n", name,
			        rdata, canonical, canonical2);
			abort();
		}
		free(wire2);
		free(canonical2);
	}
	free(wire);
	free(canonical);
	free(input);
	return 0;
}
