/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns: answers the names of MEC DNS rules and rrecord sets.
 *
 *  A name with at least one answerable record in the mecdns database is
 *  owned by the module: queries for it get the records of their type, or
 *  NOERROR/NODATA with an SOA; outside the zones knotd serves, a wildcard
 *  owner answers the names below its closest encloser (RFC 4592, see
 *  mecdns_index_wildcard()); everything else passes through to Knot's
 *  zones (or mod-dnsproxy). Answers come from an in-memory index kept current
 *  by a background thread (refresh.c); the query path never touches SQLite.
 *
 *  Knot DNS 3.2 behaviour this relies on (verified in v3.2.6 source):
 *  - process_query_out() (knot/nameserver/process_query.c) runs every BEGIN
 *    hook of the global query plan, then of the zone plan, after
 *    prepare_answer(): the response already holds the header and the
 *    question (knot_pkt_init_response(), section ANSWER), space for the OPT
 *    RR is reserved, the zone is looked up (IN and ANY classes only, so CH
 *    queries never reach a zone plan). Hooks run inside rcu_read_lock().
 *  - The in-class stages (PREANSWER..ADDITIONAL) run only from the zone's
 *    plan (internet_process_query(), internet.c), never from the global one:
 *    one BEGIN hook serves both scopes, and answering before Knot looks at
 *    the zone keeps its records of an owned name out of the answer.
 *  - BEGIN hooks run in a row whatever state the previous one returned
 *    (only FAIL stops them); a hook sees KNOT_STATE_PRODUCE (2, not part of
 *    the public enum) while nobody has answered yet.
 *  - After a hook returns DONE, the class handlers are skipped, the OPT RR is
 *    written (answer_edns_put()), the response is TSIG-signed if needed, and
 *    the RCODE is taken from qdata->rcode (set_rcode_to_packet()).
 *  - knot_pkt_put() (libknot/packet/pkt.c) sets TC when an RRset does not
 *    fit (KNOT_ESPACE) unless KNOT_PF_NOTRUNC; the RRset that did not fit is
 *    not added at all, so a TC answer never carries a partial RRset.
 *  - knot_pkt_qname() is the lower-cased question name; the owner written
 *    with KNOT_COMPR_HINT_QNAME points at the question, which keeps the
 *    client's case.
 *  - Knot rotates with knot_pkt_put_rotate(..., query id) when the server
 *    option answer-rotation is on; KNOT_PF_SOAMINTTL writes an SOA with
 *    TTL min(TTL, MINIMUM) like Knot's own negative answers.
 *  - A module's conf_check only sees its own section, so a zone-scope
 *    instance in a DNSSEC-signed zone is refused in load().
 */

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <urcu.h>

#include <knot/module.h>
#include <libknot/libknot.h>

#include "common/answer.h"
#include "common/ede.h"
#include "common/report.h"
#include "module/index.h"
#include "module/refresh.h"

/* clang-format off: wire-format names and the item table read best as tables. */
#define MOD_DATABASE                                                                               \
	"\x08"                                                                                     \
	"database"
#define MOD_DEFAULT_TTL                                                                            \
	"\x0B"                                                                                     \
	"default-ttl"
#define MOD_REFRESH_INTERVAL                                                                       \
	"\x10"                                                                                     \
	"refresh-interval"
#define MOD_SOA_MNAME                                                                              \
	"\x09"                                                                                     \
	"soa-mname"
#define MOD_SOA_RNAME                                                                              \
	"\x09"                                                                                     \
	"soa-rname"
#define MOD_NEGATIVE_TTL                                                                           \
	"\x0C"                                                                                     \
	"negative-ttl"
#define MOD_ANSWER_ROTATION                                                                        \
	"\x0F"                                                                                     \
	"answer-rotation"
#define MOD_ECS_TRUSTED                                                                            \
	"\x0B"                                                                                     \
	"ecs-trusted"

#define MOD_REPORT_SOCKET                                                                          \
	"\x0D"                                                                                     \
	"report-socket"

/*! Knot's own items the module reads. */
#define KNOT_SERVER                                                                                \
	"\x06"                                                                                     \
	"server"
#define KNOT_ANSWER_ROTATION                                                                       \
	"\x0F"                                                                                     \
	"answer-rotation"
#define KNOT_DNSSEC_SIGNING                                                                        \
	"\x0E"                                                                                     \
	"dnssec-signing"

#define DEFAULT_SOA_MNAME                                                                          \
	(const uint8_t *)"\x09"                                                                    \
	                 "localhost"
#define DEFAULT_SOA_RNAME                                                                          \
	(const uint8_t *)"\x0A"                                                                    \
	                 "hostmaster"                                                              \
	                 "\x09"                                                                    \
	                 "localhost"

