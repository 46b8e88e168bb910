/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: reports of answered queries (see reports.h). */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/report.h"
#include "syncd/reports.h"

/*! Slots of the table of recent reports (a repeat within REPORT_REPEAT_MS
 *  that lands on the slot of another report is reported again: harmless). */
#define RECENT_SLOTS 4096

typedef struct {
	uint64_t hash;
	long long at_ms;
} recent_t;

/*! A reportingOnceInd rule that was reported: "context\x1frule". */
typedef struct once {
	struct once *next;
	char key[];
} once_t;

struct syncd_reports {
	pthread_t thread;
	int fd;
	int stop_pipe[2];
	char *path;
	mecdns_store_t *store;
	mecdns_signals_t *signals;
	syncd_notify_t *notify;
	recent_t recent[RECENT_SLOTS]; /*!< The reader thread's only. */
	pthread_mutex_t lock;          /*!< Guards once and stats. */
	once_t *once;
	syncd_reports_stats_t stats;
};

static uint64_t fnv1a(uint64_t hash, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++) {
		hash = (hash ^ p[i]) * 0x100000001b3ULL;
	}
	return hash;
}

/*! \brief Whether the report was made within REPORT_REPEAT_MS (and notes
 *         it as made now when not). */
static bool recently(syncd_reports_t *r, const char *context, const char *rule, const char *fqdn,
                     const char *client)
{
	uint64_t hash = 0xcbf29ce484222325ULL;
	const char *parts[] = { context, rule, fqdn, client };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		hash = fnv1a(hash, parts[i], strlen(parts[i]) + 1);
	}
	recent_t *slot = &r->recent[hash % RECENT_SLOTS];
	long long now = mecdns_monotonic_ms();
	if (slot->hash == hash && now - slot->at_ms < REPORT_REPEAT_MS) {
		return true;
	}
	slot->hash = hash;
	slot->at_ms = now;
	return false;
}

/*! \brief For a reportingOnceInd rule: true when it was reported before,
 *         else notes it. */
static bool once_seen(syncd_reports_t *r, const char *context, const char *rule)
{
	size_t len = strlen(context) + 1 + strlen(rule) + 1;
	bool seen = false;
	pthread_mutex_lock(&r->lock);
	for (once_t *o = r->once; o != NULL && !seen; o = o->next) {
		seen = strncmp(o->key, context, strlen(context)) == 0 &&
		       o->key[strlen(context)] == '\x1f' &&
		       strcmp(o->key + strlen(context) + 1, rule) == 0;
	}
	if (!seen) {
		once_t *o = malloc(sizeof(*o) + len);
		if (o != NULL) {
			snprintf(o->key, len, "%s\x1f%s", context, rule);
			o->next = r->once;
			r->once = o;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return seen;
}

void syncd_reports_forget(syncd_reports_t *r, const char *context_id, const char *rule_key)
{
	if (r == NULL || context_id == NULL) {
		return;
	}
	size_t clen = strlen(context_id);
	pthread_mutex_lock(&r->lock);
	for (once_t **p = &r->once; *p != NULL;) {
		once_t *o = *p;
		bool match = strncmp(o->key, context_id, clen) == 0 && o->key[clen] == '\x1f' &&
		             (rule_key == NULL || strcmp(o->key + clen + 1, rule_key) == 0);
		if (match) {
			*p = o->next;
			free(o);
		} else {
			p = &o->next;
		}
	}
	pthread_mutex_unlock(&r->lock);
}

/*! \brief RFC 3339 UTC time with milliseconds (TS 29.571 DateTime). */
static void format_time(long long ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char day[32];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03lldZ", day, ms % 1000);
}

/*! \brief The DnsContextNotification of one report (TS 29.556 6.1.6.2.7):
 *         dnsRuleId is a number where the rule's key is a decimal Uint32
 *         (the type TS 29.556 gives it), else the key as a string. */
static char *notification(const char *rule, const char *fqdn, long long ms)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(doc, "eventreportList");
	cJSON *event = cJSON_CreateObject();
	cJSON_AddItemToArray(list, event);
	char when[48];
	format_time(ms, when, sizeof(when));
	cJSON_AddStringToObject(event, "timestamp", when);
	char *end = NULL;
	errno = 0;
	unsigned long long number = strtoull(rule, &end, 10);
	if (rule[0] >= '0' && rule[0] <= '9' && *end == '\0' && errno == 0 &&
	    number <= UINT32_MAX && (rule[0] != '0' || rule[1] == '\0')) {
		cJSON_AddNumberToObject(event, "dnsRuleId", (double)number);
	} else {
		cJSON_AddStringToObject(event, "dnsRuleId", rule);
	}
	cJSON *query = cJSON_AddObjectToObject(event, "dnsQueryReport");
	cJSON_AddStringToObject(query, "fqdn", fqdn);
	char *text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return text;
}

/*! \brief The reports of one context for one answered query. */
static void report_context(syncd_reports_t *r, const char *context, const char *owner,
                           const char *fqdn, const char *client)
{
	char *body = NULL;
	if (mecdns_store_context_get(r->store, context, &body, NULL) != MECDNS_STORE_OK) {
		pthread_mutex_lock(&r->lock);
		r->stats.unmatched++;
		pthread_mutex_unlock(&r->lock);
		return; /* Deleted meanwhile. */
	}
	char rule[257];
	bool once = false;
	bool found = syncd_context_report_rule(body, owner, rule, sizeof(rule), &once);
	bool repeat = found && (recently(r, context, rule, fqdn, client) ||
	                        (once && once_seen(r, context, rule)));
	if (!found || repeat) {
		pthread_mutex_lock(&r->lock);
		if (!found) {
			r->stats.unmatched++;
		} else {
			r->stats.repeated++;
		}
		pthread_mutex_unlock(&r->lock);
		free(body);
		return;
	}
	long long now = mecdns_realtime_ms();
	mecdns_signals_emit_dns_context_report(r->signals, context, rule, fqdn, client,
	                                       (uint64_t)now);
	cJSON *doc = cJSON_Parse(body);
	const char *uri = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "notifyUri"));
	if (uri != NULL && r->notify != NULL) {
		char *note = notification(rule, fqdn, now);
		if (note == NULL || !syncd_notify_post(r->notify, uri, note)) {
			log_warning("DNS context %s: cannot queue the notification to %s", context,
			            uri);
		}
		free(note);
	}
	cJSON_Delete(doc);
	free(body);
	log_debug("DNS context %s: rule %s answered %s for %s", context, rule, fqdn, client);
	pthread_mutex_lock(&r->lock);
	r->stats.reported++;
	pthread_mutex_unlock(&r->lock);
}

