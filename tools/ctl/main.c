/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdnsctl: the operator's command line of mecdns, in knotc's spirit:
 *  the same verbs for every object, over mecdns-syncd's REST API (URL and
 *  token from a config file, the environment or options; HTTPS and mutual
 *  TLS). This file: options, config, dispatch and what commands share. */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "common/config_file.h"
#include "tools/ctl/ctl.h"

#define DEFAULT_URL     "http://127.0.0.1:8080"
#define SYSTEM_CONFIG   "/etc/mecdns/mecdnsctl.conf"
#define DEFAULT_TIMEOUT 30

/*! What the config file, the environment and the options say. */
typedef struct {
	char *url;
	char *token;
	char *token_file;
	char *ca_file;
	char *cert_file;
	char *key_file;
	char *server;
	char *timeout;
} settings_t;

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: " CTL_PROGRAM " [OPTIONS] COMMAND [ARGUMENTS]\n"
	        "\n"
	        "Controls mecdns through mecdns-syncd's REST API.\n"
	        "\n"
	        "Options:\n"
	        "  -c, --config FILE      config file (default $MECDNSCTL_CONFIG, else\n"
	        "                         ~/.config/mecdns/mecdnsctl.conf, else " SYSTEM_CONFIG
	        ")\n"
	        "  -u, --url URL          syncd's API (default " DEFAULT_URL ", $MECDNSCTL_URL)\n"
	        "  -t, --token-file FILE  file holding the bearer token ($MECDNSCTL_TOKEN holds\n"
	        "                         the token itself)\n"
	        "      --ca-file FILE     CA certificate(s) of syncd's HTTPS certificate\n"
	        "      --cert-file FILE   client certificate (mutual TLS)\n"
	        "      --key-file FILE    its private key\n"
	        "  -s, --server ADDR[@PORT]  DNS server to ask (wait, lookup; $MECDNSCTL_SERVER)\n"
	        "  -T, --timeout SECONDS  per-request timeout (default %d)\n"
	        "  -j, --json             print the API's JSON (for scripts)\n"
	        "  -q, --quiet            no progress bars or notes\n"
	        "  -h, --help             show this help and exit\n"
	        "  -V, --version          show the program version and exit\n"
	        "\n"
	        "Commands:\n"
	        "  status                              readiness, Knot state, counts\n"
	        "  rule list [APP]                     rules of APP, or of every app\n"
	        "  rule show APP ID\n"
	        "  rule add APP ID NAME ADDRESS [ttl=S] [state=ACTIVE|INACTIVE]\n"
	        "                                      [subnets=CIDR,...]\n"
	        "  rule set APP ID KEY=VALUE...        name, address, ttl, state, subnets\n"
	        "                                      (ttl=none, subnets=none remove them)\n"
	        "  rule del APP ID | rule del APP --all\n"
	        "  rrset list [ZONE]\n"
	        "  rrset show NAME TYPE [zone=Z]\n"
	        "  rrset set NAME TYPE TTL RDATA... [zone=Z]\n"
	        "  rrset del NAME TYPE [zone=Z]\n"
	        "  lookup NAME [TYPE] [--client ADDR[/LEN]]\n"
	        "                                      what a device gets, and why\n"
	        "  wait [GENERATION] [--timeout S]     until knotd serves GENERATION (default:\n"
	        "                                      all committed so far)\n"
	        "  export [--format json|zone] [FILE]  every rule and record set\n"
	        "  import [--resume] [--prune] FILE    apply an export (JSON) or a zone file\n"
	        "  backup PATH                         online copy of syncd's database\n"
	        "  restore [--yes] BACKUP              make syncd's data that of a backup\n"
	        "  stats                               counters of /metrics\n",
	        DEFAULT_TIMEOUT);
}

void ctl_error(const ctl_t *ctl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, CTL_PROGRAM ": ");
	if (ctl != NULL && ctl->what != NULL) {
		fprintf(stderr, "%s: ", ctl->what);
	}
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*! \brief What to do about a refused request, by status. */
static const char *hint(long status)
{
	switch (status) {
	case 401:
		return " (give a valid token: --token-file, MECDNSCTL_TOKEN or token-file in the "
		       "config file)";
	case 403:
		return " (the token lacks the scope; see mecdns-syncd(8), AUTHORISATION)";
	case 412:
		return " (the object changed meanwhile; show it again and retry)";
	case 429:
	case 503:
		return " (syncd is busy or not ready; retry later)";
	default:
		return "";
	}
}

