# SPDX-License-Identifier: GPL-3.0-or-later
# tests: client-subnet scopes (issue 13) -- the real mecdns-syncd and the
# real knotd with mod-mecdns on one database.
check_PROGRAMS += tests/integration/test_scopes
TESTS += tests/integration/test_scopes
tests_integration_test_scopes_SOURCES = tests/integration/test_scopes.c
tests_integration_test_scopes_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS) \
	$(libknot_CFLAGS) $(sqlite3_CFLAGS)
tests_integration_test_scopes_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-problem.la \
	tests/harness/libharness-http.la tests/harness/libharness-dns.la \
	tests/harness/libharness.la store/libmecdns-store.la schema/libmecdns-schema.la \
	$(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS) $(sqlite3_LIBS)
EXTRA_DIST += tests/integration/scopes_model.py
# The test runs the built daemon and loads the built module.
EXTRA_tests_integration_test_scopes_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la tools/mecdns-db$(EXEEXT)
