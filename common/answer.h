/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The answer rules of mecdns, in one place.
 *
 *  Which record types mecdns stores and answers, which queries it leaves to
 *  the zone, how several records at one owner become one answer (CNAME
 *  exclusivity, one TTL per RRset) and whether a name lies in a zone. The
 *  module (module/), the store (store/), the REST API and zone sync (syncd/)
 *  and mecdns-db (tools/) all ask here, so they cannot disagree; the
 *  type-agreement test (tests/integration/test_types.c) drives a table of
 *  types through all of them.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! RR type codes the rules name (libknot's KNOT_RRTYPE_* values). */
#define MECDNS_TYPE_CNAME 5
#define MECDNS_TYPE_ANY   255

/*! What mecdns does with a record type. */
typedef enum {
	/*! Stored and answered by the module, written by zone sync. */
	MECDNS_TYPE_SERVED = 0,
	/*! Zone structure and DNSSEC (SOA, NS, DS, DNSKEY, RRSIG, NSEC, NSEC3,
	 *  NSEC3PARAM, CDS, CDNSKEY): never stored; queries for them pass
	 *  through to the zone, whose signer and delegations own them. */
	MECDNS_TYPE_ZONE,
	/*! Types that would need processing mecdns does not do (DNAME
	 *  redirection) or obsolete DNSSEC (SIG, KEY, NXT): never stored. */
	MECDNS_TYPE_UNSUPPORTED,
	/*! Not data: type 0, OPT, the query and meta types 128-255 (RFC 6895
	 *  section 3.1: TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY, ...). */
	MECDNS_TYPE_META,
} mecdns_type_class_t;

/*! \brief The class of a record type (see mecdns_type_class_t). */
mecdns_type_class_t mecdns_type_class(uint16_t type);

/*! \brief Whether mecdns stores and answers records of this type. */
bool mecdns_type_served(uint16_t type);

/*!
 * \brief Why a type is not served, for an API error ("DS is zone data: ...").
 *
 * \return A static sentence, or NULL for a served type.
 */
const char *mecdns_type_refusal(uint16_t type);

/*!
 * \brief Whether the module leaves a query of this type to the zone even at
 *        a name it has rules for: zone-structure and DNSSEC types, OPT, the
 *        query and meta types 128-254. ANY is answered (with what mecdns
 *        has); other types mecdns does not serve get NODATA from it.
 */
bool mecdns_qtype_passes(uint16_t qtype);

/*!
 * \brief The TTL a record gets: its own, or default_ttl when it has none
 *        (stored < 0: a rule without a TTL).
 */
uint32_t mecdns_answer_ttl(int64_t stored, uint32_t default_ttl);

/*!
 * \brief One TTL per RRset: the smallest of the records merged into it.
 *        Folds ttl into *rrset_ttl.
 */
void mecdns_answer_ttl_fold(uint32_t *rrset_ttl, uint32_t ttl);

/*!
 * \brief CNAME exclusivity: a CNAME at an owner excludes every other type.
 *        Of several CNAME targets the one ordered first here is kept, so an
 *        answer never depends on the order rows were read in.
 *
 * \return < 0 when target a wins over b, 0 equal, > 0 when b wins (memcmp
 *         of the wire names, then the shorter first: knot_rdata_cmp()).
 */
int mecdns_cname_order(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/*!
 * \brief Whether owner is zone or below it. Both are canonical
 *        presentation names (lower case, absolute, "." for the root).
 */
bool mecdns_name_in_zone(const char *owner, const char *zone);

/*!
 * \brief A name as knotd and the store spell it: ASCII letters lower-cased,
 *        a trailing dot added where it is missing. No other check (see
 *        mecdns_canonical_name() for validation). malloc'd; NULL without
 *        memory.
 */
char *mecdns_name_lower_absolute(const char *name);

/*!
 * \brief The zone's own names are the operator's: mecdns never answers at
 *        the apex of a zone knotd serves (its A would sit beside SOA, NS,
 *        MX, TXT the operator wrote) nor at the targets of the apex NS
 *        records (the glue of every referral would contradict it). The
 *        module checks both against the zone knotd holds (module/mecdns.c,
 *        zone_protected()); zone sync writes nothing at a synced zone's apex
 *        (NS targets hold the operator's glue there, a conflict it keeps).
 *
 * \return Whether owner is zone's apex (both canonical presentation).
 */
bool mecdns_zone_apex(const char *owner, const char *zone);

/*!
 * \brief The parent of a canonical presentation name, inside it
 *        ("b.example." of "a.b.example.", "." of "example."), or NULL for
 *        the root. Escaped dots ("a\\.b.example.") do not end a label.
 */
const char *mecdns_name_parent(const char *name);

/*! The largest DNS message (TCP's two-byte length; RFC 1035 4.2.2). */
#define MECDNS_MESSAGE_MAX 65535

/*!
 * \brief The largest answer mecdns may have to send for records at owner:
 *        header, the question (owner, as long as its presentation text),
 *        each record (compressed owner, type, class, TTL, length: 12 bytes)
 *        and its data, and room for an OPT record with the options a
 *        server may add (client subnet, cookie, EDE: 128 bytes).
 *
 * \param owner_text   Presentation name ("www.example.com."): its wire form
 *                     is never longer than its text plus one.
 * \param records      How many records the answer carries.
 * \param rdata_bytes  Their data, in total.
 */
uint64_t mecdns_answer_size(const char *owner_text, uint64_t records, uint64_t rdata_bytes);

/*! \brief Whether such an answer fits one DNS message (over TCP): records
 *         that cannot be answered at all are refused when written. */
bool mecdns_answer_fits(const char *owner_text, uint64_t records, uint64_t rdata_bytes);

/*!
 * \brief Whether a record of type may be at owner in zone: a CNAME at the
 *        zone's apex would sit beside its SOA and NS (RFC 1034 3.6.2), so
 *        zone sync could not write it and no server could load the zone.
 */
bool mecdns_type_allowed_at(uint16_t type, const char *owner, const char *zone);
