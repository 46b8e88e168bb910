/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl export, import, restore.
 *
 *  An export is every rule (Mm5 form plus appInstanceId) and every record
 *  set (the rrecord API's [{"zone","rr"}]) in one JSON document. Import and
 *  restore apply a document as a difference against what syncd holds: rules
 *  and sets that are already equal are left alone, missing ones created,
 *  different ones replaced, and with --prune (always for restore) what the
 *  document lacks is deleted. So an interrupted import is resumed by running
 *  it again, and every change goes through syncd (generations, D-Bus
 *  signals, the module's incremental reload) while it serves. */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>
#include <sqlite3.h>

#include "common/subnet.h"
#include "schema/schema.h"
#include "tools/ctl/ctl.h"

#define EXPORT_FORMAT 1
/*! Sets per bulk PUT. */
#define BULK_SETS 1000

/*** A string map (open addressing), for lookups by key in large sets. ***/

typedef struct {
	char **keys;
	cJSON **values;
	size_t capacity; /*!< A power of two. */
	size_t count;
} map_t;

static uint64_t hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *c = (const unsigned char *)key; *c != '\0'; c++) {
		h = (h ^ *c) * 1099511628211ULL;
	}
	return h;
}

static void map_free(map_t *map)
{
	for (size_t i = 0; i < map->capacity; i++) {
		free(map->keys[i]);
	}
	free(map->keys);
	free(map->values);
	memset(map, 0, sizeof(*map));
}

static size_t map_slot(const map_t *map, const char *key)
{
	size_t i = (size_t)hash(key) & (map->capacity - 1);
	while (map->keys[i] != NULL && strcmp(map->keys[i], key) != 0) {
		i = (i + 1) & (map->capacity - 1);
	}
	return i;
}

static cJSON *map_get(const map_t *map, const char *key)
{
	if (map->capacity == 0) {
		return NULL;
	}
	size_t i = map_slot(map, key);
	return map->keys[i] != NULL ? map->values[i] : NULL;
}

/*! \brief Sets key (copied) to value; exits on ENOMEM. */
static void map_put(map_t *map, const char *key, cJSON *value)
{
	if (2 * (map->count + 1) > map->capacity) {
		map_t grown = { .capacity = map->capacity > 0 ? 2 * map->capacity : 1024 };
		grown.keys = calloc(grown.capacity, sizeof(*grown.keys));
		grown.values = calloc(grown.capacity, sizeof(*grown.values));
		if (grown.keys == NULL || grown.values == NULL) {
			fprintf(stderr, CTL_PROGRAM ": out of memory\n");
			exit(CTL_LOCAL);
		}
		for (size_t i = 0; i < map->capacity; i++) {
			if (map->keys[i] != NULL) {
				size_t j = map_slot(&grown, map->keys[i]);
				grown.keys[j] = map->keys[i];
				grown.values[j] = map->values[i];
				grown.count++;
			}
		}
		free(map->keys);
		free(map->values);
		*map = grown;
	}
	size_t i = map_slot(map, key);
	if (map->keys[i] == NULL) {
		map->keys[i] = strdup(key);
		if (map->keys[i] == NULL) {
			fprintf(stderr, CTL_PROGRAM ": out of memory\n");
			exit(CTL_LOCAL);
		}
		map->count++;
	}
	map->values[i] = value;
}

/*! \brief The key of a rule ("app\nid") or a set ("zone\nname\ntype", the
 *         name lower-cased and absolute). */
static void rule_key(const cJSON *rule, char *key, size_t len)
{
	snprintf(key, len, "%s\n%s", ctl_string(rule, "appInstanceId", ""),
	         ctl_string(rule, "dnsRuleId", ""));
}

/*! \brief The canonical scope of a set's clientSubnets (as the store keys
 *         it: sorted, "" for every client), malloc'd; the members joined as
 *         given when they do not parse (syncd then refuses the set). */
static char *set_scope(const cJSON *set)
{
	const cJSON *array = cJSON_GetObjectItemCaseSensitive(set, "clientSubnets");
	int count = cJSON_IsArray(array) ? cJSON_GetArraySize(array) : 0;
	if (count == 0) {
		return strdup("");
	}
	const char *texts[MECDNS_SUBNETS_MAX + 1];
	size_t joined = 1;
	for (int i = 0; i < count; i++) {
		const char *text = cJSON_GetStringValue(cJSON_GetArrayItem(array, i));
		if (i <= MECDNS_SUBNETS_MAX) {
			texts[i] = text != NULL ? text : "?";
		}
		joined += strlen(text != NULL ? text : "?") + 1;
	}
	char err[128];
	char *canonical = count <= MECDNS_SUBNETS_MAX
	                      ? mecdns_subnets_canonical(texts, (size_t)count, err, sizeof(err))
	                      : NULL;
	if (canonical != NULL) {
		return canonical;
	}
	char *raw = calloc(1, joined);
	for (int i = 0; raw != NULL && i < count; i++) {
		const char *text = cJSON_GetStringValue(cJSON_GetArrayItem(array, i));
		strcat(strcat(raw, i > 0 ? "," : ""), text != NULL ? text : "?");
	}
	return raw;
}

