/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce: its profiles and hold-down directly, then the real
 *  binary driving a real BIRD 2 over a real BGP session on loopback.
 *
 *  The BGP pair: a "speaker" BIRD on 127.0.0.2 (driven by mecdns-announce
 *  through birdc on its control socket; the service route 192.0.2.53/32
 *  sits in a static protocol that starts disabled and is the only thing
 *  exported) and a "peer" BIRD on 127.0.0.3 (passive, imports all); the
 *  test reads the peer with birdc. Short timers (connect delay and retry
 *  1 s, hold 3 s), no kernel protocol: nothing touches the host's routing
 *  table. Both run with their config, socket, pidfile and log in a
 *  temporary directory and are stopped by PID.
 *
 *  "serving" comes either from a fake mecdns-syncd in the test (its own
 *  D-Bus connection owning org.mecdns.syncd, answering GetState, emitting
 *  serving / shutting_down on demand: exact control of timing), or from the
 *  real stack (mecdns-syncd watching a real knotd with the module).
 *
 *  Needs bird and birdc (Debian bird2; $BIRD / $BIRDC override the paths);
 *  without them only the tests that need no process run, then the program
 *  skips (exit 77) with a message.
 */

#include <check.h>
#include <dbus/dbus.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "announce/hold_down.h"
#include "announce/profile.h"
#include "tests/harness/dbus.h"
#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define PREFIX          "192.0.2.53/32"
#define SPEAKER_ADDR    "127.0.0.2"
#define PEER_ADDR       "127.0.0.3"
#define STATIC_PROTOCOL "mecdns_anycast"
#define SYNCD_NAME      "org.mecdns.syncd"
#define SYNCD_PATH      "/org/mecdns/syncd"
/*! Generous bound for anything that should happen "soon". */
#define WAIT_MS 10000

static const char *bird_path;
static const char *birdc_path;

/*** Profiles, argv, hold-down (no processes). ***/

/*! \brief Asserts that argv is exactly the expected words. */
static void assert_argv(char **argv, const char *const *expected)
{
	ck_assert_ptr_nonnull(argv);
	size_t i = 0;
	for (; expected[i] != NULL; i++) {
		ck_assert_ptr_nonnull(argv[i]);
		ck_assert_str_eq(argv[i], expected[i]);
	}
	ck_assert_ptr_null(argv[i]);
	announce_argv_free(argv);
}

START_TEST(test_bird_profile_enables_and_disables_the_protocol)
{
	char err[256] = "";
	announce_profile_params_t params = {
		.profile = ANNOUNCE_PROFILE_BIRD,
		.bird_socket = "/run/bird/bird.ctl",
		.bird_protocol = "mecdns",
	};
	assert_argv(
	    announce_profile_argv(&params, true, err, sizeof(err)),
	    (const char *const[]){ "birdc", "-s", "/run/bird/bird.ctl", "enable", "mecdns", NULL });
	assert_argv(announce_profile_argv(&params, false, err, sizeof(err)),
	            (const char *const[]){ "birdc", "-s", "/run/bird/bird.ctl", "disable", "mecdns",
	                                   NULL });
	/* Defaults, and another client program. */
	announce_profile_params_t defaults = { .profile = ANNOUNCE_PROFILE_BIRD,
		                               .client = "/usr/sbin/birdc" };
	assert_argv(announce_profile_argv(&defaults, true, err, sizeof(err)),
	            (const char *const[]){ "/usr/sbin/birdc", "-s", ANNOUNCE_DEFAULT_BIRD_SOCKET,
	                                   "enable", ANNOUNCE_DEFAULT_BIRD_PROTOCOL, NULL });
}
END_TEST

START_TEST(test_exabgp_profile_writes_announce_and_withdraw_route)
{
	char err[256] = "";
	announce_profile_params_t params = { .profile = ANNOUNCE_PROFILE_EXABGP, .prefix = PREFIX };
	assert_argv(announce_profile_argv(&params, true, err, sizeof(err)),
	            (const char *const[]){ "exabgpcli", "announce", "route", PREFIX, "next-hop",
	                                   "self", NULL });
	assert_argv(announce_profile_argv(&params, false, err, sizeof(err)),
	            (const char *const[]){ "exabgpcli", "withdraw", "route", PREFIX, "next-hop",
	                                   "self", NULL });
	params.next_hop = "127.0.0.2";
	params.client = "/usr/local/bin/exabgpcli";
	assert_argv(announce_profile_argv(&params, true, err, sizeof(err)),
	            (const char *const[]){ "/usr/local/bin/exabgpcli", "announce", "route", PREFIX,
	                                   "next-hop", "127.0.0.2", NULL });
}
END_TEST

START_TEST(test_gobgp_profile_adds_and_deletes_in_the_global_rib)
{
	char err[256] = "";
	announce_profile_params_t params = { .profile = ANNOUNCE_PROFILE_GOBGP, .prefix = PREFIX };
	assert_argv(
	    announce_profile_argv(&params, true, err, sizeof(err)),
	    (const char *const[]){ "gobgp", "global", "rib", "add", PREFIX, "-a", "ipv4", NULL });
	assert_argv(
	    announce_profile_argv(&params, false, err, sizeof(err)),
	    (const char *const[]){ "gobgp", "global", "rib", "del", PREFIX, "-a", "ipv4", NULL });
	params.prefix = "2001:db8::53/128";
	assert_argv(announce_profile_argv(&params, true, err, sizeof(err)),
	            (const char *const[]){ "gobgp", "global", "rib", "add", "2001:db8::53/128",
	                                   "-a", "ipv6", NULL });
}
END_TEST

START_TEST(test_profiles_refuse_a_missing_or_bad_prefix)
{
	char err[256] = "";
	announce_profile_params_t params = { .profile = ANNOUNCE_PROFILE_GOBGP };
	ck_assert_ptr_null(announce_profile_argv(&params, true, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "prefix"));
	const char *bad[] = { "192.0.2.53", "192.0.2.53/33", "2001:db8::/129", "192.0.2/24",
		              "/32",        "192.0.2.53/",   "192.0.2.53/3x",  "host.example/32" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		params.prefix = bad[i];
		params.profile = i % 2 == 0 ? ANNOUNCE_PROFILE_GOBGP : ANNOUNCE_PROFILE_EXABGP;
		ck_assert_msg(announce_profile_argv(&params, true, err, sizeof(err)) == NULL,
		              "prefix %s accepted", bad[i]);
	}
	ck_assert(announce_prefix_check("0.0.0.0/0", NULL, err, sizeof(err)));
	ck_assert(announce_prefix_check("2001:db8::53/128", NULL, err, sizeof(err)));
}
END_TEST

START_TEST(test_commands_are_split_like_a_shell_would_without_running_one)
{
	char err[256] = "";
	assert_argv(
	    announce_argv_split("  birdc -s /run/bird.ctl\tenable  mecdns ", err, sizeof(err)),
	    (const char *const[]){ "birdc", "-s", "/run/bird.ctl", "enable", "mecdns", NULL });
	assert_argv(
	    announce_argv_split("cmd 'a b' \"c \\\"d\\\" $HOME\" e\\ f '' g;h", err, sizeof(err)),
	    (const char *const[]){ "cmd", "a b", "c \"d\" $HOME", "e f", "", "g;h", NULL });
	ck_assert_ptr_null(announce_argv_split("cmd 'open", err, sizeof(err)));
	ck_assert_ptr_null(announce_argv_split("cmd \"open", err, sizeof(err)));
	ck_assert_ptr_null(announce_argv_split("cmd \\", err, sizeof(err)));
	ck_assert_ptr_null(announce_argv_split("   ", err, sizeof(err)));
	assert_argv(announce_argv_shell("echo a > /tmp/x"),
	            (const char *const[]){ "/bin/sh", "-c", "echo a > /tmp/x", NULL });
	/* Log lines quote what needs quoting, so they can be pasted. */
	char *line = announce_argv_join((char *[]){ "cmd", "a b", "it's", NULL });
	ck_assert_str_eq(line, "cmd 'a b' 'it'\\''s'");
	free(line);
}
END_TEST

