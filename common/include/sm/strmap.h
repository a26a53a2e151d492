/*
 * strmap: interns byte strings (store ids) as dense indexes 0, 1, 2, ...
 *
 * Store ids are opaque strings (SPEC: never parse them as numbers).  A data
 * set has tens of thousands of stores and millions of rows that name them,
 * so the map is an open-addressing table of (hash, index) slots over one
 * arena holding the strings; a lookup hashes once and compares bytes only
 * on a full 64-bit hash match.  Not thread-safe.
 */
#ifndef SM_STRMAP_H
#define SM_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sm_strmap_s sm_strmap_t;

sm_strmap_t *sm_strmap_new(void);
void sm_strmap_destroy(sm_strmap_t *map);

/** @brief The index of key, adding it when new (*ret_added = 1 then; may be
 *  NULL). */
uint32_t
sm_strmap_intern(sm_strmap_t *map, const char *key, size_t len, int *ret_added);

/** @brief The index of key, or -1 when absent. */
int64_t sm_strmap_find(const sm_strmap_t *map, const char *key, size_t len);

/** @brief Number of keys. */
uint32_t sm_strmap_count(const sm_strmap_t *map);

/** @brief Key of an index (NUL-terminated; valid until the map is
 *  destroyed or grows). */
const char *
sm_strmap_key(const sm_strmap_t *map, uint32_t index, size_t *ret_len);

/** @brief The 64-bit hash used by the map (also useful for sharding). */
uint64_t sm_hash_bytes(const void *data, size_t len);

#endif
