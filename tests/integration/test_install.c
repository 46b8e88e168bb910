/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Install-time hardening (issue 7, "Security"): what `make install` puts
 *  under DESTDIR and the database directory it sets up, with the real tools.
 *
 *  - The build tree's install targets (units, sysusers.d, tmpfiles.d, the
 *    D-Bus policy, the daemons) into a DESTDIR: every file inside the
 *    prefix; `systemd-analyze verify` has nothing to say about the units,
 *    `systemd-analyze security --offline` rates both at most 2.0 (and the
 *    figures go to the log); the D-Bus policy, read with xmllint, lets only
 *    the user mecdns own org.mecdns.syncd and send its signals.
 *  - systemd-sysusers and systemd-tmpfiles with --root on a copy of the
 *    host's passwd and group files: a system user mecdns, not in the group
 *    knot; /var/lib/mecdns mecdns:knot 2750; the secrets in /etc/mecdns the
 *    user mecdns's only (root only: tmpfiles chowns).
 *  - That directory for real (root, and Debian's user knot): the real
 *    mecdns-syncd runs as the new user's uid with the group knot (as its
 *    unit says, through setpriv) and writes; knotd with mod-mecdns runs as
 *    knot, answers every change, and mecdns-syncd reaches its control
 *    socket through the group knot (/readyz); knot can neither create,
 *    remove, rename nor write files there (a forked child as knot tries),
 *    only share the WAL index (-shm) as SQLite's WAL readers must.
 *
 *  No user is added to the host: the uid exists only in the private root's
 *  passwd file, which is all setpriv and the kernel need.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "tests/harness/dns.h"
#include "tests/harness/harness.h"
#include "tests/harness/http.h"
#include "tests/harness/knotd.h"

#define ADDR "127.0.0.1"
#define APP  "app-install"
/*! Deadline for "eventually" (a server starts, a change is answered). */
#define EVENTUALLY_MS 20000
/*! Deadline of one external command (make, systemd-analyze, ...). */
#define COMMAND_MS 300000
/*! Highest acceptable `systemd-analyze security` exposure, times ten. */
#define EXPOSURE_THRESHOLD 20

static char *run_dir;      /*!< Private directory of this test program. */
static char *destdir;      /*!< DESTDIR of the installation. */
static int install_status; /*!< Exit status of `make install-...`. */
static char *install_log;  /*!< Its output. */

/*! \brief An environment variable set by tests/install.mk. */
static const char *env(const char *name)
{
	const char *value = getenv(name);
	ck_assert_msg(value != NULL && *value != '\0',
	              "%s is not set (run the test through make check)", name);
	return value;
}

/*! \brief Absolute path of a program found in PATH, or NULL. */
static char *which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy = strdup(path != NULL ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	char *result = NULL;
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir != NULL && result == NULL;
	     dir = strtok_r(NULL, ":", &save)) {
		char *candidate = harness_strdupf("%s/%s", dir, name);
		if (access(candidate, X_OK) == 0) {
			result = candidate;
		} else {
			free(candidate);
		}
	}
	free(copy);
	return result;
}

/*! \brief A program the test needs (scripts/deps.sh installs them). */
static char *tool(const char *name, const char *package)
{
	char *path = which(name);
	ck_assert_msg(path != NULL,
	              "%s not found: install the Debian package %s "
	              "(scripts/deps.sh does)",
	              name, package);
	return path;
}

/*! \brief An installed file: DESTDIR + dir (from the environment) + name. */
static char *installed(const char *dir_var, const char *name)
{
	return harness_strdupf("%s%s/%s", destdir, env(dir_var), name);
}

/*! \brief Runs argv; returns the exit status and the output in *out. */
static int run(char *const argv[], char **out)
{
	*out = NULL;
	int status = harness_run(argv, NULL, out, COMMAND_MS);
	if (*out == NULL) {
		*out = strdup("");
	}
	return status;
}

/*! \brief The end of a command's output, short enough for a Check message
 *         (Check gives up on long ones). */
static const char *tail(const char *out)
{
	size_t len = strlen(out);
	return len > 1500 ? out + len - 1500 : out;
}

/*! \brief True if text has exactly this line. */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p += len) {
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0')) {
			return true;
		}
	}
	return false;
}

/*** The installation (once, before the tests). ***/

