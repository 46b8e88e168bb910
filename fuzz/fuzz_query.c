/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  libFuzzer target: mod-mecdns's query hook (module/mecdns.c, the BEGIN
 *  hook) on arbitrary DNS messages, parsed by libknot as knotd does.
 *
 *  The module is loaded through its knotd_mod_api (load() registers the
 *  hook; its refresher thread loads a small fixed database made at start)
 *  into four instances: global and zone scope (example.com.), each with
 *  and without answer rotation. This file stands in for the knotd process:
 *  it defines the knotd_* functions the module calls (knot/include/
 *  module.h: configuration values, counters, log, hook registration, the
 *  zone apex) and prepares each query the way process_query.c does before
 *  the BEGIN hooks: the packet parsed, the query classified
 *  (knotd_query_type_t), the response allocated from a per-query pool and
 *  initialised from the query with room for the OPT record.
 *
 *  FUZZ_QUERY_TRACE=1 in the environment prints each query and the state
 *  the hook returned; FUZZ_QUERY_LOG=1 also the module's log lines.
 *
 *  Input: one selector byte, then the DNS message.
 *    bit 0    zone-scope instance (else global)
 *    bit 1    the zone is signed (a DNSKEY at its apex)
 *    bits 2-3 response size limit: 512, 1232, 65535, 4096 bytes
 *    bit 4    an earlier hook already answered (state DONE)
 *    bit 5    the query type is forced to NORMAL whatever the opcode
 *    bit 6    answer rotation
 *    bit 7    the zone has no SOA (not loaded yet)
 *
 *  Properties checked besides memory safety:
 *  - the hook returns the state it got (passed through: the response is
 *    untouched, byte for byte), DONE, or FAIL with SERVFAIL;
 *  - it passes through what is not its own: another state, non-NORMAL
 *    queries, classes other than IN (CH only for the generation probe of
 *    global instances), the types that go to Knot, names outside a zone
 *    instance's zone, signed zones, and names the index does not hold;
 *  - a DONE response fits the size limit, re-parses with libknot, keeps the
 *    query's ID and question, is authoritative NOERROR, and answers what
 *    the index holds for the name (read through a refresher user of our
 *    own): the rrset of the query type (CNAME for any type, the first rrset
 *    for ANY) with the same TTL and rdata, or NODATA with one SOA; with TC
 *    set, the answer section is empty.
 */

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu.h>

#include <knot/module.h>
#include <libknot/libknot.h>

#include "module/index.h"
#include "module/refresh.h"
#include "schema/schema.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "fuzz_query: " __VA_ARGS__);                                       \
		fputc('\n', stderr);                                                               \
		abort();                                                                           \
	} while (0)

/*! knotd's state of a query nobody has answered yet (as in mecdns.c). */
#define STATE_UNANSWERED 2
#define MAX_COUNTERS     16
#define MAX_INDEX        64
/* clang-format off: wire-format names as length-prefixed labels. */
#define ZONE                                                                                       \
	(const knot_dname_t *)"\x07"                                                               \
	                      "example"                                                            \
	                      "\x03"                                                               \
	                      "com"
#define PROBE                                                                                      \
	(const knot_dname_t *)"\x0a"                                                               \
	                      "generation"                                                         \
	                      "\x06"                                                               \
	                      "mecdns"
/* clang-format on */

extern const knotd_mod_api_t knotd_mod_api;

/*** The stand-in for knotd. ***/

struct knotd_mod {
	const knot_dname_t *zone; /*!< NULL: global instance. */
	bool rotate;
	void *ctx;
	knotd_mod_hook_f begin;
	knotd_mod_hook_f end; /*!< NULL: none (zone instances). */
	unsigned counters;    /*!< Counters registered. */
	uint32_t idx_count[MAX_COUNTERS];
	uint64_t stats[MAX_COUNTERS][MAX_INDEX];
};

static char db_dir[256];
static char db_path[300];
static bool zone_signed;
static bool zone_without_soa;
static knot_rrset_t *zone_soa;
static knot_rrset_t *zone_dnskey;
static knot_rrset_t *zone_ns; /*!< The apex NS: ns.example.com. (protected). */

void *knotd_mod_ctx(knotd_mod_t *mod)
{
	return mod->ctx;
}

void knotd_mod_ctx_set(knotd_mod_t *mod, void *ctx)
{
	mod->ctx = ctx;
}

const knot_dname_t *knotd_mod_zone(knotd_mod_t *mod)
{
	return mod->zone;
}

