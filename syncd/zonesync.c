/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "syncd/zoneplan.h"

/*  mecdns-syncd zone sync (contract in syncd/zonesync.h).
 *
 *  One worker thread serves every synced zone (knotd serves one control
 *  client at a time anyway). A round opens one control session and, per
 *  zone: checks the zone's knot.conf settings, aborts a transaction left
 *  open at start, reads zone-status (loaded, serial), then reads from the
 *  store what changed since the zone's cursor (or the whole zone when it
 *  must be reconciled), reads the same owners from knotd (zone-read), plans
 *  the differences per owner and type and applies them in one transaction.
 *  The ownership table and the cursor are written after knotd committed.
 *
 *  The three views of an owner, each a list of records sorted by (owner,
 *  type): desired (what the module answers), owned (what syncd wrote before)
 *  and actual (what knotd serves). Record data is compared in wire format,
 *  so knotd's and the API's spellings of one value are equal.
 */

#define DEFAULT_BATCH_MS   50
#define DEFAULT_POLL_MS    500
#define DEFAULT_TIMEOUT_MS 2000
/*! Delay after a failed batch, doubled per failure up to RETRY_MAX_MS. */
#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 10000
/*! Conflicts are looked at again this often (the operator may remove them). */
#define CONFLICT_RECHECK_MS 5000

/*! The settings a synced zone needs, and their values. */
static const struct {
	const char *item;
	const char *value;
} REQUIRED[] = {
	{ "zonefile-sync", "-1" },
	{ "zonefile-load", "difference-no-serial" },
	{ "journal-content", "all" },
};

/*** Knot: settings check, transaction. ***/

typedef struct {
	char value[128];
	bool found;
} conf_value_t;

static int on_conf_value(const knotctl_conf_value_t *value, void *arg)
{
	conf_value_t *out = arg;
	if (value->item != NULL && value->value != NULL && !out->found) {
		snprintf(out->value, sizeof(out->value), "%s", value->value);
		out->found = true;
	}
	return 0;
}

/*!
 * \brief Checks the settings of a synced zone: each item from the zone,
 *        else its template (template[default] when none is named); an item
 *        set nowhere has Knot's default, which does not keep syncd's changes.
 *
 * \return KNOT_EOK, KNOT_EINVAL with the reason in why, or a control error.
 */
static int check_zone_config(knotctl_t *ctl, const char *zone, char *why, size_t why_len)
{
	conf_value_t template = { .value = "default" };
	int ret = knotctl_conf_read(ctl, "zone", zone, "template", on_conf_value, &template);
	if (ret != KNOT_EOK) {
		if (knotctl_broken(ctl)) {
			return ret;
		}
		snprintf(why, why_len, "knotd has no zone %s in its configuration (%s)", zone,
		         knotctl_error(ctl));
		return KNOT_EINVAL;
	}
	for (size_t i = 0; i < sizeof(REQUIRED) / sizeof(REQUIRED[0]); i++) {
		conf_value_t value = { .found = false };
		const char *where = "zone";
		ret = knotctl_conf_read(ctl, "zone", zone, REQUIRED[i].item, on_conf_value, &value);
		if (ret == KNOT_EOK && !value.found) {
			where = "template";
			ret = knotctl_conf_read(ctl, "template", template.value, REQUIRED[i].item,
			                        on_conf_value, &value);
			if (ret != KNOT_EOK && !knotctl_broken(ctl)) {
				ret = KNOT_EOK; /* No such template (the implicit default). */
			}
		}
		if (ret != KNOT_EOK) {
			return ret;
		}
		if (!value.found) {
			snprintf(why, why_len,
			         "%s is not set (Knot's default does not keep syncd's changes); "
			         "set %s: %s in the zone or its template",
			         REQUIRED[i].item, REQUIRED[i].item, REQUIRED[i].value);
			return KNOT_EINVAL;
		}
		if (strcmp(value.value, REQUIRED[i].value) != 0) {
			snprintf(why, why_len, "%s is %s in its %s, syncd needs %s: %s",
			         REQUIRED[i].item, value.value, where, REQUIRED[i].item,
			         REQUIRED[i].value);
			return KNOT_EINVAL;
		}
	}
	return KNOT_EOK;
}

