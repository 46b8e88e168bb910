/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mod-mecdns index: a persistent hash array mapped trie of owner entries.
 *
 *  The trie is keyed by a 64-bit hash of the case-folded wire owner name and
 *  branches on 5 bits of it per level (13 levels cover all 64 bits). A slot
 *  holds a tagged pointer: an inner node, an entry (a leaf costs no node of
 *  its own), or, below the last level, a collision node listing the entries
 *  whose names share the whole hash. An entry may sit in a slot above the
 *  level where its hash alone would put it; lookups always compare the full
 *  name, so a node with a single entry is folded into its parent.
 *
 *  Versions share structure. A transaction copies the nodes on the paths it
 *  changes (path copying) and marks what it allocates as fresh; fresh nodes
 *  and entries are changed in place, so a batch that touches the same node
 *  many times copies it once. What the base version held and the new one
 *  does not reference is collected as garbage; what the transaction made and
 *  dropped again is freed at once. Commit clears the fresh marks by walking
 *  the fresh nodes only, so its cost follows the change, not the index.
 *
 *  Published nodes and entries are never written again, which is what makes
 *  the lock-free lookup safe (see index.h for the RCU contract).
 */

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "module/index.h"
#include "module/owner_block.h"

/*! Hash bits consumed per trie level. */
#define TRIE_BITS       5
#define TRIE_CHUNK_MASK ((UINT64_C(1) << TRIE_BITS) - 1)
#define HASH_BITS       64
/*! Levels of inner nodes; below them only collision nodes. */
#define TRIE_LEVELS ((HASH_BITS + TRIE_BITS - 1) / TRIE_BITS)
/*! Most base objects one change can retire: a node per level, a collision
 *  node and the replaced entry. */
#define RETIRED_PER_CHANGE (TRIE_LEVELS + 2)

/*! A slot: a tagged pointer; 0 is an empty slot. */
typedef uintptr_t slot_t;

enum {
	SLOT_NODE = 0,
	SLOT_ENTRY = 1,
	SLOT_COLLISION = 2,
	SLOT_TAG_MASK = 3,
};

/*! Inner node: one bit per occupied 5-bit hash chunk, one slot per set bit
 *  in chunk order. */
typedef struct {
	uint32_t bitmap;
	bool fresh; /*!< Made by the open transaction (writable). */
	slot_t slots[];
} trie_node_t;

/*! Entries whose names have equal 64-bit hashes (at least two). */
typedef struct {
	uint32_t count;
	bool fresh;
	mecdns_owner_t *entries[];
} trie_collision_t;

struct mecdns_index {
	slot_t root; /*!< Owners with records. */
	slot_t ents; /*!< Names with owners below them (not the root), each an
	                  entry without records counting those owners. */
	uint64_t generation;
	size_t owners;
	size_t records;
	size_t wildcards; /*!< Owners whose first label is "*". */
};

struct mecdns_index_garbage {
	slot_t *slots; /*!< Retired nodes and entries of the base. */
	size_t count;
	size_t capacity;
	mecdns_index_t *version; /*!< The base version itself. */
};

struct mecdns_index_txn {
	mecdns_index_t *base; /*!< Retired at commit. */
	mecdns_index_t *next; /*!< The version being built. */
	mecdns_index_garbage_t *garbage;
};

/*! Mask applied to every hash; only tests narrow it, to force collisions. */
static uint64_t hash_mask = UINT64_MAX;

/*!
 * \brief Test hook (not part of index.h): keep only the low bits of every
 *        hash, so that tests can exercise shared prefixes and collisions.
 *
 * Must only be called while no index exists.
 */
