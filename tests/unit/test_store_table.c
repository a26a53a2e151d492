/*
 * test_store_table: the streaming state against the batch engine.
 *
 * Random stores get days of polls in a disordered stream (local shuffles,
 * redeliveries, conflicting duplicates, polls late by more than the grace
 * period), with schedules and zones.  The table decides what it accepts;
 * the batch engine then computes the report from exactly those accepted
 * polls (sorted, last ingested winning), and every window of every store
 * must be equal to the half-microsecond, for several as_of values in the
 * retained range, before and after a checkpoint round trip.  A fixed case
 * checks late handling by hand.
 */
#include "store_table.h"
#include "sm/xalloc.h"
#include "test.h"

#include <stdlib.h>

#define H SM_USEC_PER_HOUR

static uint64_t rng_state;

static uint64_t rnd(void) {
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static int64_t rnd_range(int64_t lo, int64_t hi) {
        return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

struct ev {
        int store;    /* store number */
        sm_usec_t ts; /* poll time */
        int active;   /* status */
};

#define NSTORES 12

static const char *zones[] = {"America/New_York", "Australia/Sydney", "UTC",
                              "America/Chicago"};

static void check_against_batch(sm_store_table_t *t,
                                struct ev *acc,
                                size_t nacc,
                                sm_hours_rule_t rules[][4],
                                size_t *nrules,
                                const sm_zone_t **zone,
                                sm_usec_t as_of,
                                int *mismatches) {
        const sm_table_row_t *rows;
        size_t nrows       = sm_store_table_report(t, as_of, &rows);
        size_t seen        = 0;
        sm_interval_t *ivs = NULL;
        size_t cap         = 0;

        for (int s = 0; s < NSTORES; s++) {
                sm_poll_t *p = sm_xcalloc(nacc + 1, sizeof(*p));
                size_t n     = 0, nopen;
                sm_windows_t w;
                char id[16];
                snprintf(id, sizeof(id), "store-%02d", s);
                for (size_t i = 0; i < nacc; i++)
                        if (acc[i].store == s && acc[i].ts <= as_of)
                                p[n++] = (sm_poll_t){acc[i].ts, (uint32_t)i,
                                                     (uint8_t)acc[i].active};
                n = sm_engine_sort_dedup(p, n);
                if (n == 0) {
                        free(p);
                        continue;
                }
                nopen = sm_engine_open_intervals(rules[s], nrules[s], zone[s],
                                                 as_of - SM_USEC_PER_WEEK,
                                                 as_of, &ivs, &cap);
                sm_engine_windows(p, n, ivs, nopen, as_of, &w);
                free(p);
                if (seen >= nrows || strcmp(rows[seen].store_id, id) != 0) {
                        TEST_FAIL_AT("store %s missing from table report", id);
                        (*mismatches)++;
                        continue;
                }
                for (int k = 0; k < SM_WIN_COUNT; k++) {
                        if (w.up2[k] != rows[seen].w.up2[k] ||
                            w.down2[k] != rows[seen].w.down2[k]) {
                                TEST_FAIL_AT(
                                        "%s window %d: batch %lld/%lld "
                                        "table %lld/%lld",
                                        id, k, (long long)w.up2[k],
                                        (long long)w.down2[k],
                                        (long long)rows[seen].w.up2[k],
                                        (long long)rows[seen].w.down2[k]);
                                (*mismatches)++;
                        }
                }
                seen++;
        }
        ASSERT_EQ(seen, nrows);
        free(ivs);
}

static void random_round(uint64_t seed) {
        const sm_usec_t grace  = 2 * H;
        const sm_usec_t retain = 24 * H;
        const sm_usec_t t0 = sm_days_from_civil(2023, 3, 20) * SM_USEC_PER_DAY;
        sm_hours_rule_t rules[NSTORES][4];
        size_t nrules[NSTORES];
        const sm_zone_t *zone[NSTORES];
        struct ev *evs = NULL, *acc = NULL;
        size_t nev = 0, cap = 0, nacc = 0;
        sm_store_table_t *t = sm_store_table_new(grace, retain);
        int mismatches      = 0;
        int late = 0, noop = 0;

        rng_state = seed;
        for (int s = 0; s < NSTORES; s++) {
                const char *why;
                char id[16];
                nrules[s] = (size_t)rnd_range(0, 4);
                for (size_t r = 0; r < nrules[s]; r++)
                        rules[s][r] = (sm_hours_rule_t){
                                (int8_t)rnd_range(0, 6),
                                (int32_t)rnd_range(0, 95) * 900,
                                (int32_t)rnd_range(0, 95) * 900};
                zone[s] = sm_zone_get(zones[s % 4], strlen(zones[s % 4]), &why);
                snprintf(id, sizeof(id), "store-%02d", s);
                sm_store_table_set_hours(t, id, strlen(id), rules[s],
                                         nrules[s]);
                sm_store_table_set_zone(t, id, strlen(id), zone[s]);
                /* ~10 days of polls, roughly hourly or every few minutes,
                 * with long runs and flapping. */
                {
                        sm_usec_t ts = t0 + rnd_range(0, 3 * H);
                        int active   = 1;
                        int dense    = (int)(rnd() % 3 == 0);
                        while (ts < t0 + 10 * SM_USEC_PER_DAY) {
                                if (rnd() % 10 == 0)
                                        active = !active;
                                sm_xgrow((void **)&evs, &cap, nev + 2,
                                         sizeof(*evs));
                                evs[nev++] = (struct ev){s, ts, active};
                                if (rnd() % 25 == 0) /* redelivery */
                                {
                                        evs[nev] = evs[nev - 1];
                                        nev++;
                                }
                                ts += dense ? rnd_range(60, 600) *
                                                      SM_USEC_PER_SEC
                                            : rnd_range(40, 80) *
                                                      SM_USEC_PER_MIN;
                        }
                }
        }
        /* Time order, then disorder: local swaps within ~1 h, and a few
         * polls moved far later in the stream (late beyond grace). */
        for (size_t i = 1; i < nev; i++) {
                struct ev e = evs[i];
                size_t j    = i;
                while (j > 0 && evs[j - 1].ts > e.ts) {
                        evs[j] = evs[j - 1];
                        j--;
                }
                evs[j] = e;
        }
        for (size_t i = 0; i + 1 < nev; i++)
                if (rnd() % 4 == 0 && evs[i + 1].ts - evs[i].ts < H) {
                        struct ev e = evs[i];
                        evs[i]      = evs[i + 1];
                        evs[i + 1]  = e;
                }
        /* Polls arriving just inside the grace period: their true
         * predecessor may already lie below the compaction cut. */
        for (int k = 0; k < 40; k++) {
                size_t i    = (size_t)rnd_range(0, (int64_t)nev - 2);
                size_t j    = i;
                struct ev e = evs[i];
                while (j + 1 < nev &&
                       evs[j + 1].ts < e.ts + grace - SM_USEC_PER_MIN)
                        j++;
                memmove(&evs[i], &evs[i + 1], (j - i) * sizeof(*evs));
                evs[j] = e;
        }
        for (int k = 0; k < 30; k++) {
                size_t i    = (size_t)rnd_range(0, (int64_t)nev / 2);
                size_t j    = i + (size_t)rnd_range(1, (int64_t)nev / 3);
                struct ev e = evs[i];
                if (rnd() % 2)
                        e.active = !e.active; /* a conflicting late poll */
                memmove(&evs[i], &evs[i + 1], (j - i) * sizeof(*evs));
                evs[j] = e;
        }
        acc = sm_xcalloc(nev, sizeof(*acc));
        for (size_t i = 0; i < nev; i++) {
                char id[16];
                enum sm_apply_result r;
                snprintf(id, sizeof(id), "store-%02d", evs[i].store);
                r = sm_store_table_apply_poll(t, id, strlen(id), evs[i].ts,
                                              evs[i].active);
                if (r == SM_APPLY_LATE)
                        late++;
                else
                        acc[nacc++] = evs[i];
                noop += r == SM_APPLY_LATE_NOOP;
        }
        ASSERT_TRUE(late > 0); /* the test must exercise refusals */
        ASSERT_TRUE(noop > 0); /* and late polls that change nothing */
        {
                sm_usec_t wm       = sm_store_table_watermark(t);
                sm_usec_t as_ofs[] = {wm, wm - 1, wm - 37 * SM_USEC_PER_MIN,
                                      wm - 5 * H - 3, wm - retain};
                sm_store_table_stats_t st;
                uint8_t *buf;
                size_t len;
                char errstr[128];
                sm_store_table_t *t2;

                sm_store_table_compact_all(t);
                for (size_t k = 0; k < sizeof(as_ofs) / sizeof(as_ofs[0]); k++)
                        check_against_batch(t, acc, nacc, rules, nrules, zone,
                                            as_ofs[k], &mismatches);
                sm_store_table_stats(t, &st);
                /* Compaction keeps far fewer polls than were applied. */
                ASSERT_TRUE(st.polls_kept < st.applied);
                len = sm_store_table_save(t, &buf);
                t2  = sm_store_table_load(buf, len, errstr, sizeof(errstr));
                ASSERT_TRUE(t2 != NULL);
                if (t2) {
                        for (size_t k = 0;
                             k < sizeof(as_ofs) / sizeof(as_ofs[0]); k++)
                                check_against_batch(t2, acc, nacc, rules,
                                                    nrules, zone, as_ofs[k],
                                                    &mismatches);
                        /* Truncated checkpoints are refused. */
                        for (size_t cut = 0; cut < len; cut += 1 + len / 50)
                                ASSERT_TRUE(sm_store_table_load(
                                                    buf, cut, errstr,
                                                    sizeof(errstr)) == NULL);
                        /* So is one with a bit flipped anywhere (a poll's
                         * status or time included, which would otherwise
                         * load as a different, plausible state). */
                        for (size_t at = 0; at < len; at += 1 + len / 200) {
                                buf[at] ^= (uint8_t)(1u << (at % 8));
                                ASSERT_TRUE(sm_store_table_load(
                                                    buf, len, errstr,
                                                    sizeof(errstr)) == NULL);
                                buf[at] ^= (uint8_t)(1u << (at % 8));
                        }
                }
                sm_store_table_destroy(t2);
                free(buf);
        }
        ASSERT_EQ(mismatches, 0);
        sm_store_table_destroy(t);
        free(evs);
        free(acc);
}

static void test_late_by_hand(void) {
        /* Grace 1 h.  Polls A@0h A@1h A@2h I@3h A@10h move the cut to 9h:
         * 1h is compacted away (interior of the A run 0h-2h). */
        sm_store_table_t *t = sm_store_table_new(H, 48 * H);
        const sm_usec_t b   = 1000 * SM_USEC_PER_WEEK;
        const char *id      = "s";
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b, 1), SM_APPLY_APPLIED);
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b + H, 1),
                  SM_APPLY_APPLIED);
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b + 2 * H, 1),
                  SM_APPLY_APPLIED);
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b + 3 * H, 0),
                  SM_APPLY_APPLIED);
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b + 10 * H, 1),
                  SM_APPLY_APPLIED);
        /* Redelivery of a compacted-away poll inside its run: no change. */
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b + H, 1),
                  SM_APPLY_LATE_NOOP);
        /* Same instant as a kept poll, same status: a duplicate. */
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b + 3 * H, 0),
                  SM_APPLY_DUPLICATE);
        /* A different status inside the run would change the past. */
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b + 90 * SM_USEC_PER_MIN,
                                            0),
                  SM_APPLY_LATE);
        /* Within the grace period everything is applied exactly. */
        ASSERT_EQ(sm_store_table_apply_poll(t, id, 1, b + 9 * H + 30, 0),
                  SM_APPLY_APPLIED);
        {
                sm_store_table_stats_t st;
                sm_store_table_stats(t, &st);
                ASSERT_EQ(st.applied, 6);
                ASSERT_EQ(st.late, 1);
                ASSERT_EQ(st.late_noop, 1);
                ASSERT_EQ(st.duplicates, 1);
                ASSERT_EQ(st.polls_kept, 5); /* 0h 2h 3h 9h+ 10h */
        }
        sm_store_table_destroy(t);
}

int main(void) {
        test_late_by_hand();
        for (uint64_t seed = 1; seed <= 40; seed++)
                random_round(seed);
        sm_zone_cache_clear();
        TEST_DONE();
}