/*! \brief make the install targets of the data files and daemons into DESTDIR. */
static void install_into_destdir(void)
{
	destdir = harness_strdupf("%s/destdir", run_dir);
	char *make = which("make");
	char *dest_arg = harness_strdupf("DESTDIR=%s", destdir);
	const char *builddir = getenv("MECDNS_BUILDDIR");
	char *argv[] = { make != NULL ? make : "/usr/bin/make",
		         "-s",
		         "-C",
		         (char *)(builddir != NULL ? builddir : "."),
		         "install-systemdsystemunitDATA",
		         "install-dist_sysusersDATA",
		         "install-tmpfilesDATA",
		         "install-dist_dbuspolicyDATA",
		         "install-sbinPROGRAMS",
		         dest_arg,
		         NULL };
	/* A make of its own, not a job of the make check running the test. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	install_status = harness_run(argv, NULL, &install_log, COMMAND_MS);
	free(dest_arg);
	free(make);
}

static void require_install(void)
{
	ck_assert_msg(install_status == 0, "make install into %s failed (%d):\n%s", destdir,
	              install_status, tail(install_log != NULL ? install_log : ""));
}

/*** The installed files. ***/

static const char *prefix_of_install;
static int outside_prefix;

static int check_inside_prefix(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_D || type == FTW_DP) {
		return 0;
	}
	const char *rel = path + strlen(destdir);
	if (strncmp(rel, prefix_of_install, strlen(prefix_of_install)) != 0) {
		fprintf(stderr, "installed outside the prefix %s: %s\n", prefix_of_install, rel);
		outside_prefix++;
	}
	return 0;
}

START_TEST(test_install_puts_every_file_inside_the_prefix)
{
	require_install();
	const char *files[][2] = {
		{ "MECDNS_INSTALL_UNITDIR", "mecdns-syncd.service" },
		{ "MECDNS_INSTALL_UNITDIR", "mecdns-announce.service" },
		{ "MECDNS_INSTALL_SYSUSERSDIR", "mecdns.conf" },
		{ "MECDNS_INSTALL_TMPFILESDIR", "mecdns.conf" },
		{ "MECDNS_INSTALL_DBUSPOLICYDIR", "org.mecdns.syncd.conf" },
		{ "MECDNS_INSTALL_SBINDIR", "mecdns-syncd" },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = installed(files[i][0], files[i][1]);
		ck_assert_msg(access(path, R_OK) == 0, "not installed: %s", path);
		free(path);
	}
	prefix_of_install = env("MECDNS_INSTALL_PREFIX");
	outside_prefix = 0;
	ck_assert_int_eq(nftw(destdir, check_inside_prefix, 16, FTW_PHYS), 0);
	ck_assert_msg(outside_prefix == 0, "%d files installed outside the prefix %s",
	              outside_prefix, prefix_of_install);
}
END_TEST

/*! \brief A copy of an installed unit whose ExecStart= runs the DESTDIR
 *         binary (systemd-analyze verify wants an executable there). */
static char *unit_copy(const char *unit)
{
	char *src = installed("MECDNS_INSTALL_UNITDIR", unit);
	char *text = harness_read_file(src);
	ck_assert_msg(text != NULL, "cannot read %s", src);
	char *exec = harness_strdupf("ExecStart=%s/", env("MECDNS_INSTALL_SBINDIR"));
	char *at = strstr(text, exec);
	ck_assert_msg(at != NULL, "%s: no %s", src, exec);
	*at = '\0';
	char *copy_text = harness_strdupf("%sExecStart=%s%s/%s", text, destdir,
	                                  env("MECDNS_INSTALL_SBINDIR"), at + strlen(exec));
	char *dir = harness_strdupf("%s/units", run_dir);
	mkdir(dir, 0755);
	char *copy = harness_strdupf("%s/%s", dir, unit);
	ck_assert_int_eq(harness_write_file(copy, copy_text), 0);
	free(dir);
	free(copy_text);
	free(exec);
	free(text);
	free(src);
	return copy;
}

static const char *const units[] = { "mecdns-syncd.service", "mecdns-announce.service" };

START_TEST(test_units_verify_without_a_word)
{
	require_install();
	char *analyze = tool("systemd-analyze", "systemd");
	for (size_t i = 0; i < 2; i++) {
		char *copy = unit_copy(units[i]);
		char *argv[] = { analyze, "verify", "--man=no", copy, NULL };
		char *out = NULL;
		int status = run(argv, &out);
		ck_assert_msg(status == 0 && out[0] == '\0',
		              "systemd-analyze verify %s: status %d:\n%s", units[i], status,
		              tail(out));
		free(out);
		free(copy);
	}
	free(analyze);
}
END_TEST

