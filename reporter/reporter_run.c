/*
 * reporter_run: the streaming reporter service (see reporter_run.h).
 *
 * One thread does everything, in a loop of at most ~100 ms per turn:
 * consume a batch (rd_kafka_consume_batch_queue, several times faster here
 * than rd_kafka_consumer_poll), apply it to the owned partitions' store
 * tables, read other instances' progress, answer the report requests whose
 * partitions have caught up, and, on their timers, checkpoint, commit,
 * publish progress and write metrics.
 *
 * Offsets.  Kafka's committed offsets are only ever the ones a checkpoint
 * holds, and a (re)assigned partition starts from its checkpoint (or from
 * offset 0), never from the committed offset of another state.  A request
 * not yet answered keeps the checkpointed position of report-requests at
 * or before it, so a crash never loses one.  auto.offset.reset=error: a
 * position the broker no longer has (the embedded broker drops old data)
 * is logged as a gap, counted, and reading goes on from the earliest data.
 * A checkpoint that cannot be written (a full disk, an I/O error) stops
 * the reporter with status 1, through the same teardown as a signal: no
 * further checkpoint is tried, only what the last good checkpoints hold
 * is committed, and a restart resumes from them.
 *
 * The report's `now`.  A request with as_of is answered for that instant.
 * A request without one is answered, once every partition this instance
 * owns has caught up with the request's end offsets, for the largest
 * watermark known: the owned partitions' own and, for the others, the
 * latest progress records of their owners.  All partitions one instance
 * answers share that instant; across several instances the gateway passes
 * an explicit as_of (it reads the same progress records).
 */
#include "reporter_run.h"
#include "reporter_answer.h"
#include "reporter_checkpoint.h"
#include "sm/codec.h"
#include "sm/conf.h"
#include "sm/fetchwake.h"
#include "sm/kafka.h"
#include "sm/kbatch.h"
#include "sm/log.h"
#include "sm/signals.h"
#include "sm/topics.h"
#include "sm/xalloc.h"
#include "store_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX      4096 /* messages per consume call */
#define POLL_MS        100  /* longest wait of one loop turn */
#define REJECT_RAW_MAX 200  /* bytes of a bad message shown in a reject */
/* Catching up: wake the fetcher when the queue holds fewer messages than
 * this (librdkafka's queued.min.messages, below which it fetches again),
 * at most once per NUDGE_EVERY_MS. */
#define NUDGE_QUEUE_LOW 100000
#define NUDGE_EVERY_MS  5

static const sm_conf_def_t run_defs[] = {
        {"brokers", SM_CONF_STR, NULL, 0, 0, 1, 0,
         "Kafka bootstrap servers (also STOREMON_BROKERS)"},
        {"state-dir", SM_CONF_STR, NULL, 0, 0, 1, 0,
         "directory of the checkpoint database"},
        {"corrupt-state", SM_CONF_STR, "rebuild", 0, 0, 0, 0,
         "a checkpoint database that is corrupt: rebuild (move it aside, "
         "rebuild the state from the topics) or refuse (exit 1)"},
        {"group", SM_CONF_STR, "storemon-reporter", 0, 0, 1, 0,
         "consumer group"},
        {"instance", SM_CONF_STR, "", 0, 0, 0, 0,
         "instance name in progress records (default host-pid)"},
        {"grace", SM_CONF_DURATION, "2h", 0, 7 * SM_USEC_PER_DAY, 0, 0,
         "how late a poll is still applied exactly"},
        {"retain", SM_CONF_DURATION, "1d", 0, 30 * SM_USEC_PER_DAY, 0, 0,
         "how far before the watermark an as_of stays answerable"},
        {"checkpoint-interval", SM_CONF_DURATION, "2s", 100000,
         SM_USEC_PER_HOUR, 0, 0, "time between checkpoints"},
        {"progress-interval", SM_CONF_DURATION, "200ms", 10000, SM_USEC_PER_MIN,
         0, 0, "time between progress records"},
        {"metrics-interval", SM_CONF_DURATION, "5s", 10000, SM_USEC_PER_HOUR, 0,
         0, "time between metrics dumps"},
        {"part-rows", SM_CONF_INT, "2000", 1, 100000, 0, 0,
         "rows per ReportPart record"},
        {"as-of-wait", SM_CONF_DURATION, "10s", 0, SM_USEC_PER_HOUR, 0, 0,
         "longest wait for the other partitions' request copies"},
        {"log-level", SM_CONF_STR, "info", 0, 0, 0, 0,
         "err, warn, notice, info or debug"},
};

enum topic_kind { T_POLLS = 0, T_HOURS, T_ZONES, T_REQUESTS, T_OTHER };

static const char *const store_topics[SM_CKPT_TOPICS] = {
        SM_TOPIC_POLLS, SM_TOPIC_HOURS, SM_TOPIC_TIMEZONES,
        SM_TOPIC_REPORT_REQUESTS};

struct part {
        int owned;                     /* assigned to this instance */
        sm_store_table_t *table;       /* its stores */
        int64_t next[SM_CKPT_TOPICS];  /* next offset per topic */
        int64_t saved[SM_CKPT_TOPICS]; /* the offsets its checkpoint holds
                                        * (the only ones committed) */
        int dirty;                     /* changed since the checkpoint */
        sm_usec_t sent_wm;             /* watermark last published */
        int64_t sent_next;             /* polls offset last published */
};

struct pending {
        char *report_id;   /* the report */
        int32_t partition; /* the copy's partition */
        int64_t offset;    /* its offset in report-requests */
        int has_as_of;     /* as_of was given */
        sm_usec_t as_of;   /* the given as_of */
        int64_t end[3];    /* end offsets: polls, hours, zones */
        int64_t since_ms;  /* when it was read */
};

/* A partition answered whose parts are not all acknowledged yet: until
 * they are, it holds the checkpointed request position at or before its
 * copy, so that a crash before the broker has the parts does not lose the
 * request.  Heap-allocated: it is the parts' delivery opaque. */
struct inflight {
        struct inflight *next; /* the next one */
        char *report_id;       /* the report */
        int32_t partition;     /* the copy's partition */
        int64_t offset;        /* its offset in report-requests */
        sm_usec_t as_of;       /* the instant answered for */
        int64_t end[3];        /* the copy's end offsets */
        int outstanding;       /* parts without a delivery report */
        int failed;            /* a part was not delivered */
};

struct resolved {
        char *report_id; /* a report answered without as_of */
        sm_usec_t as_of; /* the instant chosen for it */
        int64_t at_ms;   /* when (entries expire) */
};

struct counters {
        uint64_t bad_messages;      /* undecodable records */
        uint64_t gaps;              /* positions the broker no longer had */
        uint64_t reports;           /* partition answers sent */
        uint64_t delivery_failures; /* records the broker did not take */
        uint64_t checkpoints;       /* partition checkpoints written */
};

