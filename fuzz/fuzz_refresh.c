/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  libFuzzer target: the module's index refresh (module/refresh.c,
 *  module/index.c) from a hostile database.
 *
 *  Each input starts from a fresh schema-valid database (a copy of one
 *  made by schema/schema.h's mecdns_db_open()) and writes rows into it with raw SQL, with foreign
 * keys off and CHECK constraints ignored, as another tool or a damaged file could: names with odd
 * bytes, labels and case, longer than any name; any type, TTL and state; rdata of the wrong length
 * or type, huge, or stored as text; rdata without an rrset, rrsets without rdata; change log rows
 * pointing at nothing; generations that jump, stall or go back; a pruned change log; a replaced
 * instance id; a broken state row.
 *
 *  This file includes module/refresh.c to run its refresh step,
 *  refresh_once(), synchronously on a refresher without its thread: the
 *  same code the thread runs, minus the waiting.
 *
 *  The input is a program:
 *    0 RULE    slot, flags, address byte, ttl (4)
 *              flags: bit 0 IP_V6, bit 1 INACTIVE, bit 2 NULL ttl,
 *              bit 3 ttl as text, bit 4 hostile type text, bit 5 bad address
 *    1 RRSET   slot, zone slot, type (2), ttl (4), length (2), rdata
 *              (length bit 15: length & 0x7fff bytes of a repeated pattern,
 *              the huge rdata; a short input otherwise ends the rdata)
 *    2 RDATA   as RRSET but the rdata row only (no rrset row)
 *    3 DELETE  slot: every row of the owner
 *    4 CHANGE  slot, generation offset (1): a change row for any name
 *    5 STATE   kind, value (4): generation to set at the next refresh,
 *              pruned_through, a new instance id, a broken state row
 *    6 REFRESH writes the pending change rows and the state, runs
 *              refresh_once() and checks the index
 *    7 NAME    slot, length (2), text (any bytes, NUL too, up to 1100)
 *    8 FORGET  the pending changes get no change rows
 *    9 TTLTEXT slot, type (2): an rrset whose ttl is text
 *  A REFRESH also ends every program. FUZZ_REFRESH_TRACE=1 in the
 *  environment prints the operations and what each refresh loaded.
 *
 *  Checks after each refresh, besides memory safety:
 *  - the refresher's status counts (generation, owners, records) are the
 *    published index's;
 *  - every entry found under a name the program used is well formed: its
 *    owner is that name, its rrsets are ordered by type, of served types,
 *    non-empty, TTL <= 2^31-1, each rdata parses as its type, a CNAME
 *    entry has only one rrset;
 *  - when the change log is faithful (no FORGET, the generation moved
 *    forward, the refresh succeeded), the index equals a full load of the
 *    same database by a second refresher: same owners, same rrsets;
 *  - every valid ACTIVE rule row (canonical owner, valid address, TTL in
 *    range) is answered: its owner has a CNAME or its address.
 */

#include "module/refresh.c"

#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS        8
#define NAME_MAX_LEN 1100
#define MAX_RULES    64
#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "fuzz_refresh: " __VA_ARGS__);                                     \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

static char db_dir[256];
static char db_path[300];

static void remove_db(void)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char path[320];
		snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
		(void)unlink(path);
	}
}

static void cleanup(void)
{
	remove_db();
	(void)rmdir(db_dir);
}

/*! A new database as mecdns_db_open() creates it (checkpointed): each
 *  input starts from a copy, which is much faster than creating it. */
static uint8_t *template;
static size_t template_len;

