/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-place: anycast placement planning (which hosts should serve and
 *  announce the DNS service prefix), after
 *  draft-deng-dns-authority-server-placement. Reads candidate hosts (cost,
 *  address), client groups (query volume) and measured RTTs, as CSV files
 *  or one JSON document; chooses the hosts within a budget (solve.h);
 *  prints the choice, the latency distribution and what the next host would
 *  add; writes a mecdns-announce configuration per chosen host. */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "tools/place/measure.h"
#include "tools/place/solve.h"

#define PROGRAM "mecdns-place"

typedef struct {
	char **names;
	char **addresses; /*!< Hosts only; may hold NULL. */
	double *values;   /*!< Host cost or group queries. */
	size_t count;
	size_t capacity;
	size_t *slots;     /*!< Open addressing by name: index + 1, 0 free. */
	size_t slot_count; /*!< A power of two, at least twice count. */
} table_t;

typedef struct {
	table_t hosts;
	table_t groups;
	double *rtt;
} input_t;

/*! The input and the JSON document being read: file-scope, so that what
 *  die() leaves behind is still referenced at exit. */
static input_t input;
static cJSON *json_doc;

static void table_free(table_t *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->names[i]);
		free(t->addresses[i]);
	}
	free(t->names);
	free(t->addresses);
	free(t->values);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROGRAM ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: " PROGRAM " [OPTIONS] --budget B (--input FILE.json |\n"
	        "                    --hosts hosts.csv --groups groups.csv --rtt rtt.csv)\n"
	        "\n"
	        "Chooses which hosts should serve (and announce the anycast DNS prefix) so\n"
	        "that query-weighted latency is least within the budget.\n"
	        "\n"
	        "  --hosts FILE       CSV: host,cost[,address]\n"
	        "  --groups FILE      CSV: group,queries\n"
	        "  --rtt FILE         CSV: group,host,rtt_ms (missing pairs: unreachable)\n"
	        "  --input FILE       JSON: {\"hosts\":[{\"name\",\"cost\",\"address\"}],\n"
	        "                     \"groups\":[{\"name\",\"queries\"}],\n"
	        "                     \"rtt\":[{\"group\",\"host\",\"ms\"}]}\n"
	        "  --budget B         most total cost of the chosen hosts\n"
	        "  --fallback-ms MS   latency of a group no chosen host reaches (default 200)\n"
	        "  --method M         exact, greedy or auto (default: exact up to %d hosts)\n"
	        "  --time-limit S     local search limit in seconds (default 8)\n"
	        "  --json             print the result as JSON\n"
	        "  --announce-dir DIR write DIR/HOST.conf (mecdns-announce) per chosen host\n"
	        "  --prefix P/LEN     the service prefix those configurations announce\n"
	        "  --profile NAME     their BGP profile: bird, exabgp or gobgp (default bird)\n"
	        "\n"
	        "       " PROGRAM " measure --group GROUP [--count N] [--timeout-ms MS]\n"
	        "                    [--qname NAME] HOST=ADDR[@PORT]...\n"
	        "\n"
	        "Measures this host's RTTs (this host is in GROUP) to the candidates by DNS\n"
	        "(default CH TXT generation.mecdns., N = 5 queries each, the median) and\n"
	        "prints rtt.csv lines; a host that never answers is left out.\n",
	        PLACE_EXACT_MAX);
}

static size_t name_hash(const char *name)
{
	size_t h = 1469598103934665603ULL;
	for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) {
		h = (h ^ *c) * 1099511628211ULL;
	}
	return h;
}

static size_t table_find(const table_t *t, const char *name)
{
	if (t->slot_count == 0) {
		return SIZE_MAX;
	}
	for (size_t i = name_hash(name) & (t->slot_count - 1);; i = (i + 1) & (t->slot_count - 1)) {
		if (t->slots[i] == 0) {
			return SIZE_MAX;
		}
		if (strcmp(t->names[t->slots[i] - 1], name) == 0) {
			return t->slots[i] - 1;
		}
	}
}

static void table_index(table_t *t, size_t index)
{
	size_t i = name_hash(t->names[index]) & (t->slot_count - 1);
	while (t->slots[i] != 0) {
		i = (i + 1) & (t->slot_count - 1);
	}
	t->slots[i] = index + 1;
}

