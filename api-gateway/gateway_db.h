/*
 * gateway_db: the gateway's SQLite store, the durable side of every
 * report (the broker is not: the embedded one forgets everything on
 * restart).
 *
 * Tables (WAL journal):
 *   reports          one row per report: status, requested_at, as_of,
 *                    partitions, store_count, completed_at, reason, and
 *                    `announced` (its ReportReady was delivered);
 *   report_parts     (report_id, partition, part) of every ReportPart
 *                    received for a Running report: INSERT OR IGNORE, so a
 *                    redelivered part changes nothing;
 *   report_rows      (report_id, store_id) -> the row and the part it came
 *                    in, for Running reports (a restart replays them);
 *   report_csv       the finished CSV of a Complete report, built once;
 *   consumer_offsets the next offset of every report-results partition,
 *                    written in the same transaction as the parts it
 *                    covers, so a restart resumes exactly after them;
 *   meta             schema version and the health probe's stamp.
 * When a report completes or fails its parts and rows are deleted (for a
 * complete one just after it is shown Complete; a stop in between leaves
 * them to the next open).
 *
 * Threads: a handle is one connection with its prepared statements and
 * must be used by one thread at a time; each thread opens its own (WAL
 * lets readers run beside the writer; writers wait for each other up to
 * the busy timeout).  Functions return 0 or -EIO; sm_gw_db_errmsg() says
 * why.
 */
#ifndef SM_GATEWAY_DB_H
#define SM_GATEWAY_DB_H

#include <stddef.h>
#include <stdint.h>

#include "gateway.h"
#include "sm/codec.h"

typedef struct sm_gw_db_s sm_gw_db_t;

/**
 * @brief Opens (and with create, creates the tables of) the database.
 * @param durable  1: every commit is synced (synchronous=FULL); 0: synced
 *   at checkpoints (NORMAL: a crashed process loses nothing, a power cut
 *   may lose the last commits).
 * @returns the handle, or NULL with errstr filled.
 */
sm_gw_db_t *sm_gw_db_open(const char *path,
                          int create,
                          int durable,
                          char *errstr,
                          size_t errstr_size);
void sm_gw_db_close(sm_gw_db_t *db);

/** @brief The last error's text (valid until the next call). */
const char *sm_gw_db_errmsg(sm_gw_db_t *db);

/* Transactions: BEGIN IMMEDIATE, COMMIT, ROLLBACK. */
int sm_gw_db_begin(sm_gw_db_t *db);
int sm_gw_db_commit(sm_gw_db_t *db);
void sm_gw_db_rollback(sm_gw_db_t *db);

/** @brief Stores a new report (status, requested_at, as_of, partitions). */
int sm_gw_db_report_insert(sm_gw_db_t *db, const sm_gw_report_t *r);

/** @brief Records partitions_done of a Running report. */
int sm_gw_db_report_done(sm_gw_db_t *db, const char *id, int32_t done);

/** @brief Running -> Failed with r->reason, r->completed_at and
 *  r->partitions_done; drops its parts and rows. */
int sm_gw_db_report_fail(sm_gw_db_t *db, const sm_gw_report_t *r);

/**
 * @brief Running -> Complete: as_of, completed_at, store_count, and the
 *   CSV.  Its parts and rows are dropped later
 *   (sm_gw_db_report_drop_parts(), or at the next open), off the path
 *   to Complete.
 */
int sm_gw_db_report_complete(sm_gw_db_t *db,
                             const sm_gw_report_t *r,
                             const char *csv,
                             size_t csv_len);

/** @brief Drops the parts and rows of a report. */
int sm_gw_db_report_drop_parts(sm_gw_db_t *db, const char *id);

/** @brief Marks a report's ReportReady as delivered. */
int sm_gw_db_report_announced(sm_gw_db_t *db, const char *id);

/**
 * @brief Stores a part and its rows unless (report, partition, part) is
 *   already there.
 * @returns 1 when stored, 0 for a part already stored, -EIO.
 */
int sm_gw_db_part_add(sm_gw_db_t *db, const sm_part_msg_t *part);

/**
 * @brief The stored next offsets of a topic's partitions.
 * @param ret  nparts entries: the offset, or -1 where none is stored.
 */
int sm_gw_db_offsets_get(sm_gw_db_t *db,
                         const char *topic,
                         int32_t nparts,
                         int64_t *ret);

/** @brief Stores the next offset of a topic partition. */
int sm_gw_db_offset_set(sm_gw_db_t *db,
                        const char *topic,
                        int32_t partition,
                        int64_t next);

/**
 * @brief Calls cb for every stored report (in no particular order);
 *   announced is 1 when its ReportReady was delivered.  A non-zero return
 *   of cb stops the walk and is returned.
 */
int sm_gw_db_reports_load(sm_gw_db_t *db,
                          int (*cb)(const sm_gw_report_t *r,
                                    int announced,
                                    void *opaque),
                          void *opaque);

/**
 * @brief Calls cb with every stored part of a report, its rows included,
 *   as decoded from Kafka (the message is valid during the call).
 */
int sm_gw_db_parts_replay(sm_gw_db_t *db,
                          const char *id,
                          int (*cb)(const sm_part_msg_t *part, void *opaque),
                          void *opaque);

/**
 * @brief Reads a Complete report's CSV.
 * @returns 0 with *ret_csv a new blob, -ENOENT when there is none, -EIO.
 */
int sm_gw_db_csv_get(sm_gw_db_t *db, const char *id, sm_gw_blob_t **ret_csv);

/** @brief A small write (the health probe: the database is writable). */
int sm_gw_db_touch(sm_gw_db_t *db, sm_usec_t now);

#endif