static void make_template(void)
{
	remove_db();
	sqlite3 *db = NULL;
	char err[512];
	if (mecdns_db_open(db_path, MECDNS_DB_WRITER, &db, err, sizeof(err)) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) {
		FAIL("creating the template: %s", err);
	}
	sqlite3_close(db);
	FILE *f = fopen(db_path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (template_len = (size_t)ftell(f)) == 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (template = malloc(template_len)) == NULL ||
	    fread(template, 1, template_len, f) != template_len) {
		FAIL("cannot read the template %s", db_path);
	}
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(db_dir, sizeof(db_dir), "%s/mecdns-fuzz-refresh.XXXXXX",
	         base != NULL ? base : "/tmp");
	if (mkdtemp(db_dir) == NULL) {
		FAIL("cannot create a directory like %s", db_dir);
	}
	snprintf(db_path, sizeof(db_path), "%s/mecdns.db", db_dir);
	atexit(cleanup);
	make_template();
	rcu_register_thread();
	return 0;
}

/*** The program's state. ***/

typedef struct {
	char text[SLOTS][NAME_MAX_LEN + 1];
	size_t len[SLOTS];  /*!< Length of text (it may hold NUL bytes). */
	char *touched[256]; /*!< Owners changed since the last refresh. */
	size_t touched_len[256];
	size_t touched_count;
	bool forget; /*!< No change rows for the pending changes. */
	bool generation_set;
	int64_t generation;      /*!< Next state generation (if set). */
	int64_t last_generation; /*!< Generation written by the last refresh. */
	bool broken_state;       /*!< The state row was made invalid. */
	bool instance_changed;
	bool pruned_set;
	int64_t pruned;
	int64_t pruned_db; /*!< pruned_through in the database. */
	bool dirty;        /*!< The index may miss changes (see op_refresh). */
	/* Valid ACTIVE rules written (owner slot text, family, address). */
	struct {
		char owner[NAME_MAX_LEN + 1];
		bool v6;
		uint8_t addr[16];
	} rules[MAX_RULES];
	size_t rule_count;
	sqlite3 *db;           /*!< The writer connection. */
	mecdns_refresher_t *r; /*!< The refresher under test. */
} prog_t;

static void sql(prog_t *p, const char *text)
{
	char *msg = NULL;
	if (sqlite3_exec(p->db, text, NULL, NULL, &msg) != SQLITE_OK) {
		FAIL("%s: %s", text, msg != NULL ? msg : "?");
	}
	sqlite3_free(msg);
}

static sqlite3_stmt *prepare(prog_t *p, const char *text)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(p->db, text, -1, &stmt, NULL) != SQLITE_OK) {
		FAIL("%s: %s", text, sqlite3_errmsg(p->db));
	}
	return stmt;
}

static void step_done(prog_t *p, sqlite3_stmt *stmt)
{
	int ret = sqlite3_step(stmt);
	if (ret != SQLITE_DONE && ret != SQLITE_CONSTRAINT) {
		FAIL("write failed: %s", sqlite3_errmsg(p->db));
	}
	sqlite3_finalize(stmt);
}

static void touch(prog_t *p, size_t slot)
{
	const char *owner = p->text[slot];
	size_t len = p->len[slot];
	for (size_t i = 0; i < p->touched_count; i++) {
		if (p->touched_len[i] == len && memcmp(p->touched[i], owner, len) == 0) {
			return;
		}
	}
	if (p->touched_count < sizeof(p->touched) / sizeof(p->touched[0])) {
		p->touched[p->touched_count] = malloc(len + 1);
		memcpy(p->touched[p->touched_count], owner, len + 1);
		p->touched_len[p->touched_count++] = len;
	}
}

/*! \brief Binds a slot's text, NUL bytes included. */
static void bind_slot(sqlite3_stmt *stmt, int col, const prog_t *p, size_t slot)
{
	sqlite3_bind_text(stmt, col, p->text[slot], (int)p->len[slot], SQLITE_TRANSIENT);
}

static bool take(const uint8_t **pos, const uint8_t *end, void *out, size_t n)
{
	if ((size_t)(end - *pos) < n) {
		return false;
	}
	memcpy(out, *pos, n);
	*pos += n;
	return true;
}

