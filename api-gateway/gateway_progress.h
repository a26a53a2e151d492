/*
 * gateway_progress: the reporters' latest progress per store partition,
 * read from reporter-progress by the results thread, waited on by the
 * trigger thread to choose one as_of for every reporter instance.
 *
 * A trigger without as_of reads the store topics' end offsets, then
 * waits until, for every partition p, the latest progress record shows
 * applied_offset >= end_polls[p] - 1 (or the partition is empty): every
 * poll acknowledged before the trigger is then in some reporter's
 * watermark, and as_of = the largest watermark is the same instant for
 * every instance answering.
 *
 * Threads: a mutex guards the table; a condition variable (monotonic
 * clock) wakes the waiters on every update.
 */
#ifndef SM_GATEWAY_PROGRESS_H
#define SM_GATEWAY_PROGRESS_H

#include <stdint.h>

#include "sm/codec.h"

typedef struct sm_gw_progress_s sm_gw_progress_t;

/** @brief A table for partitions 0 .. nparts - 1 of store-polls. */
sm_gw_progress_t *sm_gw_progress_new(int32_t nparts);
void sm_gw_progress_destroy(sm_gw_progress_t *pg);

/** @brief Records a progress message (the latest one of a partition wins;
 *  partitions out of range are ignored) and wakes the waiters. */
void sm_gw_progress_update(sm_gw_progress_t *pg, const sm_progress_msg_t *m);

/**
 * @brief Waits until the progress covers the end offsets.
 * @param end_polls  per partition, the end offset of store-polls.
 * @param deadline_ms  sm_gw_mono_ms() value to give up at.
 * @param ret_as_of  on 0, the largest watermark.
 * @returns 0; -ENODATA when covered but no partition has a watermark (no
 *   polls at all); -ETIMEDOUT with *ret_behind = the partitions not
 *   covered; -ECANCELED when sm_gw_progress_cancel() was called.
 */
int sm_gw_progress_wait(sm_gw_progress_t *pg,
                        const int64_t *end_polls,
                        int64_t deadline_ms,
                        sm_usec_t *ret_as_of,
                        int32_t *ret_behind);

/** @brief Makes every current and future wait return -ECANCELED. */
void sm_gw_progress_cancel(sm_gw_progress_t *pg);

#endif