void mecdns_index_test_hash_bits(unsigned bits);
void mecdns_index_test_hash_bits(unsigned bits)
{
	hash_mask = (bits >= HASH_BITS) ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

/*! \brief Lower-cases the ASCII letters among eight bytes at once. */
static uint64_t fold_case(uint64_t word)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	const uint64_t high = ones * 0x80;
	uint64_t low = word & ~high;
	/* Per byte, bit 7 set iff the low 7 bits are >= 'A' (resp. > 'Z');
	 * the sums never carry into the next byte. */
	uint64_t from_a = low + ones * (0x80 - 'A');
	uint64_t above_z = low + ones * (0x7f - 'Z');
	uint64_t upper = (from_a ^ above_z) & ~word & high;
	return word | (upper >> 2);
}

/*! \brief One round of the name hash: xor, multiply, xorshift; each step is
 *         invertible, so names that differ in one word never collide here. */
static uint64_t hash_round(uint64_t hash, uint64_t word)
{
	hash ^= word;
	hash *= UINT64_C(0x9e3779b97f4a7c15);
	return hash ^ (hash >> 32);
}

/*! \brief MurmurHash3's 64-bit finalizer: every output bit depends on every
 *         input bit, which the trie needs as it branches on the low bits. */
static uint64_t hash_finish(uint64_t hash)
{
	hash ^= hash >> 33;
	hash *= UINT64_C(0xff51afd7ed558ccd);
	hash ^= hash >> 33;
	hash *= UINT64_C(0xc4ceb9fe1a85ec53);
	return hash ^ (hash >> 33);
}

/*! \brief Hash of a wire name, case-insensitive (length bytes are < 64 and
 *         therefore never folded). */
static uint64_t name_hash(const knot_dname_t *name)
{
	size_t len = knot_dname_size(name);
	uint64_t hash = hash_round(UINT64_C(0x2d358dccaa6c78a5), len);
	uint64_t word;

	for (; len >= sizeof(word); len -= sizeof(word), name += sizeof(word)) {
		memcpy(&word, name, sizeof(word));
		hash = hash_round(hash, fold_case(word));
	}
	if (len > 0) {
		word = 0;
		memcpy(&word, name, len);
		hash = hash_round(hash, fold_case(word));
	}

	return hash_finish(hash) & hash_mask;
}

static bool names_equal(const knot_dname_t *a, const knot_dname_t *b)
{
	return knot_dname_is_case_equal(a, b);
}

static unsigned slot_tag(slot_t slot)
{
	return slot & SLOT_TAG_MASK;
}

static trie_node_t *slot_node(slot_t slot)
{
	return (trie_node_t *)slot;
}

static mecdns_owner_t *slot_entry(slot_t slot)
{
	return (mecdns_owner_t *)(slot & ~(slot_t)SLOT_TAG_MASK);
}

static trie_collision_t *slot_collision(slot_t slot)
{
	return (trie_collision_t *)(slot & ~(slot_t)SLOT_TAG_MASK);
}

static slot_t node_slot(trie_node_t *node)
{
	return (slot_t)node;
}

static slot_t entry_slot(mecdns_owner_t *entry)
{
	return (slot_t)entry | SLOT_ENTRY;
}

static slot_t collision_slot(trie_collision_t *collision)
{
	return (slot_t)collision | SLOT_COLLISION;
}

/*! \brief The bitmap bit of the hash chunk at a level (shift < 64). */
static uint32_t chunk_bit(uint64_t hash, unsigned shift)
{
	assert(shift < HASH_BITS);
	return UINT32_C(1) << ((hash >> shift) & TRIE_CHUNK_MASK);
}

/*! \brief Bits set in a word; inline, as the generic x86-64 target has no
 *         popcount instruction and the builtin becomes a library call. */
static unsigned popcount32(uint32_t word)
{
	word -= (word >> 1) & UINT32_C(0x55555555);
	word = (word & UINT32_C(0x33333333)) + ((word >> 2) & UINT32_C(0x33333333));
	word = (word + (word >> 4)) & UINT32_C(0x0f0f0f0f);
	return (word * UINT32_C(0x01010101)) >> 24;
}

/*! \brief Index of a chunk's slot among a node's slots. */
static unsigned chunk_pos(uint32_t bitmap, uint32_t bit)
{
	return popcount32(bitmap & (bit - 1));
}

