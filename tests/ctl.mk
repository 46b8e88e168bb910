# SPDX-License-Identifier: GPL-3.0-or-later
# tests: mecdnsctl (issue 16) -- the built CLI against the real
# mecdns-syncd and the real knotd with mod-mecdns on one database.
check_PROGRAMS += tests/integration/test_ctl
TESTS += tests/integration/test_ctl
tests_integration_test_ctl_SOURCES = tests/integration/test_ctl.c
tests_integration_test_ctl_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS) \
	$(libknot_CFLAGS) $(sqlite3_CFLAGS)
tests_integration_test_ctl_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-dns.la tests/harness/libharness.la \
	$(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS) $(sqlite3_LIBS)
# The test runs the built daemon and CLI and loads the built module.
EXTRA_tests_integration_test_ctl_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	module/mecdns.la tools/mecdnsctl$(EXEEXT)
