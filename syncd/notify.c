/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: notifications by HTTP POST (see notify.h). */

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "syncd/notify.h"

/*! Waits before the attempts after the first, ms. */
static const int RETRY_MS[NOTIFY_ATTEMPTS - 1] = { 500, 1000, 2000, 4000 };

typedef struct item {
	struct item *next;
	char *uri;
	char *body;
	int attempts;     /*!< Made so far. */
	long long due_ms; /*!< Monotonic time of the next attempt. */
} item_t;

struct syncd_notify {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	long long stop_by_ms;
	item_t *head; /*!< In the order queued. */
	size_t count;
	syncd_notify_stats_t stats;
};

/*! A parsed http:// URI. */
typedef struct {
	char host[256];
	char port[8];
	char target[1024]; /*!< Path and query, "/" at least. */
} uri_t;

static bool uri_parse(const char *uri, uri_t *out, bool *https, char *err, size_t err_len)
{
	*https = false;
	memset(out, 0, sizeof(*out));
	if (uri == NULL) {
		snprintf(err, err_len, "no URI");
		return false;
	}
	if (strncasecmp(uri, "https://", 8) == 0) {
		*https = true;
		snprintf(err, err_len,
		         "https is not supported for notifications (mecdns-syncd sends them by "
		         "http, over the operator's own network)");
		return false;
	}
	if (strncasecmp(uri, "http://", 7) != 0) {
		snprintf(err, err_len, "must be an http:// URI");
		return false;
	}
	const char *authority = uri + 7;
	size_t auth_len = strcspn(authority, "/?#");
	const char *rest = authority + auth_len;
	if (auth_len == 0 || memchr(authority, '@', auth_len) != NULL) {
		snprintf(err, err_len, "must name a host (and no user information)");
		return false;
	}
	const char *host = authority;
	size_t host_len;
	const char *port = NULL;
	if (*host == '[') {
		const char *close = memchr(host, ']', auth_len);
		if (close == NULL) {
			snprintf(err, err_len, "an IPv6 host must be in brackets");
			return false;
		}
		host++;
		host_len = (size_t)(close - host);
		if (close + 1 < authority + auth_len) {
			if (close[1] != ':') {
				snprintf(err, err_len, "bad character after the IPv6 host");
				return false;
			}
			port = close + 2;
		}
	} else {
		const char *colon = memchr(host, ':', auth_len);
		host_len = colon != NULL ? (size_t)(colon - host) : auth_len;
		port = colon != NULL ? colon + 1 : NULL;
	}
	if (host_len == 0 || host_len >= sizeof(out->host)) {
		snprintf(err, err_len, "the host is empty or too long");
		return false;
	}
	memcpy(out->host, host, host_len);
	for (size_t i = 0; i < host_len; i++) {
		char ch = out->host[i];
		if (ch <= ' ' || ch == '%' || ch >= 0x7f) {
			snprintf(err, err_len, "the host has a character hosts cannot have");
			return false;
		}
	}
	if (port != NULL) {
		size_t port_len = (size_t)(authority + auth_len - port);
		unsigned long value = 0;
		for (size_t i = 0; i < port_len; i++) {
			if (port[i] < '0' || port[i] > '9') {
				port_len = 0;
				break;
			}
			value = value * 10 + (unsigned long)(port[i] - '0');
			if (value > 65535) {
				port_len = 0;
				break;
			}
		}
		if (port_len == 0 || value == 0) {
			snprintf(err, err_len, "the port must be 1 to 65535");
			return false;
		}
		snprintf(out->port, sizeof(out->port), "%lu", value);
	} else {
		snprintf(out->port, sizeof(out->port), "80");
	}
	if (*rest == '#') {
		rest = "";
	}
	size_t target_len = strcspn(rest, "#");
	if (target_len + 2 > sizeof(out->target)) {
		snprintf(err, err_len, "the path is longer than %zu bytes",
		         sizeof(out->target) - 2);
		return false;
	}
	for (size_t i = 0; i < target_len; i++) {
		if (rest[i] <= ' ' || rest[i] >= 0x7f) {
			snprintf(err, err_len, "the path has a space or a control character");
			return false;
		}
	}
	snprintf(out->target, sizeof(out->target), "%s%.*s", *rest == '?' ? "/" : "",
	         (int)target_len, rest);
	if (out->target[0] == '\0') {
		snprintf(out->target, sizeof(out->target), "/");
	}
	return true;
}

