/*
 * engine: per-store report computation (see engine.h for the design).
 */
#include "engine.h"
#include "sm/xalloc.h"

#include <stdlib.h>

const sm_usec_t sm_window_len[SM_WIN_COUNT] = {
        SM_USEC_PER_HOUR,
        SM_USEC_PER_DAY,
        SM_USEC_PER_WEEK,
};

static int64_t floor_div(int64_t a, int64_t b) {
        int64_t q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int cmp_interval(const void *a, const void *b) {
        const sm_interval_t *x = a, *y = b;
        if (x->from != y->from)
                return x->from < y->from ? -1 : 1;
        return (x->to > y->to) - (x->to < y->to);
}

static void push_interval(sm_interval_t **buf,
                          size_t *cap,
                          size_t *n,
                          sm_usec_t from,
                          sm_usec_t to,
                          sm_usec_t lo,
                          sm_usec_t hi) {
        if (from < lo)
                from = lo;
        if (to > hi)
                to = hi;
        if (to <= from)
                return;
        sm_xgrow((void **)buf, cap, *n + 1, sizeof(**buf));
        (*buf)[(*n)++] = (sm_interval_t){from, to};
}

size_t sm_engine_open_intervals(const sm_hours_rule_t *rules,
                                size_t nrules,
                                const sm_zone_t *zone,
                                sm_usec_t from,
                                sm_usec_t to,
                                sm_interval_t **ret_buf,
                                size_t *ret_cap) {
        size_t n = 0, merged;
        int64_t first_day, last_day;

        if (to <= from)
                return 0;
        if (nrules == 0) {
                push_interval(ret_buf, ret_cap, &n, from, to, from, to);
                return n;
        }
        /* Local dates whose hours can reach [from, to): a rule starting on
         * date D ends at most two local days later (overnight), and local
         * dates are within a day of UTC dates. */
        first_day = floor_div(from, SM_USEC_PER_DAY) - 3;
        last_day  = floor_div(to - 1, SM_USEC_PER_DAY) + 1;
        for (int64_t d = first_day; d <= last_day; d++) {
                int wd = sm_weekday_from_days(d);
                for (size_t i = 0; i < nrules; i++) {
                        const sm_hours_rule_t *r = &rules[i];
                        sm_usec_t s, e;
                        if (r->day != wd)
                                continue;
                        s = sm_zone_local_to_utc(zone, d, r->start);
                        if (r->end > r->start)
                                e = sm_zone_local_to_utc(zone, d, r->end);
                        else if (r->end < r->start)
                                e = sm_zone_local_to_utc(zone, d + 1, r->end);
                        else
                                e = sm_zone_local_to_utc(zone, d + 1, r->start);
                        push_interval(ret_buf, ret_cap, &n, s, e, from, to);
                }
        }
        if (n < 2)
                return n;
        qsort(*ret_buf, n, sizeof(**ret_buf), cmp_interval);
        merged = 0;
        for (size_t i = 1; i < n; i++) {
                sm_interval_t *cur = &(*ret_buf)[merged];
                if ((*ret_buf)[i].from <= cur->to) {
                        if ((*ret_buf)[i].to > cur->to)
                                cur->to = (*ret_buf)[i].to;
                } else {
                        (*ret_buf)[++merged] = (*ret_buf)[i];
                }
        }
        return merged + 1;
}

static inline int poll_less(const sm_poll_t *x, const sm_poll_t *y) {
        return x->ts < y->ts || (x->ts == y->ts && x->seq < y->seq);
}

static void swap_polls(sm_poll_t *a, sm_poll_t *b) {
        sm_poll_t t = *a;
        *a          = *b;
        *b          = t;
}

/* Sorts by (ts, seq): quicksort with median-of-three pivots and insertion
 * sort for short ranges; the comparison is inlined, which matters for the
 * millions of polls of a bulk report (qsort's indirect calls cost twice as
 * much). */
static void sort_polls(sm_poll_t *p, size_t n) {
        while (n > 16) {
                size_t mid = n / 2, i = 0, j = n - 1;
                sm_poll_t pivot;
                if (poll_less(&p[mid], &p[0]))
                        swap_polls(&p[mid], &p[0]);
                if (poll_less(&p[n - 1], &p[0]))
                        swap_polls(&p[n - 1], &p[0]);
                if (poll_less(&p[n - 1], &p[mid]))
                        swap_polls(&p[n - 1], &p[mid]);
                pivot = p[mid];
                for (;;) {
                        while (poll_less(&p[i], &pivot))
                                i++;
                        while (poll_less(&pivot, &p[j]))
                                j--;
                        if (i >= j)
                                break;
                        swap_polls(&p[i], &p[j]);
                        i++;
                        j--;
                }
                /* Recurse into the smaller side, loop on the larger. */
                if (j + 1 < n - j - 1) {
                        sort_polls(p, j + 1);
                        p += j + 1;
                        n -= j + 1;
                } else {
                        sort_polls(p + j + 1, n - j - 1);
                        n = j + 1;
                }
        }
        for (size_t i = 1; i < n; i++) {
                sm_poll_t x = p[i];
                size_t j    = i;
                while (j > 0 && poll_less(&x, &p[j - 1])) {
                        p[j] = p[j - 1];
                        j--;
                }
                p[j] = x;
        }
}

size_t sm_engine_sort_dedup(sm_poll_t *polls, size_t n) {
        size_t out = 0;
        int sorted = 1;

        for (size_t i = 1; i < n && sorted; i++)
                sorted = !poll_less(&polls[i], &polls[i - 1]);
        if (!sorted)
                sort_polls(polls, n);
        for (size_t i = 0; i < n; i++) {
                /* Within one instant the largest seq is last: keep it. */
                if (i + 1 < n && polls[i + 1].ts == polls[i].ts)
                        continue;
                polls[out++] = polls[i];
        }
        return out;
}

void sm_engine_windows(const sm_poll_t *polls,
                       size_t n,
                       const sm_interval_t *open,
                       size_t nopen,
                       sm_usec_t now,
                       sm_windows_t *out) {
        int64_t wstart2[SM_WIN_COUNT];
        const int64_t now2 = 2 * now;
        size_t k           = 0; /* current status segment */
        size_t r;               /* last poll of k's run of one status */

        for (int w = 0; w < SM_WIN_COUNT; w++) {
                out->up2[w]   = 0;
                out->down2[w] = 0;
                wstart2[w]    = 2 * (now - sm_window_len[w]);
        }
        if (n == 0)
                return;
        for (size_t i = 0; i < nopen; i++) {
                int64_t a = 2 * open[i].from, b = 2 * open[i].to;
                if (a < wstart2[SM_WIN_WEEK])
                        a = wstart2[SM_WIN_WEEK];
                if (b > now2)
                        b = now2;
                while (a < b) {
                        /* Segment k is [mid(k-1), mid(k)) with status of
                         * poll k; mid(k) = t(k) + t(k+1) in doubled units. */
                        int64_t seg_end;
                        while (k + 1 < n && polls[k].ts + polls[k + 1].ts <= a)
                                k++;
                        /* Polls of one status in a row make one segment:
                         * only midpoints between different statuses
                         * matter, so dense polling costs a scan, not a
                         * window update per poll. */
                        r = k;
                        while (r + 1 < n &&
                               polls[r + 1].active == polls[k].active)
                                r++;
                        seg_end = r + 1 < n ? polls[r].ts + polls[r + 1].ts
                                            : INT64_MAX;
                        if (seg_end > b)
                                seg_end = b;
                        for (int w = 0; w < SM_WIN_COUNT; w++) {
                                int64_t lo = a > wstart2[w] ? a : wstart2[w];
                                if (seg_end <= lo)
                                        continue;
                                if (polls[k].active)
                                        out->up2[w] += seg_end - lo;
                                else
                                        out->down2[w] += seg_end - lo;
                        }
                        a = seg_end;
                }
        }
}

double sm_engine_report_value(enum sm_window w, int64_t len2) {
        double usec = (double)len2 / 2.0;
        if (w == SM_WIN_HOUR)
                return usec / (double)SM_USEC_PER_MIN;
        return usec / (double)SM_USEC_PER_HOUR;
}

sm_report_row_t
sm_engine_report_row(const char *store_id, size_t len, const sm_windows_t *w) {
        return (sm_report_row_t){
                .store_id         = store_id,
                .store_id_len     = len,
                .uptime_last_hour = sm_engine_report_value(SM_WIN_HOUR,
                                                           w->up2[SM_WIN_HOUR]),
                .uptime_last_day =
                        sm_engine_report_value(SM_WIN_DAY, w->up2[SM_WIN_DAY]),
                .uptime_last_week   = sm_engine_report_value(SM_WIN_WEEK,
                                                             w->up2[SM_WIN_WEEK]),
                .downtime_last_hour = sm_engine_report_value(
                        SM_WIN_HOUR, w->down2[SM_WIN_HOUR]),
                .downtime_last_day = sm_engine_report_value(
                        SM_WIN_DAY, w->down2[SM_WIN_DAY]),
                .downtime_last_week = sm_engine_report_value(
                        SM_WIN_WEEK, w->down2[SM_WIN_WEEK]),
        };
}