static void table_add(table_t *t, const char *name, double value, const char *address,
                      const char *where)
{
	if (name[0] == '\0') {
		die("%s: an empty name", where);
	}
	if (!isfinite(value) || value < 0) {
		die("%s: %s: the value must be a number >= 0", where, name);
	}
	if (t->count == t->capacity) {
		t->capacity = t->capacity > 0 ? 2 * t->capacity : 64;
		t->names = realloc(t->names, t->capacity * sizeof(*t->names));
		t->addresses = realloc(t->addresses, t->capacity * sizeof(*t->addresses));
		t->values = realloc(t->values, t->capacity * sizeof(*t->values));
		free(t->slots);
		t->slot_count = 2 * t->capacity;
		t->slots = calloc(t->slot_count, sizeof(*t->slots));
		if (t->names == NULL || t->addresses == NULL || t->values == NULL ||
		    t->slots == NULL) {
			die("out of memory");
		}
		for (size_t i = 0; i < t->count; i++) {
			table_index(t, i);
		}
	}
	t->names[t->count] = strdup(name);
	t->addresses[t->count] = address != NULL && address[0] != '\0' ? strdup(address) : NULL;
	t->values[t->count] = value;
	if (t->names[t->count] == NULL) {
		die("out of memory");
	}
	table_index(t, t->count);
	t->count++;
}

/*! \brief Splits a CSV line into at most max fields (no quoting: names and
 *         numbers only), trimming blanks; the number of fields. */
static size_t split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	line[strcspn(line, "\r\n")] = '\0';
	for (char *f = strtok_r(line, ",", &save); f != NULL && n < max;
	     f = strtok_r(NULL, ",", &save)) {
		while (*f == ' ' || *f == '\t') {
			f++;
		}
		char *end = f + strlen(f);
		while (end > f && (end[-1] == ' ' || end[-1] == '\t')) {
			*--end = '\0';
		}
		fields[n++] = f;
	}
	return n;
}

static double number(const char *text, const char *where)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || *end != '\0' || errno != 0) {
		die("%s: \"%s\" is not a number", where, text);
	}
	return v;
}

/*! \brief Reads a CSV file, calling row for each data line (a first line
 *         whose second field is not a number is a header). */
static void read_csv(const char *path, size_t min_fields,
                     void (*row)(char **, size_t, const char *, void *), void *ctx)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		die("cannot read %s: %s", path, strerror(errno));
	}
	char line[4096];
	size_t line_no = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line_no++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0') {
			continue;
		}
		char *fields[4];
		size_t n = split(line, fields, 4);
		char where[512];
		snprintf(where, sizeof(where), "%s:%zu", path, line_no);
		if (n < min_fields) {
			die("%s: %zu fields, %zu expected", where, n, min_fields);
		}
		char *end = NULL;
		(void)strtod(fields[min_fields - 1], &end);
		if (line_no == 1 && (end == fields[min_fields - 1] || *end != '\0')) {
			continue; /* Header. */
		}
		row(fields, n, where, ctx);
	}
	fclose(f);
}

static void host_row(char **f, size_t n, const char *where, void *ctx)
{
	table_t *t = ctx;
	if (table_find(t, f[0]) != SIZE_MAX) {
		die("%s: host %s given twice", where, f[0]);
	}
	table_add(t, f[0], number(f[1], where), n > 2 ? f[2] : NULL, where);
}

static void group_row(char **f, size_t n, const char *where, void *ctx)
{
	(void)n;
	table_t *t = ctx;
	if (table_find(t, f[0]) != SIZE_MAX) {
		die("%s: group %s given twice", where, f[0]);
	}
	table_add(t, f[0], number(f[1], where), NULL, where);
}

static void set_rtt(input_t *in, const char *group, const char *host, double ms, const char *where)
{
	size_t g = table_find(&in->groups, group);
	size_t h = table_find(&in->hosts, host);
	if (g == SIZE_MAX || h == SIZE_MAX) {
		die("%s: unknown %s %s", where, g == SIZE_MAX ? "group" : "host",
		    g == SIZE_MAX ? group : host);
	}
	if (!isfinite(ms) || ms < 0) {
		die("%s: the RTT must be a number >= 0", where);
	}
	in->rtt[g * in->hosts.count + h] = ms;
}

static void rtt_row(char **f, size_t n, const char *where, void *ctx)
{
	(void)n;
	set_rtt(ctx, f[0], f[1], number(f[2], where), where);
}

static void alloc_rtt(input_t *in)
{
	size_t cells = in->groups.count * in->hosts.count;
	if (in->hosts.count == 0 || in->groups.count == 0) {
		die("no %s given", in->hosts.count == 0 ? "hosts" : "client groups");
	}
	in->rtt = malloc(cells * sizeof(*in->rtt));
	if (in->rtt == NULL) {
		die("out of memory for %zu x %zu RTTs", in->groups.count, in->hosts.count);
	}
	for (size_t i = 0; i < cells; i++) {
		in->rtt[i] = INFINITY;
	}
}

