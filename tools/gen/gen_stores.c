/*
 * gen_stores: the set of stores a data set is generated for.
 *
 * Ids are opaque strings (SPEC): they are kept byte for byte, in one arena,
 * in the order they were first seen, with an open-addressing hash table
 * (linear probing, load <= 1/2) for the "already there?" test.  The real
 * v1 files give about 14k stores; the set grows as needed.
 *
 * Synthetic ids look like the real ones: v1 ids are uniform 63-bit
 * integers in decimal (so mostly 19 digits, sometimes fewer), v2 ids are
 * random version-4 UUIDs in lower case.
 */
#include "gen.h"

#include "sm/csv.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct store_ent {
        size_t off;   /* id's offset in the arena */
        size_t len;   /* id's length */
        uint64_t key; /* hash of the id */
} store_ent_t;

struct sm_gen_stores_s {
        store_ent_t *ents; /* stores in insertion order */
        size_t n;          /* number of stores */
        size_t cap;        /* capacity of ents */
        char *arena;       /* ids, back to back */
        size_t arena_len;  /* bytes used in arena */
        size_t arena_cap;  /* capacity of arena */
        size_t *slots;     /* hash table: index + 1, or 0 when free */
        size_t nslots;     /* table size (a power of two) */
};

sm_gen_stores_t *sm_gen_stores_new(void) {
        sm_gen_stores_t *stores = sm_xcalloc(1, sizeof(*stores));
        stores->nslots          = 1024;
        stores->slots = sm_xcalloc(stores->nslots, sizeof(*stores->slots));
        return stores;
}

void sm_gen_stores_destroy(sm_gen_stores_t *stores) {
        if (!stores)
                return;
        free(stores->ents);
        free(stores->arena);
        free(stores->slots);
        free(stores);
}

static void rehash(sm_gen_stores_t *stores) {
        size_t nslots = stores->nslots * 2, mask = nslots - 1;
        size_t *slots = sm_xcalloc(nslots, sizeof(*slots));

        for (size_t i = 0; i < stores->n; i++) {
                size_t h = (size_t)stores->ents[i].key & mask;
                while (slots[h])
                        h = (h + 1) & mask;
                slots[h] = i + 1;
        }
        free(stores->slots);
        stores->slots  = slots;
        stores->nslots = nslots;
}

int sm_gen_stores_add(sm_gen_stores_t *stores, const char *id, size_t len) {
        uint64_t key = sm_gen_hash_bytes(id, len);
        size_t mask = stores->nslots - 1, h = (size_t)key & mask;
        store_ent_t *ent;

        while (stores->slots[h]) {
                const store_ent_t *e = &stores->ents[stores->slots[h] - 1];
                if (e->key == key && e->len == len &&
                    memcmp(stores->arena + e->off, id, len) == 0)
                        return 0;
                h = (h + 1) & mask;
        }
        sm_xgrow((void **)&stores->ents, &stores->cap, stores->n + 1,
                 sizeof(*stores->ents));
        sm_xgrow((void **)&stores->arena, &stores->arena_cap,
                 stores->arena_len + len + 1, 1);
        ent      = &stores->ents[stores->n];
        ent->off = stores->arena_len;
        ent->len = len;
        ent->key = key;
        memcpy(stores->arena + ent->off, id, len);
        stores->arena[ent->off + len] = '\0';
        stores->arena_len += len + 1;
        stores->slots[h] = ++stores->n;
        if (stores->n * 2 > stores->nslots)
                rehash(stores);
        return 1;
}

size_t sm_gen_stores_count(const sm_gen_stores_t *stores) {
        return stores->n;
}

const char *
sm_gen_stores_id(const sm_gen_stores_t *stores, size_t i, size_t *ret_len) {
        if (ret_len)
                *ret_len = stores->ents[i].len;
        return stores->arena + stores->ents[i].off;
}

uint64_t sm_gen_stores_key(const sm_gen_stores_t *stores, size_t i) {
        return stores->ents[i].key;
}

int sm_gen_stores_load(sm_gen_stores_t *stores,
                       const char *path,
                       size_t *ret_rows,
                       size_t *ret_skipped,
                       char *errstr,
                       size_t errstr_size) {
        sm_csv_t *csv = NULL;
        sm_csv_row_t row;
        size_t col = 0, ncols = 0, rows = 0, skipped = 0;
        int r = 0;

        csv = sm_csv_open_file(path, errstr, errstr_size);
        if (!csv)
                return -EIO;
        if (!sm_csv_next(csv, &row) || row.error) {
                snprintf(errstr, errstr_size, "%s: no header line", path);
                r = -EINVAL;
                goto out;
        }
        ncols = row.nfields;
        for (col = 0; col < ncols; col++)
                if (sm_str_eq(row.fields[col], "store_id"))
                        break;
        if (col == ncols) {
                snprintf(errstr, errstr_size,
                         "%s: the header has no store_id column", path);
                r = -EINVAL;
                goto out;
        }
        while (sm_csv_next(csv, &row)) {
                rows++;
                if (row.error || row.nfields != ncols ||
                    row.fields[col].len == 0) {
                        skipped++;
                        continue;
                }
                (void)sm_gen_stores_add(stores, row.fields[col].ptr,
                                        row.fields[col].len);
        }
        *ret_rows    = rows;
        *ret_skipped = skipped;
out:
        sm_csv_destroy(csv);
        return r;
}

static const char hex[] = "0123456789abcdef";

void sm_gen_stores_synth(sm_gen_stores_t *stores,
                         size_t n,
                         enum sm_gen_id_style style,
                         uint64_t seed) {
        sm_gen_rng_t rng;
        size_t target = stores->n + n;
        char id[40];

        sm_gen_rng_seed(&rng, sm_gen_hash2(seed, 0x1d5));
        while (stores->n < target) {
                size_t len;
                if (style == SM_GEN_ID_UUID) {
                        uint64_t a = sm_gen_rng_next(&rng);
                        uint64_t b = sm_gen_rng_next(&rng);
                        /* version 4, variant 10xx */
                        a = (a & ~UINT64_C(0xf000)) | UINT64_C(0x4000);
                        b = (b & ~(UINT64_C(0x3) << 62)) |
                            (UINT64_C(0x2) << 62);
                        len = 0;
                        for (int i = 0; i < 32; i++) {
                                uint64_t w = i < 16 ? a : b;
                                int shift  = 60 - 4 * (i % 16);
                                if (i == 8 || i == 12 || i == 16 || i == 20)
                                        id[len++] = '-';
                                id[len++] = hex[(w >> shift) & 0xf];
                        }
                } else {
                        uint64_t v = sm_gen_rng_next(&rng) >> 1;
                        char tmp[24];
                        size_t i = sizeof(tmp);
                        do {
                                tmp[--i] = (char)('0' + v % 10);
                                v /= 10;
                        } while (v);
                        len = sizeof(tmp) - i;
                        memcpy(id, tmp + i, len);
                }
                (void)sm_gen_stores_add(stores, id, len);
        }
}