int ctl_call(ctl_t *ctl, const char *method, const char *path, const char *body,
             ctl_answer_t *answer)
{
	if (!ctl_request(ctl->client, method, path, body, NULL, NULL, false, answer)) {
		ctl_error(ctl, "cannot reach mecdns-syncd at %s: %s (is it running? check --url)",
		          ctl->url, answer->error);
		return CTL_UNREACHABLE;
	}
	if (answer->status >= 200 && answer->status < 300) {
		return CTL_OK;
	}
	cJSON *problem = answer->body != NULL ? cJSON_Parse(answer->body) : NULL;
	const char *detail = ctl_string(problem, "detail", NULL);
	const char *title = ctl_string(problem, "title", "");
	ctl_error(ctl, "%ld %s: %s%s", answer->status, title,
	          detail != NULL ? detail : (answer->body != NULL ? answer->body : "(no body)"),
	          hint(answer->status));
	cJSON_Delete(problem);
	return CTL_REFUSED;
}

int ctl_call_json(ctl_t *ctl, const char *method, const char *path, const char *body, cJSON **json,
                  uint64_t *generation)
{
	ctl_answer_t answer;
	*json = NULL;
	int ret = ctl_call(ctl, method, path, body, &answer);
	if (ret == CTL_OK) {
		if (generation != NULL) {
			*generation = answer.generation;
		}
		if (answer.body != NULL) {
			*json = cJSON_Parse(answer.body);
			if (*json == NULL) {
				ctl_error(ctl, "syncd's answer is not JSON");
				ret = CTL_REFUSED;
			}
		}
	}
	ctl_answer_clear(&answer);
	return ret;
}

char *ctl_escape_or_die(ctl_t *ctl, const char *text)
{
	char *escaped = ctl_escape(ctl->client, text);
	if (escaped == NULL) {
		ctl_error(ctl, "out of memory");
		exit(CTL_LOCAL);
	}
	return escaped;
}

void ctl_print_json(const cJSON *json)
{
	char *text = cJSON_Print(json);
	if (text != NULL) {
		puts(text);
		free(text);
	}
}

const char *ctl_string(const cJSON *json, const char *name, const char *fallback)
{
	const cJSON *item = json != NULL ? cJSON_GetObjectItemCaseSensitive(json, name) : NULL;
	return cJSON_IsString(item) ? item->valuestring : fallback;
}

/*** Tables. ***/

void ctl_table_init(ctl_table_t *table, size_t columns)
{
	memset(table, 0, sizeof(*table));
	table->columns = columns;
}

void ctl_table_add(ctl_table_t *table, const char *const *cells)
{
	if (table->rows == table->capacity) {
		size_t capacity = table->capacity > 0 ? 2 * table->capacity : 16;
		char **grown = realloc(table->cells, capacity * table->columns * sizeof(*grown));
		if (grown == NULL) {
			fprintf(stderr, CTL_PROGRAM ": out of memory\n");
			exit(CTL_LOCAL);
		}
		table->cells = grown;
		table->capacity = capacity;
	}
	for (size_t c = 0; c < table->columns; c++) {
		char *copy = strdup(cells[c] != NULL ? cells[c] : "-");
		if (copy == NULL) {
			fprintf(stderr, CTL_PROGRAM ": out of memory\n");
			exit(CTL_LOCAL);
		}
		table->cells[table->rows * table->columns + c] = copy;
	}
	table->rows++;
}

void ctl_table_print(ctl_table_t *table)
{
	size_t width[16] = { 0 };
	for (size_t r = 0; r < table->rows; r++) {
		for (size_t c = 0; c < table->columns && c < 16; c++) {
			size_t len = strlen(table->cells[r * table->columns + c]);
			width[c] = len > width[c] ? len : width[c];
		}
	}
	for (size_t r = 0; r < table->rows; r++) {
		for (size_t c = 0; c < table->columns; c++) {
			const char *cell = table->cells[r * table->columns + c];
			if (c + 1 == table->columns) {
				printf("%s\n", cell);
			} else {
				printf("%-*s  ", (int)width[c < 16 ? c : 15], cell);
			}
		}
	}
}

