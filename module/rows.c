/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns refresher: row conversion -- the columns of a rule or an rrset
 *  row into index entries; no SQLite, thread or file code (see refresh.h). */

#include "module/refresh_internal.h"

/*** Row conversion. ***/

int mecdns_owner_parse(const char *text, knot_dname_storage_t out)
{
	if (text == NULL || out == NULL) {
		return KNOT_EINVAL;
	}
	size_t len = strlen(text);
	if (len == 0 || len > KNOT_DNAME_TXT_MAXLEN || text[len - 1] != '.') {
		return KNOT_EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (text[i] >= 'A' && text[i] <= 'Z') {
			return KNOT_EINVAL;
		}
	}
	if (knot_dname_from_str(out, text, KNOT_DNAME_MAXLEN) == NULL) {
		return KNOT_EINVAL;
	}
	/* Canonical means one spelling: what libknot prints back. */
	knot_dname_txt_storage_t back;
	if (knot_dname_to_str(back, out, sizeof(back)) == NULL || strcmp(back, text) != 0) {
		return KNOT_EINVAL;
	}
	return KNOT_EOK;
}

/*! \brief Adds one record to the entry for the clients of scope (a
 *         canonical subnet list, common/subnet.h; NULL or "": every client):
 *         the one place rules and rrsets become scoped records. */
static int add_in_scope(mecdns_owner_t *entry, const char *scope, uint16_t type, uint32_t ttl,
                        const uint8_t *data, uint16_t len)
{
	if (scope == NULL || *scope == '\0') {
		return mecdns_owner_add(entry, type, ttl, data, len);
	}
	if (type == KNOT_RRTYPE_CNAME) {
		return KNOT_EINVAL; /* A CNAME answers every client; the store refuses it. */
	}
	mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
	size_t count = mecdns_subnets_parse_list(scope, subnets);
	if (count == 0) {
		return KNOT_EINVAL; /* Not a scope the store writes. */
	}
	for (size_t i = 0; i < count; i++) {
		int ret = mecdns_owner_add_scoped(entry, &subnets[i], type, ttl, data, len);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

int mecdns_entry_mark_report(mecdns_owner_t *entry, const char *scope)
{
	if (entry == NULL || scope == NULL || *scope == '\0') {
		return KNOT_EINVAL; /* Unscoped rules answer everyone: no UE to report. */
	}
	mecdns_subnet_t subnets[MECDNS_SUBNETS_MAX];
	size_t count = mecdns_subnets_parse_list(scope, subnets);
	if (count == 0) {
		return KNOT_EINVAL;
	}
	for (size_t i = 0; i < count; i++) {
		int ret = mecdns_owner_mark_report(entry, &subnets[i]);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

int mecdns_entry_add_rule(mecdns_owner_t *entry, const char *ip_type, const char *ip, bool has_ttl,
                          int64_t ttl, uint32_t default_ttl, const char *scope)
{
	if (entry == NULL || ip_type == NULL || ip == NULL) {
		return KNOT_EINVAL;
	}

	uint8_t addr[16];
	uint16_t type;
	uint16_t len;
	int family;
	if (strcmp(ip_type, "IP_V4") == 0) {
		family = AF_INET;
		type = KNOT_RRTYPE_A;
		len = 4;
	} else if (strcmp(ip_type, "IP_V6") == 0) {
		family = AF_INET6;
		type = KNOT_RRTYPE_AAAA;
		len = 16;
	} else {
		return KNOT_EINVAL;
	}
	if (inet_pton(family, ip, addr) != 1) {
		return KNOT_EINVAL;
	}
	if (has_ttl && (ttl < 0 || ttl > INT32_MAX)) {
		return KNOT_EINVAL;
	}

	return add_in_scope(entry, scope, type, has_ttl ? (uint32_t)ttl : default_ttl, addr, len);
}

/*! \brief Whether wire is exactly one uncompressed rdata of the type: libknot
 *         parses it like a record of a packet and must get the same bytes. */
bool refresh_rdata_parses(uint16_t type, const uint8_t *wire, size_t wire_len)
{
	/* Root owner (1), type (2), class (2), TTL (4), RDLENGTH (2). */
	const size_t header = 11;
	uint8_t stack_buf[header + RDATA_STACK_MAX];
	uint8_t *buf = stack_buf;
	if (wire_len > RDATA_STACK_MAX) {
		buf = malloc(header + wire_len);
		if (buf == NULL) {
			return false;
		}
	}

	buf[0] = '\0';
	knot_wire_write_u16(buf + 1, type);
	knot_wire_write_u16(buf + 3, KNOT_CLASS_IN);
	knot_wire_write_u32(buf + 5, 0);
	knot_wire_write_u16(buf + 9, (uint16_t)wire_len);
	if (wire_len > 0) {
		memcpy(buf + header, wire, wire_len);
	}

	knot_rrset_t rr;
	knot_rrset_init_empty(&rr);
	size_t pos = 0;
	int ret = knot_rrset_rr_from_wire(buf, &pos, header + wire_len, &rr, NULL, false);
	bool same = ret == KNOT_EOK && pos == header + wire_len && rr.rrs.count == 1 &&
	            rr.rrs.rdata->len == wire_len &&
	            (wire_len == 0 || memcmp(rr.rrs.rdata->data, wire, wire_len) == 0);
	if (ret == KNOT_EOK) {
		knot_rrset_clear(&rr, NULL);
	}
	if (buf != stack_buf) {
		free(buf);
	}
	return same;
}

int mecdns_entry_add_rdata(mecdns_owner_t *entry, int64_t type, int64_t ttl, const uint8_t *wire,
                           size_t wire_len, const char *scope)
{
	if (entry == NULL || type < 1 || type > UINT16_MAX) {
		return KNOT_EINVAL;
	}
	if (!mecdns_type_served((uint16_t)type)) {
		return KNOT_ENOTSUP;
	}
	if (ttl < 0 || ttl > INT32_MAX || wire_len > UINT16_MAX || (wire == NULL && wire_len > 0)) {
		return KNOT_EINVAL;
	}
	if (!refresh_rdata_parses((uint16_t)type, wire, wire_len)) {
		return KNOT_EINVAL;
	}
	return add_in_scope(entry, scope, (uint16_t)type, (uint32_t)ttl, wire, (uint16_t)wire_len);
}
