/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  JSON request bodies: the checks cJSON does not make (see json_input.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "syncd/json_input.h"

/*! Objects up to this many members are checked pairwise; larger ones
 *  through a sorted copy of their names (no quadratic time on a big body). */
#define PAIRWISE_MAX 16

bool syncd_json_text_ok(const char *text, size_t len, char *err, size_t err_len)
{
	size_t bad = mecdns_utf8_invalid(text, len);
	if (bad < len) {
		snprintf(err, err_len, "the body is not valid UTF-8 (at byte %zu)", bad);
		return false;
	}
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (!in_string) {
			in_string = c == '"';
			continue;
		}
		if (c == '"') {
			in_string = false;
		} else if (c < 0x20) {
			snprintf(err, err_len,
			         "the body has a control character (0x%02x) unescaped in a string "
			         "(at byte %zu)",
			         c, i);
			return false;
		} else if (c == '\\' && i + 1 < len) {
			if (text[i + 1] == 'u' && i + 5 < len &&
			    strncmp(text + i + 2, "0000", 4) == 0) {
				snprintf(err, err_len,
				         "the body has a NUL character (\\u0000) in a string (at "
				         "byte %zu): not allowed",
				         i);
				return false;
			}
			i++; /* The escaped character, whatever it is. */
		}
	}
	return true;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*! \brief The first name an object has twice, or NULL (also when out of
 *         memory for a large object: *oom then). */
static const char *duplicate_in(const cJSON *object, bool *oom)
{
	size_t count = 0;
	for (const cJSON *m = object->child; m != NULL; m = m->next) {
		count++;
	}
	if (count <= PAIRWISE_MAX) {
		for (const cJSON *a = object->child; a != NULL; a = a->next) {
			for (const cJSON *b = a->next; b != NULL; b = b->next) {
				if (a->string != NULL && b->string != NULL &&
				    strcmp(a->string, b->string) == 0) {
					return a->string;
				}
			}
		}
		return NULL;
	}
	const char **names = malloc(count * sizeof(*names));
	if (names == NULL) {
		*oom = true;
		return NULL;
	}
	size_t n = 0;
	for (const cJSON *m = object->child; m != NULL; m = m->next) {
		names[n++] = m->string != NULL ? m->string : "";
	}
	qsort(names, n, sizeof(*names), compare_names);
	const char *found = NULL;
	for (size_t i = 1; i < n && found == NULL; i++) {
		if (strcmp(names[i - 1], names[i]) == 0) {
			found = names[i];
		}
	}
	free(names);
	return found;
}

bool syncd_json_keys_unique(const cJSON *json, char *err, size_t err_len)
{
	if (json == NULL) {
		return true;
	}
	if (cJSON_IsObject(json)) {
		bool oom = false;
		const char *name = duplicate_in(json, &oom);
		if (oom) {
			snprintf(err, err_len, "out of memory checking the body's member names");
			return false;
		}
		if (name != NULL) {
			snprintf(err, err_len,
			         "the body has the member \"%.64s\" twice in one object", name);
			return false;
		}
	}
	if (cJSON_IsObject(json) || cJSON_IsArray(json)) {
		for (const cJSON *m = json->child; m != NULL; m = m->next) {
			if (!syncd_json_keys_unique(m, err, err_len)) {
				return false;
			}
		}
	}
	return true;
}