/*! What zone-status said about one zone. */
typedef struct {
	bool seen;
	bool loaded;
	bool transaction_open;
	uint32_t serial;
} zone_seen_t;

static int on_zone_status(const knotctl_zone_status_t *status, void *arg)
{
	zone_seen_t *seen = arg;
	seen->seen = true;
	seen->loaded = status->loaded;
	seen->transaction_open = status->transaction_open;
	seen->serial = status->serial;
	return 0;
}

/*! \brief Applies the plan in one transaction; aborts it on any failure. */
static int apply_plan(syncd_zonesync_t *zs, knotctl_t *ctl, const char *zone, const plan_t *plan,
                      char *why, size_t why_len)
{
	int ret = knotctl_zone_begin(ctl, zone);
	if (ret != KNOT_EOK) {
		snprintf(why, why_len, "%s", knotctl_error(ctl));
		return ret;
	}
	for (size_t i = 0; ret == KNOT_EOK && i < plan->unsets.count + plan->sets.count; i++) {
		bool unset = i < plan->unsets.count;
		const op_t *op =
		    unset ? &plan->unsets.items[i] : &plan->sets.items[i - plan->unsets.count];
		char type[32];
		mecdns_rrtype_name(op->type, type, sizeof(type));
		if (unset) {
			ret = knotctl_zone_unset(ctl, zone, op->owner, type, op->text);
			/* Already gone: the view was a moment old. */
			if (ret == KNOT_ENORECORD || ret == KNOT_ENONODE || ret == KNOT_ENOENT) {
				ret = KNOT_EOK;
			}
		} else {
			ret = knotctl_zone_set(ctl, zone, op->owner, op->ttl, type, op->text);
			if (ret == KNOT_EISRECORD) {
				ret = KNOT_EOK;
			}
		}
	}
	if (ret == KNOT_EOK) {
		ret = knotctl_zone_commit(ctl, zone);
	}
	if (ret != KNOT_EOK) {
		snprintf(why, why_len, "%s", knotctl_error(ctl));
		if (!knotctl_broken(ctl)) {
			(void)knotctl_zone_abort(ctl, zone);
		}
		return ret;
	}
	pthread_mutex_lock(&zs->lock);
	zs->commits++;
	zs->records_set += plan->sets.count;
	zs->records_unset += plan->unsets.count;
	pthread_mutex_unlock(&zs->lock);
	return KNOT_EOK;
}

/*** Conflicts (published under zs->lock). ***/

static bool conflict_listed(const conflict_t *list, size_t count, const char *owner, uint16_t type)
{
	for (size_t i = 0; i < count; i++) {
		if (list[i].type == type && strcmp(list[i].owner, owner) == 0) {
			return true;
		}
	}
	return false;
}

static bool name_listed(const names_t *names, const char *owner)
{
	return bsearch(&owner, names->items, names->count, sizeof(names->items[0]),
	               zoneplan_compare_names) != NULL;
}

/*!
 * \brief Replaces the zone's conflicts at the planned owners (all of them
 *        when owners is NULL) by those of the plan; logs and counts the new
 *        ones and logs the resolved ones.
 */
static void publish_conflicts(syncd_zonesync_t *zs, zone_t *z, const names_t *owners, plan_t *plan)
{
	pthread_mutex_lock(&zs->lock);
	size_t kept = 0;
	for (size_t i = 0; i < z->conflict_count; i++) {
		conflict_t *c = &z->conflicts[i];
		bool planned = owners == NULL || name_listed(owners, c->owner);
		if (planned &&
		    !conflict_listed(plan->conflicts, plan->conflict_count, c->owner, c->type)) {
			char type[32];
			mecdns_rrtype_name(c->type, type, sizeof(type));
			log_notice("zone sync: %s: conflict at %s %s is gone; syncing it", z->name,
			           c->owner, type);
			free(c->owner);
			continue;
		}
		if (planned) {
			free(c->owner); /* Listed again by the plan below. */
			continue;
		}
		z->conflicts[kept++] = *c;
	}
	z->conflict_count = kept;
	conflict_t *grown =
	    realloc(z->conflicts, (kept + plan->conflict_count + 1) * sizeof(*z->conflicts));
	if (grown != NULL) {
		z->conflicts = grown;
	}
	for (size_t i = 0; grown != NULL && i < plan->conflict_count; i++) {
		conflict_t *c = &plan->conflicts[i];
		z->conflicts[z->conflict_count++] = *c;
		c->owner = NULL; /* Moved. */
	}
	pthread_mutex_unlock(&zs->lock);
}

