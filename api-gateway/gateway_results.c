/*
 * gateway_results: the results thread (see gateway_results.h).
 *
 * The loop waits (up to POLL_MS) for one record with
 * rd_kafka_consume_queue(), which returns as soon as one is there, then
 * drains what else is queued with rd_kafka_consume_batch_queue(q, 0):
 * low latency for a lone part, batches (one transaction each) under
 * load.  Everything the thread owns (the Running reports and their
 * assemblers, the announcement state, its SQLite connection, the
 * ReportReady producer's delivery reports) is touched by this thread
 * only; the trigger thread talks to it through the inbox (a mutex and a
 * list), drained at the start of every batch, after the consume: a
 * report added before its requests were published is therefore always
 * known when its first part is handled.
 */
#include "gateway_results.h"
#include "gateway_body.h"
#include "sm/kafka.h"
#include "sm/log.h"
#include "sm/topics.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX     1024 /* records per consume call */
#define POLL_MS       100  /* longest wait for a record */
#define TIMEOUT_CHECK 500  /* ms between timeout checks */
#define PROBE_MS      2000 /* ms between health probes */
#define LAG_MS        1000 /* ms between lag readings */
#define OFFSETS_MS    1000 /* longest delay of an offsets-only write */
#define RETRY_MS      1000 /* ms before a failed ReportReady is retried */

/* A Running report being assembled. */
struct running {
        sm_gw_report_t rep; /* the report (status changes on outcome) */
        sm_report_asm_t *a; /* its parts so far */
        int touched;        /* in the batch's touched list */
        int outcome;        /* 0, or SM_GW_COMPLETE / SM_GW_FAILED when
                             * it finished in this batch */
        sm_gw_blob_t *csv;  /* its CSV, once complete */
};

/* A message from another thread. */
struct inbox_item {
        int fail;           /* 1: fail it; 0: a new report */
        sm_gw_report_t rep; /* the report (fail: id, reason) */
};

/* A ReportReady waiting to be produced, or in flight. */
struct announce {
        sm_gw_report_t rep; /* the Complete report */
        int64_t not_before; /* mono ms before which not to retry */
};

struct sm_gw_results_s {
        sm_gw_results_deps_t d;     /* what it works with */
        sm_gw_db_t *db;             /* its connection */
        sm_codec_t *codec;          /* its codec */
        rd_kafka_t *consumer;       /* report-results + reporter-progress */
        rd_kafka_queue_t *cq;       /* the consumer's queue */
        rd_kafka_t *producer;       /* ReportReady */
        rd_kafka_topic_t *t_ready;  /* report-ready */
        int32_t nres;               /* partitions of report-results */
        int64_t *next;              /* per partition: next offset */
        unsigned char *dirty;       /* per partition: next not stored */
        int any_dirty;              /* some next is not stored */
        int64_t offsets_at;         /* mono ms of the last offsets write */
        int in_tx;                  /* a transaction is open */
        GHashTable *running;        /* id -> struct running */
        GPtrArray *touched;         /* running reports touched this batch */
        GPtrArray *to_announce;     /* struct announce, not yet produced */
        GPtrArray *delivered;       /* ids (char *) whose ReportReady was
                                     * delivered, to be stored */
        int inflight;               /* ReportReady in flight */
        pthread_mutex_t inbox_lock; /* guards inbox */
        GArray *inbox;              /* struct inbox_item */
        pthread_t thread;           /* the thread */
        int started;                /* the thread runs */
        atomic_int stop;            /* asked to stop */
        atomic_int db_ok;           /* the last write succeeded */
        atomic_int kafka_ok;        /* the last probe succeeded */
        atomic_int failed;          /* fatal error: the service stops */
        int caught_up;              /* the consumer was idle once */
        sm_buf_t frame;             /* reused encode buffer */
};

static void running_free(void *p) {
        struct running *r = p;
        sm_report_asm_destroy(r->a);
        sm_gw_blob_unref(r->csv);
        free(r);
}

static void
report_url(const sm_gw_results_t *R, const char *id, char *out, size_t size) {
        snprintf(out, size, "%s/reports/%s.csv", R->d.public_url, id);
}

/* A write failed (the open transaction, if any, is rolled back by
 * finish_batch()): the thread stops and the service after it, so that a
 * restart resumes from what was last committed. */
static void set_failed(sm_gw_results_t *R, const char *what) {
        sm_log(SM_LOG_ERR, "results",
               "database %s: %s: %s: stopping (a restart resumes from the "
               "last commit)",
               R->d.s->db, what, sm_gw_db_errmsg(R->db));
        atomic_store(&R->db_ok, 0);
        atomic_store(&R->failed, 1);
}

static int ensure_tx(sm_gw_results_t *R) {
        if (R->in_tx)
                return 0;
        if (sm_gw_db_begin(R->db) < 0) {
                set_failed(R, "begin");
                return -EIO;
        }
        R->in_tx = 1;
        return 0;
}

