/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  The shared MQTT settings (see mqtt.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mosquitto.h>

#include "common/mqtt.h"

/*! \brief Splits mqtt[s]://HOST[:PORT] (HOST may be [IPv6]). */
static bool parse_url(const char *url, mecdns_mqtt_broker_t *broker, char *err, size_t err_len)
{
	const char *rest = NULL;
	if (url != NULL && strncmp(url, "mqtt://", 7) == 0) {
		rest = url + 7;
		broker->tls = false;
	} else if (url != NULL && strncmp(url, "mqtts://", 8) == 0) {
		rest = url + 8;
		broker->tls = true;
	} else {
		snprintf(err, err_len,
		         "mqtt \"%s\": must be mqtt://HOST[:PORT] or mqtts://HOST[:PORT]",
		         url != NULL ? url : "");
		return false;
	}
	broker->port = broker->tls ? 8883 : 1883;
	const char *end = NULL, *colon = NULL;
	if (*rest == '[') {
		end = strchr(rest, ']');
		colon = end != NULL && end[1] == ':' ? end + 1 : NULL;
		if (end == NULL || (end[1] != '\0' && colon == NULL)) {
			snprintf(err, err_len, "mqtt \"%s\": unterminated [IPv6 address]", url);
			return false;
		}
		rest++;
	} else {
		colon = strchr(rest, ':');
		end = colon != NULL ? colon : rest + strlen(rest);
	}
	size_t len = (size_t)(end - rest);
	if (len == 0 || len >= sizeof(broker->host) || memchr(rest, '/', len) != NULL) {
		snprintf(err, err_len, "mqtt \"%s\": no host", url);
		return false;
	}
	memcpy(broker->host, rest, len);
	broker->host[len] = '\0';
	if (colon != NULL) {
		char *stop = NULL;
		long value = strtol(colon + 1, &stop, 10);
		if (colon[1] < '0' || colon[1] > '9' || *stop != '\0' || value < 1 ||
		    value > 65535) {
			snprintf(err, err_len, "mqtt \"%s\": port must be 1..65535", url);
			return false;
		}
		broker->port = (int)value;
	}
	return true;
}

/*! \brief Reads the first line of the password file into buf. */
static bool read_password(const char *path, char *buf, size_t len, char *err, size_t err_len)
{
	FILE *file = fopen(path, "r");
	if (file == NULL) {
		snprintf(err, err_len, "mqtt-password-file %s: %s", path, strerror(errno));
		return false;
	}
	bool ok = fgets(buf, (int)len, file) != NULL;
	fclose(file);
	if (!ok) {
		snprintf(err, err_len, "mqtt-password-file %s: empty", path);
		return false;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

bool mecdns_mqtt_check(const mecdns_mqtt_settings_t *settings, mecdns_mqtt_broker_t *broker,
                       char *err, size_t err_len)
{
	if (!parse_url(settings->url, broker, err, err_len)) {
		return false;
	}
	if (!broker->tls && (settings->ca_file != NULL || settings->cert_file != NULL)) {
		snprintf(err, err_len, "mqtt-ca-file and mqtt-cert-file need an mqtts:// URL");
		return false;
	}
	if (broker->tls && settings->ca_file == NULL) {
		snprintf(err, err_len, "an mqtts:// URL needs mqtt-ca-file");
		return false;
	}
	if ((settings->cert_file == NULL) != (settings->key_file == NULL)) {
		snprintf(err, err_len, "mqtt-cert-file and mqtt-key-file go together");
		return false;
	}
	const char *files[] = { settings->ca_file, settings->cert_file, settings->key_file };
	for (size_t i = 0; i < 3; i++) {
		if (files[i] != NULL && access(files[i], R_OK) != 0) {
			snprintf(err, err_len, "mqtt: cannot read %s: %s", files[i],
			         strerror(errno));
			return false;
		}
	}
	if (settings->password_file != NULL && settings->username == NULL) {
		snprintf(err, err_len, "mqtt-password-file needs mqtt-username");
		return false;
	}
	char password[256];
	bool ok = settings->password_file == NULL ||
	          read_password(settings->password_file, password, sizeof(password), err, err_len);
	memset(password, 0, sizeof(password));
	return ok;
}

bool mecdns_mqtt_check_prefix(const char *prefix, char *err, size_t err_len)
{
	if (prefix == NULL || prefix[0] == '\0' || strpbrk(prefix, "#+") != NULL ||
	    prefix[strlen(prefix) - 1] == '/' || strlen(prefix) > 200) {
		snprintf(
		    err, err_len,
		    "mqtt-topic \"%s\": a topic prefix of at most 200 bytes, without wildcards "
		    "or a trailing /",
		    prefix != NULL ? prefix : "");
		return false;
	}
	return true;
}

struct mosquitto *mecdns_mqtt_new(const mecdns_mqtt_settings_t *settings,
                                  const char *default_client_id, const char *will_topic,
                                  void *userdata, char *err, size_t err_len)
{
	mecdns_mqtt_broker_t broker;
	if (!mecdns_mqtt_check(settings, &broker, err, err_len)) {
		return NULL;
	}
	mosquitto_lib_init();
	const char *id = settings->client_id != NULL ? settings->client_id : default_client_id;
	struct mosquitto *mosq = mosquitto_new(id, true, userdata);
	if (mosq == NULL) {
		mosquitto_lib_cleanup();
		snprintf(err, err_len, "mqtt: cannot make a client: %s", strerror(errno));
		return NULL;
	}
	int rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	if (rc == MOSQ_ERR_SUCCESS && will_topic != NULL) {
		rc = mosquitto_will_set(mosq, will_topic, 5, "false", 1, true);
	}
	if (rc == MOSQ_ERR_SUCCESS && settings->username != NULL) {
		char password[256] = "";
		if (settings->password_file != NULL &&
		    !read_password(settings->password_file, password, sizeof(password), err,
		                   err_len)) {
			mecdns_mqtt_free(mosq);
			return NULL;
		}
		rc = mosquitto_username_pw_set(mosq, settings->username,
		                               settings->password_file != NULL ? password : NULL);
		memset(password, 0, sizeof(password));
	}
	if (rc == MOSQ_ERR_SUCCESS && broker.tls) {
		rc = mosquitto_tls_set(mosq, settings->ca_file, NULL, settings->cert_file,
		                       settings->key_file, NULL);
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, err_len, "mqtt: cannot set up the client: %s",
		         mosquitto_strerror(rc));
		mecdns_mqtt_free(mosq);
		return NULL;
	}
	return mosq;
}

void mecdns_mqtt_free(struct mosquitto *mosq)
{
	if (mosq != NULL) {
		mosquitto_destroy(mosq);
		mosquitto_lib_cleanup();
	}
}
