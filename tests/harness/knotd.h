/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: the real knotd with the built mod-mecdns.
 *
 *  knotd_start() writes a knot.conf into a private directory (rundir,
 *  control socket, storage, zone files and knotd's log all live there),
 *  starts the knotd binary from $KNOTD (default /usr/sbin/knotd) on a free
 *  127.0.0.1 port, and returns once knotd answers DNS, its control socket
 *  answers `knotc status` and every configured zone is loaded. knotd_stop()
 *  stops it by PID and removes the directory.
 *
 *  A test that fails never reaches knotd_stop(): Check ends the test process
 *  at the failed assertion. Call knotd_track_begin() in main() before running
 *  the suites and knotd_track_end() after: the latter prints the log of every
 *  knotd a test left behind (the ones of failed tests), stops any that still
 *  run and removes their directories.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "tests/harness/harness.h"

/*! Most zones one knotd serves in a test. */
#define KNOTD_MAX_ZONES 4

/*! A zone knotd serves from a zone file. */
typedef struct {
	const char *domain;        /*!< "example.test." */
	const char *content;       /*!< Zone file text ($ORIGIN is the domain). */
	bool module;               /*!< Use mod-mecdns as a zone module of this zone. */
	const char *primary;       /*!< "127.0.0.1@PORT": a secondary zone of that
	                                server (content is then NULL; refresh, retry
	                                and expire follow the primary's SOA down to
	                                2, 1 and 3 s). */
	const char *dnssec_policy; /*!< knotd signs the zone with this policy
	                                (defined in extra_conf); NULL: unsigned. */
} knotd_zone_t;

/*! What knotd_start() puts into knot.conf. Zero values mean "not set". */
typedef struct {
	const char *tag;                     /*!< Short name of the test (temp dir name). */
	const char *database;                /*!< mod-mecdns `database`; NULL: do not
	                                          configure the module at all. */
	bool global_module;                  /*!< `global-module: mod-mecdns/default`. */
	int refresh_interval_ms;             /*!< `refresh-interval`; 0: 50 ms. */
	int default_ttl;                     /*!< `default-ttl`; 0: not set. */
	int negative_ttl;                    /*!< `negative-ttl`; 0: not set. */
	const char *soa_mname;               /*!< `soa-mname`; NULL: not set. */
	const char *soa_rname;               /*!< `soa-rname`; NULL: not set. */
	bool answer_rotation;                /*!< `server: answer-rotation: on`. */
	bool edns_client_subnet;             /*!< `server: edns-client-subnet: on`. */
	const char *ecs_trusted;             /*!< mod-mecdns `ecs-trusted` value, e.g.
	                                          "[127.0.0.2, ::1]"; NULL: not set. */
	const char *report_socket;           /*!< mod-mecdns `report-socket`; NULL: not set. */
	const char *user;                    /*!< `server: user:` ("knot:knot"); NULL: root.
	                                          The private directory is then given to
	                                          that user. */
	knotd_zone_t zones[KNOTD_MAX_ZONES]; /*!< Ends at the first NULL domain. */
	const char *module_path;             /*!< NULL: $(builddir)/module/.libs/mecdns.so. */
	const char *dbus_event;              /*!< `server: dbus-event:` value, e.g.
	                                          "[running, zone-updated]" (with
	                                          `dbus-init-delay: 0`); NULL: not set. */
	const char *extra_conf;              /*!< Sections added to knot.conf before
	                                          template: (e.g. policy:); NULL: none. */
	char *const *env;                    /*!< Extra environment of knotd ("NAME=VALUE",
	                                          NULL-terminated), e.g. the
	                                          DBUS_SYSTEM_BUS_ADDRESS of a private bus. */
} knotd_config_t;

/*! A running knotd. */
typedef struct {
	harness_proc_t proc;
	char *dir;       /*!< Private directory. */
	char *conf_path; /*!< Its knot.conf. */
	int port;        /*!< DNS port on 127.0.0.1 (UDP and TCP). */
} knotd_t;

/*!
 * \brief Starts $KNOTD -c conf_path with extra environment env (as
 *        harness_spawn()) plus harness_module_env(); does not wait. Start
 *        every knotd that loads the module through this.
 *
 * \return 0 or -errno (with a message on stderr).
 */
int knotd_spawn(harness_proc_t *proc, const char *conf_path, char *const env[],
                const char *log_path);

/*!
 * \brief Writes the configuration and starts knotd; waits until it serves.
 *
 * \return 0, or -1 when knotd did not start or did not become ready within
 *         10 s (the cause and knotd's log are printed to stderr; nothing is
 *         left running).
 */
int knotd_start(knotd_t *knotd, const knotd_config_t *config);

/*! \brief True while knotd runs. */
bool knotd_alive(knotd_t *knotd);

/*!
 * \brief Runs `knotc -c CONF ARGS...` (NULL-terminated), capturing its output.
 *
 * \param output  If not NULL, the malloc'd output of knotc.
 *
 * \return knotc's exit code, or -1 if it could not run or hung (15 s).
 */
int knotd_ctl(knotd_t *knotd, char **output, ...) __attribute__((sentinel));

/*!
 * \brief Reads a statistics counter with `knotc -f stats COUNTER`.
 *
 * \param counter  "mod-mecdns.answered"; values of an indexed counter
 *                 ("name[idx] = N") are summed.
 *
 * \return The value, or -1 if knotc failed or did not show the counter.
 */
long long knotd_stat(knotd_t *knotd, const char *counter);

/*! \brief True if knotd's log contains needle. */
bool knotd_log_contains(const knotd_t *knotd, const char *needle);

/*! \brief Waits until knotd's log contains needle; true if it did. */
bool knotd_wait_log(const knotd_t *knotd, const char *needle, int timeout_ms);

/*! \brief Size of knotd's log so far: a position for knotd_wait_log_problem(). */
size_t knotd_log_size(const knotd_t *knotd);

/*!
 * \brief Waits until knotd logs a warning or an error that mentions needle.
 *
 * \param from  Only lines that start at or after this log position count.
 *
 * \return True if such a line appeared within timeout_ms.
 */
bool knotd_wait_log_problem(const knotd_t *knotd, size_t from, const char *needle, int timeout_ms);

/*! \brief Prints knotd's log to stderr. */
void knotd_dump_log(const knotd_t *knotd);

/*! \brief Stops knotd by PID (SIGTERM, or sig if not 0, e.g. SIGKILL for a
 *         crash) and keeps its directory, so that knotd_restart() starts it
 *         again with the same configuration, port and control socket. */
void knotd_halt(knotd_t *knotd, int sig);

/*! \brief Starts a halted knotd again (config as given to knotd_start());
 *         waits until it serves. 0, or -1 with a message on stderr. */
int knotd_restart(knotd_t *knotd, const knotd_config_t *config);

/*! \brief Stops knotd by PID (SIGTERM, then SIGKILL after 5 s) and removes
 *         its directory. Safe to call twice. */
void knotd_stop(knotd_t *knotd);

/*! \brief Starts tracking knotd processes of this test program (see top). */
void knotd_track_begin(void);

/*! \brief Reports and cleans up what failed tests left behind (see top).
 *  \return The number of knotd instances left behind. */
int knotd_track_end(void);
