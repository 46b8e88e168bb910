# SPDX-License-Identifier: GPL-3.0-or-later

# tests: signals. The D-Bus harness (private dbus-daemon, signal listener)
# is a library of its own so that syncd's integration tests can link it too.
check_LTLIBRARIES += tests/harness/libharness-dbus.la
tests_harness_libharness_dbus_la_SOURCES = tests/harness/dbus.c tests/harness/dbus.h
tests_harness_libharness_dbus_la_CFLAGS = $(AM_CFLAGS) $(dbus_CFLAGS)
tests_harness_libharness_dbus_la_LIBADD = tests/harness/libharness.la $(dbus_LIBS)

check_PROGRAMS += tests/integration/test_signals
TESTS += tests/integration/test_signals
tests_integration_test_signals_SOURCES = tests/integration/test_signals.c
tests_integration_test_signals_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(dbus_CFLAGS) \
	$(sqlite3_CFLAGS) -pthread
tests_integration_test_signals_LDADD = syncd/libmecdns-signals.la store/libmecdns-store.la \
	tests/harness/libharness-dbus.la tests/harness/libharness.la $(check_LIBS) \
	$(dbus_LIBS) -lpthread