void knotd_mod_vlog(knotd_mod_t *mod, int priority, const char *fmt, va_list args)
{
	(void)mod;
	if (priority <= LOG_ERR || getenv("FUZZ_QUERY_LOG") != NULL) {
		fprintf(stderr, "module: ");
		vfprintf(stderr, fmt, args);
		fputc('\n', stderr);
	}
}

void knotd_mod_log(knotd_mod_t *mod, int priority, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	knotd_mod_vlog(mod, priority, fmt, args);
	va_end(args);
}

int knotd_mod_stats_add(knotd_mod_t *mod, const char *ctr_name, uint32_t idx_count,
                        knotd_mod_idx_to_str_f idx_to_str)
{
	(void)ctr_name;
	if (mod->counters == MAX_COUNTERS || idx_count == 0 || idx_count > MAX_INDEX ||
	    (idx_count > 1) != (idx_to_str != NULL)) {
		return KNOT_EINVAL;
	}
	for (uint32_t i = 0; idx_to_str != NULL && i < idx_count; i++) {
		char *name = idx_to_str(i, idx_count);
		if (name == NULL || name[0] == '\0') {
			FAIL("counter %s has no name for index %u", ctr_name, i);
		}
		free(name);
	}
	mod->idx_count[mod->counters++] = idx_count;
	return KNOT_EOK;
}

static void stats_check(knotd_mod_t *mod, unsigned thr_id, uint32_t ctr_id, uint32_t idx)
{
	if (ctr_id >= mod->counters || idx >= mod->idx_count[ctr_id] || thr_id != 0) {
		FAIL("counter %u[%u] of thread %u: %u counters registered", ctr_id, idx, thr_id,
		     mod->counters);
	}
}

void knotd_mod_stats_incr(knotd_mod_t *mod, unsigned thr_id, uint32_t ctr_id, uint32_t idx,
                          uint64_t val)
{
	stats_check(mod, thr_id, ctr_id, idx);
	__atomic_add_fetch(&mod->stats[ctr_id][idx], val, __ATOMIC_RELAXED);
}

void knotd_mod_stats_store(knotd_mod_t *mod, unsigned thr_id, uint32_t ctr_id, uint32_t idx,
                           uint64_t val)
{
	stats_check(mod, thr_id, ctr_id, idx);
	__atomic_store_n(&mod->stats[ctr_id][idx], val, __ATOMIC_RELAXED);
}

int knotd_mod_hook(knotd_mod_t *mod, knotd_stage_t stage, knotd_mod_hook_f hook)
{
	knotd_mod_hook_f *slot = stage == KNOTD_STAGE_BEGIN ? &mod->begin
	                         : stage == KNOTD_STAGE_END ? &mod->end
	                                                    : NULL;
	if (slot == NULL || *slot != NULL) {
		return KNOT_EINVAL;
	}
	*slot = hook;
	return KNOT_EOK;
}

static bool item_is(const yp_name_t *item, const char *name)
{
	return item != NULL && (size_t)item[0] == strlen(name) &&
	       memcmp(item + 1, name, strlen(name)) == 0;
}

knotd_conf_t knotd_conf_mod(knotd_mod_t *mod, const yp_name_t *item_name)
{
	knotd_conf_t conf = { .count = 1 };
	if (item_is(item_name, "database")) {
		conf.single.string = db_path;
	} else if (item_is(item_name, "default-ttl") || item_is(item_name, "negative-ttl")) {
		conf.single.integer = 60;
	} else if (item_is(item_name, "refresh-interval")) {
		conf.single.integer = 1000;
	} else if (item_is(item_name, "answer-rotation")) {
		conf.single.boolean = mod->rotate;
	} else if (item_is(item_name, "report-socket")) {
		/* Nobody listens: every report is sent and dropped. */
		conf.single.string = "/nonexistent/mecdns-fuzz-report.sock";
	} else {
		conf.count = 0; /* soa-mname, soa-rname: the defaults. */
	}
	return conf;
}

knotd_conf_t knotd_conf(knotd_mod_t *mod, const yp_name_t *section_name, const yp_name_t *item_name,
                        const knotd_conf_t *id)
{
	(void)mod;
	(void)section_name;
	(void)item_name;
	(void)id;
	knotd_conf_t conf = { .count = 0 }; /* server.answer-rotation: off. */
	return conf;
}

