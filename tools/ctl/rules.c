/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl rule ... and rrset ...: the same verbs (list, show, add/set,
 *  del) over Mm5 (/mep/config) and the rrecord API. */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/ctl/ctl.h"

#define MM5     "/mep/config/"
#define RRECORD "/mep/dns_server_mgmt/v1/rrecord"

static int usage_error(ctl_t *ctl, const char *usage)
{
	ctl_error(ctl, "usage: " CTL_PROGRAM " %s", usage);
	return CTL_USAGE;
}

typedef struct {
	const char *verb;
	int (*fn)(ctl_t *, int, char **);
} verb_t;

/*! \brief Runs the verb of an object ("rule list"), named in messages. */
static int dispatch(ctl_t *ctl, const char *object, const verb_t *verbs, size_t count, int argc,
                    char **argv)
{
	static char what[32];
	for (size_t i = 0; argc > 0 && i < count; i++) {
		if (strcmp(argv[0], verbs[i].verb) == 0) {
			snprintf(what, sizeof(what), "%s %s", object, verbs[i].verb);
			ctl->what = what;
			return verbs[i].fn(ctl, argc - 1, argv + 1);
		}
	}
	ctl_error(ctl, "usage: " CTL_PROGRAM " %s list|show|%sdel ... (see " CTL_PROGRAM " --help)",
	          object, strcmp(object, "rule") == 0 ? "add|set|" : "set|");
	return CTL_USAGE;
}

/*** Rules. ***/

static void rule_cells(const cJSON *rule, char *ttl, size_t ttl_len, char *subnets,
                       size_t subnets_len, const char *cells[8])
{
	const cJSON *ttl_item = cJSON_GetObjectItemCaseSensitive(rule, "ttl");
	if (cJSON_IsNumber(ttl_item)) {
		snprintf(ttl, ttl_len, "%.0f", ttl_item->valuedouble);
	} else {
		snprintf(ttl, ttl_len, "default");
	}
	subnets[0] = '\0';
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(rule, "clientSubnets");
	const cJSON *item;
	cJSON_ArrayForEach(item, scope)
	{
		if (cJSON_IsString(item)) {
			size_t len = strlen(subnets);
			snprintf(subnets + len, subnets_len - len, "%s%s", len > 0 ? "," : "",
			         item->valuestring);
		}
	}
	cells[0] = ctl_string(rule, "appInstanceId", NULL);
	cells[1] = ctl_string(rule, "dnsRuleId", NULL);
	cells[2] = ctl_string(rule, "domainName", NULL);
	cells[3] = ctl_string(rule, "ipAddress", NULL);
	cells[4] = ttl;
	cells[5] = ctl_string(rule, "state", NULL);
	cells[6] = subnets[0] != '\0' ? subnets : "all";
}

/*! \brief Prints rules (an array) as a table; app names the app when the
 *         rules do not carry it. */
static void print_rules(const cJSON *rules, const char *app)
{
	ctl_table_t table;
	ctl_table_init(&table, 7);
	const char *head[] = { "APP", "ID", "NAME", "ADDRESS", "TTL", "STATE", "CLIENTS" };
	ctl_table_add(&table, head);
	const cJSON *rule;
	cJSON_ArrayForEach(rule, rules)
	{
		char ttl[24], subnets[2048];
		const char *cells[8];
		rule_cells(rule, ttl, sizeof(ttl), subnets, sizeof(subnets), cells);
		if (cells[0] == NULL) {
			cells[0] = app;
		}
		ctl_table_add(&table, cells);
	}
	ctl_table_print(&table);
	ctl_table_free(&table);
}

