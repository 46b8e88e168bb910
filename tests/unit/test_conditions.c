/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of syncd/kexpiry.c, syncd/kede.c and knotctl_event_seconds():
 *  the times knotd prints (zone-status events, RRSIG rdata), the expiry
 *  conditions' thresholds and hysteresis, the ede-codes setting and the
 *  extended_error condition. The real knotd runs in test_conditions. */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "syncd/kede.h"
#include "syncd/kexpiry.h"
#include "syncd/knotctl.h"

START_TEST(test_event_times_as_knotd_prints_them)
{
	ck_assert_int_eq(knotctl_event_seconds("+17s"), 17);
	ck_assert_int_eq(knotctl_event_seconds("+59m59s"), 3599);
	ck_assert_int_eq(knotctl_event_seconds("+6D23h59m59s"), 6 * 86400 + 86399);
	ck_assert_int_eq(knotctl_event_seconds("+1Y2M"), 365 * 86400 + 60 * 86400);
	ck_assert_int_eq(knotctl_event_seconds("pending"), 0);
	ck_assert_int_eq(knotctl_event_seconds("running"), 0);
	ck_assert_int_eq(knotctl_event_seconds("frozen"), 0);
	ck_assert_int_eq(knotctl_event_seconds("not scheduled"), -1);
	/* Not knotd's format: unknown, never "now". */
	ck_assert_int_eq(knotctl_event_seconds("17s"), -1);
	ck_assert_int_eq(knotctl_event_seconds("+"), -1);
	ck_assert_int_eq(knotctl_event_seconds("+5"), -1);
	ck_assert_int_eq(knotctl_event_seconds("+5x"), -1);
	ck_assert_int_eq(knotctl_event_seconds("+5s3m"), -1); /* Units out of order. */
	ck_assert_int_eq(knotctl_event_seconds("+99999999999999s"), -1);
	ck_assert_int_eq(knotctl_event_seconds(NULL), -1);
}
END_TEST

START_TEST(test_rrsig_expiration_in_both_formats)
{
	char type[32];
	ck_assert_int_eq(kexpiry_rrsig_expiration("NS 13 2 60 20261207162951 20261207135951 "
	                                          "43704 signed.test. AAAA",
	                                          type, sizeof(type)),
	                 1796660991);
	ck_assert_str_eq(type, "NS");
	ck_assert_int_eq(
	    kexpiry_rrsig_expiration("A 8 3 300 1796660991 1796650000 1 x. AA", type, sizeof(type)),
	    1796660991);
	ck_assert_str_eq(type, "A");
	ck_assert_int_eq(kexpiry_rrsig_expiration("A 8 3 300", type, sizeof(type)), -1);
	ck_assert_int_eq(kexpiry_rrsig_expiration("A 8 3 300 2026120716295 x", type, sizeof(type)),
	                 -1);
	ck_assert_int_eq(kexpiry_rrsig_expiration("A 8 3 300 2026x207162951 x", type, sizeof(type)),
	                 -1);
	ck_assert_int_eq(kexpiry_rrsig_expiration(NULL, type, sizeof(type)), -1);
}
END_TEST

/*! \brief A loaded secondary whose expiration is left seconds away. */
static void observe(kexpiry_zone_t *zone, bool loaded, int64_t left, long long now_ms)
{
	knotctl_zone_status_t status = {
		.zone = "sec.test.", .loaded = loaded, .secondary = true, .expires_in = left
	};
	kexpiry_observe(zone, &status, now_ms);
}

START_TEST(test_zone_expiring_raises_at_the_period_and_clears_above_it)
{
	const kexpiry_config_t config = { .zone_period_s = 100, .signature_period_s = -1 };
	kexpiry_zone_t zone;
	kexpiry_init(&zone);
	observe(&zone, true, 101, 1000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 1000, 0), 0);
	ck_assert(!zone.expiring);
	observe(&zone, true, 100, 2000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 2000, 0), KEXPIRY_ZONE_CHANGED);
	ck_assert(zone.expiring);
	ck_assert_int_eq(zone.expiring_left, 100);
	/* A refresh to just above the period does not clear it (hysteresis). */
	observe(&zone, true, 110, 3000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 3000, 0), 0);
	ck_assert(zone.expiring);
	observe(&zone, true, 111, 4000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 4000, 0), KEXPIRY_ZONE_CHANGED);
	ck_assert(!zone.expiring);
	ck_assert_int_eq(zone.expiring_left, -1);
	/* Expired: served before, empty now, no expiration scheduled. */
	observe(&zone, false, -1, 5000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 5000, 0), KEXPIRY_ZONE_CHANGED);
	ck_assert(zone.expiring);
	ck_assert_int_eq(zone.expiring_left, 0);
}
END_TEST

START_TEST(test_zone_expiring_needs_a_secondary_served_once_and_can_be_off)
{
	kexpiry_config_t config = { .zone_period_s = 0, .signature_period_s = -1 };
	kexpiry_zone_t zone;
	kexpiry_init(&zone);
	/* Never transferred: not ready, but nothing expired. */
	observe(&zone, false, -1, 1000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 1000, 0), 0);
	/* Period 0: only the moment of expiry counts. */
	observe(&zone, true, 1, 2000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 2000, 0), 0);
	observe(&zone, true, 0, 3000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 3000, 0), KEXPIRY_ZONE_CHANGED);
	/* A primary never expires; off clears. */
	knotctl_zone_status_t primary = { .zone = "p.test.", .loaded = true, .expires_in = -1 };
	kexpiry_observe(&zone, &primary, 4000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 4000, 0), KEXPIRY_ZONE_CHANGED);
	ck_assert(!zone.expiring);
	config.zone_period_s = -1;
	observe(&zone, false, -1, 5000);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 5000, 0), 0);
	ck_assert(!zone.expiring);
}
END_TEST