static void touch(sm_gw_results_t *R, struct running *r) {
        if (!r->touched) {
                r->touched = 1;
                g_ptr_array_add(R->touched, r);
        }
}

/* ---- announcing ---- */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
        sm_gw_results_t *R  = opaque;
        struct announce *an = rkm->_private;

        (void)rk;
        if (!an)
                return;
        R->inflight--;
        if (rkm->err) {
                sm_log(SM_LOG_WARN, "announce",
                       "report %s: ReportReady not delivered: %s "
                       "(retrying)",
                       an->rep.id, rd_kafka_err2str(rkm->err));
                sm_gw_metrics_add(R->d.metrics, SM_GW_C_READY_FAILED, 1);
                an->not_before = sm_gw_mono_ms() + RETRY_MS;
                g_ptr_array_add(R->to_announce, an);
                return;
        }
        sm_gw_metrics_add(R->d.metrics, SM_GW_C_READY_PUBLISHED, 1);
        sm_log(SM_LOG_INFO, "announce", "report %s: ReportReady delivered",
               an->rep.id);
        g_ptr_array_add(R->delivered, sm_xstrdup(an->rep.id));
        free(an);
}

static void announce_queue(sm_gw_results_t *R, const sm_gw_report_t *rep) {
        struct announce *an = sm_xcalloc(1, sizeof(*an));
        an->rep             = *rep;
        g_ptr_array_add(R->to_announce, an);
}

/* Produces the queued ReportReady events that are due. */
static void announce_due(sm_gw_results_t *R) {
        int64_t now = sm_gw_mono_ms();
        guint i     = 0;

        while (i < R->to_announce->len) {
                struct announce *an = g_ptr_array_index(R->to_announce, i);
                char url[1024], errstr[256];
                sm_ready_msg_t msg;
                if (an->not_before > now) {
                        i++;
                        continue;
                }
                report_url(R, an->rep.id, url, sizeof(url));
                msg = (sm_ready_msg_t){
                        .report_id     = an->rep.id,
                        .report_id_len = strlen(an->rep.id),
                        .as_of         = an->rep.as_of,
                        .completed_at  = an->rep.completed_at,
                        .store_count   = an->rep.store_count,
                        .url           = url,
                        .url_len       = strlen(url),
                };
                g_ptr_array_remove_index(R->to_announce, i);
                if (sm_codec_encode_ready(R->codec, &msg, &R->frame, errstr,
                                          sizeof(errstr)) < 0) {
                        sm_log(SM_LOG_ERR, "announce",
                               "report %s: cannot encode ReportReady: %s",
                               an->rep.id, errstr);
                        free(an);
                        continue;
                }
                if (rd_kafka_produce(R->t_ready, RD_KAFKA_PARTITION_UA,
                                     RD_KAFKA_MSG_F_COPY, R->frame.data,
                                     R->frame.len, an->rep.id,
                                     strlen(an->rep.id), an) != 0) {
                        sm_log(SM_LOG_WARN, "announce",
                               "report %s: produce: %s (retrying)", an->rep.id,
                               rd_kafka_err2str(rd_kafka_last_error()));
                        an->not_before = now + RETRY_MS;
                        g_ptr_array_insert(R->to_announce, (gint)i, an);
                        i++;
                        continue;
                }
                R->inflight++;
        }
}

/* Stores the deliveries the producer reported. */
static void store_delivered(sm_gw_results_t *R) {
        if (!R->delivered->len || atomic_load(&R->failed))
                return;
        if (ensure_tx(R) < 0)
                return;
        for (guint i = 0; i < R->delivered->len; i++)
                if (sm_gw_db_report_announced(
                            R->db, g_ptr_array_index(R->delivered, i)) < 0) {
                        set_failed(R, "announced");
                        return;
                }
        if (sm_gw_db_commit(R->db) < 0) {
                set_failed(R, "commit");
                return;
        }
        R->in_tx = 0;
        g_ptr_array_set_size(R->delivered, 0);
}

/* ---- reports ---- */

static void
fail_running(sm_gw_results_t *R, struct running *r, const char *reason) {
        if (r->outcome || ensure_tx(R) < 0)
                return;
        r->rep.status          = SM_GW_FAILED;
        r->rep.completed_at    = sm_gw_wall_usec();
        r->rep.partitions_done = sm_report_asm_done(r->a);
        snprintf(r->rep.reason, sizeof(r->rep.reason), "%s", reason);
        if (sm_gw_db_report_fail(R->db, &r->rep) < 0) {
                set_failed(R, "fail a report");
                return;
        }
        r->outcome = SM_GW_FAILED;
        touch(R, r);
        sm_log(SM_LOG_WARN, "report", "report %s failed: %s", r->rep.id,
               reason);
}

