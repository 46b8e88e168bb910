# SPDX-License-Identifier: GPL-3.0-or-later
# tests: fault tests (issue 7, "Fault tests") -- the real mecdns-syncd and
# knotd with mod-mecdns while the database's disk is full (a small tmpfs;
# root only, skipped otherwise), while another process holds the database's
# write lock, and with a corrupt or unreachable database at start.
check_PROGRAMS += tests/integration/test_faults
TESTS += tests/integration/test_faults
tests_integration_test_faults_SOURCES = tests/integration/test_faults.c
tests_integration_test_faults_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS) \
	$(libknot_CFLAGS) $(sqlite3_CFLAGS)
tests_integration_test_faults_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-http.la \
	tests/harness/libharness-dns.la tests/harness/libharness.la \
	store/libmecdns-store.la schema/libmecdns-schema.la \
	$(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS) $(sqlite3_LIBS)
# The test runs the built daemon and loads the built module.
EXTRA_tests_integration_test_faults_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la
