# SPDX-License-Identifier: GPL-3.0-or-later
# common: code every mecdns program shares.
#
# libmecdns-bus.la: the one way onto D-Bus (bus settings, private
# connections, the reconnect policy) for syncd's signals, syncd's knotd event
# listener and mecdns-announce.
noinst_LTLIBRARIES += common/libmecdns-bus.la
common_libmecdns_bus_la_SOURCES = common/bus.c common/bus.h
common_libmecdns_bus_la_CFLAGS = $(AM_CFLAGS) $(dbus_CFLAGS)
common_libmecdns_bus_la_LIBADD = $(dbus_LIBS)

# Header-only pieces: the monotonic clock and the error-message convention.
noinst_HEADERS += common/clock.h common/error.h
