/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns: the report datagram (see report.h). */

#include <stdio.h>
#include <string.h>

#include "common/report.h"

static const uint8_t MAGIC[4] = { 'M', 'D', 'R', '1' };

/*! \brief Whether [wire, wire + len) is exactly one uncompressed wire name. */
static bool name_valid(const uint8_t *wire, size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		uint8_t label = wire[pos];
		if (label == 0) {
			return pos + 1 == len;
		}
		if (label > 63) {
			return false;
		}
		pos += 1 + (size_t)label;
	}
	return false;
}

static bool report_valid(const mecdns_report_t *report)
{
	return (report->family == 4 && report->bits <= 32) ||
	               (report->family == 6 && report->bits <= 128)
	           ? name_valid(report->owner, report->owner_len) &&
	                 name_valid(report->qname, report->qname_len)
	           : false;
}

size_t mecdns_report_encode(const mecdns_report_t *report, uint8_t *buf)
{
	if (report == NULL || buf == NULL || !report_valid(report)) {
		return 0;
	}
	memcpy(buf, MAGIC, sizeof(MAGIC));
	buf[4] = report->family;
	buf[5] = report->bits;
	buf[6] = (uint8_t)(report->qtype >> 8);
	buf[7] = (uint8_t)(report->qtype & 0xff);
	memcpy(buf + 8, report->addr, 16);
	buf[24] = report->owner_len;
	buf[25] = report->qname_len;
	memcpy(buf + MECDNS_REPORT_HEADER, report->owner, report->owner_len);
	memcpy(buf + MECDNS_REPORT_HEADER + report->owner_len, report->qname, report->qname_len);
	return MECDNS_REPORT_HEADER + (size_t)report->owner_len + report->qname_len;
}

bool mecdns_report_decode(const uint8_t *buf, size_t len, mecdns_report_t *out)
{
	if (buf == NULL || out == NULL || len < MECDNS_REPORT_HEADER ||
	    memcmp(buf, MAGIC, sizeof(MAGIC)) != 0) {
		return false;
	}
	memset(out, 0, sizeof(*out));
	out->family = buf[4];
	out->bits = buf[5];
	out->qtype = (uint16_t)(buf[6] << 8 | buf[7]);
	memcpy(out->addr, buf + 8, 16);
	out->owner_len = buf[24];
	out->qname_len = buf[25];
	if (len != MECDNS_REPORT_HEADER + (size_t)out->owner_len + out->qname_len) {
		return false;
	}
	memcpy(out->owner, buf + MECDNS_REPORT_HEADER, out->owner_len);
	memcpy(out->qname, buf + MECDNS_REPORT_HEADER + out->owner_len, out->qname_len);
	return report_valid(out);
}

bool mecdns_report_name_text(const uint8_t *wire, size_t len, char *text, size_t size)
{
	if (wire == NULL || text == NULL || size < 1024 || !name_valid(wire, len)) {
		return false;
	}
	size_t out = 0;
	if (wire[0] == 0) {
		text[out++] = '.';
	}
	for (size_t pos = 0; wire[pos] != 0; pos += 1 + (size_t)wire[pos]) {
		for (uint8_t i = 1; i <= wire[pos]; i++) {
			uint8_t ch = wire[pos + i];
			if (ch == '.' || ch == '\\' || ch == '"' || ch == '(' || ch == ')' ||
			    ch == ';' || ch == '@' || ch == '$') {
				text[out++] = '\\';
				text[out++] = (char)ch;
			} else if (ch <= ' ' || ch >= 0x7f) {
				out += (size_t)snprintf(text + out, size - out, "\\%03u", ch);
			} else {
				text[out++] = (char)ch;
			}
		}
		text[out++] = '.';
	}
	text[out] = '\0';
	return true;
}