/*! Timers of the synthesized SOA (no zone is ever transferred from it). */
#define SOA_REFRESH 3600
#define SOA_RETRY   600
#define SOA_EXPIRE  86400

/*! An unused index stays loaded this long (a reload picks it up sooner). */
#define LINGER_MS 60000
/*! load() of the first instance of a database waits this long for its
 *  first load, so knotd starts answering with the rules in place. */
#define FIRST_LOAD_WAIT_MS 30000

/*! The probe answered in class CH: the loaded generation. */
#define PROBE_NAME                                                                                 \
	(const knot_dname_t *)"\x0A"                                                               \
	                      "generation"                                                         \
	                      "\x06"                                                               \
	                      "mecdns"

/*! Knot's state of a query nobody has answered yet (KNOT_STATE_PRODUCE of
 *  knot/query/layer.h, not exported to modules). */
#define STATE_UNANSWERED 2

static const yp_item_t mecdns_conf[] = {
	{ MOD_DATABASE, YP_TSTR, YP_VNONE },
	{ MOD_DEFAULT_TTL, YP_TINT, YP_VINT = { 0, INT32_MAX, 60, YP_STIME } },
	{ MOD_REFRESH_INTERVAL, YP_TINT, YP_VINT = { 1, 3600000, 1000, YP_SNONE } },
	{ MOD_SOA_MNAME, YP_TDNAME,
	  YP_VDNAME = { sizeof("\x09"
	                       "localhost"),
	                DEFAULT_SOA_MNAME, NULL, NULL } },
	{ MOD_SOA_RNAME, YP_TDNAME,
	  YP_VDNAME = { sizeof("\x0A"
	                       "hostmaster"
	                       "\x09"
	                       "localhost"),
	                DEFAULT_SOA_RNAME, NULL, NULL } },
	{ MOD_NEGATIVE_TTL, YP_TINT, YP_VINT = { 0, INT32_MAX, 60, YP_STIME } },
	{ MOD_ANSWER_ROTATION, YP_TBOOL, YP_VNONE },
	{ MOD_ECS_TRUSTED, YP_TNET, YP_VNONE, YP_FMULTI },
	{ MOD_REPORT_SOCKET, YP_TSTR, YP_VNONE },
	{ .name = NULL }
};
/* clang-format on */

