# SPDX-License-Identifier: GPL-3.0-or-later
# schema: versioned SQLite schema, migrations, opening a database file.
noinst_LTLIBRARIES += schema/libmecdns-schema.la
schema_libmecdns_schema_la_SOURCES = schema/schema.c schema/schema.h
schema_libmecdns_schema_la_CFLAGS = $(AM_CFLAGS) $(sqlite3_CFLAGS)
schema_libmecdns_schema_la_LIBADD = $(sqlite3_LIBS)