/*** One round of one zone. ***/

/*! \brief Marks a failed batch: state, retry delay, one log line. */
static void zone_failed(syncd_zonesync_t *zs, zone_t *z, const char *what, const char *why)
{
	z->retry_delay_ms = z->retry_delay_ms == 0 ? RETRY_MIN_MS : z->retry_delay_ms * 2;
	if (z->retry_delay_ms > RETRY_MAX_MS) {
		z->retry_delay_ms = RETRY_MAX_MS;
	}
	z->retry_at_ms = mecdns_monotonic_ms() + z->retry_delay_ms;
	pthread_mutex_lock(&zs->lock);
	z->state = SYNCD_ZONE_FAILING;
	pthread_mutex_unlock(&zs->lock);
	log_warning("zone sync: %s: %s failed: %s; the zone keeps its previous contents, "
	            "retrying in %d ms",
	            z->name, what, why, z->retry_delay_ms);
}

/*! \brief Collects the owners of a round: those of the snapshot (changed,
 *         and conflicted when due), or every owner of the views for a
 *         whole-zone round. */
static bool round_owners(const mecdns_zone_snapshot_t *snap, const recs_t *desired,
                         const recs_t *owned, names_t *out)
{
	bool ok = true;
	if (snap->whole_zone) {
		for (size_t i = 0; ok && i < desired->count; i++) {
			ok = zoneplan_names_push(out, desired->items[i].owner);
		}
		for (size_t i = 0; ok && i < owned->count; i++) {
			ok = zoneplan_names_push(out, owned->items[i].owner);
		}
	} else {
		for (size_t i = 0; ok && i < snap->owner_count; i++) {
			ok = zoneplan_names_push(out, snap->owners[i]);
		}
	}
	zoneplan_names_sort_unique(out);
	return ok;
}

/*! \brief Reads the database side of a round. */
static bool read_database(syncd_zonesync_t *zs, zone_t *z, mecdns_zone_snapshot_t *snap,
                          recs_t *desired, recs_t *owned, names_t *owners, bool with_conflicts)
{
	uint64_t since = z->need_full ? 0 : z->generation;
	/* Conflicted owners are read again, changed or not: the operator may
	 * have removed the records in the way. */
	char **again = with_conflicts ? calloc(z->conflict_count + 1, sizeof(*again)) : NULL;
	for (size_t i = 0; again != NULL && i < z->conflict_count; i++) {
		again[i] = z->conflicts[i].owner;
	}
	mecdns_store_status_t status = mecdns_store_zone_snapshot(
	    zs->store, z->name, since, again, again != NULL ? z->conflict_count : 0, snap);
	free(again);
	if (status != MECDNS_STORE_OK) {
		zone_failed(zs, z, "reading the database", mecdns_store_last_error());
		return false;
	}
	if (!zoneplan_desired_from_snapshot(desired, snap, z->name, zs->default_ttl)) {
		zone_failed(zs, z, "building the answers", "out of memory");
		return false;
	}
	mecdns_zone_record_list_t list = { 0 };
	if (snap->whole_zone) {
		status = mecdns_store_zone_owned(zs->store, z->name, NULL, 0, &list);
	} else {
		names_t changed = { 0 };
		bool ok = round_owners(snap, desired, owned, &changed);
		status =
		    ok ? mecdns_store_zone_owned(zs->store, z->name, zoneplan_owner_list(&changed),
		                                 changed.count, &list)
		       : MECDNS_STORE_ERROR;
		free(changed.items);
	}
	bool ok = status == MECDNS_STORE_OK;
	for (size_t i = 0; ok && i < list.count; i++) {
		const mecdns_zone_record_t *r = &list.items[i];
		ok = zoneplan_recs_push(owned, r->owner, r->type, (uint32_t)r->ttl, r->text,
		                        r->wire, r->wire_len);
	}
	mecdns_zone_record_list_free(&list);
	zoneplan_recs_sort(owned);
	if (!ok || !round_owners(snap, desired, owned, owners)) {
		zone_failed(zs, z, "reading what syncd owns",
		            status != MECDNS_STORE_OK ? mecdns_store_last_error()
		                                      : "out of memory");
		return false;
	}
	return true;
}

