/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The REPORT action of DNS contexts (issue 13, TS 29.556): the real
 *  mecdns-syncd on a private dbus-daemon, the real knotd with mod-mecdns
 *  sending its reports to syncd's report socket, and the test as the SMF,
 *  receiving DnsContextNotifications on a loopback HTTP port. A query of
 *  the UE that the reporting rule answers is signalled (dns_context_report)
 *  and POSTed to notifyUri, retried after a 503; a repeat within a second,
 *  another client's query and a rule without REPORT are not reported;
 *  reportingOnceInd reports once until resetReportingOnceInd; what is not
 *  covered is a 501 and changes nothing; garbage on the report socket
 *  changes nothing either.
 */

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libknot/libknot.h>

#include "tests/harness/dbus.h"
#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"
#include "tests/harness/problem.h"
#include "tests/harness/syncd.h"

#define ADDR          "127.0.0.1"
#define UE            "127.0.0.2"
#define CONTEXTS      "/neasdf-dnscontext/v1/dns-contexts"
#define NAME          "org.mecdns.syncd"
#define EVENTUALLY_MS 15000

/*** The SMF's notification endpoint: answers with the statuses given, in
 *   turn (then 204), and keeps the bodies. ***/

#define SMF_MAX 32

static struct {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	int statuses[SMF_MAX]; /*!< What the n-th request gets (0: 204). */
	char *bodies[SMF_MAX];
	char *targets[SMF_MAX];
	size_t count;
} smf;