/*! \brief The key of set in zone: zone, lower-case absolute name, type and
 *         scope, so a name and type with several scopes has a key each. */
static void set_key(const char *zone, const cJSON *set, char *key, size_t len)
{
	const char *name = ctl_string(set, "name", "");
	size_t n = strlen(name);
	char *scope = set_scope(set);
	int at = snprintf(key, len, "%s\n%s%s\n%s\n%s", zone, name,
	                  n > 0 && name[n - 1] == '.' ? "" : ".", ctl_string(set, "type", ""),
	                  scope != NULL ? scope : "");
	free(scope);
	for (int i = (int)strlen(zone) + 1; at > 0 && i < at && (size_t)i < len; i++) {
		key[i] = (char)tolower((unsigned char)key[i]);
	}
}

#define KEY_MAX 4096

/*! \brief Takes the rules of DNS contexts (app instances "easdf:ID") out of
 *         rules: they are the SMF's, compiled from its contexts
 *         (/neasdf-dnscontext), which it creates again; an export does
 *         not carry them and an import or restore leaves them alone. */
static void drop_context_rules(cJSON *rules)
{
	for (int i = cJSON_GetArraySize(rules) - 1; i >= 0; i--) {
		const char *app = ctl_string(cJSON_GetArrayItem(rules, i), "appInstanceId", "");
		if (strncmp(app, "easdf:", 6) == 0) {
			cJSON_DeleteItemFromArray(rules, i);
		}
	}
}

/*** The document. ***/

static cJSON *document(cJSON *rules, cJSON *zones, uint64_t generation)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "mecdnsExport", EXPORT_FORMAT);
	cJSON_AddNumberToObject(doc, "generation", (double)generation);
	cJSON_AddItemToObject(doc, "rules", rules);
	cJSON_AddItemToObject(doc, "rrsets", zones);
	return doc;
}

/*! \brief Zone-file text of the document: every set, and the rules a
 *         zone can hold (ACTIVE, for every client); scoped rules as
 *         comments (a zone answers every client the same). */
static void print_zone_text(FILE *out, const cJSON *doc)
{
	fprintf(out, "; mecdns export, generation %.0f\n",
	        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "generation")));
	const cJSON *rule;
	cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(doc, "rules"))
	{
		const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(rule, "ttl");
		const char *type =
		    strcmp(ctl_string(rule, "ipAddressType", ""), "IP_V6") == 0 ? "AAAA" : "A";
		bool scoped = cJSON_GetObjectItemCaseSensitive(rule, "clientSubnets") != NULL;
		bool active = strcmp(ctl_string(rule, "state", ""), "ACTIVE") == 0;
		const char *name = ctl_string(rule, "domainName", "?");
		size_t len = strlen(name);
		fprintf(out, "%s%s%s\t%.0f\tIN\t%s\t%s\t; rule %s/%s%s%s\n",
		        scoped || !active ? "; " : "", name,
		        len > 0 && name[len - 1] == '.' ? "" : ".",
		        cJSON_IsNumber(ttl) ? ttl->valuedouble : 60.0, type,
		        ctl_string(rule, "ipAddress", "?"), ctl_string(rule, "appInstanceId", "?"),
		        ctl_string(rule, "dnsRuleId", "?"), scoped ? " (client subnets)" : "",
		        active ? "" : " (INACTIVE)");
	}
	const cJSON *zone;
	cJSON_ArrayForEach(zone, cJSON_GetObjectItemCaseSensitive(doc, "rrsets"))
	{
		const cJSON *set;
		cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(zone, "rr"))
		{
			const cJSON *data;
			bool scoped =
			    cJSON_GetObjectItemCaseSensitive(set, "clientSubnets") != NULL;
			cJSON_ArrayForEach(data, cJSON_GetObjectItemCaseSensitive(set, "rData"))
			{
				fprintf(out, "%s%s\t%.0f\tIN\t%s\t%s%s\n", scoped ? "; " : "",
				        ctl_string(set, "name", "?"),
				        cJSON_GetNumberValue(
				            cJSON_GetObjectItemCaseSensitive(set, "ttl")),
				        ctl_string(set, "type", "?"),
				        cJSON_IsString(data) ? data->valuestring : "?",
				        scoped ? "\t; (client subnets)" : "");
			}
		}
	}
}