static void read_json(const char *path, input_t *in)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		die("cannot read %s: %s", path, strerror(errno));
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *text = malloc((size_t)size + 1);
	if (text == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
		die("cannot read %s", path);
	}
	text[size] = '\0';
	fclose(f);
	json_doc = cJSON_Parse(text);
	free(text);
	cJSON *doc = json_doc;
	if (doc == NULL) {
		die("%s is not JSON", path);
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "hosts"))
	{
		const cJSON *name = cJSON_GetObjectItem(item, "name");
		const cJSON *cost = cJSON_GetObjectItem(item, "cost");
		const cJSON *address = cJSON_GetObjectItem(item, "address");
		if (!cJSON_IsString(name) || !cJSON_IsNumber(cost)) {
			die("%s: a host needs \"name\" and \"cost\"", path);
		}
		if (table_find(&in->hosts, name->valuestring) != SIZE_MAX) {
			die("%s: host %s given twice", path, name->valuestring);
		}
		table_add(&in->hosts, name->valuestring, cost->valuedouble,
		          cJSON_IsString(address) ? address->valuestring : NULL, path);
	}
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "groups"))
	{
		const cJSON *name = cJSON_GetObjectItem(item, "name");
		const cJSON *queries = cJSON_GetObjectItem(item, "queries");
		if (!cJSON_IsString(name) || !cJSON_IsNumber(queries)) {
			die("%s: a group needs \"name\" and \"queries\"", path);
		}
		if (table_find(&in->groups, name->valuestring) != SIZE_MAX) {
			die("%s: group %s given twice", path, name->valuestring);
		}
		table_add(&in->groups, name->valuestring, queries->valuedouble, NULL, path);
	}
	alloc_rtt(in);
	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "rtt"))
	{
		const cJSON *g = cJSON_GetObjectItem(item, "group");
		const cJSON *h = cJSON_GetObjectItem(item, "host");
		const cJSON *ms = cJSON_GetObjectItem(item, "ms");
		if (!cJSON_IsString(g) || !cJSON_IsString(h) || !cJSON_IsNumber(ms)) {
			die("%s: an rtt entry needs \"group\", \"host\" and \"ms\"", path);
		}
		set_rtt(in, g->valuestring, h->valuestring, ms->valuedouble, path);
	}
	cJSON_Delete(doc);
	json_doc = NULL;
}

/*** The result. ***/

typedef struct {
	double latency;
	double queries;
} sample_t;

static int by_latency(const void *a, const void *b)
{
	double x = ((const sample_t *)a)->latency, y = ((const sample_t *)b)->latency;
	return (x > y) - (x < y);
}

/*! \brief Query-weighted percentile of sorted samples. */
static double percentile(const sample_t *s, size_t n, double total, double q)
{
	double seen = 0;
	for (size_t i = 0; i < n; i++) {
		seen += s[i].queries;
		if (seen >= q * total) {
			return s[i].latency;
		}
	}
	return n > 0 ? s[n - 1].latency : 0;
}

static void write_announce(const input_t *in, const bool *chosen, const char *dir,
                           const char *prefix, const char *profile)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		die("cannot create %s: %s", dir, strerror(errno));
	}
	for (size_t h = 0; h < in->hosts.count; h++) {
		if (!chosen[h]) {
			continue;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.conf", dir, in->hosts.names[h]);
		FILE *f = fopen(path, "w");
		if (f == NULL) {
			die("cannot write %s: %s", path, strerror(errno));
		}
		fprintf(f,
		        "# mecdns-announce(8) on host %s%s%s, chosen by mecdns-place.\n"
		        "announce:\n"
		        "    dbus: system\n"
		        "    profile: %s\n"
		        "    prefix: %s\n",
		        in->hosts.names[h], in->hosts.addresses[h] != NULL ? " " : "",
		        in->hosts.addresses[h] != NULL ? in->hosts.addresses[h] : "", profile,
		        prefix);
		if (fclose(f) != 0) {
			die("cannot write %s", path);
		}
	}
}

