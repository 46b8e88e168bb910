/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd authorisation (see auth.h). */

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "common/config_file.h"
#include "syncd/auth.h"
#include "syncd/validate.h"

#define DIGEST_LEN 32

enum {
	SCOPE_ADMIN = 1 << 0,
	SCOPE_MM5 = 1 << 1,
	SCOPE_DNS_MGMT = 1 << 2,
	SCOPE_METRICS = 1 << 3,
	SCOPE_EASDF = 1 << 4,
};

typedef struct {
	uint8_t digest[DIGEST_LEN];
	unsigned scopes; /*!< SCOPE_* bits. */
	char **apps;     /*!< app:ID scopes. */
	size_t app_count;
} token_t;

struct syncd_auth {
	token_t *tokens;
	size_t count;
};

/*! \brief SHA-256 of len bytes. */
static bool sha256(const void *data, size_t len, uint8_t out[DIGEST_LEN])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out) == 0;
}

/*! \brief Decodes 64 hex digits. */
static bool hex_decode(const char *hex, uint8_t out[DIGEST_LEN])
{
	if (strlen(hex) != 2 * DIGEST_LEN) {
		return false;
	}
	for (size_t i = 0; i < DIGEST_LEN; i++) {
		unsigned value = 0;
		for (size_t j = 0; j < 2; j++) {
			char c = (char)tolower((unsigned char)hex[2 * i + j]);
			if (c >= '0' && c <= '9') {
				value = value * 16 + (unsigned)(c - '0');
			} else if (c >= 'a' && c <= 'f') {
				value = value * 16 + (unsigned)(c - 'a' + 10);
			} else {
				return false;
			}
		}
		out[i] = (uint8_t)value;
	}
	return true;
}

static void token_clear(token_t *token)
{
	for (size_t i = 0; i < token->app_count; i++) {
		free(token->apps[i]);
	}
	free(token->apps);
}

void syncd_auth_free(syncd_auth_t *auth)
{
	if (auth == NULL) {
		return;
	}
	for (size_t i = 0; i < auth->count; i++) {
		token_clear(&auth->tokens[i]);
	}
	free(auth->tokens);
	free(auth);
}

size_t syncd_auth_count(const syncd_auth_t *auth)
{
	return auth != NULL ? auth->count : 0;
}

/*! \brief Adds one scope word to token; false with a reason on error. */
static bool add_scope(token_t *token, const char *scope, const char *where, char *err,
                      size_t err_len)
{
	if (strcmp(scope, "admin") == 0) {
		token->scopes |= SCOPE_ADMIN;
	} else if (strcmp(scope, "mm5") == 0) {
		token->scopes |= SCOPE_MM5;
	} else if (strcmp(scope, "dns-mgmt") == 0) {
		token->scopes |= SCOPE_DNS_MGMT;
	} else if (strcmp(scope, "metrics") == 0) {
		token->scopes |= SCOPE_METRICS;
	} else if (strcmp(scope, "easdf") == 0) {
		token->scopes |= SCOPE_EASDF;
	} else if (strncmp(scope, "app:", 4) == 0) {
		char reason[160];
		if (!syncd_valid_id(scope + 4, "the app instance id", reason, sizeof(reason))) {
			snprintf(err, err_len, "%s: scope \"%s\": %s", where, scope, reason);
			return false;
		}
		char **apps = realloc(token->apps, (token->app_count + 1) * sizeof(*apps));
		if (apps == NULL || (apps[token->app_count] = strdup(scope + 4)) == NULL) {
			if (apps != NULL) {
				token->apps = apps;
			}
			snprintf(err, err_len, "%s: out of memory", where);
			return false;
		}
		token->apps = apps;
		token->app_count++;
	} else {
		snprintf(
		    err, err_len,
		    "%s: unknown scope \"%s\" (admin, mm5, dns-mgmt, metrics, easdf or app:ID)",
		    where, scope);
		return false;
	}
	return true;
}

/*! \brief Parses "TOKEN SCOPES" (comment already cut); false + err on error. */
static bool parse_line(char *line, const char *where, token_t *token, char *err, size_t err_len)
{
	char *save = NULL;
	char *secret = strtok_r(line, " \t", &save);
	char *scopes = strtok_r(NULL, " \t", &save);
	char *extra = strtok_r(NULL, " \t", &save);
	if (secret == NULL || scopes == NULL || extra != NULL) {
		snprintf(err, err_len, "%s: expected \"TOKEN SCOPE[,SCOPE...]\"", where);
		return false;
	}
	if (strncmp(secret, "sha256:", 7) == 0) {
		if (!hex_decode(secret + 7, token->digest)) {
			snprintf(err, err_len, "%s: sha256: must be followed by 64 hex digits",
			         where);
			return false;
		}
	} else if (!sha256(secret, strlen(secret), token->digest)) {
		snprintf(err, err_len, "%s: cannot hash the token (GnuTLS)", where);
		return false;
	}

	char *scope_save = NULL;
	for (char *scope = strtok_r(scopes, ",", &scope_save); scope != NULL;
	     scope = strtok_r(NULL, ",", &scope_save)) {
		if (!add_scope(token, scope, where, err, err_len)) {
			return false;
		}
	}
	if (token->scopes == 0 && token->app_count == 0) {
		snprintf(err, err_len, "%s: the token has no scope", where);
		return false;
	}
	return true;
}

