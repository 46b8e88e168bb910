# SPDX-License-Identifier: GPL-3.0-or-later
# syncd/signals: the D-Bus emitter (signals.c), its introspection XML and the
# system bus policy. Included from syncd/local.mk.
noinst_LTLIBRARIES += syncd/libmecdns-signals.la
syncd_libmecdns_signals_la_SOURCES = syncd/signals.c syncd/signals.h \
	syncd/signals_state.c syncd/signals_internal.h \
	syncd/histogram.c syncd/histogram.h
nodist_syncd_libmecdns_signals_la_SOURCES = syncd/signals-introspect.h
syncd_libmecdns_signals_la_CFLAGS = $(AM_CFLAGS) $(dbus_CFLAGS) $(sqlite3_CFLAGS) -pthread
syncd_libmecdns_signals_la_LIBADD = common/libmecdns-bus.la $(dbus_LIBS) -lpthread

# Introspect answers with the installed XML, compiled in as a C string.
syncd/signals-introspect.h: $(srcdir)/syncd/org.mecdns.syncd.xml
	$(AM_V_GEN)$(MKDIR_P) syncd && { \
		echo '/* Generated from syncd/org.mecdns.syncd.xml; do not edit. */'; \
		echo 'static const char INTROSPECT_XML[] ='; \
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/' \
			$(srcdir)/syncd/org.mecdns.syncd.xml; \
		echo ';'; \
	} > $@-t && mv $@-t $@
$(syncd_libmecdns_signals_la_OBJECTS): syncd/signals-introspect.h
CLEANFILES += syncd/signals-introspect.h

# D-Bus files; under $(datadir) (not /etc) so that distcheck stays inside
# the prefix. dbus-daemon reads $(datadir)/dbus-1/system.d when datadir is
# /usr/share; packagers may move the policy to /etc/dbus-1/system.d.
dbuspolicydir = $(datadir)/dbus-1/system.d
dist_dbuspolicy_DATA = syncd/org.mecdns.syncd.conf
dbusinterfacesdir = $(datadir)/dbus-1/interfaces
dist_dbusinterfaces_DATA = syncd/org.mecdns.syncd.xml
