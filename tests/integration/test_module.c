/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration tests of mod-mecdns: the Debian knotd with the built module,
 *  rules written into a real SQLite file through the store, queries with
 *  libknot over UDP and TCP on a free loopback port.
 *
 *  Each test is one behaviour of DESIGN.md "What a device gets". A test
 *  writes the database, starts its own knotd, waits until the module has
 *  loaded the database (the CH TXT generation.mecdns. probe in global scope,
 *  the expected answer in zone scope, both polled up to a generous deadline)
 *  and then asserts on single answers. Nothing here asserts on latency.
 *
 *  When a test fails, main() prints the log of the knotd it left behind.
 */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libknot/libknot.h>
#include <libzscanner/scanner.h>
#include <sqlite3.h>

#include "schema/schema.h"
#include "store/store.h"
#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/knotd.h"

/*** A real zone served by the same knotd. ***/

#define ZONE        "example.test."
#define ZONE_SERIAL 2024010101u
static const char ZONE_TEXT[] =
    "$TTL 300\n"
    "@    SOA  ns.example.test. hostmaster.example.test. 2024010101 3600 600 86400 60\n"
    "@    NS   ns\n"
    "ns   A    198.51.100.1\n"
    "www  A    198.51.100.10\n"
    "www  AAAA 2001:db8:100::10\n"
    "www  TXT  \"public\"\n"
    "api  A    198.51.100.20\n";

/*! Loop index of the scope tests: the module as a zone module of ZONE, or as
 *  a global module. */
enum { SCOPE_ZONE = 0, SCOPE_GLOBAL = 1 };

/*! Longest a single test may take (each polls at most a few 10 s deadlines);
 *  Check's default of 4 s is for unit tests. */
#define TEST_TIMEOUT_S 120

/*** Fixture: a database written through the store, and one knotd. ***/

typedef struct {
	char *dir;             /*!< Directory of the database. */
	char *db;              /*!< Database path. */
	mecdns_store_t *store; /*!< The writer (what syncd would be). */
	knotd_t knotd;
} fixture_t;

static fixture_t fx;

/*! Directory of this test program's databases, removed by main() at the end
 *  (a failed test ends before its teardown). */
static char *run_dir;

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.dir = harness_strdupf("%s/db-XXXXXX", run_dir);
	ck_assert_msg(mkdtemp(fx.dir) != NULL && chmod(fx.dir, 0755) == 0,
	              "cannot create a database directory in %s: %s", run_dir, strerror(errno));
	fx.db = harness_strdupf("%s/mecdns.db", fx.dir);
	char err[256] = "";
	mecdns_store_status_t st = mecdns_store_open(fx.db, &fx.store, err, sizeof(err));
	ck_assert_msg(st == MECDNS_STORE_OK, "cannot create %s: %s", fx.db, err);
}

static void teardown(void)
{
	knotd_stop(&fx.knotd);
	if (fx.store != NULL) {
		mecdns_store_close(fx.store);
	}
	harness_rmtree(fx.dir);
	free(fx.db);
	free(fx.dir);
	memset(&fx, 0, sizeof(fx));
}

/*! Fails the test with the whole answer in the message. */
#define expect(pkt, cond, what)                                                                    \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			char *text_ = dns_pkt_text(pkt);                                           \
			ck_assert_msg(false, "%s\n  (%s does not hold)\n  answer:\n%s", (what),    \
			              #cond, text_);                                               \
		}                                                                                  \
	} while (0)

/*** Writing the database (through the store, as syncd does). ***/

static void store_ok(mecdns_store_status_t st, const char *what)
{
	ck_assert_msg(st == MECDNS_STORE_OK, "store: %s: %s (%s)", what, mecdns_store_strerror(st),
	              mecdns_store_last_error());
}

/*! \brief Creates a rule; ttl -1 = no ttl (module default). */
static void put_rule(const char *app, const char *id, const char *name, const char *addr,
                     int64_t ttl, bool active)
{
	mecdns_rule_t rule = {
		.app_instance_id = (char *)app,
		.dns_rule_id = (char *)id,
		.domain_name = (char *)name,
		.ip_type = strchr(addr, ':') != NULL ? MECDNS_IP_V6 : MECDNS_IP_V4,
		.ip_address = (char *)addr,
		.ttl = ttl,
		.active = active,
	};
	char *what = harness_strdupf("create rule %s/%s %s %s", app, id, name, addr);
	store_ok(mecdns_store_rule_create(fx.store, &rule, NULL), what);
	free(what);
}

/*! \brief An ACTIVE rule with TTL 300. */
static void add_rule(const char *app, const char *id, const char *name, const char *addr)
{
	put_rule(app, id, name, addr, 300, true);
}

/*! \brief Changes a rule's state (and, if addr is not NULL, its address). */
static void change_rule(const char *app, const char *id, bool active, const char *addr)
{
	mecdns_rule_t rule = { 0 };
	store_ok(mecdns_store_rule_get(fx.store, app, id, &rule, NULL), "get rule");
	rule.active = active;
	if (addr != NULL) {
		free(rule.ip_address);
		rule.ip_address = strdup(addr);
	}
	store_ok(mecdns_store_rule_update(fx.store, &rule, 0, NULL), "update rule");
	mecdns_rule_clear(&rule);
}

static void delete_rule(const char *app, const char *id)
{
	store_ok(mecdns_store_rule_delete(fx.store, app, id, 0, NULL), "delete rule");
}

/*! \brief Moves a rule to another domain name. */
static void rename_rule(const char *app, const char *id, const char *name)
{
	mecdns_rule_t rule = { 0 };
	store_ok(mecdns_store_rule_get(fx.store, app, id, &rule, NULL), "get rule");
	free(rule.domain_name);
	rule.domain_name = strdup(name);
	store_ok(mecdns_store_rule_update(fx.store, &rule, 0, NULL), "rename rule");
	mecdns_rule_clear(&rule);
}

/*! \brief Parses one record's rdata (presentation format) to wire with
 *         libzscanner, as the rrecord API does. */
static void parse_rdata(const char *owner, const char *type, const char *text, mecdns_rdata_t *out,
                        uint16_t *type_code)
{
	zs_scanner_t *sc = malloc(sizeof(*sc));
	ck_assert_ptr_nonnull(sc);
	char *line = harness_strdupf("%s 300 IN %s %s\n", owner, type, text);
	ck_assert_int_eq(zs_init(sc, ".", KNOT_CLASS_IN, 300), 0);
	ck_assert_int_eq(zs_set_input_string(sc, line, strlen(line)), 0);
	bool ok = zs_parse_record(sc) == 0 && sc->state == ZS_STATE_DATA;
	ck_assert_msg(ok, "cannot parse record '%s': %s", line, zs_strerror(sc->error.code));
	*type_code = sc->r_type;
	out->text = strdup(text);
	out->wire_len = (uint16_t)sc->r_data_length;
	out->wire = malloc(sc->r_data_length + 1);
	memcpy(out->wire, sc->r_data, sc->r_data_length);
	zs_deinit(sc);
	free(sc);
	free(line);
}

/*! \brief A (zone ".", owner, type) set of the given records (NULL-terminated
 *         presentation rdata; none = the set is to be deleted). */
static mecdns_rrset_t make_rrset(const char *owner, const char *type, uint32_t ttl,
                                 const char *const rdata[])
{
	mecdns_rrset_t set = { .zone = ".", .owner = (char *)owner, .ttl = ttl };
	size_t count = 0;
	while (rdata != NULL && rdata[count] != NULL) {
		count++;
	}
	set.rdata = calloc(count + 1, sizeof(*set.rdata));
	uint16_t type_code = 0;
	for (size_t i = 0; i < count; i++) {
		parse_rdata(owner, type, rdata[i], &set.rdata[i], &type_code);
	}
	if (count == 0) {
		ck_assert_int_eq(knot_rrtype_from_string(type, &type_code), 0);
	}
	set.type = type_code;
	set.rdata_count = count;
	return set;
}

static void free_rrset(mecdns_rrset_t *set)
{
	for (size_t i = 0; i < set->rdata_count; i++) {
		free(set->rdata[i].text);
		free(set->rdata[i].wire);
	}
	free(set->rdata);
}

/*! \brief Replaces one set (see make_rrset()) in its own generation. */
static void put_rrset(const char *owner, const char *type, uint32_t ttl, const char *const rdata[])
{
	mecdns_rrset_t set = make_rrset(owner, type, ttl, rdata);
	char *what = harness_strdupf("replace rrset %s %s", owner, type);
	store_ok(mecdns_store_rrset_replace(fx.store, &set, 1, NULL), what);
	free(what);
	free_rrset(&set);
}

static uint64_t db_generation(void)
{
	uint64_t generation = 0;
	store_ok(mecdns_store_state(fx.store, &generation, NULL, NULL), "read state");
	return generation;
}

/*** knotd and queries. ***/

/*! \brief A configuration with the module in one scope (and ZONE served). */
static knotd_config_t config_for(int scope, bool with_zone)
{
	knotd_config_t config = { .global_module = scope == SCOPE_GLOBAL };
	if (with_zone) {
		config.zones[0] = (knotd_zone_t){ .domain = ZONE,
			                          .content = ZONE_TEXT,
			                          .module = scope == SCOPE_ZONE };
	}
	return config;
}

#define start_knotd(config) start_knotd_for((config), __func__)

static void start_knotd_for(knotd_config_t *config, const char *test)
{
	if (config->database == NULL) {
		config->database = fx.db;
	}
	config->tag = test;
	ck_assert_msg(knotd_start(&fx.knotd, config) == 0,
	              "knotd with mod-mecdns did not start (its log is above)");
}

static int port(void)
{
	return fx.knotd.port;
}

/*! \brief Asks one question; an answer must come. A lost or late datagram
 *         on a loaded machine is not the behaviour under test, so a question
 *         without any answer is asked again (three tries of 3 s). */
