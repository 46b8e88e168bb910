# SPDX-License-Identifier: GPL-3.0-or-later
# tests: store (store/store.h, store/names.c) and the mecdns-db tool (whose
# record data is checked against common/rdata.h, the rrecord API's parser).
check_PROGRAMS += tests/unit/test_store
TESTS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(sqlite3_CFLAGS) -pthread
tests_unit_test_store_LDADD = common/libmecdns-rdata.la store/libmecdns-store.la $(check_LIBS) -lpthread