/*! \brief Whether a slot holds what the store writes: a canonical owner. */
static bool canonical(const prog_t *p, size_t slot)
{
	knot_dname_storage_t out;
	return strlen(p->text[slot]) == p->len[slot] &&
	       mecdns_owner_parse(p->text[slot], out) == KNOT_EOK;
}

/*** Operations. ***/

static bool op_rule(prog_t *p, const uint8_t **pos, const uint8_t *end)
{
	uint8_t slot, flags, addr_byte;
	uint32_t ttl;
	if (!take(pos, end, &slot, 1) || !take(pos, end, &flags, 1) ||
	    !take(pos, end, &addr_byte, 1) || !take(pos, end, &ttl, 4)) {
		return false;
	}
	slot %= SLOTS;
	const char *owner = p->text[slot];
	bool v6 = flags & 1;
	char addr[64];
	if (flags & 32) {
		snprintf(addr, sizeof(addr), v6 ? "192.0.2.%u" : "2001:db8::%x", addr_byte);
	} else {
		snprintf(addr, sizeof(addr), v6 ? "2001:db8::%x" : "192.0.2.%u", addr_byte);
	}
	static unsigned id;
	char rule_id[32];
	snprintf(rule_id, sizeof(rule_id), "r%u", id++);

	sqlite3_stmt *stmt =
	    prepare(p, "INSERT INTO rules (app_instance_id, dns_rule_id, domain_name, owner, "
	               "ip_address_type, ip_address, ttl, state, version, created_ms, updated_ms, "
	               "generation) VALUES ('app', ?1, ?2, ?2, ?3, ?4, ?5, ?6, 1, 0, 0, 0)");
	sqlite3_bind_text(stmt, 1, rule_id, -1, SQLITE_TRANSIENT);
	bind_slot(stmt, 2, p, slot);
	sqlite3_bind_text(stmt, 3,
	                  (flags & 16) ? "IP_V5"
	                  : v6         ? "IP_V6"
	                               : "IP_V4",
	                  -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, addr, -1, SQLITE_TRANSIENT);
	int64_t ttl_value = (int64_t)(int32_t)ttl; /* Negative ones too. */
	if (flags & 4) {
		sqlite3_bind_null(stmt, 5);
	} else if (flags & 8) {
		sqlite3_bind_text(stmt, 5, "sixty", -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_int64(stmt, 5, ttl_value);
	}
	sqlite3_bind_text(stmt, 6, (flags & 2) ? "INACTIVE" : "ACTIVE", -1, SQLITE_STATIC);
	step_done(p, stmt);
	touch(p, slot);

	bool valid =
	    !(flags & (2 | 8 | 16 | 32)) && ((flags & 4) || ttl_value >= 0) && canonical(p, slot);
	if (valid && p->rule_count < MAX_RULES) {
		snprintf(p->rules[p->rule_count].owner, sizeof(p->rules[0].owner), "%s", owner);
		p->rules[p->rule_count].v6 = v6;
		if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, p->rules[p->rule_count].addr) != 1) {
			FAIL("address %s", addr);
		}
		p->rule_count++;
	}
	return true;
}

