/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl's DNS questions (libknot packets over UDP, TCP when the
 *  answer is truncated): the module's generation probe and lookup's query
 *  as a device would send it (with an ECS option for --client). */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "common/server_addr.h"
#include "tools/ctl/ctl.h"

#define DNS_TIMEOUT_MS 2000

/*! \brief Reads exactly len bytes within the timeout. */
static bool read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, DNS_TIMEOUT_MS) <= 0) {
			return false;
		}
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0) {
			return false;
		}
		got += (size_t)n;
	}
	return true;
}

/*!
 * \brief Sends query, receives the answer into buf (65535 bytes).
 * \return Its length, or 0 with a message in err.
 */
static size_t exchange(const char *server, const knot_pkt_t *query, bool tcp, uint8_t *buf,
                       char *err, size_t err_len)
{
	struct sockaddr_storage ss;
	socklen_t ss_len;
	if (!mecdns_server_addr(server, &ss, &ss_len)) {
		snprintf(err, err_len, "DNS server \"%s\" is not ADDR[@PORT]", server);
		return 0;
	}
	int fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, ss_len) != 0) {
		snprintf(err, err_len, "cannot reach the DNS server %s: %s", server,
		         strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return 0;
	}
	size_t len = 0;
	if (tcp) {
		uint8_t prefix[2] = { (uint8_t)(query->size >> 8), (uint8_t)query->size };
		uint8_t head[2];
		if (write(fd, prefix, 2) == 2 &&
		    write(fd, query->wire, query->size) == (ssize_t)query->size &&
		    read_all(fd, head, 2)) {
			len = (size_t)head[0] << 8 | head[1];
			if (!read_all(fd, buf, len)) {
				len = 0;
			}
		}
	} else if (send(fd, query->wire, query->size, 0) == (ssize_t)query->size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n = poll(&p, 1, DNS_TIMEOUT_MS) > 0 ? recv(fd, buf, 65535, 0) : -1;
		len = n > 0 ? (size_t)n : 0;
	}
	close(fd);
	if (len == 0) {
		snprintf(err, err_len, "no answer from the DNS server %s over %s within %d ms",
		         server, tcp ? "TCP" : "UDP", DNS_TIMEOUT_MS);
	}
	return len;
}

/*! \brief A query; with client (ADDR[/LEN]) an ECS option. NULL + err. */
static knot_pkt_t *make_query(const char *name, uint16_t qclass, uint16_t qtype, const char *client,
                              char *err, size_t err_len)
{
	knot_dname_storage_t qname;
	if (knot_dname_from_str(qname, name, sizeof(qname)) == NULL) {
		snprintf(err, err_len, "%s is not a domain name", name);
		return NULL;
	}
	knot_dname_to_lower(qname);
	knot_pkt_t *pkt = knot_pkt_new(NULL, KNOT_WIRE_MAX_PKTSIZE, NULL);
	if (pkt == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	knot_wire_set_id(pkt->wire, (uint16_t)(now.tv_nsec ^ getpid()));
	int ret = knot_pkt_put_question(pkt, qname, qclass, qtype);
	knot_rrset_t opt;
	if (ret == KNOT_EOK) {
		ret = knot_pkt_begin(pkt, KNOT_ADDITIONAL);
	}
	if (ret == KNOT_EOK) {
		ret = knot_edns_init(&opt, 1232, 0, 0, NULL);
	}
	if (ret == KNOT_EOK && client != NULL) {
		char addr[INET6_ADDRSTRLEN + 8];
		snprintf(addr, sizeof(addr), "%s", client);
		char *slash = strchr(addr, '/');
		if (slash != NULL) {
			*slash = '\0';
		}
		struct sockaddr_storage ss;
		socklen_t ss_len;
		knot_edns_client_subnet_t ecs = { 0 };
		uint8_t data[KNOT_EDNS_CLIENT_SUBNET_ADDRESS_MAXLEN + 4];
		ret = mecdns_server_addr(addr, &ss, &ss_len)
		          ? knot_edns_client_subnet_set_addr(&ecs, &ss)
		          : KNOT_EINVAL;
		if (ret == KNOT_EOK && slash != NULL) {
			char *end = NULL;
			long bits = strtol(slash + 1, &end, 10);
			ret = *end == '\0' && bits >= 0 && bits <= ecs.source_len ? KNOT_EOK
			                                                          : KNOT_EINVAL;
			ecs.source_len = (uint8_t)bits;
		}
		uint16_t size = ret == KNOT_EOK ? knot_edns_client_subnet_size(&ecs) : 0;
		if (ret == KNOT_EOK) {
			ret = knot_edns_client_subnet_write(data, size, &ecs);
		}
		if (ret == KNOT_EOK) {
			ret = knot_edns_add_option(&opt, KNOT_EDNS_OPTION_CLIENT_SUBNET, size, data,
			                           NULL);
		}
		if (ret != KNOT_EOK) {
			snprintf(err, err_len, "client %s is not ADDR or ADDR/LEN", client);
			knot_rrset_clear(&opt, NULL);
			knot_pkt_free(pkt);
			return NULL;
		}
	}
	if (ret == KNOT_EOK) {
		ret = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, KNOT_PF_FREE);
	}
	if (ret != KNOT_EOK) {
		snprintf(err, err_len, "cannot build the query: %s", knot_strerror(ret));
		knot_pkt_free(pkt);
		return NULL;
	}
	return pkt;
}

