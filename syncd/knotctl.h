/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: the client of knotd's control socket.
 *
 *  The only code in mecdns that talks to knotd's control socket (libknot's
 *  control API, the protocol knotc speaks). Everything syncd learns from or
 *  asks of knotd goes through here: status, zone-status, stats, zone
 *  transactions (zone-begin / zone-set / zone-unset / zone-commit /
 *  zone-abort), zone-read / zone-get and conf-read.
 *
 *  Sessions. knotd serves ONE control client at a time, in its main thread:
 *  while a session is open every other client (knotc, another syncd thread)
 *  waits, and knotd drops a client that stays silent longer than its
 *  `control: timeout` (default 5 s). So the unit of work is a short session:
 *  knotctl_open() connects, a few commands run back to back (for example
 *  status + zone-status + stats for one poll, or begin + sets + commit for
 *  one batch), knotctl_close() ends it. Never keep a session open while
 *  waiting for anything else. Reconnecting is simply the next
 *  knotctl_open(); there is no persistent connection to repair.
 *
 *  The *_at() helpers run one command in a session of its own (open, command,
 *  close), for callers that need just one answer.
 *
 *  Zone transactions belong to the zone in knotd, not to the connection: a
 *  transaction begun in one session stays open after it closes (and after
 *  syncd crashes) until someone commits or aborts it; knotc sees and can end
 *  it too. That is why syncd aborts a stale transaction on start
 *  (knotctl_zone_abort_at()), and why a batch should run begin ... commit in
 *  one session, aborting on any error before closing.
 *
 *  Results. Every command returns KNOT_EOK or a libknot error code:
 *  - knotd answered with an error: the code whose knot_strerror() text knotd
 *    sent (KNOT_TXN_EEXISTS "too many transactions" for a second
 *    zone-begin, KNOT_TXN_ENOTEXISTS for commit/abort without one,
 *    KNOT_ENOZONE, KNOT_ENONODE, KNOT_EPARSEFAIL, KNOT_ESEMCHECK, ...), or
 *    KNOT_ERROR for a text that is no libknot error string. The session
 *    stays usable.
 *  - the socket failed (cannot connect, KNOT_ETIMEOUT, connection reset):
 *    the session is broken; every further command on it fails at once with
 *    KNOT_ECONN until it is closed and a new one opened. After a timeout the
 *    command's outcome is unknown (knotd may still have committed): ask
 *    zone-status (serial, transaction) in a new session.
 *  - a callback returned non-zero: that value (the rest of the answer is
 *    read and dropped, so the session stays usable).
 *  Each failure leaves a one-line message (command, zone, control socket and
 *  what knotd or the socket said), from knotctl_error() or in the err buffer
 *  of the *_at() helpers and of knotctl_open().
 *
 *  Strings handed to callbacks live only during the callback: copy what you
 *  keep. Not thread-safe: one session per thread.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Size of an error message buffer that holds every message of this file. */
#define KNOTCTL_ERROR_LEN 512

/*! A control session with one knotd (see the top of this file). */
typedef struct knotctl knotctl_t;

/*! One zone of zone-status. */
typedef struct {
	const char *zone;      /*!< "example.test." (lower case, absolute). */
	bool loaded;           /*!< knotd has contents for it (serves it). */
	uint32_t serial;       /*!< SOA serial; 0 when not loaded. */
	bool secondary;        /*!< Role "slave" (a secondary of another server). */
	bool transaction_open; /*!< A control transaction is open (anyone's). */
	bool frozen;           /*!< zone-freeze in effect (events postponed). */
	int64_t expires_in;    /*!< A secondary's expiration event: seconds from
	                            now (0 when due); -1 when none is scheduled
	                            (a primary, or an expired secondary). */
	const char *flags;     /*!< Raw zone flags of knotd: "e" empty, "s"
	                            slave, "m" catalog member. */
} knotctl_zone_status_t;

/*! One statistics counter (of `stats` or `zone-stats`). */
typedef struct {
	const char *zone;    /*!< NULL for `stats` (global modules, server). */
	const char *section; /*!< "server", "mod-mecdns", "mod-stats", ... */
	const char *item;    /*!< Counter name ("generation", "answered"). */
	const char *id;      /*!< Index of an indexed counter; NULL for a plain
	                          one. knotd skips zero indexed values. */
	uint64_t value;
} knotctl_counter_t;

