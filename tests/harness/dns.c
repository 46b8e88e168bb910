/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: DNS queries with libknot. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tests/harness/dns.h"
#include "tests/harness/harness.h"

/*! Largest DNS message (TCP). */
#define DNS_MAX_MESSAGE 65535
/*! Pause between two queries of dns_poll(). */
#define DNS_POLL_PAUSE_MS 20

/*! \brief A random non-zero query id. */
static uint16_t random_id(void)
{
	uint16_t id = 0;
	while (id == 0) {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
			id = (uint16_t)(harness_now_ms() ^ getpid());
		}
	}
	return id;
}

/*! \brief Parses "ADDRESS/LENGTH" into an ECS option's content. */
static int parse_ecs(const char *text, knot_edns_client_subnet_t *ecs)
{
	char address[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	if (slash == NULL || (size_t)(slash - text) >= sizeof(address)) {
		return KNOT_EINVAL;
	}
	memcpy(address, text, (size_t)(slash - text));
	address[slash - text] = '\0';
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, address, &in->sin_addr) == 1) {
		ss.ss_family = AF_INET;
	} else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
	} else {
		return KNOT_EINVAL;
	}
	memset(ecs, 0, sizeof(*ecs));
	int ret = knot_edns_client_subnet_set_addr(ecs, &ss);
	ecs->source_len = (uint8_t)atoi(slash + 1);
	return ret;
}

/*! \brief Adds an ECS option (text "ADDRESS/LENGTH") to an OPT record. */
static int add_ecs(knot_rrset_t *opt, const char *text)
{
	knot_edns_client_subnet_t ecs;
	int ret = parse_ecs(text, &ecs);
	if (ret != KNOT_EOK) {
		fprintf(stderr, "dns: bad ECS \"%s\"\n", text);
		return ret;
	}
	uint8_t data[KNOT_EDNS_CLIENT_SUBNET_ADDRESS_MAXLEN + 4];
	uint16_t size = knot_edns_client_subnet_size(&ecs);
	ret = knot_edns_client_subnet_write(data, sizeof(data), &ecs);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return knot_edns_add_option(opt, KNOT_EDNS_OPTION_CLIENT_SUBNET, size, data, NULL);
}

int dns_ecs_scope(const knot_pkt_t *answer, const char *ecs)
{
	if (answer == NULL || answer->opt_rr == NULL) {
		return -1;
	}
	uint8_t *option =
	    knot_edns_get_option(answer->opt_rr, KNOT_EDNS_OPTION_CLIENT_SUBNET, NULL);
	if (option == NULL) {
		return -1;
	}
	knot_edns_client_subnet_t got, sent;
	if (knot_edns_client_subnet_parse(&got, knot_edns_opt_get_data(option),
	                                  knot_edns_opt_get_length(option)) != KNOT_EOK ||
	    ecs == NULL || parse_ecs(ecs, &sent) != KNOT_EOK || got.family != sent.family ||
	    got.source_len != sent.source_len) {
		return -2;
	}
	return got.scope_len;
}

/*! \brief Builds the query message; NULL on error. */
static knot_pkt_t *build_query(const char *name, uint16_t type, const dns_opts_t *opts, uint16_t id)
{
	knot_dname_t *qname = knot_dname_from_str_alloc(name);
	if (qname == NULL) {
		fprintf(stderr, "dns: invalid query name '%s'\n", name);
		return NULL;
	}
	knot_pkt_t *query = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (query == NULL) {
		knot_dname_free(qname, NULL);
		return NULL;
	}
	knot_wire_set_id(query->wire, id);
	if (opts->rd) {
		knot_wire_set_rd(query->wire);
	}
	knot_wire_set_opcode(query->wire, opts->opcode);
	uint16_t qclass = opts->qclass != 0 ? opts->qclass : KNOT_CLASS_IN;
	int ret = knot_pkt_put_question(query, qname, qclass, type);
	knot_dname_free(qname, NULL);
	if (ret == KNOT_EOK && (opts->edns_payload != 0 || opts->ecs != NULL)) {
		knot_rrset_t opt;
		ret = knot_edns_init(&opt, opts->edns_payload != 0 ? opts->edns_payload : 1232, 0,
		                     0, NULL);
		if (ret == KNOT_EOK && opts->ecs != NULL) {
			ret = add_ecs(&opt, opts->ecs);
		}
		if (ret == KNOT_EOK) {
			ret = knot_pkt_begin(query, KNOT_ADDITIONAL);
		}
		if (ret == KNOT_EOK) {
			ret = knot_pkt_put(query, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE);
			if (ret != KNOT_EOK) {
				knot_rrset_clear(&opt, NULL);
			}
		}
	}
	if (ret != KNOT_EOK) {
		fprintf(stderr, "dns: cannot build query %s: %s\n", name, knot_strerror(ret));
		knot_pkt_free(query);
		return NULL;
	}
	return query;
}

