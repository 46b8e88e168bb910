/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-db: a small operator and test tool over the mecdns store.
 *
 *  mecdns-syncd's REST APIs are the normal way to change rules and record
 *  sets; this tool does the same through the store directly (same
 *  transactions, generations and change log), so that an operator can
 *  inspect a database and tests and the README can add rules without syncd.
 *  One command per run; one clear line on stderr and exit status 1 on error.
 */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libknot/libknot.h>

#include "config.h"
#include "schema/schema.h"
#include "store/store.h"
#include "common/rdata.h"
#include "common/subnet.h"

/*! The database mecdns-syncd uses unless told otherwise. */
#define MECDNS_DEFAULT_DATABASE "/var/lib/mecdns/mecdns.db"

#define PROGRAM "mecdns-db"

/*! Largest TTL the APIs and the schema accept. */
#define TTL_MAX 2147483647LL

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: " PROGRAM " [-d PATH] COMMAND [ARGUMENTS]\n"
	        "\n"
	        "Reads and changes a mecdns database through the mecdns store.\n"
	        "\n"
	        "Options:\n"
	        "  -d, --database PATH  database file (default " MECDNS_DEFAULT_DATABASE ")\n"
	        "  -h, --help           show this help and exit\n"
	        "  -V, --version        show the program version and exit\n"
	        "\n"
	        "Commands:\n"
	        "  init                              create or migrate the database\n"
	        "  version                           print the database's schema version\n"
	        "  generation                        print the last committed generation\n"
	        "  rule-add APP ID NAME ADDR [TTL]   add an ACTIVE rule (IPv4 or IPv6 by ADDR)\n"
	        "  rule-state APP ID ACTIVE|INACTIVE set a rule's state\n"
	        "  rule-del APP ID                   delete a rule\n"
	        "  rule-list APP                     list an app instance's rules\n"
	        "  rrset-set ZONE OWNER TYPE TTL RDATA...\n"
	        "                                    replace a record set; each RDATA is one\n"
	        "                                    record's data as the rrecord API takes it\n"
	        "  rrset-del ZONE OWNER TYPE [SUBNETS]\n"
	        "                                    delete a record set (of a scope)\n"
	        "  rrset-list [ZONE]                 list record sets\n"
	        "  changes [AFTER]                   print the change log after seq AFTER\n");
}

/*! \brief Prints one error line and returns the exit status for errors. */
static int error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int error(const char *command, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROGRAM ": %s: ", command);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

/*! \brief Error line for a failed store call. */
static int store_error(const char *command, mecdns_store_status_t status)
{
	const char *detail = mecdns_store_last_error();
	if (*detail == '\0') {
		detail = mecdns_store_strerror(status);
	}
	return error(command, "%s", detail);
}

/*! \brief Parses a TTL (0..2147483647). */
static bool parse_ttl(const char *text, int64_t *ttl)
{
	char *end = NULL;
	errno = 0;
	long long value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 0 || value > TTL_MAX) {
		return false;
	}
	*ttl = value;
	return true;
}

/*! \brief Parses a change log sequence number. */
static bool parse_seq(const char *text, uint64_t *seq)
{
	char *end = NULL;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
		return false;
	}
	*seq = value;
	return true;
}

/*! Parsed command line. */
typedef struct {
	const char *database;
	const char *command;
	int argc; /*!< Arguments after the command. */
	char **argv;
} cli_t;

/*! \brief ARGC must be within [min, max] for the command. */
static bool arg_count_ok(const cli_t *cli, int min, int max)
{
	if (cli->argc < min || cli->argc > max) {
		error(cli->command, "wrong number of arguments (see " PROGRAM " --help)");
		return false;
	}
	return true;
}

static int open_store(const cli_t *cli, mecdns_store_t **store)
{
	char err[512] = "";
	mecdns_store_status_t status = mecdns_store_open(cli->database, store, err, sizeof(err));
	if (status != MECDNS_STORE_OK) {
		return error(cli->command, "%s", err);
	}
	return 0;
}

static int print_generation(const cli_t *cli, mecdns_store_t *store)
{
	uint64_t generation = 0;
	mecdns_store_status_t status = mecdns_store_state(store, &generation, NULL, NULL);
	if (status != MECDNS_STORE_OK) {
		return store_error(cli->command, status);
	}
	printf("%" PRIu64 "\n", generation);
	return 0;
}

static int cmd_init(const cli_t *cli, mecdns_store_t *store)
{
	return print_generation(cli, store);
}

