/*
 * ingestor_publish: the producer side of storemon-ingestor (see
 * ingestor.h).
 *
 * Producer.  One idempotent producer (enable.idempotence, acks=all,
 * partitioner=murmur2_random, lz4, linger.ms=5, large batches) writes all
 * four topics through long-lived topic handles.  Each record is encoded
 * into one reusable buffer by the codec and handed over with
 * RD_KAFKA_MSG_F_COPY, so the only per-record allocation is librdkafka's
 * own.  __QUEUE_FULL means "serve delivery reports, then retry".
 *
 * Delivery reports.  Every record handed over is counted per record type;
 * its delivery report moves it to delivered or failed.  A record that
 * could not even be handed over counts as failed at once.  The summary and
 * the exit status come from these counters: a run succeeds only when
 * everything accepted was acknowledged.  On shutdown after a signal the
 * wait for acknowledgements is bounded; what is left is purged, and the
 * purge's delivery reports count it as failed, so nothing accepted is
 * dropped without being counted.
 *
 * Pacing.  The embedded broker keeps about 5 MiB per partition and drops
 * older data silently, so a consumer group that falls further behind than
 * that loses records.  With max_lag > 0 the publisher keeps, for each
 * store-polls partition, an upper bound of the watched group's lag
 * (storemon-reporter by default): at each reading (sm_kafka_group_offsets,
 * every --lag-interval and before the first poll) it is end offset -
 * committed offset + our polls still in flight there, and each poll
 * handed over since adds one (its partition is computed with Java's
 * murmur2, exactly what the murmur2_random partitioner does).  Before a
 * poll whose partition's bound has reached max_lag, the lag is read again
 * (at most every LAG_EARLY_S) and the publisher waits, serving callbacks
 * and re-reading, until no partition is at max_lag any more.  So the
 * group's lag never exceeds max_lag because of us.  A partition the group
 * has never committed cannot be measured: it is not paced (nobody may
 * ever consume it; a load before any reporter started is bounded by the
 * broker's retention alone), and a notice says so once.  Records other
 * producers write meanwhile are counted at the next reading.  After a
 * load the partitions' log start offsets are compared with the group's
 * commits, and the summary warns when the broker already dropped records
 * the group has not committed.  A real cluster keeps data by time, not
 * by 5 MiB: run it with max_lag = 0.
 *
 * A delivery report also checks that each poll landed on the partition
 * murmur2 predicts; a mismatch (a -X partitioner=... override) is counted
 * and reported, since the reporter relies on co-partitioning.
 *
 * Rejects.  A bad row is counted by its code, written to the rejects file
 * as `FILE:LINE: reason` (the batch report's format) and published as a
 * RejectedRow keyed by its source.  Its raw text, source and reason are
 * made valid UTF-8 first (each ill-formed sequence and each NUL becomes
 * U+FFFD), as the schema asks.
 *
 * Progress.  When enabled (by default only when stderr is a terminal), a
 * single line on stderr is redrawn at most 5 times a second: phase, rows,
 * rows/s, % done, acknowledged, and the group lag when pacing.
 */
#include "ingestor.h"
#include "sm/signals.h"
#include "sm/topics.h"
#include "sm/wire.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_EVERY       1024      /* records between two rd_kafka_poll(0) */
#define PROGRESS_EVERY_S 0.2       /* at most 5 redraws a second */
#define LAG_TIMEOUT_MS   3000      /* one lag reading */
#define META_TIMEOUT_MS  2000      /* reading the partition count */
#define META_RETRY_S     10.0      /* between two failed tries */
#define LAG_EARLY_S      0.05      /* least time between two readings */
#define WAIT_NOTE_S      30.0      /* between two "still waiting" notices */
#define FAIL_LOG_MAX     5         /* delivery failures logged one by one */
#define MAX_REJECT_CODES 32        /* distinct reject codes counted */
#define UNPACED          INT64_MIN /* est[] of a partition not paced */

struct reject_count {
        const char *code; /* sm_err_t code (static) */
        int64_t count;    /* rows set aside for it */
};

struct sm_pub_s {
        const sm_ingest_conf_t *conf;       /* borrowed */
        const char *cmd;                    /* "load" or "stream" */
        rd_kafka_t *rk;                     /* the producer */
        rd_kafka_topic_t *rkt[SM_PUB__CNT]; /* topic per record type */
        sm_codec_t *codec;                  /* Avro encoder */
        sm_buf_t frame;                     /* encoded record, reused */
        sm_buf_t text;                      /* UTF-8-cleaned reject text */
        FILE *rejects;                      /* rejects file, or NULL */
        int rejects_failed;                 /* a write to it failed */