static int mecdns_conf_check(knotd_conf_check_args_t *args)
{
	knotd_conf_t database = knotd_conf_check_item(args, MOD_DATABASE);
	if (database.count == 0 || database.single.string == NULL ||
	    database.single.string[0] == '\0') {
		args->err_str = "no database set";
		return KNOT_EINVAL;
	}
	const char *path = database.single.string;
	if (path[0] != '/') {
		args->err_str = "database path must be absolute";
		return KNOT_EINVAL;
	}
	if (path[strlen(path) - 1] == '/') {
		args->err_str = "database path must name a file, not a directory";
		return KNOT_EINVAL;
	}
	knotd_conf_t report = knotd_conf_check_item(args, MOD_REPORT_SOCKET);
	if (report.count > 0 && report.single.string != NULL) {
		const char *socket_path = report.single.string;
		if (socket_path[0] != '/') {
			args->err_str = "report-socket path must be absolute";
			return KNOT_EINVAL;
		}
		if (strlen(socket_path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
			args->err_str = "report-socket path is longer than a unix socket path "
			                "can be (107 bytes)";
			return KNOT_EINVAL;
		}
	}
	return KNOT_EOK;
}

/*! Statistics counters, in registration order. */
enum {
	CTR_ANSWERED,       /*!< Positive answers (also truncated ones). */
	CTR_NODATA,         /*!< NODATA answers at owned names. */
	CTR_PASSED,         /*!< Names looked up and not found (passed on). */
	CTR_GENERATION,     /*!< Gauge: loaded generation (thread slot 0). */
	CTR_RECORDS,        /*!< Gauge: records loaded (thread slot 0). */
	CTR_REFRESH_ERRORS, /*!< Failed refresh attempts (thread slot 0). */
	CTR_SKIPPED_ROWS,   /*!< Invalid database rows skipped (thread slot 0). */
	CTR_HEARTBEAT,      /*!< Gauge: CLOCK_MONOTONIC ms of the refresher's
	                         last round (thread slot 0). */
	CTR_INTERVAL,       /*!< Gauge: the refresher's interval, ms. */
	CTR_EDE,            /*!< Responses with an Extended DNS Error (RFC 8914),
	                         indexed by INFO-CODE (global instances only). */
	CTR_REPORTED,       /*!< Reports sent to mecdns-syncd (report-socket). */
	CTR_REPORT_DROPPED, /*!< Reports that could not be sent (no listener,
	                         its socket full). */
	CTR_COUNT
};

static const char *const CTR_NAMES[CTR_COUNT] = {
	[CTR_ANSWERED] = "answered",
	[CTR_NODATA] = "nodata",
	[CTR_PASSED] = "passed",
	[CTR_GENERATION] = "generation",
	[CTR_RECORDS] = "records",
	[CTR_REFRESH_ERRORS] = "refresh-errors",
	[CTR_SKIPPED_ROWS] = "skipped-rows",
	[CTR_HEARTBEAT] = "refresh-heartbeat",
	[CTR_INTERVAL] = "refresh-interval",
	[CTR_EDE] = "ede",
	[CTR_REPORTED] = "reported",
	[CTR_REPORT_DROPPED] = "report-dropped",
};

/*! \brief Names the EDE counter's slots by their INFO-CODE (knotd frees). */
static char *ede_slot_name(uint32_t idx, uint32_t idx_count)
{
	(void)idx_count;
	char buf[16];
	if (idx >= MECDNS_EDE_OTHER) {
		snprintf(buf, sizeof(buf), "other");
	} else {
		snprintf(buf, sizeof(buf), "%u", idx);
	}
	return strdup(buf);
}

/*!
 * \brief After every query (global instances): counts the Extended DNS
 *        Error knotd gave the response. END hooks run after knotd finished
 *        the answer (its OPT record, error answers included), so this sees
 *        every code knotd settled on; the option itself reaches only the
 *        clients that sent EDNS.
 */
static knotd_state_t mecdns_end(knotd_state_t state, knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                knotd_mod_t *mod)
{
	(void)pkt;
	if (qdata->rcode_ede >= 0) {
		knotd_mod_stats_incr(mod, qdata->params->thread_id, CTR_EDE,
		                     mecdns_ede_slot((unsigned)qdata->rcode_ede), 1);
	}
	return state;
}

typedef struct {
	knotd_mod_t *mod;
	mecdns_refresh_user_t *refresh;
	bool zone_scope;
	bool rotate;
	bool warned_signed; /*!< The signed-zone warning was logged. */
	uint32_t negative_ttl;
	/*! Sources whose ECS option is believed (ranges; count 0: every source). */
	knotd_conf_t ecs_trusted;
	uint16_t soa_names_len;
	uint8_t soa_names[2 * KNOT_DNAME_MAXLEN]; /*!< MNAME then RNAME (wire). */
	/*! Where reports go (report-socket): a non-blocking unbound datagram
	 *  socket, -1 without one; shared by the workers (sendto is atomic). */
	int report_fd;
	struct sockaddr_un report_to;
	socklen_t report_to_len;
} mecdns_ctx_t;

/*! \brief Refresher log lines go to knotd's log as this instance's. */
static void sink_log(void *data, int priority, const char *msg)
{
	mecdns_ctx_t *ctx = data;
	knotd_mod_log(ctx->mod, priority, "%s", msg);
}

/*! \brief Gauges of the shared refresher, stored in thread slot 0 only so
 *         that knotd's sum over threads shows them as they are. */
static void sink_status(void *data, const mecdns_refresh_status_t *status)
{
	mecdns_ctx_t *ctx = data;
	knotd_mod_stats_store(ctx->mod, 0, CTR_GENERATION, 0, status->generation);
	knotd_mod_stats_store(ctx->mod, 0, CTR_RECORDS, 0, status->records);
	knotd_mod_stats_store(ctx->mod, 0, CTR_REFRESH_ERRORS, 0, status->refresh_errors);
	knotd_mod_stats_store(ctx->mod, 0, CTR_SKIPPED_ROWS, 0, status->skipped_rows);
	knotd_mod_stats_store(ctx->mod, 0, CTR_HEARTBEAT, 0, status->heartbeat_ms);
	knotd_mod_stats_store(ctx->mod, 0, CTR_INTERVAL, 0, status->interval_ms);
}

/*! \brief Marks the response as a final authoritative NOERROR answer. */
static void set_authoritative(knot_pkt_t *pkt, knotd_qdata_t *qdata)
{
	knot_wire_set_aa(pkt->wire);
	qdata->rcode = KNOT_RCODE_NOERROR;
}

/*! \brief Puts an rrset built in pkt->mm (freed with the packet). */
static int put_synthesized(knot_pkt_t *pkt, knot_rrset_t *rrset)
{
	int ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, rrset, KNOT_PF_FREE);
	if (ret != KNOT_EOK) {
		knot_rrset_free(rrset, &pkt->mm);
	}
	return ret;
}