START_TEST(test_hold_down_withdraws_at_once_and_announces_after_stable_serving)
{
	announce_hold_down_t hold;
	announce_hold_down_init(&hold, 1000);
	long long wake = 0;
	ck_assert(!announce_hold_down_desired(&hold, 0, &wake));
	ck_assert_int_eq(wake, -1);

	announce_hold_down_input(&hold, true, 100);
	ck_assert(!announce_hold_down_desired(&hold, 1099, &wake));
	ck_assert_int_eq(wake, 1100);
	ck_assert(announce_hold_down_desired(&hold, 1100, &wake));
	/* The same input again does not restart the hold-down. */
	ck_assert(!announce_hold_down_input(&hold, true, 1200));
	ck_assert(announce_hold_down_desired(&hold, 1200, &wake));

	/* Withdraw at once; flapping restarts the count every time. */
	announce_hold_down_input(&hold, false, 1300);
	ck_assert(!announce_hold_down_desired(&hold, 1300, &wake));
	for (long long t = 1400; t < 5000; t += 400) {
		announce_hold_down_input(&hold, true, t);
		ck_assert(!announce_hold_down_desired(&hold, t + 300, &wake));
		announce_hold_down_input(&hold, false, t + 300);
		ck_assert(!announce_hold_down_desired(&hold, t + 399, &wake));
	}
	announce_hold_down_input(&hold, true, 6000);
	ck_assert(announce_hold_down_desired(&hold, 7000, &wake));

	/* Stopping wins over serving. */
	announce_hold_down_stop(&hold);
	ck_assert(!announce_hold_down_desired(&hold, 8000, &wake));

	/* Hold-down 0: announce at once. */
	announce_hold_down_init(&hold, 0);
	announce_hold_down_input(&hold, true, 50);
	ck_assert(announce_hold_down_desired(&hold, 50, &wake));
}
END_TEST

