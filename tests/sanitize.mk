# SPDX-License-Identifier: GPL-3.0-or-later
# tests: the environment of every test program in a --enable-sanitizers
# build (ASan + UBSan + LeakSanitizer; scripts/sanitize.sh runs it all).
#
# Every report of every process a test starts -- the test program and its
# forked Check children, knotd (the harness preloads the ASan runtime into
# it), mecdns-syncd, mecdns-announce, mecdns-db -- is written as a file
# sanitizer-reports/<test>/san.<program>.<pid> in the build directory,
# instead of going to the process's stderr. The directory is
# world-writable (sticky) because knotd may run as user knot. Programs
# that are not built with the sanitizers (dbus-daemon, knotc, kdig, NSD,
# BIRD, curl) ignore these variables and get no preload.
#
# ASan and UBSan in one process share one report file, so both point to
# the same log_path; scripts/sanitize.sh tells the reports apart by
# their headers. UBSan logs and goes on (the script counts); LeakSanitizer
# reads tests/data/lsan.supp (what is not ours, each entry explained).
EXTRA_DIST += tests/data/lsan.supp
if ENABLE_SANITIZERS
AM_TESTS_ENVIRONMENT += \
	MECDNS_SANITIZER_DIR='$(abs_top_builddir)/sanitizer-reports/$(@:.log=)'; \
	export MECDNS_SANITIZER_DIR; \
	$(MKDIR_P) "$$MECDNS_SANITIZER_DIR" && chmod 1777 "$$MECDNS_SANITIZER_DIR"; \
	ASAN_OPTIONS="log_path=$$MECDNS_SANITIZER_DIR/san:log_exe_name=1:detect_leaks=1:detect_stack_use_after_return=1"; \
	export ASAN_OPTIONS; \
	UBSAN_OPTIONS="log_path=$$MECDNS_SANITIZER_DIR/san:log_exe_name=1:print_stacktrace=1:halt_on_error=0"; \
	export UBSAN_OPTIONS; \
	LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/data/lsan.supp:print_suppressions=0'; \
	export LSAN_OPTIONS;

# The wiring itself: knotd with a planted-bug ASan module must report both
# bugs (test_sanitize.c). -rpath makes libtool build a shared module.
check_LTLIBRARIES += tests/integration/sanitize_module.la
tests_integration_sanitize_module_la_SOURCES = tests/integration/sanitize_module.c
tests_integration_sanitize_module_la_CFLAGS = $(AM_CFLAGS) $(knotd_CFLAGS) $(libknot_CFLAGS)
tests_integration_sanitize_module_la_LDFLAGS = -module -avoid-version -shared \
	-rpath '$(abs_builddir)/tests/integration'

check_PROGRAMS += tests/integration/test_sanitize
TESTS += tests/integration/test_sanitize
tests_integration_test_sanitize_SOURCES = tests/integration/test_sanitize.c
tests_integration_test_sanitize_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libknot_CFLAGS)
tests_integration_test_sanitize_LDADD = tests/harness/libharness-dns.la \
	tests/harness/libharness.la $(check_LIBS) $(libknot_LIBS)
EXTRA_tests_integration_test_sanitize_DEPENDENCIES = tests/integration/sanitize_module.la
endif