static bool op_rdata(prog_t *p, const uint8_t **pos, const uint8_t *end, bool with_rrset)
{
	uint8_t slot, zone_slot;
	uint16_t type, len;
	uint32_t ttl;
	if (!take(pos, end, &slot, 1) || !take(pos, end, &zone_slot, 1) ||
	    !take(pos, end, &type, 2) || !take(pos, end, &ttl, 4) || !take(pos, end, &len, 2)) {
		return false;
	}
	uint8_t *wire;
	size_t wire_len;
	if (len & 0x8000) {
		/* Huge: a repeated pattern, up to 32767 * 3 bytes. */
		wire_len = (size_t)(len & 0x7fff) * 3;
		wire = malloc(wire_len + 1);
		uint8_t pattern = *pos < end ? **pos : 0;
		for (size_t i = 0; i < wire_len; i++) {
			/* A TXT-like shape: a length byte then that many bytes. */
			wire[i] = (i % 256 == 0) ? 255 : (uint8_t)(pattern + i);
		}
	} else {
		wire_len = len <= (size_t)(end - *pos) ? len : (size_t)(end - *pos);
		wire = malloc(wire_len + 1);
		memcpy(wire, *pos, wire_len);
		*pos += wire_len;
	}
	slot %= SLOTS;
	zone_slot %= SLOTS;
	int64_t ttl_value = (int64_t)(int32_t)ttl;
	if (with_rrset) {
		sqlite3_stmt *stmt =
		    prepare(p, "INSERT OR REPLACE INTO rrsets (zone, owner, type, ttl, generation, "
		               "updated_ms) VALUES (?1, ?2, ?3, ?4, 0, 0)");
		bind_slot(stmt, 1, p, zone_slot);
		bind_slot(stmt, 2, p, slot);
		sqlite3_bind_int(stmt, 3, type);
		sqlite3_bind_int64(stmt, 4, ttl_value);
		step_done(p, stmt);
	}
	sqlite3_stmt *stmt =
	    prepare(p, "INSERT INTO rdata (zone, owner, type, pos, text, wire) VALUES (?1, ?2, ?3, "
	               "(SELECT count(*) FROM rdata WHERE zone = ?1 AND owner = ?2 AND type = ?3), "
	               "'', ?4)");
	bind_slot(stmt, 1, p, zone_slot);
	bind_slot(stmt, 2, p, slot);
	sqlite3_bind_int(stmt, 3, type);
	if (wire_len > 0 && wire[0] == 0xfe) {
		/* Stored as text, not as a blob. */
		wire[wire_len] = '\0';
		sqlite3_bind_text(stmt, 4, (const char *)wire, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_blob(stmt, 4, wire, (int)wire_len, SQLITE_TRANSIENT);
	}
	step_done(p, stmt);
	free(wire);
	touch(p, slot);
	return true;
}

static bool op_delete(prog_t *p, const uint8_t **pos, const uint8_t *end)
{
	uint8_t slot;
	if (!take(pos, end, &slot, 1)) {
		return false;
	}
	slot %= SLOTS;
	const char *owner = p->text[slot];
	static const char *const statements[] = {
		"DELETE FROM rules WHERE owner = ?1",
		"DELETE FROM rrsets WHERE owner = ?1",
		"DELETE FROM rdata WHERE owner = ?1",
	};
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++) {
		sqlite3_stmt *stmt = prepare(p, statements[i]);
		bind_slot(stmt, 1, p, slot);
		step_done(p, stmt);
	}
	for (size_t i = 0; i < p->rule_count; i++) {
		if (p->len[slot] == strlen(owner) && strcmp(p->rules[i].owner, owner) == 0) {
			p->rules[i--] = p->rules[--p->rule_count];
		}
	}
	touch(p, slot);
	return true;
}

static bool op_change(prog_t *p, const uint8_t **pos, const uint8_t *end)
{
	uint8_t slot, offset;
	if (!take(pos, end, &slot, 1) || !take(pos, end, &offset, 1)) {
		return false;
	}
	sqlite3_stmt *stmt =
	    prepare(p, "INSERT INTO changes (generation, committed_ms, kind, owner, prev_owner) "
	               "VALUES (?1, 0, 'rule', ?2, ?3)");
	sqlite3_bind_int64(stmt, 1, p->last_generation + (int8_t)offset);
	bind_slot(stmt, 2, p, slot % SLOTS);
	if (offset & 1) {
		bind_slot(stmt, 3, p, (slot + 1) % SLOTS);
	} else {
		sqlite3_bind_null(stmt, 3);
	}
	step_done(p, stmt);
	return true;
}

