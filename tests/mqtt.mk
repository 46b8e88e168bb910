# SPDX-License-Identifier: GPL-3.0-or-later
# tests: the MQTT channel -- a real mosquitto on loopback, mecdns-syncd
# publishing to it while tracking a real knotd, a subscriber of the test's
# own and mecdns-announce following syncd over MQTT (skips, exit 77,
# without mosquitto).
check_PROGRAMS += tests/integration/test_mqtt
TESTS += tests/integration/test_mqtt
tests_integration_test_mqtt_SOURCES = tests/integration/test_mqtt.c
tests_integration_test_mqtt_CFLAGS = $(AM_CFLAGS) $(check_CFLAGS) $(libmosquitto_CFLAGS) -pthread
tests_integration_test_mqtt_LDADD = \
	tests/harness/libharness-dns.la tests/harness/libharness-http.la \
	tests/harness/libharness-syncd.la tests/harness/libharness.la \
	$(check_LIBS) $(libmosquitto_LIBS) $(libknot_LIBS) -lpthread
EXTRA_tests_integration_test_mqtt_DEPENDENCIES = syncd/mecdns-syncd$(EXEEXT) \
	announce/mecdns-announce$(EXEEXT) module/mecdns.la