START_TEST(test_units_exposure_is_low_and_every_sandbox_setting_counts)
{
	require_install();
	char *analyze = tool("systemd-analyze", "systemd");
	/* The settings systemd-analyze rates that both units must pass. */
	static const char *const required[] = {
		"User=/DynamicUser=",
		"NoNewPrivileges=",
		"CapabilityBoundingSet=",
		"AmbientCapabilities=",
		"ProtectSystem=",
		"ProtectHome=",
		"PrivateTmp=",
		"PrivateDevices=",
		"PrivateMounts=",
		"ProtectProc=",
		"ProcSubset=",
		"ProtectKernelTunables=",
		"ProtectKernelModules=",
		"ProtectKernelLogs=",
		"ProtectControlGroups=",
		"ProtectClock=",
		"ProtectHostname=",
		"RemoveIPC=",
		"RestrictNamespaces=",
		"RestrictRealtime=",
		"RestrictSUIDSGID=",
		"LockPersonality=",
		"MemoryDenyWriteExecute=",
		"SystemCallArchitectures=",
		"SystemCallFilter=",
		"RestrictAddressFamilies=~AF_PACKET",
		"RestrictAddressFamilies=~AF_NETLINK",
	};
	char threshold[16];
	snprintf(threshold, sizeof(threshold), "--threshold=%d", EXPOSURE_THRESHOLD);
	for (size_t i = 0; i < 2; i++) {
		char *copy = unit_copy(units[i]);
		char *argv[] = { analyze, "security", "--offline=true", "--no-pager", threshold,
			         copy,    NULL };
		char *out = NULL;
		int status = run(argv, &out);
		const char *overall = strstr(out, "Overall exposure level for ");
		if (overall == NULL || status != 0) {
			fprintf(stderr, "%s", out);
		}
		ck_assert_msg(overall != NULL, "systemd-analyze security %s:\n%s", units[i],
		              tail(out));
		int len = (int)strcspn(overall, "\n");
		fprintf(stderr, "install: %.*s\n", len, overall);
		ck_assert_msg(status == 0, "%s: exposure above %d.%d (the table is above)",
		              units[i], EXPOSURE_THRESHOLD / 10, EXPOSURE_THRESHOLD % 10);
		for (size_t r = 0; r < sizeof(required) / sizeof(required[0]); r++) {
			char *failed = harness_strdupf("\xe2\x9c\x97 %s", required[r]);
			ck_assert_msg(strstr(out, failed) == NULL, "%s: %s is not set", units[i],
			              required[r]);
			free(failed);
		}
		free(out);
		free(copy);
	}
	free(analyze);
}
END_TEST

START_TEST(test_units_run_as_mecdns_and_only_syncd_gets_the_group_knot)
{
	require_install();
	char *path = installed("MECDNS_INSTALL_UNITDIR", "mecdns-syncd.service");
	char *syncd = harness_read_file(path);
	free(path);
	path = installed("MECDNS_INSTALL_UNITDIR", "mecdns-announce.service");
	char *announce = harness_read_file(path);
	free(path);
	path = installed("MECDNS_INSTALL_TMPFILESDIR", "mecdns.conf");
	char *tmpfiles = harness_read_file(path);
	free(path);
	ck_assert(syncd != NULL && announce != NULL && tmpfiles != NULL);

	ck_assert(has_line(syncd, "User=mecdns"));
	ck_assert(has_line(syncd, "Group=knot"));
	ck_assert(has_line(syncd, "StateDirectory=mecdns"));
	ck_assert(has_line(syncd, "UMask=0027"));
	ck_assert(has_line(syncd, "PrivateUsers=yes"));
	ck_assert(has_line(syncd, "InaccessiblePaths=-/etc/knot -/var/lib/knot"));
	/* The unit and tmpfiles.d make the same directory. */
	ck_assert(has_line(syncd, "StateDirectoryMode=2750"));
	ck_assert(has_line(tmpfiles, "d /var/lib/mecdns 2750 mecdns knot -"));
	ck_assert_msg(strstr(syncd, "ReadWritePaths=") == NULL,
	              "StateDirectory= is the only writable path");

	/* Its own user: not the one that may own org.mecdns.syncd (issue 12). */
	ck_assert(has_line(announce, "User=mecdns-announce"));
	ck_assert_msg(strstr(announce, "Group=") == NULL, "the announcer is not in the group knot");
	char *hidden =
	    harness_strdupf("InaccessiblePaths=-/var/lib/mecdns -%s/mecdns/tokens "
	                    "-%s/mecdns/tls",
	                    env("MECDNS_INSTALL_SYSCONFDIR"), env("MECDNS_INSTALL_SYSCONFDIR"));
	ck_assert_msg(has_line(announce, hidden), "announce: no line %s", hidden);
	free(hidden);
	free(syncd);
	free(announce);
	free(tmpfiles);
}
END_TEST

