# SPDX-License-Identifier: GPL-3.0-or-later
# tests: common/bus.c (bus settings, private connections, the reconnect
# policy) against a real private dbus-daemon.
check_PROGRAMS += tests/unit/test_bus
TESTS += tests/unit/test_bus
tests_unit_test_bus_SOURCES = tests/unit/test_bus.c
tests_unit_test_bus_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(dbus_CFLAGS) -pthread
tests_unit_test_bus_LDADD = common/libmecdns-bus.la tests/harness/libharness-dbus.la \
	tests/harness/libharness.la $(check_LIBS) $(dbus_LIBS) -lpthread
