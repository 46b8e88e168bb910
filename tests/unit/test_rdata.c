/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of common/rdata.c: record data through libzscanner. */

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "common/rdata.h"

/*! \brief Parses text as rdata of type at www.example.com.; asserts success. */
static void parse_ok(uint16_t type, const char *text, const uint8_t *wire, size_t wire_len,
                     const char *canonical)
{
	uint8_t *out = NULL;
	uint16_t out_len = 0;
	char *dump = NULL;
	char err[512] = "";
	ck_assert_msg(mecdns_rdata_parse("www.example.com.", type, text, &out, &out_len, &dump, err,
	                                 sizeof(err)),
	              "%s: %s", text, err);
	if (wire != NULL) {
		ck_assert_uint_eq(out_len, wire_len);
		ck_assert_mem_eq(out, wire, wire_len);
	}
	ck_assert_str_eq(dump, canonical);
	free(out);
	free(dump);
}

static void parse_fails(uint16_t type, const char *text)
{
	uint8_t *out = NULL;
	uint16_t out_len = 0;
	char *dump = NULL;
	char err[512] = "";
	ck_assert_msg(!mecdns_rdata_parse("www.example.com.", type, text, &out, &out_len, &dump,
	                                  err, sizeof(err)),
	              "accepted %s", text);
	ck_assert(err[0] != '\0');
	ck_assert_ptr_null(out);
	ck_assert_ptr_null(dump);
}

START_TEST(test_a_and_aaaa_become_wire_addresses)
{
	const uint8_t a[] = { 172, 16, 104, 22 };
	parse_ok(KNOT_RRTYPE_A, "172.16.104.22", a, sizeof(a), "172.16.104.22");
	const uint8_t aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	parse_ok(KNOT_RRTYPE_AAAA, "2001:DB8::1", aaaa, sizeof(aaaa), "2001:db8::1");
}
END_TEST

START_TEST(test_cname_txt_srv_parse_like_a_zone_file)
{
	const uint8_t cname[] = { 4,   'e', 'd', 'g', 'e', 7,   'e', 'x', 'a',
		                  'm', 'p', 'l', 'e', 3,   'n', 'e', 't', 0 };
	parse_ok(KNOT_RRTYPE_CNAME, "edge.example.net.", cname, sizeof(cname), "edge.example.net.");
	/* Names in record data are absolute even without the trailing dot. */
	parse_ok(KNOT_RRTYPE_CNAME, "edge.example.net", cname, sizeof(cname), "edge.example.net.");

	const uint8_t txt[] = { 5, 'h', 'e', 'l', 'l', 'o', 5, 'w', 'o', 'r', 'l', 'd' };
	parse_ok(KNOT_RRTYPE_TXT, "\"hello\" world", txt, sizeof(txt), "\"hello\" \"world\"");

	const uint8_t srv[] = { 0,   10,  0,   5,   0x13, 0xc4, 3, 's', 'i', 'p', 7, 'e',
		                'x', 'a', 'm', 'p', 'l',  'e',  3, 'c', 'o', 'm', 0 };
	parse_ok(KNOT_RRTYPE_SRV, "10 5 5060 sip.example.com.", srv, sizeof(srv),
	         "10 5 5060 sip.example.com.");
	parse_ok(KNOT_RRTYPE_MX, "10 mail.example.com.", NULL, 0, "10 mail.example.com.");
	/* libknot's dump of CAA ends with a blank; the canonical text does not. */
	parse_ok(KNOT_RRTYPE_CAA, "0 issue \"ca.example.net\"", NULL, 0,
	         "0 issue \"ca.example.net\"");
}
END_TEST

START_TEST(test_bad_record_data_is_refused)
{
	parse_fails(KNOT_RRTYPE_A, "1.2.3");
	parse_fails(KNOT_RRTYPE_A, "2001:db8::1");
	parse_fails(KNOT_RRTYPE_A, "");
	parse_fails(KNOT_RRTYPE_A, "1.2.3.4\nevil.example. 0 IN A 6.6.6.6");
	parse_fails(KNOT_RRTYPE_A, "1.2.3.4 5.6.7.8");
	parse_fails(KNOT_RRTYPE_AAAA, "1.2.3.4");
	parse_fails(KNOT_RRTYPE_SRV, "10 5 sip.example.com.");
	parse_fails(KNOT_RRTYPE_CNAME, "a..b.");
	/* Found by fuzz_rdata: the scanner takes the CAA tag "iJ(" but the
	 * printed form `0 iJ( "#c)"` reads back otherwise; refused. */
	parse_fails(KNOT_RRTYPE_CAA, "0 iJ(#c)");
}
END_TEST

