/*
 * gateway_trigger: the trigger thread (see gateway_trigger.h).
 *
 * The request producer is used by this thread only, so the delivery
 * reports of the request copies (sm_reportreq_publish() polls for them)
 * are always served here.  Its SQLite connection commits durably
 * (synchronous=FULL): a 202 is only sent for a report on disk.
 */
#include "gateway_trigger.h"
#include "gateway_db.h"
#include "sm/kafka.h"
#include "sm/log.h"
#include "sm/topics.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KAFKA_TIMEOUT_MS 10000 /* longest wait for the broker per step */

struct sm_gw_trigger_s {
        sm_gw_trigger_deps_t d;    /* what it works with */
        rd_kafka_t *producer;      /* report-requests */
        sm_codec_t *codec;         /* its codec */
        sm_gw_db_t *db;            /* its connection */
        pthread_mutex_t lock;      /* guards head, tail, stopping */
        pthread_cond_t cond;       /* signalled on submit and stop */
        sm_gw_trigger_job_t *head; /* queued jobs, oldest first */
        sm_gw_trigger_job_t *tail; /* the newest */
        int stopping;              /* no new jobs */
        pthread_t thread;          /* the thread */
        int started;               /* it runs */
};

static void finish(sm_gw_trigger_job_t *job, int code, const char *error) {
        job->code = code;
        snprintf(job->error, sizeof(job->error), "%.255s", error ? error : "");
        atomic_store_explicit(&job->finished, 1, memory_order_release);
        job->done(job);
}

/* Publishes one job's report.  end: the batch's end offsets. */
static void run_job(sm_gw_trigger_t *T,
                    sm_gw_trigger_job_t *job,
                    const int64_t *end,
                    int has_as_of,
                    sm_usec_t as_of) {
        sm_gw_report_t *r = &job->rep;
        char errstr[512];
        int64_t t0 = sm_gw_mono_ms(), t1;

        memset(r, 0, sizeof(*r));
        sm_reportreq_new_id(r->id);
        r->status           = SM_GW_RUNNING;
        r->requested_at     = job->accepted_at;
        r->has_as_of        = has_as_of;
        r->as_of            = has_as_of ? as_of : 0;
        r->partitions_total = T->d.nparts;
        if (sm_gw_db_report_insert(T->db, r) < 0) {
                /* Not stored (the failed INSERT changed nothing): no
                 * report exists.  The gateway keeps serving the stored
                 * ones; the client may retry once space is back.  The
                 * answer does not show the server's path, the log does. */
                snprintf(errstr, sizeof(errstr),
                         "the report could not be stored: %s",
                         sm_gw_db_errmsg(T->db));
                sm_log(SM_LOG_ERR, "trigger", "report %s: database %s: %s",
                       r->id, T->d.s->db, sm_gw_db_errmsg(T->db));
                r->id[0] = '\0';
                sm_gw_metrics_add(T->d.metrics, SM_GW_C_TRIGGER_FAILED, 1);
                finish(job, 503, errstr);
                return;
        }
        t1 = sm_gw_mono_ms();
        sm_gw_cache_put(T->d.cache, r, NULL, NULL);
        /* Known to the results thread before any part can exist. */
        sm_gw_results_add(T->d.results, r);
        if (sm_reportreq_publish(T->producer, T->codec, r->id, r->requested_at,
                                 has_as_of ? &as_of : NULL, T->d.nparts, end,
                                 KAFKA_TIMEOUT_MS, errstr,
                                 sizeof(errstr)) < 0) {
                char reason[SM_GW_REASON_MAX];
                snprintf(reason, sizeof(reason),
                         "the request could not be published: %.200s", errstr);
                sm_log(SM_LOG_ERR, "trigger", "report %s: %s", r->id, reason);
                sm_gw_results_fail(T->d.results, r->id, reason);
                sm_gw_metrics_add(T->d.metrics, SM_GW_C_TRIGGER_FAILED, 1);
                finish(job, 503, reason);
                return;
        }
        sm_gw_metrics_add(T->d.metrics, SM_GW_C_TRIGGERS, 1);
        sm_log(SM_LOG_DEBUG, "trigger",
               "report %s: stored in %lld ms, published in %lld ms", r->id,
               (long long)(t1 - t0), (long long)(sm_gw_mono_ms() - t1));
        if (has_as_of) {
                char ts[SM_TIME_FORMAT_MAX];
                sm_log(SM_LOG_INFO, "trigger",
                       "report %s requested as of %s on %d partitions", r->id,
                       sm_time_format(as_of, ts, sizeof(ts)), T->d.nparts);
        } else {
                sm_log(SM_LOG_INFO, "trigger",
                       "report %s requested (as_of left to the reporters) "
                       "on %d partitions",
                       r->id, T->d.nparts);
        }
        finish(job, 202, NULL);
}

