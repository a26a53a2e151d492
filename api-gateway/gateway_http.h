/*
 * gateway_http: the HTTP API on libmicrohttpd.
 *
 * Routes (each also with a trailing slash):
 *   GET|POST /trigger_report             new report (as_of optional: query,
 *                                        JSON or form body) -> 202
 *   GET|HEAD|POST /get_report            report_id from the query string,
 *                                        a JSON or a form body
 *   GET|HEAD /get_report/ID              the same, id in the path
 *   GET|HEAD /reports/ID.csv             the CSV of a complete report
 *   GET|HEAD /healthz, /readyz, /metrics liveness, readiness, Prometheus
 * get_report answers 202 (Running, with progress), 200 (Complete: JSON
 * with the CSV in `data`, or the CSV itself for Accept: text/csv or
 * format=csv), 500 (Failed, with the reason), 404 (unknown id), 400
 * (malformed id).  Errors are JSON objects with an `error` text: unknown
 * route 404, wrong method 405 (with Allow), body over max-body 413 (told
 * by Content-Length before the body is read, or while reading a chunked
 * one), unsupported body type 415, bad JSON or parameter 400.
 *
 * A request must arrive whole (headers and body) within --request-timeout
 * of the connection opening or of its previous response, else 408 and
 * the connection is closed (gateway_deadline.h: MHD's own idle timeout
 * restarts with every byte, which a slowloris exploits).  The port is
 * open from the start: until the gateway is wired to the cluster
 * (sm_gw_http_serve()), get_report, the CSVs and trigger_report answer
 * 503 with Retry-After, while /healthz, /readyz and /metrics answer.
 *
 * Threads: MHD's internal thread pool (epoll, one event loop per thread,
 * connections spread over them), so requests never wait on each other's
 * locks except the cache's shared rwlock.  Per-request state lives in
 * *req_cls and is freed in MHD_OPTION_NOTIFY_COMPLETED.  A trigger is
 * handed to the trigger thread and its connection suspended
 * (MHD_ALLOW_SUSPEND_RESUME) until the report is published, so a slow
 * broker never blocks an HTTP thread.  Bodies of complete reports are
 * served from the cache's blobs without a copy
 * (MHD_create_response_from_buffer_with_free_callback_cls drops the
 * reference once sent); a body evicted from the cache is read back from
 * SQLite through one mutex-guarded read connection.
 */
#ifndef SM_GATEWAY_HTTP_H
#define SM_GATEWAY_HTTP_H

#include <stddef.h>

#include "gateway_cache.h"
#include "gateway_conf.h"
#include "gateway_metrics.h"
#include "gateway_trigger.h"

typedef struct sm_gw_http_s sm_gw_http_t;

/** What the HTTP side works with (borrowed). */
typedef struct sm_gw_http_deps {
        const sm_gw_settings_t *s; /* settings */
        sm_gw_cache_t *cache;      /* statuses and bodies */
        sm_gw_metrics_t *metrics;  /* counters */
        sm_gw_trigger_t *trigger;  /* takes trigger jobs (may be set
                                    * later, sm_gw_http_serve()) */
        /* Readiness: 1 when ready, else 0 with the checks' state. */
        int (*ready)(void *opaque, int *kafka, int *db, int *schemas);
        void *opaque; /* for ready */
} sm_gw_http_deps_t;

/**
 * @brief Binds the listening socket (so the port is known before
 *   serving; --port 0 takes any free port).
 * @returns the server, or NULL with errstr filled.
 */
sm_gw_http_t *
sm_gw_http_new(const sm_gw_http_deps_t *deps, char *errstr, size_t errstr_size);

/** @brief The port listened on. */
int sm_gw_http_port(const sm_gw_http_t *h);

/** @brief Sets the base of report URLs (before sm_gw_http_start()); the
 *  string is copied. */
void sm_gw_http_set_public_url(sm_gw_http_t *h, const char *url);

/** @brief Starts answering the routes that need the reports (get_report,
 *  the CSVs, trigger_report, which goes to trigger): until then they are
 *  503 with Retry-After (the gateway is waiting for the cluster).  May be
 *  called while serving. */
void sm_gw_http_serve(sm_gw_http_t *h, sm_gw_trigger_t *trigger);

/** @brief Starts serving.  @returns 0, or -EIO with errstr filled. */
int sm_gw_http_start(sm_gw_http_t *h, char *errstr, size_t errstr_size);

/** @brief Stops accepting connections (MHD_quiesce_daemon); the ones
 *  open are still served. */
void sm_gw_http_quiesce(sm_gw_http_t *h);

/** @brief Stops the daemon and frees everything.  h may be NULL.  No
 *  connection may be suspended any more (stop the trigger thread
 *  first). */
void sm_gw_http_destroy(sm_gw_http_t *h);

#endif
