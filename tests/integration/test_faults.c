/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Fault tests (issue 7, "Fault tests"): the real mecdns-syncd and the real
 *  knotd with mod-mecdns (global module on the same SQLite file) while the
 *  database fails under them.
 *
 *  - Disk full: the database lives on a small tmpfs that a filler file
 *    fills up; writes are refused with 507 ProblemDetails and change
 *    nothing, reads and DNS keep working, and once the filler is gone the
 *    next write succeeds and is answered. Needs root (mount); the case
 *    prints why and passes when it cannot mount.
 *  - Database locked by another process: a child holds BEGIN EXCLUSIVE on
 *    its own connection for longer than syncd's busy timeout (5 s); writes
 *    get 503 ProblemDetails, reads (WAL readers) and DNS keep working, and
 *    writes succeed once the lock is released.
 *  - A corrupt database file or a missing directory at start: syncd exits
 *    with a failure code (no crash) and one clear line naming the path and
 *    the cause.
 *  (dbus-daemon killed and restarted under REST is test_end_to_end's.)
 *
 *  A failed assertion ends the test process before its checked teardown:
 *  the children die with it (PR_SET_PDEATHSIG), and the unchecked teardown
 *  (in the parent process) unmounts and removes what the tests listed.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libknot/libknot.h>
#include <sqlite3.h>

#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"
#include "tests/harness/syncd.h"

#define ADDR    "127.0.0.1"
#define MP1     "/mec_app_support/v1/applications"
#define MM5     "/mep/config"
#define RRECORD "/mep/dns_server_mgmt/v1/rrecord"
#define APP     "app-faults"

/*! Deadline for "eventually" (a server starts, a change is answered). */
#define EVENTUALLY_MS 15000
/*! mod-mecdns refresh-interval. */
#define REFRESH_MS 50
/*! Size of the tmpfs of the disk-full case. */
#define TMPFS_SIZE "4m"
/*! syncd's busy timeout on its writer connection (schema/schema.c). */
#define SYNCD_BUSY_MS 5000

/*** Components. ***/

typedef struct {
	harness_proc_t proc;
	char *db;
	char *log;
	int port;
} syncd_t;

static char *dir;        /*!< The test's private directory. */
static char *mountpoint; /*!< The tmpfs mounted by the test, or NULL. */
static syncd_t syncd;
static knotd_t knotd;
static bool knotd_running;
static pid_t locker; /*!< The child holding the write lock, or 0. */

static void dump_state(void)
{
	if (syncd.proc.log_path[0] != '\0') {
		harness_dump_log(&syncd.proc);
	}
	if (knotd_running) {
		knotd_dump_log(&knotd);
	}
}

/*! ck_assert_msg() that dumps the components' logs before failing. */
#define expect(cond, ...) HARNESS_EXPECT(dump_state, cond, __VA_ARGS__)

static void setup(void)
{
	memset(&syncd, 0, sizeof(syncd));
	memset(&knotd, 0, sizeof(knotd));
	knotd_running = false;
	mountpoint = NULL;
	locker = 0;
	dir = harness_tmpdir("faults");
	ck_assert_ptr_nonnull(dir);
	harness_cleanup_dir(dir);
}

static void stop_locker(void)
{
	if (locker > 0) {
		kill(locker, SIGKILL);
		waitpid(locker, NULL, 0);
		locker = 0;
	}
}

static void teardown(void)
{
	stop_locker();
	if (knotd_running) {
		knotd_stop(&knotd);
		knotd_running = false;
	}
	int status = harness_syncd_stop(&syncd.proc, 10000);
	if (mountpoint != NULL) {
		harness_unmount(mountpoint);
		free(mountpoint);
		mountpoint = NULL;
	}
	harness_rmtree(dir);
	free(dir);
	free(syncd.db);
	free(syncd.log);
	memset(&syncd, 0, sizeof(syncd));
	ck_assert_msg(status == 0, "mecdns-syncd exited with %d on SIGTERM", status);
}

/*! \brief Starts mecdns-syncd on db (log in the test's directory) and
 *         waits until it listens. */
static void syncd_start(const char *db)
{
	syncd.db = harness_strdupf("%s", db);
	syncd.log = harness_strdupf("%s/syncd.log", dir);
	const char *args[] = { "--database", syncd.db,      "--dbus", "none", "--knot-dbus",
		               "none",       "--log-level", "debug",  NULL };
	expect(harness_syncd_start(&syncd.proc, ADDR, &syncd.port, args, NULL, syncd.log,
	                           EVENTUALLY_MS) == 0,
	       "mecdns-syncd did not start listening on " ADDR ":%d", syncd.port);
}

/*! \brief Starts knotd with mod-mecdns as a global module on syncd's db. */
static void knotd_start_on_db(void)
{
	knotd_config_t config = {
		.tag = "faults",
		.database = syncd.db,
		.global_module = true,
		.refresh_interval_ms = REFRESH_MS,
	};
	if (knotd_start(&knotd, &config) != 0) {
		harness_dump_log(&syncd.proc);
		ck_abort_msg("knotd with mod-mecdns did not start");
	}
	knotd_running = true;
}

/*** HTTP. ***/

static int call(const char *method, const char *path, const char *body, http_response_t *resp)
{
	const char *headers[] = { "Content-Type: application/json", NULL };
	int ret = http_request(ADDR, syncd.port, method, path, headers, body,
	                       body != NULL ? strlen(body) : 0, resp);
	expect(ret == 0, "%s %s: no connection to mecdns-syncd (%d)", method, path, ret);
	return resp->status;
}

static void expect_status(const char *method, const char *path, const char *body, int status)
{
	http_response_t resp;
	call(method, path, body, &resp);
	expect(resp.status == status, "%s %s %s: %d (expected %d): %s", method, path,
	       body != NULL ? body : "", resp.status, status, resp.body);
	http_response_free(&resp);
}

/*! \brief A request that must be refused with a ProblemDetails of status
 *         whose detail contains needle (case-insensitive). */
static void expect_problem(const char *method, const char *path, const char *body, int status,
                           const char *needle)
{
	http_response_t resp;
	call(method, path, body, &resp);
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
	cJSON *detail = cJSON_GetObjectItem(json, "detail");
	expect(cJSON_IsNumber(st) && st->valueint == status, "%s %s: problem status: %s", method,
	       path, resp.body);
	expect(cJSON_IsString(cJSON_GetObjectItem(json, "title")) && cJSON_IsString(detail),
	       "%s %s: problem without title/detail: %s", method, path, resp.body);
	expect(strcasestr(detail->valuestring, needle) != NULL,
	       "%s %s: the detail does not say \"%s\": %s", method, path, needle, resp.body);
	cJSON_Delete(json);
	http_response_free(&resp);
}

static char *rule_body(const char *id, const char *domain, const char *ip)
{
	return harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\","
	                       "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"%s\",\"ttl\":30}",
	                       id, domain, ip);
}

