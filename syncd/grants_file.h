/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: the name-grants file (syncd's name-grants item), names the
 *  operator grants to application instances in config (docs/api.md, "Name
 *  ownership"). One grant per line, '#' starts a comment:
 *
 *      # APP_INSTANCE_ID  NAME  [shared]
 *      app1  edge.example.com
 *      app2  shop.example.com  shared
 *
 *  Each line grants NAME and every name below it (an allowed suffix) to
 *  the app, "shared" lets other apps be given names there too. The file
 *  replaces the grants of the previous one as a whole
 *  (mecdns_store_grants_configure) at start and on SIGHUP.
 */

#pragma once

#include <stddef.h>

#include "store/store.h"

typedef struct {
	mecdns_grant_t *items; /*!< Canonical names, source NULL. */
	size_t count;
} syncd_grants_file_t;

/*!
 * \brief Parses the text of a name-grants file (name: its path, for
 *        "NAME:LINE: ..." messages).
 * \return false with the first error in err (a bad id or name, a wildcard,
 *         an unknown word, a line given twice); nothing kept then.
 */
bool syncd_grants_parse(const char *text, const char *name, syncd_grants_file_t *out, char *err,
                        size_t err_len);

/*! \brief Reads and parses the file at path. */
bool syncd_grants_load(const char *path, syncd_grants_file_t *out, char *err, size_t err_len);

void syncd_grants_file_free(syncd_grants_file_t *file);