START_TEST(test_types_mecdns_serves)
{
	uint16_t type = 0;
	char err[256];
	ck_assert(mecdns_rrtype_parse("A", &type, err, sizeof(err)));
	ck_assert_uint_eq(type, KNOT_RRTYPE_A);
	ck_assert(mecdns_rrtype_parse("aaaa", &type, err, sizeof(err)));
	ck_assert_uint_eq(type, KNOT_RRTYPE_AAAA);
	ck_assert(mecdns_rrtype_parse("SRV", &type, err, sizeof(err)));
	ck_assert(mecdns_rrtype_parse("TYPE65280", &type, err, sizeof(err)));
	ck_assert_uint_eq(type, 65280);
	ck_assert(!mecdns_rrtype_parse("SOA", &type, err, sizeof(err)));
	ck_assert(!mecdns_rrtype_parse("NS", &type, err, sizeof(err)));
	ck_assert(!mecdns_rrtype_parse("RRSIG", &type, err, sizeof(err)));
	ck_assert(!mecdns_rrtype_parse("ANY", &type, err, sizeof(err)));
	ck_assert(!mecdns_rrtype_parse("AXFR", &type, err, sizeof(err)));
	/* The API once took these, which the module never served. */
	ck_assert(!mecdns_rrtype_parse("DS", &type, err, sizeof(err)));
	ck_assert_msg(strstr(err, "type DS is not served") != NULL, "%s", err);
	ck_assert(!mecdns_rrtype_parse("TYPE128", &type, err, sizeof(err)));
	ck_assert_msg(strstr(err, "TYPE128") != NULL, "%s", err);
	ck_assert(!mecdns_rrtype_parse("NXT", &type, err, sizeof(err)));
	ck_assert(!mecdns_rrtype_parse("BOGUS", &type, err, sizeof(err)));
	ck_assert(!mecdns_rrtype_parse("", &type, err, sizeof(err)));

	char name[32];
	mecdns_rrtype_name(KNOT_RRTYPE_AAAA, name, sizeof(name));
	ck_assert_str_eq(name, "AAAA");
	ck_assert(mecdns_rrclass_valid("IN", err, sizeof(err)));
	ck_assert(mecdns_rrclass_valid("in", err, sizeof(err)));
	ck_assert(!mecdns_rrclass_valid("CH", err, sizeof(err)));
}
END_TEST

/*! Scanners are reused (common/rdata.c keeps a few): a record parses the
 *  same after any other, after a refused one, and in several threads at
 *  once. */
START_TEST(test_a_reused_scanner_parses_like_a_new_one)
{
	const uint8_t a[] = { 192, 0, 2, 1 };
	for (int round = 0; round < 3; round++) {
		parse_ok(KNOT_RRTYPE_A, "192.0.2.1", a, sizeof(a), "192.0.2.1");
		parse_fails(KNOT_RRTYPE_TXT, "\"unterminated");
		parse_ok(KNOT_RRTYPE_TXT, "\"a b\" c", NULL, 0, "\"a b\" \"c\"");
		parse_fails(KNOT_RRTYPE_A, "192.0.2.1 ( 192.0.2.2 )");
		parse_ok(KNOT_RRTYPE_CNAME, "Edge.Example.NET", NULL, 0, "Edge.Example.NET.");
		parse_fails(KNOT_RRTYPE_SRV, "10 20");
		parse_ok(KNOT_RRTYPE_SRV, "10 20 443 svc.example.com.", NULL, 0,
		         "10 20 443 svc.example.com.");
	}
}
END_TEST

static void *parse_many(void *arg)
{
	const char *address = arg;
	for (int i = 0; i < 2000; i++) {
		uint8_t *out = NULL;
		uint16_t out_len = 0;
		char *dump = NULL;
		char err[512] = "";
		bool ok = mecdns_rdata_parse("www.example.com.", KNOT_RRTYPE_A, address, &out,
		                             &out_len, &dump, err, sizeof(err));
		bool same = ok && strcmp(dump, address) == 0 && out_len == 4;
		free(out);
		free(dump);
		if (!same) {
			return (void *)1;
		}
		if (i % 7 == 0 && mecdns_rdata_parse("www.example.com.", KNOT_RRTYPE_A, "bad", &out,
		                                     &out_len, &dump, err, sizeof(err))) {
			return (void *)1;
		}
	}
	return NULL;
}

START_TEST(test_threads_parse_at_once)
{
	static const char *const addresses[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3",
		                                 "192.0.2.4", "192.0.2.5", "192.0.2.6" };
	pthread_t threads[6];
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(
		    pthread_create(&threads[i], NULL, parse_many, (void *)addresses[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		void *failed = NULL;
		pthread_join(threads[i], &failed);
		ck_assert_msg(failed == NULL, "thread %d got a wrong parse", i);
	}
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("rdata");
	TCase *tc = tcase_create("rdata");
	tcase_add_test(tc, test_a_and_aaaa_become_wire_addresses);
	tcase_add_test(tc, test_cname_txt_srv_parse_like_a_zone_file);
	tcase_add_test(tc, test_bad_record_data_is_refused);
	tcase_add_test(tc, test_types_mecdns_serves);
	tcase_add_test(tc, test_a_reused_scanner_parses_like_a_new_one);
	tcase_add_test(tc, test_threads_parse_at_once);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
