# SPDX-License-Identifier: GPL-3.0-or-later
# tools: mecdns-db, the operator/test command line over the store; record
# data goes through syncd's parser (syncd/rdata.h), the rrecord API's own.
bin_PROGRAMS += tools/mecdns-db
tools_mecdns_db_SOURCES = tools/mecdns-db.c
tools_mecdns_db_CFLAGS = $(AM_CFLAGS) $(sqlite3_CFLAGS) $(libknot_CFLAGS)
tools_mecdns_db_LDADD = syncd/libmecdns-rdata.la store/libmecdns-store.la $(libzscanner_LIBS) $(libknot_LIBS)
dist_man_MANS += man/mecdns-db.1
