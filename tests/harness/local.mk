# SPDX-License-Identifier: GPL-3.0-or-later
# tests/harness: process helpers shared by every integration test.
check_LTLIBRARIES += tests/harness/libharness.la
tests_harness_libharness_la_SOURCES = tests/harness/harness.c tests/harness/harness.h
tests_harness_libharness_la_CFLAGS = $(AM_CFLAGS)

check_PROGRAMS += tests/unit/test_harness
TESTS += tests/unit/test_harness
tests_unit_test_harness_SOURCES = tests/unit/test_harness.c
tests_unit_test_harness_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS)
tests_unit_test_harness_LDADD = tests/harness/libharness.la $(check_LIBS)

# ProblemDetails assertions on mecdns-syncd's REST answers (Check, cJSON).
check_LTLIBRARIES += tests/harness/libharness-problem.la
tests_harness_libharness_problem_la_SOURCES = tests/harness/problem.c tests/harness/problem.h
tests_harness_libharness_problem_la_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS)
tests_harness_libharness_problem_la_LIBADD = $(libcjson_LIBS)
