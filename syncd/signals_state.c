/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd signals: the condition signals of Knot's state and the
 *  answer of GetState (signals.h, "Knot state"). The one home of their
 *  members and argument types, which org.mecdns.syncd.xml documents;
 *  signals.c queues and sends them. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbus/dbus.h>

#include "syncd/signals.h"
#include "syncd/signals_internal.h"

/*** GetState. ***/

/*! \brief Appends one "key: variant" entry of a basic type to an a{sv}. */
static bool dict_add(DBusMessageIter *dict, const char *key, int type, const void *value)
{
	const char sig[2] = { (char)type, '\0' };
	DBusMessageIter entry, variant;
	if (!dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry)) {
		return false;
	}
	bool ok = dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key) &&
	          dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, sig, &variant);
	if (ok) {
		ok = dbus_message_iter_append_basic(&variant, type, value);
		ok = dbus_message_iter_close_container(&entry, &variant) && ok;
	}
	return dbus_message_iter_close_container(dict, &entry) && ok;
}

/*! \brief Appends "key: a{sX}" built from the zones (X: b ready or u serial). */
static bool dict_add_zones(DBusMessageIter *dict, const char *key,
                           const mecdns_signals_state_t *state, bool serials)
{
	const char *variant_sig = serials ? "a{su}" : "a{sb}";
	DBusMessageIter entry, variant, array;
	if (!dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry)) {
		return false;
	}
	bool ok =
	    dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key) &&
	    dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, variant_sig, &variant);
	if (ok) {
		ok = dbus_message_iter_open_container(&variant, DBUS_TYPE_ARRAY, variant_sig + 1,
		                                      &array);
		for (size_t i = 0; ok && i < state->zone_count; i++) {
			const mecdns_signals_zone_t *zone = &state->zones[i];
			DBusMessageIter pair;
			dbus_bool_t ready = zone->ready;
			dbus_uint32_t serial = zone->serial;
			ok = dbus_message_iter_open_container(&array, DBUS_TYPE_DICT_ENTRY, NULL,
			                                      &pair);
			if (ok) {
				ok = dbus_message_iter_append_basic(&pair, DBUS_TYPE_STRING,
				                                    &zone->zone) &&
				     (serials ? dbus_message_iter_append_basic(
				                    &pair, DBUS_TYPE_UINT32, &serial)
				              : dbus_message_iter_append_basic(
				                    &pair, DBUS_TYPE_BOOLEAN, &ready));
				ok = dbus_message_iter_close_container(&array, &pair) && ok;
			}
		}
		ok = dbus_message_iter_close_container(&variant, &array) && ok;
		ok = dbus_message_iter_close_container(&entry, &variant) && ok;
	}
	return dbus_message_iter_close_container(dict, &entry) && ok;
}

/*! \brief Appends "zones_expiring: a{sx}" (zone: seconds left) or, with
 *         signatures, "signatures_expiring: a{s(ssx)}" (zone: owner, type,
 *         seconds left), of the zones where that condition holds. */
static bool dict_add_expiring(DBusMessageIter *dict, const mecdns_signals_state_t *state,
                              bool signatures)
{
	const char *key = signatures ? "signatures_expiring" : "zones_expiring";
	const char *variant_sig = signatures ? "a{s(ssx)}" : "a{sx}";
	DBusMessageIter entry, variant, array;
	if (!dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry)) {
		return false;
	}
	bool ok =
	    dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key) &&
	    dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, variant_sig, &variant);
	if (ok) {
		ok = dbus_message_iter_open_container(&variant, DBUS_TYPE_ARRAY, variant_sig + 1,
		                                      &array);
		for (size_t i = 0; ok && i < state->zone_count; i++) {
			const mecdns_signals_zone_t *zone = &state->zones[i];
			if (!(signatures ? zone->signatures_expiring : zone->expiring)) {
				continue;
			}
			DBusMessageIter pair, info;
			dbus_int64_t left =
			    signatures ? zone->signatures_left : zone->expiring_left;
			const char *owner = mecdns_signals_arg_string(zone->signature_owner);
			const char *type = mecdns_signals_arg_string(zone->signature_type);
			ok = dbus_message_iter_open_container(&array, DBUS_TYPE_DICT_ENTRY, NULL,
			                                      &pair) &&
			     dbus_message_iter_append_basic(&pair, DBUS_TYPE_STRING, &zone->zone);
			if (ok && signatures) {
				ok = dbus_message_iter_open_container(&pair, DBUS_TYPE_STRUCT, NULL,
				                                      &info) &&
				     dbus_message_iter_append_basic(&info, DBUS_TYPE_STRING,
				                                    &owner) &&
				     dbus_message_iter_append_basic(&info, DBUS_TYPE_STRING,
				                                    &type) &&
				     dbus_message_iter_append_basic(&info, DBUS_TYPE_INT64, &left);
				ok = ok && dbus_message_iter_close_container(&pair, &info);
			} else if (ok) {
				ok = dbus_message_iter_append_basic(&pair, DBUS_TYPE_INT64, &left);
			}
			ok = ok && dbus_message_iter_close_container(&array, &pair);
		}
		ok = dbus_message_iter_close_container(&variant, &array) && ok;
		ok = dbus_message_iter_close_container(&entry, &variant) && ok;
	}
	return dbus_message_iter_close_container(dict, &entry) && ok;
}