static knot_pkt_t *ask_with(const char *name, uint16_t type, const dns_opts_t *opts)
{
	dns_opts_t patient = opts != NULL ? *opts : (dns_opts_t){ 0 };
	if (patient.timeout_ms == 0) {
		patient.timeout_ms = 3000;
	}
	knot_pkt_t *answer = NULL;
	for (int attempt = 0; attempt < 3 && answer == NULL; attempt++) {
		answer = dns_query(port(), name, type, &patient);
	}
	ck_assert_msg(answer != NULL, "no answer from knotd to %s (type %u)%s", name, type,
	              knotd_alive(&fx.knotd) ? "" : ": knotd is dead");
	return answer;
}

static knot_pkt_t *ask(const char *name, uint16_t type)
{
	return ask_with(name, type, NULL);
}

/*! \brief The generation the module reports through its probe, as text. */
static char *probe_generation(void)
{
	dns_opts_t chaos = { .qclass = KNOT_CLASS_CH };
	knot_pkt_t *answer = dns_query(port(), "generation.mecdns.", KNOT_RRTYPE_TXT, &chaos);
	char *strings[1] = { NULL };
	if (answer == NULL || dns_txt_strings(answer, strings, 1) == 0) {
		strings[0] = NULL;
	}
	knot_pkt_free(answer);
	return strings[0];
}

/*! \brief Global scope: waits until the probe reports the database's current
 *         generation, i.e. the module serves everything written so far. */
static void wait_loaded(void)
{
	char want[32];
	snprintf(want, sizeof(want), "%" PRIu64, db_generation());
	dns_opts_t chaos = { .qclass = KNOT_CLASS_CH };
	bool matched = false;
	knot_pkt_t *last = dns_poll(port(), "generation.mecdns.", KNOT_RRTYPE_TXT, &chaos,
	                            dns_match_txt, want, DNS_EVENTUALLY_MS, &matched);
	char *what = harness_strdupf(
	    "the module did not report generation %s through CH TXT generation.mecdns. "
	    "within %d ms",
	    want, DNS_EVENTUALLY_MS);
	expect(last, matched, what);
	free(what);
	knot_pkt_free(last);
}

/*! \brief Waits until a query's answer holds addr (e.g. the module loaded a
 *         rule in zone scope, or a change became visible). */
static void wait_address(const char *name, uint16_t type, const char *addr)
{
	bool matched = false;
	knot_pkt_t *last = dns_poll(port(), name, type, NULL, dns_match_address, addr,
	                            DNS_EVENTUALLY_MS, &matched);
	char *what = harness_strdupf("%s did not come to answer %s within %d ms", name, addr,
	                             DNS_EVENTUALLY_MS);
	expect(last, matched, what);
	free(what);
	knot_pkt_free(last);
}

/*! \brief Waits until a query is answered with an rcode. */
static void wait_rcode(const char *name, uint16_t type, int rcode)
{
	bool matched = false;
	knot_pkt_t *last = dns_poll(port(), name, type, NULL, dns_match_rcode, &rcode,
	                            DNS_EVENTUALLY_MS, &matched);
	const knot_lookup_t *rcode_name = knot_lookup_by_id(knot_rcode_names, rcode);
	char *what =
	    harness_strdupf("%s did not come to answer %s within %d ms", name,
	                    rcode_name != NULL ? rcode_name->name : "?", DNS_EVENTUALLY_MS);
	expect(last, matched, what);
	free(what);
	knot_pkt_free(last);
}

/*! \brief Waits until a query's answer no longer holds addr. */
static void wait_no_address(const char *name, uint16_t type, const char *addr)
{
	bool matched = false;
	knot_pkt_t *last = dns_poll(port(), name, type, NULL, dns_match_no_address, addr,
	                            DNS_EVENTUALLY_MS, &matched);
	char *what =
	    harness_strdupf("%s still answered %s after %d ms", name, addr, DNS_EVENTUALLY_MS);
	expect(last, matched, what);
	free(what);
	knot_pkt_free(last);
}

/*! \brief Loads the module in the given scope, ZONE served, and waits until
 *         the module answers `name A addr` (which the test wrote). */
static void start_scope_and_wait(int scope, const char *name, const char *addr, const char *test)
{
	knotd_config_t config = config_for(scope, true);
	start_knotd_for(&config, test);
	wait_address(name, KNOT_RRTYPE_A, addr);
}

static const char *scope_name(int scope)
{
	return scope == SCOPE_ZONE ? "zone module" : "global module";
}

static char *dname_text(const knot_dname_t *name)
{
	return knot_dname_to_str_alloc(name);
}

/*** A and AAAA from rules. ***/

START_TEST(test_active_ipv4_rule_is_answered_authoritatively)
{
	put_rule("app-1", "rule-1", "www.edge.test", "192.0.2.14", 120, true);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("www.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR, "NOERROR expected");
	expect(answer, dns_aa(answer), "the answer must be authoritative (AA)");
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_A) == 1, "one A record");
	expect(answer, dns_has_address(answer, "192.0.2.14"), "the rule's address");
	expect(answer, dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_A)->ttl == 120,
	       "the rule's ttl is the DNS TTL");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_active_ipv6_rule_is_answered)
{
	put_rule("app-1", "rule-6", "v6.edge.test", "2001:db8::14", 60, true);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("v6.edge.test.", KNOT_RRTYPE_AAAA);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR && dns_aa(answer), "NOERROR, AA");
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_AAAA) == 1, "one AAAA record");
	expect(answer, dns_has_address(answer, "2001:db8::14"), "the rule's address");
	expect(answer, dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_AAAA)->ttl == 60, "TTL 60");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_rule_without_ttl_uses_default_ttl)
{
	put_rule("app-1", "rule-1", "nottl.edge.test", "192.0.2.15", -1, true);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	config.default_ttl = 77;
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("nottl.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_has_address(answer, "192.0.2.15"), "the rule's address");
	expect(answer, dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_A)->ttl == 77,
	       "a rule without ttl is answered with default-ttl");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_rules_of_several_apps_at_one_name_are_all_answered)
{
	put_rule("app-1", "rule-1", "shared.edge.test", "192.0.2.1", 300, true);
	/* The platform shares the name (a name is one app's otherwise). */
	store_ok(mecdns_store_grant_set(fx.store, "app-1", "shared.edge.test.", false, true),
	         "share shared.edge.test.");
	put_rule("app-2", "rule-1", "shared.edge.test", "192.0.2.2", 200, true);
	put_rule("app-3", "other", "SHARED.edge.test.", "192.0.2.3", 100, true);
	put_rule("app-4", "dup", "shared.edge.test", "192.0.2.1", 300, true);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("shared.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_A) == 3,
	       "three distinct addresses (the duplicate once)");
	expect(answer, dns_has_address(answer, "192.0.2.1"), "app-1's address");
	expect(answer, dns_has_address(answer, "192.0.2.2"), "app-2's address");
	expect(answer, dns_has_address(answer, "192.0.2.3"), "app-3's address");
	expect(answer, dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_A)->ttl == 100,
	       "one RRset carries the smallest contributing TTL");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_inactive_rule_is_not_answered)
{
	put_rule("app-1", "on", "mixed.edge.test", "192.0.2.1", 300, true);
	store_ok(mecdns_store_grant_set(fx.store, "app-1", "mixed.edge.test.", false, true),
	         "share mixed.edge.test.");
	put_rule("app-2", "off", "mixed.edge.test", "192.0.2.2", 300, false);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("mixed.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_A) == 1, "only one address");
	expect(answer, dns_has_address(answer, "192.0.2.1"), "the ACTIVE rule's address");
	expect(answer, !dns_has_address(answer, "192.0.2.2"), "not the INACTIVE rule's address");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_name_with_only_inactive_rules_passes_through)
{
	put_rule("app-1", "zone-www", "www.example.test", "192.0.2.99", 300, false);
	put_rule("app-1", "lonely", "lonely.edge.test", "192.0.2.98", 300, false);
	add_rule("app-1", "marker", "marker.edge.test", "192.0.2.97");
	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("www.example.test.", KNOT_RRTYPE_A);
	expect(answer, dns_has_address(answer, "198.51.100.10"), "the zone's own address");
	expect(answer, !dns_has_address(answer, "192.0.2.99"), "not the INACTIVE rule's");
	knot_pkt_free(answer);

	answer = ask("lonely.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED,
	       "a name with only INACTIVE rules and no zone is REFUSED like any unknown name");
	knot_pkt_free(answer);
}
END_TEST

/*** NODATA at owned names. ***/

START_TEST(test_other_type_at_owned_name_is_nodata_with_synthesized_soa)
{
	add_rule("app-1", "rule-1", "owned.edge.test", "192.0.2.20");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	config.soa_mname = "ns.mec.test.";
	config.soa_rname = "hostmaster.mec.test.";
	config.negative_ttl = 42;
	start_knotd(&config);
	wait_loaded();

	uint16_t types[] = { KNOT_RRTYPE_AAAA, KNOT_RRTYPE_TXT, KNOT_RRTYPE_MX };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		knot_pkt_t *answer = ask("owned.edge.test.", types[i]);
		expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR, "NODATA is NOERROR");
		expect(answer, dns_aa(answer), "NODATA is authoritative");
		expect(answer, dns_section_records(answer, KNOT_ANSWER) == 0, "no answer records");
		const knot_rrset_t *soa = dns_authority_soa(answer);
		expect(answer, soa != NULL, "an SOA in the authority section (RFC 2308)");
		const knot_rdata_t *rd = knot_rdataset_at(&soa->rrs, 0);
		char *mname = dname_text(knot_soa_primary(rd));
		char *rname = dname_text(knot_soa_mailbox(rd));
		expect(answer, strcmp(mname, "ns.mec.test.") == 0, "MNAME from soa-mname");
		expect(answer, strcmp(rname, "hostmaster.mec.test.") == 0, "RNAME from soa-rname");
		uint32_t negative =
		    soa->ttl < knot_soa_minimum(rd) ? soa->ttl : knot_soa_minimum(rd);
		expect(answer, negative == 42, "negative caching TTL from negative-ttl");
		free(mname);
		free(rname);
		knot_pkt_free(answer);
	}
}
END_TEST