bool syncd_notify_uri_check(const char *uri, bool *https, char *err, size_t err_len)
{
	uri_t parsed;
	bool is_https = false;
	bool ok = uri_parse(uri, &parsed, &is_https, err, err_len);
	if (https != NULL) {
		*https = is_https;
	}
	return ok;
}

/*! \brief Milliseconds left until deadline (at least 0). */
static int left_ms(long long deadline)
{
	long long left = deadline - mecdns_monotonic_ms();
	return left > 0 ? (int)left : 0;
}

/*! \brief Connects to one address within the deadline; -1 on failure. */
static int connect_by(const struct addrinfo *ai, long long deadline)
{
	int fd =
	    socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		return fd;
	}
	if (errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (poll(&pfd, 1, left_ms(deadline)) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*!
 * \brief One POST attempt.
 * \return The HTTP status, or 0 when no answer came (connection, timeout).
 */
static int post_once(const char *uri, const char *body, char *why, size_t why_len)
{
	uri_t parsed;
	bool https;
	if (!uri_parse(uri, &parsed, &https, why, why_len)) {
		return -1;
	}
	long long deadline = mecdns_monotonic_ms() + NOTIFY_TIMEOUT_MS;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	int gai = getaddrinfo(parsed.host, parsed.port, &hints, &list);
	if (gai != 0) {
		snprintf(why, why_len, "cannot resolve %.100s (%s)", parsed.host,
		         gai_strerror(gai));
		return 0;
	}
	int fd = -1;
	for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = connect_by(ai, deadline);
	}
	freeaddrinfo(list);
	if (fd < 0) {
		snprintf(why, why_len, "cannot connect to %.100s port %s", parsed.host,
		         parsed.port);
		return 0;
	}
	size_t body_len = strlen(body);
	bool v6 = strchr(parsed.host, ':') != NULL;
	char head[1536];
	int head_len = snprintf(head, sizeof(head),
	                        "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
	                        "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	                        "Connection: close\r\nUser-Agent: mecdns-syncd\r\n\r\n",
	                        parsed.target, v6 ? "[" : "", parsed.host, v6 ? "]" : "",
	                        parsed.port, body_len);
	const char *parts[2] = { head, body };
	const size_t lens[2] = { (size_t)head_len, body_len };
	for (int p = 0; p < 2; p++) {
		size_t done = 0;
		while (done < lens[p]) {
			ssize_t n = send(fd, parts[p] + done, lens[p] - done, MSG_NOSIGNAL);
			if (n > 0) {
				done += (size_t)n;
				continue;
			}
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
			    (errno == EAGAIN && poll(&pfd, 1, left_ms(deadline)) != 1)) {
				close(fd);
				snprintf(why, why_len, "sending to %.100s failed or timed out",
				         parsed.host);
				return 0;
			}
		}
	}
	/* The status line is all that counts. */
	char answer[256] = "";
	size_t got = 0;
	while (got < sizeof(answer) - 1 && memchr(answer, '\n', got) == NULL) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, left_ms(deadline)) != 1) {
			break;
		}
		ssize_t n = recv(fd, answer + got, sizeof(answer) - 1 - got, 0);
		if (n <= 0) {
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	answer[got] = '\0';
	int status = 0;
	if (sscanf(answer, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100 || status > 599) {
		snprintf(why, why_len, "no HTTP answer from %.100s within %d ms", parsed.host,
		         NOTIFY_TIMEOUT_MS);
		return 0;
	}
	snprintf(why, why_len, "HTTP %d", status);
	return status;
}

static void item_free(item_t *item)
{
	if (item != NULL) {
		free(item->uri);
		free(item->body);
		free(item);
	}
}

/*! \brief The queued item due first (NULL: none); the lock is held. */
static item_t *earliest(syncd_notify_t *n)
{
	item_t *best = NULL;
	for (item_t *i = n->head; i != NULL; i = i->next) {
		if (best == NULL || i->due_ms < best->due_ms) {
			best = i;
		}
	}
	return best;
}

static void unlink_item(syncd_notify_t *n, item_t *item)
{
	for (item_t **p = &n->head; *p != NULL; p = &(*p)->next) {
		if (*p == item) {
			*p = item->next;
			n->count--;
			return;
		}
	}
}

static void *notify_main(void *arg)
{
	syncd_notify_t *n = arg;
	pthread_mutex_lock(&n->lock);
	for (;;) {
		long long now = mecdns_monotonic_ms();
		if (n->stopping && (n->head == NULL || now >= n->stop_by_ms)) {
			break;
		}
		item_t *next = earliest(n);
		if (next == NULL || next->due_ms > now) {
			long long until = next != NULL ? next->due_ms : now + 60000;
			if (n->stopping && until > n->stop_by_ms) {
				until = n->stop_by_ms;
			}
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			long long wait = until - now;
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&n->wake, &n->lock, &ts);
			continue;
		}
		unlink_item(n, next);
		pthread_mutex_unlock(&n->lock);

		char why[256] = "";
		int status = post_once(next->uri, next->body, why, sizeof(why));
		next->attempts++;
		bool again = (status == 0 || status == 429 || status >= 500) &&
		             next->attempts < NOTIFY_ATTEMPTS;

		pthread_mutex_lock(&n->lock);
		if (status >= 200 && status < 300) {
			n->stats.sent++;
			log_debug("notification to %s taken (%s)", next->uri, why);
			item_free(next);
		} else if (again && !n->stopping) {
			n->stats.retried++;
			next->due_ms = mecdns_monotonic_ms() + RETRY_MS[next->attempts - 1];
			log_info("notification to %s failed (%s), attempt %d of %d in %d ms",
			         next->uri, why, next->attempts + 1, NOTIFY_ATTEMPTS,
			         RETRY_MS[next->attempts - 1]);
			next->next = n->head;
			n->head = next;
			n->count++;
		} else {
			n->stats.given_up++;
			log_warning("notification to %s given up after %d attempt%s (%s)",
			            next->uri, next->attempts, next->attempts == 1 ? "" : "s", why);
			item_free(next);
		}
	}
	for (item_t *i = n->head; i != NULL;) {
		item_t *later = i->next;
		n->stats.given_up++;
		log_warning("notification to %s given up: mecdns-syncd stops", i->uri);
		item_free(i);
		i = later;
	}
	n->head = NULL;
	n->count = 0;
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

syncd_notify_t *syncd_notify_start(char *err, size_t err_len)
{
	syncd_notify_t *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&n->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&n->lock, NULL);
	int ret = pthread_create(&n->thread, NULL, notify_main, n);
	if (ret != 0) {
		snprintf(err, err_len, "cannot start the notifier thread (%s)", strerror(ret));
		pthread_cond_destroy(&n->wake);
		pthread_mutex_destroy(&n->lock);
		free(n);
		return NULL;
	}
	return n;
}