static unsigned node_children(const trie_node_t *node)
{
	return popcount32(node->bitmap);
}

static bool slot_fresh(slot_t slot)
{
	switch (slot_tag(slot)) {
	case SLOT_ENTRY:
		return owner_block(slot_entry(slot))->fresh;
	case SLOT_COLLISION:
		return slot_collision(slot)->fresh;
	default:
		return slot_node(slot)->fresh;
	}
}

/*! \brief Frees one object of a slot (not what a node points to). */
static void slot_free(slot_t slot)
{
	switch (slot_tag(slot)) {
	case SLOT_ENTRY:
		mecdns_owner_free(slot_entry(slot));
		break;
	case SLOT_COLLISION:
		free(slot_collision(slot));
		break;
	default:
		free(slot_node(slot));
		break;
	}
}

/*!
 * \brief Frees a subtree.
 *
 * \param only_fresh    Stop at objects of the base version (they stay).
 * \param with_entries  Free entries too, not only nodes.
 */
static void trie_free(slot_t slot, bool only_fresh, bool with_entries)
{
	if (slot == 0 || (only_fresh && !slot_fresh(slot))) {
		return;
	}

	switch (slot_tag(slot)) {
	case SLOT_ENTRY:
		if (with_entries) {
			mecdns_owner_free(slot_entry(slot));
		}
		return;
	case SLOT_COLLISION: {
		trie_collision_t *collision = slot_collision(slot);
		for (uint32_t i = 0; with_entries && i < collision->count; i++) {
			trie_free(entry_slot(collision->entries[i]), only_fresh, true);
		}
		free(collision);
		return;
	}
	default: {
		trie_node_t *node = slot_node(slot);
		for (unsigned i = 0; i < node_children(node); i++) {
			trie_free(node->slots[i], only_fresh, with_entries);
		}
		free(node);
		return;
	}
	}
}

/*! \brief Makes the objects of a finished transaction immutable: clears the
 *         fresh marks, descending only into fresh nodes. */
static void trie_seal(slot_t slot)
{
	if (slot == 0 || !slot_fresh(slot)) {
		return;
	}

	switch (slot_tag(slot)) {
	case SLOT_ENTRY:
		owner_block(slot_entry(slot))->fresh = false;
		return;
	case SLOT_COLLISION: {
		trie_collision_t *collision = slot_collision(slot);
		for (uint32_t i = 0; i < collision->count; i++) {
			trie_seal(entry_slot(collision->entries[i]));
		}
		collision->fresh = false;
		return;
	}
	default: {
		trie_node_t *node = slot_node(slot);
		for (unsigned i = 0; i < node_children(node); i++) {
			trie_seal(node->slots[i]);
		}
		node->fresh = false;
		return;
	}
	}
}

/*! \brief Position of a name in a collision node, or -1. */
static int collision_find(const trie_collision_t *collision, const knot_dname_t *name)
{
	for (uint32_t i = 0; i < collision->count; i++) {
		if (names_equal(collision->entries[i]->owner, name)) {
			return i;
		}
	}
	return -1;
}

static mecdns_owner_t *trie_find(slot_t slot, const knot_dname_t *name, uint64_t hash)
{
	for (unsigned shift = 0; slot != 0; shift += TRIE_BITS) {
		if (slot_tag(slot) == SLOT_ENTRY) {
			mecdns_owner_t *entry = slot_entry(slot);
			return names_equal(entry->owner, name) ? entry : NULL;
		}
		if (slot_tag(slot) == SLOT_COLLISION) {
			trie_collision_t *collision = slot_collision(slot);
			int pos = collision_find(collision, name);
			return (pos < 0) ? NULL : collision->entries[pos];
		}

		const trie_node_t *node = slot_node(slot);
		uint32_t bit = chunk_bit(hash, shift);
		if (!(node->bitmap & bit)) {
			return NULL;
		}
		slot = node->slots[chunk_pos(node->bitmap, bit)];
	}
	return NULL;
}

