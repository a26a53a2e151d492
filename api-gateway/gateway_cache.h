/*
 * gateway_cache: every report's status in memory, and the CSV and JSON
 * bodies of complete reports within a byte budget.
 *
 * get_report is the hot path (thousands of requests a second), so it
 * never touches SQLite: the cache holds every report the database holds
 * (loaded at startup, then kept current by the trigger and results
 * threads), so a miss is a definite 404.  The bodies of complete reports
 * are blobs (gateway.h) shared with the responses being sent; beyond
 * the budget the least recently served bodies are dropped and reloaded
 * from SQLite on the next request (sm_gw_cache_set_bodies()).
 *
 * Threads: one pthread rwlock guards the table; lookups take it shared,
 * so HTTP threads never wait for each other.  Everything here is
 * thread-safe.
 */
#ifndef SM_GATEWAY_CACHE_H
#define SM_GATEWAY_CACHE_H

#include "gateway.h"

typedef struct sm_gw_cache_s sm_gw_cache_t;

/** @brief An empty cache keeping at most about budget bytes of bodies
 *  (a body larger than the budget is kept until another one comes). */
sm_gw_cache_t *sm_gw_cache_new(int64_t budget);
void sm_gw_cache_destroy(sm_gw_cache_t *c);

/**
 * @brief Adds a report or replaces what is known about it, in one step
 *   with its bodies when given (each taken by a new reference; NULL keeps
 *   the current one).  Bodies are dropped when it is not Complete.
 */
void sm_gw_cache_put(sm_gw_cache_t *c,
                     const sm_gw_report_t *r,
                     sm_gw_blob_t *csv,
                     sm_gw_blob_t *json);

/** @brief Sets partitions_done of a known Running report. */
void sm_gw_cache_set_done(sm_gw_cache_t *c, const char *id, int32_t done);

/**
 * @brief Looks a report up.
 * @param ret       filled with a copy of the report.
 * @param ret_csv   when not NULL: a new reference to its CSV body, or
 *   NULL when not in memory.  The caller unrefs it.
 * @param ret_json  the same for its JSON answer.
 * @returns 0, or -ENOENT for an unknown id (nothing is written then).
 */
int sm_gw_cache_get(sm_gw_cache_t *c,
                    const char *id,
                    sm_gw_report_t *ret,
                    sm_gw_blob_t **ret_csv,
                    sm_gw_blob_t **ret_json);

/**
 * @brief Attaches bodies to a Complete report (each taken by a new
 *   reference; NULL keeps the current one), then drops the least recently
 *   served bodies of other reports beyond the budget.  Ignored for an
 *   unknown or not Complete report.
 */
void sm_gw_cache_set_bodies(sm_gw_cache_t *c,
                            const char *id,
                            sm_gw_blob_t *csv,
                            sm_gw_blob_t *json);

/** @brief Reports per status (counts has SM_GW__STATUS_CNT entries). */
void sm_gw_cache_counts(sm_gw_cache_t *c, uint64_t *counts);

/** @brief Bytes of bodies held. */
int64_t sm_gw_cache_body_bytes(sm_gw_cache_t *c);

#endif