static void complete_running(sm_gw_results_t *R, struct running *r) {
        char *buf  = NULL;
        size_t len = 0;
        FILE *f    = open_memstream(&buf, &len);
        int wr     = f ? sm_report_asm_write_csv(r->a, f) : -EIO;

        if (f)
                wr |= fclose(f) != 0 ? -EIO : 0;
        if (wr < 0 || !buf) {
                free(buf);
                fail_running(R, r, "could not build the CSV (out of memory)");
                return;
        }
        r->csv = sm_gw_blob_new(len);
        memcpy(r->csv->data, buf, len);
        free(buf);
        r->rep.status          = SM_GW_COMPLETE;
        r->rep.has_as_of       = 1;
        r->rep.as_of           = sm_report_asm_as_of(r->a);
        r->rep.store_count     = sm_report_asm_rows(r->a);
        r->rep.completed_at    = sm_gw_wall_usec();
        r->rep.partitions_done = r->rep.partitions_total;
        if (ensure_tx(R) < 0)
                return;
        if (sm_gw_db_report_complete(R->db, &r->rep, r->csv->data,
                                     r->csv->len) < 0) {
                set_failed(R, "complete a report");
                return;
        }
        r->outcome = SM_GW_COMPLETE;
}

static struct running *running_add(sm_gw_results_t *R,
                                   const sm_gw_report_t *rep) {
        struct running *r = sm_xcalloc(1, sizeof(*r));
        r->rep            = *rep;
        r->a              = sm_report_asm_new(rep->id, rep->partitions_total);
        g_hash_table_replace(R->running, r->rep.id, r);
        return r;
}

static void drain_inbox(sm_gw_results_t *R) {
        GArray *items;

        pthread_mutex_lock(&R->inbox_lock);
        if (!R->inbox->len) {
                pthread_mutex_unlock(&R->inbox_lock);
                return;
        }
        items    = R->inbox;
        R->inbox = g_array_new(FALSE, FALSE, sizeof(struct inbox_item));
        pthread_mutex_unlock(&R->inbox_lock);
        for (guint i = 0; i < items->len; i++) {
                struct inbox_item *it =
                        &g_array_index(items, struct inbox_item, i);
                struct running *r = g_hash_table_lookup(R->running, it->rep.id);
                if (!it->fail) {
                        if (!r)
                                (void)running_add(R, &it->rep);
                } else if (r) {
                        fail_running(R, r, it->rep.reason);
                }
        }
        g_array_free(items, TRUE);
}

static void handle_part(sm_gw_results_t *R, const rd_kafka_message_t *rkm) {
        sm_part_msg_t part;
        struct running *r;
        char why[512];
        int res;

        if (sm_codec_decode_part(R->codec, rkm->payload, rkm->len, &part, why,
                                 sizeof(why)) < 0) {
                sm_gw_metrics_add(R->d.metrics, SM_GW_C_BAD_RECORDS, 1);
                sm_log(SM_LOG_WARN, "results", "%s [%d] @%lld: bad record: %s",
                       SM_TOPIC_REPORT_RESULTS, rkm->partition,
                       (long long)rkm->offset, why);
                return;
        }
        r = g_hash_table_lookup(R->running, part.report_id);
        if (!r || r->outcome) {
                sm_gw_metrics_add(R->d.metrics, SM_GW_C_PARTS_IGNORED, 1);
                return;
        }
        if (r->rep.has_as_of && part.as_of != r->rep.as_of) {
                char want[SM_TIME_FORMAT_MAX], got[SM_TIME_FORMAT_MAX];
                snprintf(why, sizeof(why),
                         "partition %d answered for as_of %s, not the "
                         "requested %s",
                         part.partition,
                         sm_time_format(part.as_of, got, sizeof(got)),
                         sm_time_format(r->rep.as_of, want, sizeof(want)));
                fail_running(R, r, why);
                return;
        }
        res = sm_report_asm_add(r->a, &part, why, sizeof(why));
        if (res < 0) {
                fail_running(R, r, why);
                return;
        }
        if (res == 0) {
                sm_gw_metrics_add(R->d.metrics, SM_GW_C_PARTS_DUPLICATE, 1);
                return;
        }
        if (ensure_tx(R) < 0)
                return;
        if (sm_gw_db_part_add(R->db, &part) < 0) {
                set_failed(R, "store a part");
                return;
        }
        sm_gw_metrics_add(R->d.metrics, SM_GW_C_PARTS_NEW, 1);
        touch(R, r);
}

static void handle_progress(sm_gw_results_t *R, const rd_kafka_message_t *rkm) {
        sm_progress_msg_t msg;
        char why[256];

        if (sm_codec_decode_progress(R->codec, rkm->payload, rkm->len, &msg,
                                     why, sizeof(why)) < 0) {
                sm_gw_metrics_add(R->d.metrics, SM_GW_C_BAD_RECORDS, 1);
                sm_log(SM_LOG_WARN, "results", "%s [%d] @%lld: bad record: %s",
                       SM_TOPIC_REPORTER_PROGRESS, rkm->partition,
                       (long long)rkm->offset, why);
                return;
        }
        sm_gw_progress_update(R->d.progress, &msg);
}

