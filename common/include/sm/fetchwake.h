/*
 * fetchwake: wakes a consumer's fetcher without blocking the caller.
 *
 * librdkafka 2.0.2 stops fetching once the consumer queue holds
 * queued.min.messages (the partitions' fetch queues are forwarded to it,
 * so the whole queue counts) and looks again only when its broker thread
 * wakes up, up to a second later: a consumer catching up on a backlog
 * spends most of its time waiting.  Any request through the broker
 * thread wakes it; a ListOffsets of one partition is the cheapest, but
 * rd_kafka_query_watermark_offsets() is synchronous and takes a fetch
 * round trip (tens of ms).  A waker makes that call on its own thread:
 * sm_fetch_waker_wake() only records the partition and signals, and
 * wake-ups asked for while one is in flight are merged into the next.
 */
#ifndef SM_FETCHWAKE_H
#define SM_FETCHWAKE_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

typedef struct sm_fetch_waker_s sm_fetch_waker_t;

/** @brief A waker for consumer rk (borrowed: destroy the waker before
 *  closing rk), asking about topic (copied).  @returns NULL when the
 *  thread cannot be started. */
sm_fetch_waker_t *sm_fetch_waker_new(rd_kafka_t *rk, const char *topic);

/** @brief Asks for one wake-up through partition's leader; never
 *  blocks. */
void sm_fetch_waker_wake(sm_fetch_waker_t *w, int32_t partition);

/** @brief Stops the thread (waiting for a wake-up in flight, at most its
 *  100 ms timeout) and frees it.  w may be NULL. */
void sm_fetch_waker_destroy(sm_fetch_waker_t *w);

#endif
