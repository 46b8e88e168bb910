/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  Unit tests of the mod-mecdns index (module/index.h).
 *
 *  Run under valgrind (make check-index-valgrind) to check that versions,
 *  garbage and aborted transactions free exactly what they own:
 *    CK_FORK=no valgrind --soname-synonyms=somalloc=nouserintercepts \
 *        --leak-check=full --error-exitcode=1 tests/unit/test_index
 *  The --soname-synonyms option leaves this binary's malloc wrappers in
 *  place (valgrind still tracks the glibc allocator below them), so the
 *  allocation failure tests run too; without it they pass without running.
 */

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/index.h"

/* Test hook of index.c (not part of index.h): keep only the low bits of
 * every hash, so that many names share hash prefixes or whole hashes. */
void mecdns_index_test_hash_bits(unsigned bits);

/*
 * Allocation failure injection: this binary's malloc family counts every
 * call (libknot's included) and can make the n-th one fail.
 */

#ifdef MECDNS_SANITIZERS
/* Under ASan the allocator below the wrappers is ASan's (its runtime exports
 * it under these names too): ASan allocates for its own interceptors
 * (strdup, ...), and those blocks come back through free() here. */
#define REAL_ALLOC(name) __interceptor_##name
#else
#define REAL_ALLOC(name) __libc_##name
#endif
extern void *REAL_ALLOC(malloc)(size_t size);
extern void *REAL_ALLOC(calloc)(size_t count, size_t size);
extern void *REAL_ALLOC(realloc)(void *ptr, size_t size);
extern void REAL_ALLOC(free)(void *ptr);

/* Volatile: the compiler assumes malloc touches no program state and would
 * otherwise move these accesses across calls of it. */
static volatile long alloc_budget = -1; /* Allocations left before one fails; <0: none fails. */
static volatile size_t alloc_calls;
static volatile size_t free_calls;

static bool alloc_fails(void)
{
	alloc_calls++;
	if (alloc_budget < 0) {
		return false;
	}
	if (alloc_budget == 0) {
		return true;
	}
	alloc_budget--;
	return false;
}

void *malloc(size_t size)
{
	return alloc_fails() ? NULL : REAL_ALLOC(malloc)(size);
}

void *calloc(size_t count, size_t size)
{
	return alloc_fails() ? NULL : REAL_ALLOC(calloc)(count, size);
}

void *realloc(void *ptr, size_t size)
{
	return alloc_fails() ? NULL : REAL_ALLOC(realloc)(ptr, size);
}

void free(void *ptr)
{
	if (ptr != NULL) {
		free_calls++;
	}
	REAL_ALLOC(free)(ptr);
}

/*! \brief Whether the allocation hooks above are in force (they are not if
 *         a tool replaced the allocator). */
static bool alloc_injection_works(void)
{
	alloc_budget = 0;
	void *probe = malloc(16);
	alloc_budget = -1;
	free(probe);
	if (probe != NULL) {
		fprintf(stderr, "allocation failures cannot be injected here; "
		                "the allocation failure tests pass without running\n");
	}
	return probe == NULL;
}

/* Helpers. */

/*! Check records every ck_assert that passes (a write each), which would
 *  dominate the big loops; these test first and only call Check to fail. */
#define require(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			ck_abort_msg(__VA_ARGS__);                                                 \
		}                                                                                  \
	} while (0)

/*! \brief Wire form of a printf-formatted name, in a rotating buffer. */
static const knot_dname_t *wire(const char *format, ...)
{
	static knot_dname_storage_t buffers[8];
	static unsigned next;
	char text[KNOT_DNAME_TXT_MAXLEN + 1];

	va_list args;
	va_start(args, format);
	vsnprintf(text, sizeof(text), format, args);
	va_end(args);

	uint8_t *buffer = buffers[next++ % 8];
	require(knot_dname_from_str(buffer, text, sizeof(buffers[0])) != NULL, "bad name %s", text);
	return buffer;
}

static const uint8_t ADDRESS_1[4] = { 192, 0, 2, 1 };
static const uint8_t ADDRESS_2[4] = { 192, 0, 2, 2 };
static const uint8_t ADDRESS_6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

/*! \brief An entry with one A record. */
static mecdns_owner_t *a_entry(const knot_dname_t *owner, const uint8_t address[4], uint32_t ttl)
{
	mecdns_owner_t *entry = mecdns_owner_new(owner);
	require(entry != NULL, "no entry");
	require(mecdns_owner_add(entry, KNOT_RRTYPE_A, ttl, address, 4) == KNOT_EOK, "add failed");
	return entry;
}

/*! \brief Whether an entry's A rrset is exactly the one given address. */
static bool has_only_a(const mecdns_owner_t *entry, const uint8_t address[4])
{
	const knot_rrset_t *a = mecdns_owner_rrset(entry, KNOT_RRTYPE_A);
	if (a == NULL || a->rrs.count != 1) {
		return false;
	}
	const knot_rdata_t *rdata = knot_rdataset_at(&a->rrs, 0);
	return rdata->len == 4 && memcmp(rdata->data, address, 4) == 0;
}

static void set_ok(mecdns_index_txn_t *txn, const knot_dname_t *owner, mecdns_owner_t *entry)
{
	int ret = mecdns_index_set(txn, owner, entry);
	require(ret == KNOT_EOK, "set failed: %s", knot_strerror(ret));
}

/*! \brief Commits and frees the garbage at once (no readers in tests). */
static mecdns_index_t *commit(mecdns_index_txn_t *txn, uint64_t generation)
{
	mecdns_index_garbage_t *garbage = NULL;
	mecdns_index_t *index = mecdns_index_commit(txn, generation, &garbage);
	require(index != NULL && garbage != NULL, "commit failed");
	mecdns_index_garbage_free(garbage);
	return index;
}

/*! \brief A version holding one entry. */
static mecdns_index_t *index_with(mecdns_owner_t *entry)
{
	mecdns_index_t *empty = mecdns_index_new();
	ck_assert_ptr_nonnull(empty);
	mecdns_index_txn_t *txn = mecdns_index_begin(empty);
	ck_assert_ptr_nonnull(txn);
	set_ok(txn, entry->owner, entry);
	return commit(txn, 1);
}

/*! \brief xorshift64*: reproducible pseudo-random numbers. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(0x2545f4914f6cdd1d);
}

static void reset_hash(void)
{
	mecdns_index_test_hash_bits(64);
	alloc_budget = -1;
}

/*
 * A reference model: owner i of a pool ("o<i>.model.test.") has value 0
 * (absent) or v, which stands for this entry: A 10.1.<v>, TTL v; when v is a
 * multiple of 3 also AAAA; when a multiple of 7 also a second A 10.2.<v>.
 */

#define MODEL_MAX 4000

typedef struct {
	unsigned names;
	uint32_t value[MODEL_MAX];
	size_t owners;
	size_t records;
} model_t;

static const knot_dname_t *model_name(unsigned i)
{
	return wire("o%u.model.test.", i);
}

static size_t value_records(uint32_t value)
{
	return 1 + (value % 3 == 0) + (value % 7 == 0);
}

