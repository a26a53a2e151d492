/*
 * gateway_progress: the reporters' progress table (see
 * gateway_progress.h).
 */
#include "gateway_progress.h"
#include "gateway.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct part_progress {
        int seen;        /* a record arrived for this partition */
        int64_t applied; /* its applied_offset (-1: nothing applied) */
        int has_wm;      /* its watermark is set */
        sm_usec_t wm;    /* the watermark */
};

struct sm_gw_progress_s {
        pthread_mutex_t lock;    /* guards everything below */
        pthread_cond_t cond;     /* signalled on update and cancel */
        int32_t nparts;          /* store partitions */
        struct part_progress *p; /* per partition */
        int cancelled;           /* waits return -ECANCELED */
};

sm_gw_progress_t *sm_gw_progress_new(int32_t nparts) {
        sm_gw_progress_t *pg = sm_xcalloc(1, sizeof(*pg));
        pthread_condattr_t ca;

        pthread_mutex_init(&pg->lock, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&pg->cond, &ca);
        pthread_condattr_destroy(&ca);
        pg->nparts = nparts;
        pg->p      = sm_xcalloc((size_t)nparts, sizeof(*pg->p));
        return pg;
}

void sm_gw_progress_destroy(sm_gw_progress_t *pg) {
        if (!pg)
                return;
        pthread_cond_destroy(&pg->cond);
        pthread_mutex_destroy(&pg->lock);
        free(pg->p);
        free(pg);
}

void sm_gw_progress_update(sm_gw_progress_t *pg, const sm_progress_msg_t *m) {
        struct part_progress *pp;

        if (m->partition < 0 || m->partition >= pg->nparts)
                return;
        pthread_mutex_lock(&pg->lock);
        pp          = &pg->p[m->partition];
        pp->seen    = 1;
        pp->applied = m->applied_offset;
        if (m->has_watermark && (!pp->has_wm || m->watermark > pp->wm)) {
                pp->has_wm = 1;
                pp->wm     = m->watermark;
        }
        pthread_cond_broadcast(&pg->cond);
        pthread_mutex_unlock(&pg->lock);
}

/* Partitions whose progress does not cover end_polls (lock held). */
static int32_t behind(const sm_gw_progress_t *pg, const int64_t *end_polls) {
        int32_t n = 0;
        for (int32_t p = 0; p < pg->nparts; p++)
                if (end_polls[p] > 0 &&
                    (!pg->p[p].seen || pg->p[p].applied < end_polls[p] - 1))
                        n++;
        return n;
}

int sm_gw_progress_wait(sm_gw_progress_t *pg,
                        const int64_t *end_polls,
                        int64_t deadline_ms,
                        sm_usec_t *ret_as_of,
                        int32_t *ret_behind) {
        struct timespec until = {
                .tv_sec  = deadline_ms / 1000,
                .tv_nsec = (long)(deadline_ms % 1000) * 1000000L,
        };
        int32_t n;
        int ret = 0;

        pthread_mutex_lock(&pg->lock);
        while ((n = behind(pg, end_polls)) > 0 && !pg->cancelled) {
                if (pthread_cond_timedwait(&pg->cond, &pg->lock, &until) ==
                    ETIMEDOUT) {
                        n = behind(pg, end_polls);
                        break;
                }
        }
        if (pg->cancelled)
                ret = -ECANCELED;
        else if (n > 0) {
                *ret_behind = n;
                ret         = -ETIMEDOUT;
        } else {
                int have     = 0;
                sm_usec_t wm = 0;
                for (int32_t p = 0; p < pg->nparts; p++)
                        if (pg->p[p].has_wm && (!have || pg->p[p].wm > wm)) {
                                wm   = pg->p[p].wm;
                                have = 1;
                        }
                if (have)
                        *ret_as_of = wm;
                else
                        ret = -ENODATA;
        }
        pthread_mutex_unlock(&pg->lock);
        return ret;
}

void sm_gw_progress_cancel(sm_gw_progress_t *pg) {
        pthread_mutex_lock(&pg->lock);
        pg->cancelled = 1;
        pthread_cond_broadcast(&pg->cond);
        pthread_mutex_unlock(&pg->lock);
}
