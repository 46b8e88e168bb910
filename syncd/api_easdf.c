/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd DNS contexts after 3GPP TS 29.556 (Neasdf_DNSContext), the
 *  SMF's API of the 5G EASDF (TS 23.548 6.2.3.2):
 *
 *    POST   /neasdf-dnscontext/v1/dns-contexts        DnsContextCreateData: 201,
 *                                                     Location of the context
 *    GET    /neasdf-dnscontext/v1/dns-contexts/{id}   the document (mecdns)
 *    PUT    /neasdf-dnscontext/v1/dns-contexts/{id}   DnsContextUpdateData: its
 *                                                     members replace the stored ones
 *    PATCH  /neasdf-dnscontext/v1/dns-contexts/{id}   RFC 6902 JSON Patch
 *    DELETE /neasdf-dnscontext/v1/dns-contexts/{id}   204
 *
 *  A context is compiled into scoped rules (store/contexts.c): the UE's
 *  IPv4 address (/32) and IPv6 prefix are the scope, each RESPOND action's
 *  EAS addresses the records, each FULL_MATCH pattern the name and each
 *  ENDS_WITH ".suffix" pattern the wildcard "*.suffix"; per name, the rule
 *  of the lowest precedence value answers. docs/api.md names what of
 *  TS 29.556 is covered; the rest is a 501 naming the member. */

#include <arpa/inet.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/subnet.h"
#include "syncd/api.h"
#include "syncd/notify.h"
#include "syncd/reports.h"
#include "syncd/problem.h"
#include "syncd/validate.h"

#define CONTEXTS "/neasdf-dnscontext/v1/dns-contexts"

/*! Most dnsRules in one context, most rules it compiles to. */
#define CONTEXT_RULES_MAX    256
#define CONTEXT_COMPILED_MAX 1024
/*! Attempts of a read-modify-write (PUT, PATCH) racing another write. */
#define CONTEXT_ATTEMPTS 5

/*** Compiling a context into rules. ***/

typedef struct {
	mecdns_rule_t *items;
	uint32_t *precedence; /*!< Of the dnsRule each item came from. */
	const char **keys;    /*!< That dnsRule's key (in the document). */
	bool *once;           /*!< Its REPORT has reportingOnceInd. */
	size_t count;
	bool reports; /*!< Some dnsRule has REPORT. */
	char scope[128];
	int code; /*!< 400 or 501 on failure. */
	char err[512];
} compiled_t;

static void compiled_free(compiled_t *c)
{
	for (size_t i = 0; i < c->count; i++) {
		free(c->items[i].dns_rule_id);
		free(c->items[i].domain_name);
		free(c->items[i].ip_address);
	}
	free(c->items);
	free(c->precedence);
	free(c->keys);
	free(c->once);
	memset(c, 0, sizeof(*c));
}

__attribute__((format(printf, 3, 4))) static bool fail(compiled_t *c, int code, const char *fmt,
                                                       ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	c->code = code;
	return false;
}

/*! \brief The UE's scope: ueIpv4Addr as /32 and ueIpv6Prefix. */
static bool read_scope(const cJSON *doc, compiled_t *c)
{
	const cJSON *v4 = cJSON_GetObjectItemCaseSensitive(doc, "ueIpv4Addr");
	const cJSON *v6 = cJSON_GetObjectItemCaseSensitive(doc, "ueIpv6Prefix");
	const char *texts[2];
	size_t count = 0;
	char v4_text[INET_ADDRSTRLEN + 3];
	if (v4 != NULL) {
		struct in_addr addr;
		if (!cJSON_IsString(v4) || inet_pton(AF_INET, v4->valuestring, &addr) != 1) {
			return fail(c, 400, "ueIpv4Addr must be an IPv4 address in dotted decimal");
		}
		snprintf(v4_text, sizeof(v4_text), "%s/32", v4->valuestring);
		texts[count++] = v4_text;
	}
	if (v6 != NULL) {
		mecdns_subnet_t subnet;
		char why[160];
		if (!cJSON_IsString(v6) ||
		    !mecdns_subnet_parse(v6->valuestring, &subnet, why, sizeof(why)) ||
		    subnet.family != 6) {
			return fail(c, 400,
			            "ueIpv6Prefix must be an IPv6 prefix (2001:db8:1::/64)%s%s",
			            cJSON_IsString(v6) ? ": " : "", cJSON_IsString(v6) ? why : "");
		}
		texts[count++] = v6->valuestring;
	}
	if (count == 0) {
		return fail(c, 400,
		            "ueIpv4Addr or ueIpv6Prefix is required (the UE the context is for)");
	}
	char why[256];
	char *scope = mecdns_subnets_canonical(texts, count, why, sizeof(why));
	if (scope == NULL || strlen(scope) >= sizeof(c->scope)) {
		free(scope);
		return fail(c, 400, "the UE address: %s", why);
	}
	snprintf(c->scope, sizeof(c->scope), "%s", scope);
	free(scope);
	return true;
}

