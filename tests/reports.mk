# SPDX-License-Identifier: GPL-3.0-or-later
# tests: the REPORT action of DNS contexts (issue 13) -- the real
# mecdns-syncd on a private dbus-daemon and the real knotd with mod-mecdns
# reporting to it; the test receives the notifications.
check_PROGRAMS += tests/integration/test_reports
TESTS += tests/integration/test_reports
tests_integration_test_reports_SOURCES = tests/integration/test_reports.c
tests_integration_test_reports_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS) \
	$(libknot_CFLAGS) $(dbus_CFLAGS) -pthread
tests_integration_test_reports_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-problem.la \
	tests/harness/libharness-http.la tests/harness/libharness-dns.la \
	tests/harness/libharness-dbus.la tests/harness/libharness.la \
	$(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS) $(dbus_LIBS) -lpthread
# The test runs the built daemon and loads the built module.
EXTRA_tests_integration_test_reports_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