/*! \brief Answers CH TXT generation.mecdns. with the loaded generation. */
static knotd_state_t answer_probe(knotd_state_t state, knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                  mecdns_ctx_t *ctx)
{
	const knot_dname_t *qname = knot_pkt_qname(qdata->query);
	uint16_t qtype = knot_pkt_qtype(qdata->query);
	if (!knot_dname_is_equal(qname, PROBE_NAME) ||
	    (qtype != KNOT_RRTYPE_TXT && qtype != KNOT_RRTYPE_ANY)) {
		return state;
	}

	rcu_read_lock();
	const mecdns_index_t *index = mecdns_refresh_index(ctx->refresh);
	uint64_t generation = (index != NULL) ? mecdns_index_generation(index) : 0;
	rcu_read_unlock();

	uint8_t rdata[32];
	int len =
	    snprintf((char *)rdata + 1, sizeof(rdata) - 1, "%llu", (unsigned long long)generation);
	rdata[0] = (uint8_t)len;

	knot_rrset_t *txt = knot_rrset_new(qname, KNOT_RRTYPE_TXT, KNOT_CLASS_CH, 0, &pkt->mm);
	if (txt == NULL) {
		return KNOTD_STATE_FAIL;
	}
	int ret = knot_rrset_add_rdata(txt, rdata, (uint16_t)(len + 1), &pkt->mm);
	if (ret != KNOT_EOK) {
		knot_rrset_free(txt, &pkt->mm);
		return KNOTD_STATE_FAIL;
	}
	set_authoritative(pkt, qdata);
	ret = put_synthesized(pkt, txt);
	return (ret == KNOT_EOK || ret == KNOT_ESPACE) ? KNOTD_STATE_DONE : KNOTD_STATE_FAIL;
}

/*! \brief SOA of a global-scope negative answer: owner = the owned name,
 *         serial = loaded generation mod 2^32, MINIMUM and TTL negative-ttl. */
static int put_synthesized_soa(knot_pkt_t *pkt, knotd_qdata_t *qdata, const mecdns_ctx_t *ctx,
                               uint64_t generation)
{
	uint8_t rdata[sizeof(ctx->soa_names) + 5 * sizeof(uint32_t)];
	uint8_t *pos = rdata;
	memcpy(pos, ctx->soa_names, ctx->soa_names_len);
	pos += ctx->soa_names_len;
	const uint32_t timers[] = { (uint32_t)generation, SOA_REFRESH, SOA_RETRY, SOA_EXPIRE,
		                    ctx->negative_ttl };
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++) {
		knot_wire_write_u32(pos, timers[i]);
		pos += sizeof(uint32_t);
	}

	knot_rrset_t *soa = knot_rrset_new(knot_pkt_qname(qdata->query), KNOT_RRTYPE_SOA,
	                                   KNOT_CLASS_IN, ctx->negative_ttl, &pkt->mm);
	if (soa == NULL) {
		return KNOT_ENOMEM;
	}
	int ret = knot_rrset_add_rdata(soa, rdata, (uint16_t)(pos - rdata), &pkt->mm);
	if (ret != KNOT_EOK) {
		knot_rrset_free(soa, &pkt->mm);
		return ret;
	}
	return put_synthesized(pkt, soa);
}

/*! \brief The SOA of a NODATA answer: the zone's in zone scope (as Knot
 *         writes it, TTL capped by MINIMUM), else a synthesized one. */
static int put_negative_soa(knot_pkt_t *pkt, knotd_qdata_t *qdata, const mecdns_ctx_t *ctx,
                            uint64_t generation)
{
	int ret = knot_pkt_begin(pkt, KNOT_AUTHORITY);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (ctx->zone_scope) {
		/* Shallow copy of zone data: valid while Knot holds the RCU lock. */
		knot_rrset_t soa = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_SOA);
		if (!knot_rrset_empty(&soa)) {
			return knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &soa, KNOT_PF_SOAMINTTL);
		}
		/* The zone has no contents (not loaded yet): synthesize. */
	}
	return put_synthesized_soa(pkt, qdata, ctx, generation);
}

/*!
 * \brief Whether the query's ECS option speaks for the client: knotd parsed
 *        one (server edns-client-subnet on) and ecs-trusted is unset or
 *        holds the query's source address.
 */
static bool ecs_trusted(const mecdns_ctx_t *ctx, const knotd_qdata_t *qdata)
{
	if (qdata->ecs == NULL) {
		return false;
	}
	if (ctx->ecs_trusted.count == 0) {
		return true;
	}
	const struct sockaddr_storage *remote = qdata->params->remote;
	return remote != NULL && knotd_conf_addr_range_match(&ctx->ecs_trusted, remote);
}

