/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: DNS queries with libknot, as a device sends them.
 *
 *  A query goes to 127.0.0.1:port over UDP or TCP (2-byte length prefix),
 *  optionally with an EDNS OPT record advertising a UDP payload size. The
 *  answer comes back parsed (knot_pkt_parse) and is freed with
 *  knot_pkt_free(). The helpers below read what tests assert on: rcode, AA,
 *  TC, the records of a section, addresses and TXT strings as text.
 *
 *  Timing is never asserted: dns_poll() repeats a query until its answer
 *  matches or a generous deadline passes; how long that took is a benchmark
 *  figure (bench/), not a test result.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libknot/libknot.h>

/*! A deadline for "eventually" (a change becomes visible, a server answers):
 *  long enough never to fail a correct system on a loaded CI machine. */
#define DNS_EVENTUALLY_MS 10000

/*! How a query is sent. A zeroed struct means: IN class, UDP, no EDNS,
 *  random id, RD clear, opcode QUERY, 2 s timeout. */
typedef struct {
	uint16_t qclass;       /*!< 0: KNOT_CLASS_IN. */
	bool tcp;              /*!< TCP instead of UDP. */
	uint16_t edns_payload; /*!< 0: no EDNS; else the advertised UDP payload. */
	bool rd;               /*!< Set the RD flag. */
	uint8_t opcode;        /*!< 0: QUERY; KNOT_OPCODE_NOTIFY, ... */
	uint16_t id;           /*!< 0: a random id. */
	int timeout_ms;        /*!< 0: 2000. */
	const char *source;    /*!< Local address to send from ("127.0.0.2");
	                            NULL: the kernel's choice (127.0.0.1). */
	const char *ecs;       /*!< EDNS Client Subnet option (RFC 7871) of the
	                            query, "ADDRESS/SOURCE-LENGTH"; implies EDNS
	                            (payload 1232 unless edns_payload is set). */
} dns_opts_t;

/*!
 * \brief Sends one query to 127.0.0.1:port and waits for its answer.
 *
 * \param name  Query name in presentation format ("www.example.test.").
 * \param type  Query type (KNOT_RRTYPE_A, ...).
 * \param opts  How to send it; NULL for the defaults.
 *
 * \return The parsed answer (free with knot_pkt_free()), or NULL on timeout,
 *         network error, an answer with another id, or an unparsable answer
 *         (the cause is printed to stderr).
 */
knot_pkt_t *dns_query(int port, const char *name, uint16_t type, const dns_opts_t *opts);

/*!
 * \brief The SCOPE PREFIX-LENGTH of the answer's ECS option, -1 when the
 *        answer has none; the option's address family and source length
 *        must be the query's (ecs as in dns_opts_t), else -2.
 */
int dns_ecs_scope(const knot_pkt_t *answer, const char *ecs);

/*! Condition on an answer for dns_poll(); answer may be NULL (no answer). */
typedef bool (*dns_match_fn)(const knot_pkt_t *answer, const void *ctx);

/*!
 * \brief Repeats a query (every 20 ms) until match() accepts its answer or
 *        deadline_ms passes.
 *
 * \param matched  Set to whether the last answer matched.
 *
 * \return The last answer received (matching or not; NULL if none), for the
 *         caller's assertion message.
 */
knot_pkt_t *dns_poll(int port, const char *name, uint16_t type, const dns_opts_t *opts,
                     dns_match_fn match, const void *ctx, int deadline_ms, bool *matched);

/*! Matchers for dns_poll(). */
/*! ctx: const char * address (IPv4 or IPv6 text) in the answer section. */
bool dns_match_address(const knot_pkt_t *answer, const void *ctx);
/*! ctx: const char * address that is NOT in the answer section (and an
 *  answer was received). */
bool dns_match_no_address(const knot_pkt_t *answer, const void *ctx);
/*! ctx: const int * rcode (KNOT_RCODE_...). */
bool dns_match_rcode(const knot_pkt_t *answer, const void *ctx);
/*! ctx: const char * string equal to the first TXT string of the answer. */
bool dns_match_txt(const knot_pkt_t *answer, const void *ctx);

/*!
 * \brief Transfers a zone (AXFR over TCP) from 127.0.0.1:port.
 *
 * \return Every record of every message in presentation format, one per
 *         line (malloc'd), or NULL if the transfer failed or was refused.
 */
char *dns_axfr(int port, const char *zone, int timeout_ms);

/*! \brief Extended RCODE (KNOT_RCODE_NOERROR, ...). */
int dns_rcode(const knot_pkt_t *pkt);
/*! \brief AA flag. */
bool dns_aa(const knot_pkt_t *pkt);
/*! \brief TC flag. */
bool dns_tc(const knot_pkt_t *pkt);

/*! \brief First rrset of a type in a section, or NULL. */
const knot_rrset_t *dns_rrset(const knot_pkt_t *pkt, knot_section_t section, uint16_t type);

/*! \brief Number of records of a type in a section (0 if none). */
size_t dns_count(const knot_pkt_t *pkt, knot_section_t section, uint16_t type);

/*! \brief Number of records of any type in a section. */
size_t dns_section_records(const knot_pkt_t *pkt, knot_section_t section);

/*! \brief The SOA in the authority section, or NULL. */
const knot_rrset_t *dns_authority_soa(const knot_pkt_t *pkt);

/*! Longest address text dns_addresses() writes, NUL included. */
#define DNS_ADDR_LEN 46

/*!
 * \brief Addresses of the A and AAAA records of the answer section, as text
 *        (inet_ntop), in the order of the packet.
 *
 * \return The number of addresses found (may exceed max; only max written).
 */
size_t dns_addresses(const knot_pkt_t *pkt, char (*out)[DNS_ADDR_LEN], size_t max);

/*! \brief True if the answer section holds an A/AAAA record with this address. */
bool dns_has_address(const knot_pkt_t *pkt, const char *addr);

/*!
 * \brief The character-strings of the first TXT record of the answer section,
 *        each as a C string in out (malloc'd; free each and nothing else).
 *
 * \return The number of strings (0 when there is no TXT record).
 */
size_t dns_txt_strings(const knot_pkt_t *pkt, char **out, size_t max);

/*! \brief An rrset in presentation format (malloc'd), or NULL. */
char *dns_rrset_text(const knot_rrset_t *rrset);

/*!
 * \brief Owner of the first record of a type in a section, in presentation
 *        format with the case it has on the wire (malloc'd), or NULL.
 *
 * knot_pkt_parse() lowercases owner names; this reads the message itself.
 */
char *dns_wire_owner(const knot_pkt_t *pkt, knot_section_t section, uint16_t type);

/*! \brief A whole answer as text, for assertion messages (malloc'd; "(no
 *         answer)" for NULL). */
char *dns_pkt_text(const knot_pkt_t *pkt);
