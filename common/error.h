/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The error-message convention of mecdns's parsers and validators: a
 *  function that fails writes one human-readable line into the caller's
 *  buffer (err, err_len; NULL or 0 when the caller wants none) and returns
 *  false. */

#pragma once

#include <stdio.h>

/*! \brief Writes a formatted message into err (if there is room for one)
 *         and returns false from the calling function. */
#define MECDNS_FAIL(err, err_len, ...)                                                             \
	do {                                                                                       \
		if ((err) != NULL && (err_len) > 0) {                                              \
			snprintf((err), (err_len), __VA_ARGS__);                                   \
		}                                                                                  \
		return false;                                                                      \
	} while (0)
