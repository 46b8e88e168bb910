/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns daemons' config files (see config_file.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>
#include <libknot/yparser/yparser.h>

#include "common/config_file.h"
#include "common/log.h"

bool mecdns_config_read_file(const char *path, const char *section, mecdns_config_apply_t apply,
                             void *ctx, char *err, size_t err_len)
{
	yp_parser_t *parser = malloc(sizeof(*parser));
	if (parser == NULL) {
		snprintf(err, err_len, "%s: out of memory", path);
		return false;
	}
	yp_init(parser);
	int ret = yp_set_input_file(parser, path);
	if (ret != KNOT_EOK) {
		snprintf(err, err_len, "cannot read config file %s: %s", path, knot_strerror(ret));
		yp_deinit(parser);
		free(parser);
		return false;
	}

	bool ok = true;
	bool in_section = false;
	while (ok && (ret = yp_parse(parser)) == KNOT_EOK) {
		char where[600];
		snprintf(where, sizeof(where), "%s:%zu", path, parser->line_count);
		switch (parser->event) {
		case YP_EKEY0:
			in_section = strcmp(parser->key, section) == 0;
			if (!in_section) {
				snprintf(err, err_len, "%s: unknown section \"%s\" (expected %s:)",
				         where, parser->key, section);
				ok = false;
			} else if (parser->data_len != 0) {
				snprintf(err, err_len, "%s: section %s: takes no value", where,
				         section);
				ok = false;
			}
			break;
		case YP_EKEY1:
			if (!in_section) {
				snprintf(err, err_len, "%s: item outside the %s: section", where,
				         section);
				ok = false;
				break;
			}
			ok = apply(ctx, parser->key, parser->data, where, err, err_len);
			break;
		default:
			snprintf(err, err_len, "%s: unexpected list item (%s: has single values)",
			         where, section);
			ok = false;
			break;
		}
	}
	if (ok && ret != KNOT_EOF) {
		snprintf(err, err_len, "%s:%zu: syntax error: %s", path, parser->line_count,
		         knot_strerror(ret));
		ok = false;
	}
	yp_deinit(parser);
	free(parser);
	return ok;
}

bool mecdns_config_set_string(char **dst, const char *value)
{
	char *copy = strdup(value);
	if (copy == NULL) {
		return false;
	}
	free(*dst);
	*dst = copy;
	return true;
}

bool mecdns_config_parse_number(const char *text, unsigned long long min, unsigned long long max,
                                unsigned long long *out)
{
	if (text == NULL || *text < '0' || *text > '9') {
		return false;
	}
	char *end = NULL;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno != 0 || end == NULL || *end != '\0' || value < min || value > max) {
		return false;
	}
	*out = value;
	return true;
}

bool mecdns_config_parse_bool(const char *text, bool *out)
{
	if (strcmp(text, "on") == 0 || strcmp(text, "true") == 0 || strcmp(text, "yes") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(text, "off") == 0 || strcmp(text, "false") == 0 || strcmp(text, "no") == 0) {
		*out = false;
		return true;
	}
	return false;
}

int mecdns_config_apply_string(const mecdns_config_string_t *items, size_t count, const char *name,
                               const char *value, const char *where, char *err, size_t err_len)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(name, items[i].name) != 0) {
			continue;
		}
		if (*value == '\0') {
			snprintf(err, err_len, "%s: %s must not be empty", where, name);
			return -1;
		}
		if (!mecdns_config_set_string(items[i].field, value)) {
			snprintf(err, err_len, "%s: out of memory", where);
			return -1;
		}
		return 1;
	}
	return 0;
}

bool mecdns_config_apply_bool(const char *name, const char *value, const char *where, bool *field,
                              char *err, size_t err_len)
{
	if (!mecdns_config_parse_bool(value, field)) {
		snprintf(err, err_len, "%s: %s must be on or off, not \"%s\"", where, name, value);
		return false;
	}
	return true;
}

bool mecdns_config_apply_log_level(const char *value, const char *where, int *field, char *err,
                                   size_t err_len)
{
	int level = mecdns_log_level_parse(value);
	if (level < 0) {
		snprintf(err, err_len,
		         "%s: log-level must be error, warning, notice, info or debug, not \"%s\"",
		         where, value);
		return false;
	}
	*field = level;
	return true;
}

