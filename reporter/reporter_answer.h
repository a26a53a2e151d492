/*
 * reporter_answer: one partition's share of a report, as ReportPart
 * records on report-results.
 *
 * The rows (sorted by store id) are cut into parts of at most part_rows
 * rows; every part carries the report id, the partition, its index and
 * the as_of; the last one is marked `last` and carries the partition's row
 * count, so the gateway knows when it has everything.  A partition with
 * no store still sends one empty last part.  Parts are keyed by report id.
 */
#ifndef SM_REPORTER_ANSWER_H
#define SM_REPORTER_ANSWER_H

#include <librdkafka/rdkafka.h>

#include "sm/codec.h"
#include "store_table.h"

/**
 * @brief Computes and produces the parts (asynchronously: delivery is
 *   reported to the producer's delivery callback, with opaque as each
 *   message's opaque).
 * @param produced set to the number of parts enqueued (each gets one
 *   delivery report), also on failure.
 * @returns the number of rows, or a negative errno with errstr filled when
 *   a part could not be encoded or enqueued.
 */
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
                         size_t errstr_size);

#endif
