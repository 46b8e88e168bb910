/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns index: owner entries (what is answered at one name), built by
 *  the refresher and immutable once a transaction holds them. */

#include <stdlib.h>
#include <string.h>

#include "common/answer.h"
#include "module/index.h"
#include "module/owner_block.h"

/*! \brief Whether a wire name fills [name, end) exactly, uncompressed. */
static bool dname_fills(const uint8_t *name, const uint8_t *end)
{
	if (name == NULL || name >= end) {
		return false;
	}
	int size = knot_dname_wire_check(name, end, NULL);
	return size > 0 && name + size == end;
}

/*! \brief Whether rdata is one or more character-strings, exactly. */
static bool txt_valid(const uint8_t *rdata, uint16_t len)
{
	size_t pos = 0;
	while (pos < len) {
		pos += 1 + rdata[pos];
	}
	return len > 0 && pos == len;
}

/*! \brief Checks the rdata of the types mecdns serves; others pass as they
 *         are (their source already parsed them). */
static bool rdata_valid(uint16_t type, const uint8_t *rdata, uint16_t len)
{
	if (rdata == NULL && len > 0) {
		return false;
	}

	switch (type) {
	case KNOT_RRTYPE_A:
		return len == 4;
	case KNOT_RRTYPE_AAAA:
		return len == 16;
	case KNOT_RRTYPE_CNAME:
		return dname_fills(rdata, rdata + len);
	case KNOT_RRTYPE_SRV:
		/* Priority, weight, port, then the target name. */
		return len > 6 && dname_fills(rdata + 6, rdata + len);
	case KNOT_RRTYPE_TXT:
		return txt_valid(rdata, len);
	default:
		return true;
	}
}

mecdns_owner_t *mecdns_owner_new(const knot_dname_t *owner)
{
	size_t size = knot_dname_size(owner);
	if (size == 0) {
		return NULL;
	}

	owner_block_t *block = malloc(sizeof(*block) + size);
	if (block == NULL) {
		return NULL;
	}
	knot_dname_copy_lower(block->owner, owner);
	knot_rrset_init_empty(&block->first_rrset);
	block->fresh = false;
	block->entry = (mecdns_owner_t){
		.owner = block->owner,
		.rrsets = &block->first_rrset,
	};
	return &block->entry;
}

/*! \brief Drops every rrset of an entry (the rrset array returns inline). */
static void owner_clear(mecdns_owner_t *entry)
{
	owner_block_t *block = owner_block(entry);

	for (uint16_t i = 0; i < entry->rrset_count; i++) {
		knot_rdataset_clear(&entry->rrsets[i].rrs, NULL);
	}
	if (entry->rrsets != &block->first_rrset) {
		free(entry->rrsets);
	}
	knot_rrset_init_empty(&block->first_rrset);
	entry->rrsets = &block->first_rrset;
	entry->rrset_count = 0;
	entry->cname = false;
}

void mecdns_owner_free(mecdns_owner_t *entry)
{
	if (entry == NULL) {
		return;
	}
	for (uint16_t i = 0; i < entry->scoped_count; i++) {
		mecdns_owner_free(entry->scoped[i].entry);
	}
	free(entry->scoped);
	owner_clear(entry);
	free(owner_block(entry));
}

/*! \brief Position of a type's rrset, or where it belongs; true if found. */
static bool owner_rrset_pos(const mecdns_owner_t *entry, uint16_t type, uint16_t *pos)
{
	uint16_t i = 0;
	while (i < entry->rrset_count && entry->rrsets[i].type < type) {
		i++;
	}
	*pos = i;
	return i < entry->rrset_count && entry->rrsets[i].type == type;
}

/*! \brief Inserts an empty rrset at pos, keeping the order by type. While an
 *         entry has at most one rrset it lives in the entry's block. */
static int owner_rrset_insert(mecdns_owner_t *entry, uint16_t pos, uint16_t type, uint32_t ttl)
{
	owner_block_t *block = owner_block(entry);
	uint16_t count = entry->rrset_count;

	if (count == UINT16_MAX) {
		return KNOT_ESPACE;
	}
	if (count > 0) {
		size_t size = (count + 1) * sizeof(knot_rrset_t);
		knot_rrset_t *grown;
		if (entry->rrsets == &block->first_rrset) {
			grown = malloc(size);
			if (grown == NULL) {
				return KNOT_ENOMEM;
			}
			grown[0] = block->first_rrset;
			knot_rrset_init_empty(&block->first_rrset);
		} else {
			grown = realloc(entry->rrsets, size);
			if (grown == NULL) {
				return KNOT_ENOMEM;
			}
		}
		memmove(&grown[pos + 1], &grown[pos], (count - pos) * sizeof(*grown));
		entry->rrsets = grown;
	}

	knot_rrset_init(&entry->rrsets[pos], entry->owner, type, KNOT_CLASS_IN, ttl);
	entry->rrset_count = count + 1;
	return KNOT_EOK;
}

