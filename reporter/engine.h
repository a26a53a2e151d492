/*
 * engine: the numbers of the report, per SPEC, for one store.
 *
 * Everything here is pure computation over one store's data, with `now`
 * passed in: no I/O, no globals, so the batch command, the streaming
 * reporter and the tests all run the very same code.
 *
 * - Business hours -> merged UTC open intervals (sm_engine_open_intervals):
 *   each weekday rule is laid on every local date that can touch the
 *   window, converted with the store's zone (tz.h resolves DST as SPEC
 *   says), clipped, sorted and merged; no rule at all means open 24x7.
 * - Interpolation and windows (sm_engine_windows): status between polls is
 *   the nearest poll's, switching at the midpoint; before the first poll
 *   and after the last it is extrapolated.  The three windows
 *   [now-1h, now), [now-24h, now), [now-7d, now) are summed in one sweep.
 *
 * Exactness: instants are integer microseconds; a midpoint between two
 * polls may fall on a half microsecond, so the sweep works in doubled
 * units ("half-microseconds") and every length it returns is exact.
 */
#ifndef SM_ENGINE_H
#define SM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "sm/report.h"
#include "sm/timeutil.h"
#include "sm/tz.h"

/** One poll of a store. */
typedef struct sm_poll {
        sm_usec_t ts;   /* poll instant, UTC */
        uint32_t seq;   /* ingestion order: the later one wins a tie */
        uint8_t active; /* 1 active, 0 inactive */
} sm_poll_t;

/** One business-hours rule in local time. */
typedef struct sm_hours_rule {
        int8_t day;    /* 0 = Monday ... 6 = Sunday */
        int32_t start; /* seconds since local midnight */
        int32_t end;   /* seconds since local midnight; == start: full day */
} sm_hours_rule_t;

/** A half-open UTC interval [from, to). */
typedef struct sm_interval {
        sm_usec_t from; /* first instant inside */
        sm_usec_t to;   /* first instant after */
} sm_interval_t;

enum sm_window { SM_WIN_HOUR = 0, SM_WIN_DAY, SM_WIN_WEEK, SM_WIN_COUNT };

/** Up and down time of one store, per window, in half-microseconds. */
typedef struct sm_windows {
        int64_t up2[SM_WIN_COUNT];   /* uptime x 2 (half-microseconds) */
        int64_t down2[SM_WIN_COUNT]; /* downtime x 2 (half-microseconds) */
} sm_windows_t;

/** @brief Length of each window in microseconds. */
extern const sm_usec_t sm_window_len[SM_WIN_COUNT];

/**
 * @brief The store's open intervals within [from, to), sorted and merged.
 * @param rules   the accepted rules (any order); nrules == 0 means 24x7.
 * @param zone    the store's zone.
 * @param ret_buf, ret_cap  a growable output array (reused across calls).
 * @returns the number of intervals written to *ret_buf.
 */
size_t sm_engine_open_intervals(const sm_hours_rule_t *rules,
                                size_t nrules,
                                const sm_zone_t *zone,
                                sm_usec_t from,
                                sm_usec_t to,
                                sm_interval_t **ret_buf,
                                size_t *ret_cap);

/**
 * @brief Sorts polls by (ts, seq) and keeps, for each instant, the poll
 *   with the largest seq (the one ingested last).
 * @returns the new count.
 */
size_t sm_engine_sort_dedup(sm_poll_t *polls, size_t n);

/**
 * @brief Up/down time per window.
 * @param polls  sorted, deduplicated polls, all at or before now; n >= 1.
 * @param open   merged open intervals (any extent; clipped here).
 */
void sm_engine_windows(const sm_poll_t *polls,
                       size_t n,
                       const sm_interval_t *open,
                       size_t nopen,
                       sm_usec_t now,
                       sm_windows_t *out);

/** @brief A window's up or down time in report units: minutes for the
 *  hour window, hours for day and week. */
double sm_engine_report_value(enum sm_window w, int64_t len2);

/** @brief A store's report row (id borrowed) from its window sums. */
sm_report_row_t
sm_engine_report_row(const char *store_id, size_t len, const sm_windows_t *w);

#endif
