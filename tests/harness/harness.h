/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: real processes on free loopback ports.
 *
 *  Every integration test starts the real servers it needs (knotd with the
 *  built module, dbus-daemon, mecdns-syncd, ...) through this file: each
 *  child gets its own log file, dies with the test process (PR_SET_PDEATHSIG)
 *  and is stopped by PID. Nothing here talks DNS, D-Bus or HTTP; the
 *  server-specific helpers (knotd.h, dbus.h, ...) build on it.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/*! Check's ck_abort_msg() with the message after dump() (which prints the
 *  logs a failure needs) when cond does not hold; for a test's own
 *  expect(cond, fmt, ...) (the test includes check.h). */
#define HARNESS_EXPECT(dump, cond, ...)                                                            \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dump();                                                                    \
			ck_abort_msg(__VA_ARGS__);                                                 \
		}                                                                                  \
	} while (0)

/*! A started child process. */
typedef struct {
	pid_t pid;          /*!< 0 when not running. */
	char name[32];      /*!< For messages ("knotd"). */
	char log_path[512]; /*!< stdout + stderr of the child. */
	int exit_status;    /*!< After stop: exit code, 128+signal, or -1. */
} harness_proc_t;

/*! \brief printf into a new malloc'd string (aborts on ENOMEM). */
char *harness_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*! \brief New private directory /tmp/mecdns-TAG-XXXXXX (mode 0755). */
char *harness_tmpdir(const char *tag);

/*! \brief Removes a directory tree (like rm -rf); ignores errors. */
void harness_rmtree(const char *path);

/*! \brief Unmounts path: waits a little (up to 5 s) for the open files of
 *         dying children to go, then detaches lazily so that nothing stays
 *         mounted; says on stderr when even that fails. */
void harness_unmount(const char *path);

/*!
 * \brief Starts a suite's cleanup list: a file naming what the tests
 *        create, so that harness_cleanup_end() undoes it also when a failed
 *        assertion ended a test process before its own teardown. Meant as
 *        the setup of tcase_add_unchecked_fixture() (in the parent process:
 *        the tests' processes inherit the list).
 */
void harness_cleanup_begin(void);

/*! \brief Lists a directory for harness_cleanup_end() to remove. */
void harness_cleanup_dir(const char *path);

/*! \brief Lists a mount point for harness_cleanup_end() to unmount. */
void harness_cleanup_mount(const char *path);

/*! \brief Unmounts the listed mount points, then removes the listed
 *         directories, and deletes the list (the teardown of
 *         tcase_add_unchecked_fixture()). */
void harness_cleanup_end(void);

/*! \brief Writes a whole file; returns 0 or -errno. */
int harness_write_file(const char *path, const char *content);

/*! \brief Reads a whole file into a malloc'd NUL-terminated string, or NULL. */
char *harness_read_file(const char *path);

/*! \brief Fills ss for addr:port (IPv4 or IPv6 literal); returns its length,
 *         or 0 when addr is neither. */
socklen_t harness_sockaddr(const char *addr, int port, struct sockaddr_storage *ss);

/*! \brief A port that is free for both TCP and UDP on addr (e.g. "127.0.0.1"
 *         or "::1"), or -1. */
int harness_free_port(const char *addr);

/*!
 * \brief Starts argv[0] (a path) with extra environment entries
 *        ("NAME=VALUE", NULL-terminated list, may be NULL), stdout/stderr
 *        to log_path, stdin from /dev/null, in its own process group.
 *
 * \return 0 or -errno.
 */
int harness_spawn(harness_proc_t *proc, const char *name, char *const argv[], char *const env[],
                  const char *log_path);

/*!
 * \brief Extra environment (for harness_spawn/harness_run) of a program that
 *        loads the built module: knotd, and knotc with a knot.conf naming
 *        it. In a --enable-sanitizers build that is LD_PRELOAD of the ASan
 *        runtime (knotd and knotc are not built with ASan, the module is);
 *        otherwise it is empty. Other programs must not get it.
 */
char *const *harness_module_env(void);

/*! \brief True while the child runs (reaps it if it exited). */
bool harness_alive(harness_proc_t *proc);

/*! \brief Sends sig to the child. */
int harness_signal(harness_proc_t *proc, int sig);

/*!
 * \brief Stops the child: SIGTERM, waits up to timeout_ms, then SIGKILL.
 *
 * \return Its exit status (also in proc->exit_status): exit code, 128+signal.
 */
int harness_stop(harness_proc_t *proc, int timeout_ms);

/*! \brief Waits until the child exits by itself (up to timeout_ms);
 *         returns its exit status, or -1 on timeout (child left running). */
int harness_wait_exit(harness_proc_t *proc, int timeout_ms);

/*! \brief Waits until a TCP connect to addr:port succeeds; 0 or -1. */
int harness_wait_tcp(const char *addr, int port, int timeout_ms);

/*! \brief Waits until a path exists; 0 or -1. */
int harness_wait_path(const char *path, int timeout_ms);

/*!
 * \brief Runs a command to completion, capturing stdout and stderr.
 *
 * \param output  If not NULL, the malloc'd combined output.
 *
 * \return Exit code, 128+signal, or -1 (could not start, or timed out and
 *         was killed).
 */
int harness_run(char *const argv[], char *const env[], char **output, int timeout_ms);

/*! \brief Prints a child's log to stderr (for a failing test). */
void harness_dump_log(const harness_proc_t *proc);

/*! \brief Milliseconds of a monotonic clock. */
long long harness_now_ms(void);

/*! \brief Sleeps ms milliseconds. */
void harness_sleep_ms(int ms);

/*! \brief True when the test runs as root (some tests skip otherwise). */
bool harness_is_root(void);

/*! \brief Path of a built file: $(top_builddir)/rel (from MECDNS_BUILDDIR,
 *         set by the test driver, else "."). */
char *harness_build_path(const char *rel);

/*! \brief Path of a source file: $(top_srcdir)/rel (from MECDNS_SRCDIR). */
char *harness_src_path(const char *rel);

/*! \brief The python3 that runs the tests' Python helpers (malloc'd):
 *         $MECDNS_PYTHON3, else Debian's /usr/bin/python3 (whose
 *         python3-yaml, python3-jsonschema and python3-dnspython
 *         scripts/deps.sh installs), else the first on PATH. */
char *harness_python3(void);

/*! \brief Runs Prometheus's linter (`promtool check metrics`) on an
 *         exposition text, written to a file in dir. Returns its exit code
 *         (0: clean); *output (malloc'd, may be NULL) holds what it said. */
int harness_promtool_check(const char *dir, const char *text, char **output);