/*! \brief Undoes owner_rrset_insert() of a still empty rrset. */
static void owner_rrset_remove(mecdns_owner_t *entry, uint16_t pos)
{
	assert(entry->rrsets[pos].rrs.count == 0);
	entry->rrset_count -= 1;
	memmove(&entry->rrsets[pos], &entry->rrsets[pos + 1],
	        (entry->rrset_count - pos) * sizeof(knot_rrset_t));
}

/*!
 * \brief Adds a CNAME. The first one replaces every other type; of several
 *        targets the canonically smallest is kept, so the answer does not
 *        depend on the order the database returns its rows in.
 */
static int owner_add_cname(mecdns_owner_t *entry, uint32_t ttl, const uint8_t *rdata,
                           uint16_t rdata_len)
{
	/* The target is a validated name, so it fits (with knot's padding). */
	_Alignas(knot_rdata_t) uint8_t buffer[sizeof(knot_rdata_t) + KNOT_DNAME_MAXLEN + 1];
	knot_rdata_t *target = (knot_rdata_t *)buffer;
	assert(rdata_len <= KNOT_DNAME_MAXLEN);
	knot_rdata_init(target, rdata_len, rdata);

	knot_rrset_t *cname = &entry->rrsets[0];
	if (entry->cname) {
		mecdns_answer_ttl_fold(&cname->ttl, ttl);
		const knot_rdata_t *have = cname->rrs.rdata;
		if (mecdns_cname_order(rdata, rdata_len, have->data, have->len) >= 0) {
			return KNOT_EOK;
		}
	}

	knot_rdataset_t rrs;
	knot_rdataset_init(&rrs);
	int ret = knot_rdataset_add(&rrs, target, NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}

	if (entry->cname) {
		knot_rdataset_clear(&cname->rrs, NULL);
		cname->rrs = rrs;
		return KNOT_EOK;
	}

	owner_clear(entry);
	cname = &entry->rrsets[0];
	knot_rrset_init(cname, entry->owner, KNOT_RRTYPE_CNAME, KNOT_CLASS_IN, ttl);
	cname->rrs = rrs;
	entry->rrset_count = 1;
	entry->cname = true;
	return KNOT_EOK;
}

int mecdns_owner_add(mecdns_owner_t *entry, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                     uint16_t rdata_len)
{
	if (entry == NULL || !rdata_valid(type, rdata, rdata_len)) {
		return KNOT_EINVAL;
	}
	if (type == KNOT_RRTYPE_CNAME) {
		return owner_add_cname(entry, ttl, rdata, rdata_len);
	}
	if (entry->cname) {
		return KNOT_EOK; /* A CNAME excludes every other type. */
	}

	uint16_t pos;
	bool found = owner_rrset_pos(entry, type, &pos);
	if (!found) {
		int ret = owner_rrset_insert(entry, pos, type, ttl);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}

	knot_rrset_t *rrset = &entry->rrsets[pos];
	if (rrset->rrs.count == UINT16_MAX) {
		return KNOT_ESPACE;
	}
	int ret = knot_rrset_add_rdata(rrset, rdata, rdata_len, NULL);
	if (ret != KNOT_EOK) {
		if (!found) {
			owner_rrset_remove(entry, pos);
		}
		return ret;
	}
	mecdns_answer_ttl_fold(&rrset->ttl, ttl);
	return KNOT_EOK;
}

const knot_rrset_t *mecdns_owner_rrset(const mecdns_owner_t *entry, uint16_t type)
{
	if (entry == NULL) {
		return NULL;
	}
	uint16_t pos;
	return owner_rrset_pos(entry, type, &pos) ? &entry->rrsets[pos] : NULL;
}

size_t mecdns_owner_records(const mecdns_owner_t *entry)
{
	if (entry == NULL) {
		return 0;
	}
	size_t records = 0;
	for (uint16_t i = 0; i < entry->rrset_count; i++) {
		records += entry->rrsets[i].rrs.count;
	}
	for (uint16_t i = 0; i < entry->scoped_count; i++) {
		records += mecdns_owner_records(entry->scoped[i].entry);
	}
	return records;
}