static void handle_error(sm_gw_results_t *R, const rd_kafka_message_t *rkm) {
        rd_kafka_topic_partition_list_t *l;
        rd_kafka_error_t *e;

        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                return;
        if (rkm->err != RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET &&
            rkm->err != RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
                sm_log(SM_LOG_WARN, "results", "%s [%d]: %s",
                       rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "-",
                       rkm->partition, rd_kafka_message_errstr(rkm));
                return;
        }
        sm_gw_metrics_add(R->d.metrics, SM_GW_C_GAPS, 1);
        sm_log(SM_LOG_ERR, "results",
               "GAP: %s [%d]: offset %lld is no longer on the broker (%s): "
               "going on from the earliest offset; reports missing parts "
               "will time out",
               rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "?", rkm->partition,
               (long long)rkm->offset, rd_kafka_message_errstr(rkm));
        if (!rkm->rkt)
                return;
        l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(rkm->rkt),
                                          rkm->partition)
                ->offset = RD_KAFKA_OFFSET_BEGINNING;
        if ((e = rd_kafka_seek_partitions(R->consumer, l, 2000))) {
                sm_log(SM_LOG_ERR, "results", "seek: %s",
                       rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
        }
        rd_kafka_topic_partition_list_destroy(l);
}

static void check_timeouts(sm_gw_results_t *R) {
        sm_usec_t now = sm_gw_wall_usec();
        GHashTableIter it;
        gpointer k, v;

        g_hash_table_iter_init(&it, R->running);
        while (g_hash_table_iter_next(&it, &k, &v)) {
                struct running *r = v;
                char why[SM_GW_REASON_MAX];
                if (r->outcome ||
                    now - r->rep.requested_at <= R->d.s->report_timeout_us)
                        continue;
                snprintf(why, sizeof(why),
                         "timed out after %lld s: %d of %d partitions "
                         "answered",
                         (long long)(R->d.s->report_timeout_us /
                                     SM_USEC_PER_SEC),
                         sm_report_asm_done(r->a), r->rep.partitions_total);
                fail_running(R, r, why);
        }
}

/* Ends the batch: completes, stores offsets, commits, then publishes
 * the outcome. */
static void finish_batch(sm_gw_results_t *R) {
        int64_t now = sm_gw_mono_ms();

        for (guint i = 0; i < R->touched->len && !atomic_load(&R->failed);
             i++) {
                struct running *r = g_ptr_array_index(R->touched, i);
                if (r->outcome || ensure_tx(R) < 0)
                        continue;
                if (sm_report_asm_complete(r->a))
                        complete_running(R, r);
                else if (sm_gw_db_report_done(R->db, r->rep.id,
                                              sm_report_asm_done(r->a)) < 0)
                        set_failed(R, "progress of a report");
        }
        if (R->any_dirty && !atomic_load(&R->failed) &&
            (R->in_tx || now - R->offsets_at >= OFFSETS_MS)) {
                if (ensure_tx(R) == 0)
                        for (int32_t p = 0; p < R->nres; p++) {
                                if (!R->dirty[p])
                                        continue;
                                if (sm_gw_db_offset_set(R->db,
                                                        SM_TOPIC_REPORT_RESULTS,
                                                        p, R->next[p]) < 0) {
                                        set_failed(R, "offsets");
                                        break;
                                }
                                R->dirty[p] = 0;
                        }
                R->any_dirty  = 0;
                R->offsets_at = now;
        }
        if (atomic_load(&R->failed)) {
                if (R->in_tx)
                        sm_gw_db_rollback(R->db);
                R->in_tx = 0;
                return;
        }
        if (R->in_tx) {
                if (sm_gw_db_commit(R->db) < 0) {
                        set_failed(R, "commit");
                        sm_gw_db_rollback(R->db);
                        R->in_tx = 0;
                        return;
                }
                R->in_tx = 0;
                atomic_store(&R->db_ok, 1);
        }
        /* Committed: show it, then announce it. */
        for (guint i = 0; i < R->touched->len; i++) {
                struct running *r = g_ptr_array_index(R->touched, i);
                r->touched        = 0;
                if (!r->outcome) {
                        sm_gw_cache_set_done(R->d.cache, r->rep.id,
                                             sm_report_asm_done(r->a));
                        continue;
                }
                sm_gw_cache_put(R->d.cache, &r->rep, r->csv, NULL);
                if (r->outcome == SM_GW_COMPLETE) {
                        char ts[SM_TIME_FORMAT_MAX];
                        sm_gw_metrics_report_latency(
                                R->d.metrics,
                                r->rep.completed_at - r->rep.requested_at);
                        announce_queue(R, &r->rep);
                        sm_log(SM_LOG_INFO, "report",
                               "report %s complete: %lld stores as of %s "
                               "in %lld ms",
                               r->rep.id, (long long)r->rep.store_count,
                               sm_time_format(r->rep.as_of, ts, sizeof(ts)),
                               (long long)((r->rep.completed_at -
                                            r->rep.requested_at) /
                                           1000));
                }
        }
        announce_due(R);
        rd_kafka_poll(R->producer, 0);
        /* Off the latency path: the parts and rows of the completed
         * reports, and their JSON answers. */
        for (guint i = 0; i < R->touched->len; i++) {
                struct running *r = g_ptr_array_index(R->touched, i);
                if (r->outcome == SM_GW_COMPLETE &&
                    (ensure_tx(R) < 0 ||
                     sm_gw_db_report_drop_parts(R->db, r->rep.id) < 0)) {
                        set_failed(R, "drop the parts of a report");
                        break;
                }
        }
        if (R->in_tx && !atomic_load(&R->failed)) {
                if (sm_gw_db_commit(R->db) < 0)
                        set_failed(R, "commit");
                else
                        R->in_tx = 0;
        }
        if (R->in_tx) {
                sm_gw_db_rollback(R->db);
                R->in_tx = 0;
        }
        for (guint i = 0; i < R->touched->len; i++) {
                struct running *r = g_ptr_array_index(R->touched, i);
                if (r->outcome == SM_GW_COMPLETE) {
                        char url[1024];
                        sm_gw_blob_t *json;
                        report_url(R, r->rep.id, url, sizeof(url));
                        json = sm_gw_json_complete(&r->rep, r->csv, url);
                        sm_gw_cache_set_bodies(R->d.cache, r->rep.id, NULL,
                                               json);
                        sm_gw_blob_unref(json);
                }
                if (r->outcome)
                        g_hash_table_remove(R->running, r->rep.id);
        }
        g_ptr_array_set_size(R->touched, 0);
}