/*! \brief Parses a received message into a packet that owns its wire. */
static knot_pkt_t *parse_answer(const uint8_t *wire, size_t len)
{
	knot_pkt_t *answer = knot_pkt_new(NULL, DNS_MAX_MESSAGE, NULL);
	if (answer == NULL) {
		return NULL;
	}
	memcpy(answer->wire, wire, len);
	answer->size = len;
	int ret = knot_pkt_parse(answer, 0);
	if (ret != KNOT_EOK) {
		fprintf(stderr, "dns: unparsable answer (%zu bytes): %s\n", len,
		        knot_strerror(ret));
		knot_pkt_free(answer);
		return NULL;
	}
	return answer;
}

/*! \brief A socket of the given type connected to 127.0.0.1:port (from
 *         source, a loopback address, unless NULL), or -1. */
static int connect_loopback(int port, int type, const char *source)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -1;
	}
	if (source != NULL) {
		struct sockaddr_in local = { .sin_family = AF_INET };
		if (inet_pton(AF_INET, source, &local.sin_addr) != 1 ||
		    (ntohl(local.sin_addr.s_addr) >> 24) != 127 ||
		    bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
			fprintf(stderr, "dns: cannot send from %s\n", source);
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*! \brief Waits until fd is readable before the deadline; true if it is. */
static bool wait_readable(int fd, long long deadline)
{
	for (;;) {
		long long left = deadline - harness_now_ms();
		if (left <= 0) {
			return false;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ret = poll(&pfd, 1, (int)left);
		if (ret > 0) {
			return true;
		}
		if (ret < 0 && errno != EINTR) {
			return false;
		}
	}
}

/*! \brief Reads exactly len bytes from a stream before the deadline. */
static bool read_full(int fd, uint8_t *buf, size_t len, long long deadline)
{
	size_t done = 0;
	while (done < len) {
		if (!wait_readable(fd, deadline)) {
			return false;
		}
		ssize_t n = recv(fd, buf + done, len - done, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

/*! \brief Sends one message with its 2-byte length prefix. */
static bool tcp_send(int fd, const uint8_t *wire, size_t len)
{
	uint8_t prefix[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct iovec iov[2] = { { prefix, 2 }, { (void *)wire, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
	return sent == (ssize_t)(len + 2);
}

/*! \brief Receives one length-prefixed message; its length or -1. */
static ssize_t tcp_recv(int fd, uint8_t *buf, long long deadline)
{
	uint8_t prefix[2];
	if (!read_full(fd, prefix, 2, deadline)) {
		return -1;
	}
	size_t len = ((size_t)prefix[0] << 8) | prefix[1];
	if (!read_full(fd, buf, len, deadline)) {
		return -1;
	}
	return (ssize_t)len;
}

/*! \brief Sends a query and receives the answer with the same id. */
static ssize_t exchange(int port, const knot_pkt_t *query, bool tcp, const char *source,
                        uint8_t *buf, long long deadline)
{
	int fd = connect_loopback(port, tcp ? SOCK_STREAM : SOCK_DGRAM, source);
	if (fd < 0) {
		return -1;
	}
	uint16_t id = knot_wire_get_id(query->wire);
	ssize_t len = -1;
	if (tcp) {
		if (tcp_send(fd, query->wire, query->size)) {
			len = tcp_recv(fd, buf, deadline);
		}
	} else if (send(fd, query->wire, query->size, 0) == (ssize_t)query->size) {
		/* A stray datagram with another id is not our answer: keep waiting. */
		while (wait_readable(fd, deadline)) {
			ssize_t n = recv(fd, buf, DNS_MAX_MESSAGE, 0);
			if (n >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_id(buf) == id) {
				len = n;
				break;
			}
			if (n < 0 && errno != EINTR) {
				break; /* ICMP port unreachable: nobody listens. */
			}
		}
	}
	close(fd);
	if (len >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_id(buf) != id) {
		fprintf(stderr, "dns: answer id %u does not match query id %u\n",
		        knot_wire_get_id(buf), id);
		len = -1;
	}
	return len;
}

knot_pkt_t *dns_query(int port, const char *name, uint16_t type, const dns_opts_t *opts)
{
	dns_opts_t defaults = { 0 };
	if (opts == NULL) {
		opts = &defaults;
	}
	knot_pkt_t *query = build_query(name, type, opts, opts->id != 0 ? opts->id : random_id());
	if (query == NULL) {
		return NULL;
	}
	uint8_t *buf = malloc(DNS_MAX_MESSAGE);
	if (buf == NULL) {
		knot_pkt_free(query);
		return NULL;
	}
	int timeout = opts->timeout_ms > 0 ? opts->timeout_ms : 2000;
	ssize_t len =
	    exchange(port, query, opts->tcp, opts->source, buf, harness_now_ms() + timeout);
	knot_pkt_t *answer = len > 0 ? parse_answer(buf, (size_t)len) : NULL;
	free(buf);
	knot_pkt_free(query);
	return answer;
}

knot_pkt_t *dns_poll(int port, const char *name, uint16_t type, const dns_opts_t *opts,
                     dns_match_fn match, const void *ctx, int deadline_ms, bool *matched)
{
	long long deadline = harness_now_ms() + deadline_ms;
	knot_pkt_t *answer = NULL;
	*matched = false;
	for (;;) {
		knot_pkt_free(answer);
		answer = dns_query(port, name, type, opts);
		if (match(answer, ctx)) {
			*matched = true;
			return answer;
		}
		if (harness_now_ms() >= deadline) {
			return answer;
		}
		harness_sleep_ms(DNS_POLL_PAUSE_MS);
	}
}

bool dns_match_address(const knot_pkt_t *answer, const void *ctx)
{
	return answer != NULL && dns_has_address(answer, ctx);
}

bool dns_match_no_address(const knot_pkt_t *answer, const void *ctx)
{
	return answer != NULL && !dns_has_address(answer, ctx);
}

bool dns_match_rcode(const knot_pkt_t *answer, const void *ctx)
{
	return answer != NULL && dns_rcode(answer) == *(const int *)ctx;
}

bool dns_match_txt(const knot_pkt_t *answer, const void *ctx)
{
	if (answer == NULL) {
		return false;
	}
	char *strings[1] = { NULL };
	size_t count = dns_txt_strings(answer, strings, 1);
	bool equal = count >= 1 && strcmp(strings[0], ctx) == 0;
	free(strings[0]);
	return equal;
}

/*! \brief Appends the records of a message's answer section to text; counts
 *         SOA records seen. */
static int append_records(const knot_pkt_t *msg, char **text, size_t *len, int *soa_seen)
{
	const knot_pktsection_t *answer = knot_pkt_section(msg, KNOT_ANSWER);
	for (uint16_t i = 0; i < answer->count; i++) {
		const knot_rrset_t *rrset = knot_pkt_rr(answer, i);
		if (rrset->type == KNOT_RRTYPE_SOA) {
			(*soa_seen)++;
		}
		char *dump = dns_rrset_text(rrset);
		if (dump == NULL) {
			return -1;
		}
		size_t add = strlen(dump);
		char *bigger = realloc(*text, *len + add + 1);
		if (bigger == NULL) {
			free(dump);
			return -1;
		}
		memcpy(bigger + *len, dump, add + 1);
		*text = bigger;
		*len += add;
		free(dump);
	}
	return 0;
}

char *dns_axfr(int port, const char *zone, int timeout_ms)
{
	dns_opts_t opts = { .tcp = true };
	knot_pkt_t *query = build_query(zone, KNOT_RRTYPE_AXFR, &opts, random_id());
	int fd = query != NULL ? connect_loopback(port, SOCK_STREAM, NULL) : -1;
	uint8_t *buf = malloc(DNS_MAX_MESSAGE);
	char *text = calloc(1, 1);
	bool ok = fd >= 0 && buf != NULL && text != NULL && tcp_send(fd, query->wire, query->size);
	long long deadline = harness_now_ms() + timeout_ms;
	size_t len = 0;
	int soa_seen = 0;
	while (ok && soa_seen < 2) {
		ssize_t n = tcp_recv(fd, buf, deadline);
		knot_pkt_t *msg = n > 0 ? parse_answer(buf, (size_t)n) : NULL;
		ok = msg != NULL && dns_rcode(msg) == KNOT_RCODE_NOERROR &&
		     knot_pkt_section(msg, KNOT_ANSWER)->count > 0 &&
		     append_records(msg, &text, &len, &soa_seen) == 0;
		if (msg != NULL && !ok) {
			fprintf(stderr, "dns: AXFR %s failed: %s\n", zone,
			        knot_pkt_ext_rcode_name(msg));
		}
		knot_pkt_free(msg);
	}
	if (fd >= 0) {
		close(fd);
	}
	free(buf);
	knot_pkt_free(query);
	if (!ok) {
		free(text);
		return NULL;
	}
	return text;
}

int dns_rcode(const knot_pkt_t *pkt)
{
	return knot_pkt_ext_rcode(pkt);
}

bool dns_aa(const knot_pkt_t *pkt)
{
	return knot_wire_get_aa(pkt->wire);
}

bool dns_tc(const knot_pkt_t *pkt)
{
	return knot_wire_get_tc(pkt->wire);
}

const knot_rrset_t *dns_rrset(const knot_pkt_t *pkt, knot_section_t section, uint16_t type)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, section);
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rrset = knot_pkt_rr(sec, i);
		if (rrset->type == type) {
			return rrset;
		}
	}
	return NULL;
}

size_t dns_count(const knot_pkt_t *pkt, knot_section_t section, uint16_t type)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, section);
	size_t count = 0;
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rrset = knot_pkt_rr(sec, i);
		if (rrset->type == type) {
			count += rrset->rrs.count;
		}
	}
	return count;
}

size_t dns_section_records(const knot_pkt_t *pkt, knot_section_t section)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, section);
	size_t count = 0;
	for (uint16_t i = 0; i < sec->count; i++) {
		count += knot_pkt_rr(sec, i)->rrs.count;
	}
	return count;
}

const knot_rrset_t *dns_authority_soa(const knot_pkt_t *pkt)
{
	return dns_rrset(pkt, KNOT_AUTHORITY, KNOT_RRTYPE_SOA);
}

size_t dns_addresses(const knot_pkt_t *pkt, char (*out)[DNS_ADDR_LEN], size_t max)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, KNOT_ANSWER);
	size_t found = 0;
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rrset = knot_pkt_rr(sec, i);
		int family = rrset->type == KNOT_RRTYPE_A      ? AF_INET
		             : rrset->type == KNOT_RRTYPE_AAAA ? AF_INET6
		                                               : AF_UNSPEC;
		if (family == AF_UNSPEC) {
			continue;
		}
		for (uint16_t j = 0; j < rrset->rrs.count; j++) {
			const knot_rdata_t *rd = knot_rdataset_at(&rrset->rrs, j);
			size_t want = family == AF_INET ? 4 : 16;
			if (found < max) {
				if (rd->len != want ||
				    inet_ntop(family, rd->data, out[found], DNS_ADDR_LEN) == NULL) {
					snprintf(out[found], DNS_ADDR_LEN, "(bad rdata)");
				}
			}
			found++;
		}
	}
	return found;
}

