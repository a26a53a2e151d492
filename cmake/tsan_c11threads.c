/*
 * tsan_c11threads.c: C11 <threads.h> on top of pthreads, linked into every
 * executable of an SM_TSAN build (cmake/Sanitizers.cmake) and nowhere else.
 *
 * Why: librdkafka 2.0.2 (Debian 12) is built on C11 threads (thrd_create,
 * mtx_lock, cnd_timedwait, call_once).  glibc implements those by calling
 * its internal __pthread_* functions directly, so the ThreadSanitizer
 * runtimes installed here (gcc 12's libtsan2 and clang 14's) never see
 * them: a thread made by thrd_create has no TSan thread state and crashes
 * in the first malloc (SIGSEGV in SizeClassAllocator64LocalCache::Allocate,
 * thread "rdk:main" or "rdk:mock"), and the mutexes would be invisible, so
 * every hand-off through a librdkafka queue would look like a race.
 * Defining the functions in the executable interposes them (the symbol
 * search finds the executable before libc), and the pthread calls below go
 * through TSan's interceptors.  (No TSan runtime we know of intercepts
 * C11 threads itself yet; once one does, this file is redundant but
 * harmless.)
 *
 * glibc's C11 types are the pthread ones under another name (its own
 * threads.h implementation casts them the same way); the static asserts
 * check the sizes.  Only the functions librdkafka calls, plus thrd_detach
 * and thrd_exit so a thread is never half-known to TSan.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t");
_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag");

/* What a thread made by thrd_create runs; freed by the thread. */
typedef struct start_s {
        thrd_start_t func; /* the C11 start function */
        void *arg;         /* its argument */
} start_t;

static int map_err(int err) {
        switch (err) {
        case 0:
                return thrd_success;
        case ENOMEM:
                return thrd_nomem;
        case ETIMEDOUT:
                return thrd_timedout;
        case EBUSY:
                return thrd_busy;
        default:
                return thrd_error;
        }
}

static void *trampoline(void *p) {
        start_t start = *(start_t *)p;

        free(p);
        return (void *)(intptr_t)start.func(start.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg) {
        start_t *start = malloc(sizeof(*start));
        int err;

        if (!start)
                return thrd_nomem;
        start->func = func;
        start->arg  = arg;
        err         = pthread_create((pthread_t *)thr, NULL, trampoline, start);
        if (err)
                free(start);
        return map_err(err);
}

int thrd_join(thrd_t thr, int *res) {
        void *ret = NULL;
        int err   = pthread_join((pthread_t)thr, &ret);

        if (!err && res)
                *res = (int)(intptr_t)ret;
        return map_err(err);
}

int thrd_detach(thrd_t thr) {
        return map_err(pthread_detach((pthread_t)thr));
}

_Noreturn void thrd_exit(int res) {
        pthread_exit((void *)(intptr_t)res);
}

int mtx_init(mtx_t *mtx, int type) {
        pthread_mutexattr_t attr;
        int err;

        err = pthread_mutexattr_init(&attr);
        if (err)
                return map_err(err);
        if (type & mtx_recursive)
                err = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        if (!err)
                err = pthread_mutex_init((pthread_mutex_t *)mtx, &attr);
        (void)pthread_mutexattr_destroy(&attr);
        return map_err(err);
}

int mtx_lock(mtx_t *mtx) {
        return map_err(pthread_mutex_lock((pthread_mutex_t *)mtx));
}

int mtx_trylock(mtx_t *mtx) {
        return map_err(pthread_mutex_trylock((pthread_mutex_t *)mtx));
}

int mtx_unlock(mtx_t *mtx) {
        return map_err(pthread_mutex_unlock((pthread_mutex_t *)mtx));
}

void mtx_destroy(mtx_t *mtx) {
        (void)pthread_mutex_destroy((pthread_mutex_t *)mtx);
}

int cnd_init(cnd_t *cnd) {
        return map_err(pthread_cond_init((pthread_cond_t *)cnd, NULL));
}

int cnd_signal(cnd_t *cnd) {
        return map_err(pthread_cond_signal((pthread_cond_t *)cnd));
}

int cnd_broadcast(cnd_t *cnd) {
        return map_err(pthread_cond_broadcast((pthread_cond_t *)cnd));
}

int cnd_wait(cnd_t *cnd, mtx_t *mtx) {
        return map_err(pthread_cond_wait((pthread_cond_t *)cnd,
                                         (pthread_mutex_t *)mtx));
}

/* ts is an absolute TIME_UTC (CLOCK_REALTIME) instant, as for a pthread
 * condition variable with default attributes. */
int cnd_timedwait(cnd_t *restrict cnd,
                  mtx_t *restrict mtx,
                  const struct timespec *restrict ts) {
        return map_err(pthread_cond_timedwait((pthread_cond_t *)cnd,
                                              (pthread_mutex_t *)mtx, ts));
}

void cnd_destroy(cnd_t *cnd) {
        (void)pthread_cond_destroy((pthread_cond_t *)cnd);
}

void call_once(once_flag *flag, void (*func)(void)) {
        (void)pthread_once((pthread_once_t *)flag, func);
}