START_TEST(test_other_type_at_owned_name_in_zone_is_nodata_with_zone_soa)
{
	/* The zone has a public AAAA and TXT at www: a dual-stack device must not
	 * get the public AAAA beside the edge A. */
	add_rule("app-1", "rule-1", "www.example.test", "192.0.2.10");
	start_scope_and_wait(SCOPE_ZONE, "www.example.test.", "192.0.2.10", __func__);

	uint16_t types[] = { KNOT_RRTYPE_AAAA, KNOT_RRTYPE_TXT };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		knot_pkt_t *answer = ask("www.example.test.", types[i]);
		expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR, "NODATA is NOERROR");
		expect(answer, dns_aa(answer), "NODATA is authoritative");
		expect(answer, dns_section_records(answer, KNOT_ANSWER) == 0,
		       "no answer records, in particular not the zone's public ones");
		const knot_rrset_t *soa = dns_authority_soa(answer);
		expect(answer, soa != NULL, "an SOA in the authority section");
		char *owner = dname_text(soa->owner);
		expect(answer, strcmp(owner, ZONE) == 0, "the zone's SOA (owner is the apex)");
		expect(answer, knot_soa_serial(knot_rdataset_at(&soa->rrs, 0)) == ZONE_SERIAL,
		       "the zone's SOA (its serial)");
		free(owner);
		knot_pkt_free(answer);
	}
}
END_TEST

/*** Pass-through to Knot's own zones; REFUSED where nothing serves. ***/

START_TEST(test_zone_names_without_rules_pass_through)
{
	add_rule("app-1", "rule-1", "www.example.test", "192.0.2.10");
	start_scope_and_wait(_i, "www.example.test.", "192.0.2.10", __func__);

	knot_pkt_t *answer = ask("api.example.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR && dns_aa(answer), scope_name(_i));
	expect(answer, dns_has_address(answer, "198.51.100.20"), "the zone's own record");
	knot_pkt_free(answer);

	answer = ask("nothing-here.example.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NXDOMAIN, "the zone's own NXDOMAIN");
	const knot_rrset_t *soa = dns_authority_soa(answer);
	expect(answer,
	       soa != NULL && knot_soa_serial(knot_rdataset_at(&soa->rrs, 0)) == ZONE_SERIAL,
	       "with the zone's SOA");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_rule_overrides_zone_record)
{
	add_rule("app-1", "rule-1", "www.example.test", "192.0.2.10");
	start_scope_and_wait(_i, "www.example.test.", "192.0.2.10", __func__);

	knot_pkt_t *answer = ask("www.example.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR && dns_aa(answer), scope_name(_i));
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_A) == 1,
	       "only the rule's address");
	expect(answer, !dns_has_address(answer, "198.51.100.10"), "not the zone's public address");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_name_nothing_serves_is_refused)
{
	add_rule("app-1", "rule-1", "www.edge.test", "192.0.2.14");
	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("nothing.invalid.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED, "REFUSED for an unserved name");
	expect(answer, dns_section_records(answer, KNOT_ANSWER) == 0, "no answer records");
	knot_pkt_free(answer);

	answer = ask("sub.www.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED,
	       "a name below an owned name is not owned");
	knot_pkt_free(answer);
}
END_TEST

/*** Wildcards (RFC 4592 over the database's names). ***/

static bool answers_only(knot_pkt_t *answer, const char *addr);

static void expect_refused(const char *name, const char *why)
{
	knot_pkt_t *answer = ask(name, KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED, why);
	knot_pkt_free(answer);
}

START_TEST(test_wildcard_rule_answers_below_its_closest_encloser)
{
	add_rule("app-1", "wild", "*.wild.test", "192.0.2.60");
	add_rule("app-1", "exact", "b.wild.test", "192.0.2.61");
	const char *below_d[] = { "\"below d\"", NULL };
	put_rrset("c.d.wild.test.", "TXT", 60, below_d);
	add_rule("app-1", "in-zone", "*.example.test", "192.0.2.62");
	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	start_knotd(&config);
	wait_loaded();

	const char *synthesized[] = { "a.wild.test.", "p.q.Wild.TEST.", "*.wild.test." };
	for (size_t i = 0; i < sizeof(synthesized) / sizeof(synthesized[0]); i++) {
		knot_pkt_t *answer = ask(synthesized[i], KNOT_RRTYPE_A);
		expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR && dns_aa(answer),
		       "NOERROR, AA from the wildcard");
		expect(answer, answers_only(answer, "192.0.2.60"), synthesized[i]);
		char *owner = dns_wire_owner(answer, KNOT_ANSWER, KNOT_RRTYPE_A);
		expect(answer, owner != NULL && strcmp(owner, synthesized[i]) == 0,
		       "the synthesized owner is the query name, in its case");
		free(owner);
		knot_pkt_free(answer);
	}

	knot_pkt_t *answer = ask("a.wild.test.", KNOT_RRTYPE_AAAA);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR,
	       "a type the wildcard lacks: NODATA");
	expect(answer, dns_section_records(answer, KNOT_ANSWER) == 0, "no answer records");
	expect(answer, dns_rrset(answer, KNOT_AUTHORITY, KNOT_RRTYPE_SOA) != NULL, "with an SOA");
	knot_pkt_free(answer);

	answer = ask("b.wild.test.", KNOT_RRTYPE_A);
	expect(answer, answers_only(answer, "192.0.2.61"), "a name that exists answers itself");
	knot_pkt_free(answer);
	expect_refused("z.b.wild.test.", "closest encloser b.wild.test. has no wildcard child");
	expect_refused("d.wild.test.", "an empty non-terminal exists: no synthesis");
	expect_refused("e.d.wild.test.", "closest encloser d.wild.test. has no wildcard child");
	expect_refused("wild.test.", "the wildcard's parent exists: no synthesis");

	/* In a zone knotd serves, the zone decides (its names must stop
	 * synthesis, and the module cannot see them before knotd looks). */
	answer = ask("www.example.test.", KNOT_RRTYPE_A);
	expect(answer, answers_only(answer, "198.51.100.10"), "the zone's own name");
	knot_pkt_free(answer);
	answer = ask("nothing.example.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NXDOMAIN, "the zone's NXDOMAIN");
	knot_pkt_free(answer);

	/* The wildcard goes: so does every answer it gave, in one generation. */
	delete_rule("app-1", "wild");
	wait_rcode("a.wild.test.", KNOT_RRTYPE_A, KNOT_RCODE_REFUSED);
	answer = ask("b.wild.test.", KNOT_RRTYPE_A);
	expect(answer, answers_only(answer, "192.0.2.61"), "the exact name stays");
	knot_pkt_free(answer);
}
END_TEST

/*** Case, transport, truncation, rotation. ***/

START_TEST(test_match_is_case_insensitive_and_keeps_query_case)
{
	add_rule("app-1", "rule-1", "Mixed.Case.Edge.Test", "192.0.2.30");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	const char *names[] = { "mixed.case.edge.test.", "MIXED.CASE.EDGE.TEST.",
		                "mIxEd.cAsE.eDgE.tEsT." };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		knot_pkt_t *answer = ask(names[i], KNOT_RRTYPE_A);
		expect(answer, dns_has_address(answer, "192.0.2.30"), names[i]);
		char *owner = dns_wire_owner(answer, KNOT_ANSWER, KNOT_RRTYPE_A);
		expect(answer, owner != NULL && strcmp(owner, names[i]) == 0,
		       "the answer's owner keeps the query's case");
		free(owner);
		knot_pkt_free(answer);
	}
}
END_TEST

START_TEST(test_tcp_query_is_answered)
{
	add_rule("app-1", "v4", "tcp.edge.test", "192.0.2.40");
	add_rule("app-1", "v6", "tcp.edge.test", "2001:db8::40");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	dns_opts_t tcp = { .tcp = true };
	knot_pkt_t *answer = ask_with("tcp.edge.test.", KNOT_RRTYPE_A, &tcp);
	expect(answer, dns_aa(answer) && dns_has_address(answer, "192.0.2.40"), "A over TCP");
	knot_pkt_free(answer);
	answer = ask_with("tcp.edge.test.", KNOT_RRTYPE_AAAA, &tcp);
	expect(answer, dns_aa(answer) && dns_has_address(answer, "2001:db8::40"), "AAAA over TCP");
	knot_pkt_free(answer);
}
END_TEST

/*! Number of AAAA rules at one name in the truncation test: 40 records of 28
 *  bytes do not fit 512 bytes, but fit Knot's default UDP limit (1232). */
#define MANY 40

START_TEST(test_udp_answer_too_large_is_truncated_and_complete_over_tcp)
{
	for (int i = 1; i <= MANY; i++) {
		char id[16], addr[64];
		snprintf(id, sizeof(id), "rule-%d", i);
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		add_rule("app-1", id, "big.edge.test", addr);
	}
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	dns_opts_t small_edns = { .edns_payload = 512 };
	dns_opts_t no_edns = { 0 };
	const dns_opts_t *small[] = { &small_edns, &no_edns };
	for (size_t i = 0; i < 2; i++) {
		knot_pkt_t *answer = ask_with("big.edge.test.", KNOT_RRTYPE_AAAA, small[i]);
		expect(answer, dns_tc(answer), "TC set: the answer does not fit 512 bytes");
		expect(answer, answer->size <= 512, "a UDP answer within 512 bytes");
		expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_AAAA) < MANY,
		       "not every record");
		knot_pkt_free(answer);
	}

	dns_opts_t large_edns = { .edns_payload = 4096 };
	knot_pkt_t *answer = ask_with("big.edge.test.", KNOT_RRTYPE_AAAA, &large_edns);
	expect(answer, !dns_tc(answer), "TC clear when the client takes a large UDP answer");
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_AAAA) == MANY, "every record");
	knot_pkt_free(answer);

	dns_opts_t tcp = { .tcp = true };
	answer = ask_with("big.edge.test.", KNOT_RRTYPE_AAAA, &tcp);
	expect(answer, !dns_tc(answer), "TC clear over TCP");
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_AAAA) == MANY,
	       "TCP carries every record");
	for (int i = 1; i <= MANY; i++) {
		char addr[64];
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		expect(answer, dns_has_address(answer, addr), addr);
	}
	knot_pkt_free(answer);
}
END_TEST