static void
handle_batch(sm_gw_results_t *R, rd_kafka_message_t **msgs, size_t n) {
        drain_inbox(R);
        for (size_t i = 0; i < n && !atomic_load(&R->failed); i++) {
                const rd_kafka_message_t *rkm = msgs[i];
                const char *topic;
                if (rkm->err) {
                        handle_error(R, rkm);
                        continue;
                }
                topic = rd_kafka_topic_name(rkm->rkt);
                if (strcmp(topic, SM_TOPIC_REPORTER_PROGRESS) == 0) {
                        handle_progress(R, rkm);
                        continue;
                }
                if (strcmp(topic, SM_TOPIC_REPORT_RESULTS) != 0 ||
                    rkm->partition < 0 || rkm->partition >= R->nres)
                        continue;
                R->next[rkm->partition]  = rkm->offset + 1;
                R->dirty[rkm->partition] = 1;
                R->any_dirty             = 1;
                handle_part(R, rkm);
        }
}

/* ---- the thread ---- */

static void read_lag(sm_gw_results_t *R) {
        int64_t lag = 0;
        for (int32_t p = 0; p < R->nres; p++) {
                int64_t lo, hi;
                if (rd_kafka_get_watermark_offsets(R->consumer,
                                                   SM_TOPIC_REPORT_RESULTS, p,
                                                   &lo, &hi) == 0 &&
                    hi >= 0 && R->next[p] >= 0 && hi > R->next[p])
                        lag += hi - R->next[p];
        }
        sm_gw_metrics_set_lag(R->d.metrics, lag);
}

static void probe(sm_gw_results_t *R) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err =
                rd_kafka_metadata(R->producer, 0, R->t_ready, &md, 1000);
        if (md)
                rd_kafka_metadata_destroy(md);
        atomic_store(&R->kafka_ok, err == RD_KAFKA_RESP_ERR_NO_ERROR);
        if (!R->in_tx)
                atomic_store(&R->db_ok,
                             sm_gw_db_touch(R->db, sm_gw_wall_usec()) == 0);
}

