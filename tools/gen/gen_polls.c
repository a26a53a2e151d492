/*
 * gen_polls: the store behaviour model and polls.csv.
 *
 * Time is cut into nslots poll slots of one interval each, the last one
 * ending at conf->end.  A store is polled at most once per slot, at
 *
 *     slot start + the store's usual delay + jitter (+-5% of the interval)
 *
 * The usual delay is skewed towards the start of the slot, as in the real
 * v1 export where most polls fall in the first ten minutes of the hour (the
 * poller walks every store once an hour) with a long flat tail.
 *
 * What a poll says comes from per-store intervals built once at start-up:
 * - outages (status inactive): most stores are "normal" (an outage every
 *   two days or so), some are "flaky" (several a day), a few "flap"
 *   (short outages every hour or so) and a few go down for good at some
 *   point.  Outage lengths are log-uniform from minutes to a few hours,
 *   with a tail of many-hour outages.  The result is about 93% active.
 * - poller gaps (no polls at all for hours) for some stores.
 * and from counter-based draws per (store, slot): a few % of polls are
 * missed (each store has its own miss rate), a rare poll disagrees with
 * its neighbours (a glitch), a small % is delivered twice (an exact
 * duplicate row later in the file), and with --bad-rows a malformed copy
 * of some rows is added.  One slot per store (its anchor) is never missed,
 * so every store of the set has at least one poll.
 *
 * Because a poll is a pure function of (seed, store, slot), rows can be
 * written in any order with memory for the intervals only.  The default
 * "export" order mimics the real export: short runs of rows close in time
 * (a group of stores in one slot, sorted by timestamp), the runs in
 * shuffled order, redelivered copies a few runs after the original.
 */
#include "gen.h"

#include "sm/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_MODEL 0x4d4f44454cu /* per-store traits */
#define TAG_ORDER 0x4f52444552u /* chunk and store shuffles */
#define TAG_ROT   0x524f54u     /* per-slot rotation of the groups */

#define GROUP_SIZE  8          /* stores per run in export order */
#define MAX_CHUNKS  (1u << 26) /* cap on runs (memory for the shuffle) */
#define RING        16         /* redelivery delay ring (in runs) */
#define N_BAD_KINDS 7          /* kinds of malformed poll rows */

/** A half-open interval of time [start, end). */
typedef struct span {
        sm_usec_t start; /* first instant */
        sm_usec_t end;   /* first instant after */
} span_t;

/** The traits of one store. */
typedef struct model {
        uint64_t key;    /* seeded key: root of every draw for the store */
        size_t out_off;  /* first outage in spans */
        size_t out_n;    /* number of outages */
        size_t gap_off;  /* first poller gap in spans */
        size_t gap_n;    /* number of poller gaps */
        uint64_t miss;   /* P(missed poll), scaled to 2^64 */
        sm_usec_t base;  /* usual delay after the slot start */
        uint64_t anchor; /* slot that is never missed */
} model_t;

/** One poll to write. */
typedef struct poll {
        sm_usec_t t;      /* timestamp */
        uint32_t store;   /* store index */
        uint8_t active;   /* status */
        uint8_t dup;      /* 0, or redelivery delay in runs (1 .. 12) */
        uint8_t bad;      /* 0, or 1 + kind of the bad copy to add */
        uint32_t variant; /* picks the form of the bad copy */
} poll_t;

/** A growable array of polls. */
typedef struct poll_vec {
        poll_t *v;  /* the polls */
        size_t n;   /* used */
        size_t cap; /* allocated */
} poll_vec_t;

