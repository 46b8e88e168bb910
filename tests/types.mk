# SPDX-License-Identifier: GPL-3.0-or-later
# tests: the type-agreement test -- one table of record types through the
# answer rules library, the rrecord API and the store (real mecdns-syncd),
# mecdns-db, the module (real knotd) and zone sync (a real Knot zone).
check_PROGRAMS += tests/integration/test_types
TESTS += tests/integration/test_types
tests_integration_test_types_SOURCES = tests/integration/test_types.c
tests_integration_test_types_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS)
tests_integration_test_types_LDADD = common/libmecdns-answer.la tests/harness/libharness-syncd.la \
	tests/harness/libharness-dns.la tests/harness/libharness-http.la \
	tests/harness/libharness.la $(check_LIBS) $(libknot_LIBS)
EXTRA_tests_integration_test_types_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	tools/mecdns-db$(EXEEXT) module/mecdns.la
