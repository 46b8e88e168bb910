/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  End to end: every real component at once (issue 3, "Done when").
 *
 *  Each test starts a private dbus-daemon, the real mecdns-syncd binary
 *  emitting on that bus (--dbus ADDRESS) and a real knotd with the built
 *  mod-mecdns as a global module (short refresh-interval) on the same SQLite
 *  file, then drives syncd's REST APIs as the MEC platform, an application
 *  and EdgeGallery's MEP server do, and checks the three outcomes together:
 *  the HTTP answer, the D-Bus signal a listener on the bus receives, and the
 *  DNS answer from knotd.
 *
 *  No timing is asserted: DNS answers and signals are polled until generous
 *  deadlines. Only "nothing arrives" uses a short settle window (longer than
 *  the emitter's outbox poll interval).
 */

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libknot/libknot.h>

#include "store/store.h"
#include "tests/harness/dbus.h"
#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define ADDR    "127.0.0.1"
#define NAME    "org.mecdns.syncd"
#define PATH    "/org/mecdns/syncd"
#define IFACE   "org.mecdns.syncd.events"
#define MP1     "/mec_app_support/v1/applications"
#define MM5     "/mep/config"
#define RRECORD "/mep/dns_server_mgmt/v1/rrecord"

/*! Deadline for "eventually" (a signal arrives, syncd takes its name, a
 *  change becomes visible in DNS): never reached by a correct system. */
#define EVENTUALLY_MS 15000
/*! How long "nothing (more) arrives" is watched: longer than the emitter's
 *  outbox poll (1 s) so a change it would signal late is seen. */
#define SETTLE_MS 1500
/*! mod-mecdns refresh-interval. */
#define REFRESH_MS 50

#define APP "app-e2e"

/*** Components. ***/

typedef struct {
	harness_proc_t proc;
	char *dir;
	char *db;
	char *log;
	int port;
} syncd_t;

static harness_dbus_t bus;
static syncd_t syncd;
static knotd_t knotd;
static bool knotd_running;
static harness_dbus_listener_t *listener;

/*! \brief Prints everything a failing test needs: syncd's log, the signals
 *         received, knotd's log. */
static void dump_state(void)
{
	if (syncd.proc.log_path[0] != '\0') {
		harness_dump_log(&syncd.proc);
	}
	if (listener != NULL) {
		harness_dbus_dump(listener);
	}
	if (knotd_running) {
		knotd_dump_log(&knotd);
	}
}

/*! ck_assert_msg() that dumps the components' state before failing. */
#define expect(cond, ...) HARNESS_EXPECT(dump_state, cond, __VA_ARGS__)

/*! \brief Starts mecdns-syncd on a fresh free port with the test's database,
 *         emitting on the private bus; waits until it listens. */
static void syncd_start(void)
{
	const char *args[] = { "--database", syncd.db,      "--dbus", bus.address, "--knot-dbus",
		               "none",       "--log-level", "debug",  NULL };
	expect(harness_syncd_start(&syncd.proc, ADDR, &syncd.port, args, NULL, syncd.log,
	                           EVENTUALLY_MS) == 0,
	       "mecdns-syncd did not start listening on " ADDR ":%d", syncd.port);
}

static void bus_start(void)
{
	ck_assert_int_eq(harness_dbus_start(&bus, NULL), 0);
	harness_cleanup_dir(bus.dir);
}

/*! \brief A listener on the private bus, subscribed before it returns. */
static harness_dbus_listener_t *listen_bus(void)
{
	harness_dbus_listener_t *l = harness_dbus_listen(bus.address, IFACE);
	ck_assert_ptr_nonnull(l);
	return l;
}

static void listener_close(void)
{
	if (listener != NULL) {
		harness_dbus_listener_free(listener);
		listener = NULL;
	}
}

/*! \brief Waits until syncd owns its name on the bus. */
static void wait_syncd_on_bus(void)
{
	expect(harness_dbus_wait_owner(listener, NAME, EVENTUALLY_MS),
	       "mecdns-syncd did not take %s on the private bus", NAME);
}

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	memset(&syncd, 0, sizeof(syncd));
	memset(&knotd, 0, sizeof(knotd));
	knotd_running = false;
	listener = NULL;

	syncd.dir = harness_tmpdir("e2e");
	ck_assert_ptr_nonnull(syncd.dir);
	harness_cleanup_dir(syncd.dir);
	syncd.db = harness_strdupf("%s/mecdns.db", syncd.dir);
	syncd.log = harness_strdupf("%s/syncd.log", syncd.dir);

	bus_start();
	/* syncd first: it creates the database knotd's module opens. */
	syncd_start();
	knotd_config_t config = {
		.tag = "e2e",
		.database = syncd.db,
		.global_module = true,
		.refresh_interval_ms = REFRESH_MS,
	};
	if (knotd_start(&knotd, &config) != 0) {
		harness_dump_log(&syncd.proc);
		ck_abort_msg("knotd with mod-mecdns did not start");
	}
	knotd_running = true;
	listener = listen_bus();
	wait_syncd_on_bus();
}

