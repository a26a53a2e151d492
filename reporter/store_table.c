/*
 * store_table: per-partition rolling store state (see store_table.h for
 * the design and the exactness argument).
 *
 * Polls of a store are one sorted array.  `compacted_upto` splits it:
 * below it runs of one status are reduced to their ends (plus the last
 * poll below the cut, so a poll arriving at or after the cut still finds
 * its true predecessor); from it on every poll is kept.  A poll at or
 * after compacted_upto is therefore always applied exactly, whatever the
 * partition's watermark; one below it is checked against its retained
 * neighbours.
 *
 * Checkpoint format (sm_store_table_save), all integers little-endian:
 *   "SMST" u32 version=2, i64 grace, i64 retain, i64 watermark,
 *   u64 applied, duplicates, late_noop, late, u32 nstores, then per store:
 *   u16 id_len, id, u16 zone_len (0 = default), zone, u16 nrules,
 *   nrules x (u8 day, i32 start, i32 end), i64 compacted_upto,
 *   u32 npolls, npolls x (i64 ts, u8 active); then u64 CRC-64-AVRO of
 *   every byte before it, so that damage the database does not see (a
 *   flipped bit inside the blob) is refused rather than loaded.  Version 1
 *   is the same without the checksum, and still read.
 */
#include "store_table.h"
#include "sm/report.h"
#include "sm/strmap.h"
#include "sm/wire.h"
#include "sm/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compaction runs when the cut has moved on by this much. */
#define COMPACT_STEP (10 * SM_USEC_PER_MIN)

struct store {
        sm_poll_t *polls;         /* sorted by ts, one per instant */
        uint32_t npolls;          /* number of polls */
        uint32_t polls_cap;       /* capacity of polls */
        sm_usec_t compacted_upto; /* polls below are compacted */
        sm_hours_rule_t *rules;   /* weekly schedule; none = 24x7 */
        uint16_t nrules;          /* number of rules */
        const sm_zone_t *zone;    /* zone, NULL = default */
        sm_interval_t *ivs;       /* cached open intervals */
        size_t nivs;              /* number of cached intervals */
        size_t ivs_cap;           /* capacity of ivs */
        sm_usec_t ivs_from;       /* the cache covers [ivs_from, ivs_to) */
        sm_usec_t ivs_to;         /* end of the cached range */
        int ivs_valid;            /* the cache may be used */
};

struct sm_store_table_s {
        sm_strmap_t *ids;          /* store id -> index */
        struct store *stores;      /* by index */
        size_t stores_cap;         /* capacity of stores */
        sm_usec_t grace;           /* exact late-poll window */
        sm_usec_t retain;          /* answerable as_of before watermark */
        sm_usec_t watermark;       /* largest poll time applied */
        sm_store_table_stats_t st; /* counters */
        uint32_t *order;           /* store indexes sorted by id */
        uint32_t norder;           /* stores in order (== count if fresh) */
        sm_table_row_t *rows;      /* last report's rows */
        size_t rows_cap;           /* capacity of rows */
};

sm_store_table_t *sm_store_table_new(sm_usec_t grace, sm_usec_t retain) {
        sm_store_table_t *t = sm_xcalloc(1, sizeof(*t));
        t->ids              = sm_strmap_new();
        t->grace            = grace;
        t->retain           = retain;
        t->watermark        = INT64_MIN;
        return t;
}

void sm_store_table_destroy(sm_store_table_t *t) {
        if (!t)
                return;
        for (uint32_t i = 0; i < sm_strmap_count(t->ids); i++) {
                free(t->stores[i].polls);
                free(t->stores[i].rules);
                free(t->stores[i].ivs);
        }
        free(t->stores);
        free(t->order);
        free(t->rows);
        sm_strmap_destroy(t->ids);
        free(t);
}

static struct store *store_of(sm_store_table_t *t, const char *id, size_t len) {
        uint32_t i = sm_strmap_intern(t->ids, id, len, NULL);
        sm_xgrow_zero((void **)&t->stores, &t->stores_cap, i + 1,
                      sizeof(*t->stores));
        return &t->stores[i];
}