/*! \brief A bulk PUT body setting name A to one address. */
static char *bulk_body(const char *name, const char *ip)
{
	return harness_strdupf("[{\"zone\":\".\",\"rr\":[{\"name\":\"%s\",\"type\":\"A\","
	                       "\"class\":\"IN\",\"ttl\":30,\"rData\":[\"%s\"]}]}]",
	                       name, ip);
}

static void post_rule(const char *id, const char *domain, const char *ip, int status)
{
	char *body = rule_body(id, domain, ip);
	expect_status("POST", MM5 "/" APP "/dns_rules", body, status);
	free(body);
}

static void put_bulk(const char *name, const char *ip, int status)
{
	char *body = bulk_body(name, ip);
	expect_status("PUT", RRECORD, body, status);
	free(body);
}

/*! \brief Both writes (Mm5 POST, bulk PUT) are refused with status and a
 *         detail holding needle. */
static void writes_refused(int status, const char *needle)
{
	char *body = rule_body("refused", "refused.faults.test", "192.0.2.99");
	expect_problem("POST", MM5 "/" APP "/dns_rules", body, status, needle);
	free(body);
	body = bulk_body("refused-set.faults.test.", "10.0.0.99");
	expect_problem("PUT", RRECORD, body, status, needle);
	free(body);
}