/*! \brief count(XPATH) of the installed D-Bus policy, through xmllint. */
static long policy_count(const char *xmllint, const char *policy, const char *xpath)
{
	char *expr = harness_strdupf("count(%s)", xpath);
	char *argv[] = { (char *)xmllint, "--nonet", "--xpath", expr, (char *)policy, NULL };
	char *out = NULL;
	int status = run(argv, &out);
	ck_assert_msg(status == 0, "xmllint --xpath '%s': %d: %s", expr, status, tail(out));
	char *end = NULL;
	long count = strtol(out, &end, 10);
	ck_assert_msg(end != out, "xmllint --xpath '%s': %s", expr, tail(out));
	free(out);
	free(expr);
	return count;
}

START_TEST(test_dbus_policy_lets_only_mecdns_own_the_name_and_signal)
{
	require_install();
	char *xmllint = tool("xmllint", "libxml2-utils");
	char *policy = installed("MECDNS_INSTALL_DBUSPOLICYDIR", "org.mecdns.syncd.conf");
	char *argv[] = { xmllint, "--nonet", "--noout", policy, NULL };
	char *out = NULL;
	ck_assert_msg(run(argv, &out) == 0 && out[0] == '\0', "not well-formed: %s", tail(out));
	free(out);

	/* One grant of ownership, to the user mecdns, of exactly the name. */
	ck_assert_int_eq(policy_count(xmllint, policy, "//allow[@own or @own_prefix]"), 1);
	ck_assert_int_eq(policy_count(xmllint, policy,
	                              "/busconfig/policy[@user='mecdns']"
	                              "/allow[@own='org.mecdns.syncd']"),
	                 1);
	ck_assert_int_eq(policy_count(xmllint, policy,
	                              "/busconfig/policy[@context='default']"
	                              "/deny[@own='org.mecdns.syncd']"),
	                 1);
	/* Only mecdns may send the signals; everyone may receive them. */
	ck_assert_int_eq(policy_count(xmllint, policy, "//allow[@send_type='signal']"),
	                 policy_count(xmllint, policy,
	                              "/busconfig/policy[@user='mecdns']"
	                              "/allow[@send_type='signal']"));
	ck_assert_int_eq(policy_count(xmllint, policy,
	                              "/busconfig/policy[@context='default']"
	                              "/deny[@send_type='signal' and "
	                              "@send_interface='org.mecdns.syncd.events']"),
	                 1);
	ck_assert_int_eq(policy_count(xmllint, policy,
	                              "/busconfig/policy[@context='default']"
	                              "/allow[@receive_sender='org.mecdns.syncd']"),
	                 1);
	/* No policy for another user, a group, the console or "mandatory". */
	ck_assert_int_eq(policy_count(xmllint, policy,
	                              "/busconfig/policy[not(@user='mecdns') and "
	                              "not(@context='default')]"),
	                 0);
	/* Nobody else may call anything but GetState, Introspect and Peer. */
	ck_assert_int_eq(policy_count(xmllint, policy,
	                              "/busconfig/policy[@context='default']"
	                              "/allow[@send_destination='org.mecdns.syncd' and "
	                              "not(@send_interface='org.mecdns.syncd.state' and "
	                              "@send_member='GetState') and "
	                              "not(@send_interface='org.freedesktop.DBus.Introspectable') "
	                              "and not(@send_interface='org.freedesktop.DBus.Peer')]"),
	                 0);
	free(policy);
	free(xmllint);
}
END_TEST

/*** sysusers.d and tmpfiles.d in a private root. ***/

/*! A private root: the host's passwd and group plus sysusers.d/mecdns.conf. */
typedef struct {
	char *dir;
	uid_t mecdns_uid;
	gid_t mecdns_gid;
} root_t;

/*! \brief "NAME:x:UID:GID:..." of name in a passwd-style file, or NULL. */
static char *passwd_line(const char *file, const char *name)
{
	char *text = harness_read_file(file);
	ck_assert_msg(text != NULL, "cannot read %s", file);
	char *key = harness_strdupf("%s:", name);
	char *line = NULL;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL && line == NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, key, strlen(key)) == 0) {
			line = strdup(l);
		}
	}
	free(key);
	free(text);
	return line;
}

/*! \brief The n-th (from 0) colon-separated field of a line (malloc'd). */
static char *field(const char *line, int n)
{
	const char *p = line;
	for (int i = 0; i < n && p != NULL; i++) {
		p = strchr(p, ':');
		p = p != NULL ? p + 1 : NULL;
	}
	ck_assert_msg(p != NULL, "no field %d in '%s'", n, line);
	return strndup(p, strcspn(p, ":"));
}

static void copy_file(const char *from, const char *to)
{
	char *text = harness_read_file(from);
	ck_assert_msg(text != NULL, "cannot read %s", from);
	ck_assert_int_eq(harness_write_file(to, text), 0);
	free(text);
}

