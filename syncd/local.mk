# SPDX-License-Identifier: GPL-3.0-or-later
# syncd: mecdns-syncd, the daemon (REST APIs, the SQLite writer through the
# store, D-Bus signals through syncd/signals.c).
# Record data is parsed by common/libmecdns-rdata.la (common/local.mk).

# libmecdns-syncd.la holds what unit tests exercise without a running
# daemon: validation, DnsRule JSON, ProblemDetails, tokens, record data,
# configuration, the Extended DNS Error conditions.
noinst_LTLIBRARIES += syncd/libmecdns-syncd.la
syncd_libmecdns_syncd_la_SOURCES = \
	syncd/auth.c syncd/auth.h \
	syncd/config.c syncd/config.h \
	syncd/grants_file.c syncd/grants_file.h \
	syncd/json_input.c syncd/json_input.h \
	syncd/kede.c syncd/kede.h \
	syncd/limits.c syncd/limits.h \
	common/config_file.c common/config_file.h \
	common/log.c common/log.h \
	common/utf8.c common/utf8.h \
	syncd/problem.c syncd/problem.h \
	syncd/response.c syncd/response.h \
	syncd/rule_json.c syncd/rule_json.h \
	syncd/validate.c syncd/validate.h
syncd_libmecdns_syncd_la_CFLAGS = $(AM_CFLAGS) $(libcjson_CFLAGS) $(libknot_CFLAGS) \
	$(libzscanner_CFLAGS) $(gnutls_CFLAGS) $(sqlite3_CFLAGS)
syncd_libmecdns_syncd_la_LIBADD = common/libmecdns-rdata.la store/libmecdns-store.la $(libcjson_LIBS) $(libknot_LIBS) \
	$(libzscanner_LIBS) $(gnutls_LIBS) -lm

sbin_PROGRAMS += syncd/mecdns-syncd
syncd_mecdns_syncd_SOURCES = \
	syncd/main.c \
	syncd/api.h syncd/api_mp1.c syncd/api_mm5.c syncd/api_rrecord.c syncd/api_easdf.c syncd/api_ops.c \
	syncd/api_ctl.c syncd/paging.c syncd/paging.h \
	syncd/http.c syncd/http.h \
	syncd/metrics.c syncd/metrics.h \
	syncd/notify.c syncd/notify.h \
	syncd/reports.c syncd/reports.h \
	syncd/routes.c
syncd_mecdns_syncd_CFLAGS = $(AM_CFLAGS) $(libmicrohttpd_CFLAGS) $(libcjson_CFLAGS) \
	$(libknot_CFLAGS) $(liburcu_CFLAGS) $(gnutls_CFLAGS) $(dbus_CFLAGS) $(sqlite3_CFLAGS) -pthread
syncd_mecdns_syncd_LDADD = syncd/libmecdns-syncd.la syncd/libmecdns-signals.la \
	module/libmecdns-rows.la module/libmecdns-index.la \
	store/libmecdns-store.la schema/libmecdns-schema.la \
	$(libmicrohttpd_LIBS) $(libcjson_LIBS) $(libzscanner_LIBS) $(libknot_LIBS) \
	$(dbus_LIBS) $(gnutls_LIBS) $(sqlite3_LIBS) -lpthread

dist_man_MANS += man/mecdns-syncd.8
EXTRA_DIST += syncd/mecdns-syncd.service.in syncd/mecdns-syncd.conf.example

# The systemd unit goes under $(prefix)/lib/systemd/system: with prefix /usr
# that is Debian's unit directory, with /usr/local systemd reads it too, and
# distcheck stays inside its prefix. Override with
# `make install systemdsystemunitdir=DIR`.
systemdsystemunitdir = $(prefix)/lib/systemd/system
systemdsystemunit_DATA = syncd/mecdns-syncd.service
CLEANFILES += syncd/mecdns-syncd.service
syncd/mecdns-syncd.service: $(srcdir)/syncd/mecdns-syncd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) syncd && sed -e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@localstatedir[@]|$(localstatedir)|g' \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/syncd/mecdns-syncd.service.in > $@-t && mv $@-t $@

# The user mecdns and the directories (sysusers.d, tmpfiles.d).
include $(srcdir)/syncd/install.mk

# D-Bus emitter and Knot control-socket client: their own fragments.
include $(srcdir)/syncd/signals.mk
include $(srcdir)/syncd/knotctl.mk

# The MQTT channel (mqtt.c, libmosquitto): the signals also on a broker.
syncd_mecdns_syncd_SOURCES += syncd/mqtt.c syncd/mqtt.h
syncd_mecdns_syncd_CFLAGS += $(libmosquitto_CFLAGS)
syncd_mecdns_syncd_LDADD += common/libmecdns-mqtt.la $(libmosquitto_LIBS)

# Knot state (kstate.c: conditions and their signals; kevents.c:
# knotd's own D-Bus events) -- part of the daemon, polling knotd through
# the control-socket client.
syncd_mecdns_syncd_SOURCES += \
	syncd/kstate.c syncd/kstate.h \
	syncd/kevents.c syncd/kevents.h \
	syncd/zoneguard.c syncd/zoneguard.h
syncd_mecdns_syncd_LDADD += syncd/libmecdns-knotctl.la

# Zone sync (zonesync.c): mirrors mecdns's answers under the synced zones
# into the real Knot zones through control-socket transactions (knotctl),
# with the ownership table and cursor kept by the store.
syncd_mecdns_syncd_SOURCES += syncd/zonesync.c syncd/zonesync.h syncd/zoneplan.c syncd/zoneplan.h
syncd_mecdns_syncd_LDADD += syncd/libmecdns-knotctl.la
