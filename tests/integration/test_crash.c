/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Crash test (issue 7, "Fault tests"): kill -9 of mecdns-syncd at random
 *  moments under a concurrent write load, repeated; nothing acknowledged is
 *  lost.
 *
 *  One private dbus-daemon, one real knotd with the built mod-mecdns as a
 *  global module and the real mecdns-syncd on one SQLite file run for the
 *  whole test. Each cycle:
 *
 *  1. WRITERS threads write as fast as syncd answers: Mm5 POST / partial PUT
 *     / DELETE / DELETE of the whole app, Mp1 PUT with If-Match, and rrecord
 *     PUT (one set, and bulk PUTs of up to two sets, an empty rData deleting
 *     one), POST (add a record) and DELETE. Every resource (a rule, or the
 *     A set of a name) belongs to one writer, and every write puts a new,
 *     never used address, so the expected state of a resource is known
 *     exactly from the requests that got a 2xx, and a database state tells
 *     which request produced it.
 *  2. After a random delay (seeded) syncd gets SIGKILL. A request without an
 *     HTTP answer has an unknown outcome; its writer stops there. In one
 *     cycle of four a first restart is killed too, 0-100 ms after its
 *     start (opening the database, draining the outbox).
 *  3. syncd restarts on the same database. The unknown requests are settled
 *     from the database: each one either committed entirely or not at all
 *     (anything else is a half-applied request: a failure).
 *  4. Checks: every resource is in the database in its expected state; the
 *     change log holds, per resource, exactly the expected sequence of
 *     changes (every acknowledged change has its own row: lost = 0); once
 *     the module's generation probe (CH TXT generation.mecdns.) reached the
 *     database generation, knotd answers every name with exactly its
 *     expected addresses; every change log row arrives as its D-Bus signal
 *     (rule_changed / rrset_changed with the row's generation), first
 *     arrivals in generation order. Repeats of a signal after a crash are
 *     counted: the outbox is at-least-once (syncd/signals.h).
 *
 *  Each cycle prints one "crash: cycle=..." line and the run one
 *  "crash: cycles=..." line with the totals (bench/soak.sh reads it).
 *  MECDNS_CRASH_CYCLES (default 3) sets the number of cycles and
 *  MECDNS_CRASH_SEED the seed (default: from the clock; always printed, so
 *  a failing run can be replayed: the seed fixes the requests and the kill
 *  delays, thread scheduling still varies).
 *
 *  A DNS prober thread asks the generation probe every 20 ms all along and
 *  records the slowest answer and the timeouts ("module stall" watch); the
 *  time from the kill until the module answers the final generation is
 *  recorded too. These are figures, never assertions.
 */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
#define IFACE   "org.mecdns.syncd.events"
#define MP1     "/mec_app_support/v1/applications"
#define MM5     "/mep/config"
#define RRECORD "/mep/dns_server_mgmt/v1/rrecord"
#define SUFFIX  "crash.test"

/*! Writer threads. */
#define WRITERS 4
/*! Rules and A sets of each writer. */
#define RULES_PER_WRITER  6
#define RRSETS_PER_WRITER 4
#define PER_WRITER        (RULES_PER_WRITER + RRSETS_PER_WRITER)
#define RESOURCES         (WRITERS * PER_WRITER)
/*! Most records in a set. */
#define MAX_ADDRS 3
/*! Address text length (IPv4 only). */
#define ADDR_LEN 16
/*! The kill comes this many milliseconds after the writers start. */
#define KILL_MIN_MS 50
#define KILL_MAX_MS 1500
/*! In one cycle of RESTART_KILL_ONE_IN a first restart is killed too,
 *  0..RESTART_KILL_MAX_MS after it was spawned (while it opens the
 *  database, starts listening, drains the outbox). */
#define RESTART_KILL_ONE_IN 4
#define RESTART_KILL_MAX_MS 100
/*! Deadline for "eventually" (syncd listens, the module catches up, every
 *  signal arrives): never reached by a correct system. */
#define EVENTUALLY_MS 15000
/*! mod-mecdns refresh-interval. */
#define REFRESH_MS 50
/*! Prober: a query every PROBE_EVERY_MS, given up after PROBE_TIMEOUT_MS. */
#define PROBE_EVERY_MS   20
#define PROBE_TIMEOUT_MS 5000
/*! Default number of cycles (CI). */
#define DEFAULT_CYCLES 3

/*** What the test knows about each resource. ***/

/*! A committed state of a resource. */
typedef struct {
	bool exists;
	bool active;       /*!< Rule: state ACTIVE. */
	uint64_t version;  /*!< Rule: its ETag. */
	char ip[ADDR_LEN]; /*!< Rule: its address. */
	size_t naddrs;     /*!< Set: its records. */
	char addrs[MAX_ADDRS][ADDR_LEN];
} res_state_t;

typedef struct {
	bool rule;         /*!< A DNS rule; else the A set of name. */
	char app[16];      /*!< Rule: appInstanceId (one per writer). */
	char id[16];       /*!< Rule: dnsRuleId. */
	char name[64];     /*!< Canonical domain or owner name. */
	res_state_t state; /*!< As committed (known exactly between cycles). */
	/*! Every committed change, in order: 'A'/'I'/'D' (rule ACTIVE,
	 *  INACTIVE, DELETED) or '0'..'3' (records in the set). */
	char *history;
	char *history_acked; /*!< 'y' if the change got a 2xx, 'n' if settled. */
	size_t history_len;
	size_t history_cap;
} resource_t;

/*! A request and the states it leaves its resources in. */
typedef struct {
	char method[8];
	char path[256];
	char *body;
	char *if_match;
	int expect_status;
	size_t count;
	int res[PER_WRITER];
	res_state_t after[PER_WRITER];
} op_t;

typedef struct {
	int index;
	pthread_t thread;
	uint64_t rng;
	int port;             /*!< syncd's port this cycle. */
	size_t requests;      /*!< Sent this cycle. */
	size_t acked;         /*!< ... answered 2xx. */
	size_t acked_changes; /*!< ... their changes. */
	bool pending;         /*!< The last request has an unknown outcome. */
	bool in_flight;       /*!< ... and it was sent (the connection was up). */
	op_t op;              /*!< That request. */
	char error[1024];     /*!< An unexpected answer (the writer stopped). */
} writer_t;

/*** Components and run state. ***/

typedef struct {
	harness_proc_t proc;
	char *db;
	char *log;
	int port;
} syncd_t;

static char *dir;
static harness_dbus_t bus;
static syncd_t syncd;
static knotd_t knotd;
static bool knotd_running;
static harness_dbus_listener_t *listener;

static resource_t resources[RESOURCES];
static writer_t writers[WRITERS];
static atomic_bool stop_writers;
static atomic_uint_fast32_t next_address;

static pthread_t prober;
static atomic_bool prober_stop;
static atomic_llong probe_max_ms;    /*!< Slowest probe answer this cycle. */
static atomic_size_t probe_timeouts; /*!< Probes without answer this cycle. */

/*** Helpers. ***/

/*! \brief splitmix64: the test's deterministic random numbers. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*! \brief A random number in [0, n). */
static unsigned rng_below(uint64_t *state, unsigned n)
{
	return (unsigned)(rng_next(state) % n);
}

/*! \brief A never used address (10.0.0.0/8, 16M of them). */
static void new_address(char out[ADDR_LEN])
{
	uint32_t n = (uint32_t)atomic_fetch_add(&next_address, 1);
	snprintf(out, ADDR_LEN, "10.%u.%u.%u", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

static void print_totals(void);

/*! \brief Prints the logs and, during a run, the totals so far. */
static void dump_state(void)
{
	print_totals();
	if (syncd.proc.log_path[0] != '\0') {
		harness_dump_log(&syncd.proc);
	}
	if (knotd_running) {
		knotd_dump_log(&knotd);
	}
}

/*! ck_assert_msg() that dumps the components' logs before failing. */
#define expect(cond, ...) HARNESS_EXPECT(dump_state, cond, __VA_ARGS__)

/*! Problems found in a cycle: counted, the first one kept for the failure. */
typedef struct {
	size_t count;
	char first[1024];
} problems_t;

static void problem(problems_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(problems_t *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "crash: problem: %s\n", line);
	if (p->count++ == 0) {
		snprintf(p->first, sizeof(p->first), "%s", line);
	}
}

/*** Resources. ***/

static void resources_init(void)
{
	for (int w = 0; w < WRITERS; w++) {
		for (int i = 0; i < PER_WRITER; i++) {
			resource_t *r = &resources[w * PER_WRITER + i];
			memset(r, 0, sizeof(*r));
			r->rule = i < RULES_PER_WRITER;
			if (r->rule) {
				snprintf(r->app, sizeof(r->app), "crash-w%d", w);
				snprintf(r->id, sizeof(r->id), "r%d", i);
				snprintf(r->name, sizeof(r->name), "w%d-r%d." SUFFIX ".", w, i);
			} else {
				snprintf(r->name, sizeof(r->name), "w%d-s%d." SUFFIX ".", w,
				         i - RULES_PER_WRITER);
			}
		}
	}
}

static void resources_free(void)
{
	for (int i = 0; i < RESOURCES; i++) {
		free(resources[i].history);
		free(resources[i].history_acked);
	}
}

/*! \brief The change a state stands for in a history ('A', '2', ...). */
static char state_token(const resource_t *r, const res_state_t *s)
{
	if (r->rule) {
		return !s->exists ? 'D' : s->active ? 'A' : 'I';
	}
	return (char)('0' + (s->exists ? s->naddrs : 0));
}

/*! \brief Records a committed change of a resource. */
static void resource_commit(resource_t *r, const res_state_t *after, bool acked)
{
	if (r->history_len + 1 >= r->history_cap) {
		r->history_cap = r->history_cap == 0 ? 64 : 2 * r->history_cap;
		r->history = realloc(r->history, r->history_cap);
		r->history_acked = realloc(r->history_acked, r->history_cap);
		ck_assert_ptr_nonnull(r->history);
		ck_assert_ptr_nonnull(r->history_acked);
	}
	r->history[r->history_len] = state_token(r, after);
	r->history_acked[r->history_len] = acked ? 'y' : 'n';
	r->history_len++;
	r->history[r->history_len] = '\0';
	r->history_acked[r->history_len] = '\0';
	r->state = *after;
}

/*! \brief Index of the resource a change log row is about, or -1. */
static int resource_of_change(const mecdns_change_t *change)
{
	int w = -1, i = -1;
	char tail[64] = "";
	if (change->kind == MECDNS_CHANGE_RULE) {
		if (sscanf(change->app_instance_id, "crash-w%d", &w) != 1 ||
		    sscanf(change->dns_rule_id, "r%d", &i) != 1 || w < 0 || w >= WRITERS || i < 0 ||
		    i >= RULES_PER_WRITER) {
			return -1;
		}
		return w * PER_WRITER + i;
	}
	if (sscanf(change->owner, "w%d-s%d.%63s", &w, &i, tail) != 3 ||
	    strcmp(tail, SUFFIX ".") != 0 || strcmp(change->zone, ".") != 0 ||
	    strcmp(change->rrtype, "A") != 0 || w < 0 || w >= WRITERS || i < 0 ||
	    i >= RRSETS_PER_WRITER) {
		return -1;
	}
	return w * PER_WRITER + RULES_PER_WRITER + i;
}

/*** Requests (writer threads). ***/

static void op_clear(op_t *op)
{
	free(op->body);
	free(op->if_match);
	memset(op, 0, sizeof(*op));
}

/*! \brief Adds a resource and its state after the request to op. */
static res_state_t *op_affect(op_t *op, int res)
{
	op->res[op->count] = res;
	op->after[op->count] = resources[res].state;
	return &op->after[op->count++];
}

/*! \brief "[\"a\",\"b\"]" of a set's addresses (malloc'd). */
static char *addrs_json(const res_state_t *s)
{
	char buf[MAX_ADDRS * (ADDR_LEN + 3) + 3] = "[";
	for (size_t i = 0; s->exists && i < s->naddrs; i++) {
		strcat(buf, i > 0 ? ",\"" : "\"");
		strcat(buf, s->addrs[i]);
		strcat(buf, "\"");
	}
	strcat(buf, "]");
	return harness_strdupf("%s", buf);
}

/*! \brief One record object of the rrecord API for set r in state s. */
static char *record_json(const resource_t *r, const res_state_t *s)
{
	char *rdata = addrs_json(s);
	char *json = harness_strdupf("{\"name\":\"%s\",\"type\":\"A\",\"class\":\"IN\","
	                             "\"ttl\":30,\"rData\":%s}",
	                             r->name, rdata);
	free(rdata);
	return json;
}

/*! \brief New contents for a set: 1..MAX_ADDRS new addresses. */
static void new_set(writer_t *w, res_state_t *s)
{
	s->exists = true;
	s->naddrs = 1 + rng_below(&w->rng, MAX_ADDRS);
	for (size_t i = 0; i < s->naddrs; i++) {
		new_address(s->addrs[i]);
	}
}

/*! \brief The domainName of a rule as sent (no trailing dot). */
static void rule_domain(const resource_t *r, char *out, size_t len)
{
	snprintf(out, len, "%.*s", (int)strlen(r->name) - 1, r->name);
}

static void build_rule_op(writer_t *w, int res, op_t *op)
{
	resource_t *r = &resources[res];
	char domain[64];
	rule_domain(r, domain, sizeof(domain));
	res_state_t *after = op_affect(op, res);
	if (!r->state.exists) {
		/* Mm5 POST: a new rule, ACTIVE or INACTIVE. */
		after->exists = true;
		after->active = rng_below(&w->rng, 4) != 0;
		after->version = 1;
		new_address(after->ip);
		strcpy(op->method, "POST");
		snprintf(op->path, sizeof(op->path), MM5 "/%s/dns_rules", r->app);
		op->body = harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\","
		                           "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"%s\","
		                           "\"ttl\":30,\"state\":\"%s\"}",
		                           r->id, domain, after->ip,
		                           after->active ? "ACTIVE" : "INACTIVE");
		op->expect_status = 201;
		return;
	}
	unsigned pick = rng_below(&w->rng, 100);
	if (pick < 75) {
		/* A new address and state: Mm5 partial PUT or Mp1 PUT. */
		after->active = rng_below(&w->rng, 2) != 0;
		after->version = r->state.version + 1;
		new_address(after->ip);
		strcpy(op->method, "PUT");
		const char *state = after->active ? "ACTIVE" : "INACTIVE";
		if (pick < 38) {
			snprintf(op->path, sizeof(op->path), MM5 "/%s/dns_rules/%s", r->app, r->id);
			op->body = harness_strdupf("{\"state\":\"%s\",\"ipAddress\":\"%s\"}", state,
			                           after->ip);
		} else {
			snprintf(op->path, sizeof(op->path), MP1 "/%s/dns_rules/%s", r->app, r->id);
			op->body = harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\","
			                           "\"ipAddressType\":\"IP_V4\","
			                           "\"ipAddress\":\"%s\",\"ttl\":30,"
			                           "\"state\":\"%s\"}",
			                           r->id, domain, after->ip, state);
			op->if_match =
			    harness_strdupf("If-Match: \"%" PRIu64 "\"", r->state.version);
		}
		op->expect_status = 200;
	} else if (pick < 97) {
		/* Mm5 DELETE of the rule. */
		memset(after, 0, sizeof(*after));
		strcpy(op->method, "DELETE");
		snprintf(op->path, sizeof(op->path), MM5 "/%s/dns_rules/%s", r->app, r->id);
		op->expect_status = 204;
	} else {
		/* Mm5 DELETE of every rule of the app, in one generation. */
		op->count = 0;
		for (int i = 0; i < RULES_PER_WRITER; i++) {
			int other = w->index * PER_WRITER + i;
			if (resources[other].state.exists) {
				memset(op_affect(op, other), 0, sizeof(res_state_t));
			}
		}
		strcpy(op->method, "DELETE");
		snprintf(op->path, sizeof(op->path), MM5 "/%s/dns_rules", r->app);
		op->expect_status = 204;
	}
}

static void build_rrset_op(writer_t *w, int res, op_t *op)
{
	resource_t *r = &resources[res];
	unsigned pick = rng_below(&w->rng, 100);
	op->expect_status = 200;
	if (r->state.exists && pick < 20) {
		memset(op_affect(op, res), 0, sizeof(res_state_t));
		strcpy(op->method, "DELETE");
		snprintf(op->path, sizeof(op->path), RRECORD "/%s/A?zone=.", r->name);
	} else if (r->state.exists && r->state.naddrs < MAX_ADDRS && pick < 40) {
		/* POST adds one record to the set. */
		res_state_t *after = op_affect(op, res);
		new_address(after->addrs[after->naddrs++]);
		res_state_t one = { .exists = true, .naddrs = 1 };
		strcpy(one.addrs[0], after->addrs[after->naddrs - 1]);
		strcpy(op->method, "POST");
		snprintf(op->path, sizeof(op->path), RRECORD "?zone=.");
		op->body = record_json(r, &one);
	} else if (pick < 70) {
		/* PUT of this one set. */
		res_state_t *after = op_affect(op, res);
		new_set(w, after);
		strcpy(op->method, "PUT");
		snprintf(op->path, sizeof(op->path), RRECORD "/%s/A?zone=.", r->name);
		op->body = record_json(r, after);
	} else {
		/* Bulk PUT of this set and maybe another (an empty rData deletes
		 * an existing one), all in one generation. */
		new_set(w, op_affect(op, res));
		int other = w->index * PER_WRITER + RULES_PER_WRITER +
		            (int)rng_below(&w->rng, RRSETS_PER_WRITER);
		if (other != res && rng_below(&w->rng, 2) == 0) {
			res_state_t *after = op_affect(op, other);
			if (after->exists && rng_below(&w->rng, 2) == 0) {
				memset(after, 0, sizeof(*after));
			} else {
				new_set(w, after);
			}
		}
		char *rr = NULL;
		for (size_t i = 0; i < op->count; i++) {
			char *one = record_json(&resources[op->res[i]], &op->after[i]);
			char *joined = harness_strdupf("%s%s%s", rr != NULL ? rr : "",
			                               rr != NULL ? "," : "", one);
			free(one);
			free(rr);
			rr = joined;
		}
		strcpy(op->method, "PUT");
		snprintf(op->path, sizeof(op->path), RRECORD);
		op->body = harness_strdupf("[{\"zone\":\".\",\"rr\":[%s]}]", rr);
		free(rr);
	}
}

/*! \brief Checks the ETag of a rule answer; false with w->error set. */
static bool check_etag(writer_t *w, const op_t *op, const http_response_t *resp)
{
	if (op->count != 1 || !resources[op->res[0]].rule || !op->after[0].exists) {
		return true;
	}
	char *etag = http_header(resp, "ETag");
	char want[32];
	snprintf(want, sizeof(want), "\"%" PRIu64 "\"", op->after[0].version);
	bool ok = etag != NULL && strcmp(etag, want) == 0;
	if (!ok) {
		snprintf(w->error, sizeof(w->error), "%s %s: ETag %s, expected %s", op->method,
		         op->path, etag != NULL ? etag : "(none)", want);
	}
	free(etag);
	return ok;
}

/*!
 * \brief Sends one request and books its outcome.
 *
 * \return true to go on; false when the request had no answer (pending) or
 *         an unexpected one (w->error).
 */
static bool writer_send(writer_t *w, op_t *op)
{
	const char *headers[] = { "Content-Type: application/json", op->if_match, NULL };
	http_response_t resp;
	w->requests++;
	int ret = http_request(ADDR, w->port, op->method, op->path, headers, op->body,
	                       op->body != NULL ? strlen(op->body) : 0, &resp);
	if (ret != 0 || resp.status < 0) {
		/* No answer: syncd died before, during or after the request. */
		http_response_free(&resp);
		w->pending = true;
		w->in_flight = ret != -ECONNREFUSED;
		return false;
	}
	bool ok = resp.status == op->expect_status;
	if (!ok) {
		snprintf(w->error, sizeof(w->error), "%s %s %s: %d (expected %d): %s", op->method,
		         op->path, op->body != NULL ? op->body : "", resp.status, op->expect_status,
		         resp.body);
	} else {
		ok = check_etag(w, op, &resp);
	}
	http_response_free(&resp);
	if (ok) {
		w->acked++;
		w->acked_changes += op->count;
		for (size_t i = 0; i < op->count; i++) {
			resource_commit(&resources[op->res[i]], &op->after[i], true);
		}
	}
	return ok;
}

static void *writer_main(void *arg)
{
	writer_t *w = arg;
	while (!atomic_load(&stop_writers)) {
		int res = w->index * PER_WRITER + (int)rng_below(&w->rng, PER_WRITER);
		op_t *op = &w->op;
		op_clear(op);
		if (resources[res].rule) {
			build_rule_op(w, res, op);
		} else {
			build_rrset_op(w, res, op);
		}
		if (!writer_send(w, op)) {
			return NULL;
		}
	}
	op_clear(&w->op);
	return NULL;
}

/*** Generation prober (a thread). ***/

static void *prober_main(void *arg)
{
	(void)arg;
	dns_opts_t opts = { .qclass = KNOT_CLASS_CH, .timeout_ms = PROBE_TIMEOUT_MS };
	while (!atomic_load(&prober_stop)) {
		long long start = harness_now_ms();
		knot_pkt_t *answer =
		    dns_query(knotd.port, "generation.mecdns.", KNOT_RRTYPE_TXT, &opts);
		long long took = harness_now_ms() - start;
		if (answer == NULL) {
			atomic_fetch_add(&probe_timeouts, 1);
		}
		knot_pkt_free(answer);
		long long max = atomic_load(&probe_max_ms);
		while (took > max && !atomic_compare_exchange_weak(&probe_max_ms, &max, took)) {
		}
		harness_sleep_ms(PROBE_EVERY_MS);
	}
	return NULL;
}

/*** Components. ***/

static void syncd_args(const char **args)
{
	const char *list[] = { "--database",  syncd.db, "--dbus", bus.address,
		               "--knot-dbus", "none",   NULL };
	memcpy(args, list, sizeof(list));
}

static void syncd_start(void)
{
	const char *args[7];
	syncd_args(args);
	expect(harness_syncd_start(&syncd.proc, ADDR, &syncd.port, args, NULL, syncd.log,
	                           EVENTUALLY_MS) == 0,
	       "mecdns-syncd did not start listening on " ADDR ":%d", syncd.port);
}

/*! \brief SIGKILL to syncd; waits until it is gone. */
static void syncd_kill(void)
{
	expect(harness_signal(&syncd.proc, SIGKILL) == 0, "cannot kill mecdns-syncd");
	int status = harness_wait_exit(&syncd.proc, EVENTUALLY_MS);
	expect(status == 128 + SIGKILL, "mecdns-syncd: exit status %d after SIGKILL", status);
}

/*! \brief Starts syncd and kills it after ms milliseconds, whatever it is
 *         doing by then (opening the database, draining the outbox). */
static void syncd_start_and_kill(int ms)
{
	const char *args[7];
	syncd_args(args);
	int port = harness_free_port(ADDR);
	expect(port > 0, "no free port for mecdns-syncd");
	char *listen = harness_strdupf(ADDR ":%d", port);
	expect(harness_syncd_spawn(&syncd.proc, listen, args, NULL, syncd.log) == 0,
	       "mecdns-syncd could not be started");
	free(listen);
	harness_sleep_ms(ms);
	syncd_kill();
}

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	memset(&syncd, 0, sizeof(syncd));
	memset(&knotd, 0, sizeof(knotd));
	knotd_running = false;
	listener = NULL;
	dir = harness_tmpdir("crash");
	ck_assert_ptr_nonnull(dir);
	harness_cleanup_dir(dir);
	syncd.db = harness_strdupf("%s/mecdns.db", dir);
	syncd.log = harness_strdupf("%s/syncd.log", dir);

	ck_assert_int_eq(harness_dbus_start(&bus, NULL), 0);
	harness_cleanup_dir(bus.dir);
	listener = harness_dbus_listen(bus.address, IFACE);
	ck_assert_ptr_nonnull(listener);
	/* syncd first: it creates the database the module opens. */
	syncd_start();
	knotd_config_t config = {
		.tag = "crash",
		.database = syncd.db,
		.global_module = true,
		.refresh_interval_ms = REFRESH_MS,
	};
	if (knotd_start(&knotd, &config) != 0) {
		harness_dump_log(&syncd.proc);
		ck_abort_msg("knotd with mod-mecdns did not start");
	}
	knotd_running = true;
	expect(harness_dbus_wait_owner(listener, NAME, EVENTUALLY_MS),
	       "mecdns-syncd did not take %s on the private bus", NAME);
	atomic_store(&prober_stop, false);
	ck_assert_int_eq(pthread_create(&prober, NULL, prober_main, NULL), 0);
}