/*! \brief Asks and parses; UDP first, TCP when truncated. NULL + err. */
static knot_pkt_t *ask(const char *server, const knot_pkt_t *query, char *err, size_t err_len)
{
	uint8_t *buf = malloc(65535);
	if (buf == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	size_t len = exchange(server, query, false, buf, err, err_len);
	if (len >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_tc(buf)) {
		len = exchange(server, query, true, buf, err, err_len);
	}
	knot_pkt_t *answer = len > 0 ? knot_pkt_new(buf, len, NULL) : NULL;
	if (answer != NULL && (knot_pkt_parse(answer, 0) != KNOT_EOK ||
	                       knot_wire_get_id(buf) != knot_wire_get_id(query->wire))) {
		snprintf(err, err_len, "the DNS server %s sent a malformed answer", server);
		knot_pkt_free(answer);
		answer = NULL;
	}
	if (answer == NULL) {
		free(buf);
		return NULL;
	}
	/* The packet does not own buf: it is kept until knot_pkt_free
	 * through the caller's free of answer->wire. */
	return answer;
}

static void drop(knot_pkt_t *answer)
{
	if (answer != NULL) {
		uint8_t *wire = answer->wire;
		knot_pkt_free(answer);
		free(wire);
	}
}

int ctl_dns_generation(const char *server, uint64_t *generation, char *err, size_t err_len)
{
	knot_pkt_t *query =
	    make_query("generation.mecdns.", KNOT_CLASS_CH, KNOT_RRTYPE_TXT, NULL, err, err_len);
	knot_pkt_t *answer = query != NULL ? ask(server, query, err, err_len) : NULL;
	knot_pkt_free(query);
	if (answer == NULL) {
		return CTL_UNREACHABLE;
	}
	const knot_pktsection_t *section = knot_pkt_section(answer, KNOT_ANSWER);
	int ret = CTL_UNREACHABLE;
	for (uint16_t i = 0; i < section->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(section, i);
		if (rr->type == KNOT_RRTYPE_TXT && rr->rrs.count > 0) {
			const knot_rdata_t *rd = rr->rrs.rdata;
			uint8_t text_len = rd->len > 0 ? rd->data[0] : 0;
			if (text_len < rd->len) {
				char text[256];
				memcpy(text, rd->data + 1, text_len);
				text[text_len] = '\0';
				char *end = NULL;
				*generation = strtoull(text, &end, 10);
				ret = end != text && *end == '\0' ? CTL_OK : CTL_UNREACHABLE;
			}
		}
	}
	if (ret != CTL_OK) {
		const knot_lookup_t *rcode =
		    knot_lookup_by_id(knot_rcode_names, knot_wire_get_rcode(answer->wire));
		snprintf(err, err_len,
		         "%s answers no generation (%s): is mod-mecdns loaded as a global module?",
		         server, rcode != NULL ? rcode->name : "?");
	}
	drop(answer);
	return ret;
}

int ctl_dns_query(const char *server, const char *name, const char *type, const char *client,
                  cJSON *json, char *err, size_t err_len)
{
	uint16_t qtype = 0;
	if (knot_rrtype_from_string(type, &qtype) != 0) {
		snprintf(err, err_len, "%s is not a record type", type);
		return CTL_USAGE;
	}
	knot_pkt_t *query = make_query(name, KNOT_CLASS_IN, qtype, client, err, err_len);
	knot_pkt_t *answer = query != NULL ? ask(server, query, err, err_len) : NULL;
	knot_pkt_free(query);
	if (answer == NULL) {
		return CTL_UNREACHABLE;
	}
	const knot_lookup_t *rcode =
	    knot_lookup_by_id(knot_rcode_names, knot_pkt_ext_rcode(answer));
	cJSON_AddStringToObject(json, "rcode", rcode != NULL ? rcode->name : "?");
	cJSON_AddBoolToObject(json, "authoritative", knot_wire_get_aa(answer->wire));
	char records[4096] = "";
	const knot_pktsection_t *section = knot_pkt_section(answer, KNOT_ANSWER);
	cJSON *array = cJSON_AddArrayToObject(json, "records");
	for (uint16_t i = 0; i < section->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(section, i);
		char line[1024];
		for (uint16_t r = 0; r < rr->rrs.count; r++) {
			char data[900];
			if (knot_rrset_txt_dump_data(rr, r, data, sizeof(data),
			                             &KNOT_DUMP_STYLE_DEFAULT) < 0) {
				snprintf(data, sizeof(data), "?");
			}
			char rtype[32];
			knot_rrtype_to_string(rr->type, rtype, sizeof(rtype));
			snprintf(line, sizeof(line), "%s %s", rtype, data);
			cJSON_AddItemToArray(array, cJSON_CreateString(line));
			size_t len = strlen(records);
			snprintf(records + len, sizeof(records) - len, "%s%s", len > 0 ? ", " : "",
			         line);
		}
	}
	cJSON_AddStringToObject(json, "answer", records[0] != '\0' ? records : "no records");
	uint8_t *option =
	    answer->opt_rr != NULL
	        ? knot_edns_get_option(answer->opt_rr, KNOT_EDNS_OPTION_CLIENT_SUBNET, NULL)
	        : NULL;
	knot_edns_client_subnet_t ecs;
	if (option != NULL &&
	    knot_edns_client_subnet_parse(&ecs, knot_edns_opt_get_data(option),
	                                  knot_edns_opt_get_length(option)) == KNOT_EOK) {
		char scope[8];
		snprintf(scope, sizeof(scope), "/%u", ecs.scope_len);
		cJSON_AddStringToObject(json, "scope", scope);
	}
	drop(answer);
	return CTL_OK;
}
