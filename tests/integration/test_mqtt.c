/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Integration tests of the MQTT channel (syncd/mqtt.c, announce's
 *  mqtt_listener.c): a real mosquitto broker on a free loopback port (with
 *  persistence in a temporary directory, so a restart keeps sessions and
 *  retained messages), the real mecdns-syncd publishing to it while it
 *  tracks a real knotd with the built module, a subscriber of the test's
 *  own (libmosquitto, persistent session, QoS 1) and the real
 *  mecdns-announce following syncd over MQTT.
 *
 *  - a late subscriber gets the present from the retained topics, then the
 *    changes as they are committed;
 *  - a change committed while the broker is down, with syncd killed -9
 *    before the broker is back, still arrives (the outbox cursor);
 *  - kill -9 of syncd: the broker sends its will (online false) and
 *    mecdns-announce withdraws; a new syncd makes it announce again.
 */

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>

#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define ADDR    "127.0.0.1"
#define PREFIX  "mecdns/test"
#define WAIT_MS 15000

static const char ZONE_TEXT[] =
    "@ 3600 SOA ns.example.test. hostmaster.example.test. 1 3600 900 604800 300\n"
    "@ 3600 NS ns\n"
    "ns 3600 A 192.0.2.53\n";

/*** The broker. ***/

typedef struct {
	harness_proc_t proc;
	char *conf;
	char *log;
	int port;
	const char *extra; /*!< More mosquitto.conf lines for the listener (TLS). */
} broker_t;

static void broker_start(broker_t *broker, const char *dir)
{
	if (broker->conf == NULL) {
		broker->port = harness_free_port(ADDR);
		broker->conf = harness_strdupf("%s/mosquitto.conf", dir);
		broker->log = harness_strdupf("%s/mosquitto.log", dir);
		/* As root mosquitto would drop to its own user, which cannot
		 * write its persistence file into our private directory. */
		char *text = harness_strdupf("listener %d " ADDR "\n"
		                             "allow_anonymous %s\n"
		                             "persistence true\n"
		                             "persistence_location %s/\n"
		                             "autosave_interval 1\n"
		                             "%s%s",
		                             broker->port, broker->extra != NULL ? "false" : "true",
		                             dir, geteuid() == 0 ? "user root\n" : "",
		                             broker->extra != NULL ? broker->extra : "");
		ck_assert_int_eq(harness_write_file(broker->conf, text), 0);
		free(text);
	}
	const char *binary =
	    getenv("MOSQUITTO") != NULL ? getenv("MOSQUITTO") : "/usr/sbin/mosquitto";
	char *argv[] = { (char *)binary, "-c", broker->conf, NULL };
	ck_assert_int_eq(harness_spawn(&broker->proc, "mosquitto", argv, NULL, broker->log), 0);
	ck_assert_msg(harness_wait_tcp(ADDR, broker->port, WAIT_MS) == 0,
	              "mosquitto did not listen");
}

/*** A subscriber: every message it got, in order. ***/

typedef struct {
	char *topic;
	char *payload;
	bool retain;
} message_t;

typedef struct {
	struct mosquitto *mosq;
	pthread_mutex_t lock;
	message_t messages[512];
	size_t count;
	size_t seen; /*!< Messages already matched by expect_message(). */
} subscriber_t;

static void on_sub_connect(struct mosquitto *mosq, void *ctx, int rc)
{
	(void)ctx;
	if (rc == 0) {
		mosquitto_subscribe(mosq, NULL, PREFIX "/#", 1);
	}
}

static void on_sub_message(struct mosquitto *mosq, void *ctx, const struct mosquitto_message *msg)
{
	(void)mosq;
	subscriber_t *sub = ctx;
	pthread_mutex_lock(&sub->lock);
	if (sub->count < sizeof(sub->messages) / sizeof(sub->messages[0])) {
		message_t *m = &sub->messages[sub->count++];
		m->topic = strdup(msg->topic);
		m->payload =
		    strndup(msg->payload != NULL ? msg->payload : "", (size_t)msg->payloadlen);
		m->retain = msg->retain;
	}
	pthread_mutex_unlock(&sub->lock);
}

/*! The TLS and password settings of the test's clients (NULL: plain). */
static const char *pki_dir;

