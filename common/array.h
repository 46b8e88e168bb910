/* SPDX-License-Identifier: GPL-3.0-or-later */
/*!
 * \file
 * \brief Growing arrays: the one doubling rule the store and zone sync use.
 */

#pragma once

#include <stdint.h>
#include <stdlib.h>

/*!
 * \brief Room for element number count in items (capacity elements of size
 *        bytes each are allocated): returns items itself while there is room,
 *        else items reallocated to twice the capacity (first elements the
 *        first time) with *capacity updated, or NULL without memory (items
 *        then stays valid and *capacity unchanged).
 */
static inline void *mecdns_array_room(void *items, size_t count, size_t *capacity, size_t size,
                                      size_t first)
{
	if (count < *capacity) {
		return items;
	}
	size_t grown = *capacity == 0 ? first : *capacity * 2;
	if (size == 0 || grown > SIZE_MAX / size) {
		return NULL;
	}
	void *bigger = realloc(items, grown * size);
	if (bigger != NULL) {
		*capacity = grown;
	}
	return bigger;
}