struct reporter {
        const sm_conf_t *conf;        /* settings */
        char instance[128];           /* name in progress records */
        char group[128];              /* consumer group */
        rd_kafka_t *consumer;         /* group member */
        rd_kafka_queue_t *cq;         /* its queue */
        sm_kbatch_t *cb;              /* batch reader of cq */
        sm_fetch_waker_t *waker;      /* wakes the fetcher (catching up) */
        rd_kafka_t *producer;         /* parts, rejects, progress */
        rd_kafka_topic_t *t_results;  /* report-results */
        rd_kafka_topic_t *t_rejects;  /* ingest-rejects */
        rd_kafka_topic_t *t_progress; /* reporter-progress */
        rd_kafka_t *watcher;          /* reads reporter-progress */
        rd_kafka_queue_t *wq;         /* its queue */
        sm_codec_t *codec;            /* Avro */
        sm_ckpt_t *ck;                /* checkpoints */
        int32_t nparts;               /* store topics' partitions */
        struct part *parts;           /* by partition */
        sm_usec_t *remote_wm;         /* progress of every partition */
        struct pending *pending;      /* unanswered request copies */
        size_t npending;              /* their number */
        size_t pending_cap;           /* capacity of pending */
        struct inflight *inflight;    /* answers being delivered */
        struct resolved resolved[64]; /* recent as_of choices */
        struct counters c;            /* counters */
        sm_buf_t frame;               /* reused encode buffer */
        int failed;                   /* a fatal runtime error happened */
        sm_usec_t grace, retain;      /* store table settings */
        size_t part_rows;             /* rows per ReportPart */
};

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sm_usec_t wall_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (sm_usec_t)ts.tv_sec * SM_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static enum topic_kind topic_of(const char *name) {
        for (int k = 0; k < SM_CKPT_TOPICS; k++)
                if (strcmp(name, store_topics[k]) == 0)
                        return (enum topic_kind)k;
        return T_OTHER;
}

/* ---- producing ---- */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
        struct reporter *R = opaque;
        struct inflight *f = rkm->_private; /* a ReportPart's, else NULL */
        (void)rk;
        if (f) {
                f->outstanding--;
                if (rkm->err)
                        f->failed = 1;
        }
        if (rkm->err) {
                R->c.delivery_failures++;
                sm_log(SM_LOG_ERR, "produce", "%s [%d]: not delivered: %s",
                       rd_kafka_topic_name(rkm->rkt), rkm->partition,
                       rd_kafka_err2str(rkm->err));
        }
}

static void produce_frame(struct reporter *R,
                          rd_kafka_topic_t *rkt,
                          int32_t partition,
                          const void *key,
                          size_t keylen) {
        while (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY,
                                R->frame.data, R->frame.len, key, keylen,
                                NULL) != 0) {
                if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        R->c.delivery_failures++;
                        sm_log(SM_LOG_ERR, "produce", "%s: %s",
                               rd_kafka_topic_name(rkt),
                               rd_kafka_err2str(rd_kafka_last_error()));
                        return;
                }
                rd_kafka_poll(R->producer, 50);
        }
}

/* Publishes a RejectedRow for a record this service cannot use. */
static void publish_reject(struct reporter *R,
                           const char *source,
                           int64_t offset,
                           const char *raw,
                           size_t raw_len,
                           const char *reason) {
        char errstr[256];
        sm_reject_msg_t msg = {
                .source     = source,
                .source_len = strlen(source),
                .line       = offset,
                .raw        = raw,
                .raw_len    = raw_len,
                .reason     = reason,
                .reason_len = strlen(reason),
        };
        if (sm_codec_encode_reject(R->codec, &msg, &R->frame, errstr,
                                   sizeof(errstr)) < 0) {
                sm_log(SM_LOG_ERR, "reject",
                       "%s@%lld: %s (and it cannot be "
                       "published: %s)",
                       source, (long long)offset, reason, errstr);
                return;
        }
        produce_frame(R, R->t_rejects, RD_KAFKA_PARTITION_UA, source,
                      strlen(source));
}

static void bad_message(struct reporter *R,
                        const rd_kafka_message_t *rkm,
                        const char *why) {
        char source[160], raw[2 * REJECT_RAW_MAX + 1];
        size_t n = rkm->len < REJECT_RAW_MAX ? rkm->len : REJECT_RAW_MAX;
        R->c.bad_messages++;
        snprintf(source, sizeof(source), "%s[%d]",
                 rd_kafka_topic_name(rkm->rkt), rkm->partition);
        for (size_t i = 0; i < n; i++)
                snprintf(raw + 2 * i, 3, "%02x",
                         ((const unsigned char *)rkm->payload)[i]);
        raw[2 * n] = '\0';
        sm_log(SM_LOG_WARN, "consume", "%s@%lld: bad record: %s", source,
               (long long)rkm->offset, why);
        publish_reject(R, source, rkm->offset, raw, 2 * n, why);
}

/* ---- partitions ---- */

static void part_load(struct reporter *R, int32_t p) {
        struct part *P = &R->parts[p];
        char errstr[512];
        int r;

        sm_store_table_destroy(P->table);
        P->table = NULL;
        r = sm_ckpt_load(R->ck, p, &P->table, P->next, errstr, sizeof(errstr));
        if (r < 0)
                sm_log(SM_LOG_ERR, "checkpoint",
                       "partition %d: %s: rebuilding it from the topics", p,
                       errstr);
        if (r <= 0) {
                P->table = sm_store_table_new(R->grace, R->retain);
                for (int k = 0; k < SM_CKPT_TOPICS; k++)
                        P->next[k] = 0;
        } else {
                sm_log(SM_LOG_INFO, "checkpoint",
                       "partition %d: resumed at offsets %lld/%lld/%lld/%lld",
                       p, (long long)P->next[0], (long long)P->next[1],
                       (long long)P->next[2], (long long)P->next[3]);
        }
        memcpy(P->saved, P->next, sizeof(P->saved));
        P->owned     = 1;
        P->dirty     = 0;
        P->sent_wm   = INT64_MIN;
        P->sent_next = -1;
}

/* The request position a checkpoint may record: not past an unanswered
 * request of the partition. */
static int64_t safe_request_offset(const struct reporter *R, int32_t p) {
        int64_t off = R->parts[p].next[T_REQUESTS];
        for (size_t i = 0; i < R->npending; i++)
                if (R->pending[i].partition == p && R->pending[i].offset < off)
                        off = R->pending[i].offset;
        for (const struct inflight *f = R->inflight; f; f = f->next)
                if (f->partition == p && f->offset < off)
                        off = f->offset;
        return off;
}