static void *smf_main(void *arg)
{
	(void)arg;
	for (;;) {
		int conn = accept(smf.fd, NULL, NULL);
		if (conn < 0) {
			return NULL;
		}
		char buf[8192];
		size_t got = 0;
		const char *body = NULL;
		size_t want = 0;
		while (got < sizeof(buf) - 1) {
			ssize_t n = recv(conn, buf + got, sizeof(buf) - 1 - got, 0);
			if (n <= 0) {
				break;
			}
			got += (size_t)n;
			buf[got] = '\0';
			char *end = strstr(buf, "\r\n\r\n");
			if (end != NULL && body == NULL) {
				body = end + 4;
				const char *cl = strcasestr(buf, "Content-Length:");
				want = cl != NULL ? strtoul(cl + 15, NULL, 10) : 0;
			}
			if (body != NULL && (size_t)(buf + got - body) >= want) {
				break;
			}
		}
		buf[got] = '\0';
		char target[256] = "";
		(void)sscanf(buf, "POST %255s HTTP/1.1", target);
		pthread_mutex_lock(&smf.lock);
		int status = 204;
		if (smf.count < SMF_MAX) {
			status = smf.statuses[smf.count] != 0 ? smf.statuses[smf.count] : 204;
			smf.bodies[smf.count] = strdup(body != NULL ? body : "");
			smf.targets[smf.count] = strdup(target);
			smf.count++;
		}
		pthread_mutex_unlock(&smf.lock);
		char answer[128];
		int len = snprintf(
		    answer, sizeof(answer),
		    "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
		(void)send(conn, answer, (size_t)len, MSG_NOSIGNAL);
		close(conn);
	}
}

static void smf_start(void)
{
	memset(&smf, 0, sizeof(smf));
	pthread_mutex_init(&smf.lock, NULL);
	smf.fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(smf.fd, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	inet_pton(AF_INET, ADDR, &sin.sin_addr);
	ck_assert_int_eq(bind(smf.fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	socklen_t len = sizeof(sin);
	ck_assert_int_eq(getsockname(smf.fd, (struct sockaddr *)&sin, &len), 0);
	smf.port = ntohs(sin.sin_port);
	ck_assert_int_eq(listen(smf.fd, 16), 0);
	ck_assert_int_eq(pthread_create(&smf.thread, NULL, smf_main, NULL), 0);
}

static void smf_stop(void)
{
	shutdown(smf.fd, SHUT_RDWR);
	close(smf.fd);
	pthread_join(smf.thread, NULL);
	for (size_t i = 0; i < smf.count; i++) {
		free(smf.bodies[i]);
		free(smf.targets[i]);
	}
}

static size_t smf_count(void)
{
	pthread_mutex_lock(&smf.lock);
	size_t count = smf.count;
	pthread_mutex_unlock(&smf.lock);
	return count;
}

/*! \brief Waits until the SMF got count requests (false on timeout). */
static bool smf_wait(size_t count, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 20) {
		if (smf_count() >= count) {
			return true;
		}
		usleep(20 * 1000);
	}
	return smf_count() >= count;
}

/*** Fixture: bus, syncd, knotd. ***/

static struct {
	char *dir;
	char *db;
	char *log;
	char *socket;
	harness_dbus_t bus;
	harness_proc_t syncd;
	int port;
	knotd_t knotd;
	bool knotd_running;
	harness_dbus_listener_t *listener;
} fx;

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.dir = harness_tmpdir("reports");
	ck_assert_ptr_nonnull(fx.dir);
	harness_cleanup_dir(fx.dir);
	fx.db = harness_strdupf("%s/mecdns.db", fx.dir);
	fx.log = harness_strdupf("%s/syncd.log", fx.dir);
	fx.socket = harness_strdupf("%s/report.sock", fx.dir);
	ck_assert_int_eq(harness_dbus_start(&fx.bus, NULL), 0);
	harness_cleanup_dir(fx.bus.dir);
	smf_start();
	const char *args[] = { "--database",      fx.db,         "--dbus",
		               fx.bus.address,    "--log-level", "debug",
		               "--report-socket", fx.socket,     NULL };
	ck_assert_msg(
	    harness_syncd_start(&fx.syncd, ADDR, &fx.port, args, NULL, fx.log, EVENTUALLY_MS) == 0,
	    "mecdns-syncd did not start");
	knotd_config_t config = {
		.tag = "reports",
		.database = fx.db,
		.global_module = true,
		.refresh_interval_ms = 50,
		.report_socket = fx.socket,
	};
	ck_assert_msg(knotd_start(&fx.knotd, &config) == 0, "knotd did not start");
	fx.knotd_running = true;
	fx.listener = harness_dbus_listen(fx.bus.address, NULL);
	ck_assert_ptr_nonnull(fx.listener);
	ck_assert_msg(harness_dbus_wait_owner(fx.listener, NAME, EVENTUALLY_MS),
	              "mecdns-syncd did not take its name on the bus");
}

static void teardown(void)
{
	if (fx.listener != NULL) {
		harness_dbus_listener_free(fx.listener);
	}
	if (fx.knotd_running) {
		knotd_stop(&fx.knotd);
	}
	harness_syncd_stop(&fx.syncd, 5000);
	smf_stop();
	harness_dbus_free(&fx.bus);
	free(fx.socket);
	free(fx.db);
	free(fx.log);
	free(fx.dir);
}

static int call(const char *method, const char *path, const char *body, http_response_t *resp)
{
	const char *headers[] = { "Content-Type: application/json", NULL };
	int ret = http_request(ADDR, fx.port, method, path, headers, body,
	                       body != NULL ? strlen(body) : 0, resp);
	ck_assert_msg(ret == 0, "%s %s: no connection to mecdns-syncd (%d)", method, path, ret);
	return resp->status;
}

/*! \brief A context for the UE whose rule "7" answers app.mec.test with
 *         192.0.2.45 and reports it, rule "once" answers once.mec.test and
 *         reports it once, rule "quiet" answers quiet.mec.test unreported. */
static char *context_body(const char *notify_uri)
{
	return harness_strdupf(
	    "{\"ueIpv4Addr\":\"" UE "\",\"dnn\":\"internet\",\"sNssai\":{\"sst\":1},"
	    "\"notifyUri\":\"%s\",\"dnsRules\":{"
	    "\"7\":{\"precedence\":10,\"dnsQueryMdtList\":{\"m1\":{\"mdtId\":\"m1\","
	    "\"fqdnPatternList\":[{\"stringMatchingRule\":{\"stringMatchingConditions\":[{"
	    "\"matchingString\":\"app.mec.test\",\"matchingOperator\":\"FULL_MATCH\"}]}}]}},"
	    "\"actionList\":{\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{"
	    "\"easIpv4Addresses\":[\"192.0.2.45\"]}},\"a2\":{\"applyAction\":\"REPORT\"}}},"
	    "\"once\":{\"precedence\":10,\"dnsQueryMdtList\":{\"m1\":{\"mdtId\":\"m1\","
	    "\"fqdnPatternList\":[{\"stringMatchingRule\":{\"stringMatchingConditions\":[{"
	    "\"matchingString\":\".once.mec.test\",\"matchingOperator\":\"ENDS_WITH\"}]}}]}},"
	    "\"actionList\":{\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{"
	    "\"easIpv4Addresses\":[\"192.0.2.46\"]}},\"a2\":{\"applyAction\":\"REPORT\","
	    "\"reportingOnceInd\":true}}},"
	    "\"quiet\":{\"precedence\":10,\"dnsQueryMdtList\":{\"m1\":{\"mdtId\":\"m1\","
	    "\"fqdnPatternList\":[{\"stringMatchingRule\":{\"stringMatchingConditions\":[{"
	    "\"matchingString\":\"quiet.mec.test\",\"matchingOperator\":\"FULL_MATCH\"}]}}]}},"
	    "\"actionList\":{\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{"
	    "\"easIpv4Addresses\":[\"192.0.2.47\"]}}}}}}",
	    notify_uri);
}

/*! \brief Queries name from source until it answers address. */
static void expect_answer(const char *name, const char *source, const char *address)
{
	dns_opts_t opts = { .source = source };
	bool matched = false;
	knot_pkt_t *last = dns_poll(fx.knotd.port, name, KNOT_RRTYPE_A, &opts, dns_match_address,
	                            address, EVENTUALLY_MS, &matched);
	knot_pkt_free(last);
	ck_assert_msg(matched, "%s from %s never answered %s", name, source, address);
}

/*! \brief The dns_context_report signals collected so far. */
static size_t reports_seen(void)
{
	size_t reports = 0;
	for (size_t i = 0; i < harness_dbus_count(fx.listener); i++) {
		const harness_dbus_signal_t *sig = harness_dbus_signal(fx.listener, i);
		reports += strcmp(sig->member, "dns_context_report") == 0 ? 1 : 0;
	}
	return reports;
}

/*! \brief Waits until count reports were signalled in all. */
static bool wait_reports(size_t count, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		harness_dbus_wait(fx.listener, harness_dbus_count(fx.listener) + 1, 50);
		if (reports_seen() >= count) {
			return true;
		}
	}
	return false;
}

/*! \brief The n-th dns_context_report signal (0-based). */
static const harness_dbus_signal_t *report_signal(size_t n)
{
	for (size_t i = 0; i < harness_dbus_count(fx.listener); i++) {
		const harness_dbus_signal_t *sig = harness_dbus_signal(fx.listener, i);
		if (strcmp(sig->member, "dns_context_report") == 0 && n-- == 0) {
			return sig;
		}
	}
	ck_abort_msg("no dns_context_report signal %zu", n);
	return NULL;
}

START_TEST(test_a_reporting_rule_signals_and_notifies_what_it_answers)
{
	char *uri = harness_strdupf("http://" ADDR ":%d/smf/notify?ctx=1", smf.port);
	char *body = context_body(uri);
	smf.statuses[0] = 503; /* The first attempt fails: notify retries. */
	http_response_t resp;
	call("POST", CONTEXTS, body, &resp);
	ck_assert_msg(resp.status == 201, "POST: %d %s", resp.status, resp.body);
	cJSON *json = cJSON_Parse(resp.body);
	char *id =
	    strdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(json, "dnsContextId")));
	cJSON_Delete(json);
	http_response_free(&resp);

	/* The UE's query: answered by rule 7, reported. */
	expect_answer("app.mec.test.", UE, "192.0.2.45");
	ck_assert_msg(wait_reports(1, EVENTUALLY_MS), "no dns_context_report");
	const harness_dbus_signal_t *sig = report_signal(0);
	ck_assert_uint_eq(sig->argc, 5);
	ck_assert_str_eq(sig->args[0], id);
	ck_assert_str_eq(sig->args[1], "7");
	ck_assert_str_eq(sig->args[2], "app.mec.test");
	ck_assert_str_eq(sig->args[3], UE);
	ck_assert_msg(strtoull(sig->args[4], NULL, 10) > 1700000000000ULL, "timestamp %s",
	              sig->args[4]);

	/* The notification, after one 503: the same body twice. */
	ck_assert_msg(smf_wait(2, EVENTUALLY_MS), "the SMF got %zu notification(s)", smf_count());
	ck_assert_str_eq(smf.targets[0], "/smf/notify?ctx=1");
	ck_assert_str_eq(smf.bodies[0], smf.bodies[1]);
	cJSON *note = cJSON_Parse(smf.bodies[1]);
	ck_assert_ptr_nonnull(note);
	const cJSON *event =
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(note, "eventreportList"), 0);
	ck_assert_ptr_nonnull(event);
	ck_assert_double_eq(
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(event, "dnsRuleId")), 7);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	                     cJSON_GetObjectItemCaseSensitive(event, "dnsQueryReport"), "fqdn")),
	                 "app.mec.test");
	const char *when =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(event, "timestamp"));
	ck_assert_msg(when != NULL && strlen(when) == 24 && when[10] == 'T' && when[23] == 'Z',
	              "timestamp %s", when != NULL ? when : "-");
	cJSON_Delete(note);

	/* A repeat within the second, another client, an unreported rule:
	 * nothing more. */
	expect_answer("app.mec.test.", UE, "192.0.2.45");
	expect_answer("quiet.mec.test.", UE, "192.0.2.47");
	dns_opts_t other = { .source = "127.0.0.3" };
	knot_pkt_t *pkt = dns_query(fx.knotd.port, "app.mec.test.", KNOT_RRTYPE_A, &other);
	ck_assert_ptr_nonnull(pkt);
	ck_assert_int_eq(knot_pkt_section(pkt, KNOT_ANSWER)->count, 0);
	knot_pkt_free(pkt);

	/* reportingOnceInd: the wildcard's rule, once over two seconds. */
	expect_answer("a.once.mec.test.", UE, "192.0.2.46");
	ck_assert_msg(wait_reports(2, EVENTUALLY_MS), "no report of the once rule");
	sig = report_signal(1);
	ck_assert_str_eq(sig->args[1], "once");
	ck_assert_str_eq(sig->args[2], "a.once.mec.test");
	usleep(1200 * 1000);
	expect_answer("a.once.mec.test.", UE, "192.0.2.46");
	expect_answer("b.once.mec.test.", UE, "192.0.2.46");
	ck_assert_msg(!wait_reports(3, 1500), "the once rule reported again");
	ck_assert_uint_eq(smf_count(), 3);
	cJSON *third = cJSON_Parse(smf.bodies[2]);
	const cJSON *third_event =
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(third, "eventreportList"), 0);
	ck_assert_str_eq(
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(third_event, "dnsRuleId")),
	    "once");
	cJSON_Delete(third);

	/* Garbage on the report socket changes nothing. */
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fx.socket);
	static const char junk[][40] = { "MDR1", "MDR1\x04\x20\x00\x01garbage", "x" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		ck_assert_int_gt(
		    sendto(fd, junk[i], sizeof(junk[i]), 0, (struct sockaddr *)&sun, sizeof(sun)),
		    0);
	}
	close(fd);
	bool counted = false;
	for (int i = 0; i < 100 && !counted; i++) {
		call("GET", "/metrics", NULL, &resp);
		counted =
		    resp.status == 200 &&
		    strstr(resp.body, "mecdns_reports_total{outcome=\"malformed\"} 3\n") != NULL;
		if (i == 99 || counted) {
			ck_assert_msg(counted, "/metrics: %s", resp.body);
			ck_assert_ptr_nonnull(strstr(
			    resp.body, "mecdns_notifications_total{outcome=\"retried\"} 1\n"));
			ck_assert_ptr_nonnull(
			    strstr(resp.body, "mecdns_notifications_total{outcome=\"sent\"} 2\n"));
		}
		http_response_free(&resp);
		usleep(20 * 1000);
	}

	/* resetReportingOnceInd: the once rule reports again. */
	char *path = harness_strdupf(CONTEXTS "/%s", id);
	call("PATCH", path,
	     "[{\"op\":\"add\",\"path\":\"/dnsRules/once/actionList/a2/resetReportingOnceInd\","
	     "\"value\":true}]",
	     &resp);
	ck_assert_msg(resp.status == 200, "PATCH: %d %s", resp.status, resp.body);
	http_response_free(&resp);
	usleep(1200 * 1000);
	expect_answer("a.once.mec.test.", UE, "192.0.2.46");
	ck_assert_msg(wait_reports(3, EVENTUALLY_MS), "the reset once rule did not report");
	ck_assert_msg(smf_wait(4, EVENTUALLY_MS), "no notification after the reset");

	/* Deleted: the UE's query is no longer answered by it, nor reported. */
	call("DELETE", path, NULL, &resp);
	ck_assert_int_eq(resp.status, 204);
	http_response_free(&resp);
	dns_opts_t ue = { .source = UE };
	bool gone = false;
	for (int i = 0; i < 300 && !gone; i++) {
		knot_pkt_t *answer = dns_query(fx.knotd.port, "app.mec.test.", KNOT_RRTYPE_A, &ue);
		gone = answer != NULL && knot_pkt_section(answer, KNOT_ANSWER)->count == 0;
		knot_pkt_free(answer);
		if (!gone) {
			usleep(50 * 1000);
		}
	}
	ck_assert_msg(gone, "the deleted context still answers");
	usleep(1200 * 1000);
	pkt = dns_query(fx.knotd.port, "app.mec.test.", KNOT_RRTYPE_A, &ue);
	knot_pkt_free(pkt);
	ck_assert_msg(!wait_reports(4, 1000), "a deleted context reported");
	free(path);
	free(id);
	free(body);
	free(uri);
}
END_TEST