/*! \brief Reads still answer 200 with the data committed before. */
static void reads_work(void)
{
	http_response_t resp;
	call("GET", MM5 "/" APP "/dns_rules/before", NULL, &resp);
	expect(resp.status == 200 && strstr(resp.body, "192.0.2.1") != NULL,
	       "GET the rule while writes fail: %d: %s", resp.status, resp.body);
	http_response_free(&resp);
	call("GET", MP1 "/" APP "/dns_rules", NULL, &resp);
	expect(resp.status == 200 && strstr(resp.body, "before") != NULL,
	       "GET Mp1 rules while writes fail: %d: %s", resp.status, resp.body);
	http_response_free(&resp);
	call("GET", RRECORD, NULL, &resp);
	expect(resp.status == 200 && strstr(resp.body, "before-set.faults.test.") != NULL,
	       "GET rrecords while writes fail: %d: %s", resp.status, resp.body);
	http_response_free(&resp);
}

/*** Database (read-only, so that it works on a full disk and beside a
 *   writer holding the lock). ***/

static uint64_t db_generation(void)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(syncd.db, &db, SQLITE_OPEN_READONLY, NULL);
	expect(rc == SQLITE_OK, "open %s: %s", syncd.db, sqlite3_errstr(rc));
	sqlite3_busy_timeout(db, 2000);
	sqlite3_stmt *stmt = NULL;
	rc = sqlite3_prepare_v2(db, "SELECT generation FROM state", -1, &stmt, NULL);
	expect(rc == SQLITE_OK, "prepare: %s", sqlite3_errmsg(db));
	rc = sqlite3_step(stmt);
	expect(rc == SQLITE_ROW, "read the generation: %s", sqlite3_errmsg(db));
	uint64_t gen = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return gen;
}

/*** DNS. ***/

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

static void expect_no_address(const char *name, const char *addr)
{
	bool matched = false;
	knot_pkt_t *answer = dns_poll(knotd.port, name, KNOT_RRTYPE_A, NULL, dns_match_no_address,
	                              addr, EVENTUALLY_MS, &matched);
	char *text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(matched, "knotd answers %s A %s; last answer:\n%s", name, addr, text);
	free(text);
}

static void expect_module_generation(uint64_t gen)
{
	char *want = harness_strdupf("%llu", (unsigned long long)gen);
	dns_opts_t opts = { .qclass = KNOT_CLASS_CH };
	bool matched = false;
	knot_pkt_t *answer = dns_poll(knotd.port, "generation.mecdns.", KNOT_RRTYPE_TXT, &opts,
	                              dns_match_txt, want, EVENTUALLY_MS, &matched);
	char *text = dns_pkt_text(answer);
	knot_pkt_free(answer);
	expect(matched, "the module is not at generation %s; last answer:\n%s", want, text);
	free(text);
	free(want);
}

/*! \brief The data committed before the fault, served by knotd. */
static uint64_t commit_before(void)
{
	post_rule("before", "before.faults.test", "192.0.2.1", 201);
	put_bulk("before-set.faults.test.", "10.0.0.1", 200);
	uint64_t gen = db_generation();
	expect_address("before.faults.test.", "192.0.2.1");
	expect_address("before-set.faults.test.", "10.0.0.1");
	expect_module_generation(gen);
	return gen;
}

/*! \brief While writes fail: nothing committed, the earlier data answered. */
static void nothing_changed(uint64_t gen)
{
	expect(db_generation() == gen, "the generation moved: %llu -> %llu",
	       (unsigned long long)gen, (unsigned long long)db_generation());
	expect_module_generation(gen);
	expect_address("before.faults.test.", "192.0.2.1");
	expect_address("before-set.faults.test.", "10.0.0.1");
	expect_no_address("refused.faults.test.", "192.0.2.99");
	expect_no_address("refused-set.faults.test.", "10.0.0.99");
}

/*! \brief After the fault: writes succeed again and are answered. */
static void writes_resume(uint64_t gen)
{
	post_rule("after", "after.faults.test", "192.0.2.2", 201);
	put_bulk("after-set.faults.test.", "10.0.0.2", 200);
	uint64_t now = db_generation();
	expect(now == gen + 2, "generation %llu after two writes from %llu",
	       (unsigned long long)now, (unsigned long long)gen);
	expect_address("after.faults.test.", "192.0.2.2");
	expect_address("after-set.faults.test.", "10.0.0.2");
	expect_module_generation(now);
	expect_address("before.faults.test.", "192.0.2.1");
}

