# SPDX-License-Identifier: GPL-3.0-or-later
# tests: index
check_PROGRAMS += tests/unit/test_index
TESTS += tests/unit/test_index
tests_unit_test_index_SOURCES = tests/unit/test_index.c
tests_unit_test_index_CFLAGS = $(AM_CFLAGS) $(libknot_CFLAGS) $(check_CFLAGS)
tests_unit_test_index_LDADD = module/libmecdns-index.la $(check_LIBS) $(libknot_LIBS)

# The index tests under valgrind: leaks and invalid accesses fail the run.
check-index-valgrind: tests/unit/test_index$(EXEEXT)
	CK_FORK=no $(LIBTOOL) --mode=execute valgrind --quiet \
		--soname-synonyms=somalloc=nouserintercepts --leak-check=full \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
		tests/unit/test_index$(EXEEXT)
.PHONY: check-index-valgrind
