# SPDX-License-Identifier: GPL-3.0-or-later
# tests: mecdns-place's solvers against brute force (issue 15).
check_PROGRAMS += tests/unit/test_place
TESTS += tests/unit/test_place
tests_unit_test_place_SOURCES = tests/unit/test_place.c
tests_unit_test_place_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS)
tests_unit_test_place_LDADD = tools/libmecdns-place.la $(check_LIBS) -lm

# The built CLI on files.
check_PROGRAMS += tests/integration/test_place_cli
TESTS += tests/integration/test_place_cli
tests_integration_test_place_cli_SOURCES = tests/integration/test_place_cli.c
tests_integration_test_place_cli_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libknot_CFLAGS)
tests_integration_test_place_cli_LDADD = tests/harness/libharness-dns.la tests/harness/libharness.la \
	$(check_LIBS) $(libknot_LIBS)
EXTRA_tests_integration_test_place_cli_DEPENDENCIES = tools/mecdns-place$(EXEEXT) \
	announce/mecdns-announce$(EXEEXT) module/mecdns.la tools/mecdns-db$(EXEEXT)
