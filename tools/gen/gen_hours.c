/*
 * gen_hours: synthetic business hours and time zones.
 *
 * Hours follow the shapes seen in the real Loop files, plus the forms SPEC
 * defines that the real files happen not to use.  Each store gets one
 * profile (weights per mille):
 *
 *   180  no rows at all (open 24x7)
 *   280  daily, opening 06:00..11:30, closing 20:00..23:00, often an hour
 *        later on Friday and Saturday
 *    80  the same, closed one or two weekdays (mostly Monday or Sunday)
 *   150  nearly all day: 00:00:00-23:59:00 or -23:59:59 (very common in v1)
 *    80  late nights split at midnight, the v1 way: d 11:00-23:59:59 and
 *        d+1 00:00:00-02:00:00
 *    60  overnight rows: 18:00:00-02:00:00 (end < start)
 *    40  full-day rows 00:00:00-00:00:00 (every day, or Friday/Saturday)
 *    80  split shifts: two rows a day (lunch and dinner)
 *    20  overlapping rows on one day (SPEC merges them)
 *    15  a few minutes a day (00:00:00-00:10:00, as in v1 and v2)
 *    15  one to three days a week only
 *
 * A few stores write their times HH:MM.  A store's rows come in shuffled
 * day order and sometimes in two runs, as in the real export.
 *
 * Zones follow the v1 distribution (New York, Los Angeles and Chicago make
 * up nine tenths) with the rare zones a little more common so that a small
 * set still has them; a few stores have no row or an empty zone.  Rows are
 * grouped by zone, as in the real files.
 *
 * With --bad-rows, malformed rows of every kind SPEC names for these
 * files are added after good rows.
 */
#include "gen.h"

#include "sm/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_HOURS 0x484f555253u /* per-store hours */
#define TAG_ZONE  0x5a4f4e45u   /* per-store zone */
#define TAG_BADH  0x42414448u   /* bad hours rows */
#define TAG_BADZ  0x4241445au   /* bad zone rows */
#define TAG_ZORD  0x5a4f5244u   /* zone group order */

#define HM(h, m)   ((int32_t)((h)*3600 + (m)*60))
#define END_OF_DAY 86399 /* 23:59:59 */
#define MAX_ROWS   32

/** One business-hours row. */
typedef struct hrow {
        int day;       /* 0 = Monday .. 6 = Sunday */
        int32_t start; /* seconds since local midnight */
        int32_t end;   /* seconds since local midnight */
} hrow_t;

/** The rows of one store. */
typedef struct hset {
        hrow_t r[MAX_ROWS]; /* rows */
        int n;              /* used */
} hset_t;

enum profile {
        P_NONE,
        P_DAILY,
        P_CLOSED_DAYS,
        P_NEAR_24H,
        P_MIDNIGHT_SPLIT,
        P_OVERNIGHT,
        P_FULL_DAY,
        P_SPLIT_SHIFT,
        P_OVERLAP,
        P_TINY,
        P_FEW_DAYS,
        P_COUNT,
};

static const unsigned profile_w[P_COUNT] = {180, 280, 80, 150, 80, 60,
                                            40,  80,  20, 15,  15};

static const int32_t opens[]    = {HM(10, 0), HM(10, 30), HM(11, 0), HM(11, 30),
                                   HM(6, 0),  HM(7, 0),   HM(8, 0),  HM(9, 0)};
static const unsigned opens_w[] = {18, 12, 30, 10, 8, 8, 8, 6};
static const int32_t closes[]   = {HM(20, 0), HM(20, 30), HM(21, 0), HM(21, 30),
                                   HM(22, 0), HM(22, 30), HM(23, 0)};
static const unsigned closes_w[]  = {10, 8, 16, 10, 16, 8, 12};
static const unsigned closed_w[7] = {5, 2, 1, 1, 1, 1, 4};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void add(hset_t *h, int day, int32_t start, int32_t end) {
        if (h->n < MAX_ROWS) {
                h->r[h->n].day   = day;
                h->r[h->n].start = start;
                h->r[h->n].end   = end;
                h->n++;
        }
}

static int32_t pick_open(sm_gen_rng_t *rng) {
        return opens[sm_gen_rng_pick(rng, opens_w, NELEM(opens))];
}

static int32_t pick_close(sm_gen_rng_t *rng) {
        return closes[sm_gen_rng_pick(rng, closes_w, NELEM(closes))];
}

