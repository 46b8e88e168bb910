# SPDX-License-Identifier: GPL-3.0-or-later
# tests: zone and signature expiry (draft-grubto sections 3.7 and 3.8) --
# mecdns-syncd's zone_expiring and signatures_expiring against a real knotd
# with mod-mecdns: a secondary whose primary (a second knotd) goes away, and
# a zone knotd signs with short-lived RRSIGs.
check_PROGRAMS += tests/integration/test_expiry
TESTS += tests/integration/test_expiry
tests_integration_test_expiry_SOURCES = tests/integration/test_expiry.c
tests_integration_test_expiry_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(dbus_CFLAGS) \
	$(libcjson_CFLAGS)
tests_integration_test_expiry_LDADD = \
	tests/harness/libharness-dbus.la tests/harness/libharness-dns.la tests/harness/libharness-http.la \
	tests/harness/libharness-syncd.la tests/harness/libharness.la \
	$(check_LIBS) $(dbus_LIBS) $(libcjson_LIBS) $(libknot_LIBS)
EXTRA_tests_integration_test_expiry_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