        int64_t read[3];                /* rows read per input kind */
        int64_t accepted[3];            /* rows accepted per input kind */
        int64_t produced[SM_PUB__CNT];  /* handed to librdkafka */
        int64_t delivered[SM_PUB__CNT]; /* acknowledged */
        int64_t failed[SM_PUB__CNT];    /* failed or never handed over */
        struct reject_count rc[MAX_REJECT_CODES]; /* rejects by code */
        int nrc;                                  /* used entries of rc */
        int64_t rejected;                         /* rows set aside */
        int64_t mismatched; /* polls off their murmur2 partition */

        int32_t nparts;           /* store-polls partitions, 0 = unknown */
        int64_t *inflight;        /* per partition: polls not yet reported */
        int64_t *est;             /* per partition: lag upper bound, or
                                   * UNPACED */
        sm_kafka_offsets_t *offs; /* scratch for lag readings */
        int lag_due;              /* read the lag before the next poll */
        double next_meta;         /* earliest retry of the partition count */
        double next_lag;          /* when the lag is read next (monotonic s) */
        double last_lag;          /* when it was last read */
        int64_t lag_max;          /* largest lag at the last reading, -1 */
        int lag_warned;           /* lag could not be read: logged */
        int unpaced_noted;        /* "not paced" notice given */
        double paced_s;           /* time spent waiting for the group */
        int64_t waits;            /* times the publisher waited for it */
        int64_t dropped_parts;    /* partitions with uncommitted records the
                                   * broker dropped (checked after load) */

        int progress_on;    /* draw the progress line */
        int drawn;          /* a line is on the screen */
        const char *phase;  /* what the line says is happening */
        int64_t rows;       /* rows done in the phase */
        double fraction;    /* fraction done, < 0 unknown */
        double phase_start; /* when the phase began */
        double next_draw;   /* earliest next redraw */
        double started;     /* when the publisher was made */
        unsigned tick;      /* sm_pub_serve() calls */
};

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const rec_names[SM_PUB__CNT] = {"polls", "hours", "zones",
                                                   "rejects"};

static void pace(sm_pub_t *pub);

/* msg_opaque: record type in the low 4 bits, expected partition + 1 above
 * (0 = not tracked). */
static void *make_opaque(enum sm_pub_rec rec, int32_t part) {
        return (void *)(((uintptr_t)(uint32_t)(part + 1) << 4) |
                        (uintptr_t)rec);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
        sm_pub_t *pub = opaque;
        uintptr_t o   = (uintptr_t)rkm->_private;
        int rec       = (int)(o & 0xf);
        int32_t part  = (int32_t)(o >> 4) - 1;

        (void)rk;
        if (rec >= SM_PUB__CNT)
                return;
        if (part >= 0 && part < pub->nparts)
                pub->inflight[part]--;
        if (rkm->err) {
                int64_t n = ++pub->failed[rec];
                if (n <= FAIL_LOG_MAX)
                        sm_log(SM_LOG_ERR, "publish",
                               "%s record (key '%.*s') not delivered: %s%s",
                               rec_names[rec],
                               (int)(rkm->key_len > 64 ? 64 : rkm->key_len),
                               rkm->key ? (const char *)rkm->key : "",
                               rd_kafka_err2str(rkm->err),
                               n == FAIL_LOG_MAX ? " (further failures are "
                                                   "only counted)"
                                                 : "");
                return;
        }
        pub->delivered[rec]++;
        if (part >= 0 && rkm->partition != part && ++pub->mismatched == 1)
                sm_log(SM_LOG_WARN, "publish",
                       "a poll landed on partition %" PRId32
                       " where murmur2 says %" PRId32
                       ": the reporter expects the murmur2_random "
                       "partitioner",
                       rkm->partition, part);
}

