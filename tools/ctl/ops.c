/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl status, lookup, wait, backup, stats. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "tools/ctl/ctl.h"

static double number(const cJSON *json, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, name);
	return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

static bool flag(const cJSON *json, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, name));
}

/*** status ***/

static void print_status(const cJSON *s)
{
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(s, "rules");
	const cJSON *bus = cJSON_GetObjectItemCaseSensitive(s, "dbus");
	const cJSON *knot = cJSON_GetObjectItemCaseSensitive(s, "knot");
	const cJSON *module = cJSON_GetObjectItemCaseSensitive(s, "module");
	printf("syncd:       %s%s%s\n", flag(s, "ready") ? "ready" : "NOT READY",
	       flag(s, "ready") ? "" : ": ",
	       flag(s, "ready") ? "" : ctl_string(s, "readiness", ""));
	printf("generation:  %.0f\n", number(s, "generation"));
	printf("data:        %.0f active rules, %.0f inactive, %.0f record sets\n",
	       number(rules, "active"), number(rules, "inactive"), number(s, "rrsets"));
	printf("auth:        %s\n", ctl_string(s, "auth", "?"));
	printf("d-bus:       %s, %s, outbox %.0f\n", ctl_string(bus, "bus", "?"),
	       flag(bus, "connected") ? "connected" : "not connected", number(bus, "outboxDepth"));
	if (!flag(knot, "tracking")) {
		printf("knotd:       not watched (syncd has no knot-socket)\n");
		return;
	}
	printf("knotd:       %s, %s, module generation %.0f, %.1f queries/s\n",
	       flag(knot, "serverRunning") ? "running" : "NOT RUNNING",
	       flag(knot, "serving") ? "serving" : "NOT SERVING", number(knot, "moduleGeneration"),
	       number(knot, "qps"));
	const cJSON *zone;
	cJSON_ArrayForEach(zone, cJSON_GetObjectItemCaseSensitive(knot, "zones"))
	{
		printf("zone:        %s %s, serial %.0f\n", ctl_string(zone, "zone", "?"),
		       flag(zone, "ready") ? "ready" : "NOT READY", number(zone, "serial"));
	}
	if (module != NULL) {
		printf("module:      %s, %.0f records, %.0f answered, %.0f NODATA, %.0f passed\n",
		       flag(module, "loaded") ? "loaded" : "NOT LOADED", number(module, "records"),
		       number(module, "answered"), number(module, "nodata"),
		       number(module, "passed"));
	}
}

int ctl_status(ctl_t *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		ctl_error(ctl, "usage: " CTL_PROGRAM " status");
		return CTL_USAGE;
	}
	cJSON *status = NULL;
	int ret = ctl_call_json(ctl, "GET", "/mecdns/v1/status", NULL, &status, NULL);
	if (ret == CTL_OK) {
		if (ctl->json) {
			ctl_print_json(status);
		} else {
			print_status(status);
		}
		/* Scripts: 0 only while ready. */
		ret = flag(status, "ready") ? CTL_OK : CTL_REFUSED;
	}
	cJSON_Delete(status);
	return ret;
}

/*** lookup ***/

