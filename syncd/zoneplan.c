/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd zone sync: the plan -- the desired view of a zone (the
 *  module's answer semantics, common/answer.h), the actual view (zone-read)
 *  and the changes that turn one into the other. Pure: no thread, no socket
 *  (see zoneplan.h). */

#include "common/array.h"
#include "syncd/zoneplan.h"

/*** Small helpers. ***/

/*! \brief Serial number arithmetic (RFC 1982): a is before b. */
bool zoneplan_serial_before(uint32_t a, uint32_t b)
{
	return a != b && (int32_t)(a - b) < 0;
}

void zoneplan_recs_free(recs_t *recs)
{
	for (size_t i = 0; i < recs->count; i++) {
		free(recs->items[i].owner);
		free(recs->items[i].text);
		free(recs->items[i].wire);
	}
	free(recs->items);
	memset(recs, 0, sizeof(*recs));
}

/*! \brief Appends a record (copies owner, text, wire); false without memory. */
bool zoneplan_recs_push(recs_t *recs, const char *owner, uint16_t type, uint32_t ttl,
                        const char *text, const uint8_t *wire, uint16_t wire_len)
{
	rec_t *items =
	    mecdns_array_room(recs->items, recs->count, &recs->capacity, sizeof(*items), 16);
	if (items == NULL) {
		return false;
	}
	recs->items = items;
	rec_t *rec = &recs->items[recs->count];
	memset(rec, 0, sizeof(*rec));
	rec->owner = strdup(owner);
	rec->text = strdup(text);
	if (wire != NULL) {
		rec->wire = malloc(wire_len > 0 ? wire_len : 1);
		if (rec->wire != NULL && wire_len > 0) {
			memcpy(rec->wire, wire, wire_len);
		}
	}
	if (rec->owner == NULL || rec->text == NULL || (wire != NULL && rec->wire == NULL)) {
		free(rec->owner);
		free(rec->text);
		free(rec->wire);
		return false;
	}
	rec->type = type;
	rec->ttl = ttl;
	rec->wire_len = wire_len;
	recs->count++;
	return true;
}

static int compare_recs(const void *a, const void *b)
{
	const rec_t *x = a;
	const rec_t *y = b;
	int cmp = strcmp(x->owner, y->owner);
	return cmp != 0 ? cmp : (int)x->type - (int)y->type;
}

void zoneplan_recs_sort(recs_t *recs)
{
	if (recs->count > 1) {
		qsort(recs->items, recs->count, sizeof(recs->items[0]), compare_recs);
	}
}

/*! A run of records of one owner (and type) in a sorted list. */
typedef struct {
	rec_t *items;
	size_t count;
} span_t;

/*! \brief The records of owner (type 0: of every type) in a sorted list. */
static span_t recs_find(const recs_t *recs, const char *owner, uint16_t type)
{
	size_t lo = 0, hi = recs->count;
	while (lo < hi) { /* First record not before (owner, type). */
		size_t mid = lo + (hi - lo) / 2;
		const rec_t *rec = &recs->items[mid];
		int cmp = strcmp(rec->owner, owner);
		if (cmp < 0 || (cmp == 0 && rec->type < type)) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	size_t end = lo;
	while (end < recs->count && strcmp(recs->items[end].owner, owner) == 0 &&
	       (type == 0 || recs->items[end].type == type)) {
		end++;
	}
	return (span_t){ .items = recs->items + lo, .count = end - lo };
}

static bool same_wire(const rec_t *a, const rec_t *b)
{
	return a->wire != NULL && b->wire != NULL && a->wire_len == b->wire_len &&
	       memcmp(a->wire, b->wire, a->wire_len) == 0;
}

static const rec_t *span_find_wire(span_t span, const rec_t *rec)
{
	const rec_t *items = span.items; /* Points into the list, not into span. */
	for (size_t i = 0; i < span.count; i++) {
		if (same_wire(items + i, rec)) {
			return items + i;
		}
	}
	return NULL;
}

/*! \brief Whether knotd's rrset equals the desired one (records and TTL). */
static bool span_equal(span_t actual, span_t desired)
{
	if (actual.count != desired.count) {
		return false;
	}
	for (size_t i = 0; i < desired.count; i++) {
		const rec_t *found = span_find_wire(actual, &desired.items[i]);
		if (found == NULL || found->ttl != desired.items[i].ttl) {
			return false;
		}
	}
	return true;
}

bool zoneplan_names_push(names_t *names, char *name)
{
	char **items =
	    mecdns_array_room(names->items, names->count, &names->capacity, sizeof(*items), 16);
	if (items == NULL) {
		return false;
	}
	names->items = items;
	names->items[names->count++] = name;
	return true;
}

/*! \brief The names as the store's owner list: never NULL (a NULL list
 *         means "the whole zone" to the store), even when empty. */
char *const *zoneplan_owner_list(const names_t *names)
{
	static char *const none[1] = { NULL };
	return names->items != NULL ? names->items : none;
}

int zoneplan_compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void zoneplan_names_sort_unique(names_t *names)
{
	if (names->count < 2) {
		return;
	}
	qsort(names->items, names->count, sizeof(names->items[0]), zoneplan_compare_names);
	size_t out = 1;
	for (size_t i = 1; i < names->count; i++) {
		if (strcmp(names->items[i], names->items[out - 1]) != 0) {
			names->items[out++] = names->items[i];
		}
	}
	names->count = out;
}

/*** The desired view: the module's answer semantics. ***/

/*!
 * \brief Merges the rows of one owner (sorted by type) into answers: types
 *        mecdns serves, a CNAME excludes every other type (the smallest
 *        target wins, as in the module), duplicates removed, one TTL per
 *        rrset (the smallest contributing; rules without one: default_ttl).
 */
static bool desired_owner(recs_t *out, const mecdns_zone_record_t *rows, size_t count,
                          uint32_t default_ttl)
{
	bool cname = false;
	for (size_t i = 0; i < count; i++) {
		cname |= rows[i].type == MECDNS_TYPE_CNAME;
	}
	size_t first = out->count;
	for (size_t i = 0; i < count; i++) {
		const mecdns_zone_record_t *row = &rows[i];
		if ((cname && row->type != MECDNS_TYPE_CNAME) || !mecdns_type_served(row->type)) {
			continue;
		}
		uint32_t ttl = mecdns_answer_ttl(row->ttl, default_ttl);
		rec_t probe = { .wire = row->wire, .wire_len = row->wire_len };
		bool duplicate = false;
		for (size_t j = first; j < out->count; j++) {
			rec_t *have = &out->items[j];
			if (have->type != row->type) {
				continue;
			}
			mecdns_answer_ttl_fold(&have->ttl, ttl);
			duplicate |= same_wire(have, &probe);
			if (row->type == MECDNS_TYPE_CNAME && !duplicate) {
				/* One CNAME: keep the smaller target (memcmp of the wire). */
				duplicate = true;
				if (mecdns_cname_order(row->wire, row->wire_len, have->wire,
				                       have->wire_len) < 0) {
					char *text = strdup(row->text);
					uint8_t *wire =
					    malloc(row->wire_len > 0 ? row->wire_len : 1);
					if (text == NULL || wire == NULL) {
						free(text);
						free(wire);
						return false;
					}
					memcpy(wire, row->wire, row->wire_len);
					free(have->text);
					free(have->wire);
					have->text = text;
					have->wire = wire;
					have->wire_len = row->wire_len;
				}
			}
		}
		if (!duplicate && !zoneplan_recs_push(out, row->owner, row->type, ttl, row->text,
		                                      row->wire, row->wire_len)) {
			return false;
		}
	}
	/* One TTL per rrset: the smallest seen (a later row may have lowered it). */
	for (size_t i = first; i < out->count; i++) {
		for (size_t j = first; j < out->count; j++) {
			if (out->items[j].type == out->items[i].type) {
				mecdns_answer_ttl_fold(&out->items[i].ttl, out->items[j].ttl);
			}
		}
	}
	return true;
}

/*! \brief The desired view of a snapshot (rows sorted by owner, type). */
bool zoneplan_desired_from_snapshot(recs_t *out, const mecdns_zone_snapshot_t *snap,
                                    const char *zone, uint32_t default_ttl)
{
	const mecdns_zone_record_list_t *rows = &snap->records;
	size_t i = 0;
	while (i < rows->count) {
		size_t end = i + 1;
		while (end < rows->count &&
		       strcmp(rows->items[end].owner, rows->items[i].owner) == 0) {
			end++;
		}
		/* The apex is the operator's, as in the module (common/answer.h). */
		if (mecdns_zone_apex(rows->items[i].owner, zone)) {
			i = end;
			continue;
		}
		if (!desired_owner(out, rows->items + i, end - i, default_ttl)) {
			return false;
		}
		i = end;
	}
	zoneplan_recs_sort(out);
	return true;
}

/*** The actual view: zone-read. ***/

typedef struct {
	recs_t *recs;
	bool failed;
} read_ctx_t;

/*! \brief Keeps one record knotd serves, with its wire form. */
static int on_actual_record(const knotctl_record_t *record, void *arg)
{
	read_ctx_t *ctx = arg;
	uint16_t type = 0;
	if (knot_rrtype_from_string(record->type, &type) != 0) {
		return 0;
	}
	char owner[KNOT_DNAME_TXT_MAXLEN + 1];
	snprintf(owner, sizeof(owner), "%s", record->owner);
	for (char *c = owner; *c != '\0'; c++) {
		if (*c >= 'A' && *c <= 'Z') {
			*c = (char)(*c - 'A' + 'a');
		}
	}
	uint8_t *wire = NULL;
	uint16_t wire_len = 0;
	char *canonical = NULL;
	char err[256];
	if (!mecdns_rdata_parse(owner, type, record->rdata, &wire, &wire_len, &canonical, err,
	                        sizeof(err))) {
		wire = NULL; /* Kept, but never equal to anything. */
	}
	bool ok =
	    zoneplan_recs_push(ctx->recs, owner, type, record->ttl, record->rdata, wire, wire_len);
	free(wire);
	free(canonical);
	if (!ok) {
		ctx->failed = true;
		return KNOT_ENOMEM;
	}
	return 0;
}

/*! \brief Reads the zone (owners NULL) or the listed owners from knotd. */
int zoneplan_read_actual(knotctl_t *ctl, const char *zone, const names_t *owners, recs_t *out)
{
	read_ctx_t ctx = { .recs = out };
	if (owners == NULL) {
		int ret = knotctl_zone_read(ctl, zone, NULL, NULL, on_actual_record, &ctx);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	for (size_t i = 0; owners != NULL && i < owners->count; i++) {
		int ret =
		    knotctl_zone_read(ctl, zone, owners->items[i], NULL, on_actual_record, &ctx);
		if (ret != KNOT_EOK && ret != KNOT_ENONODE) {
			return ret;
		}
	}
	zoneplan_recs_sort(out);
	return ctx.failed ? KNOT_ENOMEM : KNOT_EOK;
}

/*** Planning. ***/

static bool ops_push(ops_t *ops, const char *owner, uint16_t type, uint32_t ttl, const char *text)
{
	op_t *items = mecdns_array_room(ops->items, ops->count, &ops->capacity, sizeof(*items), 16);
	if (items == NULL) {
		return false;
	}
	ops->items = items;
	ops->items[ops->count++] = (op_t){ owner, type, ttl, text };
	return true;
}

void zoneplan_plan_free(plan_t *plan)
{
	free(plan->unsets.items);
	free(plan->sets.items);
	zoneplan_recs_free(&plan->owned);
	for (size_t i = 0; i < plan->conflict_count; i++) {
		free(plan->conflicts[i].owner);
	}
	free(plan->conflicts);
	memset(plan, 0, sizeof(*plan));
}

static void plan_conflict(plan_t *plan, const char *owner, uint16_t type)
{
	conflict_t *grown =
	    realloc(plan->conflicts, (plan->conflict_count + 1) * sizeof(*plan->conflicts));
	if (grown == NULL) {
		plan->failed = true;
		return;
	}
	plan->conflicts = grown;
	conflict_t *conflict = &plan->conflicts[plan->conflict_count];
	conflict->owner = strdup(owner);
	conflict->type = type;
	if (conflict->owner == NULL) {
		plan->failed = true;
		return;
	}
	plan->conflict_count++;
}

/*! \brief Whether knotd has, at owner, operator data of a type that cannot
 *         live beside `type` (CNAME beside anything but DNSSEC records). */
static bool cname_clash(span_t actual_owner, const recs_t *owned, const char *owner, uint16_t type)
{
	for (size_t i = 0; i < actual_owner.count; i++) {
		uint16_t other = actual_owner.items[i].type;
		if (other == type || other == KNOT_RRTYPE_RRSIG || other == KNOT_RRTYPE_NSEC ||
		    recs_find(owned, owner, other).count > 0) {
			continue;
		}
		if (type == KNOT_RRTYPE_CNAME || other == KNOT_RRTYPE_CNAME) {
			return true;
		}
	}
	return false;
}

/*! \brief Plans one owner: per type of desired ∪ owned, see zonesync.h. */
void zoneplan_plan_owner(plan_t *plan, const char *owner, const recs_t *desired,
                         const recs_t *owned, const recs_t *actual)
{
	span_t want_all = recs_find(desired, owner, 0);
	span_t own_all = recs_find(owned, owner, 0);
	span_t have_all = recs_find(actual, owner, 0);
	/* Types of desired ∪ owned, in order (both spans are sorted by type). */
	size_t d = 0, o = 0;
	while (!plan->failed && (d < want_all.count || o < own_all.count)) {
		uint16_t type;
		if (o >= own_all.count ||
		    (d < want_all.count && want_all.items[d].type <= own_all.items[o].type)) {
			type = want_all.items[d].type;
		} else {
			type = own_all.items[o].type;
		}
		span_t want = recs_find(desired, owner, type);
		span_t own = recs_find(owned, owner, type);
		span_t have = recs_find(actual, owner, type);
		while (d < want_all.count && want_all.items[d].type == type) {
			d++;
		}
		while (o < own_all.count && own_all.items[o].type == type) {
			o++;
		}

		bool conflict = want.count > 0 &&
		                ((own.count == 0 && have.count > 0 && !span_equal(have, want)) ||
		                 cname_clash(have_all, owned, owner, type));
		if (conflict) {
			plan_conflict(plan, owner, type);
		}
		if (want.count == 0 || conflict) {
			/* Remove what syncd wrote there and knotd still has. */
			for (size_t i = 0; i < own.count; i++) {
				const rec_t *found = span_find_wire(have, &own.items[i]);
				if (found != NULL &&
				    !ops_push(&plan->unsets, owner, type, 0, found->text)) {
					plan->failed = true;
				}
			}
			continue;
		}
		if (!span_equal(have, want)) {
			if (have.count > 0 && !ops_push(&plan->unsets, owner, type, 0, NULL)) {
				plan->failed = true;
			}
			for (size_t i = 0; i < want.count; i++) {
				if (!ops_push(&plan->sets, owner, type, want.items[i].ttl,
				              want.items[i].text)) {
					plan->failed = true;
				}
			}
		}
		for (size_t i = 0; i < want.count; i++) {
			const rec_t *rec = &want.items[i];
			if (!zoneplan_recs_push(&plan->owned, rec->owner, rec->type, rec->ttl,
			                        rec->text, rec->wire, rec->wire_len)) {
				plan->failed = true;
			}
		}
	}
}
