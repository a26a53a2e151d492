/*
 * test_engine: hand-worked checks of the engine's pieces: open intervals
 * (24x7, overnight, full day, merging, DST gap), poll de-duplication, and
 * window sums including a half-microsecond midpoint.
 */
#include "engine.h"
#include "test.h"

#include <stdlib.h>

#define H SM_USEC_PER_HOUR
#define M SM_USEC_PER_MIN

static const sm_zone_t *zone(const char *name) {
        const char *why;
        return sm_zone_get(name, strlen(name), &why);
}

/* 2023-01-23 is a Monday. */
static sm_usec_t monday(void) {
        return sm_days_from_civil(2023, 1, 23) * SM_USEC_PER_DAY;
}

static void test_worked_example(void) {
        const sm_usec_t mon     = monday();
        sm_hours_rule_t rules[] = {{0, 9 * 3600, 12 * 3600}};
        sm_poll_t polls[]       = {{mon + 10 * H + 14 * M, 0, 1},
                                   {mon + 11 * H + 15 * M, 1, 0}};
        sm_interval_t *iv       = NULL;
        size_t cap              = 0, n;
        sm_windows_t w;
        const sm_usec_t now = mon + 12 * H;

        n = sm_engine_open_intervals(rules, 1, zone("UTC"),
                                     now - SM_USEC_PER_WEEK, now, &iv, &cap);
        ASSERT_EQ(n, 1);
        ASSERT_EQ(iv[0].from, mon + 9 * H);
        ASSERT_EQ(iv[0].to, mon + 12 * H);
        sm_engine_windows(polls, 2, iv, n, now, &w);
        /* Midpoint 10:44:30: up 09:00-10:44:30, down 10:44:30-12:00. */
        ASSERT_EQ(w.up2[SM_WIN_HOUR], 0);
        ASSERT_EQ(w.down2[SM_WIN_HOUR], 2 * 60 * M);
        ASSERT_EQ(w.up2[SM_WIN_DAY], 2 * (104 * M + 30 * SM_USEC_PER_SEC));
        ASSERT_EQ(w.down2[SM_WIN_DAY], 2 * (75 * M + 30 * SM_USEC_PER_SEC));
        ASSERT_EQ(w.up2[SM_WIN_WEEK], w.up2[SM_WIN_DAY]);
        ASSERT_NEAR(sm_engine_report_value(SM_WIN_DAY, w.up2[SM_WIN_DAY]),
                    1.741667, 1e-6);
        ASSERT_NEAR(sm_engine_report_value(SM_WIN_HOUR, w.down2[SM_WIN_HOUR]),
                    60.0, 1e-9);
        free(iv);
}

static void test_half_microsecond_midpoint(void) {
        /* Polls 1 us apart: the midpoint is at 0.5 us.  24x7 store. */
        const sm_usec_t now = 1000 * SM_USEC_PER_WEEK + 2;
        const sm_usec_t t0  = now - 2;
        sm_poll_t polls[]   = {{t0, 0, 1}, {t0 + 1, 1, 0}};
        sm_interval_t *iv   = NULL;
        size_t cap          = 0, n;
        sm_windows_t w;

        n = sm_engine_open_intervals(NULL, 0, zone("UTC"),
                                     now - SM_USEC_PER_WEEK, now, &iv, &cap);
        ASSERT_EQ(n, 1);
        sm_engine_windows(polls, 2, iv, n, now, &w);
        ASSERT_EQ(w.down2[SM_WIN_WEEK], 3); /* 1.5 us */
        ASSERT_EQ(w.up2[SM_WIN_WEEK], 2 * SM_USEC_PER_WEEK - 3);
        ASSERT_EQ(w.up2[SM_WIN_HOUR] + w.down2[SM_WIN_HOUR], 2 * H);
        free(iv);
}