static const char *ROTATED[] = { "192.0.2.51", "192.0.2.52", "192.0.2.53", "192.0.2.54" };
#define ROTATED_COUNT    4
#define ROTATION_QUERIES 24

/*! \brief Asks ROTATION_QUERIES times (each with its own random id) and
 *         returns how many different addresses came first. */
static size_t distinct_first_addresses(void)
{
	char firsts[ROTATION_QUERIES][DNS_ADDR_LEN];
	size_t distinct = 0;
	for (int q = 0; q < ROTATION_QUERIES; q++) {
		knot_pkt_t *answer = ask("rot.edge.test.", KNOT_RRTYPE_A);
		char addrs[ROTATED_COUNT + 1][DNS_ADDR_LEN];
		size_t count = dns_addresses(answer, addrs, ROTATED_COUNT + 1);
		expect(answer, count == ROTATED_COUNT, "every address in every answer");
		bool seen = false;
		for (int p = 0; p < q; p++) {
			seen = seen || strcmp(firsts[p], addrs[0]) == 0;
		}
		distinct += seen ? 0 : 1;
		snprintf(firsts[q], DNS_ADDR_LEN, "%s", addrs[0]);
		knot_pkt_free(answer);
	}
	return distinct;
}

START_TEST(test_addresses_rotate_between_responses_with_answer_rotation)
{
	for (int i = 0; i < ROTATED_COUNT; i++) {
		char id[16];
		snprintf(id, sizeof(id), "rule-%d", i);
		add_rule("app-1", id, "rot.edge.test", ROTATED[i]);
	}
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	config.answer_rotation = true;
	start_knotd(&config);
	wait_loaded();

	size_t distinct = distinct_first_addresses();
	ck_assert_msg(distinct > 1,
	              "with answer-rotation on, the first address must change between "
	              "responses; %d responses all started with the same address",
	              ROTATION_QUERIES);
}
END_TEST

START_TEST(test_addresses_keep_their_order_without_answer_rotation)
{
	for (int i = 0; i < ROTATED_COUNT; i++) {
		char id[16];
		snprintf(id, sizeof(id), "rule-%d", i);
		add_rule("app-1", id, "rot.edge.test", ROTATED[i]);
	}
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	config.answer_rotation = false;
	start_knotd(&config);
	wait_loaded();

	size_t distinct = distinct_first_addresses();
	ck_assert_msg(distinct == 1,
	              "with answer-rotation off (Knot's default), the order must not "
	              "change; %zu different first addresses in %d responses",
	              distinct, ROTATION_QUERIES);
}
END_TEST

/*** Record sets of the rrecord API. ***/

START_TEST(test_txt_rrset_is_answered)
{
	const char *rdata[] = { "\"hello world\" \"second\"", NULL };
	put_rrset("info.edge.test.", "TXT", 60, rdata);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("info.edge.test.", KNOT_RRTYPE_TXT);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR && dns_aa(answer), "NOERROR, AA");
	char *strings[4] = { NULL };
	size_t count = dns_txt_strings(answer, strings, 4);
	expect(answer, count == 2, "two character-strings");
	expect(answer, strcmp(strings[0], "hello world") == 0, "first string");
	expect(answer, strcmp(strings[1], "second") == 0, "second string");
	expect(answer, dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_TXT)->ttl == 60, "the set's TTL");
	for (size_t i = 0; i < count && i < 4; i++) {
		free(strings[i]);
	}
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_srv_rrset_is_answered)
{
	const char *rdata[] = { "10 20 5060 sip.edge.test.", "20 0 5060 sip2.edge.test.", NULL };
	put_rrset("_sip._udp.edge.test.", "SRV", 300, rdata);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("_sip._udp.edge.test.", KNOT_RRTYPE_SRV);
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_SRV) == 2, "two SRV records");
	char *text = dns_pkt_text(answer);
	expect(answer, strstr(text, "SRV\t10 20 5060 sip.edge.test.") != NULL, "first SRV");
	expect(answer, strstr(text, "SRV\t20 0 5060 sip2.edge.test.") != NULL, "second SRV");
	free(text);
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_cname_rrset_answers_queries_of_every_type)
{
	const char *rdata[] = { "target.edge.test.", NULL };
	put_rrset("alias.edge.test.", "CNAME", 300, rdata);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	uint16_t types[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA, KNOT_RRTYPE_TXT };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		knot_pkt_t *answer = ask("alias.edge.test.", types[i]);
		expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR && dns_aa(answer),
		       "NOERROR, AA");
		const knot_rrset_t *cname = dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_CNAME);
		expect(answer, cname != NULL, "a CNAME answers every type");
		char *target = dname_text(knot_cname_name(knot_rdataset_at(&cname->rrs, 0)));
		expect(answer, strcmp(target, "target.edge.test.") == 0, "the CNAME's target");
		free(target);
		knot_pkt_free(answer);
	}
}
END_TEST

START_TEST(test_rule_and_rrset_at_one_name_are_united)
{
	add_rule("app-1", "rule-1", "both.edge.test", "192.0.2.61");
	const char *rdata[] = { "192.0.2.61", "192.0.2.62", NULL };
	put_rrset("both.edge.test.", "A", 30, rdata);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	knot_pkt_t *answer = ask("both.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_A) == 2,
	       "the union of rule and rrset, the shared address once");
	expect(answer, dns_has_address(answer, "192.0.2.61"), "the shared address");
	expect(answer, dns_has_address(answer, "192.0.2.62"), "the rrset's other address");
	expect(answer, dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_A)->ttl == 30,
	       "the smallest contributing TTL");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_any_query_at_owned_name_gets_its_records)
{
	add_rule("app-1", "v4", "any.edge.test", "192.0.2.140");
	add_rule("app-1", "v6", "any.edge.test", "2001:db8::140");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	/* DESIGN.md allows the owned name's records or an RFC 8482 minimal
	 * answer: at least one of its records, and nothing else. */
	knot_pkt_t *answer = ask("any.edge.test.", KNOT_RRTYPE_ANY);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR && dns_aa(answer), "NOERROR, AA");
	size_t records = dns_section_records(answer, KNOT_ANSWER);
	char addrs[4][DNS_ADDR_LEN];
	size_t count = dns_addresses(answer, addrs, 4);
	expect(answer, records >= 1 && count == records, "only the name's A/AAAA records");
	for (size_t i = 0; i < count && i < 4; i++) {
		expect(answer,
		       strcmp(addrs[i], "192.0.2.140") == 0 ||
		           strcmp(addrs[i], "2001:db8::140") == 0,
		       "the rules' addresses");
	}
	knot_pkt_free(answer);
}
END_TEST

/*** What the module must not touch. ***/

/*! \brief Whether the answer section holds exactly one A record, addr. */
static bool answers_only(knot_pkt_t *answer, const char *addr)
{
	const knot_rrset_t *a = dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_A);
	uint8_t want[4];
	ck_assert_int_eq(inet_pton(AF_INET, addr, want), 1);
	return a != NULL && a->rrs.count == 1 && knot_rdataset_at(&a->rrs, 0)->len == 4 &&
	       memcmp(knot_rdataset_at(&a->rrs, 0)->data, want, 4) == 0;
}

/*! Issue 12: rules at the zone's apex or at its name server never override
 *  the zone: its A at the apex (here none: NODATA with its SOA) and its
 *  glue stay the operator's, whatever the database holds. */
START_TEST(test_zone_apex_and_ns_targets_are_never_overridden)
{
	add_rule("app-1", "apex", "example.test", "192.0.2.50");
	add_rule("app-1", "ns", "NS.example.test", "192.0.2.51");
	add_rule("app-1", "canary", "canary.example.test", "192.0.2.52");
	start_scope_and_wait(_i, "canary.example.test.", "192.0.2.52", __func__);

	knot_pkt_t *answer = ask(ZONE, KNOT_RRTYPE_A);
	expect(answer, knot_wire_get_rcode(answer->wire) == KNOT_RCODE_NOERROR, "the apex exists");
	expect(answer, dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_A) == NULL,
	       "no rule address at the apex (the zone has none: NODATA)");
	expect(answer, dns_rrset(answer, KNOT_AUTHORITY, KNOT_RRTYPE_SOA) != NULL,
	       "the zone's SOA in the authority section");
	knot_pkt_free(answer);

	answer = ask("ns.example.test.", KNOT_RRTYPE_A);
	expect(answer, answers_only(answer, "198.51.100.1"),
	       "the name server's address is the zone's glue, not the rule's");
	knot_pkt_free(answer);
	answer = ask("NS.Example.Test.", KNOT_RRTYPE_A);
	expect(answer, answers_only(answer, "198.51.100.1"), "in any case of the name");
	knot_pkt_free(answer);

	/* The module still answers its other names in the zone. */
	answer = ask("canary.example.test.", KNOT_RRTYPE_A);
	expect(answer, answers_only(answer, "192.0.2.52"), "the rule below the apex");
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_apex_soa_and_ns_queries_are_not_touched)
{
	add_rule("app-1", "apex", "example.test", "192.0.2.50");
	add_rule("app-1", "canary", "canary.example.test", "192.0.2.52");
	start_scope_and_wait(_i, "canary.example.test.", "192.0.2.52", __func__);

	knot_pkt_t *answer = ask(ZONE, KNOT_RRTYPE_SOA);
	const knot_rrset_t *soa = dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_SOA);
	expect(answer, soa != NULL, "the apex SOA query gets the zone's SOA");
	expect(answer, knot_soa_serial(knot_rdataset_at(&soa->rrs, 0)) == ZONE_SERIAL,
	       "with the zone's serial");
	knot_pkt_free(answer);

	answer = ask(ZONE, KNOT_RRTYPE_NS);
	const knot_rrset_t *ns = dns_rrset(answer, KNOT_ANSWER, KNOT_RRTYPE_NS);
	expect(answer, ns != NULL, "the apex NS query gets the zone's NS");
	char *name = dname_text(knot_ns_name(knot_rdataset_at(&ns->rrs, 0)));
	expect(answer, strcmp(name, "ns.example.test.") == 0, "the zone's name server");
	free(name);
	knot_pkt_free(answer);
}
END_TEST

