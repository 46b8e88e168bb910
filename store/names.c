/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns store: the canonical form of a domain name.
 *
 *  Every name the store keeps (rule owners, rrset zones and owners) is in one
 *  form, so that "WWW.Example.com" and "www.example.com." are the same key:
 *  ASCII lower case, absolute (trailing dot), "." for the root.
 *
 *  What is accepted (RFC 1035 lengths, host-name-like labels):
 *  - at most 253 characters without the trailing dot (255 octets in wire
 *    format), labels of 1 to 63 characters, no empty label ("a..b", ".a");
 *  - letters, digits, '-' and '_' (service labels such as _sip._udp);
 *  - '*' only as a whole leftmost label (a wildcard owner).
 *  Deliberately lenient: a label may start or end with '-' and may be all
 *  digits (RFC 1123 host-name rules are not applied), as Knot accepts such
 *  owners in zone files. Escapes ("\.", "\065") and non-ASCII (IDN must be
 *  sent as A-labels, "xn--...") are refused.
 */

#include <stdlib.h>
#include <string.h>

#include "common/answer.h"
#include "store/store.h"

/*! Longest name in presentation format without the trailing dot. */
#define NAME_MAX_TEXT 253
/*! Longest label. */
#define LABEL_MAX 63

/*! \brief Whether c may appear in a label (besides the wildcard). */
static bool label_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

char *mecdns_canonical_name(const char *name)
{
	if (name == NULL || *name == '\0') {
		return NULL;
	}
	if (strcmp(name, ".") == 0) {
		return strdup(".");
	}

	size_t len = strlen(name);
	if (name[len - 1] == '.') {
		len--; /* The trailing dot is optional on input. */
	}
	if (len == 0 || len > NAME_MAX_TEXT) {
		return NULL;
	}

	size_t label_len = 0;
	bool first_label = true;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c == '.') {
			if (label_len == 0) {
				return NULL; /* Empty label. */
			}
			label_len = 0;
			first_label = false;
			continue;
		}
		if (c == '*') {
			/* A wildcard is a whole leftmost label: "*" followed by
			 * the end of the name or a dot. */
			bool alone = i + 1 == len || name[i + 1] == '.';
			if (!first_label || label_len != 0 || !alone) {
				return NULL;
			}
		} else if (!label_char_ok(c)) {
			return NULL;
		}
		if (++label_len > LABEL_MAX) {
			return NULL;
		}
	}
	if (label_len == 0) {
		return NULL; /* Ends with an empty label ("a.." or similar). */
	}

	return mecdns_name_lower_absolute(name);
}