bool syncd_notify_post(syncd_notify_t *n, const char *uri, const char *body)
{
	char err[160];
	if (n == NULL || body == NULL || !syncd_notify_uri_check(uri, NULL, err, sizeof(err))) {
		return false;
	}
	item_t *item = calloc(1, sizeof(*item));
	if (item == NULL || (item->uri = strdup(uri)) == NULL ||
	    (item->body = strdup(body)) == NULL) {
		item_free(item);
		return false;
	}
	item->due_ms = mecdns_monotonic_ms();
	pthread_mutex_lock(&n->lock);
	if (n->count >= NOTIFY_QUEUE_MAX) {
		/* The oldest (the head) goes: the SMF is not taking them. */
		item_t *old = n->head;
		n->head = old->next;
		n->count--;
		n->stats.dropped++;
		if (n->stats.dropped == 1 || n->stats.dropped % 1000 == 0) {
			log_warning("notification queue full (%d): dropped %llu so far, the "
			            "oldest to %s",
			            NOTIFY_QUEUE_MAX, (unsigned long long)n->stats.dropped,
			            old->uri);
		}
		item_free(old);
	}
	item_t **tail = &n->head;
	while (*tail != NULL) {
		tail = &(*tail)->next;
	}
	*tail = item;
	n->count++;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
	return true;
}

void syncd_notify_stats(syncd_notify_t *n, syncd_notify_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if (n == NULL) {
		return;
	}
	pthread_mutex_lock(&n->lock);
	*out = n->stats;
	out->queued = n->count;
	pthread_mutex_unlock(&n->lock);
}

void syncd_notify_stop(syncd_notify_t *n, int wait_ms)
{
	if (n == NULL) {
		return;
	}
	pthread_mutex_lock(&n->lock);
	n->stopping = true;
	n->stop_by_ms = mecdns_monotonic_ms() + wait_ms;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	pthread_cond_destroy(&n->wake);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