/*! \brief Makes the private root and runs systemd-sysusers --root there. */
static void make_root(root_t *root, const char *tag)
{
	root->dir = harness_strdupf("%s/root-%s", run_dir, tag);
	char *etc = harness_strdupf("%s/etc", root->dir);
	ck_assert_int_eq(mkdir(root->dir, 0755), 0);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	const char *files[] = { "passwd", "group" };
	for (size_t i = 0; i < 2; i++) {
		char *from = harness_strdupf("/etc/%s", files[i]);
		char *to = harness_strdupf("%s/%s", etc, files[i]);
		copy_file(from, to);
		free(from);
		free(to);
	}
	char *sysusers = tool("systemd-sysusers", "systemd");
	char *conf = installed("MECDNS_INSTALL_SYSUSERSDIR", "mecdns.conf");
	char *root_arg = harness_strdupf("--root=%s", root->dir);
	char *argv[] = { sysusers, root_arg, conf, NULL };
	char *out = NULL;
	ck_assert_msg(run(argv, &out) == 0, "systemd-sysusers %s: %s", conf, tail(out));

	char *passwd = harness_strdupf("%s/passwd", etc);
	char *line = passwd_line(passwd, "mecdns");
	ck_assert_msg(line != NULL, "no user mecdns in %s:\n%s", passwd, tail(out));
	char *uid = field(line, 2), *gid = field(line, 3);
	root->mecdns_uid = (uid_t)strtoul(uid, NULL, 10);
	root->mecdns_gid = (gid_t)strtoul(gid, NULL, 10);
	free(uid);
	free(gid);
	free(line);
	free(passwd);
	free(out);
	free(root_arg);
	free(conf);
	free(sysusers);
	free(etc);
}

/*! \brief systemd-tmpfiles --create --root with the installed tmpfiles.d. */
static void run_tmpfiles(const root_t *root)
{
	char *tmpfiles = tool("systemd-tmpfiles", "systemd");
	char *conf = installed("MECDNS_INSTALL_TMPFILESDIR", "mecdns.conf");
	char *root_arg = harness_strdupf("--root=%s", root->dir);
	char *argv[] = { tmpfiles, "--create", root_arg, conf, NULL };
	char *out = NULL;
	ck_assert_msg(run(argv, &out) == 0, "systemd-tmpfiles %s: %s", conf, tail(out));
	free(out);
	free(root_arg);
	free(conf);
	free(tmpfiles);
}

/*! \brief Skips (true) unless root and Debian's group knot. */
static bool skip_unless_root_and_knot(const char *test)
{
	if (!harness_is_root() || getgrnam("knot") == NULL || getpwnam("knot") == NULL) {
		fprintf(stderr, "SKIP %s: %s\n", test,
		        !harness_is_root() ? "needs root (files owned by other users)"
		                           : "no user or group 'knot' (Debian package knot)");
		return true;
	}
	return false;
}

static void expect_file(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;
	ck_assert_msg(lstat(path, &st) == 0, "%s: %s", path, strerror(errno));
	ck_assert_msg((st.st_mode & 07777) == mode && st.st_uid == uid && st.st_gid == gid,
	              "%s: mode %04o uid %ld gid %ld, expected %04o %ld %ld", path,
	              st.st_mode & 07777, (long)st.st_uid, (long)st.st_gid, mode, (long)uid,
	              (long)gid);
}

START_TEST(test_sysusers_adds_a_system_user_mecdns_outside_the_group_knot)
{
	require_install();
	if (skip_unless_root_and_knot("test_sysusers_adds_a_system_user_mecdns")) {
		return;
	}
	root_t root;
	make_root(&root, "sysusers");
	char *passwd = harness_strdupf("%s/etc/passwd", root.dir);
	char *group = harness_strdupf("%s/etc/group", root.dir);
	char *user = passwd_line(passwd, "mecdns");
	ck_assert_msg(root.mecdns_uid > 0 && root.mecdns_uid < 1000, "not a system user: %s", user);
	char *home = field(user, 5), *shell = field(user, 6);
	ck_assert_str_eq(home, "/var/lib/mecdns");
	ck_assert_msg(strstr(shell, "nologin") != NULL, "a login shell: %s", shell);
	char *own = passwd_line(group, "mecdns");
	ck_assert_msg(own != NULL, "no group mecdns");
	char *knot = passwd_line(group, "knot");
	char *members = field(knot, 3);
	ck_assert_msg(strstr(members, "mecdns") == NULL, "mecdns is in the group knot: %s", knot);
	/* mecdns-announce: a system user of its own, in no group of mecdns. */
	char *announcer = passwd_line(passwd, "mecdns-announce");
	ck_assert_msg(announcer != NULL, "no user mecdns-announce");
	char *uid_text = field(announcer, 2);
	char *gid_text = field(announcer, 3);
	uid_t uid = (uid_t)strtoul(uid_text, NULL, 10);
	gid_t gid = (gid_t)strtoul(gid_text, NULL, 10);
	ck_assert_msg(uid > 0 && uid < 1000 && uid != root.mecdns_uid, "%s", announcer);
	ck_assert_msg(gid != root.mecdns_gid, "mecdns-announce has the group mecdns: %s",
	              announcer);
	char *own_group = field(own, 3);
	ck_assert_msg(strstr(own_group, "mecdns-announce") == NULL, "in the group mecdns: %s", own);
	free(own_group);
	free(uid_text);
	free(gid_text);
	free(announcer);
	free(members);
	free(knot);
	free(own);
	free(home);
	free(shell);
	free(user);
	free(group);
	free(passwd);
	free(root.dir);
}
END_TEST