static void *results_main(void *arg) {
        sm_gw_results_t *R        = arg;
        rd_kafka_message_t **msgs = sm_xcalloc(BATCH_MAX, sizeof(*msgs));
        int64_t last_timeouts = 0, last_probe = 0, last_lag = 0;

        while (!atomic_load(&R->stop) && !atomic_load(&R->failed)) {
                rd_kafka_message_t *first =
                        rd_kafka_consume_queue(R->cq, POLL_MS);
                size_t n = 0;
                int64_t now;
                if (first) {
                        ssize_t more;
                        msgs[n++] = first;
                        more = rd_kafka_consume_batch_queue(R->cq, 0, msgs + 1,
                                                            BATCH_MAX - 1);
                        if (more > 0)
                                n += (size_t)more;
                } else {
                        R->caught_up = 1;
                }
                handle_batch(R, msgs, n);
                now = sm_gw_mono_ms();
                if (R->caught_up && now - last_timeouts >= TIMEOUT_CHECK) {
                        check_timeouts(R);
                        last_timeouts = now;
                }
                finish_batch(R);
                for (size_t i = 0; i < n; i++)
                        rd_kafka_message_destroy(msgs[i]);
                rd_kafka_poll(R->producer, 0);
                store_delivered(R);
                if (R->to_announce->len)
                        announce_due(R);
                if (now - last_lag >= LAG_MS) {
                        read_lag(R);
                        last_lag = now;
                }
                if (now - last_probe >= PROBE_MS) {
                        probe(R);
                        last_probe = now;
                }
                if (sm_kafka_fatal()) {
                        sm_log(SM_LOG_ERR, "results",
                               "fatal Kafka error: stopping");
                        atomic_store(&R->failed, 1);
                }
        }
        free(msgs);
        /* A write that failed outside finish_batch() (store_delivered())
         * left its transaction open: nothing of it is kept. */
        if (R->in_tx) {
                sm_gw_db_rollback(R->db);
                R->in_tx = 0;
        }
        /* The events in flight: wait for their delivery reports and store
         * them, so a clean stop announces nothing twice. */
        if (!atomic_load(&R->failed)) {
                if (R->to_announce->len)
                        announce_due(R);
                if (rd_kafka_flush(R->producer, 5000) != 0)
                        sm_log(SM_LOG_WARN, "announce",
                               "%d ReportReady events not delivered at "
                               "exit: they are announced at the next start",
                               rd_kafka_outq_len(R->producer));
                store_delivered(R);
        }
        return NULL;
}

/* ---- setup ---- */

static rd_kafka_t *new_handle(sm_gw_results_t *R,
                              rd_kafka_type_t type,
                              const sm_kafka_prop_t *defaults,
                              size_t ndefaults,
                              char *errstr,
                              size_t errstr_size) {
        rd_kafka_conf_t *kconf = sm_kafka_conf_new(
                R->d.s->brokers, defaults, ndefaults, R->d.s->props,
                R->d.s->nprops, errstr, errstr_size);
        rd_kafka_t *rk;

        if (!kconf)
                return NULL;
        rd_kafka_conf_set_opaque(kconf, R);
        if (type == RD_KAFKA_PRODUCER)
                rd_kafka_conf_set_dr_msg_cb(kconf, dr_cb);
        if (!(rk = rd_kafka_new(type, kconf, errstr, errstr_size)))
                rd_kafka_conf_destroy(kconf);
        return rk;
}

/* Fills R->next: stored offsets, and the current end where none is
 * stored (stored at once, so a restart never skips a part). */
static int load_offsets(sm_gw_results_t *R, char *errstr, size_t errstr_size) {
        int fresh = 0;

        if (sm_gw_db_offsets_get(R->db, SM_TOPIC_REPORT_RESULTS, R->nres,
                                 R->next) < 0) {
                snprintf(errstr, errstr_size, "database: offsets: %s",
                         sm_gw_db_errmsg(R->db));
                return -EIO;
        }
        for (int32_t p = 0; p < R->nres; p++) {
                int64_t lo, hi;
                rd_kafka_resp_err_t err;
                if (R->next[p] >= 0)
                        continue;
                err = rd_kafka_query_watermark_offsets(R->consumer,
                                                       SM_TOPIC_REPORT_RESULTS,
                                                       p, &lo, &hi, 10000);
                if (err) {
                        snprintf(errstr, errstr_size,
                                 "%s [%d]: end offset: "
                                 "%s",
                                 SM_TOPIC_REPORT_RESULTS, p,
                                 rd_kafka_err2str(err));
                        return -EIO;
                }
                R->next[p]  = hi;
                R->dirty[p] = 1;
                fresh       = 1;
        }
        if (!fresh)
                return 0;
        if (sm_gw_db_begin(R->db) < 0)
                goto fail;
        for (int32_t p = 0; p < R->nres; p++)
                if (R->dirty[p] &&
                    sm_gw_db_offset_set(R->db, SM_TOPIC_REPORT_RESULTS, p,
                                        R->next[p]) < 0) {
                        sm_gw_db_rollback(R->db);
                        goto fail;
                }
        if (sm_gw_db_commit(R->db) < 0) {
                sm_gw_db_rollback(R->db);
                goto fail;
        }
        memset(R->dirty, 0, (size_t)R->nres);
        return 0;
fail:
        snprintf(errstr, errstr_size, "database: offsets: %s",
                 sm_gw_db_errmsg(R->db));
        return -EIO;
}

