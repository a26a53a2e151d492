/*
 * reportreq: asking the reporters for a report and putting the answer
 * together, shared by `storemon-reporter report` and the gateway.
 *
 * Triggering (sm_reportreq_trigger): read the end offsets of
 * store-polls, store-hours and store-timezones for every partition, then
 * publish one ReportRequest copy per partition of report-requests (each
 * carrying its partition's end offsets) and wait until the broker has
 * acknowledged all of them.  A poll whose publish was acknowledged before
 * the trigger is below those end offsets, so the reporter that owns its
 * partition applies it before answering (read-your-writes).
 *
 * Assembling (sm_report_asm_*): ReportPart records arrive in any order,
 * possibly twice (at-least-once delivery); the assembler keeps one copy of
 * each (partition, part), and the report is complete when every partition
 * has sent its last part and the rows received match the announced count.
 * The rows are then written as SPEC's CSV, sorted by store id.
 */
#ifndef SM_REPORTREQ_H
#define SM_REPORTREQ_H

#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "sm/codec.h"

#define SM_REPORT_ID_LEN 36 /* a UUID in text form */

/** @brief Writes a random (version 4) UUID, NUL-terminated, to out. */
void sm_reportreq_new_id(char out[SM_REPORT_ID_LEN + 1]);

/** @brief Whether s is a UUID in canonical text form (any version). */
int sm_reportreq_id_valid(const char *s, size_t len);

/**
 * @brief Accounts a delivery report of a request copy.  The producer
 *   given to sm_reportreq_trigger() must pass its delivery reports here
 *   (from its dr_msg_cb), or use sm_reportreq_dr_msg_cb itself.
 * @returns 1 when the message was a request copy, else 0.
 */
int sm_reportreq_delivered(const rd_kafka_message_t *rkm);

/** @brief A dr_msg_cb that only calls sm_reportreq_delivered(). */
void sm_reportreq_dr_msg_cb(rd_kafka_t *rk,
                            const rd_kafka_message_t *rkm,
                            void *opaque);

/**
 * @brief Reads the end offsets of store-polls, store-hours and
 *   store-timezones for partitions 0 .. nparts - 1, in one round trip
 *   per partition leader (ListOffsets "latest").
 * @param ret_end  nparts * 3 entries, filled on success: entry p * 3 + k
 *   is the end offset of partition p of polls (k = 0), hours (1) and
 *   zones (2).
 * @returns 0, or -EIO / -ETIMEDOUT with errstr naming the topic.
 */
int sm_reportreq_end_offsets(rd_kafka_t *rk,
                             int32_t nparts,
                             int64_t *ret_end,
                             int timeout_ms,
                             char *errstr,
                             size_t errstr_size);

/**
 * @brief Publishes one ReportRequest copy per partition of report-requests
 *   (copy p carries end[p * 3 .. p * 3 + 2], as sm_reportreq_end_offsets()
 *   fills them) and waits until the broker acknowledged every copy.
 * @param as_of  the report's now, or NULL for the reporters' watermark.
 * @returns 0 once every copy is acknowledged, or a negative errno with
 *   errstr filled.
 */
int sm_reportreq_publish(rd_kafka_t *rk,
                         sm_codec_t *codec,
                         const char *report_id,
                         sm_usec_t requested_at,
                         const sm_usec_t *as_of,
                         int32_t nparts,
                         const int64_t *end,
                         int timeout_ms,
                         char *errstr,
                         size_t errstr_size);

/**
 * @brief Triggers a report: end offsets, then one request per partition
 *   (sm_reportreq_end_offsets() then sm_reportreq_publish()).
 * @param rk       a producer (idempotent, murmur2_random).
 * @param as_of    the report's now, or NULL for the reporters' watermark.
 * @param nparts   partitions of report-requests (= store topics).
 * @returns 0 once every copy is acknowledged, or a negative errno with
 *   errstr filled.
 */
int sm_reportreq_trigger(rd_kafka_t *rk,
                         sm_codec_t *codec,
                         const char *report_id,
                         const sm_usec_t *as_of,
                         int32_t nparts,
                         int timeout_ms,
                         char *errstr,
                         size_t errstr_size);

typedef struct sm_report_asm_s sm_report_asm_t;

sm_report_asm_t *sm_report_asm_new(const char *report_id, int32_t nparts);
void sm_report_asm_destroy(sm_report_asm_t *a);

/**
 * @brief Adds a decoded part (copied).  Parts of other reports are
 *   ignored (returns 0).
 * @returns 1 when this part was new, 0 for a duplicate or another report,
 *   -EBADMSG with errstr when it contradicts what came before (another
 *   as_of, a partition out of range).
 */
int sm_report_asm_add(sm_report_asm_t *a,
                      const sm_part_msg_t *part,
                      char *errstr,
                      size_t errstr_size);

/** @brief Partitions whose last part and every row are in. */
int32_t sm_report_asm_done(const sm_report_asm_t *a);

/** @brief 1 when every partition is done. */
int sm_report_asm_complete(const sm_report_asm_t *a);

/** @brief The as_of of the parts received (0 before any). */
sm_usec_t sm_report_asm_as_of(const sm_report_asm_t *a);

/** @brief Rows received so far. */
int64_t sm_report_asm_rows(const sm_report_asm_t *a);

/**
 * @brief Writes the complete report as CSV (header and rows sorted by
 *   store id).  @returns 0, or -EIO when writing fails.
 */
int sm_report_asm_write_csv(sm_report_asm_t *a, FILE *out);

#endif
