/*
 * gateway_metrics: the gateway's counters, gauges and histograms, and
 * their Prometheus text exposition (GET /metrics).
 *
 * Everything is a relaxed atomic, so any thread records without a lock
 * (the HTTP threads on every request).  Histograms are cumulative at
 * render time only: each observation increments one bucket.
 */
#ifndef SM_GATEWAY_METRICS_H
#define SM_GATEWAY_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "sm/wire.h"

/** The HTTP routes, as labelled in the metrics. */
typedef enum sm_gw_route {
        SM_GW_ROUTE_TRIGGER = 0, /* /trigger_report */
        SM_GW_ROUTE_GET_REPORT,  /* /get_report[/ID] */
        SM_GW_ROUTE_REPORT_CSV,  /* /reports/ID.csv */
        SM_GW_ROUTE_HEALTHZ,     /* /healthz */
        SM_GW_ROUTE_READYZ,      /* /readyz */
        SM_GW_ROUTE_METRICS,     /* /metrics */
        SM_GW_ROUTE_OTHER,       /* anything else (404) */
        SM_GW_ROUTE__CNT         /* number of routes */
} sm_gw_route_t;

/** Counters that are not per request. */
typedef enum sm_gw_counter {
        SM_GW_C_PARTS_NEW = 0,   /* ReportParts stored */
        SM_GW_C_PARTS_DUPLICATE, /* redelivered parts (no change) */
        SM_GW_C_PARTS_IGNORED,   /* parts of reports not Running here */
        SM_GW_C_BAD_RECORDS,     /* undecodable records */
        SM_GW_C_GAPS,            /* offsets the broker no longer had */
        SM_GW_C_READY_PUBLISHED, /* ReportReady delivered */
        SM_GW_C_READY_FAILED,    /* ReportReady delivery failures */
        SM_GW_C_TRIGGERS,        /* reports triggered */
        SM_GW_C_TRIGGER_FAILED,  /* triggers that could not publish */
        SM_GW_C_AS_OF_RESOLVED,  /* as_of resolved from progress */
        SM_GW_C_AS_OF_FALLBACK,  /* progress too late: as_of null */
        SM_GW_C__CNT             /* number of counters */
} sm_gw_counter_t;

typedef struct sm_gw_metrics_s sm_gw_metrics_t;

sm_gw_metrics_t *sm_gw_metrics_new(void);
void sm_gw_metrics_destroy(sm_gw_metrics_t *m);

/** @brief Counts a request of a route answered with code, taking
 *  usec microseconds. */
void sm_gw_metrics_request(sm_gw_metrics_t *m,
                           sm_gw_route_t route,
                           int code,
                           int64_t usec);

/** @brief Adds n to a counter. */
void sm_gw_metrics_add(sm_gw_metrics_t *m, sm_gw_counter_t c, uint64_t n);

/** @brief Records a report's trigger-to-Complete latency. */
void sm_gw_metrics_report_latency(sm_gw_metrics_t *m, int64_t usec);

/** @brief Sets the results consumer's lag (records behind the end). */
void sm_gw_metrics_set_lag(sm_gw_metrics_t *m, int64_t lag);

/**
 * @brief Appends the Prometheus text exposition (format 0.0.4) to out.
 * @param by_status  reports per status (SM_GW__STATUS_CNT entries).
 * @param body_bytes bytes of report bodies cached.
 */
void sm_gw_metrics_render(sm_gw_metrics_t *m,
                          const uint64_t *by_status,
                          int64_t body_bytes,
                          sm_buf_t *out);

#endif