static void daily(hset_t *h, sm_gen_rng_t *rng, unsigned closed_mask) {
        int32_t o = pick_open(rng), c = pick_close(rng);
        int32_t late = sm_gen_rng_unit(rng) < 0.4 ? HM(1, 0) : 0;

        for (int d = 0; d < 7; d++) {
                int32_t e = c + (d == 4 || d == 5 ? late : 0);
                if (closed_mask & (1u << d))
                        continue;
                add(h, d, o, e > END_OF_DAY ? END_OF_DAY : e);
        }
}

static void make_hours(hset_t *h, sm_gen_rng_t *rng) {
        h->n = 0;
        switch (sm_gen_rng_pick(rng, profile_w, P_COUNT)) {
        case P_NONE:
                break;
        case P_DAILY:
                daily(h, rng, 0);
                break;
        case P_CLOSED_DAYS: {
                unsigned mask = 1u << sm_gen_rng_pick(rng, closed_w, 7);
                if (sm_gen_rng_unit(rng) < 0.3)
                        mask |= 1u << sm_gen_rng_pick(rng, closed_w, 7);
                daily(h, rng, mask);
                break;
        }
        case P_NEAR_24H: {
                int32_t s = sm_gen_rng_unit(rng) < 0.8 ? 0 : HM(5, 0);
                int32_t e =
                        sm_gen_rng_unit(rng) < 0.5 ? HM(23, 59) : END_OF_DAY;
                int skip = sm_gen_rng_unit(rng) < 0.1
                                   ? (int)sm_gen_rng_below(rng, 7)
                                   : -1;
                for (int d = 0; d < 7; d++)
                        if (d != skip)
                                add(h, d, s, e);
                break;
        }
        case P_MIDNIGHT_SPLIT: {
                int32_t o     = pick_open(rng);
                int32_t after = HM(1 + (int)sm_gen_rng_below(rng, 3), 0);
                int weekend   = sm_gen_rng_unit(rng) < 0.5;
                for (int d = 0; d < 7; d++) {
                        if (weekend && d != 3 && d != 4 && d != 5) {
                                add(h, d, o, HM(23, 0));
                                continue;
                        }
                        add(h, d, o, END_OF_DAY);
                        add(h, (d + 1) % 7, 0, after);
                }
                break;
        }
        case P_OVERNIGHT: {
                static const int32_t st[] = {HM(17, 0), HM(18, 0), HM(20, 0),
                                             HM(22, 0)};
                int32_t s                 = st[sm_gen_rng_below(rng, 4)];
                int32_t e = HM(1 + (int)sm_gen_rng_below(rng, 4), 0);
                int from  = sm_gen_rng_unit(rng) < 0.6 ? 0 : 2;
                for (int d = from; d < 7; d++)
                        add(h, d, s, e);
                break;
        }
        case P_FULL_DAY:
                if (sm_gen_rng_unit(rng) < 0.6) {
                        for (int d = 0; d < 7; d++)
                                add(h, d, 0, 0);
                } else {
                        daily(h, rng, (1u << 4) | (1u << 5));
                        add(h, 4, 0, 0);
                        add(h, 5, 0, 0);
                }
                break;
        case P_SPLIT_SHIFT: {
                int32_t l0 =
                        sm_gen_rng_unit(rng) < 0.6 ? HM(11, 0) : HM(11, 30);
                int32_t l1 = HM(14, 0) +
                             HM(0, 30) * (int32_t)sm_gen_rng_below(rng, 3);
                int32_t d0 =
                        sm_gen_rng_unit(rng) < 0.6 ? HM(17, 0) : HM(17, 30);
                int32_t d1 = HM(21, 0) +
                             HM(0, 30) * (int32_t)sm_gen_rng_below(rng, 3);
                int closed_mon     = sm_gen_rng_unit(rng) < 0.2;
                int weekend_dinner = sm_gen_rng_unit(rng) < 0.25;
                for (int d = 0; d < 7; d++) {
                        if (d == 0 && closed_mon)
                                continue;
                        if (!(weekend_dinner && d >= 5))
                                add(h, d, l0, l1);
                        add(h, d, d0, d1);
                }
                break;
        }
        case P_OVERLAP:
                for (int d = 0; d < 7; d++) {
                        add(h, d, HM(10, 0), HM(16, 0));
                        add(h, d, HM(15, 0), HM(22, 0));
                        if (d == 5)
                                add(h, d, HM(15, 0), HM(22, 0));
                }
                break;
        case P_TINY: {
                int32_t e = sm_gen_rng_unit(rng) < 0.5 ? HM(0, 10) : HM(0, 1);
                for (int d = 0; d < 7; d++)
                        add(h, d, 0, e);
                break;
        }
        default: {
                unsigned mask = 0x7f;
                int keep      = 1 + (int)sm_gen_rng_below(rng, 3);
                while (__builtin_popcount(mask) > keep)
                        mask &= ~(1u << sm_gen_rng_below(rng, 7));
                daily(h, rng, ~mask & 0x7f);
                break;
        }
        }
        /* the real files list a store's days in no particular order */
        for (int i = h->n; i > 1; i--) {
                int j       = (int)sm_gen_rng_below(rng, (uint64_t)i);
                hrow_t t    = h->r[i - 1];
                h->r[i - 1] = h->r[j];
                h->r[j]     = t;
        }
}