static void run_batch(sm_gw_trigger_t *T, sm_gw_trigger_job_t *jobs) {
        int64_t *end = sm_xcalloc((size_t)T->d.nparts * 3, sizeof(*end));
        int64_t *end_polls =
                sm_xcalloc((size_t)T->d.nparts, sizeof(*end_polls));
        int need_as_of = 0, resolved = 0;
        sm_usec_t as_of = 0;
        char errstr[512];
        sm_gw_trigger_job_t *job, *next;
        int64_t t0 = sm_gw_mono_ms();

        for (job = jobs; job; job = job->next)
                need_as_of |= !job->has_as_of;
        if (sm_reportreq_end_offsets(T->producer, T->d.nparts, end,
                                     KAFKA_TIMEOUT_MS, errstr,
                                     sizeof(errstr)) < 0) {
                sm_log(SM_LOG_ERR, "trigger", "%s", errstr);
                for (job = jobs; job; job = next) {
                        next = job->next;
                        sm_gw_metrics_add(T->d.metrics, SM_GW_C_TRIGGER_FAILED,
                                          1);
                        finish(job, 503, errstr);
                }
                goto out;
        }
        sm_log(SM_LOG_DEBUG, "trigger", "end offsets in %lld ms",
               (long long)(sm_gw_mono_ms() - t0));
        if (need_as_of) {
                int32_t behind = 0;
                int r;
                for (int32_t p = 0; p < T->d.nparts; p++)
                        end_polls[p] = end[p * 3];
                r = sm_gw_progress_wait(T->d.progress, end_polls,
                                        t0 + T->d.s->trigger_wait_us / 1000,
                                        &as_of, &behind);
                if (r == 0) {
                        sm_log(SM_LOG_DEBUG, "trigger",
                               "as_of resolved %lld ms after the trigger",
                               (long long)(sm_gw_mono_ms() - t0));
                        resolved = 1;
                        sm_gw_metrics_add(T->d.metrics, SM_GW_C_AS_OF_RESOLVED,
                                          1);
                } else if (r == -ENODATA) {
                        sm_log(SM_LOG_INFO, "trigger",
                               "no poll applied anywhere yet: as_of left "
                               "to the reporters");
                        sm_gw_metrics_add(T->d.metrics, SM_GW_C_AS_OF_FALLBACK,
                                          1);
                } else if (r == -ETIMEDOUT) {
                        sm_log(SM_LOG_WARN, "trigger",
                               "the reporters' progress of %d of %d "
                               "partitions is behind the trigger's end "
                               "offsets after %lld ms: publishing without "
                               "as_of (each reporter instance resolves its "
                               "own)",
                               behind, T->d.nparts,
                               (long long)(sm_gw_mono_ms() - t0));
                        sm_gw_metrics_add(T->d.metrics, SM_GW_C_AS_OF_FALLBACK,
                                          1);
                } else {
                        for (job = jobs; job; job = next) {
                                next = job->next;
                                finish(job, 503, "the gateway is stopping");
                        }
                        goto out;
                }
        }
        for (job = jobs; job; job = next) {
                next = job->next;
                if (job->has_as_of)
                        run_job(T, job, end, 1, job->as_of);
                else
                        run_job(T, job, end, resolved, as_of);
        }
out:
        free(end);
        free(end_polls);
}

static void *trigger_main(void *arg) {
        sm_gw_trigger_t *T = arg;

        for (;;) {
                sm_gw_trigger_job_t *jobs;
                pthread_mutex_lock(&T->lock);
                while (!T->head && !T->stopping) {
                        struct timespec until;
                        clock_gettime(CLOCK_MONOTONIC, &until);
                        until.tv_sec += 1;
                        pthread_cond_timedwait(&T->cond, &T->lock, &until);
                        if (!T->head) {
                                /* Idle: serve the producer's events. */
                                pthread_mutex_unlock(&T->lock);
                                rd_kafka_poll(T->producer, 0);
                                pthread_mutex_lock(&T->lock);
                        }
                }
                if (T->stopping) {
                        pthread_mutex_unlock(&T->lock);
                        break;
                }
                jobs    = T->head;
                T->head = T->tail = NULL;
                pthread_mutex_unlock(&T->lock);
                run_batch(T, jobs);
        }
        return NULL;
}