int ctl_get_pages(ctl_t *ctl, const char *path, const char *what, cJSON **items,
                  uint64_t *generation)
{
	*items = cJSON_CreateArray();
	char *next = strdup(path);
	int ret = *items != NULL && next != NULL ? CTL_OK : CTL_LOCAL;
	bool first = true;
	while (ret == CTL_OK && next != NULL) {
		ctl_answer_t answer;
		ret = ctl_call(ctl, "GET", next, NULL, &answer);
		free(next);
		next = NULL;
		cJSON *page = ret == CTL_OK ? cJSON_Parse(answer.body) : NULL;
		if (ret == CTL_OK && !cJSON_IsArray(page)) {
			ctl_error(ctl, "syncd's %s is not a JSON array", what);
			ret = CTL_REFUSED;
		}
		if (ret == CTL_OK && first && generation != NULL) {
			*generation = answer.generation;
		}
		first = false;
		cJSON *item;
		while (page != NULL && (item = cJSON_DetachItemFromArray(page, 0)) != NULL) {
			cJSON_AddItemToArray(*items, item);
		}
		cJSON_Delete(page);
		if (ret == CTL_OK && answer.next != NULL) {
			next = strdup(answer.next);
		}
		ctl_answer_clear(&answer);
	}
	if (ret != CTL_OK) {
		cJSON_Delete(*items);
		*items = NULL;
	}
	return ret;
}

int ctl_all_rules(ctl_t *ctl, cJSON **rules, uint64_t *generation)
{
	return ctl_get_pages(ctl, "/mecdns/v1/dns_rules?limit=10000", "rule listing", rules,
	                     generation);
}

static int rule_list(ctl_t *ctl, int argc, char **argv)
{
	if (argc > 1) {
		return usage_error(ctl, "rule list [APP]");
	}
	cJSON *rules = NULL;
	int ret;
	if (argc == 1) {
		char *app = ctl_escape_or_die(ctl, argv[0]);
		char *path = NULL;
		if (asprintf(&path, MM5 "%s/dns_rules", app) < 0) {
			path = NULL;
		}
		ret =
		    path != NULL ? ctl_call_json(ctl, "GET", path, NULL, &rules, NULL) : CTL_LOCAL;
		free(path);
		free(app);
	} else {
		ret = ctl_all_rules(ctl, &rules, NULL);
	}
	if (ret == CTL_OK) {
		if (ctl->json) {
			ctl_print_json(rules);
		} else {
			print_rules(rules, argc == 1 ? argv[0] : NULL);
		}
	}
	cJSON_Delete(rules);
	return ret;
}

/*! \brief The path of one rule (escaped); exits on ENOMEM. */
static char *rule_path(ctl_t *ctl, const char *app, const char *id)
{
	char *app_e = ctl_escape_or_die(ctl, app);
	char *id_e = ctl_escape_or_die(ctl, id);
	char *path = NULL;
	if (asprintf(&path, MM5 "%s/dns_rules/%s", app_e, id_e) < 0) {
		ctl_error(ctl, "out of memory");
		exit(CTL_LOCAL);
	}
	free(app_e);
	free(id_e);
	return path;
}

static void print_rule(const cJSON *rule, const char *app, uint64_t generation)
{
	char ttl[24], subnets[2048];
	const char *cells[8];
	rule_cells(rule, ttl, sizeof(ttl), subnets, sizeof(subnets), cells);
	printf("app:        %s\n"
	       "id:         %s\n"
	       "name:       %s\n"
	       "type:       %s\n"
	       "address:    %s\n"
	       "ttl:        %s\n"
	       "state:      %s\n"
	       "clients:    %s\n"
	       "generation: %llu\n",
	       app, cells[1], cells[2], ctl_string(rule, "ipAddressType", "-"), cells[3], cells[4],
	       cells[5], cells[6], (unsigned long long)generation);
}

static int rule_show(ctl_t *ctl, int argc, char **argv)
{
	if (argc != 2) {
		return usage_error(ctl, "rule show APP ID");
	}
	char *path = rule_path(ctl, argv[0], argv[1]);
	cJSON *rule = NULL;
	uint64_t generation = 0;
	int ret = ctl_call_json(ctl, "GET", path, NULL, &rule, &generation);
	if (ret == CTL_OK) {
		if (ctl->json) {
			ctl_print_json(rule);
		} else {
			print_rule(rule, argv[0], generation);
		}
	}
	cJSON_Delete(rule);
	free(path);
	return ret;
}

