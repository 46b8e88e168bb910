# SPDX-License-Identifier: GPL-3.0-or-later
# tests: module unit tests (refresher: row conversion, loading, sharing)
check_PROGRAMS += tests/unit/test_refresh
TESTS += tests/unit/test_refresh
tests_unit_test_refresh_SOURCES = tests/unit/test_refresh.c
tests_unit_test_refresh_CFLAGS = $(AM_CFLAGS) $(libknot_CFLAGS) $(sqlite3_CFLAGS) \
	$(liburcu_CFLAGS) $(check_CFLAGS) -pthread
tests_unit_test_refresh_LDFLAGS = -pthread
tests_unit_test_refresh_LDADD = module/libmecdns-refresh.la module/libmecdns-index.la \
	schema/libmecdns-schema.la tests/harness/libharness.la $(check_LIBS) \
	$(libknot_LIBS) $(sqlite3_LIBS) $(liburcu_LIBS)
