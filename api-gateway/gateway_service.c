/*
 * gateway_service: init, run and shutdown of storemon-gateway (see
 * gateway_service.h).
 */
#include "gateway_service.h"
#include "gateway_cache.h"
#include "gateway_db.h"
#include "gateway_http.h"
#include "gateway_metrics.h"
#include "gateway_progress.h"
#include "gateway_results.h"
#include "gateway_trigger.h"
#include "sm/codec.h"
#include "sm/kafka.h"
#include "sm/log.h"
#include "sm/signals.h"
#include "sm/topics.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sm_gw_s {
        const sm_gw_settings_t *s;  /* settings */
        int32_t nparts;             /* partitions of report-requests */
        char public_url[512];       /* base of report URLs */
        int schemas_ok;             /* every schema loaded */
        sm_gw_cache_t *cache;       /* statuses and bodies */
        sm_gw_metrics_t *metrics;   /* counters */
        sm_gw_progress_t *progress; /* the reporters' progress */
        sm_gw_results_t *results;   /* the results thread */
        sm_gw_trigger_t *trigger;   /* the trigger thread */
        sm_gw_http_t *http;         /* the HTTP server */
        int port_file_written;      /* remove it at exit */
        atomic_int wired;           /* results and trigger are running */
};

static int ready(void *opaque, int *kafka, int *db, int *schemas) {
        sm_gw_t *gw = opaque;
        int wired   = atomic_load(&gw->wired);
        *kafka      = wired && sm_gw_results_kafka_ok(gw->results);
        *db         = wired && sm_gw_results_db_ok(gw->results);
        *schemas    = gw->schemas_ok;
        return *kafka && *db && *schemas;
}

/* Partitions of report-requests, checked against store-polls (they must
 * be co-partitioned). */
static int32_t
partitions(const sm_gw_settings_t *s, char *errstr, size_t errstr_size) {
        rd_kafka_conf_t *kconf = sm_kafka_conf_new(
                s->brokers, NULL, 0, s->props, s->nprops, errstr, errstr_size);
        rd_kafka_t *rk;
        int n, polls;

        if (!kconf)
                return -EINVAL;
        if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, errstr,
                                errstr_size))) {
                rd_kafka_conf_destroy(kconf);
                return -EINVAL;
        }
        n = sm_kafka_wait_partition_count(rk, SM_TOPIC_REPORT_REQUESTS, errstr,
                                          errstr_size);
        if (n > 0) {
                polls = sm_kafka_partition_count(rk, SM_TOPIC_POLLS, 10000,
                                                 errstr, errstr_size);
                if (polls < 0)
                        n = polls;
                else if (polls != n) {
                        snprintf(errstr, errstr_size,
                                 "%s has %d partitions but %s has %d: they "
                                 "must be co-partitioned",
                                 SM_TOPIC_REPORT_REQUESTS, n, SM_TOPIC_POLLS,
                                 polls);
                        n = -EINVAL;
                }
        }
        rd_kafka_destroy(rk);
        return n;
}

static int write_port_file(const char *path, int port) {
        char tmp[4200];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (!(f = fopen(tmp, "w")))
                return -errno;
        fprintf(f, "%d\n", port);
        if (fclose(f) != 0 || rename(tmp, path) < 0) {
                int e = -errno;
                (void)unlink(tmp);
                return e;
        }
        return 0;
}

