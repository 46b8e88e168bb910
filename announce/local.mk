# SPDX-License-Identifier: GPL-3.0-or-later
# announce: mecdns-announce, the D-Bus listener that announces and withdraws
# the DNS service prefix through a BGP daemon (BIRD 2, ExaBGP, GoBGP).
#
# libmecdns-announce.la holds everything but main(), so that tests can
# exercise the profiles, the argv splitting and the hold-down directly.
noinst_LTLIBRARIES += announce/libmecdns-announce.la
announce_libmecdns_announce_la_SOURCES = \
	announce/mqtt_listener.c announce/mqtt_listener.h \
	announce/actions.c announce/actions.h \
	announce/config.c announce/config.h \
	announce/hold_down.c announce/hold_down.h \
	announce/listener.c announce/listener.h \
	common/config_file.c common/config_file.h \
	common/log.c common/log.h \
	announce/profile.c announce/profile.h
announce_libmecdns_announce_la_CFLAGS = $(AM_CFLAGS) $(dbus_CFLAGS) $(libknot_CFLAGS) \
	$(libmosquitto_CFLAGS)
announce_libmecdns_announce_la_LIBADD = common/libmecdns-bus.la common/libmecdns-mqtt.la \
	$(dbus_LIBS) $(libknot_LIBS) $(libmosquitto_LIBS)

sbin_PROGRAMS += announce/mecdns-announce
announce_mecdns_announce_SOURCES = announce/mecdns-announce.c
announce_mecdns_announce_CFLAGS = $(AM_CFLAGS) $(dbus_CFLAGS)
announce_mecdns_announce_LDADD = announce/libmecdns-announce.la $(dbus_LIBS) $(libknot_LIBS) \
	$(libmosquitto_LIBS)

dist_man_MANS += man/mecdns-announce.8
EXTRA_DIST += announce/mecdns-announce.service.in announce/mecdns-announce.conf.example

# The unit goes where syncd's goes (systemdsystemunitdir, see syncd/local.mk).
systemdsystemunit_DATA += announce/mecdns-announce.service
CLEANFILES += announce/mecdns-announce.service
announce/mecdns-announce.service: $(srcdir)/announce/mecdns-announce.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) announce && sed -e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/announce/mecdns-announce.service.in > $@-t && mv $@-t $@
