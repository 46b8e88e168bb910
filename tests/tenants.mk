# SPDX-License-Identifier: GPL-3.0-or-later
# tests: tenant isolation (issue 12) -- the real mecdns-syncd with tokens and
# the real knotd with mod-mecdns serving an operator's zone.
check_PROGRAMS += tests/integration/test_tenants
TESTS += tests/integration/test_tenants
tests_integration_test_tenants_SOURCES = tests/integration/test_tenants.c
tests_integration_test_tenants_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS) \
	$(libknot_CFLAGS) $(sqlite3_CFLAGS)
tests_integration_test_tenants_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-http.la tests/harness/libharness-dns.la \
	tests/harness/libharness.la store/libmecdns-store.la schema/libmecdns-schema.la \
	$(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS) $(sqlite3_LIBS)
# The test runs the built daemon and loads the built module.
EXTRA_tests_integration_test_tenants_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
