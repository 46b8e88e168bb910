# SPDX-License-Identifier: GPL-3.0-or-later
# tests: TLS and mutual TLS of mecdns-syncd (issue 7, "Security") -- the
# scope x route group matrix over mutual TLS, the TLS edges, and SIGHUP
# reload of certificate, key and client CA, against the real mecdns-syncd
# with a test PKI made by tls_pki.sh (needs openssl).

# A tiny HTTPS client (GnuTLS) for integration tests.
check_LTLIBRARIES += tests/harness/libharness-https.la
tests_harness_libharness_https_la_SOURCES = tests/harness/https.c tests/harness/https.h
tests_harness_libharness_https_la_CFLAGS = $(AM_CFLAGS) $(gnutls_CFLAGS)
tests_harness_libharness_https_la_LIBADD = tests/harness/libharness-http.la $(gnutls_LIBS)

check_PROGRAMS += tests/integration/test_tls
TESTS += tests/integration/test_tls
tests_integration_test_tls_SOURCES = tests/integration/test_tls.c
tests_integration_test_tls_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libcjson_CFLAGS) -pthread
tests_integration_test_tls_LDADD = tests/harness/libharness-syncd.la \
	tests/harness/libharness-https.la tests/harness/libharness-problem.la \
	tests/harness/libharness-http.la \
	tests/harness/libharness.la $(check_LIBS) $(libcjson_LIBS) $(gnutls_LIBS) -lpthread
EXTRA_DIST += tests/integration/tls_pki.sh
# The test runs the built daemon and mecdnsctl.
EXTRA_tests_integration_test_tls_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) tools/mecdnsctl$(EXEEXT)