sm_pub_t *sm_pub_new(const sm_ingest_conf_t *conf,
                     const char *cmd,
                     int *ret_usage,
                     char *errstr,
                     size_t errstr_size) {
        /* Our producer defaults; -X may override any of them. */
        static const sm_kafka_prop_t defaults[] = {
                {"client.id", SM_INGEST_PROG, NULL},
                {"enable.idempotence", "true", NULL},
                {"acks", "all", NULL},
                {"partitioner", "murmur2_random", NULL},
                {"compression.type", "lz4", NULL},
                {"linger.ms", "5", NULL},
                {"batch.num.messages", "10000", NULL},
                {"batch.size", "4000000", NULL},
                {"queue.buffering.max.messages", "500000", NULL},
                {"queue.buffering.max.kbytes", "1048576", NULL},
        };
        const char *topics[SM_PUB__CNT] = {SM_TOPIC_POLLS, SM_TOPIC_HOURS,
                                           SM_TOPIC_TIMEZONES,
                                           SM_TOPIC_INGEST_REJECTS};
        sm_pub_t *pub                   = sm_xcalloc(1, sizeof(*pub));
        rd_kafka_conf_t *kconf;
        char rderr[512];

        *ret_usage    = 0;
        pub->conf     = conf;
        pub->cmd      = cmd;
        pub->lag_max  = -1;
        pub->started  = now_s();
        pub->fraction = -1;
        pub->phase    = cmd;
        pub->next_lag = pub->started;
        pub->lag_due  = conf->max_lag > 0;
        pub->progress_on =
                conf->progress == SM_INGEST_PROGRESS_ON ||
                (conf->progress == SM_INGEST_PROGRESS_AUTO && isatty(2));

        kconf = sm_kafka_conf_new(
                conf->brokers, defaults, sizeof(defaults) / sizeof(defaults[0]),
                conf->props, conf->nprops, errstr, errstr_size);
        if (!kconf) {
                *ret_usage = 1;
                goto fail;
        }
        rd_kafka_conf_set_dr_msg_cb(kconf, dr_cb);
        rd_kafka_conf_set_opaque(kconf, pub);
        pub->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, rderr, sizeof(rderr));
        if (!pub->rk) {
                /* rd_kafka_new() keeps the conf only on success. */
                rd_kafka_conf_destroy(kconf);
                (void)snprintf(errstr, errstr_size, "producer: %s", rderr);
                *ret_usage = 1;
                goto fail;
        }
        kconf = NULL;
        for (int i = 0; i < SM_PUB__CNT; i++) {
                pub->rkt[i] = rd_kafka_topic_new(pub->rk, topics[i], NULL);
                if (!pub->rkt[i]) {
                        (void)snprintf(errstr, errstr_size, "topic %s: %s",
                                       topics[i],
                                       rd_kafka_err2str(rd_kafka_last_error()));
                        goto fail;
                }
        }
        if (!(pub->codec = sm_codec_new(errstr, errstr_size)))
                goto fail;
        if (conf->rejects && !(pub->rejects = fopen(conf->rejects, "w"))) {
                (void)snprintf(errstr, errstr_size, "--rejects %s: %s",
                               conf->rejects, strerror(errno));
                goto fail;
        }
        return pub;
fail:
        sm_pub_destroy(pub);
        return NULL;
}

void sm_pub_destroy(sm_pub_t *pub) {
        if (!pub)
                return;
        for (int i = 0; i < SM_PUB__CNT; i++)
                if (pub->rkt[i])
                        rd_kafka_topic_destroy(pub->rkt[i]);
        if (pub->rk)
                rd_kafka_destroy(pub->rk);
        sm_codec_destroy(pub->codec);
        sm_buf_free(&pub->frame);
        sm_buf_free(&pub->text);
        if (pub->rejects)
                fclose(pub->rejects);
        free(pub->inflight);
        free(pub->est);
        free(pub->offs);
        free(pub);
}

void sm_pub_count_read(sm_pub_t *pub, enum sm_rec_kind kind) {
        pub->read[kind]++;
}

void sm_pub_count_rows(sm_pub_t *pub,
                       enum sm_rec_kind kind,
                       int64_t read,
                       int64_t accepted) {
        pub->read[kind] += read;
        pub->accepted[kind] += accepted;
}

void sm_pub_count_accepted(sm_pub_t *pub, enum sm_rec_kind kind) {
        pub->accepted[kind]++;
}

int sm_pub_stopping(const sm_pub_t *pub) {
        (void)pub;
        return sm_signals_caught() || sm_kafka_fatal();
}

/* Hands pub->frame over; part is the expected store-polls partition or
 * -1. */
static int produce(sm_pub_t *pub,
                   enum sm_pub_rec rec,
                   const void *frame,
                   size_t frame_len,
                   const void *key,
                   size_t klen,
                   int32_t part) {
        void *opq = make_opaque(rec, part);
        rd_kafka_resp_err_t err;

        for (;;) {
                if (rd_kafka_produce(pub->rkt[rec], RD_KAFKA_PARTITION_UA,
                                     RD_KAFKA_MSG_F_COPY, (void *)frame,
                                     frame_len, key, klen, opq) == 0) {
                        pub->produced[rec]++;
                        if (part >= 0) {
                                pub->inflight[part]++;
                                if (pub->est[part] != UNPACED)
                                        pub->est[part]++;
                        }
                        return 0;
                }
                err = rd_kafka_last_error();
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                if (sm_kafka_fatal())
                        break;
                rd_kafka_poll(pub->rk, 10);
        }
        pub->produced[rec]++;
        if (++pub->failed[rec] <= FAIL_LOG_MAX)
                sm_log(SM_LOG_ERR, "publish",
                       "%s record (key '%.*s') not handed over: %s",
                       rec_names[rec], (int)(klen > 64 ? 64 : klen),
                       (const char *)key, rd_kafka_err2str(err));
        return sm_kafka_fatal() ? -ECANCELED : -EIO;
}