static void teardown(void)
{
	listener_close();
	if (knotd_running) {
		knotd_stop(&knotd);
		knotd_running = false;
	}
	int status = harness_syncd_stop(&syncd.proc, 10000);
	if (bus.dir != NULL) {
		harness_dbus_free(&bus);
	}
	harness_rmtree(syncd.dir);
	free(syncd.dir);
	free(syncd.db);
	free(syncd.log);
	memset(&syncd, 0, sizeof(syncd));
	/* SIGTERM is a clean stop (exit 0) also end to end. */
	ck_assert_msg(status == 0, "mecdns-syncd exited with %d on SIGTERM", status);
}

/*** HTTP. ***/

/*! \brief One request (optional If-Match); returns the status. */
static int call_if(const char *method, const char *path, const char *body, const char *if_match,
                   http_response_t *resp)
{
	char *match = if_match != NULL ? harness_strdupf("If-Match: %s", if_match) : NULL;
	const char *headers[] = { "Content-Type: application/json", match, NULL };
	int ret = http_request(ADDR, syncd.port, method, path, headers, body,
	                       body != NULL ? strlen(body) : 0, resp);
	free(match);
	expect(ret == 0, "%s %s: no connection to mecdns-syncd (%d)", method, path, ret);
	return resp->status;
}

static int call(const char *method, const char *path, const char *body, http_response_t *resp)
{
	return call_if(method, path, body, NULL, resp);
}

/*! \brief A request that must answer status (the body is shown otherwise). */
static void expect_status(const char *method, const char *path, const char *body, int status)
{
	http_response_t resp;
	call(method, path, body, &resp);
	expect(resp.status == status, "%s %s %s: %d (expected %d): %s", method, path,
	       body != NULL ? body : "", resp.status, status, resp.body);
	http_response_free(&resp);
}

/*! \brief A request that must be refused with a ProblemDetails of status. */
static void expect_problem(const char *method, const char *path, const char *body,
                           const char *if_match, int status)
{
	http_response_t resp;
	call_if(method, path, body, if_match, &resp);
	expect(resp.status == status, "%s %s %s: %d (expected %d): %s", method, path, body,
	       resp.status, status, resp.body);
	char *type = http_header(&resp, "Content-Type");
	expect(type != NULL && strcmp(type, "application/problem+json") == 0,
	       "%s %s: Content-Type %s, expected application/problem+json", method, path,
	       type != NULL ? type : "(none)");
	free(type);
	cJSON *json = cJSON_Parse(resp.body);
	expect(json != NULL, "%s %s: the problem is not JSON: %s", method, path, resp.body);
	cJSON *st = cJSON_GetObjectItem(json, "status");
	expect(cJSON_IsNumber(st) && st->valueint == status, "%s %s: problem status: %s", method,
	       path, resp.body);
	expect(cJSON_IsString(cJSON_GetObjectItem(json, "title")) &&
	           cJSON_IsString(cJSON_GetObjectItem(json, "detail")),
	       "%s %s: problem without title/detail: %s", method, path, resp.body);
	cJSON_Delete(json);
	http_response_free(&resp);
}

/*! \brief Creates an IPv4 rule of APP through Mm5: 201 + Location. */
static void post_rule(const char *id, const char *domain, const char *ip)
{
	char *body = harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\","
	                             "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"%s\","
	                             "\"ttl\":30}",
	                             id, domain, ip);
	http_response_t resp;
	call("POST", MM5 "/" APP "/dns_rules", body, &resp);
	expect(resp.status == 201, "POST " MM5 "/" APP "/dns_rules %s: %d: %s", body, resp.status,
	       resp.body);
	char *location = http_header(&resp, "Location");
	char *want = harness_strdupf(MM5 "/" APP "/dns_rules/%s", id);
	expect(location != NULL && strcmp(location, want) == 0, "Location %s, expected %s",
	       location != NULL ? location : "(none)", want);
	free(want);
	free(location);
	http_response_free(&resp);
	free(body);
}