static void subscriber_start(subscriber_t *sub, int port)
{
	memset(sub, 0, sizeof(*sub));
	pthread_mutex_init(&sub->lock, NULL);
	/* A persistent session: what is published while it is away waits. */
	sub->mosq = mosquitto_new("mecdns-test-subscriber", false, sub);
	ck_assert_ptr_nonnull(sub->mosq);
	if (pki_dir != NULL) {
		char *ca = harness_strdupf("%s/server-ca.pem", pki_dir);
		char *cert = harness_strdupf("%s/client-a.pem", pki_dir);
		char *key = harness_strdupf("%s/client-a.key", pki_dir);
		ck_assert_int_eq(mosquitto_tls_set(sub->mosq, ca, NULL, cert, key, NULL),
		                 MOSQ_ERR_SUCCESS);
		ck_assert_int_eq(mosquitto_username_pw_set(sub->mosq, "mecdns", "s3cret"),
		                 MOSQ_ERR_SUCCESS);
		free(ca);
		free(cert);
		free(key);
	}
	mosquitto_connect_callback_set(sub->mosq, on_sub_connect);
	mosquitto_message_callback_set(sub->mosq, on_sub_message);
	mosquitto_reconnect_delay_set(sub->mosq, 1, 1, false);
	ck_assert_int_eq(mosquitto_connect(sub->mosq, ADDR, port, 5), MOSQ_ERR_SUCCESS);
	ck_assert_int_eq(mosquitto_loop_start(sub->mosq), MOSQ_ERR_SUCCESS);
}

static void subscriber_stop(subscriber_t *sub)
{
	if (sub->mosq == NULL) {
		return;
	}
	mosquitto_disconnect(sub->mosq);
	mosquitto_loop_stop(sub->mosq, true);
	mosquitto_destroy(sub->mosq);
	for (size_t i = 0; i < sub->count; i++) {
		free(sub->messages[i].topic);
		free(sub->messages[i].payload);
	}
	pthread_mutex_destroy(&sub->lock);
	memset(sub, 0, sizeof(*sub));
}

static void subscriber_dump(subscriber_t *sub)
{
	pthread_mutex_lock(&sub->lock);
	fprintf(stderr, "--- %zu MQTT messages:\n", sub->count);
	for (size_t i = 0; i < sub->count; i++) {
		fprintf(stderr, "%s%s %s\n", sub->messages[i].retain ? "(retained) " : "",
		        sub->messages[i].topic, sub->messages[i].payload);
	}
	pthread_mutex_unlock(&sub->lock);
}

/*! \brief Waits for the next message on topic (after the matched ones)
 *         whose payload contains needle; false on timeout. */
static bool wait_message(subscriber_t *sub, const char *topic, const char *needle, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		pthread_mutex_lock(&sub->lock);
		for (size_t i = sub->seen; i < sub->count; i++) {
			if (strcmp(sub->messages[i].topic, topic) == 0 &&
			    strstr(sub->messages[i].payload, needle) != NULL) {
				sub->seen = i + 1;
				pthread_mutex_unlock(&sub->lock);
				return true;
			}
		}
		pthread_mutex_unlock(&sub->lock);
		harness_sleep_ms(50);
	} while (harness_now_ms() < deadline);
	return false;
}

/*** The stack. ***/

typedef struct {
	char *dir;
	char *db;
	broker_t broker;
	knotd_t knotd;
	harness_proc_t syncd;
	int http_port;
	harness_proc_t announce;
	subscriber_t sub;
} mqtt_stack_t;

static mqtt_stack_t stack;

static void dump(void)
{
	char *conf = stack.broker.conf != NULL ? harness_read_file(stack.broker.conf) : NULL;
	fprintf(stderr, "--- mosquitto.conf:\n%s\n", conf != NULL ? conf : "");
	free(conf);
	subscriber_dump(&stack.sub);
	harness_dump_log(&stack.syncd);
	harness_dump_log(&stack.broker.proc);
	if (stack.announce.pid != 0) {
		harness_dump_log(&stack.announce);
	}
}

#define EXPECT_MESSAGE(topic, needle)                                                              \
	do {                                                                                       \
		if (!wait_message(&stack.sub, (topic), (needle), WAIT_MS)) {                       \
			dump();                                                                    \
			ck_abort_msg("no MQTT message on %s with %s", (topic), (needle));          \
		}                                                                                  \
	} while (0)

/*! The password file syncd gets with TLS. */
static const char *syncd_password_file;

