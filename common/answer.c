/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The answer rules of mecdns (see answer.h). */

#include <stdlib.h>
#include <string.h>

#include "common/answer.h"

/* RR type codes (IANA; the same as libknot's KNOT_RRTYPE_*), so that this
 * file needs no library and every part of mecdns can link it. */
enum {
	T_NS = 2,
	T_SOA = 6,
	T_SIG = 24,
	T_KEY = 25,
	T_NXT = 30,
	T_DNAME = 39,
	T_OPT = 41,
	T_DS = 43,
	T_RRSIG = 46,
	T_NSEC = 47,
	T_DNSKEY = 48,
	T_NSEC3 = 50,
	T_NSEC3PARAM = 51,
	T_CDS = 59,
	T_CDNSKEY = 60,
};

mecdns_type_class_t mecdns_type_class(uint16_t type)
{
	switch (type) {
	case T_SOA:
	case T_NS:
	case T_DS:
	case T_DNSKEY:
	case T_RRSIG:
	case T_NSEC:
	case T_NSEC3:
	case T_NSEC3PARAM:
	case T_CDS:
	case T_CDNSKEY:
		return MECDNS_TYPE_ZONE;
	case T_DNAME:
	case T_SIG:
	case T_KEY:
	case T_NXT:
		return MECDNS_TYPE_UNSUPPORTED;
	case 0:
	case T_OPT:
		return MECDNS_TYPE_META;
	default:
		return type >= 128 && type <= 255 ? MECDNS_TYPE_META : MECDNS_TYPE_SERVED;
	}
}

bool mecdns_type_served(uint16_t type)
{
	return mecdns_type_class(type) == MECDNS_TYPE_SERVED;
}

const char *mecdns_type_refusal(uint16_t type)
{
	switch (mecdns_type_class(type)) {
	case MECDNS_TYPE_SERVED:
		return NULL;
	case MECDNS_TYPE_ZONE:
		return "zone structure and DNSSEC records belong to the zone (queries for them "
		       "pass through to it)";
	case MECDNS_TYPE_UNSUPPORTED:
		return "mecdns does not serve it (DNAME redirection and obsolete DNSSEC types are "
		       "not implemented)";
	case MECDNS_TYPE_META:
		break;
	}
	return "it is not a data type (0, OPT, and the query and meta types 128-255)";
}

bool mecdns_qtype_passes(uint16_t qtype)
{
	switch (mecdns_type_class(qtype)) {
	case MECDNS_TYPE_ZONE:
		return true;
	case MECDNS_TYPE_META:
		/* OPT and TKEY, TSIG, IXFR, AXFR, MAILB, MAILA...; not type 0 and not
		 * ANY, which are answered (NODATA, or what mecdns has). */
		return qtype != 0 && qtype != MECDNS_TYPE_ANY;
	default:
		return false;
	}
}

uint32_t mecdns_answer_ttl(int64_t stored, uint32_t default_ttl)
{
	if (stored < 0) {
		return default_ttl;
	}
	return stored > INT32_MAX ? INT32_MAX : (uint32_t)stored;
}

void mecdns_answer_ttl_fold(uint32_t *rrset_ttl, uint32_t ttl)
{
	if (ttl < *rrset_ttl) {
		*rrset_ttl = ttl;
	}
}

int mecdns_cname_order(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	int cmp = memcmp(a, b, a_len < b_len ? a_len : b_len);
	if (cmp == 0 && a_len != b_len) {
		cmp = a_len < b_len ? -1 : 1;
	}
	return cmp;
}

/*! \brief Whether the character at name[pos] is escaped by backslashes. */
static bool escaped(const char *name, size_t pos)
{
	size_t backslashes = 0;
	while (pos > backslashes && name[pos - backslashes - 1] == '\\') {
		backslashes++;
	}
	return backslashes % 2 == 1;
}

bool mecdns_zone_apex(const char *owner, const char *zone)
{
	return strcmp(owner, zone) == 0;
}

const char *mecdns_name_parent(const char *name)
{
	if (strcmp(name, ".") == 0) {
		return NULL;
	}
	for (size_t i = 0; name[i] != '\0'; i++) {
		if (name[i] == '.' && !escaped(name, i)) {
			return name[i + 1] != '\0' ? name + i + 1 : ".";
		}
	}
	return NULL;
}

bool mecdns_name_in_zone(const char *owner, const char *zone)
{
	if (strcmp(zone, ".") == 0) {
		return true;
	}
	size_t owner_len = strlen(owner);
	size_t zone_len = strlen(zone);
	if (owner_len < zone_len || strcmp(owner + owner_len - zone_len, zone) != 0) {
		return false;
	}
	if (owner_len == zone_len) {
		return true;
	}
	/* The zone must start at a label: after a dot that is not "\.". */
	size_t dot = owner_len - zone_len - 1;
	return owner[dot] == '.' && !escaped(owner, dot);
}

char *mecdns_name_lower_absolute(const char *name)
{
	size_t len = strlen(name);
	bool dot = len > 0 && name[len - 1] == '.';
	char *out = malloc(len + 2);
	if (out == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (!dot) {
		out[len++] = '.';
	}
	out[len] = '\0';
	return out;
}

/*! Header (12) and the question's type and class (4). */
#define ANSWER_FIXED 16
/*! A record's compressed owner (2), type, class, TTL and length (10). */
#define ANSWER_PER_RECORD 12
/*! OPT (11) with client subnet (4 + 4 + 16), cookie (4 + 40) and EDE room. */
#define ANSWER_EDNS_ROOM 128

uint64_t mecdns_answer_size(const char *owner_text, uint64_t records, uint64_t rdata_bytes)
{
	uint64_t owner = strlen(owner_text) + 1;
	return ANSWER_FIXED + owner + ANSWER_EDNS_ROOM + records * ANSWER_PER_RECORD + rdata_bytes;
}

bool mecdns_answer_fits(const char *owner_text, uint64_t records, uint64_t rdata_bytes)
{
	return mecdns_answer_size(owner_text, records, rdata_bytes) <= MECDNS_MESSAGE_MAX;
}

bool mecdns_type_allowed_at(uint16_t type, const char *owner, const char *zone)
{
	return type != MECDNS_TYPE_CNAME || strcmp(owner, zone) != 0;
}