/*! \brief Applies KEY=VALUE to a rule body; false with a message. */
static bool rule_member(ctl_t *ctl, cJSON *body, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg) {
		ctl_error(ctl, "\"%s\" is not KEY=VALUE (keys: name, address, ttl, state, subnets)",
		          arg);
		return false;
	}
	size_t key_len = (size_t)(eq - arg);
	const char *value = eq + 1;
#define KEY_IS(k) (key_len == strlen(k) && strncmp(arg, k, key_len) == 0)
	if (KEY_IS("name")) {
		cJSON_AddStringToObject(body, "domainName", value);
	} else if (KEY_IS("address")) {
		unsigned char buf[16];
		bool v6 = inet_pton(AF_INET6, value, buf) == 1;
		if (!v6 && inet_pton(AF_INET, value, buf) != 1) {
			ctl_error(ctl, "address %s is not an IPv4 or IPv6 address", value);
			return false;
		}
		cJSON_AddStringToObject(body, "ipAddressType", v6 ? "IP_V6" : "IP_V4");
		cJSON_AddStringToObject(body, "ipAddress", value);
	} else if (KEY_IS("ttl")) {
		char *end = NULL;
		long ttl = strtol(value, &end, 10);
		if (strcmp(value, "none") == 0) {
			cJSON_AddNullToObject(body, "ttl");
		} else if (value[0] >= '0' && value[0] <= '9' && *end == '\0' &&
		           ttl <= 2147483647L) {
			cJSON_AddNumberToObject(body, "ttl", (double)ttl);
		} else {
			ctl_error(ctl, "ttl %s is not a number of seconds (or none)", value);
			return false;
		}
	} else if (KEY_IS("state")) {
		if (strcmp(value, "ACTIVE") != 0 && strcmp(value, "INACTIVE") != 0) {
			ctl_error(ctl, "state %s is not ACTIVE or INACTIVE", value);
			return false;
		}
		cJSON_AddStringToObject(body, "state", value);
	} else if (KEY_IS("subnets")) {
		if (strcmp(value, "none") == 0) {
			cJSON_AddNullToObject(body, "clientSubnets");
		} else {
			cJSON *array = cJSON_AddArrayToObject(body, "clientSubnets");
			char *copy = strdup(value);
			char *save = NULL;
			for (char *s = copy != NULL ? strtok_r(copy, ",", &save) : NULL; s != NULL;
			     s = strtok_r(NULL, ",", &save)) {
				cJSON_AddItemToArray(array, cJSON_CreateString(s));
			}
			free(copy);
		}
	} else {
		ctl_error(ctl, "unknown key \"%.*s\" (keys: name, address, ttl, state, subnets)",
		          (int)key_len, arg);
		return false;
	}
#undef KEY_IS
	return true;
}

/*! \brief Sends a rule body; prints the stored rule (or its JSON). */
static int rule_write(ctl_t *ctl, const char *method, const char *path, cJSON *body,
                      const char *app)
{
	char *text = cJSON_PrintUnformatted(body);
	cJSON *rule = NULL;
	uint64_t generation = 0;
	int ret =
	    text != NULL ? ctl_call_json(ctl, method, path, text, &rule, &generation) : CTL_LOCAL;
	if (ret == CTL_OK) {
		if (ctl->json) {
			ctl_print_json(rule);
		} else {
			print_rule(rule, app, generation);
		}
	}
	cJSON_Delete(rule);
	free(text);
	return ret;
}