bool dns_has_address(const knot_pkt_t *pkt, const char *addr)
{
	char list[256][DNS_ADDR_LEN];
	size_t count = dns_addresses(pkt, list, 256);
	for (size_t i = 0; i < count && i < 256; i++) {
		if (strcmp(list[i], addr) == 0) {
			return true;
		}
	}
	return false;
}

size_t dns_txt_strings(const knot_pkt_t *pkt, char **out, size_t max)
{
	const knot_rrset_t *txt = dns_rrset(pkt, KNOT_ANSWER, KNOT_RRTYPE_TXT);
	if (txt == NULL || txt->rrs.count == 0) {
		return 0;
	}
	const knot_rdata_t *rd = knot_rdataset_at(&txt->rrs, 0);
	size_t count = 0;
	for (size_t pos = 0; pos < rd->len;) {
		size_t len = rd->data[pos];
		if (pos + 1 + len > rd->len) {
			break; /* Malformed: stop at what is whole. */
		}
		if (count < max) {
			out[count] = strndup((const char *)rd->data + pos + 1, len);
		}
		count++;
		pos += 1 + len;
	}
	return count;
}

char *dns_rrset_text(const knot_rrset_t *rrset)
{
	size_t size = 1024;
	char *text = malloc(size);
	if (text == NULL) {
		return NULL;
	}
	if (knot_rrset_txt_dump(rrset, &text, &size, &KNOT_DUMP_STYLE_DEFAULT) < 0) {
		free(text);
		return NULL;
	}
	return text;
}

