/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  A DNS server as the tools take it: ADDR[@PORT], a numeric IPv4 or IPv6
 *  address and a port (53 unless given), as kdig's @SERVER. The one home
 *  of that syntax for mecdnsctl (--server) and mecdns-place measure. */

#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*! \brief ADDR[@PORT] into a socket address; false on anything else. */
static inline bool mecdns_server_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *at = strrchr(text, '@');
	size_t addr_len = at != NULL ? (size_t)(at - text) : strlen(text);
	if (addr_len == 0 || addr_len >= sizeof(addr)) {
		return false;
	}
	memcpy(addr, text, addr_len);
	addr[addr_len] = '\0';
	unsigned long port = 53;
	if (at != NULL) {
		char *end = NULL;
		port = strtoul(at + 1, &end, 10);
		if (at[1] < '0' || at[1] > '9' || *end != '\0' || port == 0 || port > 65535) {
			return false;
		}
	}
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof(*v4);
		return true;
	}
	if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return true;
	}
	return false;
}