int ctl_export(ctl_t *ctl, int argc, char **argv)
{
	const char *format = "json";
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			format = argv[++i];
		} else if (path == NULL && argv[i][0] != '-') {
			path = argv[i];
		} else {
			format = NULL;
		}
	}
	if (format == NULL || (strcmp(format, "json") != 0 && strcmp(format, "zone") != 0)) {
		ctl_error(ctl, "usage: " CTL_PROGRAM " export [--format json|zone] [FILE]");
		return CTL_USAGE;
	}
	cJSON *rules = NULL, *zones = NULL;
	uint64_t generation = 0;
	int ret = ctl_all_rules(ctl, &rules, &generation);
	drop_context_rules(rules);
	if (ret == CTL_OK) {
		ret = ctl_all_rrsets(ctl, &zones);
	}
	if (ret != CTL_OK) {
		cJSON_Delete(rules);
		return ret;
	}
	cJSON *doc = document(rules, zones, generation);
	FILE *out = path != NULL ? fopen(path, "w") : stdout;
	if (out == NULL) {
		ctl_error(ctl, "cannot write %s: %s", path, strerror(errno));
		cJSON_Delete(doc);
		return CTL_LOCAL;
	}
	if (strcmp(format, "zone") == 0) {
		print_zone_text(out, doc);
	} else {
		char *text = cJSON_Print(doc);
		if (text != NULL) {
			fprintf(out, "%s\n", text);
		}
		free(text);
	}
	bool ok = fflush(out) == 0 && !ferror(out);
	if (out != stdout) {
		ok = fclose(out) == 0 && ok;
	}
	cJSON_Delete(doc);
	if (!ok) {
		ctl_error(ctl, "cannot write %s: %s", path != NULL ? path : "stdout",
		          strerror(errno));
		return CTL_LOCAL;
	}
	if (path != NULL && !ctl->quiet) {
		fprintf(stderr, "exported generation %llu to %s\n", (unsigned long long)generation,
		        path);
	}
	return CTL_OK;
}

/*** Reading what to apply. ***/

/*! \brief Appends one record to the set (zone, name, type) of zones;
 *         sets finds the sets by key. */
/*! \brief Adds a comma-separated scope ("" none) to obj as clientSubnets. */
static void add_scope(cJSON *obj, const char *scope)
{
	if (scope == NULL || *scope == '\0') {
		return;
	}
	cJSON *array = cJSON_AddArrayToObject(obj, "clientSubnets");
	char *list = strdup(scope);
	char *save = NULL;
	for (char *s = list != NULL ? strtok_r(list, ",", &save) : NULL; s != NULL;
	     s = strtok_r(NULL, ",", &save)) {
		cJSON_AddItemToArray(array, cJSON_CreateString(s));
	}
	free(list);
}

/*! \brief Appends one record to the set (zone, name, type, scope: a
 *         comma-separated subnet list or "") of zones; sets finds the sets
 *         by key. */
static void add_record(cJSON *zones, map_t *sets, const char *zone, const char *name,
                       const char *type, const char *scope, uint32_t ttl, const char *data)
{
	char key[KEY_MAX];
	cJSON *probe = cJSON_CreateObject();
	cJSON_AddStringToObject(probe, "name", name);
	cJSON_AddStringToObject(probe, "type", type);
	add_scope(probe, scope);
	set_key(zone, probe, key, sizeof(key));
	cJSON *set = map_get(sets, key);
	if (set != NULL) {
		cJSON_Delete(probe);
	} else {
		char zone_key[KEY_MAX];
		snprintf(zone_key, sizeof(zone_key), "zone\n%s", zone);
		cJSON *zone_item = map_get(sets, zone_key);
		if (zone_item == NULL) {
			zone_item = cJSON_CreateObject();
			cJSON_AddStringToObject(zone_item, "zone", zone);
			cJSON_AddArrayToObject(zone_item, "rr");
			cJSON_AddItemToArray(zones, zone_item);
			map_put(sets, zone_key, zone_item);
		}
		set = probe;
		cJSON_AddStringToObject(set, "class", "IN");
		cJSON_AddNumberToObject(set, "ttl", ttl);
		cJSON_AddArrayToObject(set, "rData");
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(zone_item, "rr"), set);
		map_put(sets, key, set);
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(set, "rData"),
	                     cJSON_CreateString(data));
}

