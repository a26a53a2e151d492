/*
 * reporter_run: `storemon-reporter run`, the streaming reporter service.
 *
 * A Kafka consumer in group `storemon-reporter` over the co-partitioned
 * store-polls, store-hours, store-timezones and report-requests (range
 * assignment, so one member owns partition p of all four).  For each
 * owned partition it keeps a store table (store_table.h), checkpoints it
 * with the consumed offsets (reporter_checkpoint.h), publishes its
 * watermark to reporter-progress, and answers report requests for it
 * (reporter_requests.h) on report-results.
 */
#ifndef SM_REPORTER_RUN_H
#define SM_REPORTER_RUN_H

/** @brief Runs the service until SIGINT/SIGTERM.  @returns the exit code:
 *  0 clean stop, 1 runtime failure, 2 usage error. */
int sm_run_main(int argc, char **argv);

#endif