#define TAIL_SCAN 8 /* polls looked at from the end before bisecting */

/* Index of the first poll with ts >= key.  The keys asked for are nearly
 * always among the last polls (a new poll, the grace cut), so the last
 * TAIL_SCAN are looked at first; a bisection of the rest otherwise. */
static uint32_t lower_bound(const struct store *s, sm_usec_t key) {
        uint32_t lo = 0, hi = s->npolls;
        uint32_t stop = hi > TAIL_SCAN ? hi - TAIL_SCAN : 0;

        while (hi > stop && s->polls[hi - 1].ts >= key)
                hi--;
        if (hi > stop || hi == 0)
                return hi;
        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                if (s->polls[mid].ts < key)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Reduces runs below the cut to their ends and drops polls before the
 * retention horizon (keeping the last one before it).
 *
 * Below the previous cut the polls are compacted already, and a second
 * pass over them would keep exactly what it finds (runs keep their
 * ends), except in the run that reaches across the previous cut: the
 * scan starts at that run's first poll, so each call costs the polls
 * since the previous cut, not the whole retained history. */
static void compact(sm_store_table_t *t, struct store *s) {
        sm_usec_t cut, horizon;
        uint32_t out, last_below, first_keep, start;
        uint8_t prev_active = 0;

        if (t->watermark == INT64_MIN)
                return;
        cut = t->watermark - t->grace;
        if (cut < s->compacted_upto + COMPACT_STEP)
                return;
        /* The first poll of the run holding the last poll below the
         * previous cut. */
        start = lower_bound(s, s->compacted_upto);
        if (start > 0) {
                uint8_t a = s->polls[--start].active;
                while (start > 0 && s->polls[start - 1].active == a)
                        start--;
        }
        s->compacted_upto = cut;
        last_below        = lower_bound(s, cut); /* first at/after cut */
        horizon           = t->watermark - t->retain - SM_USEC_PER_WEEK;
        {
                /* Earlier calls dropped what was before their horizon:
                 * few polls, if any, are before this one. */
                uint32_t h = 0;
                while (h < s->npolls && s->polls[h].ts < horizon)
                        h++;
                first_keep = h > 0 ? h - 1 : 0;
        }
        if (start < first_keep)
                start = first_keep;
        if (start > first_keep)
                prev_active = s->polls[start - 1].active;
        out = start - first_keep;
        if (first_keep > 0)
                memmove(s->polls, &s->polls[first_keep],
                        out * sizeof(*s->polls));
        for (uint32_t i = start; i < s->npolls; i++) {
                /* polls[i + 1] is not yet overwritten (out <= i), but
                 * polls[i - 1] may be: remember its status. */
                const sm_poll_t p = s->polls[i];
                int first_of_run  = i == first_keep || prev_active != p.active;
                int last_of_run   = i + 1 == s->npolls ||
                                  s->polls[i + 1].active != p.active;
                if (p.ts >= cut || first_of_run || last_of_run ||
                    i + 1 == last_below)
                        s->polls[out++] = p;
                prev_active = p.active;
        }
        s->npolls = out;
}

enum sm_apply_result sm_store_table_apply_poll(sm_store_table_t *t,
                                               const char *id,
                                               size_t len,
                                               sm_usec_t ts,
                                               int active) {
        struct store *s = store_of(t, id, len);
        uint32_t i      = lower_bound(s, ts);
        uint8_t a       = active ? 1 : 0;

        if (i < s->npolls && s->polls[i].ts == ts) {
                if (s->polls[i].active == a) {
                        t->st.duplicates++;
                        return SM_APPLY_DUPLICATE;
                }
                if (ts < s->compacted_upto) {
                        t->st.late++;
                        return SM_APPLY_LATE;
                }
                s->polls[i].active = a; /* the last ingested wins */
                t->st.applied++;
                return SM_APPLY_APPLIED;
        }
        if (ts < s->compacted_upto) {
                int prev_same = i == 0 || s->polls[i - 1].active == a;
                int next_same = i == s->npolls || s->polls[i].active == a;
                if (s->npolls > 0 && prev_same && next_same) {
                        t->st.late_noop++;
                        return SM_APPLY_LATE_NOOP;
                }
                t->st.late++;
                return SM_APPLY_LATE;
        }
        if (s->npolls == s->polls_cap) {
                size_t cap = s->polls_cap;
                sm_xgrow((void **)&s->polls, &cap, s->npolls + 1,
                         sizeof(*s->polls));
                s->polls_cap = (uint32_t)cap;
        }
        memmove(&s->polls[i + 1], &s->polls[i],
                (s->npolls - i) * sizeof(*s->polls));
        s->polls[i] = (sm_poll_t){.ts = ts, .seq = 0, .active = a};
        s->npolls++;
        t->st.applied++;
        if (t->watermark == INT64_MIN || ts > t->watermark)
                t->watermark = ts;
        compact(t, s);
        return SM_APPLY_APPLIED;
}

void sm_store_table_compact_all(sm_store_table_t *t) {
        for (uint32_t i = 0; i < sm_strmap_count(t->ids); i++)
                compact(t, &t->stores[i]);
}

void sm_store_table_set_hours(sm_store_table_t *t,
                              const char *id,
                              size_t len,
                              const sm_hours_rule_t *rules,
                              size_t nrules) {
        struct store *s = store_of(t, id, len);
        free(s->rules);
        s->rules  = NULL;
        s->nrules = (uint16_t)(nrules > UINT16_MAX ? UINT16_MAX : nrules);
        if (s->nrules) {
                s->rules = sm_xmalloc(s->nrules * sizeof(*s->rules));
                memcpy(s->rules, rules, s->nrules * sizeof(*s->rules));
        }
        s->ivs_valid = 0;
}

void sm_store_table_set_zone(sm_store_table_t *t,
                             const char *id,
                             size_t len,
                             const sm_zone_t *zone) {
        struct store *s = store_of(t, id, len);
        s->zone         = zone;
        s->ivs_valid    = 0;
}

sm_usec_t sm_store_table_watermark(const sm_store_table_t *t) {
        return t->watermark;
}

static const sm_strmap_t *sort_ids; /* for cmp_order (single-threaded) */

static int cmp_order(const void *a, const void *b) {
        size_t la, lb;
        const char *ka = sm_strmap_key(sort_ids, *(const uint32_t *)a, &la);
        const char *kb = sm_strmap_key(sort_ids, *(const uint32_t *)b, &lb);
        return sm_report_id_cmp(ka, la, kb, lb);
}

static void refresh_order(sm_store_table_t *t) {
        uint32_t n = sm_strmap_count(t->ids);
        if (t->norder == n && t->order)
                return;
        free(t->order);
        t->order = sm_xmalloc((n ? n : 1) * sizeof(*t->order));
        for (uint32_t i = 0; i < n; i++)
                t->order[i] = i;
        sort_ids = t->ids;
        qsort(t->order, n, sizeof(*t->order), cmp_order);
        sort_ids  = NULL;
        t->norder = n;
}

size_t sm_store_table_report(sm_store_table_t *t,
                             sm_usec_t as_of,
                             const sm_table_row_t **ret_rows) {
        const sm_zone_t *dflt = sm_zone_default();
        size_t nrows          = 0;

        refresh_order(t);
        for (uint32_t k = 0; k < t->norder; k++) {
                uint32_t idx    = t->order[k];
                struct store *s = &t->stores[idx];
                uint32_t n      = lower_bound(s, as_of + 1);
                sm_table_row_t *row;
                if (n == 0)
                        continue;
                if (!s->ivs_valid || s->ivs_from > as_of - SM_USEC_PER_WEEK ||
                    s->ivs_to < as_of) {
                        s->ivs_from =
                                as_of - SM_USEC_PER_WEEK - SM_USEC_PER_DAY;
                        s->ivs_to = as_of + SM_USEC_PER_DAY;
                        s->nivs   = sm_engine_open_intervals(
                                  s->rules, s->nrules, s->zone ? s->zone : dflt,
                                  s->ivs_from, s->ivs_to, &s->ivs, &s->ivs_cap);
                        s->ivs_valid = 1;
                }
                sm_xgrow((void **)&t->rows, &t->rows_cap, nrows + 1,
                         sizeof(*t->rows));
                row           = &t->rows[nrows++];
                row->store_id = sm_strmap_key(t->ids, idx, &row->store_id_len);
                sm_engine_windows(s->polls, n, s->ivs, s->nivs, as_of, &row->w);
        }
        *ret_rows = t->rows;
        return nrows;
}

void sm_store_table_stats(const sm_store_table_t *t,
                          sm_store_table_stats_t *ret) {
        *ret            = t->st;
        ret->stores     = sm_strmap_count(t->ids);
        ret->polls_kept = 0;
        for (uint32_t i = 0; i < sm_strmap_count(t->ids); i++)
                ret->polls_kept += t->stores[i].npolls;
}

/* ---- checkpoint encoding ---- */

struct wbuf {
        uint8_t *p; /* bytes */
        size_t len; /* used */
        size_t cap; /* capacity */
};

static void put(struct wbuf *w, uint64_t v, int bytes) {
        sm_xgrow((void **)&w->p, &w->cap, w->len + (size_t)bytes, 1);
        for (int i = 0; i < bytes; i++)
                w->p[w->len++] = (uint8_t)(v >> (8 * i));
}

static void put_bytes(struct wbuf *w, const void *d, size_t n) {
        sm_xgrow((void **)&w->p, &w->cap, w->len + n, 1);
        memcpy(w->p + w->len, d, n);
        w->len += n;
}

size_t sm_store_table_save(const sm_store_table_t *t, uint8_t **ret_buf) {
        struct wbuf w = {0};
        uint32_t n    = sm_strmap_count(t->ids);

        put_bytes(&w, "SMST", 4);
        put(&w, 2, 4);
        put(&w, (uint64_t)t->grace, 8);
        put(&w, (uint64_t)t->retain, 8);
        put(&w, (uint64_t)t->watermark, 8);
        put(&w, t->st.applied, 8);
        put(&w, t->st.duplicates, 8);
        put(&w, t->st.late_noop, 8);
        put(&w, t->st.late, 8);
        put(&w, n, 4);
        for (uint32_t i = 0; i < n; i++) {
                const struct store *s = &t->stores[i];
                size_t len;
                const char *id = sm_strmap_key(t->ids, i, &len);
                const char *zn = s->zone ? sm_zone_name(s->zone) : "";
                put(&w, len, 2);
                put_bytes(&w, id, len);
                put(&w, strlen(zn), 2);
                put_bytes(&w, zn, strlen(zn));
                put(&w, s->nrules, 2);
                for (uint16_t r = 0; r < s->nrules; r++) {
                        put(&w, (uint8_t)s->rules[r].day, 1);
                        put(&w, (uint32_t)s->rules[r].start, 4);
                        put(&w, (uint32_t)s->rules[r].end, 4);
                }
                put(&w, (uint64_t)s->compacted_upto, 8);
                put(&w, s->npolls, 4);
                for (uint32_t p = 0; p < s->npolls; p++) {
                        put(&w, (uint64_t)s->polls[p].ts, 8);
                        put(&w, s->polls[p].active, 1);
                }
        }
        put(&w, sm_wire_crc64(w.p, w.len), 8);
        *ret_buf = w.p;
        return w.len;
}

struct rbuf {
        const uint8_t *p; /* bytes */
        size_t len;       /* total */
        size_t pos;       /* next to read */
        int bad;          /* ran past the end */
};

static uint64_t get(struct rbuf *r, int bytes) {
        uint64_t v = 0;
        if (r->bad || r->len - r->pos < (size_t)bytes) {
                r->bad = 1;
                return 0;
        }
        for (int i = 0; i < bytes; i++)
                v |= (uint64_t)r->p[r->pos++] << (8 * i);
        return v;
}

static const uint8_t *get_bytes(struct rbuf *r, size_t n) {
        const uint8_t *p;
        if (r->bad || r->len - r->pos < n) {
                r->bad = 1;
                return NULL;
        }
        p = r->p + r->pos;
        r->pos += n;
        return p;
}

sm_store_table_t *sm_store_table_load(const uint8_t *buf,
                                      size_t len,
                                      char *errstr,
                                      size_t errstr_size) {
        struct rbuf r        = {buf, len, 0, 0};
        sm_store_table_t *t  = NULL;
        const uint8_t *magic = get_bytes(&r, 4);
        uint32_t n, version = (uint32_t)get(&r, 4);

        if (!magic || memcmp(magic, "SMST", 4) != 0 ||
            (version != 1 && version != 2)) {
                snprintf(errstr, errstr_size,
                         "checkpoint: not a version 1 or 2 store table");
                return NULL;
        }
        if (version == 2) {
                struct rbuf c = {buf, len, len >= 8 ? len - 8 : 0, 0};
                uint64_t want = get(&c, 8);
                if (len < 16 || want != sm_wire_crc64(buf, len - 8)) {
                        snprintf(errstr, errstr_size,
                                 "checkpoint: checksum mismatch (the stored "
                                 "state is damaged)");
                        return NULL;
                }
                r.len = len - 8;
        }
        {
                sm_usec_t grace  = (sm_usec_t)get(&r, 8);
                sm_usec_t retain = (sm_usec_t)get(&r, 8);
                t                = sm_store_table_new(grace, retain);
        }
        t->watermark     = (sm_usec_t)get(&r, 8);
        t->st.applied    = get(&r, 8);
        t->st.duplicates = get(&r, 8);
        t->st.late_noop  = get(&r, 8);
        t->st.late       = get(&r, 8);
        n                = (uint32_t)get(&r, 4);
        for (uint32_t i = 0; i < n && !r.bad; i++) {
                size_t idlen      = get(&r, 2);
                const uint8_t *id = get_bytes(&r, idlen);
                size_t zlen       = get(&r, 2);
                const uint8_t *zn = get_bytes(&r, zlen);
                struct store *s;
                uint16_t nrules;
                uint32_t npolls;
                if (r.bad)
                        break;
                s = store_of(t, (const char *)id, idlen);
                if (zlen) {
                        const char *why;
                        s->zone = sm_zone_get((const char *)zn, zlen, &why);
                        if (!s->zone) {
                                snprintf(errstr, errstr_size,
                                         "checkpoint: store %.*s: %s",
                                         (int)idlen, (const char *)id, why);
                                goto fail;
                        }
                }
                nrules = (uint16_t)get(&r, 2);
                if (nrules)
                        s->rules = sm_xcalloc(nrules, sizeof(*s->rules));
                s->nrules = nrules;
                for (uint16_t k = 0; k < nrules; k++) {
                        s->rules[k].day   = (int8_t)get(&r, 1);
                        s->rules[k].start = (int32_t)get(&r, 4);
                        s->rules[k].end   = (int32_t)get(&r, 4);
                }
                s->compacted_upto = (sm_usec_t)get(&r, 8);
                npolls            = (uint32_t)get(&r, 4);
                if (r.bad || npolls > (r.len - r.pos) / 9) {
                        r.bad = 1;
                        break;
                }
                s->polls =
                        sm_xmalloc((npolls ? npolls : 1) * sizeof(*s->polls));
                s->polls_cap = npolls ? npolls : 1;
                for (uint32_t p = 0; p < npolls; p++) {
                        s->polls[p].ts     = (sm_usec_t)get(&r, 8);
                        s->polls[p].seq    = 0;
                        s->polls[p].active = (uint8_t)(get(&r, 1) != 0);
                }
                s->npolls = npolls;
        }
        if (r.bad || r.pos != r.len) {
                snprintf(errstr, errstr_size,
                         "checkpoint: truncated or trailing bytes at %zu of "
                         "%zu",
                         r.pos, r.len);
                goto fail;
        }
        return t;
fail:
        sm_store_table_destroy(t);
        return NULL;
}