static void teardown(void)
{
	atomic_store(&prober_stop, true);
	pthread_join(prober, NULL);
	if (listener != NULL) {
		harness_dbus_listener_free(listener);
		listener = NULL;
	}
	if (knotd_running) {
		knotd_stop(&knotd);
		knotd_running = false;
	}
	int status = harness_syncd_stop(&syncd.proc, 10000);
	harness_dbus_free(&bus);
	harness_rmtree(dir);
	free(dir);
	free(syncd.db);
	free(syncd.log);
	memset(&syncd, 0, sizeof(syncd));
	ck_assert_msg(status == 0, "mecdns-syncd exited with %d on SIGTERM", status);
}

/*** Signals received. ***/

/*! A set of strings with a count each (open addressing, FNV-1a). */
typedef struct {
	char **keys;
	size_t *counts;
	size_t cap;
	size_t used;
} keyset_t;

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s != '\0'; s++) {
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	}
	return h;
}

static size_t keyset_slot(const keyset_t *set, const char *key)
{
	size_t i = (size_t)fnv1a(key) & (set->cap - 1);
	while (set->keys[i] != NULL && strcmp(set->keys[i], key) != 0) {
		i = (i + 1) & (set->cap - 1);
	}
	return i;
}

/*! \brief How often key was added (0: never). */
static size_t keyset_count(const keyset_t *set, const char *key)
{
	if (set->cap == 0) {
		return 0;
	}
	size_t i = keyset_slot(set, key);
	return set->keys[i] != NULL ? set->counts[i] : 0;
}