/*** Disk full. ***/

/*! \brief Fills the file system of path with a file until ENOSPC. */
static void fill(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	static char block[65536];
	memset(block, 'x', sizeof(block));
	size_t len = sizeof(block);
	for (;;) {
		ssize_t n = write(fd, block, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == ENOSPC) {
			if (len == 1) {
				break;
			}
			len = len / 2 > 0 ? len / 2 : 1; /* Take the last bytes too. */
			continue;
		}
		ck_assert_msg(n > 0, "fill %s: %s", path, strerror(errno));
	}
	close(fd);
}

START_TEST(test_disk_full_is_507_reads_and_dns_keep_working)
{
	if (!harness_is_root()) {
		fprintf(stderr, "test_faults: SKIP disk full: not root (mounting a tmpfs needs "
		                "root)\n");
		return;
	}
	char *mnt = harness_strdupf("%s/fs", dir);
	ck_assert_int_eq(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=" TMPFS_SIZE ",mode=0755") !=
	    0) {
		fprintf(stderr, "test_faults: SKIP disk full: cannot mount a tmpfs on %s: %s\n",
		        mnt, strerror(errno));
		free(mnt);
		return;
	}
	mountpoint = mnt;
	harness_cleanup_mount(mnt);

	char *db = harness_strdupf("%s/mecdns.db", mnt);
	syncd_start(db);
	free(db);
	knotd_start_on_db();
	uint64_t gen = commit_before();

	char *filler = harness_strdupf("%s/filler", mnt);
	fill(filler);
	writes_refused(507, "full");
	reads_work();
	nothing_changed(gen);
	/* Still refused (no half-written state left behind that a later write
	 * would commit), and still no 500. */
	writes_refused(507, "full");
	expect(db_generation() == gen, "the generation moved on the second attempt");

	/* Space returns: service resumes without a restart. */
	ck_assert_int_eq(unlink(filler), 0);
	free(filler);
	writes_resume(gen);
	expect(harness_alive(&syncd.proc), "mecdns-syncd died");
}
END_TEST

/*** Database locked by another process. ***/

/*!
 * \brief Forks a child that opens the database on its own connection and
 *        holds BEGIN EXCLUSIVE until *release is written to (or 30 s).
 *
 * \return Once the child holds the lock; *release is the pipe to write to.
 */
static void lock_database(int *release)
{
	int ready[2], done[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(done), 0);
	locker = fork();
	ck_assert_int_ge(locker, 0);
	if (locker == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(30);
		close(ready[0]);
		close(done[1]);
		sqlite3 *db = NULL;
		char ok = 'L';
		if (sqlite3_open_v2(syncd.db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
		    sqlite3_busy_timeout(db, 10000) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "locker: %s\n", sqlite3_errmsg(db));
			ok = 'E';
		}
		if (write(ready[1], &ok, 1) != 1 || ok != 'L') {
			_exit(1);
		}
		char c;
		while (read(done[0], &c, 1) < 0 && errno == EINTR) {
		}
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(db);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	char c = 0;
	ssize_t n;
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR) {
	}
	close(ready[0]);
	expect(n == 1 && c == 'L', "the locking child could not take the write lock");
	*release = done[1];
}

static void unlock_database(int release)
{
	ck_assert_int_eq(write(release, "U", 1), 1);
	close(release);
	int status = 0;
	ck_assert_int_eq(waitpid(locker, &status, 0), locker);
	locker = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "the locking child ended with status %d", status);
}

START_TEST(test_locked_database_is_503_reads_and_dns_keep_working)
{
	char *db = harness_strdupf("%s/mecdns.db", dir);
	syncd_start(db);
	free(db);
	knotd_start_on_db();
	uint64_t gen = commit_before();

	int release = -1;
	lock_database(&release);
	long long start = harness_now_ms();
	writes_refused(503, "busy");
	long long waited = harness_now_ms() - start;
	/* Each write waited for the busy timeout before giving up. */
	expect(waited >= 2 * SYNCD_BUSY_MS - 500, "writes refused after %lld ms only", waited);
	reads_work();
	nothing_changed(gen);
	unlock_database(release);

	writes_resume(gen);
}
END_TEST