typedef struct {
	cJSON *zones;
	map_t sets;
	const char *zone;
	char error[512];
} zone_read_t;

static void on_record(zs_scanner_t *s)
{
	zone_read_t *r = s->process.data;
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	char type[32];
	if (knot_dname_to_str(name, s->r_owner, sizeof(name)) == NULL ||
	    knot_rrtype_to_string(s->r_type, type, sizeof(type)) < 0) {
		return;
	}
	/* The record's data in presentation form, as the rrecord API takes
	 * it: libknot prints it back from the wire. */
	knot_rrset_t rr;
	knot_rrset_init(&rr, s->r_owner, s->r_type, s->r_class, s->r_ttl);
	char data[8192];
	if (knot_rrset_add_rdata(&rr, s->r_data, s->r_data_length, NULL) != KNOT_EOK ||
	    knot_rrset_txt_dump_data(&rr, 0, data, sizeof(data), &KNOT_DUMP_STYLE_DEFAULT) < 0) {
		knot_rdataset_clear(&rr.rrs, NULL);
		return;
	}
	knot_rdataset_clear(&rr.rrs, NULL);
	if (s->r_type == KNOT_RRTYPE_SOA || s->r_type == KNOT_RRTYPE_NS) {
		return; /* Zone structure: Knot's, never the API's. */
	}
	add_record(r->zones, &r->sets, r->zone, name, type, "", s->r_ttl, data);
}

static void on_error(zs_scanner_t *s)
{
	zone_read_t *r = s->process.data;
	if (r->error[0] == '\0') {
		snprintf(r->error, sizeof(r->error), "line %" PRIu64 ": %s", s->line_counter,
		         zs_strerror(s->error.code));
	}
	s->state = ZS_STATE_STOP;
}

/*! \brief A zone file into [{"zone","rr"}]; NULL with a message. */
static cJSON *read_zone_file(ctl_t *ctl, const char *path, const char *zone)
{
	zone_read_t r = { .zones = cJSON_CreateArray(), .zone = zone };
	zs_scanner_t s;
	if (zs_init(&s, zone, KNOT_CLASS_IN, 3600) != 0 || zs_set_input_file(&s, path) != 0 ||
	    zs_set_processing(&s, on_record, on_error, &r) != 0 || zs_parse_all(&s) != 0 ||
	    r.error[0] != '\0') {
		ctl_error(ctl, "%s: %s", path,
		          r.error[0] != '\0' ? r.error : zs_strerror(s.error.code));
		zs_deinit(&s);
		map_free(&r.sets);
		cJSON_Delete(r.zones);
		return NULL;
	}
	zs_deinit(&s);
	map_free(&r.sets);
	return r.zones;
}

/*! \brief A backup file (an SQLite database of any schema version this
 *         build knows) into a document; NULL with a message. */