START_TEST(test_axfr_does_not_contain_module_data)
{
	add_rule("app-1", "apex", "example.test", "192.0.2.50");
	add_rule("app-1", "www", "www.example.test", "192.0.2.10");
	start_scope_and_wait(_i, "www.example.test.", "192.0.2.10", __func__);

	char *axfr = dns_axfr(port(), ZONE, 5000);
	ck_assert_msg(axfr != NULL, "AXFR of %s failed (%s)", ZONE, scope_name(_i));
	ck_assert_msg(strstr(axfr, "198.51.100.10") != NULL && strstr(axfr, "2001:db8:100::10"),
	              "the transfer carries the zone's records:\n%s", axfr);
	ck_assert_msg(strstr(axfr, "192.0.2.") == NULL,
	              "the transfer must not carry rule addresses:\n%s", axfr);
	free(axfr);
}
END_TEST

START_TEST(test_notify_and_ch_class_are_not_answered_by_module)
{
	add_rule("app-1", "rule-1", "www.edge.test", "192.0.2.14");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	dns_opts_t notify = { .opcode = KNOT_OPCODE_NOTIFY };
	knot_pkt_t *answer = ask_with("www.edge.test.", KNOT_RRTYPE_A, &notify);
	expect(answer, knot_wire_get_opcode(answer->wire) == KNOT_OPCODE_NOTIFY,
	       "a NOTIFY response");
	expect(answer, dns_section_records(answer, KNOT_ANSWER) == 0,
	       "the module does not answer a NOTIFY");
	knot_pkt_free(answer);

	dns_opts_t chaos = { .qclass = KNOT_CLASS_CH };
	answer = ask_with("www.edge.test.", KNOT_RRTYPE_A, &chaos);
	expect(answer, dns_section_records(answer, KNOT_ANSWER) == 0,
	       "the module does not answer a CH class query for an owned name");
	knot_pkt_free(answer);
}
END_TEST

/*** Generation probe, live changes, reload, statistics. ***/

START_TEST(test_generation_probe_reports_database_generation)
{
	add_rule("app-1", "r1", "a.edge.test", "192.0.2.1");
	add_rule("app-1", "r2", "b.edge.test", "192.0.2.2");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	dns_opts_t chaos = { .qclass = KNOT_CLASS_CH };
	knot_pkt_t *answer = ask_with("generation.mecdns.", KNOT_RRTYPE_TXT, &chaos);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_NOERROR, "the probe is answered");
	expect(answer, knot_pkt_qclass(answer) == KNOT_CLASS_CH, "in class CH");
	knot_pkt_free(answer);
	char *generation = probe_generation();
	char want[32];
	snprintf(want, sizeof(want), "%" PRIu64, db_generation());
	ck_assert_msg(generation != NULL && strcmp(generation, want) == 0,
	              "probe says '%s', database generation is %s", generation, want);
	free(generation);

	add_rule("app-1", "r3", "c.edge.test", "192.0.2.3");
	wait_loaded(); /* The probe follows the database. */
	wait_address("c.edge.test.", KNOT_RRTYPE_A, "192.0.2.3");
}
END_TEST