/*!
 * \brief Who asks, for client-subnet scopes: the address of the query's ECS
 *        option (RFC 7871) when it is trusted (ecs_trusted(); as many bits as
 *        its SOURCE PREFIX-LENGTH), else the source address (an IPv4-mapped
 *        IPv6 source as IPv4).
 */
static void client_of(const knotd_qdata_t *qdata, bool use_ecs, mecdns_client_t *client)
{
	memset(client, 0, sizeof(*client));
	const knot_edns_client_subnet_t *ecs = qdata->ecs;
	if (use_ecs) {
		unsigned max = ecs->family == KNOT_ADDR_FAMILY_IPV4   ? 32
		               : ecs->family == KNOT_ADDR_FAMILY_IPV6 ? 128
		                                                      : 0;
		if (max > 0 && ecs->source_len <= max) {
			client->family = max == 32 ? 4 : 6;
			client->bits = ecs->source_len;
			memcpy(client->addr, ecs->address, max / 8);
		}
		return;
	}
	const struct sockaddr_storage *remote = qdata->params->remote;
	if (remote == NULL) {
		return;
	}
	if (remote->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)remote;
		client->family = 4;
		client->bits = 32;
		memcpy(client->addr, &in->sin_addr, 4);
	} else if (remote->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)remote;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			client->family = 4;
			client->bits = 32;
			memcpy(client->addr, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			client->family = 6;
			client->bits = 128;
			memcpy(client->addr, &in6->sin6_addr, 16);
		}
	}
}

/*!
 * \brief Tells mecdns-syncd that a reporting scope answered the query
 *        (common/report.h): one datagram, never waiting; what cannot be
 *        sent is counted and dropped.
 */
static void send_report(knotd_mod_t *mod, const mecdns_ctx_t *ctx, knotd_qdata_t *qdata,
                        const mecdns_owner_t *entry, const mecdns_client_t *client, uint16_t qtype)
{
	unsigned thread = qdata->params->thread_id;
	if (ctx->report_fd < 0) {
		knotd_mod_stats_incr(mod, thread, CTR_REPORT_DROPPED, 0, 1);
		return;
	}
	mecdns_report_t report = {
		.family = (uint8_t)client->family,
		.bits = client->bits,
		.qtype = qtype,
	};
	memcpy(report.addr, client->addr, sizeof(report.addr));
	const knot_dname_t *qname = knot_pkt_qname(qdata->query);
	size_t owner_len = knot_dname_size(entry->owner);
	size_t qname_len = knot_dname_size(qname);
	uint8_t datagram[MECDNS_REPORT_MAX];
	size_t len = 0;
	if (owner_len > 0 && owner_len <= sizeof(report.owner) && qname_len > 0 &&
	    qname_len <= sizeof(report.qname)) {
		memcpy(report.owner, entry->owner, owner_len);
		report.owner_len = (uint8_t)owner_len;
		knot_dname_copy_lower(report.qname, qname);
		report.qname_len = (uint8_t)qname_len;
		len = mecdns_report_encode(&report, datagram);
	}
	if (len == 0 || sendto(ctx->report_fd, datagram, len, MSG_DONTWAIT | MSG_NOSIGNAL,
	                       (const struct sockaddr *)&ctx->report_to, ctx->report_to_len) < 0) {
		knotd_mod_stats_incr(mod, thread, CTR_REPORT_DROPPED, 0, 1);
		return;
	}
	knotd_mod_stats_incr(mod, thread, CTR_REPORTED, 0, 1);
}

/*! \brief Opens the report socket when report-socket is set. */
static int load_report_socket(knotd_mod_t *mod, mecdns_ctx_t *ctx)
{
	ctx->report_fd = -1;
	const char *path = knotd_conf_mod(mod, MOD_REPORT_SOCKET).single.string;
	if (path == NULL || *path == '\0') {
		return KNOT_EOK;
	}
	if (strlen(path) >= sizeof(ctx->report_to.sun_path)) {
		return KNOT_EINVAL; /* conf_check refuses it first. */
	}
	ctx->report_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctx->report_fd < 0) {
		knotd_mod_log(mod, LOG_ERR, "cannot open a socket for report-socket (%s)",
		              strerror(errno));
		return knot_map_errno();
	}
	ctx->report_to.sun_family = AF_UNIX;
	memcpy(ctx->report_to.sun_path, path, strlen(path) + 1);
	ctx->report_to_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	return KNOT_EOK;
}

/*!
 * \brief Answers a query for an owned name: its rrset of the query type (a
 *        CNAME for any type; for ANY the first rrset, RFC 8482), else NODATA.
 *        Index data is put by reference; the caller holds the RCU lock and
 *        Knot's own RCU section outlives every use of the packet.
 *
 * \param synthesized  entry is a wildcard answering in the query name's
 *                     place: its rrsets go out with the query name as owner.
 */
