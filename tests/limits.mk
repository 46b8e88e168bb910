# SPDX-License-Identifier: GPL-3.0-or-later
# tests: request limits of mecdns-syncd (issue 7, "Limits"): unit tests of
# syncd/limits.c (token buckets on a fake clock, connection counts, the
# bounded client table, the JSON depth scan) and the limit items of the
# configuration; integration tests against the real binary (431, 400, 413,
# 429 + Retry-After, 503 ProblemDetails; nothing written; service resumes).
check_PROGRAMS += tests/unit/test_limits
TESTS += tests/unit/test_limits
tests_unit_test_limits_SOURCES = tests/unit/test_limits.c
tests_unit_test_limits_CFLAGS = $(SYNCD_UNIT_CFLAGS) -pthread
tests_unit_test_limits_LDADD = $(SYNCD_UNIT_LDADD) -lpthread

check_PROGRAMS += tests/integration/test_limits
TESTS += tests/integration/test_limits
tests_integration_test_limits_SOURCES = tests/integration/test_limits.c
tests_integration_test_limits_CFLAGS = $(SYNCD_UNIT_CFLAGS)
tests_integration_test_limits_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-problem.la tests/harness/libharness-http.la \
	tests/harness/libharness.la \
	store/libmecdns-store.la schema/libmecdns-schema.la \
	$(check_LIBS) $(libcjson_LIBS) $(libknot_LIBS)
# The test runs the built daemon.
EXTRA_tests_integration_test_limits_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT)