/*! \brief Records the ownership of the planned owners (NULL: the whole zone)
 *         and the zone's cursor, after knotd committed. */
static mecdns_store_status_t save_round(syncd_zonesync_t *zs, const zone_t *z,
                                        const names_t *owners, const recs_t *owned,
                                        uint64_t generation, uint32_t serial)
{
	mecdns_zone_record_t *rows = calloc(owned->count + 1, sizeof(*rows));
	if (rows == NULL) {
		return MECDNS_STORE_ERROR;
	}
	for (size_t i = 0; i < owned->count; i++) {
		const rec_t *rec = &owned->items[i];
		rows[i] = (mecdns_zone_record_t){ .owner = rec->owner,
			                          .type = rec->type,
			                          .ttl = rec->ttl,
			                          .text = rec->text,
			                          .wire = rec->wire,
			                          .wire_len = rec->wire_len };
	}
	mecdns_store_status_t status = mecdns_store_zone_sync_save(
	    zs->store, z->name, owners != NULL ? zoneplan_owner_list(owners) : NULL,
	    owners != NULL ? owners->count : 0, rows, owned->count, generation, serial);
	free(rows);
	return status;
}

/*!
 * \brief Brings the zone up to the database: read both sides, plan, apply
 *        in one transaction, record ownership and cursor.
 */
