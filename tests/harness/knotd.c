/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: the real knotd with the built mod-mecdns. */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "tests/harness/dns.h"
#include "tests/harness/knotd.h"

/*! Time knotd gets to serve after its start. */
#define KNOTD_READY_MS 10000
/*! Time knotd gets to stop after SIGTERM (with sanitizers, LeakSanitizer's
 *  scan at exit comes on top: SIGKILL would lose its report). */
#ifdef MECDNS_SANITIZERS
#define KNOTD_STOP_MS 30000
#else
#define KNOTD_STOP_MS 5000
#endif
/*! Longest knotc run. */
#define KNOTC_TIMEOUT_MS 15000
/*! Start attempts (a free port may be taken before knotd binds it). */
#define KNOTD_START_ATTEMPTS 3
/*! Environment variable naming the tracking file of knotd_track_begin(). */
#define KNOTD_TRACK_ENV "MECDNS_KNOTD_TRACK"

/*! \brief Path of a knot binary from the environment, else its default. */
static const char *knot_binary(const char *env, const char *fallback)
{
	const char *path = getenv(env);
	return (path != NULL && *path != '\0') ? path : fallback;
}

int knotd_spawn(harness_proc_t *proc, const char *conf_path, char *const env[],
                const char *log_path)
{
	size_t count = 0;
	while (env != NULL && env[count] != NULL) {
		count++;
	}
	char *const *module_env = harness_module_env();
	size_t extra = 0;
	while (module_env[extra] != NULL) {
		extra++;
	}
	char **all = calloc(count + extra + 1, sizeof(*all));
	if (all == NULL) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		all[i] = env[i];
	}
	for (size_t i = 0; i < extra; i++) {
		all[count + i] = module_env[i];
	}
	char *argv[] = { (char *)knot_binary("KNOTD", "/usr/sbin/knotd"), "-c", (char *)conf_path,
		         NULL };
	int ret = harness_spawn(proc, "knotd", argv, all, log_path);
	free(all);
	if (ret != 0) {
		fprintf(stderr, "knotd: cannot start %s: %s\n", argv[0], strerror(-ret));
	}
	return ret;
}

/*! \brief Writes the zone's file; returns its path (malloc'd) or NULL. */
static char *write_zone_file(const char *dir, const knotd_zone_t *zone)
{
	char *path = harness_strdupf("%s/%szone", dir, zone->domain);
	char *content = harness_strdupf("$ORIGIN %s\n%s", zone->domain, zone->content);
	int ret = harness_write_file(path, content);
	free(content);
	if (ret != 0) {
		fprintf(stderr, "knotd: cannot write %s: %s\n", path, strerror(-ret));
		free(path);
		return NULL;
	}
	return path;
}