START_TEST(test_tmpfiles_makes_the_shared_directory_and_keeps_secrets_to_mecdns)
{
	require_install();
	if (skip_unless_root_and_knot("test_tmpfiles_makes_the_shared_directory")) {
		return;
	}
	root_t root;
	make_root(&root, "tmpfiles");
	/* Secrets an administrator left readable. */
	char *conf_dir = harness_strdupf("%s%s/mecdns", root.dir, env("MECDNS_INSTALL_SYSCONFDIR"));
	char *mkdir_cmd[] = { "/bin/mkdir", "-p", conf_dir, NULL };
	char *out = NULL;
	ck_assert_int_eq(run(mkdir_cmd, &out), 0);
	free(out);
	char *tokens = harness_strdupf("%s/tokens", conf_dir);
	ck_assert_int_eq(harness_write_file(tokens, "secret admin\n"), 0);
	ck_assert_int_eq(chmod(tokens, 0644), 0);
	run_tmpfiles(&root);

	gid_t knot = getgrnam("knot")->gr_gid;
	char *db_dir = harness_strdupf("%s/var/lib/mecdns", root.dir);
	expect_file(db_dir, 02750, root.mecdns_uid, knot);
	expect_file(conf_dir, 0755, 0, 0);
	expect_file(tokens, 0600, root.mecdns_uid, root.mecdns_gid);
	char *tls = harness_strdupf("%s/tls", conf_dir);
	expect_file(tls, 0700, root.mecdns_uid, root.mecdns_gid);
	free(tls);
	free(db_dir);
	free(tokens);
	free(conf_dir);
	free(root.dir);
}
END_TEST

/*** The database directory for real: syncd as mecdns, knotd as knot. ***/

static struct {
	root_t root;
	char *db;
	char *log;
	harness_proc_t syncd;
	int port;
	knotd_t knotd;
	bool knotd_running;
} fx;

/*! \brief Starts the built mecdns-syncd as the private root's mecdns with
 *         the group knot (the unit's User= and Group=), no other groups. */
static void start_syncd(void)
{
	char *setpriv = tool("setpriv", "util-linux");
	char *syncd = harness_build_path("syncd/mecdns-syncd");
	char *reuid = harness_strdupf("--reuid=%ld", (long)fx.root.mecdns_uid);
	char *regid = harness_strdupf("--regid=%ld", (long)getgrnam("knot")->gr_gid);
	fx.port = harness_free_port(ADDR);
	ck_assert_int_gt(fx.port, 0);
	char *listen = harness_strdupf("%s:%d", ADDR, fx.port);
	char *socket = harness_strdupf("%s/knot.sock", fx.knotd.dir);
	char *argv[] = { setpriv,
		         reuid,
		         regid,
		         "--clear-groups",
		         "--no-new-privs",
		         syncd,
		         "--listen",
		         listen,
		         "--database",
		         fx.db,
		         "--dbus",
		         "none",
		         "--knot-dbus",
		         "none",
		         "--knot-socket",
		         socket,
		         "--knot-poll",
		         "100",
		         NULL };
	ck_assert_int_eq(harness_spawn(&fx.syncd, "mecdns-syncd", argv, NULL, fx.log), 0);
	if (harness_wait_tcp(ADDR, fx.port, EVENTUALLY_MS) != 0) {
		harness_dump_log(&fx.syncd);
		ck_abort_msg("mecdns-syncd as uid %ld did not start", (long)fx.root.mecdns_uid);
	}
	free(socket);
	free(listen);
	free(regid);
	free(reuid);
	free(syncd);
	free(setpriv);
}

static void stop_syncd(void)
{
	int status = harness_stop(&fx.syncd, 10000);
	if (status != 0) {
		harness_dump_log(&fx.syncd);
	}
	ck_assert_msg(status == 0, "mecdns-syncd exited with %d on SIGTERM", status);
}

