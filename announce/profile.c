/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce action argv: profiles and command-line splitting
 *  (see profile.h). */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce/profile.h"

static const char *const profile_names[] = {
	[ANNOUNCE_PROFILE_NONE] = "none",
	[ANNOUNCE_PROFILE_BIRD] = "bird",
	[ANNOUNCE_PROFILE_EXABGP] = "exabgp",
	[ANNOUNCE_PROFILE_GOBGP] = "gobgp",
};

int announce_profile_parse(const char *name)
{
	for (size_t i = ANNOUNCE_PROFILE_BIRD; i < sizeof(profile_names) / sizeof(profile_names[0]);
	     i++) {
		if (name != NULL && strcmp(name, profile_names[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

const char *announce_profile_name(announce_profile_t profile)
{
	if ((size_t)profile >= sizeof(profile_names) / sizeof(profile_names[0])) {
		return "?";
	}
	return profile_names[profile];
}

bool announce_prefix_check(const char *prefix, bool *ipv6, char *err, size_t err_len)
{
	if (prefix == NULL) {
		snprintf(err, err_len, "needs the service prefix (prefix: / --prefix)");
		return false;
	}
	const char *slash = strchr(prefix, '/');
	char address[INET6_ADDRSTRLEN];
	if (slash == NULL || slash == prefix || (size_t)(slash - prefix) >= sizeof(address)) {
		snprintf(err, err_len, "prefix \"%s\" must be ADDRESS/LENGTH", prefix);
		return false;
	}
	memcpy(address, prefix, (size_t)(slash - prefix));
	address[slash - prefix] = '\0';

	unsigned char buf[sizeof(struct in6_addr)];
	bool is_v6 = strchr(address, ':') != NULL;
	if (inet_pton(is_v6 ? AF_INET6 : AF_INET, address, buf) != 1) {
		snprintf(err, err_len, "prefix \"%s\": \"%s\" is not a numeric IPv%c address",
		         prefix, address, is_v6 ? '6' : '4');
		return false;
	}
	const char *length = slash + 1;
	char *end = NULL;
	errno = 0;
	long value = strtol(length, &end, 10);
	long max = is_v6 ? 128 : 32;
	if (*length < '0' || *length > '9' || errno != 0 || *end != '\0' || value > max) {
		snprintf(err, err_len, "prefix \"%s\": length must be 0..%ld", prefix, max);
		return false;
	}
	if (ipv6 != NULL) {
		*ipv6 = is_v6;
	}
	return true;
}

/*! \brief A malloc'd NULL-terminated copy of the count words given. */
static char **argv_of(size_t count, ...)
{
	char **argv = calloc(count + 1, sizeof(*argv));
	if (argv == NULL) {
		return NULL;
	}
	va_list ap;
	va_start(ap, count);
	for (size_t i = 0; i < count; i++) {
		argv[i] = strdup(va_arg(ap, const char *));
		if (argv[i] == NULL) {
			va_end(ap);
			announce_argv_free(argv);
			return NULL;
		}
	}
	va_end(ap);
	return argv;
}

/*! \brief value, or fallback when value is NULL. */
static const char *or_default(const char *value, const char *fallback)
{
	return value != NULL ? value : fallback;
}

const char *announce_action_name(announce_action_t action)
{
	static const char *const NAMES[ANNOUNCE_ACTION_COUNT] = {
		[ANNOUNCE_ACTION_ANNOUNCE] = "announce",
		[ANNOUNCE_ACTION_WITHDRAW] = "withdraw",
		[ANNOUNCE_ACTION_PREPEND] = "prepend",
		[ANNOUNCE_ACTION_UNPREPEND] = "unprepend",
	};
	return (size_t)action < ANNOUNCE_ACTION_COUNT ? NAMES[action] : "?";
}

/*! \brief Checks the AS number to prepend (1 .. 4294967295, decimal). */
static bool prepend_as_check(const char *as, char *err, size_t err_len)
{
	if (as == NULL) {
		snprintf(err, err_len, "prepend needs the AS number to prepend (prepend-as:)");
		return false;
	}
	char *end = NULL;
	errno = 0;
	unsigned long long number = strtoull(as, &end, 10);
	if (*as < '1' || *as > '9' || errno != 0 || *end != '\0' || number > 4294967295ULL) {
		snprintf(err, err_len, "prepend-as \"%s\" must be an AS number 1..4294967295", as);
		return false;
	}
	return true;
}

/*! \brief "AS AS AS" (separator " ") or "AS,AS,AS" (","), malloc'd. */
static char *as_list(const char *as, unsigned count, const char *separator)
{
	size_t len = (strlen(as) + strlen(separator)) * count + 1;
	char *text = calloc(1, len);
	for (unsigned i = 0; text != NULL && i < count; i++) {
		if (i > 0) {
			strcat(text, separator);
		}
		strcat(text, as);
	}
	return text;
}

/*! \brief argv with the words of text (split at blanks) appended. */
static char **argv_append_words(char **argv, const char *text)
{
	size_t count = 0;
	while (argv != NULL && argv[count] != NULL) {
		count++;
	}
	char *copy = text != NULL ? strdup(text) : NULL;
	for (char *save = NULL, *word = copy != NULL ? strtok_r(copy, " ", &save) : NULL;
	     argv != NULL && word != NULL; word = strtok_r(NULL, " ", &save)) {
		char **grown = realloc(argv, (count + 2) * sizeof(*argv));
		char *dup = strdup(word);
		if (grown == NULL || dup == NULL) {
			free(dup);
			if (grown != NULL) {
				argv = grown;
			}
			announce_argv_free(argv);
			argv = NULL;
			break;
		}
		argv = grown;
		argv[count++] = dup;
		argv[count] = NULL;
	}
	if (copy == NULL) {
		announce_argv_free(argv);
		argv = NULL;
	}
	free(copy);
	return argv;
}

/*! \brief The bird profile's actions. */
static char **bird_argv(const announce_profile_params_t *params, announce_action_t action,
                        char *err, size_t err_len)
{
	const char *client = or_default(params->client, "birdc");
	const char *socket = or_default(params->bird_socket, ANNOUNCE_DEFAULT_BIRD_SOCKET);
	const char *protocol = or_default(params->bird_protocol, ANNOUNCE_DEFAULT_BIRD_PROTOCOL);
	char fallback[256];
	snprintf(fallback, sizeof(fallback), "%s_prepend", protocol);
	const char *prepend = or_default(params->bird_prepend_protocol, fallback);
	if (params->prepend > 0 && strncmp(prepend, protocol, strlen(protocol)) != 0) {
		snprintf(err, err_len,
		         "bird-prepend-protocol \"%s\" must start with bird-protocol \"%s\" (the "
		         "withdraw disables \"%s*\")",
		         prepend, protocol, protocol);
		return NULL;
	}
	switch (action) {
	case ANNOUNCE_ACTION_ANNOUNCE:
		return argv_of(5, client, "-s", socket, "enable", protocol);
	case ANNOUNCE_ACTION_WITHDRAW:
		if (params->prepend > 0) {
			/* Both protocols in one command: a BIRD pattern. */
			char pattern[300];
			snprintf(pattern, sizeof(pattern), "\"%s*\"", protocol);
			return argv_of(5, client, "-s", socket, "disable", pattern);
		}
		return argv_of(5, client, "-s", socket, "disable", protocol);
	case ANNOUNCE_ACTION_PREPEND:
		return argv_of(5, client, "-s", socket, "enable", prepend);
	default:
		return argv_of(5, client, "-s", socket, "disable", prepend);
	}
}

char **announce_profile_action_argv(const announce_profile_params_t *params,
                                    announce_action_t action, char *err, size_t err_len)
{
	bool prepending = action == ANNOUNCE_ACTION_PREPEND || action == ANNOUNCE_ACTION_UNPREPEND;
	if (prepending && params->prepend == 0) {
		snprintf(err, err_len, "no prepend configured");
		return NULL;
	}
	if (params->prepend > ANNOUNCE_MAX_PREPEND) {
		snprintf(err, err_len, "prepend must be 0..%d", ANNOUNCE_MAX_PREPEND);
		return NULL;
	}
	err[0] = '\0';
	char **argv = NULL;
	bool ipv6 = false;
	switch (params->profile) {
	case ANNOUNCE_PROFILE_BIRD:
		argv = bird_argv(params, action, err, err_len);
		break;
	case ANNOUNCE_PROFILE_EXABGP:
		if (!announce_prefix_check(params->prefix, NULL, err, err_len) ||
		    (params->prepend > 0 && !prepend_as_check(params->prepend_as, err, err_len))) {
			return NULL;
		}
		argv = argv_of(6, or_default(params->client, "exabgpcli"),
		               action == ANNOUNCE_ACTION_WITHDRAW ? "withdraw" : "announce",
		               "route", params->prefix, "next-hop",
		               or_default(params->next_hop, ANNOUNCE_DEFAULT_NEXT_HOP));
		if (action == ANNOUNCE_ACTION_PREPEND) {
			char *path = as_list(params->prepend_as, params->prepend, " ");
			char *words = path != NULL ? malloc(strlen(path) + 16) : NULL;
			if (words != NULL) {
				sprintf(words, "as-path [ %s ]", path);
			}
			argv = words != NULL ? argv_append_words(argv, words) : NULL;
			free(words);
			free(path);
		}
		break;
	case ANNOUNCE_PROFILE_GOBGP:
		if (!announce_prefix_check(params->prefix, &ipv6, err, err_len) ||
		    (params->prepend > 0 && !prepend_as_check(params->prepend_as, err, err_len))) {
			return NULL;
		}
		argv = argv_of(7, or_default(params->client, "gobgp"), "global", "rib",
		               action == ANNOUNCE_ACTION_WITHDRAW ? "del" : "add", params->prefix,
		               "-a", ipv6 ? "ipv6" : "ipv4");
		if (action == ANNOUNCE_ACTION_PREPEND) {
			char *path = as_list(params->prepend_as, params->prepend, ",");
			char *words = path != NULL ? malloc(strlen(path) + 16) : NULL;
			if (words != NULL) {
				sprintf(words, "aspath %s", path);
			}
			argv = words != NULL ? argv_append_words(argv, words) : NULL;
			free(words);
			free(path);
		}
		break;
	default:
		snprintf(err, err_len, "no profile chosen");
		return NULL;
	}
	if (argv == NULL && err[0] == '\0') {
		snprintf(err, err_len, "out of memory");
	}
	return argv;
}

char **announce_profile_argv(const announce_profile_params_t *params, bool announce, char *err,
                             size_t err_len)
{
	return announce_profile_action_argv(
	    params, announce ? ANNOUNCE_ACTION_ANNOUNCE : ANNOUNCE_ACTION_WITHDRAW, err, err_len);
}

/*! \brief Appends one word (taking ownership) to a growing argv. */
static bool push_word(char ***argv, size_t *count, char *word)
{
	char **grown = realloc(*argv, (*count + 2) * sizeof(**argv));
	if (grown == NULL) {
		free(word);
		return false;
	}
	grown[(*count)++] = word;
	grown[*count] = NULL;
	*argv = grown;
	return true;
}

/*!
 * \brief Reads one word starting at *pos (not a blank) into a new string;
 *        moves *pos behind it. NULL + err on a syntax error or ENOMEM.
 */
static char *next_word(const char **pos, char *err, size_t err_len)
{
	const char *p = *pos;
	char *word = malloc(strlen(p) + 1);
	if (word == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	size_t len = 0;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
		if (*p == '\'') {
			const char *close = strchr(p + 1, '\'');
			if (close == NULL) {
				snprintf(err, err_len, "unterminated ' quote");
				free(word);
				return NULL;
			}
			memcpy(word + len, p + 1, (size_t)(close - p - 1));
			len += (size_t)(close - p - 1);
			p = close + 1;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					snprintf(err, err_len, "unterminated \" quote");
					free(word);
					return NULL;
				}
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
					p++;
				}
				word[len++] = *p;
			}
			p++;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				snprintf(err, err_len, "trailing backslash");
				free(word);
				return NULL;
			}
			word[len++] = p[1];
			p += 2;
		} else {
			word[len++] = *p++;
		}
	}
	word[len] = '\0';
	*pos = p;
	return word;
}

char **announce_argv_split(const char *text, char *err, size_t err_len)
{
	char **argv = NULL;
	size_t count = 0;
	const char *p = text;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n') {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		char *word = next_word(&p, err, err_len);
		if (word == NULL) {
			announce_argv_free(argv);
			return NULL;
		}
		if (!push_word(&argv, &count, word)) {
			snprintf(err, err_len, "out of memory");
			announce_argv_free(argv);
			return NULL;
		}
	}
	if (count == 0) {
		snprintf(err, err_len, "empty command");
		return NULL;
	}
	return argv;
}

