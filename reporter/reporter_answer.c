/*
 * reporter_answer: ReportPart production (see reporter_answer.h).
 */
#include "reporter_answer.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int produce(rd_kafka_t *producer,
                   rd_kafka_topic_t *results,
                   const char *report_id,
                   const sm_buf_t *frame,
                   void *opaque,
                   char *errstr,
                   size_t errstr_size) {
        for (;;) {
                if (rd_kafka_produce(results, RD_KAFKA_PARTITION_UA,
                                     RD_KAFKA_MSG_F_COPY, frame->data,
                                     frame->len, report_id, strlen(report_id),
                                     opaque) == 0)
                        return 0;
                if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        snprintf(errstr, errstr_size,
                                 "report %s: produce to report-results: %s",
                                 report_id,
                                 rd_kafka_err2str(rd_kafka_last_error()));
                        return -EIO;
                }
                rd_kafka_poll(producer, 100);
        }
}

long sm_answer_partition(rd_kafka_t *producer,
                         rd_kafka_topic_t *results,
                         sm_codec_t *codec,
                         const char *report_id,
                         int32_t partition,
                         sm_usec_t as_of,
                         sm_store_table_t *t,
                         size_t part_rows,
                         void *opaque,
                         int *produced,
                         char *errstr,
                         size_t errstr_size) {
        const sm_table_row_t *rows;
        size_t nrows         = sm_store_table_report(t, as_of, &rows);
        sm_report_row_t *out = sm_xcalloc(part_rows, sizeof(*out));
        sm_buf_t frame       = {0};
        size_t done          = 0;
        int32_t part         = 0;
        long ret             = (long)nrows;

        *produced = 0;
        do {
                size_t n = nrows - done < part_rows ? nrows - done : part_rows;
                sm_part_msg_t msg;
                for (size_t i = 0; i < n; i++) {
                        const sm_table_row_t *r = &rows[done + i];
                        out[i] = sm_engine_report_row(r->store_id,
                                                      r->store_id_len, &r->w);
                }
                done += n;
                msg = (sm_part_msg_t){
                        .report_id     = report_id,
                        .report_id_len = strlen(report_id),
                        .partition     = partition,
                        .part          = part++,
                        .as_of         = as_of,
                        .rows          = out,
                        .nrows         = n,
                        .last          = done == nrows,
                        .row_count     = done == nrows ? (int64_t)nrows : -1,
                };
                if (sm_codec_encode_part(codec, &msg, &frame, errstr,
                                         errstr_size) < 0 ||
                    produce(producer, results, report_id, &frame, opaque,
                            errstr, errstr_size) < 0) {
                        ret = -EIO;
                        break;
                }
                (*produced)++;
        } while (done < nrows);
        sm_buf_free(&frame);
        free(out);
        return ret;
}