/*** Database (read through the store, as a check of what syncd committed). ***/

static uint64_t db_generation(void)
{
	mecdns_store_t *store = NULL;
	char err[512] = "";
	ck_assert_msg(mecdns_store_open(syncd.db, &store, err, sizeof(err)) == MECDNS_STORE_OK,
	              "store open: %s", err);
	uint64_t gen = 0;
	ck_assert_int_eq(mecdns_store_state(store, &gen, NULL, NULL), MECDNS_STORE_OK);
	mecdns_store_close(store);
	return gen;
}

/*** D-Bus. ***/

/*! \brief Number of collected signals named member. */
static size_t count_member(const char *member)
{
	size_t n = 0;
	for (size_t i = 0; i < harness_dbus_count(listener); i++) {
		if (strcmp(harness_dbus_signal(listener, i)->member, member) == 0) {
			n++;
		}
	}
	return n;
}

/*! \brief The index-th collected signal named member, or NULL. Other
 *         signals on the interface (Knot state) are skipped. */
static const harness_dbus_signal_t *nth_member(const char *member, size_t index)
{
	for (size_t i = 0; i < harness_dbus_count(listener); i++) {
		const harness_dbus_signal_t *sig = harness_dbus_signal(listener, i);
		if (strcmp(sig->member, member) == 0 && index-- == 0) {
			return sig;
		}
	}
	return NULL;
}

/*! \brief Reads the bus until count signals named member were collected or
 *         timeout_ms passed; returns how many there are. */
static size_t wait_member(const char *member, size_t count, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	size_t have;
	while ((have = count_member(member)) < count) {
		long long left = deadline - harness_now_ms();
		if (left <= 0 || !harness_dbus_connected(listener)) {
			break;
		}
		/* One more signal of any kind, then count again. */
		harness_dbus_wait(listener, harness_dbus_count(listener) + 1, (int)left);
	}
	return have;
}

/*! \brief Waits for the index-th signal named member and returns it. */
static const harness_dbus_signal_t *expect_member(const char *member, size_t index)
{
	size_t have = wait_member(member, index + 1, EVENTUALLY_MS);
	expect(have > index, "only %zu %s signals arrived, expected at least %zu", have, member,
	       index + 1);
	return nth_member(member, index);
}

/*! \brief Generation (fifth argument, t) of a rule_changed (six arguments,
 *         the scope last) / rrset_changed (six, the scope last). */
static uint64_t signal_generation(const harness_dbus_signal_t *sig)
{
	expect(sig->argc == 6, "%s: %zu arguments, expected 6", sig->text, sig->argc);
	return strtoull(sig->args[4], NULL, 10);
}

/*! \brief Checks a rule_changed signal (sender path and interface too);
 *         returns its generation. */
static uint64_t check_rule_changed(const harness_dbus_signal_t *sig, const char *id,
                                   const char *domain, const char *state)
{
	expect(strcmp(sig->interface, IFACE) == 0 && strcmp(sig->path, PATH) == 0, "%s on %s %s",
	       sig->text, sig->path, sig->interface);
	expect(sig->argc == 6 && strcmp(sig->args[0], APP) == 0 && strcmp(sig->args[1], id) == 0 &&
	           strcmp(sig->args[2], domain) == 0 && strcmp(sig->args[3], state) == 0,
	       "got %s, expected rule_changed('%s', '%s', '%s', '%s', <generation>)", sig->text,
	       APP, id, domain, state);
	uint64_t gen = signal_generation(sig);
	expect(gen > 0, "%s: generation 0", sig->text);
	return gen;
}

/*! \brief Checks an rrset_changed signal; returns its generation. */
static uint64_t check_rrset_changed(const harness_dbus_signal_t *sig, const char *zone,
                                    const char *owner, const char *type, const char *count)
{
	expect(strcmp(sig->interface, IFACE) == 0 && strcmp(sig->path, PATH) == 0, "%s on %s %s",
	       sig->text, sig->path, sig->interface);
	expect(sig->argc == 6 && strcmp(sig->args[0], zone) == 0 &&
	           strcmp(sig->args[1], owner) == 0 && strcmp(sig->args[2], type) == 0 &&
	           strcmp(sig->args[3], count) == 0 && strcmp(sig->args[5], "") == 0,
	       "got %s, expected rrset_changed('%s', '%s', '%s', %s, <generation>, '')", sig->text,
	       zone, owner, type, count);
	uint64_t gen = signal_generation(sig);
	expect(gen > 0, "%s: generation 0", sig->text);
	return gen;
}