static knotd_state_t answer_owned(knot_pkt_t *pkt, knotd_qdata_t *qdata, knotd_mod_t *mod,
                                  const mecdns_ctx_t *ctx, const mecdns_index_t *index,
                                  const mecdns_owner_t *entry, bool synthesized)
{
	uint16_t qtype = knot_pkt_qtype(qdata->query);
	mecdns_client_t client = { 0 };
	bool use_ecs = false;
	if (entry->scoped_count > 0) {
		use_ecs = ecs_trusted(ctx, qdata);
		client_of(qdata, use_ecs, &client);
	}
	uint8_t scope_len = 0;
	const mecdns_subnet_t *decided = NULL;
	const knot_rrset_t *rrset =
	    mecdns_owner_decide(entry, qtype, &client, &scope_len, &decided);
	if (decided != NULL && mecdns_scoped_of(decided)->report && rrset != NULL) {
		send_report(mod, ctx, qdata, entry, &client, qtype);
	}
	if (qdata->ecs != NULL) {
		/* RFC 7871 7.2.1: the prefix length that decided (knotd writes
		 * the option into the answer); 0 when the option was not used (an
		 * untrusted source: the answer does not depend on its subnet). */
		qdata->ecs->scope_len = use_ecs ? scope_len : 0;
	}

	set_authoritative(pkt, qdata);

	int ret;
	unsigned counter;
	knot_rrset_t synth;
	if (rrset != NULL && synthesized) {
		synth = *rrset; /* Shallow: the records stay the index's. */
		synth.owner = (knot_dname_t *)knot_pkt_qname(qdata->query);
		rrset = &synth;
	}
	if (rrset != NULL) {
		uint16_t rotate = ctx->rotate ? knot_wire_get_id(qdata->query->wire) : 0;
		ret = knot_pkt_put_rotate(pkt, KNOT_COMPR_HINT_QNAME, rrset, rotate, 0);
		counter = CTR_ANSWERED;
	} else {
		ret = put_negative_soa(pkt, qdata, ctx, mecdns_index_generation(index));
		counter = CTR_NODATA;
	}
	knotd_mod_stats_incr(mod, qdata->params->thread_id, counter, 0, 1);

	if (ret == KNOT_ESPACE) {
		return KNOTD_STATE_DONE; /* TC is set, the RRset left out whole. */
	}
	if (ret != KNOT_EOK) {
		qdata->rcode = KNOT_RCODE_SERVFAIL;
		return KNOTD_STATE_FAIL;
	}
	return KNOTD_STATE_DONE;
}

/*! \brief Whether the zone of the query is signed (a DNSKEY at its apex). */
static bool zone_signed(knotd_qdata_t *qdata)
{
	knot_rrset_t dnskey = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_DNSKEY);
	return !knot_rrset_empty(&dnskey);
}

/*!
 * \brief Names of the zone knotd serves that mecdns never answers for,
 *        whatever the database holds: the zone's apex (its A beside SOA, NS,
 *        MX and TXT is the operator's) and the targets of its apex NS
 *        records (the glue knotd adds to every referral and NS answer would
 *        contradict a different address). Queries there go to the zone.
 */
static bool zone_protected(knotd_qdata_t *qdata, const knot_dname_t *qname)
{
	const knot_dname_t *apex = knotd_qdata_zone_name(qdata);
	if (apex == NULL) {
		return false;
	}
	if (knot_dname_is_case_equal(qname, apex)) {
		return true;
	}
	knot_rrset_t ns = knotd_qdata_zone_apex_rrset(qdata, KNOT_RRTYPE_NS);
	knot_rdata_t *rdata = ns.rrs.rdata;
	for (uint16_t i = 0; i < ns.rrs.count; i++) {
		if (knot_dname_is_case_equal(qname, knot_ns_name(rdata))) {
			return true;
		}
		rdata = knot_rdataset_next(rdata);
	}
	return false;
}