static void zone_sync(syncd_zonesync_t *zs, knotctl_t *ctl, zone_t *z, bool with_conflicts)
{
	mecdns_zone_snapshot_t snap = { 0 };
	recs_t desired = { 0 }, owned = { 0 }, actual = { 0 };
	names_t owners = { 0 };
	plan_t plan = { 0 };
	char why[KNOTCTL_ERROR_LEN] = "";

	if (!read_database(zs, z, &snap, &desired, &owned, &owners, with_conflicts)) {
		goto out;
	}
	if (!snap.whole_zone && owners.count == 0 && snap.generation == z->generation) {
		pthread_mutex_lock(&zs->lock);
		z->state = SYNCD_ZONE_SYNCED;
		pthread_mutex_unlock(&zs->lock);
		goto out;
	}
	int ret = zoneplan_read_actual(ctl, z->name, snap.whole_zone ? NULL : &owners, &actual);
	if (ret != KNOT_EOK) {
		zone_failed(zs, z, "reading the zone from knotd",
		            ret == KNOT_ENOMEM ? "out of memory" : knotctl_error(ctl));
		goto out;
	}
	for (size_t i = 0; !plan.failed && i < owners.count; i++) {
		zoneplan_plan_owner(&plan, owners.items[i], &desired, &owned, &actual);
	}
	if (plan.failed) {
		zone_failed(zs, z, "planning the batch", "out of memory");
		goto out;
	}

	uint32_t serial = z->serial;
	if (plan.unsets.count + plan.sets.count > 0) {
		ret = apply_plan(zs, ctl, z->name, &plan, why, sizeof(why));
		if (ret != KNOT_EOK) {
			pthread_mutex_lock(&zs->lock);
			zs->commit_failures++;
			pthread_mutex_unlock(&zs->lock);
			zone_failed(zs, z, "the transaction", why);
			goto out;
		}
		zone_seen_t seen = { 0 };
		if (knotctl_zone_status(ctl, z->name, on_zone_status, &seen) == KNOT_EOK &&
		    seen.loaded) {
			serial = seen.serial;
			z->seen_serial = serial;
			z->have_serial = true;
		}
		log_info("zone sync: %s: generation %llu committed as serial %u (%zu added, %zu "
		         "removed)",
		         z->name, (unsigned long long)snap.generation, serial, plan.sets.count,
		         plan.unsets.count);
	}

	/* Log and count conflicts that are new. */
	for (size_t i = 0; i < plan.conflict_count; i++) {
		const conflict_t *c = &plan.conflicts[i];
		pthread_mutex_lock(&zs->lock);
		bool known = conflict_listed(z->conflicts, z->conflict_count, c->owner, c->type);
		if (!known) {
			zs->conflicts_found++;
		}
		pthread_mutex_unlock(&zs->lock);
		if (!known) {
			char type[32];
			mecdns_rrtype_name(c->type, type, sizeof(type));
			log_warning(
			    "zone sync: %s: conflict at %s %s: the zone has operator data "
			    "there that syncd did not write; keeping it, not syncing mecdns's "
			    "records for it",
			    z->name, c->owner, type);
		}
	}
	publish_conflicts(zs, z, snap.whole_zone ? NULL : &owners, &plan);

	mecdns_store_status_t status = save_round(zs, z, snap.whole_zone ? NULL : &owners,
	                                          &plan.owned, snap.generation, serial);
	if (status != MECDNS_STORE_OK) {
		/* knotd has the batch; the next round reconciles the bookkeeping. */
		log_warning("zone sync: %s: recording what syncd wrote failed (%s); reconciling "
		            "the whole zone next",
		            z->name, mecdns_store_last_error());
		z->need_full = true;
		goto out;
	}
	if (snap.whole_zone) {
		pthread_mutex_lock(&zs->lock);
		zs->reconciles++;
		pthread_mutex_unlock(&zs->lock);
		log_info("zone sync: %s: reconciled with the database at generation %llu "
		         "(%zu owners checked, %zu conflicts)",
		         z->name, (unsigned long long)snap.generation, owners.count,
		         plan.conflict_count);
	}
	z->need_full = false;
	z->retry_delay_ms = 0;
	z->retry_at_ms = 0;
	pthread_mutex_lock(&zs->lock);
	z->generation = snap.generation;
	z->serial = serial;
	z->state = SYNCD_ZONE_SYNCED;
	pthread_mutex_unlock(&zs->lock);
out:
	zoneplan_plan_free(&plan);
	free(owners.items);
	zoneplan_recs_free(&actual);
	zoneplan_recs_free(&owned);
	zoneplan_recs_free(&desired);
	mecdns_zone_snapshot_free(&snap);
}

/*! \brief Loads the cursor and aborts a transaction left open on the zone. */
static void zone_start(syncd_zonesync_t *zs, knotctl_t *ctl, zone_t *z)
{
	uint64_t generation = 0;
	uint32_t serial = 0;
	mecdns_store_status_t status =
	    mecdns_store_zone_sync_get(zs->store, z->name, &generation, &serial);
	if (status != MECDNS_STORE_OK && status != MECDNS_STORE_NOT_FOUND) {
		log_warning("zone sync: %s: cannot read its cursor (%s); reconciling from scratch",
		            z->name, mecdns_store_last_error());
	}
	int ret = knotctl_zone_abort(ctl, z->name);
	if (ret == KNOT_EOK) {
		log_notice("zone sync: %s: aborted a transaction left open on the zone (a "
		           "crashed syncd's or a forgotten knotc session's)",
		           z->name);
	} else if (ret != KNOT_TXN_ENOTEXISTS) {
		log_warning("zone sync: %s: zone-abort at start: %s", z->name, knotctl_error(ctl));
		return;
	}
	pthread_mutex_lock(&zs->lock);
	z->generation = generation;
	z->serial = serial;
	pthread_mutex_unlock(&zs->lock);
	z->started = true;
	z->need_full = true;
}

