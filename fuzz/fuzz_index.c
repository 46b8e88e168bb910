/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  libFuzzer target: module/index.c, the module's in-memory index.
 *
 *  The input is a program over a few owner-name slots (as the refresher
 *  would read them from a hostile database: any text, any case):
 *    0 ADD     slot, type (2), ttl (4), rdata length (2), rdata
 *    1 REMOVE  slot
 *    2 COMMIT  (builds each touched owner's entry from its records)
 *    3 ABORT
 *    4 NAME    slot, length (1), text  (knot_dname_from_str, lower-cased)
 *  Each commit or abort is checked against a simple model: per owner, the
 *  records mecdns_owner_add() accepted; an rrset per type with its distinct
 *  rdata and smallest TTL, or only the CNAME rrset when a CNAME was
 *  accepted. Owner counts, record counts and the generation must match, and
 *  every slot's lookup must find exactly what the model holds. An entry
 *  left without records removes its owner, as mecdns_index_set() does.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "module/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS       8
#define MAX_OWNERS  16
#define MAX_RECORDS 64

typedef struct {
	uint16_t type;
	uint32_t ttl;
	uint16_t len;
	uint8_t *rdata;
} rec_t;

typedef struct {
	knot_dname_t *owner; /* lower-case */
	rec_t recs[MAX_RECORDS];
	size_t count;
} model_owner_t;

typedef struct {
	model_owner_t owners[MAX_OWNERS];
	size_t count;
} model_t;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

static model_owner_t *model_find(model_t *m, const knot_dname_t *owner)
{
	for (size_t i = 0; i < m->count; i++) {
		if (knot_dname_is_equal(m->owners[i].owner, owner)) {
			return &m->owners[i];
		}
	}
	return NULL;
}

static model_owner_t *model_get(model_t *m, const knot_dname_t *owner)
{
	model_owner_t *o = model_find(m, owner);
	if (o != NULL || m->count == MAX_OWNERS) {
		return o;
	}
	o = &m->owners[m->count++];
	memset(o, 0, sizeof(*o));
	o->owner = knot_dname_copy(owner, NULL);
	return o;
}

static void owner_clear(model_owner_t *o)
{
	for (size_t i = 0; i < o->count; i++) {
		free(o->recs[i].rdata);
	}
	o->count = 0;
}

static void model_remove(model_t *m, model_owner_t *o)
{
	owner_clear(o);
	knot_dname_free(o->owner, NULL);
	size_t i = (size_t)(o - m->owners);
	memmove(&m->owners[i], &m->owners[i + 1], (m->count - i - 1) * sizeof(*o));
	m->count--;
}

static void model_free(model_t *m)
{
	while (m->count > 0) {
		model_remove(m, &m->owners[m->count - 1]);
	}
}

/* Pending changes of the open transaction: a model of the touched owners,
 * an owner with a NULL-record list and `removed` set meaning "remove". */
typedef struct {
	model_t touched;
	bool removed[MAX_OWNERS];
} pending_t;

static bool rdata_in(const knot_rdataset_t *rrs, const rec_t *r)
{
	knot_rdata_t *rd = rrs->rdata;
	for (uint16_t i = 0; i < rrs->count; i++) {
		if (rd->len == r->len && memcmp(rd->data, r->rdata, r->len) == 0) {
			return true;
		}
		rd = knot_rdataset_next(rd);
	}
	return false;
}

/* Checks one entry against the records the model accepted for it. */
static void check_entry(const mecdns_owner_t *e, const model_owner_t *o)
{
	bool cname = false;
	for (size_t i = 0; i < o->count; i++) {
		cname |= o->recs[i].type == KNOT_RRTYPE_CNAME;
	}
	if (!knot_dname_is_equal(e->owner, o->owner)) {
		FAIL("entry owner differs");
	}
	size_t types = 0, records = 0;
	for (size_t i = 0; i < o->count; i++) {
		const rec_t *r = &o->recs[i];
		if (cname && r->type != KNOT_RRTYPE_CNAME) {
			continue;
		}
		bool first_type = true, first_rdata = true;
		uint32_t min_ttl = r->ttl;
		for (size_t j = 0; j < o->count; j++) {
			const rec_t *q = &o->recs[j];
			if (q->type != r->type) {
				continue;
			}
			if (q->ttl < min_ttl) {
				min_ttl = q->ttl;
			}
			if (j < i) {
				first_type = false;
				if (q->len == r->len && memcmp(q->rdata, r->rdata, r->len) == 0) {
					first_rdata = false;
				}
			}
		}
		types += first_type;
		records += first_rdata;
		const knot_rrset_t *set = mecdns_owner_rrset(e, r->type);
		if (set == NULL) {
			FAIL("type %u missing", r->type);
		}
		if (set->ttl != min_ttl) {
			FAIL("type %u ttl %u, expected %u", r->type, set->ttl, min_ttl);
		}
		if (!cname && !rdata_in(&set->rrs, r)) {
			FAIL("type %u rdata missing", r->type);
		}
	}
	if (cname) {
		/* Only the CNAME rrset, with rdata among those accepted. */
		const knot_rrset_t *set = mecdns_owner_rrset(e, KNOT_RRTYPE_CNAME);
		if (!e->cname || e->rrset_count != 1 || set == NULL || set->rrs.count < 1 ||
		    set->rrs.count > records) {
			FAIL("CNAME entry wrong (cname %d, %u rrsets)", e->cname, e->rrset_count);
		}
		knot_rdata_t *rd = set->rrs.rdata;
		for (uint16_t k = 0; k < set->rrs.count; k++) {
			bool known = false;
			for (size_t i = 0; i < o->count && !known; i++) {
				known = o->recs[i].type == KNOT_RRTYPE_CNAME &&
				        o->recs[i].len == rd->len &&
				        memcmp(o->recs[i].rdata, rd->data, rd->len) == 0;
			}
			if (!known) {
				FAIL("CNAME rdata not added");
			}
			rd = knot_rdataset_next(rd);
		}
		return;
	}
	if (e->cname || e->rrset_count != types || mecdns_owner_records(e) != records) {
		FAIL("entry has %u rrsets / %zu records, expected %zu / %zu", e->rrset_count,
		     mecdns_owner_records(e), types, records);
	}
	for (uint16_t k = 1; k < e->rrset_count; k++) {
		if (e->rrsets[k - 1].type >= e->rrsets[k].type) {
			FAIL("rrsets not ordered by type");
		}
	}
}

static void check_index(const mecdns_index_t *idx, model_t *m, knot_dname_t **slots,
                        uint64_t generation)
{
	if (mecdns_index_generation(idx) != generation) {
		FAIL("generation %llu, expected %llu",
		     (unsigned long long)mecdns_index_generation(idx),
		     (unsigned long long)generation);
	}
	size_t records = 0, owners = 0;
	for (size_t i = 0; i < m->count; i++) {
		const mecdns_owner_t *e = mecdns_index_find(idx, m->owners[i].owner);
		if (e == NULL) {
			FAIL("owner %zu not found", i);
		}
		check_entry(e, &m->owners[i]);
		records += mecdns_owner_records(e);
		owners++;
	}
	if (mecdns_index_owners(idx) != owners || mecdns_index_records(idx) != records) {
		FAIL("index has %zu owners / %zu records, expected %zu / %zu",
		     mecdns_index_owners(idx), mecdns_index_records(idx), owners, records);
	}
	for (size_t s = 0; s < SLOTS; s++) {
		if (slots[s] != NULL && model_find(m, slots[s]) == NULL &&
		    mecdns_index_find(idx, slots[s]) != NULL) {
			FAIL("slot %zu found but not in the model", s);
		}
	}
}

static bool take(const uint8_t **p, const uint8_t *end, void *out, size_t n)
{
	if ((size_t)(end - *p) < n) {
		return false;
	}
	memcpy(out, *p, n);
	*p += n;
	return true;
}

static knot_dname_t *name_from(const char *text)
{
	knot_dname_t *d = knot_dname_from_str_alloc(text);
	if (d != NULL) {
		knot_dname_to_lower(d);
	}
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *initial[SLOTS] = {
		"www.example.com.", "WWW.Example.COM.",       "example.com.", ".",
		"*.example.com.",   "_sip._udp.example.com.", "a.b.c.d.e.f.", "mec.",
	};
	knot_dname_t *slots[SLOTS];
	for (size_t s = 0; s < SLOTS; s++) {
		slots[s] = name_from(initial[s]);
	}
	static model_t model;
	static pending_t pending;
	memset(&model, 0, sizeof(model));
	memset(&pending, 0, sizeof(pending));

	mecdns_index_t *idx = mecdns_index_new();
	uint64_t generation = 0;
	if (idx == NULL) {
		goto out;
	}

	const uint8_t *p = data, *end = data + size;
	uint8_t op;
	while (take(&p, end, &op, 1)) {
		uint8_t slot = 0;
		switch (op % 5) {
		case 0: { /* ADD */
			uint16_t type, len;
			uint32_t ttl;
			if (!take(&p, end, &slot, 1) || !take(&p, end, &type, 2) ||
			    !take(&p, end, &ttl, 4) || !take(&p, end, &len, 2)) {
				goto done;
			}
			if ((size_t)(end - p) < len) {
				len = (uint16_t)(end - p);
			}
			knot_dname_t *owner = slots[slot % SLOTS];
			model_owner_t *o = owner ? model_get(&pending.touched, owner) : NULL;
			if (o != NULL && o->count < MAX_RECORDS) {
				pending.removed[o - pending.touched.owners] = false;
				rec_t *r = &o->recs[o->count++];
				r->type = type;
				r->ttl = ttl;
				r->len = len;
				r->rdata = malloc(len ? len : 1);
				memcpy(r->rdata, p, len);
			}
			p += len;
			break;
		}
		case 1: { /* REMOVE */
			if (!take(&p, end, &slot, 1)) {
				goto done;
			}
			knot_dname_t *owner = slots[slot % SLOTS];
			model_owner_t *o = owner ? model_get(&pending.touched, owner) : NULL;
			if (o != NULL) {
				owner_clear(o);
				pending.removed[o - pending.touched.owners] = true;
			}
			break;
		}
		case 2: { /* COMMIT */
			mecdns_index_txn_t *txn = mecdns_index_begin(idx);
			if (txn == NULL) {
				goto done;
			}
			for (size_t i = 0; i < pending.touched.count; i++) {
				model_owner_t *t = &pending.touched.owners[i];
				model_owner_t *o = model_find(&model, t->owner);
				mecdns_owner_t *entry = NULL;
				if (!pending.removed[i]) {
					entry = mecdns_owner_new(t->owner);
					if (entry == NULL) {
						FAIL("mecdns_owner_new failed");
					}
				}
				if (o != NULL) {
					model_remove(&model, o);
				}
				o = entry != NULL ? model_get(&model, t->owner) : NULL;
				if (o == NULL && entry != NULL) {
					/* Model full: remove the owner instead. */
					mecdns_owner_free(entry);
					entry = NULL;
				}
				for (size_t k = 0; entry != NULL && k < t->count; k++) {
					rec_t *r = &t->recs[k];
					int ret = mecdns_owner_add(entry, r->type, r->ttl, r->rdata,
					                           r->len);
					if (ret == KNOT_EOK && o != NULL) {
						o->recs[o->count] = *r;
						o->recs[o->count].rdata =
						    malloc(r->len ? r->len : 1);
						memcpy(o->recs[o->count].rdata, r->rdata, r->len);
						o->count++;
					} else if (ret != KNOT_EINVAL && ret != KNOT_EOK) {
						FAIL("mecdns_owner_add: %s", knot_strerror(ret));
					}
				}
				if (o != NULL && o->count == 0) {
					/* An entry without records removes the owner
					 * (module/index.c mecdns_index_set). */
					model_remove(&model, o);
				}
				if (mecdns_index_set(txn, t->owner, entry) != KNOT_EOK) {
					FAIL("mecdns_index_set failed");
				}
			}
			mecdns_index_garbage_t *garbage = NULL;
			mecdns_index_t *next = mecdns_index_commit(txn, generation + 1, &garbage);
			if (next == NULL) {
				FAIL("commit failed");
			}
			mecdns_index_garbage_free(garbage);
			idx = next;
			generation++;
			model_free(&pending.touched);
			memset(&pending, 0, sizeof(pending));
			check_index(idx, &model, slots, generation);
			break;
		}
		case 3: { /* ABORT */
			mecdns_index_txn_t *txn = mecdns_index_begin(idx);
			if (txn == NULL) {
				goto done;
			}
			for (size_t i = 0; i < pending.touched.count; i++) {
				model_owner_t *t = &pending.touched.owners[i];
				mecdns_owner_t *entry = NULL;
				if (!pending.removed[i]) {
					entry = mecdns_owner_new(t->owner);
					for (size_t k = 0; entry != NULL && k < t->count; k++) {
						rec_t *r = &t->recs[k];
						(void)mecdns_owner_add(entry, r->type, r->ttl,
						                       r->rdata, r->len);
					}
				}
				(void)mecdns_index_set(txn, t->owner, entry);
			}
			mecdns_index_abort(txn);
			model_free(&pending.touched);
			memset(&pending, 0, sizeof(pending));
			check_index(idx, &model, slots, generation);
			break;
		}
		case 4: { /* NAME */
			uint8_t len;
			char text[256];
			if (!take(&p, end, &slot, 1) || !take(&p, end, &len, 1) ||
			    !take(&p, end, text, len)) {
				goto done;
			}
			text[len] = '\0';
			knot_dname_t *d = name_from(text);
			if (d != NULL) {
				knot_dname_free(slots[slot % SLOTS], NULL);
				slots[slot % SLOTS] = d;
			}
			break;
		}
		}
	}
done:
	mecdns_index_free(idx);
out:
	model_free(&pending.touched);
	model_free(&model);
	for (size_t s = 0; s < SLOTS; s++) {
		knot_dname_free(slots[s], NULL);
	}
	return 0;
}