/*! \brief The owner names of one dnsRule's query templates into names
 *         (exact names, or "*.suffix" wildcards). */
static bool read_patterns(const cJSON *mdts, const char *rule_key, char names[][256],
                          size_t *name_count, size_t max, compiled_t *c)
{
	if (!cJSON_IsObject(mdts)) {
		return fail(c, 400, "dnsRules[%s].dnsQueryMdtList must be a map of DnsQueryMdt",
		            rule_key);
	}
	const cJSON *mdt;
	cJSON_ArrayForEach(mdt, mdts)
	{
		if (cJSON_GetObjectItemCaseSensitive(mdt, "sourceIpv4Addr") != NULL ||
		    cJSON_GetObjectItemCaseSensitive(mdt, "sourceIpv6Prefix") != NULL) {
			return fail(
			    c, 501,
			    "dnsRules[%s].dnsQueryMdtList[%s]: sourceIpv4Addr/sourceIpv6Prefix "
			    "are not supported (the context's UE address is the scope)",
			    rule_key, mdt->string);
		}
		const cJSON *patterns = cJSON_GetObjectItemCaseSensitive(mdt, "fqdnPatternList");
		if (!cJSON_IsArray(patterns) || cJSON_GetArraySize(patterns) == 0) {
			return fail(c, 400,
			            "dnsRules[%s].dnsQueryMdtList[%s].fqdnPatternList must be a "
			            "non-empty array",
			            rule_key, mdt->string);
		}
		int i = 0;
		const cJSON *pattern;
		cJSON_ArrayForEach(pattern, patterns)
		{
			if (cJSON_GetObjectItemCaseSensitive(pattern, "regex") != NULL) {
				return fail(
				    c, 501,
				    "dnsRules[%s]: fqdnPatternList[%d].regex is not supported "
				    "(FULL_MATCH and ENDS_WITH \".suffix\" are)",
				    rule_key, i);
			}
			const cJSON *conditions = cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(pattern, "stringMatchingRule"),
			    "stringMatchingConditions");
			if (!cJSON_IsArray(conditions) || cJSON_GetArraySize(conditions) != 1) {
				return fail(
				    c, cJSON_IsArray(conditions) ? 501 : 400,
				    "dnsRules[%s]: fqdnPatternList[%d].stringMatchingRule needs "
				    "stringMatchingConditions with exactly one condition",
				    rule_key, i);
			}
			const cJSON *cond = cJSON_GetArrayItem(conditions, 0);
			const char *text = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(cond, "matchingString"));
			const char *op = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(cond, "matchingOperator"));
			if (text == NULL || op == NULL) {
				return fail(
				    c, 400,
				    "dnsRules[%s]: fqdnPatternList[%d] needs matchingString "
				    "and matchingOperator",
				    rule_key, i);
			}
			if (strchr(text, '*') != NULL) {
				return fail(
				    c, 400,
				    "dnsRules[%s]: fqdnPatternList[%d].matchingString \"%s\" "
				    "holds a '*' (a pattern is a name or a suffix)",
				    rule_key, i, text);
			}
			if (*name_count == max) {
				return fail(c, 400, "a context compiles to at most %d rules",
				            CONTEXT_COMPILED_MAX);
			}
			char *name = names[*name_count];
			if (strcmp(op, "FULL_MATCH") == 0) {
				snprintf(name, 256, "%s", text);
			} else if (strcmp(op, "ENDS_WITH") == 0 && text[0] == '.' &&
			           text[1] != '\0') {
				snprintf(name, 256, "*%s", text);
			} else {
				return fail(c, 501,
				            "dnsRules[%s]: matchingOperator %s%s is not supported "
				            "(FULL_MATCH, and ENDS_WITH with a \".suffix\", are)",
				            rule_key, op,
				            strcmp(op, "ENDS_WITH") == 0 ? " without a dot" : "");
			}
			char why[256];
			if (!syncd_valid_fqdn(name, "matchingString", why, sizeof(why))) {
				return fail(c, 400, "dnsRules[%s]: fqdnPatternList[%d]: %s",
				            rule_key, i, why);
			}
			(*name_count)++;
			i++;
		}
	}
	return true;
}