/* An encoding failure of an accepted record: counted as not delivered. */
static int encode_failed(sm_pub_t *pub,
                         enum sm_pub_rec rec,
                         const char *key,
                         size_t klen,
                         const char *why) {
        pub->produced[rec]++;
        if (++pub->failed[rec] <= FAIL_LOG_MAX)
                sm_log(SM_LOG_ERR, "publish", "%s record (key '%.*s'): %s",
                       rec_names[rec], (int)(klen > 64 ? 64 : klen), key, why);
        return -EIO;
}

/* Waits, if need be, until the store's partition has room for one more
 * poll; returns the partition (-1 when not tracked). */
static int32_t poll_room(sm_pub_t *pub, const char *store_id, size_t len) {
        int32_t part = -1;

        if (pub->conf->max_lag <= 0)
                return -1;
        if (pub->lag_due)
                pace(pub);
        if (pub->nparts > 0) {
                part = sm_kafka_partition(store_id, len, pub->nparts);
                if (pub->est[part] != UNPACED &&
                    pub->est[part] >= pub->conf->max_lag) {
                        pub->lag_due = 1;
                        pace(pub);
                }
        }
        return part;
}

int sm_pub_poll(sm_pub_t *pub,
                const char *store_id,
                size_t len,
                int64_t ts,
                int active) {
        sm_poll_msg_t msg = {store_id, len, ts, active};
        char errstr[256];
        int32_t part = poll_room(pub, store_id, len);

        if (sm_codec_encode_poll(pub->codec, &msg, &pub->frame, errstr,
                                 sizeof(errstr)) < 0)
                return encode_failed(pub, SM_PUB_POLL, store_id, len, errstr);
        return produce(pub, SM_PUB_POLL, pub->frame.data, pub->frame.len,
                       store_id, len, part);
}

int sm_pub_hours(sm_pub_t *pub,
                 const char *store_id,
                 size_t len,
                 const sm_hours_row_t *rows,
                 size_t nrows) {
        sm_hours_msg_t msg = {store_id, len, rows, nrows};
        char errstr[256];

        if (sm_codec_encode_hours(pub->codec, &msg, &pub->frame, errstr,
                                  sizeof(errstr)) < 0)
                return encode_failed(pub, SM_PUB_HOURS, store_id, len, errstr);
        return produce(pub, SM_PUB_HOURS, pub->frame.data, pub->frame.len,
                       store_id, len, -1);
}

int sm_pub_zone(sm_pub_t *pub,
                const char *store_id,
                size_t len,
                const char *zone,
                size_t zone_len) {
        sm_tz_msg_t msg = {store_id, len, zone, zone_len};
        char errstr[256];

        if (sm_codec_encode_tz(pub->codec, &msg, &pub->frame, errstr,
                               sizeof(errstr)) < 0)
                return encode_failed(pub, SM_PUB_ZONE, store_id, len, errstr);
        return produce(pub, SM_PUB_ZONE, pub->frame.data, pub->frame.len,
                       store_id, len, -1);
}

/* Appends s as valid UTF-8 without NUL: each maximal ill-formed part
 * (a byte that cannot start a sequence, or the start of a sequence cut
 * short) and each NUL becomes one U+FFFD, as Unicode recommends and as
 * most decoders do. */
static void append_utf8(sm_buf_t *out, const char *s, size_t len) {
        const uint8_t *p = (const uint8_t *)s;
        size_t i         = 0;

        sm_buf_reserve(out, out->len + len * 3 + 1);
        while (i < len) {
                uint8_t c = p[i];
                size_t n = 0, k = 1;
                uint8_t lo = 0x80, hi = 0xBF;

                if (c >= 0x01 && c <= 0x7F)
                        n = 1;
                else if (c >= 0xC2 && c <= 0xDF)
                        n = 2;
                else if (c >= 0xE0 && c <= 0xEF) {
                        n  = 3;
                        lo = c == 0xE0 ? 0xA0 : 0x80;
                        hi = c == 0xED ? 0x9F : 0xBF;
                } else if (c >= 0xF0 && c <= 0xF4) {
                        n  = 4;
                        lo = c == 0xF0 ? 0x90 : 0x80;
                        hi = c == 0xF4 ? 0x8F : 0xBF;
                }
                /* k = bytes of the longest well-formed prefix. */
                for (; n > 0 && k < n && i + k < len; k++) {
                        uint8_t b = p[i + k];
                        if (k == 1 ? (b < lo || b > hi)
                                   : (b < 0x80 || b > 0xBF))
                                break;
                }
                if (n > 0 && k == n) {
                        memcpy(out->data + out->len, p + i, n);
                        out->len += n;
                } else {
                        out->data[out->len++] = 0xEF;
                        out->data[out->len++] = 0xBF;
                        out->data[out->len++] = 0xBD;
                }
                i += k;
        }
}