/*! \brief Appends "ede_codes: aq" (the watched codes) and
 *         "ede_occurring: a{qt}" (code: knotd's count, where it holds). */
static bool dict_add_ede(DBusMessageIter *dict, const mecdns_signals_state_t *state)
{
	bool ok = true;
	for (int pass = 0; ok && pass < 2; pass++) {
		const char *key = pass == 0 ? "ede_codes" : "ede_occurring";
		const char *variant_sig = pass == 0 ? "aq" : "a{qt}";
		DBusMessageIter entry, variant, array;
		if (!dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry)) {
			return false;
		}
		ok = dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key) &&
		     dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, variant_sig,
		                                      &variant) &&
		     dbus_message_iter_open_container(&variant, DBUS_TYPE_ARRAY, variant_sig + 1,
		                                      &array);
		for (unsigned i = 0; ok && i < MECDNS_EDE_SLOTS; i++) {
			dbus_uint16_t code = mecdns_ede_code(i);
			dbus_uint64_t count = state->ede_count[i];
			if (pass == 0 && state->ede_watched[i]) {
				ok =
				    dbus_message_iter_append_basic(&array, DBUS_TYPE_UINT16, &code);
			} else if (pass == 1 && state->ede_occurring[i]) {
				DBusMessageIter pair;
				ok = dbus_message_iter_open_container(&array, DBUS_TYPE_DICT_ENTRY,
				                                      NULL, &pair) &&
				     dbus_message_iter_append_basic(&pair, DBUS_TYPE_UINT16,
				                                    &code) &&
				     dbus_message_iter_append_basic(&pair, DBUS_TYPE_UINT64,
				                                    &count) &&
				     dbus_message_iter_close_container(&array, &pair);
			}
		}
		ok = ok && dbus_message_iter_close_container(&variant, &array) &&
		     dbus_message_iter_close_container(&entry, &variant);
		ok = dbus_message_iter_close_container(dict, &entry) && ok;
	}
	return ok;
}