knotd_conf_t knotd_conf_zone(knotd_mod_t *mod, const yp_name_t *item_name, const knot_dname_t *zone)
{
	(void)mod;
	(void)item_name;
	(void)zone;
	knotd_conf_t conf = { .count = 0 }; /* dnssec-signing: off. */
	return conf;
}

bool knotd_conf_addr_range_match(const knotd_conf_t *range, const struct sockaddr_storage *addr)
{
	(void)range;
	(void)addr;
	return false; /* ecs-trusted is unset here (count 0): never asked. */
}

void knotd_conf_free(knotd_conf_t *conf)
{
	(void)conf;
}

knotd_conf_t knotd_conf_check_item(knotd_conf_check_args_t *args, const yp_name_t *item_name)
{
	(void)args;
	(void)item_name;
	knotd_conf_t conf = { .count = 0 };
	return conf;
}

const knot_dname_t *knotd_qdata_zone_name(knotd_qdata_t *qdata)
{
	(void)qdata;
	return ZONE;
}

knot_rrset_t knotd_qdata_zone_apex_rrset(knotd_qdata_t *qdata, uint16_t type)
{
	(void)qdata;
	if (type == KNOT_RRTYPE_NS) {
		return *zone_ns;
	}
	knot_rrset_t none;
	knot_rrset_init_empty(&none);
	if (type == KNOT_RRTYPE_SOA && !zone_without_soa) {
		return *zone_soa;
	}
	if (type == KNOT_RRTYPE_DNSKEY && zone_signed) {
		return *zone_dnskey;
	}
	return none;
}

/*** The fixed database. ***/

static sqlite3 *db;

static void sql(const char *text)
{
	char *msg = NULL;
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK) {
		FAIL("%s: %s", text, msg != NULL ? msg : "?");
	}
	sqlite3_free(msg);
}

static void add_rule(const char *owner, const char *ip_type, const char *ip, int ttl)
{
	static unsigned id;
	char text[512];
	char ttl_text[16] = "NULL";
	if (ttl >= 0) {
		snprintf(ttl_text, sizeof(ttl_text), "%d", ttl);
	}
	/* Every third rule is scoped (client subnets), so the scoped answer
	 * path is fuzzed too; every sixth reports (REPORT of a DNS context). */
	snprintf(text, sizeof(text),
	         "INSERT INTO rules VALUES ('app', 'r%u', '%s', '%s', '%s', '%s', %s, 'ACTIVE', "
	         "1, 0, 0, 1, %s, %d)",
	         id, owner, owner, ip_type, ip, ttl_text,
	         id % 3 == 0 ? "'10.0.0.0/8,127.0.0.0/8'" : "NULL", id % 6 == 0 ? 1 : 0);
	id++;
	sql(text);
}

static void add_rdata(const char *owner, uint16_t type, uint32_t ttl, const uint8_t *wire,
                      size_t len)
{
	sqlite3_stmt *stmt = NULL;
	const char *set = "INSERT OR IGNORE INTO rrsets (zone, owner, type, ttl, generation, "
	                  "updated_ms) VALUES ('.', ?1, ?2, ?3, 1, 0)";
	const char *rd =
	    "INSERT INTO rdata (zone, owner, type, pos, text, wire) VALUES ('.', ?1, ?2, "
	    "(SELECT count(*) FROM rdata WHERE owner = ?1 AND type = ?2), '', ?3)";
	for (int i = 0; i < 2; i++) {
		if (sqlite3_prepare_v2(db, i == 0 ? set : rd, -1, &stmt, NULL) != SQLITE_OK) {
			FAIL("%s", sqlite3_errmsg(db));
		}
		sqlite3_bind_text(stmt, 1, owner, -1, SQLITE_STATIC);
		sqlite3_bind_int(stmt, 2, type);
		if (i == 0) {
			sqlite3_bind_int64(stmt, 3, ttl);
		} else {
			sqlite3_bind_blob(stmt, 3, wire, (int)len, SQLITE_STATIC);
		}
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			FAIL("%s", sqlite3_errmsg(db));
		}
		sqlite3_finalize(stmt);
	}
}

static size_t name_wire(const char *name, uint8_t *out)
{
	knot_dname_storage_t dname;
	if (knot_dname_from_str(dname, name, sizeof(dname)) == NULL) {
		FAIL("name %s", name);
	}
	size_t len = knot_dname_size(dname);
	memcpy(out, dname, len);
	return len;
}