static void count_code(sm_pub_t *pub, const char *code) {
        int i;

        for (i = 0; i < pub->nrc; i++)
                if (strcmp(pub->rc[i].code, code) == 0)
                        break;
        if (i == pub->nrc) {
                if (pub->nrc == MAX_REJECT_CODES)
                        i = pub->nrc - 1; /* codes are few; lump the rest */
                else
                        pub->rc[pub->nrc++] = (struct reject_count){code, 0};
        }
        pub->rc[i].count++;
}

int sm_pub_reject(sm_pub_t *pub, const sm_err_t *err, sm_str_t raw) {
        const char *source = err->source ? err->source : "";
        sm_reject_msg_t msg;
        size_t src_len, raw_off, raw_len, why_off;
        char errstr[256];

        pub->rejected++;
        count_code(pub, err->code ? err->code : "unknown");
        if (pub->rejects &&
            fprintf(pub->rejects, "%s:%ld: %s\n", source, err->line,
                    err->reason) < 0 &&
            !pub->rejects_failed) {
                pub->rejects_failed = 1;
                sm_log(SM_LOG_ERR, "publish", "--rejects %s: write failed: %s",
                       pub->conf->rejects, strerror(errno));
        }

        pub->text.len = 0;
        append_utf8(&pub->text, source, strlen(source));
        src_len = pub->text.len;
        raw_off = pub->text.len;
        append_utf8(&pub->text, raw.ptr, raw.len);
        raw_len = pub->text.len - raw_off;
        why_off = pub->text.len;
        append_utf8(&pub->text, err->reason, strlen(err->reason));
        msg = (sm_reject_msg_t){
                .source     = (const char *)pub->text.data,
                .source_len = src_len,
                .line       = err->line,
                .raw        = (const char *)pub->text.data + raw_off,
                .raw_len    = raw_len,
                .reason     = (const char *)pub->text.data + why_off,
                .reason_len = pub->text.len - why_off,
        };
        if (sm_codec_encode_reject(pub->codec, &msg, &pub->frame, errstr,
                                   sizeof(errstr)) < 0)
                return encode_failed(pub, SM_PUB_REJECT, msg.source,
                                     msg.source_len, errstr);
        return produce(pub, SM_PUB_REJECT, pub->frame.data, pub->frame.len,
                       msg.source, msg.source_len, -1);
}

int sm_pub_check_store_id(const char *id, size_t len, sm_err_t *err) {
        for (size_t i = 0; i < len; i++) {
                if ((unsigned char)id[i] >= 0x80) {
                        if (sm_wire_text_valid(id, len))
                                return 0;
                        err->code = "bad_store_id";
                        (void)snprintf(err->reason, sizeof(err->reason),
                                       "store_id: not valid UTF-8");
                        return -EINVAL;
                }
        }
        return 0;
}

/* ------------------------------------------------------------- progress */

static void draw(sm_pub_t *pub, double now) {
        char line[256];
        double el     = now - pub->phase_start;
        double rate   = el > 0 ? (double)pub->rows / el : 0;
        int64_t acked = 0, out = 0;
        int n;

        for (int i = 0; i < SM_PUB__CNT; i++) {
                acked += pub->delivered[i];
                out += pub->produced[i] - pub->delivered[i] - pub->failed[i];
        }
        n = snprintf(line, sizeof(line), "%s: %" PRId64 " rows, %.0f rows/s",
                     pub->phase, pub->rows, rate);
        if (pub->fraction >= 0 && n > 0 && (size_t)n < sizeof(line))
                n += snprintf(line + n, sizeof(line) - (size_t)n, ", %.0f%%",
                              pub->fraction * 100);
        if (n > 0 && (size_t)n < sizeof(line))
                n += snprintf(line + n, sizeof(line) - (size_t)n,
                              " | acked %" PRId64 ", in flight %" PRId64, acked,
                              out);
        if (pub->lag_max >= 0 && n > 0 && (size_t)n < sizeof(line))
                n += snprintf(line + n, sizeof(line) - (size_t)n,
                              " | lag %" PRId64, pub->lag_max);
        fprintf(stderr, "\r%s\033[K", line);
        fflush(stderr);
        pub->drawn     = 1;
        pub->next_draw = now + PROGRESS_EVERY_S;
}

