/*
 * reporter_batch: `storemon-reporter batch`, the report straight from CSV
 * files, with the same validation (common/records) and the same engine
 * (engine.h) as the streaming service.
 */
#ifndef SM_REPORTER_BATCH_H
#define SM_REPORTER_BATCH_H

/** @brief Runs the batch command.  @returns the process exit code: 0 a
 *  report was written, 1 fatal input error, 2 usage error. */
int sm_batch_main(int argc, char **argv);

#endif
