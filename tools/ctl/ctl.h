/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl: what its commands share (main.c): the client, the output
 *  mode, exit codes, calling syncd with one error message per failure. */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "tools/ctl/client.h"

#define CTL_PROGRAM "mecdnsctl"

/*! Exit codes (mecdnsctl(8), "EXIT STATUS"). */
enum {
	CTL_OK = 0,          /*!< Done. */
	CTL_REFUSED = 1,     /*!< syncd answered with an error (4xx, 5xx). */
	CTL_USAGE = 2,       /*!< Bad command line or config file. */
	CTL_UNREACHABLE = 3, /*!< No answer from syncd (or the DNS server). */
	CTL_TIMEOUT = 4,     /*!< wait: the generation did not come in time. */
	CTL_LOCAL = 5,       /*!< A local failure: a file, memory. */
};

typedef struct {
	ctl_client_t *client;
	const char *url;
	bool json;         /*!< --json: the API's JSON, for scripts. */
	bool quiet;        /*!< -q: no progress, no notes. */
	const char *dns;   /*!< --server ADDR[@PORT]: DNS server for the probe
	                        and lookup's real query; NULL: none. */
	long wait_timeout; /*!< wait --timeout (seconds). */
	const char *what;  /*!< The command, for messages ("rule add"). */
} ctl_t;

/*! \brief Prints "mecdnsctl: WHAT: message" on stderr. */
void ctl_error(const ctl_t *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*!
 * \brief Calls syncd; on any failure prints what failed and what to do.
 * \param answer  Filled (clear it); on CTL_OK a 2xx answer.
 * \return CTL_OK, CTL_REFUSED or CTL_UNREACHABLE.
 */
int ctl_call(ctl_t *ctl, const char *method, const char *path, const char *body,
             ctl_answer_t *answer);

/*! \brief ctl_call() with the body parsed as JSON into *json. */
int ctl_call_json(ctl_t *ctl, const char *method, const char *path, const char *body, cJSON **json,
                  uint64_t *generation);

/*! \brief A path segment or query value escaped (malloc'd, exits on ENOMEM). */
char *ctl_escape_or_die(ctl_t *ctl, const char *text);

/*! \brief Prints json (indented) on stdout. */
void ctl_print_json(const cJSON *json);

/*! \brief The string member, or fallback. */
const char *ctl_string(const cJSON *json, const char *name, const char *fallback);

/*! A table for the human output: rows of columns, printed aligned. */
typedef struct {
	size_t columns;
	char **cells; /*!< rows * columns strings. */
	size_t rows;
	size_t capacity;
} ctl_table_t;

void ctl_table_init(ctl_table_t *table, size_t columns);
/*! \brief Adds one row of columns strings (copied; NULL prints "-"). */
void ctl_table_add(ctl_table_t *table, const char *const *cells);
void ctl_table_print(ctl_table_t *table);
void ctl_table_free(ctl_table_t *table);

/* The commands (argc/argv after the command words). */
int ctl_rule(ctl_t *ctl, int argc, char **argv);
int ctl_rrset(ctl_t *ctl, int argc, char **argv);
int ctl_status(ctl_t *ctl, int argc, char **argv);
int ctl_lookup(ctl_t *ctl, int argc, char **argv);
int ctl_wait(ctl_t *ctl, int argc, char **argv);
int ctl_backup(ctl_t *ctl, int argc, char **argv);
int ctl_stats(ctl_t *ctl, int argc, char **argv);
int ctl_export(ctl_t *ctl, int argc, char **argv);
int ctl_import(ctl_t *ctl, int argc, char **argv);
int ctl_restore(ctl_t *ctl, int argc, char **argv);

/*! \brief Every app's rules (all pages of /mecdns/v1/dns_rules) as one JSON
 *         array; CTL_OK or an error (printed). */
/*! \brief GETs path and every page its Link header names after it, into
 *         one array (what names the listing in errors); the generation of
 *         the first page when generation is not NULL. */
int ctl_get_pages(ctl_t *ctl, const char *path, const char *what, cJSON **items,
                  uint64_t *generation);

int ctl_all_rules(ctl_t *ctl, cJSON **rules, uint64_t *generation);

/*! \brief Every record set (all pages of GET /rrecord) as one array of
 *         {"zone","rr":[...]}; CTL_OK or an error (printed). */
int ctl_all_rrsets(ctl_t *ctl, cJSON **zones);

/*!
 * \brief Asks a DNS server (ADDR[@PORT], UDP) for the module's generation
 *        (CH TXT generation.mecdns.).
 * \return CTL_OK with *generation, or CTL_UNREACHABLE (message in err).
 */
int ctl_dns_generation(const char *server, uint64_t *generation, char *err, size_t err_len);

/*!
 * \brief Asks a DNS server what a device gets: name, type, and with client
 *        (ADDR or ADDR/LEN) an ECS option; prints the answer section, the
 *        rcode and the ECS scope (or adds them to json).
 */
int ctl_dns_query(const char *server, const char *name, const char *type, const char *client,
                  cJSON *json, char *err, size_t err_len);
