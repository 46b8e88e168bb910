/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  ecsload: a UDP query load with an EDNS Client Subnet option (RFC 7871)
 *  that changes from query to query, for mecdns's client-subnet benchmark
 *  (issue 13). dnsperf sends one fixed EDNS option for every query, so it
 *  cannot ask as many devices as the scopes need.
 *
 *  Usage: ecsload -p PORT -f FILE [-s ADDR] [-l SECONDS] [-q OUTSTANDING]
 *                 [-c] [-n COUNT]
 *    FILE     lines "NAME TYPE ECS [EXPECTED]": ECS is ADDR/LEN or "-" for a
 *             query without the option; EXPECTED, when given, is the first
 *             A/AAAA address the answer must carry ("-": none).
 *    -l       run that long at the highest rate the server keeps up with,
 *             OUTSTANDING (64) queries in flight, cycling through FILE
 *    -c       check mode: FILE once, one query at a time (or -n COUNT
 *             lines), every answer compared with EXPECTED and its ECS
 *             SCOPE printed on a mismatch; exit 1 if any differ
 *  Prints one line: "sent N completed N lost N seconds S qps Q noerror N
 *  nxdomain N mismatches N" (mismatches only counted where EXPECTED is
 *  given). Build: gcc -O2 ecsload.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PACKET 512
#define TIMEOUT_NS 1000000000LL

typedef struct {
	uint8_t wire[MAX_PACKET];
	uint16_t len;
	char expected[64]; /* "" when not given */
} query_t;

typedef struct {
	long long sent_ns; /* 0: free */
	size_t query;
} slot_t;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Writes name in wire form at out; returns its length or 0 if invalid. */
static size_t put_name(uint8_t *out, size_t room, const char *name)
{
	size_t at = 0;
	const char *label = name;
	while (*label != '\0') {
		const char *dot = strchr(label, '.');
		size_t len = dot != NULL ? (size_t)(dot - label) : strlen(label);
		if (len == 0 || len > 63 || at + len + 2 > room) {
			return 0;
		}
		out[at++] = (uint8_t)len;
		memcpy(out + at, label, len);
		at += len;
		label += len + (dot != NULL ? 1 : 0);
	}
	out[at++] = 0;
	return at;
}

static bool build_query(query_t *q, const char *name, const char *type, const char *ecs)
{
	uint16_t qtype = strcmp(type, "AAAA") == 0 ? 28 : 1;
	uint8_t *w = q->wire;
	memset(w, 0, 12);
	w[5] = 1; /* QDCOUNT */
	size_t at = 12;
	size_t n = put_name(w + at, MAX_PACKET - at - 64, name);
	if (n == 0) {
		return false;
	}
	at += n;
	w[at++] = (uint8_t)(qtype >> 8);
	w[at++] = (uint8_t)qtype;
	w[at++] = 0;
	w[at++] = 1; /* IN */
	w[11] = 1;   /* ARCOUNT: OPT */
	uint8_t option[4 + 4 + 16] = { 0 };
	size_t option_len = 0;
	if (strcmp(ecs, "-") != 0) {
		char addr_text[64];
		const char *slash = strchr(ecs, '/');
		if (slash == NULL || (size_t)(slash - ecs) >= sizeof(addr_text)) {
			return false;
		}
		memcpy(addr_text, ecs, (size_t)(slash - ecs));
		addr_text[slash - ecs] = '\0';
		int bits = atoi(slash + 1);
		uint8_t addr[16];
		int family = strchr(addr_text, ':') != NULL ? 2 : 1;
		if (inet_pton(family == 1 ? AF_INET : AF_INET6, addr_text, addr) != 1 || bits < 0 ||
		    bits > (family == 1 ? 32 : 128)) {
			return false;
		}
		size_t bytes = (size_t)(bits + 7) / 8;
		option[0] = 0;
		option[1] = 8; /* ECS */
		option[2] = 0;
		option[3] = (uint8_t)(4 + bytes);
		option[4] = 0;
		option[5] = (uint8_t)family;
		option[6] = (uint8_t)bits;
		option[7] = 0;
		memcpy(option + 8, addr, bytes);
		option_len = 8 + bytes;
	}
	/* OPT: root owner, type 41, UDP size 1232, TTL 0, RDATA the option. */
	const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0 };
	memcpy(w + at, opt, sizeof(opt));
	at += sizeof(opt);
	w[at++] = (uint8_t)(option_len >> 8);
	w[at++] = (uint8_t)option_len;
	memcpy(w + at, option, option_len);
	at += option_len;
	q->len = (uint16_t)at;
	return true;
}

