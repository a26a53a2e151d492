/*
 * gateway_deadline: the request deadline watchdog (see
 * gateway_deadline.h).
 *
 * A tracked connection is a node of a doubly linked list guarded by
 * `lock`; its deadline is an atomic monotonic time in ms: > 0 armed,
 * 0 disarmed (a request is being answered or the connection is
 * suspended), CUT once the watchdog has closed it.
 */
#include "gateway_deadline.h"
#include "gateway.h"
#include "sm/log.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define CUT     INT64_C(-1) /* deadline of a connection already cut */
#define TICK_MS 250         /* how often deadlines are looked at */

struct tracked {
        struct tracked *prev, *next; /* the list, under lock */
        int fd;                      /* the connection's socket */
        int64_t opened_ms;           /* when it was accepted */
        _Atomic int64_t deadline_ms; /* > 0 armed, 0 off, CUT */
};

struct sm_gw_deadline_s {
        int64_t limit_ms;         /* --request-timeout */
        sm_gw_metrics_t *metrics; /* 408s are counted here */
        pthread_mutex_t lock;     /* guards list and stop */
        pthread_cond_t wake;      /* signalled by stop */
        struct tracked *list;     /* every open connection */
        int stop;                 /* the thread should leave */
        int started;              /* thread is valid */
        pthread_t thread;         /* the watchdog */
        atomic_ullong cut_count;  /* connections cut so far */
};

/* The socket of a connection past its deadline: a 408, then both
 * directions shut down (MHD sees the end of the stream and closes). */
static void cut(sm_gw_deadline_t *dl, struct tracked *t, int64_t now_ms) {
        static const char body[] =
                "{\"error\":\"the request was not received in time\","
                "\"code\":408}";
        char msg[256];
        int n = snprintf(msg, sizeof(msg),
                         "HTTP/1.1 408 Request Timeout\r\n"
                         "Content-Type: application/json\r\n"
                         "Content-Length: %zu\r\n"
                         "Connection: close\r\n\r\n%s",
                         sizeof(body) - 1, body);

        if (n > 0 && (size_t)n < sizeof(msg))
                (void)send(t->fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)shutdown(t->fd, SHUT_RDWR);
        sm_gw_metrics_request(dl->metrics, SM_GW_ROUTE_OTHER, 408,
                              (now_ms - t->opened_ms) * 1000);
        if (atomic_fetch_add(&dl->cut_count, 1) == 0)
                sm_log(SM_LOG_NOTICE, "http",
                       "a connection did not send its request within %lld "
                       "ms: closed with 408 (further ones are counted in "
                       "/metrics only)",
                       (long long)dl->limit_ms);
}

static void *watchdog_main(void *arg) {
        sm_gw_deadline_t *dl = arg;
        struct timespec until;

        pthread_mutex_lock(&dl->lock);
        while (!dl->stop) {
                int64_t now = sm_gw_mono_ms();
                for (struct tracked *t = dl->list; t; t = t->next) {
                        int64_t d = atomic_load(&t->deadline_ms);
                        if (d > 0 && d <= now &&
                            atomic_compare_exchange_strong(&t->deadline_ms, &d,
                                                           CUT))
                                cut(dl, t, now);
                }
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_nsec += TICK_MS * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
                (void)pthread_cond_timedwait(&dl->wake, &dl->lock, &until);
        }
        pthread_mutex_unlock(&dl->lock);
        return NULL;
}

sm_gw_deadline_t *sm_gw_deadline_new(int64_t limit_us,
                                     sm_gw_metrics_t *metrics) {
        sm_gw_deadline_t *dl = sm_xcalloc(1, sizeof(*dl));
        pthread_condattr_t ca;

        dl->limit_ms = limit_us / 1000 > 0 ? limit_us / 1000 : 1;
        dl->metrics  = metrics;
        pthread_mutex_init(&dl->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&dl->wake, &ca);
        pthread_condattr_destroy(&ca);
        atomic_init(&dl->cut_count, 0);
        return dl;
}

int sm_gw_deadline_start(sm_gw_deadline_t *dl) {
        int r = pthread_create(&dl->thread, NULL, watchdog_main, dl);
        if (r)
                return -r;
        dl->started = 1;
        return 0;
}

void sm_gw_deadline_notify(void *cls,
                           struct MHD_Connection *conn,
                           void **socket_context,
                           enum MHD_ConnectionNotificationCode code) {
        sm_gw_deadline_t *dl = cls;
        struct tracked *t;

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
                        conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                if (!ci)
                        return; /* untracked: MHD's idle timeout only */
                t            = sm_xcalloc(1, sizeof(*t));
                t->fd        = ci->connect_fd;
                t->opened_ms = sm_gw_mono_ms();
                atomic_init(&t->deadline_ms, t->opened_ms + dl->limit_ms);
                pthread_mutex_lock(&dl->lock);
                t->next = dl->list;
                if (dl->list)
                        dl->list->prev = t;
                dl->list = t;
                pthread_mutex_unlock(&dl->lock);
                *socket_context = t;
        } else if ((t = *socket_context)) {
                pthread_mutex_lock(&dl->lock);
                if (t->prev)
                        t->prev->next = t->next;
                else
                        dl->list = t->next;
                if (t->next)
                        t->next->prev = t->prev;
                pthread_mutex_unlock(&dl->lock);
                free(t);
                *socket_context = NULL;
        }
}

static struct tracked *tracked_of(struct MHD_Connection *conn) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
                conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
}

int sm_gw_deadline_disarm(struct MHD_Connection *conn) {
        struct tracked *t = tracked_of(conn);
        int64_t d;

        if (!t)
                return 0;
        d = atomic_load(&t->deadline_ms);
        while (d != CUT)
                if (atomic_compare_exchange_weak(&t->deadline_ms, &d, 0))
                        return 0;
        return -ETIMEDOUT;
}

void sm_gw_deadline_rearm(sm_gw_deadline_t *dl, struct MHD_Connection *conn) {
        struct tracked *t = tracked_of(conn);
        int64_t d;

        if (!t)
                return;
        d = atomic_load(&t->deadline_ms);
        if (d != CUT)
                (void)atomic_compare_exchange_strong(
                        &t->deadline_ms, &d, sm_gw_mono_ms() + dl->limit_ms);
}

void sm_gw_deadline_stop(sm_gw_deadline_t *dl) {
        if (!dl || !dl->started)
                return;
        pthread_mutex_lock(&dl->lock);
        dl->stop = 1;
        pthread_cond_signal(&dl->wake);
        pthread_mutex_unlock(&dl->lock);
        pthread_join(dl->thread, NULL);
        dl->started = 0;
}

void sm_gw_deadline_destroy(sm_gw_deadline_t *dl) {
        if (!dl)
                return;
        sm_gw_deadline_stop(dl);
        /* MHD has closed every connection: the list is empty. */
        pthread_cond_destroy(&dl->wake);
        pthread_mutex_destroy(&dl->lock);
        free(dl);
}