START_TEST(test_prepend_actions_of_the_three_profiles)
{
	char err[256] = "";
	announce_profile_params_t bird = { .profile = ANNOUNCE_PROFILE_BIRD,
		                           .bird_socket = "/run/bird/bird.ctl",
		                           .bird_protocol = "mecdns",
		                           .prepend = 3 };
	assert_argv(announce_profile_action_argv(&bird, ANNOUNCE_ACTION_PREPEND, err, sizeof(err)),
	            (const char *const[]){ "birdc", "-s", "/run/bird/bird.ctl", "enable",
	                                   "mecdns_prepend", NULL });
	assert_argv(
	    announce_profile_action_argv(&bird, ANNOUNCE_ACTION_UNPREPEND, err, sizeof(err)),
	    (const char *const[]){ "birdc", "-s", "/run/bird/bird.ctl", "disable", "mecdns_prepend",
	                           NULL });
	/* One withdraw for both protocols: a BIRD pattern. */
	assert_argv(announce_profile_action_argv(&bird, ANNOUNCE_ACTION_WITHDRAW, err, sizeof(err)),
	            (const char *const[]){ "birdc", "-s", "/run/bird/bird.ctl", "disable",
	                                   "\"mecdns*\"", NULL });
	assert_argv(
	    announce_profile_action_argv(&bird, ANNOUNCE_ACTION_ANNOUNCE, err, sizeof(err)),
	    (const char *const[]){ "birdc", "-s", "/run/bird/bird.ctl", "enable", "mecdns", NULL });
	bird.bird_prepend_protocol = "busy";
	ck_assert_ptr_null(
	    announce_profile_action_argv(&bird, ANNOUNCE_ACTION_PREPEND, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "must start with"));

	announce_profile_params_t exabgp = { .profile = ANNOUNCE_PROFILE_EXABGP,
		                             .prefix = PREFIX,
		                             .prepend = 2,
		                             .prepend_as = "64512" };
	assert_argv(
	    announce_profile_action_argv(&exabgp, ANNOUNCE_ACTION_PREPEND, err, sizeof(err)),
	    (const char *const[]){ "exabgpcli", "announce", "route", PREFIX, "next-hop", "self",
	                           "as-path", "[", "64512", "64512", "]", NULL });
	assert_argv(
	    announce_profile_action_argv(&exabgp, ANNOUNCE_ACTION_UNPREPEND, err, sizeof(err)),
	    (const char *const[]){ "exabgpcli", "announce", "route", PREFIX, "next-hop", "self",
	                           NULL });

	announce_profile_params_t gobgp = { .profile = ANNOUNCE_PROFILE_GOBGP,
		                            .prefix = PREFIX,
		                            .prepend = 3,
		                            .prepend_as = "4200000000" };
	assert_argv(announce_profile_action_argv(&gobgp, ANNOUNCE_ACTION_PREPEND, err, sizeof(err)),
	            (const char *const[]){ "gobgp", "global", "rib", "add", PREFIX, "-a", "ipv4",
	                                   "aspath", "4200000000,4200000000,4200000000", NULL });
	assert_argv(
	    announce_profile_action_argv(&gobgp, ANNOUNCE_ACTION_UNPREPEND, err, sizeof(err)),
	    (const char *const[]){ "gobgp", "global", "rib", "add", PREFIX, "-a", "ipv4", NULL });

	/* What is refused. */
	const char *bad_as[] = { NULL, "0", "4294967296", "645x", "-1", "" };
	for (size_t i = 0; i < sizeof(bad_as) / sizeof(bad_as[0]); i++) {
		gobgp.prepend_as = bad_as[i];
		ck_assert_msg(announce_profile_action_argv(&gobgp, ANNOUNCE_ACTION_PREPEND, err,
		                                           sizeof(err)) == NULL,
		              "prepend-as %s accepted", bad_as[i] != NULL ? bad_as[i] : "(none)");
	}
	gobgp.prepend_as = "64512";
	gobgp.prepend = ANNOUNCE_MAX_PREPEND + 1;
	ck_assert_ptr_null(
	    announce_profile_action_argv(&gobgp, ANNOUNCE_ACTION_PREPEND, err, sizeof(err)));
	gobgp.prepend = 0;
	ck_assert_ptr_null(
	    announce_profile_action_argv(&gobgp, ANNOUNCE_ACTION_PREPEND, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no prepend"));
}
END_TEST

START_TEST(test_hold_down_prepends_at_once_and_shortens_after_a_quiet_hold_down)
{
	announce_hold_down_t hold;
	long long wake = 0;
	announce_hold_down_init(&hold, 1000);
	ck_assert(!announce_hold_down_prepend(&hold, 0, &wake));
	ck_assert_int_eq(wake, -1);
	ck_assert(announce_hold_down_busy(&hold, true, 100));
	ck_assert(!announce_hold_down_busy(&hold, true, 150));
	ck_assert(announce_hold_down_prepend(&hold, 100, &wake));
	ck_assert(announce_hold_down_busy(&hold, false, 200));
	ck_assert(announce_hold_down_prepend(&hold, 1199, &wake));
	ck_assert_int_eq(wake, 1200);
	/* Busy again within the hold-down: stays prepended, the count restarts. */
	announce_hold_down_busy(&hold, true, 900);
	announce_hold_down_busy(&hold, false, 1000);
	ck_assert(announce_hold_down_prepend(&hold, 1500, &wake));
	ck_assert_int_eq(wake, 2000);
	ck_assert(!announce_hold_down_prepend(&hold, 2000, &wake));
	ck_assert_int_eq(wake, -1);
}
END_TEST

/*! \brief Runs mecdns-announce with args, expects a failure whose output is
 *         one line containing needle. */
static void expect_config_error(char *const args[], const char *needle)
{
	char *binary = harness_build_path("announce/mecdns-announce");
	char *argv[16] = { binary };
	for (size_t i = 0; i < 14 && args[i] != NULL; i++) {
		argv[i + 1] = args[i];
	}
	char *output = NULL;
	int status = harness_run(argv, NULL, &output, 10000);
	ck_assert_msg(status != 0, "exit status 0 for a bad config (%s)", needle);
	ck_assert_ptr_nonnull(output);
	ck_assert_msg(strstr(output, needle) != NULL, "output '%s' lacks '%s'", output, needle);
	ck_assert_msg(strncmp(output, "mecdns-announce: error: ", 24) == 0 &&
	                  strchr(output, '\n') == output + strlen(output) - 1,
	              "not one error line: '%s'", output);
	free(output);
	free(binary);
}

START_TEST(test_bad_configuration_exits_with_one_clear_line)
{
	expect_config_error((char *[]){ NULL }, "no announce action");
	expect_config_error((char *[]){ "--profile", "quagga", NULL }, "profile must be");
	expect_config_error((char *[]){ "--profile", "gobgp", NULL }, "prefix");
	expect_config_error((char *[]){ "--profile", "bird", "--hold-down", "-1", NULL },
	                    "hold-down");
	expect_config_error((char *[]){ "--profile", "bird", "--timeout", "0", NULL }, "timeout");
	expect_config_error((char *[]){ "--announce", "x 'y", "--withdraw", "z", NULL },
	                    "unterminated");
	expect_config_error((char *[]){ "--announce", "x", NULL }, "no withdraw action");
	expect_config_error((char *[]){ "--frobnicate", NULL }, "--frobnicate");
	expect_config_error((char *[]){ "--profile", "bird", "--prepend", "17", NULL }, "prepend");
	expect_config_error(
	    (char *[]){ "--profile", "gobgp", "--prefix", PREFIX, "--prepend", "2", NULL },
	    "prepend-as");
	expect_config_error(
	    (char *[]){ "--announce", "a", "--withdraw", "w", "--prepend", "2", NULL },
	    "no prepend action");
	expect_config_error((char *[]){ "--profile", "bird", "--prepend-command", "p", NULL },
	                    "need prepend");
	expect_config_error((char *[]){ "-c", "/nonexistent/announce.conf", NULL },
	                    "/nonexistent/announce.conf");

	char *dir = harness_tmpdir("announce-conf");
	harness_cleanup_dir(dir);
	char *conf = harness_strdupf("%s/announce.conf", dir);
	ck_assert_int_eq(harness_write_file(conf, "announce:\n    profile: bird\n"
	                                          "    hold-down: soon\n"),
	                 0);
	expect_config_error((char *[]){ "-c", conf, NULL }, "announce.conf:3");
	ck_assert_int_eq(harness_write_file(conf, "syncd:\n    listen: 127.0.0.1:80\n"), 0);
	expect_config_error((char *[]){ "-c", conf, NULL }, "unknown section");

	/* --help and --version exit 0. */
	char *binary = harness_build_path("announce/mecdns-announce");
	char *output = NULL;
	ck_assert_int_eq(harness_run((char *[]){ binary, "--help", NULL }, NULL, &output, 10000),
	                 0);
	ck_assert_ptr_nonnull(strstr(output, "--hold-down"));
	free(output);
	ck_assert_int_eq(harness_run((char *[]){ binary, "--version", NULL }, NULL, &output, 10000),
	                 0);
	ck_assert_ptr_nonnull(strstr(output, "mecdns-announce "));
	free(output);
	free(binary);
	free(conf);
	free(dir);
}
END_TEST

/*** A BGP pair of BIRD 2 daemons on loopback. ***/

typedef struct {
	harness_proc_t proc;
	char *conf;
	char *sock;
	char *pidfile;
} bird_t;

typedef struct {
	char *dir;
	int speaker_port;
	int peer_port;
	bird_t speaker; /*!< Driven by mecdns-announce. */
	bird_t peer;    /*!< Read by the test. */
} bgp_pair_t;

/*! BGP timers of both sides: seconds, short so that tests take seconds. */
#define BGP_TIMERS                                                                                 \
	"    connect delay time 1;\n"                                                              \
	"    connect retry time 1;\n"                                                              \
	"    error wait time 1, 2;\n"                                                              \
	"    hold time 3;\n"                                                                       \
	"    keepalive time 1;\n"                                                                  \
	"    multihop;\n"

static void bird_start(bird_t *bird, const char *dir, const char *name, const char *config)
{
	bird->conf = harness_strdupf("%s/%s.conf", dir, name);
	bird->sock = harness_strdupf("%s/%s.ctl", dir, name);
	bird->pidfile = harness_strdupf("%s/%s.pid", dir, name);
	char *log = harness_strdupf("%s/%s.log", dir, name);
	ck_assert_int_eq(harness_write_file(bird->conf, config), 0);
	char *argv[] = { (char *)bird_path, "-f", "-c",          bird->conf, "-s",
		         bird->sock,        "-P", bird->pidfile, NULL };
	ck_assert_int_eq(harness_spawn(&bird->proc, name, argv, NULL, log), 0);
	if (harness_wait_path(bird->sock, WAIT_MS) != 0) {
		harness_dump_log(&bird->proc);
		ck_abort_msg("BIRD %s did not open its control socket", name);
	}
	free(log);
}

/*! \brief Runs birdc on a control socket; returns its exit status. */
static int birdc(const char *sock, char **output, const char *cmd1, const char *cmd2,
                 const char *cmd3, const char *cmd4)
{
	char *argv[] = { (char *)birdc_path, "-s",         (char *)sock, (char *)cmd1,
		         (char *)cmd2,       (char *)cmd3, (char *)cmd4, NULL };
	return harness_run(argv, NULL, output, 10000);
}

/*! \brief Whether the peer's session with the speaker is Established. */
static bool peer_established(bgp_pair_t *pair)
{
	char *output = NULL;
	birdc(pair->peer.sock, &output, "show", "protocols", "from_speaker", NULL);
	bool up = output != NULL && strstr(output, "Established") != NULL;
	free(output);
	return up;
}

static void bgp_try_start(bgp_pair_t *pair);
static bool bgp_wait_established(bgp_pair_t *pair, bool retry);
static void bgp_kill(bgp_pair_t *pair);

/*! \brief Starts both BIRDs and waits for the BGP session. */
static void bgp_start(bgp_pair_t *pair)
{
	memset(pair, 0, sizeof(*pair));
	pair->dir = harness_tmpdir("announce-bgp");
	ck_assert_ptr_nonnull(pair->dir);
	harness_cleanup_dir(pair->dir);
	/* A free port may be taken by someone else before BIRD binds it: then
	 * both start again on new ports. */
	for (int attempt = 1;; attempt++) {
		bgp_try_start(pair);
		if (bgp_wait_established(pair, attempt < 3)) {
			return;
		}
		bgp_kill(pair);
	}
}

/*! \brief Stops both BIRDs of a failed start (the directory stays). */
static void bgp_kill(bgp_pair_t *pair)
{
	bird_t *birds[] = { &pair->speaker, &pair->peer };
	for (size_t i = 0; i < 2; i++) {
		if (birds[i]->proc.pid != 0) {
			harness_stop(&birds[i]->proc, 5000);
		}
		free(birds[i]->conf);
		free(birds[i]->sock);
		free(birds[i]->pidfile);
		memset(birds[i], 0, sizeof(*birds[i]));
	}
}

/*! \brief Whether a BIRD could not bind its port. */
static bool bird_port_taken(const bird_t *bird)
{
	char *log = harness_read_file(bird->proc.log_path);
	bool taken = log != NULL && strstr(log, "Address already in use") != NULL;
	free(log);
	return taken;
}

/*! \brief Waits for the session; false when a port was taken and retry is
 *         allowed, else aborts the test after 15 s. */
static bool bgp_wait_established(bgp_pair_t *pair, bool retry)
{
	long long deadline = harness_now_ms() + 15000;
	while (!peer_established(pair)) {
		if (retry && (bird_port_taken(&pair->peer) || bird_port_taken(&pair->speaker))) {
			fprintf(stderr, "announce: a BGP port was taken, retrying on new ones\n");
			return false;
		}
		if (harness_now_ms() > deadline) {
			harness_dump_log(&pair->speaker.proc);
			harness_dump_log(&pair->peer.proc);
			ck_abort_msg("the BGP session did not come up");
		}
		harness_sleep_ms(100);
	}
	return true;
}

/*! \brief Writes both configurations on new free ports and starts both. */
static void bgp_try_start(bgp_pair_t *pair)
{
	pair->speaker_port = harness_free_port(SPEAKER_ADDR);
	pair->peer_port = harness_free_port(PEER_ADDR);
	ck_assert_int_gt(pair->speaker_port, 0);
	ck_assert_int_gt(pair->peer_port, 0);

	char *speaker = harness_strdupf(
	    "log stderr all;\n"
	    "router id " SPEAKER_ADDR ";\n"
	    "protocol device { }\n"
	    "# The service route: only in BIRD's own table, exported while enabled.\n"
	    "protocol static " STATIC_PROTOCOL " {\n"
	    "    disabled;\n"
	    "    ipv4;\n"
	    "    route " PREFIX " blackhole;\n"
	    "}\n"
	    "# The same route, preferred while enabled, exported with a longer path.\n"
	    "protocol static " STATIC_PROTOCOL "_prepend {\n"
	    "    disabled;\n"
	    "    ipv4 { preference 300; };\n"
	    "    route " PREFIX " blackhole;\n"
	    "}\n"
	    "protocol bgp to_peer {\n"
	    "    local " SPEAKER_ADDR " port %d as 64512;\n"
	    "    neighbor " PEER_ADDR " port %d as 64513;\n" BGP_TIMERS
	    "    ipv4 { import none; export filter {\n"
	    "        if proto = \"" STATIC_PROTOCOL "_prepend\" then {\n"
	    "            bgp_path.prepend(64512); bgp_path.prepend(64512);\n"
	    "            bgp_path.prepend(64512); accept;\n"
	    "        }\n"
	    "        if proto = \"" STATIC_PROTOCOL "\" then accept;\n"
	    "        reject;\n"
	    "    }; };\n"
	    "}\n",
	    pair->speaker_port, pair->peer_port);
	char *peer = harness_strdupf("log stderr all;\n"
	                             "router id " PEER_ADDR ";\n"
	                             "protocol device { }\n"
	                             "protocol bgp from_speaker {\n"
	                             "    local " PEER_ADDR " port %d as 64513;\n"
	                             "    neighbor " SPEAKER_ADDR " port %d as 64512;\n"
	                             "    passive on;\n" BGP_TIMERS
	                             "    ipv4 { import all; export none; };\n"
	                             "}\n",
	                             pair->peer_port, pair->speaker_port);
	bird_start(&pair->peer, pair->dir, "peer", peer);
	bird_start(&pair->speaker, pair->dir, "speaker", speaker);
	free(speaker);
	free(peer);
}

static void bgp_stop(bgp_pair_t *pair)
{
	bird_t *birds[] = { &pair->speaker, &pair->peer };
	for (size_t i = 0; i < 2; i++) {
		if (birds[i]->proc.pid != 0) {
			harness_stop(&birds[i]->proc, 5000);
		}
		free(birds[i]->conf);
		free(birds[i]->sock);
		free(birds[i]->pidfile);
	}
	harness_rmtree(pair->dir);
	free(pair->dir);
	memset(pair, 0, sizeof(*pair));
}

/*! \brief Whether the peer has the service prefix from the speaker. */
static bool peer_has_prefix(bgp_pair_t *pair)
{
	char *output = NULL;
	int status = birdc(pair->peer.sock, &output, "show", "route", "for", PREFIX);
	bool found = status == 0 && output != NULL && strstr(output, PREFIX) != NULL &&
	             strstr(output, "from_speaker") != NULL;
	free(output);
	return found;
}

/*! \brief How many AS numbers the peer's route to the prefix has in its
 *         path (0: no route). */
static int peer_path_length(bgp_pair_t *pair)
{
	char *output = NULL;
	birdc(pair->peer.sock, &output, "show", "route", "all", "for " PREFIX);
	const char *line = output != NULL ? strstr(output, "BGP.as_path:") : NULL;
	int count = 0;
	if (line != NULL) {
		const char *p = line + strlen("BGP.as_path:");
		const char *end = strchr(p, '\n');
		while (p != NULL && *p != '\0' && (end == NULL || p < end)) {
			while (*p == ' ') {
				p++;
			}
			if (*p >= '0' && *p <= '9') {
				count++;
				while (*p >= '0' && *p <= '9') {
					p++;
				}
			} else {
				break;
			}
		}
	}
	free(output);
	return count;
}

/*! \brief Waits until the peer's path has length AS numbers. */
static bool wait_path_length(bgp_pair_t *pair, int length, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		if (peer_path_length(pair) == length) {
			return true;
		}
		harness_sleep_ms(50);
	} while (harness_now_ms() < deadline);
	return false;
}

/*! \brief Waits until the peer has (present) or lacks the prefix. */
static bool wait_prefix(bgp_pair_t *pair, bool present, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		if (peer_has_prefix(pair) == present) {
			return true;
		}
		harness_sleep_ms(50);
	} while (harness_now_ms() < deadline);
	return false;
}

