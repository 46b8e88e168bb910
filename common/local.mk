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

# libmecdns-answer.la: the answer rules (answer.h: types served, CNAME and
# TTL precedence, name-in-zone; subnet.h: client-subnet scopes) for the
# module, the store, the API, zone sync and mecdns-db. No dependencies, so
# every part can link it.
noinst_LTLIBRARIES += common/libmecdns-answer.la
common_libmecdns_answer_la_SOURCES = common/answer.c common/answer.h common/array.h common/subnet.c common/subnet.h \
	common/report.c common/report.h

# libmecdns-rdata.la: record data, presentation <-> wire (libzscanner), for
# the rrecord API, zone sync and mecdns-db, which reads record text exactly
# as the API does without linking the daemon's JSON and TLS libraries.
noinst_LTLIBRARIES += common/libmecdns-rdata.la
common_libmecdns_rdata_la_SOURCES = common/rdata.c common/rdata.h
common_libmecdns_rdata_la_CFLAGS = $(AM_CFLAGS) $(libknot_CFLAGS) $(libzscanner_CFLAGS)
common_libmecdns_rdata_la_LIBADD = common/libmecdns-answer.la $(libzscanner_LIBS) $(libknot_LIBS)

# Header-only pieces: the monotonic clock, the error-message convention and
# the slots of mod-mecdns's Extended DNS Error counter, the tools' ADDR[@PORT].
noinst_HEADERS += common/clock.h common/error.h common/ede.h common/server_addr.h

# libmecdns-mqtt.la: the MQTT settings and client setup (mqtt.h) that
# mecdns-syncd's publisher and mecdns-announce's listener share.
noinst_LTLIBRARIES += common/libmecdns-mqtt.la
common_libmecdns_mqtt_la_SOURCES = common/mqtt.c common/mqtt.h
common_libmecdns_mqtt_la_CFLAGS = $(AM_CFLAGS) $(libmosquitto_CFLAGS)
common_libmecdns_mqtt_la_LIBADD = $(libmosquitto_LIBS)
