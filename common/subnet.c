/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns: client subnets (see subnet.h). */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/subnet.h"

/*! Longest subnet text: an IPv6 address, '/', three digits. */
#define SUBNET_TEXT_MAX (INET6_ADDRSTRLEN + 4)

bool mecdns_subnet_parse(const char *text, mecdns_subnet_t *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	const char *slash = text != NULL ? strchr(text, '/') : NULL;
	if (slash == NULL) {
		snprintf(err, err_len, "\"%s\" is not ADDRESS/LENGTH", text != NULL ? text : "");
		return false;
	}
	char address[INET6_ADDRSTRLEN];
	size_t address_len = (size_t)(slash - text);
	if (address_len == 0 || address_len >= sizeof(address)) {
		snprintf(err, err_len, "\"%s\" is not ADDRESS/LENGTH", text);
		return false;
	}
	memcpy(address, text, address_len);
	address[address_len] = '\0';
	if (inet_pton(AF_INET, address, out->addr) == 1) {
		out->family = 4;
	} else if (inet_pton(AF_INET6, address, out->addr) == 1) {
		out->family = 6;
	} else {
		snprintf(err, err_len, "\"%s\": %s is not an IPv4 or IPv6 address", text, address);
		return false;
	}
	const char *digits = slash + 1;
	size_t digit_count = strspn(digits, "0123456789");
	unsigned max = out->family == 4 ? 32 : 128;
	if (digit_count == 0 || digits[digit_count] != '\0' || digit_count > 3 ||
	    (digit_count > 1 && digits[0] == '0')) {
		snprintf(err, err_len, "\"%s\": the prefix length must be a number 0..%u", text,
		         max);
		return false;
	}
	unsigned length = (unsigned)strtoul(digits, NULL, 10);
	if (length > max) {
		snprintf(err, err_len, "\"%s\": /%u is longer than the %u bits of an IPv%d address",
		         text, length, max, out->family);
		return false;
	}
	out->length = (uint8_t)length;
	mecdns_subnet_t masked = *out;
	size_t bytes = out->family == 4 ? 4 : 16;
	for (size_t i = 0; i < bytes; i++) {
		unsigned bit = (unsigned)i * 8;
		if (bit >= length) {
			masked.addr[i] = 0;
		} else if (length - bit < 8) {
			masked.addr[i] &= (uint8_t)(0xff << (8 - (length - bit)));
		}
	}
	if (memcmp(masked.addr, out->addr, bytes) != 0) {
		char canonical[SUBNET_TEXT_MAX];
		mecdns_subnet_format(&masked, canonical, sizeof(canonical));
		snprintf(err, err_len, "\"%s\" has host bits set (the subnet is %s)", text,
		         canonical);
		return false;
	}
	return true;
}

void mecdns_subnet_format(const mecdns_subnet_t *subnet, char *buf, size_t len)
{
	char address[INET6_ADDRSTRLEN] = "";
	inet_ntop(subnet->family == 4 ? AF_INET : AF_INET6, subnet->addr, address, sizeof(address));
	snprintf(buf, len, "%s/%u", address, subnet->length);
}

static int compare_subnets(const void *a, const void *b)
{
	const mecdns_subnet_t *x = a, *y = b;
	if (x->family != y->family) {
		return x->family < y->family ? -1 : 1;
	}
	int cmp = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (cmp != 0) {
		return cmp;
	}
	return (int)x->length - (int)y->length;
}

