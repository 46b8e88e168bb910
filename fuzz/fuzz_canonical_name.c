/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  libFuzzer target: store/names.c mecdns_canonical_name() on arbitrary text.
 *
 *  Properties checked besides memory safety: a result is lower case, ends in
 *  '.', is at most 254 characters, has labels of 1..63 characters, and is a
 *  fixed point (canonicalising it again gives the same string).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *canon)
{
	size_t len = strlen(canon);
	if (len == 0 || canon[len - 1] != '.' || len > 254) {
		fprintf(stderr, "bad canonical form \"%s\"\n", canon);
		abort();
	}
	if (strcmp(canon, ".") != 0) {
		size_t label = 0;
		for (size_t i = 0; i < len; i++) {
			char c = canon[i];
			if (c >= 'A' && c <= 'Z') {
				fprintf(stderr, "upper case in \"%s\"\n", canon);
				abort();
			}
			if (c == '.') {
				if (label == 0 || label > 63) {
					fprintf(stderr, "bad label length in \"%s\"\n", canon);
					abort();
				}
				label = 0;
			} else {
				label++;
			}
		}
	}
	char *again = mecdns_canonical_name(canon);
	if (again == NULL || strcmp(again, canon) != 0) {
		fprintf(stderr, "not a fixed point: \"%s\" -> \"%s\"\n", canon,
		        again != NULL ? again : "(null)");
		abort();
	}
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	char *canon = mecdns_canonical_name(text);
	if (canon != NULL) {
		check(canon);
		free(canon);
	}
	free(text);
	return 0;
}