/*! \brief knot.conf text for config in dir with the given port (malloc'd). */
static char *build_conf(const knotd_t *knotd, const knotd_config_t *config)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (out == NULL) {
		return NULL;
	}
	fprintf(out,
	        "server:\n"
	        "    rundir: %s\n"
	        "    listen: 127.0.0.1@%d\n"
	        "    udp-workers: 2\n"
	        "    tcp-workers: 2\n"
	        "    background-workers: 1\n"
	        "    answer-rotation: %s\n",
	        knotd->dir, knotd->port, config->answer_rotation ? "on" : "off");
	if (config->edns_client_subnet) {
		fprintf(out, "    edns-client-subnet: on\n");
	}
	if (config->user != NULL) {
		fprintf(out, "    user: %s\n", config->user);
	}
	if (config->dbus_event != NULL) {
		fprintf(out, "    dbus-event: %s\n    dbus-init-delay: 0\n", config->dbus_event);
	}
	fprintf(out,
	        "control:\n"
	        "    listen: %s/knot.sock\n"
	        "log:\n"
	        "  - target: stderr\n"
	        "    any: info\n"
	        "database:\n"
	        "    storage: %s/storage\n"
	        "acl:\n"
	        "  - id: transfer-loopback\n"
	        "    address: 127.0.0.0/8\n"
	        "    action: transfer\n",
	        knotd->dir, knotd->dir);
	if (config->database != NULL) {
		char *module_path = config->module_path != NULL
		                        ? strdup(config->module_path)
		                        : harness_build_path("module/.libs/mecdns.so");
		fprintf(out,
		        "module:\n"
		        "  - id: mod-mecdns\n"
		        "    file: %s\n"
		        "mod-mecdns:\n"
		        "  - id: default\n"
		        "    database: %s\n"
		        "    refresh-interval: %d\n",
		        module_path, config->database,
		        config->refresh_interval_ms > 0 ? config->refresh_interval_ms : 50);
		free(module_path);
		if (config->default_ttl > 0) {
			fprintf(out, "    default-ttl: %d\n", config->default_ttl);
		}
		if (config->negative_ttl > 0) {
			fprintf(out, "    negative-ttl: %d\n", config->negative_ttl);
		}
		if (config->soa_mname != NULL) {
			fprintf(out, "    soa-mname: %s\n", config->soa_mname);
		}
		if (config->soa_rname != NULL) {
			fprintf(out, "    soa-rname: %s\n", config->soa_rname);
		}
		if (config->ecs_trusted != NULL) {
			fprintf(out, "    ecs-trusted: %s\n", config->ecs_trusted);
		}
		if (config->report_socket != NULL) {
			fprintf(out, "    report-socket: \"%s\"\n", config->report_socket);
		}
	}
	if (config->extra_conf != NULL) {
		fprintf(out, "%s", config->extra_conf);
	}
	bool secondaries = false;
	for (size_t i = 0; i < KNOTD_MAX_ZONES && config->zones[i].domain != NULL; i++) {
		if (config->zones[i].primary != NULL) {
			if (!secondaries) {
				fprintf(out, "remote:\n");
				secondaries = true;
			}
			fprintf(out, "  - id: primary-%zu\n    address: %s\n", i,
			        config->zones[i].primary);
		}
	}
	fprintf(out, "template:\n  - id: default\n    storage: %s\n", knotd->dir);
	if (secondaries) {
		fprintf(out, "    refresh-min-interval: 2\n"
		             "    retry-min-interval: 1\n"
		             "    expire-min-interval: 3\n");
	}
	if (config->database != NULL && config->global_module) {
		fprintf(out, "    global-module: mod-mecdns/default\n");
	}
	bool zones = false;
	for (size_t i = 0; i < KNOTD_MAX_ZONES && config->zones[i].domain != NULL; i++) {
		const knotd_zone_t *zone = &config->zones[i];
		if (!zones) {
			fprintf(out, "zone:\n");
			zones = true;
		}
		fprintf(out,
		        "  - domain: %s\n"
		        "    file: %s/%szone\n"
		        "    zonefile-sync: -1\n"
		        "    journal-content: none\n"
		        "    acl: transfer-loopback\n",
		        zone->domain, knotd->dir, zone->domain);
		if (zone->primary != NULL) {
			fprintf(out, "    master: primary-%zu\n", i);
		}
		if (zone->dnssec_policy != NULL) {
			fprintf(out, "    dnssec-signing: on\n    dnssec-policy: %s\n",
			        zone->dnssec_policy);
		}
		if (zone->module && config->database != NULL) {
			fprintf(out, "    module: mod-mecdns/default\n");
		}
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/*! \brief Gives path to user:group (for knotd running as that user). */
static int chown_to(const char *path, const char *user_group)
{
	char *user = strdup(user_group);
	char *colon = strchr(user, ':');
	const char *group = colon != NULL ? colon + 1 : user;
	if (colon != NULL) {
		*colon = '\0';
	}
	struct passwd *pw = getpwnam(user);
	struct group *gr = getgrnam(group);
	int ret = -1;
	if (pw == NULL || gr == NULL) {
		fprintf(stderr, "knotd: no such user or group '%s'\n", user_group);
	} else if (chown(path, pw->pw_uid, gr->gr_gid) != 0) {
		fprintf(stderr, "knotd: cannot chown %s to %s: %s\n", path, user_group,
		        strerror(errno));
	} else {
		ret = 0;
	}
	free(user);
	return ret;
}

/*! \brief Creates the private directory with knot.conf and zone files. */
static int prepare_dir(knotd_t *knotd, const knotd_config_t *config)
{
	const char *tag = config->tag != NULL ? config->tag : "knotd";
	char short_tag[33];
	snprintf(short_tag, sizeof(short_tag), "%s", tag); /* Socket paths are short. */
	knotd->dir = harness_tmpdir(short_tag);
	if (knotd->dir == NULL) {
		fprintf(stderr, "knotd: cannot create a temporary directory: %s\n",
		        strerror(errno));
		return -1;
	}
	knotd->conf_path = harness_strdupf("%s/knot.conf", knotd->dir);
	char *storage = harness_strdupf("%s/storage", knotd->dir);
	int ret = mkdir(storage, 0755) == 0 ? 0 : -1;
	if (ret == 0 && config->user != NULL) {
		ret = chown_to(knotd->dir, config->user) | chown_to(storage, config->user);
	}
	free(storage);
	for (size_t i = 0; ret == 0 && i < KNOTD_MAX_ZONES && config->zones[i].domain != NULL;
	     i++) {
		if (config->zones[i].content == NULL) {
			continue; /* A secondary: knotd gets it from its primary. */
		}
		char *path = write_zone_file(knotd->dir, &config->zones[i]);
		ret = path != NULL ? 0 : -1;
		if (ret == 0 && config->user != NULL) {
			ret = chown_to(path, config->user);
		}
		free(path);
	}
	return ret;
}

/*! \brief Writes knot.conf for the current port. */
static int write_conf(knotd_t *knotd, const knotd_config_t *config)
{
	char *text = build_conf(knotd, config);
	int ret = text != NULL ? harness_write_file(knotd->conf_path, text) : -ENOMEM;
	free(text);
	if (ret != 0) {
		fprintf(stderr, "knotd: cannot write %s: %s\n", knotd->conf_path, strerror(-ret));
		return -1;
	}
	return 0;
}

/*! \brief Appends this knotd to the tracking file, if tracking is on. */
static void track(const knotd_t *knotd)
{
	const char *path = getenv(KNOTD_TRACK_ENV);
	if (path == NULL) {
		return;
	}
	FILE *f = fopen(path, "a");
	if (f != NULL) {
		fprintf(f, "%d %s %s\n", (int)knotd->proc.pid, knotd->dir, knotd->conf_path);
		fclose(f);
	}
}

/*! \brief True once every configured zone is loaded: its SOA is in the zone
 *         contents (asked through the control socket, so that no query
 *         module can stand in for the zone). */
static bool zones_loaded(knotd_t *knotd, const knotd_config_t *config)
{
	for (size_t i = 0; i < KNOTD_MAX_ZONES && config->zones[i].domain != NULL; i++) {
		char *output = NULL;
		int ret = knotd_ctl(knotd, &output, "zone-read", config->zones[i].domain, "@",
		                    "SOA", (char *)NULL);
		bool loaded = ret == 0 && output != NULL && strstr(output, " SOA ") != NULL;
		free(output);
		if (!loaded) {
			return false;
		}
	}
	return true;
}

/*!
 * \brief Waits until knotd answers DNS, its control socket and its zones.
 *
 * \return 0 ready, -1 not ready in time, -2 knotd exited.
 */
static int wait_ready(knotd_t *knotd, const knotd_config_t *config)
{
	long long deadline = harness_now_ms() + KNOTD_READY_MS;
	bool dns_up = false, ctl_up = false;
	dns_opts_t opts = { .timeout_ms = 200 };
	while (harness_now_ms() < deadline) {
		if (!harness_alive(&knotd->proc)) {
			return -2;
		}
		if (!dns_up) {
			knot_pkt_t *answer = dns_query(knotd->port, ".", KNOT_RRTYPE_SOA, &opts);
			dns_up = answer != NULL;
			knot_pkt_free(answer);
		}
		if (dns_up && !ctl_up) {
			ctl_up = knotd_ctl(knotd, NULL, "status", (char *)NULL) == 0;
		}
		if (dns_up && ctl_up && zones_loaded(knotd, config)) {
			return 0;
		}
		harness_sleep_ms(20);
	}
	return -1;
}

int knotd_start(knotd_t *knotd, const knotd_config_t *config)
{
	memset(knotd, 0, sizeof(*knotd));
	if (config->database != NULL && config->module_path == NULL) {
		char *module = harness_build_path("module/.libs/mecdns.so");
		bool present = access(module, R_OK) == 0;
		if (!present) {
			fprintf(stderr, "knotd: the module %s is not built (run make first)\n",
			        module);
		}
		free(module);
		if (!present) {
			return -1;
		}
	}
	if (prepare_dir(knotd, config) != 0) {
		knotd_stop(knotd);
		return -1;
	}
	char *log_path = harness_strdupf("%s/knotd.log", knotd->dir);
	int ret = -1;
	for (int attempt = 0; attempt < KNOTD_START_ATTEMPTS && ret != 0; attempt++) {
		knotd->port = harness_free_port("127.0.0.1");
		if (knotd->port <= 0 || write_conf(knotd, config) != 0) {
			break;
		}
		if (knotd_spawn(&knotd->proc, knotd->conf_path, config->env, log_path) != 0) {
			break;
		}
		track(knotd);
		int ready = wait_ready(knotd, config);
		if (ready == 0) {
			ret = 0;
		} else if (ready == -2 && knotd_log_contains(knotd, "bind")) {
			fprintf(stderr, "knotd: port %d was taken, retrying\n", knotd->port);
		} else {
			fprintf(stderr, "knotd: %s within %d ms (port %d)\n",
			        ready == -2 ? "exited during start" : "not ready", KNOTD_READY_MS,
			        knotd->port);
			break;
		}
	}
	free(log_path);
	if (ret != 0) {
		if (knotd->proc.log_path[0] != '\0') {
			knotd_dump_log(knotd);
		}
		knotd_stop(knotd);
	}
	return ret;
}

bool knotd_alive(knotd_t *knotd)
{
	return harness_alive(&knotd->proc);
}

int knotd_ctl(knotd_t *knotd, char **output, ...)
{
	char *argv[32];
	size_t argc = 0;
	argv[argc++] = (char *)knot_binary("KNOTC", "/usr/sbin/knotc");
	argv[argc++] = "-c";
	argv[argc++] = knotd->conf_path;
	argv[argc++] = "-t";
	argv[argc++] = "10";
	va_list ap;
	va_start(ap, output);
	const char *arg;
	while ((arg = va_arg(ap, const char *)) != NULL && argc < 31) {
		argv[argc++] = (char *)arg;
	}
	va_end(ap);
	argv[argc] = NULL;
	/* knotc loads the module named in knot.conf to read its section. */
	return harness_run(argv, harness_module_env(), output, KNOTC_TIMEOUT_MS);
}

long long knotd_stat(knotd_t *knotd, const char *counter)
{
	char *output = NULL;
	if (knotd_ctl(knotd, &output, "-f", "stats", counter, (char *)NULL) != 0) {
		fprintf(stderr, "knotd: knotc stats %s failed: %s\n", counter,
		        output != NULL ? output : "");
		free(output);
		return -1;
	}
	long long sum = -1;
	size_t len = strlen(counter);
	for (char *line = output; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');
		if (next != NULL) {
			*next++ = '\0';
		}
		if (strncmp(line, counter, len) == 0 && (line[len] == ' ' || line[len] == '[')) {
			const char *eq = strstr(line, " = ");
			if (eq != NULL) {
				sum = (sum < 0 ? 0 : sum) + strtoll(eq + 3, NULL, 10);
			}
		}
		line = next;
	}
	free(output);
	return sum;
}

bool knotd_log_contains(const knotd_t *knotd, const char *needle)
{
	char *log = harness_read_file(knotd->proc.log_path);
	bool found = log != NULL && strstr(log, needle) != NULL;
	free(log);
	return found;
}

bool knotd_wait_log(const knotd_t *knotd, const char *needle, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		if (knotd_log_contains(knotd, needle)) {
			return true;
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return false;
}

size_t knotd_log_size(const knotd_t *knotd)
{
	struct stat st;
	return stat(knotd->proc.log_path, &st) == 0 ? (size_t)st.st_size : 0;
}

/*! \brief True if a warning/error line at or after from mentions needle. */
static bool log_has_problem(const knotd_t *knotd, size_t from, const char *needle)
{
	char *log = harness_read_file(knotd->proc.log_path);
	if (log == NULL) {
		return false;
	}
	bool found = false;
	size_t len = strlen(log);
	for (char *line = log + (from < len ? from : len); !found && *line != '\0';) {
		char *next = strchr(line, '\n');
		if (next != NULL) {
			*next++ = '\0';
		}
		found = strstr(line, needle) != NULL &&
		        (strstr(line, "error") != NULL || strstr(line, "warning") != NULL ||
		         strstr(line, "critical") != NULL);
		line = next != NULL ? next : line + strlen(line);
	}
	free(log);
	return found;
}

bool knotd_wait_log_problem(const knotd_t *knotd, size_t from, const char *needle, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		if (log_has_problem(knotd, from, needle)) {
			return true;
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return false;
}

void knotd_dump_log(const knotd_t *knotd)
{
	harness_dump_log(&knotd->proc);
}

#ifdef MECDNS_SANITIZERS
/*! \brief Appends the UBSan reports (a "runtime error" line and its stack
 *         lines) of text to out; returns how many. */
static int copy_ubsan_reports(const char *text, FILE *out)
{
	int reports = 0;
	bool in_report = false;
	for (const char *line = text; *line != '\0';) {
		const char *end = strchrnul(line, '\n');
		int len = (int)(end - line);
		if (memmem(line, len, ": runtime error: ", 17) != NULL) {
			reports++;
			in_report = true;
		} else if (in_report && strncmp(line, "    #", 5) != 0) {
			in_report = false;
		}
		if (in_report) {
			fprintf(out, "%.*s\n", len, line);
		}
		line = *end != '\0' ? end + 1 : end;
	}
	return reports;
}

/*!
 * \brief Saves the UBSan reports of knotd's log as a report file.
 *
 * gcc's UBSan runtime (libubsan) is apart from the preloaded libasan: in the
 * module knotd dlopen()s it ignores log_path and writes to knotd's stderr,
 * the log. Reports in the log after the offset stored in dir/ubsan-scanned
 * (knotd may be halted and restarted on one log) go to
 * $MECDNS_SANITIZER_DIR/san.knotd-log.PID, which scripts/sanitize.sh counts.
 */
static void save_ubsan_reports(const char *log_path, const char *dir, int pid)
{
	const char *report_dir = getenv("MECDNS_SANITIZER_DIR");
	char *log = harness_read_file(log_path);
	char *mark = dir != NULL ? harness_strdupf("%s/ubsan-scanned", dir) : NULL;
	char *scanned = mark != NULL ? harness_read_file(mark) : NULL;
	size_t from = scanned != NULL ? strtoul(scanned, NULL, 10) : 0;
	if (report_dir != NULL && log != NULL && from <= strlen(log) &&
	    strstr(log + from, ": runtime error: ") != NULL) {
		char *path = harness_strdupf("%s/san.knotd-log.%d", report_dir, pid);
		FILE *out = fopen(path, "a");
		if (out != NULL) {
			copy_ubsan_reports(log + from, out);
			fclose(out);
		}
		free(path);
	}
	if (mark != NULL && log != NULL) {
		char size[32];
		snprintf(size, sizeof(size), "%zu", strlen(log));
		harness_write_file(mark, size);
	}
	free(scanned);
	free(mark);
	free(log);
}
#else
static void save_ubsan_reports(const char *log_path, const char *dir, int pid)
{
}
#endif

void knotd_halt(knotd_t *knotd, int sig)
{
	if (knotd->proc.pid <= 0) {
		return;
	}
	int pid = knotd->proc.pid;
	if (sig != 0 && sig != SIGTERM) {
		harness_signal(&knotd->proc, sig);
	}
	harness_stop(&knotd->proc, KNOTD_STOP_MS);
	save_ubsan_reports(knotd->proc.log_path, knotd->dir, pid);
}

int knotd_restart(knotd_t *knotd, const knotd_config_t *config)
{
	char *log_path = harness_strdupf("%s/knotd.log", knotd->dir);
	int ret = knotd_spawn(&knotd->proc, knotd->conf_path, config->env, log_path);
	free(log_path);
	if (ret != 0) {
		return -1;
	}
	track(knotd);
	if (wait_ready(knotd, config) != 0) {
		fprintf(stderr, "knotd: not ready again within %d ms\n", KNOTD_READY_MS);
		knotd_dump_log(knotd);
		return -1;
	}
	return 0;
}

void knotd_stop(knotd_t *knotd)
{
	int pid = knotd->proc.pid;
	if (knotd->proc.pid > 0) {
		harness_stop(&knotd->proc, KNOTD_STOP_MS);
	}
	if (knotd->proc.log_path[0] != '\0') {
		save_ubsan_reports(knotd->proc.log_path, knotd->dir, pid);
	}
	if (knotd->dir != NULL) {
		harness_rmtree(knotd->dir);
	}
	free(knotd->dir);
	free(knotd->conf_path);
	knotd->dir = NULL;
	knotd->conf_path = NULL;
}

void knotd_track_begin(void)
{
	char path[] = "/tmp/mecdns-knotd-track-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "knotd: cannot create a tracking file: %s\n", strerror(errno));
		return;
	}
	close(fd);
	setenv(KNOTD_TRACK_ENV, path, 1);
}

/*! \brief True if pid is still the knotd started with conf_path (a PID may
 *         have been reused since). */
static bool is_our_knotd(pid_t pid, const char *conf_path)
{
	char proc_path[64];
	snprintf(proc_path, sizeof(proc_path), "/proc/%d/cmdline", (int)pid);
	FILE *f = fopen(proc_path, "r");
	if (f == NULL) {
		return false;
	}
	char cmdline[4096];
	size_t len = fread(cmdline, 1, sizeof(cmdline), f);
	fclose(f);
	return memmem(cmdline, len, conf_path, strlen(conf_path)) != NULL;
}

/*! \brief Stops a knotd that outlived its test (it may no longer be our child:
 *         a knotd that changed its user lost its parent-death signal). */
static void stop_orphan(pid_t pid, const char *conf_path)
{
	if (!is_our_knotd(pid, conf_path)) {
		return;
	}
	fprintf(stderr, "knotd: stopping pid %d left running by a failed test\n", (int)pid);
	kill(pid, SIGTERM);
	long long deadline = harness_now_ms() + KNOTD_STOP_MS;
	while (is_our_knotd(pid, conf_path) && harness_now_ms() < deadline) {
		harness_sleep_ms(20);
	}
	if (is_our_knotd(pid, conf_path)) {
		kill(pid, SIGKILL);
	}
}

int knotd_track_end(void)
{
	const char *path = getenv(KNOTD_TRACK_ENV);
	if (path == NULL) {
		return 0;
	}
	int left = 0;
	FILE *f = fopen(path, "r");
	char line[2048];
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		int pid = 0;
		char dir[512], conf[1024];
		if (sscanf(line, "%d %511s %1023s", &pid, dir, conf) != 3 ||
		    access(dir, F_OK) != 0) {
			continue; /* Stopped by its test. */
		}
		left++;
		stop_orphan((pid_t)pid, conf);
		char *log_path = harness_strdupf("%s/knotd.log", dir);
		save_ubsan_reports(log_path, dir, pid);
		char *log = harness_read_file(log_path);
		fprintf(stderr,
		        "----- knotd log of a failed test (%s) -----\n%s\n----- end -----\n", dir,
		        log != NULL ? log : "(unreadable)");
		free(log);
		free(log_path);
		harness_rmtree(dir);
	}
	if (f != NULL) {
		fclose(f);
	}
	unlink(path);
	unsetenv(KNOTD_TRACK_ENV);
	return left;
}