/*! \brief Restarts the stopped bus on the same address and subscribes a new
 *         listener before syncd can take its name again: while the bus is
 *         restarted the policy refuses the name, so nothing syncd emits on
 *         reconnecting can be missed. */
static void restart_bus_and_listen(void)
{
	char *deny_name = harness_strdupf("%s  <policy context=\"default\">\n"
	                                  "    <deny own=\"" NAME "\"/>\n"
	                                  "  </policy>\n",
	                                  harness_dbus_allow_all_policy());
	ck_assert_int_eq(harness_dbus_set_policy(&bus, deny_name), 0);
	free(deny_name);
	ck_assert_int_eq(harness_dbus_restart(&bus), 0);
	listener = listen_bus();
	ck_assert_int_eq(harness_dbus_set_policy(&bus, NULL), 0);
}

/*** DNS. ***/

/*! \brief Polls knotd until the A answer of name holds addr. */
static void expect_address(const char *name, const char *addr)
{
	bool matched = false;
	knot_pkt_t *answer = dns_poll(knotd.port, name, KNOT_RRTYPE_A, NULL, dns_match_address,
	                              addr, EVENTUALLY_MS, &matched);
	char *text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(matched, "knotd does not answer %s A %s; last answer:\n%s", name, addr, text);
	free(text);
}

static bool match_refused_without_data(const knot_pkt_t *answer, const void *ctx)
{
	return answer != NULL && dns_rcode(answer) == KNOT_RCODE_REFUSED &&
	       dns_section_records(answer, KNOT_ANSWER) == 0;
}

/*! \brief Polls knotd until name passes through the module: no zone serves
 *         it, so knotd answers REFUSED without data. */
static void expect_refused(const char *name)
{
	bool matched = false;
	knot_pkt_t *answer = dns_poll(knotd.port, name, KNOT_RRTYPE_A, NULL,
	                              match_refused_without_data, NULL, EVENTUALLY_MS, &matched);
	char *text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(matched, "knotd still answers %s A (expected REFUSED); last answer:\n%s", name,
	       text);
	free(text);
}

typedef struct {
	const char *const *addrs;
	size_t count;
} addr_set_t;

/*! ctx: addr_set_t; exactly these addresses, each once. */
static bool match_exact_addresses(const knot_pkt_t *answer, const void *ctx)
{
	const addr_set_t *set = ctx;
	if (answer == NULL || dns_rcode(answer) != KNOT_RCODE_NOERROR ||
	    dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_A) != set->count) {
		return false;
	}
	for (size_t i = 0; i < set->count; i++) {
		if (!dns_has_address(answer, set->addrs[i])) {
			return false;
		}
	}
	return true;
}

/*! \brief CH TXT generation.mecdns. as knotd answers it (malloc'd). */
static char *module_generation(void)
{
	dns_opts_t opts = { .qclass = KNOT_CLASS_CH };
	knot_pkt_t *answer = dns_query(knotd.port, "generation.mecdns.", KNOT_RRTYPE_TXT, &opts);
	char *strings[1] = { NULL };
	size_t n = answer != NULL ? dns_txt_strings(answer, strings, 1) : 0;
	char *text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(n == 1, "CH TXT generation.mecdns.: no TXT answer:\n%s", text);
	free(text);
	return strings[0];
}

/*! \brief Polls until the module has loaded generation gen. */
static void expect_module_generation(uint64_t gen)
{
	char *want = harness_strdupf("%llu", (unsigned long long)gen);
	dns_opts_t opts = { .qclass = KNOT_CLASS_CH };
	bool matched = false;
	knot_pkt_t *answer = dns_poll(knotd.port, "generation.mecdns.", KNOT_RRTYPE_TXT, &opts,
	                              dns_match_txt, want, EVENTUALLY_MS, &matched);
	char *text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(matched, "the module did not load generation %s; last answer:\n%s", want, text);
	free(text);
	free(want);
}