/*! \brief Makes room for the objects one change may retire, so that the
 *         change itself cannot fail halfway for want of garbage space. */
static int garbage_reserve(mecdns_index_garbage_t *garbage, size_t more)
{
	if (garbage->count + more <= garbage->capacity) {
		return KNOT_EOK;
	}

	size_t capacity = 2 * garbage->capacity;
	if (capacity < garbage->count + more) {
		capacity = garbage->count + more;
	}
	slot_t *slots = realloc(garbage->slots, capacity * sizeof(*slots));
	if (slots == NULL) {
		return KNOT_ENOMEM;
	}
	garbage->slots = slots;
	garbage->capacity = capacity;
	return KNOT_EOK;
}

/*! \brief Lets go of an object the version being built no longer uses:
 *         freed now if the transaction made it, else kept as garbage. */
static void txn_retire(mecdns_index_txn_t *txn, slot_t slot)
{
	if (slot_fresh(slot)) {
		slot_free(slot);
		return;
	}

	mecdns_index_garbage_t *garbage = txn->garbage;
	assert(garbage->count < garbage->capacity);
	garbage->slots[garbage->count++] = slot;
}

/* Entries of the non-terminal trie have no records and count as no owner. */
static void txn_entry_linked(mecdns_index_txn_t *txn, const mecdns_owner_t *entry)
{
	txn->next->owners += mecdns_owner_has_data(entry) ? 1 : 0;
	txn->next->records += mecdns_owner_records(entry);
}

static void txn_entry_unlinked(mecdns_index_txn_t *txn, mecdns_owner_t *entry)
{
	txn->next->owners -= mecdns_owner_has_data(entry) ? 1 : 0;
	txn->next->records -= mecdns_owner_records(entry);
	txn_retire(txn, entry_slot(entry));
}

static trie_node_t *node_alloc(unsigned children)
{
	trie_node_t *node = malloc(sizeof(*node) + children * sizeof(slot_t));
	if (node == NULL) {
		return NULL;
	}
	node->bitmap = 0;
	node->fresh = true;
	return node;
}

static trie_collision_t *collision_alloc(uint32_t count)
{
	trie_collision_t *collision = malloc(sizeof(*collision) + count * sizeof(mecdns_owner_t *));
	if (collision == NULL) {
		return NULL;
	}
	collision->count = count;
	collision->fresh = true;
	return collision;
}

/*! \brief The node in *slot, writable: a node of the base is copied (and
 *         retired), a fresh one is returned as it is. */
static trie_node_t *node_own(mecdns_index_txn_t *txn, slot_t *slot)
{
	trie_node_t *node = slot_node(*slot);
	if (node->fresh) {
		return node;
	}

	trie_node_t *copy = node_alloc(node_children(node));
	if (copy == NULL) {
		return NULL;
	}
	copy->bitmap = node->bitmap;
	memcpy(copy->slots, node->slots, node_children(node) * sizeof(slot_t));
	txn_retire(txn, *slot);
	*slot = node_slot(copy);
	return copy;
}

/*! \brief Adds a child for a chunk the node in *slot has no slot for. */
static int node_add_child(mecdns_index_txn_t *txn, slot_t *slot, uint32_t bit, slot_t child)
{
	trie_node_t *node = slot_node(*slot);
	unsigned count = node_children(node);
	unsigned pos = chunk_pos(node->bitmap, bit);
	trie_node_t *grown;

	if (node->fresh) {
		grown = realloc(node, sizeof(*node) + (count + 1) * sizeof(slot_t));
		if (grown == NULL) {
			return KNOT_ENOMEM;
		}
		memmove(&grown->slots[pos + 1], &grown->slots[pos], (count - pos) * sizeof(slot_t));
	} else {
		grown = node_alloc(count + 1);
		if (grown == NULL) {
			return KNOT_ENOMEM;
		}
		grown->bitmap = node->bitmap;
		memcpy(grown->slots, node->slots, pos * sizeof(slot_t));
		memcpy(&grown->slots[pos + 1], &node->slots[pos], (count - pos) * sizeof(slot_t));
		txn_retire(txn, *slot);
	}

	grown->bitmap |= bit;
	grown->slots[pos] = child;
	*slot = node_slot(grown);
	return KNOT_EOK;
}