sm_gw_t *sm_gw_init(const sm_gw_settings_t *s) {
        sm_gw_t *gw = sm_xcalloc(1, sizeof(*gw));
        char errstr[1024];
        sm_codec_t *codec;
        sm_gw_db_t *db;
        int32_t n;

        gw->s = s;
        if (!(codec = sm_codec_new(errstr, sizeof(errstr)))) {
                sm_log(SM_LOG_ERR, "main", "schemas: %s", errstr);
                goto fail;
        }
        sm_codec_destroy(codec);
        gw->schemas_ok = 1;
        atomic_init(&gw->wired, 0);
        gw->cache   = sm_gw_cache_new(s->cache_bytes);
        gw->metrics = sm_gw_metrics_new();
        /* The port first: health checks and /metrics answer while the
         * cluster is awaited; the report routes answer 503 until
         * sm_gw_http_serve(). */
        {
                sm_gw_http_deps_t hd = {
                        .s       = s,
                        .cache   = gw->cache,
                        .metrics = gw->metrics,
                        .trigger = NULL,
                        .ready   = ready,
                        .opaque  = gw,
                };
                if (!(gw->http = sm_gw_http_new(&hd, errstr, sizeof(errstr)))) {
                        sm_log(SM_LOG_ERR, "main", "%s", errstr);
                        goto fail;
                }
        }
        if (*s->public_url)
                snprintf(gw->public_url, sizeof(gw->public_url), "%s",
                         s->public_url);
        else
                snprintf(gw->public_url, sizeof(gw->public_url),
                         "http://127.0.0.1:%d", sm_gw_http_port(gw->http));
        for (size_t len = strlen(gw->public_url);
             len > 0 && gw->public_url[len - 1] == '/'; len--)
                gw->public_url[len - 1] = '\0';
        sm_gw_http_set_public_url(gw->http, gw->public_url);
        if (sm_gw_http_start(gw->http, errstr, sizeof(errstr)) < 0) {
                sm_log(SM_LOG_ERR, "main", "%s", errstr);
                goto fail;
        }
        sm_log(SM_LOG_INFO, "main",
               "port %d open; waiting for the Kafka cluster at %s",
               sm_gw_http_port(gw->http), s->brokers);
        if ((n = partitions(s, errstr, sizeof(errstr))) < 0) {
                if (n == -EINTR)
                        sm_log(SM_LOG_NOTICE, "main",
                               "stopped on a signal while waiting for the "
                               "Kafka cluster");
                else
                        sm_log(SM_LOG_ERR, "main", "%s", errstr);
                goto fail;
        }
        gw->nparts = n;
        if (!(db = sm_gw_db_open(s->db, 1, 0, errstr, sizeof(errstr)))) {
                sm_log(SM_LOG_ERR, "main", "database: %s", errstr);
                goto fail;
        }
        gw->progress = sm_gw_progress_new(n);
        {
                sm_gw_results_deps_t rd = {
                        .s          = s,
                        .cache      = gw->cache,
                        .metrics    = gw->metrics,
                        .progress   = gw->progress,
                        .public_url = gw->public_url,
                        .nparts     = n,
                };
                if (!(gw->results = sm_gw_results_new(&rd, db, errstr,
                                                      sizeof(errstr)))) {
                        sm_log(SM_LOG_ERR, "main", "%s", errstr);
                        goto fail;
                }
        }
        {
                sm_gw_trigger_deps_t td = {
                        .s        = s,
                        .cache    = gw->cache,
                        .metrics  = gw->metrics,
                        .progress = gw->progress,
                        .results  = gw->results,
                        .nparts   = n,
                };
                if (!(gw->trigger =
                              sm_gw_trigger_new(&td, errstr, sizeof(errstr)))) {
                        sm_log(SM_LOG_ERR, "main", "%s", errstr);
                        goto fail;
                }
        }
        if (sm_gw_results_start(gw->results) < 0 ||
            sm_gw_trigger_start(gw->trigger) < 0) {
                sm_log(SM_LOG_ERR, "main", "cannot start the threads");
                goto fail;
        }
        atomic_store(&gw->wired, 1);
        sm_gw_http_serve(gw->http, gw->trigger);
        if (*s->port_file) {
                int r = write_port_file(s->port_file,
                                        sm_gw_http_port(gw->http));
                if (r < 0) {
                        sm_log(SM_LOG_ERR, "main", "--port-file %s: %s",
                               s->port_file, strerror(-r));
                        goto fail;
                }
                gw->port_file_written = 1;
        }
        sm_log(SM_LOG_NOTICE, "main",
               "listening on port %d (%d threads), %d partitions, database "
               "%s, reports at %s/reports/",
               sm_gw_http_port(gw->http), s->threads, n, s->db, gw->public_url);
        return gw;
fail:
        sm_gw_shutdown(gw);
        return NULL;
}

int sm_gw_run(sm_gw_t *gw) {
        const struct timespec tick = {0, 100 * 1000 * 1000};

        while (!sm_signals_caught() && !sm_gw_results_failed(gw->results))
                (void)nanosleep(&tick, NULL);
        if (sm_gw_results_failed(gw->results)) {
                sm_log(SM_LOG_ERR, "main", "stopping after a fatal error");
                return 1;
        }
        sm_log(SM_LOG_NOTICE, "main", "stopping on signal %d",
               sm_signals_caught());
        return 0;
}

void sm_gw_shutdown(sm_gw_t *gw) {
        int64_t t0 = sm_gw_mono_ms();

        if (!gw)
                return;
        sm_gw_http_quiesce(gw->http);
        sm_gw_trigger_stop(gw->trigger);
        sm_log(SM_LOG_DEBUG, "main",
               "shutdown: trigger thread stopped at "
               "%lld ms",
               (long long)(sm_gw_mono_ms() - t0));
        sm_gw_results_stop(gw->results);
        sm_log(SM_LOG_DEBUG, "main",
               "shutdown: results thread stopped at "
               "%lld ms",
               (long long)(sm_gw_mono_ms() - t0));
        sm_gw_http_destroy(gw->http);
        sm_log(SM_LOG_DEBUG, "main",
               "shutdown: HTTP server stopped at %lld "
               "ms",
               (long long)(sm_gw_mono_ms() - t0));
        sm_gw_trigger_destroy(gw->trigger);
        sm_gw_results_destroy(gw->results);
        sm_log(SM_LOG_DEBUG, "main",
               "shutdown: Kafka clients closed at %lld "
               "ms",
               (long long)(sm_gw_mono_ms() - t0));
        sm_gw_progress_destroy(gw->progress);
        sm_gw_metrics_destroy(gw->metrics);
        sm_gw_cache_destroy(gw->cache);
        if (gw->port_file_written)
                (void)unlink(gw->s->port_file);
        free(gw);
}