/*! \brief Appends the rules of (name, addresses) with the rule's precedence. */
static bool add_rules(compiled_t *c, const char *app, const char *name, const cJSON *addresses,
                      mecdns_ip_type_t type, uint32_t precedence, const char *rule_key)
{
	const cJSON *address;
	cJSON_ArrayForEach(address, addresses)
	{
		char canonical[INET6_ADDRSTRLEN];
		char why[160];
		if (!cJSON_IsString(address) ||
		    !syncd_parse_ip(address->valuestring, type, canonical, sizeof(canonical), why,
		                    sizeof(why))) {
			return fail(c, 400, "dnsRules[%s]: respParas.%s: %s", rule_key,
			            type == MECDNS_IP_V6 ? "easIpv6Addresses" : "easIpv4Addresses",
			            cJSON_IsString(address) ? why : "addresses must be strings");
		}
		if (c->count == CONTEXT_COMPILED_MAX) {
			return fail(c, 400, "a context compiles to at most %d rules",
			            CONTEXT_COMPILED_MAX);
		}
		mecdns_rule_t *rule = &c->items[c->count];
		memset(rule, 0, sizeof(*rule));
		rule->app_instance_id = (char *)app;
		char id[32];
		snprintf(id, sizeof(id), "r%zu", c->count + 1);
		rule->dns_rule_id = strdup(id);
		rule->domain_name = strdup(name);
		rule->ip_address = strdup(canonical);
		rule->ip_type = type;
		rule->ttl = -1;
		rule->active = true;
		rule->client_subnets = c->scope;
		c->precedence[c->count++] = precedence;
		if (rule->dns_rule_id == NULL || rule->domain_name == NULL ||
		    rule->ip_address == NULL) {
			return fail(c, 500, "out of memory");
		}
	}
	return true;
}