bool mecdns_config_apply_range(const char *name, const char *value, const char *where,
                               unsigned long long min, unsigned long long max, const char *unit,
                               unsigned long long *out, char *err, size_t err_len)
{
	if (!mecdns_config_parse_number(value, min, max, out)) {
		snprintf(err, err_len, "%s: %s must be %llu..%llu%s%s, not \"%s\"", where, name,
		         min, max, unit != NULL ? " " : "", unit != NULL ? unit : "", value);
		return false;
	}
	return true;
}

mecdns_config_pass_t mecdns_config_first_pass(int argc, char *argv[], const char *short_options,
                                              const struct option *long_options, char **config_file,
                                              char *err, size_t err_len)
{
	opterr = 0;
	optind = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			return MECDNS_CONFIG_PASS_HELP;
		case 'V':
			return MECDNS_CONFIG_PASS_VERSION;
		case 'c':
			if (!mecdns_config_set_string(config_file, optarg)) {
				snprintf(err, err_len, "out of memory");
				return MECDNS_CONFIG_PASS_ERROR;
			}
			break;
		case '?':
		case ':':
			if (optopt != 0 && optopt < 256) {
				snprintf(err, err_len,
				         "option -%c: unknown or missing its value (see --help)",
				         optopt);
			} else {
				snprintf(err, err_len,
				         "option %s: unknown or missing its value (see --help)",
				         argv[optind - 1]);
			}
			return MECDNS_CONFIG_PASS_ERROR;
		default:
			break;
		}
	}
	if (optind < argc) {
		snprintf(err, err_len, "unexpected argument \"%s\" (see --help)", argv[optind]);
		return MECDNS_CONFIG_PASS_ERROR;
	}
	return MECDNS_CONFIG_PASS_OK;
}

bool mecdns_config_apply_options(int argc, char *argv[], const char *short_options,
                                 const struct option *long_options, mecdns_config_apply_t apply,
                                 void *ctx, char *err, size_t err_len)
{
	optind = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		if (opt == 'c') {
			continue;
		}
		const char *name = NULL;
		for (const struct option *option = long_options; option->name != NULL; option++) {
			if (option->flag == NULL && option->val == opt) {
				name = option->name;
				break;
			}
		}
		if (name == NULL) {
			snprintf(err, err_len,
			         "option %s: unknown or missing its value (see --help)",
			         argv[optind - 1]);
			return false;
		}
		char where[64];
		snprintf(where, sizeof(where), "option --%s", name);
		const char *value = optarg != NULL ? optarg : "on";
		if (!apply(ctx, name, value, where, err, err_len)) {
			return false;
		}
	}
	return true;
}

char *mecdns_read_text_file(const char *path, const char *what, size_t *size, char *err,
                            size_t err_len)
{
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		snprintf(err, err_len, "cannot open %s %s: %m", what, path);
		return NULL;
	}
	char *text = NULL;
	*size = 0;
	FILE *mem = open_memstream(&text, size);
	char buf[4096];
	size_t got;
	bool ok = mem != NULL;
	while (ok && (got = fread(buf, 1, sizeof(buf), file)) > 0) {
		ok = fwrite(buf, 1, got, mem) == got;
	}
	ok = ok && !ferror(file);
	fclose(file);
	if (mem != NULL) {
		ok = fclose(mem) == 0 && ok;
	}
	if (!ok || text == NULL) {
		free(text);
		snprintf(err, err_len, "cannot read %s %s", what, path);
		return NULL;
	}
	return text;
}

char *mecdns_next_line(char **cursor, size_t *line_no)
{
	/* strtok_r would merge empty lines and miscount; walk by hand. */
	while (*cursor != NULL) {
		char *line = *cursor;
		(*line_no)++;
		*cursor = strchr(line, '\n');
		if (*cursor != NULL) {
			*(*cursor)++ = '\0';
		}
		char *hash = strchr(line, '#');
		if (hash != NULL) {
			*hash = '\0';
		}
		while (*line == ' ' || *line == '\t' || *line == '\r') {
			line++;
		}
		size_t len = strlen(line);
		while (len > 0 &&
		       (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r')) {
			line[--len] = '\0';
		}
		if (*line != '\0') {
			return line;
		}
	}
	return NULL;
}