/*! ctx: const uint64_t *; CH TXT generation.mecdns. is at least that. */
static bool match_generation_at_least(const knot_pkt_t *answer, const void *ctx)
{
	char *strings[1] = { NULL };
	if (answer == NULL || dns_txt_strings(answer, strings, 1) != 1) {
		return false;
	}
	char *end = NULL;
	unsigned long long gen = strtoull(strings[0], &end, 10);
	bool ok = *strings[0] != '\0' && *end == '\0' && gen >= *(const uint64_t *)ctx;
	free(strings[0]);
	return ok;
}

/*! \brief A write that must answer status with an X-Mecdns-Generation equal
 *         to the database generation right after it; returns it. */
static uint64_t write_generation(const char *method, const char *path, const char *body, int status)
{
	http_response_t resp;
	call(method, path, body, &resp);
	expect(resp.status == status, "%s %s %s: %d (expected %d): %s", method, path,
	       body != NULL ? body : "", resp.status, status, resp.body);
	char *value = http_header(&resp, "X-Mecdns-Generation");
	http_response_free(&resp);
	expect(value != NULL, "%s %s: no X-Mecdns-Generation", method, path);
	char *end = NULL;
	unsigned long long gen = strtoull(value, &end, 10);
	expect(*value != '\0' && *end == '\0', "X-Mecdns-Generation \"%s\"", value);
	free(value);
	expect(gen == db_generation(), "%s %s: X-Mecdns-Generation %llu, the database has %llu",
	       method, path, gen, (unsigned long long)db_generation());
	return gen;
}

/*! \brief What a client does (docs/api.md): polls CH TXT generation.mecdns.
 *         until it is at least gen; then one query of name A must answer
 *         exactly addrs (none: it passes through, REFUSED). */
static void expect_visible_at(uint64_t gen, const char *name, const char *const *addrs,
                              size_t count)
{
	dns_opts_t opts = { .qclass = KNOT_CLASS_CH };
	bool matched = false;
	knot_pkt_t *answer = dns_poll(knotd.port, "generation.mecdns.", KNOT_RRTYPE_TXT, &opts,
	                              match_generation_at_least, &gen, EVENTUALLY_MS, &matched);
	char *text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(matched, "CH TXT generation.mecdns. never reached %llu; last answer:\n%s",
	       (unsigned long long)gen, text);
	free(text);

	addr_set_t set = { addrs, count };
	answer = dns_query(knotd.port, name, KNOT_RRTYPE_A, NULL);
	bool ok = count > 0 ? match_exact_addresses(answer, &set)
	                    : match_refused_without_data(answer, NULL);
	text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(ok,
	       "generation %llu is loaded, but %s A does not answer the %zu addresses "
	       "written:\n%s",
	       (unsigned long long)gen, name, count, text);
	free(text);
}

/*** Tests. ***/

/* Issue 3's "Done when": an Mm5 rule is answered and signalled, the app
 * deactivates it through Mp1 and the answer disappears. */
