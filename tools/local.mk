# tools: mecdns-db, the operator/test command line over the store.
bin_PROGRAMS += tools/mecdns-db
tools_mecdns_db_SOURCES = tools/mecdns-db.c
tools_mecdns_db_CFLAGS = $(AM_CFLAGS) $(sqlite3_CFLAGS) $(libknot_CFLAGS) $(libzscanner_CFLAGS)
tools_mecdns_db_LDADD = store/libmecdns-store.la $(libzscanner_LIBS) $(libknot_LIBS)
dist_man_MANS += man/mecdns-db.1