static int rule_add(ctl_t *ctl, int argc, char **argv)
{
	if (argc < 4) {
		return usage_error(ctl, "rule add APP ID NAME ADDRESS [ttl=S] [state=S] "
		                        "[subnets=CIDR,...]");
	}
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "dnsRuleId", argv[1]);
	cJSON_AddStringToObject(body, "domainName", argv[2]);
	char address[256];
	snprintf(address, sizeof(address), "address=%s", argv[3]);
	bool ok = rule_member(ctl, body, address);
	for (int i = 4; ok && i < argc; i++) {
		ok = rule_member(ctl, body, argv[i]);
	}
	int ret = CTL_USAGE;
	if (ok) {
		char *app = ctl_escape_or_die(ctl, argv[0]);
		char *path = NULL;
		ret = asprintf(&path, MM5 "%s/dns_rules", app) >= 0
		          ? rule_write(ctl, "POST", path, body, argv[0])
		          : CTL_LOCAL;
		free(path);
		free(app);
	}
	cJSON_Delete(body);
	return ret;
}

static int rule_set(ctl_t *ctl, int argc, char **argv)
{
	if (argc < 3) {
		return usage_error(ctl, "rule set APP ID KEY=VALUE...");
	}
	cJSON *body = cJSON_CreateObject();
	bool ok = body != NULL;
	for (int i = 2; ok && i < argc; i++) {
		ok = rule_member(ctl, body, argv[i]);
	}
	int ret = CTL_USAGE;
	if (ok) {
		char *path = rule_path(ctl, argv[0], argv[1]);
		ret = rule_write(ctl, "PUT", path, body, argv[0]);
		free(path);
	}
	cJSON_Delete(body);
	return ret;
}

static int rule_del(ctl_t *ctl, int argc, char **argv)
{
	char *path = NULL;
	if (argc == 2 && strcmp(argv[1], "--all") == 0) {
		char *app = ctl_escape_or_die(ctl, argv[0]);
		if (asprintf(&path, MM5 "%s/dns_rules", app) < 0) {
			path = NULL;
		}
		free(app);
	} else if (argc == 2) {
		path = rule_path(ctl, argv[0], argv[1]);
	} else {
		return usage_error(ctl, "rule del APP ID | rule del APP --all");
	}
	ctl_answer_t answer;
	int ret = path != NULL ? ctl_call(ctl, "DELETE", path, NULL, &answer) : CTL_LOCAL;
	if (ret == CTL_OK && !ctl->quiet && !ctl->json) {
		printf("deleted (generation %llu)\n", (unsigned long long)answer.generation);
	} else if (ret == CTL_OK && ctl->json) {
		printf("{\"generation\": %llu}\n", (unsigned long long)answer.generation);
	}
	if (path != NULL) {
		ctl_answer_clear(&answer);
	}
	free(path);
	return ret;
}

int ctl_rule(ctl_t *ctl, int argc, char **argv)
{
	static const verb_t verbs[] = {
		{ "list", rule_list }, { "show", rule_show }, { "add", rule_add },
		{ "set", rule_set },   { "del", rule_del },
	};
	return dispatch(ctl, "rule", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}

/*** Record sets. ***/

/*! \brief Takes a trailing zone=Z argument out of argv; its value or ".". */
/*! \brief Takes the argument KEY=VALUE (key with its '=') out of argv:
 *         its value, or fallback when there is none. */
static const char *take_arg(int *argc, char **argv, const char *key, const char *fallback)
{
	size_t len = strlen(key);
	for (int i = 0; i < *argc; i++) {
		if (strncmp(argv[i], key, len) == 0) {
			const char *value = argv[i] + len;
			memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i - 1) * sizeof(*argv));
			(*argc)--;
			return value;
		}
	}
	return fallback;
}

/*! The key of one set: zone= (default ".") and subnets= (its scope). */
typedef struct {
	const char *zone;
	const char *subnets; /*!< NULL: the unscoped set. */
} set_key_t;

