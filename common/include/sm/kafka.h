/*
 * kafka: the small pieces every storemon Kafka client shares.
 *
 *  - sm_kafka_conf_new(): an rd_kafka_conf_t from a bootstrap list, the
 *    caller's defaults and the user's `-X key=value` properties (kcat
 *    style), applied in that order so the user always has the last word.
 *    An unknown key or a bad value is an error that names the key.  The
 *    conf routes librdkafka's log lines into sm_log (component "rdkafka")
 *    and its error events through sm_kafka_error_cb() (below), and sets
 *    internal.termination.signal so that rd_kafka_destroy() is quick.
 *
 *  - Errors.  librdkafka's error events are informational (it retries by
 *    itself) except RD_KAFKA_RESP_ERR__FATAL: then the handle cannot go on
 *    (e.g. the idempotent producer lost its guarantees).  The error
 *    callback logs every event once and raises a process-wide flag on a
 *    fatal one; loops check sm_kafka_fatal() and stop gracefully.
 *
 *  - Partitioning.  storemon's producers use partitioner=murmur2_random,
 *    the partitioner of the Java client, so a store lands on the same
 *    partition whatever language wrote it.  sm_kafka_murmur2() and
 *    sm_kafka_partition() compute that partition (Java's
 *    `Utils.toPositive(Utils.murmur2(key)) % partitions`), for accounting
 *    and for tools and tests that must agree with the producers.
 *
 *  - Lag.  sm_kafka_group_offsets() reads, for a set of partitions, a
 *    consumer group's committed offsets (Admin ListConsumerGroupOffsets,
 *    so any handle can ask, without joining the group) and the
 *    partitions' log start and end offsets (ListOffsets), in a bounded
 *    time.  The ingestor uses it to keep the reporter group within the
 *    embedded broker's retention.
 *
 * Nothing here keeps state except the fatal flag; the functions are
 * thread-safe as far as librdkafka's are.
 */
#ifndef SM_KAFKA_H
#define SM_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/** A `-X key=value` property as given by the user (borrowed strings). */
typedef struct sm_kafka_prop {
        const char *key;   /* librdkafka property name */
        const char *value; /* its value */
        const char *where; /* where it came from, for messages ("-X",
                            * "config.conf:12"), or NULL */
} sm_kafka_prop_t;

/**
 * @brief Builds a librdkafka configuration.
 *
 * Applies, in order: bootstrap.servers = \p brokers (when not NULL),
 * \p defaults (the caller's choices, e.g. acks=all), then \p props (the
 * user's).  Also sets the log and error callbacks (see the top of this
 * file) and internal.termination.signal.  The caller may still set its
 * own callbacks and opaque on the result.
 *
 * @param brokers   bootstrap list "host:port[,host:port]", or NULL.
 * @param defaults  ndefaults properties (may be NULL when 0).
 * @param props     nprops properties (may be NULL when 0).
 * @returns a new conf (the caller owns it until it hands it to
 *   rd_kafka_new()), or NULL with errstr naming the key and saying why,
 *   e.g. "-X foo.bar: No such configuration property: \"foo.bar\"".
 */
rd_kafka_conf_t *sm_kafka_conf_new(const char *brokers,
                                   const sm_kafka_prop_t *defaults,
                                   size_t ndefaults,
                                   const sm_kafka_prop_t *props,
                                   size_t nprops,
                                   char *errstr,
                                   size_t errstr_size);

/**
 * @brief Splits "key=value" into a property (pointers into \p kv, which
 *   is modified: the '=' becomes a NUL).
 * @returns 0, or -EINVAL when there is no '=' or the key is empty.
 */
int sm_kafka_prop_parse(char *kv, const char *where, sm_kafka_prop_t *ret_prop);

/** @brief The log callback set by sm_kafka_conf_new() (syslog levels to
 *  sm_log levels; component "rdkafka"). */
void sm_kafka_log_cb(const rd_kafka_t *rk,
                     int level,
                     const char *fac,
                     const char *buf);

/** @brief The error callback set by sm_kafka_conf_new(): logs the event;
 *  on RD_KAFKA_RESP_ERR__FATAL logs the underlying error at ERR and
 *  raises the fatal flag.  Applications that set their own error_cb
 *  should call it from theirs. */
void sm_kafka_error_cb(rd_kafka_t *rk,
                       int err,
                       const char *reason,
                       void *opaque);

/**
 * @brief Whether a fatal librdkafka error happened in this process.
 * @returns 0, or the RD_KAFKA_RESP_ERR_* code of the first fatal error.
 */
int sm_kafka_fatal(void);

/** @brief Java's murmur2 of a key (org.apache.kafka.common.utils.Utils). */
uint32_t sm_kafka_murmur2(const void *key, size_t len);

/**
 * @brief The partition Java's default partitioner and librdkafka's
 *   murmur2 / murmur2_random partitioners choose for a non-NULL key:
 *   (murmur2(key) & 0x7fffffff) % partition_cnt.
 * @returns the partition, or -1 when partition_cnt < 1.
 */
int32_t sm_kafka_partition(const void *key, size_t len, int32_t partition_cnt);

/**
 * @brief The number of partitions of a topic, from the cluster's metadata.
 * @returns the count (>= 1), or a negative errno with errstr filled:
 *   -ETIMEDOUT (no answer within timeout_ms), -ENOENT (no such topic),
 *   -EIO (another error).  A broker that creates topics on demand may
 *   create it, as a produce would.
 */
int sm_kafka_partition_count(rd_kafka_t *rk,
                             const char *topic,
                             int timeout_ms,
                             char *errstr,
                             size_t errstr_size);

/**
 * @brief sm_kafka_partition_count() until the cluster answers: while the
 *   brokers are unreachable or the topic does not exist yet, logs a
 *   warning naming the problem and retries with a growing pause (1 s to
 *   10 s), giving up only when SIGINT/SIGTERM arrives (sm_signals).
 * @returns the count, or -EINTR after a signal.
 */
int sm_kafka_wait_partition_count(rd_kafka_t *rk,
                                  const char *topic,
                                  char *errstr,
                                  size_t errstr_size);

/** What sm_kafka_group_offsets() learnt about one partition. */
typedef struct sm_kafka_offsets {
        int64_t committed; /* the group's committed offset (next record it
                            * will read), or -1 if it has none */
        int64_t low;       /* log start offset, or -1 if unknown */
        int64_t high;      /* end offset (high watermark), or -1 if
                            * unknown */
} sm_kafka_offsets_t;

/**
 * @brief Reads a consumer group's committed offsets and the log start and
 *   end offsets of partitions 0 .. \p partition_cnt - 1 of \p topic.
 *
 * The group need not exist and the caller need not be a member: a group
 * that never committed gives committed = -1 everywhere.  The lag of a
 * partition is high - committed when both are known.  Blocks for at most
 * about \p timeout_ms (three requests: OffsetFetch at the coordinator,
 * then ListOffsets for the end and the start offsets).  Requests on a
 * connection are answered in order, so on a busy handle the answer may
 * wait behind produce requests; serve the handle's callbacks around it
 * as usual.
 *
 * @param ret  partition_cnt entries, filled on success (an entry whose
 *   offsets could not be read keeps -1 there).
 * @returns 0, or a negative errno with errstr filled: -ETIMEDOUT, -EIO
 *   (the group or the offsets could not be read at all).
 */
int sm_kafka_group_offsets(rd_kafka_t *rk,
                           const char *group,
                           const char *topic,
                           int32_t partition_cnt,
                           sm_kafka_offsets_t *ret,
                           int timeout_ms,
                           char *errstr,
                           size_t errstr_size);

#endif