static void add_name_rdata(const char *owner, uint16_t type, uint32_t ttl, uint16_t pref,
                           const char *target)
{
	uint8_t wire[2 + KNOT_DNAME_MAXLEN];
	size_t len = 0;
	if (type == KNOT_RRTYPE_MX) {
		knot_wire_write_u16(wire, pref);
		len = 2;
	}
	len += name_wire(target, wire + len);
	add_rdata(owner, type, ttl, wire, len);
}

static void add_address(const char *owner, const char *ip, uint32_t ttl)
{
	uint8_t addr[16];
	bool v6 = strchr(ip, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, addr) != 1) {
		FAIL("address %s", ip);
	}
	add_rdata(owner, v6 ? KNOT_RRTYPE_AAAA : KNOT_RRTYPE_A, ttl, addr, v6 ? 16 : 4);
}

/*! \brief Rules and rrsets in and out of example.com.: addresses, a CNAME,
 *         MX, SRV, TXT too large for 512 bytes, 40 A records (rotation), a
 *         name with an escaped dot, a type the module does not serve. */
static void make_database(void)
{
	char err[512];
	if (mecdns_db_open(db_path, MECDNS_DB_WRITER, &db, err, sizeof(err)) != SQLITE_OK) {
		FAIL("%s", err);
	}
	sql("BEGIN");
	add_rule("www.mec.example.", "IP_V4", "192.0.2.1", 300);
	add_rule("www.mec.example.", "IP_V4", "192.0.2.2", 200);
	add_rule("www.mec.example.", "IP_V6", "2001:db8::1", -1);
	add_rule("app.example.com.", "IP_V4", "198.51.100.7", 60);
	add_rule("example.com.", "IP_V6", "2001:db8::53", 60);
	add_rule("alias.example.com.", "IP_V4", "192.0.2.99", 60); /* CNAME wins. */
	add_name_rdata("alias.example.com.", KNOT_RRTYPE_CNAME, 60, 0, "www.mec.example.");
	add_name_rdata("mx.example.com.", KNOT_RRTYPE_MX, 3600, 10, "mail.example.com.");
	add_name_rdata("mx.example.com.", KNOT_RRTYPE_MX, 3600, 20, "mail2.example.com.");
	add_address("mx.example.com.", "192.0.2.25", 3600);
	static const uint8_t srv[] = { 0,   10,  0,   5,   0x13, 0xc4, 3, 's', 'i', 'p', 7, 'e',
		                       'x', 'a', 'm', 'p', 'l',  'e',  3, 'c', 'o', 'm', 0 };
	add_rdata("_sip._udp.example.com.", KNOT_RRTYPE_SRV, 300, srv, sizeof(srv));
	for (int i = 0; i < 8; i++) {
		uint8_t txt[201];
		txt[0] = 200;
		memset(txt + 1, 'a' + i, 200);
		add_rdata("txt.example.com.", KNOT_RRTYPE_TXT, 120, txt, sizeof(txt));
	}
	for (int i = 0; i < 40; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
		add_address("many.example.com.", ip, 30);
	}
	add_address("a\\.b.example.com.", "192.0.2.46", 30);
	add_address("www.example.org.", "192.0.2.80", 30);
	add_name_rdata("ns.example.com.", KNOT_RRTYPE_NS, 60, 0, "ns1.example.com.");
	sql("UPDATE state SET generation = 1");
	sql("COMMIT");
	sqlite3_close(db);
}

/*** Setup. ***/

static knotd_mod_t instances[4]; /* global, zone; then both with rotation. */
static mecdns_refresh_user_t *reader;

static void cleanup(void)
{
	for (size_t i = 0; i < sizeof(instances) / sizeof(instances[0]); i++) {
		if (instances[i].ctx != NULL) {
			knotd_mod_api.unload(&instances[i]);
		}
	}
	if (reader != NULL) {
		mecdns_refresh_detach(reader);
	}
	mecdns_refresh_shutdown();
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char path[320];
		snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
		(void)unlink(path);
	}
	(void)rmdir(db_dir);
}