/*! \brief Fills the a{sv} of GetState from the state copy (state_lock held). */
bool mecdns_signals_append_state(DBusMessageIter *dict, const mecdns_signals_state_t *state,
                                 uint64_t db_generation)
{
	dbus_bool_t tracking = state->tracking, running = state->server_running;
	dbus_bool_t all_ready = state->all_zones_ready, serving = state->serving;
	dbus_bool_t exceeded = state->qps_exceeded;
	dbus_bool_t increase_exceeded = state->qps_increase_exceeded;
	dbus_bool_t crashed = state->server_crashed;
	dbus_int64_t zone_period = state->zone_expiry_period;
	dbus_int64_t signature_period = state->signature_expiry_period;
	double increase = state->qps_increase, increase_threshold = state->qps_increase_threshold;
	dbus_uint64_t db_gen = db_generation, module_gen = state->module_generation;
	double qps = state->qps, threshold = state->qps_threshold;
	return dict_add(dict, "knot_tracking", DBUS_TYPE_BOOLEAN, &tracking) &&
	       dict_add(dict, "server_running", DBUS_TYPE_BOOLEAN, &running) &&
	       dict_add(dict, "all_zones_ready", DBUS_TYPE_BOOLEAN, &all_ready) &&
	       dict_add(dict, "serving", DBUS_TYPE_BOOLEAN, &serving) &&
	       dict_add(dict, "db_generation", DBUS_TYPE_UINT64, &db_gen) &&
	       dict_add(dict, "module_generation", DBUS_TYPE_UINT64, &module_gen) &&
	       dict_add_zones(dict, "zones", state, false) &&
	       dict_add_zones(dict, "zone_serials", state, true) &&
	       dict_add(dict, "qps", DBUS_TYPE_DOUBLE, &qps) &&
	       dict_add(dict, "qps_threshold", DBUS_TYPE_DOUBLE, &threshold) &&
	       dict_add(dict, "qps_exceeded", DBUS_TYPE_BOOLEAN, &exceeded) &&
	       dict_add(dict, "qps_increase", DBUS_TYPE_DOUBLE, &increase) &&
	       dict_add(dict, "qps_increase_threshold", DBUS_TYPE_DOUBLE, &increase_threshold) &&
	       dict_add(dict, "qps_increase_exceeded", DBUS_TYPE_BOOLEAN, &increase_exceeded) &&
	       dict_add(dict, "server_crashed", DBUS_TYPE_BOOLEAN, &crashed) &&
	       dict_add(dict, "zone_expiry_period", DBUS_TYPE_INT64, &zone_period) &&
	       dict_add_expiring(dict, state, false) &&
	       dict_add(dict, "signature_expiry_period", DBUS_TYPE_INT64, &signature_period) &&
	       dict_add_expiring(dict, state, true) && dict_add_ede(dict, state);
}

/*** Signals. ***/

/*! \brief Appends a JSON string (quoted, escaped) to out. */
static void json_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\') {
			fprintf(out, "\\%c", *c);
		} else if (*c < 0x20) {
			fprintf(out, "\\u%04x", *c);
		} else {
			fputc(*c, out);
		}
	}
	fputc('"', out);
}