/*! \brief Removes an emptied child slot from a writable node. */
static void node_drop_child(trie_node_t *node, uint32_t bit)
{
	unsigned count = node_children(node);
	unsigned pos = chunk_pos(node->bitmap, bit);

	memmove(&node->slots[pos], &node->slots[pos + 1], (count - pos - 1) * sizeof(slot_t));
	node->bitmap &= ~bit;
}

/*! \brief Replaces the writable node in *slot by what it still holds when it
 *         no longer branches: nothing, or a single entry. */
static void node_fold(slot_t *slot)
{
	trie_node_t *node = slot_node(*slot);
	assert(node->fresh);

	unsigned count = node_children(node);
	if (count == 0) {
		*slot = 0;
		free(node);
	} else if (count == 1 && slot_tag(node->slots[0]) == SLOT_ENTRY) {
		*slot = node->slots[0];
		free(node);
	}
}

/*!
 * \brief A new subtree, from the level at shift down, holding two entries
 *        with different names: nodes down to where their hashes part, or a
 *        collision node when they never do.
 */
static int trie_pair(slot_t *out, unsigned shift, slot_t a, uint64_t hash_a, slot_t b,
                     uint64_t hash_b)
{
	if (shift >= HASH_BITS) {
		trie_collision_t *collision = collision_alloc(2);
		if (collision == NULL) {
			return KNOT_ENOMEM;
		}
		collision->entries[0] = slot_entry(a);
		collision->entries[1] = slot_entry(b);
		*out = collision_slot(collision);
		return KNOT_EOK;
	}

	uint32_t bit_a = chunk_bit(hash_a, shift);
	uint32_t bit_b = chunk_bit(hash_b, shift);
	if (bit_a != bit_b) {
		trie_node_t *node = node_alloc(2);
		if (node == NULL) {
			return KNOT_ENOMEM;
		}
		node->bitmap = bit_a | bit_b;
		node->slots[bit_a < bit_b ? 0 : 1] = a;
		node->slots[bit_a < bit_b ? 1 : 0] = b;
		*out = node_slot(node);
		return KNOT_EOK;
	}

	slot_t child;
	int ret = trie_pair(&child, shift + TRIE_BITS, a, hash_a, b, hash_b);
	if (ret != KNOT_EOK) {
		return ret;
	}
	trie_node_t *node = node_alloc(1);
	if (node == NULL) {
		trie_free(child, true, false);
		return KNOT_ENOMEM;
	}
	node->bitmap = bit_a;
	node->slots[0] = child;
	*out = node_slot(node);
	return KNOT_EOK;
}

/*! \brief Sets an entry in a collision node (all its names share the hash). */
static int collision_insert(mecdns_index_txn_t *txn, slot_t *slot, mecdns_owner_t *entry)
{
	trie_collision_t *collision = slot_collision(*slot);
	int pos = collision_find(collision, entry->owner);
	uint32_t count = collision->count;
	trie_collision_t *changed;

	if (collision->fresh && pos >= 0) {
		changed = collision;
	} else if (collision->fresh) {
		changed =
		    realloc(collision, sizeof(*collision) + (count + 1) * sizeof(mecdns_owner_t *));
		if (changed == NULL) {
			return KNOT_ENOMEM;
		}
	} else {
		changed = collision_alloc(count + (pos < 0 ? 1 : 0));
		if (changed == NULL) {
			return KNOT_ENOMEM;
		}
		memcpy(changed->entries, collision->entries, count * sizeof(mecdns_owner_t *));
		changed->count = count;
		txn_retire(txn, *slot);
	}
	*slot = collision_slot(changed);

	if (pos >= 0) {
		mecdns_owner_t *old = changed->entries[pos];
		changed->entries[pos] = entry;
		txn_entry_unlinked(txn, old);
	} else {
		changed->entries[changed->count++] = entry;
	}
	txn_entry_linked(txn, entry);
	return KNOT_EOK;
}