static bool op_state(prog_t *p, const uint8_t **pos, const uint8_t *end)
{
	uint8_t kind;
	uint32_t value;
	if (!take(pos, end, &kind, 1) || !take(pos, end, &value, 4)) {
		return false;
	}
	switch (kind % 5) {
	case 0: /* The next generation, anywhere around the last one. */
		p->generation_set = true;
		p->generation = p->last_generation + (int16_t)(value & 0xffff);
		break;
	case 1:
		p->pruned_set = true;
		p->pruned = p->last_generation + (int8_t)(value & 0xff);
		break;
	case 2:
		p->instance_changed = true;
		break;
	case 3: { /* A broken state row, or a huge instance id. */
		static const char *const broken[] = {
			"UPDATE state SET generation = -1",
			"UPDATE state SET instance = x'00ff'",
			"UPDATE state SET instance = hex(zeroblob(200))",
			"DELETE FROM state",
			"UPDATE state SET generation = 'x'",
		};
		sql(p, broken[value % (sizeof(broken) / sizeof(broken[0]))]);
		p->broken_state = true;
		break;
	}
	case 4: /* Another schema version. */
		sql(p, (value & 1) ? "PRAGMA user_version = 1" : "PRAGMA user_version = 3");
		p->broken_state = true;
		break;
	}
	return true;
}

static bool op_name(prog_t *p, const uint8_t **pos, const uint8_t *end)
{
	uint8_t slot;
	uint16_t len;
	if (!take(pos, end, &slot, 1) || !take(pos, end, &len, 2)) {
		return false;
	}
	char *text = p->text[slot % SLOTS];
	len %= NAME_MAX_LEN + 1;
	p->len[slot % SLOTS] = len;
	if ((size_t)(end - *pos) >= len) {
		memcpy(text, *pos, len);
		*pos += len;
	} else {
		/* Not enough input: repeat what there is (long names). */
		size_t have = (size_t)(end - *pos);
		for (size_t i = 0; i < len; i++) {
			text[i] = have > 0 ? (char)(*pos)[i % have] : 'a';
		}
		*pos = end;
	}
	text[len] = '\0';
	return true;
}

static bool op_ttl_text(prog_t *p, const uint8_t **pos, const uint8_t *end)
{
	uint8_t slot;
	uint16_t type;
	if (!take(pos, end, &slot, 1) || !take(pos, end, &type, 2)) {
		return false;
	}
	slot %= SLOTS;
	sqlite3_stmt *stmt = prepare(
	    p, "INSERT OR REPLACE INTO rrsets (zone, owner, type, ttl, generation, updated_ms) "
	       "VALUES ('.', ?1, ?2, 'long', 0, 0)");
	bind_slot(stmt, 1, p, slot);
	sqlite3_bind_int(stmt, 2, type);
	step_done(p, stmt);
	stmt = prepare(p, "INSERT OR REPLACE INTO rdata (zone, owner, type, pos, text, wire) "
	                  "VALUES ('.', ?1, ?2, 0, '', x'c0000201')");
	bind_slot(stmt, 1, p, slot);
	sqlite3_bind_int(stmt, 2, type);
	step_done(p, stmt);
	touch(p, slot);
	return true;
}

/*** Checks. ***/