static cJSON *read_backup(ctl_t *ctl, const char *path)
{
	/* Migrated in a private copy: the backup itself is never changed. */
	const char *tmpdir =
	    getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] != '\0' ? getenv("TMPDIR") : "/tmp";
	char copy[4096];
	int len = snprintf(copy, sizeof(copy), "%s/mecdnsctl-restore-XXXXXX", tmpdir);
	int fd = len > 0 && (size_t)len < sizeof(copy) ? mkstemp(copy) : -1;
	if (fd < 0) {
		ctl_error(
		    ctl, "cannot make a private copy of the backup in %s (TMPDIR): %s", tmpdir,
		    len > 0 && (size_t)len < sizeof(copy) ? strerror(errno) : "path too long");
		return NULL;
	}
	FILE *in = fopen(path, "rb");
	FILE *out = fdopen(fd, "wb");
	bool copied = in != NULL && out != NULL;
	char buf[65536];
	size_t n;
	while (copied && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
		copied = fwrite(buf, 1, n, out) == n;
	}
	copied = copied && !ferror(in);
	if (in != NULL) {
		fclose(in);
	}
	if (out != NULL) {
		copied = fclose(out) == 0 && copied;
	} else {
		close(fd);
	}
	if (!copied) {
		ctl_error(ctl, "cannot read %s: %s", path, strerror(errno));
		unlink(copy);
		return NULL;
	}
	char err[512];
	sqlite3 *db = NULL;
	if (mecdns_db_open(copy, MECDNS_DB_WRITER, &db, err, sizeof(err)) != SQLITE_OK) {
		ctl_error(ctl, "%s is not a mecdns database: %s", path, err);
		unlink(copy);
		return NULL;
	}
	cJSON *rules = cJSON_CreateArray();
	cJSON *zones = cJSON_CreateArray();
	uint64_t generation = 0;
	map_t sets = { 0 };
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db,
	                            "SELECT app_instance_id, dns_rule_id, domain_name, "
	                            "ip_address_type, ip_address, ttl, state, client_subnets "
	                            "FROM rules WHERE app_instance_id NOT LIKE 'easdf:%' "
	                            "ORDER BY app_instance_id, dns_rule_id",
	                            -1, &stmt, NULL);
	while (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
		cJSON *rule = cJSON_CreateObject();
		cJSON_AddStringToObject(rule, "dnsRuleId",
		                        (const char *)sqlite3_column_text(stmt, 1));
		cJSON_AddStringToObject(rule, "domainName",
		                        (const char *)sqlite3_column_text(stmt, 2));
		cJSON_AddStringToObject(rule, "ipAddressType",
		                        (const char *)sqlite3_column_text(stmt, 3));
		cJSON_AddStringToObject(rule, "ipAddress",
		                        (const char *)sqlite3_column_text(stmt, 4));
		if (sqlite3_column_type(stmt, 5) != SQLITE_NULL) {
			cJSON_AddNumberToObject(rule, "ttl", (double)sqlite3_column_int64(stmt, 5));
		}
		cJSON_AddStringToObject(rule, "state", (const char *)sqlite3_column_text(stmt, 6));
		add_scope(rule, (const char *)sqlite3_column_text(stmt, 7));
		cJSON_AddStringToObject(rule, "appInstanceId",
		                        (const char *)sqlite3_column_text(stmt, 0));
		cJSON_AddItemToArray(rules, rule);
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(
		    db,
		    /* The private copy is migrated: every set has its scope. */
		    "SELECT s.zone, s.owner, s.type, s.ttl, d.text, s.client_subnets "
		    "FROM rrsets s JOIN rdata d ON d.zone = s.zone AND d.owner = s.owner AND "
		    "d.type = s.type AND d.client_subnets = s.client_subnets "
		    "ORDER BY s.zone, s.owner, s.type, s.client_subnets, d.pos",
		    -1, &stmt, NULL);
	}
	while (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
		char type[32];
		knot_rrtype_to_string((uint16_t)sqlite3_column_int(stmt, 2), type, sizeof(type));
		add_record(zones, &sets, (const char *)sqlite3_column_text(stmt, 0),
		           (const char *)sqlite3_column_text(stmt, 1), type,
		           (const char *)sqlite3_column_text(stmt, 5),
		           (uint32_t)sqlite3_column_int64(stmt, 3),
		           (const char *)sqlite3_column_text(stmt, 4));
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(db, "SELECT generation FROM state WHERE id = 1", -1, &stmt,
		                        NULL);
	}
	if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
		generation = (uint64_t)sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_OK) {
		ctl_error(ctl, "reading %s: %s", path, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	unlink(copy);
	map_free(&sets);
	if (rc != SQLITE_OK) {
		cJSON_Delete(rules);
		cJSON_Delete(zones);
		return NULL;
	}
	return document(rules, zones, generation);
}

/*** Applying a document. ***/

typedef struct {
	size_t created, updated, unchanged, deleted, failed;
} counts_t;

static bool same_member(const cJSON *a, const cJSON *b, const char *name)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, name);
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, name);
	if (x == NULL || y == NULL) {
		return x == y;
	}
	return cJSON_Compare(x, y, true);
}

static bool rule_equal(const cJSON *a, const cJSON *b)
{
	static const char *const members[] = { "domainName", "ipAddressType", "ipAddress",
		                               "ttl",        "state",         "clientSubnets" };
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		if (!same_member(a, b, members[i])) {
			return false;
		}
	}
	return true;
}

static void progress(const ctl_t *ctl, const char *what, size_t done, size_t total)
{
	if (ctl->quiet || total == 0 || !isatty(STDERR_FILENO)) {
		return;
	}
	if (done % 100 == 0 || done == total) {
		int width = 40;
		int bar = (int)(done * (size_t)width / total);
		fprintf(stderr, "\r%-7s [%.*s%*s] %zu/%zu", what, bar,
		        "########################################", width - bar, "", done, total);
		if (done == total) {
			fputc('\n', stderr);
		}
	}
}

