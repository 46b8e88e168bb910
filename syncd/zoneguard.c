/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: the zone guard (see zoneguard.h). Every list is a sorted
 *  array of canonical names searched with bsearch, so a write costs a few
 *  lookups per label of its owner whatever the number of zones. */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/answer.h"
#include "common/clock.h"
#include "store/store.h"
#include "syncd/knotctl.h"
#include "syncd/zoneguard.h"

/*! A zone's delegations and NS targets are read again at most this often
 *  (a synced zone changes serial with every zone sync commit). */
#define NAMES_REFRESH_MS 5000

/*! A sorted set of canonical names. */
typedef struct {
	char **items;
	size_t count;
} names_t;

/*! One zone knotd serves. */
typedef struct {
	char *name;
	bool open; /*!< allow-zone or sync-zone: data may go below the apex. */
	bool read; /*!< cuts and targets were read (at serial). */
	uint32_t serial;
	long long read_ms; /*!< When (monotonic). */
	names_t cuts;      /*!< Owners of NS sets below the apex. */
	names_t targets;   /*!< NS targets inside the zone. */
} guard_zone_t;

struct zoneguard {
	pthread_mutex_t lock;
	names_t allowed;
	names_t synced;
	guard_zone_t *zones; /*!< Sorted by name. */
	size_t zone_count;
};

/*** Sorted name sets. ***/

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(names_t *names)
{
	for (size_t i = 0; i < names->count; i++) {
		free(names->items[i]);
	}
	free(names->items);
	names->items = NULL;
	names->count = 0;
}

/*! \brief A sorted, duplicate-free copy of names (lower-cased, absolute). */
static bool names_set(names_t *out, const char *const *names, size_t count)
{
	memset(out, 0, sizeof(*out));
	if (count == 0) {
		return true;
	}
	out->items = calloc(count, sizeof(*out->items));
	if (out->items == NULL) {
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		out->items[out->count] = mecdns_name_lower_absolute(names[i]);
		if (out->items[out->count] == NULL) {
			names_free(out);
			return false;
		}
		out->count++;
	}
	qsort(out->items, out->count, sizeof(*out->items), compare_names);
	size_t kept = 0;
	for (size_t i = 0; i < out->count; i++) {
		if (kept > 0 && strcmp(out->items[kept - 1], out->items[i]) == 0) {
			free(out->items[i]);
			continue;
		}
		out->items[kept++] = out->items[i];
	}
	out->count = kept;
	return true;
}

static bool names_has(const names_t *names, const char *name)
{
	return names->count > 0 && bsearch(&name, names->items, names->count, sizeof(*names->items),
	                                   compare_names) != NULL;
}

/*** The guard. ***/

zoneguard_t *zoneguard_new(char *const *allowed, size_t allowed_count, char *const *synced,
                           size_t synced_count, char *err, size_t err_len)
{
	for (size_t i = 0; i < allowed_count; i++) {
		char *canonical = mecdns_canonical_name(allowed[i]);
		if (canonical == NULL) {
			snprintf(err, err_len, "allow-zone \"%s\" is not a domain name",
			         allowed[i]);
			return NULL;
		}
		free(canonical);
	}
	zoneguard_t *guard = calloc(1, sizeof(*guard));
	if (guard == NULL ||
	    !names_set(&guard->allowed, (const char *const *)allowed, allowed_count) ||
	    !names_set(&guard->synced, (const char *const *)synced, synced_count)) {
		snprintf(err, err_len, "zone guard: out of memory");
		zoneguard_free(guard);
		return NULL;
	}
	pthread_mutex_init(&guard->lock, NULL);
	return guard;
}

static void zone_clear(guard_zone_t *zone)
{
	free(zone->name);
	names_free(&zone->cuts);
	names_free(&zone->targets);
}

void zoneguard_free(zoneguard_t *guard)
{
	if (guard == NULL) {
		return;
	}
	for (size_t i = 0; i < guard->zone_count; i++) {
		zone_clear(&guard->zones[i]);
	}
	free(guard->zones);
	names_free(&guard->allowed);
	names_free(&guard->synced);
	pthread_mutex_destroy(&guard->lock);
	free(guard);
}