/*! \brief One dnsRule into rules. */
static bool compile_rule(const cJSON *rule, const char *app, compiled_t *c)
{
	const char *key = rule->string;
	if (!cJSON_IsObject(rule)) {
		return fail(c, 400, "dnsRules[%s] must be a DnsRule object", key);
	}
	uint32_t precedence = UINT32_MAX;
	const cJSON *prec = cJSON_GetObjectItemCaseSensitive(rule, "precedence");
	if (prec != NULL) {
		if (!cJSON_IsNumber(prec) || prec->valuedouble < 0 ||
		    prec->valuedouble > (double)UINT32_MAX ||
		    prec->valuedouble != (double)(uint32_t)prec->valuedouble) {
			return fail(c, 400,
			            "dnsRules[%s].precedence must be an integer from 0 to "
			            "4294967295",
			            key);
		}
		precedence = (uint32_t)prec->valuedouble;
	}
	const cJSON *actions = cJSON_GetObjectItemCaseSensitive(rule, "actionList");
	if (!cJSON_IsObject(actions) || cJSON_GetArraySize(actions) == 0) {
		return fail(c, 400, "dnsRules[%s].actionList must be a non-empty map of Action",
		            key);
	}
	char(*names)[256] = NULL;
	size_t name_count = 0;
	bool have_names = false;
	bool report = false, once = false, respond = false;
	size_t first = c->count;
	const cJSON *action;
	cJSON_ArrayForEach(action, actions)
	{
		const char *apply =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(action, "applyAction"));
		if (apply == NULL) {
			free(names);
			return fail(c, 400,
			            "dnsRules[%s].actionList[%s].applyAction must be a string", key,
			            action->string);
		}
		static const char *const flags[] = { "reportingOnceInd", "resetReportingOnceInd" };
		for (size_t f = 0; f < 2; f++) {
			const cJSON *flag = cJSON_GetObjectItemCaseSensitive(action, flags[f]);
			if (flag != NULL && !cJSON_IsBool(flag)) {
				free(names);
				return fail(c, 400,
				            "dnsRules[%s].actionList[%s].%s must be a boolean", key,
				            action->string, flags[f]);
			}
		}
		if (strcmp(apply, "REPORT") == 0) {
			report = true;
			once = once || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			                   action, "reportingOnceInd"));
			continue;
		}
		if (strcmp(apply, "FORWARD") == 0 &&
		    cJSON_GetObjectItemCaseSensitive(action, "fwdParas") == NULL) {
			continue; /* To the DNS server, which is this one: its own answers. */
		}
		if (strcmp(apply, "RESPOND") != 0) {
			free(names);
			return fail(c, 501,
			            "dnsRules[%s].actionList[%s]: applyAction %s%s is not "
			            "supported (RESPOND, REPORT beside RESPOND, and FORWARD "
			            "without fwdParas, are)",
			            key, action->string, apply,
			            strcmp(apply, "FORWARD") == 0 ? " with fwdParas" : "");
		}
		respond = true;
		const cJSON *resp = cJSON_GetObjectItemCaseSensitive(action, "respParas");
		const cJSON *v4 = cJSON_GetObjectItemCaseSensitive(resp, "easIpv4Addresses");
		const cJSON *v6 = cJSON_GetObjectItemCaseSensitive(resp, "easIpv6Addresses");
		if ((v4 != NULL && !cJSON_IsArray(v4)) || (v6 != NULL && !cJSON_IsArray(v6)) ||
		    cJSON_GetArraySize(v4) + cJSON_GetArraySize(v6) == 0) {
			free(names);
			return fail(c, 400,
			            "dnsRules[%s].actionList[%s]: RESPOND needs respParas with "
			            "easIpv4Addresses or easIpv6Addresses",
			            key, action->string);
		}
		if (!have_names) {
			const cJSON *mdts =
			    cJSON_GetObjectItemCaseSensitive(rule, "dnsQueryMdtList");
			if (mdts == NULL) {
				return fail(
				    c, 400,
				    "dnsRules[%s]: RESPOND needs dnsQueryMdtList (the names "
				    "it answers)",
				    key);
			}
			names = malloc(CONTEXT_COMPILED_MAX * sizeof(*names));
			if (names == NULL) {
				return fail(c, 500, "out of memory");
			}
			if (!read_patterns(mdts, key, names, &name_count, CONTEXT_COMPILED_MAX,
			                   c)) {
				free(names);
				return false;
			}
			have_names = true;
		}
		for (size_t i = 0; i < name_count; i++) {
			if (!add_rules(c, app, names[i], v4, MECDNS_IP_V4, precedence, key) ||
			    !add_rules(c, app, names[i], v6, MECDNS_IP_V6, precedence, key)) {
				free(names);
				return false;
			}
		}
	}
	free(names);
	if (report && !respond) {
		return fail(c, 501,
		            "dnsRules[%s]: REPORT without RESPOND is not supported (mecdns "
		            "reports the queries a rule answers: give the rule a RESPOND "
		            "action)",
		            key);
	}
	for (size_t i = first; i < c->count; i++) {
		c->items[i].report = report;
		c->keys[i] = key;
		c->once[i] = once;
	}
	c->reports = c->reports || report;
	return true;
}

/*! \brief Keeps, per name, the rules of the lowest precedence value. */
static void apply_precedence(compiled_t *c)
{
	size_t kept = 0;
	for (size_t i = 0; i < c->count; i++) {
		bool beaten = false;
		for (size_t j = 0; j < c->count && !beaten; j++) {
			beaten = c->precedence[j] < c->precedence[i] &&
			         strcasecmp(c->items[j].domain_name, c->items[i].domain_name) == 0;
		}
		if (beaten) {
			free(c->items[i].dns_rule_id);
			free(c->items[i].domain_name);
			free(c->items[i].ip_address);
			continue;
		}
		c->items[kept] = c->items[i];
		c->keys[kept] = c->keys[i];
		c->once[kept] = c->once[i];
		c->precedence[kept++] = c->precedence[i];
	}
	c->count = kept;
}

/*! \brief Compiles a context document into c (rules of app); false with
 *         c->code and c->err. */