/** The generation state. */
typedef struct gen {
        const sm_gen_conf_t *conf;     /* what to generate */
        const sm_gen_stores_t *stores; /* for whom */
        size_t nstores;                /* number of stores */
        model_t *models;               /* one per store */
        span_t *spans;                 /* outages and gaps of all stores */
        size_t nspans;                 /* used */
        size_t spans_cap;              /* allocated */
        sm_usec_t t0;                  /* start of slot 0 */
        sm_usec_t jitter;              /* max jitter either way */
        uint64_t dup_thr;              /* P(redelivery) scaled to 2^64 */
        uint64_t bad_thr;              /* P(bad copy) scaled to 2^64 */
        uint64_t glitch_thr;           /* P(glitch) scaled to 2^64 */
        sm_gen_out_t *out;             /* polls.csv */
        sm_gen_stats_t *stats;         /* counters */
        poll_vec_t run;                /* the run being written */
        poll_vec_t ring[RING];         /* redeliveries due later */
} gen_t;

static uint64_t prob_scaled(double p) {
        if (p <= 0)
                return 0;
        if (p >= 1)
                return UINT64_MAX;
        return (uint64_t)(p * 18446744073709551616.0);
}

static void vec_push(poll_vec_t *vec, const poll_t *p) {
        sm_xgrow((void **)&vec->v, &vec->cap, vec->n + 1, sizeof(*vec->v));
        vec->v[vec->n++] = *p;
}

static void span_push(gen_t *g, sm_usec_t start, sm_usec_t end) {
        sm_xgrow((void **)&g->spans, &g->spans_cap, g->nspans + 1,
                 sizeof(*g->spans));
        g->spans[g->nspans].start = start;
        g->spans[g->nspans].end   = end;
        g->nspans++;
}

/** How one kind of interval (outage, poller gap) is laid over time. */
typedef struct shape {
        sm_usec_t mean_gap; /* mean time between intervals (exponential) */
        sm_usec_t short_lo; /* usual length: log-uniform from ... */
        sm_usec_t short_hi; /* ... to */
        double p_long;      /* probability of a long one instead */
        sm_usec_t long_lo;  /* long length: log-uniform from ... */
        sm_usec_t long_hi;  /* ... to */
} shape_t;

#define H_ SM_USEC_PER_HOUR
#define M_ SM_USEC_PER_MIN
static const shape_t normal = {48 * H_, 3 * M_, 4 * H_, 0.12, 4 * H_, 30 * H_};
static const shape_t flaky  = {14 * H_, 3 * M_, 4 * H_, 0.12, 4 * H_, 30 * H_};
static const shape_t flapping   = {50 * M_, 5 * M_,  45 * M_,
                                   0.05,    45 * M_, 3 * H_};
static const shape_t poller_gap = {96 * H_, 1 * H_, 8 * H_, 0, 1 * H_, 1 * H_};
#undef H_
#undef M_

/* Lays disjoint intervals of the given shape over [lo, hi), sorted. */
static size_t lay_spans(gen_t *g,
                        sm_gen_rng_t *rng,
                        sm_usec_t lo,
                        sm_usec_t hi,
                        const shape_t *sh) {
        size_t n    = 0;
        sm_usec_t t = lo;

        for (;;) {
                sm_usec_t len;
                t += sm_gen_rng_exp(rng, sh->mean_gap);
                if (sm_gen_rng_unit(rng) < sh->p_long)
                        len = sm_gen_rng_loguniform(rng, sh->long_lo,
                                                    sh->long_hi);
                else
                        len = sm_gen_rng_loguniform(rng, sh->short_lo,
                                                    sh->short_hi);
                if (t >= hi)
                        break;
                span_push(g, t, t + len);
                n++;
                t += len + 1;
        }
        return n;
}

