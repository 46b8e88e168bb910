# SPDX-License-Identifier: GPL-3.0-or-later
# fuzz: libFuzzer targets (opt-in: configure --enable-fuzzing, clang).
# Each target compiles the product sources it exercises itself, with the
# fuzzer and sanitizer flags, so the normal build is untouched.
# `make fuzz` runs every target for FUZZ_SECONDS over a copy of its seed
# corpus (fuzz/corpus/<target>/) and fails on any crash; see fuzz/README.md.
FUZZ_TARGETS = fuzz/fuzz_rdata fuzz/fuzz_rule_json fuzz/fuzz_index fuzz/fuzz_canonical_name \
	fuzz/fuzz_rest fuzz/fuzz_refresh fuzz/fuzz_query
FUZZ_SECONDS = 10

EXTRA_DIST += fuzz/README.md fuzz/corpus fuzz/run-fuzz.sh fuzz/ci.sh fuzz/refresh_seeds.py

if ENABLE_FUZZING
noinst_PROGRAMS = $(FUZZ_TARGETS)

fuzz_fuzz_rdata_SOURCES = fuzz/fuzz_rdata.c common/rdata.c common/rdata.h common/answer.c
fuzz_fuzz_rdata_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(libknot_CFLAGS) $(libzscanner_CFLAGS)
fuzz_fuzz_rdata_LDFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_rdata_LDADD = $(libzscanner_LIBS) $(libknot_LIBS)

fuzz_fuzz_rule_json_SOURCES = fuzz/fuzz_rule_json.c syncd/rule_json.c syncd/rule_json.h \
	syncd/validate.c syncd/validate.h store/names.c store/store.h common/subnet.c \
	common/subnet.h common/answer.c common/answer.h
fuzz_fuzz_rule_json_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(libcjson_CFLAGS)
fuzz_fuzz_rule_json_LDFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_rule_json_LDADD = $(libcjson_LIBS) -lm

fuzz_fuzz_index_SOURCES = fuzz/fuzz_index.c module/index.c module/index.h module/owner.c module/owner_block.h common/answer.c common/subnet.c
fuzz_fuzz_index_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(libknot_CFLAGS)
fuzz_fuzz_index_LDFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_index_LDADD = $(libknot_LIBS)

fuzz_fuzz_canonical_name_SOURCES = fuzz/fuzz_canonical_name.c store/names.c store/store.h \
	common/answer.c common/answer.h
fuzz_fuzz_canonical_name_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
fuzz_fuzz_canonical_name_LDFLAGS = $(FUZZ_CFLAGS)

# The REST path: routes, handlers, validation and the store on a real
# SQLite file; fuzz_rest.c stands in for http.c (see its comment).
fuzz_fuzz_rest_SOURCES = fuzz/fuzz_rest.c syncd/routes.c syncd/api.h syncd/api_mp1.c \
	syncd/api_mm5.c syncd/api_rrecord.c syncd/api_easdf.c syncd/api_ops.c syncd/api_ctl.c syncd/paging.c syncd/paging.h \
	syncd/histogram.c syncd/histogram.h syncd/notify.c syncd/notify.h \
	module/index.c module/index.h module/owner.c module/owner_block.h module/rows.c \
	store/lookup.c store/backup.c syncd/metrics.c syncd/metrics.h \
	syncd/limits.c syncd/limits.h syncd/auth.c syncd/auth.h syncd/problem.c syncd/problem.h \
	common/rdata.c common/rdata.h common/answer.c common/subnet.c syncd/response.c syncd/response.h syncd/rule_json.c \
	syncd/rule_json.h syncd/validate.c syncd/validate.h syncd/json_input.c syncd/json_input.h \
	common/log.c common/log.h common/utf8.c common/utf8.h common/config_file.c common/config_file.h \
	store/connection.c store/writer.c store/rules.c store/contexts.c store/grants.c store/rrsets.c store/changes.c \
	store/zone_rows.c store/names.c store/store.h store/internal.h schema/schema.c schema/schema.h
fuzz_fuzz_rest_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(libcjson_CFLAGS) $(libknot_CFLAGS) \
	$(liburcu_CFLAGS) $(libzscanner_CFLAGS) $(gnutls_CFLAGS) $(sqlite3_CFLAGS) -pthread
fuzz_fuzz_rest_LDFLAGS = $(FUZZ_CFLAGS) -pthread
fuzz_fuzz_rest_LDADD = $(libcjson_LIBS) $(libzscanner_LIBS) $(libknot_LIBS) $(gnutls_LIBS) \
	$(sqlite3_LIBS) -lm

# The module's refresher on a hostile database written with raw SQL
# (fuzz_refresh.c includes module/refresh.c to drive it without its thread).
fuzz_fuzz_refresh_SOURCES = fuzz/fuzz_refresh.c common/answer.c common/subnet.c module/index.c module/index.h module/owner.c module/owner_block.h \
	module/source.c module/rows.c module/refresh.h module/refresh_internal.h \
	schema/schema.c schema/schema.h
EXTRA_fuzz_fuzz_refresh_SOURCES = module/refresh.c
fuzz_fuzz_refresh_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(libknot_CFLAGS) $(sqlite3_CFLAGS) \
	$(liburcu_CFLAGS) -pthread
fuzz_fuzz_refresh_LDFLAGS = $(FUZZ_CFLAGS) -pthread
fuzz_fuzz_refresh_LDADD = $(libknot_LIBS) $(sqlite3_LIBS) $(liburcu_LIBS)

# The module's BEGIN hook on DNS messages; fuzz_query.c stands in for the
# knotd functions the module calls (see its comment).
fuzz_fuzz_query_SOURCES = fuzz/fuzz_query.c module/mecdns.c module/refresh.c common/answer.c common/subnet.c common/report.c \
	module/source.c module/rows.c module/refresh_internal.h \
	module/refresh.h module/index.c module/index.h module/owner.c module/owner_block.h schema/schema.c schema/schema.h
fuzz_fuzz_query_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(knotd_CFLAGS) $(libknot_CFLAGS) \
	$(sqlite3_CFLAGS) $(liburcu_CFLAGS) -pthread
fuzz_fuzz_query_LDFLAGS = $(FUZZ_CFLAGS) -pthread
fuzz_fuzz_query_LDADD = $(libknot_LIBS) $(sqlite3_LIBS) $(liburcu_LIBS) -ldl

fuzz-build: $(FUZZ_TARGETS)

fuzz: $(FUZZ_TARGETS)
	$(AM_V_at)FUZZ_SECONDS='$(FUZZ_SECONDS)' $(SHELL) $(srcdir)/fuzz/run-fuzz.sh \
		'$(srcdir)/fuzz/corpus' fuzz $(FUZZ_TARGETS:fuzz/%=%)
else
fuzz fuzz-build:
	@echo "make $@: configure with --enable-fuzzing (and CC=clang) first" >&2; exit 1
endif
.PHONY: fuzz fuzz-build