char **announce_argv_shell(const char *text)
{
	return argv_of(3, "/bin/sh", "-c", text);
}

char *announce_argv_join(char *const argv[])
{
	size_t size = 1;
	for (size_t i = 0; argv[i] != NULL; i++) {
		size += 4 * strlen(argv[i]) + 3;
	}
	char *text = malloc(size);
	if (text == NULL) {
		return NULL;
	}
	char *out = text;
	for (size_t i = 0; argv[i] != NULL; i++) {
		const char *word = argv[i];
		bool quote = *word == '\0' || strpbrk(word, " \t\n'\"\\$`*?;&|<>()") != NULL;
		if (i > 0) {
			*out++ = ' ';
		}
		if (quote) {
			*out++ = '\'';
		}
		for (const char *c = word; *c != '\0'; c++) {
			if (quote && *c == '\'') {
				/* 'it'\''s': close, escaped quote, reopen. */
				memcpy(out, "'\\''", 4);
				out += 4;
				continue;
			}
			*out++ = *c;
		}
		if (quote) {
			*out++ = '\'';
		}
	}
	*out = '\0';
	return text;
}

void announce_argv_free(char **argv)
{
	if (argv == NULL) {
		return;
	}
	for (size_t i = 0; argv[i] != NULL; i++) {
		free(argv[i]);
	}
	free(argv);
}