static void model_build(gen_t *g, size_t i) {
        const sm_gen_conf_t *conf = g->conf;
        model_t *m                = &g->models[i];
        const sm_usec_t lo        = g->t0 - SM_USEC_PER_DAY;
        const sm_usec_t hi        = conf->end + SM_USEC_PER_DAY;
        const sm_usec_t iv        = conf->interval;
        sm_gen_rng_t rng;
        double u, f;

        m->key = sm_gen_hash2(conf->seed, sm_gen_stores_key(g->stores, i));
        sm_gen_rng_seed(&rng, sm_gen_hash2(m->key, TAG_MODEL));

        /* Missed polls: most stores miss few, some miss many; the factors
         * average 1 so the mean rate is conf->miss_rate. */
        u = sm_gen_rng_unit(&rng);
        if (u < 0.75)
                f = 0.15 + 0.7 * sm_gen_rng_unit(&rng);
        else if (u < 0.95)
                f = 1.0 + 1.5 * sm_gen_rng_unit(&rng);
        else
                f = 4.0 + 4.0 * sm_gen_rng_unit(&rng);
        f *= conf->miss_rate;
        m->miss = prob_scaled(f < 0.95 ? f : 0.95);

        /* Usual delay into the slot: early-skewed, with a flat tail. */
        if (sm_gen_rng_unit(&rng) < 0.75)
                m->base = sm_gen_rng_exp(&rng, iv / 12);
        else
                m->base = iv;
        if (m->base > iv * 94 / 100)
                m->base = (sm_usec_t)sm_gen_rng_below(
                        &rng, (uint64_t)(iv * 94 / 100) + 1);
        m->anchor = sm_gen_rng_below(&rng, conf->nslots);

        /* Outages by behaviour class. */
        m->out_off = g->nspans;
        u          = sm_gen_rng_unit(&rng);
        if (u < 0.015) {
                /* goes down for good somewhere in the window */
                sm_usec_t death =
                        g->t0 + (sm_usec_t)(sm_gen_rng_unit(&rng) *
                                            (double)(conf->end - g->t0));
                m->out_n = lay_spans(g, &rng, lo, death - SM_USEC_PER_HOUR,
                                     &normal);
                /* the last random outage may reach past death */
                if (m->out_n && g->spans[g->nspans - 1].end >= death) {
                        g->nspans--;
                        m->out_n--;
                }
                span_push(g, death, hi);
                m->out_n++;
        } else if (u < 0.045) {
                /* flapping */
                m->out_n = lay_spans(g, &rng, lo, hi, &flapping);
        } else if (u < 0.14) {
                /* flaky */
                m->out_n = lay_spans(g, &rng, lo, hi, &flaky);
        } else {
                m->out_n = lay_spans(g, &rng, lo, hi, &normal);
        }

        /* Poller gaps: no polls at all for a while. */
        m->gap_off = g->nspans;
        m->gap_n   = 0;
        if (conf->miss_rate > 0 && sm_gen_rng_unit(&rng) < 0.4)
                m->gap_n = lay_spans(g, &rng, lo, hi, &poller_gap);
}

/* Is t inside one of spans[off .. off+n) (sorted, disjoint)? */
static int in_spans(const span_t *spans, size_t off, size_t n, sm_usec_t t) {
        size_t lo = off, hi = off + n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (spans[mid].start <= t)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo > off && t < spans[lo - 1].end;
}

/* The poll of store s in slot k.  Returns 0 when there is none. */
static int make_poll(const gen_t *g, uint32_t s, uint64_t k, poll_t *ret) {
        const model_t *m   = &g->models[s];
        const sm_usec_t iv = g->conf->interval;
        uint64_t h         = sm_gen_hash2(m->key, k);
        sm_usec_t d;
        poll_t p;

        h = sm_gen_mix(h);
        if (k != m->anchor && h < m->miss)
                return 0;
        h = sm_gen_mix(h);
        d = m->base + (sm_usec_t)(h % (uint64_t)(2 * g->jitter + 1)) -
            g->jitter;
        if (d < 0)
                d = -d;
        if (d >= iv)
                d = 2 * iv - 1 - d;
        p.t = g->t0 + (sm_usec_t)k * iv + d;
        if (k != m->anchor && in_spans(g->spans, m->gap_off, m->gap_n, p.t))
                return 0;
        p.store  = s;
        p.active = !in_spans(g->spans, m->out_off, m->out_n, p.t);
        h        = sm_gen_mix(h);
        if (h < g->glitch_thr)
                p.active = !p.active;
        h         = sm_gen_mix(h);
        p.dup     = h < g->dup_thr ? (uint8_t)(1 + sm_gen_mix(h) % 12) : 0;
        h         = sm_gen_mix(h);
        p.bad     = 0;
        p.variant = 0;
        if (h < g->bad_thr) {
                h         = sm_gen_mix(h);
                p.bad     = (uint8_t)(1 + h % N_BAD_KINDS);
                p.variant = (uint32_t)(h >> 32);
        }
        *ret = p;
        return 1;
}