/*! \brief Adds key once more; returns its new count. */
static size_t keyset_add(keyset_t *set, const char *key)
{
	if (2 * (set->used + 1) > set->cap) {
		keyset_t bigger = { .cap = set->cap == 0 ? 1024 : 2 * set->cap };
		bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
		bigger.counts = calloc(bigger.cap, sizeof(*bigger.counts));
		ck_assert(bigger.keys != NULL && bigger.counts != NULL);
		for (size_t i = 0; i < set->cap; i++) {
			if (set->keys[i] != NULL) {
				size_t slot = keyset_slot(&bigger, set->keys[i]);
				bigger.keys[slot] = set->keys[i];
				bigger.counts[slot] = set->counts[i];
			}
		}
		bigger.used = set->used;
		free(set->keys);
		free(set->counts);
		*set = bigger;
	}
	size_t i = keyset_slot(set, key);
	if (set->keys[i] == NULL) {
		set->keys[i] = harness_strdupf("%s", key);
		set->used++;
	}
	return ++set->counts[i];
}

static void keyset_free(keyset_t *set)
{
	for (size_t i = 0; i < set->cap; i++) {
		free(set->keys[i]);
	}
	free(set->keys);
	free(set->counts);
	memset(set, 0, sizeof(*set));
}

static keyset_t signals_seen;
static size_t signals_duplicates;       /*!< Arrivals of an already seen signal. */
static size_t signals_order_violations; /*!< First arrivals below an earlier one. */
static uint64_t signals_max_generation; /*!< Highest generation arrived first. */
static size_t signals_foreign;          /*!< Change signals with bad arguments. */