static bool compile(const cJSON *doc, const char *app, compiled_t *c)
{
	memset(c, 0, sizeof(*c));
	if (!cJSON_IsObject(doc)) {
		return fail(c, 400, "the body must be a DnsContextCreateData object");
	}
	if (!read_scope(doc, c)) {
		return false;
	}
	const cJSON *uri = cJSON_GetObjectItemCaseSensitive(doc, "notifyUri");
	if (uri != NULL && !cJSON_IsString(uri)) {
		return fail(c, 400, "notifyUri must be a string");
	}
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(doc, "dnsRules");
	if (!cJSON_IsObject(rules)) {
		return fail(c, 400, "dnsRules must be a map of DnsRule");
	}
	if (cJSON_GetArraySize(rules) > CONTEXT_RULES_MAX) {
		return fail(c, 400, "dnsRules: %d rules, at most %d", cJSON_GetArraySize(rules),
		            CONTEXT_RULES_MAX);
	}
	c->items = calloc(CONTEXT_COMPILED_MAX, sizeof(*c->items));
	c->precedence = calloc(CONTEXT_COMPILED_MAX, sizeof(*c->precedence));
	c->keys = calloc(CONTEXT_COMPILED_MAX, sizeof(*c->keys));
	c->once = calloc(CONTEXT_COMPILED_MAX, sizeof(*c->once));
	if (c->items == NULL || c->precedence == NULL || c->keys == NULL || c->once == NULL) {
		return fail(c, 500, "out of memory");
	}
	const cJSON *rule;
	cJSON_ArrayForEach(rule, rules)
	{
		if (!compile_rule(rule, app, c)) {
			return false;
		}
	}
	char why[256];
	bool https = false;
	if (c->reports && uri != NULL &&
	    !syncd_notify_uri_check(uri->valuestring, &https, why, sizeof(why))) {
		return fail(c, https ? 501 : 400, "notifyUri: %s", why);
	}
	apply_precedence(c);
	return true;
}

bool syncd_context_report_rule(const char *body, const char *owner, char *key, size_t key_len,
                               bool *once)
{
	cJSON *doc = cJSON_Parse(body);
	compiled_t c = { 0 };
	bool found = false;
	if (doc != NULL && compile(doc, "easdf:report", &c)) {
		for (size_t i = 0; i < c.count && !found; i++) {
			char *name = c.items[i].report
			                 ? mecdns_canonical_name(c.items[i].domain_name)
			                 : NULL;
			if (name != NULL && strcmp(name, owner) == 0) {
				snprintf(key, key_len, "%s", c.keys[i]);
				*once = c.once[i];
				found = true;
			}
			free(name);
		}
	}
	compiled_free(&c);
	cJSON_Delete(doc);
	return found;
}

/*** RFC 6902 JSON Patch on the stored document (RFC 6901 pointers). ***/

/*! \brief Decodes one reference token (~1 is '/', ~0 is '~') into out. */
static bool pointer_token(const char *start, size_t len, char *out, size_t out_len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = start[i];
		if (ch == '~') {
			if (i + 1 >= len || (start[i + 1] != '0' && start[i + 1] != '1')) {
				return false;
			}
			ch = start[++i] == '0' ? '~' : '/';
		}
		if (n + 1 >= out_len) {
			return false;
		}
		out[n++] = ch;
	}
	out[n] = '\0';
	return true;
}

/*! \brief An array index token: digits without a leading zero. */
static bool array_index(const char *token, int size, bool allow_end, int *index)
{
	if (allow_end && strcmp(token, "-") == 0) {
		*index = size;
		return true;
	}
	if (token[0] == '\0' || (token[0] == '0' && token[1] != '\0') ||
	    strspn(token, "0123456789") != strlen(token) || strlen(token) > 9) {
		return false;
	}
	*index = atoi(token);
	return *index < size || (allow_end && *index == size);
}

/*! \brief Resolves all of path but its last token: the parent container
 *         and the last token (decoded). "" (the whole document) has none. */
static cJSON *pointer_parent(cJSON *doc, const char *path, char *last, size_t last_len)
{
	if (path[0] != '/') {
		return NULL;
	}
	cJSON *node = doc;
	const char *p = path + 1;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (!pointer_token(p, len, last, last_len)) {
			return NULL;
		}
		if (slash == NULL) {
			return node;
		}
		int index;
		if (cJSON_IsObject(node)) {
			node = cJSON_GetObjectItemCaseSensitive(node, last);
		} else if (cJSON_IsArray(node) &&
		           array_index(last, cJSON_GetArraySize(node), false, &index)) {
			node = cJSON_GetArrayItem(node, index);
		} else {
			node = NULL;
		}
		if (node == NULL) {
			return NULL;
		}
		p = slash + 1;
	}
}