static int cmd_generation(const cli_t *cli, mecdns_store_t *store)
{
	return print_generation(cli, store);
}

static void print_rule(const mecdns_rule_t *rule)
{
	char ttl[24] = "-";
	if (rule->ttl >= 0) {
		snprintf(ttl, sizeof(ttl), "%" PRId64, rule->ttl);
	}
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%" PRIu64 "\t%s\n", rule->dns_rule_id, rule->domain_name,
	       rule->ip_type == MECDNS_IP_V6 ? "IP_V6" : "IP_V4", rule->ip_address, ttl,
	       rule->active ? "ACTIVE" : "INACTIVE", rule->version,
	       rule->client_subnets != NULL ? rule->client_subnets : "-");
}

static int cmd_rule_add(const cli_t *cli, mecdns_store_t *store)
{
	mecdns_rule_t rule = {
		.app_instance_id = cli->argv[0],
		.dns_rule_id = cli->argv[1],
		.domain_name = cli->argv[2],
		.ip_type = strchr(cli->argv[3], ':') != NULL ? MECDNS_IP_V6 : MECDNS_IP_V4,
		.ip_address = cli->argv[3],
		.ttl = -1,
		.active = true,
	};
	if (cli->argc == 5 && !parse_ttl(cli->argv[4], &rule.ttl)) {
		return error(cli->command, "TTL '%s' is not a number from 0 to 2147483647",
		             cli->argv[4]);
	}
	mecdns_rule_t stored;
	mecdns_store_status_t status = mecdns_store_rule_create(store, &rule, &stored);
	if (status != MECDNS_STORE_OK) {
		return store_error(cli->command, status);
	}
	printf("%" PRIu64 "\n", stored.generation);
	mecdns_rule_clear(&stored);
	return 0;
}

static int cmd_rule_state(const cli_t *cli, mecdns_store_t *store)
{
	bool active;
	if (strcmp(cli->argv[2], "ACTIVE") == 0) {
		active = true;
	} else if (strcmp(cli->argv[2], "INACTIVE") == 0) {
		active = false;
	} else {
		return error(cli->command, "state '%s' is neither ACTIVE nor INACTIVE",
		             cli->argv[2]);
	}
	mecdns_rule_t rule;
	mecdns_store_status_t status =
	    mecdns_store_rule_get(store, cli->argv[0], cli->argv[1], &rule, NULL);
	if (status != MECDNS_STORE_OK) {
		return store_error(cli->command, status);
	}
	rule.active = active;
	mecdns_rule_t stored;
	status = mecdns_store_rule_update(store, &rule, rule.version, &stored);
	mecdns_rule_clear(&rule);
	if (status != MECDNS_STORE_OK) {
		return store_error(cli->command, status);
	}
	printf("%" PRIu64 "\n", stored.generation);
	mecdns_rule_clear(&stored);
	return 0;
}

static int cmd_rule_del(const cli_t *cli, mecdns_store_t *store)
{
	mecdns_store_status_t status =
	    mecdns_store_rule_delete(store, cli->argv[0], cli->argv[1], 0, NULL);
	if (status != MECDNS_STORE_OK) {
		return store_error(cli->command, status);
	}
	return print_generation(cli, store);
}

static int cmd_rule_list(const cli_t *cli, mecdns_store_t *store)
{
	mecdns_rule_list_t list;
	mecdns_store_status_t status = mecdns_store_rule_list(store, cli->argv[0], &list, NULL);
	if (status != MECDNS_STORE_OK) {
		return store_error(cli->command, status);
	}
	for (size_t i = 0; i < list.count; i++) {
		print_rule(&list.items[i]);
	}
	mecdns_rule_list_free(&list);
	return 0;
}

/*! \brief Canonical form of a name given on the command line. */
static char *canonical_arg(const cli_t *cli, const char *what, const char *name)
{
	char *canonical = mecdns_canonical_name(name);
	if (canonical == NULL) {
		error(cli->command, "%s '%s' is not a valid domain name", what, name);
	}
	return canonical;
}

/*! \brief Parses a record type as the rrecord API does (mecdns_rrtype_parse()). */
static bool parse_type(const cli_t *cli, const char *text, uint16_t *type)
{
	char err[256];
	if (!mecdns_rrtype_parse(text, type, err, sizeof(err))) {
		error(cli->command, "%s", err);
		return false;
	}
	return true;
}

