# SPDX-License-Identifier: GPL-3.0-or-later
# tests: install-time hardening (issue 7, "Security") -- what `make install`
# puts under DESTDIR (units, sysusers.d, tmpfiles.d, the D-Bus policy),
# checked with systemd-analyze verify / security --offline, systemd-sysusers
# and systemd-tmpfiles --root, and xmllint; then the database directory with
# the installed modes: mecdns-syncd as the user mecdns writes, knotd as knot
# reads and cannot write (root only, skipped otherwise).
check_PROGRAMS += tests/integration/test_install
TESTS += tests/integration/test_install
tests_integration_test_install_SOURCES = tests/integration/test_install.c
tests_integration_test_install_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libknot_CFLAGS) \
	$(sqlite3_CFLAGS)
tests_integration_test_install_LDADD = tests/harness/libharness-http.la \
	tests/harness/libharness-dns.la tests/harness/libharness.la \
	$(check_LIBS) $(libknot_LIBS) $(sqlite3_LIBS)
# The test installs the built daemons and data files, runs the daemon and
# loads the built module.
EXTRA_tests_integration_test_install_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	announce/mecdns-announce$(EXEEXT) module/mecdns.la \
	$(systemdsystemunit_DATA) $(tmpfiles_DATA)
# Where `make install` puts things (the test looks for them under DESTDIR).
AM_TESTS_ENVIRONMENT += \
	MECDNS_INSTALL_PREFIX='$(prefix)'; export MECDNS_INSTALL_PREFIX; \
	MECDNS_INSTALL_SBINDIR='$(sbindir)'; export MECDNS_INSTALL_SBINDIR; \
	MECDNS_INSTALL_SYSCONFDIR='$(sysconfdir)'; export MECDNS_INSTALL_SYSCONFDIR; \
	MECDNS_INSTALL_UNITDIR='$(systemdsystemunitdir)'; export MECDNS_INSTALL_UNITDIR; \
	MECDNS_INSTALL_SYSUSERSDIR='$(sysusersdir)'; export MECDNS_INSTALL_SYSUSERSDIR; \
	MECDNS_INSTALL_TMPFILESDIR='$(tmpfilesdir)'; export MECDNS_INSTALL_TMPFILESDIR; \
	MECDNS_INSTALL_DBUSPOLICYDIR='$(dbuspolicydir)'; export MECDNS_INSTALL_DBUSPOLICYDIR;