static void progress_clear(sm_pub_t *pub) {
        if (pub->drawn) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
                pub->drawn = 0;
        }
}

void sm_pub_progress(sm_pub_t *pub,
                     const char *phase,
                     int64_t rows,
                     double fraction) {
        if (phase != pub->phase) {
                pub->phase       = phase;
                pub->phase_start = now_s();
        }
        pub->rows     = rows;
        pub->fraction = fraction;
}

/* ------------------------------------------------------------- pacing */

/* Learns the partition count of store-polls; 0 if not (yet) known. */
static int learn_partitions(sm_pub_t *pub) {
        char errstr[512];
        int n;

        if (now_s() < pub->next_meta)
                return 0;
        n = sm_kafka_partition_count(pub->rk, SM_TOPIC_POLLS, META_TIMEOUT_MS,
                                     errstr, sizeof(errstr));
        if (n < 0) {
                /* Not again too soon: each try may block META_TIMEOUT_MS. */
                pub->next_meta = now_s() + META_RETRY_S;
                if (!pub->lag_warned) {
                        sm_log(SM_LOG_WARN, "pace",
                               "cannot read the partitions of %s (%s): not "
                               "pacing until it can",
                               SM_TOPIC_POLLS, errstr);
                        pub->lag_warned = 1;
                }
                return 0;
        }
        pub->nparts   = n;
        pub->inflight = sm_xcalloc((size_t)n, sizeof(*pub->inflight));
        pub->est      = sm_xcalloc((size_t)n, sizeof(*pub->est));
        pub->offs     = sm_xcalloc((size_t)n, sizeof(*pub->offs));
        for (int i = 0; i < n; i++)
                pub->est[i] = UNPACED;
        return n;
}

/* Reads the group's lag; refreshes est[].  Returns the largest measured
 * lag, or -1 when nothing could be measured. */
static int64_t read_lag(sm_pub_t *pub) {
        char errstr[512];
        int64_t worst = -1;
        int unknown   = 0;
        int r;

        if (!pub->nparts && !learn_partitions(pub))
                return -1;
        r = sm_kafka_group_offsets(pub->rk, pub->conf->lag_group,
                                   SM_TOPIC_POLLS, pub->nparts, pub->offs,
                                   LAG_TIMEOUT_MS, errstr, sizeof(errstr));
        if (r < 0) {
                if (!pub->lag_warned)
                        sm_log(SM_LOG_WARN, "pace",
                               "cannot read the lag of group %s (%s): not "
                               "pacing until it can",
                               pub->conf->lag_group, errstr);
                pub->lag_warned = 1;
                for (int32_t p = 0; p < pub->nparts; p++)
                        pub->est[p] = UNPACED;
                pub->lag_max = -1;
                return -1;
        }
        for (int32_t p = 0; p < pub->nparts; p++) {
                const sm_kafka_offsets_t *o = &pub->offs[p];
                int64_t lag;
                if (o->committed < 0 || o->high < 0) {
                        pub->est[p] = UNPACED;
                        unknown++;
                        continue;
                }
                lag = (o->high > o->committed ? o->high - o->committed : 0) +
                      pub->inflight[p];
                pub->est[p] = lag;
                if (lag > worst)
                        worst = lag;
        }
        if (unknown && !pub->unpaced_noted) {
                sm_log(SM_LOG_NOTICE, "pace",
                       "group %s has no committed offset on %d of %" PRId32
                       " %s partitions: those are not paced (nothing to "
                       "measure against)",
                       pub->conf->lag_group, unknown, pub->nparts,
                       SM_TOPIC_POLLS);
                pub->unpaced_noted = 1;
        }
        pub->lag_max = worst;
        return worst;
}

/* Reads the lag: now, or after LAG_EARLY_S since the last reading,
 * serving callbacks meanwhile.  Returns the largest lag or -1. */
static int64_t reread_lag(sm_pub_t *pub) {
        double t = now_s();
        int64_t worst;

        while (t < pub->last_lag + LAG_EARLY_S && !sm_pub_stopping(pub)) {
                rd_kafka_poll(pub->rk,
                              (int)((pub->last_lag + LAG_EARLY_S - t) * 1000) +
                                      1);
                t = now_s();
        }
        worst         = read_lag(pub);
        pub->lag_due  = 0;
        pub->last_lag = now_s();
        pub->next_lag = pub->last_lag + pub->conf->lag_interval_ms / 1000.0;
        return worst;
}