START_TEST(test_what_report_does_not_cover_is_refused_and_changes_nothing)
{
	/* The socket is there, 0660 whatever the umask, and only it. */
	struct stat st;
	ck_assert_int_eq(lstat(fx.socket, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	char *staged = harness_strdupf("%s.new", fx.socket);
	ck_assert_int_ne(lstat(staged, &st), 0);
	free(staged);

	static const struct {
		const char *uri;
		const char *actions;
		int status;
		const char *detail;
	} bad[] = {
		{ "http://127.0.0.1:9/n", "\"a2\":{\"applyAction\":\"REPORT\"}", 501,
		  "REPORT without RESPOND" },
		{ "https://127.0.0.1/n",
		  "\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{\"easIpv4Addresses\":["
		  "\"192.0.2.1\"]}},\"a2\":{\"applyAction\":\"REPORT\"}",
		  501, "notifyUri: https is not supported" },
		{ "ftp://127.0.0.1/n",
		  "\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{\"easIpv4Addresses\":["
		  "\"192.0.2.1\"]}},\"a2\":{\"applyAction\":\"REPORT\"}",
		  400, "notifyUri: must be an http:// URI" },
		{ "http://127.0.0.1:99999/n",
		  "\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{\"easIpv4Addresses\":["
		  "\"192.0.2.1\"]}},\"a2\":{\"applyAction\":\"REPORT\"}",
		  400, "port must be 1 to 65535" },
		{ "http://127.0.0.1/n",
		  "\"a1\":{\"applyAction\":\"RESPOND\",\"respParas\":{\"easIpv4Addresses\":["
		  "\"192.0.2.1\"]}},\"a2\":{\"applyAction\":\"REPORT\",\"reportingOnceInd\":1}",
		  400, "reportingOnceInd must be a boolean" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *body = harness_strdupf(
		    "{\"ueIpv4Addr\":\"" UE "\",\"notifyUri\":\"%s\",\"dnsRules\":{\"r\":{"
		    "\"dnsQueryMdtList\":{\"m\":{\"mdtId\":\"m\",\"fqdnPatternList\":[{"
		    "\"stringMatchingRule\":{\"stringMatchingConditions\":[{\"matchingString\":"
		    "\"app.mec.test\",\"matchingOperator\":\"FULL_MATCH\"}]}}]}},"
		    "\"actionList\":{%s}}}}",
		    bad[i].uri, bad[i].actions);
		http_response_t resp;
		call("POST", CONTEXTS, body, &resp);
		http_assert_problem(&resp, bad[i].status, bad[i].detail);
		http_response_free(&resp);
		free(body);
	}
	/* Nothing was stored: the UE gets no answer of a context. */
	dns_opts_t opts = { .source = UE };
	knot_pkt_t *pkt = dns_query(fx.knotd.port, "app.mec.test.", KNOT_RRTYPE_A, &opts);
	ck_assert_ptr_nonnull(pkt);
	ck_assert_int_eq(knot_pkt_section(pkt, KNOT_ANSWER)->count, 0);
	knot_pkt_free(pkt);
	ck_assert_uint_eq(smf_count(), 0);
}
END_TEST

static Suite *reports_suite(void)
{
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("reports");
	tcase_add_unchecked_fixture(tc, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_a_reporting_rule_signals_and_notifies_what_it_answers);
	tcase_add_test(tc, test_what_report_does_not_cover_is_refused_and_changes_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	knotd_track_begin();
	SRunner *runner = srunner_create(reports_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	if (knotd_track_end() != 0) {
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
