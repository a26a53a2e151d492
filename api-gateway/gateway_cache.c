/*
 * gateway_cache: report statuses and bodies in memory (see
 * gateway_cache.h).
 *
 * A GHashTable keyed by the id inside each entry.  Lookups are read-only
 * on the table, so any number run together under the shared lock; the
 * least-recently-served stamp of an entry is an atomic so a reader may
 * write it.  Eviction scans the table (it only runs when a body is added
 * beyond the budget, i.e. once per report completion or reload).
 */
#include "gateway_cache.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
        sm_gw_report_t r;          /* the report */
        sm_gw_blob_t *csv;         /* its CSV (Complete), or NULL */
        sm_gw_blob_t *json;        /* its JSON answer (Complete), or NULL */
        atomic_uint_fast64_t used; /* tick of the last body served */
};

struct sm_gw_cache_s {
        pthread_rwlock_t lock; /* guards every field below but tick */
        GHashTable *by_id;     /* id (entry->r.id) -> struct entry */
        uint64_t counts[SM_GW__STATUS_CNT]; /* reports per status */
        int64_t body_bytes;                 /* bytes of bodies held */
        int64_t budget;                     /* most body bytes to keep */
        atomic_uint_fast64_t tick; /* LRU clock (atomic: readers bump it) */
};

static size_t blob_len(const sm_gw_blob_t *b) {
        return b ? b->len : 0;
}

static void entry_free(void *p) {
        struct entry *e = p;
        sm_gw_blob_unref(e->csv);
        sm_gw_blob_unref(e->json);
        free(e);
}

sm_gw_cache_t *sm_gw_cache_new(int64_t budget) {
        sm_gw_cache_t *c = sm_xcalloc(1, sizeof(*c));
        pthread_rwlock_init(&c->lock, NULL);
        c->by_id  = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                          entry_free);
        c->budget = budget;
        atomic_init(&c->tick, 1);
        return c;
}

void sm_gw_cache_destroy(sm_gw_cache_t *c) {
        if (!c)
                return;
        g_hash_table_destroy(c->by_id);
        pthread_rwlock_destroy(&c->lock);
        free(c);
}

static void drop_bodies(sm_gw_cache_t *c, struct entry *e) {
        c->body_bytes -= (int64_t)(blob_len(e->csv) + blob_len(e->json));
        sm_gw_blob_unref(e->csv);
        sm_gw_blob_unref(e->json);
        e->csv  = NULL;
        e->json = NULL;
}

/* Replaces e's bodies by csv / json where given, then keeps the budget.
 * Called with the write lock held. */
static void attach(sm_gw_cache_t *c,
                   struct entry *e,
                   sm_gw_blob_t *csv,
                   sm_gw_blob_t *json);

void sm_gw_cache_put(sm_gw_cache_t *c,
                     const sm_gw_report_t *r,
                     sm_gw_blob_t *csv,
                     sm_gw_blob_t *json) {
        struct entry *e;

        pthread_rwlock_wrlock(&c->lock);
        e = g_hash_table_lookup(c->by_id, r->id);
        if (!e) {
                e    = sm_xcalloc(1, sizeof(*e));
                e->r = *r;
                atomic_init(&e->used, 0);
                g_hash_table_insert(c->by_id, e->r.id, e);
        } else {
                c->counts[e->r.status]--;
                if (r->status != SM_GW_COMPLETE)
                        drop_bodies(c, e);
                e->r = *r;
        }
        c->counts[r->status]++;
        if (r->status == SM_GW_COMPLETE && (csv || json))
                attach(c, e, csv, json);
        pthread_rwlock_unlock(&c->lock);
}

void sm_gw_cache_set_done(sm_gw_cache_t *c, const char *id, int32_t done) {
        struct entry *e;

        pthread_rwlock_wrlock(&c->lock);
        e = g_hash_table_lookup(c->by_id, id);
        if (e && e->r.status == SM_GW_RUNNING)
                e->r.partitions_done = done;
        pthread_rwlock_unlock(&c->lock);
}

int sm_gw_cache_get(sm_gw_cache_t *c,
                    const char *id,
                    sm_gw_report_t *ret,
                    sm_gw_blob_t **ret_csv,
                    sm_gw_blob_t **ret_json) {
        struct entry *e;

        pthread_rwlock_rdlock(&c->lock);
        e = g_hash_table_lookup(c->by_id, id);
        if (!e) {
                pthread_rwlock_unlock(&c->lock);
                return -ENOENT;
        }
        *ret = e->r;
        if (ret_csv)
                *ret_csv = e->csv ? sm_gw_blob_ref(e->csv) : NULL;
        if (ret_json)
                *ret_json = e->json ? sm_gw_blob_ref(e->json) : NULL;
        if (ret_csv || ret_json)
                atomic_store_explicit(
                        &e->used,
                        atomic_fetch_add_explicit(&c->tick, 1,
                                                  memory_order_relaxed),
                        memory_order_relaxed);
        pthread_rwlock_unlock(&c->lock);
        return 0;
}

/* Drops the least recently served bodies (not keep's) until the budget
 * holds.  Called with the write lock held. */
static void evict(sm_gw_cache_t *c, const struct entry *keep) {
        while (c->body_bytes > c->budget) {
                GHashTableIter it;
                gpointer k, v;
                struct entry *oldest = NULL;
                g_hash_table_iter_init(&it, c->by_id);
                while (g_hash_table_iter_next(&it, &k, &v)) {
                        struct entry *e = v;
                        if (e == keep || (!e->csv && !e->json))
                                continue;
                        if (!oldest ||
                            atomic_load(&e->used) < atomic_load(&oldest->used))
                                oldest = e;
                }
                if (!oldest)
                        return;
                drop_bodies(c, oldest);
        }
}

static void attach(sm_gw_cache_t *c,
                   struct entry *e,
                   sm_gw_blob_t *csv,
                   sm_gw_blob_t *json) {
        if (csv) {
                c->body_bytes += (int64_t)csv->len - (int64_t)blob_len(e->csv);
                sm_gw_blob_unref(e->csv);
                e->csv = sm_gw_blob_ref(csv);
        }
        if (json) {
                c->body_bytes +=
                        (int64_t)json->len - (int64_t)blob_len(e->json);
                sm_gw_blob_unref(e->json);
                e->json = sm_gw_blob_ref(json);
        }
        atomic_store(&e->used, atomic_fetch_add(&c->tick, 1));
        evict(c, e);
}

void sm_gw_cache_set_bodies(sm_gw_cache_t *c,
                            const char *id,
                            sm_gw_blob_t *csv,
                            sm_gw_blob_t *json) {
        struct entry *e;

        pthread_rwlock_wrlock(&c->lock);
        e = g_hash_table_lookup(c->by_id, id);
        if (e && e->r.status == SM_GW_COMPLETE)
                attach(c, e, csv, json);
        pthread_rwlock_unlock(&c->lock);
}

void sm_gw_cache_counts(sm_gw_cache_t *c, uint64_t *counts) {
        pthread_rwlock_rdlock(&c->lock);
        memcpy(counts, c->counts, sizeof(c->counts));
        pthread_rwlock_unlock(&c->lock);
}

int64_t sm_gw_cache_body_bytes(sm_gw_cache_t *c) {
        int64_t n;
        pthread_rwlock_rdlock(&c->lock);
        n = c->body_bytes;
        pthread_rwlock_unlock(&c->lock);
        return n;
}