/* Reads the lag when due (every --lag-interval, or before a poll whose
 * partition's estimate reached max_lag) and waits while any partition is
 * at or over max_lag, so no poll is handed over that could put its
 * partition over it. */
static void pace(sm_pub_t *pub) {
        double wait_start, step, next_note;
        int64_t worst;

        if (pub->conf->max_lag <= 0 ||
            (now_s() < pub->next_lag && !pub->lag_due))
                return;
        worst = reread_lag(pub);
        if (worst < pub->conf->max_lag)
                return;
        sm_log(pub->waits++ ? SM_LOG_DEBUG : SM_LOG_INFO, "pace",
               "group %s is %" PRId64 " polls behind (max %" PRId64
               "): waiting",
               pub->conf->lag_group, worst, pub->conf->max_lag);
        wait_start = now_s();
        /* While waiting, read more often than usual: the sooner the group
         * is seen back under the limit, the sooner the load goes on. */
        step      = pub->conf->lag_interval_ms < 100
                            ? pub->conf->lag_interval_ms / 1000.0
                            : 0.1;
        next_note = wait_start + WAIT_NOTE_S;
        while (!sm_pub_stopping(pub) && worst >= pub->conf->max_lag) {
                double until = now_s() + step, t;
                while ((t = now_s()) < until && !sm_pub_stopping(pub)) {
                        rd_kafka_poll(pub->rk, (int)((until - t) * 1000) + 1);
                        if (pub->progress_on && now_s() >= pub->next_draw)
                                draw(pub, now_s());
                }
                worst = reread_lag(pub);
                if (worst >= pub->conf->max_lag && now_s() >= next_note) {
                        /* A group that stopped consuming keeps us here:
                         * say so now and then. */
                        sm_log(SM_LOG_NOTICE, "pace",
                               "still waiting for group %s after %.0f s (lag "
                               "%" PRId64 ", max %" PRId64
                               "; --max-lag 0 turns pacing off)",
                               pub->conf->lag_group, now_s() - wait_start,
                               worst, pub->conf->max_lag);
                        next_note = now_s() + WAIT_NOTE_S;
                }
        }
        pub->paced_s += now_s() - wait_start;
}

void sm_pub_serve(sm_pub_t *pub) {
        double now;

        if ((++pub->tick % POLL_EVERY) != 0)
                return;
        rd_kafka_poll(pub->rk, 0);
        pace(pub);
        now = now_s();
        if (pub->progress_on && now >= pub->next_draw)
                draw(pub, now);
}

void sm_pub_wait(sm_pub_t *pub, int timeout_ms) {
        double now;

        rd_kafka_poll(pub->rk, timeout_ms);
        pace(pub);
        now = now_s();
        if (pub->progress_on && now >= pub->next_draw)
                draw(pub, now);
}

static int64_t outstanding(const sm_pub_t *pub) {
        int64_t n = 0;
        for (int i = 0; i < SM_PUB__CNT; i++)
                n += pub->produced[i] - pub->delivered[i] - pub->failed[i];
        return n;
}

int sm_pub_flush(sm_pub_t *pub, int timeout_ms) {
        double start    = now_s();
        double deadline = timeout_ms < 0 ? -1 : start + timeout_ms / 1000.0;
        int signalled   = 0;
        const char *old = pub->phase;

        sm_pub_progress(pub, "waiting for acknowledgements", 0, -1);
        while (outstanding(pub) > 0) {
                double t;
                if (!signalled && sm_pub_stopping(pub)) {
                        double d = now_s() +
                                   pub->conf->shutdown_timeout_ms / 1000.0;
                        signalled = 1;
                        if (deadline < 0 || d < deadline)
                                deadline = d;
                }
                rd_kafka_poll(pub->rk, 100);
                t         = now_s();
                pub->rows = outstanding(pub);
                if (pub->progress_on && t >= pub->next_draw)
                        draw(pub, t);
                if (deadline >= 0 && t >= deadline)
                        break;
        }
        sm_pub_progress(pub, old, pub->rows, pub->fraction);
        if (outstanding(pub) == 0)
                return 0;
        /* Give up on what is left: the purge's delivery reports count it
         * as failed. */
        sm_log(SM_LOG_ERR, "publish",
               "%" PRId64 " records still unacknowledged: giving up on them",
               outstanding(pub));
        (void)rd_kafka_purge(pub->rk, RD_KAFKA_PURGE_F_QUEUE |
                                              RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; i < 50 && outstanding(pub) > 0; i++)
                rd_kafka_poll(pub->rk, 100);
        return -ETIMEDOUT;
}

/* After a load: did the broker drop store-polls records the group has not
 * committed? */