static void model_set(model_t *model, unsigned i, uint32_t value)
{
	if (model->value[i] != 0) {
		model->owners -= 1;
		model->records -= value_records(model->value[i]);
	}
	model->value[i] = value;
	if (value != 0) {
		model->owners += 1;
		model->records += value_records(value);
	}
}

/*! \brief Builds the entry a value stands for; KNOT_ENOMEM if an allocation
 *         failed (nothing is left allocated then). */
static int value_entry(unsigned i, uint32_t value, mecdns_owner_t **out)
{
	mecdns_owner_t *entry = mecdns_owner_new(model_name(i));
	if (entry == NULL) {
		return KNOT_ENOMEM;
	}
	uint8_t a[4] = { 10, 1, value >> 8, value };
	int ret = mecdns_owner_add(entry, KNOT_RRTYPE_A, value, a, sizeof(a));
	if (ret == KNOT_EOK && value % 3 == 0) {
		uint8_t aaaa[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = value >> 8, [15] = value };
		ret = mecdns_owner_add(entry, KNOT_RRTYPE_AAAA, value, aaaa, sizeof(aaaa));
	}
	if (ret == KNOT_EOK && value % 7 == 0) {
		a[1] = 2;
		ret = mecdns_owner_add(entry, KNOT_RRTYPE_A, value, a, sizeof(a));
	}
	if (ret != KNOT_EOK) {
		require(ret == KNOT_ENOMEM, "unexpected %s", knot_strerror(ret));
		mecdns_owner_free(entry);
		return ret;
	}
	*out = entry;
	return KNOT_EOK;
}

/*! \brief Whether an entry is the one a value stands for. */
static bool entry_has_value(const mecdns_owner_t *entry, uint32_t value)
{
	const knot_rrset_t *a = mecdns_owner_rrset(entry, KNOT_RRTYPE_A);
	const knot_rrset_t *aaaa = mecdns_owner_rrset(entry, KNOT_RRTYPE_AAAA);
	if (a == NULL || a->ttl != value || (aaaa != NULL) != (value % 3 == 0) ||
	    mecdns_owner_records(entry) != value_records(value)) {
		return false;
	}
	const knot_rdata_t *first = knot_rdataset_at(&a->rrs, 0);
	return first->data[0] == 10 && first->data[1] == 1 &&
	       first->data[2] == (uint8_t)(value >> 8) && first->data[3] == (uint8_t)value;
}

/*! \brief Asserts that a version answers exactly what the model says. */
static void model_check(const mecdns_index_t *index, const model_t *model)
{
	ck_assert_uint_eq(mecdns_index_owners(index), model->owners);
	ck_assert_uint_eq(mecdns_index_records(index), model->records);
	for (unsigned i = 0; i < model->names; i++) {
		const mecdns_owner_t *entry = mecdns_index_find(index, model_name(i));
		if (model->value[i] == 0) {
			require(entry == NULL, "o%u should be absent", i);
		} else {
			require(entry != NULL, "o%u should be present", i);
			require(entry_has_value(entry, model->value[i]), "o%u should have value %u",
			        i, model->value[i]);
		}
	}
}

/*! \brief Sets owner i of the model to a value (0: removes it) in a txn. */
static int model_txn_set(mecdns_index_txn_t *txn, unsigned i, uint32_t value)
{
	mecdns_owner_t *entry = NULL;
	if (value != 0) {
		int ret = value_entry(i, value, &entry);
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return mecdns_index_set(txn, model_name(i), entry);
}

/* Entries. */

/*! \brief A random subnet near base (NULL: anywhere) of a family. */
static mecdns_subnet_t random_subnet(int family, const uint8_t *base)
{
	mecdns_subnet_t s = { .family = (uint8_t)family };
	unsigned max = family == 4 ? 32 : 128;
	s.length = (uint8_t)(random() % (max + 1));
	for (unsigned i = 0; i < max / 8; i++) {
		s.addr[i] =
		    base != NULL && (unsigned)(random() % 4) != 0 ? base[i] : (uint8_t)random();
	}
	for (unsigned bit = s.length; bit < max; bit++) {
		s.addr[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
	}
	return s;
}

/*! \brief The documented answer, by brute force over every scope: the most
 *         specific subnet holding the client's known bits with the type
 *         decides (index, or -1: the unscoped records); SCOPE is that
 *         length, grown past every more specific subnet with the type. */
static int reference_answer(const mecdns_owner_t *entry, uint16_t qtype,
                            const mecdns_client_t *client, unsigned *scope)
{
	int best = -1;
	for (uint16_t i = 0; i < entry->scoped_count; i++) {
		const mecdns_subnet_t *s = &entry->scoped[i].subnet;
		if (s->family == client->family && s->length <= client->bits &&
		    mecdns_subnet_contains(s, client->family, client->addr) &&
		    mecdns_owner_rrset(entry->scoped[i].entry, qtype) != NULL &&
		    (best < 0 || s->length > entry->scoped[best].subnet.length)) {
			best = i;
		}
	}
	unsigned decided = best < 0 ? 0 : entry->scoped[best].subnet.length;
	*scope = decided;
	for (uint16_t i = 0; i < entry->scoped_count; i++) {
		const mecdns_subnet_t *s = &entry->scoped[i].subnet;
		if (s->family != client->family || s->length <= decided ||
		    mecdns_owner_rrset(entry->scoped[i].entry, qtype) == NULL) {
			continue;
		}
		unsigned common = mecdns_subnet_common_bits(s, client->addr, client->bits);
		if (common + 1 > *scope) {
			*scope = common + 1;
		}
	}
	return best;
}

/*! Random scopes (nested, both families, A or AAAA each) on one owner, and
 *  random clients around them: the index's per-length binary searches
 *  give the brute-force answer and SCOPE every time. */
START_TEST(test_scoped_answers_match_a_brute_force_reference)
{
	srandom(1300 + (unsigned)_i);
	mecdns_owner_t *entry = mecdns_owner_new(wire("app.example.com."));
	ck_assert_ptr_nonnull(entry);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_1, 4), KNOT_EOK);
	unsigned scopes = _i == 0 ? 6 : _i == 1 ? 60 : 3000;
	mecdns_subnet_t made[3000];
	for (unsigned k = 0; k < scopes; k++) {
		int family = random() % 3 == 0 ? 6 : 4;
		const uint8_t *near = NULL;
		if (k > 0 && made[k - 1].family == family && random() % 2 == 0) {
			near = made[random() % k].addr;
		}
		made[k] = random_subnet(family, near);
		uint8_t rdata[16] = { 10, (uint8_t)(k >> 8), (uint8_t)k, 1 };
		uint16_t type = random() % 3 == 0 ? KNOT_RRTYPE_AAAA : KNOT_RRTYPE_A;
		ck_assert_int_eq(mecdns_owner_add_scoped(entry, &made[k], type, 60, rdata,
		                                         type == KNOT_RRTYPE_A ? 4 : 16),
		                 KNOT_EOK);
	}
	for (unsigned q = 0; q < 20000; q++) {
		mecdns_client_t client = { .family = random() % 3 == 0 ? 6 : 4 };
		unsigned max = client.family == 4 ? 32 : 128;
		mecdns_subnet_t at = random_subnet(client.family, made[random() % scopes].addr);
		memcpy(client.addr, at.addr, sizeof(client.addr));
		client.bits = (uint8_t)(random() % (max + 1));
		for (unsigned bit = client.bits; bit < max; bit++) {
			client.addr[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
		}
		uint16_t qtype = random() % 2 == 0 ? KNOT_RRTYPE_A : KNOT_RRTYPE_AAAA;
		unsigned want_scope;
		int want = reference_answer(entry, qtype, &client, &want_scope);
		const knot_rrset_t *want_rrset =
		    want < 0 ? mecdns_owner_rrset(entry, qtype)
		             : mecdns_owner_rrset(entry->scoped[want].entry, qtype);
		uint8_t scope = 0xff;
		const knot_rrset_t *got = mecdns_owner_answer(entry, qtype, &client, &scope);
		ck_assert_msg(
		    got == want_rrset && scope == want_scope,
		    "query %u (family %d, %u bits, type %u): answer %p scope %u, expected "
		    "%p (scope %d) scope %u",
		    q, client.family, client.bits, qtype, (const void *)got, scope,
		    (const void *)want_rrset, want, want_scope);
	}
	mecdns_owner_free(entry);
}
END_TEST

START_TEST(test_duplicate_rdata_kept_once)
{
	mecdns_owner_t *entry = mecdns_owner_new(wire("www.example.com."));
	ck_assert_ptr_nonnull(entry);

	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_1, 4), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_2, 4), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_1, 4), KNOT_EOK);

	const knot_rrset_t *a = mecdns_owner_rrset(entry, KNOT_RRTYPE_A);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->rrs.count, 2);
	ck_assert_uint_eq(mecdns_owner_records(entry), 2);
	ck_assert_uint_eq(entry->rrset_count, 1);
	mecdns_owner_free(entry);
}
END_TEST