char *mecdns_subnets_canonical(const char *const *texts, size_t count, char *err, size_t err_len)
{
	if (count == 0) {
		snprintf(err, err_len, "no subnet given (leave the scope out for every client)");
		return NULL;
	}
	if (count > MECDNS_SUBNETS_MAX) {
		snprintf(err, err_len, "%zu subnets, at most %d per scope", count,
		         MECDNS_SUBNETS_MAX);
		return NULL;
	}
	mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
	for (size_t i = 0; i < count; i++) {
		char why[256];
		if (!mecdns_subnet_parse(texts[i], &subnets[i], why, sizeof(why))) {
			snprintf(err, err_len, "[%zu] %s", i, why);
			return NULL;
		}
		for (size_t j = 0; j < i; j++) {
			if (compare_subnets(&subnets[i], &subnets[j]) == 0) {
				snprintf(err, err_len, "[%zu] \"%s\" is given twice", i, texts[i]);
				return NULL;
			}
		}
	}
	qsort(subnets, count, sizeof(subnets[0]), compare_subnets);
	char *out = malloc(count * (SUBNET_TEXT_MAX + 1));
	if (out == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	size_t used = 0;
	for (size_t i = 0; i < count; i++) {
		char one[SUBNET_TEXT_MAX];
		mecdns_subnet_format(&subnets[i], one, sizeof(one));
		used += (size_t)sprintf(out + used, "%s%s", i > 0 ? "," : "", one);
	}
	return out;
}

char *mecdns_subnets_canonical_text(const char *text, char *err, size_t err_len)
{
	if (text == NULL || *text == '\0') {
		return mecdns_subnets_canonical(NULL, 0, err, err_len);
	}
	char *copy = strdup(text);
	if (copy == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	const char *texts[MECDNS_SUBNETS_MAX + 1];
	size_t count = 0;
	char *p = copy;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma != NULL) {
			*comma = '\0';
		}
		if (count <= MECDNS_SUBNETS_MAX) {
			texts[count] = p;
		}
		count++;
		if (comma == NULL) {
			break;
		}
		p = comma + 1;
	}
	char *canonical = mecdns_subnets_canonical(texts, count, err, err_len);
	free(copy);
	return canonical;
}

size_t mecdns_subnets_parse_list(const char *text, mecdns_subnet_t *out)
{
	if (text == NULL || *text == '\0') {
		return 0;
	}
	size_t count = 0;
	const char *p = text;
	while (count < MECDNS_SUBNETS_MAX) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		char one[SUBNET_TEXT_MAX];
		char back[SUBNET_TEXT_MAX];
		char why[128];
		if (len == 0 || len >= sizeof(one)) {
			return 0;
		}
		memcpy(one, p, len);
		one[len] = '\0';
		if (!mecdns_subnet_parse(one, &out[count], why, sizeof(why))) {
			return 0;
		}
		mecdns_subnet_format(&out[count], back, sizeof(back));
		if (strcmp(back, one) != 0 ||
		    (count > 0 && compare_subnets(&out[count - 1], &out[count]) >= 0)) {
			return 0; /* Not the one canonical spelling and order. */
		}
		count++;
		if (comma == NULL) {
			return count;
		}
		p = comma + 1;
	}
	return 0; /* More than MECDNS_SUBNETS_MAX. */
}

bool mecdns_subnet_contains(const mecdns_subnet_t *subnet, int family, const uint8_t *addr)
{
	if (subnet->family != family) {
		return false;
	}
	unsigned full = subnet->length / 8;
	unsigned rest = subnet->length % 8;
	if (memcmp(subnet->addr, addr, full) != 0) {
		return false;
	}
	if (rest == 0) {
		return true;
	}
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (subnet->addr[full] & mask) == (addr[full] & mask);
}

unsigned mecdns_subnet_common_bits(const mecdns_subnet_t *subnet, const uint8_t *addr, unsigned max)
{
	unsigned limit = subnet->length < max ? subnet->length : max;
	unsigned bits = 0;
	while (bits < limit) {
		uint8_t diff = (uint8_t)(subnet->addr[bits / 8] ^ addr[bits / 8]);
		if (diff == 0) {
			bits += 8 - bits % 8;
			continue;
		}
		/* The first differing bit of this byte, from bits % 8 on. */
		diff = (uint8_t)(diff << (bits % 8));
		while ((diff & 0x80) == 0) {
			diff = (uint8_t)(diff << 1);
			bits++;
		}
		break;
	}
	return bits < limit ? bits : limit;
}