/*** Start with a broken database. ***/

/*!
 * \brief Runs mecdns-syncd on db until it exits by itself; checks that it
 *        failed without crashing and said, on exactly one line, which file
 *        and why (every needle on that line).
 */
static void start_fails(const char *db, const char *const *needles)
{
	int port = harness_free_port(ADDR);
	ck_assert_int_gt(port, 0);
	char *binary = harness_build_path("syncd/mecdns-syncd");
	char *listen = harness_strdupf(ADDR ":%d", port);
	char *argv[] = { binary,   "--listen", listen,        "--database", (char *)db,
		         "--dbus", "none",     "--knot-dbus", "none",       NULL };
	char *output = NULL;
	int status = harness_run(argv, NULL, &output, 10000);
	ck_assert_msg(status > 0 && status < 128,
	              "mecdns-syncd on %s: exit status %d (expected a failure, no crash, no "
	              "hang): %s",
	              db, status, output != NULL ? output : "");
	ck_assert_msg(harness_wait_tcp(ADDR, port, 100) != 0, "something listens on port %d", port);
	size_t lines = 0;
	char *copy = harness_strdupf("%s", output != NULL ? output : "");
	for (char *line = strtok(copy, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strstr(line, db) == NULL) {
			continue;
		}
		lines++;
		for (const char *const *n = needles; *n != NULL; n++) {
			ck_assert_msg(strcasestr(line, *n) != NULL,
			              "the error line does not say "
			              "\"%s\": %s",
			              *n, line);
		}
	}
	ck_assert_msg(lines == 1, "%zu lines name %s (expected one): %s", lines, db, output);
	free(copy);
	free(output);
	free(listen);
	free(binary);
}

START_TEST(test_corrupt_database_at_start_is_one_clear_error)
{
	/* Garbage from the first byte: not a database at all. */
	char *db = harness_strdupf("%s/garbage.db", dir);
	char *garbage = malloc(8192);
	ck_assert_ptr_nonnull(garbage);
	for (int i = 0; i < 8191; i++) {
		garbage[i] = (char)('!' + (i * 7919) % 90);
	}
	garbage[8191] = '\0';
	ck_assert_int_eq(harness_write_file(db, garbage), 0);
	const char *not_db[] = { "not a database", NULL };
	start_fails(db, not_db);
	free(db);

	/* A real mecdns database whose schema page was overwritten. */
	db = harness_strdupf("%s/malformed.db", dir);
	syncd_start(db);
	post_rule("r", "r.faults.test", "192.0.2.5", 201);
	ck_assert_int_eq(harness_syncd_stop(&syncd.proc, 10000), 0);
	char *wal = harness_strdupf("%s-wal", db);
	char *shm = harness_strdupf("%s-shm", db);
	sqlite3 *conn = NULL;
	ck_assert_int_eq(sqlite3_open_v2(db, &conn, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(conn, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(conn);
	unlink(wal);
	unlink(shm);
	int fd = open(db, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, garbage, 4000, 100), 4000);
	close(fd);
	const char *malformed[] = { "malformed", NULL };
	start_fails(db, malformed);
	free(db);
	free(wal);
	free(shm);
	free(garbage);

	/* A database in a directory that does not exist. */
	char *missing = harness_strdupf("%s/no-such-dir/mecdns.db", dir);
	const char *no_dir[] = { "no such file or directory", NULL };
	start_fails(missing, no_dir);
	free(missing);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("faults");
	TCase *tc = tcase_create("faults");
	tcase_add_unchecked_fixture(tc, harness_cleanup_begin, harness_cleanup_end);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_disk_full_is_507_reads_and_dns_keep_working);
	tcase_add_test(tc, test_locked_database_is_503_reads_and_dns_keep_working);
	tcase_add_test(tc, test_corrupt_database_at_start_is_one_clear_error);
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