START_TEST(test_min_ttl_per_type)
{
	mecdns_owner_t *entry = mecdns_owner_new(wire("www.example.com."));
	ck_assert_ptr_nonnull(entry);

	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 300, ADDRESS_1, 4), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 30, ADDRESS_2, 4), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 120, ADDRESS_1, 4), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_AAAA, 900, ADDRESS_6, 16), KNOT_EOK);

	ck_assert_uint_eq(mecdns_owner_rrset(entry, KNOT_RRTYPE_A)->ttl, 30);
	ck_assert_uint_eq(mecdns_owner_rrset(entry, KNOT_RRTYPE_AAAA)->ttl, 900);
	mecdns_owner_free(entry);
}
END_TEST

START_TEST(test_rrsets_sorted_by_type)
{
	static const uint8_t txt[] = { 2, 'h', 'i' };
	static const uint8_t srv[] = { 0, 10, 0, 5, 0x13, 0xc4, 3, 's', 'i', 'p', 0 };
	mecdns_owner_t *entry = mecdns_owner_new(wire("multi.example.com."));
	ck_assert_ptr_nonnull(entry);

	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_SRV, 60, srv, sizeof(srv)), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_AAAA, 60, ADDRESS_6, 16), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_TXT, 60, txt, sizeof(txt)), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_1, 4), KNOT_EOK);

	ck_assert_uint_eq(entry->rrset_count, 4);
	ck_assert_uint_eq(entry->rrsets[0].type, KNOT_RRTYPE_A);
	ck_assert_uint_eq(entry->rrsets[1].type, KNOT_RRTYPE_TXT);
	ck_assert_uint_eq(entry->rrsets[2].type, KNOT_RRTYPE_AAAA);
	ck_assert_uint_eq(entry->rrsets[3].type, KNOT_RRTYPE_SRV);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert(knot_dname_is_equal(entry->rrsets[i].owner, entry->owner));
		ck_assert_uint_eq(entry->rrsets[i].rclass, KNOT_CLASS_IN);
	}
	ck_assert(!entry->cname);
	ck_assert_ptr_null(mecdns_owner_rrset(entry, KNOT_RRTYPE_MX));
	mecdns_owner_free(entry);
}
END_TEST

START_TEST(test_cname_excludes_other_types)
{
	const uint8_t *target_b = wire("b.example.net.");
	const uint8_t *target_a = wire("a.example.net.");

	/* A CNAME replaces what was there. */
	mecdns_owner_t *entry = mecdns_owner_new(wire("alias.example.com."));
	ck_assert_ptr_nonnull(entry);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_1, 4), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_AAAA, 60, ADDRESS_6, 16), KNOT_EOK);
	ck_assert_int_eq(
	    mecdns_owner_add(entry, KNOT_RRTYPE_CNAME, 300, target_b, knot_dname_size(target_b)),
	    KNOT_EOK);
	ck_assert(entry->cname);
	ck_assert_uint_eq(entry->rrset_count, 1);
	ck_assert_uint_eq(entry->rrsets[0].type, KNOT_RRTYPE_CNAME);

	/* Other types added later are dropped. */
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_2, 4), KNOT_EOK);
	ck_assert_ptr_null(mecdns_owner_rrset(entry, KNOT_RRTYPE_A));
	ck_assert_uint_eq(mecdns_owner_records(entry), 1);

	/* Of two targets the smaller one stays, with the smaller TTL. */
	ck_assert_int_eq(
	    mecdns_owner_add(entry, KNOT_RRTYPE_CNAME, 100, target_a, knot_dname_size(target_a)),
	    KNOT_EOK);
	ck_assert_int_eq(
	    mecdns_owner_add(entry, KNOT_RRTYPE_CNAME, 200, target_b, knot_dname_size(target_b)),
	    KNOT_EOK);
	const knot_rrset_t *cname = mecdns_owner_rrset(entry, KNOT_RRTYPE_CNAME);
	ck_assert_uint_eq(cname->rrs.count, 1);
	ck_assert_uint_eq(cname->ttl, 100);
	ck_assert(knot_dname_is_equal(knot_rdataset_at(&cname->rrs, 0)->data, target_a));
	ck_assert_uint_eq(entry->rrset_count, 1);
	mecdns_owner_free(entry);
}
END_TEST

START_TEST(test_bad_a_rdata_rejected)
{
	static const uint8_t zeros[17] = { 0 };
	static const uint8_t bad_txt[] = { 5, 'a' };
	static const uint8_t compressed[] = { 0xc0, 0x0c };
	static const uint8_t short_srv[] = { 0, 0, 0, 0, 0, 53 };
	mecdns_owner_t *entry = mecdns_owner_new(wire("bad.example.com."));
	ck_assert_ptr_nonnull(entry);

	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, zeros, 3), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, zeros, 5), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, zeros, 16), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_AAAA, 60, zeros, 4), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_AAAA, 60, zeros, 17), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, NULL, 4), KNOT_EINVAL);
	ck_assert_int_eq(
	    mecdns_owner_add(entry, KNOT_RRTYPE_CNAME, 60, compressed, sizeof(compressed)),
	    KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_CNAME, 60, zeros, 0), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_CNAME, 60, zeros, 2), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_TXT, 60, bad_txt, sizeof(bad_txt)),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_TXT, 60, zeros, 0), KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_SRV, 60, short_srv, sizeof(short_srv)),
	                 KNOT_EINVAL);
	ck_assert_int_eq(mecdns_owner_add(NULL, KNOT_RRTYPE_A, 60, ADDRESS_1, 4), KNOT_EINVAL);

	ck_assert_uint_eq(entry->rrset_count, 0);
	ck_assert_uint_eq(mecdns_owner_records(entry), 0);
	mecdns_owner_free(entry);
	ck_assert_ptr_null(mecdns_owner_new(NULL));
}
END_TEST