/*! One record of zone-read / zone-get. */
typedef struct {
	const char *zone;  /*!< "example.test." */
	const char *owner; /*!< Absolute owner ("www.example.test."). */
	uint32_t ttl;
	const char *type;  /*!< "A", "AAAA", "TXT", ... */
	const char *rdata; /*!< Presentation format ("192.0.2.1"). */
} knotctl_record_t;

/*! One value of conf-read (a multi-valued item gives one call per value). */
typedef struct {
	const char *section; /*!< "zone", "template", "server", ... */
	const char *id;      /*!< "example.test." for zone[example.test.]; NULL
	                          for a section without identifiers. */
	const char *item;    /*!< "journal-content"; NULL when the answer
	                          names a section or identifier only. */
	const char *value;   /*!< Text of the value; NULL when none. */
} knotctl_conf_value_t;

/*! Callbacks: return 0 to go on, non-zero to stop (returned by the command). */
typedef int (*knotctl_zone_status_cb)(const knotctl_zone_status_t *status, void *ctx);
typedef int (*knotctl_counter_cb)(const knotctl_counter_t *counter, void *ctx);
typedef int (*knotctl_record_cb)(const knotctl_record_t *record, void *ctx);
typedef int (*knotctl_conf_cb)(const knotctl_conf_value_t *value, void *ctx);

/*** Sessions. ***/

/*!
 * \brief Connects to knotd's control socket.
 *
 * \param path        The socket (knot.conf `control: listen`, e.g.
 *                    /run/knot/knot.sock).
 * \param timeout_ms  Limit of every socket operation (send, each wait for
 *                    answer data), e.g. 2000; <= 0 means wait forever.
 *
 * \return KNOT_EOK and *out, or an error with the message in err.
 */
int knotctl_open(knotctl_t **out, const char *path, int timeout_ms, char *err, size_t err_len);

/*! \brief Ends the session (tells knotd, closes, frees). NULL is fine. */
void knotctl_close(knotctl_t *ctl);

/*! \brief The message of the last failed command ("" if none). */
const char *knotctl_error(const knotctl_t *ctl);

/*! \brief True once a socket error broke the session (open a new one). */
bool knotctl_broken(const knotctl_t *ctl);

/*** Server state. ***/

/*! \brief `status`: KNOT_EOK when knotd answers. */
int knotctl_status(knotctl_t *ctl);

/*!
 * \brief `zone-status` (role, serial, transaction, freeze, the expiration
 *        event): cb once per zone.
 *
 * \param zone  One zone, or NULL for every zone knotd has configured. An
 *              unknown zone gives KNOT_ENOZONE.
 */
int knotctl_zone_status(knotctl_t *ctl, const char *zone, knotctl_zone_status_cb cb, void *cb_ctx);

/*!
 * \brief Reads a time of zone-status's events as knotd prints it: "+1D2h3s"
 *        (Y = 365 days, M = 30 days, D, h, m, s) from now.
 *
 * \return Seconds; 0 for "pending", "running" or "frozen" (due now); -1
 *         for "not scheduled" or text that is no such time.
 */
int64_t knotctl_event_seconds(const char *text);

/*!
 * \brief `stats [SECTION[.ITEM]]`: global counters, cb once per value.
 *
 * Modules count here only as `global-module`s; a module configured for a
 * zone reports through knotctl_zone_stats(). An unknown section or item
 * (e.g. "mod-mecdns" when it is not loaded globally) gives KNOT_ENOENT.
 *
 * \param section  "server", "mod-mecdns", ...; NULL for all.
 * \param item     One counter ("generation"); NULL for all of the section.
 */
int knotctl_stats(knotctl_t *ctl, const char *section, const char *item, knotctl_counter_cb cb,
                  void *cb_ctx);

/*! \brief `zone-stats ZONE [SECTION[.ITEM]]`: counters of the modules of a
 *         zone (same parameters as knotctl_stats()). */
int knotctl_zone_stats(knotctl_t *ctl, const char *zone, const char *section, const char *item,
                       knotctl_counter_cb cb, void *cb_ctx);