START_TEST(test_rule_changes_become_visible_without_restart)
{
	add_rule("app-1", "stay", "stay.edge.test", "192.0.2.70");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();
	pid_t pid = fx.knotd.proc.pid;

	add_rule("app-2", "new", "new.edge.test", "192.0.2.71");
	wait_address("new.edge.test.", KNOT_RRTYPE_A, "192.0.2.71");

	change_rule("app-2", "new", true, "192.0.2.72");
	wait_address("new.edge.test.", KNOT_RRTYPE_A, "192.0.2.72");
	wait_no_address("new.edge.test.", KNOT_RRTYPE_A, "192.0.2.71");

	change_rule("app-2", "new", false, NULL);
	wait_rcode("new.edge.test.", KNOT_RRTYPE_A, KNOT_RCODE_REFUSED);

	change_rule("app-2", "new", true, NULL);
	wait_address("new.edge.test.", KNOT_RRTYPE_A, "192.0.2.72");

	delete_rule("app-2", "new");
	wait_rcode("new.edge.test.", KNOT_RRTYPE_A, KNOT_RCODE_REFUSED);

	const char *txt[] = { "\"v1\"", NULL };
	put_rrset("new.edge.test.", "TXT", 300, txt);
	bool matched = false;
	knot_pkt_t *last = dns_poll(port(), "new.edge.test.", KNOT_RRTYPE_TXT, NULL, dns_match_txt,
	                            "v1", DNS_EVENTUALLY_MS, &matched);
	expect(last, matched, "a new rrset becomes visible");
	knot_pkt_free(last);
	put_rrset("new.edge.test.", "TXT", 300, NULL);
	wait_rcode("new.edge.test.", KNOT_RRTYPE_TXT, KNOT_RCODE_REFUSED);

	knot_pkt_t *answer = ask("stay.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_has_address(answer, "192.0.2.70"), "untouched names stay answered");
	knot_pkt_free(answer);
	ck_assert_msg(knotd_alive(&fx.knotd) && fx.knotd.proc.pid == pid,
	              "the same knotd process served every change");
}
END_TEST

START_TEST(test_reload_keeps_answering_and_generation)
{
	add_rule("app-1", "r1", "reload.edge.test", "192.0.2.80");
	add_rule("app-1", "r2", "other.edge.test", "192.0.2.81");
	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	start_knotd(&config);
	wait_loaded();
	char want[32];
	snprintf(want, sizeof(want), "%" PRIu64, db_generation());

	for (int round = 0; round < 2; round++) {
		char *output = NULL;
		int rc = knotd_ctl(&fx.knotd, &output, "reload", (char *)NULL);
		ck_assert_msg(rc == 0, "knotc reload failed (%d): %s", rc, output);
		free(output);

		/* Right after the reload, without waiting: same data, same generation. */
		char *generation = probe_generation();
		ck_assert_msg(generation != NULL && strcmp(generation, want) == 0,
		              "after knotc reload the probe says '%s', expected %s (the "
		              "loaded generation must survive the reload)",
		              generation, want);
		free(generation);
		knot_pkt_t *answer = ask("reload.edge.test.", KNOT_RRTYPE_A);
		expect(answer, dns_has_address(answer, "192.0.2.80"),
		       "rules are answered right after knotc reload");
		knot_pkt_free(answer);
		answer = ask("api.example.test.", KNOT_RRTYPE_A);
		expect(answer, dns_has_address(answer, "198.51.100.20"), "the zone still answers");
		knot_pkt_free(answer);
	}

	add_rule("app-1", "r3", "after.edge.test", "192.0.2.82");
	wait_loaded();
	wait_address("after.edge.test.", KNOT_RRTYPE_A, "192.0.2.82");
}
END_TEST

START_TEST(test_conf_commit_keeps_knotd_and_module_alive)
{
	/* knotd 3.2 may dlclose a module's file when a configuration
	 * transaction (conf-begin .. conf-commit) replaces the configuration,
	 * while its statistics still point into it: the module must stay
	 * mapped, and knotd must keep answering and reporting statistics. */
	add_rule("app-1", "r1", "commit.edge.test", "192.0.2.90");
	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	start_knotd(&config);
	wait_loaded();

	const char *steps[][3] = {
		{ "conf-begin", NULL, NULL },
		{ "conf-set", "server.answer-rotation", "off" },
		{ "conf-commit", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *output = NULL;
		int rc = knotd_ctl(&fx.knotd, &output, steps[i][0], steps[i][1], steps[i][2],
		                   (char *)NULL);
		ck_assert_msg(rc == 0, "knotc %s failed (%d): %s", steps[i][0], rc, output);
		free(output);
	}

	knot_pkt_t *answer = ask("commit.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_has_address(answer, "192.0.2.90"),
	       "rules are answered after a configuration transaction");
	knot_pkt_free(answer);
	ck_assert_msg(knotd_stat(&fx.knotd, "mod-mecdns.answered") >= 1,
	              "statistics of the module are readable after conf-commit");
	answer = ask("commit.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_has_address(answer, "192.0.2.90"), "knotd is still alive");
	knot_pkt_free(answer);

	add_rule("app-1", "r2", "after-commit.edge.test", "192.0.2.91");
	wait_address("after-commit.edge.test.", KNOT_RRTYPE_A, "192.0.2.91");
}
END_TEST

/*! \brief Waits until a gauge of the module's statistics shows value (a
 *         gauge follows the published index a moment later). */
static void wait_stat(const char *counter, long long value)
{
	long long deadline = harness_now_ms() + DNS_EVENTUALLY_MS;
	long long seen = knotd_stat(&fx.knotd, counter);
	while (seen != value && harness_now_ms() < deadline) {
		harness_sleep_ms(50);
		seen = knotd_stat(&fx.knotd, counter);
	}
	ck_assert_msg(seen == value, "knotc -f stats shows %s = %lld, expected %lld", counter, seen,
	              value);
}

/*! \brief Sends n queries and checks each got an answer. */
static void ask_times(const char *name, uint16_t type, int n)
{
	for (int i = 0; i < n; i++) {
		knot_pkt_free(ask(name, type));
	}
}

START_TEST(test_statistics_count_answers_nodata_and_pass_through)
{
	add_rule("app-1", "r1", "stats.edge.test", "192.0.2.90");
	store_ok(mecdns_store_grant_set(fx.store, "app-1", "stats.edge.test.", false, true),
	         "share stats.edge.test.");
	add_rule("app-2", "r1", "stats.edge.test", "192.0.2.91");
	const char *txt[] = { "\"counted\"", NULL };
	put_rrset("txt.edge.test.", "TXT", 300, txt);
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	long long answered = knotd_stat(&fx.knotd, "mod-mecdns.answered");
	long long nodata = knotd_stat(&fx.knotd, "mod-mecdns.nodata");
	long long passed = knotd_stat(&fx.knotd, "mod-mecdns.passed");
	ck_assert_msg(answered >= 0 && nodata >= 0 && passed >= 0,
	              "knotc -f stats shows mod-mecdns.answered/nodata/passed "
	              "(got %lld/%lld/%lld)",
	              answered, nodata, passed);

	ask_times("stats.edge.test.", KNOT_RRTYPE_A, 2);
	ask_times("txt.edge.test.", KNOT_RRTYPE_TXT, 1);
	ask_times("stats.edge.test.", KNOT_RRTYPE_AAAA, 1);
	ask_times("txt.edge.test.", KNOT_RRTYPE_A, 1);
	ask_times("nothing.invalid.", KNOT_RRTYPE_A, 4);

	ck_assert_int_eq(knotd_stat(&fx.knotd, "mod-mecdns.answered") - answered, 3);
	ck_assert_int_eq(knotd_stat(&fx.knotd, "mod-mecdns.nodata") - nodata, 2);
	ck_assert_int_eq(knotd_stat(&fx.knotd, "mod-mecdns.passed") - passed, 4);
	wait_stat("mod-mecdns.generation", (long long)db_generation());
	wait_stat("mod-mecdns.records", 3);
	ck_assert_int_eq(knotd_stat(&fx.knotd, "mod-mecdns.refresh-errors"), 0);
}
END_TEST

START_TEST(test_rule_moved_to_another_name_leaves_the_old_name)
{
	add_rule("app-1", "mover", "from.edge.test", "192.0.2.150");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	rename_rule("app-1", "mover", "to.edge.test");
	wait_address("to.edge.test.", KNOT_RRTYPE_A, "192.0.2.150");
	wait_loaded();
	knot_pkt_t *answer = ask("from.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED,
	       "the rule's old name is no longer owned");
	knot_pkt_free(answer);
}
END_TEST

/*! \brief True if name A answers addr right now. */
static bool answers_now(const char *name, const char *addr)
{
	knot_pkt_t *answer = ask(name, KNOT_RRTYPE_A);
	bool found = dns_has_address(answer, addr);
	knot_pkt_free(answer);
	return found;
}

START_TEST(test_one_generation_becomes_visible_whole)
{
	add_rule("app-1", "keep", "keep.edge.test", "192.0.2.160");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	/* One bulk write of three sets: once any of them is answered, all are. */
	const char *r1[] = { "192.0.2.161", NULL }, *r2[] = { "192.0.2.162", NULL },
	           *r3[] = { "192.0.2.163", NULL };
	mecdns_rrset_t sets[3] = { make_rrset("bulk1.edge.test.", "A", 300, r1),
		                   make_rrset("bulk2.edge.test.", "A", 300, r2),
		                   make_rrset("bulk3.edge.test.", "A", 300, r3) };
	store_ok(mecdns_store_rrset_replace(fx.store, sets, 3, NULL), "bulk replace");
	for (int i = 0; i < 3; i++) {
		free_rrset(&sets[i]);
	}
	wait_address("bulk3.edge.test.", KNOT_RRTYPE_A, "192.0.2.163");
	ck_assert_msg(answers_now("bulk1.edge.test.", "192.0.2.161") &&
	                  answers_now("bulk2.edge.test.", "192.0.2.162"),
	              "a generation must become visible all at once");

	/* Removing an app's rules is one generation too. */
	put_rule("app-9", "a", "gone1.edge.test", "192.0.2.171", 300, true);
	put_rule("app-9", "b", "gone2.edge.test", "192.0.2.172", 300, true);
	wait_address("gone2.edge.test.", KNOT_RRTYPE_A, "192.0.2.172");
	size_t deleted = 0;
	store_ok(mecdns_store_rule_delete_app(fx.store, "app-9", &deleted, NULL), "delete app");
	wait_rcode("gone2.edge.test.", KNOT_RRTYPE_A, KNOT_RCODE_REFUSED);
	ck_assert_msg(!answers_now("gone1.edge.test.", "192.0.2.171"),
	              "every rule of the deleted app goes in the same generation");
	ck_assert_msg(answers_now("keep.edge.test.", "192.0.2.160"), "other apps keep theirs");
}
END_TEST

/*! \brief change log callback: remembers the last sequence number. */
static bool remember_seq(const mecdns_change_t *change, void *ctx)
{
	*(uint64_t *)ctx = change->seq;
	return true;
}

START_TEST(test_module_behind_a_pruned_change_log_reloads_fully)
{
	add_rule("app-1", "old", "old.edge.test", "192.0.2.180");
	add_rule("app-1", "stay", "stay.edge.test", "192.0.2.181");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	/* knotd sleeps while the writer changes things and prunes the log past
	 * the module's generation (as syncd does after its retention window). */
	ck_assert_int_eq(harness_signal(&fx.knotd.proc, SIGSTOP), 0);
	delete_rule("app-1", "old");
	add_rule("app-1", "new", "new.edge.test", "192.0.2.182");
	uint64_t last_seq = 0;
	store_ok(mecdns_store_changes(fx.store, 0, 1000, remember_seq, &last_seq), "changes");
	store_ok(mecdns_store_set_signalled(fx.store, last_seq), "set signalled");
	harness_sleep_ms(5);
	size_t pruned = 0;
	store_ok(mecdns_store_prune(fx.store, 0, &pruned), "prune");
	uint64_t pruned_through = 0;
	store_ok(mecdns_store_state(fx.store, NULL, &pruned_through, NULL), "state");
	ck_assert_msg(pruned_through == db_generation(),
	              "the whole change log was pruned "
	              "(pruned through %" PRIu64 ")",
	              pruned_through);
	ck_assert_int_eq(harness_signal(&fx.knotd.proc, SIGCONT), 0);

	wait_loaded();
	wait_address("new.edge.test.", KNOT_RRTYPE_A, "192.0.2.182");
	knot_pkt_t *answer = ask("old.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED,
	       "a rule deleted in the pruned span is gone after the full reload");
	knot_pkt_free(answer);
	ck_assert(answers_now("stay.edge.test.", "192.0.2.181"));
}
END_TEST

/*** A broken database never stops knotd. ***/

/*! \brief Writes 64 KiB of bytes that are no SQLite data into path (created
 *         or truncated and overwritten in place). */
static void write_garbage(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "cannot open %s: %s", path, strerror(errno));
	char block[4096];
	for (size_t i = 0; i < sizeof(block); i++) {
		block[i] = (char)("corrupt!"[i % 8] ^ (i / 8));
	}
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	}
	close(fd);
}

/*! \brief Removes the -wal and -shm files of a database path. */
static void unlink_wal_shm(const char *db)
{
	char *wal = harness_strdupf("%s-wal", db);
	char *shm = harness_strdupf("%s-shm", db);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
}

/*! \brief Puts a file at the database path the way a restore does: a new
 *         file renamed over it, the old -wal/-shm removed. (Truncating the
 *         -shm of a database in use kills every SQLite reader with SIGBUS, as
 *         the module's mapping loses its pages; nothing may do that.) */
static void replace_database(const char *db, const char *new_file)
{
	unlink_wal_shm(db);
	ck_assert_msg(rename(new_file, db) == 0, "cannot rename %s to %s: %s", new_file, db,
	              strerror(errno));
	unlink_wal_shm(new_file);
}

/*! \brief Asks `name A` a few times over about a second: every answer must
 *         hold addr (the module keeps its last good data). */
static void expect_steady_address(const char *name, const char *addr, const char *why)
{
	for (int i = 0; i < 10; i++) {
		ck_assert_msg(knotd_alive(&fx.knotd), "knotd died: %s", why);
		knot_pkt_t *answer = ask(name, KNOT_RRTYPE_A);
		expect(answer, dns_has_address(answer, addr), why);
		knot_pkt_free(answer);
		harness_sleep_ms(100);
	}
}

/*! \brief Writes a complete database with three rules (generation 3, its own
 *         instance) at path and closes it. */
static void write_recovered_database(const char *path)
{
	mecdns_store_t *main_store = fx.store;
	char err[256] = "";
	store_ok(mecdns_store_open(path, &fx.store, err, sizeof(err)), err);
	add_rule("app-1", "r1", "recovered1.edge.test", "192.0.2.101");
	add_rule("app-1", "r2", "recovered2.edge.test", "192.0.2.102");
	add_rule("app-1", "r3", "recovered3.edge.test", "192.0.2.103");
	ck_assert_int_eq(db_generation(), 3);
	mecdns_store_close(fx.store);
	fx.store = main_store;
}

START_TEST(test_corrupt_database_keeps_last_good_data_and_recovers)
{
	add_rule("app-1", "r1", "good.edge.test", "192.0.2.100");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();
	mecdns_store_close(fx.store);
	fx.store = NULL;

	/* Garbage written over the database file in place. (SQLite readers
	 * trust their page cache while the -shm says nothing changed, so the
	 * module may not even notice; it must not stop serving.) */
	write_garbage(fx.db);
	expect_steady_address("good.edge.test.", "192.0.2.100",
	                      "knotd keeps serving while garbage is written over the file");

	/* The file at the path is garbage (a botched restore). */
	size_t log_mark = knotd_log_size(&fx.knotd);
	char *garbage = harness_strdupf("%s/garbage.db", fx.dir);
	write_garbage(garbage);
	replace_database(fx.db, garbage);
	ck_assert_msg(knotd_wait_log_problem(&fx.knotd, log_mark, fx.db, DNS_EVENTUALLY_MS),
	              "the module must log an error or warning naming the broken "
	              "database %s",
	              fx.db);
	expect_steady_address("good.edge.test.", "192.0.2.100",
	                      "knotd keeps serving the last good data of a corrupt database");

	/* A good database comes back: another file, further generation. */
	char *good = harness_strdupf("%s/restored.db", fx.dir);
	write_recovered_database(good);
	replace_database(fx.db, good);
	wait_address("recovered1.edge.test.", KNOT_RRTYPE_A, "192.0.2.101");
	ck_assert_msg(answers_now("recovered2.edge.test.", "192.0.2.102") &&
	                  answers_now("recovered3.edge.test.", "192.0.2.103"),
	              "the restored database is served whole");
	knot_pkt_t *answer = ask("good.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED,
	       "a replaced database file is read in full, not as changes of the old one");
	knot_pkt_free(answer);
	ck_assert_msg(knotd_alive(&fx.knotd), "knotd survived it all");
	free(garbage);
	free(good);
}
END_TEST

START_TEST(test_corrupt_database_at_start_is_tolerated_then_replaced)
{
	mecdns_store_close(fx.store);
	fx.store = NULL;
	write_garbage(fx.db);
	unlink_wal_shm(fx.db);
	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	start_knotd(&config);

	ck_assert_msg(knotd_wait_log_problem(&fx.knotd, 0, fx.db, DNS_EVENTUALLY_MS),
	              "the module must log an error or warning naming the corrupt "
	              "database %s",
	              fx.db);
	ck_assert(answers_now("api.example.test.", "198.51.100.20"));
	knot_pkt_t *answer = ask("recovered1.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED, "nothing from the module");
	knot_pkt_free(answer);

	char *good = harness_strdupf("%s/restored.db", fx.dir);
	write_recovered_database(good);
	replace_database(fx.db, good);
	wait_address("recovered3.edge.test.", KNOT_RRTYPE_A, "192.0.2.103");
	ck_assert(knotd_alive(&fx.knotd));
	free(good);
}
END_TEST

START_TEST(test_missing_database_at_start_is_tolerated_then_loaded)
{
	char *later = harness_strdupf("%s/later.db", fx.dir);
	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	config.database = later;
	start_knotd(&config);

	ck_assert_msg(knotd_wait_log_problem(&fx.knotd, 0, later, DNS_EVENTUALLY_MS),
	              "the module must log an error or warning naming the missing "
	              "database %s",
	              later);
	knot_pkt_t *answer = ask("api.example.test.", KNOT_RRTYPE_A);
	expect(answer, dns_has_address(answer, "198.51.100.20"),
	       "knotd serves its zones while the database is missing");
	knot_pkt_free(answer);
	answer = ask("late.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED, "and nothing of the module");
	knot_pkt_free(answer);

	mecdns_store_t *store = NULL;
	char err[256] = "";
	store_ok(mecdns_store_open(later, &store, err, sizeof(err)), err);
	mecdns_store_t *first = fx.store;
	fx.store = store;
	add_rule("app-1", "r1", "late.edge.test", "192.0.2.110");
	wait_address("late.edge.test.", KNOT_RRTYPE_A, "192.0.2.110");
	ck_assert(knotd_alive(&fx.knotd));
	fx.store = first;
	mecdns_store_close(store);
	free(later);
}
END_TEST

/*! \brief Runs SQL on the database through a raw second connection (for
 *         what the store refuses to write). */
static void exec_sql(const char *sql)
{
	sqlite3 *db = NULL;
	ck_assert_msg(sqlite3_open_v2(fx.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
	              "cannot open %s: %s", fx.db, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	char *msg = NULL;
	int ret = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(ret == SQLITE_OK, "SQL failed: %s\n%s", msg, sql);
	sqlite3_close(db);
}

/*! A large database's full load says how far it is, with its rate, and
 *  then answers its last rule (issue 16: load progress). */
START_TEST(test_a_large_database_logs_its_load_progress)
{
	exec_sql("BEGIN;"
	         "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 259999) "
	         "INSERT INTO rules (app_instance_id, dns_rule_id, domain_name, owner, "
	         "ip_address_type, ip_address, ttl, state, version, created_ms, updated_ms, "
	         "generation) SELECT 'big', 'r' || i, 'n' || i || '.big.test', "
	         "'n' || i || '.big.test.', 'IP_V4', '10.' || ((i >> 16) & 255) || '.' || "
	         "((i >> 8) & 255) || '.' || (i & 255), 60, 'ACTIVE', 1, 1, 1, 1 FROM c;"
	         "UPDATE state SET generation = 1 WHERE id = 1;"
	         "COMMIT;");
	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	start_knotd(&config);
	ck_assert_msg(knotd_wait_log(&fx.knotd, "names so far", DNS_EVENTUALLY_MS),
	              "no load progress line for 260,000 names");
	ck_assert(knotd_wait_log(&fx.knotd, "loading '", 1000));
	ck_assert(knotd_wait_log(&fx.knotd, "250000 names so far", 1000));
	ck_assert(knotd_wait_log(&fx.knotd, "names/s", 1000));
	wait_address("n259999.big.test.", KNOT_RRTYPE_A, "10.3.247.159");
}
END_TEST

START_TEST(test_malformed_rows_do_not_break_other_answers)
{
	add_rule("app-1", "r1", "before.edge.test", "192.0.2.120");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	/* One generation with an A rdata of 3 bytes and a rule whose address is
	 * not an address: rows no API would write. */
	exec_sql("BEGIN IMMEDIATE;"
	         "UPDATE state SET generation = generation + 1;"
	         "INSERT INTO rrsets (zone, owner, type, ttl, generation, updated_ms) "
	         " SELECT '.', 'bad.edge.test.', 1, 300, generation, 0 FROM state;"
	         "INSERT INTO rdata (zone, owner, type, pos, text, wire) "
	         " VALUES ('.', 'bad.edge.test.', 1, 0, '1.2.3', x'010203');"
	         "INSERT INTO rules (app_instance_id, dns_rule_id, domain_name, owner, "
	         " ip_address_type, ip_address, ttl, state, version, created_ms, updated_ms, "
	         " generation) SELECT 'app-x', 'bad', 'worse.edge.test', 'worse.edge.test.', "
	         " 'IP_V4', 'not-an-address', NULL, 'ACTIVE', 1, 0, 0, generation FROM state;"
	         "INSERT INTO changes (generation, committed_ms, kind, owner, zone, rrtype, "
	         " rdata_count) SELECT generation, 0, 'rrset', 'bad.edge.test.', '.', 'A', 1 "
	         " FROM state;"
	         "INSERT INTO changes (generation, committed_ms, kind, owner, app_instance_id, "
	         " dns_rule_id, domain_name, state) SELECT generation, 0, 'rule', "
	         " 'worse.edge.test.', 'app-x', 'bad', 'worse.edge.test', 'ACTIVE' FROM state;"
	         "COMMIT;");
	add_rule("app-1", "r2", "after.edge.test", "192.0.2.121");

	wait_address("after.edge.test.", KNOT_RRTYPE_A, "192.0.2.121");
	knot_pkt_t *answer = ask("before.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_has_address(answer, "192.0.2.120"), "earlier rules stay answered");
	knot_pkt_free(answer);
	const char *bad[] = { "bad.edge.test.", "worse.edge.test." };
	for (size_t i = 0; i < 2; i++) {
		answer = ask(bad[i], KNOT_RRTYPE_A);
		char addrs[4][DNS_ADDR_LEN];
		size_t count = dns_addresses(answer, addrs, 4);
		for (size_t j = 0; j < count && j < 4; j++) {
			expect(answer, strcmp(addrs[j], "(bad rdata)") != 0,
			       "a malformed record is never sent");
		}
		knot_pkt_free(answer);
	}
	ck_assert(knotd_alive(&fx.knotd));
}
END_TEST

START_TEST(test_unknown_schema_version_is_refused_and_last_data_kept)
{
	add_rule("app-1", "r1", "known.edge.test", "192.0.2.190");
	knotd_config_t config = config_for(SCOPE_GLOBAL, false);
	start_knotd(&config);
	wait_loaded();

	/* A newer syncd migrated the file to a schema this module does not know. */
	size_t log_mark = knotd_log_size(&fx.knotd);
	exec_sql("PRAGMA user_version = 99;");
	ck_assert_msg(knotd_wait_log_problem(&fx.knotd, log_mark, "99", DNS_EVENTUALLY_MS),
	              "the module must log that it does not know schema version 99");
	add_rule("app-1", "r2", "unknown.edge.test", "192.0.2.191");
	for (int i = 0; i < 10; i++) {
		ck_assert_msg(answers_now("known.edge.test.", "192.0.2.190"),
		              "the last good data stays served");
		knot_pkt_t *answer = ask("unknown.edge.test.", KNOT_RRTYPE_A);
		expect(answer, dns_rcode(answer) == KNOT_RCODE_REFUSED,
		       "nothing new is served from a schema the module does not know");
		knot_pkt_free(answer);
		harness_sleep_ms(100);
	}

	/* Back to the version this build knows (the file was migrated to it). */
	char *restore = harness_strdupf("PRAGMA user_version = %d;", MECDNS_SCHEMA_VERSION);
	exec_sql(restore);
	free(restore);
	wait_address("unknown.edge.test.", KNOT_RRTYPE_A, "192.0.2.191");
}
END_TEST

/*** knotd as user knot reads files written by root (syncd's user). ***/

/*! \brief Gives path to group gid with mode. */
static void share_with_group(const char *path, gid_t gid, mode_t mode)
{
	if (access(path, F_OK) != 0) {
		return;
	}
	ck_assert_msg(chown(path, (uid_t)-1, gid) == 0 && chmod(path, mode) == 0,
	              "cannot share %s: %s", path, strerror(errno));
}

/*! \brief path belongs to group gid with exactly these group bits. */
static void expect_group_mode(const char *path, gid_t gid, mode_t group_bits)
{
	struct stat st;
	ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	ck_assert_msg(st.st_gid == gid && (st.st_mode & S_IRWXG) == group_bits,
	              "%s: group %ld, mode %04o", path, (long)st.st_gid, st.st_mode & 07777);
}

/*! \brief uid of a running process, from /proc. */
static long process_uid(pid_t pid)
{
	char *path = harness_strdupf("/proc/%d/status", (int)pid);
	char *status = harness_read_file(path);
	free(path);
	const char *line = status != NULL ? strstr(status, "\nUid:") : NULL;
	long uid = line != NULL ? strtol(line + 5, NULL, 10) : -1;
	free(status);
	return uid;
}

START_TEST(test_knotd_as_knot_user_reads_database_written_by_root)
{
	struct passwd *knot = getpwnam("knot");
	struct group *knot_group = getgrnam("knot");
	if (!harness_is_root() || knot == NULL || knot_group == NULL) {
		fprintf(stderr, "SKIP test_knotd_as_knot_user_reads_database_written_by_root: %s\n",
		        !harness_is_root() ? "needs root (knotd must switch to user knot)"
		                           : "no user or group 'knot' (Debian package knot)");
		return;
	}
	uid_t knot_uid = knot->pw_uid;
	gid_t knot_gid = knot_group->gr_gid;

	/* The installed layout (tmpfiles.d/mecdns.conf, docs/install.md): the
	 * directory shared through group knot, setgid, not group-writable; the
	 * store makes the database and -wal group-readable, -shm group
	 * read-write. knotd never gets more. */
	mecdns_store_close(fx.store);
	fx.store = NULL;
	harness_rmtree(fx.dir);
	ck_assert_int_eq(mkdir(fx.dir, 0700), 0);
	share_with_group(fx.dir, knot_gid, 02750);
	char err[256] = "";
	store_ok(mecdns_store_open(fx.db, &fx.store, err, sizeof(err)), err);
	add_rule("app-1", "r1", "user.edge.test", "192.0.2.130");
	char *wal = harness_strdupf("%s-wal", fx.db);
	char *shm = harness_strdupf("%s-shm", fx.db);
	expect_group_mode(fx.db, knot_gid, S_IRGRP);
	expect_group_mode(wal, knot_gid, S_IRGRP);
	expect_group_mode(shm, knot_gid, S_IRGRP | S_IWGRP);

	knotd_config_t config = config_for(SCOPE_GLOBAL, true);
	config.user = "knot:knot";
	start_knotd(&config);
	ck_assert_msg(process_uid(fx.knotd.proc.pid) == (long)knot_uid,
	              "knotd runs as user knot (uid %ld, expected %ld)",
	              process_uid(fx.knotd.proc.pid), (long)knot_uid);
	wait_loaded();

	knot_pkt_t *answer = ask("user.edge.test.", KNOT_RRTYPE_A);
	expect(answer, dns_has_address(answer, "192.0.2.130"), "a rule written by root");
	knot_pkt_free(answer);

	add_rule("app-1", "r2", "later.edge.test", "192.0.2.131");
	wait_address("later.edge.test.", KNOT_RRTYPE_A, "192.0.2.131");
	wait_loaded();

	/* The writer closes and comes back (syncd restarts): still readable. */
	mecdns_store_close(fx.store);
	fx.store = NULL;
	store_ok(mecdns_store_open(fx.db, &fx.store, err, sizeof(err)), err);
	add_rule("app-1", "r3", "restart.edge.test", "192.0.2.132");
	wait_address("restart.edge.test.", KNOT_RRTYPE_A, "192.0.2.132");
	wait_stat("mod-mecdns.generation", (long long)db_generation());
	free(wal);
	free(shm);
}
END_TEST

static Suite *module_suite(void)
{
	Suite *s = suite_create("mod-mecdns in knotd");

	TCase *answers = tcase_create("answers");
	tcase_add_checked_fixture(answers, setup, teardown);
	tcase_set_timeout(answers, TEST_TIMEOUT_S);
	tcase_add_test(answers, test_active_ipv4_rule_is_answered_authoritatively);
	tcase_add_test(answers, test_active_ipv6_rule_is_answered);
	tcase_add_test(answers, test_rule_without_ttl_uses_default_ttl);
	tcase_add_test(answers, test_rules_of_several_apps_at_one_name_are_all_answered);
	tcase_add_test(answers, test_inactive_rule_is_not_answered);
	tcase_add_test(answers, test_name_with_only_inactive_rules_passes_through);
	tcase_add_test(answers, test_other_type_at_owned_name_is_nodata_with_synthesized_soa);
	tcase_add_test(answers, test_other_type_at_owned_name_in_zone_is_nodata_with_zone_soa);
	tcase_add_loop_test(answers, test_zone_names_without_rules_pass_through, SCOPE_ZONE,
	                    SCOPE_GLOBAL + 1);
	tcase_add_loop_test(answers, test_rule_overrides_zone_record, SCOPE_ZONE, SCOPE_GLOBAL + 1);
	tcase_add_test(answers, test_name_nothing_serves_is_refused);
	tcase_add_test(answers, test_wildcard_rule_answers_below_its_closest_encloser);
	tcase_add_test(answers, test_match_is_case_insensitive_and_keeps_query_case);
	tcase_add_test(answers, test_tcp_query_is_answered);
	tcase_add_test(answers, test_udp_answer_too_large_is_truncated_and_complete_over_tcp);
	tcase_add_test(answers, test_addresses_rotate_between_responses_with_answer_rotation);
	tcase_add_test(answers, test_addresses_keep_their_order_without_answer_rotation);
	tcase_add_test(answers, test_txt_rrset_is_answered);
	tcase_add_test(answers, test_srv_rrset_is_answered);
	tcase_add_test(answers, test_cname_rrset_answers_queries_of_every_type);
	tcase_add_test(answers, test_rule_and_rrset_at_one_name_are_united);
	tcase_add_test(answers, test_any_query_at_owned_name_gets_its_records);
	suite_add_tcase(s, answers);

	TCase *untouched = tcase_create("untouched");
	tcase_add_checked_fixture(untouched, setup, teardown);
	tcase_set_timeout(untouched, TEST_TIMEOUT_S);
	tcase_add_loop_test(untouched, test_apex_soa_and_ns_queries_are_not_touched, SCOPE_ZONE,
	                    SCOPE_GLOBAL + 1);
	tcase_add_loop_test(untouched, test_zone_apex_and_ns_targets_are_never_overridden,
	                    SCOPE_ZONE, SCOPE_GLOBAL + 1);
	tcase_add_loop_test(untouched, test_axfr_does_not_contain_module_data, SCOPE_ZONE,
	                    SCOPE_GLOBAL + 1);
	tcase_add_test(untouched, test_notify_and_ch_class_are_not_answered_by_module);
	suite_add_tcase(s, untouched);

	TCase *live = tcase_create("live");
	tcase_add_checked_fixture(live, setup, teardown);
	tcase_set_timeout(live, TEST_TIMEOUT_S);
	tcase_add_test(live, test_generation_probe_reports_database_generation);
	tcase_add_test(live, test_rule_changes_become_visible_without_restart);
	tcase_add_test(live, test_reload_keeps_answering_and_generation);
	tcase_add_test(live, test_conf_commit_keeps_knotd_and_module_alive);
	tcase_add_test(live, test_statistics_count_answers_nodata_and_pass_through);
	tcase_add_test(live, test_rule_moved_to_another_name_leaves_the_old_name);
	tcase_add_test(live, test_one_generation_becomes_visible_whole);
	tcase_add_test(live, test_module_behind_a_pruned_change_log_reloads_fully);
	suite_add_tcase(s, live);

	TCase *robust = tcase_create("robustness");
	tcase_add_checked_fixture(robust, setup, teardown);
	tcase_set_timeout(robust, TEST_TIMEOUT_S);
	tcase_add_test(robust, test_corrupt_database_keeps_last_good_data_and_recovers);
	tcase_add_test(robust, test_corrupt_database_at_start_is_tolerated_then_replaced);
	tcase_add_test(robust, test_missing_database_at_start_is_tolerated_then_loaded);
	tcase_add_test(robust, test_malformed_rows_do_not_break_other_answers);
	tcase_add_test(robust, test_a_large_database_logs_its_load_progress);
	tcase_add_test(robust, test_unknown_schema_version_is_refused_and_last_data_kept);
	tcase_add_test(robust, test_knotd_as_knot_user_reads_database_written_by_root);
	suite_add_tcase(s, robust);
	return s;
}

int main(void)
{
	run_dir = harness_tmpdir("module-test");
	if (run_dir == NULL) {
		fprintf(stderr, "test_module: cannot create a temporary directory: %s\n",
		        strerror(errno));
		return EXIT_FAILURE;
	}
	knotd_track_begin();
	SRunner *sr = srunner_create(module_suite());
	srunner_run_all(sr, CK_ENV); /* CK_VERBOSITY=verbose lists every test. */
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	knotd_track_end();
	harness_rmtree(run_dir);
	free(run_dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