static knot_rrset_t *apex_rrset(uint16_t type, const uint8_t *rdata, uint16_t len)
{
	knot_rrset_t *set = knot_rrset_new(ZONE, type, KNOT_CLASS_IN, 3600, NULL);
	if (set == NULL || knot_rrset_add_rdata(set, rdata, len, NULL) != KNOT_EOK) {
		FAIL("out of memory");
	}
	return set;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(db_dir, sizeof(db_dir), "%s/mecdns-fuzz-query.XXXXXX",
	         base != NULL ? base : "/tmp");
	if (mkdtemp(db_dir) == NULL) {
		FAIL("cannot create a directory like %s", db_dir);
	}
	snprintf(db_path, sizeof(db_path), "%s/mecdns.db", db_dir);
	make_database();
	atexit(cleanup);
	rcu_register_thread();

	uint8_t soa[2 * KNOT_DNAME_MAXLEN + 20];
	size_t len = name_wire("ns.example.com.", soa);
	len += name_wire("hostmaster.example.com.", soa + len);
	static const uint32_t timers[] = { 2024010101, 3600, 600, 86400, 30 };
	for (size_t i = 0; i < 5; i++, len += 4) {
		knot_wire_write_u32(soa + len, timers[i]);
	}
	zone_soa = apex_rrset(KNOT_RRTYPE_SOA, soa, (uint16_t)len);
	static const uint8_t dnskey[] = { 1, 1, 3, 13, 0xab, 0xcd, 0xef, 0x01 };
	zone_dnskey = apex_rrset(KNOT_RRTYPE_DNSKEY, dnskey, sizeof(dnskey));
	uint8_t ns[KNOT_DNAME_MAXLEN];
	zone_ns = apex_rrset(KNOT_RRTYPE_NS, ns, (uint16_t)name_wire("ns.example.com.", ns));

	for (size_t i = 0; i < sizeof(instances) / sizeof(instances[0]); i++) {
		instances[i].zone = (i % 2 == 1) ? ZONE : NULL;
		instances[i].rotate = i >= 2;
		int ret = knotd_mod_api.load(&instances[i]);
		if (ret != KNOT_EOK || instances[i].begin == NULL) {
			FAIL("load of instance %zu: %s", i, knot_strerror(ret));
		}
	}
	/* Our own user of the same refresher: the index the hooks answer from. */
	const mecdns_refresh_conf_t conf = { .database = db_path,
		                             .default_ttl = 60,
		                             .interval_ms = 1000,
		                             .first_load_wait_ms = 30000 };
	const mecdns_refresh_sink_t sink = { 0 };
	bool reused = false;
	if (mecdns_refresh_attach(&conf, &sink, &reader, &reused) != KNOT_EOK || !reused) {
		FAIL("attaching to the module's refresher");
	}
	mecdns_refresh_status_t status;
	mecdns_refresh_get_status(reader, &status);
	if (!status.loaded || status.generation != 1) {
		FAIL("the fixed database did not load (generation %llu)",
		     (unsigned long long)status.generation);
	}
	return 0;
}

/*** One query. ***/

/*! \brief knotd's classification of a query (process_query.c). */
static knotd_query_type_t classify(const knot_pkt_t *query)
{
	switch (knot_wire_get_opcode(query->wire)) {
	case KNOT_OPCODE_QUERY:
		switch (knot_pkt_qtype(query)) {
		case KNOT_RRTYPE_AXFR:
			return KNOTD_QUERY_TYPE_AXFR;
		case KNOT_RRTYPE_IXFR:
			return KNOTD_QUERY_TYPE_IXFR;
		default:
			return KNOTD_QUERY_TYPE_NORMAL;
		}
	case KNOT_OPCODE_NOTIFY:
		return KNOTD_QUERY_TYPE_NOTIFY;
	case KNOT_OPCODE_UPDATE:
		return KNOTD_QUERY_TYPE_UPDATE;
	default:
		return KNOTD_QUERY_TYPE_INVALID;
	}
}

/*! \brief The types the module leaves to Knot (mecdns.c passes_through()). */
static bool knot_type(uint16_t qtype)
{
	switch (qtype) {
	case KNOT_RRTYPE_SOA:
	case KNOT_RRTYPE_NS:
	case KNOT_RRTYPE_DS:
	case KNOT_RRTYPE_DNSKEY:
	case KNOT_RRTYPE_RRSIG:
	case KNOT_RRTYPE_NSEC:
	case KNOT_RRTYPE_NSEC3:
	case KNOT_RRTYPE_NSEC3PARAM:
	case KNOT_RRTYPE_CDS:
	case KNOT_RRTYPE_CDNSKEY:
	case KNOT_RRTYPE_OPT:
		return true;
	default:
		return qtype >= 128 && qtype < KNOT_RRTYPE_ANY;
	}
}

