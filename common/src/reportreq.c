/*
 * reportreq: triggering and assembling reports (see reportreq.h).
 */
#include "sm/reportreq.h"
#include "sm/report.h"
#include "sm/topics.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void sm_reportreq_new_id(char out[SM_REPORT_ID_LEN + 1]) {
        static const char hex[] = "0123456789abcdef";
        unsigned char b[16];
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC), o = 0;
        ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;
        if (fd >= 0)
                close(fd);
        if (n != (ssize_t)sizeof(b)) {
                /* No urandom: fall back to time and address entropy. */
                uint64_t x = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out ^
                             ((uint64_t)getpid() << 32);
                for (size_t i = 0; i < sizeof(b); i++) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        b[i] = (unsigned char)x;
                }
        }
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        for (int i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[b[i] >> 4];
                out[o++] = hex[b[i] & 15];
        }
        out[o] = '\0';
}

int sm_reportreq_id_valid(const char *s, size_t len) {
        if (len != SM_REPORT_ID_LEN)
                return 0;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (c != '-')
                                return 0;
                } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                             (c >= 'A' && c <= 'F')))
                        return 0;
        }
        return 1;
}

struct trigger_state {
        int acked;     /* copies acknowledged */
        int failed;    /* copies refused */
        char err[128]; /* first refusal */
};

int sm_reportreq_delivered(const rd_kafka_message_t *rkm) {
        struct trigger_state *ts = rkm->_private;
        if (!ts || !rkm->rkt ||
            strcmp(rd_kafka_topic_name(rkm->rkt), SM_TOPIC_REPORT_REQUESTS) !=
                    0)
                return 0;
        if (rkm->err) {
                if (!ts->failed++)
                        snprintf(ts->err, sizeof(ts->err), "%s",
                                 rd_kafka_err2str(rkm->err));
        } else {
                ts->acked++;
        }
        return 1;
}

void sm_reportreq_dr_msg_cb(rd_kafka_t *rk,
                            const rd_kafka_message_t *rkm,
                            void *opaque) {
        (void)rk;
        (void)opaque;
        (void)sm_reportreq_delivered(rkm);
}

int sm_reportreq_end_offsets(rd_kafka_t *rk,
                             int32_t nparts,
                             int64_t *ret_end,
                             int timeout_ms,
                             char *errstr,
                             size_t errstr_size) {
        static const char *const topics[3] = {SM_TOPIC_POLLS, SM_TOPIC_HOURS,
                                              SM_TOPIC_TIMEZONES};
        rd_kafka_topic_partition_list_t *list =
                rd_kafka_topic_partition_list_new(nparts * 3);
        rd_kafka_resp_err_t err;
        int ret = 0;

        /* ListOffsets with the timestamp -1 ("latest") answers the end
         * offset of every partition, one request per leader. */
        for (int32_t p = 0; p < nparts; p++)
                for (int k = 0; k < 3; k++)
                        rd_kafka_topic_partition_list_add(list, topics[k], p)
                                ->offset = RD_KAFKA_OFFSET_END;
        err = rd_kafka_offsets_for_times(rk, list, timeout_ms);
        if (err) {
                snprintf(errstr, errstr_size,
                         "end offsets of the store topics: %s",
                         rd_kafka_err2str(err));
                ret = err == RD_KAFKA_RESP_ERR__TIMED_OUT ? -ETIMEDOUT : -EIO;
                goto out;
        }
        for (int i = 0; i < list->cnt; i++) {
                const rd_kafka_topic_partition_t *tp = &list->elems[i];
                if (tp->err || tp->offset < 0) {
                        snprintf(errstr, errstr_size,
                                 "end offset of %s [%d]: %s", tp->topic,
                                 tp->partition,
                                 tp->err ? rd_kafka_err2str(tp->err)
                                         : "none returned");
                        ret = -EIO;
                        goto out;
                }
        }
        /* The list keeps the order it was built in. */
        for (int i = 0; i < list->cnt; i++)
                ret_end[i] = list->elems[i].offset;
out:
        rd_kafka_topic_partition_list_destroy(list);
        return ret;
}