/*! \brief The peer's "Import updates" and "Import withdraws" received from
 *         the speaker (BIRD's route change statistics), -1 if not shown. */
static void peer_import_counts(bgp_pair_t *pair, long *updates, long *withdraws)
{
	*updates = -1;
	*withdraws = -1;
	char *output = NULL;
	birdc(pair->peer.sock, &output, "show", "protocols", "all", "from_speaker");
	const char *line = output != NULL ? strstr(output, "Import updates:") : NULL;
	if (line != NULL) {
		*updates = strtol(line + strlen("Import updates:"), NULL, 10);
	}
	line = output != NULL ? strstr(output, "Import withdraws:") : NULL;
	if (line != NULL) {
		*withdraws = strtol(line + strlen("Import withdraws:"), NULL, 10);
	}
	free(output);
}

/*** A fake mecdns-syncd: owns the name, answers GetState, emits signals. ***/

typedef struct {
	pthread_t thread;
	pthread_mutex_t lock;
	DBusConnection *conn; /*!< Used by the thread only once it runs. */
	atomic_bool stop;
	bool serving;         /*!< What GetState answers. */
	bool knows_get_state; /*!< false: GetState is an unknown method. */
	char pending[64];     /*!< Signals to emit: 't', 'f' (serving), 's'. */
	size_t pending_len;
	atomic_uint get_state_calls;
} fake_syncd_t;

static DBusHandlerResult fake_filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	fake_syncd_t *fake = data;
	if (!dbus_message_is_method_call(msg, "org.mecdns.syncd.state", "GetState")) {
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	atomic_fetch_add(&fake->get_state_calls, 1);
	pthread_mutex_lock(&fake->lock);
	dbus_bool_t serving = fake->serving;
	bool known = fake->knows_get_state;
	pthread_mutex_unlock(&fake->lock);
	DBusMessage *reply = NULL;
	if (!known) {
		reply = dbus_message_new_error(msg, DBUS_ERROR_UNKNOWN_METHOD, "no GetState here");
	} else {
		reply = dbus_message_new_method_return(msg);
		DBusMessageIter iter, dict, entry, variant;
		dbus_message_iter_init_append(reply, &iter);
		dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
		const char *keys[] = { "server_running", "serving" };
		for (size_t i = 0; i < 2; i++) {
			dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &keys[i]);
			dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "b", &variant);
			dbus_message_iter_append_basic(&variant, DBUS_TYPE_BOOLEAN, &serving);
			dbus_message_iter_close_container(&entry, &variant);
			dbus_message_iter_close_container(&dict, &entry);
		}
		dbus_message_iter_close_container(&iter, &dict);
	}
	dbus_connection_send(conn, reply, NULL);
	dbus_message_unref(reply);
	return DBUS_HANDLER_RESULT_HANDLED;
}

/*! \brief Emits one queued signal. */
static void fake_emit(fake_syncd_t *fake, char what)
{
	DBusMessage *msg = dbus_message_new_signal(SYNCD_PATH, "org.mecdns.syncd.events",
	                                           what == 's' ? "shutting_down" : "serving");
	if (what != 's') {
		dbus_bool_t value = what == 't';
		dbus_message_append_args(msg, DBUS_TYPE_BOOLEAN, &value, DBUS_TYPE_INVALID);
	}
	dbus_connection_send(fake->conn, msg, NULL);
	dbus_message_unref(msg);
}

static void *fake_thread(void *data)
{
	fake_syncd_t *fake = data;
	while (!atomic_load(&fake->stop) && dbus_connection_read_write_dispatch(fake->conn, 10)) {
		pthread_mutex_lock(&fake->lock);
		for (size_t i = 0; i < fake->pending_len; i++) {
			fake_emit(fake, fake->pending[i]);
		}
		fake->pending_len = 0;
		pthread_mutex_unlock(&fake->lock);
		dbus_connection_flush(fake->conn);
	}
	return NULL;
}

/*! \brief Connects to the bus, takes org.mecdns.syncd, starts answering. */
static fake_syncd_t *fake_syncd_start(const char *address, bool serving)
{
	fake_syncd_t *fake = calloc(1, sizeof(*fake));
	ck_assert_ptr_nonnull(fake);
	pthread_mutex_init(&fake->lock, NULL);
	fake->serving = serving;
	fake->knows_get_state = true;
	DBusError err;
	dbus_error_init(&err);
	fake->conn = dbus_connection_open_private(address, &err);
	ck_assert_msg(fake->conn != NULL && dbus_bus_register(fake->conn, &err), "fake syncd: %s",
	              err.message);
	dbus_connection_set_exit_on_disconnect(fake->conn, FALSE);
	int ret = dbus_bus_request_name(fake->conn, SYNCD_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err);
	ck_assert_msg(ret == DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER, "fake syncd: name: %s",
	              err.message != NULL ? err.message : "not the owner");
	dbus_connection_add_filter(fake->conn, fake_filter, fake, NULL);
	ck_assert_int_eq(pthread_create(&fake->thread, NULL, fake_thread, fake), 0);
	return fake;
}