START_TEST(test_signatures_expiring_follows_the_earliest_rrsig)
{
	const kexpiry_config_t config = { .zone_period_s = -1, .signature_period_s = 3600 };
	kexpiry_zone_t zone;
	kexpiry_init(&zone);
	observe(&zone, true, -1, 1000);
	zone.sig_read = true;
	zone.sig_expire = 1000000 + 3601;
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 1000, 1000000), 0);
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 2000, 1000001),
	                  KEXPIRY_SIGNATURES_CHANGED);
	ck_assert(zone.sig_expiring);
	ck_assert_int_eq(zone.sig_left, 3600);
	/* Passed: 0 left, still expiring. */
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 3000, 2000000), 0);
	ck_assert_int_eq(zone.sig_left, 0);
	/* Re-signed within the margin: holds; beyond it: clears. */
	zone.sig_expire = 2000000 + 3600 + 360;
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 4000, 2000000), 0);
	zone.sig_expire = 2000000 + 3600 + 361;
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 5000, 2000000),
	                  KEXPIRY_SIGNATURES_CHANGED);
	ck_assert(!zone.sig_expiring);
	/* No RRSIG any more (unsigned): never expiring. */
	zone.sig_expire = 0;
	ck_assert_uint_eq(kexpiry_evaluate(&zone, &config, 6000, 3000000), 0);
}
END_TEST

START_TEST(test_ede_codes_setting)
{
	bool watched[MECDNS_EDE_SLOTS];
	char err[256];
	ck_assert(kede_parse_codes("20,24", watched, "test", err, sizeof(err)));
	for (unsigned i = 0; i < MECDNS_EDE_SLOTS; i++) {
		ck_assert_int_eq(watched[i], i == 20 || i == 24);
	}
	ck_assert(kede_parse_codes("49152", watched, "test", err, sizeof(err)));
	ck_assert(watched[MECDNS_EDE_OTHER] && !watched[0]);
	ck_assert(kede_parse_codes("all", watched, "test", err, sizeof(err)));
	ck_assert(watched[0] && watched[MECDNS_EDE_OTHER]);
	ck_assert(kede_parse_codes("off", watched, "test", err, sizeof(err)));
	ck_assert(!watched[0] && !watched[20]);
	/* Bad values change nothing. */
	ck_assert(kede_parse_codes("7", watched, "test", err, sizeof(err)));
	static const char *const BAD[] = {
		"", "20,", ",20", "20,,24", "-1", "65536", "x", "20 24"
	};
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		ck_assert_msg(!kede_parse_codes(BAD[i], watched, "test", err, sizeof(err)), "%s",
		              BAD[i]);
		ck_assert_ptr_nonnull(strstr(err, "ede-codes"));
		ck_assert(watched[7] && !watched[20]);
	}
	ck_assert_str_eq(mecdns_ede_name(24), "Invalid Data");
	ck_assert_str_eq(mecdns_ede_name(MECDNS_EDE_OTHER), "other");
	ck_assert_int_eq(mecdns_ede_slot_of("20"), 20);
	ck_assert_int_eq(mecdns_ede_slot_of("other"), MECDNS_EDE_OTHER);
	ck_assert_int_eq(mecdns_ede_slot_of("31"), -1);
	ck_assert_int_eq(mecdns_ede_slot_of("2x"), -1);
}
END_TEST

START_TEST(test_extended_error_rises_with_the_count_and_clears_when_quiet)
{
	kede_config_t config = { .quiet_ms = 1000 };
	config.watched[24] = true;
	kede_t ede = { 0 };
	bool changed[MECDNS_EDE_SLOTS];
	uint64_t counts[MECDNS_EDE_SLOTS] = { 0 };
	/* Counts there at the first poll raise nothing. */
	counts[24] = 7;
	counts[20] = 3;
	kede_observe(&ede, &config, counts, 1000, changed);
	ck_assert(!changed[24] && !ede.occurring[24]);
	counts[24] = 8;
	counts[20] = 9; /* Not watched. */
	kede_observe(&ede, &config, counts, 1100, changed);
	ck_assert(changed[24] && ede.occurring[24]);
	ck_assert(!changed[20] && !ede.occurring[20]);
	/* Still within the quiet time, also without a poll. */
	kede_observe(&ede, &config, NULL, 2000, changed);
	ck_assert(!changed[24] && ede.occurring[24]);
	kede_observe(&ede, &config, counts, 2100, changed);
	ck_assert(changed[24] && !ede.occurring[24]);
	/* knotd restarted: a lower count, but above zero, is new. */
	counts[24] = 1;
	kede_observe(&ede, &config, counts, 3000, changed);
	ck_assert(changed[24] && ede.occurring[24]);
	ck_assert_uint_eq(ede.count[24], 1);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("conditions");
	TCase *tc = tcase_create("kexpiry");
	tcase_add_test(tc, test_event_times_as_knotd_prints_them);
	tcase_add_test(tc, test_rrsig_expiration_in_both_formats);
	tcase_add_test(tc, test_zone_expiring_raises_at_the_period_and_clears_above_it);
	tcase_add_test(tc, test_zone_expiring_needs_a_secondary_served_once_and_can_be_off);
	tcase_add_test(tc, test_signatures_expiring_follows_the_earliest_rrsig);
	tcase_add_test(tc, test_ede_codes_setting);
	tcase_add_test(tc, test_extended_error_rises_with_the_count_and_clears_when_quiet);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