static set_key_t key_args(int *argc, char **argv)
{
	set_key_t key;
	key.zone = take_arg(argc, argv, "zone=", ".");
	key.subnets = take_arg(argc, argv, "subnets=", NULL);
	return key;
}

/*! \brief Prints one set ({"name","type","ttl","rData"}) as zone-file lines. */
static void print_set(const cJSON *set)
{
	const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(set, "ttl");
	const cJSON *rdata = cJSON_GetObjectItemCaseSensitive(set, "rData");
	const cJSON *item;
	cJSON_ArrayForEach(item, rdata)
	{
		printf("%s\t%.0f\tIN\t%s\t%s", ctl_string(set, "name", "?"),
		       cJSON_IsNumber(ttl) ? ttl->valuedouble : 0.0, ctl_string(set, "type", "?"),
		       cJSON_IsString(item) ? item->valuestring : "?");
		/* A scoped set: its subnets as a comment, so the line stays zone text. */
		const cJSON *subnet;
		const char *sep = "\t; subnets=";
		cJSON_ArrayForEach(subnet, cJSON_GetObjectItemCaseSensitive(set, "clientSubnets"))
		{
			printf("%s%s", sep, cJSON_IsString(subnet) ? subnet->valuestring : "?");
			sep = ",";
		}
		printf("\n");
	}
}

/*! \brief Prints [{"zone","rr":[sets]}] with a comment line per zone. */
static void print_zones(const cJSON *zones)
{
	const cJSON *zone;
	cJSON_ArrayForEach(zone, zones)
	{
		printf("; zone %s\n", ctl_string(zone, "zone", "?"));
		const cJSON *set;
		cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(zone, "rr"))
		{
			print_set(set);
		}
	}
}

int ctl_all_rrsets(ctl_t *ctl, cJSON **zones)
{
	return ctl_get_pages(ctl, RRECORD "?limit=10000", "rrecord listing", zones, NULL);
}

static int rrset_list(ctl_t *ctl, int argc, char **argv)
{
	if (argc > 1) {
		return usage_error(ctl, "rrset list [ZONE]");
	}
	cJSON *zones = NULL;
	int ret = ctl_all_rrsets(ctl, &zones);
	if (ret == CTL_OK && argc == 1) {
		/* One zone: the others are left out (pages hold every zone). */
		for (int i = cJSON_GetArraySize(zones) - 1; i >= 0; i--) {
			const char *zone = ctl_string(cJSON_GetArrayItem(zones, i), "zone", "");
			size_t len = strlen(argv[0]);
			bool same =
			    strcmp(zone, argv[0]) == 0 ||
			    (len > 0 && argv[0][len - 1] != '.' &&
			     strncmp(zone, argv[0], len) == 0 && strcmp(zone + len, ".") == 0);
			if (!same) {
				cJSON_DeleteItemFromArray(zones, i);
			}
		}
	}
	if (ret == CTL_OK) {
		if (ctl->json) {
			ctl_print_json(zones);
		} else {
			print_zones(zones);
		}
	}
	cJSON_Delete(zones);
	return ret;
}

static char *set_path(ctl_t *ctl, const char *name, const char *type, const set_key_t *key)
{
	char *name_e = ctl_escape_or_die(ctl, name);
	char *type_e = ctl_escape_or_die(ctl, type);
	char *zone_e = ctl_escape_or_die(ctl, key->zone);
	char *subnets_e = key->subnets != NULL ? ctl_escape_or_die(ctl, key->subnets) : NULL;
	char *path = NULL;
	if (asprintf(&path, RRECORD "/%s/%s?zone=%s%s%s", name_e, type_e, zone_e,
	             subnets_e != NULL ? "&clientSubnets=" : "",
	             subnets_e != NULL ? subnets_e : "") < 0) {
		ctl_error(ctl, "out of memory");
		exit(CTL_LOCAL);
	}
	free(name_e);
	free(type_e);
	free(zone_e);
	free(subnets_e);
	return path;
}

