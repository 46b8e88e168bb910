# tests: Check unit tests and integration tests against real processes.
# Each part keeps its tests' rules in its own fragment.
include $(srcdir)/tests/harness/local.mk
include $(srcdir)/tests/index.mk
include $(srcdir)/tests/store.mk
include $(srcdir)/tests/module.mk
include $(srcdir)/tests/syncd.mk
include $(srcdir)/tests/signals.mk