static void syncd_start(void)
{
	char *socket = harness_strdupf("%s/knot.sock", stack.knotd.dir);
	char *log = harness_strdupf("%s/syncd.log", stack.dir);
	char *url = harness_strdupf("%s://" ADDR ":%d", pki_dir != NULL ? "mqtts" : "mqtt",
	                            stack.broker.port);
	char *ca = harness_strdupf("%s/server-ca.pem", pki_dir != NULL ? pki_dir : "");
	char *cert = harness_strdupf("%s/client-a.pem", pki_dir != NULL ? pki_dir : "");
	char *key = harness_strdupf("%s/client-a.key", pki_dir != NULL ? pki_dir : "");
	const char *args[32] = { "--database",    stack.db, "--dbus",       "none",
		                 "--knot-socket", socket,   "--knot-dbus",  "none",
		                 "--knot-poll",   "100",    "--mqtt",       url,
		                 "--mqtt-topic",  PREFIX,   "--allow-zone", "example.test",
		                 "--log-level",   "debug" };
	size_t n = 18;
	if (pki_dir != NULL) {
		const char *tls[] = { "--mqtt-ca-file",       ca,
			              "--mqtt-cert-file",     cert,
			              "--mqtt-key-file",      key,
			              "--mqtt-username",      "mecdns",
			              "--mqtt-password-file", syncd_password_file };
		for (size_t i = 0; i < sizeof(tls) / sizeof(tls[0]); i++) {
			args[n++] = tls[i];
		}
	}
	args[n] = NULL;
	ck_assert_msg(
	    harness_syncd_start(&stack.syncd, ADDR, &stack.http_port, args, NULL, log, 10000) == 0,
	    "mecdns-syncd did not start");
	free(url);
	free(log);
	free(socket);
	free(ca);
	free(cert);
	free(key);
}

static void setup(void)
{
	memset(&stack, 0, sizeof(stack));
	stack.dir = harness_tmpdir("mqtt");
	stack.db = harness_strdupf("%s/mecdns.db", stack.dir);
	broker_start(&stack.broker, stack.dir);
	knotd_config_t config = {
		.tag = "mqtt",
		.database = stack.db,
		.global_module = true,
		.zones = { { .domain = "example.test.", .content = ZONE_TEXT } },
	};
	ck_assert_int_eq(knotd_start(&stack.knotd, &config), 0);
	syncd_start();
}

static void teardown(void)
{
	subscriber_stop(&stack.sub);
	if (stack.announce.pid != 0) {
		harness_stop(&stack.announce, 10000);
	}
	harness_syncd_stop(&stack.syncd, 10000);
	knotd_stop(&stack.knotd);
	harness_stop(&stack.broker.proc, 5000);
	harness_rmtree(stack.dir);
	free(stack.dir);
	free(stack.db);
	free(stack.broker.conf);
	free(stack.broker.log);
	memset(&stack, 0, sizeof(stack));
}

/*! \brief Creates a rule through Mm5; its HTTP status. */
static int create_rule(const char *id, const char *address)
{
	char *body = harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s.example.test\","
	                             "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"%s\"}",
	                             id, id, address);
	http_response_t resp;
	const char *headers[] = { "Content-Type: application/json", NULL };
	ck_assert_int_eq(http_request(ADDR, stack.http_port, "POST", "/mep/config/app-1/dns_rules",
	                              headers, body, strlen(body), &resp),
	                 0);
	int status = resp.status;
	http_response_free(&resp);
	free(body);
	return status;
}

START_TEST(test_a_late_subscriber_gets_the_present_then_the_changes)
{
	/* Wait until syncd serves (its own readiness), then subscribe. */
	long long deadline = harness_now_ms() + WAIT_MS;
	for (;;) {
		http_response_t resp;
		ck_assert_int_eq(
		    http_request(ADDR, stack.http_port, "GET", "/readyz", NULL, NULL, 0, &resp), 0);
		int status = resp.status;
		http_response_free(&resp);
		if (status == 200) {
			break;
		}
		ck_assert_msg(harness_now_ms() < deadline, "syncd never became ready");
		harness_sleep_ms(100);
	}
	harness_sleep_ms(300);
	subscriber_start(&stack.sub, stack.broker.port);
	EXPECT_MESSAGE(PREFIX "/online", "true");
	stack.sub.seen = 0;
	EXPECT_MESSAGE(PREFIX "/state/serving", "true");
	stack.sub.seen = 0;
	EXPECT_MESSAGE(PREFIX "/state", "\"serving\":true");
	pthread_mutex_lock(&stack.sub.lock);
	bool retained = stack.sub.messages[stack.sub.seen - 1].retain;
	pthread_mutex_unlock(&stack.sub.lock);
	ck_assert_msg(retained, "the state was not a retained message");

	ck_assert_int_eq(create_rule("r1", "192.0.2.10"), 201);
	EXPECT_MESSAGE(PREFIX "/changes", "\"dnsRuleId\":\"r1\"");
}
END_TEST