/*! \brief Writes one rule as the document has it (create, else replace). */
static int put_rule(ctl_t *ctl, const cJSON *rule, bool exists)
{
	const char *app = ctl_string(rule, "appInstanceId", "");
	cJSON *body = cJSON_Duplicate(rule, true);
	cJSON_DeleteItemFromObjectCaseSensitive(body, "appInstanceId");
	if (exists) {
		/* A partial PUT: absent members must be said to be absent. */
		cJSON_DeleteItemFromObjectCaseSensitive(body, "dnsRuleId");
		if (cJSON_GetObjectItemCaseSensitive(body, "ttl") == NULL) {
			cJSON_AddNullToObject(body, "ttl");
		}
		if (cJSON_GetObjectItemCaseSensitive(body, "clientSubnets") == NULL) {
			cJSON_AddNullToObject(body, "clientSubnets");
		}
	}
	char *text = cJSON_PrintUnformatted(body);
	char *app_e = ctl_escape_or_die(ctl, app);
	char *id_e = ctl_escape_or_die(ctl, ctl_string(rule, "dnsRuleId", ""));
	char *path = NULL;
	int ret = CTL_LOCAL;
	if (text != NULL && (exists ? asprintf(&path, "/mep/config/%s/dns_rules/%s", app_e, id_e)
	                            : asprintf(&path, "/mep/config/%s/dns_rules", app_e)) >= 0) {
		ctl_answer_t answer;
		ret = ctl_call(ctl, exists ? "PUT" : "POST", path, text, &answer);
		ctl_answer_clear(&answer);
		free(path);
	}
	free(app_e);
	free(id_e);
	free(text);
	cJSON_Delete(body);
	return ret;
}

static int delete_rule(ctl_t *ctl, const cJSON *rule)
{
	char *app_e = ctl_escape_or_die(ctl, ctl_string(rule, "appInstanceId", ""));
	char *id_e = ctl_escape_or_die(ctl, ctl_string(rule, "dnsRuleId", ""));
	char *path = NULL;
	int ret = CTL_LOCAL;
	if (asprintf(&path, "/mep/config/%s/dns_rules/%s", app_e, id_e) >= 0) {
		ctl_answer_t answer;
		ret = ctl_call(ctl, "DELETE", path, NULL, &answer);
		ctl_answer_clear(&answer);
		free(path);
	}
	free(app_e);
	free(id_e);
	return ret;
}

static int apply_rules(ctl_t *ctl, const cJSON *wanted, bool prune, counts_t *n)
{
	cJSON *current = NULL;
	int ret = ctl_all_rules(ctl, &current, NULL);
	if (ret != CTL_OK) {
		return ret;
	}
	drop_context_rules(current);
	map_t index = { 0 };
	char key[KEY_MAX];
	cJSON *have;
	cJSON_ArrayForEach(have, current)
	{
		rule_key(have, key, sizeof(key));
		map_put(&index, key, have);
	}
	size_t total = (size_t)cJSON_GetArraySize(wanted), done = 0;
	const cJSON *rule;
	cJSON_ArrayForEach(rule, wanted)
	{
		rule_key(rule, key, sizeof(key));
		have = map_get(&index, key);
		if (have != NULL && rule_equal(rule, have)) {
			n->unchanged++;
		} else if (put_rule(ctl, rule, have != NULL) == CTL_OK) {
			*(have != NULL ? &n->updated : &n->created) += 1;
		} else {
			n->failed++;
		}
		if (have != NULL) {
			/* Seen: what is left at the end is not in the document. */
			cJSON_AddBoolToObject(have, "_seen", true);
		}
		progress(ctl, "rules", ++done, total);
	}
	map_free(&index);
	cJSON_ArrayForEach(have, current)
	{
		if (prune && cJSON_GetObjectItemCaseSensitive(have, "_seen") == NULL) {
			*(delete_rule(ctl, have) == CTL_OK ? &n->deleted : &n->failed) += 1;
		}
	}
	cJSON_Delete(current);
	return CTL_OK;
}

/*! \brief Sends the pending sets of a bulk (one zone each) and empties it. */
static int flush_bulk(ctl_t *ctl, cJSON *bulk, size_t *pending, counts_t *n)
{
	if (*pending == 0) {
		return CTL_OK;
	}
	char *text = cJSON_PrintUnformatted(bulk);
	ctl_answer_t answer;
	int ret = text != NULL
	              ? ctl_call(ctl, "PUT", "/mep/dns_server_mgmt/v1/rrecord", text, &answer)
	              : CTL_LOCAL;
	if (text != NULL) {
		ctl_answer_clear(&answer);
	}
	free(text);
	if (ret != CTL_OK) {
		n->failed += *pending;
	}
	while (cJSON_GetArraySize(bulk) > 0) {
		cJSON_DeleteItemFromArray(bulk, 0);
	}
	*pending = 0;
	return ret;
}