/*! \brief Removes a present name from a collision node; one entry left
 *         takes the node's place. */
static int collision_remove(mecdns_index_txn_t *txn, slot_t *slot, const knot_dname_t *owner)
{
	trie_collision_t *collision = slot_collision(*slot);
	int pos = collision_find(collision, owner);
	assert(pos >= 0);

	if (!collision->fresh) {
		trie_collision_t *copy = collision_alloc(collision->count);
		if (copy == NULL) {
			return KNOT_ENOMEM;
		}
		memcpy(copy->entries, collision->entries,
		       collision->count * sizeof(mecdns_owner_t *));
		txn_retire(txn, *slot);
		*slot = collision_slot(copy);
		collision = copy;
	}

	mecdns_owner_t *old = collision->entries[pos];
	memmove(&collision->entries[pos], &collision->entries[pos + 1],
	        (collision->count - pos - 1) * sizeof(mecdns_owner_t *));
	collision->count -= 1;
	txn_entry_unlinked(txn, old);

	if (collision->count == 1) {
		*slot = entry_slot(collision->entries[0]);
		free(collision);
	}
	return KNOT_EOK;
}

/*! \brief Sets an entry at or below *slot (the level at shift). On error
 *         the subtree holds what it held before (possibly copied). */
static int trie_insert(mecdns_index_txn_t *txn, slot_t *slot, unsigned shift, uint64_t hash,
                       mecdns_owner_t *entry)
{
	slot_t current = *slot;

	if (current == 0) {
		*slot = entry_slot(entry);
		txn_entry_linked(txn, entry);
		return KNOT_EOK;
	}

	if (slot_tag(current) == SLOT_COLLISION) {
		return collision_insert(txn, slot, entry);
	}

	if (slot_tag(current) == SLOT_ENTRY) {
		mecdns_owner_t *old = slot_entry(current);
		if (names_equal(old->owner, entry->owner)) {
			*slot = entry_slot(entry);
			txn_entry_unlinked(txn, old);
			txn_entry_linked(txn, entry);
			return KNOT_EOK;
		}
		slot_t pair;
		int ret = trie_pair(&pair, shift, current, name_hash(old->owner), entry_slot(entry),
		                    hash);
		if (ret != KNOT_EOK) {
			return ret;
		}
		*slot = pair;
		txn_entry_linked(txn, entry);
		return KNOT_EOK;
	}

	trie_node_t *node = slot_node(current);
	uint32_t bit = chunk_bit(hash, shift);
	if (!(node->bitmap & bit)) {
		int ret = node_add_child(txn, slot, bit, entry_slot(entry));
		if (ret == KNOT_EOK) {
			txn_entry_linked(txn, entry);
		}
		return ret;
	}

	node = node_own(txn, slot);
	if (node == NULL) {
		return KNOT_ENOMEM;
	}
	return trie_insert(txn, &node->slots[chunk_pos(node->bitmap, bit)], shift + TRIE_BITS, hash,
	                   entry);
}

/*! \brief Removes a name known to be present at or below *slot. */
static int trie_remove(mecdns_index_txn_t *txn, slot_t *slot, unsigned shift, uint64_t hash,
                       const knot_dname_t *owner)
{
	slot_t current = *slot;

	if (slot_tag(current) == SLOT_ENTRY) {
		assert(names_equal(slot_entry(current)->owner, owner));
		*slot = 0;
		txn_entry_unlinked(txn, slot_entry(current));
		return KNOT_EOK;
	}

	if (slot_tag(current) == SLOT_COLLISION) {
		return collision_remove(txn, slot, owner);
	}

	trie_node_t *node = node_own(txn, slot);
	if (node == NULL) {
		return KNOT_ENOMEM;
	}
	uint32_t bit = chunk_bit(hash, shift);
	assert(node->bitmap & bit);
	slot_t *child = &node->slots[chunk_pos(node->bitmap, bit)];

	int ret = trie_remove(txn, child, shift + TRIE_BITS, hash, owner);
	if (ret != KNOT_EOK) {
		return ret;
	}
	if (*child == 0) {
		node_drop_child(node, bit);
	}
	node_fold(slot);
	return KNOT_EOK;
}

