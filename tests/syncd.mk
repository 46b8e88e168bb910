# SPDX-License-Identifier: GPL-3.0-or-later
# tests: syncd (unit tests of libmecdns-syncd; integration tests against the
# real mecdns-syncd binary).
SYNCD_UNIT_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS) $(libknot_CFLAGS) \
	$(sqlite3_CFLAGS)
SYNCD_UNIT_LDADD = syncd/libmecdns-syncd.la store/libmecdns-store.la \
	schema/libmecdns-schema.la $(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS)

check_PROGRAMS += tests/unit/test_validate tests/unit/test_json tests/unit/test_auth \
	tests/unit/test_rdata
TESTS += tests/unit/test_validate tests/unit/test_json tests/unit/test_auth \
	tests/unit/test_rdata
tests_unit_test_validate_SOURCES = tests/unit/test_validate.c
tests_unit_test_validate_CFLAGS = $(SYNCD_UNIT_CFLAGS)
tests_unit_test_validate_LDADD = $(SYNCD_UNIT_LDADD)
tests_unit_test_json_SOURCES = tests/unit/test_json.c
tests_unit_test_json_CFLAGS = $(SYNCD_UNIT_CFLAGS)
tests_unit_test_json_LDADD = $(SYNCD_UNIT_LDADD)
tests_unit_test_auth_SOURCES = tests/unit/test_auth.c
tests_unit_test_auth_CFLAGS = $(SYNCD_UNIT_CFLAGS)
tests_unit_test_auth_LDADD = $(SYNCD_UNIT_LDADD)
tests_unit_test_rdata_SOURCES = tests/unit/test_rdata.c
tests_unit_test_rdata_CFLAGS = $(SYNCD_UNIT_CFLAGS)
tests_unit_test_rdata_LDADD = $(SYNCD_UNIT_LDADD)
# Client-subnet scopes (common/subnet.h).
check_PROGRAMS += tests/unit/test_subnet
TESTS += tests/unit/test_subnet
tests_unit_test_subnet_SOURCES = tests/unit/test_subnet.c
tests_unit_test_subnet_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS)
tests_unit_test_subnet_LDADD = common/libmecdns-answer.la $(check_LIBS)
# The zone guard is part of the daemon: its source is compiled in.
check_PROGRAMS += tests/unit/test_zoneguard
TESTS += tests/unit/test_zoneguard
tests_unit_test_zoneguard_SOURCES = tests/unit/test_zoneguard.c syncd/zoneguard.c
tests_unit_test_zoneguard_CFLAGS = $(SYNCD_UNIT_CFLAGS)
tests_unit_test_zoneguard_LDADD = syncd/libmecdns-knotctl.la $(SYNCD_UNIT_LDADD) -lpthread

# A tiny HTTP/1.1 client for integration tests (no libcurl needed).
check_LTLIBRARIES += tests/harness/libharness-http.la
tests_harness_libharness_http_la_SOURCES = tests/harness/http.c tests/harness/http.h
tests_harness_libharness_http_la_CFLAGS = $(AM_CFLAGS)
tests_harness_libharness_http_la_LIBADD = tests/harness/libharness.la

# Starts and stops the real mecdns-syncd for integration tests (one place).
check_LTLIBRARIES += tests/harness/libharness-syncd.la
tests_harness_libharness_syncd_la_SOURCES = tests/harness/syncd.c tests/harness/syncd.h
tests_harness_libharness_syncd_la_CFLAGS = $(AM_CFLAGS)

# The real mecdns-syncd on a free loopback port with a temporary database.
check_PROGRAMS += tests/integration/test_syncd_api
TESTS += tests/integration/test_syncd_api
tests_integration_test_syncd_api_SOURCES = tests/integration/test_syncd_api.c
tests_integration_test_syncd_api_CFLAGS = $(SYNCD_UNIT_CFLAGS)
tests_integration_test_syncd_api_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-problem.la tests/harness/libharness-http.la \
	tests/harness/libharness-dns.la tests/harness/libharness.la store/libmecdns-store.la schema/libmecdns-schema.la \
	$(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS)
# Built before the test runs it.
# (The knotd case also needs the module; it skips itself when it is absent.)
EXTRA_tests_integration_test_syncd_api_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