static int part_checkpoint(struct reporter *R, int32_t p) {
        struct part *P = &R->parts[p];
        int64_t next[SM_CKPT_TOPICS];
        char errstr[512];

        if (!P->owned)
                return 0;
        memcpy(next, P->next, sizeof(next));
        next[T_REQUESTS] = safe_request_offset(R, p);
        sm_store_table_compact_all(P->table);
        if (sm_ckpt_save(R->ck, p, P->table, next, R->instance, errstr,
                         sizeof(errstr)) < 0) {
                sm_log(SM_LOG_ERR, "checkpoint",
                       "partition %d: %s: stopping (the last good checkpoint "
                       "is kept)",
                       p, errstr);
                R->failed = 1;
                return -EIO;
        }
        memcpy(P->saved, next, sizeof(P->saved));
        P->dirty = 0;
        R->c.checkpoints++;
        return 0;
}

static void drop_pending_of(struct reporter *R, int32_t p) {
        size_t out = 0;
        for (size_t i = 0; i < R->npending; i++) {
                if (R->pending[i].partition == p) {
                        free(R->pending[i].report_id);
                        continue;
                }
                R->pending[out++] = R->pending[i];
        }
        R->npending = out;
}

static void part_drop(struct reporter *R, int32_t p) {
        struct part *P = &R->parts[p];
        sm_store_table_destroy(P->table);
        P->table = NULL;
        P->owned = 0;
        drop_pending_of(R, p);
}

/* Commits, for every owned partition, the offsets its checkpoint holds
 * (never the ones applied since: after a failed checkpoint those are not
 * durable). */