static cJSON *pointer_get(cJSON *doc, const char *path)
{
	if (path[0] == '\0') {
		return doc;
	}
	char last[512];
	cJSON *parent = pointer_parent(doc, path, last, sizeof(last));
	int index;
	if (cJSON_IsObject(parent)) {
		return cJSON_GetObjectItemCaseSensitive(parent, last);
	}
	if (cJSON_IsArray(parent) && array_index(last, cJSON_GetArraySize(parent), false, &index)) {
		return cJSON_GetArrayItem(parent, index);
	}
	return NULL;
}

/*! \brief Takes the value at path out of doc (NULL when there is none). */
static cJSON *pointer_detach(cJSON *doc, const char *path)
{
	char last[512];
	cJSON *parent = path[0] != '\0' ? pointer_parent(doc, path, last, sizeof(last)) : NULL;
	int index;
	if (cJSON_IsObject(parent)) {
		return cJSON_DetachItemFromObjectCaseSensitive(parent, last);
	}
	if (cJSON_IsArray(parent) && array_index(last, cJSON_GetArraySize(parent), false, &index)) {
		return cJSON_DetachItemFromArray(parent, index);
	}
	return NULL;
}

/*! \brief Puts value (taken) at path: an object member is added or
 *         replaced, an array element inserted. */
static bool pointer_add(cJSON *doc, const char *path, cJSON *value)
{
	char last[512];
	cJSON *parent = path[0] != '\0' ? pointer_parent(doc, path, last, sizeof(last)) : NULL;
	int index;
	if (cJSON_IsObject(parent)) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
		return cJSON_AddItemToObject(parent, last, value);
	}
	if (cJSON_IsArray(parent) && array_index(last, cJSON_GetArraySize(parent), true, &index)) {
		return index == cJSON_GetArraySize(parent)
		           ? cJSON_AddItemToArray(parent, value)
		           : cJSON_InsertItemInArray(parent, index, value);
	}
	return false;
}

/*! \brief Applies a JSON Patch to doc (the document root must stay an
 *         object); false with the reason naming the operation. */
static bool apply_patch(cJSON *doc, const cJSON *patch, char *err, size_t err_len)
{
	if (!cJSON_IsArray(patch)) {
		snprintf(err, err_len, "a JSON Patch (RFC 6902) is an array of operations");
		return false;
	}
	int i = 0;
	const cJSON *op;
	cJSON_ArrayForEach(op, patch)
	{
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "op"));
		const char *path =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "path"));
		const char *from =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "from"));
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
		bool ok = name != NULL && path != NULL && path[0] == '/';
		const char *why = "needs op and a path starting with /";
		if (ok && (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0)) {
			why = strcmp(name, "add") == 0 ? "cannot add there"
			                               : "has nothing to replace";
			if (value == NULL) {
				ok = false;
				why = "needs a value";
			} else if (strcmp(name, "replace") == 0 && pointer_get(doc, path) == NULL) {
				ok = false;
			} else {
				if (strcmp(name, "replace") == 0) {
					cJSON_Delete(pointer_detach(doc, path));
				}
				cJSON *copy = cJSON_Duplicate(value, true);
				ok = copy != NULL && pointer_add(doc, path, copy);
				if (copy != NULL && !ok) {
					cJSON_Delete(copy);
				}
			}
		} else if (ok && strcmp(name, "remove") == 0) {
			cJSON *gone = pointer_detach(doc, path);
			ok = gone != NULL;
			why = "has nothing to remove";
			cJSON_Delete(gone);
		} else if (ok && strcmp(name, "test") == 0) {
			const cJSON *have = pointer_get(doc, path);
			ok = value != NULL && have != NULL && cJSON_Compare(have, value, true);
			why = "failed its test";
		} else if (ok && (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0)) {
			bool move = strcmp(name, "move") == 0;
			cJSON *src = from != NULL && from[0] == '/' ? pointer_get(doc, from) : NULL;
			size_t from_len = from != NULL ? strlen(from) : 0;
			ok = src != NULL && !(move && strncmp(path, from, from_len) == 0 &&
			                      (path[from_len] == '/' || path[from_len] == '\0'));
			why = "needs a from that exists (and a move not into itself)";
			if (ok) {
				cJSON *item =
				    move ? pointer_detach(doc, from) : cJSON_Duplicate(src, true);
				ok = item != NULL && pointer_add(doc, path, item);
				why = "cannot put the value there";
				if (item != NULL && !ok) {
					cJSON_Delete(item);
				}
			}
		} else if (ok) {
			ok = false;
			why = "is not add, remove, replace, move, copy or test";
		}
		if (!ok) {
			snprintf(err, err_len, "JSON Patch operation %d (%s %s) %s", i,
			         name != NULL ? name : "?", path != NULL ? path : "?", why);
			return false;
		}
		i++;
	}
	return true;
}