/*! \brief Changes the state: GetState answers it, a serving signal says it. */
static void fake_syncd_set_serving(fake_syncd_t *fake, bool serving)
{
	pthread_mutex_lock(&fake->lock);
	fake->serving = serving;
	if (fake->pending_len < sizeof(fake->pending)) {
		fake->pending[fake->pending_len++] = serving ? 't' : 'f';
	}
	pthread_mutex_unlock(&fake->lock);
}

static void fake_syncd_shutting_down(fake_syncd_t *fake)
{
	pthread_mutex_lock(&fake->lock);
	fake->pending[fake->pending_len++] = 's';
	pthread_mutex_unlock(&fake->lock);
}

/*! \brief Leaves the bus (the name loses its owner), frees. */
static void fake_syncd_stop(fake_syncd_t *fake)
{
	atomic_store(&fake->stop, true);
	pthread_join(fake->thread, NULL);
	dbus_connection_close(fake->conn);
	dbus_connection_unref(fake->conn);
	pthread_mutex_destroy(&fake->lock);
	free(fake);
}

/*** mecdns-announce. ***/

typedef struct {
	harness_proc_t proc;
	char *log;
} announcer_t;

/*!
 * \brief Starts mecdns-announce with the BIRD profile on the speaker.
 *
 * \param extra  More arguments (NULL-terminated list, may be NULL).
 */
static void announcer_start(announcer_t *announcer, const char *bus_address, bgp_pair_t *pair,
                            int hold_down_ms, char *const extra[])
{
	char *binary = harness_build_path("announce/mecdns-announce");
	char *hold_down = harness_strdupf("%d", hold_down_ms);
	announcer->log = harness_strdupf("%s/announce.log", pair->dir);
	char *argv[32] = { binary,
		           "--dbus",
		           (char *)bus_address,
		           "--profile",
		           "bird",
		           "--client",
		           (char *)birdc_path,
		           "--bird-socket",
		           pair->speaker.sock,
		           "--bird-protocol",
		           STATIC_PROTOCOL,
		           "--prefix",
		           PREFIX,
		           "--hold-down",
		           hold_down,
		           "--timeout",
		           "5000",
		           "--retry",
		           "200",
		           "--retry-max",
		           "1000",
		           "--log-level",
		           "debug" };
	size_t argc = 23;
	for (size_t i = 0; extra != NULL && extra[i] != NULL && argc < 31; i++) {
		argv[argc++] = extra[i];
	}
	argv[argc] = NULL;
	ck_assert_int_eq(
	    harness_spawn(&announcer->proc, "mecdns-announce", argv, NULL, announcer->log), 0);
	free(hold_down);
	free(binary);
}

static bool announcer_log_contains(const announcer_t *announcer, const char *needle)
{
	char *text = harness_read_file(announcer->log);
	bool found = text != NULL && strstr(text, needle) != NULL;
	free(text);
	return found;
}

/*! \brief How often needle occurs in the announcer's log. */
static int announcer_log_count(const announcer_t *announcer, const char *needle)
{
	char *text = harness_read_file(announcer->log);
	int count = 0;
	for (const char *p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
		count++;
	}
	free(text);
	return count;
}