/*!
 * \brief `conf-read SECTION[ID].ITEM`: the running configuration.
 *
 * knotd answers only what is set explicitly in that section: an item a zone
 * inherits from its template (or the built-in default) is absent from
 * zone[ID] and present in template[TEMPLATE] (read zone[ID].template, else
 * template[default]). An unknown identifier gives an error.
 *
 * \param id    Identifier ("example.test." for a zone); NULL for none.
 * \param item  Item name; NULL for every item of the section/identifier.
 */
int knotctl_conf_read(knotctl_t *ctl, const char *section, const char *id, const char *item,
                      knotctl_conf_cb cb, void *cb_ctx);

/*** Zone contents and transactions. ***/

/*!
 * \brief `zone-read`: the records knotd serves now.
 *
 * \param owner  Absolute, relative to the zone, or "@"; NULL for the whole
 *               zone. A name without records gives KNOT_ENONODE.
 * \param type   "A", ...; NULL for every type (also without owner: every
 *               record of that type in the zone).
 */
int knotctl_zone_read(knotctl_t *ctl, const char *zone, const char *owner, const char *type,
                      knotctl_record_cb cb, void *cb_ctx);

/*! \brief `zone-begin`: opens the zone's transaction (KNOT_TXN_EEXISTS when
 *         one is open already, whoever opened it). */
int knotctl_zone_begin(knotctl_t *ctl, const char *zone);

/*!
 * \brief `zone-set`: adds one record within the transaction.
 *
 * \param owner  Absolute, relative to the zone, or "@".
 * \param ttl    TTL of the record (an rrset has one TTL: give all its
 *               records the same).
 * \param type   "A", "AAAA", "TXT", ...
 * \param rdata  Presentation format, as in a zone file ("192.0.2.1",
 *               "\"text\"", "10 5 5060 sip.example.test.").
 */
int knotctl_zone_set(knotctl_t *ctl, const char *zone, const char *owner, uint32_t ttl,
                     const char *type, const char *rdata);

/*!
 * \brief `zone-unset`: removes within the transaction one record (type and
 *        rdata), a whole rrset (type, rdata NULL) or every record of a name
 *        (type and rdata NULL).
 */
int knotctl_zone_unset(knotctl_t *ctl, const char *zone, const char *owner, const char *type,
                       const char *rdata);

/*! \brief `zone-get`: the records as the open transaction would leave them
 *         (parameters as knotctl_zone_read()). */
int knotctl_zone_get(knotctl_t *ctl, const char *zone, const char *owner, const char *type,
                     knotctl_record_cb cb, void *cb_ctx);

/*!
 * \brief `zone-commit`: applies the transaction; knotd bumps the SOA serial
 *        (unless the changes set one), writes its journal and sends NOTIFY.
 *
 * An empty transaction commits as a no-op (no new serial). A semantic check
 * failure (KNOT_ESEMCHECK, ...) may leave the transaction open: abort it.
 */
int knotctl_zone_commit(knotctl_t *ctl, const char *zone);

/*! \brief `zone-abort`: drops the transaction (KNOT_TXN_ENOTEXISTS when none
 *         is open). */
int knotctl_zone_abort(knotctl_t *ctl, const char *zone);

/*** One command in a session of its own (open, command, close). ***/

int knotctl_status_at(const char *path, int timeout_ms, char *err, size_t err_len);
int knotctl_zone_status_at(const char *path, int timeout_ms, const char *zone,
                           knotctl_zone_status_cb cb, void *cb_ctx, char *err, size_t err_len);
int knotctl_stats_at(const char *path, int timeout_ms, const char *section, const char *item,
                     knotctl_counter_cb cb, void *cb_ctx, char *err, size_t err_len);
int knotctl_conf_read_at(const char *path, int timeout_ms, const char *section, const char *id,
                         const char *item, knotctl_conf_cb cb, void *cb_ctx, char *err,
                         size_t err_len);
int knotctl_zone_read_at(const char *path, int timeout_ms, const char *zone, const char *owner,
                         const char *type, knotctl_record_cb cb, void *cb_ctx, char *err,
                         size_t err_len);
/*! Ends a transaction left open (e.g. by a crashed syncd); KNOT_TXN_ENOTEXISTS
 *  when there was none. */
int knotctl_zone_abort_at(const char *path, int timeout_ms, const char *zone, char *err,
                          size_t err_len);