typedef struct {
	const knot_pkt_t *query;
	const knotd_mod_t *mod;
	knotd_state_t state_in;
	knotd_query_type_t type;
} case_t;

/*! \brief What the hook should do: NULL expected = pass; else the entry. */
static bool should_answer(const case_t *c, const mecdns_owner_t *entry, bool *probe)
{
	const knot_dname_t *qname = knot_pkt_qname(c->query);
	uint16_t qclass = knot_pkt_qclass(c->query);
	*probe = false;
	if ((int)c->state_in != STATE_UNANSWERED || c->type != KNOTD_QUERY_TYPE_NORMAL ||
	    qname == NULL) {
		return false;
	}
	if (qclass == KNOT_CLASS_CH && c->mod->zone == NULL) {
		uint16_t qtype = knot_pkt_qtype(c->query);
		*probe = knot_dname_is_equal(qname, PROBE) &&
		         (qtype == KNOT_RRTYPE_TXT || qtype == KNOT_RRTYPE_ANY);
		return *probe;
	}
	if (qclass != KNOT_CLASS_IN || knot_type(knot_pkt_qtype(c->query))) {
		return false;
	}
	if (c->mod->zone != NULL &&
	    (knot_dname_in_bailiwick(qname, c->mod->zone) < 0 || zone_signed)) {
		return false;
	}
	/* The zone's apex and its apex NS target stay the zone's. */
	uint8_t ns[KNOT_DNAME_MAXLEN];
	(void)name_wire("ns.example.com.", ns);
	if (knot_dname_is_case_equal(qname, ZONE) || knot_dname_is_case_equal(qname, ns)) {
		return false;
	}
	return entry != NULL && mecdns_owner_has_data(entry);
}

/*! \brief Whether rdata (one record of the parsed answer) is in set. */
static bool rdata_in(const knot_rdataset_t *set, const knot_rdata_t *rd)
{
	const knot_rdata_t *item = set->rdata;
	for (uint16_t i = 0; i < set->count; i++) {
		if (knot_rdata_cmp(item, rd) == 0) {
			return true;
		}
		item = knot_rdataset_next((knot_rdata_t *)item);
	}
	return false;
}

/*! \brief Checks the re-parsed DONE response against the index entry. */
static void check_answer(const case_t *c, const knot_pkt_t *resp, const mecdns_owner_t *entry,
                         bool probe)
{
	const knot_dname_t *qname = knot_pkt_qname(c->query);
	uint16_t qtype = knot_pkt_qtype(c->query);
	if (knot_wire_get_id(resp->wire) != knot_wire_get_id(c->query->wire) ||
	    !knot_wire_get_qr(resp->wire) || !knot_wire_get_aa(resp->wire) ||
	    knot_wire_get_qdcount(resp->wire) != 1 ||
	    !knot_dname_is_equal(knot_pkt_qname(resp), qname) || knot_pkt_qtype(resp) != qtype ||
	    knot_pkt_qclass(resp) != knot_pkt_qclass(c->query)) {
		FAIL("response header or question differs from the query");
	}
	const knot_pktsection_t *answer = knot_pkt_section(resp, KNOT_ANSWER);
	const knot_pktsection_t *authority = knot_pkt_section(resp, KNOT_AUTHORITY);
	if (knot_wire_get_tc(resp->wire)) {
		if (answer->count != 0) {
			FAIL("TC response with %u answer records", answer->count);
		}
		return;
	}
	if (probe) {
		if (answer->count != 1 || knot_pkt_rr(answer, 0)->type != KNOT_RRTYPE_TXT) {
			FAIL("probe answer of %u records", answer->count);
		}
		return;
	}
	/* The stub's client is unknown, so scoped records never answer: the
	 * unscoped ones (none for a scoped-only name: NODATA). */
	const knot_rrset_t *expected = NULL;
	if (qtype == KNOT_RRTYPE_ANY || entry->cname) {
		expected = entry->rrset_count > 0 ? &entry->rrsets[0] : NULL;
	} else {
		expected = mecdns_owner_rrset(entry, qtype);
	}
	if (expected == NULL) {
		if (answer->count != 0 || authority->count != 1 ||
		    knot_pkt_rr(authority, 0)->type != KNOT_RRTYPE_SOA) {
			FAIL("NODATA with %u answers and %u authority records", answer->count,
			     authority->count);
		}
		return;
	}
	if (answer->count != expected->rrs.count || authority->count != 0) {
		FAIL("answer of %u records, the index has %u (type %u)", answer->count,
		     expected->rrs.count, expected->type);
	}
	for (uint16_t i = 0; i < answer->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(answer, i);
		if (rr->type != expected->type || rr->rclass != KNOT_CLASS_IN ||
		    rr->ttl != expected->ttl || rr->rrs.count != 1 ||
		    !knot_dname_is_case_equal(rr->owner, c->query->wire + KNOT_WIRE_HEADER_SIZE) ||
		    !rdata_in(&expected->rrs, rr->rrs.rdata)) {
			FAIL("answer record %u differs from the index (type %u, ttl %u)", i,
			     rr->type, rr->ttl);
		}
	}
}