/** Writing state for menu_hours.csv. */
typedef struct hours_out {
        const sm_gen_conf_t *conf;     /* options */
        const sm_gen_stores_t *stores; /* the store set */
        sm_gen_out_t *out;             /* the file */
        sm_gen_rng_t bad;              /* draws for bad rows */
        uint64_t bad_thr;              /* P(bad row) scaled to 2^53 */
        sm_gen_stats_t *stats;         /* counters */
} hours_out_t;

static void put_id(hours_out_t *ho, size_t s) {
        size_t len;
        const char *id = sm_gen_stores_id(ho->stores, s, &len);
        sm_gen_out_field(ho->out, id, len);
}

static void
put_bad_hours(hours_out_t *ho, size_t s, const hrow_t *r, int short_form) {
        static const char *const times[] = {"24:30:00", "9am",   "12:60:00",
                                            "25:00",    "11.00", "-1:00:00",
                                            "7:5"};
        static const char *const days[]  = {"7", "-1", "Mon", "8", "1.5"};
        sm_gen_out_t *out                = ho->out;
        uint64_t v                       = sm_gen_rng_next(&ho->bad);

        switch (v % 4) {
        case 0: /* missing field */
                if (v / 4 % 4 != 0)
                        put_id(ho, s);
                sm_gen_out_char(out, ',');
                if (v / 4 % 4 != 1)
                        sm_gen_out_uint(out, (uint64_t)r->day);
                sm_gen_out_char(out, ',');
                if (v / 4 % 4 != 2)
                        sm_gen_out_hms(out, r->start, short_form);
                sm_gen_out_char(out, ',');
                if (v / 4 % 4 != 3)
                        sm_gen_out_hms(out, r->end, short_form);
                break;
        case 1: { /* bad time */
                const char *t = times[v / 4 % NELEM(times)];
                put_id(ho, s);
                sm_gen_out_char(out, ',');
                sm_gen_out_uint(out, (uint64_t)r->day);
                sm_gen_out_char(out, ',');
                if (v / 64 % 2) {
                        sm_gen_out_str(out, t);
                        sm_gen_out_char(out, ',');
                        sm_gen_out_hms(out, r->end, short_form);
                } else {
                        sm_gen_out_hms(out, r->start, short_form);
                        sm_gen_out_char(out, ',');
                        sm_gen_out_str(out, t);
                }
                break;
        }
        case 2: /* day outside 0..6 */
                put_id(ho, s);
                sm_gen_out_char(out, ',');
                sm_gen_out_str(out, days[v / 4 % NELEM(days)]);
                sm_gen_out_char(out, ',');
                sm_gen_out_hms(out, r->start, short_form);
                sm_gen_out_char(out, ',');
                sm_gen_out_hms(out, r->end, short_form);
                break;
        default: /* wrong column count */
                put_id(ho, s);
                sm_gen_out_char(out, ',');
                sm_gen_out_uint(out, (uint64_t)r->day);
                sm_gen_out_char(out, ',');
                if (v / 4 % 3 == 0) {
                        /* the two times in one quoted field */
                        sm_gen_out_char(out, '"');
                        sm_gen_out_hms(out, r->start, short_form);
                        sm_gen_out_char(out, ',');
                        sm_gen_out_hms(out, r->end, short_form);
                        sm_gen_out_char(out, '"');
                } else {
                        sm_gen_out_hms(out, r->start, short_form);
                        if (v / 4 % 3 == 1) {
                                sm_gen_out_char(out, ',');
                                sm_gen_out_hms(out, r->end, short_form);
                                sm_gen_out_str(out, ",\"closed, holiday\"");
                        }
                }
                break;
        }
        sm_gen_out_char(out, '\n');
        ho->stats->bad_hours++;
}