syncd_auth_t *syncd_auth_parse(const char *text, const char *name, char *err, size_t err_len)
{
	syncd_auth_t *auth = calloc(1, sizeof(*auth));
	char *copy = strdup(text != NULL ? text : "");
	if (auth == NULL || copy == NULL) {
		free(auth);
		free(copy);
		snprintf(err, err_len, "%s: out of memory", name);
		return NULL;
	}

	size_t line_no = 0;
	char *cursor = copy;
	for (char *p; (p = mecdns_next_line(&cursor, &line_no)) != NULL;) {
		char where[512];
		snprintf(where, sizeof(where), "%s:%zu", name, line_no);
		token_t *tokens = realloc(auth->tokens, (auth->count + 1) * sizeof(*tokens));
		if (tokens == NULL) {
			snprintf(err, err_len, "%s: out of memory", where);
			goto fail;
		}
		auth->tokens = tokens;
		token_t *token = &auth->tokens[auth->count];
		memset(token, 0, sizeof(*token));
		auth->count++;
		if (!parse_line(p, where, token, err, err_len)) {
			goto fail;
		}
	}
	free(copy);
	return auth;
fail:
	free(copy);
	syncd_auth_free(auth);
	return NULL;
}

syncd_auth_t *syncd_auth_load(const char *path, char *err, size_t err_len)
{
	size_t size = 0;
	char *text = mecdns_read_text_file(path, "token file", &size, err, err_len);
	if (text == NULL) {
		return NULL;
	}
	syncd_auth_t *auth = syncd_auth_parse(text, path, err, err_len);
	explicit_bzero(text, size);
	free(text);
	return auth;
}

/*! \brief Constant-time equality of two digests. */
static bool digest_equal(const uint8_t *a, const uint8_t *b)
{
	uint8_t diff = 0;
	for (size_t i = 0; i < DIGEST_LEN; i++) {
		diff |= a[i] ^ b[i];
	}
	return diff == 0;
}

/*! \brief Whether token grants need (for app_id). */
static bool token_allows(const token_t *token, syncd_need_t need, const char *app_id)
{
	if (token->scopes & SCOPE_ADMIN) {
		return true;
	}
	switch (need) {
	case SYNCD_NEED_NONE:
	case SYNCD_NEED_ANY:
		return true;
	case SYNCD_NEED_MM5:
		return token->scopes & SCOPE_MM5;
	case SYNCD_NEED_DNS_MGMT:
		return token->scopes & SCOPE_DNS_MGMT;
	case SYNCD_NEED_METRICS:
		return token->scopes & SCOPE_METRICS;
	case SYNCD_NEED_EASDF:
		return token->scopes & SCOPE_EASDF;
	case SYNCD_NEED_ADMIN:
		return false;
	case SYNCD_NEED_APP:
		for (size_t i = 0; app_id != NULL && i < token->app_count; i++) {
			if (strcmp(token->apps[i], app_id) == 0) {
				return true;
			}
		}
		return false;
	}
	return false;
}

syncd_auth_result_t syncd_auth_check(const syncd_auth_t *auth, const char *authorization,
                                     syncd_need_t need, const char *app_id)
{
	return syncd_auth_decide(auth, authorization, need, app_id, NULL);
}

syncd_auth_result_t syncd_auth_decide(const syncd_auth_t *auth, const char *authorization,
                                      syncd_need_t need, const char *app_id, bool *tenant)
{
	if (tenant != NULL) {
		*tenant = false;
	}
	if (auth == NULL || need == SYNCD_NEED_NONE) {
		return SYNCD_AUTH_OK;
	}
	if (authorization == NULL || strncasecmp(authorization, "Bearer", 6) != 0 ||
	    (authorization[6] != ' ' && authorization[6] != '\t')) {
		return SYNCD_AUTH_UNAUTHORIZED;
	}
	const char *secret = authorization + 6;
	while (*secret == ' ' || *secret == '\t') {
		secret++;
	}
	size_t len = strlen(secret);
	while (len > 0 && (secret[len - 1] == ' ' || secret[len - 1] == '\t')) {
		len--;
	}
	if (len == 0) {
		return SYNCD_AUTH_UNAUTHORIZED;
	}

	uint8_t digest[DIGEST_LEN];
	if (!sha256(secret, len, digest)) {
		return SYNCD_AUTH_UNAUTHORIZED;
	}
	/* Look at every entry, so the time does not depend on the position. */
	const token_t *found = NULL;
	for (size_t i = 0; i < auth->count; i++) {
		if (digest_equal(digest, auth->tokens[i].digest) && found == NULL) {
			found = &auth->tokens[i];
		}
	}
	explicit_bzero(digest, sizeof(digest));
	if (found == NULL) {
		return SYNCD_AUTH_UNAUTHORIZED;
	}
	if (!token_allows(found, need, app_id)) {
		return SYNCD_AUTH_FORBIDDEN;
	}
	if (tenant != NULL) {
		/* Allowed through app:ID alone: the application itself. */
		*tenant = need == SYNCD_NEED_APP && (found->scopes & SCOPE_ADMIN) == 0;
	}
	return SYNCD_AUTH_OK;
}