static void test_extrapolation_single_poll(void) {
        const sm_usec_t now = monday() + 5 * SM_USEC_PER_DAY;
        sm_poll_t polls[]   = {{now - 3 * SM_USEC_PER_DAY, 0, 0}};
        sm_interval_t iv[]  = {{now - 10 * SM_USEC_PER_DAY, now + H}};
        sm_windows_t w;
        sm_engine_windows(polls, 1, iv, 1, now, &w);
        ASSERT_EQ(w.up2[SM_WIN_WEEK], 0);
        ASSERT_EQ(w.down2[SM_WIN_WEEK], 2 * SM_USEC_PER_WEEK);
        ASSERT_EQ(w.down2[SM_WIN_HOUR], 2 * H);
}

static void test_intervals(void) {
        const sm_usec_t mon = monday();
        const sm_usec_t now = mon + 7 * SM_USEC_PER_DAY; /* next Monday 0h */
        sm_interval_t *iv   = NULL;
        size_t cap          = 0, n;
        /* Sunday 22:00-02:00 overnight, Monday 01:00-03:00 overlapping it,
         * Wednesday full day (end == start). */
        sm_hours_rule_t rules[] = {
                {6, 22 * 3600, 2 * 3600},
                {0, 1 * 3600, 3 * 3600},
                {2, 10 * 3600, 10 * 3600},
        };
        n = sm_engine_open_intervals(rules, 3, zone("UTC"),
                                     now - SM_USEC_PER_WEEK, now, &iv, &cap);
        /* Week [Mon 0h, next Mon 0h): the previous Sunday's overnight
         * reaches Mon 00:00-02:00, merged with Mon 01:00-03:00; Wed 10:00
         * to Thu 10:00; Sun 22:00 to the window end. */
        ASSERT_EQ(n, 3);
        ASSERT_EQ(iv[0].from, mon);
        ASSERT_EQ(iv[0].to, mon + 3 * H);
        ASSERT_EQ(iv[1].from, mon + 2 * SM_USEC_PER_DAY + 10 * H);
        ASSERT_EQ(iv[1].to, mon + 3 * SM_USEC_PER_DAY + 10 * H);
        ASSERT_EQ(iv[2].from, mon + 6 * SM_USEC_PER_DAY + 22 * H);
        ASSERT_EQ(iv[2].to, now);
        free(iv);
}

static void test_dst_gap_row_is_empty(void) {
        /* SPEC: New York, Sunday 2023-03-12 02:30-03:15 maps to
         * 07:30-07:15 UTC, an empty interval. */
        const sm_usec_t sun = sm_days_from_civil(2023, 3, 12) * SM_USEC_PER_DAY;
        sm_hours_rule_t rules[] = {{6, 2 * 3600 + 30 * 60, 3 * 3600 + 900}};
        sm_interval_t *iv       = NULL;
        size_t cap              = 0, n;
        n = sm_engine_open_intervals(rules, 1, zone("America/New_York"),
                                     sun - SM_USEC_PER_DAY,
                                     sun + 2 * SM_USEC_PER_DAY, &iv, &cap);
        ASSERT_EQ(n, 0);
        free(iv);
}

static void test_sort_dedup(void) {
        sm_poll_t p[] = {{30, 0, 1}, {10, 1, 1}, {30, 2, 0},
                         {20, 3, 1}, {10, 4, 0}, {30, 5, 1}};
        size_t n      = sm_engine_sort_dedup(p, 6);
        ASSERT_EQ(n, 3);
        ASSERT_EQ(p[0].ts, 10);
        ASSERT_EQ(p[0].active, 0); /* seq 4 ingested after seq 1 */
        ASSERT_EQ(p[1].ts, 20);
        ASSERT_EQ(p[2].ts, 30);
        ASSERT_EQ(p[2].seq, 5);
        ASSERT_EQ(p[2].active, 1);
}

int main(void) {
        test_worked_example();
        test_half_microsecond_midpoint();
        test_extrapolation_single_poll();
        test_intervals();
        test_dst_gap_row_is_empty();
        test_sort_dedup();
        sm_zone_cache_clear();
        TEST_DONE();
}