START_TEST(test_mm5_rule_answered_and_signalled_until_app_deactivates_it_on_mp1)
{
	post_rule("r1", "www.e2e.test", "192.0.2.10");
	uint64_t committed = db_generation();

	const harness_dbus_signal_t *sig = expect_member("rule_changed", 0);
	uint64_t gen1 = check_rule_changed(sig, "r1", "www.e2e.test", "ACTIVE");
	expect(gen1 == committed, "%s: generation %llu, the database has %llu", sig->text,
	       (unsigned long long)gen1, (unsigned long long)committed);
	expect_address("www.e2e.test.", "192.0.2.10");
	expect_module_generation(gen1);

	/* The app reads its rule with Mp1 and puts it back INACTIVE. */
	http_response_t resp;
	call("GET", MP1 "/" APP "/dns_rules/r1", NULL, &resp);
	expect(resp.status == 200, "GET Mp1 rule: %d: %s", resp.status, resp.body);
	char *etag = http_header(&resp, "ETag");
	expect(etag != NULL, "GET Mp1 rule without ETag");
	cJSON *rule = cJSON_Parse(resp.body);
	expect(rule != NULL && cJSON_IsObject(rule), "GET Mp1 rule: not a DnsRule: %s", resp.body);
	http_response_free(&resp);
	cJSON *state = cJSON_GetObjectItem(rule, "state");
	expect(cJSON_IsString(state) && strcmp(state->valuestring, "ACTIVE") == 0,
	       "the rule is not ACTIVE before the PUT");
	cJSON_ReplaceItemInObject(rule, "state", cJSON_CreateString("INACTIVE"));
	char *body = cJSON_PrintUnformatted(rule);
	cJSON_Delete(rule);

	call_if("PUT", MP1 "/" APP "/dns_rules/r1", body, etag, &resp);
	expect(resp.status == 200, "PUT Mp1 (If-Match: %s) %s: %d: %s", etag, body, resp.status,
	       resp.body);
	cJSON *put = cJSON_Parse(resp.body);
	state = cJSON_GetObjectItem(put, "state");
	expect(cJSON_IsString(state) && strcmp(state->valuestring, "INACTIVE") == 0,
	       "PUT Mp1 answered %s", resp.body);
	cJSON_Delete(put);
	http_response_free(&resp);
	free(body);
	free(etag);

	sig = expect_member("rule_changed", 1);
	uint64_t gen2 = check_rule_changed(sig, "r1", "www.e2e.test", "INACTIVE");
	expect(gen2 > gen1, "%s: generation not after %llu", sig->text, (unsigned long long)gen1);
	expect(gen2 == db_generation(), "%s: the database has generation %llu", sig->text,
	       (unsigned long long)db_generation());
	expect_refused("www.e2e.test.");
	expect_module_generation(gen2);

	/* Exactly one signal per change. */
	expect(wait_member("rule_changed", 3, SETTLE_MS) == 2, "more than two rule_changed");
}
END_TEST

#define EDGE_BULK                                                                                  \
	"[{\"zone\":\".\",\"rr\":[{\"name\":\"edge.example.com.\",\"type\":\"A\","                 \
	"\"class\":\"IN\",\"ttl\":30,\"rData\":[\"10.0.0.1\",\"10.0.0.2\"]}]}]"

/* EdgeGallery's MEP server calls, byte for byte as it sends them. */
START_TEST(test_edgegallery_bulk_put_and_delete_unchanged)
{
	expect_status("PUT", RRECORD, EDGE_BULK, 200);
	const harness_dbus_signal_t *sig = expect_member("rrset_changed", 0);
	uint64_t gen1 = check_rrset_changed(sig, ".", "edge.example.com.", "A", "2");
	expect(gen1 == db_generation(), "%s: the database has generation %llu", sig->text,
	       (unsigned long long)db_generation());

	const char *const both[] = { "10.0.0.1", "10.0.0.2" };
	addr_set_t set = { both, 2 };
	bool matched = false;
	knot_pkt_t *answer = dns_poll(knotd.port, "edge.example.com.", KNOT_RRTYPE_A, NULL,
	                              match_exact_addresses, &set, EVENTUALLY_MS, &matched);
	char *text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(matched, "knotd does not answer edge.example.com. A with both addresses:\n%s", text);
	free(text);

	/* EdgeGallery deletes without the trailing dot and with a "{}" body. */
	expect_status("DELETE", RRECORD "/edge.example.com/A", "{}", 200);
	sig = expect_member("rrset_changed", 1);
	uint64_t gen2 = check_rrset_changed(sig, ".", "edge.example.com.", "A", "0");
	expect(gen2 > gen1, "%s: generation not after %llu", sig->text, (unsigned long long)gen1);
	expect_refused("edge.example.com.");
	expect_module_generation(gen2);
	expect(wait_member("rrset_changed", 3, SETTLE_MS) == 2, "more than two rrset_changed");
	expect(count_member("rule_changed") == 0, "rrecord calls signalled rule_changed");
}
END_TEST

/* The bus goes away under the real syncd: REST and DNS keep working, and
 * the signals arrive, in commit order, once the bus is back. */
