# SPDX-License-Identifier: GPL-3.0-or-later
# tests: module -- integration tests of mod-mecdns against the real knotd.
# The test program starts knotd with $(builddir)/module/.libs/mecdns.so, so
# the module must be built before the test runs.

# DNS over libknot and knotd process helpers (on top of libharness.la).
check_LTLIBRARIES += tests/harness/libharness-dns.la
tests_harness_libharness_dns_la_SOURCES = \
	tests/harness/dns.c tests/harness/dns.h \
	tests/harness/knotd.c tests/harness/knotd.h
tests_harness_libharness_dns_la_CFLAGS = $(AM_CFLAGS) $(libknot_CFLAGS)
tests_harness_libharness_dns_la_LIBADD = $(libknot_LIBS)

check_PROGRAMS += tests/integration/test_module
TESTS += tests/integration/test_module
tests_integration_test_module_SOURCES = tests/integration/test_module.c
tests_integration_test_module_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libknot_CFLAGS) \
	$(libzscanner_CFLAGS) $(sqlite3_CFLAGS)
tests_integration_test_module_LDADD = \
	tests/harness/libharness-dns.la tests/harness/libharness.la \
	store/libmecdns-store.la schema/libmecdns-schema.la \
	$(libzscanner_LIBS) $(libknot_LIBS) $(sqlite3_LIBS) $(check_LIBS)
EXTRA_tests_integration_test_module_DEPENDENCIES = module/mecdns.la

# mod-mecdns's configuration checks through the real `knotc conf-check`.
check_PROGRAMS += tests/integration/test_module_conf
TESTS += tests/integration/test_module_conf
tests_integration_test_module_conf_SOURCES = tests/integration/test_module_conf.c
tests_integration_test_module_conf_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS)
tests_integration_test_module_conf_LDADD = tests/harness/libharness.la $(check_LIBS)
EXTRA_tests_integration_test_module_conf_DEPENDENCIES = module/mecdns.la