static bool announcer_wait_log(const announcer_t *announcer, const char *needle, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		if (announcer_log_contains(announcer, needle)) {
			return true;
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return false;
}

/*! \brief Stops the announcer with SIGTERM; returns its exit status. */
static int announcer_stop(announcer_t *announcer)
{
	int status = harness_stop(&announcer->proc, WAIT_MS);
	free(announcer->log);
	announcer->log = NULL;
	return status;
}

/*! \brief A failure message with the logs of everything involved. */
static void dump_all(const announcer_t *announcer, const bgp_pair_t *pair)
{
	harness_dump_log(&announcer->proc);
	harness_dump_log(&pair->speaker.proc);
	harness_dump_log(&pair->peer.proc);
}

#define ASSERT_PREFIX(announcer, pair, present, timeout_ms, msg)                                   \
	do {                                                                                       \
		if (!wait_prefix((pair), (present), (timeout_ms))) {                               \
			dump_all((announcer), (pair));                                             \
			ck_abort_msg("%s", (msg));                                                 \
		}                                                                                  \
	} while (0)

/*** With a fake syncd: exact control of serving. ***/

static harness_dbus_t bus;
static bgp_pair_t pair;
static announcer_t announcer;

static void fake_setup(void)
{
	memset(&bus, 0, sizeof(bus));
	ck_assert_int_eq(harness_dbus_start(&bus, NULL), 0);
	harness_cleanup_dir(bus.dir);
	bgp_start(&pair);
	memset(&announcer, 0, sizeof(announcer));
}

static void fake_teardown(void)
{
	if (announcer.proc.pid != 0) {
		announcer_stop(&announcer);
	}
	bgp_stop(&pair);
	harness_dbus_free(&bus);
}

START_TEST(test_prefix_follows_the_serving_signal)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, false);
	announcer_start(&announcer, bus.address, &pair, 200, NULL);
	ck_assert(announcer_wait_log(&announcer, "withdraw " PREFIX ": done", WAIT_MS));
	ck_assert(!peer_has_prefix(&pair));

	fake_syncd_set_serving(fake, true);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "serving true: the peer did not learn");
	fake_syncd_set_serving(fake, false);
	ASSERT_PREFIX(&announcer, &pair, false, WAIT_MS, "serving false: the peer kept it");
	fake_syncd_set_serving(fake, true);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "serving true again: not learnt");

	/* A clean stop withdraws first and exits 0. */
	ck_assert_int_eq(announcer_stop(&announcer), 0);
	/* The peer learns the withdrawal over BGP: eventually, not at once. */
	ASSERT_PREFIX(&announcer, &pair, false, WAIT_MS, "not withdrawn after the stop");
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_announcer_started_last_announces_from_get_state)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	announcer_start(&announcer, bus.address, &pair, 200, NULL);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "GetState said serving: not announced");
	ck_assert_uint_ge(atomic_load(&fake->get_state_calls), 1);
	ck_assert(announcer_log_contains(&announcer, "serving (GetState)"));
	ck_assert_int_eq(announcer_stop(&announcer), 0);
	/* The peer learns the withdrawal over BGP: eventually, not at once. */
	ASSERT_PREFIX(&announcer, &pair, false, WAIT_MS, "not withdrawn after the stop");
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_syncd_started_after_the_announcer_is_asked_for_its_state)
{
	announcer_start(&announcer, bus.address, &pair, 200, NULL);
	ck_assert(announcer_wait_log(&announcer, "is not on the bus yet", WAIT_MS));
	harness_sleep_ms(300);
	ck_assert(!peer_has_prefix(&pair));
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "syncd appeared serving: not announced");
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_shutting_down_withdraws_before_syncd_leaves)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	announcer_start(&announcer, bus.address, &pair, 200, NULL);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "not announced");
	/* syncd stays on the bus: the withdraw comes from shutting_down alone. */
	fake_syncd_shutting_down(fake);
	ASSERT_PREFIX(&announcer, &pair, false, WAIT_MS, "shutting_down: not withdrawn");
	ck_assert(announcer_log_contains(&announcer, "not serving (shutting_down signal)"));
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_syncd_leaving_the_bus_withdraws_and_its_return_announces)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	announcer_start(&announcer, bus.address, &pair, 200, NULL);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "not announced");
	/* Gone without a word (a crash): NameOwnerChanged. */
	fake_syncd_stop(fake);
	ASSERT_PREFIX(&announcer, &pair, false, WAIT_MS, "syncd left: not withdrawn");
	ck_assert(announcer_log_contains(&announcer, "org.mecdns.syncd left the bus"));
	fake = fake_syncd_start(bus.address, true);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "syncd is back: not announced");
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_lost_bus_withdraws_and_reconnect_announces_again)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	announcer_start(&announcer, bus.address, &pair, 200, NULL);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "not announced");
	fake_syncd_stop(fake);
	/* The syncd-left withdraw may come first; wait for it, then announce
	 * again, then take the bus away with syncd on it. */
	ASSERT_PREFIX(&announcer, &pair, false, WAIT_MS, "syncd left: not withdrawn");
	fake = fake_syncd_start(bus.address, true);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "syncd back: not announced");

	harness_dbus_stop(&bus);
	ASSERT_PREFIX(&announcer, &pair, false, WAIT_MS, "bus lost: not withdrawn");
	ck_assert(announcer_log_contains(&announcer, "not serving (bus connection lost)"));
	fake_syncd_stop(fake);

	ck_assert_int_eq(harness_dbus_restart(&bus), 0);
	fake = fake_syncd_start(bus.address, true);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "bus back: not announced again");
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_get_state_errors_are_retried_and_signals_still_count)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	pthread_mutex_lock(&fake->lock);
	fake->knows_get_state = false;
	pthread_mutex_unlock(&fake->lock);
	announcer_start(&announcer, bus.address, &pair, 0, NULL);
	ck_assert(announcer_wait_log(&announcer, "GetState of org.mecdns.syncd failed", WAIT_MS));
	long long deadline = harness_now_ms() + WAIT_MS;
	while (atomic_load(&fake->get_state_calls) < 3 && harness_now_ms() < deadline) {
		harness_sleep_ms(50);
	}
	ck_assert_uint_ge(atomic_load(&fake->get_state_calls), 3);
	ck_assert(!peer_has_prefix(&pair));
	/* One log line for a problem that repeats. */
	ck_assert_int_eq(announcer_log_count(&announcer, "GetState of org.mecdns.syncd failed"), 1);
	fake_syncd_set_serving(fake, true);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "serving signal: not announced");
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_flapping_serving_is_held_down)
{
	const int hold_down = 1500;
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	announcer_start(&announcer, bus.address, &pair, hold_down, NULL);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "not announced");
	long updates_before = 0, withdraws_before = 0;
	peer_import_counts(&pair, &updates_before, &withdraws_before);
	ck_assert_int_eq(updates_before, 1);

	/* 3 s of flapping, never true for as long as the hold-down. */
	bool seen_after_first_withdraw = false;
	bool withdrawn = false;
	long long stable_since = 0;
	for (int i = 0; i < 12; i++) {
		bool serving = i % 2 == 1;
		fake_syncd_set_serving(fake, serving);
		stable_since = harness_now_ms();
		long long until = stable_since + 250;
		while (i < 11 && harness_now_ms() < until) {
			bool has = peer_has_prefix(&pair);
			withdrawn = withdrawn || !has;
			seen_after_first_withdraw = seen_after_first_withdraw || (withdrawn && has);
			harness_sleep_ms(20);
		}
	}
	ck_assert_msg(withdrawn, "the first false did not withdraw");
	ck_assert_msg(!seen_after_first_withdraw, "the peer saw the prefix again while flapping");

	/* Stable now: announced once, not before the hold-down passed. */
	ASSERT_PREFIX(&announcer, &pair, true, hold_down + WAIT_MS, "stable: not announced");
	ck_assert_int_ge(harness_now_ms() - stable_since, hold_down - 100);
	long updates = 0, withdraws = 0;
	peer_import_counts(&pair, &updates, &withdraws);
	ck_assert_msg(updates == updates_before + 1 && withdraws == withdraws_before + 1,
	              "peer saw %ld updates, %ld withdraws during and after flapping "
	              "(expected 1 and 1)",
	              updates - updates_before, withdraws - withdraws_before);
	ck_assert_int_eq(announcer_log_count(&announcer, "announce " PREFIX ": done"), 2);
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_failing_command_is_retried_until_it_succeeds)
{
	/* The speaker's control socket is not there yet: birdc fails. */
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	char *sock = pair.speaker.sock;
	char *moved = harness_strdupf("%s/speaker-hidden.ctl", pair.dir);
	ck_assert_int_eq(rename(sock, moved), 0);
	announcer_start(&announcer, bus.address, &pair, 0, NULL);
	ck_assert(announcer_wait_log(&announcer, "failed (2 in a row)", WAIT_MS));
	ck_assert(announcer_log_contains(&announcer, "Unable to connect to server control socket"));
	ck_assert(!peer_has_prefix(&pair));
	ck_assert_int_eq(rename(moved, sock), 0);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "socket back: not announced");
	free(moved);
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_hanging_command_is_killed_after_the_timeout)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	char *binary = harness_build_path("announce/mecdns-announce");
	char *mark = harness_strdupf("%s/withdrawn", pair.dir);
	char *withdraw = harness_strdupf("touch %s", mark);
	char *log = harness_strdupf("%s/announce.log", pair.dir);
	announcer.log = log;
	char *argv[] = { binary,       "--dbus",      bus.address, "--announce", "sleep 30",
		         "--withdraw", withdraw,      "--timeout", "300",        "--retry",
		         "100",        "--hold-down", "0",         NULL };
	ck_assert_int_eq(harness_spawn(&announcer.proc, "mecdns-announce", argv, NULL, log), 0);
	ck_assert(announcer_wait_log(&announcer, "killed after 300 ms", WAIT_MS));
	ck_assert(announcer_wait_log(&announcer, "announce failed (2 in a row)", WAIT_MS));
	/* serving false: the withdraw runs at once, not after the backoff. */
	unlink(mark);
	fake_syncd_set_serving(fake, false);
	ck_assert_int_eq(harness_wait_path(mark, WAIT_MS), 0);
	ck_assert_int_eq(announcer_stop(&announcer), 0);
	free(withdraw);
	free(mark);
	free(binary);
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_commands_run_without_a_shell_unless_asked)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, false);
	char *binary = harness_build_path("announce/mecdns-announce");
	char *out = harness_strdupf("%s/out", pair.dir);
	/* Without a shell, "$HOME" and ">" are plain words given to printf. */
	char *withdraw = harness_strdupf("sh -c 'printf \"%%s|\" \"$@\" > %s' x $HOME '>' y", out);
	char *log = harness_strdupf("%s/announce.log", pair.dir);
	announcer.log = log;
	char *argv[] = { binary, "--dbus",     bus.address, "--announce",
		         "true", "--withdraw", withdraw,    NULL };
	ck_assert_int_eq(harness_spawn(&announcer.proc, "mecdns-announce", argv, NULL, log), 0);
	ck_assert_int_eq(harness_wait_path(out, WAIT_MS), 0);
	harness_sleep_ms(100);
	char *text = harness_read_file(out);
	ck_assert_str_eq(text, "$HOME|>|y|");
	free(text);
	ck_assert_int_eq(announcer_stop(&announcer), 0);

	/* With --shell the string goes to /bin/sh -c. */
	unlink(out);
	char *shell_withdraw = harness_strdupf("echo shell-$((1+1)) > %s", out);
	char *argv2[] = { binary,       "--dbus",       bus.address, "--announce", "true",
		          "--withdraw", shell_withdraw, "--shell",   NULL };
	announcer.log = harness_strdupf("%s/announce.log", pair.dir);
	ck_assert_int_eq(
	    harness_spawn(&announcer.proc, "mecdns-announce", argv2, NULL, announcer.log), 0);
	ck_assert_int_eq(harness_wait_path(out, WAIT_MS), 0);
	harness_sleep_ms(100);
	text = harness_read_file(out);
	ck_assert_str_eq(text, "shell-2\n");
	free(text);
	free(shell_withdraw);
	free(withdraw);
	free(out);
	free(binary);
	fake_syncd_stop(fake);
}
END_TEST

START_TEST(test_stop_exits_1_when_the_withdraw_keeps_failing)
{
	char *binary = harness_build_path("announce/mecdns-announce");
	announcer.log = harness_strdupf("%s/announce.log", pair.dir);
	char *argv[] = { binary,  "--dbus",    bus.address, "--announce", "true", "--withdraw",
		         "false", "--timeout", "200",       "--retry",    "100",  NULL };
	ck_assert_int_eq(
	    harness_spawn(&announcer.proc, "mecdns-announce", argv, NULL, announcer.log), 0);
	ck_assert(announcer_wait_log(&announcer, "withdraw failed (2 in a row)", WAIT_MS));
	long long start = harness_now_ms();
	ck_assert_int_eq(announcer_stop(&announcer), 1);
	/* Within 2 * timeout + retry (500 ms), plus scheduling slack. */
	ck_assert_int_lt(harness_now_ms() - start, 3000);
	free(binary);
}
END_TEST