START_TEST(test_owner_add_reports_allocation_failure)
{
	if (!alloc_injection_works()) {
		return;
	}
	knot_dname_storage_t target, smaller;
	ck_assert_uint_gt(knot_dname_store(target, wire("target.example.net.")), 0);
	ck_assert_uint_gt(knot_dname_store(smaller, wire("a.example.net.")), 0);
	static const uint8_t txt[] = { 1, 'x' };

	for (long budget = 0;; budget++) {
		alloc_budget = budget;
		mecdns_owner_t *entry = mecdns_owner_new(wire("oom.example.com."));
		if (entry == NULL) {
			continue;
		}
		/* Inline rrset, then the array grows twice, then CNAMEs replace. */
		int ret = mecdns_owner_add(entry, KNOT_RRTYPE_AAAA, 60, ADDRESS_6, 16);
		if (ret == KNOT_EOK) {
			ret = mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_1, 4);
		}
		if (ret == KNOT_EOK) {
			ret = mecdns_owner_add(entry, KNOT_RRTYPE_TXT, 60, txt, sizeof(txt));
		}
		if (ret == KNOT_EOK) {
			ret = mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, ADDRESS_2, 4);
		}
		bool full = (ret == KNOT_EOK);
		size_t records = mecdns_owner_records(entry);
		if (ret == KNOT_EOK) {
			ret = mecdns_owner_add(entry, KNOT_RRTYPE_CNAME, 60, target,
			                       knot_dname_size(target));
		}
		if (ret == KNOT_EOK) {
			ret = mecdns_owner_add(entry, KNOT_RRTYPE_CNAME, 60, smaller,
			                       knot_dname_size(smaller));
		}
		alloc_budget = -1;

		if (ret != KNOT_EOK) {
			ck_assert_int_eq(ret, KNOT_ENOMEM);
			/* A failed add leaves the entry as it was before it. */
			if (full) {
				ck_assert_uint_eq(mecdns_owner_records(entry),
				                  entry->cname ? 1 : records);
			}
			mecdns_owner_free(entry);
			continue;
		}
		ck_assert(entry->cname);
		const knot_rrset_t *cname = mecdns_owner_rrset(entry, KNOT_RRTYPE_CNAME);
		ck_assert(knot_dname_is_equal(knot_rdataset_at(&cname->rrs, 0)->data, smaller));
		mecdns_owner_free(entry);
		break;
	}
}
END_TEST

/* Versions. */

START_TEST(test_set_then_find_returns_entry)
{
	mecdns_index_t *empty = mecdns_index_new();
	ck_assert_ptr_nonnull(empty);
	ck_assert_ptr_null(mecdns_index_find(empty, wire("www.example.com.")));

	mecdns_index_txn_t *txn = mecdns_index_begin(empty);
	ck_assert_ptr_nonnull(txn);
	mecdns_owner_t *entry = a_entry(wire("www.example.com."), ADDRESS_1, 60);
	set_ok(txn, wire("www.example.com."), entry);
	mecdns_index_t *index = commit(txn, 1);

	ck_assert_ptr_eq(mecdns_index_find(index, wire("www.example.com.")), entry);
	ck_assert_ptr_null(mecdns_index_find(index, wire("example.com.")));
	ck_assert_ptr_null(mecdns_index_find(index, wire("www.example.org.")));
	ck_assert_ptr_null(mecdns_index_find(index, NULL));
	ck_assert_ptr_null(mecdns_index_find(NULL, wire("www.example.com.")));
	mecdns_index_free(index);
}
END_TEST

START_TEST(test_case_folded_lookup)
{
	mecdns_owner_t *entry = a_entry(wire("WWW.Example.COM."), ADDRESS_1, 60);
	ck_assert(knot_dname_is_equal(entry->owner, wire("www.example.com.")));

	mecdns_index_t *index = index_with(entry);
	ck_assert_ptr_eq(mecdns_index_find(index, wire("www.example.com.")), entry);
	ck_assert_ptr_eq(mecdns_index_find(index, wire("wWw.EXAMPLE.cOm.")), entry);
	ck_assert_ptr_null(mecdns_index_find(index, wire("www.example.co.")));
	mecdns_index_free(index);
}
END_TEST

START_TEST(test_base_version_unchanged_after_commit)
{
	mecdns_index_t *base = index_with(a_entry(wire("www.example.com."), ADDRESS_1, 60));
	const mecdns_owner_t *before = mecdns_index_find(base, wire("www.example.com."));

	mecdns_index_txn_t *txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);
	set_ok(txn, wire("www.example.com."), a_entry(wire("www.example.com."), ADDRESS_2, 60));
	set_ok(txn, wire("new.example.com."), a_entry(wire("new.example.com."), ADDRESS_2, 60));
	mecdns_index_garbage_t *garbage = NULL;
	mecdns_index_t *next = mecdns_index_commit(txn, 2, &garbage);
	ck_assert_ptr_nonnull(next);

	/* Until the garbage is freed, readers of the base see the base. */
	ck_assert_ptr_eq(mecdns_index_find(base, wire("www.example.com.")), before);
	ck_assert(has_only_a(before, ADDRESS_1));
	ck_assert_ptr_null(mecdns_index_find(base, wire("new.example.com.")));
	ck_assert_uint_eq(mecdns_index_owners(base), 1);
	ck_assert_uint_eq(mecdns_index_generation(base), 1);

	ck_assert(has_only_a(mecdns_index_find(next, wire("www.example.com.")), ADDRESS_2));
	ck_assert(has_only_a(mecdns_index_find(next, wire("new.example.com.")), ADDRESS_2));
	ck_assert_uint_eq(mecdns_index_owners(next), 2);

	mecdns_index_garbage_free(garbage);
	mecdns_index_free(next);
}
END_TEST

START_TEST(test_abort_leaves_base_untouched)
{
	mecdns_index_t *base = index_with(a_entry(wire("www.example.com."), ADDRESS_1, 60));

	mecdns_index_txn_t *txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);
	set_ok(txn, wire("www.example.com."), a_entry(wire("www.example.com."), ADDRESS_2, 60));
	set_ok(txn, wire("new.example.com."), a_entry(wire("new.example.com."), ADDRESS_2, 60));
	set_ok(txn, wire("www.example.com."), NULL);
	mecdns_index_abort(txn);

	ck_assert(has_only_a(mecdns_index_find(base, wire("www.example.com.")), ADDRESS_1));
	ck_assert_ptr_null(mecdns_index_find(base, wire("new.example.com.")));
	ck_assert_uint_eq(mecdns_index_owners(base), 1);
	ck_assert_uint_eq(mecdns_index_records(base), 1);

	/* The base still makes new versions. */
	txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);
	set_ok(txn, wire("www.example.com."), NULL);
	mecdns_index_t *next = commit(txn, 2);
	ck_assert_uint_eq(mecdns_index_owners(next), 0);
	mecdns_index_free(next);
	mecdns_index_abort(NULL);
}
END_TEST

