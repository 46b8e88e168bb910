# fuzz: libFuzzer targets (opt-in: configure --enable-fuzzing, clang).
# Each target compiles the product sources it exercises itself, with the
# fuzzer and sanitizer flags, so the normal build is untouched.
# `make fuzz` runs every target for FUZZ_SECONDS over a copy of its seed
# corpus (fuzz/corpus/<target>/) and fails on any crash; see fuzz/README.md.
FUZZ_TARGETS = fuzz/fuzz_rdata fuzz/fuzz_rule_json fuzz/fuzz_index fuzz/fuzz_canonical_name
FUZZ_SECONDS = 10

EXTRA_DIST += fuzz/README.md fuzz/corpus fuzz/run-fuzz.sh

if ENABLE_FUZZING
noinst_PROGRAMS = $(FUZZ_TARGETS)

fuzz_fuzz_rdata_SOURCES = fuzz/fuzz_rdata.c syncd/rdata.c syncd/rdata.h
fuzz_fuzz_rdata_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(libknot_CFLAGS) $(libzscanner_CFLAGS)
fuzz_fuzz_rdata_LDFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_rdata_LDADD = $(libzscanner_LIBS) $(libknot_LIBS)

fuzz_fuzz_rule_json_SOURCES = fuzz/fuzz_rule_json.c syncd/rule_json.c syncd/rule_json.h \
	syncd/validate.c syncd/validate.h store/names.c store/store.h
fuzz_fuzz_rule_json_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(libcjson_CFLAGS)
fuzz_fuzz_rule_json_LDFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_rule_json_LDADD = $(libcjson_LIBS) -lm

fuzz_fuzz_index_SOURCES = fuzz/fuzz_index.c module/index.c module/index.h
fuzz_fuzz_index_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS) $(libknot_CFLAGS)
fuzz_fuzz_index_LDFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_index_LDADD = $(libknot_LIBS)

fuzz_fuzz_canonical_name_SOURCES = fuzz/fuzz_canonical_name.c store/names.c store/store.h
fuzz_fuzz_canonical_name_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)
fuzz_fuzz_canonical_name_LDFLAGS = $(FUZZ_CFLAGS)

fuzz: $(FUZZ_TARGETS)
	$(AM_V_at)FUZZ_SECONDS='$(FUZZ_SECONDS)' $(SHELL) $(srcdir)/fuzz/run-fuzz.sh \
		'$(srcdir)/fuzz/corpus' fuzz $(FUZZ_TARGETS:fuzz/%=%)
else
fuzz:
	@echo "make fuzz: configure with --enable-fuzzing (and CC=clang) first" >&2; exit 1
endif
.PHONY: fuzz