static knotd_state_t mecdns_begin(knotd_state_t state, knot_pkt_t *pkt, knotd_qdata_t *qdata,
                                  knotd_mod_t *mod)
{
	/* Answered, dropped or failed by an earlier hook (e.g. the global
	 * instance before a zone instance): not ours to touch. */
	if ((int)state != STATE_UNANSWERED || qdata->type != KNOTD_QUERY_TYPE_NORMAL) {
		return state;
	}

	mecdns_ctx_t *ctx = knotd_mod_ctx(mod);
	const knot_dname_t *qname = knot_pkt_qname(qdata->query); /* Lower case. */
	uint16_t qclass = knot_pkt_qclass(qdata->query);
	if (qname == NULL) {
		return state;
	}
	if (qclass == KNOT_CLASS_CH && !ctx->zone_scope) {
		return answer_probe(state, pkt, qdata, ctx);
	}
	if (qclass != KNOT_CLASS_IN || mecdns_qtype_passes(knot_pkt_qtype(qdata->query))) {
		return state;
	}
	if (ctx->zone_scope && knot_dname_in_bailiwick(qname, knotd_mod_zone(mod)) < 0) {
		return state;
	}

	rcu_read_lock();
	const mecdns_index_t *index = mecdns_refresh_index(ctx->refresh);
	const mecdns_owner_t *entry = (index != NULL) ? mecdns_index_find(index, qname) : NULL;
	/* Wildcards only where no zone of knotd's is asked: the zone's own names
	 * would have to stop synthesis (RFC 4592), and a BEGIN hook cannot see
	 * them. In synced zones, knotd applies the wildcards zone sync wrote. */
	bool synthesized = false;
	if (entry == NULL && knotd_qdata_zone_name(qdata) == NULL) {
		entry = mecdns_index_wildcard(index, qname);
		synthesized = entry != NULL;
	}
	if (entry == NULL || !mecdns_owner_has_data(entry) || zone_protected(qdata, qname)) {
		rcu_read_unlock();
		knotd_mod_stats_incr(mod, qdata->params->thread_id, CTR_PASSED, 0, 1);
		return state;
	}
	if (ctx->zone_scope && zone_signed(qdata)) {
		rcu_read_unlock();
		if (!__atomic_exchange_n(&ctx->warned_signed, true, __ATOMIC_RELAXED)) {
			knotd_mod_log(mod, LOG_WARNING,
			              "zone is DNSSEC-signed (DNSKEY at the apex), "
			              "passing its names through unanswered");
		}
		return state;
	}
	knotd_state_t next = answer_owned(pkt, qdata, mod, ctx, index, entry, synthesized);
	rcu_read_unlock();
	return next;
}

/*! \brief Reads the SOA names (MNAME then RNAME) of negative answers. */
static void load_soa_names(knotd_mod_t *mod, mecdns_ctx_t *ctx)
{
	const knot_dname_t *mname = knotd_conf_mod(mod, MOD_SOA_MNAME).single.dname;
	const knot_dname_t *rname = knotd_conf_mod(mod, MOD_SOA_RNAME).single.dname;
	if (mname == NULL) {
		mname = DEFAULT_SOA_MNAME;
	}
	if (rname == NULL) {
		rname = DEFAULT_SOA_RNAME;
	}
	size_t mname_len = knot_dname_to_wire(ctx->soa_names, mname, KNOT_DNAME_MAXLEN);
	size_t rname_len = knot_dname_to_wire(ctx->soa_names + mname_len, rname, KNOT_DNAME_MAXLEN);
	ctx->soa_names_len = (uint16_t)(mname_len + rname_len);
}

/*! \brief Rotation: the module's answer-rotation if set, else Knot's. */
static bool load_rotation(knotd_mod_t *mod)
{
	knotd_conf_t own = knotd_conf_mod(mod, MOD_ANSWER_ROTATION);
	if (own.count > 0) {
		return own.single.boolean;
	}
	return knotd_conf(mod, KNOT_SERVER, KNOT_ANSWER_ROTATION, NULL).single.boolean;
}

/*!
 * \brief Keeps this shared object mapped until knotd exits.
 *
 * knotd 3.2 keeps pointers into a module's file after unloading its
 * instances (the statistics counter names) and may dlclose the file when a
 * configuration transaction (knotc conf-begin .. conf-commit) replaces the
 * configuration; the refresher threads also run this file's code between
 * instances. Re-opening ourselves with RTLD_NODELETE pins the file, so a
 * conf-commit never leaves knotd calling into unmapped memory.
 */
static void pin_module_file(knotd_mod_t *mod)
{
	static bool pinned = false; /* Only touched in load(), knotd's main thread. */
	if (pinned) {
		return;
	}
	Dl_info info;
	if (dladdr((const void *)&pin_module_file, &info) == 0 || info.dli_fname == NULL) {
		knotd_mod_log(mod, LOG_WARNING,
		              "cannot find the module's own file to pin it; "
		              "avoid knotc conf-commit (use knotc reload)");
		return;
	}
	if (dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) == NULL) {
		knotd_mod_log(mod, LOG_WARNING,
		              "cannot pin %s (%s); avoid knotc conf-commit "
		              "(use knotc reload)",
		              info.dli_fname, dlerror());
		return;
	}
	pinned = true;
}