START_TEST(test_remove_owner)
{
	mecdns_index_t *empty = mecdns_index_new();
	ck_assert_ptr_nonnull(empty);
	mecdns_index_txn_t *txn = mecdns_index_begin(empty);
	ck_assert_ptr_nonnull(txn);
	for (unsigned i = 0; i < 100; i++) {
		set_ok(txn, wire("h%u.example.", i),
		       a_entry(wire("h%u.example.", i), ADDRESS_1, 60));
	}
	mecdns_index_t *base = commit(txn, 1);

	txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);
	for (unsigned i = 0; i < 100; i += 2) {
		set_ok(txn, wire("h%u.example.", i), NULL);
	}
	set_ok(txn, wire("never.example."), NULL);
	mecdns_index_t *next = commit(txn, 2);

	for (unsigned i = 0; i < 100; i++) {
		const mecdns_owner_t *entry = mecdns_index_find(next, wire("h%u.example.", i));
		require((entry == NULL) == (i % 2 == 0), "h%u", i);
	}
	ck_assert_uint_eq(mecdns_index_owners(next), 50);
	ck_assert_uint_eq(mecdns_index_records(next), 50);

	/* Removing the rest leaves an empty version. */
	txn = mecdns_index_begin(next);
	ck_assert_ptr_nonnull(txn);
	for (unsigned i = 1; i < 100; i += 2) {
		set_ok(txn, wire("h%u.example.", i), NULL);
	}
	mecdns_index_t *last = commit(txn, 3);
	ck_assert_uint_eq(mecdns_index_owners(last), 0);
	ck_assert_uint_eq(mecdns_index_records(last), 0);
	ck_assert_ptr_null(mecdns_index_find(last, wire("h1.example.")));
	mecdns_index_free(last);
}
END_TEST

START_TEST(test_empty_entry_removes_owner)
{
	mecdns_index_t *base = index_with(a_entry(wire("www.example.com."), ADDRESS_1, 60));

	mecdns_index_txn_t *txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);
	set_ok(txn, wire("www.example.com."), mecdns_owner_new(wire("www.example.com.")));
	set_ok(txn, wire("other.example.com."), mecdns_owner_new(wire("other.example.com.")));
	mecdns_index_t *next = commit(txn, 2);

	ck_assert_ptr_null(mecdns_index_find(next, wire("www.example.com.")));
	ck_assert_ptr_null(mecdns_index_find(next, wire("other.example.com.")));
	ck_assert_uint_eq(mecdns_index_owners(next), 0);
	mecdns_index_free(next);
}
END_TEST

START_TEST(test_set_rejects_entry_of_another_owner)
{
	mecdns_index_t *base = mecdns_index_new();
	ck_assert_ptr_nonnull(base);
	mecdns_index_txn_t *txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);

	/* The entry is the transaction's also on error (valgrind checks). */
	ck_assert_int_eq(
	    mecdns_index_set(txn, wire("a.example."), a_entry(wire("b.example."), ADDRESS_1, 60)),
	    KNOT_EINVAL);
	ck_assert_int_eq(mecdns_index_set(txn, NULL, a_entry(wire("b.example."), ADDRESS_1, 60)),
	                 KNOT_EINVAL);
	ck_assert_int_eq(
	    mecdns_index_set(NULL, wire("b.example."), a_entry(wire("b.example."), ADDRESS_1, 60)),
	    KNOT_EINVAL);
	ck_assert_ptr_null(mecdns_index_commit(txn, 1, NULL));
	ck_assert_ptr_null(mecdns_index_begin(NULL));

	ck_assert_uint_eq(mecdns_index_owners(base), 0);
	mecdns_index_free(base);
}
END_TEST

START_TEST(test_generation_and_counters)
{
	mecdns_index_t *empty = mecdns_index_new();
	ck_assert_ptr_nonnull(empty);
	ck_assert_uint_eq(mecdns_index_generation(empty), 0);
	ck_assert_uint_eq(mecdns_index_owners(empty), 0);
	ck_assert_uint_eq(mecdns_index_records(empty), 0);

	mecdns_index_txn_t *txn = mecdns_index_begin(empty);
	ck_assert_ptr_nonnull(txn);
	mecdns_owner_t *two = a_entry(wire("two.example."), ADDRESS_1, 60);
	ck_assert_int_eq(mecdns_owner_add(two, KNOT_RRTYPE_AAAA, 60, ADDRESS_6, 16), KNOT_EOK);
	set_ok(txn, wire("two.example."), two);
	set_ok(txn, wire("one.example."), a_entry(wire("one.example."), ADDRESS_1, 60));
	/* Replaced within the same transaction: counted once. */
	set_ok(txn, wire("one.example."), a_entry(wire("one.example."), ADDRESS_2, 60));
	mecdns_index_t *v1 = commit(txn, 41);
	ck_assert_uint_eq(mecdns_index_generation(v1), 41);
	ck_assert_uint_eq(mecdns_index_owners(v1), 2);
	ck_assert_uint_eq(mecdns_index_records(v1), 3);

	txn = mecdns_index_begin(v1);
	ck_assert_ptr_nonnull(txn);
	mecdns_owner_t *three = a_entry(wire("one.example."), ADDRESS_1, 60);
	ck_assert_int_eq(mecdns_owner_add(three, KNOT_RRTYPE_A, 60, ADDRESS_2, 4), KNOT_EOK);
	ck_assert_int_eq(mecdns_owner_add(three, KNOT_RRTYPE_AAAA, 60, ADDRESS_6, 16), KNOT_EOK);
	set_ok(txn, wire("one.example."), three);
	set_ok(txn, wire("two.example."), NULL);
	mecdns_index_t *v2 = commit(txn, 42);
	ck_assert_uint_eq(mecdns_index_generation(v2), 42);
	ck_assert_uint_eq(mecdns_index_owners(v2), 1);
	ck_assert_uint_eq(mecdns_index_records(v2), 3);

	/* A transaction without changes still makes a new generation. */
	txn = mecdns_index_begin(v2);
	ck_assert_ptr_nonnull(txn);
	mecdns_index_t *v3 = commit(txn, 43);
	ck_assert_uint_eq(mecdns_index_generation(v3), 43);
	ck_assert_uint_eq(mecdns_index_owners(v3), 1);
	ck_assert_ptr_eq(mecdns_index_find(v3, wire("one.example.")), three);
	mecdns_index_free(v3);
}
END_TEST

/*! \brief Builds, changes and empties an index of names whose hashes are cut
 *         to a few bits, checking every version against the model. */
