/*
 * signals: SIGINT / SIGTERM as a flag.
 *
 * The handler does nothing but remember the first signal (a lock-free
 * atomic int: it may run in any thread that does not block the signal);
 * loops poll sm_signals_caught() with short timeouts and stop from their
 * own context: no logging, freeing or flushing happens in a handler.  A
 * second SIGINT while the first one is being handled (an impatient user)
 * ends the process at once with _exit(130), the one async-signal-safe
 * thing left to do.
 *
 * The handlers are installed without SA_RESTART, so a blocking read(2)
 * or poll(2) in the thread the signal lands on returns EINTR; the other
 * loops see the flag within their timeouts.  SIGPIPE is ignored so a
 * closed pipe is a write error, not a silent death.
 */
#ifndef SM_SIGNALS_H
#define SM_SIGNALS_H

/**
 * @brief Installs the SIGINT and SIGTERM handlers (and ignores SIGPIPE).
 * @returns 0, or a negative errno from sigaction().
 */
int sm_signals_install(void);

/** @brief The first SIGINT/SIGTERM received, or 0. */
int sm_signals_caught(void);

#endif
