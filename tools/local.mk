# SPDX-License-Identifier: GPL-3.0-or-later
# tools: mecdns-db, the operator/test command line over the store; record
# data goes through the rrecord API's own parser (common/rdata.h).
bin_PROGRAMS += tools/mecdns-db
tools_mecdns_db_SOURCES = tools/mecdns-db.c
tools_mecdns_db_CFLAGS = $(AM_CFLAGS) $(sqlite3_CFLAGS) $(libknot_CFLAGS)
tools_mecdns_db_LDADD = common/libmecdns-rdata.la store/libmecdns-store.la $(libzscanner_LIBS) $(libknot_LIBS)
dist_man_MANS += man/mecdns-db.1
