/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns index, private: the allocation behind an owner entry, shared by
 *  the entry code (owner.c) and the trie (index.c). Not part of index.h. */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "module/index.h"

/*! An entry with the storage it needs in one allocation: the owner name and
 *  room for the first rrset, so a single-type owner costs one block plus
 *  its rdata. */
typedef struct {
	mecdns_owner_t entry;     /*!< First: the public pointer is the block's. */
	knot_rrset_t first_rrset; /*!< entry.rrsets points here while it has
	                               at most one rrset. */
	bool fresh;               /*!< Set by the open transaction. */
	uint8_t owner[];
} owner_block_t;

static inline owner_block_t *owner_block(const mecdns_owner_t *entry)
{
	return (owner_block_t *)entry;
}