/*! knotd's per-query memory pool: frees are no-ops, everything goes when
 *  the query is done (mp_flush()). The module relies on it: rrsets it
 *  makes with knot_rrset_new(..., &pkt->mm) are put with KNOT_PF_FREE,
 *  which frees their contents, not the struct. */
typedef struct {
	void **blocks;
	size_t count;
	size_t cap;
} pool_t;

static void *pool_alloc(void *ctx, size_t len)
{
	pool_t *pool = ctx;
	if (pool->count == pool->cap) {
		size_t cap = pool->cap > 0 ? 2 * pool->cap : 64;
		void **blocks = realloc(pool->blocks, cap * sizeof(*blocks));
		if (blocks == NULL) {
			return NULL;
		}
		pool->blocks = blocks;
		pool->cap = cap;
	}
	void *p = malloc(len > 0 ? len : 1);
	if (p != NULL) {
		pool->blocks[pool->count++] = p;
	}
	return p;
}

static void pool_free(void *p)
{
	(void)p;
}

static void pool_flush(pool_t *pool)
{
	for (size_t i = 0; i < pool->count; i++) {
		free(pool->blocks[i]);
	}
	free(pool->blocks);
	memset(pool, 0, sizeof(*pool));
}

/*!
 * \brief Runs the END hook as knotd does after every query, with an EDE
 *        taken from the query's ID (none, the registry's codes, higher
 *        ones): global instances count it once in its slot of the indexed
 *        counter; the state and the response pass through untouched.
 */
static void check_end_hook(knotd_mod_t *mod, knotd_state_t state, knot_pkt_t *resp,
                           knotd_qdata_t *qdata)
{
	if (mod->end == NULL) {
		if (mod->zone == NULL) {
			FAIL("a global instance has no END hook");
		}
		return;
	}
	unsigned ede_counter = mod->counters;
	for (unsigned i = 0; i < mod->counters; i++) {
		if (mod->idx_count[i] > 1) {
			ede_counter = i;
		}
	}
	if (ede_counter == mod->counters) {
		FAIL("no indexed EDE counter");
	}
	uint16_t id = knot_wire_get_id(qdata->query->wire);
	qdata->rcode_ede = (int)(id % 48) - 1;
	uint64_t before[MAX_INDEX];
	memcpy(before, mod->stats[ede_counter], sizeof(before));
	size_t size = resp->size;
	if (mod->end(state, resp, qdata, mod) != state || resp->size != size) {
		FAIL("the END hook changed the state or the response");
	}
	for (uint32_t i = 0; i < mod->idx_count[ede_counter]; i++) {
		uint32_t want = qdata->rcode_ede < 0 ? MAX_INDEX
		                : (uint32_t)qdata->rcode_ede < mod->idx_count[ede_counter] - 1
		                    ? (uint32_t)qdata->rcode_ede
		                    : mod->idx_count[ede_counter] - 1;
		if (mod->stats[ede_counter][i] != before[i] + (i == want ? 1 : 0)) {
			FAIL("EDE %d counted in slot %u", qdata->rcode_ede, i);
		}
	}
}