static void check_entry(const mecdns_owner_t *e, const knot_dname_t *name)
{
	if (!knot_dname_is_equal(e->owner, name)) {
		FAIL("entry owner differs from the name looked up");
	}
	if (e->rrset_count == 0) {
		FAIL("entry without rrsets in the index");
	}
	if (e->cname && (e->rrset_count != 1 || e->rrsets[0].type != KNOT_RRTYPE_CNAME)) {
		FAIL("CNAME entry with %u rrsets", e->rrset_count);
	}
	for (uint16_t i = 0; i < e->rrset_count; i++) {
		const knot_rrset_t *set = &e->rrsets[i];
		if (i > 0 && e->rrsets[i - 1].type >= set->type) {
			FAIL("rrsets not ordered by type");
		}
		if (!e->cname && set->type == KNOT_RRTYPE_CNAME) {
			FAIL("CNAME rrset in a non-CNAME entry");
		}
		if (!mecdns_type_served(set->type) || set->rrs.count == 0 || set->ttl > INT32_MAX ||
		    !knot_dname_is_equal(set->owner, name)) {
			FAIL("bad rrset: type %u, %u records, ttl %u", set->type, set->rrs.count,
			     set->ttl);
		}
		knot_rdata_t *rd = set->rrs.rdata;
		for (uint16_t k = 0; k < set->rrs.count; k++) {
			if (!refresh_rdata_parses(set->type, rd->data, rd->len)) {
				FAIL("type %u rdata of %u bytes does not parse", set->type,
				     rd->len);
			}
			rd = knot_rdataset_next(rd);
		}
	}
}

static bool entries_equal(const mecdns_owner_t *a, const mecdns_owner_t *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	if (a->rrset_count != b->rrset_count || a->cname != b->cname) {
		return false;
	}
	for (uint16_t i = 0; i < a->rrset_count; i++) {
		if (!knot_rrset_equal(&a->rrsets[i], &b->rrsets[i], true) ||
		    a->rrsets[i].ttl != b->rrsets[i].ttl) {
			return false;
		}
	}
	return true;
}

static void check_status(const mecdns_refresher_t *r)
{
	if (r->index == NULL) {
		if (r->status.loaded) {
			FAIL("status loaded without an index");
		}
		return;
	}
	if (r->status.generation != mecdns_index_generation(r->index) ||
	    r->status.owners != mecdns_index_owners(r->index) ||
	    r->status.records != mecdns_index_records(r->index)) {
		FAIL("status %llu/%llu/%llu, index %llu/%zu/%zu",
		     (unsigned long long)r->status.generation, (unsigned long long)r->status.owners,
		     (unsigned long long)r->status.records,
		     (unsigned long long)mecdns_index_generation(r->index),
		     mecdns_index_owners(r->index), mecdns_index_records(r->index));
	}
}

/*! \brief Every name the program used, as the index would key it. */
static void check_names(prog_t *p, const mecdns_index_t *full)
{
	const mecdns_index_t *idx = p->r->index;
	for (size_t s = 0; s < SLOTS; s++) {
		knot_dname_storage_t name;
		if (!canonical(p, s) || mecdns_owner_parse(p->text[s], name) != KNOT_EOK) {
			continue;
		}
		const mecdns_owner_t *e = mecdns_index_find(idx, name);
		if (e != NULL) {
			check_entry(e, name);
		}
		if (full != NULL && !entries_equal(e, mecdns_index_find(full, name))) {
			FAIL("incremental and full load differ at %s", p->text[s]);
		}
	}
}

/*! \brief A full load of the same database by a second refresher. */
static mecdns_refresher_t *full_load(void)
{
	const mecdns_refresh_conf_t conf = { .database = db_path,
		                             .default_ttl = 60,
		                             .interval_ms = 1000 };
	mecdns_refresher_t *r = refresher_new(&conf);
	if (r == NULL) {
		FAIL("out of memory");
	}
	refresh_once(r);
	return r;
}

static void free_refresher(mecdns_refresher_t *r)
{
	refresh_source_close(&r->src);
	mecdns_index_free(r->index);
	refresher_free(r);
}

