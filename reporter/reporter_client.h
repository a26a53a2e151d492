/*
 * reporter_client: `storemon-reporter report`, a command-line client that
 * triggers a report and prints it: what the gateway does over HTTP, for
 * scripts and tests without the gateway.
 */
#ifndef SM_REPORTER_CLIENT_H
#define SM_REPORTER_CLIENT_H

/** @brief Runs the client.  @returns the exit code: 0 report written, 1
 *  failure or timeout, 2 usage error. */
int sm_client_main(int argc, char **argv);

#endif