START_TEST(test_a_change_committed_while_the_broker_is_down_arrives_after_a_crash)
{
	subscriber_start(&stack.sub, stack.broker.port);
	EXPECT_MESSAGE(PREFIX "/online", "true");
	ck_assert_int_eq(create_rule("before", "192.0.2.11"), 201);
	EXPECT_MESSAGE(PREFIX "/changes", "\"dnsRuleId\":\"before\"");

	/* The broker goes away; a change is committed (2xx), then syncd dies
	 * before it could publish it. */
	ck_assert_int_eq(harness_stop(&stack.broker.proc, 5000), 0);
	ck_assert_int_eq(create_rule("while-down", "192.0.2.12"), 201);
	/* More than one batch (128) waits behind it. */
	for (int i = 0; i < 150; i++) {
		char id[32];
		snprintf(id, sizeof(id), "backlog-%d", i);
		ck_assert_int_eq(create_rule(id, "192.0.2.13"), 201);
	}
	harness_sleep_ms(300);
	harness_signal(&stack.syncd, SIGKILL);
	harness_wait_exit(&stack.syncd, 5000);

	/* Broker back (the subscriber's session kept), then a new syncd. */
	broker_start(&stack.broker, stack.dir);
	syncd_start();
	EXPECT_MESSAGE(PREFIX "/changes", "\"dnsRuleId\":\"while-down\"");
	/* Every one of the backlog, in commit order. */
	for (int i = 0; i < 150; i++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "\"dnsRuleId\":\"backlog-%d\"", i);
		EXPECT_MESSAGE(PREFIX "/changes", needle);
	}
	EXPECT_MESSAGE(PREFIX "/online", "true");
}
END_TEST

/*! \brief What the announce commands wrote ("" when nothing yet). */
static char *announce_state(const char *path)
{
	char *text = harness_read_file(path);
	return text != NULL ? text : strdup("");
}

static bool wait_announce_state(const char *path, const char *want, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		char *text = announce_state(path);
		bool match = strncmp(text, want, strlen(want)) == 0;
		free(text);
		if (match) {
			return true;
		}
		harness_sleep_ms(50);
	} while (harness_now_ms() < deadline);
	return false;
}

START_TEST(test_announce_over_mqtt_withdraws_when_syncd_is_killed)
{
	subscriber_start(&stack.sub, stack.broker.port);
	char *state = harness_strdupf("%s/announced", stack.dir);
	char *announce_cmd = harness_strdupf("echo announced > %s", state);
	char *withdraw_cmd = harness_strdupf("echo withdrawn > %s", state);
	char *url = harness_strdupf("mqtt://" ADDR ":%d", stack.broker.port);
	char *binary = harness_build_path("announce/mecdns-announce");
	char *log = harness_strdupf("%s/announce.log", stack.dir);
	char *argv[] = { binary,        "--mqtt",     url,          "--mqtt-topic", PREFIX,
		         "--shell",     "--announce", announce_cmd, "--withdraw",   withdraw_cmd,
		         "--hold-down", "200",        "--retry",    "200",          "--log-level",
		         "debug",       NULL };
	ck_assert_int_eq(harness_spawn(&stack.announce, "mecdns-announce", argv, NULL, log), 0);
	if (!wait_announce_state(state, "announced", WAIT_MS)) {
		dump();
		ck_abort_msg("not announced while syncd serves");
	}

	/* kill -9: only the broker can tell, by syncd's will. */
	harness_signal(&stack.syncd, SIGKILL);
	harness_wait_exit(&stack.syncd, 5000);
	EXPECT_MESSAGE(PREFIX "/online", "false");
	if (!wait_announce_state(state, "withdrawn", WAIT_MS)) {
		dump();
		ck_abort_msg("not withdrawn after syncd was killed");
	}

	syncd_start();
	if (!wait_announce_state(state, "announced", WAIT_MS)) {
		dump();
		ck_abort_msg("not announced again with a new syncd");
	}
	ck_assert_int_eq(harness_stop(&stack.announce, 10000), 0);
	ck_assert(wait_announce_state(state, "withdrawn", 1000));
	free(state);
	free(announce_cmd);
	free(withdraw_cmd);
	free(url);
	free(binary);
	free(log);
}
END_TEST

/*** TLS with client certificates and a password. ***/

static char *tls_dir;
static char *tls_extra;
static char *good_password;
static char *bad_password;

