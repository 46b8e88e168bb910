/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns record data (see rdata.h). */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "common/error.h"
#include "common/answer.h"
#include "common/rdata.h"

/*! Longest presentation text we accept for one record data. */
#define RDATA_TEXT_MAX 65535

bool mecdns_rrtype_parse(const char *text, uint16_t *type, char *err, size_t err_len)
{
	uint16_t code = 0;
	if (text == NULL || *text == '\0' || knot_rrtype_from_string(text, &code) != 0) {
		MECDNS_FAIL(err, err_len, "type \"%s\" is not a DNS record type",
		            text != NULL ? text : "");
	}
	const char *refusal = mecdns_type_refusal(code);
	if (refusal != NULL) {
		char name[32];
		mecdns_rrtype_name(code, name, sizeof(name));
		MECDNS_FAIL(err, err_len, "type %s is not served by mecdns: %s", name, refusal);
	}
	*type = code;
	return true;
}

void mecdns_rrtype_name(uint16_t type, char *out, size_t out_len)
{
	if (knot_rrtype_to_string(type, out, out_len) < 0) {
		snprintf(out, out_len, "TYPE%u", type);
	}
}

bool mecdns_rrclass_valid(const char *text, char *err, size_t err_len)
{
	if (text == NULL || strcasecmp(text, "IN") != 0) {
		MECDNS_FAIL(err, err_len, "class must be \"IN\"");
	}
	return true;
}

/*! \brief Whether text can go into one scanner line unchanged: no line
 *         breaks or NULs (which would start another record or directive). */
static bool one_line(const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			return false;
		}
	}
	return true;
}

/*! \brief Dumps one record data canonically (malloc'd), NULL on failure. */
static char *dump_canonical(const char *owner, uint16_t type, const uint8_t *wire, uint16_t len)
{
	knot_dname_t *name = knot_dname_from_str_alloc(owner);
	if (name == NULL) {
		return NULL;
	}
	knot_rrset_t *rrset = knot_rrset_new(name, type, KNOT_CLASS_IN, 0, NULL);
	knot_dname_free(name, NULL);
	if (rrset == NULL) {
		return NULL;
	}
	char *out = NULL;
	size_t size = 256 + 4 * (size_t)len;
	if (knot_rrset_add_rdata(rrset, wire, len, NULL) == KNOT_EOK) {
		out = malloc(size);
		if (out != NULL &&
		    knot_rrset_txt_dump_data(rrset, 0, out, size, &KNOT_DUMP_STYLE_DEFAULT) < 0) {
			free(out);
			out = NULL;
		}
	}
	knot_rrset_free(rrset, NULL);
	/* libknot ends some dumps (CAA) with a separator: not part of the data. */
	for (size_t end = out != NULL ? strlen(out) : 0; end > 0 && out[end - 1] == ' '; end--) {
		out[end - 1] = '\0';
	}
	return out;
}

/*** Scanners: a zs_scanner_t is about 200 KB that zs_init() clears, so a
 *   few are kept for reuse (zs_set_input_string() restarts one on new input,
 *   as knsupdate does per line) instead of one malloc and clear per record. ***/

#define SCANNER_POOL 4

static pthread_mutex_t scanner_lock = PTHREAD_MUTEX_INITIALIZER;
static zs_scanner_t *scanner_pool[SCANNER_POOL];
static size_t scanner_count;

/*! \brief A scanner ready for new input (origin ".", class IN, TTL 0), or
 *         NULL without memory. */
static zs_scanner_t *scanner_get(void)
{
	pthread_mutex_lock(&scanner_lock);
	zs_scanner_t *scanner = scanner_count > 0 ? scanner_pool[--scanner_count] : NULL;
	pthread_mutex_unlock(&scanner_lock);
	if (scanner != NULL) {
		return scanner;
	}
	scanner = malloc(sizeof(*scanner));
	if (scanner != NULL && zs_init(scanner, ".", KNOT_CLASS_IN, 0) != 0) {
		zs_deinit(scanner);
		free(scanner);
		scanner = NULL;
	}
	return scanner;
}

/*! \brief Returns a scanner: kept when clean (its last parse succeeded) and
 *         the pool has room, else freed. */
static void scanner_put(zs_scanner_t *scanner, bool clean)
{
	if (scanner == NULL) {
		return;
	}
	if (clean) {
		pthread_mutex_lock(&scanner_lock);
		if (scanner_count < SCANNER_POOL) {
			scanner_pool[scanner_count++] = scanner;
			scanner = NULL;
		}
		pthread_mutex_unlock(&scanner_lock);
	}
	if (scanner != NULL) {
		zs_deinit(scanner);
		free(scanner);
	}
}

