/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns daemons' config files (mecdns-syncd, mecdns-announce): the
 *  knot.conf-syntax reader of one section and the typed value helpers both
 *  programs' option tables use.
 *
 *  Every helper that applies a value takes `where` ("FILE:LINE" or
 *  "option --x") and writes "WHERE: ..." into err on failure.
 */

#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/*!
 * \brief Applies one item (from argv or the file) by its long name.
 * \param ctx    the program's configuration.
 * \param where  "option --x" or "FILE:LINE" for messages.
 */
typedef bool (*mecdns_config_apply_t)(void *ctx, const char *name, const char *value,
                                      const char *where, char *err, size_t err_len);

/*!
 * \brief Reads a config file (knot.conf syntax, libknot's yparser) whose only
 *        section is `section:` with single values, calling apply for each
 *        item; stops at the first error ("FILE:LINE: ..." in err).
 */
bool mecdns_config_read_file(const char *path, const char *section, mecdns_config_apply_t apply,
                             void *ctx, char *err, size_t err_len);

/*! \brief Replaces *dst by a copy of value; false when out of memory. */
/*!
 * \brief Reads a whole file (a token list, a PEM file) into a malloc'd,
 *        NUL-terminated string.
 *
 * \param what  Names the file in messages ("token file", "tls-cert").
 * \return The text (its length in *size), or NULL with a message in err.
 */
char *mecdns_read_text_file(const char *path, const char *what, size_t *size, char *err,
                            size_t err_len);

/*!
 * \brief The next line of a line file (a token list, name grants) that has
 *        something on it: '#' starts a comment, blanks around are cut.
 *        Writes into the text; *line_no counts every line (for messages).
 * \return The line, or NULL at the end of the text.
 */
char *mecdns_next_line(char **cursor, size_t *line_no);

bool mecdns_config_set_string(char **dst, const char *value);

/*! \brief Parses an unsigned decimal number within [min, max]. */
bool mecdns_config_parse_number(const char *text, unsigned long long min, unsigned long long max,
                                unsigned long long *out);

/*! \brief Parses on/off/true/false/yes/no. */
bool mecdns_config_parse_bool(const char *text, bool *out);

/*! \brief One string item: its name and the field that holds its copy. */
typedef struct {
	const char *name;
	char **field;
} mecdns_config_string_t;

/*!
 * \brief Applies name = value if name is one of the count string items
 *        (a non-empty value, copied).
 * \return 1 applied, 0 name is not in items, -1 error (in err).
 */
/*! An item table and its length, as mecdns_config_apply_string() takes them. */
#define MECDNS_ITEMS(table) (table), (sizeof(table) / sizeof((table)[0]))

int mecdns_config_apply_string(const mecdns_config_string_t *items, size_t count, const char *name,
                               const char *value, const char *where, char *err, size_t err_len);

/*! \brief Applies an on/off item. */
bool mecdns_config_apply_bool(const char *name, const char *value, const char *where, bool *field,
                              char *err, size_t err_len);

/*! \brief Applies the log-level item (a syslog priority). */
bool mecdns_config_apply_log_level(const char *value, const char *where, int *field, char *err,
                                   size_t err_len);

/*!
 * \brief Applies a number within [min, max]; the message names the unit
 *        ("milliseconds", "bytes", ...) unless unit is NULL.
 */
bool mecdns_config_apply_range(const char *name, const char *value, const char *where,
                               unsigned long long min, unsigned long long max, const char *unit,
                               unsigned long long *out, char *err, size_t err_len);

/*! The options every program has, for its long_options table (the first
 *  pass answers them). */
#define MECDNS_CONFIG_COMMON_OPTIONS                                                               \
	{ "help", no_argument, NULL, 'h' },                                                        \
	{                                                                                          \
		"version", no_argument, NULL, 'V'                                                  \
	}

/*! What the first pass over argv found. */
typedef enum {
	MECDNS_CONFIG_PASS_OK,      /*!< Syntax fine; *config_file set if -c was given. */
	MECDNS_CONFIG_PASS_HELP,    /*!< -h/--help came first: print help, exit 0. */
	MECDNS_CONFIG_PASS_VERSION, /*!< -V/--version came first: print version, exit 0. */
	MECDNS_CONFIG_PASS_ERROR,   /*!< Bad option or argument (in err). */
} mecdns_config_pass_t;

/*!
 * \brief The first pass over argv, before the config file is read: stops at
 *        --help or --version, keeps -c/--config's value in *config_file
 *        (the last one given) and checks the options' syntax and that no
 *        argument follows them.
 */
mecdns_config_pass_t mecdns_config_first_pass(int argc, char *argv[], const char *short_options,
                                              const struct option *long_options, char **config_file,
                                              char *err, size_t err_len);

/*!
 * \brief Applies argv's options by their long names (found by getopt_long's
 *        value, so short forms too), all but -c/--config: the second pass,
 *        after one that checked their syntax and read the config file, so
 *        that options override the file. Messages say "option --NAME"; an
 *        option without a value applies "on".
 */
bool mecdns_config_apply_options(int argc, char *argv[], const char *short_options,
                                 const struct option *long_options, mecdns_config_apply_t apply,
                                 void *ctx, char *err, size_t err_len);
