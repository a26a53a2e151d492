/*
 * gateway_trigger: the trigger thread, which turns trigger_report
 * requests into reports.
 *
 * The HTTP thread that received a trigger submits a job and suspends the
 * connection; this thread takes every job queued (a batch), then:
 *
 *   1. reads the end offsets of the store topics once for the batch
 *      (after every job of it arrived, so each client's acknowledged
 *      polls are below them: read-your-writes);
 *   2. for the jobs without as_of, waits (at most trigger-wait) until the
 *      reporters' progress covers those end offsets, and takes the largest
 *      watermark as as_of, so every reporter instance answers for the same
 *      instant; if progress does not catch up in time the requests carry
 *      no as_of (a single reporter instance then resolves it itself) and a
 *      warning is logged;
 *   3. per job: a new id (UUID v4), the report stored as Running (SQLite,
 *      cache, results thread), one ReportRequest copy per partition of
 *      report-requests with its partition's end offsets, and a wait for
 *      the broker's acknowledgement of every copy;
 *   4. completes the job (202, or 503 with the reason: the report, if one
 *      was stored, is then Failed) and calls its done callback, which
 *      resumes the connection.
 * The 202 is therefore only sent once the request is durably in Kafka.
 * Batching keeps a burst of triggers (or a slow progress wait) from
 * queueing one wait behind the other.
 */
#ifndef SM_GATEWAY_TRIGGER_H
#define SM_GATEWAY_TRIGGER_H

#include <stdatomic.h>
#include <stddef.h>

#include "gateway.h"
#include "gateway_cache.h"
#include "gateway_conf.h"
#include "gateway_metrics.h"
#include "gateway_progress.h"
#include "gateway_results.h"

typedef struct sm_gw_trigger_job sm_gw_trigger_job_t;

/** One trigger request.  The submitter owns it; the trigger thread does
 *  not touch it after calling done. */
struct sm_gw_trigger_job {
        /* In. */
        int has_as_of;         /* as_of was given */
        sm_usec_t as_of;       /* the given as_of */
        sm_usec_t accepted_at; /* when the request arrived (wall) */
        void (*done)(sm_gw_trigger_job_t *job); /* called once finished,
                                                 * from the trigger thread */
        void *opaque; /* the submitter's (e.g. its connection) */
        /* Out, valid once finished is 1 (acquire). */
        atomic_int finished;          /* 1 once the fields below are set */
        int code;                     /* 202, or 503 */
        sm_gw_report_t rep;           /* the report created (id set when one
                                       * was stored) */
        char error[SM_GW_REASON_MAX]; /* why not (503) */
        /* The trigger thread's. */
        sm_gw_trigger_job_t *next; /* queue link */
};

typedef struct sm_gw_trigger_s sm_gw_trigger_t;

/** What the trigger thread works with (borrowed). */
typedef struct sm_gw_trigger_deps {
        const sm_gw_settings_t *s;  /* settings */
        sm_gw_cache_t *cache;       /* statuses */
        sm_gw_metrics_t *metrics;   /* counters */
        sm_gw_progress_t *progress; /* the reporters' progress */
        sm_gw_results_t *results;   /* told about new reports */
        int32_t nparts;             /* partitions of report-requests */
} sm_gw_trigger_deps_t;

/**
 * @brief Makes the producer of requests, a codec and the thread's SQLite
 *   connection (durable commits).
 * @returns the trigger, or NULL with errstr filled.
 */
sm_gw_trigger_t *sm_gw_trigger_new(const sm_gw_trigger_deps_t *deps,
                                   char *errstr,
                                   size_t errstr_size);

/** @brief Starts the thread.  @returns 0 or a negative errno. */
int sm_gw_trigger_start(sm_gw_trigger_t *t);

/**
 * @brief Queues a job (the caller keeps ownership).  Thread-safe.
 * @returns 0, or -ESHUTDOWN when stopping (done is not called then).
 */
int sm_gw_trigger_submit(sm_gw_trigger_t *t, sm_gw_trigger_job_t *job);

/** @brief Refuses new jobs, finishes the one in progress, answers the
 *  queued ones 503, and joins the thread. */
void sm_gw_trigger_stop(sm_gw_trigger_t *t);

/** @brief Frees everything (stops first).  t may be NULL. */
void sm_gw_trigger_destroy(sm_gw_trigger_t *t);

#endif
