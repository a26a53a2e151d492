/*
 * xalloc: aborting allocators (see xalloc.h).
 */
#include "sm/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size) {
        fprintf(stderr, "storemon: out of memory allocating %zu bytes\n", size);
        abort();
}

void *sm_xmalloc(size_t size) {
        void *p = malloc(size ? size : 1);
        if (!p)
                oom(size);
        return p;
}

void *sm_xcalloc(size_t nmemb, size_t size) {
        void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
        if (!p)
                oom(nmemb * size);
        return p;
}

void *sm_xrealloc(void *ptr, size_t size) {
        void *p = realloc(ptr, size ? size : 1);
        if (!p)
                oom(size);
        return p;
}

char *sm_xstrdup(const char *s) {
        return sm_xstrndup(s, strlen(s));
}

char *sm_xstrndup(const char *s, size_t n) {
        char *p = sm_xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

void sm_xgrow(void **ret_items, size_t *ret_cap, size_t need, size_t elem) {
        size_t cap = *ret_cap;
        if (need <= cap)
                return;
        if (cap < 16)
                cap = 16;
        while (cap < need)
                cap *= 2;
        *ret_items = sm_xrealloc(*ret_items, cap * elem);
        *ret_cap   = cap;
}

void sm_xgrow_zero(void **ret_items,
                   size_t *ret_cap,
                   size_t need,
                   size_t elem) {
        size_t old = *ret_cap;
        sm_xgrow(ret_items, ret_cap, need, elem);
        if (*ret_cap > old)
                memset((char *)*ret_items + old * elem, 0,
                       (*ret_cap - old) * elem);
}