/* Versions and transactions. */

mecdns_index_t *mecdns_index_new(void)
{
	return calloc(1, sizeof(mecdns_index_t));
}

void mecdns_index_free(mecdns_index_t *index)
{
	if (index == NULL) {
		return;
	}
	trie_free(index->root, false, true);
	trie_free(index->ents, false, true);
	free(index);
}

const mecdns_owner_t *mecdns_index_find(const mecdns_index_t *index, const knot_dname_t *name)
{
	if (index == NULL || name == NULL) {
		return NULL;
	}
	return trie_find(index->root, name, name_hash(name));
}

/*! \brief Whether a name exists in the index: an owner or a non-terminal. */
static bool index_has_name(const mecdns_index_t *index, const knot_dname_t *name)
{
	uint64_t hash = name_hash(name);
	return trie_find(index->root, name, hash) != NULL ||
	       trie_find(index->ents, name, hash) != NULL;
}

const mecdns_owner_t *mecdns_index_wildcard(const mecdns_index_t *index, const knot_dname_t *name)
{
	if (index == NULL || name == NULL || index->wildcards == 0 || *name == '\0' ||
	    index_has_name(index, name)) {
		return NULL;
	}

	const knot_dname_t *encloser = knot_wire_next_label(name, NULL);
	while (*encloser != '\0' && !index_has_name(index, encloser)) {
		encloser = knot_wire_next_label(encloser, NULL);
	}

	size_t size = knot_dname_size(encloser);
	uint8_t source[KNOT_DNAME_MAXLEN];
	if (size + 2 > sizeof(source)) {
		return NULL;
	}
	source[0] = 1;
	source[1] = '*';
	memcpy(source + 2, encloser, size);
	return trie_find(index->root, source, name_hash(source));
}

uint64_t mecdns_index_generation(const mecdns_index_t *index)
{
	return (index == NULL) ? 0 : index->generation;
}

size_t mecdns_index_owners(const mecdns_index_t *index)
{
	return (index == NULL) ? 0 : index->owners;
}

size_t mecdns_index_records(const mecdns_index_t *index)
{
	return (index == NULL) ? 0 : index->records;
}

mecdns_index_txn_t *mecdns_index_begin(const mecdns_index_t *base)
{
	if (base == NULL) {
		return NULL;
	}

	mecdns_index_txn_t *txn = malloc(sizeof(*txn));
	if (txn == NULL) {
		return NULL;
	}
	txn->next = malloc(sizeof(*txn->next));
	if (txn->next == NULL) {
		free(txn);
		return NULL;
	}
	txn->garbage = calloc(1, sizeof(*txn->garbage));
	if (txn->garbage == NULL) {
		free(txn->next);
		free(txn);
		return NULL;
	}

	*txn->next = *base;
	/* Not changed here; the commit hands it over as garbage. */
	txn->base = (mecdns_index_t *)base;
	return txn;
}

/*!
 * \brief Adds delta (1 or -1) to the owners counted below every proper
 *        ancestor of owner but the root (which always exists): the empty
 *        non-terminals that wildcard matching must see.
 */