/* Skips a (possibly compressed) name; returns the offset after it or 0. */
static size_t skip_name(const uint8_t *p, size_t len, size_t at)
{
	while (at < len) {
		uint8_t c = p[at];
		if (c == 0) {
			return at + 1;
		}
		if ((c & 0xc0) == 0xc0) {
			return at + 2 <= len ? at + 2 : 0;
		}
		at += (size_t)c + 1;
	}
	return 0;
}

/* The first A/AAAA address of the answer section ("-" when none) and the
 * ECS SCOPE (-1 without the option). */
static void read_answer(const uint8_t *p, size_t len, char *addr, size_t room, int *scope)
{
	snprintf(addr, room, "-");
	*scope = -1;
	if (len < 12) {
		return;
	}
	unsigned an = (unsigned)(p[6] << 8 | p[7]);
	unsigned ns = (unsigned)(p[8] << 8 | p[9]);
	unsigned ar = (unsigned)(p[10] << 8 | p[11]);
	size_t at = skip_name(p, len, 12);
	if (at == 0 || at + 4 > len) {
		return;
	}
	at += 4;
	for (unsigned i = 0; i < an + ns + ar; i++) {
		at = skip_name(p, len, at);
		if (at == 0 || at + 10 > len) {
			return;
		}
		uint16_t type = (uint16_t)(p[at] << 8 | p[at + 1]);
		uint16_t rdlen = (uint16_t)(p[at + 8] << 8 | p[at + 9]);
		at += 10;
		if (at + rdlen > len) {
			return;
		}
		if (i < an && strcmp(addr, "-") == 0 && (type == 1 || type == 28)) {
			inet_ntop(type == 1 ? AF_INET : AF_INET6, p + at, addr, (socklen_t)room);
		}
		if (type == 41) {
			for (size_t o = at; o + 4 <= at + rdlen;) {
				uint16_t code = (uint16_t)(p[o] << 8 | p[o + 1]);
				uint16_t olen = (uint16_t)(p[o + 2] << 8 | p[o + 3]);
				if (code == 8 && olen >= 4 && o + 4 + olen <= at + rdlen) {
					*scope = p[o + 7];
				}
				o += 4 + (size_t)olen;
			}
		}
		at += rdlen;
	}
}

