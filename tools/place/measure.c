/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-place measure: RTTs from this host (one client group) to the
 *  candidate hosts, by DNS over UDP: COUNT queries to each address, the
 *  median of the answered ones; lines of rtt.csv on stdout. A host that
 *  never answers gets no line (unreachable), and a note on stderr. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/server_addr.h"
#include "tools/place/measure.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool place_parse_address(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	return mecdns_server_addr(text, ss, len);
}

/*! \brief A query for qname (absolute or not), type TXT class CH when
 *         chaos, else type A class IN; its length, 0 if qname is too long. */
static size_t make_query(uint8_t *buf, size_t size, uint16_t id, const char *qname, bool chaos)
{
	size_t n = 12;
	if (size < 12 + 255 + 4) {
		return 0;
	}
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[5] = 1; /* QDCOUNT */
	const char *label = qname;
	while (*label != '\0') {
		const char *dot = strchr(label, '.');
		size_t len = dot != NULL ? (size_t)(dot - label) : strlen(label);
		if (len == 0 || len > 63 || n + len + 1 > 12 + 254) {
			return 0;
		}
		buf[n++] = (uint8_t)len;
		memcpy(buf + n, label, len);
		n += len;
		label += len + (dot != NULL);
	}
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = chaos ? 16 : 1; /* TXT or A */
	buf[n++] = 0;
	buf[n++] = chaos ? 3 : 1; /* CH or IN */
	return n;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int place_measure(const char *group, const place_target_t *targets, size_t count, const char *qname,
                  int queries, int timeout_ms, FILE *out)
{
	bool chaos =
	    strcmp(qname, "generation.mecdns.") == 0 || strcmp(qname, "generation.mecdns") == 0;
	int unreachable = 0;
	double *samples = calloc((size_t)queries + 1, sizeof(*samples));
	if (samples == NULL) {
		return -1;
	}
	for (size_t t = 0; t < count; t++) {
		int fd = socket(targets[t].addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 ||
		    connect(fd, (const struct sockaddr *)&targets[t].addr, targets[t].len) != 0) {
			fprintf(stderr, "mecdns-place: %s: %s\n", targets[t].name, strerror(errno));
			if (fd >= 0) {
				close(fd);
			}
			unreachable++;
			continue;
		}
		int got = 0;
		for (int q = 0; q < queries; q++) {
			uint8_t query[512], answer[4096];
			uint16_t id = (uint16_t)(rand() & 0xffff);
			size_t len = make_query(query, sizeof(query), id, qname, chaos);
			if (len == 0) {
				close(fd);
				free(samples);
				return -2;
			}
			double start = now_ms();
			if (send(fd, query, len, 0) != (ssize_t)len) {
				continue;
			}
			/* The answer with our id, within the timeout. */
			for (;;) {
				int left = timeout_ms - (int)(now_ms() - start);
				struct pollfd p = { .fd = fd, .events = POLLIN };
				if (left <= 0 || poll(&p, 1, left) <= 0) {
					break;
				}
				ssize_t n = recv(fd, answer, sizeof(answer), 0);
				if (n >= 12 && answer[0] == query[0] && answer[1] == query[1] &&
				    (answer[2] & 0x80) != 0) {
					samples[got++] = now_ms() - start;
					break;
				}
				if (n < 0 && errno != EINTR && errno != EAGAIN) {
					break; /* e.g. ECONNREFUSED: nothing listens. */
				}
			}
		}
		close(fd);
		if (got == 0) {
			fprintf(stderr,
			        "mecdns-place: %s answered none of %d queries: left out "
			        "(unreachable)\n",
			        targets[t].name, queries);
			unreachable++;
			continue;
		}
		qsort(samples, (size_t)got, sizeof(*samples), by_value);
		double median =
		    got % 2 == 1 ? samples[got / 2] : (samples[got / 2 - 1] + samples[got / 2]) / 2;
		fprintf(out, "%s,%s,%.3f\n", group, targets[t].name, median);
	}
	free(samples);
	return unreachable;
}