static void db_setup(void)
{
	memset(&fx, 0, sizeof(fx));
}

static void db_teardown(void)
{
	if (fx.syncd.pid > 0) {
		harness_stop(&fx.syncd, 5000);
	}
	if (fx.knotd_running) {
		knotd_stop(&fx.knotd);
	}
	free(fx.db);
	free(fx.log);
	free(fx.root.dir);
}

static void add_rule(const char *id, const char *name, const char *address)
{
	char *body = harness_strdupf("{\"dnsRuleId\":\"%s\",\"domainName\":\"%s\","
	                             "\"ipAddressType\":\"IP_V4\",\"ipAddress\":\"%s\","
	                             "\"ttl\":30}",
	                             id, name, address);
	const char *headers[] = { "Content-Type: application/json", NULL };
	http_response_t resp;
	ck_assert_int_eq(http_request(ADDR, fx.port, "POST", "/mep/config/" APP "/dns_rules",
	                              headers, body, strlen(body), &resp),
	                 0);
	if (resp.status != 201) {
		harness_dump_log(&fx.syncd);
	}
	ck_assert_msg(resp.status == 201, "POST %s: %d %s", id, resp.status, resp.body);
	http_response_free(&resp);
	free(body);
}

static void wait_answer(const char *name, const char *address)
{
	bool matched = false;
	knot_pkt_t *answer = dns_poll(fx.knotd.port, name, KNOT_RRTYPE_A, NULL, dns_match_address,
	                              address, EVENTUALLY_MS, &matched);
	if (!matched) {
		knotd_dump_log(&fx.knotd);
	}
	ck_assert_msg(matched, "knotd as knot does not answer %s with %s", name, address);
	knot_pkt_free(answer);
}

static bool readyz(void)
{
	http_response_t resp;
	if (http_request(ADDR, fx.port, "GET", "/readyz", NULL, NULL, 0, &resp) != 0) {
		return false;
	}
	bool ok = resp.status == 200;
	http_response_free(&resp);
	return ok;
}

/*! \brief The installed modes: dir 2750, database and -wal 0640, -shm 0660,
 *         all mecdns:knot. */
static void expect_installed_modes(void)
{
	gid_t knot = getgrnam("knot")->gr_gid;
	uid_t mecdns = fx.root.mecdns_uid;
	char *dir = harness_strdupf("%s/var/lib/mecdns", fx.root.dir);
	char *wal = harness_strdupf("%s-wal", fx.db);
	char *shm = harness_strdupf("%s-shm", fx.db);
	expect_file(dir, 02750, mecdns, knot);
	expect_file(fx.db, 0640, mecdns, knot);
	expect_file(wal, 0640, mecdns, knot);
	expect_file(shm, 0660, mecdns, knot);
	free(shm);
	free(wal);
	free(dir);
}

/*! What the user knot tried in the directory and was allowed to do. */
enum {
	KNOT_CREATED = 1 << 0,   /*!< created a new file */
	KNOT_WROTE_DB = 1 << 1,  /*!< opened the database for writing */
	KNOT_WROTE_WAL = 1 << 2, /*!< opened -wal for writing */
	KNOT_REMOVED = 1 << 3,   /*!< removed the database */
	KNOT_RENAMED = 1 << 4,   /*!< renamed -wal */
	KNOT_NO_SHM = 1 << 5,    /*!< could NOT open -shm read-write */
	KNOT_NO_READ = 1 << 6,   /*!< could NOT read the database */
	KNOT_SETUID = 1 << 7,    /*!< could not become knot */
};

