/*
 * strmap: string interning (see strmap.h).
 *
 * Slots hold the full hash and index+1 (0 = empty); the table doubles at
 * 50% load.  Keys live back to back in an arena (each NUL-terminated), with
 * an offset array giving index -> key.  The hash is a 64-bit FNV-1a variant
 * that mixes 8 bytes at a time, finished with a murmur-style avalanche.
 */
#include "sm/strmap.h"
#include "sm/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct slot {
        uint64_t hash;  /* full hash of the key */
        uint32_t index; /* key index + 1; 0 = empty slot */
};

struct sm_strmap_s {
        struct slot *slots; /* open-addressing table, size mask + 1 */
        size_t mask;        /* table size - 1 (a power of two) */
        uint32_t count;     /* number of keys */
        char *arena;        /* keys, NUL-terminated, back to back */
        size_t arena_len;   /* bytes used in arena */
        size_t arena_cap;   /* capacity of arena */
        size_t *offsets;    /* index -> offset of its key in arena */
        uint32_t *lens;     /* index -> key length */
        size_t offsets_cap; /* capacity of offsets and lens */
};

uint64_t sm_hash_bytes(const void *data, size_t len) {
        const unsigned char *p = data;
        uint64_t h = 0xcbf29ce484222325ULL ^ (len * 0x9e3779b97f4a7c15ULL);
        while (len >= 8) {
                uint64_t v;
                memcpy(&v, p, 8);
                h = (h ^ v) * 0x100000001b3ULL;
                h ^= h >> 29;
                p += 8;
                len -= 8;
        }
        while (len--) {
                h = (h ^ *p++) * 0x100000001b3ULL;
        }
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
}

sm_strmap_t *sm_strmap_new(void) {
        sm_strmap_t *map = sm_xcalloc(1, sizeof(*map));
        map->mask        = 1023;
        map->slots       = sm_xcalloc(map->mask + 1, sizeof(*map->slots));
        return map;
}

void sm_strmap_destroy(sm_strmap_t *map) {
        if (!map)
                return;
        free(map->slots);
        free(map->arena);
        free(map->offsets);
        free(map->lens);
        free(map);
}

static void grow(sm_strmap_t *map) {
        size_t newmask  = map->mask * 2 + 1;
        struct slot *ns = sm_xcalloc(newmask + 1, sizeof(*ns));
        for (size_t i = 0; i <= map->mask; i++) {
                struct slot s = map->slots[i];
                size_t j;
                if (!s.index)
                        continue;
                j = s.hash & newmask;
                while (ns[j].index)
                        j = (j + 1) & newmask;
                ns[j] = s;
        }
        free(map->slots);
        map->slots = ns;
        map->mask  = newmask;
}

static int
key_eq(const sm_strmap_t *map, uint32_t index, const char *key, size_t len) {
        return map->lens[index] == len &&
               memcmp(map->arena + map->offsets[index], key, len) == 0;
}

int64_t sm_strmap_find(const sm_strmap_t *map, const char *key, size_t len) {
        uint64_t h = sm_hash_bytes(key, len);
        size_t j   = h & map->mask;
        while (map->slots[j].index) {
                if (map->slots[j].hash == h &&
                    key_eq(map, map->slots[j].index - 1, key, len))
                        return map->slots[j].index - 1;
                j = (j + 1) & map->mask;
        }
        return -1;
}

uint32_t sm_strmap_intern(sm_strmap_t *map,
                          const char *key,
                          size_t len,
                          int *ret_added) {
        uint64_t h = sm_hash_bytes(key, len);
        size_t j   = h & map->mask;
        uint32_t index;

        while (map->slots[j].index) {
                if (map->slots[j].hash == h &&
                    key_eq(map, map->slots[j].index - 1, key, len)) {
                        if (ret_added)
                                *ret_added = 0;
                        return map->slots[j].index - 1;
                }
                j = (j + 1) & map->mask;
        }
        index = map->count++;
        sm_xgrow((void **)&map->arena, &map->arena_cap,
                 map->arena_len + len + 1, 1);
        memcpy(map->arena + map->arena_len, key, len);
        map->arena[map->arena_len + len] = '\0';
        {
                size_t cap = map->offsets_cap;
                sm_xgrow((void **)&map->offsets, &cap, index + 1,
                         sizeof(*map->offsets));
                if (cap != map->offsets_cap) {
                        map->lens        = sm_xrealloc(map->lens,
                                                       cap * sizeof(*map->lens));
                        map->offsets_cap = cap;
                }
        }
        map->offsets[index] = map->arena_len;
        map->lens[index]    = (uint32_t)len;
        map->arena_len += len + 1;
        map->slots[j] = (struct slot){h, index + 1};
        if ((size_t)map->count * 2 > map->mask)
                grow(map);
        if (ret_added)
                *ret_added = 1;
        return index;
}

uint32_t sm_strmap_count(const sm_strmap_t *map) {
        return map->count;
}

const char *
sm_strmap_key(const sm_strmap_t *map, uint32_t index, size_t *ret_len) {
        if (ret_len)
                *ret_len = map->lens[index];
        return map->arena + map->offsets[index];
}