static int ents_adjust(mecdns_index_txn_t *txn, const knot_dname_t *owner, int delta)
{
	slot_t *root = &txn->next->ents;
	if (*owner == '\0') {
		return KNOT_EOK;
	}
	for (const knot_dname_t *name = knot_wire_next_label(owner, NULL); *name != '\0';
	     name = knot_wire_next_label(name, NULL)) {
		if (garbage_reserve(txn->garbage, RETIRED_PER_CHANGE) != KNOT_EOK) {
			return KNOT_ENOMEM;
		}
		uint64_t hash = name_hash(name);
		mecdns_owner_t *ent = trie_find(*root, name, hash);
		int64_t below = (int64_t)(ent != NULL ? ent->below : 0) + delta;
		assert(below >= 0);

		int ret = KNOT_EOK;
		if (below == 0) {
			ret = trie_remove(txn, root, 0, hash, name);
		} else if (ent != NULL && owner_block(ent)->fresh) {
			ent->below = (uint32_t)below; /* Not published yet. */
		} else {
			mecdns_owner_t *next = mecdns_owner_new(name);
			if (next == NULL) {
				return KNOT_ENOMEM;
			}
			next->below = (uint32_t)below;
			owner_block(next)->fresh = true;
			ret = trie_insert(txn, root, 0, hash, next);
			if (ret != KNOT_EOK) {
				mecdns_owner_free(next);
			}
		}
		if (ret != KNOT_EOK) {
			return ret;
		}
	}
	return KNOT_EOK;
}

int mecdns_index_set(mecdns_index_txn_t *txn, const knot_dname_t *owner, mecdns_owner_t *entry)
{
	if (txn == NULL || owner == NULL || (entry != NULL && !names_equal(entry->owner, owner))) {
		mecdns_owner_free(entry);
		return KNOT_EINVAL;
	}
	/* An entry without records answers nothing: the owner is not ours. */
	if (entry != NULL && !mecdns_owner_has_data(entry)) {
		mecdns_owner_free(entry);
		entry = NULL;
	}
	if (garbage_reserve(txn->garbage, RETIRED_PER_CHANGE) != KNOT_EOK) {
		mecdns_owner_free(entry);
		return KNOT_ENOMEM;
	}

	/* The caller's owner may live in the entry this change replaces. */
	uint8_t name[KNOT_DNAME_MAXLEN];
	memcpy(name, owner, knot_dname_size(owner));
	owner = name;

	uint64_t hash = name_hash(owner);
	slot_t *root = &txn->next->root;
	bool was = trie_find(*root, owner, hash) != NULL;
	bool now = entry != NULL;
	int ret;

	if (!now) {
		if (!was) {
			return KNOT_EOK;
		}
		ret = trie_remove(txn, root, 0, hash, owner);
	} else {
		owner_block(entry)->fresh = true;
		ret = trie_insert(txn, root, 0, hash, entry);
		if (ret != KNOT_EOK) {
			mecdns_owner_free(entry);
		}
	}
	if (ret != KNOT_EOK || was == now) {
		return ret;
	}

	if (name[0] == 1 && name[1] == '*') {
		txn->next->wildcards += now ? 1 : -1;
	}
	return ents_adjust(txn, name, now ? 1 : -1);
}

mecdns_index_t *mecdns_index_commit(mecdns_index_txn_t *txn, uint64_t generation,
                                    mecdns_index_garbage_t **garbage)
{
	if (txn == NULL || garbage == NULL) {
		mecdns_index_abort(txn);
		return NULL;
	}

	mecdns_index_t *next = txn->next;
	trie_seal(next->root);
	trie_seal(next->ents);
	next->generation = generation;
	txn->garbage->version = txn->base;
	*garbage = txn->garbage;
	free(txn);
	return next;
}

void mecdns_index_abort(mecdns_index_txn_t *txn)
{
	if (txn == NULL) {
		return;
	}
	trie_free(txn->next->root, true, true);
	trie_free(txn->next->ents, true, true);
	free(txn->next);
	free(txn->garbage->slots);
	free(txn->garbage);
	free(txn);
}

void mecdns_index_garbage_free(mecdns_index_garbage_t *garbage)
{
	if (garbage == NULL) {
		return;
	}
	for (size_t i = 0; i < garbage->count; i++) {
		slot_free(garbage->slots[i]);
	}
	free(garbage->slots);
	free(garbage->version);
	free(garbage);
}