/*! \brief Moves what the listener collected into signals_seen. */
static void signals_take(void)
{
	for (size_t i = 0; i < harness_dbus_count(listener); i++) {
		const harness_dbus_signal_t *sig = harness_dbus_signal(listener, i);
		char kind;
		if (strcmp(sig->member, "rule_changed") == 0) {
			kind = 'R';
		} else if (strcmp(sig->member, "rrset_changed") == 0) {
			kind = 'S';
		} else {
			continue;
		}
		if (sig->argc != 6u) {
			fprintf(stderr, "crash: signal with %zu arguments: %s\n", sig->argc,
			        sig->text);
			signals_foreign++;
			continue;
		}
		char *key = harness_strdupf("%s|%c|%s|%s|%s|%s", sig->args[4], kind, sig->args[0],
		                            sig->args[1], sig->args[2], sig->args[3]);
		uint64_t generation = strtoull(sig->args[4], NULL, 10);
		if (keyset_add(&signals_seen, key) > 1) {
			signals_duplicates++;
		} else {
			if (generation < signals_max_generation) {
				fprintf(stderr, "crash: %s arrived after generation %" PRIu64 "\n",
				        sig->text, signals_max_generation);
				signals_order_violations++;
			}
			if (generation > signals_max_generation) {
				signals_max_generation = generation;
			}
		}
		free(key);
	}
	harness_dbus_clear(listener);
}

