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

# Unit tests of the times knotd prints and the draft's conditions kept
# outside kstate.c: expiry (kexpiry.c) and Extended DNS Errors (kede.c).
check_PROGRAMS += tests/unit/test_conditions
TESTS += tests/unit/test_conditions
tests_unit_test_conditions_SOURCES = tests/unit/test_conditions.c syncd/kede.c syncd/kede.h
tests_unit_test_conditions_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libknot_CFLAGS)
tests_unit_test_conditions_LDADD = syncd/libmecdns-knotctl.la $(libknot_LIBS) $(check_LIBS)
