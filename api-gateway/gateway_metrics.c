/*
 * gateway_metrics: atomic counters and histograms, rendered as
 * Prometheus text (see gateway_metrics.h).
 *
 * Status codes are counted in a fixed table of the codes the gateway
 * answers (anything else lands in "other"), so recording a request is two
 * atomic additions and a bucket search over a dozen bounds.
 */
#include "gateway_metrics.h"
#include "gateway.h"
#include "sm/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int codes[] = {200, 202, 400, 404, 405, 408, 413, 415, 500, 503};
#define NCODES ((int)(sizeof(codes) / sizeof(codes[0])) + 1) /* + other */

/* Request durations, seconds. */
static const double req_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                    0.005,  0.01,    0.025,  0.05,  0.1,
                                    0.25,   0.5,     1,      2.5,   5};
#define NREQ_B ((int)(sizeof(req_bounds) / sizeof(req_bounds[0])))

/* Trigger-to-Complete latencies, seconds. */
static const double lat_bounds[] = {0.025, 0.05, 0.1, 0.2, 0.5, 1,   2,
                                    5,     10,   30,  60,  120, 300, 900};
#define NLAT_B ((int)(sizeof(lat_bounds) / sizeof(lat_bounds[0])))

static const char *const route_names[SM_GW_ROUTE__CNT] = {
        "trigger_report", "get_report", "report_csv", "healthz",
        "readyz",         "metrics",    "other"};

static const struct {
        const char *name; /* metric name */
        const char *help; /* its HELP text */
} counter_info[SM_GW_C__CNT] = {
        {"storemon_gateway_report_parts_stored_total",
         "ReportPart records stored"},
        {"storemon_gateway_report_parts_duplicate_total",
         "redelivered ReportPart records (nothing changed)"},
        {"storemon_gateway_report_parts_ignored_total",
         "ReportPart records of reports not running here"},
        {"storemon_gateway_bad_records_total",
         "records that could not be decoded"},
        {"storemon_gateway_consumer_gaps_total",
         "positions the broker no longer had"},
        {"storemon_gateway_report_ready_published_total",
         "ReportReady events delivered"},
        {"storemon_gateway_report_ready_failures_total",
         "ReportReady deliveries that failed (retried)"},
        {"storemon_gateway_reports_triggered_total", "reports triggered"},
        {"storemon_gateway_trigger_failures_total",
         "triggers whose request copies could not be published"},
        {"storemon_gateway_as_of_resolved_total",
         "triggers whose as_of was resolved from the reporters' progress"},
        {"storemon_gateway_as_of_fallback_total",
         "triggers published without as_of (progress did not catch up)"},
};

#define HIST_BOUNDS_MAX 16 /* bounds a histogram may have */
_Static_assert(NREQ_B <= HIST_BOUNDS_MAX, "too many request bounds");
_Static_assert(NLAT_B <= HIST_BOUNDS_MAX, "too many latency bounds");

struct histogram {
        atomic_uint_fast64_t bucket[HIST_BOUNDS_MAX + 1]; /* per bound, then
                                                           * +Inf */
        atomic_uint_fast64_t count;                       /* observations */
        atomic_uint_fast64_t sum_us;                      /* their sum, µs */
};

struct sm_gw_metrics_s {
        atomic_uint_fast64_t req[SM_GW_ROUTE__CNT][NCODES]; /* requests */
        struct histogram req_time[SM_GW_ROUTE__CNT];        /* durations */
        struct histogram latency;                    /* trigger->Complete */
        atomic_uint_fast64_t counters[SM_GW_C__CNT]; /* other counters */
        atomic_int_fast64_t lag;                     /* consumer lag */
};

sm_gw_metrics_t *sm_gw_metrics_new(void) {
        /* calloc gives zeroed atomics: valid initial values for the
         * lock-free integer atomics used here. */
        return sm_xcalloc(1, sizeof(sm_gw_metrics_t));
}

void sm_gw_metrics_destroy(sm_gw_metrics_t *m) {
        free(m);
}

static void
observe(struct histogram *h, const double *bounds, int nbounds, int64_t usec) {
        double s = (double)usec / 1e6;
        int i    = 0;
        while (i < nbounds && s > bounds[i])
                i++;
        atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&h->sum_us, (uint64_t)(usec > 0 ? usec : 0),
                                  memory_order_relaxed);
}

void sm_gw_metrics_request(sm_gw_metrics_t *m,
                           sm_gw_route_t route,
                           int code,
                           int64_t usec) {
        int c = NCODES - 1;
        for (int i = 0; i < NCODES - 1; i++)
                if (codes[i] == code) {
                        c = i;
                        break;
                }
        atomic_fetch_add_explicit(&m->req[route][c], 1, memory_order_relaxed);
        observe(&m->req_time[route], req_bounds, NREQ_B, usec);
}

void sm_gw_metrics_add(sm_gw_metrics_t *m, sm_gw_counter_t c, uint64_t n) {
        atomic_fetch_add_explicit(&m->counters[c], n, memory_order_relaxed);
}

void sm_gw_metrics_report_latency(sm_gw_metrics_t *m, int64_t usec) {
        observe(&m->latency, lat_bounds, NLAT_B, usec);
}

