/*
 * xalloc: allocation that aborts on out-of-memory with the size asked for.
 *
 * A service cannot do anything useful without memory, so rather than check
 * every small allocation we fail loudly at the one place it happens (as
 * redis' zmalloc and librdkafka's rd_malloc do).  Every other failure is
 * checked by the caller.
 */
#ifndef SM_XALLOC_H
#define SM_XALLOC_H

#include <stddef.h>

void *sm_xmalloc(size_t size);
void *sm_xcalloc(size_t nmemb, size_t size);
void *sm_xrealloc(void *ptr, size_t size);
char *sm_xstrdup(const char *s);
char *sm_xstrndup(const char *s, size_t n);

/** @brief Grows *ret_items (of *ret_cap elements of size elem) so that it
 *  holds at least need elements; doubles the capacity. */
void sm_xgrow(void **ret_items, size_t *ret_cap, size_t need, size_t elem);

/** @brief sm_xgrow() that also zeroes the elements it adds. */
void sm_xgrow_zero(void **ret_items, size_t *ret_cap, size_t need, size_t elem);

#endif