/*** Handlers. ***/

/*! \brief The problem of a store status about context id. */
static void context_problem(syncd_response_t *resp, mecdns_store_status_t status, const char *id,
                            const char *path)
{
	char what[160];
	snprintf(what, sizeof(what), "DNS context %s", id);
	syncd_problem_store(resp, status, what, path);
}

/*! \brief After a write: the reportingOnceInd rules whose REPORT says
 *         resetReportingOnceInd report again. */
static void reset_reporting_once(syncd_ctx_t *ctx, const char *id, const cJSON *doc)
{
	const cJSON *rule;
	cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(doc, "dnsRules"))
	{
		const cJSON *action;
		cJSON_ArrayForEach(action, cJSON_GetObjectItemCaseSensitive(rule, "actionList"))
		{
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			        action, "resetReportingOnceInd"))) {
				syncd_reports_forget(ctx->reports, id, rule->string);
			}
		}
	}
}

/*! \brief The answer of one context: its document and its id. */
static void answer_context(syncd_response_t *resp, int status, const char *id, const char *body,
                           uint64_t generation)
{
	cJSON *json = cJSON_Parse(body);
	if (json == NULL) {
		syncd_problem(resp, 500, "the stored DNS context does not parse", NULL);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(json, "dnsContextId");
	cJSON_AddStringToObject(json, "dnsContextId", id);
	syncd_response_json(resp, status, json);
	syncd_response_generation(resp, generation);
}

/*! \brief Compiles doc and writes it as context id (mode); answers. When
 *         expected is not NULL, STALE unless the stored document is it. */
static mecdns_store_status_t write_context(syncd_ctx_t *ctx, const syncd_request_t *req,
                                           syncd_response_t *resp, const char *id, cJSON *doc,
                                           mecdns_context_mode_t mode, const char *expected)
{
	char *app = mecdns_store_context_app(id);
	compiled_t c = { 0 };
	if (app == NULL || !compile(doc, app, &c)) {
		syncd_problem(resp, app == NULL ? 500 : c.code,
		              app == NULL ? "out of memory" : c.err, req->path);
		compiled_free(&c);
		free(app);
		return MECDNS_STORE_INVALID;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "dnsContextId");
	char *body = cJSON_PrintUnformatted(doc);
	uint64_t generation = 0;
	mecdns_store_status_t status =
	    body == NULL ? MECDNS_STORE_ERROR
	                 : mecdns_store_context_put(ctx->store, id, body, c.items, c.count, mode,
	                                            expected, &generation);
	if (status == MECDNS_STORE_OK) {
		api_committed(ctx);
		reset_reporting_once(ctx, id, doc);
		answer_context(resp, mode == MECDNS_CONTEXT_CREATE ? 201 : 200, id, body,
		               generation);
		if (mode == MECDNS_CONTEXT_CREATE) {
			char location[256];
			snprintf(location, sizeof(location), CONTEXTS "/%s", id);
			free(resp->location);
			resp->location = strdup(location);
		}
	} else if (status != MECDNS_STORE_STALE) {
		context_problem(resp, status, id, req->path);
	}
	free(body);
	compiled_free(&c);
	free(app);
	return status;
}

void api_context_create(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	cJSON *doc = api_parse_body(req, resp);
	if (doc == NULL) {
		return;
	}
	unsigned char raw[16];
	char id[sizeof(raw) * 2 + 1];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		syncd_problem(resp, 500, "no random bytes for a context id", req->path);
		cJSON_Delete(doc);
		return;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	}
	(void)write_context(ctx, req, resp, id, doc, MECDNS_CONTEXT_CREATE, NULL);
	cJSON_Delete(doc);
}

