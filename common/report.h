/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns: the reports of answered queries, from mod-mecdns to mecdns-syncd
 *  (the REPORT action of DNS contexts, docs/api.md "DNS contexts after 3GPP
 *  TS 29.556"). One home for the datagram both sides read and write.
 *
 *  mod-mecdns sends one datagram per answered query whose scope reports
 *  (a context's rule with REPORT) to mecdns-syncd's report socket, a unix
 *  datagram socket (report-socket in both configurations), without
 *  blocking: a full or absent socket drops the report and counts it.
 *
 *  Layout (network byte order):
 *    0  4  magic "MDR1"
 *    4  1  the client's address family, 4 or 6
 *    5  1  the known leading bits of the address (ECS source length, or
 *          the whole source address)
 *    6  2  QTYPE
 *    8 16  the client's address (IPv4 in the first 4 bytes)
 *   24  1  length of the owner that answered (wire name: the name, or the
 *          wildcard "*.suffix" that answered in its place)
 *   25  1  length of the query name (wire name, lower case)
 *   26  .  the owner, then the query name
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MECDNS_REPORT_HEADER 26
/*! Largest datagram: the header and two wire names of 255 bytes. */
#define MECDNS_REPORT_MAX (MECDNS_REPORT_HEADER + 2 * 255)

typedef struct {
	uint8_t family; /*!< 4 or 6. */
	uint8_t bits;
	uint16_t qtype;
	uint8_t addr[16];
	uint8_t owner[255]; /*!< Wire name. */
	uint8_t owner_len;
	uint8_t qname[255]; /*!< Wire name. */
	uint8_t qname_len;
} mecdns_report_t;

/*!
 * \brief Writes a report into buf (at least MECDNS_REPORT_MAX bytes).
 * \return The datagram's length, or 0 for a report that is not valid.
 */
size_t mecdns_report_encode(const mecdns_report_t *report, uint8_t *buf);

/*! \brief Reads a datagram; false for anything that is not exactly one
 *         valid report (bad magic, family, bits, lengths or names). */
bool mecdns_report_decode(const uint8_t *buf, size_t len, mecdns_report_t *out);

/*! \brief The presentation form of a wire name ("app.example.com.") into
 *         text (at least 1024 bytes: every byte may be escaped as \DDD);
 *         false for a name that is not valid. */
bool mecdns_report_name_text(const uint8_t *wire, size_t len, char *text, size_t size);