START_TEST(test_config_file_drives_the_bird_profile)
{
	fake_syncd_t *fake = fake_syncd_start(bus.address, true);
	char *conf = harness_strdupf("%s/announce.conf", pair.dir);
	char *text = harness_strdupf("# as in mecdns-announce.conf.example\n"
	                             "announce:\n"
	                             "    dbus: %s\n"
	                             "    profile: bird\n"
	                             "    client: %s\n"
	                             "    bird-socket: %s\n"
	                             "    bird-protocol: " STATIC_PROTOCOL "\n"
	                             "    prefix: " PREFIX "\n"
	                             "    hold-down: 100\n"
	                             "    timeout: 5000\n",
	                             bus.address, birdc_path, pair.speaker.sock);
	ck_assert_int_eq(harness_write_file(conf, text), 0);
	char *binary = harness_build_path("announce/mecdns-announce");
	announcer.log = harness_strdupf("%s/announce.log", pair.dir);
	char *argv[] = { binary, "-c", conf, NULL };
	ck_assert_int_eq(
	    harness_spawn(&announcer.proc, "mecdns-announce", argv, NULL, announcer.log), 0);
	ASSERT_PREFIX(&announcer, &pair, true, WAIT_MS, "config file: not announced");
	ck_assert(announcer_log_contains(&announcer, "hold-down 100 ms"));
	ck_assert_int_eq(announcer_stop(&announcer), 0);
	/* The peer learns the withdrawal over BGP: eventually, not at once. */
	ASSERT_PREFIX(&announcer, &pair, false, WAIT_MS, "not withdrawn after the stop");
	free(binary);
	free(text);
	free(conf);
	fake_syncd_stop(fake);
}
END_TEST

/*** The real stack: mecdns-syncd watching a real knotd with the module. ***/

typedef struct {
	char *dir;
	char *db;
	knotd_t knotd;
	char *knotd_conf; /*!< Kept to start the same knotd again. */
	char *knotd_log;
	harness_proc_t syncd;
} stack_fixture_t;

static stack_fixture_t stack;

/*! Extra mecdns-syncd arguments of the next stack_setup() (NULL: none). */
static const char *const *stack_syncd_extra;

/*! \brief Starts (or starts again) knotd with the configuration of the
 *         first start, at the same control socket, and waits until it
 *         answers the control socket. */
static void stack_knotd_restart(void)
{
	ck_assert_int_eq(knotd_spawn(&stack.knotd.proc, stack.knotd_conf, NULL, stack.knotd_log),
	                 0);
	long long deadline = harness_now_ms() + WAIT_MS;
	while (knotd_ctl(&stack.knotd, NULL, "status", (char *)NULL) != 0) {
		ck_assert_msg(harness_now_ms() < deadline, "knotd did not come back");
		harness_sleep_ms(50);
	}
}

static void stack_syncd_start(void)
{
	char *listen = harness_strdupf("127.0.0.1:%d", harness_free_port("127.0.0.1"));
	char *sock = harness_strdupf("%s/knot.sock", stack.knotd.dir);
	char *log = harness_strdupf("%s/syncd.log", stack.dir);
	const char *args[16] = { "--database",    stack.db, "--dbus",      bus.address,
		                 "--knot-socket", sock,     "--knot-dbus", "none",
		                 "--log-level",   "debug" };
	size_t n = 10;
	for (size_t i = 0; stack_syncd_extra != NULL && stack_syncd_extra[i] != NULL && n < 15;
	     i++) {
		args[n++] = stack_syncd_extra[i];
	}
	ck_assert_int_eq(harness_syncd_spawn(&stack.syncd, listen, args, NULL, log), 0);
	free(log);
	free(sock);
	free(listen);
}

static void stack_setup(void)
{
	memset(&stack, 0, sizeof(stack));
	fake_setup();
	stack.dir = harness_tmpdir("announce-stack");
	harness_cleanup_dir(stack.dir);
	stack.db = harness_strdupf("%s/mecdns.db", stack.dir);
	/* knotd first: syncd's --knot-socket is in knotd's directory. The
	 * module waits for the database, which syncd creates. */
	knotd_config_t config = {
		.tag = "announce",
		.database = stack.db,
		.global_module = true,
		.zones = { { .domain = "example.test.",
		             .content =
		                 "@ 3600 SOA ns.example.test. admin.example.test. 1 3600 900 "
		                 "604800 300\n@ 3600 NS ns.example.test.\n"
		                 "ns 3600 A 127.0.0.1\n" } },
	};
	ck_assert_int_eq(knotd_start(&stack.knotd, &config), 0);
	harness_cleanup_dir(stack.knotd.dir);
	stack_syncd_start();
	stack.knotd_conf = strdup(stack.knotd.conf_path);
	stack.knotd_log = strdup(stack.knotd.proc.log_path);
}

static void stack_teardown(void)
{
	if (announcer.proc.pid != 0) {
		announcer_stop(&announcer);
	}
	harness_syncd_stop(&stack.syncd, WAIT_MS);
	knotd_stop(&stack.knotd);
	free(stack.knotd_conf);
	free(stack.knotd_log);
	harness_rmtree(stack.dir);
	free(stack.dir);
	free(stack.db);
	fake_teardown();
}

/*! \brief All logs of the stack, for a failing assertion. */
static void stack_dump(void)
{
	harness_dump_log(&stack.syncd);
	knotd_dump_log(&stack.knotd);
}

#define ASSERT_STACK_PREFIX(present, timeout_ms, msg)                                              \
	do {                                                                                       \
		if (!wait_prefix(&pair, (present), (timeout_ms))) {                                \
			stack_dump();                                                              \
			dump_all(&announcer, &pair);                                               \
			ck_abort_msg("%s", (msg));                                                 \
		}                                                                                  \
	} while (0)

START_TEST(test_stack_prefix_is_announced_exactly_while_knotd_serves)
{
	announcer_start(&announcer, bus.address, &pair, 300, NULL);
	ASSERT_STACK_PREFIX(true, 3 * WAIT_MS, "stack up: the peer did not learn the prefix");

	harness_stop(&stack.knotd.proc, WAIT_MS);
	ASSERT_STACK_PREFIX(false, 3 * WAIT_MS, "knotd stopped: the peer kept the prefix");

	stack_knotd_restart();
	ASSERT_STACK_PREFIX(true, 3 * WAIT_MS, "knotd back: the peer did not learn it again");

	/* syncd stops: shutting_down withdraws before it leaves the bus. */
	harness_signal(&stack.syncd, SIGTERM);
	ASSERT_STACK_PREFIX(false, WAIT_MS, "syncd stopped: the peer kept the prefix");
	ck_assert_int_eq(harness_wait_exit(&stack.syncd, WAIT_MS), 0);
	ck_assert(announcer_wait_log(&announcer, "left the bus", WAIT_MS));
	char *text = harness_read_file(announcer.log);
	const char *shutting = strstr(text, "not serving (shutting_down signal)");
	const char *left = strstr(text, "org.mecdns.syncd (");
	if (shutting == NULL || (left != NULL && left < shutting)) {
		fprintf(stderr, "%s\n", text);
		ck_abort_msg("the withdraw did not come from shutting_down before syncd left");
	}
	free(text);
	ck_assert_int_eq(announcer_stop(&announcer), 0);
}
END_TEST

START_TEST(test_stack_announcer_started_last_announces_from_get_state)
{
	/* Everything else first; wait until syncd reports serving itself. */
	harness_dbus_listener_t *listener = harness_dbus_listen(bus.address, NULL);
	ck_assert_ptr_nonnull(listener);
	ck_assert(harness_dbus_wait_owner(listener, SYNCD_NAME, WAIT_MS));
	long long deadline = harness_now_ms() + 3 * WAIT_MS;
	bool serving = false;
	while (!serving && harness_now_ms() < deadline) {
		harness_dbus_wait(listener, harness_dbus_count(listener) + 1, 200);
		for (size_t i = 0; i < harness_dbus_count(listener); i++) {
			serving = serving || strcmp(harness_dbus_signal(listener, i)->text,
			                            "serving(true)") == 0;
		}
	}
	harness_dbus_listener_free(listener);
	if (!serving) {
		stack_dump();
		ck_abort_msg("syncd never signalled serving(true)");
	}
	announcer_start(&announcer, bus.address, &pair, 300, NULL);
	ASSERT_STACK_PREFIX(true, WAIT_MS, "started last: not announced from GetState");
	ck_assert(announcer_log_contains(&announcer, "serving (GetState)"));
}
END_TEST

