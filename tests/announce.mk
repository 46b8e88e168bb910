# SPDX-License-Identifier: GPL-3.0-or-later
# tests: mecdns-announce (profiles, hold-down, and the real binary driving a
# real BIRD 2 BGP session on loopback; skips with exit 77 without bird2).
check_PROGRAMS += tests/integration/test_announce
TESTS += tests/integration/test_announce
tests_integration_test_announce_SOURCES = tests/integration/test_announce.c
tests_integration_test_announce_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(dbus_CFLAGS) -pthread
tests_integration_test_announce_LDADD = announce/libmecdns-announce.la \
	tests/harness/libharness-dns.la tests/harness/libharness-dbus.la \
	tests/harness/libharness-syncd.la \
	tests/harness/libharness.la $(check_LIBS) $(dbus_LIBS) $(libknot_LIBS) -lpthread
# Built before the test runs them.
EXTRA_tests_integration_test_announce_DEPENDENCIES = announce/mecdns-announce$(EXEEXT) \
	syncd/mecdns-syncd$(EXEEXT) module/mecdns.la
