/*
 * signals: SIGINT / SIGTERM handlers that only set a flag (see signals.h).
 */
#include "sm/signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t caught; /* first signal received, or 0 */

static void on_signal(int sig) {
        if (caught && sig == SIGINT)
                _exit(128 + SIGINT);
        if (!caught)
                caught = sig;
}

int sm_signals_install(void) {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
        if (sigaction(SIGINT, &sa, NULL) < 0 ||
            sigaction(SIGTERM, &sa, NULL) < 0)
                return -errno;
        sa.sa_handler = SIG_IGN;
        if (sigaction(SIGPIPE, &sa, NULL) < 0)
                return -errno;
        return 0;
}

int sm_signals_caught(void) {
        return (int)caught;
}
