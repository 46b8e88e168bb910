# SPDX-License-Identifier: GPL-3.0-or-later
# tests: zone sync -- mecdns-syncd mirrors rules into a real Knot zone that a
# real NSD secondary (Debian package nsd; skipped without it) follows by
# NOTIFY and IXFR. Needs the syncd binary, knotd, knotc and kdig.
check_PROGRAMS += tests/integration/test_zonesync
TESTS += tests/integration/test_zonesync
tests_integration_test_zonesync_SOURCES = tests/integration/test_zonesync.c
tests_integration_test_zonesync_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS)
tests_integration_test_zonesync_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-http.la \
	tests/harness/libharness.la $(check_LIBS)
EXTRA_tests_integration_test_zonesync_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	tools/mecdns-db$(EXEEXT)