static void check_short_hashes(unsigned bits, unsigned names)
{
	mecdns_index_test_hash_bits(bits);
	static model_t model;
	memset(&model, 0, sizeof(model));
	model.names = names;

	mecdns_index_t *index = mecdns_index_new();
	ck_assert_ptr_nonnull(index);
	mecdns_index_txn_t *txn = mecdns_index_begin(index);
	ck_assert_ptr_nonnull(txn);
	for (unsigned i = 0; i < names; i++) {
		require(model_txn_set(txn, i, i + 1) == KNOT_EOK, "set o%u", i);
		model_set(&model, i, i + 1);
	}
	index = commit(txn, 1);
	model_check(index, &model);

	/* Replace every third, remove every third, one by one (many versions). */
	for (unsigned i = 0; i < names; i++) {
		uint32_t value = (i % 3 == 0) ? i + 7 : (i % 3 == 1) ? 0 : model.value[i];
		txn = mecdns_index_begin(index);
		require(txn != NULL, "begin failed");
		require(model_txn_set(txn, i, value) == KNOT_EOK, "set o%u", i);
		model_set(&model, i, value);
		index = commit(txn, 2 + i);
	}
	model_check(index, &model);

	/* Remove all but one, then the last one. */
	txn = mecdns_index_begin(index);
	ck_assert_ptr_nonnull(txn);
	for (unsigned i = 0; i < names; i++) {
		require(model_txn_set(txn, i, 0) == KNOT_EOK, "remove o%u", i);
		model_set(&model, i, 0);
	}
	ck_assert_int_eq(model_txn_set(txn, names / 2, 5), KNOT_EOK);
	model_set(&model, names / 2, 5);
	index = commit(txn, names + 2);
	model_check(index, &model);

	txn = mecdns_index_begin(index);
	ck_assert_ptr_nonnull(txn);
	ck_assert_int_eq(model_txn_set(txn, names / 2, 0), KNOT_EOK);
	model_set(&model, names / 2, 0);
	index = commit(txn, names + 3);
	model_check(index, &model);
	mecdns_index_free(index);
}

START_TEST(test_many_owners_share_hash_prefix)
{
	/* 12 bits for 1500 names: many share the first levels' chunks, and
	 * some pairs share the whole (cut) hash. */
	check_short_hashes(12, 1500);
}
END_TEST

START_TEST(test_owners_with_equal_hashes_are_told_apart)
{
	/* One hash for all: a single collision list below the last level. */
	check_short_hashes(0, 60);
}
END_TEST

/*! \brief Random transactions (some aborted) checked against the model,
 *         including the previous version while its garbage is held. */
static void check_random_operations(unsigned bits, unsigned names, unsigned rounds, uint64_t seed)
{
	mecdns_index_test_hash_bits(bits);
	static model_t model, next_model;
	memset(&model, 0, sizeof(model));
	model.names = names;

	mecdns_index_t *index = mecdns_index_new();
	ck_assert_ptr_nonnull(index);

	for (unsigned round = 0; round < rounds; round++) {
		unsigned changes = (next_random(&seed) % 10 == 0) ? next_random(&seed) % (2 * names)
		                                                  : 1 + next_random(&seed) % 20;
		next_model = model;

		mecdns_index_txn_t *txn = mecdns_index_begin(index);
		require(txn != NULL, "begin failed");
		for (unsigned c = 0; c < changes; c++) {
			unsigned i = next_random(&seed) % names;
			uint32_t value =
			    (next_random(&seed) % 3 == 0) ? 0 : 1 + next_random(&seed) % 60000;
			require(model_txn_set(txn, i, value) == KNOT_EOK, "set o%u", i);
			model_set(&next_model, i, value);
		}

		if (next_random(&seed) % 8 == 0) {
			mecdns_index_abort(txn);
			model_check(index, &model);
			continue;
		}

		mecdns_index_garbage_t *garbage = NULL;
		mecdns_index_t *next = mecdns_index_commit(txn, round + 1, &garbage);
		ck_assert_ptr_nonnull(next);
		model_check(index, &model);
		model_check(next, &next_model);
		mecdns_index_garbage_free(garbage);
		index = next;
		model = next_model;
	}
	model_check(index, &model);
	mecdns_index_free(index);
}

START_TEST(test_random_operations_match_reference_model)
{
	check_random_operations(64, 3000, 150, 0x6d65636e73);
}
END_TEST

START_TEST(test_random_operations_with_short_hashes_match_reference_model)
{
	check_random_operations(7, 1000, 150, 0x696e646578);
}
END_TEST

START_TEST(test_random_operations_with_one_hash_match_reference_model)
{
	check_random_operations(0, 50, 150, 0x636f6c6c);
}
END_TEST

/*! \brief Every allocation of one transaction fails in turn: each failure is
 *         reported, the aborted transaction frees what it made, and the
 *         base version answers as before. */
static void check_allocation_failures(unsigned bits)
{
	if (!alloc_injection_works()) {
		return;
	}
	mecdns_index_test_hash_bits(bits);

	static model_t model, next_model;
	memset(&model, 0, sizeof(model));
	model.names = 80;
	mecdns_index_t *base = mecdns_index_new();
	ck_assert_ptr_nonnull(base);
	mecdns_index_txn_t *txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);
	for (unsigned i = 0; i < 40; i++) {
		ck_assert_int_eq(model_txn_set(txn, i, 100 + i), KNOT_EOK);
		model_set(&model, i, 100 + i);
	}
	base = commit(txn, 1);

	long budget;
	for (budget = 0;; budget++) {
		next_model = model;
		alloc_budget = budget;
		int ret = KNOT_ENOMEM;
		txn = mecdns_index_begin(base);
		for (unsigned i = 0; txn != NULL && i < 80; i++) {
			/* Remove, replace, keep, keep; insert, remove absent. */
			uint32_t value = (i < 40)       ? ((i % 4 == 0)   ? 0
			                                   : (i % 4 == 1) ? 900 + i
			                                                  : 100 + i)
			                 : (i % 2 == 0) ? 2000 + i
			                                : 0;
			if (i >= 40 || i % 4 < 2) {
				ret = model_txn_set(txn, i, value);
				if (ret != KNOT_EOK) {
					break;
				}
				model_set(&next_model, i, value);
			}
		}
		if (ret == KNOT_EOK) {
			/* The same owner twice in one transaction. */
			ret = model_txn_set(txn, 42, 4242);
			model_set(&next_model, 42, 4242);
		}
		mecdns_index_garbage_t *garbage = NULL;
		mecdns_index_t *next = NULL;
		if (ret == KNOT_EOK) {
			next = mecdns_index_commit(txn, 2, &garbage);
		} else {
			mecdns_index_abort(txn);
		}
		alloc_budget = -1;

		/* Check itself allocates: assert only once allocations work. */
		if (ret == KNOT_EOK) {
			ck_assert_ptr_nonnull(next);
		} else {
			ck_assert_int_eq(ret, KNOT_ENOMEM);
		}
		model_check(base, &model);
		if (next != NULL) {
			model_check(next, &next_model);
			mecdns_index_garbage_free(garbage);
			mecdns_index_free(next);
			break;
		}
	}
	/* Each of the many allocations of the transaction failed once. */
	ck_assert_int_gt(budget, 50);
}

START_TEST(test_allocation_failures_leave_base_untouched)
{
	check_allocation_failures(64);
	check_allocation_failures(2);
}
END_TEST