char *dns_wire_owner(const knot_pkt_t *pkt, knot_section_t section, uint16_t type)
{
	const knot_pktsection_t *sec = knot_pkt_section(pkt, section);
	for (uint16_t i = 0; i < sec->count; i++) {
		if (knot_pkt_rr(sec, i)->type != type) {
			continue;
		}
		knot_dname_storage_t owner;
		const uint8_t *wire = pkt->wire + knot_pkt_rr_offset(sec, i);
		if (knot_dname_unpack(owner, wire, sizeof(owner), pkt->wire) <= 0) {
			return NULL;
		}
		return knot_dname_to_str_alloc(owner);
	}
	return NULL;
}

/*! \brief Appends one formatted piece to a growing string. */
static void append_text(char **text, const char *piece)
{
	char *joined = harness_strdupf("%s%s", *text, piece);
	free(*text);
	*text = joined;
}

char *dns_pkt_text(const knot_pkt_t *pkt)
{
	if (pkt == NULL) {
		return harness_strdupf("(no answer)");
	}
	char *text = harness_strdupf(
	    ";; %s, id %u, flags:%s%s%s%s, %u bytes\n", knot_pkt_ext_rcode_name(pkt),
	    knot_wire_get_id(pkt->wire), knot_wire_get_qr(pkt->wire) ? " qr" : "",
	    knot_wire_get_aa(pkt->wire) ? " aa" : "", knot_wire_get_tc(pkt->wire) ? " tc" : "",
	    knot_wire_get_rd(pkt->wire) ? " rd" : "", (unsigned)pkt->size);
	static const char *names[] = { ";; ANSWER\n", ";; AUTHORITY\n", ";; ADDITIONAL\n" };
	for (knot_section_t s = KNOT_ANSWER; s <= KNOT_ADDITIONAL; s++) {
		const knot_pktsection_t *sec = knot_pkt_section(pkt, s);
		if (sec->count == 0) {
			continue;
		}
		append_text(&text, names[s - KNOT_ANSWER]);
		for (uint16_t i = 0; i < sec->count; i++) {
			const knot_rrset_t *rrset = knot_pkt_rr(sec, i);
			if (rrset->type == KNOT_RRTYPE_OPT) {
				char *opt = harness_strdupf(";; EDNS payload %u\n",
				                            knot_edns_get_payload(rrset));
				append_text(&text, opt);
				free(opt);
				continue;
			}
			char *dump = dns_rrset_text(rrset);
			append_text(&text, dump != NULL ? dump : "(undumpable rrset)\n");
			free(dump);
		}
	}
	return text;
}