static int
assign(sm_gw_results_t *R, int32_t nprog, char *errstr, size_t errstr_size) {
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(R->nres + nprog);
        rd_kafka_resp_err_t err;

        for (int32_t p = 0; p < R->nres; p++)
                rd_kafka_topic_partition_list_add(l, SM_TOPIC_REPORT_RESULTS, p)
                        ->offset = R->next[p];
        for (int32_t p = 0; p < nprog; p++)
                rd_kafka_topic_partition_list_add(l, SM_TOPIC_REPORTER_PROGRESS,
                                                  p)
                        ->offset = RD_KAFKA_OFFSET_BEGINNING;
        err = rd_kafka_assign(R->consumer, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (err) {
                snprintf(errstr, errstr_size, "assign: %s",
                         rd_kafka_err2str(err));
                return -EIO;
        }
        return 0;
}

/* Replays a stored part into a rebuilt report. */
static int replay_part(const sm_part_msg_t *part, void *opaque) {
        struct running *r = opaque;
        char why[256];
        if (sm_report_asm_add(r->a, part, why, sizeof(why)) < 0)
                sm_log(SM_LOG_WARN, "results", "report %s: stored part: %s",
                       r->rep.id, why);
        return 0;
}

struct load_ctx {
        sm_gw_results_t *R; /* the results */
        GPtrArray *running; /* sm_gw_report_t copies of Running ones */
        int64_t counts[SM_GW__STATUS_CNT]; /* reports per status */
        int64_t unannounced; /* Complete, ReportReady not delivered */
};

static int load_report(const sm_gw_report_t *rep, int announced, void *opaque) {
        struct load_ctx *ctx = opaque;
        ctx->counts[rep->status]++;
        sm_gw_cache_put(ctx->R->d.cache, rep, NULL, NULL);
        if (rep->status == SM_GW_RUNNING) {
                sm_gw_report_t *copy = sm_xmalloc(sizeof(*copy));
                *copy                = *rep;
                g_ptr_array_add(ctx->running, copy);
        } else if (rep->status == SM_GW_COMPLETE && !announced) {
                announce_queue(ctx->R, rep);
                ctx->unannounced++;
        }
        return 0;
}

static int load_reports(sm_gw_results_t *R, char *errstr, size_t errstr_size) {
        struct load_ctx ctx = {.R = R};
        int ret             = 0;

        ctx.running = g_ptr_array_new_with_free_func(free);
        if (sm_gw_db_reports_load(R->db, load_report, &ctx) < 0) {
                snprintf(errstr, errstr_size, "database: reports: %s",
                         sm_gw_db_errmsg(R->db));
                ret = -EIO;
                goto out;
        }
        for (guint i = 0; i < ctx.running->len; i++) {
                struct running *r =
                        running_add(R, g_ptr_array_index(ctx.running, i));
                if (sm_gw_db_parts_replay(R->db, r->rep.id, replay_part, r) <
                    0) {
                        snprintf(errstr, errstr_size,
                                 "database: parts of %s: %s", r->rep.id,
                                 sm_gw_db_errmsg(R->db));
                        ret = -EIO;
                        goto out;
                }
                r->rep.partitions_done = sm_report_asm_done(r->a);
                sm_gw_cache_put(R->d.cache, &r->rep, NULL, NULL);
                /* Complete already (stopped between its last part and
                 * the batch's end)?  The first batch finishes it. */
                touch(R, r);
        }
        sm_log(SM_LOG_NOTICE, "results",
               "database: %lld running, %lld complete (%lld to announce), "
               "%lld failed reports",
               (long long)ctx.counts[SM_GW_RUNNING],
               (long long)ctx.counts[SM_GW_COMPLETE],
               (long long)ctx.unannounced, (long long)ctx.counts[SM_GW_FAILED]);
out:
        g_ptr_array_free(ctx.running, TRUE);
        return ret;
}

sm_gw_results_t *sm_gw_results_new(const sm_gw_results_deps_t *deps,
                                   sm_gw_db_t *db,
                                   char *errstr,
                                   size_t errstr_size) {
        const sm_kafka_prop_t consumer_defaults[] = {
                /* librdkafka wants a group.id even for assign(): it is
                 * never joined and nothing is committed (the offsets live
                 * in SQLite). */
                {"group.id", "storemon-gateway", NULL},
                {"enable.auto.commit", "false", NULL},
                {"enable.auto.offset.store", "false", NULL},
                {"enable.partition.eof", "false", NULL},
                {"auto.offset.reset", "error", NULL},
                {"fetch.wait.max.ms", "10", NULL},
        };
        const sm_kafka_prop_t producer_defaults[] = {
                {"enable.idempotence", "true", NULL},
                {"acks", "all", NULL},
                {"linger.ms", "0", NULL},
                {"partitioner", "murmur2_random", NULL},
                /* One request in flight: see gateway_trigger.c. */
                {"max.in.flight.requests.per.connection", "1", NULL},
        };
        sm_gw_results_t *R = sm_xcalloc(1, sizeof(*R));
        int32_t nprog;
        int n;

        R->d           = *deps;
        R->db          = db;
        R->running     = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                               running_free);
        R->touched     = g_ptr_array_new();
        R->to_announce = g_ptr_array_new();
        R->delivered   = g_ptr_array_new_with_free_func(free);
        R->inbox       = g_array_new(FALSE, FALSE, sizeof(struct inbox_item));
        pthread_mutex_init(&R->inbox_lock, NULL);
        atomic_init(&R->stop, 0);
        atomic_init(&R->db_ok, 1);
        atomic_init(&R->kafka_ok, 1);
        atomic_init(&R->failed, 0);

        if (!(R->codec = sm_codec_new(errstr, errstr_size)))
                goto fail;
        if (!(R->producer = new_handle(R, RD_KAFKA_PRODUCER, producer_defaults,
                                       sizeof(producer_defaults) /
                                               sizeof(producer_defaults[0]),
                                       errstr, errstr_size)))
                goto fail;
        R->t_ready =
                rd_kafka_topic_new(R->producer, SM_TOPIC_REPORT_READY, NULL);
        if (!(R->consumer = new_handle(R, RD_KAFKA_CONSUMER, consumer_defaults,
                                       sizeof(consumer_defaults) /
                                               sizeof(consumer_defaults[0]),
                                       errstr, errstr_size)))
                goto fail;
        rd_kafka_poll_set_consumer(R->consumer);
        R->cq = rd_kafka_queue_get_consumer(R->consumer);
        if ((n = sm_kafka_partition_count(R->consumer, SM_TOPIC_REPORT_RESULTS,
                                          10000, errstr, errstr_size)) < 0)
                goto fail;
        R->nres  = n;
        R->next  = sm_xcalloc((size_t)n, sizeof(*R->next));
        R->dirty = sm_xcalloc((size_t)n, 1);
        if ((nprog = sm_kafka_partition_count(R->consumer,
                                              SM_TOPIC_REPORTER_PROGRESS, 10000,
                                              errstr, errstr_size)) < 0)
                goto fail;
        if (load_offsets(R, errstr, errstr_size) < 0 ||
            load_reports(R, errstr, errstr_size) < 0 ||
            assign(R, nprog, errstr, errstr_size) < 0)
                goto fail;
        R->offsets_at = sm_gw_mono_ms();
        return R;
fail:
        sm_gw_results_destroy(R);
        return NULL;
}