/*! \brief mecdns-place measure --group G HOST=ADDR[@PORT]...: rtt.csv lines. */
static int measure_main(int argc, char **argv)
{
	const char *group = NULL, *qname = "generation.mecdns.";
	int count = 5, timeout = 1000;
	place_target_t targets[1024];
	size_t n = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--group") == 0 && i + 1 < argc) {
			group = argv[++i];
		} else if (strcmp(argv[i], "--qname") == 0 && i + 1 < argc) {
			qname = argv[++i];
		} else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			count = (int)number(argv[++i], "--count");
		} else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
			timeout = (int)number(argv[++i], "--timeout-ms");
		} else if (strchr(argv[i], '=') != NULL && argv[i][0] != '-' && n < 1024) {
			char *eq = strchr(argv[i], '=');
			*eq = '\0';
			targets[n].name = argv[i];
			if (argv[i][0] == '\0' ||
			    !place_parse_address(eq + 1, &targets[n].addr, &targets[n].len)) {
				die("\"%s=%s\" is not HOST=ADDR[@PORT]", argv[i], eq + 1);
			}
			n++;
		} else {
			die("measure: unknown argument \"%s\" (see " PROGRAM " --help)", argv[i]);
		}
	}
	if (group == NULL || n == 0 || count < 1 || count > 1000 || timeout < 1) {
		die("usage: " PROGRAM " measure --group GROUP [--count N] [--timeout-ms MS] "
		    "[--qname NAME] HOST=ADDR[@PORT]...");
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	int ret = place_measure(group, targets, n, qname, count, timeout, stdout);
	if (ret < 0) {
		die(ret == -2 ? "--qname %s is not a domain name" : "measure failed (%s)", qname);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "measure") == 0) {
		return measure_main(argc - 2, argv + 2);
	}
	static const struct option options[] = {
		{ "hosts", required_argument, NULL, 'H' },
		{ "groups", required_argument, NULL, 'G' },
		{ "rtt", required_argument, NULL, 'R' },
		{ "input", required_argument, NULL, 'i' },
		{ "budget", required_argument, NULL, 'b' },
		{ "fallback-ms", required_argument, NULL, 'f' },
		{ "method", required_argument, NULL, 'm' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "announce-dir", required_argument, NULL, 'a' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "profile", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *hosts = NULL, *groups = NULL, *rtt = NULL, *input_path = NULL;
	const char *method = "auto", *announce_dir = NULL, *prefix = NULL, *profile = "bird";
	double budget = NAN, fallback = 200, time_limit = 8;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'H':
			hosts = optarg;
			break;
		case 'G':
			groups = optarg;
			break;
		case 'R':
			rtt = optarg;
			break;
		case 'i':
			input_path = optarg;
			break;
		case 'b':
			budget = number(optarg, "--budget");
			break;
		case 'f':
			fallback = number(optarg, "--fallback-ms");
			break;
		case 'm':
			method = optarg;
			break;
		case 't':
			time_limit = number(optarg, "--time-limit");
			break;
		case 'j':
			json = true;
			break;
		case 'a':
			announce_dir = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'P':
			profile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROGRAM " " PACKAGE_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (isnan(budget) || budget < 0 || optind != argc ||
	    (input_path == NULL && (hosts == NULL || groups == NULL || rtt == NULL))) {
		usage(stderr);
		return 2;
	}
	if (announce_dir != NULL && prefix == NULL) {
		die("--announce-dir needs --prefix (the service prefix to announce)");
	}
	if (strcmp(profile, "bird") != 0 && strcmp(profile, "exabgp") != 0 &&
	    strcmp(profile, "gobgp") != 0) {
		die("--profile %s: bird, exabgp or gobgp", profile);
	}
	if (!(fallback >= 0) || !isfinite(fallback)) {
		die("--fallback-ms must be a number >= 0");
	}

	if (input_path != NULL) {
		read_json(input_path, &input);
	} else {
		read_csv(hosts, 2, host_row, &input.hosts);
		read_csv(groups, 2, group_row, &input.groups);
		alloc_rtt(&input);
		read_csv(rtt, 3, rtt_row, &input);
	}
	place_problem_t p = {
		.hosts = input.hosts.count,
		.groups = input.groups.count,
		.cost = input.hosts.values,
		.queries = input.groups.values,
		.rtt = input.rtt,
		.fallback = fallback,
		.budget = budget,
	};
	bool exact = strcmp(method, "exact") == 0 ||
	             (strcmp(method, "auto") == 0 && p.hosts <= PLACE_EXACT_MAX);
	if (strcmp(method, "exact") != 0 && strcmp(method, "greedy") != 0 &&
	    strcmp(method, "auto") != 0) {
		die("--method %s: exact, greedy or auto", method);
	}
	if (exact && p.hosts > PLACE_EXACT_MAX) {
		die("--method exact takes at most %d hosts (%zu given): use greedy",
		    PLACE_EXACT_MAX, p.hosts);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	place_solution_t sol;
	if (!(exact ? place_exact(&p, &sol) : place_greedy(&p, time_limit, &sol))) {
		die("out of memory");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	/* The distribution, and the next host. */
	sample_t *samples = malloc(p.groups * sizeof(*samples));
	double *gains = malloc(p.hosts * sizeof(*gains));
	if (samples == NULL || gains == NULL) {
		die("out of memory");
	}
	double queries = 0;
	for (size_t g = 0; g < p.groups; g++) {
		double best = fallback;
		for (size_t h = 0; h < p.hosts; h++) {
			double r = p.rtt[g * p.hosts + h];
			best = sol.chosen[h] && r < best ? r : best;
		}
		samples[g] = (sample_t){ best, p.queries[g] };
		queries += p.queries[g];
	}
	qsort(samples, p.groups, sizeof(*samples), by_latency);
	place_gains(&p, sol.chosen, gains);
	size_t next = p.hosts;
	for (size_t h = 0; h < p.hosts; h++) {
		if (!sol.chosen[h] && gains[h] > 0 && (next == p.hosts || gains[h] > gains[next])) {
			next = h;
		}
	}
	double mean = queries > 0 ? sol.total / queries : 0;
	double p50 = percentile(samples, p.groups, queries, 0.5);
	double p90 = percentile(samples, p.groups, queries, 0.9);
	double p99 = percentile(samples, p.groups, queries, 0.99);
	double max = p.groups > 0 ? samples[p.groups - 1].latency : 0;

	if (json) {
		cJSON *out = cJSON_CreateObject();
		cJSON *chosen = cJSON_AddArrayToObject(out, "chosen");
		for (size_t h = 0; h < p.hosts; h++) {
			if (sol.chosen[h]) {
				cJSON_AddItemToArray(chosen,
				                     cJSON_CreateString(input.hosts.names[h]));
			}
		}
		cJSON_AddStringToObject(out, "method", exact ? "exact" : "greedy");
		cJSON_AddNumberToObject(out, "guarantee", sol.bound_ratio);
		cJSON_AddNumberToObject(out, "cost", sol.cost);
		cJSON_AddNumberToObject(out, "budget", budget);
		cJSON_AddNumberToObject(out, "meanMs", mean);
		cJSON_AddNumberToObject(out, "p50Ms", p50);
		cJSON_AddNumberToObject(out, "p90Ms", p90);
		cJSON_AddNumberToObject(out, "p99Ms", p99);
		cJSON_AddNumberToObject(out, "maxMs", max);
		cJSON_AddNumberToObject(out, "seconds", seconds);
		if (next < p.hosts) {
			cJSON *n = cJSON_AddObjectToObject(out, "next");
			cJSON_AddStringToObject(n, "host", input.hosts.names[next]);
			cJSON_AddNumberToObject(n, "cost", p.cost[next]);
			cJSON_AddNumberToObject(n, "meanMs", (sol.total - gains[next]) / queries);
		}
		char *text = cJSON_Print(out);
		puts(text);
		free(text);
		cJSON_Delete(out);
	} else {
		printf("chosen (%s%s, %.3f s):", exact ? "exact" : "greedy + local search",
		       sol.timed_out ? ", time limit reached" : "", seconds);
		for (size_t h = 0; h < p.hosts; h++) {
			if (sol.chosen[h]) {
				printf(" %s", input.hosts.names[h]);
			}
		}
		printf("\ncost:    %g of budget %g\n", sol.cost, budget);
		printf("latency: mean %.2f ms, p50 %.2f, p90 %.2f, p99 %.2f, max %.2f (weighted by "
		       "queries; fallback %.2f)\n",
		       mean, p50, p90, p99, max, fallback);
		if (!exact) {
			printf("bound:   the saving is at least %.3f of the optimum's (max of "
			       "cost-benefit "
			       "greedy and best single host; %zu local search moves)\n",
			       sol.bound_ratio, sol.moves);
		}
		if (next < p.hosts) {
			printf("next:    %s (cost %g) would bring the mean to %.2f ms\n",
			       input.hosts.names[next], p.cost[next],
			       (sol.total - gains[next]) / queries);
		} else {
			printf("next:    no other host would lower the latency\n");
		}
	}
	if (announce_dir != NULL) {
		write_announce(&input, sol.chosen, announce_dir, prefix, profile);
	}
	free(samples);
	free(gains);
	place_solution_free(&sol);
	table_free(&input.hosts);
	table_free(&input.groups);
	free(input.rtt);
	return 0;
}