static void print_lookup(const cJSON *l)
{
	const char *client = ctl_string(l, "client", NULL);
	printf("%s %s for %s%s (generation %.0f)\n", ctl_string(l, "name", "?"),
	       ctl_string(l, "type", "?"), client != NULL ? "client " : "a client ",
	       client != NULL ? client : "without address", number(l, "generation"));
	const char *answer = ctl_string(l, "answer", "?");
	if (strcmp(answer, "data") == 0) {
		const char *subnet = ctl_string(l, "clientSubnet", NULL);
		printf("answer:  ");
		const cJSON *record;
		bool first = true;
		cJSON_ArrayForEach(record, cJSON_GetObjectItemCaseSensitive(l, "records"))
		{
			const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(record, "ttl");
			char ttl_text[32];
			if (cJSON_IsNumber(ttl)) {
				snprintf(ttl_text, sizeof(ttl_text), "%.0f", ttl->valuedouble);
			} else {
				snprintf(ttl_text, sizeof(ttl_text), "default-ttl");
			}
			printf("%s%s %s (ttl %s)", first ? "" : ", ",
			       ctl_string(record, "type", "?"), ctl_string(record, "data", "?"),
			       ttl_text);
			first = false;
		}
		printf("\n         decided by %s%s, ECS scope /%.0f\n",
		       subnet != NULL ? "client subnet " : "the rules for every client",
		       subnet != NULL ? subnet : "", number(l, "scopePrefixLength"));
	} else if (strcmp(answer, "nodata") == 0) {
		printf("answer:  NODATA (the name has other types; negative answer with SOA)\n");
	} else {
		printf("answer:  none from mod-mecdns: %s\n", ctl_string(l, "explanation", ""));
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(l, "rules"))
	{
		char subnets[1024] = "";
		const cJSON *s;
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(item, "clientSubnets"))
		{
			size_t len = strlen(subnets);
			snprintf(subnets + len, sizeof(subnets) - len, "%s%s", len > 0 ? "," : "",
			         cJSON_IsString(s) ? s->valuestring : "?");
		}
		printf(
		    "rule     %s/%s %s %s clients %s: %s%s\n",
		    ctl_string(item, "appInstanceId", "?"), ctl_string(item, "dnsRuleId", "?"),
		    ctl_string(item, "ipAddress", "?"), ctl_string(item, "state", "?"),
		    subnets[0] != '\0' ? subnets : "all",
		    flag(item, "answers") ? "answers" : "not used: ", ctl_string(item, "why", ""));
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(l, "rrsets"))
	{
		printf(
		    "rrset    %s %s in zone %s: %s%s\n", ctl_string(item, "type", "?"),
		    ctl_string(l, "name", "?"), ctl_string(item, "zone", "?"),
		    flag(item, "answers") ? "answers" : "not used: ", ctl_string(item, "why", ""));
	}
}

int ctl_lookup(ctl_t *ctl, int argc, char **argv)
{
	const char *client = NULL;
	const char *args[2] = { NULL, NULL };
	int count = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--client") == 0 && i + 1 < argc) {
			client = argv[++i];
		} else if (strncmp(argv[i], "--client=", 9) == 0) {
			client = argv[i] + 9;
		} else if (count < 2 && argv[i][0] != '-') {
			args[count++] = argv[i];
		} else {
			count = 3;
		}
	}
	if (count < 1 || count > 2) {
		ctl_error(ctl, "usage: " CTL_PROGRAM " lookup NAME [TYPE] [--client ADDR[/LEN]]");
		return CTL_USAGE;
	}
	const char *type = args[1] != NULL ? args[1] : "A";
	char *name_e = ctl_escape_or_die(ctl, args[0]);
	char *type_e = ctl_escape_or_die(ctl, type);
	char *client_e = client != NULL ? ctl_escape_or_die(ctl, client) : NULL;
	char *path = NULL;
	if (asprintf(&path, "/mecdns/v1/lookup?name=%s&type=%s%s%s", name_e, type_e,
	             client_e != NULL ? "&client=" : "", client_e != NULL ? client_e : "") < 0) {
		path = NULL;
	}
	free(name_e);
	free(type_e);
	free(client_e);
	cJSON *json = NULL;
	int ret = path != NULL ? ctl_call_json(ctl, "GET", path, NULL, &json, NULL) : CTL_LOCAL;
	free(path);
	if (ret != CTL_OK) {
		return ret;
	}
	/* What the server itself answers, when one is named: the answer as a
	 * device gets it (wildcards and knotd's zones included). */
	cJSON *server = NULL;
	char err[512] = "";
	if (ctl->dns != NULL) {
		server = cJSON_CreateObject();
		cJSON_AddStringToObject(server, "server", ctl->dns);
		if (ctl_dns_query(ctl->dns, args[0], type, client, server, err, sizeof(err)) !=
		    CTL_OK) {
			cJSON_AddStringToObject(server, "error", err);
			ret = CTL_UNREACHABLE;
		}
		cJSON_AddItemToObject(json, "server", server);
	}
	if (ctl->json) {
		ctl_print_json(json);
	} else {
		print_lookup(json);
		if (server != NULL && err[0] != '\0') {
			printf("server   %s: %s\n", ctl->dns, err);
		} else if (server != NULL) {
			printf("server   %s answered %s: %s, ECS scope %s\n", ctl->dns,
			       ctl_string(server, "rcode", "?"), ctl_string(server, "answer", "-"),
			       ctl_string(server, "scope", "-"));
		}
	}
	cJSON_Delete(json);
	return ret;
}