static void
put_hours(hours_out_t *ho, size_t s, const hrow_t *r, int n, int short_form) {
        for (int i = 0; i < n; i++) {
                put_id(ho, s);
                sm_gen_out_char(ho->out, ',');
                sm_gen_out_uint(ho->out, (uint64_t)r[i].day);
                sm_gen_out_char(ho->out, ',');
                sm_gen_out_hms(ho->out, r[i].start,
                               short_form && r[i].start % 60 == 0);
                sm_gen_out_char(ho->out, ',');
                sm_gen_out_hms(ho->out, r[i].end,
                               short_form && r[i].end % 60 == 0);
                sm_gen_out_char(ho->out, '\n');
                ho->stats->hours_rows++;
                if ((sm_gen_rng_next(&ho->bad) >> 11) < ho->bad_thr)
                        put_bad_hours(ho, s, &r[i], short_form);
        }
}

int sm_gen_hours_write(const sm_gen_conf_t *conf,
                       const sm_gen_stores_t *stores,
                       const char *path,
                       sm_gen_stats_t *stats,
                       char *errstr,
                       size_t errstr_size) {
        size_t n = sm_gen_stores_count(stores);
        hours_out_t ho;
        hset_t cur, carry;
        size_t carry_store = 0;
        int carry_short    = 0;

        memset(&ho, 0, sizeof(ho));
        ho.conf    = conf;
        ho.stores  = stores;
        ho.stats   = stats;
        ho.bad_thr = (uint64_t)(conf->bad_rate * 9007199254740992.0);
        sm_gen_rng_seed(&ho.bad, sm_gen_hash2(conf->seed, TAG_BADH));
        ho.out = sm_gen_out_open(path, errstr, errstr_size);
        if (!ho.out)
                return -EIO;
        sm_gen_out_str(ho.out, conf->id_style == SM_GEN_ID_UUID
                                       ? "store_id,dayOfWeek,start_time_local,"
                                         "end_time_local\n"
                                       : "store_id,day,start_time_local,"
                                         "end_time_local\n");
        carry.n = 0;
        for (size_t s = 0; s < n; s++) {
                sm_gen_rng_t rng;
                int short_form, split;

                sm_gen_rng_seed(
                        &rng,
                        sm_gen_hash2(sm_gen_hash2(conf->seed,
                                                  sm_gen_stores_key(stores, s)),
                                     TAG_HOURS));
                make_hours(&cur, &rng);
                short_form = sm_gen_rng_unit(&rng) < 0.02;
                split      = cur.n > 2 && sm_gen_rng_unit(&rng) < 0.1
                                     ? 1 + (int)sm_gen_rng_below(&rng,
                                                                 (uint64_t)cur.n - 1)
                                     : cur.n;
                if (cur.n == 0)
                        stats->no_hours++;
                put_hours(&ho, s, cur.r, split, short_form);
                if (carry.n)
                        put_hours(&ho, carry_store, carry.r, carry.n,
                                  carry_short);
                carry.n = cur.n - split;
                memcpy(carry.r, cur.r + split,
                       (size_t)carry.n * sizeof(*carry.r));
                carry_store = s;
                carry_short = short_form;
        }
        if (carry.n)
                put_hours(&ho, carry_store, carry.r, carry.n, carry_short);
        return sm_gen_out_close(ho.out, errstr, errstr_size);
}

/* ---------------------------------------------------------------- zones */

#define Z_NONE  (-1) /* no row */
#define Z_EMPTY (-2) /* a row with an empty zone */

static const char *const zones[] = {
        "America/New_York",
        "America/Los_Angeles",
        "America/Chicago",
        "America/Phoenix",
        "America/Denver",
        "America/Detroit",
        "America/Indiana/Indianapolis",
        "America/Boise",
        "Pacific/Honolulu",
        "America/Edmonton",
};
/* per 10000, the rest of the 10000 being no row / empty zone */
static const unsigned zones_w[] = {5900, 2350, 1100, 300, 120,
                                   60,   50,   30,   30,  10};
#define Z_NONE_W  40
#define Z_EMPTY_W 10

