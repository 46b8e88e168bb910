# SPDX-License-Identifier: GPL-3.0-or-later
# tools: mecdns-db, the operator/test command line over the store; record
# data goes through the rrecord API's own parser (common/rdata.h).
bin_PROGRAMS += tools/mecdns-db
tools_mecdns_db_SOURCES = tools/mecdns-db.c
tools_mecdns_db_CFLAGS = $(AM_CFLAGS) $(sqlite3_CFLAGS) $(libknot_CFLAGS)
tools_mecdns_db_LDADD = common/libmecdns-rdata.la store/libmecdns-store.la $(libzscanner_LIBS) $(libknot_LIBS)
dist_man_MANS += man/mecdns-db.1

# mecdnsctl: the operator's CLI over syncd's REST API (libcurl), with its
# own DNS questions (libknot) and the backup reader (schema, SQLite).
bin_PROGRAMS += tools/mecdnsctl
tools_mecdnsctl_SOURCES = tools/ctl/main.c tools/ctl/ctl.h tools/ctl/client.c \
	tools/ctl/client.h tools/ctl/rules.c tools/ctl/ops.c tools/ctl/dns.c \
	tools/ctl/transfer.c common/config_file.c common/config_file.h common/log.c common/log.h
tools_mecdnsctl_CFLAGS = $(AM_CFLAGS) $(libcurl_CFLAGS) $(libcjson_CFLAGS) $(libknot_CFLAGS) \
	$(libzscanner_CFLAGS) $(sqlite3_CFLAGS)
tools_mecdnsctl_LDADD = schema/libmecdns-schema.la common/libmecdns-answer.la $(libcurl_LIBS) $(libcjson_LIBS) \
	$(libzscanner_LIBS) $(libknot_LIBS) $(sqlite3_LIBS)
dist_man_MANS += man/mecdnsctl.8
EXTRA_DIST += tools/mecdnsctl.conf.example
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = tools/completion/mecdnsctl

# mecdns-place: anycast placement planning (which hosts serve and announce).
noinst_LTLIBRARIES += tools/libmecdns-place.la
tools_libmecdns_place_la_SOURCES = tools/place/solve.c tools/place/solve.h
tools_libmecdns_place_la_LIBADD = -lm
bin_PROGRAMS += tools/mecdns-place
tools_mecdns_place_SOURCES = tools/place/place.c tools/place/measure.c tools/place/measure.h
tools_mecdns_place_CFLAGS = $(AM_CFLAGS) $(libcjson_CFLAGS)
tools_mecdns_place_LDADD = tools/libmecdns-place.la $(libcjson_LIBS) -lm
dist_man_MANS += man/mecdns-place.1
