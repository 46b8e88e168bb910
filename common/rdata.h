/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns record data: presentation format <-> DNS wire format, for the
 *  rrecord API, zone sync and mecdns-db alike.
 *
 *  Record data from the rrecord API ("1.2.3.4", "10 5 5060 sip.example.",
 *  "\"some text\"") is parsed by libzscanner, Knot's own zone file scanner:
 *  a line "OWNER TTL IN TYPE RDATA" is scanned with zs_parse_record(), so
 *  every type Knot reads in a zone file is read here the same way. Names in
 *  record data are taken as absolute (the origin is the root). The text
 *  kept and returned by the API is the canonical dump of the wire by libknot
 *  (knot_rrset_txt_dump_data()), so "1.02.3.4" style variants and spacing do
 *  not create duplicates.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*!
 * \brief Parses an RR type mnemonic ("A", "aaaa", "TYPE65") and checks that
 *        mecdns serves it (mecdns_type_served(), common/answer.h); the
 *        message of a refused type names it and says why.
 */
bool mecdns_rrtype_parse(const char *text, uint16_t *type, char *err, size_t err_len);

/*! \brief The mnemonic of a type ("A", "TYPE65534") into out. */
void mecdns_rrtype_name(uint16_t type, char *out, size_t out_len);

/*! \brief Parses a class mnemonic; only "IN" (any case) is accepted. */
bool mecdns_rrclass_valid(const char *text, char *err, size_t err_len);

/*!
 * \brief Parses one record data in presentation format.
 *
 * \param owner     Canonical owner name (for the scanner line and messages).
 * \param type      RR type.
 * \param text      Record data in presentation format.
 * \param wire      Out: malloc'd RDATA in wire format.
 * \param wire_len  Out: its length.
 * \param canonical Out: malloc'd canonical presentation text.
 *
 * \return true, or false with the scanner's reason in err.
 */
bool mecdns_rdata_parse(const char *owner, uint16_t type, const char *text, uint8_t **wire,
                        uint16_t *wire_len, char **canonical, char *err, size_t err_len);
