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

char **announce_profile_argv(const announce_profile_params_t *params, bool announce, char *err,
                             size_t err_len)
{
	char **argv = NULL;
	bool ipv6 = false;
	switch (params->profile) {
	case ANNOUNCE_PROFILE_BIRD:
		argv = argv_of(5, or_default(params->client, "birdc"), "-s",
		               or_default(params->bird_socket, ANNOUNCE_DEFAULT_BIRD_SOCKET),
		               announce ? "enable" : "disable",
		               or_default(params->bird_protocol, ANNOUNCE_DEFAULT_BIRD_PROTOCOL));
		break;
	case ANNOUNCE_PROFILE_EXABGP:
		if (!announce_prefix_check(params->prefix, NULL, err, err_len)) {
			return NULL;
		}
		argv = argv_of(6, or_default(params->client, "exabgpcli"),
		               announce ? "announce" : "withdraw", "route", params->prefix,
		               "next-hop", or_default(params->next_hop, ANNOUNCE_DEFAULT_NEXT_HOP));
		break;
	case ANNOUNCE_PROFILE_GOBGP:
		if (!announce_prefix_check(params->prefix, &ipv6, err, err_len)) {
			return NULL;
		}
		argv =
		    argv_of(7, or_default(params->client, "gobgp"), "global", "rib",
		            announce ? "add" : "del", params->prefix, "-a", ipv6 ? "ipv6" : "ipv4");
		break;
	default:
		snprintf(err, err_len, "no profile chosen");
		return NULL;
	}
	if (argv == NULL) {
		snprintf(err, err_len, "out of memory");
	}
	return argv;
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