static void check_retention(sm_pub_t *pub) {
        char errstr[512];

        if (pub->conf->max_lag <= 0 || pub->nparts <= 0 ||
            pub->produced[SM_PUB_POLL] == 0)
                return;
        if (sm_kafka_group_offsets(pub->rk, pub->conf->lag_group,
                                   SM_TOPIC_POLLS, pub->nparts, pub->offs,
                                   LAG_TIMEOUT_MS, errstr, sizeof(errstr)) < 0)
                return;
        for (int32_t p = 0; p < pub->nparts; p++) {
                const sm_kafka_offsets_t *o = &pub->offs[p];
                if (o->low > 0 && o->low > o->committed)
                        pub->dropped_parts++;
        }
}

int sm_pub_summary(sm_pub_t *pub, int fatal) {
        double el     = now_s() - pub->started;
        int64_t fails = 0, left = outstanding(pub);
        int sig = sm_signals_caught();
        int ret = SM_INGEST_EXIT_OK;

        if (!fatal && !sig)
                check_retention(pub);
        progress_clear(pub);
        for (int i = 0; i < SM_PUB__CNT; i++)
                fails += pub->failed[i];
        fprintf(stderr,
                SM_INGEST_PROG
                " %s: %s in %.1f s\n"
                "  read:      %" PRId64 " polls rows, %" PRId64
                " hours rows, %" PRId64
                " zones rows\n"
                "  accepted:  %" PRId64 " polls, %" PRId64
                " hours rows, %" PRId64
                " zones rows\n"
                "  published: %" PRId64 " polls, %" PRId64
                " schedules, %" PRId64 " zones, %" PRId64
                " rejects (acknowledged)\n"
                "  rejected:  %" PRId64 " rows",
                pub->cmd,
                fatal ? "stopped"
                : sig ? "interrupted"
                      : "done",
                el, pub->read[0], pub->read[1], pub->read[2], pub->accepted[0],
                pub->accepted[1], pub->accepted[2], pub->delivered[SM_PUB_POLL],
                pub->delivered[SM_PUB_HOURS], pub->delivered[SM_PUB_ZONE],
                pub->delivered[SM_PUB_REJECT], pub->rejected);
        for (int i = 0; i < pub->nrc; i++)
                fprintf(stderr, "%s %s %" PRId64, i ? "," : ":",
                        pub->rc[i].code, pub->rc[i].count);
        fprintf(stderr, "\n  delivery failures: %" PRId64, fails);
        if (fails)
                fprintf(stderr,
                        " (%" PRId64 " polls, %" PRId64 " schedules, %" PRId64
                        " zones, %" PRId64 " rejects)",
                        pub->failed[0], pub->failed[1], pub->failed[2],
                        pub->failed[3]);
        if (left)
                fprintf(stderr, ", %" PRId64 " unacknowledged", left);
        fputc('\n', stderr);
        if ((sig || fatal) &&
            pub->accepted[SM_REC_POLLS] > pub->produced[SM_PUB_POLL])
                fprintf(stderr,
                        "  not sent:  %" PRId64
                        " accepted polls (the run was stopped first)\n",
                        pub->accepted[SM_REC_POLLS] -
                                pub->produced[SM_PUB_POLL]);
        if (pub->delivered[SM_PUB_POLL] > 0 && el > 0)
                fprintf(stderr, "  rate:      %.0f polls/s\n",
                        (double)pub->delivered[SM_PUB_POLL] / el);
        if (pub->waits)
                fprintf(stderr,
                        "  pacing:    %.1f s waiting for group %s (%" PRId64
                        " pauses, max lag %" PRId64 ")\n",
                        pub->paced_s, pub->conf->lag_group, pub->waits,
                        pub->conf->max_lag);
        if (pub->mismatched)
                fprintf(stderr,
                        "  partitioning: %" PRId64
                        " polls not on their murmur2 partition\n",
                        pub->mismatched);
        if (pub->dropped_parts)
                fprintf(stderr,
                        "  retention: the broker dropped %s records group %s "
                        "has not committed on %" PRId64
                        " partitions (start the reporter first, or use more "
                        "partitions)\n",
                        SM_TOPIC_POLLS, pub->conf->lag_group,
                        pub->dropped_parts);
        if (pub->rejects && fflush(pub->rejects) != 0 && !pub->rejects_failed) {
                pub->rejects_failed = 1;
                sm_log(SM_LOG_ERR, "publish", "--rejects %s: write failed: %s",
                       pub->conf->rejects, strerror(errno));
        }
        if (fails || left || fatal || pub->rejects_failed || sm_kafka_fatal())
                ret = SM_INGEST_EXIT_FAIL;
        return ret;
}