START_TEST(test_stack_flapping_knotd_is_held_down)
{
	const int hold_down = 4000;
	announcer_start(&announcer, bus.address, &pair, hold_down, NULL);
	ASSERT_STACK_PREFIX(true, 3 * WAIT_MS, "stack up: not announced");
	long updates_before = 0, withdraws_before = 0;
	peer_import_counts(&pair, &updates_before, &withdraws_before);

	/* knotd stopped and started quickly, three times. */
	bool seen_while_flapping = false;
	for (int i = 0; i < 3; i++) {
		harness_stop(&stack.knotd.proc, WAIT_MS);
		ASSERT_STACK_PREFIX(false, 3 * WAIT_MS, "knotd stopped: not withdrawn");
		stack_knotd_restart();
		long long until = harness_now_ms() + 800;
		while (harness_now_ms() < until) {
			seen_while_flapping = seen_while_flapping || peer_has_prefix(&pair);
			harness_sleep_ms(50);
		}
	}
	ck_assert_msg(!seen_while_flapping, "the peer saw the prefix during the hold-down");
	ASSERT_STACK_PREFIX(true, hold_down + 3 * WAIT_MS, "stable again: not announced");
	long updates = 0, withdraws = 0;
	peer_import_counts(&pair, &updates, &withdraws);
	ck_assert_msg(updates - updates_before == 1 && withdraws - withdraws_before == 1,
	              "peer saw %ld updates, %ld withdraws", updates - updates_before,
	              withdraws - withdraws_before);
}
END_TEST

/*! \brief Sends queries to the stack's knotd for about ms milliseconds,
 *         at most rate per second. */
static void query_for(int ms, int rate)
{
	long long end = harness_now_ms() + ms;
	dns_opts_t opts = { .timeout_ms = 500 };
	while (harness_now_ms() < end) {
		long long start = harness_now_ms();
		for (int i = 0; i < rate / 10; i++) {
			knot_pkt_t *answer =
			    dns_query(stack.knotd.port, "ns.example.test.", KNOT_RRTYPE_A, &opts);
			knot_pkt_free(answer);
		}
		long long left = start + 100 - harness_now_ms();
		if (left > 0) {
			harness_sleep_ms((int)left);
		}
	}
}

/*! \brief Sends queries until the peer's path has length AS numbers. */
static bool query_until_path(int length, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	while (harness_now_ms() < deadline) {
		query_for(300, 300);
		if (peer_path_length(&pair) == length) {
			return true;
		}
	}
	return false;
}

static void stack_setup_busy(void)
{
	static const char *const extra[] = { "--query-rate-threshold", "50", "--knot-poll", "100",
		                             NULL };
	stack_syncd_extra = extra;
	stack_setup();
	stack_syncd_extra = NULL;
}

START_TEST(test_stack_query_rate_prepends_the_as_path_until_it_falls)
{
	char *extra[] = { "--prepend", "3", NULL };
	announcer_start(&announcer, bus.address, &pair, 500, extra);
	ASSERT_STACK_PREFIX(true, 3 * WAIT_MS, "stack up: the peer did not learn the prefix");
	ck_assert_int_eq(peer_path_length(&pair), 1);

	/* Over the threshold (300/s against 50/s): the path grows by three. */
	if (!query_until_path(4, 3 * WAIT_MS)) {
		stack_dump();
		dump_all(&announcer, &pair);
		ck_abort_msg("busy: the path stayed %d long", peer_path_length(&pair));
	}
	ck_assert(announcer_log_contains(&announcer, "query rate exceeded"));
	ck_assert(peer_has_prefix(&pair));

	/* Quiet: after syncd's hysteresis and the hold-down, short again. */
	if (!wait_path_length(&pair, 1, 3 * WAIT_MS)) {
		stack_dump();
		dump_all(&announcer, &pair);
		ck_abort_msg("idle: the path stayed %d long", peer_path_length(&pair));
	}
	ck_assert(announcer_log_contains(&announcer, "unprepend"));

	/* Busy again, then stopped while prepended: one withdraw takes both
	 * protocols down. */
	ck_assert_msg(query_until_path(4, 3 * WAIT_MS), "busy again: not prepended");
	ck_assert_int_eq(announcer_stop(&announcer), 0);
	ASSERT_STACK_PREFIX(false, WAIT_MS, "stopped while prepended: the peer kept the prefix");
	char *output = NULL;
	birdc(pair.speaker.sock, &output, "show", "protocols", STATIC_PROTOCOL "_prepend", NULL);
	ck_assert_ptr_nonnull(output);
	ck_assert_msg(strstr(output, " down ") != NULL, "%s", output);
	free(output);
}
END_TEST

static Suite *announce_suite(void)
{
	Suite *suite = suite_create("announce");

	TCase *units = tcase_create("profiles_and_hold_down");
	tcase_add_unchecked_fixture(units, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_test(units, test_bird_profile_enables_and_disables_the_protocol);
	tcase_add_test(units, test_exabgp_profile_writes_announce_and_withdraw_route);
	tcase_add_test(units, test_gobgp_profile_adds_and_deletes_in_the_global_rib);
	tcase_add_test(units, test_profiles_refuse_a_missing_or_bad_prefix);
	tcase_add_test(units, test_commands_are_split_like_a_shell_would_without_running_one);
	tcase_add_test(units, test_hold_down_withdraws_at_once_and_announces_after_stable_serving);
	tcase_add_test(units, test_prepend_actions_of_the_three_profiles);
	tcase_add_test(units, test_hold_down_prepends_at_once_and_shortens_after_a_quiet_hold_down);
	tcase_add_test(units, test_bad_configuration_exits_with_one_clear_line);
	suite_add_tcase(suite, units);

	TCase *fake = tcase_create("bird_with_fake_syncd");
	tcase_add_unchecked_fixture(fake, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(fake, fake_setup, fake_teardown);
	tcase_set_timeout(fake, 120);
	tcase_add_test(fake, test_prefix_follows_the_serving_signal);
	tcase_add_test(fake, test_announcer_started_last_announces_from_get_state);
	tcase_add_test(fake, test_syncd_started_after_the_announcer_is_asked_for_its_state);
	tcase_add_test(fake, test_shutting_down_withdraws_before_syncd_leaves);
	tcase_add_test(fake, test_syncd_leaving_the_bus_withdraws_and_its_return_announces);
	tcase_add_test(fake, test_lost_bus_withdraws_and_reconnect_announces_again);
	tcase_add_test(fake, test_get_state_errors_are_retried_and_signals_still_count);
	tcase_add_test(fake, test_flapping_serving_is_held_down);
	tcase_add_test(fake, test_failing_command_is_retried_until_it_succeeds);
	tcase_add_test(fake, test_hanging_command_is_killed_after_the_timeout);
	tcase_add_test(fake, test_commands_run_without_a_shell_unless_asked);
	tcase_add_test(fake, test_config_file_drives_the_bird_profile);
	tcase_add_test(fake, test_stop_exits_1_when_the_withdraw_keeps_failing);
	suite_add_tcase(suite, fake);

	TCase *real = tcase_create("bird_with_real_stack");
	tcase_add_unchecked_fixture(real, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(real, stack_setup, stack_teardown);
	tcase_set_timeout(real, 180);
	tcase_add_test(real, test_stack_prefix_is_announced_exactly_while_knotd_serves);
	tcase_add_test(real, test_stack_announcer_started_last_announces_from_get_state);
	tcase_add_test(real, test_stack_flapping_knotd_is_held_down);
	suite_add_tcase(suite, real);

	TCase *busy = tcase_create("bird_prepend_with_real_stack");
	tcase_add_unchecked_fixture(busy, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(busy, stack_setup_busy, stack_teardown);
	tcase_set_timeout(busy, 180);
	tcase_add_test(busy, test_stack_query_rate_prepends_the_as_path_until_it_falls);
	suite_add_tcase(suite, busy);
	return suite;
}

/*! \brief path if executable, else NULL. */
static const char *executable(const char *path)
{
	return path != NULL && access(path, X_OK) == 0 ? path : NULL;
}

int main(void)
{
	bird_path = executable(getenv("BIRD") != NULL ? getenv("BIRD") : "/usr/sbin/bird");
	birdc_path = executable(getenv("BIRDC") != NULL ? getenv("BIRDC") : "/usr/sbin/birdc");
	bool have_bird = bird_path != NULL && birdc_path != NULL;
	knotd_track_begin();
	SRunner *sr = srunner_create(announce_suite());
	/* Without BIRD only the tests that need no process run; the program
	 * then reports a skip, so the missing BGP tests do not pass silently. */
	srunner_run(sr, NULL, have_bird ? NULL : "profiles_and_hold_down", CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	knotd_track_end();
	if (failed == 0 && !have_bird) {
		fprintf(stderr,
		        "SKIP: the BGP tests of test_announce need BIRD 2 (bird and birdc in "
		        "/usr/sbin, or $BIRD and $BIRDC): apt-get install bird2\n");
		return 77;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