void sm_gw_metrics_set_lag(sm_gw_metrics_t *m, int64_t lag) {
        atomic_store_explicit(&m->lag, lag, memory_order_relaxed);
}

static void add(sm_buf_t *out, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void add(sm_buf_t *out, const char *fmt, ...) {
        va_list ap;
        int n;
        sm_buf_reserve(out, out->len + 256);
        va_start(ap, fmt);
        n = vsnprintf((char *)out->data + out->len, out->size - out->len, fmt,
                      ap);
        va_end(ap);
        if (n >= (int)(out->size - out->len)) {
                sm_buf_reserve(out, out->len + (size_t)n + 1);
                va_start(ap, fmt);
                n = vsnprintf((char *)out->data + out->len,
                              out->size - out->len, fmt, ap);
                va_end(ap);
        }
        if (n > 0)
                out->len += (size_t)n;
}

static void render_histogram(sm_buf_t *out,
                             const char *name,
                             const char *labels,
                             struct histogram *h,
                             const double *bounds,
                             int nbounds) {
        uint64_t cum = 0;
        for (int i = 0; i <= nbounds; i++) {
                cum += atomic_load_explicit(&h->bucket[i],
                                            memory_order_relaxed);
                if (i < nbounds)
                        add(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name,
                            labels, *labels ? "," : "", bounds[i],
                            (unsigned long long)cum);
                else
                        add(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name,
                            labels, *labels ? "," : "",
                            (unsigned long long)cum);
        }
        add(out, "%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "", labels,
            *labels ? "}" : "",
            (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) /
                    1e6);
        add(out, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels,
            *labels ? "}" : "",
            (unsigned long long)atomic_load_explicit(&h->count,
                                                     memory_order_relaxed));
}

void sm_gw_metrics_render(sm_gw_metrics_t *m,
                          const uint64_t *by_status,
                          int64_t body_bytes,
                          sm_buf_t *out) {
        add(out,
            "# HELP storemon_gateway_http_requests_total HTTP requests "
            "by route and status code.\n"
            "# TYPE storemon_gateway_http_requests_total counter\n");
        for (int r = 0; r < SM_GW_ROUTE__CNT; r++)
                for (int c = 0; c < NCODES; c++) {
                        uint64_t v = atomic_load_explicit(&m->req[r][c],
                                                          memory_order_relaxed);
                        char code[16];
                        if (!v)
                                continue;
                        if (c < NCODES - 1)
                                snprintf(code, sizeof(code), "%d", codes[c]);
                        else
                                snprintf(code, sizeof(code), "other");
                        add(out,
                            "storemon_gateway_http_requests_total{route=\"%s\","
                            "code=\"%s\"} %llu\n",
                            route_names[r], code, (unsigned long long)v);
                }
        add(out,
            "# HELP storemon_gateway_http_request_duration_seconds "
            "Time from a request's arrival to its answer.\n"
            "# TYPE storemon_gateway_http_request_duration_seconds "
            "histogram\n");
        for (int r = 0; r < SM_GW_ROUTE__CNT; r++) {
                char labels[64];
                if (!atomic_load(&m->req_time[r].count))
                        continue;
                snprintf(labels, sizeof(labels), "route=\"%s\"",
                         route_names[r]);
                render_histogram(
                        out, "storemon_gateway_http_request_duration_seconds",
                        labels, &m->req_time[r], req_bounds, NREQ_B);
        }
        add(out,
            "# HELP storemon_gateway_report_latency_seconds Time from a "
            "trigger to the report being Complete.\n"
            "# TYPE storemon_gateway_report_latency_seconds "
            "histogram\n");
        render_histogram(out, "storemon_gateway_report_latency_seconds", "",
                         &m->latency, lat_bounds, NLAT_B);
        add(out,
            "# HELP storemon_gateway_reports Reports known, by "
            "status.\n"
            "# TYPE storemon_gateway_reports gauge\n");
        for (int s = 0; s < SM_GW__STATUS_CNT; s++)
                add(out, "storemon_gateway_reports{status=\"%s\"} %llu\n",
                    sm_gw_status_name((sm_gw_status_t)s),
                    (unsigned long long)by_status[s]);
        add(out,
            "# HELP storemon_gateway_consumer_lag Records of "
            "report-results not yet consumed.\n"
            "# TYPE storemon_gateway_consumer_lag gauge\n"
            "storemon_gateway_consumer_lag{topic=\"report-results\"} "
            "%lld\n",
            (long long)atomic_load_explicit(&m->lag, memory_order_relaxed));
        add(out,
            "# HELP storemon_gateway_cache_body_bytes Bytes of report "
            "bodies held in memory.\n"
            "# TYPE storemon_gateway_cache_body_bytes gauge\n"
            "storemon_gateway_cache_body_bytes %lld\n",
            (long long)body_bytes);
        for (int c = 0; c < SM_GW_C__CNT; c++)
                add(out, "# HELP %s %s.\n# TYPE %s counter\n%s %llu\n",
                    counter_info[c].name, counter_info[c].help,
                    counter_info[c].name, counter_info[c].name,
                    (unsigned long long)atomic_load_explicit(
                            &m->counters[c], memory_order_relaxed));
}
