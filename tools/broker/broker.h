/*
 * broker: the pieces of storemon-broker below main.c.
 *
 *  - broker_cluster.c: creates the hosting rd_kafka_t, checks that the
 *    loopback interface can host the mock brokers, then creates the mock
 *    cluster and every storemon topic (sm/topics.h).
 *  - broker_file.c: atomic small-file writes (bootstrap and pid files) and
 *    their removal.
 *
 * See main.c for the design notes and what was found about the mock.
 */
#ifndef SM_BROKER_H
#define SM_BROKER_H

#include <stddef.h>
#include <sys/types.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/** What the cluster looks like; every field is already range-checked. */
typedef struct sm_broker_conf_s {
        int partitions;         /* co-partitioned store topics */
        int results_partitions; /* report-results */
        int aux_partitions;     /* report-ready, ingest-rejects, progress */
        int brokers;            /* number of mock brokers */
        int replication;        /* replication factor, 1..brokers */
} sm_broker_conf_t;

typedef struct sm_broker_s sm_broker_t;

/**
 * @brief Creates the hosting handle, the mock cluster and every topic.
 *
 * Takes ownership of \p conf (a librdkafka configuration for the hosting
 * handle, may be NULL) whether it succeeds or not.  Before the mock is
 * created, checks that it will be able to listen on 127.0.0.1 and that
 * clients can connect there (the mock aborts the process instead of
 * failing).  All signals are blocked while the mock's thread is created,
 * so the thread never sees one.
 * @returns the broker, or NULL with the reason in \p errstr.
 */
sm_broker_t *sm_broker_new(const sm_broker_conf_t *bconf,
                           rd_kafka_conf_t *conf,
                           char *errstr,
                           size_t errstr_size);

/** @brief The bootstrap list "host:port[,host:port...]"; valid until
 *  sm_broker_destroy(). */
const char *sm_broker_bootstraps(const sm_broker_t *broker);

/** @brief Serves the hosting handle's callbacks for up to \p timeout_ms. */
void sm_broker_poll(sm_broker_t *broker, int timeout_ms);

/** @brief Destroys the mock cluster (all data is lost), then the hosting
 *  handle.  Accepts NULL. */
void sm_broker_destroy(sm_broker_t *broker);

/** Identity of a file this process wrote, so it removes only its own. */
/** @brief The mock cluster (owned by the broker). */
rd_kafka_mock_cluster_t *sm_broker_mock_cluster(sm_broker_t *broker);

/** @brief Makes PATH a FIFO of fault-injection commands
 *  (broker_control.c).  @returns its descriptor, or a negative errno with
 *  errstr. */
int sm_broker_control_open(const char *path, char *errstr, size_t errstr_size);

/** @brief Runs the complete command lines waiting in the FIFO; buf (of
 *  size bytes, *used filled) keeps a partial line between calls. */
void sm_broker_control_serve(
        sm_broker_t *broker, int fd, char *buf, size_t size, size_t *used);

typedef struct sm_broker_file_s {
        dev_t dev; /* st_dev of the file after the rename */
        ino_t ino; /* st_ino of the file after the rename */
        int valid; /* 1 once written */
} sm_broker_file_t;

/**
 * @brief Writes \p text to \p path atomically: a temporary file in the
 *        same directory, fsync, then rename(2), so a reader sees either no
 *        file or the whole text.  Mode 0644.
 * @returns 0 and fills \p ret_file, or a negative errno with \p errstr.
 */
int sm_broker_file_write(const char *path,
                         const char *text,
                         sm_broker_file_t *ret_file,
                         char *errstr,
                         size_t errstr_size);

/**
 * @brief Removes \p path if it is still the file recorded in \p file (a
 *        later writer's file is left alone).  \p file may be NULL or not
 *        valid, then nothing is done.
 * @returns 0 (removed or nothing to do), -ESTALE if the path now names
 *          another file, or another negative errno.
 */
int sm_broker_file_remove(const char *path, const sm_broker_file_t *file);

#endif