int sm_gw_results_start(sm_gw_results_t *res) {
        int r = pthread_create(&res->thread, NULL, results_main, res);
        if (r)
                return -r;
        res->started = 1;
        return 0;
}

static void inbox_put(sm_gw_results_t *res, const struct inbox_item *it) {
        pthread_mutex_lock(&res->inbox_lock);
        g_array_append_val(res->inbox, *it);
        pthread_mutex_unlock(&res->inbox_lock);
}

void sm_gw_results_add(sm_gw_results_t *res, const sm_gw_report_t *r) {
        struct inbox_item it = {.fail = 0, .rep = *r};
        inbox_put(res, &it);
}

void sm_gw_results_fail(sm_gw_results_t *res,
                        const char *id,
                        const char *reason) {
        struct inbox_item it = {.fail = 1};
        snprintf(it.rep.id, sizeof(it.rep.id), "%s", id);
        snprintf(it.rep.reason, sizeof(it.rep.reason), "%s", reason);
        inbox_put(res, &it);
}

int sm_gw_results_db_ok(sm_gw_results_t *res) {
        return atomic_load(&res->db_ok);
}

int sm_gw_results_kafka_ok(sm_gw_results_t *res) {
        return atomic_load(&res->kafka_ok);
}

int sm_gw_results_failed(sm_gw_results_t *res) {
        return atomic_load(&res->failed);
}

void sm_gw_results_stop(sm_gw_results_t *res) {
        if (!res || !res->started)
                return;
        atomic_store(&res->stop, 1);
        pthread_join(res->thread, NULL);
        res->started = 0;
}

void sm_gw_results_destroy(sm_gw_results_t *res) {
        if (!res)
                return;
        sm_gw_results_stop(res);
        if (res->cq)
                rd_kafka_queue_destroy(res->cq);
        if (res->consumer) {
                rd_kafka_consumer_close(res->consumer);
                rd_kafka_destroy(res->consumer);
        }
        if (res->producer) {
                /* Undelivered events are announced again at the next
                 * start (their `announced` is not stored). */
                rd_kafka_purge(res->producer,
                               RD_KAFKA_PURGE_F_QUEUE |
                                       RD_KAFKA_PURGE_F_INFLIGHT);
                (void)rd_kafka_flush(res->producer, 1000);
                if (res->t_ready)
                        rd_kafka_topic_destroy(res->t_ready);
                rd_kafka_destroy(res->producer);
        }
        for (guint i = 0; i < res->to_announce->len; i++)
                free(g_ptr_array_index(res->to_announce, i));
        g_ptr_array_free(res->to_announce, TRUE);
        g_ptr_array_free(res->delivered, TRUE);
        g_ptr_array_free(res->touched, TRUE);
        g_hash_table_destroy(res->running);
        g_array_free(res->inbox, TRUE);
        pthread_mutex_destroy(&res->inbox_lock);
        free(res->next);
        free(res->dirty);
        sm_buf_free(&res->frame);
        sm_codec_destroy(res->codec);
        sm_gw_db_close(res->db);
        free(res);
}
