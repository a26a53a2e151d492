/*
 * gateway_results: the results thread.  It consumes report-results and
 * reporter-progress, materializes the parts of Running reports in SQLite,
 * completes or fails them, and publishes one ReportReady per completed
 * report.
 *
 * Per batch of records (one transaction):
 *   - a progress record updates the progress table (gateway_progress.h)
 *     at once, so a waiting trigger wakes without waiting for the batch;
 *   - a ReportPart of a Running report goes through the report's
 *     assembler (sm_report_asm_*, reportreq.h), which keeps one copy of
 *     each (partition, part) and checks the parts agree on as_of; a new
 *     part is stored with INSERT OR IGNORE (gateway_db.h), a redelivered
 *     one changes nothing, one contradicting the report fails it;
 *   - the next offset of each report-results partition is stored in the
 *     same transaction, so a restart resumes exactly after what is
 *     stored (the broker's group offsets are not used);
 *   - a report whose partitions are all in gets its CSV built once
 *     (sorted by store id), stored, and becomes Complete.
 * After the commit the cache is updated (clients see the new status) and
 * each completed report is announced.
 *
 * Announcing: Complete and not yet announced -> ReportReady produced
 * (idempotent producer) -> on its delivery report, `announced` is stored.
 * At startup every Complete report not announced is announced again.  A
 * crash after the broker took the event but before `announced` is stored
 * announces it twice (at-least-once); nothing else can.
 *
 * Timeouts: a report Running longer than report-timeout (from its
 * requested_at) fails with the number of partitions that answered.
 * They are only checked once the consumer has caught up since the start,
 * so after a long stop the parts already in Kafka are read first.
 */
#ifndef SM_GATEWAY_RESULTS_H
#define SM_GATEWAY_RESULTS_H

#include <stddef.h>

#include "gateway.h"
#include "gateway_cache.h"
#include "gateway_conf.h"
#include "gateway_db.h"
#include "gateway_metrics.h"
#include "gateway_progress.h"

typedef struct sm_gw_results_s sm_gw_results_t;

/** What the results thread works with (all borrowed, outliving it). */
typedef struct sm_gw_results_deps {
        const sm_gw_settings_t *s;  /* settings */
        sm_gw_cache_t *cache;       /* statuses and bodies */
        sm_gw_metrics_t *metrics;   /* counters */
        sm_gw_progress_t *progress; /* the reporters' progress */
        const char *public_url;     /* base of report URLs */
        int32_t nparts;             /* partitions of report-requests */
} sm_gw_results_deps_t;

/**
 * @brief Sets up the consumer and the ReportReady producer, loads every
 *   stored report into the cache and rebuilds the Running ones from
 *   their stored parts.
 * @param db  the connection the thread will own (taken, even on error).
 * @returns the results, or NULL with errstr filled.
 */
sm_gw_results_t *sm_gw_results_new(const sm_gw_results_deps_t *deps,
                                   sm_gw_db_t *db,
                                   char *errstr,
                                   size_t errstr_size);

/** @brief Starts the thread.  @returns 0 or a negative errno. */
int sm_gw_results_start(sm_gw_results_t *res);

/**
 * @brief Hands a new Running report (already stored) to the thread.  It
 *   is known to the thread before any of its parts is handled when this
 *   is called before its requests are published.  Thread-safe.
 */
void sm_gw_results_add(sm_gw_results_t *res, const sm_gw_report_t *r);

/** @brief Asks the thread to fail a Running report with reason.
 *  Thread-safe. */
void sm_gw_results_fail(sm_gw_results_t *res,
                        const char *id,
                        const char *reason);

/** @brief Whether the database took the last write (1) or not (0). */
int sm_gw_results_db_ok(sm_gw_results_t *res);

/** @brief Whether the broker answered the last metadata probe. */
int sm_gw_results_kafka_ok(sm_gw_results_t *res);

/** @brief 1 after a fatal error (the database refused a write, or a
 *  fatal Kafka error): the service must stop. */
int sm_gw_results_failed(sm_gw_results_t *res);

/** @brief Stops the thread (finishing its batch), then waits for the
 *  ReportReady events in flight and stores their delivery. */
void sm_gw_results_stop(sm_gw_results_t *res);

/** @brief Frees everything (stops first if needed).  res may be NULL. */
void sm_gw_results_destroy(sm_gw_results_t *res);

#endif
