# SPDX-License-Identifier: GPL-3.0-or-later
# tests: Knot state -- mecdns-syncd's conditions (server_running, zone_ready,
# zone_updated, all_zones_ready, serving, shutting_down, query_rate) and
# GetState against the real knotd (with mod-mecdns and dbus-event on a
# private dbus-daemon used as its system bus) and the real mecdns-syncd.
check_PROGRAMS += tests/integration/test_state
TESTS += tests/integration/test_state
tests_integration_test_state_SOURCES = tests/integration/test_state.c
tests_integration_test_state_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(dbus_CFLAGS) \
	$(libknot_CFLAGS)
tests_integration_test_state_LDADD = \
	tests/harness/libharness-dbus.la tests/harness/libharness-dns.la \
	tests/harness/libharness-http.la tests/harness/libharness-syncd.la tests/harness/libharness.la \
	$(check_LIBS) $(dbus_LIBS) $(libknot_LIBS)
# Built before the test runs them.
EXTRA_tests_integration_test_state_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