START_TEST(test_1m_owners_then_single_change)
{
	enum { OWNERS = 1000000 };
	mecdns_index_t *empty = mecdns_index_new();
	ck_assert_ptr_nonnull(empty);
	mecdns_index_txn_t *txn = mecdns_index_begin(empty);
	ck_assert_ptr_nonnull(txn);
	for (unsigned i = 0; i < OWNERS; i++) {
		const knot_dname_t *owner = wire("host-%u.edge.example.", i);
		uint8_t address[4] = { 10, i >> 16, i >> 8, i };
		set_ok(txn, owner, a_entry(owner, address, 60));
	}
	mecdns_index_t *base = commit(txn, 1);
	ck_assert_uint_eq(mecdns_index_owners(base), OWNERS);

	/* One owner changes: the transaction allocates and retires a path of
	 * the trie, not a share of the whole. */
	const knot_dname_t *changed = wire("host-%u.edge.example.", 123456);
	size_t allocs_before = alloc_calls;
	txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);
	set_ok(txn, changed, a_entry(changed, ADDRESS_2, 60));
	mecdns_index_garbage_t *garbage = NULL;
	mecdns_index_t *next = mecdns_index_commit(txn, 2, &garbage);
	ck_assert_ptr_nonnull(next);
	size_t allocs = alloc_calls - allocs_before;
	ck_assert_msg(allocs <= 20, "a single change made %zu allocations", allocs);

	for (unsigned i = 0; i < OWNERS; i++) {
		const knot_dname_t *owner = wire("host-%u.edge.example.", i);
		uint8_t address[4] = { 10, i >> 16, i >> 8, i };
		const mecdns_owner_t *old = mecdns_index_find(base, owner);
		const mecdns_owner_t *new = mecdns_index_find(next, owner);
		require(old != NULL && has_only_a(old, address), "host-%u in base", i);
		if (i == 123456) {
			require(has_only_a(new, ADDRESS_2), "host-%u changed", i);
		} else {
			require(new == old, "host-%u shared", i);
		}
	}
	ck_assert_uint_eq(mecdns_index_owners(next), OWNERS);
	ck_assert_uint_eq(mecdns_index_records(next), OWNERS);

	size_t frees_before = free_calls;
	mecdns_index_garbage_free(garbage);
	size_t frees = free_calls - frees_before;
	ck_assert_msg(frees <= 20, "a single change left %zu objects to free", frees);
	mecdns_index_free(next);
}
END_TEST

/*
 * Wildcards (RFC 4592 over the index's owners). Names are kept as text in
 * the tests; the reference decides existence and the closest encloser by
 * comparing label suffixes.
 */

/*! \brief An entry at a text name with one A record. */
static mecdns_owner_t *text_entry(const char *name, uint8_t last)
{
	knot_dname_storage_t owner;
	ck_assert_ptr_nonnull(knot_dname_from_str(owner, name, sizeof(owner)));
	mecdns_owner_t *entry = mecdns_owner_new(owner);
	ck_assert_ptr_nonnull(entry);
	uint8_t a[4] = { 192, 0, 2, last };
	ck_assert_int_eq(mecdns_owner_add(entry, KNOT_RRTYPE_A, 60, a, sizeof(a)), KNOT_EOK);
	return entry;
}

static void txn_text_set(mecdns_index_txn_t *txn, const char *name, bool present)
{
	knot_dname_storage_t owner;
	ck_assert_ptr_nonnull(knot_dname_from_str(owner, name, sizeof(owner)));
	ck_assert_int_eq(mecdns_index_set(txn, owner, present ? text_entry(name, 1) : NULL),
	                 KNOT_EOK);
}

/*! \brief The owner (text) of the wildcard answering name, or "-". */
static const char *wildcard_of(const mecdns_index_t *index, const char *name)
{
	static knot_dname_txt_storage_t text;
	knot_dname_storage_t query;
	ck_assert_ptr_nonnull(knot_dname_from_str(query, name, sizeof(query)));
	const mecdns_owner_t *source = mecdns_index_wildcard(index, query);
	if (source == NULL) {
		return "-";
	}
	ck_assert_ptr_nonnull(knot_dname_to_str(text, source->owner, sizeof(text)));
	return text;
}

static mecdns_index_t *commit_text(mecdns_index_t *base, const char *const *names, bool present,
                                   uint64_t generation)
{
	mecdns_index_txn_t *txn = mecdns_index_begin(base);
	ck_assert_ptr_nonnull(txn);
	for (const char *const *name = names; *name != NULL; name++) {
		txn_text_set(txn, *name, present);
	}
	mecdns_index_garbage_t *garbage = NULL;
	mecdns_index_t *next = mecdns_index_commit(txn, generation, &garbage);
	ck_assert_ptr_nonnull(next);
	mecdns_index_garbage_free(garbage);
	return next;
}

START_TEST(test_wildcard_closest_encloser)
{
	static const char *const names[] = {
		"*.wild.test.",   "b.wild.test.", "c.d.wild.test.",
		"*.x.wild.test.", "x.wild.test.", NULL,
	};
	mecdns_index_t *index = commit_text(mecdns_index_new(), names, true, 1);
	ck_assert_uint_eq(mecdns_index_owners(index), 5);

	static const struct {
		const char *query;
		const char *source;
	} cases[] = {
		{ "a.wild.test.", "*.wild.test." },     /* Encloser wild.test. */
		{ "p.q.wild.test.", "*.wild.test." },   /* Any depth below it. */
		{ "A.WILD.TEST.", "*.wild.test." },     /* Case-insensitive. */
		{ "z.b.wild.test.", "-" },              /* Encloser b: no *.b. */
		{ "d.wild.test.", "-" },                /* Exists (non-terminal). */
		{ "e.d.wild.test.", "-" },              /* Encloser d: no *.d. */
		{ "wild.test.", "-" },                  /* Exists (parent of *). */
		{ "y.x.wild.test.", "*.x.wild.test." }, /* Nearer wildcard wins. */
		{ "other.test.", "-" },                 /* Encloser test.: no *.test. */
		{ "*.b.wild.test.", "-" },              /* A literal "*" label. */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(strcmp(wildcard_of(index, cases[i].query), cases[i].source) == 0,
		              "%s: got %s, want %s", cases[i].query,
		              wildcard_of(index, cases[i].query), cases[i].source);
	}

	/* Removing the owner below d makes d vanish: *.wild.test. then covers it;
	 * the base version still answers as before. */
	static const char *const cd[] = { "c.d.wild.test.", NULL };
	mecdns_index_txn_t *txn = mecdns_index_begin(index);
	ck_assert_ptr_nonnull(txn);
	txn_text_set(txn, cd[0], false);
	mecdns_index_garbage_t *garbage = NULL;
	mecdns_index_t *next = mecdns_index_commit(txn, 2, &garbage);
	ck_assert_ptr_nonnull(next);
	ck_assert_str_eq(wildcard_of(index, "e.d.wild.test."), "-");
	ck_assert_str_eq(wildcard_of(next, "e.d.wild.test."), "*.wild.test.");
	ck_assert_str_eq(wildcard_of(next, "d.wild.test."), "*.wild.test.");
	mecdns_index_garbage_free(garbage);

	/* Without wildcards nothing is synthesized, and the non-terminals go
	 * with their owners. */
	static const char *const stars[] = { "*.wild.test.", "*.x.wild.test.", NULL };
	mecdns_index_t *plain = commit_text(next, stars, false, 3);
	ck_assert_str_eq(wildcard_of(plain, "a.wild.test."), "-");
	static const char *const rest[] = { "b.wild.test.", "x.wild.test.", NULL };
	mecdns_index_t *empty = commit_text(plain, rest, false, 4);
	ck_assert_uint_eq(mecdns_index_owners(empty), 0);
	static const char *const again[] = { "*.test.", NULL };
	mecdns_index_t *top = commit_text(empty, again, true, 5);
	ck_assert_str_eq(wildcard_of(top, "a.wild.test."), "*.test.");
	mecdns_index_free(top);
}
END_TEST