/*! \brief The context id of the path; false with a 400 in resp. */
static bool context_id(const syncd_request_t *req, syncd_response_t *resp)
{
	return api_check_id(req->params[0], "dnsContextId", req, resp);
}

void api_context_get(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	if (!context_id(req, resp)) {
		return;
	}
	char *body = NULL;
	uint64_t generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_context_get(ctx->store, req->params[0], &body, &generation);
	if (status != MECDNS_STORE_OK) {
		context_problem(resp, status, req->params[0], req->path);
	} else {
		answer_context(resp, 200, req->params[0], body, generation);
	}
	free(body);
}

/*! \brief PUT and PATCH: read the document, change it (patch, or the
 *         members of update), write it if nothing else did meanwhile. */
static void change_context(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp,
                           bool patch)
{
	if (!context_id(req, resp)) {
		return;
	}
	cJSON *input = api_parse_body(req, resp);
	if (input == NULL) {
		return;
	}
	const char *id = req->params[0];
	for (int attempt = 0; attempt < CONTEXT_ATTEMPTS; attempt++) {
		char *stored = NULL;
		mecdns_store_status_t status =
		    mecdns_store_context_get(ctx->store, id, &stored, NULL);
		cJSON *doc = status == MECDNS_STORE_OK ? cJSON_Parse(stored) : NULL;
		char err[512] = "";
		if (status != MECDNS_STORE_OK) {
			context_problem(resp, status, id, req->path);
		} else if (doc == NULL) {
			syncd_problem(resp, 500, "the stored DNS context does not parse",
			              req->path);
		} else if (patch && !apply_patch(doc, input, err, sizeof(err))) {
			syncd_problem(resp, strstr(err, "failed its test") != NULL ? 409 : 400, err,
			              req->path);
		} else if (!patch && !cJSON_IsObject(input)) {
			syncd_problem(resp, 400, "the body must be a DnsContextUpdateData object",
			              req->path);
		} else {
			if (!patch) {
				/* The UE is the context's: an update may not move it. */
				static const char *const fixed[] = { "ueIpv4Addr", "ueIpv6Prefix" };
				for (size_t i = 0; i < 2 && err[0] == '\0'; i++) {
					const cJSON *want =
					    cJSON_GetObjectItemCaseSensitive(input, fixed[i]);
					const cJSON *have =
					    cJSON_GetObjectItemCaseSensitive(doc, fixed[i]);
					if (want != NULL &&
					    (have == NULL || !cJSON_Compare(want, have, true))) {
						snprintf(err, sizeof(err),
						         "%s cannot change (create a context for "
						         "the new UE "
						         "address)",
						         fixed[i]);
					}
				}
				const cJSON *member;
				cJSON_ArrayForEach(member, input)
				{
					if (err[0] == '\0') {
						cJSON_DeleteItemFromObjectCaseSensitive(
						    doc, member->string);
						cJSON_AddItemToObject(
						    doc, member->string,
						    cJSON_Duplicate(member, true));
					}
				}
			}
			if (err[0] != '\0') {
				syncd_problem(resp, 400, err, req->path);
			} else {
				status = write_context(ctx, req, resp, id, doc,
				                       MECDNS_CONTEXT_REPLACE, stored);
			}
		}
		cJSON_Delete(doc);
		free(stored);
		if (status != MECDNS_STORE_STALE) {
			cJSON_Delete(input);
			return;
		}
	}
	cJSON_Delete(input);
	syncd_problemf(resp, 409, req->path,
	               "DNS context %s kept changing; %d attempts failed, try again", id,
	               CONTEXT_ATTEMPTS);
}

void api_context_put(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	change_context(ctx, req, resp, false);
}

void api_context_patch(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	change_context(ctx, req, resp, true);
}

void api_context_delete(syncd_ctx_t *ctx, const syncd_request_t *req, syncd_response_t *resp)
{
	if (!context_id(req, resp)) {
		return;
	}
	uint64_t generation = 0;
	mecdns_store_status_t status =
	    mecdns_store_context_delete(ctx->store, req->params[0], &generation);
	if (status != MECDNS_STORE_OK) {
		context_problem(resp, status, req->params[0], req->path);
		return;
	}
	syncd_reports_forget(ctx->reports, req->params[0], NULL);
	api_committed(ctx);
	syncd_response_empty(resp, 204);
	syncd_response_generation(resp, generation);
}