static void run_case(const case_t *c, knotd_mod_t *mod, size_t max_size)
{
	static pool_t pool;
	knot_mm_t mm = { .ctx = &pool, .alloc = pool_alloc, .free = pool_free };
	knot_pkt_t *resp = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, &mm);
	if (resp == NULL) {
		FAIL("out of memory");
	}
	if (knot_pkt_init_response(resp, c->query) != KNOT_EOK) {
		knot_pkt_free(resp); /* knotd answers FORMERR itself. */
		pool_flush(&pool);
		return;
	}
	resp->max_size = max_size;
	if (c->query->opt_rr != NULL) {
		(void)knot_pkt_reserve(resp, (uint16_t)knot_edns_wire_size(c->query->opt_rr));
	}
	uint8_t before[KNOT_WIRE_MAX_PKTSIZE];
	size_t before_size = resp->size;
	memcpy(before, resp->wire, before_size);

	knotd_qdata_params_t params = { .proto = KNOTD_QUERY_PROTO_UDP };
	knotd_qdata_t qdata = { .query = (knot_pkt_t *)c->query,
		                .type = c->type,
		                .params = &params };

	rcu_read_lock(); /* knotd holds it around the whole query processing. */
	const mecdns_index_t *index = mecdns_refresh_index(reader);
	const mecdns_owner_t *entry = index != NULL && knot_pkt_qname(c->query) != NULL
	                                  ? mecdns_index_find(index, knot_pkt_qname(c->query))
	                                  : NULL;
	bool probe = false;
	bool answers = should_answer(c, entry, &probe);
	knotd_state_t state = mod->begin(c->state_in, resp, &qdata, mod);
	if (getenv("FUZZ_QUERY_TRACE") != NULL) {
		knot_dname_txt_storage_t name = "";
		if (knot_pkt_qname(c->query) != NULL) {
			(void)knot_dname_to_str(name, knot_pkt_qname(c->query), sizeof(name));
		}
		fprintf(stderr, "%s %s type %u class %u: state %d -> %d, %zu bytes, TC %d\n",
		        c->mod->zone != NULL ? "zone" : "global", name, knot_pkt_qtype(c->query),
		        knot_pkt_qclass(c->query), (int)c->state_in, (int)state, resp->size,
		        knot_wire_get_tc(resp->wire) ? 1 : 0);
	}

	if (state == c->state_in) {
		if (answers || resp->size != before_size ||
		    memcmp(before, resp->wire, before_size) != 0 || qdata.rcode != 0) {
			FAIL("passed through %s",
			     answers ? "a name it should answer" : "with the response changed");
		}
	} else if (state == KNOTD_STATE_FAIL) {
		if (qdata.rcode != KNOT_RCODE_SERVFAIL) {
			FAIL("FAIL with rcode %u", qdata.rcode);
		}
	} else if (state == KNOTD_STATE_DONE) {
		if (!answers) {
			FAIL("answered what is not its own");
		}
		if (resp->size > max_size || qdata.rcode != KNOT_RCODE_NOERROR) {
			FAIL("response of %zu bytes (limit %zu), rcode %u", resp->size, max_size,
			     qdata.rcode);
		}
		knot_pkt_t *again = knot_pkt_new(resp->wire, (uint16_t)resp->size, NULL);
		if (again == NULL || knot_pkt_parse(again, 0) != KNOT_EOK) {
			FAIL("the response does not parse");
		}
		check_answer(c, again, entry, probe);
		knot_pkt_free(again);
	} else {
		FAIL("hook returned state %d", (int)state);
	}
	check_end_hook(mod, state, resp, &qdata);
	rcu_read_unlock();
	knot_pkt_free(resp);
	pool_flush(&pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 + KNOT_WIRE_HEADER_SIZE || size - 1 > KNOT_WIRE_MAX_PKTSIZE) {
		return 0;
	}
	uint8_t sel = data[0];
	uint8_t wire[KNOT_WIRE_MAX_PKTSIZE];
	memcpy(wire, data + 1, size - 1);
	knot_pkt_t *query = knot_pkt_new(wire, (uint16_t)(size - 1), NULL);
	if (query == NULL) {
		return 0;
	}
	if (knot_pkt_parse(query, 0) != KNOT_EOK || knot_wire_get_qr(query->wire)) {
		knot_pkt_free(query); /* knotd drops or answers FORMERR itself. */
		return 0;
	}
	zone_signed = sel & 2;
	zone_without_soa = sel & 128;
	static const size_t limits[] = { 512, 1232, KNOT_WIRE_MAX_PKTSIZE, 4096 };
	knotd_mod_t *mod = &instances[(sel & 1) + ((sel & 64) ? 2 : 0)];
	case_t c = {
		.query = query,
		.mod = mod,
		.state_in = (sel & 16) ? KNOTD_STATE_DONE : (knotd_state_t)STATE_UNANSWERED,
		.type = (sel & 32) ? KNOTD_QUERY_TYPE_NORMAL : classify(query),
	};
	run_case(&c, mod, limits[(sel >> 2) & 3]);
	knot_pkt_free(query);
	return 0;
}