static void setup_tls(void)
{
	tls_dir = harness_tmpdir("mqtt-pki");
	char *script = harness_src_path("tests/integration/tls_pki.sh");
	char *out = NULL;
	ck_assert_int_eq(
	    harness_run((char *[]){ "/bin/sh", script, tls_dir, NULL }, NULL, &out, 60000), 0);
	free(out);
	free(script);
	char *passwd = harness_strdupf("%s/passwd", tls_dir);
	ck_assert_int_eq(harness_run((char *[]){ "/usr/bin/mosquitto_passwd", "-b", "-c", passwd,
	                                         "mecdns", "s3cret", NULL },
	                             NULL, &out, 10000),
	                 0);
	free(out);
	good_password = harness_strdupf("%s/good", tls_dir);
	bad_password = harness_strdupf("%s/bad", tls_dir);
	ck_assert_int_eq(harness_write_file(good_password, "s3cret\n"), 0);
	ck_assert_int_eq(harness_write_file(bad_password, "guess\n"), 0);
	tls_extra = harness_strdupf("cafile %s/client-ca-a.pem\n"
	                            "certfile %s/server1.pem\n"
	                            "keyfile %s/server1.key\n"
	                            "require_certificate true\n"
	                            "password_file %s\n",
	                            tls_dir, tls_dir, tls_dir, passwd);
	free(passwd);
	pki_dir = tls_dir;
	syncd_password_file = good_password;
	memset(&stack, 0, sizeof(stack));
	stack.broker.extra = tls_extra;
	broker_t broker = stack.broker;
	/* setup() starts from a zeroed stack: keep the broker's TLS lines. */
	stack.dir = harness_tmpdir("mqtt");
	stack.db = harness_strdupf("%s/mecdns.db", stack.dir);
	stack.broker = broker;
	broker_start(&stack.broker, stack.dir);
	knotd_config_t config = {
		.tag = "mqtt-tls",
		.database = stack.db,
		.global_module = true,
		.zones = { { .domain = "example.test.", .content = ZONE_TEXT } },
	};
	ck_assert_int_eq(knotd_start(&stack.knotd, &config), 0);
	syncd_start();
}

static void teardown_tls(void)
{
	teardown();
	pki_dir = NULL;
	syncd_password_file = NULL;
	harness_rmtree(tls_dir);
	free(tls_dir);
	free(tls_extra);
	free(good_password);
	free(bad_password);
}

START_TEST(test_tls_with_a_client_certificate_and_a_password)
{
	subscriber_start(&stack.sub, stack.broker.port);
	EXPECT_MESSAGE(PREFIX "/online", "true");
	ck_assert_int_eq(create_rule("tls", "192.0.2.20"), 201);
	EXPECT_MESSAGE(PREFIX "/changes", "\"dnsRuleId\":\"tls\"");

	/* A wrong password: the broker refuses, syncd says why and retries. */
	ck_assert_int_eq(harness_syncd_stop(&stack.syncd, 10000), 0);
	EXPECT_MESSAGE(PREFIX "/online", "false");
	syncd_password_file = bad_password;
	syncd_start();
	long long deadline = harness_now_ms() + WAIT_MS;
	char *log = NULL;
	while (harness_now_ms() < deadline) {
		free(log);
		log = harness_read_file(stack.syncd.log_path);
		if (log != NULL && strstr(log, "refused the connection") != NULL) {
			break;
		}
		harness_sleep_ms(100);
	}
	ck_assert_msg(log != NULL && strstr(log, "refused the connection") != NULL, "%s",
	              log != NULL ? log : "(no log)");
	free(log);
	ck_assert_msg(!wait_message(&stack.sub, PREFIX "/online", "true", 1000),
	              "online with a wrong password");
}
END_TEST

int main(void)
{
	if (access(getenv("MOSQUITTO") != NULL ? getenv("MOSQUITTO") : "/usr/sbin/mosquitto",
	           X_OK) != 0) {
		fprintf(stderr, "test_mqtt: no mosquitto (Debian package mosquitto): skipped\n");
		return 77;
	}
	mosquitto_lib_init();
	knotd_track_begin();
	Suite *suite = suite_create("mqtt");
	TCase *tc = tcase_create("broker");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_a_late_subscriber_gets_the_present_then_the_changes);
	tcase_add_test(tc, test_a_change_committed_while_the_broker_is_down_arrives_after_a_crash);
	tcase_add_test(tc, test_announce_over_mqtt_withdraws_when_syncd_is_killed);
	suite_add_tcase(suite, tc);
	TCase *tls = tcase_create("tls");
	tcase_add_checked_fixture(tls, setup_tls, teardown_tls);
	tcase_set_timeout(tls, 90);
	tcase_add_test(tls, test_tls_with_a_client_certificate_and_a_password);
	suite_add_tcase(suite, tls);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	knotd_track_end();
	mosquitto_lib_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
