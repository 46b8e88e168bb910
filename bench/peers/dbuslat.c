/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  dbuslat: a D-Bus listener for mecdns's benchmarks (issue 6, part 5).
 *
 *  Subscribes to org.mecdns.syncd.events.rule_changed on the bus at ADDRESS
 *  and prints one line per signal, flushed at once:
 *      <CLOCK_REALTIME ns at receipt> <dns_rule_id> <generation>
 *  until SIGTERM/SIGINT. Build: gcc dbuslat.c $(pkg-config --cflags --libs dbus-1)
 *  Usage: dbuslat ADDRESS
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <dbus/dbus.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dbuslat ADDRESS\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	DBusError err;
	dbus_error_init(&err);
	DBusConnection *c = dbus_connection_open_private(argv[1], &err);
	if (c == NULL || !dbus_bus_register(c, &err)) {
		fprintf(stderr, "dbuslat: %s\n", err.message ? err.message : "cannot connect");
		return 1;
	}
	dbus_bus_add_match(
	    c, "type='signal',interface='org.mecdns.syncd.events',member='rule_changed'", &err);
	if (dbus_error_is_set(&err)) {
		fprintf(stderr, "dbuslat: %s\n", err.message);
		return 1;
	}
	fprintf(stderr, "dbuslat: listening\n");
	while (!stop && dbus_connection_read_write(c, 200)) {
		DBusMessage *m;
		while ((m = dbus_connection_pop_message(c)) != NULL) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			if (dbus_message_is_signal(m, "org.mecdns.syncd.events", "rule_changed")) {
				const char *app = "", *id = "", *name = "", *state = "";
				dbus_uint64_t gen = 0;
				if (dbus_message_get_args(
				        m, NULL, DBUS_TYPE_STRING, &app, DBUS_TYPE_STRING, &id,
				        DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &state,
				        DBUS_TYPE_UINT64, &gen, DBUS_TYPE_INVALID)) {
					printf("%lld %s %llu\n",
					       (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, id,
					       (unsigned long long)gen);
					fflush(stdout);
				}
			}
			dbus_message_unref(m);
		}
	}
	dbus_connection_close(c);
	dbus_connection_unref(c);
	return 0;
}
