/*
 * store_table: the rolling per-store state of one partition, as the
 * streaming reporter keeps it.
 *
 * For every store: its zone, its latest weekly schedule, and its polls,
 * kept so that the report is exact (the same as the batch engine's on the
 * same accepted polls) for any as_of from `watermark - retain` on, while
 * memory is bounded by status changes rather than by polls:
 *
 * - Polls newer than `watermark - grace` are kept as they came (sorted,
 *   one per instant, the last ingested winning): a late poll inside the
 *   grace period is applied exactly.
 * - Older polls are compacted: of a run of polls with one status only the
 *   first and the last are kept.  The status at every instant, for every
 *   as_of, is unchanged by this (the midpoints that matter are the ones
 *   between polls of different status, and a cut at as_of inside a run
 *   extrapolates the run's own status).
 * - Polls before `watermark - retain - 1 week` are dropped, except the
 *   last one of them, which decides the status at the start of the oldest
 *   window still answerable.
 *
 * A poll older than `watermark - grace` (the watermark is the largest poll
 * time applied to the partition) is late.  It is still applied when that
 * changes nothing (a redelivery, or a poll inside a run of its own status);
 * otherwise it is refused and counted, never silently miscounted.
 *
 * A report is computed per store by the engine over the compacted polls
 * and the store's open intervals (cached per store and recomputed only
 * when the schedule, the zone or the day range changes), so its cost is
 * proportional to stores and status changes, not to polls.
 */
#ifndef SM_STORE_TABLE_H
#define SM_STORE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "sm/timeutil.h"
#include "sm/tz.h"

typedef struct sm_store_table_s sm_store_table_t;

/** What became of one poll. */
enum sm_apply_result {
        SM_APPLY_APPLIED = 0, /* the poll is part of the state */
        SM_APPLY_DUPLICATE,   /* same instant and status already there */
        SM_APPLY_LATE_NOOP,   /* late, but changes nothing: accepted */
        SM_APPLY_LATE,        /* late and would change the past: refused */
};

/** Counters of a table. */
typedef struct sm_store_table_stats {
        uint64_t applied;    /* polls applied */
        uint64_t duplicates; /* redeliveries that changed nothing */
        uint64_t late_noop;  /* late polls that changed nothing */
        uint64_t late;       /* late polls refused */
        uint64_t stores;     /* stores known */
        uint64_t polls_kept; /* polls held after compaction */
} sm_store_table_stats_t;

/** One row of a report, in report units. */
typedef struct sm_table_row {
        const char *store_id; /* borrowed from the table */
        size_t store_id_len;  /* its length */
        sm_windows_t w;       /* window sums */
} sm_table_row_t;

/**
 * @brief A new, empty table.
 * @param grace   how far behind the watermark a poll is still applied
 *   exactly (µs).
 * @param retain  how far before the watermark an as_of stays answerable
 *   exactly (µs).
 */
sm_store_table_t *sm_store_table_new(sm_usec_t grace, sm_usec_t retain);
void sm_store_table_destroy(sm_store_table_t *t);

/** @brief Applies one poll (in ingestion order). */
enum sm_apply_result sm_store_table_apply_poll(sm_store_table_t *t,
                                               const char *id,
                                               size_t len,
                                               sm_usec_t ts,
                                               int active);

/** @brief Compacts every store up to the current watermark (stores that
 *  get no new polls are otherwise compacted only when one comes). */
void sm_store_table_compact_all(sm_store_table_t *t);

/** @brief Replaces a store's weekly schedule (nrules == 0: open 24x7). */
void sm_store_table_set_hours(sm_store_table_t *t,
                              const char *id,
                              size_t len,
                              const sm_hours_rule_t *rules,
                              size_t nrules);

/** @brief Sets a store's zone (NULL: the default zone). */
void sm_store_table_set_zone(sm_store_table_t *t,
                             const char *id,
                             size_t len,
                             const sm_zone_t *zone);

/** @brief The largest poll time applied, or INT64_MIN when none. */
sm_usec_t sm_store_table_watermark(const sm_store_table_t *t);

/**
 * @brief The report rows of every store with a poll at or before as_of,
 *   sorted by store id (byte order).
 * @returns the number of rows; *ret_rows is an array owned by the table,
 *   valid until the next call on the table.
 */
size_t sm_store_table_report(sm_store_table_t *t,
                             sm_usec_t as_of,
                             const sm_table_row_t **ret_rows);

void sm_store_table_stats(const sm_store_table_t *t,
                          sm_store_table_stats_t *ret);

/**
 * @brief Serializes the whole table (for checkpoints) into a malloc'ed
 *   buffer.  @returns its size; *ret_buf is the caller's to free.
 */
size_t sm_store_table_save(const sm_store_table_t *t, uint8_t **ret_buf);

/**
 * @brief Rebuilds a table from sm_store_table_save()'s bytes.
 * @returns the table, or NULL with errstr filled when the bytes are not a
 *   valid checkpoint.
 */
sm_store_table_t *sm_store_table_load(const uint8_t *buf,
                                      size_t len,
                                      char *errstr,
                                      size_t errstr_size);

#endif