static void bulk_add(cJSON *bulk, const char *zone, cJSON *set)
{
	cJSON *last = cJSON_GetArrayItem(bulk, cJSON_GetArraySize(bulk) - 1);
	if (last == NULL || strcmp(ctl_string(last, "zone", ""), zone) != 0) {
		last = cJSON_CreateObject();
		cJSON_AddStringToObject(last, "zone", zone);
		cJSON_AddArrayToObject(last, "rr");
		cJSON_AddItemToArray(bulk, last);
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(last, "rr"), set);
}

static int apply_rrsets(ctl_t *ctl, const cJSON *wanted, bool prune, counts_t *n)
{
	cJSON *current = NULL;
	int ret = ctl_all_rrsets(ctl, &current);
	if (ret != CTL_OK) {
		return ret;
	}
	map_t index = { 0 };
	char key[KEY_MAX];
	const cJSON *zone;
	cJSON_ArrayForEach(zone, current)
	{
		cJSON *set;
		cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(zone, "rr"))
		{
			set_key(ctl_string(zone, "zone", "."), set, key, sizeof(key));
			map_put(&index, key, set);
		}
	}
	cJSON *bulk = cJSON_CreateArray();
	size_t pending = 0, total = 0, done = 0;
	cJSON_ArrayForEach(zone, wanted)
	{
		total += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(zone, "rr"));
	}
	cJSON_ArrayForEach(zone, wanted)
	{
		const char *zone_name = ctl_string(zone, "zone", ".");
		const cJSON *set;
		cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(zone, "rr"))
		{
			set_key(zone_name, set, key, sizeof(key));
			cJSON *have = map_get(&index, key);
			if (have != NULL && same_member(set, have, "ttl") &&
			    same_member(set, have, "rData")) {
				n->unchanged++;
			} else {
				bulk_add(bulk, zone_name, cJSON_Duplicate(set, true));
				*(have != NULL ? &n->updated : &n->created) += 1;
				if (++pending == BULK_SETS) {
					(void)flush_bulk(ctl, bulk, &pending, n);
				}
			}
			if (have != NULL) {
				cJSON_AddBoolToObject(have, "_seen", true);
			}
			progress(ctl, "rrsets", ++done, total);
		}
	}
	cJSON_ArrayForEach(zone, current)
	{
		const cJSON *set;
		cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(zone, "rr"))
		{
			if (!prune || cJSON_GetObjectItemCaseSensitive(set, "_seen") != NULL) {
				continue;
			}
			/* An empty rData deletes the set. */
			cJSON *gone = cJSON_CreateObject();
			cJSON_AddStringToObject(gone, "name", ctl_string(set, "name", ""));
			cJSON_AddStringToObject(gone, "type", ctl_string(set, "type", ""));
			cJSON_AddStringToObject(gone, "class", "IN");
			cJSON_AddNumberToObject(gone, "ttl", 0);
			cJSON_AddArrayToObject(gone, "rData");
			const cJSON *scope = cJSON_GetObjectItemCaseSensitive(set, "clientSubnets");
			if (scope != NULL) {
				cJSON_AddItemToObject(gone, "clientSubnets",
				                      cJSON_Duplicate(scope, true));
			}
			bulk_add(bulk, ctl_string(zone, "zone", "."), gone);
			n->deleted++;
			if (++pending == BULK_SETS) {
				(void)flush_bulk(ctl, bulk, &pending, n);
			}
		}
	}
	(void)flush_bulk(ctl, bulk, &pending, n);
	map_free(&index);
	cJSON_Delete(bulk);
	cJSON_Delete(current);
	return CTL_OK;
}

static int apply(ctl_t *ctl, const cJSON *doc, bool prune)
{
	counts_t rules = { 0 }, sets = { 0 };
	const cJSON *wanted_rules = cJSON_GetObjectItemCaseSensitive(doc, "rules");
	const cJSON *wanted_sets = cJSON_GetObjectItemCaseSensitive(doc, "rrsets");
	int ret = CTL_OK;
	if (wanted_rules != NULL || prune) {
		ret = apply_rules(ctl, wanted_rules, prune, &rules);
	}
	if (ret == CTL_OK && (wanted_sets != NULL || prune)) {
		ret = apply_rrsets(ctl, wanted_sets, prune, &sets);
	}
	if (ret != CTL_OK) {
		return ret;
	}
	if (ctl->json) {
		printf(
		    "{\"rules\": {\"created\": %zu, \"updated\": %zu, \"unchanged\": %zu, "
		    "\"deleted\": %zu, \"failed\": %zu}, \"rrsets\": {\"created\": %zu, "
		    "\"updated\": %zu, \"unchanged\": %zu, \"deleted\": %zu, \"failed\": %zu}}\n",
		    rules.created, rules.updated, rules.unchanged, rules.deleted, rules.failed,
		    sets.created, sets.updated, sets.unchanged, sets.deleted, sets.failed);
	} else if (!ctl->quiet) {
		printf("rules:  %zu created, %zu updated, %zu unchanged, %zu deleted, %zu failed\n"
		       "rrsets: %zu created, %zu updated, %zu unchanged, %zu deleted, %zu failed\n",
		       rules.created, rules.updated, rules.unchanged, rules.deleted, rules.failed,
		       sets.created, sets.updated, sets.unchanged, sets.deleted, sets.failed);
	}
	if (rules.failed + sets.failed > 0) {
		ctl_error(ctl, "%zu changes failed (see above); run it again to retry them",
		          rules.failed + sets.failed);
		return CTL_REFUSED;
	}
	return CTL_OK;
}