/*! \brief One datagram from mod-mecdns. */
static void on_datagram(syncd_reports_t *r, const uint8_t *buf, size_t len)
{
	mecdns_report_t report;
	char owner[1024], qname[1024];
	bool ok = mecdns_report_decode(buf, len, &report) &&
	          mecdns_report_name_text(report.owner, report.owner_len, owner, sizeof(owner)) &&
	          mecdns_report_name_text(report.qname, report.qname_len, qname, sizeof(qname));
	pthread_mutex_lock(&r->lock);
	r->stats.received++;
	r->stats.malformed += ok ? 0 : 1;
	pthread_mutex_unlock(&r->lock);
	if (!ok) {
		return;
	}
	char client[INET6_ADDRSTRLEN];
	inet_ntop(report.family == 4 ? AF_INET : AF_INET6, report.addr, client, sizeof(client));
	/* A repeat costs no database read: a UE that floods its name is
	 * looked up once a second. */
	if (recently(r, "", owner, qname, client)) {
		pthread_mutex_lock(&r->lock);
		r->stats.repeated++;
		pthread_mutex_unlock(&r->lock);
		return;
	}
	char **ids = NULL;
	size_t count = 0;
	mecdns_store_status_t status = mecdns_store_context_reporters(
	    r->store, owner, report.family, report.addr, &ids, &count);
	if (status != MECDNS_STORE_OK) {
		log_warning("report of %s for %s: %s", qname, client, mecdns_store_last_error());
		return;
	}
	/* The FQDN as TS 29.571 writes it: no trailing dot. */
	size_t qlen = strlen(qname);
	if (qlen > 1 && qname[qlen - 1] == '.') {
		qname[qlen - 1] = '\0';
	}
	if (count == 0) {
		pthread_mutex_lock(&r->lock);
		r->stats.unmatched++;
		pthread_mutex_unlock(&r->lock);
	}
	for (size_t i = 0; i < count; i++) {
		report_context(r, ids[i], owner, qname, client);
		free(ids[i]);
	}
	free(ids);
}

static void *reports_main(void *arg)
{
	syncd_reports_t *r = arg;
	uint8_t buf[MECDNS_REPORT_MAX + 1];
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = r->fd, .events = POLLIN },
			{ .fd = r->stop_pipe[0], .events = POLLIN },
		};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			log_error("report socket: poll failed (%s)", strerror(errno));
			break;
		}
		if (pfd[1].revents != 0) {
			break;
		}
		for (int n = 0; n < 64; n++) {
			ssize_t got = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (got < 0) {
				break;
			}
			on_datagram(r, buf, (size_t)got);
		}
	}
	return NULL;
}