/*** Client-subnet scopes. ***/

/*! \brief Order of scopes: most specific first, then by family and address
 *         (so an entry's scopes have one order whatever the rows' order). */
static int scope_order(const mecdns_subnet_t *a, const mecdns_subnet_t *b)
{
	if (a->length != b->length) {
		return a->length > b->length ? -1 : 1;
	}
	if (a->family != b->family) {
		return a->family < b->family ? -1 : 1;
	}
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

/*! \brief The first scope at or after subnet in scope_order (count if none). */
static uint16_t scope_search(const mecdns_scoped_t *scoped, uint16_t count,
                             const mecdns_subnet_t *subnet)
{
	uint16_t lo = 0, hi = count;
	while (lo < hi) {
		uint16_t mid = (uint16_t)(lo + (hi - lo) / 2);
		if (scope_order(&scoped[mid].subnet, subnet) < 0) {
			lo = (uint16_t)(mid + 1);
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*! \brief Bit of a type in mecdns_owner_t.scoped_types. */
static uint8_t scoped_type_bit(uint16_t type)
{
	return type == KNOT_RRTYPE_A ? 1 : type == KNOT_RRTYPE_AAAA ? 2 : 4;
}

int mecdns_owner_add_scoped(mecdns_owner_t *entry, const mecdns_subnet_t *subnet, uint16_t type,
                            uint32_t ttl, const uint8_t *rdata, uint16_t rdata_len)
{
	if (entry == NULL || subnet == NULL) {
		return KNOT_EINVAL;
	}
	uint16_t count = entry->scoped_count;
	uint16_t pos = scope_search(entry->scoped, count, subnet);
	if (pos == count || scope_order(&entry->scoped[pos].subnet, subnet) != 0) {
		if (count == UINT16_MAX) {
			return KNOT_ESPACE;
		}
		mecdns_owner_t *scoped = mecdns_owner_new(entry->owner);
		if (scoped == NULL) {
			return KNOT_ENOMEM;
		}
		/* The array doubles: its capacity is count rounded up to a power
		 * of two, so it grows when count is one (or 0). */
		if ((count & (count - 1)) == 0) {
			size_t room = count == 0 ? 1 : 2 * (size_t)count;
			mecdns_scoped_t *grown = realloc(entry->scoped, room * sizeof(*grown));
			if (grown == NULL) {
				mecdns_owner_free(scoped);
				return KNOT_ENOMEM;
			}
			entry->scoped = grown;
		}
		memmove(&entry->scoped[pos + 1], &entry->scoped[pos],
		        (size_t)(count - pos) * sizeof(*entry->scoped));
		entry->scoped[pos] = (mecdns_scoped_t){ .subnet = *subnet, .entry = scoped };
		entry->scoped_count++;
	}
	int ret = mecdns_owner_add(entry->scoped[pos].entry, type, ttl, rdata, rdata_len);
	if (ret == KNOT_EOK) {
		entry->scoped_types |= scoped_type_bit(type);
	}
	return ret;
}

int mecdns_owner_mark_report(mecdns_owner_t *entry, const mecdns_subnet_t *subnet)
{
	if (entry == NULL || subnet == NULL) {
		return KNOT_EINVAL;
	}
	uint16_t pos = scope_search(entry->scoped, entry->scoped_count, subnet);
	if (pos == entry->scoped_count || scope_order(&entry->scoped[pos].subnet, subnet) != 0) {
		return KNOT_ENOENT;
	}
	entry->scoped[pos].report = true;
	entry->scoped_types |= MECDNS_SCOPED_REPORT;
	return KNOT_EOK;
}

/*! \brief The rrset an entry's own records answer for qtype, or NULL. */
static const knot_rrset_t *own_answer(const mecdns_owner_t *entry, uint16_t qtype)
{
	if (qtype == KNOT_RRTYPE_ANY || entry->cname) {
		return entry->rrset_count > 0 ? &entry->rrsets[0] : NULL;
	}
	return mecdns_owner_rrset(entry, qtype);
}

/*! \brief Whether a scope answers qtype (so it decides, or matters to SCOPE). */
static bool scope_has(const mecdns_scoped_t *scope, uint16_t qtype)
{
	return own_answer(scope->entry, qtype) != NULL;
}

/*!
 * \brief Longest common prefix, in bits (at most the client's known bits),
 *        of the client and the scopes of [from, to) that answer qtype,
 *        around position at (their addresses are sorted: the longest common
 *        prefix is found next to where the client would stand). -1 when
 *        none of them answers qtype.
 */
static int nearest_common(const mecdns_scoped_t *scoped, uint16_t from, uint16_t to, uint16_t at,
                          uint16_t qtype, const mecdns_client_t *client)
{
	int best = -1;
	for (uint16_t i = at; i > from; i--) {
		if (scope_has(&scoped[i - 1], qtype)) {
			best = (int)mecdns_subnet_common_bits(&scoped[i - 1].subnet, client->addr,
			                                      client->bits);
			break;
		}
	}
	for (uint16_t i = at; i < to; i++) {
		if (scope_has(&scoped[i], qtype)) {
			int common = (int)mecdns_subnet_common_bits(&scoped[i].subnet, client->addr,
			                                            client->bits);
			best = common > best ? common : best;
			break;
		}
	}
	return best;
}

const knot_rrset_t *mecdns_owner_answer(const mecdns_owner_t *entry, uint16_t qtype,
                                        const mecdns_client_t *client, uint8_t *scope_len)
{
	return mecdns_owner_decide(entry, qtype, client, scope_len, NULL);
}

const knot_rrset_t *mecdns_owner_decide(const mecdns_owner_t *entry, uint16_t qtype,
                                        const mecdns_client_t *client, uint8_t *scope_len,
                                        const mecdns_subnet_t **decided)
{
	*scope_len = 0;
	if (decided != NULL) {
		*decided = NULL;
	}
	if (entry->cname) {
		return &entry->rrsets[0];
	}
	uint8_t bit = qtype == KNOT_RRTYPE_ANY ? 0xff : scoped_type_bit(qtype);
	if (client == NULL || client->family == 0 || (entry->scoped_types & bit) == 0) {
		return own_answer(entry, qtype);
	}
	/* Scopes come most specific first, in runs of one length and family,
	 * each sorted by address: per run, a binary search finds the one
	 * subnet that may hold the client. The first that holds it and has
	 * the type decides. The runs passed on the way are more specific and
	 * give other clients another answer: SCOPE grows until the client's
	 * prefix of that length overlaps none of their subnets with the type,
	 * so a resolver's cache never hands this answer to their devices
	 * (RFC 7871 7.2.1; longer than the ECS source when the source was too
	 * short to tell). */
	const mecdns_scoped_t *scoped = entry->scoped;
	uint16_t count = entry->scoped_count;
	unsigned cover = 0;
	for (uint16_t run = 0; run < count;) {
		mecdns_subnet_t key = scoped[run].subnet;
		/* The run's end: the first scope ordered after every subnet of
		 * this length and family (the all-ones address). */
		mecdns_subnet_t last = key;
		memset(last.addr, 0xff, sizeof(last.addr));
		uint16_t end = scope_search(scoped, count, &last);
		while (end < count && scope_order(&scoped[end].subnet, &last) == 0) {
			end++;
		}
		if (key.family != client->family) {
			run = end;
			continue;
		}
		/* The client's address cut to the run's length (or to the bits
		 * it has), where it stands among the run's subnets. */
		unsigned cut = key.length < client->bits ? key.length : client->bits;
		memset(key.addr, 0, sizeof(key.addr));
		memcpy(key.addr, client->addr, (cut + 7) / 8);
		if (cut % 8 != 0) {
			key.addr[cut / 8] &= (uint8_t)(0xff << (8 - cut % 8));
		}
		uint16_t at =
		    (uint16_t)(run + scope_search(scoped + run, (uint16_t)(end - run), &key));
		if (key.length <= client->bits && at < end &&
		    memcmp(scoped[at].subnet.addr, key.addr, sizeof(key.addr)) == 0 &&
		    scope_has(&scoped[at], qtype)) {
			*scope_len = (uint8_t)(cover > key.length ? cover : key.length);
			if (decided != NULL) {
				*decided = &scoped[at].subnet;
			}
			return own_answer(scoped[at].entry, qtype);
		}
		int common = nearest_common(scoped, run, end, at, qtype, client);
		if (common >= 0 && (unsigned)common + 1 > cover) {
			cover = (unsigned)common + 1;
		}
		run = end;
	}
	*scope_len = (uint8_t)cover;
	return own_answer(entry, qtype);
}