int main(int argc, char **argv)
{
	const char *server = "127.0.0.1", *file = NULL;
	int port = 0, seconds = 10, outstanding = 64, opt;
	long count = -1;
	bool check = false;
	while ((opt = getopt(argc, argv, "s:p:f:l:q:cn:")) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'f':
			file = optarg;
			break;
		case 'l':
			seconds = atoi(optarg);
			break;
		case 'q':
			outstanding = atoi(optarg);
			break;
		case 'c':
			check = true;
			break;
		case 'n':
			count = atol(optarg);
			break;
		default:
			return 2;
		}
	}
	if (port <= 0 || file == NULL || outstanding < 1 || outstanding > 4096) {
		fprintf(stderr,
		        "usage: ecsload -p PORT -f FILE [-s ADDR] [-l S] [-q N] [-c] [-n N]\n");
		return 2;
	}
	FILE *in = fopen(file, "r");
	if (in == NULL) {
		perror(file);
		return 2;
	}
	size_t cap = 1024, nq = 0;
	query_t *queries = malloc(cap * sizeof(*queries));
	char line[512];
	while (fgets(line, sizeof(line), in) != NULL && (count < 0 || (long)nq < count)) {
		char name[300], type[16], ecs[64], expected[64] = "";
		int fields = sscanf(line, "%299s %15s %63s %63s", name, type, ecs, expected);
		if (fields < 3) {
			continue;
		}
		if (nq == cap) {
			query_t *grown = realloc(queries, 2 * cap * sizeof(*queries));
			if (grown == NULL) {
				fprintf(stderr, "ecsload: out of memory\n");
				return 2;
			}
			queries = grown;
			cap *= 2;
		}
		if (queries == NULL || !build_query(&queries[nq], name, type, ecs)) {
			fprintf(stderr, "ecsload: bad line: %s", line);
			return 2;
		}
		snprintf(queries[nq].expected, sizeof(queries[nq].expected), "%s", expected);
		nq++;
	}
	fclose(in);
	if (nq == 0) {
		fprintf(stderr, "ecsload: no queries in %s\n", file);
		return 2;
	}

	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (fd < 0 || inet_pton(AF_INET, server, &to.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("ecsload: socket");
		return 2;
	}
	int buf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));

	if (check) {
		outstanding = 1;
	}
	slot_t *slots = calloc((size_t)outstanding, sizeof(*slots));
	unsigned long long sent = 0, completed = 0, lost = 0, noerror = 0, nxdomain = 0,
	                   mismatches = 0;
	size_t next = 0;
	long long start = now_ns(), end = start + (long long)seconds * 1000000000LL;
	long long last_sweep = start;
	bool done_sending = false;
	for (;;) {
		long long now = now_ns();
		if (!check && now >= end) {
			done_sending = true;
		}
		/* Fill free slots. */
		for (int s = 0; s < outstanding && !done_sending; s++) {
			if (slots[s].sent_ns != 0) {
				continue;
			}
			if (check && next == nq) {
				done_sending = true;
				break;
			}
			query_t *q = &queries[next % nq];
			q->wire[0] = (uint8_t)(s >> 8);
			q->wire[1] = (uint8_t)s;
			if (send(fd, q->wire, q->len, 0) < 0) {
				if (errno == EAGAIN || errno == ENOBUFS) {
					break;
				}
				perror("ecsload: send");
				return 2;
			}
			slots[s] = (slot_t){ .sent_ns = now, .query = next % nq };
			next++;
			sent++;
		}
		bool busy = false;
		for (int s = 0; s < outstanding; s++) {
			busy = busy || slots[s].sent_ns != 0;
		}
		if (done_sending && !busy) {
			break;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 10) > 0) {
			uint8_t answer[4096];
			ssize_t got;
			while ((got = recv(fd, answer, sizeof(answer), 0)) >= 12) {
				int s = answer[0] << 8 | answer[1];
				if (s >= outstanding || slots[s].sent_ns == 0) {
					continue; /* late answer of a query counted lost */
				}
				completed++;
				int rcode = answer[3] & 0x0f;
				noerror += rcode == 0;
				nxdomain += rcode == 3;
				const query_t *q = &queries[slots[s].query];
				if (q->expected[0] != '\0') {
					char addr[64];
					int scope;
					read_answer(answer, (size_t)got, addr, sizeof(addr),
					            &scope);
					if (strcmp(addr, q->expected) != 0) {
						mismatches++;
						if (check) {
							printf("mismatch: line %zu: got %s (scope "
							       "%d), "
							       "expected %s\n",
							       slots[s].query + 1, addr, scope,
							       q->expected);
						}
					}
				}
				slots[s].sent_ns = 0;
			}
		}
		now = now_ns();
		if (now - last_sweep > 100000000LL) {
			last_sweep = now;
			for (int s = 0; s < outstanding; s++) {
				if (slots[s].sent_ns != 0 && now - slots[s].sent_ns > TIMEOUT_NS) {
					slots[s].sent_ns = 0;
					lost++;
				}
			}
		}
	}
	double elapsed = (double)(now_ns() - start) / 1e9;
	printf("sent %llu completed %llu lost %llu seconds %.3f qps %.0f noerror %llu "
	       "nxdomain %llu mismatches %llu\n",
	       sent, completed, lost, elapsed, (double)completed / elapsed, noerror, nxdomain,
	       mismatches);
	free(slots);
	free(queries);
	close(fd);
	return check && (mismatches > 0 || lost > 0) ? 1 : 0;
}