static void put_bad_zone(sm_gen_out_t *out,
                         const sm_gen_stores_t *stores,
                         size_t s,
                         const char *zone,
                         sm_gen_rng_t *rng,
                         sm_gen_stats_t *stats) {
        static const char *const invalid[] = {
                "America/Atlantis", "Mars/Olympus_Mons", "New York",
                "America/New York", "Central Time",      "+05:00",
                "../../etc/passwd", "America//Chicago",  "UTC+3"};
        uint64_t v = sm_gen_rng_next(rng);
        size_t len;
        const char *id = sm_gen_stores_id(stores, s, &len);

        switch (v % 3) {
        case 0: /* missing field (the store id) */
                sm_gen_out_char(out, ',');
                sm_gen_out_str(out, zone);
                break;
        case 1: { /* invalid zone name */
                const char *z = invalid[v / 3 % NELEM(invalid)];
                sm_gen_out_field(out, id, len);
                sm_gen_out_char(out, ',');
                sm_gen_out_field(out, z, strlen(z));
                break;
        }
        default: /* wrong column count */
                sm_gen_out_field(out, id, len);
                if (v / 3 % 2) {
                        sm_gen_out_char(out, ',');
                        sm_gen_out_str(out, zone);
                        sm_gen_out_str(out, ",\"US, East\"");
                }
                break;
        }
        sm_gen_out_char(out, '\n');
        stats->bad_zones++;
}

int sm_gen_zones_write(const sm_gen_conf_t *conf,
                       const sm_gen_stores_t *stores,
                       const char *path,
                       sm_gen_stats_t *stats,
                       char *errstr,
                       size_t errstr_size) {
        const size_t nz  = NELEM(zones);
        size_t n         = sm_gen_stores_count(stores);
        uint64_t bad_thr = (uint64_t)(conf->bad_rate * 9007199254740992.0);
        int order[NELEM(zones) + 1];
        unsigned w[NELEM(zones) + 2];
        int *zone_of = NULL;
        sm_gen_rng_t rng, bad;
        sm_gen_out_t *out;

        out = sm_gen_out_open(path, errstr, errstr_size);
        if (!out)
                return -EIO;
        sm_gen_out_str(out, "store_id,timezone_str\n");

        memcpy(w, zones_w, sizeof(zones_w));
        w[nz]     = Z_NONE_W;
        w[nz + 1] = Z_EMPTY_W;
        zone_of   = sm_xmalloc((n ? n : 1) * sizeof(*zone_of));
        for (size_t s = 0; s < n; s++) {
                size_t z;
                sm_gen_rng_seed(
                        &rng,
                        sm_gen_hash2(sm_gen_hash2(conf->seed,
                                                  sm_gen_stores_key(stores, s)),
                                     TAG_ZONE));
                z          = sm_gen_rng_pick(&rng, w, nz + 2);
                zone_of[s] = z < nz ? (int)z : z == nz ? Z_NONE : Z_EMPTY;
                if (zone_of[s] == Z_NONE)
                        stats->no_zone++;
        }

        /* the export lists the zones as groups, in no particular order */
        for (size_t i = 0; i < nz; i++)
                order[i] = (int)i;
        order[nz] = Z_EMPTY;
        sm_gen_rng_seed(&rng, sm_gen_hash2(conf->seed, TAG_ZORD));
        for (size_t i = nz + 1; i > 1; i--) {
                size_t j     = (size_t)sm_gen_rng_below(&rng, i);
                int t        = order[i - 1];
                order[i - 1] = order[j];
                order[j]     = t;
        }
        sm_gen_rng_seed(&bad, sm_gen_hash2(conf->seed, TAG_BADZ));
        for (size_t i = 0; i <= nz; i++) {
                const char *name = order[i] >= 0 ? zones[order[i]] : "";
                for (size_t s = 0; s < n; s++) {
                        size_t len;
                        const char *id;
                        if (zone_of[s] != order[i])
                                continue;
                        id = sm_gen_stores_id(stores, s, &len);
                        sm_gen_out_field(out, id, len);
                        sm_gen_out_char(out, ',');
                        sm_gen_out_str(out, name);
                        sm_gen_out_char(out, '\n');
                        stats->zone_rows++;
                        if ((sm_gen_rng_next(&bad) >> 11) < bad_thr)
                                put_bad_zone(out, stores, s,
                                             order[i] >= 0 ? name
                                                           : "America/Chicago",
                                             &bad, stats);
                }
        }
        free(zone_of);
        return sm_gen_out_close(out, errstr, errstr_size);
}
