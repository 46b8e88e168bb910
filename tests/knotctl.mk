# SPDX-License-Identifier: GPL-3.0-or-later
# tests: knotctl -- integration tests of syncd/knotctl.c against the real
# knotd (tests/harness/knotd.h). The part on mod-mecdns's counters runs only
# when $(builddir)/module/.libs/mecdns.so is built.


check_PROGRAMS += tests/integration/test_knotctl
TESTS += tests/integration/test_knotctl
tests_integration_test_knotctl_SOURCES = tests/integration/test_knotctl.c
tests_integration_test_knotctl_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libknot_CFLAGS)
tests_integration_test_knotctl_LDADD = \
	syncd/libmecdns-knotctl.la \
	tests/harness/libharness-dns.la tests/harness/libharness.la \
	$(libknot_LIBS) $(check_LIBS)

# Unit tests of the times knotd prints and the expiry conditions (kexpiry.c).
check_PROGRAMS += tests/unit/test_kexpiry
TESTS += tests/unit/test_kexpiry
tests_unit_test_kexpiry_SOURCES = tests/unit/test_kexpiry.c
tests_unit_test_kexpiry_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libknot_CFLAGS)
tests_unit_test_kexpiry_LDADD = syncd/libmecdns-knotctl.la $(libknot_LIBS) $(check_LIBS)