static int compare_zone_to_name(const void *key, const void *zone)
{
	return strcmp((const char *)key, ((const guard_zone_t *)zone)->name);
}

/*! \brief The zone entry of name (under the lock), or NULL. */
static guard_zone_t *zone_find(const zoneguard_t *guard, const char *name)
{
	if (guard->zone_count == 0) {
		return NULL;
	}
	return bsearch(name, guard->zones, guard->zone_count, sizeof(*guard->zones),
	               compare_zone_to_name);
}

static int compare_zones(const void *a, const void *b)
{
	return strcmp(((const guard_zone_t *)a)->name, ((const guard_zone_t *)b)->name);
}

void zoneguard_set_zones(zoneguard_t *guard, const char *const *zones, size_t count)
{
	names_t names;
	if (!names_set(&names, zones, count)) {
		return; /* Out of memory: keep what was known. */
	}
	guard_zone_t *fresh = names.count > 0 ? calloc(names.count, sizeof(*fresh)) : NULL;
	if (names.count > 0 && fresh == NULL) {
		names_free(&names);
		return;
	}
	pthread_mutex_lock(&guard->lock);
	for (size_t i = 0; i < names.count; i++) {
		fresh[i].name = names.items[i];
		guard_zone_t *old = zone_find(guard, names.items[i]);
		if (old != NULL) {
			/* Keeps what was read; the old entry (still searched, so
			 * its name stays) gives its lists up. */
			fresh[i].read = old->read;
			fresh[i].serial = old->serial;
			fresh[i].read_ms = old->read_ms;
			fresh[i].cuts = old->cuts;
			fresh[i].targets = old->targets;
			old->cuts = (names_t){ 0 };
			old->targets = (names_t){ 0 };
		}
		fresh[i].open = names_has(&guard->allowed, fresh[i].name) ||
		                names_has(&guard->synced, fresh[i].name);
	}
	for (size_t i = 0; i < guard->zone_count; i++) {
		zone_clear(&guard->zones[i]);
	}
	free(guard->zones);
	free(names.items); /* The strings now belong to the zones. */
	qsort(fresh, names.count, sizeof(*fresh), compare_zones);
	guard->zones = fresh;
	guard->zone_count = names.count;
	pthread_mutex_unlock(&guard->lock);
}

bool zoneguard_zone_open(const zoneguard_t *guard, const char *zone)
{
	return names_has(&guard->allowed, zone) || names_has(&guard->synced, zone);
}

void zoneguard_set_names(zoneguard_t *guard, const char *zone, uint32_t serial,
                         const char *const *cuts, size_t cut_count, const char *const *targets,
                         size_t target_count)
{
	names_t new_cuts, new_targets;
	if (!names_set(&new_cuts, cuts, cut_count)) {
		return;
	}
	if (!names_set(&new_targets, targets, target_count)) {
		names_free(&new_cuts);
		return;
	}
	pthread_mutex_lock(&guard->lock);
	guard_zone_t *entry = zone_find(guard, zone);
	if (entry != NULL) {
		names_free(&entry->cuts);
		names_free(&entry->targets);
		entry->cuts = new_cuts;
		entry->targets = new_targets;
		entry->read = true;
		entry->serial = serial;
		entry->read_ms = mecdns_monotonic_ms();
	}
	pthread_mutex_unlock(&guard->lock);
	if (entry == NULL) {
		names_free(&new_cuts);
		names_free(&new_targets);
	}
}

/*! The NS sets of one zone, as zone-read gives them. */
typedef struct {
	const char *zone;
	char **cuts;
	size_t cut_count;
	char **targets;
	size_t target_count;
	bool failed;
} ns_read_t;

static bool push_name(char ***items, size_t *count, const char *name)
{
	char **grown = realloc(*items, (*count + 1) * sizeof(**items));
	if (grown == NULL) {
		return false;
	}
	*items = grown;
	grown[*count] = mecdns_name_lower_absolute(name);
	if (grown[*count] == NULL) {
		return false;
	}
	(*count)++;
	return true;
}