/* The random check: names of up to three labels from {a, b, *} below w.test. */
#define WILD_LABELS 3
#define WILD_DEPTH  3
#define WILD_NAMES  (3 + 9 + 27)

static void wild_name(unsigned i, char *out, size_t size)
{
	static const char *const labels[WILD_LABELS] = { "a", "b", "*" };
	unsigned depth = (i < 3) ? 1 : (i < 12) ? 2 : 3;
	unsigned code = i - ((depth == 1) ? 0 : (depth == 2) ? 3 : 12);
	out[0] = '\0';
	for (unsigned d = 0; d < depth; d++) {
		size_t len = strlen(out);
		snprintf(out + len, size - len, "%s.", labels[code % WILD_LABELS]);
		code /= WILD_LABELS;
	}
	size_t len = strlen(out);
	snprintf(out + len, size - len, "w.test.");
}

/*! \brief Whether text name below ends with ".above" or equals it. */
static bool text_at_or_below(const char *below, const char *above)
{
	size_t lb = strlen(below), la = strlen(above);
	if (lb == la) {
		return strcmp(below, above) == 0;
	}
	return lb > la && strcmp(below + lb - la, above) == 0 && below[lb - la - 1] == '.';
}

static bool ref_exists(const bool *present, const char *name)
{
	char owner[64];
	for (unsigned i = 0; i < WILD_NAMES; i++) {
		wild_name(i, owner, sizeof(owner));
		if (present[i] && text_at_or_below(owner, name)) {
			return true;
		}
	}
	return false;
}

static bool ref_present(const bool *present, const char *name)
{
	char owner[64];
	for (unsigned i = 0; i < WILD_NAMES; i++) {
		wild_name(i, owner, sizeof(owner));
		if (present[i] && strcmp(owner, name) == 0) {
			return true;
		}
	}
	return false;
}

/*! \brief The reference answer for a query (text) without an own entry. */
static void ref_wildcard(const bool *present, const char *query, char *out, size_t size)
{
	snprintf(out, size, "-");
	if (ref_exists(present, query)) {
		return;
	}
	const char *encloser = strchr(query, '.') + 1;
	while (*encloser != '\0' && !ref_exists(present, encloser)) {
		encloser = strchr(encloser, '.') + 1;
	}
	char source[80];
	snprintf(source, sizeof(source), "*.%s", encloser);
	if (ref_present(present, source)) {
		snprintf(out, size, "%s", source);
	}
}

static void check_wildcards_random(unsigned bits, uint64_t seed)
{
	mecdns_index_test_hash_bits(bits);
	bool present[WILD_NAMES] = { false };
	mecdns_index_t *index = mecdns_index_new();
	ck_assert_ptr_nonnull(index);
	uint64_t state = seed;

	for (unsigned round = 0; round < 300; round++) {
		mecdns_index_txn_t *txn = mecdns_index_begin(index);
		ck_assert_ptr_nonnull(txn);
		unsigned changes = 1 + next_random(&state) % 4;
		for (unsigned c = 0; c < changes; c++) {
			unsigned i = next_random(&state) % WILD_NAMES;
			char name[64];
			wild_name(i, name, sizeof(name));
			present[i] = !present[i];
			txn_text_set(txn, name, present[i]);
		}
		mecdns_index_garbage_t *garbage = NULL;
		mecdns_index_t *next = mecdns_index_commit(txn, round + 1, &garbage);
		ck_assert_ptr_nonnull(next);
		mecdns_index_garbage_free(garbage);
		index = next;

		size_t owners = 0;
		for (unsigned q = 0; q < WILD_NAMES; q++) {
			char name[64], want[80];
			wild_name(q, name, sizeof(name));
			owners += present[q];
			/* Queries: every name, and one label deeper (c.<name>). */
			for (int deeper = 0; deeper < 2; deeper++) {
				char query[72];
				snprintf(query, sizeof(query), "%s%s", deeper ? "c." : "", name);
				if (ref_present(present, query)) {
					continue;
				}
				ref_wildcard(present, query, want, sizeof(want));
				const char *got = wildcard_of(index, query);
				ck_assert_msg(strcmp(got, want) == 0,
				              "round %u, %s: got %s, want %s", round, query, got,
				              want);
			}
		}
		ck_assert_uint_eq(mecdns_index_owners(index), owners);
	}
	mecdns_index_free(index);
}

START_TEST(test_wildcards_match_reference)
{
	check_wildcards_random(64, 0x77696c64);
}
END_TEST

START_TEST(test_wildcards_with_one_hash_match_reference)
{
	check_wildcards_random(0, 0x2a2e7774);
}
END_TEST

static Suite *index_suite(void)
{
	Suite *suite = suite_create("index");

	TCase *entries = tcase_create("entries");
	tcase_add_checked_fixture(entries, NULL, reset_hash);
	tcase_add_test(entries, test_duplicate_rdata_kept_once);
	tcase_add_test(entries, test_min_ttl_per_type);
	tcase_add_test(entries, test_rrsets_sorted_by_type);
	tcase_add_test(entries, test_cname_excludes_other_types);
	tcase_add_test(entries, test_bad_a_rdata_rejected);
	tcase_add_test(entries, test_owner_add_reports_allocation_failure);
	tcase_add_loop_test(entries, test_scoped_answers_match_a_brute_force_reference, 0, 3);
	suite_add_tcase(suite, entries);

	TCase *versions = tcase_create("versions");
	tcase_add_checked_fixture(versions, NULL, reset_hash);
	tcase_set_timeout(versions, 60);
	tcase_add_test(versions, test_set_then_find_returns_entry);
	tcase_add_test(versions, test_case_folded_lookup);
	tcase_add_test(versions, test_base_version_unchanged_after_commit);
	tcase_add_test(versions, test_abort_leaves_base_untouched);
	tcase_add_test(versions, test_remove_owner);
	tcase_add_test(versions, test_empty_entry_removes_owner);
	tcase_add_test(versions, test_set_rejects_entry_of_another_owner);
	tcase_add_test(versions, test_generation_and_counters);
	tcase_add_test(versions, test_many_owners_share_hash_prefix);
	tcase_add_test(versions, test_owners_with_equal_hashes_are_told_apart);
	tcase_add_test(versions, test_random_operations_match_reference_model);
	tcase_add_test(versions, test_random_operations_with_short_hashes_match_reference_model);
	tcase_add_test(versions, test_random_operations_with_one_hash_match_reference_model);
	tcase_add_test(versions, test_allocation_failures_leave_base_untouched);
	tcase_add_test(versions, test_wildcard_closest_encloser);
	tcase_add_test(versions, test_wildcards_match_reference);
	tcase_add_test(versions, test_wildcards_with_one_hash_match_reference);
	suite_add_tcase(suite, versions);

	TCase *scale = tcase_create("scale");
	tcase_set_timeout(scale, 120);
	tcase_add_test(scale, test_1m_owners_then_single_change);
	suite_add_tcase(suite, scale);

	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(index_suite());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return (failed == 0) ? EXIT_SUCCESS : EXIT_FAILURE;
}
