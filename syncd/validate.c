/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd validation (see validate.h). */

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "syncd/validate.h"

/*! \brief Whether c is an RFC 3986 unreserved character. */
static bool id_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

bool syncd_valid_id(const char *id, const char *what, char *err, size_t err_len)
{
	if (id == NULL || *id == '\0') {
		MECDNS_FAIL(err, err_len, "%s must not be empty", what);
	}
	size_t len = strlen(id);
	if (len > SYNCD_ID_MAX) {
		MECDNS_FAIL(err, err_len, "%s is longer than %d characters", what, SYNCD_ID_MAX);
	}
	for (size_t i = 0; i < len; i++) {
		if (!id_char_ok(id[i])) {
			MECDNS_FAIL(err, err_len, "%s may contain only letters, digits and '-._~'",
			            what);
		}
	}
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
		MECDNS_FAIL(err, err_len, "%s must not be '.' or '..'", what);
	}
	return true;
}

bool syncd_valid_fqdn(const char *name, const char *what, char *err, size_t err_len)
{
	char *canonical = mecdns_canonical_name(name);
	if (canonical == NULL) {
		MECDNS_FAIL(
		    err, err_len,
		    "%s is not a valid domain name (labels of 1-63 letters, digits, '-' or '_', "
		    "at most 253 characters)",
		    what);
	}
	free(canonical);
	return true;
}

bool syncd_parse_ip_type(const char *text, mecdns_ip_type_t *type, char *err, size_t err_len)
{
	if (text != NULL && strcmp(text, "IP_V4") == 0) {
		*type = MECDNS_IP_V4;
		return true;
	}
	if (text != NULL && strcmp(text, "IP_V6") == 0) {
		*type = MECDNS_IP_V6;
		return true;
	}
	MECDNS_FAIL(err, err_len, "ipAddressType must be \"IP_V4\" or \"IP_V6\"");
}

const char *syncd_ip_type_name(mecdns_ip_type_t type)
{
	return type == MECDNS_IP_V6 ? "IP_V6" : "IP_V4";
}

bool syncd_parse_ip(const char *text, mecdns_ip_type_t type, char *out, size_t out_len, char *err,
                    size_t err_len)
{
	unsigned char buf[sizeof(struct in6_addr)];
	int family = type == MECDNS_IP_V6 ? AF_INET6 : AF_INET;

	if (text == NULL || inet_pton(family, text, buf) != 1) {
		int other = family == AF_INET ? AF_INET6 : AF_INET;
		if (text != NULL && inet_pton(other, text, buf) == 1) {
			MECDNS_FAIL(err, err_len,
			            "ipAddress is an %s address but ipAddressType is %s",
			            other == AF_INET ? "IPv4" : "IPv6", syncd_ip_type_name(type));
		}
		MECDNS_FAIL(err, err_len, "ipAddress is not a valid %s address",
		            family == AF_INET ? "IPv4" : "IPv6");
	}
	if (inet_ntop(family, buf, out, out_len) == NULL) {
		MECDNS_FAIL(err, err_len, "ipAddress cannot be formatted");
	}
	return true;
}

bool syncd_parse_state(const char *text, bool *active, char *err, size_t err_len)
{
	if (text != NULL && strcmp(text, "ACTIVE") == 0) {
		*active = true;
		return true;
	}
	if (text != NULL && strcmp(text, "INACTIVE") == 0) {
		*active = false;
		return true;
	}
	MECDNS_FAIL(err, err_len, "state must be \"ACTIVE\" or \"INACTIVE\"");
}

const char *syncd_state_name(bool active)
{
	return active ? "ACTIVE" : "INACTIVE";
}

bool syncd_valid_ttl(double value, char *err, size_t err_len)
{
	if (!isfinite(value) || value < 0 || value > (double)SYNCD_TTL_MAX ||
	    floor(value) != value) {
		MECDNS_FAIL(err, err_len, "ttl must be an integer from 0 to %lld", SYNCD_TTL_MAX);
	}
	return true;
}
