/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Tests of common/bus.c, the one way onto D-Bus: bus settings, private
 *  connections with their match rules against a real private dbus-daemon,
 *  and the reconnect policy across a daemon restart. */

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "common/bus.h"
#include "tests/harness/dbus.h"

START_TEST(parse_settings)
{
	char err[256] = "";
	mecdns_bus_kind_t kind = MECDNS_BUS_NONE;
	ck_assert(mecdns_bus_parse(NULL, "dbus", &kind, err, sizeof(err)));
	ck_assert_int_eq(kind, MECDNS_BUS_SYSTEM);
	ck_assert(mecdns_bus_parse("system", "dbus", &kind, err, sizeof(err)));
	ck_assert_int_eq(kind, MECDNS_BUS_SYSTEM);
	ck_assert(mecdns_bus_parse("session", "dbus", &kind, err, sizeof(err)));
	ck_assert_int_eq(kind, MECDNS_BUS_SESSION);
	ck_assert(mecdns_bus_parse("none", "dbus", &kind, err, sizeof(err)));
	ck_assert_int_eq(kind, MECDNS_BUS_NONE);
	ck_assert(mecdns_bus_parse("unix:path=/run/x", "dbus", &kind, err, sizeof(err)));
	ck_assert_int_eq(kind, MECDNS_BUS_ADDRESS);
	ck_assert(!mecdns_bus_parse("systme", "knot-dbus", &kind, err, sizeof(err)));
	ck_assert_msg(strstr(err, "knot-dbus") != NULL && strstr(err, "'systme'") != NULL,
	              "message names the item and the value: %s", err);
}
END_TEST

START_TEST(none_never_connects)
{
	char err[256] = "";
	mecdns_bus_t bus;
	ck_assert(mecdns_bus_init(&bus, "none", "dbus", 50, err, sizeof(err)));
	ck_assert(!mecdns_bus_connect_due(&bus, 0));
	ck_assert(!mecdns_bus_connect_due(&bus, 1000000));
	DBusError derr;
	dbus_error_init(&derr);
	ck_assert_ptr_null(mecdns_bus_connect(&bus, NULL, 0, 0, &derr));
	ck_assert(dbus_error_is_set(&derr));
	dbus_error_free(&derr);
	mecdns_bus_deinit(&bus);
}
END_TEST

START_TEST(connect_and_reconnect)
{
	harness_dbus_t daemon = { 0 };
	ck_assert_int_eq(harness_dbus_start(&daemon, NULL), 0);
	char err[256] = "";
	mecdns_bus_t bus;
	ck_assert(mecdns_bus_init(&bus, daemon.address, "dbus", 200, err, sizeof(err)));
	ck_assert_str_eq(bus.name, daemon.address);
	ck_assert(mecdns_bus_connect_due(&bus, 0));

	/* A bad match rule fails the attempt and schedules the next one. */
	const char *bad[] = { "type='nonsense'" };
	DBusError derr;
	dbus_error_init(&derr);
	ck_assert_ptr_null(mecdns_bus_connect(&bus, bad, 1, 1000, &derr));
	ck_assert(dbus_error_is_set(&derr));
	dbus_error_free(&derr);
	ck_assert_ptr_null(bus.conn);
	ck_assert(!mecdns_bus_connect_due(&bus, 1199));
	ck_assert(mecdns_bus_connect_due(&bus, 1200));

	const char *good[] = { "type='signal',interface='org.mecdns.test'" };
	dbus_error_init(&derr);
	DBusConnection *conn = mecdns_bus_connect(&bus, good, 1, 1200, &derr);
	ck_assert_msg(conn != NULL, "connect: %s", derr.message);
	ck_assert_ptr_eq(bus.conn, conn);
	ck_assert(dbus_connection_get_is_connected(conn));
	ck_assert_ptr_nonnull(dbus_bus_get_unique_name(conn));
	ck_assert(!mecdns_bus_connect_due(&bus, 99999));

	/* The daemon goes: the connection notices, the user disconnects, the
	 * policy waits retry_ms, and the same address works again later. */
	harness_dbus_stop(&daemon);
	long long deadline = harness_now_ms() + 5000;
	while (dbus_connection_read_write(conn, 100) && harness_now_ms() < deadline) {
	}
	ck_assert(!dbus_connection_get_is_connected(conn));
	mecdns_bus_disconnect(&bus, 5000);
	ck_assert_ptr_null(bus.conn);
	ck_assert(!mecdns_bus_connect_due(&bus, 5100));
	dbus_error_init(&derr);
	ck_assert_ptr_null(mecdns_bus_connect(&bus, good, 1, 5200, &derr));
	dbus_error_free(&derr);
	ck_assert(!mecdns_bus_connect_due(&bus, 5300));
	ck_assert_int_eq(harness_dbus_restart(&daemon), 0);
	ck_assert(mecdns_bus_connect_due(&bus, 5400));
	dbus_error_init(&derr);
	ck_assert_msg(mecdns_bus_connect(&bus, good, 1, 5400, &derr) != NULL, "reconnect: %s",
	              derr.message);
	mecdns_bus_deinit(&bus);
	ck_assert_ptr_null(bus.conn);
	harness_dbus_free(&daemon);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("bus");
	TCase *tc = tcase_create("bus");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, parse_settings);
	tcase_add_test(tc, none_never_connects);
	tcase_add_test(tc, connect_and_reconnect);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