static void ctx_free(mecdns_ctx_t *ctx)
{
	if (ctx->report_fd >= 0) {
		close(ctx->report_fd);
	}
	free(ctx);
}

static int mecdns_load(knotd_mod_t *mod)
{
	pin_module_file(mod);

	const knot_dname_t *zone = knotd_mod_zone(mod);
	if (zone != NULL && knotd_conf_zone(mod, KNOT_DNSSEC_SIGNING, zone).single.boolean) {
		knotd_mod_log(mod, LOG_ERR,
		              "refusing a DNSSEC-signed zone (dnssec-signing: on), "
		              "answers would be unsigned; use the module for unsigned zones "
		              "or as a global module for names outside signed zones");
		return KNOT_ENOTSUP;
	}

	mecdns_ctx_t *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		return KNOT_ENOMEM;
	}
	ctx->mod = mod;
	ctx->zone_scope = (zone != NULL);
	ctx->rotate = load_rotation(mod);
	ctx->negative_ttl = (uint32_t)knotd_conf_mod(mod, MOD_NEGATIVE_TTL).single.integer;
	load_soa_names(mod, ctx);
	int sret = load_report_socket(mod, ctx);
	if (sret != KNOT_EOK) {
		free(ctx);
		return sret;
	}

	for (unsigned i = 0; i < CTR_COUNT; i++) {
		int ret = i == CTR_EDE ? knotd_mod_stats_add(mod, CTR_NAMES[i], MECDNS_EDE_SLOTS,
		                                             ede_slot_name)
		                       : knotd_mod_stats_add(mod, CTR_NAMES[i], 1, NULL);
		if (ret != KNOT_EOK) {
			ctx_free(ctx);
			return ret;
		}
	}
	knotd_mod_ctx_set(mod, ctx);

	const char *database = knotd_conf_mod(mod, MOD_DATABASE).single.string;
	const mecdns_refresh_conf_t conf = {
		.database = database,
		.default_ttl = (uint32_t)knotd_conf_mod(mod, MOD_DEFAULT_TTL).single.integer,
		.interval_ms = (uint32_t)knotd_conf_mod(mod, MOD_REFRESH_INTERVAL).single.integer,
		.linger_ms = LINGER_MS,
		.first_load_wait_ms = FIRST_LOAD_WAIT_MS,
	};
	const mecdns_refresh_sink_t sink = {
		.log = sink_log,
		.status = sink_status,
		.data = ctx,
		.prefer_log = !ctx->zone_scope,
	};
	bool reused = false;
	int ret = mecdns_refresh_attach(&conf, &sink, &ctx->refresh, &reused);
	if (ret != KNOT_EOK) {
		knotd_mod_log(mod, LOG_ERR, "cannot serve database '%s' (%s)",
		              database != NULL ? database : "", knot_strerror(ret));
		knotd_mod_ctx_set(mod, NULL);
		ctx_free(ctx);
		return ret;
	}

	mecdns_refresh_status_t status;
	mecdns_refresh_get_status(ctx->refresh, &status);
	if (reused && status.loaded) {
		knotd_mod_log(mod, LOG_INFO, "serving generation %llu of '%s' (already loaded)",
		              (unsigned long long)status.generation, database);
	} else if (!status.loaded) {
		knotd_mod_log(mod, LOG_WARNING,
		              "nothing loaded from '%s' yet, "
		              "passing every query through until it is",
		              database);
	}

	ret = knotd_mod_hook(mod, KNOTD_STAGE_BEGIN, mecdns_begin);
	if (ret == KNOT_EOK && !ctx->zone_scope) {
		ret = knotd_mod_hook(mod, KNOTD_STAGE_END, mecdns_end);
	}
	if (ret != KNOT_EOK) {
		mecdns_refresh_detach(ctx->refresh);
		knotd_mod_ctx_set(mod, NULL);
		ctx_free(ctx);
		return ret;
	}
	/* Before load returns, so before the first query. */
	ctx->ecs_trusted = knotd_conf_mod(mod, MOD_ECS_TRUSTED);
	return KNOT_EOK;
}

static void mecdns_unload(knotd_mod_t *mod)
{
	mecdns_ctx_t *ctx = knotd_mod_ctx(mod);
	if (ctx == NULL) {
		return;
	}
	/* Knot unloads only after a grace period (see refresh.c): no worker
	 * still runs this instance's hook. */
	mecdns_refresh_detach(ctx->refresh);
	knotd_mod_ctx_set(mod, NULL);
	knotd_conf_free(&ctx->ecs_trusted);
	ctx_free(ctx);
}

KNOTD_MOD_API(mecdns, KNOTD_MOD_FLAG_SCOPE_ANY, mecdns_load, mecdns_unload, mecdns_conf,
              mecdns_conf_check);
