# SPDX-License-Identifier: GPL-3.0-or-later
# tests: the draft-grubto conditions of sections 3.7, 3.8 and 3.11 --
# mecdns-syncd's zone_expiring, signatures_expiring and extended_error
# against a real knotd with mod-mecdns: a secondary whose primary (a second
# knotd) goes away, a zone knotd signs with short-lived RRSIGs, and answers
# that carry Extended DNS Errors.
check_PROGRAMS += tests/integration/test_conditions
TESTS += tests/integration/test_conditions
tests_integration_test_conditions_SOURCES = tests/integration/test_conditions.c
tests_integration_test_conditions_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(dbus_CFLAGS) \
	$(libcjson_CFLAGS)
tests_integration_test_conditions_LDADD = \
	tests/harness/libharness-dbus.la tests/harness/libharness-dns.la tests/harness/libharness-http.la \
	tests/harness/libharness-syncd.la tests/harness/libharness.la \
	$(check_LIBS) $(dbus_LIBS) $(libcjson_LIBS) $(libknot_LIBS)
EXTRA_tests_integration_test_conditions_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
