/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  UTF-8 checks (RFC 3629): what JSON text must be (RFC 8259 section 8.1)
 *  and what a ProblemDetails may echo back of a request. Overlong forms,
 *  surrogates (U+D800..U+DFFF) and code points past U+10FFFF are invalid. */

#pragma once

#include <stddef.h>

/*! \brief The offset of the first byte that does not start a valid UTF-8
 *         sequence in s[0..len), or len when all of it is valid. */
size_t mecdns_utf8_invalid(const char *s, size_t len);

/*!
 * \brief A copy of the NUL-terminated s with every byte that does not
 *        start a valid UTF-8 sequence replaced by U+FFFD.
 *
 * \return The copy (free() it), NULL when out of memory.
 */
char *mecdns_utf8_sanitize(const char *s);
