/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  UTF-8 checks (see utf8.h). */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

/*! \brief The length of the valid UTF-8 sequence at s (at most len bytes
 *         read), or 0 when none starts there. */
static size_t sequence(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		return 1;
	}
	size_t need;
	uint32_t min;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2, min = 0x80, cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3, min = 0x800, cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0; /* A continuation byte, 0xc0/0xc1 (overlong), 0xf5+. */
	}
	if (len < need) {
		return 0;
	}
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return need;
}

size_t mecdns_utf8_invalid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t n = sequence(u + i, len - i);
		if (n == 0) {
			return i;
		}
		i += n;
	}
	return len;
}

char *mecdns_utf8_sanitize(const char *s)
{
	size_t len = strlen(s);
	/* Each invalid byte becomes three (EF BF BD). */
	char *out = malloc(len * 3 + 1);
	if (out == NULL) {
		return NULL;
	}
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t n = sequence(u + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}