/*! \brief Reads the bus for up to ms milliseconds. */
static void signals_pump(int ms)
{
	harness_dbus_wait(listener, harness_dbus_count(listener) + 1000000, ms);
	signals_take();
}

/*** Database. ***/

static mecdns_store_t *store_open(void)
{
	mecdns_store_t *store = NULL;
	char err[512] = "";
	expect(mecdns_store_open(syncd.db, &store, err, sizeof(err)) == MECDNS_STORE_OK,
	       "store open: %s", err);
	return store;
}

static uint64_t db_generation(void)
{
	mecdns_store_t *store = store_open();
	uint64_t gen = 0;
	expect(mecdns_store_state(store, &gen, NULL, NULL) == MECDNS_STORE_OK,
	       "cannot read the database generation");
	mecdns_store_close(store);
	return gen;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*! \brief A resource as the database has it. */
static void db_read(mecdns_store_t *store, const resource_t *r, res_state_t *out)
{
	memset(out, 0, sizeof(*out));
	mecdns_store_status_t status;
	if (r->rule) {
		mecdns_rule_t rule;
		memset(&rule, 0, sizeof(rule));
		status = mecdns_store_rule_get(store, r->app, r->id, &rule, NULL);
		if (status == MECDNS_STORE_OK) {
			out->exists = true;
			out->active = rule.active;
			out->version = rule.version;
			snprintf(out->ip, sizeof(out->ip), "%s", rule.ip_address);
			mecdns_rule_clear(&rule);
		}
	} else {
		mecdns_rrset_t set;
		memset(&set, 0, sizeof(set));
		status =
		    mecdns_store_rrset_get(store, ".", r->name, KNOT_RRTYPE_A, NULL, &set, NULL);
		if (status == MECDNS_STORE_OK) {
			out->exists = true;
			out->naddrs = set.rdata_count < MAX_ADDRS ? set.rdata_count : MAX_ADDRS;
			for (size_t i = 0; i < out->naddrs; i++) {
				snprintf(out->addrs[i], ADDR_LEN, "%s", set.rdata[i].text);
			}
			if (set.rdata_count > MAX_ADDRS) {
				out->naddrs = MAX_ADDRS + 1; /* Never equal to a known set. */
			}
			mecdns_rrset_clear(&set);
		}
	}
	expect(status == MECDNS_STORE_OK || status == MECDNS_STORE_NOT_FOUND,
	       "reading %s from the database: %s", r->name, mecdns_store_strerror(status));
}

static bool same_state(const resource_t *r, const res_state_t *a, const res_state_t *b)
{
	if (a->exists != b->exists) {
		return false;
	}
	if (!a->exists) {
		return true;
	}
	if (r->rule) {
		return a->active == b->active && a->version == b->version &&
		       strcmp(a->ip, b->ip) == 0;
	}
	if (a->naddrs != b->naddrs || a->naddrs > MAX_ADDRS) {
		return false;
	}
	const char *x[MAX_ADDRS], *y[MAX_ADDRS];
	for (size_t i = 0; i < a->naddrs; i++) {
		x[i] = a->addrs[i];
		y[i] = b->addrs[i];
	}
	qsort(x, a->naddrs, sizeof(*x), compare_strings);
	qsort(y, b->naddrs, sizeof(*y), compare_strings);
	for (size_t i = 0; i < a->naddrs; i++) {
		if (strcmp(x[i], y[i]) != 0) {
			return false;
		}
	}
	return true;
}

static void state_text(const resource_t *r, const res_state_t *s, char *out, size_t len)
{
	if (!s->exists) {
		snprintf(out, len, "absent");
	} else if (r->rule) {
		snprintf(out, len, "%s %s version %" PRIu64, s->active ? "ACTIVE" : "INACTIVE",
		         s->ip, s->version);
	} else {
		snprintf(out, len, "%zu records: %s %s %s", s->naddrs, s->addrs[0],
		         s->naddrs > 1 ? s->addrs[1] : "", s->naddrs > 2 ? s->addrs[2] : "");
	}
}

/*!
 * \brief Settles a request without answer from the database: it committed
 *        entirely (its changes are booked, not acked) or not at all.
 *
 * \return 1 committed, 0 not committed, -1 half-applied or unexplained.
 */
static int settle(mecdns_store_t *store, const op_t *op, problems_t *problems)
{
	size_t committed = 0, untouched = 0;
	for (size_t i = 0; i < op->count; i++) {
		const resource_t *r = &resources[op->res[i]];
		res_state_t now;
		db_read(store, r, &now);
		if (same_state(r, &now, &op->after[i])) {
			committed++;
		} else if (same_state(r, &now, &r->state)) {
			untouched++;
		} else {
			char have[128], before[128], after[128];
			state_text(r, &now, have, sizeof(have));
			state_text(r, &r->state, before, sizeof(before));
			state_text(r, &op->after[i], after, sizeof(after));
			problem(problems,
			        "%s after %s %s without answer: %s; neither before "
			        "(%s) nor after (%s)",
			        r->name, op->method, op->path, have, before, after);
			return -1;
		}
	}
	if (committed == op->count) {
		for (size_t i = 0; i < op->count; i++) {
			resource_commit(&resources[op->res[i]], &op->after[i], false);
		}
		return 1;
	}
	if (untouched == op->count) {
		return 0;
	}
	problem(problems, "%s %s (no answer) is half-applied: %zu of %zu changes committed",
	        op->method, op->path, committed, op->count);
	return -1;
}

/*! Change log as read back, per resource. */
typedef struct {
	char *history[RESOURCES];
	size_t len[RESOURCES];
	size_t cap[RESOURCES];
	char **keys; /*!< Signal key of every row. */
	size_t nkeys;
	size_t capkeys;
	size_t foreign; /*!< Rows about no resource of the test. */
} changelog_t;

static bool changelog_row(const mecdns_change_t *change, void *ctx)
{
	changelog_t *log = ctx;
	char *key;
	char token;
	if (change->kind == MECDNS_CHANGE_RULE) {
		key = harness_strdupf("%" PRIu64 "|R|%s|%s|%s|%s", change->generation,
		                      change->app_instance_id, change->dns_rule_id,
		                      change->domain_name, change->state);
		token = change->state[0];
	} else {
		key = harness_strdupf("%" PRIu64 "|S|%s|%s|%s|%" PRIu32, change->generation,
		                      change->zone, change->owner, change->rrtype,
		                      change->rdata_count);
		token = (char)('0' + (change->rdata_count <= 9 ? change->rdata_count : 9));
	}
	if (log->nkeys == log->capkeys) {
		log->capkeys = log->capkeys == 0 ? 1024 : 2 * log->capkeys;
		log->keys = realloc(log->keys, log->capkeys * sizeof(*log->keys));
		ck_assert_ptr_nonnull(log->keys);
	}
	log->keys[log->nkeys++] = key;
	int res = resource_of_change(change);
	if (res < 0) {
		fprintf(stderr, "crash: change log row of no test resource: %s\n", key);
		log->foreign++;
		return true;
	}
	if (log->len[res] + 1 >= log->cap[res]) {
		log->cap[res] = log->cap[res] == 0 ? 64 : 2 * log->cap[res];
		log->history[res] = realloc(log->history[res], log->cap[res]);
		ck_assert_ptr_nonnull(log->history[res]);
	}
	log->history[res][log->len[res]++] = token;
	log->history[res][log->len[res]] = '\0';
	return true;
}

static void changelog_free(changelog_t *log)
{
	for (size_t i = 0; i < RESOURCES; i++) {
		free(log->history[i]);
	}
	for (size_t i = 0; i < log->nkeys; i++) {
		free(log->keys[i]);
	}
	free(log->keys);
	memset(log, 0, sizeof(*log));
}

/*!
 * \brief Compares the database with what the test knows: every resource's
 *        state, and its change history in the change log.
 *
 * \return The number of acknowledged changes the database does not have.
 */
static size_t check_database(mecdns_store_t *store, changelog_t *log, problems_t *problems)
{
	expect(mecdns_store_changes(store, 0, 0, changelog_row, log) == MECDNS_STORE_OK,
	       "cannot read the change log");
	if (log->foreign > 0) {
		problem(problems, "%zu change log rows of no resource of the test", log->foreign);
	}
	size_t lost = 0;
	for (int i = 0; i < RESOURCES; i++) {
		const resource_t *r = &resources[i];
		res_state_t now;
		db_read(store, r, &now);
		const char *have = log->history[i] != NULL ? log->history[i] : "";
		const char *want = r->history != NULL ? r->history : "";
		size_t mismatch = 0;
		while (have[mismatch] != '\0' && have[mismatch] == want[mismatch]) {
			mismatch++;
		}
		size_t lost_here = 0;
		for (size_t k = mismatch; k < r->history_len; k++) {
			lost_here += r->history_acked[k] == 'y';
		}
		if (have[mismatch] != '\0' || want[mismatch] != '\0') {
			problem(problems,
			        "%s: change log has changes \"%s\", expected \"%s\" "
			        "(acked: \"%s\")",
			        r->name, have, want,
			        r->history_acked != NULL ? r->history_acked : "");
		}
		if (!same_state(r, &now, &r->state)) {
			char is[128], should[128];
			state_text(r, &now, is, sizeof(is));
			state_text(r, &r->state, should, sizeof(should));
			problem(problems, "%s: the database has %s, expected %s", r->name, is,
			        should);
			lost_here = lost_here > 0 ? lost_here : 1;
		}
		lost += lost_here;
	}
	return lost;
}

/*** DNS. ***/

/*! \brief The module's loaded generation (0 when there is no answer). */
static uint64_t module_generation(void)
{
	dns_opts_t opts = { .qclass = KNOT_CLASS_CH };
	knot_pkt_t *answer = dns_query(knotd.port, "generation.mecdns.", KNOT_RRTYPE_TXT, &opts);
	char *strings[1] = { NULL };
	size_t n = answer != NULL ? dns_txt_strings(answer, strings, 1) : 0;
	knot_pkt_free(answer);
	uint64_t gen = n == 1 ? strtoull(strings[0], NULL, 10) : 0;
	free(strings[0]);
	return gen;
}

/*! \brief Waits until the module answers generation gen; the milliseconds
 *         that took from since_ms, or -1 if it never did. */
static long long wait_module_generation(uint64_t gen, long long since_ms)
{
	long long deadline = harness_now_ms() + EVENTUALLY_MS;
	while (module_generation() != gen) {
		if (harness_now_ms() > deadline) {
			return -1;
		}
		harness_sleep_ms(5);
	}
	return harness_now_ms() - since_ms;
}

/*! \brief Checks knotd's A answer of every resource's name. */
static void check_dns(problems_t *problems)
{
	for (int i = 0; i < RESOURCES; i++) {
		const resource_t *r = &resources[i];
		const res_state_t *s = &r->state;
		const char *want[MAX_ADDRS];
		size_t nwant = 0;
		if (s->exists && r->rule && s->active) {
			want[nwant++] = s->ip;
		} else if (s->exists && !r->rule) {
			for (size_t k = 0; k < s->naddrs; k++) {
				want[nwant++] = s->addrs[k];
			}
		}
		dns_opts_t opts = { .tcp = (i % 2) == 1 };
		knot_pkt_t *answer = NULL;
		/* Only a lost or late packet is asked again, never a wrong answer. */
		for (int attempt = 0; answer == NULL && attempt < 3; attempt++) {
			answer = dns_query(knotd.port, r->name, KNOT_RRTYPE_A, &opts);
		}
		bool ok = answer != NULL && dns_count(answer, KNOT_ANSWER, KNOT_RRTYPE_A) == nwant;
		for (size_t k = 0; ok && k < nwant; k++) {
			ok = dns_has_address(answer, want[k]);
		}
		if (!ok) {
			char *text = dns_pkt_text(answer);
			char should[128];
			state_text(r, s, should, sizeof(should));
			problem(problems, "knotd answers %s A (expected %s):\n%s", r->name,
			        nwant == 0 ? "no address" : should, text);
			free(text);
		}
		knot_pkt_free(answer);
	}
}

/*** The cycles. ***/

/*! Figures of one cycle, or the sums (maxima) of the run. */
typedef struct {
	int cycles;
	size_t requests, acked, acked_changes;
	size_t unknown, in_flight, unknown_committed;
	size_t lost, missing_signals, duplicate_signals;
	size_t restart_kills, probe_timeouts;
	long long catchup_ms, probe_ms; /*!< The run: the maxima. */
	int kill_ms, restart_kill_ms;   /*!< A cycle: when syncd was killed. */
} figures_t;

static figures_t totals;
static uint64_t run_seed;
static long long run_start_ms;

/*! \brief Waits until every change log row has arrived as a signal (or the
 *         deadline); returns how many have not. */
static size_t wait_signals(const changelog_t *log)
{
	long long deadline = harness_now_ms() + EVENTUALLY_MS;
	for (;;) {
		size_t missing = 0;
		for (size_t i = 0; i < log->nkeys; i++) {
			missing += keyset_count(&signals_seen, log->keys[i]) == 0;
		}
		if (missing == 0 || harness_now_ms() > deadline) {
			return missing;
		}
		signals_pump(100);
	}
}

/*! \brief Signals that match no change log row (after wait_signals()). */
static size_t phantom_signals(const changelog_t *log)
{
	size_t matched = 0;
	for (size_t i = 0; i < log->nkeys; i++) {
		matched += keyset_count(&signals_seen, log->keys[i]) > 0;
	}
	return signals_seen.used - matched;
}

/*! \brief Starts the writers, kills syncd after kill_ms, joins them. */
static void write_and_kill(int cycle, int kill_ms)
{
	atomic_store(&stop_writers, false);
	for (int w = 0; w < WRITERS; w++) {
		writer_t *wr = &writers[w];
		memset(wr, 0, sizeof(*wr));
		wr->index = w;
		wr->port = syncd.port;
		wr->rng =
		    run_seed ^ ((uint64_t)(cycle + 1) << 32) ^ ((uint64_t)(w + 1) * 0x51ed27ULL);
		ck_assert_int_eq(pthread_create(&wr->thread, NULL, writer_main, wr), 0);
	}
	long long kill_at = harness_now_ms() + kill_ms;
	for (long long left; (left = kill_at - harness_now_ms()) > 0;) {
		signals_pump(left < 50 ? (int)left : 50);
	}
	syncd_kill();
	atomic_store(&stop_writers, true);
	for (int w = 0; w < WRITERS; w++) {
		pthread_join(writers[w].thread, NULL);
	}
}

/*! \brief Books the writers' figures and settles their unknown requests. */
static void collect_writers(mecdns_store_t *store, figures_t *fig, problems_t *problems)
{
	for (int w = 0; w < WRITERS; w++) {
		writer_t *wr = &writers[w];
		fig->requests += wr->requests;
		fig->acked += wr->acked;
		fig->acked_changes += wr->acked_changes;
		if (wr->error[0] != '\0') {
			problem(problems, "writer %d: %s", w, wr->error);
		}
		if (wr->pending) {
			fig->unknown++;
			fig->in_flight += wr->in_flight;
			fig->unknown_committed += settle(store, &wr->op, problems) == 1;
		}
		op_clear(&wr->op);
	}
}

/*! \brief Waits for the signals of every change log row; checks them. */
static void check_signals(const changelog_t *log, figures_t *fig, problems_t *problems)
{
	size_t duplicates_before = signals_duplicates;
	fig->missing_signals = wait_signals(log);
	size_t phantom = phantom_signals(log);
	if (fig->missing_signals > 0) {
		problem(problems, "%zu committed changes never arrived as signals",
		        fig->missing_signals);
	}
	if (phantom > 0 || signals_foreign > 0) {
		problem(problems, "%zu signals of no committed change, %zu malformed", phantom,
		        signals_foreign);
	}
	if (signals_order_violations > 0) {
		problem(problems, "%zu signals arrived after a later generation",
		        signals_order_violations);
	}
	fig->duplicate_signals = signals_duplicates - duplicates_before;
}

static void print_figures(const figures_t *f)
{
	printf("acked=%zu acked_changes=%zu lost=%zu missing_signals=%zu duplicate_signals=%zu "
	       "unknown=%zu unknown_in_flight=%zu unknown_committed=%zu requests=%zu ",
	       f->acked, f->acked_changes, f->lost, f->missing_signals, f->duplicate_signals,
	       f->unknown, f->in_flight, f->unknown_committed, f->requests);
}

static void print_totals(void)
{
	if (run_start_ms == 0) {
		return;
	}
	long long elapsed_ms = harness_now_ms() - run_start_ms;
	printf("crash: cycles=%d ", totals.cycles);
	print_figures(&totals);
	printf("restart_kills=%zu max_module_catchup_ms=%lld max_probe_ms=%lld "
	       "probe_timeouts=%zu seed=%" PRIu64 " elapsed_s=%lld\n",
	       totals.restart_kills, totals.catchup_ms, totals.probe_ms, totals.probe_timeouts,
	       run_seed, (elapsed_ms + 500) / 1000);
	fflush(stdout);
}

static void add_to_totals(const figures_t *f)
{
	totals.cycles++;
	totals.requests += f->requests;
	totals.acked += f->acked;
	totals.acked_changes += f->acked_changes;
	totals.unknown += f->unknown;
	totals.in_flight += f->in_flight;
	totals.unknown_committed += f->unknown_committed;
	totals.lost += f->lost;
	totals.missing_signals += f->missing_signals;
	totals.duplicate_signals += f->duplicate_signals;
	totals.restart_kills += f->restart_kills;
	totals.probe_timeouts += f->probe_timeouts;
	totals.catchup_ms = f->catchup_ms > totals.catchup_ms ? f->catchup_ms : totals.catchup_ms;
	totals.probe_ms = f->probe_ms > totals.probe_ms ? f->probe_ms : totals.probe_ms;
}

/*! \brief Kills syncd under load, restarts it (once in a while killing a
 *         first restart too); returns the database generation at the kill. */
static uint64_t crash_and_restart(int cycle, figures_t *fig, problems_t *problems)
{
	uint64_t rng = run_seed ^ (0xc2b2ae3d27d4eb4fULL * (uint64_t)(cycle + 1));
	int kill_ms = KILL_MIN_MS + (int)rng_below(&rng, KILL_MAX_MS - KILL_MIN_MS + 1);
	bool kill_restart = rng_below(&rng, RESTART_KILL_ONE_IN) == 0;
	int restart_kill_ms = (int)rng_below(&rng, RESTART_KILL_MAX_MS + 1);
	fig->kill_ms = kill_ms;
	fig->restart_kill_ms = kill_restart ? restart_kill_ms : -1;

	write_and_kill(cycle, kill_ms);
	long long killed_ms = harness_now_ms();
	uint64_t generation = db_generation();
	/* The committed changes are served while syncd is dead. */
	fig->catchup_ms = wait_module_generation(generation, killed_ms);
	if (fig->catchup_ms < 0) {
		problem(problems,
		        "the module did not reach generation %" PRIu64 " (it answers %" PRIu64 ")",
		        generation, module_generation());
	}
	if (kill_restart) {
		syncd_start_and_kill(restart_kill_ms);
		fig->restart_kills++;
	}
	syncd_start();
	return generation;
}

static void run_cycle(int cycle)
{
	figures_t fig = { .cycles = 1 };
	problems_t problems = { 0 };
	atomic_store(&probe_max_ms, 0);
	atomic_store(&probe_timeouts, 0);

	uint64_t generation = crash_and_restart(cycle, &fig, &problems);
	mecdns_store_t *store = store_open();
	collect_writers(store, &fig, &problems);
	expect(db_generation() == generation,
	       "the generation moved without writes: %" PRIu64 " -> %" PRIu64, generation,
	       db_generation());
	changelog_t log;
	memset(&log, 0, sizeof(log));
	fig.lost = check_database(store, &log, &problems);
	mecdns_store_close(store);
	check_dns(&problems);
	check_signals(&log, &fig, &problems);
	changelog_free(&log);

	fig.probe_ms = atomic_load(&probe_max_ms);
	fig.probe_timeouts = atomic_load(&probe_timeouts);
	printf("crash: cycle=%d kill_after_ms=%d restart_killed_after_ms=%d ", cycle + 1,
	       fig.kill_ms, fig.restart_kill_ms);
	print_figures(&fig);
	printf("generation=%" PRIu64 " module_catchup_ms=%lld max_probe_ms=%lld "
	       "probe_timeouts=%zu\n",
	       generation, fig.catchup_ms, fig.probe_ms, fig.probe_timeouts);
	fflush(stdout);
	add_to_totals(&fig);
	expect(problems.count == 0, "cycle %d (seed %" PRIu64 "): %zu problems, the first: %s",
	       cycle + 1, run_seed, problems.count, problems.first);
}

static int env_cycles(void)
{
	const char *text = getenv("MECDNS_CRASH_CYCLES");
	int cycles = text != NULL && *text != '\0' ? atoi(text) : DEFAULT_CYCLES;
	return cycles > 0 ? cycles : DEFAULT_CYCLES;
}

static uint64_t env_seed(void)
{
	const char *text = getenv("MECDNS_CRASH_SEED");
	if (text != NULL && *text != '\0') {
		return strtoull(text, NULL, 0);
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return ((uint64_t)now.tv_sec * 1000003ULL) ^ (uint64_t)now.tv_nsec ^
	       ((uint64_t)getpid() << 40);
}

/* Issue 7: kill -9 of syncd at random moments under a concurrent write
 * load, repeated: every acknowledged change is in the database after the
 * restart, the module answers it, and it arrives as its D-Bus signal. */
START_TEST(test_kill_9_under_write_load_loses_nothing)
{
	int cycles = env_cycles();
	run_seed = env_seed();
	printf("crash: seed=%" PRIu64 " cycles=%d writers=%d (replay: MECDNS_CRASH_SEED=%" PRIu64
	       ")\n",
	       run_seed, cycles, WRITERS, run_seed);
	fflush(stdout);
	resources_init();
	atomic_store(&next_address, 1);
	memset(&totals, 0, sizeof(totals));
	run_start_ms = harness_now_ms();
	for (int cycle = 0; cycle < cycles; cycle++) {
		run_cycle(cycle);
	}
	print_totals();
	run_start_ms = 0;
	keyset_free(&signals_seen);
	resources_free();
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("crash");
	TCase *tc = tcase_create("kill_9");
	tcase_add_unchecked_fixture(tc, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(tc, setup, teardown);
	/* Generous: a cycle takes a few seconds, EVENTUALLY_MS bounds its waits. */
	tcase_set_timeout(tc, 120 + 60 * env_cycles());
	tcase_add_test(tc, test_kill_9_under_write_load_loses_nothing);
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