static void put_id(gen_t *g, uint32_t s) {
        size_t len;
        const char *id = sm_gen_stores_id(g->stores, s, &len);
        sm_gen_out_field(g->out, id, len);
}

static void put_row(gen_t *g, const poll_t *p) {
        put_id(g, p->store);
        sm_gen_out_str(g->out, p->active ? ",active," : ",inactive,");
        sm_gen_out_time(g->out, p->t, g->conf->iso, 1);
        sm_gen_out_char(g->out, '\n');
}

/* A malformed row made from a good one, of every kind SPEC names. */
static void put_bad_row(gen_t *g, const poll_t *p) {
        static const char *const statuses[] = {
                "unknown", "active,inactive", "actve", "1", "up", "\"down\""};
        static const char *const extras[] = {"extra", "a, b", "0"};
        const char *status                = p->active ? "active" : "inactive";
        char ts[SM_TIME_FORMAT_MAX + 16];
        size_t tlen       = sm_gen_time_text(p->t, g->conf->iso, 1, ts);
        sm_gen_out_t *out = g->out;
        uint32_t v        = p->variant;

        switch (p->bad - 1) {
        case 0: /* missing field */
                if (v % 3 == 0) {
                        sm_gen_out_char(out, ',');
                        sm_gen_out_str(out, status);
                        sm_gen_out_char(out, ',');
                        sm_gen_out_write(out, ts, tlen);
                } else if (v % 3 == 1) {
                        put_id(g, p->store);
                        sm_gen_out_str(out, ",,");
                        sm_gen_out_write(out, ts, tlen);
                } else {
                        put_id(g, p->store);
                        sm_gen_out_char(out, ',');
                        sm_gen_out_str(out, status);
                        sm_gen_out_char(out, ',');
                }
                break;
        case 1: { /* unknown status */
                const char *st = statuses[v % 6];
                put_id(g, p->store);
                sm_gen_out_char(out, ',');
                sm_gen_out_field(out, st, strlen(st));
                sm_gen_out_char(out, ',');
                sm_gen_out_write(out, ts, tlen);
                break;
        }
        case 2: /* unparsable timestamp */
                switch (v % 6) {
                case 0: /* hour out of range */
                        ts[11] = '2';
                        ts[12] = (char)('4' + v / 6 % 6);
                        break;
                case 1: /* no such date */
                        ts[8] = '3';
                        ts[9] = '2';
                        break;
                case 2: /* wrong separators */
                        ts[4] = '/';
                        ts[7] = '/';
                        break;
                case 3: /* seconds missing */
                        memmove(ts + 16, ts + 19, tlen - 19);
                        tlen -= 3;
                        break;
                case 4: /* fraction of ten digits */
                        tlen = 19;
                        memcpy(ts + tlen, ".1234567890", 11);
                        tlen += 11;
                        if (g->conf->iso) {
                                ts[tlen++] = 'Z';
                        } else {
                                memcpy(ts + tlen, " UTC", 4);
                                tlen += 4;
                        }
                        break;
                default:
                        tlen = 3;
                        memcpy(ts, "n/a", 3);
                        break;
                }
                put_id(g, p->store);
                sm_gen_out_char(out, ',');
                sm_gen_out_str(out, status);
                sm_gen_out_char(out, ',');
                sm_gen_out_write(out, ts, tlen);
                break;
        case 3: /* timestamp without zone */
                put_id(g, p->store);
                sm_gen_out_char(out, ',');
                sm_gen_out_str(out, status);
                sm_gen_out_char(out, ',');
                sm_gen_out_time(out, p->t, g->conf->iso, 0);
                break;
        case 4: /* wrong column count: too few */
                put_id(g, p->store);
                sm_gen_out_char(out, ',');
                if (v % 2)
                        sm_gen_out_str(out, status);
                else
                        sm_gen_out_write(out, ts, tlen);
                break;
        case 5: { /* wrong column count: too many */
                const char *x = extras[v % 3];
                put_id(g, p->store);
                sm_gen_out_char(out, ',');
                sm_gen_out_str(out, status);
                sm_gen_out_char(out, ',');
                sm_gen_out_write(out, ts, tlen);
                sm_gen_out_char(out, ',');
                sm_gen_out_field(out, x, strlen(x));
                break;
        }
        default: /* one field: the separators lost */
                put_id(g, p->store);
                sm_gen_out_char(out, ';');
                sm_gen_out_str(out, status);
                sm_gen_out_char(out, ';');
                sm_gen_out_write(out, ts, tlen);
                break;
        }
        sm_gen_out_char(out, '\n');
        g->stats->bad_polls++;
}

