# SPDX-License-Identifier: GPL-3.0-or-later
# module: rules added by the module part

# index
noinst_LTLIBRARIES += module/libmecdns-index.la
module_libmecdns_index_la_SOURCES = module/index.c module/index.h module/owner.c \
	module/owner_block.h
module_libmecdns_index_la_CFLAGS = $(AM_CFLAGS) $(libknot_CFLAGS)
module_libmecdns_index_la_LIBADD = common/libmecdns-answer.la $(libknot_LIBS)

# mod-mecdns: the query module knotd loads (mecdns.so) and its refresher.
# The refresher is a convenience library so that tests/unit/test_refresh can
# link it without knotd; only knotd_mod_api is exported from mecdns.so.
noinst_LTLIBRARIES += module/libmecdns-refresh.la
module_libmecdns_refresh_la_SOURCES = module/refresh.c module/source.c \
	module/refresh.h module/refresh_internal.h
module_libmecdns_refresh_la_LIBADD = module/libmecdns-rows.la

# Row conversion (the columns of a rule or rrset row into index entries),
# also used by mecdns-syncd's lookup to explain answers exactly as the
# module builds them.
noinst_LTLIBRARIES += module/libmecdns-rows.la
module_libmecdns_rows_la_SOURCES = module/rows.c module/refresh.h module/refresh_internal.h
module_libmecdns_rows_la_CFLAGS = $(AM_CFLAGS) $(libknot_CFLAGS) $(sqlite3_CFLAGS) \
	$(liburcu_CFLAGS)
module_libmecdns_refresh_la_CFLAGS = $(AM_CFLAGS) $(libknot_CFLAGS) $(sqlite3_CFLAGS) \
	$(liburcu_CFLAGS) -pthread

module_LTLIBRARIES += module/mecdns.la
module_mecdns_la_SOURCES = module/mecdns.c
module_mecdns_la_CFLAGS = $(AM_CFLAGS) $(knotd_CFLAGS) $(libknot_CFLAGS) $(sqlite3_CFLAGS) \
	$(liburcu_CFLAGS) -pthread
module_mecdns_la_LDFLAGS = -module -avoid-version -shared -pthread \
	-export-symbols-regex '^knotd_mod_api$$'
module_mecdns_la_LIBADD = module/libmecdns-refresh.la module/libmecdns-index.la \
	schema/libmecdns-schema.la $(libknot_LIBS) $(sqlite3_LIBS) $(liburcu_LIBS)
EXTRA_DIST += module/mod-mecdns.rst
