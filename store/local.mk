# SPDX-License-Identifier: GPL-3.0-or-later
# store: the only code that writes SQL (rules, rrsets, change log), plus the
# canonical domain name form shared by syncd's validation.
noinst_LTLIBRARIES += store/libmecdns-store.la
store_libmecdns_store_la_SOURCES = store/connection.c store/writer.c store/rules.c store/contexts.c store/grants.c \
	store/rrsets.c store/changes.c store/zone_rows.c store/names.c store/lookup.c store/backup.c store/store.h \
	store/internal.h
store_libmecdns_store_la_CFLAGS = $(AM_CFLAGS) $(sqlite3_CFLAGS) $(libknot_CFLAGS) -pthread
store_libmecdns_store_la_LIBADD = common/libmecdns-answer.la schema/libmecdns-schema.la $(sqlite3_LIBS) $(libknot_LIBS) -lpthread