static void check_rules(prog_t *p)
{
	for (size_t i = 0; i < p->rule_count; i++) {
		knot_dname_storage_t name;
		if (mecdns_owner_parse(p->rules[i].owner, name) != KNOT_EOK) {
			FAIL("rule owner %s no longer canonical", p->rules[i].owner);
		}
		const mecdns_owner_t *e = mecdns_index_find(p->r->index, name);
		if (e == NULL) {
			FAIL("valid ACTIVE rule of %s not answered", p->rules[i].owner);
		}
		if (e->cname) {
			continue;
		}
		uint16_t type = p->rules[i].v6 ? KNOT_RRTYPE_AAAA : KNOT_RRTYPE_A;
		const knot_rrset_t *set = mecdns_owner_rrset(e, type);
		knot_rdata_t *rd = set != NULL ? set->rrs.rdata : NULL;
		bool found = false;
		for (uint16_t k = 0; set != NULL && k < set->rrs.count && !found; k++) {
			found = rd->len == (p->rules[i].v6 ? 16 : 4) &&
			        memcmp(rd->data, p->rules[i].addr, rd->len) == 0;
			rd = knot_rdataset_next(rd);
		}
		if (!found) {
			FAIL("valid ACTIVE rule of %s: address missing", p->rules[i].owner);
		}
	}
}

/*! \brief Ends the program's write transaction with the change rows and
 *         the state of the next generation, refreshes, checks. */
static void op_refresh(prog_t *p)
{
	mecdns_refresher_t *r = p->r;
	int64_t generation = p->generation_set ? p->generation : p->last_generation + 1;
	if (!p->forget) {
		for (size_t i = 0; i < p->touched_count; i++) {
			sqlite3_stmt *stmt = prepare(
			    p, "INSERT INTO changes (generation, committed_ms, kind, owner) "
			       "VALUES (?1, 0, 'rrset', ?2)");
			sqlite3_bind_int64(stmt, 1, generation);
			sqlite3_bind_text(stmt, 2, p->touched[i], (int)p->touched_len[i],
			                  SQLITE_TRANSIENT);
			step_done(p, stmt);
		}
	}
	if (!p->broken_state) {
		char text[200];
		snprintf(text, sizeof(text), "UPDATE state SET generation = %lld%s%s",
		         (long long)generation,
		         p->instance_changed ? ", instance = lower(hex(randomblob(16)))" : "",
		         p->pruned_set ? ", pruned_through = ?" : "");
		sqlite3_stmt *stmt = prepare(p, text);
		if (p->pruned_set) {
			sqlite3_bind_int64(stmt, 1, p->pruned);
		}
		step_done(p, stmt);
	}
	sql(p, "COMMIT");

	bool was_loaded = r->src.loaded;
	uint64_t was_generation = r->src.generation;
	const mecdns_index_t *was_index = r->index;
	refresh_once(r);
	check_status(r);

	bool failed = r->src.problem[0] != '\0';
	if (failed && r->index != was_index) {
		FAIL("a failed refresh changed the index");
	}
	if (failed) {
		p->dirty = true; /* It missed changes a later refresh may not see. */
	}
	if (p->pruned_set) {
		p->pruned_db = p->pruned;
	}
	if (r->index != NULL && !failed) {
		/* Whether the index must equal a full load: refresh.c's load()
		 * decides between nothing, changes and a full load from the
		 * state row; changes it skipped or never saw keep the index
		 * behind until the next full load. */
		bool current =
		    was_loaded && !p->instance_changed && generation == (int64_t)was_generation;
		bool full = !current && (!was_loaded || p->instance_changed ||
		                         generation < (int64_t)was_generation ||
		                         p->pruned_db > (int64_t)was_generation);
		if (p->broken_state) {
			p->dirty = true; /* What the loader reads is not ours to know. */
		} else if (full) {
			p->dirty = false;
		} else if (current) {
			p->dirty |= p->touched_count > 0;
		} else {
			p->dirty |= p->forget;
		}
		bool faithful = !p->dirty;
		if (getenv("FUZZ_REFRESH_TRACE") != NULL) {
			fprintf(stderr,
			        "refresh: generation %lld (loaded %llu), current %d, full %d, "
			        "faithful %d, %zu touched, index %llu: %zu owners %zu records\n",
			        (long long)generation, (unsigned long long)was_generation, current,
			        full, faithful, p->touched_count,
			        (unsigned long long)mecdns_index_generation(r->index),
			        mecdns_index_owners(r->index), mecdns_index_records(r->index));
		}
		mecdns_refresher_t *other = faithful ? full_load() : NULL;
		if (other != NULL && other->index == NULL) {
			FAIL("a full load failed where the refresh succeeded");
		}
		if (other != NULL &&
		    (mecdns_index_owners(other->index) != mecdns_index_owners(r->index) ||
		     mecdns_index_records(other->index) != mecdns_index_records(r->index))) {
			FAIL("index %zu owners %zu records, full load %zu / %zu",
			     mecdns_index_owners(r->index), mecdns_index_records(r->index),
			     mecdns_index_owners(other->index), mecdns_index_records(other->index));
		}
		check_names(p, other != NULL ? other->index : NULL);
		if (faithful) {
			check_rules(p);
		}
		if (other != NULL) {
			free_refresher(other);
		}
	}

	for (size_t i = 0; i < p->touched_count; i++) {
		free(p->touched[i]);
	}
	p->touched_count = 0;
	if (!p->broken_state) {
		p->last_generation = generation;
	}
	p->forget = p->generation_set = p->pruned_set = p->instance_changed = false;
	sql(p, "BEGIN");
}