/*! \brief Reads FILE: an export (JSON) or a zone file. NULL + message. */
static cJSON *read_input(ctl_t *ctl, const char *path, const char *zone)
{
	FILE *in = fopen(path, "rb");
	if (in == NULL) {
		ctl_error(ctl, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	int c;
	while ((c = fgetc(in)) == ' ' || c == '\t' || c == '\r' || c == '\n') {
	}
	if (c != '{') {
		fclose(in);
		cJSON *zones = read_zone_file(ctl, path, zone);
		return zones != NULL ? document(NULL, zones, 0) : NULL;
	}
	size_t size = 0, cap = 1 << 16;
	char *text = malloc(cap);
	text[size++] = (char)c;
	size_t n;
	while (text != NULL && (n = fread(text + size, 1, cap - size - 1, in)) > 0) {
		size += n;
		if (size + 1 == cap) {
			cap *= 2;
			char *grown = realloc(text, cap);
			if (grown == NULL) {
				free(text);
				text = NULL;
			}
			text = grown;
		}
	}
	fclose(in);
	if (text == NULL) {
		ctl_error(ctl, "out of memory reading %s", path);
		return NULL;
	}
	text[size] = '\0';
	cJSON *doc = cJSON_ParseWithLength(text, size);
	free(text);
	const cJSON *format = cJSON_GetObjectItemCaseSensitive(doc, "mecdnsExport");
	if (doc == NULL || !cJSON_IsNumber(format) || format->valuedouble != EXPORT_FORMAT) {
		ctl_error(ctl, "%s is not a mecdnsctl export (format %d) nor a zone file", path,
		          EXPORT_FORMAT);
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

int ctl_import(ctl_t *ctl, int argc, char **argv)
{
	bool prune = false;
	const char *path = NULL;
	const char *zone = ".";
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--prune") == 0) {
			prune = true;
		} else if (strcmp(argv[i], "--resume") == 0) {
			/* Every import resumes: what is already equal is skipped. */
		} else if (strcmp(argv[i], "--zone") == 0 && i + 1 < argc) {
			zone = argv[++i];
		} else if (path == NULL) {
			path = argv[i];
		} else {
			path = NULL;
			break;
		}
	}
	if (path == NULL) {
		ctl_error(ctl,
		          "usage: " CTL_PROGRAM " import [--resume] [--prune] [--zone Z] FILE");
		return CTL_USAGE;
	}
	cJSON *doc = read_input(ctl, path, zone);
	if (doc == NULL) {
		return CTL_LOCAL;
	}
	int ret = apply(ctl, doc, prune);
	cJSON_Delete(doc);
	return ret;
}

int ctl_restore(ctl_t *ctl, int argc, char **argv)
{
	bool yes = false;
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--yes") == 0) {
			yes = true;
		} else if (path == NULL) {
			path = argv[i];
		} else {
			path = NULL;
			break;
		}
	}
	if (path == NULL) {
		ctl_error(ctl, "usage: " CTL_PROGRAM " restore [--yes] BACKUP");
		return CTL_USAGE;
	}
	cJSON *doc = read_backup(ctl, path);
	if (doc == NULL) {
		return CTL_LOCAL;
	}
	if (!yes) {
		ctl_error(
		    ctl,
		    "%s holds %d rules and the record sets of %d zones (generation %.0f); "
		    "restoring replaces every rule and set syncd holds by them: run again "
		    "with --yes",
		    path, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "rules")),
		    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "rrsets")),
		    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "generation")));
		cJSON_Delete(doc);
		return CTL_USAGE;
	}
	int ret = apply(ctl, doc, true);
	cJSON_Delete(doc);
	return ret;
}
