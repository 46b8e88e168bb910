/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: the name-grants file (see grants_file.h). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config_file.h"
#include "syncd/grants_file.h"
#include "syncd/validate.h"

void syncd_grants_file_free(syncd_grants_file_t *file)
{
	if (file == NULL) {
		return;
	}
	for (size_t i = 0; i < file->count; i++) {
		free(file->items[i].app_instance_id);
		free(file->items[i].name);
	}
	free(file->items);
	file->items = NULL;
	file->count = 0;
}

/*! \brief The next blank-separated word of *p (NUL-terminated in place). */
static char *next_word(char **p)
{
	while (**p == ' ' || **p == '\t') {
		(*p)++;
	}
	if (**p == '\0') {
		return NULL;
	}
	char *word = *p;
	while (**p != '\0' && **p != ' ' && **p != '\t') {
		(*p)++;
	}
	if (**p != '\0') {
		*(*p)++ = '\0';
	}
	return word;
}

/*! \brief One line into grant; false with "WHERE: ..." in err. */
static bool parse_line(char *line, const char *where, mecdns_grant_t *grant, char *err,
                       size_t err_len)
{
	char *app = next_word(&line);
	char *name = next_word(&line);
	char *flag = next_word(&line);
	char *extra = next_word(&line);
	char why[256];
	if (name == NULL) {
		snprintf(err, err_len, "%s: expected APP_INSTANCE_ID NAME [shared]", where);
		return false;
	}
	if (!syncd_valid_id(app, "appInstanceId", why, sizeof(why))) {
		snprintf(err, err_len, "%s: %s", where, why);
		return false;
	}
	if ((flag != NULL && strcmp(flag, "shared") != 0) || extra != NULL) {
		snprintf(err, err_len,
		         "%s: unknown word \"%s\" (only \"shared\" may follow the name)", where,
		         extra != NULL && flag != NULL && strcmp(flag, "shared") == 0 ? extra
		                                                                      : flag);
		return false;
	}
	if (name[0] == '*') {
		snprintf(err, err_len,
		         "%s: %s: a grant covers its name and everything below it; grant the name "
		         "without \"*.\"",
		         where, name);
		return false;
	}
	grant->name = mecdns_canonical_name(name);
	grant->app_instance_id = strdup(app);
	if (grant->name == NULL) {
		snprintf(err, err_len, "%s: \"%s\" is not a domain name", where, name);
		return false;
	}
	if (grant->app_instance_id == NULL) {
		snprintf(err, err_len, "%s: out of memory", where);
		return false;
	}
	grant->subtree = true;
	grant->shared = flag != NULL;
	return true;
}

bool syncd_grants_parse(const char *text, const char *name, syncd_grants_file_t *out, char *err,
                        size_t err_len)
{
	memset(out, 0, sizeof(*out));
	char *copy = strdup(text != NULL ? text : "");
	if (copy == NULL) {
		snprintf(err, err_len, "%s: out of memory", name);
		return false;
	}
	size_t line_no = 0;
	char *cursor = copy;
	bool ok = true;
	for (char *line; ok && (line = mecdns_next_line(&cursor, &line_no)) != NULL;) {
		char where[512];
		snprintf(where, sizeof(where), "%s:%zu", name, line_no);
		mecdns_grant_t *items = realloc(out->items, (out->count + 1) * sizeof(*items));
		if (items == NULL) {
			snprintf(err, err_len, "%s: out of memory", where);
			ok = false;
			break;
		}
		out->items = items;
		mecdns_grant_t *grant = &items[out->count++];
		memset(grant, 0, sizeof(*grant));
		ok = parse_line(line, where, grant, err, err_len);
		for (size_t i = 0; ok && i + 1 < out->count; i++) {
			if (strcmp(items[i].app_instance_id, grant->app_instance_id) == 0 &&
			    strcmp(items[i].name, grant->name) == 0) {
				snprintf(err, err_len, "%s: %s is granted to %s twice", where,
				         grant->name, grant->app_instance_id);
				ok = false;
			}
		}
	}
	free(copy);
	if (!ok) {
		syncd_grants_file_free(out);
	}
	return ok;
}

bool syncd_grants_load(const char *path, syncd_grants_file_t *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	size_t size = 0;
	char *text = mecdns_read_text_file(path, "name-grants file", &size, err, err_len);
	if (text == NULL) {
		return false;
	}
	bool ok = syncd_grants_parse(text, path, out, err, err_len);
	free(text);
	return ok;
}
