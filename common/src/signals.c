/*
 * signals: SIGINT / SIGTERM handlers that only set a flag (see signals.h).
 */
#include "sm/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* A lock-free atomic, not a volatile sig_atomic_t: the handler runs in
 * whichever thread the kernel picks (an MHD worker, the gateway's results
 * or trigger thread, the reporter's fetch waker; librdkafka's threads
 * block signals), and volatile sig_atomic_t is defined only for a handler
 * that interrupts the thread reading it (ThreadSanitizer reported the
 * race).  C11 7.14.1.1 allows lock-free atomics in a handler. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free");
static atomic_int caught; /* first signal received, or 0 */

static void on_signal(int sig) {
        int none = 0;

        if (!atomic_compare_exchange_strong(&caught, &none, sig) &&
            sig == SIGINT)
                _exit(128 + SIGINT);
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
        return atomic_load(&caught);
}
