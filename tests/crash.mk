# SPDX-License-Identifier: GPL-3.0-or-later
# tests: crash test (issue 7, "Fault tests") -- kill -9 of the real
# mecdns-syncd at random moments under a concurrent write load, repeated
# (MECDNS_CRASH_CYCLES, default 3; MECDNS_CRASH_SEED replays a run): every
# acknowledged change is in the database, answered by knotd with mod-mecdns
# and signalled on a private D-Bus. bench/soak.sh runs it with 50 cycles.
check_PROGRAMS += tests/integration/test_crash
TESTS += tests/integration/test_crash
tests_integration_test_crash_SOURCES = tests/integration/test_crash.c
tests_integration_test_crash_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libknot_CFLAGS) \
	$(sqlite3_CFLAGS) $(dbus_CFLAGS) -pthread
tests_integration_test_crash_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-http.la \
	tests/harness/libharness-dns.la tests/harness/libharness-dbus.la \
	tests/harness/libharness.la store/libmecdns-store.la schema/libmecdns-schema.la \
	$(check_LIBS) $(libknot_LIBS) $(sqlite3_LIBS) $(dbus_LIBS) -lpthread
# The test runs the built daemon and loads the built module.
EXTRA_tests_integration_test_crash_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