/*! \brief One round of one zone in an open session. */
static void zone_round(syncd_zonesync_t *zs, knotctl_t *ctl, zone_t *z)
{
	if (!z->config_ok) {
		char why[KNOTCTL_ERROR_LEN + 256] = "";
		int ret = check_zone_config(ctl, z->name, why, sizeof(why));
		if (ret == KNOT_EINVAL) {
			if (strcmp(why, z->refusal) != 0) {
				log_error("zone sync: refusing zone %s: %s; not syncing it "
				          "(checked again "
				          "every %d ms)",
				          z->name, why, zs->poll_ms);
				snprintf(z->refusal, sizeof(z->refusal), "%s", why);
			}
			pthread_mutex_lock(&zs->lock);
			z->state = SYNCD_ZONE_REFUSED;
			pthread_mutex_unlock(&zs->lock);
			return;
		}
		if (ret != KNOT_EOK) {
			return; /* The session broke; the next round retries. */
		}
		if (z->refusal[0] != '\0') {
			log_notice("zone sync: zone %s is configured for syncing now", z->name);
			z->refusal[0] = '\0';
		}
		z->config_ok = true;
	}
	if (!z->started) {
		zone_start(zs, ctl, z);
		if (!z->started) {
			return;
		}
	}

	zone_seen_t seen = { 0 };
	if (knotctl_zone_status(ctl, z->name, on_zone_status, &seen) != KNOT_EOK || !seen.loaded) {
		if (!z->not_loaded && !knotctl_broken(ctl)) {
			log_warning("zone sync: %s: knotd does not serve the zone (%s); waiting",
			            z->name, seen.seen ? "not loaded" : knotctl_error(ctl));
			z->not_loaded = true;
		}
		z->need_full = true;
		return;
	}
	if (z->not_loaded) {
		log_notice("zone sync: %s: knotd serves the zone again; reconciling", z->name);
		z->not_loaded = false;
	}
	if (z->have_serial && zoneplan_serial_before(seen.serial, z->seen_serial)) {
		log_notice("zone sync: %s: serial went back from %u to %u (zone reset?); "
		           "reconciling",
		           z->name, z->seen_serial, seen.serial);
		z->need_full = true;
	}
	z->seen_serial = seen.serial;
	z->have_serial = true;

	int64_t now = mecdns_monotonic_ms();
	if (now < z->retry_at_ms) {
		return;
	}
	bool with_conflicts = z->conflict_count > 0 && now >= z->conflict_check_ms;
	if (with_conflicts) {
		z->conflict_check_ms = now + CONFLICT_RECHECK_MS;
	}
	uint64_t generation = 0;
	if (!z->need_full && !with_conflicts &&
	    mecdns_store_state(zs->store, &generation, NULL, NULL) == MECDNS_STORE_OK &&
	    generation == z->generation) {
		pthread_mutex_lock(&zs->lock);
		z->state = SYNCD_ZONE_SYNCED; /* Nothing new in the database. */
		pthread_mutex_unlock(&zs->lock);
		return;
	}
	zone_sync(zs, ctl, z, with_conflicts);
}

/*! \brief One round over every zone in one control session. */
static void round_all(syncd_zonesync_t *zs)
{
	char err[KNOTCTL_ERROR_LEN];
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, zs->knot_socket, zs->timeout_ms, err, sizeof(err));
	if (ret == KNOT_EOK && knotctl_status(ctl) != KNOT_EOK) {
		snprintf(err, sizeof(err), "%s", knotctl_error(ctl));
		ret = KNOT_ECONN;
	}
	if (ret != KNOT_EOK) {
		if (!zs->knot_down_logged) {
			log_warning("zone sync: cannot reach knotd: %s; synced zones wait and are "
			            "reconciled when it answers again",
			            err);
			zs->knot_down_logged = true;
		}
		pthread_mutex_lock(&zs->lock);
		for (size_t i = 0; i < zs->zone_count; i++) {
			zs->zones[i].knot_down = true;
			if (zs->zones[i].state != SYNCD_ZONE_REFUSED) {
				zs->zones[i].state = SYNCD_ZONE_FAILING;
			}
		}
		pthread_mutex_unlock(&zs->lock);
		knotctl_close(ctl);
		return;
	}
	if (zs->knot_down_logged) {
		log_notice("zone sync: knotd answers again; reconciling the synced zones");
		zs->knot_down_logged = false;
	}
	for (size_t i = 0; i < zs->zone_count && !knotctl_broken(ctl); i++) {
		zone_t *z = &zs->zones[i];
		if (z->knot_down) {
			/* knotd may have restarted with other contents or settings. */
			z->knot_down = false;
			z->config_ok = false;
			z->need_full = true;
			z->have_serial = false;
		}
		zone_round(zs, ctl, z);
	}
	knotctl_close(ctl);
}