int sm_reportreq_publish(rd_kafka_t *rk,
                         sm_codec_t *codec,
                         const char *report_id,
                         sm_usec_t requested_at,
                         const sm_usec_t *as_of,
                         int32_t nparts,
                         const int64_t *end,
                         int timeout_ms,
                         char *errstr,
                         size_t errstr_size) {
        struct trigger_state *ts = sm_xcalloc(1, sizeof(*ts));
        sm_buf_t frame           = {0};
        int ret                  = 0;

        for (int32_t p = 0; p < nparts; p++) {
                sm_request_msg_t msg = {
                        .report_id     = report_id,
                        .report_id_len = strlen(report_id),
                        .requested_at  = requested_at,
                        .has_as_of     = as_of != NULL,
                        .as_of         = as_of ? *as_of : 0,
                        .partition     = p,
                        .end_polls     = end[p * 3 + 0],
                        .end_hours     = end[p * 3 + 1],
                        .end_zones     = end[p * 3 + 2],
                };
                rd_kafka_resp_err_t err;
                if ((ret = sm_codec_encode_request(codec, &msg, &frame, errstr,
                                                   errstr_size)) < 0)
                        goto out;
                while ((err = rd_kafka_producev(
                                rk, RD_KAFKA_V_TOPIC(SM_TOPIC_REPORT_REQUESTS),
                                RD_KAFKA_V_PARTITION(p),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE(frame.data, frame.len),
                                RD_KAFKA_V_KEY(report_id, strlen(report_id)),
                                RD_KAFKA_V_OPAQUE(ts), RD_KAFKA_V_END)) ==
                       RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(rk, 50);
                if (err) {
                        snprintf(errstr, errstr_size,
                                 "report-requests [%d]: %s", p,
                                 rd_kafka_err2str(err));
                        ret = -EIO;
                        goto out;
                }
        }
        /* Wait for our copies only (the producer may carry other
         * traffic). */
        {
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                while (ts->acked + ts->failed < nparts) {
                        rd_kafka_poll(rk, 20);
                        clock_gettime(CLOCK_MONOTONIC, &t1);
                        if ((t1.tv_sec - t0.tv_sec) * 1000 +
                                    (t1.tv_nsec - t0.tv_nsec) / 1000000 >
                            timeout_ms)
                                break;
                }
        }
        if (ts->failed || ts->acked < nparts) {
                snprintf(errstr, errstr_size,
                         "report-requests: %d of %d copies acknowledged%s%s",
                         ts->acked, nparts, ts->failed ? ": " : " in time",
                         ts->failed ? ts->err : "");
                ret = -EIO;
        }
out:
        /* A copy still in flight will report into ts later: then ts is
         * left to it (a few bytes, only after a timeout). */
        if (ret < 0)
                (void)rd_kafka_flush(rk, timeout_ms);
        if (ret == 0 || rd_kafka_outq_len(rk) == 0)
                free(ts);
        sm_buf_free(&frame);
        return ret;
}

int sm_reportreq_trigger(rd_kafka_t *rk,
                         sm_codec_t *codec,
                         const char *report_id,
                         const sm_usec_t *as_of,
                         int32_t nparts,
                         int timeout_ms,
                         char *errstr,
                         size_t errstr_size) {
        int64_t *end = sm_xcalloc((size_t)nparts * 3, sizeof(*end));
        struct timespec now;
        int ret;

        clock_gettime(CLOCK_REALTIME, &now);
        ret = sm_reportreq_end_offsets(rk, nparts, end, timeout_ms, errstr,
                                       errstr_size);
        if (ret == 0)
                ret = sm_reportreq_publish(
                        rk, codec, report_id,
                        (sm_usec_t)now.tv_sec * SM_USEC_PER_SEC +
                                now.tv_nsec / 1000,
                        as_of, nparts, end, timeout_ms, errstr, errstr_size);
        free(end);
        return ret;
}

/* ---- assembly ---- */

struct asm_row {
        char *id;    /* store id */
        size_t len;  /* its length */
        double v[6]; /* the six values */
};

struct asm_part {
        int32_t partition; /* whose */
        int32_t part;      /* chunk index */
};

struct sm_report_asm_s {
        char *report_id;        /* the report */
        int32_t nparts;         /* partitions expected */
        int64_t *expected;      /* per partition: row count, -1 unknown */
        int64_t *received;      /* per partition: rows received */
        struct asm_part *seen;  /* parts received */
        size_t nseen, seen_cap; /* their number, capacity */
        struct asm_row *rows;   /* rows received */
        size_t nrows, rows_cap; /* their number, capacity */
        sm_usec_t as_of;        /* the parts' as_of */
        int have_as_of;         /* as_of is set */
};

sm_report_asm_t *sm_report_asm_new(const char *report_id, int32_t nparts) {
        sm_report_asm_t *a = sm_xcalloc(1, sizeof(*a));
        a->report_id       = sm_xstrdup(report_id);
        a->nparts          = nparts;
        a->expected        = sm_xcalloc((size_t)nparts, sizeof(*a->expected));
        a->received        = sm_xcalloc((size_t)nparts, sizeof(*a->received));
        for (int32_t p = 0; p < nparts; p++)
                a->expected[p] = -1;
        return a;
}

void sm_report_asm_destroy(sm_report_asm_t *a) {
        if (!a)
                return;
        for (size_t i = 0; i < a->nrows; i++)
                free(a->rows[i].id);
        free(a->rows);
        free(a->seen);
        free(a->expected);
        free(a->received);
        free(a->report_id);
        free(a);
}

int sm_report_asm_add(sm_report_asm_t *a,
                      const sm_part_msg_t *part,
                      char *errstr,
                      size_t errstr_size) {
        if (part->report_id_len != strlen(a->report_id) ||
            memcmp(part->report_id, a->report_id, part->report_id_len) != 0)
                return 0;
        if (part->partition < 0 || part->partition >= a->nparts) {
                snprintf(errstr, errstr_size,
                         "report %s: part for partition %d of %d", a->report_id,
                         part->partition, a->nparts);
                return -EBADMSG;
        }
        if (a->have_as_of && part->as_of != a->as_of) {
                snprintf(errstr, errstr_size,
                         "report %s: partition %d answered for another as_of",
                         a->report_id, part->partition);
                return -EBADMSG;
        }
        for (size_t i = 0; i < a->nseen; i++)
                if (a->seen[i].partition == part->partition &&
                    a->seen[i].part == part->part)
                        return 0;
        sm_xgrow((void **)&a->seen, &a->seen_cap, a->nseen + 1,
                 sizeof(*a->seen));
        a->seen[a->nseen++] = (struct asm_part){part->partition, part->part};
        a->as_of            = part->as_of;
        a->have_as_of       = 1;
        sm_xgrow((void **)&a->rows, &a->rows_cap, a->nrows + part->nrows,
                 sizeof(*a->rows));
        for (size_t i = 0; i < part->nrows; i++) {
                const sm_report_row_t *r = &part->rows[i];
                a->rows[a->nrows++]      = (struct asm_row){
                             sm_xstrndup(r->store_id, r->store_id_len),
                             r->store_id_len,
                             {r->uptime_last_hour, r->uptime_last_day,
                              r->uptime_last_week, r->downtime_last_hour,
                              r->downtime_last_day, r->downtime_last_week}};
        }
        a->received[part->partition] += (int64_t)part->nrows;
        if (part->last)
                a->expected[part->partition] = part->row_count;
        return 1;
}

int32_t sm_report_asm_done(const sm_report_asm_t *a) {
        int32_t done = 0;
        for (int32_t p = 0; p < a->nparts; p++)
                done += a->expected[p] >= 0 && a->received[p] == a->expected[p];
        return done;
}

int sm_report_asm_complete(const sm_report_asm_t *a) {
        return sm_report_asm_done(a) == a->nparts;
}

sm_usec_t sm_report_asm_as_of(const sm_report_asm_t *a) {
        return a->as_of;
}

int64_t sm_report_asm_rows(const sm_report_asm_t *a) {
        return (int64_t)a->nrows;
}

static int cmp_row(const void *x, const void *y) {
        const struct asm_row *a = x, *b = y;
        return sm_report_id_cmp(a->id, a->len, b->id, b->len);
}

int sm_report_asm_write_csv(sm_report_asm_t *a, FILE *out) {
        char line[SM_REPORT_ROW_MAX];
        qsort(a->rows, a->nrows, sizeof(*a->rows), cmp_row);
        fputs(SM_REPORT_HEADER "\n", out);
        for (size_t i = 0; i < a->nrows; i++) {
                const struct asm_row *r = &a->rows[i];
                sm_report_row_t row     = {r->id,   r->len,  r->v[0], r->v[1],
                                           r->v[2], r->v[3], r->v[4], r->v[5]};
                int n = sm_report_format_row(&row, line, sizeof(line));
                if (n > 0)
                        fwrite(line, 1, (size_t)n, out);
        }
        return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