static int cmd_rrset_set(const cli_t *cli, mecdns_store_t *store)
{
	mecdns_rrset_t set = { 0 };
	int64_t ttl = 0;
	if (!parse_type(cli, cli->argv[2], &set.type)) {
		return 1;
	}
	if (!parse_ttl(cli->argv[3], &ttl)) {
		return error(cli->command, "TTL '%s' is not a number from 0 to 2147483647",
		             cli->argv[3]);
	}
	set.ttl = (uint32_t)ttl;
	set.zone = canonical_arg(cli, "zone", cli->argv[0]);
	set.owner = set.zone != NULL ? canonical_arg(cli, "owner", cli->argv[1]) : NULL;
	size_t wanted = (size_t)(cli->argc - 4);
	set.rdata = calloc(wanted, sizeof(*set.rdata));
	int ret = 1;
	if (set.owner == NULL) {
		ret = 1; /* Already reported. */
	} else if (set.rdata == NULL) {
		ret = error(cli->command, "out of memory");
	} else {
		/* The rrecord API's parser: same accepted text, same canonical form. */
		ret = 0;
		char err[512];
		for (size_t i = 0; ret == 0 && i < wanted; i++) {
			mecdns_rdata_t *rdata = &set.rdata[set.rdata_count];
			if (!mecdns_rdata_parse(set.owner, set.type, cli->argv[4 + i], &rdata->wire,
			                        &rdata->wire_len, &rdata->text, err, sizeof(err))) {
				ret = error(cli->command, "%s", err);
			} else {
				set.rdata_count++;
			}
		}
	}
	if (ret == 0) {
		uint64_t generation = 0;
		mecdns_store_status_t status =
		    mecdns_store_rrset_replace(store, &set, 1, &generation);
		if (status != MECDNS_STORE_OK) {
			ret = store_error(cli->command, status);
		} else {
			printf("%" PRIu64 "\n", generation);
		}
	}
	if (set.rdata == NULL) {
		set.rdata_count = 0;
	}
	mecdns_rrset_clear(&set);
	return ret;
}

static int cmd_rrset_del(const cli_t *cli, mecdns_store_t *store)
{
	/* Any type, also those rrset-set refuses: sets written by earlier
	 * versions of this tool can still be deleted. */
	uint16_t type = 0;
	if (knot_rrtype_from_string(cli->argv[2], &type) != 0) {
		return error(cli->command, "unknown record type '%s'", cli->argv[2]);
	}
	char *scope = NULL;
	if (cli->argc == 4) {
		char err[256];
		scope = mecdns_subnets_canonical_text(cli->argv[3], err, sizeof(err));
		if (scope == NULL) {
			return error(cli->command, "client subnets '%s': %s", cli->argv[3], err);
		}
	}
	char *zone = canonical_arg(cli, "zone", cli->argv[0]);
	char *owner = zone != NULL ? canonical_arg(cli, "owner", cli->argv[1]) : NULL;
	int ret = 1;
	if (owner != NULL) {
		uint64_t generation = 0;
		mecdns_store_status_t status =
		    mecdns_store_rrset_delete(store, zone, owner, type, scope, &generation);
		if (status != MECDNS_STORE_OK) {
			ret = store_error(cli->command, status);
		} else {
			printf("%" PRIu64 "\n", generation);
			ret = 0;
		}
	}
	free(owner);
	free(zone);
	free(scope);
	return ret;
}

static const char *or_dash(const char *text)
{
	return text != NULL ? text : "-";
}

static int cmd_rrset_list(const cli_t *cli, mecdns_store_t *store)
{
	char *zone = NULL;
	if (cli->argc == 1 && (zone = canonical_arg(cli, "zone", cli->argv[0])) == NULL) {
		return 1;
	}
	mecdns_rrset_list_t list;
	mecdns_store_status_t status = mecdns_store_rrset_list(store, zone, &list, NULL);
	free(zone);
	if (status != MECDNS_STORE_OK) {
		return store_error(cli->command, status);
	}
	for (size_t i = 0; i < list.count; i++) {
		const mecdns_rrset_t *set = &list.items[i];
		char type[32];
		mecdns_rrtype_name(set->type, type, sizeof(type));
		for (size_t j = 0; j < set->rdata_count; j++) {
			printf("%s\t%s\t%s\t%u\t%s\t%s\n", set->zone, set->owner, type, set->ttl,
			       set->rdata[j].text, or_dash(set->client_subnets));
		}
	}
	mecdns_rrset_list_free(&list);
	return 0;
}