/* Writes one poll, counts it, and adds its bad copy (right after it). */
static void emit(gen_t *g, const poll_t *p) {
        sm_gen_stats_t *st = g->stats;

        put_row(g, p);
        st->polls++;
        if (!p->active)
                st->inactive++;
        if (p->t < st->first)
                st->first = p->t;
        if (p->t > st->last)
                st->last = p->t;
        if (p->bad)
                put_bad_row(g, p);
}

static void emit_dup(gen_t *g, const poll_t *p) {
        put_row(g, p);
        g->stats->dups++;
}

static int poll_cmp(const void *a, const void *b) {
        const poll_t *x = a, *y = b;

        if (x->t != y->t)
                return x->t < y->t ? -1 : 1;
        return (x->store > y->store) - (x->store < y->store);
}

static void sort_run(poll_vec_t *run) {
        /* runs are short in export order: insertion sort */
        if (run->n > 32) {
                qsort(run->v, run->n, sizeof(*run->v), poll_cmp);
                return;
        }
        for (size_t i = 1; i < run->n; i++) {
                poll_t p = run->v[i];
                size_t j = i;
                while (j > 0 && poll_cmp(&run->v[j - 1], &p) > 0) {
                        run->v[j] = run->v[j - 1];
                        j--;
                }
                run->v[j] = p;
        }
}

static void shuffle_u32(uint32_t *a, size_t n, sm_gen_rng_t *rng) {
        for (size_t i = n; i > 1; i--) {
                size_t j   = (size_t)sm_gen_rng_below(rng, i);
                uint32_t t = a[i - 1];
                a[i - 1]   = a[j];
                a[j]       = t;
        }
}

static void write_export(gen_t *g) {
        const uint64_t S = g->conf->nslots;
        const size_t N   = g->nstores;
        size_t gs        = GROUP_SIZE, ngroups, nchunks;
        uint32_t *perm = NULL, *chunks = NULL;
        sm_gen_rng_t rng;

        while (gs < N && (uint64_t)((N + gs - 1) / gs) * S > MAX_CHUNKS)
                gs *= 2;
        ngroups = (N + gs - 1) / gs;
        nchunks = ngroups * (size_t)S;

        sm_gen_rng_seed(&rng, sm_gen_hash2(g->conf->seed, TAG_ORDER));
        perm = sm_xmalloc(N * sizeof(*perm));
        for (size_t i = 0; i < N; i++)
                perm[i] = (uint32_t)i;
        shuffle_u32(perm, N, &rng);
        chunks = sm_xmalloc(nchunks * sizeof(*chunks));
        for (size_t i = 0; i < nchunks; i++)
                chunks[i] = (uint32_t)i;
        shuffle_u32(chunks, nchunks, &rng);

        for (size_t c = 0; c < nchunks; c++) {
                uint64_t k = chunks[c] / ngroups;
                size_t grp = chunks[c] % ngroups;
                size_t rot =
                        (size_t)(sm_gen_hash2(g->conf->seed ^ TAG_ROT, k) % N);
                poll_vec_t *due = &g->ring[c % RING];

                g->run.n = 0;
                for (size_t j = grp * gs; j < (grp + 1) * gs && j < N; j++) {
                        poll_t p;
                        if (make_poll(g, perm[(j + rot) % N], k, &p))
                                vec_push(&g->run, &p);
                }
                sort_run(&g->run);
                for (size_t j = 0; j < g->run.n; j++) {
                        const poll_t *p = &g->run.v[j];
                        emit(g, p);
                        if (p->dup)
                                vec_push(&g->ring[(c + p->dup) % RING], p);
                }
                for (size_t j = 0; j < due->n; j++)
                        emit_dup(g, &due->v[j]);
                due->n = 0;
        }
        for (size_t c = nchunks; c < nchunks + RING; c++) {
                poll_vec_t *due = &g->ring[c % RING];
                for (size_t j = 0; j < due->n; j++)
                        emit_dup(g, &due->v[j]);
                due->n = 0;
        }
        free(chunks);
        free(perm);
}