/*** The worker thread. ***/

static void add_ms(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void *worker(void *arg)
{
	syncd_zonesync_t *zs = arg;
	pthread_mutex_lock(&zs->lock);
	while (!zs->stopping) {
		bool notified = zs->notified;
		pthread_mutex_unlock(&zs->lock);

		if (notified) {
			/* The batch window: let a burst of writes gather. */
			struct timespec until;
			add_ms(&until, zs->batch_ms);
			pthread_mutex_lock(&zs->lock);
			while (!zs->stopping &&
			       pthread_cond_timedwait(&zs->cond, &zs->lock, &until) != ETIMEDOUT) {
			}
			zs->notified = false; /* The round reads everything up to now. */
			pthread_mutex_unlock(&zs->lock);
		}
		round_all(zs);

		struct timespec until;
		add_ms(&until, zs->poll_ms);
		pthread_mutex_lock(&zs->lock);
		while (!zs->stopping && !zs->notified &&
		       pthread_cond_timedwait(&zs->cond, &zs->lock, &until) != ETIMEDOUT) {
		}
	}
	pthread_mutex_unlock(&zs->lock);
	return NULL;
}

/*** Public API. ***/

static void zonesync_free(syncd_zonesync_t *zs)
{
	for (size_t i = 0; i < zs->zone_count; i++) {
		zone_t *z = &zs->zones[i];
		for (size_t j = 0; j < z->conflict_count; j++) {
			free(z->conflicts[j].owner);
		}
		free(z->conflicts);
		free(z->name);
	}
	free(zs->zones);
	free(zs->knot_socket);
	pthread_cond_destroy(&zs->cond);
	pthread_mutex_destroy(&zs->lock);
	free(zs);
}

syncd_zonesync_t *syncd_zonesync_start(const syncd_zonesync_config_t *config, mecdns_store_t *store,
                                       char *err, size_t err_len)
{
	snprintf(err, err_len, "%s", "");
	if (config->zone_count == 0) {
		return NULL;
	}
	syncd_zonesync_t *zs = calloc(1, sizeof(*zs));
	if (zs == NULL) {
		snprintf(err, err_len, "zone sync: out of memory");
		return NULL;
	}
	pthread_mutex_init(&zs->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&zs->cond, &attr);
	pthread_condattr_destroy(&attr);
	zs->store = store;
	zs->default_ttl = config->default_ttl;
	zs->batch_ms = config->batch_ms > 0 ? config->batch_ms : DEFAULT_BATCH_MS;
	zs->poll_ms = config->poll_ms > 0 ? config->poll_ms : DEFAULT_POLL_MS;
	zs->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : DEFAULT_TIMEOUT_MS;
	zs->knot_socket = strdup(config->knot_socket);
	zs->zones = calloc(config->zone_count, sizeof(*zs->zones));
	if (zs->knot_socket == NULL || zs->zones == NULL) {
		snprintf(err, err_len, "zone sync: out of memory");
		zonesync_free(zs);
		return NULL;
	}
	for (size_t i = 0; i < config->zone_count; i++) {
		char *name = mecdns_canonical_name(config->zones[i]);
		if (name == NULL) {
			snprintf(err, err_len, "sync-zone \"%s\" is not a valid domain name",
			         config->zones[i]);
			zonesync_free(zs);
			return NULL;
		}
		for (size_t j = 0; j < zs->zone_count; j++) {
			if (strcmp(zs->zones[j].name, name) == 0) {
				snprintf(err, err_len, "sync-zone %s is given twice", name);
				free(name);
				zonesync_free(zs);
				return NULL;
			}
		}
		zs->zones[zs->zone_count++].name = name;
	}
	if (pthread_create(&zs->thread, NULL, worker, zs) != 0) {
		snprintf(err, err_len, "zone sync: cannot start its thread");
		zonesync_free(zs);
		return NULL;
	}
	zs->thread_started = true;
	return zs;
}

void syncd_zonesync_notify(syncd_zonesync_t *zs)
{
	if (zs == NULL) {
		return;
	}
	pthread_mutex_lock(&zs->lock);
	zs->notified = true;
	pthread_cond_signal(&zs->cond);
	pthread_mutex_unlock(&zs->lock);
}

void syncd_zonesync_stop(syncd_zonesync_t *zs)
{
	if (zs == NULL) {
		return;
	}
	pthread_mutex_lock(&zs->lock);
	zs->stopping = true;
	pthread_cond_signal(&zs->cond);
	pthread_mutex_unlock(&zs->lock);
	if (zs->thread_started) {
		pthread_join(zs->thread, NULL);
	}
	zonesync_free(zs);
}

static const char *state_name(syncd_zone_state_t state)
{
	switch (state) {
	case SYNCD_ZONE_SYNCED:
		return "synced";
	case SYNCD_ZONE_REFUSED:
		return "refused";
	case SYNCD_ZONE_FAILING:
		return "failing";
	case SYNCD_ZONE_STARTING:
		break;
	}
	return "starting";
}

void syncd_zonesync_print_metrics(syncd_zonesync_t *zs, FILE *out)
{
	if (zs == NULL) {
		return;
	}
	pthread_mutex_lock(&zs->lock);
	fprintf(out,
	        "# HELP mecdns_zonesync_commits_total Zone transactions committed by zone sync.\n"
	        "# TYPE mecdns_zonesync_commits_total counter\n"
	        "mecdns_zonesync_commits_total %llu\n"
	        "# HELP mecdns_zonesync_commit_failures_total Zone transactions aborted after a "
	        "failure (retried).\n"
	        "# TYPE mecdns_zonesync_commit_failures_total counter\n"
	        "mecdns_zonesync_commit_failures_total %llu\n"
	        "# HELP mecdns_zonesync_records_total Records set and unset by zone sync.\n"
	        "# TYPE mecdns_zonesync_records_total counter\n"
	        "mecdns_zonesync_records_total{op=\"set\"} %llu\n"
	        "mecdns_zonesync_records_total{op=\"unset\"} %llu\n"
	        "# HELP mecdns_zonesync_reconciles_total Whole-zone reconciliations.\n"
	        "# TYPE mecdns_zonesync_reconciles_total counter\n"
	        "mecdns_zonesync_reconciles_total %llu\n"
	        "# HELP mecdns_zonesync_conflicts_total Conflicts with operator data found.\n"
	        "# TYPE mecdns_zonesync_conflicts_total counter\n"
	        "mecdns_zonesync_conflicts_total %llu\n",
	        (unsigned long long)zs->commits, (unsigned long long)zs->commit_failures,
	        (unsigned long long)zs->records_set, (unsigned long long)zs->records_unset,
	        (unsigned long long)zs->reconciles, (unsigned long long)zs->conflicts_found);
	fprintf(out, "# HELP mecdns_zonesync_conflicts Current conflicts, by zone.\n"
	             "# TYPE mecdns_zonesync_conflicts gauge\n");
	for (size_t i = 0; i < zs->zone_count; i++) {
		fprintf(out, "mecdns_zonesync_conflicts{zone=\"%s\"} %zu\n", zs->zones[i].name,
		        zs->zones[i].conflict_count);
	}
	fprintf(out, "# HELP mecdns_zonesync_generation Database generation a synced zone "
	             "reflects.\n"
	             "# TYPE mecdns_zonesync_generation gauge\n");
	for (size_t i = 0; i < zs->zone_count; i++) {
		fprintf(out, "mecdns_zonesync_generation{zone=\"%s\",state=\"%s\"} %llu\n",
		        zs->zones[i].name, state_name(zs->zones[i].state),
		        (unsigned long long)zs->zones[i].generation);
	}
	pthread_mutex_unlock(&zs->lock);
}