/*** wait ***/

/*! \brief The generation knotd serves: the DNS probe of each server (the
 *         smallest), else syncd's view of the module. */
static int served_generation(ctl_t *ctl, uint64_t *generation, char *err, size_t err_len)
{
	if (ctl->dns != NULL) {
		char *list = strdup(ctl->dns);
		char *save = NULL;
		int ret = list != NULL ? CTL_OK : CTL_LOCAL;
		*generation = UINT64_MAX;
		for (char *s = list != NULL ? strtok_r(list, ",", &save) : NULL;
		     ret == CTL_OK && s != NULL; s = strtok_r(NULL, ",", &save)) {
			uint64_t one = 0;
			ret = ctl_dns_generation(s, &one, err, err_len);
			*generation = one < *generation ? one : *generation;
		}
		free(list);
		return ret;
	}
	cJSON *status = NULL;
	int ret = ctl_call_json(ctl, "GET", "/mecdns/v1/status", NULL, &status, NULL);
	if (ret != CTL_OK) {
		snprintf(err, err_len, "no status from syncd");
		return ret;
	}
	const cJSON *knot = cJSON_GetObjectItemCaseSensitive(status, "knot");
	if (!flag(knot, "tracking")) {
		cJSON_Delete(status);
		snprintf(err, err_len,
		         "syncd does not watch knotd (no knot-socket): give the DNS server with "
		         "--server ADDR[@PORT]");
		return CTL_USAGE;
	}
	*generation = (uint64_t)number(knot, "moduleGeneration");
	cJSON_Delete(status);
	return CTL_OK;
}