static void write_time(gen_t *g) {
        for (uint64_t k = 0; k < g->conf->nslots; k++) {
                g->run.n = 0;
                for (size_t s = 0; s < g->nstores; s++) {
                        poll_t p;
                        if (make_poll(g, (uint32_t)s, k, &p))
                                vec_push(&g->run, &p);
                }
                sort_run(&g->run);
                for (size_t j = 0; j < g->run.n; j++) {
                        emit(g, &g->run.v[j]);
                        if (g->run.v[j].dup)
                                emit_dup(g, &g->run.v[j]);
                }
        }
}

static void write_store(gen_t *g) {
        for (size_t s = 0; s < g->nstores; s++) {
                for (uint64_t k = 0; k < g->conf->nslots; k++) {
                        poll_t p;
                        if (!make_poll(g, (uint32_t)s, k, &p))
                                continue;
                        emit(g, &p);
                        if (p.dup)
                                emit_dup(g, &p);
                }
        }
}

int sm_gen_polls_write(const sm_gen_conf_t *conf,
                       const sm_gen_stores_t *stores,
                       const char *path,
                       sm_gen_stats_t *stats,
                       char *errstr,
                       size_t errstr_size) {
        gen_t g;
        int r;

        memset(&g, 0, sizeof(g));
        g.conf       = conf;
        g.stores     = stores;
        g.nstores    = sm_gen_stores_count(stores);
        g.stats      = stats;
        g.t0         = conf->end - (sm_usec_t)conf->nslots * conf->interval;
        g.jitter     = conf->interval / 20;
        g.dup_thr    = prob_scaled(conf->dup_rate);
        g.bad_thr    = prob_scaled(conf->bad_rate);
        g.glitch_thr = prob_scaled(0.002);
        stats->first = INT64_MAX;
        stats->last  = INT64_MIN;
        if (g.nstores == 0 || g.nstores > UINT32_MAX) {
                snprintf(errstr, errstr_size, "%s: %zu stores", path,
                         g.nstores);
                return -EINVAL;
        }

        g.models = sm_xcalloc(g.nstores, sizeof(*g.models));
        for (size_t i = 0; i < g.nstores; i++)
                model_build(&g, i);

        g.out = sm_gen_out_open(path, errstr, errstr_size);
        if (!g.out) {
                r = -EIO;
                goto out;
        }
        sm_gen_out_str(g.out, "store_id,status,timestamp_utc\n");
        switch (conf->order) {
        case SM_GEN_ORDER_TIME:
                write_time(&g);
                break;
        case SM_GEN_ORDER_STORE:
                write_store(&g);
                break;
        default:
                write_export(&g);
                break;
        }
        r     = sm_gen_out_close(g.out, errstr, errstr_size);
        g.out = NULL;
out:
        free(g.run.v);
        for (int i = 0; i < RING; i++)
                free(g.ring[i].v);
        free(g.spans);
        free(g.models);
        return r;
}
