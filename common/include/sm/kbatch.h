/*
 * kbatch: batch consumption from a librdkafka queue without the batch
 * wait.
 *
 * rd_kafka_consume_batch_queue() returns only when the batch is full or
 * its timeout has passed, so a handful of messages (a report request, the
 * parts of a report) wait for the whole timeout.  A kbatch reader asks for
 * whatever is queued without waiting, and when nothing is, sleeps in
 * poll(2) on an eventfd that librdkafka signals when the queue stops being
 * empty (rd_kafka_queue_io_event_enable).  Full batches when there is a
 * backlog, one wake-up per arrival when there is not.
 */
#ifndef SM_KBATCH_H
#define SM_KBATCH_H

#include <librdkafka/rdkafka.h>
#include <sys/types.h>

typedef struct sm_kbatch_s sm_kbatch_t;

/** @brief A reader of rkqu (borrowed: it must outlive the reader).
 *  @returns the reader, or NULL when no eventfd can be made. */
sm_kbatch_t *sm_kbatch_new(rd_kafka_queue_t *rkqu);
void sm_kbatch_destroy(sm_kbatch_t *kb);

/**
 * @brief Up to size messages: at once if any are queued, else as soon as
 *   one arrives, within timeout_ms.
 * @returns the number of messages (0 on timeout), or -1 on error
 *   (rd_kafka_last_error()).
 */
ssize_t sm_kbatch_consume(sm_kbatch_t *kb,
                          int timeout_ms,
                          rd_kafka_message_t **msgs,
                          size_t size);

#endif