/*! \brief Whether name (lower case, absolute) is zone or below it. */
static bool in_zone(const char *name, const char *zone)
{
	for (const char *at = name; at != NULL; at = mecdns_name_parent(at)) {
		if (strcmp(at, zone) == 0) {
			return true;
		}
	}
	return false;
}

static int on_ns_record(const knotctl_record_t *record, void *ctx)
{
	ns_read_t *read = ctx;
	if (strcmp(record->type, "NS") != 0 || record->rdata == NULL) {
		return 0;
	}
	char *owner = mecdns_name_lower_absolute(record->owner);
	char *target = mecdns_name_lower_absolute(record->rdata);
	bool ok = owner != NULL && target != NULL;
	if (ok && strcmp(owner, read->zone) != 0) {
		ok = push_name(&read->cuts, &read->cut_count, owner);
	}
	if (ok && in_zone(target, read->zone)) {
		ok = push_name(&read->targets, &read->target_count, target);
	}
	free(owner);
	free(target);
	read->failed |= !ok;
	return 0;
}

static void free_list(char **items, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(items[i]);
	}
	free(items);
}

int zoneguard_poll_zone(zoneguard_t *guard, knotctl_t *ctl, const char *zone, bool loaded,
                        uint32_t serial)
{
	if (!loaded || !zoneguard_zone_open(guard, zone)) {
		return 0; /* Nothing of a closed zone is written; nothing to read. */
	}
	long long now = mecdns_monotonic_ms();
	pthread_mutex_lock(&guard->lock);
	guard_zone_t *entry = zone_find(guard, zone);
	bool due =
	    entry != NULL &&
	    (!entry->read || (entry->serial != serial && now - entry->read_ms >= NAMES_REFRESH_MS));
	pthread_mutex_unlock(&guard->lock);
	if (!due) {
		return 0;
	}
	ns_read_t read = { .zone = zone };
	int ret = knotctl_zone_read(ctl, zone, NULL, "NS", on_ns_record, &read);
	if (ret == 0 && !read.failed) {
		zoneguard_set_names(guard, zone, serial, (const char *const *)read.cuts,
		                    read.cut_count, (const char *const *)read.targets,
		                    read.target_count);
	}
	free_list(read.cuts, read.cut_count);
	free_list(read.targets, read.target_count);
	return ret;
}

/*! \brief Whether owner may carry data in zone (owner at or below it). */
static bool zone_allows(const guard_zone_t *zone, const char *owner, char *why, size_t why_len)
{
	if (!zone->open) {
		snprintf(why, why_len,
		         "%s is in zone %s, which knotd serves: the operator's zone (syncd's "
		         "allow-zone item opens it for mecdns data)",
		         owner, zone->name);
		return false;
	}
	if (strcmp(owner, zone->name) == 0) {
		snprintf(why, why_len,
		         "%s is the apex of zone %s, which knotd serves: never overridden", owner,
		         zone->name);
		return false;
	}
	for (const char *at = owner; at != NULL && strcmp(at, zone->name) != 0;
	     at = mecdns_name_parent(at)) {
		if (names_has(&zone->cuts, at)) {
			snprintf(why, why_len,
			         "%s is at or below the delegation %s in zone %s: the child zone's "
			         "name, never overridden",
			         owner, at, zone->name);
			return false;
		}
	}
	if (names_has(&zone->targets, owner)) {
		snprintf(
		    why, why_len,
		    "%s is a name server (an NS target with glue) of zone %s: never overridden",
		    owner, zone->name);
		return false;
	}
	return true;
}

bool zoneguard_allows(void *ctx, const char *owner, const char *zone, char *why, size_t why_len)
{
	(void)zone; /* The owner decides, whatever rrecord zone label it has. */
	zoneguard_t *guard = ctx;
	bool allowed = true;
	pthread_mutex_lock(&guard->lock);
	for (const char *at = owner; at != NULL; at = mecdns_name_parent(at)) {
		const guard_zone_t *entry = zone_find(guard, at);
		if (entry != NULL) {
			allowed = zone_allows(entry, owner, why, why_len);
			break;
		}
	}
	pthread_mutex_unlock(&guard->lock);
	return allowed;
}