sm_gw_trigger_t *sm_gw_trigger_new(const sm_gw_trigger_deps_t *deps,
                                   char *errstr,
                                   size_t errstr_size) {
        const sm_kafka_prop_t producer_defaults[] = {
                {"enable.idempotence", "true", NULL},
                {"acks", "all", NULL},
                {"linger.ms", "0", NULL},
                {"partitioner", "murmur2_random", NULL},
                /* One ProduceRequest in flight: the copies go to every
                 * partition, one request each; with several in flight
                 * the embedded broker's small responses meet Nagle's
                 * algorithm and the client's delayed ACK (40 ms stalls,
                 * measured); one at a time costs ~0.1 ms a copy. */
                {"max.in.flight.requests.per.connection", "1", NULL},
        };
        sm_gw_trigger_t *T = sm_xcalloc(1, sizeof(*T));
        rd_kafka_conf_t *kconf;
        pthread_condattr_t ca;

        T->d = *deps;
        pthread_mutex_init(&T->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&T->cond, &ca);
        pthread_condattr_destroy(&ca);
        if (!(T->codec = sm_codec_new(errstr, errstr_size)))
                goto fail;
        if (!(T->db = sm_gw_db_open(deps->s->db, 0, 1, errstr, errstr_size)))
                goto fail;
        kconf = sm_kafka_conf_new(
                deps->s->brokers, producer_defaults,
                sizeof(producer_defaults) / sizeof(producer_defaults[0]),
                deps->s->props, deps->s->nprops, errstr, errstr_size);
        if (!kconf)
                goto fail;
        rd_kafka_conf_set_dr_msg_cb(kconf, sm_reportreq_dr_msg_cb);
        if (!(T->producer = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, errstr,
                                         errstr_size))) {
                rd_kafka_conf_destroy(kconf);
                goto fail;
        }
        return T;
fail:
        sm_gw_trigger_destroy(T);
        return NULL;
}

int sm_gw_trigger_start(sm_gw_trigger_t *t) {
        int r = pthread_create(&t->thread, NULL, trigger_main, t);
        if (r)
                return -r;
        t->started = 1;
        return 0;
}

int sm_gw_trigger_submit(sm_gw_trigger_t *t, sm_gw_trigger_job_t *job) {
        pthread_mutex_lock(&t->lock);
        if (t->stopping) {
                pthread_mutex_unlock(&t->lock);
                return -ESHUTDOWN;
        }
        atomic_init(&job->finished, 0);
        job->next = NULL;
        if (t->tail)
                t->tail->next = job;
        else
                t->head = job;
        t->tail = job;
        pthread_cond_signal(&t->cond);
        pthread_mutex_unlock(&t->lock);
        return 0;
}

void sm_gw_trigger_stop(sm_gw_trigger_t *t) {
        sm_gw_trigger_job_t *job, *next;

        if (!t)
                return;
        pthread_mutex_lock(&t->lock);
        t->stopping = 1;
        pthread_cond_signal(&t->cond);
        pthread_mutex_unlock(&t->lock);
        sm_gw_progress_cancel(t->d.progress);
        if (t->started) {
                pthread_join(t->thread, NULL);
                t->started = 0;
        }
        /* Jobs queued after the last batch was taken. */
        pthread_mutex_lock(&t->lock);
        job     = t->head;
        t->head = t->tail = NULL;
        pthread_mutex_unlock(&t->lock);
        for (; job; job = next) {
                next = job->next;
                finish(job, 503, "the gateway is stopping");
        }
}

void sm_gw_trigger_destroy(sm_gw_trigger_t *t) {
        if (!t)
                return;
        sm_gw_trigger_stop(t);
        if (t->producer) {
                if (rd_kafka_flush(t->producer, 5000) != 0)
                        sm_log(SM_LOG_WARN, "trigger",
                               "%d request copies not delivered at exit",
                               rd_kafka_outq_len(t->producer));
                rd_kafka_destroy(t->producer);
        }
        sm_gw_db_close(t->db);
        sm_codec_destroy(t->codec);
        pthread_cond_destroy(&t->cond);
        pthread_mutex_destroy(&t->lock);
        free(t);
}