/*! \brief In a child as user knot (group knot only), tries every write. */
static int knot_tries(const char *dir)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct passwd *pw = getpwnam("knot");
		gid_t gid = getgrnam("knot")->gr_gid;
		if (pw == NULL || setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
		    setuid(pw->pw_uid) != 0) {
			_exit(KNOT_SETUID);
		}
		int found = 0;
		char *db = harness_strdupf("%s/mecdns.db", dir);
		char *wal = harness_strdupf("%s-wal", db);
		char *shm = harness_strdupf("%s-shm", db);
		char *other = harness_strdupf("%s/other", dir);
		int fd = open(other, O_WRONLY | O_CREAT | O_EXCL, 0600);
		found |= fd >= 0 ? KNOT_CREATED : 0;
		found |= (fd = open(db, O_WRONLY)) >= 0 ? KNOT_WROTE_DB : 0;
		found |= (fd = open(wal, O_WRONLY)) >= 0 ? KNOT_WROTE_WAL : 0;
		found |= unlink(db) == 0 ? KNOT_REMOVED : 0;
		found |= rename(wal, other) == 0 ? KNOT_RENAMED : 0;
		found |= (fd = open(shm, O_RDWR)) < 0 ? KNOT_NO_SHM : 0;
		found |= (fd = open(db, O_RDONLY)) < 0 ? KNOT_NO_READ : 0;
		_exit(found);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_syncd_as_mecdns_writes_and_knotd_as_knot_only_reads)
{
	require_install();
	if (skip_unless_root_and_knot("test_syncd_as_mecdns_writes_and_knotd_as_knot_only_reads")) {
		return;
	}
	make_root(&fx.root, "db");
	run_tmpfiles(&fx.root);
	fx.db = harness_strdupf("%s/var/lib/mecdns/mecdns.db", fx.root.dir);
	fx.log = harness_strdupf("%s/syncd.log", run_dir);

	/* knotd first: syncd's --knot-socket is in its directory. The
	 * database appears when syncd starts (the module retries). */
	knotd_config_t config = {
		.tag = "install",
		.database = fx.db,
		.global_module = true,
		.user = "knot:knot",
	};
	ck_assert_msg(knotd_start(&fx.knotd, &config) == 0, "knotd as knot did not start");
	fx.knotd_running = true;
	start_syncd();

	add_rule("r1", "first.install.test", "192.0.2.201");
	wait_answer("first.install.test.", "192.0.2.201");
	expect_installed_modes();

	/* syncd reaches knotd's control socket (knot:knot 0220) through the
	 * group knot alone: it reports serving. */
	long long until = harness_now_ms() + EVENTUALLY_MS;
	while (!readyz() && harness_now_ms() < until) {
		harness_sleep_ms(100);
	}
	if (!readyz()) {
		harness_dump_log(&fx.syncd);
	}
	ck_assert_msg(readyz(), "mecdns-syncd (group knot) never got knotd's state");

	char *dir = harness_strdupf("%s/var/lib/mecdns", fx.root.dir);
	int found = knot_tries(dir);
	ck_assert_msg((found & KNOT_SETUID) == 0, "cannot become the user knot");
	ck_assert_msg((found & KNOT_CREATED) == 0, "knot created a file in %s", dir);
	ck_assert_msg((found & KNOT_WROTE_DB) == 0, "knot may write the database");
	ck_assert_msg((found & KNOT_WROTE_WAL) == 0, "knot may write -wal");
	ck_assert_msg((found & KNOT_REMOVED) == 0, "knot removed the database");
	ck_assert_msg((found & KNOT_RENAMED) == 0, "knot renamed -wal");
	ck_assert_msg((found & KNOT_NO_READ) == 0, "knot cannot read the database");
	ck_assert_msg((found & KNOT_NO_SHM) == 0, "knot cannot share the WAL index (-shm)");

	/* Writes go on while knotd reads; syncd restarts on the same files. */
	add_rule("r2", "second.install.test", "192.0.2.202");
	wait_answer("second.install.test.", "192.0.2.202");
	stop_syncd();
	start_syncd();
	add_rule("r3", "third.install.test", "192.0.2.203");
	wait_answer("third.install.test.", "192.0.2.203");
	wait_answer("first.install.test.", "192.0.2.201");
	expect_installed_modes();
	stop_syncd();
	free(dir);
}
END_TEST

static Suite *install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *files = tcase_create("installed files");
	tcase_set_timeout(files, 600);
	tcase_add_test(files, test_install_puts_every_file_inside_the_prefix);
	tcase_add_test(files, test_units_verify_without_a_word);
	tcase_add_test(files, test_units_exposure_is_low_and_every_sandbox_setting_counts);
	tcase_add_test(files, test_units_run_as_mecdns_and_only_syncd_gets_the_group_knot);
	tcase_add_test(files, test_dbus_policy_lets_only_mecdns_own_the_name_and_signal);
	tcase_add_test(files, test_sysusers_adds_a_system_user_mecdns_outside_the_group_knot);
	tcase_add_test(files, test_tmpfiles_makes_the_shared_directory_and_keeps_secrets_to_mecdns);
	suite_add_tcase(s, files);

	TCase *db = tcase_create("database directory");
	tcase_add_checked_fixture(db, db_setup, db_teardown);
	tcase_set_timeout(db, 300);
	tcase_add_test(db, test_syncd_as_mecdns_writes_and_knotd_as_knot_only_reads);
	suite_add_tcase(s, db);
	return s;
}

int main(void)
{
	run_dir = harness_tmpdir("install-test");
	if (run_dir == NULL) {
		fprintf(stderr, "cannot create a temporary directory\n");
		return EXIT_FAILURE;
	}
	install_into_destdir();
	SRunner *runner = srunner_create(install_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	harness_rmtree(run_dir);
	free(run_dir);
	free(destdir);
	free(install_log);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
