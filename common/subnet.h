/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns: client subnets, the scopes of location-aware rules (issue 13,
 *  docs/api.md "Client subnets"). One home for what a scope is: its text,
 *  its canonical list form (stored by the store, sent by the APIs) and
 *  whether an address is inside it.
 *
 *  A subnet is "ADDRESS/LENGTH", IPv4 (0..32) or IPv6 (0..128), with no host
 *  bits set ("10.45.0.0/16", "2001:db8:45::/48"). A rule's scope is a set
 *  of 1 to MECDNS_SUBNETS_MAX subnets, stored as their canonical texts
 *  sorted (IPv4 first, then by address and length) and joined by commas.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Most subnets in one rule's scope. */
#define MECDNS_SUBNETS_MAX 32

typedef struct {
	uint8_t family; /*!< 4 or 6. */
	uint8_t length; /*!< Prefix length. */
	uint8_t addr[16];
} mecdns_subnet_t;

/*!
 * \brief Parses one subnet; false with the reason in err ("10.0.0.1/16 has
 *        host bits set: 10.0.0.0/16", "/129 is longer than 128 bits", ...).
 */
bool mecdns_subnet_parse(const char *text, mecdns_subnet_t *out, char *err, size_t err_len);

/*! \brief The canonical text of a subnet into buf (at least 44 bytes). */
void mecdns_subnet_format(const mecdns_subnet_t *subnet, char *buf, size_t len);

/*!
 * \brief The canonical scope of count subnet texts: sorted, joined by
 *        commas, malloc'd. NULL with the reason in err for none, more than
 *        MECDNS_SUBNETS_MAX, a text that does not parse, or one given twice;
 *        err then starts with "[I] " naming the item's index (0-based).
 */
char *mecdns_subnets_canonical(const char *const *texts, size_t count, char *err, size_t err_len);

/*! \brief mecdns_subnets_canonical() of a comma-separated list
 *         ("10.45.0.0/16,2001:db8::/32", as a query parameter gives it). */
char *mecdns_subnets_canonical_text(const char *text, char *err, size_t err_len);

/*!
 * \brief Reads a canonical scope (as mecdns_subnets_canonical() makes it)
 *        into out (room for MECDNS_SUBNETS_MAX).
 * \return The number of subnets, or 0 when text is not canonical.
 */
size_t mecdns_subnets_parse_list(const char *text, mecdns_subnet_t *out);

/*! \brief Whether the address (family 4 or 6, 4 or 16 bytes) is inside subnet. */
bool mecdns_subnet_contains(const mecdns_subnet_t *subnet, int family, const uint8_t *addr);

/*! \brief How many leading bits of addr (of subnet's family) equal the
 *         subnet's address, at most max and at most the subnet's length. */
unsigned mecdns_subnet_common_bits(const mecdns_subnet_t *subnet, const uint8_t *addr,
                                   unsigned max);
