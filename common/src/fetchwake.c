/*
 * fetchwake: the waker thread (see fetchwake.h).
 */
#include "sm/fetchwake.h"
#include "sm/xalloc.h"

#include <pthread.h>
#include <stdlib.h>

#define WAKE_TIMEOUT_MS 100 /* longest wait for one ListOffsets */

struct sm_fetch_waker_s {
        rd_kafka_t *rk;       /* the consumer (borrowed) */
        char *topic;          /* asked about */
        pthread_t thread;     /* makes the calls */
        pthread_mutex_t lock; /* guards what follows */
        pthread_cond_t cond;  /* signals pending or stop */
        int32_t partition;    /* of the next wake-up */
        int pending;          /* a wake-up was asked for */
        int stop;             /* the thread should leave */
};

static void *waker_main(void *arg) {
        sm_fetch_waker_t *w = arg;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                int32_t p;
                int64_t lo, hi;
                while (!w->pending && !w->stop)
                        pthread_cond_wait(&w->cond, &w->lock);
                if (w->stop)
                        break;
                p          = w->partition;
                w->pending = 0;
                pthread_mutex_unlock(&w->lock);
                (void)rd_kafka_query_watermark_offsets(w->rk, w->topic, p, &lo,
                                                       &hi, WAKE_TIMEOUT_MS);
                pthread_mutex_lock(&w->lock);
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

sm_fetch_waker_t *sm_fetch_waker_new(rd_kafka_t *rk, const char *topic) {
        sm_fetch_waker_t *w = sm_xcalloc(1, sizeof(*w));

        w->rk    = rk;
        w->topic = sm_xstrdup(topic);
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        if (pthread_create(&w->thread, NULL, waker_main, w) != 0) {
                pthread_cond_destroy(&w->cond);
                pthread_mutex_destroy(&w->lock);
                free(w->topic);
                free(w);
                return NULL;
        }
        return w;
}

void sm_fetch_waker_wake(sm_fetch_waker_t *w, int32_t partition) {
        pthread_mutex_lock(&w->lock);
        w->partition = partition;
        w->pending   = 1;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
}

void sm_fetch_waker_destroy(sm_fetch_waker_t *w) {
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->stop = 1;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w->topic);
        free(w);
}