static void commit_checkpointed(struct reporter *R, int async) {
        rd_kafka_topic_partition_list_t *list =
                rd_kafka_topic_partition_list_new(R->nparts * SM_CKPT_TOPICS);
        rd_kafka_resp_err_t err;
        for (int32_t p = 0; p < R->nparts; p++) {
                if (!R->parts[p].owned)
                        continue;
                for (int k = 0; k < SM_CKPT_TOPICS; k++)
                        rd_kafka_topic_partition_list_add(list, store_topics[k],
                                                          p)
                                ->offset = R->parts[p].saved[k];
        }
        if (list->cnt > 0 &&
            (err = rd_kafka_commit(R->consumer, list, async)) != 0 &&
            err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                sm_log(SM_LOG_WARN, "commit", "%s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(list);
}

/* A checkpoint past the end of its topic belongs to logs that no longer
 * exist (the topics were recreated, e.g. a new embedded broker): such a
 * partition is rebuilt from offset 0, loudly. */
static void drop_stale_checkpoints(struct reporter *R,
                                   rd_kafka_t *rk,
                                   const rd_kafka_topic_partition_list_t *as) {
        rd_kafka_topic_partition_list_t *ends =
                rd_kafka_topic_partition_list_copy(as);
        rd_kafka_resp_err_t err;

        for (int i = 0; i < ends->cnt; i++)
                ends->elems[i].offset = RD_KAFKA_OFFSET_END;
        err = rd_kafka_offsets_for_times(rk, ends, 10000);
        if (err) {
                sm_log(SM_LOG_WARN, "checkpoint",
                       "cannot read the end offsets to check the "
                       "checkpoints: %s",
                       rd_kafka_err2str(err));
                rd_kafka_topic_partition_list_destroy(ends);
                return;
        }
        for (int i = 0; i < ends->cnt; i++) {
                const rd_kafka_topic_partition_t *tp = &ends->elems[i];
                enum topic_kind k                    = topic_of(tp->topic);
                struct part *P;
                if (k == T_OTHER || tp->partition < 0 ||
                    tp->partition >= R->nparts || tp->err || tp->offset < 0)
                        continue;
                P = &R->parts[tp->partition];
                if (P->next[k] <= tp->offset)
                        continue;
                sm_log(SM_LOG_ERR, "checkpoint",
                       "partition %d: the checkpoint is at offset %lld of %s "
                       "but the topic ends at %lld: the topics were "
                       "recreated; rebuilding the partition from offset 0",
                       tp->partition, (long long)P->next[k], tp->topic,
                       (long long)tp->offset);
                sm_store_table_destroy(P->table);
                P->table = sm_store_table_new(R->grace, R->retain);
                for (int t = 0; t < SM_CKPT_TOPICS; t++)
                        P->next[t] = P->saved[t] = 0;
        }
        rd_kafka_topic_partition_list_destroy(ends);
}

static void rebalance_cb(rd_kafka_t *rk,
                         rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list,
                         void *opaque) {
        struct reporter *R = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                for (int i = 0; i < list->cnt; i++) {
                        rd_kafka_topic_partition_t *tp = &list->elems[i];
                        if (topic_of(tp->topic) != T_OTHER &&
                            tp->partition >= 0 && tp->partition < R->nparts &&
                            !R->parts[tp->partition].owned)
                                part_load(R, tp->partition);
                }
                drop_stale_checkpoints(R, rk, list);
                for (int i = 0; i < list->cnt; i++) {
                        rd_kafka_topic_partition_t *tp = &list->elems[i];
                        enum topic_kind k              = topic_of(tp->topic);
                        if (k == T_OTHER || tp->partition < 0 ||
                            tp->partition >= R->nparts)
                                continue;
                        tp->offset = R->parts[tp->partition].next[k];
                }
                sm_log(SM_LOG_NOTICE, "group", "assigned %d topic partitions",
                       list->cnt);
                rd_kafka_assign(rk, list);
                return;
        }
        /* Revoked (or lost): keep what was done, then let go.  After a
         * failed checkpoint (R->failed: the state database cannot be
         * written) nothing more is tried; the commit below only holds
         * what earlier checkpoints saved. */
        for (int32_t p = 0; p < R->nparts && !R->failed; p++) {
                if (!R->parts[p].owned)
                        continue;
                if (R->parts[p].dirty)
                        (void)part_checkpoint(R, p);
        }
        /* Synchronous in a rebalance, so the next owner's lag is right;
         * not when stopping: the offsets that matter are in the
         * checkpoints, and a broker that is down would hold the stop for
         * the coordinator's timeout. */
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
                commit_checkpointed(R, sm_signals_caught() || R->failed);
        for (int32_t p = 0; p < R->nparts; p++)
                if (R->parts[p].owned)
                        part_drop(R, p);
        sm_log(SM_LOG_NOTICE, "group", "partitions revoked (%s)",
               rd_kafka_err2name(err));
        rd_kafka_assign(rk, NULL);
}

/* ---- applying records ---- */

static void
apply_poll(struct reporter *R, struct part *P, const rd_kafka_message_t *rkm) {
        sm_poll_msg_t msg;
        char errstr[256];
        enum sm_apply_result res;

        if (sm_codec_decode_poll(R->codec, rkm->payload, rkm->len, &msg, errstr,
                                 sizeof(errstr)) < 0) {
                bad_message(R, rkm, errstr);
                return;
        }
        res = sm_store_table_apply_poll(P->table, msg.store_id,
                                        msg.store_id_len, msg.ts, msg.active);
        if (res == SM_APPLY_LATE) {
                char raw[512], ts[SM_TIME_FORMAT_MAX], reason[160];
                int n = snprintf(raw, sizeof(raw), "%.*s,%s,%s",
                                 (int)msg.store_id_len, msg.store_id,
                                 msg.active ? "active" : "inactive",
                                 sm_time_format(msg.ts, ts, sizeof(ts)));
                snprintf(reason, sizeof(reason),
                         "late: older than the grace period (%lld s) behind "
                         "partition %d's watermark, and applying it would "
                         "change compacted history",
                         (long long)(R->grace / SM_USEC_PER_SEC),
                         rkm->partition);
                publish_reject(R, SM_TOPIC_POLLS, rkm->offset, raw,
                               (size_t)(n < (int)sizeof(raw) ? n : 0), reason);
        }
}

static void
apply_hours(struct reporter *R, struct part *P, const rd_kafka_message_t *rkm) {
        sm_hours_msg_t msg;
        sm_hours_rule_t *rules;
        char errstr[256];

        if (sm_codec_decode_hours(R->codec, rkm->payload, rkm->len, &msg,
                                  errstr, sizeof(errstr)) < 0) {
                bad_message(R, rkm, errstr);
                return;
        }
        rules = sm_xcalloc(msg.nrows ? msg.nrows : 1, sizeof(*rules));
        /* Times are seconds since local midnight; an end of 86400 is the
         * midnight that ends the day (the same instant as an end of 00:00
         * read as overnight). */
        for (size_t i = 0; i < msg.nrows; i++) {
                const sm_hours_row_t *h = &msg.rows[i];
                if (h->day_of_week < 0 || h->day_of_week > 6 ||
                    h->start_local < 0 || h->start_local >= 86400 ||
                    h->end_local < 0 || h->end_local > 86400) {
                        snprintf(errstr, sizeof(errstr),
                                 "StoreHours of store %.*s: row %zu out of "
                                 "range (day %d, %d-%d s)",
                                 (int)msg.store_id_len, msg.store_id, i,
                                 h->day_of_week, h->start_local, h->end_local);
                        bad_message(R, rkm, errstr);
                        free(rules);
                        return;
                }
                rules[i] = (sm_hours_rule_t){(int8_t)h->day_of_week,
                                             h->start_local, h->end_local};
        }
        sm_store_table_set_hours(P->table, msg.store_id, msg.store_id_len,
                                 rules, msg.nrows);
        free(rules);
}

static void
apply_zone(struct reporter *R, struct part *P, const rd_kafka_message_t *rkm) {
        sm_tz_msg_t msg;
        const sm_zone_t *zone = NULL;
        char errstr[256];
        const char *why;

        if (sm_codec_decode_tz(R->codec, rkm->payload, rkm->len, &msg, errstr,
                               sizeof(errstr)) < 0) {
                bad_message(R, rkm, errstr);
                return;
        }
        if (msg.timezone_str_len > 0 &&
            !(zone = sm_zone_get(msg.timezone_str, msg.timezone_str_len,
                                 &why))) {
                snprintf(errstr, sizeof(errstr), "store %.*s: %s '%.*s'",
                         (int)msg.store_id_len, msg.store_id, why,
                         (int)msg.timezone_str_len, msg.timezone_str);
                bad_message(R, rkm, errstr);
                return;
        }
        sm_store_table_set_zone(P->table, msg.store_id, msg.store_id_len, zone);
}

static void add_request(struct reporter *R, const rd_kafka_message_t *rkm) {
        sm_request_msg_t msg;
        char errstr[256];
        struct pending *q;

        if (sm_codec_decode_request(R->codec, rkm->payload, rkm->len, &msg,
                                    errstr, sizeof(errstr)) < 0) {
                bad_message(R, rkm, errstr);
                return;
        }
        if (msg.partition != rkm->partition)
                sm_log(SM_LOG_WARN, "request",
                       "report %s: copy for partition %d read from "
                       "partition %d: answering for %d",
                       msg.report_id, msg.partition, rkm->partition,
                       rkm->partition);
        sm_xgrow((void **)&R->pending, &R->pending_cap, R->npending + 1,
                 sizeof(*R->pending));
        q  = &R->pending[R->npending++];
        *q = (struct pending){
                .report_id = sm_xstrndup(msg.report_id, msg.report_id_len),
                .partition = rkm->partition,
                .offset    = rkm->offset,
                .has_as_of = msg.has_as_of,
                .as_of     = msg.as_of,
                .end       = {msg.end_polls, msg.end_hours, msg.end_zones},
                .since_ms  = mono_ms(),
        };
        sm_log(SM_LOG_DEBUG, "request", "report %s partition %d queued",
               q->report_id, q->partition);
}

static void handle_message(struct reporter *R, rd_kafka_message_t *rkm) {
        enum topic_kind k;
        struct part *P;

        if (rkm->err) {
                if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        return;
                if (rkm->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                    rkm->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
                        rd_kafka_topic_partition_list_t *l;
                        R->c.gaps++;
                        sm_log(SM_LOG_ERR, "consume",
                               "GAP: %s [%d]: offset %lld is no longer on "
                               "the broker (%s): its records are lost to "
                               "this reporter; going on from the earliest "
                               "offset",
                               rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "?",
                               rkm->partition, (long long)rkm->offset,
                               rd_kafka_message_errstr(rkm));
                        if (!rkm->rkt)
                                return;
                        l = rd_kafka_topic_partition_list_new(1);
                        rd_kafka_topic_partition_list_add(
                                l, rd_kafka_topic_name(rkm->rkt),
                                rkm->partition)
                                ->offset = RD_KAFKA_OFFSET_BEGINNING;
                        rd_kafka_error_t *e =
                                rd_kafka_seek_partitions(R->consumer, l, 2000);
                        if (e) {
                                sm_log(SM_LOG_ERR, "consume", "seek: %s",
                                       rd_kafka_error_string(e));
                                rd_kafka_error_destroy(e);
                        }
                        rd_kafka_topic_partition_list_destroy(l);
                        return;
                }
                sm_log(SM_LOG_WARN, "consume", "%s [%d]: %s",
                       rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : "-",
                       rkm->partition, rd_kafka_message_errstr(rkm));
                return;
        }
        k = topic_of(rd_kafka_topic_name(rkm->rkt));
        if (k == T_OTHER || rkm->partition < 0 || rkm->partition >= R->nparts)
                return;
        P = &R->parts[rkm->partition];
        if (!P->owned)
                return;
        switch (k) {
        case T_POLLS:
                apply_poll(R, P, rkm);
                break;
        case T_HOURS:
                apply_hours(R, P, rkm);
                break;
        case T_ZONES:
                apply_zone(R, P, rkm);
                break;
        case T_REQUESTS:
                add_request(R, rkm);
                break;
        case T_OTHER:
                break;
        }
        P->next[k] = rkm->offset + 1;
        P->dirty   = 1;
}

/* ---- progress of other instances ---- */

static void read_progress(struct reporter *R) {
        rd_kafka_message_t *msgs[256];
        ssize_t n = rd_kafka_consume_batch_queue(R->wq, 0, msgs, 256);
        for (ssize_t i = 0; i < n; i++) {
                sm_progress_msg_t msg;
                char errstr[256];
                if (!msgs[i]->err &&
                    sm_codec_decode_progress(R->codec, msgs[i]->payload,
                                             msgs[i]->len, &msg, errstr,
                                             sizeof(errstr)) == 0 &&
                    msg.has_watermark && msg.partition >= 0 &&
                    msg.partition < R->nparts &&
                    msg.watermark > R->remote_wm[msg.partition])
                        R->remote_wm[msg.partition] = msg.watermark;
                rd_kafka_message_destroy(msgs[i]);
        }
}

static void publish_progress(struct reporter *R) {
        for (int32_t p = 0; p < R->nparts; p++) {
                struct part *P = &R->parts[p];
                sm_usec_t wm;
                char errstr[256], key[16];
                sm_progress_msg_t msg;
                if (!P->owned)
                        continue;
                wm = sm_store_table_watermark(P->table);
                if (wm == P->sent_wm && P->next[T_POLLS] == P->sent_next)
                        continue;
                msg = (sm_progress_msg_t){
                        .instance       = R->instance,
                        .instance_len   = strlen(R->instance),
                        .partition      = p,
                        .has_watermark  = wm != INT64_MIN,
                        .watermark      = wm == INT64_MIN ? 0 : wm,
                        .applied_offset = P->next[T_POLLS] - 1,
                        .updated_at     = wall_usec(),
                };
                if (sm_codec_encode_progress(R->codec, &msg, &R->frame, errstr,
                                             sizeof(errstr)) < 0) {
                        sm_log(SM_LOG_ERR, "progress", "%s", errstr);
                        continue;
                }
                snprintf(key, sizeof(key), "%d", p);
                produce_frame(R, R->t_progress, RD_KAFKA_PARTITION_UA, key,
                              strlen(key));
                P->sent_wm   = wm;
                P->sent_next = P->next[T_POLLS];
        }
}

/* ---- answering requests ---- */

static int caught_up(const struct reporter *R, const struct pending *q) {
        const struct part *P = &R->parts[q->partition];
        for (int k = 0; k < 3; k++)
                if (q->end[k] >= 0 && P->next[k] < q->end[k])
                        return 0;
        return 1;
}

static struct resolved *find_resolved(struct reporter *R, const char *id) {
        for (size_t i = 0; i < sizeof(R->resolved) / sizeof(R->resolved[0]);
             i++)
                if (R->resolved[i].report_id &&
                    strcmp(R->resolved[i].report_id, id) == 0)
                        return &R->resolved[i];
        return NULL;
}

static sm_usec_t
remember_as_of(struct reporter *R, const char *id, sm_usec_t as_of) {
        size_t n = sizeof(R->resolved) / sizeof(R->resolved[0]), oldest = 0;
        for (size_t i = 1; i < n; i++)
                if (R->resolved[i].at_ms < R->resolved[oldest].at_ms)
                        oldest = i;
        free(R->resolved[oldest].report_id);
        R->resolved[oldest] =
                (struct resolved){sm_xstrdup(id), as_of, mono_ms()};
        return as_of;
}

/* The instant for a request without as_of, or INT64_MIN to wait: every
 * partition this instance owns must have its copy of the request and have
 * caught up with it.  Copies that are slow to catch up are waited for;
 * copies that do not arrive within --as-of-wait are given up on. */
static sm_usec_t resolve_as_of(struct reporter *R, const struct pending *q) {
        struct resolved *r = find_resolved(R, q->report_id);
        sm_usec_t best     = INT64_MIN;
        int missing = 0, behind = 0;

        if (r)
                return r->as_of;
        for (int32_t p = 0; p < R->nparts; p++) {
                const struct pending *copy = NULL;
                if (!R->parts[p].owned)
                        continue;
                for (size_t i = 0; i < R->npending && !copy; i++)
                        if (R->pending[i].partition == p &&
                            strcmp(R->pending[i].report_id, q->report_id) == 0)
                                copy = &R->pending[i];
                if (!copy)
                        missing = 1;
                else if (!caught_up(R, copy))
                        behind = 1;
        }
        if (behind)
                return INT64_MIN;
        if (missing) {
                if (mono_ms() - q->since_ms <
                    sm_conf_int(R->conf, "as-of-wait") / 1000)
                        return INT64_MIN;
                sm_log(SM_LOG_WARN, "request",
                       "report %s: not every owned partition's copy came in "
                       "time: answering with the watermark known now",
                       q->report_id);
        }
        for (int32_t p = 0; p < R->nparts; p++) {
                sm_usec_t wm =
                        R->parts[p].owned
                                ? sm_store_table_watermark(R->parts[p].table)
                                : R->remote_wm[p];
                if (wm > best)
                        best = wm;
        }
        return remember_as_of(R, q->report_id, best == INT64_MIN ? 0 : best);
}

/* Answers whose parts all have their delivery report stop holding the
 * request position (the next checkpoint may move past them).  One with a
 * part not delivered is answered again, for the same instant, while this
 * instance owns the partition; otherwise the new owner reads the copy again
 * from the position the checkpoint held. */
static void reap_inflight(struct reporter *R) {
        struct inflight **pp = &R->inflight, *f;
        while ((f = *pp)) {
                struct part *P = &R->parts[f->partition];
                if (f->outstanding > 0) {
                        pp = &f->next;
                        continue;
                }
                *pp = f->next;
                if (f->failed && P->owned) {
                        struct pending *q;
                        sm_log(SM_LOG_WARN, "request",
                               "report %s partition %d: a part was not "
                               "delivered: answering again",
                               f->report_id, f->partition);
                        sm_xgrow((void **)&R->pending, &R->pending_cap,
                                 R->npending + 1, sizeof(*R->pending));
                        q  = &R->pending[R->npending++];
                        *q = (struct pending){
                                .report_id = f->report_id,
                                .partition = f->partition,
                                .offset    = f->offset,
                                .has_as_of = 1,
                                .as_of     = f->as_of,
                                .end       = {f->end[0], f->end[1], f->end[2]},
                                .since_ms  = mono_ms(),
                        };
                        f->report_id = NULL;
                } else if (P->owned) {
                        P->dirty = 1;
                }
                free(f->report_id);
                free(f);
        }
}

static void answer_ready(struct reporter *R) {
        size_t i = 0;
        while (i < R->npending) {
                struct pending *q = &R->pending[i];
                sm_usec_t as_of;
                char errstr[256];
                long rows;
                struct inflight *f;
                int produced;
                if (!R->parts[q->partition].owned || !caught_up(R, q)) {
                        i++;
                        continue;
                }
                as_of = q->has_as_of ? q->as_of : resolve_as_of(R, q);
                if (as_of == INT64_MIN) {
                        i++;
                        continue;
                }
                f  = sm_xcalloc(1, sizeof(*f));
                *f = (struct inflight){
                        .report_id = sm_xstrdup(q->report_id),
                        .partition = q->partition,
                        .offset    = q->offset,
                        .as_of     = as_of,
                        .end       = {q->end[0], q->end[1], q->end[2]},
                };
                rows = sm_answer_partition(
                        R->producer, R->t_results, R->codec, q->report_id,
                        q->partition, as_of, R->parts[q->partition].table,
                        R->part_rows, f, &produced, errstr, sizeof(errstr));
                /* Delivery reports are served by rd_kafka_poll() on this
                 * thread only: none of these has come in yet. */
                f->outstanding = produced;
                f->next        = R->inflight;
                R->inflight    = f;
                if (rows < 0) {
                        sm_log(SM_LOG_ERR, "request", "%s", errstr);
                        R->c.delivery_failures++;
                } else {
                        char ts[SM_TIME_FORMAT_MAX];
                        R->c.reports++;
                        sm_log(SM_LOG_INFO, "request",
                               "report %s partition %d: %ld rows as of %s "
                               "(%lld ms after the request came in)",
                               q->report_id, q->partition, rows,
                               sm_time_format(as_of, ts, sizeof(ts)),
                               (long long)(mono_ms() - q->since_ms));
                }
                free(q->report_id);
                R->pending[i] = R->pending[--R->npending];
        }
}

/* ---- metrics ---- */

static void write_metrics(struct reporter *R) {
        const char *dir = sm_conf_str(R->conf, "state-dir");
        char path[4096], tmp[4200];
        sm_store_table_stats_t sum = {0};
        int64_t lag                = 0;
        int owned                  = 0;
        FILE *f;

        for (int32_t p = 0; p < R->nparts; p++) {
                sm_store_table_stats_t st;
                int64_t lo, hi;
                if (!R->parts[p].owned)
                        continue;
                owned++;
                sm_store_table_stats(R->parts[p].table, &st);
                sum.applied += st.applied;
                sum.duplicates += st.duplicates;
                sum.late_noop += st.late_noop;
                sum.late += st.late;
                sum.stores += st.stores;
                sum.polls_kept += st.polls_kept;
                if (rd_kafka_get_watermark_offsets(R->consumer, SM_TOPIC_POLLS,
                                                   p, &lo, &hi) == 0 &&
                    hi > R->parts[p].next[T_POLLS])
                        lag += hi - R->parts[p].next[T_POLLS];
        }
        snprintf(path, sizeof(path), "%s/metrics-%s.json", dir, R->instance);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (!(f = fopen(tmp, "w")))
                return;
        fprintf(f,
                "{\"instance\":\"%s\",\"partitions_owned\":%d,"
                "\"stores\":%llu,\"polls_applied\":%llu,"
                "\"duplicates\":%llu,\"late_noop\":%llu,\"late\":%llu,"
                "\"polls_kept\":%llu,\"lag_polls\":%lld,"
                "\"bad_messages\":%llu,\"gaps\":%llu,"
                "\"partition_reports\":%llu,\"delivery_failures\":%llu,"
                "\"checkpoints\":%llu,\"pending_requests\":%zu}\n",
                R->instance, owned, (unsigned long long)sum.stores,
                (unsigned long long)sum.applied,
                (unsigned long long)sum.duplicates,
                (unsigned long long)sum.late_noop, (unsigned long long)sum.late,
                (unsigned long long)sum.polls_kept, (long long)lag,
                (unsigned long long)R->c.bad_messages,
                (unsigned long long)R->c.gaps, (unsigned long long)R->c.reports,
                (unsigned long long)R->c.delivery_failures,
                (unsigned long long)R->c.checkpoints, R->npending);
        if (fclose(f) == 0)
                (void)rename(tmp, path);
        else
                (void)unlink(tmp);
}

/* ---- setup and teardown ---- */

/* The reporter's three librdkafka clients. */
enum handle {
        H_PRODUCER, /* parts, rejects, progress (delivery reports) */
        H_WATCHER,  /* reads reporter-progress (assign, no group) */
        H_MEMBER    /* the consumer group member (rebalance callback) */
};

static rd_kafka_t *new_handle(struct reporter *R,
                              enum handle role,
                              const sm_kafka_prop_t *defaults,
                              size_t ndef,
                              char *errstr,
                              size_t errstr_size) {
        size_t nprops;
        const sm_kafka_prop_t *props = sm_conf_kafka_props(R->conf, &nprops);
        rd_kafka_conf_t *kconf =
                sm_kafka_conf_new(sm_conf_str(R->conf, "brokers"), defaults,
                                  ndef, props, nprops, errstr, errstr_size);
        rd_kafka_t *rk;
        if (!kconf)
                return NULL;
        rd_kafka_conf_set_opaque(kconf, R);
        if (role == H_PRODUCER)
                rd_kafka_conf_set_dr_msg_cb(kconf, dr_cb);
        if (role == H_MEMBER)
                rd_kafka_conf_set_rebalance_cb(kconf, rebalance_cb);
        rk = rd_kafka_new(role == H_PRODUCER ? RD_KAFKA_PRODUCER
                                             : RD_KAFKA_CONSUMER,
                          kconf, errstr, errstr_size);
        if (!rk)
                rd_kafka_conf_destroy(kconf);
        return rk;
}

static int setup(struct reporter *R, char *errstr, size_t errstr_size) {
        const sm_kafka_prop_t consumer_defaults[] = {
                {"group.id", R->group, NULL},
                {"enable.auto.commit", "false", NULL},
                {"enable.auto.offset.store", "false", NULL},
                {"auto.offset.reset", "error", NULL},
                {"partition.assignment.strategy", "range", NULL},
                {"enable.partition.eof", "false", NULL},
                {"fetch.wait.max.ms", "50", NULL},
                {"queued.max.messages.kbytes", "262144", NULL},
                /* A dead member's partitions move after 10 s rather than
                 * librdkafka's 45 s (the embedded broker also waits for
                 * the session to end when a member leaves). */
                {"session.timeout.ms", "10000", NULL},
                {"heartbeat.interval.ms", "1000", NULL},
        };
        const sm_kafka_prop_t producer_defaults[] = {
                {"enable.idempotence", "true", NULL},
                {"acks", "all", NULL},
                {"compression.codec", "lz4", NULL},
                {"linger.ms", "5", NULL},
                {"partitioner", "murmur2_random", NULL},
        };
        char watcher_group[300];
        const sm_kafka_prop_t watcher_defaults[] = {
                /* librdkafka wants a group.id even for assign(): one of
                 * its own, never joined and never committed. */
                {"group.id", watcher_group, NULL},
                {"enable.auto.commit", "false", NULL},
                {"enable.partition.eof", "false", NULL},
                {"fetch.wait.max.ms", "100", NULL},
        };
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_resp_err_t err;
        int n;

        snprintf(watcher_group, sizeof(watcher_group), "%s-progress-%s",
                 R->group, R->instance);
        if (!(R->codec = sm_codec_new(errstr, errstr_size)))
                return -EINVAL;
        if (!(R->producer = new_handle(R, H_PRODUCER, producer_defaults,
                                       sizeof(producer_defaults) /
                                               sizeof(producer_defaults[0]),
                                       errstr, errstr_size)))
                return -EINVAL;
        n = sm_kafka_wait_partition_count(R->producer, SM_TOPIC_POLLS, errstr,
                                          errstr_size);
        if (n < 0)
                return n;
        R->nparts    = n;
        R->parts     = sm_xcalloc((size_t)n, sizeof(*R->parts));
        R->remote_wm = sm_xcalloc((size_t)n, sizeof(*R->remote_wm));
        for (int p = 0; p < n; p++)
                R->remote_wm[p] = INT64_MIN;
        R->t_results =
                rd_kafka_topic_new(R->producer, SM_TOPIC_REPORT_RESULTS, NULL);
        R->t_rejects =
                rd_kafka_topic_new(R->producer, SM_TOPIC_INGEST_REJECTS, NULL);
        R->t_progress = rd_kafka_topic_new(R->producer,
                                           SM_TOPIC_REPORTER_PROGRESS, NULL);
        if (!(R->ck = sm_ckpt_open(sm_conf_str(R->conf, "state-dir"), n,
                                   strcmp(sm_conf_str(R->conf, "corrupt-state"),
                                          "rebuild") == 0,
                                   errstr, errstr_size)))
                return -EIO;

        /* Other instances' progress: every partition, from the start. */
        if (!(R->watcher = new_handle(R, H_WATCHER, watcher_defaults,
                                      sizeof(watcher_defaults) /
                                              sizeof(watcher_defaults[0]),
                                      errstr, errstr_size)))
                return -EINVAL;
        n = sm_kafka_wait_partition_count(
                R->watcher, SM_TOPIC_REPORTER_PROGRESS, errstr, errstr_size);
        if (n < 0)
                return n;
        topics = rd_kafka_topic_partition_list_new(n);
        for (int p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(topics,
                                                  SM_TOPIC_REPORTER_PROGRESS, p)
                        ->offset = RD_KAFKA_OFFSET_BEGINNING;
        err = rd_kafka_assign(R->watcher, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                snprintf(errstr, errstr_size, "reporter-progress: %s",
                         rd_kafka_err2str(err));
                return -EIO;
        }
        R->wq = rd_kafka_queue_get_consumer(R->watcher);

        if (!(R->consumer = new_handle(R, H_MEMBER, consumer_defaults,
                                       sizeof(consumer_defaults) /
                                               sizeof(consumer_defaults[0]),
                                       errstr, errstr_size)))
                return -EINVAL;
        rd_kafka_poll_set_consumer(R->consumer);
        R->cq = rd_kafka_queue_get_consumer(R->consumer);
        if (!(R->cb = sm_kbatch_new(R->cq))) {
                snprintf(errstr, errstr_size, "eventfd: %s", strerror(errno));
                return -EIO;
        }
        if (!(R->waker = sm_fetch_waker_new(R->consumer, SM_TOPIC_POLLS))) {
                snprintf(errstr, errstr_size,
                         "cannot start the fetch waker thread");
                return -EIO;
        }
        topics = rd_kafka_topic_partition_list_new(SM_CKPT_TOPICS);
        for (int k = 0; k < SM_CKPT_TOPICS; k++)
                rd_kafka_topic_partition_list_add(topics, store_topics[k],
                                                  RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(R->consumer, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                snprintf(errstr, errstr_size, "subscribe: %s",
                         rd_kafka_err2str(err));
                return -EIO;
        }
        return 0;
}

static void teardown(struct reporter *R) {
        if (R->producer && R->inflight) {
                /* Answers delivered now let the last checkpoint move past
                 * their requests (only when some are in flight: with the
                 * broker down this waits the whole timeout). */
                (void)rd_kafka_flush(R->producer, 10000);
                reap_inflight(R);
        }
        if (R->consumer) {
                /* Checkpoint and commit what is done (after a failed
                 * checkpoint: commit what the last good ones hold);
                 * closing revokes the partitions (the callback checkpoints
                 * again if needed). */
                for (int32_t p = 0; p < R->nparts && !R->failed; p++)
                        if (R->parts[p].owned)
                                (void)part_checkpoint(R, p);
                commit_checkpointed(R, 1);
                sm_fetch_waker_destroy(R->waker);
                sm_kbatch_destroy(R->cb);
                if (R->cq)
                        rd_kafka_queue_destroy(R->cq);
                rd_kafka_consumer_close(R->consumer);
                rd_kafka_destroy(R->consumer);
        }
        if (R->watcher) {
                if (R->wq)
                        rd_kafka_queue_destroy(R->wq);
                rd_kafka_consumer_close(R->watcher);
                rd_kafka_destroy(R->watcher);
        }
        if (R->producer) {
                if (rd_kafka_flush(R->producer, 10000) != 0)
                        sm_log(SM_LOG_ERR, "produce",
                               "%d records not delivered at exit",
                               rd_kafka_outq_len(R->producer));
                if (R->t_results)
                        rd_kafka_topic_destroy(R->t_results);
                if (R->t_rejects)
                        rd_kafka_topic_destroy(R->t_rejects);
                if (R->t_progress)
                        rd_kafka_topic_destroy(R->t_progress);
                rd_kafka_destroy(R->producer);
        }
        for (int32_t p = 0; p < R->nparts; p++)
                sm_store_table_destroy(R->parts[p].table);
        for (size_t i = 0; i < R->npending; i++)
                free(R->pending[i].report_id);
        for (size_t i = 0; i < sizeof(R->resolved) / sizeof(R->resolved[0]);
             i++)
                free(R->resolved[i].report_id);
        while (R->inflight) {
                struct inflight *f = R->inflight;
                R->inflight        = f->next;
                free(f->report_id);
                free(f);
        }
        free(R->pending);
        free(R->parts);
        free(R->remote_wm);
        sm_buf_free(&R->frame);
        sm_ckpt_close(R->ck);
        sm_codec_destroy(R->codec);
}

/* Wakes librdkafka's fetcher while catching up (see sm/fetchwake.h),
 * through the first owned partition. */
static void nudge_fetcher(struct reporter *R) {
        for (int32_t p = 0; p < R->nparts; p++) {
                if (!R->parts[p].owned)
                        continue;
                sm_fetch_waker_wake(R->waker, p);
                return;
        }
}

static void run_loop(struct reporter *R) {
        rd_kafka_message_t *msgs[BATCH_MAX];
        const int64_t ckpt_ms =
                sm_conf_int(R->conf, "checkpoint-interval") / 1000;
        const int64_t prog_ms =
                sm_conf_int(R->conf, "progress-interval") / 1000;
        const int64_t met_ms = sm_conf_int(R->conf, "metrics-interval") / 1000;
        int64_t last_ckpt = mono_ms(), last_prog = 0, last_met = 0;
        int64_t last_nudge = 0;
        int catching_up    = 0;

        while (!sm_signals_caught() && !sm_kafka_fatal() && !R->failed) {
                ssize_t n = sm_kbatch_consume(R->cb, POLL_MS, msgs, BATCH_MAX);
                int64_t now;
                if (n < 0) {
                        sm_log(SM_LOG_ERR, "consume", "%s",
                               rd_kafka_err2str(rd_kafka_last_error()));
                        n = 0;
                }
                for (ssize_t i = 0; i < n; i++) {
                        handle_message(R, msgs[i]);
                        rd_kafka_message_destroy(msgs[i]);
                }
                catching_up = n == BATCH_MAX || (catching_up && n > 0);
                if (catching_up) {
                        int64_t t = mono_ms();
                        if (t - last_nudge >= NUDGE_EVERY_MS &&
                            rd_kafka_queue_length(R->cq) < NUDGE_QUEUE_LOW) {
                                nudge_fetcher(R);
                                last_nudge = t;
                        }
                }
                read_progress(R);
                answer_ready(R);
                rd_kafka_poll(R->producer, 0);
                reap_inflight(R);
                now = mono_ms();
                if (now - last_prog >= prog_ms) {
                        publish_progress(R);
                        last_prog = now;
                }
                if (now - last_ckpt >= ckpt_ms) {
                        int any = 0;
                        for (int32_t p = 0; p < R->nparts && !R->failed; p++)
                                if (R->parts[p].owned && R->parts[p].dirty) {
                                        (void)part_checkpoint(R, p);
                                        any = 1;
                                }
                        if (any && !R->failed)
                                commit_checkpointed(R, 1);
                        last_ckpt = now;
                }
                if (now - last_met >= met_ms) {
                        write_metrics(R);
                        last_met = now;
                }
        }
}

int sm_run_main(int argc, char **argv) {
        static const char usage[] =
                "usage: storemon-reporter run --brokers ADDR --state-dir DIR "
                "[OPTIONS]\n"
                "Consumes the store topics, keeps per-store rolling state and "
                "answers report requests.";
        struct reporter R = {0};
        sm_conf_t *conf   = sm_conf_new("REPORTER", run_defs,
                                        sizeof(run_defs) / sizeof(run_defs[0]));
        char errstr[512];
        enum sm_log_level level;
        int r, ret = 1;

        r = sm_conf_load(conf, argc, argv, usage, stdout, errstr,
                         sizeof(errstr));
        if (r != 0) {
                if (r < 0)
                        fprintf(stderr, "storemon-reporter run: %s\n", errstr);
                sm_conf_destroy(conf);
                return r > 0 ? 0 : r == -EINVAL ? 2 : 1;
        }
        if (sm_log_level_parse(sm_conf_str(conf, "log-level"), &level) < 0) {
                fprintf(stderr,
                        "storemon-reporter run: --log-level '%s': "
                        "expected err, warn, notice, info or debug\n",
                        sm_conf_str(conf, "log-level"));
                sm_conf_destroy(conf);
                return 2;
        }
        if (strcmp(sm_conf_str(conf, "corrupt-state"), "rebuild") != 0 &&
            strcmp(sm_conf_str(conf, "corrupt-state"), "refuse") != 0) {
                fprintf(stderr,
                        "storemon-reporter run: --corrupt-state '%s': "
                        "expected rebuild or refuse\n",
                        sm_conf_str(conf, "corrupt-state"));
                sm_conf_destroy(conf);
                return 2;
        }
        sm_log_set_level(level);
        R.conf      = conf;
        R.grace     = sm_conf_int(conf, "grace");
        R.retain    = sm_conf_int(conf, "retain");
        R.part_rows = (size_t)sm_conf_int(conf, "part-rows");
        snprintf(R.group, sizeof(R.group), "%s", sm_conf_str(conf, "group"));
        if (*sm_conf_str(conf, "instance"))
                snprintf(R.instance, sizeof(R.instance), "%s",
                         sm_conf_str(conf, "instance"));
        else {
                char host[64] = "host";
                (void)gethostname(host, sizeof(host) - 1);
                host[sizeof(host) - 1] = '\0';
                snprintf(R.instance, sizeof(R.instance), "%.64s-%d", host,
                         (int)getpid());
        }
        (void)sm_signals_install();
        if ((r = setup(&R, errstr, sizeof(errstr))) < 0) {
                if (r == -EINTR) {
                        sm_log(SM_LOG_NOTICE, "main",
                               "stopped on signal %d while waiting for the "
                               "Kafka cluster",
                               sm_signals_caught());
                        ret = 0;
                } else {
                        sm_log(SM_LOG_ERR, "main", "%s", errstr);
                }
                goto out;
        }
        sm_log(SM_LOG_NOTICE, "main",
               "instance %s: %d partitions, group %s, grace %llds, state %s",
               R.instance, R.nparts, R.group,
               (long long)(R.grace / SM_USEC_PER_SEC),
               sm_conf_str(conf, "state-dir"));
        run_loop(&R);
        if (sm_kafka_fatal())
                sm_log(SM_LOG_ERR, "main",
                       "stopping after a fatal Kafka "
                       "error");
        else if (R.failed)
                sm_log(SM_LOG_ERR, "main",
                       "stopping: the state database %s/reporter.db cannot "
                       "be written (a restart resumes from its last good "
                       "checkpoint)",
                       sm_conf_str(conf, "state-dir"));
        else
                sm_log(SM_LOG_NOTICE, "main", "stopping on signal %d",
                       sm_signals_caught());
        ret = R.failed || sm_kafka_fatal() ? 1 : 0;
out:
        if (R.parts)
                write_metrics(&R);
        teardown(&R);
        if (R.c.delivery_failures) {
                sm_log(SM_LOG_ERR, "main", "%llu records were not delivered",
                       (unsigned long long)R.c.delivery_failures);
                ret = 1;
        }
        sm_conf_destroy(conf);
        return ret;
}