void ctl_table_free(ctl_table_t *table)
{
	for (size_t i = 0; i < table->rows * table->columns; i++) {
		free(table->cells[i]);
	}
	free(table->cells);
	memset(table, 0, sizeof(*table));
}

/*** Settings. ***/

static bool apply_setting(void *ctx, const char *name, const char *value, const char *where,
                          char *err, size_t err_len)
{
	settings_t *s = ctx;
	const mecdns_config_string_t items[] = {
		{ "url", &s->url },
		{ "token", &s->token },
		{ "token-file", &s->token_file },
		{ "ca-file", &s->ca_file },
		{ "cert-file", &s->cert_file },
		{ "key-file", &s->key_file },
		{ "server", &s->server },
		{ "timeout", &s->timeout },
	};
	int ret = mecdns_config_apply_string(MECDNS_ITEMS(items), name, value, where, err, err_len);
	if (ret == 0) {
		snprintf(err, err_len, "%s: unknown item \"%s\"", where, name);
	}
	return ret == 1;
}

/*! \brief The config file to read: the one given, else the first that
 *         exists; NULL when none. */
static char *config_path(const char *given, bool *must_exist)
{
	*must_exist = true;
	if (given != NULL) {
		return strdup(given);
	}
	const char *env = getenv("MECDNSCTL_CONFIG");
	if (env != NULL && env[0] != '\0') {
		return strdup(env);
	}
	*must_exist = false;
	const char *home = getenv("HOME");
	char *user = NULL;
	if (home != NULL && asprintf(&user, "%s/.config/mecdns/mecdnsctl.conf", home) >= 0 &&
	    access(user, F_OK) == 0) {
		return user;
	}
	free(user);
	return access(SYSTEM_CONFIG, F_OK) == 0 ? strdup(SYSTEM_CONFIG) : NULL;
}

static void env_setting(char **field, const char *name)
{
	const char *value = getenv(name);
	if (value != NULL && value[0] != '\0') {
		(void)mecdns_config_set_string(field, value);
	}
}

/*! \brief The token: from the token file's first line (blanks cut). */
static char *read_token(const char *path, char *err, size_t err_len)
{
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 0077) != 0) {
		fprintf(stderr,
		        CTL_PROGRAM
		        ": warning: token file %s can be read by others (chmod 600 it)\n",
		        path);
	}
	size_t size = 0;
	char *text = mecdns_read_text_file(path, "token file", &size, err, err_len);
	if (text == NULL) {
		return NULL;
	}
	char *cursor = text;
	size_t line_no = 0;
	char *line = mecdns_next_line(&cursor, &line_no);
	char *token = line != NULL ? strdup(line) : NULL;
	free(text);
	if (token == NULL) {
		snprintf(err, err_len, "token file %s holds no token", path);
	}
	return token;
}

static void settings_free(settings_t *s)
{
	free(s->url);
	free(s->token);
	free(s->token_file);
	free(s->ca_file);
	free(s->cert_file);
	free(s->key_file);
	free(s->server);
	free(s->timeout);
	memset(s, 0, sizeof(*s));
}

typedef int (*command_fn)(ctl_t *ctl, int argc, char **argv);

