# SPDX-License-Identifier: GPL-3.0-or-later
# tests: end to end -- the real mecdns-syncd, a private dbus-daemon and the
# real knotd with mod-mecdns on one SQLite file (issue 3, "Done when").
check_PROGRAMS += tests/integration/test_end_to_end
TESTS += tests/integration/test_end_to_end
tests_integration_test_end_to_end_SOURCES = tests/integration/test_end_to_end.c
tests_integration_test_end_to_end_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS) \
	$(libknot_CFLAGS) $(sqlite3_CFLAGS) $(dbus_CFLAGS)
tests_integration_test_end_to_end_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-http.la \
	tests/harness/libharness-dns.la tests/harness/libharness-dbus.la \
	tests/harness/libharness.la store/libmecdns-store.la schema/libmecdns-schema.la \
	$(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS) $(sqlite3_LIBS) $(dbus_LIBS)
# The test runs the built daemon and loads the built module.
EXTRA_tests_integration_test_end_to_end_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