syncd_reports_t *syncd_reports_start(const char *path, mecdns_store_t *store,
                                     mecdns_signals_t *signals, syncd_notify_t *notify, char *err,
                                     size_t err_len)
{
	/* Bound under PATH.new, made 0660, then renamed over PATH: the socket
	 * appears with its final mode (no umask, which is the whole process's
	 * while other threads run), and a stale socket is replaced at once. */
	static const char SUFFIX[] = ".new";
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (path == NULL || path[0] != '/' ||
	    strlen(path) + sizeof(SUFFIX) > sizeof(addr.sun_path)) {
		snprintf(err, err_len,
		         "report-socket must be an absolute path of at most %zu bytes",
		         sizeof(addr.sun_path) - sizeof(SUFFIX));
		return NULL;
	}
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "report-socket %s exists and is not a socket", path);
		return NULL;
	}
	syncd_reports_t *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	r->store = store;
	r->signals = signals;
	r->notify = notify;
	r->stop_pipe[0] = r->stop_pipe[1] = -1;
	pthread_mutex_init(&r->lock, NULL);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s%s", path, SUFFIX);
	(void)unlink(addr.sun_path); /* Left by a crash between bind and rename. */
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = r->fd >= 0 && bind(r->fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (!ok) {
		snprintf(err, err_len, "cannot bind report-socket %s (%s)", addr.sun_path,
		         strerror(errno));
	} else if (chmod(addr.sun_path, 0660) != 0 || rename(addr.sun_path, path) != 0) {
		snprintf(err, err_len, "cannot put report-socket %s in place (%s)", path,
		         strerror(errno));
		(void)unlink(addr.sun_path);
		ok = false;
	} else {
		/* Room for bursts: what does not fit is dropped by the module. */
		int size = 1 << 20;
		(void)setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		int ret = pipe2(r->stop_pipe, O_CLOEXEC) != 0
		              ? errno
		              : pthread_create(&r->thread, NULL, reports_main, r);
		if (ret != 0) {
			snprintf(err, err_len, "cannot start reading report-socket %s (%s)", path,
			         strerror(ret));
			(void)unlink(path);
			ok = false;
		}
	}
	if (!ok) {
		if (r->fd >= 0) {
			close(r->fd);
		}
		for (int i = 0; i < 2; i++) {
			if (r->stop_pipe[i] >= 0) {
				close(r->stop_pipe[i]);
			}
		}
		pthread_mutex_destroy(&r->lock);
		free(r->path);
		free(r);
		return NULL;
	}
	return r;
}

void syncd_reports_stats(syncd_reports_t *r, syncd_reports_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if (r == NULL) {
		return;
	}
	pthread_mutex_lock(&r->lock);
	*out = r->stats;
	pthread_mutex_unlock(&r->lock);
}

void syncd_reports_stop(syncd_reports_t *r)
{
	if (r == NULL) {
		return;
	}
	ssize_t ignored = write(r->stop_pipe[1], "x", 1);
	(void)ignored;
	pthread_join(r->thread, NULL);
	close(r->fd);
	close(r->stop_pipe[0]);
	close(r->stop_pipe[1]);
	(void)unlink(r->path);
	for (once_t *o = r->once; o != NULL;) {
		once_t *next = o->next;
		free(o);
		o = next;
	}
	pthread_mutex_destroy(&r->lock);
	free(r->path);
	free(r);
}

void syncd_reports_print_metrics(syncd_reports_t *r, syncd_notify_t *notify, FILE *out)
{
	if (r == NULL) {
		return;
	}
	syncd_reports_stats_t st;
	syncd_reports_stats(r, &st);
	syncd_notify_stats_t ns;
	syncd_notify_stats(notify, &ns);
	fprintf(out,
	        "# HELP mecdns_reports_total Reports of answered queries from mod-mecdns (DNS "
	        "contexts' REPORT), by what became of them.\n"
	        "# TYPE mecdns_reports_total counter\n"
	        "mecdns_reports_total{outcome=\"received\"} %" PRIu64 "\n"
	        "mecdns_reports_total{outcome=\"malformed\"} %" PRIu64 "\n"
	        "mecdns_reports_total{outcome=\"reported\"} %" PRIu64 "\n"
	        "mecdns_reports_total{outcome=\"repeated\"} %" PRIu64 "\n"
	        "mecdns_reports_total{outcome=\"unmatched\"} %" PRIu64 "\n"
	        "# HELP mecdns_notifications_total DnsContextNotifications to notifyUri, by "
	        "outcome.\n"
	        "# TYPE mecdns_notifications_total counter\n"
	        "mecdns_notifications_total{outcome=\"sent\"} %" PRIu64 "\n"
	        "mecdns_notifications_total{outcome=\"retried\"} %" PRIu64 "\n"
	        "mecdns_notifications_total{outcome=\"given_up\"} %" PRIu64 "\n"
	        "mecdns_notifications_total{outcome=\"dropped\"} %" PRIu64 "\n"
	        "# HELP mecdns_notifications_queued DnsContextNotifications waiting.\n"
	        "# TYPE mecdns_notifications_queued gauge\n"
	        "mecdns_notifications_queued %" PRIu64 "\n",
	        st.received, st.malformed, st.reported, st.repeated, st.unmatched, ns.sent,
	        ns.retried, ns.given_up, ns.dropped, ns.queued);
}
