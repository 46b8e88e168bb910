# SPDX-License-Identifier: GPL-3.0-or-later
# Schema versions and migrations (a version-1 file from tests/data/).
check_PROGRAMS += tests/unit/test_schema
TESTS += tests/unit/test_schema
tests_unit_test_schema_SOURCES = tests/unit/test_schema.c
tests_unit_test_schema_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(sqlite3_CFLAGS)
tests_unit_test_schema_LDADD = schema/libmecdns-schema.la tests/harness/libharness.la \
	$(sqlite3_LIBS) $(check_LIBS)
EXTRA_DIST += tests/data/schema-v1.sql
