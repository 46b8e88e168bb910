# SPDX-License-Identifier: GPL-3.0-or-later
# tests: Check unit tests and integration tests against real processes.
# Each part keeps its tests' rules in its own fragment.
AM_TESTS_ENVIRONMENT = \
	MECDNS_BUILDDIR='$(abs_top_builddir)'; export MECDNS_BUILDDIR; \
	MECDNS_SRCDIR='$(abs_top_srcdir)'; export MECDNS_SRCDIR; \
	KNOTD='$(KNOTD)'; export KNOTD; \
	KNOTC='$(KNOTC)'; export KNOTC; \
	KDIG='$(KDIG)'; export KDIG; \
	DBUS_DAEMON='$(DBUS_DAEMON)'; export DBUS_DAEMON; \
	CK_DEFAULT_TIMEOUT=300; export CK_DEFAULT_TIMEOUT;
EXTRA_DIST += tests/README.md

include $(srcdir)/tests/harness/local.mk
include $(srcdir)/tests/bus.mk
include $(srcdir)/tests/schema.mk
include $(srcdir)/tests/index.mk
include $(srcdir)/tests/store.mk
include $(srcdir)/tests/module.mk
include $(srcdir)/tests/module_unit.mk
include $(srcdir)/tests/syncd.mk
include $(srcdir)/tests/signals.mk
include $(srcdir)/tests/knotctl.mk
include $(srcdir)/tests/e2e.mk
include $(srcdir)/tests/tenants.mk
include $(srcdir)/tests/scopes.mk
include $(srcdir)/tests/reports.mk
include $(srcdir)/tests/ctl.mk
include $(srcdir)/tests/place.mk
include $(srcdir)/tests/announce.mk
include $(srcdir)/tests/state.mk
include $(srcdir)/tests/conditions.mk
include $(srcdir)/tests/mqtt.mk
include $(srcdir)/tests/zonesync.mk
include $(srcdir)/tests/types.mk
include $(srcdir)/tests/faults.mk
include $(srcdir)/tests/limits.mk
include $(srcdir)/tests/tls.mk
include $(srcdir)/tests/crash.mk
include $(srcdir)/tests/etsi.mk
include $(srcdir)/tests/install.mk
include $(srcdir)/tests/sanitize.mk