/*! \brief One parse of text into wire and canonical text (see
 *         mecdns_rdata_parse(), which also checks the canonical text). */
static bool parse_once(const char *owner, uint16_t type, const char *text, uint8_t **wire,
                       uint16_t *wire_len, char **canonical, char *err, size_t err_len)
{
	*wire = NULL;
	*canonical = NULL;
	if (text == NULL || *text == '\0') {
		MECDNS_FAIL(err, err_len, "record data must not be empty");
	}
	if (strlen(text) > RDATA_TEXT_MAX || !one_line(text)) {
		MECDNS_FAIL(err, err_len, "record data must be one line of at most %d characters",
		            RDATA_TEXT_MAX);
	}

	char type_name[32];
	mecdns_rrtype_name(type, type_name, sizeof(type_name));
	char *line = NULL;
	int line_len = asprintf(&line, "%s 0 IN %s %s\n", owner, type_name, text);
	if (line_len < 0) {
		MECDNS_FAIL(err, err_len, "out of memory");
	}

	zs_scanner_t *scanner = scanner_get();
	if (scanner == NULL) {
		free(line);
		MECDNS_FAIL(err, err_len, "out of memory");
	}
	bool ok = false;
	if (zs_set_input_string(scanner, line, (size_t)line_len) != 0) {
		snprintf(err, err_len, "record data scanner failed: %s",
		         zs_strerror(scanner->error.code));
		goto out;
	}
	if (zs_parse_record(scanner) != 0 || scanner->state != ZS_STATE_DATA) {
		snprintf(err, err_len, "record data \"%s\" is not valid %s data: %s", text,
		         type_name,
		         scanner->state == ZS_STATE_ERROR ? zs_strerror(scanner->error.code)
		                                          : "no record");
		goto out;
	}
	if (scanner->r_type != type || scanner->r_data_length > UINT16_MAX) {
		snprintf(err, err_len, "record data \"%s\" is not valid %s data", text, type_name);
		goto out;
	}
	*wire_len = (uint16_t)scanner->r_data_length;
	*wire = malloc(*wire_len > 0 ? *wire_len : 1);
	if (*wire == NULL) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	memcpy(*wire, scanner->r_data, *wire_len);

	/* Exactly one record: anything after it (a second record through
	 * parentheses tricks and the like) is an error. */
	if (zs_parse_record(scanner) != 0 ||
	    (scanner->state != ZS_STATE_EOF && scanner->state != ZS_STATE_NONE)) {
		snprintf(err, err_len, "record data \"%s\" is not one %s record", text, type_name);
		goto out;
	}
	*canonical = dump_canonical(owner, type, *wire, *wire_len);
	if (*canonical == NULL) {
		snprintf(err, err_len, "record data \"%s\" cannot be printed back", text);
		goto out;
	}
	ok = true;
out:
	/* A scanner that stopped on an error is not reused: its state is
	 * whatever the error left. */
	scanner_put(scanner, ok);
	free(line);
	if (!ok) {
		free(*wire);
		*wire = NULL;
		return false;
	}
	return true;
}

bool mecdns_rdata_parse(const char *owner, uint16_t type, const char *text, uint8_t **wire,
                        uint16_t *wire_len, char **canonical, char *err, size_t err_len)
{
	if (!parse_once(owner, type, text, wire, wire_len, canonical, err, err_len)) {
		return false;
	}
	if (strcmp(*canonical, text) == 0) {
		return true; /* Its own canonical form: it reads back as it did. */
	}
	/* What is stored and shown must read back as the same record (the
	 * scanner takes some texts, such as a CAA tag "a(", that the printer
	 * writes in a form the scanner reads otherwise). */
	uint8_t *again = NULL;
	uint16_t again_len = 0;
	char *again_text = NULL;
	char again_err[256];
	bool stable = parse_once(owner, type, *canonical, &again, &again_len, &again_text,
	                         again_err, sizeof(again_err)) &&
	              again_len == *wire_len && memcmp(again, *wire, *wire_len) == 0 &&
	              strcmp(again_text, *canonical) == 0;
	free(again);
	free(again_text);
	if (!stable) {
		snprintf(err, err_len,
		         "record data \"%s\" has no presentation form that reads back "
		         "as the same record (it prints as \"%s\")",
		         text, *canonical);
		free(*wire);
		free(*canonical);
		*wire = NULL;
		*canonical = NULL;
		return false;
	}
	return true;
}