START_TEST(test_bus_down_then_up_signals_arrive_in_commit_order)
{
	listener_close();
	harness_dbus_stop(&bus);

	post_rule("down1", "down1.e2e.test", "192.0.2.21");
	uint64_t committed1 = db_generation();
	post_rule("down2", "down2.e2e.test", "192.0.2.22");
	uint64_t committed2 = db_generation();
	expect(committed2 > committed1, "generation did not advance: %llu, %llu",
	       (unsigned long long)committed1, (unsigned long long)committed2);
	expect_address("down1.e2e.test.", "192.0.2.21");
	expect_address("down2.e2e.test.", "192.0.2.22");

	restart_bus_and_listen();
	const harness_dbus_signal_t *first = expect_member("rule_changed", 0);
	uint64_t gen1 = check_rule_changed(first, "down1", "down1.e2e.test", "ACTIVE");
	const harness_dbus_signal_t *second = expect_member("rule_changed", 1);
	uint64_t gen2 = check_rule_changed(second, "down2", "down2.e2e.test", "ACTIVE");
	expect(gen1 == committed1 && gen2 == committed2,
	       "generations %llu, %llu; committed %llu, %llu", (unsigned long long)gen1,
	       (unsigned long long)gen2, (unsigned long long)committed1,
	       (unsigned long long)committed2);
	expect(wait_member("rule_changed", 3, SETTLE_MS) == 2, "more than two rule_changed");
	expect(harness_dbus_wait_owner(listener, NAME, EVENTUALLY_MS),
	       "mecdns-syncd does not own %s again", NAME);
}
END_TEST

/* A change committed while the bus is down survives kill -9 of syncd in
 * the outbox: the restarted syncd signals it. */
START_TEST(test_outbox_survives_kill_9)
{
	listener_close();
	harness_dbus_stop(&bus);

	post_rule("crash", "crash.e2e.test", "192.0.2.30");
	uint64_t committed = db_generation();
	ck_assert_int_eq(harness_signal(&syncd.proc, SIGKILL), 0);
	int status = harness_wait_exit(&syncd.proc, EVENTUALLY_MS);
	expect(status == 128 + SIGKILL, "mecdns-syncd: exit status %d after SIGKILL", status);
	/* The committed rule is served while syncd is dead. */
	expect_address("crash.e2e.test.", "192.0.2.30");

	ck_assert_int_eq(harness_dbus_restart(&bus), 0);
	listener = listen_bus();
	syncd_start();

	const harness_dbus_signal_t *sig = expect_member("rule_changed", 0);
	uint64_t gen = check_rule_changed(sig, "crash", "crash.e2e.test", "ACTIVE");
	expect(gen == committed, "%s: generation %llu, committed %llu", sig->text,
	       (unsigned long long)gen, (unsigned long long)committed);
	/* Nothing else: the cursor was at 0 and only this change was made (the
	 * documented duplicates of a crash would repeat this very signal). */
	char *text = harness_strdupf("%s", sig->text);
	wait_member("rule_changed", 2, SETTLE_MS);
	for (size_t i = 1; i < count_member("rule_changed"); i++) {
		const harness_dbus_signal_t *more = nth_member("rule_changed", i);
		expect(strcmp(more->text, text) == 0, "unexpected %s after %s", more->text, text);
	}
	free(text);
	expect_address("crash.e2e.test.", "192.0.2.30");
	expect_module_generation(committed);
}
END_TEST

/* Rejected requests change nothing anywhere: no commit, no signal, the
 * module's generation stays. */
START_TEST(test_bad_input_changes_nothing_end_to_end)
{
	post_rule("good", "good.e2e.test", "192.0.2.40");
	uint64_t before =
	    check_rule_changed(expect_member("rule_changed", 0), "good", "good.e2e.test", "ACTIVE");
	expect_address("good.e2e.test.", "192.0.2.40");
	expect_module_generation(before);
	char *generation_before = module_generation();
	http_response_t resp;
	call("GET", MP1 "/" APP "/dns_rules/good", NULL, &resp);
	char *etag = http_header(&resp, "ETag");
	expect(resp.status == 200 && etag != NULL, "GET Mp1: %d: %s", resp.status, resp.body);
	http_response_free(&resp);
	size_t signals_before = harness_dbus_count(listener);

	/* Malformed JSON. */
	expect_problem("POST", MM5 "/" APP "/dns_rules",
	               "{\"dnsRuleId\":\"bad\",\"domainName\":\"bad.e2e.test\",", NULL, 400);
	expect_problem("PUT", RRECORD, "[{\"zone\":\".\",\"rr\":[{\"name\":", NULL, 400);
	/* A bad IP: on Mm5, on Mp1 (with a valid If-Match) and in a bulk PUT. */
	expect_problem("POST", MM5 "/" APP "/dns_rules",
	               "{\"dnsRuleId\":\"bad\",\"domainName\":\"bad.e2e.test\","
	               "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.300\",\"ttl\":30}",
	               NULL, 400);
	expect_problem("PUT", MP1 "/" APP "/dns_rules/good",
	               "{\"dnsRuleId\":\"good\",\"domainName\":\"good.e2e.test\","
	               "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"192.0.2.300\",\"ttl\":30,"
	               "\"state\":\"INACTIVE\"}",
	               etag, 400);
	expect_problem("PUT", RRECORD,
	               "[{\"zone\":\".\",\"rr\":[{\"name\":\"bad.e2e.test.\",\"type\":\"A\","
	               "\"class\":\"IN\",\"ttl\":30,\"rData\":[\"10.0.0.1\",\"10.0.0.256\"]}]}]",
	               NULL, 400);
	free(etag);

	/* No signal within the settle window. */
	size_t got = harness_dbus_wait(listener, signals_before + 1, SETTLE_MS);
	expect(count_member("rule_changed") == 1 && count_member("rrset_changed") == 0,
	       "a rejected request was signalled (%zu signals, %zu before)", got, signals_before);
	expect(db_generation() == before, "the database generation moved: %llu -> %llu",
	       (unsigned long long)before, (unsigned long long)db_generation());
	char *generation_after = module_generation();
	expect(strcmp(generation_before, generation_after) == 0,
	       "CH TXT generation.mecdns. changed: %s -> %s", generation_before, generation_after);
	free(generation_before);
	free(generation_after);
	expect_refused("bad.e2e.test.");
	expect_address("good.e2e.test.", "192.0.2.40");
}
END_TEST

