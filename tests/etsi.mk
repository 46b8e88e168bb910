# SPDX-License-Identifier: GPL-3.0-or-later
# tests: Mp1 answers of the real mecdns-syncd validated against ETSI's
# DnsRule and ProblemDetails schemas (issue 3). ETSI's OpenAPI file is
# vendored in tests/data/etsi/ (BSD-3-Clause, LICENSE-ETSI beside it); the
# validator is a small Python 3 script (python3-yaml, python3-jsonschema).
check_PROGRAMS += tests/integration/test_etsi_schema
TESTS += tests/integration/test_etsi_schema
tests_integration_test_etsi_schema_SOURCES = tests/integration/test_etsi_schema.c
tests_integration_test_etsi_schema_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS)
tests_integration_test_etsi_schema_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-http.la \
	tests/harness/libharness.la $(check_LIBS)
# The test runs the built daemon.
EXTRA_tests_integration_test_etsi_schema_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT)
EXTRA_DIST += tests/integration/validate_etsi.py tests/data/etsi/MecAppSupportApi.yaml \
	tests/data/etsi/LICENSE-ETSI tests/data/etsi/README.md