static bool print_change(const mecdns_change_t *change, void *ctx)
{
	if (change->kind == MECDNS_CHANGE_RULE) {
		printf("%" PRIu64 "\t%" PRIu64 "\trule\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", change->seq,
		       change->generation, or_dash(change->state), or_dash(change->app_instance_id),
		       or_dash(change->dns_rule_id), or_dash(change->domain_name), change->owner,
		       or_dash(change->prev_owner), or_dash(change->client_subnets));
	} else {
		printf("%" PRIu64 "\t%" PRIu64 "\trrset\t%s\t%s\t%s\t%u\t%s\n", change->seq,
		       change->generation, or_dash(change->zone), change->owner,
		       or_dash(change->rrtype), change->rdata_count,
		       or_dash(change->client_subnets));
	}
	return true;
}

static int cmd_changes(const cli_t *cli, mecdns_store_t *store)
{
	uint64_t after = 0;
	if (cli->argc == 1 && !parse_seq(cli->argv[0], &after)) {
		return error(cli->command, "AFTER '%s' is not a sequence number", cli->argv[0]);
	}
	mecdns_store_status_t status = mecdns_store_changes(store, after, 0, print_change, NULL);
	if (status != MECDNS_STORE_OK) {
		return store_error(cli->command, status);
	}
	return 0;
}

/*! \brief Prints the schema version without creating or migrating the file. */
static int cmd_version(const cli_t *cli)
{
	char err[512] = "";
	sqlite3 *db = NULL;
	if (mecdns_db_open(cli->database, MECDNS_DB_READER, &db, err, sizeof(err)) != SQLITE_OK) {
		return error(cli->command, "%s", err);
	}
	int version = 0;
	int ret = mecdns_db_version(db, &version);
	sqlite3_close(db);
	if (ret != SQLITE_OK) {
		return error(cli->command, "%s: cannot read the schema version", cli->database);
	}
	printf("%d\n", version);
	return 0;
}

/*! A command: name, argument counts and handler (NULL: handled apart). */
typedef struct {
	const char *name;
	int min_args;
	int max_args;
	int (*run)(const cli_t *cli, mecdns_store_t *store);
} command_t;

static const command_t COMMANDS[] = {
	{ "init", 0, 0, cmd_init },
	{ "version", 0, 0, NULL },
	{ "generation", 0, 0, cmd_generation },
	{ "rule-add", 4, 5, cmd_rule_add },
	{ "rule-state", 3, 3, cmd_rule_state },
	{ "rule-del", 2, 2, cmd_rule_del },
	{ "rule-list", 1, 1, cmd_rule_list },
	{ "rrset-set", 5, 4 + 4096, cmd_rrset_set },
	{ "rrset-del", 3, 4, cmd_rrset_del },
	{ "rrset-list", 0, 1, cmd_rrset_list },
	{ "changes", 0, 1, cmd_changes },
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	cli_t cli = { .database = MECDNS_DEFAULT_DATABASE };
	int opt;
	/* Files this tool creates (init) are never for others, as syncd's. */
	(void)umask(027);
	while ((opt = getopt_long(argc, argv, "+d:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			cli.database = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROGRAM " (%s) %s, schema version %d\n", PACKAGE_NAME,
			       PACKAGE_VERSION, MECDNS_SCHEMA_VERSION);
			return 0;
		default:
			fprintf(stderr, PROGRAM ": see " PROGRAM " --help\n");
			return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, PROGRAM ": no command given (see " PROGRAM " --help)\n");
		return 1;
	}
	cli.command = argv[optind];
	cli.argc = argc - optind - 1;
	cli.argv = argv + optind + 1;

	const command_t *command = NULL;
	for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++) {
		if (strcmp(COMMANDS[i].name, cli.command) == 0) {
			command = &COMMANDS[i];
		}
	}
	if (command == NULL) {
		fprintf(stderr, PROGRAM ": unknown command '%s' (see " PROGRAM " --help)\n",
		        cli.command);
		return 1;
	}
	if (!arg_count_ok(&cli, command->min_args, command->max_args)) {
		return 1;
	}
	if (command->run == NULL) {
		return cmd_version(&cli);
	}
	mecdns_store_t *store = NULL;
	int ret = open_store(&cli, &store);
	if (ret == 0) {
		ret = command->run(&cli, store);
	}
	mecdns_store_close(store);
	if (fflush(stdout) != 0 && ret == 0) {
		ret = error(cli.command, "cannot write the output");
	}
	return ret;
}