/* X-Mecdns-Generation tells a client when its write is answered: once CH
 * TXT generation.mecdns. is at least N, the very next query sees it. */
START_TEST(test_write_generation_header_tells_when_dns_answers_it)
{
	uint64_t gen1 = write_generation("PUT", RRECORD,
	                                 "[{\"zone\":\".\",\"rr\":[{\"name\":\"vis.e2e.test.\","
	                                 "\"type\":\"A\",\"class\":\"IN\",\"ttl\":30,"
	                                 "\"rData\":[\"10.0.1.1\",\"10.0.1.2\"]}]}]",
	                                 200);
	const char *const two[] = { "10.0.1.1", "10.0.1.2" };
	expect_visible_at(gen1, "vis.e2e.test.", two, 2);

	uint64_t gen2 = write_generation("POST", MM5 "/" APP "/dns_rules",
	                                 "{\"dnsRuleId\":\"vis\",\"domainName\":\"vis.e2e.test\","
	                                 "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"10.0.1.3\"}",
	                                 201);
	expect(gen2 == gen1 + 1, "generation %llu after %llu", (unsigned long long)gen2,
	       (unsigned long long)gen1);
	const char *const three[] = { "10.0.1.1", "10.0.1.2", "10.0.1.3" };
	expect_visible_at(gen2, "vis.e2e.test.", three, 3);

	uint64_t gen3 = write_generation("DELETE", RRECORD "/vis.e2e.test./A", NULL, 200);
	expect(gen3 == gen2 + 1, "generation %llu after %llu", (unsigned long long)gen3,
	       (unsigned long long)gen2);
	const char *const rule_only[] = { "10.0.1.3" };
	expect_visible_at(gen3, "vis.e2e.test.", rule_only, 1);

	uint64_t gen4 =
	    write_generation("PUT", MM5 "/" APP "/dns_rules/vis", "{\"state\":\"INACTIVE\"}", 200);
	expect(gen4 == gen3 + 1, "generation %llu after %llu", (unsigned long long)gen4,
	       (unsigned long long)gen3);
	expect_visible_at(gen4, "vis.e2e.test.", NULL, 0);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("end_to_end");
	TCase *tc = tcase_create("syncd_dbus_knotd");
	tcase_add_unchecked_fixture(tc, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mm5_rule_answered_and_signalled_until_app_deactivates_it_on_mp1);
	tcase_add_test(tc, test_edgegallery_bulk_put_and_delete_unchanged);
	tcase_add_test(tc, test_bus_down_then_up_signals_arrive_in_commit_order);
	tcase_add_test(tc, test_outbox_survives_kill_9);
	tcase_add_test(tc, test_bad_input_changes_nothing_end_to_end);
	tcase_add_test(tc, test_write_generation_header_tells_when_dns_answers_it);
	suite_add_tcase(suite, tc);

	knotd_track_begin();
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	if (knotd_track_end() != 0) {
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
