/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  A Knot DNS query module with two planted bugs, for
 *  tests/integration/test_sanitize: on load it leaks a block and makes a
 *  signed integer overflow. Built only with --enable-sanitizers, never
 *  installed. It proves that knotd running an ASan-built module reports
 *  what goes wrong in it, with the module's own function names.
 */

#include <limits.h>
#include <stdlib.h>

#include <knot/module.h>

/*! Kept volatile so that the compiler cannot fold the overflow away. */
static volatile int sanitize_int_max = INT_MAX;

static const yp_item_t sanitize_conf[] = { { NULL } };

/*! \brief The planted leak (a named function, for the report). */
static __attribute__((noinline)) void *sanitize_leak_block(void)
{
	return malloc(4242);
}

static int sanitize_load(knotd_mod_t *mod)
{
	void *block = sanitize_leak_block();
	int overflow = sanitize_int_max;
	overflow += (block != NULL) ? 1 : 2;
	knotd_mod_log(mod, LOG_INFO, "planted bugs done (%d)", overflow);
	return KNOT_EOK;
}

KNOTD_MOD_API(sanitize, KNOTD_MOD_FLAG_SCOPE_ANY, sanitize_load, NULL, sanitize_conf, NULL);
