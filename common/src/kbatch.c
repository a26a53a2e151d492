/*
 * kbatch: non-waiting batch consumption (see kbatch.h).
 */
#include "sm/kbatch.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct sm_kbatch_s {
        rd_kafka_queue_t *rkqu; /* the queue (borrowed) */
        int fd;                 /* eventfd signalled by librdkafka */
};

sm_kbatch_t *sm_kbatch_new(rd_kafka_queue_t *rkqu) {
        static const uint64_t one = 1;
        sm_kbatch_t *kb;
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0)
                return NULL;
        kb       = sm_xcalloc(1, sizeof(*kb));
        kb->rkqu = rkqu;
        kb->fd   = fd;
        rd_kafka_queue_io_event_enable(rkqu, fd, &one, sizeof(one));
        return kb;
}

void sm_kbatch_destroy(sm_kbatch_t *kb) {
        if (!kb)
                return;
        rd_kafka_queue_io_event_enable(kb->rkqu, -1, NULL, 0);
        close(kb->fd);
        free(kb);
}

ssize_t sm_kbatch_consume(sm_kbatch_t *kb,
                          int timeout_ms,
                          rd_kafka_message_t **msgs,
                          size_t size) {
        struct pollfd pfd = {.fd = kb->fd, .events = POLLIN};
        uint64_t drain;
        ssize_t n = rd_kafka_consume_batch_queue(kb->rkqu, 0, msgs, size);

        if (n != 0)
                return n;
        /* Empty: sleep until librdkafka signals an arrival.  The event is
         * drained first, so one that came before this call is not lost
         * (the queue is checked again after the wait). */
        if (read(kb->fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
                return -1;
        n = rd_kafka_consume_batch_queue(kb->rkqu, 0, msgs, size);
        if (n != 0)
                return n;
        if (poll(&pfd, 1, timeout_ms) > 0)
                (void)!read(kb->fd, &drain, sizeof(drain));
        return rd_kafka_consume_batch_queue(kb->rkqu, 0, msgs, size);
}