static const struct {
	const char *name;
	command_fn fn;
} COMMANDS[] = {
	{ "rule", ctl_rule },       { "rrset", ctl_rrset },   { "status", ctl_status },
	{ "lookup", ctl_lookup },   { "wait", ctl_wait },     { "backup", ctl_backup },
	{ "stats", ctl_stats },     { "export", ctl_export }, { "import", ctl_import },
	{ "restore", ctl_restore },
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 't' },
		{ "ca-file", required_argument, NULL, 1 },
		{ "cert-file", required_argument, NULL, 2 },
		{ "key-file", required_argument, NULL, 3 },
		{ "server", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	settings_t opt = { 0 };
	const char *config_file = NULL;
	ctl_t ctl = { .wait_timeout = 60 };
	int c;
	/* '+': options stop at the command; each command reads its own. */
	while ((c = getopt_long(argc, argv, "+c:u:t:s:T:jqhV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_file = optarg;
			break;
		case 'u':
			opt.url = optarg;
			break;
		case 't':
			opt.token_file = optarg;
			break;
		case 1:
			opt.ca_file = optarg;
			break;
		case 2:
			opt.cert_file = optarg;
			break;
		case 3:
			opt.key_file = optarg;
			break;
		case 's':
			opt.server = optarg;
			break;
		case 'T':
			opt.timeout = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'q':
			ctl.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'V':
			printf(CTL_PROGRAM " " PACKAGE_VERSION "\n");
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}

	/* The file, then the environment, then the options. */
	settings_t s = { 0 };
	char err[512];
	bool must_exist = false;
	char *path = config_path(config_file, &must_exist);
	if (path != NULL && (must_exist || access(path, F_OK) == 0) &&
	    !mecdns_config_read_file(path, "mecdnsctl", apply_setting, &s, err, sizeof(err))) {
		fprintf(stderr, CTL_PROGRAM ": config: %s\n", err);
		free(path);
		settings_free(&s);
		return CTL_USAGE;
	}
	free(path);
	env_setting(&s.url, "MECDNSCTL_URL");
	env_setting(&s.token, "MECDNSCTL_TOKEN");
	env_setting(&s.token_file, "MECDNSCTL_TOKEN_FILE");
	env_setting(&s.server, "MECDNSCTL_SERVER");
	char **fields[] = { &s.url,      &s.token_file, &s.ca_file, &s.cert_file,
		            &s.key_file, &s.server,     &s.timeout };
	const char *given[] = { opt.url,      opt.token_file, opt.ca_file, opt.cert_file,
		                opt.key_file, opt.server,     opt.timeout };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (given[i] != NULL) {
			(void)mecdns_config_set_string(fields[i], given[i]);
		}
	}
	if (opt.token_file != NULL || s.token == NULL) {
		if (s.token_file != NULL) {
			free(s.token);
			s.token = read_token(s.token_file, err, sizeof(err));
			if (s.token == NULL) {
				fprintf(stderr, CTL_PROGRAM ": %s\n", err);
				settings_free(&s);
				return CTL_USAGE;
			}
		}
	}
	if (s.url == NULL && !mecdns_config_set_string(&s.url, DEFAULT_URL)) {
		settings_free(&s);
		return CTL_LOCAL;
	}
	unsigned long long timeout = DEFAULT_TIMEOUT;
	if (s.timeout != NULL && !mecdns_config_parse_number(s.timeout, 0, 86400, &timeout)) {
		fprintf(stderr, CTL_PROGRAM ": timeout \"%s\" is not a number of seconds\n",
		        s.timeout);
		settings_free(&s);
		return CTL_USAGE;
	}
	ctl_client_config_t client_config = {
		.url = s.url,
		.token = s.token,
		.ca_file = s.ca_file,
		.cert_file = s.cert_file,
		.key_file = s.key_file,
		.timeout_s = (long)timeout,
	};
	/* The API's paths start with '/': a URL's trailing slashes go. */
	size_t url_len = strlen(client_config.url);
	while (url_len > 0 && client_config.url[url_len - 1] == '/') {
		client_config.url[--url_len] = '\0';
	}
	ctl.url = client_config.url;
	ctl.dns = s.server;
	ctl.client = ctl_client_new(&client_config);
	if (ctl.client == NULL) {
		fprintf(stderr, CTL_PROGRAM ": cannot set up the HTTP client\n");
		settings_free(&s);
		return CTL_LOCAL;
	}

	const char *name = argv[optind];
	int ret = -1;
	for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++) {
		if (strcmp(COMMANDS[i].name, name) == 0) {
			ctl.what = name;
			ret = COMMANDS[i].fn(&ctl, argc - optind - 1, argv + optind + 1);
			break;
		}
	}
	if (ret == -1) {
		fprintf(stderr,
		        CTL_PROGRAM ": unknown command \"%s\" (see " CTL_PROGRAM " --help)\n",
		        name);
		ret = CTL_USAGE;
	}
	ctl_client_free(ctl.client);
	settings_free(&s);
	return ret;
}