char *mecdns_signals_args_json(int first_type, va_list ap)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (out == NULL) {
		return NULL;
	}
	fputc('[', out);
	for (int type = first_type, n = 0; type != DBUS_TYPE_INVALID; type = va_arg(ap, int), n++) {
		const void *value = va_arg(ap, const void *);
		if (n > 0) {
			fputc(',', out);
		}
		switch (type) {
		case DBUS_TYPE_STRING:
			json_string(out, *(const char *const *)value);
			break;
		case DBUS_TYPE_BOOLEAN:
			fputs(*(const dbus_bool_t *)value ? "true" : "false", out);
			break;
		case DBUS_TYPE_DOUBLE:
			fprintf(out, "%.17g", *(const double *)value);
			break;
		case DBUS_TYPE_UINT16:
			fprintf(out, "%u", (unsigned)*(const dbus_uint16_t *)value);
			break;
		case DBUS_TYPE_UINT32:
			fprintf(out, "%lu", (unsigned long)*(const dbus_uint32_t *)value);
			break;
		case DBUS_TYPE_INT64:
			fprintf(out, "%lld", (long long)*(const dbus_int64_t *)value);
			break;
		case DBUS_TYPE_UINT64:
			fprintf(out, "%llu", (unsigned long long)*(const dbus_uint64_t *)value);
			break;
		default:
			fputs("null", out);
			break;
		}
	}
	fputc(']', out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

void mecdns_signals_emit_server_running(mecdns_signals_t *signals, bool running)
{
	dbus_bool_t value = running;
	mecdns_signals_queue(signals, "server_running", DBUS_TYPE_BOOLEAN, &value,
	                     DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_zone_ready(mecdns_signals_t *signals, const char *zone, bool ready,
                                    uint32_t serial)
{
	const char *name = mecdns_signals_arg_string(zone);
	dbus_bool_t value = ready;
	dbus_uint32_t number = serial;
	mecdns_signals_queue(signals, "zone_ready", DBUS_TYPE_STRING, &name, DBUS_TYPE_BOOLEAN,
	                     &value, DBUS_TYPE_UINT32, &number, DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_zone_updated(mecdns_signals_t *signals, const char *zone, uint32_t serial)
{
	const char *name = mecdns_signals_arg_string(zone);
	dbus_uint32_t number = serial;
	mecdns_signals_queue(signals, "zone_updated", DBUS_TYPE_STRING, &name, DBUS_TYPE_UINT32,
	                     &number, DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_all_zones_ready(mecdns_signals_t *signals, bool ready)
{
	dbus_bool_t value = ready;
	mecdns_signals_queue(signals, "all_zones_ready", DBUS_TYPE_BOOLEAN, &value,
	                     DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_serving(mecdns_signals_t *signals, bool serving)
{
	dbus_bool_t value = serving;
	mecdns_signals_queue(signals, "serving", DBUS_TYPE_BOOLEAN, &value, DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_query_rate(mecdns_signals_t *signals, double qps, double threshold,
                                    bool exceeded)
{
	dbus_bool_t value = exceeded;
	mecdns_signals_queue(signals, "query_rate", DBUS_TYPE_DOUBLE, &qps, DBUS_TYPE_DOUBLE,
	                     &threshold, DBUS_TYPE_BOOLEAN, &value, DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_server_crashed(mecdns_signals_t *signals, bool crashed)
{
	dbus_bool_t value = crashed;
	mecdns_signals_queue(signals, "server_crashed", DBUS_TYPE_BOOLEAN, &value,
	                     DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_query_rate_increase(mecdns_signals_t *signals, double increase,
                                             double threshold, bool exceeded)
{
	dbus_bool_t value = exceeded;
	mecdns_signals_queue(signals, "query_rate_increase", DBUS_TYPE_DOUBLE, &increase,
	                     DBUS_TYPE_DOUBLE, &threshold, DBUS_TYPE_BOOLEAN, &value,
	                     DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_zone_expiring(mecdns_signals_t *signals, const char *zone,
                                       int64_t seconds_left, int64_t period, bool expiring)
{
	const char *name = mecdns_signals_arg_string(zone);
	dbus_int64_t left = seconds_left, span = period;
	dbus_bool_t value = expiring;
	mecdns_signals_queue(signals, "zone_expiring", DBUS_TYPE_STRING, &name, DBUS_TYPE_INT64,
	                     &left, DBUS_TYPE_INT64, &span, DBUS_TYPE_BOOLEAN, &value,
	                     DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_signatures_expiring(mecdns_signals_t *signals, const char *zone,
                                             const char *owner, const char *type,
                                             int64_t seconds_left, int64_t period, bool expiring)
{
	const char *name = mecdns_signals_arg_string(zone);
	const char *rr_owner = mecdns_signals_arg_string(owner);
	const char *rr_type = mecdns_signals_arg_string(type);
	dbus_int64_t left = seconds_left, span = period;
	dbus_bool_t value = expiring;
	mecdns_signals_queue(signals, "signatures_expiring", DBUS_TYPE_STRING, &name,
	                     DBUS_TYPE_STRING, &rr_owner, DBUS_TYPE_STRING, &rr_type,
	                     DBUS_TYPE_INT64, &left, DBUS_TYPE_INT64, &span, DBUS_TYPE_BOOLEAN,
	                     &value, DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_extended_error(mecdns_signals_t *signals, unsigned slot, uint64_t count,
                                        bool occurring)
{
	dbus_uint16_t code = mecdns_ede_code(slot);
	const char *name = mecdns_ede_name(slot);
	dbus_uint64_t total = count;
	dbus_bool_t value = occurring;
	mecdns_signals_queue(signals, "extended_error", DBUS_TYPE_UINT16, &code, DBUS_TYPE_STRING,
	                     &name, DBUS_TYPE_UINT64, &total, DBUS_TYPE_BOOLEAN, &value,
	                     DBUS_TYPE_INVALID);
}

void mecdns_signals_emit_dns_context_report(mecdns_signals_t *signals, const char *context_id,
                                            const char *rule_key, const char *fqdn,
                                            const char *client, uint64_t timestamp_ms)
{
	dbus_uint64_t when = timestamp_ms;
	mecdns_signals_queue(signals, "dns_context_report", DBUS_TYPE_STRING, &context_id,
	                     DBUS_TYPE_STRING, &rule_key, DBUS_TYPE_STRING, &fqdn, DBUS_TYPE_STRING,
	                     &client, DBUS_TYPE_UINT64, &when, DBUS_TYPE_INVALID);
}
