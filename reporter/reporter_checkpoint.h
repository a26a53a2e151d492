/*
 * reporter_checkpoint: the reporter's durable state in SQLite.
 *
 * One row per partition: the serialized store table (store_table.h) and
 * the next offset to consume in each of the partition's topics, written
 * in one transaction, so that a restart (even after kill -9) resumes from
 * a state and offsets that belong together.  The database is in WAL mode
 * with synchronous=FULL; several reporter processes on one host may share
 * a state directory (each writes only the partitions it owns), which lets
 * a partition moved by a rebalance resume from the last checkpoint of its
 * previous owner instead of the beginning of the topics.
 */
#ifndef SM_REPORTER_CHECKPOINT_H
#define SM_REPORTER_CHECKPOINT_H

#include <stdint.h>

#include "store_table.h"

typedef struct sm_ckpt_s sm_ckpt_t;

/** The topics whose positions a checkpoint records. */
enum sm_ckpt_topic {
        SM_CKPT_POLLS = 0,
        SM_CKPT_HOURS,
        SM_CKPT_ZONES,
        SM_CKPT_REQUESTS,
        SM_CKPT_TOPICS
};

/**
 * @brief Opens (creating) DIR/reporter.db.
 * @param partitions  the store topics' partition count; a database made
 *   for another count is refused.
 * @param rebuild_corrupt  a database that is not one or fails SQLite's
 *   quick_check is renamed to reporter.db.corrupt-TIME (with its -wal and
 *   -shm files), logged, and replaced by an empty one: every partition is
 *   then rebuilt from the topics.  0: it is refused (NULL).
 * @returns the handle, or NULL with errstr filled.
 */
sm_ckpt_t *sm_ckpt_open(const char *dir,
                        int32_t partitions,
                        int rebuild_corrupt,
                        char *errstr,
                        size_t errstr_size);
void sm_ckpt_close(sm_ckpt_t *ck);

/**
 * @brief Loads a partition's checkpoint.
 * @returns 1 with *ret_table (the caller's) and ret_next[SM_CKPT_TOPICS]
 *   set, 0 when there is none, or a negative errno with errstr filled
 *   (unreadable or corrupt: the caller rebuilds from the topics).
 */
int sm_ckpt_load(sm_ckpt_t *ck,
                 int32_t partition,
                 sm_store_table_t **ret_table,
                 int64_t *ret_next,
                 char *errstr,
                 size_t errstr_size);

/**
 * @brief Saves a partition's table and offsets atomically.
 * @returns 0, or a negative errno with errstr filled (disk full, read-only
 *   directory...): the previous checkpoint is left intact.
 */
int sm_ckpt_save(sm_ckpt_t *ck,
                 int32_t partition,
                 const sm_store_table_t *t,
                 const int64_t *next,
                 const char *instance,
                 char *errstr,
                 size_t errstr_size);

#endif