static void prog_init(prog_t *p)
{
	static const char *const initial[SLOTS] = {
		"www.example.com.", "WWW.Example.COM.", "example.com", "a\\.b.example.",
		"\\000.example.",   "*.example.com.",   ".",           "x.",
	};
	memset(p, 0, sizeof(*p));
	for (size_t s = 0; s < SLOTS; s++) {
		p->len[s] = (size_t)snprintf(p->text[s], sizeof(p->text[s]), "%s", initial[s]);
	}
	remove_db();
	FILE *f = fopen(db_path, "wb");
	if (f == NULL || fwrite(template, 1, template_len, f) != template_len || fclose(f) != 0) {
		FAIL("cannot write %s", db_path);
	}
	if (sqlite3_open(db_path, &p->db) != SQLITE_OK) {
		FAIL("cannot open %s: %s", db_path, sqlite3_errmsg(p->db));
	}
	sql(p, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = OFF; "
	       "PRAGMA ignore_check_constraints = ON; PRAGMA synchronous = OFF; BEGIN");
	const mecdns_refresh_conf_t conf = { .database = db_path,
		                             .default_ttl = 60,
		                             .interval_ms = 1000 };
	p->r = refresher_new(&conf);
	if (p->r == NULL) {
		FAIL("out of memory");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static prog_t prog;
	prog_t *p = &prog;
	prog_init(p);

	const uint8_t *pos = data, *end = data + size;
	uint8_t op;
	bool more = true;
	int refreshes = 0;
	bool trace = getenv("FUZZ_REFRESH_TRACE") != NULL;
	while (more && refreshes < 16 && take(&pos, end, &op, 1)) {
		if (trace) {
			fprintf(stderr, "op %d at %zu\n", op % 10, (size_t)(pos - 1 - data));
		}
		switch (op % 10) {
		case 0:
			more = op_rule(p, &pos, end);
			break;
		case 1:
			more = op_rdata(p, &pos, end, true);
			break;
		case 2:
			more = op_rdata(p, &pos, end, false);
			break;
		case 3:
			more = op_delete(p, &pos, end);
			break;
		case 4:
			more = op_change(p, &pos, end);
			break;
		case 5:
			more = op_state(p, &pos, end);
			break;
		case 6:
			op_refresh(p);
			refreshes++;
			break;
		case 7:
			more = op_name(p, &pos, end);
			break;
		case 8:
			p->forget = true;
			break;
		case 9:
			more = op_ttl_text(p, &pos, end);
			break;
		}
	}
	op_refresh(p);

	sql(p, "COMMIT");
	sqlite3_close(p->db);
	free_refresher(p->r);
	return 0;
}
