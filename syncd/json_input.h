/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  What mecdns-syncd accepts as a JSON request body beyond what cJSON
 *  parses: RFC 8259's letter where cJSON is lenient or loses data.
 *
 *  - The text is UTF-8 (section 8.1).
 *  - No control character unescaped in a string (section 7), and no
 *    \u0000 escape: cJSON's strings end at a NUL, so "a\u0000b" would be
 *    stored as "a".
 *  - No member name twice in one object (section 4 leaves duplicates to
 *    the implementation; cJSON keeps the first, so a body could say two
 *    things and mean one).
 */

#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/*! \brief Whether text[0..len) is UTF-8 without control characters or
 *         \u0000 in its strings; else a message with the byte offset. */
bool syncd_json_text_ok(const char *text, size_t len, char *err, size_t err_len);

/*! \brief Whether no object in json has a member name twice; else a
 *         message naming it. */
bool syncd_json_keys_unique(const cJSON *json, char *err, size_t err_len);