/*! \brief Prints a set answer: one set, or [{"zone","rr"}]. */
static void print_set_answer(const cJSON *json)
{
	if (cJSON_IsArray(json)) {
		print_zones(json);
	} else if (cJSON_GetObjectItemCaseSensitive(json, "rr") != NULL) {
		const cJSON *set;
		cJSON_ArrayForEach(set, cJSON_GetObjectItemCaseSensitive(json, "rr"))
		{
			print_set(set);
		}
	} else {
		print_set(json);
	}
}

static int rrset_show(ctl_t *ctl, int argc, char **argv)
{
	set_key_t key = key_args(&argc, argv);
	if (argc != 2) {
		return usage_error(ctl, "rrset show NAME TYPE [zone=Z] [subnets=A/N,...]");
	}
	char *path = set_path(ctl, argv[0], argv[1], &key);
	cJSON *json = NULL;
	int ret = ctl_call_json(ctl, "GET", path, NULL, &json, NULL);
	if (ret == CTL_OK) {
		if (ctl->json) {
			ctl_print_json(json);
		} else {
			print_set_answer(json);
		}
	}
	cJSON_Delete(json);
	free(path);
	return ret;
}

static int rrset_set(ctl_t *ctl, int argc, char **argv)
{
	set_key_t key = key_args(&argc, argv);
	if (argc < 4) {
		return usage_error(ctl,
		                   "rrset set NAME TYPE TTL RDATA... [zone=Z] [subnets=A/N,...]");
	}
	char *end = NULL;
	long ttl = strtol(argv[2], &end, 10);
	if (argv[2][0] < '0' || argv[2][0] > '9' || *end != '\0' || ttl > 2147483647L) {
		ctl_error(ctl, "TTL %s is not a number of seconds", argv[2]);
		return CTL_USAGE;
	}
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "name", argv[0]);
	cJSON_AddStringToObject(body, "type", argv[1]);
	cJSON_AddStringToObject(body, "class", "IN");
	cJSON_AddNumberToObject(body, "ttl", (double)ttl);
	cJSON *rdata = cJSON_AddArrayToObject(body, "rData");
	for (int i = 3; i < argc; i++) {
		cJSON_AddItemToArray(rdata, cJSON_CreateString(argv[i]));
	}
	char *text = cJSON_PrintUnformatted(body);
	char *path = set_path(ctl, argv[0], argv[1], &key);
	cJSON *json = NULL;
	int ret = text != NULL ? ctl_call_json(ctl, "PUT", path, text, &json, NULL) : CTL_LOCAL;
	if (ret == CTL_OK) {
		if (ctl->json) {
			ctl_print_json(json);
		} else {
			print_set_answer(json);
		}
	}
	cJSON_Delete(json);
	cJSON_Delete(body);
	free(text);
	free(path);
	return ret;
}

static int rrset_del(ctl_t *ctl, int argc, char **argv)
{
	set_key_t key = key_args(&argc, argv);
	if (argc != 2) {
		return usage_error(ctl, "rrset del NAME TYPE [zone=Z] [subnets=A/N,...]");
	}
	char *path = set_path(ctl, argv[0], argv[1], &key);
	ctl_answer_t answer;
	int ret = ctl_call(ctl, "DELETE", path, NULL, &answer);
	if (ret == CTL_OK && ctl->json) {
		printf("{\"generation\": %llu}\n", (unsigned long long)answer.generation);
	} else if (ret == CTL_OK && !ctl->quiet) {
		printf("deleted (generation %llu)\n", (unsigned long long)answer.generation);
	}
	ctl_answer_clear(&answer);
	free(path);
	return ret;
}

int ctl_rrset(ctl_t *ctl, int argc, char **argv)
{
	static const verb_t verbs[] = {
		{ "list", rrset_list },
		{ "show", rrset_show },
		{ "set", rrset_set },
		{ "del", rrset_del },
	};
	return dispatch(ctl, "rrset", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv);
}