int ctl_wait(ctl_t *ctl, int argc, char **argv)
{
	long timeout = ctl->wait_timeout;
	const char *target_text = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout = strtol(argv[++i], NULL, 10);
		} else if (target_text == NULL) {
			target_text = argv[i];
		} else {
			target_text = NULL;
			break;
		}
	}
	char *end = NULL;
	unsigned long long target = target_text != NULL ? strtoull(target_text, &end, 10) : 0;
	if ((target_text != NULL && (end == target_text || *end != '\0')) || timeout < 0) {
		ctl_error(ctl, "usage: " CTL_PROGRAM " wait [GENERATION] [--timeout SECONDS]");
		return CTL_USAGE;
	}
	if (target_text == NULL) {
		/* Everything committed so far. */
		cJSON *status = NULL;
		int ret = ctl_call_json(ctl, "GET", "/mecdns/v1/status", NULL, &status, NULL);
		if (ret != CTL_OK) {
			return ret;
		}
		target = (unsigned long long)number(status, "generation");
		cJSON_Delete(status);
	}
	int64_t deadline = mecdns_monotonic_ms() + (int64_t)timeout * 1000;
	uint64_t served = 0;
	char err[512] = "";
	for (;;) {
		int ret = served_generation(ctl, &served, err, sizeof(err));
		if (ret == CTL_USAGE || ret == CTL_LOCAL) {
			ctl_error(ctl, "%s", err);
			return ret;
		}
		if (ret == CTL_OK && served >= target) {
			if (!ctl->quiet) {
				printf("generation %llu served (%llu)\n", target,
				       (unsigned long long)served);
			}
			return CTL_OK;
		}
		if (mecdns_monotonic_ms() >= deadline) {
			if (ret == CTL_OK) {
				ctl_error(ctl,
				          "generation %llu not served after %ld s (serving %llu)",
				          target, timeout, (unsigned long long)served);
			} else {
				ctl_error(ctl, "generation %llu not confirmed after %ld s: %s",
				          target, timeout, err);
			}
			return CTL_TIMEOUT;
		}
		struct timespec pause = { 0, 50 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
}

/*** backup ***/

int ctl_backup(ctl_t *ctl, int argc, char **argv)
{
	bool force = false;
	const char *dest = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0) {
			force = true;
		} else if (dest == NULL) {
			dest = argv[i];
		} else {
			dest = NULL;
			break;
		}
	}
	if (dest == NULL) {
		ctl_error(ctl, "usage: " CTL_PROGRAM " backup [--force] PATH");
		return CTL_USAGE;
	}
	if (!force && access(dest, F_OK) == 0) {
		ctl_error(ctl, "%s exists; give --force to replace it", dest);
		return CTL_LOCAL;
	}
	/* Into PATH.part, synced, then renamed: PATH is a whole copy or absent. */
	char *part = NULL;
	if (asprintf(&part, "%s.part", dest) < 0) {
		return CTL_LOCAL;
	}
	int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (out == NULL) {
		ctl_error(ctl, "cannot write %s: %s", part, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		free(part);
		return CTL_LOCAL;
	}
	ctl_answer_t answer;
	bool progress = !ctl->quiet && isatty(STDERR_FILENO);
	int ret = CTL_OK;
	if (!ctl_request(ctl->client, "GET", "/mecdns/v1/backup", NULL, NULL, out, progress,
	                 &answer)) {
		ctl_error(ctl, "cannot reach mecdns-syncd at %s: %s", ctl->url, answer.error);
		ret = CTL_UNREACHABLE;
	} else if (answer.status != 200) {
		ctl_answer_clear(&answer);
		ret = ctl_call(ctl, "GET", "/mecdns/v1/backup", NULL, &answer);
		ret = ret == CTL_OK ? CTL_REFUSED : ret;
	}
	bool written = fflush(out) == 0 && fsync(fileno(out)) == 0;
	written = fclose(out) == 0 && written;
	if (ret == CTL_OK && !written) {
		ctl_error(ctl, "cannot write %s: %s", part, strerror(errno));
		ret = CTL_LOCAL;
	}
	/* A database file: SQLite's magic. */
	char magic[16] = "";
	FILE *check = ret == CTL_OK ? fopen(part, "rb") : NULL;
	if (ret == CTL_OK && (check == NULL || fread(magic, 1, 16, check) != 16 ||
	                      memcmp(magic, "SQLite format 3", 16) != 0)) {
		ctl_error(ctl, "the copy syncd sent is not an SQLite database");
		ret = CTL_REFUSED;
	}
	if (check != NULL) {
		fclose(check);
	}
	if (ret == CTL_OK && rename(part, dest) != 0) {
		ctl_error(ctl, "cannot rename %s to %s: %s", part, dest, strerror(errno));
		ret = CTL_LOCAL;
	}
	if (ret != CTL_OK) {
		unlink(part);
	} else if (ctl->json) {
		printf("{\"path\": \"%s\", \"generation\": %llu}\n", dest,
		       (unsigned long long)answer.generation);
	} else if (!ctl->quiet) {
		printf("backup of generation %llu written to %s\n",
		       (unsigned long long)answer.generation, dest);
	}
	ctl_answer_clear(&answer);
	free(part);
	return ret;
}

/*** stats ***/

int ctl_stats(ctl_t *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		ctl_error(ctl, "usage: " CTL_PROGRAM " stats");
		return CTL_USAGE;
	}
	ctl_answer_t answer;
	int ret = ctl_call(ctl, "GET", "/metrics", NULL, &answer);
	if (ret != CTL_OK) {
		ctl_answer_clear(&answer);
		return ret;
	}
	cJSON *json = ctl->json ? cJSON_CreateObject() : NULL;
	char *save = NULL;
	for (char *line = answer.body != NULL ? strtok_r(answer.body, "\n", &save) : NULL;
	     line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0') {
			continue;
		}
		char *space = strrchr(line, ' ');
		if (space == NULL) {
			continue;
		}
		*space = '\0';
		if (json != NULL) {
			cJSON_AddNumberToObject(json, line, strtod(space + 1, NULL));
		} else {
			printf("%-72s %s\n", line, space + 1);
		}
	}
	if (json != NULL) {
		ctl_print_json(json);
		cJSON_Delete(json);
	}
	ctl_answer_clear(&answer);
	return CTL_OK;
}
